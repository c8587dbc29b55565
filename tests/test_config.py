"""params.yaml -> typed config: defaults, coercion, and loud errors for typos."""

import datetime as dt
from pathlib import Path

import pytest

from company_risk.config import (
    ConfigError,
    ProjectPaths,
    load_params,
    params_from_dict,
    params_to_dict,
)


def test_project_params_file_loads_with_typed_values():
    params = load_params(Path("params.yaml"))
    assert isinstance(params.synth.start, dt.date)
    assert params.synth.n_companies > 0
    assert params.features.graph.memory_years >= 1
    assert list(params.models.enabled_models())[:5] == [
        "decision_tree",
        "random_forest",
        "mlp",
        "svm",
        "naive_bayes",
    ]
    assert len(params.scoring.risk_classes) == 4


def test_dates_and_tuples_are_coerced():
    params = params_from_dict(
        {"split": {"train_until": "2020-06-30"}, "scoring": {"risk_classes": [0.1, 0.2, 0.3, 0.4]}}
    )
    assert params.split.train_until == dt.date(2020, 6, 30)
    assert params.scoring.risk_classes == (0.1, 0.2, 0.3, 0.4)


def test_unknown_key_is_named_in_the_error():
    with pytest.raises(ConfigError, match=r"params\.features: unknown key\(s\) snapshot_evry"):
        params_from_dict({"features": {"snapshot_evry": "monthly"}})


def test_bad_date_and_bad_number_are_named():
    with pytest.raises(ConfigError, match=r"params\.synth\.start"):
        params_from_dict({"synth": {"start": "2015-13-01"}})
    with pytest.raises(ConfigError, match=r"params\.synth\.n_companies"):
        params_from_dict({"synth": {"n_companies": "many"}})


def test_missing_or_malformed_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "params.yaml")
    bad = tmp_path / "params.yaml"
    bad.write_text("synth: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(bad)


def test_disabled_model_drops_out_of_the_grid():
    params = params_from_dict({"models": {"svm": {"enabled": False}}})
    assert "svm" not in params.models.enabled_models()


def test_params_round_trip_to_plain_dict():
    as_dict = params_to_dict(load_params(Path("params.yaml")))
    assert as_dict["synth"]["start"] == load_params(Path("params.yaml")).synth.start.isoformat()
    assert params_to_dict(params_from_dict(as_dict)) == as_dict


def test_tracking_uri_is_absolute_unless_overridden(tmp_path):
    paths = ProjectPaths(tmp_path)
    assert paths.tracking_uri({}) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    assert paths.tracking_uri({"MLFLOW_TRACKING_URI": "http://x:5000"}) == "http://x:5000"
