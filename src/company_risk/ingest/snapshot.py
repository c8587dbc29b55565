"""One drop folder -> one validated snapshot: what the register and EMTA said that day.

The snapshot is the unit the history tables are updated with; reading all of it before any
update means a bad file stops the run before anything changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import parse, readers
from company_risk.ingest.errors import IngestError, Source
from company_risk.ingest.files import ItemCache, drop_checksum, file_names, find_file

COMPANY_ATTRIBUTES = (
    "name",
    "legal_form",
    "legal_form_subtype",
    "vat_number",
    "first_registered",
    "ehak_code",
    "county",
    "emtak_code",
    "sector",
    "capital",
)


@dataclass(frozen=True)
class Snapshot:
    date: pd.Timestamp
    companies: pd.DataFrame  # company_id + COMPANY_ATTRIBUTES, one row per listed company
    statuses: pd.DataFrame  # company_id, status, valid_from, valid_to (listed companies only)
    roles: pd.DataFrame  # company_id, person_id, person_type, role, start_date
    debts: pd.DataFrame  # tax_debts rows
    debts_as_of: pd.Timestamp  # the list's date (the drop date when the list is empty)
    reports: pd.DataFrame  # annual_reports rows without published_on
    payments: pd.DataFrame  # tax_payments rows without published_on
    checksum: str
    files: tuple[str, ...]


def _required(folder: Path, drop: str, name: str) -> tuple[Path, Source]:
    path = find_file(folder, name)
    if path is None:
        raise IngestError(f"drop {drop}: {name}: file missing (neither {name} nor {name}.zip)")
    return path, Source(drop, name, "json" if name.endswith(".json") else "csv")


def read_drop(
    folder: Path, date: dt.date, cfg: IngestConfig, caches: dict[str, ItemCache] | None = None
) -> Snapshot:
    """Read and validate every file of one drop; `caches` (per JSON file name) carry decoded
    items over from the previous drop of the same run."""
    caches = caches or {}
    drop = date.isoformat()
    basic_path, basic_src = _required(folder, drop, F.RIK_BASIC)
    basic = readers.read_basic(basic_path, basic_src, cfg)
    general_path, general_src = _required(folder, drop, F.RIK_GENERAL)
    general, statuses = readers.read_general(
        general_path, general_src, cfg, caches.get(F.RIK_GENERAL)
    )
    persons_path, persons_src = _required(folder, drop, F.RIK_PERSONS)
    roles = readers.read_persons(persons_path, persons_src, caches.get(F.RIK_PERSONS))
    debts_path, debts_src = _required(folder, drop, F.TAX_DEBTORS)
    debts = readers.read_tax_debtors(debts_path, debts_src)

    listed = basic["company_id"]
    companies = basic.merge(general, on="company_id", how="left")
    companies = companies.assign(
        emtak_code=companies["emtak_code"].fillna("").astype("str"),
        sector=companies["sector"].fillna("").astype("str"),
    )[["company_id", *COMPANY_ATTRIBUTES]]

    return Snapshot(
        date=pd.Timestamp(date),
        companies=companies,
        statuses=statuses[parse.member(statuses["company_id"], listed)].reset_index(drop=True),
        roles=roles[parse.member(roles["company_id"], listed)].reset_index(drop=True),
        debts=debts,
        debts_as_of=debts["as_of"].iloc[0] if len(debts) else pd.Timestamp(date),
        reports=_reports(folder, drop),
        payments=_payments(folder, drop),
        checksum=drop_checksum(folder),
        files=tuple(file_names(folder)),
    )


def _reports(folder: Path, drop: str) -> pd.DataFrame:
    general = find_file(folder, F.REPORTS_GENERAL)
    elements = find_file(folder, F.REPORTS_ELEMENTS)
    if general is None and elements is None:
        return pd.DataFrame()
    if general is None or elements is None:
        missing = F.REPORTS_GENERAL if general is None else F.REPORTS_ELEMENTS
        raise IngestError(f"drop {drop}: {missing}: file missing (annual reports come in pairs)")
    return readers.read_reports(
        general, Source(drop, F.REPORTS_GENERAL), elements, Source(drop, F.REPORTS_ELEMENTS)
    )


def _payments(folder: Path, drop: str) -> pd.DataFrame:
    frames = []
    for name in file_names(folder):
        kind = readers.payment_file_kind(name)
        if kind is None:
            continue
        path, source = find_file(folder, name), Source(drop, name)
        year, quarter = kind
        if quarter is None:
            frames.append(readers.read_payments_current(path, source))
        else:
            frames.append(readers.read_payments_old(path, source, year, quarter))
    if not frames:
        return pd.DataFrame()
    payments = pd.concat(frames, ignore_index=True)
    # a quarter in two files of one drop: the first file (by name) wins
    return payments.drop_duplicates(["company_id", "year", "quarter"]).reset_index(drop=True)
