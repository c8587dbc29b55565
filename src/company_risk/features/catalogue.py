"""The feature catalogue, generated from the feature definitions the family modules use.

`FEATURES` is the single registry: the families build their columns from it, this module renders
it for people, and the scoring stage words its reasons with each feature's `phrase`.
"""

from __future__ import annotations

from company_risk.features import descriptive, graph, tax
from company_risk.features.registry import Feature

FEATURES: tuple[Feature, ...] = graph.FEATURES + tax.FEATURES + descriptive.FEATURES


def by_name() -> dict[str, Feature]:
    """Feature name -> its definition."""
    return {f.name: f for f in FEATURES}


def catalogue_markdown() -> str:
    """Markdown: the point-in-time rule, the conventions for missing values, then one table row
    (name | family | meaning | unit) per feature in features.parquet column order."""
    lines = [
        "# Feature catalogue",
        "",
        "Generated from the feature definitions in `company_risk.features` (do not edit).",
        "",
        "Every feature at snapshot date t uses only facts dated on or before t and published by t",
        "(drops dated <= t, annual reports submitted and published by t, tax payments, status and",
        "board facts published by t, the register version valid at t). The population at t is",
        "every company with status R at t; `label` = 1 iff the company defaults in (t, t + 12",
        "months]. Categorical features are strings; all others are float64, NaN where the value",
        "is not known (counts over an empty set are 0).",
        "",
        "| name | family | meaning | unit |",
        "|---|---|---|---|",
    ]
    for f in FEATURES:
        meaning = f.meaning.replace("|", "\\|")
        lines.append(f"| `{f.name}` | {f.family} | {meaning} | {f.unit} |")
    lines.append("")
    return "\n".join(lines)
