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
