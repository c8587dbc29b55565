"""Snapshot dates and the assembled features table (features.parquet).

One snapshot at a time: the population at t, then each family on the tables as known at t, then
the label. The families receive the full history tables and apply the point-in-time rule
themselves, each in the way its facts are dated (see their module docstrings); the facts shared
between families (the drop in force, defaults known by t, the latest tax debtors) are derived
here once per snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from company_risk.config import FeaturesConfig
from company_risk.features import FeatureError
from company_risk.features.descriptive import descriptive_features
from company_risk.features.graph import graph_features
from company_risk.features.labels import default_known_on, defaulted_by, horizon_labels
from company_risk.features.population import population
from company_risk.features.tables import check_tables
from company_risk.features.tax import debtors_at, tax_features
from company_risk.schemas import FEATURE_KEYS

SNAPSHOT_MONTHS = FeaturesConfig.SNAPSHOT_MONTHS  # `snapshot_every` -> months between snapshots


def drop_dates(tables: Mapping[str, pd.DataFrame]) -> np.ndarray:
    """Sorted distinct dates of the ingested drops; an error if there are none."""
    dates = np.unique(tables["ingest_log"]["drop_date"].dropna().to_numpy())
    if not len(dates):
        raise FeatureError("interim table ingest_log lists no drop: nothing has been ingested")
    return dates


def training_snapshot_dates(
    tables: Mapping[str, pd.DataFrame], cfg: FeaturesConfig
) -> list[dt.date]:
    """Every `snapshot_every` date (first day of a month, quarter or year) from
    `first_snapshot` (and not before the first drop) to the last date whose whole outcome window
    is observed: the last drop date minus `horizon_months`."""
    step = SNAPSHOT_MONTHS[cfg.snapshot_every]
    drops = drop_dates(tables)
    start = max(pd.Timestamp(cfg.first_snapshot), pd.Timestamp(drops[0]))
    end = pd.Timestamp(drops[-1]) - pd.DateOffset(months=cfg.horizon_months)
    # first period start on or after `start`
    month = pd.Timestamp(start.year, 1, 1) + pd.DateOffset(
        months=((start.month - 1) // step) * step
    )
    if month < start:
        month += pd.DateOffset(months=step)
    dates = []
    while month <= end:
        dates.append(month.date())
        month += pd.DateOffset(months=step)
    if not dates:
        raise FeatureError(
            f"no {cfg.snapshot_every} snapshot date between {start.date()} and {end.date()}: the "
            f"drops ({pd.Timestamp(drops[0]).date()} to {pd.Timestamp(drops[-1]).date()}) must "
            f"cover more than features.horizon_months = {cfg.horizon_months} after the first snapshot"
        )
    return dates


def build_features(
    tables: Mapping[str, pd.DataFrame],
    dates: Sequence[dt.date],
    cfg: FeaturesConfig,
    with_label: bool = True,
) -> pd.DataFrame:
    """features.parquet for `dates`: company_id, snapshot_date, graph__*, tax__*, desc__* and,
    `with_label`, the int8 labels of the shorter horizons (`label_3m`, ...) and `label`. Rows
    sorted by snapshot date, then company_id.

    Errors: a date before the first drop (nothing is known then), a label whose outcome window
    ends after the last drop, or a date whose population is empty.
    """
    tables = check_tables(tables)
    drops = drop_dates(tables)
    snapshots = sorted({pd.Timestamp(d) for d in dates})
    if not snapshots:
        raise FeatureError("no snapshot date given")
    first, last = pd.Timestamp(drops[0]), pd.Timestamp(drops[-1])
    early = [t for t in snapshots if t < first]
    if early:
        raise FeatureError(
            f"snapshot date {early[0].date()} is before the first ingested drop ({first.date()}): "
            "nothing is known then"
        )
    if with_label:
        open_window = [t for t in snapshots if t + pd.DateOffset(months=cfg.horizon_months) > last]
        if open_window:
            raise FeatureError(
                f"snapshot date {open_window[0].date()}: its {cfg.horizon_months}-month outcome "
                f"window ends after the last drop ({last.date()}), so its label is not known"
            )
    known_on = default_known_on(tables["defaults"], tables["status_history"])
    frames = [_snapshot(tables, t, drops, known_on, cfg, with_label) for t in snapshots]
    return pd.concat(frames, ignore_index=True)


def _snapshot(
    tables: Mapping[str, pd.DataFrame],
    t: pd.Timestamp,
    drops: np.ndarray,
    known_on: pd.Series,
    cfg: FeaturesConfig,
    with_label: bool,
) -> pd.DataFrame:
    cutoff = pd.Timestamp(drops[np.searchsorted(drops, np.datetime64(t), side="right") - 1])
    pop = population(tables["status_history"], tables["companies"], t)
    if pop.empty:
        raise FeatureError(f"no company has status R on {t.date()}: the population is empty")
    debtors = debtors_at(tables["tax_debts"], tables["tax_debt_lists"], cutoff)
    parts = [
        graph_features(
            tables["board_roles"],
            pop,
            t,
            defaulted_by(known_on, t),
            debtors,
            cfg.graph,
            shareholdings=tables["shareholdings"],
            status_history=tables["status_history"],
        ),
        tax_features(
            tables["tax_debts"], tables["tax_debt_lists"], tables["tax_payments"], pop, t, cutoff
        ),
        descriptive_features(tables["companies"], tables["annual_reports"], pop, t, cfg),
    ]
    if with_label:
        # the longest horizon is horizon_months, so every shorter window is observed too
        parts.append(horizon_labels(tables["defaults"], pop, t, cfg.horizons_months))
    frame = pd.concat(parts, axis=1)
    keys = pd.DataFrame(
        {
            FEATURE_KEYS[0]: pd.Series(pop, dtype="str"),
            FEATURE_KEYS[1]: pd.Series(t, index=range(len(pop)), dtype="datetime64[us]"),
        }
    )
    return pd.concat([keys, frame.reset_index(drop=True)], axis=1)
