"""The readers of the annual-report files and the EMTA files, on real rows and on one fixture
per quirk of the published files (see the design notes on the real formats)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.ingest.emta import read_payments_current, read_payments_old, read_tax_debtors
from company_risk.ingest.errors import IngestError, Rejects, Source
from company_risk.ingest.reports import read_reports
from company_risk.schemas import INTERIM_TABLES
from real_samples import REAL, current_csv, current_rows, needs_real

DROP = "2026-07-30"
GENERAL = F.REPORTS_GENERAL_FILE.format(cutoff="30062026")


def opened(path: Path, name: str | None = None) -> tuple[Path, Source, Rejects]:
    source = Source(DROP, name or path.name)
    return path, source, Rejects(source)


def rejected(rejects: Rejects) -> list[tuple[int, str, str]]:
    return [(position, field, value) for position, field, value, _ in rejects.records]


# ------------------------------------------------------------------------- annual reports
def report_row(report_id: str, **fields: str) -> dict[str, str]:
    row = dict.fromkeys(F.REPORTS_GENERAL_COLUMNS, "")
    row |= {
        "report_id": report_id,
        "registrikood": "10000001",
        "õiguslik vorm": "OÜ",
        "staatus": "Registrisse kantud",
        "aruandeaasta": "2025",
        "kas konsolideeritud?": F.REPORTS_NO,
        "period_start": "01.01.2025",
        "period_end": "31.12.2025",
        "esitatud_kpv": "30.04.2026",
        "kas auditeeritud?": F.REPORTS_NO,
        "valitud aruanne kategooria": "Mikroettevõtja",
    }
    return row | fields


def write_quoted(path: Path, header, rows) -> Path:
    """The annual-report layout: `;`, every field quoted, CRLF, UTF-8 without a BOM."""
    buf = io.StringIO()
    writer = csv.writer(
        buf, delimiter=F.REPORTS_SEPARATOR, quoting=csv.QUOTE_ALL, lineterminator="\r\n"
    )
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(F.REPORTS_ENCODING))
    return path


def write_general(folder: Path, reports: list[dict[str, str]]) -> Path:
    cols = F.REPORTS_GENERAL_COLUMNS
    return write_quoted(folder / GENERAL, cols, [[r[c] for c in cols] for r in reports])


def write_elements(folder: Path, year: int, rows: list[tuple[str, str, str, str]]) -> Path:
    """rows: (report_id, tabel, elemendi_nimetus, vaartus)."""
    name = F.REPORTS_ELEMENTS_FILE.format(year=year, cutoff="30062026")
    lines = [(rid, table, "label", element, value) for rid, table, element, value in rows]
    return write_quoted(folder / name, F.REPORTS_ELEMENTS_COLUMNS, lines)


def reports_of(general: Path, *elements: Path):
    g = opened(general)
    e = [opened(p) for p in elements]
    out, counts = read_reports(g, e)
    return out.set_index("report_id"), counts, g[2], [x[2] for x in e]


@needs_real
def test_real_reports():
    general = REAL / GENERAL
    elements = REAL / F.REPORTS_ELEMENTS_FILE.format(year=2025, cutoff="30062026")
    out, counts, g_rejects, (e_rejects,) = reports_of(general, elements)
    assert list(out.reset_index().columns) == [
        c for c in INTERIM_TABLES["annual_reports"] if c != "published_on"
    ]
    assert len(out) == 5 and counts["reports"] == 5 and counts["element_rows"] == 5
    assert g_rejects.total == 5 and e_rejects.total == 5
    assert not g_rejects.records and not e_rejects.records
    r = out.loc["3388157"]
    assert r["company_id"] == "10351752" and r["fiscal_year"] == 2025
    assert r["revenue"] == 17_092_734 and r["assets"] == 10_225_914 and r["employees"] == 296
    assert r["submitted_on"] == pd.Timestamp("2026-04-24")
    assert r["period_start"] == pd.Timestamp("2025-01-01")
    assert r["period_end"] == pd.Timestamp("2025-12-31")
    assert bool(r["audited"]) and not bool(r["consolidated"])
    assert r["auditor_opinion"] == "Märkuseta" and r["audit_firm"] == "14453981"
    assert r["audit_engagement"] == "Audit" and r["category"] == "Keskmise suurusega ettevõtja"
    assert r["filled_report_id"] == "" and r["going_concern"] == ""
    assert np.isnan(r["net_profit"]) and np.isnan(r["labour_expense"])
    assert out.loc["3394037", "assets"] == 27_120_993
    assert out.loc["3394037", "revenue"] == 4_275_022
    assert out.loc["3396782", "audit_firm"] == ""
    assert out.loc["3396782", "audit_engagement"] == "vt PDF"
    assert out.loc["3431192", ["revenue", "assets"]].isna().all()


def test_reports_read_through_their_zip(tmp_path):
    """A report file is published as `S.zip` (or `S_N.zip`) holding `S.csv`."""
    csv_path = write_general(tmp_path, [report_row("1")])
    elements = write_elements(tmp_path, 2025, [("1", "Bilanss", "Assets", "5.0")])
    zipped = tmp_path / GENERAL.replace(".csv", "_1.zip")
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(csv_path, GENERAL)
    csv_path.unlink()
    out, _ = read_reports(opened(zipped, GENERAL), [opened(elements)])
    assert out["assets"].tolist() == [5]


def test_elements_filed_under_the_filled_report_id(tmp_path):
    general = write_general(
        tmp_path,
        [report_row("100", taidetud_aruanne_report_id="900"), report_row("101")],
    )
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("900", "Bilanss", "Assets", "1000.0"),
            ("900", "Kasumiaruanne skeem 1", "Revenue", "250.0"),
            ("101", "Bilanss", "Assets", "7.0"),
        ],
    )
    out, counts, _, (rejects,) = reports_of(general, elements)
    assert out.loc["100", "filled_report_id"] == "900"
    assert out.loc["100", "assets"] == 1000 and out.loc["100", "revenue"] == 250
    assert out.loc["101", "filled_report_id"] == "" and out.loc["101", "assets"] == 7
    assert counts["elements_via_filled_id"] == 2 and not rejects.records


def test_repeated_element_primary_wins_and_disagreement_counted(tmp_path):
    general = write_general(tmp_path, [report_row("1"), report_row("2")])
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("1", "Lisa: Müügitulu", "Revenue", "999.0"),  # a note, first in the file
            ("1", "Kasumiaruanne skeem 1", "Revenue", "1000.0"),  # the primary statement
            ("1", "Kasumiaruanne, detailne", "Revenue", "1000.0"),  # agrees with it
            ("1", "Bilanss, detailne", "Assets", "50.0"),  # only a detailed copy: it is used
            ("1", "Lisa: Varad", "Assets", "51.0"),  # a note disagreeing with it
            ("2", "Bilanss", "Assets", "8.0"),
            ("2", "Bilanss", "Assets", "9.0"),  # same table twice: the first in the file wins
        ],
    )
    out, counts, _, (rejects,) = reports_of(general, elements)
    assert out.loc["1", "revenue"] == 1000 and out.loc["1", "assets"] == 50
    assert out.loc["2", "assets"] == 8
    assert counts["repeated_copies"] == 4
    assert counts["disagreeing_copies"] == 3  # 999 vs 1000, 51 vs 50, 9 vs 8
    assert not rejects.records


def test_pdf_rows_ignored(tmp_path):
    general = write_general(tmp_path, [report_row("1")])
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("1", F.REPORT_PDF_TABLE, "", ""),
            ("1", F.REPORT_PDF_TABLE, "", "aruanne.pdf"),
            ("1", F.REPORT_PDF_TABLE, "Revenue", "5.0"),  # never read, even with a name
            ("1", "Kasumiaruanne skeem 1", "Revenue", "6.0"),
        ],
    )
    out, counts, _, (rejects,) = reports_of(general, elements)
    assert out.loc["1", "revenue"] == 6
    assert counts["pdf_rows"] == 3 and counts["disagreeing_copies"] == 0
    assert not rejects.records and rejects.total == 4


def test_labour_cost_under_either_name(tmp_path):
    general = write_general(tmp_path, [report_row("1"), report_row("2")])
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("1", "Kasumiaruanne skeem 2", "EmployeeExpense", "-300.0"),
            ("2", "Kasumiaruanne skeem 1", "EmployeeExpense", "-1.0"),
            ("2", "Kasumiaruanne skeem 1", "LaborExpense", "-2.0"),  # listed first: it wins
        ],
    )
    out, counts, _, _ = reports_of(general, elements)
    assert list(F.REPORT_ELEMENTS).index("LaborExpense") < list(F.REPORT_ELEMENTS).index(
        "EmployeeExpense"
    )
    assert out.loc["1", "labour_expense"] == -300
    assert out.loc["2", "labour_expense"] == -2
    assert counts["disagreeing_copies"] == 0  # two elements, not two copies of one


def test_consolidated_only_as_fallback(tmp_path):
    general = write_general(
        tmp_path,
        [report_row("1", **{"kas konsolideeritud?": F.REPORTS_YES}), report_row("2")],
    )
    suffix = F.CONSOLIDATED_SUFFIX
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("1", "Kasumiaruanne skeem 1", f"Revenue{suffix}", "5000.0"),  # only the group's
            ("1", "Bilanss", f"Assets{suffix}", "900.0"),
            ("1", "Bilanss", "Assets", "400.0"),  # the entity's own wins
            ("2", "Kasumiaruanne skeem 1", f"EmployeeExpense{suffix}", "-7.0"),
        ],
    )
    out, counts, _, _ = reports_of(general, elements)
    assert bool(out.loc["1", "consolidated"])
    assert out.loc["1", "revenue"] == 5000 and out.loc["1", "assets"] == 400
    assert out.loc["2", "labour_expense"] == -7
    assert counts["consolidated_fallbacks"] == 2


def test_unknown_element_ignored_and_unknown_report_rejected(tmp_path):
    general = write_general(tmp_path, [report_row("1")])
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("1", "Bilanss", "IntangibleAssetsSomethingNew", "3.0"),
            ("1", "Bilanss", "Assets", "4.0"),
            ("555", "Bilanss", "Assets", "4.0"),  # in neither column of the general file
        ],
    )
    out, counts, g_rejects, (rejects,) = reports_of(general, elements)
    assert list(out.index) == ["1"] and out.loc["1", "assets"] == 4
    assert counts["ignored_element_rows"] == 1 and counts["elements_without_report"] == 1
    assert rejected(rejects) == [(2, "report_id", "555")]
    assert rejects.total == 3 and rejects.rows == 1 and not g_rejects.records
    assert rejects.table()["row"].tolist() == ["row 3 (line 4)"]


def test_bad_rows_rejected_not_fatal(tmp_path):
    general = write_general(
        tmp_path,
        [
            report_row("1"),
            report_row("2", esitatud_kpv="31.02.2026"),  # impossible date
            report_row("3", registrikood="123"),
            report_row("1"),  # duplicate report id
            report_row("4", **{"kas auditeeritud?": "Maybe"}),
        ],
    )
    elements = write_elements(
        tmp_path,
        2025,
        [
            ("1", "Bilanss", "Assets", "abc"),  # a bad amount: this copy is rejected
            ("1", "Lisa: Varad", "Assets", "12.0"),
            ("2", "Bilanss", "Assets", "3.0"),  # of a rejected report: left out with it
        ],
    )
    out, counts, g_rejects, (rejects,) = reports_of(general, elements)
    assert list(out.index) == ["1"] and out.loc["1", "assets"] == 12
    assert sorted(rejected(g_rejects)) == [
        (1, "esitatud_kpv", "31.02.2026"),
        (2, "registrikood", "123"),
        (3, "report_id", "1"),
        (4, "kas auditeeritud?", "Maybe"),
    ]
    assert g_rejects.total == 5 and g_rejects.rows == 4
    assert rejected(rejects) == [(0, "vaartus", "abc")]
    assert counts["elements_of_rejected_reports"] == 1 and counts["reports"] == 1


def test_elements_of_several_years(tmp_path):
    general = write_general(
        tmp_path,
        [report_row("1", aruandeaasta="2024"), report_row("2", aruandeaasta="2025")],
    )
    e2024 = write_elements(tmp_path, 2024, [("1", "Bilanss", "Equity", "10.0")])
    e2025 = write_elements(tmp_path, 2025, [("2", "Bilanss", "Equity", "20.0")])
    out, counts, _, rejects = reports_of(general, e2024, e2025)
    assert out.loc["1", "equity"] == 10 and out.loc["2", "equity"] == 20
    assert out.loc["1", "fiscal_year"] == 2024
    assert counts["element_rows"] == 2 and [r.total for r in rejects] == [1, 1]


def test_reports_structural_faults_raise_named_errors(tmp_path):
    cols = [c for c in F.REPORTS_GENERAL_COLUMNS if c != "esitatud_kpv"]
    row = report_row("1")
    general = write_quoted(tmp_path / GENERAL, cols, [[row[c] for c in cols]])
    elements = write_elements(tmp_path, 2025, [])
    with pytest.raises(IngestError, match=rf"drop {DROP}: {GENERAL}: .*'esitatud_kpv'"):
        reports_of(general, elements)

    general = write_general(tmp_path, [report_row("1")])
    text = general.read_text(encoding="utf-8").replace(";", ",")
    general.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match="wrong delimiter"):
        reports_of(general, elements)

    general = write_general(tmp_path, [report_row("1"), report_row("2")])
    lines = general.read_bytes().split(b"\r\n")
    lines[2] = b";".join(lines[2].split(b";")[:5])  # the second data row is cut short
    general.write_bytes(b"\r\n".join(lines))
    with pytest.raises(IngestError, match=r"row 2 \(line 3\): too few fields"):
        reports_of(general, elements)

    general = write_general(tmp_path, [report_row("1")])
    bad = write_elements(tmp_path, 2025, [("1", "Lisa: Tööjõukulud", "Assets", "1.0")])
    bad.write_bytes(bad.read_bytes().replace("ö".encode(), "ö".encode("latin-1")))
    with pytest.raises(IngestError, match=r"line 2: not valid utf-8"):
        reports_of(general, bad)


# ------------------------------------------------------------------------- EMTA taxes paid
def payments(frame: pd.DataFrame) -> dict[tuple[str, int, int], dict]:
    return {
        (r.company_id, r.year, r.quarter): r._asdict()
        for r in frame.itertuples(index=False, name="Row")
    }


@needs_real
def test_real_current_english_rows(tmp_path):
    rows = current_rows()
    path = current_csv(tmp_path / "tasutud_maksud_kaesolev_aasta_eng.csv", rows)
    source = Source(DROP, path.name)
    rejects = Rejects(source)
    out = read_payments_current(path, source, rejects)
    assert list(out.columns) == [c for c in INTERIM_TABLES["tax_payments"] if c != "published_on"]
    assert rejects.total == 5 and not rejects.records
    got = payments(out)
    q1 = got[("60432443", 2024, 1)]
    assert q1["labour_taxes"] == 1178 and q1["state_taxes"] == 1137
    assert np.isnan(q1["turnover"]) and np.isnan(q1["employees"])
    assert q1["period_start"] == pd.Timestamp("2023-12-01")
    assert q1["period_end"] == pd.Timestamp("2024-02-29")
    assert got[("60432443", 2024, 2)]["employees"] == 1
    assert np.isnan(got[("60432443", 2024, 2)]["labour_taxes"])
    assert got[("65740478", 2024, 4)]["state_taxes"] == 0  # a reported zero is kept
    assert [k for k in got if k[0] == "75009094"] == [("75009094", 2025, q) for q in (1, 2, 3)]
    assert not any(k[0] == "17319131" for k in got)  # nothing reported: no row
    assert sorted(k for k in got if k[0] == "65708431") == [
        ("65708431", 2025, 1),
        ("65708431", 2025, 3),
    ]
    assert len(out) == 10


def test_current_several_years_per_company(tmp_path):
    base = {"Data date": "10.10.2025", "Name": "X OÜ", "Type": "Company", "County": "Harju"}
    rows = [
        base | {"Registry code": "10000001", "Year": 2024, "State taxes I qtr": 10.0},
        base | {"Registry code": "10000001", "Year": 2025, "State taxes I qtr": 20},
        base | {"Registry code": "10000002", "Year": 2025, "Turnover IV qtr": "1178.0"},
        base | {"Registry code": "10000001", "Year": 2025, "State taxes I qtr": 99},  # duplicate
        base | {"Registry code": "1234567", "Year": 2025, "State taxes I qtr": 1},  # 7 digits
        base | {"Registry code": "10000003", "Year": 2025, "State taxes II qtr": "12,5"},  # bad
        base | {"Registry code": "10000004", "Year": "20x5", "State taxes II qtr": 1},  # bad year
    ]
    path = current_csv(tmp_path / "tasutud_maksud_varasemad_aastad_eng.csv", rows)
    source = Source(DROP, path.name)
    rejects = Rejects(source)
    got = payments(read_payments_current(path, source, rejects))
    assert got[("10000001", 2024, 1)]["state_taxes"] == 10
    assert got[("10000001", 2025, 1)]["state_taxes"] == 20
    assert got[("10000001", 2024, 1)]["period_start"] == pd.Timestamp("2023-12-01")
    assert got[("10000001", 2025, 1)]["period_end"] == pd.Timestamp("2025-02-28")
    four = got[("10000002", 2025, 4)]
    assert four["turnover"] == 1178 and four["period_start"] == pd.Timestamp("2025-09-01")
    assert four["period_end"] == pd.Timestamp("2025-11-30")
    assert set(got) == {("10000001", 2024, 1), ("10000001", 2025, 1), ("10000002", 2025, 4)}
    assert sorted(rejected(rejects)) == [
        (3, "Registry code", "10000001\x002025"),
        (4, "Registry code", "1234567"),
        (5, "State taxes II qtr", "12,5"),
        (6, "Year", "20x5"),
    ]
    assert rejects.total == 7


def test_current_estonian_header(tmp_path):
    rows = [{"Registry code": "10000001", "Year": 2025, "Labour taxes and payments III qtr": 5}]
    path = current_csv(
        tmp_path / "tasutud_maksud_kaesolev_aasta.csv", rows, names=F.TAX_PAYMENTS_ESTONIAN
    )
    source = Source(DROP, path.name)
    got = payments(read_payments_current(path, source, Rejects(source)))
    assert got[("10000001", 2025, 3)]["labour_taxes"] == 5
    assert got[("10000001", 2025, 3)]["period_start"] == pd.Timestamp("2025-06-01")

    header = [c for c in F.TAX_PAYMENTS_COLUMNS if c != "Turnover II qtr"]
    path = current_csv(tmp_path / "x.csv", rows, header=header, names=F.TAX_PAYMENTS_ESTONIAN)
    with pytest.raises(IngestError, match=r"'Käive II kv'.*Estonian"):
        read_payments_current(path, source, Rejects(source))


def test_current_missing_column_named(tmp_path):
    header = [c for c in F.TAX_PAYMENTS_COLUMNS if c != "Year"]
    path = current_csv(tmp_path / "tasutud_maksud_kaesolev_aasta_eng.csv", [], header=header)
    source = Source(DROP, path.name)
    with pytest.raises(IngestError, match=rf"drop {DROP}: {path.name}: field 'Year'"):
        read_payments_current(path, source, Rejects(source))
    path.write_text(path.read_text("utf-8-sig").replace(",", ";"), "utf-8")
    with pytest.raises(IngestError, match="wrong delimiter"):
        read_payments_current(path, source, Rejects(source))


OLD_HEADER = ";".join(F.TAX_PAYMENTS_OLD_COLUMNS)


def old_file(path: Path, lines: list[str], header: str = OLD_HEADER, encoding="latin-1") -> Path:
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def read_old(path: Path, year: int, quarter: int):
    source = Source(DROP, path.name)
    rejects = Rejects(source)
    return read_payments_old(path, source, year, quarter, rejects), rejects


@needs_real
def test_real_old_files():
    out, rejects = read_old(REAL / "tasutud_maksud_2021_i_kvartal.csv", 2021, 1)  # latin-1
    assert list(out.columns) == [c for c in INTERIM_TABLES["tax_payments"] if c != "published_on"]
    assert rejects.total == 1 and not rejects.records
    (r,) = payments(out).items()
    assert r[0] == ("10000024", 2021, 1)
    assert r[1]["labour_taxes"] == 18_034.91 and r[1]["state_taxes"] == 22_353.85
    assert r[1]["turnover"] == 140_346.67 and r[1]["employees"] == 11
    assert r[1]["period_start"] == pd.Timestamp("2020-12-01")
    assert r[1]["period_end"] == pd.Timestamp("2021-02-28")

    out, _ = read_old(REAL / "tasutud_maksud_2021_ii_kvartal.csv", 2021, 2)  # a quoted `;`
    r = payments(out)[("10000018", 2021, 2)]
    assert r["state_taxes"] == 1_134_805.23 and r["labour_taxes"] == 736_604.35
    assert r["turnover"] == 19_142_710.36 and r["employees"] == 200
    assert r["period_start"] == pd.Timestamp("2021-03-01")

    out, _ = read_old(REAL / "tasutud_maksud_2023_iii_kvartal.csv", 2023, 3)  # UTF-8, BOM
    r = payments(out)[("10000018", 2023, 3)]
    assert r["state_taxes"] == 1_711_113.62 and r["labour_taxes"] == 1_102_150.32
    assert r["turnover"] == 30_819_500.53 and r["employees"] == 224
    assert r["period_start"] == pd.Timestamp("2023-06-01")
    assert r["period_end"] == pd.Timestamp("2023-08-31")


def test_old_quirks_and_bad_rows(tmp_path):
    header = OLD_HEADER.replace(";Kaive;", ";Käive;").replace("Tootajaid", "Töötajate arv")
    path = old_file(
        tmp_path / "tasutud_maksud_2017_i_kvartal.csv",
        [
            '10000001;A OÜ;Äriühing;jah;"A; B";Harju ( Tallinn );1 234,50;22\u00a0353,85;;3',
            "10000002;B OÜ;Äriühing;ei;INFO JA SIDE;Harju ( Tallinn );12,3,4;1;1;1",  # bad
            "10000003;C OÜ;Äriühing;ei;INFO JA SIDE;Harju ( Tallinn );;;;",  # nothing reported
            "1000000X;D OÜ;Äriühing;ei;INFO JA SIDE;Harju ( Tallinn );1;1;1;1",  # bad code
            "10000001;A OÜ;Äriühing;jah;INFO JA SIDE;Harju ( Tallinn );1;1;1;1",  # duplicate
        ],
        header=header,
        encoding="utf-8-sig",
    )
    out, rejects = read_old(path, 2017, 1)
    got = payments(out)
    assert set(got) == {("10000001", 2017, 1)}
    r = got[("10000001", 2017, 1)]
    assert r["state_taxes"] == 1234.5 and r["labour_taxes"] == 22_353.85
    assert np.isnan(r["turnover"]) and r["employees"] == 3
    assert r["period_start"] == pd.Timestamp("2016-12-01")
    assert sorted(rejected(rejects)) == [
        (1, "Riiklikud Maksud", "12,3,4"),
        (3, "Registrikood", "1000000X"),
        (4, "Registrikood", "10000001"),
    ]
    assert rejects.total == 5


def test_old_structural_faults(tmp_path):
    header = OLD_HEADER.replace(";Tootajaid", "")
    path = old_file(tmp_path / "tasutud_maksud_2020_iv_kvartal.csv", [], header=header)
    with pytest.raises(IngestError, match=rf"{path.name}: field 'Tootajaid'"):
        read_old(path, 2020, 4)
    path = old_file(path, ["10000001;A OÜ;Äriühing;jah;X;Harju;1;1"])
    with pytest.raises(IngestError, match=r"row 1 \(line 2\): too few fields"):
        read_old(path, 2020, 4)


# ------------------------------------------------------------------------- EMTA tax debtors
def test_tax_debtors(tmp_path):
    lines = [
        ";".join(F.TAX_DEBTORS_COLUMNS),
        "30.07.2026;11189064;Eswire OÜ;12 345,67;0,00;1\u00a0000,00;31.12.2026;15.03.2026",
        "30.07.2026;10000001;A OÜ;1234567,8;;;;01.02.2026",
        "30.07.2026;10000002;B OÜ;12.345,67;;;;01.02.2026",  # bad amount: rejected
        "30.07.2026;10000003;C OÜ;5,00;;;;31.02.2026",  # impossible date: rejected
        "29.07.2026;10000004;D OÜ;5,00;;;;01.02.2026",  # another day's list: rejected
        "30.07.2026;10000001;A OÜ;1,00;;;;01.02.2026",  # duplicate: rejected
    ]
    path = tmp_path / F.TAX_DEBTORS
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    source = Source(DROP, path.name)
    rejects = Rejects(source)
    out = read_tax_debtors(path, source, rejects)
    assert list(out.columns) == list(INTERIM_TABLES["tax_debts"])
    assert out["company_id"].tolist() == ["11189064", "10000001"]
    first = out.iloc[0]
    assert first["debt"] == 12_345.67 and first["scheduled"] == 1000 and first["disputed"] == 0
    assert first["as_of"] == pd.Timestamp("2026-07-30")
    assert first["schedule_end"] == pd.Timestamp("2026-12-31")
    assert out.iloc[1]["debt"] == 1_234_567.8 and pd.isna(out.iloc[1]["schedule_end"])
    assert sorted((p, f) for p, f, _ in rejected(rejects)) == [
        (2, "Maksuvõlg"),
        (3, "Vanima tasumata nõude tasumise tähtpäev"),
        (4, "Andmed on seisuga"),
        (5, "Registrikood"),
    ]
    assert rejects.total == 6

    path.write_bytes(("\ufeff" + lines[0].replace(";Maksuvõlg", "") + "\n").encode("utf-8"))
    with pytest.raises(IngestError, match=rf"{F.TAX_DEBTORS}: field 'Maksuvõlg'"):
        read_tax_debtors(path, source, Rejects(source))
