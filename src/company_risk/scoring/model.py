"""Which model scores today: resolve the alias to a version once, load it, check it fits.

`models:/company-risk@champion` is resolved to `models:/company-risk/<version>` before anything
is loaded, and that version (never the alias) goes into the manifest, so a rerun of the day can
load exactly the same model even after the alias has moved. A machine without the tracking
database scores the exported directory `models/champion/`, whose `champion.json` says which
registered version it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_risk.scoring import ScoringError

MODEL_NAME = "company-risk"
META_FILE = "champion.json"


@dataclass(frozen=True)
class ModelRef:
    """A model resolved to one immutable version."""

    uri: str  # what is loaded: models:/<name>/<version> or a directory
    name: str
    version: str
    run_id: str
    feature_columns: tuple[str, ...] = ()
    train_from: str | None = None
    train_until: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "train_from": self.train_from,
            "train_until": self.train_until,
        }


@dataclass
class LoadedModel:
    ref: ModelRef
    pyfunc: Any  # mlflow.pyfunc.PyFuncModel, predicting probabilities
    estimator: Any  # the scikit-learn Pipeline behind it (for per-feature contributions)
    input_columns: list[str] = field(default_factory=list)
    string_columns: frozenset[str] = frozenset()


def resolve_model(model_uri: str, tracking_uri: str | None) -> ModelRef:
    """`models:/name@alias`, `models:/name/version` or an exported model directory."""
    if model_uri.startswith("models:/"):
        return _resolve_registered(model_uri, tracking_uri)
    folder = Path(model_uri)
    if not (folder / "MLmodel").exists():
        raise ScoringError(
            f"--model-uri {model_uri}: neither models:/<name>@<alias>, models:/<name>/<version> "
            "nor an MLflow model directory (no MLmodel file there)"
        )
    meta_path = next(
        (p for p in (folder / META_FILE, folder.parent / META_FILE) if p.exists()), None
    )
    if meta_path is None:
        raise ScoringError(f"{folder}: no {META_FILE} saying which registered version this is")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return ModelRef(
        uri=str(folder.resolve()),
        name=str(meta.get("model_name", MODEL_NAME)),
        version=str(meta["version"]),
        run_id=str(meta.get("run_id", "")),
        feature_columns=tuple(meta.get("feature_columns") or ()),
        train_from=meta.get("train_from"),
        train_until=meta.get("train_until"),
    )


def _resolve_registered(model_uri: str, tracking_uri: str | None) -> ModelRef:
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    spec = model_uri.removeprefix("models:/")
    try:
        if "@" in spec:
            name, alias = spec.split("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        elif "/" in spec:
            name, version = spec.split("/", 1)
            mv = client.get_model_version(name, version)
        else:
            raise ScoringError(
                f"--model-uri {model_uri}: expected models:/<name>@<alias> or models:/<name>/<version>"
            )
    except MlflowException as exc:
        raise ScoringError(
            f"--model-uri {model_uri}: cannot resolve in {tracking_uri}: {exc.message}"
        ) from exc
    tags = dict(mv.tags or {})
    columns = tuple(c for c in tags.get("features", "").split(",") if c)
    return ModelRef(
        uri=f"models:/{mv.name}/{mv.version}",
        name=mv.name,
        version=str(mv.version),
        run_id=mv.run_id or "",
        feature_columns=columns,
        train_from=tags.get("train_from"),
        train_until=tags.get("train_until"),
    )


def load_model(ref: ModelRef, tracking_uri: str | None) -> LoadedModel:
    """Load the resolved version; its input signature gives the feature columns it expects."""
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
    try:
        pyfunc = mlflow.pyfunc.load_model(ref.uri)
    except Exception as exc:  # MLflow raises many kinds here; all mean "cannot load"
        raise ScoringError(f"model {ref.uri}: cannot load: {exc}") from exc
    schema = pyfunc.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        raise ScoringError(f"model {ref.uri}: has no input signature with column names")
    columns = list(schema.input_names())
    strings = frozenset(
        name
        for name, kind in zip(columns, schema.input_types(), strict=True)
        if str(kind).endswith("string")
    )
    return LoadedModel(ref, pyfunc, pyfunc.get_raw_model(), columns, strings)


def check_signature(model: LoadedModel, features: pd.DataFrame) -> None:
    """Refuse features that do not match the model's signature (names and kinds)."""
    missing = [c for c in model.input_columns if c not in features.columns]
    if missing:
        raise ScoringError(
            f"model {model.ref.uri} (version {model.ref.version}) expects feature column(s) the "
            f"features do not have: {', '.join(missing)}"
        )
    wrong = [
        c
        for c in model.input_columns
        if (c in model.string_columns) == pd.api.types.is_numeric_dtype(features[c])
    ]
    if wrong:
        raise ScoringError(
            f"model {model.ref.uri}: feature column(s) of the wrong kind for its signature: "
            + ", ".join(f"{c} ({features[c].dtype})" for c in wrong)
        )


def predict(model: LoadedModel, features: pd.DataFrame) -> np.ndarray:
    """12-month default probability per row (the positive class of predict_proba)."""
    out = model.pyfunc.predict(features[model.input_columns])
    out = np.asarray(out.to_numpy() if hasattr(out, "to_numpy") else out, dtype=float)
    return out[:, -1] if out.ndim == 2 else out
