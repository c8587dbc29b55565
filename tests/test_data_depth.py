"""The data-depth grade (company_risk.data_depth) on hand-made feature rows: each grade, the
boundaries between them, and the refusal of a features table without its columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from company_risk.data_depth import (
    COLUMNS,
    GRADES,
    YOUNG_YEARS,
    DataDepthError,
    data_depth,
)
from company_risk.errors import CompanyRiskError
from company_risk.features.catalogue import by_name


def row(**changes) -> dict:
    """An established company with an annual report (figures) and trading data: grade A."""
    base = {
        "company_id": "10000001",
        "desc__no_report": 0.0,
        "desc__revenue": 250_000.0,
        "desc__assets": 120_000.0,
        "tax__turnover_4q": 240_000.0,
        "tax__labour_taxes_4q": 30_000.0,
        "tax__state_taxes_4q": 45_000.0,
        "tax__employees": 4.0,
        "desc__age_years": 6.0,
        "desc__sector": "G",
    }
    return base | changes


NO_REPORT = {"desc__no_report": 1.0, "desc__revenue": np.nan, "desc__assets": np.nan}
NO_TRADING = {
    "tax__turnover_4q": 0.0,
    "tax__labour_taxes_4q": 0.0,
    "tax__state_taxes_4q": 0.0,
    "tax__employees": 0.0,
}


def grades(*rows: dict) -> list[str]:
    return data_depth(pd.DataFrame(list(rows))).tolist()


def test_grades_are_a_to_d_each_with_a_meaning():
    assert list(GRADES) == ["A", "B", "C", "D"]
    assert all(isinstance(m, str) and m and "\n" not in m for m in GRADES.values())


def test_the_columns_it_reads_are_features_of_the_catalogue():
    catalogue = by_name()
    assert set(COLUMNS) <= set(catalogue)
    assert not any(catalogue[c].categorical for c in COLUMNS)


def test_each_grade_on_hand_made_rows():
    assert grades(
        row(),  # report with figures + trading
        row(**NO_REPORT),  # trading, no report yet
        row(**NO_TRADING),  # report, no recent trading: one of the two
        row(**NO_REPORT, **NO_TRADING, desc__age_years=0.5),  # young, nothing yet
        row(**NO_REPORT, **NO_TRADING, desc__age_years=4.0),  # register facts only
    ) == ["A", "B", "B", "C", "D"]


def test_the_result_is_a_str_series_on_the_features_index():
    frame = pd.DataFrame([row(), row(**NO_REPORT)], index=[7, 3])
    got = data_depth(frame)
    assert got.name == "data_depth" and list(got.index) == [7, 3]
    assert got.dtype == "str"
    assert data_depth(frame.iloc[:0]).empty


@pytest.mark.parametrize(
    ("age", "grade"),
    [(0.0, "C"), (YOUNG_YEARS - 1e-9, "C"), (YOUNG_YEARS, "D"), (9.0, "D"), (np.nan, "D")],
)
def test_young_ends_at_one_and_a_half_years_and_an_unknown_age_is_not_young(age, grade):
    assert grades(row(**NO_REPORT, **NO_TRADING, desc__age_years=age)) == [grade]


@pytest.mark.parametrize(
    "trading",
    [
        {"tax__turnover_4q": 0.01},
        {"tax__labour_taxes_4q": 120.0},
        {"tax__state_taxes_4q": 80.0},
        {"tax__employees": 1.0},
    ],
)
def test_any_one_trading_figure_counts_as_trading_data(trading):
    assert grades(
        row(**(NO_TRADING | trading)),
        row(**NO_REPORT, **(NO_TRADING | trading), desc__age_years=0.5),  # young, trading: B
    ) == ["A", "B"]


def test_no_quarter_published_zero_or_negative_amounts_are_no_trading_data():
    unpublished = dict.fromkeys(NO_TRADING, np.nan)  # tax__ payment features before any quarter
    refund = NO_TRADING | {"tax__turnover_4q": -500.0}
    assert grades(row(**unpublished), row(**refund), row(**NO_REPORT, **unpublished)) == [
        "B",
        "B",
        "D",
    ]


def test_a_report_counts_only_when_visible_and_with_figures():
    assert grades(
        row(desc__revenue=np.nan),  # assets alone are figures
        row(desc__assets=np.nan),  # revenue alone too
        row(desc__revenue=np.nan, desc__assets=np.nan),  # a report without figures
        row(desc__no_report=1.0),  # figures but no visible report: inconsistent, not trusted
    ) == ["A", "A", "B", "B"]


def test_a_features_table_without_its_columns_is_refused_by_name():
    frame = pd.DataFrame([row()]).drop(columns=["tax__employees", "desc__age_years"])
    with pytest.raises(DataDepthError, match="tax__employees, desc__age_years") as caught:
        data_depth(frame)
    assert isinstance(caught.value, CompanyRiskError)
