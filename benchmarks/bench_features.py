"""Benchmark: features for one snapshot at Estonia scale, and a full training build.

Generates interim history tables of national size directly (no simulation): ~380,000 active
companies plus ~60,000 that exited over ten years of monthly drops, ~450,000 current board
roles (median board size 1, a heavy tail of serial directors), ~6 % of companies on each
monthly tax-debtor list, yearly annual reports and quarterly tax payments. Then it times

- `build_features` for one snapshot (scoring mode): wall time and peak memory;
- the graph family alone, and inside it the network metrics (PageRank, components,
  closeness) with NetworkX and, for comparison, the same metrics with igraph (compiled);
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

from company_risk.config import load_params
from company_risk.features.build import build_features, training_snapshot_dates
from company_risk.features.graph import board_ties, graph_features, network_metrics
from company_risk.features.labels import default_known_on, defaulted_by
from company_risk.features.population import population
from company_risk.features.tax import debtors_at
from company_risk.schemas import INTERIM_TABLES

SNAPSHOT = pd.Timestamp("2025-01-01")
SECTORS = np.array(list("ACFGHIJKLMNS"))
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
FORMS = np.array(["Osaühing", "Osaühing", "Osaühing", "Aktsiaselts", "Mittetulundusühing"])


def _dates(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[us]")


def _next_drop(drops: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The first drop on or after each day (the last drop for days after it)."""
    i = np.searchsorted(drops, days, side="left")
    return drops[np.minimum(i, len(drops) - 1)]


def estonia_tables(n_active: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Interim tables at national scale with realistic shapes (not a causal simulation)."""
    rng = np.random.default_rng(seed)
    drops = _dates(pd.date_range("2015-01-01", SNAPSHOT, freq="MS"))
    first, last = drops[0], drops[-1]
    n = int(n_active * 1.16)  # those that exited during the ten years come on top
    ids = pd.Series([f"{10000000 + 7 * i}" for i in range(n)], dtype="str")
    day = np.timedelta64(1, "D").astype("timedelta64[us]")

    inside = rng.random(n) < 0.25
    registered = np.where(
        inside,
        first + rng.integers(0, (last - first) // day, n) * day,
        first - rng.integers(30, 30 * 365, n) * day,
    ).astype("datetime64[us]")
    seen = _next_drop(drops, np.maximum(registered, first))
    exits = rng.random(n) < (n - n_active) / n
    exit_day = (seen + (rng.random(n) * ((last - seen) // day)).astype("int64") * day).astype(
        "datetime64[us]"
    )
    exit_day = np.where(exits & (exit_day > seen), exit_day, np.datetime64("NaT"))
    exited = ~np.isnat(exit_day)
    kind = rng.choice(np.array(["N", "K", "L"]), n, p=[0.15, 0.7, 0.15])

    status = pd.DataFrame(
        {
            "company_id": pd.concat([ids, ids[exited]], ignore_index=True),
            "status": pd.Series(np.concatenate([np.full(n, "R"), kind[exited]]), dtype="str"),
            "valid_from": _dates(np.concatenate([registered, exit_day[exited]])),
            "valid_to": _dates(
                np.concatenate([exit_day, np.full(exited.sum(), np.datetime64("NaT"))])
            ),
            "published_on": _dates(np.concatenate([seen, _next_drop(drops, exit_day[exited])])),
        }
    )
    failed = exited & (kind != "L")
    defaults = pd.DataFrame(
        {
            "company_id": ids[failed].reset_index(drop=True),
            "default_date": _dates(exit_day[failed]),
            "kind": pd.Series(np.where(kind[failed] == "N", "bankrupt", "deleted"), dtype="str"),
        }
    )

    # SCD2: a quarter of the companies change VAT registration or capital once
    vat = rng.random(n) < 0.4
    changes = rng.random(n) < 0.25
    change_day = drops[rng.integers(0, len(drops), n)]
    changes &= change_day > seen
    end_first = np.where(
        changes, change_day, np.where(exited, _next_drop(drops, exit_day), np.datetime64("NaT"))
    )
    sector = rng.integers(0, len(SECTORS), n)

    def versions(mask, valid_from, valid_to, has_vat, capital):
        m = int(mask.sum())
        return pd.DataFrame(
            {
                "company_id": ids[mask].reset_index(drop=True),
                "valid_from": _dates(valid_from[mask]),
                "valid_to": _dates(valid_to[mask]),
                "name": pd.Series(np.full(m, "Firma OÜ"), dtype="str"),
                "legal_form": pd.Series(FORMS[rng.integers(0, len(FORMS), m)], dtype="str"),
                "legal_form_subtype": pd.Series(np.full(m, ""), dtype="str"),
                "vat_number": pd.Series(np.where(has_vat[mask], "EE100000000", ""), dtype="str"),
                "first_registered": _dates(registered[mask]),
                "ehak_code": pd.Series(np.full(m, "0784"), dtype="str"),
                "county": pd.Series(COUNTIES[rng.integers(0, len(COUNTIES), m)], dtype="str"),
                "emtak_code": pd.Series(np.full(m, "47111"), dtype="str"),
                "sector": pd.Series(SECTORS[sector[mask]], dtype="str"),
                "capital": capital[mask],
            }
        )

    capital = rng.choice(np.array([2500.0, 2556.0, 25000.0, 0.0]), n, p=[0.6, 0.2, 0.1, 0.1])
    end_second = np.where(exited, _next_drop(drops, exit_day), np.datetime64("NaT")).astype(
        "datetime64[us]"
    )
    companies = pd.concat(
        [
            versions(
                np.ones(n, bool), seen, end_first.astype("datetime64[us]"), vat & ~changes, capital
            ),
            versions(changes, change_day, end_second, vat | (rng.random(n) < 0.5), capital * 2),
        ],
        ignore_index=True,
    )

    roles = _board_roles(rng, ids, registered, exit_day, drops)
    debts, lists = _tax_debts(rng, ids, seen, exit_day, drops)
    reports = _reports(rng, ids, registered, exit_day, drops)
    payments = _payments(rng, ids, seen, exit_day, drops)
    log = pd.DataFrame(
        {
            "drop_date": drops,
            "checksum": pd.Series(np.full(len(drops), "0" * 64), dtype="str"),
            "files": pd.Series(np.full(len(drops), "all"), dtype="str"),
            "n_companies": np.full(len(drops), n, dtype="int64"),
        }
    )
    tables = {
        "companies": companies,
        "status_history": status,
        "board_roles": roles,
        "tax_debts": debts,
        "tax_debt_lists": lists,
        "annual_reports": reports,
        "tax_payments": payments,
        "defaults": defaults,
        "ingest_log": log,
    }
    return {
        name: tables[name][list(schema)].astype(schema) for name, schema in INTERIM_TABLES.items()
    }


def _board_roles(rng, ids, registered, exit_day, drops) -> pd.DataFrame:
    """Board sizes 1 (85 %), 2, 3, 4; two thirds of the seats held by one-board persons, the rest
    drawn from a pool with a heavy tail (serial directors with dozens of boards); one company in
    six also had an earlier member who left during the ten years."""
    n = len(ids)
    size = rng.choice(np.array([1, 2, 3, 4]), n, p=[0.85, 0.11, 0.03, 0.01])
    company = np.repeat(np.arange(n), size)
    seats = len(company)
    pool = 60_000
    weights = 1.0 / (np.arange(pool) + 20.0) ** 1.1
    serial = rng.random(seats) < 0.33
    person = np.where(
        serial, rng.choice(pool, seats, p=weights / weights.sum()), pool + np.arange(seats)
    )
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
        rng.choice(pool, len(old), p=weights / weights.sum()),
        pool + seats + np.arange(len(old)),
    )
    company = np.concatenate([company, old])
    person = np.concatenate([person, old_person])
    start = _dates(np.concatenate([start, old_start]))
    end = _dates(np.concatenate([end, old_end]))
    published = _next_drop(drops, np.maximum(start, drops[0]))
    end = np.where(end <= published, np.datetime64("NaT"), end)
    person_ids = pd.Series(np.char.add("h", person.astype("U12")), dtype="str")
    return pd.DataFrame(
        {
            "company_id": ids.to_numpy()[company],
            "person_id": person_ids,
            "person_type": pd.Series(np.full(len(company), "F"), dtype="str"),
            "role": pd.Series(np.full(len(company), "JUHL"), dtype="str"),
            "start_date": start,
            "end_date": _dates(end),
            "published_on": _dates(published),
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
    around the June deadline (a third late)."""
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
    return pd.DataFrame(
        {
            "report_id": pd.Series(np.arange(m).astype("U10"), dtype="str"),
            "company_id": ids.to_numpy()[c],
            "fiscal_year": year.astype("int64"),
            "period_start": _dates(year_end - np.timedelta64(364, "D")),
            "period_end": _dates(year_end),
            "submitted_on": _dates(submitted),
            "published_on": _next_drop(drops, _dates(submitted)),
            "audited": rng.random(m) < 0.1,
            "consolidated": np.zeros(m, bool),
            "revenue": revenue,
            "net_profit": revenue * rng.normal(0.03, 0.1, m),
            "equity": assets * rng.normal(0.4, 0.4, m),
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
    """Quarterly taxes for the 55 % of companies that are economically active."""
    active = np.flatnonzero(rng.random(len(ids)) < 0.55)
    quarters = np.arange(2015 * 4, 2024 * 4 + 3)  # 2015Q1 .. 2024Q3
    c = np.repeat(active, len(quarters))
    q = np.tile(quarters, len(active))
    quarter_end = _dates(
        pd.to_datetime([f"{x // 4}-{3 * (x % 4) + 1:02d}-01" for x in quarters])
        + pd.offsets.MonthEnd(2)
    )[q - quarters[0]]
    lived = (seen[c] <= quarter_end) & (np.isnat(exit_day[c]) | (exit_day[c] > quarter_end))
    c, q, quarter_end = c[lived], q[lived], quarter_end[lived]
    m = len(c)
    turnover = rng.lognormal(10, 1.5, m)
    return pd.DataFrame(
        {
            "company_id": ids.to_numpy()[c],
            "year": (q // 4).astype("int64"),
            "quarter": (q % 4 + 1).astype("int64"),
            "state_taxes": turnover * 0.05,
            "labour_taxes": turnover * 0.1,
            "turnover": turnover,
            "employees": rng.poisson(3, m).astype("float64"),
            "published_on": _next_drop(drops, quarter_end + np.timedelta64(10, "D")),
        }
    )


def igraph_metrics(c, p, n_c, targets, max_component: int) -> dict[str, float]:
    """The same PageRank, components and closeness with igraph, timed part by part."""
    seconds = {}
    started = time.perf_counter()
    companies = np.union1d(targets, c)
    persons, person_code = np.unique(p, return_inverse=True)
    # vertices: company codes 0..n_c-1 (unused codes stay isolated and are dropped below)
    graph = ig.Graph(n=n_c + len(persons), edges=np.column_stack([c, n_c + person_code]).tolist())
    unused = np.setdiff1d(np.arange(n_c), companies)
    graph.delete_vertices(unused.tolist())
    seconds["igraph_build_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    graph.pagerank(damping=0.85)
    seconds["igraph_pagerank_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    membership = np.asarray(graph.connected_components().membership)
    seconds["igraph_components_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    sizes = np.bincount(membership)
    target_vertex = np.searchsorted(companies, targets)
    small = target_vertex[sizes[membership[target_vertex]] <= max_component]
    graph.closeness(vertices=small.tolist())
    seconds["igraph_closeness_seconds"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in seconds.items()}


def graph_inputs(tables):
    """The codes network_metrics receives inside graph_features, for timing it alone."""
    ties = board_ties(tables["board_roles"], SNAPSHOT)
    current = ties.loc[
        ties["end_date"].isna() | (ties["end_date"] > SNAPSHOT), ["company_id", "person_id"]
    ]
    current = current.drop_duplicates()
    pop = population(tables["status_history"], SNAPSHOT)
    codes, uniques = pd.factorize(
        pd.concat([pd.Series(pop), current["company_id"]]).to_numpy(), sort=True
    )
    p, persons = pd.factorize(current["person_id"].to_numpy(), sort=True)
    return codes[len(pop) :], p, len(uniques), len(persons), codes[: len(pop)]


def default_world_build(figures: dict, root: Path) -> None:
    """synth -> ingest on the default world, then time the full training build."""
    from company_risk.features.tables import load_interim
    from company_risk.ingest import ingest_drops
    from company_risk.synth.drops import write_drops
    from company_risk.synth.simulate import simulate

    params = load_params(Path("params.yaml"))
    world = simulate(params.synth)
    write_drops(world, root / "raw")
    ingest_drops(root / "raw", root / "interim", params.ingest)
    tables = load_interim(root / "interim")
    with measure(figures, "default_world_training_build"):
        dates = training_snapshot_dates(tables, params.features)
        table = build_features(tables, dates, params.features)
    figures["default_world_snapshots"] = len(dates)
    figures["default_world_rows"] = len(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=380_000, help="active companies")
    parser.add_argument(
        "--default-world", action="store_true", help="also time a full training build"
    )
    args = parser.parse_args()
    cfg = load_params(Path("params.yaml")).features
    figures: dict = {"active_companies_target": args.companies, "snapshot": str(SNAPSHOT.date())}

    with measure(figures, "generate"):
        tables = estonia_tables(args.companies)
    for name in ("companies", "board_roles", "tax_debts", "annual_reports", "tax_payments"):
        figures[f"rows_{name}"] = len(tables[name])

    with measure(figures, "one_snapshot"):
        out = build_features(tables, [SNAPSHOT.date()], cfg, with_label=False)
    figures["population"] = len(out)
    figures["board_size_median"] = float(out["graph__board_size"].median())
    figures["debtor_share"] = round(float((out["tax__debt"] > 0).mean()), 4)
    figures["closeness_computed_share"] = round(float(out["graph__closeness"].notna().mean()), 4)
    figures["largest_component_companies"] = int(out["graph__component_companies"].max())

    pop = population(tables["status_history"], SNAPSHOT)
    known = default_known_on(tables["defaults"], tables["status_history"])
    debtors = debtors_at(tables["tax_debts"], tables["tax_debt_lists"], SNAPSHOT)
    with measure(figures, "graph_family"):
        graph_features(
            tables["board_roles"], pop, SNAPSHOT, defaulted_by(known, SNAPSHOT), debtors, cfg.graph
        )

    c, p, n_c, n_p, targets = graph_inputs(tables)
    figures["graph_nodes"] = int(len(np.union1d(targets, c)) + len(np.unique(p)))
    figures["graph_edges"] = int(len(c))
    for part, settings in (
        ("networkx_pagerank_components", dataclasses.replace(cfg.graph, closeness=False)),
        ("networkx_metrics", cfg.graph),
    ):
        with measure(figures, part):
            network_metrics(c, p, n_c, n_p, targets, settings)
    # closeness is the difference of the two runs above, too small here to separate from
    # their noise: only components of at most max_component_for_closeness nodes get it
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
