"""The scored day the API serves, held in memory, and the switch to a newer one.

A `ServedDay` is immutable: the newest complete partition's scores, the probability and class
of every company on each of the last `serve.history_days` scored days, and those days' alerts.
Every request takes the current `ServedDay` once (`Served.day`), so a response is built from
one day even while the watcher swaps in the next: the swap replaces one reference, it never
edits a day in place. A new day is built from the old one plus the new partition (its history
shifts by one column), so a switch reads one partition, not ninety.

The JSON shape of a company is `company_record`'s, used by the single look-up, the bulk query
and the company card alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from company_risk import artifacts
from company_risk.atomic import recover
from company_risk.schemas import RISK_CLASSES

log = logging.getLogger("company_risk.serve")

HISTORY_COLUMNS = ["company_id", "probability", "risk_class"]
TERM_COLUMNS = ("pd_3m", "pd_6m", "pd_9m")
FACT_FIELDS = (  # scores column -> the `facts` object of a company (never a person)
    "tax_debt",
    "tax_debt_days",
    "board_size",
    "last_report_year",
    "overdue_report_year",
    "overdue_reports",
    "revenue",
    "equity",
    "capital",
)
_CLASS_CODE = {c: i for i, c in enumerate(RISK_CLASSES)}


def _code_numbers(ids: pd.Series) -> np.ndarray | None:
    """The codes as int32 when every one is 8 characters that read as a number from 10000000
    to 99999999 (so exactly 8 digits, the first not 0: a registry code; the number then stands
    for one code), else None."""
    if not len(ids):
        return np.empty(0, dtype=np.int32)
    codes = pa.array(ids)
    if codes.null_count or pc.min_max(pc.binary_length(codes)).as_py() != {"min": 8, "max": 8}:
        return None
    try:
        numbers = pc.cast(codes, pa.int32()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return numbers if numbers.min() >= 10_000_000 else None


def _class_codes(classes: pd.Series) -> np.ndarray:
    """Each risk class's index into RISK_CLASSES (int8)."""
    values = pa.array(classes)
    codes = pc.index_in(values, value_set=pa.array(RISK_CLASSES, type=values.type))
    if codes.null_count:
        unknown = sorted(set(pc.filter(values, pc.is_null(codes)).to_pylist()))
        raise ValueError(f"unknown risk class(es) in the history: {unknown}")
    return codes.to_numpy().astype(np.int8)


@dataclass(frozen=True)
class DayScores:
    """One kept day as `History` needs it, compact: 9 bytes a company instead of ~30 for the
    frame's columns (90 days of 380,000 companies: 0.3 GB instead of 1.2 GB while loading)."""

    codes: np.ndarray  # int32 registry codes (see _code_numbers)
    probability: np.ndarray  # float32
    klass: np.ndarray  # int8 index into RISK_CLASSES

    @classmethod
    def of(cls, frame: pd.DataFrame) -> DayScores | None:
        """The day's company_id, probability and risk_class; None when a company_id is not a
        registry code."""
        codes = _code_numbers(frame["company_id"])
        if codes is None:
            return None
        klass = _class_codes(frame["risk_class"]) if len(frame) else np.empty(0, dtype=np.int8)
        return cls(codes, frame["probability"].to_numpy(dtype=np.float32), klass)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "company_id": pc.cast(pa.array(self.codes), pa.string()).to_numpy(
                    zero_copy_only=False
                ),
                "probability": self.probability,
                "risk_class": np.asarray(RISK_CLASSES, dtype=object)[self.klass],
            }
        )


class NoScoredDay(LookupError):
    """No complete partition to serve yet."""


@dataclass(frozen=True)
class History:
    """Probability and class of each company on each kept day (columns: `dates`, oldest first);
    NaN / -1 where a company was not scored that day."""

    dates: tuple[dt.date, ...]
    position: Mapping[str, int]
    probability: np.ndarray  # float32, companies × days
    klass: np.ndarray  # int8 index into RISK_CLASSES, -1: not scored

    @classmethod
    def from_days(cls, days: list[tuple[dt.date, pd.DataFrame | DayScores]]) -> History:
        compact = [(d, f if isinstance(f, DayScores) else DayScores.of(f)) for d, f in days]
        if all(c is not None for _, c in compact):
            return cls._from_compact(compact)  # type: ignore[arg-type]
        # some day's codes are not registry codes: index them as strings (slow at scale)
        frames = [(d, f.frame() if isinstance(f, DayScores) else f) for d, f in days]
        ids = pd.Index([], dtype="str")
        for _, frame in frames:
            ids = ids.union(pd.Index(frame["company_id"]))
        position = {c: i for i, c in enumerate(ids)}
        probability = np.full((len(ids), len(frames)), np.nan, dtype=np.float32)
        klass = np.full((len(ids), len(frames)), -1, dtype=np.int8)
        for column, (_, frame) in enumerate(frames):
            rows = ids.get_indexer(frame["company_id"])
            probability[rows, column] = frame["probability"].to_numpy(dtype=np.float32)
            klass[rows, column] = frame["risk_class"].map(_CLASS_CODE).to_numpy(dtype=np.int8)
        return cls(tuple(d for d, _ in frames), position, probability, klass)

    @classmethod
    def _from_compact(cls, days: list[tuple[dt.date, DayScores]]) -> History:
        """`from_days` for registry codes: the companies are the sorted union of the days'
        codes, found through one array indexed by code (an int32 for each number from the
        lowest code to the highest: 32 MB for codes 10000000-17999999) instead of by hashing
        strings, which took a minute for 90 days of 380,000 companies. The matrices are filled
        a day at a time (one contiguous row each) and handed over transposed, companies × days
        as before."""
        filled = [c.codes for _, c in days if len(c.codes)]
        low = min((int(n.min()) for n in filled), default=0)
        high = max((int(n.max()) for n in filled), default=-1)
        row_of = np.full(high - low + 1, -1, dtype=np.int32)
        for n in filled:
            row_of[n - low] = 0
        codes = np.flatnonzero(row_of == 0)
        row_of[codes] = np.arange(len(codes), dtype=np.int32)
        ids = pc.cast(pa.array(codes + low), pa.string()).to_pylist()
        position = dict(zip(ids, range(len(ids)), strict=True))
        probability = np.full((len(days), len(codes)), np.nan, dtype=np.float32)
        klass = np.full((len(days), len(codes)), -1, dtype=np.int8)
        for column, (_, day) in enumerate(days):
            rows = row_of[day.codes - low]
            probability[column, rows] = day.probability
            klass[column, rows] = day.klass
        return cls(tuple(d for d, _ in days), position, probability.T, klass.T)

    def of(self, company_id: str, days: int) -> list[dict[str, Any]]:
        row = self.position.get(company_id)
        if row is None:
            return []
        out = []
        for column in range(max(0, len(self.dates) - days), len(self.dates)):
            code = int(self.klass[row, column])
            if code < 0:
                continue
            out.append(
                {
                    "date": self.dates[column].isoformat(),
                    "probability": round(float(self.probability[row, column]), 6),
                    "risk_class": RISK_CLASSES[code],
                }
            )
        return out


@dataclass(frozen=True)
class ServedDay:
    date: dt.date
    folder: Path
    manifest: Mapping[str, Any]
    scores: pd.DataFrame  # sorted by company_id
    position: Mapping[str, int]
    history: History
    alerts: pd.DataFrame  # the kept days' alerts, oldest day first
    manifest_mtime: float
    # False while the server starts: the day is served with its own scores and alerts only,
    # and the earlier days follow in the background (`Served`), so start-up reads one
    # partition, not `serve.history_days` of them
    history_complete: bool = True

    @property
    def model_version(self) -> str:
        model = self.manifest.get("model") or {}
        return str(model.get("version", ""))

    @property
    def model_name(self) -> str:
        model = self.manifest.get("model") or {}
        return str(model.get("name", ""))

    def company(self, company_id: str, days: int) -> dict[str, Any] | None:
        """The API's record of one company, with its history over the last `days` scored days
        (None: not scored today)."""
        row = self.position.get(company_id)
        if row is None:
            return None
        (record,) = company_records(self.scores.iloc[[row]], self)
        record["history"] = self.history.of(company_id, days)
        return record

    def companies(self, codes: Iterable[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """(records of the codes scored today, in the order asked; codes not scored)."""
        rows, unknown = [], []
        for code in codes:
            row = self.position.get(code)
            if row is None:
                unknown.append(code)
            else:
                rows.append(row)
        return company_records(self.scores.iloc[rows], self), unknown

    def alerts_since(
        self, since: dt.date, kinds: Iterable[str] = (), codes: Iterable[str] | None = None
    ) -> pd.DataFrame:
        out = self.alerts
        out = out.loc[out["date"] >= since.isoformat()]
        kinds = tuple(kinds)
        if kinds:
            out = out.loc[out["kind"].isin(kinds)]
        if codes is not None:
            out = out.loc[out["company_id"].isin(set(codes))]
        return out

    def departure(self, company_id: str) -> dict[str, str] | None:
        """How a company not scored today left the active register, when one of the kept days
        said so (its latest `status_change` alert: date, status, sentence); None otherwise."""
        alerts = self.alerts
        found = alerts.loc[
            (alerts["company_id"] == company_id) & (alerts["kind"] == "status_change")
        ]
        if found.empty:
            return None
        last = found.iloc[-1]
        return {"date": last["date"], "status": last["after"], "detail": last["detail"]}

    def age_days(self, today: dt.date) -> int:
        return (today - self.date).days


def _policy(text: str) -> list[str]:
    return [p for p in str(text).split("; ") if p]


def _number(value: Any) -> float | int | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return value


def company_records(rows: pd.DataFrame, day: ServedDay) -> list[dict[str, Any]]:
    """One JSON-ready dict per row of the scores: the fields every company response has."""
    reasons = [c for c in rows.columns if c.startswith("reason_") and c[7:].isdigit()]
    reasons.sort(key=lambda c: int(c[7:]))
    terms = [c for c in TERM_COLUMNS if c in rows.columns]
    facts = [c for c in FACT_FIELDS if c in rows.columns]
    data = {c: rows[c].tolist() for c in rows.columns}
    n = len(rows)
    blank = [""] * n
    out = []
    for i in range(n):
        payment = data["payment_term_days"][i]
        record = {
            "registry_code": data["company_id"][i],
            "name": data.get("name", blank)[i],
            "status": "R",
            "legal_form": data.get("legal_form", blank)[i],
            "county": data.get("county", blank)[i],
            "main_activity": data.get("nace_code", blank)[i],
            "vat_registered": bool(data.get("vat_number", blank)[i]),
            "score_date": day.date.isoformat(),
            "probability": round(float(data["probability"][i]), 6),
            "term_structure": ({c: round(float(data[c][i]), 6) for c in terms} if terms else None),
            "risk_class": data["risk_class"][i],
            "class_name": data["class_name"][i],
            "policy": _policy(data["policy"][i]),
            "data_depth": data.get("data_depth", [None] * n)[i],
            "recommendation": data["recommendation"][i],
            "credit_limit": _number(data["credit_limit"][i]),
            "payment_term_days": _number(payment),
            "credit_note": data["credit_note"][i],
            "reasons": [data[c][i] for c in reasons if data[c][i]],
            "facts": {c: _number(data[c][i]) for c in facts},
            "model_version": day.model_version,
        }
        out.append(record)
    return out


# ------------------------------------------------------------------------------- loading
def _read_alerts(folder: Path, date: dt.date) -> pd.DataFrame:
    path = folder / artifacts.ALERTS_FILE
    if not path.exists():
        return pd.DataFrame(columns=["company_id", "date", "kind"], dtype="str")
    frame = pd.read_csv(path, dtype="str", keep_default_na=False)
    frame["date"] = date.isoformat()
    if "probability" not in frame:  # a day scored before alerts carried it
        frame["probability"] = ""
    return frame


def _one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each Arrow-backed column in one chunk: taking rows from a column of several
    chunks concatenates them first, ~0.4 ms a text column at 380,000 rows, so one look-up's
    `iloc` would cost ~10 ms; from one chunk it costs ~0.2 ms. Same columns, dtypes, values."""
    return pa.Table.from_pandas(frame, preserve_index=False).combine_chunks().to_pandas()


def _history_frame(out: Path, date: dt.date) -> pd.DataFrame:
    return artifacts.read_scores(out, date, columns=HISTORY_COLUMNS)


def _kept_day(out: Path, date: dt.date) -> pd.DataFrame | DayScores:
    """A kept day's history columns, compact unless its codes are not registry codes (read in
    a worker thread, so only the compact form outlives the read)."""
    frame = _history_frame(out, date)
    return DayScores.of(frame) or frame


def load_day(out: Path, history_days: int, previous: ServedDay | None = None) -> ServedDay:
    """The newest complete partition under `out`, with its history; `previous` (the day served
    until now) lends the history it already holds."""
    dates = artifacts.list_partitions(out)
    if not dates:
        raise NoScoredDay(f"no complete partition under {out}")
    date = dates[-1]
    kept = dates[-history_days:]
    folder = artifacts.partition_dir(out, date)
    recover(folder)
    manifest_path = folder / artifacts.MANIFEST_FILE
    mtime = manifest_path.stat().st_mtime
    manifest = artifacts.read_manifest(out, date)
    if previous is not None and (previous.date, previous.manifest_mtime) == (date, mtime):
        scores, position = previous.scores, previous.position  # the same day, its history added
    else:
        scores = artifacts.read_scores(out, date).sort_values("company_id", kind="stable")
        scores = _one_chunk(scores.reset_index(drop=True))
        position = {c: i for i, c in enumerate(scores["company_id"].tolist())}

    reused: dict[dt.date, pd.DataFrame | DayScores] = {}
    reused_alerts: dict[dt.date, pd.DataFrame] = {}
    if previous is not None:
        for d, frame in _history_days(previous):
            if d in kept and d != date:
                reused[d] = frame
        for d, frame in previous.alerts.groupby("date", sort=False):
            day = dt.date.fromisoformat(d)
            if day in kept and day != date:
                reused_alerts[day] = frame
    missing = [d for d in kept if d not in reused and d != date]
    with ThreadPoolExecutor(max_workers=4) as pool:
        frames = dict(zip(missing, pool.map(lambda d: _kept_day(out, d), missing), strict=True))
        alert_days = [d for d in kept if d not in reused_alerts]
        alerts = dict(
            zip(
                alert_days,
                pool.map(lambda d: _read_alerts(artifacts.partition_dir(out, d), d), alert_days),
                strict=True,
            )
        )
    frames[date] = scores[HISTORY_COLUMNS]
    history = History.from_days([(d, reused.get(d, frames.get(d))) for d in kept])
    all_alerts = pd.concat(
        [reused_alerts.get(d, alerts.get(d)) for d in kept], ignore_index=True
    ).fillna("")
    return ServedDay(date, folder, manifest, scores, position, history, all_alerts, mtime)


def _history_days(day: ServedDay) -> list[tuple[dt.date, pd.DataFrame | DayScores]]:
    """A served day's history back as one frame per day (for the next day to reuse); compact
    (`DayScores`) when the companies are registry codes."""
    ids = np.array(list(day.history.position), dtype=object)
    codes = _code_numbers(pd.Series(ids, dtype=object))
    out: list[tuple[dt.date, pd.DataFrame | DayScores]] = []
    for column, date in enumerate(day.history.dates):
        klass = day.history.klass[:, column]
        scored = klass >= 0
        if codes is not None:
            probability = day.history.probability[scored, column]
            out.append((date, DayScores(codes[scored], probability, klass[scored])))
            continue
        out.append(
            (
                date,
                pd.DataFrame(
                    {
                        "company_id": ids[scored],
                        "probability": day.history.probability[scored, column],
                        "risk_class": np.asarray(RISK_CLASSES, dtype=object)[klass[scored]],
                    }
                ),
            )
        )
    return out


class Served:
    """The day being served and the watcher that swaps in a newer one.

    `on_new_day` is called (in the watcher's thread) with each day after it becomes the
    served one, the first included: the webhook deliveries hang there.
    """

    def __init__(
        self,
        out: Path,
        history_days: int,
        poll_seconds: float,
        on_new_day: Callable[[ServedDay], None] | None = None,
    ):
        self.out = Path(out)
        self.history_days = history_days
        self.poll_seconds = poll_seconds
        self.on_new_day = on_new_day
        self._day: ServedDay | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._swap = threading.Lock()

    def day(self) -> ServedDay:
        day = self._day
        if day is None:
            raise NoScoredDay(f"no complete partition under {self.out}")
        return day

    def refresh(self) -> bool:
        """Serve the newest complete partition if it is not the one served (a newer date, or
        the same day re-scored); True when the served day changed."""
        with self._swap:
            current = self._day
            dates = artifacts.list_partitions(self.out)
            if not dates:
                return False
            if current is not None and dates[-1] == current.date:
                manifest = artifacts.partition_dir(self.out, current.date) / artifacts.MANIFEST_FILE
                try:
                    if manifest.stat().st_mtime == current.manifest_mtime:
                        return False
                except FileNotFoundError:
                    return False
            started = time.perf_counter()
            if current is None and self.history_days > 1 and len(dates) > 1:
                day = dataclasses.replace(load_day(self.out, 1), history_complete=False)
            else:
                day = load_day(self.out, self.history_days, current)
            self._day = day
        log.info(
            "serving %s: %d companies, model %s v%s, %d day(s) of history (%.2f s)",
            day.date,
            len(day.scores),
            day.model_name,
            day.model_version,
            len(day.history.dates),
            time.perf_counter() - started,
        )
        if self.on_new_day is not None:
            try:
                self.on_new_day(day)
            except Exception:  # a failing hook must not stop the serving
                log.exception("after switching to %s", day.date)
        return True

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="partition-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def complete_history(self) -> None:
        """Replace a day served without its history by the same day with it (a newer day
        found meanwhile is served by the next refresh, with its history, as usual)."""
        with self._swap:
            current = self._day
            if current is None or current.history_complete:
                return
            started = time.perf_counter()
            day = load_day(self.out, self.history_days, current)
            if day.date != current.date:
                return
            self._day = day
        log.info(
            "history of %s: %d day(s) loaded (%.2f s)",
            day.date,
            len(day.history.dates),
            time.perf_counter() - started,
        )

    def _watch(self) -> None:
        try:
            self.complete_history()
        except Exception:
            log.exception("loading the history under %s", self.out)
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
                self.complete_history()  # a first load that failed above
            except Exception:  # a half-readable partition now; the next poll tries again
                log.exception("looking for a newer partition under %s", self.out)
