"""Reading and checking the interim history tables (the contract in company_risk.schemas).

Features trust nothing about their input: a missing table or column, or a column that cannot
take its schema dtype, fails here with the table and column named, not deep inside a join.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from company_risk.artifacts import interim_table
from company_risk.features import FeatureError
from company_risk.schemas import INTERIM_TABLES


def load_interim(interim: Path) -> dict[str, pd.DataFrame]:
    """Every table of `schemas.INTERIM_TABLES` from `<interim>/<name>.parquet`, checked."""
    interim = Path(interim)
    tables = {}
    for name in INTERIM_TABLES:
        path = interim_table(interim, name)
        if not path.exists():
            raise FeatureError(
                f"interim table {name} not found: {path} (run `company-risk ingest`)"
            )
        tables[name] = pd.read_parquet(path)
    return check_tables(tables)


def check_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with exactly the schema's columns and dtypes, or a FeatureError naming the
    table and column that do not fit (extra columns are dropped, compatible dtypes converted)."""
    out = {}
    for name, schema in INTERIM_TABLES.items():
        if name not in tables:
            raise FeatureError(f"interim table {name} is missing")
        df = tables[name].reset_index(drop=True)
        missing = [c for c in schema if c not in df.columns]
        if missing:
            raise FeatureError(f"interim table {name}: missing column(s) {', '.join(missing)}")
        columns = {}
        for column, dtype in schema.items():
            values = df[column]
            if str(values.dtype) == dtype:
                columns[column] = values
                continue
            try:
                columns[column] = values.astype(dtype)
            except (TypeError, ValueError) as exc:
                raise FeatureError(
                    f"interim table {name}: column {column} has dtype {values.dtype}, "
                    f"which does not convert to {dtype}: {exc}"
                ) from exc
        out[name] = pd.DataFrame(columns, index=df.index)
    return out
