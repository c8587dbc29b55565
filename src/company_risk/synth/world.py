"""The synthetic world as tables: what the simulation produces and the drop writer renders.

`simulate` (company_risk.synth.simulate) fills a `World`; `write_drops`
(company_risk.synth.drops) turns it into dated drops of the real open-data files; the truth part
goes to `data/truth/` for evaluation only. Keeping this boundary as plain DataFrames lets the
writer be tested on a hand-made world of three companies, and the simulation on its statistics.

Dates are `datetime64[us]`; an open end is NaT. Columns marked *surface* only make the files
look real (they never feed the dynamics); the writer falls back to plain defaults where a
hand-made world leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class World:
    drop_dates: list[pd.Timestamp]
    """Every date a drop is published: monthly from start to end, then daily for the tail."""

    persons: pd.DataFrame
    """The natural persons on the boards: person_id, first_name, last_name, birth_date,
    personal_code (synthetic 11-digit isikukood; "" for a foreign person), trust (latent, truth
    only), serial (bool, truth only), and the surface columns foreign (bool: no Estonian
    personal code, ~4.5 %), country (ISO 3166 alpha-3, "EST" for Estonians), town (a foreign
    person's address). person_id is the register's `isikukood_hash` (a name-based UUID of the
    personal code, laid out like "df5a7601-2eee-53ad-b7a7-cebcca1541cc"); a foreign person has
    none in the register, and their person_id is an internal key that is never written."""

    companies: pd.DataFrame
    """company_id (8-digit str), name, legal_form (text, e.g. "Osaühing"), legal_form_code
    (e.g. "OÜ"), legal_form_subtype, registered_on, capital (EUR, the share capital the
    simulation uses), sector (EMTAK 2008 letter), emtak_code, emtak_text (EMTAK 2008), ehak_code,
    county (e.g. "Harju maakond"), address ("<street> <no>, <settlement>"), vat_from (NaT if
    never VAT-registered), vat_until (NaT if still), vat_number; surface: capital_new and
    capital_changed_on (a later change of the share capital; NaN/NaT if none), emtak_2025_code,
    emtak_2025_text and emtak_2025_from (the same activity in EMTAK 2025, in the register from
    that date, the EMTAK 2008 entry closed the day before; NaT = never), postcode, email (a
    contact address, "" = none; sometimes a board member's own), card_region (kaardi_piirkond),
    card_duplicate (the register lists this company's board entries twice, as the real file
    does for a handful of entries)."""

    status_events: pd.DataFrame
    """company_id, status (R/L/N/K), start_date. Every company starts with R at registered_on."""

    board_roles: pd.DataFrame
    """The management board: company_id, person_id, role (formats.BOARD_ROLES: mostly JUHL, a
    sole member sometimes JUHA, a chairman JUHE), start_date, end_date (NaT = current),
    kirje_id. A hand-made world may list other registry-card roles here too (PROK, LIKV, ...)."""

    tax_debts: pd.DataFrame
    """company_id, as_of (a drop date), debt, disputed, scheduled, schedule_end, oldest_due: the
    tax-debtor list of every drop date (companies absent from a date have no listed debt)."""

    annual_reports: pd.DataFrame
    """report_id, company_id, fiscal_year, period_start, period_end, submitted_on, audited,
    consolidated, and the elements revenue, net_profit, equity, assets, current_assets,
    current_liabilities, non_current_liabilities, cash, labour_expense, employees; surface
    (company_risk.synth._identity.report_surface): category, category_minimal,
    audit_engagement, auditor_opinion, emphasis_of_matter, other_matter, going_concern,
    audit_firm (the audit columns as the file writes them), filled_report_id (elements filed
    under this id; "" = none), scheme (1/2: LaborExpense or EmployeeExpense), detailed_copy,
    note_copy, disagreeing_copy (an element name or ""), pdf_rows."""

    tax_payments: pd.DataFrame
    """company_id, year, quarter (1..4, EMTA's quarters: I = December of the previous year to
    February, ..., IV = September to November), state_taxes, labour_taxes, turnover, employees,
    published_on (the date EMTA publishes that quarter, ten days after it ends)."""

    truth_latent: pd.DataFrame
    """company_id, month (first day), health (latent), plus any other latent state: truth only."""

    truth_exits: pd.DataFrame
    """company_id, exit_date, kind ("bankrupt" | "deleted" | "liquidated"), default (bool)."""

    truth_pd: pd.DataFrame
    """company_id, month, pd_12m: the true probability that the company defaults (by the label
    rule) within 12 months after that month's snapshot, estimated by forward simulation."""

    card_roles: pd.DataFrame | None = None
    """Surface: the registry card's roles other than the board (procurators, supervisory
    board, partners, share-register keeper, liquidators, trustees), never board seats; columns
    company_risk.synth._identity.CARD_ROLE_COLUMNS: company_id, role, kind
    (formats.PERSON_KINDS), person_id (hash of an Estonian natural person, else ""),
    first_name, name, birth_date, country, town, registry_code (an Estonian legal person: a
    company-company link), foreign_code, contribution, start_date, end_date, kirje_id.
    None = no such roles."""
