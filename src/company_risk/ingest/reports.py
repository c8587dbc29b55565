"""The annual-report files of the e-Business Register: general data + elements -> one row per report.

RIK republishes the reports cumulatively: one general file (`1.aruannete_yldandmed_kuni_<date>`,
every report of every year, ~1.6 M rows) and one elements file per fiscal year
(`4.<year>_aruannete_elemendid_kuni_<date>`, ~3.0 M rows for 2025), both `;`-separated with every
field quoted. They are read with Arrow's CSV reader, only the needed columns, as strings, and
the elements are reduced to small integer/float arrays at once, so a year of elements never
exists as Python objects.

The rules of the elements (see the design notes on the real formats):
- a report's elements are filed under `taidetud_aruanne_report_id` when that is set, else under
  `report_id`: element rows are joined through both columns (`report_id` first);
- one element can appear several times in one report (the primary statement, its detailed
  version, notes, a `PDF` table): the copy of the lowest `formats.report_table_rank` wins, then
  the first in file order; copies that disagree with the winner are counted, never fatal;
  `PDF` rows are not read;
- several element names feed one column (`LaborExpense`, `EmployeeExpense`): the first listed in
  `formats.REPORT_ELEMENTS` that the report has wins; the entity's own figure wins over the
  group's (`<name>Consolidated`), which is used only when the own one is missing;
- element names not in `formats.REPORT_ELEMENTS` are ignored; an element row whose report id is
  in neither column of the general data is a rejected row of its elements file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from company_risk import formats as F
from company_risk.ingest import parse
from company_risk.ingest.arrowcsv import arrow_csv, strings
from company_risk.ingest.errors import Rejects, RowMask, Source
from company_risk.schemas import INTERIM_TABLES

# the element names read, in order of preference: every own name (as listed), then the group's
ELEMENT_NAMES = tuple(F.REPORT_ELEMENTS) + tuple(
    f"{name}{F.CONSOLIDATED_SUFFIX}" for name in F.REPORT_ELEMENTS
)
# the column of each element name (an index into formats.REPORT_COLUMNS)
ELEMENT_COLUMN = np.array(
    [F.REPORT_COLUMNS.index(F.REPORT_ELEMENTS[name]) for name in F.REPORT_ELEMENTS] * 2,
    dtype=np.int64,
)
REPORT_OUTPUT = tuple(c for c in INTERIM_TABLES["annual_reports"] if c != "published_on")
YES_NO = {F.REPORTS_YES: True, F.REPORTS_NO: False}
GENERAL_USED = (
    "report_id",
    "taidetud_aruanne_report_id",
    "registrikood",
    "aruandeaasta",
    "kas konsolideeritud?",
    "period_start",
    "period_end",
    "esitatud_kpv",
    "kas auditeeritud?",
    *F.REPORT_AUDIT_COLUMNS,
)
ELEMENTS_USED = ("report_id", "tabel", "elemendi_nimetus", "vaartus")


class _Values:
    """The text of a column, looked up only for the few rows that are rejected."""

    def __init__(self, array: pa.ChunkedArray | pa.Array) -> None:
        self.array = array

    def __getitem__(self, index) -> str:
        return str(self.array[int(index)].as_py())


# ------------------------------------------------------------------------- the general file
def _yes_no(source: Source, values: pd.Series, field: str, mask: RowMask) -> pd.Series:
    values = parse.one_of(source, values, field, tuple(YES_NO), reject=mask)
    return values.map(YES_NO).fillna(False).astype("bool")


def read_general(path: Path, source: Source, rejects: Rejects) -> tuple[pd.DataFrame, np.ndarray]:
    """The general file -> (one row per report of the file, in file order, without elements;
    the rows' validity: False where the row was rejected)."""
    table = arrow_csv(
        path,
        source,
        F.REPORTS_SEPARATOR,
        F.REPORTS_GENERAL_COLUMNS,
        GENERAL_USED,
        F.REPORTS_ENCODING,
    )
    n = table.num_rows
    rejects.total = n
    mask = rejects.over(n)
    raw = {c: strings(table, c) for c in GENERAL_USED}
    del table
    report_id = parse.required(source, raw["report_id"], "report_id", reject=mask)
    parse.unique(source, report_id, "report_id", reject=mask)  # empty ones are rejected above
    year = parse.numbers(
        source, raw["aruandeaasta"], "aruandeaasta", False, optional=False, reject=mask
    )
    whole = year.notna().to_numpy() & (year.fillna(0) % 1 == 0).to_numpy()
    mask.add(
        ~whole & year.notna().to_numpy(),
        np.arange(n),
        "aruandeaasta",
        raw["aruandeaasta"].to_numpy(),
        "is not a year",
    )

    def day(field: str, optional: bool) -> pd.Series:
        return parse.dates(source, raw[field], field, optional=optional, reject=mask)

    reports = pd.DataFrame(
        {
            "report_id": report_id,
            "filled_report_id": parse.text(raw["taidetud_aruanne_report_id"]),
            "company_id": parse.codes(source, raw["registrikood"], "registrikood", reject=mask),
            "fiscal_year": year.fillna(0).astype("int64"),
            "period_start": day("period_start", optional=True),
            "period_end": day("period_end", optional=True),
            "submitted_on": parse.dated_by_drop(
                source, day("esitatud_kpv", optional=False), "esitatud_kpv", reject=mask
            ),
            "audited": _yes_no(source, raw["kas auditeeritud?"], "kas auditeeritud?", mask),
            "consolidated": _yes_no(
                source, raw["kas konsolideeritud?"], "kas konsolideeritud?", mask
            ),
            **{out: parse.text(raw[col]) for col, out in F.REPORT_AUDIT_COLUMNS.items()},
        }
    )
    return reports, ~mask.bad


# ----------------------------------------------------------------------- the elements files
def _nullable(values: pd.Series) -> pa.Array:
    """Keys for a join: "" becomes null, which matches nothing."""
    return pa.array(values.where(values != "", None), type=pa.string())


def _read_elements(
    path: Path,
    source: Source,
    rejects: Rejects,
    own_ids: pa.Array,
    filled_ids: pa.Array,
    valid: np.ndarray,
    file_index: int,
    counts: dict[str, int],
) -> pd.DataFrame:
    """One elements file -> its usable element rows as small arrays: report (a row of the general
    file), element (an index into ELEMENT_NAMES), rank, file, pos (data row), value."""
    table = arrow_csv(
        path,
        source,
        F.REPORTS_SEPARATOR,
        F.REPORTS_ELEMENTS_COLUMNS,
        ELEMENTS_USED,
        F.REPORTS_ENCODING,
    )
    n = table.num_rows
    rejects.total = n
    counts["element_rows"] += n
    ids = pc.utf8_trim_whitespace(table["report_id"])
    by_own = pc.index_in(ids, value_set=own_ids, skip_nulls=True)
    by_filled = pc.index_in(ids, value_set=filled_ids, skip_nulls=True)
    report = pc.fill_null(pc.coalesce(by_own, by_filled), -1).to_numpy(zero_copy_only=False)
    report = report.astype(np.int64)
    unknown = report < 0
    counts["elements_without_report"] += int(unknown.sum())
    counts["elements_via_filled_id"] += int(
        (pc.is_null(by_own).to_numpy(zero_copy_only=False) & ~unknown).sum()
    )
    rejects.over(n).add(
        unknown,
        np.arange(n),
        "report_id",
        _Values(ids),
        "matches no report_id or taidetud_aruanne_report_id of the general data",
    )
    tables = pc.utf8_trim_whitespace(table["tabel"])
    pdf = pc.equal(tables, F.REPORT_PDF_TABLE).to_numpy(zero_copy_only=False)
    names = pc.utf8_trim_whitespace(table["elemendi_nimetus"])
    element = pc.fill_null(pc.index_in(names, value_set=pa.array(ELEMENT_NAMES)), -1).to_numpy(
        zero_copy_only=False
    )
    known = ~unknown
    counts["pdf_rows"] += int((pdf & known).sum())
    counts["ignored_element_rows"] += int((~pdf & known & (element < 0)).sum())
    of_rejected = np.zeros(n, dtype=bool)
    of_rejected[known] = ~valid[report[known]]
    counts["elements_of_rejected_reports"] += int(of_rejected.sum())
    keep = known & ~pdf & (element >= 0) & ~of_rejected
    positions = np.flatnonzero(keep)
    kept = pa.array(keep)
    table_names = pc.filter(tables, kept)
    unique_tables = pc.unique(table_names)
    ranks = np.array([F.report_table_rank(t) for t in unique_tables.to_pylist()], dtype=np.int8)
    rank = ranks[pc.index_in(table_names, value_set=unique_tables).to_numpy(zero_copy_only=False)]
    text = pd.Series(pc.filter(table["vaartus"], kept).to_pandas(), dtype="str")
    del table, ids, tables, names
    mask = rejects.over(len(positions))
    value = parse.numbers(source, text, "vaartus", False, rows=positions, reject=mask).to_numpy()
    empty = (parse.text(text) == "").to_numpy()
    counts["empty_values"] += int(empty.sum())
    use = ~mask.bad & ~empty
    return pd.DataFrame(
        {
            "report": report[positions][use],
            "element": element[positions][use].astype(np.int16),
            "rank": rank[use],
            "file": np.int16(file_index),
            "pos": positions[use].astype(np.int64),
            "value": value[use],
        }
    )


def _choose(long: pd.DataFrame, n_reports: int, counts: dict[str, int]) -> np.ndarray:
    """Element rows -> the (n_reports, len(REPORT_COLUMNS)) figures, NaN where not reported."""
    wide = np.full((n_reports, len(F.REPORT_COLUMNS)), np.nan)
    if long.empty:
        return wide
    # one copy per report and element: the lowest rank, then the first in file order
    long = long.sort_values(["report", "element", "rank", "file", "pos"], kind="stable")
    report = long["report"].to_numpy()
    element = long["element"].to_numpy().astype(np.int64)
    value = long["value"].to_numpy()
    first = np.ones(len(long), dtype=bool)
    first[1:] = (report[1:] != report[:-1]) | (element[1:] != element[:-1])
    winner = np.maximum.accumulate(np.where(first, np.arange(len(long)), 0))
    counts["repeated_copies"] += int((~first).sum())
    counts["disagreeing_copies"] += int((~first & (value != value[winner])).sum())
    report, element, value = report[first], element[first], value[first]
    # one element per report and column: sorted by element, the first listed name wins, and
    # every own name comes before the group's (`…Consolidated`)
    column = ELEMENT_COLUMN[element]
    order = np.lexsort((element, column, report))
    report, element, column, value = report[order], element[order], column[order], value[order]
    first = np.ones(len(report), dtype=bool)
    first[1:] = (report[1:] != report[:-1]) | (column[1:] != column[:-1])
    counts["consolidated_fallbacks"] += int((first & (element >= len(F.REPORT_ELEMENTS))).sum())
    wide[report[first], column[first]] = value[first]
    return wide


def read_reports(
    general: tuple[Path, Source, Rejects],
    elements: list[tuple[Path, Source, Rejects]],
    general_read: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The general file and the elements files of any fiscal years -> (one row per report:
    the interim `annual_reports` columns but `published_on`, elements wide, NaN where not
    reported; counts for the ingest log).

    The counts: `reports` (rows out), `element_rows` (data rows of the elements files), `pdf_rows`
    (ignored), `ignored_element_rows` (names not in formats.REPORT_ELEMENTS), `empty_values`,
    `repeated_copies` (copies that lost to another copy of the same element), `disagreeing_copies`
    (of those, the ones whose value differs from the winner's), `consolidated_fallbacks` (figures
    taken from a `…Consolidated` element), `elements_via_filled_id`, `elements_without_report`
    (rejected), `elements_of_rejected_reports` (left out with their rejected report).
    `general_read` is `read_general(*general)` when the caller has read it already.
    """
    counts = dict.fromkeys(
        (
            "element_rows",
            "pdf_rows",
            "ignored_element_rows",
            "empty_values",
            "repeated_copies",
            "disagreeing_copies",
            "consolidated_fallbacks",
            "elements_via_filled_id",
            "elements_without_report",
            "elements_of_rejected_reports",
        ),
        0,
    )
    reports, valid = general_read if general_read is not None else read_general(*general)
    own_ids = _nullable(reports["report_id"])
    filled_ids = _nullable(reports["filled_report_id"])
    parts = [
        _read_elements(path, source, rejects, own_ids, filled_ids, valid, index, counts)
        for index, (path, source, rejects) in enumerate(elements)
    ]
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    wide = _choose(long, len(reports), counts)
    del long, parts
    figures = pd.DataFrame(wide, columns=list(F.REPORT_COLUMNS), index=reports.index)
    out = pd.concat([reports, figures], axis=1)[valid].reset_index(drop=True)
    out = out[list(REPORT_OUTPUT)].astype(
        {c: t for c, t in INTERIM_TABLES["annual_reports"].items() if c in REPORT_OUTPUT}
    )
    return out, {"reports": len(out), **counts}
