"""One advisory lock per project, so that commands which write run one at a time.

Two `ingest` runs, two `score` runs of one day, or a `score` during an `ingest` read and replace
the same tables and partitions: without a lock the loser dies half-way or, worse, one run's
applied drop is lost when the other's older set replaces it. Every command that writes takes
`flock(LOCK_EX)` on `<project root>/.company-risk.lock` for its whole run (the CLI's `command`
wrapper does it), waiting up to `--wait` seconds, and otherwise stops with `ProjectLocked`,
which names the holder.

The kernel drops a `flock` when its process ends, however it ends (exit, exception, kill -9),
so a lock file left by a killed run never blocks the next one: the file only says who holds the
lock (pid, command, command line, since), and it is never deleted (a waiter could otherwise lock
a deleted file while a newcomer locks a fresh one). The lock is advisory and per host: it
guards against other company-risk commands, not against other programs or machines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from company_risk.errors import CompanyRiskError

LOCK_FILE = ".company-risk.lock"
POLL_S = 0.1

log = logging.getLogger("company_risk.lock")


class LockError(CompanyRiskError):
    """The project lock cannot be taken (no project directory, no right to write there)."""


class ProjectLocked(LockError):
    """Another command that writes holds the project lock."""


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as written into the lock file."""

    pid: int
    command: str
    argv: str
    since: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> Holder:
        return cls(
            pid=int(raw["pid"]),
            command=str(raw["command"]),
            argv=str(raw.get("argv", "")),
            since=str(raw["since"]),
        )

    def describe(self) -> str:
        line = f" (command line: {self.argv})" if self.argv and self.argv != self.command else ""
        return f"pid {self.pid} running `{self.command}` since {self.since}{line}"


def lock_path(root: Path) -> Path:
    return Path(root) / LOCK_FILE


def read_holder(root: Path) -> Holder | None:
    """The holder the lock file names (None when it names nobody). Says nothing about whether
    that process still holds the lock: only `flock` knows."""
    try:
        return _parse(lock_path(root).read_bytes())
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def project_lock(root: Path, command: str, argv: str = "", wait_s: float = 0.0) -> Iterator[Holder]:
    """Hold the project's lock for the block; wait up to `wait_s` seconds for a holder to finish,
    then raise `ProjectLocked` naming it."""
    path = lock_path(root)
    if not Path(root).is_dir():
        raise LockError(f"{root}: the project directory does not exist")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise LockError(f"{path}: cannot open the project lock file ({exc.strerror})") from exc
    try:
        _acquire(fd, path, wait_s)
        me = Holder(
            pid=os.getpid(),
            command=command,
            argv=argv,
            since=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        data = (json.dumps(me.to_dict(), sort_keys=True) + "\n").encode()
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        log.debug("took the project lock %s", path)
        try:
            yield me
        finally:
            os.ftruncate(fd, 0)  # names nobody: released
    finally:
        os.close(fd)  # drops the flock


def _acquire(fd: int, path: Path, wait_s: float) -> None:
    deadline = time.monotonic() + max(wait_s, 0.0)
    waiting = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _parse(os.pread(fd, 65536, 0))
        who = holder.describe() if holder else "another company-risk command"
        left = deadline - time.monotonic()
        if left <= 0:
            waited = f" (waited {wait_s:g} s)" if wait_s > 0 else ""
            raise ProjectLocked(
                f"{path.parent}: the project is busy{waited}: {who} holds the project lock "
                f"{path}; run again when it has finished, or give --wait SECONDS to wait for it"
            )
        if not waiting:
            log.info("waiting up to %.0f s for the project lock: %s", wait_s, who)
            waiting = True
        time.sleep(min(POLL_S, left))


def _parse(data: bytes) -> Holder | None:
    try:
        return Holder.from_dict(json.loads(data.decode("utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
