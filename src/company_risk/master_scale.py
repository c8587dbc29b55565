"""The master scale: risk classes I–V of a default probability and the statistics that validate
them (the train stage's gate and the report's risk-class section use the same functions).

A probability falls into a class by the cut-offs of `scoring.risk_classes` (`class_index`; a
probability equal to a cut-off falls into the worse class). On labelled rows the scale is
validated per class and as a whole:

- per class (`scale_table`): share of rows, defaults, observed default rate, mean predicted
  probability (the class's PD) and their difference, and two one-sided tests that the PD is not
  too low for the defaults observed, each with a traffic light (`traffic_light`: green, yellow
  when rejected at 95 %, red when rejected at 99.9 %):
  - the Jeffreys test of the ECB's instructions for reporting the validation results of
    internal models (2019): the p-value is the Beta(d + 1/2, n − d + 1/2) distribution function
    at the PD, i.e. the posterior probability, under the Jeffreys prior, that the true default
    rate lies below the PD;
  - the exact binomial test: the probability of at least d defaults among n when each defaults
    with the PD (`scipy.stats.binomtest`, alternative "greater");
- concentration (`herfindahl`): the Herfindahl index of the classes' shares and its normalised
  form, 0 for equal shares, 1 when every row is in one class;
- calibration (`calibration`): mean predicted minus observed, overall and per class, and the
  expected calibration error over the classes (the row-weighted mean absolute difference);
- monotonicity (`monotonicity_tests`, `monotonicity_violations`): for each pair of adjacent
  non-empty classes, Fisher's exact test, one-sided, of the hypothesis that the worse class's
  default rate is not lower than the better one's; a p-value below the level (5 % by default,
  `selection.monotonicity_level`) is a violation: the rate falls by more than sampling noise;
- the class migration between consecutive snapshots of the same companies
  (`migration_matrix`: rows the class at t, columns the class at the next snapshot);
- few distinct scores (`distinct_scores`): a model that gives many rows the same probability (a
  depth-6 decision tree gave 65 distinct values for 2,074 companies) orders ties arbitrarily
  and fills the classes in lumps; flagged when the distinct values are fewer than a share of
  the rows (`report.min_distinct_share`).

Every distribution is scipy.stats'. Pure functions on arrays and DataFrames; no file is read.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from company_risk.errors import CompanyRiskError
from company_risk.schemas import RISK_CLASSES

GREEN, YELLOW, RED, NO_LIGHT = "green", "yellow", "red", "n/a"
YELLOW_BELOW = 0.05  # a p-value below this rejects the PD at 95 %: yellow
RED_BELOW = 0.001  # ... below this at 99.9 %: red
MONOTONICITY_LEVEL = 0.05

SCALE_COLUMNS = (
    "risk_class",
    "rows",
    "share",
    "defaults",
    "observed_rate",
    "mean_probability",
    "calibration_error",
    "jeffreys_p",
    "jeffreys_light",
    "binomial_p",
    "binomial_light",
)


class MasterScaleError(CompanyRiskError, ValueError):
    """The master scale asked of data it cannot describe: cut-offs that are not one fewer than
    the classes or not increasing, a missing probability, labels other than 0/1, mismatched
    lengths, or no rows."""


# ------------------------------------------------------------------------------ the classes
def check_cutoffs(cutoffs: Sequence[float]) -> np.ndarray:
    """The cut-offs as floats: one fewer than RISK_CLASSES, strictly increasing, inside (0, 1)."""
    cuts = np.asarray(cutoffs, dtype=float)
    if cuts.ndim != 1 or len(cuts) != len(RISK_CLASSES) - 1:
        raise MasterScaleError(
            f"{len(RISK_CLASSES) - 1} cut-offs are needed for classes "
            f"{RISK_CLASSES[0]}–{RISK_CLASSES[-1]}, got {list(cutoffs)}"
        )
    if not (np.all(cuts > 0) and np.all(cuts < 1) and np.all(np.diff(cuts) > 0)):
        raise MasterScaleError(
            f"cut-offs must be strictly increasing, inside (0, 1): {list(cutoffs)}"
        )
    return cuts


def _probabilities(probability: pd.Series | np.ndarray | Sequence[float]) -> np.ndarray:
    p = np.asarray(probability, dtype=float)
    if np.isnan(p).any():
        raise MasterScaleError("cannot classify a missing probability")
    return p


def class_index(
    probability: pd.Series | np.ndarray | Sequence[float], cutoffs: Sequence[float]
) -> np.ndarray:
    """0..4 for classes I..V; a probability equal to a cut-off falls into the worse class."""
    return np.searchsorted(check_cutoffs(cutoffs), _probabilities(probability), side="right")


def class_names(
    probability: pd.Series | np.ndarray | Sequence[float], cutoffs: Sequence[float]
) -> np.ndarray:
    """The class name (RISK_CLASSES) of each probability."""
    return np.asarray(RISK_CLASSES)[class_index(probability, cutoffs)]


# --------------------------------------------------------------------------- per-class tests
def traffic_light(p_value: float) -> str:
    """green; yellow when the p-value rejects at 95 % (below 0.05); red at 99.9 % (below
    0.001); "n/a" without a p-value (an empty class)."""
    if p_value is None or np.isnan(p_value):
        return NO_LIGHT
    if p_value < RED_BELOW:
        return RED
    if p_value < YELLOW_BELOW:
        return YELLOW
    return GREEN


def _check_counts(defaults: int, rows: int, pd_: float) -> None:
    if rows < 0 or defaults < 0 or defaults > rows:
        raise MasterScaleError(f"{defaults} defaults among {rows} rows")
    if not 0 <= pd_ <= 1:
        raise MasterScaleError(f"a default probability must be in [0, 1], got {pd_}")


def jeffreys_p_value(defaults: int, rows: int, pd_: float) -> float:
    """The Jeffreys test's p-value (ECB 2019): Beta(d + 1/2, n − d + 1/2).cdf(PD). Small when
    the defaults observed are many for the PD (the PD is too low); NaN for an empty class."""
    _check_counts(defaults, rows, pd_)
    if rows == 0:
        return float("nan")
    return float(stats.beta.cdf(pd_, defaults + 0.5, rows - defaults + 0.5))


def binomial_p_value(defaults: int, rows: int, pd_: float) -> float:
    """The one-sided exact binomial test's p-value: P(at least d defaults among n | PD); NaN
    for an empty class."""
    _check_counts(defaults, rows, pd_)
    if rows == 0:
        return float("nan")
    return float(stats.binomtest(int(defaults), int(rows), float(pd_), "greater").pvalue)


def _labels(label: pd.Series | np.ndarray | Sequence[int], n: int) -> np.ndarray:
    y = np.asarray(label, dtype=float)
    if len(y) != n:
        raise MasterScaleError(f"{n} probabilities but {len(y)} labels")
    if np.isnan(y).any() or not np.isin(y, (0, 1)).all():
        raise MasterScaleError("labels must be 0 or 1 on every row")
    return y.astype("int64")


def scale_table(
    probability: pd.Series | np.ndarray | Sequence[float],
    label: pd.Series | np.ndarray | Sequence[int],
    cutoffs: Sequence[float],
) -> pd.DataFrame:
    """One row per class, all five in order (an empty one with NaN rates, p-values and "n/a"
    lights): SCALE_COLUMNS. `calibration_error` is mean predicted minus observed (negative: the
    class's PD is too low); the Jeffreys and binomial p-values test that PD against the defaults
    observed, with their traffic lights."""
    p = _probabilities(probability)
    y = _labels(label, len(p))
    if not len(p):
        raise MasterScaleError("the master scale needs at least one row")
    idx = class_index(p, cutoffs)
    k = len(RISK_CLASSES)
    rows = np.bincount(idx, minlength=k)
    defaults = np.bincount(idx, weights=y, minlength=k).round().astype("int64")
    sums = np.bincount(idx, weights=p, minlength=k)
    filled = rows > 0
    observed = np.where(filled, defaults / np.maximum(rows, 1), np.nan)
    mean_p = np.where(filled, sums / np.maximum(rows, 1), np.nan)
    mean_p = np.clip(mean_p, 0.0, 1.0)  # a float sum may stray an ulp outside
    jeffreys = [
        jeffreys_p_value(int(d), int(n), float(q)) if n else float("nan")
        for d, n, q in zip(defaults, rows, mean_p, strict=True)
    ]
    binomial = [
        binomial_p_value(int(d), int(n), float(q)) if n else float("nan")
        for d, n, q in zip(defaults, rows, mean_p, strict=True)
    ]
    return pd.DataFrame(
        {
            "risk_class": list(RISK_CLASSES),
            "rows": rows.astype("int64"),
            "share": rows / len(p),
            "defaults": defaults,
            "observed_rate": observed,
            "mean_probability": mean_p,
            "calibration_error": mean_p - observed,
            "jeffreys_p": jeffreys,
            "jeffreys_light": [traffic_light(v) for v in jeffreys],
            "binomial_p": binomial,
            "binomial_light": [traffic_light(v) for v in binomial],
        }
    )


# ---------------------------------------------------------------------------- concentration
@dataclass(frozen=True)
class Concentration:
    """The Herfindahl index of the classes' shares: Σ share², from 1/K (equal shares) to 1
    (one class), and normalised (HHI − 1/K) / (1 − 1/K) to [0, 1]."""

    hhi: float
    normalised: float
    classes: int  # K


def herfindahl(shares: Sequence[float] | np.ndarray | pd.Series) -> Concentration:
    """The concentration of shares that sum to 1 (one per class, empty classes as 0)."""
    s = np.asarray(shares, dtype=float)
    if len(s) < 2 or np.isnan(s).any() or (s < 0).any() or not np.isclose(s.sum(), 1.0):
        raise MasterScaleError(f"shares of at least two classes summing to 1 needed, got {s}")
    k = len(s)
    hhi = float(np.sum(s**2))
    return Concentration(hhi, float((hhi - 1 / k) / (1 - 1 / k)), k)


# ------------------------------------------------------------------------------ calibration
@dataclass(frozen=True)
class Calibration:
    """Mean predicted and observed default rate over every row, their difference, and the
    expected calibration error over the classes: Σ share · |mean predicted − observed|."""

    mean_probability: float
    observed_rate: float
    difference: float  # mean predicted − observed: negative when the PDs are too low
    expected_error: float


def calibration(table: pd.DataFrame) -> Calibration:
    """The overall calibration of a `scale_table` (its per-class errors are its
    `calibration_error` column)."""
    rows = table["rows"].to_numpy(dtype=float)
    total = rows.sum()
    if total <= 0:
        raise MasterScaleError("the master scale needs at least one row")
    filled = rows > 0
    mean_p = float(np.sum(rows[filled] * table["mean_probability"].to_numpy()[filled]) / total)
    observed = float(table["defaults"].sum() / total)
    gaps = np.abs(table["calibration_error"].to_numpy()[filled])
    return Calibration(
        mean_probability=mean_p,
        observed_rate=observed,
        difference=mean_p - observed,
        expected_error=float(np.sum(rows[filled] / total * gaps)),
    )


# ----------------------------------------------------------------------------- monotonicity
MONOTONICITY_COLUMNS = (
    "better",
    "worse",
    "better_rows",
    "better_defaults",
    "better_rate",
    "worse_rows",
    "worse_defaults",
    "worse_rate",
    "p_value",
    "violation",
)


def monotonicity_tests(table: pd.DataFrame, level: float = MONOTONICITY_LEVEL) -> pd.DataFrame:
    """One row per pair of adjacent non-empty classes of a `scale_table` (an empty class is
    skipped, so its neighbours are compared): Fisher's exact test, one-sided, of H0 "the worse
    class's default rate is not lower than the better one's" against "it is lower". A p-value
    below `level` is a `violation`: the rate falls by more than sampling noise."""
    if not 0 < level < 1:
        raise MasterScaleError(f"the test level must be in (0, 1), got {level}")
    filled = table.loc[table["rows"] > 0]
    out = []
    for (_, better), (_, worse) in itertools.pairwise(filled.iterrows()):
        nb, db = int(better["rows"]), int(better["defaults"])
        nw, dw = int(worse["rows"]), int(worse["defaults"])
        # odds ratio of the 2x2 table < 1 <=> the worse class defaults less often
        _, p_value = stats.fisher_exact([[dw, nw - dw], [db, nb - db]], alternative="less")
        out.append(
            {
                "better": better["risk_class"],
                "worse": worse["risk_class"],
                "better_rows": nb,
                "better_defaults": db,
                "better_rate": db / nb,
                "worse_rows": nw,
                "worse_defaults": dw,
                "worse_rate": dw / nw,
                "p_value": float(p_value),
                "violation": bool(p_value < level),
            }
        )
    return pd.DataFrame(out, columns=list(MONOTONICITY_COLUMNS))


def monotonicity_violations(table: pd.DataFrame, level: float = MONOTONICITY_LEVEL) -> pd.DataFrame:
    """The pairs of `monotonicity_tests` whose default rate falls by more than sampling noise
    (empty when the scale is monotone within noise)."""
    tests = monotonicity_tests(table, level)
    return tests.loc[tests["violation"]].reset_index(drop=True)


def describe_violations(violations: pd.DataFrame) -> list[str]:
    """`III → IV: 4.10 % → 1.20 % (p = 0.0031)` for each violation."""
    return [
        f"{r.better} → {r.worse}: {r.better_rate:.2%} → {r.worse_rate:.2%} (p = {r.p_value:.4f})"
        for r in violations.itertuples(index=False)
    ]


# -------------------------------------------------------------------------------- migration
@dataclass(frozen=True)
class Migration:
    """Class at one snapshot (rows) against the class at the next snapshot (columns) of the
    same company: counts, row shares (NaN for a class no company left from), the number of
    pairs and the share that stayed in its class."""

    counts: pd.DataFrame
    shares: pd.DataFrame
    pairs: int
    stayed: float | None  # None without pairs


def migration_matrix(frame: pd.DataFrame, cutoffs: Sequence[float]) -> Migration:
    """The migration between consecutive snapshots: each company's class at a snapshot date
    against its class at the next snapshot date of `frame` (company_id, snapshot_date,
    probability); a company absent from the next snapshot is not counted."""
    missing = [c for c in ("company_id", "snapshot_date", "probability") if c not in frame]
    if missing:
        raise MasterScaleError(f"migration needs the column(s) {', '.join(missing)}")
    if frame.duplicated(["company_id", "snapshot_date"]).any():
        raise MasterScaleError("migration: duplicated (company_id, snapshot_date) rows")
    classes = pd.DataFrame(
        {
            "company_id": frame["company_id"].to_numpy(),
            "snapshot_date": frame["snapshot_date"].to_numpy(),
            "risk_class": class_names(frame["probability"].to_numpy(), cutoffs),
        }
    )
    dates = np.sort(classes["snapshot_date"].unique())
    following = dict(zip(dates[:-1], dates[1:], strict=True))
    now = classes.assign(next_date=classes["snapshot_date"].map(following)).dropna(
        subset=["next_date"]
    )
    later = classes.rename(columns={"snapshot_date": "next_date", "risk_class": "next_class"})
    pairs = now.merge(later, on=["company_id", "next_date"], how="inner")
    counts = (
        pd.crosstab(pairs["risk_class"], pairs["next_class"])
        .reindex(index=list(RISK_CLASSES), columns=list(RISK_CLASSES), fill_value=0)
        .astype("int64")
    )
    counts.index.name, counts.columns.name = "class at t", "class at next snapshot"
    totals = counts.sum(axis=1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts.div(np.where(totals > 0, totals, np.nan), axis=0)
    n = int(len(pairs))
    stayed = float(np.trace(counts.to_numpy()) / n) if n else None
    return Migration(counts, shares, n, stayed)


# ------------------------------------------------------------------------ distinct scores
@dataclass(frozen=True)
class DistinctScores:
    """How many distinct probabilities the rows have, and whether they are too few."""

    distinct: int
    rows: int
    share: float  # distinct / rows
    min_share: float
    few: bool  # share below min_share


def distinct_scores(
    probability: pd.Series | np.ndarray | Sequence[float], min_share: float
) -> DistinctScores:
    """Distinct values among the probabilities; `few` when they are fewer than `min_share` of
    the rows (0 turns the flag off)."""
    p = _probabilities(probability)
    if not len(p):
        raise MasterScaleError("distinct scores of no rows")
    if not 0 <= min_share <= 1:
        raise MasterScaleError(f"min_share must be in [0, 1], got {min_share}")
    distinct = int(len(np.unique(p)))
    share = distinct / len(p)
    return DistinctScores(distinct, int(len(p)), share, float(min_share), share < min_share)


# ---------------------------------------------------------------------------- all at once
@dataclass(frozen=True)
class MasterScale:
    """Every figure of the master scale on one set of labelled probabilities."""

    table: pd.DataFrame  # scale_table
    concentration: Concentration
    calibration: Calibration
    monotonicity: pd.DataFrame  # monotonicity_tests
    level: float
    distinct: DistinctScores

    @property
    def violations(self) -> pd.DataFrame:
        return self.monotonicity.loc[self.monotonicity["violation"]].reset_index(drop=True)

    @property
    def monotone(self) -> bool:
        """No adjacent pair whose default rate falls by more than sampling noise."""
        return not bool(self.monotonicity["violation"].any())


def master_scale(
    probability: pd.Series | np.ndarray | Sequence[float],
    label: pd.Series | np.ndarray | Sequence[int],
    cutoffs: Sequence[float],
    level: float = MONOTONICITY_LEVEL,
    min_distinct_share: float = 0.0,
) -> MasterScale:
    """The per-class table, concentration, calibration, monotonicity tests and distinct
    scores of `probability` against `label` on the classes of `cutoffs`."""
    table = scale_table(probability, label, cutoffs)
    return MasterScale(
        table=table,
        concentration=herfindahl(table["share"].to_numpy()),
        calibration=calibration(table),
        monotonicity=monotonicity_tests(table, level),
        level=float(level),
        distinct=distinct_scores(probability, min_distinct_share),
    )
