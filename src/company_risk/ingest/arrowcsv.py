"""Large CSV files as Arrow string columns, with structural faults named.

The annual-report files have millions of rows, so they are parsed by Arrow's CSV reader straight
from the file (or its zip), only the needed columns, all as strings; the EMTA files, once decoded,
take the same path from memory. A missing or renamed column, a wrong delimiter, a row with too
few or too many fields, or text that is not the expected encoding raises `source.error` naming the
file, and the row or line where it can be told.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from company_risk.ingest.errors import Source
from company_risk.ingest.files import decode, open_binary, read_bytes

Opener = Callable[[], contextlib.AbstractContextManager[IO[bytes]]]


def header_fields(text: str, sep: str) -> list[str]:
    """The stripped fields of a header line (quotes removed)."""
    return [h.strip() for h in next(csv.reader([text.rstrip("\r\n")], delimiter=sep), [])]


def check_header(source: Source, header: list[str], sep: str, columns) -> None:
    """Every column of `columns` in the header, and no name twice; extra columns are allowed
    (the publishers add columns over time)."""
    missing = [c for c in columns if c not in header]
    if missing:
        if len(header) == 1 and len(columns) > 1:
            raise source.error(
                f"the header has one field; expected {sep!r}-separated columns (wrong delimiter?)",
                field=missing[0],
            )
        raise source.error("missing or renamed column in the header", field=missing[0])
    if len(set(header)) < len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise source.error("column named twice in the header", field=twice)


def _first_line(opener: Opener, source: Source) -> tuple[str, bool]:
    """The header line, and whether anything follows it."""
    with opener() as fh:
        line = fh.readline()
        more = fh.read(1) != b""
    try:
        return line.decode("utf-8-sig"), more
    except UnicodeDecodeError as exc:
        raise source.error(f"line 1: the header is not valid UTF-8 text ({exc.reason})") from exc


def arrow_csv(
    path: Path, source: Source, sep: str, columns, usecols, encoding: str = "utf-8"
) -> pa.Table:
    """A UTF-8 CSV file (or its zip) as an Arrow table of the string columns `usecols`, after
    checking that every column of `columns` is in the header; streamed, never decoded whole."""

    def opener() -> contextlib.AbstractContextManager[IO[bytes]]:
        return open_binary(path, source)

    def undecodable() -> None:
        decode(read_bytes(path, source), source, (encoding,))  # raises naming the line

    return _read(opener, source, sep, columns, usecols, encoding, undecodable)


def text_csv(text: str, source: Source, sep: str, columns, usecols) -> pa.Table:
    """Decoded CSV text (any encoding it came in) as for `arrow_csv`."""
    data = text.encode("utf-8")

    def opener() -> contextlib.AbstractContextManager[IO[bytes]]:
        return contextlib.nullcontext(io.BytesIO(data))

    return _read(opener, source, sep, columns, usecols, "utf-8", lambda: None)


def _read(
    opener: Opener,
    source: Source,
    sep: str,
    columns,
    usecols,
    encoding: str,
    undecodable: Callable[[], None],
) -> pa.Table:
    line, more = _first_line(opener, source)
    header = header_fields(line, sep)
    check_header(source, header, sep, columns)
    if not more:
        return pa.table({c: pa.array([], pa.string()) for c in usecols})
    try:
        return _parse(opener, source, sep, header, usecols, threads=True)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            undecodable()
            raise source.error(f"not valid {encoding} text ({exc})") from exc
        raise source.error(f"malformed CSV: {exc}") from exc


def _parse(
    opener: Opener, source: Source, sep: str, header: list[str], usecols, threads: bool
) -> pa.Table:
    bad: list = []

    def on_invalid(row) -> str:
        bad.append(row)
        return "error"

    read = pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=threads)
    parse = pacsv.ParseOptions(delimiter=sep, quote_char='"', invalid_row_handler=on_invalid)
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in usecols},
        include_columns=list(usecols),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        with opener() as fh:
            table = pacsv.read_csv(
                fh, read_options=read, parse_options=parse, convert_options=convert
            )
    except pa.ArrowInvalid:
        if not bad:
            raise
        row = bad[0]
        if row.number is None and threads:  # a threaded read does not know the line: again
            return _parse(opener, source, sep, header, usecols, threads=False)
        what = "too few" if row.actual_columns < row.expected_columns else "too many"
        position = None if row.number is None else row.number - 2  # physical line -> data row
        raise source.error(
            f"{what} fields ({row.actual_columns} of {row.expected_columns}; a truncated row "
            f"or an unquoted {sep!r}?)",
            position,
        ) from None
    return table.combine_chunks()


def strings(table: pa.Table, column: str) -> pd.Series:
    """One column of an Arrow table as a pandas `str` Series."""
    return pd.Series(table[column].to_pandas(), dtype="str")


def frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of strings as a pandas frame of `str` columns."""
    return pd.DataFrame({c: strings(table, c) for c in table.column_names})
