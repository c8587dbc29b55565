"""Ingest: dated drops of the real open-data files -> validated history tables in data/interim.

Modules by concern: `files` (finding drops and recognising their files, zipped or not),
`jsonstream` (the big JSON arrays, streamed), `parse` (typed, validated columns), one reader
module per publisher (`rik`: the register's daily files; `reports`: annual reports; `emta`: the
Tax and Customs Board's files), `snapshot` (one drop), `history` (pure table updates), `store`
(atomic table set), `pipeline` (the run).
"""

from company_risk.ingest.errors import IngestError
from company_risk.ingest.pipeline import IngestResult, ingest_drops, pseudonym_key

__all__ = ["IngestError", "IngestResult", "ingest_drops", "pseudonym_key"]
