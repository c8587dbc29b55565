"""The CLI edge: every stage is a subcommand, and bad configuration fails with a clear message."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from company_risk.cli import app
from company_risk.lock import lock_path

runner = CliRunner()


def test_every_stage_is_a_subcommand():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("synth", "ingest", "features", "train"):
        assert command in result.output


def test_unknown_params_key_stops_with_exit_2(tmp_path):
    (tmp_path / "params.yaml").write_text("features:\n  snapshot_evry: monthly\n")
    result = runner.invoke(app, ["--project-dir", str(tmp_path), "features"])
    assert result.exit_code == 2
    assert "unknown key(s) snapshot_evry" in result.output


def test_bad_date_option_is_named(tmp_path):
    (tmp_path / "params.yaml").write_text("{}\n")
    result = runner.invoke(
        app, ["--project-dir", str(tmp_path), "features", "--date", "2025-02-30"]
    )
    assert result.exit_code == 2
    assert "--date" in result.output


def test_every_named_error_is_one_class_the_cli_catches():
    import company_risk.explain as explain
    import company_risk.features as features
    import company_risk.ingest as ingest
    import company_risk.metrics as metrics
    import company_risk.report.bootstrap as bootstrap
    import company_risk.report.collect as collect
    import company_risk.scoring as scoring
    import company_risk.train.candidates as candidates
    import company_risk.train.run as run
    import company_risk.train.split as split
    from company_risk.config import ConfigError
    from company_risk.errors import CompanyRiskError

    named = [
        ConfigError,
        ingest.IngestError,
        features.FeatureError,
        scoring.ScoringError,
        run.TrainError,
        split.SplitError,
        candidates.CandidateError,
        metrics.MetricError,
        explain.ExplainError,
        collect.ReportError,
        bootstrap.BootstrapError,
    ]
    assert all(issubclass(e, CompanyRiskError) for e in named)


def test_a_named_error_from_any_command_exits_2_with_one_line(tmp_path):
    from typer.testing import CliRunner

    from company_risk.cli import app

    (tmp_path / "params.yaml").write_text("ingest: {}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--project-dir", str(tmp_path), "ingest"])  # no data/raw
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "raw drop folder not found" in result.output
    assert "Traceback" not in result.output


SMALL_WORLD = (
    "synth: {seed: 3, n_companies: 60, start: '2024-01-01', end: '2024-03-01', "
    "daily_tail_days: 1}\n"
)


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_synth_elsewhere_leaves_the_project_untouched(tmp_path):
    """A world simulated into other folders writes nothing into the project: no
    reports/world.json, which would make `dvc status` see the pipeline changed."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "params.yaml").write_text(SMALL_WORLD, encoding="utf-8")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    raw, truth = tmp_path / "elsewhere" / "raw", tmp_path / "elsewhere" / "truth"
    argv = ["--project-dir", str(project), "synth", "--out", str(raw), "--truth", str(truth)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert _files(raw) and _files(truth)
    assert not (project / "reports").exists()
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert {p: b for p, b in after.items() if p != lock_path(project)} == before
    assert "default_rate_12m:" in result.output  # the statistics are still printed


def test_synth_writes_the_world_statistics_where_report_says(tmp_path):
    (tmp_path / "params.yaml").write_text(SMALL_WORLD, encoding="utf-8")
    stats = tmp_path / "elsewhere" / "world.json"
    argv = ["--project-dir", str(tmp_path), "synth", "--out", str(tmp_path / "raw")]
    argv += ["--truth", str(tmp_path / "truth"), "--report", str(stats)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    world = json.loads(stats.read_text(encoding="utf-8"))
    assert f"default_rate_12m: {world['default_rate_12m']}" in result.output
    assert not (tmp_path / "reports").exists()


def test_the_pipeline_synth_stage_asks_for_reports_world_json():
    dvc = yaml.safe_load((Path(__file__).resolve().parents[1] / "dvc.yaml").read_text())
    stage = dvc["stages"]["synth"]
    assert "--report reports/world.json" in stage["cmd"]
    assert any("reports/world.json" in m for m in stage["metrics"])


@pytest.mark.parametrize(
    "name", ["synth", "ingest", "features", "train", "score", "daily", "report"]
)
def test_a_bad_params_value_stops_every_command_before_any_work(tmp_path, name):
    """The typo a training run used to meet only after its first fitted model (calibration
    `sigmod`) stops every command at once: one line, exit 2, nothing written."""
    (tmp_path / "params.yaml").write_text("models:\n  calibration: sigmod\n", encoding="utf-8")
    result = runner.invoke(app, ["--project-dir", str(tmp_path), name])
    assert result.exit_code == 2, result.output
    params = tmp_path.resolve() / "params.yaml"
    assert result.output.splitlines() == [
        f"error: {params}: models.calibration: 'sigmod' is not one of sigmoid, isotonic"
    ]
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert left <= {"params.yaml", lock_path(tmp_path).name}  # no mlflow.db, data/, reports/
