"""One reader per real open-data file: file -> validated DataFrame with typed columns.

Readers keep only what the history tables need. In particular the persons file is reduced to
the person key (`isikukood_hash`), person type, role and start date: names and personal codes
are read past, never stored, so they cannot leak beyond ingest.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import parse
from company_risk.ingest.errors import Source
from company_risk.ingest.files import ItemCache, decode, read_bytes, read_json_items

STATUSES = tuple(F.STATUS_TEXT)
PERSON_TYPES = ("F", "J")
YES = {"jah": True, "ei": False, "true": True, "false": False}


def _code(value: object) -> str:
    """ariregistri_kood as a string (RIK's JSON writes it as a number)."""
    return str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""


# ------------------------------------------------------------------------------ RIK basic CSV
def read_basic(path: Path, source: Source, cfg: IngestConfig) -> pd.DataFrame:
    """The register's basic CSV -> one row per company with its register attributes."""
    content = decode(read_bytes(path, source), source, (F.RIK_CSV_ENCODING,))
    raw = parse.csv_table(source, content, F.RIK_CSV_SEPARATOR, F.RIK_BASIC_COLUMNS)
    company_id = parse.codes(source, raw["ariregistri_kood"], "ariregistri_kood")
    parse.unique(source, company_id, "ariregistri_kood")
    status = parse.text(raw["ettevotja_staatus"])
    if cfg.fail_on_unknown_status:
        parse.one_of(source, status, "ettevotja_staatus", STATUSES)
    ehak_text = parse.text(raw["asukoha_ehak_tekstina"])
    return pd.DataFrame(
        {
            "company_id": company_id,
            "name": parse.required(source, raw["nimi"], "nimi"),
            "legal_form": parse.text(raw["ettevotja_oiguslik_vorm"]),
            "legal_form_subtype": parse.text(raw["ettevotja_oigusliku_vormi_alaliik"]),
            "vat_number": parse.text(raw["kmkr_nr"]),
            "first_registered": parse.dates(
                source, raw["ettevotja_esmakande_kpv"], "ettevotja_esmakande_kpv"
            ),
            "ehak_code": parse.text(raw["asukoha_ehak_kood"]),
            "county": county(ehak_text),
        }
    )


def county(ehak_text: pd.Series) -> pd.Series:
    """The county ("Harju maakond") from an EHAK place text ("Kesklinna linnaosa, Tallinn,
    Harju maakond"); the whole text when it names no county."""
    found = ehak_text.str.extract(r"(?:^|,)\s*([^,]*maakond)[^,]*$", expand=False)
    return found.fillna(ehak_text).astype("str")


def sector(emtak: pd.Series) -> pd.Series:
    """EMTAK section letter (A..U) from the division (first two digits) of an EMTAK code."""
    division = pd.to_numeric(emtak.str.slice(0, 2), errors="coerce").to_numpy()
    out = np.full(len(emtak), "", dtype=object)
    for letter, lo, hi in F.EMTAK_SECTIONS:
        out[(division >= lo) & (division <= hi)] = letter
    return pd.Series(out, index=emtak.index, dtype="str")


# ------------------------------------------------------------------------- RIK general JSON
def _general_fields(item: dict) -> tuple:
    """(code, main EMTAK code, capital, ((status, start), ...)) of one general-data item."""
    general = item.get("yldandmed") or {}
    main = [a for a in general.get("teatatud_tegevusalad") or [] if a.get("on_pohitegevusala")]
    capitals = general.get("kapitalid") or []
    return (
        _code(item.get("ariregistri_kood")),
        str(main[0].get("emtak_kood") or "") if main else "",
        str(capitals[0].get("kapitali_suurus") or "") if capitals else "",
        tuple((s.get("staatus"), s.get("algus_kpv")) for s in general.get("staatused") or []),
    )


def read_general(
    path: Path, source: Source, cfg: IngestConfig, cache: ItemCache | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """General data -> (companies: company_id, emtak_code, sector, capital;
    statuses: company_id, status, valid_from, valid_to), streamed item by item."""
    items, codes, emtak, capital = [], [], [], []
    st_item, st_status, st_start = [], [], []
    for i, (code, activity, cap, statuses) in enumerate(
        read_json_items(path, source, _general_fields, cache)
    ):
        items.append(i)
        codes.append(code)
        emtak.append(activity)
        capital.append(cap)
        for status, start in statuses:
            st_item.append(i)
            st_status.append(status)
            st_start.append(start)
    company_id = parse.codes(source, pd.Series(codes, dtype="str"), "ariregistri_kood", items)
    parse.unique(source, company_id, "ariregistri_kood", items)
    emtak_code = pd.Series(emtak, dtype="str")
    companies = pd.DataFrame(
        {
            "company_id": company_id,
            "emtak_code": emtak_code,
            "sector": sector(emtak_code),
            "capital": parse.numbers(
                source, pd.Series(capital, dtype="str"), "kapitali_suurus", False, items
            ),
        }
    )
    rows = np.asarray(st_item, dtype=np.int64)
    status = parse.text(pd.Series(st_status, dtype="str"))
    known = status.isin(STATUSES).to_numpy()
    if cfg.fail_on_unknown_status:
        parse.one_of(source, status, "staatus", STATUSES, rows)
    start = parse.dates(source, pd.Series(st_start, dtype="str"), "algus_kpv", rows)
    statuses = pd.DataFrame(
        {
            "company_id": pd.Series(company_id.to_numpy()[rows], dtype="str"),
            "status": status,
            "valid_from": start,
        }
    )
    return companies, status_intervals(statuses[known])


def status_intervals(statuses: pd.DataFrame) -> pd.DataFrame:
    """Status events -> intervals: each status lasts until the company's next status."""
    s = statuses.drop_duplicates(["company_id", "status", "valid_from"])
    s = s.sort_values(["company_id", "valid_from"], kind="stable").reset_index(drop=True)
    nxt = s["valid_from"].shift(-1)
    same = s["company_id"].eq(s["company_id"].shift(-1))
    return s.assign(valid_to=nxt.where(same).astype("datetime64[us]"))


# ------------------------------------------------------------------------- RIK persons JSON
def _person_fields(item: dict) -> tuple:
    """(code, ((hash, type, role, start), ...)): no name or personal code is taken."""
    return (
        _code(item.get("ariregistri_kood")),
        tuple(
            (p.get("isikukood_hash"), p.get("isiku_tyyp"), p.get("isiku_roll"), p.get("algus_kpv"))
            for p in item.get("kaardile_kantud_isikud") or []
        ),
    )


def read_persons(path: Path, source: Source, cache: ItemCache | None = None) -> pd.DataFrame:
    """Persons on the card -> company_id, person_id, person_type, role, start_date.

    Only current office-holders are listed; names and personal codes are not kept.
    """
    items, codes = [], []
    p_item, p_id, p_type, p_role, p_start = [], [], [], [], []
    for i, (code, persons) in enumerate(read_json_items(path, source, _person_fields, cache)):
        items.append(i)
        codes.append(code)
        for person_id, person_type, role, start in persons:
            p_item.append(i)
            p_id.append(person_id)
            p_type.append(person_type)
            p_role.append(role)
            p_start.append(start)
    company_id = parse.codes(source, pd.Series(codes, dtype="str"), "ariregistri_kood", items)
    parse.unique(source, company_id, "ariregistri_kood", items)
    rows = np.asarray(p_item, dtype=np.int64)
    persons = pd.DataFrame(
        {
            "company_id": pd.Series(company_id.to_numpy()[rows], dtype="str"),
            "person_id": parse.required(
                source, pd.Series(p_id, dtype="str"), "isikukood_hash", rows
            ),
            "person_type": parse.one_of(
                source, pd.Series(p_type, dtype="str"), "isiku_tyyp", PERSON_TYPES, rows
            ),
            "role": parse.required(source, pd.Series(p_role, dtype="str"), "isiku_roll", rows),
            "start_date": parse.dates(source, pd.Series(p_start, dtype="str"), "algus_kpv", rows),
        }
    )
    return persons.drop_duplicates(["company_id", "person_id", "role", "start_date"])


# ----------------------------------------------------------------------- EMTA tax debtors
def read_tax_debtors(path: Path, source: Source) -> pd.DataFrame:
    """The tax-debtor list -> one row per company (schema `tax_debts`)."""
    content = decode(read_bytes(path, source), source, (F.TAX_DEBTORS_ENCODING,))
    raw = parse.csv_table(source, content, F.TAX_DEBTORS_SEPARATOR, F.TAX_DEBTORS_COLUMNS)
    company_id = parse.codes(source, raw["Registrikood"], "Registrikood")
    parse.unique(source, company_id, "Registrikood")
    as_of = parse.dates(source, raw["Andmed on seisuga"], "Andmed on seisuga")
    if as_of.nunique() > 1:
        other = int(np.flatnonzero((as_of != as_of.iloc[0]).to_numpy())[0])
        raise source.error("differs from the first row's date", other, "Andmed on seisuga")

    def amount(field: str, optional: bool) -> pd.Series:
        return parse.numbers(source, raw[field], field, decimal_comma=True, optional=optional)

    return pd.DataFrame(
        {
            "company_id": company_id,
            "as_of": as_of,
            "debt": amount("Maksuvõlg", optional=False),
            "disputed": amount("sh vaidlustatud", optional=True).fillna(0.0),
            "scheduled": amount("sh tasumisgraafikus", optional=True).fillna(0.0),
            "schedule_end": parse.dates(
                source,
                raw["Tasumisgraafiku lõppkuupäev"],
                "Tasumisgraafiku lõppkuupäev",
                optional=True,
            ),
            "oldest_due": parse.dates(
                source,
                raw["Vanima tasumata nõude tasumise tähtpäev"],
                "Vanima tasumata nõude tasumise tähtpäev",
                optional=True,
            ),
        }
    )


# ------------------------------------------------------------------------- annual reports
def _yes(source: Source, values: pd.Series, field: str) -> pd.Series:
    values = parse.one_of(source, parse.text(values).str.lower(), field, YES)
    return values.map(YES).astype("bool")


def read_reports(
    general_path: Path, general_src: Source, elements_path: Path, elements_src: Source
) -> pd.DataFrame:
    """Report general data + long-format elements -> one row per report, elements wide."""
    content = decode(read_bytes(general_path, general_src), general_src, ("utf-8-sig",))
    raw = parse.csv_table(general_src, content, F.REPORTS_SEPARATOR, F.REPORTS_GENERAL_COLUMNS)
    report_id = parse.required(general_src, raw["report_id"], "report_id")
    parse.unique(general_src, report_id, "report_id")
    year = parse.numbers(general_src, raw["aruandeaasta"], "aruandeaasta", False, optional=False)
    reports = pd.DataFrame(
        {
            "report_id": report_id,
            "company_id": parse.codes(general_src, raw["registrikood"], "registrikood"),
            "fiscal_year": year.astype("int64"),
            "period_start": parse.dates(
                general_src, raw["period_start"], "period_start", optional=True
            ),
            "period_end": parse.dates(general_src, raw["period_end"], "period_end", optional=True),
            "submitted_on": parse.dates(general_src, raw["esitatud_kpv"], "esitatud_kpv"),
            "audited": _yes(general_src, raw["kas auditeeritud?"], "kas auditeeritud?"),
            "consolidated": _yes(general_src, raw["kas konsolideeritud?"], "kas konsolideeritud?"),
        }
    )
    content = decode(read_bytes(elements_path, elements_src), elements_src, ("utf-8-sig",))
    raw = parse.csv_table(elements_src, content, F.REPORTS_SEPARATOR, F.REPORTS_ELEMENTS_COLUMNS)
    long = pd.DataFrame(
        {
            "report_id": parse.text(raw["report_id"]),
            "element": parse.text(raw["elemendi_nimetus"]),
            "value": parse.numbers(elements_src, raw["vaartus"], "vaartus", False),
        }
    )
    unknown = ~parse.member(long["report_id"], reports["report_id"])
    if unknown.any():
        first = int(np.flatnonzero(unknown)[0])
        raise elements_src.error("refers to a report not in the general data", first, "report_id")
    long = long[long["element"].isin(list(F.REPORT_ELEMENTS))]
    parse.unique(
        elements_src, long["report_id"] + "\0" + long["element"], "elemendi_nimetus", long.index
    )
    wide = long.pivot(index="report_id", columns="element", values="value")
    wide = wide.reindex(columns=list(F.REPORT_ELEMENTS)).rename(columns=F.REPORT_ELEMENTS)
    return reports.join(wide.astype("float64"), on="report_id")


# -------------------------------------------------------------------------- taxes paid
PAYMENT_MEASURES = ("state_taxes", "labour_taxes", "turnover", "employees")


def payment_file_kind(name: str) -> tuple[int, int | None] | None:
    """(year, quarter) of an older-generation file, (year, None) of a current one, else None."""
    if m := re.fullmatch(F.TAX_PAYMENTS_OLD_FILE_PATTERN, name):
        return int(m["year"]), int(m["quarter"])
    if m := re.fullmatch(F.TAX_PAYMENTS_FILE_PATTERN, name):
        return int(m["year"]), None
    return None


def read_payments_current(path: Path, source: Source) -> pd.DataFrame:
    """A yearly file (one row per company, four quarters wide) -> one row per reported quarter."""
    content = decode(read_bytes(path, source), source, ("utf-8-sig",))
    raw = parse.csv_table(source, content, F.TAX_PAYMENTS_SEPARATOR, F.TAX_PAYMENTS_COLUMNS)
    company_id = parse.codes(source, raw["Registry code"], "Registry code")
    parse.unique(source, company_id, "Registry code")
    year = parse.numbers(source, raw["Year"], "Year", False, optional=False).astype("int64")
    labels = ("State taxes", "Labour taxes and payments", "Turnover", "Number of employees")
    quarters = []
    for q, word in enumerate(F.QUARTER_WORDS, start=1):
        values = {
            measure: parse.numbers(source, raw[f"{label} {word} qtr"], f"{label} {word} qtr", False)
            for measure, label in zip(PAYMENT_MEASURES, labels, strict=True)
        }
        quarters.append(
            pd.DataFrame({"company_id": company_id, "year": year, "quarter": q, **values})
        )
    long = pd.concat(quarters, ignore_index=True)
    reported = long[list(PAYMENT_MEASURES)].notna().any(axis=1)
    return long[reported].astype({"quarter": "int64"}).reset_index(drop=True)


def read_payments_old(path: Path, source: Source, year: int, quarter: int) -> pd.DataFrame:
    """An older per-quarter file (`;`, decimal comma, UTF-8 or latin-1) -> one row per company."""
    content = decode(read_bytes(path, source), source, ("utf-8-sig", F.TAX_PAYMENTS_OLD_ENCODING))
    raw = parse.csv_table(source, content, F.TAX_PAYMENTS_OLD_SEPARATOR, F.TAX_PAYMENTS_OLD_COLUMNS)
    company_id = parse.codes(source, raw["Registrikood"], "Registrikood")
    parse.unique(source, company_id, "Registrikood")
    fields = ("Riiklikud Maksud", "Tööjõumaksud Ja Maksed", "Kaive", "Tootajaid")
    values = {
        measure: parse.numbers(source, raw[field], field, decimal_comma=True)
        for measure, field in zip(PAYMENT_MEASURES, fields, strict=True)
    }
    return pd.DataFrame(
        {"company_id": company_id, "year": np.int64(year), "quarter": np.int64(quarter), **values}
    )
