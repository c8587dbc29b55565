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

`today` is passed in by the CLI, the only place that reads the clock.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import http.client
import logging
import re
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from company_risk import formats
from company_risk.atomic import atomic_directory
from company_risk.config import ConfigError, ScoringConfig
from company_risk.scoring import ScoringError
from company_risk.scoring.partition import list_partitions

SOURCES = ("synthetic", "real")
DROP_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")

log = logging.getLogger("company_risk.daily")


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
    from company_risk.ingest.files import list_drops

    return next_unscored([d for d, _ in list_drops(raw)], list_partitions(out))


def fetch_drop(scoring: ScoringConfig, raw: Path, day: dt.date) -> Path:
    """Download the day's files (`scoring.urls`, and the `scoring.periodic_urls` still to be
    collected) into `raw/<day>/`; the folder appears only when every file arrived whole (its
    announced length, and a zip must open). Returns the drop folder."""
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
    timeout_s = scoring.download_timeout_s
    with atomic_directory(target) as tmp:
        for name, url in sorted(scoring.urls.items()):
            _download(name, url, tmp / name, timeout_s)
        for name, (url, previous) in sorted(periodic.items()):
            _download(name, url, tmp / name, timeout_s)
            if previous is not None and filecmp.cmp(previous, tmp / name, shallow=False):
                (tmp / name).unlink()
                log.info("%s unchanged since %s: not kept again", name, previous.parent.name)
            else:
                log.info("%s: new, kept in the drop", name)
    return target


def _earlier_drops(raw: Path, day: dt.date) -> list[Path]:
    """The drop folders `raw/<YYYY-MM-DD>/` dated before `day`, newest first (hidden folders,
    unfinished atomic writes, are not drops; ingest refuses any other folder name itself)."""
    if not raw.is_dir():
        return []
    drops = []
    for folder in raw.iterdir():
        if folder.is_dir() and DROP_NAME.fullmatch(folder.name):
            try:
                drops.append((dt.date.fromisoformat(folder.name), folder))
            except ValueError:
                continue
    return [folder for d, folder in sorted(drops, reverse=True) if d < day]


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


def _download(name: str, url: str, path: Path, timeout_s: float) -> None:
    """Fetch `url` into `path`; a ScoringError unless the file arrived whole."""
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout_s) as response,
            open(path, "wb") as fh,
        ):
            shutil.copyfileobj(response, fh, length=1 << 20)
            promised = response.headers.get("Content-Length")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise ScoringError(f"download of {name} from {url} failed: {exc}") from exc
    # reading in blocks, urllib returns a connection dropped mid-transfer as an early end of
    # file: only the announced length tells a whole file from a cut one
    size = path.stat().st_size
    if promised is not None and promised.isdigit() and size != int(promised):
        raise ScoringError(
            f"download of {name} from {url} failed: {size} of {promised} bytes arrived (cut short)"
        )
    if size == 0:
        raise ScoringError(f"download of {name} from {url}: the file is empty")
    if name.endswith(".zip") and not _whole_zip(path):
        raise ScoringError(f"download of {name} from {url}: not a readable zip (truncated?)")


def _whole_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except (zipfile.BadZipFile, OSError):
        return False
