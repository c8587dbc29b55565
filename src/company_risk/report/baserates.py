"""The real Estonian base rates, shown beside the ones the synthetic world realised.

These published figures are the targets the synthetic world is parameterised to approach; the
report puts each beside the world's realised value so a reader sees how close the world came,
and, on real data, how the downloaded register compares with the published figures. They are
written here once, with their sources, and nowhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class BaseRate:
    quantity: str
    real: str
    source: str
    world_key: str
    """The key of `reports/world.json` (company_risk.synth.truth.world_stats) holding the
    world's realised value."""
    unit: str = "share"
    """How the world's value reads: `share` (a percentage), `count` or `number`."""


REAL_BASE_RATES: tuple[BaseRate, ...] = (
    BaseRate(
        "companies on the register (active at the last drop)",
        "~378,000 entities (~104,000–138,000 economically active)",
        "e-Business Register (RIK) open data, basic-data file",
        "active_companies_last_month",
        "count",
    ),
    BaseRate(
        "declared insolvent per year (share of active companies)",
        "0.15–0.4 % (270–1,055 a year, 2007–2020)",
        "Estonian bankruptcy statistics 2007–2020",
        "bankruptcy_rate_yearly",
    ),
    BaseRate(
        "compulsory deletions per year (share of active companies)",
        "tens of thousands a year, far more than bankruptcies",
        "e-Business Register (RIK) status histories",
        "compulsory_deletion_rate_yearly",
    ),
    BaseRate(
        "active companies with a listed tax debt",
        "~6 % at a time (~500 leave and ~400 join the list a month)",
        "Tax and Customs Board (EMTA) tax-debtors list",
        "tax_debt_share",
    ),
    BaseRate(
        "bankrupt companies on the tax-debtor list a year before",
        "~72 % had long tax arrears",
        "Estonian bankruptcy statistics with the EMTA tax-debtors list",
        "bankrupts_with_debt_12m_before_share",
    ),
    BaseRate(
        "bankrupt companies with no listed tax debt in the year before",
        "~18 % had no debts at all",
        "Estonian bankruptcy statistics with the EMTA tax-debtors list",
        "bankrupts_without_debt_prior_12m_share",
    ),
    BaseRate(
        "board members per company (mean)",
        "~1.19 (median 1)",
        "e-Business Register (RIK) open data, persons file",
        "board_size_mean",
        "number",
    ),
    BaseRate(
        "12-month default event rate (insolvency or compulsory deletion)",
        "8.6 %",
        "Kuusik & Küngas, CAiSE 2018 (a published model on this data)",
        "default_rate_12m",
    ),
)


def base_rate_table(
    world: dict[str, Any] | None, observed_default_rate: float | None
) -> pd.DataFrame:
    """quantity, real Estonia, this world, source. The world's 12-month default rate falls back to
    the mean label of the features table (`observed_default_rate`) when world.json lacks it."""
    world = world or {}
    rows = []
    for rate in REAL_BASE_RATES:
        value = _shown(world.get(rate.world_key), rate.unit)
        if (
            value is None
            and rate.world_key == "default_rate_12m"
            and observed_default_rate is not None
        ):
            value = f"{observed_default_rate:.2%} (mean label of features.parquet)"
        rows.append(
            {
                "quantity": rate.quantity,
                "real Estonia": rate.real,
                "this run": value or "not reported",
                "source of the real figure": rate.source,
            }
        )
    return pd.DataFrame(rows)


def _shown(value: Any, unit: str) -> str | None:
    """The world's value as text, or None when it is absent or not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return None
    if unit == "share":
        return f"{number:.2%}"
    if unit == "count":
        return f"{number:,.0f}"
    return f"{number:.2f}"
