"""What the scheduler runs each day: pick (or fetch) the day's drop, then score it.

- synthetic source (the embedded default): every drop already exists; score the next drop
  after the latest scored partition (the latest drop when nothing is scored yet), so a missed
  day is caught up on the next run, one day per run;
- real source: download the day's files into a new drop `raw/<today>/`, atomically (a failed
  download leaves no drop folder), and score today. The daily RIK and EMTA files
  (`scoring.urls`) are fetched every day; of the periodic files (`scoring.periodic_urls`) a
  report file, whose name carries its cut-off date, only when no earlier drop holds that name,
  and a file republished under one unchanging name (`FileFamily.same_name`) on every
  run, kept in the drop only when it differs from the newest copy collected before. Raw drops
  are immutable: a drop already there is never fetched again.

A download is kept only when it is whole and is the file it claims to be (`check_download`):
no HTML page (by Content-Type or by its first bytes: an error or login page served with status
200), its announced length, at most `scoring.download_max_mb` and within
`scoring.download_deadline_s` of wall clock (so a trickling or endless server is cut off; each
read may stall `download_timeout_s`); a zip opens and holds one member; a CSV decodes, has its
family's header and every row has the header's fields; a JSON file parses to the end of its
top-level array. Without a Content-Length, that content check is what tells a cut file from a
whole one (a cut exactly at a line end cannot be told). A failed file fails the day and leaves
no drop, so the next run fetches the day again.

A drop that then fails ingest is moved aside to `raw/.quarantine/<date>-<n>/` with a
`REASON.txt` (`ingest_or_quarantine`): a hidden folder, which neither ingest nor the fetch
sees, so the next day is not blocked by it and the same day may be fetched again.

After the day is scored, `write_digests` replaces `digests/date=D/` (atomically) with one
digest per watchlist (`day_watchlists`: those of the API's store, when it exists, and the
`--watchlist` file's), built by `company_risk.scoring.digests`. A run that scores no day writes
no digest.

`today` is passed in by the CLI, the only place that reads the clock.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import filecmp
import http.client
import itertools
import logging
import os
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from company_risk import formats
from company_risk.artifacts import (
    DIGEST_HTML,
    DIGEST_JSON,
    INGEST_LOG,
    dated_folders,
    digest_file,
    interim_table,
    list_partitions,
    partition_dir,
)
from company_risk.atomic import atomic_directory, write_text
from company_risk.config import ConfigError, IngestConfig, ScoringConfig
from company_risk.ingest import IngestError, IngestResult, ingest_drops, pseudonym_key
from company_risk.ingest.arrowcsv import arrow_csv, check_header, header_fields, text_csv
from company_risk.ingest.errors import Source
from company_risk.ingest.files import decode, list_drops, open_binary, read_bytes
from company_risk.ingest.jsonstream import iter_json_array, quiet_gc
from company_risk.scoring import ScoringError
from company_risk.scoring.digests import build_digest, digest_html, digest_json
from company_risk.scoring.run import DayResult
from company_risk.watchlists import Watchlist

SOURCES = ScoringConfig.SOURCES  # what `daily` does (`scoring.source`, `--source`)
MB = 1 << 20  # `scoring.download_max_mb` counts these
BLOCK = 1 << 20  # bytes read from the server at a time (at most)
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_STARTS = (b"<!doctype html", b"<html")  # compared with the lower-cased first bytes
QUARANTINE = ".quarantine"  # raw/.quarantine/<date>-<n>/: hidden, so no drop listing sees it
REASON_FILE = "REASON.txt"
_BAD_ZIP = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError)

log = logging.getLogger("company_risk.daily")


class DownloadError(ScoringError):
    """A file of the day's drop did not arrive whole, or is not the file it claims to be; the
    day failed and no drop folder was made (the next run fetches it again)."""


class DropQuarantinedError(ScoringError):
    """A drop failed ingest and was moved to `raw/.quarantine/`, out of every later run's way."""


def next_unscored(drop_dates: list[dt.date], scored: list[dt.date]) -> dt.date | None:
    """The first drop after the latest scored day; the latest drop when nothing is scored;
    None when every drop up to the latest is scored."""
    if not drop_dates:
        return None
    if not scored:
        return max(drop_dates)
    later = sorted(d for d in drop_dates if d > max(scored))
    return later[0] if later else None


def synthetic_date(raw: Path, out: Path) -> dt.date | None:
    return next_unscored([d for d, _ in list_drops(raw)], list_partitions(out))


def fetch_drop(scoring: ScoringConfig, raw: Path, day: dt.date) -> Path:
    """Download the day's files (`scoring.urls`, and the `scoring.periodic_urls` still to be
    collected) into `raw/<day>/`; the folder appears only when every file arrived whole and
    passed `check_download`, else a DownloadError and no folder. Returns the drop folder."""
    if not scoring.urls:
        raise ConfigError("scoring.urls is empty: nothing to download for a real drop")
    present = {scoring.download_family(name, "scoring.urls").name for name in scoring.urls}
    missing = [f.name for f in formats.FILE_FAMILIES if f.required and f.name not in present]
    if missing:
        raise ConfigError(
            f"scoring.urls: no URL for the {', '.join(missing)} file(s), which every drop needs"
        )
    target = Path(raw) / day.isoformat()
    if target.exists():
        return target
    periodic = _periodic_to_fetch(scoring, _earlier_drops(Path(raw), day))
    with atomic_directory(target) as tmp:
        for name, url in sorted(scoring.urls.items()):
            _download(name, url, tmp / name, scoring)
            check_download(name, url, tmp / name, day)
        for name, (url, previous) in sorted(periodic.items()):
            _download(name, url, tmp / name, scoring)
            check_download(name, url, tmp / name, day)
            if previous is not None and filecmp.cmp(previous, tmp / name, shallow=False):
                (tmp / name).unlink()
                log.info("%s unchanged since %s: not kept again", name, previous.parent.name)
            else:
                log.info("%s: new, kept in the drop", name)
    return target


def _earlier_drops(raw: Path, day: dt.date) -> list[Path]:
    """The drop folders `raw/<YYYY-MM-DD>/` dated before `day`, newest first (hidden folders,
    unfinished atomic writes, are not drops; ingest refuses any other folder name itself)."""
    return [folder for d, folder in reversed(dated_folders(raw)) if d < day]


def _periodic_to_fetch(
    scoring: ScoringConfig, earlier: list[Path]
) -> dict[str, tuple[str, Path | None]]:
    """Periodic file name -> (URL, the newest earlier copy to compare with, or None)."""
    out: dict[str, tuple[str, Path | None]] = {}
    for name, url in scoring.periodic_urls.items():
        family = scoring.download_family(name, "scoring.periodic_urls")
        copies = [folder / name for folder in earlier if (folder / name).is_file()]
        if family.same_name:
            out[name] = (url, copies[0] if copies else None)
        elif copies:
            log.info("%s collected already (drop %s): not fetched", name, copies[-1].parent.name)
        else:
            out[name] = (url, None)
    return out


# ------------------------------------------------------------------------------- download
def _download(name: str, url: str, path: Path, scoring: ScoringConfig) -> None:
    """Fetch `url` into `path`, cut off past `scoring.download_max_mb` or
    `scoring.download_deadline_s`; a DownloadError unless the whole announced length arrived.
    The deadline is checked after every read, and one read waits at most
    `min(download_timeout_s, download_deadline_s)`."""
    where = f"download of {name} from {url}"
    limit = int(scoring.download_max_mb * MB)
    deadline = scoring.download_deadline_s
    started = time.monotonic()
    size, promised = 0, None
    try:
        with (
            urllib.request.urlopen(url, timeout=min(scoring.download_timeout_s, deadline)) as r,
            open(path, "wb") as fh,
        ):
            kind = r.headers.get_content_type()
            if kind in HTML_TYPES:
                raise DownloadError(
                    f"{where}: the server sent an HTML page (Content-Type {kind}), not the file "
                    "(an error or login page?)"
                )
            promised = _content_length(r.headers.get("Content-Length"), where)
            if promised is not None and promised > limit:
                raise DownloadError(
                    f"{where}: {promised} bytes announced, more than scoring.download_max_mb "
                    f"({scoring.download_max_mb:g} MB)"
                )
            read = getattr(r, "read1", r.read)  # read1: what has arrived, not a full block
            while block := read(BLOCK):
                size += len(block)
                if size > limit:
                    raise DownloadError(
                        f"{where}: cut off at {size} bytes, more than scoring.download_max_mb "
                        f"({scoring.download_max_mb:g} MB)"
                    )
                fh.write(block)
                if time.monotonic() - started > deadline:
                    raise DownloadError(
                        f"{where}: cut off after {size} bytes, not finished within "
                        f"scoring.download_deadline_s ({deadline:g} s)"
                    )
    except DownloadError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise DownloadError(f"{where} failed: {exc}") from exc
    # reading in blocks, urllib returns a connection dropped mid-transfer as an early end of
    # file: only the announced length tells a whole file from a cut one (without it, the content
    # check does)
    if promised is not None and size != promised:
        raise DownloadError(f"{where} failed: {size} of {promised} bytes arrived (cut short)")
    if size == 0:
        raise DownloadError(f"{where}: the file is empty")


def _content_length(value: str | None, where: str) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit():
        raise DownloadError(f"{where}: malformed Content-Length {value!r}")
    return int(value)


# ---------------------------------------------------------------------------- validation
def check_download(name: str, url: str, path: Path, day: dt.date) -> None:
    """Refuse a downloaded file that is not the whole file `name` claims to be (see the module
    notes); a DownloadError naming the file, the URL and, from ingest's readers, the row or
    item and the field. Reads the file once more (streamed; a zip is inflated as it is read)."""
    where = f"download of {name} from {url}"
    family = ScoringConfig.download_family(name)
    logical = formats.logical_name(name)
    with path.open("rb") as fh:
        head = fh.read(1024)
    if head.removeprefix(codecs.BOM_UTF8).lstrip().lower().startswith(HTML_STARTS):
        raise DownloadError(f"{where}: the file is an HTML page, not {logical} (an error page?)")
    source = Source(f"{day.isoformat()} (download)", logical, family.kind)
    try:
        if path.suffix == ".zip":
            _check_zip(path, where)
        if family.kind == "json":
            _check_json(path, source)
        else:
            _check_csv(path, source, family)
    except IngestError as exc:
        raise DownloadError(f"{where}: not a whole {logical}: {exc}") from exc
    except _BAD_ZIP as exc:
        raise DownloadError(f"{where}: not a readable zip (truncated or corrupt): {exc}") from exc


def _check_zip(path: Path, where: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if not n.endswith("/")]
    except (*_BAD_ZIP, OSError) as exc:
        raise DownloadError(f"{where}: not a readable zip (truncated?): {exc}") from exc
    if len(members) != 1:
        raise DownloadError(f"{where}: the zip holds {len(members)} files, not one")


def _check_json(path: Path, source: Source) -> None:
    """The top-level array parses to its end, item by item (ingest's reader, nothing kept)."""
    with quiet_gc():
        for _ in iter_json_array(path, source, _nothing):
            pass


def _nothing(item: dict) -> None:
    return None


def _old_payment_headers() -> tuple[tuple[str, ...], ...]:
    """The older taxes-paid headers ingest accepts: each column under its name or an alias."""
    choices = [
        (c, *formats.TAX_PAYMENTS_OLD_ALIASES.get(c, ())) for c in formats.TAX_PAYMENTS_OLD_COLUMNS
    ]
    return tuple(itertools.product(*choices))


# family -> (separator, encodings tried in order, the headers it may have: each a set of columns)
CSV_LAYOUTS: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "basic": (formats.RIK_CSV_SEPARATOR, (formats.RIK_CSV_ENCODING,), (formats.RIK_BASIC_COLUMNS,)),
    "tax_debtors": (
        formats.TAX_DEBTORS_SEPARATOR,
        (formats.TAX_DEBTORS_ENCODING,),
        (formats.TAX_DEBTORS_COLUMNS,),
    ),
    "reports_general": (
        formats.REPORTS_SEPARATOR,
        (formats.REPORTS_ENCODING,),
        (formats.REPORTS_GENERAL_COLUMNS,),
    ),
    "reports_elements": (
        formats.REPORTS_SEPARATOR,
        (formats.REPORTS_ENCODING,),
        (formats.REPORTS_ELEMENTS_COLUMNS,),
    ),
    "payments_current": (
        formats.TAX_PAYMENTS_SEPARATOR,
        (formats.TAX_PAYMENTS_ENCODING,),
        (
            formats.TAX_PAYMENTS_COLUMNS,
            tuple(formats.TAX_PAYMENTS_ESTONIAN[c] for c in formats.TAX_PAYMENTS_COLUMNS),
        ),
    ),
    "payments_old": (
        formats.TAX_PAYMENTS_OLD_SEPARATOR,
        formats.TAX_PAYMENTS_OLD_ENCODINGS,
        _old_payment_headers(),
    ),
}
HEADER_MAX = 1 << 20  # a first line longer than this is no header


def _check_csv(path: Path, source: Source, family: formats.FileFamily) -> None:
    """The file decodes, has one of its family's headers, and every row has the header's
    fields (ingest's header check and Arrow reader; only the first column is kept)."""
    if family.name not in CSV_LAYOUTS:
        raise ScoringError(f"{source.file}: no download check for the {family.name} family")
    sep, encodings, headers = CSV_LAYOUTS[family.name]
    with open_binary(path, source) as fh:
        line = fh.readline(HEADER_MAX)
    # a BOM before the header is allowed, as ingest allows it
    sig = tuple("utf-8-sig" if e == "utf-8" else e for e in encodings)
    header = header_fields(decode(line, source, sig), sep)
    columns = max(headers, key=lambda names: sum(n in header for n in names))
    check_header(source, header, sep, columns)
    if len(encodings) > 1:  # decoded whole, as ingest does (these files are small)
        text_csv(
            decode(read_bytes(path, source), source, encodings), source, sep, columns, columns[:1]
        )
        return
    _check_encoding(path, source, sig[0])
    arrow_csv(path, source, sep, columns, columns[:1], encoding=encodings[0])


def _check_encoding(path: Path, source: Source, encoding: str) -> None:
    """Every byte of the (inflated) file decodes, read block by block."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    with open_binary(path, source) as fh:
        while True:
            block = fh.read(BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                line = lines + block[: max(exc.start, 0)].count(b"\n")
                raise source.error(
                    f"line {line} (byte {offset + max(exc.start, 0)}): not valid {encoding} text "
                    f"({exc.reason})"
                ) from exc
            if not block:
                return
            offset += len(block)
            lines += block.count(b"\n")


# ---------------------------------------------------------------------------- quarantine
def ingest_or_quarantine(
    raw: Path, interim: Path, cfg: IngestConfig, root: Path, until: dt.date
) -> IngestResult:
    """Ingest the drops up to `until` (the day's drop, just fetched); a drop that fails ingest
    is quarantined (`quarantine_failed_drop`), so it blocks no later run."""
    key = pseudonym_key(cfg, root)
    with quarantine_failed_drop(raw, interim, until):
        return ingest_drops(raw, interim, cfg, key, until=until)


@contextlib.contextmanager
def quarantine_failed_drop(raw: Path, interim: Path, until: dt.date) -> Iterator[None]:
    """Run the block (an ingest of the drops up to `until`); when it fails with an IngestError
    whose `failed_drop` is a drop in `raw`, dated on or before `until` and not applied yet,
    move that drop to `raw/.quarantine/<date>-<n>/` with the error in REASON.txt, log it, and raise a
    DropQuarantinedError. Any other IngestError (an applied drop changed, broken history
    tables) is raised as it is: nothing is moved."""
    try:
        yield
    except IngestError as exc:
        folder = _failed_drop(Path(raw), Path(interim), until, exc.failed_drop)
        if folder is None:
            raise
        moved = quarantine_drop(Path(raw), folder, str(exc))
        log.error("drop %s failed ingest; quarantined in %s: %s", folder.name, moved, exc)
        raise DropQuarantinedError(
            f"drop {folder.name} failed ingest and was moved to {moved} (the next run is not "
            f"blocked by it and fetches the day again): {exc}"
        ) from exc


def _failed_drop(raw: Path, interim: Path, until: dt.date, day: dt.date | None) -> Path | None:
    """The folder of the unapplied drop an ingest error says failed (`IngestError.failed_drop`),
    or None."""
    if day is None:
        return None
    folder = raw / day.isoformat()
    if day > until or not folder.is_dir():
        return None
    applied = _applied_drops(interim)
    if applied is None or day in applied:  # unknown, or in the history: never moved
        return None
    return folder


def _applied_drops(interim: Path) -> set[dt.date] | None:
    """The drop dates in the ingest log (empty before the first ingest); None if unreadable."""
    path = interim_table(interim, INGEST_LOG)
    if not path.exists():
        return set()
    try:
        dates = pd.read_parquet(path, columns=["drop_date"])["drop_date"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cannot read the ingest log %s (%s): no drop quarantined", path, exc)
        return None
    return {d.date() for d in pd.to_datetime(dates).dropna()}


def quarantine_drop(raw: Path, folder: Path, reason: str) -> Path:
    """Move `folder` (a drop `raw/<date>/`) to `raw/.quarantine/<date>-<n>/`, n the first free
    number, and write `reason` beside its files in REASON.txt. Returns the new folder."""
    base = Path(raw) / QUARANTINE
    base.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        target = base / f"{folder.name}-{n}"
        if not target.exists():
            break
    os.rename(folder, target)  # one filesystem: the drop is in raw/ or here, never half
    write_text(
        f"drop {folder.name} failed ingest in `company-risk daily` and was moved here from "
        f"{folder}.\n\n{reason}\n\nTo apply it after all (for example a real mass change: "
        "`ingest --accept-mass-change`), delete this file and move the folder back to "
        f"{folder}.\n",
        target / REASON_FILE,
    )
    return target


# ------------------------------------------------------------------------------- digests
def day_watchlists(store: Path, extra: Watchlist | None = None) -> list[Watchlist]:
    """The watchlists to digest: those of the API's store (only when the store file exists:
    the daily job never creates it) and `extra` (the `--watchlist` file's), by name. A file
    named like a stored watchlist is refused, before anything is scored: one digest would
    silently replace the other."""
    from company_risk.store import Store  # sqlite3, only when there is a store to read

    stored = [s.watchlist for s in Store(store).list_watchlists()] if Path(store).is_file() else []
    if extra is not None and extra.name in {w.name for w in stored}:
        raise ScoringError(
            f"--watchlist: its name {extra.name!r} is a watchlist of the store {store} too; "
            "give the file another `name` (or another file name)"
        )
    return sorted([*stored, *([extra] if extra else [])], key=lambda w: w.name)


def write_digests(digests: Path, result: DayResult, watchlists: Sequence[Watchlist]) -> Path | None:
    """Replace `digests/date=D/` with `<name>.html` and `<name>.json` for each watchlist, as one
    atomic folder (a rerun of the day leaves no digest of a watchlist since deleted). Returns
    the folder; None, writing nothing, when there is no watchlist."""
    if not watchlists:
        log.info("no watchlist in the store or on the command line: no digest written")
        return None
    if result.alert_day is None:
        raise ScoringError(f"{result.date}: the scored day carries no alerts to digest")
    target = partition_dir(digests, result.date)
    with atomic_directory(target) as tmp:
        for watchlist in watchlists:
            digest = build_digest(
                watchlist, result.date, result.manifest["model"], result.alert_day
            )
            digest_file(tmp, watchlist.name, DIGEST_HTML).write_text(
                digest_html(digest), encoding="utf-8"
            )
            digest_file(tmp, watchlist.name, DIGEST_JSON).write_text(
                digest_json(digest), encoding="utf-8"
            )
    log.info("%d digest(s) in %s", len(watchlists), target)
    return target
