"""Alerts: every change the register published about a company, and every move of its score,
since the previous scored day.

One row per event (`ALERT_COLUMNS`: company_id, date, kind, before, after, detail, probability),
so a credit department can filter by kind and a watchlist keep its own customers
(`company_risk.watchlists.select_alerts`). Two sources, both point-in-time (only facts published
by D count):

- the previous partition (what users saw on that day) against today's scores and facts: the
  score (class, probability), tax debt, overdue reports, the status of a company that left the
  population, and the register's description (name, address, legal form, capital, VAT, main
  activity);
- what the history tables say the drops dated (previous day, D] published: board members added
  or removed, liquidators and trustees appointed, annual reports submitted, the registrar's
  rulings; one alert per published fact, however many drops came between two scored days.

A previous partition written before a compared column existed cannot say what changed: the kinds
that need it are skipped that day, with one log line, and every other kind goes out. On the first
day scored with a new model version the score alerts are held back (`hold_back_score_alerts`):
a model switch moves many scores at once, and that is no news about the companies.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.config import ScoringConfig
from company_risk.formats import ROLE_FAMILIES
from company_risk.schemas import RISK_CLASSES
from company_risk.scoring.facts import REGISTER_FACTS
from company_risk.watchlists import SCORE_KINDS

log = logging.getLogger("company_risk.score")

ALERT_COLUMNS = ("company_id", "date", "kind", "before", "after", "detail", "probability")
# every alert kind and what it means, in the order a company's alerts are listed
KIND_MEANINGS = {
    "class_worse": "the risk class got worse",
    "class_better": "the risk class got better",
    "probability_jump": "the 12-month probability moved by more than `scoring.alert_jump`",
    "status_change": "left the active register: in liquidation (L), bankrupt (N) or deleted (K)",
    "liquidator_appointed": "a liquidator was entered on the registry card",
    "trustee_appointed": "a trustee in bankruptcy (or an interim one) was entered on the card",
    "ruling_published": "the registrar published a ruling (a warning, a deletion ruling, ...)",
    "tax_debt_new": "on the tax-debtor list, with no listed debt the previous day",
    "tax_debt_grown": "the listed tax debt grew (by `scoring.alert_debt_growth` and `alert_debt_growth_eur` at least)",
    "tax_debt_cleared": "off the tax-debtor list: the listed debt is paid or gone",
    "report_overdue": "an annual report is past its deadline and not filed",
    "report_submitted": "a new annual report was published",
    "board_added": "a management-board member was added",
    "board_removed": "a management-board member left",
    "name_changed": "the business name changed",
    "address_changed": "the registered address moved to another administrative unit or county",
    "legal_form_changed": "the legal form changed (e.g. OÜ to AS)",
    "capital_changed": "the share capital changed",
    "vat_added": "registered for VAT",
    "vat_removed": "the VAT registration ended",
    "activity_changed": "the main activity (NACE code) changed",
}
KINDS = tuple(KIND_MEANINGS)
# the previous partition's columns each compared kind needs (published kinds need none)
COMPARED: dict[str, tuple[str, ...]] = {
    "class_worse": ("risk_class",),
    "class_better": ("risk_class",),
    "probability_jump": ("probability",),
    "tax_debt_new": ("tax_debt",),
    "tax_debt_grown": ("tax_debt",),
    "tax_debt_cleared": ("tax_debt",),
    "report_overdue": ("overdue_report_year",),
    "board_added": ("board_size",),
    "board_removed": ("board_size",),
    "name_changed": ("name",),
    "address_changed": ("ehak_code", "county"),
    "legal_form_changed": ("legal_form",),
    "capital_changed": ("capital",),
    "vat_added": ("vat_number",),
    "vat_removed": ("vat_number",),
    "activity_changed": ("nace_code",),
}
# columns a partition must carry for the next day's alerts
NEEDED = ("company_id", *dict.fromkeys(c for columns in COMPARED.values() for c in columns))
APPOINTED = {"liquidator_appointed": "liquidator", "trustee_appointed": "trustee"}
_STATUS_WORDS = {"R": "registered", "L": "in liquidation", "N": "bankrupt", "K": "deleted"}


@dataclass(frozen=True)
class AlertDay:
    """A day's alerts for every company, before a `--watchlist` narrows the partition's: those
    that go out, the score alerts held back on a model switch and why, and who each alerted
    company is (`companies`: index company_id, name, risk_class "" when not scored that day)."""

    sent: pd.DataFrame
    held_back: pd.DataFrame
    held_back_reason: str | None
    companies: pd.DataFrame


def build_alerts(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    facts: pd.DataFrame,
    board: pd.DataFrame,
    date: dt.date,
    cfg: ScoringConfig,
    published: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Events between the previous partition and today's scores.

    previous: the previous partition's rows (columns `NEEDED`, or fewer when it was written
    before some existed); current: today's scores; facts: today's `company_facts` for every
    known company (the status and description of those that left the population); board:
    `board_changes` since the previous partition's date; published: `published_events` since
    then (none when not given). Sorted by company, then kind order.
    """
    skipped = [k for k, columns in COMPARED.items() if not set(columns) <= set(previous.columns)]
    if skipped:
        lacking = sorted({c for k in skipped for c in COMPARED[k]} - set(previous.columns))
        log.warning(
            "alerts of %s: the previous partition has no %s (written before it existed): %s "
            "not compared today",
            date,
            ", ".join(lacking),
            ", ".join(skipped),
        )
    scored = [c for c in NEEDED if c in previous.columns and c in current.columns]
    both = previous[scored].merge(
        current[scored], on="company_id", suffixes=("_before", "_after"), validate="1:1"
    )
    described = ["company_id", *(c for c in REGISTER_FACTS if c in previous.columns)]
    register = previous[described].merge(
        facts[described[1:]],
        left_on="company_id",
        right_index=True,
        suffixes=("_before", "_after"),
        validate="1:1",
    )
    comparisons = (
        (("class_worse", "class_better"), lambda: _class_moves(both)),
        (("probability_jump",), lambda: _jumps(both, cfg.alert_jump)),
        (("tax_debt_new", "tax_debt_grown", "tax_debt_cleared"), lambda: _tax(both, cfg)),
        (("report_overdue",), lambda: _reports(both)),
        (("board_added", "board_removed"), lambda: _board(board, previous, current, facts)),
        (("name_changed",), lambda: _text_change(register, "name", "name_changed", "name")),
        (("address_changed",), lambda: _address(register)),
        (
            ("legal_form_changed",),
            lambda: _text_change(register, "legal_form", "legal_form_changed", "legal form"),
        ),
        (("capital_changed",), lambda: _capital(register)),
        (("vat_added", "vat_removed"), lambda: _vat(register)),
        (
            ("activity_changed",),
            lambda: _text_change(
                register, "nace_code", "activity_changed", "main activity", prefix="NACE "
            ),
        ),
    )
    events = [make() for kinds, make in comparisons if not set(kinds) & set(skipped)]
    events.append(_status(previous, current, facts))
    if published is not None:
        watched = pd.Index(previous["company_id"]).union(pd.Index(current["company_id"]))
        events.append(published.loc[published["company_id"].isin(watched)])
    nonempty = [e for e in events if len(e)]
    out = pd.concat(nonempty, ignore_index=True) if nonempty else _empty()
    out["date"] = pd.Timestamp(date).date().isoformat()
    probability = current.set_index(current["company_id"].astype("str"))["probability"]
    scored = probability.reindex(out["company_id"])
    out["probability"] = scored.map(repr).where(scored.notna(), "").to_numpy()
    out["kind_order"] = pd.Categorical(out["kind"], categories=KINDS, ordered=True)
    out = out.sort_values(["company_id", "kind_order", "before", "after"], kind="stable")
    return out[list(ALERT_COLUMNS)].reset_index(drop=True).astype("str")


def published_events(
    tables: dict[str, pd.DataFrame], since: dt.date, until: dt.date
) -> pd.DataFrame:
    """What the drops dated (since, until] published, as alert rows (company_id, kind, before,
    after, detail): liquidators and trustees appointed (`formats.ROLE_FAMILIES`), annual
    reports that became public (submitted and published by `until`, not both by `since`), and
    the registrar's rulings. Persons are never named.

    The reports and rulings files may be collected later than the other files (an optional or
    periodic input): the day a table first fills, its whole past arrives at once, which is no
    news; such a table gives no alert that day (one log line)."""
    a, b = pd.Timestamp(since), pd.Timestamp(until)
    roles = tables["board_roles"]
    new_roles = roles.loc[(roles["published_on"] > a) & (roles["published_on"] <= b)]
    parts = [_appointed(new_roles, kind, family) for kind, family in APPOINTED.items()]
    reports, rulings = tables["annual_reports"], tables["rulings"]
    if _collected_before(reports, "annual reports", a, b):
        parts.append(_submitted(reports.loc[_public(reports, b) & ~_public(reports, a)]))
    if _collected_before(rulings, "rulings", a, b):
        parts.append(
            _rulings(rulings.loc[(rulings["published_on"] > a) & (rulings["published_on"] <= b)])
        )
    return pd.concat(parts, ignore_index=True)


def hold_back_reason(previous_model: dict | None, model: dict) -> str | None:
    """Why the score alerts are held back today: the previous partition's manifest names
    another model (`previous_model`, its "model" record; None when unknown) than today's
    (`model`: name, version). None when the model is the same or the previous one unknown."""
    if not previous_model or previous_model.get("version") in (None, ""):
        return None
    before = (str(previous_model.get("name", model["name"])), str(previous_model["version"]))
    today = (str(model["name"]), str(model["version"]))
    if before == today:
        return None
    if before[0] == today[0]:
        return f"first day scored with model version {today[1]} (previous day: {before[1]})"
    return (
        f"first day scored with model {today[0]} version {today[1]} (previous day: "
        f"{before[0]} version {before[1]})"
    )


def hold_back_score_alerts(
    alerts: pd.DataFrame, reason: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(alerts that go out, score alerts held back): with a `reason` (`hold_back_reason`) every
    score-change alert (`watchlists.SCORE_KINDS`) is held back and the register's events still
    go out; without one nothing is held back."""
    held = alerts["kind"].isin(SCORE_KINDS) if reason else pd.Series(False, index=alerts.index)
    return alerts.loc[~held].reset_index(drop=True), alerts.loc[held].reset_index(drop=True)


def alerted_companies(
    alerts: pd.DataFrame, scores: pd.DataFrame, facts: pd.DataFrame
) -> pd.DataFrame:
    """Who each company of `alerts` is: index company_id, name (the register's, at D) and
    risk_class ("" when it was not scored that day)."""
    ids = pd.Index(alerts["company_id"].unique(), name="company_id")
    classes = scores.set_index(scores["company_id"].astype("str"))["risk_class"]
    return pd.DataFrame(
        {
            "name": facts["name"].reindex(ids).fillna("").astype("str"),
            "risk_class": classes.reindex(ids).fillna("").astype("str"),
        },
        index=ids,
    )


def on_watchlist(alerts: pd.DataFrame, codes: frozenset[str] | None) -> pd.DataFrame:
    """The alerts of the companies in `codes` (every alert when None)."""
    if codes is None:
        return alerts
    return alerts.loc[alerts["company_id"].isin(codes)].reset_index(drop=True)


# ------------------------------------------------------------------------------ internals
def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in ALERT_COLUMNS})


def _rows(ids, kind: str, before, after, detail) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": np.asarray(ids, dtype=object),
            "kind": kind,
            "before": np.asarray(before, dtype=object),
            "after": np.asarray(after, dtype=object),
            "detail": np.asarray(detail, dtype=object),
        }
    )


def _class_moves(both: pd.DataFrame) -> pd.DataFrame:
    order = pd.Index(RISK_CLASSES)
    b = order.get_indexer(both["risk_class_before"])
    a = order.get_indexer(both["risk_class_after"])
    parts = []
    for kind, mask, word in (("class_worse", a > b, "worse"), ("class_better", a < b, "better")):
        sel = both.loc[mask]
        detail = (
            "risk class "
            + sel["risk_class_before"]
            + " -> "
            + sel["risk_class_after"]
            + f" ({word})"
        )
        parts.append(
            _rows(
                sel["company_id"], kind, sel["risk_class_before"], sel["risk_class_after"], detail
            )
        )
    return pd.concat(parts, ignore_index=True)


def _fmt(values: pd.Series, pattern: str) -> pd.Series:
    """Format numbers as str (also when empty, where .map alone would give floats)."""
    return values.map(pattern.format).astype("str")


def _pct(p: pd.Series) -> pd.Series:
    return _fmt(p * 100, "{:.1f} %")


def _jumps(both: pd.DataFrame, jump: float) -> pd.DataFrame:
    delta = both["probability_after"] - both["probability_before"]
    sel = both.loc[delta.abs() > jump]
    d = delta.loc[sel.index] * 100
    detail = (
        "probability " + _pct(sel["probability_before"]) + " -> " + _pct(sel["probability_after"])
    )
    detail = detail + " (" + _fmt(d, "{:+.1f}") + " points)"
    return _rows(
        sel["company_id"],
        "probability_jump",
        _fmt(sel["probability_before"], "{:.4f}"),
        _fmt(sel["probability_after"], "{:.4f}"),
        detail,
    )


def _money(v: pd.Series) -> pd.Series:
    return _fmt(v, "{:,.0f}")


def _tax(both: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    b, a = both["tax_debt_before"].fillna(0), both["tax_debt_after"].fillna(0)
    new = both.loc[(b <= 0) & (a > 0)]
    growth = a - b
    grown = both.loc[
        (b > 0)
        & (growth >= cfg.alert_debt_growth * b)
        & (growth >= max(cfg.alert_debt_growth_eur, 0.5))
    ]
    cleared = both.loc[(b > 0) & (a <= 0)]
    return pd.concat(
        [
            _rows(
                new["company_id"],
                "tax_debt_new",
                "0",
                _money(new["tax_debt_after"]),
                "new tax debt " + _money(new["tax_debt_after"]) + " €",
            ),
            _rows(
                grown["company_id"],
                "tax_debt_grown",
                _money(grown["tax_debt_before"]),
                _money(grown["tax_debt_after"]),
                "tax debt grew from "
                + _money(grown["tax_debt_before"])
                + " € to "
                + _money(grown["tax_debt_after"])
                + " €",
            ),
            _rows(
                cleared["company_id"],
                "tax_debt_cleared",
                _money(cleared["tax_debt_before"]),
                "0",
                "tax debt of " + _money(cleared["tax_debt_before"]) + " € cleared",
            ),
        ],
        ignore_index=True,
    )


def _reports(both: pd.DataFrame) -> pd.DataFrame:
    b, a = both["overdue_report_year_before"], both["overdue_report_year_after"]
    sel = both.loc[a.notna() & (b.isna() | (a > b))]
    year = sel["overdue_report_year_after"].astype("int64").astype("str")
    before = sel["overdue_report_year_before"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    return _rows(
        sel["company_id"], "report_overdue", before, year, "annual report " + year + " not filed"
    )


def _status(previous: pd.DataFrame, current: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Companies scored yesterday (status R) that left the active population today."""
    left = previous.loc[~previous["company_id"].isin(current["company_id"]), "company_id"]
    after = facts["status"].reindex(left.to_numpy()).fillna("K").to_numpy()
    detail = ["status registered -> " + _STATUS_WORDS.get(s, s) for s in after]
    return _rows(left, "status_change", "R", after, detail)


def _board(
    board: pd.DataFrame, previous: pd.DataFrame, current: pd.DataFrame, facts: pd.DataFrame
) -> pd.DataFrame:
    """One row per board member added or removed (unnamed), for companies scored yesterday or
    today; before/after are the board's size."""
    watched = pd.Index(previous["company_id"]).union(pd.Index(current["company_id"]))
    sel = board.loc[board["company_id"].isin(watched)]
    before = previous.set_index("company_id")["board_size"].reindex(sel["company_id"]).to_numpy()
    after = facts["board_size"].reindex(sel["company_id"]).to_numpy()
    size = lambda v: "" if pd.isna(v) else str(int(v))  # noqa: E731
    before_s = [size(v) for v in before]
    after_s = [size(v) for v in after]
    words = np.where(sel["kind"] == "board_added", "board member added", "board member removed")
    detail = [f"{w} (board of {a or 0})" for w, a in zip(words, after_s, strict=True)]
    return pd.DataFrame(
        {
            "company_id": sel["company_id"].to_numpy(dtype=object),
            "kind": sel["kind"].to_numpy(dtype=object),
            "before": np.asarray(before_s, dtype=object),
            "after": np.asarray(after_s, dtype=object),
            "detail": np.asarray(detail, dtype=object),
        }
    )


def _text_change(
    register: pd.DataFrame, column: str, kind: str, what: str, prefix: str = ""
) -> pd.DataFrame:
    """A register text that changed; a value the register did not give on one of the two days
    ("") is no change, only a gap in the data."""
    b, a = register[f"{column}_before"], register[f"{column}_after"]
    sel = register.loc[(b != "") & (a != "") & (b != a)]
    b, a = sel[f"{column}_before"], sel[f"{column}_after"]
    detail = f"{what} changed from {prefix}" + b + f" to {prefix}" + a
    return _rows(sel["company_id"], kind, b, a, detail)


def _address(register: pd.DataFrame) -> pd.DataFrame:
    """Moved to another administrative unit (EHAK code) or county; before/after name both."""

    def place(side: str) -> pd.Series:
        county, ehak = register[f"county_{side}"], register[f"ehak_code_{side}"]
        text = county.where(ehak == "", county + " (EHAK " + ehak + ")")
        return text.where(county != "", "EHAK " + ehak).where((county != "") | (ehak != ""), "")

    before, after = place("before"), place("after")
    moved = (register["ehak_code_before"] != register["ehak_code_after"]) | (
        register["county_before"] != register["county_after"]
    )
    sel = moved & (before != "") & (after != "")
    return _rows(
        register.loc[sel, "company_id"],
        "address_changed",
        before[sel],
        after[sel],
        "address moved from " + before[sel] + " to " + after[sel],
    )


def _capital(register: pd.DataFrame) -> pd.DataFrame:
    """Share capital that changed (in its currency, which the register does not always say);
    a capital not given on one of the days is no change."""
    b, a = register["capital_before"], register["capital_after"]
    sel = register.loc[b.notna() & a.notna() & ((a - b).abs() >= 0.005)]
    before, after = _fmt(sel["capital_before"], "{:,.2f}"), _fmt(sel["capital_after"], "{:,.2f}")
    before, after = before.str.removesuffix(".00"), after.str.removesuffix(".00")
    return _rows(
        sel["company_id"],
        "capital_changed",
        before,
        after,
        "share capital changed from " + before + " to " + after,
    )


def _vat(register: pd.DataFrame) -> pd.DataFrame:
    b, a = register["vat_number_before"], register["vat_number_after"]
    added, removed = register.loc[(b == "") & (a != "")], register.loc[(b != "") & (a == "")]
    return pd.concat(
        [
            _rows(
                added["company_id"],
                "vat_added",
                "",
                added["vat_number_after"],
                "registered for VAT (" + added["vat_number_after"] + ")",
            ),
            _rows(
                removed["company_id"],
                "vat_removed",
                removed["vat_number_before"],
                "",
                "VAT registration " + removed["vat_number_before"] + " ended",
            ),
        ],
        ignore_index=True,
    )


def _day(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").fillna("").astype("str")


def _appointed(roles: pd.DataFrame, kind: str, family: str) -> pd.DataFrame:
    """One row per tenure of a `family` role published in the window (the person unnamed)."""
    sel = roles.loc[roles["role"].isin(ROLE_FAMILIES[family])]
    start = _day(sel["start_date"])
    since = np.where(start != "", " (from " + start + ")", "")
    return _rows(sel["company_id"], kind, "", start, f"{family} appointed" + since)


def _public(reports: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """Reports a reader could see at t: published in a drop by t and submitted by t (as the
    facts and the features count them)."""
    return (reports["published_on"] <= t) & (reports["submitted_on"] <= t)


def _submitted(reports: pd.DataFrame) -> pd.DataFrame:
    year = reports["fiscal_year"].astype("int64").astype("str")
    return _rows(
        reports["company_id"],
        "report_submitted",
        "",
        year,
        "annual report " + year + " submitted on " + _day(reports["submitted_on"]),
    )


def _rulings(rulings: pd.DataFrame) -> pd.DataFrame:
    kind = rulings["kind"].where(rulings["kind"] != "", "ruling")
    state = np.where(rulings["state"] != "", ", " + rulings["state"], "")
    deadline = _day(rulings["deadline"])
    deadline = np.where(deadline != "", ", deadline " + deadline, "")
    detail = (
        "registrar's ruling "
        + rulings["ruling_no"]
        + " of "
        + _day(rulings["ruling_date"])
        + ": "
        + kind
        + state
        + deadline
    )
    return _rows(rulings["company_id"], "ruling_published", "", kind, detail)


def _collected_before(
    table: pd.DataFrame, what: str, since: pd.Timestamp, until: pd.Timestamp
) -> bool:
    """Whether `table` held rows published by `since`; False (logged when it fills within
    the window) for a table whose first rows came after it."""
    if (table["published_on"] <= since).any():
        return True
    if ((table["published_on"] > since) & (table["published_on"] <= until)).any():
        log.info(
            "no alert from %s first collected after %s: its whole past arrived at once",
            what,
            since.date(),
        )
    return False
