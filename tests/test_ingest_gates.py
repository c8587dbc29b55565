"""Sanity gates before a drop is applied: an implausible mass change, a file dated outside its
drop and implausible values never enter the append-only history; a refused drop leaves the
history byte-identical, and an operator can accept a real mass change explicitly."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.config import IngestConfig, SynthConfig
from company_risk.ingest import IngestError, ingest_drops
from company_risk.ingest.store import load_tables
from company_risk.synth.drops import write_drops
from company_risk.synth.simulate import simulate

CFG = IngestConfig()
WORLD = SynthConfig(
    seed=9, n_companies=400, start=dt.date(2023, 1, 1), end=dt.date(2024, 6, 1), daily_tail_days=0
)
LAST = "2024-06-01"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The world's drops, and the history of every drop before the last one."""
    root = tmp_path_factory.mktemp("gates")
    write_drops(simulate(WORLD), root / "raw")
    ingest_drops(root / "raw", root / "interim", CFG, until=dt.date(2024, 5, 1))
    return root


@pytest.fixture
def case(pristine, tmp_path) -> Path:
    shutil.copytree(pristine, tmp_path, dirs_exist_ok=True)
    return tmp_path


def history(case: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((case / "interim").iterdir())}


def refused(case: Path, *parts: str, cfg: IngestConfig = CFG) -> str:
    before = history(case)
    with pytest.raises(IngestError) as err:
        ingest_drops(case / "raw", case / "interim", cfg)
    for part in parts:
        assert part in str(err.value), str(err.value)
    assert history(case) == before
    return str(err.value)


def member_text(case: Path, name: str) -> str:
    with zipfile.ZipFile(case / "raw" / LAST / f"{name}.zip") as zf:
        return zf.read(name).decode("utf-8-sig")


def write_member(case: Path, name: str, text: str, bom: bool) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(name, text.encode("utf-8-sig" if bom else "utf-8"))
    (case / "raw" / LAST / f"{name}.zip").write_bytes(buffer.getvalue())


def debtors(case: Path) -> Path:
    return case / "raw" / LAST / F.TAX_DEBTORS


def edit_debtors(case: Path, edit) -> None:
    lines = debtors(case).read_bytes().decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    rows = [line.split(";") for line in lines[1:]]
    assert len(rows) >= 3, "the world's last list has debtors to edit"
    edit(header, rows)
    text = "\n".join(";".join(r) for r in [header, *rows]) + "\n"
    debtors(case).write_bytes(text.encode("utf-8-sig"))


def test_a_partial_basic_file_beside_its_zip_is_refused(case):
    text = member_text(case, F.RIK_BASIC)
    (case / "raw" / LAST / F.RIK_BASIC).write_text("\n".join(text.splitlines()[:20]) + "\n")
    refused(case, f"drop {LAST}", F.RIK_BASIC, "held twice")


def test_mass_vanishing_is_refused_unless_accepted(case):
    lines = member_text(case, F.RIK_BASIC).splitlines()
    write_member(case, F.RIK_BASIC, "\n".join(lines[: len(lines) // 5]) + "\n", bom=True)
    message = refused(
        case, f"drop {LAST}", "refused as implausible", "companies on the register vanish"
    )
    assert "--accept-mass-change" in message
    result = ingest_drops(case / "raw", case / "interim", CFG, accept_mass_change=True)
    assert [d.isoformat() for d in result.applied] == [LAST]


def test_an_empty_persons_file_ending_every_tenure_is_refused(case):
    write_member(case, F.RIK_PERSONS, "[]\n", bom=False)
    refused(case, "refused as implausible", "open board tenures end")


@pytest.mark.parametrize("day", ["01.06.2019", "01.06.2030"])
def test_a_debtor_list_dated_outside_its_drop_is_refused(case, day):
    def redate(header, rows):
        for row in rows:
            row[0] = day

    edit_debtors(case, redate)
    refused(case, F.TAX_DEBTORS, "Andmed on seisuga")


IMPLAUSIBLE = {  # kind: (column, text written, value as read)
    "negative debt": (3, "-5,00", "-5.0"),
    "absurd debt": (3, "1" + "0" * 50 + ",00", "1e+50"),
    "negative disputed": (4, "-1,00", "-1.0"),
    "disputed above the debt": (4, "99 999 999,00", "99999999.0"),
}


@pytest.mark.parametrize("kind", sorted(IMPLAUSIBLE))
def test_implausible_amounts_are_rejected_rows(case, kind):
    column, text, value = IMPLAUSIBLE[kind]

    def break_second(header, rows):
        rows[1][column] = text

    edit_debtors(case, break_second)
    refused(case, F.TAX_DEBTORS, "row 2 (line 3)", repr(value))
    lenient = IngestConfig(max_rejected_share=0.5)
    ingest_drops(case / "raw", case / "interim", lenient)
    rejected = load_tables(case / "interim")["rejected"]
    assert rejected[["file", "row", "value"]].values.tolist() == [
        [F.TAX_DEBTORS, "row 2 (line 3)", value]
    ]
    assert "plausible" in rejected["reason"].iloc[0] or "at most" in rejected["reason"].iloc[0]


def test_a_registration_in_the_future_and_a_nul_in_a_name_are_rejected_rows(case):
    lines = member_text(case, F.RIK_BASIC).splitlines()
    first = lines[1].split(";")
    first[F.RIK_BASIC_COLUMNS.index("ettevotja_esmakande_kpv")] = "01.01.2099"
    second = lines[2].split(";")
    second[0] = "Nul\x00 OÜ"
    lines[1], lines[2] = ";".join(first), ";".join(second)
    write_member(case, F.RIK_BASIC, "\n".join(lines) + "\n", bom=True)
    refused(case, F.RIK_BASIC, "01.01.2099")
    ingest_drops(case / "raw", case / "interim", IngestConfig(max_rejected_share=0.5))
    tables = load_tables(case / "interim")
    rejected = tables["rejected"]
    assert rejected[["row", "field"]].values.tolist() == [
        ["row 1 (line 2)", "ettevotja_esmakande_kpv"],
        ["row 2 (line 3)", "nimi"],
    ]
    assert "\x00" not in "".join(tables["companies"]["name"])
    # the two companies are held with their last state, not marked deleted
    held = [first[1], second[1]]
    status = tables["status_history"]
    assert not ((status["company_id"].isin(held)) & (status["status"] == "K")).any()
    assert pd.Timestamp("2099-01-01") not in set(tables["companies"]["first_registered"])
