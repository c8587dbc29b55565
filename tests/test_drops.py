"""The drop writer renders a World as the real open-data files, deterministically."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pandas as pd
import pytest

from builders import pid, tiny_world
from company_risk import formats as F
from company_risk.synth.drops import emta_amount, write_drops


def general_items(folder) -> dict:
    return {i["ariregistri_kood"]: i for i in json.loads(member(folder, F.RIK_GENERAL))}


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    out = tmp_path_factory.mktemp("raw")
    folders = write_drops(tiny_world(), out)
    return out, folders


def member(folder, name, inner=None) -> bytes:
    inner = inner or name
    with zipfile.ZipFile(folder / f"{name}.zip") as zf:
        assert zf.namelist() == [inner]
        assert zf.getinfo(inner).date_time == (1980, 1, 1, 0, 0, 0)
        return zf.read(inner)


def basic(folder) -> pd.DataFrame:
    data = member(folder, F.RIK_BASIC)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return pd.read_csv(
        io.BytesIO(data), sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def test_one_folder_per_drop_date_in_order(raw):
    out, folders = raw
    dates = sorted(tiny_world().drop_dates)
    assert [f.name for f in folders] == [f"{d:%Y-%m-%d}" for d in dates]
    assert sorted(p.name for p in out.iterdir()) == [f.name for f in folders]  # no temp leftovers


def test_writing_is_byte_deterministic(raw, tmp_path):
    out, _ = raw
    write_drops(tiny_world(), tmp_path)
    for folder in out.iterdir():
        for path in folder.iterdir():
            assert path.read_bytes() == (tmp_path / folder.name / path.name).read_bytes(), path


def test_basic_csv_lists_companies_on_the_register_only(raw):
    out, _ = raw
    frame = basic(out / "2019-09-01")
    assert list(frame.columns) == list(F.RIK_BASIC_COLUMNS)
    assert frame["ariregistri_kood"].tolist() == ["10000001", "10000002", "10000003", "10000004"]
    # Epsilon is registered on 2019-09-15: listed from the next drop
    assert "10000005" in basic(out / "2019-10-01")["ariregistri_kood"].tolist()
    # Gamma deleted 2020-09-20, Delta (liquidated) deleted 2020-08-05: both gone afterwards
    codes = basic(out / "2020-10-01")["ariregistri_kood"].tolist()
    assert "10000003" not in codes and "10000004" not in codes
    assert "10000003" in basic(out / "2020-09-01")["ariregistri_kood"].tolist()
    beeta = basic(out / "2020-06-01").set_index("ariregistri_kood").loc["10000002"]
    assert beeta["ettevotja_staatus"] == "N" and beeta["ettevotja_staatus_tekstina"] == "Pankrotis"
    assert beeta["ettevotja_esmakande_kpv"] == "04.01.2016"
    gamma = basic(out / "2020-01-01").set_index("ariregistri_kood").loc["10000003"]
    assert gamma["nimi"] == 'Gamma "Kaubandus"; AS'  # quoted properly despite ; and "


def test_vat_number_only_while_registered(raw):
    out, _ = raw
    before = basic(out / "2020-02-01").set_index("ariregistri_kood")
    after = basic(out / "2020-03-01").set_index("ariregistri_kood")
    assert before.loc["10000001", "kmkr_nr"] == ""
    assert after.loc["10000001", "kmkr_nr"] == "EE100000011"


def test_general_json_has_status_history_up_to_the_drop(raw):
    out, _ = raw
    data = member(out / "2020-05-01", F.RIK_GENERAL)
    assert data.decode() == json.dumps(json.loads(data), ensure_ascii=False, indent=4)
    items = general_items(out / "2020-05-01")
    assert [s["staatus"] for s in items[10000002]["yldandmed"]["staatused"]] == ["R"]
    beeta = general_items(out / "2020-06-01")[10000002]["yldandmed"]
    assert [(s["staatus"], s["algus_kpv"]) for s in beeta["staatused"]] == [
        ("R", "04.01.2016"),
        ("N", "12.05.2020"),
    ]
    assert beeta["staatus"] == "N" and beeta["oiguslik_vorm"] == "OÜ"
    assert beeta["esmaregistreerimise_kpv"] == "04.01.2016"
    (capital,) = beeta["kapitalid"]
    assert capital["kapitali_suurus"] == 2500.0 and capital["kapitali_valuuta"] == "EUR"
    assert capital["algus_kpv"] == "04.01.2016" and capital["lopp_kpv"] is None
    (activity,) = beeta["teatatud_tegevusalad"]
    assert activity["emtak_kood"] == "41201" and activity["on_pohitegevusala"] is True
    assert activity["emtak_versioon"] == F.EMTAK_2008 and activity["nace_kood"] == "41.20"
    (address,) = beeta["aadressid"]
    assert address["ehak_nimetus"] == "Tartu, Tartu maakond"
    assert address["tanav_maja_korter"] == "Riia 2"
    # a hand-made world without the surface columns: no e-mail, one report-info entry
    assert beeta["sidevahendid"] == []
    (info,) = beeta["info_majandusaasta_aruannetest"]  # R5, submitted 2020-04-02
    assert info["majandusaasta_perioodi_lopp_kpv"] == "31.12.2019"
    assert info["tootajate_arv"] == "1"


def test_persons_json_lists_current_holders_without_personal_codes(raw):
    out, _ = raw

    def holders(day):
        data = member(out / day, F.RIK_PERSONS)
        items = json.loads(data)
        assert data.decode() == json.dumps(items, ensure_ascii=False, indent=4)
        return {i["ariregistri_kood"]: i["kaardile_kantud_isikud"] for i in items}

    alfa_nov = {p["isikukood_hash"] for p in holders("2019-11-01")[10000001]}
    alfa_dec = {p["isikukood_hash"] for p in holders("2019-12-01")[10000001]}
    assert pid(1) in alfa_nov and pid(2) not in alfa_nov  # P1 leaves on 2019-11-20
    assert pid(1) not in alfa_dec and pid(2) in alfa_dec
    person = holders("2019-12-01")[10000001][0]
    assert person["isikukood_registrikood"] is None and person["lopp_kpv"] is None
    assert person["isiku_tyyp"] == "F" and person["eesnimi"]  # names are in the file, as in reality
    assert person["synniaeg"] is None  # an Estonian person: the hash, not the birth date
    roles = {p["isiku_roll"] for p in holders("2020-06-01")[10000002]}
    assert roles == {"JUHL", "PANKR"}  # roles beyond the board are written with their code
    assert 10000003 not in holders("2020-10-01")  # deleted companies vanish from every RIK file


def test_tax_debtor_list_uses_decimal_comma_and_nbsp_thousands(raw):
    out, _ = raw
    text = (out / "2020-12-01" / F.TAX_DEBTORS).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == ";".join(F.TAX_DEBTORS_COLUMNS)
    assert lines[1].split(";")[:4] == [
        "01.12.2020",
        "10000002",
        "Beeta Ehitus OÜ",
        "1\u00a0234\u00a0567,89",
    ]
    empty = (out / "2019-07-01" / F.TAX_DEBTORS).read_bytes().decode("utf-8-sig")
    assert empty.splitlines() == [";".join(F.TAX_DEBTORS_COLUMNS)]  # a list with no debtors


def test_emta_amount_format():
    assert emta_amount(pd.Series([0.0, 987.65, 1500.5, 1234567.891, float("nan")])) == [
        "0,00",
        "987,65",
        "1\u00a0500,50",
        "1\u00a0234\u00a0567,89",
        "",
    ]


def reports_general(folder):
    """The report ids of the general file of a publication in `folder` (None if none)."""
    zips = sorted(folder.glob("1.aruannete_yldandmed_kuni_*.zip"))
    if not zips:
        return None
    (path,) = zips
    cutoff = f"{pd.Timestamp(folder.name):%d%m%Y}"
    logical = F.REPORTS_GENERAL_FILE.format(cutoff=cutoff)
    assert path.name == logical.removesuffix(".csv") + ".zip"
    data = member(folder, logical.removesuffix(".csv"), inner=logical)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"))
    assert tuple(rows[0]) == F.REPORTS_GENERAL_COLUMNS
    return [r[0] for r in rows[1:]]


def test_reports_are_republished_cumulatively_at_month_starts(raw):
    out, folders = raw
    published = {f.name: reports_general(f) for f in folders}
    published = {day: ids for day, ids in published.items() if ids is not None}
    # a publication whenever reports were submitted since the previous month start, rows in
    # (fiscal year, registry code) order; R4 (Gamma's late 2018 report) was submitted on
    # 2019-12-01, a drop date itself
    assert published == {
        "2019-07-01": ["R1"],
        "2019-12-01": ["R1", "R4"],
        "2020-05-01": ["R1", "R4", "R5"],
        "2020-07-01": ["R1", "R4", "R2", "R5"],
        "2021-03-01": ["R1", "R4", "R2", "R5", "R3"],
    }
    name = F.REPORTS_ELEMENTS_FILE.format(year=2019, cutoff="01072020")
    data = member(out / "2020-07-01", name.removesuffix(".csv"), inner=name)
    elements = pd.read_csv(io.BytesIO(data), sep=";", dtype=str, keep_default_na=False)
    assert list(elements.columns) == list(F.REPORTS_ELEMENTS_COLUMNS)
    r2 = elements[elements["report_id"] == "R2"].set_index("elemendi_nimetus")["vaartus"]
    assert r2["TotalAnnualPeriodProfitLoss"] == "-2500.25"
    assert "NonCurrentLiabilities" not in r2.index  # not reported -> no row
    assert set(elements["report_id"]) == {"R2", "R5"}  # the fiscal year 2019 reports


def test_tax_payment_files_in_the_older_generation(raw):
    out, _ = raw
    # quarter III of 2019, published 2019-10-10: in the next drop, one file per quarter
    name = F.TAX_PAYMENTS_OLD_FILE.format(year=2019, quarter="iii")
    data = (out / "2019-11-01" / name).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # latin-1, as the older files are
    lines = data.decode("latin-1").splitlines()
    assert lines[0] == ";".join(F.TAX_PAYMENTS_OLD_COLUMNS)
    assert lines[1].split(";")[-4:] == ["3 003,00", "3 703,50", "75 000,00", "3"]
    alfa = lines[1].split(";")
    assert alfa[2] == "Äriühing" and alfa[4] == "INFO JA SIDE" and alfa[5] == "Harju ( Tallinn )"
    assert not (out / "2019-12-01" / name).exists()  # a quarter's file appears once
    # the tiny world's years all precede the current generation (from 2022)
    assert not list(out.glob(f"*/{F.TAX_PAYMENTS_CURRENT_FILES[0]}*"))
    assert (out / "2020-05-01" / F.TAX_PAYMENTS_OLD_FILE.format(year=2020, quarter="i")).exists()
