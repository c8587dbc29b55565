"""graph__ family: the company–person network of the register at t.

The network at t is bipartite: companies and persons, with an edge for every tie in the board
roles (`features.graph.roles`, by default the management board `JUHL`, `JUHA`, `JUHE`, `JUHJ`)
current at t — started by t, published by t, not ended by t. For "linked companies" and the
"bad reputation" signals a member's ties reach further back: a tie ended within `memory_years`
before t still links, because a director's failed companies of the last years say something
about the company he runs now. Defaults count as they were visible at t (`defaulted`: dated and
published by t); the company's own default never counts among its neighbours'.

The network is the register's, not the scored population's: it holds every company and person
with a tie at t, so a company's features do not depend on which other companies are scored (a
company without a tie is no node; see `network`). Other role families feed features of their
own: a tie count per family (supervisory board, procurators, partners, shareholders,
liquidators, trustees), the companies the current liquidators and trustees have wound up
(companies whose deletion was visible by t), and a second layer of company–company links
through legal persons (a legal person's key is its registry code) on a board, as partner or as
shareholder (the `shareholdings` table).

Counting and joining is done with pandas/NumPy on integer codes and SciPy sparse products;
`network` holds the algorithms on the whole network (PageRank, personalised PageRank seeded on
the defaulted companies, components, the weighted failed-neighbour walks) and runs NetworkX's
breadth-first search only inside components of at most `max_component_for_closeness` nodes
(closeness and eccentricity, NaN in larger ones: one search per company over its component is
quadratic in the component's size, and the giant component of a real register is far too large).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from company_risk.config import GraphConfig
from company_risk.features.network import (
    failed_neighbour_shares,
    network_metrics,
    seeded_pagerank,
)
from company_risk.features.registry import define, family_frame
from company_risk.formats import BOARD_ROLES, ROLE_FAMILIES

# tie-count feature suffix -> (formats.ROLE_FAMILIES name, meaning, phrase)
TIE_FAMILIES = {
    "supervisory": ("supervisory_board", "supervisory board members", "supervisory board members"),
    "procurator": ("procurator", "procurators", "procurators"),
    "partner": ("partner", "partners", "partners"),
    "shareholder": (
        "shareholder",
        "shareholders in the shareholders file or on the card",
        "shareholders",
    ),
    "liquidator": ("liquidator", "liquidators", "liquidators"),
    "trustee": ("trustee", "bankruptcy trustees, interim ones included", "bankruptcy trustees"),
}
WINDING_UP_ROLES = ROLE_FAMILIES["liquidator"] + ROLE_FAMILIES["trustee"]
# besides the board roles, the roles through which a legal person links two companies
LEGAL_LINK_ROLES = ROLE_FAMILIES["partner"] + ROLE_FAMILIES["shareholder"]
LEGAL_PERSON = "legal"  # formats.PERSON_KINDS: person_id is an Estonian registry code
DELETED = "K"


def _codes_of(family: str) -> str:
    return ", ".join(ROLE_FAMILIES[family])


FEATURES = define(
    "graph",
    [
        ("board_size", "board members (the board roles) at t", "persons", "board size"),
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
            "linked companies whose default was known by t (the company itself excluded)",
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
            "most defaulted companies other than this one that any current board member was "
            "tied to (ties current or ended within memory_years)",
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
            "PageRank in the network of the register's current board ties times its number of "
            "nodes (1 = average node; 0.15 = 1 - damping without a current tie)",
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
        (
            "eccentricity",
            "most steps from the company to any node of its connected component (a board "
            "member is 1 step, a company sharing him 2; 0 without board; NaN in components "
            "above max_component_for_closeness nodes)",
            "steps",
            "network eccentricity",
        ),
        (
            "defaulted_pagerank",
            "personalised PageRank, every random jump landing on a company whose default was "
            "known by t, in the network of board ties current or ended within memory_years, "
            "times its number of nodes (0 = no defaulted company reaches it)",
            "score",
            "network proximity to defaulted companies",
        ),
        (
            "failed_neighbours_1hop",
            "share of defaulted companies among those sharing a current board member, each "
            "weighted by its shared members and each member's weight split over his other "
            "companies (ties current or ended within memory_years; NaN without neighbours)",
            "share",
            "weighted share of defaulted neighbours",
        ),
        (
            "failed_neighbours_2hop",
            "the same weighted share two steps away (a member's company, then that company's "
            "ties), walks back to the company itself left out (NaN without such walks)",
            "share",
            "weighted share of defaulted companies two steps away",
        ),
        (
            "liquidator_wound_up",
            "most other companies that a current liquidator or trustee of the company held "
            "such a role in and that left the register by t (0 without one)",
            "companies",
            "companies wound up by the company's liquidator or trustee",
        ),
        (
            "legal_links",
            "distinct other Estonian companies tied to the company as, or through, a legal "
            "person on a board, as partner or as shareholder (either holds the other; ties "
            "current or ended within memory_years)",
            "companies",
            "companies linked through legal persons",
        ),
        (
            "legal_linked_defaulted",
            "legal_links whose default was known by t",
            "companies",
            "companies linked through legal persons that defaulted",
        ),
        *(
            (f"ties_{name}", f"{meaning} ({_codes_of(family)}) at t", "persons", phrase)
            for name, (family, meaning, phrase) in TIE_FAMILIES.items()
        ),
    ],
)
# features that count or weigh defaulted neighbours: when almost no company has a non-zero
# value at a snapshot, the network carries too few visible defaults for them to say much
DEFAULTED_NEIGHBOUR_FEATURES = (
    "graph__linked_defaulted",
    "graph__member_max_defaulted",
    "graph__defaulted_pagerank",
    "graph__failed_neighbours_1hop",
    "graph__failed_neighbours_2hop",
    "graph__legal_linked_defaulted",
)
MIN_SIGNAL_SHARE = 0.01


def ties_at(roles: pd.DataFrame, t: pd.Timestamp, codes=None) -> pd.DataFrame:
    """Role rows visible at t, with a role of `codes` (None: any): started (or start unknown) and
    published by t, ended or not (columns company_id, person_id, person_type, role, start_date,
    end_date)."""
    r = roles
    keep = (r["published_on"] <= t).to_numpy(dtype=bool) & (
        r["start_date"].isna() | (r["start_date"] <= t)
    ).to_numpy(dtype=bool)
    if codes is not None:
        keep &= r["role"].isin(codes).to_numpy(dtype=bool)
    return r.loc[keep, ["company_id", "person_id", "person_type", "role", "start_date", "end_date"]]


def _member(values, members) -> np.ndarray:
    """A bool per value: is it one of `members` (company ids)? By the hash table of `members`
    (pandas caches it on the Index); `Series.isin` on Arrow strings walks its argument in
    Python, seconds for a population of 380,000."""
    members = pd.Index(members, dtype="str")
    if not members.is_unique:
        members = members.unique()
    return members.get_indexer(pd.Index(values, dtype="str")) >= 0


def _of_roles(ties: pd.DataFrame, codes) -> pd.DataFrame:
    return ties.loc[ties["role"].isin(codes).to_numpy(dtype=bool)]


def holdings_at(shareholdings: pd.DataFrame | None, t: pd.Timestamp) -> pd.DataFrame:
    """Shareholdings visible at t, like `ties_at` (an empty table when there is none)."""
    columns = ["company_id", "person_id", "person_type", "start_date", "end_date"]
    if shareholdings is None:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns[:3]}).assign(
            start_date=pd.Series(dtype="datetime64[us]"), end_date=pd.Series(dtype="datetime64[us]")
        )
    h = shareholdings
    keep = (h["published_on"] <= t).to_numpy(dtype=bool) & (
        h["start_date"].isna() | (h["start_date"] <= t)
    ).to_numpy(dtype=bool)
    return h.loc[keep, columns]


def board_ties(roles: pd.DataFrame, t: pd.Timestamp, codes=BOARD_ROLES) -> pd.DataFrame:
    """Board tenures visible at t (the roles of `codes`), started (or start unknown) and
    published by t."""
    return ties_at(roles, t, codes)[["company_id", "person_id", "start_date", "end_date"]]


def left_register_by(status_history: pd.DataFrame | None, t: pd.Timestamp) -> pd.Index:
    """Companies whose deletion (status K) was dated and published by t."""
    if status_history is None:
        return pd.Index([], dtype="str")
    s = status_history
    gone = (s["status"] == DELETED) & (s["valid_from"] <= t) & (s["published_on"] <= t)
    return pd.Index(s.loc[gone.to_numpy(dtype=bool), "company_id"].unique(), dtype="str")


def _is_current(ties: pd.DataFrame, t: pd.Timestamp) -> np.ndarray:
    end = ties["end_date"]
    return (end.isna() | (end > t)).to_numpy(dtype=bool)


def _is_remembered(ties: pd.DataFrame, t: pd.Timestamp, cfg: GraphConfig) -> np.ndarray:
    since = t - pd.DateOffset(years=cfg.memory_years)
    return _is_current(ties, t) | (ties["end_date"] > since).to_numpy(dtype=bool)


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
    *,
    shareholdings: pd.DataFrame | None = None,
    status_history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """graph__ features for the companies of `population` (index company_id).

    `roles`: the board_roles table; `defaulted`: companies whose default was known by t;
    `debtors`: companies on the latest tax-debtor list at t; `shareholdings` and
    `status_history`: the interim tables, for the shareholder ties and the companies that left
    the register (None: no holdings, no deletion known, so graph__ties_shareholder counts the
    card's shareholders only, graph__legal_links the card's legal persons only, and
    graph__liquidator_wound_up is 0). `sparse_signal_warning` words what the stage should log
    when a defaulted-neighbour feature covers almost no company.
    """
    visible = ties_at(roles, t)
    ties = _of_roles(visible, cfg.roles)
    current = _is_current(ties, t)
    remembered = _is_remembered(ties, t, cfg)
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
    is_defaulted = _member(companies, defaulted)
    is_debtor = _member(companies, debtors)

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
    current_ties = _incidence(c[cur], p[cur], n_c, n_p)
    remembered_ties = _incidence(c, p, n_c, n_p)
    current_of_pop = current_ties[pop_code]
    linked_c, linked_d = _links(current_of_pop, remembered_ties, pop_code)
    degree_c, _ = _links(current_of_pop, current_ties, pop_code)

    # a member's defaulted companies other than this one (the tie (c, p) is a remembered one)
    person_defaulted = np.bincount(p, weights=is_defaulted[c] * 1.0, minlength=n_p)
    own_default = is_defaulted[members["c"].to_numpy()] * 1.0
    member_defaulted = (
        pd.Series(person_defaulted[members["p"].to_numpy()] - own_default)
        .groupby(members["c"].to_numpy())
        .max()
    )

    n_linked = _count(linked_c, n_c)
    n_linked_defaulted = np.bincount(linked_c, weights=is_defaulted[linked_d] * 1.0, minlength=n_c)
    n_linked_debtors = np.bincount(linked_c, weights=is_debtor[linked_d] * 1.0, minlength=n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_linked > 0, n_linked_defaulted / n_linked, np.nan)

    pagerank, component, closeness, eccentricity = network_metrics(
        c[cur], p[cur], n_c, n_p, pop_code, cfg
    )
    failed_1hop, failed_2hop = failed_neighbour_shares(
        current_of_pop, remembered_ties, pop_code, is_defaulted
    )

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
        "graph__eccentricity": eccentricity,
        "graph__defaulted_pagerank": seeded_pagerank(c, p, n_c, is_defaulted),
    }
    by_code = {}
    for name, value in values.items():
        if isinstance(value, pd.Series):  # per company_id, absent = 0
            value = value.reindex(companies, fill_value=0).to_numpy(dtype="float64")
        by_code[name] = np.asarray(value, dtype="float64")[pop_code]
    # already one value per population row
    by_code["graph__failed_neighbours_1hop"] = failed_1hop
    by_code["graph__failed_neighbours_2hop"] = failed_2hop
    holdings = holdings_at(shareholdings, t)
    per_company = {
        "graph__liquidator_wound_up": _wound_up(
            visible, population, t, left_register_by(status_history, t)
        ),
        **_legal_links(visible, holdings, population, t, defaulted, cfg),
        **_tie_counts(visible, holdings, t),
    }
    for name, value in per_company.items():
        by_code[name] = value.reindex(population, fill_value=0).to_numpy(dtype="float64")
    return family_frame(FEATURES, by_code, population)


def _tie_counts(visible: pd.DataFrame, holdings: pd.DataFrame, t: pd.Timestamp) -> dict:
    """graph__ties_<family>: distinct persons with a current tie of the family, per company
    (`visible`: the role rows visible at t)."""
    family_of = {
        code: name
        for name, (family, _, _) in TIE_FAMILIES.items()
        for code in ROLE_FAMILIES[family]
    }
    card = visible.loc[_is_current(visible, t), ["company_id", "person_id", "role"]]
    family = card["role"].map(family_of)
    card = card.loc[family.notna().to_numpy(dtype=bool)].assign(family=family.dropna())
    listed = holdings.loc[_is_current(holdings, t), ["company_id", "person_id"]]
    ties = pd.concat(
        [card.drop(columns="role"), listed.assign(family="shareholder")], ignore_index=True
    )
    counts = ties.drop_duplicates().groupby(["family", "company_id"]).size()
    none = pd.Series(dtype="float64")
    return {
        f"graph__ties_{name}": counts.xs(name) if name in counts.index.levels[0] else none
        for name in TIE_FAMILIES
    }


def _wound_up(
    visible: pd.DataFrame, population: pd.Index, t: pd.Timestamp, left: pd.Index
) -> pd.Series:
    """Per company with a current liquidator or trustee: the most other companies one of them
    held such a role in (any time by t) that left the register by t (`visible`: the role rows
    visible at t)."""
    ties = _of_roles(visible, WINDING_UP_ROLES)
    held = ties[["company_id", "person_id"]].drop_duplicates()
    wound = held.loc[_member(held["company_id"], left)].groupby("person_id").size()
    now = ties.loc[_is_current(ties, t), ["company_id", "person_id"]].drop_duplicates()
    now = now.loc[_member(now["company_id"], population)]
    count = wound.reindex(now["person_id"], fill_value=0).to_numpy(dtype="float64")
    count -= _member(now["company_id"], left)  # never the company itself
    return pd.Series(count).groupby(now["company_id"].to_numpy()).max()


def _legal_links(
    visible: pd.DataFrame,
    holdings: pd.DataFrame,
    population: pd.Index,
    t: pd.Timestamp,
    defaulted: pd.Index,
    cfg: GraphConfig,
) -> dict:
    """graph__legal_links and graph__legal_linked_defaulted: the second layer of company–company
    links, where a legal person (its key, a registry code) holds a board role, a partnership or
    shares in a company; the link runs both ways (holder and held). `visible`: the role rows
    visible at t."""
    ties = pd.concat(
        [_of_roles(visible, tuple(cfg.roles) + LEGAL_LINK_ROLES).drop(columns="role"), holdings],
        ignore_index=True,
    )
    ties = ties.loc[
        (ties["person_type"] == LEGAL_PERSON).to_numpy(dtype=bool) & _is_remembered(ties, t, cfg)
    ]
    held, holder = ties["company_id"].to_numpy(), ties["person_id"].to_numpy()
    links = pd.DataFrame(
        {"c": np.concatenate([held, holder]), "other": np.concatenate([holder, held])}
    ).drop_duplicates()
    links = links.loc[
        (links["c"] != links["other"]).to_numpy(dtype=bool) & _member(links["c"], population)
    ]
    hit = _member(links["other"], defaulted).astype("float64")
    return {
        "graph__legal_links": links.groupby("c").size(),
        "graph__legal_linked_defaulted": pd.Series(hit).groupby(links["c"].to_numpy()).sum(),
    }


def sparse_signal_warning(
    features: pd.DataFrame, t: pd.Timestamp, min_share: float = MIN_SIGNAL_SHARE
) -> str | None:
    """The warning the features stage logs when a defaulted-neighbour feature is non-zero for
    under `min_share` of the companies at snapshot t (None when every one covers more)."""
    if features.empty:
        return None
    shares = {
        name: float((features[name].to_numpy(dtype="float64") > 0).mean())
        for name in DEFAULTED_NEIGHBOUR_FEATURES
        if name in features
    }
    low = {name: s for name, s in shares.items() if s < min_share}
    if not low:
        return None
    listed = ", ".join(f"{name} {s:.2%}" for name, s in low.items())
    return (
        f"graph features at {pd.Timestamp(t).date()}: defaulted-neighbour feature(s) non-zero "
        f"for under {min_share:.0%} of the {len(features):,} companies ({listed}): the network "
        "holds too few defaults visible by then for them to carry a signal"
    )


def _incidence(c: np.ndarray, p: np.ndarray, n_c: int, n_p: int) -> sparse.csr_array:
    """Companies x persons, 1 where a tie exists (the (c, p) pairs are distinct)."""
    return sparse.csr_array((np.ones(len(c), dtype="float32"), (c, p)), shape=(n_c, n_p))


def _links(
    members_of_pop: sparse.csr_array, ties: sparse.csr_array, pop_code: np.ndarray
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
