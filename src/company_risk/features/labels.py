"""The 12-month default label, its shorter horizons, and what is known at t about earlier
defaults.

label(t) = 1 iff the company's default date (table `defaults`) lies in (t, t + horizon]; the
term structure's labels (`features.horizons_months`) apply the same rule to each shorter
horizon, so they are cumulative by construction: label_3m <= label_6m <= ... <= label. The
graph family also needs the opposite view: which companies had *visibly* defaulted by t, i.e.
whose defaulting status (N, or K) had been published by t, so a backdated status published after
t never leaks into a feature.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from company_risk.schemas import LABEL, horizon_label

_STATUS_OF_KIND = {"bankrupt": "N", "deleted": "K"}


def labels(
    defaults: pd.DataFrame, index: pd.Index, t: pd.Timestamp, horizon_months: int
) -> pd.Series:
    """int8 label per company of `index`: 1 iff it defaults in (t, t + horizon_months]."""
    end = t + pd.DateOffset(months=horizon_months)
    date = defaults.groupby("company_id")["default_date"].min().reindex(index)
    return ((date > t) & (date <= end)).astype("int8").rename("label")


def horizon_labels(
    defaults: pd.DataFrame, index: pd.Index, t: pd.Timestamp, horizons_months: Sequence[int]
) -> pd.DataFrame:
    """One int8 label per horizon of `horizons_months` (ascending), for each company of `index`:
    `label_<h>m` for the shorter horizons, then `label` for the last (the 12-month label)."""
    *shorter, longest = horizons_months
    columns = {horizon_label(h): labels(defaults, index, t, h) for h in shorter}
    columns[LABEL] = labels(defaults, index, t, longest)
    return pd.DataFrame(columns, index=index)


def default_known_on(defaults: pd.DataFrame, status_history: pd.DataFrame) -> pd.Series:
    """company_id -> the first day its default was both dated and published.

    That is the later of the default date and the publication of the status fact behind it (the
    N or K interval starting on the default date); a default without such a fact is known on
    its date.
    """
    d = defaults.groupby("company_id", as_index=False)[["default_date", "kind"]].first()
    d = d.assign(status=d["kind"].map(_STATUS_OF_KIND).astype("str"))
    published = status_history.groupby(["company_id", "status", "valid_from"], as_index=False)[
        "published_on"
    ].min()
    merged = d.merge(
        published,
        how="left",
        left_on=["company_id", "status", "default_date"],
        right_on=["company_id", "status", "valid_from"],
    )
    known = merged["published_on"].where(
        merged["published_on"] > merged["default_date"], merged["default_date"]
    )
    return pd.Series(
        known.to_numpy(), index=pd.Index(merged["company_id"], name="company_id"), name="known_on"
    )


def defaulted_by(known_on: pd.Series, t: pd.Timestamp) -> pd.Index:
    """Companies whose default was dated and published by t."""
    return known_on.index[(known_on <= t).to_numpy()]
