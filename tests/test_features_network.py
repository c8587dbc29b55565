"""The network signals beyond the board: role families, serial liquidators and trustees, the
legal-person layer, and the point-in-time rule for them, on a hand-made register at t = 2021-01-01.

    X1 ── q1 (JUHL) ── Y      Y: a non-profit, in the network, never scored
    X1                        supervisory board s1, s2 (N), s3 (E); interim trustee t1 (AJUTPH)
                              since 2020-10-01; shareholders P (legal), X1 itself (own shares)
                              and FI-123 (a foreign legal person)
    X2 ── q2 (JUHL)           liquidator l1 (LIKV) since 2020-06-01; s1 on its supervisory
                              board; o1 a shareholder on the card (OSAN)
    P                         holds shares in X1, S2 (bankrupt 2020-05) and S3 (ended 2019-01),
                              and is a full partner (TOSAN) of S1; u1 a limited partner of S1
    t1                        trustee of W1, W2 (bankrupt, then deleted), liquidator of W3
                              (liquidated, then deleted); trustee of W4 (bankrupt, not deleted)
    l1                        liquidator (LIKVJ) of W3 too

Wound up by t: W1, W2, W3. Population (status R): X1, X2, P, S1, S3.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from builders import FEATURES_CFG as CFG
from builders import T, Tables, features_at, graph_at
from company_risk.config import GraphConfig
from company_risk.features.graph import (
    DEFAULTED_NEIGHBOUR_FEATURES,
    FEATURES,
    sparse_signal_warning,
)
from company_risk.features.network import (
    bipartite_adjacency,
    failed_neighbour_shares,
    pagerank,
)
from company_risk.features.registry import DIMENSIONLESS

X1, X2, P, S1, S2, S3 = "30000001", "30000002", "30000010", "30000011", "30000012", "30000013"
W1, W2, W3, W4 = "30000021", "30000022", "30000023", "30000024"
Y = "30000031"  # a non-profit: on the register, not scored
T0 = "2021-01-01"
LATER = "2021-03-01"
SCORED = [X1, X2, P, S1, S3]


def holding(w: Tables, cid, person, start, end=None, published_on=None, person_type="legal"):
    """A shareholding (the shareholders file) of `person` in `cid`."""
    w.rows["shareholdings"].append(
        dict(
            company_id=cid,
            person_id=person,
            person_type=person_type,
            share_percent=10.0,
            start_date=T(start),
            end_date=T(end) if end else pd.NaT,
            published_on=T(published_on) if published_on else w.drop_on_or_after(start),
        )
    )
    return w


def legal_role(w: Tables, cid, person, start, role, **kwargs) -> Tables:
    """A card role held by an Estonian legal person (its key is its registry code)."""
    w.role(cid, person, start, role=role, **kwargs)
    w.rows["board_roles"][-1]["person_type"] = "legal"
    return w


def register() -> Tables:
    w = Tables()
    for cid in (X1, X2, P, S1, S2, S3, W1, W2, W3, W4):
        w.company(cid, registered="2012-01-01")
    w.role(X1, "q1", "2015-01-01")
    w.company(Y, registered="2012-01-01", legal_form="Mittetulundusühing", legal_form_code="MTÜ")
    w.role(Y, "q1", "2015-01-01")  # in the register's network, never scored
    for person in ("s1", "s2"):
        w.role(X1, person, "2016-01-01", role="N")
    w.role(X1, "s3", "2016-01-01", role="E")
    w.role(X1, "t1", "2020-10-01", role="AJUTPH")
    holding(w, X1, P, "2015-01-01")
    holding(w, X1, X1, "2015-01-01")  # own shares: no link to itself
    holding(w, X1, "FI-123", "2015-01-01", person_type="foreign_legal")
    w.role(X2, "q2", "2015-01-01")
    w.role(X2, "l1", "2020-06-01", role="LIKV")
    w.role(X2, "s1", "2017-01-01", role="N")
    w.role(X2, "o1", "2017-01-01", role="OSAN")
    holding(w, S2, P, "2016-01-01")
    holding(w, S3, P, "2016-01-01", end="2019-01-01")
    legal_role(w, S1, P, "2016-01-01", "TOSAN")
    w.role(S1, "u1", "2016-01-01", role="UOSAN")
    w.default(S2, "2020-05-04")
    for cid, start, gone in ((W1, "2016-02-01", "2017-03-01"), (W2, "2017-02-01", "2018-03-01")):
        w.role(cid, "t1", start, end=gone, role="PANKR")
        w.default(cid, start)
        w.status(cid, "K", gone)
    w.status(W3, "L", "2018-02-01").status(W3, "K", "2019-03-01")
    w.role(W3, "t1", "2018-02-01", end="2019-03-01", role="LIKV")
    w.role(W3, "l1", "2018-02-01", end="2019-03-01", role="LIKVJ")
    w.role(W4, "t1", "2019-05-01", role="PANKR")
    w.default(W4, "2019-05-01")
    return w


@pytest.fixture(scope="module")
def got() -> pd.DataFrame:
    return graph_at(register(), T0)


EXPECTED = {
    # feature: (X1, X2, P, S1, S3)
    "graph__ties_supervisory": (3, 1, 0, 0, 0),
    "graph__ties_trustee": (1, 0, 0, 0, 0),
    "graph__ties_liquidator": (0, 1, 0, 0, 0),
    "graph__ties_partner": (0, 0, 0, 2, 0),
    "graph__ties_shareholder": (3, 1, 0, 0, 0),  # X1: P, itself, FI-123; X2: o1 on the card
    "graph__ties_procurator": (0, 0, 0, 0, 0),
    # t1: W1, W2, W3 (W4 is bankrupt, still on the register); l1: W3
    "graph__liquidator_wound_up": (3, 1, 0, 0, 0),
    # P holds X1, S2, S3 (ended 2019: remembered) and is S1's partner
    "graph__legal_links": (1, 0, 4, 1, 1),
    "graph__legal_linked_defaulted": (0, 0, 1, 0, 0),  # S2
    "graph__board_size": (1, 1, 0, 0, 0),
    "graph__degree": (1, 0, 0, 0, 0),  # X1 shares q1 with the non-profit Y
    "graph__component_companies": (2, 1, 1, 1, 1),
}


@pytest.mark.parametrize("feature", sorted(EXPECTED))
def test_network_feature_by_hand(got, feature):
    assert list(got.index) == sorted(SCORED)
    np.testing.assert_allclose(
        got[feature].to_numpy(), np.array(EXPECTED[feature], float), err_msg=feature
    )


def test_the_build_gives_the_same_features_from_the_board_roles():
    """Through the features stage (which passes the board roles only), the features that need
    no other table agree with graph_features given every table."""
    w = register()
    full, built = graph_at(w, T0), features_at(w, T0)
    assert list(built.index) == sorted(SCORED)
    for name in ("graph__ties_supervisory", "graph__ties_partner", "graph__board_size"):
        np.testing.assert_array_equal(built[name].to_numpy(), full[name].to_numpy())


def test_the_board_roles_are_configurable():
    w = register()
    both = dataclasses.replace(CFG, graph=GraphConfig(roles=("JUHL", "N", "E")))
    got = graph_at(w, T0, cfg=both)
    assert got.loc[X1, "graph__board_size"] == 4  # q1, s1, s2, s3
    assert got.loc[X1, "graph__degree"] == 2  # Y, and X2: s1 is on its supervisory board too
    assert got.loc[X2, "graph__linked_companies"] == 1
    supervisory = dataclasses.replace(CFG, graph=GraphConfig(roles=("N",)))
    got = features_at(w, T0, supervisory)
    assert got.loc[X1, "graph__board_size"] == 2 and got.loc[X2, "graph__board_size"] == 1
    # the tie counts of each family do not depend on which roles make the board
    assert got.loc[X1, "graph__ties_supervisory"] == 3


def test_a_legal_board_member_links_its_companies_in_the_second_layer():
    w = register()
    legal_role(w, X2, P, "2019-01-01", "JUHL")  # P on X2's management board
    got = graph_at(w, T0)
    assert got.loc[X2, "graph__legal_links"] == 1
    assert got.loc[P, "graph__legal_links"] == 5
    # a supervisory seat of a legal person is no link of this layer
    w = register()
    legal_role(w, X2, P, "2019-01-01", "N")
    assert graph_at(w, T0).loc[X2, "graph__legal_links"] == 0


def test_a_shorter_memory_forgets_an_ended_holding():
    short = dataclasses.replace(CFG, graph=GraphConfig(memory_years=1))
    got = graph_at(register(), T0, cfg=short)
    assert got.loc[P, "graph__legal_links"] == 3  # S3's holding ended 2019-01-01
    assert got.loc[S3, "graph__legal_links"] == 0


# ------------------------------------------------------------------------------ point in time
def later_facts(w: Tables) -> Tables:
    """Facts dated or published after T0, each touching one of the features."""
    w.default(Y, "2020-12-01", published_on="2021-02-01")  # a default published after t
    w.role(X1, "q3", "2020-12-15", published_on="2021-02-01")  # a tie published after t
    w.role(X2, "q4", "2021-01-15")  # a tie started after t
    for row in w.rows["board_roles"]:
        if (row["company_id"], row["person_id"]) == (X1, "s2"):
            row["end_date"] = T("2021-02-01")  # s2 leaves X1's supervisory board after t
    w.role(W4, "l1", "2019-05-01", role="PANKR")
    w.status(W4, "K", "2020-12-01", published_on="2021-02-01")  # deleted, published after t
    holding(w, X2, P, "2020-12-01", published_on="2021-02-01")  # a holding published after t
    holding(w, S1, X2, "2021-01-10")  # a holding started after t
    w.default(S1, "2021-01-20")  # a default dated after t
    return w


def test_facts_after_t_change_no_network_feature_at_t():
    before = graph_at(register(), T0, SCORED)
    after = graph_at(later_facts(register()), T0, SCORED)
    pd.testing.assert_frame_equal(after, before)
    built = features_at(later_facts(register()), T0)
    pd.testing.assert_frame_equal(
        built.filter(like="graph__"), features_at(register(), T0).filter(like="graph__")
    )


def test_the_later_facts_do_change_the_features_once_known():
    """The property above is not vacuous: by LATER each later fact shows."""
    before = graph_at(register(), LATER, SCORED)
    after = graph_at(later_facts(register()), LATER, SCORED)
    assert before.loc[X1, "graph__board_size"] == 1
    assert after.loc[X1, "graph__board_size"] == 2  # q3
    assert after.loc[X2, "graph__board_size"] == 2  # q4
    assert after.loc[X1, "graph__ties_supervisory"] == 2  # s2 left
    assert after.loc[X1, "graph__linked_defaulted"] == 1  # Y, through q1
    assert before.loc[X1, "graph__defaulted_pagerank"] == 0
    assert after.loc[X1, "graph__defaulted_pagerank"] > 0
    assert after.loc[X1, "graph__liquidator_wound_up"] == 4  # t1: W4 is gone too
    assert after.loc[X2, "graph__liquidator_wound_up"] == 2  # l1: W3 and W4
    assert after.loc[X2, "graph__legal_links"] == 2  # P, and S1 held by X2
    assert after.loc[S1, "graph__legal_links"] == 2


# ------------------------------------------------------------------------------ the walks
def test_pagerank_is_networkx_pagerank_plain_and_personalised():
    rng = np.random.default_rng(3)
    c, p = rng.integers(0, 12, 30), rng.integers(0, 9, 30)
    pairs = np.unique(np.stack([c, p]), axis=1)
    nodes, adjacency = bipartite_adjacency(pairs[0], pairs[1], 12)
    graph = nx.Graph()
    graph.add_nodes_from(nodes.tolist())
    graph.add_edges_from(zip(pairs[0].tolist(), (pairs[1] + 12).tolist(), strict=True))
    seeds = {int(n): float(i % 3 == 0) for i, n in enumerate(nodes) if n < 12}
    weight = np.array([seeds.get(int(n), 0.0) for n in nodes])
    for ours, theirs in (
        (pagerank(adjacency), nx.pagerank(graph)),
        (pagerank(adjacency, weight), nx.pagerank(graph, personalization=seeds)),
    ):
        np.testing.assert_allclose(ours, [theirs[int(n)] for n in nodes], rtol=1e-9)


def test_the_failed_neighbour_walks_match_their_dense_definition():
    """The matrix-vector form against the company x company matrices it never forms."""
    rng = np.random.default_rng(11)
    n_c, n_p = 40, 25
    for _ in range(5):
        pairs = np.unique(np.stack([rng.integers(0, n_c, 70), rng.integers(0, n_p, 70)]), axis=1)
        current = rng.random(pairs.shape[1]) < 0.7
        ties = np.zeros((n_c, n_p))
        ties[pairs[0], pairs[1]] = 1
        now = np.zeros((n_c, n_p))
        now[pairs[0][current], pairs[1][current]] = 1
        pop = np.sort(rng.choice(n_c, 15, replace=False))
        failed = rng.random(n_c) < 0.3
        boards = ties.sum(axis=0)
        w = np.where(boards > 1, 1 / np.maximum(boards - 1, 1), 0)
        step_all = (ties * w) @ ties.T
        np.fill_diagonal(step_all, 0)
        step = (now[pop] * w) @ ties.T
        step[np.arange(len(pop)), pop] = 0
        two = step @ step_all
        two[np.arange(len(pop)), pop] = 0
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = [m @ failed / m.sum(axis=1) for m in (step, two)]
        got = failed_neighbour_shares(
            sparse.csr_array(now[pop]), sparse.csr_array(ties), pop, failed
        )
        for ours, theirs in zip(got, expected, strict=True):
            theirs = np.where(np.isfinite(theirs), theirs, np.nan)
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_a_serial_director_weighs_as_much_as_any_other_member():
    """Each member carries weight 1 split over his other companies: a director on four boards
    of which one failed weighs 1/3 per company; a member whose one other company failed, 1."""
    w = Tables()
    x, a, b, c, d = (f"5000000{i}" for i in range(5))
    for cid in (x, a, b, c, d):
        w.company(cid, registered="2012-01-01")
    for cid in (x, a, b, c):
        w.role(cid, "hub", "2015-01-01")
    w.role(x, "m", "2015-01-01").role(d, "m", "2015-01-01")
    w.default(a, "2019-01-01").default(d, "2019-06-01")
    got = graph_at(w, "2020-01-01", [x])
    # hub: a (failed), b, c at 1/3 each; m: d (failed) at 1 -> (1/3 + 1) / 2
    assert got.loc[x, "graph__failed_neighbours_1hop"] == pytest.approx((1 / 3 + 1) / 2)
    assert got.loc[x, "graph__linked_defaulted_share"] == pytest.approx(2 / 4)


# ------------------------------------------------------------------------------ definitions
def test_every_new_feature_has_a_unit_and_a_phrase():
    by_name = {f.name: f for f in FEATURES}
    for name in (
        "graph__eccentricity",
        "graph__defaulted_pagerank",
        "graph__failed_neighbours_1hop",
        "graph__failed_neighbours_2hop",
        "graph__liquidator_wound_up",
        "graph__legal_links",
        "graph__legal_linked_defaulted",
        "graph__ties_supervisory",
        "graph__ties_trustee",
    ):
        assert by_name[name].unit and by_name[name].phrase and by_name[name].meaning
    assert by_name["graph__failed_neighbours_2hop"].phrase_unit == ""
    assert by_name["graph__defaulted_pagerank"].unit in DIMENSIONLESS
    assert by_name["graph__eccentricity"].phrase_unit == "steps"


# ------------------------------------------------------------------------------ the warning
def test_a_defaulted_neighbour_feature_covering_almost_no_company_is_warned_about():
    n = 500
    frame = pd.DataFrame({name: np.zeros(n) for name in DEFAULTED_NEIGHBOUR_FEATURES})
    frame["graph__linked_defaulted"] = np.r_[np.ones(50), np.zeros(n - 50)]  # 10 %
    frame.loc[:3, "graph__failed_neighbours_1hop"] = 0.5  # 4 of 500: 0.8 %
    frame.loc[4:8, "graph__failed_neighbours_2hop"] = np.nan
    message = sparse_signal_warning(frame, pd.Timestamp("2020-01-01"))
    assert message is not None and "2020-01-01" in message and "500" in message
    assert "graph__failed_neighbours_1hop 0.80%" in message
    assert "graph__linked_defaulted " not in message
    for name in DEFAULTED_NEIGHBOUR_FEATURES:
        frame[name] = 1.0
    assert sparse_signal_warning(frame, pd.Timestamp("2020-01-01")) is None
    assert sparse_signal_warning(frame.iloc[:0], pd.Timestamp("2020-01-01")) is None


def test_the_warning_fires_on_a_register_with_one_default(got):
    message = sparse_signal_warning(got, pd.Timestamp(T0), min_share=0.5)
    assert "graph__legal_linked_defaulted" in message  # P alone: 1 of 5
    assert "graph__member_max_defaulted" in message
