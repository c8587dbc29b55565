"""One scikit-learn `Pipeline` per candidate: preprocessing, estimator, probability calibration.

Training and scoring share this one object, so the daily job cannot drift from what was
evaluated: `Pipeline([("prep", ColumnTransformer), ("model", CalibratedClassifierCV)])`, where
the calibrator wraps the estimator frozen after training on the training snapshots and is itself
fitted on the validation snapshots (scikit-learn 1.9: `FrozenEstimator`, not `SVC(probability=
True)`). Columns are selected by name, so a scoring table may carry extra columns.

Class imbalance (~3 % defaults) is handled inside each estimator (class weights, XGBoost's
`scale_pos_weight`, balanced sample weights for the MLP, equal priors for naive Bayes); the
calibration step then maps the re-weighted scores back to real default probabilities.

Models that need it see quantile-normalised numeric features: company figures are heavy-tailed
(capital, tax debt in euros), which a plain standard scaler would leave dominated by outliers.
"""

from __future__ import annotations

import itertools
import typing
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ParameterSampler
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from company_risk.errors import CompanyRiskError
from company_risk.model_safety import SKOPS_TRUSTED_TYPES  # noqa: F401 (defined with its loader)
from company_risk.model_table import CONTROL_KEYS, MODEL_TABLE, MODELS, ModelEntry
from company_risk.schemas import CATEGORICAL_FEATURES

# Views of company_risk.model_table, the one list of models, as plain dicts for callers that
# want a model's starting point (a search sample overrides these, params.yaml overrides both).
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {e.name: e.default_settings() for e in MODEL_TABLE}
DEFAULT_SEARCH: dict[str, dict[str, list[Any]]] = {e.name: e.search_space() for e in MODEL_TABLE}


class CandidateError(CompanyRiskError, ValueError):
    """A model's settings in params.yaml are not usable."""


def model_entry(name: str) -> ModelEntry:
    """The table's entry for `name`; a CandidateError naming it when there is none."""
    try:
        return MODELS[name]
    except KeyError:
        raise CandidateError(f"models.{name}: unknown model") from None


@dataclass(frozen=True)
class ModelSpec:
    """A model of the grid: its table entry, its settings (table defaults under params.yaml)
    and search space. Per-model run behaviour (row caps, strategies, run params) is asked of
    `entry`, so the orchestrator never branches on a model's name."""

    name: str
    settings: dict[str, Any]
    search: dict[str, list[Any]]
    entry: ModelEntry

    def candidates(self, iterations: int, seed: int) -> list[dict[str, Any]]:
        """`iterations` distinct settings: the defaults first, then random draws of the space."""
        iterations = max(1, iterations)
        out = [dict(self.settings)]
        if self.search and iterations > 1:
            size = int(np.prod([len(v) for v in self.search.values()]))
            draws = ParameterSampler(self.search, n_iter=min(iterations, size), random_state=seed)
            for draw in draws:
                merged = {**self.settings, **draw}
                if merged not in out:
                    out.append(merged)
        return out[:iterations]


def model_specs(enabled: dict[str, dict[str, Any]]) -> dict[str, ModelSpec]:
    """Specs for the enabled models (ModelsConfig.enabled_models()): settings a data scientist
    fixes in params.yaml are taken out of the search, so `dvc exp run -S models.x.k=v` is obeyed."""
    specs = {}
    for name, user in enabled.items():
        entry = model_entry(name)
        user = dict(user)
        search = user.pop("search", None)
        if search is None:
            search = entry.search_space()
        if not isinstance(search, dict) or not all(
            isinstance(v, list) and v for v in search.values()
        ):
            raise CandidateError(
                f"models.{name}.search: expected a mapping of setting -> non-empty list"
            )
        settings = {**entry.default_settings(), **user}
        specs[name] = ModelSpec(
            name=name,
            settings=settings,
            search={k: v for k, v in search.items() if k not in user},
            entry=entry,
        )
    return specs


def make_preprocessor(
    numeric: list[str], categorical: list[str], scaled: bool
) -> ColumnTransformer:
    """Median imputation with missing-value indicators (a missing annual report is evidence),
    most-frequent imputation and one-hot for categoricals; quantile-normal scaling if `scaled`."""
    numeric_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True))
    ]
    if scaled:
        numeric_steps.append(
            (
                "scale",
                QuantileTransformer(output_distribution="normal", n_quantiles=200, random_state=0),
            )
        )
    transformers = []
    if numeric:
        transformers.append(("num", Pipeline(numeric_steps), list(numeric)))
    if categorical:
        transformers.append(
            (
                "cat",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(strategy="most_frequent", keep_empty_features=True),
                        ),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                min_frequency=20,
                                sparse_output=False,
                            ),
                        ),
                    ]
                ),
                list(categorical),
            )
        )
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)


def split_columns(feature_columns: list[str]) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns, in table order."""
    categorical = [c for c in feature_columns if c in CATEGORICAL_FEATURES]
    return [c for c in feature_columns if c not in CATEGORICAL_FEATURES], categorical


# ------------------------------------------------------------------------- the estimators
# One builder per model of the table, keyed by its name (tests/test_model_table.py keeps the
# keys and the table equal). A builder gets the estimator arguments (settings without
# CONTROL_KEYS), the settings, and the fit's context; it returns the estimator and the fit
# keyword arguments it needs.
@dataclass(frozen=True)
class _FitContext:
    n_features: int
    y: np.ndarray
    positives: int
    seed: int
    n_jobs: int


_Built = tuple[Any, dict[str, Any]]  # the estimator, and its fit keyword arguments


def _decision_tree(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    return DecisionTreeClassifier(class_weight="balanced", random_state=c.seed, **args), {}


def _random_forest(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    est = RandomForestClassifier(
        class_weight="balanced_subsample", random_state=c.seed, n_jobs=c.n_jobs, **args
    )
    return est, {}


def _mlp(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    args["hidden_layer_sizes"] = tuple(args.get("hidden_layer_sizes", (64,)))
    est = MLPClassifier(random_state=c.seed, **args)
    n, positives = len(c.y), c.positives
    weight = np.where(c.y == 1, n / (2 * positives), n / (2 * (n - positives)))
    return est, {"sample_weight": weight}


def _svm(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    gamma = float(settings.get("gamma_factor", 1.0)) / max(c.n_features, 1)
    if settings["strategy"] == "nystroem":
        kernel = Nystroem(
            gamma=gamma,
            n_components=int(settings.get("nystroem_components", 100)),
            random_state=c.seed,
        )
        svm = LinearSVC(class_weight="balanced", random_state=c.seed, **args)
        return Pipeline([("kernel", kernel), ("svm", svm)]), {}
    est = SVC(kernel="rbf", gamma=gamma, class_weight="balanced", random_state=c.seed, **args)
    return est, {}


def _naive_bayes(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    return GaussianNB(priors=[0.5, 0.5], **args), {}


def _xgboost(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    est = XGBClassifier(
        tree_method="hist",
        n_jobs=c.n_jobs,
        random_state=c.seed,
        scale_pos_weight=(len(c.y) - c.positives) / c.positives,
        eval_metric="logloss",
        **args,
    )
    return est, {}


def _logistic_regression(args: dict[str, Any], settings: dict[str, Any], c: _FitContext) -> _Built:
    return LogisticRegression(class_weight="balanced", max_iter=2000, **args), {}


ESTIMATORS: dict[str, typing.Callable[[dict[str, Any], dict[str, Any], _FitContext], _Built]] = {
    "decision_tree": _decision_tree,
    "random_forest": _random_forest,
    "mlp": _mlp,
    "svm": _svm,
    "naive_bayes": _naive_bayes,
    "xgboost": _xgboost,
    "logistic_regression": _logistic_regression,
}


def make_estimator(
    name: str, settings: dict[str, Any], n_features: int, y: np.ndarray, seed: int, n_jobs: int
) -> tuple[Any, dict[str, Any]]:
    """The estimator for `settings` and the fit keyword arguments it needs (sample weights)."""
    build = ESTIMATORS.get(name)
    if build is None:
        raise CandidateError(f"models.{name}: unknown model")
    args = {k: v for k, v in settings.items() if k not in CONTROL_KEYS}
    context = _FitContext(n_features, y, max(int(y.sum()), 1), seed, n_jobs)
    try:
        return build(args, settings, context)
    except TypeError as exc:
        raise CandidateError(f"models.{name}: {exc}") from exc


def fit_pipeline(
    name: str,
    settings: dict[str, Any],
    X: pd.DataFrame,
    y: np.ndarray,
    feature_columns: list[str],
    seed: int,
    n_jobs: int,
) -> Pipeline:
    """Fit preprocessing and estimator on training rows: `Pipeline([prep, estimator])`."""
    numeric, categorical = split_columns(feature_columns)
    prep = make_preprocessor(numeric, categorical, scaled=model_entry(name).scaled)
    Xt = prep.fit_transform(X[feature_columns])
    est, fit_kwargs = make_estimator(name, settings, Xt.shape[1], y, seed, n_jobs)
    try:
        est.fit(Xt, y, **fit_kwargs)
    except (TypeError, ValueError) as exc:
        raise CandidateError(
            f"models.{name}: fitting failed with settings {settings}: {exc}"
        ) from exc
    return Pipeline([("prep", prep), ("estimator", est)])


def calibrate(fitted: Pipeline, X_val: pd.DataFrame, y_val: np.ndarray, method: str) -> Pipeline:
    """Freeze the fitted estimator and fit the probability calibration on validation rows.

    Returns the candidate as served: `Pipeline([("prep", ...), ("model", CalibratedClassifierCV)])`.
    `method` is one of model_table.CALIBRATIONS (config checks `models.calibration`).
    """
    prep, est = fitted.named_steps["prep"], fitted.named_steps["estimator"]
    calibrated = CalibratedClassifierCV(FrozenEstimator(est), method=method)
    calibrated.fit(prep.transform(X_val[list(prep.feature_names_in_)]), y_val)
    return Pipeline([("prep", prep), ("model", calibrated)])


def describe_settings(settings: dict[str, Any]) -> dict[str, str]:
    """Settings as MLflow params (strings; lists joined), without the nested search space."""
    return {
        key: ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        for key, value in sorted(settings.items())
        if key != "search"
    }


def grid(models: list[str], feature_sets: list[str]) -> list[tuple[str, str]]:
    """Every (model, feature set) pair, model-major so one model's runs sit together."""
    return list(itertools.product(models, feature_sets))
