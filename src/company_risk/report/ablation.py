"""The network features' ablation: what each addition to the graph family gains on the test rows.

Train fits one fixed model per variant of the feature columns (company_risk.train.ablation) and
logs the variants' test probabilities on the parent run (artifacts.ABLATION): the base (every
feature but the network additions) first, then the base plus each addition, then every feature.
Here each variant is set against the base on the same test rows by the paired company bootstrap
(bootstrap.paired_differences): ROC-AUC (the ranking of every company) and the precision in the
riskiest 5 % (the share of defaults at the top of the list, where credit decisions bite), each
as the difference to the base with its interval and two-sided p-value. A variant is told apart
from the base when the interval excludes zero. Each variant's own figures carry their own
company-bootstrap interval (bootstrap.bootstrap_intervals).

`ablation_figures` is the pure analysis (numbers only), `ablation_section` places them; the
sentences are the templates of templates/ablation.toml. A training run without the artifact (an
older run, `models.ablation: false`, a table without the additions) gets a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.artifacts import ABLATION_MODEL_PARAM
from company_risk.metrics import binary_metrics
from company_risk.report import compare
from company_risk.report.bootstrap import BootstrapError, bootstrap_intervals, paired_differences
from company_risk.report.collect import Evidence
from company_risk.report.prose import text
from company_risk.report.render import Note, Paragraph, Section, Table
from company_risk.schemas import FEATURE_KEYS, LABEL

TITLE = "Network features: what each addition gains"
METRICS = ("roc_auc", "precision_top5")
# a difference this small is no gain worth a feature even when every resample agrees on its
# sign (a feature that changes a handful of near-tied rankings): not "told apart"
NEGLIGIBLE = 0.001
KEYS = (*FEATURE_KEYS, LABEL)


@dataclass(frozen=True)
class AblationFigures:
    """The ablation's test figures.

    `variants`: the variants in the artifact's order (the base first, every feature last);
    `levels`: per variant (index) each metric's value and its interval (`<metric>`,
    `<metric>_low`, `<metric>_high`); `differences`: per variant but the base and per metric
    (long: variant, metric, difference, low, high, p_value, rounds, told_apart), variant minus
    base; `identical`: the additions whose probabilities are the base's on every row (the model
    made no use of the added columns); `rows`, `companies`, `defaults`: the test rows behind
    them."""

    variants: tuple[str, ...]
    levels: pd.DataFrame
    differences: pd.DataFrame
    identical: tuple[str, ...]
    rows: int
    companies: int
    defaults: int

    @property
    def base(self) -> str:
        return self.variants[0]

    @property
    def together(self) -> str:
        """The variant with every feature (the last)."""
        return self.variants[-1]

    @property
    def additions(self) -> tuple[str, ...]:
        """The variants that add one network addition to the base."""
        return self.variants[1:-1]


def variant_frame(predictions: pd.DataFrame, variant: str) -> pd.DataFrame:
    """One variant's test predictions as the bootstrap reads them (company_id, snapshot_date,
    label, probability)."""
    return predictions[list(KEYS)].assign(probability=predictions[variant].to_numpy())


def ablation_figures(
    predictions: pd.DataFrame, rounds: int, confidence: float, seed: int
) -> AblationFigures:
    """Every variant's figures and its paired difference to the base (the first variant), on
    METRICS. A BootstrapError names a table that is not an ablation's (a key or the label
    missing, fewer than two variants) or whose rows hold one class."""
    missing = [c for c in KEYS if c not in predictions.columns]
    if missing:
        raise BootstrapError(f"the ablation's predictions lack column(s) {missing}")
    variants = tuple(c for c in predictions.columns if c not in KEYS)
    if len(variants) < 2:
        raise BootstrapError(
            f"the ablation's predictions hold {len(variants)} variant(s); a base and at least "
            "one other are needed"
        )
    y = predictions[LABEL].to_numpy()
    if len(np.unique(y)) < 2:
        raise BootstrapError("the ablation's test rows hold a single class")
    frames = {v: variant_frame(predictions, v) for v in variants}
    levels = []
    for variant, frame in frames.items():
        point = binary_metrics(y, frame["probability"].to_numpy(), 0.5)
        interval = bootstrap_intervals(frame, 0.5, rounds, confidence, seed)
        row = {"variant": variant}
        for metric in METRICS:
            row |= {
                metric: point[metric],
                f"{metric}_low": float(interval.at[metric, "low"]),
                f"{metric}_high": float(interval.at[metric, "high"]),
            }
        levels.append(row)
    base = frames[variants[0]]
    parts = [
        paired_differences(frames[v], base, rounds, confidence, seed, metrics=METRICS)
        .reset_index()
        .assign(variant=v)
        for v in variants[1:]
    ]
    differences = pd.concat(parts, ignore_index=True)
    excludes_zero = (differences["low"] > 0) | (differences["high"] < 0)
    differences["told_apart"] = excludes_zero & (differences["difference"].abs() >= NEGLIGIBLE)
    columns = ["variant", "metric", "difference", "low", "high", "p_value", "rounds", "told_apart"]
    return AblationFigures(
        variants=variants,
        levels=pd.DataFrame(levels).set_index("variant"),
        differences=differences[columns],
        identical=tuple(
            v for v in variants[1:-1] if np.array_equal(predictions[v], predictions[variants[0]])
        ),
        rows=len(predictions),
        companies=int(predictions["company_id"].nunique()),
        defaults=int(y.sum()),
    )


# ---------------------------------------------------------------------------------- section
def _label(metric: str) -> str:
    return compare.METRIC_LABELS.get(metric, metric)


def _shown_name(f: AblationFigures, variant: str) -> str:
    return f"+ {variant}" if variant in f.additions else variant


def _names(variants: list[str]) -> str:
    return ", ".join(variants) if variants else "none"


def ablation_table(f: AblationFigures, confidence: float) -> pd.DataFrame:
    """One row per variant: each metric with its interval, its difference to the base with the
    paired interval, and the p-value."""
    ci = f"[{confidence:.0%} CI]"
    by = f.differences.set_index(["variant", "metric"])
    rows = []
    for variant in f.variants:
        row = {"variant": _shown_name(f, variant)}
        level = f.levels.loc[variant]
        for metric in METRICS:
            label = _label(metric)
            row[f"{label} {ci}"] = compare.format_ci(
                level[metric], level[f"{metric}_low"], level[f"{metric}_high"]
            )
            if variant == f.base:
                row[f"{label} − base {ci}"], row[f"{label} p"] = "–", "–"
                continue
            d = by.loc[(variant, metric)]
            row[f"{label} − base {ci}"] = f"{d.difference:+.3f} [{d.low:+.3f}, {d.high:+.3f}]"
            row[f"{label} p"] = f"{d.p_value:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def _verdict(f: AblationFigures, metric: str) -> str:
    """Which additions are told apart from the base on `metric`, higher or lower."""
    d = f.differences
    told = d.loc[(d["metric"] == metric) & d["told_apart"] & d["variant"].isin(f.additions)]
    higher = [v for v, x in zip(told["variant"], told["difference"], strict=True) if x > 0]
    lower = [v for v, x in zip(told["variant"], told["difference"], strict=True) if x < 0]
    if not higher and not lower:
        return text("ablation.none_told_apart", metric=_label(metric), additions=len(f.additions))
    return text(
        "ablation.told_apart",
        metric=_label(metric),
        higher=_names(higher),
        lower=_names(lower),
        additions=len(f.additions),
    )


def _together(f: AblationFigures) -> str:
    d = f.differences.loc[f.differences["variant"] == f.together].set_index("metric")
    figures = {
        metric: f"{d.at[metric, 'difference']:+.3f} [{d.at[metric, 'low']:+.3f}, "
        f"{d.at[metric, 'high']:+.3f}], p = {d.at[metric, 'p_value']:.3f}"
        for metric in METRICS
    }
    told = [_label(m) for m in METRICS if d.at[m, "told_apart"]]
    return text(
        "ablation.together",
        together=f.together,
        roc_auc=figures["roc_auc"],
        precision=figures["precision_top5"],
        told=_names(told),
    )


def ablation_section(ev: Evidence) -> Section:
    """The ablation of the training run's network features, or a note when it logged none."""
    if ev.ablation is None:
        return Section(TITLE, [Note(text("ablation.missing"))])
    cfg = ev.params.report
    try:
        f = ablation_figures(ev.ablation, cfg.bootstrap_rounds, cfg.confidence, cfg.seed)
    except BootstrapError as exc:
        return Section(TITLE, [Note(text("ablation.unusable", reason=str(exc)))])
    model = ev.runs.parent_params.get(ABLATION_MODEL_PARAM)
    rounds = int(f.differences["rounds"].min())
    blocks: list = [
        Paragraph(
            text(
                "ablation.intro",
                model=compare.MODEL_LABELS.get(model, model) if model else "a fixed model",
                base=f.base,
                additions=_names(list(f.additions)),
                together=f.together,
                rows=f"{f.rows:,}",
                companies=f"{f.companies:,}",
                defaults=f"{f.defaults:,}",
            )
        ),
        Table(
            ablation_table(f, cfg.confidence),
            caption="Each variant and its difference to the base on the test snapshots; "
            "paired company bootstrap (same resamples for both)",
        ),
        Paragraph(
            text(
                "ablation.paired",
                confidence=f"{cfg.confidence:.0%}",
                rounds=rounds,
                negligible=f"{NEGLIGIBLE:g}",
            )
        ),
        *(Paragraph(_verdict(f, metric)) for metric in METRICS),
    ]
    if f.identical:
        blocks.append(Paragraph(text("ablation.identical", variants=_names(list(f.identical)))))
    blocks.append(Paragraph(_together(f)))
    blocks.append(Paragraph(text("ablation.reading")))
    return Section(TITLE, blocks)
