"""The network-feature ablation: the groups and variants (train.ablation), one fixed model per
variant on the same rows, the same predictions for the same input, and the report's paired
figures (report.ablation): an addition with signal is told apart from the base, one with noise
is not; the section is there with the artifact and a note without it."""

from __future__ import annotations

import dataclasses

import mlflow
import numpy as np
import pandas as pd
import pytest

from builders_example import example_features
from company_risk.artifacts import ABLATION
from company_risk.config import (
    ConfigError,
    ModelsConfig,
    ProjectPaths,
    SplitConfig,
    params_from_dict,
)
from company_risk.features.graph import FEATURES as GRAPH_FEATURES
from company_risk.metrics import binary_metrics
from company_risk.report.ablation import TITLE, ablation_figures, ablation_section
from company_risk.report.bootstrap import BootstrapError
from company_risk.report.render import Note, Table
from company_risk.report.sections import build_document
from company_risk.schemas import feature_columns
from company_risk.train import ablation
from company_risk.train import candidates as cand
from company_risk.train.ablation import ALL, BASE, GRAPH_ADDITIONS, AblationError, variants
from company_risk.train.run import TrainInputs, log_ablation, validate_features
from company_risk.train.split import stratified_subsample, temporal_split

# the graph family before the research's additions
ORIGINAL_GRAPH = {
    f"graph__{name}"
    for name in (
        "board_size",
        "board_added_6m",
        "board_added_12m",
        "board_removed_6m",
        "board_removed_12m",
        "member_other_boards_mean",
        "member_other_boards_max",
        "degree",
        "linked_companies",
        "linked_defaulted",
        "linked_defaulted_share",
        "member_max_defaulted",
        "linked_tax_debtors",
        "pagerank",
        "component_companies",
        "closeness",
    )
}
KEYS = ["company_id", "snapshot_date", "label"]


def test_the_groups_are_the_graph_features_added_to_the_original_sixteen():
    grouped = [c for group in GRAPH_ADDITIONS.values() for c in group]
    assert len(grouped) == len(set(grouped))  # each addition in one group
    defined = {f.name for f in GRAPH_FEATURES}
    assert defined >= ORIGINAL_GRAPH
    assert set(grouped) == defined - ORIGINAL_GRAPH


# ---------------------------------------------------------------------------------- variants
def with_additions(table: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """example_features' table with three of the additions: defaulted PageRank a noisy view of
    the true risk, eccentricity pure noise, the ties a rare count."""
    rng = np.random.default_rng(3)
    logit = np.log(truth["pd_12m"] / (1 - truth["pd_12m"])).to_numpy()
    return table.assign(
        graph__eccentricity=rng.integers(0, 6, len(table)).astype(float),
        graph__defaulted_pagerank=np.exp(logit + rng.normal(0, 0.3, len(table))),
        **{
            c: rng.poisson(0.05, len(table)).astype(float)
            for c in GRAPH_ADDITIONS["ties per role family"]
        },
    )


@pytest.fixture(scope="module")
def table_and_split():
    table, truth = example_features(n_companies=300, seed=2)
    table = validate_features(with_additions(table, truth), ("all",))
    return table, temporal_split(table, SplitConfig())


def test_the_variants_are_the_base_each_addition_the_table_holds_and_all(table_and_split):
    table, _ = table_and_split
    found = variants(table.columns)
    assert [v.name for v in found] == [
        BASE,
        "eccentricity",
        "defaulted PageRank",
        "ties per role family",
        ALL,
    ]
    features = feature_columns(table.columns, "all")
    added = {c for group in GRAPH_ADDITIONS.values() for c in group}
    by_name = {v.name: v.columns for v in found}
    assert by_name[BASE] == [c for c in features if c not in added]
    assert {"graph__degree", "graph__closeness", "tax__debt", "desc__sector"} <= set(by_name[BASE])
    for name in ("eccentricity", "defaulted PageRank", "ties per role family"):
        group = set(GRAPH_ADDITIONS[name])
        assert by_name[name] == [c for c in features if c not in added or c in group]
    assert by_name[ALL] == features


def test_a_table_without_additions_or_without_a_base_is_a_named_error(table_and_split):
    table, _ = table_and_split
    added = [c for group in GRAPH_ADDITIONS.values() for c in group]
    with pytest.raises(AblationError, match="none of the network additions"):
        variants(table.drop(columns=[c for c in added if c in table.columns]).columns)
    with pytest.raises(AblationError, match="base is empty"):
        variants(["company_id", "snapshot_date", "label", "graph__eccentricity"])


# ------------------------------------------------------------------------------------- fit
@pytest.fixture(scope="module")
def fitted(table_and_split):
    """The ablation on the small table, with the training rows each fit saw."""
    table, split = table_and_split
    cfg = ModelsConfig(n_jobs=1, max_train_rows=3000)
    seen: list[int] = []
    original = cand.fit_pipeline

    def counting(name, settings, X, *args):
        seen.append(len(X))
        return original(name, settings, X, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cand, "fit_pipeline", counting)
        predictions = ablation.fit_ablation(table, split, cfg)
    return predictions, seen, cfg


def test_one_probability_column_per_variant_on_the_test_rows(table_and_split, fitted):
    table, split = table_and_split
    predictions, seen, cfg = fitted
    names = [v.name for v in variants(table.columns)]
    assert list(predictions.columns) == [*KEYS, *names]
    test = table.iloc[split.test]
    assert len(predictions) == len(test)
    assert predictions["company_id"].tolist() == test["company_id"].tolist()
    assert (predictions["label"].to_numpy() == test["label"].to_numpy()).all()
    for name in names:
        p = predictions[name].to_numpy()
        assert p.dtype == np.float64 and ((p > 0) & (p < 1)).all()
    # every variant fitted on the same capped, stratified training rows
    y_train = table["label"].to_numpy()[split.train]
    capped = len(stratified_subsample(y_train, cfg.max_train_rows, cfg.seed))
    assert capped < len(split.train)
    assert seen == [capped] * len(names)


def test_the_same_input_gives_the_same_predictions(table_and_split, fitted):
    table, split = table_and_split
    predictions, _, cfg = fitted
    again = ablation.fit_ablation(table.copy(), split, cfg)
    pd.testing.assert_frame_equal(again, predictions)


# ---------------------------------------------------------------------------------- report
def hand_made(n_companies: int = 600, seed: int = 0) -> pd.DataFrame:
    """An ablation's predictions: two snapshots per company; the label follows two risks, the
    base sees the first, `signal` both, `noise` the base's with a little noise, `constant` the
    base's own; `all` as `signal`."""
    rng = np.random.default_rng(seed)
    rows = 2 * n_companies
    first, second = rng.normal(size=rows), rng.normal(size=rows)
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-(-2.5 + first + second)))).astype("int8")
    base = -2.5 + first + rng.normal(0, 0.5, rows)
    logits = {
        "base": base,
        "signal": base + second,
        "noise": base + rng.normal(0, 0.05, rows),
        "constant": base,
        "all": base + second,
    }
    return pd.DataFrame(
        {
            "company_id": np.repeat([f"{10000000 + i}" for i in range(n_companies)], 2),
            "snapshot_date": np.tile(pd.to_datetime(["2023-07-01", "2023-10-01"]), n_companies),
            "label": y,
            **{name: 1 / (1 + np.exp(-logit)) for name, logit in logits.items()},
        }
    )


def test_an_addition_with_signal_is_told_apart_and_one_with_noise_is_not():
    predictions = hand_made()
    f = ablation_figures(predictions, rounds=200, confidence=0.95, seed=11)
    assert f.variants == ("base", "signal", "noise", "constant", "all")
    assert (f.base, f.together, f.additions) == ("base", "all", ("signal", "noise", "constant"))
    assert f.rows == len(predictions) and f.companies == 600
    assert f.defaults == int(predictions["label"].sum())
    assert f.identical == ("constant",)
    d = f.differences.set_index(["variant", "metric"])
    y = predictions["label"].to_numpy()
    for variant in f.variants:
        figures = binary_metrics(y, predictions[variant].to_numpy(), 0.5)
        for metric in ("roc_auc", "precision_top5"):
            assert f.levels.at[variant, metric] == pytest.approx(figures[metric])
            low, high = (
                f.levels.at[variant, f"{metric}_low"],
                f.levels.at[variant, f"{metric}_high"],
            )
            assert low <= figures[metric] <= high
            if variant != "base":
                gain = figures[metric] - f.levels.at["base", metric]
                assert d.at[(variant, metric), "difference"] == pytest.approx(gain)
    for metric in ("roc_auc", "precision_top5"):
        assert d.at[("signal", metric), "told_apart"]
        assert d.at[("signal", metric), "low"] > 0
        assert d.at[("signal", metric), "p_value"] < 0.05
        assert not d.at[("noise", metric), "told_apart"]
        assert d.at[("noise", metric), "p_value"] > 0.05
        assert d.at[("constant", metric), "difference"] == 0
    assert d.at[("all", "roc_auc"), "told_apart"]


def test_a_table_that_is_no_ablation_is_a_named_error():
    predictions = hand_made(n_companies=50)
    with pytest.raises(BootstrapError, match="lack column"):
        ablation_figures(predictions.drop(columns="label"), 10, 0.95, 1)
    with pytest.raises(BootstrapError, match="1 variant"):
        ablation_figures(predictions[[*KEYS, "base"]], 10, 0.95, 1)
    with pytest.raises(BootstrapError, match="single class"):
        ablation_figures(predictions.assign(label=0), 10, 0.95, 1)


# ----------------------------------------------------------------- the pipeline and section
def section_of(doc):
    return next(s for s in doc.sections if s.title == TITLE)


def test_train_logs_the_ablation_on_its_parent_run_and_the_report_shows_it(tiny_project, evidence):
    paths = ProjectPaths(tiny_project)
    client = mlflow.MlflowClient(paths.tracking_uri({}))
    logged = {a.path for a in client.list_artifacts(evidence.runs.parent_id, "ablation")}
    assert ABLATION in logged
    table = evidence.ablation
    assert table is not None and list(table.columns[:4]) == [*KEYS, BASE]
    assert table.columns[-1] == ALL and len(table.columns) > 5
    assert evidence.runs.parent_params["ablation_model"] == ablation.MODEL
    assert evidence.runs.parent_metrics["ablation_seconds"] > 0
    blocks = section_of(build_document(evidence, "2025-10-20")).blocks
    (shown,) = [b for b in blocks if isinstance(b, Table)]
    assert shown.frame["variant"].iloc[0] == BASE and shown.frame["variant"].iloc[-1] == ALL
    assert len(shown.frame) == len(table.columns) - len(KEYS)
    assert not any(isinstance(b, Note) for b in blocks)


def test_without_the_artifact_the_section_is_a_note(evidence):
    blocks = ablation_section(dataclasses.replace(evidence, ablation=None)).blocks
    assert len(blocks) == 1 and isinstance(blocks[0], Note)
    broken = ablation_section(dataclasses.replace(evidence, ablation=evidence.ablation.iloc[:, :4]))
    assert len(broken.blocks) == 1 and isinstance(broken.blocks[0], Note)


def test_the_section_places_the_hand_made_figures(evidence):
    blocks = ablation_section(dataclasses.replace(evidence, ablation=hand_made())).blocks
    (shown,) = [b for b in blocks if isinstance(b, Table)]
    assert shown.frame["variant"].tolist() == ["base", "+ signal", "+ noise", "+ constant", "all"]
    difference = [c for c in shown.frame.columns if c.startswith("ROC-AUC − base")]
    assert len(difference) == 1
    assert shown.frame[difference[0]].iloc[0] == "–"
    assert shown.frame[difference[0]].iloc[1].startswith("+")


# ------------------------------------------------------------------------------ the switch
def test_the_step_does_nothing_when_switched_off_or_without_additions(table_and_split, caplog):
    table, split = table_and_split
    inputs = TrainInputs(table, split, specs={}, truth=None, described={})
    # no active MLflow run: the step returns before it would log anything
    assert log_ablation(inputs, ModelsConfig(ablation=False)) is None
    added = [c for group in GRAPH_ADDITIONS.values() for c in group if c in table.columns]
    plain = dataclasses.replace(inputs, table=table.drop(columns=added))
    with caplog.at_level("WARNING", logger="company_risk.train"):
        assert log_ablation(plain, ModelsConfig()) is None
    assert "none of the network additions" in caplog.text


def test_models_ablation_is_a_flag():
    assert params_from_dict({"models": {"ablation": False}}).models.ablation is False
    assert ModelsConfig().ablation is True
    with pytest.raises(ConfigError, match="models.ablation"):
        params_from_dict({"models": {"ablation": "yes"}})


def test_a_negligible_difference_is_not_told_apart_even_when_its_sign_never_changes():
    """A feature that moves a few near-tied rankings: every resample agrees on the sign of a
    difference far below any gain worth a feature."""
    from company_risk.report.ablation import NEGLIGIBLE, ablation_figures

    rng = np.random.default_rng(5)
    n = 4000
    ids = [f"{10000000 + i}" for i in range(n)]
    risk = rng.normal(size=n)
    label = (rng.random(n) < 1 / (1 + np.exp(-(2 * risk - 3)))).astype(int)
    base = 1 / (1 + np.exp(-(risk + rng.normal(0, 0.8, n))))
    # the same ranking but for a few neighbouring pairs, swapped so that a defaulter comes first
    nudged = base.copy()
    order = np.argsort(-base)
    for k in range(0, 2000, 2):
        a, b = order[k], order[k + 1]
        if label[b] > label[a]:
            nudged[a], nudged[b] = base[b], base[a]
    predictions = pd.DataFrame(
        {
            "company_id": ids,
            "snapshot_date": pd.Timestamp("2024-01-01"),
            "label": label,
            "base": base,
            "+ eccentricity": nudged,
            "all": nudged,
        }
    )
    figures = ablation_figures(predictions, 50, 0.95, 1)
    d = figures.differences
    roc = d.loc[(d["variant"] == "+ eccentricity") & (d["metric"] == "roc_auc")].iloc[0]
    assert 0 < roc["difference"] < NEGLIGIBLE and roc["low"] > 0  # never negative, yet tiny
    assert not d["told_apart"].any()
