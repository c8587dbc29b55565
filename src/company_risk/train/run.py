"""The `train` stage: fit the model x feature-set grid, track it in MLflow, update the registry.

One parent MLflow run per call, one nested run `<model>__<feature_set>` per candidate with its
parameters, validation and test metrics, figures, row-level predictions, feature importances and
the served model (logged with `name=`, a signature, an input example and
`pyfunc_predict_fn="predict_proba"`, saved with skops). The best candidate on validation becomes
the `challenger`; the gate in company_risk.train.registry decides about `champion`. The reports
DVC tracks (`reports/metrics.json`, `reports/comparison.csv`, `reports/registry.json`,
`reports/plots/`) and the exported champion (`models/champion/`) are written last, atomically,
and only then does the alias `champion` move (a failure puts all of them back as they were).
A store that cannot be written is refused before training; runs a killed train left RUNNING
are marked KILLED by the next one.

Reading and writing happen here; fitting, scoring and deciding are the pure functions of the
sibling modules, so tests can run each step on a table built in memory.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sqlalchemy.exc import SQLAlchemyError

from company_risk import artifacts as art
from company_risk import metrics as m
from company_risk import tracking
from company_risk.atomic import write_json, write_text
from company_risk.config import Params, ProjectPaths
from company_risk.errors import CompanyRiskError
from company_risk.explain import feature_importance
from company_risk.oracle import OracleError, oracle_metrics, read_truth
from company_risk.provenance import file_md5, git_commit, params_hash
from company_risk.schemas import (
    CATEGORICAL_FEATURES,
    FEATURE_KEYS,
    FEATURE_SET_PREFIXES,
    LABEL,
    feature_columns,
)
from company_risk.train import candidates as cand
from company_risk.train import registry
from company_risk.train.plots import evaluation_figures
from company_risk.train.split import SplitError, TemporalSplit, stratified_subsample, temporal_split

log = logging.getLogger("company_risk.train")


class TrainError(CompanyRiskError, ValueError):
    """Training cannot proceed: bad features table, bad settings, unusable split."""


@dataclass
class Candidate:
    """One trained cell of the grid, before and after it is logged."""

    model_name: str
    feature_set: str
    columns: list[str]
    model: Any
    settings: dict[str, Any]
    params: dict[str, str]
    threshold: float
    val_probability: np.ndarray
    test_probability: np.ndarray
    val_metrics: dict[str, float]
    test_metrics: dict[str, float]
    search: list[dict[str, Any]]
    seconds: float
    run_id: str = ""
    model_uri: str = ""
    signature: Any = None

    @property
    def run_name(self) -> str:
        return f"{self.model_name}__{self.feature_set}"


@dataclass(frozen=True)
class TrainResult:
    parent_run_id: str
    comparison: pd.DataFrame
    registry: art.RegistryDecision
    metrics: dict[str, float]
    champion_dir: Path
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ inputs
def validate_features(table: pd.DataFrame, feature_sets: tuple[str, ...]) -> pd.DataFrame:
    """Check a features table against the schema and return it with float64 numerics and str
    categoricals (MLflow keeps a signature only for plain float columns).

    Every problem is named: a missing key/label/categorical column, an empty feature family, a
    non-numeric feature, labels other than 0/1, duplicated keys, a single class.
    """
    required = [*FEATURE_KEYS, LABEL]
    unknown_sets = [s for s in feature_sets if s not in FEATURE_SET_PREFIXES]
    if unknown_sets:
        raise TrainError(
            f"models.feature_sets: unknown feature set(s) {unknown_sets}; "
            f"expected some of {sorted(FEATURE_SET_PREFIXES)}"
        )
    wanted = {
        c
        for s in feature_sets
        for c in CATEGORICAL_FEATURES
        if c.startswith(FEATURE_SET_PREFIXES[s])
    }
    required += sorted(wanted)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise TrainError(f"features table lacks required column(s): {', '.join(missing)}")
    for feature_set in feature_sets:
        if not feature_columns(table.columns, feature_set):
            prefixes = " / ".join(f"{p}*" for p in FEATURE_SET_PREFIXES[feature_set])
            raise TrainError(
                f"features table has no column for feature set {feature_set!r} ({prefixes})"
            )
    if not pd.api.types.is_datetime64_any_dtype(table["snapshot_date"]):
        raise TrainError(
            f"snapshot_date must be a datetime column, got {table['snapshot_date'].dtype}"
        )
    labels = table[LABEL]
    if labels.isna().any() or not labels.isin([0, 1]).all():
        raise TrainError("label must be 0 or 1 on every row (is this a scoring-mode table?)")
    if labels.nunique() < 2:
        raise TrainError(
            f"label has a single class ({int(labels.iloc[0])}) in all {len(table)} rows"
        )
    if table.duplicated(list(FEATURE_KEYS)).any():
        raise TrainError("features table has duplicated (company_id, snapshot_date) rows")
    out = table.copy()
    for column in feature_columns(table.columns, "all"):
        if column in CATEGORICAL_FEATURES:
            out[column] = out[column].astype("str").where(table[column].notna())
        elif pd.api.types.is_numeric_dtype(table[column]) or pd.api.types.is_bool_dtype(
            table[column]
        ):
            out[column] = out[column].astype("float64")
        else:
            raise TrainError(f"feature {column!r} must be numeric, got dtype {table[column].dtype}")
    out[LABEL] = out[LABEL].astype("int8")
    out["company_id"] = out["company_id"].astype("str")
    return out


def read_features(path: Path) -> pd.DataFrame:
    if not Path(path).exists():
        raise TrainError(f"{path}: features table not found (run `company-risk features` first)")
    return pd.read_parquet(path)


def pip_requirements() -> list[str]:
    """Pinned requirements of a logged model, given explicitly: MLflow's inference of them
    imports the model in a subprocess and would cost seconds per run."""
    packages = ["mlflow", "scikit-learn", "xgboost", "skops", "pandas", "numpy", "scipy"]
    return [f"{p}=={importlib.metadata.version(p)}" for p in packages]


# --------------------------------------------------------------------------------- training
def _metric_on(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    return m.binary_metrics(y, p, m.choose_threshold(y, p))[metric]


def _row_cap(name: str, settings: dict[str, Any], global_cap: int | None) -> int | None:
    """Training-row cap: the model's own `max_train_rows` (MLP, exact SVM) under the global one.
    A Nystroem SVM trains on all rows: the approximation is what makes that affordable."""
    caps = [global_cap]
    if not (name == "svm" and settings.get("strategy") == "nystroem"):
        caps.append(settings.get("max_train_rows"))
    caps = [int(c) for c in caps if c]
    return min(caps) if caps else None


def train_candidate(
    name: str,
    spec: cand.ModelSpec,
    feature_set: str,
    table: pd.DataFrame,
    split: TemporalSplit,
    params: Params,
) -> Candidate:
    """Search, fit, calibrate and evaluate one model on one feature set.

    The search fits each candidate setting on a stratified subsample of the training rows
    (`models.search_max_rows`), calibrates it and scores `selection.metric` on validation; the
    winner is refitted on all (capped) training rows and calibrated on validation. The test
    rows are only predicted, after every choice is made.
    """
    started = time.perf_counter()
    cfg = params.models
    metric = params.selection.metric
    columns = feature_columns(table.columns, feature_set)
    train, val, test = (table.iloc[rows] for rows in (split.train, split.validation, split.test))
    y_train, y_val, y_test = (part[LABEL].to_numpy() for part in (train, val, test))

    base = dict(spec.settings)
    if name == "svm":
        capped = min(len(train), cfg.max_train_rows or len(train))
        base["strategy"] = cand.resolve_svm_strategy(base, capped)
    final_rows = stratified_subsample(y_train, _row_cap(name, base, cfg.max_train_rows), cfg.seed)
    search_rows = final_rows[
        stratified_subsample(y_train[final_rows], cfg.search_max_rows, cfg.seed)
    ]

    search_log: list[dict[str, Any]] = []
    best: tuple[float, dict[str, Any], Any] | None = None
    for settings in spec.candidates(cfg.search_iterations, cfg.seed):
        settings = {**settings, **({"strategy": base["strategy"]} if name == "svm" else {})}
        fitted = cand.fit_pipeline(
            name,
            settings,
            train.iloc[search_rows],
            y_train[search_rows],
            columns,
            cfg.seed,
            cfg.n_jobs,
        )
        served = cand.calibrate(fitted, val, y_val, cfg.calibration)
        score = _metric_on(metric, y_val, served.predict_proba(val[columns])[:, 1])
        search_log.append({"settings": cand.describe_settings(settings), f"val_{metric}": score})
        if best is None or m.sort_key(metric, score) < m.sort_key(metric, best[0]):
            best = (score, settings, served)
    assert best is not None
    _, settings, served = best
    if len(search_rows) < len(final_rows):
        fitted = cand.fit_pipeline(
            name,
            settings,
            train.iloc[final_rows],
            y_train[final_rows],
            columns,
            cfg.seed,
            cfg.n_jobs,
        )
        served = cand.calibrate(fitted, val, y_val, cfg.calibration)

    p_val = served.predict_proba(val[columns])[:, 1]
    p_test = served.predict_proba(test[columns])[:, 1]
    threshold = m.choose_threshold(y_val, p_val)
    run_params = {
        "model": name,
        "feature_set": feature_set,
        **cand.describe_settings(settings),
        "train_rows": str(len(final_rows)),
        "search_rows": str(len(search_rows)),
        "search_candidates": str(len(search_log)),
        "calibration": cfg.calibration,
        "n_features": str(len(columns)),
        "seed": str(cfg.seed),
    }
    if name == "svm":
        run_params["svm_method"] = (
            "nystroem_kernel_approximation"
            if settings["strategy"] == "nystroem"
            else "exact_rbf_stratified_subsample"
        )
    return Candidate(
        model_name=name,
        feature_set=feature_set,
        columns=columns,
        model=served,
        settings=settings,
        params=run_params,
        threshold=threshold,
        val_probability=p_val,
        test_probability=p_test,
        val_metrics=m.binary_metrics(y_val, p_val, threshold),
        test_metrics=m.binary_metrics(y_test, p_test, threshold),
        search=search_log,
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------------- logging
def _predictions(part: pd.DataFrame, probability: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": part["company_id"].to_numpy(),
            "snapshot_date": part["snapshot_date"].to_numpy(),
            "label": part[LABEL].to_numpy(),
            "probability": probability,
        }
    )


def log_candidate(
    candidate: Candidate, table: pd.DataFrame, split: TemporalSplit, requirements: list[str]
) -> None:
    """Log a trained candidate as the active nested run; fills run_id, model_uri, signature."""
    val, test = table.iloc[split.validation], table.iloc[split.test]
    mlflow.log_params(candidate.params)
    mlflow.log_metrics(
        {
            **{f"val_{k}": v for k, v in candidate.val_metrics.items()},
            **{f"test_{k}": v for k, v in candidate.test_metrics.items()},
            "threshold": candidate.threshold,
            "train_seconds": candidate.seconds,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        evaluation_figures(
            test[LABEL].to_numpy(),
            candidate.test_probability,
            candidate.threshold,
            candidate.run_name,
            folder / "plots",
        )
        (folder / "predictions").mkdir()
        _predictions(val, candidate.val_probability).to_parquet(
            folder / art.PREDICTIONS["validation"], index=False
        )
        _predictions(test, candidate.test_probability).to_parquet(
            folder / art.PREDICTIONS["test"], index=False
        )
        importance = feature_importance(candidate.model, val[candidate.columns], max_rows=1000)
        importance.reset_index().to_csv(folder / art.IMPORTANCE, index=False)
        confusion = m.confusion(
            test[LABEL].to_numpy(), candidate.test_probability, candidate.threshold
        )
        (folder / "confusion_matrix.json").write_text(json.dumps(confusion, indent=2))
        (folder / "search.json").write_text(json.dumps(candidate.search, indent=2))
        mlflow.log_artifacts(str(folder))
    example = val[candidate.columns].head(5)
    signature = infer_signature(example, candidate.model.predict_proba(example))
    info = mlflow.sklearn.log_model(
        sk_model=candidate.model,
        name="model",
        signature=signature,
        input_example=example,
        pyfunc_predict_fn="predict_proba",
        skops_trusted_types=cand.SKOPS_TRUSTED_TYPES,
        pip_requirements=requirements,
    )
    candidate.run_id = mlflow.active_run().info.run_id
    candidate.model_uri = info.model_uri
    candidate.signature = signature


def comparison_table(candidates: list[Candidate]) -> pd.DataFrame:
    rows = [
        {
            "model": c.model_name,
            "feature_set": c.feature_set,
            "run_id": c.run_id,
            **{f"val_{k}": v for k, v in c.val_metrics.items()},
            **{f"test_{k}": v for k, v in c.test_metrics.items()},
            "threshold": c.threshold,
            "train_seconds": round(c.seconds, 2),
        }
        for c in candidates
    ]
    return pd.DataFrame(rows)


def close_leftover_runs(client: mlflow.MlflowClient, experiment_id: str) -> list[str]:
    """Mark the experiment's runs still RUNNING as KILLED and return their ids.

    A train that exits, even with an error, ends its runs; one that is killed (SIGKILL, a lost
    machine) leaves them RUNNING forever. Trains of one project do not overlap (they write the
    same registry and reports), so at the start of a train every RUNNING run is such a leftover.
    """
    leftovers, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string="attributes.status = 'RUNNING'",
            max_results=1000,
            page_token=token,
        )
        leftovers.extend(page)
        token = page.token
        if not token:
            break
    for run in leftovers:
        client.set_tag(run.info.run_id, "closed_by", "a later train: the run was left RUNNING")
        client.set_terminated(run.info.run_id, status="KILLED")
    if leftovers:
        log.warning(
            "marked %d run(s) left RUNNING by an interrupted train as KILLED: %s",
            len(leftovers),
            ", ".join(f"{r.info.run_name or '?'} ({r.info.run_id})" for r in leftovers),
        )
    return [r.info.run_id for r in leftovers]


def _open_tracking(
    tracking_uri: str, paths: ProjectPaths
) -> tuple[mlflow.MlflowClient, str, mlflow.ActiveRun]:
    """The tracking client, the experiment and the started parent run; a store that cannot be
    opened or written is a TrainError here, before anything is trained."""
    try:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        experiment_id = tracking.experiment_id(client, art.TRAINING_EXPERIMENT, paths)
        close_leftover_runs(client, experiment_id)
        active = mlflow.start_run(experiment_id=experiment_id, run_name="train")
    except (MlflowException, SQLAlchemyError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TrainError(
            f"MLflow tracking store {tracking_uri}: cannot be opened for writing ({reason}); "
            "set MLFLOW_TRACKING_URI to a writable store (default: sqlite:///<project>/mlflow.db)"
        ) from exc
    return client, experiment_id, active


# -------------------------------------------------------------------------------------- run
def run_training(
    features_path: Path,
    truth_dir: Path | None,
    params: Params,
    params_file: Path,
    paths: ProjectPaths,
    tracking_uri: str,
) -> TrainResult:
    """Train the grid on `features_path`, log it to `tracking_uri`, update aliases, write the
    reports and export the champion. Raises TrainError on unusable input or settings."""
    table = read_features(features_path)
    try:
        table = validate_features(table, params.models.feature_sets)
        split = temporal_split(table, params.split)
        specs = cand.model_specs(params.models.enabled_models())
    except (SplitError, cand.CandidateError) as exc:
        raise TrainError(str(exc)) from exc
    if not specs:
        raise TrainError("no model is enabled in params.yaml `models`")
    metric = params.selection.metric
    if metric not in m.METRIC_NAMES:
        raise TrainError(f"selection.metric {metric!r} is not one of {', '.join(m.METRIC_NAMES)}")
    truth = read_truth(truth_dir)
    requirements = pip_requirements()

    described = split.describe(table["snapshot_date"])
    client, experiment_id, active = _open_tracking(tracking_uri, paths)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    with active as parent:
        mlflow.set_tags(
            {
                "git_commit": git_commit(paths.root),
                "features_md5": file_md5(features_path),
                "params_hash": params_hash(params),
                "params_file": str(params_file),
            }
        )
        mlflow.log_params(
            {
                **described,
                "models": ",".join(specs),
                "feature_sets": ",".join(params.models.feature_sets),
                "search_iterations": params.models.search_iterations,
                "selection_metric": metric,
                "min_improvement": params.selection.min_improvement,
                "gap_months": params.split.gap_months,
            }
        )
        trained: list[Candidate] = []
        best: Candidate | None = None
        for name, feature_set in cand.grid(list(specs), list(params.models.feature_sets)):
            try:
                candidate = train_candidate(name, specs[name], feature_set, table, split, params)
            except cand.CandidateError as exc:
                raise TrainError(str(exc)) from exc
            with mlflow.start_run(
                experiment_id=experiment_id, run_name=candidate.run_name, nested=True
            ):
                log_candidate(candidate, table, split, requirements)
            log.info(
                "%s: val %s %.4f, test %.4f (%.1f s)",
                candidate.run_name,
                metric,
                candidate.val_metrics[metric],
                candidate.test_metrics[metric],
                candidate.seconds,
            )
            timings[candidate.run_name] = candidate.seconds
            if best is None or m.sort_key(metric, candidate.val_metrics[metric]) < m.sort_key(
                metric, best.val_metrics[metric]
            ):
                best = candidate
            # keep metrics and predictions, drop the fitted model unless it is the best so far
            if candidate is not best:
                candidate.model = None
            trained.append(candidate)
        assert best is not None
        for candidate in trained:
            if candidate is not best:
                candidate.model = None
        comparison = comparison_table(trained)
        test = table.iloc[split.test]
        y_test = test[LABEL].to_numpy()

        champion_before = registry.current_champion(client)
        champion_before_test, champion_before_p = None, None
        # a version without this project's tags cannot be kept: it is not scored, so replaced
        if champion_before is not None and champion_before.tags is not None:
            champion_before_p = _score_version(champion_before.version, test)
            if champion_before_p is not None:
                champion_before_test = _metric_on(metric, y_test, champion_before_p)
        version_tags = art.VersionTags(
            model=best.model_name,
            feature_set=best.feature_set,
            threshold=best.threshold,
            train_from=described["train_from"],
            train_until=described["train_until"],
            features=tuple(best.columns),
            metric=metric,
            val=best.val_metrics[metric],
            test=best.test_metrics[metric],
        )
        challenger = registry.register_candidate(client, best.model_uri, version_tags)
        decision = registry.gate(
            metric,
            params.selection.min_improvement,
            best.test_metrics[metric],
            champion_before_test,
            has_champion=champion_before is not None,
        )
        champion_after = registry.record_gate(client, challenger, decision, champion_before)

        if champion_after.version == challenger.version:
            champion_model, champion_p = best.model, best.test_probability
            champion_tags = version_tags
        else:
            champion_model = registry.load_version(champion_after.version)
            champion_p, champion_tags = champion_before_p, champion_after.tags
        assert champion_tags is not None  # a kept champion has scored today's rows
        champion_threshold = champion_tags.threshold
        champion_metrics = m.binary_metrics(y_test, champion_p, champion_threshold)
        report_metrics = {**champion_metrics, "threshold": champion_threshold}
        if truth is not None:
            try:
                oracle, covered = oracle_metrics(test, truth)
            except OracleError as exc:
                raise TrainError(str(exc)) from exc
            report_metrics.update(oracle)
            on_same = m.binary_metrics(y_test[covered], champion_p[covered], champion_threshold)
            report_metrics["oracle_gap_roc_auc"] = (
                oracle["oracle_test_roc_auc"] - on_same["roc_auc"]
            )
            mlflow.log_metrics(oracle)
        mlflow.log_metrics({f"champion_test_{k}": v for k, v in champion_metrics.items()})

        registry_report = art.RegistryDecision(
            training_run_id=parent.info.run_id,
            candidate=challenger.record(best.test_metrics[metric]),
            candidate_val=best.val_metrics[metric],
            champion_before=None
            if champion_before is None
            else champion_before.record(champion_before_test),
            champion_after=champion_after.record(
                best.test_metrics[metric]
                if champion_after.version == challenger.version
                else champion_before_test
            ),
            gate=decision,
        )
        champion_columns = list(champion_tags.features)
        example = test[champion_columns].head(5)
        signature = infer_signature(example, champion_model.predict_proba(example))
        # the export and the reports first, the alias last; a failure puts all three back
        published = [paths.champion_model, *(paths.reports / f for f in art.TRAIN_REPORTS)]
        with registry.publish_champion(client, champion_after, champion_before, published):
            registry.export_champion(
                champion_model,
                paths.champion_model,
                signature=signature,
                input_example=example,
                pip_requirements=requirements,
                meta=art.ChampionMeta(
                    model_name=art.REGISTERED_MODEL,
                    version=champion_after.version,
                    run_id=champion_after.run_id,
                    model=champion_tags.model,
                    feature_set=champion_tags.feature_set,
                    feature_columns=tuple(champion_columns),
                    threshold=champion_threshold,
                    train_from=champion_tags.train_from,
                    train_until=champion_tags.train_until,
                ),
            )
            _write_reports(
                paths.reports, comparison, report_metrics, registry_report, y_test, champion_p
            )
        mlflow.set_tags(
            {
                "decision": decision.decision,
                "challenger_version": challenger.version,
                "champion_version": champion_after.version,
            }
        )
        timings["total"] = time.perf_counter() - started
        mlflow.log_metric("train_seconds", timings["total"])
        log.info(
            "challenger v%s %s__%s (%s test %.4f); decision %s; champion v%s",
            challenger.version,
            best.model_name,
            best.feature_set,
            metric,
            best.test_metrics[metric],
            decision.decision,
            champion_after.version,
        )
    return TrainResult(
        parent_run_id=parent.info.run_id,
        comparison=comparison,
        registry=registry_report,
        metrics=report_metrics,
        champion_dir=paths.champion_model,
        timings=timings,
    )


def _score_version(version: str, test: pd.DataFrame) -> np.ndarray | None:
    """The registered version's probabilities on the test rows, or None when it needs feature
    columns the current table no longer has."""
    model = registry.load_version(version)
    columns = list(model.named_steps["prep"].feature_names_in_)
    if any(c not in test.columns for c in columns):
        return None
    return model.predict_proba(test[columns])[:, 1]


def _write_reports(
    folder: Path,
    comparison: pd.DataFrame,
    metrics: dict[str, float],
    registry_report: art.RegistryDecision,
    y_test: np.ndarray,
    champion_p: np.ndarray,
) -> None:
    """The DVC metrics and plots: champion's test metrics, all runs (CSV for people, JSON for
    `dvc metrics`), the registry decision, and the champion's ROC / PR / calibration curves."""
    write_json({k: round(float(v), 6) for k, v in metrics.items()}, folder / art.HEADLINE_METRICS)
    write_text(comparison.to_csv(index=False, float_format="%.6f"), folder / art.COMPARISON_TABLE)
    # DVC reads metrics only from JSON/YAML/TOML: the same table keyed by run name
    by_run = {
        f"{row['model']}__{row['feature_set']}": {
            k: round(float(v), 6) for k, v in row.items() if k.startswith(("val_", "test_"))
        }
        for row in comparison.to_dict("records")
    }
    write_json(by_run, folder / art.GRID_METRICS)
    write_json(registry_report.to_dict(), folder / art.REGISTRY_DECISION)
    curves = {
        "roc": m.roc_points(y_test, champion_p),
        "pr": m.pr_points(y_test, champion_p),
        "calibration": m.calibration_points(y_test, champion_p),
    }
    for name, points in curves.items():
        write_text(points.to_csv(index=False, float_format="%.6f"), folder / art.PLOT_FILES[name])
