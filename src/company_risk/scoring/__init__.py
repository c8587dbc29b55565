"""Daily batch scoring of the whole register: probability, risk class, credit terms, reasons,
alerts and drift, written as one atomic partition `date=D/` per day.

The pure parts (classes, credit, facts, reasons, alerts, drift) take DataFrames and a
`ScoringConfig` and return DataFrames; `run` wires them to the files, the model and MLflow.

Convention: the stage's entry point is `run.py` (`score_day`/`score_days`), next to the pure
modules it calls; `daily.py` is the scheduler's job around it (fetch or pick the day's drop
and ingest or quarantine it; the `daily` command then calls `score_day`).
"""

from __future__ import annotations

from company_risk.errors import CompanyRiskError


class ScoringError(CompanyRiskError, ValueError):
    """A scoring run cannot go ahead: no drop for the date, a model that does not fit the
    features, an empty population, a malformed previous partition or watchlist."""
