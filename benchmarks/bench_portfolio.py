"""Benchmark: the portfolio of a large ledger over an Estonia-scale scored day.

A ledger of 100,000 open invoices (`--invoices`) of 30,000 customers (`--customers`) is valued
with a scored partition of 380,000 companies (`--companies`): 98 % of the customers scored,
the rest companies that left the register, non-profits and codes the register never had; 1 %
of the rows bad (codes, amounts, dates, duplicates). The ledger is the sample writer's export
(`;`, decimal comma, thousands grouped, `DD.MM.YYYY`, Estonian header, BOM), the parser's
slowest path. The partition and the history tables that the customers outside it are looked
up in are drawn directly (not simulated: at this size synth -> ingest -> score would dominate),
at about the sizes a year of collected Estonian drops gives (every table of
company_risk.schemas). Times one `value_ledger` run (parse, read the day's scores, the
statuses from the history tables, the figures, and the four files) with its parts; figures
go to `reports/benchmarks.json` (section `portfolio`).

Run from the project root: `.venv/bin/python benchmarks/bench_portfolio.py [--companies N]
[--invoices N] [--customers N] [--out FILE]`. Pin to two cores with `taskset -c 0,1` to
reproduce the target machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from results import measure, record

from company_risk.artifacts import interim_table
from company_risk.config import load_params
from company_risk.portfolio.example import ledger_csv
from company_risk.portfolio.run import value_ledger
from company_risk.schemas import INTERIM_TABLES, RISK_CLASSES
from company_risk.scoring.partition import write_partition

DAY = dt.date(2025, 10, 3)
ESTONIA = 380_000
LEFT, NON_PROFITS = 40_000, 30_000  # companies on the history beside the scored ones
DEBTORS, DEBT_LISTS = 20_000, 100  # debtors on each list; lists on the history
# rows per table beyond the companies themselves at Estonia scale (about a year of collected
# drops), scaled with --companies
ROWS = {
    "board_roles": 1_000_000,
    "annual_reports": 1_600_000,
    "tax_payments": 3_000_000,
    "defaults": 40_000,
    "shareholdings": 500_000,
    "rulings": 50_000,
    "rejected": 1_000,
    "ingest_files": 3_000,
}
BAD_SHARE = 0.01


def codes(n: int, start: int) -> np.ndarray:
    return np.array([str(start + 7 * i) for i in range(n)], dtype=object)


def scored_day(scored: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The partition's scores: the columns scoring writes that the portfolio reads, and a few
    text columns so the file has the day's size."""
    n = len(scored)
    p = np.clip(rng.beta(0.6, 12, n), 1e-4, 0.99)
    klass = np.searchsorted([0.02, 0.05, 0.10, 0.25], p, side="right")
    limit = np.where(klass >= 3, 0.0, np.round(rng.lognormal(8, 1.2, n)))
    return pd.DataFrame(
        {
            "company_id": scored,
            "probability": p,
            "pd_3m": p * 0.2,
            "pd_6m": p * 0.45,
            "pd_9m": p * 0.72,
            "risk_class": np.asarray(RISK_CLASSES)[klass],
            "class_name": "class",
            "policy": "monitoring; repeat invoice; reminder",
            "recommendation": np.where(
                rng.random(n) < 0.1,
                "no recommendation",
                np.where(klass >= 3, "no credit sale", "credit"),
            ),
            "credit_limit": np.where(rng.random(n) < 0.2, np.nan, limit),
            "name": [f"Ettevõte {i} OÜ" for i in range(n)],
            "reason_1": "tax debt 4,210 € for 95 days",
            "reason_2": "annual report 2024 not filed",
            "reason_3": "board members: 1",
        }
    )


def history_tables(
    scored: np.ndarray, left: np.ndarray, non_profits: np.ndarray, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Every interim table with its schema: one company version and one status per company
    (R for the scored and the non-profits; K, N or L for those that left), `DEBT_LISTS` debtor
    lists of `DEBTORS` companies each, the other tables at the sizes of `ROWS` with companies
    drawn from all of them."""
    every = np.concatenate([scored, left, non_profits])
    n = len(every)
    has_left = np.repeat([False, True, False], [len(scored), len(left), len(non_profits)])
    is_non_profit = np.repeat([False, False, True], [len(scored), len(left), len(non_profits)])
    scale = len(scored) / ESTONIA
    debtors = min(int(DEBTORS * scale) + 1, n)
    sizes = {name: int(rows * scale) + 1 for name, rows in ROWS.items()}
    sizes |= {"tax_debt_lists": DEBT_LISTS, "tax_debts": DEBT_LISTS * debtors}
    start = pd.Timestamp("2015-01-01")

    def column(dtype: str, rows: int):
        if dtype == "str":
            return np.full(rows, "x", dtype=object)
        if dtype.startswith("datetime64"):
            return (start + pd.to_timedelta(rng.integers(0, 3900, rows), unit="D")).astype(dtype)
        if dtype == "bool":
            return np.zeros(rows, dtype=bool)
        if dtype == "int64":
            return rng.integers(2018, 2025, rows)
        return rng.random(rows) * 1e5

    tables = {}
    for name, schema in INTERIM_TABLES.items():
        rows = n if name in ("companies", "status_history") else sizes.get(name, 30)
        table = pd.DataFrame({c: column(t, rows) for c, t in schema.items()})
        if "company_id" in schema:
            table["company_id"] = every if rows == n else every[rng.integers(0, n, rows)]
        tables[name] = table
    companies = tables["companies"]
    companies["valid_from"] = start
    companies["valid_to"] = pd.NaT
    companies["first_registered"] = start - pd.to_timedelta(rng.integers(0, 6000, n), unit="D")
    companies["name"] = [f"Ettevõte {i}" for i in range(n)]
    companies["legal_form_code"] = np.where(is_non_profit, "MTÜ", "OÜ")
    status = tables["status_history"]
    status["status"] = np.where(has_left, rng.choice(["K", "N", "L"], n, p=[0.8, 0.1, 0.1]), "R")
    status["valid_from"] = status["published_on"] = start
    status["valid_to"] = pd.NaT
    lists = tables["tax_debt_lists"]
    lists["as_of"] = pd.Timestamp(DAY) - pd.to_timedelta(np.arange(DEBT_LISTS), unit="D")
    debts = tables["tax_debts"]
    debts["as_of"] = np.repeat(lists["as_of"].to_numpy(), debtors)
    debts["company_id"] = np.concatenate(
        [every[rng.choice(n, debtors, replace=False)] for _ in range(DEBT_LISTS)]
    )
    return {name: t.astype(INTERIM_TABLES[name]) for name, t in tables.items()}


def ledger(
    scored: np.ndarray,
    left: np.ndarray,
    non_profits: np.ndarray,
    invoices: int,
    customers: int,
    rng: np.random.Generator,
) -> bytes:
    """The ledger in the sample writer's Estonian export, with `BAD_SHARE` of its rows bad."""
    outside = customers // 50
    chosen = np.concatenate(
        [
            rng.choice(scored, customers - outside, replace=False),
            rng.choice(left, outside // 2, replace=False),
            rng.choice(non_profits, outside // 4, replace=False),
            codes(outside - outside // 2 - outside // 4, 90_000_000),
        ]
    )
    customer = chosen[rng.integers(0, len(chosen), invoices)]
    due = pd.Timestamp(DAY) + pd.to_timedelta(rng.integers(-150, 60, invoices), unit="D")
    amount = np.round(rng.lognormal(7, 1.1, invoices), 2)
    table = pd.DataFrame(
        {
            "registry_code": customer.astype(str),
            "invoice": [f"A{i:07d}" for i in range(invoices)],
            "amount": amount,
            "currency": np.where(rng.random(invoices) < 0.03, "USD", "EUR"),
            "issue_date": due - pd.Timedelta(days=14),
            "due_date": due,
            "paid": np.where(rng.random(invoices) < 0.1, np.round(amount * 0.3, 2), 0.0),
        }
    )
    text = ledger_csv(table).decode("utf-8-sig").split("\n")
    bad = rng.choice(np.arange(1, invoices + 1), int(invoices * BAD_SHARE), replace=False)
    kinds = np.resize(["code", "amount", "date", "duplicate"], len(bad))
    for i, kind in zip(bad[bad > 1], kinds[bad > 1], strict=True):
        cells = text[i].split(";")
        if kind == "code":
            cells[0] = cells[0][:7]
        elif kind == "amount":
            cells[2] = "12x"
        elif kind == "date":
            cells[5] = "31.02.2025"
        else:  # the first invoice's customer and number again
            cells[:2] = text[1].split(";")[:2]
        text[i] = ";".join(cells)
    return "\n".join(text).encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=380_000, help="scored companies")
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument(
        "--params", type=Path, default=Path("params.yaml"), help="portfolio.eur_rates: USD"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/benchmarks.json"),
        help="JSON file the figures are merged into (section `portfolio`)",
    )
    args = parser.parse_args()
    params = load_params(args.params)
    rng = np.random.default_rng(0)
    figures: dict = {
        "scored_companies": args.companies,
        "invoices": args.invoices,
        "customers": args.customers,
    }
    work = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
    try:
        started = time.perf_counter()
        scored = codes(args.companies, 10_000_000)
        left = codes(LEFT, 14_000_000)
        non_profits = codes(NON_PROFITS, 80_000_000)
        scores = scored_day(scored, rng)
        write_partition(work / "scores", DAY, scores, pd.DataFrame({"company_id": []}), {})
        (work / "interim").mkdir()
        for name, table in history_tables(scored, left, non_profits, rng).items():
            table.to_parquet(interim_table(work / "interim", name), index=False)
        path = work / "ledger.csv"
        path.write_bytes(ledger(scored, left, non_profits, args.invoices, args.customers, rng))
        figures["ledger_mb"] = round(path.stat().st_size / 1e6, 1)
        figures["setup_seconds"] = round(time.perf_counter() - started, 1)
        with measure(figures, "portfolio"):
            run = value_ledger(path, work / "scores", work / "interim", DAY, work / "out", params)
        figures["parts_seconds"] = run.timings_s
        totals = run.portfolio.totals
        figures["open_invoices"] = totals["invoices"]
        figures["bad_rows"] = totals["bad_rows"]
        figures["customers_outside_the_day"] = int(
            (~run.portfolio.invoices["risk_class"].isin(RISK_CLASSES))
            .groupby(run.portfolio.invoices["registry_code"])
            .first()
            .sum()
        )
        figures["outputs_mb"] = round(sum(p.stat().st_size for p in run.written) / 1e6, 1)
        figures["target"] = {"seconds": 10}
        figures["within_target"] = figures["portfolio_seconds"] <= 10
        figures["day"] = DAY.isoformat()
    finally:
        shutil.rmtree(work)
    record("portfolio", figures, args.out)


if __name__ == "__main__":
    main()
