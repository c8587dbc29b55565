"""Unit tests of the train stage's pure parts: split, metrics, gate, candidates, validation,
and the steps run_training is made of, each alone on a table built in memory."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from builders_example import example_features
from company_risk import metrics as m
from company_risk.artifacts import GateRecord
from company_risk.config import SelectionConfig, SplitConfig, params_from_dict
from company_risk.model_table import MODEL_NAMES
from company_risk.schemas import feature_columns
from company_risk.train import candidates as cand
from company_risk.train import registry
from company_risk.train import run as train_run
from company_risk.train.registry import ChampionInfo, gate
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
    with pytest.raises(cand.CandidateError, match="models.perceptron: unknown model"):
        cand.model_specs({"perceptron": {}})
    # a bad `strategy` or `calibration` is config's to reject (test_config), before training


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


# ------------------------------------------------------------------- the steps of run_training
def step_params(enabled=("naive_bayes", "logistic_regression"), **models):
    sections = {name: {"enabled": name in enabled} for name in MODEL_NAMES}
    return params_from_dict(
        {
            "models": {
                "feature_sets": ["tax", "all"],
                "search_iterations": 1,
                "n_jobs": 1,
                **models,
                **sections,
            }
        }
    )


@pytest.fixture(scope="module")
def inputs(world, tmp_path_factory) -> train_run.TrainInputs:
    folder = tmp_path_factory.mktemp("inputs")
    table, truth = world
    table.to_parquet(folder / "features.parquet", index=False)
    truth.to_parquet(folder / "pd.parquet", index=False)
    return train_run.load_inputs(folder / "features.parquet", folder, step_params())


@pytest.fixture(scope="module")
def grid(inputs) -> tuple[train_run.GridResult, list[str]]:
    logged: list[str] = []
    result = train_run.fit_grid(inputs, step_params(), lambda c: logged.append(c.run_name))
    return result, logged


def test_load_inputs_checks_and_names_what_is_unusable(inputs, tmp_path):
    assert list(inputs.specs) == ["naive_bayes", "logistic_regression"]  # the table's order
    assert inputs.truth is not None and len(inputs.test) == len(inputs.split.test)
    assert inputs.described["test_rows"] == len(inputs.split.test)
    grid_params = train_run.grid_params(inputs, step_params())
    assert grid_params["models"] == "naive_bayes,logistic_regression"
    assert grid_params["feature_sets"] == "tax,all" and grid_params["selection_metric"] == "roc_auc"
    assert grid_params["selection_tie_break"] == "none"  # step_params: the code's default
    tied = dataclasses.replace(
        step_params(), selection=SelectionConfig(tie_break="brier", tie_rounds=50)
    )
    tied_params = train_run.grid_params(inputs, tied)
    assert (tied_params["selection_tie_break"], tied_params["selection_tie_rounds"]) == (
        "brier",
        50,
    )
    assert tied_params["selection_monotonicity_level"] == 0.05
    features = tmp_path / "features.parquet"
    with pytest.raises(TrainError, match="not found"):
        train_run.load_inputs(features, None, step_params())
    inputs.table.to_parquet(features, index=False)
    with pytest.raises(TrainError, match="no model is enabled"):
        train_run.load_inputs(features, None, step_params(enabled=()))
    without_truth = train_run.load_inputs(features, tmp_path / "nowhere", step_params())
    assert without_truth.truth is None


def test_fit_grid_trains_every_cell_in_order_and_keeps_only_the_best_model(grid):
    result, logged = grid
    names = [c.run_name for c in result.candidates]
    assert (
        names
        == logged
        == [
            "naive_bayes__tax",
            "naive_bayes__all",
            "logistic_regression__tax",
            "logistic_regression__all",
        ]
    )
    best_val = max(c.val_metrics["roc_auc"] for c in result.candidates)
    first_best = next(c for c in result.candidates if c.val_metrics["roc_auc"] == best_val)
    assert result.best is first_best
    assert [c.model is not None for c in result.candidates] == [
        c is result.best for c in result.candidates
    ]


def test_fit_grid_names_bad_settings(inputs):
    bad = dataclasses.replace(inputs, specs=cand.model_specs({"decision_tree": {"depth_max": 3}}))
    with pytest.raises(TrainError, match="models.decision_tree"):
        train_run.fit_grid(bad, step_params(), lambda c: None)


def champion(version: str, tags) -> ChampionInfo:
    return ChampionInfo(version=version, run_id=f"run{version}", tags=tags)


def test_rescore_champion_scores_only_a_champion_that_can_serve_today(inputs, grid, monkeypatch):
    best = grid[0].best
    test = inputs.test
    assert train_run.rescore_champion(None, test, "roc_auc") == train_run.ChampionBefore(None)
    foreign = champion("1", None)  # not this project's tags: not scored, so replaced
    assert train_run.rescore_champion(foreign, test, "roc_auc") == train_run.ChampionBefore(foreign)
    monkeypatch.setattr(registry, "load_version", lambda version: best.model)
    ours = champion("1", train_run.version_tags_for(best, inputs.described, "roc_auc"))
    before = train_run.rescore_champion(ours, test, "roc_auc")
    np.testing.assert_allclose(before.probability, best.test_probability)
    assert before.test == pytest.approx(
        m.binary_metrics(
            test["label"].to_numpy(),
            best.test_probability,
            m.choose_threshold(test["label"].to_numpy(), best.test_probability),
        )["roc_auc"]
    )
    lacking = test.drop(columns=[best.columns[0]])  # its features are gone from today's table
    assert train_run.rescore_champion(ours, lacking, "roc_auc").test is None


def test_champion_figures_and_the_registry_record_follow_the_gate(inputs, grid):
    best = grid[0].best
    described = inputs.described
    tags = train_run.version_tags_for(best, described, "roc_auc")
    assert (tags.model, tags.feature_set, tags.features) == (
        best.model_name,
        best.feature_set,
        tuple(best.columns),
    )
    assert tags.train_from == described["train_from"] and tags.test == best.test_metrics["roc_auc"]
    challenger = champion("2", tags)
    old_tags = dataclasses.replace(tags, threshold=0.5, model="old")
    old = champion("1", old_tags)
    sentinel = object()  # the model rescore_champion loaded: not loaded again
    before = train_run.ChampionBefore(
        old, test=0.9, probability=np.full(len(inputs.test), 0.2), model=sentinel
    )

    # kept: the old champion's model, tags and probabilities; the oracle beside it
    kept = train_run.RegistryOutcome(
        tags, challenger, gate("roc_auc", 0.002, best.test_metrics["roc_auc"], 0.9), old
    )
    figures = train_run.champion_figures(best, kept, before, inputs.test, inputs.truth)
    assert figures.model is sentinel and figures.tags == old_tags
    assert figures.probability is before.probability
    assert figures.report["threshold"] == 0.5
    assert {"oracle_test_roc_auc", "oracle_gap_roc_auc"} <= set(figures.report)
    assert set(figures.oracle) == {"oracle_test_roc_auc", "oracle_test_pr_auc", "oracle_test_rows"}
    assert set(figures.metrics) == set(m.METRIC_NAMES)
    record = train_run.registry_record("parent", best, before, kept, "roc_auc")
    assert record.training_run_id == "parent" and record.gate is kept.gate
    assert record.candidate.version == "2" and record.candidate.test == best.test_metrics["roc_auc"]
    assert record.champion_before.version == record.champion_after.version == "1"
    assert record.champion_after.test == 0.9
    assert kept.run_tags() == {
        "decision": "kept",
        "challenger_version": "2",
        "champion_version": "1",
    }

    # the challenger won: its own model and figures, no oracle without the truth
    won = dataclasses.replace(kept, champion_after=challenger)
    figures = train_run.champion_figures(best, won, before, inputs.test, None)
    assert figures.model is best.model and figures.tags == tags and figures.oracle is None
    assert figures.report == {**figures.metrics, "threshold": best.threshold}
    record = train_run.registry_record("parent", best, before, won, "roc_auc")
    assert record.champion_after.version == "2"
    assert record.champion_after.test == best.test_metrics["roc_auc"]
    meta = train_run.champion_meta(challenger, tags)
    assert (meta.version, meta.run_id, meta.feature_columns) == ("2", "run2", tuple(best.columns))


# ------------------------------------------------------------- selection: ranking, then Brier
SELECTION_VALUES = [
    {"roc_auc": 0.80, "brier": 0.030},
    {"roc_auc": 0.82, "brier": 0.032},  # the leader on ROC-AUC
    {"roc_auc": 0.79, "brier": 0.029},  # inside a wide interval, the best Brier there
    {"roc_auc": 0.70, "brier": 0.020},  # the best Brier, far below the leader
    {"roc_auc": 0.78, "brier": 0.031},  # worse than the first on both: never chosen
]


def test_the_selection_breaks_ties_inside_the_leader_s_interval_by_the_tie_break():
    values = SELECTION_VALUES
    assert registry.leader(values, "roc_auc") == 1
    assert registry.choose_candidate(values, "roc_auc", None, (0.78, 0.85)) == 1
    assert registry.choose_candidate(values, "roc_auc", "brier", (0.785, 0.85)) == 2
    assert registry.choose_candidate(values, "roc_auc", "brier", (0.795, 0.85)) == 0
    assert registry.choose_candidate(values, "roc_auc", "brier", (0.81, 0.84)) == 1
    assert registry.choose_candidate(values, "roc_auc", "brier", None) == 1  # no interval
    # a percentile interval that misses the leader's own figure still ties the runs level with it
    level = [{"roc_auc": 0.75, "brier": 0.04}, {"roc_auc": 0.75, "brier": 0.02}]
    assert registry.choose_candidate(level, "roc_auc", "brier", (0.78, 0.85)) == 1
    assert registry.choose_candidate(level, "roc_auc", "brier", None) == 1
    # a lower-is-better metric: the interval's upper end bounds the ties
    losses = [{"log_loss": 0.10, "roc_auc": 0.70}, {"log_loss": 0.12, "roc_auc": 0.80}]
    assert registry.choose_candidate(losses, "log_loss", "roc_auc", (0.09, 0.13)) == 1
    assert registry.choose_candidate(losses, "log_loss", "roc_auc", (0.09, 0.11)) == 0
    # exact ties go to the earlier candidate
    same = [{"roc_auc": 0.8, "brier": 0.03}, {"roc_auc": 0.8, "brier": 0.03}]
    assert registry.choose_candidate(same, "roc_auc", "brier", (0.7, 0.9)) == 0
    assert registry.never_chosen(same, "roc_auc", "brier") == [1]


def test_a_candidate_never_chosen_is_never_chosen_whatever_the_interval():
    values = SELECTION_VALUES
    assert registry.never_chosen(values, "roc_auc", "brier") == [4]
    assert registry.never_chosen(values, "roc_auc", None) == [0, 2, 3, 4]  # all but the leader
    rng = np.random.default_rng(0)
    for _ in range(200):
        values = [
            {"roc_auc": float(a), "brier": float(b)}
            for a, b in zip(
                rng.choice([0.7, 0.75, 0.8], 6), rng.choice([0.02, 0.03, 0.04], 6), strict=True
            )
        ]
        low = float(rng.uniform(0.6, 0.85))
        for tie_break in ("brier", None):
            for interval in ((low, 0.9), None):
                chosen = registry.choose_candidate(values, "roc_auc", tie_break, interval)
                assert chosen not in registry.never_chosen(values, "roc_auc", tie_break)


def test_the_leader_s_interval_is_a_seeded_company_bootstrap():
    rng = np.random.default_rng(1)
    y = (rng.uniform(size=400) < 0.2).astype(int)
    p = np.clip(0.2 + 0.3 * (y - 0.2) + rng.normal(0, 0.15, 400), 0.001, 0.999)
    companies = np.repeat(np.arange(200), 2)
    first = registry.metric_interval("roc_auc", y, p, 0.3, companies, 100, 0.95, seed=7)
    again = registry.metric_interval("roc_auc", y, p, 0.3, companies, 100, 0.95, seed=7)
    assert first == again  # the same seed, the same interval: `make run` picks the same run
    auc = m.binary_metrics(y, p, 0.3)["roc_auc"]
    assert first[0] < auc < first[1]
    assert registry.metric_interval("roc_auc", y * 0, p, 0.3, companies, 10, 0.95, 7) is None


def test_fit_grid_with_a_tie_break_picks_the_best_brier_inside_the_leader_s_interval(inputs):

    params = dataclasses.replace(step_params(), selection=SelectionConfig(tie_break="brier"))
    result = train_run.fit_grid(inputs, params, lambda c: None)
    values = [c.val_metrics for c in result.candidates]
    lead = result.candidates[registry.leader(values, "roc_auc")]
    rows = inputs.split.validation
    low, _ = registry.metric_interval(
        "roc_auc",
        inputs.table["label"].to_numpy()[rows],
        lead.val_probability,
        lead.threshold,
        inputs.table["company_id"].to_numpy()[rows],
        params.selection.tie_rounds,
        params.selection.tie_confidence,
        params.models.seed,
    )
    tied = [c for c in result.candidates if c.val_metrics["roc_auc"] >= low]
    assert result.best is min(tied, key=lambda c: c.val_metrics["brier"])
    # on this world the leader is not the best calibrated of the runs it cannot be told from
    assert result.best is not lead and lead in tied
    assert [c.model is not None for c in result.candidates] == [
        c is result.best for c in result.candidates
    ]


# ------------------------------------------------------------- the gate and the master scale
CUTS = (0.02, 0.05, 0.10, 0.25)
VIOLATION = ["I → V: 100.00% → 0.00% (p = 0.0000)"]


class TagRecorder:
    """Stands in for the MLflow client where only version tags are written."""

    def __init__(self) -> None:
        self.tags: dict[tuple[str, str], str] = {}

    def set_model_version_tag(self, name, version, key, value) -> None:
        self.tags[(version, key)] = value


def test_gate_refuses_a_candidate_whose_classes_fall_whatever_its_metric():
    refused = gate("roc_auc", 0.002, 0.90, 0.70, has_champion=True, violations=VIOLATION)
    assert refused == GateRecord("refused", "roc_auc", 0.002, 0.90, 0.70, tuple(VIOLATION))
    assert gate("roc_auc", 0.002, 0.90, None, violations=VIOLATION).decision == "refused"
    assert gate("roc_auc", 0.002, 0.9, None, has_champion=True, violations=VIOLATION).decision == (
        "refused"
    )
    assert gate("roc_auc", 0.002, 0.90, 0.70, violations=[]).decision == "promoted"


def test_a_refused_candidate_leaves_the_champion_unless_none_can_serve():
    client = TagRecorder()
    candidate, old = champion("2", None), champion("1", None)
    refused = gate("roc_auc", 0.002, 0.9, 0.7, has_champion=True, violations=VIOLATION)
    assert registry.record_gate(client, candidate, refused, old) is old
    assert client.tags[("2", "decision")] == "refused"
    assert client.tags[("2", "gate_monotonicity")] == VIOLATION[0]
    assert client.tags[("2", "gate_champion_version")] == "1"
    # no champion yet: the refused candidate is champion all the same, flagged `refused`
    first = gate("roc_auc", 0.002, 0.9, None, violations=VIOLATION)
    assert registry.record_gate(client, candidate, first, None) is candidate
    # nor can a champion that no longer scores today's rows serve
    lost = gate("roc_auc", 0.002, 0.9, None, has_champion=True, violations=VIOLATION)
    assert registry.record_gate(client, candidate, lost, old) is candidate
    # a monotone candidate is tagged so
    registry.record_gate(client, champion("3", None), gate("roc_auc", 0.002, 0.9, 0.7), old)
    assert client.tags[("3", "gate_monotonicity")] == "monotone"
    assert client.tags[("3", "decision")] == "promoted"


def test_decide_puts_the_validation_predictions_into_classes_and_refuses_a_fall(
    inputs, grid, monkeypatch
):

    best = grid[0].best
    y_val = inputs.table["label"].to_numpy()[inputs.split.validation]
    registered = []

    def register(client, uri, tags):
        registered.append(uri)
        return champion("5", tags)

    monkeypatch.setattr(registry, "register_candidate", register)
    old = champion("1", train_run.version_tags_for(best, inputs.described, "roc_auc"))
    before = train_run.ChampionBefore(old, test=0.5, probability=best.test_probability)
    # the defaults get the lowest probabilities: class I all defaults, class V none
    reversed_best = dataclasses.replace(best, val_probability=np.where(y_val == 1, 0.01, 0.3))
    assert train_run.class_violations(reversed_best, y_val, CUTS, 0.05)[0].startswith("I → V")
    client = TagRecorder()
    outcome = train_run.decide(
        client, reversed_best, before, inputs.described, SelectionConfig(), y_val, CUTS
    )
    assert outcome.gate.decision == "refused" and outcome.champion_after is old
    assert outcome.challenger.version == "5" and registered  # still registered as challenger
    assert not outcome.challenger_is_champion
    assert client.tags[("5", "gate_monotonicity")].startswith("I → V")
    assert outcome.run_tags()["decision"] == "refused"
    # without a champion it serves, flagged
    alone = train_run.decide(
        client,
        reversed_best,
        train_run.ChampionBefore(None),
        inputs.described,
        SelectionConfig(),
        y_val,
        CUTS,
    )
    assert alone.gate.decision == "refused" and alone.challenger_is_champion
    # the defaults in the worst class: monotone, so the usual gate decides
    ordered = dataclasses.replace(best, val_probability=np.where(y_val == 1, 0.3, 0.01))
    assert train_run.class_violations(ordered, y_val, CUTS, 0.05) == []
    first = train_run.decide(
        client,
        ordered,
        train_run.ChampionBefore(None),
        inputs.described,
        SelectionConfig(),
        y_val,
        CUTS,
    )
    assert first.gate.decision == "first"
    assert client.tags[("5", "gate_monotonicity")] == "monotone"


def test_publishing_sets_the_term_structure_tag_only_with_the_alias(tmp_path):
    """The champion version's term-structure tag is set with the alias move, and a publish
    that fails puts the tag back as it was: a `models:/` reader and models/champion/ agree."""
    import mlflow

    from company_risk.artifacts import REGISTERED_MODEL, VersionRecord
    from company_risk.term_structure import TAG

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(REGISTERED_MODEL)
    (tmp_path / "model").mkdir()
    version = client.create_model_version(REGISTERED_MODEL, source=str(tmp_path / "model"))
    client.set_model_version_tag(REGISTERED_MODEL, version.version, TAG, "old")
    kept = VersionRecord(version=version.version, run_id="r", model="m", feature_set="all")
    out = tmp_path / "reports" / "metrics.json"

    class Injected(RuntimeError):
        pass

    publishing = registry.publish_champion(client, kept, None, [out], tags={TAG: "new"})
    with pytest.raises(Injected), publishing:
        out.parent.mkdir()
        out.write_text("{}")
        raise Injected
    assert client.get_model_version(REGISTERED_MODEL, version.version).tags[TAG] == "old"
    assert not out.exists()

    with registry.publish_champion(client, kept, None, [out], tags={TAG: "new"}):
        out.parent.mkdir(exist_ok=True)
        out.write_text("{}")
    assert client.get_model_version(REGISTERED_MODEL, version.version).tags[TAG] == "new"
    assert registry.current_champion(client).version == str(version.version)
