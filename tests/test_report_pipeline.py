"""The report made from a tiny pipeline run (the session fixture `tiny_project`): it names every
run, feature set, the champion, the lineage and the model card; its figures are MLflow's; it is
one valid, self-contained HTML file; it holds no personal data; absent inputs are said so."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
from html.parser import HTMLParser

import mlflow
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from builders import REPORT_SECTIONS, champion_meta, key_values, section, sentences
from company_risk.artifacts import RegistryDecision, VersionRecord
from company_risk.cli import app
from company_risk.config import ProjectPaths, load_params
from company_risk.metrics import METRIC_NAMES
from company_risk.provenance import file_md5
from company_risk.report import analysis, compare, sections
from company_risk.report.analysis import Source
from company_risk.report.baserates import REAL_BASE_RATES
from company_risk.report.collect import ReportError, ReportSources, collect_evidence
from company_risk.report.prose import text
from company_risk.report.render import Heading, Note, Paragraph, Table

PARENT_TAG = "mlflow.parentRunId"


class Page(HTMLParser):
    """Parses the report: checks every element is closed in order, and collects the images,
    every table (rows of cell texts, with the nearest heading before it) and every link."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.tables: list[dict] = []
        self.heading = ""
        self._text: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        self.urls += [attrs[a] for a in ("src", "href") if a in attrs and tag != "img"]
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag in ("h2", "h3", "td", "th", "caption"):
            self._text = []
        if tag == "table":
            self.tables.append({"heading": self.heading, "caption": "", "rows": []})
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (
            f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        )
        self.stack.pop()
        if tag in ("h2", "h3"):
            self.heading = "".join(self._text)
        elif tag == "caption":
            self.tables[-1]["caption"] = "".join(self._text)
        elif tag in ("td", "th"):
            self._row.append("".join(self._text))
        elif tag == "tr":
            self.tables[-1]["rows"].append(self._row)
        if tag in ("h2", "h3", "td", "th", "caption"):
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def table(self, name: str) -> list[dict[str, str]]:
        """The one table captioned `name` or under the heading `name`."""
        hits = [t["rows"] for t in self.tables if name in (t["caption"], t["heading"])]
        assert len(hits) == 1, f"{len(hits)} tables named {name!r}"
        header, *body = hits[0]
        return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture(scope="module")
def page(tiny_project) -> Page:
    parsed = Page()
    parsed.feed((tiny_project / "reports" / "model_comparison.html").read_text(encoding="utf-8"))
    parsed.close()
    return parsed


@pytest.fixture(scope="module")
def mlflow_runs(tiny_project):
    """The nested runs of the newest training run, straight from MLflow."""
    client = mlflow.MlflowClient(ProjectPaths(tiny_project).tracking_uri({}))
    experiment = client.get_experiment_by_name("company-risk")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if PARENT_TAG not in r.data.tags]
    newest = max(parents, key=lambda r: r.info.start_time)
    return [r for r in runs if r.data.tags.get(PARENT_TAG) == newest.info.run_id]


def leading_number(text: str) -> float:
    return float(re.match(r"-?\d+\.\d+", text).group())


def test_report_names_every_model_feature_set_the_champion_lineage_and_card(
    tiny_project, page, mlflow_runs
):
    md = (tiny_project / "reports" / "model_comparison.md").read_text(encoding="utf-8")
    registry = RegistryDecision.read(tiny_project / "reports" / "registry.json")
    params = load_params(tiny_project / "params.yaml")
    rows = page.table("Every metric, test snapshots")
    assert sorted((r["model"], r["feature set"]) for r in rows) == sorted(
        (r.data.params["model"], r.data.params["feature_set"]) for r in mlflow_runs
    )
    assert {r["feature set"] for r in rows} == set(params.models.feature_sets)
    assert {r["model"] for r in rows} == set(params.models.enabled_models())
    study = page.table("Test ROC-AUC: models by feature set")
    assert [r["model"] for r in study] == [
        compare.MODEL_LABELS[m] for m in compare.model_order(list(params.models.enabled_models()))
    ]
    champion = registry.champion_after
    lineage_items = {r["item"]: r["value"] for r in page.table("Code, data and dates")}
    assert lineage_items["champion"] == (
        f"company-risk version {champion.version}, run {champion.run_id}"
    )
    for title in REPORT_SECTIONS:
        assert f"\n## {title}\n" in md
    for heading in (
        "Intended use",
        "The label and the horizon",
        "Known limitations",
        "Before use on real data",
    ):
        assert f"\n### {heading}\n" in md
    card = {r["item"]: r["value"] for r in page.table("Summary")}
    assert f"version {champion.version}, run {champion.run_id}" in card["model"]
    assert card["data"] == "embedded synthetic register"
    horizon = params.features.horizon_months
    assert card["predicts"] == text("card.predicts", horizon=horizon)
    # the card's fixed paragraphs, the synthetic world's limitation (not the real data's) and
    # what real data lacks on day one (12 months of drops to collect before training)
    for name in ("card.limit_synthetic", "card.limit_accuracy", "card.before_collect"):
        assert text(name) in md
    assert text("card.label", horizon=horizon) in md
    assert text("card.limit_real") not in md
    assert lineage_items["generated on"] == "2025-10-20"
    assert (
        lineage_items["last drop used"]
        == sorted(p.name for p in (tiny_project / "data" / "raw").iterdir())[-1]
    )
    hashes = {r["path"]: r["md5"] for r in page.table("Input hashes")}
    assert hashes["data/processed/features.parquet"] == file_md5(
        tiny_project / "data" / "processed" / "features.parquet"
    )
    assert {r["parameter"]: r["value"] for r in page.table("params.yaml")}[
        "report.bootstrap_rounds"
    ] == str(params.report.bootstrap_rounds)
    assert {r["run_id"] for r in page.table("MLflow runs")} == {r.info.run_id for r in mlflow_runs}


def test_data_section_shows_the_world_beside_the_real_register(tiny_project, page):
    world = json.loads((tiny_project / "reports" / "world.json").read_text())
    rates = page.table("Base rates: this run beside the real Estonian register")
    assert len(rates) == len(REAL_BASE_RATES)
    assert all(r["this run"] != "not reported" for r in rates)  # every rate the world realised
    shown = {r["quantity"]: r["this run"] for r in rates}
    by_key = {r.world_key: r.quantity for r in REAL_BASE_RATES}
    assert shown[by_key["default_rate_12m"]] == f"{world['default_rate_12m']:.2%}"
    facts = {r["item"]: r["value"] for r in page.table("The data")}
    drops = sorted(p.name for p in (tiny_project / "data" / "raw").iterdir())
    assert facts["drops used"] == f"{len(drops)} ({drops[0]} .. {drops[-1]})"
    features = pd.read_parquet(tiny_project / "data" / "processed" / "features.parquet")
    per_snapshot = page.table("Population and default rate per snapshot")
    assert len(per_snapshot) == features["snapshot_date"].nunique()
    first = features.loc[features["snapshot_date"] == features["snapshot_date"].min()]
    assert int(per_snapshot[0]["population"]) == len(first)
    assert int(per_snapshot[0]["defaults"]) == int(first["label"].sum())


def test_every_figure_is_the_one_mlflow_holds(page, mlflow_runs):
    by_key = {
        (r.data.params["model"], r.data.params["feature_set"]): r.data.metrics for r in mlflow_runs
    }
    for heading, split in (
        ("Every metric, validation snapshots", "val"),
        ("Every metric, test snapshots", "test"),
    ):
        for row in page.table(heading):
            metrics = by_key[(row["model"], row["feature set"])]
            for metric in METRIC_NAMES:
                cell = row[compare.METRIC_LABELS[metric]]
                assert leading_number(cell) == pytest.approx(
                    round(metrics[f"{split}_{metric}"], 3), abs=1e-9
                ), (heading, row["model"], metric)
                low, high = (float(x) for x in re.search(r"\[(.+), (.+)\]", cell).groups())
                assert low <= high
    labels = {v: k for k, v in compare.MODEL_LABELS.items()}
    for row in page.table("Test ROC-AUC: models by feature set"):
        model = labels[row["model"]]
        for feature_set, label in compare.FEATURE_SET_LABELS.items():
            if (model, feature_set) in by_key:
                assert leading_number(row[label]) == pytest.approx(
                    round(by_key[(model, feature_set)]["test_roc_auc"], 3)
                )


def test_champion_decision_and_oracle_are_the_train_stage_figures(tiny_project, page):
    registry = RegistryDecision.read(tiny_project / "reports" / "registry.json")
    metrics = json.loads((tiny_project / "reports" / "metrics.json").read_text())
    decision = {
        r["item"]: r["value"] for r in page.table("The champion decision (reports/registry.json)")
    }
    assert decision["decision"] == registry.gate.decision
    assert float(decision["candidate test ROC-AUC"]) == pytest.approx(
        registry.gate.candidate_test, abs=5e-5
    )
    aliases = {
        r["alias"]: r["version"]
        for r in page.table("Aliases of the registered model company-risk now (MLflow registry)")
    }
    assert aliases["champion"] == registry.champion_after.version
    assert aliases["challenger"] == registry.candidate.version
    oracle = {r[""]: r for r in page.table("The champion beside the oracle")}
    roc = oracle["ROC-AUC"]
    assert float(roc["oracle (true probabilities)"]) == pytest.approx(
        metrics["oracle_test_roc_auc"], abs=5e-4
    )
    assert float(roc["champion"]) == pytest.approx(metrics["roc_auc"], abs=5e-4)
    gap, low, high = map(float, re.findall(r"[-+]\d\.\d+", roc["gap oracle − champion [95% CI]"]))
    assert gap == pytest.approx(metrics["oracle_gap_roc_auc"], abs=5e-4)
    assert low <= gap <= high
    assert float(oracle["PR-AUC"]["oracle (true probabilities)"]) == pytest.approx(
        metrics["oracle_test_pr_auc"], abs=5e-4
    )


def test_html_is_valid_self_contained_and_every_image_decodes(tiny_project, page):
    text = (tiny_project / "reports" / "model_comparison.html").read_text(encoding="utf-8")
    assert page.stack == []  # every element closed, in order
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text and "<link" not in text
    assert all(url.startswith("#") for url in page.urls)  # only in-page links
    assert len(page.images) >= 7
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1], validate=True)))
        image.verify()
        assert image.format == "PNG" and min(image.size) > 100


def test_report_holds_no_personal_data(tiny_project, personal_data):
    for name in ("model_comparison.html", "model_comparison.md"):
        text = (tiny_project / "reports" / name).read_text(encoding="utf-8")
        leaked = sorted(s for s in personal_data if s in text)
        assert leaked == [], f"{name} contains {leaked[:5]}"


def under_heading(doc, title: str, heading: str) -> list:
    """The blocks of a section after `heading`, up to the next heading."""
    blocks = section(doc, title).blocks
    start = blocks.index(Heading(heading)) + 1
    end = next((i for i in range(start, len(blocks)) if isinstance(blocks[i], Heading)), None)
    return blocks[start:end]


def test_absent_truth_and_scores_are_said_not_failed(evidence):
    assert evidence.scores is not None  # the fixture scored a day
    without = dataclasses.replace(
        evidence,
        scores=None,
        truth=None,
        metrics_report={
            k: v for k, v in evidence.metrics_report.items() if not k.startswith("oracle")
        },
        runs=dataclasses.replace(evidence.runs, parent_metrics={}),
    )
    full_figures, bare_figures = analysis.analyse(evidence), analysis.analyse(without)
    full = sections.document(evidence, full_figures)
    bare = sections.document(without, bare_figures)

    assert bare_figures.scoring is None and full_figures.scoring is not None
    assert sentences(bare, "Daily scoring") == [text("scoring.no_scores")]
    scored = key_values(full, "Daily scoring", f"Scores of {evidence.scores.date}")
    assert scored["latest scored day"] == evidence.scores.date
    assert scored["companies scored"] == f"{len(evidence.scores.scores):,}"

    assert bare_figures.oracle.source is Source.NONE
    assert full_figures.oracle.source is Source.BOOTSTRAP
    oracle = "The champion beside the oracle"
    assert under_heading(bare, "Champion decision", oracle) == [Paragraph(text("oracle.no_truth"))]
    (table,) = [b for b in under_heading(full, "Champion decision", oracle) if isinstance(b, Table)]
    assert list(table.frame[""]) == ["ROC-AUC", "PR-AUC"]
    # the summary gives the oracle's figure and its verdict only where there is a truth
    roc = full_figures.oracle.gap.loc["roc_auc"]
    verdict = sections.gap_sentence("ROC-AUC", roc, full_figures.oracle.verdicts["roc_auc"])
    assert any(
        f"{roc.oracle:.3f}" in item and verdict in item for item in sentences(full, "Summary")
    )
    assert not any(verdict in item for item in sentences(bare, "Summary"))
    assert text("summary.oracle", roc_auc=f"{roc.oracle:.3f}") not in " ".join(
        sentences(bare, "Summary")
    )


def test_a_champion_kept_from_an_earlier_run_is_described_by_the_train_stage_figures(evidence):
    earlier = VersionRecord(version="0", run_id="0" * 32, model="svm", feature_set="tax")
    kept = dataclasses.replace(
        evidence,
        champion=earlier,
        champion_meta=champion_meta(
            ["tax__debt"], version="0", train_from="2010-01-01", train_until="2014-12-31"
        ),
    )
    figures = analysis.analyse(kept)
    doc = sections.document(kept, figures)
    assert figures.champion.source is Source.METRICS_JSON  # not one of this run's runs
    assert figures.champion.train_source is Source.CHAMPION_JSON
    summary = sentences(doc, "Summary")
    assert text("summary.champion_earlier", version="0", model="svm", feature_set="tax") in summary
    card = key_values(doc, "Model card", "Summary")
    assert card["test ROC-AUC"] == f"{evidence.metrics_report['roc_auc']:.4f}"
    assert card["training snapshots"] == "2010-01-01 .. 2014-12-31"
    assert figures.classes.table is None  # no logged test predictions: no class distribution
    classes = section(doc, "Risk classes on the test snapshots").blocks
    assert not any(isinstance(b, Table) for b in classes)
    assert Note(text("classes.no_predictions")) in classes
    gap = evidence.metrics_report["oracle_gap_roc_auc"]
    assert figures.oracle.source is Source.TRAIN and figures.oracle.gap_roc_auc == gap
    oracle = under_heading(doc, "Champion decision", "The champion beside the oracle")
    assert Paragraph(text("oracle.train_gap", gap=f"{gap:.4f}")) in oracle


def test_default_date_is_the_newest_data_so_the_same_inputs_give_the_same_report(
    tiny_project, tmp_path
):
    """Without --generated-on the report is dated by its newest input (drop or scored day), not
    by the clock: a DVC stage rerun on unchanged inputs rewrites the same bytes."""
    result = CliRunner().invoke(
        app,
        ["--project-dir", str(tiny_project), "report", "--out", str(tmp_path)],
        env={"MLFLOW_TRACKING_URI": ProjectPaths(tiny_project).tracking_uri({})},
    )
    assert result.exit_code == 0, result.output
    drops = sorted(p.name for p in (tiny_project / "data" / "raw").iterdir())
    scored = sorted(
        p.name.removeprefix("date=") for p in (tiny_project / "data" / "scores").glob("date=*")
    )
    newest = max(drops[-1], scored[-1])
    md = (tmp_path / "model_comparison.md").read_text(encoding="utf-8")
    assert f"| generated on | {newest} |" in md
    fixture_md = (tiny_project / "reports" / "model_comparison.md").read_text(encoding="utf-8")
    assert md == fixture_md.replace("generated on 2025-10-20", f"generated on {newest}").replace(
        "| generated on | 2025-10-20 |", f"| generated on | {newest} |"
    )


def test_report_without_a_training_run_stops_with_a_clear_message(tmp_path):
    (tmp_path / "params.yaml").write_text("{}\n")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = CliRunner().invoke(
        app, ["--project-dir", str(tmp_path), "report"], env={"MLFLOW_TRACKING_URI": uri}
    )
    assert result.exit_code == 2
    assert "no experiment 'company-risk'" in result.output
    assert not (tmp_path / "reports" / "model_comparison.html").exists()
    with pytest.raises(ReportError):
        paths = ProjectPaths(tmp_path)
        collect_evidence(
            ReportSources.from_paths(paths, paths.params, uri), load_params(paths.params)
        )
