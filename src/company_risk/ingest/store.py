"""Reading and writing the interim history tables as one consistent set.

The tables and the ingest log must always agree (a drop is either in all of them or in none),
so a run writes the whole set into a temporary folder and swaps it in with one rename. Each
table is checked against `company_risk.schemas` on the way in and on the way out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from company_risk.artifacts import interim_table
from company_risk.atomic import atomic_directory, recover
from company_risk.ingest.errors import IngestError
from company_risk.schemas import ADDED_COLUMNS, INTERIM_TABLES

SORT_KEYS = {
    "companies": ["company_id", "valid_from"],
    "status_history": ["company_id", "valid_from", "status"],
    "board_roles": ["company_id", "role", "person_id", "start_date", "published_on"],
    "tax_debts": ["as_of", "company_id"],
    "tax_debt_lists": ["as_of"],
    "annual_reports": ["company_id", "fiscal_year", "report_id"],
    "tax_payments": ["company_id", "year", "quarter"],
    "shareholdings": ["company_id", "person_id", "start_date", "published_on"],
    "rulings": ["company_id", "ruling_date", "ruling_no"],
    "rejected": ["drop_date", "file"],
    "ingest_files": ["drop_date", "file"],
    "defaults": ["company_id"],
    "ingest_log": ["drop_date"],
}


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in INTERIM_TABLES[name].items()})


def conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Exactly the schema's columns, in order, with its dtypes, sorted by the table's key."""
    schema = INTERIM_TABLES[name]
    df = with_added_columns(name, df)
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise IngestError(f"table {name}: missing column(s) {', '.join(missing)}")
    out = df[list(schema)].astype(schema)
    return out.sort_values(SORT_KEYS[name], kind="stable").reset_index(drop=True)


def with_added_columns(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """`df` with the columns `ADDED_COLUMNS` gave its table since, at their value, where it
    lacks them (placed as the schema orders them)."""
    added = {c: v for c, v in ADDED_COLUMNS.get(name, {}).items() if c not in df.columns}
    if not added:
        return df
    df = df.assign(**added)
    order = [c for c in INTERIM_TABLES[name] if c in df.columns]
    return df[order + [c for c in df.columns if c not in order]]


def validate(name: str, df: pd.DataFrame) -> None:
    """The schema's columns in order with its dtypes, else an error naming the table and column."""
    schema = INTERIM_TABLES[name]
    if list(df.columns) != list(schema):
        raise IngestError(f"table {name}: columns {list(df.columns)} != schema {list(schema)}")
    for column, dtype in schema.items():
        if str(df[column].dtype) != dtype:
            raise IngestError(
                f"table {name}: column {column} has dtype {df[column].dtype}, not {dtype}"
            )


def load_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The current history tables, or empty ones when nothing was ingested yet."""
    folder = Path(folder)
    recover(folder)  # a swap killed half-way: the old set back in place, not a silent restart
    present = [n for n in INTERIM_TABLES if interim_table(folder, n).exists()]
    if not present:
        return {n: empty(n) for n in INTERIM_TABLES}
    if len(present) != len(INTERIM_TABLES):
        lost = sorted(set(INTERIM_TABLES) - set(present))
        raise IngestError(f"{folder}: incomplete history tables, missing {', '.join(lost)}")
    tables = {
        n: with_added_columns(n, pd.read_parquet(interim_table(folder, n))) for n in INTERIM_TABLES
    }
    for name, df in tables.items():
        validate(name, df)
    return tables


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Validate, then replace the whole folder at once: readers see the old set or the new."""
    for name in INTERIM_TABLES:
        validate(name, tables[name])
    with atomic_directory(Path(folder)) as tmp:
        for name in INTERIM_TABLES:
            tables[name].to_parquet(interim_table(tmp, name), index=False)
