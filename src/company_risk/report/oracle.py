"""The champion beside the oracle: the synthetic world's true default probabilities scored on the
champion's own test rows, and how far ahead of the champion they are, with an interval.

The oracle is estimated by forward simulation that holds each company's board and contagion at
their current values, and the test set is a few hundred defaults: a single gap figure can come
out slightly negative by chance. The interval says whether the gap is told apart from zero. It is
paired: every bootstrap round draws one set of companies and scores both the oracle and the
champion on it, so the spread is that of the difference itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk.report.bootstrap import BootstrapError, WeightedMetrics, company_weights

GAP_METRICS = ("roc_auc", "pr_auc")


def oracle_gap(frame: pd.DataFrame, rounds: int, confidence: float, seed: int) -> pd.DataFrame:
    """Per metric of GAP_METRICS: the oracle's and the model's figure on `frame` (company_id,
    label, probability, oracle), the gap oracle − model and its paired percentile interval.
    Index: metric; columns: oracle, model, gap, low, high, rounds."""
    if not 0 < confidence < 1:
        raise BootstrapError(f"report.confidence must be in (0, 1), got {confidence}")
    y = frame["label"].to_numpy()
    if len(np.unique(y)) < 2:
        raise BootstrapError("the oracle's test rows hold a single class; there is no gap to show")
    model = WeightedMetrics(y, frame["probability"].to_numpy(), threshold=0.5)
    oracle = WeightedMetrics(y, frame["oracle"].to_numpy(), threshold=0.5)
    ones = np.ones(len(frame))
    point_model, point_oracle = model(ones), oracle(ones)
    gaps = []
    for w in company_weights(frame["company_id"].to_numpy(), rounds, seed):
        m, o = model(w), oracle(w)
        if m is not None and o is not None:
            gaps.append([o[k] - m[k] for k in GAP_METRICS])
    tail = (1 - confidence) / 2 * 100
    table = np.array(gaps) if gaps else np.full((1, len(GAP_METRICS)), np.nan)
    return pd.DataFrame(
        {
            "oracle": [point_oracle[k] for k in GAP_METRICS],
            "model": [point_model[k] for k in GAP_METRICS],
            "gap": [point_oracle[k] - point_model[k] for k in GAP_METRICS],
            "low": np.percentile(table, tail, axis=0),
            "high": np.percentile(table, 100 - tail, axis=0),
            "rounds": len(gaps),
        },
        index=pd.Index(GAP_METRICS, name="metric"),
    )
