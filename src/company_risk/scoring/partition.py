"""The date partitions `out/date=YYYY-MM-DD/`: find them, read the previous one, write one.

A partition is written into a temporary directory beside it and renamed into place
(`atomic.atomic_directory`): a run that fails or is killed leaves no partial partition and
every other partition as it was. `scores.parquet` is written deterministically (rows sorted by
company_id, no index, no timestamps), so rerunning a day gives the same bytes; the run's timings
live only in `_manifest.json`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from company_risk.atomic import atomic_directory, recover, recover_children
from company_risk.scoring import ScoringError

SCORES = "scores.parquet"
ALERTS = "alerts.csv"
MANIFEST = "_manifest.json"
PREFIX = "date="


def partition_dir(out: Path, date: dt.date) -> Path:
    return Path(out) / f"{PREFIX}{date.isoformat()}"


def list_partitions(out: Path) -> list[dt.date]:
    """Dates of the complete partitions under `out`, ascending: the one definition of "a scored
    day", used by alerts, the daily job and the report. A partition is complete only with its
    `_manifest.json`, which is written last (the Spark engine writes it after its part files);
    a `date=D/` folder without one is an unfinished or foreign folder, never the latest day."""
    out = Path(out)
    if not out.is_dir():
        return []
    recover_children(out)  # a re-score killed half-way: day D back in place
    found = []
    for child in out.iterdir():
        if child.is_dir() and child.name.startswith(PREFIX) and (child / MANIFEST).exists():
            try:
                found.append(dt.date.fromisoformat(child.name.removeprefix(PREFIX)))
            except ValueError:
                continue
    return sorted(found)


def previous_partition(out: Path, date: dt.date) -> dt.date | None:
    """The latest partition dated before `date` (what alerts compare against)."""
    earlier = [d for d in list_partitions(out) if d < date]
    return earlier[-1] if earlier else None


def read_scores(out: Path, date: dt.date, columns: list[str] | None = None) -> pd.DataFrame:
    """A partition's scores: `scores.parquet`, or the Spark engine's `part-*.parquet` files."""
    folder = partition_dir(out, date)
    recover(folder)
    files = (
        [folder / SCORES] if (folder / SCORES).exists() else sorted(folder.glob("part-*.parquet"))
    )
    if not files:
        raise ScoringError(f"{folder}: no scores file in the partition")
    try:
        frames = [pd.read_parquet(f, columns=columns) for f in files]
    except (OSError, ValueError, KeyError) as exc:
        raise ScoringError(f"{folder}: cannot read the scores ({exc})") from exc
    return pd.concat(frames, ignore_index=True).astype({"company_id": "str"})


def write_partition(
    out: Path, date: dt.date, scores: pd.DataFrame, alerts: pd.DataFrame, manifest: dict
) -> Path:
    """Write scores.parquet, alerts.csv and _manifest.json as one atomic partition."""
    target = partition_dir(out, date)
    with atomic_directory(target) as tmp:
        write_scores_file(scores, tmp / SCORES)
        alerts.to_csv(tmp / ALERTS, index=False, lineterminator="\n")
        write_manifest(manifest, tmp / MANIFEST)
    return target


def write_scores_file(scores: pd.DataFrame, path: Path) -> None:
    ordered = scores.sort_values("company_id", kind="stable").reset_index(drop=True)
    ordered.to_parquet(path, index=False, compression="zstd")


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
