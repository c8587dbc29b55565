"""The term structure on the test snapshots: discrimination and calibration per horizon.

Beside the 12-month probability the champion gives the probabilities of default within the
shorter horizons of `features.horizons_months` (company_risk.term_structure). Train scores each
horizon on the test snapshots and writes the figures to reports/metrics.json as
`pd_<h>m_<metric>` (company_risk.schemas.horizon_metric), the longest horizon's too; this
section shows them: ROC-AUC and PR-AUC (does the horizon's probability rank the companies that
default within it first?) and the mean predicted probability beside the observed default rate
(can it be taken at face value?), with the calibration coefficients from champion.json.

`horizon_figures` is the pure analysis (numbers only), `horizons_section` places them; the
sentences are the templates of templates/horizons.toml.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.report.collect import Evidence
from company_risk.report.prose import text
from company_risk.report.render import Note, Paragraph, Section, Table
from company_risk.schemas import HORIZON_METRICS, horizon_metric

TITLE = "Default probabilities by horizon"


@dataclass(frozen=True)
class HorizonFigures:
    """The term structure's test figures, one row per horizon found in reports/metrics.json
    (months and every HORIZON_METRICS column, plus `ratio` = mean predicted / observed rate),
    ascending; None when metrics.json has none. `coefficients`: months, intercept, slope of
    the champion's calibrations (champion.json), None without them."""

    base_months: int
    table: pd.DataFrame | None
    coefficients: pd.DataFrame | None
    predicted_monotone: bool | None
    observed_monotone: bool | None


def horizon_figures(ev: Evidence) -> HorizonFigures:
    """The figures of the horizons `features.horizons_months` names that train wrote."""
    horizons = ev.params.features.horizons_months
    metrics = ev.metrics_report or {}
    rows = []
    for h in horizons:
        keys = {k: horizon_metric(h, k) for k in HORIZON_METRICS}
        if all(key in metrics for key in keys.values()):
            rows.append({"months": h, **{k: float(metrics[key]) for k, key in keys.items()}})
    # the longest horizon alone is the 12-month model without a term structure
    table = pd.DataFrame(rows) if len(rows) > 1 else None
    predicted = observed = None
    if table is not None:
        rate = table["observed_rate"]
        table["ratio"] = table["mean_predicted"] / rate.where(rate > 0)
        predicted = bool(np.all(np.diff(table["mean_predicted"].to_numpy()) >= 0))
        observed = bool(np.all(np.diff(rate.to_numpy()) >= 0))
    coefficients = None
    meta = ev.champion_meta
    if meta is not None and meta.term_structure:
        coefficients = pd.DataFrame(
            list(meta.term_structure.get("horizons", [])), columns=["months", "intercept", "slope"]
        )
    return HorizonFigures(horizons[-1], table, coefficients, predicted, observed)


def _pct(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.2%}"


def horizons_section(ev: Evidence) -> Section:
    f = horizon_figures(ev)
    if f.table is None:
        return Section(TITLE, [Note(text("horizons.missing", base=f.base_months))])
    shorter = [int(h) for h in f.table["months"] if h != f.base_months]
    blocks: list = [
        Paragraph(
            text(
                "horizons.intro",
                base=f.base_months,
                horizons=", ".join(str(h) for h in shorter),
            )
        )
    ]
    shown = pd.DataFrame(
        {
            "horizon": [f"{int(h)} months" for h in f.table["months"]],
            "ROC-AUC": f.table["roc_auc"],
            "PR-AUC": f.table["pr_auc"],
            "Brier": f.table["brier"],
            "mean predicted": [_pct(v) for v in f.table["mean_predicted"]],
            "observed default rate": [_pct(v) for v in f.table["observed_rate"]],
            "predicted / observed": f.table["ratio"],
        }
    )
    blocks.append(Table(shown, caption="Champion's term structure on the test snapshots"))
    blocks.append(Paragraph(text("horizons.discrimination", base=f.base_months)))
    blocks.append(Paragraph(text("horizons.calibration")))
    if f.predicted_monotone and f.observed_monotone:
        blocks.append(Paragraph(text("horizons.monotone")))
    else:
        blocks.append(Note(text("horizons.not_monotone")))
    if f.coefficients is not None and len(f.coefficients):
        blocks.append(
            Table(
                f.coefficients,
                caption="Calibrations of the shorter horizons (models/champion/champion.json)",
            )
        )
        blocks.append(Paragraph(text("horizons.coefficients", base=f.base_months)))
    return Section(TITLE, blocks)
