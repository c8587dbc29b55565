"""The files of the Tax and Customs Board (EMTA): the tax-debtor list and the taxes paid.

Taxes paid come in two generations, read into one shape (the interim `tax_payments` columns but
`published_on`): one row per company and EMTA quarter in which anything was reported, with the
quarter's first and last day (`formats.quarter_period`: EMTA's quarter I runs from December of
the previous year to February). An empty cell means "not reported" and stays NaN; a quarter with
nothing reported gives no row.
- current generation (from 2022): `tasutud_maksud_kaesolev_aasta[_eng].csv` and
  `tasutud_maksud_varasemad_aastad[_eng].csv`, `,`-separated, one row per company and year
  (several years per file), four quarters per row; English or (unverified) Estonian header;
- older generation (2017 - 2023 Q3): `tasutud_maksud_<year>_<i..iv>_kvartal.csv`, one file per
  quarter, `;`-separated, decimal comma with space thousands, latin-1 or UTF-8 with BOM.

Record-level faults (a registry code that is not 8 digits, a bad amount or date, a duplicate key)
reject the row; structural ones (a missing column, a wrong delimiter, a short row, undecodable
text) raise a named error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from company_risk import formats as F
from company_risk.ingest import parse
from company_risk.ingest.arrowcsv import arrow_csv, check_header, csv_header, frame
from company_risk.ingest.errors import Rejects, RowMask, Source
from company_risk.ingest.files import choose_encoding
from company_risk.schemas import INTERIM_TABLES

PAYMENTS_OUTPUT = tuple(c for c in INTERIM_TABLES["tax_payments"] if c != "published_on")
YEARS = (1990, 2100)  # a plausible range for the `Year` column


def _table(
    path: Path, source: Source, sep: str, names: dict[str, str], encoding: str
) -> pd.DataFrame:
    """The columns `names` (ours -> the file's) of a CSV file in `encoding`, streamed, as `str`
    columns named ours."""
    used = tuple(names.values())
    raw = frame(arrow_csv(path, source, sep, used, used, encoding))
    return raw.rename(columns={v: k for k, v in names.items()})[list(names)]


def _reject_duplicates(mask: RowMask, key: pd.Series, field: str) -> None:
    """Reject every later occurrence of a key among the rows not yet rejected."""
    good = ~mask.bad
    dup = np.zeros(len(key), dtype=bool)
    dup[good] = key[good].duplicated().to_numpy()
    mask.add(dup, np.arange(len(key)), field, key.to_numpy(), "is a duplicate of an earlier row")


def _output(frame: pd.DataFrame) -> pd.DataFrame:
    types = INTERIM_TABLES["tax_payments"]
    return frame[list(PAYMENTS_OUTPUT)].astype({c: types[c] for c in PAYMENTS_OUTPUT})


def _periods(year: np.ndarray, quarter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last days of each (year, EMTA quarter), as datetime64[us]."""
    if len(year) == 0:
        return np.array([], "datetime64[us]"), np.array([], "datetime64[us]")
    pairs = np.unique(np.column_stack([year, quarter]).astype(np.int64), axis=0)
    days = np.array([F.quarter_period(int(y), int(q)) for y, q in pairs], "datetime64[us]")
    keys = pairs[:, 0] * 10 + pairs[:, 1]
    where = np.searchsorted(keys, np.asarray(year, np.int64) * 10 + quarter)
    return days[where, 0], days[where, 1]


# ----------------------------------------------------------------------- tax debtors (daily)
def read_tax_debtors(path: Path, source: Source, rejects: Rejects) -> pd.DataFrame:
    """The tax-debtor list -> one row per company (the interim `tax_debts` columns).

    Amounts have a decimal comma and space or no-break-space thousands (`12 345,67`). A row
    whose `Andmed on seisuga` differs from the list's date (the most common one) is rejected.
    """
    sep, encoding = F.TAX_DEBTORS_SEPARATOR, F.TAX_DEBTORS_ENCODING
    check_header(source, csv_header(path, source, sep, encoding), sep, F.TAX_DEBTORS_COLUMNS)
    names = {c: c for c in F.TAX_DEBTORS_COLUMNS if c != "Nimi"}  # no names kept
    raw = _table(path, source, sep, names, encoding)
    n = len(raw)
    rejects.total = n
    mask = rejects.over(n)
    company_id = parse.codes(source, raw["Registrikood"], "Registrikood", reject=mask)
    as_of = parse.dates(source, raw["Andmed on seisuga"], "Andmed on seisuga", reject=mask)
    if as_of.notna().any():
        day = as_of.mode().iloc[0]
        other = (as_of.notna() & (as_of != day)).to_numpy()
        mask.add(
            other,
            np.arange(n),
            "Andmed on seisuga",
            parse.text(raw["Andmed on seisuga"]).to_numpy(),
            f"differs from the list's date {day:%d.%m.%Y}",
        )
    _reject_duplicates(mask, company_id, "Registrikood")

    def amount(field: str, optional: bool) -> pd.Series:
        return parse.numbers(
            source, raw[field], field, decimal_comma=True, optional=optional, reject=mask
        )

    def day_of(field: str) -> pd.Series:
        return parse.dates(source, raw[field], field, optional=True, reject=mask)

    def plausible(values: pd.Series, field: str) -> pd.Series:
        return parse.within(source, values, field, 0.0, parse.MAX_AMOUNT_EUR, reject=mask)

    debt = plausible(amount("Maksuvõlg", optional=False), "Maksuvõlg")
    parts = {
        field: parse.at_most(
            source,
            plausible(amount(field, optional=True), field).fillna(0.0),
            debt,
            field,
            "Maksuvõlg",
            reject=mask,
        )
        for field in ("sh vaidlustatud", "sh tasumisgraafikus")
    }
    out = pd.DataFrame(
        {
            "company_id": company_id,
            "as_of": parse.dated_by_drop(source, as_of, "Andmed on seisuga", reject=mask),
            "debt": debt,
            "disputed": parts["sh vaidlustatud"],
            "scheduled": parts["sh tasumisgraafikus"],
            "schedule_end": day_of("Tasumisgraafiku lõppkuupäev"),
            "oldest_due": parse.dated_by_drop(
                source,
                day_of("Vanima tasumata nõude tasumise tähtpäev"),
                "Vanima tasumata nõude tasumise tähtpäev",
                reject=mask,
            ),
        }
    )
    types = INTERIM_TABLES["tax_debts"]
    return out[~mask.bad].reset_index(drop=True).astype(types)


# --------------------------------------------------------- taxes paid, current generation
def _current_columns(source: Source, header: list[str]) -> dict[str, str]:
    """English column -> the file's column, for the English or the Estonian header; an error
    naming the first missing column of the closer of the two otherwise."""
    english = {c: c for c in F.TAX_PAYMENTS_COLUMNS}
    estonian = {c: F.TAX_PAYMENTS_ESTONIAN[c] for c in F.TAX_PAYMENTS_COLUMNS}
    found = set(header)
    best = max((english, estonian), key=lambda names: sum(n in found for n in names.values()))
    missing = [name for name in best.values() if name not in found]
    if missing:
        if len(header) == 1:
            raise source.error(
                f"the header has one field; expected {F.TAX_PAYMENTS_SEPARATOR!r}-separated "
                "columns (wrong delimiter?)",
                field=missing[0],
            )
        version = "English" if best is english else "Estonian"
        raise source.error(
            f"missing or renamed column in the header (read as the {version} version)",
            field=missing[0],
        )
    return best


def read_payments_current(path: Path, source: Source, rejects: Rejects) -> pd.DataFrame:
    """A current-generation file (one row per company and year, four quarters wide, several
    years) -> one row per reported company, year and quarter.

    The unique key is (Registry code, Year); a later duplicate is rejected. Amounts are whole
    euros, sometimes written `1178.0`.
    """
    sep, encoding = F.TAX_PAYMENTS_SEPARATOR, F.TAX_PAYMENTS_ENCODING
    names = _current_columns(source, csv_header(path, source, sep, encoding))
    used = {c: names[c] for c in F.TAX_PAYMENTS_COLUMNS if c in ("Registry code", "Year")}
    used |= {c: names[c] for c in F.TAX_PAYMENTS_COLUMNS[len(F.TAX_PAYMENTS_KEYS) :]}
    raw = _table(path, source, sep, used, encoding)
    n = len(raw)
    rejects.total = n
    mask = rejects.over(n)
    field = {c: names[c] for c in F.TAX_PAYMENTS_COLUMNS}  # names in errors: the file's own
    company_id = parse.codes(source, raw["Registry code"], field["Registry code"], reject=mask)
    year = parse.numbers(
        source, raw["Year"], field["Year"], decimal_comma=False, optional=False, reject=mask
    )
    valid_year = year.between(*YEARS) & (year.fillna(0) % 1 == 0)
    mask.add(
        (year.notna() & ~valid_year).to_numpy(),
        np.arange(n),
        field["Year"],
        parse.text(raw["Year"]).to_numpy(),
        f"is not a year in {YEARS[0]}..{YEARS[1]}",
    )
    year = year.where(valid_year, 0).astype("int64")
    _reject_duplicates(mask, company_id + "\0" + year.astype("str"), field["Registry code"])
    # (n, 4) per measure: row i, quarter q
    measures = {
        measure: np.column_stack(
            [
                parse.numbers(
                    source,
                    raw[f"{label} {word} qtr"],
                    field[f"{label} {word} qtr"],
                    decimal_comma=False,
                    reject=mask,
                ).to_numpy()
                for word in F.QUARTER_WORDS
            ]
        )
        for measure, label in zip(F.PAYMENT_MEASURES, F.TAX_PAYMENTS_MEASURE_LABELS, strict=True)
    }
    quarters = len(F.QUARTER_WORDS)
    long = pd.DataFrame(
        {
            "company_id": np.repeat(company_id.to_numpy(), quarters),
            "year": np.repeat(year.to_numpy(), quarters),
            "quarter": np.tile(np.arange(1, quarters + 1, dtype=np.int64), n),
            **{m: values.reshape(-1) for m, values in measures.items()},
        }
    )
    reported = long[list(F.PAYMENT_MEASURES)].notna().any(axis=1).to_numpy()
    long = long[reported & np.repeat(~mask.bad, quarters)].reset_index(drop=True)
    start, end = _periods(long["year"].to_numpy(), long["quarter"].to_numpy())
    return _output(long.assign(period_start=start, period_end=end))


# ----------------------------------------------------------- taxes paid, older generation
def _old_columns(source: Source, header: list[str]) -> dict[str, str]:
    """The file's name of each column of formats.TAX_PAYMENTS_OLD_COLUMNS (2017: aliases)."""
    names = {}
    for column in F.TAX_PAYMENTS_OLD_COLUMNS:
        candidates = (column, *F.TAX_PAYMENTS_OLD_ALIASES.get(column, ()))
        name = next((c for c in candidates if c in header), None)
        if name is None:
            if len(header) == 1:
                raise source.error(
                    f"the header has one field; expected {F.TAX_PAYMENTS_OLD_SEPARATOR!r}-"
                    "separated columns (wrong delimiter?)",
                    field=column,
                )
            raise source.error("missing or renamed column in the header", field=column)
        names[column] = name
    return names


def read_payments_old(
    path: Path, source: Source, year: int, quarter: int, rejects: Rejects
) -> pd.DataFrame:
    """An older-generation file (one quarter, `year` and `quarter` from its name) -> one row per
    company with anything reported.

    `;`-separated (a field holding `;` is quoted), decimal comma with optional space thousands
    (`22 353,85`, `1134805,23`), decoded with formats.TAX_PAYMENTS_OLD_ENCODINGS in order.
    """
    sep = F.TAX_PAYMENTS_OLD_SEPARATOR
    encoding = choose_encoding(path, source, F.TAX_PAYMENTS_OLD_ENCODINGS)  # a streaming pass
    names = _old_columns(source, csv_header(path, source, sep, encoding))
    used = {c: names[c] for c in ("Registrikood", *F.TAX_PAYMENTS_OLD_MEASURES)}
    raw = _table(path, source, sep, used, encoding)
    n = len(raw)
    rejects.total = n
    mask = rejects.over(n)
    company_id = parse.codes(source, raw["Registrikood"], "Registrikood", reject=mask)
    _reject_duplicates(mask, company_id, "Registrikood")
    values = {
        measure: parse.numbers(source, raw[column], names[column], decimal_comma=True, reject=mask)
        for measure, column in zip(F.PAYMENT_MEASURES, F.TAX_PAYMENTS_OLD_MEASURES, strict=True)
    }
    start, end = F.quarter_period(year, quarter)
    out = pd.DataFrame(
        {
            "company_id": company_id,
            "year": np.int64(year),
            "quarter": np.int64(quarter),
            "period_start": pd.Timestamp(start),
            "period_end": pd.Timestamp(end),
            **values,
        }
    )
    reported = out[list(F.PAYMENT_MEASURES)].notna().any(axis=1).to_numpy()
    return _output(out[reported & ~mask.bad].reset_index(drop=True))
