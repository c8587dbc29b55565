"""Render a `World` as dated drops of the real Estonian open-data files.

Each drop date d gets a folder `<out>/<YYYY-MM-DD>/` holding what a user who downloaded the
public files that day would have: the register's basic CSV and general-data/persons JSON (zipped,
as RIK publishes them; deleted companies are gone), the tax-debtor list as of d, the annual
reports submitted since the previous drop, and the taxes-paid files EMTA published since then.
`ingest` reads these folders exactly as it would read real downloads, so the synthetic default
exercises the production code path.

Writing is byte-deterministic (sorted rows, fixed zip timestamps, no clock) so that `dvc repro`
reproduces the same raw data, and it is vectorised around strings prepared once per company,
status event and board tenure: a drop is mostly a selection and a join of those strings.
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
from company_risk.synth.world import World

NBSP = "\u00a0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
REGISTER_LINK = "https://ariregister.rik.ee/est/company/{}"

# element name -> (statement, Estonian label) as they appear in `aruannete_elemendid`
ELEMENT_LABELS = {
    "Revenue": ("Kasumiaruanne", "Müügitulu"),
    "TotalAnnualPeriodProfitLoss": ("Kasumiaruanne", "Aruandeaasta kasum (kahjum)"),
    "LaborExpense": ("Kasumiaruanne", "Tööjõukulud"),
    "Equity": ("Bilanss", "Omakapital kokku"),
    "Assets": ("Bilanss", "Varad kokku"),
    "CurrentAssets": ("Bilanss", "Käibevarad kokku"),
    "CurrentLiabilities": ("Bilanss", "Lühiajalised kohustised kokku"),
    "NonCurrentLiabilities": ("Bilanss", "Pikaajalised kohustised kokku"),
    "CashAndCashEquivalents": ("Bilanss", "Raha"),
    "AverageNumberOfEmployeesInFullTimeEquivalentUnits": (
        "Lisa",
        "Töötajate keskmine arv taandatuna täistööajale",
    ),
}


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


# ------------------------------------------------------------------------------ preparation
@dataclass(frozen=True)
class Prepared:
    """A world turned into reusable pieces of file content, indexed by company position."""

    world: World
    companies: pd.DataFrame  # sorted by company_id
    basic_head: np.ndarray  # basic CSV line up to kmkr_nr (VAT and status are filled per drop)
    basic_tail: np.ndarray  # ... after ettevotja_staatus_tekstina
    vat_from: np.ndarray
    vat_until: np.ndarray
    vat_number: np.ndarray
    general_head: np.ndarray  # JSON text of a general-data item up to its status fields
    general_tail: np.ndarray  # ... after the status fields
    event_company: np.ndarray  # company position of each status event (events sorted)
    event_start: np.ndarray  # datetime64 of each event
    event_status: np.ndarray  # status code of each event
    event_json: np.ndarray  # status fields of an item whose latest visible event is this one
    company_first_event: np.ndarray  # position of each company's first event (-1 if none)
    role_company: np.ndarray  # company position of each board tenure (tenures sorted)
    role_start: np.ndarray
    role_end: np.ndarray  # NaT = open
    role_json: np.ndarray  # JSON text of the person entry
    persons_head: np.ndarray  # JSON text of a persons item before its list of persons


def _j(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _ddmmyyyy(values: pd.Series) -> pd.Series:
    """Dates as DD.MM.YYYY, empty where missing."""
    return pd.to_datetime(values).dt.strftime(F.DATE_FORMAT).fillna("")


def _nace(emtak: str) -> str:
    return f"{emtak[:2]}.{emtak[2:4]}" if len(emtak) >= 4 else emtak


def prepare(world: World) -> Prepared:
    """Precompute every per-company, per-event and per-tenure piece of the output once."""
    comp = world.companies.sort_values("company_id", kind="stable").reset_index(drop=True)
    position = pd.Series(np.arange(len(comp)), index=comp["company_id"].to_numpy())
    registered = _ddmmyyyy(comp["registered_on"])

    fields = {
        "nimi": comp["name"],
        "ariregistri_kood": comp["company_id"],
        "ettevotja_oiguslik_vorm": comp["legal_form"],
        "ettevotja_oigusliku_vormi_alaliik": comp["legal_form_subtype"].fillna(""),
        "ettevotja_esmakande_kpv": registered,
        "ettevotja_aadress": comp["address"],
        "asukoht_ettevotja_aadressis": comp["address"],
        "asukoha_ehak_kood": comp["ehak_code"],
        "asukoha_ehak_tekstina": comp["county"],
        "indeks_ettevotja_aadressis": pd.Series("", index=comp.index),
        "ads_adr_id": pd.Series("", index=comp.index),
        "ads_ads_oid": pd.Series("", index=comp.index),
        "ads_normaliseeritud_taisaadress": comp["address"] + ", " + comp["county"],
        "teabesysteemi_link": pd.Series(
            [REGISTER_LINK.format(c) for c in comp["company_id"]], index=comp.index
        ),
    }
    columns = list(F.RIK_BASIC_COLUMNS)
    per_drop = columns.index("kmkr_nr"), columns.index("ettevotja_staatus_tekstina")
    sep = F.RIK_CSV_SEPARATOR
    head = _join_fields([fields[c] for c in columns[: per_drop[0]]], sep)
    tail = _join_fields([fields[c] for c in columns[per_drop[1] + 1 :]], sep)

    heads, tails = [], []
    for row, reg in zip(comp.itertuples(index=False), registered, strict=True):
        heads.append(
            f'{{"ariregistri_kood":{_j(row.company_id)},"nimi":{_j(row.name)},"yldandmed":{{'
            f'"esmakanne_kpv":"{reg}","oiguslik_vorm":{_j(row.legal_form_code)},'
            f'"oiguslik_vorm_tekstina":{_j(row.legal_form)},'
        )
        capital = (
            ""
            if pd.isna(row.capital)
            else f'{{"kapitali_suurus":{float(row.capital)!r},"kapitali_valuuta":"EUR"}}'
        )
        activity = (
            f'{{"emtak_kood":{_j(row.emtak_code)},"emtak_tekstina":{_j(row.emtak_text)},'
            f'"nace_kood":{_j(_nace(row.emtak_code))},"on_pohitegevusala":true}}'
        )
        address = (
            f'{{"aadress_ads__ads_normaliseeritud_taisaadress":{_j(row.address)},'
            f'"ehak":{_j(row.ehak_code)},"ehak_nimetus":{_j(row.county)}}}'
        )
        tails.append(
            f'"kapitalid":[{capital}],"teatatud_tegevusalad":[{activity}],'
            f'"aadressid":[{address}],"sidevahendid":[],"majandusaastad":[]}}}}'
        )

    events = world.status_events.assign(_pos=lambda e: e["company_id"].map(position))
    events = events.dropna(subset=["_pos"]).sort_values(["_pos", "start_date"], kind="stable")
    event_company = events["_pos"].to_numpy(dtype=np.int64)
    event_status = events["status"].to_numpy(dtype=object)
    event_start = events["start_date"].to_numpy(dtype="datetime64[us]")
    starts = _ddmmyyyy(events["start_date"]).to_numpy(dtype=object)
    event_json = np.empty(len(events), dtype=object)
    closed: list[str] = []
    for i in range(len(events)):
        if i == 0 or event_company[i] != event_company[i - 1]:
            closed = []
        status = event_status[i]
        text = _j(F.STATUS_TEXT[status])
        item = f'{{"staatus":"{status}","staatus_tekstina":{text},"algus_kpv":"{starts[i]}"'
        event_json[i] = (
            f'"staatus":"{status}","staatus_tekstina":{text},"staatused":['
            + "".join(c + "," for c in closed)
            + item
            + ',"lopp_kpv":null}],'
        )
        if i + 1 < len(events) and event_company[i + 1] == event_company[i]:
            closed.append(f'{item},"lopp_kpv":"{starts[i + 1]}"}}')
    first_event = np.full(len(comp), -1, dtype=np.int64)
    if len(events):
        uniq, idx = np.unique(event_company, return_index=True)
        first_event[uniq] = idx

    persons = world.persons.set_index("person_id")
    roles = world.board_roles.assign(_pos=lambda r: r["company_id"].map(position))
    roles = roles.dropna(subset=["_pos"]).sort_values(
        ["_pos", "role", "start_date", "person_id"], kind="stable"
    )
    who = persons.reindex(roles["person_id"]).fillna({"first_name": "", "last_name": ""})
    role_start_txt = _ddmmyyyy(roles["start_date"]).to_numpy(dtype=object)
    birth_txt = _ddmmyyyy(who["birth_date"]).to_numpy(dtype=object)
    role_json = np.array(
        [
            f'{{"kirje_id":{int(kirje)},"isiku_tyyp":"F","isiku_roll":{_j(role)},'
            f'"isiku_roll_tekstina":{_j(F.PERSON_ROLE_TEXT.get(role, role))},'
            f'"eesnimi":{_j(first)},"nimi_arinimi":{_j(last)},"isikukood_registrikood":null,'
            f'"isikukood_hash":{_j(pid)},"synniaeg":"{birth}","algus_kpv":"{start}",'
            f'"lopp_kpv":null,"aadress_riik":"EST"}}'
            for kirje, role, first, last, pid, birth, start in zip(
                roles["kirje_id"],
                roles["role"],
                who["first_name"],
                who["last_name"],
                roles["person_id"],
                birth_txt,
                role_start_txt,
                strict=True,
            )
        ],
        dtype=object,
    )
    persons_head = np.array(
        [
            f'{{"ariregistri_kood":{_j(c)},"nimi":{_j(n)},"kaardile_kantud_isikud":['
            for c, n in zip(comp["company_id"], comp["name"], strict=True)
        ],
        dtype=object,
    )
    return Prepared(
        world=world,
        companies=comp,
        basic_head=(head + sep).to_numpy(dtype=object),
        basic_tail=(sep + tail).to_numpy(dtype=object),
        vat_from=comp["vat_from"].to_numpy(dtype="datetime64[us]"),
        vat_until=comp["vat_until"].to_numpy(dtype="datetime64[us]"),
        vat_number=comp["vat_number"].fillna("").to_numpy(dtype=object),
        general_head=np.array(heads, dtype=object),
        general_tail=np.array(tails, dtype=object),
        event_company=event_company,
        event_start=event_start,
        event_status=event_status,
        event_json=event_json,
        company_first_event=first_event,
        role_company=roles["_pos"].to_numpy(dtype=np.int64),
        role_start=roles["start_date"].to_numpy(dtype="datetime64[us]"),
        role_end=roles["end_date"].to_numpy(dtype="datetime64[us]"),
        role_json=role_json,
        persons_head=persons_head,
    )


# ---------------------------------------------------------------------------------- one drop
def render_drop(p: Prepared, day: pd.Timestamp, previous: pd.Timestamp | None) -> dict[str, bytes]:
    """The files of the drop dated `day` (name -> bytes); `previous` is the prior drop date."""
    day64 = np.datetime64(day, "us")
    visible = p.event_start <= day64
    counts = np.bincount(p.event_company[visible], minlength=len(p.companies))
    last_event = np.where(counts > 0, p.company_first_event + counts - 1, -1)
    status = np.where(last_event >= 0, p.event_status[np.maximum(last_event, 0)], "")
    alive = (counts > 0) & (status != "K")
    on_register = np.flatnonzero(alive)

    files = {
        F.RIK_BASIC + ".zip": _zip(F.RIK_BASIC, _basic_csv(p, day, on_register, status)),
        F.RIK_GENERAL + ".zip": _zip(
            F.RIK_GENERAL,
            _json_array(
                p.general_head[on_register]
                + p.event_json[last_event[on_register]]
                + p.general_tail[on_register]
            ),
        ),
        F.RIK_PERSONS + ".zip": _zip(F.RIK_PERSONS, _persons_json(p, day64, alive)),
        F.TAX_DEBTORS: _tax_debtors_csv(p, day),
    }
    since = pd.Timestamp.min if previous is None else previous
    reports = p.world.annual_reports
    reports = reports[(reports["submitted_on"] > since) & (reports["submitted_on"] <= day)]
    if len(reports):
        general, elements = _report_csvs(p, reports, status)
        files[F.REPORTS_GENERAL + ".zip"] = _zip(F.REPORTS_GENERAL, general)
        files[F.REPORTS_ELEMENTS + ".zip"] = _zip(F.REPORTS_ELEMENTS, elements)
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


def _json_array(items: np.ndarray) -> bytes:
    return ("[\n" + ",\n".join(items.tolist()) + "\n]\n").encode("utf-8")


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


def _persons_json(p: Prepared, day64: np.datetime64, alive: np.ndarray) -> bytes:
    current = (
        (p.role_start <= day64)
        & (np.isnat(p.role_end) | (p.role_end > day64))
        & alive[p.role_company]
    )
    idx = np.flatnonzero(current)
    company = p.role_company[idx]
    entries = p.role_json[idx].tolist()
    uniq, first = np.unique(company, return_index=True)
    bounds = [*first.tolist(), len(idx)]
    items = [
        p.persons_head[c] + ",".join(entries[bounds[k] : bounds[k + 1]]) + "]}"
        for k, c in enumerate(uniq.tolist())
    ]
    return _json_array(np.array(items, dtype=object))


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


def _yes_no(values: pd.Series) -> list[str]:
    return ["jah" if bool(v) else "ei" for v in values]


def _report_csvs(p: Prepared, reports: pd.DataFrame, status: np.ndarray) -> tuple[bytes, bytes]:
    reports = reports.sort_values(["company_id", "fiscal_year", "report_id"], kind="stable")
    comp = p.companies.set_index("company_id")
    position = pd.Series(np.arange(len(p.companies)), index=comp.index)
    general = pd.DataFrame(
        {
            "report_id": reports["report_id"].to_numpy(),
            "taidetud_aruanne_report_id": reports["report_id"].to_numpy(),
            "registrikood": reports["company_id"].to_numpy(),
            "õiguslik vorm": comp["legal_form"]
            .reindex(reports["company_id"])
            .fillna("")
            .to_numpy(),
            "staatus": status[position.reindex(reports["company_id"]).to_numpy(dtype=np.int64)],
            "aruandeaasta": reports["fiscal_year"].astype("int64").to_numpy(),
            "kas konsolideeritud?": _yes_no(reports["consolidated"]),
            "period_start": _ddmmyyyy(reports["period_start"]).to_numpy(),
            "period_end": _ddmmyyyy(reports["period_end"]).to_numpy(),
            "esitatud_kpv": _ddmmyyyy(reports["submitted_on"]).to_numpy(),
            "kas auditeeritud?": _yes_no(reports["audited"]),
        },
        columns=list(F.REPORTS_GENERAL_COLUMNS),
    )
    long = reports.melt(
        id_vars=["report_id"],
        value_vars=list(F.REPORT_ELEMENTS.values()),
        var_name="column",
        value_name="vaartus",
    ).dropna(subset=["vaartus"])
    element = {column: name for name, column in F.REPORT_ELEMENTS.items()}
    long = long.assign(
        elemendi_nimetus=long["column"].map(element),
        order=long["column"].map({c: i for i, c in enumerate(F.REPORT_ELEMENTS.values())}),
    )
    long = long.assign(
        tabel=long["elemendi_nimetus"].map(lambda n: ELEMENT_LABELS[n][0]),
        elemendi_label=long["elemendi_nimetus"].map(lambda n: ELEMENT_LABELS[n][1]),
        vaartus=[repr(float(v)) for v in long["vaartus"]],
    )
    order = pd.Series(np.arange(len(reports)), index=reports["report_id"].to_numpy())
    long = long.assign(_r=long["report_id"].map(order)).sort_values(["_r", "order"], kind="stable")
    elements = long[list(F.REPORTS_ELEMENTS_COLUMNS)]
    kw = {"sep": F.REPORTS_SEPARATOR, "index": False, "lineterminator": "\n"}
    return (
        general.to_csv(**kw).encode(F.REPORTS_ENCODING),
        elements.to_csv(**kw).encode(F.REPORTS_ENCODING),
    )


def _tax_payment_files(p: Prepared, day: pd.Timestamp, since: pd.Timestamp) -> dict[str, bytes]:
    """Quarters EMTA published in (since, day]: a yearly file (current generation, repeating the
    year's earlier quarters) or a per-quarter file (older generation, before the cut-over year)."""
    pay = p.world.tax_payments
    new = pay[(pay["published_on"] > since) & (pay["published_on"] <= day)]
    files: dict[str, bytes] = {}
    comp = p.companies.set_index("company_id")
    quarters = zip(new["year"].astype(int), new["quarter"].astype(int), strict=True)
    for year, quarter in sorted(set(quarters)):
        if year < F.TAX_PAYMENTS_CURRENT_FROM_YEAR:
            rows = new[(new["year"] == year) & (new["quarter"] == quarter)]
            name = F.TAX_PAYMENTS_OLD_FILE.format(year=year, quarter=quarter)
            files[name] = _old_payments_csv(rows, comp)
    years = sorted({int(y) for y in new["year"] if y >= F.TAX_PAYMENTS_CURRENT_FROM_YEAR})
    for year in years:
        rows = pay[(pay["year"] == year) & (pay["published_on"] <= day)]
        files[F.TAX_PAYMENTS_FILE.format(year=year)] = _current_payments_csv(rows, comp, day, year)
    return files


def _comma(values: pd.Series) -> list[str]:
    """Decimal comma with plain-space thousands, as in the older EMTA files."""
    table = str.maketrans({",": " ", ".": ","})
    return ["" if pd.isna(v) else f"{v:,.2f}".translate(table) for v in values]


def _old_payments_csv(rows: pd.DataFrame, comp: pd.DataFrame) -> bytes:
    rows = rows.sort_values("company_id", kind="stable")
    info = comp.reindex(rows["company_id"])
    frame = pd.DataFrame(
        {
            "Registrikood": rows["company_id"].to_numpy(),
            "Nimi": info["name"].fillna("").to_numpy(),
            "Liik": info["legal_form"].fillna("").to_numpy(),
            "Registreeritud käibemaksukohustuslaste registrisse": np.where(
                info["vat_number"].fillna("").to_numpy() != "", "jah", "ei"
            ),
            "EMTAK tegevusvaldkond, mis on EMTAKi struktuuris tähistatud tähtkoodiga": info[
                "sector"
            ]
            .fillna("")
            .to_numpy(),
            "Maakond": info["county"].fillna("").to_numpy(),
            "Riiklikud Maksud": _comma(rows["state_taxes"]),
            "Tööjõumaksud Ja Maksed": _comma(rows["labour_taxes"]),
            "Kaive": _comma(rows["turnover"]),
            "Tootajaid": ["" if pd.isna(v) else str(int(round(v))) for v in rows["employees"]],
        },
        columns=list(F.TAX_PAYMENTS_OLD_COLUMNS),
    )
    text = frame.to_csv(sep=F.TAX_PAYMENTS_OLD_SEPARATOR, index=False, lineterminator="\n")
    return text.encode(F.TAX_PAYMENTS_OLD_ENCODING, errors="replace")


def _current_payments_csv(
    rows: pd.DataFrame, comp: pd.DataFrame, day: pd.Timestamp, year: int
) -> bytes:
    wide = rows.pivot_table(
        index="company_id",
        columns="quarter",
        values=["state_taxes", "labour_taxes", "turnover", "employees"],
        aggfunc="first",
        dropna=False,
    ).sort_index()
    ids = wide.index.to_numpy()
    info = comp.reindex(ids)
    data: dict[str, object] = {
        "Data date": f"{day:{F.DATE_FORMAT}}",
        "Registry code": ids,
        "Name": info["name"].fillna("").to_numpy(),
        "Type": info["legal_form"].fillna("").to_numpy(),
        "County": info["county"].fillna("").to_numpy(),
        "Activity": info["sector"].fillna("").to_numpy(),
        "Year": year,
    }
    measures = (
        ("State taxes", "state_taxes"),
        ("Labour taxes and payments", "labour_taxes"),
        ("Turnover", "turnover"),
        ("Number of employees", "employees"),
    )
    for label, column in measures:
        for q, word in enumerate(F.QUARTER_WORDS, start=1):
            values = wide.get((column, q), pd.Series(np.nan, index=wide.index))
            data[f"{label} {word} qtr"] = values.astype("str").fillna("").to_numpy()
    frame = pd.DataFrame(data, columns=list(F.TAX_PAYMENTS_COLUMNS))
    text = frame.to_csv(
        sep=F.TAX_PAYMENTS_SEPARATOR, index=False, lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    return text.encode(F.TAX_PAYMENTS_ENCODING)
