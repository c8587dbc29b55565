"""graph__ features, each checked by hand on a network of eight companies and five persons.

At t = 2020-01-01 (memory 5 years: ties ended after 2015-01-01 still link):

    A ── p1 ── B          p1: A (since 2019-10-01), B (since 2016), G (ended 2013: forgotten)
    A ── p2 ── H          p2: A (since 2015), H (bankrupt 2019-06, p2 still on its board),
                               C (ended 2017-06-01; C bankrupt 2017-05-15)
    D ── p3               p3: D (since 2019-08-01), B (ended 2019-03-01)
    E ── p4               p4: E; also F from 2019-12-01, published only 2020-02-01
    F                     no board; p5 is A's procurator (not a board role)

Population (status R): A, B, D, E, F. B is on the tax-debtor list at t.

Remembered ties (current or ended after 2015-01-01) give each person's companies: p1 A, B;
p2 A, C, H; p3 B, D; p4 E. In the failed-neighbour walks a person on k companies links each to
the other k - 1 with weight 1 / (k - 1): p1 and p3 weigh 1, p2 1/2, p4 links nothing.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from builders import FEATURES_CFG as CFG
from builders import Tables, features_at, graph_at
from company_risk.config import GraphConfig
from company_risk.features.network import ISOLATED_PAGERANK

A, B, C, D, E, F, G, H = (f"1000000{i}" for i in range(1, 9))
T0 = "2020-01-01"


@pytest.fixture(scope="module")
def world() -> Tables:
    w = Tables()
    for company in (A, B, C, D, E, F, G, H):
        w.company(company, registered="2008-01-01")
    w.role(A, "p1", "2019-10-01").role(A, "p2", "2015-01-01").role(
        A, "p5", "2016-01-01", role="PROK"
    )
    w.role(B, "p1", "2016-01-01").role(B, "p3", "2017-01-01", end="2019-03-01")
    w.role(C, "p2", "2012-01-01", end="2017-06-01")
    w.role(D, "p3", "2019-08-01")
    w.role(E, "p4", "2018-01-01")
    w.role(F, "p4", "2019-12-01", published_on="2020-02-01")
    w.role(G, "p1", "2010-01-01", end="2013-01-01")
    w.role(H, "p2", "2014-01-01")
    w.default(C, "2017-05-15")
    w.default(G, "2012-11-20", kind="deleted")
    w.default(H, "2019-06-03")
    w.debt(B, "2020-01-01", 900.0)
    w.debt(D, "2019-10-01", 300.0)  # an older list: not current at t
    w.tax_list("2019-11-01").tax_list("2019-12-01")
    return w


@pytest.fixture(scope="module")
def got(world):
    return features_at(world, T0)


EXPECTED = {
    # feature: (A, B, D, E, F)
    "graph__board_size": (2, 1, 1, 1, 0),
    "graph__board_added_6m": (1, 0, 1, 0, 0),
    "graph__board_added_12m": (1, 0, 1, 0, 0),
    "graph__board_removed_6m": (0, 0, 0, 0, 0),
    "graph__board_removed_12m": (0, 1, 0, 0, 0),
    "graph__member_other_boards_mean": (1, 1, 0, 0, np.nan),
    "graph__member_other_boards_max": (1, 1, 0, 0, np.nan),
    "graph__degree": (2, 1, 0, 0, 0),
    "graph__linked_companies": (3, 1, 1, 0, 0),  # A: B, C, H; B: A; D: B
    "graph__linked_defaulted": (2, 0, 0, 0, 0),  # A: C and H
    "graph__linked_defaulted_share": (2 / 3, 0, 0, np.nan, np.nan),
    "graph__member_max_defaulted": (2, 0, 0, 0, 0),  # p2: C and H; p1's G is forgotten
    "graph__linked_tax_debtors": (1, 0, 1, 0, 0),  # B is on the list
    "graph__component_companies": (3, 3, 1, 1, 1),
    # A: p1, p2 at 1, B, H at 2 -> 4/6; B: p1 1, A 2, p2 3, H 4 -> 4/10; stars: 1; alone: 0
    "graph__closeness": (4 / 6, 4 / 10, 1, 1, 0),
    "graph__eccentricity": (2, 4, 1, 1, 0),  # A: B, H at 2; B: H at 4; stars 1; alone 0
    # A: B (p1, 1), C and H (p2, 1/2 each) -> 1 / 2; B: A; D: B (p3's ended tie); E: p4 alone
    "graph__failed_neighbours_1hop": (0.5, 0, 0, np.nan, np.nan),
    # A -> B -> D (1), A -> C -> H and A -> H -> C (1/4 each), walks back to A left out: 0.5/1.5
    # B -> A -> C, H (1/2 each): 1; D -> B -> A (1): 0
    "graph__failed_neighbours_2hop": (1 / 3, 1, 0, np.nan, np.nan),
    "graph__ties_procurator": (1, 0, 0, 0, 0),  # p5
    "graph__ties_supervisory": (0, 0, 0, 0, 0),
    "graph__liquidator_wound_up": (0, 0, 0, 0, 0),
    "graph__legal_links": (0, 0, 0, 0, 0),
}


@pytest.mark.parametrize("feature", sorted(EXPECTED))
def test_graph_feature_by_hand(got, feature):
    assert list(got.index) == [A, B, D, E, F]
    np.testing.assert_allclose(
        got[feature].to_numpy(), np.array(EXPECTED[feature], float), err_msg=feature
    )


def test_pagerank_is_networkx_pagerank_on_the_current_bipartite_graph(got):
    graph = nx.Graph()  # the register's current ties: F, without one, is no node
    graph.add_edges_from([(A, "p1"), (A, "p2"), (B, "p1"), (D, "p3"), (E, "p4"), (H, "p2")])
    ranks = nx.pagerank(graph)
    expected = [ranks[c] * graph.number_of_nodes() for c in (A, B, D, E)]
    np.testing.assert_allclose(got["graph__pagerank"].to_numpy()[:4], expected, rtol=1e-6)
    assert got.loc[F, "graph__pagerank"] == pytest.approx(ISOLATED_PAGERANK)
    # symmetric positions get equal rank: D-p3 and E-p4 are identical pairs
    assert got.loc[D, "graph__pagerank"] == pytest.approx(got.loc[E, "graph__pagerank"])
    assert got.loc[A, "graph__pagerank"] > got.loc[B, "graph__pagerank"]


def test_closeness_is_skipped_above_the_component_limit_or_when_disabled(world):
    small = dataclasses.replace(CFG, graph=GraphConfig(max_component_for_closeness=4))
    got = features_at(world, T0, small)
    np.testing.assert_allclose(got["graph__closeness"].to_numpy(), [np.nan, np.nan, 1, 1, 0])
    np.testing.assert_allclose(got["graph__eccentricity"].to_numpy(), [np.nan, np.nan, 1, 1, 0])
    off = dataclasses.replace(CFG, graph=GraphConfig(closeness=False))
    without = features_at(world, T0, off)
    assert without["graph__closeness"].isna().all()
    # eccentricity is not closeness: it stays
    np.testing.assert_allclose(without["graph__eccentricity"].to_numpy(), [2, 4, 1, 1, 0])


def test_a_shorter_memory_forgets_older_ended_ties(world):
    short = dataclasses.replace(CFG, graph=GraphConfig(memory_years=2))
    got = features_at(world, T0, short)
    # C's tie to p2 ended 2017-06-01, before 2018-01-01: A now links only B and H
    assert got.loc[A, "graph__linked_companies"] == 2
    assert got.loc[A, "graph__linked_defaulted"] == 1
    assert got.loc[A, "graph__member_max_defaulted"] == 1
    assert got.loc[A, "graph__failed_neighbours_1hop"] == pytest.approx(0.5)  # B, H: 1 each


def test_the_board_after_t_counts_once_published(world):
    got = features_at(world, "2020-02-01")
    # p4's tenure on F is now visible: F and E share p4
    assert got.loc[F, "graph__board_size"] == 1
    assert got.loc[F, "graph__board_added_6m"] == 1
    assert got.loc[E, "graph__degree"] == 1
    assert got.loc[E, "graph__component_companies"] == 2


def test_the_defaulted_pagerank_is_networkx_personalised_pagerank_on_the_remembered_ties(got):
    graph = nx.Graph()  # ties current or ended within memory_years; G's tie is forgotten
    graph.add_edges_from(
        [(A, "p1"), (A, "p2"), (B, "p1"), (B, "p3"), (C, "p2"), (D, "p3"), (E, "p4"), (H, "p2")]
    )
    seeds = {C: 1, H: 1}  # the defaults known by t, where the walk starts and jumps to
    ranks = nx.pagerank(graph, personalization=seeds, nstart=seeds)
    n = graph.number_of_nodes()
    expected = [ranks[A] * n, ranks[B] * n, ranks[D] * n, 0, 0]  # E, F: no defaulted company
    np.testing.assert_allclose(got["graph__defaulted_pagerank"].to_numpy(), expected, rtol=1e-6)
    assert got.loc[A, "graph__defaulted_pagerank"] > got.loc[B, "graph__defaulted_pagerank"]


# ------------------------------------------------------------------------------ defects
def test_member_max_defaulted_never_counts_the_company_itself():
    """A company whose own bankruptcy was annulled (N, then R again) is scored with its default
    visible; its member's count of defaulted companies must leave it out, as linked_defaulted
    and its share do. Before the fix p1's count here was 2 (X itself and Y)."""
    x, y = "20000001", "20000002"
    w = Tables()
    w.company(x, registered="2010-01-01").company(y, registered="2010-01-01")
    w.role(x, "p1", "2012-01-01").role(y, "p1", "2012-01-01", end="2018-06-01")
    w.default(y, "2018-05-01")
    w.default(x, "2018-03-01")
    w.status(x, "R", "2019-01-01")  # the bankruptcy annulled: x is scored again
    got = features_at(w, "2020-01-01")
    assert list(got.index) == [x]
    assert got.loc[x, "graph__member_max_defaulted"] == 1  # y alone
    assert got.loc[x, "graph__linked_defaulted"] == 1
    assert got.loc[x, "graph__linked_defaulted_share"] == 1


def test_network_features_do_not_depend_on_who_else_is_scored(world):
    """The network is the register's ties at t, not the population: before the fix every
    board-less company scored was added as an isolated node, which moved every PageRank."""
    full = graph_at(world, T0)
    assert list(full.index) == [A, B, D, E, F]
    for scored in ([A, B, D, E], [A], [F], [B, E, F]):
        part = graph_at(world, T0, scored)
        pd.testing.assert_frame_equal(part, full.loc[scored])
    # and the register's other companies (H is defaulted, never scored) can be scored too
    with_h = graph_at(world, T0, [A, B, D, E, F, H])
    pd.testing.assert_frame_equal(with_h.loc[[A, B, D, E, F]], full)
