"""Writing the date partitions `out/date=YYYY-MM-DD/` (their layout and readers: company_risk.artifacts).

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

from company_risk.artifacts import (
    ALERTS_FILE,
    MANIFEST_FILE,
    SCORES_FILE,
    partition_dir,
)
from company_risk.atomic import atomic_directory


def write_partition(
    out: Path, date: dt.date, scores: pd.DataFrame, alerts: pd.DataFrame, manifest: dict
) -> Path:
    """Write scores.parquet, alerts.csv and _manifest.json as one atomic partition."""
    target = partition_dir(out, date)
    with atomic_directory(target) as tmp:
        write_scores_file(scores, tmp / SCORES_FILE)
        alerts.to_csv(tmp / ALERTS_FILE, index=False, lineterminator="\n")
        write_manifest(manifest, tmp / MANIFEST_FILE)
    return target


def write_scores_file(scores: pd.DataFrame, path: Path) -> None:
    ordered = scores.sort_values("company_id", kind="stable").reset_index(drop=True)
    ordered.to_parquet(path, index=False, compression="zstd")


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
