"""A drop built around the verbatim real rows ingests with nothing rejected and reproduces what
the published files say; no person's name, birth date or e-mail gets past ingest.

The real samples supply the persons file, one basic-data row, the annual reports, the older
EMTA files and the current EMTA rows; the project's own drop writer supplies the files that
have no real sample (the general data, the debtor list, the basic rows of the other companies).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from builders import tiny_world
from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import ingest_drops
from company_risk.ingest.store import load_tables
from company_risk.synth.drops import write_drops
from real_samples import REAL, current_csv, current_rows, needs_real, real_sample

DROP = pd.Timestamp("2026-07-30")
BASIC_ROW = "12652512"  # the company of the real basic-data row
# the persons file's companies, then the basic row's
REAL_CODES = ["16374731", "10397748", "11866180", "11189064", "11045112", BASIC_ROW]
REPORTS = ("1.aruannete_yldandmed_kuni_30062026", "4.2025_aruannete_elemendid_kuni_30062026")
OLD_EMTA = (
    "tasutud_maksud_2021_i_kvartal.csv",
    "tasutud_maksud_2021_ii_kvartal.csv",
    "tasutud_maksud_2023_iii_kvartal.csv",
)

pytestmark = needs_real


def _zip(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, data)


def _world_of_the_real_companies():
    """The hand-made world with its six companies renamed to the real ones, all on the register
    on the drop date, and no debts, reports or taxes of its own (the real files bring those)."""
    world = tiny_world()
    codes = dict(zip(sorted(world.companies["company_id"]), REAL_CODES, strict=True))
    world.companies = world.companies.assign(company_id=world.companies["company_id"].map(codes))
    events = world.status_events
    world.status_events = events[events["status"] == "R"].assign(
        company_id=lambda e: e["company_id"].map(codes)
    )
    world.board_roles = world.board_roles.iloc[0:0]
    world.tax_debts = world.tax_debts.iloc[0:0]
    world.annual_reports = world.annual_reports.iloc[0:0]
    world.tax_payments = world.tax_payments.iloc[0:0]
    world.drop_dates = [DROP]
    return world


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> tuple[dict[str, pd.DataFrame], object]:
    root = tmp_path_factory.mktemp("real_drop")
    (folder,) = write_drops(_world_of_the_real_companies(), root / "raw")
    # the real persons file in place of the writer's
    persons = real_sample(F.RIK_PERSONS).read_bytes()
    _zip(folder / f"{F.RIK_PERSONS}.zip", F.RIK_PERSONS, persons)
    # the real basic-data row in place of the writer's row for its company (the sample was
    # stored without the BOM the published file has)
    with zipfile.ZipFile(folder / f"{F.RIK_BASIC}.zip") as zf:
        lines = zf.read(F.RIK_BASIC).decode("utf-8-sig").splitlines()
    real_row = real_sample(F.RIK_BASIC).read_text("utf-8").splitlines()[1]
    lines = [real_row if f";{BASIC_ROW};" in line else line for line in lines]
    _zip(folder / f"{F.RIK_BASIC}.zip", F.RIK_BASIC, ("\ufeff" + "\n".join(lines) + "\n").encode())
    for stem in REPORTS:
        _zip(folder / f"{stem}.zip", f"{stem}.csv", real_sample(f"{stem}.csv").read_bytes())
    for name in OLD_EMTA:
        (folder / name).write_bytes(real_sample(name).read_bytes())
    current_csv(folder / "tasutud_maksud_kaesolev_aasta_eng.csv", current_rows())
    result = ingest_drops(root / "raw", root / "interim", IngestConfig(max_rejected_share=0.0))
    return load_tables(root / "interim"), result


def test_every_file_is_read_and_nothing_rejected(ingested):
    tables, result = ingested
    assert result.rejected_rows == 0 and tables["rejected"].empty
    files = tables["ingest_files"]
    assert set(files["status"]) == {"read"}
    assert set(files["family"]) == {
        "basic",
        "general",
        "persons",
        "tax_debtors",
        "reports_general",
        "reports_elements",
        "payments_old",
        "payments_current",
    }
    assert result.not_recognised == []


def test_boards_and_card_roles_as_published(ingested):
    roles = ingested[0]["board_roles"]
    board = roles[roles["role"].isin(F.BOARD_ROLES)].groupby("company_id")["person_id"].nunique()
    # 11189064: four members though three have no hash; 10397748: a repeated entry collapsed
    assert board.to_dict() == {"10397748": 3, "11045112": 3, "11189064": 4, "16374731": 2}
    eswire = roles[roles["company_id"] == "11189064"]
    assert sorted(eswire["person_type"]) == ["foreign_natural"] * 3 + ["natural"]
    partners = roles[roles["company_id"] == "11866180"].set_index("role")
    assert partners.loc["TOSAN", "person_id"] == "11743282"  # a company on a company's card
    assert partners.loc["TOSAN", "person_type"] == "legal"
    assert partners.loc["UOSAN", "person_type"] == "foreign_legal"
    assert set(roles.loc[roles["company_id"] == "11045112", "role"]) == {"ARP", "JUHL", "PROK"}
    assert (roles["published_on"] == DROP).all() and roles["end_date"].isna().all()


def test_reports_and_taxes_as_published(ingested):
    tables = ingested[0]
    report = tables["annual_reports"].set_index("report_id").loc["3388157"]
    assert report["company_id"] == "10351752" and report["revenue"] == 17_092_734
    assert report["assets"] == 10_225_914 and report["employees"] == 296
    assert report["audited"] and report["auditor_opinion"] == "Märkuseta"
    pay = tables["tax_payments"].set_index(["company_id", "year", "quarter"])
    q1 = pay.loc[("10000024", 2021, 1)]
    assert q1["labour_taxes"] == pytest.approx(18_034.91)
    assert q1["state_taxes"] == pytest.approx(22_353.85)
    assert (q1["period_start"], q1["period_end"]) == (
        pd.Timestamp("2020-12-01"),
        pd.Timestamp("2021-02-28"),
    )
    assert pay.loc[("60432443", 2024, 1), "labour_taxes"] == 1178
    assert (tables["tax_payments"]["published_on"] == DROP).all()


def test_the_real_basic_row(ingested):
    companies = ingested[0]["companies"].set_index("company_id")
    row = companies.loc[BASIC_ROW]
    assert row["name"] == "001 Kinnisvara OÜ" and row["vat_number"] == "EE101721589"
    assert row["county"] == "Harju maakond" and row["first_registered"] == pd.Timestamp(
        "2014-04-25"
    )


def test_no_personal_data_past_ingest(ingested):
    items = json.loads(real_sample(F.RIK_PERSONS).read_text("utf-8"))
    secrets = set()
    for item in items:
        for person in item["kaardile_kantud_isikud"]:
            if person["isiku_tyyp"] != F.PERSON_TYPE_NATURAL:
                continue
            for key in ("eesnimi", "nimi_arinimi", "synniaeg", "email"):
                if person.get(key):
                    secrets.add(str(person[key]))
    assert len(secrets) > 20  # the check has teeth
    for name, table in ingested[0].items():
        text = table.astype("str").to_csv()
        leaked = sorted(s for s in secrets if s in text)
        assert leaked == [], f"{name}: {leaked}"
    assert REAL.is_dir()
