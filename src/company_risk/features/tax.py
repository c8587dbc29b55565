"""tax__ family: the tax-debtor lists and the quarterly taxes paid, as known at t.

A tax-debtor list is visible at t if it is dated by the last drop at or before t (`cutoff`): a
list dated just before t but first delivered by a later drop must not be seen. Absence from a
visible list means no listed debt that day, so debt features are 0 for a company not on the
list and NaN only when no list at all was visible (nothing known). Month windows are counted
back from t: month k is (t - k months, t - k + 1 months].

Quarterly taxes are visible once published (`published_on` <= t). The "last four quarters" are
the four most recent quarters published by t for anyone (EMTA publishes a quarter for all
companies at once); a company absent from a quarter paid and reported nothing in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk.features.registry import define, family_frame

FEATURES = define(
    "tax",
    [
        (
            "debt",
            "tax debt on the latest tax-debtor list at t (0 = not on the list)",
            "EUR",
            "tax debt",
        ),
        (
            "disputed_share",
            "disputed part of the debt / debt (0 without debt)",
            "share",
            "disputed share of the tax debt",
        ),
        (
            "scheduled_share",
            "part of the debt in a payment schedule / debt (0 without debt)",
            "share",
            "scheduled share of the tax debt",
        ),
        (
            "debt_age_days",
            "list date minus the due date of the oldest unpaid claim (0 without debt)",
            "days",
            "age of the tax debt",
        ),
        (
            "months_in_debt_6m",
            "months of the last 6 with the company on at least one list",
            "months",
            "months with tax debt in the last 6 months",
        ),
        (
            "months_in_debt_12m",
            "months of the last 12 with the company on at least one list",
            "months",
            "months with tax debt in the last 12 months",
        ),
        (
            "months_in_debt_24m",
            "months of the last 24 with the company on at least one list",
            "months",
            "months with tax debt in the last 24 months",
        ),
        (
            "debt_max_12m",
            "largest listed debt in the last 12 months",
            "EUR",
            "largest tax debt in the last 12 months",
        ),
        (
            "debt_change_6m",
            "debt now minus debt on the last list at or before t - 6 months "
            "(NaN if no list that old)",
            "EUR",
            "change of tax debt over 6 months",
        ),
        (
            "debt_episodes_24m",
            "runs of consecutive lists with the company on them, among the "
            "lists of the last 24 months",
            "episodes",
            "tax debt episodes in the last 24 months",
        ),
        (
            "debt_to_turnover",
            "debt / turnover of the last four published quarters (NaN when no turnover)",
            "ratio",
            "tax debt relative to turnover",
        ),
        (
            "debt_to_labour_taxes",
            "debt / labour taxes of the last four published quarters (NaN when none paid)",
            "ratio",
            "tax debt relative to labour taxes",
        ),
        (
            "turnover_4q",
            "turnover of the last four published quarters",
            "EUR",
            "turnover in the last four quarters",
        ),
        (
            "labour_taxes_4q",
            "labour taxes paid in the last four published quarters",
            "EUR",
            "labour taxes paid in the last four quarters",
        ),
        (
            "state_taxes_4q",
            "state taxes paid in the last four published quarters",
            "EUR",
            "state taxes paid in the last four quarters",
        ),
        ("employees", "employees in the latest published quarter", "persons", "employees"),
        (
            "turnover_trend",
            "log(1 + turnover of the last four quarters) - log(1 + turnover of "
            "the four before) (NaN without eight published quarters)",
            "log ratio",
            "turnover trend",
        ),
        (
            "labour_taxes_trend",
            "the same log ratio for labour taxes",
            "log ratio",
            "labour taxes trend",
        ),
        (
            "employees_trend",
            "the same log ratio for the mean number of employees",
            "log ratio",
            "employees trend",
        ),
    ],
)


DEBT_FEATURES = (
    "tax__debt",
    "tax__disputed_share",
    "tax__scheduled_share",
    "tax__debt_age_days",
    "tax__months_in_debt_6m",
    "tax__months_in_debt_12m",
    "tax__months_in_debt_24m",
    "tax__debt_max_12m",
    "tax__debt_change_6m",
    "tax__debt_episodes_24m",
)
PAYMENT_FEATURES = (
    "tax__turnover_4q",
    "tax__labour_taxes_4q",
    "tax__state_taxes_4q",
    "tax__employees",
    "tax__turnover_trend",
    "tax__labour_taxes_trend",
    "tax__employees_trend",
)


def visible_lists(lists: pd.DataFrame, cutoff: pd.Timestamp) -> np.ndarray:
    """Sorted distinct dates of the tax-debtor lists delivered by the drop dated `cutoff`."""
    dates = lists["as_of"].to_numpy()
    return np.unique(dates[dates <= np.datetime64(cutoff)])


def debtors_at(debts: pd.DataFrame, lists: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Index:
    """Companies with a debt on the latest list visible at `cutoff` (empty if none)."""
    dates = visible_lists(lists, cutoff)
    if not len(dates):
        return pd.Index([], dtype="str")
    on = debts.loc[
        (debts["as_of"] == dates[-1]).to_numpy(dtype=bool) & (debts["debt"] > 0).to_numpy()
    ]
    return pd.Index(on["company_id"].unique(), dtype="str")


def tax_features(
    debts: pd.DataFrame,
    lists: pd.DataFrame,
    payments: pd.DataFrame,
    population: pd.Index,
    t: pd.Timestamp,
    cutoff: pd.Timestamp,
) -> pd.DataFrame:
    """tax__ features for the companies of `population` (index company_id)."""
    values = {**_debt_features(debts, lists, population, t, cutoff)}
    values.update(_payment_features(payments, population, t))
    turnover, labour = values["tax__turnover_4q"], values["tax__labour_taxes_4q"]
    debt = values["tax__debt"]
    with np.errstate(invalid="ignore", divide="ignore"):
        values["tax__debt_to_turnover"] = np.where(turnover > 0, debt / turnover, np.nan)
        values["tax__debt_to_labour_taxes"] = np.where(labour > 0, debt / labour, np.nan)
    return family_frame(FEATURES, values, population)


def _debt_features(
    debts: pd.DataFrame,
    lists: pd.DataFrame,
    population: pd.Index,
    t: pd.Timestamp,
    cutoff: pd.Timestamp,
) -> dict[str, np.ndarray]:
    n = len(population)
    dates = visible_lists(lists, cutoff)
    if not len(dates):
        return {name: np.full(n, np.nan) for name in DEBT_FEATURES}
    back = np.array([t - pd.DateOffset(months=k) for k in range(25)], dtype="datetime64[us]")
    as_of = debts["as_of"].to_numpy()
    recent = debts.loc[(as_of > back[24]) & (as_of <= dates[-1])]
    recent = recent.loc[recent["company_id"].isin(population).to_numpy()]

    latest = recent.loc[recent["as_of"].to_numpy() == dates[-1]]
    now = (
        latest.groupby("company_id")
        .agg(
            debt=("debt", "sum"),
            disputed=("disputed", "sum"),
            scheduled=("scheduled", "sum"),
            oldest_due=("oldest_due", "min"),
        )
        .reindex(population)
    )
    debt = now["debt"].fillna(0.0).to_numpy()
    has = debt > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        disputed = np.where(has, now["disputed"].to_numpy() / debt, 0.0)
        scheduled = np.where(has, now["scheduled"].to_numpy() / debt, 0.0)
    age = (
        (pd.Timestamp(dates[-1]) - now["oldest_due"])
        .dt.days.clip(lower=0)
        .to_numpy(dtype="float64")
    )
    age = np.where(has, age, 0.0)

    # month k = 1..24 back from t of each listed row
    month = 25 - np.searchsorted(back[::-1], recent["as_of"].to_numpy(), side="left")
    in_debt = pd.DataFrame({"company_id": recent["company_id"].to_numpy(), "month": month})
    in_debt = in_debt.loc[recent["debt"].to_numpy() > 0].drop_duplicates()
    months = {
        k: in_debt.loc[in_debt["month"] <= k]
        .groupby("company_id")
        .size()
        .reindex(population, fill_value=0)
        for k in (6, 12, 24)
    }
    max_12m = (
        recent.loc[(month <= 12)]
        .groupby("company_id")["debt"]
        .max()
        .reindex(population, fill_value=0.0)
    )

    then_dates = dates[dates <= back[6]]
    if len(then_dates):
        then = (
            debts.loc[debts["as_of"].to_numpy() == then_dates[-1]]
            .groupby("company_id")["debt"]
            .sum()
        )
        change = debt - then.reindex(population, fill_value=0.0).to_numpy()
    else:
        change = np.full(n, np.nan)

    # episodes: runs of consecutive visible lists, among the lists of the last 24 months
    window = dates[dates > back[24]]
    position = np.searchsorted(window, recent["as_of"].to_numpy())
    runs = pd.DataFrame({"company_id": recent["company_id"].to_numpy(), "pos": position})
    runs = (
        runs.loc[recent["debt"].to_numpy() > 0].drop_duplicates().sort_values(["company_id", "pos"])
    )
    starts = (runs["company_id"] != runs["company_id"].shift()) | (runs["pos"].diff() != 1)
    episodes = starts.groupby(runs["company_id"]).sum().reindex(population, fill_value=0)

    return {
        "tax__debt": debt,
        "tax__disputed_share": disputed,
        "tax__scheduled_share": scheduled,
        "tax__debt_age_days": age,
        "tax__months_in_debt_6m": months[6].to_numpy(dtype="float64"),
        "tax__months_in_debt_12m": months[12].to_numpy(dtype="float64"),
        "tax__months_in_debt_24m": months[24].to_numpy(dtype="float64"),
        "tax__debt_max_12m": max_12m.to_numpy(dtype="float64"),
        "tax__debt_change_6m": change,
        "tax__debt_episodes_24m": episodes.to_numpy(dtype="float64"),
    }


def _payment_features(
    payments: pd.DataFrame, population: pd.Index, t: pd.Timestamp
) -> dict[str, np.ndarray]:
    n = len(population)
    # masks on the whole table first, so only the last eight quarters are ever copied
    visible = (payments["published_on"] <= t).to_numpy(dtype=bool)
    if not visible.any():
        return {name: np.full(n, np.nan) for name in PAYMENT_FEATURES}
    quarter = payments["year"].to_numpy() * 4 + payments["quarter"].to_numpy() - 1
    last = quarter[visible].max()
    full_history = quarter[visible].min() <= last - 7
    window = visible & (quarter > last - 8)
    rows = payments.loc[
        window, ["company_id", "turnover", "labour_taxes", "state_taxes", "employees"]
    ]
    q = quarter[window]
    keep = rows["company_id"].isin(population).to_numpy()
    rows, q = rows.loc[keep], q[keep]
    rows = rows.assign(period=np.where(q > last - 4, "last", "before"), latest=q == last)
    sums = rows.groupby(["company_id", "period"])[
        ["turnover", "labour_taxes", "state_taxes", "employees"]
    ].sum()
    sums = sums.unstack("period")

    def total(column: str, period: str) -> np.ndarray:
        if (column, period) not in sums.columns:
            return np.zeros(n)
        return sums[(column, period)].reindex(population, fill_value=0.0).fillna(0.0).to_numpy()

    def trend(column: str, scale: float) -> np.ndarray:
        if not full_history:
            return np.full(n, np.nan)
        now = np.clip(total(column, "last") / scale, 0, None)
        before = np.clip(total(column, "before") / scale, 0, None)
        return np.log1p(now) - np.log1p(before)

    employees_now = rows.loc[rows["latest"]].groupby("company_id")["employees"].sum()
    return {
        "tax__turnover_4q": total("turnover", "last"),
        "tax__labour_taxes_4q": total("labour_taxes", "last"),
        "tax__state_taxes_4q": total("state_taxes", "last"),
        "tax__employees": employees_now.reindex(population, fill_value=0.0).to_numpy(
            dtype="float64"
        ),
        "tax__turnover_trend": trend("turnover", 1.0),
        "tax__labour_taxes_trend": trend("labour_taxes", 1.0),
        "tax__employees_trend": trend("employees", 4.0),
    }
