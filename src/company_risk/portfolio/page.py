"""The portfolio as one self-contained HTML page: what a credit controller opens first.

Inline style, figures embedded as base64 PNG, no script, no external stylesheet, font, image
or link, so the page opens offline and can be mailed or archived as one file. Every text is
escaped. A table lists at most `portfolio.table_rows` rows and says how many more the files
hold (portfolio.csv: every invoice; bad_rows.csv: every row left out).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import pandas as pd

from company_risk.artifacts import PORTFOLIO_BAD_ROWS, PORTFOLIO_INVOICES
from company_risk.png import data_uri
from company_risk.portfolio.figures import Portfolio
from company_risk.portfolio.plots import (
    expected_loss_figure,
    open_by_class_figure,
    top_exposures_figure,
)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f2f2f2; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
p.note { color: #555; font-size: 0.9em; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
"""


def _euros(value) -> str:
    return "" if _missing(value) else f"{value:,.2f}"


def _share(value) -> str:
    return "" if _missing(value) else f"{value:.1%}"


def _probability(value) -> str:
    return "" if _missing(value) else f"{value:.2%}"


def _count(value) -> str:
    return "" if _missing(value) else f"{int(value):,}"


def _date(value) -> str:
    return "" if _missing(value) else pd.Timestamp(value).date().isoformat()


def _flag(value) -> str:
    return "yes" if bool(value) else ""


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


# how each column reads on the page: its heading and its formatter (numbers right-aligned)
_FORMATS: dict[str, tuple[str, Callable | None]] = {
    "risk_class": ("risk class", None),
    "registry_code": ("registry code", None),
    "name": ("name", None),
    "customers": ("customers", _count),
    "invoices": ("invoices", _count),
    "open_eur": ("open (EUR)", _euros),
    "share": ("share", _share),
    "overdue_eur": ("overdue (EUR)", _euros),
    "expected_loss_12m": ("expected loss, 12 months (EUR)", _euros),
    "expected_loss_term": ("expected loss, remaining term (EUR)", _euros),
    "total": ("total", _euros),
    "probability": ("PD 12 months", _probability),
    "credit_limit": ("credit limit (EUR)", _euros),
    "over_by": ("over by (EUR)", _euros),
    "over_limit": ("over limit", _flag),
    "recommendation": ("recommendation", None),
    "reason": ("why listed", None),
    "invoice": ("invoice", None),
    "due_date": ("due", _date),
    "days_overdue": ("days overdue", _count),
    "why": ("why", None),
    "first_line": ("first line", _count),
    "line": ("line", _count),
    "field": ("field", None),
    "value": ("value", None),
}


def _table(
    frame: pd.DataFrame,
    more: str = "",
    limit: int | None = None,
    others: Callable | None = None,
) -> str:
    """`frame` as an HTML table (its index too, when named), at most `limit` rows, then a note
    of how many more there are and where (`more`). A column `_FORMATS` does not name is shown
    by `others` (as text when None)."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    if frame.empty:
        return '<p class="note">None.</p>'
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{html.escape(_FORMATS.get(c, (c, None))[0])}</th>" for c in frame)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            fmt = _FORMATS[column][1] if column in _FORMATS else others
            if fmt is None:
                cells.append(f"<td>{html.escape('' if _missing(value) else str(value))}</td>")
            else:
                cells.append(f'<td class="n">{html.escape(fmt(value))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    rest = len(frame) - len(shown)
    note = f'<p class="note">… and {rest:,} more in {html.escape(more)}.</p>' if rest else ""
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{note}"


def _figure(png: bytes, caption: str) -> str:
    return (
        f'<figure><img alt="{html.escape(caption)}" src="{data_uri(png)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def render_page(portfolio: Portfolio, table_rows: int) -> str:
    """The whole page of `portfolio`; tables of invoices or customers list `table_rows` rows."""
    p, t = portfolio, portfolio.totals
    term = (
        "and over each invoice's remaining term (interpolated between the day's 3-, 6-, 9- and "
        "12-month probabilities; an overdue invoice takes the 3-month one)"
        if p.term_structure
        else "(the day's scores carry no term structure, so there is no remaining-term figure)"
    )
    summary = pd.DataFrame(
        {
            "figure": [
                "ledger",
                "rows read / left out (bad) / settled (nothing open)",
                "open invoices / customers",
                "open amount (EUR)",
                "of which overdue (EUR)",
                "of which at scored customers (EUR)",
                "expected loss, 12 months (EUR)",
                "expected loss, remaining term (EUR)",
                "collection unlikely (EUR)",
                "customers over their limit / with no recommendation",
                "customers not on the register",
            ],
            "value": [
                p.source,
                f"{t['rows_read']:,} / {t['bad_rows']:,} / {t['settled_invoices']:,}",
                f"{t['invoices']:,} / {t['customers']:,}",
                _euros(t["open_eur"]),
                _euros(t["overdue_eur"]),
                _euros(t["scored_open_eur"]),
                _euros(t["expected_loss_12m"]),
                _euros(t["expected_loss_term"]),
                _euros(t["unlikely_eur"]),
                f"{t['over_limit_customers']:,} / {t['no_recommendation_customers']:,}",
                f"{t['unknown_customers']:,}",
            ],
        }
    )
    bad = pd.DataFrame(
        [e.to_dict() for e in p.errors], columns=["line", "field", "value", "reason"]
    )
    invoices_file = f"{PORTFOLIO_INVOICES} (flag collection_unlikely)"
    sections = [
        f"<h1>Portfolio of unpaid invoices, scored day {p.date.isoformat()}</h1>",
        _table(summary),
        '<p class="note">Expected loss is the customer\'s probability of default times the '
        f"open amount, over 12 months {html.escape(term)}, with nothing recovered; only scored "
        "customers (classes I–V) have a probability. Collection is unlikely for class V and for "
        "customers in liquidation, bankrupt or deleted.</p>",
        "<h2>Open amount by risk class</h2>",
        _figure(open_by_class_figure(p.ageing), "Open amount by risk class and days overdue"),
        _table(p.by_class),
        "<h2>Ageing: open amount by days overdue</h2>",
        _table(p.ageing, others=_euros),
        "<h2>Expected loss by risk class</h2>",
        _figure(expected_loss_figure(p.by_class, p.term_structure), "Expected loss by risk class"),
        "<h2>Largest exposures</h2>",
        _figure(top_exposures_figure(p.top_exposures), "Largest exposures by open amount")
        if len(p.top_exposures)
        else "",
        _table(p.top_exposures),
        "<h2>Customers over their limit or with no recommendation</h2>",
        _table(p.over_limit, f"{PORTFOLIO_INVOICES} (flag over_limit)", table_rows),
        "<h2>Invoices unlikely to be collected</h2>",
        _table(p.unlikely, invoices_file, table_rows),
        "<h2>Customers not on the register</h2>",
        _table(p.unknown, f"{PORTFOLIO_INVOICES} (flag unknown_customer)", table_rows),
        "<h2>Rows left out of the figures</h2>",
        _table(bad, PORTFOLIO_BAD_ROWS, table_rows),
    ]
    body = "\n".join(s for s in sections if s)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Portfolio {p.date.isoformat()}</title><style>{_STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )
