"""One scoring run: drops ≤ D -> ingest -> features as of D -> champion -> partition `date=D/`.

`score_day` reads like a table of contents: one named step per part, each timed into the
manifest and each callable alone: `day_drops` (the drops the day may read), `ingest_day` (the
day's history: ingest of the drops data/interim lacks), `day_features` (the features as of the
day), `company_facts`, `score_population` (the core: predict, classes, credit, reasons),
`previous_day` + `day_alerts` (alerts against the previous partition, every company's, with
the score alerts held back on a model switch: `day_alert_set`), `day_drift` (drift
against the training reference), `day_manifest`, `write_day` (the atomic write) and
`log_scoring_run` (MLflow). `score_days` resolves and loads the model once (`prepare_job`) and
scores one or several days (a backfill) in date order, so each day's alerts compare with the
day before. Timings go only to the manifest; the scores themselves are a pure function of the
drops, the parameters and the model version.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from company_risk import tracking
from company_risk.artifacts import (
    SCORING_EXPERIMENT,
    previous_partition,
    read_manifest,
    read_scores,
    scores_columns,
)
from company_risk.config import FeaturesConfig, Params, ProjectPaths, ScoringConfig
from company_risk.data_depth import GRADES, data_depth
from company_risk.explain import feature_contributions
from company_risk.features.build import build_features
from company_risk.features.catalogue import by_name
from company_risk.features.registry import UNIT_DAYS
from company_risk.features.tables import load_interim
from company_risk.ingest import IngestResult, ingest_drops, pseudonym_key
from company_risk.ingest.files import list_drops
from company_risk.provenance import git_commit, params_hash
from company_risk.scoring import ScoringError
from company_risk.scoring.alerts import (
    KINDS,
    NEEDED,
    AlertDay,
    alerted_companies,
    build_alerts,
    hold_back_reason,
    hold_back_score_alerts,
    on_watchlist,
    published_events,
)
from company_risk.scoring.classes import ROMAN, assign_classes
from company_risk.scoring.credit import credit_terms
from company_risk.scoring.drift import drift_table, season_reference
from company_risk.scoring.facts import board_changes, company_facts
from company_risk.scoring.model import (
    LoadedModel,
    check_columns,
    check_signature,
    load_model,
    predict,
    resolve_model,
    term_probabilities,
)
from company_risk.scoring.partition import write_partition
from company_risk.scoring.reasons import Phrase, fact_texts, top_reasons
from company_risk.scoring.spark import predict_spark, write_partition_spark  # pyspark: on use
from company_risk.stagelog import Stopwatch
from company_risk.watchlists import NAME, Watchlist, WatchlistError, make_watchlist

log = logging.getLogger("company_risk.score")

ENGINES = ("pandas", "spark")
_REGISTRY_CODE = re.compile(r"^\d{8}$")
WATCHLIST_FILE_KEYS = ("name", "codes", "kinds", "rules")  # a YAML or JSON watchlist file
_STRUCTURED = {".yaml": "YAML", ".yml": "YAML", ".json": "JSON"}


@dataclass(frozen=True)
class ScoreJob:
    """Where a run reads and writes, and what it scores with."""

    raw: Path
    interim: Path
    out: Path
    model: LoadedModel
    params: Params
    phrases: Mapping[str, Phrase]
    project: ProjectPaths  # the project whose mlartifacts/ keeps a logged run's artifacts
    git_commit: str = "unknown"
    watchlist: frozenset[str] | None = None
    engine: str = "pandas"
    drift_reference: pd.DataFrame | None = None  # training rows + their probability
    tracking_uri: str | None = None  # where the run is logged; None = not logged
    pseudonym_key: bytes | None = None  # ingest's key for foreign persons (None: built-in)


@dataclass
class DayResult:
    date: dt.date
    path: Path
    scores: pd.DataFrame
    alerts: pd.DataFrame  # as written to the partition (narrowed to `--watchlist`)
    manifest: dict = field(default_factory=dict)
    alert_day: AlertDay | None = None  # every company's, for the digests


# ------------------------------------------------------------------------------------ core
def score_population(
    features: pd.DataFrame,
    facts: pd.DataFrame,
    model: LoadedModel,
    phrases: Mapping[str, Phrase],
    cfg: ScoringConfig,
    probability: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, contributions) for every row of `features` (one row per active company).

    `probability` may be given by another engine (Spark); otherwise the model predicts here.
    `probability` and `risk_class` are the 12-month figures; a model with a term structure adds
    `pd_3m`, `pd_6m`, `pd_9m` (its shorter horizons) after `probability`, a model without one
    adds no such column (rather than NaN, which would read as a company without a figure).
    """
    check_signature(model, features)
    unworded = [c for c in model.input_columns if c not in phrases]
    if unworded:
        raise ScoringError(f"the feature catalogue does not describe: {', '.join(unworded)}")
    X = features[model.input_columns]
    p = predict(model, X) if probability is None else np.asarray(probability, dtype=float)
    ids = features["company_id"].astype("str").to_numpy()
    contributions = feature_contributions(
        model.estimator, X, approximate=cfg.contributions == "approximate"
    )
    contributions.index = pd.Index(ids, name="company_id")
    X = X.set_axis(contributions.index)
    f = facts.reindex(contributions.index)
    if f["status"].isna().any():
        unknown = contributions.index[f["status"].isna()][:5].tolist()
        raise ScoringError(f"features list company(ies) the history tables do not know: {unknown}")
    horizons = term_probabilities(model, p)
    frame = pd.DataFrame({"probability": p, **horizons}, index=contributions.index)
    frame = frame.join(assign_classes(frame["probability"], cfg))
    frame = frame.join(f.drop(columns=["status"]))
    frame = frame.join(credit_terms(frame, cfg))
    frame = frame.join(top_reasons(contributions, X, phrases, fact_texts(f), cfg.top_reasons))
    scores = frame.reset_index()
    first = [
        "company_id",
        "probability",
        *horizons,
        "risk_class",
        "class_name",
        "policy",
        "recommendation",
        "credit_limit",
        "payment_term_days",
        "credit_note",
    ]
    rest = [c for c in scores.columns if c not in first]
    scores = scores[first + rest].sort_values("company_id", kind="stable").reset_index(drop=True)
    return scores, contributions


def day_data_depth(scores: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """`scores` with each company's data-depth grade (company_risk.data_depth: A-D, how much
    evidence is behind its score) as column `data_depth`, after `class_name`."""
    grade = data_depth(features).set_axis(features["company_id"].astype("str"))
    grade = grade.reindex(scores["company_id"])
    if grade.isna().any():
        lacking = scores["company_id"][grade.isna().to_numpy()].head(5).tolist()
        raise ScoringError(f"scores list company(ies) the features do not: {lacking}")
    scores = scores.copy()
    scores.insert(
        scores.columns.get_loc("class_name") + 1, "data_depth", grade.set_axis(scores.index)
    )
    return scores


def manifest_counts(scores: pd.DataFrame, alerts: pd.DataFrame) -> dict:
    per_class = scores["risk_class"].value_counts().reindex(list(ROMAN), fill_value=0)
    counts: dict = {
        "rows": len(scores),
        "rows_per_class": {k: int(v) for k, v in per_class.items()},
    }
    if "data_depth" in scores:  # every scored day has it (score_day); hand-made frames may not
        per_grade = scores["data_depth"].value_counts().reindex(list(GRADES), fill_value=0)
        counts["rows_per_data_depth"] = {k: int(v) for k, v in per_grade.items()}
    return counts | {
        "recommendations": {
            k: int(v) for k, v in scores["recommendation"].value_counts().sort_index().items()
        },
        "alerts": len(alerts),
        "alerts_per_kind": {
            k: int(v) for k, v in alerts["kind"].value_counts().sort_index().items()
        },
    }


def read_watchlist(path: Path) -> frozenset[str]:
    """The registry codes of a watchlist file (`load_watchlist`): the companies whose alerts
    the partition keeps."""
    return frozenset(load_watchlist(path).codes)


def load_watchlist(path: Path) -> Watchlist:
    """A watchlist file: registry codes one a line, or (`.yaml`, `.yml`, `.json`) a mapping
    with `codes` and optionally `name`, `kinds` and `rules` (company_risk.watchlists), checked
    by `watchlists.make_watchlist`. Named by its `name`, else by the file's stem (letters,
    digits, '-' and '_' kept, anything else made '-'). An error names the file and the line or
    field; a file without a code is refused: an empty watchlist would silently rewrite the day
    with no alert. A plain file wants every alert kind and sets no rule."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read the watchlist ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoringError(
            f"{path}: the watchlist is not UTF-8 text (byte {exc.start}); expected registry "
            "codes, one a line"
        ) from exc
    if "\x00" in text:
        raise ScoringError(f"{path}: the watchlist is a binary file, not registry codes")
    if path.suffix.lower() in _STRUCTURED:
        return _structured_watchlist(path, text)
    # each line checked already, and no cap on the companies (the API's is for its store)
    return Watchlist(_stem_name(path), tuple(sorted(set(_code_lines(path, text)))))


def _code_lines(path: Path, text: str) -> list[str]:
    """Registry codes, one per line (blank lines and `#` comments allowed; a header line
    `company_id` or `registrikood` is skipped); a bad line is named with its number."""
    codes = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0].strip().split(",")[0].split(";")[0].strip().strip('"')
        if not code or (
            number == 1 and code.lower() in ("company_id", "registrikood", "ariregistri_kood")
        ):
            continue
        if not _REGISTRY_CODE.match(code):
            raise ScoringError(f"{path}, line {number}: {code!r} is not an 8-digit registry code")
        codes.append(code)
    if not codes:
        raise ScoringError(
            f"{path}: the watchlist holds no registry code; give one 8-digit code a line, or "
            "leave out --watchlist to keep every alert"
        )
    return codes


def _structured_watchlist(path: Path, text: str) -> Watchlist:
    """A YAML or JSON watchlist file (`load_watchlist`). Codes may be written as numbers (YAML
    reads `- 10000001` as one): a number of 8 digits is taken as that code."""
    form = _STRUCTURED[path.suffix.lower()]
    try:
        data = yaml.safe_load(text) if form == "YAML" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ScoringError(f"{path}: not valid {form}: {exc}") from exc
    if not isinstance(data, dict):
        raise ScoringError(
            f"{path}: expected a mapping with {', '.join(WATCHLIST_FILE_KEYS)}, "
            f"got {type(data).__name__}"
        )
    unknown = sorted(str(k) for k in data if k not in WATCHLIST_FILE_KEYS)
    if unknown:
        raise ScoringError(
            f"{path}: unknown key(s) {', '.join(unknown)} (expected "
            f"{', '.join(WATCHLIST_FILE_KEYS)})"
        )
    codes, kinds, rules = data.get("codes"), data.get("kinds") or [], data.get("rules")
    if not isinstance(codes, list) or not codes:
        raise ScoringError(f"{path}: codes: expected a list of 8-digit registry codes")
    if not isinstance(kinds, list):
        raise ScoringError(f"{path}: kinds: expected a list of alert kinds")
    if rules is not None and not isinstance(rules, dict):
        raise ScoringError(f"{path}: rules: expected a mapping of rule: value")
    name = data.get("name", _stem_name(path))
    codes = [str(c) if isinstance(c, int) and not isinstance(c, bool) else c for c in codes]
    try:
        return make_watchlist(name, codes, KINDS, kinds=kinds, rules=rules)
    except WatchlistError as exc:
        raise ScoringError(f"{path}: {exc}") from exc


def _stem_name(path: Path) -> str:
    """A watchlist name from a file name: `customers 2025.txt` -> `customers-2025`."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-_")[:64]
    return name if NAME.fullmatch(name) else "watchlist"


# ------------------------------------------------------------------------------------ a day
def score_day(job: ScoreJob, date: dt.date) -> DayResult:
    """Score every active company as of `date` and write `out/date=D/` atomically."""
    check_engine(job.engine)
    cfg = job.params.scoring
    timings: dict[str, float] = {}
    clock = Stopwatch(timings)
    used = day_drops(job.raw, date)
    with clock("ingest"):
        ingest_day(job, date)
    with clock("features"):
        tables = load_interim(job.interim)
        features = day_features(tables, date, job.params.features)
    with clock("facts"):
        facts = company_facts(
            tables,
            date,
            job.params.features.report_deadline_months,
            board_roles=job.params.features.graph.roles,
        )
    probability = None
    if job.engine == "spark":  # Spark predicts; score_population adds the rest
        check_signature(job.model, features)
        with clock("predict"):
            probability = predict_spark(features, job.model)
    with clock("predict_reasons"):
        scores, contributions = score_population(
            features, facts, job.model, job.phrases, cfg, probability
        )
    scores = day_data_depth(scores, features)
    with clock("alerts"):
        before, previous = previous_day(job.out, date, scores)
        alert_day = day_alert_set(job, tables, facts, previous, scores, before, date)
        alerts = on_watchlist(alert_day.sent, job.watchlist)
        held_back = None
        if alert_day.held_back_reason:
            held = on_watchlist(alert_day.held_back, job.watchlist)
            held_back = {"reason": alert_day.held_back_reason, "count": len(held)}
    drift = None
    if job.drift_reference is not None:
        with clock("drift"):
            drift = day_drift(job.drift_reference, date, features, scores, contributions, cfg)
    # the partition's manifest has the timings up to the write; the MLflow run has all of them
    manifest = day_manifest(job, date, used, before, scores, alerts, drift, timings, held_back)
    with clock("write"):
        path = write_day(job.out, date, scores, alerts, manifest, job.engine)
    manifest["timings_s"] = dict(timings)
    log_day(job, manifest)
    if job.tracking_uri:
        log_scoring_run(job.tracking_uri, manifest, job.project)
    return DayResult(date, path, scores, alerts, manifest, alert_day)


def score_days(job: ScoreJob, dates: Iterable[dt.date]) -> list[DayResult]:
    """Score several days in date order (a backfill): each one's alerts compare with the
    partition written just before it."""
    return [score_day(job, d) for d in sorted(set(dates))]


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ScoringError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")


def drops_until(raw: Path, date: dt.date) -> list[dt.date]:
    return [d for d, _ in list_drops(raw) if d <= date]


def day_drops(raw: Path, date: dt.date) -> list[dt.date]:
    """The drops a run for `date` may read (dated on or before it), oldest first; a
    ScoringError when there is none."""
    used = drops_until(raw, date)
    if not used:
        raise ScoringError(f"no drop dated on or before {date} in {raw}: nothing to score")
    return used


def ingest_day(job: ScoreJob, date: dt.date) -> IngestResult:
    """The day's history: ingest the drops dated on or before `date` that `job.interim` lacks
    (none when the ingest stage has run: then it only checks)."""
    return ingest_drops(job.raw, job.interim, job.params.ingest, job.pseudonym_key, until=date)


def day_features(
    tables: Mapping[str, pd.DataFrame], date: dt.date, cfg: FeaturesConfig
) -> pd.DataFrame:
    """The features of every active company as of `date` (no label); a ScoringError when no
    company is active."""
    features = build_features(tables, [date], cfg, with_label=False)
    if features.empty:
        raise ScoringError(f"no active company on {date}: the population is empty")
    return features


def previous_day(
    out: Path, date: dt.date, scores: pd.DataFrame
) -> tuple[dt.date | None, pd.DataFrame]:
    """The latest partition under `out` before `date` and its rows (the columns of `NEEDED` it
    has: one written before some existed lacks them, and the alerts that need them are skipped),
    or on the first day (None, no rows, with the dtypes of today's `scores`)."""
    before = previous_partition(out, date)
    if before is None:
        return None, pd.DataFrame({c: pd.Series(dtype=scores[c].dtype) for c in NEEDED})
    present = set(scores_columns(out, before))
    return before, read_scores(out, before, columns=[c for c in NEEDED if c in present])


def previous_model(out: Path, before: dt.date | None) -> dict | None:
    """The model record of the partition dated `before` (its manifest's `model`); None on the
    first day or when that manifest names none (a hand-made or foreign partition)."""
    if before is None:
        return None
    model = read_manifest(out, before).get("model")
    return model if isinstance(model, dict) else None


def day_alerts(
    tables: dict[str, pd.DataFrame],
    facts: pd.DataFrame,
    previous: pd.DataFrame,
    scores: pd.DataFrame,
    before: dt.date | None,
    date: dt.date,
    cfg: ScoringConfig,
) -> pd.DataFrame:
    """What changed between the previous partition (`previous`, dated `before`; None on the
    first day) and today's `scores`, with what the drops published in between (board changes,
    appointments, reports, rulings), for every company."""
    since = date if before is None else before
    board = board_changes(tables, since, date)
    published = published_events(tables, since, date)
    return build_alerts(previous, scores, facts, board, date, cfg, published)


def day_alert_set(
    job: ScoreJob,
    tables: dict[str, pd.DataFrame],
    facts: pd.DataFrame,
    previous: pd.DataFrame,
    scores: pd.DataFrame,
    before: dt.date | None,
    date: dt.date,
) -> AlertDay:
    """The day's alerts for every company (`day_alerts`), the score alerts held back when the
    previous partition was scored with another model version than `job`'s, and who each
    alerted company is."""
    alerts = day_alerts(tables, facts, previous, scores, before, date, job.params.scoring)
    reason = hold_back_reason(previous_model(job.out, before), job.model.ref.describe())
    sent, held = hold_back_score_alerts(alerts, reason)
    if reason:
        log.warning("%s: %d score alert(s) held back: %s", date, len(held), reason)
    return AlertDay(sent, held, reason, alerted_companies(sent, scores, facts))


def day_manifest(
    job: ScoreJob,
    date: dt.date,
    used: list[dt.date],
    before: dt.date | None,
    scores: pd.DataFrame,
    alerts: pd.DataFrame,
    drift: dict | None,
    timings: Mapping[str, float],
    held_back: dict | None = None,
) -> dict:
    """What `_manifest.json` records of the day: inputs, model, code and parameter versions,
    counts, the score alerts held back on a model switch (`score_alerts_held_back`: reason and
    count, of the partition's companies; null on other days), probability quantiles, drift and
    the timings so far."""
    return {
        "date": date.isoformat(),
        "engine": job.engine,
        "drops_used": [d.isoformat() for d in used],
        "latest_drop": used[-1].isoformat(),
        "previous_partition": before.isoformat() if before else None,
        "model": job.model.ref.describe(),
        "git_commit": job.git_commit,
        "params_hash": params_hash(job.params),
        "watchlist_size": None if job.watchlist is None else len(job.watchlist),
        **manifest_counts(scores, alerts),
        "score_alerts_held_back": held_back,
        "probability_quantiles": _quantiles(scores["probability"]),
        "drift": drift,
        "timings_s": dict(timings),
    }


def write_day(
    out: Path,
    date: dt.date,
    scores: pd.DataFrame,
    alerts: pd.DataFrame,
    manifest: dict,
    engine: str = "pandas",
) -> Path:
    """Replace the partition `out/date=D/` (atomically with pandas; Spark's dynamic partition
    overwrite with spark). Returns its folder."""
    if engine == "spark":
        return write_partition_spark(out, date, scores, alerts, manifest)
    return write_partition(out, date, scores, alerts, manifest)


def log_day(job: ScoreJob, manifest: dict) -> None:
    """One log line for the day, and a warning per drifted column."""
    log.info(
        "scored %d companies on %s with %s v%s: %s; %d alert(s)",
        manifest["rows"],
        manifest["date"],
        job.model.ref.name,
        job.model.ref.version,
        manifest["rows_per_class"],
        manifest["alerts"],
    )
    for row in (manifest["drift"] or {}).get("columns", []):
        if row["warn"]:
            log.warning(
                "drift: PSI of %s is %.3f (> %.2f)",
                row["column"],
                row["psi"],
                job.params.scoring.psi_warn,
            )


def _quantiles(p: pd.Series) -> dict[str, float]:
    qs = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
    return {
        f"p{int(q * 100):02d}": round(float(v), 6)
        for q, v in zip(qs, np.quantile(p, qs), strict=True)
    } | {"mean": round(float(p.mean()), 6)}


# ---------------------------------------------------------------------------------- drift
def drift_reference(
    features_path: Path, model: LoadedModel, cfg: ScoringConfig
) -> pd.DataFrame | None:
    """A fixed sample of the champion's training rows (up to `psi_reference_rows` from each
    calendar quarter) with their snapshot date and the champion's probability on them, or None
    when the training features or the training period are not known."""
    ref = model.ref
    if not Path(features_path).exists() or not ref.train_from or not ref.train_until:
        log.warning(
            "drift: no training reference (%s, training period %s..%s)",
            features_path,
            ref.train_from,
            ref.train_until,
        )
        return None
    try:
        names = pq.read_schema(features_path).names
    except (OSError, pa.ArrowException) as exc:
        raise ScoringError(f"{features_path}: cannot read the training features ({exc})") from exc
    check_columns(model, names, f"the training features {features_path}")
    table = pd.read_parquet(features_path, columns=["snapshot_date", *model.input_columns])
    period = table["snapshot_date"].between(
        pd.Timestamp(ref.train_from), pd.Timestamp(ref.train_until)
    )
    table = table.loc[period]
    shuffled = table.sample(frac=1.0, random_state=0)
    table = shuffled.groupby(shuffled["snapshot_date"].dt.quarter).head(cfg.psi_reference_rows)
    if table.empty:
        return None
    return table.assign(probability=predict(model, table))


def day_drift(
    reference: pd.DataFrame,
    date: dt.date,
    features: pd.DataFrame,
    scores: pd.DataFrame,
    contributions: pd.DataFrame,
    cfg: ScoringConfig,
) -> dict:
    """The manifest's drift record: PSI of the probability and of the `psi_top_features`
    strongest features (by mean absolute contribution today) against the rows of `reference`
    (`drift_reference`) from the same point of the year."""
    reference, season = season_reference(reference, date, catalogue_clocks(list(reference.columns)))
    strongest = contributions.abs().mean().sort_values(ascending=False, kind="stable")
    top = list(strongest.index[: cfg.psi_top_features])
    today = features.set_index(features["company_id"].astype("str"))[top].reindex(
        scores["company_id"]
    )
    today = today.reset_index(drop=True).assign(probability=scores["probability"].to_numpy())
    table = drift_table(reference, today, ["probability", *top], cfg.psi_warn)
    return {
        "reference": season,
        "reference_rows": len(reference),
        "psi_warn": cfg.psi_warn,
        "columns": [
            {"column": r.column, "psi": round(float(r.psi), 6), "warn": bool(r.warn)}
            for r in table.itertuples()
        ],
    }


# --------------------------------------------------------------------------------- MLflow
def log_scoring_run(tracking_uri: str, manifest: dict, project: ProjectPaths) -> str:
    """Log the day to experiment `company-risk-scoring` (artifacts under the project's
    mlartifacts/, as training's): counts per class, probability quantiles, drift; the manifest
    as an artifact. Returns the run id."""
    import mlflow  # about a second to import, and only a logged run needs it

    mlflow.set_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiment_id = tracking.experiment_id(client, SCORING_EXPERIMENT, project)
    metrics = {f"n_class_{k}": v for k, v in manifest["rows_per_class"].items()}
    metrics |= {"n_companies": manifest["rows"], "n_alerts": manifest["alerts"]}
    metrics |= {f"probability_{k}": v for k, v in manifest["probability_quantiles"].items()}
    for row in (manifest["drift"] or {}).get("columns", []):
        metrics[f"psi_{row['column']}"] = row["psi"]
    metrics |= {f"seconds_{k}": v for k, v in manifest["timings_s"].items()}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"score {manifest['date']}") as run:
        mlflow.set_tags(
            {
                "date": manifest["date"],
                "model_run_id": manifest["model"]["run_id"],
                "git_commit": manifest["git_commit"],
                "params_hash": manifest["params_hash"],
                "engine": manifest["engine"],
            }
        )
        mlflow.log_params(
            {
                "date": manifest["date"],
                "model_name": manifest["model"]["name"],
                "model_version": manifest["model"]["version"],
            }
        )
        mlflow.log_metrics({k: float(v) for k, v in sorted(metrics.items()) if np.isfinite(v)})
        mlflow.log_dict(manifest, "manifest.json")
    return run.info.run_id


# ------------------------------------------------------------------------------- set-up
def prepare_job(
    *,
    raw: Path,
    interim: Path,
    out: Path,
    model_uri: str,
    tracking_uri: str | None,
    params: Params,
    root: Path,
    features_path: Path | None,
    watchlist: frozenset[str] | None,
    engine: str,
    allow_pickle: bool = False,
) -> ScoreJob:
    """Resolve the model alias to a version once, load it, and gather the catalogue's
    phrases and the drift reference: everything that stays the same over a backfill.
    `allow_pickle` lets a pickle or cloudpickle model load (it can run code: trusted models only)."""
    check_engine(engine)
    ref = resolve_model(model_uri, tracking_uri)
    model = load_model(ref, tracking_uri, allow_pickle=allow_pickle)
    log.info(
        "model %s resolved to %s version %s (run %s)", model_uri, ref.name, ref.version, ref.run_id
    )
    reference = drift_reference(features_path, model, params.scoring) if features_path else None
    return ScoreJob(
        raw=Path(raw),
        interim=Path(interim),
        out=Path(out),
        model=model,
        params=params,
        phrases=catalogue_phrases(model.input_columns),
        project=ProjectPaths(Path(root)),
        git_commit=git_commit(root),
        watchlist=watchlist,
        engine=engine,
        drift_reference=reference,
        tracking_uri=tracking_uri,
        pseudonym_key=pseudonym_key(params.ingest, root),
    )


def catalogue_clocks(columns: list[str]) -> dict[str, float]:
    """The clock features among `columns` (see company_risk.features.registry.Feature), each
    with the days in its unit."""
    registry = by_name()
    return {c: UNIT_DAYS[registry[c].unit] for c in columns if c in registry and registry[c].clock}


def catalogue_phrases(columns: list[str]) -> dict[str, Phrase]:
    """How each of the model's features reads in a reason: the feature catalogue's phrase
    and unit, so the catalogue, the features and the reasons cannot drift apart. A column the
    catalogue does not know is left out (and refused when scoring, after the signature check)."""
    registry = by_name()
    return {c: Phrase(registry[c].phrase, registry[c].unit) for c in columns if c in registry}
