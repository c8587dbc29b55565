"""The embedded store (company_risk.store): API keys kept as hashes, watchlists with their
webhook secrets, webhook deliveries; shared by separate connections and surviving reopening."""

import dataclasses
import datetime as dt
import sqlite3
import threading

import pytest

from company_risk.errors import CompanyRiskError
from company_risk.store import KEY_PREFIX, Delivery, Store, StoreError, hash_key, stamp
from company_risk.watchlists import WatchlistError, WatchlistRules, make_watchlist

NOW = dt.datetime(2025, 10, 3, 12, 0, 30, 123456, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
KINDS = ("class_worse", "class_better", "tax_debt_new")


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "nested" / "serve" / "serve.sqlite")


def rows(store: Store, sql: str) -> list[tuple]:
    db = sqlite3.connect(store.path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def watchlist(name="w", codes=("10000002", "10000001"), url=None, **kw):
    return make_watchlist(name, codes, KINDS, webhook_url=url, **kw)


def delivery(status="pending", date="2025-10-04", watchlist="w", **kw) -> Delivery:
    fields = dict(
        watchlist=watchlist,
        date=date,
        url="http://192.0.2.1/hook",
        status=status,
        attempts=0,
        last_error="",
        alerts=2,
        payload='{"alerts": []}',
        updated_at=stamp(NOW),
    )
    return Delivery(**(fields | kw))


# ---------------------------------------------------------------------------- api keys
def test_a_key_is_shown_once_and_only_its_hash_kept(store):
    key = store.add_key("erp-sync", "read", NOW)
    assert key.startswith(KEY_PREFIX) and len(key) >= len(KEY_PREFIX) + 43
    assert store.add_key("other", "read", NOW) != key
    (row,) = rows(store, "SELECT * FROM api_keys WHERE name = 'erp-sync'")
    assert hash_key(key) in row
    assert not any(key in str(v) or key.removeprefix(KEY_PREFIX) in str(v) for v in row)
    dump = "\n".join(sqlite3.connect(store.path).iterdump())
    assert key not in dump and key.removeprefix(KEY_PREFIX) not in dump


def test_key_for_finds_the_record_of_a_presented_key(store):
    read = store.add_key("reader", "read", NOW)
    write = store.add_key("writer", "write", NOW)
    found = store.key_for(read)
    assert (found.name, found.scope, found.revoked_at) == ("reader", "read", None)
    assert found.created_at == "2025-10-03T12:00:30+00:00"
    assert found.active and not found.can_write
    assert store.key_for(write).can_write
    for not_ours in ("", "crk_", read + "x", read[:-1], hash_key(read), read.upper()):
        assert store.key_for(not_ours) is None


def test_each_key_has_its_own_id(store):
    old = store.add_key("alice", "read", NOW)
    store.revoke_key("alice", NOW)
    new = store.add_key("alice", "read", NOW)  # the same name, another key
    first, second = store.key_for(old), store.key_for(new)
    assert first.id != second.id
    assert store.key_by_id(first.id) == first and store.key_by_id(second.id) == second
    assert store.key_by_id(max(first.id, second.id) + 1) is None


def test_keys_refused(store):
    store.add_key("alice", "read", NOW)
    with pytest.raises(StoreError, match="exists already"):
        store.add_key("alice", "write", NOW)
    with pytest.raises(StoreError, match="scope"):
        store.add_key("bob", "admin", NOW)
    for name in ("", "a/b", "../x", "a.b", "-x", "x" * 65, "a b", "é"):
        with pytest.raises(WatchlistError, match="key name"):
            store.add_key(name, "read", NOW)
    with pytest.raises(StoreError, match="no active API key"):
        store.revoke_key("nobody", NOW)
    assert [k.name for k in store.list_keys()] == ["alice"]
    assert issubclass(StoreError, CompanyRiskError) and issubclass(StoreError, ValueError)


def test_revoking_keeps_the_record_and_frees_the_name(store):
    old = store.add_key("alice", "write", NOW)
    store.revoke_key("alice", LATER)
    revoked = store.key_for(old)
    assert revoked.revoked_at == "2025-10-03T13:00:30+00:00" and not revoked.active
    with pytest.raises(StoreError):
        store.revoke_key("alice", LATER)  # no active one left
    new = store.add_key("alice", "read", LATER)
    assert store.key_for(new).active and not store.key_for(old).active
    keys = store.list_keys()
    assert [(k.name, k.scope, k.active) for k in keys] == [
        ("alice", "write", False),
        ("alice", "read", True),
    ]


def test_stamps_are_utc_seconds():
    tallinn = dt.timezone(dt.timedelta(hours=3))
    assert stamp(dt.datetime(2025, 10, 3, 15, 0, 59, 999999, tzinfo=tallinn)) == (
        "2025-10-03T12:00:59+00:00"
    )


# -------------------------------------------------------------------------- watchlists
def test_put_creates_then_replaces_keeping_created_at(store):
    stored, created = store.put_watchlist(watchlist(), NOW)
    assert created
    assert stored.watchlist.codes == ("10000001", "10000002")
    assert stored.created_at == stored.updated_at == "2025-10-03T12:00:30+00:00"
    assert stored.webhook_secret is None
    replaced = watchlist(codes=["10000003"], kinds=["class_worse"], rules={"min_class_drop": 2})
    stored, created = store.put_watchlist(replaced, LATER)
    assert not created
    assert (stored.created_at, stored.updated_at) == (
        "2025-10-03T12:00:30+00:00",
        "2025-10-03T13:00:30+00:00",
    )
    got = store.get_watchlist("w")
    assert got == stored
    assert got.watchlist == replaced
    assert got.watchlist.rules == WatchlistRules(min_class_drop=2)
    assert store.get_watchlist("nothing") is None


def test_the_webhook_secret_is_made_kept_and_renewed(store):
    first, _ = store.put_watchlist(watchlist(url="http://192.0.2.1/a"), NOW)
    assert len(first.webhook_secret) == 64 and int(first.webhook_secret, 16) >= 0
    kept, _ = store.put_watchlist(watchlist(codes=["10000009"], url="http://192.0.2.1/a"), LATER)
    assert kept.webhook_secret == first.webhook_secret
    moved, _ = store.put_watchlist(watchlist(url="http://192.0.2.1/b"), LATER)
    assert moved.webhook_secret not in (None, first.webhook_secret)
    dropped, _ = store.put_watchlist(watchlist(), LATER)
    assert dropped.webhook_secret is None
    back, _ = store.put_watchlist(watchlist(url="http://192.0.2.1/b"), LATER)
    assert back.webhook_secret not in (None, moved.webhook_secret)  # a new one, not the old
    other, _ = store.put_watchlist(watchlist("w2", url="http://192.0.2.1/b"), LATER)
    assert other.webhook_secret != back.webhook_secret  # one secret per watchlist


def test_list_and_delete(store):
    for name in ("zeta", "alpha", "Mid-1"):
        store.put_watchlist(watchlist(name), NOW)
    assert [w.watchlist.name for w in store.list_watchlists()] == ["Mid-1", "alpha", "zeta"]
    assert store.delete_watchlist("alpha") is True
    assert store.delete_watchlist("alpha") is False
    assert [w.watchlist.name for w in store.list_watchlists()] == ["Mid-1", "zeta"]


# -------------------------------------------------------------------------- deliveries
def test_deliveries_recorded_replaced_and_listed(store):
    store.record_delivery(delivery("pending"))
    store.record_delivery(delivery("failed", attempts=5, last_error="HTTP 500"))
    store.record_delivery(delivery("delivered", date="2025-10-03", attempts=1))
    store.record_delivery(delivery("delivered", watchlist="a", attempts=2))
    assert [(d.watchlist, d.date, d.status) for d in store.deliveries()] == [
        ("a", "2025-10-04", "delivered"),
        ("w", "2025-10-03", "delivered"),
        ("w", "2025-10-04", "failed"),
    ]
    assert [d.date for d in store.deliveries("w")] == ["2025-10-03", "2025-10-04"]
    assert store.deliveries("none") == []
    got = store.delivery("w", "2025-10-04")
    assert got == delivery("failed", attempts=5, last_error="HTTP 500")
    assert store.delivery("w", "2025-10-05") is None
    assert got.to_dict() == {k: v for k, v in dataclasses.asdict(got).items() if k != "payload"}
    assert got.to_dict(with_payload=True)["payload"] == '{"alerts": []}'
    with pytest.raises(StoreError, match="status"):
        store.record_delivery(delivery("lost"))


# ------------------------------------------------------------------ sharing, reopening
def test_everything_survives_reopening(store):
    key = store.add_key("alice", "write", NOW)
    store.add_key("bob", "read", NOW)
    store.revoke_key("bob", NOW)
    stored, _ = store.put_watchlist(watchlist(url="http://192.0.2.1/a"), NOW)
    store.record_delivery(delivery())
    again = Store(store.path)  # the schema is not made twice, nothing is lost
    assert again.key_for(key).name == "alice"
    assert again.list_keys() == store.list_keys()
    assert again.get_watchlist("w") == stored
    assert again.deliveries() == [delivery()]
    assert rows(again, "PRAGMA journal_mode") == [("wal",)]


def test_separate_connections_from_many_threads(store):
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(5):
                store.add_key(f"k{i}-{j}", "read", NOW)
                store.put_watchlist(watchlist(f"w{i}", codes=[f"{10000000 + j}"]), NOW)
                store.record_delivery(delivery(watchlist=f"w{i}", date=f"2025-10-0{j + 1}"))
                store.list_watchlists()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(store.list_keys()) == 40
    assert len(store.list_watchlists()) == 8 and len(store.deliveries()) == 40
    assert all(w.watchlist.codes == ("10000004",) for w in store.list_watchlists())


def test_a_failed_operation_changes_nothing(store):
    store.add_key("alice", "read", NOW)
    with pytest.raises(StoreError):
        store.add_key("alice", "read", NOW)
    with pytest.raises(StoreError):
        store.revoke_key("bob", NOW)
    assert len(rows(store, "SELECT * FROM api_keys")) == 1
