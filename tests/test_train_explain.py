"""Every model kind of the grid: fitted as a served Pipeline, explained, saved with skops and
loaded back with pyfunc in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

import mlflow
import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from builders_example import example_features
from company_risk.explain import ExplainError, feature_contributions, feature_importance
from company_risk.model_table import MODEL_NAMES
from company_risk.schemas import feature_columns
from company_risk.train import candidates as cand
from company_risk.train.run import pip_requirements

KINDS = [
    ("decision_tree", {}),
    ("random_forest", {"n_estimators": 20}),
    ("mlp", {"max_iter": 30}),
    ("svm", {"strategy": "exact"}),
    ("svm", {"strategy": "nystroem", "nystroem_components": 30}),
    ("naive_bayes", {}),
    ("xgboost", {"n_estimators": 30}),
    ("logistic_regression", {}),
]
ADDITIVE = {"decision_tree", "random_forest", "xgboost", "logistic_regression"}


@pytest.fixture(scope="module")
def data():
    table, _ = example_features(n_companies=300, seed=11)
    table = table.assign(graph__noise=np.random.default_rng(0).normal(size=len(table)))
    train = table[table["snapshot_date"] <= pd.Timestamp("2021-12-31")]
    val = table[table["snapshot_date"] > pd.Timestamp("2021-12-31")]
    return train, val, feature_columns(table.columns, "all")


@pytest.fixture(scope="module")
def served(data):
    train, val, columns = data
    out = {}
    for name, overrides in KINDS:
        settings = {**cand.DEFAULT_SETTINGS[name], **overrides}
        fitted = cand.fit_pipeline(
            name, settings, train, train["label"].to_numpy(), columns, seed=0, n_jobs=1
        )
        key = f"{name}_{overrides.get('strategy', '')}".rstrip("_")
        out[key] = cand.calibrate(fitted, val, val["label"].to_numpy(), "sigmoid")
    return out


def test_the_kinds_cover_every_model_of_the_table():
    assert sorted({name for name, _ in KINDS}) == sorted(MODEL_NAMES)


def test_contributions_cover_original_columns_for_every_kind(served, data):
    _, val, columns = data
    rows = val.head(60)
    for key, model in served.items():
        contributions = feature_contributions(model, rows)
        assert list(contributions.columns) == columns, key
        assert contributions.index.equals(rows.index), key
        assert np.isfinite(contributions.to_numpy()).all(), key
        name = key.split("_exact")[0].split("_nystroem")[0]
        if name in ADDITIVE:
            # contributions sum to the row's calibrated log-odds minus one common reference
            p = model.predict_proba(rows)[:, 1]
            reference = logit(p) - contributions.sum(axis=1).to_numpy()
            assert np.ptp(reference) < 1e-4, key


def test_approximate_contributions_are_additive_and_agree_on_the_top_driver(served, data):
    """The daily job's path attributions: the same additive identity as exact TreeSHAP, other
    shares between the features, mostly the same strongest driver."""
    _, val, _ = data
    rows = val.head(60)
    for key in ("xgboost", "decision_tree"):
        model = served[key]
        exact = feature_contributions(model, rows)
        approx = feature_contributions(model, rows, approximate=True)
        np.testing.assert_allclose(approx.sum(axis=1), exact.sum(axis=1), atol=1e-4)
        assert not np.allclose(approx.to_numpy(), exact.to_numpy()), key
        same_top = (approx.abs().idxmax(axis=1) == exact.abs().idxmax(axis=1)).mean()
        assert same_top > 0.6, (key, same_top)


def test_importance_ranks_a_noise_column_below_the_top_feature(served, data):
    _, val, _ = data
    for key, model in served.items():
        importance = feature_importance(model, val, max_rows=300)
        assert importance.index.name == "feature"
        assert importance.is_monotonic_decreasing, key
        assert importance["graph__noise"] < importance.iloc[0], key


def test_fallback_is_zero_where_the_feature_is_at_its_reference(served, data):
    _, val, _ = data
    model = served["naive_bayes"]
    mode = model.named_steps["prep"].named_transformers_["cat"].named_steps["impute"].statistics_[1]
    rows = val.head(20).assign(desc__sector=mode)
    assert (feature_contributions(model, rows)["desc__sector"].abs() < 1e-9).all()


def test_explaining_rows_without_the_model_columns_fails_clearly(served, data):
    _, val, _ = data
    with pytest.raises(ExplainError, match="tax__debt"):
        feature_contributions(served["xgboost"], val.drop(columns=["tax__debt"]))


def test_every_kind_loads_with_pyfunc_in_a_fresh_process(served, data, tmp_path):
    """skops (MLflow 3's default) refuses types it does not trust; the list we log must cover
    every kind, and pyfunc must return probabilities, not labels."""
    _, val, columns = data
    rows = val[columns].head(10)
    expected = {}
    for key, model in served.items():
        mlflow.sklearn.save_model(
            sk_model=model,
            path=str(tmp_path / key),
            input_example=rows.head(3),
            pyfunc_predict_fn="predict_proba",
            skops_trusted_types=cand.SKOPS_TRUSTED_TYPES,
            pip_requirements=pip_requirements(),
        )
        expected[key] = model.predict_proba(rows)[:, 1].tolist()
    rows.to_parquet(tmp_path / "rows.parquet")
    script = (
        "import json, sys, mlflow.pyfunc, pandas as pd\n"
        "root = sys.argv[1]; rows = pd.read_parquet(root + '/rows.parquet'); out = {}\n"
        "for key in sys.argv[2:]:\n"
        "    pred = mlflow.pyfunc.load_model(root + '/' + key).predict(rows)\n"
        "    out[key] = [list(map(float, r)) for r in pd.DataFrame(pred).to_numpy()]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *served],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    for key, probabilities in expected.items():
        got = np.array(loaded[key])
        assert got.shape == (10, 2), key
        np.testing.assert_allclose(got[:, 1], probabilities, rtol=1e-6, err_msg=key)
