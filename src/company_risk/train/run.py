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
sibling modules, so tests can run each step on a table built in memory. `run_training` reads as
its steps: `load_inputs`, `fit_grid` (candidates and the best), `rescore_champion` (the champion
before, on today's test rows), `decide` (register, gate, record), `champion_figures` (+ the
oracle), `fit_term_structure` (the 3/6/9-month probabilities, company_risk.term_structure),
`log_ablation` (the network-feature ablation, company_risk.train.ablation), `registry_record`
and `publish` (export, reports, alias). What differs between models
(row caps, the SVM's strategy, extra run params) is asked of the model's entry in
company_risk.model_table, never decided here by its name.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import logging
import tempfile
import time
from collections.abc import Callable
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
from company_risk import master_scale as ms
from company_risk import metrics as m
from company_risk import tracking
from company_risk.atomic import write_json, write_text
from company_risk.config import ModelsConfig, Params, ProjectPaths, SelectionConfig
from company_risk.errors import CompanyRiskError
from company_risk.explain import feature_importance
from company_risk.oracle import OracleError, oracle_metrics, read_truth
from company_risk.provenance import file_md5, git_commit, params_hash
from company_risk.schemas import (
    CATEGORICAL_FEATURES,
    FEATURE_KEYS,
    FEATURE_SET_PREFIXES,
    HORIZON_METRICS,
    LABEL,
    feature_columns,
    horizon_label,
    horizon_label_months,
    horizon_metric,
)
from company_risk.term_structure import TAG as TERM_STRUCTURE_TAG
from company_risk.term_structure import TermStructure, TermStructureError
from company_risk.term_structure import fit_term_structure as fit_term_structure_on
from company_risk.train import candidates as cand
from company_risk.train import registry
from company_risk.train.ablation import MODEL as ABLATION_MODEL
from company_risk.train.ablation import AblationError, fit_ablation
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

    # what the model's entry fixes for this run (the SVM's strategy, resolved by the rows the
    # global cap leaves), then its row cap (a Nystroem SVM is not held to its own)
    fixed = spec.entry.fixed_for_run(
        spec.settings, min(len(train), cfg.max_train_rows or len(train))
    )
    base = {**spec.settings, **fixed}
    final_rows = stratified_subsample(
        y_train, spec.entry.row_cap(base, cfg.max_train_rows), cfg.seed
    )
    search_rows = final_rows[
        stratified_subsample(y_train[final_rows], cfg.search_max_rows, cfg.seed)
    ]

    search_log: list[dict[str, Any]] = []
    best: tuple[float, dict[str, Any], Any] | None = None
    for settings in spec.candidates(cfg.search_iterations, cfg.seed):
        settings = {**settings, **fixed}
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
        **spec.entry.run_params(settings),
    }
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


# ---------------------------------------------------------------------------------- the steps
# `run_training` is these steps in order, each taking what the ones before returned, so a test
# can run any one of them alone on a table built in memory.
@dataclass(frozen=True)
class TrainInputs:
    """What the grid trains on: the validated table, its split, the enabled models' specs, the
    synthetic world's truth (None for a real register) and the split's bounds as params."""

    table: pd.DataFrame
    split: TemporalSplit
    specs: dict[str, cand.ModelSpec]
    truth: pd.DataFrame | None
    described: dict[str, str | int]

    @property
    def test(self) -> pd.DataFrame:
        return self.table.iloc[self.split.test]


def load_inputs(features_path: Path, truth_dir: Path | None, params: Params) -> TrainInputs:
    """Read and check everything the grid needs; a TrainError names what is unusable."""
    table = read_features(features_path)
    try:
        table = validate_features(table, params.models.feature_sets)
        split = temporal_split(table, params.split)
        specs = cand.model_specs(params.models.enabled_models())
    except (SplitError, cand.CandidateError) as exc:
        raise TrainError(str(exc)) from exc
    if not specs:
        raise TrainError("no model is enabled in params.yaml `models`")
    truth = read_truth(truth_dir)
    return TrainInputs(table, split, specs, truth, split.describe(table["snapshot_date"]))


def lineage_tags(
    paths: ProjectPaths, features_path: Path, params: Params, params_file: Path
) -> dict[str, str]:
    """The parent run's tags: the code, data and parameters it was trained from."""
    return {
        "git_commit": git_commit(paths.root),
        "features_md5": file_md5(features_path),
        "params_hash": params_hash(params),
        "params_file": str(params_file),
    }


def grid_params(inputs: TrainInputs, params: Params) -> dict[str, Any]:
    """The parent run's params: the split, the grid and the selection rule."""
    return {
        **inputs.described,
        "models": ",".join(inputs.specs),
        "feature_sets": ",".join(params.models.feature_sets),
        "search_iterations": params.models.search_iterations,
        "selection_metric": params.selection.metric,
        "min_improvement": params.selection.min_improvement,
        # MLflow params are text: "none" when ties are not broken (the leader alone wins)
        "selection_tie_break": params.selection.tie_break or "none",
        "selection_tie_confidence": params.selection.tie_confidence,
        "selection_tie_rounds": params.selection.tie_rounds,
        "selection_monotonicity_level": params.selection.monotonicity_level,
        "gap_months": params.split.gap_months,
    }


@dataclass(frozen=True)
class GridResult:
    """Every trained cell in grid order, and the best on validation (the only one that keeps
    its fitted model)."""

    candidates: list[Candidate]
    best: Candidate


def fit_grid(
    inputs: TrainInputs, params: Params, log_run: Callable[[Candidate], None]
) -> GridResult:
    """Train every (model, feature set) cell; `log_run` records each one as it is trained
    (run_training: a nested MLflow run), before its fitted model is let go.

    The best is `registry.choose_candidate`'s: the best validation `selection.metric`, or the
    best `selection.tie_break` among the runs inside the leader's bootstrap interval of it. A
    run's fitted model is let go once it can no longer be chosen (`registry.never_chosen`)."""
    selection = params.selection
    metric = selection.metric
    trained: list[Candidate] = []
    for name, feature_set in cand.grid(list(inputs.specs), list(params.models.feature_sets)):
        try:
            candidate = train_candidate(
                name, inputs.specs[name], feature_set, inputs.table, inputs.split, params
            )
        except cand.CandidateError as exc:
            raise TrainError(str(exc)) from exc
        log_run(candidate)
        log.info(
            "%s: val %s %.4f, test %.4f (%.1f s)",
            candidate.run_name,
            metric,
            candidate.val_metrics[metric],
            candidate.test_metrics[metric],
            candidate.seconds,
        )
        trained.append(candidate)
        # keep metrics and predictions, drop the fitted models that can no longer be chosen
        for position in registry.never_chosen(
            [c.val_metrics for c in trained], metric, selection.tie_break
        ):
            trained[position].model = None
    if not trained:
        raise TrainError("the grid has no (model, feature set) cell to train")
    values = [c.val_metrics for c in trained]
    first = trained[registry.leader(values, metric)]
    interval = None
    if selection.tie_break is not None:
        rows = inputs.split.validation
        interval = registry.metric_interval(
            metric,
            inputs.table[LABEL].to_numpy()[rows],
            first.val_probability,
            first.threshold,
            inputs.table["company_id"].to_numpy()[rows],
            selection.tie_rounds,
            selection.tie_confidence,
            params.models.seed,
        )
    best = trained[registry.choose_candidate(values, metric, selection.tie_break, interval)]
    log.info(
        "best: %s (validation %s leader %s, interval %s; tie-break %s)",
        best.run_name,
        metric,
        first.run_name,
        "none" if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]",
        selection.tie_break,
    )
    for candidate in trained:
        if candidate is not best:
            candidate.model = None
    return GridResult(trained, best)


def _nested_runs(
    experiment_id: str, inputs: TrainInputs, requirements: list[str]
) -> Callable[[Candidate], None]:
    """fit_grid's `log_run`: each candidate as a nested run of the active parent run."""

    def log_run(candidate: Candidate) -> None:
        with mlflow.start_run(
            experiment_id=experiment_id, run_name=candidate.run_name, nested=True
        ):
            log_candidate(candidate, inputs.table, inputs.split, requirements)

    return log_run


@dataclass(frozen=True)
class ChampionBefore:
    """The champion before this train and, when it could be re-scored on today's test rows,
    its selection metric and probabilities there."""

    info: registry.ChampionInfo | None
    test: float | None = None
    probability: np.ndarray | None = None
    model: Any = field(default=None, compare=False)  # loaded once; kept if it stays champion


def rescore_champion(
    champion: registry.ChampionInfo | None, test: pd.DataFrame, metric: str
) -> ChampionBefore:
    """Score the current champion on today's test rows, so the gate compares like with like."""
    # a version without this project's tags cannot be kept: it is not scored, so replaced
    if champion is None or champion.tags is None:
        return ChampionBefore(champion)
    model = registry.load_version(champion.version)
    probability = _probabilities(model, test)
    if probability is None:
        return ChampionBefore(champion)
    return ChampionBefore(
        champion, _metric_on(metric, test[LABEL].to_numpy(), probability), probability, model
    )


@dataclass(frozen=True)
class RegistryOutcome:
    """The registered challenger, its tags, the gate's decision and the champion it chose."""

    version_tags: art.VersionTags
    challenger: registry.ChampionInfo
    gate: art.GateRecord
    champion_after: registry.ChampionInfo

    @property
    def challenger_is_champion(self) -> bool:
        return self.champion_after.version == self.challenger.version

    def run_tags(self) -> dict[str, str]:
        """The parent run's tags naming the outcome."""
        return {
            "decision": self.gate.decision,
            "challenger_version": self.challenger.version,
            "champion_version": self.champion_after.version,
        }


def version_tags_for(
    best: Candidate, described: dict[str, str | int], metric: str
) -> art.VersionTags:
    """The tags the best candidate is registered with."""
    return art.VersionTags(
        model=best.model_name,
        feature_set=best.feature_set,
        threshold=best.threshold,
        train_from=str(described["train_from"]),
        train_until=str(described["train_until"]),
        features=tuple(best.columns),
        metric=metric,
        val=best.val_metrics[metric],
        test=best.test_metrics[metric],
    )


def class_violations(
    best: Candidate, y_val: np.ndarray, cutoffs: tuple[float, ...], level: float
) -> list[str]:
    """The adjacent risk classes (`scoring.risk_classes`) whose observed default rate on the
    best candidate's validation predictions falls by more than sampling noise (one-sided
    Fisher test at `level`, master_scale.monotonicity_violations), described."""
    table = ms.scale_table(best.val_probability, y_val, cutoffs)
    return ms.describe_violations(ms.monotonicity_violations(table, level))


def decide(
    client: mlflow.MlflowClient,
    best: Candidate,
    before: ChampionBefore,
    described: dict[str, str | int],
    selection: SelectionConfig,
    y_val: np.ndarray,
    cutoffs: tuple[float, ...],
) -> RegistryOutcome:
    """Register the best candidate as `challenger`, gate it against the champion and record
    the decision on its version (the alias `champion` moves later, in `publish`).

    The gate refuses a candidate whose validation predictions (labels `y_val`), put into the
    risk classes of `cutoffs`, are not monotone beyond noise (`class_violations`); the
    champion then stays, or, when no champion can serve, the refused candidate is champion,
    flagged `refused` (registry.gate)."""
    metric = selection.metric
    version_tags = version_tags_for(best, described, metric)
    challenger = registry.register_candidate(client, best.model_uri, version_tags)
    violations = class_violations(best, y_val, cutoffs, selection.monotonicity_level)
    decision = registry.gate(
        metric,
        selection.min_improvement,
        best.test_metrics[metric],
        before.test,
        has_champion=before.info is not None,
        violations=violations,
    )
    if violations:
        log.warning(
            "challenger v%s refused: risk classes not monotone on validation (%s)%s",
            challenger.version,
            "; ".join(violations),
            "" if before.test is not None else "; no champion can serve, so it serves, flagged",
        )
    champion_after = registry.record_gate(client, challenger, decision, before.info)
    return RegistryOutcome(version_tags, challenger, decision, champion_after)


@dataclass(frozen=True)
class ChampionFigures:
    """The champion after the gate, and its figures on today's test rows."""

    model: Any
    tags: art.VersionTags
    probability: np.ndarray
    metrics: dict[str, float]  # logged as champion_test_*
    report: dict[str, float]  # reports/metrics.json: the metrics, threshold and oracle
    oracle: dict[str, float] | None  # None without the synthetic world's truth
    term_structure: TermStructure | None = None  # set by `fit_term_structure`


def champion_figures(
    best: Candidate,
    outcome: RegistryOutcome,
    before: ChampionBefore,
    test: pd.DataFrame,
    truth: pd.DataFrame | None,
) -> ChampionFigures:
    """The champion's model, tags and figures: the challenger's own when it won, the kept
    champion's (loaded from the registry, scored on today's rows) otherwise."""
    if outcome.challenger_is_champion:
        model, probability, tags = best.model, best.test_probability, outcome.version_tags
    else:
        model, probability, tags = before.model, before.probability, outcome.champion_after.tags
    assert tags is not None and probability is not None and model is not None  # kept: re-scored
    metrics, report, oracle = figures_on_test(test, probability, tags.threshold, truth)
    return ChampionFigures(model, tags, probability, metrics, report, oracle)


def figures_on_test(
    test: pd.DataFrame, probability: np.ndarray, threshold: float, truth: pd.DataFrame | None
) -> tuple[dict[str, float], dict[str, float], dict[str, float] | None]:
    """(metrics, report metrics, oracle metrics) of `probability` on the test rows; with the
    truth, the oracle's figures and the gap to it on the rows the truth covers."""
    y_test = test[LABEL].to_numpy()
    metrics = m.binary_metrics(y_test, probability, threshold)
    report = {**metrics, "threshold": threshold}
    if truth is None:
        return metrics, report, None
    try:
        oracle, covered = oracle_metrics(test, truth)
    except OracleError as exc:
        raise TrainError(str(exc)) from exc
    report.update(oracle)
    on_same = m.binary_metrics(y_test[covered], probability[covered], threshold)
    report["oracle_gap_roc_auc"] = oracle["oracle_test_roc_auc"] - on_same["roc_auc"]
    return metrics, report, oracle


def term_structure_figures(
    table: pd.DataFrame,
    split: TemporalSplit,
    val_probability: np.ndarray,
    test_probability: np.ndarray,
    base_months: int,
) -> tuple[TermStructure, dict[str, float]] | None:
    """The term structure fitted on the validation rows' `label_<h>m` and the champion's
    validation probabilities, and its figures on the test rows (`pd_<h>m_<metric>`, the base
    horizon's too, from `label` and the champion's test probabilities); None when the table has
    no shorter-horizon label (a features table built before `features.horizons_months`)."""
    horizons = [h for h in horizon_label_months(table.columns) if h < base_months]
    if not horizons:
        return None
    val, test = table.iloc[split.validation], table.iloc[split.test]
    for h in horizons:
        column = table[horizon_label(h)]
        if column.isna().any() or not column.isin([0, 1]).all():
            raise TrainError(f"{horizon_label(h)} must be 0 or 1 on every row")
    try:
        structure = fit_term_structure_on(
            val_probability,
            {h: val[horizon_label(h)].to_numpy() for h in horizons},
            base_months,
        )
    except TermStructureError as exc:
        raise TrainError(f"validation snapshots: {exc}") from exc
    predicted = {**structure.apply(test_probability), base_months: np.asarray(test_probability)}
    observed = {h: test[horizon_label(h)].to_numpy() for h in horizons}
    observed[base_months] = test[LABEL].to_numpy()
    report: dict[str, float] = {}
    for h in [*horizons, base_months]:
        y, p = observed[h], predicted[h]
        try:
            figures = m.binary_metrics(y, p, 0.5)  # threshold-free figures only
        except m.MetricError as exc:
            raise TrainError(f"test snapshots, {h}-month horizon: {exc}") from exc
        figures |= {"mean_predicted": float(np.mean(p)), "observed_rate": float(np.mean(y))}
        report |= {horizon_metric(h, k): figures[k] for k in HORIZON_METRICS}
    return structure, report


def fit_term_structure(
    inputs: TrainInputs,
    best: Candidate,
    outcome: RegistryOutcome,
    figures: ChampionFigures,
    base_months: int,
) -> ChampionFigures:
    """The champion's term structure (company_risk.term_structure), fitted on its validation
    probabilities: the challenger's own when it won, else the kept version's, scored on today's
    validation rows as `rescore_champion` scores the test rows. Its test figures are logged on
    the parent run (`champion_test_<metric>_<h>m`) and join reports/metrics.json
    (`pd_<h>m_<metric>`); the structure travels in the returned figures to champion.json and,
    at `publish`, to the champion version's tag `term_structure` (what scoring a `models:/`
    URI reads)."""
    val = inputs.table.iloc[inputs.split.validation]
    if outcome.challenger_is_champion:
        val_probability = best.val_probability
    else:
        val_probability = _probabilities(figures.model, val)
    if val_probability is None:  # cannot happen: the kept champion scored today's test rows
        raise TrainError(
            f"champion version {outcome.champion_after.version} cannot score the validation rows"
        )
    fitted = term_structure_figures(
        inputs.table, inputs.split, val_probability, figures.probability, base_months
    )
    if fitted is None:
        log.warning(
            "features table has no label_<h>m column: the champion gets no term structure "
            "(rebuild the features for pd_3m, pd_6m, pd_9m)"
        )
        return figures
    structure, report = fitted
    mlflow.log_metrics(
        {
            f"champion_test_{metric}_{h}m": report[horizon_metric(h, metric)]
            for h in (*structure.months, base_months)
            for metric in HORIZON_METRICS
        }
    )
    return dataclasses.replace(
        figures, report={**figures.report, **report}, term_structure=structure
    )


def log_ablation(inputs: TrainInputs, cfg: ModelsConfig) -> pd.DataFrame | None:
    """The network-feature ablation (company_risk.train.ablation) on the grid's rows, logged on
    the active parent run as artifacts.ABLATION with its model (param `ablation_model`) and its
    time (metric `ablation_seconds`); None, and nothing logged, when `models.ablation` is off or
    the table gives no ablation (a warning says why)."""
    if not cfg.ablation:
        return None
    started = time.perf_counter()
    try:
        table = fit_ablation(inputs.table, inputs.split, cfg)
    except AblationError as exc:
        log.warning("no ablation: %s", exc)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(art.ABLATION).name
        table.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path=str(Path(art.ABLATION).parent))
    seconds = time.perf_counter() - started
    mlflow.log_param(art.ABLATION_MODEL_PARAM, ABLATION_MODEL)
    mlflow.log_metric("ablation_seconds", seconds)
    log.info(
        "ablation: %d variants on %d test rows (%.1f s)",
        len(table.columns) - len(FEATURE_KEYS) - 1,
        len(table),
        seconds,
    )
    return table


def registry_record(
    training_run_id: str,
    best: Candidate,
    before: ChampionBefore,
    outcome: RegistryOutcome,
    metric: str,
) -> art.RegistryDecision:
    """`reports/registry.json`: the candidate, the champion before and after, the gate."""
    candidate_test = best.test_metrics[metric]
    return art.RegistryDecision(
        training_run_id=training_run_id,
        candidate=outcome.challenger.record(candidate_test),
        candidate_val=best.val_metrics[metric],
        champion_before=None if before.info is None else before.info.record(before.test),
        champion_after=outcome.champion_after.record(
            candidate_test if outcome.challenger_is_champion else before.test
        ),
        gate=outcome.gate,
    )


def champion_meta(
    champion: registry.ChampionInfo,
    tags: art.VersionTags,
    term_structure: TermStructure | None = None,
) -> art.ChampionMeta:
    """`champion.json` of the exported champion (with its term structure, when it has one)."""
    return art.ChampionMeta(
        model_name=art.REGISTERED_MODEL,
        version=champion.version,
        run_id=champion.run_id,
        model=tags.model,
        feature_set=tags.feature_set,
        feature_columns=tuple(tags.features),
        threshold=tags.threshold,
        train_from=tags.train_from,
        train_until=tags.train_until,
        term_structure=None if term_structure is None else term_structure.to_dict(),
    )


def publish(
    client: mlflow.MlflowClient,
    paths: ProjectPaths,
    outcome: RegistryOutcome,
    before: ChampionBefore,
    figures: ChampionFigures,
    comparison: pd.DataFrame,
    record: art.RegistryDecision,
    test: pd.DataFrame,
    requirements: list[str],
) -> None:
    """Export the champion, write the reports, then move the alias `champion`."""
    example = test[list(figures.tags.features)].head(5)
    signature = infer_signature(example, figures.model.predict_proba(example))
    # the export and the reports first, the alias last; a failure puts all three back
    published = [paths.champion_model, *(paths.reports / f for f in art.TRAIN_REPORTS)]
    structure = figures.term_structure
    tags = {} if structure is None else {TERM_STRUCTURE_TAG: structure.to_json()}
    with registry.publish_champion(
        client, outcome.champion_after, before.info, published, tags=tags
    ):
        registry.export_champion(
            figures.model,
            paths.champion_model,
            signature=signature,
            input_example=example,
            pip_requirements=requirements,
            meta=champion_meta(outcome.champion_after, figures.tags, figures.term_structure),
        )
        _write_reports(
            paths.reports,
            comparison,
            figures.report,
            record,
            test[LABEL].to_numpy(),
            figures.probability,
        )


def _log_outcome(best: Candidate, outcome: RegistryOutcome, metric: str) -> None:
    log.info(
        "challenger v%s %s__%s (%s test %.4f); decision %s; champion v%s",
        outcome.challenger.version,
        best.model_name,
        best.feature_set,
        metric,
        best.test_metrics[metric],
        outcome.gate.decision,
        outcome.champion_after.version,
    )


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
    inputs = load_inputs(features_path, truth_dir, params)
    requirements = pip_requirements()
    client, experiment_id, active = _open_tracking(tracking_uri, paths)
    started = time.perf_counter()
    metric = params.selection.metric
    with active as parent:
        mlflow.set_tags(lineage_tags(paths, features_path, params, params_file))
        mlflow.log_params(grid_params(inputs, params))
        grid = fit_grid(inputs, params, _nested_runs(experiment_id, inputs, requirements))
        comparison = comparison_table(grid.candidates)
        test = inputs.test
        before = rescore_champion(registry.current_champion(client), test, metric)
        outcome = decide(
            client,
            grid.best,
            before,
            inputs.described,
            params.selection,
            inputs.table[LABEL].to_numpy()[inputs.split.validation],
            params.scoring.risk_classes,
        )
        figures = champion_figures(grid.best, outcome, before, test, inputs.truth)
        figures = fit_term_structure(
            inputs, grid.best, outcome, figures, params.features.horizon_months
        )
        if figures.oracle is not None:
            mlflow.log_metrics(figures.oracle)
        mlflow.log_metrics({f"champion_test_{k}": v for k, v in figures.metrics.items()})
        log_ablation(inputs, params.models)
        record = registry_record(parent.info.run_id, grid.best, before, outcome, metric)
        publish(client, paths, outcome, before, figures, comparison, record, test, requirements)
        mlflow.set_tags(outcome.run_tags())
        timings = {c.run_name: c.seconds for c in grid.candidates}
        timings["total"] = time.perf_counter() - started
        mlflow.log_metric("train_seconds", timings["total"])
        _log_outcome(grid.best, outcome, metric)
    return TrainResult(
        parent_run_id=parent.info.run_id,
        comparison=comparison,
        registry=record,
        metrics=figures.report,
        champion_dir=paths.champion_model,
        timings=timings,
    )


def _probabilities(model: Any, rows: pd.DataFrame) -> np.ndarray | None:
    """A served model's probabilities on `rows`, or None when it needs feature columns the
    current table no longer has."""
    columns = list(model.named_steps["prep"].feature_names_in_)
    if any(c not in rows.columns for c in columns):
        return None
    return model.predict_proba(rows[columns])[:, 1]


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
