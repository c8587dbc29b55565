"""Temporal split of the labelled snapshots into train, validation and test.

A random split would let the model learn from the same months it is judged on (one recession
quarter on both sides); a temporal split asks the honest question "trained on the past, how well
does it rank the future?". The label at t looks 12 months ahead, so training labels at T1 see
outcomes up to T1 + 12 months: validation starts only after `gap_months`, so no training outcome
window overlaps a validation one. The test set is the most recent labelled snapshots and is never
used for any choice (hyperparameters, calibration, threshold, model selection).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.config import SplitConfig
from company_risk.errors import CompanyRiskError
from company_risk.schemas import LABEL


class SplitError(CompanyRiskError, ValueError):
    """The snapshots cannot be split into usable train/validation/test parts."""


@dataclass(frozen=True)
class TemporalSplit:
    """Row positions (into the features table) of each part, and the date bounds used."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    train_until: pd.Timestamp
    validation_from: pd.Timestamp
    validation_until: pd.Timestamp

    def describe(self, snapshot_date: pd.Series) -> dict[str, str | int]:
        """First/last snapshot and row count of each part, for MLflow params and champion.json."""
        out: dict[str, str | int] = {}
        for part in ("train", "validation", "test"):
            dates = snapshot_date.iloc[getattr(self, part)]
            out[f"{part}_from"] = dates.min().date().isoformat()
            out[f"{part}_until"] = dates.max().date().isoformat()
            out[f"{part}_rows"] = int(len(dates))
        return out


def temporal_split(table: pd.DataFrame, cfg: SplitConfig) -> TemporalSplit:
    """Split by `snapshot_date`: train <= T1 < gap < validation <= validation_until < test.

    Raises SplitError when a part is empty or holds only one class, naming the part and its
    date range, because every later step (search, calibration, evaluation) needs both classes.
    """
    if cfg.gap_months < 0:
        raise SplitError(f"split.gap_months must be >= 0, got {cfg.gap_months}")
    train_until = pd.Timestamp(cfg.train_until)
    validation_from = train_until + pd.DateOffset(months=cfg.gap_months)
    validation_until = pd.Timestamp(cfg.validation_until)
    if validation_until <= validation_from:
        raise SplitError(
            f"split.validation_until {validation_until.date()} leaves no validation snapshots after "
            f"train_until {train_until.date()} + gap of {cfg.gap_months} months"
        )
    dates = table["snapshot_date"]
    parts = {
        "train": np.flatnonzero((dates <= train_until).to_numpy()),
        "validation": np.flatnonzero(
            ((dates > validation_from) & (dates <= validation_until)).to_numpy()
        ),
        "test": np.flatnonzero((dates > validation_until).to_numpy()),
    }
    bounds = {
        "train": f"snapshots <= {train_until.date()}",
        "validation": f"snapshots in ({validation_from.date()}, {validation_until.date()}]",
        "test": f"snapshots > {validation_until.date()}",
    }
    labels = table[LABEL].to_numpy()
    for part, rows in parts.items():
        if len(rows) == 0:
            raise SplitError(
                f"the {part} set ({bounds[part]}) is empty; adjust params.yaml `split`"
            )
        classes = np.unique(labels[rows])
        if len(classes) < 2:
            raise SplitError(
                f"the {part} set ({bounds[part]}, {len(rows)} rows) has a single class "
                f"(label={classes[0]}); both defaults and non-defaults are needed"
            )
    return TemporalSplit(
        train=parts["train"],
        validation=parts["validation"],
        test=parts["test"],
        train_until=train_until,
        validation_from=validation_from,
        validation_until=validation_until,
    )


def stratified_subsample(y: np.ndarray, max_rows: int | None, seed: int) -> np.ndarray:
    """Positions of at most `max_rows` rows keeping the class shares (all rows when it fits).

    Used to bound the cost of the search and of models that scale badly (kernel SVM, MLP)
    without changing the default rate the model sees. Positions come back sorted so the
    subsample keeps the table's order (deterministic for a given seed).
    """
    n = len(y)
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    keep = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        take = max(1, round(max_rows * len(members) / n))
        keep.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(keep))
