"""Shared by the benchmark scripts: measure wall time and peak memory, merge figures into
`reports/benchmarks.json` (one section per benchmark, so scripts can run separately)."""

from __future__ import annotations

import contextlib
import json
import platform
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from company_risk.atomic import write_json


class PeakMemory:
    """Samples this process's resident memory (children included) in a background thread.

    ru_maxrss only ever grows over the whole process, so it cannot separate the parts of one
    benchmark; sampling can.
    """

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            rss = proc.memory_info().rss
            for child in proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    rss += child.memory_info().rss
            self.peak = max(self.peak, rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def measure(figures: dict, name: str) -> Iterator[None]:
    """Record `<name>_seconds` and `<name>_peak_gb` into `figures`."""
    started = time.perf_counter()
    with PeakMemory() as mem:
        yield
    figures[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
    figures[f"{name}_peak_gb"] = round(mem.peak / 1e9, 3)


def machine() -> dict:
    return {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "python": platform.python_version(),
        "max_rss_gb_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
    }


def record(section: str, figures: dict, path: Path = Path("reports/benchmarks.json")) -> None:
    """Merge one benchmark's figures into the shared JSON file (atomically)."""
    current = json.loads(path.read_text()) if path.exists() else {}
    current[section] = {**figures, "machine": machine()}
    write_json(current, path)
    print(json.dumps({section: current[section]}, indent=2))
