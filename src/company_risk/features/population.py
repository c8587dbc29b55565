"""Who is scored at t: the companies whose status at t is R (registered), as known at t.

A status fact is visible at t only if it started by t and was published by t. The current
status is the visible status that started last. `valid_to` is deliberately not used: ingest
closes an interval when the *next* status is published, so a `valid_to` <= t can be written by a
drop after t (a bankruptcy dated before t but published after it must not remove the company
from the population at t).
"""

from __future__ import annotations

import pandas as pd


def status_at(status_history: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """company_id -> status at t (str), for every company with a visible status fact."""
    s = status_history
    visible = s.loc[(s["published_on"] <= t) & (s["valid_from"] <= t)]
    visible = visible.sort_values(
        ["company_id", "valid_from", "published_on", "status"], kind="stable"
    )
    return visible.groupby("company_id", sort=True)["status"].last()


def population(status_history: pd.DataFrame, t: pd.Timestamp) -> pd.Index:
    """Sorted company_ids with status R at t (named `company_id`)."""
    status = status_at(status_history, t)
    return pd.Index(status.index[status.to_numpy() == "R"], name="company_id", dtype="str")
