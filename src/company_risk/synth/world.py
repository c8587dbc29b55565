"""The synthetic world as tables: what the simulation produces and the drop writer renders.

`simulate` (company_risk.synth.simulate) fills a `World`; `write_drops`
(company_risk.synth.drops) turns it into dated drops of the real open-data files; the truth part
goes to `data/truth/` for evaluation only. Keeping this boundary as plain DataFrames lets the
writer be tested on a hand-made world of three companies, and the simulation on its statistics.

Dates are `datetime64[us]`; an open end is NaT.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class World:
    drop_dates: list[pd.Timestamp]
    """Every date a drop is published: monthly from start to end, then daily for the tail."""

    persons: pd.DataFrame
    """person_id (isikukood_hash, 64 hex chars), first_name, last_name, birth_date,
    personal_code (synthetic 11-digit isikukood; written to the files as reality does, never past
    ingest), trust (latent, truth only), serial (bool, truth only)."""

    companies: pd.DataFrame
    """company_id (8-digit str), name, legal_form (text, e.g. "Osaühing"), legal_form_code
    (e.g. "OÜ"), legal_form_subtype, registered_on, capital (EUR), sector (EMTAK letter),
    emtak_code, emtak_text, ehak_code, county (e.g. "Harju maakond"), address, vat_from (NaT if
    never VAT-registered), vat_until (NaT if still), vat_number."""

    status_events: pd.DataFrame
    """company_id, status (R/L/N/K), start_date. Every company starts with R at registered_on."""

    board_roles: pd.DataFrame
    """company_id, person_id, role (JUHL, ...), start_date, end_date (NaT = current), kirje_id."""

    tax_debts: pd.DataFrame
    """company_id, as_of (a drop date), debt, disputed, scheduled, schedule_end, oldest_due: the
    tax-debtor list of every drop date (companies absent from a date have no listed debt)."""

    annual_reports: pd.DataFrame
    """report_id, company_id, fiscal_year, period_start, period_end, submitted_on, audited,
    consolidated, and the elements revenue, net_profit, equity, assets, current_assets,
    current_liabilities, non_current_liabilities, cash, labour_expense, employees."""

    tax_payments: pd.DataFrame
    """company_id, year, quarter (1..4), state_taxes, labour_taxes, turnover, employees,
    published_on (the date EMTA publishes that quarter, ~10th day of the following month)."""

    truth_latent: pd.DataFrame
    """company_id, month (first day), health (latent), plus any other latent state: truth only."""

    truth_exits: pd.DataFrame
    """company_id, exit_date, kind ("bankrupt" | "deleted" | "liquidated"), default (bool)."""

    truth_pd: pd.DataFrame
    """company_id, month, pd_12m: the true probability that the company defaults (by the label
    rule) within 12 months after that month's snapshot, estimated by forward simulation."""
