"""desc__ features checked by hand, at t = 2020-01-01 (reports due by then: fiscal years up to
2018, deadline six months after the year end; the last three of them: 2016, 2017, 2018).

V: registered 2012-03-01, OÜ, no VAT until the version of 2018-01-01, capital 2500 -> 5000;
   reports 2017 (on time) and 2018 (77 days late); a 2019 report submitted 2019-12-20 but
   published only 2020-02-01, and one submitted after t: neither is visible.
W: registered 2017-06-01, no report at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builders import Tables, features_at

V, W = "30000001", "30000002"
T0 = "2020-01-01"
YEAR = 365.25


@pytest.fixture(scope="module")
def world() -> Tables:
    w = Tables()
    w.company(V, registered="2012-03-01", valid_to="2018-01-01")
    w.company(V, registered="2012-03-01", vat="EE101", capital=5000, valid_from="2018-01-01")
    w.company(
        W, registered="2017-06-01", legal_form="Aktsiaselts", sector="C", county="Tartu maakond"
    )
    w.report(
        V,
        2017,
        "2018-05-10",
        revenue=1000,
        net_profit=100,
        equity=400,
        assets=1000,
        current_assets=500,
        current_liabilities=250,
    )
    w.report(
        V,
        2018,
        "2019-09-15",
        revenue=1500,
        net_profit=-300,
        equity=-50,
        assets=800,
        current_assets=300,
        current_liabilities=600,
    )
    w.report(V, 2019, "2019-12-20", published_on="2020-02-01", revenue=9, equity=9, assets=9)
    w.report(V, 2024, "2020-03-01", revenue=9, equity=9, assets=9)
    return w


@pytest.fixture(scope="module")
def got(world):
    return features_at(world, T0)


EXPECTED = {
    # feature: (V, W)
    "desc__age_years": (
        (pd.Timestamp(T0) - pd.Timestamp("2012-03-01")).days / YEAR,
        (pd.Timestamp(T0) - pd.Timestamp("2017-06-01")).days / YEAR,
    ),
    "desc__vat_registered": (1, 0),
    "desc__vat_age_years": (730 / YEAR, np.nan),
    "desc__capital": (5000, 2500),
    "desc__reports_due": (3, 2),  # W exists for 2017 and 2018
    "desc__reports_missing": (1, 2),  # V lacks 2016
    "desc__no_report": (0, 1),
    "desc__last_report_days_late": (77, np.nan),  # 2019-09-15 - 2019-06-30
    "desc__months_since_last_report": (108 / (YEAR / 12), np.nan),
    "desc__revenue": (1500, np.nan),
    "desc__assets": (800, np.nan),
    "desc__equity_ratio": (-50 / 800, np.nan),
    "desc__current_ratio": (300 / 600, np.nan),
    "desc__profit_margin": (-300 / 1500, np.nan),
    "desc__revenue_growth": (0.5, np.nan),
    "desc__negative_equity": (1, np.nan),
}


@pytest.mark.parametrize("feature", sorted(EXPECTED))
def test_descriptive_feature_by_hand(got, feature):
    assert list(got.index) == [V, W]
    np.testing.assert_allclose(
        got[feature].to_numpy(), np.array(EXPECTED[feature], float), err_msg=feature
    )


def test_categoricals_come_from_the_version_valid_at_t(got):
    assert got.loc[W, ["desc__legal_form", "desc__sector", "desc__county"]].tolist() == [
        "Aktsiaselts",
        "C",
        "Tartu maakond",
    ]
    assert got.loc[V, "desc__legal_form"] == "Osaühing"
    assert str(got["desc__sector"].dtype) == "str"


def test_before_the_vat_version_the_company_is_not_vat_registered(world):
    got = features_at(world, "2017-12-31")
    assert got.loc[V, "desc__vat_registered"] == 0 and np.isnan(got.loc[V, "desc__vat_age_years"])
    assert got.loc[V, "desc__capital"] == 2500


def test_a_report_is_visible_once_submitted_and_published(world):
    later = features_at(world, "2020-02-01")
    assert later.loc[V, "desc__revenue"] == 9  # the 2019 report, published 2020-02-01
    assert later.loc[V, "desc__revenue_growth"] == pytest.approx(9 / 1500 - 1)
    # fiscal year 2024 was submitted 2020-03-01: visible from the 2020-03-01 drop only
    assert features_at(world, "2020-02-29").loc[V, "desc__revenue"] == 9
    assert features_at(world, "2020-03-01").loc[V, "desc__reports_missing"] == 1


def test_growth_needs_the_previous_fiscal_year():
    w = Tables().company(V)
    w.report(V, 2015, "2016-05-01", revenue=100).report(V, 2017, "2018-05-01", revenue=300)
    got = features_at(w, "2019-01-01").loc[V]
    assert got["desc__revenue"] == 300 and np.isnan(got["desc__revenue_growth"])
    assert got["desc__last_report_days_late"] == 0
