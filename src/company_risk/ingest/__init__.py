"""Ingest: dated drops of the real open-data files -> validated history tables in data/interim.

Modules by concern: `files` (finding drops, zipped or not, streaming JSON), `parse` (typed,
validated columns), `readers` (one per real file), `snapshot` (one drop), `history` (pure
table updates), `store` (atomic table set), `pipeline` (the run).
"""

from company_risk.ingest.errors import IngestError
from company_risk.ingest.pipeline import IngestResult, ingest_drops

__all__ = ["IngestError", "IngestResult", "ingest_drops"]
