"""Typed, validated columns from the text fields of the open-data files.

Each parser is vectorised (a national drop has ~380,000 rows). Without `reject`, the first bad
value raises one error naming the row and field, so a bad file is fixed in one look. With a
`reject` mask (a record-level field, see `errors.Rejects`), every bad value is recorded with its
row, field and reason, marked in the mask, and replaced by a missing value; the reader then
leaves those rows out. `rows` maps each value to the 0-based data position it came from (a JSON
list exploded to rows keeps its item).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from company_risk import formats as F
from company_risk.ingest.arrowcsv import arrow_csv, frame
from company_risk.ingest.errors import RowMask, Source

CODE = r"\d{8}"
_SPACES = re.compile("[ \u00a0\u202f]")
_NUMBER = r"-?\d+(\.\d+)?"


def _positions(values: pd.Series, rows: np.ndarray | None) -> np.ndarray:
    return np.arange(len(values)) if rows is None else np.asarray(rows)


def _fail_at(
    source: Source,
    values: pd.Series,
    bad: np.ndarray,
    rows,
    field: str,
    what: str,
    reject: RowMask | None = None,
) -> None:
    """Raise the error of the first bad value, or, with a `reject` mask, record every one."""
    positions = _positions(values, rows)
    if reject is not None:
        reject.add(bad, positions, field, values.to_numpy(), f"is not {what}")
        return
    first = int(np.flatnonzero(bad)[0])
    value = values.iloc[first]
    raise source.error(f"{value!r} is not {what}", positions[first], field)


def member(values: pd.Series, candidates) -> np.ndarray:
    """`values.isin(candidates)` for string keys through Arrow's hash set: pandas' isin on `str`
    columns converts the candidates one by one, far too slow at national scale."""
    needles = pa.array(pd.Series(values, dtype="str"))
    haystack = pa.array(pd.Series(candidates, dtype="str"))
    return pc.is_in(needles, value_set=haystack).to_numpy(zero_copy_only=False)


def text(values: pd.Series) -> pd.Series:
    """Strings with surrounding whitespace removed; missing becomes ""."""
    return values.fillna("").astype("str").str.strip()


def required(
    source: Source, values: pd.Series, field: str, rows=None, reject: RowMask | None = None
) -> pd.Series:
    values = text(values)
    empty = (values == "").to_numpy()
    if empty.any():
        if reject is not None:
            reject.add(empty, _positions(values, rows), field, values.to_numpy(), "is empty")
            return values
        first = int(np.flatnonzero(empty)[0])
        raise source.error("is empty", _positions(values, rows)[first], field)
    return values


def codes(
    source: Source, values: pd.Series, field: str, rows=None, reject: RowMask | None = None
) -> pd.Series:
    """8-digit registry codes, kept as strings."""
    values = text(values)
    bad = ~values.str.fullmatch(CODE).to_numpy(dtype=bool)
    if bad.any():
        _fail_at(source, values, bad, rows, field, "an 8-digit registry code", reject)
    return values


def one_of(
    source: Source,
    values: pd.Series,
    field: str,
    allowed,
    rows=None,
    reject: RowMask | None = None,
) -> pd.Series:
    values = text(values)
    bad = ~values.isin(list(allowed)).to_numpy()
    if bad.any():
        _fail_at(source, values, bad, rows, field, f"one of {sorted(allowed)}", reject)
    return values


def dates(
    source: Source,
    values: pd.Series,
    field: str,
    rows=None,
    optional: bool = False,
    reject: RowMask | None = None,
) -> pd.Series:
    """DD.MM.YYYY -> datetime64[us]; an impossible date (31.02.2020) is an error."""
    values = text(values)
    strings = pa.array(values)
    stamps = pc.strptime(strings, format=F.DATE_FORMAT, unit="us", error_is_null=True)
    # strptime rolls 31.02 over to 02.03; formatting back exposes it (and "1.2.2020")
    exact = pc.fill_null(pc.equal(pc.strftime(stamps, format=F.DATE_FORMAT), strings), False)
    stamps = pc.if_else(exact, stamps, pa.scalar(None, stamps.type))
    parsed = pd.Series(
        stamps.to_numpy(zero_copy_only=False), index=values.index, dtype="datetime64[us]"
    )
    empty = (values == "").to_numpy()
    bad = ~exact.to_numpy(zero_copy_only=False) & ~empty
    if not optional:
        bad |= empty
    if bad.any():
        _fail_at(source, values, bad, rows, field, "a date DD.MM.YYYY", reject)
        parsed = parsed.mask(bad)
    return parsed


def numbers(
    source: Source,
    values: pd.Series,
    field: str,
    decimal_comma: bool,
    rows=None,
    optional: bool = True,
    reject: RowMask | None = None,
) -> pd.Series:
    """Amounts -> float64 (NaN where empty and optional).

    EMTA style (`decimal_comma`): "12 345,67" with plain, non-breaking or narrow no-break
    spaces between thousands. Otherwise a plain dot decimal ("12345.67").
    """
    values = text(values)
    if decimal_comma:
        normal = values.str.replace(_SPACES, "", regex=True).str.replace(",", ".", regex=False)
    else:
        normal = values
    empty = (values == "").to_numpy()
    bad = ~normal.str.fullmatch(_NUMBER).to_numpy(dtype=bool) & ~empty
    if not optional:
        bad |= empty
    if bad.any():
        _fail_at(source, values, bad, rows, field, "a number", reject)
    return pd.to_numeric(normal.where(~empty & ~bad, None), errors="coerce").astype("float64")


def unique(
    source: Source, values: pd.Series, field: str, rows=None, reject: RowMask | None = None
) -> None:
    """Duplicate keys are an error naming the second occurrence (or, with `reject`, every
    later occurrence is rejected)."""
    dup = values.duplicated().to_numpy()
    if dup.any():
        _fail_at(source, values, dup, rows, field, "unique (duplicate)", reject)


def csv_table(
    path: Path,
    source: Source,
    sep: str,
    columns: tuple[str, ...],
    usecols: tuple[str, ...] | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """A CSV file (or its zip) as all-string columns, after checking that every expected column
    is in the header; streamed by Arrow (`arrowcsv.arrow_csv`), never read whole. A quoted
    field may hold a line end.

    An empty file, a missing or renamed column, a wrong delimiter, rows with too many or too
    few fields, text that is not `encoding` and lines or fields over the caps of `files` are
    errors; extra columns are allowed (the publishers add columns over time).
    """
    wanted = tuple(usecols or columns)
    table = arrow_csv(path, source, sep, columns, wanted, encoding, newlines_in_values=True)
    return frame(table)[list(wanted)]


# ------------------------------------------------------------------- plausibility bounds
# What a published value must satisfy to enter the history: beyond these it is a record fault
# (the row is rejected with its reason), never a silent fact. Generous on purpose: the largest
# Estonian companies' yearly turnover is a few billion euros, so 1e11 is no real amount.
MAX_AMOUNT_EUR = 1e11
EARLIEST_DATE = pd.Timestamp("1900-01-01")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def within(
    source: Source,
    values: pd.Series,
    field: str,
    low: float,
    high: float,
    rows=None,
    reject: RowMask | None = None,
) -> pd.Series:
    """Numbers in [low, high] (NaN passes); others rejected and set to NaN."""
    array = values.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(array) & ((array < low) | (array > high))
    if bad.any():
        _fail_at(
            source, values, bad, rows, field, f"a plausible value in [{low:g}, {high:g}]", reject
        )
        values = values.mask(bad)
    return values


def at_most(
    source: Source,
    part: pd.Series,
    whole: pd.Series,
    field: str,
    whole_field: str,
    rows=None,
    reject: RowMask | None = None,
) -> pd.Series:
    """A part (a disputed or scheduled amount) no larger than its whole (the debt)."""
    bad = (part.to_numpy(dtype="float64") > whole.to_numpy(dtype="float64") + 0.005) & ~np.isnan(
        whole.to_numpy(dtype="float64")
    )
    if bad.any():
        _fail_at(source, part, bad, rows, field, f"at most {whole_field}", reject)
        part = part.mask(bad)
    return part


def dated_by_drop(
    source: Source, dates: pd.Series, field: str, rows=None, reject: RowMask | None = None
) -> pd.Series:
    """Dates no later than the drop they were published in (a fact cannot be published before
    it happens) and not before 1900; others rejected and set to NaT."""
    published = pd.Timestamp(source.drop)
    bad = (dates.notna() & ((dates > published) | (dates < EARLIEST_DATE))).to_numpy(dtype=bool)
    if bad.any():
        _fail_at(
            source,
            dates.dt.strftime(F.DATE_FORMAT),
            bad,
            rows,
            field,
            f"a date between 1900 and the drop date {published:%d.%m.%Y}",
            reject,
        )
        dates = dates.mask(bad)
    return dates


def plain_text(
    source: Source, values: pd.Series, field: str, rows=None, reject: RowMask | None = None
) -> pd.Series:
    """Text without control characters (a NUL byte in a name is a broken record)."""
    bad = values.str.contains(_CONTROL).to_numpy(dtype=bool)
    if bad.any():
        shown = values.str.replace(_CONTROL, "\N{REPLACEMENT CHARACTER}", regex=True)
        _fail_at(source, shown, bad, rows, field, "text without control characters", reject)
    return values
