"""The model table is the one list of models, and per-model behaviour is read off its entries."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
import yaml

from builders_example import example_features
from company_risk import model_table
from company_risk.config import ModelsConfig, params_from_dict
from company_risk.model_table import MODEL_NAMES, MODEL_TABLE, MODELS, ModelEntry
from company_risk.report import compare
from company_risk.train import candidates as cand
from company_risk.train.run import train_candidate
from company_risk.train.split import temporal_split

ROOT = Path(__file__).resolve().parents[1]


def test_the_table_is_the_only_list_of_models():
    names = [entry.name for entry in MODEL_TABLE]
    assert len(set(names)) == len(names) == 7
    assert list(MODEL_NAMES) == names and list(MODELS) == names
    # config: its names, its per-model params.yaml sections, and what it enables by default
    assert list(ModelsConfig.MODEL_NAMES) == names
    per_model = [f.name for f in dataclasses.fields(ModelsConfig) if f.name in MODELS]
    others = [f.name for f in dataclasses.fields(ModelsConfig) if f.type.startswith("dict")]
    assert per_model == others == names
    assert list(ModelsConfig().enabled_models()) == names
    assert ModelsConfig.CALIBRATIONS == model_table.CALIBRATIONS
    # train: the estimator factory and the default views
    assert list(cand.ESTIMATORS) == names
    assert list(cand.DEFAULT_SETTINGS) == list(cand.DEFAULT_SEARCH) == names
    # report: roles and labels
    assert [*compare.STUDY_MODELS, *compare.BASELINE_MODELS] == names
    assert list(compare.MODEL_LABELS) == names
    # params.yaml: one section per model, in the same order
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["models"]
    assert [key for key, value in raw.items() if isinstance(value, dict)] == names


def test_roles_labels_and_settings_are_consistent():
    # the study's five model families, then the two baselines (architecture.md)
    assert model_table.names_with_role("study") == (
        "decision_tree",
        "random_forest",
        "mlp",
        "svm",
        "naive_bayes",
    )
    assert model_table.names_with_role("baseline") == ("xgboost", "logistic_regression")
    labels = [entry.label for entry in MODEL_TABLE]
    assert all(labels) and len(set(labels)) == len(labels)
    for entry in MODEL_TABLE:
        # every searched setting has a default, and the search values are non-empty lists
        assert set(entry.search) <= set(entry.defaults), entry.name
        assert all(isinstance(v, list) and v for v in entry.search_space().values()), entry.name
        if entry.strategies:
            assert entry.defaults["strategy"] in entry.strategies
            assert set(entry.auto_strategies or ()) <= set(entry.strategies)
            assert entry.uncapped_strategies <= set(entry.strategies)
            assert set(entry.strategy_run_params) <= set(entry.strategies)
    assert MODELS["mlp"].default_settings()["max_train_rows"] == 20000
    assert "max_train_rows" not in MODELS["decision_tree"].default_settings()
    assert {e.name for e in MODEL_TABLE if e.scaled} == {
        "mlp",
        "svm",
        "naive_bayes",
        "logistic_regression",
    }


def test_the_table_cannot_be_changed_through_what_it_hands_out():
    mlp = MODELS["mlp"]
    settings = mlp.default_settings()
    settings["hidden_layer_sizes"].append(8)
    assert mlp.default_settings()["hidden_layer_sizes"] == [64, 32]  # plain lists, fresh
    with pytest.raises(TypeError):
        mlp.defaults["alpha"] = 1.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        mlp.max_train_rows = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="role"):
        dataclasses.replace(mlp, role="champion")


def test_the_table_is_ground_floor_pure_data():
    """config and report import it: it must not pull in scikit-learn or any stage."""
    tree = ast.parse((ROOT / "src" / "company_risk" / "model_table.py").read_text("utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__", "collections", "dataclasses", "types", "typing"}


# ------------------------------------------------------------------- per-model run behaviour
TOY = ModelEntry(
    name="toy",
    label="Toy",
    role="study",
    defaults={"strategy": "auto"},
    search={},
    scaled=False,
    max_train_rows=10,
    strategies=("auto", "small", "big"),
    auto_strategies=("small", "big"),
    uncapped_strategies=frozenset({"big"}),
    strategy_run_params={"big": {"toy_method": "approximate"}},
)


def test_a_new_entry_s_strategy_and_cap_behaviour_needs_no_code():
    settings = TOY.default_settings()
    assert TOY.fixed_for_run(settings, n_rows=10) == {"strategy": "small"}
    assert TOY.fixed_for_run(settings, n_rows=11) == {"strategy": "big"}
    small, big = {**settings, "strategy": "small"}, {**settings, "strategy": "big"}
    assert TOY.row_cap(small, None) == 10 and TOY.row_cap(small, 5) == 5
    assert TOY.row_cap(big, None) is None  # its own cap does not apply ...
    assert TOY.row_cap(big, 50) == 50  # ... the global one does
    assert TOY.run_params(big) == {"toy_method": "approximate"} and TOY.run_params(small) == {}
    # a model without strategies: nothing fixed, its own cap under the global one
    tree = MODELS["decision_tree"]
    assert tree.fixed_for_run(tree.default_settings(), 10**6) == {}
    assert tree.row_cap({"max_train_rows": 30}, 20) == 20
    assert tree.row_cap({}, None) is None


def test_the_svm_entry_resolves_its_strategy_by_the_rows():
    svm = MODELS["svm"]
    assert svm.fixed_for_run({"strategy": "auto", "max_train_rows": 10}, 100) == {
        "strategy": "nystroem"
    }
    assert svm.fixed_for_run({"strategy": "auto", "max_train_rows": 1000}, 100) == {
        "strategy": "exact"
    }
    assert svm.fixed_for_run({"strategy": "exact", "max_train_rows": 10}, 100) == {
        "strategy": "exact"
    }
    assert svm.run_params({"strategy": "nystroem"}) == {
        "svm_method": "nystroem_kernel_approximation"
    }


@pytest.fixture(scope="module")
def world():
    table, _ = example_features(n_companies=250, seed=2)
    return table, temporal_split(table, params_from_dict({}).split)


def _train_rows(world, spec: cand.ModelSpec, **models) -> int:
    table, split = world
    params = params_from_dict({"models": {"search_iterations": 1, "n_jobs": 1, **models}})
    candidate = train_candidate(spec.name, spec, "tax", table, split, params)
    return int(candidate.params["train_rows"])


def test_training_honours_the_spec_s_cap_behaviour(world):
    """A Nystroem SVM ignores its own max_train_rows but obeys the global one, because its
    entry says so: the same entry without that exemption is held to its own cap."""
    _, split = world
    svm = cand.model_specs(
        {"svm": {"strategy": "nystroem", "max_train_rows": 100, "nystroem_components": 10}}
    )["svm"]
    assert _train_rows(world, svm) == len(split.train)
    assert _train_rows(world, svm, max_train_rows=300) == 300
    held = dataclasses.replace(
        svm, entry=dataclasses.replace(svm.entry, uncapped_strategies=frozenset())
    )
    assert _train_rows(world, held) == 100
    exact = cand.model_specs({"svm": {"strategy": "exact", "max_train_rows": 100}})["svm"]
    assert _train_rows(world, exact, max_train_rows=300) == 100
