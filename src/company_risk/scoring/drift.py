"""Drift: the population stability index (PSI) of today's scores against the training data.

PSI = Σ (a − e) · ln(a / e) over bins, e and a the shares of the reference (training) and today
in each bin. Numeric bins are the reference's deciles, so each holds ~10 % of training rows;
categoricals are binned by category. Rules of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25
a shift worth a look; the warning level is `scoring.psi_warn`.
"""

from __future__ import annotations

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
