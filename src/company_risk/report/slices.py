"""Performance of the champion by sector, county, company age, legal form and data depth.

One overall ROC-AUC can hide a segment where the model is no better than chance (young
companies have little history; a rare legal form has few defaults to learn from). Each slice
shows its size, defaults, observed versus predicted default rate (calibration within the slice)
and its ROC-AUC and PR-AUC; slices whose ROC-AUC falls well below the overall one are flagged.
A slice with too few defaults gets no AUC at all: an AUC over a handful of defaults is noise.
The data-depth slice (company_risk.data_depth: A-D, how much evidence is behind a score) shows
whether the grade a credit manager sees beside a score also tells how far to trust it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from company_risk.data_depth import COLUMNS as DATA_DEPTH_COLUMNS
from company_risk.data_depth import GRADES, data_depth

AGE_EDGES = (0.0, 1.0, 3.0, 5.0, 10.0, np.inf)
AGE_LABELS = ("< 1 year", "1–3 years", "3–5 years", "5–10 years", "10+ years")
SLICE_SOURCES = {
    "sector": "desc__sector",
    "county": "desc__county",
    "legal form": "desc__legal_form",
}
DATA_DEPTH = "data depth"
# a grade reads with its meaning, so the report's table explains itself
DATA_DEPTH_LABELS = {grade: f"{grade}: {meaning}" for grade, meaning in GRADES.items()}
# dimensions whose values read best in their own order (else largest slice first)
ORDERED = {"company age": AGE_LABELS, DATA_DEPTH: tuple(DATA_DEPTH_LABELS.values())}
SLICE_COLUMNS = [
    "slice",
    "value",
    "rows",
    "share",
    "defaults",
    "default_rate",
    "mean_probability",
    "roc_auc",
    "pr_auc",
    "weaker",
]


def age_in_years(values: pd.Series, column: str) -> pd.Series:
    """The age feature in years, whatever unit its name says (`_days`, `_months`, else years)."""
    if column.endswith("_days"):
        return values / 365.25
    if column.endswith("_months"):
        return values / 12.0
    return values


def slice_frame(
    predictions: pd.DataFrame, features: pd.DataFrame, age_column: str | None
) -> pd.DataFrame:
    """Predictions (company_id, snapshot_date, label, probability) with each slice's value
    attached from the features table at the same snapshot."""
    depth = all(c in features.columns for c in DATA_DEPTH_COLUMNS)
    keep = [
        "company_id",
        "snapshot_date",
        *[c for c in SLICE_SOURCES.values() if c in features.columns],
    ]
    if age_column:
        keep.append(age_column)
    if depth:
        keep += [c for c in DATA_DEPTH_COLUMNS if c not in keep]
    right = features[keep].copy()
    right["snapshot_date"] = right["snapshot_date"].astype(predictions["snapshot_date"].dtype)
    joined = predictions.merge(
        right, on=["company_id", "snapshot_date"], how="left", validate="one_to_one", indicator=True
    )
    out = joined[["company_id", "snapshot_date", "label", "probability"]].copy()
    for name, source in SLICE_SOURCES.items():
        if source in joined.columns:
            out[name] = joined[source].astype("str").where(joined[source].notna(), "unknown")
    if age_column:
        years = age_in_years(joined[age_column].astype("float64"), age_column)
        bands = pd.cut(years, bins=list(AGE_EDGES), labels=list(AGE_LABELS), right=False)
        out["company age"] = bands.astype("str").where(bands.notna(), "unknown")
    if depth:  # a prediction without its features row has no grade
        grades = data_depth(joined).map(DATA_DEPTH_LABELS)
        out[DATA_DEPTH] = grades.where(joined["_merge"].eq("both"), "unknown")
    return out


def slice_table(
    frame: pd.DataFrame, dimension: str, overall_auc: float, min_defaults: int, margin: float
) -> pd.DataFrame:
    """One row per value of `dimension`, largest first (age bands and data-depth grades in
    their own order); `share` is the slice's part of all rows of `frame`, `weaker` marks a
    ROC-AUC more than `margin` below `overall_auc`."""
    rows = []
    for value, part in frame.groupby(dimension, sort=False):
        y = part["label"].to_numpy().astype(int)
        p = part["probability"].to_numpy(dtype=float)
        defaults = int(y.sum())
        measurable = defaults >= min_defaults and defaults < len(y)
        auc = float(roc_auc_score(y, p)) if measurable else np.nan
        rows.append(
            {
                "slice": dimension,
                "value": str(value),
                "rows": len(y),
                "share": len(y) / len(frame),
                "defaults": defaults,
                "default_rate": defaults / len(y),
                "mean_probability": float(p.mean()),
                "roc_auc": auc,
                "pr_auc": float(average_precision_score(y, p)) if measurable else np.nan,
                "weaker": bool(measurable and auc < overall_auc - margin),
            }
        )
    out = pd.DataFrame(rows, columns=SLICE_COLUMNS)
    if dimension in ORDERED:  # age bands young to old, grades A to D
        order = {label: i for i, label in enumerate((*ORDERED[dimension], "unknown"))}
        return out.sort_values("value", key=lambda v: v.map(order), kind="stable").reset_index(
            drop=True
        )
    return out.sort_values(["rows", "value"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def all_slices(frame: pd.DataFrame, min_defaults: int, margin: float) -> dict[str, pd.DataFrame]:
    """Slice tables for every slice dimension present in `frame` (see `slice_frame`)."""
    y, p = frame["label"].to_numpy().astype(int), frame["probability"].to_numpy(dtype=float)
    overall = float(roc_auc_score(y, p))
    dimensions = [d for d in (*SLICE_SOURCES, "company age", DATA_DEPTH) if d in frame.columns]
    return {d: slice_table(frame, d, overall, min_defaults, margin) for d in dimensions}


def weaker_slices(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The flagged slices of every dimension, weakest first."""
    flagged = [t.loc[t["weaker"]] for t in tables.values() if len(t)]
    flagged = [t for t in flagged if len(t)]
    if not flagged:
        return pd.DataFrame(columns=SLICE_COLUMNS)
    return (
        pd.concat(flagged, ignore_index=True)
        .sort_values("roc_auc", kind="stable")
        .reset_index(drop=True)
    )
