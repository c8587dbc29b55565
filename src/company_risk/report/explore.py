"""Views of the register's history for the exploration notebook: growth, exits, tax debts and
the board network around a few companies.

Pure functions over the interim history tables (company_risk.schemas.INTERIM_TABLES), kept in
the package rather than in the notebook so they are tested and reusable. Persons appear only as
numbered nodes (P1, P2, ...) of the drawing: never a name, a personal code or any part of the
pseudonymous person key.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
from matplotlib.figure import Figure

from company_risk.artifacts import interim_table

PERSON_PREFIX = "P"


def read_interim(folder: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The named history tables from `data/interim/<name>.parquet`."""
    return {name: pd.read_parquet(interim_table(Path(folder), name)) for name in names}


def registrations_per_year(companies: pd.DataFrame) -> pd.Series:
    """New companies per year of first registration (one count per company)."""
    first = companies.drop_duplicates("company_id")["first_registered"]
    return first.dt.year.value_counts().sort_index().rename("registered")


def active_at(status_history: pd.DataFrame, dates: list[pd.Timestamp]) -> pd.Series:
    """Companies with status R on each date: the register's size over time."""
    registered = status_history.loc[status_history["status"] == "R"]
    counts = {}
    for day in dates:
        open_end = registered["valid_to"].isna() | (registered["valid_to"] > day)
        counts[pd.Timestamp(day)] = int(
            registered.loc[(registered["valid_from"] <= day) & open_end, "company_id"].nunique()
        )
    return pd.Series(counts, name="active").rename_axis("date")


def exits_per_year(status_history: pd.DataFrame, defaults: pd.DataFrame) -> pd.DataFrame:
    """Per year: defaults by kind (bankrupt, deleted by the registrar) and voluntary
    liquidations (the first L status), the exit that is not a default."""
    by_kind = defaults.assign(year=defaults["default_date"].dt.year).pivot_table(
        index="year", columns="kind", values="company_id", aggfunc="count", fill_value=0
    )
    liquidations = (
        status_history.loc[status_history["status"] == "L"]
        .sort_values("valid_from")
        .drop_duplicates("company_id")["valid_from"]
        .dt.year.value_counts()
        .rename("liquidated")
    )
    out = by_kind.join(liquidations, how="outer").fillna(0).astype("int64").sort_index()
    out.columns.name = None
    return out


def tax_debt_over_time(tax_debts: pd.DataFrame) -> pd.DataFrame:
    """Per tax-debtor list date: debtors, total and median listed debt (EUR)."""
    grouped = tax_debts.groupby("as_of")["debt"]
    return pd.DataFrame(
        {"debtors": grouped.size(), "total_debt": grouped.sum(), "median_debt": grouped.median()}
    )


def most_connected_companies(
    board_roles: pd.DataFrame, n: int, roles: tuple[str, ...]
) -> list[str]:
    """A few companies that share board members: the companies of the persons who sat on the
    most boards (serial directors are where the network's signal lives). `roles` is
    `features.graph.roles`, the board the graph features see."""
    board = board_roles.loc[board_roles["role"].isin(roles)]
    per_person = (
        board.groupby("person_id")["company_id"]
        .nunique()
        .sort_values(ascending=False, kind="stable")
    )
    chosen: list[str] = []
    for person in per_person.index:
        for company in sorted(board.loc[board["person_id"] == person, "company_id"].unique()):
            if company not in chosen:
                chosen.append(company)
            if len(chosen) >= n:
                return chosen
    return chosen


def board_network(
    board_roles: pd.DataFrame, companies: list[str], roles: tuple[str, ...]
) -> nx.Graph:
    """Companies and the board members (management board) who ever sat on them, one edge per tenure; node
    attribute `kind` is company or person. Persons are numbered P1, P2, ... in order of their
    first board seat among `companies`: the graph holds no person key, so nothing drawn or
    printed from it can identify a person."""
    board = board_roles.loc[
        board_roles["role"].isin(roles) & board_roles["company_id"].isin(companies)
    ]
    order = {c: i for i, c in enumerate(companies)}
    board = board.assign(_company=board["company_id"].map(order)).sort_values(
        ["_company", "start_date", "person_id"]
        if "start_date" in board
        else ["_company", "person_id"],
        kind="stable",
    )
    numbers = {key: f"{PERSON_PREFIX}{i}" for i, key in enumerate(board["person_id"].unique(), 1)}
    graph = nx.Graph()
    for company in companies:
        graph.add_node(company, kind="company", label=company)
    for row in board.itertuples(index=False):
        person = numbers[row.person_id]
        graph.add_node(person, kind="person", label=person)
        graph.add_edge(row.company_id, person, ended=pd.notna(row.end_date))
    return graph


def draw_network(graph: nx.Graph, defaulted: set[str], title: str) -> Figure:
    """Companies as squares (red when they defaulted), persons as small circles; a dashed edge
    is a board seat that ended."""
    fig = Figure(figsize=(8, 6))
    ax = fig.subplots()
    layout = nx.spring_layout(graph, seed=7)
    companies = [n for n, d in graph.nodes(data=True) if d["kind"] == "company"]
    persons = [n for n, d in graph.nodes(data=True) if d["kind"] == "person"]
    nx.draw_networkx_nodes(
        graph, layout, nodelist=persons, node_size=60, node_color="#9ecae1", ax=ax
    )
    nx.draw_networkx_nodes(
        graph,
        layout,
        nodelist=companies,
        node_shape="s",
        node_size=160,
        node_color=["#b2182b" if c in defaulted else "#4d4d4d" for c in companies],
        ax=ax,
    )
    ended = [(u, v) for u, v, d in graph.edges(data=True) if d["ended"]]
    current = [(u, v) for u, v, d in graph.edges(data=True) if not d["ended"]]
    nx.draw_networkx_edges(graph, layout, edgelist=current, ax=ax, width=0.8)
    nx.draw_networkx_edges(
        graph, layout, edgelist=ended, ax=ax, width=0.8, style="dashed", edge_color="#999999"
    )
    labels = {n: d["label"] for n, d in graph.nodes(data=True)}
    nx.draw_networkx_labels(graph, layout, labels=labels, font_size=6, ax=ax)
    ax.set_title(title)
    ax.axis("off")
    return fig
