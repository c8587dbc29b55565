"""The synthetic world's truth: written for evaluation only, and summarised as base rates.

`data/truth/` holds what no model may see (latent health, exits, each company's true 12-month
default probability), so the evaluation can measure how far the champion is from the best
possible model. `world_stats` checks the world against the real register's base rates and
reports the oracle's ROC-AUC: the realism bound that keeps the synthetic task neither trivial
nor hopeless.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from company_risk.artifacts import TRUTH_FILES
from company_risk.atomic import atomic_directory
from company_risk.synth.world import World

HORIZON_MONTHS = 12


def write_truth(world: World, truth_dir: Path) -> None:
    """Write latent.parquet, exits.parquet and pd.parquet; the directory appears whole or not at all."""
    tables = {"latent": world.truth_latent, "exits": world.truth_exits, "pd": world.truth_pd}
    with atomic_directory(Path(truth_dir)) as tmp:
        for key, frame in tables.items():
            frame.to_parquet(tmp / TRUTH_FILES[key], index=False)


def default_dates(world: World) -> pd.Series:
    """company_id -> default date (first N, or K without L first), for companies that defaulted."""
    exits = world.truth_exits[world.truth_exits["default"]]
    return pd.Series(exits["exit_date"].to_numpy(), index=exits["company_id"].to_numpy())


def labelled_pd(world: World) -> pd.DataFrame:
    """truth_pd rows whose 12-month window ends by the last drop, with the realised label."""
    pd_rows = world.truth_pd
    last = np.datetime64(world.drop_dates[-1].date(), "D").astype("datetime64[us]")
    horizon = _add_months(pd_rows["month"].to_numpy(), HORIZON_MONTHS)
    keep = horizon <= last
    when = pd_rows["company_id"].map(default_dates(world)).to_numpy(dtype="datetime64[us]")
    label = (when > pd_rows["month"].to_numpy()) & (when <= horizon)
    return pd_rows.assign(label=label.astype(np.int8))[keep].reset_index(drop=True)


def world_stats(world: World) -> dict:
    """The realised base rates of the world (plain ints and floats, ready for JSON)."""
    latent, exits, debts = world.truth_latent, world.truth_exits, world.tax_debts
    months = np.sort(latent["month"].unique())
    active = latent[latent["status"] == "R"]
    active_per_month = active.groupby("month").size().reindex(months, fill_value=0)

    # yearly bankruptcy and compulsory-deletion rates, as share of companies active on 1 January
    exit_year = exits["exit_date"].dt.year
    bankrupt_rates, deleted_rates = [], []
    for jan1 in months[pd.DatetimeIndex(months).month == 1]:
        year = pd.Timestamp(jan1).year
        if (
            np.datetime64(f"{year + 1}-01-01", "us") not in set(months)
            or not active_per_month[jan1]
        ):
            continue
        base = active_per_month[jan1]
        bankrupt_rates.append(((exits["kind"] == "bankrupt") & (exit_year == year)).sum() / base)
        deleted_rates.append(((exits["kind"] == "deleted") & (exit_year == year)).sum() / base)

    # tax-debt share of active companies at the monthly drops
    listed = active.merge(
        debts[["company_id", "as_of"]],
        left_on=["company_id", "month"],
        right_on=["company_id", "as_of"],
    )
    debt_share = (
        listed.groupby("month").size().reindex(months, fill_value=0)
        / active_per_month.clip(lower=1)
    ).mean()

    board, persons = _boards_at(
        world, months[-1], active[active["month"] == months[-1]]["company_id"]
    )
    labelled = labelled_pd(world)
    has_both = labelled["label"].nunique() == 2
    defaults = exits[exits["default"]]
    bankrupts = exits[exits["kind"] == "bankrupt"]
    reports = world.annual_reports
    deadline = pd.to_datetime((reports["fiscal_year"] + 1).astype(str) + "-06-30")
    return {
        "n_companies_ever": int(len(world.companies)),
        "n_persons": int(len(world.persons)),
        "active_companies_last_month": int(active_per_month.iloc[-1]) if len(months) else 0,
        "bankruptcy_rate_yearly": _mean(bankrupt_rates),
        "compulsory_deletion_rate_yearly": _mean(deleted_rates),
        "tax_debt_share": float(debt_share) if len(months) else float("nan"),
        "board_size_mean": float(board.mean()) if len(board) else float("nan"),
        "board_size_median": float(board.median()) if len(board) else float("nan"),
        "board_size_share_gt1": float((board > 1).mean()) if len(board) else float("nan"),
        "persons_on_several_boards_share": float((persons > 1).mean())
        if len(persons)
        else float("nan"),
        "default_rate_12m": float(labelled["label"].mean()) if len(labelled) else float("nan"),
        "n_defaults": int(len(defaults)),
        "n_bankruptcies": int(len(bankrupts)),
        "n_compulsory_deletions": int((exits["kind"] == "deleted").sum()),
        "n_liquidations": int((exits["kind"] == "liquidated").sum()),
        "bankrupt_share_of_defaults": float(len(bankrupts) / max(len(defaults), 1)),
        "bankrupts_with_debt_12m_before_share": _debt_before(bankrupts, debts, months),
        "bankrupts_without_debt_prior_12m_share": _no_debt_within(bankrupts, debts, months),
        "defaults_with_debt_12m_before_share": _debt_before(defaults, debts, months),
        "defaults_without_debt_prior_12m_share": _no_debt_within(defaults, debts, months),
        "late_report_share": float((reports["submitted_on"] > deadline).mean())
        if len(reports)
        else float("nan"),
        "oracle_roc_auc": float(roc_auc_score(labelled["label"], labelled["pd_12m"]))
        if has_both
        else float("nan"),
    }


def _boards_at(
    world: World, day: np.datetime64, companies: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Board sizes of the given companies and board counts of their members on `day`."""
    roles = world.board_roles
    current = roles[
        (roles["start_date"] <= day)
        & (roles["end_date"].isna() | (roles["end_date"] > day))
        & roles["company_id"].isin(set(companies))
    ]
    return current.groupby("company_id").size(), current.groupby("person_id").size()


def _debt_before(events: pd.DataFrame, debts: pd.DataFrame, months: np.ndarray) -> float:
    """Share of events whose company was on the debtor list at the monthly drop a year before."""
    when = _first_of_month(_add_months(events["exit_date"].to_numpy(), -HORIZON_MONTHS))
    ok = when >= months[0] if len(months) else np.zeros(len(events), dtype=bool)
    if not ok.any():
        return float("nan")
    asked = pd.DataFrame({"company_id": events["company_id"].to_numpy()[ok], "as_of": when[ok]})
    hit = asked.merge(debts[["company_id", "as_of"]].drop_duplicates(), how="left", indicator=True)
    return float((hit["_merge"] == "both").mean())


def _no_debt_within(events: pd.DataFrame, debts: pd.DataFrame, months: np.ndarray) -> float:
    """Share of events whose company was on no debtor list in the 12 months before the event."""
    start = _add_months(events["exit_date"].to_numpy(), -HORIZON_MONTHS)
    ok = start >= months[0] if len(months) else np.zeros(len(events), dtype=bool)
    if not ok.any():
        return float("nan")
    frame = pd.DataFrame(
        {
            "company_id": events["company_id"].to_numpy()[ok],
            "start": start[ok],
            "end": events["exit_date"].to_numpy()[ok],
        }
    )
    pairs = frame.merge(debts[["company_id", "as_of"]], on="company_id", how="left")
    inside = (pairs["as_of"] >= pairs["start"]) & (pairs["as_of"] < pairs["end"])
    any_debt = inside.groupby(pairs["company_id"]).any()
    return float(1.0 - any_debt.reindex(frame["company_id"]).fillna(False).mean())


def _add_months(dates: np.ndarray, months: int) -> np.ndarray:
    """Calendar month arithmetic on datetime64 arrays (day clipped to the month's length)."""
    index = pd.DatetimeIndex(dates)
    return (index + pd.DateOffset(months=months)).to_numpy(dtype="datetime64[us]")


def _first_of_month(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]").astype("datetime64[us]")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
