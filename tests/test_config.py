"""params.yaml -> typed config: defaults, coercion, and loud errors for typos."""

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from company_risk.config import (
    ConfigError,
    ProjectPaths,
    ReportConfig,
    ScoringConfig,
    load_params,
    params_from_dict,
    params_to_dict,
)
from company_risk.metrics import METRIC_NAMES
from company_risk.model_table import CALIBRATIONS, MODEL_NAMES, MODELS


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


def test_models_are_checked_against_the_model_table():
    """A model the table lacks is an unknown key; each model with strategies (the SVM) has its
    `strategy` checked against its entry's list, and `calibration` against the table's."""
    with pytest.raises(ConfigError, match=r"params\.models: unknown key\(s\) perceptron"):
        params_from_dict({"models": {"perceptron": {"enabled": True}}})
    assert tuple(params_from_dict({}).models.enabled_models()) == MODEL_NAMES
    for strategy in MODELS["svm"].strategies:
        params_from_dict({"models": {"svm": {"strategy": strategy}}})
    for method in CALIBRATIONS:
        params_from_dict({"models": {"calibration": method}})


def test_params_round_trip_to_plain_dict():
    as_dict = params_to_dict(load_params(Path("params.yaml")))
    assert as_dict["synth"]["start"] == load_params(Path("params.yaml")).synth.start.isoformat()
    assert params_to_dict(params_from_dict(as_dict)) == as_dict


def test_tracking_uri_is_absolute_unless_overridden(tmp_path):
    paths = ProjectPaths(tmp_path)
    assert paths.tracking_uri({}) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    assert paths.tracking_uri({"MLFLOW_TRACKING_URI": "http://x:5000"}) == "http://x:5000"


def _nested(key: str, value) -> dict:
    """{"a": {"b": value}} for key "a.b"."""
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


BAD_VALUES = [
    ("report.bootstrap_rounds", 0, "0 is not at least 1"),
    ("report.confidence", 1.5, r"1\.5 is not in \(0, 1\)"),
    ("report.confidence", 0, r"0\.0 is not in \(0, 1\)"),
    ("report.seed", -1, "-1 is not at least 0"),
    ("selection.min_improvement", -1, r"-1\.0 is not at least 0"),
    ("selection.metric", "auc", "'auc' is not one of roc_auc, pr_auc, "),
    ("models.calibration", "sigmod", "'sigmod' is not one of sigmoid, isotonic"),
    ("models.feature_sets", ["graph", "finance"], "feature sets among graph, tax, descriptive"),
    ("models.feature_sets", [], r"\[\] is not a non-empty list"),
    ("models.svm.strategy", "fast", "'fast' is not one of auto, exact, nystroem"),
    ("models.xgboost.enabled", "no", "'no' is not true or false"),
    ("models.n_jobs", 0, "0 is not at least 1"),
    ("models.max_train_rows", 0, "0 is not null or at least 1"),
    ("features.snapshot_every", "weekly", "'weekly' is not one of monthly, quarterly, yearly"),
    ("features.horizon_months", 0, "0 is not at least 1"),
    ("features.horizons_months", [6, 3, 12], r"\[6, 3, 12\] is not strictly increasing"),
    ("features.horizons_months", [3, 3, 12], r"\[3, 3, 12\] is not strictly increasing"),
    ("features.horizons_months", [3, 6, 9], r"is not ending with features\.horizon_months \(12\)"),
    ("features.horizons_months", [3, 6, 9, 12, 24], r"ending with features\.horizon_months"),
    ("features.horizons_months", [0, 12], "each at least 1"),
    ("features.horizons_months", [-3, 12], "each at least 1"),
    ("features.horizons_months", [], r"\[\] is not a non-empty list"),
    ("features.report_deadline_months", 0, "0 is not at least 1"),
    ("features.graph.max_component_for_closeness", 0, "0 is not at least 1"),
    ("features.graph.roles", [], r"\[\] is not a non-empty list of distinct role codes among JUHL"),
    ("features.graph.roles", ["JUHL", "JUHX"], r"\['JUHL', 'JUHX'\] is not a non-empty list"),
    ("features.graph.roles", ["juhl"], r"\['juhl'\] is not a non-empty list of distinct role"),
    ("features.graph.roles", ["JUHL", "JUHL"], r"\['JUHL', 'JUHL'\] is not a non-empty list"),
    ("scoring.risk_classes", [0.05, 0.02, 0.1, 0.25], "is not strictly increasing"),
    ("scoring.risk_classes", [0.02, 0.05, 0.10, 1.5], r"every entry in \(0, 1\)"),
    ("scoring.risk_classes", [0.0, 0.05, 0.10, 0.25], r"every entry in \(0, 1\)"),
    ("scoring.risk_classes", [0.02, 0.05, 0.10], "is not 4 cut-offs"),
    ("scoring.class_names", ["low", "high"], r"\['low', 'high'\] is not 5 entries"),
    ("scoring.class_policies", [["monitoring"]], "is not 5 entries"),
    ("scoring.class_limit_factors", [1.0, 0.5], "is not 5 entries"),
    ("scoring.payment_term_days", [30, 14, 7, 0, -1], "every entry at least 0"),
    ("scoring.suppliers", 0, "0 is not at least 1"),
    ("scoring.alert_jump", 1.0, r"1\.0 is not in \(0, 1\)"),
    ("scoring.psi_warn", 0, r"0\.0 is not greater than 0"),
    ("scoring.source", "live", "'live' is not one of synthetic, real"),
    ("scoring.contributions", "shapley", "'shapley' is not one of approximate, exact"),
    ("scoring.download_max_mb", 0, r"0\.0 is not greater than 0"),
    ("split.validation_until", "2021-06-30", r"2021-06-30 is not after split\.train_until"),
    ("split.gap_months", -1, "-1 is not at least 0"),
    ("synth.end", "2014-12-01", r"2014-12-01 is not on or after synth\.start \(2015-01-01\)"),
    ("synth.n_companies", 0, "0 is not at least 1"),
    ("ingest.max_rejected_share", 2, r"2\.0 is not in \[0, 1\]"),
    ("ingest.max_vanished_share", -0.1, r"-0\.1 is not in \[0, 1\]"),
    ("ingest.max_ended_roles_share", 1.5, r"1\.5 is not in \[0, 1\]"),
    ("selection.tie_break", "calibration", "'calibration' is not null or one of roc_auc, "),
    ("selection.tie_break", "roc_auc", "'roc_auc' is not null or a metric other than metric"),
    ("selection.tie_confidence", 1, r"1\.0 is not in \(0, 1\)"),
    ("selection.tie_rounds", 0, "0 is not at least 1"),
    ("selection.monotonicity_level", 0, r"0\.0 is not in \(0, 1\)"),
    ("selection.monotonicity_level", 1.5, r"1\.5 is not in \(0, 1\)"),
    ("report.min_distinct_share", 1.5, r"1\.5 is not in \[0, 1\]"),
    ("report.min_distinct_share", -0.1, r"-0\.1 is not in \[0, 1\]"),
]


@pytest.mark.parametrize(
    ("key", "value", "expected"), BAD_VALUES, ids=[f"{k}={v}" for k, v, _ in BAD_VALUES]
)
def test_a_bad_value_is_refused_at_load_naming_the_file_and_key(tmp_path, key, value, expected):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(_nested(key, value)), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_params(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert re.search(expected, message), message
    with pytest.raises(ConfigError, match=f"^params: {re.escape(key)}: "):
        params_from_dict(_nested(key, value))


def test_values_on_the_bounds_are_accepted():
    params = params_from_dict(
        {
            "ingest": {"max_rejected_share": 0, "max_vanished_share": 1, "max_record_age_days": 0},
            "synth": {"start": "2020-01-01", "end": "2020-01-01", "daily_tail_days": 0},
            "features": {
                "snapshot_every": "monthly",
                "graph": {"memory_years": 0},
                "horizon_months": 1,
                "horizons_months": [1],
            },
            "split": {"gap_months": 0},
            "models": {"n_jobs": -1, "max_train_rows": None, "calibration": "isotonic"},
            "selection": {"metric": "brier", "min_improvement": 0},
            "scoring": {"source": "real", "contributions": "exact", "payment_term_days": [0] * 5},
            "report": {"bootstrap_rounds": 1, "confidence": 0.5},
        }
    )
    assert params.selection.metric == "brier" and params.report.bootstrap_rounds == 1


def test_every_metric_the_train_stage_computes_can_select():
    for metric in METRIC_NAMES:
        assert params_from_dict({"selection": {"metric": metric}}).selection.metric == metric


def test_replace_checks_again():
    with pytest.raises(ConfigError, match=r"^scoring\.risk_classes: .* strictly increasing"):
        dataclasses.replace(ScoringConfig(), risk_classes=(0.05, 0.02, 0.1, 0.25))
    with pytest.raises(ConfigError, match=r"^report\.confidence: 1\.5 is not in \(0, 1\)"):
        ReportConfig(confidence=1.5)


def test_the_report_deadline_is_one_key_of_features():
    params = load_params(Path("params.yaml"))
    assert params.features.report_deadline_months == 6
    assert not hasattr(params.scoring, "report_deadline_months")
    with pytest.raises(ConfigError, match=r"scoring: unknown key\(s\) report_deadline_months"):
        params_from_dict({"scoring": {"report_deadline_months": 6}})


def test_the_horizons_default_to_the_term_structure_and_end_with_the_label():
    params = load_params(Path("params.yaml"))
    assert params.features.horizons_months == (3, 6, 9, 12)
    assert params_from_dict({}).features.horizons_months == (3, 6, 9, 12)
    other = params_from_dict({"features": {"horizon_months": 24, "horizons_months": [6, 24]}})
    assert other.features.horizons_months == (6, 24)
