"""Format details of the real files: zipped or not, BOM or not, EMTA number styles, both
tax-payment generations, latin-1, and JSON in any layout (streamed in small chunks)."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import IngestError, files, ingest_drops, parse, readers
from company_risk.ingest.errors import Source
from company_risk.ingest.store import load_tables
from company_risk.synth.drops import write_drops
from test_ingest_world import tiny_world

CFG = IngestConfig()
SRC = Source("2020-01-01", "test.csv")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    out = tmp_path_factory.mktemp("raw")
    world = tiny_world()
    world.drop_dates = [d for d in world.drop_dates if d <= pd.Timestamp("2020-06-01")]
    write_drops(world, out)
    return out


def test_emta_numbers_decimal_comma_and_any_space_thousands():
    values = pd.Series(
        ["1 234,56", "1\u00a0234\u00a0567,89", "1\u202f000,00", "-5,5", "12", "", " 7,25 "]
    )
    got = parse.numbers(SRC, values, "Maksuvõlg", decimal_comma=True)
    assert got.iloc[:4].tolist() == [1234.56, 1234567.89, 1000.0, -5.5]
    assert got.iloc[4] == 12.0 and np.isnan(got.iloc[5]) and got.iloc[6] == 7.25
    for bad in ("1.234,56", "12,3,4", "abc", "1e5", "nan"):
        with pytest.raises(IngestError, match="is not a number"):
            parse.numbers(SRC, pd.Series(["1,0", bad]), "Maksuvõlg", decimal_comma=True)
    with pytest.raises(IngestError, match="row 1 .*is empty|is not a number"):
        parse.numbers(SRC, pd.Series([""]), "Maksuvõlg", decimal_comma=True, optional=False)


def test_dates_are_strict():
    got = parse.dates(SRC, pd.Series(["29.02.2020", ""]), "d", optional=True)
    assert got.iloc[0] == pd.Timestamp("2020-02-29") and pd.isna(got.iloc[1])
    assert str(got.dtype) == "datetime64[us]"
    for bad in ("29.02.2021", "1.2.2020", "2020-02-01", "32.01.2020"):
        with pytest.raises(IngestError, match="is not a date"):
            parse.dates(SRC, pd.Series([bad]), "d")


def test_unzipped_files_and_no_bom_give_the_same_tables(raw, tmp_path):
    zipped = tmp_path / "zipped"
    ingest_drops(raw, zipped, CFG)
    plain = tmp_path / "raw"
    shutil.copytree(raw, plain)
    for archive in plain.rglob("*.zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(archive.parent)
        archive.unlink()
    for basic in plain.rglob(F.RIK_BASIC):
        basic.write_bytes(basic.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    ingest_drops(plain, tmp_path / "unzipped", CFG)
    a, b = load_tables(zipped), load_tables(tmp_path / "unzipped")
    for name in a:
        if name != "ingest_log":  # the checksums differ, as the bytes do
            pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    pd.testing.assert_frame_equal(
        a["ingest_log"].drop(columns="checksum"), b["ingest_log"].drop(columns="checksum")
    )


OLD_HEADER = ";".join(F.TAX_PAYMENTS_OLD_COLUMNS)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-8-sig"])
def test_old_tax_payment_file_any_encoding(tmp_path, encoding):
    path = tmp_path / "tasutud_maksud_2018_k3.csv"
    text = f"{OLD_HEADER}\n10000001;Õun OÜ;Äriühing;jah;J;Harju;1\u00a0234,50;2 000,00;10 000;3\n"
    path.write_bytes(text.encode(encoding))
    year, quarter = readers.payment_file_kind(path.name)
    got = readers.read_payments_old(path, Source("d", path.name), year, quarter)
    assert got.to_dict("records") == [
        {
            "company_id": "10000001",
            "year": 2018,
            "quarter": 3,
            "state_taxes": 1234.5,
            "labour_taxes": 2000.0,
            "turnover": 10000.0,
            "employees": 3.0,
        }
    ]


def test_current_tax_payment_file_reads_reported_quarters_only(tmp_path):
    header = ",".join(f'"{c}"' for c in F.TAX_PAYMENTS_COLUMNS)
    values = [
        "01.05.2021",
        "10000002",
        "Beeta",
        "OÜ",
        "Tartu",
        "F",
        "2021",
        "10.5",
        "",
        "",
        "",
        "20",
        "",
        "",
        "",
        "300",
        "",
        "",
        "",
        "2",
        "",
        "",
        "",
    ]
    path = tmp_path / "tasutud_maksud_2021.csv"
    path.write_text(header + "\n" + ",".join(f'"{v}"' for v in values) + "\n", encoding="utf-8")
    assert readers.payment_file_kind(path.name) == (2021, None)
    assert readers.payment_file_kind("tasutud_maksud_2021_k5.csv") is None
    got = readers.read_payments_current(path, Source("d", path.name))
    assert got.to_dict("records") == [
        {
            "company_id": "10000002",
            "year": 2021,
            "quarter": 1,
            "state_taxes": 10.5,
            "labour_taxes": 20.0,
            "turnover": 300.0,
            "employees": 2.0,
        }
    ]


def test_json_any_layout_streamed_in_small_chunks(raw, tmp_path, monkeypatch):
    folder = raw / "2020-06-01"
    src = Source("2020-06-01", F.RIK_GENERAL, "json")
    companies, statuses = readers.read_general(folder / f"{F.RIK_GENERAL}.zip", src, CFG)
    with zipfile.ZipFile(folder / f"{F.RIK_GENERAL}.zip") as zf:
        items = json.loads(zf.read(F.RIK_GENERAL))
    for item in items:  # RIK's JSON writes the registry code as a number
        item["ariregistri_kood"] = int(item["ariregistri_kood"])
    pretty = tmp_path / F.RIK_GENERAL
    pretty.write_text(json.dumps(items, indent=2, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(files, "CHUNK", 7)  # every item spans many chunks
    c2, s2 = readers.read_general(pretty, src, CFG, files.ItemCache())
    pd.testing.assert_frame_equal(companies, c2)
    pd.testing.assert_frame_equal(statuses, s2)
    assert statuses[statuses["company_id"] == "10000002"]["status"].tolist() == ["R", "N"]


def test_item_cache_gives_what_decoding_gives(raw):
    cache = files.ItemCache()
    for day in ("2020-04-01", "2020-05-01", "2020-06-01"):
        path = raw / day / f"{F.RIK_PERSONS}.zip"
        src = Source(day, F.RIK_PERSONS, "json")
        cached = readers.read_persons(path, src, cache)
        cache.next_drop()
        pd.testing.assert_frame_equal(cached, readers.read_persons(path, src))
    assert len(cache.previous) == len(cached.groupby("company_id"))


def test_json_errors_name_the_item(tmp_path):
    path = tmp_path / F.RIK_PERSONS
    src = Source("d", F.RIK_PERSONS, "json")
    path.write_text('[{"ariregistri_kood": "10000001", "kaardile_kantud_isikud": []},\n 5]')
    with pytest.raises(IngestError, match="item 2: expected an object"):
        readers.read_persons(path, src)
    path.write_text('{"ariregistri_kood": "10000001"}')
    with pytest.raises(IngestError, match="not a JSON array"):
        readers.read_persons(path, src)
    person = {
        "isikukood_hash": "ab",
        "isiku_tyyp": "X",
        "isiku_roll": "JUHL",
        "algus_kpv": "01.01.2020",
    }
    path.write_text(
        json.dumps([{"ariregistri_kood": "10000001", "kaardile_kantud_isikud": [person]}])
    )
    with pytest.raises(IngestError, match="item 1: field 'isiku_tyyp'"):
        readers.read_persons(path, src)


def test_ehak_text_to_county():
    texts = pd.Series(
        ["Kesklinna linnaosa, Tallinn, Harju maakond", "Tartu maakond", "Tallinn"], dtype="str"
    )
    assert readers.county(texts).tolist() == ["Harju maakond", "Tartu maakond", "Tallinn"]
    assert readers.sector(
        pd.Series(["62011", "01111", "99000", "", "04000"], dtype="str")
    ).tolist() == ["J", "A", "U", "", ""]
