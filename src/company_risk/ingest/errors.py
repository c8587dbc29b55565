"""The one error type of ingest, and where in a drop a problem was found.

An operator who sees a failed daily run must be able to open the named file at the named row
and see the bad field, so every message carries drop, file, row and field.
"""

from __future__ import annotations

from dataclasses import dataclass


class IngestError(Exception):
    """A drop (or the history tables) cannot be ingested; nothing was written."""


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
