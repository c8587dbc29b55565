"""The simulated world: deterministic, internally consistent, readable by ingest, realistic.

Most tests use a small world (300 companies over four years); one builds the default world of
params.yaml to check the realism bounds the model comparison depends on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from company_risk import formats as F
from company_risk.config import ConfigError, IngestConfig, SynthConfig, load_params
from company_risk.ingest import rik
from company_risk.ingest.pipeline import BUILT_IN_PSEUDONYM_KEY, ingest_drops
from company_risk.ingest.store import load_tables
from company_risk.synth.drops import write_drops
from company_risk.synth.simulate import Rates, drop_calendar, simulate
from company_risk.synth.truth import labelled_pd, world_stats, write_truth

SMALL = SynthConfig(
    seed=11, n_companies=300, start=dt.date(2018, 1, 1), end=dt.date(2021, 12, 1), daily_tail_days=3
)
TABLES = (
    "persons",
    "companies",
    "status_events",
    "board_roles",
    "tax_debts",
    "annual_reports",
    "tax_payments",
    "truth_latent",
    "truth_exits",
    "truth_pd",
)


@pytest.fixture(scope="module")
def world():
    return simulate(SMALL)


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_same_world_other_seed_other_world(world):
    again = simulate(SMALL)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(world, name), getattr(again, name), obj=name)
    other = simulate(dataclasses.replace(SMALL, seed=12))
    assert not world.companies["company_id"].equals(other.companies["company_id"])


def test_how_finely_the_oracle_is_estimated_does_not_change_the_world(world):
    coarse = simulate(dataclasses.replace(SMALL, rates={"truth_paths": 4}))
    for name in TABLES:
        if name != "truth_pd":
            pd.testing.assert_frame_equal(getattr(world, name), getattr(coarse, name), obj=name)
    assert not world.truth_pd["pd_12m"].equals(coarse.truth_pd["pd_12m"])


def test_drops_and_truth_are_byte_identical_for_the_same_seed(world, tmp_path):
    for run in ("a", "b"):
        write_drops(simulate(SMALL), tmp_path / run / "raw")
        write_truth(world, tmp_path / run / "truth")
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")


def test_drop_calendar_is_monthly_then_daily():
    days = drop_calendar(dt.date(2020, 1, 1), dt.date(2020, 4, 1), 3)
    assert [d.strftime("%Y-%m-%d") for d in days] == [
        "2020-01-01",
        "2020-02-01",
        "2020-03-01",
        "2020-04-01",
        "2020-04-02",
        "2020-04-03",
        "2020-04-04",
    ]


def test_status_paths_follow_the_register_rules(world):
    events = world.status_events.sort_values(["company_id", "start_date"], kind="stable")
    paths = events.groupby("company_id")["status"].agg("".join)
    assert paths.str.startswith("R").all()
    assert paths.isin(["R", "RN", "RNK", "RL", "RLK", "RK"]).all(), paths.value_counts()
    exits = world.truth_exits.set_index("company_id")
    first_exit = events[events["status"] != "R"].groupby("company_id")["status"].first()
    kind = first_exit.map({"N": "bankrupt", "L": "liquidated", "K": "deleted"})
    pd.testing.assert_series_equal(
        kind.sort_index(), exits.loc[kind.index, "kind"].sort_index(), check_names=False
    )
    # bankruptcy and compulsory deletion are defaults; voluntary liquidation is not
    assert (exits["default"] == exits["kind"].isin(["bankrupt", "deleted"])).all()


def test_deleted_companies_have_no_open_board_roles(world):
    deleted = world.status_events.loc[world.status_events["status"] == "K", "company_id"]
    roles = world.board_roles[world.board_roles["company_id"].isin(deleted)]
    assert len(roles) and roles["end_date"].notna().all()
    assert (roles["end_date"] >= roles["start_date"]).all()


def test_truth_is_consistent(world):
    pd_12m = world.truth_pd["pd_12m"]
    assert pd_12m.between(0, 1).all() and pd_12m.notna().all()
    months = world.truth_pd["month"]
    assert (months.dt.day == 1).all()
    # companies that default soon are, on average, judged riskier by the oracle
    labelled = labelled_pd(world)
    assert labelled["label"].nunique() == 2
    assert roc_auc_score(labelled["label"], labelled["pd_12m"]) > 0.75


def test_rates_are_parameters(world):
    with pytest.raises(ConfigError, match="unknown rate name.*debt_arival"):
        Rates.from_mapping({"debt_arival": 0.1})
    with pytest.raises(ConfigError, match="synth.rates.debt_arrival: expected a number"):
        Rates.from_mapping({"debt_arrival": "often"})
    no_debts = simulate(dataclasses.replace(SMALL, rates={"debt_arrival": 0.0}))
    assert len(world.tax_debts) > 0 and len(no_debts.tax_debts) == 0


def test_world_stats_describe_the_world(world):
    stats = world_stats(world)
    assert stats["n_companies_ever"] == SMALL.n_companies
    assert stats["n_defaults"] == int(world.truth_exits["default"].sum())
    assert stats["n_bankruptcies"] + stats["n_compulsory_deletions"] == stats["n_defaults"]
    for share in ("tax_debt_share", "default_rate_12m", "persons_on_several_boards_share"):
        assert 0 < stats[share] < 1, share
    assert stats["board_size_mean"] >= 1


def test_ingest_reads_back_what_the_world_wrote(world, tmp_path):
    raw, interim = tmp_path / "raw", tmp_path / "interim"
    write_drops(world, raw)
    result = ingest_drops(raw, interim, IngestConfig())
    assert len(result.applied) == len(world.drop_dates)
    tables = load_tables(interim)

    # every company ever on the register, with its registration date
    companies = tables["companies"].drop_duplicates("company_id").set_index("company_id")
    born = world.companies.set_index("company_id")
    seen = born[born["registered_on"] <= world.drop_dates[-1]]
    assert set(companies.index) == set(seen.index)
    registered = companies.loc[seen.index, "first_registered"].astype("datetime64[us]")
    assert (registered == seen["registered_on"]).all()

    # defaults by the label rule: the world's bankruptcies and compulsory deletions up to the
    # last drop, each dated by its first drop showing the exit (exits happen between drops)
    truth = world.truth_exits[
        world.truth_exits["default"] & (world.truth_exits["exit_date"] <= world.drop_dates[-1])
    ]
    defaults = tables["defaults"].set_index("company_id")
    assert set(defaults.index) == set(truth["company_id"])
    kinds = defaults.loc[truth["company_id"], "kind"].to_numpy()
    assert (kinds == truth["kind"].to_numpy()).all()
    lag = (
        defaults.loc[truth["company_id"], "default_date"].to_numpy() - truth["exit_date"].to_numpy()
    )
    assert (lag >= np.timedelta64(0, "D")).all() and (lag <= np.timedelta64(31, "D")).all()

    # the debtor list of the last drop, amount by amount
    last = world.drop_dates[-1]
    listed = world.tax_debts[world.tax_debts["as_of"] == last].set_index("company_id")["debt"]
    got = tables["tax_debts"]
    got = got[got["as_of"] == last].set_index("company_id")["debt"]
    pd.testing.assert_series_equal(
        got.sort_index(), listed.sort_index(), check_names=False, check_dtype=False
    )

    # board intervals: every tenure seen in some drop, with its start date, and an end no
    # earlier than the true one and at most one drop interval later (the register lists only
    # current holders, so an end is seen at the first drop without the person)
    key = ["company_id", "person_id", "start_date"]
    roles = tables["board_roles"]
    roles = roles[roles["role"].isin(F.BOARD_ROLES)]
    uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    natural = roles["person_type"] == "natural"
    assert roles.loc[natural, "person_id"].str.fullmatch(uuid).all()
    assert roles.loc[~natural, "person_id"].str.fullmatch("fp-[0-9a-f]{32}").all()
    assert 0 < (~natural).mean() < 0.2
    # a foreign person has no register key: ingest derives it from what the file shows
    ingest_key = {
        p.person_id: rik.person_key(
            {
                "isiku_tyyp": "F",
                "isikukood_hash": None,
                "eesnimi": p.first_name,
                "nimi_arinimi": p.last_name,
                "synniaeg": p.birth_date.strftime(F.DATE_FORMAT),
                "valis_kood_riik": p.country,
            },
            BUILT_IN_PSEUDONYM_KEY,
        )[1]
        for p in world.persons[world.persons["foreign"]].itertuples()
    }
    true_roles = world.board_roles.assign(
        person_id=lambda r: r["person_id"].map(ingest_key).fillna(r["person_id"])
    )
    first_drop = world.drop_dates[0]
    seen_roles = true_roles[
        (true_roles["start_date"] <= last)
        & (true_roles["end_date"].isna() | (true_roles["end_date"] > first_drop))
    ]
    both = seen_roles.merge(roles, on=key, how="outer", suffixes=("_true", ""), indicator=True)
    assert (both["_merge"] == "both").all(), both["_merge"].value_counts()
    ended = both["end_date_true"].notna()
    assert (both.loc[~ended, "end_date"].isna()).all()
    lag = both.loc[ended, "end_date"] - both.loc[ended, "end_date_true"]
    assert lag.notna().all()
    assert (lag >= pd.Timedelta(0)).all() and (lag <= pd.Timedelta(days=31)).all()


def test_the_default_world_is_realistic():
    """The default world of params.yaml: the bounds the model comparison relies on."""
    cfg = load_params(Path(__file__).resolve().parents[1] / "params.yaml").synth
    world = simulate(dataclasses.replace(cfg, daily_tail_days=0))
    stats = world_stats(world)
    assert 0.85 <= stats["oracle_roc_auc"] <= 0.93
    assert stats["n_defaults"] >= 500
    assert 0.04 <= stats["default_rate_12m"] <= 0.09
    assert 0.0015 <= stats["bankruptcy_rate_yearly"] <= 0.005
    assert stats["compulsory_deletion_rate_yearly"] > stats["bankruptcy_rate_yearly"]
    assert 0.04 <= stats["tax_debt_share"] <= 0.09
    # failures are a mix: debt precedes most bankruptcies (~72 % in Estonia) but not all of
    # them (~18 % of bankrupts had no debts at all)
    assert 0.5 <= stats["bankrupts_with_debt_12m_before_share"] <= 0.9
    assert 0.05 <= stats["bankrupts_without_debt_prior_12m_share"] <= 0.35
    assert 0.1 <= stats["defaults_without_debt_prior_12m_share"] <= 0.8
