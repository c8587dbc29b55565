"""Bootstrap confidence intervals for every metric of a run, resampling companies.

The test set holds several snapshots of the same companies, so its rows are not independent: a
row bootstrap would pretend there is more evidence than there is and give intervals too narrow.
Each round draws *companies* with replacement and keeps all their rows (a cluster bootstrap).

The same seed is used for every run, so on one split all runs see the same resampled companies
(common random numbers): differences between runs are then not blurred by different draws.
The metrics are the definitions of company_risk.metrics, whose values MLflow holds, so
the point estimate and its interval describe the same quantity.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from company_risk.errors import CompanyRiskError
from company_risk.metrics import METRIC_NAMES, TOP_SHARE, binary_metrics


class BootstrapError(CompanyRiskError, ValueError):
    """Bad bootstrap settings or inputs."""


def company_weights(company_ids: np.ndarray, rounds: int, seed: int) -> Iterator[np.ndarray]:
    """Per round, how many times each row is drawn: companies drawn with replacement, each
    with all its rows (yielded one round at a time: at register scale all would not fit).
    Companies are numbered in sorted order, so two tables of the same companies, in any row
    order, draw the same companies in every round: their rounds can be paired afterwards."""
    if rounds < 1:
        raise BootstrapError(f"report.bootstrap_rounds must be >= 1, got {rounds}")
    codes, uniques = pd.factorize(pd.Series(company_ids, dtype="str"), sort=True)
    rng = np.random.default_rng(seed)
    n_companies = len(uniques)
    for _ in range(rounds):
        counts = np.bincount(rng.integers(0, n_companies, n_companies), minlength=n_companies)
        yield counts[codes].astype(float)


class WeightedMetrics:
    """Every metric of company_risk.metrics.binary_metrics, for row weights.

    A resample that draws a row k times is the same as weighting it k, so the metrics of each
    round are computed from the weights without building the resampled table: the rows are
    sorted once, and each round is a handful of weighted sums over that order (hundreds of times
    faster than re-running scikit-learn on a materialised resample, which matters with 28 runs x
    2 splits x hundreds of rounds). The tests check the figures equal binary_metrics' on the
    materialised resamples.
    """

    def __init__(self, y: np.ndarray, p: np.ndarray, threshold: float):
        self.y = np.asarray(y).astype(float)
        self.p = np.asarray(p, dtype=float)
        self.order = np.argsort(-self.p, kind="stable")  # riskiest first, ties by position
        sorted_p = self.p[self.order]
        # distinct probability values, riskiest first; group of each row in that order
        self.group = np.concatenate([[0], np.cumsum(sorted_p[1:] != sorted_p[:-1])])
        self.n_groups = int(self.group[-1]) + 1 if len(self.group) else 0
        self.flagged = (self.p >= threshold).astype(float)
        clipped = np.clip(self.p, 1e-15, 1 - 1e-15)
        self.row_loss = -(self.y * np.log(clipped) + (1 - self.y) * np.log(1 - clipped))
        self.row_brier = (self.p - self.y) ** 2

    def __call__(self, w: np.ndarray) -> dict[str, float] | None:
        """The metrics for row weights `w`, or None when the weighted rows hold one class."""
        y = self.y
        positives, total = float(w @ y), float(w.sum())
        negatives = total - positives
        if positives <= 0 or negatives <= 0:
            return None
        ws = w[self.order]
        ys = y[self.order]
        tp = np.cumsum(np.bincount(self.group, ws * ys, self.n_groups))
        fp = np.cumsum(np.bincount(self.group, ws * (1 - ys), self.n_groups))
        tpr, fpr = tp / positives, fp / negatives
        auc = float(np.trapezoid(np.concatenate([[0.0], tpr]), np.concatenate([[0.0], fpr])))
        precision = tp / np.maximum(tp + fp, 1e-300)
        recall_step = np.diff(np.concatenate([[0.0], tpr]))
        flagged_pos = float(w @ (self.flagged * y))
        flagged_neg = float(w @ (self.flagged * (1 - y)))
        k = max(1, int(np.ceil(TOP_SHARE * total)))
        before = np.cumsum(ws) - ws
        taken = np.clip(k - before, 0, ws)
        top_positives = float(taken @ ys)
        return {
            "roc_auc": auc,
            "pr_auc": float(recall_step @ precision),
            "gini": 2 * auc - 1,
            "ks": float(np.max(tpr - fpr)),
            "brier": float(w @ self.row_brier) / total,
            "log_loss": float(w @ self.row_loss) / total,
            "accuracy": (flagged_pos + (negatives - flagged_neg)) / total,
            "balanced_accuracy": (flagged_pos / positives + (negatives - flagged_neg) / negatives)
            / 2,
            "precision_top5": top_positives / k,
            "recall_top5": top_positives / positives,
        }


def metric_rounds(frame: pd.DataFrame, threshold: float, rounds: int, seed: int) -> np.ndarray:
    """Every metric of METRIC_NAMES in every round over company resamples of `frame`
    (company_id, label, probability): rounds x metrics, NaN in a round whose resample holds a
    single class. Rounds of two tables of the same companies resample the same companies."""
    missing = {"company_id", "label", "probability"} - set(frame.columns)
    if missing:
        raise BootstrapError(f"predictions lack column(s) {sorted(missing)}")
    metrics = WeightedMetrics(frame["label"].to_numpy(), frame["probability"].to_numpy(), threshold)
    out = np.full((rounds, len(METRIC_NAMES)), np.nan)
    for k, w in enumerate(company_weights(frame["company_id"].to_numpy(), rounds, seed)):
        values = metrics(w)
        if values is not None:
            out[k] = [values[m] for m in METRIC_NAMES]
    return out


def intervals_of(table: np.ndarray, confidence: float) -> pd.DataFrame:
    """Percentile intervals of `metric_rounds` output. Index: metric; columns: low, high,
    rounds (the rounds that held both classes)."""
    if not 0 < confidence < 1:
        raise BootstrapError(f"report.confidence must be in (0, 1), got {confidence}")
    valid = table[~np.isnan(table).any(axis=1)]
    if not len(valid):
        return pd.DataFrame(
            {"low": np.nan, "high": np.nan, "rounds": 0},
            index=pd.Index(METRIC_NAMES, name="metric"),
        )
    tail = (1 - confidence) / 2 * 100
    return pd.DataFrame(
        {
            "low": np.percentile(valid, tail, axis=0),
            "high": np.percentile(valid, 100 - tail, axis=0),
            "rounds": len(valid),
        },
        index=pd.Index(METRIC_NAMES, name="metric"),
    )


def bootstrap_intervals(
    frame: pd.DataFrame,
    threshold: float,
    rounds: int,
    confidence: float,
    seed: int,
) -> pd.DataFrame:
    """Percentile intervals of every metric over company resamples of `frame`
    (company_id, label, probability). Index: metric; columns: low, high, rounds (the rounds that
    held both classes; a resample with a single class has no ROC-AUC and is skipped)."""
    if not 0 < confidence < 1:
        raise BootstrapError(f"report.confidence must be in (0, 1), got {confidence}")
    return intervals_of(metric_rounds(frame, threshold, rounds, seed), confidence)


def run_intervals(
    runs: pd.DataFrame,
    predictions: dict[str, dict[str, pd.DataFrame]],
    rounds: int,
    confidence: float,
    seed: int,
    test_rounds: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Long table for every run with logged predictions: run_id, split ("val"/"test"), metric,
    low, high, rounds. Each run's accuracy metrics use its own validation-chosen threshold.
    `test_rounds`, when given, receives each run's test `metric_rounds` (for the paired
    tests against the champion, which then need no resampling of their own)."""
    parts = []
    for run in runs.itertuples(index=False):
        if run.run_id not in predictions:
            continue
        for split, key in (("val", "validation"), ("test", "test")):
            per_round = metric_rounds(
                predictions[run.run_id][key], float(run.threshold), rounds, seed
            )
            if split == "test" and test_rounds is not None:
                test_rounds[run.run_id] = per_round
            table = intervals_of(per_round, confidence)
            parts.append(table.reset_index().assign(run_id=run.run_id, split=split))
    columns = ["run_id", "split", "metric", "low", "high", "rounds"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def recomputed_gap(runs: pd.DataFrame, predictions: dict[str, dict[str, pd.DataFrame]]) -> float:
    """Largest absolute difference between a metric MLflow holds and the same metric recomputed
    from the run's logged predictions: the check that the intervals describe the logged figures."""
    gap = 0.0
    for run in runs.itertuples(index=False):
        if run.run_id not in predictions:
            continue
        for split, key in (("val", "validation"), ("test", "test")):
            frame = predictions[run.run_id][key]
            again = binary_metrics(
                frame["label"].to_numpy(), frame["probability"].to_numpy(), float(run.threshold)
            )
            for metric, value in again.items():
                logged = getattr(run, f"{split}_{metric}")
                if np.isfinite(logged):
                    gap = max(gap, abs(value - logged))
    return gap


PAIRED_METRICS = ("roc_auc", "pr_auc")


def paired_differences(
    frame: pd.DataFrame,
    reference: pd.DataFrame,
    rounds: int,
    confidence: float,
    seed: int,
    metrics: tuple[str, ...] = PAIRED_METRICS,
) -> pd.DataFrame:
    """A run against the reference (the champion) on the same test rows: per metric the point
    difference run − reference, its paired percentile interval and a two-sided bootstrap
    p-value. Paired: every round draws one set of companies and scores both runs on it, so the
    spread is that of the difference itself, much narrower than two separate intervals, which
    is what lets runs 0.02 apart be told apart. Rows are matched on company and snapshot.
    Index: metric; columns: difference, low, high, p_value, rounds."""
    if not 0 < confidence < 1:
        raise BootstrapError(f"report.confidence must be in (0, 1), got {confidence}")
    keys = ["company_id", "snapshot_date"]
    both = reference[[*keys, "label", "probability"]].merge(
        frame[[*keys, "probability"]], on=keys, suffixes=("_ref", "_run"), validate="one_to_one"
    )
    if len(both) != len(reference):
        raise BootstrapError(
            f"the run's test rows ({len(frame)}) are not the reference's ({len(reference)})"
        )
    y = both["label"].to_numpy()
    run = WeightedMetrics(y, both["probability_run"].to_numpy(), threshold=0.5)
    ref = WeightedMetrics(y, both["probability_ref"].to_numpy(), threshold=0.5)
    ones = np.ones(len(both))
    point_run, point_ref = run(ones), ref(ones)
    if point_run is None or point_ref is None:
        raise BootstrapError("the test rows hold a single class; there is no difference to test")
    diffs = []
    for w in company_weights(both["company_id"].to_numpy(), rounds, seed):
        a, b = run(w), ref(w)
        if a is not None and b is not None:
            diffs.append([a[m] - b[m] for m in metrics])
    point = {m: point_run[m] - point_ref[m] for m in metrics}
    return _difference_table(point, np.array(diffs).reshape(-1, len(metrics)), confidence)


def against_champion(
    runs: pd.DataFrame,
    predictions: dict[str, dict[str, pd.DataFrame]],
    champion_run_id: str,
    rounds: int,
    confidence: float,
    seed: int,
    test_rounds: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Every other run with logged predictions against the champion on the same test rows,
    paired round by round. Long table: run_id, metric, difference, low, high, p_value, rounds,
    told_apart (the interval excludes zero). `test_rounds` are run_intervals' resampled test
    metrics (the same seed and rounds), reused instead of resampling again."""
    columns = ["run_id", "metric", "difference", "low", "high", "p_value", "rounds", "told_apart"]
    if champion_run_id not in predictions:
        return pd.DataFrame(columns=columns)
    cache = {} if test_rounds is None else test_rounds
    reference = predictions[champion_run_id]["test"]
    keys = ["company_id", "snapshot_date"]
    reference_keys = reference[keys].sort_values(keys).reset_index(drop=True)

    def rounds_of(run_id: str) -> np.ndarray:
        if run_id not in cache:
            cache[run_id] = metric_rounds(predictions[run_id]["test"], 0.5, rounds, seed)
        return cache[run_id]

    picked = [METRIC_NAMES.index(m) for m in PAIRED_METRICS]
    parts = []
    for run_id in runs["run_id"]:
        if run_id == champion_run_id or run_id not in predictions:
            continue
        frame = predictions[run_id]["test"]
        same_rows = len(frame) == len(reference) and frame[keys].sort_values(keys).reset_index(
            drop=True
        ).equals(reference_keys)
        if not same_rows:
            raise BootstrapError(
                f"run {run_id}: its test rows ({len(frame)}) are not the champion's "
                f"({len(reference)})"
            )
        diffs = (rounds_of(run_id) - rounds_of(champion_run_id))[:, picked]
        diffs = diffs[~np.isnan(diffs).any(axis=1)]
        point = paired_point(frame, reference)
        parts.append(
            _difference_table(point, diffs, confidence).reset_index().assign(run_id=run_id)
        )
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out["told_apart"] = (out["low"] > 0) | (out["high"] < 0)
    return out[columns]


def paired_point(frame: pd.DataFrame, reference: pd.DataFrame) -> dict[str, float]:
    """The full-sample difference run − reference of each metric of PAIRED_METRICS."""
    run = binary_metrics(frame["label"].to_numpy(), frame["probability"].to_numpy(), 0.5)
    ref = binary_metrics(reference["label"].to_numpy(), reference["probability"].to_numpy(), 0.5)
    return {m: run[m] - ref[m] for m in PAIRED_METRICS}


def _difference_table(
    point: dict[str, float], diffs: np.ndarray, confidence: float
) -> pd.DataFrame:
    """Point differences, percentile intervals and two-sided bootstrap p-values (twice the
    smaller share of rounds on either side of zero, counting the point itself once)."""
    metrics = list(point)
    table = diffs if len(diffs) else np.full((1, len(metrics)), np.nan)
    tail = (1 - confidence) / 2 * 100
    below = (np.sum(table <= 0, axis=0) + 1) / (len(table) + 1)
    above = (np.sum(table >= 0, axis=0) + 1) / (len(table) + 1)
    return pd.DataFrame(
        {
            "difference": [point[m] for m in metrics],
            "low": np.percentile(table, tail, axis=0),
            "high": np.percentile(table, 100 - tail, axis=0),
            "p_value": np.minimum(1.0, 2 * np.minimum(below, above)),
            "rounds": len(diffs),
        },
        index=pd.Index(metrics, name="metric"),
    )
