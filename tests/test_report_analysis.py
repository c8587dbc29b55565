"""The report's figures (company_risk.report.analysis) on a small hand-made `Evidence`: which
source each figure comes from, the figures themselves, and the sections that place them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from builders import REPORT_SECTIONS, champion_meta, key_values, section
from company_risk.artifacts import VersionRecord
from company_risk.config import Params, ReportConfig, params_to_dict
from company_risk.metrics import METRIC_NAMES, binary_metrics
from company_risk.report import analysis, bootstrap, classes, sections
from company_risk.report.analysis import GapVerdict, Source
from company_risk.report.collect import Evidence, ScoresDay, TrainingRuns
from company_risk.report.oracle import oracle_gap
from company_risk.report.render import KeyValues, Note, Paragraph, Table, to_html, to_markdown
from company_risk.schemas import RISK_CLASSES

SNAPSHOTS = pd.to_datetime(["2023-01-01", "2023-04-01"]).astype("datetime64[us]")
RUNS = [  # run_id, model, feature set; the champion is r2
    ("r0", "decision_tree", "graph"),
    ("r1", "naive_bayes", "graph"),
    ("r2", "logistic_regression", "all"),
    ("r3", "decision_tree", "tax"),
]
CHAMPION = VersionRecord(version="3", run_id="r2", model="logistic_regression", feature_set="all")
ROUNDS = 25


def logged(skill: float, seed: int, n_companies: int = 120) -> pd.DataFrame:
    """Logged predictions of a run: two snapshots per company, labels drawn from a known risk,
    probabilities that see it with `skill`."""
    rng = np.random.default_rng(seed)
    risk = np.repeat(rng.normal(size=n_companies), len(SNAPSHOTS))
    rows = len(risk)
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-(-2.0 + 1.5 * risk)))).astype("int8")
    p = 1 / (1 + np.exp(-(-2.0 + skill * risk + rng.normal(0, 0.7, rows))))
    return pd.DataFrame(
        {
            "company_id": np.repeat([f"{10000000 + i}" for i in range(n_companies)], 2),
            "snapshot_date": np.tile(SNAPSHOTS, n_companies),
            "label": y,
            "probability": np.round(p, 3),
        }
    )


def truth_for(frame: pd.DataFrame) -> pd.DataFrame:
    """True probabilities for every row of `frame` (the world's `pd_12m` by company and month)."""
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "company_id": frame["company_id"],
            "month": frame["snapshot_date"],
            "pd_12m": np.clip(frame["label"] * 0.3 + rng.uniform(0, 0.2, len(frame)), 0, 1),
        }
    )


def small_evidence(**changes) -> Evidence:
    """Four runs of one training run, three with logged predictions (their logged metrics are
    the ones recomputed from them, as MLflow holds them); the champion trained in this run; the
    truth for its test rows; a features table; no scored day."""
    predictions = {
        run_id: {"validation": logged(1.2, seed=i), "test": logged(1.2, seed=10 + i)}
        for i, run_id in enumerate(("r0", "r1", "r2"))
    }
    rows = []
    for run_id, model, feature_set in RUNS:
        row = {"run_id": run_id, "run_name": f"{model}__{feature_set}", "model": model}
        row |= {"feature_set": feature_set, "settings": "", "threshold": 0.2}
        for split, key in (("val", "validation"), ("test", "test")):
            frame = predictions.get(run_id, {}).get(key)
            values = (
                binary_metrics(frame["label"], frame["probability"], 0.2)
                if frame is not None
                else dict.fromkeys(METRIC_NAMES, 0.6)
            )
            row |= {f"{split}_{m}": v for m, v in values.items()}
        rows.append(row)
    test = predictions["r2"]["test"]
    features = test[["company_id", "snapshot_date", "label"]].assign(
        desc__sector=np.where(np.arange(len(test)) % 3 == 0, "F", "G"),
        desc__age_days=np.arange(len(test)) * 20.0,
    )
    params = Params(report=ReportConfig(bootstrap_rounds=ROUNDS, min_slice_defaults=3))
    evidence = Evidence(
        params=params,
        params_dict=params_to_dict(params),
        runs=TrainingRuns(
            parent_id="p" * 32,
            parent_tags={},
            parent_params={
                "train_from": "2016-01-01",
                "train_until": "2020-12-31",
                "test_from": "2023-01-01",
                "test_until": "2023-04-01",
            },
            parent_metrics={},
            parent_start=pd.Timestamp("2025-02-01 09:30:00"),
            runs=pd.DataFrame(rows),
        ),
        predictions=predictions,
        champion=CHAMPION,
        aliases={},
        registry_report=None,
        metrics_report=None,
        champion_meta=None,
        importance=None,
        world=None,
        truth=truth_for(test),
        features=features,
        drops=["2025-01-01", "2025-01-31"],
        scores=None,
        dvc_hashes=pd.DataFrame(),
        git_commit="0" * 40,
        packages={"company-risk": "0.1.0"},
    )
    return dataclasses.replace(evidence, **changes)


def earlier_champion(**changes) -> Evidence:
    """The champion kept from an earlier training run: no row among this run's, no predictions;
    train re-scored it on this run's test rows (reports/metrics.json)."""
    earlier = VersionRecord(version="1", run_id="e" * 32, model="svm", feature_set="tax")
    kept = {
        "champion": earlier,
        "champion_meta": champion_meta(
            ["tax__debt"], version="1", train_from="2010-01-01", train_until="2014-12-31"
        ),
        "metrics_report": {
            "roc_auc": 0.71,
            "pr_auc": 0.22,
            "accuracy": 0.9,
            "oracle_test_roc_auc": 0.8,
            "oracle_test_pr_auc": 0.3,
            "oracle_gap_roc_auc": 0.09,
        },
    }
    return small_evidence(**(kept | changes))


@pytest.fixture(scope="module")
def figures() -> analysis.Analysis:
    return analysis.analyse(small_evidence())


# ------------------------------------------------------------------------------ the champion
def test_a_champion_trained_in_this_run_has_mlflow_figures_with_bootstrap_intervals(figures):
    ev = small_evidence()
    champion = figures.champion
    assert champion.source is Source.RUNS and champion.trained_here
    logged_runs = ev.runs.runs.set_index("run_id")
    ci = bootstrap.bootstrap_intervals(ev.predictions["r2"]["test"], 0.2, ROUNDS, 0.95, seed=11)
    for metric in METRIC_NAMES:
        figure = champion.test[metric]
        assert figure.value == logged_runs.loc["r2", f"test_{metric}"]  # MLflow's figure
        assert (figure.low, figure.high) == (ci.loc[metric, "low"], ci.loc[metric, "high"])
    test = ev.predictions["r2"]["test"]
    assert champion.test_default_rate == pytest.approx(test["label"].mean())
    assert (champion.train_from, champion.train_until) == ("2016-01-01", "2020-12-31")
    assert champion.train_source is Source.RUN_PARAMS


def test_a_champion_from_an_earlier_run_has_train_s_figures_and_its_champion_json_range():
    a = analysis.analyse(earlier_champion())
    champion = a.champion
    assert champion.source is Source.METRICS_JSON and not champion.trained_here
    assert champion.test["roc_auc"] == analysis.Estimate(0.71)  # no interval
    assert champion.test["brier"].value is None  # not in reports/metrics.json
    assert champion.train_source is Source.CHAMPION_JSON
    assert (champion.train_from, champion.train_until) == ("2010-01-01", "2014-12-31")
    assert champion.test_predictions is None and champion.test_default_rate is None
    assert a.classes.table is None and a.classes.monotone is None
    assert a.slices.tables is None
    assert [(r.feature_set, r.champion) for r in a.curves] == [("graph", False), ("all", False)]

    doc = sections.document(earlier_champion(), a)
    card = key_values(doc, "Model card", "Summary")
    assert card["test ROC-AUC"] == "0.7100" and card["test default rate"] == "–"
    assert card["training snapshots"] == "2010-01-01 .. 2014-12-31"


def test_without_a_registered_champion_the_figures_fall_back_to_metrics_json():
    a = analysis.analyse(small_evidence(champion=None, metrics_report={"roc_auc": 0.7}))
    assert a.champion.record is None and a.champion.source is Source.METRICS_JSON
    assert a.champion.test["roc_auc"].value == 0.7
    assert a.oracle.source is Source.NONE  # no truth figure without a champion's predictions


# -------------------------------------------------------------------------------- the oracle
def test_the_oracle_gap_is_bootstrapped_where_truth_and_the_champion_s_predictions_are_at_hand(
    figures,
):
    ev = small_evidence()
    oracle = figures.oracle
    assert oracle.source is Source.BOOTSTRAP
    test = ev.predictions["r2"]["test"]
    expected = oracle_gap(test.assign(oracle=truth_for(test)["pd_12m"]), ROUNDS, 0.95, seed=11)
    pd.testing.assert_frame_equal(oracle.gap, expected)
    assert oracle.test_roc_auc == expected.loc["roc_auc", "oracle"]
    assert oracle.verdicts == {
        m: analysis.gap_verdict(r.low, r.high) for m, r in expected.iterrows()
    }
    assert oracle.champion_roc_auc is None and oracle.gap_roc_auc is None  # train's figures unused


def test_the_oracle_falls_back_to_train_s_figures_then_to_none():
    kept = analysis.analyse(earlier_champion()).oracle  # truth at hand, but not this run's champion
    assert kept.source is Source.TRAIN and kept.gap is None and kept.verdicts == {}
    assert (kept.test_roc_auc, kept.test_pr_auc) == (0.8, 0.3)
    assert (kept.champion_roc_auc, kept.champion_pr_auc) == (0.71, 0.22)
    assert kept.gap_roc_auc == 0.09  # train's own gap figure

    report = {"roc_auc": 0.71, "oracle_test_roc_auc": 0.8}  # no gap recorded: the difference
    derived = analysis.analyse(earlier_champion(metrics_report=report)).oracle
    assert derived.gap_roc_auc == pytest.approx(0.8 - 0.71) and derived.test_pr_auc is None

    runs = small_evidence().runs  # metrics.json lacks the oracle: the training run's metric
    parent = dataclasses.replace(runs, parent_metrics={"oracle_test_roc_auc": 0.81})
    from_run = analysis.analyse(small_evidence(truth=None, runs=parent)).oracle
    assert from_run.source is Source.TRAIN and from_run.test_roc_auc == 0.81
    assert from_run.champion_roc_auc is None and from_run.gap_roc_auc is None

    assert analysis.analyse(small_evidence(truth=None)).oracle.source is Source.NONE


def test_a_truth_covering_one_class_only_is_no_bootstrap():
    ev = small_evidence()
    test = ev.predictions["r2"]["test"]
    negatives = truth_for(test).loc[test["label"].to_numpy() == 0]
    assert analysis.analyse(small_evidence(truth=negatives)).oracle.source is Source.NONE


def test_the_gap_verdict_reads_the_interval():
    assert analysis.gap_verdict(0.01, 0.05) is GapVerdict.ORACLE_AHEAD
    assert analysis.gap_verdict(-0.05, -0.01) is GapVerdict.CHAMPION_AHEAD
    assert analysis.gap_verdict(-0.01, 0.05) is GapVerdict.LEVEL
    assert analysis.gap_verdict(float("nan"), float("nan")) is GapVerdict.LEVEL  # no interval


# ------------------------------------------------------------------------- the other figures
def test_comparison_figures_count_the_runs_and_recompute_the_logged_metrics(figures):
    c = figures.comparison
    assert (c.runs, c.models, c.feature_sets) == (4, 3, 3)
    assert c.shown_metrics == ("roc_auc", "pr_auc")  # the selection metric is one of them
    assert c.recomputed_gap < 1e-12  # the logged figures are the predictions' own
    assert set(c.family["feature set"]) == {"graph", "tax"}  # 'all' is not one family
    assert c.family["best"].is_monotonic_decreasing  # ROC-AUC: best family first
    assert list(c.ranking["rank"]) == [1, 2, 3, 4]
    assert c.table.loc[c.table["run_id"] == "r3", "test_roc_auc_low"].isna().all()  # no predictions


def test_curves_are_the_champion_then_the_best_logged_run_of_each_other_feature_set(figures):
    ev = small_evidence()
    runs = ev.runs.runs.set_index("run_id")
    best_graph = "r0" if runs.loc["r0", "val_roc_auc"] >= runs.loc["r1", "val_roc_auc"] else "r1"
    assert [(r.run_id, r.champion) for r in figures.curves] == [
        ("r2", True),
        (best_graph, False),
    ]  # r3 (tax) logged no predictions; 'all' is the champion's own run


def test_risk_classes_and_slices_are_the_champion_s_test_predictions(figures):
    ev = small_evidence()
    test = ev.predictions["r2"]["test"]
    k = figures.classes
    assert list(k.table["risk_class"]) == list(RISK_CLASSES)
    assert k.table["rows"].sum() == len(test) and k.table["defaults"].sum() == test["label"].sum()
    assert k.monotone is classes.is_monotone(k.table)
    assert k.cutoffs == ev.params.scoring.risk_classes
    s = figures.slices
    assert set(s.tables) == {"sector", "company age"}
    assert s.tables["sector"]["rows"].sum() == len(test)
    assert (s.min_defaults, s.margin) == (3, ev.params.report.weak_slice_margin)
    assert analysis.analyse(small_evidence(features=None)).slices.tables is None


def test_data_figures_count_the_features_table(figures):
    ev = small_evidence()
    d = figures.data
    assert (d.companies, d.snapshots, d.rows) == (120, 2, 240)
    assert (d.first_snapshot, d.last_snapshot) == (SNAPSHOTS[0], SNAPSHOTS[1])
    assert d.default_rate == pytest.approx(ev.features["label"].mean())
    assert list(d.per_snapshot["part"]) == ["test", "test"]
    bare = analysis.analyse(small_evidence(features=None)).data
    assert bare.per_snapshot is None and bare.default_rate is None and bare.drops == ev.drops


def test_scoring_figures_count_the_latest_day():
    day = ScoresDay(
        date="2025-02-03",
        scores=pd.DataFrame({"probability": [0.01, 0.3, 0.03], "risk_class": ["I", "V", "II"]}),
        alerts=pd.DataFrame({"company_id": ["1", "2", "3"], "kind": ["up", "jump", "up"]}),
        manifest={
            "engine": "pandas",
            "model": {"name": "company-risk", "version": "3"},
            "drift": {"psi_warn": 0.2, "columns": [{"column": "x", "warn": True}]},
        },
        all_dates=["2025-02-02", "2025-02-03"],
    )
    s = analysis.analyse(small_evidence(scores=day)).scoring
    assert (s.date, s.companies, s.alerts) == ("2025-02-03", 3, 3)
    assert s.mean_probability == pytest.approx(0.34 / 3)
    assert s.class_counts.set_index("risk_class")["companies"].to_dict() == {
        "I": 1,
        "II": 1,
        "III": 0,
        "IV": 0,
        "V": 1,
    }
    assert s.alert_kinds.set_index("kind")["alerts"].to_dict() == {"up": 2, "jump": 1}
    assert s.manifest == [("engine", "pandas")] and s.model["version"] == "3"
    assert (s.psi_warn, s.drifted) == (0.2, ["x"])
    assert analysis.analyse(small_evidence()).scoring is None


def test_the_report_is_dated_by_its_newest_input():
    assert analysis.newest_data_date(small_evidence()) == "2025-01-31"  # the last drop
    day = ScoresDay("2025-02-03", pd.DataFrame({"probability": [0.1]}), None, None, ["2025-02-03"])
    assert analysis.newest_data_date(small_evidence(scores=day)) == "2025-02-03"
    assert analysis.newest_data_date(small_evidence(drops=[])) == "2025-02-01"  # the run's start
    assert analysis.analyse(small_evidence(), "2030-01-01").generated_on == "2030-01-01"


# ---------------------------------------------------------------------- figures in sections
def test_sections_place_the_figures_of_the_analysis(figures):
    ev = small_evidence()
    doc = sections.document(ev, figures)
    assert tuple(s.title for s in doc.sections) == REPORT_SECTIONS
    data = key_values(doc, "Data", "The data")
    assert data["company-snapshot rows"] == "240" and data["drops used"].startswith("2 ")
    (classes_table,) = [
        b for b in section(doc, "Risk classes on the test snapshots").blocks if isinstance(b, Table)
    ]
    assert list(classes_table.frame["rows"]) == list(figures.classes.table["rows"])
    (oracle_table,) = [
        b
        for b in section(doc, "Champion decision").blocks
        if isinstance(b, Table) and b.caption.startswith("Test rows the truth covers")
    ]
    assert list(oracle_table.frame["oracle (true probabilities)"]) == list(
        figures.oracle.gap["oracle"]
    )
    assert f"{ROUNDS} paired company-bootstrap rounds" in oracle_table.caption
    card = key_values(doc, "Model card", "Summary")
    roc = figures.champion.test["roc_auc"]
    assert card["test ROC-AUC"] == f"{roc.value:.3f} [{roc.low:.3f}, {roc.high:.3f}]"
    assert key_values(doc, "Lineage", "Code, data and dates")["generated on"] == "2025-01-31"
    decision = section(doc, "Champion decision").blocks
    assert isinstance(decision[0], Note)  # no reports/registry.json: said, not failed
    scoring = section(doc, "Daily scoring").blocks
    assert len(scoring) == 1 and isinstance(scoring[0], Paragraph)  # no scored day yet


def test_the_same_evidence_gives_the_same_bytes():
    first, second = (sections.build_document(small_evidence()) for _ in range(2))
    assert to_html(first) == to_html(second)
    assert to_markdown(first, "x.html") == to_markdown(second, "x.html")


# ------------------------------------------------------------------------- the master scale
MASTER_SCALE = "The master scale as a whole (test snapshots)"


def test_the_master_scale_figures_are_the_champion_s_test_predictions(figures):
    from company_risk import master_scale as ms

    test = small_evidence().predictions["r2"]["test"]
    k = figures.classes
    cuts = k.cutoffs
    expected = ms.scale_table(test["probability"], test["label"], cuts)
    pd.testing.assert_frame_equal(k.table.drop(columns=["probability range"]), expected)
    assert k.concentration == ms.herfindahl(expected["share"])
    assert k.calibration == ms.calibration(expected)
    pd.testing.assert_frame_equal(k.monotonicity, ms.monotonicity_tests(expected, 0.05))
    assert k.level == 0.05 and k.monotone_within_noise == (not k.monotonicity["violation"].any())
    assert k.distinct.distinct == test["probability"].nunique() and k.distinct.rows == len(test)
    assert k.migration.pairs == 120  # 120 companies at both snapshots
    assert k.migration.counts.to_numpy().sum() == 120
    assert (k.selection_metric, k.tie_break) == ("roc_auc", None)


def test_the_risk_class_section_shows_the_master_scale(figures):
    doc = sections.document(small_evidence(), figures)
    blocks = section(doc, "Risk classes on the test snapshots").blocks
    (table,) = [b for b in blocks if isinstance(b, Table)]
    k = figures.classes
    assert list(table.frame["Jeffreys"]) == list(k.table["jeffreys_light"])
    assert list(table.frame["binomial"]) == list(k.table["binomial_light"])
    whole = key_values(doc, "Risk classes on the test snapshots", MASTER_SCALE)
    assert whole["Herfindahl index of the class shares"].startswith(f"{k.concentration.hhi:.4f}")
    assert whole["distinct probabilities"].startswith(f"{k.distinct.distinct:,} of 240 rows")
    pairs = key_values(
        doc,
        "Risk classes on the test snapshots",
        "Default rate of the better class → the worse one",
    )
    assert list(pairs) == [f"{r.better} → {r.worse}" for r in k.monotonicity.itertuples()]
    migration = key_values(
        doc,
        "Risk classes on the test snapshots",
        "Class at t → class at the next snapshot (row shares)",
    )
    assert list(migration) == [f"from {c}" for c in RISK_CLASSES]


def test_a_reversed_scale_is_a_violation_and_few_distinct_scores_are_flagged():
    from company_risk.report.prose import text

    ev = small_evidence()
    test = ev.predictions["r2"]["test"]
    # the defaults get the lowest probabilities: class I all defaults, class V none; 2 values
    reversed_test = test.assign(probability=np.where(test["label"] == 1, 0.01, 0.3))
    predictions = {**ev.predictions, "r2": {**ev.predictions["r2"], "test": reversed_test}}
    # the class figures and their section alone: the logged metrics no longer match these
    k = analysis.class_figures(
        ev,
        analysis.champion_figures(
            dataclasses.replace(ev, predictions=predictions), analysis.comparison_figures(ev).table
        ),
    )
    assert not k.monotone and not k.monotone_within_noise
    assert k.violations[["better", "worse"]].values.tolist() == [["I", "V"]]
    assert k.distinct.distinct == 2 and k.distinct.few
    blocks = sections.classes_section(dataclasses.replace(analysis.analyse(ev), classes=k)).blocks
    (found,) = [b for b in blocks if isinstance(b, KeyValues) and b.caption == MASTER_SCALE]
    whole = dict(found.pairs)
    assert whole["monotonicity (one-sided tests at 5 %)"].startswith("violated (I → V")
    assert whole["distinct probabilities"].endswith("– few")
    notes = [b for b in blocks if isinstance(b, Note)]
    assert (
        Note(
            text(
                "master_scale.few_distinct",
                distinct="2",
                rows="240",
                share="0.8%",
                min_share="5%",
            )
        )
        in notes
    )


def test_the_decision_section_says_a_refused_gate():
    from company_risk.artifacts import GateRecord, RegistryDecision
    from company_risk.report.prose import text

    candidate = VersionRecord(
        version="4", run_id="r2", model="logistic_regression", feature_set="all"
    )
    before = VersionRecord(version="3", run_id="e" * 32, model="svm", feature_set="tax")
    refused = RegistryDecision(
        training_run_id="parent",
        candidate=candidate,
        candidate_val=0.7,
        champion_before=before,
        champion_after=before,
        gate=GateRecord("refused", "roc_auc", 0.002, 0.8, 0.7, ("II 3.1 % > III 1.0 %",)),
    )
    ev = small_evidence(registry_report=refused)
    decision = section(sections.build_document(ev), "Champion decision").blocks
    said = text(
        "master_scale.refused",
        candidate="4",
        champion="3",
        level="5 %",
        classes="II 3.1 % > III 1.0 %",
    )
    assert Paragraph(said) in decision
    # no champion could serve: the refused candidate is champion, flagged
    serving = dataclasses.replace(refused, champion_before=None, champion_after=candidate)
    decision = section(
        sections.build_document(small_evidence(registry_report=serving)), "Champion decision"
    ).blocks
    said = text(
        "master_scale.refused_serving",
        candidate="4",
        champion="4",
        level="5 %",
        classes="II 3.1 % > III 1.0 %",
    )
    assert Paragraph(said) in decision


def _ranking_table(evidence: Evidence) -> tuple[list[str], pd.DataFrame]:
    from company_risk.report.render import Heading

    blocks = sections.comparison_section(evidence, analysis.analyse(evidence)).blocks
    (at,) = [i for i, b in enumerate(blocks) if isinstance(b, Heading) and "Ranking" in b.text]
    return blocks[at].text, blocks[at + 1].frame


def test_the_ranking_marks_the_chosen_challenger_and_names_a_tie_break():
    from company_risk.artifacts import GateRecord, RegistryDecision
    from company_risk.config import SelectionConfig

    heading, table = _ranking_table(small_evidence())
    assert heading.endswith("(the selection order)")
    assert set(table["challenger"]) == {""}  # no registry decision to name one

    candidate = VersionRecord(version="2", run_id="r1", model="svm", feature_set="tax")
    decision = RegistryDecision(
        training_run_id="p" * 32,
        candidate=candidate,
        candidate_val=0.6,
        champion_before=None,
        champion_after=candidate,
        gate=GateRecord("first", "roc_auc", 0.002, 0.6, None),
    )
    tied = Params(
        report=ReportConfig(bootstrap_rounds=ROUNDS, min_slice_defaults=3),
        selection=SelectionConfig(tie_break="brier"),
    )
    heading, table = _ranking_table(
        small_evidence(registry_report=decision, params=tied, params_dict=params_to_dict(tied))
    )
    assert "before the tie-break on" in heading and "Brier" in heading
    assert table.loc[table["challenger"] == "chosen", "run id"].tolist() == ["r1"]
