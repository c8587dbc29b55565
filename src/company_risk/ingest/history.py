"""Pure updates of the history tables from one drop's snapshot.

Every function takes the current table and the snapshot and returns the new table; the only
state carried between drops is the tables themselves (the open rows are "the previous drop"),
so ingesting drops one run at a time gives exactly what ingesting them in one run gives.
Each update is a vectorised diff against the open rows, linear in the table's size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from company_risk.formats import BOARD_ROLES
from company_risk.ingest.parse import member
from company_risk.ingest.snapshot import COMPANY_ATTRIBUTES, Snapshot
from company_risk.schemas import INTERIM_TABLES

ROLE_KEY = ["company_id", "person_id", "role", "start_date"]
STATUS_KEY = ["company_id", "status", "valid_from"]
PAYMENT_KEY = ["company_id", "year", "quarter"]
HOLDING_KEY = ["company_id", "person_id", "start_date"]
RULING_KEY = ["company_id", "ruling_no"]


def _key(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One string per row identifying a composite key (dates as their integer microseconds)."""
    parts = [
        df[c].astype("int64").astype("str") if df[c].dtype.kind in "Mi" else df[c].astype("str")
        for c in columns
    ]
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key


def _dates(value, index: pd.Index) -> pd.Series:
    """A datetime64[us] column of one value (NaT or a day) for `assign`."""
    return pd.Series(value, index=index, dtype="datetime64[us]")


def _concat(name: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Row sets of one table in the schema's column order (dtypes are fixed once, on writing)."""
    columns = list(INTERIM_TABLES[name])
    parts = [f[columns] for f in frames if len(f)] or [frames[0][columns]]
    return pd.concat(parts, ignore_index=True)


def apply_snapshot(tables: dict[str, pd.DataFrame], snap: Snapshot) -> dict[str, pd.DataFrame]:
    """The tables after one more drop (`defaults` is derived once all drops are in)."""
    day = snap.date
    previous = tables["companies"].loc[tables["companies"]["valid_to"].isna(), "company_id"]
    listed = pd.concat([snap.companies["company_id"], pd.Series(snap.held, dtype="str")])
    debts, lists = add_tax_debts(tables["tax_debts"], tables["tax_debt_lists"], snap)
    log = pd.DataFrame(
        {
            "drop_date": _dates(day, pd.RangeIndex(1)),
            "checksum": [snap.checksum],
            "files": [",".join(snap.files["file"])],
            "n_companies": [len(snap.companies) + len(snap.held)],
            "fingerprint": [snap.fingerprint],
        }
    )
    return {
        **tables,
        "companies": update_companies(tables["companies"], snap.companies, snap.held, day),
        "status_history": update_status(
            tables["status_history"], snap.statuses, previous, listed, day
        ),
        "board_roles": update_roles(tables["board_roles"], snap.roles, day),
        "tax_debts": debts,
        "tax_debt_lists": lists,
        "annual_reports": add_reports(tables["annual_reports"], snap.reports, day),
        "tax_payments": add_payments(tables["tax_payments"], snap.payments, day),
        "shareholdings": update_shareholdings(tables["shareholdings"], snap.shareholdings, day),
        "rulings": add_rulings(tables["rulings"], snap.rulings, day),
        "rejected": _concat(
            "rejected",
            [tables["rejected"], snap.rejected.assign(drop_date=_dates(day, snap.rejected.index))],
        ),
        "ingest_files": _concat(
            "ingest_files",
            [tables["ingest_files"], snap.files.assign(drop_date=_dates(day, snap.files.index))],
        ),
        "ingest_log": _concat("ingest_log", [tables["ingest_log"], log]),
    }


def update_companies(
    table: pd.DataFrame, listed: pd.DataFrame, held: pd.Index, day: pd.Timestamp
) -> pd.DataFrame:
    """SCD2: a changed or vanished company's open version ends at `day`; a changed or new one
    opens a version from `day`; an unchanged one keeps its version, and so does a `held` one
    (listed, but its row was rejected today: its last known state stands)."""
    is_open = table["valid_to"].isna().to_numpy()
    old = table[is_open].set_index("company_id")
    kept = old.loc[old.index.isin(held) & ~old.index.isin(listed["company_id"])]
    new = pd.concat([listed.set_index("company_id"), kept[list(COMPANY_ATTRIBUTES)]])
    common = old.index.intersection(new.index)
    a = old.loc[common, list(COMPANY_ATTRIBUTES)]
    b = new.loc[common, list(COMPANY_ATTRIBUTES)]
    same = (a == b).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy(dtype=bool)
    changed = ~same.all(axis=1)
    ended = common[changed].union(old.index.difference(new.index))
    started = common[changed].union(new.index.difference(old.index))
    opened = new.loc[started]
    closed = old.loc[ended]
    return _concat(
        "companies",
        [
            table[~is_open],
            closed.assign(valid_to=_dates(day, closed.index)).reset_index(),
            old.loc[common[~changed]].reset_index(),
            opened.assign(
                valid_from=_dates(day, opened.index), valid_to=_dates(pd.NaT, opened.index)
            ).reset_index(),
        ],
    )


def update_status(
    table: pd.DataFrame,
    statuses: pd.DataFrame,
    previous: pd.Series,
    listed: pd.Series,
    day: pd.Timestamp,
) -> pd.DataFrame:
    """Listed companies: the status history as the register states it today, each status keeping
    the drop it was first published in. Companies gone since the previous drop: deleted (`K`)
    from `day`, the first drop without them, unless the register already said `K`."""
    keep = table[~member(table["company_id"], listed)]
    vanished = previous[~member(previous, listed)]
    gone = member(keep["company_id"], vanished)
    explicit = keep.loc[gone & (keep["status"] == "K").to_numpy(), "company_id"]
    close = gone & keep["valid_to"].isna().to_numpy() & ~member(keep["company_id"], explicit)
    keep = keep.assign(valid_to=keep["valid_to"].mask(close, day))
    deleted = vanished[~member(vanished, explicit)].reset_index(drop=True)
    k_rows = pd.DataFrame(
        {
            "company_id": deleted,
            "status": pd.Series("K", index=deleted.index, dtype="str"),
            "valid_from": _dates(day, deleted.index),
            "valid_to": _dates(pd.NaT, deleted.index),
            "published_on": _dates(day, deleted.index),
        }
    )
    known_key = _key(table, STATUS_KEY)
    first = ~known_key.duplicated().to_numpy()
    seen = pd.Index(known_key[first]).get_indexer(_key(statuses, STATUS_KEY))
    # position -1 (not seen before) picks the appended NaT, which becomes `day`
    pool = np.append(table["published_on"].to_numpy()[first], np.datetime64("NaT", "us"))
    published = pd.Series(pool[seen], index=statuses.index, dtype="datetime64[us]")
    current = statuses.assign(published_on=published.fillna(day))
    return _concat("status_history", [keep, k_rows, current])


# Below this many companies or tenures a share says nothing (a young or tiny register changes by
# whole companies), so the mass-change gate only counts from here.
MASS_CHANGE_MIN_ROWS = 20


def mass_change(tables: dict[str, pd.DataFrame], snap: Snapshot) -> dict[str, int]:
    """How much of the history one drop would end: companies on the register that the drop no
    longer lists, and open board tenures of still-listed companies that it no longer lists."""
    companies = tables["companies"]
    on_register = companies.loc[companies["valid_to"].isna(), "company_id"]
    listed = pd.concat([snap.companies["company_id"], pd.Series(snap.held, dtype="str")])
    vanished = int((~member(on_register, listed)).sum())
    roles = tables["board_roles"]
    open_board = roles[
        roles["end_date"].isna().to_numpy()
        & roles["role"].isin(BOARD_ROLES).to_numpy()
        & member(roles["company_id"], listed)
    ]
    ended = int((~member(_key(open_board, ROLE_KEY), _key(snap.roles, ROLE_KEY))).sum())
    return {
        "on_register": len(on_register),
        "vanished": vanished,
        "open_board_tenures": len(open_board),
        "ended_board_tenures": ended,
    }


def update_roles(table: pd.DataFrame, roles: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """A tenure listed today and not open yet starts (published `day`); an open tenure no longer
    listed ends at `day`, the first drop where the person is gone."""
    return _update_intervals("board_roles", ROLE_KEY, table, roles.assign(end_date=pd.NaT), day)


def _update_intervals(
    name: str, key: list[str], table: pd.DataFrame, listed: pd.DataFrame, day: pd.Timestamp
) -> pd.DataFrame:
    """The diff of a file that lists only what holds today: a row listed and not open yet
    starts (published `day`, with the end the file gives, usually none); an open row no longer
    listed ends at `day`."""
    is_open = table["end_date"].isna().to_numpy()
    open_ = table[is_open]
    open_key, listed_key = _key(open_, key), _key(listed, key)
    still = member(open_key, listed_key)
    new = listed[~member(listed_key, open_key)]
    gone = open_[~still]
    return _concat(
        name,
        [
            table[~is_open],
            open_[still],
            gone.assign(end_date=_dates(day, gone.index)),
            new.assign(
                end_date=new["end_date"].astype("datetime64[us]"),
                published_on=_dates(day, new.index),
            ),
        ],
    )


def add_tax_debts(
    debts: pd.DataFrame, lists: pd.DataFrame, snap: Snapshot
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Append the day's debtor list, unless a list of that date is in already (EMTA had not
    updated it): a date's list is recorded once."""
    if (lists["as_of"] == snap.debts_as_of).any():
        return debts, lists
    entry = pd.DataFrame(
        {"as_of": _dates(snap.debts_as_of, pd.RangeIndex(1)), "n_debtors": [len(snap.debts)]}
    )
    return _concat("tax_debts", [debts, snap.debts]), _concat("tax_debt_lists", [lists, entry])


def add_reports(table: pd.DataFrame, reports: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Reports not seen before, published `day`; a report already in keeps its first version."""
    if reports.empty:
        return table
    new = reports[~member(reports["report_id"], table["report_id"])]
    return _concat("annual_reports", [table, new.assign(published_on=_dates(day, new.index))])


def add_payments(table: pd.DataFrame, payments: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Quarters not seen before, published `day` (a yearly file repeats earlier quarters)."""
    if payments.empty:
        return table
    new = payments[~member(_key(payments, PAYMENT_KEY), _key(table, PAYMENT_KEY))]
    return _concat("tax_payments", [table, new.assign(published_on=_dates(day, new.index))])


def update_shareholdings(
    table: pd.DataFrame, holdings: pd.DataFrame | None, day: pd.Timestamp
) -> pd.DataFrame:
    """Like board tenures, with the end date the file may give. A drop without the
    shareholders file says nothing about holdings, so it changes nothing."""
    if holdings is None:
        return table
    return _update_intervals("shareholdings", HOLDING_KEY, table, holdings, day)


def add_rulings(
    table: pd.DataFrame, rulings: pd.DataFrame | None, day: pd.Timestamp
) -> pd.DataFrame:
    """Rulings not seen before (by company and ruling number), published `day`."""
    if rulings is None or rulings.empty:
        return table
    new = rulings[~member(_key(rulings, RULING_KEY), _key(table, RULING_KEY))]
    return _concat("rulings", [table, new.assign(published_on=_dates(day, new.index))])


def derive_defaults(status_history: pd.DataFrame) -> pd.DataFrame:
    """Default events by the label rule: the first day bankrupt (`N`); else the deletion (`K`,
    explicit or the first drop without the company) unless a voluntary liquidation (`L`)
    came first."""
    s = status_history

    def first(status: str) -> pd.Series:
        return s[s["status"] == status].groupby("company_id")["valid_from"].min()

    bankrupt, liquidated, deleted = first("N"), first("L"), first("K")
    deleted = deleted[~deleted.index.isin(bankrupt.index)]
    before = liquidated.reindex(deleted.index)
    deleted = deleted[~(before <= deleted).to_numpy(dtype=bool)]
    out = pd.concat(
        [
            pd.DataFrame({"default_date": bankrupt, "kind": "bankrupt"}),
            pd.DataFrame({"default_date": deleted, "kind": "deleted"}),
        ]
    )
    out = out.rename_axis("company_id").reset_index()
    return _concat("defaults", [out])
