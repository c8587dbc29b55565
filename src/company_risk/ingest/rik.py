"""Readers of the register's (RIK) daily files: a file in, typed and validated tables out.

Pure functions of a path and its `Source` (plus the drop date or the pseudonym key where they
need one). Each sets `rejects.total` to the rows (CSV) or items (JSON) it validated. A
record-level fault (a bad or duplicate registry code, a bad or empty date, an unknown status
code, a bad amount, a person without a usable key) is recorded in `rejects` with its row and
field, and that row, or that entry of a history, is left out; a structural fault (not a JSON
array, invalid or truncated JSON, a missing column, a wrong delimiter) raises `source.error`.

Only what the history tables need leaves this module. The persons and shareholders files are
reduced to a pseudonymous person key (`person_key`), the role or share and the dates: names,
personal codes, birth dates and e-mail addresses are read past, never returned, and never
written to `rejects` either (only codes, roles, types and dates are validated). Contact data of
the general file (`sidevahendid`) is not read at all.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from company_risk import formats as F
from company_risk.ingest import parse
from company_risk.ingest.errors import Rejects, RowMask, Source
from company_risk.ingest.jsonstream import iter_json_array, quiet_gc

STATUSES = tuple(F.STATUS_TEXT)
PERSON_TYPES = (F.PERSON_TYPE_NATURAL, F.PERSON_TYPE_LEGAL)
NATURAL, FOREIGN_NATURAL, LEGAL, FOREIGN_LEGAL = F.PERSON_KINDS
FOREIGN_PERSON_PREFIX = "fp-"  # cannot collide with the register's UUID-like hashes
FOREIGN_PERSON_HEX = 32  # hex digits of the keyed hash kept in a foreign person's key
UNKNOWN_COUNTRY = "XX"  # a foreign legal person whose country is not given
_TRUE = (True, "true", "True", "jah", "Jah")


# ------------------------------------------------------------------------ small helpers
def _code(value: object) -> str:
    """ariregistri_kood as a string (the JSON writes it as a number); "" when not a code."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return ""
    return str(value)


def _scalar(value: object) -> str:
    """A JSON scalar as text, "" for null (lists and objects are not scalars: "")."""
    if type(value) is str:
        return value
    if value is None or isinstance(value, list | dict):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _series(values, dtype: str = "str") -> pd.Series:
    return pd.Series(values, dtype=dtype)


class _Entries:
    """Entries (tuples of `width` raw JSON values) gathered item by item, turned into compact
    text columns every `chunk` entries: a national file has millions of them, and as Python
    tuples of strings they would take several times the memory of the finished table."""

    def __init__(self, width: int, chunk: int = 1 << 16) -> None:
        self.width, self.chunk = width, chunk
        self.rows: list[tuple] = []
        self.of_item: list[int] = []
        self.parts: list[tuple[np.ndarray, list[pd.Series]]] = []

    def add(self, position: int, rows: list[tuple]) -> None:
        if rows:
            self.rows.extend(rows)
            self.of_item.extend(repeat(position, len(rows)))
            if len(self.rows) >= self.chunk:
                self._flush()

    def _flush(self) -> None:
        if self.rows:
            columns = [parse.text(_series(c)) for c in zip(*self.rows, strict=True)]
            self.parts.append((np.asarray(self.of_item, dtype=np.int64), columns))
            self.rows, self.of_item = [], []

    def columns(self) -> tuple[np.ndarray, list[pd.Series]]:
        """(the item of each entry, one text column per value)."""
        self._flush()
        if not self.parts:
            return np.zeros(0, dtype=np.int64), [_series([]) for _ in range(self.width)]
        items = np.concatenate([part[0] for part in self.parts])
        columns = [
            pd.concat([part[1][i] for part in self.parts], ignore_index=True)
            for i in range(self.width)
        ]
        self.parts = []
        return items, columns


def _gather(
    path: Path, source: Source, extract, width: int
) -> tuple[list[str], np.ndarray, list[pd.Series]]:
    """Stream a file whose `extract` gives (registry code, entries) per item: the items'
    codes, the item of each entry, and the entries as `width` text columns."""
    codes, entries = [], _Entries(width)
    for position, (code, rows) in iter_json_array(path, source, extract):
        codes.append(code)
        entries.add(position, rows)
    return (codes, *entries.columns())


def _item_codes(source: Source, codes: list[str], rejects: Rejects) -> tuple[pd.Series, np.ndarray]:
    """The items' registry codes (validated, unique) and which items are usable."""
    rejects.total = len(codes)
    mask = rejects.over(len(codes))
    company_id = parse.codes(source, _series(codes), "ariregistri_kood", reject=mask)
    parse.unique(source, company_id, "ariregistri_kood", reject=mask)
    return company_id, ~mask.bad


# ------------------------------------------------------------------------------ basic CSV
def read_basic(path: Path, source: Source, rejects: Rejects) -> tuple[pd.DataFrame, pd.Index]:
    """The basic-data CSV -> (one row per company: company_id, name, legal_form (text),
    legal_form_subtype, vat_number ("" = not VAT-registered), first_registered, ehak_code,
    county, status; the `held` companies: valid registry codes whose row was rejected, so
    the company is listed today though its row is not usable)."""
    raw = parse.csv_table(
        path, source, F.RIK_CSV_SEPARATOR, F.RIK_BASIC_COLUMNS, encoding=F.RIK_CSV_ENCODING
    )
    rejects.total = len(raw)
    mask = rejects.over(len(raw))
    company_id = parse.codes(source, raw["ariregistri_kood"], "ariregistri_kood", reject=mask)
    well_formed = ~mask.bad.copy()
    parse.unique(source, company_id, "ariregistri_kood", reject=mask)
    status = parse.one_of(
        source, raw["ettevotja_staatus"], "ettevotja_staatus", STATUSES, reject=mask
    )
    name = parse.plain_text(
        source, parse.required(source, raw["nimi"], "nimi", reject=mask), "nimi", reject=mask
    )
    # unverified whether every row has a first-entry date: an empty one is NaT, a bad one
    # (or one after the drop) rejects the row
    first = parse.dated_by_drop(
        source,
        parse.dates(
            source,
            raw["ettevotja_esmakande_kpv"],
            "ettevotja_esmakande_kpv",
            optional=True,
            reject=mask,
        ),
        "ettevotja_esmakande_kpv",
        reject=mask,
    )
    ehak_text = parse.text(raw["asukoha_ehak_tekstina"])
    basic = pd.DataFrame(
        {
            "company_id": company_id,
            "name": name,
            "legal_form": parse.text(raw["ettevotja_oiguslik_vorm"]),
            "legal_form_subtype": parse.text(raw["ettevotja_oigusliku_vormi_alaliik"]),
            "vat_number": parse.text(raw["kmkr_nr"]),
            "first_registered": first,
            "ehak_code": parse.text(raw["asukoha_ehak_kood"]),
            "county": county(ehak_text),
            "status": status,
        }
    )
    kept = basic[~mask.bad].reset_index(drop=True)
    held = company_id[mask.bad & well_formed]
    held = pd.Index(held[~parse.member(held, kept["company_id"])].unique(), dtype="str")
    return kept, held


def county(ehak_text: pd.Series) -> pd.Series:
    """The county ("Harju maakond") from an EHAK place text ("Kesklinna linnaosa, Tallinn,
    Harju maakond"); the whole text when it names no county."""
    found = ehak_text.str.extract(r"(?:^|,)\s*([^,]*maakond)[^,]*$", expand=False)
    return found.fillna(ehak_text).astype("str")


# --------------------------------------------------------------------------- general JSON
def sector(divisions: pd.Series, versions: pd.Series) -> pd.Series:
    """Section letter of each activity from its division (two digits, as text) under its own
    classification version (`formats.EMTAK_SECTIONS`); "" when either is unknown."""
    pairs = pd.MultiIndex.from_arrays([divisions.astype("str"), versions.astype("int64")])
    letters = {(d, v): F.section_of(d, v) for d, v in pairs.unique()}
    return pd.Series(pairs.map(letters.get), index=divisions.index, dtype="str")


def _ymd(value: object) -> str | None:
    """A date DD.MM.YYYY as YYYYMMDD (comparable as text); None when not of that shape."""
    if type(value) is str and len(value) == 10 and value[2] == "." and value[5] == ".":
        ymd = value[6:] + value[3:5] + value[:2]
        if ymd.isdigit():
            return ymd
    return None


def _in_force(entries: list[tuple], day: str) -> list[tuple]:
    """Of a history's entries (tuples ending in algus_kpv, lopp_kpv), the one in force on
    `day` ("YYYYMMDD": started by then, not ended before; the latest start, of equal starts
    the last listed), plus every entry whose dates are not of the DD.MM.YYYY shape, kept for
    the validation that rejects them. What is left is validated and chosen again, vectorised;
    this first pass only keeps the tables small."""
    best, best_start, odd = None, "", []
    for entry in entries:
        start, end = _ymd(entry[-2]), entry[-1]
        end_ymd = None if end is None or end == "" else _ymd(end)
        if start is None or (end_ymd is None and not (end is None or end == "")):
            odd.append(entry)
        elif start <= day and (end_ymd is None or end_ymd >= day) and start >= best_start:
            best, best_start = entry, start
    if best is not None:
        odd.append(best)
    return odd


def _general_fields(day: pd.Timestamp):
    """The extract of one general item: (code, legal form code, main activities, capitals,
    statuses), each history entry a tuple of raw JSON values (made text column by column
    later); of the activities and capitals only those that may be in force on `day`."""
    ymd = day.strftime("%Y%m%d")

    def extract(item: dict) -> tuple:
        general = item.get("yldandmed") or {}
        activities = [
            (
                a.get("emtak_kood"),
                a.get("emtak_versioon"),
                a.get("nace_kood"),
                a.get("algus_kpv"),
                a.get("lopp_kpv"),
            )
            for a in general.get("teatatud_tegevusalad") or ()
            if a.get("on_pohitegevusala") in _TRUE
        ]
        capitals = [
            (c.get("kapitali_suurus"), c.get("algus_kpv"), c.get("lopp_kpv"))
            for c in general.get("kapitalid") or ()
        ]
        return (
            _code(item.get("ariregistri_kood")),
            general.get("oiguslik_vorm"),
            _in_force(activities, ymd) if len(activities) > 1 else activities,
            _in_force(capitals, ymd) if len(capitals) > 1 else capitals,
            [(s.get("staatus"), s.get("algus_kpv")) for s in general.get("staatused") or ()],
        )

    return extract


def _history(
    source: Source,
    items: np.ndarray,
    columns: list[pd.Series],
    fields: tuple[str, ...],
    rejects: Rejects,
    usable: np.ndarray,
) -> tuple[pd.DataFrame, RowMask]:
    """History entries (text `columns` named `fields`, entry i from item `items[i]`) as a
    frame plus `item`, and `start`/`end` dates parsed from `algus_kpv`/`lopp_kpv` (an entry
    with a bad or empty start, or a bad end, is rejected); entries of unusable items are
    marked bad without a record (the item's own fault is recorded)."""
    frame = pd.DataFrame(dict(zip(fields, columns, strict=True)))
    mask = rejects.over(len(frame))
    if len(items):
        mask.bad |= ~usable[items]
    frame["item"] = items
    frame["start"] = parse.dates(source, frame["algus_kpv"], "algus_kpv", items, reject=mask)
    if "lopp_kpv" in fields:
        frame["end"] = parse.dates(
            source, frame["lopp_kpv"], "lopp_kpv", items, optional=True, reject=mask
        )
    return frame, mask


def _in_force_on(frame: pd.DataFrame, mask: RowMask, day: pd.Timestamp) -> pd.DataFrame:
    """The valid entries of a history in force on `day`, one per item (the latest start; of
    equal starts the one listed last), indexed by item."""
    started = (frame["start"] <= day).to_numpy(dtype=bool)
    open_ = (frame["end"].isna() | (frame["end"] >= day)).to_numpy(dtype=bool)
    chosen = frame[~mask.bad & started & open_]
    chosen = chosen.sort_values(["item", "start"], kind="stable")
    return chosen.drop_duplicates("item", keep="last").set_index("item")


def _main_activity(
    source: Source, entries: _Entries, day: pd.Timestamp, rejects: Rejects, usable: np.ndarray
) -> pd.DataFrame:
    """emtak_code, emtak_version, nace_code, sector of the main activity in force on `day`,
    indexed by item."""
    fields = ("emtak_kood", "emtak_versioon", "nace_kood", "algus_kpv", "lopp_kpv")
    acts, mask = _history(source, *entries.columns(), fields, rejects, usable)
    versions = [str(v) for v in F.EMTAK_SECTIONS]
    parse.one_of(source, acts["emtak_versioon"], "emtak_versioon", versions, acts["item"], mask)
    acts = _in_force_on(acts, mask, day)
    version = pd.to_numeric(acts["emtak_versioon"]).astype("int64")
    nace = acts["nace_kood"]
    division = nace.str.slice(0, 2).where(
        nace.str.match(r"\d\d"), acts["emtak_kood"].str.slice(0, 2)
    )
    return pd.DataFrame(
        {
            "emtak_code": acts["emtak_kood"],
            "emtak_version": version,
            "nace_code": nace,
            "sector": sector(division, version),
        }
    )


def _capital(
    source: Source, entries: _Entries, day: pd.Timestamp, rejects: Rejects, usable: np.ndarray
) -> pd.Series:
    """The share capital in force on `day`, indexed by item."""
    fields = ("kapitali_suurus", "algus_kpv", "lopp_kpv")
    caps, mask = _history(source, *entries.columns(), fields, rejects, usable)
    caps["amount"] = parse.numbers(
        source, caps["kapitali_suurus"], "kapitali_suurus", False, caps["item"], reject=mask
    )
    return _in_force_on(caps, mask, day)["amount"]


def _status_events(
    source: Source, entries: _Entries, company_id: pd.Series, rejects: Rejects, usable: np.ndarray
) -> pd.DataFrame:
    """company_id, status, valid_from of every valid entry of `staatused[]`."""
    fields = ("staatus", "algus_kpv")
    stats, mask = _history(source, *entries.columns(), fields, rejects, usable)
    status = parse.one_of(source, stats["staatus"], "staatus", STATUSES, stats["item"], mask)
    stats["start"] = parse.dated_by_drop(source, stats["start"], "algus_kpv", stats["item"], mask)
    good = ~mask.bad
    return pd.DataFrame(
        {
            "company_id": _series(company_id.to_numpy()[stats["item"].to_numpy()[good]]),
            "status": status[good].to_numpy(),
            "valid_from": stats["start"][good].to_numpy(),
        }
    ).astype({"status": "str", "valid_from": "datetime64[us]"})


def read_general(
    path: Path, source: Source, day: pd.Timestamp, rejects: Rejects
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The general-data JSON -> (companies, statuses), streamed.

    companies: company_id, legal_form_code (`oiguslik_vorm`: OÜ, AS, FIE, ...), emtak_code,
    emtak_version (2 = EMTAK 2008, 3 = EMTAK 2025; 0 when none), nace_code, sector, capital:
    the main activity and the share capital in force on `day` (the drop date), both histories.
    The section letter follows the activity's own classification version, from the division of
    `nace_kood` when given, else of `emtak_kood`. statuses: company_id, status, valid_from,
    valid_to from `staatused[]`, each status lasting until the company's next one. A bad entry
    of a history (unknown status, bad or empty start, bad amount or version) is rejected and
    left out; the company keeps its other entries. Every status entry is validated; of the
    activity and capital histories, only the entries that may be in force on `day` (and any
    whose dates are malformed) are.
    """
    with quiet_gc():
        codes, forms = [], []
        activities, capitals, statuses = _Entries(5), _Entries(3), _Entries(2)
        for position, (code, form, acts, caps, stats) in iter_json_array(
            path, source, _general_fields(day)
        ):
            codes.append(code)
            forms.append(form)
            activities.add(position, acts)
            capitals.add(position, caps)
            statuses.add(position, stats)
        company_id, usable = _item_codes(source, codes, rejects)
        main = _main_activity(source, activities, day, rejects, usable)
        capital = _capital(source, capitals, day, rejects, usable)
        events = _status_events(source, statuses, company_id, rejects, usable)
        items = np.arange(len(codes))
        companies = pd.DataFrame(
            {
                "company_id": company_id,
                "legal_form_code": parse.text(_series(forms)),
                "emtak_code": main["emtak_code"].reindex(items, fill_value=""),
                "emtak_version": main["emtak_version"].reindex(items, fill_value=0),
                "nace_code": main["nace_code"].reindex(items, fill_value=""),
                "sector": main["sector"].reindex(items, fill_value=""),
                "capital": capital.reindex(items),
            }
        )[usable]
        companies = companies.astype(
            {
                "emtak_code": "str",
                "emtak_version": "int64",
                "nace_code": "str",
                "sector": "str",
                "capital": "float64",
            }
        ).reset_index(drop=True)
        return companies, status_intervals(events)


def status_intervals(statuses: pd.DataFrame) -> pd.DataFrame:
    """Status events (company_id, status, valid_from) -> intervals: each status lasts until
    the company's next status (valid_to NaT for the current one)."""
    s = statuses.drop_duplicates(["company_id", "status", "valid_from"])
    s = s.sort_values(["company_id", "valid_from"], kind="stable").reset_index(drop=True)
    nxt = s["valid_from"].shift(-1)
    same = s["company_id"].eq(s["company_id"].shift(-1))
    return s.assign(valid_to=nxt.where(same).astype("datetime64[us]"))


# ----------------------------------------------------------------------------- person keys
def _clean(value: object) -> str:
    """A name, date or code compared across files: NFC, single spaces, case-folded."""
    if value is None or isinstance(value, bool | list | dict):
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(text.split()).casefold()


def person_key(person: dict, secret: bytes) -> tuple[str, str]:
    """(person_type, person_id) of one person entry of the persons or shareholders file, or
    ("", "") when the entry carries no usable key. person_type is one of
    `formats.PERSON_KINDS`:

    - natural: the register's `isikukood_hash` (a natural person with an Estonian code);
    - foreign_natural (`isiku_tyyp` F, hash null): "fp-" + a keyed hash (HMAC-SHA256 with
      `secret`) of first name, last name, birth date and country, so the same person gets the
      same key in every company and every drop, and no name can be read back from it;
    - legal: the Estonian registry code `isikukood_registrikood` (then person_id equals that
      company's company_id: a company-company link);
    - foreign_legal: "<valis_kood_riik or XX>-<valis_kood>".
    """
    kind = person.get("isiku_tyyp")
    if kind == F.PERSON_TYPE_NATURAL:
        register_hash = _scalar(person.get("isikukood_hash")).strip()
        if register_hash:
            return NATURAL, register_hash
        first, last = _clean(person.get("eesnimi")), _clean(person.get("nimi_arinimi"))
        born = _clean(person.get("synniaeg"))
        if not (first or last) or not born:
            return "", ""
        country = _clean(person.get("valis_kood_riik")).upper()
        message = "\x1f".join((first, last, born, country)).encode("utf-8")
        digest = hmac.new(secret, message, hashlib.sha256).hexdigest()
        return FOREIGN_NATURAL, FOREIGN_PERSON_PREFIX + digest[:FOREIGN_PERSON_HEX]
    if kind == F.PERSON_TYPE_LEGAL:
        code = _scalar(person.get("isikukood_registrikood")).strip()
        if code:
            return LEGAL, code
        foreign = _scalar(person.get("valis_kood")).strip()
        if foreign:
            country = _scalar(person.get("valis_kood_riik")).strip().upper() or UNKNOWN_COUNTRY
            return FOREIGN_LEGAL, f"{country}-{foreign}"
    return "", ""


def _people(
    source: Source,
    item: np.ndarray,
    raw_type: pd.Series,
    kind: pd.Series,
    person_id: pd.Series,
    usable: np.ndarray,
    company_id: pd.Series,
    rejects: Rejects,
) -> tuple[pd.DataFrame, RowMask]:
    """Person entries validated: the type (F or J), a usable key, an 8-digit code for an
    Estonian legal person. The values written to `rejects` are the entry's `isiku_tyyp`,
    never a name or a code. -> (company_id, person_id, person_type; the mask)."""
    mask = rejects.over(len(item))
    if len(item):
        mask.bad |= ~usable[item]  # entries of a rejected item: left out, already recorded
    parse.one_of(source, raw_type, "isiku_tyyp", PERSON_TYPES, item, mask)
    shown = raw_type.to_numpy()
    no_key = (person_id == "").to_numpy()
    mask.add(
        no_key,
        item,
        "isikukood_hash",
        shown,
        "no person key (no isikukood_hash; no name with a birth date; no registry or foreign code)",
    )
    legal = (kind == LEGAL).to_numpy()
    bad_code = legal & ~person_id.str.fullmatch(parse.CODE).to_numpy(dtype=bool)
    mask.add(bad_code, item, "isikukood_registrikood", shown, "is not an 8-digit registry code")
    frame = pd.DataFrame(
        {
            "company_id": _series(company_id.to_numpy()[item]),
            "person_id": person_id,
            "person_type": kind,
        }
    )
    return frame, mask


# ---------------------------------------------------------------------------- persons JSON
def read_persons(
    path: Path, source: Source, pseudonym_key: bytes, rejects: Rejects
) -> pd.DataFrame:
    """Persons on the registry card -> company_id, person_id, person_type, role, start_date:
    one row per person entry (every role code kept, unknown ones too), exact duplicates
    collapsed. Only current office-holders are listed; see `person_key` for the keys."""

    def extract(item: dict) -> tuple:
        people = []
        for p in item.get("kaardile_kantud_isikud") or ():
            kind, person_id = person_key(p, pseudonym_key)
            people.append(
                (
                    _scalar(p.get("isiku_tyyp")),
                    kind,
                    person_id,
                    _scalar(p.get("isiku_roll")),
                    _scalar(p.get("algus_kpv")),
                )
            )
        return _code(item.get("ariregistri_kood")), people

    with quiet_gc():
        codes, item, columns = _gather(path, source, extract, 5)
        company_id, usable = _item_codes(source, codes, rejects)
        raw_type, kind, person_id, role, start = columns
        roles, mask = _people(source, item, raw_type, kind, person_id, usable, company_id, rejects)
        roles["role"] = parse.required(source, role, "isiku_roll", item, mask)
        roles["start_date"] = parse.dates(source, start, "algus_kpv", item, reject=mask)
        roles = roles[~mask.bad].drop_duplicates()
        return roles.astype({"start_date": "datetime64[us]"}).reset_index(drop=True)


# ----------------------------------------------------------------------- shareholders JSON
def read_shareholders(
    path: Path, source: Source, day: pd.Timestamp, pseudonym_key: bytes, rejects: Rejects
) -> pd.DataFrame:
    """The shareholders file (`osanikud`) -> company_id, person_id, person_type,
    share_percent, start_date, end_date: one row per holding as listed, exact duplicates
    collapsed, keys as in `person_key`. A holding with no start date has start_date NaT (the
    file's completeness is unverified); a bad date or percentage rejects the holding. `day` is
    the drop date; holdings are returned with their own dates, ended ones (end_date before
    `day`) included."""
    del day  # the holdings carry their own dates

    def extract(item: dict) -> tuple:
        holdings = []
        for p in item.get("osanikud") or ():
            kind, person_id = person_key(p, pseudonym_key)
            holdings.append(
                (
                    _scalar(p.get("isiku_tyyp")),
                    kind,
                    person_id,
                    _scalar(p.get("osaluse_protsent")).replace(",", "."),
                    _scalar(p.get("algus_kpv")),
                    _scalar(p.get("lopp_kpv")),
                )
            )
        return _code(item.get("ariregistri_kood")), holdings

    with quiet_gc():
        codes, item, columns = _gather(path, source, extract, 6)
        company_id, usable = _item_codes(source, codes, rejects)
        raw_type, kind, person_id, share, start, end = columns
        holdings, mask = _people(
            source, item, raw_type, kind, person_id, usable, company_id, rejects
        )
        holdings["share_percent"] = parse.numbers(
            source, share, "osaluse_protsent", False, item, reject=mask
        )
        holdings["start_date"] = parse.dates(
            source, start, "algus_kpv", item, optional=True, reject=mask
        )
        holdings["end_date"] = parse.dates(
            source, end, "lopp_kpv", item, optional=True, reject=mask
        )
        holdings = holdings[~mask.bad].drop_duplicates()
        return holdings.astype(
            {
                "share_percent": "float64",
                "start_date": "datetime64[us]",
                "end_date": "datetime64[us]",
            }
        ).reset_index(drop=True)


# ---------------------------------------------------------------------------- rulings JSON
def _rulings_item(item: dict) -> tuple:
    return (
        _code(item.get("ariregistri_kood")),
        [
            (
                _scalar(r.get("maaruse_nr")),
                _scalar(r.get("maaruse_kpv")),
                _scalar(r.get("maaruse_liik_tekstina")) or _scalar(r.get("maaruse_liik")),
                _scalar(r.get("maaruse_olek_tekstina")) or _scalar(r.get("maaruse_olek")),
                _scalar(r.get("lisatahtaeg")),
            )
            for r in item.get("maarused") or ()
        ],
    )


def read_rulings(path: Path, source: Source, rejects: Rejects) -> pd.DataFrame:
    """The registrar's rulings (`maarused`) -> company_id, ruling_no, ruling_date
    (maaruse_kpv), kind (maaruse_liik_tekstina, else the code), state (maaruse_olek_tekstina,
    else the code), deadline (lisatahtaeg, NaT when none). Exact repeats are collapsed; a
    second, different ruling under the same number of one company is rejected."""
    with quiet_gc():
        codes, item, columns = _gather(path, source, _rulings_item, 5)
        company_id, usable = _item_codes(source, codes, rejects)
        number, date, kind, state, deadline = columns
        mask = rejects.over(len(item))
        if len(item):
            mask.bad |= ~usable[item]  # entries of a rejected item: left out, already recorded
        rulings = pd.DataFrame(
            {
                "company_id": _series(company_id.to_numpy()[item]),
                "ruling_no": parse.required(source, number, "maaruse_nr", item, mask),
                "ruling_date": parse.dates(source, date, "maaruse_kpv", item, reject=mask),
                "kind": kind,
                "state": state,
                "deadline": parse.dates(
                    source, deadline, "lisatahtaeg", item, optional=True, reject=mask
                ),
            }
        )
        again = rulings.duplicated().to_numpy()
        candidates = ~mask.bad & ~again
        clash = np.zeros(len(rulings), dtype=bool)
        key = rulings["company_id"] + "\0" + rulings["ruling_no"]
        clash[candidates] = key[candidates].duplicated().to_numpy()
        mask.add(
            clash,
            item,
            "maaruse_nr",
            rulings["ruling_no"].to_numpy(),
            "is not unique (a different ruling of the company under the same number)",
        )
        kept = rulings[~mask.bad & ~again]
        return kept.astype(
            {"ruling_date": "datetime64[us]", "deadline": "datetime64[us]"}
        ).reset_index(drop=True)
