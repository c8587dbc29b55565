"""Benchmark: ingest Estonia-scale drops written in the real published layout.

National scale. A World of ~378,000 companies is built directly (no simulation: the register's
volumes, code lists and a day's churn between consecutive drops) and written by the project's
own drop writer (`company_risk.synth.drops.prepare` + `render_drop`) as four consecutive daily
drops, 2026-06-27 .. 2026-06-30 (the last days before the annual-report deadline). Before
writing, `enrich` replaces the writer's pieces of the general-data items by histories as rich
as the real 4.6 GB file's: several `staatused`, `kapitalid` (EEK entries closed at the euro
changeover) and `teatatud_tegevusalad` (main and secondary activities; EMTAK 2008 entries
closed where EMTAK 2025 ones open), several `aadressid` and `sidevahendid`, `majandusaastad`,
`oiguslikud_vormid`, `info_majandusaasta_aruannetest` back to fiscal 2009, and on each entry
the card fields (`kirje_id`, `kaardi_*`, `kande_nr`) and address fields that public parsers of
the real file read. The items stay exactly as `json.dumps(items, ensure_ascii=False,
indent=4)` lays them out (`check_layout` re-dumps a small world's files and compares bytes).

Each drop holds the basic CSV (~378,000 rows), the general JSON (~4.6 GB unpacked), the persons
JSON (~1.0 GB: ~521,000 person rows, ~35,000 without `isikukood_hash`: legal persons and
foreigners; board, procurator, supervisory board, partner, share register, liquidator, trustee
and auditor roles), the tax-debtor list (~20,000 rows) and a new annual-report publication:
`1.aruannete_yldandmed_kuni_<DDMMYYYY>` (~1.6 M reports, fiscal 2019-2025) and one
`4.<YEAR>_aruannete_elemendid_kuni_<DDMMYYYY>` per fiscal year (~3.0 M rows for 2025, with
element names the ingest does not use, as in the real files). No taxes-paid file: EMTA
publishes those quarterly, so a daily drop at the end of June has none.

Measured, each in a fresh process, so one part's memory never shows in another's peak:
(a) ingesting one drop on an existing history (the previous day's drop, already ingested),
    with the time and peak memory of each step (readers, history update, table write);
(b) ingesting three such drops in one run on the same history;
(c) the floor: inflating every zip member of the drop through zlib into nothing and reading
    the plain files once; (a) / (c) says how far ingest is from pure I/O.
Default scale: the embedded synthetic world (`company_risk.synth.simulate`, 4,000 companies,
~145 drops), written and ingested in one run.

Figures go to `reports/benchmarks.json` (section `ingest`). The drops (~3 GB zipped) live in one
work folder under the system temp dir, deleted at the end. `synthetic_world` (the earlier,
plainer generator) stays here because `bench_score.py` uses it.

Run from the project root: `.venv/bin/python benchmarks/bench_ingest.py [--only national|default]
[--companies N] [--repeats K] [--work DIR] [--out FILE]`: `--repeats` runs (a) K times (the
median counts; wall times vary on a shared machine), `--work` keeps the drops in DIR and reuses
them on the next run, a small N with `--out /tmp/x.json` keeps the recorded figures as they are.
Generation takes ~6 minutes and ~19 GB of memory at national scale (the writer's prepared
pieces are ~10 GB, and it joins each 4.6 GB general-data file into one bytes object); the
measured runs each start from a fresh process.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import ctypes
import dataclasses
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import statistics
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from results import measure, record

from company_risk import formats as F
from company_risk.atomic import atomic_directory
from company_risk.config import IngestConfig, SynthConfig
from company_risk.synth import _catalog as cat
from company_risk.synth import _identity as ident
from company_risk.synth import drops as writer
from company_risk.synth.world import World

# ------------------------------------------------------------------------------ national scale
NATIONAL_COMPANIES = 378_000
NATIONAL_DAYS = tuple(pd.Timestamp(f"2026-06-{d}") for d in (27, 28, 29, 30))
TARGETS = {"one_drop_seconds": 60.0, "one_drop_peak_gb": 4.0, "three_drops_peak_gb": 4.0}
HISTORY_UNTIL = np.datetime64("2026-06-01", "D")  # histories change before this (churn aside)
SWITCH_FROM = np.datetime64("2025-01-01", "D")  # EMTAK 2025 entries come with the 2024 reports
EURO_DAY = np.datetime64("2011-01-01", "D")
EEK_PER_EUR = 15.6466
# a day's churn between drops per NATIONAL_COMPANIES (scaled to the world's size, `_per`):
# registrations, deletions (the company vanishes), status changes, board changes, debtors
NEW_PER_DAY, DELETED_PER_DAY, LIQUIDATED_PER_DAY, BANKRUPT_PER_DAY = 60, 100, 25, 3
BOARD_CHANGES_PER_DAY = 150
DEBTORS, DEBTOR_SWAPS_PER_DAY = 20_000, 300
# legal-form mix of the entities of the basic file
FORMS = {
    "OÜ": 0.873,
    "MTÜ": 0.084,
    "AS": 0.0147,
    "FIE": 0.008,
    "TÜH": 0.005,
    "FIL": 0.005,
    "UÜ": 0.003,
    "SA": 0.0023,
    "TÜ": 0.002,
}
NO_CAPITAL = ("MTÜ", "SA", "FIE", "FIL")
NO_BOARD = ("FIE", "TÜ", "UÜ")  # a sole trader is the person; partners represent a partnership
NO_REPORTS = ("FIE", "FIL")
REPORT_YEARS = range(2019, 2026)  # fiscal years of the report files (elements from 2019)
INFO_FROM_YEAR = 2009  # `info_majandusaasta_aruannetest` reaches back this far
P_FILE = 0.86  # a company files the report of a year it existed in the first half of
FOREIGN_SHARE = 0.045  # natural persons without an Estonian personal code
CONTACT_KINDS = (
    ("EMAIL", "Elektronposti aadress"),
    ("MOB", "Mobiiltelefon"),
    ("TEL", "Telefon"),
    ("WWW", "Interneti WWW aadress"),
    ("FAX", "Faks"),
)
REGION_TEXT = {
    1: "Tallinna registriosakond",
    2: "Tartu registriosakond",
    3: "Pärnu registriosakond",
    4: "Jõhvi registriosakond",
    5: "Kuressaare registriosakond",
}
# element rows the ingest does not read (the real files carry hundreds of element names)
EXTRA_ELEMENTS = (
    ("Bilanss", "Nõuded ja ettemaksed", "ReceivablesAndPrepayments"),
    ("Bilanss", "Varud", "Inventories"),
    ("Bilanss", "Materiaalsed põhivarad", "PropertyPlantAndEquipment"),
    ("Bilanss", "Immateriaalsed põhivarad", "IntangibleAssets"),
    ("Bilanss", "Võlad ja ettemaksed", "PayablesAndPrepayments"),
    ("Bilanss", "Osakapital nimiväärtuses", "IssuedCapital"),
    ("Bilanss", "Eelmiste perioodide jaotamata kasum (kahjum)", "RetainedEarningsLoss"),
    ("Bilanss", "Kohustised kokku", "Liabilities"),
    ("Kasumiaruanne skeem 1", "Muud äritulud", "OtherIncome"),
    ("Kasumiaruanne skeem 1", "Kaubad, toore, materjal ja teenused", "RawMaterialsAndConsumables"),
    ("Kasumiaruanne skeem 1", "Mitmesugused tegevuskulud", "OtherOperatingExpense"),
    ("Kasumiaruanne skeem 1", "Põhivarade kulum ja väärtuse langus", "DepreciationAndImpairment"),
    ("Kasumiaruanne skeem 1", "Ärikasum (kahjum)", "TotalProfitLoss"),
    ("Kasumiaruanne skeem 1", "Kasum (kahjum) enne tulumaksustamist", "TotalProfitLossBeforeTax"),
    ("Lisa: Tööjõukulud", "Palgakulu", "WagesAndSalaries"),
    ("Lisa: Tööjõukulud", "Sotsiaalmaksud", "SocialSecurityTaxes"),
)
EXTRA_ELEMENTS_MEAN = 6.5
CHUNK = 20_000  # companies (or reports) rendered at a time: bounded temporary text
ROW_END = "\x1e"  # never in JSON text or in an element line
PAD = writer.PAD


def _day(value) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (NaT -> -1)."""
    days = np.asarray(value, dtype="datetime64[D]")
    return np.where(np.isnat(days), -1, days.astype(np.int64))


def _dates(days) -> np.ndarray:
    """int64 days (-1 = none) as datetime64[us], NaT for none."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[us]")
    out[days < 0] = np.datetime64("NaT")
    return out


def _per(n: int, count: int) -> int:
    """A count given per NATIONAL_COMPANIES companies, for a world of n."""
    return max(1, round(count * n / NATIONAL_COMPANIES))


def _pick(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), n, p=p / p.sum())]


def _counts(rng: np.random.Generator, p: tuple[float, ...], n: int, first: int = 0) -> np.ndarray:
    """n draws of first, first + 1, ... with probabilities p."""
    w = np.asarray(p, dtype=float)
    return first + rng.choice(len(w), n, p=w / w.sum())


def _within(owner: np.ndarray) -> np.ndarray:
    """Index of each row within its owner's run (owner sorted)."""
    if not len(owner):
        return np.zeros(0, dtype=np.int64)
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    starts = np.flatnonzero(first)
    return np.arange(len(owner)) - np.repeat(starts, np.diff(np.append(starts, len(owner))))


def _spells(
    start: np.ndarray, until: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """counts[i] >= 1 consecutive spells of owner i from start[i], the later ones beginning on
    days drawn in (start[i], until[i]): (owner, begin, end) with each spell ending the day
    before the next begins and the last one open (end -1)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    index = _within(owner)
    span = np.maximum(until - start, 2)[owner]
    begin = start[owner] + 1 + (rng.random(len(owner)) * (span - 1)).astype(np.int64)
    begin[index == 0] = start[owner][index == 0]
    begin = begin[np.lexsort((begin, owner))] + index  # sorted, strictly increasing per owner
    last = np.ones(len(owner), dtype=bool)
    last[:-1] = owner[1:] != owner[:-1]
    end = np.where(last, -1, np.append(begin[1:], 0) - 1)
    return owner, begin, end


# ------------------------------------------------------------------------------- the world
def national_world(n: int, days: tuple[pd.Timestamp, ...] = NATIONAL_DAYS, seed: int = 1) -> World:
    """A World of `n` companies as the register stands on days[0], with a day's churn before
    each later day: registrations, deletions, liquidations, bankruptcies, board changes,
    debtors coming and going, annual reports submitted."""
    rng = np.random.default_rng(seed)
    d = _day([t.date() for t in days])
    comp = _companies(n, d, rng)
    status, current = _status_events(comp, d, rng)
    persons, board = _board(comp, d, rng)
    card = _card_roles(comp, current, board, persons, pd.Timestamp(days[-1]), d, rng)
    reports = _reports(comp, d[-1], rng)
    empty = pd.DataFrame()
    return World(
        drop_dates=list(days),
        persons=persons,
        companies=comp,
        status_events=status,
        board_roles=board,
        tax_debts=_debts(comp, days, rng),
        annual_reports=reports,
        tax_payments=pd.DataFrame(
            {
                "company_id": pd.Series(dtype="str"),
                "year": pd.Series(dtype="int64"),
                "quarter": pd.Series(dtype="int64"),
                **{m: pd.Series(dtype="float64") for m in F.PAYMENT_MEASURES},
                "published_on": pd.Series(dtype="datetime64[us]"),
            }
        ),
        truth_latent=empty,
        truth_exits=empty,
        truth_pd=empty,
        card_roles=card,
    )


def _companies(n: int, d: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Companies in registration order (registry codes grow with it): a register that grew
    fast after 2017, and NEW_PER_DAY registered on each later day of the window."""
    era = rng.choice(3, n, p=[0.15, 0.35, 0.50])
    lo = _day(np.array(["1992-09-01", "2006-01-01", "2017-01-01"]))[era]
    hi = np.array([_day("2006-01-01"), _day("2017-01-01"), d[0] - 1])[era]
    reg = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    n_new = _per(n, NEW_PER_DAY) * (len(d) - 1)
    reg[:n_new] = np.repeat(d[1:], _per(n, NEW_PER_DAY))
    reg = np.sort(reg)
    form = _pick(rng, FORMS, n)
    sector = _pick(rng, {k: s.weight for k, s in enumerate(cat.SECTORS)}, n).astype(np.int64)
    sizes = np.array([len(s.activities) for s in cat.SECTORS])
    activity = (rng.random(n) * sizes[sector]).astype(np.int64)
    acts = np.array(
        [cat.SECTORS[s].activities[a] for s, a in zip(sector, activity, strict=True)], dtype=object
    )
    word_pick = np.array(
        [cat.SECTORS[s].words[k % len(cat.SECTORS[s].words)] for k, s in enumerate(sector)],
        dtype=object,
    )
    names = ident.company_names(word_pick, form, rng)
    county_idx = _pick(rng, {k: c.weight for k, c in enumerate(cat.COUNTIES)}, n).astype(np.int64)
    ehak, address = ident.addresses(county_idx, rng)
    capital = np.full(n, np.nan)
    for lf in cat.LEGAL_FORMS:
        rows = np.flatnonzero(form == lf.code)
        w = np.array(lf.capital_weights) / sum(lf.capital_weights)
        capital[rows] = np.array(lf.capital_choices)[rng.choice(len(w), len(rows), p=w)]
    # EMTAK 2025: from registration for the newest, for ~2/3 of the others from a later report
    later = SWITCH_FROM.astype(np.int64) + (
        rng.random(n) * (_day("2026-05-31") - SWITCH_FROM.astype(np.int64))
    ).astype(np.int64)
    switched = rng.random(n) < 0.67
    switch = np.where(
        reg >= SWITCH_FROM.astype(np.int64), reg, np.where(switched, np.maximum(later, reg), -1)
    )
    vat = rng.random(n) < 0.45
    vat_from = np.where(vat, reg + rng.integers(0, 400, n), -1)
    vat = vat & (vat_from < d[0])
    vat_from = np.where(vat, vat_from, -1)
    duplicate = np.zeros(n, dtype=bool)
    duplicate[rng.choice(n, 20, replace=False)] = True
    return pd.DataFrame(
        {
            "company_id": pd.Series(ident.registry_codes(n, rng), dtype="str"),
            "name": pd.Series(names, dtype="str"),
            "legal_form": pd.Series([F.LEGAL_FORM_TEXT[f] for f in form], dtype="str"),
            "legal_form_code": pd.Series(form, dtype="str"),
            "legal_form_subtype": "",
            "registered_on": _dates(reg),
            "capital": capital,
            "capital_new": np.nan,
            "capital_changed_on": _dates(np.full(n, -1)),
            "sector": pd.Series([cat.SECTORS[s].letter for s in sector], dtype="str"),
            "emtak_code": pd.Series([a[0] for a in acts], dtype="str"),
            "emtak_text": pd.Series([a[1] for a in acts], dtype="str"),
            "emtak_2025_code": pd.Series([a[2] for a in acts], dtype="str"),
            "emtak_2025_text": pd.Series([a[3] for a in acts], dtype="str"),
            "emtak_2025_from": _dates(switch),
            "ehak_code": pd.Series(ehak, dtype="str"),
            "county": pd.Series([cat.COUNTIES[c].name for c in county_idx], dtype="str"),
            "address": pd.Series(address, dtype="str"),
            "postcode": pd.Series(ident.postcodes(ehak, rng), dtype="str"),
            "email": pd.Series(ident.emails(names, np.full(n, ""), np.full(n, ""), rng)),
            "vat_from": _dates(vat_from),
            "vat_until": _dates(np.full(n, -1)),
            "vat_number": pd.Series(np.where(vat, ident.vat_numbers(n, rng), ""), dtype="str"),
            "card_region": rng.integers(1, 6, n),
            "card_duplicate": duplicate,
        }
    ).astype({"email": "str"})


def _status_events(
    comp: pd.DataFrame, d: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every status event; the current L, N and the window's K events). Each company starts
    R; many went through liquidations that were called off (L then R) or were entered R again;
    ~4 % are in liquidation and ~1.2 % bankrupt now; each later day of the window some are
    deleted (K), put into liquidation or declared bankrupt."""
    n = len(comp)
    reg = _day(comp["registered_on"])
    old = reg < d[0]
    u = rng.random(n)
    current = np.where(old & (u < 0.04), "L", np.where(old & (u < 0.052), "N", "R"))
    lo = np.maximum(reg + 30, _day("2023-01-01"))
    current_day = lo + (rng.random(n) * np.maximum(_day("2026-06-20") - lo, 1)).astype(np.int64)
    current = np.where(current_day >= d[0], "R", current)
    # episodes before the current status
    until = np.where(current != "R", current_day, HISTORY_UNTIL.astype(np.int64))
    extra = _counts(rng, (0.25, 0.3, 0.2, 0.13, 0.07, 0.05), n)
    extra[until - reg < 120] = 0
    owner, begin, _ = _spells(reg, until - 1, extra + 1, rng)
    index = _within(owner)
    extra_of = extra[owner]
    code = np.where((index % 2 == 1) & (index < extra_of), "L", "R")
    events = [(owner, code, begin)]
    events.append(
        (np.flatnonzero(current != "R"), current[current != "R"], current_day[current != "R"])
    )
    # the window: a day's deletions, liquidations and bankruptcies
    window = []
    running = np.flatnonzero(old & (current == "R"))
    liquidating = np.flatnonzero(current == "L")
    rng.shuffle(running)
    rng.shuffle(liquidating)
    at_r, at_l = 0, 0
    for day in d[1:]:
        deleted = _per(n, DELETED_PER_DAY)
        k_from_l = min(int(deleted * 0.7), len(liquidating) - at_l)
        for who, status, count, pool in (
            ("l", "K", k_from_l, liquidating),
            ("r", "K", deleted - k_from_l, running),
            ("r", "L", _per(n, LIQUIDATED_PER_DAY), running),
            ("r", "N", _per(n, BANKRUPT_PER_DAY), running),
        ):
            at = at_l if who == "l" else at_r
            chosen = pool[at : at + count]
            if who == "l":
                at_l += len(chosen)
            else:
                at_r += len(chosen)
            window.append((chosen, np.full(len(chosen), status), np.full(len(chosen), day)))
    events += window
    company = np.concatenate([e[0] for e in events])
    frame = pd.DataFrame(
        {
            "company_id": comp["company_id"].to_numpy()[company],
            "status": np.concatenate([e[1] for e in events]).astype(object),
            "start_date": _dates(np.concatenate([e[2] for e in events])),
        }
    ).astype({"company_id": "str", "status": "str"})
    frame = frame.assign(_pos=company).sort_values(["_pos", "start_date"], kind="stable")
    status = frame.drop(columns="_pos").reset_index(drop=True)
    now = pd.DataFrame(
        {
            "company_id": comp["company_id"].to_numpy()[np.concatenate([e[0] for e in events[1:]])],
            "status": np.concatenate([e[1] for e in events[1:]]).astype(object),
            "start_date": _dates(np.concatenate([e[2] for e in events[1:]])),
        }
    ).astype({"company_id": "str", "status": "str"})
    return status, now


def _board(
    comp: pd.DataFrame, d: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(persons, board tenures): boards of 1.23 members on average (median 1), a quarter of
    the seats held by serial directors; BOARD_CHANGES_PER_DAY tenures end and as many start on
    each later day of the window. Every tenure listed is current on days[0] or starts later."""
    n = len(comp)
    form = comp["legal_form_code"].to_numpy(dtype=object)
    reg = _day(comp["registered_on"])
    size = _counts(rng, (0.835, 0.12, 0.033, 0.008, 0.004), n, first=1)
    is_as = form == "AS"
    size[is_as] = _counts(rng, (0.4, 0.3, 0.3), int(is_as.sum()), first=1)
    size[np.isin(form, NO_BOARD)] = 0
    size[form == "FIL"] = 1
    company = np.repeat(np.arange(n), size)
    seat = _within(company)
    per_day = _per(n, BOARD_CHANGES_PER_DAY)
    churn = per_day * (len(d) - 1)
    seats = len(company)
    serial_pool = max(seats // 12, 1)
    own = rng.random(seats) >= 0.25
    person = np.where(
        own,
        serial_pool + np.cumsum(own) - 1,
        (serial_pool * rng.random(seats) ** 2).astype(np.int64),
    )
    n_people = int(person.max()) + 1 + churn
    single = size[company] == 1
    role = np.where(
        single,
        np.where(rng.random(seats) < 0.01, "JUHA", "JUHL"),
        np.where((seat == 0) & (rng.random(seats) < 0.10), "JUHE", "JUHL"),
    ).astype(object)
    role[form[company] == "FIL"] = "JUHJ"
    since_reg = (seat == 0) & (rng.random(seats) < 0.6)
    span = np.maximum(HISTORY_UNTIL.astype(np.int64) - reg[company], 1)
    start = np.where(
        since_reg, reg[company], reg[company] + (rng.random(seats) * span).astype(np.int64)
    )
    start = np.minimum(start, np.maximum(reg[company], d[0] - 1))
    start = np.where(reg[company] >= d[0], reg[company], start)
    end = np.full(seats, -1)
    # the window: some tenures end, others start (new persons)
    settled = np.flatnonzero(reg[company] < d[0])
    leaving = rng.choice(settled, churn, replace=False)
    end[leaving] = np.repeat(d[1:], per_day)
    boards = np.unique(company[settled])
    joining = rng.choice(boards, churn)
    company = np.concatenate([company, joining])
    person = np.concatenate([person, int(person.max()) + 1 + np.arange(churn)])
    role = np.concatenate([role, np.full(churn, "JUHL", dtype=object)])
    role[seats:][form[joining] == "FIL"] = "JUHJ"
    start = np.concatenate([start, np.repeat(d[1:], per_day)])
    end = np.concatenate([end, np.full(churn, -1)])
    people = ident.persons(n_people, rng)
    people = ident.make_foreign(people, rng.random(n_people) < FOREIGN_SHARE, rng)
    board = pd.DataFrame(
        {
            "company_id": comp["company_id"].to_numpy()[company],
            "person_id": people["person_id"].to_numpy()[person],
            "role": role,
            "start_date": _dates(start),
            "end_date": _dates(end),
        }
    ).astype({"company_id": "str", "person_id": "str", "role": "str"})
    board = board.drop_duplicates(["company_id", "person_id"]).reset_index(drop=True)
    board["kirje_id"] = 10_000_000 + np.arange(len(board), dtype=np.int64)
    return people, board


def _card_roles(
    comp: pd.DataFrame,
    current: pd.DataFrame,
    board: pd.DataFrame,
    persons: pd.DataFrame,
    last: pd.Timestamp,
    d: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The card's other roles by the synthetic world's own rules (`_identity.card_roles`:
    PROK, N, TOSAN, UOSAN, ARP, LIKV, PANKR), the first supervisory-board member of each
    company its chairman (E), and an audit firm (D, an Estonian legal person) on the card of
    most public and a few private limited companies."""
    roles = ident.card_roles(comp, current, board, persons, last, rng)
    sup = np.flatnonzero((roles["role"] == "N").to_numpy())
    first = ~roles["company_id"].iloc[sup].duplicated().to_numpy()
    role = roles["role"].to_numpy(dtype=object).copy()
    role[sup[first]] = "E"
    roles["role"] = pd.Series(role, dtype="str")
    form = comp["legal_form_code"].to_numpy(dtype=object)
    reg = _day(comp["registered_on"])
    firms = np.flatnonzero(
        (comp["emtak_code"] == ident.AUDIT_ACTIVITY).to_numpy() & (form == "OÜ") & (reg < d[0])
    )[:300]
    u = rng.random(len(comp))
    audited = np.flatnonzero(
        (reg < d[0] - 400) & (((form == "AS") & (u < 0.7)) | ((form == "OÜ") & (u < 0.015)))
    )
    firm = firms[rng.integers(0, len(firms), len(audited))]
    start = reg[audited] + (rng.random(len(audited)) * (d[0] - 1 - reg[audited])).astype(np.int64)
    auditors = pd.DataFrame(
        {
            "company_id": comp["company_id"].to_numpy()[audited],
            "role": "D",
            "kind": "legal",
            "person_id": "",
            "first_name": "",
            "name": comp["name"].to_numpy()[firm],
            "birth_date": _dates(np.full(len(audited), -1)),
            "country": "",
            "town": "",
            "registry_code": comp["company_id"].to_numpy()[firm],
            "foreign_code": "",
            "contribution": np.nan,
            "start_date": _dates(start),
            "end_date": _dates(np.full(len(audited), -1)),
            "kirje_id": 350_000_000 + np.arange(len(audited), dtype=np.int64),
        }
    )
    out = pd.concat([roles, auditors], ignore_index=True)
    return out.astype({c: "str" for c in ("company_id", "role", "kind", "person_id", "name")})


def _reports(comp: pd.DataFrame, last_day: int, rng: np.random.Generator) -> pd.DataFrame:
    """One report per company and fiscal year 2019-2025 it existed in the first half of (at
    the rate P_FILE), submitted by the deadline (end of June) by two thirds, later by the
    rest; only those submitted by `last_day`. Figures drawn per report, with the surface
    columns of `_identity.report_surface`."""
    n = len(comp)
    form = comp["legal_form_code"].to_numpy(dtype=object)
    reg = _day(comp["registered_on"])
    filer = ~np.isin(form, NO_REPORTS)
    parts = []
    for year in REPORT_YEARS:
        who = np.flatnonzero(filer & (reg < _day(f"{year}-07-01")) & (rng.random(n) < P_FILE))
        deadline = int(_day(f"{year + 1}-06-30"))
        early = np.maximum(
            deadline - rng.exponential(25.0, len(who)).astype(np.int64), _day(f"{year + 1}-01-10")
        )
        late = deadline + 1 + rng.integers(0, 400, len(who))
        submitted = np.where(rng.random(len(who)) < 0.65, early, late)
        keep = submitted <= last_day
        parts.append((who[keep], np.full(keep.sum(), year), submitted[keep]))
    company = np.concatenate([p[0] for p in parts])
    year = np.concatenate([p[1] for p in parts])
    submitted = np.concatenate([p[2] for p in parts])
    m = len(company)
    revenue = np.round(rng.lognormal(11.0, 1.8, m), 0)
    revenue[rng.random(m) < 0.12] = np.nan
    base = np.nan_to_num(revenue, nan=20_000.0)
    assets = np.round(base * rng.uniform(0.2, 1.2, m), 0)
    current_assets = np.round(assets * rng.uniform(0.3, 0.9, m), 0)
    employees = np.round(rng.lognormal(0.8, 1.1, m) - 1.0, 1).clip(0)
    employees[rng.random(m) < 0.2] = np.nan
    labour = np.round(base * rng.uniform(0.05, 0.4, m), 0)
    labour[np.isnan(employees) | (employees == 0)] = np.nan
    non_current = np.round(assets * rng.uniform(0.0, 0.3, m), 0)
    non_current[rng.random(m) < 0.5] = np.nan
    is_as = form[company] == "AS"
    reports = pd.DataFrame(
        {
            "report_id": pd.Series((1_000_000 + np.arange(m)).astype(str), dtype="str"),
            "company_id": comp["company_id"].to_numpy()[company],
            "fiscal_year": year.astype(np.int64),
            "period_start": pd.to_datetime([f"{y}-01-01" for y in year]).astype("datetime64[us]"),
            "period_end": pd.to_datetime([f"{y}-12-31" for y in year]).astype("datetime64[us]"),
            "submitted_on": _dates(submitted),
            "audited": np.where(is_as, rng.random(m) < 0.85, rng.random(m) < 0.04),
            "consolidated": np.where(is_as, rng.random(m) < 0.10, rng.random(m) < 0.003),
            "revenue": revenue,
            "net_profit": np.round(base * rng.normal(0.04, 0.15, m), 0),
            "equity": np.round(assets * rng.uniform(-0.3, 0.8, m), 0),
            "assets": assets,
            "current_assets": current_assets,
            "current_liabilities": np.round(assets * rng.uniform(0.05, 0.6, m), 0),
            "non_current_liabilities": non_current,
            "cash": np.round(current_assets * rng.uniform(0.05, 0.6, m), 0),
            "labour_expense": labour,
            "employees": employees,
        }
    ).astype({"company_id": "str"})
    reports = ident.report_surface(reports, comp, rng)
    # the writer cannot repeat a figure that is missing (`_element_blocks` fails on NaN)
    copied = reports["disagreeing_copy"].map(F.REPORT_ELEMENTS).fillna("")
    missing = np.zeros(len(reports), dtype=bool)
    for column in set(copied) - {""}:
        missing |= (copied == column).to_numpy() & reports[column].isna().to_numpy()
    return reports.assign(disagreeing_copy=reports["disagreeing_copy"].where(~missing, ""))


def _debts(comp: pd.DataFrame, days, rng: np.random.Generator) -> pd.DataFrame:
    """~DEBTORS legal persons on each day's list, DEBTOR_SWAPS_PER_DAY replaced per day."""
    form = comp["legal_form_code"].to_numpy(dtype=object)
    reg = _day(comp["registered_on"])
    pool = np.flatnonzero((form != "FIE") & (reg < _day(days[0].date()) - 200))
    debtors, swaps = _per(len(comp), DEBTORS), _per(len(comp), DEBTOR_SWAPS_PER_DAY)
    pool = rng.choice(pool, debtors + swaps * len(days), replace=False)
    frames = []
    for k, day in enumerate(days):
        on = np.sort(pool[k * swaps : k * swaps + debtors])
        m = len(on)
        debt = np.round(rng.lognormal(7.5, 1.6, m), 2)
        scheduled = rng.random(m) < 0.1
        frames.append(
            pd.DataFrame(
                {
                    "company_id": comp["company_id"].to_numpy()[on],
                    "as_of": day,
                    "debt": debt,
                    "disputed": np.where(rng.random(m) < 0.05, np.round(debt / 3, 2), 0.0),
                    "scheduled": np.where(scheduled, np.round(debt / 2, 2), 0.0),
                    "schedule_end": np.where(
                        scheduled, _dates(_day(day.date()) + rng.integers(30, 700, m)), None
                    ),
                    "oldest_due": _dates(_day(day.date()) - rng.integers(10, 700, m)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).astype(
        {
            "company_id": "str",
            "as_of": "datetime64[us]",
            "schedule_end": "datetime64[us]",
            "oldest_due": "datetime64[us]",
        }
    )


# --------------------------------------------------------------- richer general-data items
_DATE_BASE = int(_day("1900-01-01"))
_DATE_JSON = np.array(
    pd.date_range("1900-01-01", "2100-12-31").strftime('"%d.%m.%Y"').tolist(), dtype=object
)


def _jd(days) -> np.ndarray:
    """JSON of int64 days as "DD.MM.YYYY" (null for -1), by table look-up."""
    days = np.asarray(days, dtype=np.int64)
    text = _DATE_JSON[np.clip(days - _DATE_BASE, 0, len(_DATE_JSON) - 1)]
    return np.where(days < 0, "null", text).astype(object)


def _ji(values) -> np.ndarray:
    """JSON of integers."""
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def _jquoted(prefix: str, numbers) -> np.ndarray:
    """JSON strings of a prefix followed by each number."""
    return ('"' + prefix + pd.Series(numbers).astype(str) + '"').to_numpy(dtype=object)


def _jf(values) -> np.ndarray:
    """JSON of floats as json.dumps writes them (repr)."""
    return np.array([repr(float(v)) for v in values], dtype=object)


@dataclasses.dataclass
class _Entries:
    """History entries of one kind: owner (company position, sorted) and the (key, JSON
    value) pairs of the entries, a value one text for all or a column."""

    owner: np.ndarray
    pairs: list[tuple[str, object]]

    def texts(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(owner - lo, JSON object at depth 4) of the entries of companies lo..hi-1."""
        a, b = np.searchsorted(self.owner, [lo, hi])
        pairs = [(k, v if isinstance(v, str) else v[a:b]) for k, v in self.pairs]
        return self.owner[a:b] - lo, writer._objects(pairs, 4, int(b - a))


def _ragged(owner: np.ndarray, texts: np.ndarray, n: int) -> np.ndarray:
    """Per company of 0..n-1 the JSON array (at depth 3) of its entries (owner sorted)."""
    out = np.full(n, "[]", dtype=object)
    if not len(owner):
        return out
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    last = np.ones(len(owner), dtype=bool)
    last[:-1] = first[1:]
    before = np.where(first, "[\n" + PAD[4], ",\n" + PAD[4]).astype(object)
    after = np.where(last, "\n" + PAD[3] + "]" + ROW_END, "").astype(object)
    text = "".join(np.column_stack([before, texts, after]).ravel().tolist())
    out[owner[last]] = text.split(ROW_END)[:-1]
    return out


class _Ids:
    """Consecutive ids handed out across calls."""

    def __init__(self, first: int) -> None:
        self.first = self.next = first

    def take(self, n: int) -> np.ndarray:
        ids = self.next + np.arange(n, dtype=np.int64)
        self.next += n
        return ids


_ACTIVITY_IDS = _Ids(30_000_000)


class _Card:
    """The card fields of history entries: kirje_id (unique), kaardi_piirkond (the company's
    register region), kaardi_nr, kaardi_tyyp, kande_nr (the entry that made it)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng, self.next_id = rng, 20_000_000
        self.region = np.zeros(0, dtype=np.int64)  # of the companies being built

    def pairs(self, owner: np.ndarray) -> list[tuple[str, object]]:
        ids = self.next_id + np.arange(len(owner), dtype=np.int64)
        self.next_id += len(owner)
        entry = 1 + 3 * _within(owner) + self.rng.integers(0, 3, len(owner))
        return [
            ("kirje_id", _ji(ids)),
            ("kaardi_piirkond", _ji(self.region[owner])),
            ("kaardi_nr", "1"),
            ("kaardi_tyyp", '"R"'),
            ("kande_nr", _ji(entry)),
        ]


def _address_fields(ehak, address, county, postcode) -> dict[str, np.ndarray]:
    """The address texts the writer derives from a World address, for any list of them."""
    street, place = writer._split_address(pd.Series(address, dtype="str"))
    county = pd.Series(county, dtype="str")
    ehak_name = (place + ", " + county).where(place != "", county)
    reversed_place = place.map(lambda p: ", ".join(reversed(p.split(", "))) if p else "")
    return {
        "ehak": writer._jtext(ehak, '""'),
        "ehak_nimetus": writer._jtext(ehak_name, '""'),
        "tanav_maja_korter": writer._jtext(street, '""'),
        "postiindeks": writer._jtext(postcode),
        "aadress_ads__ads_normaliseeritud_taisaadress": writer._jtext(
            county + ", " + reversed_place + ", " + street, '""'
        ),
    }


def _general_entries(
    comp: pd.DataFrame, until: np.ndarray, card: _Card, rng: np.random.Generator
) -> dict:
    """Every history entry of the general-data items of `comp` (some of the companies, owner
    = position in `comp`), by kind."""
    n = len(comp)
    reg = _day(comp["registered_on"])
    form = comp["legal_form_code"].to_numpy(dtype=object)
    card.region = comp["card_region"].to_numpy(dtype=np.int64)
    out: dict[str, _Entries] = {}

    # arinimed: the current name only, as in the real file
    own = np.arange(n)
    out["names"] = _Entries(
        own,
        [
            *card.pairs(own),
            ("sisu", writer._jtext(comp["name"], '""')),
            ("algus_kpv", _jd(reg)),
            ("lopp_kpv", "null"),
        ],
    )

    # aadressid: moves, the last one the company's address of the basic file
    k = _counts(rng, (0.4, 0.35, 0.15, 0.07, 0.03), n, first=1)
    k[until - reg < 365] = 1
    owner, begin, end = _spells(reg, until, k, rng)
    current = end < 0
    moved_county = _pick(rng, {i: c.weight for i, c in enumerate(cat.COUNTIES)}, len(owner))
    moved_ehak, moved_address = ident.addresses(moved_county.astype(np.int64), rng)
    ehak = np.where(current, comp["ehak_code"].to_numpy(dtype=object)[owner], moved_ehak)
    address = np.where(current, comp["address"].to_numpy(dtype=object)[owner], moved_address)
    county_names = np.array([c.name for c in cat.COUNTIES], dtype=object)
    county = np.where(
        current,
        comp["county"].to_numpy(dtype=object)[owner],
        county_names[moved_county.astype(int)],
    )
    postcode = np.where(
        current,
        comp["postcode"].to_numpy(dtype=object)[owner],
        ident.postcodes(moved_ehak, rng),
    )
    fields = _address_fields(ehak, address, county, postcode)
    m = len(owner)
    out["addresses"] = _Entries(
        owner,
        [
            *card.pairs(owner),
            ("riik", '"EST"'),
            ("riik_tekstina", '"Eesti"'),
            ("ehak", fields["ehak"]),
            ("ehak_nimetus", fields["ehak_nimetus"]),
            ("tanav_maja_korter", fields["tanav_maja_korter"]),
            ("postiindeks", fields["postiindeks"]),
            ("aadress_ads__ads_oid", _jquoted("ME", rng.integers(10**7, 10**8, m))),
            ("aadress_ads__adr_id", _ji(rng.integers(10**6, 4 * 10**6, m))),
            (
                "aadress_ads__ads_normaliseeritud_taisaadress",
                fields["aadress_ads__ads_normaliseeritud_taisaadress"],
            ),
            ("aadress_ads__ads_normaliseeritud_taisaadress_tapsustus", "null"),
            ("aadress_ads__koodaadress", _jquoted("3", rng.integers(10**15, 10**16, m))),
            ("aadress_ads__adob_id", _ji(rng.integers(10**6, 9 * 10**6, m))),
            ("aadress_ads__tyyp", '"E"'),
            ("algus_kpv", _jd(begin)),
            ("lopp_kpv", _jd(end)),
        ],
    )

    # sidevahendid: e-mail, phones, web page, fax
    k = _counts(rng, (0.2, 0.22, 0.2, 0.18, 0.12, 0.08), n)
    owner = np.repeat(np.arange(n), k)
    email = comp["email"].to_numpy(dtype=object)
    offset = np.where(email != "", 0, rng.integers(0, len(CONTACT_KINDS), n))
    kind = (offset[owner] + _within(owner)) % len(CONTACT_KINDS)
    stems = np.array(
        [ident.ascii_slug(" ".join(str(x).split()[:-1])) or "firma" for x in comp["name"]],
        dtype=object,
    )
    m = len(owner)
    phone = pd.Series(rng.integers(10**6, 10**7, m)).astype(str).to_numpy(dtype=object)
    values = np.select(
        [kind == 0, kind == 1, kind == 3],
        [
            np.where(email[owner] != "", email[owner], "info@" + stems[owner] + ".ee"),
            "+372 5" + phone,
            "www." + stems[owner] + ".ee",
        ],
        "+372 6" + phone,
    )
    out["contacts"] = _Entries(
        owner,
        [
            *card.pairs(owner),
            ("liik", writer._jtext(np.array([c[0] for c in CONTACT_KINDS], dtype=object)[kind])),
            (
                "liik_tekstina",
                writer._jtext(np.array([c[1] for c in CONTACT_KINDS], dtype=object)[kind]),
            ),
            ("sisu", writer._jtext(values)),
            (
                "algus_kpv",
                _jd(reg[owner] + (rng.random(m) * (until - reg)[owner]).astype(np.int64)),
            ),
            ("lopp_kpv", "null"),
        ],
    )

    out["activities"] = _activities(comp, reg, until, rng)
    out["capitals"] = _capitals(comp, reg, until, card, rng)

    # majandusaastad: the calendar year; a few changed from July-June
    changed = (rng.random(n) < 0.08) & (until - reg > 730)
    owner, begin, end = _spells(reg, until, 1 + changed.astype(np.int64), rng)
    old = (end >= 0) & changed[owner]
    out["fiscal"] = _Entries(
        owner,
        [
            ("kirje_id", _ji(card.pairs(owner)[0][1])),
            ("maj_aasta_algus", np.where(old, '"01.07"', '"01.01"').astype(object)),
            ("maj_aasta_lopp", np.where(old, '"30.06"', '"31.12"').astype(object)),
            ("algus_kpv", _jd(begin)),
            ("lopp_kpv", _jd(end)),
        ],
    )

    # oiguslikud_vormid: a few private limited companies were public ones before
    changed = (form == "OÜ") & (rng.random(n) < 0.04) & (until - reg > 730)
    owner, begin, end = _spells(reg, until, 1 + changed.astype(np.int64), rng)
    code = np.where(end >= 0, "AS", form[owner]).astype(object)
    out["forms"] = _Entries(
        owner,
        [
            *card.pairs(owner),
            ("sisu", writer._jtext(code, '""')),
            ("sisu_tekstina", writer._jtext(pd.Series(code).map(F.LEGAL_FORM_TEXT), '""')),
            ("oigusliku_vormi_alaliik", "null"),
            ("oigusliku_vormi_alaliik_tekstina", "null"),
            ("algus_kpv", _jd(begin)),
            ("lopp_kpv", _jd(end)),
        ],
    )
    return out


def _activities(
    comp: pd.DataFrame, reg: np.ndarray, until: np.ndarray, rng: np.random.Generator
) -> _Entries:
    """teatatud_tegevusalad: earlier main activities (closed), the current main activity
    (EMTAK 2008 closed the day before its EMTAK 2025 entry where the company has one) and
    secondary activities (on_pohitegevusala false), each split at the same switch."""
    n = len(comp)
    flat = [a for s in cat.SECTORS for a in s.activities]
    code08 = np.array([a[0] for a in flat], dtype=object)
    text08 = np.array([a[1] for a in flat], dtype=object)
    code25 = np.array([a[2] for a in flat], dtype=object)
    text25 = np.array([a[3] for a in flat], dtype=object)
    index_of = {c: i for i, c in reversed(list(enumerate(code08)))}
    own = np.array([index_of[c] for c in comp["emtak_code"]], dtype=np.int64)
    switch = _day(comp["emtak_2025_from"])
    # main: earlier activities, then the current one
    m_old = _counts(rng, (0.45, 0.3, 0.15, 0.1), n)
    m_old[until - reg < 730] = 0
    owner, begin, end = _spells(reg, until, m_old + 1, rng)
    current = end < 0
    act = np.where(current, own[owner], rng.integers(0, len(flat), len(owner)))
    main = [owner, begin, end, act, np.ones(len(owner), dtype=bool)]
    # secondary activities, some ended
    k = _counts(rng, (0.25, 0.22, 0.18, 0.14, 0.1, 0.06, 0.05), n)
    s_owner = np.repeat(np.arange(n), k)
    s_begin = reg[s_owner] + (rng.random(len(s_owner)) * (until - reg)[s_owner]).astype(np.int64)
    ended = rng.random(len(s_owner)) < 0.25
    s_end = np.where(
        ended,
        s_begin + (rng.random(len(s_owner)) * (until[s_owner] - s_begin)).astype(np.int64),
        -1,
    )
    second = [
        s_owner,
        s_begin,
        s_end,
        rng.integers(0, len(flat), len(s_owner)),
        np.zeros(len(s_owner), bool),
    ]
    owner, begin, end, act, is_main = (np.concatenate(x) for x in zip(main, second, strict=True))
    sw = switch[owner]
    # split every entry open on the switch day: EMTAK 2008 until the day before, 2025 from it
    closed_before = (end >= 0) & (sw >= 0) & (end < sw)
    after = (sw >= 0) & (begin >= sw)
    split = (sw >= 0) & ~closed_before & ~after
    version = np.where(after, F.EMTAK_2025, F.EMTAK_2008)
    rows = {
        "owner": np.concatenate([owner, owner[split]]),
        "group": np.concatenate([~is_main, ~is_main[split]]).astype(np.int64),
        "begin": np.concatenate([begin, sw[split]]),
        "end": np.concatenate([np.where(split, sw - 1, end), end[split]]),
        "act": np.concatenate([act, act[split]]),
        "version": np.concatenate([version, np.full(int(split.sum()), F.EMTAK_2025)]),
        "main": np.concatenate([is_main, is_main[split]]),
    }
    order = np.lexsort((rows["version"], rows["begin"], rows["group"], rows["owner"]))
    r = {k: v[order] for k, v in rows.items()}
    new = r["version"] == F.EMTAK_2025
    code = np.where(new, code25[r["act"]], code08[r["act"]])
    text = np.where(new, text25[r["act"]], text08[r["act"]])
    nace = pd.Series(code, dtype="str")
    nace = (nace.str[:2] + "." + nace.str[2:4]).to_numpy(dtype=object)
    card_ids = _ACTIVITY_IDS.take(len(order))
    return _Entries(
        r["owner"],
        [
            ("kirje_id", _ji(card_ids)),
            ("emtak_kood", writer._jtext(code, '""')),
            ("emtak_tekstina", writer._jtext(text, '""')),
            ("emtak_versioon", _ji(r["version"])),
            (
                "emtak_versioon_tekstina",
                np.where(new, '"EMTAK 2025"', '"EMTAK 2008"').astype(object),
            ),
            ("nace_kood", writer._jtext(nace, '""')),
            ("on_pohitegevusala", np.where(r["main"], "true", "false").astype(object)),
            ("algus_kpv", _jd(r["begin"])),
            ("lopp_kpv", _jd(r["end"])),
        ],
    )


def _capitals(
    comp: pd.DataFrame, reg: np.ndarray, until: np.ndarray, card: _Card, rng: np.random.Generator
) -> _Entries:
    """kapitalid: an EEK entry closed at the company's euro changeover (registered before
    2011), then EUR entries, the last one the World's capital (what ingest must find)."""
    capital = comp["capital"].to_numpy(dtype=float)
    has = np.flatnonzero(~np.isnan(capital))
    reg_h, until_h = reg[has], until[has]
    eek = reg_h < EURO_DAY.astype(np.int64)
    change = EURO_DAY.astype(np.int64) + rng.integers(0, 730, len(has))
    eur_start = np.where(eek, np.minimum(change, until_h), reg_h)
    m = _counts(rng, (0.5, 0.3, 0.13, 0.07), len(has))
    m[until_h - eur_start < 365] = 0
    owner, begin, end = _spells(eur_start, until_h, m + 1, rng)
    earlier = np.array([2500.0, 2556.0, 3000.0, 5000.0, 10000.0, 25000.0])
    value = np.where(
        end < 0, capital[has][owner], earlier[rng.integers(0, len(earlier), len(owner))]
    )
    first_eur = value[np.searchsorted(owner, np.arange(len(has)))]
    eek_rows = np.flatnonzero(eek)
    rows = {
        "owner": np.concatenate([has[owner], has[eek_rows]]),
        "begin": np.concatenate([begin, reg_h[eek_rows]]),
        "end": np.concatenate([end, eur_start[eek_rows] - 1]),
        "value": np.concatenate([value, np.round(first_eur[eek_rows] * EEK_PER_EUR, -3)]),
        "eek": np.concatenate([np.zeros(len(owner), bool), np.ones(len(eek_rows), bool)]),
    }
    order = np.lexsort((rows["begin"], rows["owner"]))
    r = {k: v[order] for k, v in rows.items()}
    return _Entries(
        r["owner"],
        [
            *card.pairs(r["owner"]),
            ("kapitali_suurus", _jf(r["value"])),
            ("kapitali_valuuta", np.where(r["eek"], '"EEK"', '"EUR"').astype(object)),
            (
                "kapitali_valuuta_tekstina",
                np.where(r["eek"], '"Eesti kroon"', '"euro"').astype(object),
            ),
            ("algus_kpv", _jd(r["begin"])),
            ("lopp_kpv", _jd(r["end"])),
        ],
    )


def _old_info(
    p: writer.Prepared, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`info_majandusaasta_aruannetest` entries of fiscal years INFO_FROM_YEAR..2018 (before
    the report files), in the writer's layout: (company, submitted, JSON as UTF-8)."""
    comp = p.companies
    n = len(comp)
    reg = _day(comp["registered_on"])
    filer = ~np.isin(comp["legal_form_code"].to_numpy(dtype=object), NO_REPORTS)
    owners, years = [], []
    for year in range(INFO_FROM_YEAR, REPORT_YEARS.start):
        who = np.flatnonzero(filer & (reg < _day(f"{year}-07-01")) & (rng.random(n) < P_FILE))
        owners.append(who)
        years.append(np.full(len(who), year))
    owner, year = np.concatenate(owners), np.concatenate(years)
    submitted = _day(np.char.add((year + 1).astype(str), "-06-30")) - rng.integers(
        0, 60, len(owner)
    )
    employees = rng.integers(0, 12, len(owner))
    pairs = [
        ("kirje_id", _ji(390_000_000 + np.arange(len(owner)))),
        ("majandusaasta_perioodi_algus_kpv", _jd(_day(np.char.add(year.astype(str), "-01-01")))),
        ("majandusaasta_perioodi_lopp_kpv", _jd(_day(np.char.add(year.astype(str), "-12-31")))),
        (
            "tootajate_arv",
            np.where(
                rng.random(len(owner)) < 0.15, "null", '"' + employees.astype(str) + '"'
            ).astype(object),
        ),
        (
            "tegevusala_emtak_kood",
            writer._jtext(comp["emtak_code"].to_numpy(dtype=object)[owner], '""'),
        ),
        ("tegevusala_emtak_versioon", str(F.EMTAK_2008)),
    ]
    texts = np.empty(len(owner), dtype=object)
    for lo in range(0, len(owner), CHUNK * 5):
        hi = min(lo + CHUNK * 5, len(owner))
        part = [(k, v if isinstance(v, str) else v[lo:hi]) for k, v in pairs]
        texts[lo:hi] = writer._utf8(writer._objects(part, 4, hi - lo))
    return owner, _dates(submitted), texts


def _extra_elements(p: writer.Prepared, rng: np.random.Generator) -> np.ndarray:
    """Each report's element lines plus lines of elements the ingest does not read (the
    writer's array, extended in place)."""
    world = p.world
    position = pd.Series(np.arange(len(p.companies)), index=p.companies["company_id"].to_numpy())
    reports = world.annual_reports.assign(_pos=lambda r: r["company_id"].map(position))
    reports = reports.dropna(subset=["_pos"]).sort_values(
        ["fiscal_year", "company_id", "report_id"], kind="stable"
    )  # the writer's order of report_elements
    filled = reports["filled_report_id"].fillna("").astype(str).to_numpy(dtype=object)
    ids = np.where(filled != "", filled, reports["report_id"].astype(str).to_numpy(dtype=object))
    k = np.minimum(rng.poisson(EXTRA_ELEMENTS_MEAN, len(ids)), len(EXTRA_ELEMENTS))
    out = p.report_elements  # extended in place: no second copy of 2 GB of lines
    extra = np.array(
        [f'";"{t}";"{label}";"{name}";"' for t, label, name in EXTRA_ELEMENTS], dtype=object
    )
    for lo in range(0, len(ids), CHUNK * 5):
        hi = min(lo + CHUNK * 5, len(ids))
        owner = np.repeat(np.arange(hi - lo), k[lo:hi])
        which = (rng.integers(0, len(extra), len(owner)) + _within(owner)) % len(extra)
        value = np.round(rng.lognormal(9.0, 2.0, len(owner)), 0)
        lines = '"' + ids[lo:hi][owner] + extra[which] + _jf(value) + '"' + F.REPORTS_LINE_END
        last = np.ones(len(owner), dtype=bool)
        last[:-1] = owner[1:] != owner[:-1]
        ends = np.where(last, ROW_END, "").astype(object)
        if len(owner):
            text = "".join(np.column_stack([lines, ends]).ravel().tolist())
            joined = np.array(text.split(ROW_END)[:-1], dtype=object)
            at = lo + owner[last]
            out[at] = out[at] + joined
    return out


def enrich(p: writer.Prepared, day0: pd.Timestamp, seed: int = 1) -> writer.Prepared:
    """The writer's Prepared with richer general-data items (see the module docstring), extra
    element rows, and an annual-report publication on every drop day."""
    rng = np.random.default_rng([seed, 2])
    _ACTIVITY_IDS.next = _ACTIVITY_IDS.first
    # the writer's pieces replaced below are let go first (the caller passes `p` on)
    p = dataclasses.replace(
        p,
        general_mid=None,
        act_before=None,
        act_after=None,
        cap_before=None,
        cap_after=None,
        general_ov=None,
    )
    comp = p.companies
    n = len(comp)
    reg = _day(comp["registered_on"])
    until = np.maximum(np.minimum(HISTORY_UNTIL.astype(np.int64), _day(day0.date()) - 1), reg)
    card = _Card(rng)
    code = comp["legal_form_code"].to_numpy(dtype=object)
    form_code = writer._jtext(code, '""')
    form_text = writer._jtext(comp["legal_form"], '""')
    region = comp["card_region"].to_numpy(dtype=np.int64)
    region_text = writer._jtext(np.array([REGION_TEXT[r] for r in region], dtype=object))
    beneficial = np.where(np.isin(code, ("FIE", "FIL")), "false", "true").astype(object)
    mid = np.empty(n, dtype=object)
    act = np.empty(n, dtype=object)
    cap = np.empty(n, dtype=object)
    ov = np.empty(n, dtype=object)
    reg_json = _jd(reg)
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK, n)
        part = comp.iloc[lo:hi].reset_index(drop=True)
        entries = _general_entries(part, until[lo:hi], card, rng)
        lists = {kind: _ragged(*e.texts(0, hi - lo), hi - lo) for kind, e in entries.items()}
        mid[lo:hi] = writer._utf8(
            writer._concat(
                hi - lo,
                f'{PAD[3]}"oiguslik_vorm": ',
                form_code[lo:hi],
                f',\n{PAD[3]}"oiguslik_vorm_tekstina": ',
                form_text[lo:hi],
                f',\n{PAD[3]}"oigusliku_vormi_alaliik": null'
                f',\n{PAD[3]}"oigusliku_vormi_alaliik_tekstina": null'
                f',\n{PAD[3]}"piirkond": ',
                _ji(region[lo:hi]),
                f',\n{PAD[3]}"piirkond_tekstina": ',
                region_text[lo:hi],
                f',\n{PAD[3]}"tegutseb": true,\n{PAD[3]}"tegutseb_tekstina": "Jah"'
                f',\n{PAD[3]}"esmaregistreerimise_kpv": ',
                reg_json[lo:hi],
                f',\n{PAD[3]}"kustutamise_kpv": null,\n{PAD[3]}"esitab_kasusaajad": ',
                beneficial[lo:hi],
                f',\n{PAD[3]}"arinimed": ',
                lists["names"],
                f',\n{PAD[3]}"aadressid": ',
                lists["addresses"],
                f',\n{PAD[3]}"sidevahendid": ',
                lists["contacts"],
                f',\n{PAD[3]}"teatatud_tegevusalad": ',
            )
        )
        act[lo:hi] = writer._utf8(
            writer._concat(hi - lo, lists["activities"], f',\n{PAD[3]}"kapitalid": ')
        )
        cap[lo:hi] = writer._utf8(
            writer._concat(
                hi - lo,
                lists["capitals"],
                f',\n{PAD[3]}"majandusaastad": ',
                lists["fiscal"],
                f',\n{PAD[3]}"staatused": ',
            )
        )
        ov[lo:hi] = writer._utf8(
            writer._concat(
                hi - lo, lists["forms"], f',\n{PAD[3]}"info_majandusaasta_aruannetest": '
            )
        )
    owner, submitted, texts = _old_info(p, rng)
    company = np.concatenate([p.info_company, owner])
    when = np.concatenate([p.info_submitted, submitted])
    order = np.lexsort((-when.astype(np.int64), company))
    days = sorted(pd.Timestamp(d) for d in p.world.drop_dates)
    elements = _extra_elements(p, rng)
    none = pd.DataFrame()
    # render_drop reads only the debtors and taxes paid of the World itself
    world = dataclasses.replace(
        p.world,
        persons=none,
        status_events=none,
        board_roles=none,
        annual_reports=none,
        card_roles=None,
    )
    return dataclasses.replace(
        p,
        world=world,
        general_mid=mid,
        act_switch=np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"),
        act_before=act,
        act_after=act,
        cap_switch=np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"),
        cap_before=cap,
        cap_after=cap,
        general_ov=ov,
        info_company=company[order],
        info_submitted=when[order],
        info_json=np.concatenate([p.info_json, texts])[order],
        report_elements=elements,
        report_cutoffs=dict(zip(days, [None, *days[:-1]], strict=True)),
    )


def write_national_drops(n: int, out: Path, seed: int = 1) -> dict:
    """Build the national world and write its drops (one folder per day, atomically) with
    the writer's `render_drop`; returns what was written."""
    stats: dict = {}
    started = time.perf_counter()
    world = national_world(n, NATIONAL_DAYS, seed)
    stats["world_seconds"] = round(time.perf_counter() - started, 1)
    stats["world_companies"] = len(world.companies)
    started = time.perf_counter()
    holder = [writer.prepare(world)]  # popped into `enrich`, which then lets its pieces go
    del world  # `Prepared.world` keeps what the writer needs
    stats["prepare_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    prepared = enrich(holder.pop(), NATIONAL_DAYS[0], seed)
    _trim()
    stats["enrich_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    previous = None
    for day in NATIONAL_DAYS:
        write_drop(prepared, day, previous, Path(out) / f"{day:%Y-%m-%d}")
        _trim()
        previous = day
    stats["render_seconds"] = round(time.perf_counter() - started, 1)
    return stats


def _trim() -> None:
    """Give freed heap memory back to the system (glibc keeps it otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def write_drop(
    p: writer.Prepared, day: pd.Timestamp, previous, folder: Path, chunk: int = CHUNK
) -> None:
    """`render_drop`'s files, written atomically into `folder`, the general-data JSON
    streamed into its zip a chunk of items at a time: `render_drop` holds the whole 4.6 GB
    file (and its zip) in memory at once. `check_layout` checks that the files are the same."""
    day = pd.Timestamp(day)
    day64 = np.datetime64(day, "us")
    last_event, status, alive, on_register = writer.register_on(p, day64)  # as render_drop
    since = pd.Timestamp.min if previous is None else pd.Timestamp(previous)
    with atomic_directory(folder) as tmp:
        _stream_general(p, day64, on_register, last_event, tmp / f"{F.RIK_GENERAL}.zip", chunk)
        files = {
            F.RIK_BASIC + ".zip": writer._zip(
                F.RIK_BASIC, writer._basic_csv(p, day, on_register, status)
            ),
            F.RIK_PERSONS + ".zip": writer._zip(
                F.RIK_PERSONS, writer._persons_json(p, day64, alive)
            ),
            F.TAX_DEBTORS: writer._tax_debtors_csv(p, day),
            **writer._report_files(p, day, status),
            **writer._tax_payment_files(p, day, since),
        }
        for name, data in files.items():
            (tmp / name).write_bytes(data)


def _stream_general(
    p: writer.Prepared,
    day64: np.datetime64,
    rows: np.ndarray,
    last_event: np.ndarray,
    path: Path,
    chunk: int,
) -> None:
    """The general-data JSON of `writer._general_json`, deflated into a zip as it is built."""
    vis = np.flatnonzero(p.info_submitted <= day64)
    info_company, info_json = p.info_company[vis], p.info_json[vis]
    open_, close = f"[\n{PAD[4]}".encode(), f"\n{PAD[3]}]".encode()
    member = zipfile.ZipInfo(F.RIK_GENERAL, date_time=writer.ZIP_DATE)
    member.compress_type = zipfile.ZIP_DEFLATED
    member._compresslevel = 1  # as writer._zip (ZipFile.open takes the level from the ZipInfo)
    member.external_attr = 0o644 << 16
    with zipfile.ZipFile(path, "w") as zf, zf.open(member, "w", force_zip64=True) as out:
        if not len(rows):
            out.write(b"[]")
            return
        out.write(b"[\n")
        for lo in range(0, len(rows), chunk):
            sub = rows[lo : lo + chunk]
            a, b = np.searchsorted(info_company, [sub[0], sub[-1] + 1])
            who, joined = writer._group_join(
                info_company[a:b], info_json[a:b], f",\n{PAD[4]}".encode()
            )
            info = np.full(len(sub), b"[]", dtype=object)
            at = np.searchsorted(sub, who)
            listed = (at < len(sub)) & (sub[np.minimum(at, len(sub) - 1)] == who)
            info[at[listed]] = [open_ + t for t, keep in zip(joined, listed, strict=True) if keep]
            info[at[listed]] = info[at[listed]] + close
            events = last_event[sub]
            act = np.where(p.act_switch[sub] <= day64, p.act_after[sub], p.act_before[sub])
            cap = np.where(p.cap_switch[sub] <= day64, p.cap_after[sub], p.cap_before[sub])
            ends = np.full(len(sub), writer.GENERAL_TAIL + b",\n", dtype=object)
            if lo + chunk >= len(rows):
                ends[-1] = writer.GENERAL_TAIL + b"\n]"
            columns = [
                p.general_head[sub],
                p.general_status[events],
                p.general_mid[sub],
                act,
                cap,
                p.general_staatused[events],
                p.general_ov[sub],
                info,
                ends,
            ]
            out.write(b"".join(np.column_stack(columns).ravel().tolist()))


def check_layout(n: int = 3000) -> dict:
    """Write a small world's drops the national way and check that (1) both JSON files are
    byte for byte what json.dumps(items, ensure_ascii=False, indent=4) gives, and (2) every
    file `write_drop` writes holds exactly what the writer's `render_drop` gives."""
    world = national_world(n, NATIONAL_DAYS, seed=7)
    prepared = enrich(writer.prepare(world), NATIONAL_DAYS[0], seed=7)
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-layout-") as tmp:
        previous = None
        for day in NATIONAL_DAYS[:2]:
            folder = Path(tmp) / f"{day:%Y-%m-%d}"
            write_drop(prepared, day, previous, folder, chunk=n // 7)  # several chunks
            expected = writer.render_drop(prepared, day, previous)
            if sorted(expected) != sorted(p.name for p in folder.iterdir()):
                raise AssertionError(f"{day:%Y-%m-%d}: other files than render_drop's")
            for name, data in expected.items():
                if _content(data, name) != _content((folder / name).read_bytes(), name):
                    raise AssertionError(f"{day:%Y-%m-%d}/{name}: differs from render_drop's")
            previous = day
        for name in (F.RIK_GENERAL, F.RIK_PERSONS):
            raw = _content(expected[name + ".zip"], name + ".zip")
            items = json.loads(raw)
            if json.dumps(items, ensure_ascii=False, indent=F.RIK_JSON_INDENT).encode() != raw:
                raise AssertionError(f"{name}: not laid out as json.dumps(indent=4)")
            sizes[name] = round(len(raw) / len(items))
    return {"layout_checked_companies": n, "layout_bytes_per_item": sizes}


def _content(data: bytes, name: str) -> bytes:
    """A file's content: the member of a one-member zip, else the bytes."""
    if not name.endswith(".zip"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (member,) = zf.infolist()
        return zf.read(member)


# ------------------------------------------------------------------------------ measurements
class Phases:
    """Wall time and peak resident memory of named steps of one ingest, by wrapping the
    functions the pipeline calls (module attributes, looked up at call time)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.seconds: dict[str, float] = {}
        self.peak: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[str] = []
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            rss = proc.memory_info().rss
            for name in list(self.stack):
                self.peak[name] = max(self.peak.get(name, 0), rss)
            time.sleep(self._interval)

    def wrap(self, owner, attribute: str, name: str) -> None:
        original = getattr(owner, attribute, None)
        if original is None:  # the pipeline has no such step (any more)
            return

        def timed(*args, **kwargs):
            self.stack.append(name)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
                self.calls[name] = self.calls.get(name, 0) + 1
                self.stack.remove(name)

        setattr(owner, attribute, timed)

    @contextlib.contextmanager
    def running(self) -> Iterator[Phases]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def figures(self) -> dict:
        return {
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "peak_gb": {k: round(v / 1e9, 3) for k, v in self.peak.items()},
            "calls": dict(self.calls),
        }


def _instrument(phases: Phases) -> None:
    from company_risk.ingest import emta, history, pipeline, reports, rik, snapshot, store

    phases.wrap(store, "load_tables", "load history tables")
    phases.wrap(pipeline, "drop_checksum", "checksum of applied drops")
    phases.wrap(pipeline, "read_drop", "read drop (all files)")
    phases.wrap(snapshot, "drop_checksum", "read drop: checksum of the new drop")
    phases.wrap(rik, "read_basic", "read drop: basic CSV")
    phases.wrap(rik, "read_general", "read drop: general JSON")
    phases.wrap(rik, "read_persons", "read drop: persons JSON")
    phases.wrap(emta, "read_tax_debtors", "read drop: tax debtors")
    phases.wrap(reports, "read_general", "read drop: annual reports, general file")
    phases.wrap(reports, "_read_elements", "read drop: annual reports, elements files")
    phases.wrap(reports, "read_reports", "read drop: annual reports (all)")
    phases.wrap(history, "mass_change", "mass-change gate")
    phases.wrap(history, "apply_snapshot", "apply snapshot to the history")
    phases.wrap(history, "update_companies", "apply: companies")
    phases.wrap(history, "update_status", "apply: status history")
    phases.wrap(history, "update_roles", "apply: board roles")
    phases.wrap(history, "add_reports", "apply: annual reports")
    phases.wrap(history, "derive_defaults", "derive defaults")
    phases.wrap(store, "conform", "conform tables to the schema")
    phases.wrap(store, "write_tables", "write tables (parquet)")


def ingest_run(raw: Path, interim: Path, until: dt.date, name: str, profile: bool) -> dict:
    """One ingest run in this process: seconds, peak memory, and (profile) its steps."""
    from company_risk.ingest import ingest_drops

    figures: dict = {"load_before": round(os.getloadavg()[0], 2), "code": _ingest_code()}
    phases = Phases()
    if profile:
        _instrument(phases)
    with phases.running(), measure(figures, name):
        result = ingest_drops(raw, interim, IngestConfig(), until=until)
    figures["applied"] = [d.isoformat() for d in result.applied]
    figures["rejected_rows"] = result.rejected_rows
    if profile:
        figures["phases"] = phases.figures()
    return figures


def _ingest_code() -> str:
    """A short hash of the ingest package's sources this process imported (the tree may
    change between runs on a shared checkout)."""
    import company_risk.ingest as package

    digest = hashlib.sha256()
    for path in sorted(Path(package.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def floor_run(folder: Path) -> dict:
    """The floor: every zip member streamed through zlib into nothing, plain files read once."""
    figures: dict = {"load_before": round(os.getloadavg()[0], 2)}
    inflated, per_file = 0, {}
    with measure(figures, "floor"):
        for path in sorted(folder.iterdir()):
            started = time.perf_counter()
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as zf:
                    for info in zf.infolist():
                        with zf.open(info) as fh:
                            while block := fh.read(1 << 20):
                                inflated += len(block)
            else:
                with path.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        inflated += len(block)
            per_file[path.name] = round(time.perf_counter() - started, 3)
    figures["floor_bytes_gb"] = round(inflated / 1e9, 3)
    figures["floor_per_file_seconds"] = per_file
    return figures


def _in_child(function: Callable, *args):
    """Run `function(*args)` in a fresh interpreter and return its result."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _files(folder: Path, interim: Path, drop: dt.date) -> dict:
    """Per file of a drop: zipped and unpacked MB, and the rows ingest counted."""
    files = pd.read_parquet(interim / "ingest_files.parquet")
    files = files[files["drop_date"] == pd.Timestamp(drop)].set_index("file")
    out = {}
    for path in sorted(folder.iterdir()):
        unpacked = path.stat().st_size
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                unpacked = sum(i.file_size for i in zf.infolist())
        out[path.name] = {
            "zip_mb": round(path.stat().st_size / 1e6, 1) if path.suffix == ".zip" else None,
            "unpacked_mb": round(unpacked / 1e6, 1),
            "rows": int(files["rows"].get(path.name, -1)),  # JSON: items; -1: not read
            "ingest": str(files["status"].get(path.name, "")),  # read | superseded | ...
        }
    return out


def _contents(interim: Path, drop: dt.date) -> dict:
    """What the ingested drop held: companies, person rows by kind and role, debtors, reports."""
    log = pd.read_parquet(interim / "ingest_log.parquet")
    roles = pd.read_parquet(interim / "board_roles.parquet")
    roles = roles[roles["end_date"].isna()]
    debts = pd.read_parquet(interim / "tax_debts.parquet")
    annual = pd.read_parquet(interim / "annual_reports.parquet", columns=["fiscal_year"])
    return {
        "listed_companies": int(log["n_companies"].iloc[-1]),
        "person_rows_open": len(roles),
        "person_rows_without_hash": int((roles["person_type"] != "natural").sum()),
        "person_rows_by_kind": roles["person_type"].value_counts().to_dict(),
        "person_rows_by_role": roles["role"].value_counts().to_dict(),
        "tax_debtors": int((debts["as_of"] == pd.Timestamp(drop)).sum()),
        "annual_reports": len(annual),
        "annual_reports_by_year": annual["fiscal_year"].value_counts().sort_index().to_dict(),
    }


def bench_national(work: Path, figures: dict, n: int, repeats: int) -> None:
    """Generate the drops (or reuse those of an earlier run in `work` for the same n), then
    measure (a), (b) and (c) in fresh processes."""
    raw = work / "raw"
    days = [d.date() for d in NATIONAL_DAYS]
    figures.update(_in_child(check_layout))
    generated = work / "generated.json"
    done = json.loads(generated.read_text()) if generated.exists() else {}
    if done.get("national_companies") == n and (raw / days[-1].isoformat()).is_dir():
        figures.update({k: v for k, v in done.items() if k != "national_companies"})
        figures["national_generate_reused"] = True
    else:
        shutil.rmtree(raw, ignore_errors=True)
        made: dict = {}
        with measure(made, "national_generate"):
            made["national_generate_parts"] = _in_child(write_national_drops, n, raw)
        generated.write_text(json.dumps({"national_companies": n, **made}))
        figures.update(made)
    for old in work.glob("interim-*"):
        shutil.rmtree(old)
    history = work / "interim-history"
    first = _in_child(ingest_run, raw, history, days[0], "national_ingest_first_drop", False)
    figures["national_ingest_first_drop_seconds"] = first["national_ingest_first_drop_seconds"]
    figures["national_ingest_first_drop_peak_gb"] = first["national_ingest_first_drop_peak_gb"]

    one_runs = []
    for k in range(repeats):
        interim = work / f"interim-one-{k}"
        shutil.copytree(history, interim)
        one_runs.append(_in_child(ingest_run, raw, interim, days[1], "one", k == 0))
        if k:
            shutil.rmtree(interim)
    seconds = [r["one_seconds"] for r in one_runs]
    peaks = [r["one_peak_gb"] for r in one_runs]
    figures["national_ingest_one_drop_seconds"] = round(statistics.median(seconds), 2)
    figures["national_ingest_one_drop_peak_gb"] = max(peaks)
    figures["national_ingest_one_drop_runs"] = [
        {
            "seconds": r["one_seconds"],
            "peak_gb": r["one_peak_gb"],
            "load_before": r["load_before"],
            "code": r["code"],
        }
        for r in one_runs
    ]
    figures["national_ingest_one_drop_phases"] = one_runs[0]["phases"]
    interim_one = work / "interim-one-0"
    figures["national_files"] = _files(raw / days[1].isoformat(), interim_one, days[1])
    figures["national_drop_zipped_mb"] = round(
        sum(f["zip_mb"] or f["unpacked_mb"] for f in figures["national_files"].values()), 1
    )
    figures["national_drop_unpacked_mb"] = round(
        sum(f["unpacked_mb"] for f in figures["national_files"].values()), 1
    )
    figures["national_contents"] = _contents(interim_one, days[1])
    shutil.rmtree(interim_one)

    interim = work / "interim-three"
    shutil.copytree(history, interim)
    three = _in_child(ingest_run, raw, interim, days[3], "three", False)
    figures["national_ingest_three_drops_seconds"] = three["three_seconds"]
    figures["national_ingest_three_drops_peak_gb"] = three["three_peak_gb"]
    figures["national_ingest_three_drops_load_before"] = three["load_before"]
    figures["national_ingest_three_drops_code"] = three["code"]
    shutil.rmtree(interim)

    floor = _in_child(floor_run, raw / days[1].isoformat())
    figures["national_floor_seconds"] = floor["floor_seconds"]
    figures["national_floor_peak_gb"] = floor["floor_peak_gb"]
    figures["national_floor_inflated_gb"] = floor["floor_bytes_gb"]
    figures["national_ingest_to_floor_ratio"] = round(
        figures["national_ingest_one_drop_seconds"] / floor["floor_seconds"], 2
    )
    # the same floor over only the files ingest read (it skips elements files of fiscal years
    # without new reports): what pure I/O of the work actually done costs
    read = [n for n, f in figures["national_files"].items() if f["ingest"] == "read"]
    read_floor = sum(floor["floor_per_file_seconds"][n] for n in read)
    figures["national_floor_read_files_seconds"] = round(read_floor, 2)
    figures["national_floor_read_files_inflated_gb"] = round(
        sum(figures["national_files"][n]["unpacked_mb"] for n in read) / 1e3, 3
    )
    figures["national_ingest_to_read_files_floor_ratio"] = round(
        figures["national_ingest_one_drop_seconds"] / read_floor, 2
    )
    shutil.rmtree(history)
    figures["national_targets"] = TARGETS
    figures["national_meets_targets"] = {
        "one_drop_seconds": figures["national_ingest_one_drop_seconds"]
        <= TARGETS["one_drop_seconds"],
        "one_drop_peak_gb": figures["national_ingest_one_drop_peak_gb"]
        <= TARGETS["one_drop_peak_gb"],
        "three_drops_peak_gb": figures["national_ingest_three_drops_peak_gb"]
        <= TARGETS["three_drops_peak_gb"],
    }


# ------------------------------------------------------------------------------ default scale
def default_run(work: Path) -> dict:
    """The embedded synthetic world (params.yaml's defaults) written and ingested in one run."""
    from company_risk.ingest import ingest_drops
    from company_risk.synth.simulate import simulate

    figures: dict = {}
    world = simulate(SynthConfig())
    figures["default_companies"] = len(world.companies)
    figures["default_drops"] = len(world.drop_dates)
    with measure(figures, "default_write_all_drops"):
        writer.write_drops(world, work / "raw")
    del world
    with measure(figures, "default_ingest_all_drops"):
        ingest_drops(work / "raw", work / "interim", IngestConfig())
    figures["default_raw_mb"] = round(
        sum(p.stat().st_size for p in (work / "raw").rglob("*") if p.is_file()) / 1e6, 1
    )
    return figures


def bench_default(work: Path, figures: dict) -> None:
    figures.update(_in_child(default_run, work))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks.json"))
    parser.add_argument("--only", choices=("national", "default"), default=None)
    parser.add_argument("--companies", type=int, default=NATIONAL_COMPANIES)
    parser.add_argument("--repeats", type=int, default=1, help="runs of (a); the median counts")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="national: write the drops here and keep them (reused by a later run with the "
        "same --companies); default: a temporary folder, deleted",
    )
    args = parser.parse_args()
    figures: dict = {}
    if args.only and args.out.exists():  # keep the other part's figures (same prefix scheme)
        kept = json.loads(args.out.read_text()).get("ingest", {})
        other = "default_" if args.only == "national" else ("national_", "layout_")
        figures.update({k: v for k, v in kept.items() if k.startswith(other)})
    for name in ("default", "national"):
        if args.only not in (None, name):
            continue
        keep = name == "national" and args.work is not None
        if keep:
            args.work.mkdir(parents=True, exist_ok=True)
        work = args.work if keep else Path(tempfile.mkdtemp(prefix=f"bench-ingest-{name}-"))
        try:
            if name == "default":
                bench_default(work, figures)
            else:
                figures["national_companies"] = args.companies
                bench_national(work, figures, args.companies, args.repeats)
        finally:
            if not keep:
                shutil.rmtree(work)
    figures["git_head"] = _git_head()
    record("ingest", figures, args.out)


def _git_head() -> str:
    """The commit measured, "+dirty" when the ingest or synth sources differ from it."""
    import subprocess

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "src/company_risk/ingest", "src/company_risk/synth")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


# ------------------------------------------------------- the earlier generator (bench_score)

SECTORS = (
    ("J", "62011"),
    ("F", "41201"),
    ("G", "47111"),
    ("M", "69201"),
    ("C", "10821"),
    ("S", "94991"),
)
COUNTIES = (
    "Harju maakond",
    "Tartu maakond",
    "Ida-Viru maakond",
    "Pärnu maakond",
    "Lääne-Viru maakond",
)
FIRST = ("Mari", "Jüri", "Tõnu", "Kadri", "Andres", "Liis", "Peeter", "Anneli")
LAST = ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves")


def synthetic_world(n_companies: int, drop_dates: list[pd.Timestamp], seed: int = 1) -> World:
    """A World with realistic volumes and churn between drops (not a causal simulation)."""
    rng = np.random.default_rng(seed)
    first, last = drop_dates[0], drop_dates[-1]
    span = max((last - first).days, 1)
    n = n_companies
    ids = np.array([f"{10000000 + 3 * i}" for i in range(n)], dtype=object)
    # a tenth of the companies are born inside the window, the rest before it
    born_inside = rng.random(n) < 0.1
    offset = np.where(born_inside, rng.integers(0, span + 1, n), -rng.integers(30, 9000, n))
    registered = (first + pd.to_timedelta(offset, unit="D")).astype("datetime64[us]")
    sector = rng.integers(0, len(SECTORS), n)
    county = rng.integers(0, len(COUNTIES), n)
    vat = rng.random(n) < 0.4
    companies = pd.DataFrame(
        {
            "company_id": ids,
            "name": [f"Ettevõte {i} OÜ" for i in range(n)],
            "legal_form": "Osaühing",
            "legal_form_code": "OÜ",
            "legal_form_subtype": "",
            "registered_on": registered,
            "capital": np.where(rng.random(n) < 0.9, 2500.0, 25000.0),
            "sector": [SECTORS[s][0] for s in sector],
            "emtak_code": [SECTORS[s][1] for s in sector],
            "emtak_text": "Tegevusala",
            "ehak_code": [f"{784 + c:04d}" for c in county],
            "county": [COUNTIES[c] for c in county],
            "address": [f"Tänav {i % 500}, Linn" for i in range(n)],
            "vat_from": pd.Series(
                np.where(vat, registered, np.datetime64("NaT")), dtype="datetime64[us]"
            ),
            "vat_until": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]"),
            "vat_number": np.where(vat, [f"EE{100000000 + i}" for i in range(n)], ""),
        }
    )
    # exits spread over the window: ~3 % of companies per year of window, at least a few
    n_exit = max(3, int(n * 0.03 * span / 365))
    exiting = rng.choice(n, size=min(n_exit, n), replace=False)
    exit_day = first + pd.to_timedelta(rng.integers(0, span + 1, len(exiting)), unit="D")
    exit_day = np.maximum(exit_day.to_numpy(), (registered[exiting] + np.timedelta64(1, "D")))
    kind = rng.choice(np.array(["N", "L", "K"]), size=len(exiting), p=[0.2, 0.3, 0.5])
    events = [pd.DataFrame({"company_id": ids, "status": "R", "start_date": registered})]
    events.append(
        pd.DataFrame({"company_id": ids[exiting], "status": kind, "start_date": exit_day})
    )
    ends = kind != "K"  # bankrupt or liquidating companies are deleted a few months later
    events.append(
        pd.DataFrame(
            {
                "company_id": ids[exiting][ends],
                "status": "K",
                "start_date": exit_day[ends] + np.timedelta64(120, "D"),
            }
        )
    )
    status_events = pd.concat(events, ignore_index=True).astype({"start_date": "datetime64[us]"})

    # board: one member each, a third get a second, some a procurator; ~1.37 rows per company
    n_persons = int(n * 1.1)
    codes = [f"{38000000000 + i}" for i in range(n_persons)]
    persons = pd.DataFrame(
        {
            "person_id": [hashlib.sha256(c.encode()).hexdigest() for c in codes],
            "first_name": rng.choice(FIRST, n_persons),
            "last_name": rng.choice(LAST, n_persons),
            "birth_date": pd.Series(
                pd.Timestamp("1950-01-01")
                + pd.to_timedelta(rng.integers(0, 18000, n_persons), unit="D"),
                dtype="datetime64[us]",
            ),
            "personal_code": codes,
        }
    )
    role_company = np.concatenate(
        [
            np.arange(n),
            rng.choice(n, int(n * 0.3), replace=False),
            rng.choice(n, int(n * 0.07), replace=False),
        ]
    )
    role = np.array(["JUHL"] * (n + int(n * 0.3)) + ["PROK"] * int(n * 0.07), dtype=object)
    role_person = rng.integers(0, n_persons, len(role_company))
    start = registered[role_company]
    # a twentieth of the tenures end inside the window and a successor starts that day
    leaving = rng.random(len(role_company)) < 0.05
    change = np.maximum(
        (
            first + pd.to_timedelta(rng.integers(0, span + 1, len(role_company)), unit="D")
        ).to_numpy(),
        start + np.timedelta64(1, "D"),
    )
    end = np.where(leaving, change, np.datetime64("NaT"))
    board_roles = pd.DataFrame(
        {
            "company_id": np.concatenate([ids[role_company], ids[role_company[leaving]]]),
            "person_id": persons["person_id"].to_numpy()[
                np.concatenate([role_person, rng.integers(0, n_persons, leaving.sum())])
            ],
            "role": np.concatenate([role, role[leaving]]),
            "start_date": np.concatenate([start, change[leaving]]).astype("datetime64[us]"),
            "end_date": np.concatenate([end, np.full(leaving.sum(), np.datetime64("NaT"))]).astype(
                "datetime64[us]"
            ),
        }
    ).drop_duplicates(["company_id", "person_id", "role", "start_date"])
    board_roles = board_roles.assign(kirje_id=np.arange(len(board_roles)))

    # ~5 % of companies on the debtor list of each drop, drawn from a pool that drifts slowly
    pool = rng.choice(n, int(n * 0.08), replace=False)
    debts = []
    for k, day in enumerate(drop_dates):
        on = pool[(np.arange(len(pool)) + k * 7) % len(pool) < int(n * 0.053)]
        on = on[registered[on] <= np.datetime64(day)]
        amount = np.round(rng.lognormal(7, 1.5, len(on)), 2)
        debts.append(
            pd.DataFrame(
                {
                    "company_id": ids[on],
                    "as_of": day,
                    "debt": amount,
                    "disputed": np.where(rng.random(len(on)) < 0.05, np.round(amount / 3, 2), 0.0),
                    "scheduled": np.where(rng.random(len(on)) < 0.1, np.round(amount / 2, 2), 0.0),
                    "schedule_end": pd.NaT,
                    "oldest_due": day - pd.to_timedelta(rng.integers(10, 700, len(on)), unit="D"),
                }
            )
        )
    tax_debts = pd.concat(debts, ignore_index=True).astype(
        {
            "as_of": "datetime64[us]",
            "schedule_end": "datetime64[us]",
            "oldest_due": "datetime64[us]",
        }
    )

    # one report per company and fiscal year, submitted around the June deadline
    years = range(first.year - 1, last.year)
    reps = []
    for year in years:
        has = np.flatnonzero(registered < np.datetime64(f"{year}-07-01"))
        submitted = pd.Timestamp(f"{year + 1}-03-01") + pd.to_timedelta(
            rng.integers(0, 300, len(has)), unit="D"
        )
        revenue = np.round(rng.lognormal(11, 1.5, len(has)), 2)
        reps.append(
            pd.DataFrame(
                {
                    "report_id": [f"{year}-{i}" for i in has],
                    "company_id": ids[has],
                    "fiscal_year": year,
                    "period_start": pd.Timestamp(f"{year}-01-01"),
                    "period_end": pd.Timestamp(f"{year}-12-31"),
                    "submitted_on": submitted,
                    "audited": False,
                    "consolidated": False,
                    "revenue": revenue,
                    "net_profit": np.round(revenue * rng.normal(0.03, 0.1, len(has)), 2),
                    "equity": np.round(revenue * 0.3, 2),
                    "assets": np.round(revenue * 0.8, 2),
                    "current_assets": np.round(revenue * 0.5, 2),
                    "current_liabilities": np.round(revenue * 0.3, 2),
                    "non_current_liabilities": np.round(revenue * 0.2, 2),
                    "cash": np.round(revenue * 0.1, 2),
                    "labour_expense": np.round(revenue * 0.25, 2),
                    "employees": np.round(revenue / 40000, 1),
                }
            )
        )
    annual_reports = pd.concat(reps, ignore_index=True).astype(
        {c: "datetime64[us]" for c in ("period_start", "period_end", "submitted_on")}
    )
    pays = []
    for year in range(first.year - 1, last.year + 1):
        for q in range(1, 5):
            published = pd.Timestamp(year + (q == 4), q * 3 % 12 + 1, 10)
            if published > last:
                continue
            active = np.flatnonzero(registered < np.datetime64(published))[::2]
            pays.append(
                pd.DataFrame(
                    {
                        "company_id": ids[active],
                        "year": year,
                        "quarter": q,
                        "state_taxes": np.round(rng.lognormal(8, 1.2, len(active)), 2),
                        "labour_taxes": np.round(rng.lognormal(8, 1.2, len(active)), 2),
                        "turnover": np.round(rng.lognormal(10, 1.5, len(active)), 2),
                        "employees": rng.integers(0, 20, len(active)).astype(float),
                        "published_on": published,
                    }
                )
            )
    tax_payments = pd.concat(pays, ignore_index=True).astype({"published_on": "datetime64[us]"})
    empty = pd.DataFrame()
    return World(
        drop_dates=list(drop_dates),
        persons=persons,
        companies=companies,
        status_events=status_events,
        board_roles=board_roles,
        tax_debts=tax_debts,
        annual_reports=annual_reports,
        tax_payments=tax_payments,
        truth_latent=empty,
        truth_exits=empty,
        truth_pd=empty,
    )


if __name__ == "__main__":
    main()
