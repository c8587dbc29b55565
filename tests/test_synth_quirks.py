"""The default synthetic world (`make run`'s, 4,000 companies) produces every quirk of the real
published files, in the files it writes, so the default run exercises each path that real
downloads take. Each quirk's own reader test is beside its reader; this census shows the default
world has it, and how often.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import zipfile

import pandas as pd
import pytest

from company_risk import formats as F
from company_risk.config import SynthConfig
from company_risk.synth.drops import prepare, render_drop
from company_risk.synth.simulate import simulate


@pytest.fixture(scope="module")
def census() -> collections.Counter:
    """Counts of each quirk over the default world's drops: the daily files of its last
    monthly drop and every annual-report and taxes-paid file it ever publishes."""
    world = simulate(SynthConfig())
    prepared = prepare(world)
    days = sorted(pd.Timestamp(d) for d in world.drop_dates)
    last_monthly = max(d for d in days if d.day == 1)
    count: collections.Counter = collections.Counter()
    for k, day in enumerate(days):
        files = render_drop(prepared, day, days[k - 1] if k else None)
        for name, data in files.items():
            family = F.family_of(name)
            count[f"files:{family.name}"] += 1
            if family.name in ("payments_current", "payments_old"):
                _count_payments(count, family.name, data)
            elif family.name.startswith("reports") and day == last_monthly:
                _count_reports(count, family.name, _member(data))
            elif day == last_monthly and family.daily:
                _count_daily(count, family.name, data)
    return count


def _member(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (name,) = zf.namelist()
        return zf.read(name)


def _count_daily(count, family: str, data: bytes) -> None:
    if family == "tax_debtors":
        text = data.decode("utf-8")
        count["debtors:bom"] += text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        count["debtors:rows"] += len(rows)
        count["debtors:thousands_space"] += sum("\u00a0" in r["Maksuvõlg"] for r in rows)
        return
    raw = _member(data)
    if family == "basic":
        text = raw.decode("utf-8")
        count["basic:bom"] += text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        count["basic:rows"] += len(rows)
        count["basic:not_vat"] += sum(r["kmkr_nr"] == "" for r in rows)
        count["basic:county_text"] += sum(
            r["asukoha_ehak_tekstina"].endswith("maakond") for r in rows
        )
        return
    text = raw.decode("utf-8")
    items = json.loads(text)
    count[f"{family}:pretty"] += text == json.dumps(items, ensure_ascii=False, indent=4)
    count[f"{family}:int_codes"] += all(isinstance(i["ariregistri_kood"], int) for i in items)
    if family == "general":
        for item in items:
            general = item["yldandmed"]
            capitals = general.get("kapitalid") or []
            activities = general.get("teatatud_tegevusalad") or []
            count["general:capital_history"] += any(c.get("lopp_kpv") for c in capitals)
            count["general:activity_history"] += any(a.get("lopp_kpv") for a in activities)
            versions = {a["emtak_versioon"] for a in activities if a.get("lopp_kpv") is None}
            count["general:emtak_2025"] += F.EMTAK_2025 in versions
            count["general:emtak_2008"] += F.EMTAK_2008 in versions
            count["general:email"] += any(s.get("liik") == "EMAIL" for s in general["sidevahendid"])
            count["general:items"] += 1
    if family == "persons":
        seen = set()
        for item in items:
            for person in item["kaardile_kantud_isikud"]:
                count["persons:rows"] += 1
                count[f"persons:role:{person['isiku_roll']}"] += 1
                count["persons:open"] += person["lopp_kpv"] is None
                if person["isiku_tyyp"] == F.PERSON_TYPE_LEGAL:
                    count["persons:legal_without_hash_key"] += "isikukood_hash" not in person
                elif person["isikukood_hash"] is None:
                    count["persons:foreign_natural_null_hash"] += 1
                key = (item["ariregistri_kood"], json.dumps(person, sort_keys=True))
                count["persons:exact_duplicates"] += key in seen
                seen.add(key)


def _count_reports(count, family: str, raw: bytes) -> None:
    text = raw.decode("utf-8")
    count[f"{family}:bom"] += text.startswith("\ufeff")
    count[f"{family}:crlf"] += "\r\n" in text and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    count[f"{family}:all_quoted"] += all(
        line.startswith('"') and line.endswith('"') for line in lines if line
    )
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    if family == "reports_general":
        count["reports:filled_id"] += sum(r["taidetud_aruanne_report_id"] != "" for r in rows)
        count["reports:jah_ei"] += all(r["kas auditeeritud?"] in ("Jah", "Ei") for r in rows)
        count["reports:going_concern"] += sum(
            r["modifikatsioon tegevuse jatkuvus"] != "" for r in rows
        )
        return
    copies = collections.defaultdict(set)
    for r in rows:
        count["elements:pdf_rows"] += (
            r["tabel"] == F.REPORT_PDF_TABLE and r["elemendi_nimetus"] == ""
        )
        count[f"elements:{r['elemendi_nimetus']}"] += 1
        count["elements:dot_decimal"] += r["vaartus"].endswith(".0")
        if r["elemendi_nimetus"]:
            copies[(r["report_id"], r["elemendi_nimetus"])].add(r["vaartus"])
    count["elements:disagreeing_copies"] += sum(len(v) > 1 for v in copies.values())


def _count_payments(count, family: str, data: bytes) -> None:
    if family == "payments_old":
        count["old:latin1"] += not data.startswith(b"\xef\xbb\xbf")
        text = (
            data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("latin-1")
        )
        count["old:space_thousands"] += " " in text and "," in text
        return
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    per_company = collections.Counter(r["Registry code"] for r in rows)
    count["current:multi_year_companies"] += sum(n > 1 for n in per_company.values())
    count["current:empty_cells"] += sum(v == "" for r in rows for v in r.values())


def test_the_default_world_has_every_quirk_of_the_real_files(census):
    c = census
    # the daily files of the register and EMTA
    assert (
        c["basic:bom"] == 1 and c["basic:not_vat"] > 0 and c["basic:county_text"] == c["basic:rows"]
    )
    assert c["general:pretty"] == c["persons:pretty"] == 1
    assert c["general:int_codes"] == c["persons:int_codes"] == 1
    assert c["debtors:bom"] == 1 and c["debtors:thousands_space"] > 0
    # histories valid at the drop date, both classifications (~70 % EMTAK 2025), contact data
    assert c["general:capital_history"] > 0 and c["general:activity_history"] > 0
    assert 0.5 < c["general:emtak_2025"] / c["general:items"] < 0.85
    assert c["general:emtak_2008"] > 0 and c["general:email"] > 0
    # persons: keys not always there, every role family, only current holders, duplicates
    assert 0.03 < c["persons:foreign_natural_null_hash"] / c["persons:rows"] < 0.1
    assert c["persons:legal_without_hash_key"] > 0
    assert c["persons:open"] == c["persons:rows"]
    for role in ("JUHL", "JUHA", "JUHE", "PROK", "N", "LIKV", "PANKR", "TOSAN", "UOSAN", "ARP"):
        assert c[f"persons:role:{role}"] > 0, role
    assert c["persons:exact_duplicates"] > 0
    # annual reports: the real names, style and quirks
    assert (
        c["files:reports_general"] > 12 and c["files:reports_elements"] > c["files:reports_general"]
    )
    for family in ("reports_general", "reports_elements"):
        assert c[f"{family}:bom"] == 0 and c[f"{family}:all_quoted"] > 0 and c[f"{family}:crlf"] > 0
    assert (
        c["reports:filled_id"] > 0 and c["reports:jah_ei"] == 1 and c["reports:going_concern"] > 0
    )
    assert c["elements:pdf_rows"] > 0 and c["elements:disagreeing_copies"] > 0
    assert c["elements:LaborExpense"] > 0 and c["elements:EmployeeExpense"] > 0
    assert c["elements:dot_decimal"] > 0
    # taxes paid in both generations
    assert c["files:payments_old"] > 0 and c["old:latin1"] > 0 and c["old:space_thousands"] > 0
    assert c["files:payments_current"] > 0 and c["current:multi_year_companies"] > 0
    assert c["current:empty_cells"] > 0
