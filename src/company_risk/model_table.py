"""The model table: every model of the grid, once, with everything the stages know about it.

Why one table: the model list used to be typed in six places (config's names and choices, the
train stage's defaults, search spaces, scaled set and per-model branches, the report's roles
and labels), so adding a model took six edits and a missed one failed late or not at all. Now
each model is one `ModelEntry` in `MODEL_TABLE`, in the fixed comparison order, and every other
list is derived from it: `config.ModelsConfig` checks params.yaml against it, the train stage
builds its candidates and runs from it, the report takes its roles and labels from it.

It sits on the ground floor and is pure data (no scikit-learn, no other project import), so
config and the report can import it without pulling in the training libraries. What needs
scikit-learn (the estimator factory keyed by these names) stays in company_risk.train.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("study", "baseline")  # the study's five families; the two baselines beside them

# Probability calibration fitted on the validation snapshots (`models.calibration`).
CALIBRATIONS = ("sigmoid", "isotonic")

# Settings that steer training rather than being estimator arguments: the row cap any model
# may carry, the search space params.yaml may replace, and the SVM's kernel strategy knobs.
CONTROL_KEYS = frozenset(
    {"max_train_rows", "strategy", "nystroem_components", "gamma_factor", "search"}
)


def _frozen(value: Any) -> Any:
    """Mappings as read-only proxies, lists as tuples: the table cannot be changed by a user."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _thawed(value: Any) -> Any:
    """The plain dicts and lists params.yaml gives, so table values and user values compare."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


@dataclass(frozen=True)
class ModelEntry:
    """One model of the grid and its per-model behaviour, so no caller branches on its name.

    `defaults` are the settings every run starts from (a search draw overrides them,
    params.yaml overrides both); `search` is the built-in search space; `max_train_rows` the
    model's own cap on the final fit's training rows (None: only the global cap applies).

    A model with `strategies` has a `strategy` setting taking one of them. "auto" resolves by
    the training rows: `auto_strategies[0]` when they fit within the model's own cap, else
    `auto_strategies[1]`. Under a strategy in `uncapped_strategies` the model's own cap does not
    apply (the global `models.max_train_rows` still does); `strategy_run_params` are extra
    MLflow params of a run with that (resolved) strategy.
    """

    name: str
    label: str  # for people: the report's tables and figures
    role: str  # one of ROLES
    defaults: Mapping[str, Any]
    search: Mapping[str, tuple[Any, ...]]
    scaled: bool  # inputs quantile-normalised before the estimator
    max_train_rows: int | None = None
    strategies: tuple[str, ...] = ()
    auto_strategies: tuple[str, str] | None = None
    uncapped_strategies: frozenset[str] = frozenset()
    strategy_run_params: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: types.MappingProxyType({})
    )

    def __post_init__(self) -> None:
        for name in ("defaults", "search", "strategy_run_params"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if self.role not in ROLES:
            raise ValueError(f"model {self.name}: role {self.role!r} is not one of {ROLES}")

    def default_settings(self) -> dict[str, Any]:
        """The defaults as a fresh plain dict, with the model's own row cap if it has one."""
        out = _thawed(self.defaults)
        if self.max_train_rows is not None:
            out["max_train_rows"] = self.max_train_rows
        return out

    def search_space(self) -> dict[str, list[Any]]:
        """The built-in search space as a fresh plain dict of lists."""
        return _thawed(self.search)

    def fixed_for_run(self, settings: Mapping[str, Any], n_rows: int) -> dict[str, Any]:
        """Settings the run fixes for every search candidate: the resolved `strategy` for a
        model with strategies (`n_rows`: the training rows under the global cap), else none."""
        if not self.strategies:
            return {}
        strategy = settings.get("strategy", self.defaults.get("strategy", "auto"))
        if strategy == "auto" and self.auto_strategies is not None:
            small, large = self.auto_strategies
            strategy = small if n_rows <= int(settings["max_train_rows"]) else large
        return {"strategy": strategy}

    def row_cap(self, settings: Mapping[str, Any], global_cap: int | None) -> int | None:
        """Training-row cap of the final fit: the model's own `max_train_rows` under the global
        one, unless the run's strategy is one that makes all rows affordable."""
        caps = [global_cap]
        if settings.get("strategy") not in self.uncapped_strategies:
            caps.append(settings.get("max_train_rows"))
        caps = [int(c) for c in caps if c]
        return min(caps) if caps else None

    def run_params(self, settings: Mapping[str, Any]) -> dict[str, str]:
        """Extra MLflow params of a run with these (resolved) settings."""
        return dict(self.strategy_run_params.get(settings.get("strategy"), {}))


MODEL_TABLE: tuple[ModelEntry, ...] = (
    ModelEntry(
        name="decision_tree",
        label="Decision tree",
        role="study",
        defaults={"max_depth": 6, "min_samples_leaf": 50},
        search={"max_depth": [4, 6, 8, 12], "min_samples_leaf": [20, 50, 100, 200]},
        scaled=False,
    ),
    ModelEntry(
        name="random_forest",
        label="Random forest",
        role="study",
        defaults={
            "n_estimators": 200,
            "max_depth": 12,
            "min_samples_leaf": 20,
            "max_features": "sqrt",
            "max_samples": 0.3,
        },
        search={
            "max_depth": [8, 12, 16],
            "min_samples_leaf": [5, 20, 50],
            "max_features": ["sqrt", 0.3],
        },
        scaled=False,
    ),
    ModelEntry(
        name="mlp",
        label="Neural net (MLP)",
        role="study",
        defaults={
            "hidden_layer_sizes": [64, 32],
            "alpha": 1e-3,
            "learning_rate_init": 1e-3,
            "max_iter": 100,
            "early_stopping": True,
        },
        search={
            "hidden_layer_sizes": [[32], [64], [64, 32]],
            "alpha": [1e-4, 1e-3, 1e-2],
            "learning_rate_init": [1e-3, 3e-3],
        },
        scaled=True,
        max_train_rows=20000,
    ),
    ModelEntry(
        # An exact RBF kernel costs O(n^2) memory and O(n^2..n^3) time, so it trains on at
        # most max_train_rows rows; a Nystroem kernel approximation trains on all rows (the
        # approximation is what makes that affordable) and so ignores the SVM's own cap.
        name="svm",
        label="SVM",
        role="study",
        defaults={"C": 1.0, "gamma_factor": 1.0, "strategy": "auto", "nystroem_components": 100},
        search={"C": [0.1, 0.3, 1.0, 3.0], "gamma_factor": [0.5, 1.0, 2.0]},
        scaled=True,
        max_train_rows=5000,
        strategies=("auto", "exact", "nystroem"),
        auto_strategies=("exact", "nystroem"),
        uncapped_strategies=frozenset({"nystroem"}),
        strategy_run_params={
            "exact": {"svm_method": "exact_rbf_stratified_subsample"},
            "nystroem": {"svm_method": "nystroem_kernel_approximation"},
        },
    ),
    ModelEntry(
        name="naive_bayes",
        label="Naive Bayes",
        role="study",
        defaults={"var_smoothing": 1e-9},
        search={"var_smoothing": [1e-9, 1e-6, 1e-3, 1e-1]},
        scaled=True,
    ),
    ModelEntry(
        name="xgboost",
        label="XGBoost (baseline)",
        role="baseline",
        defaults={
            "n_estimators": 300,
            "max_depth": 4,
            "learning_rate": 0.05,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "min_child_weight": 5,
        },
        search={
            "max_depth": [3, 4, 6],
            "learning_rate": [0.03, 0.05, 0.1],
            "min_child_weight": [1, 5, 20],
            "colsample_bytree": [0.6, 0.8, 1.0],
        },
        scaled=False,
    ),
    ModelEntry(
        name="logistic_regression",
        label="Logistic regression (baseline)",
        role="baseline",
        defaults={"C": 1.0},
        search={"C": [0.01, 0.1, 1.0, 10.0]},
        scaled=True,
    ),
)

MODEL_NAMES: tuple[str, ...] = tuple(entry.name for entry in MODEL_TABLE)
MODELS: Mapping[str, ModelEntry] = types.MappingProxyType({e.name: e for e in MODEL_TABLE})


def names_with_role(role: str) -> tuple[str, ...]:
    """The models of one role (ROLES), in comparison order."""
    return tuple(entry.name for entry in MODEL_TABLE if entry.role == role)
