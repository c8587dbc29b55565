"""Shared pytest configuration: the fixtures several test modules use, and the autouse guard.

- conftest.py (this module): pytest fixtures used by more than one module: `tiny_project` and
  `personal_data` (report, notebook tests), `pristine` and `case` (the tiny world's drops before
  a bad one: test_ingest_bad, test_ingest_bounds), `project` (the tiny world's drops and a
  champion: test_scoring_run, test_spark). A module's own fixture of the same name (as
  test_ingest_gates' `pristine`, test_lock's `project`) takes precedence there. `serve_setup`
  and `api` (the test_serve_* modules): a copy of the tiny world's scored days with a fresh
  store, and the API running over them on a loopback port.
- builders.py and builders_example.py: the plain data makers (functions, classes, constants)
  that tests and these fixtures import; see builders.py. serving.py: the API tests' server
  thread, webhook receiver and scored-day writer.
- A helper or fixture only one module uses stays in that module; test modules never import
  each other.
"""

import datetime as dt
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from builders import BAD, INGEST_CFG, champion_meta, tiny_world

_MLFLOW_URIS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@pytest.fixture(autouse=True)
def _mlflow_uris_left_as_found():
    """`mlflow.set_tracking_uri` also sets MLFLOW_TRACKING_URI in the environment: a test must
    not leave its database to the tests after it (notebook kernels inherit the environment)."""
    before = {name: os.environ.get(name) for name in _MLFLOW_URIS}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# A world small enough to run end to end in well under a minute, yet with every split holding
# both classes: quarterly snapshots, three models (two of the study's, one baseline), one
# search candidate each, few bootstrap rounds.
TINY_PARAMS = """
synth: {seed: 5, n_companies: 400, start: "2015-01-01", end: "2025-10-01", daily_tail_days: 3}
features: {first_snapshot: "2016-01-01", snapshot_every: quarterly, horizon_months: 12}
split: {train_until: "2021-12-31", gap_months: 12, validation_until: "2023-06-30"}
models:
  search_iterations: 1
  n_jobs: 1
  decision_tree: {enabled: true}
  random_forest: {enabled: false}
  mlp: {enabled: false}
  svm: {enabled: false}
  naive_bayes: {enabled: true}
  xgboost: {enabled: false}
  logistic_regression: {enabled: true}
report: {bootstrap_rounds: 30}
"""
TINY_SCORE_DATES = ("2025-10-02", "2025-10-03")
TINY_REPORT_DATE = "2025-10-20"


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory) -> Path:
    """A tiny synthetic project run through the CLI end to end (synth, ingest, features, train,
    two days of scoring, report), shared by the report and notebook tests."""
    from typer.testing import CliRunner

    from company_risk.cli import app

    root = tmp_path_factory.mktemp("tiny_project")
    (root / "params.yaml").write_text(TINY_PARAMS, encoding="utf-8")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"}
    # as dvc.yaml's synth stage: the world statistics go to reports/world.json when asked
    steps = [["synth", "--report", str(root / "reports" / "world.json")]]
    steps += [["ingest"], ["features"], ["train"]]
    steps += [["score", "--date", day] for day in TINY_SCORE_DATES]
    steps.append(["report", "--generated-on", TINY_REPORT_DATE])
    runner = CliRunner()
    # The tiny world gains nothing from threads, and on a shared machine multithreaded BLAS only
    # oversubscribes the cores (the logistic regression fits ran about 20 times slower). Only
    # libraries already loaded can be limited, hence the imports of every BLAS the stages use.
    import scipy.linalg  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        for step in steps:
            result = runner.invoke(app, ["--project-dir", str(root), *step], env=env)
            assert result.exit_code == 0, f"{step}: {result.output}\n{result.exception!r}"
    return root


@pytest.fixture(scope="session")
def personal_data(tiny_project) -> set[str]:
    """Every natural person's full name, personal code and person key found in the raw drops:
    strings no report or notebook output may contain."""
    found: set[str] = set()
    from company_risk.formats import RIK_PERSONS

    for archive in sorted((tiny_project / "data" / "raw").glob(f"*/{RIK_PERSONS}.zip")):
        with zipfile.ZipFile(archive) as zf:
            items = json.loads(zf.read(zf.namelist()[0]).decode("utf-8"))
        for item in items:
            for person in item.get("kaardile_kantud_isikud", []):
                if person.get("isiku_tyyp") != "F":
                    continue
                found.add(f"{person.get('eesnimi', '')} {person.get('nimi_arinimi', '')}".strip())
                found.update(
                    str(person[k])
                    for k in ("isikukood_registrikood", "isikukood_hash")
                    if person.get(k)
                )
    assert found, "the tiny world has natural persons on its registry cards"
    return found


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """Drops of the tiny world up to BAD, and the history tables of the drops before it."""
    from company_risk.ingest import ingest_drops
    from company_risk.synth.drops import write_drops

    root = tmp_path_factory.mktemp("pristine")
    world = tiny_world()
    world.drop_dates = [d for d in world.drop_dates if d <= pd.Timestamp(BAD)]
    write_drops(world, root / "raw")
    ingest_drops(root / "raw", root / "interim", INGEST_CFG, until=dt.date(2019, 12, 1))
    return root


@pytest.fixture
def case(pristine, tmp_path):
    """A copy of `pristine` for one test to corrupt."""
    shutil.copytree(pristine, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Drops of the tiny world and a champion directory fitted on its features."""
    import mlflow

    from company_risk.config import load_params
    from company_risk.features.build import build_features
    from company_risk.features.tables import load_interim
    from company_risk.ingest import ingest_drops
    from company_risk.schemas import feature_columns
    from company_risk.synth.drops import write_drops
    from company_risk.train import candidates as cand
    from company_risk.train.registry import export_champion

    root = tmp_path_factory.mktemp("score_project")
    (root / "params.yaml").write_text("features: {first_snapshot: '2019-07-01'}\n")
    write_drops(tiny_world(), root / "data" / "raw")
    params = load_params(root / "params.yaml")
    scratch = root / "scratch_interim"
    ingest_drops(root / "data" / "raw", scratch, params.ingest, until=dt.date(2021, 3, 1))
    table = build_features(
        load_interim(scratch), [dt.date(2021, 3, 1)], params.features, with_label=False
    )
    columns = feature_columns(table.columns, "all")
    y = np.arange(len(table)) % 2
    fitted = cand.fit_pipeline("logistic_regression", {}, table, y, columns, 0, 1)
    model = cand.calibrate(fitted, pd.concat([table] * 10), np.tile(y, 10), "sigmoid")
    example = table[columns].head(3)
    target = root / "models" / "champion"
    meta = champion_meta(columns, version="3", run_id="run3")
    signature = mlflow.models.infer_signature(example, model.predict_proba(example))
    export_champion(model, target, signature, example, [], meta)
    return root


@pytest.fixture(scope="module")
def evidence(tiny_project):
    """Everything the report reads from the tiny project (company_risk.report.collect)."""
    from company_risk.config import ProjectPaths, load_params
    from company_risk.report.collect import ReportSources, collect_evidence

    paths = ProjectPaths(tiny_project)
    return collect_evidence(
        ReportSources.from_paths(paths, paths.params, paths.tracking_uri({})),
        load_params(paths.params),
    )


# ----------------------------------------------------------------- the API (test_serve_*.py)
# The servers, the receiver and the day writer are plain helpers in serving.py.
@pytest.fixture
def serve_setup(tiny_project, tmp_path):
    """This test's copy of the tiny world's two scored days, a fresh store with a read and a
    write key, the short test settings and fixed clocks (serving.ServeSetup)."""
    from serving import ServeSetup

    return ServeSetup.make(tiny_project / "data" / "scores", tmp_path)


@pytest.fixture
def api(serve_setup):
    """The API over `serve_setup`, running on a free loopback port (serving.Api)."""
    with serve_setup.running() as running:
        yield running
