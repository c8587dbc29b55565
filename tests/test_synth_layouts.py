"""The synthetic world's drops are written in the real published layouts, quirks included.

A small simulated world (600 companies, mid-2020 to October 2025) is rendered at a few drop
dates; each test reads the bytes as a real download would be read and checks one layout or
one quirk of real-formats.md.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.config import SynthConfig
from company_risk.synth.drops import prepare, render_drop
from company_risk.synth.simulate import simulate

CFG = SynthConfig(
    seed=3, n_companies=600, start=dt.date(2020, 6, 1), end=dt.date(2025, 10, 1), daily_tail_days=2
)
LAST_MONTHLY = pd.Timestamp("2025-10-01")
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real-samples"
QUOTED_LINE = re.compile(r'"(?:[^"]|"")*"(?:;"(?:[^"]|"")*")*')


@pytest.fixture(scope="module")
def world():
    return simulate(CFG)


@pytest.fixture(scope="module")
def drops(world):
    """day -> files of the drops the tests read (rendered from one preparation)."""
    prepared = prepare(world)
    days = sorted(pd.Timestamp(d) for d in world.drop_dates)
    wanted = {pd.Timestamp("2021-04-01"), pd.Timestamp("2025-09-01"), LAST_MONTHLY, days[-1]}
    return {
        day: render_drop(prepared, day, days[k - 1] if k else None)
        for k, day in enumerate(days)
        if day in wanted
    }


def member(files: dict[str, bytes], zip_name: str) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(files[zip_name])) as zf:
        (name,) = zf.namelist()
        return name, zf.read(name)


def rik_json(files, logical: str) -> tuple[str, list]:
    name, data = member(files, logical + ".zip")
    assert name == logical
    text = data.decode("utf-8")
    return text, json.loads(text)


def persons_at(drops, day) -> list[dict]:
    _, items = rik_json(drops[day], F.RIK_PERSONS)
    return [
        dict(e, _company=i["ariregistri_kood"]) for i in items for e in i["kaardile_kantud_isikud"]
    ]


# ------------------------------------------------------------------------------ RIK JSON
@pytest.mark.parametrize("logical", [F.RIK_GENERAL, F.RIK_PERSONS])
def test_rik_json_is_a_four_space_pretty_printed_array_with_integer_codes(drops, logical):
    text, items = rik_json(drops[LAST_MONTHLY], logical)
    assert text == json.dumps(items, ensure_ascii=False, indent=F.RIK_JSON_INDENT)
    assert len(items) > 100
    starts = [line for line in text.splitlines() if line.startswith("    {")]
    assert len(starts) == len(items) and all(line == "    {" for line in starts)
    codes = [i["ariregistri_kood"] for i in items]
    assert all(type(c) is int for c in codes) and codes == sorted(codes)


def test_person_entries_have_the_real_key_set_and_the_person_key_is_not_always_there(drops):
    sample = json.loads((REAL / F.RIK_PERSONS).read_text(encoding="utf-8"))
    real_keys = {tuple(e) for i in sample for e in i["kaardile_kantud_isikud"]}
    entries = persons_at(drops, LAST_MONTHLY)
    ours = {tuple(k for k in e if k != "_company") for e in entries}
    assert ours == real_keys  # natural persons with the hash key, legal persons without it

    natural = [e for e in entries if e["isiku_tyyp"] == F.PERSON_TYPE_NATURAL]
    legal = [e for e in entries if e["isiku_tyyp"] == F.PERSON_TYPE_LEGAL]
    assert all("isikukood_hash" not in e for e in legal)
    assert all(
        e["isikukood_registrikood"] or (e["valis_kood"] and e["valis_kood_riik"]) for e in legal
    )
    assert any(e["isikukood_registrikood"] for e in legal)  # company-company links
    assert any(e["valis_kood"] for e in legal)
    foreign = [e for e in natural if e["isikukood_hash"] is None]
    assert all(e["synniaeg"] and e["valis_kood_riik"] for e in foreign)
    assert 0.02 <= len(foreign) / len(natural) <= 0.08  # ~4.5 % of natural persons
    estonian = [e for e in natural if e["isikukood_hash"] is not None]
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    assert all(uuid.fullmatch(e["isikukood_hash"]) and e["synniaeg"] is None for e in estonian)
    no_hash = (len(legal) + len(foreign)) / len(entries)
    assert 0.03 <= no_hash <= 0.12  # the real file: ~35,000 of 521,000 rows
    assert all(e["lopp_kpv"] is None for e in entries)


def test_roles_beyond_the_board_appear_and_board_entries_are_exactly_the_tenures(world, drops):
    day = LAST_MONTHLY
    entries = persons_at(drops, day)
    roles = collections.Counter(e["isiku_roll"] for e in entries)
    assert {"JUHL", "JUHA", "JUHE", "PROK", "N", "ARP"} <= set(roles)
    assert roles["JUHL"] > sum(roles[r] for r in F.BOARD_ROLES if r != "JUHL")
    assert all(e["isiku_roll_tekstina"] == F.PERSON_ROLE_TEXT[e["isiku_roll"]] for e in entries)
    card = world.card_roles
    assert not card["role"].isin(F.BOARD_ROLES).any()
    assert {"LIKV", "PANKR", "TOSAN"} <= set(card["role"])
    # board entries in the file = the world's board tenures open on that day (once each)
    board = {
        (str(e["_company"]), e["kirje_id"]) for e in entries if e["isiku_roll"] in F.BOARD_ROLES
    }
    br = world.board_roles
    open_then = br[(br["start_date"] <= day) & (br["end_date"].isna() | (br["end_date"] > day))]
    alive = {str(i["ariregistri_kood"]) for i in rik_json(drops[day], F.RIK_GENERAL)[1]}
    open_then = open_then[open_then["company_id"].isin(alive)]
    assert board == set(zip(open_then["company_id"], open_then["kirje_id"], strict=True))


def test_a_handful_of_exact_duplicate_person_entries(drops):
    entries = persons_at(drops, LAST_MONTHLY)
    counts = collections.Counter(json.dumps(e, sort_keys=True) for e in entries)
    repeats = sum(c - 1 for c in counts.values() if c > 1)
    assert 1 <= repeats <= max(5, len(entries) // 100)


def test_general_data_histories_and_both_emtak_versions(drops):
    _, items = rik_json(drops[LAST_MONTHLY], F.RIK_GENERAL)
    general = [i["yldandmed"] for i in items]
    assert {g["staatus"] for g in general} <= {"R", "L", "N"}
    assert all(g["oiguslik_vorm"] in F.LEGAL_FORM_TEXT for g in general)
    assert all(g["kustutamise_kpv"] is None and len(g["arinimed"]) == 1 for g in general)
    # capital: a changed capital is a closed entry followed by an open one
    changed = [g["kapitalid"] for g in general if len(g["kapitalid"]) == 2]
    assert changed and all(c[0]["lopp_kpv"] and c[1]["lopp_kpv"] is None for c in changed)
    # activities: EMTAK 2008 closed the day before the EMTAK 2025 entry starts
    versions = collections.Counter()
    for g in general:
        acts = g["teatatud_tegevusalad"]
        open_ = [a for a in acts if a["lopp_kpv"] is None]
        assert len(open_) == 1
        versions[open_[0]["emtak_versioon"]] += 1
        for a in acts:
            assert re.fullmatch(r"\d{5}", a["emtak_kood"])
            assert a["nace_kood"] == f"{a['emtak_kood'][:2]}.{a['emtak_kood'][2:4]}"
            assert a["emtak_versioon_tekstina"] == F.EMTAK_VERSION_TEXT[a["emtak_versioon"]]
            assert type(a["on_pohitegevusala"]) is bool
        if len(acts) == 2:
            old, new = acts
            assert (old["emtak_versioon"], new["emtak_versioon"]) == (F.EMTAK_2008, F.EMTAK_2025)
            closed = dt.datetime.strptime(old["lopp_kpv"], F.DATE_FORMAT)
            opened = dt.datetime.strptime(new["algus_kpv"], F.DATE_FORMAT)
            assert opened - closed == dt.timedelta(days=1)
    share_2025 = versions[F.EMTAK_2025] / sum(versions.values())
    assert 0.5 <= share_2025 <= 0.85, versions  # ~70 % re-classified from 2025 on
    # contact e-mails that ingest must drop; status history without end dates
    assert any(s["liik"] == "EMAIL" for g in general for s in g["sidevahendid"])
    assert all(
        set(s) == {"staatus", "staatus_tekstina", "algus_kpv", "kande_nr"}
        for g in general
        for s in g["staatused"]
    )
    infos = [
        g["info_majandusaasta_aruannetest"] for g in general if g["info_majandusaasta_aruannetest"]
    ]
    assert infos and all(
        [x["majandusaasta_perioodi_lopp_kpv"][-4:] for x in info]
        == sorted([x["majandusaasta_perioodi_lopp_kpv"][-4:] for x in info], reverse=True)
        for info in infos
    )


def test_general_data_shows_nothing_from_after_the_drop(drops):
    for day in drops:
        _, items = rik_json(drops[day], F.RIK_GENERAL)
        for item in items:
            g = item["yldandmed"]
            dated = [s["algus_kpv"] for s in g["staatused"]]
            dated += [a["algus_kpv"] for a in g["teatatud_tegevusalad"] + g["kapitalid"]]
            assert all(dt.datetime.strptime(d, F.DATE_FORMAT) <= day for d in dated)


# -------------------------------------------------------------------------- annual reports
def report_files(files, day):
    cutoff = f"{day:%d%m%Y}"
    general_name = F.REPORTS_GENERAL_FILE.format(cutoff=cutoff)
    names = {n for n in files if n.startswith("4.")}
    return general_name, names


def read_quoted(data: bytes) -> list[list[str]]:
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode(F.REPORTS_ENCODING)
    assert text.endswith(F.REPORTS_LINE_END) and "\n" not in text.replace("\r\n", "")
    lines = text.split(F.REPORTS_LINE_END)[:-1]
    assert all(QUOTED_LINE.fullmatch(line) for line in lines)  # every field quoted
    return list(csv.reader(lines, delimiter=F.REPORTS_SEPARATOR))


def test_report_files_have_the_real_names_and_style(drops):
    day = LAST_MONTHLY
    general_name, element_zips = report_files(drops[day], day)
    stem = general_name.removesuffix(".csv")
    name, data = member(drops[day], stem + ".zip")
    assert name == general_name == "1.aruannete_yldandmed_kuni_01102025.csv"
    rows = read_quoted(data)
    assert tuple(rows[0]) == F.REPORTS_GENERAL_COLUMNS
    general = pd.DataFrame(rows[1:], columns=rows[0])
    for column in ("kas konsolideeritud?", "kas auditeeritud?"):
        assert set(general[column]) == {F.REPORTS_YES, F.REPORTS_NO}
    assert set(general["õiguslik vorm"]) <= set(F.LEGAL_FORM_TEXT)
    assert set(general["staatus"]) <= set(F.STATUS_TEXT.values())
    audited = general[general["auditi töövõtu liik"] == "Audit"]
    assert len(audited) and audited["Audiitorettevõtja (AEV)"].str.fullmatch(r"\d{8}").all()
    assert (general["modifikatsioon tegevuse jatkuvus"] != "").any()  # going concern
    years = sorted(general["aruandeaasta"].unique())
    expected = {F.REPORTS_ELEMENTS_FILE.format(year=y, cutoff="01102025") for y in years}
    assert {member(drops[day], z)[0] for z in element_zips} == expected


def test_report_publications_are_cumulative(drops):
    ids = {}
    for day in (pd.Timestamp("2025-09-01"), LAST_MONTHLY):
        general_name, _ = report_files(drops[day], day)
        rows = read_quoted(member(drops[day], general_name.removesuffix(".csv") + ".zip")[1])
        ids[day] = {r[0] for r in rows[1:]}
    assert ids[pd.Timestamp("2025-09-01")] < ids[LAST_MONTHLY]
    assert not any(n.startswith(("1.", "4.")) for n in drops[max(drops)])  # no mid-month copy


def test_report_elements_carry_the_real_quirks(drops):
    day = LAST_MONTHLY
    general_name, element_zips = report_files(drops[day], day)
    rows = read_quoted(member(drops[day], general_name.removesuffix(".csv") + ".zip")[1])
    general = pd.DataFrame(rows[1:], columns=rows[0])
    frames = []
    for zip_name in sorted(element_zips):
        rows = read_quoted(member(drops[day], zip_name)[1])
        assert tuple(rows[0]) == F.REPORTS_ELEMENTS_COLUMNS
        frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    elements = pd.concat(frames, ignore_index=True)
    assert elements["vaartus"].str.fullmatch(r"-?\d+\.\d+").all()  # "10225914.0"
    # a few % of reports are filled forms: their elements are filed under the filled id
    filled = general[general["taidetud_aruanne_report_id"] != ""]
    assert 0.005 <= len(filled) / len(general) <= 0.08
    filed = set(elements["report_id"])
    assert set(filled["taidetud_aruanne_report_id"]) <= filed
    assert not set(filled["report_id"]) & filed
    assert not set(filled["taidetud_aruanne_report_id"]) & set(general["report_id"])
    # PDF rows without an element name; both names of the labour cost
    pdf = elements[elements["tabel"] == F.REPORT_PDF_TABLE]
    assert len(pdf) and (pdf["elemendi_nimetus"] == "").all()
    assert {"LaborExpense", "EmployeeExpense"} <= set(elements["elemendi_nimetus"])
    # repeated elements: in the primary statement and again in a detailed table or a note,
    # some copies with another value; the primary statement always has one
    named = elements[elements["tabel"] != F.REPORT_PDF_TABLE]
    copies = named.groupby(["report_id", "elemendi_nimetus"])
    repeated = copies.filter(lambda g: len(g) > 1)
    assert len(repeated)
    ranks = repeated["tabel"].map(F.report_table_rank)
    assert set(ranks) >= {0, 1, 2}
    per = repeated.assign(rank=ranks).groupby(["report_id", "elemendi_nimetus"])
    assert (per["rank"].min() == 0).all()
    disagreeing = per["vaartus"].nunique()
    assert (disagreeing > 1).any() and (disagreeing == 1).any()


# ------------------------------------------------------------------------------ taxes paid
def test_simulation_uses_emta_quarters(world):
    pay = world.tax_payments
    quarter_end = pay["published_on"] - pd.Timedelta(days=10)
    assert (quarter_end + pd.Timedelta(days=1)).dt.day.eq(1).all()  # the last day of a month
    assert set(quarter_end.dt.month) == {2, 5, 8, 11}
    expected = pay["quarter"].map({1: 2, 2: 5, 3: 8, 4: 11})
    assert (quarter_end.dt.month == expected).all() and (quarter_end.dt.year == pay["year"]).all()


def test_current_tax_files_are_multi_year_and_quoted(world, drops):
    day = LAST_MONTHLY
    files = drops[day]
    current, earlier = (
        s + F.TAX_PAYMENTS_ENGLISH_SUFFIX + ".csv" for s in F.TAX_PAYMENTS_CURRENT_FILES
    )
    frames = {}
    for name in (current, earlier):
        data = files[name]
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode(F.TAX_PAYMENTS_ENCODING)
        lines = text.splitlines()
        assert all(re.fullmatch(r'"[^"]*"(,"[^"]*")*', line) for line in lines)
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        assert tuple(frame.columns) == F.TAX_PAYMENTS_COLUMNS
        assert (frame["Data date"] == f"{day:%d.%m.%Y}").all()
        assert not frame.duplicated(["Registry code", "Year"]).any()
        frames[name] = frame
    assert set(frames[current]["Year"]) == {"2024", "2025"}
    assert set(frames[earlier]["Year"]) == {"2022", "2023"}
    assert frames[current]["State taxes I qtr"].str.fullmatch(r"\d*").all()
    assert frames[earlier]["State taxes I qtr"].str.fullmatch(r"(\d+\.0)?").all()
    assert frames[current]["County"].str.fullmatch(r"[^()]+ \( [^()]+ \)").all()
    assert (frames[current]["Type"] == "Company").all()
    # on 1 October 2025 quarter III (June - August) is out, quarter IV (to November) is not
    this_year = frames[current][frames[current]["Year"] == "2025"]
    assert (this_year["State taxes IV qtr"] == "").all()
    assert (this_year["State taxes III qtr"] != "").any()
    # quarter I of 2025 is December 2024 to February 2025, as the world recorded it
    pay = world.tax_payments
    q1 = pay[(pay["year"] == 2025) & (pay["quarter"] == 1)].set_index("company_id")
    written = this_year.set_index("Registry code")["State taxes I qtr"]
    shared = written.index.intersection(q1.index)
    assert len(shared)
    got = written[shared].astype(float)
    assert np.allclose(got, q1.loc[shared, "state_taxes"].round(), atol=0.5)


def test_older_tax_files_one_per_quarter_in_latin1(drops):
    files = drops[pd.Timestamp("2021-04-01")]
    name = F.TAX_PAYMENTS_OLD_FILE.format(year=2021, quarter=F.roman_quarter(1))
    assert name == "tasutud_maksud_2021_i_kvartal.csv"
    assert not any(n.startswith(F.TAX_PAYMENTS_CURRENT_FILES) for n in files)  # none before 2022
    data = files[name]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    lines = data.decode("latin-1").splitlines()
    assert lines[0] == F.TAX_PAYMENTS_OLD_SEPARATOR.join(F.TAX_PAYMENTS_OLD_COLUMNS)
    rows = list(csv.reader(lines[1:], delimiter=F.TAX_PAYMENTS_OLD_SEPARATOR))
    assert all(len(r) == len(F.TAX_PAYMENTS_OLD_COLUMNS) for r in rows)
    amounts = [r[6] for r in rows if r[6]]
    assert amounts and all(re.fullmatch(r"\d{1,3}( \d{3})*,\d{2}", a) for a in amounts)
    sections = {r[4] for r in rows}
    assert sections and all(s == s.upper() for s in sections)
    assert any(";" in s for s in sections)  # quoted in the file, read back whole
