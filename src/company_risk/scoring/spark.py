"""The Spark engine (`company-risk score --engine spark`, extra `company-risk[spark]`).

For registers beyond one machine: the registered model runs as `mlflow.pyfunc.spark_udf` over
a Spark DataFrame of features, and the scores are written as the same `date=D/` partitions with
Spark's dynamic partition overwrite (only day D is replaced, every other day is left as it was).
Spark commits the part files itself; `alerts.csv` and `_manifest.json` follow, the manifest
last, and a partition counts as complete only once its manifest is there.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from company_risk.artifacts import ALERTS_FILE, MANIFEST_FILE, partition_dir
from company_risk.atomic import write_json
from company_risk.scoring import ScoringError
from company_risk.scoring.model import LoadedModel


def spark_session(master: str = "local[2]"):
    """The Spark session already active in this process (one a notebook or a cluster job made
    before calling company_risk), or a new one on `master`; either way set for dynamic partition
    overwrite."""
    try:  # pyspark is the optional extra company-risk[spark]
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ScoringError(
            "--engine spark needs pyspark: pip install 'company-risk[spark]'"
        ) from exc
    # Python workers must run this interpreter (the one with the model's libraries); Spark and
    # MLflow's UDF read it from the environment
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.appName("company-risk-score")
        .master(master)
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def predict_spark(features: pd.DataFrame, model: LoadedModel) -> np.ndarray:
    """The model's probability per row of `features` (in its row order), computed by
    `mlflow.pyfunc.spark_udf` on the Spark session."""
    import mlflow.pyfunc  # heavy, and pyspark is the optional extra: only the Spark engine
    from pyspark.sql import functions as F

    spark = spark_session()
    columns = model.input_columns
    frame = features[["company_id", *columns]].copy()
    for c in frame.columns:  # Arrow conversion wants plain object strings, not pandas' str
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = frame[c].astype(object)
    sdf = spark.createDataFrame(frame)
    udf = mlflow.pyfunc.spark_udf(
        spark, model.ref.uri, result_type="array<double>", env_manager="local"
    )
    scored = sdf.select("company_id", udf(*[F.col(c) for c in columns]).alias("proba"))
    out = scored.select("company_id", F.element_at("proba", -1).alias("probability")).toPandas()
    by_id = out.set_index(out["company_id"].astype("str"))["probability"]
    return by_id.reindex(features["company_id"].astype("str")).to_numpy(dtype=float)


def write_partition_spark(
    out: Path, date: dt.date, scores: pd.DataFrame, alerts: pd.DataFrame, manifest: dict
) -> Path:
    """Write day D's scores with dynamic partition overwrite, then its alerts and manifest."""
    from pyspark.sql import functions as F  # the optional extra company-risk[spark]

    spark = spark_session()
    frame = scores.copy()
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = frame[c].astype(object)
    frame["payment_term_days"] = frame["payment_term_days"].astype("float64")
    sdf = spark.createDataFrame(frame).withColumn("date", F.lit(date.isoformat()))
    (
        sdf.withColumn("payment_term_days", F.col("payment_term_days").cast("int"))
        .coalesce(1)
        .sortWithinPartitions("company_id")
        .write.mode("overwrite")
        .partitionBy("date")
        .parquet(str(Path(out).resolve()))
    )
    target = partition_dir(out, date)
    alerts.to_csv(target / ALERTS_FILE, index=False, lineterminator="\n")
    write_json(manifest, target / MANIFEST_FILE)
    return target
