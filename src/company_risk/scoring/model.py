"""Which model scores today: resolve the alias to a version once, load it, check it fits.

`models:/company-risk@champion` is resolved to `models:/company-risk/<version>` before anything
is loaded, and that version (never the alias) goes into the manifest, so a rerun of the day can
load exactly the same model even after the alias has moved. A machine without the tracking
database scores the exported directory `models/champion/`, whose `champion.json` says which
registered version it is; asking it for a `models:/` URI is refused before MLflow could create
an empty database.

Loading never runs code from the model: the directory (downloaded first for a `models:/` URI)
is checked against the project's allow-list in company_risk.model_safety, and its model file is
deserialised there, pickle only with `allow_pickle`. A model's term structure (the 3/6/9-month
probabilities, company_risk.term_structure) comes with its version: champion.json's
`term_structure`, or the registered version's tag of that name. Prediction is single-threaded (`n_jobs=1`
on every part of the loaded pipeline): a random forest adds its trees' votes in the order its
threads finish, so two runs of the same day would differ in the last bits of a probability.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_risk.artifacts import CHAMPION_META, ChampionMeta, VersionTags
from company_risk.model_safety import load_estimator
from company_risk.schemas import horizon_probability
from company_risk.scoring import ScoringError
from company_risk.term_structure import TAG as TERM_STRUCTURE_TAG
from company_risk.term_structure import TermStructure, TermStructureError


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
    # the 3/6/9-month probabilities beside the 12-month one (champion.json's `term_structure`,
    # or a registered version's tag of that name); None: the scores have no `pd_<h>m` column
    term_structure: TermStructure | None = None

    def describe(self) -> dict[str, Any]:
        """The manifest's record of the model, with the term structure's coefficients (a
        re-train may refit them for a kept version, so a day records those it scored with)."""
        structure = self.term_structure
        return {
            "uri": self.uri,
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "train_from": self.train_from,
            "train_until": self.train_until,
            "term_structure": None if structure is None else structure.to_dict(),
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
        (p for p in (folder / CHAMPION_META, folder.parent / CHAMPION_META) if p.exists()), None
    )
    if meta_path is None:
        raise ScoringError(f"{folder}: no {CHAMPION_META} saying which registered version this is")
    meta = ChampionMeta.read(meta_path)
    structure = None
    if meta.term_structure is not None:
        structure = _term_structure(
            lambda where: TermStructure.from_dict(meta.term_structure, where),
            f"{meta_path}: term_structure",
        )
    return ModelRef(
        uri=str(folder.resolve()),
        name=meta.model_name,
        version=meta.version,
        run_id=meta.run_id,
        feature_columns=meta.feature_columns,
        train_from=meta.train_from,
        train_until=meta.train_until,
        term_structure=structure,
    )


def _term_structure(read: Callable[[str], TermStructure], where: str) -> TermStructure:
    """A model's term structure read by `read`, a malformed one refused as a ScoringError."""
    try:
        return read(where)
    except TermStructureError as exc:
        raise ScoringError(str(exc)) from exc


def tracking_database_missing(tracking_uri: str | None) -> str | None:
    """Why `tracking_uri` has no registry to read, or None when it may have one. A SQLite file
    is looked for here, before MLflow opens it: MLflow would create an empty database, after
    which every plain `score` takes the registry path and fails."""
    if not tracking_uri:
        return "no tracking database (MLFLOW_TRACKING_URI is unset and there is no mlflow.db)"
    if not tracking_uri.startswith("sqlite:"):
        return None  # a server or another database: MLflow answers for it
    location = tracking_uri.removeprefix("sqlite:").split("?", 1)[0]
    if not location.startswith("///"):
        return None  # sqlite:// is in memory
    location = location.removeprefix("///")
    if location in ("", ":memory:"):
        return None
    if not Path(location).is_file():
        return f"the tracking database {location} does not exist"
    return None


def _resolve_registered(model_uri: str, tracking_uri: str | None) -> ModelRef:
    missing = tracking_database_missing(tracking_uri)
    if missing:
        raise ScoringError(
            f"--model-uri {model_uri}: a registered model needs the tracking database, and "
            f"{missing}; score the exported model directory (models/champion) instead"
        )
    import mlflow  # about a second to import: only where the registry is asked
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
    where = f"{model_uri} (version {mv.version})"
    tags = VersionTags.from_dict(dict(mv.tags or {}), where)
    structure_tag = (mv.tags or {}).get(TERM_STRUCTURE_TAG)
    structure = None
    if structure_tag:
        structure = _term_structure(
            lambda w: TermStructure.from_json(structure_tag, w),
            f"{where} tag {TERM_STRUCTURE_TAG}",
        )
    return ModelRef(
        uri=f"models:/{mv.name}/{mv.version}",
        name=mv.name,
        version=str(mv.version),
        run_id=mv.run_id or "",
        feature_columns=tags.features,
        train_from=tags.train_from,
        train_until=tags.train_until,
        term_structure=structure,
    )


def load_model(
    ref: ModelRef, tracking_uri: str | None, *, allow_pickle: bool = False
) -> LoadedModel:
    """Load the resolved version after checking it against the project's allow-list
    (company_risk.model_safety; `allow_pickle=True` lets a pickle or cloudpickle model through,
    for a model from a trusted source only). Its input signature gives the feature columns it
    expects; it predicts single-threaded."""
    from mlflow.models import Model  # mlflow takes about a second: only loading needs it
    from mlflow.pyfunc import PyFuncModel

    with tempfile.TemporaryDirectory(prefix="company-risk-model-") as scratch:
        folder = _local_copy(ref, tracking_uri, Path(scratch))
        estimator = load_estimator(folder, allow_pickle=allow_pickle)
        try:
            meta = Model.load(str(folder))
        except Exception as exc:  # MLflow raises many kinds here; all mean "cannot load"
            raise ScoringError(f"model {ref.uri}: cannot read its MLmodel: {exc}") from exc
    if not hasattr(estimator, "predict_proba"):
        raise ScoringError(f"model {ref.uri}: a {type(estimator).__name__} has no predict_proba")
    single_threaded(estimator)
    pyfunc = PyFuncModel(model_meta=meta, model_impl=_Probabilities(estimator))
    schema = pyfunc.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        raise ScoringError(f"model {ref.uri}: has no input signature with column names")
    columns = list(schema.input_names())
    strings = frozenset(
        name
        for name, kind in zip(columns, schema.input_types(), strict=True)
        if str(kind).endswith("string")
    )
    return LoadedModel(ref, pyfunc, estimator, columns, strings)


def _local_copy(ref: ModelRef, tracking_uri: str | None, scratch: Path) -> Path:
    """The model directory on this machine: the directory itself, or a registered version's
    files downloaded into `scratch`, so that what is checked is what is loaded."""
    if not ref.uri.startswith("models:/"):
        return Path(ref.uri)
    missing = tracking_database_missing(tracking_uri)
    if missing:
        raise ScoringError(f"model {ref.uri}: {missing}")
    import mlflow  # about a second to import: only a registered version is downloaded

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=ref.uri, dst_path=str(scratch), tracking_uri=tracking_uri
        )
    except Exception as exc:  # MLflow raises many kinds here; all mean "cannot load"
        raise ScoringError(f"model {ref.uri}: cannot download: {exc}") from exc
    return Path(local)


class _Probabilities:
    """The pyfunc implementation behind a loaded model: the pipeline's predict_proba (what every
    model of the project is logged to serve), without MLflow's own loader."""

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> np.ndarray:
        return self.estimator.predict_proba(data)

    def get_raw_model(self) -> Any:
        return self.estimator


def single_threaded(estimator: Any) -> Any:
    """Set `n_jobs=1` on every part of a fitted model that has the parameter (pipeline steps,
    the calibrator, frozen and inner estimators), so that its predictions are the same bytes on
    every run. Returns the same object."""
    seen: set[int] = set()
    stack = [estimator]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, list | tuple):
            stack.extend(obj)
        elif hasattr(obj, "get_params") and hasattr(obj, "__dict__"):
            if "n_jobs" in obj.get_params(deep=False):
                obj.n_jobs = 1
            stack.extend(
                value
                for value in vars(obj).values()
                if hasattr(value, "get_params") or isinstance(value, list | tuple)
            )
    return estimator


def check_columns(
    model: LoadedModel, columns: Iterable[str], source: str = "the features table"
) -> None:
    """Refuse a table (`source`, given by its column names) that lacks a column of the model's
    signature, e.g. when the model was trained on another feature set. Call it before reading
    or predicting, so that the refusal is this message and not a reader's traceback."""
    have = set(columns)
    missing = [c for c in model.input_columns if c not in have]
    if missing:
        raise ScoringError(
            f"model {model.ref.uri} (version {model.ref.version}) expects feature column(s) "
            f"that {source} lacks: {', '.join(missing)}"
        )


def check_signature(model: LoadedModel, features: pd.DataFrame) -> None:
    """Refuse features that do not match the model's signature (names and kinds)."""
    check_columns(model, features.columns)
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


def term_probabilities(model: LoadedModel, probability: np.ndarray) -> dict[str, np.ndarray]:
    """`pd_<h>m` -> the default probability within h months, for each shorter horizon of the
    model's term structure, from its 12-month `probability` (monotone: pd_3m <= pd_6m <= pd_9m
    <= probability); empty for a model without one."""
    structure = model.ref.term_structure
    if structure is None:
        return {}
    return {horizon_probability(h): p for h, p in structure.apply(probability).items()}
