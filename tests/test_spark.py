"""The Spark engine gives the pandas engine's probabilities and the same partition layout.

Skipped (with the reason) where pyspark or a Java runtime is missing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import mlflow
import numpy as np
import pandas as pd
import pytest

pyspark = pytest.importorskip(
    "pyspark", reason="pyspark is not installed (extra company-risk[spark])"
)
if (
    shutil.which("java") is None
    or subprocess.run(["java", "-version"], capture_output=True).returncode
):
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

from builders import DAYS, champion_meta, cli  # noqa: E402
from builders_example import example_features  # noqa: E402
from company_risk.artifacts import list_partitions, read_scores  # noqa: E402
from company_risk.config import ScoringConfig  # noqa: E402
from company_risk.schemas import feature_columns  # noqa: E402
from company_risk.scoring.alerts import ALERT_COLUMNS  # noqa: E402
from company_risk.scoring.model import load_model, predict, resolve_model  # noqa: E402
from company_risk.scoring.spark import predict_spark, spark_session, write_partition_spark  # noqa: E402
from company_risk.train import candidates as cand  # noqa: E402
from company_risk.train.registry import export_champion  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[1]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    table, _ = example_features(n_companies=200, seed=5)
    columns = feature_columns(table.columns, "all")
    train = table[table["snapshot_date"] <= pd.Timestamp("2021-12-31")]
    val = table[
        table["snapshot_date"].between(pd.Timestamp("2022-01-01"), pd.Timestamp("2023-12-31"))
    ]
    fitted = cand.fit_pipeline(
        "logistic_regression", {}, train, train["label"].to_numpy(), columns, 0, 1
    )
    model = cand.calibrate(fitted, val, val["label"].to_numpy(), "sigmoid")
    target = tmp_path_factory.mktemp("spark") / "champion"
    example = val[columns].head(5)
    signature = mlflow.models.infer_signature(example, model.predict_proba(example))
    export_champion(model, target, signature, example, [], champion_meta(columns))
    today = table[table["snapshot_date"] == table["snapshot_date"].max()].reset_index(drop=True)
    return load_model(resolve_model(str(target), None), None), today


def test_both_engines_give_the_same_probabilities(spark, world):
    model, today = world
    np.testing.assert_allclose(
        predict_spark(today, model), predict(model, today), rtol=1e-9, atol=1e-12
    )


def test_dynamic_overwrite_replaces_only_the_day(spark, world, tmp_path):
    _, today = world
    scores = pd.DataFrame(
        {
            "company_id": today["company_id"].astype("str"),
            "probability": np.linspace(0, 1, len(today)),
            "risk_class": "I",
            "payment_term_days": pd.array([30] * len(today), dtype="Int64"),
        }
    )
    alerts = pd.DataFrame({c: pd.Series(dtype="str") for c in ALERT_COLUMNS})
    day1, day2 = dt.date(2025, 10, 2), dt.date(2025, 10, 3)
    write_partition_spark(tmp_path, day1, scores, alerts, {"date": str(day1)})
    write_partition_spark(
        tmp_path, day2, scores.assign(probability=0.5), alerts, {"date": str(day2)}
    )
    write_partition_spark(
        tmp_path, day2, scores.assign(probability=0.25), alerts, {"date": str(day2)}
    )
    assert list_partitions(tmp_path) == [day1, day2]
    first = read_scores(tmp_path, day1)
    np.testing.assert_allclose(
        first.sort_values("company_id")["probability"], scores["probability"]
    )
    assert (read_scores(tmp_path, day2)["probability"] == 0.25).all()
    assert len(read_scores(tmp_path, day2)) == len(scores)
    assert (
        ScoringConfig().risk_classes
    )  # the layout is the pandas engine's: date=D/ + alerts + manifest
    assert (tmp_path / "date=2025-10-03" / "alerts.csv").exists()


def test_score_engine_spark_matches_the_pandas_engine_end_to_end(spark, project, tmp_path):
    """`company-risk score --engine spark` over a backfill: the same days, probabilities,
    classes and alerts as the pandas engine, each day in a complete `date=D/` partition."""
    runs = {}
    for engine in ("pandas", "spark"):
        out = tmp_path / engine
        args = ["--from", DAYS[0], "--to", DAYS[2], "--out", str(out), "--engine", engine]
        result = cli(project, *args)
        assert result.exit_code == 0, f"{engine}: {result.output}\n{result.exception!r}"
        runs[engine] = out
    days = [dt.date.fromisoformat(d) for d in DAYS]
    assert list_partitions(runs["pandas"]) == list_partitions(runs["spark"]) == days
    for day in days:
        folder = runs["spark"] / f"date={day}"
        assert sorted(folder.glob("part-*.parquet")) and not (folder / "scores.parquet").exists()
        manifest = json.loads((folder / "_manifest.json").read_text())
        assert manifest["engine"] == "spark" and manifest["date"] == day.isoformat()
        pandas_scores = read_scores(runs["pandas"], day)
        spark_scores = read_scores(runs["spark"], day).sort_values("company_id")
        spark_scores = spark_scores.reset_index(drop=True)
        assert len(pandas_scores) == len(spark_scores) == manifest["rows"] > 0
        assert list(spark_scores["company_id"]) == list(pandas_scores["company_id"])
        np.testing.assert_allclose(
            spark_scores["probability"], pandas_scores["probability"], rtol=1e-9, atol=1e-12
        )
        for column in ("risk_class", "recommendation", "reason_1"):
            assert list(spark_scores[column]) == list(pandas_scores[column]), column
        assert set(spark_scores.columns) == set(pandas_scores.columns)
        alerts = {e: pd.read_csv(runs[e] / f"date={day}" / "alerts.csv", dtype=str) for e in runs}
        pd.testing.assert_frame_equal(alerts["spark"], alerts["pandas"])
    # no staging folder of Spark's is left beside the partitions
    assert sorted(p.name for p in runs["spark"].iterdir() if p.is_dir()) == [
        f"date={d}" for d in days
    ]
