"""Atomic writes: a failure leaves the previous output intact and no temporary litter."""

import pandas as pd
import pytest

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
