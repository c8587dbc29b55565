"""Champion/challenger: choose the best candidate, register it, gate its promotion, export the
champion.

The best candidate (`choose_candidate`) has the best validation `selection.metric` (ROC-AUC:
the ranking the risk classes need) unless a run inside the leader's bootstrap interval of it
has a better `selection.tie_break` (Brier: the calibrated probability credit limits need).
Every training run registers its best candidate as a new version of `company-risk` and points
the alias `challenger` at it. `champion` (what the daily job scores with) moves only when there
is no champion yet, or when the candidate beats the current champion *on the same test rows*
(the champion is re-scored on today's test set, not compared with figures from its own, older
test set) by at least `selection.min_improvement`, and never to a candidate whose risk classes
are not monotone on validation beyond sampling noise (`gate`'s `refused`). Aliases, never the
deprecated stages.

The champion is also exported as a plain MLflow model directory, so a scoring machine without
the tracking database can load it with `mlflow.pyfunc.load_model`.

The alias, the export and `reports/registry.json` must name the same version, or the daily job
(which follows the alias) and the DVC `score` stage (which reads the export) score with
different models. So `champion` moves last: `publish_champion` writes the files first, moves
the alias only when they are written, and on any failure puts the files back as they were and
the alias where it was. (A kill between the last file and the alias move, a few milliseconds,
leaves the files one version ahead until the next `train` rewrites all three.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature

from company_risk.artifacts import (
    CHALLENGER,
    CHAMPION,
    CHAMPION_META,
    REGISTERED_MODEL,
    ArtifactError,
    ChampionMeta,
    GateRecord,
    VersionRecord,
    VersionTags,
)
from company_risk.atomic import atomic_directory, atomic_path
from company_risk.metrics import MetricError, better, binary_metrics, sort_key
from company_risk.model_safety import SKOPS_TRUSTED_TYPES, load_estimator

log = logging.getLogger("company_risk.train")


# ---------------------------------------------------------------------------- the selection
def _preferred(metric: str, tie_break: str | None, a: dict, b: dict, a_first: bool) -> bool:
    """Whether candidate `a` dominates `b`: whenever `b` could be chosen, `a` is chosen instead
    (`a_first`: `a` comes earlier in the grid, which wins exact ties)."""
    ka, kb = sort_key(metric, a[metric]), sort_key(metric, b[metric])
    if tie_break is None:
        return ka < kb or (ka == kb and a_first)
    ta, tb = sort_key(tie_break, a[tie_break]), sort_key(tie_break, b[tie_break])
    # if b ties with the leader, so does a (its metric is as good); then a's tie-break wins
    return ka <= kb and (ta < tb or (ta == tb and a_first))


def never_chosen(values: Sequence[dict], metric: str, tie_break: str | None) -> list[int]:
    """The positions (grid order) of the candidates `choose_candidate` can never pick, whatever
    the interval: another is at least as good on `metric` and better on `tie_break` (or, with
    no tie-break, better on `metric`; exact ties go to the earlier one). The grid lets their
    fitted models go as soon as they are trained."""
    return [
        j
        for j, b in enumerate(values)
        if any(_preferred(metric, tie_break, a, b, i < j) for i, a in enumerate(values) if i != j)
    ]


def leader(values: Sequence[dict], metric: str) -> int:
    """The position of the first candidate with the best validation `metric`."""
    keys = [sort_key(metric, v[metric]) for v in values]
    return keys.index(min(keys))


def metric_interval(
    metric: str,
    y: np.ndarray,
    p: np.ndarray,
    threshold: float,
    companies: np.ndarray,
    rounds: int,
    confidence: float,
    seed: int,
) -> tuple[float, float] | None:
    """The percentile bootstrap interval of `metric` of probabilities `p` for labels `y`:
    companies drawn with replacement, each with all its rows (a company's snapshots are not
    independent), seeded, so a rerun gives the same interval. None when no resample held both
    classes."""
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    codes, uniques = pd.factorize(pd.Series(companies, dtype="str"))
    rng = np.random.default_rng(seed)
    rows_of = np.arange(len(y))
    values = []
    for _ in range(rounds):
        drawn = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        rows = np.repeat(rows_of, drawn[codes])
        try:
            values.append(binary_metrics(y[rows], p[rows], threshold)[metric])
        except MetricError:  # a resample with one class has no ROC-AUC
            continue
    if not values:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def choose_candidate(
    values: Sequence[dict],
    metric: str,
    tie_break: str | None,
    interval: tuple[float, float] | None,
) -> int:
    """The position of the best candidate: the leader on `metric` (`leader`), or, with a
    `tie_break`, the candidate with the best `tie_break` among those whose `metric` is no worse
    than the worse end of the leader's `interval` (`metric_interval`) or than the leader's own
    figure (None: only the runs level with the leader tie); exact ties go to the earlier
    candidate. Never one of `never_chosen`."""
    first = leader(values, metric)
    if tie_break is None:
        return first
    # a percentile interval need not hold its own point: the leader's figure always ties
    worst = max(sort_key(metric, v) for v in (*(interval or ()), values[first][metric]))
    tied = [i for i, v in enumerate(values) if sort_key(metric, v[metric]) <= worst]
    keys = [sort_key(tie_break, values[i][tie_break]) for i in tied]
    return tied[keys.index(min(keys))]


# --------------------------------------------------------------------------------- the gate
def gate(
    metric: str,
    min_improvement: float,
    candidate_test: float,
    champion_test: float | None,
    has_champion: bool | None = None,
    violations: Sequence[str] = (),
) -> GateRecord:
    """Decide promotion: `refused` when the candidate's risk classes are not monotone on
    validation (`violations`: master_scale.describe_violations of the pairs whose default rate
    falls by more than sampling noise), else `first` without a champion, `promoted` if the
    candidate beats the champion's score on the same test rows by at least `min_improvement`,
    else `kept`.

    A champion that cannot score today's rows (its features no longer exist: `has_champion`
    but no `champion_test`) is replaced, since it could not serve the daily job either.

    A `refused` candidate is still registered (alias `challenger`) and tagged; the champion
    stays. Without a champion that can serve the daily job (none yet, or one that cannot score
    today's rows) the refused candidate becomes champion all the same, flagged `refused` in its
    version tags, reports/registry.json and the report: the daily job and the DVC `score` stage
    need a champion to score with, and a flagged one is better than none (`record_gate`).
    """
    if violations:
        decision = "refused"
    elif champion_test is None:
        decision = "promoted" if has_champion else "first"
    elif better(metric, candidate_test, champion_test, margin=min_improvement):
        decision = "promoted"
    else:
        decision = "kept"
    return GateRecord(
        decision,
        metric,
        float(min_improvement),
        float(candidate_test),
        champion_test,
        tuple(violations),
    )


@dataclass(frozen=True)
class ChampionInfo:
    """A registered version and its tags; `tags` is None when they are not this project's
    (a version registered by other code), which the gate treats like a champion that cannot
    score today's rows."""

    version: str
    run_id: str
    tags: VersionTags | None

    def record(self, test: float | None = None) -> VersionRecord:
        return VersionRecord(
            version=self.version,
            run_id=self.run_id,
            model="" if self.tags is None else self.tags.model,
            feature_set="" if self.tags is None else self.tags.feature_set,
            test=test,
        )


def _info(version: Any) -> ChampionInfo:
    where = f"registered version {version.version}"
    try:
        tags = VersionTags.from_dict(dict(version.tags or {}), where)
    except ArtifactError as exc:
        log.warning("%s; it is treated as a champion that cannot score today's rows", exc)
        tags = None
    return ChampionInfo(str(version.version), version.run_id, tags)


def current_champion(
    client: mlflow.MlflowClient, name: str = REGISTERED_MODEL
) -> ChampionInfo | None:
    """The version behind alias `champion`, or None when the model or alias does not exist."""
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    return _info(version)


def register_candidate(
    client: mlflow.MlflowClient, model_uri: str, tags: VersionTags, name: str = REGISTERED_MODEL
) -> ChampionInfo:
    """Register `model_uri` as a new version and point `challenger` at it."""
    version = mlflow.register_model(model_uri, name, tags=tags.to_dict())
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    return ChampionInfo(str(version.version), version.run_id, tags)


def record_gate(
    client: mlflow.MlflowClient,
    candidate: ChampionInfo,
    decision: GateRecord,
    champion_before: ChampionInfo | None,
    name: str = REGISTERED_MODEL,
) -> ChampionInfo:
    """Tag the candidate version with the decision (and, as `gate_monotonicity`, the class pairs
    whose default rate falls beyond noise, or `monotone`) and return the champion the gate
    chose: a refused candidate only when no champion can serve (none, or one that could not
    score today's rows: no `champion_test`). The alias does not move here: `publish_champion`
    moves it once the files are written."""
    tags = {
        "decision": decision.decision,
        "gate_metric": decision.metric,
        "gate_min_improvement": str(decision.min_improvement),
        "gate_candidate_test": f"{decision.candidate_test:.6f}",
        "gate_champion_test": ""
        if decision.champion_test is None
        else f"{decision.champion_test:.6f}",
        "gate_champion_version": "" if champion_before is None else champion_before.version,
        "gate_monotonicity": "; ".join(decision.violations) if decision.violations else "monotone",
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, candidate.version, key, value)
    if decision.decision in ("first", "promoted") or champion_before is None:
        return candidate
    if decision.decision == "refused" and decision.champion_test is None:
        return candidate  # the champion before cannot score today's rows: it cannot serve
    return champion_before


@contextlib.contextmanager
def publish_champion(
    client: mlflow.MlflowClient,
    champion_after: ChampionInfo,
    champion_before: ChampionInfo | None,
    outputs: Sequence[Path],
    name: str = REGISTERED_MODEL,
    tags: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Write the champion's files (the export, the reports) in the block; `tags` (the term
    structure) are set on `champion_after`'s version and `champion` moves to it only after the
    block has written them all. If the block, a tag or the alias move fails, every path of
    `outputs` (files or folders) is put back as it was before the block, or removed if it did
    not exist, the tags are put back, and the alias is pointed back at `champion_before`: a
    `models:/` reader and `models/champion/` never disagree."""
    tags = dict(tags or {})
    moves = champion_before is None or champion_before.version != champion_after.version
    with _kept(outputs) as restore:
        version = client.get_model_version(name, champion_after.version)
        tags_before = {key: version.tags.get(key) for key in tags}
        try:
            yield
            for key, value in tags.items():
                client.set_model_version_tag(name, champion_after.version, key, value)
            if moves:
                client.set_registered_model_alias(name, CHAMPION, champion_after.version)
        except BaseException:
            restore()
            _tags_back(client, name, champion_after.version, tags_before)
            if moves:
                _alias_back(client, champion_before, name)
            raise
    if moves:
        log.info("alias %s -> version %s", CHAMPION, champion_after.version)


def _tags_back(
    client: mlflow.MlflowClient, name: str, version: str, before: Mapping[str, str | None]
) -> None:
    """Put the version's tags back as they were (deleting those it did not have); a failure
    is logged, not raised, as in `_alias_back`."""
    for key, value in before.items():
        try:
            if value is None:
                client.delete_model_version_tag(name, version, key)
            else:
                client.set_model_version_tag(name, version, key, value)
        except Exception:
            log.exception("could not put tag %s of version %s back", key, version)


def _alias_back(client: mlflow.MlflowClient, before: ChampionInfo | None, name: str) -> None:
    """Point `champion` where it was (or remove it when there was none); a failure here is
    logged, not raised, so that the error that caused the rollback is the one reported."""
    try:
        current = current_champion(client, name)
        if before is None and current is not None:
            client.delete_registered_model_alias(name, CHAMPION)
        elif before is not None and (current is None or current.version != before.version):
            client.set_registered_model_alias(name, CHAMPION, before.version)
    except Exception:
        log.exception(
            "could not put alias %s back to version %s",
            CHAMPION,
            None if before is None else before.version,
        )


@contextlib.contextmanager
def _kept(paths: Sequence[Path]) -> Iterator[Any]:
    """Copy each path aside; yield a function that puts every one back as it was (each
    atomically), or removes it if it did not exist."""
    with tempfile.TemporaryDirectory(prefix="company-risk-kept-") as scratch:
        saved: list[tuple[Path, Path | None]] = []
        for number, path in enumerate(map(Path, paths)):
            copy = Path(scratch) / str(number)
            if path.is_dir():
                shutil.copytree(path, copy, symlinks=True)
            elif path.exists():
                shutil.copy2(path, copy)
            else:
                copy = None
            saved.append((path, copy))

        def restore() -> None:
            for path, copy in saved:
                try:
                    if copy is None:
                        if path.is_dir():
                            shutil.rmtree(path)
                        else:
                            path.unlink(missing_ok=True)
                    elif copy.is_dir():
                        with atomic_directory(path) as tmp:
                            shutil.copytree(copy, tmp, symlinks=True, dirs_exist_ok=True)
                    else:
                        with atomic_path(path) as tmp:
                            shutil.copy2(copy, tmp)
                except OSError:
                    log.exception("could not restore %s", path)

        yield restore


def load_version(version: str, name: str = REGISTERED_MODEL, *, allow_pickle: bool = False) -> Any:
    """The scikit-learn Pipeline of a registered version, downloaded and checked against the
    project's allow-list before it is deserialised (company_risk.model_safety)."""
    with tempfile.TemporaryDirectory(prefix="company-risk-model-") as scratch:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version}", dst_path=scratch
        )
        return load_estimator(Path(local), allow_pickle=allow_pickle)


def export_champion(
    model: Any,
    target: Path,
    signature: ModelSignature | None,
    input_example: pd.DataFrame,
    pip_requirements: list[str],
    meta: ChampionMeta,
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
        (tmp / CHAMPION_META).write_text(
            json.dumps(meta.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return target
