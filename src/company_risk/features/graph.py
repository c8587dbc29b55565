"""graph__ family: the company–person board network at t.

The network at t is bipartite: companies and persons, with an edge for every board tenure
(the management board roles `JUHL`, `JUHA`, `JUHE`, `JUHJ`) current at t — started by t, published by t, not ended by t. For "linked
companies" and the "bad reputation" signal a member's ties reach further back: a tie ended
within `memory_years` before t still links, because a director's failed companies of the last
years say something about the company he runs now.

Counting and joining (board churn, members' other boards, linked and defaulted companies) is
done with pandas/NumPy on integer codes; NetworkX does what needs a graph algorithm (PageRank,
connected components, closeness), once per snapshot. Closeness is computed only inside
components of at most `max_component_for_closeness` nodes and is NaN in larger ones: exact
closeness costs one breadth-first search per company over its component, quadratic in the
component's size, and the giant component of a real register is far too large for that.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from company_risk.config import GraphConfig
from company_risk.features.registry import define, family_frame
from company_risk.formats import BOARD_ROLES

FEATURES = define(
    "graph",
    [
        ("board_size", "board members (management board) at t", "persons", "board size"),
        (
            "board_added_6m",
            "board tenures that started in the last 6 months",
            "persons",
            "board members added in the last 6 months",
        ),
        (
            "board_added_12m",
            "board tenures that started in the last 12 months",
            "persons",
            "board members added in the last 12 months",
        ),
        (
            "board_removed_6m",
            "board tenures that ended in the last 6 months",
            "persons",
            "board members who left in the last 6 months",
        ),
        (
            "board_removed_12m",
            "board tenures that ended in the last 12 months",
            "persons",
            "board members who left in the last 12 months",
        ),
        (
            "member_other_boards_mean",
            "mean number of other current boards per board member (NaN without board)",
            "companies",
            "board members' other boards on average",
        ),
        (
            "member_other_boards_max",
            "most other current boards of any board member (NaN without board)",
            "companies",
            "most other boards of a board member",
        ),
        (
            "degree",
            "distinct other companies sharing a current board member (degree in the "
            "company projection of the network)",
            "companies",
            "companies sharing a board member",
        ),
        (
            "linked_companies",
            "distinct other companies linked through the current members' "
            "ties, current or ended within memory_years",
            "companies",
            "linked companies",
        ),
        (
            "linked_defaulted",
            "linked companies whose default was known by t",
            "companies",
            "linked companies that defaulted",
        ),
        (
            "linked_defaulted_share",
            "linked_defaulted / linked_companies (NaN without links)",
            "share",
            "share of linked companies that defaulted",
        ),
        (
            "member_max_defaulted",
            "most defaulted companies any current board member was tied "
            "to (ties current or ended within memory_years)",
            "companies",
            "defaulted companies of a board member",
        ),
        (
            "linked_tax_debtors",
            "linked companies on the latest tax-debtor list at t",
            "companies",
            "linked companies with tax debt",
        ),
        (
            "pagerank",
            "PageRank in the network times its number of nodes (1 = average node)",
            "score",
            "network PageRank",
        ),
        (
            "component_companies",
            "companies in the company's connected component (1 = alone)",
            "companies",
            "companies in the same network component",
        ),
        (
            "closeness",
            "closeness centrality inside the connected component (0 without board; "
            "NaN in components above max_component_for_closeness nodes)",
            "score",
            "network closeness",
        ),
    ],
)


def board_ties(roles: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Board tenures visible at t: management board, started (or start unknown) and published by t."""
    r = roles
    keep = (
        r["role"].isin(BOARD_ROLES).to_numpy(dtype=bool)
        & (r["published_on"] <= t).to_numpy(dtype=bool)
        & (r["start_date"].isna() | (r["start_date"] <= t)).to_numpy(dtype=bool)
    )
    return r.loc[keep, ["company_id", "person_id", "start_date", "end_date"]]


def _count(codes: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(codes, minlength=n).astype("float64")


def _changes(ties: pd.DataFrame, column: str, since: pd.Timestamp, t: pd.Timestamp) -> pd.Series:
    """Distinct (company, person) tenures whose `column` date lies in (since, t], per company."""
    at = ties[column]
    hit = ties.loc[((at > since) & (at <= t)).to_numpy(dtype=bool), ["company_id", "person_id"]]
    return hit.drop_duplicates().groupby("company_id").size()


def graph_features(
    roles: pd.DataFrame,
    population: pd.Index,
    t: pd.Timestamp,
    defaulted: pd.Index,
    debtors: pd.Index,
    cfg: GraphConfig,
) -> pd.DataFrame:
    """graph__ features for the companies of `population` (index company_id).

    `defaulted`: companies whose default was known by t; `debtors`: companies on the latest
    tax-debtor list at t.
    """
    ties = board_ties(roles, t)
    end = ties["end_date"]
    current = (end.isna() | (end > t)).to_numpy(dtype=bool)
    remembered = current | (end > t - pd.DateOffset(years=cfg.memory_years)).to_numpy(dtype=bool)
    pairs = ties.loc[remembered, ["company_id", "person_id"]].assign(current=current[remembered])
    # a person may hold several tenures on one board: one tie, current if any tenure is
    pairs = pairs.groupby(["company_id", "person_id"], as_index=False, sort=True)["current"].max()

    companies, c_code = _codes(pd.concat([pd.Series(population), pairs["company_id"]]))
    n_pop = len(population)
    pop_code = c_code[:n_pop]
    c = c_code[n_pop:]
    persons, p = _codes(pairs["person_id"])
    n_c, n_p = len(companies), len(persons)
    cur = pairs["current"].to_numpy(dtype=bool)

    in_pop = np.zeros(n_c, dtype=bool)
    in_pop[pop_code] = True
    is_defaulted = companies.isin(defaulted)
    is_debtor = companies.isin(debtors)

    board_size = _count(c[cur], n_c)
    person_boards = _count(p[cur], n_p)
    other = pd.DataFrame({"c": c[cur], "other": person_boards[p[cur]] - 1.0})
    other_stats = other.groupby("c")["other"].agg(["mean", "max"])

    # company -> company links through a current member of a population company: the sparse
    # product (population x persons, current ties) @ (persons x companies, remembered ties)
    # holds one entry per linked pair, so a serial director on hundreds of boards costs one
    # entry per pair of his companies, never one row per pair of tenures.
    members = pd.DataFrame({"c": c[cur], "p": p[cur]})
    members = members.loc[in_pop[members["c"].to_numpy()]]
    current_of_pop = _incidence(c[cur], p[cur], n_c, n_p)[pop_code]
    linked_c, linked_d = _links(current_of_pop, _incidence(c, p, n_c, n_p), pop_code)
    degree_c, _ = _links(current_of_pop, _incidence(c[cur], p[cur], n_c, n_p), pop_code)

    person_defaulted = np.bincount(p, weights=is_defaulted[c] * 1.0, minlength=n_p)
    member_defaulted = (
        pd.Series(person_defaulted[members["p"].to_numpy()]).groupby(members["c"].to_numpy()).max()
    )

    n_linked = _count(linked_c, n_c)
    n_linked_defaulted = np.bincount(linked_c, weights=is_defaulted[linked_d] * 1.0, minlength=n_c)
    n_linked_debtors = np.bincount(linked_c, weights=is_debtor[linked_d] * 1.0, minlength=n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_linked > 0, n_linked_defaulted / n_linked, np.nan)

    pagerank, component, closeness = network_metrics(c[cur], p[cur], n_c, n_p, pop_code, cfg)

    idx = pd.Index(np.arange(n_c))
    values = {
        "graph__board_size": board_size,
        "graph__board_added_6m": _changes(ties, "start_date", t - pd.DateOffset(months=6), t),
        "graph__board_added_12m": _changes(ties, "start_date", t - pd.DateOffset(months=12), t),
        "graph__board_removed_6m": _changes(ties, "end_date", t - pd.DateOffset(months=6), t),
        "graph__board_removed_12m": _changes(ties, "end_date", t - pd.DateOffset(months=12), t),
        "graph__member_other_boards_mean": other_stats["mean"].reindex(idx).to_numpy(),
        "graph__member_other_boards_max": other_stats["max"].reindex(idx).to_numpy(),
        "graph__degree": _count(degree_c, n_c),
        "graph__linked_companies": n_linked,
        "graph__linked_defaulted": n_linked_defaulted,
        "graph__linked_defaulted_share": share,
        "graph__member_max_defaulted": member_defaulted.reindex(idx, fill_value=0.0).to_numpy(),
        "graph__linked_tax_debtors": n_linked_debtors,
        "graph__pagerank": pagerank,
        "graph__component_companies": component,
        "graph__closeness": closeness,
    }
    by_code = {}
    for name, value in values.items():
        if isinstance(value, pd.Series):  # per company_id, absent = 0
            value = value.reindex(companies, fill_value=0).to_numpy(dtype="float64")
        by_code[name] = np.asarray(value, dtype="float64")[pop_code]
    return family_frame(FEATURES, by_code, population)


def _incidence(c: np.ndarray, p: np.ndarray, n_c: int, n_p: int) -> sparse.csr_matrix:
    """Companies x persons, 1 where a tie exists (the (c, p) pairs are distinct)."""
    return sparse.csr_matrix((np.ones(len(c), dtype="float32"), (c, p)), shape=(n_c, n_p))


def _links(
    members_of_pop: sparse.csr_matrix, ties: sparse.csr_matrix, pop_code: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(company code, linked company code) of every distinct pair of a population company and
    another company sharing a person, the company itself excluded."""
    shared = (members_of_pop @ ties.T).tocoo()
    own = pop_code[shared.row]
    keep = shared.col != own
    return own[keep], shared.col[keep].astype("int64")


def _codes(values: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """Sorted distinct values and each value's integer code (sorting keeps the codes, and so
    every floating-point sum over the graph, independent of the tables' row order)."""
    codes, uniques = pd.factorize(values.to_numpy(), sort=True)
    return pd.Index(uniques, dtype="str"), codes


def network_metrics(
    c: np.ndarray, p: np.ndarray, n_c: int, n_p: int, targets: np.ndarray, cfg: GraphConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PageRank (x number of nodes), companies per component and closeness, per company code.

    The graph holds the current ties (company code c, person code n_c + p) and the companies of
    `targets` (the population, board or not); a company outside it gets NaN. Closeness is
    computed for the `targets` only.
    """
    companies = np.union1d(targets, c)
    persons = np.unique(p) + n_c
    graph = nx.Graph()
    graph.add_nodes_from(companies.tolist())
    graph.add_nodes_from(persons.tolist())
    graph.add_edges_from(zip(c.tolist(), (p + n_c).tolist(), strict=True))
    n = graph.number_of_nodes()
    ranks = nx.pagerank(graph)
    pagerank = np.full(n_c, np.nan)
    pagerank[companies] = (
        np.fromiter((ranks[i] for i in companies.tolist()), "float64", len(companies)) * n
    )

    label = np.full(n_c + n_p, -1, dtype="int64")
    for i, nodes in enumerate(nx.connected_components(graph)):
        label[np.fromiter(nodes, dtype="int64", count=len(nodes))] = i
    companies_in = np.bincount(label[companies])
    nodes_in = np.bincount(label[label >= 0])
    component = np.full(n_c, np.nan)
    component[companies] = companies_in[label[companies]]

    closeness = np.full(n_c, np.nan)
    if cfg.closeness:
        own = label[targets]
        alone = companies_in[own] == 1  # one company and its own members: a star around it
        closeness[targets[alone]] = np.where(nodes_in[own[alone]] > 1, 1.0, 0.0)
        small = targets[~alone & (nodes_in[own] <= cfg.max_component_for_closeness)]
        for node in small.tolist():
            dist = nx.single_source_shortest_path_length(graph, node)
            closeness[node] = (len(dist) - 1) / sum(dist.values())
    return pagerank, component, closeness
