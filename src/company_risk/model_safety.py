"""Loading a model directory without running code from it.

Unpickling a file runs whatever it was told to run, and MLflow's own loaders trust the model's
metadata: they unpickle `serialization_format: pickle` by default and hand skops the trusted
types listed in the model's own `MLmodel`. A model directory is therefore checked here against
the project's allow-list, defined once below and never read from the model, before one byte of
its model file is deserialised:

- flavours: `python_function` (loader `mlflow.sklearn`) and `sklearn`, nothing else, and no
  `code` folder (it would be put on `sys.path`);
- serialisation: skops; pickle and cloudpickle only when the operator passes `allow_pickle`;
- trusted types: those the `MLmodel` lists and those the skops file holds (read from its schema,
  without loading it) must all be in `SKOPS_TRUSTED_TYPES`, and skops loads with that list.

The model file is then loaded here, not by MLflow, so the checked file is the loaded file.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from company_risk.errors import CompanyRiskError

# Types outside skops' default allow-list that our pipelines contain: the project's own,
# reviewed list. Models are logged with it (so skops can check them when they are saved) and
# loaded with it; a type a model's metadata asks for beyond it is refused.
SKOPS_TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
]
PYFUNC_FLAVOUR = "python_function"
SKLEARN_FLAVOUR = "sklearn"
ALLOWED_FLAVOURS = frozenset({PYFUNC_FLAVOUR, SKLEARN_FLAVOUR})
PYFUNC_LOADER = "mlflow.sklearn"
SAFE_FORMATS = ("skops",)
PICKLE_FORMATS = ("pickle", "cloudpickle")  # run code when loaded: only with allow_pickle
MLMODEL = "MLmodel"


class UnsafeModelError(CompanyRiskError, ValueError):
    """A model directory is refused before loading: a flavour, serialisation format or trusted
    type outside the project's allow-list, or a malformed `MLmodel`."""


@dataclass(frozen=True)
class CheckedModel:
    """A model directory that passed the checks, and the one file to deserialise."""

    folder: Path
    model_file: Path
    serialization_format: str


def check_model_dir(folder: Path, *, allow_pickle: bool = False) -> CheckedModel:
    """Check `folder` against the allow-list without deserialising anything; raise
    UnsafeModelError naming what is refused."""
    folder = Path(folder)
    flavours = _flavours(folder)
    where = f"model {folder}"
    unknown = sorted(set(flavours) - ALLOWED_FLAVOURS)
    if unknown:
        raise UnsafeModelError(
            f"{where}: flavour(s) {', '.join(unknown)} not allowed "
            f"(allowed: {', '.join(sorted(ALLOWED_FLAVOURS))})"
        )
    for name in (PYFUNC_FLAVOUR, SKLEARN_FLAVOUR):
        if not isinstance(flavours.get(name), dict):
            raise UnsafeModelError(f"{where}: no {name} flavour in {MLMODEL}")
    pyfunc, sk = flavours[PYFUNC_FLAVOUR], flavours[SKLEARN_FLAVOUR]
    if pyfunc.get("loader_module") != PYFUNC_LOADER:
        raise UnsafeModelError(
            f"{where}: {PYFUNC_FLAVOUR} loader_module {pyfunc.get('loader_module')!r} not "
            f"allowed (only {PYFUNC_LOADER})"
        )
    for name, conf in ((PYFUNC_FLAVOUR, pyfunc), (SKLEARN_FLAVOUR, sk)):
        if conf.get("code"):
            raise UnsafeModelError(f"{where}: {name} flavour ships code ({conf['code']!r})")

    # MLflow reads a missing format as pickle; so does this check
    fmt = sk.get("serialization_format", "pickle")
    if fmt in PICKLE_FORMATS:
        if not allow_pickle:
            raise UnsafeModelError(
                f"{where}: serialised with {fmt}, which runs code when loaded; refused "
                "(pass --allow-pickle only for a model from a trusted source)"
            )
    elif fmt not in SAFE_FORMATS:
        raise UnsafeModelError(f"{where}: serialization_format {fmt!r} not allowed")

    listed = sk.get("skops_trusted_types") or []
    if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
        raise UnsafeModelError(f"{where}: skops_trusted_types is not a list of type names")
    _refuse_untrusted(where, "its MLmodel trusts", listed)

    model_file = _inside(folder, sk.get("pickled_model"), where)
    if pyfunc.get("model_path") != sk.get("pickled_model"):
        raise UnsafeModelError(
            f"{where}: {PYFUNC_FLAVOUR} model_path {pyfunc.get('model_path')!r} is not the "
            f"{SKLEARN_FLAVOUR} file {sk.get('pickled_model')!r}"
        )
    if fmt == "skops":
        import skops.io

        try:
            held = skops.io.get_untrusted_types(file=model_file)
        except Exception as exc:  # a broken zip or schema: skops raises many kinds
            raise UnsafeModelError(
                f"{where}: {model_file.name} is not a skops file: {exc}"
            ) from exc
        _refuse_untrusted(where, f"{model_file.name} holds", held)
    return CheckedModel(folder, model_file, fmt)


def load_estimator(folder: Path, *, allow_pickle: bool = False) -> Any:
    """The scikit-learn object of a model directory, after `check_model_dir`; skops loads it
    with the project's allow-list, never with the list in the model's metadata."""
    checked = check_model_dir(folder, allow_pickle=allow_pickle)
    if checked.serialization_format == "skops":
        import skops.io

        return skops.io.load(checked.model_file, trusted=SKOPS_TRUSTED_TYPES)
    with checked.model_file.open("rb") as fh:  # allow_pickle: the operator trusts the source
        if checked.serialization_format == "cloudpickle":
            import cloudpickle

            return cloudpickle.load(fh)
        return pickle.load(fh)


def _flavours(folder: Path) -> dict[str, Any]:
    path = folder / MLMODEL
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnsafeModelError(f"{path}: cannot read ({exc.strerror})") from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UnsafeModelError(f"{path}: not a YAML MLmodel file ({exc})") from exc
    flavours = doc.get("flavors") if isinstance(doc, dict) else None
    if not isinstance(flavours, dict):
        raise UnsafeModelError(f"{path}: no `flavors` mapping")
    return flavours


def _refuse_untrusted(where: str, what: str, types: list[str]) -> None:
    extra = sorted(set(types) - set(SKOPS_TRUSTED_TYPES))
    if extra:
        raise UnsafeModelError(
            f"{where}: {what} type(s) outside the project's skops allow-list: {', '.join(extra)}"
        )


def _inside(folder: Path, name: Any, where: str) -> Path:
    """The model file named by the flavour, which must be a file inside `folder`."""
    if not isinstance(name, str) or not name:
        raise UnsafeModelError(f"{where}: the {SKLEARN_FLAVOUR} flavour names no model file")
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise UnsafeModelError(f"{where}: model file {name!r} lies outside the model directory")
    if not path.is_file():
        raise UnsafeModelError(f"{where}: model file {name!r} not found")
    return path
