"""tax__ features, each checked by hand on a tiny debt and payment history.

Company X at t = 2020-01-01 (monthly lists on the first of each month, 2017-01 .. 2020-01):
on the list 2018-06 (50), 2019-03..05 (100, 1500, 300) and 2019-09..2020-01 (400 .. 1000).
Month k back from t is (t - k months, t - k + 1 months], so the 2020-01-01 list is month 1,
2019-09-01 month 5, 2019-03-01 month 11 and 2018-06-01 month 20.
Quarterly payments 2017Q4..2019Q3 are published by t (2019Q4 only with the 2020-02-01 drop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builders import Tables, features_at, monthly

X, Y = "20000001", "20000002"
T0 = "2020-01-01"


@pytest.fixture(scope="module")
def world() -> Tables:
    w = Tables(monthly("2017-01-01", "2020-06-01"))
    w.company(X, registered="2010-01-01").company(Y, registered="2010-01-01")
    for day in monthly("2017-01-01", "2020-06-01"):
        w.tax_list(day)
    w.debt(X, "2018-06-01", 50)
    for day, amount in zip(monthly("2019-03-01", "2019-05-01"), (100, 1500, 300), strict=True):
        w.debt(X, day, amount)
    for day, amount in zip(monthly("2019-09-01", "2019-12-01"), (400, 500, 600, 700), strict=True):
        w.debt(X, day, amount)
    w.debt(X, "2020-01-01", 1000, disputed=250, scheduled=100, oldest_due="2019-08-15")
    w.debt(X, "2020-02-01", 99999)  # after t
    for year, quarter in [(2017, 4), (2018, 1), (2018, 2), (2018, 3)]:
        w.payment(X, year, quarter, turnover=10000, labour_taxes=1000, state_taxes=300, employees=4)
    for year, quarter in [(2018, 4), (2019, 1), (2019, 2), (2019, 3)]:
        w.payment(X, year, quarter, turnover=5000, labour_taxes=500, state_taxes=300, employees=2)
    # EMTA's 2019 IV (September-November) is published in December: late, with the next drop
    w.payment(X, 2019, 4, turnover=1, labour_taxes=1, employees=50, published_on="2020-02-01")
    w.payment(Y, 2017, 4, turnover=0.0)
    return w


@pytest.fixture(scope="module")
def got(world):
    return features_at(world, T0)


EXPECTED = {
    # feature: (X, Y)
    "tax__debt": (1000, 0),
    "tax__disputed_share": (0.25, 0),
    "tax__scheduled_share": (0.1, 0),
    "tax__debt_age_days": (139, 0),  # 2020-01-01 - 2019-08-15
    "tax__months_in_debt_6m": (5, 0),
    "tax__months_in_debt_12m": (8, 0),
    "tax__months_in_debt_24m": (9, 0),
    "tax__debt_max_12m": (1500, 0),
    "tax__debt_change_6m": (1000, 0),  # not on the 2019-07-01 list
    "tax__debt_episodes_24m": (3, 0),
    "tax__debt_to_turnover": (1000 / 20000, np.nan),
    "tax__debt_to_labour_taxes": (1000 / 2000, np.nan),
    "tax__turnover_4q": (20000, 0),
    "tax__labour_taxes_4q": (2000, 0),
    "tax__state_taxes_4q": (1200, 0),
    "tax__employees": (2, 0),
    "tax__turnover_trend": (np.log1p(20000) - np.log1p(40000), 0),
    "tax__labour_taxes_trend": (np.log1p(2000) - np.log1p(4000), 0),
    "tax__employees_trend": (np.log1p(2) - np.log1p(4), 0),
}


@pytest.mark.parametrize("feature", sorted(EXPECTED))
def test_tax_feature_by_hand(got, feature):
    assert list(got.index) == [X, Y]
    np.testing.assert_allclose(
        got[feature].to_numpy(), np.array(EXPECTED[feature], float), err_msg=feature
    )


def test_a_list_dated_before_t_but_delivered_later_is_not_seen():
    # lists dated mid-month arrive with the next monthly drop
    w = Tables(monthly("2019-01-01", "2020-06-01")).company(X)
    w.debt(X, "2019-12-01", 100).debt(X, "2020-01-15", 700)
    assert features_at(w, "2020-01-20").loc[X, "tax__debt"] == 100
    assert features_at(w, "2020-02-01").loc[X, "tax__debt"] == 700


def test_before_any_list_or_payment_nothing_is_known():
    w = Tables(monthly("2019-01-01", "2020-06-01")).company(X)
    w.debt(X, "2019-06-01", 100).payment(X, 2019, 2, turnover=5)
    got = features_at(w, "2019-02-01")
    assert got.filter(like="tax__").isna().all(axis=None)
    # with under eight published quarters, trends stay unknown but totals are known
    later = features_at(w, "2019-08-01")
    assert later.loc[X, "tax__turnover_4q"] == 5
    assert np.isnan(later.loc[X, "tax__turnover_trend"])


def test_leaving_the_list_ends_the_debt_but_not_its_history(world):
    w = Tables(monthly("2019-01-01", "2020-06-01")).company(X)
    for day in monthly("2019-01-01", "2020-06-01"):
        w.tax_list(day)
    w.debt(X, "2019-10-01", 400).debt(X, "2019-11-01", 600)
    got = features_at(w, "2020-01-01").loc[X]
    assert got["tax__debt"] == 0 and got["tax__debt_age_days"] == 0
    assert got["tax__months_in_debt_6m"] == 2 and got["tax__debt_max_12m"] == 600
    assert got["tax__debt_episodes_24m"] == 1
    assert got["tax__debt_change_6m"] == 0


def test_payment_windows_follow_the_latest_published_quarter(world):
    got = features_at(world, "2020-02-01")  # 2019Q4 published with this drop
    assert got.loc[X, "tax__turnover_4q"] == pytest.approx(5000 * 3 + 1)
    assert got.loc[X, "tax__employees"] == 50
    assert pd.isna(got.loc[Y, "tax__debt_to_turnover"])
