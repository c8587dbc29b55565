"""The catalogue's records: what one stage writes, another reads back unchanged, and a file that
lacks a key is refused with the file and the key named."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from builders import champion_meta, version_tags
from company_risk import artifacts as art


def test_version_tags_round_trip_through_mlflow_strings():
    tags = version_tags(["tax__debt", "desc__age_years"], threshold=0.123456789, val=0.81)
    flat = tags.to_dict()
    assert all(isinstance(v, str) for v in flat.values())
    assert flat["val_roc_auc"] == "0.810000" and flat["features"] == "tax__debt,desc__age_years"
    assert art.VersionTags.from_dict(flat) == tags


def test_champion_meta_round_trips_and_names_a_missing_key(tmp_path):
    meta = champion_meta(["tax__debt"], version="4")
    path = tmp_path / art.CHAMPION_META
    path.write_text(json.dumps(meta.to_dict()))
    assert art.ChampionMeta.read(path) == meta
    broken = meta.to_dict()
    del broken["train_until"]
    path.write_text(json.dumps(broken))
    with pytest.raises(art.ArtifactError, match=r"champion.json: no `train_until`"):
        art.ChampionMeta.read(path)


def test_registry_decision_round_trips_with_and_without_a_champion_before():
    after = art.VersionRecord("2", "run2", "xgboost", "all", test=0.84)
    decision = art.RegistryDecision(
        training_run_id="parent",
        candidate=after,
        candidate_val=0.85,
        champion_before=None,
        champion_after=after,
        gate=art.GateRecord("first", "roc_auc", 0.002, 0.84, None),
    )
    assert art.RegistryDecision.from_dict(json.loads(json.dumps(decision.to_dict()))) == decision
    kept = decision.to_dict() | {
        "champion_before": {"version": "1", "run_id": "run1", "model": "svm", "feature_set": "tax"}
    }
    assert art.RegistryDecision.from_dict(kept).champion_before.test is None
    del kept["gate"]["decision"]
    with pytest.raises(art.ArtifactError, match="registry.json gate: no `decision`"):
        art.RegistryDecision.from_dict(kept)


def test_read_json_object_refuses_what_is_not_an_object(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1]")
    with pytest.raises(art.ArtifactError, match="expected a JSON object"):
        art.read_json_object(path)
    path.write_text("{nope")
    with pytest.raises(art.ArtifactError, match="not valid JSON"):
        art.read_json_object(path)


def test_a_spark_scored_day_is_a_scored_day_for_every_reader(tmp_path):
    """The report and the score history list and read partitions through the catalogue, so a
    day written as Spark part files is seen like a pandas-scored one."""
    from company_risk.report.collect import read_scores_day, score_history

    day = dt.date(2025, 3, 1)
    folder = art.partition_dir(tmp_path, day)
    folder.mkdir(parents=True)
    pd.DataFrame({"company_id": ["1"], "probability": [0.1], "risk_class": ["I"]}).to_parquet(
        folder / "part-00000.parquet"
    )
    pd.DataFrame({"company_id": ["2"], "probability": [0.4], "risk_class": ["IV"]}).to_parquet(
        folder / "part-00001.parquet"
    )
    (folder / art.MANIFEST_FILE).write_text("{}")
    assert art.list_partitions(tmp_path) == [day]
    assert read_scores_day(tmp_path).scores["company_id"].tolist() == ["1", "2"]
    assert score_history(tmp_path, "2")["risk_class"].tolist() == ["IV"]


def test_each_family_has_one_name_from_the_definitions_to_the_report():
    """A feature's family, its feature set in params.yaml, the catalogue and the report's
    labels all use the same name; its columns carry the family's prefix."""
    from company_risk.config import ModelsConfig
    from company_risk.features.catalogue import FEATURES, catalogue_markdown
    from company_risk.report.compare import FAMILIES, FEATURE_SET_LABELS
    from company_risk.schemas import CATEGORICAL_FEATURES, FEATURE_FAMILIES, family_of

    assert {f.family for f in FEATURES} == set(FEATURE_FAMILIES) == set(FAMILIES)
    assert all(family_of(f.name) == f.family for f in FEATURES)
    assert set(ModelsConfig().feature_sets) == set(FEATURE_SET_LABELS)
    assert {f.name for f in FEATURES if f.categorical} == set(CATEGORICAL_FEATURES)
    assert "| descriptive |" in catalogue_markdown()


def test_a_refused_gate_names_its_failing_classes_in_registry_json():
    after = art.VersionRecord("2", "run2", "xgboost", "all", test=0.84)
    gate = art.GateRecord("refused", "roc_auc", 0.002, 0.84, None, ("III -> IV",))
    decision = art.RegistryDecision("parent", after, 0.85, None, after, gate)
    again = art.RegistryDecision.from_dict(json.loads(json.dumps(decision.to_dict())))
    assert again.gate.violations == ("III -> IV",)
    older = decision.to_dict()
    del older["gate"]["violations"]  # a registry.json written before the field existed
    assert art.RegistryDecision.from_dict(older).gate.violations == ()
