"""Benchmark: ingest one Estonia-scale daily drop on top of an existing history.

Builds a World-like set of frames at national scale directly (~380,000 companies, ~520,000
person rows, ~20,000 tax debtors; no simulation needed), writes two consecutive daily drops with
the real drop writer, ingests the first (the existing history), then times ingesting the second:
wall time and peak memory go to `reports/benchmarks.json` (section `ingest`). It also times the
default-scale case: a few thousand companies over ~145 drops, written and ingested in one run.

Run from the project root: `.venv/bin/python benchmarks/bench_ingest.py [--out DIR]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from results import measure, record

from company_risk.config import IngestConfig
from company_risk.ingest import ingest_drops
from company_risk.synth.drops import write_drops
from company_risk.synth.world import World

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


def bench_national(work: Path, figures: dict) -> None:
    days = [pd.Timestamp("2025-10-01"), pd.Timestamp("2025-10-02")]
    with measure(figures, "national_build_world"):
        world = synthetic_world(380_000, days)
    figures["national_companies"] = len(world.companies)
    with measure(figures, "national_write_2_drops"):
        write_drops(world, work / "raw")
    second = work / "raw" / "2025-10-02"
    figures["national_drop_mb"] = round(sum(p.stat().st_size for p in second.iterdir()) / 1e6, 1)
    del world
    ingest_drops(work / "raw", work / "interim", IngestConfig(), until=dt.date(2025, 10, 1))
    with measure(figures, "national_ingest_one_daily_drop"):
        result = ingest_drops(work / "raw", work / "interim", IngestConfig())
    assert result.applied == [dt.date(2025, 10, 2)], result
    log = pd.read_parquet(work / "interim" / "ingest_log.parquet")
    roles = pd.read_parquet(work / "interim" / "board_roles.parquet")
    debts = pd.read_parquet(work / "interim" / "tax_debts.parquet")
    figures["national_listed_companies"] = int(log["n_companies"].iloc[-1])
    figures["national_person_rows_open"] = int(roles["end_date"].isna().sum())
    figures["national_tax_debtors"] = int((debts["as_of"] == debts["as_of"].max()).sum())


def bench_default(work: Path, figures: dict) -> None:
    monthly = pd.date_range("2015-01-01", "2025-10-01", freq="MS")
    days = [*monthly, *pd.date_range("2025-10-02", periods=14, freq="D")]
    world = synthetic_world(4_000, [pd.Timestamp(d) for d in days])
    figures["default_drops"] = len(days)
    with measure(figures, "default_write_all_drops"):
        write_drops(world, work / "raw")
    with measure(figures, "default_ingest_all_drops"):
        ingest_drops(work / "raw", work / "interim", IngestConfig())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks.json"))
    parser.add_argument("--only", choices=("national", "default"), default=None)
    args = parser.parse_args()
    figures: dict = {}
    for name, bench in (("default", bench_default), ("national", bench_national)):
        if args.only in (None, name):
            work = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{name}-"))
            try:
                bench(work, figures)
            finally:
                shutil.rmtree(work)
    record("ingest", figures, args.out)


if __name__ == "__main__":
    main()
