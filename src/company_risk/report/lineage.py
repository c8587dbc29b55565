"""Lineage: what exactly the reported models were built from.

An auditor must be able to tie every figure to the code (git commit), the data (the content hash
of every input), the configuration (params.yaml values), the experiment (MLflow run ids) and the
software (package versions). Input hashes come from `dvc.lock` when the pipeline ran under DVC,
because those are the hashes DVC itself will check on `dvc status`; outside DVC they are computed
here the same way for files (MD5 of the bytes) and as an MD5 over the sorted list of
`relative path + file MD5` for folders.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from company_risk.provenance import file_md5

PACKAGES = (
    "company-risk",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "xgboost",
    "skops",
    "shap",
    "networkx",
    "mlflow",
    "dvc",
    "matplotlib",
)
HASH_COLUMNS = ["stage", "kind", "path", "md5", "source"]


def dvc_lock_hashes(lock: Path) -> pd.DataFrame:
    """Every dependency and output hash recorded in dvc.lock, one row per stage and path."""
    data = yaml.safe_load(Path(lock).read_text(encoding="utf-8")) or {}
    rows = []
    for stage, entry in sorted((data.get("stages") or {}).items()):
        for kind in ("deps", "outs"):
            for item in entry.get(kind) or []:
                rows.append(
                    {
                        "stage": stage,
                        "kind": kind[:-1],
                        "path": item.get("path", ""),
                        "md5": item.get("md5") or item.get("hash") or "",
                        "source": "dvc.lock",
                    }
                )
    return pd.DataFrame(rows, columns=HASH_COLUMNS)


def tree_md5(folder: Path) -> str:
    """MD5 over `relative/path md5` lines of every file below `folder`, sorted by path."""
    lines = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        lines.append(f"{path.relative_to(folder).as_posix()} {file_md5(path)}\n")
    return hashlib.md5("".join(lines).encode()).hexdigest() + ".dir"


def computed_hashes(root: Path, paths: list[Path]) -> pd.DataFrame:
    """Hashes of the given inputs that exist, computed from their bytes."""
    rows = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        digest = tree_md5(path) if path.is_dir() else file_md5(path)
        rows.append(
            {"stage": "", "kind": "input", "path": shown, "md5": digest, "source": "computed"}
        )
    return pd.DataFrame(rows, columns=HASH_COLUMNS)


def input_hashes(lock: Path, root: Path, fallback: list[Path]) -> pd.DataFrame:
    """dvc.lock's hashes when it exists, else the computed hashes of `fallback`."""
    if Path(lock).is_file():
        return dvc_lock_hashes(lock)
    return computed_hashes(Path(root), fallback)


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def flatten_params(params: dict[str, Any], prefix: str = "") -> pd.DataFrame:
    """params.yaml values as `section.key` rows, so each is visible (and diffable) on its own."""
    rows = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten_params(value, f"{name}.").to_dict("records"))
        else:
            rows.append({"parameter": name, "value": _text(value)})
    return pd.DataFrame(rows, columns=["parameter", "value"])


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{}"
    return str(value)
