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

from company_risk.config import IngestConfig
from company_risk.ingest import history, store
from company_risk.ingest.errors import IngestError
from company_risk.ingest.files import drop_checksum, drop_fingerprint, list_drops
from company_risk.ingest.snapshot import read_drop

log = logging.getLogger("company_risk.ingest")


@dataclass
class IngestResult:
    applied: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    files_read: int = 0
    not_recognised: list[str] = field(default_factory=list)  # "<drop>/<file>"
    rejected_rows: int = 0


# Used when no key file is configured: fine for the synthetic world, whose persons are made up.
# With real data a public key lets anyone test a guessed name and birth date against a key.
BUILT_IN_PSEUDONYM_KEY = b"company-risk synthetic world"


def pseudonym_key(cfg: IngestConfig, root: Path) -> bytes:
    """The secret of the keyed hash behind foreign persons' keys (`ingest.pseudonym_key_file`,
    relative to the project root), or the built-in key when none is configured."""
    if cfg.pseudonym_key_file is None:
        return BUILT_IN_PSEUDONYM_KEY
    path = Path(root) / cfg.pseudonym_key_file
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise IngestError(f"ingest.pseudonym_key_file: cannot read {path}: {exc}") from exc
    if len(key) < 16:
        raise IngestError(f"ingest.pseudonym_key_file: {path} holds fewer than 16 bytes")
    return key


def check_mass_change(
    change: dict[str, int], date: dt.date, cfg: IngestConfig, accept: bool
) -> None:
    """Refuse a drop that ends more of the history than a day can (a partial basic file beside
    its zip, a persons file `[]`): the history is append-only, so a false mass deletion would
    become false defaults for good. `accept` applies it anyway, logged."""
    problems = []
    for count, total, share, what in (
        ("vanished", "on_register", cfg.max_vanished_share, "companies on the register vanish"),
        (
            "ended_board_tenures",
            "open_board_tenures",
            cfg.max_ended_roles_share,
            "open board tenures end",
        ),
    ):
        n, of = change[count], change[total]
        if n >= history.MASS_CHANGE_MIN_ROWS and n > share * of:
            problems.append(f"{n} of {of} {what} ({n / of:.1%}, limit {share:.1%})")
    if not problems:
        return
    if accept:
        log.warning("drop %s: applied as accepted although %s", date, "; ".join(problems))
        return
    raise IngestError(
        f"drop {date}: refused as implausible: {'; '.join(problems)}. If the register really "
        "changed that much, apply it with `ingest --accept-mass-change`"
    )


def ingest_drops(
    raw: Path,
    interim: Path,
    cfg: IngestConfig,
    key: bytes | None = None,
    until: dt.date | None = None,
    accept_mass_change: bool = False,
) -> IngestResult:
    """Apply the drops under `raw` (dated <= `until` when given) not yet in `interim`;
    `key` is the pseudonym key (None: the built-in one, see `pseudonym_key`). A drop that
    would end an implausible share of the history is refused unless `accept_mass_change`."""
    tables = store.load_tables(interim)
    applied_log = tables["ingest_log"]
    applied = {
        d.date(): (c, f)
        for d, c, f in zip(
            applied_log["drop_date"],
            applied_log["checksum"],
            applied_log["fingerprint"],
            strict=True,
        )
    }
    last = max(applied) if applied else None
    result = IngestResult()
    todo = []
    fingerprinted: dict[dt.date, str] = {}  # applied drops checked in full, now fingerprinted
    for date, folder in list_drops(raw):
        if until is not None and date > until:
            continue
        if date in applied:
            checksum, fingerprint = applied[date]
            now = drop_fingerprint(folder)
            if now != fingerprint:  # changed, copied, or applied before fingerprints
                if drop_checksum(folder) != checksum:
                    raise IngestError(
                        f"drop {date}: already applied, but its files have changed since "
                        "(raw drops are immutable; rebuild the history from scratch)"
                    )
                fingerprinted[date] = now
            result.skipped.append(date)
        elif last is not None and date < last:
            raise IngestError(f"drop {date}: dated before the last applied drop {last}")
        else:
            todo.append((date, folder))

    for number, (date, folder) in enumerate(todo, start=1):
        known_reports = tables["annual_reports"]["report_id"]
        try:
            snapshot = read_drop(folder, date, cfg, key or BUILT_IN_PSEUDONYM_KEY, known_reports)
            check_mass_change(history.mass_change(tables, snapshot), date, cfg, accept_mass_change)
            tables = history.apply_snapshot(tables, snapshot)
        except IngestError as exc:
            exc.failed_drop = date  # this drop, not yet applied, is the one that failed
            raise
        result.applied.append(date)
        files = snapshot.files
        unknown = files.loc[files["status"] == "not recognised", "file"].tolist()
        result.files_read += int((files["status"] == "read").sum())
        result.not_recognised += [f"{date}/{name}" for name in unknown]
        result.rejected_rows += len(snapshot.rejected)
        log.info(
            "drop %s (%d of %d): %d companies, %d files read%s%s",
            date,
            number,
            len(todo),
            len(snapshot.companies),
            int((files["status"] == "read").sum()),
            f", {len(snapshot.rejected)} rows rejected" if len(snapshot.rejected) else "",
            f", not recognised: {', '.join(unknown)}" if unknown else "",
        )

    if fingerprinted:  # the next run need not read those drops' bytes again
        log_dates = tables["ingest_log"]["drop_date"].dt.date
        tables["ingest_log"] = tables["ingest_log"].assign(
            fingerprint=tables["ingest_log"]["fingerprint"].where(
                ~log_dates.isin(fingerprinted), log_dates.map(fingerprinted)
            )
        )
    if result.applied or fingerprinted or not Path(interim).exists():
        tables["defaults"] = history.derive_defaults(tables["status_history"])
        store.write_tables({n: store.conform(n, t) for n, t in tables.items()}, interim)
    return result
