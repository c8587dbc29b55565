"""Facts as of a date and every alert kind, on a hand-made two-day history."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from company_risk.config import FeaturesConfig, ScoringConfig, params_from_dict
from company_risk.features.descriptive import descriptive_features, due_year
from company_risk.schemas import INTERIM_TABLES
from company_risk.scoring.alerts import ALERT_COLUMNS, NEEDED, build_alerts
from company_risk.scoring.facts import board_changes, company_facts
from company_risk.scoring.reasons import fact_texts

CFG = ScoringConfig()
DEADLINE = FeaturesConfig().report_deadline_months  # the one annual-report deadline
DAY1, DAY2 = dt.date(2025, 10, 2), dt.date(2025, 10, 3)
T = pd.Timestamp


def interim(**rows: list[dict]) -> dict[str, pd.DataFrame]:
    """Interim tables with the schema's columns; unspecified tables are empty."""
    out = {}
    for name, columns in INTERIM_TABLES.items():
        frame = pd.DataFrame(rows.get(name, []), columns=list(columns))
        text = [c for c, dtype in columns.items() if dtype == "str"]
        out[name] = frame.fillna({c: "" for c in text}).astype(columns)
    return out


def history() -> dict[str, pd.DataFrame]:
    """Four companies: 10000001 gets new tax debt and a new board member on day 2; 10000002's
    debt grows and a member leaves; 10000003 goes bankrupt on day 2; 10000004 is quiet but its
    2024 report has been overdue since July."""
    ids = ["10000001", "10000002", "10000003", "10000004"]
    companies = [
        {
            "company_id": c,
            "valid_from": T("2020-01-01"),
            "valid_to": pd.NaT,
            "name": f"Firma {c}",
            "legal_form": "Osaühing",
            "legal_form_subtype": "",
            "vat_number": "",
            "first_registered": T("2019-05-01"),
            "ehak_code": "0784",
            "county": "Harju maakond",
            "legal_form_code": "OÜ",
            "emtak_code": "62011",
            "emtak_version": 2,
            "nace_code": "62.01",
            "sector": "J",
            "capital": 2500.0,
        }
        for c in ids
    ]
    status = [
        {
            "company_id": c,
            "status": "R",
            "valid_from": T("2019-05-01"),
            "valid_to": pd.NaT,
            "published_on": T("2020-01-01"),
        }
        for c in ids
    ]
    status[2]["valid_to"] = T("2025-10-03")
    status.append(
        {
            "company_id": "10000003",
            "status": "N",
            "valid_from": T("2025-10-03"),
            "valid_to": pd.NaT,
            "published_on": T("2025-10-03"),
        }
    )
    board = [
        {
            "company_id": "10000001",
            "person_id": "p1",
            "person_type": "natural",
            "role": "JUHL",
            "start_date": T("2019-05-01"),
            "end_date": pd.NaT,
            "published_on": T("2020-01-01"),
        },
        {
            "company_id": "10000001",
            "person_id": "p2",
            "person_type": "natural",
            "role": "JUHL",
            "start_date": T("2025-10-03"),
            "end_date": pd.NaT,
            "published_on": T("2025-10-03"),
        },
        {
            "company_id": "10000002",
            "person_id": "p3",
            "person_type": "natural",
            "role": "JUHL",
            "start_date": T("2019-05-01"),
            "end_date": T("2025-10-03"),
            "published_on": T("2020-01-01"),
        },
        {
            "company_id": "10000002",
            "person_id": "p4",
            "person_type": "natural",
            "role": "JUHL",
            "start_date": T("2019-05-01"),
            "end_date": pd.NaT,
            "published_on": T("2020-01-01"),
        },
        {
            "company_id": "10000002",
            "person_id": "p9",
            "person_type": "natural",
            "role": "PROK",
            "start_date": T("2025-10-03"),
            "end_date": pd.NaT,
            "published_on": T("2025-10-03"),
        },
    ]
    debts = [
        {
            "company_id": "10000002",
            "as_of": T("2025-10-02"),
            "debt": 1000.0,
            "disputed": 0.0,
            "scheduled": 0.0,
            "schedule_end": pd.NaT,
            "oldest_due": T("2025-07-01"),
        },
        {
            "company_id": "10000001",
            "as_of": T("2025-10-03"),
            "debt": 4210.0,
            "disputed": 0.0,
            "scheduled": 0.0,
            "schedule_end": pd.NaT,
            "oldest_due": T("2025-06-30"),
        },
        {
            "company_id": "10000002",
            "as_of": T("2025-10-03"),
            "debt": 2500.0,
            "disputed": 0.0,
            "scheduled": 0.0,
            "schedule_end": pd.NaT,
            "oldest_due": T("2025-07-01"),
        },
    ]
    lists = [{"as_of": T("2025-10-02"), "n_debtors": 1}, {"as_of": T("2025-10-03"), "n_debtors": 2}]
    reports = [
        {
            "report_id": f"r{c}",
            "company_id": c,
            "fiscal_year": 2024,
            "period_start": T("2024-01-01"),
            "period_end": T("2024-12-31"),
            "submitted_on": T("2025-05-01"),
            "published_on": T("2025-06-01"),
            "audited": False,
            "consolidated": False,
            "revenue": 120000.0,
            "equity": 30000.0,
            "net_profit": 1.0,
            "assets": 1.0,
            "current_assets": 1.0,
            "current_liabilities": 1.0,
            "non_current_liabilities": 1.0,
            "cash": 1.0,
            "labour_expense": 1.0,
            "employees": 1.0,
        }
        for c in ids[:3]
    ]
    # a 2024 report submitted after the scoring day: invisible then
    reports.append(
        {
            **reports[0],
            "report_id": "late",
            "company_id": "10000004",
            "submitted_on": T("2025-11-01"),
            "published_on": T("2025-11-01"),
        }
    )
    return interim(
        companies=companies,
        status_history=status,
        board_roles=board,
        tax_debts=debts,
        tax_debt_lists=lists,
        annual_reports=reports,
    )


def test_due_year_turns_the_day_after_the_deadline():
    assert due_year(dt.date(2025, 6, 30), DEADLINE) == 2023
    assert due_year(dt.date(2025, 7, 1), DEADLINE) == 2024


def test_facts_are_point_in_time():
    tables = history()
    day1 = company_facts(tables, DAY1, DEADLINE)
    day2 = company_facts(tables, DAY2, DEADLINE)
    assert day1.loc["10000001", "tax_debt"] == 0 and np.isnan(day1.loc["10000001", "tax_debt_days"])
    assert day2.loc["10000001", "tax_debt"] == 4210.0
    assert day2.loc["10000001", "tax_debt_days"] == (T("2025-10-03") - T("2025-06-30")).days
    assert day1.loc["10000003", "status"] == "R" and day2.loc["10000003", "status"] == "N"
    assert day1.loc["10000001", "board_size"] == 1 and day2.loc["10000001", "board_size"] == 2
    assert day2.loc["10000002", "board_size"] == 1  # the PROK role does not count
    assert day2.loc["10000004", "overdue_report_year"] == 2024
    assert day2.loc["10000004", "overdue_reports"] == 6  # 2019..2024, nothing filed by the day
    assert np.isnan(day2.loc["10000001", "overdue_report_year"])
    assert day2.loc["10000001", "revenue"] == 120000.0


def test_the_board_a_fact_counts_is_the_configured_one():
    """features.graph.roles sets the board for the graph features and for the facts alike."""
    tables = history()
    with_procurators = company_facts(tables, DAY2, DEADLINE, board_roles=("JUHL", "PROK"))
    assert with_procurators.loc["10000002", "board_size"] == 2
    assert company_facts(tables, DAY2, DEADLINE, board_roles=("JUHA",))["board_size"].eq(0).all()


def _partition(facts: pd.DataFrame, probability: dict, klass: dict, ids: list[str]) -> pd.DataFrame:
    frame = facts.loc[ids].reset_index()
    frame["probability"] = frame["company_id"].map(probability)
    frame["risk_class"] = frame["company_id"].map(klass)
    return frame[list(NEEDED)]


def test_every_alert_kind_on_a_two_day_history():
    tables = history()
    ids = ["10000001", "10000002", "10000003", "10000004"]
    before_facts = company_facts(tables, DAY1, DEADLINE)
    # as if the overdue report were not overdue yesterday
    before_facts.loc["10000004", "overdue_report_year"] = np.nan
    after_facts = company_facts(tables, DAY2, DEADLINE)
    previous = _partition(
        before_facts,
        {"10000001": 0.03, "10000002": 0.20, "10000003": 0.3, "10000004": 0.01},
        {"10000001": "II", "10000002": "IV", "10000003": "V", "10000004": "I"},
        ids,
    )
    current = _partition(
        after_facts,
        {"10000001": 0.12, "10000002": 0.08, "10000004": 0.012},
        {"10000001": "IV", "10000002": "III", "10000004": "I"},
        ["10000001", "10000002", "10000004"],
    )
    board = board_changes(tables, DAY1, DAY2)
    alerts = build_alerts(previous, current, after_facts, board, DAY2, CFG)
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    assert (alerts["date"] == "2025-10-03").all()
    got = set(zip(alerts["company_id"], alerts["kind"], strict=True))
    assert got == {
        ("10000001", "class_worse"),
        ("10000001", "probability_jump"),
        ("10000001", "tax_debt_new"),
        ("10000001", "board_added"),
        ("10000002", "class_better"),
        ("10000002", "probability_jump"),
        ("10000002", "tax_debt_grown"),
        ("10000002", "board_removed"),
        ("10000003", "status_change"),
        ("10000004", "report_overdue"),
    }
    row = alerts.set_index(["company_id", "kind"])
    assert row.loc[("10000001", "class_worse"), ["before", "after"]].tolist() == ["II", "IV"]
    assert row.loc[("10000001", "tax_debt_new"), "detail"] == "new tax debt 4,210 €"
    assert (
        row.loc[("10000002", "tax_debt_grown"), "detail"] == "tax debt grew from 1,000 € to 2,500 €"
    )
    assert row.loc[("10000001", "board_added"), ["before", "after"]].tolist() == ["1", "2"]
    assert row.loc[("10000003", "status_change"), "after"] == "N"
    assert "bankrupt" in row.loc[("10000003", "status_change"), "detail"]
    assert row.loc[("10000004", "report_overdue"), "detail"] == "annual report 2024 not filed"
    # no person key leaks into the alerts
    assert not alerts.apply(lambda c: c.str.contains("p1|p2|p3|p4")).any().any()


def test_no_change_no_alert_and_small_moves_are_quiet():
    tables = history()
    facts = company_facts(tables, DAY1, DEADLINE)
    ids = ["10000004"]
    previous = _partition(facts, {"10000004": 0.010}, {"10000004": "I"}, ids)
    current = _partition(facts, {"10000004": 0.059}, {"10000004": "I"}, ids)
    alerts = build_alerts(previous, current, facts, board_changes(tables, DAY1, DAY1), DAY1, CFG)
    assert alerts.empty and list(alerts.columns) == list(ALERT_COLUMNS)


@pytest.mark.parametrize(
    ("before", "after", "grown"),
    [
        (1000.0, 1001.0, False),  # a day's interest
        (1000.0, 1099.0, False),  # 9.9 %: below the share
        (1000.0, 1100.0, True),  # 10 % and 100 EUR
        (20000.0, 20900.0, False),  # 900 EUR, but 4.5 %
        (500.0, 590.0, False),  # 18 %, but 90 EUR
    ],
)
def test_a_tax_debt_grows_in_an_alert_only_by_the_configured_share_and_amount(before, after, grown):
    tables = history()
    facts = company_facts(tables, DAY1, DEADLINE)
    ids = ["10000004"]
    previous = _partition(facts, {"10000004": 0.01}, {"10000004": "I"}, ids)
    current = previous.copy()
    previous["tax_debt"], current["tax_debt"] = before, after
    alerts = build_alerts(previous, current, facts, board_changes(tables, DAY1, DAY1), DAY1, CFG)
    assert (alerts["kind"] == "tax_debt_grown").any() == grown
    loose = dataclasses.replace(CFG, alert_debt_growth=0.0, alert_debt_growth_eur=0.0)
    alerts = build_alerts(previous, current, facts, board_changes(tables, DAY1, DAY1), DAY1, loose)
    assert (alerts["kind"] == "tax_debt_grown").any()  # every euro, when so configured


@pytest.mark.parametrize("months", [3, 6, 9])
def test_features_and_facts_share_the_one_report_deadline(months):
    """`features.report_deadline_months` is the only deadline: on the day the model's feature
    first counts the 2025 report as missing, the fact, the reason and the alert say it is
    overdue, and not a day earlier."""
    params = params_from_dict({"features": {"report_deadline_months": months}})
    tables = history()
    filed = tables["annual_reports"].iloc[[0]]  # 10000001 filed 2024: add 2019..2023 on time
    earlier = [
        filed.assign(
            report_id=f"r{year}",
            fiscal_year=year,
            period_start=T(f"{year}-01-01"),
            period_end=T(f"{year}-12-31"),
            submitted_on=T(f"{year + 1}-03-01"),
            published_on=T(f"{year + 1}-03-15"),
        )
        for year in range(2019, 2024)
    ]
    tables["annual_reports"] = pd.concat([tables["annual_reports"], *earlier], ignore_index=True)
    deadline = (T("2025-12-31") + pd.DateOffset(months=months)).date()
    day_after = deadline + dt.timedelta(days=1)
    company = "10000001"

    def missing_feature(day: dt.date) -> float:
        got = descriptive_features(
            tables["companies"],
            tables["annual_reports"],
            pd.Index([company], name="company_id"),
            T(day),
            params.features,
        )
        return got.loc[company, "desc__reports_missing"]

    deadline_months = params.features.report_deadline_months
    before = company_facts(tables, deadline, deadline_months)
    after = company_facts(tables, day_after, deadline_months)
    assert missing_feature(deadline) == 0 and np.isnan(before.loc[company, "overdue_report_year"])
    assert missing_feature(day_after) == 1 and after.loc[company, "overdue_report_year"] == 2025
    assert fact_texts(before).loc[company, "report_fact"] == ""
    assert fact_texts(after).loc[company, "report_fact"] == "annual report 2025 not filed"
    ids = [company]
    alerts = build_alerts(
        _partition(before, {company: 0.03}, {company: "II"}, ids),
        _partition(after, {company: 0.03}, {company: "II"}, ids),
        after,
        board_changes(tables, deadline, day_after),
        day_after,
        CFG,
    )
    overdue = alerts.loc[alerts["kind"] == "report_overdue"]
    assert overdue["company_id"].tolist() == [company]
    assert overdue["detail"].tolist() == ["annual report 2025 not filed"]


def test_a_register_fact_the_latest_version_lacks_stays_missing():
    """The facts take the company's latest register version as it is: a capital the latest
    version does not give is not filled in from an older version."""
    tables = history()
    companies = tables["companies"]
    newer = companies.loc[companies["company_id"] == "10000004"].copy()
    newer["valid_from"] = T("2025-09-01")
    newer["capital"] = np.nan
    newer["name"] = "Firma Uus OÜ"
    tables["companies"] = pd.concat([companies, newer], ignore_index=True).sort_values(
        ["company_id", "valid_from"], kind="stable"
    )
    facts = company_facts(tables, DAY1, DEADLINE)
    assert facts.loc["10000004", "name"] == "Firma Uus OÜ"
    assert np.isnan(facts.loc["10000004", "capital"])
    assert facts.loc["10000001", "capital"] == 2500.0
