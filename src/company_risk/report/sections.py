"""Assemble the report `Document` from the figures: one function per section.

Every number placed here is a figure of company_risk.report.analysis (computed from the
`Evidence`) or a fact of the `Evidence` shown as it was read (the registry decision, the
lineage's tags, hashes and parameters); this module only formats them and places them in blocks.
The sentences around them are the named templates of `templates/prose.toml`
(company_risk.report.prose); headings, table captions and column names are here, because they
are how a reader finds a table. A section whose input does not exist yet says so instead of
failing: no truth means no oracle comparison, no daily run means no scoring section figures.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from company_risk.artifacts import RegistryDecision, VersionRecord
from company_risk.data_depth import YOUNG_YEARS
from company_risk.report import compare, plots, slices
from company_risk.report.ablation import ablation_section
from company_risk.report.analysis import (
    Analysis,
    ChampionFigures,
    Comparison,
    Estimate,
    GapVerdict,
    OracleFigures,
    Source,
    analyse,
)
from company_risk.report.baserates import base_rate_table
from company_risk.report.card import CardFacts, model_card
from company_risk.report.collect import Evidence
from company_risk.report.horizons import horizons_section
from company_risk.report.lineage import flatten_params
from company_risk.report.prose import text
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
from company_risk.schemas import RISK_CLASSES

TITLE = "company-risk: model comparison and champion report"
ORACLE_HEADING = "The champion beside the oracle"
GAP_TEMPLATES = {
    GapVerdict.ORACLE_AHEAD: "oracle.oracle_ahead",
    GapVerdict.CHAMPION_AHEAD: "oracle.champion_ahead",
    GapVerdict.LEVEL: "oracle.level",
}
DECISION_TEMPLATES = {"first": "decision.first", "promoted": "decision.promoted"}


def build_document(ev: Evidence, generated_on: str | None = None) -> Document:
    """The whole report, dated `generated_on` (default: the newest data's date, see
    `analysis.newest_data_date`; the caller may pass the clock's date instead)."""
    return document(ev, analyse(ev, generated_on))


def document(ev: Evidence, a: Analysis) -> Document:
    """The report of the figures `a` computed from `ev`."""
    subtitle = text(
        "document.subtitle",
        run=ev.runs.parent_id,
        drop=ev.drops[-1] if ev.drops else "unknown",
        date=a.generated_on,
    )
    sections = [
        summary_section(ev, a),
        data_section(a),
        comparison_section(ev, a),
        ablation_section(ev),
        curves_section(ev, a),
        classes_section(a),
        horizons_section(ev),
        decision_section(ev, a),
        slices_section(a),
        scoring_section(a),
        lineage_section(ev, a.generated_on),
        model_card(card_facts(ev, a)),
    ]
    return Document(TITLE, subtitle, sections)


# ---------------------------------------------------------------------------------- helpers
def _label(metric: str) -> str:
    return compare.METRIC_LABELS.get(metric, metric)


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.2%}"


def _num(value: object) -> str:
    if value is None:
        return "–"
    return f"{float(value):.4f}"


def _float(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _interval(gap: float, low: float, high: float) -> str:
    return f"{gap:+.4f} [{low:+.4f}, {high:+.4f}]"


def _estimate(figure: Estimate, source: Source) -> str:
    """A champion's test figure: with its interval from this run's runs, else train's 4 digits."""
    if source is Source.RUNS:
        return compare.format_ci(figure.value, figure.low, figure.high)
    return _num(figure.value)


def _who(info: VersionRecord | None) -> str:
    if info is None:
        return "none"
    return f"version {info.version}: {info.model} on {info.feature_set} (run {info.run_id})"


def gap_sentence(metric: str, row: pd.Series, verdict: GapVerdict) -> str:
    """What the oracle's lead on one metric says (its `verdict`), with its interval."""
    return text(
        GAP_TEMPLATES[verdict], metric=metric, figures=_interval(row.gap, row.low, row.high)
    )


def decision_sentence(reg: RegistryDecision) -> str:
    name = DECISION_TEMPLATES.get(reg.gate.decision, "decision.kept")
    return text(name, candidate=reg.candidate.version, champion=reg.champion_after.version)


def class_rule(cuts: tuple[float, ...]) -> str:
    """`I below 2%; II from 2% to below 5%; …; V from 25%`."""
    parts = [text("classes.rule_first", name=RISK_CLASSES[0], upper=f"{cuts[0]:.0%}")]
    for i in range(1, len(RISK_CLASSES) - 1):
        parts.append(
            text(
                "classes.rule_middle",
                name=RISK_CLASSES[i],
                lower=f"{cuts[i - 1]:.0%}",
                upper=f"{cuts[i]:.0%}",
            )
        )
    parts.append(text("classes.rule_last", name=RISK_CLASSES[-1], lower=f"{cuts[-1]:.0%}"))
    return "; ".join(parts)


# ---------------------------------------------------------------------------------- sections
def summary_section(ev: Evidence, a: Analysis) -> Section:
    c, champion = a.comparison, a.champion
    metric = c.metric
    items = [
        text(
            "summary.runs",
            runs=c.runs,
            models=c.models,
            feature_sets=c.feature_sets,
            rounds=ev.params.report.bootstrap_rounds,
        )
    ]
    if champion.trained_here:
        items.append(
            text(
                "summary.champion_here",
                champion=f"{champion.row['model']} on {champion.row['feature_set']}",
                version=champion.record.version,
                metric=_label(metric),
                figure=_estimate(champion.test[metric], champion.source),
            )
        )
    elif champion.record:
        items.append(
            text(
                "summary.champion_earlier",
                version=champion.record.version,
                model=champion.record.model,
                feature_set=champion.record.feature_set,
            )
        )
    else:
        items.append(text("summary.no_champion"))
    if ev.registry_report:
        items.append(text("summary.gate", decision=ev.registry_report.gate.decision))
    if len(c.family):
        top = c.family.iloc[0]
        items.append(
            text(
                "summary.family",
                family=top["feature set"],
                metric=_label(metric),
                best=top["best [95 % CI]"],
                model=top["best model"],
            )
        )
    if a.classes.monotone is not None:
        if a.classes.monotone:
            items.append(text("summary.classes_monotone"))
        elif a.classes.monotone_within_noise:
            items.append(text("summary.classes_within_noise"))
        else:
            items.append(text("summary.classes_not_monotone"))
    oracle = a.oracle
    if oracle.source is not Source.NONE:
        item = text("summary.oracle", roc_auc=f"{oracle.test_roc_auc:.3f}")
        if oracle.source is Source.BOOTSTRAP:
            item += " " + gap_sentence(
                "ROC-AUC", oracle.gap.loc["roc_auc"], oracle.verdicts["roc_auc"]
            )
        items.append(item)
    blocks: list = [Bullets(items)]
    blocks += [Note(n) for n in ev.notes]
    return Section("Summary", blocks)


def data_section(a: Analysis) -> Section:
    d = a.data
    drops = d.drops
    facts = [
        ("drops used", f"{len(drops)} ({drops[0]} .. {drops[-1]})" if drops else "none found"),
    ]
    if d.per_snapshot is not None:
        facts += [
            ("companies (in any snapshot)", f"{d.companies:,}"),
            (
                "snapshots",
                f"{d.snapshots} ({d.first_snapshot.date()} .. {d.last_snapshot.date()})",
            ),
            ("company-snapshot rows", f"{d.rows:,}"),
            ("12-month default rate, all rows", _pct(d.default_rate)),
        ]
    blocks: list = [KeyValues(facts, caption="The data")]
    if d.per_snapshot is not None:
        summary = d.per_snapshot
        blocks.append(
            Figure(
                plots.population_figure(summary, "Population and default rate per snapshot"),
                text("data.population_figure"),
            )
        )
        shown = summary.assign(
            snapshot_date=summary["snapshot_date"].dt.date.astype("str"),
            default_rate=[_pct(v) for v in summary["default_rate"]],
        )
        blocks.append(Table(shown, caption="Population and default rate per snapshot"))
    else:
        blocks.append(Note(text("data.no_features")))
    blocks.append(Heading("Base rates: this run beside the real Estonian register"))
    blocks.append(Table(base_rate_table(d.world, d.default_rate)))
    if d.world:
        blocks.append(Heading("Every statistic of the synthetic world (reports/world.json)"))
        blocks.append(
            Table(pd.DataFrame({"statistic": list(d.world), "value": list(d.world.values())}))
        )
    else:
        blocks.append(Paragraph(text("data.no_world")))
    return Section("Data", blocks)


def comparison_section(ev: Evidence, a: Analysis) -> Section:
    c = a.comparison
    metric, label = c.metric, _label(c.metric)
    cfg = ev.params.report
    blocks: list = [
        Paragraph(
            text(
                "comparison.intervals",
                confidence=f"{cfg.confidence:.0%}",
                rounds=cfg.bootstrap_rounds,
            )
        ),
        Note(text("comparison.recomputed", gap=f"{c.recomputed_gap:.2e}")),
    ]
    for m in c.shown_metrics:
        blocks.append(Heading(f"Test {_label(m)}: models by feature set"))
        blocks.append(Table(compare.study_table(c.table, m, "test")))
    rate = a.champion.test_default_rate
    blocks.append(
        Paragraph(
            text("comparison.no_skill")
            if rate is None
            else text("comparison.no_skill_with_rate", rate=f"{rate:.2%}")
        )
    )
    blocks.append(Heading("Which data family carries most signal"))
    blocks.append(
        Table(
            c.family.drop(columns=["best"]),
            caption=f"Test {label} of the models trained on one family alone",
        )
    )
    if len(c.family):
        top = c.family.iloc[0]
        blocks.append(
            Paragraph(
                text(
                    "comparison.most_signal",
                    family=top["feature set"],
                    best=top["best [95 % CI]"],
                    model=top["best model"],
                    mean=f"{top['mean over models']:.3f}",
                )
            )
        )
    blocks.append(
        Figure(
            plots.comparison_figure(
                compare.sort_runs(c.table), metric, label, f"Test {label} by model and feature set"
            ),
            text("comparison.runs_figure", metric=label),
        )
    )
    ranked = c.ranking
    tie_break = ev.params.selection.tie_break
    if tie_break is None:
        blocks.append(Heading(f"Ranking on validation {label} (the selection order)"))
    else:  # the leader's interval ties the runs in it; the tie-break chose among them
        blocks.append(
            Heading(f"Ranking on validation {label} (before the tie-break on {_label(tie_break)})")
        )
    chosen = ev.registry_report.candidate.run_id if ev.registry_report else None
    blocks.append(
        Table(
            pd.DataFrame(
                {
                    "rank": ranked["rank"],
                    "challenger": ["chosen" if r == chosen else "" for r in ranked["run_id"]],
                    "model": ranked["model"],
                    "feature set": ranked["feature_set"],
                    f"val {label}": [compare.cell(r, "val", metric) for _, r in ranked.iterrows()],
                    f"test {label}": [
                        compare.cell(r, "test", metric) for _, r in ranked.iterrows()
                    ],
                    "run id": ranked["run_id"],
                }
            )
        )
    )
    blocks += paired_blocks(c, cfg.confidence)
    blocks.append(Heading("Every metric, validation snapshots"))
    blocks.append(Table(compare.metrics_table(c.table, "val")))
    blocks.append(Heading("Every metric, test snapshots"))
    blocks.append(Table(compare.metrics_table(c.table, "test")))
    blocks.append(Paragraph(text("comparison.thresholds")))
    return Section("Model comparison", blocks)


def paired_blocks(c: Comparison, confidence: float) -> list:
    """Every run against the champion on the same test rows: the paired difference, its
    interval and p-value, and whether the two are told apart."""
    blocks: list = [Heading("Each run against the champion (paired test, test snapshots)")]
    pairs = c.against_champion
    if not len(pairs):
        return [*blocks, Note(text("comparison.no_pairs"))]
    names = c.table.set_index("run_id")[["model", "feature_set"]]
    rows = []
    for run_id, group in pairs.groupby("run_id", sort=False):
        row = {
            "model": compare.MODEL_LABELS.get(names.at[run_id, "model"], names.at[run_id, "model"]),
            "feature set": names.at[run_id, "feature_set"],
        }
        for r in group.itertuples(index=False):
            label = _label(r.metric)
            row[f"{label} − champion [{confidence:.0%} CI]"] = (
                f"{r.difference:+.3f} [{r.low:+.3f}, {r.high:+.3f}]"
            )
            row[f"{label} p"] = f"{r.p_value:.3f}"
            row[f"{label} told apart"] = "yes" if r.told_apart else "no"
        rows.append(row)
    roc = pairs.loc[pairs["metric"] == "roc_auc"]
    blocks.append(
        Table(
            pd.DataFrame(rows),
            caption="Run minus champion; paired company bootstrap (same resamples for both)",
        )
    )
    blocks.append(
        Paragraph(
            text(
                "comparison.paired",
                told_apart=int(roc["told_apart"].sum()),
                runs=len(roc),
                rounds=int(pairs["rounds"].min()),
            )
        )
    )
    return blocks


def curves_section(ev: Evidence, a: Analysis) -> Section:
    blocks: list = []
    if a.curves:
        test_curves = {
            text(
                "curves.champion_legend" if run.champion else "curves.best_legend",
                model=run.model,
                feature_set=run.feature_set,
            ): ev.predictions[run.run_id]["test"]
            for run in a.curves
        }
        blocks.append(
            Figure(plots.roc_figure(test_curves, "ROC, test snapshots"), text("curves.roc_figure"))
        )
        blocks.append(
            Figure(
                plots.pr_figure(test_curves, "Precision-recall, test snapshots"),
                text("curves.pr_figure"),
            )
        )
    else:
        blocks.append(Note(text("curves.no_curves")))
    champion = a.champion
    if champion.test_predictions is not None:
        curves = {
            "champion, validation": champion.validation_predictions,
            "champion, test": champion.test_predictions,
        }
        blocks.append(
            Figure(
                plots.calibration_figure(curves, "Calibration of the champion"),
                text("curves.calibration_figure"),
            )
        )
    blocks.append(Heading("Feature importances of the champion"))
    if ev.importance is not None and len(ev.importance):
        top = ev.params.report.top_features
        blocks.append(
            Figure(
                plots.importance_figure(ev.importance, top, "Champion feature importances"),
                text("curves.importance_figure", top=top),
            )
        )
        shown = (
            ev.importance.sort_values("importance", ascending=False, kind="stable")
            .head(top)
            .reset_index(drop=True)
        )
        blocks.append(Table(shown))
    else:
        blocks.append(Paragraph(text("curves.no_importance")))
    return Section("Curves and feature importances", blocks)


def classes_section(a: Analysis) -> Section:
    """The master scale: the per-class table with both tests and their traffic lights, the
    concentration and calibration of the scale, the monotonicity tests, the distinct-scores
    flag and the migration between consecutive test snapshots."""
    k = a.classes
    title = "Risk classes on the test snapshots"
    level = f"{k.level * 100:g} %"
    blocks: list = [Paragraph(text("classes.intro", rule=class_rule(k.cutoffs)))]
    if k.tie_break is None:
        blocks.append(
            Paragraph(text("master_scale.selection_plain", metric=_label(k.selection_metric)))
        )
    else:
        blocks.append(
            Paragraph(
                text(
                    "master_scale.selection_tie",
                    metric=_label(k.selection_metric),
                    tie_break=_label(k.tie_break),
                    confidence=f"{k.tie_confidence:.0%}",
                )
            )
        )
    if k.table is None:
        blocks.append(Note(text("classes.no_predictions")))
        return Section(title, blocks)

    def p_value(v: float) -> str:
        return "–" if pd.isna(v) else "< 0.0001" if v < 1e-4 else f"{v:.4f}"

    def points(v: float | None) -> str:
        return "–" if v is None or pd.isna(v) else f"{v * 100:+.2f} pp"

    t = k.table
    shown = pd.DataFrame(
        {
            "risk class": t["risk_class"],
            "probability range": t["probability range"],
            "rows": t["rows"],
            "share": [_pct(v) for v in t["share"]],
            "defaults": t["defaults"],
            "observed rate": [_pct(v) for v in t["observed_rate"]],
            "PD (mean predicted)": [_pct(v) for v in t["mean_probability"]],
            "PD − observed": [points(v) for v in t["calibration_error"]],
            "Jeffreys p": [p_value(v) for v in t["jeffreys_p"]],
            "Jeffreys": t["jeffreys_light"],
            "binomial p": [p_value(v) for v in t["binomial_p"]],
            "binomial": t["binomial_light"],
        }
    )
    blocks.append(
        Table(shown, caption="Master scale: the champion's test predictions by risk class")
    )
    blocks.append(Paragraph(text("master_scale.tests")))
    filled = t.loc[t["rows"] > 0]
    blocks.append(
        Paragraph(
            text(
                "master_scale.lights",
                classes=len(filled),
                **{
                    test: ", ".join(
                        f"{light} {int((filled[f'{test}_light'] == light).sum())}"
                        for light in ("green", "yellow", "red")
                    )
                    for test in ("jeffreys", "binomial")
                },
            )
        )
    )
    blocks.append(
        Figure(
            plots.risk_class_figure(k.table, "Risk classes, test snapshots"), text("classes.figure")
        )
    )
    violations = k.violations
    pairs = "; ".join(
        f"{r.better} → {r.worse}: {r.better_rate:.2%} → {r.worse_rate:.2%}, p = {p_value(r.p_value)}"
        for r in violations.itertuples(index=False)
    )
    verdict = (
        f"violated ({pairs})"
        if len(violations)
        else "monotone"
        if k.monotone
        else "monotone within sampling noise"
    )
    c, h, d = k.calibration, k.concentration, k.distinct
    facts = [
        (
            "Herfindahl index of the class shares",
            f"{h.hhi:.4f} (normalised {h.normalised:.4f}; {1 / h.classes:.2f} for equal shares)",
        ),
        ("mean predicted probability (PD)", _pct(c.mean_probability)),
        ("observed default rate", _pct(c.observed_rate)),
        ("calibration error: PD − observed", points(c.difference)),
        ("expected calibration error over the classes", points(c.expected_error).lstrip("+")),
        (
            "distinct probabilities",
            f"{d.distinct:,} of {d.rows:,} rows ({d.share:.1%})" + (" – few" if d.few else ""),
        ),
        (f"monotonicity (one-sided tests at {level})", verdict),
    ]
    blocks.append(KeyValues(facts, caption="The master scale as a whole (test snapshots)"))
    if len(violations):
        blocks.append(Note(text("master_scale.not_monotone", pairs=pairs, level=level)))
    elif k.monotone:
        blocks.append(Note(text("master_scale.monotone")))
    else:
        blocks.append(Note(text("master_scale.monotone_within_noise", level=level)))
    if d.few:
        blocks.append(
            Note(
                text(
                    "master_scale.few_distinct",
                    distinct=f"{d.distinct:,}",
                    rows=f"{d.rows:,}",
                    share=f"{d.share:.1%}",
                    min_share=f"{d.min_share:.0%}",
                )
            )
        )
    blocks.append(Heading("Monotonicity between adjacent classes"))
    blocks.append(Paragraph(text("master_scale.monotonicity_intro", level=level)))
    blocks.append(
        KeyValues(
            [
                (
                    f"{r.better} → {r.worse}",
                    text(
                        "master_scale.pair",
                        better_rate=_pct(r.better_rate),
                        worse_rate=_pct(r.worse_rate),
                        p=p_value(r.p_value),
                        verdict=text(
                            "master_scale.pair_violation"
                            if r.violation
                            else "master_scale.pair_rises"
                            if r.worse_rate >= r.better_rate
                            else "master_scale.pair_within_noise"
                        ),
                    ),
                )
                for r in k.monotonicity.itertuples(index=False)
            ],
            caption="Default rate of the better class → the worse one",
        )
    )
    blocks.append(Heading("Class migration between consecutive test snapshots"))
    m = k.migration
    if m is None:
        blocks.append(Paragraph(text("master_scale.no_migration")))
        return Section(title, blocks)
    blocks.append(
        Paragraph(text("master_scale.migration", pairs=f"{m.pairs:,}", stayed=_pct(m.stayed)))
    )
    rows = []
    for risk_class, shares in m.shares.iterrows():
        companies = int(m.counts.loc[risk_class].sum())
        cells = " · ".join(f"{to} {_pct(v)}" for to, v in shares.items()) if companies else "–"
        rows.append(
            (
                f"from {risk_class}",
                text("master_scale.migration_row", shares=cells, companies=f"{companies:,}"),
            )
        )
    blocks.append(KeyValues(rows, caption="Class at t → class at the next snapshot (row shares)"))
    return Section(title, blocks)


def decision_section(ev: Evidence, a: Analysis) -> Section:
    blocks: list = []
    reg = ev.registry_report
    if reg:
        cand, gate = reg.candidate, reg.gate
        label = _label(gate.metric)
        blocks.append(
            KeyValues(
                [
                    (
                        "candidate",
                        f"{cand.model} on {cand.feature_set} (version {cand.version}, run {cand.run_id})",
                    ),
                    (f"candidate validation {label}", _num(reg.candidate_val)),
                    (f"candidate test {label}", _num(gate.candidate_test)),
                    ("champion before", _who(reg.champion_before)),
                    (f"champion before, test {label} on the same rows", _num(gate.champion_test)),
                    ("gate", text("decision.gate", metric=label, margin=gate.min_improvement)),
                    ("decision", gate.decision),
                    ("champion after", _who(reg.champion_after)),
                ],
                caption="The champion decision (reports/registry.json)",
            )
        )
        blocks.append(
            Paragraph(
                decision_sentence(reg)
                if gate.decision != "refused"
                else text(
                    "master_scale.refused_serving"
                    if reg.champion_after.version == reg.candidate.version
                    else "master_scale.refused",
                    candidate=reg.candidate.version,
                    champion=reg.champion_after.version,
                    level=f"{ev.params.selection.monotonicity_level * 100:g} %",
                    classes="; ".join(gate.violations) or "not recorded",
                )
            )
        )
    else:
        blocks.append(Note(text("decision.no_registry")))
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
        blocks.append(Paragraph(text("decision.no_aliases")))
    blocks.append(Heading(ORACLE_HEADING))
    blocks += oracle_blocks(a.oracle, ev.params.report.confidence)
    return Section("Champion decision", blocks)


def oracle_blocks(oracle: OracleFigures, confidence: float) -> list:
    """The oracle's figures beside the champion's on the same test rows: with paired intervals
    of the gap (Source.BOOTSTRAP), else the figures train wrote (Source.TRAIN), else a note."""
    if oracle.source is Source.BOOTSTRAP:
        gap = oracle.gap
        rows = [
            {
                "": _label(metric),
                "oracle (true probabilities)": row.oracle,
                "champion": row.model,
                f"gap oracle − champion [{confidence:.0%} CI]": _interval(
                    row.gap, row.low, row.high
                ),
            }
            for metric, row in gap.iterrows()
        ]
        return [
            Table(
                pd.DataFrame(rows),
                caption=f"Test rows the truth covers; {int(gap['rounds'].iloc[0])} "
                "paired company-bootstrap rounds",
            ),
            Paragraph(
                " ".join(gap_sentence(_label(m), r, oracle.verdicts[m]) for m, r in gap.iterrows())
            ),
            Paragraph(text("oracle.what_it_is")),
        ]
    if oracle.source is Source.NONE:
        return [Paragraph(text("oracle.no_truth"))]
    rows = [
        {
            "": "oracle (true probabilities)",
            "test ROC-AUC": oracle.test_roc_auc,
            "test PR-AUC": _float(oracle.test_pr_auc),
        },
        {
            "": "champion",
            "test ROC-AUC": _float(oracle.champion_roc_auc),
            "test PR-AUC": _float(oracle.champion_pr_auc),
        },
    ]
    return [
        Table(pd.DataFrame(rows)),
        Paragraph(text("oracle.train_gap", gap=_num(oracle.gap_roc_auc))),
    ]


def slices_section(a: Analysis) -> Section:
    s = a.slices
    blocks: list = [Paragraph(text("slices.intro", min_defaults=s.min_defaults, margin=s.margin))]
    if s.tables is None:
        blocks.append(Note(text("slices.missing")))
        return Section("Slices", blocks)
    if len(s.weak):
        weaker = "; ".join(
            text(
                "slices.weaker_slice",
                slice=r.slice,
                value=r.value,
                roc_auc=f"{r.roc_auc:.3f}",
                defaults=r.defaults,
            )
            for r in s.weak.itertuples()
        )
        blocks.append(Note(text("slices.weaker", slices=weaker)))
    else:
        blocks.append(Paragraph(text("slices.none_weaker")))
    for dimension, table in s.tables.items():
        blocks.append(Heading(f"By {dimension}"))
        if dimension == slices.DATA_DEPTH:
            blocks.append(
                Paragraph(
                    text(
                        "data_depth.slice_intro",
                        grades="; ".join(slices.DATA_DEPTH_LABELS.values()),
                        young_years=YOUNG_YEARS,
                    )
                )
            )
        shown = table.drop(columns=["slice"]).assign(
            default_rate=[_pct(v) for v in table["default_rate"]],
            mean_probability=[_pct(v) for v in table["mean_probability"]],
            weaker=["yes" if w else "" for w in table["weaker"]],
        )
        if "share" in shown:
            shown["share"] = [_pct(v) for v in table["share"]]
        blocks.append(Table(shown))
    return Section("Slices", blocks)


def scoring_section(a: Analysis) -> Section:
    day = a.scoring
    if day is None:
        return Section("Daily scoring", [Paragraph(text("scoring.no_scores"))])
    facts = [
        ("latest scored day", day.date),
        ("scored days", f"{len(day.dates)} ({day.dates[0]} .. {day.dates[-1]})"),
        ("companies scored", f"{day.companies:,}"),
        ("mean probability", _pct(day.mean_probability)),
        ("alerts", f"{day.alerts:,}" if day.alerts is not None else "no alerts file"),
    ]
    if day.model is not None:
        m = day.model
        facts.append(
            (
                "model scored with",
                f"{m.get('name', '')} version {m.get('version')} ({m.get('uri')}, run {m.get('run_id')})",
            )
        )
    facts += [(f"manifest: {key}", value) for key, value in day.manifest]
    if day.drifted is not None:
        facts.append(
            (f"drift (PSI above {day.psi_warn})", ", ".join(day.drifted) if day.drifted else "none")
        )
    blocks: list = [KeyValues(facts, caption=f"Scores of {day.date}")]
    if day.class_counts is not None:
        dist = day.class_counts.assign(share=[_pct(v) for v in day.class_counts["share"]])
        blocks.append(Table(dist, caption="Risk-class distribution of the latest day"))
    if day.alert_kinds is not None:
        blocks.append(Table(day.alert_kinds, caption="Alerts of the latest day by kind"))
    return Section("Daily scoring", blocks)


def lineage_section(ev: Evidence, generated_on: str) -> Section:
    tags = ev.runs.parent_tags
    params = ev.runs.parent_params

    def snapshots(part: str) -> str:
        return (
            f"{params.get(f'{part}_from', '?')} .. {params.get(f'{part}_until', '?')} "
            f"({params.get(f'{part}_rows', '?')} rows)"
        )

    facts = [
        ("generated on", generated_on),
        ("last drop used", ev.drops[-1] if ev.drops else "unknown"),
        ("training snapshots", snapshots("train")),
        ("validation snapshots", snapshots("validation")),
        ("test snapshots", snapshots("test")),
        ("training run started", ev.runs.parent_start.isoformat(sep=" ", timespec="seconds")),
        ("git commit of the training run", tags.get("git_commit", "not recorded")),
        ("git commit of this report", ev.git_commit),
        ("features.parquet MD5 at training", tags.get("features_md5", "not recorded")),
        ("params hash at training", tags.get("params_hash", "not recorded")),
        ("MLflow experiment / parent run", f"company-risk / {ev.runs.parent_id}"),
    ]
    if ev.champion:
        facts.append(
            ("champion", f"company-risk version {ev.champion.version}, run {ev.champion.run_id}")
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
        blocks.append(Paragraph(text("lineage.no_hashes")))
    blocks.append(Heading("params.yaml"))
    blocks.append(Table(flatten_params(ev.params_dict)))
    blocks.append(Heading("Package versions"))
    blocks.append(
        Table(pd.DataFrame({"package": list(ev.packages), "version": list(ev.packages.values())}))
    )
    return Section("Lineage", blocks)


def card_facts(ev: Evidence, a: Analysis) -> CardFacts:
    """The card's figures: the champion's (`analysis.champion_figures` chose their source)."""
    champion: ChampionFigures = a.champion
    params = ev.runs.parent_params
    record = champion.record
    if record:
        who = (
            f"{record.model} on {record.feature_set} features "
            f"(company-risk version {record.version}, run {record.run_id})"
        )
    else:
        who = "none registered"
    return CardFacts(
        horizon_months=ev.params.features.horizon_months,
        champion=who,
        train_range=f"{champion.train_from} .. {champion.train_until}",
        test_range=f"{params.get('test_from', '?')} .. {params.get('test_until', '?')}",
        test_roc_auc=_estimate(champion.test["roc_auc"], champion.source),
        test_pr_auc=_estimate(champion.test["pr_auc"], champion.source),
        test_accuracy=_estimate(champion.test["accuracy"], champion.source),
        test_default_rate=_pct(champion.test_default_rate),
        synthetic=ev.world is not None,
        risk_classes=class_rule(ev.params.scoring.risk_classes),
    )
