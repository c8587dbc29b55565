"""Each run against the champion: the paired company-bootstrap test of the comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from company_risk.metrics import binary_metrics
from company_risk.report import bootstrap


def _paired_frames(n_companies: int, shift: float, seed: int = 3):
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"{10000000 + i}" for i in range(n_companies)], 2)
    dates = np.tile(pd.to_datetime(["2024-01-01", "2024-04-01"]), n_companies)
    risk = rng.normal(size=len(ids))
    label = (rng.random(len(ids)) < 1 / (1 + np.exp(-(risk * 2 - 2.5)))).astype(int)
    base = pd.DataFrame({"company_id": ids, "snapshot_date": dates, "label": label})
    champion = base.assign(probability=1 / (1 + np.exp(-(risk + rng.normal(0, 0.6, len(ids))))))
    other = base.assign(
        probability=1 / (1 + np.exp(-(risk + rng.normal(0, 0.6 + shift, len(ids)))))
    )
    return champion, other


def _roc(frame: pd.DataFrame) -> float:
    return binary_metrics(frame["label"].to_numpy(), frame["probability"].to_numpy(), 0.5)[
        "roc_auc"
    ]


def test_a_run_as_good_as_the_champion_is_not_told_apart_and_a_worse_one_is():
    champion, _ = _paired_frames(1500, shift=0.0)
    tie = bootstrap.paired_differences(champion, champion, 200, 0.95, 1)
    assert tie.loc["roc_auc", "difference"] == 0 and tie.loc["roc_auc", "p_value"] == 1.0
    _, worse = _paired_frames(1500, shift=1.5)
    roc = bootstrap.paired_differences(worse, champion, 200, 0.95, 1).loc["roc_auc"]
    assert roc["difference"] < -0.02 and roc["high"] < 0 and roc["p_value"] < 0.05
    assert roc["difference"] == pytest.approx(_roc(worse) - _roc(champion), abs=1e-9)


def test_the_paired_interval_is_narrower_than_the_two_separate_ones():
    """Two models of the same companies err on the same companies: pairing cancels that."""
    champion, _ = _paired_frames(1500, shift=0.0)
    rng = np.random.default_rng(9)
    logit = np.log(champion["probability"] / (1 - champion["probability"]))
    other = champion.assign(probability=1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, len(logit))))))
    paired = bootstrap.paired_differences(other, champion, 200, 0.95, 1).loc["roc_auc"]
    alone = bootstrap.bootstrap_intervals(champion, 0.5, 200, 0.95, 1).loc["roc_auc"]
    assert paired["high"] - paired["low"] < (alone["high"] - alone["low"]) / 2


def test_runs_on_other_rows_are_refused_by_the_paired_test():
    champion, other = _paired_frames(200, shift=0.0)
    with pytest.raises(bootstrap.BootstrapError, match="not the reference"):
        bootstrap.paired_differences(other.iloc[:-5], champion, 20, 0.95, 1)


def test_every_other_run_is_tested_against_the_champion():
    champion, other = _paired_frames(300, shift=0.5)
    runs = pd.DataFrame({"run_id": ["c", "o", "unlogged"]})
    predictions = {"c": {"test": champion}, "o": {"test": other}}
    table = bootstrap.against_champion(runs, predictions, "c", 50, 0.95, 1)
    assert set(table["run_id"]) == {"o"}
    assert list(table["metric"]) == list(bootstrap.PAIRED_METRICS)
    assert table["told_apart"].tolist() == [(r.low > 0) or (r.high < 0) for r in table.itertuples()]
    assert bootstrap.against_champion(runs, predictions, "gone", 50, 0.95, 1).empty


def test_a_run_on_other_test_rows_than_the_champion_is_refused_by_name():
    champion, other = _paired_frames(200, shift=0.0)
    runs = pd.DataFrame({"run_id": ["c", "o"]})
    predictions = {"c": {"test": champion}, "o": {"test": other.iloc[:-4]}}
    with pytest.raises(bootstrap.BootstrapError, match="run o: its test rows"):
        bootstrap.against_champion(runs, predictions, "c", 20, 0.95, 1)
