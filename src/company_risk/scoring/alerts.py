"""Alerts: what changed for a company since the previous scored day.

One row per event (company_id, date, kind, before, after, detail), so a credit department can
filter by kind and a watchlist can keep only its own customers. Compared with the previous
partition (what users saw yesterday), plus the board changes the drops published in between.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from company_risk.config import ScoringConfig
from company_risk.scoring.classes import ROMAN

ALERT_COLUMNS = ("company_id", "date", "kind", "before", "after", "detail")
KINDS = (
    "class_worse",
    "class_better",
    "probability_jump",
    "tax_debt_new",
    "tax_debt_grown",
    "board_added",
    "board_removed",
    "status_change",
    "report_overdue",
)
# columns a partition must carry for the next day's alerts
NEEDED = (
    "company_id",
    "probability",
    "risk_class",
    "tax_debt",
    "board_size",
    "overdue_report_year",
)


def build_alerts(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    facts: pd.DataFrame,
    board: pd.DataFrame,
    date: dt.date,
    cfg: ScoringConfig,
) -> pd.DataFrame:
    """Events between the previous partition and today's scores.

    previous, current: partitions' rows (columns `NEEDED`); facts: today's `company_facts`
    for every known company (status of those that left the active population); board:
    `board_changes` since the previous partition's date. Sorted by company, kind order.
    """
    both = previous[list(NEEDED)].merge(
        current[list(NEEDED)], on="company_id", suffixes=("_before", "_after"), validate="1:1"
    )
    events = [
        _class_moves(both),
        _jumps(both, cfg.alert_jump),
        _tax(both),
        _reports(both),
        _status(previous, current, facts),
        _board(board, previous, current, facts),
    ]
    nonempty = [e for e in events if len(e)]
    out = pd.concat(nonempty, ignore_index=True) if nonempty else _empty()
    out["date"] = pd.Timestamp(date).date().isoformat()
    out["kind_order"] = pd.Categorical(out["kind"], categories=KINDS, ordered=True)
    out = out.sort_values(["company_id", "kind_order", "before", "after"], kind="stable")
    return out[list(ALERT_COLUMNS)].reset_index(drop=True).astype("str")


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
    order = pd.Index(ROMAN)
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


def _tax(both: pd.DataFrame) -> pd.DataFrame:
    b, a = both["tax_debt_before"].fillna(0), both["tax_debt_after"].fillna(0)
    new = both.loc[(b <= 0) & (a > 0)]
    grown = both.loc[(b > 0) & (a > b + 0.5)]
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
    words = {"R": "registered", "L": "in liquidation", "N": "bankrupt", "K": "deleted"}
    detail = ["status registered -> " + words.get(s, s) for s in after]
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
