"""One definition per feature: name, family, meaning, unit and a short phrase for people.

The family modules build their output columns from these definitions (`family_frame` refuses a
computed column that is not defined, and a definition that was not computed), the catalogue is
generated from them, and the scoring stage words its reasons with `phrase`, so the catalogue,
the code and the reasons cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_risk.schemas import CATEGORICAL_FEATURES, FEATURE_FAMILIES

DIMENSIONLESS = frozenset({"ratio", "share", "flag", "score", "category", "log ratio"})
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
UNIT_DAYS = {"years": DAYS_PER_YEAR, "months": DAYS_PER_MONTH, "days": 1.0}


@dataclass(frozen=True)
class Feature:
    """A feature column of features.parquet.

    `phrase` reads well before the value ("tax debt", "board members added in the last 6
    months") and `unit` after it ("EUR", "days"); `categorical` columns are str, all others
    float64. A `clock` is a time since an event that grows one for one with the calendar while
    nothing new happens (company age, months since the last report; not the tax-debt age, whose
    0 means "no debt"): comparing one on two different days measures the days between them.
    """

    name: str
    family: str
    meaning: str
    unit: str
    phrase: str
    categorical: bool = False
    clock: bool = False

    @property
    def phrase_unit(self) -> str:
        """The unit as it reads after a value in a sentence ("" for ratios, flags, scores)."""
        return "" if self.unit in DIMENSIONLESS else self.unit

    def __post_init__(self) -> None:
        prefix = FEATURE_FAMILIES[self.family]
        if not self.name.startswith(prefix):
            raise ValueError(f"feature {self.name!r} of family {self.family} must start {prefix}")
        if self.clock and self.unit not in UNIT_DAYS:
            raise ValueError(f"clock feature {self.name!r} needs a unit of time, not {self.unit!r}")


def define(family: str, rows: list[tuple[str, str, str, str]], clocks=()) -> tuple[Feature, ...]:
    """Definitions of one family from (suffix, meaning, unit, phrase) rows. Which columns are
    categorical is schemas.CATEGORICAL_FEATURES (train and scoring read it there too)."""
    prefix = FEATURE_FAMILIES[family]
    return tuple(
        Feature(
            prefix + s,
            family,
            meaning,
            unit,
            phrase,
            categorical=prefix + s in CATEGORICAL_FEATURES,
            clock=s in clocks,
        )
        for s, meaning, unit, phrase in rows
    )


def family_frame(
    definitions: tuple[Feature, ...], values: Mapping[str, object], index: pd.Index
) -> pd.DataFrame:
    """The family's columns in definition order with their dtypes (float64 or str).

    A value without a definition, or a definition without a value, is a programming error that
    would make the catalogue lie, so it fails here rather than in a model months later.
    """
    names = [f.name for f in definitions]
    extra = sorted(set(values) - set(names))
    lacking = [n for n in names if n not in values]
    if extra or lacking:
        raise AssertionError(
            f"feature values and definitions differ: extra {extra}, lacking {lacking}"
        )
    columns = {}
    for f in definitions:
        value = values[f.name]
        if isinstance(value, pd.Series):
            value = value.reindex(index)
        if f.categorical:
            columns[f.name] = pd.Series(value, index=index, dtype="str")
        else:
            columns[f.name] = pd.Series(np.asarray(value, dtype="float64"), index=index)
    return pd.DataFrame(columns, index=index)
