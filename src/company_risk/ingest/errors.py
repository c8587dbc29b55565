"""The one error type of ingest, and where in a drop a problem was found.

An operator who sees a failed daily run must be able to open the named file at the named row
and see the bad field, so every message carries drop, file, row and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from company_risk.errors import CompanyRiskError


class IngestError(CompanyRiskError):
    """A drop (or the history tables) cannot be ingested; nothing was written.

    `failed_drop` is the date of the not-yet-applied drop whose reading, checks or applying
    failed (set by `pipeline.ingest_drops`); None for errors about the history itself or an
    applied drop. The daily job quarantines that drop, and only that one."""

    failed_drop: dt.date | None = None


@dataclass(frozen=True)
class Source:
    """One file of one drop. `kind` is "csv" (rows counted below the header) or "json"
    (items of the top-level array)."""

    drop: str
    file: str
    kind: str = "csv"

    def row(self, position: int) -> str:
        """A human row reference for a 0-based data position."""
        if self.kind == "json":
            return f"item {position + 1}"
        return f"row {position + 1} (line {position + 2})"

    def error(
        self, message: str, position: int | None = None, field: str | None = None
    ) -> IngestError:
        parts = [f"drop {self.drop}", self.file]
        if position is not None:
            parts.append(self.row(position))
        if field is not None:
            parts.append(f"field {field!r}")
        return IngestError(": ".join(parts) + ": " + message)


@dataclass
class Rejects:
    """The record-level faults of one file: rows left out, each with field, value and reason.

    At register scale one bad entry (an unknown status code, an empty date in a history) must
    neither make the whole day unusable nor vanish: the row is left out and recorded here, and
    the drop still fails when a file's share of rejected rows exceeds the configured limit.
    """

    source: Source
    records: list[tuple[int, str, str, str]] = field(default_factory=list)  # position, field,
    # value, reason
    total: int = 0  # data rows (or items) the file held

    def over(self, n: int) -> RowMask:
        """A mask over the n values of one table parsed from this file."""
        return RowMask(self, np.zeros(n, dtype=bool))

    @property
    def rows(self) -> int:
        """How many distinct rows (positions) were rejected."""
        return len({position for position, *_ in self.records})

    def check(self, max_share: float) -> None:
        """Refuse the file when more than `max_share` of its rows were rejected."""
        if not self.records or self.rows <= max_share * max(self.total, 1):
            return
        position, name, value, reason = min(self.records, key=lambda r: r[0])
        raise self.source.error(
            f"{self.rows} of {self.total} rows rejected ({self.rows / max(self.total, 1):.2%}, "
            f"more than ingest.max_rejected_share {max_share:.2%}); the first: "
            f"{self.source.row(position)}, field {name!r}: {value!r} {reason}"
        )

    def table(self) -> pd.DataFrame:
        """The rejected rows as rows of the interim `rejected` table (without drop_date), in
        file order."""
        records = sorted(self.records, key=lambda r: r[0])
        return pd.DataFrame(
            {
                "file": pd.Series([self.source.file] * len(records), dtype="str"),
                "row": pd.Series([self.source.row(p) for p, *_ in records], dtype="str"),
                "field": pd.Series([f for _, f, _, _ in records], dtype="str"),
                "value": pd.Series([v for _, _, v, _ in records], dtype="str"),
                "reason": pd.Series([r for *_, r in records], dtype="str"),
            }
        )


@dataclass
class RowMask:
    """Which values of one parsed table were rejected (`bad`), recorded in `rejects`."""

    rejects: Rejects
    bad: np.ndarray

    def add(self, bad: np.ndarray, positions: np.ndarray, name: str, values, reason: str) -> None:
        for index in np.flatnonzero(bad & ~self.bad):
            self.rejects.records.append((int(positions[index]), name, str(values[index]), reason))
        self.bad |= bad
