"""Drift: the population stability index (PSI) of today's scores against the training data.

PSI = Σ (a − e) · ln(a / e) over bins, e and a the shares of the reference (training) and today
in each bin. Numeric bins are the reference's deciles, so each holds ~10 % of training rows;
categoricals are binned by category. Rules of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25
a shift worth a look; the warning level is `scoring.psi_warn`.

The reference is the champion's training rows at the same point of the year as the scored day
(`season_reference`): several features follow the filing calendar, and a time since an event
read two weeks later is two weeks longer, so comparing unlike days would report the calendar as
drift every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

_FLOOR = 1e-4  # share given to an empty bin, so ln(a / e) stays finite


def psi(reference: pd.Series, actual: pd.Series, bins: int = 10) -> float:
    """PSI of `actual` against `reference`; missing values form a bin of their own."""
    if len(reference) == 0 or len(actual) == 0:
        return float("nan")
    if pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(actual):
        ref = reference.to_numpy(dtype=float)
        act = actual.to_numpy(dtype=float)
        edges = (
            np.unique(np.nanquantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
            if np.isfinite(ref).any()
            else np.array([])
        )
        e = _shares(
            np.where(np.isnan(ref), -1, np.searchsorted(edges, ref, side="right")), len(edges) + 1
        )
        a = _shares(
            np.where(np.isnan(act), -1, np.searchsorted(edges, act, side="right")), len(edges) + 1
        )
    else:
        cats = pd.Index(pd.concat([reference, actual]).astype("str").unique())
        e = _shares(cats.get_indexer(reference.astype("str")), len(cats))
        a = _shares(cats.get_indexer(actual.astype("str")), len(cats))
    return float(np.sum((a - e) * np.log(a / e)))


def _shares(codes: np.ndarray, n: int) -> np.ndarray:
    """Shares of codes 0..n-1 plus a last bin for -1 (missing), floored above zero."""
    counts = np.bincount(np.where(codes < 0, n, codes), minlength=n + 1).astype(float)
    return np.maximum(counts / counts.sum(), _FLOOR)


def drift_table(
    reference: pd.DataFrame, today: pd.DataFrame, columns: list[str], warn: float
) -> pd.DataFrame:
    """PSI per column (the probability and the chosen features): column, psi, warn (bool)."""
    values = [psi(reference[c], today[c]) for c in columns]
    return pd.DataFrame({"column": columns, "psi": values, "warn": [v > warn for v in values]})


def season_reference(
    reference: pd.DataFrame, date: dt.date, clocks: Mapping[str, float]
) -> tuple[pd.DataFrame, str]:
    """The reference rows at `date`'s point of the year, and a description of the choice.

    Rows of `date`'s calendar quarter (annual reports fall due on 30 June: a day in October
    must not be compared with the filing season); of those, the snapshots latest in the
    quarter without passing `date`'s day of it. Their clock columns (`clocks`: column -> days in
    its unit) are moved on by the days between, as they would read on `date` had nothing
    happened. All rows, unmoved, where the training snapshots have none in that quarter (e.g.
    yearly snapshots)."""
    quarter = (date.month - 1) // 3 + 1
    snapshots = pd.to_datetime(reference["snapshot_date"])
    in_quarter = snapshots.dt.quarter.to_numpy() == quarter
    if not in_quarter.any():
        return reference, "all training snapshots"
    day = pd.Timestamp(date)
    days_into = (day - day.to_period("Q").start_time).days
    snap_into = (snapshots - snapshots.dt.to_period("Q").dt.start_time).dt.days.to_numpy()
    not_after = in_quarter & (snap_into <= days_into)
    if not not_after.any():  # every snapshot of the quarter lies later in it than `date`
        return reference.loc[in_quarter], f"training snapshots of Q{quarter}"
    latest = snap_into[not_after].max()
    rows = reference.loc[not_after & (snap_into == latest)].copy()
    gap = days_into - int(latest)
    for column, unit_days in clocks.items():
        if column in rows.columns:
            rows[column] = rows[column] + gap / unit_days
    said = f"training snapshots of Q{quarter}, day {int(latest) + 1} of the quarter"
    if gap and clocks:
        said += f"; time-since features moved on {gap} days"
    return rows, said
