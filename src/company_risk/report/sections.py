"""Assemble the report `Document` from the evidence: one function per section.

Every number placed here comes from the `Evidence` (MLflow and the pipeline's files) or is
computed from it by the sibling modules (bootstrap, compare, classes, slices); the text around
the numbers only names them. A section whose input does not exist yet says so instead of
failing: no truth means no oracle comparison, no daily run means no scoring section figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from company_risk.artifacts import RegistryDecision, VersionRecord
from company_risk.metrics import LOWER_IS_BETTER
from company_risk.oracle import with_oracle
from company_risk.report import bootstrap, compare, plots
from company_risk.report.baserates import base_rate_table
from company_risk.report.card import CardFacts, model_card
from company_risk.report.classes import CLASS_NAMES, class_table, is_monotone
from company_risk.report.collect import Evidence, age_column
from company_risk.report.lineage import flatten_params
from company_risk.report.oracle import oracle_gap
from company_risk.report.render import (
    Bullets,
    Document,
    Figure,
    Heading,
    KeyValues,
    Note,
    Paragraph,
    Section,
    Table,
)
from company_risk.report.slices import all_slices, slice_frame, weaker_slices

TITLE = "company-risk: model comparison and champion report"
ORACLE_KEYS = ("oracle_test_roc_auc", "oracle_test_pr_auc")


@dataclass(frozen=True)
class Analysis:
    """The computed figures several sections share."""

    table: pd.DataFrame  # runs with bootstrap interval columns
    recomputed_gap: float
    champion_row: pd.Series | None
    champion_test: pd.DataFrame | None
    champion_validation: pd.DataFrame | None
    classes: pd.DataFrame | None
    family: pd.DataFrame
    oracle_gap: pd.DataFrame | None  # see company_risk.report.oracle


def analyse(ev: Evidence) -> Analysis:
    cfg = ev.params.report
    intervals = bootstrap.run_intervals(
        ev.runs.runs, ev.predictions, cfg.bootstrap_rounds, cfg.confidence, cfg.seed
    )
    table = compare.with_intervals(ev.runs.runs, intervals)
    champion_row, champion_test, champion_validation, classes = None, None, None, None
    if ev.champion:
        hit = table.loc[table["run_id"] == ev.champion.run_id]
        champion_row = hit.iloc[0] if len(hit) else None
        logged = ev.predictions.get(ev.champion.run_id)
        if logged:
            champion_test, champion_validation = logged["test"], logged["validation"]
            classes = class_table(champion_test, ev.params.scoring.risk_classes)
    gap = None
    # an earlier run's champion logged predictions on the data of its day; train scored it on
    # today's test rows, and those figures (reports/metrics.json) are shown instead
    trained_here = champion_row is not None
    if trained_here and champion_test is not None and ev.truth is not None:
        covered = with_oracle(champion_test, ev.truth)
        if covered["label"].nunique() == 2:
            gap = oracle_gap(covered, cfg.bootstrap_rounds, cfg.confidence, cfg.seed)
    return Analysis(
        table=table,
        recomputed_gap=bootstrap.recomputed_gap(ev.runs.runs, ev.predictions),
        champion_row=champion_row,
        champion_test=champion_test,
        champion_validation=champion_validation,
        classes=classes,
        family=compare.family_signal(table, ev.params.selection.metric),
        oracle_gap=gap,
    )


def newest_data_date(ev: Evidence) -> str:
    """The date of the newest input: the latest drop or scored day (else the training run's
    start). The report's default date, so the same inputs give the same report on any day."""
    dates = [
        d for d in (ev.drops[-1] if ev.drops else None, ev.scores.date if ev.scores else None) if d
    ]
    return max(dates) if dates else ev.runs.parent_start.date().isoformat()


def build_document(ev: Evidence, generated_on: str | None = None) -> Document:
    """The whole report, dated `generated_on` (default: the newest data's date, see
    `newest_data_date`; the caller may pass the clock's date instead)."""
    generated_on = generated_on or newest_data_date(ev)
    a = analyse(ev)
    last_drop = ev.drops[-1] if ev.drops else "unknown"
    subtitle = f"Training run {ev.runs.parent_id} · data up to the drop of {last_drop} · generated on {generated_on}"
    sections = [
        summary_section(ev, a),
        data_section(ev),
        comparison_section(ev, a),
        curves_section(ev, a),
        classes_section(ev, a),
        decision_section(ev, a),
        slices_section(ev, a),
        scoring_section(ev),
        lineage_section(ev, generated_on),
        model_card(card_facts(ev, a)),
    ]
    return Document(TITLE, subtitle, sections)


# ---------------------------------------------------------------------------------- helpers
def _metric(ev: Evidence) -> str:
    return ev.params.selection.metric


def _label(metric: str) -> str:
    return compare.METRIC_LABELS.get(metric, metric)


def _run_name(row: pd.Series | dict) -> str:
    return f"{row['model']} on {row['feature_set']}"


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.2%}"


def _oracle(ev: Evidence) -> dict[str, float]:
    source = ev.metrics_report or {}
    found = {
        k: float(source[k])
        for k in (*ORACLE_KEYS, "oracle_gap_roc_auc", "oracle_test_rows")
        if k in source
    }
    for key in ORACLE_KEYS:
        if key not in found and key in ev.runs.parent_metrics:
            found[key] = float(ev.runs.parent_metrics[key])
    return found


def _bounds(ev: Evidence) -> dict[str, str]:
    return {k: v for k, v in ev.runs.parent_params.items() if k.endswith(("_from", "_until"))}


# ---------------------------------------------------------------------------------- sections
def summary_section(ev: Evidence, a: Analysis) -> Section:
    metric = _metric(ev)
    items = [
        f"{len(ev.runs.runs)} runs: {ev.runs.runs['model'].nunique()} models × {ev.runs.runs['feature_set'].nunique()} feature sets, "
        f"{ev.params.report.bootstrap_rounds} company-bootstrap rounds per interval."
    ]
    if a.champion_row is not None:
        items.append(
            f"Champion: {_run_name(a.champion_row)} (registered version {ev.champion.version}), test {_label(metric)} "
            f"{compare.cell(a.champion_row, 'test', metric)}."
        )
    elif ev.champion:
        items.append(
            f"Champion: version {ev.champion.version} ({ev.champion.model} on {ev.champion.feature_set}), trained in an earlier run."
        )
    else:
        items.append("No champion is registered.")
    if ev.registry_report:
        items.append(f"Gate decision of this training run: {ev.registry_report.gate.decision}.")
    if len(a.family):
        top = a.family.iloc[0]
        items.append(
            f"The {top['feature set']} family carries most signal on its own: best test {_label(metric)} {top['best [95 % CI]']} ({top['best model']})."
        )
    if a.classes is not None:
        items.append(
            "Observed default rate by risk class on the test snapshots is "
            + ("monotone." if is_monotone(a.classes) else "NOT monotone.")
        )
    oracle = _oracle(ev)
    if a.oracle_gap is not None:
        roc = a.oracle_gap.loc["roc_auc"]
        items.append(
            f"Oracle (the world's true probabilities) test ROC-AUC {roc.oracle:.3f}. "
            + gap_sentence("ROC-AUC", roc)
        )
    elif "oracle_test_roc_auc" in oracle:
        items.append(
            f"Oracle (the world's true probabilities) test ROC-AUC {oracle['oracle_test_roc_auc']:.3f}."
        )
    blocks: list = [Bullets(items)]
    blocks += [Note(n) for n in ev.notes]
    return Section("Summary", blocks)


def data_section(ev: Evidence) -> Section:
    blocks: list = []
    drops = ev.drops
    facts = [
        ("drops used", f"{len(drops)} ({drops[0]} .. {drops[-1]})" if drops else "none found"),
    ]
    observed_rate = None
    if ev.features is not None and len(ev.features):
        f = ev.features
        observed_rate = float(f["label"].mean())
        facts += [
            ("companies (in any snapshot)", f"{f['company_id'].nunique():,}"),
            (
                "snapshots",
                f"{f['snapshot_date'].nunique()} ({f['snapshot_date'].min().date()} .. {f['snapshot_date'].max().date()})",
            ),
            ("company-snapshot rows", f"{len(f):,}"),
            ("12-month default rate, all rows", _pct(observed_rate)),
        ]
    blocks.append(KeyValues(facts, caption="The data"))
    if ev.features is not None and len(ev.features):
        summary = compare.snapshot_summary(ev.features, _bounds(ev))
        blocks.append(
            Figure(
                plots.population_figure(summary, "Population and default rate per snapshot"),
                "Population (bars, coloured by split part) and 12-month default rate (line) per snapshot.",
            )
        )
        shown = summary.assign(
            snapshot_date=summary["snapshot_date"].dt.date.astype("str"),
            default_rate=[_pct(v) for v in summary["default_rate"]],
        )
        blocks.append(Table(shown, caption="Population and default rate per snapshot"))
    else:
        blocks.append(Note("features.parquet was not found: no population figures."))
    blocks.append(Heading("Base rates: this run beside the real Estonian register"))
    blocks.append(Table(base_rate_table(ev.world, observed_rate)))
    if ev.world:
        blocks.append(Heading("Every statistic of the synthetic world (reports/world.json)"))
        blocks.append(
            Table(pd.DataFrame({"statistic": list(ev.world), "value": list(ev.world.values())}))
        )
    else:
        blocks.append(
            Paragraph(
                "No reports/world.json: the data is not from the synthetic world, so there are no realised world rates."
            )
        )
    return Section("Data", blocks)


def comparison_section(ev: Evidence, a: Analysis) -> Section:
    metric = _metric(ev)
    cfg = ev.params.report
    table = a.table
    blocks: list = [
        Paragraph(
            f"Each cell is the figure MLflow holds for the run, with its {cfg.confidence:.0%} confidence interval from "
            f"{cfg.bootstrap_rounds} bootstrap resamples of companies (each drawn company keeps all its snapshots). "
            "Models were selected on validation; the test snapshots were used for nothing but these figures."
        ),
        Note(
            f"Check: every logged metric was recomputed from the run's logged predictions; the largest difference is {a.recomputed_gap:.2e}."
        ),
    ]
    test_rate = float(a.champion_test["label"].mean()) if a.champion_test is not None else None
    for m in dict.fromkeys(("roc_auc", "pr_auc", metric)):
        blocks.append(Heading(f"Test {_label(m)}: models by feature set"))
        blocks.append(Table(compare.study_table(table, m, "test")))
    reference = "A model without skill has ROC-AUC 0.5"
    if test_rate is not None:
        reference += f" and PR-AUC equal to the test default rate, {test_rate:.2%}"
    blocks.append(
        Paragraph(
            reference
            + ". The study's five models and three data families come first; the combined set and the baselines follow."
        )
    )
    blocks.append(Heading("Which data family carries most signal"))
    blocks.append(
        Table(
            a.family.drop(columns=["best"]),
            caption=f"Test {_label(metric)} of the models trained on one family alone",
        )
    )
    if len(a.family):
        top = a.family.iloc[0]
        blocks.append(
            Paragraph(
                f"Most signal: {top['feature set']} (best {top['best [95 % CI]']}, {top['best model']}; mean over models {top['mean over models']:.3f})."
            )
        )
    blocks.append(
        Figure(
            plots.comparison_figure(
                compare.sort_runs(table),
                metric,
                _label(metric),
                f"Test {_label(metric)} by model and feature set",
            ),
            f"Test {_label(metric)} per run with 95 % intervals.",
        )
    )
    ranked = compare.ranking(table, metric, "val")
    blocks.append(Heading(f"Ranking on validation {_label(metric)} (the selection order)"))
    blocks.append(
        Table(
            pd.DataFrame(
                {
                    "rank": ranked["rank"],
                    "model": ranked["model"],
                    "feature set": ranked["feature_set"],
                    f"val {_label(metric)}": [
                        compare.cell(r, "val", metric) for _, r in ranked.iterrows()
                    ],
                    f"test {_label(metric)}": [
                        compare.cell(r, "test", metric) for _, r in ranked.iterrows()
                    ],
                    "run id": ranked["run_id"],
                }
            )
        )
    )
    blocks.append(Heading("Every metric, validation snapshots"))
    blocks.append(Table(compare.metrics_table(table, "val")))
    blocks.append(Heading("Every metric, test snapshots"))
    blocks.append(Table(compare.metrics_table(table, "test")))
    blocks.append(
        Paragraph(
            "Accuracy and balanced accuracy are at each run's threshold chosen on validation (the KS point)."
        )
    )
    return Section("Model comparison", blocks)


def _best_per_set(ev: Evidence, table: pd.DataFrame) -> dict[str, str]:
    """Legend label -> run id: the champion, then the best run (on validation) of each feature set."""
    metric = _metric(ev)
    chosen: dict[str, str] = {}
    if ev.champion and ev.champion.run_id in ev.predictions:
        chosen[f"champion: {ev.champion.model} on {ev.champion.feature_set}"] = ev.champion.run_id
    for feature_set in compare.FEATURE_SETS:
        part = table.loc[
            (table["feature_set"] == feature_set) & table["run_id"].isin(list(ev.predictions))
        ]
        if part.empty:
            continue
        best = part.sort_values(
            f"val_{metric}", ascending=metric in LOWER_IS_BETTER, kind="stable"
        ).iloc[0]
        if best["run_id"] not in chosen.values():
            chosen[f"best on {feature_set}: {best['model']}"] = best["run_id"]
    return chosen


def curves_section(ev: Evidence, a: Analysis) -> Section:
    blocks: list = []
    chosen = _best_per_set(ev, a.table)
    if chosen:
        test_curves = {name: ev.predictions[run_id]["test"] for name, run_id in chosen.items()}
        blocks.append(
            Figure(
                plots.roc_figure(test_curves, "ROC, test snapshots"),
                "ROC curves on the test snapshots: the champion and the best run of each feature set.",
            )
        )
        blocks.append(
            Figure(
                plots.pr_figure(test_curves, "Precision-recall, test snapshots"),
                "Precision-recall curves on the test snapshots; the dashed line is the default rate (no skill).",
            )
        )
    else:
        blocks.append(Note("No run has logged predictions: no curves."))
    if a.champion_test is not None:
        curves = {"champion, validation": a.champion_validation, "champion, test": a.champion_test}
        blocks.append(
            Figure(
                plots.calibration_figure(curves, "Calibration of the champion"),
                "Observed default rate against mean predicted probability per decile of the champion's predictions.",
            )
        )
    blocks.append(Heading("Feature importances of the champion"))
    if ev.importance is not None and len(ev.importance):
        top = ev.params.report.top_features
        blocks.append(
            Figure(
                plots.importance_figure(ev.importance, top, "Champion feature importances"),
                f"The {top} most important features of the champion (colour: graph, tax, descriptive family).",
            )
        )
        shown = (
            ev.importance.sort_values("importance", ascending=False, kind="stable")
            .head(top)
            .reset_index(drop=True)
        )
        blocks.append(Table(shown))
    else:
        blocks.append(Paragraph("The champion's run logged no feature importances."))
    return Section("Curves and feature importances", blocks)


def classes_section(ev: Evidence, a: Analysis) -> Section:
    cuts = ev.params.scoring.risk_classes
    blocks: list = [
        Paragraph(
            "Risk classes from the cut-offs in params.yaml (scoring.risk_classes): "
            + class_rule(cuts)
            + "."
        )
    ]
    if a.classes is None:
        blocks.append(Note("The champion has no logged test predictions: no class distribution."))
        return Section("Risk classes on the test snapshots", blocks)
    shown = a.classes.assign(
        share=[_pct(v) for v in a.classes["share"]],
        observed_rate=[_pct(v) for v in a.classes["observed_rate"]],
        mean_probability=[_pct(v) for v in a.classes["mean_probability"]],
    )
    blocks.append(Table(shown, caption="Champion's test predictions by risk class"))
    blocks.append(
        Figure(
            plots.risk_class_figure(a.classes, "Risk classes, test snapshots"),
            "Share of test rows per class, observed and mean predicted default rate.",
        )
    )
    monotone = is_monotone(a.classes)
    blocks.append(
        Note(
            "The observed default rate rises from class to class (monotone): the classes order the risk as intended."
            if monotone
            else "The observed default rate is NOT monotone across the classes: the cut-offs or the calibration need review."
        )
    )
    return Section("Risk classes on the test snapshots", blocks)


def class_rule(cuts: tuple[float, ...]) -> str:
    parts = [f"{CLASS_NAMES[0]} below {cuts[0]:.0%}"]
    for i in range(1, len(CLASS_NAMES) - 1):
        parts.append(f"{CLASS_NAMES[i]} from {cuts[i - 1]:.0%} to below {cuts[i]:.0%}")
    parts.append(f"{CLASS_NAMES[-1]} from {cuts[-1]:.0%}")
    return "; ".join(parts)


def decision_section(ev: Evidence, a: Analysis) -> Section:
    blocks: list = []
    reg = ev.registry_report
    if reg:
        cand, gate = reg.candidate, reg.gate
        metric = gate.metric
        blocks.append(
            KeyValues(
                [
                    (
                        "candidate",
                        f"{cand.model} on {cand.feature_set} (version {cand.version}, run {cand.run_id})",
                    ),
                    (f"candidate validation {_label(metric)}", _num(reg.candidate_val)),
                    (f"candidate test {_label(metric)}", _num(gate.candidate_test)),
                    ("champion before", _who(reg.champion_before)),
                    (
                        f"champion before, test {_label(metric)} on the same rows",
                        _num(gate.champion_test),
                    ),
                    (
                        "gate",
                        f"promote if the candidate's test {_label(metric)} beats the champion's by at least {gate.min_improvement}",
                    ),
                    ("decision", gate.decision),
                    ("champion after", _who(reg.champion_after)),
                ],
                caption="The champion decision (reports/registry.json)",
            )
        )
        blocks.append(Paragraph(decision_sentence(reg)))
    else:
        blocks.append(
            Note("No reports/registry.json: the train stage has not recorded a decision.")
        )
    if ev.aliases:
        blocks.append(
            Table(
                pd.DataFrame(
                    [{"alias": alias, **asdict(info)} for alias, info in sorted(ev.aliases.items())]
                ),
                caption="Aliases of the registered model company-risk now (MLflow registry)",
            )
        )
    else:
        blocks.append(Paragraph("The MLflow registry has no champion or challenger alias."))
    blocks.append(Heading("The champion beside the oracle"))
    blocks += _oracle_blocks(ev, a)
    return Section("Champion decision", blocks)


def _oracle_blocks(ev: Evidence, a: Analysis) -> list:
    """The oracle's figures beside the champion's on the same test rows: with paired intervals
    of the gap where the champion's logged predictions and the truth are at hand, else the
    figures train wrote to reports/metrics.json."""
    cfg = ev.params.report
    if a.oracle_gap is not None:
        rows = [
            {
                "": _label(metric),
                "oracle (true probabilities)": row.oracle,
                "champion": row.model,
                f"gap oracle − champion [{cfg.confidence:.0%} CI]": (
                    f"{row.gap:+.4f} [{row.low:+.4f}, {row.high:+.4f}]"
                ),
            }
            for metric, row in a.oracle_gap.iterrows()
        ]
        return [
            Table(
                pd.DataFrame(rows),
                caption=f"Test rows the truth covers; {int(a.oracle_gap['rounds'].iloc[0])} "
                "paired company-bootstrap rounds",
            ),
            Paragraph(" ".join(gap_sentence(_label(m), r) for m, r in a.oracle_gap.iterrows())),
            Paragraph(
                "The oracle is the world's own probability of default, estimated by forward "
                "simulation of each company's health, filings and tax debt while its board and "
                "the contagion from failed neighbours stay as they are today. It is the best "
                "any model can do only up to that approximation and to sampling noise; features "
                "of the board network see part of what it holds fixed."
            ),
        ]
    oracle = _oracle(ev)
    if "oracle_test_roc_auc" not in oracle:
        return [
            Paragraph(
                "No truth: the data has no known true default probabilities (real data), so there is no oracle to compare with."
            )
        ]
    champion_auc = (ev.metrics_report or {}).get("roc_auc")
    champion_pr = (ev.metrics_report or {}).get("pr_auc")
    rows = [
        {
            "": "oracle (true probabilities)",
            "test ROC-AUC": oracle["oracle_test_roc_auc"],
            "test PR-AUC": oracle.get("oracle_test_pr_auc", float("nan")),
        },
        {"": "champion", "test ROC-AUC": _float(champion_auc), "test PR-AUC": _float(champion_pr)},
    ]
    gap = oracle.get("oracle_gap_roc_auc")
    if gap is None and champion_auc is not None:
        gap = oracle["oracle_test_roc_auc"] - float(champion_auc)
    return [
        Table(pd.DataFrame(rows)),
        Paragraph(
            f"The gap in ROC-AUC between the oracle and the champion, on the same test rows, is {_num(gap)} "
            "(reports/metrics.json, where train scored the champion on today's test rows; no interval: "
            "the champion was trained in an earlier run, or its logged predictions or the truth are not at hand)."
        ),
    ]


def gap_sentence(metric: str, row: pd.Series) -> str:
    """What the oracle's lead on one metric says, read from its interval."""
    figures = f"{row.gap:+.4f} [{row.low:+.4f}, {row.high:+.4f}]"
    if row.low > 0:
        return (
            f"On {metric} the oracle is ahead by {figures}: predictable risk the features and "
            "models do not yet capture."
        )
    if row.high < 0:
        return (
            f"On {metric} the champion is ahead of the oracle ({figures}): it reads something "
            "the oracle's approximation holds fixed."
        )
    return f"On {metric} the champion is level with the oracle: the gap {figures} includes zero."


def decision_sentence(reg: RegistryDecision) -> str:
    decision = reg.gate.decision
    if decision == "first":
        return f"There was no champion: the candidate (version {reg.candidate.version}) became the first champion."
    if decision == "promoted":
        return f"The candidate beat the champion by the required margin and was promoted: champion is now version {reg.champion_after.version}."
    return f"The candidate did not beat the champion by the required margin: version {reg.champion_after.version} stays champion; the candidate remains the challenger."


def slices_section(ev: Evidence, a: Analysis) -> Section:
    cfg = ev.params.report
    blocks: list = [
        Paragraph(
            f"The champion's test predictions by segment. ROC-AUC and PR-AUC are shown only where a slice has at least "
            f"{cfg.min_slice_defaults} defaults; a slice is flagged weaker when its ROC-AUC is more than "
            f"{cfg.weak_slice_margin} below the overall one."
        )
    ]
    if a.champion_test is None or ev.features is None:
        blocks.append(
            Note(
                "Slices need the champion's logged test predictions and features.parquet; one of them is missing."
            )
        )
        return Section("Slices", blocks)
    frame = slice_frame(a.champion_test, ev.features, age_column(list(ev.features.columns)))
    tables = all_slices(frame, cfg.min_slice_defaults, cfg.weak_slice_margin)
    weak = weaker_slices(tables)
    if len(weak):
        blocks.append(
            Note(
                "Where the model is weaker: "
                + "; ".join(
                    f"{r.slice} = {r.value} (ROC-AUC {r.roc_auc:.3f}, {r.defaults} defaults)"
                    for r in weak.itertuples()
                )
                + "."
            )
        )
    else:
        blocks.append(
            Paragraph(
                "No measurable slice falls below the overall ROC-AUC by more than the margin."
            )
        )
    for dimension, table in tables.items():
        blocks.append(Heading(f"By {dimension}"))
        shown = table.drop(columns=["slice"]).assign(
            default_rate=[_pct(v) for v in table["default_rate"]],
            mean_probability=[_pct(v) for v in table["mean_probability"]],
            weaker=["yes" if w else "" for w in table["weaker"]],
        )
        blocks.append(Table(shown))
    return Section("Slices", blocks)


def scoring_section(ev: Evidence) -> Section:
    day = ev.scores
    if day is None:
        return Section(
            "Daily scoring", [Paragraph("No daily scores yet: data/scores holds no scored day.")]
        )
    blocks: list = []
    manifest = day.manifest or {}
    facts = [
        ("latest scored day", day.date),
        ("scored days", f"{len(day.all_dates)} ({day.all_dates[0]} .. {day.all_dates[-1]})"),
        ("companies scored", f"{len(day.scores):,}"),
        (
            "mean probability",
            _pct(float(day.scores["probability"].mean())) if "probability" in day.scores else "–",
        ),
        ("alerts", f"{len(day.alerts):,}" if day.alerts is not None else "no alerts file"),
    ]
    model = manifest.get("model")
    if isinstance(model, dict):
        facts.append(
            (
                "model scored with",
                f"{model.get('name', '')} version {model.get('version')} ({model.get('uri')}, run {model.get('run_id')})",
            )
        )
    for key in ("latest_drop", "params_hash", "git_commit", "engine"):
        if key in manifest:
            facts.append((f"manifest: {key}", str(manifest[key])))
    drift = manifest.get("drift")
    if isinstance(drift, dict) and drift.get("columns"):
        warned = [c["column"] for c in drift["columns"] if c.get("warn")]
        facts.append(
            (
                f"drift (PSI above {drift.get('psi_warn')})",
                ", ".join(warned) if warned else "none",
            )
        )
    blocks.append(KeyValues(facts, caption=f"Scores of {day.date}"))
    if "risk_class" in day.scores:
        counts = day.scores["risk_class"].astype("str").value_counts()
        dist = pd.DataFrame({"risk_class": list(CLASS_NAMES)})
        dist["companies"] = [int(counts.get(c, 0)) for c in CLASS_NAMES]
        dist["share"] = [_pct(n / max(len(day.scores), 1)) for n in dist["companies"]]
        blocks.append(Table(dist, caption="Risk-class distribution of the latest day"))
    if day.alerts is not None and len(day.alerts):
        kind = next(
            (c for c in ("alert", "kind", "type", "reason") if c in day.alerts.columns), None
        )
        if kind:
            counts = (
                day.alerts[kind]
                .astype("str")
                .value_counts()
                .rename_axis(kind)
                .reset_index(name="alerts")
            )
            blocks.append(Table(counts, caption="Alerts of the latest day by kind"))
    return Section("Daily scoring", blocks)


def lineage_section(ev: Evidence, generated_on: str) -> Section:
    tags = ev.runs.parent_tags
    params = ev.runs.parent_params
    facts = [
        ("generated on", generated_on),
        ("last drop used", ev.drops[-1] if ev.drops else "unknown"),
        (
            "training snapshots",
            f"{params.get('train_from', '?')} .. {params.get('train_until', '?')} ({params.get('train_rows', '?')} rows)",
        ),
        (
            "validation snapshots",
            f"{params.get('validation_from', '?')} .. {params.get('validation_until', '?')} ({params.get('validation_rows', '?')} rows)",
        ),
        (
            "test snapshots",
            f"{params.get('test_from', '?')} .. {params.get('test_until', '?')} ({params.get('test_rows', '?')} rows)",
        ),
        ("training run started", ev.runs.parent_start.isoformat(sep=" ", timespec="seconds")),
        ("git commit of the training run", tags.get("git_commit", "not recorded")),
        ("git commit of this report", ev.git_commit),
        ("features.parquet MD5 at training", tags.get("features_md5", "not recorded")),
        ("params hash at training", tags.get("params_hash", "not recorded")),
        ("MLflow experiment / parent run", f"company-risk / {ev.runs.parent_id}"),
    ]
    if ev.champion:
        facts.append(
            (
                "champion",
                f"company-risk version {ev.champion.version}, run {ev.champion.run_id}",
            )
        )
    if ev.champion_meta:
        facts.append(
            (
                "models/champion/champion.json",
                f"version {ev.champion_meta.version}, run {ev.champion_meta.run_id}",
            )
        )
    blocks: list = [KeyValues(facts, caption="Code, data and dates")]
    blocks.append(Heading("MLflow runs"))
    blocks.append(
        Table(
            compare.sort_runs(ev.runs.runs)[["run_name", "run_id", "settings"]].rename(
                columns={"run_name": "run"}
            )
        )
    )
    blocks.append(Heading("Input hashes"))
    if len(ev.dvc_hashes):
        blocks.append(
            Table(
                ev.dvc_hashes,
                caption="MD5 of every input (from dvc.lock when present, otherwise computed from the files)",
            )
        )
    else:
        blocks.append(Paragraph("No dvc.lock and none of the inputs found to hash."))
    blocks.append(Heading("params.yaml"))
    blocks.append(Table(flatten_params(ev.params_dict)))
    blocks.append(Heading("Package versions"))
    blocks.append(
        Table(pd.DataFrame({"package": list(ev.packages), "version": list(ev.packages.values())}))
    )
    return Section("Lineage", blocks)


def card_facts(ev: Evidence, a: Analysis) -> CardFacts:
    """The card's figures. A champion kept from an earlier training run has no row among this
    run's: its test figures are then the train stage's re-scoring of it on this run's test rows
    (reports/metrics.json), and its training range the one recorded in champion.json."""
    params = ev.runs.parent_params
    meta = ev.champion_meta
    row = a.champion_row
    if ev.champion:
        champion = (
            f"{ev.champion.model} on {ev.champion.feature_set} features "
            f"(company-risk version {ev.champion.version}, run {ev.champion.run_id})"
        )
    else:
        champion = "none registered"

    def figure(metric: str) -> str:
        if row is not None:
            return compare.cell(row, "test", metric)
        return _num((ev.metrics_report or {}).get(metric))

    train_from = meta.train_from if meta else params["train_from"]
    train_until = meta.train_until if meta else params["train_until"]
    return CardFacts(
        horizon_months=ev.params.features.horizon_months,
        champion=champion,
        train_range=f"{train_from} .. {train_until}",
        test_range=f"{params.get('test_from', '?')} .. {params.get('test_until', '?')}",
        test_roc_auc=figure("roc_auc"),
        test_pr_auc=figure("pr_auc"),
        test_accuracy=figure("accuracy"),
        test_default_rate=_pct(float(a.champion_test["label"].mean()))
        if a.champion_test is not None
        else "–",
        synthetic=ev.world is not None,
        risk_classes=class_rule(ev.params.scoring.risk_classes),
    )


def _who(info: VersionRecord | None) -> str:
    if info is None:
        return "none"
    return f"version {info.version}: {info.model} on {info.feature_set} (run {info.run_id})"


def _float(value: object) -> float:
    return float("nan") if value is None else float(value)


def _num(value: object) -> str:
    if value is None:
        return "–"
    return f"{float(value):.4f}"
