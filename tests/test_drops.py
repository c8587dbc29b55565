"""The drop writer renders a World as the real open-data files, deterministically."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.synth.drops import emta_amount, write_drops
from test_ingest_world import pid, tiny_world


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    out = tmp_path_factory.mktemp("raw")
    folders = write_drops(tiny_world(), out)
    return out, folders


def member(folder, name) -> bytes:
    with zipfile.ZipFile(folder / f"{name}.zip") as zf:
        assert zf.namelist() == [name]
        assert zf.getinfo(name).date_time == (1980, 1, 1, 0, 0, 0)
        return zf.read(name)


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
    items = {
        i["ariregistri_kood"]: i for i in json.loads(member(out / "2020-05-01", F.RIK_GENERAL))
    }
    assert [s["staatus"] for s in items["10000002"]["yldandmed"]["staatused"]] == ["R"]
    items = {
        i["ariregistri_kood"]: i for i in json.loads(member(out / "2020-06-01", F.RIK_GENERAL))
    }
    beeta = items["10000002"]["yldandmed"]
    assert [(s["staatus"], s["algus_kpv"]) for s in beeta["staatused"]] == [
        ("R", "04.01.2016"),
        ("N", "12.05.2020"),
    ]
    assert beeta["staatus"] == "N"
    assert beeta["kapitalid"] == [{"kapitali_suurus": 2500.0, "kapitali_valuuta": "EUR"}]
    (activity,) = beeta["teatatud_tegevusalad"]
    assert activity["emtak_kood"] == "41201" and activity["on_pohitegevusala"] is True


def test_persons_json_lists_current_holders_without_personal_codes(raw):
    out, _ = raw

    def holders(day):
        items = json.loads(member(out / day, F.RIK_PERSONS))
        return {i["ariregistri_kood"]: i["kaardile_kantud_isikud"] for i in items}

    alfa_nov = {p["isikukood_hash"] for p in holders("2019-11-01")["10000001"]}
    alfa_dec = {p["isikukood_hash"] for p in holders("2019-12-01")["10000001"]}
    assert pid(1) in alfa_nov and pid(2) not in alfa_nov  # P1 leaves on 2019-11-20
    assert pid(1) not in alfa_dec and pid(2) in alfa_dec
    person = holders("2019-12-01")["10000001"][0]
    assert person["isikukood_registrikood"] is None and person["lopp_kpv"] is None
    assert person["isiku_tyyp"] == "F" and person["eesnimi"]  # names are in the file, as in reality
    assert "10000003" not in holders("2020-10-01")  # deleted companies vanish from every RIK file


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


def test_reports_appear_once_in_the_drop_after_submission(raw):
    out, folders = raw
    seen = {}
    for folder in folders:
        if (folder / f"{F.REPORTS_GENERAL}.zip").exists():
            general = pd.read_csv(io.BytesIO(member(folder, F.REPORTS_GENERAL)), sep=";", dtype=str)
            for rid in general["report_id"]:
                assert rid not in seen
                seen[rid] = folder.name
    # R4 (Gamma's late 2018 report) was submitted on 2019-12-01, a drop date itself
    assert seen == {
        "R1": "2019-07-01",
        "R4": "2019-12-01",
        "R5": "2020-05-01",
        "R2": "2020-07-01",
        "R3": "2021-03-01",
    }
    elements = pd.read_csv(
        io.BytesIO(member(out / "2020-07-01", F.REPORTS_ELEMENTS)), sep=";", dtype=str
    )
    assert list(elements.columns) == list(F.REPORTS_ELEMENTS_COLUMNS)
    r2 = elements.set_index("elemendi_nimetus")["vaartus"]
    assert r2["TotalAnnualPeriodProfitLoss"] == "-2500.25"
    assert "NonCurrentLiabilities" not in r2.index  # not reported -> no row


def test_tax_payment_files_in_both_generations(raw):
    out, _ = raw
    old = out / "2019-11-01" / "tasutud_maksud_2019_k3.csv"
    data = old.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # latin-1, as the older files are
    lines = data.decode("latin-1").splitlines()
    assert lines[0] == ";".join(F.TAX_PAYMENTS_OLD_COLUMNS)
    assert lines[1].split(";")[-4:] == ["3 003,00", "3 703,50", "75 000,00", "3"]
    # the current generation: one file per year, re-published with each new quarter
    first = pd.read_csv(
        out / "2020-05-01" / "tasutud_maksud_2020.csv", dtype=str, keep_default_na=False
    )
    later = pd.read_csv(
        out / "2020-08-01" / "tasutud_maksud_2020.csv", dtype=str, keep_default_na=False
    )
    assert list(first.columns) == list(F.TAX_PAYMENTS_COLUMNS)
    alfa = first.set_index("Registry code").loc["10000001"]
    assert alfa["State taxes I qtr"] == "3001.0" and alfa["State taxes II qtr"] == ""
    assert later.set_index("Registry code").loc["10000001", "State taxes II qtr"] == "3002.0"
    assert not (out / "2020-06-01" / "tasutud_maksud_2020.csv").exists()  # nothing new published
