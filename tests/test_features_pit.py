"""The point-in-time rule as a property: facts dated (or published) after t change no feature at t.

Hypothesis draws a random history of a few companies and persons over 2015–2024 — company
versions, status changes, board tenures, tax-debtor lists, annual reports, quarterly payments,
defaults — and a snapshot day t. `known_at` cuts the history back to what an ingest run on the
drops up to t would hold: later drops, later versions, board changes, statuses, lists, reports
and payments removed, intervals that close after t reopened. The features at t must be the same
from the whole history and from the cut one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import FEATURES_CFG as CFG
from builders import Tables, monthly
from company_risk.features import FeatureError
from company_risk.features.build import build_features

DROPS = monthly("2015-01-01", "2024-12-01")


def random_history(seed: int) -> Tables:
    rng = np.random.default_rng(seed)
    w = Tables(DROPS)
    days = pd.date_range("2014-06-01", "2024-11-30", freq="D")

    def day(after=None) -> pd.Timestamp:
        pool = days if after is None else days[days > after]
        return pool[rng.integers(len(pool))] if len(pool) else days[-1]

    def lag(date) -> pd.Timestamp:
        """Published by the first drop on or after `date`, or one to two drops later."""
        first = int(np.searchsorted(np.array(DROPS, dtype="datetime64[us]"), np.datetime64(date)))
        return (
            DROPS[min(first + int(rng.integers(0, 3)), len(DROPS) - 1)]
            if first < len(DROPS)
            else None
        )

    companies = [f"4000{i:04d}" for i in range(int(rng.integers(3, 9)))]
    persons = [f"p{i}" for i in range(int(rng.integers(2, 7)))]
    for cid in companies:
        registered = day() - pd.DateOffset(years=int(rng.integers(0, 6)))
        starts = sorted(
            {w.drop_on_or_after(max(registered, DROPS[0]))}
            | {DROPS[i] for i in rng.integers(0, len(DROPS), int(rng.integers(0, 3)))}
        )
        starts = [s for s in starts if s >= w.drop_on_or_after(max(registered, DROPS[0]))]
        for k, start in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else None
            w.company(
                cid,
                registered=str(registered.date()),
                valid_from=str(start.date()),
                valid_to=str(end.date()) if end else None,
                vat="EE1" if rng.random() < 0.5 else "",
                capital=float(rng.integers(1, 9) * 1000),
                sector="ABC"[int(rng.integers(3))],
            )
        if rng.random() < 0.4:
            exit_day = day(after=registered)
            if rng.random() < 0.5:
                w.default(
                    cid,
                    exit_day,
                    kind=["bankrupt", "deleted"][int(rng.integers(2))],
                    published_on=lag(exit_day),
                )
            else:
                w.status(cid, "L", exit_day, published_on=lag(exit_day))
        for _ in range(int(rng.integers(0, 4))):
            person = persons[int(rng.integers(len(persons)))]
            start = day()
            published = lag(max(start, DROPS[0]))
            if published is None:
                continue
            end = None
            if rng.random() < 0.5:
                later = [d for d in DROPS if d > published]
                end = later[int(rng.integers(len(later)))] if later else None
            w.role(cid, person, start, end=end, published_on=published)
        for _ in range(int(rng.integers(0, 3))):
            year = int(rng.integers(2014, 2025))
            submitted = pd.Timestamp(f"{year + 1}-01-01") + pd.Timedelta(
                days=int(rng.integers(0, 700))
            )
            published = lag(submitted)
            if published is not None:
                w.report(
                    cid,
                    year,
                    submitted,
                    published_on=published,
                    revenue=float(rng.integers(0, 1000)),
                    equity=float(rng.integers(-100, 500)),
                    assets=float(rng.integers(1, 900)),
                    net_profit=float(rng.integers(-50, 50)),
                )
        for _ in range(int(rng.integers(0, 6))):
            year, quarter = int(rng.integers(2015, 2025)), int(rng.integers(1, 5))
            if not any(
                r["company_id"] == cid and (r["year"], r["quarter"]) == (year, quarter)
                for r in w.rows["tax_payments"]
            ):
                w.payment(
                    cid,
                    year,
                    quarter,
                    turnover=float(rng.integers(0, 900)),
                    labour_taxes=float(rng.integers(0, 90)),
                    employees=float(rng.integers(0, 5)),
                )
    list_days = sorted(
        {
            DROPS[i] - pd.Timedelta(days=int(rng.integers(0, 20)))
            for i in rng.integers(0, len(DROPS), 40)
        }
    )
    for as_of in list_days:
        w.tax_list(as_of)
        for cid in companies:
            if rng.random() < 0.3:
                w.debt(
                    cid,
                    as_of,
                    float(rng.integers(1, 5000)),
                    disputed=float(rng.integers(0, 2)),
                    oldest_due=as_of - pd.Timedelta(days=int(rng.integers(0, 400))),
                )
    return w


def known_at(tables: dict[str, pd.DataFrame], t: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The history as an ingest run on the drops dated <= t would have written it."""
    drops = tables["ingest_log"].loc[tables["ingest_log"]["drop_date"] <= t]
    last_drop = drops["drop_date"].max()
    c = tables["companies"]
    c = c.loc[c["valid_from"] <= t]
    c = c.assign(valid_to=c["valid_to"].mask(c["valid_to"] > t))
    s = tables["status_history"]
    s = s.loc[(s["published_on"] <= t) & (s["valid_from"] <= t)]
    r = tables["board_roles"]
    r = r.loc[r["published_on"] <= t]
    r = r.assign(end_date=r["end_date"].mask(r["end_date"] > t))
    known_status = s.set_index(["company_id", "valid_from"]).index
    d = tables["defaults"]
    d = d.loc[d.set_index(["company_id", "default_date"]).index.isin(known_status)]
    a = tables["annual_reports"]
    return {
        "companies": c,
        "status_history": s,
        "board_roles": r,
        "tax_debts": tables["tax_debts"].loc[tables["tax_debts"]["as_of"] <= last_drop],
        "tax_debt_lists": tables["tax_debt_lists"].loc[
            tables["tax_debt_lists"]["as_of"] <= last_drop
        ],
        "annual_reports": a.loc[(a["submitted_on"] <= t) & (a["published_on"] <= t)],
        "tax_payments": tables["tax_payments"].loc[tables["tax_payments"]["published_on"] <= t],
        "defaults": d,
        "ingest_log": drops,
        "shareholdings": tables["shareholdings"].loc[tables["shareholdings"]["published_on"] <= t],
        "rulings": tables["rulings"].loc[tables["rulings"]["published_on"] <= t],
        "rejected": tables["rejected"].loc[tables["rejected"]["drop_date"] <= last_drop],
        "ingest_files": tables["ingest_files"].loc[
            tables["ingest_files"]["drop_date"] <= last_drop
        ],
    }


def features_or_error(tables, t: pd.Timestamp):
    try:
        return build_features(tables, [t.date()], CFG, with_label=False)
    except FeatureError as exc:
        return str(exc)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), t=st.dates(dt.date(2015, 1, 1), dt.date(2024, 6, 30)))
def test_facts_after_t_change_no_feature_at_t(seed, t):
    t = pd.Timestamp(t)
    full = random_history(seed).build()
    whole = features_or_error(full, t)
    cut = features_or_error(known_at(full, t), t)
    if isinstance(whole, str) or isinstance(cut, str):
        assert whole == cut
    else:
        pd.testing.assert_frame_equal(whole, cut)


def test_the_random_histories_hold_facts_after_t():
    """The property is not vacuous: the drawn histories do carry later facts in every table
    that `known_at` cuts, and open intervals it has to reopen."""
    t = pd.Timestamp("2019-06-01")
    removed = dict.fromkeys(
        [
            "companies",
            "status_history",
            "board_roles",
            "tax_debts",
            "annual_reports",
            "tax_payments",
            "defaults",
            "ingest_log",
        ],
        0,
    )
    reopened = 0
    for seed in range(8):
        full = random_history(seed).build()
        cut = known_at(full, t)
        for name in removed:
            removed[name] += len(full[name]) - len(cut[name])
        ended = full["board_roles"]["end_date"]
        reopened += int(((ended > t) & (full["board_roles"]["published_on"] <= t)).sum())
    assert all(n > 0 for n in removed.values()), removed
    assert reopened > 0
