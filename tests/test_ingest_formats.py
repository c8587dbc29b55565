"""Format details shared by the real files: zipped or not, BOM or not, EMTA number styles,
strict dates, the county of an EHAK text. Each publisher's own quirks are tested beside its
reader (test_ingest_rik, test_ingest_reports_emta)."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from builders import tiny_world
from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import IngestError, ingest_drops, parse, rik
from company_risk.ingest.errors import Source
from company_risk.ingest.store import load_tables
from company_risk.synth.drops import write_drops

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
    # the file names (a zip or its member), the checksums and fingerprints differ, as the
    # bytes and the files do
    differ = {"ingest_log": ["checksum", "files", "fingerprint"], "ingest_files": ["file"]}
    for name in a:
        columns = differ.get(name, [])
        pd.testing.assert_frame_equal(
            a[name].drop(columns=columns), b[name].drop(columns=columns), obj=name
        )
    unzipped = {F.logical_name(f) for f in a["ingest_files"]["file"]}
    assert unzipped == set(b["ingest_files"]["file"])


def test_ehak_text_to_county():
    texts = pd.Series(
        ["Kesklinna linnaosa, Tallinn, Harju maakond", "Tartu maakond", "Tallinn"], dtype="str"
    )
    assert rik.county(texts).tolist() == ["Harju maakond", "Tartu maakond", "Tallinn"]
    codes = ["62011", "01111", "99000", "", "04000"]
    assert [F.section_of(c) for c in codes] == ["J", "A", "U", "", ""]
