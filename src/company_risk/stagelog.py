"""Stage logging: what a stage read, what it wrote, and how long it took.

Operators read these lines in the scheduler's journal; auditors read them in DVC's output.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("company_risk")


def configure(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@contextlib.contextmanager
def stage(name: str) -> Iterator[logging.Logger]:
    """Log the start and the duration of a stage; the body logs its reads and writes."""
    logger = logging.getLogger(f"company_risk.{name}")
    logger.info("%s: start", name)
    started = time.perf_counter()
    try:
        yield logger
    except Exception:
        logger.error("%s: failed after %.1f s", name, time.perf_counter() - started)
        raise
    logger.info("%s: done in %.1f s", name, time.perf_counter() - started)


def describe(path: Path) -> str:
    """A short 'path (size)' for read/wrote log lines."""
    path = Path(path)
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    elif path.exists():
        size = path.stat().st_size
    else:
        return f"{path} (missing)"
    return f"{path} ({size / 1e6:.1f} MB)"


class Stopwatch:
    """`with clock("part"):` adds the part's seconds to `timings` (monotonic, not wall-clock):
    the per-part timings a scoring manifest and a portfolio run report."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.timings[name] = round(self.timings.get(name, 0.0) + spent, 3)
