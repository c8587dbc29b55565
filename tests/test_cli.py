"""The CLI edge: every stage is a subcommand, and bad configuration fails with a clear message."""

from typer.testing import CliRunner

from company_risk.cli import app

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
    import company_risk.features as features
    import company_risk.ingest as ingest
    import company_risk.report.bootstrap as bootstrap
    import company_risk.report.collect as collect
    import company_risk.scoring as scoring
    import company_risk.train.candidates as candidates
    import company_risk.train.explain as explain
    import company_risk.train.metrics as metrics
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
