"""Per-company explanations: how much each original feature moved the default score.

Every candidate of the grid is explained on one scale, the log-odds of its *calibrated*
probability, with one column per original feature (the one-hot columns of a categorical and a
feature's missing-value indicator are summed back to the feature), so the daily scoring stage can
say "tax debt raised the risk most" whatever model is champion.

- XGBoost: exact TreeSHAP from the booster (`pred_contribs`), in margin units, or with
  `approximate` its path attribution (`approx_contribs`, Saabas): ~100x cheaper at depth 6,
  which is what lets the daily job explain the whole register;
- decision tree: exact TreeSHAP (`shap`, path attribution with `approximate`); random forest:
  always shap's path attribution
  (`approximate=True`, Saabas), because exact TreeSHAP over 200 deep trees costs ~7 ms per row,
  hours for the whole register;
- logistic regression: coefficient x standardised value (reference: the standardised centre, 0);
- MLP, SVM, naive Bayes: a cheap model-agnostic difference: the calibrated log-odds minus those
  with the feature set to its training median (most frequent category for categoricals).

The additive raw contributions of the first three are mapped to calibrated log-odds by the
secant of the (monotone) calibration between the row's raw score and the reference score, so
they still sum to logit(p(row)) - logit(p(reference)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xgboost
from scipy.special import expit, logit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from company_risk.errors import CompanyRiskError

_EPS = 1e-6


class ExplainError(CompanyRiskError, ValueError):
    """The model or the rows cannot be explained (missing columns, unfitted model)."""


def inner_estimator(model: Pipeline) -> Any:
    """The trained estimator inside a served candidate (below calibration and freezing)."""
    step = model.steps[-1][1]
    if isinstance(step, CalibratedClassifierCV):
        step = step.estimator
    if isinstance(step, FrozenEstimator):
        step = step.estimator
    return step


def feature_contributions(
    model: Pipeline, X: pd.DataFrame, approximate: bool = False
) -> pd.DataFrame:
    """Per-row contributions to the calibrated log-odds of default, one column per feature.

    `model` is a served candidate (prep + calibrated estimator, as logged and exported);
    `X` holds at least the model's feature columns. The result has X's index. `approximate`
    trades exact TreeSHAP for path attributions (Saabas) on tree models: still additive (they
    sum to the same score) and far cheaper, which daily scoring of a whole register needs.
    """
    columns = _feature_names(model)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ExplainError(f"rows lack the model's feature column(s): {', '.join(missing)}")
    X = X[columns]
    if len(X) == 0:
        return pd.DataFrame(columns=columns, index=X.index, dtype="float64")
    est = inner_estimator(model)
    prep = model.named_steps["prep"]
    if isinstance(
        est, XGBClassifier | DecisionTreeClassifier | RandomForestClassifier | LogisticRegression
    ):
        Xt = np.asarray(prep.transform(X), dtype=float)
        raw, base, to_calibrator = _additive(est, Xt, approximate)
        values = _to_calibrated_logodds(model, raw, base, to_calibrator) @ _aggregation(
            prep, columns
        )
    else:
        values = _replacement_differences(model, X, columns)
    return pd.DataFrame(values, index=X.index, columns=columns)


def feature_importance(model: Pipeline, X: pd.DataFrame, max_rows: int = 2000) -> pd.Series:
    """Mean absolute contribution per feature over (a fixed sample of) `X`, largest first.

    One definition for every model kind, so importances compare across the grid.
    """
    sample = X if len(X) <= max_rows else X.sample(n=max_rows, random_state=0)
    contributions = feature_contributions(model, sample)
    importance = contributions.abs().mean().sort_values(ascending=False, kind="stable")
    importance.index.name = "feature"
    return importance.rename("importance")


def _feature_names(model: Pipeline) -> list[str]:
    if not isinstance(model, Pipeline) or "prep" not in model.named_steps:
        raise ExplainError("expected a company-risk candidate Pipeline with a 'prep' step")
    try:
        return list(model.named_steps["prep"].feature_names_in_)
    except AttributeError as exc:
        raise ExplainError("the model is not fitted") from exc


def _additive(est, Xt: np.ndarray, approximate: bool) -> tuple[np.ndarray, float, str]:
    """Raw additive contributions (rows x transformed columns), the reference raw score, and
    how a raw score becomes the calibrator's input ('identity' or 'sigmoid')."""
    if isinstance(est, XGBClassifier):
        contribs = est.get_booster().predict(
            xgboost.DMatrix(Xt), pred_contribs=True, approx_contribs=approximate
        )
        # margin space; the calibrator is fed predict_proba, i.e. sigmoid(margin)
        return contribs[:, :-1], float(contribs[0, -1]), "sigmoid"
    if isinstance(est, LogisticRegression):
        # decision_function = intercept + coef . x; the calibrator is fed the decision function
        return Xt * est.coef_[0], float(est.intercept_[0]), "identity"
    import shap  # 2 s to import; only scikit-learn's trees need it, not every `score`/`daily`

    explainer = shap.TreeExplainer(est)
    values = explainer.shap_values(
        Xt,
        check_additivity=False,
        approximate=approximate or isinstance(est, RandomForestClassifier),
    )
    values = np.asarray(values)
    positive = values[:, :, 1] if values.ndim == 3 else values
    base = np.ravel(explainer.expected_value)[-1]
    # sklearn trees explain predict_proba[:, 1], which is what the calibrator is fed
    return positive, float(base), "identity"


def _calibrated_logit(model: Pipeline, raw: np.ndarray, to_calibrator: str) -> np.ndarray:
    """logit of the calibrated probability for raw estimator scores."""
    calibrated = model.steps[-1][1]
    if not isinstance(calibrated, CalibratedClassifierCV):
        raise ExplainError("expected the model's last step to be a CalibratedClassifierCV")
    score = expit(raw) if to_calibrator == "sigmoid" else raw
    p = calibrated.calibrated_classifiers_[0].calibrators[0].predict(np.asarray(score, dtype=float))
    return logit(np.clip(p, 1e-12, 1 - 1e-12))


def _to_calibrated_logodds(
    model: Pipeline, raw: np.ndarray, base: float, to_calibrator: str
) -> np.ndarray:
    total = raw.sum(axis=1) + base
    delta = total - base
    at_base = _calibrated_logit(model, np.array([base]), to_calibrator)[0]
    secant = _calibrated_logit(model, total, to_calibrator) - at_base
    # where the row's raw score equals the reference, use the local slope instead of 0/0
    slope_at_base = (
        _calibrated_logit(model, np.array([base + _EPS]), to_calibrator)
        - _calibrated_logit(model, np.array([base - _EPS]), to_calibrator)
    ) / (2 * _EPS)
    small = np.abs(delta) < _EPS
    factor = np.where(small, slope_at_base[0], secant / np.where(small, 1.0, delta))
    return raw * factor[:, None]


def _aggregation(prep, columns: list[str]) -> np.ndarray:
    """Matrix (transformed columns x original columns) that sums one-hot and missing-indicator
    columns back onto the feature they came from."""
    out_names = list(prep.get_feature_names_out())
    matrix = np.zeros((len(out_names), len(columns)))
    index = {c: i for i, c in enumerate(columns)}
    # longest name first, so a categorical whose name prefixes another's cannot steal its columns
    categorical = sorted(
        (c for name, _, cols in prep.transformers_ if name == "cat" for c in cols),
        key=len,
        reverse=True,
    )
    for row, name in enumerate(out_names):
        if name.startswith("num__"):
            source = name.removeprefix("num__").removeprefix("missingindicator_")
        else:
            source = next(c for c in categorical if name.startswith(f"cat__{c}_"))
        matrix[row, index[source]] = 1.0
    return matrix


def _reference_row(model: Pipeline, columns: list[str]) -> dict[str, object]:
    """Training median of each numeric feature, most frequent category of each categorical."""
    prep = model.named_steps["prep"]
    reference: dict[str, object] = {}
    for name, transformer, cols in prep.transformers_:
        if name in ("num", "cat"):
            statistics = transformer.named_steps["impute"].statistics_
            reference.update(dict(zip(cols, statistics, strict=True)))
    return {c: reference[c] for c in columns}


def _replacement_differences(model: Pipeline, X: pd.DataFrame, columns: list[str]) -> np.ndarray:
    reference = _reference_row(model, columns)

    def log_odds(frame: pd.DataFrame) -> np.ndarray:
        return logit(np.clip(model.predict_proba(frame)[:, 1], 1e-12, 1 - 1e-12))

    actual = log_odds(X)
    out = np.empty((len(X), len(columns)))
    for j, column in enumerate(columns):
        replaced = X.copy()
        replaced[column] = pd.Series(reference[column], index=X.index, dtype=X[column].dtype)
        out[:, j] = actual - log_odds(replaced)
    return out
