"""The report's figures: pure functions from the `Evidence` to plain dataclasses.

Everything the report computes, and every choice between two sources of one figure, is made
here: the bootstrap intervals of every run, the champion's test figures (its row among this
training run's runs, or reports/metrics.json when it was trained in an earlier run), the
oracle's lead over the champion (a paired bootstrap on the champion's logged predictions and the
truth, or train's figure), the risk classes, the slices and the counts of the latest scored day.
Each dataclass holds numbers, tables and, where a figure has more than one possible origin, the
`Source` it came from; none holds prose or a render block. company_risk.report.sections turns
them into the document; facts shown as they were read (the registry decision, the lineage's
tags and hashes) it takes from the `Evidence` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from company_risk import master_scale as ms
from company_risk.artifacts import VersionRecord
from company_risk.metrics import LOWER_IS_BETTER, METRIC_NAMES
from company_risk.oracle import with_oracle
from company_risk.report import bootstrap, compare
from company_risk.report.classes import class_table, is_monotone
from company_risk.report.classes import migration as class_migration
from company_risk.report.collect import Evidence, age_column
from company_risk.report.oracle import oracle_gap
from company_risk.report.slices import all_slices, slice_frame, weaker_slices
from company_risk.schemas import RISK_CLASSES

ORACLE_KEYS = ("oracle_test_roc_auc", "oracle_test_pr_auc")
TRAIN_ORACLE_KEYS = (*ORACLE_KEYS, "oracle_gap_roc_auc", "oracle_test_rows")
MANIFEST_KEYS = ("latest_drop", "params_hash", "git_commit", "engine")
ALERT_KIND_COLUMNS = ("alert", "kind", "type", "reason")


class Source(StrEnum):
    """Where a figure the report shows was taken from, when it could come from more than one place."""

    RUNS = "runs"  # this training run's runs in MLflow, with intervals from their predictions
    METRICS_JSON = (
        "metrics.json"  # reports/metrics.json: train scored the champion on this run's test rows
    )
    BOOTSTRAP = (
        "bootstrap"  # computed here: paired company bootstrap on logged predictions and truth
    )
    TRAIN = "train"  # train's oracle figures: reports/metrics.json, else the training run's metrics
    CHAMPION_JSON = "champion.json"  # models/champion/champion.json, written when it was promoted
    RUN_PARAMS = "run params"  # the params of this training (parent) run
    NONE = "none"  # no source holds the figure


class GapVerdict(StrEnum):
    """What the interval of the oracle's lead over the champion says."""

    ORACLE_AHEAD = "oracle ahead"  # the whole interval above zero
    CHAMPION_AHEAD = "champion ahead"  # the whole interval below zero
    LEVEL = "level"  # the interval includes zero (or there is none)


@dataclass(frozen=True)
class Estimate:
    """A figure and, where it was resampled, its interval."""

    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Comparison:
    """Every run of the training run, with intervals, and what the table says."""

    table: (
        pd.DataFrame
    )  # the runs with `<split>_<metric>_low/_high` columns (compare.with_intervals)
    recomputed_gap: float  # largest |logged − recomputed| metric (bootstrap.recomputed_gap)
    runs: int
    models: int
    feature_sets: int
    metric: str  # the selection metric (params: selection.metric)
    shown_metrics: tuple[
        str, ...
    ]  # one models × feature sets table each: ROC-AUC, PR-AUC, the selection metric
    family: pd.DataFrame  # compare.family_signal, best family first
    ranking: pd.DataFrame  # compare.ranking on validation: the selection order
    against_champion: pd.DataFrame  # bootstrap.against_champion: each run − the champion, paired


@dataclass(frozen=True)
class ChampionFigures:
    """The registered champion and its test figures, from this run's row or from train's re-scoring."""

    record: VersionRecord | None  # None: no champion is registered
    source: Source  # of `test`: RUNS (a run of this training run) or METRICS_JSON
    row: pd.Series | None  # its row of `Comparison.table` when it was trained in this run
    test: dict[str, Estimate]  # every metric of METRIC_NAMES on the test snapshots
    test_predictions: pd.DataFrame | None  # its logged test predictions, where MLflow has them
    validation_predictions: pd.DataFrame | None
    test_default_rate: float | None  # mean label of its logged test predictions
    train_from: str
    train_until: str
    train_source: Source  # of the training range: CHAMPION_JSON, else RUN_PARAMS

    @property
    def trained_here(self) -> bool:
        return self.row is not None


@dataclass(frozen=True)
class ClassFigures:
    """The master scale: the champion's test predictions in the risk classes of
    `scoring.risk_classes`, and the statistics that validate the classes (master_scale). Every
    figure but the cut-offs, the level and the selection rule is None without logged test
    predictions."""

    cutoffs: tuple[float, ...]
    table: pd.DataFrame | None  # classes.class_table: per class, with both tests and lights
    monotone: bool | None  # the observed rate never falls (classes.is_monotone), noise or not
    level: float = 0.05  # selection.monotonicity_level: the one-sided monotonicity tests' level
    monotonicity: pd.DataFrame | None = None  # master_scale.monotonicity_tests
    concentration: ms.Concentration | None = None
    calibration: ms.Calibration | None = None
    distinct: ms.DistinctScores | None = None  # report.min_distinct_share
    migration: ms.Migration | None = None  # None without a company at two consecutive snapshots
    selection_metric: str = "roc_auc"  # how the champion was chosen (params: selection)
    tie_break: str | None = None
    tie_confidence: float = 0.95

    @property
    def violations(self) -> pd.DataFrame | None:
        """The adjacent classes whose default rate falls by more than sampling noise."""
        if self.monotonicity is None:
            return None
        return self.monotonicity.loc[self.monotonicity["violation"]].reset_index(drop=True)

    @property
    def monotone_within_noise(self) -> bool | None:
        """No violation: every fall of the observed rate is within sampling noise."""
        violations = self.violations
        return None if violations is None else not len(violations)


@dataclass(frozen=True)
class OracleFigures:
    """The world's true probabilities beside the champion, from the bootstrap or from train."""

    source: Source  # BOOTSTRAP, TRAIN, or NONE (real data: no truth)
    gap: (
        pd.DataFrame | None
    )  # BOOTSTRAP: report.oracle.oracle_gap (per metric: oracle, model, gap, low, high, rounds)
    verdicts: dict[str, GapVerdict]  # BOOTSTRAP: per metric of `gap`
    test_roc_auc: float | None  # the oracle's test ROC-AUC, from `source`
    test_pr_auc: float | None
    champion_roc_auc: float | None  # TRAIN: the champion's figures in reports/metrics.json
    champion_pr_auc: float | None
    gap_roc_auc: float | None  # TRAIN: train's gap, else oracle − champion


@dataclass(frozen=True)
class DataFigures:
    """The drops and the features table behind the training run."""

    drops: list[str]
    companies: int | None  # None: no features table
    snapshots: int | None
    first_snapshot: pd.Timestamp | None
    last_snapshot: pd.Timestamp | None
    rows: int | None
    default_rate: float | None  # mean label over all rows
    per_snapshot: pd.DataFrame | None  # compare.snapshot_summary
    world: dict[str, Any] | None  # reports/world.json


@dataclass(frozen=True)
class CurveRun:
    """A run whose test curves are drawn: the champion, or the best run of a feature set."""

    run_id: str
    model: str
    feature_set: str
    champion: bool


@dataclass(frozen=True)
class SliceFigures:
    min_defaults: int
    margin: float
    tables: (
        dict[str, pd.DataFrame] | None
    )  # slices.all_slices; None without predictions or features
    weak: pd.DataFrame | None  # slices.weaker_slices


@dataclass(frozen=True)
class ScoringFigures:
    """The latest scored day of the daily job."""

    date: str
    dates: list[str]  # every scored day
    companies: int
    mean_probability: float | None
    alerts: int | None  # None: the day has no alerts file
    model: dict[str, Any] | None  # the manifest's record of the model it scored with
    manifest: list[tuple[str, str]]  # the manifest's MANIFEST_KEYS that it holds
    psi_warn: Any  # the manifest's drift threshold
    drifted: list[str] | None  # columns above it; None: the manifest has no drift columns
    class_counts: pd.DataFrame | None  # risk_class, companies, share; None without risk classes
    alert_kinds: pd.DataFrame | None  # <kind column>, alerts; None without alerts or a kind column


@dataclass(frozen=True)
class Analysis:
    """Every figure of the report."""

    generated_on: str
    comparison: Comparison
    champion: ChampionFigures
    classes: ClassFigures
    oracle: OracleFigures
    data: DataFigures
    curves: list[CurveRun]
    slices: SliceFigures
    scoring: ScoringFigures | None  # None: no scored day yet


def analyse(ev: Evidence, generated_on: str | None = None) -> Analysis:
    """The report's figures, dated `generated_on` (default: `newest_data_date`)."""
    comparison = comparison_figures(ev)
    champion = champion_figures(ev, comparison.table)
    return Analysis(
        generated_on=generated_on or newest_data_date(ev),
        comparison=comparison,
        champion=champion,
        classes=class_figures(ev, champion),
        oracle=oracle_figures(ev, champion),
        data=data_figures(ev),
        curves=curve_runs(ev, comparison.table),
        slices=slice_figures(ev, champion),
        scoring=scoring_figures(ev),
    )


def newest_data_date(ev: Evidence) -> str:
    """The date of the newest input: the latest drop or scored day (else the training run's
    start). The report's default date, so the same inputs give the same report on any day."""
    dates = [
        d for d in (ev.drops[-1] if ev.drops else None, ev.scores.date if ev.scores else None) if d
    ]
    return max(dates) if dates else ev.runs.parent_start.date().isoformat()


def comparison_figures(ev: Evidence) -> Comparison:
    cfg = ev.params.report
    metric = ev.params.selection.metric
    runs = ev.runs.runs
    test_rounds: dict = {}  # each run's resampled test metrics, shared with the paired tests
    intervals = bootstrap.run_intervals(
        runs, ev.predictions, cfg.bootstrap_rounds, cfg.confidence, cfg.seed, test_rounds
    )
    against = bootstrap.against_champion(
        runs,
        ev.predictions,
        ev.champion.run_id if ev.champion else "",
        cfg.bootstrap_rounds,
        cfg.confidence,
        cfg.seed,
        test_rounds,
    )
    table = compare.with_intervals(runs, intervals)
    return Comparison(
        table=table,
        recomputed_gap=bootstrap.recomputed_gap(runs, ev.predictions),
        runs=len(runs),
        models=runs["model"].nunique(),
        feature_sets=runs["feature_set"].nunique(),
        metric=metric,
        shown_metrics=tuple(dict.fromkeys(("roc_auc", "pr_auc", metric))),
        family=compare.family_signal(table, metric),
        ranking=compare.ranking(table, metric, "val"),
        against_champion=against,
    )


def champion_figures(ev: Evidence, table: pd.DataFrame) -> ChampionFigures:
    """The champion's figures. One trained in this run has its row, with intervals; one kept
    from an earlier training run has none: its test figures are then train's re-scoring of it on
    this run's test rows (reports/metrics.json), and its training range the one recorded in
    champion.json."""
    row = None
    test_predictions = validation_predictions = None
    if ev.champion:
        hit = table.loc[table["run_id"] == ev.champion.run_id]
        row = hit.iloc[0] if len(hit) else None
        logged = ev.predictions.get(ev.champion.run_id)
        if logged:
            test_predictions, validation_predictions = logged["test"], logged["validation"]
    if row is not None:
        source = Source.RUNS
        test = {
            m: Estimate(row[f"test_{m}"], row[f"test_{m}_low"], row[f"test_{m}_high"])
            for m in METRIC_NAMES
        }
    else:
        source = Source.METRICS_JSON
        reported = ev.metrics_report or {}
        test = {m: Estimate(reported.get(m)) for m in METRIC_NAMES}
    meta, params = ev.champion_meta, ev.runs.parent_params
    return ChampionFigures(
        record=ev.champion,
        source=source,
        row=row,
        test=test,
        test_predictions=test_predictions,
        validation_predictions=validation_predictions,
        test_default_rate=(
            float(test_predictions["label"].mean()) if test_predictions is not None else None
        ),
        train_from=meta.train_from if meta else params["train_from"],
        train_until=meta.train_until if meta else params["train_until"],
        train_source=Source.CHAMPION_JSON if meta else Source.RUN_PARAMS,
    )


def class_figures(ev: Evidence, champion: ChampionFigures) -> ClassFigures:
    """The master scale of the champion's logged test predictions (none without them)."""
    cutoffs = ev.params.scoring.risk_classes
    selection = ev.params.selection
    rule = {
        "level": selection.monotonicity_level,
        "selection_metric": selection.metric,
        "tie_break": selection.tie_break,
        "tie_confidence": selection.tie_confidence,
    }
    predictions = champion.test_predictions
    if predictions is None:
        return ClassFigures(cutoffs, None, None, **rule)
    table = class_table(predictions, cutoffs)
    return ClassFigures(
        cutoffs,
        table,
        is_monotone(table),
        monotonicity=ms.monotonicity_tests(table, selection.monotonicity_level),
        concentration=ms.herfindahl(table["share"].to_numpy()),
        calibration=ms.calibration(table),
        distinct=ms.distinct_scores(
            predictions["probability"].to_numpy(), ev.params.report.min_distinct_share
        ),
        migration=class_migration(predictions, cutoffs),
        **rule,
    )


def gap_verdict(low: float, high: float) -> GapVerdict:
    """Whether an interval of the gap oracle − champion is told apart from zero, and on which side."""
    if low > 0:
        return GapVerdict.ORACLE_AHEAD
    if high < 0:
        return GapVerdict.CHAMPION_AHEAD
    return GapVerdict.LEVEL


def train_oracle(ev: Evidence) -> dict[str, float]:
    """The oracle's figures train recorded: reports/metrics.json, else the training run's metrics."""
    source = ev.metrics_report or {}
    found = {k: float(source[k]) for k in TRAIN_ORACLE_KEYS if k in source}
    for key in ORACLE_KEYS:
        if key not in found and key in ev.runs.parent_metrics:
            found[key] = float(ev.runs.parent_metrics[key])
    return found


def oracle_figures(ev: Evidence, champion: ChampionFigures) -> OracleFigures:
    """The oracle beside the champion: a paired bootstrap of the gap where the champion was
    trained in this run and its logged test predictions and the truth are at hand (an earlier
    run's champion logged predictions on the data of its day), else train's figures."""
    cfg = ev.params.report
    predictions = champion.test_predictions
    if champion.trained_here and predictions is not None and ev.truth is not None:
        covered = with_oracle(predictions, ev.truth)
        if covered["label"].nunique() == 2:
            gap = oracle_gap(covered, cfg.bootstrap_rounds, cfg.confidence, cfg.seed)
            return OracleFigures(
                source=Source.BOOTSTRAP,
                gap=gap,
                verdicts={m: gap_verdict(r.low, r.high) for m, r in gap.iterrows()},
                test_roc_auc=float(gap.loc["roc_auc", "oracle"]),
                test_pr_auc=float(gap.loc["pr_auc", "oracle"]),
                champion_roc_auc=None,
                champion_pr_auc=None,
                gap_roc_auc=None,
            )
    oracle = train_oracle(ev)
    if "oracle_test_roc_auc" not in oracle:
        return OracleFigures(Source.NONE, None, {}, None, None, None, None, None)
    reported = ev.metrics_report or {}
    champion_auc, champion_pr = reported.get("roc_auc"), reported.get("pr_auc")
    gap_roc = oracle.get("oracle_gap_roc_auc")
    if gap_roc is None and champion_auc is not None:
        gap_roc = oracle["oracle_test_roc_auc"] - float(champion_auc)
    return OracleFigures(
        source=Source.TRAIN,
        gap=None,
        verdicts={},
        test_roc_auc=oracle["oracle_test_roc_auc"],
        test_pr_auc=oracle.get("oracle_test_pr_auc"),
        champion_roc_auc=None if champion_auc is None else float(champion_auc),
        champion_pr_auc=None if champion_pr is None else float(champion_pr),
        gap_roc_auc=gap_roc,
    )


def split_bounds(ev: Evidence) -> dict[str, str]:
    """The training run's logged date bounds of each split part (`<part>_from`, `<part>_until`)."""
    return {k: v for k, v in ev.runs.parent_params.items() if k.endswith(("_from", "_until"))}


def data_figures(ev: Evidence) -> DataFigures:
    f = ev.features
    if f is None or not len(f):
        return DataFigures(ev.drops, None, None, None, None, None, None, None, ev.world)
    return DataFigures(
        drops=ev.drops,
        companies=f["company_id"].nunique(),
        snapshots=f["snapshot_date"].nunique(),
        first_snapshot=f["snapshot_date"].min(),
        last_snapshot=f["snapshot_date"].max(),
        rows=len(f),
        default_rate=float(f["label"].mean()),
        per_snapshot=compare.snapshot_summary(f, split_bounds(ev)),
        world=ev.world,
    )


def curve_runs(ev: Evidence, table: pd.DataFrame) -> list[CurveRun]:
    """The runs whose test curves are drawn: the champion, then the best run on validation of
    each feature set, each run once; only runs with logged predictions."""
    metric = ev.params.selection.metric
    chosen: list[CurveRun] = []
    if ev.champion and ev.champion.run_id in ev.predictions:
        c = ev.champion
        chosen.append(CurveRun(c.run_id, c.model, c.feature_set, champion=True))
    for feature_set in compare.FEATURE_SETS:
        part = table.loc[
            (table["feature_set"] == feature_set) & table["run_id"].isin(list(ev.predictions))
        ]
        if part.empty:
            continue
        best = part.sort_values(
            f"val_{metric}", ascending=metric in LOWER_IS_BETTER, kind="stable"
        ).iloc[0]
        if best["run_id"] not in {run.run_id for run in chosen}:
            chosen.append(CurveRun(best["run_id"], best["model"], feature_set, champion=False))
    return chosen


def slice_figures(ev: Evidence, champion: ChampionFigures) -> SliceFigures:
    cfg = ev.params.report
    if champion.test_predictions is None or ev.features is None:
        return SliceFigures(cfg.min_slice_defaults, cfg.weak_slice_margin, None, None)
    frame = slice_frame(
        champion.test_predictions, ev.features, age_column(list(ev.features.columns))
    )
    tables = all_slices(frame, cfg.min_slice_defaults, cfg.weak_slice_margin)
    return SliceFigures(
        cfg.min_slice_defaults, cfg.weak_slice_margin, tables, weaker_slices(tables)
    )


def scoring_figures(ev: Evidence) -> ScoringFigures | None:
    day = ev.scores
    if day is None:
        return None
    manifest = day.manifest or {}
    scores = day.scores
    drift = manifest.get("drift")
    drifted = None
    if isinstance(drift, dict) and drift.get("columns"):
        drifted = [c["column"] for c in drift["columns"] if c.get("warn")]
    class_counts = None
    if "risk_class" in scores:
        counts = scores["risk_class"].astype("str").value_counts()
        companies = [int(counts.get(c, 0)) for c in RISK_CLASSES]
        class_counts = pd.DataFrame(
            {
                "risk_class": list(RISK_CLASSES),
                "companies": companies,
                "share": [n / max(len(scores), 1) for n in companies],
            }
        )
    alert_kinds = None
    if day.alerts is not None and len(day.alerts):
        kind = next((c for c in ALERT_KIND_COLUMNS if c in day.alerts.columns), None)
        if kind:
            alert_kinds = (
                day.alerts[kind]
                .astype("str")
                .value_counts()
                .rename_axis(kind)
                .reset_index(name="alerts")
            )
    model = manifest.get("model")
    return ScoringFigures(
        date=day.date,
        dates=day.all_dates,
        companies=len(scores),
        mean_probability=float(scores["probability"].mean()) if "probability" in scores else None,
        alerts=len(day.alerts) if day.alerts is not None else None,
        model=model if isinstance(model, dict) else None,
        manifest=[(k, str(manifest[k])) for k in MANIFEST_KEYS if k in manifest],
        psi_warn=drift.get("psi_warn") if isinstance(drift, dict) else None,
        drifted=drifted,
        class_counts=class_counts,
        alert_kinds=alert_kinds,
    )
