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
from company_risk.schemas import CATEGORICAL_FEATURES

# Settings every model starts from; a search sample overrides them, params.yaml overrides both.
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "decision_tree": {"max_depth": 6, "min_samples_leaf": 50},
    "random_forest": {
        "n_estimators": 200,
        "max_depth": 12,
        "min_samples_leaf": 20,
        "max_features": "sqrt",
        "max_samples": 0.3,
    },
    "mlp": {
        "hidden_layer_sizes": [64, 32],
        "alpha": 1e-3,
        "learning_rate_init": 1e-3,
        "max_iter": 100,
        "early_stopping": True,
        "max_train_rows": 20000,
    },
    "svm": {
        "C": 1.0,
        "gamma_factor": 1.0,
        "strategy": "auto",
        "max_train_rows": 5000,
        "nystroem_components": 100,
    },
    "naive_bayes": {"var_smoothing": 1e-9},
    "xgboost": {
        "n_estimators": 300,
        "max_depth": 4,
        "learning_rate": 0.05,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 5,
    },
    "logistic_regression": {"C": 1.0},
}

DEFAULT_SEARCH: dict[str, dict[str, list[Any]]] = {
    "decision_tree": {"max_depth": [4, 6, 8, 12], "min_samples_leaf": [20, 50, 100, 200]},
    "random_forest": {
        "max_depth": [8, 12, 16],
        "min_samples_leaf": [5, 20, 50],
        "max_features": ["sqrt", 0.3],
    },
    "mlp": {
        "hidden_layer_sizes": [[32], [64], [64, 32]],
        "alpha": [1e-4, 1e-3, 1e-2],
        "learning_rate_init": [1e-3, 3e-3],
    },
    "svm": {"C": [0.1, 0.3, 1.0, 3.0], "gamma_factor": [0.5, 1.0, 2.0]},
    "naive_bayes": {"var_smoothing": [1e-9, 1e-6, 1e-3, 1e-1]},
    "xgboost": {
        "max_depth": [3, 4, 6],
        "learning_rate": [0.03, 0.05, 0.1],
        "min_child_weight": [1, 5, 20],
        "colsample_bytree": [0.6, 0.8, 1.0],
    },
    "logistic_regression": {"C": [0.01, 0.1, 1.0, 10.0]},
}

# Settings that steer training rather than being estimator arguments.
CONTROL_KEYS = frozenset(
    {"max_train_rows", "strategy", "nystroem_components", "gamma_factor", "search"}
)
SCALED_MODELS = frozenset({"mlp", "svm", "naive_bayes", "logistic_regression"})


class CandidateError(CompanyRiskError, ValueError):
    """A model's settings in params.yaml are not usable."""


@dataclass(frozen=True)
class ModelSpec:
    """A model of the grid: its settings (code defaults under params.yaml) and search space."""

    name: str
    settings: dict[str, Any]
    search: dict[str, list[Any]]

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
        if name not in DEFAULT_SETTINGS:
            raise CandidateError(f"models.{name}: unknown model")
        user = dict(user)
        search = user.pop("search", None)
        if search is None:
            search = DEFAULT_SEARCH[name]
        if not isinstance(search, dict) or not all(
            isinstance(v, list) and v for v in search.values()
        ):
            raise CandidateError(
                f"models.{name}.search: expected a mapping of setting -> non-empty list"
            )
        settings = {**DEFAULT_SETTINGS[name], **user}
        specs[name] = ModelSpec(
            name=name,
            settings=settings,
            search={k: v for k, v in search.items() if k not in user},
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


def make_estimator(
    name: str, settings: dict[str, Any], n_features: int, y: np.ndarray, seed: int, n_jobs: int
) -> tuple[Any, dict[str, Any]]:
    """The estimator for `settings` and the fit keyword arguments it needs (sample weights)."""
    args = {k: v for k, v in settings.items() if k not in CONTROL_KEYS}
    positives = max(int(y.sum()), 1)
    fit_kwargs: dict[str, Any] = {}
    try:
        if name == "decision_tree":
            est = DecisionTreeClassifier(class_weight="balanced", random_state=seed, **args)
        elif name == "random_forest":
            est = RandomForestClassifier(
                class_weight="balanced_subsample", random_state=seed, n_jobs=n_jobs, **args
            )
        elif name == "mlp":
            args["hidden_layer_sizes"] = tuple(args.get("hidden_layer_sizes", (64,)))
            est = MLPClassifier(random_state=seed, **args)
            weight = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * (len(y) - positives)))
            fit_kwargs["sample_weight"] = weight
        elif name == "svm":
            gamma = float(settings.get("gamma_factor", 1.0)) / max(n_features, 1)
            if settings["strategy"] == "nystroem":
                est = Pipeline(
                    [
                        (
                            "kernel",
                            Nystroem(
                                gamma=gamma,
                                n_components=int(settings.get("nystroem_components", 100)),
                                random_state=seed,
                            ),
                        ),
                        ("svm", LinearSVC(class_weight="balanced", random_state=seed, **args)),
                    ]
                )
            else:
                est = SVC(
                    kernel="rbf", gamma=gamma, class_weight="balanced", random_state=seed, **args
                )
        elif name == "naive_bayes":
            est = GaussianNB(priors=[0.5, 0.5], **args)
        elif name == "xgboost":
            est = XGBClassifier(
                tree_method="hist",
                n_jobs=n_jobs,
                random_state=seed,
                scale_pos_weight=(len(y) - positives) / positives,
                eval_metric="logloss",
                **args,
            )
        elif name == "logistic_regression":
            est = LogisticRegression(class_weight="balanced", max_iter=2000, **args)
        else:
            raise CandidateError(f"models.{name}: unknown model")
    except TypeError as exc:
        raise CandidateError(f"models.{name}: {exc}") from exc
    return est, fit_kwargs


def resolve_svm_strategy(settings: dict[str, Any], n_rows: int) -> str:
    """`exact` (RBF kernel on at most max_train_rows rows) or `nystroem` (approximate kernel on
    all rows): an exact kernel SVM costs O(n^2) memory and O(n^2..n^3) time."""
    strategy = settings.get("strategy", "auto")
    if strategy == "auto":
        return "exact" if n_rows <= int(settings["max_train_rows"]) else "nystroem"
    if strategy not in ("exact", "nystroem"):
        raise CandidateError(
            f"models.svm.strategy: expected auto, exact or nystroem, got {strategy!r}"
        )
    return strategy


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
    prep = make_preprocessor(numeric, categorical, scaled=name in SCALED_MODELS)
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
    """
    if method not in ("sigmoid", "isotonic"):
        raise CandidateError(f"models.calibration: expected sigmoid or isotonic, got {method!r}")
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
