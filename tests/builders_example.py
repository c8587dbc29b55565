"""A small, realistic `features.parquet` stand-in with known true default probabilities.

A test builder (builders.py says what lives where in tests/); benchmarks/bench_train.py has its
own copy, as benchmarks do not import the tests.

Training code is tested without running the whole synth -> ingest -> features chain: this
generator draws quarterly snapshots of companies whose default probability follows a known
logistic model of three latent risk components, each seen (noisily) by one feature family
(board reputation by `graph__*`, liquidity stress by `tax__*`, fragility by `desc__*`), plus
sector and business-cycle effects. Every family alone therefore carries signal, all together
carry more, and the true probabilities give an oracle to compare against. It follows the schema
of company_risk.schemas (float64 features, str categoricals, int8 label, NaNs where data is
missing in reality: no annual report, no board history).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SECTORS = list("ACFGHIJKLMNS")
SECTOR_EFFECT = dict(zip(SECTORS, np.linspace(-0.4, 0.5, len(SECTORS)), strict=True))
COUNTIES = [
    "Harju maakond",
    "Tartu maakond",
    "Ida-Viru maakond",
    "Pärnu maakond",
    "Lääne-Viru maakond",
]
LEGAL_FORMS = ["Osaühing", "Aktsiaselts", "Täisühing", "Mittetulundusühing"]


def example_features(
    n_companies: int = 300,
    seed: int = 0,
    first: dt.date = dt.date(2016, 1, 1),
    last: dt.date = dt.date(2024, 10, 1),
    base_logit: float = -3.4,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features table, truth table `company_id, month, pd_12m`) for quarterly snapshots.

    A company is in the population from its registration until the quarter in which it
    defaults, as in the real register where a defaulted company leaves.
    """
    rng = np.random.default_rng(seed)
    n_out = len(pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="QS"))
    # simulate four quarters past `last` so the last snapshots' outcomes are known
    end = pd.Timestamp(last) + pd.DateOffset(months=12)
    snapshots = pd.date_range(pd.Timestamp(first), end, freq="QS").as_unit("us")
    n_snap = len(snapshots)
    ids = np.array([f"{10_000_000 + i:08d}" for i in range(n_companies)])
    # registrations spread from 12 years before the first snapshot to the last one
    span = (pd.Timestamp(last) - pd.Timestamp(first)).days
    born = pd.Timestamp(first) + pd.to_timedelta(
        rng.integers(-12 * 365, span, n_companies), unit="D"
    )
    sector = rng.choice(SECTORS, n_companies)
    county = rng.choice(COUNTIES, n_companies, p=[0.5, 0.15, 0.1, 0.1, 0.15])
    legal_form = rng.choice(LEGAL_FORMS, n_companies, p=[0.85, 0.08, 0.02, 0.05])
    board = rng.normal(size=n_companies)  # latent board reputation (higher = worse)
    fragility = rng.normal(size=n_companies)

    # company x snapshot grid
    company = np.repeat(np.arange(n_companies), n_snap)
    when = np.tile(np.arange(n_snap), n_companies)
    date = snapshots[when]
    # liquidity stress: a persistent company level plus an AR(1) walk over quarters
    shocks = rng.normal(scale=0.45, size=(n_companies, n_snap))
    walk = np.zeros_like(shocks)
    for q in range(n_snap):
        walk[:, q] = (0.8 * walk[:, q - 1] if q else 0.0) + shocks[:, q]
    stress = (0.6 * rng.normal(size=n_companies)[:, None] + walk).ravel()
    cycle = 0.35 * np.sin(2 * np.pi * when / 20)
    age_years = (date - born[company]).days.to_numpy() / 365.25

    G, T = board[company], stress
    D = fragility[company] - 0.5 * np.log1p(np.clip(age_years, 0, None)) + 0.5
    true_logit = (
        base_logit
        + 0.9 * G
        + 1.0 * T
        + 0.8 * D
        + np.vectorize(SECTOR_EFFECT.get)(sector[company])
        + cycle
    )
    pd_12m = 1 / (1 + np.exp(-true_logit))
    # a default happens in quarter (t, t + 3 months] with the quarterly hazard matching pd_12m;
    # the first one ends the company; label(t) = default within the next four quarters
    hazard = (1 - (1 - pd_12m) ** 0.25).reshape(n_companies, n_snap)
    events = (rng.random(hazard.shape) < hazard) & (age_years.reshape(n_companies, n_snap) >= 0)
    never = np.iinfo(np.int64).max // 2
    default_q = np.where(events.any(axis=1), events.argmax(axis=1), never)[company]
    label = ((default_q >= when) & (default_q < when + 4)).astype(np.int8)
    n = len(company)
    noise = lambda scale=1.0: rng.normal(scale=scale, size=n)  # noqa: E731
    # graph family: noisy views of the board's reputation
    failed_links = rng.poisson(np.exp(-0.6 + 1.0 * G)).astype(float)
    degree = rng.poisson(np.exp(0.8 + 0.3 * G + 0.2 * noise())).astype(float)
    board_churn = rng.poisson(np.exp(-1.5 + 0.5 * G + 0.3 * T)).astype(float)
    centrality = np.where(rng.random(n) < 0.25, np.nan, 1 / (1 + np.exp(-(G + noise(0.3)))))
    # tax family: debt shows up when stress is high
    in_debt = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.8 * T)))
    debt = np.where(in_debt, np.exp(7 + T + noise(0.5)), 0.0)
    debt_days = np.where(in_debt, np.clip(30 * np.exp(0.7 * T + noise(0.5)), 1, None), 0.0)
    debt_quarters = rng.poisson(np.exp(-1 + 0.8 * T)).astype(float)
    taxes_paid = np.where(rng.random(n) < 0.1, np.nan, np.exp(8 - T + noise(0.3)))
    # descriptive family: age, capital, filing behaviour, financials
    has_report = rng.random(n) < 1 / (1 + np.exp(-(2.0 - 1.2 * D)))
    equity_ratio = np.where(has_report, np.tanh(-0.5 * D + noise(0.15)), np.nan)
    revenue = np.where(has_report, np.exp(11 - 0.4 * D + noise()), np.nan)
    report_late = np.clip(
        np.where(has_report, 40 * np.exp(0.5 * D + noise(0.5)) - 30, 400.0), 0, None
    )
    capital = np.exp(np.log(2500) + 0.5 * noise() - 0.4 * fragility[company])

    table = pd.DataFrame(
        {
            "company_id": pd.Series(ids[company], dtype="str"),
            "snapshot_date": pd.Series(date),
            "graph__failed_board_links": failed_links,
            "graph__degree": degree,
            "graph__board_changes_12m": board_churn,
            "graph__closeness": centrality,
            "tax__debt": debt,
            "tax__debt_age_days": debt_days,
            "tax__quarters_in_debt_3y": debt_quarters,
            "tax__taxes_paid_4q": taxes_paid,
            "desc__age_years": age_years,
            "desc__capital": capital,
            "desc__equity_ratio": equity_ratio,
            "desc__revenue": revenue,
            "desc__report_late_days": report_late,
            "desc__legal_form": pd.Series(legal_form[company], dtype="str"),
            "desc__sector": pd.Series(sector[company], dtype="str"),
            "desc__county": pd.Series(county[company], dtype="str"),
            "label": label,
        }
    )
    # population: registered by the snapshot and not defaulted before it
    alive = (age_years >= 0) & (default_q >= when) & (when < n_out)
    table = table.loc[alive].reset_index(drop=True)
    truth = pd.DataFrame(
        {
            "company_id": table["company_id"],
            "month": table["snapshot_date"],
            "pd_12m": pd_12m[alive],
        }
    )
    return table, truth
