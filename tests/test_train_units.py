"""Unit tests of the train stage's pure parts: split, metrics, gate, candidates, validation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from company_risk import metrics as m
from company_risk.artifacts import GateRecord
from company_risk.config import SplitConfig
from company_risk.schemas import feature_columns
from company_risk.train import candidates as cand
from company_risk.train.example import example_features
from company_risk.train.registry import gate
from company_risk.train.run import TrainError, validate_features
from company_risk.train.split import SplitError, stratified_subsample, temporal_split


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    return example_features(n_companies=400, seed=3)


# ------------------------------------------------------------------------------------- split
def test_split_respects_gap_and_order(world):
    table, _ = world
    cfg = SplitConfig(
        train_until=dt.date(2020, 12, 31), gap_months=12, validation_until=dt.date(2022, 6, 30)
    )
    split = temporal_split(table, cfg)
    dates = table["snapshot_date"]
    train, val, test = dates.iloc[split.train], dates.iloc[split.validation], dates.iloc[split.test]
    assert train.max() <= pd.Timestamp("2020-12-31")
    # the 12-month gap: no validation snapshot within a year of the last training snapshot
    assert val.min() > pd.Timestamp("2021-12-31")
    assert val.max() <= pd.Timestamp("2022-06-30") < test.min()
    assert len(set(split.train) & set(split.validation)) == 0
    # rows in the gap belong to no part
    gap_rows = ((dates > pd.Timestamp("2020-12-31")) & (dates <= pd.Timestamp("2021-12-31"))).sum()
    assert len(split.train) + len(split.validation) + len(split.test) + gap_rows == len(table)
    assert split.describe(dates)["validation_from"] == "2022-01-01"


def test_split_rejects_empty_and_single_class_parts(world):
    table, _ = world
    with pytest.raises(SplitError, match="test set .* is empty"):
        temporal_split(table, SplitConfig(validation_until=dt.date(2030, 1, 1)))
    with pytest.raises(SplitError, match="no validation snapshots"):
        temporal_split(
            table,
            SplitConfig(train_until=dt.date(2022, 12, 31), validation_until=dt.date(2023, 6, 30)),
        )
    healthy = table.assign(
        label=np.where(table["snapshot_date"] > pd.Timestamp("2023-06-30"), 0, table["label"])
    )
    with pytest.raises(SplitError, match="test set .* single class"):
        temporal_split(healthy, SplitConfig())


def test_stratified_subsample_keeps_class_shares():
    y = np.array([1] * 100 + [0] * 900)
    rows = stratified_subsample(y, 200, seed=1)
    assert len(rows) == 200 and y[rows].sum() == 20
    assert np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, stratified_subsample(y, 200, seed=1))
    np.testing.assert_array_equal(stratified_subsample(y, None, seed=1), np.arange(1000))


# ----------------------------------------------------------------------------------- metrics
def test_metrics_on_a_known_ranking():
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.05, 0.4, 0.9, 0.35])
    out = m.binary_metrics(y, p, threshold=0.35)
    assert set(out) == set(m.METRIC_NAMES)
    assert out["roc_auc"] == pytest.approx(15 / 16)
    assert out["gini"] == pytest.approx(2 * 15 / 16 - 1)
    # riskiest 5 % of 10 rows = 1 row, the 0.9 default
    assert out["precision_top5"] == 1.0 and out["recall_top5"] == 0.5
    assert out["accuracy"] == pytest.approx(0.9)  # 0.4 is a false positive
    assert out["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m.choose_threshold(y, p) == pytest.approx(0.35)


def test_metrics_reject_single_class():
    with pytest.raises(m.MetricError, match="both classes"):
        m.binary_metrics(np.zeros(5), np.full(5, 0.1), 0.5)


def test_metric_direction():
    assert m.better("roc_auc", 0.80, 0.79, margin=0.005)
    assert not m.better("roc_auc", 0.792, 0.79, margin=0.005)
    assert m.better("brier", 0.020, 0.030, margin=0.005)
    assert not m.better("brier", 0.030, 0.020)


# -------------------------------------------------------------------------------------- gate
def test_gate_first_when_no_champion():
    decision = gate("roc_auc", 0.002, candidate_test=0.70, champion_test=None)
    assert decision.decision == "first"
    assert decision == GateRecord("first", "roc_auc", 0.002, 0.70, None)


def test_gate_promotes_only_by_min_improvement():
    assert gate("roc_auc", 0.002, 0.753, 0.750).decision == "promoted"
    assert gate("roc_auc", 0.002, 0.751, 0.750).decision == "kept"
    assert gate("roc_auc", 0.002, 0.700, 0.750).decision == "kept"
    # lower-is-better metrics gate the other way
    assert gate("brier", 0.001, 0.020, 0.025).decision == "promoted"
    assert gate("brier", 0.001, 0.025, 0.020).decision == "kept"
    # a champion that cannot score today's features is replaced
    assert gate("roc_auc", 0.002, 0.70, None, has_champion=True).decision == "promoted"


# -------------------------------------------------------------------------------- validation
def test_validate_features_coerces_types(world):
    table, _ = world
    raw = table.astype({"graph__degree": "int64"})
    out = validate_features(raw, ("graph", "all"))
    assert out["graph__degree"].dtype == "float64"
    assert pd.api.types.is_string_dtype(out["desc__sector"])
    assert out["label"].dtype == "int8"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns=["label"]), "lacks required column.*label"),
        (lambda t: t.drop(columns=["desc__sector"]), "lacks required column.*desc__sector"),
        (
            lambda t: t.drop(columns=feature_columns(t.columns, "tax")),
            "no column for feature set 'tax'",
        ),
        (lambda t: t.assign(label=0), "single class"),
        (lambda t: t.assign(label=2), "label must be 0 or 1"),
        (lambda t: t.assign(tax__debt="high"), "tax__debt.* must be numeric"),
        (lambda t: pd.concat([t, t.head(1)]), "duplicated"),
    ],
)
def test_validate_features_names_the_problem(world, change, message):
    table, _ = world
    with pytest.raises(TrainError, match=message):
        validate_features(change(table), ("graph", "tax", "descriptive", "all"))


def test_validate_features_rejects_unknown_feature_set(world):
    with pytest.raises(TrainError, match="unknown feature set"):
        validate_features(world[0], ("graph", "financial"))


# -------------------------------------------------------------------------------- candidates
def test_model_specs_let_params_override_search():
    specs = cand.model_specs(
        {"random_forest": {"n_estimators": 50, "max_depth": 5}, "naive_bayes": {}}
    )
    rf = specs["random_forest"]
    assert rf.settings["n_estimators"] == 50 and rf.settings["max_depth"] == 5
    assert "max_depth" not in rf.search  # fixed in params.yaml, so not searched
    draws = rf.candidates(4, seed=1)
    assert len(draws) == 4 and draws[0] == rf.settings
    assert all(d["max_depth"] == 5 and d["n_estimators"] == 50 for d in draws)
    assert len({tuple(sorted(map(str, d.items()))) for d in draws}) == 4
    custom = cand.model_specs({"logistic_regression": {"search": {"C": [0.5, 2.0]}}})
    assert custom["logistic_regression"].search == {"C": [0.5, 2.0]}


def test_bad_model_settings_are_named(world):
    table, _ = world
    columns = feature_columns(table.columns, "tax")
    with pytest.raises(cand.CandidateError, match="models.decision_tree"):
        cand.fit_pipeline(
            "decision_tree", {"depth_max": 3}, table, table["label"].to_numpy(), columns, 0, 1
        )
    with pytest.raises(cand.CandidateError, match="search"):
        cand.model_specs({"svm": {"search": {"C": []}}})
    with pytest.raises(cand.CandidateError, match="strategy"):
        cand.resolve_svm_strategy({"strategy": "quantum", "max_train_rows": 10}, 100)
    assert cand.resolve_svm_strategy({"strategy": "auto", "max_train_rows": 10}, 100) == "nystroem"
    assert cand.resolve_svm_strategy({"strategy": "auto", "max_train_rows": 1000}, 100) == "exact"


def test_each_family_carries_signal_and_all_beats_them():
    """The example world behaves like the real one is meant to: every family alone ranks
    defaults, all together rank them better."""
    from sklearn.metrics import roc_auc_score

    table, _ = example_features(n_companies=1000, seed=5)
    train = table[table["snapshot_date"] <= pd.Timestamp("2021-12-31")]
    test = table[table["snapshot_date"] > pd.Timestamp("2023-06-30")]
    auc = {}
    for feature_set in ("graph", "tax", "descriptive", "all"):
        columns = feature_columns(table.columns, feature_set)
        spec = cand.model_specs({"logistic_regression": {}})["logistic_regression"]
        model = cand.fit_pipeline(
            "logistic_regression", spec.settings, train, train["label"].to_numpy(), columns, 0, 1
        )
        auc[feature_set] = roc_auc_score(test["label"], model.predict_proba(test)[:, 1])
    assert min(auc["graph"], auc["tax"], auc["descriptive"]) >= 0.6, auc
    assert auc["all"] > max(auc["graph"], auc["tax"], auc["descriptive"]) + 0.03, auc
