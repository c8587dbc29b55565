"""Benchmark of the train stage: the full model x feature-set grid on a large world.

Builds a features table for `--companies` companies (default 100,000; quarterly snapshots
2016..2024) with `example_features` (tests/builders_example.py), runs `run_training` with the project's params.yaml
against a throw-away MLflow database and project folder, and records the total wall time, peak
memory and the seconds per model (summed over feature sets) and per run into
reports/benchmarks.json under `train`.

The table is drawn directly, not through synth -> ingest -> features (at this size that chain
would dominate the time and memory this benchmark measures): quarterly snapshots of companies
whose default probability follows a known logistic model of three latent risk components, each
seen (noisily) by one feature family (board reputation by `graph__*`, liquidity stress by
`tax__*`, fragility by `desc__*`), plus sector and business-cycle effects, in the schema of
company_risk.schemas. The true probabilities go to the truth folder, so training reports an
oracle AUC to compare against. The generator is the tests' own
(tests/builders_example.py), one copy for both.

    .venv/bin/python benchmarks/bench_train.py [--companies 100000] [--params params.yaml]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from results import measure, record

from company_risk import stagelog
from company_risk.config import ProjectPaths, load_params
from company_risk.train.run import run_training

# the one copy of the generator lives with the tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from builders_example import example_features  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument(
        "--max-train-rows", type=int, default=None, help="override models.max_train_rows"
    )
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks.json"))
    args = parser.parse_args()
    stagelog.configure()

    params = load_params(args.params)
    if args.max_train_rows:
        params = dataclasses.replace(
            params, models=dataclasses.replace(params.models, max_train_rows=args.max_train_rows)
        )
    figures: dict = {"companies": args.companies}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        root = Path(tmp)
        paths = ProjectPaths(root)
        started = time.perf_counter()
        table, truth = example_features(n_companies=args.companies, seed=1)
        figures["generate_seconds"] = round(time.perf_counter() - started, 2)
        figures["rows"] = len(table)
        features = paths.processed / "features.parquet"
        features.parent.mkdir(parents=True)
        table.to_parquet(features, index=False)
        paths.truth.mkdir(parents=True)
        truth.to_parquet(paths.truth / "pd.parquet", index=False)
        del table, truth
        with measure(figures, "train"):
            result = run_training(
                features_path=features,
                truth_dir=paths.truth,
                params=params,
                params_file=args.params,
                paths=paths,
                tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
            )
    comparison = result.comparison
    figures["runs"] = len(comparison)
    figures["max_train_rows"] = params.models.max_train_rows
    figures["seconds_per_model"] = (
        comparison.groupby("model", sort=False)["train_seconds"].sum().round(1).to_dict()
    )
    figures["seconds_per_run"] = dict(
        zip(
            comparison["model"] + "__" + comparison["feature_set"],
            comparison["train_seconds"].round(1),
            strict=True,
        )
    )
    figures["test_roc_auc_per_run"] = dict(
        zip(
            comparison["model"] + "__" + comparison["feature_set"],
            comparison["test_roc_auc"].round(4),
            strict=True,
        )
    )
    figures["champion"] = result.registry.to_dict()["champion_after"]
    figures["champion_test_roc_auc"] = round(result.metrics["roc_auc"], 4)
    figures["oracle_test_roc_auc"] = round(
        result.metrics.get("oracle_test_roc_auc", float("nan")), 4
    )
    record("train", figures, args.out)


if __name__ == "__main__":
    main()
