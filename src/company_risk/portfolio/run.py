"""The portfolio at the I/O edge: read the ledger and the scored day, build, write the outputs.

`value_ledger` reads like a table of contents, one timed step per part (the benchmark reports
them): `read_ledger` (parse), `read_day_scores`, `outside_statuses` (the history tables, only
for the customers the day does not score), `build_portfolio` (the pure figures) and
`write_outputs` (each file atomically). `write_example` writes the sample ledger of
`--example` from the same inputs. The CLI calls these two; an API calls `parse_ledger` and
`build_portfolio` itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from company_risk.artifacts import (
    EXAMPLE_LEDGER,
    PORTFOLIO_BAD_ROWS,
    PORTFOLIO_INVOICES,
    PORTFOLIO_INVOICES_PARQUET,
    PORTFOLIO_PAGE,
    list_partitions,
    read_scores,
    scores_columns,
)
from company_risk.atomic import atomic_path, write_parquet, write_text
from company_risk.config import Params
from company_risk.portfolio import PortfolioError
from company_risk.portfolio.customers import (
    STATUS_COLUMNS,
    customer_statuses,
    read_customer_history,
)
from company_risk.portfolio.example import example_ledger, ledger_csv
from company_risk.portfolio.figures import SCORE_COLUMNS, Portfolio, build_portfolio
from company_risk.portfolio.ledger import Ledger, faults_table, read_ledger
from company_risk.portfolio.page import render_page
from company_risk.schemas import horizon_probability
from company_risk.stagelog import Stopwatch

log = logging.getLogger("company_risk.portfolio")

SHOWN_ERRORS = 20  # bad rows named one by one in the log (bad_rows.csv has them all)


@dataclass(frozen=True)
class PortfolioRun:
    portfolio: Portfolio
    written: tuple[Path, ...]
    # seconds per part: parse, scores, statuses, figures, write_csv, write_parquet, write_html
    timings_s: dict[str, float]


def scored_day(scores: Path, date: dt.date | None) -> dt.date:
    """`date` when it is a complete partition under `scores`, or the newest one when None; a
    PortfolioError naming what there is otherwise."""
    days = list_partitions(scores)
    if not days:
        raise PortfolioError(f"no scored day in {scores}: run `company-risk score` first")
    if date is None:
        return days[-1]
    if date not in days:
        raise PortfolioError(
            f"{date} is not a scored day in {scores} (scored: {days[0]} .. {days[-1]}, "
            f"{len(days)} day(s))"
        )
    return date


def read_day_scores(scores: Path, date: dt.date, horizons: tuple[int, ...]) -> pd.DataFrame:
    """The columns the portfolio reads of a scored day: `figures.SCORE_COLUMNS` and the
    `pd_<h>m` of the shorter horizons the day has (features.horizons_months)."""
    present = set(scores_columns(scores, date))
    terms = [horizon_probability(h) for h in horizons if horizon_probability(h) in present]
    return read_scores(scores, date, columns=[*SCORE_COLUMNS, *terms])


def outside_statuses(
    interim: Path, ledger: Ledger, scores: pd.DataFrame, date: dt.date, params: Params
) -> pd.DataFrame:
    """The register's status at D of the ledger's customers the day does not score (none:
    the history tables are not read)."""
    customers = pd.Index(ledger.rows["registry_code"].unique())
    outside = sorted(customers[pd.Index(scores["company_id"]).get_indexer(customers) < 0])
    if not outside:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in STATUS_COLUMNS.items()},
            index=pd.Index([], dtype="str", name="company_id"),
        )
    return customer_statuses(read_customer_history(interim, outside), date, params.features)


def value_ledger(
    ledger_path: Path, scores: Path, interim: Path, date: dt.date, out: Path, params: Params
) -> PortfolioRun:
    """The portfolio of the ledger at `ledger_path` on the scored day `date`, written to
    `out`."""
    timings: dict[str, float] = {}
    clock = Stopwatch(timings)
    cfg = params.portfolio
    with clock("parse"):
        ledger = read_ledger(ledger_path, cfg)
    _log_ledger(ledger)
    with clock("scores"):
        day = read_day_scores(scores, date, params.features.horizons_months[:-1])
    log.info("read the scores of %s: %d companies", date, len(day))
    with clock("statuses"):
        statuses = outside_statuses(interim, ledger, day, date, params)
    log.info("read the register's status of %d customer(s) the day does not score", len(statuses))
    with clock("figures"):
        portfolio = build_portfolio(
            ledger, day, statuses, date, cfg, horizon_months=params.features.horizon_months
        )
    written = write_outputs(portfolio, out, cfg.table_rows, clock)
    return PortfolioRun(portfolio, tuple(written), dict(timings))


def write_example(scores: Path, interim: Path, date: dt.date, out: Path, params: Params) -> Path:
    """Write the sample ledger of the scored day `date` to `out/example_ledger.csv`."""
    day = read_scores(scores, date, columns=["company_id", "risk_class", "credit_limit"])
    statuses = customer_statuses(read_customer_history(interim, None), date, params.features)
    ledger = example_ledger(day, statuses, date, params.portfolio)
    target = out / EXAMPLE_LEDGER
    with atomic_path(target) as tmp:
        tmp.write_bytes(ledger_csv(ledger))
    log.info(
        "wrote the sample ledger %s: %d invoices of %d customers",
        target,
        len(ledger),
        ledger["registry_code"].nunique(),
    )
    return target


def write_outputs(
    portfolio: Portfolio, out: Path, table_rows: int, clock: Stopwatch | None = None
) -> list[Path]:
    """portfolio.html, portfolio.csv, portfolio.parquet and bad_rows.csv in `out`, each
    atomically (a file written before, with nothing to say now, is rewritten empty)."""
    clock = clock or Stopwatch({})
    out = Path(out)
    with clock("write_csv"):
        csv = out / PORTFOLIO_INVOICES
        with atomic_path(csv) as tmp:
            portfolio.invoices.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")
        bad = out / PORTFOLIO_BAD_ROWS
        with atomic_path(bad) as tmp:
            faults_table(portfolio.errors).to_csv(tmp, index=False, lineterminator="\n")
    with clock("write_parquet"):
        parquet = write_parquet(portfolio.invoices, out / PORTFOLIO_INVOICES_PARQUET)
    with clock("write_html"):
        page = write_text(render_page(portfolio, table_rows), out / PORTFOLIO_PAGE)
    return [page, csv, parquet, bad]


def _log_ledger(ledger: Ledger) -> None:
    log.info(
        "read the ledger %s: %d row(s), %d usable, %d left out",
        ledger.source,
        ledger.data_rows,
        len(ledger.rows),
        len({e.line for e in ledger.errors}),
    )
    for error in ledger.errors[:SHOWN_ERRORS]:
        log.warning("%s (left out)", error)
    if len(ledger.errors) > SHOWN_ERRORS:
        log.warning(
            "… and %d more fault(s), all in %s",
            len(ledger.errors) - SHOWN_ERRORS,
            PORTFOLIO_BAD_ROWS,
        )
