"""The portfolio's figures on a hand-made ledger over a hand-made scored day: every ageing
bucket, each not-scored bucket, over the limit, no recommendation, unlikely collections,
unknown customers, expected loss both ways, the largest exposures, and the JSON form."""

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from builders import Tables
from company_risk.artifacts import interim_table
from company_risk.config import ConfigError, FeaturesConfig, PortfolioConfig, params_from_dict
from company_risk.portfolio.customers import customer_statuses, read_customer_history
from company_risk.portfolio.figures import BUCKETS, ageing_labels, build_portfolio
from company_risk.portfolio.ledger import parse_ledger
from company_risk.portfolio.page import render_page
from company_risk.portfolio.run import write_outputs

D = dt.date(2025, 10, 3)
CFG = PortfolioConfig(eur_rates={"USD": 0.9}, top_exposures=3)
MONTH = 365.25 / 12

SCORES = pd.DataFrame(
    {
        "company_id": ["10000001", "10000002", "10000003", "10000004"],
        "name": ["Alfa OÜ", "Beeta OÜ", "Gamma AS", "Delta OÜ"],
        "probability": [0.012, 0.08, 0.40, 0.03],
        "pd_3m": [0.003, 0.02, 0.12, 0.006],
        "pd_6m": [0.006, 0.04, 0.22, 0.012],
        "pd_9m": [0.009, 0.06, 0.32, 0.02],
        "risk_class": ["I", "III", "V", "II"],
        "class_name": ["very low", "moderate", "very high", "low"],
        "recommendation": ["credit", "credit", "no credit sale", "no recommendation"],
        "credit_limit": [10000.0, 1000.0, 0.0, np.nan],
        "reason_1": ["", "", "", ""],  # other columns of the day are not read
    }
)
STATUSES = pd.DataFrame(
    {
        "status": ["R", "N", "L", "K", "R"],
        "name": ["Alfa OÜ", "Epsilon OÜ", "Zeta OÜ", "Eta OÜ", ""],
    },
    index=pd.Index(["10000001", "10000005", "10000006", "10000007", "80000008"], name="company_id"),
)
LEDGER = """registry_code,invoice,amount,currency,issue_date,due_date,paid
10000001,A1,1000,EUR,2025-09-01,2025-10-03,
10000001,A2,1000,EUR,2025-09-01,2025-10-02,
10000001,A3,1000,EUR,2025-08-01,2025-09-03,
10000001,A4,1000,EUR,2025-08-01,2025-09-02,
10000001,A5,1000,EUR,2025-06-01,2025-07-05,
10000001,A6,1000,EUR,2025-06-01,2025-07-04,
10000002,B1,1500,EUR,2025-09-01,2026-05-19,
10000002,B2,600,EUR,2025-09-01,2025-12-03,100
10000003,C1,300,EUR,2025-08-01,2025-09-01,
10000004,D1,400,EUR,2025-10-01,2025-11-03,
10000005,E1,700,EUR,2025-08-01,2025-09-01,
10000006,F1,800,EUR,2025-08-01,2025-11-01,
10000007,G1,900,EUR,2025-08-01,2025-09-01,
80000008,H1,100,EUR,2025-08-01,2025-11-01,
99999999,U1,250,EUR,2025-09-01,2025-10-10,
99999999,U2,50,USD,2025-09-01,2025-10-10,
10000001,A7,200,EUR,2025-09-01,2025-10-01,200
10000002,B1,99,EUR,2025-09-01,2025-10-01,
10000001,A8,2000,EUR,2025-09-01,2027-01-01,
"""


@pytest.fixture(scope="module")
def portfolio():
    ledger = parse_ledger(LEDGER.encode(), "ledger.csv", CFG)
    return build_portfolio(ledger, SCORES, STATUSES, D, CFG)


def by_invoice(portfolio, column):
    return dict(zip(portfolio.invoices["invoice"], portfolio.invoices[column], strict=True))


def test_every_invoice_open_is_valued_and_the_rest_counted(portfolio):
    invoices = portfolio.invoices
    assert invoices["invoice"].tolist() == [
        *["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "C1", "D1", "E1", "F1", "G1", "H1"],
        *["U1", "U2", "A8"],
    ]
    t = portfolio.totals
    assert (t["invoices"], t["customers"], t["rows_read"]) == (17, 9, 19)
    assert (t["settled_invoices"], t["bad_rows"]) == (1, 1)  # A7 paid in full; B1 twice
    assert t["open_eur"] == 8000 + 2000 + 300 + 400 + 700 + 800 + 900 + 100 + 295
    assert by_invoice(portfolio, "open_eur")["B2"] == 500
    assert by_invoice(portfolio, "open_eur")["U2"] == 45  # 50 USD at 0.9


def test_each_customer_lands_in_its_class_or_in_what_the_register_says(portfolio):
    classes = by_invoice(portfolio, "risk_class")
    assert [classes[i] for i in ("A1", "D1", "B1", "C1")] == ["I", "II", "III", "V"]
    assert [classes[i] for i in ("E1", "F1", "G1", "H1", "U1")] == [
        "bankrupt",
        "in liquidation",
        "deleted",
        "not scored",
        "unknown",
    ]
    statuses = by_invoice(portfolio, "status")
    assert (statuses["A1"], statuses["E1"], statuses["U1"]) == ("R", "N", "")
    names = by_invoice(portfolio, "name")
    assert (names["A1"], names["E1"], names["H1"], names["U1"]) == ("Alfa OÜ", "Epsilon OÜ", "", "")
    table = portfolio.by_class
    assert table.index.tolist() == list(BUCKETS)
    assert table["invoices"].to_dict() == {
        "I": 7,
        "II": 1,
        "III": 2,
        "IV": 0,
        "V": 1,
        "not scored": 1,
        "in liquidation": 1,
        "bankrupt": 1,
        "deleted": 1,
        "unknown": 2,
    }
    assert table.loc["unknown", "customers"] == 1
    assert table.loc["I", "open_eur"] == 8000
    assert table["share"].sum() == pytest.approx(1.0, abs=1e-3)


def test_every_ageing_bucket_by_days_overdue(portfolio):
    ageing = by_invoice(portfolio, "ageing")
    days = by_invoice(portfolio, "days_overdue")
    expected = {
        "A1": (0, "not due"),
        "A2": (1, "1-30"),
        "A3": (30, "1-30"),
        "A4": (31, "31-60"),
        "A5": (90, "61-90"),
        "A6": (91, "over 90"),
        "C1": (32, "31-60"),
    }
    assert {i: (days[i], ageing[i]) for i in expected} == expected
    row = portfolio.ageing.loc["I"]
    assert row.to_dict() == {
        "not due": 3000.0,  # A1 and A8
        "1-30": 2000.0,
        "31-60": 1000.0,
        "61-90": 1000.0,
        "over 90": 1000.0,
        "total": 8000.0,
    }
    assert portfolio.ageing["total"].sum() == portfolio.totals["open_eur"]
    assert portfolio.totals["overdue_eur"] == 5000 + 300 + 700 + 900


def test_expected_loss_over_12_months_and_over_the_remaining_term(portfolio):
    twelve = by_invoice(portfolio, "expected_loss_12m")
    assert twelve["A1"] == 12.0 and twelve["B2"] == 40.0 and twelve["C1"] == 120.0
    assert np.isnan(twelve["E1"]) and np.isnan(twelve["U1"])  # no probability, no figure
    assert portfolio.by_class["expected_loss_12m"].loc[["I", "II", "III", "IV", "V"]].tolist() == [
        96.0,
        12.0,
        160.0,
        0.0,
        120.0,
    ]
    assert portfolio.totals["expected_loss_12m"] == 388.0
    pd_term = by_invoice(portfolio, "pd_term")
    assert pd_term["A1"] == 0.0  # due today: no term left
    assert pd_term["A2"] == pd_term["A6"] == 0.003  # overdue: the 3-month figure
    assert pd_term["A8"] == 0.012  # beyond 12 months: the 12-month figure
    b1_months = 228 / MONTH  # 2026-05-19 is 228 days after D: between 6 and 9 months
    assert pd_term["B1"] == pytest.approx(0.04 + (b1_months - 6) / 3 * (0.06 - 0.04))
    assert pd_term["B2"] == pytest.approx(0.02 * (61 / MONTH) / 3)  # between 0 and 3 months
    term = by_invoice(portfolio, "expected_loss_term")
    assert term["A8"] == 24.0 and term["C1"] == 36.0
    assert term["B1"] == round(1500 * pd_term["B1"], 2)
    assert portfolio.by_class.loc["I", "expected_loss_term"] == 5 * 3.0 + 24.0
    assert portfolio.term_structure


def test_over_the_limit_and_no_recommendation(portfolio):
    listed = portfolio.over_limit
    assert listed["registry_code"].tolist() == ["10000002", "10000003", "10000004"]
    assert listed["over_by"].tolist()[:2] == [1000.0, 300.0]  # a zero limit: all of it
    assert np.isnan(listed["over_by"].tolist()[2])
    assert listed["reason"].tolist() == [
        "over the limit",
        "over the limit",
        "no recommendation",
    ]
    flags = by_invoice(portfolio, "over_limit")
    assert flags["B1"] and flags["B2"] and flags["C1"]
    assert not flags["A8"] and not flags["D1"]  # within 10,000; no limit to exceed
    assert portfolio.totals["over_limit_customers"] == 2
    assert portfolio.totals["no_recommendation_customers"] == 1


def test_unlikely_collections_and_unknown_customers(portfolio):
    unlikely = portfolio.unlikely
    assert dict(zip(unlikely["invoice"], unlikely["why"], strict=True)) == {
        "G1": "deleted",
        "F1": "in liquidation",
        "E1": "bankrupt",
        "C1": "class V",
    }
    assert unlikely["open_eur"].tolist() == [900.0, 800.0, 700.0, 300.0]  # the largest first
    assert portfolio.totals["unlikely_eur"] == 2700.0
    flags = by_invoice(portfolio, "collection_unlikely")
    assert not flags["H1"] and not flags["U1"] and not flags["B1"]
    unknown = portfolio.unknown
    assert unknown.to_dict("records") == [
        {"registry_code": "99999999", "invoices": 2, "open_eur": 295.0, "first_line": 16}
    ]
    assert by_invoice(portfolio, "unknown_customer")["U2"]
    assert portfolio.totals["unknown_customers"] == 1


def test_the_largest_exposures(portfolio):
    top = portfolio.top_exposures
    assert top["registry_code"].tolist() == ["10000001", "10000002", "10000007"]  # top 3
    assert top["open_eur"].tolist() == [8000.0, 2000.0, 900.0]
    assert top["share"].iloc[0] == round(8000 / portfolio.totals["open_eur"], 4)
    assert top["risk_class"].tolist() == ["I", "III", "deleted"]


def test_the_json_form(portfolio):
    data = json.loads(json.dumps(portfolio.to_dict(invoices=True), allow_nan=False))
    assert data["date"] == "2025-10-03" and data["term_structure"] is True
    assert [row["risk_class"] for row in data["by_class"]] == list(BUCKETS)
    bankrupt = next(row for row in data["by_class"] if row["risk_class"] == "bankrupt")
    assert bankrupt["expected_loss_12m"] is None and bankrupt["open_eur"] == 700.0
    assert data["totals"]["expected_loss_12m"] == 388.0
    assert [(r["line"], r["field"]) for r in data["bad_rows"]] == [(19, "invoice")]
    invoice = next(r for r in data["invoices"] if r["invoice"] == "A1")
    assert invoice["due_date"] == "2025-10-03" and invoice["over_limit"] is False
    assert len(data["invoices"]) == 17 and "invoices" not in portfolio.to_dict()


def test_without_a_term_structure_the_term_figure_is_empty():
    ledger = parse_ledger(LEDGER.encode(), "ledger.csv", CFG)
    scores = SCORES.drop(columns=["pd_3m", "pd_6m", "pd_9m"])
    portfolio = build_portfolio(ledger, scores, STATUSES, D, CFG)
    assert not portfolio.term_structure
    assert portfolio.invoices["pd_term"].isna().all()
    assert portfolio.totals["expected_loss_term"] is None
    assert portfolio.totals["expected_loss_12m"] == 388.0


def test_ageing_buckets_follow_the_params():
    assert ageing_labels((15, 45)) == ("not due", "1-15", "16-45", "over 45")
    ledger = parse_ledger(LEDGER.encode(), "ledger.csv", CFG)
    cfg = PortfolioConfig(eur_rates={"USD": 0.9}, ageing_days=(15, 45))
    portfolio = build_portfolio(ledger, SCORES, STATUSES, D, cfg)
    assert by_invoice(portfolio, "ageing")["A3"] == "16-45"
    assert list(portfolio.ageing.columns) == ["not due", "1-15", "16-45", "over 45", "total"]
    for bad in ([60, 30], [], [0, 30]):
        with pytest.raises(ConfigError, match=r"portfolio\.ageing_days"):
            params_from_dict({"portfolio": {"ageing_days": bad}})


def test_statuses_come_from_the_history_at_d_and_only_business_names(tmp_path):
    tables = (
        Tables()
        .company("10000001", "2012-01-01")
        .company("10000002", "2012-01-01")
        .company(
            "10000003",
            "2012-01-01",
            legal_form="Füüsilisest isikust ettevõtja",
            legal_form_code="FIE",
        )
        .company("10000004", "2024-06-01")
        .status("10000002", "K", "2024-03-01")
        .status("10000004", "N", "2025-11-01")  # after D: not yet
    )
    built = tables.build()
    for name, frame in built.items():
        frame.to_parquet(interim_table(tmp_path, name), index=False)
    codes = ["10000002", "10000003", "10000004", "99999999"]
    history = read_customer_history(tmp_path, codes)
    assert set(history["companies"]["company_id"]) == {"10000002", "10000003", "10000004"}
    statuses = customer_statuses(history, D, FeaturesConfig())
    assert statuses.to_dict("index") == {
        "10000002": {"status": "K", "name": "Firma 10000002"},
        "10000003": {"status": "R", "name": ""},  # a sole trader's name is a person's
        "10000004": {"status": "R", "name": "Firma 10000004"},
    }
    assert len(customer_statuses(read_customer_history(tmp_path, None), D, FeaturesConfig())) == 4


def test_the_page_is_self_contained_and_holds_every_table(portfolio):
    page = render_page(portfolio, table_rows=2)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", page, re.IGNORECASE)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    images = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(images) == 3 and all(src.startswith("data:image/png;base64,") for src in images)
    for heading in (
        "Open amount by risk class",
        "Ageing: open amount by days overdue",
        "Expected loss by risk class",
        "Largest exposures",
        "Customers over their limit or with no recommendation",
        "Invoices unlikely to be collected",
        "Customers not on the register",
        "Rows left out of the figures",
    ):
        assert f"<h2>{heading}</h2>" in page
    # four unlikely invoices, two shown, the rest pointed to
    assert "… and 2 more in portfolio.csv (flag collection_unlikely)" in page
    assert "invoice B1 of customer 10000002 is already on line 8" in page
    assert "Eta OÜ" in page and "99999999" in page


def test_the_page_escapes_what_the_ledger_says():
    text = LEDGER.replace("G1,900", "<b>G1</b>,900")
    portfolio = build_portfolio(
        parse_ledger(text.encode(), "<x>.csv", CFG), SCORES, STATUSES, D, CFG
    )
    page = render_page(portfolio, table_rows=50)
    assert "<b>G1</b>" not in page and "&lt;b&gt;G1&lt;/b&gt;" in page
    assert "&lt;x&gt;.csv" in page


def test_the_files_hold_one_row_per_invoice(portfolio, tmp_path):
    written = write_outputs(portfolio, tmp_path, table_rows=10)
    assert sorted(p.name for p in written) == [
        "bad_rows.csv",
        "portfolio.csv",
        "portfolio.html",
        "portfolio.parquet",
    ]
    table = pd.read_csv(tmp_path / "portfolio.csv", dtype={"registry_code": "str"})
    assert len(table) == 17 and list(table.columns) == list(portfolio.invoices.columns)
    row = table.loc[table["invoice"] == "C1"].iloc[0]
    assert row["registry_code"] == "10000003" and row["name"] == "Gamma AS"
    assert (row["risk_class"], row["credit_limit"], row["recommendation"]) == (
        "V",
        0.0,
        "no credit sale",
    )
    assert (row["ageing"], row["due_date"], row["expected_loss_12m"]) == (
        "31-60",
        "2025-09-01",
        120.0,
    )
    assert (
        bool(row["over_limit"]) and bool(row["collection_unlikely"]) and not row["unknown_customer"]
    )
    typed = pd.read_parquet(tmp_path / "portfolio.parquet")
    assert len(typed) == 17 and str(typed["due_date"].dtype).startswith("datetime64")
    assert typed["over_limit"].dtype == bool and typed["unknown_customer"].sum() == 2
    assert typed["ageing"].cat.categories.tolist() == list(ageing_labels(CFG.ageing_days))
    bad = pd.read_csv(tmp_path / "bad_rows.csv")
    assert bad[["line", "field"]].values.tolist() == [[19, "invoice"]]
