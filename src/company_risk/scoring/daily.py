"""What the scheduler runs each day: pick (or fetch) the day's drop, then score it.

- synthetic source (the embedded default): every drop already exists; score the next drop
  after the latest scored partition (the latest drop when nothing is scored yet), so a missed
  day is caught up on the next run, one day per run;
- real source: download today's RIK and EMTA files (`scoring.urls`: file name in the drop ->
  URL) into a new drop `raw/<today>/`, atomically (a failed download leaves no drop folder), and
  score today. Raw drops are immutable: a drop already there is never fetched again.

`today` is passed in by the CLI, the only place that reads the clock.
"""

from __future__ import annotations

import datetime as dt
import http.client
import shutil
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path

from company_risk.atomic import atomic_directory
from company_risk.scoring import ScoringError
from company_risk.scoring.partition import list_partitions

SOURCES = ("synthetic", "real")


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


def fetch_drop(urls: Mapping[str, str], raw: Path, day: dt.date, timeout_s: float) -> Path:
    """Download every file of `urls` into `raw/<day>/`; the folder appears only when all
    files arrived whole (a zip must open). Returns the drop folder."""
    if not urls:
        raise ScoringError("scoring.urls is empty: nothing to download for a real drop")
    target = Path(raw) / day.isoformat()
    if target.exists():
        return target
    with atomic_directory(target) as tmp:
        for name, url in sorted(urls.items()):
            if "/" in name or name.startswith("."):
                raise ScoringError(f"scoring.urls: {name!r} is not a plain file name")
            path = tmp / name
            try:
                with (
                    urllib.request.urlopen(url, timeout=timeout_s) as response,
                    open(path, "wb") as fh,
                ):
                    shutil.copyfileobj(response, fh, length=1 << 20)
                    promised = response.headers.get("Content-Length")
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                raise ScoringError(f"download of {name} from {url} failed: {exc}") from exc
            # reading in blocks, urllib returns a connection dropped mid-transfer as an early
            # end of file: only the announced length tells a whole file from a cut one
            size = path.stat().st_size
            if promised is not None and promised.isdigit() and size != int(promised):
                raise ScoringError(
                    f"download of {name} from {url} failed: {size} of {promised} bytes "
                    "arrived (cut short)"
                )
            if path.stat().st_size == 0:
                raise ScoringError(f"download of {name} from {url}: the file is empty")
            if name.endswith(".zip") and not _whole_zip(path):
                raise ScoringError(
                    f"download of {name} from {url}: not a readable zip (truncated?)"
                )
    return target


def _whole_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except (zipfile.BadZipFile, OSError):
        return False
