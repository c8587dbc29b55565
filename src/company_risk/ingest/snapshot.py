"""One drop folder -> one validated snapshot: what the register and EMTA said that day.

The snapshot is the unit the history tables are updated with; reading all of it before any
update means a bad file stops the run before anything changes. Every file of the folder is
accounted for: read (with its row count), superseded by a newer copy of the same publication,
recognised but in a format ingest does not read, or not recognised at all; nothing is skipped
without a line in `files`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import emta, parse, reports, rik
from company_risk.ingest.errors import IngestError, Rejects
from company_risk.ingest.files import DropFile, classify, drop_checksum, drop_fingerprint

log = logging.getLogger("company_risk.ingest")

COMPANY_ATTRIBUTES = (
    "name",
    "legal_form",
    "legal_form_subtype",
    "vat_number",
    "first_registered",
    "ehak_code",
    "county",
    "legal_form_code",
    "emtak_code",
    "emtak_version",
    "nace_code",
    "sector",
    "capital",
)


@dataclass(frozen=True)
class Snapshot:
    date: pd.Timestamp
    companies: pd.DataFrame  # company_id + COMPANY_ATTRIBUTES, one row per listed company
    held: pd.Index  # listed companies whose basic row was rejected: their last state is kept
    statuses: pd.DataFrame  # company_id, status, valid_from, valid_to (listed companies only)
    roles: pd.DataFrame  # company_id, person_id, person_type, role, start_date
    debts: pd.DataFrame  # tax_debts rows
    debts_as_of: pd.Timestamp  # the list's date (the drop date when the list is empty)
    reports: pd.DataFrame  # annual_reports rows without published_on (empty: none in the drop)
    payments: pd.DataFrame  # tax_payments rows without published_on (empty: none)
    shareholdings: pd.DataFrame | None  # None: the drop has no shareholders file
    rulings: pd.DataFrame | None  # None: the drop has no rulings file
    rejected: pd.DataFrame  # file, row, field, value, reason
    files: pd.DataFrame  # file, family, status, rows, note
    report_stats: dict[str, int]
    checksum: str
    fingerprint: str  # files.drop_fingerprint, taken before the bytes were read


class _Reading:
    """The files of one drop being read: hands out each file's `Rejects`, and records what
    happened to every file."""

    def __init__(self, drop: str, files: list[DropFile], cfg: IngestConfig) -> None:
        self.drop, self.cfg = drop, cfg
        self.by_family: dict[str, list[DropFile]] = {}
        self.lines: dict[str, dict] = {}
        self.rejects: list[Rejects] = []
        for f in files:
            if f.family is None:
                self._line(f, "", "not recognised", note="no reader knows this file name")
            elif f.family.kind == "unsupported":
                self._line(f, f.family.name, "unsupported", note="format not read (xlsx)")
            else:
                self.by_family.setdefault(f.family.name, []).append(f)

    def _line(self, f: DropFile, family: str, status: str, rows: int = -1, note: str = "") -> None:
        self.lines[f.path.name] = {
            "file": f.path.name,
            "family": family,
            "status": status,
            "rows": rows,
            "note": note,
        }

    def one(self, family: str) -> DropFile | None:
        files = self.by_family.get(family, [])
        required = F.FAMILIES_BY_NAME[family].required
        if not files and required:
            name = F.FAMILIES_BY_NAME[family].pattern.replace("\\", "")
            raise IngestError(f"drop {self.drop}: {name}: file missing (neither it nor its zip)")
        return files[0] if files else None

    def read(self, f: DropFile, reader, *args):
        """reader(path, source, *args, rejects), counted and checked against the threshold."""
        rejects = Rejects(f.source(self.drop))
        result = reader(f.path, rejects.source, *args, rejects)
        rejects.check(self.cfg.max_rejected_share)
        self.rejects.append(rejects)
        self._line(f, f.family.name, "read", rejects.total, _rejected_note(rejects))
        return result

    def superseded(self, f: DropFile, by: DropFile) -> None:
        self._line(f, f.family.name, "superseded", note=f"the same data is read from {by.logical}")

    def rejected(self) -> pd.DataFrame:
        frames = [r.table() for r in self.rejects if r.records]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="str") for c in _REJECTED_COLUMNS})
        return pd.concat(frames, ignore_index=True)

    def files(self) -> pd.DataFrame:
        return pd.DataFrame([self.lines[k] for k in sorted(self.lines)]).astype(
            {"file": "str", "family": "str", "status": "str", "rows": "int64", "note": "str"}
        )


_REJECTED_COLUMNS = ("file", "row", "field", "value", "reason")


def _rejected_note(rejects: Rejects) -> str:
    return f"{rejects.rows} row(s) rejected" if rejects.records else ""


def read_drop(
    folder: Path,
    date: dt.date,
    cfg: IngestConfig,
    pseudonym_key: bytes,
    known_reports: pd.Series | None = None,
) -> Snapshot:
    """Read and validate every file of one drop dated `date`. `known_reports` are the report
    ids already in the history: the annual-report files are cumulative, so an elements file
    whose fiscal year brings no new report is not read again."""
    drop = date.isoformat()
    day = pd.Timestamp(date)
    # both before the read: a file changed during it then differs from both on the next run,
    # which refuses the drop instead of recording the changed bytes as the ones applied
    fingerprint, checksum = drop_fingerprint(folder), drop_checksum(folder)
    reading = _Reading(drop, classify(folder, drop), cfg)

    basic, held = reading.read(reading.one("basic"), rik.read_basic)
    general, statuses = reading.read(reading.one("general"), rik.read_general, day)
    roles = reading.read(reading.one("persons"), rik.read_persons, pseudonym_key)
    debts_file = reading.one("tax_debtors")
    debts = reading.read(debts_file, emta.read_tax_debtors)
    _check_list_date(debts, debts_file, drop, day, cfg)
    shareholders_file, rulings_file = reading.one("shareholders"), reading.one("rulings")
    shareholdings = (
        None
        if shareholders_file is None
        else reading.read(shareholders_file, rik.read_shareholders, day, pseudonym_key)
    )
    rulings = None if rulings_file is None else reading.read(rulings_file, rik.read_rulings)
    annual, report_stats = _reports(reading, known_reports)
    payments = _payments(reading)

    listed = pd.Index(basic["company_id"]).union(held)
    companies = basic.merge(general, on="company_id", how="left")
    companies = companies.assign(
        legal_form_code=companies["legal_form_code"].fillna("").astype("str"),
        emtak_code=companies["emtak_code"].fillna("").astype("str"),
        emtak_version=companies["emtak_version"].fillna(0).astype("int64"),
        nace_code=companies["nace_code"].fillna("").astype("str"),
        sector=companies["sector"].fillna("").astype("str"),
    )[["company_id", *COMPANY_ATTRIBUTES]]

    def on_register(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None:
            return None
        return frame[parse.member(frame["company_id"], listed)].reset_index(drop=True)

    return Snapshot(
        date=day,
        companies=companies,
        held=held,
        statuses=on_register(statuses),
        roles=on_register(roles),
        debts=debts,
        debts_as_of=debts["as_of"].iloc[0] if len(debts) else day,
        reports=annual,
        payments=payments,
        shareholdings=on_register(shareholdings),
        rulings=on_register(rulings),
        rejected=reading.rejected(),
        files=reading.files(),
        report_stats=report_stats,
        checksum=checksum,
        fingerprint=fingerprint,
    )


def _check_list_date(
    debts: pd.DataFrame, debts_file: DropFile, drop: str, day: pd.Timestamp, cfg: IngestConfig
) -> None:
    """The debtor list is that day's list: dated at most `max_record_age_days` before its drop
    and never after it. A list from another time would put its debts at the wrong dates (a 2019
    list inside a 2025 drop would let 2019 snapshots see 2025 data)."""
    if debts.empty:
        return
    as_of = debts["as_of"].iloc[0]
    if not day - pd.Timedelta(days=cfg.max_record_age_days) <= as_of <= day:
        raise debts_file.source(drop).error(
            f"the list is dated {as_of:%d.%m.%Y}: a drop's debtor list must be dated within "
            f"ingest.max_record_age_days ({cfg.max_record_age_days}) before the drop, not after",
            field="Andmed on seisuga",
        )


def _newest(files: list[DropFile], reading: _Reading, key) -> list[DropFile]:
    """Of several copies of one publication (same `key`), the one with the latest cut-off
    (then the highest copy number); the others are listed as superseded."""
    chosen: dict[object, DropFile] = {}

    def order(f: DropFile) -> tuple:
        return F.cutoff_date(f.groups["cutoff"]), int(f.groups.get("copy", 0))

    for f in sorted(files, key=order):
        previous = chosen.get(key(f))
        if previous is not None:
            reading.superseded(previous, f)
        chosen[key(f)] = f
    return sorted(chosen.values(), key=lambda f: f.logical)


def _reports(reading: _Reading, known: pd.Series | None) -> tuple[pd.DataFrame, dict[str, int]]:
    general = _newest(reading.by_family.get("reports_general", []), reading, lambda f: "general")
    elements = _newest(
        reading.by_family.get("reports_elements", []), reading, lambda f: f.groups["year"]
    )
    if not general:
        if elements:
            raise IngestError(
                f"drop {reading.drop}: {elements[0].logical}: annual-report elements without "
                "the general file 1.aruannete_yldandmed_kuni_<DDMMYYYY> (their companies and "
                "dates are there)"
            )
        return pd.DataFrame(), {}
    general_rejects = Rejects(general[0].source(reading.drop))
    read = reports.read_general(general[0].path, general_rejects.source, general_rejects)
    new = read[1] & ~parse.member(read[0]["report_id"], [] if known is None else known)
    new_years = {str(y) for y in read[0].loc[new, "fiscal_year"]}
    for f in elements:
        if f.groups["year"] not in new_years:
            reading._line(
                f, f.family.name, "superseded", note="every report of its year is in the history"
            )
    elements = [f for f in elements if f.groups["year"] in new_years]
    sources = [(general[0], general_rejects)]
    for f in elements:
        sources.append((f, Rejects(f.source(reading.drop))))
    reading.rejects.extend(r for _, r in sources)
    annual, stats = reports.read_reports(
        (general[0].path, general_rejects.source, general_rejects),
        [(f.path, r.source, r) for f, r in sources[1:]],
        general_read=read,
    )
    for f, rejects in sources:
        rejects.check(reading.cfg.max_rejected_share)
        reading._line(f, f.family.name, "read", rejects.total, _rejected_note(rejects))
    log.info(
        "drop %s: %d annual reports; %d repeated elements with disagreeing copies",
        reading.drop,
        len(annual),
        stats.get("disagreeing_copies", 0),
    )
    return annual, stats


def _payments(reading: _Reading) -> pd.DataFrame:
    """Every taxes-paid file of the drop, newest generation first: a quarter found in two files
    is taken from the current-generation file (EMTA's corrected figures)."""
    frames = []
    current = reading.by_family.get("payments_current", [])
    by_stem: dict[str, list[DropFile]] = {}
    for f in current:
        by_stem.setdefault(f.groups["stem"], []).append(f)
    for stem in sorted(by_stem):
        versions = sorted(by_stem[stem], key=lambda f: "eng" not in f.groups)  # English first
        for other in versions[1:]:
            reading.superseded(other, versions[0])
        frames.append(reading.read(versions[0], emta.read_payments_current))
    for f in sorted(reading.by_family.get("payments_old", []), key=lambda f: f.logical):
        year, quarter = int(f.groups["year"]), F.QUARTER_WORDS.index(f.groups["quarter"].upper())
        frames.append(reading.read(f, emta.read_payments_old, year, quarter + 1))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    payments = pd.concat(frames, ignore_index=True)
    return payments.drop_duplicates(["company_id", "year", "quarter"]).reset_index(drop=True)
