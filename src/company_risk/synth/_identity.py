"""Identities of the synthetic register: codes, names, addresses, personal codes.

Everything here is surface, not dynamics: it makes the written files look like the real ones
(8-digit registry codes, "Põhja Ehitus OÜ", valid isikukood check digits, `EE10…` VAT numbers)
so that the ingest code meets what it will meet in real downloads. Each function is vectorised
and draws only from the generator it is given.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from company_risk.synth import _catalog as cat

_ISIKUKOOD_W1 = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 1])
_ISIKUKOOD_W2 = np.array([3, 4, 5, 6, 7, 8, 9, 1, 2, 3])


def registry_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """n increasing 8-digit codes starting with 1 (companies are numbered in registration order)."""
    mean_gap = max(1, min(1500, 6_000_000 // max(n, 1)))
    codes = 10_000_000 + np.cumsum(rng.integers(1, 2 * mean_gap + 1, size=n))
    return codes.astype(str)


def company_names(
    words: np.ndarray, legal_codes: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """ "<Prefix> <sector word> [<tail>] <legal form>", made unique the way registrars force it."""
    n = len(words)
    prefix = np.array(cat.NAME_PREFIXES)[rng.integers(0, len(cat.NAME_PREFIXES), n)]
    tail = np.array(cat.NAME_TAILS)[rng.integers(0, len(cat.NAME_TAILS), n)]
    stem = pd.Series(prefix, dtype="str") + " " + pd.Series(words, dtype="str")
    stem = stem.where(pd.Series(tail) == "", stem + " " + pd.Series(tail, dtype="str"))
    repeat = stem.groupby(stem).cumcount()
    stem = stem.where(repeat == 0, stem + " " + (repeat + 1).astype(str))
    return (stem + " " + pd.Series(legal_codes, dtype="str")).to_numpy(dtype=object)


def addresses(county_idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(EHAK settlement code, street address with settlement) for companies in the given counties."""
    n = len(county_idx)
    ehak = np.empty(n, dtype=object)
    place = np.empty(n, dtype=object)
    for c, county in enumerate(cat.COUNTIES):  # a loop over 15 counties, not over companies
        rows = np.flatnonzero(county_idx == c)
        pick = rng.integers(0, len(county.settlements), len(rows))
        ehak[rows] = np.array([s[0] for s in county.settlements], dtype=object)[pick]
        place[rows] = np.array([s[1] for s in county.settlements], dtype=object)[pick]
    street = np.array(cat.STREETS)[rng.integers(0, len(cat.STREETS), n)]
    number = rng.integers(1, 120, n).astype(str)
    flat = np.where(rng.random(n) < 0.3, "-" + rng.integers(1, 60, n).astype(str), "")
    addr = (
        pd.Series(street, dtype="str") + " " + number + flat + ", " + pd.Series(place, dtype="str")
    )
    return ehak.astype(str), addr.to_numpy(dtype=object)


def vat_numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unique VAT numbers "EE10" + 7 digits."""
    digits = rng.choice(10_000_000, size=n, replace=False)
    return np.char.add("EE10", np.char.zfill(digits.astype(str), 7)).astype(object)


def persons(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """first_name, last_name, birth_date, personal_code (valid isikukood), person_id (its sha256).

    The personal code carries sex and birth date like the real one, with a correct check digit,
    so the hash the register publishes as `isikukood_hash` is computed exactly as in reality.
    """
    female = rng.random(n) < 0.42
    first = np.where(
        female,
        np.array(cat.FEMALE_NAMES)[rng.integers(0, len(cat.FEMALE_NAMES), n)],
        np.array(cat.MALE_NAMES)[rng.integers(0, len(cat.MALE_NAMES), n)],
    )
    last = np.array(cat.LAST_NAMES)[rng.integers(0, len(cat.LAST_NAMES), n)]
    birth = np.datetime64("1950-01-01") + rng.integers(0, 52 * 365, n).astype("timedelta64[D]")
    ymd = pd.DatetimeIndex(birth.astype("datetime64[us]"))
    century = np.where(ymd.year < 2000, 3, 5) + female.astype(int)
    serial = rng.integers(0, 1000, n)
    code = _personal_codes(century, ymd, serial)
    dup = pd.Series(code).duplicated().to_numpy()
    while dup.any():  # same sex, birth date and serial number: give those a fresh serial
        serial[dup] = rng.integers(0, 1000, int(dup.sum()))
        code = _personal_codes(century, ymd, serial)
        dup = pd.Series(code).duplicated().to_numpy()
    digest = [hashlib.sha256(c.encode("ascii")).hexdigest() for c in code]
    return pd.DataFrame(
        {
            "person_id": pd.Series(digest, dtype="str"),
            "first_name": pd.Series(first, dtype="str"),
            "last_name": pd.Series(last, dtype="str"),
            "birth_date": birth.astype("datetime64[us]"),
            "personal_code": pd.Series(code, dtype="str"),
        }
    )


def _personal_codes(century: np.ndarray, ymd: pd.DatetimeIndex, serial: np.ndarray) -> np.ndarray:
    """11-digit codes G YYMMDD SSS C with the official two-pass modulo-11 check digit."""
    year, month, day = ymd.year.to_numpy(), ymd.month.to_numpy(), ymd.day.to_numpy()
    digits = np.column_stack(
        [
            century,
            (year % 100) // 10,
            year % 10,
            month // 10,
            month % 10,
            day // 10,
            day % 10,
            serial // 100,
            (serial // 10) % 10,
            serial % 10,
        ]
    ).astype(np.int64)
    check = digits @ _ISIKUKOOD_W1 % 11
    second = digits @ _ISIKUKOOD_W2 % 11
    check = np.where(check == 10, np.where(second == 10, 0, second), check)
    body = (digits * 10 ** np.arange(9, -1, -1, dtype=np.int64)).sum(axis=1) * 10 + check
    return body.astype(str)
