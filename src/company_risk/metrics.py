"""Evaluation metrics, the decision threshold and the curves behind the plots.

Computed with scikit-learn and logged by hand (`mlflow.evaluate` is deprecated). The metric
names are a contract with the report stage: `val_<m>` and `test_<m>` for each m in
`METRIC_NAMES`. Ranking metrics (ROC-AUC, PR-AUC, Gini, KS, top-5 %) say whether the riskiest
companies come first; Brier and log loss say whether the probabilities can be taken at face value
(credit limits use them); accuracy and balanced accuracy are at the threshold chosen on validation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from company_risk.errors import CompanyRiskError
from company_risk.schemas import METRIC_NAMES as METRIC_NAMES  # the one list, re-exported

LOWER_IS_BETTER = frozenset({"brier", "log_loss"})
TOP_SHARE = 0.05


class MetricError(CompanyRiskError, ValueError):
    """Metrics asked for on data they cannot describe (one class, mismatched lengths)."""


def _check(y: np.ndarray, p: np.ndarray) -> None:
    if len(y) != len(p):
        raise MetricError(f"{len(y)} labels but {len(p)} probabilities")
    if len(np.unique(y)) < 2:
        raise MetricError("metrics need both classes among the labels")
    if not np.all(np.isfinite(p)):
        raise MetricError("probabilities contain NaN or infinite values")


def choose_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut that maximises Youden's J (TPR - FPR), i.e. the KS point.

    With ~3 % defaults, 0.5 would flag almost nobody; the KS point is the cut that best separates
    the two classes and maximises balanced accuracy. Chosen on validation, applied to test.
    """
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    _check(y, p)
    fpr, tpr, thresholds = roc_curve(y, p)
    best = int(np.argmax(tpr - fpr))
    return float(min(thresholds[best], 1.0))


def top_share_rows(p: np.ndarray, share: float = TOP_SHARE) -> np.ndarray:
    """Positions of the riskiest `share` of rows (at least one), ties broken by position."""
    k = max(1, int(np.ceil(share * len(p))))
    return np.argsort(-np.asarray(p, dtype=float), kind="stable")[:k]


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Every metric in METRIC_NAMES for labels `y` and default probabilities `p`."""
    y, p = np.asarray(y).astype(int), np.asarray(p, dtype=float)
    _check(y, p)
    auc = roc_auc_score(y, p)
    fpr, tpr, _ = roc_curve(y, p)
    predicted = (p >= threshold).astype(int)
    top = top_share_rows(p)
    positives = int(y.sum())
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    return {
        "roc_auc": float(auc),
        "pr_auc": float(average_precision_score(y, p)),
        "gini": float(2 * auc - 1),
        "ks": float(np.max(tpr - fpr)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "accuracy": float(accuracy_score(y, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "precision_top5": float(y[top].mean()),
        "recall_top5": float(y[top].sum() / positives),
    }


def better(metric: str, a: float, b: float, margin: float = 0.0) -> bool:
    """Whether `a` beats `b` on `metric` by at least `margin`, whichever direction is better."""
    if metric in LOWER_IS_BETTER:
        return a <= b - margin
    return a >= b + margin


def sort_key(metric: str, value: float) -> float:
    """A key that sorts the best value of `metric` first."""
    return value if metric in LOWER_IS_BETTER else -value


def roc_points(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    fpr, tpr, _ = roc_curve(np.asarray(y).astype(int), np.asarray(p, dtype=float))
    return pd.DataFrame({"fpr": fpr, "tpr": tpr})


def pr_points(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    precision, recall, _ = precision_recall_curve(
        np.asarray(y).astype(int), np.asarray(p, dtype=float)
    )
    return pd.DataFrame({"recall": recall, "precision": precision})


def calibration_points(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed default rate per probability decile (equal-count bins: with
    rare defaults, equal-width bins would leave almost every row in the first bin)."""
    frame = pd.DataFrame({"y": np.asarray(y).astype(int), "p": np.asarray(p, dtype=float)})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    grouped = frame.groupby("bin", sort=True)
    return pd.DataFrame(
        {
            "predicted": grouped["p"].mean().to_numpy(),
            "observed": grouped["y"].mean().to_numpy(),
            "rows": grouped.size().to_numpy(),
        }
    )


def confusion(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, int]:
    tn, fp, fn, tp = confusion_matrix(
        np.asarray(y).astype(int), (np.asarray(p) >= threshold).astype(int), labels=[0, 1]
    ).ravel()
    return {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)}
