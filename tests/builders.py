"""Builders the tests share: small, valid artifacts and tables, made one way.

Test modules import from here, never from each other, so a test file can change its own
fixtures without breaking another's.
"""

from __future__ import annotations

from collections.abc import Sequence

from company_risk.artifacts import REGISTERED_MODEL, ChampionMeta, VersionTags


def champion_meta(
    feature_columns: Sequence[str],
    version: str = "1",
    run_id: str = "run1",
    **overrides: object,
) -> ChampionMeta:
    """A complete `champion.json` record for an exported test model."""
    fields = {
        "model_name": REGISTERED_MODEL,
        "version": version,
        "run_id": run_id,
        "model": "logistic_regression",
        "feature_set": "all",
        "feature_columns": tuple(feature_columns),
        "threshold": 0.5,
        "train_from": "2016-01-01",
        "train_until": "2021-12-31",
        **overrides,
    }
    return ChampionMeta(**fields)


def version_tags(feature_columns: Sequence[str], **overrides: object) -> VersionTags:
    """The tags train puts on a registered version, for a test model."""
    fields = {
        "model": "logistic_regression",
        "feature_set": "all",
        "threshold": 0.5,
        "train_from": "2016-01-01",
        "train_until": "2021-12-31",
        "features": tuple(feature_columns),
        "metric": "roc_auc",
        "val": 0.8,
        "test": 0.8,
        **overrides,
    }
    return VersionTags(**fields)
