"""CSV files as Arrow string columns, streamed, with structural faults named.

Every CSV file (the register's basic data, the annual reports with millions of rows, EMTA's
files) is parsed by Arrow's CSV reader straight from the file or its zip member, in blocks of
`files.MAX_LINE_BYTES`, only the needed columns, all as strings: never read, decoded or split
whole. The header line is read on its own first (at most `files.MAX_HEADER_BYTES`) and checked.

An empty file, a header over its cap, a missing or renamed column, a wrong delimiter, a row with
too few or too many fields, a line or a field over its cap, or text that is not the expected
encoding raises `source.error` naming the file, and the row or line (and byte offset) where it
can be told.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from company_risk.ingest.errors import Source
from company_risk.ingest.files import (
    CHUNK,
    MAX_FIELD_BYTES,
    MAX_HEADER_BYTES,
    MAX_LINE_BYTES,
    open_binary,
    size_text,
    undecodable,
)

Opener = Callable[[], contextlib.AbstractContextManager[IO[bytes]]]
_BLANK = b"\xef\xbb\xbf \t\r\n"  # a BOM and whitespace: a line of only these is blank


def header_fields(text: str, sep: str, source: Source | None = None) -> list[str]:
    """The stripped fields of a header line (quotes removed)."""
    try:
        return [h.strip() for h in next(csv.reader([text.rstrip("\r\n")], delimiter=sep), [])]
    except csv.Error as exc:
        if source is None:
            raise
        raise source.error(f"line 1: the header is not a CSV line ({exc})") from exc


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


def csv_header(path: Path, source: Source, sep: str, encoding: str = "utf-8") -> list[str]:
    """The fields of the file's header line (see `_header` for what is refused)."""
    return _header(path, source, sep, encoding)[0]


def _header(path: Path, source: Source, sep: str, encoding: str) -> tuple[list[str], bool]:
    """The header's fields, and whether anything follows the header line. An empty file, a
    header line over MAX_HEADER_BYTES and a header that does not decode are errors."""
    with open_binary(path, source) as fh:
        line = fh.readline(MAX_HEADER_BYTES + 1)
        more = fh.read(1) != b""
    if not line.strip(_BLANK) and not more:
        what = "empty (0 bytes)" if not line else "empty (no header, only whitespace)"
        raise source.error(f"the file is {what}: expected a CSV header line")
    if len(line) > MAX_HEADER_BYTES:
        raise source.error(
            f"line 1: the header line is longer than {size_text(MAX_HEADER_BYTES)} "
            "(files.MAX_HEADER_BYTES; real headers are < 1 KB): not a CSV of this kind?"
        )
    try:
        text = line.decode(encoding)
    except UnicodeDecodeError as exc:
        name = codecs.lookup(encoding).name.removesuffix("-sig")
        at = exc.start
        if name == "utf-8":
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as plain:
                at = plain.start  # counted in the line's bytes, a BOM included
        raise source.error(
            f"line 1: the header is not valid {name} text at byte offset {at} ({exc.reason})"
        ) from exc
    return header_fields(text, sep, source), more


def arrow_csv(
    path: Path,
    source: Source,
    sep: str,
    columns,
    usecols,
    encoding: str = "utf-8",
    newlines_in_values: bool = False,
) -> pa.Table:
    """A CSV file (or its zip) in `encoding` as an Arrow table of the string columns `usecols`,
    after checking that every column of `columns` is in the header; streamed, never read or
    decoded whole. `newlines_in_values`: a quoted field may hold a line end (slower to split
    into blocks)."""
    header, more = _header(path, source, sep, encoding)
    check_header(source, header, sep, columns)
    if not more:
        return pa.table({c: pa.array([], pa.string()) for c in usecols})

    def opener() -> contextlib.AbstractContextManager[IO[bytes]]:
        return open_binary(path, source)

    options = (sep, header, usecols, _arrow_encoding(encoding), newlines_in_values)
    try:
        table = _parse(opener, source, *options, threads=True)
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text:
            problem = undecodable(path, source, encoding)
            raise source.error(problem or f"not valid {encoding} text ({exc})") from exc
        if "straddl" in text:  # a row longer than Arrow's block
            message, position = _long_line(opener)
            raise source.error(message, position) from exc
        raise source.error(f"malformed CSV: {exc}") from exc
    _check_fields(source, table)
    return table


def text_csv(text: str, source: Source, sep: str, columns, usecols) -> pa.Table:
    """Decoded CSV text of a small file, as for `arrow_csv` (ingest's readers stream files
    through `arrow_csv` instead; this remains for checks of small downloads)."""
    data = text.encode("utf-8")
    header_line = data.split(b"\n", 1)[0]
    header = header_fields(header_line.decode("utf-8"), sep, source)
    check_header(source, header, sep, columns)
    if len(data) == len(header_line) or not data[len(header_line) + 1 :].strip():
        return pa.table({c: pa.array([], pa.string()) for c in usecols})

    def opener() -> contextlib.AbstractContextManager[IO[bytes]]:
        return contextlib.nullcontext(io.BytesIO(data))

    try:
        table = _parse(opener, source, sep, header, usecols, "utf8", False, threads=True)
    except pa.ArrowInvalid as exc:
        raise source.error(f"malformed CSV: {exc}") from exc
    _check_fields(source, table)
    return table


def _arrow_encoding(encoding: str) -> str:
    """Arrow's name for an encoding: UTF-8 with or without a BOM is read natively (the BOM is in
    the header line, which Arrow skips); any other is transcoded as it streams."""
    name = codecs.lookup(encoding).name
    return "utf8" if name in ("utf-8", "utf-8-sig") else name


def _parse(
    opener: Opener,
    source: Source,
    sep: str,
    header: list[str],
    usecols,
    encoding: str,
    newlines_in_values: bool,
    threads: bool,
) -> pa.Table:
    bad: list = []

    def on_invalid(row) -> str:
        bad.append(row)
        return "error"

    read = pacsv.ReadOptions(
        column_names=header,
        skip_rows=1,
        use_threads=threads,
        block_size=MAX_LINE_BYTES,
        encoding=encoding,
    )
    parse = pacsv.ParseOptions(
        delimiter=sep,
        quote_char='"',
        newlines_in_values=newlines_in_values,
        invalid_row_handler=on_invalid,
    )
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
            return _parse(opener, source, sep, header, usecols, encoding, newlines_in_values, False)
        what = "too few" if row.actual_columns < row.expected_columns else "too many"
        position = None if row.number is None else row.number - 2  # physical line -> data row
        raise source.error(
            f"{what} fields ({row.actual_columns} of {row.expected_columns}; a truncated row "
            f"or an unquoted {sep!r}?)",
            position,
        ) from None
    return table.combine_chunks()


def _long_line(opener: Opener) -> tuple[str, int | None]:
    """The message and data row of the first line longer than MAX_LINE_BYTES, found by one
    streaming pass (after Arrow refused a row that does not fit in a block); the pass stops
    16 caps into a line that does not end."""
    cap = f"longer than the {size_text(MAX_LINE_BYTES)} a row may take (files.MAX_LINE_BYTES)"
    with opener() as fh:
        offset, lines, line_start = 0, 0, 0  # bytes before this block; line ends; where the
        # current line starts
        while block := fh.read(CHUNK):
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")) + offset
            starts = np.concatenate(([line_start], ends[:-1] + 1))
            long = np.flatnonzero(ends - starts > MAX_LINE_BYTES)
            if len(long):
                at = int(long[0])
                size = size_text(int(ends[at] - starts[at]))
                return f"a line of {size}, {cap}, from byte offset {starts[at]}", lines + at - 1
            if len(ends):
                lines, line_start = lines + len(ends), int(ends[-1]) + 1
            offset += len(block)
            if offset - line_start > 16 * MAX_LINE_BYTES:
                size = size_text(offset - line_start)
                return f"a line of more than {size}, {cap}, from byte offset {line_start}", (
                    lines - 1
                )
    return f"a row {cap} (a quoted field that is not closed?)", None


def _check_fields(source: Source, table: pa.Table) -> None:
    """No field of a column read longer than MAX_FIELD_BYTES."""
    for name in table.column_names:
        lengths = pc.binary_length(table[name])
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > MAX_FIELD_BYTES:
            at = int(np.flatnonzero(lengths.to_numpy(zero_copy_only=False) > MAX_FIELD_BYTES)[0])
            raise source.error(
                f"a field of {size_text(longest)}, longer than {size_text(MAX_FIELD_BYTES)} "
                "(files.MAX_FIELD_BYTES)",
                at,
                field=name,
            )


def strings(table: pa.Table, column: str) -> pd.Series:
    """One column of an Arrow table as a pandas `str` Series."""
    return pd.Series(table[column].to_pandas(), dtype="str")


def frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of strings as a pandas frame of `str` columns."""
    return pd.DataFrame({c: strings(table, c) for c in table.column_names})
