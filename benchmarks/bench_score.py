"""Benchmark: one daily scoring run at Estonia scale (~380,000 companies).

Builds a national-scale world with the ingest benchmark's generator (three consecutive daily
drops), ingests the first two as the existing history, fits a served XGBoost champion (the
grid's default settings) on the features of the first day, scores the second day (the previous
partition that alerts compare with), then times the daily run of the third day: new drop ingest
+ features + facts + predict + reasons + alerts + write. Each part's share comes from the run's
manifest; figures go to `reports/benchmarks.json` (section `score`).

Run from the project root: `.venv/bin/python benchmarks/bench_score.py [--companies N]
[--out FILE]` (a small N with `--out /tmp/x.json` keeps the Estonia figures as they are).
Pin to two cores with `taskset -c 0,1` to reproduce the target machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from bench_ingest import synthetic_world
from results import measure, record

from company_risk.artifacts import REGISTERED_MODEL, ChampionMeta
from company_risk.config import Params
from company_risk.features.build import build_features
from company_risk.features.tables import load_interim
from company_risk.ingest import ingest_drops
from company_risk.schemas import feature_columns
from company_risk.scoring.run import prepare_job, score_day
from company_risk.synth.drops import write_drops
from company_risk.train import candidates as cand
from company_risk.train.registry import export_champion

DAYS = [pd.Timestamp("2025-10-01"), pd.Timestamp("2025-10-02"), pd.Timestamp("2025-10-03")]


def champion(work: Path, params: Params) -> Path:
    """A served XGBoost candidate fitted on day 1 (labels: listed tax debt or no report, with
    noise: the point is a realistic model size, not its accuracy)."""
    table = build_features(
        load_interim(work / "interim"), [DAYS[0].date()], params.features, with_label=False
    )
    columns = feature_columns(table.columns, "all")
    rng = np.random.default_rng(0)
    risk = (table["tax__debt"].fillna(0) > 0).to_numpy() | (rng.random(len(table)) < 0.03)
    y = risk.astype(int)
    fitted = cand.fit_pipeline("xgboost", cand.DEFAULT_SETTINGS["xgboost"], table, y, columns, 0, 2)
    model = cand.calibrate(fitted, table.head(50_000), y[:50_000], "sigmoid")
    target = work / "champion"
    example = table[columns].head(5)
    signature = mlflow.models.infer_signature(example, model.predict_proba(example))
    meta = ChampionMeta(
        model_name=REGISTERED_MODEL,
        version="bench",
        run_id="bench",
        model="xgboost",
        feature_set="all",
        feature_columns=tuple(columns),
        threshold=0.5,
        train_from=str(table["snapshot_date"].min().date()),
        train_until=str(table["snapshot_date"].max().date()),
    )
    export_champion(model, target, signature, example, [], meta)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--companies",
        type=int,
        default=380_000,
        help="companies in the world (default: Estonia scale); a few thousand checks the script",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/benchmarks.json"),
        help="JSON file the figures are merged into (section `score`)",
    )
    args = parser.parse_args()
    params = Params()
    figures: dict = {"companies_in_world": args.companies}
    work = Path(tempfile.mkdtemp(prefix="bench-score-"))
    try:
        started = time.perf_counter()
        world = synthetic_world(args.companies, DAYS)
        write_drops(world, work / "raw")
        del world
        ingest_drops(work / "raw", work / "interim", params.ingest, until=DAYS[1].date())
        model_dir = champion(work, params)
        job = prepare_job(
            raw=work / "raw",
            interim=work / "interim",
            out=work / "scores",
            model_uri=str(model_dir),
            tracking_uri=None,
            params=params,
            root=Path("."),
            features_path=None,
            watchlist=None,
            engine="pandas",
        )
        score_day(job, DAYS[1].date())
        figures["setup_seconds"] = round(time.perf_counter() - started, 1)
        with measure(figures, "daily_run"):
            result = score_day(job, DAYS[2].date())
        total = figures["daily_run_seconds"]
        timings = result.manifest["timings_s"]
        figures["active_companies"] = len(result.scores)
        figures["alerts"] = len(result.alerts)
        figures["parts_seconds"] = timings
        figures["parts_share"] = {k: round(v / total, 3) for k, v in timings.items()}
        figures["companies_per_second"] = round(len(result.scores) / total, 1)
        figures["target"] = {"seconds": 180, "peak_gb": 6}
        figures["within_target"] = total <= 180 and figures["daily_run_peak_gb"] <= 6
        figures["day"] = dt.date.isoformat(DAYS[2].date())
    finally:
        shutil.rmtree(work)
    record("score", figures, args.out)


if __name__ == "__main__":
    main()
