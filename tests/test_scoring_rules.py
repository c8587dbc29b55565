"""Risk classes, credit recommendation/limit/term and PSI on hand-made rows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from company_risk.config import ScoringConfig
from company_risk.scoring import ScoringError
from company_risk.scoring.classes import assign_classes, class_index, class_table
from company_risk.scoring.credit import CREDIT, NO_CREDIT, NO_RECOMMENDATION, credit_terms
from company_risk.scoring.drift import drift_table, psi

CFG = ScoringConfig()


def test_classes_follow_the_cut_offs_with_boundaries_in_the_worse_class():
    p = pd.Series([0.0, 0.0199, 0.02, 0.049, 0.05, 0.0999, 0.10, 0.2499, 0.25, 0.99])
    got = assign_classes(p, CFG)
    assert got["risk_class"].tolist() == ["I", "I", "II", "II", "III", "III", "IV", "IV", "V", "V"]
    assert got.loc[0, "class_name"] == "very low"
    assert got.loc[9, "policy"] == "credit sale not advised; collection unlikely"
    assert "shorter payment term" in got.loc[2, "policy"]
    assert "payment agreement" in got.loc[4, "policy"] and "warning notice" in got.loc[4, "policy"]
    assert got.loc[6, "policy"] == "credit sale not advised; extra guarantee"


def test_cut_offs_come_from_the_config():
    cfg = dataclasses.replace(CFG, risk_classes=(0.1, 0.2, 0.3, 0.4))
    assert class_index(pd.Series([0.05, 0.15, 0.35, 0.5]), cfg).tolist() == [0, 1, 3, 4]
    table = class_table(cfg)
    assert table["probability_from"].tolist() == [0.0, 0.1, 0.2, 0.3, 0.4]


def test_missing_probability_is_refused():
    with pytest.raises(ScoringError, match="missing probability"):
        class_index(pd.Series([0.1, np.nan]), CFG)


def _rows(rows: list[dict]) -> pd.DataFrame:
    base = {
        "risk_class": "I",
        "tax_debt": 0.0,
        "overdue_report_year": np.nan,
        "last_report_year": 2024.0,
        "revenue": 1_200_000.0,
        "equity": 300_000.0,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_limit_is_the_smaller_of_a_month_of_revenue_and_half_the_equity_per_supplier():
    out = credit_terms(
        _rows(
            [
                {},  # min(100,000, 150,000) / 3 * 1.0
                {"equity": 60_000.0},  # min(100,000, 30,000) / 3
                {"risk_class": "II"},  # * 0.75
                {"risk_class": "III"},  # * 0.5
            ]
        ),
        CFG,
    )
    assert out["credit_limit"].tolist() == [33_333.0, 10_000.0, 25_000.0, 16_667.0]
    assert out["recommendation"].tolist() == [CREDIT] * 4
    assert out["payment_term_days"].tolist() == [30, 30, 14, 7]


def test_suppliers_and_factors_come_from_the_config():
    cfg = dataclasses.replace(CFG, suppliers=1, class_limit_factors=(0.5, 0.5, 0.5, 0.0, 0.0))
    out = credit_terms(_rows([{}]), cfg)
    assert out.loc[0, "credit_limit"] == 50_000.0


def test_tax_debt_or_overdue_report_means_no_recommendation():
    out = credit_terms(_rows([{"tax_debt": 4210.0}, {"overdue_report_year": 2024.0}]), CFG)
    assert out["recommendation"].tolist() == [NO_RECOMMENDATION] * 2
    assert out["credit_limit"].isna().all()
    assert out["payment_term_days"].isna().all()
    assert out["credit_note"].tolist() == ["tax debt", "annual report overdue"]


def test_classes_iv_and_v_get_no_credit_sale():
    out = credit_terms(_rows([{"risk_class": "IV"}, {"risk_class": "V"}]), CFG)
    assert out["recommendation"].tolist() == [NO_CREDIT] * 2
    assert out["credit_limit"].tolist() == [0.0, 0.0]
    assert out["payment_term_days"].tolist() == [0, 0]


def test_no_limit_without_a_report_or_with_negative_equity_but_the_term_stands():
    out = credit_terms(
        _rows(
            [
                {"last_report_year": np.nan, "revenue": np.nan, "equity": np.nan},
                {"equity": -5_000.0, "risk_class": "II"},
                {"revenue": np.nan},
            ]
        ),
        CFG,
    )
    assert out["credit_limit"].isna().all()
    assert out["recommendation"].tolist() == [CREDIT] * 3
    assert out["payment_term_days"].tolist() == [30, 14, 30]
    assert out["credit_note"].tolist() == [
        "no limit: no published annual report",
        "no limit: negative equity",
        "no limit: revenue or equity not reported",
    ]


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = pd.Series(rng.normal(size=5000))
    assert psi(ref, pd.Series(rng.normal(size=5000))) < 0.02
    assert psi(ref, pd.Series(rng.normal(loc=1.0, size=5000))) > 0.25
    cats = pd.Series(["A"] * 50 + ["B"] * 50)
    assert psi(cats, cats) == pytest.approx(0.0)
    assert psi(cats, pd.Series(["A"] * 90 + ["C"] * 10)) > 0.25
    table = drift_table(pd.DataFrame({"x": ref}), pd.DataFrame({"x": ref + 2}), ["x"], warn=0.2)
    assert table["warn"].tolist() == [True]
