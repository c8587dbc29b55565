"""Atomic writes: a failure leaves the previous output intact and no temporary litter; a crash
at any instant of a swap leaves the old or the new set, and the next use cleans up."""

import logging
import os
import random
import signal
import subprocess
import sys
import threading

import pandas as pd
import pytest

from company_risk import atomic
from company_risk.atomic import (
    atomic_directory,
    atomic_path,
    write_json,
    write_parquet,
    write_text,
)


def test_write_parquet_replaces_whole_file(tmp_path):
    target = tmp_path / "t.parquet"
    write_parquet(pd.DataFrame({"a": [1, 2]}), target)
    write_parquet(pd.DataFrame({"a": [3]}), target)
    assert pd.read_parquet(target)["a"].tolist() == [3]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_failed_write_keeps_previous_file(tmp_path):
    target = tmp_path / "t.txt"
    write_text("old", target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new but half-written")
        raise RuntimeError("killed before the rename")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_write_json_is_stable(tmp_path):
    target = tmp_path / "m.json"
    write_json({"b": 1, "a": [1, 2]}, target)
    first = target.read_bytes()
    write_json({"a": [1, 2], "b": 1}, target)
    assert target.read_bytes() == first


def test_atomic_directory_swaps_or_keeps_old(tmp_path):
    target = tmp_path / "date=2025-01-01"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("v1")
    assert (target / "a.txt").read_text() == "v1"

    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("v2-partial")
        raise RuntimeError("killed before the rename")
    assert (target / "a.txt").read_text() == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2025-01-01"]

    with atomic_directory(target) as tmp:
        (tmp / "b.txt").write_text("v2")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2025-01-01"]


# ------------------------------------------------------------------ crashes during a swap
# A crash is simulated in a child process that dies (os._exit, no `finally`, no clean-up)
# just before or just after one rename of the swap: the renames of the fallback (target ->
# `.old`, temp -> target) or the one atomic exchange (renameat2 RENAME_EXCHANGE).

NAMES = ("a.txt", "b.txt", "c.txt")
CRASHED = 9

CRASH_SCRIPT = r"""
import os, sys
from pathlib import Path
from company_risk import atomic

mode, step, when, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
calls = []

def crashing(real):
    def call(*args, **kwargs):
        calls.append(args)
        if len(calls) == step and when == "before":
            os._exit(9)
        result = real(*args, **kwargs)
        if len(calls) == step and when == "after":
            os._exit(9)
        return result
    return call

if mode == "fallback":
    atomic._exchange = lambda a, b: False
    os.replace = crashing(os.replace)
    os.rename = crashing(os.rename)
else:
    atomic._exchange = crashing(atomic._exchange)
with atomic.atomic_directory(target) as tmp:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp / name).write_text("new")
"""

LOOP_SCRIPT = r"""
import sys
from pathlib import Path
from company_risk import atomic

target, mode = Path(sys.argv[1]), sys.argv[2]
if mode == "fallback":
    atomic._exchange = lambda a, b: False
print("ready", flush=True)
i = 0
while True:
    i += 1
    with atomic.atomic_directory(target) as tmp:
        for name in ("a.txt", "b.txt", "c.txt"):
            (tmp / name).write_text(str(i))
"""


def _write_set(target, value):
    with atomic_directory(target) as tmp:
        for name in NAMES:
            (tmp / name).write_text(value)


def _the_set(target):
    """The one value every file of the set holds; fails on a missing, partial or mixed set."""
    assert target.is_dir(), f"{target} is missing"
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES)
    values = {(target / name).read_text() for name in NAMES}
    assert len(values) == 1, f"a mixed set: {values}"
    return values.pop()


def _leftovers(target):
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def _exchange_works(tmp_path):
    a, b = tmp_path / "probe-a", tmp_path / "probe-b"
    a.mkdir()
    b.mkdir()
    try:
        return atomic._exchange(a, b)
    finally:
        a.rmdir()
        b.rmdir()


CRASH_POINTS = [
    # (mode, rename call, before/after it, the set the target must hold after recovery)
    ("fallback", 1, "before", "old"),  # target -> .old not done yet
    ("fallback", 1, "after", "old"),  # between the two renames: the target is missing
    ("fallback", 2, "before", "old"),
    ("fallback", 2, "after", "new"),  # swapped; the .old not deleted yet
    ("exchange", 1, "before", "old"),
    ("exchange", 1, "after", "new"),  # exchanged; the old set (now in the temp) not deleted
]


def _crash(target, mode, step, when):
    result = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, mode, str(step), when, str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == CRASHED, result.stderr


@pytest.mark.parametrize(("mode", "step", "when", "expected"), CRASH_POINTS)
def test_a_crash_at_each_rename_leaves_old_or_new_and_recover_cleans_up(
    tmp_path, caplog, mode, step, when, expected
):
    if mode == "exchange" and not _exchange_works(tmp_path):
        pytest.skip("no atomic exchange on this platform / filesystem")
    target = tmp_path / "out" / "interim"
    _write_set(target, "old")
    _crash(target, mode, step, when)
    assert _leftovers(target), "the crash should leave a temp or an .old behind"
    if mode == "exchange":
        assert _the_set(target) == expected  # never missing, even before any recovery

    with caplog.at_level(logging.INFO, logger="company_risk"):
        actions = atomic.recover(target)
    assert _the_set(target) == expected
    assert _leftovers(target) == []
    assert actions and len(caplog.records) >= len(actions)
    assert all("interim" in r.getMessage() for r in caplog.records)
    assert atomic.recover(target) == []  # nothing left to do

    _write_set(target, "next")
    assert _the_set(target) == "next" and _leftovers(target) == []


@pytest.mark.parametrize(("mode", "step", "when", "expected"), CRASH_POINTS)
def test_the_next_write_recovers_before_it_swaps(tmp_path, mode, step, when, expected):
    if mode == "exchange" and not _exchange_works(tmp_path):
        pytest.skip("no atomic exchange on this platform / filesystem")
    target = tmp_path / "date=2025-01-01"
    _write_set(target, "old")
    _crash(target, mode, step, when)
    with atomic_directory(target) as tmp:
        assert _the_set(target) == expected  # restored on entry, before anything is written
        for name in NAMES:
            (tmp / name).write_text("next")
    assert _the_set(target) == "next"
    assert _leftovers(target) == []


@pytest.mark.parametrize("mode", ["fallback", "exchange"])
def test_kill_9_at_a_random_point_of_a_loop_of_swaps_leaves_a_whole_set(tmp_path, mode):
    if mode == "exchange" and not _exchange_works(tmp_path):
        pytest.skip("no atomic exchange on this platform / filesystem")
    target = tmp_path / "interim"
    _write_set(target, "0")
    rng = random.Random()
    seen = set()
    for _ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", LOOP_SCRIPT, str(target), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout.readline().strip() == "ready"
            threading.Event().wait(rng.uniform(0.05, 0.5))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            child.stdout.close()
        atomic.recover(target)
        seen.add(_the_set(target))
        assert _leftovers(target) == []
    assert seen != {"0"}, "the child never completed a swap"


def test_a_failed_second_rename_puts_the_old_set_back(tmp_path, monkeypatch):
    target = tmp_path / "interim"
    _write_set(target, "old")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real, calls = os.replace, []

    def failing(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="disk full"), atomic_directory(target) as tmp:
        for name in NAMES:
            (tmp / name).write_text("new")
    assert _the_set(target) == "old"
    assert _leftovers(target) == []


def test_a_failed_exchange_keeps_the_old_set(tmp_path, monkeypatch):
    target = tmp_path / "interim"
    _write_set(target, "old")

    def failing(a, b):
        raise OSError("I/O error")

    monkeypatch.setattr(atomic, "_exchange", failing)
    with pytest.raises(OSError, match="I/O error"), atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("new")
    assert _the_set(target) == "old"
    assert _leftovers(target) == []


def test_a_swap_is_never_seen_missing_where_the_kernel_exchanges(tmp_path):
    if not _exchange_works(tmp_path):
        pytest.skip("no atomic exchange on this platform / filesystem")
    target = tmp_path / "interim"
    _write_set(target, "0")
    done, missing = threading.Event(), []

    def watch():
        while not done.is_set():
            if not target.is_dir():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(100):
            _write_set(target, str(i))
    finally:
        done.set()
        watcher.join()
    assert missing == []


def test_recover_leaves_a_live_writers_temp_alone(tmp_path):
    import fcntl

    target = tmp_path / "interim"
    _write_set(target, "old")
    live = tmp_path / ".interim.tmp-abcd1234"
    live.mkdir()
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert atomic.recover(target) == []
        assert live.is_dir()
    finally:
        os.close(fd)
    assert atomic.recover(target) != []
    assert not live.exists()


def test_recover_restores_what_the_previous_version_left(tmp_path, caplog):
    """The old code's names: `.<name>.old` (moved aside) and `.<name>.XXXXXXXX.tmp`."""
    target = tmp_path / "interim"
    _write_set(target, "old")
    os.replace(target, tmp_path / ".interim.old")
    (tmp_path / ".interim.k2j4_9zq.tmp").mkdir()
    (tmp_path / ".interim.k2j4_9zq.tmp" / "a.txt").write_text("half")
    (tmp_path / "interim-other").mkdir()  # not a leftover of this target
    with caplog.at_level(logging.WARNING, logger="company_risk"):
        atomic.recover(target)
    assert _the_set(target) == "old"
    assert _leftovers(target) == ["interim-other"]
    assert any("restored" in r.getMessage() for r in caplog.records)


def test_a_crashed_file_write_leaves_no_temp_after_the_next_write(tmp_path):
    target = tmp_path / "features.parquet"
    write_text("old", target)
    (tmp_path / ".features.parquet.q1w2e3r4.tmp").write_text("half-written")  # old name
    (tmp_path / ".features.parquet.tmp-q1w2e3r4").write_text("half-written")
    write_text("new", target)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["features.parquet"]


# ------------------------------------------------------------------- the readers recover
def test_ingest_reads_the_tables_a_crashed_swap_moved_aside(tmp_path, caplog):
    """Before: a crash between the renames left no data/interim and the next ingest silently
    started over from empty tables, re-applying every drop."""
    from company_risk.ingest import store

    tables = {name: store.empty(name) for name in store.INTERIM_TABLES}
    tables["ingest_log"] = store.conform(
        "ingest_log",
        pd.DataFrame(
            {
                "drop_date": [pd.Timestamp("2025-01-01")],
                "checksum": ["abc"],
                "files": ["x.zip"],
                "n_companies": [3],
            }
        ),
    )
    interim = tmp_path / "interim"
    store.write_tables(tables, interim)
    os.replace(interim, tmp_path / ".interim.old")  # the state a crash left
    with caplog.at_level(logging.WARNING, logger="company_risk"):
        loaded = store.load_tables(interim)
    assert loaded["ingest_log"]["checksum"].tolist() == ["abc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interim"]
    assert any("interim" in r.getMessage() for r in caplog.records)


def test_scoring_lists_and_reads_the_partition_a_crashed_rescore_moved_aside(tmp_path):
    """Before: re-scoring day D and crashing between the renames left no date=D."""
    import datetime as dt

    from company_risk import artifacts
    from company_risk.scoring import partition

    out, day = tmp_path / "scores", dt.date(2025, 1, 2)
    scores = pd.DataFrame({"company_id": ["10000001", "10000002"], "probability": [0.1, 0.2]})
    partition.write_partition(out, dt.date(2025, 1, 1), scores, pd.DataFrame(), {"n": 1})
    partition.write_partition(out, day, scores, pd.DataFrame(), {"n": 2})
    os.replace(artifacts.partition_dir(out, day), out / f".date={day}.old")
    (out / ".date=2025-01-01.tmp-zz00aa11").mkdir()  # a crashed re-score of the first day
    assert artifacts.list_partitions(out) == [dt.date(2025, 1, 1), day]
    assert artifacts.read_scores(out, day)["company_id"].tolist() == ["10000001", "10000002"]
    assert sorted(p.name for p in out.iterdir()) == ["date=2025-01-01", f"date={day}"]

    os.replace(artifacts.partition_dir(out, day), out / f".date={day}.old")
    assert artifacts.read_scores(out, day)["probability"].tolist() == [0.1, 0.2]
