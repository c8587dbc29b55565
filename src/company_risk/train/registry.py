"""Champion/challenger: register the best candidate, gate its promotion, export the champion.

Every training run registers its best candidate as a new version of `company-risk` and points
the alias `challenger` at it. `champion` (what the daily job scores with) moves only when there
is no champion yet, or when the candidate beats the current champion *on the same test rows*
(the champion is re-scored on today's test set, not compared with figures from its own, older
test set) by at least `selection.min_improvement`. Aliases, never the deprecated stages.

The champion is also exported as a plain MLflow model directory, so a scoring machine without
the tracking database can load it with `mlflow.pyfunc.load_model`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature

from company_risk.atomic import atomic_directory
from company_risk.train.candidates import SKOPS_TRUSTED_TYPES
from company_risk.train.metrics import better

MODEL_NAME = "company-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class Gate:
    """The promotion decision and the figures it rests on."""

    decision: str  # "first" | "promoted" | "kept"
    metric: str
    min_improvement: float
    candidate_test: float
    champion_test: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "min_improvement": self.min_improvement,
            "candidate_test": self.candidate_test,
            "champion_test": self.champion_test,
        }


def gate(
    metric: str,
    min_improvement: float,
    candidate_test: float,
    champion_test: float | None,
    has_champion: bool | None = None,
) -> Gate:
    """Decide promotion: `first` without a champion, `promoted` if the candidate beats the
    champion's score on the same test rows by at least `min_improvement`, else `kept`.

    A champion that cannot score today's rows (its features no longer exist: `has_champion`
    but no `champion_test`) is replaced, since it could not serve the daily job either.
    """
    if min_improvement < 0:
        raise ValueError(f"selection.min_improvement must be >= 0, got {min_improvement}")
    if champion_test is None:
        decision = "promoted" if has_champion else "first"
    elif better(metric, candidate_test, champion_test, margin=min_improvement):
        decision = "promoted"
    else:
        decision = "kept"
    return Gate(decision, metric, float(min_improvement), float(candidate_test), champion_test)


@dataclass(frozen=True)
class ChampionInfo:
    """What the registry knows about a version (from the tags set when it was registered)."""

    version: str
    run_id: str
    tags: dict[str, str]

    @property
    def model(self) -> str:
        return self.tags.get("model", "")

    @property
    def feature_set(self) -> str:
        return self.tags.get("feature_set", "")

    def summary(self) -> dict[str, str]:
        return {
            "version": self.version,
            "run_id": self.run_id,
            "model": self.model,
            "feature_set": self.feature_set,
        }


def current_champion(client: mlflow.MlflowClient, name: str = MODEL_NAME) -> ChampionInfo | None:
    """The version behind alias `champion`, or None when the model or alias does not exist."""
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    return ChampionInfo(str(version.version), version.run_id, dict(version.tags))


def register_candidate(
    client: mlflow.MlflowClient, model_uri: str, tags: dict[str, str], name: str = MODEL_NAME
) -> ChampionInfo:
    """Register `model_uri` as a new version and point `challenger` at it."""
    version = mlflow.register_model(model_uri, name, tags=tags)
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    return ChampionInfo(str(version.version), version.run_id, dict(tags))


def apply_gate(
    client: mlflow.MlflowClient,
    candidate: ChampionInfo,
    decision: Gate,
    champion_before: ChampionInfo | None,
    name: str = MODEL_NAME,
) -> ChampionInfo:
    """Move `champion` if the gate says so; tag the candidate version with the decision."""
    tags = {
        "decision": decision.decision,
        "gate_metric": decision.metric,
        "gate_min_improvement": str(decision.min_improvement),
        "gate_candidate_test": f"{decision.candidate_test:.6f}",
        "gate_champion_test": ""
        if decision.champion_test is None
        else f"{decision.champion_test:.6f}",
        "gate_champion_version": "" if champion_before is None else champion_before.version,
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, candidate.version, key, value)
    if decision.decision in ("first", "promoted") or champion_before is None:
        client.set_registered_model_alias(name, CHAMPION, candidate.version)
        return candidate
    return champion_before


def load_version(version: str, name: str = MODEL_NAME) -> Any:
    """The scikit-learn Pipeline of a registered version."""
    return mlflow.sklearn.load_model(f"models:/{name}/{version}")


def export_champion(
    model: Any,
    target: Path,
    signature: ModelSignature | None,
    input_example: pd.DataFrame,
    pip_requirements: list[str],
    meta: dict[str, Any],
) -> Path:
    """Save the champion as an MLflow model directory at `target` (atomically) with
    `champion.json` beside `MLmodel`: name, version, run id, feature set and columns, and the
    training snapshot range, so a scoring machine knows what it loaded without the registry."""
    with atomic_directory(target) as tmp:
        mlflow.sklearn.save_model(
            sk_model=model,
            path=str(tmp),
            signature=signature,
            input_example=input_example,
            pyfunc_predict_fn="predict_proba",
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            pip_requirements=pip_requirements,
        )
        (tmp / "champion.json").write_text(
            json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
    return target
