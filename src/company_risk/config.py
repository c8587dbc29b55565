"""Typed configuration: `params.yaml` is read once, at the CLI edge, into these dataclasses.

Configuration flows one way (params.yaml -> these objects -> pure functions), so a function's
behaviour is fully determined by its arguments. Unknown keys are an error rather than silently
ignored: a typo in `dvc exp run -S` must not train the wrong experiment. So is a value the code
cannot use (a misspelt choice, a share above 1, cut-offs out of order, dates the wrong way
round): each dataclass checks its values when it is made, so every command stops on them before
it does any work.

The project root is resolved once, from the working directory (or the CLI's `--project-dir`),
never from this file's location, so the same code works from a clone, an installed wheel or a
`dvc exp run --temp` workspace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from company_risk import artifacts, formats, model_table
from company_risk.errors import CompanyRiskError
from company_risk.schemas import FEATURE_SET_PREFIXES, FEATURE_SETS, METRIC_NAMES, RISK_CLASSES


class ConfigError(CompanyRiskError, ValueError):
    """params.yaml is missing, malformed, or has a key or value the code does not understand."""


# -------------------------------------------------------------------------------- value checks
# Each dataclass checks its own values in `__post_init__`, so a Params object that exists is a
# valid one: a bad value stops `load_params` (and the CLI, with exit code 2) before any work,
# and `dataclasses.replace` re-checks. A rule names what a key accepts; the error reads
# "<section>.<key>: <value> is not <expected>", prefixed with the file by `load_params`.
@dataclass(frozen=True)
class _Rule:
    accepts: typing.Callable[[Any], bool]
    expected: str  # completes "<value> is not ..."


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _at_least(low: float) -> _Rule:
    return _Rule(lambda v: _number(v) and v >= low, f"at least {low:g}")


def _above(low: float) -> _Rule:
    return _Rule(lambda v: _number(v) and v > low, f"greater than {low:g}")


def _within(low: float, high: float, brackets: str) -> _Rule:
    """In the interval written by `brackets`: "()" open, "[]" closed, "[)" or "(]" half-open."""
    left, right = brackets

    def accepts(v: Any) -> bool:
        return (
            _number(v)
            and (low < v if left == "(" else low <= v)
            and (v < high if right == ")" else v <= high)
        )

    return _Rule(accepts, f"in {left}{low:g}, {high:g}{right}")


def _one_of(choices: typing.Iterable[str]) -> _Rule:
    names = tuple(choices)
    return _Rule(lambda v: v in names, f"one of {', '.join(names)}")


def _optional(rule: _Rule) -> _Rule:
    return _Rule(lambda v: v is None or rule.accepts(v), f"null or {rule.expected}")


def _each(rule: _Rule) -> _Rule:
    return _Rule(
        lambda v: isinstance(v, tuple | list) and all(rule.accepts(x) for x in v),
        f"a list with every entry {rule.expected}",
    )


_COUNT = _at_least(1)
_NON_NEGATIVE = _at_least(0)
_SHARE = _within(0, 1, "[]")
_PROBABILITY = _within(0, 1, "()")
_FLAG = _Rule(lambda v: isinstance(v, bool), "true or false")


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def _invalid(key: str, value: Any, expected: str) -> typing.NoReturn:
    raise ConfigError(f"{key}: {_show(value)} is not {expected}")


def _check(section: str, config: Any, **rules: _Rule) -> None:
    """Check each named field of `config` against its rule."""
    for key, rule in rules.items():
        value = getattr(config, key)
        if not rule.accepts(value):
            _invalid(f"{section}.{key}", value, rule.expected)


# --------------------------------------------------------------------------------------- synth
@dataclass(frozen=True)
class SynthConfig:
    """The embedded synthetic world. Rates live in `rates`; see company_risk.synth.world."""

    seed: int = 20240601
    n_companies: int = 4000
    start: dt.date = dt.date(2015, 1, 1)
    end: dt.date = dt.date(2025, 10, 1)
    daily_tail_days: int = 14
    # the true default probabilities are estimated at these months' first days only (the
    # snapshots the features are built on by default: features.snapshot_every)
    truth_every: str = "quarterly"
    rates: dict[str, float] = field(default_factory=dict)

    TRUTH_MONTHS: typing.ClassVar[dict[str, int]] = {"monthly": 1, "quarterly": 3}

    def __post_init__(self) -> None:
        _check(
            "synth",
            self,
            seed=_NON_NEGATIVE,
            n_companies=_COUNT,
            daily_tail_days=_NON_NEGATIVE,
            truth_every=_one_of(self.TRUTH_MONTHS),
        )
        if not self.start <= self.end:
            _invalid("synth.end", self.end, f"on or after synth.start ({_show(self.start)})")


@dataclass(frozen=True)
class IngestConfig:
    """How strict ingest is with record-level faults, and how persons without a register key
    are pseudonymised."""

    # A file whose share of rejected rows (bad code, date, status, amount) exceeds this fails
    # the whole drop; below it the rows are left out and kept in the `rejected` table.
    max_rejected_share: float = 0.001
    # A drop in which more than this share of the companies on the register vanish, or more
    # than this share of open board tenures end, is refused as implausible (a partial file, an
    # empty persons list) unless the operator accepts it (`ingest --accept-mass-change`).
    max_vanished_share: float = 0.05
    max_ended_roles_share: float = 0.2
    # A daily file's own date (the debtor list's "Andmed on seisuga") must be at most this many
    # days before its drop, and never after it.
    max_record_age_days: int = 7
    # A file holding the secret key of the keyed hash that makes person keys for foreign
    # natural persons (who have no isikukood_hash). None: a built-in key, fine for the synthetic
    # world; with real data use a secret of your own, or anyone can test a guessed name.
    pseudonym_key_file: str | None = None

    def __post_init__(self) -> None:
        _check(
            "ingest",
            self,
            max_rejected_share=_SHARE,
            max_vanished_share=_SHARE,
            max_ended_roles_share=_SHARE,
            max_record_age_days=_NON_NEGATIVE,
            pseudonym_key_file=_optional(
                _Rule(lambda v: isinstance(v, str) and bool(v), "a file name")
            ),
        )


# ------------------------------------------------------------------------------------ features
@dataclass(frozen=True)
class GraphConfig:
    memory_years: int = 5
    closeness: bool = True
    max_component_for_closeness: int = 2000
    # the role codes whose ties make the board network (formats.ROLE_FAMILIES names them all)
    roles: tuple[str, ...] = formats.BOARD_ROLES

    ROLE_CODES: typing.ClassVar[tuple[str, ...]] = tuple(
        dict.fromkeys(code for codes in formats.ROLE_FAMILIES.values() for code in codes)
    )

    def __post_init__(self) -> None:
        _check(
            "features.graph",
            self,
            memory_years=_NON_NEGATIVE,
            max_component_for_closeness=_COUNT,
            roles=_Rule(
                lambda v: (
                    isinstance(v, tuple | list)
                    and bool(v)
                    and len(set(v)) == len(v)
                    and set(v) <= set(self.ROLE_CODES)
                ),
                f"a non-empty list of distinct role codes among {', '.join(self.ROLE_CODES)}",
            ),
        )


@dataclass(frozen=True)
class FeaturesConfig:
    first_snapshot: dt.date = dt.date(2016, 1, 1)
    snapshot_every: str = "quarterly"
    horizon_months: int = 12
    # the term structure: the horizons (months) whose default probabilities are labelled and
    # scored, cumulative; the last is `horizon_months` itself (the label `label`)
    horizons_months: tuple[int, ...] = (3, 6, 9, 12)
    graph: GraphConfig = field(default_factory=GraphConfig)
    # an annual report is due this long after the fiscal year end: the features count missing
    # reports by it, and scoring's facts, reasons and alerts call a report overdue by it
    report_deadline_months: int = 6
    report_lookback_years: int = 3  # fiscal years checked for missing annual reports

    SNAPSHOT_MONTHS: typing.ClassVar[typing.Mapping[str, int]] = types.MappingProxyType(
        {"monthly": 1, "quarterly": 3, "yearly": 12}  # `snapshot_every` -> months between them
    )

    def __post_init__(self) -> None:
        _check(
            "features",
            self,
            snapshot_every=_one_of(self.SNAPSHOT_MONTHS),
            horizon_months=_COUNT,
            report_deadline_months=_COUNT,
            report_lookback_years=_COUNT,
            horizons_months=_Rule(
                lambda v: (
                    isinstance(v, tuple | list)
                    and bool(v)
                    and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v)
                ),
                "a non-empty list of whole months, each at least 1",
            ),
        )
        horizons = self.horizons_months
        if any(a >= b for a, b in itertools.pairwise(horizons)):
            _invalid("features.horizons_months", horizons, "strictly increasing")
        if horizons[-1] != self.horizon_months:
            _invalid(
                "features.horizons_months",
                horizons,
                f"ending with features.horizon_months ({self.horizon_months})",
            )


# -------------------------------------------------------------------------------- split/models
@dataclass(frozen=True)
class SplitConfig:
    train_until: dt.date = dt.date(2021, 12, 31)
    gap_months: int = 12
    validation_until: dt.date = dt.date(2023, 6, 30)

    def __post_init__(self) -> None:
        _check("split", self, gap_months=_NON_NEGATIVE)
        if not self.train_until < self.validation_until:
            _invalid(
                "split.validation_until",
                self.validation_until,
                f"after split.train_until ({_show(self.train_until)})",
            )


@dataclass(frozen=True)
class ModelsConfig:
    """Per-model sections are free-form dicts (`enabled` plus the model's own settings), so a
    data scientist can add a hyperparameter in params.yaml without a code change here.

    The models, their order, the calibration methods and each model's strategies come from
    company_risk.model_table; one field per model keeps params.yaml's keys (and the rejection
    of unknown ones) as they are, and tests/test_model_table.py keeps the fields and the table
    equal. These checks are the only ones: the train stage relies on them.
    """

    seed: int = 7
    feature_sets: tuple[str, ...] = FEATURE_SETS
    search_iterations: int = 4
    search_max_rows: int = 10000
    max_train_rows: int | None = None
    n_jobs: int = 2
    calibration: str = "sigmoid"
    ablation: bool = True  # the network-feature ablation after the grid (train.ablation)
    decision_tree: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    random_forest: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    mlp: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    svm: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    naive_bayes: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    xgboost: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    logistic_regression: dict[str, Any] = field(default_factory=lambda: {"enabled": True})

    MODEL_NAMES: typing.ClassVar[tuple[str, ...]] = model_table.MODEL_NAMES
    CALIBRATIONS: typing.ClassVar[tuple[str, ...]] = model_table.CALIBRATIONS

    def __post_init__(self) -> None:
        sets = tuple(FEATURE_SET_PREFIXES)
        _check(
            "models",
            self,
            seed=_NON_NEGATIVE,
            feature_sets=_Rule(
                lambda v: bool(v) and len(set(v)) == len(v) and set(v) <= set(sets),
                f"a non-empty list of distinct feature sets among {', '.join(sets)}",
            ),
            search_iterations=_COUNT,
            search_max_rows=_COUNT,
            max_train_rows=_optional(_COUNT),
            n_jobs=_Rule(
                lambda v: _number(v) and (v >= 1 or v == -1), "at least 1 (or -1: all cores)"
            ),
            calibration=_one_of(self.CALIBRATIONS),
            ablation=_FLAG,
        )
        for entry in model_table.MODEL_TABLE:
            settings = getattr(self, entry.name)
            if not _FLAG.accepts(settings.get("enabled", True)):
                _invalid(f"models.{entry.name}.enabled", settings["enabled"], _FLAG.expected)
            if entry.strategies:
                strategy = _one_of(entry.strategies)
                value = settings.get("strategy", entry.defaults.get("strategy"))
                if not strategy.accepts(value):
                    _invalid(f"models.{entry.name}.strategy", value, strategy.expected)

    def enabled_models(self) -> dict[str, dict[str, Any]]:
        """Model name -> its settings (without `enabled`), in the fixed comparison order."""
        out = {}
        for name in self.MODEL_NAMES:
            settings = dict(getattr(self, name))
            if settings.pop("enabled", True):
                out[name] = settings
        return out


@dataclass(frozen=True)
class SelectionConfig:
    """How the challenger is chosen and the champion gated. `metric` is checked here, once:
    train relies on it.

    The challenger is the run with the best validation `metric` (ranking: ROC-AUC), unless
    `tie_break` names a second metric (calibration: params.yaml sets Brier): then every run
    whose validation `metric` lies inside the leader's `tie_confidence` bootstrap interval
    (`tie_rounds` company resamples) ties with it, and the tied run with the best `tie_break`
    wins. Without the key (null, this class's default) the leader alone is chosen, as before
    the tie-break existed. The gate refuses a challenger whose observed default rate falls from
    one risk class to the next worse one with a one-sided p-value below `monotonicity_level`
    (company_risk.master_scale.monotonicity_tests).
    """

    metric: str = "roc_auc"
    min_improvement: float = 0.002
    tie_break: str | None = None
    tie_confidence: float = 0.95
    tie_rounds: int = 200
    monotonicity_level: float = 0.05

    def __post_init__(self) -> None:
        _check(
            "selection",
            self,
            metric=_one_of(METRIC_NAMES),
            min_improvement=_NON_NEGATIVE,
            tie_break=_optional(_one_of(METRIC_NAMES)),
            tie_confidence=_PROBABILITY,
            tie_rounds=_COUNT,
            monotonicity_level=_PROBABILITY,
        )
        if self.tie_break == self.metric:
            _invalid("selection.tie_break", self.tie_break, "null or a metric other than metric")


# ----------------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class ScoringConfig:
    """Daily scoring, and what `daily` downloads with `source: real`.

    `urls` maps each daily file, by its name in the drop folder, to where it is served: the
    register's basic, general-data and persons files and EMTA's debtor list are required every
    day; the shareholders and rulings files may be added. `periodic_urls` maps, the same way,
    the files that are republished from time to time (annual reports, taxes paid), and may be
    empty: a report file carries its cut-off date in its name, so it is fetched once, on the
    first day its name is in no earlier drop; a file republished under one unchanging name
    (EMTA's rolling taxes-paid files: `FileFamily.same_name`) is fetched on each run and kept only
    when its bytes differ from the newest copy already collected. Every name must be one ingest
    recognises (`formats.FILE_FAMILIES`; a zip is named after the file it holds); any other
    name is an error naming the key.
    """

    risk_classes: tuple[float, ...] = (0.02, 0.05, 0.10, 0.25)
    suppliers: int = 3
    class_limit_factors: tuple[float, ...] = (1.0, 0.75, 0.5, 0.0, 0.0)
    payment_term_days: tuple[int, ...] = (30, 14, 7, 0, 0)
    alert_jump: float = 0.05
    # `tax_debt_grown` only when the listed debt grew by at least this share and this many euros
    # (interest adds a euro or two a day to most debts: not news to a credit manager)
    alert_debt_growth: float = 0.10
    alert_debt_growth_eur: float = 100.0
    psi_warn: float = 0.2
    top_reasons: int = 3
    urls: dict[str, str] = field(default_factory=dict)  # daily file name in the drop -> URL
    periodic_urls: dict[str, str] = field(default_factory=dict)  # periodic file name -> URL
    # what `daily` does: "synthetic" scores the next unscored drop; "real" downloads `urls`
    # and those `periodic_urls` not collected yet
    source: str = "synthetic"
    class_names: tuple[str, ...] = ("very low", "low", "moderate", "high", "very high")
    class_policies: tuple[tuple[str, ...], ...] = (
        ("monitoring", "repeat invoice", "reminder"),
        ("monitoring", "repeat invoice", "reminder", "shorter payment term"),
        (
            "monitoring",
            "repeat invoice",
            "reminder",
            "shorter payment term",
            "warning notice",
            "payment agreement",
        ),
        ("credit sale not advised", "extra guarantee"),
        ("credit sale not advised", "collection unlikely"),
    )
    psi_top_features: int = 5  # drift is watched on this many of the day's strongest drivers
    psi_reference_rows: int = 20000  # training rows sampled as the drift reference
    # `daily` in real mode, per downloaded file: a read may stall this long (a socket timeout);
    # the whole file must arrive within the deadline (wall clock) and be at most `download_max_mb`
    # MB (2**20 bytes; the biggest published file, the general-data zip, is ~230 MB)
    download_timeout_s: float = 300.0
    download_deadline_s: float = 1800.0
    download_max_mb: float = 2048.0
    # reasons from tree models: "approximate" (path attributions, additive like SHAP and ~100x
    # cheaper for boosted trees) or "exact" (TreeSHAP; minutes per 100,000 companies)
    contributions: str = "approximate"

    SOURCES: typing.ClassVar[tuple[str, ...]] = ("synthetic", "real")
    CONTRIBUTIONS: typing.ClassVar[tuple[str, ...]] = ("approximate", "exact")

    def __post_init__(self) -> None:
        _check(
            "scoring",
            self,
            risk_classes=_each(_PROBABILITY),
            suppliers=_COUNT,
            class_limit_factors=_each(_NON_NEGATIVE),
            payment_term_days=_each(_NON_NEGATIVE),
            alert_jump=_PROBABILITY,
            alert_debt_growth=_NON_NEGATIVE,
            alert_debt_growth_eur=_NON_NEGATIVE,
            psi_warn=_above(0),
            top_reasons=_COUNT,
            source=_one_of(self.SOURCES),
            psi_top_features=_COUNT,
            psi_reference_rows=_COUNT,
            download_timeout_s=_above(0),
            download_deadline_s=_above(0),
            download_max_mb=_above(0),
            contributions=_one_of(self.CONTRIBUTIONS),
        )
        cuts = self.risk_classes
        if len(cuts) != len(RISK_CLASSES) - 1:
            _invalid(
                "scoring.risk_classes",
                cuts,
                f"{len(RISK_CLASSES) - 1} cut-offs (classes {RISK_CLASSES[0]}–{RISK_CLASSES[-1]})",
            )
        if any(a >= b for a, b in itertools.pairwise(cuts)):
            _invalid("scoring.risk_classes", cuts, "strictly increasing")
        for key in ("class_limit_factors", "payment_term_days", "class_names", "class_policies"):
            if len(getattr(self, key)) != len(cuts) + 1:
                _invalid(
                    f"scoring.{key}",
                    getattr(self, key),
                    f"{len(cuts) + 1} entries, one per risk class (len(scoring.risk_classes) + 1)",
                )
        seen: dict[str, str] = {}
        for key, downloads, daily in (
            ("urls", self.urls, True),
            ("periodic_urls", self.periodic_urls, False),
        ):
            where = f"scoring.{key}"
            for name, url in downloads.items():
                family = self.download_family(name, where)
                if not isinstance(url, str) or not url:
                    raise ConfigError(f"{where}: {name!r} needs a URL, got {url!r}")
                if daily and not family.daily:
                    raise ConfigError(
                        f"{where}: {name!r} is republished periodically ({family.name}), not "
                        "daily: list it under scoring.periodic_urls"
                    )
                if not daily and family.daily:
                    raise ConfigError(
                        f"{where}: {name!r} is a daily file ({family.name}): list it under "
                        "scoring.urls"
                    )
                logical = formats.logical_name(name)
                if logical in seen:
                    raise ConfigError(
                        f"{where}: {name!r} and {seen[logical]!r} are the same file {logical!r}"
                    )
                seen[logical] = name

    @staticmethod
    def download_family(name: str, where: str = "scoring") -> formats.FileFamily:
        """The `formats.FileFamily` of a file name in `urls` or `periodic_urls`; a ConfigError
        naming `where` when it is not a plain file name or not a file ingest reads."""
        if not isinstance(name, str) or not name or "/" in name or "\\" in name or name[0] == ".":
            raise ConfigError(f"{where}: {name!r} is not a plain file name")
        family = formats.family_of(name)
        if family is None:
            raise ConfigError(
                f"{where}: {name!r} (the file {formats.logical_name(name)!r}) is not a file "
                "ingest recognises (formats.FILE_FAMILIES)"
            )
        if family.kind == "unsupported":
            raise ConfigError(
                f"{where}: {name!r} is a {family.name} file, a format ingest does not read"
            )
        return family


# ------------------------------------------------------------------------------------ report
@dataclass(frozen=True)
class ReportConfig:
    """The auditor report (company_risk.report): how its uncertainty and slices are measured."""

    bootstrap_rounds: int = 200  # resamples of companies behind every 95 % interval
    confidence: float = 0.95
    seed: int = 11
    min_slice_defaults: int = 10  # fewer defaults in a slice: its ROC-AUC is not reported
    weak_slice_margin: float = 0.05  # slice ROC-AUC this far below the overall one is flagged
    top_features: int = 20
    # the master scale flags a champion with fewer distinct probabilities than this share of its
    # test rows (a depth-6 tree: 65 values for 2,074 companies); 0 turns the flag off
    min_distinct_share: float = 0.05

    def __post_init__(self) -> None:
        _check(
            "report",
            self,
            bootstrap_rounds=_COUNT,
            confidence=_PROBABILITY,
            seed=_NON_NEGATIVE,
            min_slice_defaults=_COUNT,
            weak_slice_margin=_SHARE,
            top_features=_COUNT,
            min_distinct_share=_SHARE,
        )


# ------------------------------------------------------------------------------------- serve
@dataclass(frozen=True)
class ServeConfig:
    """The HTTP API (`company-risk serve`, company_risk.serve): where it listens, what it keeps
    in memory, what it refuses, and how it delivers watchlist alerts to webhooks."""

    host: str = "127.0.0.1"
    port: int = 8000
    history_days: int = 90  # scored days kept in memory for `history` (the `days` maximum)
    max_age_days: int = 2  # /healthz says `stale` when the served day is older than this
    poll_seconds: float = 5.0  # how often the server looks for a newer complete partition
    max_body_bytes: int = 1_048_576  # a request body larger than this is refused (413)
    max_ledger_bytes: int = 67_108_864  # ... but a ledger POSTed to /v1/portfolio may be this big
    max_query_codes: int = 10_000  # registry codes in one POST /v1/companies/query
    alerts_limit: int = 100_000  # alerts in one GET /v1/alerts response (the rest: a later page)
    webhook_timeout_s: float = 10.0  # one delivery attempt's connect + read timeout
    webhook_attempts: int = 5  # attempts per delivery before it is recorded as failed
    webhook_backoff_s: float = 2.0  # wait before the 2nd attempt; doubles after each failure
    session_hours: float = 8.0  # a browser's sign-in to the company card lasts this long

    def __post_init__(self) -> None:
        _check(
            "serve",
            self,
            host=_Rule(lambda v: isinstance(v, str) and bool(v.strip()), "a host name or address"),
            port=_within(1, 65535, "[]"),
            history_days=_COUNT,
            max_age_days=_NON_NEGATIVE,
            poll_seconds=_above(0),
            max_body_bytes=_at_least(1024),
            max_ledger_bytes=_at_least(1024),
            max_query_codes=_COUNT,
            alerts_limit=_COUNT,
            webhook_timeout_s=_above(0),
            webhook_attempts=_COUNT,
            webhook_backoff_s=_NON_NEGATIVE,
            session_hours=_above(0),
        )


# --------------------------------------------------------------------------------- portfolio
def _euro_rates(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(code, str)
        and len(code) == 3
        and code.isascii()
        and code.isalpha()
        and code.isupper()
        and code != "EUR"
        and _number(rate)
        and rate > 0
        for code, rate in value.items()
    )


@dataclass(frozen=True)
class PortfolioConfig:
    """The portfolio of a supplier's unpaid invoices (`company-risk portfolio`,
    company_risk.portfolio): how a ledger's amounts become euros, how overdue invoices are aged,
    how much the page lists, and the sample ledger `--example` writes."""

    # euros per unit of each other currency a ledger may use; an invoice in a currency without
    # a rate here is a bad row (EUR needs none)
    eur_rates: dict[str, float] = field(default_factory=dict)
    # the last day of each overdue bucket: (30, 60, 90) ages invoices as not due, 1-30, 31-60,
    # 61-90 and over 90 days overdue
    ageing_days: tuple[int, ...] = (30, 60, 90)
    top_exposures: int = 20  # customers in the largest-exposures table and plot
    table_rows: int = 200  # rows a table on the page shows (the CSV and parquet files hold all)
    example_seed: int = 20251003  # the sample ledger of `--example` is drawn with this seed ...
    example_customers: int = 300  # ... for about this many scored customers (fewer if fewer)

    def __post_init__(self) -> None:
        _check(
            "portfolio",
            self,
            eur_rates=_Rule(
                _euro_rates,
                "a mapping of currency codes other than EUR (three capital letters) to euros "
                "per unit, each greater than 0",
            ),
            ageing_days=_Rule(
                lambda v: (
                    isinstance(v, tuple | list)
                    and bool(v)
                    and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v)
                    and all(a < b for a, b in itertools.pairwise(v))
                ),
                "a non-empty, strictly increasing list of whole days, each at least 1",
            ),
            top_exposures=_COUNT,
            table_rows=_COUNT,
            example_seed=_NON_NEGATIVE,
            example_customers=_COUNT,
        )


@dataclass(frozen=True)
class Params:
    synth: SynthConfig = field(default_factory=SynthConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    portfolio: PortfolioConfig = field(default_factory=PortfolioConfig)


# ------------------------------------------------------------------------------------- paths
@dataclass(frozen=True)
class ProjectPaths:
    """Every default location of the data flow, relative to one project root."""

    root: Path

    @property
    def params(self) -> Path:
        return self.root / "params.yaml"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def truth(self) -> Path:
        return self.root / "data" / "truth"

    @property
    def interim(self) -> Path:
        return self.root / "data" / "interim"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def features_table(self) -> Path:
        return self.processed / artifacts.FEATURES_FILE

    @property
    def scores(self) -> Path:
        return self.root / "data" / "scores"

    @property
    def serve_store(self) -> Path:
        """The API's embedded store (SQLite): API keys (hashed), watchlists, deliveries."""
        return self.root / "data" / "serve" / "serve.sqlite"

    @property
    def digests(self) -> Path:
        return self.root / "data" / artifacts.DIGESTS_FOLDER

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def champion_model(self) -> Path:
        return self.root / "models" / "champion"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def portfolio(self) -> Path:
        """Where `company-risk portfolio` writes its page, invoice tables and sample ledger."""
        return self.reports / "portfolio"

    @property
    def feature_catalogue(self) -> Path:
        return self.reports / artifacts.FEATURE_CATALOGUE

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def mlartifacts(self) -> Path:
        return self.root / "mlartifacts"

    def tracking_uri(self, environ: typing.Mapping[str, str]) -> str:
        """`MLFLOW_TRACKING_URI` if set, else an absolute SQLite URI (a relative one silently
        creates a throwaway database inside `dvc exp run --temp` workspaces)."""
        return environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{self.mlflow_db.resolve()}"


# ------------------------------------------------------------------------------------ loading
def load_params(path: Path) -> Params:
    """Read params.yaml into `Params`; missing sections or keys take the defaults above."""
    if not path.exists():
        raise ConfigError(f"{path}: parameters file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return _build(Params, raw, where=str(path))


def params_from_dict(raw: dict[str, Any]) -> Params:
    """Build `Params` from a plain dict (tests, notebooks)."""
    return _build(Params, raw, where="params")


def params_to_dict(params: Params) -> dict[str, Any]:
    """JSON-friendly view (dates as ISO strings), for MLflow params, manifests and hashes."""

    def convert(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    return convert(params)


def _build(cls: type, raw: Any, where: str, source: str | None = None) -> Any:
    """`cls` from the mapping `raw` found at `where`; `source` (the file) prefixes the errors
    of the value checks, which name their key themselves."""
    source = source or where
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    kwargs = {
        name: _coerce(hints[name], value, f"{where}.{name}", source) for name, value in raw.items()
    }
    try:
        return cls(**kwargs)
    except ConfigError as exc:  # a value check in cls.__post_init__
        raise ConfigError(f"{source}: {exc}") from None


def _coerce(hint: Any, value: Any, where: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value or {}, where, source)
    if hint is dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item_hint, *_rest) = typing.get_args(hint)
        return tuple(_coerce(item_hint, v, where, source) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint in (int, float, str):
        try:
            return hint(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}") from exc
    return value
