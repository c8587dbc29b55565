"""A model directory cannot run code: the loader checks it against the project's allow-list
before deserialising anything, and predicts the same bytes on every run."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from builders import champion_meta, version_tags
from company_risk.artifacts import ArtifactError
from company_risk.errors import CompanyRiskError
from company_risk.model_safety import (
    SKOPS_TRUSTED_TYPES,
    UnsafeModelError,
    check_model_dir,
    load_estimator,
)
from company_risk.scoring import ScoringError
from company_risk.scoring.model import load_model, predict, resolve_model
from company_risk.train import candidates as cand


def _rows(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (X["a"] + rng.normal(size=n) > 0.5).astype(int).to_numpy()
    return X, y


def _save(model, target: Path, X: pd.DataFrame, **kwargs) -> Path:
    mlflow.sklearn.save_model(
        sk_model=model,
        path=str(target),
        signature=mlflow.models.infer_signature(X.head(5), model.predict_proba(X.head(5))),
        input_example=X.head(3),
        pyfunc_predict_fn="predict_proba",
        pip_requirements=[],
        **kwargs,
    )
    meta = champion_meta(list(X.columns), version="5", run_id="r5")
    (target / "champion.json").write_text(json.dumps(meta.to_dict()))
    return target


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory) -> Path:
    X, y = _rows()
    target = tmp_path_factory.mktemp("models") / "good"
    return _save(LogisticRegression().fit(X, y), target, X, skops_trusted_types=["numpy.dtype"])


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _edit_mlmodel(folder: Path, edit) -> None:
    doc = yaml.safe_load((folder / "MLmodel").read_text())
    edit(doc)
    (folder / "MLmodel").write_text(yaml.safe_dump(doc))


class _Payload:
    """Unpickling this creates `marker`: what a hostile model.pkl would do (or worse)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _payload_dir(good: Path, target: Path, marker: Path, fmt: str | None = "pickle") -> Path:
    folder = _copy(good, target)
    (folder / "model.skops").unlink()
    (folder / "model.pkl").write_bytes(pickle.dumps(_Payload(marker)))

    def edit(doc):
        sk = doc["flavors"]["sklearn"]
        sk["pickled_model"] = "model.pkl"
        if fmt is None:
            sk.pop("serialization_format")  # MLflow reads a missing format as pickle
        else:
            sk["serialization_format"] = fmt
        sk.pop("skops_trusted_types", None)
        doc["flavors"]["python_function"]["model_path"] = "model.pkl"

    _edit_mlmodel(folder, edit)
    return folder


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle", None])
def test_a_pickled_model_is_refused_before_its_payload_runs(good_dir, tmp_path, fmt):
    marker = tmp_path / "payload_ran"
    folder = _payload_dir(good_dir, tmp_path / "payload", marker, fmt)
    ref = resolve_model(str(folder), None)
    with pytest.raises(UnsafeModelError, match="runs code when loaded") as caught:
        load_model(ref, None)
    assert isinstance(caught.value, CompanyRiskError)
    assert not marker.exists(), "the pickle payload ran"
    with pytest.raises(UnsafeModelError):
        check_model_dir(folder)
    assert not marker.exists()


def test_allow_pickle_loads_a_trusted_pickled_model(tmp_path):
    X, y = _rows()
    model = LogisticRegression().fit(X, y)
    folder = _save(model, tmp_path / "pickled", X, serialization_format="pickle")
    ref = resolve_model(str(folder), None)
    with pytest.raises(UnsafeModelError, match="allow-pickle"):
        load_model(ref, None)
    loaded = load_model(ref, None, allow_pickle=True)
    np.testing.assert_allclose(predict(loaded, X), model.predict_proba(X)[:, 1])


def test_trusted_types_come_from_the_project_not_from_the_model(good_dir, tmp_path):
    # the model's metadata asks skops to trust a dangerous type
    listed = _copy(good_dir, tmp_path / "listed")
    _edit_mlmodel(
        listed, lambda d: d["flavors"]["sklearn"].update(skops_trusted_types=["builtins.exec"])
    )
    with pytest.raises(UnsafeModelError, match="builtins.exec"):
        load_model(resolve_model(str(listed), None), None)
    # the skops file holds a function outside the allow-list (its metadata says nothing)
    held = _copy(good_dir, tmp_path / "held")
    skops.io.dump(FunctionTransformer(func=os.system), held / "model.skops")
    with pytest.raises(UnsafeModelError, match="outside the project.*system"):
        load_estimator(held)
    assert "builtins.exec" not in SKOPS_TRUSTED_TYPES


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["flavors"].update(xgboost={"data": "model.xgb"}), "flavour.*xgboost"),
        (
            lambda d: d["flavors"]["python_function"].update(loader_module="mlflow.pyfunc.model"),
            "loader_module",
        ),
        (lambda d: d["flavors"]["python_function"].update(code="code"), "ships code"),
        (
            lambda d: d["flavors"]["sklearn"].update(pickled_model="../good/model.skops"),
            "lies outside the model directory",
        ),
        (lambda d: d["flavors"]["sklearn"].update(serialization_format="joblib"), "joblib"),
        (lambda d: d["flavors"].pop("sklearn"), "no sklearn flavour"),
    ],
)
def test_flavours_and_files_outside_the_allow_list_are_refused(good_dir, tmp_path, edit, message):
    folder = _copy(good_dir, tmp_path / "edited")
    _edit_mlmodel(folder, edit)
    with pytest.raises(UnsafeModelError, match=message):
        load_model(resolve_model(str(folder), None), None, allow_pickle=True)


def test_a_broken_mlmodel_is_a_named_error(good_dir, tmp_path):
    folder = _copy(good_dir, tmp_path / "broken")
    (folder / "MLmodel").write_bytes(b"\xff\xfe\x00not yaml")
    with pytest.raises(UnsafeModelError, match="not a YAML MLmodel"):
        load_model(resolve_model(str(folder), None), None)


def test_the_projects_own_pipelines_pass_the_check(tmp_path):
    from builders_example import example_features
    from company_risk.schemas import feature_columns
    from company_risk.train.registry import export_champion

    table, _ = example_features(n_companies=80, seed=2)
    columns = feature_columns(table.columns, "all")
    y = table["label"].to_numpy()
    fitted = cand.fit_pipeline("decision_tree", {}, table, y, columns, 0, 1)
    model = cand.calibrate(fitted, table, y, "sigmoid")
    example = table[columns].head(5)
    signature = mlflow.models.infer_signature(example, model.predict_proba(example))
    target = tmp_path / "champion"
    export_champion(model, target, signature, example, [], champion_meta(columns, "5", "r5"))
    loaded = load_model(resolve_model(str(target), None), None)
    np.testing.assert_allclose(
        predict(loaded, table), model.predict_proba(table[columns])[:, 1], rtol=0, atol=0
    )


# ------------------------------------------------------------------------- champion.json
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["5"]', "JSON object"),
        ('{"model_name": "company-risk"}', "no `version`"),
        ('{"version": null}', "no `version`"),
        ('{"version": "5", "feature_columns": "a,b"}', "feature_columns"),
    ],
)
def test_a_bad_champion_json_is_a_named_error(good_dir, tmp_path, text, message):
    folder = _copy(good_dir, tmp_path / "meta")
    (folder / "champion.json").write_text(text)
    with pytest.raises(ArtifactError, match=message):
        resolve_model(str(folder), None)


# ------------------------------------------------------------------- no tracking database
def test_a_registered_uri_without_a_tracking_database_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScoringError, match="needs the tracking database"):
        resolve_model("models:/company-risk@champion", None)
    db = tmp_path / "elsewhere" / "mlflow.db"
    with pytest.raises(ScoringError, match="does not exist"):
        resolve_model("models:/company-risk@champion", f"sqlite:///{db}")
    assert list(tmp_path.iterdir()) == []


def test_a_registered_version_is_downloaded_checked_and_loaded(good_dir, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    marker = tmp_path / "payload_ran"
    payload = _payload_dir(good_dir, tmp_path / "payload", marker)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    tags = version_tags(["a", "b"]).to_dict()
    good = mlflow.register_model(f"file://{good_dir}", "company-risk", tags=tags)
    bad = mlflow.register_model(f"file://{payload}", "company-risk", tags=tags)
    client.set_registered_model_alias("company-risk", "champion", good.version)
    loaded = load_model(resolve_model("models:/company-risk@champion", uri), uri)
    X, _ = _rows(10)
    assert predict(loaded, X).shape == (10,)
    with pytest.raises(UnsafeModelError, match="runs code"):
        load_model(resolve_model(f"models:/company-risk/{bad.version}", uri), uri)
    assert not marker.exists()


# --------------------------------------------------------------------------- determinism
def test_a_multithreaded_forest_predicts_the_same_bytes_every_time(tmp_path):
    X, y = _rows(4000, seed=1)
    forest = RandomForestClassifier(n_estimators=60, max_depth=8, n_jobs=2, random_state=0)
    folder = _save(
        forest.fit(X, y), tmp_path / "forest", X, skops_trusted_types=SKOPS_TRUSTED_TYPES
    )
    loaded = load_model(resolve_model(str(folder), None), None)
    runs = [predict(loaded, X).tobytes() for _ in range(4)]
    assert len(set(runs)) == 1
    np.testing.assert_allclose(np.frombuffer(runs[0]), forest.predict_proba(X)[:, 1], atol=1e-12)
