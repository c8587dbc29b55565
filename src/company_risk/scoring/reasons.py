"""Reasons: the top drivers of each company's probability, in plain words, with the facts.

The drivers are the champion's own per-feature contributions (TreeSHAP, XGBoost's
`pred_contribs`, or coefficients — whatever `company_risk.explain` computes for that model), so the
reason always explains the number actually published. Each driver is worded through the feature
catalogue ("a board member sat on 3 companies that defaulted"); for tax-debt and annual-report
drivers the words are the register's facts instead ("tax debt 4,210 € for 95 days", "annual
report 2024 not filed"), which a credit officer can check.

Vectorised: ranking is one `argpartition` over the rows × features matrix, and wording is done
per (slot, feature) block over the distinct values, never a Python loop per company.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.features.registry import DIMENSIONLESS


@dataclass(frozen=True)
class Phrase:
    """How one feature reads in a reason: "`text`: value unit" — the feature registry's phrase
    and unit. Dimensionless units (`features.registry.DIMENSIONLESS`: ratio, score, category…)
    are left out; a flag reads yes or no; EUR is printed as €."""

    text: str
    unit: str = ""


_UNIT_SIGN = {"EUR": "€"}


TAX_DEBT = ("tax__", "debt")  # tax features about the debt itself are worded with its facts
REPORT_WORD = "report"


def format_value(value: object) -> str:
    """4210.4 -> '4,210'; 0.125 -> '0.13'; a category stays as it is; NaN -> 'not known'."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "not known"
    number = float(value)
    if number.is_integer() or abs(number) >= 100:
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def fact_texts(facts: pd.DataFrame) -> pd.DataFrame:
    """Per company: `tax_fact` ("tax debt 4,210 € for 95 days") and `report_fact` ("annual
    report 2024 not filed"), "" where there is nothing to say. Index as `facts`."""
    tax = pd.Series("", index=facts.index, dtype="str")
    has_debt = facts["tax_debt"].fillna(0) > 0
    debt = facts.loc[has_debt, "tax_debt"].map(format_value).astype("str")
    days = facts.loc[has_debt, "tax_debt_days"]
    tax.loc[has_debt] = ("tax debt " + debt + " €").where(
        days.isna(), "tax debt " + debt + " € for " + days.map(format_value).astype("str") + " days"
    )
    report = pd.Series("", index=facts.index, dtype="str")
    overdue = facts["overdue_report_year"].notna()
    year = facts.loc[overdue, "overdue_report_year"].astype("int64").astype("str")
    n = facts.loc[overdue, "overdue_reports"]
    more = " (" + n.astype("str") + " years missing)"
    report.loc[overdue] = "annual report " + year + " not filed" + more.where(n > 1, "")
    return pd.DataFrame({"tax_fact": tax, "report_fact": report})


def top_reasons(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    phrases: Mapping[str, Phrase],
    facts: pd.DataFrame,
    k: int,
) -> pd.DataFrame:
    """The k largest contributions (by size) of each row, worded, with their direction.

    `contributions` and `values` share index and feature columns; `facts` holds `fact_texts`'
    columns on the same index. Returns reason_1..k and reason_feature_1..k (str; "" where a
    row has fewer than k non-zero drivers).
    """
    features = list(contributions.columns)
    missing = [f for f in features if f not in phrases]
    if missing:
        raise ValueError(f"no catalogue phrase for feature(s): {', '.join(missing)}")
    k = min(k, len(features))
    C = contributions.to_numpy(dtype=float)
    magnitude = np.nan_to_num(np.abs(C))
    top = (
        np.argpartition(-magnitude, k - 1, axis=1)[:, :k]
        if k < len(features)
        else (np.tile(np.arange(len(features)), (len(C), 1)))
    )
    rows = np.arange(len(C))[:, None]
    # largest first; equal sizes in feature order, so the ranking is deterministic
    order = np.lexsort((top, -magnitude[rows, top]), axis=1)
    top = top[rows, order]

    tax_fact = facts["tax_fact"].to_numpy(dtype=object)
    report_fact = facts["report_fact"].to_numpy(dtype=object)
    out: dict[str, np.ndarray] = {}
    for slot in range(k):
        chosen = top[:, slot]
        text = np.full(len(C), "", dtype=object)
        for f in np.unique(chosen):
            at = np.flatnonzero(chosen == f)
            name = features[f]
            text[at] = _word(values[name].to_numpy()[at], phrases[name])
            if name.startswith(TAX_DEBT[0]) and TAX_DEBT[1] in name:
                fact = tax_fact[at]
                text[at] = np.where(fact != "", fact, text[at])
            elif REPORT_WORD in name:
                fact = report_fact[at]
                text[at] = np.where(fact != "", fact, text[at])
        size = C[np.arange(len(C)), chosen]
        direction = np.where(size > 0, " (raises risk)", " (lowers risk)")
        live = np.nan_to_num(size) != 0
        out[f"reason_{slot + 1}"] = np.where(live, text + direction, "")
        out[f"reason_feature_{slot + 1}"] = np.where(
            live, np.asarray(features, dtype=object)[chosen], ""
        )
    ordered = [f"reason_{i + 1}" for i in range(k)] + [f"reason_feature_{i + 1}" for i in range(k)]
    return pd.DataFrame(out, index=contributions.index)[ordered].astype("str")


def _word(values: np.ndarray, phrase: Phrase) -> np.ndarray:
    """`text: value unit` for each value, formatting each distinct value once."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=False)
    if phrase.unit == "flag":
        words = ["not known" if pd.isna(v) else ("yes" if float(v) else "no") for v in uniques]
    else:
        words = [format_value(v) for v in uniques]
    silent = not phrase.unit or phrase.unit in DIMENSIONLESS
    unit = "" if silent else " " + _UNIT_SIGN.get(phrase.unit, phrase.unit)
    return np.array([f"{phrase.text}: {w}{unit}" for w in words], dtype=object)[codes]
