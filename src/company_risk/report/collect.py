"""Gather what the report shows, from MLflow and the pipeline's outputs, into plain objects.

The report types no number by hand: every figure in it is read here, from the tracking store
(runs, metrics, logged predictions and importances, the network-feature ablation, registry
aliases) or from the files the stages wrote (`reports/registry.json`, `reports/metrics.json`,
`reports/world.json`, `features.parquet`, the drops, the daily scores, `dvc.lock`, and in a
synthetic world the true default probabilities of `data/truth/pd.parquet`). Everything downstream
(bootstrap, slices, plots, rendering) is a pure function of the `Evidence` built here.

Inputs that do not exist yet are `None` or empty rather than errors, so the report can be made
at any point of the data flow; only a missing training run is an error, because without one
there is nothing to compare.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pyarrow.parquet as pq
from mlflow.exceptions import MlflowException

from company_risk import artifacts as art
from company_risk.artifacts import ChampionMeta, RegistryDecision, VersionRecord
from company_risk.config import Params, ProjectPaths, params_to_dict
from company_risk.data_depth import COLUMNS as DATA_DEPTH_COLUMNS
from company_risk.errors import CompanyRiskError
from company_risk.metrics import METRIC_NAMES
from company_risk.oracle import read_truth
from company_risk.provenance import git_commit
from company_risk.report import lineage
from company_risk.schemas import CATEGORICAL_FEATURES, FEATURE_KEYS, LABEL

PARENT_TAG = art.PARENT_RUN_TAG


class ReportError(CompanyRiskError, ValueError):
    """The report cannot be made: no training run to report on, or an unreadable input."""


@dataclass(frozen=True)
class ReportSources:
    """Where each input of the report lives; defaults follow `ProjectPaths`."""

    root: Path
    tracking_uri: str
    params_file: Path
    features: Path
    raw: Path
    interim: Path
    truth: Path
    reports: Path
    scores: Path
    champion_model: Path
    dvc_lock: Path

    @classmethod
    def from_paths(cls, paths: ProjectPaths, params_file: Path, tracking_uri: str) -> ReportSources:
        return cls(
            root=paths.root,
            tracking_uri=tracking_uri,
            params_file=params_file,
            features=paths.features_table,
            raw=paths.raw,
            interim=paths.interim,
            truth=paths.truth,
            reports=paths.reports,
            scores=paths.scores,
            champion_model=paths.champion_model,
            dvc_lock=paths.root / "dvc.lock",
        )


@dataclass(frozen=True)
class TrainingRuns:
    """One `train` parent run and its nested `<model>__<feature_set>` runs."""

    parent_id: str
    parent_tags: dict[str, str]
    parent_params: dict[str, str]
    parent_metrics: dict[str, float]
    parent_start: pd.Timestamp
    runs: pd.DataFrame
    """run_id, run_name, model, feature_set, settings (the run's other params as text),
    val_<m> and test_<m> for every metric, threshold; in training order."""


@dataclass(frozen=True)
class ScoresDay:
    """One partition `data/scores/date=D/` of the daily job."""

    date: str
    scores: pd.DataFrame
    alerts: pd.DataFrame | None
    manifest: dict[str, Any] | None
    all_dates: list[str]


@dataclass(frozen=True)
class Evidence:
    """Everything the report shows, read once."""

    params: Params
    params_dict: dict[str, Any]
    runs: TrainingRuns
    predictions: dict[str, dict[str, pd.DataFrame]]
    """run_id -> {"validation": frame, "test": frame} (company_id, snapshot_date, label, probability)."""
    champion: VersionRecord | None
    aliases: dict[str, VersionRecord]
    registry_report: RegistryDecision | None
    metrics_report: dict[str, Any] | None
    champion_meta: ChampionMeta | None
    importance: pd.DataFrame | None
    world: dict[str, Any] | None
    truth: pd.DataFrame | None
    """The world's true 12-month default probabilities (company_id, month, pd_12m); None on real data."""
    features: pd.DataFrame | None
    drops: list[str]
    scores: ScoresDay | None
    dvc_hashes: pd.DataFrame
    git_commit: str
    packages: dict[str, str]
    ablation: pd.DataFrame | None = None
    """The training run's network-feature ablation (artifacts.ABLATION): company_id,
    snapshot_date, label, one probability column per variant, the base first; None when the
    run logged none (an older run, `models.ablation: false`)."""
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ MLflow
def client_for(tracking_uri: str) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def latest_training_parent(client: mlflow.MlflowClient) -> str:
    """The newest top-level run of the experiment that has nested runs."""
    experiment = client.get_experiment_by_name(art.TRAINING_EXPERIMENT)
    if experiment is None:
        raise ReportError(
            f"MLflow has no experiment {art.TRAINING_EXPERIMENT!r}: run `company-risk train` first"
        )
    runs = _search_all(client, experiment.experiment_id, "", ["attributes.start_time DESC"])
    parents_with_children = {r.data.tags.get(PARENT_TAG) for r in runs} - {None}
    for run in runs:
        if PARENT_TAG not in run.data.tags and run.info.run_id in parents_with_children:
            return run.info.run_id
    raise ReportError(
        f"experiment {art.TRAINING_EXPERIMENT!r} has no training run with nested model runs"
    )


def training_runs(client: mlflow.MlflowClient, parent_id: str) -> TrainingRuns:
    """The parent run and one row per nested run, metrics as floats, in training order."""
    try:
        parent = client.get_run(parent_id)
    except MlflowException as exc:
        raise ReportError(f"MLflow run {parent_id} not found: {exc}") from exc
    children = _search_all(
        client,
        parent.info.experiment_id,
        f"tags.`{PARENT_TAG}` = '{parent_id}'",
        ["attributes.start_time ASC"],
    )
    if not children:
        raise ReportError(f"training run {parent_id} has no nested model runs")
    rows = []
    for child in children:
        params = dict(child.data.params)
        row: dict[str, Any] = {
            "run_id": child.info.run_id,
            "run_name": child.info.run_name,
            "model": params.pop("model", ""),
            "feature_set": params.pop("feature_set", ""),
            "settings": ", ".join(f"{k}={v}" for k, v in sorted(params.items())),
        }
        for split in ("val", "test"):
            for metric in METRIC_NAMES:
                row[f"{split}_{metric}"] = child.data.metrics.get(f"{split}_{metric}", float("nan"))
        row["threshold"] = child.data.metrics.get("threshold", float("nan"))
        rows.append(row)
    return TrainingRuns(
        parent_id=parent_id,
        parent_tags={k: v for k, v in parent.data.tags.items() if not k.startswith("mlflow.")},
        parent_params=dict(parent.data.params),
        parent_metrics=dict(parent.data.metrics),
        parent_start=pd.Timestamp(parent.info.start_time, unit="ms"),
        runs=pd.DataFrame(rows),
    )


def _search_all(
    client: mlflow.MlflowClient, experiment_id: str, filter_string: str, order_by: list[str]
) -> list:
    """Every matching run, following MLflow's pages."""
    out, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=filter_string,
            max_results=1000,
            order_by=order_by,
            page_token=token,
        )
        out.extend(page)
        token = page.token
        if not token:
            return out


def run_artifact(client: mlflow.MlflowClient, run_id: str, path: str) -> pd.DataFrame | None:
    """A logged parquet or CSV artifact of a run as a DataFrame, or None when it was not logged."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = Path(client.download_artifacts(run_id, path, tmp))
        except (MlflowException, OSError):
            return None
        if not local.is_file():
            return None
        frame = pd.read_parquet(local) if local.suffix == ".parquet" else pd.read_csv(local)
    if "company_id" in frame.columns:
        frame["company_id"] = frame["company_id"].astype("str")
    return frame


def registry_aliases(
    client: mlflow.MlflowClient, name: str = art.REGISTERED_MODEL
) -> dict[str, VersionRecord]:
    """`champion` and `challenger`, each as the version its tags describe."""
    out = {}
    for alias in (art.CHAMPION, art.CHALLENGER):
        try:
            version = client.get_model_version_by_alias(name, alias)
        except MlflowException:
            continue
        tags = art.VersionTags.from_dict(
            dict(version.tags or {}), f"registered version {version.version} (@{alias})"
        )
        out[alias] = VersionRecord(
            version=str(version.version),
            run_id=version.run_id or "",
            model=tags.model,
            feature_set=tags.feature_set,
        )
    return out


# ------------------------------------------------------------------------------ pipeline files
def read_json(path: Path) -> dict[str, Any] | None:
    path = Path(path)
    if not path.is_file():
        return None
    return art.read_json_object(path)


def age_column(columns: list[str]) -> str | None:
    """The descriptive company-age feature (`desc__age...`), whatever its unit suffix."""
    matches = [c for c in columns if c.startswith("desc__age")]
    return matches[0] if matches else None


def read_features(path: Path) -> pd.DataFrame | None:
    """Keys, label and the slice columns (sector, county, legal form, age, and the columns of
    the data-depth grade) of features.parquet.

    Only these columns are read: the full table at Estonian scale is millions of rows wide.
    """
    path = Path(path)
    if not path.is_file():
        return None
    names = pq.read_schema(path).names
    wanted = [*FEATURE_KEYS, LABEL, *CATEGORICAL_FEATURES]
    age = age_column(names)
    if age:
        wanted.append(age)
    wanted += [c for c in DATA_DEPTH_COLUMNS if c not in wanted]
    frame = pd.read_parquet(path, columns=[c for c in wanted if c in names])
    frame["company_id"] = frame["company_id"].astype("str")
    return frame


def drop_dates(raw: Path, interim: Path) -> list[str]:
    """The drops the pipeline used: the ingest log when present, else the dated raw folders."""
    log_path = art.interim_table(interim, art.INGEST_LOG)
    if log_path.is_file():
        dates = pd.read_parquet(log_path, columns=["drop_date"])["drop_date"]
        return sorted(pd.to_datetime(dates).dt.strftime("%Y-%m-%d").unique().tolist())
    return [day.isoformat() for day, _ in art.dated_folders(Path(raw))]


def score_dates(scores: Path) -> list[str]:
    """Dates with a complete daily partition, oldest first: what the scoring stage itself
    counts as complete (`scoring.partition.list_partitions`: a partition with its manifest)."""
    return [day.isoformat() for day in art.list_partitions(Path(scores))]


def read_scores_day(scores: Path, date: str | None = None) -> ScoresDay | None:
    """One day's scores, alerts and manifest (the latest day by default), or None if none."""
    dates = score_dates(scores)
    if not dates:
        return None
    date = date or dates[-1]
    if date not in dates:
        raise ReportError(f"no scores for {date}; scored days: {', '.join(dates)}")
    folder = art.partition_dir(Path(scores), dt.date.fromisoformat(date))
    frame = _read_day(scores, date)
    alerts = None
    if (folder / art.ALERTS_FILE).is_file():
        alerts = pd.read_csv(folder / art.ALERTS_FILE, dtype={"company_id": "str"})
    return ScoresDay(date, frame, alerts, read_json(folder / art.MANIFEST_FILE), dates)


def score_history(scores: Path, company_id: str) -> pd.DataFrame:
    """A company's probability and risk class on every scored day (date, probability, risk_class)."""
    rows = []
    for date in score_dates(scores):
        frame = _read_day(scores, date)
        hit = frame.loc[frame["company_id"] == str(company_id)]
        if len(hit):
            rows.append(
                {
                    "date": pd.Timestamp(date),
                    **{c: hit.iloc[0][c] for c in ("probability", "risk_class") if c in hit},
                }
            )
    return pd.DataFrame(rows, columns=["date", "probability", "risk_class"])


def _read_day(scores: Path, date: str) -> pd.DataFrame:
    """A complete partition's scores as the scoring stage reads them (either engine's files)."""
    return art.read_scores(Path(scores), dt.date.fromisoformat(date))


# -------------------------------------------------------------------------------------- all
def collect_evidence(sources: ReportSources, params: Params) -> Evidence:
    """Read every input of the report. The training run reported on is the one that produced
    the current `reports/registry.json` (so the report matches the DVC outputs beside it); without
    that file, the newest training run of the experiment."""
    client = client_for(sources.tracking_uri)
    decision_path = sources.reports / art.REGISTRY_DECISION
    registry_report = RegistryDecision.read(decision_path) if decision_path.is_file() else None
    notes: list[str] = []
    parent_id = None
    if registry_report:
        parent_id = registry_report.training_run_id
        if not _run_exists(client, parent_id):
            parent_id = None
            notes.append(
                "reports/registry.json names a run MLflow does not know; the newest training run is shown"
            )
    runs = training_runs(client, parent_id or latest_training_parent(client))

    aliases = registry_aliases(client)
    champion = _champion(registry_report, aliases)
    run_ids = list(runs.runs["run_id"])
    if champion and champion.run_id not in run_ids:
        run_ids.append(champion.run_id)
        notes.append(
            f"the champion (version {champion.version}) was trained in an earlier run; "
            "its curves use the predictions logged by that run"
        )
    predictions = {}
    for run_id in run_ids:
        parts = {
            split: run_artifact(client, run_id, path) for split, path in art.PREDICTIONS.items()
        }
        if all(part is not None for part in parts.values()):
            predictions[run_id] = parts
    importance = run_artifact(client, champion.run_id, art.IMPORTANCE) if champion else None

    features = read_features(sources.features)
    meta_path = sources.champion_model / art.CHAMPION_META
    return Evidence(
        params=params,
        params_dict=params_to_dict(params),
        runs=runs,
        predictions=predictions,
        champion=champion,
        aliases=aliases,
        registry_report=registry_report,
        metrics_report=read_json(sources.reports / art.HEADLINE_METRICS),
        champion_meta=ChampionMeta.read(meta_path) if meta_path.is_file() else None,
        importance=importance,
        world=read_json(sources.reports / art.WORLD_REPORT),
        truth=read_truth(sources.truth),
        features=features,
        drops=drop_dates(sources.raw, sources.interim),
        scores=read_scores_day(sources.scores),
        dvc_hashes=lineage.input_hashes(sources.dvc_lock, sources.root, _hashed_inputs(sources)),
        git_commit=git_commit(sources.root),
        packages=lineage.package_versions(),
        ablation=run_artifact(client, runs.parent_id, art.ABLATION),
        notes=notes,
    )


def _champion(
    registry_report: RegistryDecision | None, aliases: dict[str, VersionRecord]
) -> VersionRecord | None:
    """The champion as the registry's alias says now; registry.json's record when the alias is
    gone (e.g. a copied report folder without the tracking store)."""
    if art.CHAMPION in aliases:
        return aliases[art.CHAMPION]
    if registry_report:
        return registry_report.champion_after
    return None


def _run_exists(client: mlflow.MlflowClient, run_id: str) -> bool:
    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True


def _hashed_inputs(sources: ReportSources) -> list[Path]:
    """The inputs whose hashes are computed when there is no dvc.lock to read them from."""
    return [
        sources.params_file,
        sources.raw,
        sources.truth,
        sources.interim,
        sources.features,
        sources.champion_model,
        *(sources.reports / name for name in art.TRAIN_REPORTS if "/" not in name),
        sources.reports / art.WORLD_REPORT,
    ]
