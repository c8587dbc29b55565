"""A supplier's ledger of open invoices: one CSV export, parsed and checked row by row.

The file is what accounting software exports: `,` or `;` between fields, UTF-8 with or without
a byte-order mark, amounts with a decimal point or a decimal comma (thousands separators too:
`1 234,50`, `1.234,50`, `1,234.50`), dates as ISO `YYYY-MM-DD` or `DD.MM.YYYY`, and a header in
English (`FIELDS`) or with the usual Estonian names (`ALIASES`), in any case and spacing.
Columns beyond `FIELDS` (a customer's name, a contact person) are never read, so no person's
name enters the portfolio from the ledger.

A fault in one row leaves that row out of the figures and lists it (`RowError`: file, line,
field, value, reason), so a ledger of 10,000 invoices with three typos still gives its
portfolio; the whole file is refused (`PortfolioError`) only when nothing can be used: it is
not UTF-8 text, a required column is missing or named twice, or no row parses.

`parse_ledger(data, source, cfg)` is the pure entry point (an API passes the uploaded body as
bytes); `read_ledger(path, cfg)` reads a file and calls it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from company_risk.config import PortfolioConfig
from company_risk.portfolio import PortfolioError

FIELDS = ("registry_code", "invoice", "amount", "currency", "issue_date", "due_date", "paid")
REQUIRED = FIELDS[:-1]  # `paid` may be left out: nothing paid yet
# the names accounting exports in Estonia give the columns; matched like the English names,
# ignoring case, spaces, dots, hyphens and underscores
ALIASES: dict[str, tuple[str, ...]] = {
    "registry_code": (
        "registrikood",
        "reg.kood",
        "registri kood",
        "äriregistri kood",
        "kliendi registrikood",
        "reg nr",
        "registrinumber",
    ),
    "invoice": ("arve nr", "arve number", "arve", "invoice number", "invoice no"),
    "amount": ("summa", "arve summa"),
    "currency": ("valuuta",),
    "issue_date": ("arve kuupäev", "kuupäev", "arve kpv", "invoice date"),
    "due_date": ("maksetähtaeg", "tähtaeg", "maksetähtpäev", "tasumise tähtaeg"),
    "paid": ("tasutud", "laekunud", "tasutud summa", "laekunud summa"),
}
SEPARATORS = (";", ",")
EURO = "EUR"

_SPACE = "[ \u00a0\u202f]"  # the thousands separators a space stands for (plain, no-break, thin)
_DECIMAL_COMMA = rf"[+-]?(?:\d{{1,3}}(?:(?:{_SPACE}|\.)\d{{3}})+|\d+)(?:,\d+)?"
_DECIMAL_POINT = rf"[+-]?(?:\d{{1,3}}(?:(?:{_SPACE}|,)\d{{3}})+|\d+)(?:\.\d+)?"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_ESTONIAN_DATE = r"\d{1,2}\.\d{1,2}\.\d{4}"
_REGISTRY_CODE = r"\d{8}"
_PERSONAL_CODE_DIGITS = 11
_ERROR_COLUMNS = ("file", "line", "field", "value", "reason")


def _header_key(name: str) -> str:
    return re.sub(r"[\s_.\-]+", "", name.strip().strip('"\ufeff').casefold())


_FIELD_OF: dict[str, str] = {
    _header_key(name): field
    for field in FIELDS
    for name in (field, field.replace("_", " "), *ALIASES.get(field, ()))
}


@dataclass(frozen=True)
class RowError:
    """One fault of one row: the row is left out of the figures and listed with it."""

    source: str
    line: int  # the row's first line in the file (the header is line 1)
    field: str  # one of FIELDS, or "row" when the row as a whole does not fit the header
    value: str  # the cell as written ("" where echoing it could show a personal code)
    reason: str

    def __str__(self) -> str:
        return f"{self.source}, line {self.line}, {self.field}: {self.reason}"

    def to_dict(self) -> dict[str, str | int]:
        return {
            "file": self.source,
            "line": self.line,
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Ledger:
    """The usable rows of a ledger and the faults of the others.

    `rows`: one row per invoice that passed every check, in file order: line, registry_code,
    invoice, currency, amount, paid (both in the invoice's currency), eur_rate, amount_eur,
    paid_eur, open_eur (amount - paid, in euros), issue_date, due_date."""

    source: str
    rows: pd.DataFrame
    errors: tuple[RowError, ...]
    data_rows: int  # rows read below the header (blank lines not counted)

    def errors_frame(self) -> pd.DataFrame:
        return faults_table(self.errors)


def faults_table(errors: Sequence[RowError]) -> pd.DataFrame:
    """The faults as a table (bad_rows.csv): file, line, field, value, reason."""
    records = [e.to_dict() for e in errors]
    return pd.DataFrame(records, columns=list(_ERROR_COLUMNS)).astype(
        {"file": "str", "line": "int64", "field": "str", "value": "str", "reason": "str"}
    )


def read_ledger(path: Path, cfg: PortfolioConfig) -> Ledger:
    """`parse_ledger` of the file at `path` (its name is the source the errors cite)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PortfolioError(f"{path}: cannot read the ledger ({exc.strerror})") from exc
    return parse_ledger(data, str(path), cfg)


def parse_ledger(data: bytes, source: str, cfg: PortfolioConfig) -> Ledger:
    """The ledger in `data` (a CSV file's bytes), every row checked; `source` names it in the
    errors. Raises PortfolioError when the file cannot be used at all."""
    text = _decode(data, source)
    separator, header, records = _split(text, source)
    columns = _columns(header, source)
    if not records:
        raise PortfolioError(f"{source}: the header is followed by no invoice")
    cells, misfits = _cells(records, columns, len(header))
    rows, faults = _check(cells, separator, cfg)
    found = pd.concat([_no_faults(), misfits, *faults], ignore_index=True)
    order = {name: i for i, name in enumerate(("row", *FIELDS))}
    found = found.sort_values(
        ["line", "field"], key=lambda c: c.map(order) if c.name == "field" else c, kind="stable"
    )
    row_errors = tuple(
        RowError(source, int(r.line), r.field, r.value, r.reason) for r in found.itertuples()
    )
    usable = rows.loc[~rows["line"].isin(found["line"])].reset_index(drop=True)
    if usable.empty:
        first = "; ".join(str(e) for e in row_errors[:3])
        raise PortfolioError(
            f"{source}: none of its {len(records)} rows can be used; the first faults: {first}"
        )
    return Ledger(source, usable, row_errors, len(records))


# ------------------------------------------------------------------------------ the file
def _decode(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PortfolioError(
            f"{source}: not UTF-8 text (byte {exc.start}); export the ledger as UTF-8 CSV"
        ) from exc
    if "\x00" in text:
        raise PortfolioError(f"{source}: a binary file, not a CSV ledger")
    if not text.strip():
        raise PortfolioError(f"{source}: the file is empty")
    return text


def _split(text: str, source: str) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """The separator, the header and the records below it, each with its first line number.
    The separator is the one of `SEPARATORS` under which the header names the most fields."""
    first_line = next(line for line in io.StringIO(text) if line.strip())

    def named(separator: str) -> tuple[int, int]:
        header = next(csv.reader([first_line], delimiter=separator))
        return sum(_header_key(h) in _FIELD_OF for h in header), len(header)

    separator = max(SEPARATORS, key=named)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header: list[str] | None = None
    records = []
    line = 1
    try:
        for record in reader:
            if "".join(record).strip():
                if header is None:
                    header = record
                else:
                    records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise PortfolioError(f"{source}, line {reader.line_num}: not CSV ({exc})") from exc
    assert header is not None, "the text holds a non-blank line"
    return separator, header, records


def _columns(header: list[str], source: str) -> dict[str, int]:
    """Field -> its column's position in the header; PortfolioError when a required field has
    no column or a field has two."""
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        field = _FIELD_OF.get(_header_key(name))
        if field is None:
            continue
        if field in columns:
            raise PortfolioError(
                f"{source}: columns {header[columns[field]]!r} and {name!r} both name the "
                f"field {field}; keep one"
            )
        columns[field] = position
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        accepted = "; ".join(f"{f}: {', '.join((f, *ALIASES.get(f, ())))}" for f in missing)
        raise PortfolioError(
            f"{source}: no column for {', '.join(missing)} (the header has "
            f"{', '.join(repr(h) for h in header)}; names accepted: {accepted})"
        )
    return columns


def _cells(
    records: list[tuple[int, list[str]]], columns: dict[str, int], header_width: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cells of the fields, stripped, one row per record (a short record padded with empty
    cells), and the faults of records longer than the file's rows are: an unquoted separator
    inside a value, typically a decimal comma in a `,` file. The rows' width is the header's,
    or, in an export that ends every row with a separator, the width most rows have when
    their cells beyond the header are empty."""
    widths = Counter(len(record) for _, record in records)
    common = widths.most_common(1)[0][0]
    trailing = common > header_width and all(
        not cell.strip()
        for _, record in records
        if len(record) == common
        for cell in record[header_width:]
    )
    width = common if trailing else header_width
    lines, fitting, misfits = [], [], []
    for line, record in records:
        if len(record) > width:
            misfits.append((line, len(record)))
        else:
            lines.append(line)
            fitting.append(
                record if len(record) == width else record + [""] * (width - len(record))
            )
    by_column = list(zip(*fitting, strict=True)) if fitting else [()] * width
    cells = pd.DataFrame(
        {
            "line": pd.Series(lines, dtype="int64"),
            **{
                field: pd.Series(by_column[i], dtype="str").str.strip()
                for field, i in columns.items()
            },
        }
    )
    if "paid" not in cells:
        cells["paid"] = pd.Series("", index=cells.index, dtype="str")
    faults = pd.DataFrame(
        {
            "line": pd.Series([line for line, _ in misfits], dtype="int64"),
            "field": "row",
            "value": "",
            "reason": [f"{n} fields, but the rows have {width}" for _, n in misfits],
        }
    )
    return cells, faults


# ------------------------------------------------------------------------------ the rows
def _check(
    cells: pd.DataFrame, separator: str, cfg: PortfolioConfig
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Every row typed (NaN/NaT where a cell is faulty) and the faults found, one frame per
    check."""
    faults: list[pd.DataFrame] = []

    def fault(mask: pd.Series, field: str, reason, value: pd.Series | str | None = None) -> None:
        if mask.any():
            shown = cells[field] if value is None else value
            frame = pd.DataFrame({"line": cells["line"], "field": field, "reason": reason})
            frame["value"] = shown
            faults.append(frame.loc[mask.to_numpy(dtype=bool)])

    missing = {f: cells[f] == "" for f in REQUIRED}
    for field, empty in missing.items():
        fault(empty, field, "missing value")

    code = cells["registry_code"]
    bad_code = ~missing["registry_code"] & ~code.str.fullmatch(_REGISTRY_CODE)
    digits = code.str.replace(r"\D", "", regex=True).str.len()
    fault(
        bad_code,
        "registry_code",
        np.where(
            digits == _PERSONAL_CODE_DIGITS,
            "not an 8-digit registry code (11 digits: a personal code? persons are not scored)",
            "not an 8-digit registry code",
        ),
        value="",  # never echoed: it may be a person's personal code
    )

    mark = _decimal_mark(pd.concat([cells["amount"], cells["paid"]]), separator)
    amount = _amounts(cells["amount"], mark)
    fault(~missing["amount"] & amount.isna(), "amount", "not an amount")
    fault(amount.notna() & (amount <= 0), "amount", "not a positive amount")
    paid = _amounts(cells["paid"], mark).where(cells["paid"] != "", 0.0)
    fault(paid.isna(), "paid", "not an amount")
    fault(paid < 0, "paid", "a negative amount paid")
    over = (amount > 0) & (paid > amount)
    fault(
        over,
        "paid",
        "paid "
        + paid.map("{:.2f}".format)
        + " is more than the amount "
        + amount.map("{:.2f}".format),
    )

    currency = cells["currency"].str.upper()
    rates = {EURO: 1.0, **cfg.eur_rates}
    rate = currency.map(rates).astype("float64")
    known = ", ".join(sorted(rates))
    fault(
        ~missing["currency"] & rate.isna(),
        "currency",
        "no rate for " + currency + f" in portfolio.eur_rates (rates known: {known})",
    )

    dates = {}
    for field in ("issue_date", "due_date"):
        dates[field] = _dates(cells[field])
        fault(
            ~missing[field] & dates[field].isna(),
            field,
            "not a date (YYYY-MM-DD or DD.MM.YYYY)",
        )
    early = dates["due_date"] < dates["issue_date"]
    fault(
        early,
        "due_date",
        "due before the issue date " + dates["issue_date"].dt.strftime("%Y-%m-%d").fillna(""),
    )

    invoice = cells["invoice"]
    keyed = ~bad_code & ~missing["registry_code"] & ~missing["invoice"]
    key = code + "\x1f" + invoice
    repeated = keyed & key.where(keyed).duplicated(keep="first")
    first_line = cells["line"].groupby(key.where(keyed)).transform("first")
    fault(
        repeated,
        "invoice",
        "invoice "
        + invoice
        + " of customer "
        + code
        + " is already on line "
        + first_line.astype("Int64").astype("str"),
    )

    rows = pd.DataFrame(
        {
            "line": cells["line"],
            "registry_code": code,
            "invoice": invoice,
            "currency": currency,
            "amount": amount,
            "paid": paid,
            "eur_rate": rate,
            "amount_eur": (amount * rate).round(2),
            "paid_eur": (paid * rate).round(2),
            "issue_date": dates["issue_date"],
            "due_date": dates["due_date"],
        }
    )
    rows.insert(
        rows.columns.get_loc("paid_eur") + 1, "open_eur", (rows["amount_eur"] - rows["paid_eur"])
    )
    return rows, faults


def _decimal_mark(values: pd.Series, separator: str) -> str | None:
    """ "," or "." as the file's amounts show it: the mark only one reading of some cell allows
    (`12,5`, `1.234,50` say comma; `12.5`, `1,234.50` point). None when cells say both (each
    cell is then read the one way it allows, and a cell that reads both ways differently is a
    fault). When no cell tells (whole numbers, `1,234`), the separator's custom decides: a
    `;` file writes a decimal comma, a `,` file a decimal point."""
    comma = values.str.fullmatch(_DECIMAL_COMMA)
    point = values.str.fullmatch(_DECIMAL_POINT)
    says_comma, says_point = bool((comma & ~point).any()), bool((point & ~comma).any())
    if says_comma and says_point:
        return None
    if says_comma or says_point:
        return "," if says_comma else "."
    return "," if separator == ";" else "."


def _amounts(values: pd.Series, mark: str | None) -> pd.Series:
    """The numbers written in `values` with decimal mark `mark` (None: either, see
    `_decimal_mark`); NaN where a cell is no number, or could be two."""
    if mark is not None:
        return _read_numbers(values, mark)
    as_comma, as_point = _read_numbers(values, ","), _read_numbers(values, ".")
    agree = as_comma.isna() | as_point.isna() | (as_comma == as_point)
    return as_comma.fillna(as_point).where(agree)


def _read_numbers(values: pd.Series, mark: str) -> pd.Series:
    pattern = _DECIMAL_COMMA if mark == "," else _DECIMAL_POINT
    grouping = "." if mark == "," else ","
    plain = (
        values.str.replace(_SPACE, "", regex=True)
        .str.replace(grouping, "", regex=False)
        .str.replace(mark, ".", regex=False)
    )
    number = pd.to_numeric(plain.where(values.str.fullmatch(pattern)), errors="coerce")
    return number.astype("float64")


def _dates(values: pd.Series) -> pd.Series:
    """ISO `YYYY-MM-DD` or Estonian `DD.MM.YYYY` (`D.M.YYYY` too); NaT for anything else,
    impossible days (31.02.) included."""
    iso = pd.to_datetime(
        values.where(values.str.fullmatch(_ISO_DATE)), format="%Y-%m-%d", errors="coerce"
    )
    local = pd.to_datetime(
        values.where(values.str.fullmatch(_ESTONIAN_DATE)), format="%d.%m.%Y", errors="coerce"
    )
    return iso.fillna(local).astype("datetime64[us]")


def _no_faults() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": pd.Series(dtype="int64"),
            "field": pd.Series(dtype="str"),
            "value": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
        }
    )
