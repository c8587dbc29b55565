"""The portfolio as of one scored day: every open invoice beside its customer's score, and the
figures a credit controller reads off them.

`build_portfolio(ledger, scores, statuses, date, cfg)` is the pure entry point (the CLI and an
HTTP endpoint call it alike); `Portfolio.to_dict()` is its JSON form.

- **Risk class.** A customer in the day's scores has its class I–V. The others fall into the
  buckets of what the register says at D (`statuses`, company_risk.portfolio.customers):
  "not scored" (registered, but no business company: a non-profit, a sole trader), "in
  liquidation" (L), "bankrupt" (N), "deleted" (K), and "unknown" (a code the register never
  had by D), so no invoice drops out of the totals.
- **Ageing** by days overdue at D: not due, then the buckets of `portfolio.ageing_days`.
- **Expected loss**, two ways, for scored customers only (nobody else has a probability):
  the 12-month probability of default × the open amount (the scores' `probability`), and the
  probability over the invoice's remaining term: linear in months between the term
  structure's points (0 at 0 months, `pd_3m`, `pd_6m`, `pd_9m`, `probability` at
  `horizon_months`), capped at the last. An overdue invoice has no term left but is not paid
  either: it takes the shortest horizon's figure (3 months), the time a collection takes. A
  day scored without a term structure leaves this figure empty. No recovery is assumed (a
  loss given default of 1), so both are upper figures.
- **Flags** per invoice: `over_limit` (its customer's open amount exceeds the customer's
  credit limit; a customer with "no recommendation" is listed beside them),
  `collection_unlikely` (class V, in liquidation, bankrupt or deleted) and `unknown_customer`.

An invoice paid in full (nothing open) is no exposure: it is left out and counted as settled.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from company_risk.config import PortfolioConfig
from company_risk.portfolio import PortfolioError
from company_risk.portfolio.ledger import Ledger, RowError
from company_risk.schemas import RISK_CLASSES, horizon_probability
from company_risk.scoring.credit import NO_RECOMMENDATION

# what the partition must hold for each customer (the term structure's pd_<h>m are optional)
SCORE_COLUMNS = (
    "company_id",
    "name",
    "probability",
    "risk_class",
    "class_name",
    "recommendation",
    "credit_limit",
)
NOT_SCORED, LIQUIDATION, BANKRUPT, DELETED, UNKNOWN = (
    "not scored",
    "in liquidation",
    "bankrupt",
    "deleted",
    "unknown",
)
STATUS_BUCKETS = {"R": NOT_SCORED, "L": LIQUIDATION, "N": BANKRUPT, "K": DELETED}
BUCKETS = (*RISK_CLASSES, NOT_SCORED, LIQUIDATION, BANKRUPT, DELETED, UNKNOWN)
WORST_CLASS = RISK_CLASSES[-1]
UNLIKELY_BUCKETS = (WORST_CLASS, LIQUIDATION, BANKRUPT, DELETED)
NOT_DUE = "not due"
DAYS_PER_MONTH = 365.25 / 12
_HORIZON_COLUMN = re.compile(r"pd_([1-9][0-9]*)m")

# one row per open invoice (Portfolio.invoices, portfolio.csv and portfolio.parquet)
INVOICE_COLUMNS = (
    "registry_code",
    "name",
    "risk_class",
    "class_name",
    "status",
    "probability",
    "pd_term",
    "credit_limit",
    "recommendation",
    "invoice",
    "line",
    "currency",
    "amount",
    "paid",
    "open_eur",
    "issue_date",
    "due_date",
    "days_overdue",
    "ageing",
    "expected_loss_12m",
    "expected_loss_term",
    "over_limit",
    "collection_unlikely",
    "unknown_customer",
)


def ageing_labels(ageing_days: Sequence[int]) -> tuple[str, ...]:
    """("not due", "1-30", "31-60", "61-90", "over 90") for (30, 60, 90)."""
    starts = [1, *(d + 1 for d in ageing_days[:-1])]
    spans = [f"{a}-{b}" for a, b in zip(starts, ageing_days, strict=True)]
    return (NOT_DUE, *spans, f"over {ageing_days[-1]}")


@dataclass(frozen=True)
class Portfolio:
    """The portfolio of one ledger on one scored day (see the module docstring).

    `invoices` has `INVOICE_COLUMNS`, in ledger order; the tables are what the page shows:
    `by_class` and `ageing` (index: the buckets of `BUCKETS`, every one, empty ones as 0),
    `over_limit` and `unknown` (one row per customer), `unlikely` (one row per invoice),
    `top_exposures` (the `portfolio.top_exposures` customers with the most open)."""

    date: dt.date
    source: str
    term_structure: bool  # whether the scores carried pd_<h>m (the term figure is empty if not)
    invoices: pd.DataFrame
    by_class: pd.DataFrame
    ageing: pd.DataFrame
    over_limit: pd.DataFrame
    unlikely: pd.DataFrame
    unknown: pd.DataFrame
    top_exposures: pd.DataFrame
    errors: tuple[RowError, ...]
    totals: dict[str, float | int | None]

    def to_dict(self, invoices: bool = False) -> dict[str, Any]:
        """JSON-friendly (numbers, strings, None; dates as YYYY-MM-DD): the totals and every
        table, and with `invoices` the invoice rows too."""
        out = {
            "date": self.date.isoformat(),
            "source": self.source,
            "term_structure": self.term_structure,
            "totals": {k: _plain(v) for k, v in self.totals.items()},
            "by_class": _records(self.by_class.reset_index()),
            "ageing": _records(self.ageing.reset_index()),
            "over_limit": _records(self.over_limit),
            "collection_unlikely": _records(self.unlikely),
            "unknown_customers": _records(self.unknown),
            "top_exposures": _records(self.top_exposures),
            "bad_rows": [e.to_dict() for e in self.errors],
        }
        if invoices:
            out["invoices"] = _records(self.invoices)
        return out


def build_portfolio(
    ledger: Ledger,
    scores: pd.DataFrame,
    statuses: pd.DataFrame,
    date: dt.date,
    cfg: PortfolioConfig,
    horizon_months: int = 12,
) -> Portfolio:
    """The portfolio of `ledger` as of the scored day `date`.

    `scores`: the day's partition (at least `SCORE_COLUMNS`, and the `pd_<h>m` columns of a
    term structure); `statuses`: company_id -> status, name for the customers the scores do not
    hold (company_risk.portfolio.customers.customer_statuses; a code in neither is unknown);
    `horizon_months`: the horizon of `probability` (features.horizon_months)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise PortfolioError(f"the scores of {date} lack the column(s) {', '.join(missing)}")
    horizons = sorted(
        int(m.group(1))
        for c in scores.columns
        if (m := _HORIZON_COLUMN.fullmatch(str(c))) and int(m.group(1)) < horizon_months
    )
    invoices = _invoices(ledger.rows, scores, statuses, date, cfg, horizons, horizon_months)
    customers = _customers(invoices)
    invoices["over_limit"] = invoices["registry_code"].map(customers["over_limit"]).astype(bool)
    invoices = invoices[list(INVOICE_COLUMNS)]
    labels = ageing_labels(cfg.ageing_days)
    by_class = _by_class(invoices, customers, term_structure=bool(horizons))
    ageing = (
        invoices.pivot_table(
            index="risk_class",
            columns="ageing",
            values="open_eur",
            aggfunc="sum",
            observed=False,
        )
        .reindex(index=list(BUCKETS), columns=list(labels))
        .fillna(0.0)
        .round(2)
    )
    ageing.columns.name = None
    ageing.index.name = "risk_class"
    ageing["total"] = ageing.sum(axis=1).round(2)
    total_open = float(invoices["open_eur"].sum())
    unlikely = invoices.loc[invoices["collection_unlikely"]]
    totals = {
        "invoices": len(invoices),
        "customers": len(customers),
        "open_eur": round(total_open, 2),
        "overdue_eur": round(
            float(invoices.loc[invoices["days_overdue"] > 0, "open_eur"].sum()), 2
        ),
        "expected_loss_12m": _sum(invoices["expected_loss_12m"]),
        "expected_loss_term": _sum(invoices["expected_loss_term"]),
        "scored_open_eur": round(
            float(invoices.loc[invoices["probability"].notna(), "open_eur"].sum()), 2
        ),
        "unlikely_eur": round(float(unlikely["open_eur"].sum()), 2),
        "over_limit_customers": int(customers["over_limit"].sum()),
        "no_recommendation_customers": int(customers["no_recommendation"].sum()),
        "unknown_customers": int((customers["risk_class"] == UNKNOWN).sum()),
        "settled_invoices": int((ledger.rows["open_eur"] <= 0).sum()),
        "bad_rows": len({e.line for e in ledger.errors}),
        "rows_read": ledger.data_rows,
    }
    return Portfolio(
        date=date,
        source=ledger.source,
        term_structure=bool(horizons),
        invoices=invoices,
        by_class=by_class,
        ageing=ageing,
        over_limit=_over_limit(customers),
        unlikely=_unlikely(unlikely),
        unknown=_unknown(customers),
        top_exposures=_top(customers, total_open, cfg.top_exposures),
        errors=ledger.errors,
        totals=totals,
    )


# ----------------------------------------------------------------------------- invoices
def _invoices(
    rows: pd.DataFrame,
    scores: pd.DataFrame,
    statuses: pd.DataFrame,
    date: dt.date,
    cfg: PortfolioConfig,
    horizons: list[int],
    horizon_months: int,
) -> pd.DataFrame:
    """The open invoices with their customer's score or status, ageing and expected loss."""
    rows = rows.loc[rows["open_eur"] > 0].reset_index(drop=True)
    codes = pd.Index(rows["registry_code"])
    scored = scores.set_index(scores["company_id"].astype("str"))
    if not scored.index.is_unique:
        raise PortfolioError(f"the scores of {date} list a company twice")
    score = scored.reindex(codes)
    in_scores = scored.index.get_indexer(codes) >= 0  # (a hash look-up: isin is slow on str)
    status = statuses["status"].reindex(codes).fillna("").to_numpy(dtype=object)
    status = np.where(in_scores, "R", status)
    bucket = np.where(
        in_scores,
        score["risk_class"].to_numpy(dtype=object),
        pd.Series(status).map(STATUS_BUCKETS).fillna(UNKNOWN).to_numpy(dtype=object),
    )
    name = np.where(
        in_scores,
        score["name"].to_numpy(dtype=object),
        statuses["name"].reindex(codes).fillna("").to_numpy(dtype=object),
    )
    frame = pd.DataFrame(
        {
            "registry_code": rows["registry_code"],
            "name": name,
            "risk_class": bucket,
            "class_name": score["class_name"].fillna("").to_numpy(dtype=object),
            "status": status,
            "probability": score["probability"].to_numpy(dtype=float),
            "credit_limit": score["credit_limit"].to_numpy(dtype=float),
            "recommendation": score["recommendation"].fillna("").to_numpy(dtype=object),
        }
    ).astype(
        {
            "name": "str",
            "risk_class": "str",
            "class_name": "str",
            "status": "str",
            "recommendation": "str",
        }
    )
    for column in ("invoice", "line", "currency", "amount", "paid", "open_eur"):
        frame[column] = rows[column]
    frame["issue_date"] = rows["issue_date"]
    frame["due_date"] = rows["due_date"]
    days_overdue = (pd.Timestamp(date) - rows["due_date"]).dt.days.astype("int64")
    frame["days_overdue"] = days_overdue
    frame["ageing"] = _ageing(days_overdue, cfg.ageing_days)
    if horizons:
        points = np.column_stack(
            [score[horizon_probability(h)].to_numpy(dtype=float) for h in horizons]
            + [frame["probability"].to_numpy()]
        )
        months = np.where(days_overdue > 0, horizons[0], -days_overdue.to_numpy() / DAYS_PER_MONTH)
        frame["pd_term"] = _interpolate(months, [*horizons, horizon_months], points)
    else:
        frame["pd_term"] = np.nan
    frame["expected_loss_12m"] = (frame["probability"] * frame["open_eur"]).round(2)
    frame["expected_loss_term"] = (frame["pd_term"] * frame["open_eur"]).round(2)
    frame["collection_unlikely"] = frame["risk_class"].isin(UNLIKELY_BUCKETS)
    frame["unknown_customer"] = frame["risk_class"] == UNKNOWN
    return frame


def _ageing(days_overdue: pd.Series, ageing_days: Sequence[int]) -> pd.Series:
    labels = ageing_labels(ageing_days)
    edges = [-math.inf, 0, *ageing_days, math.inf]
    return pd.cut(days_overdue, bins=edges, labels=list(labels), right=True).astype(
        pd.CategoricalDtype(list(labels), ordered=True)
    )


def _interpolate(months: np.ndarray, knots: Sequence[int], points: np.ndarray) -> np.ndarray:
    """Row by row, the value at `months` of the piecewise-linear curve through (0, 0) and
    (knots[j], points[:, j]); flat after the last knot."""
    x = np.asarray([0, *knots], dtype=float)
    y = np.column_stack([np.zeros(len(points)), points])
    m = np.clip(months, 0, x[-1])
    segment = np.clip(np.searchsorted(x, m, side="right") - 1, 0, len(x) - 2)
    rows = np.arange(len(m))
    share = (m - x[segment]) / (x[segment + 1] - x[segment])
    return y[rows, segment] + share * (y[rows, segment + 1] - y[rows, segment])


# ---------------------------------------------------------------------------- customers
def _customers(invoices: pd.DataFrame) -> pd.DataFrame:
    """One row per customer (index registry_code): its class, open amount, limit, flags."""
    grouped = invoices.groupby("registry_code", sort=True)
    first = grouped[["name", "risk_class", "probability", "credit_limit", "recommendation"]].first()
    customers = first.assign(
        invoices=grouped.size(),
        open_eur=grouped["open_eur"].sum().round(2),
        expected_loss_12m=grouped["expected_loss_12m"].sum(min_count=1).round(2),
        first_line=grouped["line"].min(),
    )
    customers["over_limit"] = customers["credit_limit"].notna() & (
        customers["open_eur"] > customers["credit_limit"]
    )
    customers["no_recommendation"] = customers["recommendation"] == NO_RECOMMENDATION
    return customers


def _by_class(
    invoices: pd.DataFrame, customers: pd.DataFrame, term_structure: bool
) -> pd.DataFrame:
    """Per bucket: customers, invoices, open amount and its share, overdue, expected loss (0
    in a class without invoices; empty outside the classes, where nobody has a probability)."""
    grouped = invoices.groupby("risk_class", sort=False)
    total = invoices["open_eur"].sum()
    table = pd.DataFrame(
        {
            "customers": customers.groupby("risk_class").size(),
            "invoices": grouped.size(),
            "open_eur": grouped["open_eur"].sum().round(2),
            "overdue_eur": invoices.loc[invoices["days_overdue"] > 0]
            .groupby("risk_class")["open_eur"]
            .sum()
            .round(2),
            "expected_loss_12m": grouped["expected_loss_12m"].sum(min_count=1).round(2),
            "expected_loss_term": grouped["expected_loss_term"].sum(min_count=1).round(2),
        }
    ).reindex(list(BUCKETS))
    counts = ["customers", "invoices", "open_eur", "overdue_eur"]
    table[counts] = table[counts].fillna(0)
    losses = (
        ["expected_loss_12m", "expected_loss_term"] if term_structure else ["expected_loss_12m"]
    )
    table.loc[list(RISK_CLASSES), losses] = table.loc[list(RISK_CLASSES), losses].fillna(0.0)
    table = table.astype({"customers": "int64", "invoices": "int64"})
    table.insert(3, "share", (table["open_eur"] / total).round(4) if total else 0.0)
    table.index.name = "risk_class"
    return table


def _over_limit(customers: pd.DataFrame) -> pd.DataFrame:
    listed = customers.loc[customers["over_limit"] | customers["no_recommendation"]].copy()
    listed["over_by"] = (listed["open_eur"] - listed["credit_limit"]).where(listed["over_limit"])
    listed["over_by"] = listed["over_by"].round(2)
    listed["reason"] = np.select(
        [
            listed["over_limit"] & listed["no_recommendation"],
            listed["over_limit"],
        ],
        ["over the limit; no recommendation", "over the limit"],
        default="no recommendation",
    )
    listed = listed.sort_values(
        ["over_by", "open_eur"], ascending=False, na_position="last", kind="stable"
    )
    columns = [
        "name",
        "risk_class",
        "open_eur",
        "credit_limit",
        "over_by",
        "recommendation",
        "reason",
    ]
    return listed[columns].reset_index()


def _unlikely(unlikely: pd.DataFrame) -> pd.DataFrame:
    why = unlikely["risk_class"].where(
        unlikely["risk_class"] != WORST_CLASS, f"class {WORST_CLASS}"
    )
    table = unlikely.assign(why=why)[
        [
            "registry_code",
            "name",
            "risk_class",
            "invoice",
            "open_eur",
            "due_date",
            "days_overdue",
            "why",
        ]
    ]
    return table.sort_values("open_eur", ascending=False, kind="stable").reset_index(drop=True)


def _unknown(customers: pd.DataFrame) -> pd.DataFrame:
    unknown = customers.loc[
        customers["risk_class"] == UNKNOWN, ["invoices", "open_eur", "first_line"]
    ]
    return unknown.sort_values("open_eur", ascending=False, kind="stable").reset_index()


def _top(customers: pd.DataFrame, total_open: float, n: int) -> pd.DataFrame:
    top = customers.sort_values(["open_eur"], ascending=False, kind="stable").head(n).copy()
    top["share"] = (top["open_eur"] / total_open).round(4) if total_open else 0.0
    columns = [
        "name",
        "risk_class",
        "probability",
        "invoices",
        "open_eur",
        "share",
        "expected_loss_12m",
        "credit_limit",
        "over_limit",
    ]
    return top[columns].reset_index()


# --------------------------------------------------------------------------------- JSON
def _sum(values: pd.Series) -> float | None:
    total = values.sum(min_count=1)
    return None if pd.isna(total) else round(float(total), 2)


def _plain(value: Any) -> Any:
    """A cell as JSON has it: None for a missing value, dates as YYYY-MM-DD, Python numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.date):
        return value.date().isoformat() if isinstance(value, pd.Timestamp) else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    return [
        {c: _plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
