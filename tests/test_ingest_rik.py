"""The register's daily files: real published rows and hand-made items through `ingest.rik`,
and the streaming JSON reader (`ingest.jsonstream`) on every layout and fault."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.ingest import IngestError, jsonstream, rik
from company_risk.ingest.errors import Rejects, Source
from company_risk.schemas import INTERIM_TABLES
from real_samples import real_sample

DROP = "2026-07-30"
DAY = pd.Timestamp(DROP)
KEY = b"a test pseudonym key, 32 bytes.."


def reading(name: str) -> tuple[Source, Rejects]:
    source = Source(DROP, name, "json" if name.endswith(".json") else "csv")
    return source, Rejects(source)


def assert_schema(frame: pd.DataFrame, table: str) -> None:
    """Every column the reader returns has the dtype of the interim table it feeds."""
    expected = INTERIM_TABLES[table]
    for column in frame.columns:
        assert str(frame[column].dtype) == expected[column], column


def write_array(path: Path, items: list, layout: str = "pretty", zipped: bool = False) -> Path:
    """A JSON array in one of the layouts the reader must take: RIK's (4-space indent; also
    with CRLF line ends), compact, one item per line, or a 2-space indent."""
    if layout in ("pretty", "crlf"):
        text = json.dumps(items, ensure_ascii=False, indent=F.RIK_JSON_INDENT)
        text = text.replace("\n", "\r\n") if layout == "crlf" else text
    elif layout == "compact":
        text = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    elif layout == "lines":
        text = "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n]\n"
    else:
        text = json.dumps(items, ensure_ascii=False, indent=2)
    data = text.encode("utf-8")
    if not zipped:
        path.write_bytes(data)
        return path
    archive = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(path.name, data)
    return archive


# ------------------------------------------------------------------ real rows: persons
def read_real_persons() -> tuple[pd.DataFrame, Rejects]:
    path = real_sample(F.RIK_PERSONS)
    source, rejects = reading(F.RIK_PERSONS)
    return rik.read_persons(path, source, KEY, rejects), rejects


def test_real_persons_boards_keys_and_roles():
    roles, rejects = read_real_persons()
    assert rejects.total == 5 and rejects.records == []
    assert_schema(roles, "board_roles")
    assert set(roles["person_type"]) <= set(F.PERSON_KINDS)
    board = roles[roles["role"].isin(F.BOARD_ROLES)]

    # Eswire OÜ: four board members, three of them foreign without a register hash, each with
    # a distinct key derived here, the same on a second read
    eswire = board[board["company_id"] == "11189064"]
    assert len(eswire) == 4
    assert eswire["person_id"].nunique() == 4
    derived = eswire[eswire["person_type"] == "foreign_natural"]["person_id"]
    assert len(derived) == 3
    assert derived.str.fullmatch(r"fp-[0-9a-f]{32}").all()
    assert eswire[eswire["person_type"] == "natural"]["person_id"].tolist() == [
        "622790be-ffbb-5704-9efe-8240a1c3efe8"
    ]
    again, _ = read_real_persons()
    pd.testing.assert_frame_equal(roles, again)

    # Metrosert: the hand-appended exact duplicate collapses: three JUHL and the share register
    metrosert = roles[roles["company_id"] == "10397748"]
    assert sorted(metrosert["role"]) == ["ARP", "JUHL", "JUHL", "JUHL"]
    arp = metrosert[metrosert["role"] == "ARP"].iloc[0]
    assert (arp["person_id"], arp["person_type"]) == ("LVA-40003242879", "foreign_legal")
    assert arp["start_date"] == pd.Timestamp("2017-09-27")

    # BAUHAUS: the general partner is an Estonian company (a company-company link), the
    # limited partner a foreign one without a country
    bauhaus = roles[roles["company_id"] == "11866180"].set_index("role")
    assert tuple(bauhaus.loc["TOSAN", ["person_id", "person_type"]]) == ("11743282", "legal")
    assert tuple(bauhaus.loc["UOSAN", ["person_id", "person_type"]]) == (
        "XX-4408",
        "foreign_legal",
    )

    # GPV Estonia: a procurator beside the board
    gpv = roles[roles["company_id"] == "11045112"]
    assert sorted(gpv["role"]) == ["ARP", "JUHL", "JUHL", "JUHL", "PROK"]
    assert gpv.loc[gpv["role"] == "PROK", "person_id"].tolist() == [
        "42238b37-f934-513e-8861-0557ff3884e3"
    ]
    assert len(roles) == 17  # 18 entries in the file, one exact duplicate


def personal_data(path: Path) -> set[str]:
    """Every first name, last name, birth date, personal code and e-mail in a persons file."""
    found = set()
    for company in json.loads(path.read_text(encoding="utf-8")):
        for person in company["kaardile_kantud_isikud"]:
            if person["isiku_tyyp"] != F.PERSON_TYPE_NATURAL:
                continue
            for field in ("eesnimi", "nimi_arinimi", "synniaeg", "email", "valis_kood"):
                value = person.get(field)
                found |= {value} if isinstance(value, str) and len(value) >= 3 else set()
            for part in f"{person.get('eesnimi') or ''} {person.get('nimi_arinimi')}".split():
                found |= {part} if len(part) >= 3 else set()
    return found


def cells(*frames: pd.DataFrame) -> list[str]:
    return [str(v) for frame in frames for v in frame.astype("str").to_numpy().ravel()]


def test_real_persons_leave_no_personal_data():
    roles, rejects = read_real_persons()
    secrets = personal_data(real_sample(F.RIK_PERSONS))
    assert {"Heikkinen", "23.12.1977", "Kõrve"} <= secrets  # the check has teeth
    leaked = [(s, c) for c in cells(roles, rejects.table()) for s in secrets if s in c]
    assert leaked == []


def test_a_person_without_any_key_is_rejected_without_personal_data(tmp_path):
    companies = json.loads(real_sample(F.RIK_PERSONS).read_text(encoding="utf-8"))
    eswire = next(c for c in companies if c["ariregistri_kood"] == 11189064)
    foreign = next(p for p in eswire["kaardile_kantud_isikud"] if p["isikukood_hash"] is None)
    foreign["synniaeg"] = None  # no hash, no birth date: nothing to key the person by
    path = write_array(tmp_path / F.RIK_PERSONS, companies)
    source, rejects = reading(F.RIK_PERSONS)
    roles = rik.read_persons(path, source, KEY, rejects)
    assert len(roles) == 16
    assert [(r[1], r[2]) for r in rejects.records] == [("isikukood_hash", "F")]
    assert rejects.table()["row"].tolist() == ["item 4"]
    secrets = personal_data(real_sample(F.RIK_PERSONS))
    assert [c for c in cells(roles, rejects.table()) for s in secrets if s in c] == []


# -------------------------------------------------------------------- real rows: basic
def test_real_basic_row_with_and_without_bom(tmp_path):
    path = real_sample(F.RIK_BASIC)
    with_bom = tmp_path / F.RIK_BASIC
    with_bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as RIK publishes it
    for candidate in (path, with_bom):
        source, rejects = reading(F.RIK_BASIC)
        basic, held = rik.read_basic(candidate, source, rejects)
        assert rejects.total == 1 and rejects.records == [] and len(held) == 0
        assert basic.to_dict("records") == [
            {
                "company_id": "12652512",
                "name": "001 Kinnisvara OÜ",
                "legal_form": "Osaühing",
                "legal_form_subtype": "",
                "vat_number": "EE101721589",
                "first_registered": pd.Timestamp("2014-04-25"),
                "ehak_code": "0176",
                "county": "Harju maakond",
                "status": "R",
            }
        ]
        assert_schema(basic.drop(columns="status"), "companies")


def test_basic_record_faults_are_rejected_and_structural_ones_raise(tmp_path):
    header = ";".join(F.RIK_BASIC_COLUMNS)

    def row(code: str, status: str = "R", first: str = "25.04.2014") -> str:
        fields = dict.fromkeys(F.RIK_BASIC_COLUMNS, "")
        fields.update(
            nimi=f"Firma {code} OÜ",
            ariregistri_kood=code,
            ettevotja_staatus=status,
            ettevotja_esmakande_kpv=first,
            asukoha_ehak_tekstina="Tartu linn, Tartu maakond",
        )
        return ";".join(fields[c] for c in F.RIK_BASIC_COLUMNS)

    lines = [header, row("10000001"), row("1234"), row("10000002", status="X")]
    lines += [row("10000003", first="31.02.2020"), row("10000001"), row("10000004", first="")]
    path = tmp_path / F.RIK_BASIC
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    source, rejects = reading(F.RIK_BASIC)
    basic, held = rik.read_basic(path, source, rejects)
    assert basic["company_id"].tolist() == ["10000001", "10000004"]
    assert pd.isna(basic["first_registered"].iloc[1])  # an empty first-entry date: unknown
    assert basic["county"].tolist() == ["Tartu maakond"] * 2
    assert sorted(held) == ["10000002", "10000003"]  # listed, but today's row is unusable
    assert rejects.total == 6
    assert [(source.row(p), f, v) for p, f, v, _ in rejects.records] == [
        ("row 2 (line 3)", "ariregistri_kood", "1234"),
        ("row 5 (line 6)", "ariregistri_kood", "10000001"),
        ("row 3 (line 4)", "ettevotja_staatus", "X"),
        ("row 4 (line 5)", "ettevotja_esmakande_kpv", "31.02.2020"),
    ]

    path.write_text(header.replace(";kmkr_nr", "") + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="kmkr_nr"):
        rik.read_basic(path, *reading(F.RIK_BASIC))
    path.write_text(header.replace(";", ",") + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="wrong delimiter"):
        rik.read_basic(path, *reading(F.RIK_BASIC))


# ----------------------------------------------------------------- general data (hand-made)
def activity(code, version, nace, start, end=None, main=True) -> dict:
    return {
        "emtak_kood": code,
        "emtak_tekstina": "…",
        "emtak_versioon": version,
        "emtak_versioon_tekstina": F.EMTAK_VERSION_TEXT.get(version, ""),
        "nace_kood": nace,
        "on_pohitegevusala": main,
        "algus_kpv": start,
        "lopp_kpv": end,
    }


def capital(amount, start, end=None, currency="EUR") -> dict:
    return {
        "kapitali_suurus": amount,
        "kapitali_valuuta": currency,
        "algus_kpv": start,
        "lopp_kpv": end,
    }


def status(code, start) -> dict:
    return {
        "staatus": code,
        "staatus_tekstina": F.STATUS_TEXT.get(code, "?"),
        "algus_kpv": start,
        "kande_nr": 1,
    }


def general_item(code, form="OÜ", activities=(), capitals=(), statuses=()) -> dict:
    return {
        "ariregistri_kood": code,
        "nimi": f"Firma {code}",
        "yldandmed": {
            "staatus": "R",
            "oiguslik_vorm": form,
            "oiguslik_vorm_tekstina": F.LEGAL_FORM_TEXT.get(form, ""),
            "esmaregistreerimise_kpv": "01.02.2005",
            "arinimed": [{"sisu": f"Firma {code}", "algus_kpv": "01.02.2005"}],
            "sidevahendid": [{"liik": "EMAIL", "sisu": "juhataja@example.ee"}],
            "teatatud_tegevusalad": list(activities),
            "kapitalid": list(capitals),
            "staatused": list(statuses),
        },
    }


HISTORIES = [
    general_item(
        10000001,
        activities=[
            activity("62011", F.EMTAK_2008, "62.01", "01.02.2005", "31.12.2015"),
            activity("62101", F.EMTAK_2025, "62.10", "01.01.2016"),
            activity("47111", F.EMTAK_2025, "47.11", "01.01.2016", main=False),
            activity("58111", F.EMTAK_2025, "58.11", "01.01.2030"),  # not started yet
        ],
        capitals=[
            capital("2500.00", "01.02.2005", "31.12.2010", currency="EEK"),
            capital("25000.00", "01.01.2011"),
        ],
        statuses=[status("R", "01.02.2005"), status("L", "01.03.2020"), status("N", "15.06.2021")],
    ),
    general_item(
        10000002,
        form="AS",
        activities=[activity("62011", F.EMTAK_2008, "", "01.02.2005")],  # no nace_kood
        capitals=[capital(25000, "01.02.2005")],  # a number, not a string
        statuses=[status("R", "01.02.2005")],
    ),
    general_item(10000003, form="FIE", statuses=[status("R", "10.10.2010")]),
]


def read_general(path: Path, day: pd.Timestamp = DAY) -> tuple[pd.DataFrame, pd.DataFrame, Rejects]:
    source, rejects = reading(F.RIK_GENERAL)
    companies, statuses = rik.read_general(path, source, day, rejects)
    return companies, statuses, rejects


def test_general_takes_the_history_entries_in_force_on_the_drop_date(tmp_path):
    path = write_array(tmp_path / F.RIK_GENERAL, HISTORIES, zipped=True)
    companies, statuses, rejects = read_general(path)
    assert rejects.total == 3 and rejects.records == []
    assert_schema(companies, "companies")
    assert companies.drop(columns="capital").to_dict("list") == {
        "company_id": ["10000001", "10000002", "10000003"],
        "legal_form_code": ["OÜ", "AS", "FIE"],
        "emtak_code": ["62101", "62011", ""],
        "emtak_version": [3, 2, 0],
        "nace_code": ["62.10", "", ""],
        # division 62 is J (information and communication) in EMTAK 2008, K in EMTAK 2025
        "sector": ["K", "J", ""],
    }
    assert companies["capital"].tolist()[:2] == [25000.0, 25000.0]
    assert np.isnan(companies["capital"].iloc[2])

    earlier, _, _ = read_general(path, pd.Timestamp("2010-06-30"))
    first = earlier.iloc[0]
    assert (first["emtak_code"], first["emtak_version"], first["sector"]) == ("62011", 2, "J")
    assert first["capital"] == 2500.0

    assert_schema(statuses, "status_history")
    one = statuses[statuses["company_id"] == "10000001"]
    assert one["status"].tolist() == ["R", "L", "N"]
    assert one["valid_from"].tolist() == [
        pd.Timestamp("2005-02-01"),
        pd.Timestamp("2020-03-01"),
        pd.Timestamp("2021-06-15"),
    ]
    assert one["valid_to"].tolist()[:2] == [pd.Timestamp("2020-03-01"), pd.Timestamp("2021-06-15")]
    assert pd.isna(one["valid_to"].iloc[2])
    assert len(statuses) == 5


def test_general_record_faults_become_rejected_rows(tmp_path):
    items = [
        general_item(
            10000001,
            statuses=[status("R", "01.02.2005"), status("X", "01.03.2020"), status("L", "")],
            capitals=[capital("25 000", "01.01.2011")],
        ),
        general_item(1234, statuses=[status("R", "01.02.2005")]),
        general_item(
            10000002,
            statuses=[status("R", "01.02.2005")],
            activities=[activity("62101", 9, "62.10", "01.01.2016")],
        ),
        general_item(10000001, statuses=[status("R", "01.01.2001")]),  # a repeated code
    ]
    companies, statuses, rejects = read_general(write_array(tmp_path / F.RIK_GENERAL, items))
    assert companies["company_id"].tolist() == ["10000001", "10000002"]
    assert np.isnan(companies["capital"].iloc[0])  # the bad amount is left out
    assert companies["emtak_version"].iloc[1] == 0  # an unknown classification version too
    # the company keeps its good status entries; the bad ones (and every entry of a rejected
    # item) are left out
    assert statuses[["company_id", "status"]].values.tolist() == [
        ["10000001", "R"],
        ["10000002", "R"],
    ]
    assert rejects.total == 4
    found = {(rejects.source.row(p), f, v) for p, f, v, _ in rejects.records}
    assert found == {
        ("item 2", "ariregistri_kood", "1234"),
        ("item 4", "ariregistri_kood", "10000001"),
        ("item 1", "algus_kpv", ""),
        ("item 1", "staatus", "X"),
        ("item 1", "kapitali_suurus", "25 000"),
        ("item 3", "emtak_versioon", "9"),
    }
    assert rejects.rows == 4
    with pytest.raises(IngestError, match="rows rejected"):
        rejects.check(0.5)


# ---------------------------------------------------------------- shareholders and rulings
def holder(kind, **fields) -> dict:
    base = dict.fromkeys(
        ("isikukood_registrikood", "valis_kood", "valis_kood_riik", "eesnimi", "synniaeg"),
    )
    base.update(
        isiku_tyyp=kind,
        isiku_roll="OSAN",
        nimi_arinimi="Nimi",
        osaluse_suurus="1250.00",
        osaluse_valuuta="EUR",
        algus_kpv="05.06.2023",
        lopp_kpv=None,
    )
    base.update(fields)
    return base


def test_shareholders_share_the_person_keys_of_the_card(tmp_path):
    companies = json.loads(real_sample(F.RIK_PERSONS).read_text(encoding="utf-8"))
    eswire = next(c for c in companies if c["ariregistri_kood"] == 11189064)
    foreign = dict(next(p for p in eswire["kaardile_kantud_isikud"] if p["isikukood_hash"] is None))
    roles, _ = read_real_persons()
    item = {
        "ariregistri_kood": 11189064,
        "nimi": "Eswire OÜ",
        "osanikud": [
            holder(
                "F", isikukood_hash="622790be-ffbb-5704-9efe-8240a1c3efe8", osaluse_protsent="50.00"
            ),
            {
                **foreign,
                "isiku_roll": "OSAN",
                "osaluse_protsent": 25,
                "algus_kpv": "01.01.2024",
                "lopp_kpv": "31.12.2025",
            },
            holder("J", isikukood_registrikood="11743282", osaluse_protsent="12,5", algus_kpv=None),
            holder("J", valis_kood="HRB 1234", valis_kood_riik="DEU", osaluse_protsent="x"),
        ],
    }
    path = write_array(tmp_path / F.RIK_SHAREHOLDERS, [item, {**item, "ariregistri_kood": 123}])
    source, rejects = reading(F.RIK_SHAREHOLDERS)
    holdings = rik.read_shareholders(path, source, DAY, KEY, rejects)
    assert_schema(holdings, "shareholdings")
    assert holdings["person_type"].tolist() == ["natural", "foreign_natural", "legal"]
    assert holdings["share_percent"].tolist() == [50.0, 25.0, 12.5]
    foreign_key = holdings["person_id"].iloc[1]
    assert foreign_key in set(roles.loc[roles["company_id"] == "11189064", "person_id"])
    assert holdings["person_id"].iloc[2] == "11743282"
    assert pd.isna(holdings["start_date"].iloc[2])
    assert holdings["end_date"].iloc[1] == pd.Timestamp("2025-12-31")
    assert rejects.total == 2
    assert {(f, v) for _, f, v, _ in rejects.records} == {
        ("osaluse_protsent", "x"),
        ("ariregistri_kood", "123"),
    }
    secrets = {foreign["eesnimi"], foreign["nimi_arinimi"], foreign["synniaeg"]}
    assert [c for c in cells(holdings, rejects.table()) for s in secrets if s in c] == []


def ruling(number, date="10.01.2025", deadline=None, state="Jõustunud") -> dict:
    return {
        "maaruse_nr": number,
        "maaruse_kpv": date,
        "kande_kpv": date,
        "lisatahtaeg": deadline,
        "maaruse_liik": "H",
        "maaruse_liik_tekstina": "Hoiatusmäärus",
        "maaruse_olek": "J",
        "maaruse_olek_tekstina": state,
        "kandeliik": "M",
        "kandeliik_tekstina": "Muutmiskanne",
        "joustumise_kpv": date,
        "joust_olek": "J",
    }


def test_rulings(tmp_path):
    items = [
        {
            "ariregistri_kood": 10000001,
            "nimi": "A",
            "maarused": [
                ruling("1-25-100", deadline="10.03.2025"),
                ruling("1-25-100", deadline="10.03.2025"),
                ruling(2077),
                ruling("1-25-100", state="Tühistatud"),
                ruling("1-25-101", date=""),
            ],
        },
        {"ariregistri_kood": 10000002, "nimi": "B", "maarused": []},
    ]
    source, rejects = reading(F.RIK_RULINGS)
    rulings = rik.read_rulings(write_array(tmp_path / F.RIK_RULINGS, items), source, rejects)
    assert_schema(rulings, "rulings")
    assert rulings.drop(columns="deadline").to_dict("list") == {
        "company_id": ["10000001", "10000001"],
        "ruling_no": ["1-25-100", "2077"],
        "ruling_date": [pd.Timestamp("2025-01-10")] * 2,
        "kind": ["Hoiatusmäärus"] * 2,
        "state": ["Jõustunud"] * 2,
    }
    assert rulings["deadline"].iloc[0] == pd.Timestamp("2025-03-10")
    assert pd.isna(rulings["deadline"].iloc[1])
    assert rejects.total == 2
    assert [(f, v) for _, f, v, _ in rejects.records] == [
        ("maaruse_kpv", ""),
        ("maaruse_nr", "1-25-100"),
    ]


def test_person_key_rules():
    natural = {"isiku_tyyp": "F", "isikukood_hash": "abc-1"}
    assert rik.person_key(natural, KEY) == ("natural", "abc-1")
    foreign = {
        "isiku_tyyp": "F",
        "isikukood_hash": None,
        "eesnimi": "Jukka  Pekka",
        "nimi_arinimi": "Heikkinen",
        "synniaeg": "23.12.1977",
        "valis_kood_riik": "FIN",
    }
    kind, key = rik.person_key(foreign, KEY)
    assert kind == "foreign_natural" and key.startswith(rik.FOREIGN_PERSON_PREFIX)
    same = {**foreign, "eesnimi": "JUKKA PEKKA", "nimi_arinimi": " heikkinen"}
    assert rik.person_key(same, KEY) == (kind, key)  # case and spacing do not make a new person
    assert rik.person_key({**foreign, "synniaeg": "24.12.1977"}, KEY)[1] != key
    assert rik.person_key(foreign, b"another secret key of 32 bytes..")[1] != key
    assert rik.person_key({**foreign, "synniaeg": None}, KEY) == ("", "")
    legal = {"isiku_tyyp": "J", "isikukood_registrikood": 11743282}
    assert rik.person_key(legal, KEY) == ("legal", "11743282")
    abroad = {"isiku_tyyp": "J", "isikukood_registrikood": None, "valis_kood": "4408"}
    assert rik.person_key(abroad, KEY) == ("foreign_legal", "XX-4408")
    assert rik.person_key({**abroad, "valis_kood_riik": "lva"}, KEY) == (
        "foreign_legal",
        "LVA-4408",
    )
    assert rik.person_key({"isiku_tyyp": "J"}, KEY) == ("", "")
    assert rik.person_key({"isiku_tyyp": "X", "isikukood_hash": "abc"}, KEY) == ("", "")


# ------------------------------------------------------------------ the JSON stream itself
TRICKY = [
    {
        "ariregistri_kood": 10000000 + i,
        "nimi": 'OÜ "Kala}],{' + "\\" * (i % 3) + '"',
        "nested": {"list": [1, {"x": "]"}], "empty": {}, "none": []},
        "n": i,
    }
    for i in range(60)
]


def stream(path: Path, block_size: int = jsonstream.BLOCK_SIZE) -> list:
    source = Source(DROP, path.name.removesuffix(".zip"), "json")
    return [(p, v) for p, v in jsonstream.iter_json_array(path, source, dict, block_size)]


@pytest.mark.parametrize("layout", ["pretty", "crlf", "compact", "lines", "indent2"])
@pytest.mark.parametrize("block_size", [1, 97, 4096])
def test_every_layout_and_block_size_gives_the_same_items(tmp_path, layout, block_size):
    path = write_array(tmp_path / "x.json", TRICKY, layout, zipped=block_size == 97)
    assert stream(path, block_size) == list(enumerate(TRICKY))


def test_the_pretty_layout_takes_the_fast_path_and_others_the_general_one(tmp_path, monkeypatch):
    def no_scan(*args):
        raise AssertionError("the general cut finder ran")

    monkeypatch.setattr(jsonstream, "_structure", no_scan)
    assert stream(write_array(tmp_path / "x.json", TRICKY), 300) == list(enumerate(TRICKY))
    with pytest.raises(AssertionError, match="general cut finder"):
        stream(write_array(tmp_path / "y.json", TRICKY, "compact"), 300)


def test_pretty_and_compact_general_files_read_the_same(tmp_path):
    pretty = read_general(write_array(tmp_path / "a.json", HISTORIES * 20))
    compact = read_general(write_array(tmp_path / "b.json", HISTORIES * 20, "compact"))
    for a, b in zip(pretty[:2], compact[:2], strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("layout", ["pretty", "compact"])
def test_a_bad_item_is_named_by_its_position_across_blocks(tmp_path, layout):
    path = write_array(tmp_path / "x.json", TRICKY, layout)
    text = path.read_text(encoding="utf-8")
    marker = json.dumps(10000036)  # item 37
    path.write_text(text.replace(f"{marker},", f"{marker},,"), encoding="utf-8")
    with pytest.raises(IngestError, match=r"x\.json: item 37: invalid JSON"):
        stream(path, 256)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a JSON array"),
        ('{"ariregistri_kood": 1}', "not a JSON array"),
        ("[1, 2]", "item 1: expected an object, found a number"),
        ('[\n    {\n        "a": 1\n    },\n    [1]\n]', "item 2: expected an object"),
        ("[{}] []", "data after the end of the array"),
        ("[{},]", "item 1: invalid JSON"),
    ],
)
def test_structural_faults_raise(tmp_path, text, message):
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        stream(path, 4)


def test_a_truncated_file_or_zip_raises(tmp_path):
    path = write_array(tmp_path / "x.json", TRICKY)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match=r"ends inside the array after \d+ item"):
        stream(path, 128)
    archive = write_array(tmp_path / "y.json", TRICKY, zipped=True)
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(IngestError, match="zip"):
        stream(archive)


def test_a_reader_fails_whole_on_a_structural_fault(tmp_path):
    path = write_array(tmp_path / F.RIK_GENERAL, HISTORIES)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(IngestError, match=f"drop {DROP}: {F.RIK_GENERAL}: ends inside"):
        read_general(path)
    path.write_text('[{"ariregistri_kood": 10000001, "yldandmed": "R"}]', encoding="utf-8")
    with pytest.raises(IngestError, match="item 1: unexpected structure"):
        read_general(path)
