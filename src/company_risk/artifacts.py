"""The artifact catalogue: every name one stage writes and another reads, defined once.

File names, the date-partition layout of the scored days and its readers, the registered model
and its aliases, the MLflow experiments, and the three small records that travel between train,
scoring and report: the version tags of a registered model (`VersionTags`), the champion's
metadata beside the exported model (`ChampionMeta`, `champion.json`) and the promotion decision
(`RegistryDecision`, `reports/registry.json`). Each record is written with `to_dict` and read
with `from_dict`, so a reader never types a key again, and a file that lacks a key fails with an
`ArtifactError` naming the file and the key instead of a `"?"` in a report.

Writers stay in their stage (the partition writer in scoring, the reports in train); this module
only names and reads, so every stage can import it and none owns it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from company_risk.atomic import recover, recover_children
from company_risk.errors import CompanyRiskError

# ------------------------------------------------------------------ registry and experiments
REGISTERED_MODEL = "company-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"
TRAINING_EXPERIMENT = "company-risk"
SCORING_EXPERIMENT = "company-risk-scoring"
PARENT_RUN_TAG = "mlflow.parentRunId"
# artifacts of every nested training run (company_risk.train.run.log_candidate)
PREDICTIONS = {"validation": "predictions/validation.parquet", "test": "predictions/test.parquet"}
IMPORTANCE = "feature_importance.csv"
# of the parent training run (company_risk.train.ablation): the test rows' company_id,
# snapshot_date and label, then a probability column per variant, named by it: the base first,
# then the base plus each network addition, then every feature last
ABLATION = "ablation/test_predictions.parquet"
ABLATION_MODEL_PARAM = "ablation_model"  # the parent run's param naming its model

# ------------------------------------------------------------------------------ data files
DROP_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")  # data/raw/<YYYY-MM-DD>/: the day it was collected
FEATURES_FILE = "features.parquet"  # under data/processed/
TRUTH_FILES = {"latent": "latent.parquet", "exits": "exits.parquet", "pd": "pd.parquet"}
INGEST_LOG = "ingest_log"  # the interim table listing every applied drop


def dated_folders(raw: Path) -> list[tuple[dt.date, Path]]:
    """The drop folders under `raw` by date, oldest first; anything else (hidden folders, which
    are unfinished atomic writes, or other names) is not a drop here. Ingest, which must refuse
    a misnamed folder rather than skip it, checks the names itself against DROP_FOLDER."""
    raw = Path(raw)
    if not raw.is_dir():
        return []
    drops = []
    for folder in raw.iterdir():
        if folder.is_dir() and DROP_FOLDER.fullmatch(folder.name):
            try:
                drops.append((dt.date.fromisoformat(folder.name), folder))
            except ValueError:
                continue
    return sorted(drops)


def interim_table(interim: Path, name: str) -> Path:
    """The parquet file of interim table `name` (company_risk.schemas.TABLES)."""
    return Path(interim) / f"{name}.parquet"


# ---------------------------------------------------------------------------- report files
# under reports/, written by train and tracked by DVC
HEADLINE_METRICS = "metrics.json"  # the champion's test figures and the oracle: `dvc metrics`
GRID_METRICS = "grid.json"  # every run's validation and test figures, keyed by run name
COMPARISON_TABLE = "comparison.csv"  # the same grid for people
REGISTRY_DECISION = "registry.json"
PLOT_FILES = {"roc": "plots/roc.csv", "pr": "plots/pr.csv", "calibration": "plots/calibration.csv"}
TRAIN_REPORTS = (
    HEADLINE_METRICS,
    GRID_METRICS,
    COMPARISON_TABLE,
    REGISTRY_DECISION,
    *PLOT_FILES.values(),
)
WORLD_REPORT = "world.json"  # written by synth for the pipeline's own world
FEATURE_CATALOGUE = "feature_catalogue.md"
CHAMPION_META = "champion.json"  # beside MLmodel in models/champion/


class ArtifactError(CompanyRiskError, ValueError):
    """An artifact one stage wrote is missing, unreadable or not in the shape the others read."""


# ------------------------------------------------------------------------ scored partitions
SCORES_FILE = "scores.parquet"
SPARK_SCORES_GLOB = "part-*.parquet"
ALERTS_FILE = "alerts.csv"
MANIFEST_FILE = "_manifest.json"
PARTITION_PREFIX = "date="


def partition_dir(out: Path, date: dt.date) -> Path:
    return Path(out) / f"{PARTITION_PREFIX}{date.isoformat()}"


def list_partitions(out: Path) -> list[dt.date]:
    """Dates of the complete partitions under `out`, ascending: the one definition of "a scored
    day", used by alerts, the daily job and the report. A partition is complete only with its
    `_manifest.json`, which is written last (the Spark engine writes it after its part files);
    a `date=D/` folder without one is an unfinished or foreign folder, never the latest day."""
    out = Path(out)
    if not out.is_dir():
        return []
    recover_children(out)  # a re-score killed half-way: day D back in place
    found = []
    for child in out.iterdir():
        if (
            child.is_dir()
            and child.name.startswith(PARTITION_PREFIX)
            and (child / MANIFEST_FILE).exists()
        ):
            try:
                found.append(dt.date.fromisoformat(child.name.removeprefix(PARTITION_PREFIX)))
            except ValueError:
                continue
    return sorted(found)


def previous_partition(out: Path, date: dt.date) -> dt.date | None:
    """The latest partition dated before `date` (what alerts compare against)."""
    earlier = [d for d in list_partitions(out) if d < date]
    return earlier[-1] if earlier else None


def read_scores(out: Path, date: dt.date, columns: list[str] | None = None) -> pd.DataFrame:
    """A partition's scores: `scores.parquet`, or the Spark engine's `part-*.parquet` files."""
    folder, files = _scores_files(out, date)
    try:
        frames = [pd.read_parquet(f, columns=columns) for f in files]
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactError(f"{folder}: cannot read the scores ({exc})") from exc
    return pd.concat(frames, ignore_index=True).astype({"company_id": "str"})


def read_manifest(out: Path, date: dt.date) -> dict[str, Any]:
    return read_json_object(partition_dir(out, date) / MANIFEST_FILE)


def scores_columns(out: Path, date: dt.date) -> list[str]:
    """The columns of a partition's scores, read from the parquet schema alone, so a reader can
    ask `read_scores` for exactly the optional columns the day has (the `pd_<h>m` horizons)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder, files = _scores_files(out, date)
    try:
        return list(pq.read_schema(files[0]).names)
    except (OSError, pa.ArrowException) as exc:
        raise ArtifactError(f"{folder}: cannot read the scores' columns ({exc})") from exc


def _scores_files(out: Path, date: dt.date) -> tuple[Path, list[Path]]:
    """The partition's folder (recovered from an interrupted re-score) and its scores files."""
    folder = partition_dir(out, date)
    recover(folder)
    single = folder / SCORES_FILE
    files = [single] if single.exists() else sorted(folder.glob(SPARK_SCORES_GLOB))
    if not files:
        raise ArtifactError(f"{folder}: no scores file in the partition")
    return folder, files


# ---------------------------------------------------------------------------------- digests
# data/digests/date=D/<watchlist>.html and .json: the daily job's digest of each watchlist
DIGESTS_FOLDER = "digests"
DIGEST_HTML, DIGEST_JSON = ".html", ".json"  # the suffixes of a watchlist's two digest files


def digest_file(folder: Path, name: str, suffix: str) -> Path:
    """Watchlist `name`'s digest (`suffix` DIGEST_HTML or DIGEST_JSON) in a day's digest
    folder, `partition_dir(<digests>, D)`."""
    return Path(folder) / f"{name}{suffix}"


# ------------------------------------------------------------------------ portfolio reports
# under reports/portfolio/ by default (`company-risk portfolio`)
PORTFOLIO_PAGE = "portfolio.html"  # the page: plots and tables, self-contained
PORTFOLIO_INVOICES = "portfolio.csv"  # one row per open invoice, with its customer's score
PORTFOLIO_INVOICES_PARQUET = "portfolio.parquet"  # the same rows, typed
PORTFOLIO_BAD_ROWS = "bad_rows.csv"  # the ledger's rows left out: line, field, value, reason
EXAMPLE_LEDGER = "example_ledger.csv"  # the sample ledger `portfolio --example` writes and reads


# -------------------------------------------------------------------------------- records
def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from `path`; any other content is an ArtifactError naming the file."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read ({exc.strerror})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise ArtifactError(f"{path}: expected a JSON object, got {type(value).__name__}")
    return value


def _required(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None or data[key] == "":
        raise ArtifactError(f"{where}: no `{key}`")
    return data[key]


@dataclass(frozen=True)
class VersionTags:
    """The tags of a registered model version: what it is and the range it was trained on.
    MLflow tags are strings; `threshold` and the figures are parsed back on read."""

    model: str
    feature_set: str
    threshold: float
    train_from: str
    train_until: str
    features: tuple[str, ...]
    metric: str
    val: float
    test: float

    def to_dict(self) -> dict[str, str]:
        return {
            "model": self.model,
            "feature_set": self.feature_set,
            "threshold": f"{self.threshold:.10g}",
            "train_from": self.train_from,
            "train_until": self.train_until,
            "features": ",".join(self.features),
            "selection_metric": self.metric,
            f"val_{self.metric}": f"{self.val:.6f}",
            f"test_{self.metric}": f"{self.test:.6f}",
        }

    @classmethod
    def from_dict(cls, tags: Mapping[str, str], where: str = "model version tags") -> VersionTags:
        metric = str(_required(tags, "selection_metric", where))
        try:
            return cls(
                model=str(_required(tags, "model", where)),
                feature_set=str(_required(tags, "feature_set", where)),
                threshold=float(_required(tags, "threshold", where)),
                train_from=str(_required(tags, "train_from", where)),
                train_until=str(_required(tags, "train_until", where)),
                features=tuple(str(_required(tags, "features", where)).split(",")),
                metric=metric,
                val=float(_required(tags, f"val_{metric}", where)),
                test=float(_required(tags, f"test_{metric}", where)),
            )
        except ValueError as exc:
            raise ArtifactError(f"{where}: a figure is not a number ({exc})") from exc


@dataclass(frozen=True)
class VersionRecord:
    """A registered version as the decision names it: which version, from which run, what."""

    version: str
    run_id: str
    model: str
    feature_set: str
    test: float | None = None  # its figure on today's test rows (None: it cannot score them)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> VersionRecord:
        test = data.get("test")
        return cls(
            version=str(_required(data, "version", where)),
            run_id=str(_required(data, "run_id", where)),
            model=str(_required(data, "model", where)),
            feature_set=str(_required(data, "feature_set", where)),
            test=None if test is None else float(test),
        )


@dataclass(frozen=True)
class GateRecord:
    """The figures the promotion gate compared (company_risk.train.registry.gate).

    `decision`: "first" (no champion before), "promoted", "kept", or "refused": the candidate's
    risk classes were not monotone on validation beyond sampling noise; the champion stays,
    unless none could serve, when the refused candidate is champion and flagged by this value.
    """

    decision: str  # "first" | "promoted" | "kept" | "refused"
    metric: str
    min_improvement: float
    candidate_test: float
    champion_test: float | None
    # the adjacent classes whose validation default rate falls beyond noise (empty: monotone)
    violations: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> GateRecord:
        champion_test = data.get("champion_test")
        violations = data.get("violations") or ()
        if not isinstance(violations, list | tuple) or not all(
            isinstance(v, str) for v in violations
        ):
            raise ArtifactError(f"{where}: `violations` is not a list of class pairs")
        return cls(
            decision=str(_required(data, "decision", where)),
            metric=str(_required(data, "metric", where)),
            min_improvement=float(_required(data, "min_improvement", where)),
            candidate_test=float(_required(data, "candidate_test", where)),
            champion_test=None if champion_test is None else float(champion_test),
            violations=tuple(violations),
        )


@dataclass(frozen=True)
class RegistryDecision:
    """`reports/registry.json`: the candidate this run registered, the champion before and
    after, and the gate between them; with the training run that made it."""

    training_run_id: str
    candidate: VersionRecord
    candidate_val: float
    champion_before: VersionRecord | None
    champion_after: VersionRecord
    gate: GateRecord

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = REGISTRY_DECISION) -> RegistryDecision:
        before = data.get("champion_before")
        return cls(
            training_run_id=str(_required(data, "training_run_id", where)),
            candidate=VersionRecord.from_dict(
                _required(data, "candidate", where), f"{where} candidate"
            ),
            candidate_val=float(_required(data, "candidate_val", where)),
            champion_before=None
            if before is None
            else VersionRecord.from_dict(before, f"{where} champion_before"),
            champion_after=VersionRecord.from_dict(
                _required(data, "champion_after", where), f"{where} champion_after"
            ),
            gate=GateRecord.from_dict(_required(data, "gate", where), f"{where} gate"),
        )

    @classmethod
    def read(cls, path: Path) -> RegistryDecision:
        return cls.from_dict(read_json_object(path), str(path))


@dataclass(frozen=True)
class ChampionMeta:
    """`champion.json` beside the exported model: which registered version it is and what it
    needs, so a scoring machine knows what it loaded without the registry.

    `term_structure` is the champion's term structure as plain numbers
    (company_risk.term_structure.TermStructure.to_dict, read back there); a champion.json
    written before it existed, or by a train without the horizon labels, has none (the key is
    left out), and scoring then writes no `pd_<h>m` column."""

    model_name: str
    version: str
    run_id: str
    model: str
    feature_set: str
    feature_columns: tuple[str, ...]
    threshold: float
    train_from: str
    train_until: str
    term_structure: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["feature_columns"] = list(self.feature_columns)
        if self.term_structure is None:
            del out["term_structure"]
        else:
            out["term_structure"] = dict(self.term_structure)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = CHAMPION_META) -> ChampionMeta:
        version = _required(data, "version", where)
        if isinstance(version, bool) or not isinstance(version, str | int):
            raise ArtifactError(f"{where}: `version` is not a version number")
        columns = _required(data, "feature_columns", where)
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ArtifactError(f"{where}: `feature_columns` is not a list of column names")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ArtifactError(f"{where}: unknown keys {sorted(unknown)}")
        try:
            threshold = float(_required(data, "threshold", where))
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"{where}: `threshold` is not a number") from exc
        term_structure = data.get("term_structure")
        if term_structure is not None and not isinstance(term_structure, dict):
            raise ArtifactError(f"{where}: `term_structure` is not a JSON object")
        return cls(
            model_name=str(_required(data, "model_name", where)),
            version=str(version),
            run_id=str(_required(data, "run_id", where)),
            model=str(_required(data, "model", where)),
            feature_set=str(_required(data, "feature_set", where)),
            feature_columns=tuple(columns),
            threshold=threshold,
            train_from=str(_required(data, "train_from", where)),
            train_until=str(_required(data, "train_until", where)),
            term_structure=term_structure,
        )

    @classmethod
    def read(cls, path: Path) -> ChampionMeta:
        return cls.from_dict(read_json_object(path), str(path))
