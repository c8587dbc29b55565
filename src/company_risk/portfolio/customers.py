"""The customers a scored day does not hold, and what the register says of them at D.

A ledger bills companies the partition does not score: companies in liquidation, bankrupt or
deleted (the invoices least likely to be paid), non-profits and sole traders (never scored),
and codes the register never had. Their status at D is scoring's own fact (`company_facts`,
point-in-time: only what was published by D counts), computed on the history tables cut to
those customers, so a ledger of a few thousand customers does not read the whole register.

Names: a business company's name is the register's; a sole trader's (FIE) is a person's name,
so only the names of business forms (`formats.BUSINESS_LEGAL_FORMS`) are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from company_risk.artifacts import interim_table
from company_risk.config import FeaturesConfig
from company_risk.features.tables import check_tables
from company_risk.formats import BUSINESS_LEGAL_FORMS
from company_risk.portfolio import PortfolioError
from company_risk.schemas import INTERIM_TABLES
from company_risk.scoring.facts import company_facts

STATUS_COLUMNS = {"status": "str", "name": "str"}  # of `customer_statuses`, index company_id


def read_customer_history(interim: Path, codes: Collection[str] | None) -> dict[str, pd.DataFrame]:
    """The history tables (`schemas.INTERIM_TABLES`), each cut to the companies `codes` where it
    has a company_id (None: every company), checked as the features read them."""
    tables = {}
    for name, schema in INTERIM_TABLES.items():
        path = interim_table(interim, name)
        if not path.exists():
            raise PortfolioError(
                f"interim table {name} not found: {path} (run `company-risk ingest`)"
            )
        cut = codes is not None and "company_id" in schema
        filters = [("company_id", "in", sorted(codes))] if cut and codes else None
        table = pd.read_parquet(path, filters=filters)
        tables[name] = table.iloc[:0] if cut and not codes else table
    return check_tables(tables)


def customer_statuses(
    tables: dict[str, pd.DataFrame], date: dt.date, cfg: FeaturesConfig
) -> pd.DataFrame:
    """Every company the history tables know by `date` (index company_id): its status at D
    (R, L, N or K; K for one deleted or gone from the register) and its name, "" for a form
    whose name is a person's. `cfg` is the features' config, as scoring passes it."""
    facts = company_facts(tables, date, cfg.report_deadline_months, board_roles=cfg.graph.roles)
    business = facts["legal_form"].isin(BUSINESS_LEGAL_FORMS)
    return pd.DataFrame(
        {"status": facts["status"], "name": facts["name"].where(business, "")},
        index=facts.index,
    ).astype(STATUS_COLUMNS)
