"""Recognising a drop's files by their real published names, and record-level fault bookkeeping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.ingest import IngestError, parse
from company_risk.ingest.errors import Rejects, Source
from company_risk.ingest.files import classify

REAL_NAMES = {
    # name in the drop -> (logical name, family)
    "ettevotja_rekvisiidid__lihtandmed.csv.zip": (F.RIK_BASIC, "basic"),
    "ettevotja_rekvisiidid__yldandmed.json.zip": (F.RIK_GENERAL, "general"),
    "ettevotja_rekvisiidid__kaardile_kantud_isikud.json.zip": (F.RIK_PERSONS, "persons"),
    "ettevotja_rekvisiidid__osanikud.json.zip": (F.RIK_SHAREHOLDERS, "shareholders"),
    "ettevotja_rekvisiidid__maarused.json.zip": (F.RIK_RULINGS, "rulings"),
    "maksuvolglaste_nimekiri.csv": (F.TAX_DEBTORS, "tax_debtors"),
    "1.aruannete_yldandmed_kuni_30062026.zip": (
        "1.aruannete_yldandmed_kuni_30062026.csv",
        "reports_general",
    ),
    "4.2025_aruannete_elemendid_kuni_30062026_1.zip": (
        "4.2025_aruannete_elemendid_kuni_30062026.csv",
        "reports_elements",
    ),
    "4.2024_aruannete_elemendid_kuni_30062026.csv": (
        "4.2024_aruannete_elemendid_kuni_30062026.csv",
        "reports_elements",
    ),
    "tasutud_maksud_kaesolev_aasta_eng.csv": (
        "tasutud_maksud_kaesolev_aasta_eng.csv",
        "payments_current",
    ),
    "tasutud_maksud_varasemad_aastad.csv": (
        "tasutud_maksud_varasemad_aastad.csv",
        "payments_current",
    ),
    "tasutud_maksud_2021_i_kvartal.csv": ("tasutud_maksud_2021_i_kvartal.csv", "payments_old"),
    "tasutud_maksud_2017_i_kv.xlsx": ("tasutud_maksud_2017_i_kv.xlsx", "payments_old_xlsx"),
}


@pytest.mark.parametrize("name", sorted(REAL_NAMES))
def test_every_real_name_is_recognised(tmp_path, name):
    (tmp_path / name).write_bytes(b"x")
    (found,) = classify(tmp_path, "2026-07-30")
    logical, family = REAL_NAMES[name]
    assert (found.logical, found.family.name) == (logical, family)
    assert F.logical_name(name) == logical
    assert F.family_of(name).name == family


def test_name_parameters_are_read(tmp_path):
    for name in (
        "4.2025_aruannete_elemendid_kuni_30062026_2.zip",
        "tasutud_maksud_2021_iv_kvartal.csv",
    ):
        (tmp_path / name).write_bytes(b"x")
    elements, old = classify(tmp_path, "2026-07-30")
    assert elements.groups == {"year": "2025", "cutoff": "30062026", "copy": "2"}
    assert F.cutoff_date(elements.groups["cutoff"]).isoformat() == "2026-06-30"
    assert old.groups == {"year": "2021", "quarter": "iv"}


def test_unknown_files_are_listed_not_dropped(tmp_path):
    (tmp_path / "readme.txt").write_bytes(b"x")
    (tmp_path / "ettevotja_rekvisiidid__lihtandmed.xml.zip").write_bytes(b"x")
    found = classify(tmp_path, "2026-07-30")
    assert [(f.path.name, f.family) for f in found] == [
        ("ettevotja_rekvisiidid__lihtandmed.xml.zip", None),
        ("readme.txt", None),
    ]


@pytest.mark.parametrize(
    "pair",
    [
        (F.RIK_BASIC, F.RIK_BASIC + ".zip"),  # a partial unpacked file beside its zip
        ("1.aruannete_yldandmed_kuni_30062026.zip", "1.aruannete_yldandmed_kuni_30062026_1.zip"),
    ],
)
def test_one_file_held_twice_is_an_error(tmp_path, pair):
    for name in pair:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(IngestError, match="held twice"):
        classify(tmp_path, "2026-07-30")


def test_quarters_are_emtas_not_calendar_quarters():
    assert [F.quarter_period(2021, q) for q in (1, 2, 3, 4)] == [
        (pd.Timestamp("2020-12-01").date(), pd.Timestamp("2021-02-28").date()),
        (pd.Timestamp("2021-03-01").date(), pd.Timestamp("2021-05-31").date()),
        (pd.Timestamp("2021-06-01").date(), pd.Timestamp("2021-08-31").date()),
        (pd.Timestamp("2021-09-01").date(), pd.Timestamp("2021-11-30").date()),
    ]
    assert F.quarter_period(2024, 1)[1].isoformat() == "2024-02-29"
    for day in pd.date_range("2020-01-01", "2022-12-31"):
        year, quarter = F.quarter_of(day.date())
        start, end = F.quarter_period(year, quarter)
        assert start <= day.date() <= end


def test_sections_follow_the_classification_version():
    assert F.section_of("62101", F.EMTAK_2008) == "J"
    assert F.section_of("62101", F.EMTAK_2025) == "K"
    assert F.section_of("64.19", F.EMTAK_2025) == "L"
    assert F.section_of("45201", F.EMTAK_2008) == "G"
    assert F.section_of("45201", F.EMTAK_2025) == ""  # division 45 is gone in NACE Rev. 2.1
    assert F.section_of("", F.EMTAK_2025) == ""


def test_rejects_record_every_bad_value_and_fail_over_the_threshold():
    source = Source("2026-07-30", F.RIK_BASIC)
    rejects = Rejects(source, total=4)
    mask = rejects.over(4)
    values = pd.Series(["10000001", "1234", "10000003", "x"], dtype="str")
    codes = parse.codes(source, values, "ariregistri_kood", reject=mask)
    dates = parse.dates(
        source, pd.Series(["01.02.2020", "", "31.02.2020", "01.01.2020"]), "kpv", reject=mask
    )
    assert mask.bad.tolist() == [False, True, True, True]
    assert codes.tolist()[0] == "10000001"
    assert dates.isna().tolist() == [False, True, True, False]
    table = rejects.table()
    # in file order; a row is recorded with the first field found bad (row 2's empty date is
    # not repeated)
    assert rejects.rows == 3
    assert table[["row", "field", "value"]].values.tolist() == [
        ["row 2 (line 3)", "ariregistri_kood", "1234"],
        ["row 3 (line 4)", "kpv", "31.02.2020"],
        ["row 4 (line 5)", "ariregistri_kood", "x"],
    ]
    with pytest.raises(IngestError, match=r"3 of 4 rows rejected.*row 2 \(line 3\)"):
        rejects.check(0.5)
    rejects.check(0.75)  # at the limit: accepted


def test_without_a_mask_the_first_bad_value_raises():
    source = Source("2026-07-30", F.RIK_BASIC)
    with pytest.raises(IngestError, match=r"row 2 \(line 3\): field 'kood'"):
        parse.codes(source, pd.Series(["10000001", "1234"]), "kood")
    assert np.isnan(
        parse.numbers(source, pd.Series(["x"]), "n", False, reject=Rejects(source).over(1))[0]
    )
