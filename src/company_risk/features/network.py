"""Network algorithms of the graph family, on the integer codes `graph` gives companies and persons.

The network is bipartite: company code i is node i, person code j is node n_c + j. Only the
nodes that have a tie are in it: a company without a tie is not a node, so nothing computed
here depends on which companies are being scored (a scored company without ties gets the value
of an isolated node, fixed below, not a node that would shift every other company's rank).

Everything that touches the whole network is sparse algebra (SciPy): the adjacency, PageRank by
power iteration (the iteration of NetworkX's `pagerank`, plain and personalised, checked against
it in the tests), connected components, and the weighted walks of the failed-neighbour shares,
computed as matrix–vector products so a two-step neighbourhood is never materialised.
NetworkX does the breadth-first searches of closeness and eccentricity, only inside the small
components that need them.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from company_risk.config import GraphConfig

DAMPING = 0.85  # NetworkX's default alpha
# PageRank x number of nodes of a node no tie leads to: the random jump alone, the limit of an
# isolated node's rank in a large network
ISOLATED_PAGERANK = 1.0 - DAMPING
# below this a weighted neighbourhood is empty (the walks' sums are differences of floats)
_EMPTY = 1e-9


def bipartite_adjacency(
    c: np.ndarray, p: np.ndarray, n_c: int
) -> tuple[np.ndarray, sparse.csr_array]:
    """(nodes, adjacency): the nodes with a tie in ascending order (company codes, then n_c +
    person codes) and the symmetric 0/1 adjacency over their positions. The (c, p) pairs must be
    distinct."""
    nodes = np.concatenate([np.unique(c), n_c + np.unique(p)]).astype("int64")
    u = np.searchsorted(nodes, c)
    v = np.searchsorted(nodes, n_c + p)
    n = len(nodes)
    adjacency = sparse.coo_array(
        (np.ones(2 * len(u)), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)
    ).tocsr()
    return nodes, adjacency


def pagerank(
    adjacency: sparse.csr_array,
    personalization: np.ndarray | None = None,
    start: np.ndarray | None = None,
    alpha: float = DAMPING,
    max_iter: int = 100,
    tol: float = 1.0e-6,
) -> np.ndarray:
    """PageRank of every node, by NetworkX's power iteration (`nx.pagerank` with the same
    `alpha`, `personalization`, `nstart` = `start`, `max_iter` and `tol`; dangling nodes jump as
    the personalisation says). `personalization` and `start`: a non-negative weight per node,
    not all zero (None: uniform)."""
    n = adjacency.shape[0]
    if n == 0:
        return np.zeros(0)
    out_degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.zeros(n)
    inverse[out_degree != 0] = 1.0 / out_degree[out_degree != 0]
    step = sparse.dia_array((inverse[np.newaxis, :], 0), shape=(n, n)).tocsr() @ adjacency
    step_t = step.T.tocsr()
    if personalization is None:
        jump = np.repeat(1.0 / n, n)
    else:
        jump = np.asarray(personalization, dtype="float64")
        if jump.sum() == 0:
            raise ZeroDivisionError("personalization sums to zero")
        jump = jump / jump.sum()
    dangling = np.flatnonzero(out_degree == 0)
    x = np.repeat(1.0 / n, n) if start is None else np.asarray(start, "float64") / np.sum(start)
    for _ in range(max_iter):
        last = x
        x = alpha * (step_t @ x + x[dangling].sum() * jump) + (1 - alpha) * jump
        if np.absolute(x - last).sum() < n * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def network_metrics(
    c: np.ndarray, p: np.ndarray, n_c: int, n_p: int, targets: np.ndarray, cfg: GraphConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PageRank (x number of nodes), companies per component, closeness and eccentricity, per
    company code, on the network of the ties (c, n_c + p) alone.

    A company without a tie is no node: PageRank ISOLATED_PAGERANK, a component of 1, closeness
    and eccentricity 0. Closeness (when `cfg.closeness`) and eccentricity are computed for the
    `targets` only, NaN in components above `cfg.max_component_for_closeness` nodes; a company
    alone with its own members (a star) has closeness 1 and eccentricity 1.
    """
    del n_p  # persons without a tie are no nodes either
    nodes, adjacency = bipartite_adjacency(c, p, n_c)
    is_company = nodes < n_c
    company_nodes = nodes[is_company]

    ranks = pagerank(adjacency) * len(nodes)
    pagerank_ = np.full(n_c, ISOLATED_PAGERANK)
    pagerank_[company_nodes] = ranks[is_company]

    n_components, label = csgraph.connected_components(adjacency, directed=False)
    companies_in = np.bincount(label[is_company], minlength=n_components)
    nodes_in = np.bincount(label, minlength=n_components)
    component = np.ones(n_c)
    component[company_nodes] = companies_in[label[is_company]]

    position = np.full(n_c, -1, dtype="int64")
    position[company_nodes] = np.flatnonzero(is_company)
    at = position[targets]
    in_network = at >= 0
    own = np.full(len(targets), -1, dtype="int64")
    own[in_network] = label[at[in_network]]
    own_companies = np.ones(len(targets), dtype="int64")
    own_companies[in_network] = companies_in[own[in_network]]
    own_nodes = np.ones(len(targets), dtype="int64")
    own_nodes[in_network] = nodes_in[own[in_network]]
    alone = own_companies == 1  # no node, or one company and its own members: a star
    star = np.where(own_nodes > 1, 1.0, 0.0)

    closeness = np.full(n_c, np.nan)
    eccentricity = np.full(n_c, np.nan)
    eccentricity[targets[alone]] = star[alone]
    if cfg.closeness:
        closeness[targets[alone]] = star[alone]
    searched = ~alone & (own_nodes <= cfg.max_component_for_closeness)
    if searched.any():
        graph = _components_graph(adjacency, label, np.unique(own[searched]))
        for code, node in zip(targets[searched].tolist(), at[searched].tolist(), strict=True):
            dist = nx.single_source_shortest_path_length(graph, node)
            eccentricity[code] = max(dist.values())
            if cfg.closeness:
                closeness[code] = (len(dist) - 1) / sum(dist.values())
    return pagerank_, component, closeness, eccentricity


def _components_graph(
    adjacency: sparse.csr_array, label: np.ndarray, components: np.ndarray
) -> nx.Graph:
    """The NetworkX graph of the given components (node = position in the adjacency)."""
    upper = sparse.triu(adjacency, k=1).tocoo()
    keep = np.isin(label[upper.row], components)
    graph = nx.Graph()
    graph.add_edges_from(zip(upper.row[keep].tolist(), upper.col[keep].tolist(), strict=True))
    return graph


def seeded_pagerank(c: np.ndarray, p: np.ndarray, n_c: int, seeds: np.ndarray) -> np.ndarray:
    """Personalised PageRank (x number of nodes) per company code on the network of the ties
    (c, n_c + p), every random jump landing on a company of `seeds` (a bool per company code),
    the power iteration started from them (`nx.pagerank(personalization=..., nstart=...)`).
    0 for a company no seed reaches, and for every company when no seed has a tie."""
    nodes, adjacency = bipartite_adjacency(c, p, n_c)
    is_company = nodes < n_c
    weight = np.zeros(len(nodes))
    weight[is_company] = seeds[nodes[is_company]]
    out = np.zeros(n_c)
    if weight.sum() == 0:
        return out
    # starting from the seeds, a company they do not reach stays at exactly 0
    ranks = pagerank(adjacency, personalization=weight, start=weight) * len(nodes)
    out[nodes[is_company]] = ranks[is_company]
    return out


def failed_neighbour_shares(
    members_of_pop: sparse.csr_array,
    ties: sparse.csr_array,
    pop_code: np.ndarray,
    failed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted shares of failed companies one and two steps away, per population row.

    `members_of_pop`: population x persons (the current members); `ties`: companies x persons
    (the remembered ties, a superset of the current ones); `failed`: a bool per company code. A
    person on k companies links each of them to the other k - 1 with weight 1 / (k - 1), so
    every member carries the same weight however many boards he sits on, and two companies
    sharing several persons are closer. One step: the weights to failed companies / all the
    weights (the weighted neighbourhood size), the company itself excluded. Two steps: the same
    over two-step walks (a member, then any remembered tie of the company reached), the walks
    that come back to the company itself left out. NaN where the weighted neighbourhood is
    empty. Only matrix–vector products: no company x company matrix is ever formed.
    """
    boards = np.asarray(ties.sum(axis=0)).ravel()
    weight = np.zeros(len(boards))
    many = boards > 1
    weight[many] = 1.0 / (boards[many] - 1.0)
    y = failed.astype("float64")
    ones = np.ones(len(y))
    own_weight = members_of_pop @ weight  # the step from a company back to itself, removed
    through_ties = ties @ weight

    def first(u: np.ndarray) -> np.ndarray:  # one step from each population company
        return members_of_pop @ (weight * (ties.T @ u)) - own_weight * u[pop_code]

    def walk(u: np.ndarray) -> np.ndarray:  # one step from every company, over remembered ties
        return ties @ (weight * (ties.T @ u)) - through_ties * u

    one = _share(first(y), first(ones))
    # the walks c -> j -> c (j = c itself removed: neither step stays on the company)
    back = _returning_walks(members_of_pop, ties, pop_code, weight)
    back -= own_weight * through_ties[pop_code]
    two = _share(first(walk(y)) - back * y[pop_code], first(walk(ones)) - back)
    return one, two


def _returning_walks(
    members_of_pop: sparse.csr_array,
    ties: sparse.csr_array,
    pop_code: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """Per population company c, the weight of the walks c -> j -> c over every company j
    (j = c included): the sum over its current members p and remembered members q of
    w_p w_q times the number of companies p and q share. Boards are small, so the pairs (p, q)
    of one company are few, where the two-step neighbourhoods of a serial director are not."""
    shared = (ties.T @ ties).tocsr()  # persons x persons: companies in common
    row, p = members_of_pop.nonzero()
    company_ties = ties[pop_code].tocsr()
    starts, q_all = company_ties.indptr, company_ties.indices
    per_row = np.diff(starts)[row]
    pair_row = np.repeat(row, per_row)
    pair_p = np.repeat(p, per_row)
    offsets = np.arange(len(pair_row)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    pair_q = q_all[np.repeat(starts[row], per_row) + offsets]
    together = np.asarray(shared[pair_p, pair_q], dtype="float64") if len(pair_p) else 0.0
    contribution = weight[pair_p] * weight[pair_q] * together
    walks = np.bincount(pair_row, weights=contribution, minlength=len(pop_code))
    return walks.astype("float64")  # int64 when there is no pair at all


def _share(hits: np.ndarray, total: np.ndarray) -> np.ndarray:
    out = np.full(len(total), np.nan)
    some = total > _EMPTY
    out[some] = np.clip(hits[some] / total[some], 0.0, 1.0)
    return out
