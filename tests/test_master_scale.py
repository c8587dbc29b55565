"""The master scale (company_risk.master_scale) against hand computations: the classes, the
per-class Jeffreys and binomial tests and their lights, concentration, calibration, the
monotonicity test, the migration matrix and the distinct-scores flag."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from company_risk import master_scale as ms
from company_risk.errors import CompanyRiskError
from company_risk.schemas import RISK_CLASSES

CUTS = (0.02, 0.05, 0.10, 0.25)


def rows(p: float, n: int, d: int) -> tuple[list[float], list[int]]:
    """n rows of probability p, the first d of them defaults."""
    return [p] * n, [1] * d + [0] * (n - d)


def frame_of(*classes: tuple[float, int, int]) -> tuple[np.ndarray, np.ndarray]:
    ps, ys = [], []
    for p, n, d in classes:
        a, b = rows(p, n, d)
        ps += a
        ys += b
    return np.array(ps), np.array(ys)


def binomial_tail(d: int, n: int, p: float) -> float:
    """P(X >= d), X ~ Binomial(n, p), by the sum of the probability mass."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(d, n + 1))


def beta_cdf(x: float, a: float, b: float) -> float:
    """The Beta(a, b) distribution function by integrating its density (gamma functions)."""
    norm = math.gamma(a) * math.gamma(b) / math.gamma(a + b)
    value, _ = integrate.quad(lambda t: t ** (a - 1) * (1 - t) ** (b - 1) / norm, 0, x)
    return value


# ---------------------------------------------------------------------------- the classes
def test_classes_follow_the_cut_offs_and_a_cut_off_is_the_worse_class():
    p = [0.0, 0.0199, 0.02, 0.049, 0.05, 0.1, 0.2499, 0.25, 1.0]
    assert ms.class_index(p, CUTS).tolist() == [0, 0, 1, 1, 2, 3, 3, 4, 4]
    assert ms.class_names(p, CUTS).tolist() == ["I", "I", "II", "II", "III", "IV", "IV", "V", "V"]
    with pytest.raises(ms.MasterScaleError, match="missing probability"):
        ms.class_index([0.1, np.nan], CUTS)
    with pytest.raises(ms.MasterScaleError, match="4 cut-offs"):
        ms.class_index([0.1], (0.1, 0.2))
    with pytest.raises(ms.MasterScaleError, match="strictly increasing"):
        ms.class_index([0.1], (0.05, 0.02, 0.1, 0.2))
    assert issubclass(ms.MasterScaleError, CompanyRiskError)


# ------------------------------------------------------------------------ per-class tests
def test_the_jeffreys_p_value_is_the_beta_distribution_at_the_pd():
    # n = 1: Beta(1/2, 3/2) and Beta(3/2, 1/2) have closed forms (t = sin² θ)
    x = 0.1
    closed = 2 / math.pi * (math.asin(math.sqrt(x)) + math.sqrt(x * (1 - x)))
    assert ms.jeffreys_p_value(0, 1, x) == pytest.approx(closed, rel=1e-10)
    closed = 2 / math.pi * (math.asin(math.sqrt(x)) - math.sqrt(x * (1 - x)))
    assert ms.jeffreys_p_value(1, 1, x) == pytest.approx(closed, rel=1e-10)
    # larger counts against the integrated density
    for d, n, pd_ in ((2, 10, 0.05), (3, 40, 0.03), (7, 25, 0.2)):
        expected = beta_cdf(pd_, d + 0.5, n - d + 0.5)
        assert ms.jeffreys_p_value(d, n, pd_) == pytest.approx(expected, rel=1e-7)
    assert math.isnan(ms.jeffreys_p_value(0, 0, 0.1))
    with pytest.raises(ms.MasterScaleError, match="3 defaults among 2"):
        ms.jeffreys_p_value(3, 2, 0.1)


def test_the_binomial_p_value_is_the_tail_of_at_least_d_defaults():
    # n = 10, d = 2, PD 5 %: 1 − 0.95¹⁰ − 10 · 0.05 · 0.95⁹
    by_hand = 1 - 0.95**10 - 10 * 0.05 * 0.95**9
    assert ms.binomial_p_value(2, 10, 0.05) == pytest.approx(by_hand, rel=1e-10)
    assert by_hand == pytest.approx(0.086138, abs=1e-6)
    for d, n, pd_ in ((0, 12, 0.1), (5, 30, 0.05), (9, 20, 0.3)):
        assert ms.binomial_p_value(d, n, pd_) == pytest.approx(binomial_tail(d, n, pd_), rel=1e-9)
    assert ms.binomial_p_value(0, 12, 0.1) == pytest.approx(1.0)
    assert math.isnan(ms.binomial_p_value(0, 0, 0.1))


def test_traffic_lights_reject_at_95_and_99_9_per_cent():
    assert [ms.traffic_light(v) for v in (0.5, 0.05, 0.0499, 0.001, 0.000999, float("nan"))] == [
        "green",
        "green",
        "yellow",
        "yellow",
        "red",
        "n/a",
    ]


def test_the_scale_table_counts_each_class_and_tests_its_pd():
    # I: 20 rows at 1 %, 1 default; II: 10 at 3 %, 2; III: none; IV: 10 at 20 %, 1; V: 5 at 40 %, 4
    p, y = frame_of((0.01, 20, 1), (0.03, 10, 2), (0.2, 10, 1), (0.4, 5, 4))
    table = ms.scale_table(p, y, CUTS)
    assert list(table.columns) == list(ms.SCALE_COLUMNS)
    assert list(table["risk_class"]) == list(RISK_CLASSES)
    assert table["rows"].tolist() == [20, 10, 0, 10, 5]
    assert table["defaults"].tolist() == [1, 2, 0, 1, 4]
    np.testing.assert_allclose(table["share"], [20 / 45, 10 / 45, 0, 10 / 45, 5 / 45])
    np.testing.assert_allclose(table["observed_rate"], [0.05, 0.2, np.nan, 0.1, 0.8])
    np.testing.assert_allclose(table["mean_probability"], [0.01, 0.03, np.nan, 0.2, 0.4])
    np.testing.assert_allclose(table["calibration_error"], [-0.04, -0.17, np.nan, 0.1, -0.4])
    by_hand = {0: (1, 20, 0.01), 1: (2, 10, 0.03), 3: (1, 10, 0.2), 4: (4, 5, 0.4)}
    for position, (d, n, pd_) in by_hand.items():
        row = table.loc[position]
        assert row["binomial_p"] == pytest.approx(binomial_tail(d, n, pd_), rel=1e-9)
        assert row["jeffreys_p"] == pytest.approx(beta_cdf(pd_, d + 0.5, n - d + 0.5), rel=1e-7)
    assert np.isnan(table.loc[2, "binomial_p"]) and np.isnan(table.loc[2, "jeffreys_p"])
    assert table.loc[2, "binomial_light"] == table.loc[2, "jeffreys_light"] == "n/a"
    # II: 2 defaults in 10 at 3 % (binomial 0.0345): rejected at 95 %, not at 99.9 %
    assert table.loc[1, "binomial_p"] == pytest.approx(0.034507, abs=1e-6)
    assert table.loc[1, "binomial_light"] == "yellow"
    # V: 4 of 5 at 40 % (5 · 0.4⁴ · 0.6 + 0.4⁵ = 0.08704): not rejected
    assert table.loc[4, "binomial_p"] == pytest.approx(0.08704, rel=1e-9)
    assert table.loc[4, "binomial_light"] == "green"
    # I: 1 of 20 at 1 %: the Jeffreys test is the less conservative of the two
    assert table.loc[0, "jeffreys_p"] < table.loc[0, "binomial_p"]
    # far too many defaults for the PD: red in both
    red = ms.scale_table(*frame_of((0.01, 50, 10)), CUTS).loc[0]
    assert red["binomial_light"] == red["jeffreys_light"] == "red"
    with pytest.raises(ms.MasterScaleError, match="labels must be 0 or 1"):
        ms.scale_table([0.1, 0.2], [0, 2], CUTS)
    with pytest.raises(ms.MasterScaleError, match="2 probabilities but 1 labels"):
        ms.scale_table([0.1, 0.2], [0], CUTS)
    with pytest.raises(ms.MasterScaleError, match="at least one row"):
        ms.scale_table([], [], CUTS)


# ------------------------------------------------------------- concentration, calibration
def test_the_herfindahl_index_and_its_normalised_form():
    equal = ms.herfindahl([0.2] * 5)
    assert (equal.hhi, equal.normalised, equal.classes) == (pytest.approx(0.2), pytest.approx(0), 5)
    one = ms.herfindahl([0, 0, 1, 0, 0])
    assert (one.hhi, one.normalised) == (1.0, 1.0)
    half = ms.herfindahl([0.5, 0.5, 0, 0, 0])
    assert half.hhi == pytest.approx(0.5) and half.normalised == pytest.approx(0.3 / 0.8)
    mixed = ms.herfindahl([0.4, 0.3, 0.2, 0.1, 0.0])
    assert mixed.hhi == pytest.approx(0.16 + 0.09 + 0.04 + 0.01)
    with pytest.raises(ms.MasterScaleError, match="summing to 1"):
        ms.herfindahl([0.5, 0.4])


def test_calibration_overall_and_the_expected_error_over_the_classes():
    p, y = frame_of((0.01, 20, 1), (0.03, 10, 2), (0.2, 10, 1), (0.4, 5, 4))
    cal = ms.calibration(ms.scale_table(p, y, CUTS))
    mean_p = (20 * 0.01 + 10 * 0.03 + 10 * 0.2 + 5 * 0.4) / 45
    assert cal.mean_probability == pytest.approx(mean_p)
    assert cal.observed_rate == pytest.approx(8 / 45)
    assert cal.difference == pytest.approx(mean_p - 8 / 45)
    ece = (20 * 0.04 + 10 * 0.17 + 10 * 0.1 + 5 * 0.4) / 45
    assert cal.expected_error == pytest.approx(ece)


# ---------------------------------------------------------------------------- monotonicity
def hypergeometric_lower_tail(dw: int, nw: int, db: int, nb: int) -> float:
    """P(at most dw of the defaults in the worse class) with the margins fixed (Fisher)."""
    total, defaults = nw + nb, dw + db
    return sum(
        math.comb(defaults, k) * math.comb(total - defaults, nw - k)
        for k in range(0, dw + 1)
        if nw - k <= total - defaults
    ) / math.comb(total, nw)


def test_a_monotone_scale_has_no_violation():
    p, y = frame_of((0.01, 100, 1), (0.03, 100, 3), (0.07, 100, 7), (0.15, 100, 15), (0.4, 50, 20))
    tests = ms.monotonicity_tests(ms.scale_table(p, y, CUTS))
    assert list(tests.columns) == list(ms.MONOTONICITY_COLUMNS)
    assert list(zip(tests["better"], tests["worse"], strict=True)) == [
        ("I", "II"),
        ("II", "III"),
        ("III", "IV"),
        ("IV", "V"),
    ]
    assert not tests["violation"].any()
    assert ms.monotonicity_violations(ms.scale_table(p, y, CUTS)).empty


def test_a_fall_within_sampling_noise_is_accepted():
    # II 10/100, III 8/100: the rate falls, but not beyond noise
    p, y = frame_of((0.01, 100, 1), (0.03, 100, 10), (0.07, 100, 8), (0.15, 100, 15))
    table = ms.scale_table(p, y, CUTS)
    tests = ms.monotonicity_tests(table)
    pair = tests.loc[tests["better"] == "II"].iloc[0]
    assert (pair.better_rate, pair.worse_rate) == (0.1, 0.08)
    assert pair.p_value == pytest.approx(hypergeometric_lower_tail(8, 100, 10, 100), rel=1e-9)
    assert pair.p_value > 0.05 and not pair.violation
    assert ms.monotonicity_violations(table).empty
    # IV is followed by the empty V: no pair beyond it
    assert tests["worse"].tolist() == ["II", "III", "IV"]


def test_a_clearly_reversed_pair_is_a_violation_and_empty_classes_are_skipped():
    # II 5/10, III empty, IV 0/10: compared across the empty class
    p, y = frame_of((0.01, 10, 0), (0.03, 10, 5), (0.2, 10, 0))
    table = ms.scale_table(p, y, CUTS)
    violations = ms.monotonicity_violations(table)
    assert violations[["better", "worse"]].values.tolist() == [["II", "IV"]]
    # C(5, 0) C(15, 10) / C(20, 10): all five defaults among the better class's ten rows
    assert violations.loc[0, "p_value"] == pytest.approx(3003 / 184756, rel=1e-9)
    assert ms.describe_violations(violations) == ["II → IV: 50.00% → 0.00% (p = 0.0163)"]
    # at a stricter level the same fall is within noise
    assert ms.monotonicity_violations(table, level=0.01).empty
    with pytest.raises(ms.MasterScaleError, match="level"):
        ms.monotonicity_tests(table, level=0)


def test_master_scale_bundles_every_figure():
    p, y = frame_of((0.01, 10, 0), (0.03, 10, 5), (0.2, 10, 0))
    scale = ms.master_scale(p, y, CUTS, level=0.05, min_distinct_share=0.5)
    assert not scale.monotone and len(scale.violations) == 1
    assert scale.concentration == ms.herfindahl(scale.table["share"])
    assert scale.distinct.distinct == 3 and scale.distinct.few


# ------------------------------------------------------------------------------- migration
def test_the_migration_matrix_counts_consecutive_snapshots_of_the_same_company():
    dates = pd.to_datetime(["2023-01-01", "2023-04-01", "2023-07-01"])
    frame = pd.DataFrame(
        {
            "company_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
            "snapshot_date": [dates[0], dates[1], dates[2], dates[0], dates[1], dates[0], dates[2]]
            + [dates[1]],
            # a: I → II → II; b: V → IV; c: III, absent at t1, then I (no pair); d: one snapshot
            "probability": [0.01, 0.03, 0.04, 0.5, 0.2, 0.07, 0.01, 0.3],
        }
    )
    m = ms.migration_matrix(frame, CUTS)
    assert m.pairs == 3
    counts = m.counts
    assert list(counts.index) == list(counts.columns) == list(RISK_CLASSES)
    assert counts.loc["I", "II"] == 1 and counts.loc["II", "II"] == 1
    assert counts.loc["V", "IV"] == 1
    assert counts.to_numpy().sum() == 3
    assert m.stayed == pytest.approx(1 / 3)
    assert m.shares.loc["I", "II"] == 1.0 and m.shares.loc["V", "IV"] == 1.0
    assert m.shares.loc["III"].isna().all()  # no company left III for a next snapshot
    with pytest.raises(ms.MasterScaleError, match="duplicated"):
        ms.migration_matrix(pd.concat([frame, frame.head(1)]), CUTS)
    with pytest.raises(ms.MasterScaleError, match="probability"):
        ms.migration_matrix(frame.drop(columns=["probability"]), CUTS)
    single = ms.migration_matrix(frame.loc[frame["snapshot_date"] == dates[0]], CUTS)
    assert single.pairs == 0 and single.stayed is None


# ------------------------------------------------------------------------- distinct scores
def test_few_distinct_scores_are_flagged():
    # a depth-6 tree: 65 distinct values for 2,074 companies
    p = np.resize(np.linspace(0.001, 0.5, 65), 2074)
    few = ms.distinct_scores(p, min_share=0.05)
    assert (few.distinct, few.rows) == (65, 2074) and few.share == pytest.approx(65 / 2074)
    assert few.few
    fine = ms.distinct_scores(np.linspace(0.001, 0.5, 2074), min_share=0.05)
    assert fine.distinct == 2074 and not fine.few
    assert not ms.distinct_scores(p, min_share=0).few  # 0 turns the flag off
    with pytest.raises(ms.MasterScaleError, match="no rows"):
        ms.distinct_scores([], 0.05)
