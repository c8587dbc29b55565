"""Credit recommendation, limit and payment term from the risk class and the plain facts.

The rules are a supplier's policy, kept deliberately simple and auditable:
- no recommendation at all while the company has a listed tax debt or an overdue annual report
  (the register itself says something is wrong; a person must look);
- otherwise the class decides: a zero limit factor (IV, V by default) means no credit sale;
- limit = min(last annual revenue / 12, equity / 2) / `suppliers` × the class's factor: a month
  of revenue or half the equity, shared among the company's usual suppliers;
- no limit without a published annual report, with figures missing from it, or with negative
  equity (nothing to base it on), although the class's payment term still applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk.config import ScoringConfig
from company_risk.scoring.classes import ROMAN

CREDIT = "credit"
NO_CREDIT = "no credit sale"
NO_RECOMMENDATION = "no recommendation"


def credit_terms(frame: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """From columns risk_class, tax_debt, overdue_report_year, last_report_year, revenue and
    equity: recommendation, credit_limit (EUR, whole euros; NaN = none), payment_term_days
    (nullable Int64) and credit_note (why, in words), on the frame's index."""
    klass = pd.Index(ROMAN).get_indexer(frame["risk_class"])
    if (klass < 0).any():
        raise ValueError(f"unknown risk class(es): {sorted(set(frame['risk_class'][klass < 0]))}")
    factor = np.asarray(cfg.class_limit_factors, dtype=float)[klass]
    term = np.asarray(cfg.payment_term_days, dtype="int64")[klass]

    debt = frame["tax_debt"].fillna(0).to_numpy() > 0
    overdue = frame["overdue_report_year"].notna().to_numpy()
    blocked = debt | overdue
    no_sale = ~blocked & (factor <= 0)
    credit = ~blocked & ~no_sale

    revenue = frame["revenue"].to_numpy(dtype=float)
    equity = frame["equity"].to_numpy(dtype=float)
    no_report = frame["last_report_year"].isna().to_numpy()
    negative = equity < 0
    missing = np.isnan(revenue) | np.isnan(equity)
    base = np.fmin(revenue / 12.0, equity / 2.0) / cfg.suppliers
    limit = np.where(credit & ~no_report & ~missing & ~negative, np.round(base * factor), np.nan)
    limit = np.where(no_sale, 0.0, limit)

    note = np.select(
        [
            debt,
            overdue,
            no_sale,
            credit & no_report,
            credit & negative,
            credit & missing,
        ],
        [
            "tax debt",
            "annual report overdue",
            "risk class does not allow credit sale",
            "no limit: no published annual report",
            "no limit: negative equity",
            "no limit: revenue or equity not reported",
        ],
        default="",
    )
    return pd.DataFrame(
        {
            "recommendation": np.select(
                [blocked, no_sale], [NO_RECOMMENDATION, NO_CREDIT], default=CREDIT
            ),
            "credit_limit": limit,
            # no recommendation means no payment term either (NA, not 0 days)
            "payment_term_days": pd.Series(term, index=frame.index, dtype="Int64").mask(blocked),
            "credit_note": note,
        },
        index=frame.index,
    ).astype({"recommendation": "str", "credit_note": "str"})
