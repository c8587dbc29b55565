"""A bad drop stops ingest with one clear error (drop, file, row, field) and changes nothing.

Each test corrupts the drop BAD in `case`, a copy of conftest's `pristine` (the tiny world's
drops up to BAD, the history of those before it), and checks it with builders' `assert_fails`."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import BAD, assert_fails
from company_risk import formats as F
from company_risk.cli import app
from company_risk.config import IngestConfig
from company_risk.ingest import IngestError, ingest_drops
from company_risk.ingest.store import load_tables

APPLIED = "2019-12-01"  # history holds the drops up to this one


def read_member(folder: Path, name: str) -> str:
    with zipfile.ZipFile(folder / f"{name}.zip") as zf:
        return zf.read(name).decode("utf-8-sig")


def write_member(folder: Path, name: str, text: str, bom: bool = True) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(name, text.encode("utf-8-sig" if bom else "utf-8"))
    (folder / f"{name}.zip").write_bytes(buffer.getvalue())


def edit_basic(case: Path, edit) -> None:
    folder = case / "raw" / BAD
    write_member(folder, F.RIK_BASIC, edit(read_member(folder, F.RIK_BASIC)))


def edit_debtors(case: Path, edit) -> None:
    path = case / "raw" / BAD / F.TAX_DEBTORS
    path.write_bytes(edit(path.read_bytes().decode("utf-8-sig")).encode("utf-8-sig"))


def test_truncated_zip(case):
    path = case / "raw" / BAD / f"{F.RIK_PERSONS}.zip"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert_fails(case, f"drop {BAD}", F.RIK_PERSONS, "zip")


def test_truncated_json_inside_a_good_zip(case):
    folder = case / "raw" / BAD
    text = read_member(folder, F.RIK_GENERAL)
    write_member(folder, F.RIK_GENERAL, text[: len(text) * 2 // 3], bom=False)
    assert_fails(case, f"drop {BAD}", F.RIK_GENERAL, "item")


def test_missing_column(case):
    def drop_kmkr(text):
        lines = [line.split(";") for line in text.splitlines()]
        return "\n".join(";".join(f for i, f in enumerate(row) if i != 4) for row in lines) + "\n"

    edit_basic(case, drop_kmkr)
    assert_fails(case, f"drop {BAD}", F.RIK_BASIC, "field 'kmkr_nr'", "missing or renamed column")


def test_renamed_column(case):
    edit_debtors(case, lambda t: t.replace("Maksuvõlg", "Maksuvolg", 1))
    assert_fails(case, F.TAX_DEBTORS, "field 'Maksuvõlg'", "missing or renamed column")


def test_wrong_delimiter(case):
    edit_debtors(case, lambda t: t.replace(";", ","))
    assert_fails(case, F.TAX_DEBTORS, "wrong delimiter")


def break_second_debt(text: str) -> str:
    """The list of 2020-01-01 has two debtors: the second one's debt becomes no number."""
    lines = text.splitlines()
    fields = lines[2].split(";")
    fields[3] = "45 21O,00"
    lines[2] = ";".join(fields)
    return "\n".join(lines) + "\n"


def test_non_numeric_amount(case):
    edit_debtors(case, break_second_debt)
    assert_fails(
        case,
        f"drop {BAD}",
        F.TAX_DEBTORS,
        "row 2 (line 3)",
        "field 'Maksuvõlg'",
        "'45 21O,00' is not a number",
    )


def test_record_faults_under_the_threshold_are_rejected_rows_and_the_drop_applies(case):
    """One bad amount and one bad date among few rows: with a lenient threshold the drop is
    applied, the rows are kept in `rejected`, and the company whose basic row was rejected is
    still on the register with its last known attributes (not marked deleted)."""
    edit_basic(case, lambda t: t.replace("04.01.2016", "31.02.2016"))
    edit_debtors(case, break_second_debt)
    lenient = IngestConfig(max_rejected_share=0.6)
    result = ingest_drops(case / "raw", case / "interim", lenient)
    assert [d.isoformat() for d in result.applied] == [BAD] and result.rejected_rows == 2
    tables = load_tables(case / "interim")
    rejected = tables["rejected"]
    assert rejected[["file", "row", "field", "value"]].values.tolist() == [
        [F.RIK_BASIC, "row 2 (line 3)", "ettevotja_esmakande_kpv", "31.02.2016"],
        [F.TAX_DEBTORS, "row 2 (line 3)", "Maksuvõlg", "45 21O,00"],
    ]
    assert (rejected["drop_date"] == pd.Timestamp(BAD)).all()
    assert rejected["reason"].str.contains("is not").all()
    held = "10000002"  # the company of the rejected basic row
    status = tables["status_history"]
    assert "K" not in set(status.loc[status["company_id"] == held, "status"])
    companies = tables["companies"]
    open_version = companies.loc[(companies["company_id"] == held) & companies["valid_to"].isna()]
    assert open_version["first_registered"].tolist() == [pd.Timestamp("2016-01-04")]
    files = tables["ingest_files"]
    basic_line = files.loc[(files["drop_date"] == pd.Timestamp(BAD)) & (files["family"] == "basic")]
    assert basic_line["note"].tolist() == ["1 row(s) rejected"]


def test_impossible_date(case):
    edit_basic(case, lambda t: t.replace("04.01.2016", "31.02.2016"))
    assert_fails(
        case, F.RIK_BASIC, "row 2 (line 3)", "field 'ettevotja_esmakande_kpv'", "'31.02.2016'"
    )


def test_duplicate_registry_code(case):
    edit_basic(case, lambda t: t.replace(";10000003;", ";10000002;"))
    assert_fails(case, F.RIK_BASIC, "row 3 (line 4)", "field 'ariregistri_kood'", "duplicate")


def test_bad_registry_code(case):
    edit_basic(case, lambda t: t.replace(";10000003;", ";1000003;"))
    assert_fails(case, F.RIK_BASIC, "row 3", "field 'ariregistri_kood'", "8-digit")


def test_unknown_status_code(case):
    edit_basic(case, lambda t: t.replace(";R;Registrisse kantud;", ";X;Registrisse kantud;", 1))
    assert_fails(case, F.RIK_BASIC, "row 1", "field 'ettevotja_staatus'")


def test_too_many_fields_in_a_row(case):
    edit_basic(case, lambda t: t.replace(";10000003;", ";10000003;extra;"))
    assert_fails(case, F.RIK_BASIC, "line 4")


def test_missing_file(case):
    (case / "raw" / BAD / f"{F.RIK_GENERAL}.zip").unlink()
    assert_fails(case, f"drop {BAD}", F.RIK_GENERAL, "file missing")


def test_drop_dated_before_the_last_applied_one(case):
    shutil.copytree(case / "raw" / BAD, case / "raw" / "2019-11-15")
    assert_fails(case, "drop 2019-11-15", f"before the last applied drop {APPLIED}")


def test_changed_applied_drop(case):
    edit = case / "raw" / APPLIED / F.TAX_DEBTORS
    edit.write_bytes(edit.read_bytes() + b"\n")
    assert_fails(case, f"drop {APPLIED}", "already applied")


def test_good_drops_before_a_bad_one_are_not_applied_either(case, tmp_path):
    """All or nothing: the run stops, and the good drop before the bad one stays unapplied."""
    shutil.rmtree(case / "interim")
    (case / "interim").mkdir()
    edit_basic(case, lambda t: t.replace("04.01.2016", "31.02.2016"))
    assert_fails(case, f"drop {BAD}")
    assert list((case / "interim").iterdir()) == []


def test_cli_exit_code_and_message(case):
    (case / "params.yaml").write_text("ingest:\n  max_rejected_share: 0.001\n")
    edit_debtors(case, lambda t: t.replace(";", ","))
    result = CliRunner().invoke(
        app,
        [
            "--project-dir",
            str(case),
            "ingest",
            "--raw",
            str(case / "raw"),
            "--out",
            str(case / "interim"),
        ],
    )
    assert result.exit_code != 0
    assert f"drop {BAD}" in result.output and F.TAX_DEBTORS in result.output


def test_an_ingest_error_names_the_unapplied_drop_that_failed(case):
    """`IngestError.failed_drop` is the drop whose reading failed (the daily job quarantines
    that one, from this attribute, not from the message's words)."""
    path = case / "raw" / BAD / f"{F.RIK_PERSONS}.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(IngestError) as raised:
        ingest_drops(case / "raw", case / "interim", IngestConfig(), until=dt.date(2020, 1, 1))
    assert raised.value.failed_drop == dt.date.fromisoformat(BAD)
