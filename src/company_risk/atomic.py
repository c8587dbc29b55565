"""Atomic writes: every output appears whole or not at all, and a crash never loses one.

A stage killed half-way must never leave a truncated parquet file or a half-filled directory
where the next stage (or tomorrow's scheduler run) would read it, nor lose the previous output.
Each helper writes beside the target under a hidden temporary name, `.<name>.tmp-XXXXXXXX`, and
renames it into place, which is atomic on one filesystem:

- a file replaces the old one with one `rename(2)`;
- a directory replaces the old one with one `renameat2(RENAME_EXCHANGE)` where the kernel and
  the filesystem offer it (Linux): the target is never missing, not even for an instant, so a
  reader that holds no lock (the API, a notebook) always finds the old or the new set. Elsewhere
  the old directory is first renamed aside to `.<name>.old-XXXXXXXX` and the temporary one then
  renamed onto the target; a crash between the two leaves no target but the whole old set aside.

`recover(target)` (run on entry of every write, and by the readers of swapped directories
before they read) repairs what a crash left: a target missing while an `.old` exists is restored
from it, and leftover temporaries and olds beside it are deleted, each step logged. A writer
holds an advisory `flock` on its temporary and on the directory it moves aside until it is done,
so `recover` never touches the leftovers of a writer that is still alive (the kernel drops the
lock when a process dies, however it dies).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("company_risk.atomic")

TMP = "tmp"
OLD = "old"
# .<name>.tmp-XXXXXXXX / .<name>.old-XXXXXXXX, and the names of the previous version:
# .<name>.XXXXXXXX.tmp (mkstemp/mkdtemp) and .<name>.old
_LEFTOVER = re.compile(
    r"\.(?P<name>.+)\.(?:(?P<kind>tmp|old)-[a-z0-9_]{8}|(?P<old>old)|[a-z0-9_]{8}\.tmp)"
)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    tmp, fd = _create_held(lambda: tempfile.mkstemp(prefix=_prefix(target, TMP), dir=target.parent))
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        _clean_up(tmp, fd)


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

    A failure or a crash at any point leaves the old or the new directory at `target` (after
    `recover`, which the next write runs first), never a mix and never nothing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    tmp, tmp_fd = _create_held(
        lambda: _opened(tempfile.mkdtemp(prefix=_prefix(target, TMP), dir=target.parent))
    )
    old_fd = None
    try:
        yield tmp
        old_fd = _hold(target)
        if old_fd is None:
            os.replace(tmp, target)
        elif not _exchange(tmp, target):  # the exchange leaves the old set at `tmp`
            _swap_by_two_renames(tmp, target)
    finally:
        _clean_up(tmp, tmp_fd, old_fd)


def recover(target: Path) -> list[str]:
    """Repair what an interrupted write left beside `target`; return what was done (logged).

    A missing `target` with a moved-aside `.old` beside it is restored from it (the interrupted
    swap had not put the new set in place); every other leftover temporary or `.old` of `target`
    is deleted. Leftovers of a writer still at work (it holds their lock) are left alone.
    """
    target = Path(target)
    try:
        entries = list(target.parent.iterdir())
    except FileNotFoundError:
        return []
    leftovers = []
    for path in entries:
        match = _LEFTOVER.fullmatch(path.name)
        if match and match["name"] == target.name and not path.is_symlink():
            fd = _claim(path)
            if fd is not None:
                is_old = OLD in (match["kind"], match["old"])
                leftovers.append((path, fd, is_old))
    done = []
    try:
        if not os.path.lexists(target):
            olds = [(p, fd) for p, fd, is_old in leftovers if is_old and p.is_dir()]
            if olds:
                newest, _ = max(olds, key=lambda item: os.fstat(item[1]).st_ctime_ns)
                os.replace(newest, target)
                done.append(f"restored {target} from {newest.name} (a swap was interrupted)")
                log.warning("%s", done[-1])
        for path, _, _ in leftovers:
            if not os.path.lexists(path):
                continue
            try:
                _remove(path)
            except OSError as exc:
                log.warning("cannot delete %s, left by an interrupted write: %s", path, exc)
                continue
            done.append(f"deleted {path}, left by an interrupted write of {target.name}")
            log.warning("%s", done[-1])
    finally:
        for _, fd, _ in leftovers:
            os.close(fd)
    return done


def recover_children(folder: Path) -> list[str]:
    """`recover` every target in `folder` that has a leftover beside it (e.g. the partitions
    `date=D/` of a scores folder, one of which may be missing after a crash)."""
    folder = Path(folder)
    try:
        names = {m["name"] for p in folder.iterdir() if (m := _LEFTOVER.fullmatch(p.name))}
    except FileNotFoundError:
        return []
    return [action for name in sorted(names) for action in recover(folder / name)]


# ------------------------------------------------------------------------------ internals
def _prefix(target: Path, kind: str) -> str:
    """`.<name>.tmp-` (mkstemp/mkdtemp add 8 characters of [a-z0-9_])."""
    return f".{target.name}.{kind}-"


def _opened(path: str) -> tuple[int, str]:
    return os.open(path, os.O_RDONLY), path


def _create_held(create: Callable[[], tuple[int, str]]) -> tuple[Path, int]:
    """Create a temporary (file or directory) and lock it before anyone may take it for an
    abandoned one; a `recover` that claimed it in the instant between has deleted it, so the
    lock then sits on a deleted inode and a fresh one is made."""
    while True:
        fd, name = create()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.fstat(fd), os.stat(name)):
                return Path(name), fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _hold(path: Path) -> int | None:
    """Lock the directory about to be moved aside, so it is never taken for an abandoned `.old`;
    None when there is no such directory."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _claim(path: Path) -> int | None:
    """An fd locking a leftover nobody holds (its writer is gone), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _swap_by_two_renames(tmp: Path, target: Path) -> None:
    """Move the old set aside, put the new one in place, delete the old. A crash between the
    renames leaves no target but the old set at `.old-*`, which `recover` puts back."""
    old = target.with_name(f"{_prefix(target, OLD)}{secrets.token_hex(4)}")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.replace(old, target)  # else `recover` restores it on the next use
        raise
    _remove(old)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _clean_up(tmp: Path, *fds: int | None) -> None:
    """Delete the temporary (after a swap: the old set) while still holding its lock, then let
    go; what cannot be deleted now is left to the next `recover`."""
    try:
        _remove(tmp)
    except OSError as exc:
        log.warning("cannot delete %s: %s (the next write of its target retries)", tmp, exc)
    for fd in fds:
        if fd is not None:
            os.close(fd)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}


def _renameat2() -> Any:
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot (not Linux, an
    old kernel or C library, a filesystem without RENAME_EXCHANGE)."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))
