"""Atomic writes: every output appears whole or not at all.

A stage killed half-way must never leave a truncated parquet file or a half-filled directory
where the next stage (or tomorrow's scheduler run) would read it. Each helper writes next to the
target under a temporary name and renames into place, which is atomic on one filesystem.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(df: pd.DataFrame, target: Path) -> Path:
    """Write a DataFrame as parquet, atomically, without the index (deterministic bytes)."""
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)
    return target


def write_text(text: str, target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_json(obj: Any, target: Path) -> Path:
    """Pretty, key-sorted JSON so reruns and diffs are stable."""
    return write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", target)


@contextlib.contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield an empty temporary directory; it replaces `target` only if the block succeeds.

    The old `target` (if any) is moved aside first and deleted only after the new one is in
    place, so a failure at any point leaves either the old or the new directory, never a mix.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
