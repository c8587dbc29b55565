"""The plain facts about each company on date D, read point-in-time from the history tables.

Credit rules, alerts and reasons quote facts ("tax debt 4,210 € for 95 days", "annual report
2024 not filed"), not model features: a credit officer must be able to check them against the
register. Every fact obeys the point-in-time rule: only what was published by D counts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from company_risk.features.descriptive import due_year
from company_risk.formats import BOARD_ROLES

# the register's own description of the company at D (company_risk.schemas companies)
REGISTER_FACTS = {
    "name": "str",
    "legal_form": "str",  # the general data's short code: OÜ, AS, ...
    "county": "str",
    "ehak_code": "str",  # the address's administrative unit
    "nace_code": "str",  # main activity
    "capital": "float64",  # share capital, in its currency
    "vat_number": "str",  # "" when not VAT-registered
}
FACT_COLUMNS = {
    **REGISTER_FACTS,
    "status": "str",  # R L N K at D ("K" for a company deleted or gone from the register)
    "tax_debt": "float64",  # EUR on the latest tax-debtor list <= D; 0 when not listed
    "tax_debt_days": "float64",  # days since the oldest unpaid claim fell due; NaN without debt
    "board_size": "int64",  # current board members (management board) at D
    "last_report_year": "float64",  # latest published annual report's financial year; NaN none
    "revenue": "float64",  # from that report
    "equity": "float64",
    "overdue_report_year": "float64",  # latest financial year whose report is overdue; NaN none
    "overdue_reports": "int64",  # how many years' reports are overdue
}


def company_facts(
    tables: dict[str, pd.DataFrame],
    date: dt.date,
    report_deadline_months: int,
    board_roles: tuple[str, ...] = BOARD_ROLES,
) -> pd.DataFrame:
    """One row per company known by `date` (index company_id), columns `FACT_COLUMNS`.

    `report_deadline_months` is `features.report_deadline_months`, and the year that falls
    due is the features' own `due_year`, so a fact and a feature never disagree on overdue;
    `board_roles` is `features.graph.roles`, so the board size a reason cites is the board the
    graph features see."""
    t = pd.Timestamp(date)
    companies = tables["companies"]
    known = companies.loc[companies["valid_from"] <= t]
    first_registered = known.groupby("company_id")["first_registered"].min()
    out = pd.DataFrame(index=pd.Index(first_registered.index.astype("str"), name="company_id"))
    source = {c: c for c in REGISTER_FACTS} | {"legal_form": "legal_form_code"}
    # the latest version as it is (`groupby.last` would fill a value the latest version lacks
    # from an older one); the table is kept sorted by company_id, valid_from (ingest.store)
    register = known.drop_duplicates("company_id", keep="last").set_index("company_id")
    register = register[list(source.values())].set_axis(list(source), axis=1).reindex(out.index)
    out[list(REGISTER_FACTS)] = register.fillna(
        {c: "" for c, t in REGISTER_FACTS.items() if t == "str"}
    )

    status = tables["status_history"]
    status = status.loc[(status["published_on"] <= t) & (status["valid_from"] <= t)]
    status = status.sort_values(["company_id", "valid_from", "published_on"], kind="stable")
    out["status"] = status.groupby("company_id")["status"].last().reindex(out.index).fillna("K")

    out[["tax_debt", "tax_debt_days"]] = _tax_debt(tables, t).reindex(out.index)
    out["tax_debt"] = out["tax_debt"].fillna(0.0)

    roles = tables["board_roles"]
    board = roles.loc[
        roles["role"].isin(board_roles)
        & (roles["published_on"] <= t)
        & (roles["end_date"].isna() | (roles["end_date"] > t))
    ]
    out["board_size"] = board.groupby("company_id").size().reindex(out.index, fill_value=0)

    reports = tables["annual_reports"]
    reports = reports.loc[(reports["published_on"] <= t) & (reports["submitted_on"] <= t)]
    last = reports.sort_values(["company_id", "fiscal_year", "submitted_on"], kind="stable")
    last = last.groupby("company_id")[["fiscal_year", "revenue", "equity"]].last()
    last = last.reindex(out.index)
    out["last_report_year"] = last["fiscal_year"].astype("float64")
    out["revenue"] = last["revenue"].astype("float64")
    out["equity"] = last["equity"].astype("float64")

    due = due_year(t, report_deadline_months)
    first_year = first_registered.reindex(out.index).dt.year.to_numpy(dtype="float64")
    first_missing = np.fmax(out["last_report_year"].to_numpy() + 1, first_year)
    overdue = np.where(first_missing <= due, due - first_missing + 1, 0).astype("int64")
    out["overdue_reports"] = overdue
    out["overdue_report_year"] = np.where(overdue > 0, float(due), np.nan)
    return out.astype(FACT_COLUMNS)


def _tax_debt(tables: dict[str, pd.DataFrame], t: pd.Timestamp) -> pd.DataFrame:
    """Debt and its age on the latest tax-debtor list published by t."""
    lists = tables["tax_debt_lists"]
    published = lists.loc[lists["as_of"] <= t, "as_of"]
    empty = pd.DataFrame(
        {"tax_debt": pd.Series(dtype="float64"), "tax_debt_days": pd.Series(dtype="float64")}
    )
    if published.empty:
        return empty
    latest = published.max()
    debts = tables["tax_debts"]
    debts = debts.loc[debts["as_of"] == latest].set_index("company_id")
    days = (latest - debts["oldest_due"]).dt.days.astype("float64")
    return pd.DataFrame({"tax_debt": debts["debt"].astype("float64"), "tax_debt_days": days})


def board_changes(tables: dict[str, pd.DataFrame], since: dt.date, until: dt.date) -> pd.DataFrame:
    """Board members (management board) added or removed as published in the drops dated (since, until]:
    company_id, kind ("board_added" | "board_removed"). One row per person and event; the person
    is not named (no personal data leaves the history tables)."""
    a, b = pd.Timestamp(since), pd.Timestamp(until)
    roles = tables["board_roles"]
    roles = roles.loc[roles["role"].isin(BOARD_ROLES)]
    added = roles.loc[(roles["published_on"] > a) & (roles["published_on"] <= b), ["company_id"]]
    removed = roles.loc[
        (roles["end_date"] > a) & (roles["end_date"] <= b) & (roles["published_on"] <= a),
        ["company_id"],
    ]
    return pd.concat(
        [added.assign(kind="board_added"), removed.assign(kind="board_removed")], ignore_index=True
    ).astype({"company_id": "str", "kind": "str"})
