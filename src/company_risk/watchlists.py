"""Watchlists: the companies a credit manager follows, and what they want to hear about them.

A watchlist is a monitoring subscription: registry codes, the alert kinds wanted (none named:
all of them), optional rules on score changes, and optionally a webhook the server POSTs each
new day's alerts to. The record and its checks live here, on the ground floor, because three
parts read it: the API (`company_risk.serve`) that stores and edits it, the server's webhook
delivery, and the daily job's digests (`company_risk.scoring`). The store that keeps it is
`company_risk.store`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from company_risk.errors import CompanyRiskError
from company_risk.schemas import REGISTRY_CODE, RISK_CLASSES

# the alerts the rules act on: changes of the score itself, not of the register's facts
SCORE_KINDS = ("class_worse", "class_better", "probability_jump")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # also a digest's file name: no path
MAX_CODES = 100_000  # companies on one watchlist


class WatchlistError(CompanyRiskError, ValueError):
    """A watchlist (its name, codes, webhook or rules) that cannot be stored as given."""


@dataclass(frozen=True)
class WatchlistRules:
    """Rules on score changes; a rule left None does not apply.

    `min_class_drop`: a `class_worse` alert only when the class falls by at least this many
    classes; `class_at_least`: ... only when it enters this class or a worse one;
    `probability_at_least`: a score alert only when the new probability is at or above this.
    """

    min_class_drop: int | None = None
    class_at_least: str | None = None
    probability_at_least: float | None = None

    def __post_init__(self) -> None:
        drop = self.min_class_drop
        if drop is not None and (isinstance(drop, bool) or not isinstance(drop, int) or drop < 1):
            raise WatchlistError(f"rules.min_class_drop: {drop!r} is not a whole number >= 1")
        if self.class_at_least is not None and self.class_at_least not in RISK_CLASSES:
            raise WatchlistError(
                f"rules.class_at_least: {self.class_at_least!r} is not one of "
                f"{', '.join(RISK_CLASSES)}"
            )
        p = self.probability_at_least
        if p is not None and (
            isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p < 1
        ):
            raise WatchlistError(f"rules.probability_at_least: {p!r} is not in (0, 1)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_class_drop": self.min_class_drop,
            "class_at_least": self.class_at_least,
            "probability_at_least": self.probability_at_least,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> WatchlistRules:
        data = dict(data or {})
        unknown = set(data) - {"min_class_drop", "class_at_least", "probability_at_least"}
        if unknown:
            raise WatchlistError(f"rules: unknown key(s) {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass(frozen=True)
class Watchlist:
    name: str
    codes: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # alert kinds wanted; empty: every kind
    webhook_url: str | None = None
    rules: WatchlistRules = field(default_factory=WatchlistRules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "codes": list(self.codes),
            "kinds": list(self.kinds),
            "webhook_url": self.webhook_url,
            "rules": self.rules.to_dict(),
        }


def check_name(name: str, what: str = "watchlist name") -> str:
    """A name that is safe as a store key and as a file name (a digest's)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise WatchlistError(
            f"{what} {name!r}: 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


def check_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Sorted unique 8-digit registry codes; the first bad one is named with its position."""
    seen = set()
    for position, code in enumerate(codes):
        if not isinstance(code, str) or not REGISTRY_CODE.fullmatch(code):
            raise WatchlistError(f"codes[{position}]: {code!r} is not an 8-digit registry code")
        seen.add(code)
    if len(seen) > MAX_CODES:
        raise WatchlistError(f"codes: {len(seen)} companies; a watchlist holds at most {MAX_CODES}")
    return tuple(sorted(seen))


def check_kinds(kinds: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    known = tuple(known)
    out = []
    for kind in kinds:
        if kind not in known:
            raise WatchlistError(f"kinds: {kind!r} is not an alert kind ({', '.join(known)})")
        if kind not in out:
            out.append(kind)
    return tuple(out)


def check_webhook_url(url: str | None) -> str | None:
    """An absolute http(s) URL with a host, or None. Where the URL points is checked by the
    server, which alone knows its own address (company_risk.serve.webhooks)."""
    if url is None:
        return None
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise WatchlistError(f"webhook_url {url!r}: expected an http:// or https:// URL")
    if parts.username or parts.password:
        raise WatchlistError("webhook_url: credentials in the URL are not accepted")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise WatchlistError(f"webhook_url {url!r}: {exc}") from None
    return url


def make_watchlist(
    name: str,
    codes: Iterable[str],
    known_kinds: Iterable[str],
    kinds: Iterable[str] = (),
    webhook_url: str | None = None,
    rules: Mapping[str, Any] | None = None,
) -> Watchlist:
    """A checked Watchlist; a WatchlistError names the first bad field."""
    return Watchlist(
        name=check_name(name),
        codes=check_codes(codes),
        kinds=check_kinds(kinds, known_kinds),
        webhook_url=check_webhook_url(webhook_url),
        rules=WatchlistRules.from_dict(rules),
    )


def select_alerts(alerts: pd.DataFrame, watchlist: Watchlist) -> pd.DataFrame:
    """The rows of `alerts` (company_risk.scoring.alerts.ALERT_COLUMNS, plus `probability`, the
    company's probability that day, "" when it was not scored) this watchlist gets: its
    companies, its kinds, and the score-change alerts (`SCORE_KINDS`) its rules let through.

    The rules only narrow score-change alerts, every set rule must hold: a `class_worse` falls
    by at least `min_class_drop` classes and ends in `class_at_least` or worse (a
    `class_better` never meets either), and the probability is at or above
    `probability_at_least`. Register events (a new tax debt, a status change) always pass.
    Alerts read back from alerts.csv may carry numbers where text was written (a company_id,
    a probability): they are compared as text and as numbers alike; a frame without the
    `probability` column (an alerts.csv written before it) has no score alert that meets
    `probability_at_least`.
    """
    mask = np.array(alerts["company_id"].astype("str").isin(watchlist.codes), dtype=bool)
    if watchlist.kinds:
        mask &= alerts["kind"].isin(watchlist.kinds).to_numpy()
    out = alerts.loc[mask]
    rules = watchlist.rules
    register_event = ~out["kind"].isin(SCORE_KINDS).to_numpy()
    keep = np.ones(len(out), dtype=bool)
    order = {c: float(i) for i, c in enumerate(RISK_CLASSES)}
    if rules.min_class_drop is not None or rules.class_at_least is not None:
        before = out["before"].astype("str").map(order).astype("float64").to_numpy()
        after = out["after"].astype("str").map(order).astype("float64").to_numpy()
        fits = np.array(out["kind"].eq("class_worse"), dtype=bool)
        if rules.min_class_drop is not None:
            fits &= (after - before) >= rules.min_class_drop
        if rules.class_at_least is not None:
            fits &= after >= order[rules.class_at_least]
        keep &= fits | register_event
    if rules.probability_at_least is not None:
        column = out["probability"] if "probability" in out else pd.Series(np.nan, out.index)
        probability = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()
        keep &= (probability >= rules.probability_at_least) | register_event
    return out.loc[keep].reset_index(drop=True)
