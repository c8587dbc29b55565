"""The comparison tables: every model on every feature set, with intervals, and what they say.

The central table is the one a reader of the original study would look for: five model families
(decision tree, random forest, neural net, SVM, naive Bayes) by three data families (graph, tax,
descriptive), then the combined feature set as a fourth column and the two baselines (XGBoost,
logistic regression) as extra rows. Which data family carries most signal is read off the same
figures: the best and the mean test score of the models trained on that family alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from company_risk.metrics import LOWER_IS_BETTER, METRIC_NAMES
from company_risk.model_table import MODEL_TABLE, names_with_role
from company_risk.schemas import FEATURE_FAMILIES, FEATURE_SETS

# the models, their roles and labels: company_risk.model_table, in comparison order
STUDY_MODELS = names_with_role("study")
BASELINE_MODELS = names_with_role("baseline")
FAMILIES = tuple(FEATURE_FAMILIES)
MODEL_LABELS = {entry.name: entry.label for entry in MODEL_TABLE}
FEATURE_SET_LABELS = {
    "graph": "Graph",
    "tax": "Tax",
    "descriptive": "Descriptive",
    "all": "All combined",
}
METRIC_LABELS = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "gini": "Gini",
    "ks": "KS",
    "brier": "Brier",
    "log_loss": "Log loss",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "precision_top5": "Precision top 5 %",
    "recall_top5": "Recall top 5 %",
}


def with_intervals(runs: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """The runs table with `<split>_<metric>_low` / `_high` columns beside each logged metric
    (NaN where a run has no logged predictions to resample)."""
    out = runs.copy()
    for split in ("val", "test"):
        for metric in METRIC_NAMES:
            for bound in ("low", "high"):
                out[f"{split}_{metric}_{bound}"] = np.nan
    for row in intervals.itertuples(index=False):
        mask = out["run_id"] == row.run_id
        out.loc[mask, f"{row.split}_{row.metric}_low"] = row.low
        out.loc[mask, f"{row.split}_{row.metric}_high"] = row.high
    return out


def format_value(value: float, digits: int = 3) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def format_ci(value: float, low: float, high: float, digits: int = 3) -> str:
    """`0.812 [0.790, 0.833]`, or the value alone when there is no interval."""
    text = format_value(value, digits)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return text
    return f"{text} [{low:.{digits}f}, {high:.{digits}f}]"


def cell(row: pd.Series, split: str, metric: str) -> str:
    return format_ci(
        row[f"{split}_{metric}"], row[f"{split}_{metric}_low"], row[f"{split}_{metric}_high"]
    )


def model_order(models: list[str]) -> list[str]:
    """Study models, then baselines, then anything else, in their fixed comparison order."""
    known = [m for m in (*STUDY_MODELS, *BASELINE_MODELS) if m in models]
    return known + sorted(set(models) - set(known))


def study_table(table: pd.DataFrame, metric: str = "roc_auc", split: str = "test") -> pd.DataFrame:
    """Models (rows) by feature sets (columns), each cell `value [low, high]`; a `role` column
    says which rows are the study's models and which the baselines. Missing cells are `–`."""
    sets = [s for s in FEATURE_SETS if s in set(table["feature_set"])]
    sets += sorted(set(table["feature_set"]) - set(sets))
    rows = []
    for model in model_order(list(table["model"].unique())):
        row = {
            "model": MODEL_LABELS.get(model, model),
            "role": "study" if model in STUDY_MODELS else "baseline",
        }
        for feature_set in sets:
            hit = table.loc[(table["model"] == model) & (table["feature_set"] == feature_set)]
            row[FEATURE_SET_LABELS.get(feature_set, feature_set)] = (
                cell(hit.iloc[0], split, metric) if len(hit) else "–"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def metrics_table(
    table: pd.DataFrame, split: str, metrics: tuple[str, ...] = METRIC_NAMES
) -> pd.DataFrame:
    """One row per run, one column per metric, `value [low, high]`, in model then feature-set order."""
    ordered = sort_runs(table)
    rows = []
    for _, run in ordered.iterrows():
        row = {"model": run["model"], "feature set": run["feature_set"]}
        for metric in metrics:
            row[METRIC_LABELS[metric]] = cell(run, split, metric)
        rows.append(row)
    return pd.DataFrame(rows)


def sort_runs(table: pd.DataFrame) -> pd.DataFrame:
    model_rank = {m: i for i, m in enumerate(model_order(list(table["model"].unique())))}
    set_rank = {s: i for i, s in enumerate(FEATURE_SETS)}
    keys = table["model"].map(model_rank) * 100 + table["feature_set"].map(set_rank).fillna(99)
    return (
        table.assign(_key=keys.to_numpy()).sort_values("_key", kind="stable").drop(columns="_key")
    )


def ranking(table: pd.DataFrame, metric: str, split: str = "val") -> pd.DataFrame:
    """Runs best first on `split`'s `metric` (validation: the order the selection used)."""
    ascending = metric in LOWER_IS_BETTER
    ranked = table.sort_values(f"{split}_{metric}", ascending=ascending, kind="stable").reset_index(
        drop=True
    )
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def family_signal(
    table: pd.DataFrame, metric: str = "roc_auc", split: str = "test"
) -> pd.DataFrame:
    """Per single data family: the best model and its score (with interval) and the mean score
    over all models trained on it, best family first. The combined set is left out: the question
    is which family carries the signal on its own."""
    ascending = metric in LOWER_IS_BETTER
    rows = []
    for family in FAMILIES:
        part = table.loc[table["feature_set"] == family]
        if part.empty:
            continue
        best = part.sort_values(f"{split}_{metric}", ascending=ascending, kind="stable").iloc[0]
        rows.append(
            {
                "feature set": family,
                "best model": best["model"],
                "best": best[f"{split}_{metric}"],
                "best [95 % CI]": cell(best, split, metric),
                "mean over models": float(part[f"{split}_{metric}"].mean()),
                "models": len(part),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "feature set",
            "best model",
            "best",
            "best [95 % CI]",
            "mean over models",
            "models",
        ],
    )
    return out.sort_values("best", ascending=ascending, kind="stable").reset_index(drop=True)


def snapshot_summary(features: pd.DataFrame, bounds: dict[str, str]) -> pd.DataFrame:
    """Population (companies in the table) and 12-month default rate at every snapshot, with the
    part of the temporal split it fell in (from the training run's logged date bounds)."""
    grouped = features.groupby("snapshot_date", sort=True)["label"]
    out = pd.DataFrame({"population": grouped.size(), "defaults": grouped.sum().astype("int64")})
    out["default_rate"] = out["defaults"] / out["population"]
    out = out.reset_index()
    out["part"] = [split_part(d, bounds) for d in out["snapshot_date"]]
    return out[["snapshot_date", "part", "population", "defaults", "default_rate"]]


def split_part(date: pd.Timestamp, bounds: dict[str, str]) -> str:
    """train / validation / test for a snapshot date, `gap` between train and validation."""
    for part in ("train", "validation", "test"):
        low, high = bounds.get(f"{part}_from"), bounds.get(f"{part}_until")
        if low and high and pd.Timestamp(low) <= date <= pd.Timestamp(high):
            return part
    return "gap"
