"""How much evidence is behind a score: the data-depth grade A-D of each company at t.

The grade is a pure function of eight feature columns, so it is point-in-time by construction
and the same for a training row and a daily score. Two kinds of business evidence count:

- *financials*: an annual report visible at t (`desc__no_report` is 0) with figures (its
  revenue or its total assets is known);
- *trading data*: any turnover, labour taxes or state taxes in the last four published quarters,
  or employees in the latest one (`tax__*_4q`, `tax__employees` above 0; NaN, when no quarter
  is published at all, counts as none).

Grades, first match wins:

- A: financials and trading data;
- B: one of the two (trading data without an annual report yet, or a report without recent
  trading);
- C: neither, and registered less than `YOUNG_YEARS` (1.5) years before t: a young company
  whose first report is not due and whose trading has not started;
- D: neither, at 1.5 years or older or of unknown age: register facts only.

"Little trading data" for C is read as none: the features hold four-quarter sums, not how many
quarters a company traded in, so a young company with any trading is B.
"""

from __future__ import annotations

import pandas as pd

from company_risk.errors import CompanyRiskError

GRADES: dict[str, str] = {
    "A": "annual report with figures and recent trading data",
    "B": "recent trading data or an annual report with figures, not both",
    "C": "young (under 1.5 years), no annual report or trading data yet",
    "D": "register facts only: no annual report or trading data",
}
YOUNG_YEARS = 1.5  # younger than this (in years since registration) and without data: C

NO_REPORT = "desc__no_report"
REPORT_FIGURES = ("desc__revenue", "desc__assets")
TRADING = ("tax__turnover_4q", "tax__labour_taxes_4q", "tax__state_taxes_4q", "tax__employees")
AGE = "desc__age_years"
COLUMNS = (NO_REPORT, *REPORT_FIGURES, *TRADING, AGE)
NAME = "data_depth"


class DataDepthError(CompanyRiskError, ValueError):
    """The features table lacks a column the data-depth grade reads."""


def data_depth(features: pd.DataFrame) -> pd.Series:
    """The grade ("A".."D", see `GRADES`) of every row of `features`, on its index."""
    lacking = [c for c in COLUMNS if c not in features.columns]
    if lacking:
        raise DataDepthError(
            f"the data-depth grade needs the feature column(s) {', '.join(lacking)}; "
            "the features table lacks them"
        )
    f = features
    financials = f[NO_REPORT].eq(0) & f[list(REPORT_FIGURES)].notna().any(axis=1)
    trading = f[list(TRADING)].astype("float64").gt(0).any(axis=1)
    young = f[AGE].astype("float64").lt(YOUNG_YEARS)
    grade = pd.Series("D", index=f.index, dtype="str", name=NAME)
    grade = grade.mask(young, "C")
    grade = grade.mask(financials | trading, "B")
    return grade.mask(financials & trading, "A")
