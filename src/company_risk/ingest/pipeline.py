"""`ingest_drops`: apply every new drop, in date order, to the history tables, all or nothing.

Already-applied drops (by date, in the ingest log) are skipped after checking that their bytes
are unchanged; a new drop dated before the last applied one is refused, because the history
tables can only move forward in time. All new drops are read and applied in memory; the table
set is written once, atomically, so a failure anywhere leaves the tables exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from company_risk import formats as F
from company_risk.config import IngestConfig
from company_risk.ingest import history, store
from company_risk.ingest.errors import IngestError
from company_risk.ingest.files import ItemCache, drop_checksum, list_drops
from company_risk.ingest.snapshot import read_drop

log = logging.getLogger("company_risk.ingest")


@dataclass
class IngestResult:
    applied: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)


def ingest_drops(
    raw: Path, interim: Path, cfg: IngestConfig, until: dt.date | None = None
) -> IngestResult:
    """Apply the drops under `raw` (dated <= `until` when given) not yet in `interim`."""
    tables = store.load_tables(interim)
    applied_log = tables["ingest_log"]
    applied = {
        d.date(): c for d, c in zip(applied_log["drop_date"], applied_log["checksum"], strict=True)
    }
    last = max(applied) if applied else None
    result = IngestResult()
    todo = []
    for date, folder in list_drops(raw):
        if until is not None and date > until:
            continue
        if date in applied:
            if drop_checksum(folder) != applied[date]:
                raise IngestError(
                    f"drop {date}: already applied, but its files have changed since "
                    "(raw drops are immutable; rebuild the history from scratch)"
                )
            result.skipped.append(date)
        elif last is not None and date < last:
            raise IngestError(f"drop {date}: dated before the last applied drop {last}")
        else:
            todo.append((date, folder))

    # decoded JSON items are reused between consecutive drops of one run (not worth the
    # memory when the run applies a single drop)
    caches = {F.RIK_GENERAL: ItemCache(), F.RIK_PERSONS: ItemCache()} if len(todo) > 1 else None
    for date, folder in todo:
        snapshot = read_drop(folder, date, cfg, caches)
        for cache in (caches or {}).values():
            cache.next_drop()
        tables = history.apply_snapshot(tables, snapshot)
        result.applied.append(date)
        log.debug("applied drop %s: %d companies", date, len(snapshot.companies))

    if result.applied or not Path(interim).exists():
        tables["defaults"] = history.derive_defaults(tables["status_history"])
        store.write_tables({n: store.conform(n, t) for n, t in tables.items()}, interim)
    return result
