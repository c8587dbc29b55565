"""The term structure: monotone on any input, the fit recovers known coefficients, round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from company_risk.errors import CompanyRiskError
from company_risk.term_structure import (
    HorizonFit,
    TermStructure,
    TermStructureError,
    fit_horizon,
    fit_term_structure,
)

coefficient = st.floats(-30, 30, allow_nan=False)
probability = st.one_of(
    st.floats(0, 1, allow_nan=False),
    st.sampled_from([0.0, 1.0, 1e-300, 1 - 1e-16, 5e-324]),
)


@st.composite
def structures(draw) -> TermStructure:
    months = sorted(draw(st.sets(st.integers(1, 11), min_size=1, max_size=5)))
    fits = tuple(HorizonFit(h, draw(coefficient), draw(coefficient)) for h in months)
    return TermStructure(12, fits)


@settings(max_examples=300, deadline=None)
@given(structures(), st.lists(probability, min_size=1, max_size=50))
def test_shorter_horizons_never_exceed_longer_ones_on_any_input(structure, p12):
    """Whatever the coefficients (even a negative slope, or curves that cross), the
    probabilities rise with the horizon and never pass the 12-month one."""
    out = structure.apply(p12)
    assert list(out) == list(structure.months)
    p = np.asarray(p12)
    previous = np.zeros_like(p)
    for months in structure.months:
        value = out[months]
        assert value.shape == p.shape
        assert np.all(np.isfinite(value))
        assert np.all((value >= 0) & (value <= 1))
        assert np.all(previous <= value), months
        previous = value
    assert np.all(previous <= p)


def test_a_dense_grid_with_crossing_curves_stays_monotone():
    # 3-month curve above the 6-month one for low p, the 9-month one above the 12-month one
    structure = TermStructure(
        12, (HorizonFit(3, 1.0, 0.2), HorizonFit(6, -2.0, 1.5), HorizonFit(9, 3.0, 1.0))
    )
    p = np.linspace(0, 1, 100_001)
    out = structure.apply(p)
    assert np.all(out[3] <= out[6]) and np.all(out[6] <= out[9]) and np.all(out[9] <= p)
    # the 9-month curve lies above p12 on [0, 1) (its intercept is 3): the cap binds there
    assert np.array_equal(out[9][:-1], p[:-1])


def test_nan_in_nan_out():
    structure = TermStructure(12, (HorizonFit(3, -1.0, 1.0),))
    out = structure.apply([0.1, np.nan])[3]
    assert np.isfinite(out[0]) and np.isnan(out[1])


def test_the_fit_recovers_known_coefficients():
    rng = np.random.default_rng(11)
    n = 200_000
    x = rng.normal(-3.0, 1.2, n)
    p12 = 1 / (1 + np.exp(-x))
    true = {3: (-1.2, 1.1), 6: (-0.6, 1.05), 9: (-0.25, 1.0)}
    labels = {
        h: (rng.random(n) < 1 / (1 + np.exp(-(a + b * x)))).astype("int8")
        for h, (a, b) in true.items()
    }
    structure = fit_term_structure(p12, labels, 12)
    assert structure.months == (3, 6, 9) and structure.rows == n
    for fit in structure.horizons:
        a, b = true[fit.months]
        assert fit.intercept == pytest.approx(a, abs=0.08)
        assert fit.slope == pytest.approx(b, abs=0.03)
    # the calibrated means match the observed default rates of each horizon
    applied = structure.apply(p12)
    for h, y in labels.items():
        assert applied[h].mean() == pytest.approx(y.mean(), rel=0.03)


def test_the_fit_is_the_maximum_likelihood():
    rng = np.random.default_rng(3)
    p12 = rng.uniform(0.01, 0.6, 2000)
    y = (rng.random(2000) < p12 / 3).astype(int)
    fit = fit_horizon(3, p12, y)
    x = np.log(p12 / (1 - p12))

    def nll(a: float, b: float) -> float:
        z = a + b * x
        return float(np.sum(np.logaddexp(0, z) - y * z))

    best = nll(fit.intercept, fit.slope)
    for da, db in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
        assert best <= nll(fit.intercept + da, fit.slope + db)


def test_a_horizon_with_one_class_or_bad_inputs_is_a_named_error():
    p12 = np.full(50, 0.1)
    with pytest.raises(TermStructureError, match="3-month label has a single class in all 50"):
        fit_horizon(3, p12, np.zeros(50))
    with pytest.raises(TermStructureError, match="50 probabilities but 49"):
        fit_horizon(3, p12, np.zeros(49))
    with pytest.raises(TermStructureError, match="must be 0 or 1"):
        fit_horizon(3, p12, np.full(50, 2))
    with pytest.raises(TermStructureError, match="finite and in"):
        fit_horizon(3, np.r_[p12[:-1], np.nan], np.r_[np.zeros(49), 1])
    assert issubclass(TermStructureError, CompanyRiskError)


def test_round_trips_as_plain_numbers():
    structure = TermStructure(
        12, (HorizonFit(3, -1.25, 1.1), HorizonFit(6, -0.5, 1.0), HorizonFit(9, -0.2, 0.98)), 812
    )
    data = json.loads(json.dumps(structure.to_dict()))
    assert data == {
        "base_months": 12,
        "rows": 812,
        "horizons": [
            {"months": 3, "intercept": -1.25, "slope": 1.1},
            {"months": 6, "intercept": -0.5, "slope": 1.0},
            {"months": 9, "intercept": -0.2, "slope": 0.98},
        ],
    }
    assert TermStructure.from_dict(data) == structure
    assert TermStructure.from_json(structure.to_json()) == structure


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "expected a mapping"),
        ({"horizons": []}, "no `base_months`"),
        ({"base_months": 12, "horizons": []}, "at least one shorter horizon"),
        ({"base_months": 12, "horizons": [{"months": 3, "slope": 1}]}, "no `intercept`"),
        (
            {"base_months": 12, "horizons": [{"months": 3, "intercept": "a", "slope": 1}]},
            "'a' is not a number",
        ),
        (
            {"base_months": 12, "horizons": [{"months": 3.5, "intercept": 0, "slope": 1}]},
            "3.5 is not a whole number",
        ),
        (
            {
                "base_months": 12,
                "horizons": [
                    {"months": 6, "intercept": 0, "slope": 1},
                    {"months": 3, "intercept": 0, "slope": 1},
                ],
            },
            "not increasing",
        ),
        (
            {"base_months": 12, "horizons": [{"months": 12, "intercept": 0, "slope": 1}]},
            "not shorter than the base horizon 12",
        ),
    ],
)
def test_a_malformed_structure_is_refused(data, expected):
    with pytest.raises(TermStructureError, match=expected):
        TermStructure.from_dict(data, "champion.json term_structure")
    with pytest.raises(TermStructureError, match="not valid JSON"):
        TermStructure.from_json("{", "tag")


def test_champion_json_carries_it_and_loads_without_it(tmp_path):
    from builders import champion_meta
    from company_risk.artifacts import ArtifactError, ChampionMeta

    structure = TermStructure(12, (HorizonFit(3, -1.25, 1.1), HorizonFit(6, -0.5, 1.0)), 90)
    meta = champion_meta(["tax__debt"], term_structure=structure.to_dict())
    path = tmp_path / "champion.json"
    path.write_text(json.dumps(meta.to_dict()))
    read = ChampionMeta.read(path)
    assert read == meta and TermStructure.from_dict(read.term_structure) == structure
    # a champion.json written before the term structure: no key, loads with none
    old = champion_meta(["tax__debt"])
    assert "term_structure" not in old.to_dict()
    path.write_text(json.dumps(old.to_dict()))
    assert ChampionMeta.read(path).term_structure is None
    path.write_text(json.dumps({**old.to_dict(), "term_structure": [1, 2]}))
    with pytest.raises(ArtifactError, match="`term_structure` is not a JSON object"):
        ChampionMeta.read(path)


def test_the_report_reads_each_horizon_from_metrics_json():
    from types import SimpleNamespace

    from builders import champion_meta
    from company_risk.config import params_from_dict
    from company_risk.report.horizons import TITLE, horizon_figures, horizons_section

    metrics = {"roc_auc": 0.8}
    for h, rate in ((3, 0.01), (6, 0.02), (9, 0.03), (12, 0.04)):
        metrics |= {
            f"pd_{h}m_roc_auc": 0.8,
            f"pd_{h}m_pr_auc": 0.1 * h / 3,
            f"pd_{h}m_brier": rate * 0.9,
            f"pd_{h}m_mean_predicted": rate * 1.5,
            f"pd_{h}m_observed_rate": rate,
        }
    structure = TermStructure(12, (HorizonFit(3, -1.0, 1.2), HorizonFit(6, -0.5, 1.1)))
    ev = SimpleNamespace(
        params=params_from_dict({}),
        metrics_report=metrics,
        champion_meta=champion_meta(["tax__debt"], term_structure=structure.to_dict()),
    )
    f = horizon_figures(ev)
    assert f.table["months"].tolist() == [3, 6, 9, 12]
    assert f.table["ratio"].tolist() == pytest.approx([1.5] * 4)
    assert f.predicted_monotone and f.observed_monotone
    assert f.coefficients.to_dict("list") == {
        "months": [3, 6],
        "intercept": [-1.0, -0.5],
        "slope": [1.2, 1.1],
    }
    assert horizons_section(ev).title == TITLE
    # a champion trained without the horizon labels: metrics.json has only the 12-month figures
    bare = SimpleNamespace(
        params=params_from_dict({}),
        metrics_report={
            k: v for k, v in metrics.items() if not k.startswith(("pd_3m", "pd_6m", "pd_9m"))
        },
        champion_meta=None,
    )
    assert horizon_figures(bare).table is None
    assert len(horizons_section(bare).blocks) == 1  # the note saying so
