"""Benchmark: features for one snapshot at Estonia scale, and a full training build.

Generates interim history tables of national size directly (no simulation), in the schema of
`schemas.INTERIM_TABLES` and checked as `load_interim` checks them: ~380,000 active companies
of every legal form (the register's non-profits, foundations and sole traders among them; the
~89 % of business forms with status R are the scored population), plus ~60,000 that exited
over ten years of monthly drops; ~600,000 management-board roles (median board size 1, a heavy
tail of serial directors) and the card's other roles (supervisory boards, procurators,
partners, the liquidators and bankruptcy trustees of the companies wound up), the
shareholdings (a legal person among the holders links two companies), ~6 % of companies on
each monthly tax-debtor list, yearly annual reports with their audit columns, EMTA-quarterly
tax payments and the registrar's rulings. Then it times

- `build_features` for one snapshot (scoring mode): wall time and peak memory;
- each step of the stage's snapshot (`features.build._snapshot`) alone, called as the stage
  calls it: the facts shared between the families (defaults known, the tax debtors), the
  population, then the graph, tax and descriptive families;
- inside the graph family the network metrics (`network_metrics`: PageRank and components by
  SciPy, closeness and eccentricity by NetworkX's searches in the small components) and, for
  comparison, the same metrics with igraph (compiled);
- a full training build (every quarterly snapshot, with labels) of the default synthetic world
  (`company-risk synth` -> ingest -> features), when `--default-world` is given.

Figures go to `reports/benchmarks.json`, section `features`. Run from the project root:
`.venv/bin/python benchmarks/bench_features.py [--companies N] [--default-world]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd
from results import measure, record

from company_risk import formats as F
from company_risk.config import load_params
from company_risk.features.build import build_features, drop_dates, training_snapshot_dates
from company_risk.features.descriptive import descriptive_features
from company_risk.features.graph import graph_features, network_metrics, ties_at
from company_risk.features.labels import default_known_on, defaulted_by
from company_risk.features.population import population
from company_risk.features.tables import check_tables
from company_risk.features.tax import debtors_at, tax_features
from company_risk.schemas import INTERIM_TABLES

SNAPSHOT = pd.Timestamp("2025-01-01")
# sector letter -> an EMTAK 2008 activity code of that section
ACTIVITIES = {
    "A": "01111",
    "C": "25991",
    "F": "41201",
    "G": "47111",
    "H": "49411",
    "I": "56101",
    "J": "62011",
    "K": "64201",
    "L": "68201",
    "M": "70221",
    "N": "82991",
    "S": "96021",
}
SECTORS = np.array(list(ACTIVITIES))
EMTAK = np.array(list(ACTIVITIES.values()))
NACE = np.array([code[:2] + "." + code[2:4] for code in EMTAK])  # "47.11"
COUNTIES = np.array(
    [
        "Harju maakond",
        "Tartu maakond",
        "Ida-Viru maakond",
        "Pärnu maakond",
        "Lääne-Viru maakond",
        "Viljandi maakond",
    ]
)
# legal form code -> share of the register: the business forms are the scored ones
# (formats.BUSINESS_LEGAL_FORMS), the others (non-profits, foundations, sole traders) are not
FORMS = {"OÜ": 0.855, "AS": 0.02, "TÜ": 0.003, "UÜ": 0.002, "FIL": 0.005}
FORMS |= {"MTÜ": 0.07, "SA": 0.005, "FIE": 0.04}
FORM_CODES = np.array(list(FORMS))
FORM_TEXTS = np.array([F.LEGAL_FORM_TEXT[code] for code in FORMS])
EXITED_SHARE = 0.16 / 1.16  # companies that exited during the ten years, of all
SERIAL_POOL = 60_000  # persons who may sit on many boards
CATEGORIES = ("Mikroettevõtja", "Väikeettevõtja", "Keskmise suurusega ettevõtja", "Suurettevõtja")


def _dates(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[us]")


def _strs(values) -> pd.Series:
    return pd.Series(np.asarray(values), dtype="str")


def _next_drop(drops: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The first drop on or after each day (the last drop for days after it)."""
    i = np.searchsorted(drops, days, side="left")
    return drops[np.minimum(i, len(drops) - 1)]


def _heavy_tail(rng, pool: int, size: int, offset: float = 20.0) -> np.ndarray:
    """`size` draws from 0..pool-1, the low numbers far more often (a few hold dozens)."""
    weights = 1.0 / (np.arange(pool) + offset) ** 1.1
    return rng.choice(pool, size, p=weights / weights.sum())


def _person_ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, np.asarray(numbers).astype("U12"))


def estonia_tables(n_active: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Interim tables at national scale with realistic shapes (not a causal simulation), checked
    against the schema as `load_interim` checks them."""
    rng = np.random.default_rng(seed)
    drops = _dates(pd.date_range("2015-01-01", SNAPSHOT, freq="MS"))
    first, last = drops[0], drops[-1]
    n = int(n_active / (1 - EXITED_SHARE))  # those that exited during the ten years on top
    ids = pd.Series([f"{10000000 + 7 * i}" for i in range(n)], dtype="str")
    day = np.timedelta64(1, "D").astype("timedelta64[us]")
    form_i = rng.choice(len(FORM_CODES), n, p=np.array(list(FORMS.values())))
    form = FORM_CODES[form_i]

    inside = rng.random(n) < 0.25
    registered = np.where(
        inside,
        first + rng.integers(0, (last - first) // day, n) * day,
        first - rng.integers(30, 30 * 365, n) * day,
    ).astype("datetime64[us]")
    seen = _next_drop(drops, np.maximum(registered, first))
    exits = rng.random(n) < EXITED_SHARE
    exit_day = (seen + (rng.random(n) * ((last - seen) // day)).astype("int64") * day).astype(
        "datetime64[us]"
    )
    exit_day = np.where(exits & (exit_day > seen), exit_day, np.datetime64("NaT"))
    exited = ~np.isnat(exit_day)
    kind = rng.choice(np.array(["N", "K", "L"]), n, p=[0.15, 0.7, 0.15])
    gone = _next_drop(drops, exit_day)  # the drop showing the exit (NaT stays NaT)
    gone = np.where(exited, gone, np.datetime64("NaT")).astype("datetime64[us]")

    # a bankruptcy ends in the deletion of the company two years on (if by the last drop)
    deleted_on = (exit_day + np.timedelta64(730, "D")).astype("datetime64[us]")
    wound = exited & (kind == "N") & (deleted_on <= last)
    status = pd.DataFrame(
        {
            "company_id": pd.concat([ids, ids[exited], ids[wound]], ignore_index=True),
            "status": _strs(
                np.concatenate([np.full(n, "R"), kind[exited], np.full(wound.sum(), "K")])
            ),
            "valid_from": _dates(np.concatenate([registered, exit_day[exited], deleted_on[wound]])),
            "valid_to": _dates(
                np.concatenate(
                    [
                        exit_day,
                        np.where(wound, deleted_on, np.datetime64("NaT"))[exited],
                        np.full(wound.sum(), np.datetime64("NaT")),
                    ]
                )
            ),
            "published_on": _dates(
                np.concatenate([seen, gone[exited], _next_drop(drops, deleted_on[wound])])
            ),
        }
    )
    failed = exited & (kind != "L")
    defaults = pd.DataFrame(
        {
            "company_id": ids[failed].reset_index(drop=True),
            "default_date": _dates(exit_day[failed]),
            "kind": _strs(np.where(kind[failed] == "N", "bankrupt", "deleted")),
        }
    )

    # SCD2: a quarter of the companies change VAT registration or capital once
    vat = rng.random(n) < 0.4
    changes = rng.random(n) < 0.25
    change_day = drops[rng.integers(0, len(drops), n)]
    changes &= change_day > seen
    end_first = np.where(changes, change_day, gone).astype("datetime64[us]")
    sector = rng.integers(0, len(SECTORS), n)
    county = rng.integers(0, len(COUNTIES), n)

    def versions(mask, valid_from, valid_to, has_vat, capital):
        m = int(mask.sum())
        return pd.DataFrame(
            {
                "company_id": ids[mask].reset_index(drop=True),
                "valid_from": _dates(valid_from[mask]),
                "valid_to": _dates(valid_to[mask]),
                "name": _strs(np.full(m, "Firma OÜ")),
                "legal_form": _strs(FORM_TEXTS[form_i[mask]]),
                "legal_form_subtype": _strs(np.full(m, "")),
                "vat_number": _strs(np.where(has_vat[mask], "EE100000000", "")),
                "first_registered": _dates(registered[mask]),
                "ehak_code": _strs(np.full(m, "0784")),
                "county": _strs(COUNTIES[county[mask]]),
                "legal_form_code": _strs(form[mask]),
                "emtak_code": _strs(EMTAK[sector[mask]]),
                "emtak_version": np.full(m, F.EMTAK_2008, dtype="int64"),
                "nace_code": _strs(NACE[sector[mask]]),
                "sector": _strs(SECTORS[sector[mask]]),
                "capital": capital[mask],
            }
        )

    capital = rng.choice(np.array([2500.0, 2556.0, 25000.0, 0.0]), n, p=[0.6, 0.2, 0.1, 0.1])
    companies = pd.concat(
        [
            versions(np.ones(n, bool), seen, end_first, vat & ~changes, capital),
            versions(changes, change_day, gone, vat | (rng.random(n) < 0.5), capital * 2),
        ],
        ignore_index=True,
    )

    board, owner = _board_roles(rng, ids, registered, exit_day, drops)
    card = _card_roles(rng, ids, form, registered, exit_day, kind, drops)
    holdings = _shareholdings(rng, ids, form, owner, registered, exit_day, drops)
    debts, lists = _tax_debts(rng, ids, seen, exit_day, drops)
    reports = _reports(rng, ids, registered, exit_day, drops)
    payments = _payments(rng, ids, seen, exit_day, drops)
    rulings = _rulings(rng, ids, exit_day, kind, drops)
    log = pd.DataFrame(
        {
            "drop_date": drops,
            "checksum": _strs(np.full(len(drops), "0" * 64)),
            "files": _strs(np.full(len(drops), ",".join(DAILY_FILES.values()))),
            "n_companies": np.full(len(drops), n, dtype="int64"),
        }
    )
    files = pd.DataFrame(
        {
            "drop_date": np.repeat(drops, len(DAILY_FILES)),
            "file": _strs(np.tile(list(DAILY_FILES.values()), len(drops))),
            "family": _strs(np.tile(list(DAILY_FILES), len(drops))),
            "status": _strs(np.full(len(drops) * len(DAILY_FILES), "read")),
            "rows": np.full(len(drops) * len(DAILY_FILES), n, dtype="int64"),
            "note": _strs(np.full(len(drops) * len(DAILY_FILES), "")),
        }
    )
    rejected = pd.DataFrame({c: pd.Series(dtype=d) for c, d in INTERIM_TABLES["rejected"].items()})
    tables = {
        "companies": companies,
        "status_history": status,
        "board_roles": pd.concat([board, card], ignore_index=True),
        "tax_debts": debts,
        "tax_debt_lists": lists,
        "annual_reports": reports,
        "tax_payments": payments,
        "defaults": defaults,
        "shareholdings": holdings,
        "rulings": rulings,
        "rejected": rejected,
        "ingest_files": files,
        "ingest_log": log,
    }
    extra = set(tables) ^ set(INTERIM_TABLES)
    assert not extra, f"tables outside the schema or missing: {sorted(extra)}"
    for name, schema in INTERIM_TABLES.items():  # the schema's columns, none to drop
        odd = set(tables[name]) ^ set(schema)
        assert not odd, f"{name}: columns {sorted(odd)} differ from the schema"
    return check_tables(tables)


DAILY_FILES = {
    "basic": F.RIK_BASIC,
    "general": F.RIK_GENERAL,
    "persons": F.RIK_PERSONS,
    "tax_debtors": F.TAX_DEBTORS,
    "shareholders": F.RIK_SHAREHOLDERS,
    "rulings": F.RIK_RULINGS,
}


def _board_roles(rng, ids, registered, exit_day, drops) -> tuple[pd.DataFrame, np.ndarray]:
    """Management boards of sizes 1 (85 %), 2, 3, 4; two thirds of the seats held by one-board
    persons, the rest drawn from a pool with a heavy tail (serial directors with dozens of
    boards); one company in six also had an earlier member who left during the ten years; one
    member in twenty is a foreign natural person. Also each company's first member (who often
    owns it too)."""
    n = len(ids)
    size = rng.choice(np.array([1, 2, 3, 4]), n, p=[0.85, 0.11, 0.03, 0.01])
    company = np.repeat(np.arange(n), size)
    seats = len(company)
    serial = rng.random(seats) < 0.33
    person = np.where(serial, _heavy_tail(rng, SERIAL_POOL, seats), SERIAL_POOL + np.arange(seats))
    owner = _person_ids("h", person[np.cumsum(size) - size])
    start = np.maximum(registered[company], drops[0] - np.timedelta64(3650, "D")) + rng.integers(
        0, 400, seats
    ) * np.timedelta64(1, "D")
    end = np.where(
        np.isnat(exit_day[company]), np.datetime64("NaT"), _next_drop(drops, exit_day[company])
    )
    # earlier members who left
    left = rng.random(n) < 1 / 6
    old = np.flatnonzero(left)
    old_end = drops[rng.integers(1, len(drops), len(old))]
    old_start = np.minimum(registered[old], old_end - np.timedelta64(400, "D"))
    old_person = np.where(
        rng.random(len(old)) < 0.5,
        _heavy_tail(rng, SERIAL_POOL, len(old)),
        SERIAL_POOL + seats + np.arange(len(old)),
    )
    company = np.concatenate([company, old])
    person = np.concatenate([person, old_person])
    start = _dates(np.concatenate([start, old_start]))
    end = _dates(np.concatenate([end, old_end]))
    published = _next_drop(drops, np.maximum(start, drops[0]))
    end = np.where(end <= published, np.datetime64("NaT"), end)
    m = len(company)
    roles = pd.DataFrame(
        {
            "company_id": ids.to_numpy()[company],
            "person_id": _strs(_person_ids("h", person)),
            "person_type": _strs(np.where(rng.random(m) < 0.05, "foreign_natural", "natural")),
            "role": _strs(np.full(m, "JUHL")),
            "start_date": start,
            "end_date": _dates(end),
            "published_on": _dates(published),
        }
    )
    return roles, owner


def _card_roles(rng, ids, form, registered, exit_day, kind, drops) -> pd.DataFrame:
    """The card's other roles: a supervisory board of three for every AS, a procurator for 3 %
    of the business companies, two partners for every TÜ and UÜ (one in five a legal person), a
    liquidator for every liquidation (status L), for two deletions in five (in the months
    before) and for 0.2 % of the live companies, a bankruptcy trustee for every bankruptcy and
    an interim one for 0.3 % of the live companies. Liquidators and trustees are mostly
    professionals, a few of them with hundreds of companies."""
    n = len(ids)
    first, last = drops[0], drops[-1]
    day = np.timedelta64(1, "D")
    nat = np.datetime64("NaT")
    alive = np.isnat(exit_day)
    exited = ~alive
    closed = np.where(alive, nat, _next_drop(drops, exit_day)).astype("datetime64[us]")
    since = np.maximum(registered, first - np.timedelta64(3650, "D"))
    parts = []

    def add(company, person, person_type, role, start, end) -> None:
        k = len(company)
        parts.append(
            pd.DataFrame(
                {
                    "company_id": ids.to_numpy()[company],
                    "person_id": _strs(person),
                    "person_type": _strs(np.broadcast_to(person_type, k)),
                    "role": _strs(np.broadcast_to(role, k)),
                    "start_date": _dates(np.broadcast_to(start, k)),
                    "end_date": _dates(np.broadcast_to(end, k)),
                }
            )
        )

    def later(company, days):
        return since[company] + rng.integers(0, days, len(company)) * day

    c = np.repeat(np.flatnonzero(form == "AS"), 3)
    serial = rng.random(len(c)) < 0.5
    person = np.where(
        serial,
        _person_ids("h", _heavy_tail(rng, SERIAL_POOL, len(c))),
        _person_ids("s", np.arange(len(c))),
    )
    add(c, person, "natural", "N", later(c, 400), closed[c])

    c = np.flatnonzero(np.isin(form, F.BUSINESS_LEGAL_FORMS) & (rng.random(n) < 0.03))
    add(c, _person_ids("p", np.arange(len(c))), "natural", "PROK", later(c, 2000), closed[c])

    partnership = np.flatnonzero(np.isin(form, ["TÜ", "UÜ"]))
    c = np.repeat(partnership, 2)
    second = np.arange(len(c)) % 2 == 1
    legal = rng.random(len(c)) < 0.2
    person = np.where(
        legal, ids.to_numpy()[rng.integers(0, n, len(c))], _person_ids("q", np.arange(len(c)))
    )
    add(
        c,
        person,
        np.where(legal, "legal", "natural"),
        np.where(second & (form[c] == "UÜ"), "UOSAN", "TOSAN"),
        since[c],
        closed[c],
    )

    # liquidators: of the liquidations (current), of two deletions in five (ended by the
    # deletion) and of 0.2 % of the live companies (liquidation decided, not yet registered)
    liquidated = np.flatnonzero(exited & (kind == "L"))
    deleted = np.flatnonzero(exited & (kind == "K") & (rng.random(n) < 0.4))
    deciding = np.flatnonzero(alive & (rng.random(n) < 0.002))
    c = np.concatenate([liquidated, deleted, deciding])
    start = np.concatenate(
        [
            exit_day[liquidated],
            exit_day[deleted] - rng.integers(90, 400, len(deleted)) * day,
            last - rng.integers(0, 200, len(deciding)) * day,
        ]
    )
    end = np.concatenate(
        [np.full(len(liquidated), nat), closed[deleted], np.full(len(deciding), nat)]
    )
    professional = rng.random(len(c)) < 0.5
    person = np.where(
        professional,
        _person_ids("l", _heavy_tail(rng, 3000, len(c), offset=5.0)),
        _person_ids("l", 3000 + np.arange(len(c))),
    )
    add(c, person, "natural", "LIKV", start, end)

    # trustees: of every bankruptcy, and interim ones of 0.3 % of the live companies
    bankrupt = np.flatnonzero(exited & (kind == "N"))
    interim = np.flatnonzero(alive & (rng.random(n) < 0.003))
    c = np.concatenate([bankrupt, interim])
    start = np.concatenate([exit_day[bankrupt], last - rng.integers(0, 120, len(interim)) * day])
    person = _person_ids("t", _heavy_tail(rng, 150, len(c), offset=5.0))
    role = np.concatenate([np.full(len(bankrupt), "PANKR"), np.full(len(interim), "AJUTPH")])
    add(c, person, "natural", role, start, nat)

    roles = pd.concat(parts, ignore_index=True)
    published = _next_drop(drops, np.maximum(roles["start_date"].to_numpy(), first))
    roles["published_on"] = _dates(published)
    # a tenure that ended before any drop listed it was never on a card
    listed = (roles["end_date"].isna() | (roles["end_date"] > roles["published_on"])).to_numpy()
    return roles.loc[listed].reset_index(drop=True)


def _shareholdings(rng, ids, form, owner, registered, exit_day, drops) -> pd.DataFrame:
    """Holders of every OÜ and AS: 1 (68 %), 2, 3 or 4, with equal shares; the first holder is
    the company's first board member in three cases of five; of the other holders 12 % are
    Estonian legal persons (holding companies, a heavy tail: a few hold hundreds), 2 % foreign
    legal persons, the rest natural persons (a third from the serial directors). One company in
    ten also had an earlier holder who sold during the ten years."""
    n = len(ids)
    first = drops[0]
    nat = np.datetime64("NaT")
    held = np.flatnonzero(np.isin(form, ["OÜ", "AS"]))
    k = rng.choice(np.array([1, 2, 3, 4]), len(held), p=[0.68, 0.22, 0.06, 0.04])
    company = np.repeat(held, k)
    m = len(company)
    is_owner = np.zeros(m, dtype=bool)
    is_owner[np.cumsum(k) - k] = rng.random(len(held)) < 0.6
    u = rng.random(m)
    legal = ~is_owner & (u < 0.12)
    foreign = ~is_owner & (u >= 0.12) & (u < 0.14)
    serial = ~is_owner & ~legal & ~foreign & (rng.random(m) < 0.33)
    holding = ids.to_numpy()[_heavy_tail(rng, n, m, offset=5.0)]
    person = np.where(is_owner, owner[company], _person_ids("o", np.arange(m)))
    person = np.where(serial, _person_ids("h", _heavy_tail(rng, SERIAL_POOL, m)), person)
    person = np.where(legal, holding, person)
    person = np.where(foreign, _person_ids("FI-", 1_000_000 + np.arange(m)), person)
    kind = np.where(legal, "legal", np.where(foreign, "foreign_legal", "natural"))
    start = np.maximum(registered[company], first - np.timedelta64(3650, "D"))
    end = np.where(np.isnat(exit_day[company]), nat, _next_drop(drops, exit_day[company]))

    # earlier holders who sold
    old = held[rng.random(len(held)) < 0.1]
    old_end = drops[rng.integers(1, len(drops), len(old))]
    old_start = np.minimum(registered[old], old_end - np.timedelta64(400, "D"))
    old_legal = rng.random(len(old)) < 0.15
    old_person = np.where(
        old_legal,
        ids.to_numpy()[_heavy_tail(rng, n, len(old), offset=5.0)],
        _person_ids("o", m + np.arange(len(old))),
    )

    start = _dates(np.concatenate([start, old_start]))
    end = _dates(np.concatenate([end, old_end]))
    published = _next_drop(drops, np.maximum(start, first))
    frame = pd.DataFrame(
        {
            "company_id": ids.to_numpy()[np.concatenate([company, old])],
            "person_id": _strs(np.concatenate([person, old_person])),
            "person_type": _strs(np.concatenate([kind, np.where(old_legal, "legal", "natural")])),
            "share_percent": np.concatenate([np.repeat(100.0 / k, k), np.full(len(old), 50.0)]),
            "start_date": start,
            "end_date": end,
            "published_on": _dates(published),
        }
    )
    listed = np.isnat(end) | (end > published)
    return frame.loc[listed].reset_index(drop=True)


def _rulings(rng, ids, exit_day, kind, drops) -> pd.DataFrame:
    """The registrar's warnings before a compulsory deletion: for seven deletions in ten (four
    to eight months before) and for 1 % of the live companies (in the last year)."""
    n = len(ids)
    day = np.timedelta64(1, "D")
    deleted = np.flatnonzero(~np.isnat(exit_day) & (kind == "K") & (rng.random(n) < 0.7))
    warned = np.flatnonzero(np.isnat(exit_day) & (rng.random(n) < 0.01))
    c = np.concatenate([deleted, warned])
    ruling_date = _dates(
        np.concatenate(
            [
                exit_day[deleted] - rng.integers(120, 240, len(deleted)) * day,
                drops[-1] - rng.integers(0, 365, len(warned)) * day,
            ]
        )
    )
    m = len(c)
    return pd.DataFrame(
        {
            "company_id": ids.to_numpy()[c],
            "ruling_no": _strs(np.char.add("M", np.arange(m).astype("U12"))),
            "ruling_date": ruling_date,
            "kind": _strs(np.full(m, "Hoiatusmäärus")),
            "state": _strs(np.full(m, "Jõustunud")),
            "deadline": _dates(ruling_date + 60 * day),
            "published_on": _next_drop(drops, ruling_date),
        }
    )


def _tax_debts(rng, ids, seen, exit_day, drops) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly lists with ~6 % of the live companies: debt episodes of geometric length
    (mean 8 months) and growing amounts."""
    n_lists = len(drops)
    episodes = int(0.06 * len(ids) * n_lists / 8)
    company = rng.integers(0, len(ids), episodes)
    start = rng.integers(0, n_lists, episodes)
    length = rng.geometric(1 / 8, episodes)
    rows = np.repeat(np.arange(episodes), length)
    step = np.arange(len(rows)) - np.repeat(np.cumsum(length) - length, length)
    month = start[rows] + step
    keep = month < n_lists
    rows, month, step = rows[keep], month[keep], step[keep]
    c = company[rows]
    as_of = drops[month]
    alive = (as_of >= seen[c]) & (np.isnat(exit_day[c]) | (as_of < exit_day[c]))
    frame = pd.DataFrame(
        {
            "c": c[alive],
            "month": month[alive],
            "step": step[alive],
            "base": rng.lognormal(7, 1.2, episodes)[rows[alive]],
        }
    )
    frame = frame.drop_duplicates(["c", "month"])
    debt = frame["base"].to_numpy() * (1 + 0.15 * frame["step"].to_numpy())
    as_of = drops[frame["month"].to_numpy()]
    debts = pd.DataFrame(
        {
            "company_id": ids.to_numpy()[frame["c"].to_numpy()],
            "as_of": as_of,
            "debt": debt,
            "disputed": np.where(rng.random(len(frame)) < 0.05, debt * 0.3, 0.0),
            "scheduled": np.where(rng.random(len(frame)) < 0.1, debt * 0.5, 0.0),
            "schedule_end": _dates(np.full(len(frame), np.datetime64("NaT"))),
            "oldest_due": _dates(
                as_of - (frame["step"].to_numpy() * 30 + 20) * np.timedelta64(1, "D")
            ),
        }
    )
    lists = pd.DataFrame(
        {"as_of": drops, "n_debtors": np.bincount(frame["month"], minlength=len(drops))}
    )
    return debts, lists


def _reports(rng, ids, registered, exit_day, drops) -> pd.DataFrame:
    """A report for 80 % of the fiscal years 2014..2023 each company lived through, submitted
    around the June deadline (a third late); a tenth audited, a few more reviewed, and a
    going-concern doubt in a fifth of the checked reports with negative equity."""
    years = np.arange(2014, 2024)
    c = np.repeat(np.arange(len(ids)), len(years))
    year = np.tile(years, len(ids))
    year_end = _dates(pd.to_datetime([f"{y}-12-31" for y in years]))[year - years[0]]
    lived = (registered[c] <= year_end) & (np.isnat(exit_day[c]) | (exit_day[c] > year_end))
    keep = lived & (rng.random(len(c)) < 0.8)
    c, year, year_end = c[keep], year[keep], year_end[keep]
    m = len(c)
    submitted = year_end + (rng.normal(130, 90, m).astype("int64") + 30) * np.timedelta64(1, "D")
    revenue = rng.lognormal(11, 1.5, m)
    assets = rng.lognormal(10.5, 1.5, m)
    equity = assets * rng.normal(0.4, 0.4, m)
    report_id = np.arange(m).astype("U10")
    audited = rng.random(m) < 0.1
    engagement = np.where(audited, "Audit", np.where(rng.random(m) < 0.05, "Ülevaatus", ""))
    checked = engagement != ""
    category = np.select(
        [
            (assets <= 350_000) & (revenue <= 700_000),
            (assets <= 6_000_000) & (revenue <= 12_000_000),
            (assets <= 25_000_000) & (revenue <= 50_000_000),
        ],
        CATEGORIES[:3],
        CATEGORIES[3],
    )
    doubt = checked & (equity < 0) & (rng.random(m) < 0.2)
    firm = ids.to_numpy()[_heavy_tail(rng, 200, m, offset=2.0)]
    return pd.DataFrame(
        {
            "report_id": _strs(report_id),
            "filled_report_id": _strs(np.where(rng.random(m) < 0.03, report_id, "")),
            "company_id": ids.to_numpy()[c],
            "fiscal_year": year.astype("int64"),
            "period_start": _dates(year_end - np.timedelta64(364, "D")),
            "period_end": _dates(year_end),
            "submitted_on": _dates(submitted),
            "published_on": _next_drop(drops, _dates(submitted)),
            "audited": audited,
            "consolidated": np.zeros(m, bool),
            "category": _strs(category),
            "audit_engagement": _strs(engagement),
            "auditor_opinion": _strs(
                np.where(checked, np.where(rng.random(m) < 0.9, "Märkuseta", "Märkusega"), "")
            ),
            "emphasis_of_matter": _strs(
                np.where(checked & (doubt | (rng.random(m) < 0.02)), "Jah", "")
            ),
            "other_matter": _strs(np.where(checked & (rng.random(m) < 0.01), "Jah", "")),
            "going_concern": _strs(np.where(doubt, "Jah", "")),
            "audit_firm": _strs(np.where(checked, firm, "")),
            "revenue": revenue,
            "net_profit": revenue * rng.normal(0.03, 0.1, m),
            "equity": equity,
            "assets": assets,
            "current_assets": assets * 0.6,
            "current_liabilities": assets * rng.uniform(0.1, 0.8, m),
            "non_current_liabilities": assets * 0.1,
            "cash": assets * 0.2,
            "labour_expense": revenue * 0.2,
            "employees": rng.poisson(3, m).astype("float64"),
        }
    )


def _payments(rng, ids, seen, exit_day, drops) -> pd.DataFrame:
    """EMTA-quarterly taxes (quarter I = December to February) for the 55 % of companies that
    are economically active, 2015 I .. 2024 IV, each published ten days after its quarter."""
    active = np.flatnonzero(rng.random(len(ids)) < 0.55)
    quarters = [(y, q) for y in range(2015, 2025) for q in (1, 2, 3, 4)]
    periods = [F.quarter_period(y, q) for y, q in quarters]
    starts = _dates([s for s, _ in periods])
    ends = _dates([e for _, e in periods])
    c = np.repeat(active, len(quarters))
    q = np.tile(np.arange(len(quarters)), len(active))
    quarter_end = ends[q]
    lived = (seen[c] <= quarter_end) & (np.isnat(exit_day[c]) | (exit_day[c] > quarter_end))
    c, q, quarter_end = c[lived], q[lived], quarter_end[lived]
    m = len(c)
    turnover = rng.lognormal(10, 1.5, m)
    return pd.DataFrame(
        {
            "company_id": ids.to_numpy()[c],
            "year": np.array([y for y, _ in quarters], dtype="int64")[q],
            "quarter": np.array([x for _, x in quarters], dtype="int64")[q],
            "period_start": starts[q],
            "period_end": quarter_end,
            "state_taxes": turnover * 0.05,
            "labour_taxes": turnover * 0.1,
            "turnover": turnover,
            "employees": rng.poisson(3, m).astype("float64"),
            "published_on": _next_drop(drops, quarter_end + np.timedelta64(10, "D")),
        }
    )


def igraph_metrics(c, p, n_c, targets, max_component: int) -> dict[str, float]:
    """The metrics of `network_metrics` with igraph, timed part by part: PageRank and components
    on the network of the ties (only the nodes with a tie), closeness and eccentricity of the
    targets whose component holds another company and at most `max_component` nodes."""
    del n_c  # company codes without a tie are no nodes
    seconds = {}
    started = time.perf_counter()
    companies, u = np.unique(c, return_inverse=True)
    persons, v = np.unique(p, return_inverse=True)
    graph = ig.Graph(
        n=len(companies) + len(persons),
        edges=np.column_stack([u, len(companies) + v]).tolist(),
    )
    seconds["igraph_build_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    graph.pagerank(damping=0.85)
    seconds["igraph_pagerank_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    membership = np.asarray(graph.connected_components().membership)
    seconds["igraph_components_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    nodes_in = np.bincount(membership)
    companies_in = np.bincount(membership[: len(companies)], minlength=len(nodes_in))
    at = np.searchsorted(companies, targets)
    tied = (at < len(companies)) & (companies[np.minimum(at, len(companies) - 1)] == targets)
    own = membership[at[tied]]
    searched = at[tied][(companies_in[own] > 1) & (nodes_in[own] <= max_component)].tolist()
    graph.closeness(vertices=searched)
    seconds["igraph_closeness_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    graph.eccentricity(vertices=searched)
    seconds["igraph_eccentricity_seconds"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in seconds.items()}


def graph_inputs(tables, pop: pd.Index, cfg):
    """The codes `network_metrics` receives inside `graph_features`, for timing it alone: the
    current ties of `cfg.roles` among the remembered ones, coded as graph_features codes them."""
    ties = ties_at(tables["board_roles"], SNAPSHOT, cfg.roles)
    end = ties["end_date"]
    current = (end.isna() | (end > SNAPSHOT)).to_numpy(dtype=bool)
    since = SNAPSHOT - pd.DateOffset(years=cfg.memory_years)
    remembered = current | (end > since).to_numpy(dtype=bool)
    pairs = ties.loc[remembered, ["company_id", "person_id"]].assign(current=current[remembered])
    pairs = pairs.groupby(["company_id", "person_id"], as_index=False, sort=True)["current"].max()
    codes, uniques = pd.factorize(
        pd.concat([pd.Series(pop), pairs["company_id"]]).to_numpy(), sort=True
    )
    p, persons = pd.factorize(pairs["person_id"].to_numpy(), sort=True)
    cur = pairs["current"].to_numpy(dtype=bool)
    c = codes[len(pop) :]
    return c[cur], p[cur], len(uniques), len(persons), codes[: len(pop)]


def snapshot_steps(tables, t: pd.Timestamp, cfg, figures: dict) -> pd.Index:
    """The steps of `features.build._snapshot` one by one, each called as the stage calls it,
    timed; the population at t."""
    drops = drop_dates(tables)
    # the facts shared between the families, derived once per snapshot
    with measure(figures, "shared_facts"):
        known_on = default_known_on(tables["defaults"], tables["status_history"])
        cutoff = pd.Timestamp(drops[np.searchsorted(drops, np.datetime64(t), side="right") - 1])
        debtors = debtors_at(tables["tax_debts"], tables["tax_debt_lists"], cutoff)
    with measure(figures, "population"):
        pop = population(tables["status_history"], tables["companies"], t)
    with measure(figures, "graph_family"):
        graph_features(
            tables["board_roles"],
            pop,
            t,
            defaulted_by(known_on, t),
            debtors,
            cfg.graph,
            shareholdings=tables["shareholdings"],
            status_history=tables["status_history"],
        )
    with measure(figures, "tax_family"):
        tax_features(
            tables["tax_debts"], tables["tax_debt_lists"], tables["tax_payments"], pop, t, cutoff
        )
    with measure(figures, "descriptive_family"):
        descriptive_features(tables["companies"], tables["annual_reports"], pop, t, cfg)
    return pop


def default_world_build(figures: dict, root: Path) -> None:
    """synth -> ingest on the default world (as `company-risk synth` and `company-risk ingest`
    do), then time the full training build (as `company-risk features` does)."""
    from company_risk.features.tables import load_interim
    from company_risk.ingest import ingest_drops
    from company_risk.synth.drops import write_drops
    from company_risk.synth.simulate import simulate

    params = load_params(Path("params.yaml"))
    with measure(figures, "default_world_synth"):
        world = simulate(params.synth)
        written = write_drops(world, root / "raw")
    with measure(figures, "default_world_ingest"):
        ingest_drops(root / "raw", root / "interim", params.ingest)
    with measure(figures, "default_world_training_build"):
        tables = load_interim(root / "interim")
        dates = training_snapshot_dates(tables, params.features)
        table = build_features(tables, dates, params.features)
    figures["default_world_companies"] = params.synth.n_companies
    figures["default_world_drops"] = len(written)
    figures["default_world_snapshots"] = len(dates)
    figures["default_world_rows"] = len(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--companies", type=int, default=380_000, help="active companies, of every legal form"
    )
    parser.add_argument(
        "--default-world", action="store_true", help="also time a full training build"
    )
    args = parser.parse_args()
    cfg = load_params(Path("params.yaml")).features
    figures: dict = {"active_companies_target": args.companies, "snapshot": str(SNAPSHOT.date())}

    with measure(figures, "generate"):
        tables = estonia_tables(args.companies)
    for name in INTERIM_TABLES:
        if name not in ("rejected", "ingest_files", "ingest_log"):
            figures[f"rows_{name}"] = len(tables[name])
    roles = tables["board_roles"]["role"]
    figures["rows_board_roles_management"] = int(roles.isin(F.BOARD_ROLES).sum())

    with measure(figures, "one_snapshot"):
        out = build_features(tables, [SNAPSHOT.date()], cfg, with_label=False)
    figures["population"] = len(out)
    figures["board_size_median"] = float(out["graph__board_size"].median())
    figures["debtor_share"] = round(float((out["tax__debt"] > 0).mean()), 4)
    figures["closeness_computed_share"] = round(float(out["graph__closeness"].notna().mean()), 4)
    figures["largest_component_companies"] = int(out["graph__component_companies"].max())
    figures["legal_links_share"] = round(float((out["graph__legal_links"] > 0).mean()), 4)
    figures["liquidator_wound_up_share"] = round(
        float((out["graph__liquidator_wound_up"] > 0).mean()), 4
    )

    pop = snapshot_steps(tables, SNAPSHOT, cfg, figures)

    c, p, n_c, n_p, targets = graph_inputs(tables, pop, cfg.graph)
    figures["graph_nodes"] = int(len(np.unique(c)) + len(np.unique(p)))
    figures["graph_edges"] = int(len(c))
    # network_metrics with no component small enough to search (max 1 node) is its SciPy part
    # alone (PageRank, components); with the configured maximum NetworkX's breadth-first
    # searches (closeness and eccentricity in the small components) come on top
    for part, settings in (
        (
            "scipy_pagerank_components",
            dataclasses.replace(cfg.graph, max_component_for_closeness=1),
        ),
        ("networkx_metrics", cfg.graph),
    ):
        with measure(figures, part):
            network_metrics(c, p, n_c, n_p, targets, settings)
    figures["networkx_searches_seconds"] = round(
        figures["networkx_metrics_seconds"] - figures["scipy_pagerank_components_seconds"], 2
    )
    with measure(figures, "igraph_metrics"):
        figures.update(igraph_metrics(c, p, n_c, targets, cfg.graph.max_component_for_closeness))
    figures["networkx_to_igraph_ratio"] = round(
        figures["networkx_metrics_seconds"] / max(figures["igraph_metrics_seconds"], 0.01), 1
    )

    if args.default_world:
        with tempfile.TemporaryDirectory() as tmp:
            default_world_build(figures, Path(tmp))
    record("features", figures)


if __name__ == "__main__":
    main()
