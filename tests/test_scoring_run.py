"""`company-risk score` end to end on the hand-made world of the ingest tests: idempotency,
atomicity, backfill, watchlist, and the refusals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import DAYS, champion_meta, cli
from company_risk import artifacts
from company_risk.cli import app
from company_risk.config import load_params
from company_risk.features.build import build_features
from company_risk.features.tables import load_interim
from company_risk.ingest import ingest_drops
from company_risk.schemas import feature_columns
from company_risk.scoring import ScoringError
from company_risk.scoring import partition as part
from company_risk.scoring.run import prepare_job, read_watchlist, score_day
from company_risk.train import candidates as cand
from company_risk.train.registry import export_champion


def test_scores_are_byte_identical_on_rerun_and_record_the_version(project, tmp_path):
    out = tmp_path / "scores"
    first = cli(project, "--date", DAYS[1], "--out", str(out))
    assert first.exit_code == 0, first.output
    folder = out / "date=2021-03-02"
    data = (folder / "scores.parquet").read_bytes()
    manifest = json.loads((folder / "_manifest.json").read_text())
    assert cli(project, "--date", DAYS[1], "--out", str(out)).exit_code == 0
    assert (folder / "scores.parquet").read_bytes() == data
    assert manifest["model"]["version"] == "3" and manifest["model"]["run_id"] == "run3"
    assert manifest["latest_drop"] == "2021-03-02" and "2021-03-03" not in manifest["drops_used"]
    assert sum(manifest["rows_per_class"].values()) == manifest["rows"] > 0
    assert set(manifest["timings_s"]) >= {"ingest", "features", "predict_reasons", "alerts"}
    scores = pd.read_parquet(folder / "scores.parquet")
    assert scores["company_id"].str.fullmatch(r"\d{8}").all()
    assert {
        "probability",
        "risk_class",
        "recommendation",
        "credit_limit",
        "payment_term_days",
        "reason_1",
    } <= set(scores.columns)
    assert not any(pd.api.types.is_datetime64_any_dtype(scores[c]) for c in scores.columns)
    assert sorted(p.name for p in out.iterdir()) == ["date=2021-03-02"]


def test_backfill_scores_each_day_in_order(project, tmp_path):
    out = tmp_path / "scores"
    result = cli(project, "--from", DAYS[0], "--to", DAYS[2], "--out", str(out))
    assert result.exit_code == 0, result.output
    assert artifacts.list_partitions(out) == [dt.date.fromisoformat(d) for d in DAYS]
    last = json.loads((out / "date=2021-03-03" / "_manifest.json").read_text())
    assert last["previous_partition"] == "2021-03-02"
    alerts = pd.read_csv(out / "date=2021-03-03" / "alerts.csv", dtype=str)
    assert list(alerts.columns) == [
        "company_id",
        "date",
        "kind",
        "before",
        "after",
        "detail",
        "probability",
    ]


def _job(project, out, watchlist=None):
    params = load_params(project / "params.yaml")
    return prepare_job(
        raw=project / "data" / "raw",
        interim=project / "data" / "interim",
        out=out,
        model_uri=str(project / "models" / "champion"),
        tracking_uri=None,
        params=params,
        root=project,
        features_path=None,
        watchlist=watchlist,
        engine="pandas",
    )


def test_a_failure_before_the_rename_leaves_nothing_and_old_partitions_intact(
    project, tmp_path, monkeypatch
):
    out = tmp_path / "scores"
    job = _job(project, out)
    score_day(job, dt.date(2021, 3, 1))
    score_day(job, dt.date(2021, 3, 2))
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(part, "write_manifest", boom)
    for day in (dt.date(2021, 3, 2), dt.date(2021, 3, 3)):  # a rerun and a new day
        with pytest.raises(OSError, match="disk full"):
            score_day(job, day)
    after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.iterdir()) == ["date=2021-03-01", "date=2021-03-02"]


def test_watchlist_keeps_alerts_for_own_customers_only(project, tmp_path):
    out = tmp_path / "scores"
    job = _job(project, out)
    first = score_day(job, dt.date(2021, 3, 2))
    # yesterday everyone looked safe: today every class above I is an alert
    fake = first.scores.assign(probability=0.0, risk_class="I", tax_debt=0.0)
    part.write_partition(out, dt.date(2021, 3, 1), fake, first.alerts, {"date": "2021-03-01"})
    everyone = score_day(job, dt.date(2021, 3, 2)).alerts
    assert everyone["company_id"].nunique() >= 2
    mine = everyone["company_id"].iloc[0]
    watch = tmp_path / "customers.txt"
    watch.write_text(f"company_id\n{mine}\n# a comment\n\n")
    result = cli(project, "--date", DAYS[1], "--out", str(out), "--watchlist", str(watch))
    assert result.exit_code == 0, result.output
    alerts = pd.read_csv(out / "date=2021-03-02" / "alerts.csv", dtype=str)
    assert set(alerts["company_id"]) == {mine}
    assert len(alerts) == (everyone["company_id"] == mine).sum()
    watch.write_text("1234567X\n")
    bad = cli(project, "--date", DAYS[1], "--out", str(out), "--watchlist", str(watch))
    assert bad.exit_code == 2 and "line 1" in bad.output and "registry code" in bad.output


def test_refusals(project, tmp_path, monkeypatch):
    out = tmp_path / "scores"
    early = cli(project, "--date", "2019-01-01", "--out", str(out))
    assert early.exit_code == 2 and "no drop dated on or before 2019-01-01" in early.output
    assert not out.exists() or not any(out.iterdir())
    # a model whose signature wants a feature the features stage does not make
    other = tmp_path / "other"
    mlmodel_dir = project / "models" / "champion"
    import shutil

    shutil.copytree(mlmodel_dir, other)
    mlmodel = (other / "MLmodel").read_text()
    (other / "MLmodel").write_text(
        mlmodel.replace('"name": "graph__', '"name": "graph__renamed_', 1)
    )
    wrong = cli(project, "--date", DAYS[1], "--out", str(out), "--model-uri", str(other))
    assert wrong.exit_code == 2 and "expects feature column(s)" in wrong.output
    # an empty population
    job = _job(project, out)
    empty = build_features  # the real one, wrapped to return no company

    def no_companies(*args, **kwargs):
        return empty(*args, **kwargs).head(0)

    monkeypatch.setattr("company_risk.scoring.run.build_features", no_companies)
    with pytest.raises(ScoringError, match="population is empty"):
        score_day(job, dt.date(2021, 3, 2))
    assert not (out / "date=2021-03-02").exists()


def test_daily_synthetic_scores_the_next_unscored_drop(project, tmp_path):
    out = tmp_path / "scores"
    args = ["--project-dir", str(project), "daily", "--out", str(out)]
    runner = CliRunner()
    first = runner.invoke(app, args, env={"MLFLOW_TRACKING_URI": ""})
    assert first.exit_code == 0, first.output
    assert artifacts.list_partitions(out) == [dt.date(2021, 3, 3)]
    again = runner.invoke(app, args, env={"MLFLOW_TRACKING_URI": ""})
    assert again.exit_code == 0 and artifacts.list_partitions(out) == [dt.date(2021, 3, 3)]


def test_daily_real_downloads_a_new_drop_then_scores_it(project, tmp_path):
    import functools
    import http.server
    import shutil
    import threading

    site = tmp_path / "site"
    shutil.copytree(project / "data" / "raw" / "2021-03-03", site)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        urls = "\n".join(f"    {p.name}: {base}/{p.name}" for p in sorted(site.iterdir()))
        params = tmp_path / "params.yaml"
        params.write_text(
            "features: {first_snapshot: '2019-07-01'}\nscoring:\n  source: real\n  urls:\n"
            + urls
            + "\n"
        )
        raw = tmp_path / "raw"
        shutil.copytree(project / "data" / "raw", raw)
        result = CliRunner().invoke(
            app,
            [
                "--project-dir",
                str(project),
                "--params",
                str(params),
                "daily",
                "--today",
                "2021-03-04",
                "--raw",
                str(raw),
                "--interim",
                str(tmp_path / "interim"),
                "--out",
                str(tmp_path / "scores"),
            ],
            env={"MLFLOW_TRACKING_URI": ""},
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (raw / "2021-03-04").iterdir()) == sorted(
        p.name for p in site.iterdir()
    )
    manifest = json.loads((tmp_path / "scores" / "date=2021-03-04" / "_manifest.json").read_text())
    assert manifest["latest_drop"] == "2021-03-04"


def test_run_is_logged_to_mlflow_with_classes_quantiles_and_drift(project, tmp_path):
    import dataclasses

    from company_risk.artifacts import SCORING_EXPERIMENT as EXPERIMENT
    from company_risk.scoring.model import predict

    job = _job(project, tmp_path / "scores")
    params = load_params(project / "params.yaml")
    table = build_features(
        load_interim(project / "scratch_interim"),
        [dt.date(2020, 6, 1)],
        params.features,
        with_label=False,
    )
    reference = table.assign(probability=predict(job.model, table))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    job = dataclasses.replace(job, drift_reference=reference, tracking_uri=uri)
    result = score_day(job, dt.date(2021, 3, 2))
    drift = result.manifest["drift"]
    assert drift["reference"] == "all training snapshots"  # the reference holds Q2 rows only
    assert (
        drift["columns"][0]["column"] == "probability"
        and len(drift["columns"]) == 1 + params.scoring.psi_top_features
    )
    runs = mlflow.MlflowClient(tracking_uri=uri).search_runs(
        [mlflow.MlflowClient(tracking_uri=uri).get_experiment_by_name(EXPERIMENT).experiment_id]
    )
    assert len(runs) == 1
    metrics = runs[0].data.metrics
    assert sum(metrics[f"n_class_{k}"] for k in ("I", "II", "III", "IV", "V")) == len(result.scores)
    assert "probability_p50" in metrics and "psi_probability" in metrics
    assert runs[0].data.params["model_version"] == "3"


def test_a_mlflow_logged_run_keeps_its_artifacts_under_mlartifacts(project, tmp_path, monkeypatch):
    """As training's: under the project's mlartifacts/, not ./mlruns of the working directory."""
    import dataclasses

    from company_risk.artifacts import SCORING_EXPERIMENT as EXPERIMENT
    from company_risk.config import ProjectPaths

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    job = dataclasses.replace(_job(project, tmp_path / "scores"), tracking_uri=uri)
    score_day(job, dt.date(2021, 3, 2))
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    artifacts = ProjectPaths(project).mlartifacts.resolve()
    assert experiment.artifact_location == artifacts.as_uri()
    (run,) = client.search_runs([experiment.experiment_id])
    run_artifacts = Path(run.info.artifact_uri.removeprefix("file://"))
    assert run_artifacts.is_relative_to(artifacts)
    assert (run_artifacts / "manifest.json").is_file()
    assert not (tmp_path / "mlruns").exists() and not (project / "mlruns").exists()


def test_drift_compares_with_training_rows_at_the_same_point_of_the_year():
    from company_risk.features.registry import DAYS_PER_MONTH
    from company_risk.scoring.drift import season_reference

    clocks = {"desc__months_since_last_report": DAYS_PER_MONTH}
    reference = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2019-01-01", "2019-10-01", "2020-10-01"]),
            "probability": [0.1, 0.2, 0.3],
            "desc__months_since_last_report": [1.0, 4.0, np.nan],
        }
    )
    rows, said = season_reference(reference, dt.date(2025, 10, 15), clocks)
    assert rows["probability"].tolist() == [0.2, 0.3]  # Q4 rows only, scores not moved
    moved = rows["desc__months_since_last_report"].tolist()
    assert moved[0] == pytest.approx(4.0 + 14 / DAYS_PER_MONTH) and np.isnan(moved[1])
    assert reference["desc__months_since_last_report"].iloc[1] == 4.0  # input left alone
    assert said == (
        "training snapshots of Q4, day 1 of the quarter; time-since features moved on 14 days"
    )
    rows, said = season_reference(reference, dt.date(2025, 5, 2), clocks)  # no Q2 snapshot
    assert len(rows) == 3 and said == "all training snapshots"

    monthly = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2019-10-01", "2019-11-01", "2019-12-01"]),
            "desc__months_since_last_report": [4.0, 5.0, 6.0],
        }
    )
    rows, said = season_reference(monthly, dt.date(2025, 11, 20), clocks)
    assert rows["desc__months_since_last_report"].tolist() == [
        pytest.approx(5.0 + 19 / DAYS_PER_MONTH)
    ]
    rows, said = season_reference(monthly.iloc[1:], dt.date(2025, 10, 5), clocks)
    assert rows["desc__months_since_last_report"].tolist() == [5.0, 6.0]  # all later: unmoved
    assert said == "training snapshots of Q4"


def test_only_time_since_features_are_clocks():
    from company_risk.features.registry import DAYS_PER_MONTH, DAYS_PER_YEAR
    from company_risk.scoring.run import catalogue_clocks

    clocks = catalogue_clocks(
        [
            "desc__age_years",
            "desc__months_since_last_report",
            "tax__debt_age_days",  # 0 means no debt: not a clock
            "desc__revenue",
            "not_a_feature",
        ]
    )
    assert clocks == {
        "desc__age_years": DAYS_PER_YEAR,
        "desc__months_since_last_report": DAYS_PER_MONTH,
    }


def test_scoring_the_latest_drop_of_an_ingested_folder_only_reads_the_history(project, tmp_path):
    """The DVC `score` stage runs after `ingest` has applied every drop: then `score` must not
    touch data/interim (the ingest stage's output), not even a file's modification time."""
    params = load_params(project / "params.yaml")
    interim = tmp_path / "interim"
    ingest_drops(project / "data" / "raw", interim, params.ingest)
    before = {
        p.relative_to(interim): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(interim.rglob("*"))
        if p.is_file()
    }
    assert before
    result = cli(project, "--interim", str(interim), "--out", str(tmp_path / "scores"))
    assert result.exit_code == 0, result.output
    assert artifacts.list_partitions(tmp_path / "scores") == [dt.date.fromisoformat(DAYS[2])]
    after = {
        p.relative_to(interim): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(interim.rglob("*"))
        if p.is_file()
    }
    assert after == before


# ------------------------------------------------------------------------------ hostile input
def _other_champion(project, target, *, n_jobs=1, model="logistic_regression", **meta):
    """A champion directory fitted on the tiny world's features, like the fixture's."""
    params = load_params(project / "params.yaml")
    table = build_features(
        load_interim(project / "scratch_interim"),
        [dt.date(2021, 3, 1)],
        params.features,
        with_label=False,
    )
    columns = feature_columns(table.columns, "all")
    y = np.arange(len(table)) % 2
    settings = (
        {"n_estimators": 60, "max_depth": 6, "min_samples_leaf": 1}
        if model == "random_forest"
        else {}
    )
    fitted = cand.fit_pipeline(model, settings, table, y, columns, 0, n_jobs)
    served = cand.calibrate(fitted, pd.concat([table] * 10), np.tile(y, 10), "sigmoid")
    example = table[columns].head(3)
    signature = mlflow.models.infer_signature(example, served.predict_proba(example))
    export_champion(
        served,
        target,
        signature,
        example,
        [],
        champion_meta(columns, version="9", run_id="run9", model=model, **meta),
    )
    return target, table


def test_a_pickled_champion_is_refused_before_its_payload_runs(project, tmp_path):
    import pickle
    import shutil

    import yaml

    marker = tmp_path / "payload_ran"
    folder = tmp_path / "champion"
    shutil.copytree(project / "models" / "champion", folder)
    (folder / "model.skops").unlink()

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (folder / "model.pkl").write_bytes(pickle.dumps(Payload()))
    doc = yaml.safe_load((folder / "MLmodel").read_text())
    doc["flavors"]["sklearn"].update(pickled_model="model.pkl", serialization_format="pickle")
    doc["flavors"]["python_function"]["model_path"] = "model.pkl"
    (folder / "MLmodel").write_text(yaml.safe_dump(doc))
    out = tmp_path / "scores"
    result = cli(project, "--date", DAYS[1], "--out", str(out), "--model-uri", str(folder))
    assert result.exit_code == 2, result.output
    assert "runs code when loaded" in result.output
    assert not marker.exists(), "the pickle payload ran"
    assert not out.exists()


def test_allow_pickle_scores_with_a_trusted_pickled_champion(project, tmp_path):
    import pickle
    import shutil

    import skops.io
    import yaml

    folder = tmp_path / "champion"
    shutil.copytree(project / "models" / "champion", folder)
    estimator = skops.io.load(
        folder / "model.skops", trusted=skops.io.get_untrusted_types(file=folder / "model.skops")
    )
    (folder / "model.skops").unlink()
    (folder / "model.pkl").write_bytes(pickle.dumps(estimator))
    doc = yaml.safe_load((folder / "MLmodel").read_text())
    doc["flavors"]["sklearn"].update(pickled_model="model.pkl", serialization_format="pickle")
    doc["flavors"]["python_function"]["model_path"] = "model.pkl"
    (folder / "MLmodel").write_text(yaml.safe_dump(doc))
    out = tmp_path / "scores"
    args = ("--date", DAYS[1], "--out", str(out), "--model-uri", str(folder))
    assert cli(project, *args).exit_code == 2
    allowed = cli(project, *args, "--allow-pickle")
    assert allowed.exit_code == 0, allowed.output
    assert (out / f"date={DAYS[1]}" / "_manifest.json").exists()


def test_a_registered_uri_without_a_tracking_database_creates_none(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "scores"
    uri = "models:/company-risk@champion"
    failed = cli(project, "--date", DAYS[1], "--out", str(out), "--model-uri", uri)
    assert failed.exit_code == 2 and "tracking database" in failed.output
    assert not (project / "mlflow.db").exists() and not (tmp_path / "mlflow.db").exists()
    plain = cli(project, "--date", DAYS[1], "--out", str(out))  # still scores models/champion
    assert plain.exit_code == 0, plain.output
    assert not (project / "mlflow.db").exists()
    # an empty database left by an older failure is no tracking database either
    (project / "mlflow.db").write_bytes(b"")
    try:
        again = cli(project, "--date", DAYS[1], "--out", str(out))
        assert again.exit_code == 0, again.output
    finally:
        (project / "mlflow.db").unlink()


def test_a_multithreaded_forest_champion_rescores_a_day_byte_for_byte(project, tmp_path):
    folder, _ = _other_champion(project, tmp_path / "forest", n_jobs=2, model="random_forest")
    out = tmp_path / "scores"
    args = ("--date", DAYS[1], "--out", str(out), "--model-uri", str(folder))
    first = cli(project, *args)
    assert first.exit_code == 0, first.output
    data = (out / "date=2021-03-02" / "scores.parquet").read_bytes()
    for _ in range(2):
        assert cli(project, *args).exit_code == 0
        assert (out / "date=2021-03-02" / "scores.parquet").read_bytes() == data


def test_a_model_of_another_feature_set_is_refused_with_the_signature_message(project, tmp_path):
    folder, table = _other_champion(
        project, tmp_path / "other", train_from="2019-01-01", train_until="2021-03-01"
    )
    features = tmp_path / "features.parquet"
    table.drop(columns=["tax__debt"]).to_parquet(features)  # the training features lack one
    result = cli(
        project,
        "--date",
        DAYS[1],
        "--out",
        str(tmp_path / "scores"),
        "--model-uri",
        str(folder),
        "--features",
        str(features),
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "expects feature column(s)" in result.output and "tax__debt" in result.output


@pytest.mark.parametrize("text", ["{not json", '{"model_name": "company-risk"}', "[]"])
def test_a_broken_champion_json_is_a_named_error(project, tmp_path, text):
    import shutil

    folder = tmp_path / "champion"
    shutil.copytree(project / "models" / "champion", folder)
    (folder / "champion.json").write_text(text)
    result = cli(
        project, "--date", DAYS[1], "--out", str(tmp_path / "s"), "--model-uri", str(folder)
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "champion.json" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no registry code"),
        (b"company_id\n# nobody yet\n\n", "no registry code"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "not UTF-8"),
        ("12345678\n".encode("utf-16"), "not UTF-8"),
        (b"12345678\x00\x00\n", "is a binary file"),
    ],
)
def test_a_watchlist_without_codes_or_text_is_refused_and_the_day_kept(
    project, tmp_path, content, message
):
    out = tmp_path / "scores"
    assert cli(project, "--date", DAYS[1], "--out", str(out)).exit_code == 0
    folder = out / "date=2021-03-02"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    watch = tmp_path / "customers.txt"
    watch.write_bytes(content)
    with pytest.raises(ScoringError, match=message):
        read_watchlist(watch)
    result = cli(project, "--date", DAYS[1], "--out", str(out), "--watchlist", str(watch))
    assert result.exit_code == 2 and message in result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_every_score_carries_the_data_depth_grade_of_its_features(project, tmp_path):
    from company_risk.data_depth import GRADES, data_depth

    out = tmp_path / "scores"
    assert cli(project, "--date", DAYS[1], "--out", str(out)).exit_code == 0
    folder = out / "date=2021-03-02"
    scores = pd.read_parquet(folder / "scores.parquet")
    columns = list(scores.columns)
    assert columns[columns.index("class_name") + 1] == "data_depth"
    assert scores["data_depth"].notna().all() and set(scores["data_depth"]) <= set(GRADES)
    manifest = json.loads((folder / "_manifest.json").read_text())
    counts = scores["data_depth"].value_counts()
    assert manifest["rows_per_data_depth"] == {g: int(counts.get(g, 0)) for g in GRADES}
    assert sum(manifest["rows_per_data_depth"].values()) == manifest["rows"]
    # the grade is a function of the day's features only: the same as on the features table
    params = load_params(project / "params.yaml")
    features = build_features(
        load_interim(project / "data" / "interim"),
        [dt.date(2021, 3, 2)],
        params.features,
        with_label=False,
    )
    expected = data_depth(features).set_axis(features["company_id"].astype("str"))
    assert scores.set_index("company_id")["data_depth"].to_dict() == expected.to_dict()
