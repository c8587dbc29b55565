"""The embedded store (SQLite, `data/serve/serve.sqlite`): API keys, watchlists, webhook
deliveries.

One small file that survives restarts and is shared by the `keys` command, the server and the
daily job's digests, each in its own process: every operation opens its own connection (WAL
journal, a busy timeout), so a `keys revoke` from the shell takes effect on the server's next
request. Only a SHA-256 hash of each API key is kept: a key is 256 random bits, so a plain hash
is as strong as a slow one, and the key itself is shown once, when it is made. Times are given by
the caller (the CLI edge reads the clock), stored as ISO-8601 UTC text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from company_risk.errors import CompanyRiskError
from company_risk.watchlists import Watchlist, WatchlistRules, check_name

KEY_PREFIX = "crk_"
SCOPES = ("read", "write")  # a write key may also read

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
-- one active key per name; revoked keys stay on record under their name
CREATE UNIQUE INDEX IF NOT EXISTS active_key_name ON api_keys (name) WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS watchlists (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,          -- Watchlist.to_dict() as JSON
    webhook_secret TEXT,         -- the HMAC key of its webhook's signatures
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS served_days (
    date TEXT PRIMARY KEY,       -- a scored day
    first_served_at TEXT NOT NULL -- when a server first served it: later watchlists skip it
);
CREATE TABLE IF NOT EXISTS deliveries (
    watchlist TEXT NOT NULL,
    date TEXT NOT NULL,          -- the scored day whose alerts were sent
    url TEXT NOT NULL,
    status TEXT NOT NULL,        -- pending | delivered | failed
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    alerts INTEGER NOT NULL,
    payload TEXT NOT NULL,       -- the exact JSON body, kept so a failed one can be resent
    updated_at TEXT NOT NULL,
    PRIMARY KEY (watchlist, date)
);
"""
DELIVERY_STATES = ("pending", "delivered", "failed")


class StoreError(CompanyRiskError, ValueError):
    """The store refuses an operation (an unknown or duplicate name, a bad scope)."""


@dataclass(frozen=True)
class ApiKey:
    id: int  # one key, whatever its name: a new key of a revoked one's name is another id
    name: str
    scope: str
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


@dataclass(frozen=True)
class StoredWatchlist:
    watchlist: Watchlist
    webhook_secret: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Delivery:
    watchlist: str
    date: str
    url: str
    status: str
    attempts: int
    last_error: str
    alerts: int
    payload: str
    updated_at: str

    def to_dict(self, with_payload: bool = False) -> dict[str, Any]:
        out = {
            "watchlist": self.watchlist,
            "date": self.date,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "alerts": self.alerts,
            "updated_at": self.updated_at,
        }
        if with_payload:
            out["payload"] = self.payload
        return out


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def stamp(now: dt.datetime) -> str:
    """A time as the store writes it (ISO-8601, UTC, seconds)."""
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        finally:
            db.close()

    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction: a writer takes the write lock at once (two writers never
        deadlock half-way); a reader never waits for it (WAL: it reads the last commit)."""
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    # ----------------------------------------------------------------------------- api keys
    def add_key(self, name: str, scope: str, now: dt.datetime) -> str:
        """Make a key called `name` and return it: the only time it is ever seen in full."""
        check_name(name, "key name")
        if scope not in SCOPES:
            raise StoreError(f"key scope {scope!r}: expected one of {', '.join(SCOPES)}")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._connect(write=True) as db:
            active = "SELECT 1 FROM api_keys WHERE name = ? AND revoked_at IS NULL"
            if db.execute(active, (name,)).fetchone():
                raise StoreError(f"an API key named {name!r} exists already (revoke it first)")
            db.execute(
                "INSERT INTO api_keys (name, key_hash, scope, created_at) VALUES (?, ?, ?, ?)",
                (name, hash_key(key), scope, stamp(now)),
            )
        return key

    def list_keys(self) -> list[ApiKey]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, name, scope, created_at, revoked_at FROM api_keys ORDER BY name, id"
            ).fetchall()
        return [ApiKey(**dict(r)) for r in rows]

    def revoke_key(self, name: str, now: dt.datetime) -> None:
        """Revoke the active key called `name` (freeing the name); its record is kept."""
        with self._connect(write=True) as db:
            revoked = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (stamp(now), name),
            ).rowcount
            if not revoked:
                raise StoreError(f"no active API key named {name!r}")

    def key_for(self, key: str) -> ApiKey | None:
        """The key record of a presented key, or None when it is not one of ours."""
        with self._connect() as db:
            row = db.execute(
                "SELECT id, name, scope, created_at, revoked_at FROM api_keys WHERE key_hash = ?",
                (hash_key(key),),
            ).fetchone()
        return None if row is None else ApiKey(**dict(row))

    def key_by_id(self, key_id: int) -> ApiKey | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT id, name, scope, created_at, revoked_at FROM api_keys WHERE id = ?",
                (key_id,),
            ).fetchone()
        return None if row is None else ApiKey(**dict(row))

    # ---------------------------------------------------------------------------- watchlists
    def put_watchlist(self, watchlist: Watchlist, now: dt.datetime) -> tuple[StoredWatchlist, bool]:
        """Create or replace; (the stored watchlist, created?). A webhook gets a signing secret
        when it is first set, kept while the URL stays and renewed when it changes."""
        when = stamp(now)
        body = json.dumps(watchlist.to_dict(), sort_keys=True)
        with self._connect(write=True) as db:
            old = db.execute(
                "SELECT body, webhook_secret, created_at FROM watchlists WHERE name = ?",
                (watchlist.name,),
            ).fetchone()
            old_url = json.loads(old["body"]).get("webhook_url") if old else None
            if watchlist.webhook_url is None:
                secret = None
            elif old is not None and old_url == watchlist.webhook_url and old["webhook_secret"]:
                secret = old["webhook_secret"]
            else:
                secret = secrets.token_hex(32)
            created = old["created_at"] if old else when
            db.execute(
                "INSERT OR REPLACE INTO watchlists VALUES (?, ?, ?, ?, ?)",
                (watchlist.name, body, secret, created, when),
            )
        return StoredWatchlist(watchlist, secret, created, when), old is None

    def get_watchlist(self, name: str) -> StoredWatchlist | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM watchlists WHERE name = ?", (name,)).fetchone()
        return None if row is None else _stored(row)

    def list_watchlists(self) -> list[StoredWatchlist]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM watchlists ORDER BY name").fetchall()
        return [_stored(r) for r in rows]

    def delete_watchlist(self, name: str) -> bool:
        with self._connect(write=True) as db:
            gone = db.execute("DELETE FROM watchlists WHERE name = ?", (name,)).rowcount
        return bool(gone)

    # ---------------------------------------------------------------------------- deliveries
    def first_served(self, date: str, now: dt.datetime) -> str:
        """When the scored day `date` was first served (now, if it is the first time)."""
        with self._connect(write=True) as db:
            db.execute("INSERT OR IGNORE INTO served_days VALUES (?, ?)", (date, stamp(now)))
            row = db.execute(
                "SELECT first_served_at FROM served_days WHERE date = ?", (date,)
            ).fetchone()
        return row["first_served_at"]

    def record_delivery(self, delivery: Delivery) -> None:
        if delivery.status not in DELIVERY_STATES:
            raise StoreError(f"delivery status {delivery.status!r}")
        with self._connect(write=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery.watchlist,
                    delivery.date,
                    delivery.url,
                    delivery.status,
                    delivery.attempts,
                    delivery.last_error,
                    delivery.alerts,
                    delivery.payload,
                    delivery.updated_at,
                ),
            )

    def deliveries(self, watchlist: str | None = None) -> list[Delivery]:
        query, args = "SELECT * FROM deliveries", ()
        if watchlist is not None:
            query, args = query + " WHERE watchlist = ?", (watchlist,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY watchlist, date", args).fetchall()
        return [Delivery(**dict(r)) for r in rows]

    def delivery(self, watchlist: str, date: str) -> Delivery | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM deliveries WHERE watchlist = ? AND date = ?", (watchlist, date)
            ).fetchone()
        return None if row is None else Delivery(**dict(row))


def _stored(row: sqlite3.Row) -> StoredWatchlist:
    body = json.loads(row["body"])
    watchlist = Watchlist(
        name=body["name"],
        codes=tuple(body["codes"]),
        kinds=tuple(body["kinds"]),
        webhook_url=body["webhook_url"],
        rules=WatchlistRules.from_dict(body["rules"]),
    )
    return StoredWatchlist(watchlist, row["webhook_secret"], row["created_at"], row["updated_at"])
