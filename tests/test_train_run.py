"""The train stage end to end on a tiny world: MLflow runs, registry aliases, reports, export."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from builders import with_horizon_labels
from builders_example import example_features
from company_risk.artifacts import TRAINING_EXPERIMENT as EXPERIMENT
from company_risk.artifacts import RegistryDecision, VersionRecord
from company_risk.cli import app
from company_risk.config import ProjectPaths, params_from_dict
from company_risk.metrics import METRIC_NAMES
from company_risk.model_table import MODEL_NAMES
from company_risk.train.run import TrainError, run_training


def make_params(enabled: dict[str, dict], feature_sets=("tax", "all")):
    models = {name: {"enabled": False} for name in MODEL_NAMES}
    models.update({name: {"enabled": True, **settings} for name, settings in enabled.items()})
    return params_from_dict(
        {
            "models": {
                "feature_sets": list(feature_sets),
                "search_iterations": 2,
                "n_jobs": 1,
                **models,
            }
        }
    )


def make_project(root: Path, n_companies: int = 350, seed: int = 4) -> ProjectPaths:
    table, truth = example_features(n_companies=n_companies, seed=seed)
    table = with_horizon_labels(table)  # as the features stage writes: label_3m, _6m, _9m
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "truth").mkdir(parents=True)
    table.to_parquet(root / "data" / "processed" / "features.parquet", index=False)
    truth.to_parquet(root / "data" / "truth" / "pd.parquet", index=False)
    return ProjectPaths(root)


def train(paths: ProjectPaths, params, truth: bool = True):
    return run_training(
        features_path=paths.processed / "features.parquet",
        truth_dir=paths.truth if truth else None,
        params=params,
        params_file=paths.params,
        paths=paths,
        tracking_uri=f"sqlite:///{paths.root / 'mlflow.db'}",
    )


GRID = {
    "decision_tree": {},
    "naive_bayes": {},
    "xgboost": {"n_estimators": 40},
    "logistic_regression": {},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """One project trained twice with the same data and params."""
    paths = make_project(tmp_path_factory.mktemp("project"))
    params = make_params(GRID)
    first = train(paths, params)
    registry_after_first = RegistryDecision.read(paths.reports / "registry.json")
    second = train(paths, params)
    return paths, first, second, registry_after_first


def client(paths: ProjectPaths) -> mlflow.MlflowClient:
    uri = f"sqlite:///{paths.root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(uri, uri)


def test_every_enabled_run_is_in_mlflow_with_its_metrics(project):
    paths, first, _, _ = project
    c = client(paths)
    experiment = c.get_experiment_by_name(EXPERIMENT)
    assert Path(experiment.artifact_location.removeprefix("file://")) == paths.mlartifacts.resolve()
    runs = c.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{first.parent_run_id}'",
    )
    names = sorted(r.info.run_name for r in runs)
    assert names == sorted(f"{m}__{f}" for m in GRID for f in ("tax", "all"))
    for run in runs:
        model, feature_set = run.info.run_name.split("__")
        assert run.data.params["model"] == model and run.data.params["feature_set"] == feature_set
        for prefix in ("val", "test"):
            for metric in METRIC_NAMES:
                assert np.isfinite(run.data.metrics[f"{prefix}_{metric}"]), (
                    run.info.run_name,
                    metric,
                )
        assert 0 < run.data.metrics["threshold"] < 1
        artifacts = {a.path for a in c.list_artifacts(run.info.run_id)} | {
            a.path
            for folder in ("predictions", "plots")
            for a in c.list_artifacts(run.info.run_id, folder)
        }
        assert {
            "predictions/validation.parquet",
            "predictions/test.parquet",
            "feature_importance.csv",
            "plots/roc.png",
            "plots/pr.png",
            "plots/calibration.png",
            "plots/confusion_matrix.png",
        } <= artifacts
    xgb = next(r for r in runs if r.info.run_name == "xgboost__all")
    predictions = pd.read_parquet(
        mlflow.artifacts.download_artifacts(
            run_id=xgb.info.run_id, artifact_path="predictions/test.parquet"
        )
    )
    assert list(predictions.columns) == ["company_id", "snapshot_date", "label", "probability"]
    assert predictions["probability"].between(0, 1).all()
    importance = pd.read_csv(
        mlflow.artifacts.download_artifacts(
            run_id=xgb.info.run_id, artifact_path="feature_importance.csv"
        )
    )
    assert list(importance.columns) == ["feature", "importance"]
    assert "desc__sector" in set(importance["feature"])  # one-hot summed back


def test_parent_run_carries_lineage_tags_and_oracle(project):
    paths, first, _, _ = project
    parent = client(paths).get_run(first.parent_run_id)
    features = paths.processed / "features.parquet"
    assert parent.data.tags["features_md5"] == hashlib.md5(features.read_bytes()).hexdigest()
    assert len(parent.data.tags["params_hash"]) == 16
    assert parent.data.tags["git_commit"]
    assert 0.5 < parent.data.metrics["oracle_test_roc_auc"] <= 1
    assert 0 < parent.data.metrics["oracle_test_pr_auc"] <= 1


def test_first_run_makes_the_best_candidate_champion(project):
    paths, first, _, registry_first = project
    assert registry_first.gate.decision == "first" and registry_first.champion_before is None
    assert registry_first.training_run_id == first.parent_run_id
    best = first.comparison.sort_values("val_roc_auc", ascending=False).iloc[0]
    candidate = registry_first.candidate
    assert (candidate.model, candidate.feature_set) == (best["model"], best["feature_set"])
    assert registry_first.candidate_val == pytest.approx(best["val_roc_auc"])
    assert registry_first.champion_after.version == candidate.version == "1"
    assert registry_first.gate.champion_test is None


def test_same_data_and_params_give_the_same_metrics_and_keep_the_champion(project):
    paths, first, second, _ = project
    metrics = [
        c for c in first.comparison.columns if c.startswith(("val_", "test_")) or c == "threshold"
    ]
    pd.testing.assert_frame_equal(first.comparison[metrics], second.comparison[metrics])
    registry = RegistryDecision.read(paths.reports / "registry.json")
    assert registry.gate.decision == "kept"  # equal, not better by min_improvement
    assert registry.candidate.version == "2"
    assert registry.champion_before.version == registry.champion_after.version == "1"
    assert registry.gate.champion_test == pytest.approx(registry.gate.candidate_test)
    c = client(paths)
    assert str(c.get_model_version_by_alias("company-risk", "champion").version) == "1"
    assert str(c.get_model_version_by_alias("company-risk", "challenger").version) == "2"
    version = c.get_model_version("company-risk", "2")
    assert version.tags["decision"] == "kept" and version.tags["gate_champion_version"] == "1"


def test_reports_for_dvc(project):
    paths, first, _, _ = project
    metrics = json.loads((paths.reports / "metrics.json").read_text())
    assert set(METRIC_NAMES) <= set(metrics)
    assert {"oracle_test_roc_auc", "oracle_test_pr_auc", "threshold"} <= set(metrics)
    comparison = pd.read_csv(paths.reports / "comparison.csv")
    assert len(comparison) == 8
    assert {"model", "feature_set", "run_id", "val_roc_auc", "test_recall_top5"} <= set(
        comparison.columns
    )
    by_run = json.loads((paths.reports / "grid.json").read_text())
    assert by_run["xgboost__all"]["test_roc_auc"] == pytest.approx(
        comparison.set_index(["model", "feature_set"]).loc[("xgboost", "all"), "test_roc_auc"],
        abs=1e-6,
    )
    roc = pd.read_csv(paths.reports / "plots" / "roc.csv")
    pr = pd.read_csv(paths.reports / "plots" / "pr.csv")
    assert list(roc.columns) == ["fpr", "tpr"] and list(pr.columns) == ["recall", "precision"]
    assert roc["fpr"].is_monotonic_increasing and roc["tpr"].iloc[-1] == 1.0


def test_champion_alias_loads_with_pyfunc_and_returns_probabilities(project):
    paths, _, _, _ = project
    client(paths)
    model = mlflow.pyfunc.load_model("models:/company-risk@champion")
    table = pd.read_parquet(paths.processed / "features.parquet").tail(25)
    columns = [c.name for c in model.metadata.get_input_schema().inputs]
    probabilities = np.asarray(model.predict(table[columns]))
    assert probabilities.shape == (25, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_exported_champion_scores_without_the_tracking_database(project, tmp_path):
    paths, _, _, _ = project
    meta = json.loads((paths.champion_model / "champion.json").read_text())
    assert meta["version"] == "1" and meta["model_name"] == "company-risk"
    assert meta["train_from"] == "2016-01-01" and meta["train_until"] <= "2021-12-31"
    table = pd.read_parquet(paths.processed / "features.parquet").tail(10)
    table.to_parquet(tmp_path / "rows.parquet")
    script = (
        "import json, sys, mlflow.pyfunc, pandas as pd\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "meta = json.load(open(sys.argv[1] + '/champion.json'))\n"
        "rows = pd.read_parquet(sys.argv[2])[meta['feature_columns']]\n"
        "print(json.dumps(pd.DataFrame(model.predict(rows)).iloc[:, 1].tolist()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(paths.champion_model), str(tmp_path / "rows.parquet")],
        capture_output=True,
        text=True,
        check=True,
        env={
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'elsewhere.db'}",
            "PATH": "/usr/bin:/bin",
        },
    )
    probabilities = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(probabilities) == 10 and all(0 < p < 1 for p in probabilities)


def test_a_better_candidate_is_promoted(tmp_path):
    paths = make_project(tmp_path, n_companies=300, seed=8)
    train(paths, make_params({"naive_bayes": {}}, feature_sets=("graph",)), truth=False)
    result = train(
        paths, make_params({"xgboost": {"n_estimators": 40}}, feature_sets=("all",)), truth=False
    )
    registry = result.registry
    assert registry.gate.decision == "promoted", registry.gate
    assert registry.gate.candidate_test >= registry.gate.champion_test + 0.002
    assert registry.champion_after == VersionRecord(
        version="2",
        run_id=registry.candidate.run_id,
        model="xgboost",
        feature_set="all",
        test=registry.gate.candidate_test,
    )
    assert "oracle_test_roc_auc" not in result.metrics  # no truth, no oracle
    assert json.loads((paths.champion_model / "champion.json").read_text())["version"] == "2"


def test_bad_features_give_a_clear_error(tmp_path):
    paths = make_project(tmp_path, n_companies=120, seed=1)
    features = paths.processed / "features.parquet"
    params = make_params({"naive_bayes": {}}, feature_sets=("all",))
    table = pd.read_parquet(features)
    table.drop(columns=["desc__county"]).to_parquet(features)
    with pytest.raises(TrainError, match="desc__county"):
        train(paths, params)
    table.assign(label=np.int8(0)).to_parquet(features)
    with pytest.raises(TrainError, match="single class"):
        train(paths, params)
    features.unlink()
    with pytest.raises(TrainError, match="not found"):
        train(paths, params)
    assert not (paths.root / "models" / "champion").exists()


def test_cli_train_reports_errors_without_a_traceback(tmp_path):
    paths = make_project(tmp_path, n_companies=120, seed=1)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump({"models": {"feature_sets": ["graph", "finance"]}}))
    result = CliRunner().invoke(app, ["--project-dir", str(paths.root), "train"])
    assert result.exit_code == 2
    assert "models.feature_sets: ['graph', 'finance']" in result.output


# ----------------------------------------------------------------------- publishing the champion
def _agreement(paths: ProjectPaths) -> tuple[tuple[str, str, str], dict[Path, bytes]]:
    """(alias, export, registry.json): the champion version each names; and the bytes of
    every file of the export and the reports."""
    alias = str(client(paths).get_model_version_by_alias("company-risk", "champion").version)
    export = json.loads((paths.champion_model / "champion.json").read_text())["version"]
    report = RegistryDecision.read(paths.reports / "registry.json").champion_after
    files = {
        p.relative_to(paths.root): p.read_bytes()
        for base in (paths.champion_model, paths.reports)
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }
    return (alias, export, report.version), files


class Injected(RuntimeError):
    pass


def test_a_train_failing_while_it_publishes_leaves_alias_export_and_registry_json_agreeing(
    tmp_path, monkeypatch, caplog
):
    from company_risk.train import registry
    from company_risk.train import run as train_run

    paths = make_project(tmp_path, n_companies=300, seed=8)
    weak = make_params({"naive_bayes": {}}, feature_sets=("graph",))
    strong = make_params({"xgboost": {"n_estimators": 40}}, feature_sets=("all",))
    real_alias = mlflow.MlflowClient.set_registered_model_alias
    real_write_json = train_run.write_json

    def first_alias_moves_then_fails(self, name, alias, version):
        real_alias(self, name, alias, version)
        if alias == "champion":
            raise Injected("first champion")

    # the very first train fails as it publishes: no champion anywhere, not half of one
    with monkeypatch.context() as patch:
        patch.setattr(
            mlflow.MlflowClient, "set_registered_model_alias", first_alias_moves_then_fails
        )
        with pytest.raises(Injected):
            train(paths, weak, truth=False)
    assert registry.current_champion(client(paths)) is None
    assert not paths.champion_model.exists()
    assert not [p for p in paths.reports.rglob("*") if p.is_file()]

    train(paths, weak, truth=False)
    agreed, files = _agreement(paths)
    assert agreed == ("2", "2", "2")

    def export_fails(*args, **kwargs):
        raise Injected("export")

    def registry_json_fails(obj, target):
        if Path(target).name == "registry.json":
            raise Injected("registry.json")
        return real_write_json(obj, target)

    def alias_fails(self, name, alias, version):
        if alias == "champion":
            raise Injected("alias")
        return real_alias(self, name, alias, version)

    moved = []

    def alias_moves_then_fails(self, name, alias, version):
        real_alias(self, name, alias, version)
        if alias == "champion" and not moved:  # the rollback's own call goes through
            moved.append(version)
            raise Injected("after the alias moved")

    failures = [
        (registry, "export_champion", export_fails),
        (train_run, "write_json", registry_json_fails),
        (mlflow.MlflowClient, "set_registered_model_alias", alias_fails),
        (mlflow.MlflowClient, "set_registered_model_alias", alias_moves_then_fails),
    ]
    for owner, attribute, failing in failures:
        with monkeypatch.context() as patch:
            patch.setattr(owner, attribute, failing)
            with pytest.raises(Injected):
                train(paths, strong, truth=False)
        state, after = _agreement(paths)
        assert state == ("2", "2", "2"), failing.__name__
        assert after == files, failing.__name__  # every file put back as it was
    assert moved == ["6"]  # the last failure did move the alias, and it was moved back

    # a train killed mid-way leaves its runs RUNNING; the next train closes them
    c = client(paths)
    experiment = c.get_experiment_by_name(EXPERIMENT)
    killed = c.create_run(experiment.experiment_id, run_name="killed").info.run_id
    files_when_alias_moved = []

    def spy(self, name, alias, version):
        if alias == "champion":
            files_when_alias_moved.append(_agreement(paths)[0][1:])
        return real_alias(self, name, alias, version)

    monkeypatch.setattr(mlflow.MlflowClient, "set_registered_model_alias", spy)
    with caplog.at_level("WARNING", logger="company_risk.train"):
        result = train(paths, strong, truth=False)
    version = result.registry.champion_after.version
    assert result.registry.gate.decision == "promoted" and version == "7"
    assert _agreement(paths)[0] == (version, version, version)
    assert files_when_alias_moved == [(version, version)]  # the alias moved last
    assert c.get_run(killed).info.status == "KILLED"
    assert killed in caplog.text
    assert c.get_run(result.parent_run_id).info.status == "FINISHED"


def test_runs_left_running_are_marked_killed_and_logged(tmp_path, caplog):
    from company_risk.train.run import close_leftover_runs

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    c = mlflow.MlflowClient(uri, uri)
    experiment_id = c.create_experiment(EXPERIMENT)
    other = c.create_experiment("elsewhere")
    left = [c.create_run(experiment_id, run_name=f"left{i}").info.run_id for i in range(2)]
    done = c.create_run(experiment_id, run_name="done").info.run_id
    c.set_terminated(done, status="FINISHED")
    foreign = c.create_run(other, run_name="foreign").info.run_id
    with caplog.at_level("WARNING", logger="company_risk.train"):
        assert sorted(close_leftover_runs(c, experiment_id)) == sorted(left)
    assert [c.get_run(r).info.status for r in left] == ["KILLED", "KILLED"]
    assert c.get_run(done).info.status == "FINISHED"
    assert c.get_run(foreign).info.status == "RUNNING"  # another experiment is not ours
    assert all(r in caplog.text for r in left)
    assert close_leftover_runs(c, experiment_id) == []


def test_an_unusable_tracking_store_is_a_named_error_before_training(tmp_path, monkeypatch):
    paths = make_project(tmp_path, n_companies=120, seed=1)
    params = make_params({"naive_bayes": {}}, feature_sets=("all",))

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr("company_risk.train.run.train_candidate", no_training)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not an SQLite database" * 100)
    for uri in (
        f"sqlite:///{blocker}/mlflow.db",
        f"sqlite:///{garbage}",
        (tmp_path / "mlruns").as_uri(),
    ):
        with pytest.raises(TrainError, match="tracking store"):
            run_training(
                features_path=paths.processed / "features.parquet",
                truth_dir=None,
                params=params,
                params_file=paths.params,
                paths=paths,
                tracking_uri=uri,
            )
    (paths.root / "params.yaml").write_text(
        yaml.safe_dump({"models": {"feature_sets": ["all"], "search_iterations": 1}})
    )
    result = CliRunner().invoke(
        app,
        ["--project-dir", str(paths.root), "train"],
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{blocker}/mlflow.db"},
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "MLFLOW_TRACKING_URI" in result.output
    assert not paths.champion_model.exists() and not (paths.reports / "registry.json").exists()


# ------------------------------------------------------------------------- term structure
def test_the_champion_carries_a_term_structure_and_its_figures_per_horizon(project):
    from company_risk.artifacts import ChampionMeta
    from company_risk.schemas import HORIZON_METRICS
    from company_risk.scoring.model import resolve_model
    from company_risk.term_structure import TAG, TermStructure

    paths, first, second, _ = project
    metrics = json.loads((paths.reports / "metrics.json").read_text())
    keys = {f"pd_{h}m_{k}" for h in (3, 6, 9, 12) for k in HORIZON_METRICS}
    assert keys <= set(metrics) and keys <= set(second.metrics)
    assert metrics["pd_12m_roc_auc"] == pytest.approx(metrics["roc_auc"], abs=1e-6)
    assert metrics["pd_12m_brier"] == pytest.approx(metrics["brier"], abs=1e-6)
    for h in (3, 6, 9):
        assert 0.5 < metrics[f"pd_{h}m_roc_auc"] <= 1 and 0 < metrics[f"pd_{h}m_pr_auc"] <= 1
    predicted = [metrics[f"pd_{h}m_mean_predicted"] for h in (3, 6, 9, 12)]
    observed = [metrics[f"pd_{h}m_observed_rate"] for h in (3, 6, 9, 12)]
    assert predicted == sorted(predicted) and observed == sorted(observed)
    assert 0 < observed[0] < observed[-1]
    # logged on both parent runs; the second kept version 1 and refitted it on the validation
    # rows that version scores the same: the same figures
    c = client(paths)
    runs = [c.get_run(r.parent_run_id).data.metrics for r in (first, second)]
    for h in (3, 6, 9, 12):
        for k in ("roc_auc", "pr_auc", "brier"):
            name = f"champion_test_{k}_{h}m"
            assert runs[0][name] == pytest.approx(runs[1][name], abs=1e-9), name
            assert runs[1][name] == pytest.approx(metrics[f"pd_{h}m_{k}"], abs=1e-6)
    # champion.json and the champion version's tag hold the same term structure
    meta = ChampionMeta.read(paths.champion_model / "champion.json")
    structure = TermStructure.from_dict(meta.term_structure)
    assert structure.months == (3, 6, 9) and structure.base_months == 12
    version = c.get_model_version("company-risk", meta.version)
    assert TermStructure.from_json(version.tags[TAG]) == structure
    assert resolve_model(str(paths.champion_model), None).term_structure == structure
    assert all(h.slope > 0 for h in structure.horizons)


def test_term_figures_need_horizon_labels_with_both_classes():
    from company_risk.train.run import term_structure_figures
    from company_risk.train.split import temporal_split

    table, _ = example_features(n_companies=200, seed=2)
    split = temporal_split(table, make_params({"naive_bayes": {}}).split)
    p_val = np.full(len(split.validation), 0.05)
    p_test = np.full(len(split.test), 0.05)
    assert term_structure_figures(table, split, p_val, p_test, 12) is None  # older features
    labelled = with_horizon_labels(table)
    labelled["label_3m"] = np.int8(0)
    with pytest.raises(TrainError, match="validation snapshots: the 3-month label has a single"):
        term_structure_figures(labelled, split, p_val, p_test, 12)
    labelled["label_3m"] = np.int8(2)
    with pytest.raises(TrainError, match="label_3m must be 0 or 1"):
        term_structure_figures(labelled, split, p_val, p_test, 12)


def test_a_table_without_the_network_additions_logs_no_ablation(project):
    paths, first, _, _ = project  # example_features holds none of train.ablation's additions
    assert client(paths).list_artifacts(first.parent_run_id, "ablation") == []
    assert "ablation_seconds" not in client(paths).get_run(first.parent_run_id).data.metrics
