"""A sample ledger for the scored day, so a newcomer sees the portfolio in one command.

`company-risk portfolio --example` bills a few hundred customers of the day's scores, drawn
across the risk classes with one seed (`portfolio.example_seed`): some invoices in every
ageing bucket of every class, some paid in part, some in the currencies of
`portfolio.eur_rates`, some customers over their credit limit, a customer that has left the
register (deleted, bankrupt or in liquidation at D) and two codes the register never had. It
is written as an Estonian accounting export would be (`;` between fields, decimal comma,
thousands grouped by a space, `DD.MM.YYYY`, Estonian column names, a byte-order mark), so the
one file shows the parser's every convention.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from company_risk.config import PortfolioConfig
from company_risk.portfolio.figures import ageing_labels
from company_risk.portfolio.ledger import EURO, FIELDS
from company_risk.schemas import RISK_CLASSES

# the export's column names (company_risk.portfolio.ledger.ALIASES reads them back)
ESTONIAN_HEADER = {
    "registry_code": "Registrikood",
    "invoice": "Arve nr",
    "amount": "Summa",
    "currency": "Valuuta",
    "issue_date": "Arve kuupäev",
    "due_date": "Maksetähtaeg",
    "paid": "Tasutud",
}
LEFT_STATUSES = ("K", "N", "L")  # preferred in this order for the customer that left
UNKNOWN_CODES = 2
_PAID_IN_PART = 0.15  # share of invoices partly paid
_FOREIGN = 0.05  # share of invoices in another currency (when portfolio.eur_rates has one)
_OVER_LIMIT = 0.12  # share of customers with a limit billed beyond it
_TERMS_DAYS = (7, 14, 30)
_LONGEST_OVERDUE = 150


def example_ledger(
    scores: pd.DataFrame, statuses: pd.DataFrame, date: dt.date, cfg: PortfolioConfig
) -> pd.DataFrame:
    """The sample ledger as a table (columns `ledger.FIELDS`: amounts in the invoice's currency,
    dates as dates, paid 0 when nothing is), in issue-date order with invoice numbers to match.

    `scores` is the day's partition (company_id, risk_class, credit_limit); `statuses` the
    register's status of every company known at D (portfolio.customers.customer_statuses)."""
    rng = np.random.default_rng(cfg.example_seed)
    scores = scores.sort_values("company_id", kind="stable")
    quota = math.ceil(min(cfg.example_customers, len(scores)) / len(RISK_CLASSES))
    chosen = []
    for klass in RISK_CLASSES:
        members = scores.loc[scores["risk_class"] == klass]
        picked = rng.choice(len(members), size=min(quota, len(members)), replace=False)
        chosen.append(members.iloc[np.sort(picked)])
    customers = pd.concat(chosen)[["company_id", "risk_class", "credit_limit"]]
    left = _left_customer(scores, statuses)
    unknown = _unknown_codes(rng, set(scores["company_id"]) | set(statuses.index))
    others = pd.DataFrame(
        {"company_id": [*left, *unknown], "risk_class": "", "credit_limit": np.nan}
    )
    customers = pd.concat([customers, others], ignore_index=True)

    counts = rng.integers(1, 5, size=len(customers))
    rows = customers.loc[customers.index.repeat(counts)].reset_index(drop=True)
    owner = np.repeat(np.arange(len(customers)), counts)
    amount = np.round(rng.lognormal(np.log(1200), 0.9, len(rows)), 2)
    # a customer with a credit limit is billed within it, or now and then beyond it
    limit = customers["credit_limit"].to_numpy(dtype=float)
    over = rng.random(len(customers)) < _OVER_LIMIT
    share = np.where(
        over, rng.uniform(1.3, 2.0, len(customers)), rng.uniform(0.2, 0.9, len(customers))
    )
    billed = np.bincount(owner, weights=amount, minlength=len(customers))
    scale = np.where(limit > 0, limit * share / billed, 1.0)
    amount = np.maximum(1.0, np.round(amount * scale[owner], 2))
    days_overdue = _days_overdue(rng, rows["risk_class"], cfg.ageing_days)
    due = pd.Timestamp(date) - pd.to_timedelta(days_overdue, unit="D")
    issue = due - pd.to_timedelta(rng.choice(_TERMS_DAYS, len(rows)), unit="D")
    paid = np.where(
        rng.random(len(rows)) < _PAID_IN_PART,
        np.round(amount * rng.uniform(0.1, 0.9, len(rows)), 2),
        0.0,
    )
    currency = np.full(len(rows), EURO, dtype=object)
    if cfg.eur_rates:
        foreign = rng.random(len(rows)) < _FOREIGN
        currency[foreign] = rng.choice(sorted(cfg.eur_rates), int(foreign.sum()))
    ledger = pd.DataFrame(
        {
            "registry_code": rows["company_id"].astype("str"),
            "amount": amount,
            "currency": pd.Series(currency, dtype="str"),
            "issue_date": issue.normalize(),
            "due_date": due.normalize(),
            "paid": paid,
        }
    )
    ledger = ledger.sort_values(["issue_date", "registry_code"], kind="stable").reset_index(
        drop=True
    )
    ledger.insert(1, "invoice", [f"A{date.year}-{i:05d}" for i in range(1, len(ledger) + 1)])
    return ledger[list(FIELDS)]


def ledger_csv(ledger: pd.DataFrame) -> bytes:
    """`ledger` (the columns of `example_ledger`) as an Estonian export: UTF-8 with a
    byte-order mark, `;`, decimal comma with the thousands grouped by a space, DD.MM.YYYY,
    an empty paid cell where nothing is paid."""

    def money(values: pd.Series) -> pd.Series:
        text = values.map("{:,.2f}".format)
        return text.str.replace(",", " ", regex=False).str.replace(".", ",", regex=False)

    table = pd.DataFrame(
        {
            "registry_code": ledger["registry_code"],
            "invoice": ledger["invoice"],
            "amount": money(ledger["amount"]),
            "currency": ledger["currency"],
            "issue_date": ledger["issue_date"].dt.strftime("%d.%m.%Y"),
            "due_date": ledger["due_date"].dt.strftime("%d.%m.%Y"),
            "paid": money(ledger["paid"]).where(ledger["paid"] > 0, ""),
        }
    ).rename(columns=ESTONIAN_HEADER)
    text = table.to_csv(sep=";", index=False, lineterminator="\n")
    return text.encode("utf-8-sig")


def _left_customer(scores: pd.DataFrame, statuses: pd.DataFrame) -> list[str]:
    """One business company that has left the register by D (deleted, else bankrupt, else in
    liquidation), the first by registry code; none when the history has none."""
    gone = statuses.loc[~statuses.index.isin(scores["company_id"]) & (statuses["name"] != "")]
    for status in LEFT_STATUSES:
        codes = sorted(gone.index[gone["status"] == status])
        if codes:
            return codes[:1]
    return []


def _unknown_codes(rng: np.random.Generator, known: set[str]) -> list[str]:
    """Registry-code-shaped codes the register does not hold (9xxxxxxx: no company's prefix)."""
    codes: list[str] = []
    while len(codes) < UNKNOWN_CODES:
        code = str(rng.integers(90_000_000, 100_000_000))
        if code not in known and code not in codes:
            codes.append(code)
    return codes


def _days_overdue(
    rng: np.random.Generator, risk_class: pd.Series, ageing_days: tuple[int, ...]
) -> np.ndarray:
    """Days overdue at D per invoice (negative: due in that many days). The first invoices of
    each class go one to each ageing bucket, so every class shows every bucket; the rest fall
    not due about half the time, otherwise in a random overdue bucket."""
    buckets = len(ageing_labels(ageing_days))
    lows = [-45, 1, *(d + 1 for d in ageing_days)]
    highs = [-1, *ageing_days, max(ageing_days[-1] + 1, _LONGEST_OVERDUE)]
    rank = risk_class.groupby(risk_class).cumcount().to_numpy()
    drawn = np.where(rng.random(len(rank)) < 0.5, 0, rng.integers(1, buckets, len(rank)))
    bucket = np.where(rank < buckets, rank, drawn)
    low, high = np.asarray(lows)[bucket], np.asarray(highs)[bucket]
    return rng.integers(low, high + 1)
