"""Render a `World` as dated drops of the real Estonian open-data files, in their real layouts.

Each drop date d gets a folder `<out>/<YYYY-MM-DD>/` holding what a user who downloaded the
public files that day would have (`company_risk.formats` owns every name and column):
- the register's basic CSV, general-data JSON and persons JSON, zipped as RIK publishes them;
  the JSON arrays pretty-printed with a 4-space indent exactly as
  `json.dumps(items, ensure_ascii=False, indent=4)` lays them out; only companies with status
  R, L or N (a deleted company vanishes from every file); histories (status, activity,
  capital, annual-report info) as far as they are known on d;
- the tax-debtor list as of d;
- the annual reports, re-published cumulatively: at every drop dated the first of a month,
  when reports were submitted since the previous such drop, `1.aruannete_yldandmed_kuni_<d>`
  and one `4.<year>_aruannete_elemendid_kuni_<d>` per fiscal year, each holding every report
  submitted up to d (so a later drop repeats the earlier reports);
- the taxes paid, when EMTA published a quarter since the previous drop: the two rolling
  current-generation files (years from formats.TAX_PAYMENTS_CURRENT_FROM_YEAR, rewritten whole)
  and the older generation's per-quarter file of each newly published earlier quarter.

The files carry the quirks of the real ones, so that ingest meets them on the default path:
person entries without `isikukood_hash` (legal persons: key absent; foreign persons: null),
role codes beyond the board, exact duplicate person entries, reports whose elements are filed
under a filled-report id, elements repeated in detailed tables and notes (sometimes with
another value), PDF rows without an element name, two names of the labour cost, EMTAK 2008 and
EMTAK 2025 activity entries, contact e-mails that must never pass ingest.

Writing is byte-deterministic (sorted rows, fixed zip timestamps, no clock) so that `dvc repro`
reproduces the same raw data, and it is vectorised around text prepared once per company,
status event, board tenure and report: a drop is mostly a selection and a join of those texts.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from company_risk import formats as F
from company_risk.atomic import atomic_directory
from company_risk.synth import _catalog as cat
from company_risk.synth.world import World

NBSP = "\u00a0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
REGISTER_LINK = "https://ariregister.rik.ee/est/company/{}"
PAD = tuple(" " * (F.RIK_JSON_INDENT * depth) for depth in range(8))
EMAIL = ("EMAIL", "Elektronposti aadress")  # sidevahendid: liik, liik_tekstina
FISCAL_YEAR = ("01.01", "31.12")  # majandusaastad: every synthetic company's fiscal year
CURRENCY = ("EUR", "euro")  # code and text, as in kapitalid and osamaks
OLD_PAYMENTS_LATIN1_UNTIL = 2021  # older EMTA files: latin-1 up to this year, UTF-8 + BOM after
EMTA_TYPE_CURRENT = {"business": "Company", "MTÜ": "Non-profit association or foundation"}
EMTA_TYPE_OLD = "Äriühing"  # the older files' `Liik` of a business company

# Person entries on the registry card: the real key set and order (the verbatim sample).
PERSON_KEYS = (
    "kirje_id",
    "kaardi_piirkond",
    "kaardi_nr",
    "kaardi_tyyp",
    "kande_nr",
    "isiku_tyyp",
    "isiku_roll",
    "isiku_roll_tekstina",
    "eesnimi",
    "nimi_arinimi",
    "isikukood_hash",  # absent for legal persons
    "isikukood_registrikood",
    "valis_kood",
    "valis_kood_riik",
    "valis_kood_riik_tekstina",
    "synniaeg",
    "osamaks",
    "osamaksu_valuuta",
    "osamaksu_valuuta_tekstina",
    "volituste_loppemise_kpv",
    "aadress_riik",
    "aadress_riik_tekstina",
    "aadress_ehak",
    "aadress_ehak_tekstina",
    "aadress_tanav_maja_korter",
    "aadress_postiindeks",
    "algus_kpv",
    "lopp_kpv",
    "email",
    "aadress_ads__adr_id",
    "aadress_ads__ads_oid",
    "aadress_ads__ads_normaliseeritud_taisaadress",
    "aadress_ads__ads_normaliseeritud_taisaadress_tapsustus",
    "aadress_ads__koodaadress",
    "aadress_ads__adob_id",
    "aadress_ads__tyyp",
)

# Annual-report elements: name -> Estonian label; tables of the primary statements and copies
ELEMENT_LABELS = {
    "Assets": "Varad",
    "CurrentAssets": "Käibevarad",
    "CashAndCashEquivalents": "Raha",
    "Equity": "Omakapital",
    "CurrentLiabilities": "Lühiajalised kohustised",
    "NonCurrentLiabilities": "Pikaajalised kohustised",
    "Revenue": "Müügitulu",
    "LaborExpense": "Tööjõukulud",
    "EmployeeExpense": "Tööjõukulud",
    "TotalAnnualPeriodProfitLoss": "Aruandeaasta kasum (kahjum)",
    "AverageNumberOfEmployeesInFullTimeEquivalentUnits": (
        "Töötajate keskmine arv taandatuna täistööajale"
    ),
}
BALANCE = "Bilanss"
BALANCE_DETAILED = "Bilanss, detailne"
INCOME = {1: "Kasumiaruanne skeem 1", 2: "Kasumiaruanne skeem 2"}
LABOUR_NOTE = "Lisa: Tööjõukulud"
CONSOLIDATED_TABLE = "Konsolideeritud bilanss"
BALANCE_ELEMENTS = (
    "Assets",
    "CurrentAssets",
    "CashAndCashEquivalents",
    "Equity",
    "CurrentLiabilities",
    "NonCurrentLiabilities",
)
DETAILED_ELEMENTS = ("Assets", "CurrentAssets", "Equity")
CONSOLIDATED_ELEMENTS = ("Revenue", "Assets", "Equity", "TotalAnnualPeriodProfitLoss")
PDF_ELEMENTS = ("Revenue", "Assets")
EMPLOYEES = "AverageNumberOfEmployeesInFullTimeEquivalentUnits"


def write_drops(world: World, out: Path) -> list[Path]:
    """Write one folder per drop date (each atomically); return the folders in date order."""
    prepared = prepare(world)
    folders = []
    previous: pd.Timestamp | None = None
    for day in sorted(pd.Timestamp(d) for d in world.drop_dates):
        files = render_drop(prepared, day, previous)
        target = Path(out) / f"{day:%Y-%m-%d}"
        with atomic_directory(target) as tmp:
            for name, data in files.items():
                (tmp / name).write_bytes(data)
        folders.append(target)
        previous = day
    return folders


# ------------------------------------------------------------------------------ JSON text
def _j(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _obj(pairs: list[tuple[str, str]], depth: int) -> str:
    """A JSON object whose opening brace sits at `depth`, laid out as json.dumps(indent=4)
    lays it out; `pairs` hold (key, value already rendered for depth + 1)."""
    if not pairs:
        return "{}"
    inner = ",\n".join(f'{PAD[depth + 1]}"{k}": {v}' for k, v in pairs)
    return "{\n" + inner + "\n" + PAD[depth] + "}"


def _arr(items: list[str], depth: int) -> str:
    """A JSON array at `depth` of items already rendered for depth + 1."""
    if not items:
        return "[]"
    return "[\n" + ",\n".join(PAD[depth + 1] + t for t in items) + "\n" + PAD[depth] + "]"


def _jtext(values, empty: str = "null") -> np.ndarray:
    """JSON strings of a column of texts (each distinct text dumped once); `empty` stands for
    an empty or missing text."""
    column = pd.Series(np.asarray(values, dtype=object))
    column = column.where(column.notna(), "").astype(str)
    table = {u: empty if u == "" else _j(u) for u in pd.unique(column)}
    return column.map(table).to_numpy(dtype=object)


def _jdate(values) -> np.ndarray:
    """JSON of a column of dates as "DD.MM.YYYY" (null where missing)."""
    text = _ddmmyyyy(values).to_numpy(dtype=object)
    return np.where(text == "", "null", '"' + text + '"').astype(object)


ROW_END = "\x1e"  # never in JSON text (json.dumps escapes control characters)


def _concat(n: int, *parts) -> np.ndarray:
    """Row-wise concatenation of n rows of texts; a part is one text for every row (str) or a
    column. One join and one split for all rows: each row's text is built once, not once per
    part."""
    merged: list = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if not n:
        return np.zeros(0, dtype=object)
    columns = [np.full(n, p, dtype=object) if isinstance(p, str) else p for p in merged]
    columns.append(np.full(n, ROW_END, dtype=object))
    text = "".join(np.column_stack(columns).ravel().tolist())
    return np.array(text.split(ROW_END)[:-1], dtype=object)


def _objects(pairs: list[tuple[str, object]], depth: int, n: int) -> np.ndarray:
    """A column of n JSON objects laid out like `_obj`; a value is one JSON text for every
    object (str) or a column of them (array)."""
    parts: list = ["{\n"]
    for k, (key, value) in enumerate(pairs):
        parts += [("" if k == 0 else ",\n") + f'{PAD[depth + 1]}"{key}": ', value]
    return _concat(n, *parts, "\n" + PAD[depth] + "}")


def _list(depth: int, *items: np.ndarray) -> np.ndarray:
    """A column of JSON arrays at `depth` holding the given columns of objects, in order."""
    parts: list = []
    for k, item in enumerate(items):
        parts += [("[\n" if k == 0 else ",\n") + PAD[depth + 1], item]
    return _concat(len(items[0]), *parts, "\n" + PAD[depth] + "]")


def _utf8(texts) -> np.ndarray:
    """Texts as an object array of UTF-8 bytes: a drop joins bytes and never re-encodes."""
    return np.array([t.encode("utf-8") for t in texts], dtype=object)


def _json_array(columns: list[np.ndarray], item_end: bytes) -> bytes:
    """The top-level array whose item k is the concatenation of `columns[.][k]` followed by
    `item_end`, laid out as json.dumps(indent=4) does: one join, no intermediate copies."""
    n = len(columns[0]) if columns else 0
    if not n:
        return b"[]"
    ends = np.full(n, item_end + b",\n", dtype=object)
    ends[-1] = item_end + b"\n]"
    return b"[\n" + b"".join(np.column_stack([*columns, ends]).ravel().tolist())


def _group_join(company: np.ndarray, texts: np.ndarray, sep: bytes) -> tuple[np.ndarray, list]:
    """Join consecutive texts of the same company (`company` sorted): (companies, joined)."""
    if not len(company):
        return np.zeros(0, dtype=np.int64), []
    uniq, first = np.unique(company, return_index=True)
    bounds = [*first.tolist(), len(company)]
    texts = texts.tolist()
    return uniq, [sep.join(texts[bounds[k] : bounds[k + 1]]) for k in range(len(uniq))]


# ------------------------------------------------------------------------------ preparation
@dataclass(frozen=True)
class Prepared:
    """A world turned into reusable pieces of file content, indexed by company position."""

    world: World
    companies: pd.DataFrame  # sorted by company_id
    # basic CSV: the line up to kmkr_nr, and after ettevotja_staatus_tekstina
    basic_head: np.ndarray
    basic_tail: np.ndarray
    vat_from: np.ndarray
    vat_until: np.ndarray
    vat_number: np.ndarray
    # status events (sorted by company, date)
    event_company: np.ndarray
    event_start: np.ndarray
    event_status: np.ndarray
    company_first_event: np.ndarray  # position of each company's first event (-1 if none)
    # general data: item text = head + status + mid + act + cap + staatused + ov + info + TAIL
    general_head: np.ndarray
    general_status: np.ndarray  # per event
    general_mid: np.ndarray
    act_switch: np.ndarray  # datetime64: EMTAK 2025 entry from (NaT = never)
    act_before: np.ndarray
    act_after: np.ndarray
    cap_switch: np.ndarray  # datetime64: capital change (NaT = never)
    cap_before: np.ndarray
    cap_after: np.ndarray
    general_staatused: np.ndarray  # per event
    general_ov: np.ndarray
    info_company: np.ndarray  # annual-report info entries, sorted by company, newest first
    info_submitted: np.ndarray
    info_json: np.ndarray
    # persons: current entries (board and other roles, duplicates included), sorted by company
    role_company: np.ndarray
    role_start: np.ndarray
    role_end: np.ndarray  # NaT = open
    role_json: np.ndarray
    persons_head: np.ndarray
    persons_tail: np.ndarray
    # annual reports, sorted by (fiscal year, company, report id)
    report_company: np.ndarray
    report_year: np.ndarray
    report_submitted: np.ndarray
    report_pre: np.ndarray  # general line up to the status text, and after it
    report_post: np.ndarray
    report_elements: np.ndarray  # the report's element lines
    report_cutoffs: dict  # publication day -> previous publication day (or None)
    # taxes paid: one row per company and year, four quarters each
    payments: pd.DataFrame
    payment_info: pd.DataFrame  # name, type, county, activity per company_id


def _ddmmyyyy(values) -> pd.Series:
    """Dates as DD.MM.YYYY, empty where missing."""
    return pd.Series(pd.to_datetime(values)).dt.strftime(F.DATE_FORMAT).fillna("")


def _column(frame: pd.DataFrame, name: str, default) -> pd.Series:
    """A surface column, or `default` where a hand-made world leaves it out."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index)


def _split_address(address: pd.Series) -> tuple[pd.Series, pd.Series]:
    """("<street> <no>", "<settlement>") of "<street> <no>, <settlement>"."""
    parts = address.str.split(", ", n=1, expand=True)
    street = parts[0].fillna("")
    place = parts[1].fillna("") if parts.shape[1] > 1 else pd.Series("", index=address.index)
    return street, place


def _entry_numbers(world: World, position: pd.Series) -> dict[str, pd.Series]:
    """`kande_nr` of status events and role starts: the number of the register entry that made
    them, counting the distinct entry dates of each company."""
    frames = [
        world.status_events[["company_id", "start_date"]],
        world.board_roles[["company_id", "start_date"]],
    ]
    if world.card_roles is not None:
        frames.append(world.card_roles[["company_id", "start_date"]])
    dates = pd.concat(frames, ignore_index=True).drop_duplicates()
    dates = dates.assign(_pos=dates["company_id"].map(position)).dropna(subset=["_pos"])
    dates = dates.assign(kande_nr=dates.groupby("company_id")["start_date"].rank(method="dense"))
    return dates.set_index(["company_id", "start_date"])["kande_nr"].astype(np.int64)


def prepare(world: World) -> Prepared:
    """Precompute every per-company, per-event, per-tenure and per-report piece once."""
    comp = world.companies.sort_values("company_id", kind="stable").reset_index(drop=True)
    position = pd.Series(np.arange(len(comp)), index=comp["company_id"].to_numpy())
    entry_no = _entry_numbers(world, position)
    registered = _ddmmyyyy(comp["registered_on"])
    street, place = _split_address(comp["address"].astype(str))
    ehak_name = (place + ", " + comp["county"]).where(place != "", comp["county"])
    reversed_place = place.map(lambda p: ", ".join(reversed(p.split(", "))) if p else "")
    normalised = comp["county"] + ", " + reversed_place + ", " + street
    postcode = _column(comp, "postcode", "").fillna("").astype(str)
    basic = _basic_lines(comp, registered, street, ehak_name, postcode, normalised)
    ev = _prepare_events(world, comp, position, entry_no)
    general = _prepare_general(comp, registered, street, ehak_name, postcode, normalised)
    info = _prepare_info(world, comp, position)
    roles = _prepare_roles(world, comp, position, entry_no)
    reports = _prepare_reports(world, comp, position)
    return Prepared(
        world=world,
        companies=comp,
        basic_head=basic[0],
        basic_tail=basic[1],
        vat_from=comp["vat_from"].to_numpy(dtype="datetime64[us]"),
        vat_until=comp["vat_until"].to_numpy(dtype="datetime64[us]"),
        vat_number=comp["vat_number"].fillna("").to_numpy(dtype=object),
        **ev,
        **general,
        **info,
        **roles,
        **reports,
        report_cutoffs=_report_cutoffs(world),
        payments=_prepare_payments(world),
        payment_info=_payment_info(comp, place),
    )


def _basic_lines(comp, registered, street, ehak_name, postcode, normalised):
    fields = {
        "nimi": comp["name"],
        "ariregistri_kood": comp["company_id"],
        "ettevotja_oiguslik_vorm": comp["legal_form"],
        "ettevotja_oigusliku_vormi_alaliik": comp["legal_form_subtype"].fillna(""),
        "ettevotja_esmakande_kpv": registered,
        "ettevotja_aadress": pd.Series("", index=comp.index),
        "asukoht_ettevotja_aadressis": street,
        "asukoha_ehak_kood": comp["ehak_code"],
        "asukoha_ehak_tekstina": ehak_name,
        "indeks_ettevotja_aadressis": postcode,
        "ads_adr_id": (comp["company_id"].astype(np.int64) % 3_000_000 + 1_000_000).astype(str),
        "ads_ads_oid": pd.Series("", index=comp.index),
        "ads_normaliseeritud_taisaadress": normalised,
        "teabesysteemi_link": pd.Series(
            [REGISTER_LINK.format(c) for c in comp["company_id"]], index=comp.index
        ),
    }
    columns = list(F.RIK_BASIC_COLUMNS)
    per_drop = columns.index("kmkr_nr"), columns.index("ettevotja_staatus_tekstina")
    sep = F.RIK_CSV_SEPARATOR
    head = _join_fields([fields[c] for c in columns[: per_drop[0]]], sep)
    tail = _join_fields([fields[c] for c in columns[per_drop[1] + 1 :]], sep)
    return (head + sep).to_numpy(dtype=object), (sep + tail).to_numpy(dtype=object)


def _prepare_events(world, comp, position, entry_no) -> dict:
    """Per status event: the status fields and the status history of an item whose latest
    visible event it is."""
    events = world.status_events.assign(_pos=lambda e: e["company_id"].map(position))
    events = events.dropna(subset=["_pos"]).sort_values(["_pos", "start_date"], kind="stable")
    event_company = events["_pos"].to_numpy(dtype=np.int64)
    event_status = events["status"].to_numpy(dtype=object)
    starts = _ddmmyyyy(events["start_date"]).to_numpy(dtype=object)
    numbers = entry_no.reindex(
        pd.MultiIndex.from_arrays([events["company_id"], events["start_date"]])
    ).to_numpy()
    status_json = np.empty(len(events), dtype=object)
    staatused = np.empty(len(events), dtype=object)
    history: list[str] = []
    for i in range(len(events)):
        if i == 0 or event_company[i] != event_company[i - 1]:
            history = []
        code = event_status[i]
        text = _j(F.STATUS_TEXT.get(code, code))
        status_json[i] = f'{PAD[3]}"staatus": {_j(code)},\n{PAD[3]}"staatus_tekstina": {text},\n'
        history.append(
            _obj(
                [
                    ("staatus", _j(code)),
                    ("staatus_tekstina", text),
                    ("algus_kpv", _j(starts[i])),
                    ("kande_nr", str(int(numbers[i]))),
                ],
                4,
            )
        )
        staatused[i] = _arr(history, 3) + f',\n{PAD[3]}"oiguslikud_vormid": '
    first_event = np.full(len(comp), -1, dtype=np.int64)
    if len(events):
        uniq, idx = np.unique(event_company, return_index=True)
        first_event[uniq] = idx
    return {
        "event_company": event_company,
        "event_start": events["start_date"].to_numpy(dtype="datetime64[us]"),
        "event_status": event_status,
        "company_first_event": first_event,
        "general_status": _utf8(status_json),
        "general_staatused": _utf8(staatused),
    }


def _prepare_general(comp, registered, street, ehak_name, postcode, normalised) -> dict:
    """Per company: the constant parts of its general-data item and both versions of its
    activity and capital histories (column-wise: one text operation per field, not per
    company)."""
    n = len(comp)
    reg = _jdate(comp["registered_on"])
    name = _jtext(comp["name"], '""')
    form_code = _jtext(comp["legal_form_code"], '""')
    form_text = _jtext(comp["legal_form"], '""')
    code = comp["company_id"].astype(np.int64).astype(str).to_numpy(dtype=object)
    heads = _concat(
        n,
        f'{PAD[1]}{{\n{PAD[2]}"ariregistri_kood": ',
        code,
        f',\n{PAD[2]}"nimi": ',
        name,
        f',\n{PAD[2]}"yldandmed": {{\n',
    )
    address = _objects(
        [
            ("ehak", _jtext(comp["ehak_code"], '""')),
            ("ehak_nimetus", _jtext(ehak_name, '""')),
            ("tanav_maja_korter", _jtext(street, '""')),
            ("postiindeks", _jtext(postcode)),
            ("aadress_ads__ads_normaliseeritud_taisaadress", _jtext(normalised, '""')),
            ("riik", _j("EST")),
            ("algus_kpv", reg),
            ("lopp_kpv", "null"),
        ],
        4,
        n,
    )
    email = _column(comp, "email", "").fillna("").astype(str).to_numpy(dtype=object)
    contact = _objects(
        [("liik", _j(EMAIL[0])), ("liik_tekstina", _j(EMAIL[1])), ("sisu", _jtext(email))], 4, n
    )
    names = _objects([("sisu", name), ("algus_kpv", reg), ("lopp_kpv", "null")], 4, n)
    mids = _concat(
        n,
        f'{PAD[3]}"oiguslik_vorm": ',
        form_code,
        f',\n{PAD[3]}"oiguslik_vorm_tekstina": ',
        form_text,
        f',\n{PAD[3]}"esmaregistreerimise_kpv": ',
        reg,
        f',\n{PAD[3]}"kustutamise_kpv": null,\n{PAD[3]}"arinimed": ',
        _list(3, names),
        f',\n{PAD[3]}"aadressid": ',
        _list(3, address),
        f',\n{PAD[3]}"sidevahendid": ',
        np.where(email != "", _list(3, contact), "[]").astype(object),
        f',\n{PAD[3]}"teatatud_tegevusalad": ',
    )

    # activities: EMTAK 2008 until the EMTAK 2025 entry (closed the day before it starts)
    act_from = pd.to_datetime(_column(comp, "emtak_2025_from", pd.NaT))
    new_code = _column(comp, "emtak_2025_code", "").fillna("").astype(str)
    new_text = _column(comp, "emtak_2025_text", "").fillna("").astype(str)
    old = (comp["emtak_code"].astype(str), comp["emtak_text"].astype(str), F.EMTAK_2008)
    new = (new_code, new_text, F.EMTAK_2025)
    old_open = _activities(*old, reg, "null", n)
    old_closed = _activities(*old, reg, _jdate(act_from - pd.Timedelta(days=1)), n)
    new_open = _activities(*new, _jdate(act_from), "null", n)
    new_from_birth = _activities(*new, reg, "null", n)  # registered under EMTAK 2025
    switch = act_from.to_numpy(dtype="datetime64[us]")
    plain = np.isnat(switch) | (new_code.to_numpy() == "")
    from_birth = switch <= comp["registered_on"].to_numpy(dtype="datetime64[us]")
    kept = np.where(plain, _list(3, old_open), _list(3, new_from_birth))
    after_act = f',\n{PAD[3]}"kapitalid": '
    act_before = _concat(n, np.where(plain | from_birth, kept, _list(3, old_open)), after_act)
    act_after = _concat(
        n, np.where(plain | from_birth, kept, _list(3, old_closed, new_open)), after_act
    )

    # capital: one entry, or the old one closed the day before a change and the new one
    capital = comp["capital"].to_numpy(dtype=float)
    cap_new = pd.to_numeric(_column(comp, "capital_new", np.nan)).to_numpy(dtype=float)
    cap_on = pd.to_datetime(_column(comp, "capital_changed_on", pd.NaT))
    no_change = np.isnan(cap_new) | cap_on.isna().to_numpy()
    amount = np.array([repr(float(v)) for v in capital], dtype=object)
    amount_new = np.array([repr(float(v)) for v in cap_new], dtype=object)
    cap_open = _capitals(amount, reg, "null", n)
    cap_closed = _capitals(amount, reg, _jdate(cap_on - pd.Timedelta(days=1)), n)
    cap_new_open = _capitals(amount_new, _jdate(cap_on), "null", n)
    fiscal = _objects(
        [
            ("maj_aasta_algus", _j(FISCAL_YEAR[0])),
            ("maj_aasta_lopp", _j(FISCAL_YEAR[1])),
            ("algus_kpv", reg),
            ("lopp_kpv", "null"),
        ],
        4,
        n,
    )
    after_cap = _concat(
        n, f',\n{PAD[3]}"majandusaastad": ', _list(3, fiscal), f',\n{PAD[3]}"staatused": '
    )
    missing = np.isnan(capital)
    cap_before = _concat(n, np.where(missing, "[]", _list(3, cap_open)).astype(object), after_cap)
    changed = np.where(no_change, _list(3, cap_open), _list(3, cap_closed, cap_new_open))
    cap_after = _concat(n, np.where(missing, "[]", changed).astype(object), after_cap)
    forms = _objects(
        [
            ("sisu", form_code),
            ("sisu_tekstina", form_text),
            ("algus_kpv", reg),
            ("lopp_kpv", "null"),
        ],
        4,
        n,
    )
    ovs = _concat(n, _list(3, forms), f',\n{PAD[3]}"info_majandusaasta_aruannetest": ')
    return {
        "general_head": _utf8(heads),
        "general_mid": _utf8(mids),
        "act_switch": switch,
        "act_before": _utf8(act_before),
        "act_after": _utf8(act_after),
        "cap_switch": cap_on.where(~no_change).to_numpy(dtype="datetime64[us]"),
        "cap_before": _utf8(cap_before),
        "cap_after": _utf8(cap_after),
        "general_ov": _utf8(ovs),
    }


def _activities(code: pd.Series, text: pd.Series, version: int, start, end, n: int) -> np.ndarray:
    """Activity entries, one per company (a column of JSON objects at depth 4)."""
    code = code.astype(str)
    nace = (code.str[:2] + "." + code.str[2:4]).where(code.str.len() >= 4, code)
    return _objects(
        [
            ("emtak_kood", _jtext(code, '""')),
            ("emtak_tekstina", _jtext(text, '""')),
            ("emtak_versioon", str(version)),
            ("emtak_versioon_tekstina", _j(F.EMTAK_VERSION_TEXT[version])),
            ("nace_kood", _jtext(nace, '""')),
            ("on_pohitegevusala", "true"),
            ("algus_kpv", start),
            ("lopp_kpv", end),
        ],
        4,
        n,
    )


def _capitals(amount: np.ndarray, start, end, n: int) -> np.ndarray:
    return _objects(
        [
            ("kapitali_suurus", amount),
            ("kapitali_valuuta", _j(CURRENCY[0])),
            ("kapitali_valuuta_tekstina", _j(CURRENCY[1])),
            ("algus_kpv", start),
            ("lopp_kpv", end),
        ],
        4,
        n,
    )


GENERAL_TAIL = f"\n{PAD[2]}}}\n{PAD[1]}}}".encode()


def _prepare_info(world, comp, position) -> dict:
    """The general data's `info_majandusaasta_aruannetest`: one entry per submitted report,
    newest first, with the activity code valid when it was submitted."""
    reports = world.annual_reports.assign(_pos=lambda r: r["company_id"].map(position))
    reports = reports.dropna(subset=["_pos"]).sort_values(
        ["_pos", "submitted_on", "report_id"], ascending=[True, False, False], kind="stable"
    )
    pos = reports["_pos"].to_numpy(dtype=np.int64)
    switch = pd.to_datetime(_column(comp, "emtak_2025_from", pd.NaT)).to_numpy(
        dtype="datetime64[us]"
    )[pos]
    submitted = reports["submitted_on"].to_numpy(dtype="datetime64[us]")
    new = ~np.isnat(switch) & (switch <= submitted)
    code = np.where(
        new,
        _column(comp, "emtak_2025_code", "").astype(str).to_numpy(dtype=object)[pos],
        comp["emtak_code"].astype(str).to_numpy(dtype=object)[pos],
    )
    starts = _ddmmyyyy(reports["period_start"]).to_numpy(dtype=object)
    ends = _ddmmyyyy(reports["period_end"]).to_numpy(dtype=object)
    employees = reports["employees"].to_numpy(dtype=float)
    texts = [
        _obj(
            [
                ("kirje_id", str(int(rid) + 400_000_000)),
                ("majandusaasta_perioodi_algus_kpv", _j(s)),
                ("majandusaasta_perioodi_lopp_kpv", _j(e)),
                ("tootajate_arv", _j(None if np.isnan(w) else str(int(w)))),
                ("tegevusala_emtak_kood", _j(c)),
                ("tegevusala_emtak_versioon", str(F.EMTAK_2025 if v else F.EMTAK_2008)),
            ],
            4,
        )
        for rid, s, e, w, c, v in zip(
            reports["report_id"].astype(str).str.replace(r"\D", "", regex=True).replace("", "0"),
            starts,
            ends,
            employees,
            code,
            new,
            strict=True,
        )
    ]
    return {
        "info_company": pos,
        "info_submitted": submitted,
        "info_json": _utf8(texts),
    }


def _prepare_roles(world, comp, position, entry_no) -> dict:
    """Per registry-card entry (board tenures, the other roles, and the duplicated entries of
    the companies that have them): its JSON text, company and dates."""
    persons = world.persons.set_index("person_id")
    board = world.board_roles.assign(_pos=lambda r: r["company_id"].map(position))
    board = board.dropna(subset=["_pos"])
    who = persons.reindex(board["person_id"])
    foreign = _column(who, "foreign", False).fillna(False).to_numpy(dtype=bool)
    board_rows = pd.DataFrame(
        {
            "_pos": board["_pos"].to_numpy(dtype=np.int64),
            "company_id": board["company_id"].to_numpy(),
            "role": board["role"].to_numpy(),
            "kind": np.where(foreign, "foreign_natural", "natural"),
            "person_id": np.where(foreign, "", board["person_id"].to_numpy(dtype=object)),
            "first_name": who["first_name"].fillna("").to_numpy(),
            "name": who["last_name"].fillna("").to_numpy(),
            "birth_date": np.where(
                foreign, who["birth_date"].to_numpy(dtype="datetime64[us]"), np.datetime64("NaT")
            ),
            "country": np.where(foreign, _column(who, "country", "").fillna("").to_numpy(), ""),
            "town": np.where(foreign, _column(who, "town", "").fillna("").to_numpy(), ""),
            "registry_code": "",
            "foreign_code": "",
            "contribution": np.nan,
            "start_date": board["start_date"].to_numpy(dtype="datetime64[us]"),
            "end_date": board["end_date"].to_numpy(dtype="datetime64[us]"),
            "kirje_id": board["kirje_id"].to_numpy(dtype=np.int64),
        }
    )
    duplicate = _column(comp, "card_duplicate", False).fillna(False).to_numpy(dtype=bool)
    twice = board_rows[duplicate[board_rows["_pos"].to_numpy()]]
    frames = [board_rows.assign(_copy=0), twice.assign(_copy=1)]
    if world.card_roles is not None and len(world.card_roles):
        other = world.card_roles.assign(_pos=lambda r: r["company_id"].map(position))
        frames.append(other.dropna(subset=["_pos"]).assign(_copy=0))
    rows = pd.concat(frames, ignore_index=True)
    rows["_pos"] = rows["_pos"].astype(np.int64)
    rows = rows.sort_values(["_pos", "start_date", "kirje_id", "_copy"], kind="stable")
    numbers = entry_no.reindex(
        pd.MultiIndex.from_arrays([rows["company_id"], rows["start_date"]])
    ).fillna(1)
    region = _column(comp, "card_region", 1).fillna(1).astype(np.int64).to_numpy()
    texts = _person_entries(rows, numbers.to_numpy(dtype=np.int64), region)
    form = comp["legal_form_code"].astype(str).to_numpy(dtype=object)
    code = comp["company_id"].astype(np.int64).astype(str).to_numpy(dtype=object)
    heads = _concat(
        len(comp),
        f'{PAD[1]}{{\n{PAD[2]}"ariregistri_kood": ',
        code,
        f',\n{PAD[2]}"nimi": ',
        _jtext(comp["name"], '""'),
        f',\n{PAD[2]}"kaardile_kantud_isikud": [\n{PAD[3]}',
    )
    rules = {
        f: _arr([_obj([("roll", _j(r[0])), ("sisu", _j(r[1]))], 3)], 2)
        for f, r in cat.REPRESENTATION.items()
    }
    tails = [
        f"\n{PAD[2]}],\n"
        f'{PAD[2]}"esindusoiguse_normaalregulatsioonid": {rules.get(f, "[]")},\n'
        f'{PAD[2]}"esindusoiguse_eritingimused": [],\n'
        f'{PAD[2]}"hooneyhistu_liikmed": []\n{PAD[1]}}}'
        for f in form
    ]
    return {
        "role_company": rows["_pos"].to_numpy(dtype=np.int64),
        "role_start": rows["start_date"].to_numpy(dtype="datetime64[us]"),
        "role_end": rows["end_date"].to_numpy(dtype="datetime64[us]"),
        "role_json": _utf8(texts),
        "persons_head": _utf8(heads),
        "persons_tail": _utf8(tails),
    }


def _person_entries(rows: pd.DataFrame, entry_no: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The person entries of the registry card (one JSON object each, the real key set and
    order), column-wise: a legal person's entry has no `isikukood_hash` key, a foreign
    natural person's has it null, with the birth date and the country instead."""
    kind = rows["kind"].astype(str).to_numpy()
    legal = np.isin(kind, ["legal", "foreign_legal"])
    foreign = np.isin(kind, ["foreign_natural", "foreign_legal"])
    role = rows["role"].astype(str)
    country = np.where(foreign, rows["country"].fillna("").astype(str).to_numpy(), "")
    country_text = pd.Series(country).map(lambda c: cat.COUNTRY_TEXT.get(c, c))
    share = rows["contribution"].to_numpy(dtype=float)
    has_share = ~np.isnan(share)
    values = {
        "kirje_id": rows["kirje_id"].astype(np.int64).astype(str).to_numpy(dtype=object),
        "kaardi_piirkond": region[rows["_pos"].to_numpy()].astype(str).astype(object),
        "kaardi_nr": "1",
        "kaardi_tyyp": _j("R"),
        "kande_nr": entry_no.astype(str).astype(object),
        "isiku_tyyp": np.where(legal, _j(F.PERSON_TYPE_LEGAL), _j(F.PERSON_TYPE_NATURAL)).astype(
            object
        ),
        "isiku_roll": _jtext(role, '""'),
        "isiku_roll_tekstina": _jtext(role.map(lambda r: F.PERSON_ROLE_TEXT.get(r, r)), '""'),
        "eesnimi": np.where(legal, "null", _jtext(rows["first_name"], '""')).astype(object),
        "nimi_arinimi": _jtext(rows["name"], '""'),
        "isikukood_hash": _jtext(rows["person_id"]),
        "isikukood_registrikood": _jtext(rows["registry_code"]),
        "valis_kood": _jtext(rows["foreign_code"]),
        "valis_kood_riik": _jtext(country),
        "valis_kood_riik_tekstina": _jtext(country_text),
        "synniaeg": _jdate(rows["birth_date"]),
        "osamaks": np.where(
            has_share, np.array([repr(float(v)) for v in share], dtype=object), "null"
        ).astype(object),
        "osamaksu_valuuta": np.where(has_share, _j(CURRENCY[0]), "null").astype(object),
        "osamaksu_valuuta_tekstina": np.where(has_share, _j(CURRENCY[1]), "null").astype(object),
        "volituste_loppemise_kpv": '""',
        "aadress_riik": _jtext(country),
        "aadress_riik_tekstina": _jtext(country_text),
        "aadress_ehak_tekstina": '""',
        "aadress_tanav_maja_korter": _jtext(
            np.where(foreign, rows["town"].fillna("").astype(str).to_numpy(), "")
        ),
        "algus_kpv": _jdate(rows["start_date"]),
        "lopp_kpv": "null",  # the register lists current office-holders only
    }
    out = np.empty(len(rows), dtype=object)
    for group in (legal, ~legal):
        keys = [k for k in PERSON_KEYS if not (group is legal and k == "isikukood_hash")]
        pairs = [(k, _take(values.get(k, "null"), group)) for k in keys]
        out[group] = _objects(pairs, 3, int(group.sum()))
    return out


def _take(value, mask: np.ndarray):
    return value if isinstance(value, str) else value[mask]


def _report_cutoffs(world: World) -> dict:
    """Annual-report publication days (the drops dated the first of a month) -> the previous
    publication day (None for the first)."""
    starts = sorted(pd.Timestamp(d) for d in world.drop_dates if pd.Timestamp(d).day == 1)
    return dict(zip(starts, [None, *starts][: len(starts)], strict=True))


def _quoted(values) -> list[str]:
    """Fields quoted as the annual-report files quote every field (quotes doubled)."""
    return ['"' + str(v).replace('"', '""') + '"' for v in values]


def _yes_no(values) -> list[str]:
    return [F.REPORTS_YES if bool(v) else F.REPORTS_NO for v in values]


def _prepare_reports(world, comp, position) -> dict:
    """Per report: its line of the general file (the status text is filled per publication)
    and its lines of the elements file."""
    reports = world.annual_reports.assign(_pos=lambda r: r["company_id"].map(position))
    reports = reports.dropna(subset=["_pos"]).sort_values(
        ["fiscal_year", "company_id", "report_id"], kind="stable"
    )
    reports = reports.reset_index(drop=True)
    pos = reports["_pos"].to_numpy(dtype=np.int64)
    filled = _column(reports, "filled_report_id", "").fillna("").astype(str)
    legal_form = comp["legal_form_code"].astype(str).to_numpy(dtype=object)[pos]
    columns = list(F.REPORTS_GENERAL_COLUMNS)
    leading = [
        reports["report_id"].astype(str),
        filled,
        reports["company_id"].astype(str),
        pd.Series(legal_form),
        None,  # staatus: the company's status on the cut-off day, filled per publication
        reports["fiscal_year"].astype(np.int64).astype(str),
        pd.Series(_yes_no(reports["consolidated"])),
        _ddmmyyyy(reports["period_start"]),
        _ddmmyyyy(reports["period_end"]),
        _ddmmyyyy(reports["submitted_on"]),
        pd.Series(_yes_no(reports["audited"])),
    ]
    # the category and audit columns; only the minimal category has no interim column
    audit = [
        _column(reports, F.REPORT_AUDIT_COLUMNS.get(name, "category_minimal"), "")
        .fillna("")
        .astype(str)
        for name in columns[len(leading) :]
    ]
    fields = leading + audit
    status_at = next(k for k, f in enumerate(fields) if f is None)
    sep = '"' + F.REPORTS_SEPARATOR + '"'
    pre = zip(*[c.to_numpy() for c in fields[:status_at]], strict=True)
    post = zip(*[c.to_numpy() for c in fields[status_at + 1 :]], strict=True)
    report_pre = np.array(['"' + _q_join(row, sep) + sep for row in pre], dtype=object)
    report_post = np.array(
        [sep + _q_join(row, sep) + '"' + F.REPORTS_LINE_END for row in post], dtype=object
    )
    elements = _element_blocks(reports, filled)
    return {
        "report_company": pos,
        "report_year": reports["fiscal_year"].to_numpy(dtype=np.int64),
        "report_submitted": reports["submitted_on"].to_numpy(dtype="datetime64[us]"),
        "report_pre": report_pre,
        "report_post": report_post,
        "report_elements": elements,
    }


def _q_join(values, sep: str) -> str:
    return sep.join(str(v).replace('"', '""') for v in values)


def _value(v: float) -> str:
    """A figure as the elements file writes it: dot decimals, "10225914.0"."""
    return repr(float(v))


def _element_blocks(reports: pd.DataFrame, filled: pd.Series) -> np.ndarray:
    """The element lines of each report (filed under the filled-report id where it has one).

    Every report has its balance sheet and income statement (scheme 1 or 2); some repeat
    balance-sheet figures in a detailed table, the labour cost in the labour note (a copy that
    sometimes disagrees), carry group figures (`…Consolidated`) or PDF rows without an element
    name. Scheme 1 states the labour cost as `LaborExpense`, scheme 2 only in the note as
    `EmployeeExpense`."""
    scheme = _column(reports, "scheme", 1).fillna(1).astype(np.int64).to_numpy()
    detailed = _column(reports, "detailed_copy", False).fillna(False).to_numpy(dtype=bool)
    note = _column(reports, "note_copy", False).fillna(False).to_numpy(dtype=bool)
    disagree = _column(reports, "disagreeing_copy", "").fillna("").astype(str).to_numpy()
    pdf = _column(reports, "pdf_rows", False).fillna(False).to_numpy(dtype=bool)
    consolidated = reports["consolidated"].fillna(False).to_numpy(dtype=bool)
    values = {name: reports[col].to_numpy(dtype=float) for name, col in F.REPORT_ELEMENTS.items()}
    ids = np.where(filled.to_numpy() != "", filled.to_numpy(), reports["report_id"].astype(str))
    blocks = np.empty(len(reports), dtype=object)
    for i in range(len(reports)):
        figures = {name: v[i] for name, v in values.items()}
        copy = dict(figures)
        if disagree[i] in copy:  # the repeated copy of this element has another value
            v = copy[disagree[i]]
            copy[disagree[i]] = v + max(1.0, round(abs(v) * 0.07))
        rows = _element_rows(
            figures, copy, int(scheme[i]), detailed[i], note[i], consolidated[i], pdf[i]
        )
        rid = '"' + str(ids[i]).replace('"', '""') + '";"'
        blocks[i] = "".join(
            f'{rid}{table}";"{label}";"{name}";"{_value(v)}"{F.REPORTS_LINE_END}'
            for table, label, name, v in rows
            if not np.isnan(v)
        )
    return blocks


def _element_rows(figures, copy, scheme, detailed, note, consolidated, pdf):
    """(table, label, element name, value) of one report's element lines."""
    income = INCOME.get(scheme, INCOME[1])
    rows = [(BALANCE, ELEMENT_LABELS[n], n, figures[n]) for n in BALANCE_ELEMENTS]
    statement = ["Revenue", "TotalAnnualPeriodProfitLoss"]
    if scheme != 2:
        statement.insert(1, "LaborExpense")
    rows += [(income, ELEMENT_LABELS[n], n, figures[n]) for n in statement]
    if detailed:
        rows += [(BALANCE_DETAILED, ELEMENT_LABELS[n], n, copy[n]) for n in DETAILED_ELEMENTS]
    labour = figures["LaborExpense"]
    if scheme == 2:
        rows.append((LABOUR_NOTE, ELEMENT_LABELS["EmployeeExpense"], "EmployeeExpense", labour))
    elif note:
        rows.append(
            (LABOUR_NOTE, ELEMENT_LABELS["LaborExpense"], "LaborExpense", copy["LaborExpense"])
        )
    rows.append((LABOUR_NOTE, ELEMENT_LABELS[EMPLOYEES], EMPLOYEES, figures[EMPLOYEES]))
    if consolidated:
        rows += [
            (
                CONSOLIDATED_TABLE,
                ELEMENT_LABELS[n],
                n + F.CONSOLIDATED_SUFFIX,
                float(round(figures[n] * 1.35)) if not np.isnan(figures[n]) else np.nan,
            )
            for n in CONSOLIDATED_ELEMENTS
        ]
    if pdf:
        rows += [(F.REPORT_PDF_TABLE, ELEMENT_LABELS[n], "", figures[n]) for n in PDF_ELEMENTS]
    return rows


def _prepare_payments(world: World) -> pd.DataFrame:
    """Taxes paid as one row per company and year: four quarters of each measure and the day
    each quarter was published."""
    pay = world.tax_payments
    measures = list(F.PAYMENT_MEASURES)
    wide = pay.pivot_table(
        index=["company_id", "year"],
        columns="quarter",
        values=[*measures, "published_on"],
        aggfunc="first",
        dropna=False,
    )
    out = pd.DataFrame(index=wide.index)
    for measure in [*measures, "published_on"]:
        for q in range(1, 5):
            key = (measure, q)
            out[f"{measure}_{q}"] = wide[key] if key in wide.columns else np.nan
    for q in range(1, 5):
        out[f"published_on_{q}"] = pd.to_datetime(out[f"published_on_{q}"])
    return out.reset_index().sort_values(["company_id", "year"], kind="stable")


def _payment_info(comp: pd.DataFrame, place: pd.Series) -> pd.DataFrame:
    """Per company the EMTA files' description: name, type, county ("Harju ( Tallinn )"),
    activity, VAT dates."""
    town = place.map(lambda p: p.rsplit(", ", 1)[-1] if p else "")
    county = comp["county"].astype(str).str.replace(r"\s*maakond$", "", regex=True)
    business = comp["legal_form_code"].isin(F.BUSINESS_LEGAL_FORMS)
    return pd.DataFrame(
        {
            "name": comp["name"].to_numpy(),
            "type": np.where(business, EMTA_TYPE_CURRENT["business"], EMTA_TYPE_CURRENT["MTÜ"]),
            "type_old": np.where(
                business,
                EMTA_TYPE_OLD,
                comp["legal_form_code"].map(F.LEGAL_FORM_TEXT).fillna("").to_numpy(),
            ),
            "county": np.where(town != "", county + " ( " + town + " )", county),
            "activity": comp["sector"].map(cat.SECTION_NAMES_EN).fillna("").to_numpy(),
            "activity_old": comp["sector"].map(cat.SECTION_NAMES_ET).fillna("").to_numpy(),
            "vat_from": comp["vat_from"].to_numpy(dtype="datetime64[us]"),
            "vat_until": comp["vat_until"].to_numpy(dtype="datetime64[us]"),
        },
        index=comp["company_id"].to_numpy(),
    )


# ---------------------------------------------------------------------------------- one drop
def register_on(p: Prepared, day64: np.datetime64) -> tuple[np.ndarray, ...]:
    """Who is on the register on a day (by company position): each company's latest visible
    status event (-1 if none yet), its status code, whether it is listed (born and not
    deleted), and the listed positions."""
    visible = p.event_start <= day64
    counts = np.bincount(p.event_company[visible], minlength=len(p.companies))
    last_event = np.where(counts > 0, p.company_first_event + counts - 1, -1)
    status = np.where(last_event >= 0, p.event_status[np.maximum(last_event, 0)], "")
    alive = (counts > 0) & (status != "K")
    return last_event, status, alive, np.flatnonzero(alive)


def render_drop(p: Prepared, day: pd.Timestamp, previous: pd.Timestamp | None) -> dict[str, bytes]:
    """The files of the drop dated `day` (name -> bytes); `previous` is the prior drop date."""
    day = pd.Timestamp(day)
    day64 = np.datetime64(day, "us")
    last_event, status, alive, on_register = register_on(p, day64)

    files = {
        F.RIK_BASIC + ".zip": _zip(F.RIK_BASIC, _basic_csv(p, day, on_register, status)),
        F.RIK_GENERAL + ".zip": _zip(
            F.RIK_GENERAL, _general_json(p, day64, on_register, last_event)
        ),
        F.RIK_PERSONS + ".zip": _zip(F.RIK_PERSONS, _persons_json(p, day64, alive)),
        F.TAX_DEBTORS: _tax_debtors_csv(p, day),
    }
    files.update(_report_files(p, day, status))
    since = pd.Timestamp.min if previous is None else pd.Timestamp(previous)
    files.update(_tax_payment_files(p, day, since))
    return dict(sorted(files.items()))


def _zip(name: str, data: bytes) -> bytes:
    """A one-member zip with fixed metadata, so equal content gives equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, data, compresslevel=1)
    return buffer.getvalue()


def _join_fields(columns: list[pd.Series], sep: str) -> pd.Series:
    """Row-wise CSV text of several columns (quoted where needed)."""
    line = _csv_field(columns[0])
    for column in columns[1:]:
        line = line + sep + _csv_field(column)
    return line


def _csv_field(values: pd.Series) -> pd.Series:
    """CSV quoting as the csv module does it (minimal): only fields with ; " or line breaks."""
    values = values.astype("str")
    quote = values.str.contains(r'[;"\r\n]', regex=True)
    return values.mask(quote, '"' + values.str.replace('"', '""', regex=False) + '"')


def _basic_csv(p: Prepared, day: pd.Timestamp, rows: np.ndarray, status: np.ndarray) -> bytes:
    day64 = np.datetime64(day, "us")
    start, until = p.vat_from[rows], p.vat_until[rows]
    vat = (start <= day64) & (np.isnat(until) | (until > day64))
    codes = status[rows]
    sep = F.RIK_CSV_SEPARATOR
    texts = np.array([sep + c + sep + F.STATUS_TEXT[c] for c in codes], dtype=object)
    lines = p.basic_head[rows] + np.where(vat, p.vat_number[rows], "") + texts + p.basic_tail[rows]
    header = sep.join(F.RIK_BASIC_COLUMNS)
    return "\n".join([header, *lines.tolist(), ""]).encode(F.RIK_CSV_ENCODING)


def _general_json(
    p: Prepared, day64: np.datetime64, rows: np.ndarray, last_event: np.ndarray
) -> bytes:
    events = last_event[rows]
    act = np.where(p.act_switch[rows] <= day64, p.act_after[rows], p.act_before[rows])
    cap = np.where(p.cap_switch[rows] <= day64, p.cap_after[rows], p.cap_before[rows])
    info = np.full(len(p.companies), b"[]", dtype=object)
    vis = np.flatnonzero(p.info_submitted <= day64)
    open_, close = f"[\n{PAD[4]}".encode(), f"\n{PAD[3]}]".encode()
    who, joined = _group_join(p.info_company[vis], p.info_json[vis], f",\n{PAD[4]}".encode())
    info[who] = [open_ + t + close for t in joined]
    columns = [
        p.general_head[rows],
        p.general_status[events],
        p.general_mid[rows],
        act,
        cap,
        p.general_staatused[events],
        p.general_ov[rows],
        info[rows],
    ]
    return _json_array(columns, GENERAL_TAIL)


def _persons_json(p: Prepared, day64: np.datetime64, alive: np.ndarray) -> bytes:
    """Each company's current entries, joined without a loop over companies: an entry is
    preceded by its company's head (the first) or a separator, the last followed by the
    company's tail."""
    current = (
        (p.role_start <= day64)
        & (np.isnat(p.role_end) | (p.role_end > day64))
        & alive[p.role_company]
    )
    idx = np.flatnonzero(current)
    if not len(idx):
        return b"[]"
    company = p.role_company[idx]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = company[1:] != company[:-1]
    last = np.ones(len(idx), dtype=bool)
    last[:-1] = first[1:]
    before = np.where(first, p.persons_head[company], f",\n{PAD[3]}".encode())
    after = np.full(len(idx), b"", dtype=object)
    after[last] = p.persons_tail[company[last]] + b",\n"
    after[-1] = p.persons_tail[company[-1]] + b"\n]"
    flat = np.column_stack([before, p.role_json[idx], after]).ravel().tolist()
    return b"[\n" + b"".join(flat)


def emta_amount(values: pd.Series) -> list[str]:
    """EMTA style: two decimals, decimal comma, non-breaking-space thousands ("12 345,67")."""
    table = str.maketrans({",": NBSP, ".": ","})
    return ["" if pd.isna(v) else f"{v:,.2f}".translate(table) for v in values]


def _tax_debtors_csv(p: Prepared, day: pd.Timestamp) -> bytes:
    debts = p.world.tax_debts
    debts = debts[debts["as_of"] == day].sort_values("company_id", kind="stable")
    names = p.companies.set_index("company_id")["name"]
    frame = pd.DataFrame(
        {
            "Andmed on seisuga": _ddmmyyyy(debts["as_of"]).to_numpy(),
            "Registrikood": debts["company_id"].to_numpy(),
            "Nimi": names.reindex(debts["company_id"]).fillna("").to_numpy(),
            "Maksuvõlg": emta_amount(debts["debt"]),
            "sh vaidlustatud": emta_amount(debts["disputed"]),
            "sh tasumisgraafikus": emta_amount(debts["scheduled"]),
            "Tasumisgraafiku lõppkuupäev": _ddmmyyyy(debts["schedule_end"]).to_numpy(),
            "Vanima tasumata nõude tasumise tähtpäev": _ddmmyyyy(debts["oldest_due"]).to_numpy(),
        },
        columns=list(F.TAX_DEBTORS_COLUMNS),
    )
    text = frame.to_csv(sep=F.TAX_DEBTORS_SEPARATOR, index=False, lineterminator="\n")
    return text.encode(F.TAX_DEBTORS_ENCODING)


# -------------------------------------------------------------------------- annual reports
def report_file_stems(day: pd.Timestamp, years) -> tuple[str, list[str]]:
    """The logical names of a publication with cut-off `day`: the general file and one
    elements file per fiscal year."""
    cutoff = f"{pd.Timestamp(day):%d%m%Y}"
    general = F.REPORTS_GENERAL_FILE.format(cutoff=cutoff)
    return general, [F.REPORTS_ELEMENTS_FILE.format(year=y, cutoff=cutoff) for y in years]


def _report_files(p: Prepared, day: pd.Timestamp, status: np.ndarray) -> dict[str, bytes]:
    """The cumulative annual-report publication of `day`, if `day` is a publication day and
    reports were submitted since the previous one."""
    if day not in p.report_cutoffs:
        return {}
    before = p.report_cutoffs[day]
    day64 = np.datetime64(day, "us")
    shown = p.report_submitted <= day64
    since = np.datetime64(before, "us") if before is not None else None
    if not shown.any() or (since is not None and not (p.report_submitted[shown] > since).any()):
        return {}
    idx = np.flatnonzero(shown)
    text = np.array([F.STATUS_TEXT.get(s, s) for s in status[p.report_company[idx]]], dtype=object)
    header = _quoted(F.REPORTS_GENERAL_COLUMNS)
    end = F.REPORTS_LINE_END
    general = (
        F.REPORTS_SEPARATOR.join(header)
        + end
        + "".join((p.report_pre[idx] + text + p.report_post[idx]).tolist())
    )
    years = sorted(set(p.report_year[idx].tolist()))
    general_name, element_names = report_file_stems(day, years)
    files = {_stem(general_name) + ".zip": _zip(general_name, general.encode(F.REPORTS_ENCODING))}
    element_header = F.REPORTS_SEPARATOR.join(_quoted(F.REPORTS_ELEMENTS_COLUMNS)) + end
    for year, name in zip(years, element_names, strict=True):
        rows = idx[p.report_year[idx] == year]
        body = element_header + "".join(p.report_elements[rows].tolist())
        files[_stem(name) + ".zip"] = _zip(name, body.encode(F.REPORTS_ENCODING))
    return files


def _stem(name: str) -> str:
    return name[: -len(".csv")] if name.endswith(".csv") else name


# ----------------------------------------------------------------------------- taxes paid
def _tax_payment_files(p: Prepared, day: pd.Timestamp, since: pd.Timestamp) -> dict[str, bytes]:
    """What EMTA published in (since, day]: the current generation's two files, rewritten
    whole, when a quarter of a year from TAX_PAYMENTS_CURRENT_FROM_YEAR came out, and the older
    generation's file of each newly published earlier quarter."""
    pay = p.world.tax_payments
    new = pay[(pay["published_on"] > since) & (pay["published_on"] <= day)]
    files: dict[str, bytes] = {}
    current_from = F.TAX_PAYMENTS_CURRENT_FROM_YEAR
    quarters = zip(new["year"].astype(int), new["quarter"].astype(int), strict=True)
    for year, quarter in sorted(set(quarters)):
        if year < current_from:
            rows = new[(new["year"] == year) & (new["quarter"] == quarter)]
            name = F.TAX_PAYMENTS_OLD_FILE.format(year=year, quarter=F.roman_quarter(quarter))
            files[name] = _old_payments_csv(rows, p.payment_info, year, quarter)
    if (new["year"] >= current_from).any():
        files.update(_current_payment_files(p, day))
    return files


def _comma(values) -> list[str]:
    """Decimal comma with plain-space thousands, as in the older EMTA files ("22 353,85")."""
    table = str.maketrans({",": " ", ".": ","})
    return ["" if pd.isna(v) else f"{v:,.2f}".translate(table) for v in values]


def _old_payments_csv(rows: pd.DataFrame, info: pd.DataFrame, year: int, quarter: int) -> bytes:
    rows = rows.sort_values("company_id", kind="stable")
    meta = info.reindex(rows["company_id"])
    quarter_end = np.datetime64(F.quarter_period(year, quarter)[1], "us")
    vat_from = meta["vat_from"].to_numpy(dtype="datetime64[us]")
    vat_until = meta["vat_until"].to_numpy(dtype="datetime64[us]")
    vat = (vat_from <= quarter_end) & (np.isnat(vat_until) | (vat_until > quarter_end))
    frame = pd.DataFrame(
        {
            "Registrikood": rows["company_id"].to_numpy(),
            "Nimi": meta["name"].fillna("").to_numpy(),
            "Liik": meta["type_old"].fillna("").to_numpy(),
            "Registreeritud käibemaksukohustuslaste registrisse": np.where(vat, "jah", "ei"),
            "EMTAK tegevusvaldkond, mis on EMTAKi struktuuris tähistatud tähtkoodiga": meta[
                "activity_old"
            ]
            .fillna("")
            .to_numpy(),
            "Maakond": meta["county"].fillna("").to_numpy(),
            "Riiklikud Maksud": _comma(rows["state_taxes"]),
            "Tööjõumaksud Ja Maksed": _comma(rows["labour_taxes"]),
            "Kaive": _comma(rows["turnover"]),
            "Tootajaid": ["" if pd.isna(v) else str(int(round(v))) for v in rows["employees"]],
        },
        columns=list(F.TAX_PAYMENTS_OLD_COLUMNS),
    )
    text = frame.to_csv(sep=F.TAX_PAYMENTS_OLD_SEPARATOR, index=False, lineterminator="\n")
    utf8, latin1 = F.TAX_PAYMENTS_OLD_ENCODINGS
    encoding = latin1 if year <= OLD_PAYMENTS_LATIN1_UNTIL else utf8
    return text.encode(encoding, errors="replace")


def _whole(values: np.ndarray, decimal: bool) -> np.ndarray:
    """Whole euros (or head counts), "" where not reported; "1178.0" when `decimal`."""
    missing = np.isnan(values)
    text = np.rint(np.where(missing, 0.0, values)).astype(np.int64).astype(str).astype(object)
    if decimal:
        text = text + ".0"
    return np.where(missing, "", text)


def _current_payment_files(p: Prepared, day: pd.Timestamp) -> dict[str, bytes]:
    """`tasutud_maksud_kaesolev_aasta_eng.csv` (this and last year) and
    `tasutud_maksud_varasemad_aastad_eng.csv` (the earlier years of the generation), each one
    row per company and year with the quarters published by `day`. The earlier years' file
    writes whole euros as "1178.0", the current one as "1178"."""
    day64 = np.datetime64(day, "us")
    wide = p.payments[p.payments["year"] >= F.TAX_PAYMENTS_CURRENT_FROM_YEAR]
    published = np.column_stack(
        [wide[f"published_on_{q}"].to_numpy(dtype="datetime64[us]") <= day64 for q in range(1, 5)]
    )
    wide = wide[published.any(axis=1)]
    published = published[published.any(axis=1)]
    current, earlier = F.TAX_PAYMENTS_CURRENT_FILES
    files = {}
    for stem, years, decimal in (
        (current, (day.year - 1, day.year), False),
        (earlier, tuple(range(F.TAX_PAYMENTS_CURRENT_FROM_YEAR, day.year - 1)), True),
    ):
        sel = wide["year"].isin(years).to_numpy()
        if not sel.any():
            continue
        rows, shown = wide[sel], published[sel]
        meta = p.payment_info.reindex(rows["company_id"])
        data: dict[str, object] = {
            "Data date": f"{day:{F.DATE_FORMAT}}",
            "Registry code": rows["company_id"].to_numpy(),
            "Name": meta["name"].fillna("").to_numpy(),
            "Type": meta["type"].fillna("").to_numpy(),
            "County": meta["county"].fillna("").to_numpy(),
            "Activity": meta["activity"].fillna("").to_numpy(),
            "Year": rows["year"].astype(np.int64).to_numpy(),
        }
        for label, measure in zip(F.TAX_PAYMENTS_MEASURE_LABELS, F.PAYMENT_MEASURES, strict=True):
            for q, word in enumerate(F.QUARTER_WORDS, start=1):
                values = np.where(shown[:, q - 1], rows[f"{measure}_{q}"].to_numpy(float), np.nan)
                data[f"{label} {word} qtr"] = _whole(values, decimal)
        frame = pd.DataFrame(data, columns=list(F.TAX_PAYMENTS_COLUMNS))
        text = frame.to_csv(
            sep=F.TAX_PAYMENTS_SEPARATOR, index=False, lineterminator="\n", quoting=csv.QUOTE_ALL
        )
        name = stem + F.TAX_PAYMENTS_ENGLISH_SUFFIX + ".csv"
        files[name] = text.encode(F.TAX_PAYMENTS_ENCODING)
    return files
