"""Digests: one watchlist's changes of one day, as an email-ready page and as JSON.

The daily job writes, for every watchlist (the API's store and the `--watchlist` file),
`data/digests/date=D/<watchlist>.html` and `<watchlist>.json` (company_risk.artifacts). Both
come from one `Digest`, built here from the day's alerts for every company
(`scoring.alerts.AlertDay`) through the watchlist's own filter (`watchlists.select_alerts`: its
companies, kinds and rules), so the page, the JSON and the webhook agree on what the watchlist
gets. The page is self-contained, for a mail client: inline styles, no script, no image, no
font or stylesheet from elsewhere. Only the register's facts about companies appear; the
alerts never name a person.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import asdict, dataclass

import pandas as pd

from company_risk.scoring.alerts import KIND_MEANINGS, KINDS, AlertDay
from company_risk.watchlists import Watchlist, select_alerts


@dataclass(frozen=True)
class DigestAlert:
    kind: str
    before: str
    after: str
    detail: str  # the human sentence


@dataclass(frozen=True)
class DigestCompany:
    company_id: str
    name: str
    risk_class: str  # "" when the company was not scored that day (it left the register)
    probability: float | None  # 12 months; None when not scored that day
    alerts: tuple[DigestAlert, ...]


@dataclass(frozen=True)
class HeldBack:
    reason: str
    count: int  # this watchlist's score alerts held back


@dataclass(frozen=True)
class Digest:
    """`<watchlist>.json`, and what `<watchlist>.html` shows."""

    watchlist: str
    date: str
    model_name: str
    model_version: str
    companies_watched: int
    alerts: int
    alerts_per_kind: dict[str, int]  # in KINDS order, kinds without an alert left out
    score_alerts_held_back: HeldBack | None
    companies: tuple[DigestCompany, ...]  # by company_id, each company's alerts in KINDS order

    def to_dict(self) -> dict:
        return asdict(self)


def build_digest(watchlist: Watchlist, date: dt.date, model: dict, day: AlertDay) -> Digest:
    """The digest of `watchlist` on `date`: its alerts of `day` (`select_alerts`) grouped by
    company, counts per kind, and, when the day held back score alerts, why and how many of
    them were this watchlist's. `model` is the manifest's model record (name, version)."""
    mine = select_alerts(day.sent, watchlist)
    held = select_alerts(day.held_back, watchlist) if day.held_back_reason else None
    order = {k: i for i, k in enumerate(KINDS)}
    mine = mine.assign(_order=mine["kind"].map(order)).sort_values(
        ["company_id", "_order"], kind="stable"
    )
    counts = mine["kind"].value_counts()
    companies = []
    for company_id, rows in mine.groupby("company_id", sort=True):
        who = day.companies.loc[company_id] if company_id in day.companies.index else None
        probability = pd.to_numeric(rows["probability"].iloc[0], errors="coerce")
        companies.append(
            DigestCompany(
                company_id=str(company_id),
                name="" if who is None else str(who["name"]),
                risk_class="" if who is None else str(who["risk_class"]),
                probability=None if pd.isna(probability) else float(probability),
                alerts=tuple(
                    DigestAlert(str(r.kind), str(r.before), str(r.after), str(r.detail))
                    for r in rows.itertuples()
                ),
            )
        )
    return Digest(
        watchlist=watchlist.name,
        date=date.isoformat(),
        model_name=str(model.get("name", "")),
        model_version=str(model.get("version", "")),
        companies_watched=len(watchlist.codes),
        alerts=len(mine),
        alerts_per_kind={k: int(counts[k]) for k in KINDS if k in counts.index},
        score_alerts_held_back=None
        if held is None
        else HeldBack(str(day.held_back_reason), len(held)),
        companies=tuple(companies),
    )


def digest_json(digest: Digest) -> str:
    return json.dumps(digest.to_dict(), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------ page
_FONT = "font-family:Arial,Helvetica,sans-serif"
_BODY = f"margin:0;padding:16px;background:#ffffff;color:#1a1a1a;{_FONT};font-size:14px"
_H1 = "margin:0 0 4px 0;font-size:20px"
_H2 = "margin:20px 0 4px 0;font-size:16px"
_MUTED = "margin:0 0 12px 0;color:#555555"
_NOTE = "margin:12px 0;padding:8px 12px;background:#fff4e0;border-left:4px solid #e08a00"
_TABLE = "border-collapse:collapse;margin:8px 0"
_CELL = "padding:4px 10px;border-bottom:1px solid #dddddd;text-align:left;vertical-align:top"
_CLASS_COLOURS = {
    "I": "#2e7d32",
    "II": "#689f38",
    "III": "#f9a825",
    "IV": "#ef6c00",
    "V": "#c62828",
}


def digest_html(digest: Digest) -> str:
    """The digest as one self-contained HTML page (inline styles only, no script, no
    external resource), for an email body."""
    e = html.escape
    title = f"{digest.watchlist}: changes on {digest.date}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title></head>",
        f'<body style="{_BODY}">',
        f'<h1 style="{_H1}">Watchlist {e(digest.watchlist)}: changes on {e(digest.date)}</h1>',
        f'<p style="{_MUTED}">Scored with model {e(digest.model_name)} version '
        f"{e(digest.model_version)}; {digest.companies_watched:,} companies watched, "
        f"{digest.alerts:,} alert(s) for {len(digest.companies):,} of them.</p>",
    ]
    held = digest.score_alerts_held_back
    if held is not None:
        parts.append(
            f'<p style="{_NOTE}">Score alerts held back today ({held.count:,} for this '
            f"watchlist): {e(held.reason)}. A new model moves many scores at once; the "
            "register's events are listed as usual.</p>"
        )
    if not digest.companies:
        parts.append(f'<p style="{_MUTED}"><strong>No changes.</strong></p>')
    else:
        parts.append(_counts_table(digest))
        parts.extend(_company_block(c) for c in digest.companies)
    parts.append(
        f'<p style="{_MUTED};margin-top:24px;font-size:12px">company-risk digest from the '
        "e-Business Register's and the Tax and Customs Board's open data.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _counts_table(digest: Digest) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td style="{_CELL}"><code>{e(kind)}</code></td>'
        f'<td style="{_CELL}">{e(KIND_MEANINGS[kind])}</td>'
        f'<td style="{_CELL};text-align:right">{n:,}</td></tr>'
        for kind, n in digest.alerts_per_kind.items()
    )
    head = "".join(f'<th style="{_CELL}">{h}</th>' for h in ("Alert", "Meaning", "Count"))
    return f'<table role="presentation" style="{_TABLE}"><tr>{head}</tr>{rows}</table>'


def _company_block(company: DigestCompany) -> str:
    e = html.escape
    name = e(company.name) if company.name else "(name not on the register)"
    if company.risk_class:
        colour = _CLASS_COLOURS.get(company.risk_class, "#1a1a1a")
        score = f'risk class <strong style="color:{colour}">{e(company.risk_class)}</strong>'
        if company.probability is not None:
            score += f", 12-month probability {company.probability * 100:.1f} %"
    else:
        score = "not scored today (no longer an active company)"
    items = "".join(f'<li style="margin:2px 0">{e(a.detail)}</li>' for a in company.alerts)
    return (
        f'<h2 style="{_H2}">{name} <span style="color:#555555;font-weight:normal">'
        f"({e(company.company_id)})</span></h2>"
        f'<p style="{_MUTED};margin-bottom:4px">{score}</p>'
        f'<ul style="margin:0 0 8px 0;padding-left:20px">{items}</ul>'
    )
