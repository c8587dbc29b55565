"""The report's pure parts on hand-made inputs: bootstrap, risk classes, slices, comparison
tables, base rates, lineage, the prose templates, rendering and the readers of the daily
scores."""

from __future__ import annotations

import fnmatch
import importlib.resources
import json
import re
import tomllib
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from company_risk.config import ConfigError, FeaturesConfig, ScoringConfig
from company_risk.metrics import METRIC_NAMES, binary_metrics
from company_risk.oracle import with_oracle
from company_risk.report import (
    analysis,
    bootstrap,
    classes,
    compare,
    explore,
    lineage,
    oracle,
    prose,
    slices,
)
from company_risk.report.analysis import GapVerdict
from company_risk.report.baserates import REAL_BASE_RATES, base_rate_table
from company_risk.report.collect import (
    ReportError,
    drop_dates,
    read_scores_day,
    score_dates,
    score_history,
)
from company_risk.report.render import (
    Bullets,
    Document,
    Figure,
    KeyValues,
    Note,
    Paragraph,
    Section,
    Table,
    to_html,
    to_markdown,
)
from company_risk.report.sections import class_rule
from company_risk.schemas import RISK_CLASSES


def predictions(n_companies: int = 300, snapshots: int = 3, seed: int = 0) -> pd.DataFrame:
    """Rows of several snapshots per company; probabilities carry signal and many ties."""
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"{10000000 + i}" for i in range(n_companies)], snapshots)
    risk = np.repeat(rng.normal(size=n_companies), snapshots)
    y = (rng.uniform(size=len(ids)) < 1 / (1 + np.exp(-(-2.5 + 1.5 * risk)))).astype("int8")
    p = np.round(1 / (1 + np.exp(-(-2.5 + risk + rng.normal(0, 0.5, len(ids))))), 2)
    return pd.DataFrame({"company_id": ids, "label": y, "probability": p})


# ----------------------------------------------------------------------------------- bootstrap
def test_weighted_metrics_equal_binary_metrics_on_materialised_resamples():
    frame = predictions()
    y, p = frame["label"].to_numpy(), frame["probability"].to_numpy()
    fast = bootstrap.WeightedMetrics(y, p, threshold=0.1)
    checked = 0
    for w in bootstrap.company_weights(frame["company_id"].to_numpy(), rounds=15, seed=3):
        rows = np.repeat(np.arange(len(frame)), w.astype(int))
        expected = binary_metrics(y[rows], p[rows], 0.1)
        got = fast(w)
        assert got is not None
        for metric in METRIC_NAMES:
            assert got[metric] == pytest.approx(expected[metric], abs=1e-12), metric
        checked += 1
    assert checked == 15


def test_resamples_keep_every_company_whole():
    frame = predictions(n_companies=50, snapshots=4)
    for w in bootstrap.company_weights(frame["company_id"].to_numpy(), rounds=5, seed=1):
        per_company = pd.Series(w).groupby(frame["company_id"].to_numpy()).nunique()
        assert (per_company == 1).all()  # all snapshots of a company drawn the same number of times
        assert w.sum() == len(frame)  # as many companies drawn as there are


def test_intervals_bracket_the_point_estimate_and_narrow_with_more_data():
    small, large = predictions(n_companies=150), predictions(n_companies=3000)
    widths = []
    for frame in (small, large):
        point = binary_metrics(frame["label"], frame["probability"], 0.1)
        ci = bootstrap.bootstrap_intervals(frame, 0.1, rounds=200, confidence=0.95, seed=11)
        assert list(ci.index) == list(METRIC_NAMES)
        assert (ci["rounds"] == 200).all()
        assert ci.loc["roc_auc", "low"] <= point["roc_auc"] <= ci.loc["roc_auc", "high"]
        widths.append(ci.loc["roc_auc", "high"] - ci.loc["roc_auc", "low"])
    assert widths[1] < widths[0] / 2


def test_single_class_resamples_are_skipped():
    frame = pd.DataFrame(
        {
            "company_id": ["1", "2", "3", "4"],
            "label": [1, 0, 0, 0],
            "probability": [0.9, 0.1, 0.2, 0.3],
        }
    )
    ci = bootstrap.bootstrap_intervals(frame, 0.5, rounds=100, confidence=0.9, seed=0)
    assert 0 < ci.loc["roc_auc", "rounds"] < 100  # some draws miss the one default


def test_bad_bootstrap_settings_are_named():
    frame = predictions(n_companies=20)
    with pytest.raises(bootstrap.BootstrapError, match="bootstrap_rounds"):
        bootstrap.bootstrap_intervals(frame, 0.1, rounds=0, confidence=0.95, seed=0)
    with pytest.raises(bootstrap.BootstrapError, match="confidence"):
        bootstrap.bootstrap_intervals(frame, 0.1, rounds=10, confidence=95, seed=0)
    with pytest.raises(bootstrap.BootstrapError, match="company_id"):
        bootstrap.bootstrap_intervals(
            frame.drop(columns="company_id"), 0.1, rounds=10, confidence=0.95, seed=0
        )


def test_recomputed_gap_detects_a_logged_figure_that_does_not_match():
    frame = predictions(n_companies=100).assign(snapshot_date=pd.Timestamp("2024-01-01"))
    logged = binary_metrics(frame["label"], frame["probability"], 0.1)
    run = {
        "run_id": "r1",
        "threshold": 0.1,
        **{f"val_{k}": v for k, v in logged.items()},
        **{f"test_{k}": v for k, v in logged.items()},
    }
    runs = pd.DataFrame([run])
    preds = {"r1": {"validation": frame, "test": frame}}
    assert bootstrap.recomputed_gap(runs, preds) < 1e-12
    runs.loc[0, "test_roc_auc"] += 0.01
    assert bootstrap.recomputed_gap(runs, preds) == pytest.approx(0.01)


# ------------------------------------------------------------------------------------- oracle
def oracle_frame(n_companies: int, model_noise: float, seed: int = 0) -> pd.DataFrame:
    """Labels drawn from known probabilities (the oracle) and a model that sees them blurred."""
    rng = np.random.default_rng(seed)
    logit = -2.5 + 1.5 * rng.normal(size=n_companies)
    truth = 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "company_id": [f"{10000000 + i}" for i in range(n_companies)],
            "label": (rng.uniform(size=n_companies) < truth).astype("int8"),
            "probability": 1 / (1 + np.exp(-(logit + rng.normal(0, model_noise, n_companies)))),
            "oracle": truth,
        }
    )


def test_the_oracle_gap_is_told_apart_from_zero_only_when_the_model_is_worse():
    blurred = oracle.oracle_gap(oracle_frame(4000, model_noise=2.0), 200, 0.95, seed=11)
    assert list(blurred.index) == ["roc_auc", "pr_auc"]
    roc = blurred.loc["roc_auc"]
    assert roc.gap == pytest.approx(roc.oracle - roc.model)
    assert 0 < roc.low <= roc.gap <= roc.high
    assert analysis.gap_verdict(roc.low, roc.high) is GapVerdict.ORACLE_AHEAD

    level = oracle.oracle_gap(oracle_frame(4000, model_noise=0.0), 200, 0.95, seed=11)
    assert (level["gap"] == 0).all() and (level["low"] == 0).all() and (level["high"] == 0).all()
    level_roc = level.loc["roc_auc"]
    assert analysis.gap_verdict(level_roc.low, level_roc.high) is GapVerdict.LEVEL

    swapped = oracle_frame(4000, model_noise=2.0).rename(
        columns={"probability": "oracle", "oracle": "probability"}
    )
    ahead = oracle.oracle_gap(swapped, 200, 0.95, seed=11).loc["roc_auc"]
    assert ahead.high < 0
    assert analysis.gap_verdict(ahead.low, ahead.high) is GapVerdict.CHAMPION_AHEAD


def test_the_paired_gap_interval_is_narrower_than_the_two_separate_intervals():
    frame = oracle_frame(3000, model_noise=0.5, seed=4)
    gap = oracle.oracle_gap(frame, 200, 0.95, seed=11).loc["roc_auc"]
    model_ci = bootstrap.bootstrap_intervals(frame, 0.1, 200, 0.95, seed=11).loc["roc_auc"]
    assert gap.high - gap.low < (model_ci["high"] - model_ci["low"]) / 2


def test_the_oracle_is_joined_on_company_and_snapshot_and_uncovered_rows_are_left_out():
    logged = pd.DataFrame(
        {
            "company_id": ["10000001", "10000001", "10000002"],
            "snapshot_date": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-01-01"]),
            "label": [0, 1, 0],
            "probability": [0.1, 0.7, 0.2],
        }
    )
    truth = pd.DataFrame(
        {
            "company_id": ["10000001", "10000001", "10000003"],
            "month": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-01-01"]).astype(
                "datetime64[us]"
            ),
            "pd_12m": [0.05, 0.6, 0.3],
        }
    )
    joined = with_oracle(logged, truth)
    assert joined["oracle"].tolist() == [0.05, 0.6]
    assert joined["probability"].tolist() == [0.1, 0.7]
    with pytest.raises(bootstrap.BootstrapError, match="single class"):
        oracle.oracle_gap(joined.iloc[:1], 10, 0.95, seed=0)


# ------------------------------------------------------------------------------------ classes
def test_risk_classes_follow_the_cut_offs_at_their_boundaries():
    cuts = (0.02, 0.05, 0.10, 0.25)
    got = classes.assign_classes(
        np.array([0.0, 0.0199, 0.02, 0.049, 0.05, 0.1, 0.2499, 0.25, 1.0]), cuts
    )
    assert list(got) == ["I", "I", "II", "II", "III", "IV", "IV", "V", "V"]
    # the cut-offs are checked once, where params.yaml is loaded
    with pytest.raises(ConfigError, match="increasing"):
        ScoringConfig(risk_classes=(0.05, 0.02, 0.1, 0.2))


def test_class_table_counts_and_monotonicity():
    frame = pd.DataFrame(
        {"probability": [0.01, 0.01, 0.03, 0.07, 0.3, 0.3], "label": [0, 0, 0, 1, 1, 0]}
    )
    table = classes.class_table(frame, (0.02, 0.05, 0.10, 0.25))
    assert list(table["risk_class"]) == list(RISK_CLASSES) == ["I", "II", "III", "IV", "V"]
    assert list(table["rows"]) == [2, 1, 1, 0, 2]
    assert list(table["defaults"]) == [0, 0, 1, 0, 1]
    assert np.isnan(table.loc[3, "observed_rate"])  # empty class kept, no rate
    assert classes.is_monotone(table) is False  # III (100 %) > V (50 %)
    table.loc[4, "observed_rate"] = 1.0
    assert classes.is_monotone(table) is True


# ------------------------------------------------------------------------------------- slices
def test_a_slice_where_the_model_is_blind_is_flagged():
    rng = np.random.default_rng(5)
    n = 4000
    sector = np.where(np.arange(n) % 4 == 0, "F", "G")
    y = (rng.uniform(size=n) < 0.1).astype(int)
    informative = np.clip(0.05 + 0.3 * y + rng.normal(0, 0.05, n), 0, 1)
    p = np.where(sector == "F", rng.uniform(0, 0.3, n), informative)  # no signal in F
    frame = pd.DataFrame({"label": y, "probability": p, "sector": sector})
    tables = slices.all_slices(frame, min_defaults=10, margin=0.05)
    table = tables["sector"].set_index("value")
    assert table.loc["F", "weaker"] and not table.loc["G", "weaker"]
    assert table.loc["F", "roc_auc"] < 0.6 < table.loc["G", "roc_auc"]
    weak = slices.weaker_slices(tables)
    assert list(weak["value"]) == ["F"]


def test_slices_with_few_defaults_get_no_auc_and_age_is_banded_by_unit():
    preds = pd.DataFrame(
        {
            "company_id": ["1", "2", "3", "4"],
            "snapshot_date": pd.to_datetime(["2024-01-01"] * 4).astype("datetime64[us]"),
            "label": [1, 0, 0, 0],
            "probability": [0.5, 0.1, 0.2, 0.3],
        }
    )
    features = preds[["company_id", "snapshot_date"]].assign(
        desc__sector=["A", "A", "B", None], desc__age_days=[100.0, 800.0, 4000.0, np.nan]
    )
    frame = slices.slice_frame(preds, features, "desc__age_days")
    assert list(frame["company age"]) == ["< 1 year", "1–3 years", "10+ years", "unknown"]
    assert list(frame["sector"]) == ["A", "A", "B", "unknown"]
    table = slices.slice_table(frame, "sector", overall_auc=0.9, min_defaults=1, margin=0.05)
    a = table.set_index("value").loc["A"]
    assert a["rows"] == 2 and a["defaults"] == 1 and a["roc_auc"] == 1.0
    assert np.isnan(table.set_index("value").loc["B", "roc_auc"])  # no default: not measurable
    assert not table["weaker"].any()


# ----------------------------------------------------------------------------------- compare
def runs_table() -> pd.DataFrame:
    rows = []
    for i, (model, feature_set) in enumerate(
        [
            ("svm", "graph"),
            ("decision_tree", "tax"),
            ("xgboost", "all"),
            ("decision_tree", "graph"),
            ("naive_bayes", "descriptive"),
        ]
    ):
        row = {"run_id": f"r{i}", "model": model, "feature_set": feature_set, "threshold": 0.1}
        for split in ("val", "test"):
            for metric in METRIC_NAMES:
                row[f"{split}_{metric}"] = 0.6 + 0.05 * i if metric != "brier" else 0.1 - 0.01 * i
        rows.append(row)
    runs = pd.DataFrame(rows)
    intervals = pd.DataFrame(
        [
            {
                "run_id": "r0",
                "split": "test",
                "metric": "roc_auc",
                "low": 0.55,
                "high": 0.65,
                "rounds": 10,
            }
        ]
    )
    return compare.with_intervals(runs, intervals)


def test_study_table_puts_the_study_first_and_marks_missing_cells():
    table = compare.study_table(runs_table(), "roc_auc", "test")
    assert list(table["model"]) == ["Decision tree", "SVM", "Naive Bayes", "XGBoost (baseline)"]
    assert list(table.columns) == ["model", "role", "Graph", "Tax", "Descriptive", "All combined"]
    svm = table.set_index("model").loc["SVM"]
    assert svm["Graph"] == "0.600 [0.550, 0.650]"  # with its interval
    assert svm["Tax"] == "–"  # not trained
    assert table.set_index("model").loc["XGBoost (baseline)", "role"] == "baseline"


def test_family_signal_ranks_single_families_best_first_in_the_metric_direction():
    table = runs_table()
    higher = compare.family_signal(table, "roc_auc")
    assert list(higher["feature set"]) == ["descriptive", "graph", "tax"]  # 'all' is left out
    assert higher.loc[1, "best model"] == "decision_tree"  # graph: 0.75 beats svm's 0.60
    lower = compare.family_signal(table, "brier")  # lower is better
    assert lower.loc[0, "feature set"] == "descriptive"
    assert lower.loc[0, "best"] == pytest.approx(0.06)


def test_snapshot_summary_assigns_split_parts():
    features = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(
                ["2020-01-01", "2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01"]
            ),
            "label": [1, 0, 0, 1, 1],
        }
    )
    bounds = {
        "train_from": "2020-01-01",
        "train_until": "2020-01-01",
        "validation_from": "2022-01-01",
        "validation_until": "2022-01-01",
        "test_from": "2023-01-01",
        "test_until": "2023-01-01",
    }
    summary = compare.snapshot_summary(features, bounds)
    assert list(summary["part"]) == ["train", "gap", "validation", "test"]
    assert list(summary["population"]) == [2, 1, 1, 1]
    assert summary.loc[0, "default_rate"] == 0.5


# --------------------------------------------------------------------------------- base rates
def test_base_rates_show_the_world_beside_every_real_figure():
    world = {
        "tax_debt_share": 0.058,
        "active_companies_last_month": 104321,
        "board_size_mean": 1.234,
        "bankruptcy_rate_yearly": float("nan"),  # a world too short to measure a year
    }
    table = base_rate_table(world, observed_default_rate=0.071).set_index("quantity")
    assert len(table) == len(REAL_BASE_RATES)
    row = table.loc["active companies with a listed tax debt"]
    assert row["this run"] == "5.80%" and "EMTA" in row["source of the real figure"]
    assert table.loc["companies on the register (active at the last drop)", "this run"] == "104,321"
    assert table.loc["board members per company (mean)", "this run"] == "1.23"
    rates = {r.world_key: r.quantity for r in REAL_BASE_RATES}
    assert table.loc[rates["bankruptcy_rate_yearly"], "this run"] == "not reported"
    # the 12-month default rate falls back to the features table's mean label
    assert "7.10%" in table.loc[rates["default_rate_12m"], "this run"]
    assert base_rate_table({"default_rate_12m": 0.0388}, 0.071).iloc[-1]["this run"] == "3.88%"
    assert (base_rate_table(None, None)["this run"] == "not reported").all()


# ----------------------------------------------------------------------------------- lineage
def test_dvc_lock_hashes_are_read_per_stage(tmp_path):
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\nstages:\n  features:\n    cmd: company-risk features\n    deps:\n    - path: data/interim\n"
        "      hash: md5\n      md5: aaa.dir\n    outs:\n    - path: data/processed/features.parquet\n      hash: md5\n      md5: bbb\n"
    )
    table = lineage.input_hashes(lock, tmp_path, [])
    assert table[["stage", "kind", "path", "md5", "source"]].values.tolist() == [
        ["features", "dep", "data/interim", "aaa.dir", "dvc.lock"],
        ["features", "out", "data/processed/features.parquet", "bbb", "dvc.lock"],
    ]


def test_computed_hashes_follow_the_bytes_when_there_is_no_lock(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x\n1\n")
    (tmp_path / "params.yaml").write_text("{}\n")
    inputs = [tmp_path / "params.yaml", tmp_path / "data", tmp_path / "missing.parquet"]
    before = lineage.input_hashes(tmp_path / "dvc.lock", tmp_path, inputs)
    assert list(before["path"]) == ["params.yaml", "data"]  # absent inputs are skipped
    assert before.loc[1, "md5"].endswith(".dir") and (before["source"] == "computed").all()
    (tmp_path / "data" / "a.csv").write_text("x\n2\n")
    after = lineage.input_hashes(tmp_path / "dvc.lock", tmp_path, inputs)
    assert (
        after.loc[0, "md5"] == before.loc[0, "md5"] and after.loc[1, "md5"] != before.loc[1, "md5"]
    )


def test_params_are_flattened_to_dotted_keys():
    table = lineage.flatten_params(
        {"split": {"gap_months": 12}, "scoring": {"risk_classes": [0.02, 0.05]}, "x": None}
    )
    assert table.values.tolist() == [
        ["split.gap_months", "12"],
        ["scoring.risk_classes", "[0.02, 0.05]"],
        ["x", "null"],
    ]


# ------------------------------------------------------------------------------------- prose
def test_every_template_is_valid_and_ships_with_the_package(pytestconfig):
    folder = importlib.resources.files("company_risk.report").joinpath(prose.TEMPLATE_DIR)
    names = [f"{prose.TEMPLATE_DIR}/{r.name}" for r in folder.iterdir() if r.name.endswith(".toml")]
    assert f"{prose.TEMPLATE_DIR}/prose.toml" in names  # read through the package, not __file__
    shipped = tomllib.loads((pytestconfig.rootpath / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-data"]["company_risk.report"]
    assert all(any(fnmatch.fnmatch(n, pattern) for pattern in shipped) for n in names)
    templates = prose.templates()
    assert "oracle.no_truth" in templates and "card.intended_use" in templates
    for name, template in templates.items():
        assert template.is_valid(), name
        filled = prose.text(name, **dict.fromkeys(template.get_identifiers(), "FIG"))
        assert "$" not in filled and "\\" not in filled and "  " not in filled, name


def test_a_template_fills_its_figures_and_names_what_is_missing():
    filled = prose.text("summary.gate", decision="<kept>")
    assert filled.count("<kept>") == 1 and "$" not in filled
    with pytest.raises(prose.ProseError, match="needs the figure 'decision'"):
        prose.text("summary.gate")
    with pytest.raises(prose.ProseError, match="no template 'summary.nothing'"):
        prose.text("summary.nothing")


def test_the_class_rule_names_every_class_with_its_cut_offs():
    rule = class_rule((0.02, 0.05, 0.10, 0.25))
    parts = rule.split("; ")
    assert [p.split(" ")[0] for p in parts] == list(RISK_CLASSES)
    assert [re.findall(r"\d+%", p) for p in parts] == [
        ["2%"],
        ["2%", "5%"],
        ["5%", "10%"],
        ["10%", "25%"],
        ["25%"],
    ]


# ------------------------------------------------------------------------------------ render
class StrictHTML(HTMLParser):
    """Fails on any closing tag that does not close the innermost open element."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (
            f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        )
        self.stack.pop()


def test_html_and_markdown_escape_text_and_keep_the_same_content():
    frame = pd.DataFrame({"name": ["<b>a|b</b>"], "value": [0.123456], "n": [3]})
    doc = Document(
        "Title & <co>",
        "sub",
        [
            Section(
                "First part",
                [
                    Paragraph("x < y"),
                    Note("careful"),
                    Bullets(["one", "two"]),
                    Table(frame, "cap"),
                    KeyValues([("k", "v")]),
                    Figure(b"\x89PNG", "a figure"),
                ],
            )
        ],
    )
    page = to_html(doc)
    parser = StrictHTML()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert "Title &amp; &lt;co&gt;" in page and "<b>a" not in page and "x &lt; y" in page
    assert parser.images == ["data:image/png;base64,iVBORw=="]
    assert '<section id="first-part">' in page and "<script" not in page
    md = to_markdown(doc, "page.html")
    assert "| &lt;b&gt;" not in md and "<b>a\\|b</b>" in md  # Markdown escapes the pipe only
    assert "| 0.1235 | 3 |" in md
    assert "*Figure: a figure (see page.html).*" in md
    assert "## First part" in md and "[First part](#first-part)" in md


# ------------------------------------------------------------------------------ daily scores
def write_day(scores_dir, day, rows, alerts=True):
    folder = scores_dir / f"date={day}"
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(folder / "scores.parquet", index=False)
    if alerts:
        pd.DataFrame({"company_id": ["10000001"], "alert": ["class_up"]}).to_csv(
            folder / "alerts.csv", index=False
        )
    (folder / "_manifest.json").write_text(json.dumps({"model_version": "2"}))


def test_scores_are_read_by_day_and_a_company_history_across_days(tmp_path):
    scores = tmp_path / "scores"
    assert read_scores_day(scores) is None and score_dates(scores) == []
    write_day(
        scores,
        "2025-10-02",
        {
            "company_id": ["10000001", "10000002"],
            "probability": [0.01, 0.3],
            "risk_class": ["I", "V"],
        },
    )
    write_day(
        scores,
        "2025-10-03",
        {"company_id": ["10000001"], "probability": [0.06], "risk_class": ["III"]},
        alerts=False,
    )
    (scores / "date=2025-10-04").mkdir()  # an incomplete partition is not a scored day
    day = read_scores_day(scores)
    assert (
        day.date == "2025-10-03"
        and day.all_dates == ["2025-10-02", "2025-10-03"]
        and day.alerts is None
    )
    first = read_scores_day(scores, "2025-10-02")
    assert list(first.alerts["company_id"]) == ["10000001"] and first.manifest == {
        "model_version": "2"
    }
    with pytest.raises(ReportError, match="no scores for 2025-10-04"):
        read_scores_day(scores, "2025-10-04")
    history = score_history(scores, "10000001")
    assert history["probability"].tolist() == [0.01, 0.06] and history["risk_class"].tolist() == [
        "I",
        "III",
    ]
    assert score_history(scores, "99999999").empty


def test_a_partition_without_its_manifest_is_not_a_scored_day(tmp_path):
    from company_risk.artifacts import list_partitions

    scores = tmp_path / "scores"
    rows = {"company_id": ["10000001"], "probability": [0.01], "risk_class": ["I"]}
    write_day(scores, "2025-10-02", rows)
    write_day(scores, "2025-10-03", {**rows, "probability": [0.5], "risk_class": ["V"]})
    (scores / "date=2025-10-03" / "_manifest.json").unlink()  # a run killed before the manifest
    assert score_dates(scores) == ["2025-10-02"] == [d.isoformat() for d in list_partitions(scores)]
    day = read_scores_day(scores)
    assert day.date == "2025-10-02" and day.scores["probability"].tolist() == [0.01]
    assert score_history(scores, "10000001")["probability"].tolist() == [0.01]
    with pytest.raises(ReportError, match="no scores for 2025-10-03"):
        read_scores_day(scores, "2025-10-03")


def test_drops_come_from_the_ingest_log_else_the_dated_folders(tmp_path):
    raw, interim = tmp_path / "raw", tmp_path / "interim"
    for name in ("2025-01-01", "2025-02-01", "notes"):
        (raw / name).mkdir(parents=True)
    assert drop_dates(raw, interim) == ["2025-01-01", "2025-02-01"]
    interim.mkdir()
    pd.DataFrame({"drop_date": pd.to_datetime(["2025-01-01"])}).to_parquet(
        interim / "ingest_log.parquet"
    )
    assert drop_dates(raw, interim) == ["2025-01-01"]
    assert drop_dates(tmp_path / "none", tmp_path / "none") == []


# ----------------------------------------------------------------------------------- explore
def board(rows):
    return pd.DataFrame(
        [
            {
                "company_id": c,
                "person_id": p * 64,
                "role": r,
                "end_date": pd.Timestamp(e) if e else pd.NaT,
            }
            for c, p, r, e in rows
        ]
    )


def test_register_growth_active_companies_and_exits_by_kind():
    ts = pd.Timestamp
    companies = pd.DataFrame(
        {
            "company_id": ["1", "1", "2", "3"],
            "first_registered": [ts("2015-03-01")] * 2 + [ts("2016-01-01"), ts("2016-05-01")],
        }
    )
    assert explore.registrations_per_year(companies).to_dict() == {2015: 1, 2016: 2}
    status = pd.DataFrame(
        {
            "company_id": ["1", "2", "2", "3", "3"],
            "status": ["R", "R", "N", "R", "L"],
            "valid_from": [
                ts("2015-03-01"),
                ts("2016-01-01"),
                ts("2018-02-01"),
                ts("2016-05-01"),
                ts("2019-07-01"),
            ],
            "valid_to": [pd.NaT, ts("2018-02-01"), pd.NaT, ts("2019-07-01"), pd.NaT],
        }
    )
    active = explore.active_at(status, [ts("2016-01-01"), ts("2018-06-01"), ts("2020-01-01")])
    assert active.tolist() == [2, 2, 1]
    defaults = pd.DataFrame(
        {"company_id": ["2"], "default_date": [ts("2018-02-01")], "kind": ["bankrupt"]}
    )
    exits = explore.exits_per_year(status, defaults)
    assert exits.to_dict("index") == {
        2018: {"bankrupt": 1, "liquidated": 0},
        2019: {"bankrupt": 0, "liquidated": 1},
    }


BOARD = FeaturesConfig().graph.roles  # the default board of the graph features


def test_board_network_links_companies_through_pseudonymous_persons_only():
    roles = board(
        [
            ("1", "a", "JUHL", None),
            ("2", "a", "JUHL", "2020-01-01"),
            ("3", "a", "JUHL", None),
            ("3", "b", "JUHL", None),
            ("4", "c", "JUHL", None),
            ("4", "d", "PROK", None),
        ]
    )
    chosen = explore.most_connected_companies(roles, 3, BOARD)
    assert chosen == ["1", "2", "3"]  # person a sits on three boards
    graph = explore.board_network(roles, chosen, BOARD)
    persons = {n: d for n, d in graph.nodes(data=True) if d["kind"] == "person"}
    assert set(persons) == {"P1", "P2"} and persons["P1"]["label"] == "P1"
    assert graph.degree["P1"] == 3 and graph.edges["2", "P1"]["ended"]  # person a: 3 boards
    assert graph.degree["P2"] == 1 and graph.has_edge("3", "P2")  # person b
    held = repr(list(graph.nodes(data=True))) + repr(list(graph.edges(data=True)))
    assert "aaaaaa" not in held and "bbbbbb" not in held  # no part of a person key
    assert "PROK" not in BOARD and "JUHL" in BOARD
    with_procurators = explore.board_network(roles, ["4"], (*BOARD, "PROK"))
    assert len([n for n, d in with_procurators.nodes(data=True) if d["kind"] == "person"]) == 2
    figure = explore.draw_network(graph, {"2"}, "t")
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert texts == {"1", "2", "3", "P1", "P2"}


# -------------------------------------------------------------------------------- data depth
def test_the_data_depth_slice_shows_each_grade_in_order_with_its_share_and_rates(tmp_path):
    from company_risk.data_depth import COLUMNS, GRADES
    from company_risk.report.collect import read_features

    rng = np.random.default_rng(3)
    n = 400
    grade = np.array(list("AABBBBCD"))[np.arange(n) % 8]  # A 1/4, B 1/2, C 1/8, D 1/8
    y = (rng.uniform(size=n) < np.where(grade == "A", 0.05, 0.2)).astype(int)
    p = np.clip(0.05 + 0.4 * y + rng.normal(0, 0.1, n), 0.001, 0.999)
    ids = [f"{10000000 + i}" for i in range(n)]
    snapshot = pd.to_datetime(["2024-01-01"] * n).astype("datetime64[us]")
    preds = pd.DataFrame({"company_id": ids, "snapshot_date": snapshot, "label": y})
    preds = preds.assign(probability=p)
    report, trading = np.isin(grade, ["A"]), np.isin(grade, ["A", "B"])
    features = preds[["company_id", "snapshot_date", "label"]].assign(
        desc__no_report=np.where(report, 0.0, 1.0),
        desc__revenue=np.where(report, 1e5, np.nan),
        desc__assets=np.nan,
        tax__turnover_4q=np.where(trading, 5e4, 0.0),
        tax__labour_taxes_4q=0.0,
        tax__state_taxes_4q=0.0,
        tax__employees=0.0,
        desc__age_years=np.where(grade == "C", 0.5, 4.0),
        desc__sector="G",
        tax__debt=0.0,  # a feature the report does not read
    )
    features.to_parquet(tmp_path / "features.parquet")
    read = read_features(tmp_path / "features.parquet")
    assert set(COLUMNS) <= set(read.columns) and "tax__debt" not in read.columns
    orphan = pd.DataFrame(
        {
            "company_id": ["99999999"],
            "snapshot_date": snapshot[:1],
            "label": [0],
            "probability": 0.1,
        }
    )
    frame = slices.slice_frame(
        pd.concat([preds, orphan], ignore_index=True), read, "desc__age_years"
    )
    tables = slices.all_slices(frame, min_defaults=5, margin=0.05)
    table = tables["data depth"]
    assert [v.split(":")[0] for v in table["value"]] == [*GRADES, "unknown"]  # A..D, then unknown
    assert table["value"].iloc[0] == f"A: {GRADES['A']}"
    assert list(table["rows"]) == [100, 200, 50, 50, 1]
    assert table["share"].tolist() == pytest.approx([r / (n + 1) for r in table["rows"]])
    a = table.iloc[0]
    part = preds.loc[grade == "A"]
    assert a["defaults"] == part["label"].sum()
    assert a["default_rate"] == pytest.approx(part["label"].mean())
    assert a["mean_probability"] == pytest.approx(part["probability"].mean())
    assert a["roc_auc"] > 0.9 and a["pr_auc"] > 0.5  # enough defaults: measured
    assert np.isnan(table.iloc[-1]["roc_auc"])  # the orphan row: no features, no grade, no AUC
    # without the grade's columns the dimension is left out, as other slices are
    bare = slices.slice_frame(preds, read.drop(columns=["tax__employees"]), "desc__age_years")
    assert "data depth" not in bare and "sector" in bare


def test_the_comparison_figure_draws_a_figure_outside_its_interval():
    """A run's logged figure can fall just outside its bootstrap interval (a skewed resample):
    the bar is drawn with a zero error on that side, not refused by matplotlib."""
    from company_risk.report import plots

    table = pd.DataFrame(
        {
            "model": ["logistic_regression", "decision_tree"],
            "feature_set": ["all", "all"],
            "test_roc_auc": [0.80, 0.70],
            "test_roc_auc_low": [0.81, 0.65],  # above the figure
            "test_roc_auc_high": [0.85, 0.69],  # below it
        }
    )
    png = plots.comparison_figure(table, "roc_auc", "ROC-AUC", "t")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
