"""Identities of the synthetic register: codes, names, addresses, personal codes.

Everything here is surface, not dynamics: it makes the written files look like the real ones
(8-digit registry codes, "Põhja Ehitus OÜ", valid isikukood check digits, `EE10…` VAT numbers)
so that the ingest code meets what it will meet in real downloads. Each function is vectorised
and draws only from the generator it is given.
"""

from __future__ import annotations

import unicodedata
import uuid

import numpy as np
import pandas as pd

from company_risk.synth import _catalog as cat

_ISIKUKOOD_W1 = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 1])
_ISIKUKOOD_W2 = np.array([3, 4, 5, 6, 7, 8, 9, 1, 2, 3])
FOREIGN_PERSON_SHARE = 0.045  # natural persons without an Estonian personal code
# the namespace of the synthetic `isikukood_hash`: a name-based UUID of the personal code, laid
# out like the register's ("df5a7601-2eee-53ad-b7a7-cebcca1541cc")
_HASH_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "isikukood.synthetic.company-risk")


def person_hash(key: str) -> str:
    """The register-style pseudonymous key (a UUID) of a personal code or another identity."""
    return str(uuid.uuid5(_HASH_NAMESPACE, key))


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
    """first_name, last_name, birth_date, personal_code (valid isikukood), person_id (its hash).

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
    digest = [person_hash(c) for c in code]
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


def make_foreign(
    people: pd.DataFrame, foreign: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Turn the rows flagged `foreign` into residents of other countries: a name of the country,
    no Estonian personal code (the register then publishes no hash, only the birth date and the
    country), a town for the address. Adds `foreign`, `country` and `town` to every row;
    `person_id` of a foreign person is an internal key that never reaches the files.

    Name, birth date and country identify a foreign person in the register, so they are made
    unique among foreign persons (a clash gets a fresh birth date)."""
    people = people.copy()
    rows = np.flatnonzero(foreign)
    weights = np.array([c.weight for c in cat.COUNTRIES])
    which = rng.choice(len(cat.COUNTRIES), len(rows), p=weights / weights.sum())
    first = np.empty(len(rows), dtype=object)
    last = np.empty(len(rows), dtype=object)
    town = np.empty(len(rows), dtype=object)
    for k, country in enumerate(cat.COUNTRIES):  # a loop over seven countries
        sel = np.flatnonzero(which == k)
        first[sel] = np.array(country.first_names, dtype=object)[
            rng.integers(0, len(country.first_names), len(sel))
        ]
        last[sel] = np.array(country.last_names, dtype=object)[
            rng.integers(0, len(country.last_names), len(sel))
        ]
        town[sel] = np.array(country.towns, dtype=object)[
            rng.integers(0, len(country.towns), len(sel))
        ]
    codes = np.array([c.code for c in cat.COUNTRIES], dtype=object)[which]
    birth = people["birth_date"].to_numpy(dtype="datetime64[us]")[rows].copy()
    key = pd.Series(first + "|" + last + "|" + codes) + "|" + pd.Series(birth.astype(str))
    dup = key.duplicated().to_numpy()
    while dup.any():
        days = rng.integers(0, 52 * 365, int(dup.sum())).astype("timedelta64[D]")
        birth[dup] = (np.datetime64("1950-01-01") + days).astype("datetime64[us]")
        key = pd.Series(first + "|" + last + "|" + codes) + "|" + pd.Series(birth.astype(str))
        dup = key.duplicated().to_numpy()
    people["foreign"] = np.asarray(foreign, dtype=bool)
    people["country"] = "EST"
    people["town"] = ""
    if len(rows):
        people.loc[rows, "first_name"] = first
        people.loc[rows, "last_name"] = last
        people.loc[rows, "birth_date"] = birth
        people.loc[rows, "personal_code"] = ""
        people.loc[rows, "country"] = codes
        people.loc[rows, "town"] = town
        people.loc[rows, "person_id"] = [person_hash("foreign|" + k) for k in key]
    return people.astype({"first_name": "str", "last_name": "str", "country": "str", "town": "str"})


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name ("Põhja Ehitus" -> "pohjaehitus")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def emails(
    names: np.ndarray, first: np.ndarray, last: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A contact e-mail for about 40 % of companies: the company's own address or, as often in
    the register, a board member's personal one ("" = none)."""
    n = len(names)
    u = rng.random(n)
    stems = [ascii_slug(" ".join(str(x).split()[:-1])) or "firma" for x in names]
    own = np.array([f"info@{s}.ee" for s in stems], dtype=object)
    personal = np.array(
        [
            f"{ascii_slug(f)}.{ascii_slug(la)}@gmail.com" if f else ""
            for f, la in zip(first, last, strict=True)
        ],
        dtype=object,
    )
    out = np.where(u < 0.22, own, np.where(u < 0.40, personal, ""))
    return out.astype(object)


def postcodes(ehak: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """5-digit postal codes, stable per settlement up to the last two digits."""
    base = np.array([10000 + (int(e) * 97) % 80000 for e in ehak], dtype=np.int64)
    return ((base // 100) * 100 + rng.integers(0, 100, len(ehak))).astype(str).astype(object)


# ------------------------------------------------------------------------ annual reports
FILLED_ID_OFFSET = 50_000_000  # filled-report ids never meet the ids of the report_id column
AUDIT_ACTIVITY = "69201"  # "Raamatupidamine ja finantsaudit; ...": where the audit firms come from


def report_surface(
    reports: pd.DataFrame, companies: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """The annual reports' columns that only make the published files look real.

    - `category`, `category_minimal`: the size category the company chose and the one its
      figures imply (a few choose one category up);
    - `audit_engagement`, `auditor_opinion`, `emphasis_of_matter`, `other_matter`,
      `going_concern`, `audit_firm`: the audit columns, as text in the file's words; an audit
      firm is a world company of the audit activity, a going-concern modification mostly
      where equity is negative;
    - `filled_report_id`: a few % of reports are filled-in forms whose elements are filed
      under this id ("" = none);
    - `scheme`: the income-statement scheme (1 or 2, per company): labour cost is
      `LaborExpense` in scheme 1's statement, `EmployeeExpense` in scheme 2's note;
    - `detailed_copy`, `note_copy`: the balance sheet repeated as "Bilanss, detailne", the
      labour cost repeated in the note; `disagreeing_copy`: the element whose repeated copy
      has another value ("" = none); `pdf_rows`: the report has PDF-table rows.
    """
    m = len(reports)
    out = reports.copy()
    assets = reports["assets"].to_numpy(dtype=float)
    revenue = reports["revenue"].to_numpy(dtype=float)
    employees = reports["employees"].to_numpy(dtype=float)
    category = np.full(m, len(cat.REPORT_CATEGORIES) - 1)
    for k in range(len(cat.REPORT_CATEGORIES) - 2, -1, -1):  # four categories
        _, a, r, e = cat.REPORT_CATEGORIES[k]
        within = (
            (np.nan_to_num(assets) > a).astype(int)
            + (np.nan_to_num(revenue) > r)
            + (np.nan_to_num(employees) > e)
        ) <= 1
        category = np.where(within, k, category)
    names = np.array([c[0] for c in cat.REPORT_CATEGORIES], dtype=object)
    chosen = np.minimum(category + (rng.random(m) < 0.05), len(names) - 1)
    audited = reports["audited"].to_numpy(dtype=bool)
    u = rng.random(m)
    review = ~audited & (rng.random(m) < 0.05)
    engagement = np.where(
        audited,
        np.where(u < 0.9, cat.AUDIT_ENGAGEMENTS[0], cat.AUDIT_ENGAGEMENTS[2]),
        np.where(review, cat.AUDIT_ENGAGEMENTS[1], ""),
    )
    opinions = np.array(cat.AUDIT_OPINIONS, dtype=object)
    opinion = opinions[rng.choice(len(opinions), m, p=[0.9, 0.08, 0.01, 0.01])]
    see_pdf = engagement == cat.AUDIT_ENGAGEMENTS[2]
    opinion = np.where(see_pdf, cat.AUDIT_SEE_DOCUMENT, np.where(engagement == "", "", opinion))
    checked = (engagement != "") & ~see_pdf
    equity = reports["equity"].to_numpy(dtype=float)
    profit = reports["net_profit"].to_numpy(dtype=float)
    weak = (equity < 0) | (profit < -0.2 * np.maximum(revenue, 1.0))
    going = checked & weak & (rng.random(m) < np.where(equity < 0, 0.6, 0.15))
    emphasis = checked & (going | (rng.random(m) < 0.02))
    other = checked & (rng.random(m) < 0.01)
    auditors = companies.loc[companies["emtak_code"] == AUDIT_ACTIVITY, "company_id"].head(12)
    if len(auditors) < 3:
        auditors = companies["company_id"].head(12)
    pool = auditors.to_numpy(dtype=object)
    firm = np.where(checked, pool[rng.integers(0, len(pool), m)], "")
    filled = rng.random(m) < 0.03
    report_no = reports["report_id"].astype(np.int64).to_numpy()
    codes, company = np.unique(reports["company_id"].to_numpy(dtype=str), return_inverse=True)
    scheme = np.where(rng.random(len(codes)) < 0.2, 2, 1)[company]
    detailed = rng.random(m) < 0.3
    note = (scheme == 1) & (rng.random(m) < 0.5)
    disagree_detail = detailed & (rng.random(m) < 0.06)
    disagree_note = ~disagree_detail & note & (rng.random(m) < 0.06)
    yes = "Jah"
    return out.assign(
        category=pd.Series(names[chosen], dtype="str").to_numpy(),
        category_minimal=pd.Series(names[category], dtype="str").to_numpy(),
        audit_engagement=engagement.astype(str),
        auditor_opinion=opinion.astype(str),
        emphasis_of_matter=np.where(emphasis, yes, ""),
        other_matter=np.where(other, yes, ""),
        going_concern=np.where(going, yes, ""),
        audit_firm=firm.astype(str),
        filled_report_id=np.where(filled, (report_no + FILLED_ID_OFFSET).astype(str), ""),
        scheme=scheme.astype(np.int64),
        detailed_copy=detailed,
        note_copy=note,
        disagreeing_copy=np.where(
            disagree_detail, "Assets", np.where(disagree_note, "LaborExpense", "")
        ),
        pdf_rows=rng.random(m) < 0.05,
    )


# -------------------------------------------------------------------- registry-card roles
CARD_ROLE_COLUMNS = (
    "company_id",
    "role",
    "kind",  # formats.PERSON_KINDS
    "person_id",  # isikukood_hash of an Estonian natural person, else ""
    "first_name",
    "name",  # nimi_arinimi: a natural person's surname or a legal person's name
    "birth_date",  # foreign natural persons (NaT otherwise)
    "country",  # valis_kood_riik of foreign persons ("" otherwise)
    "town",  # a foreign person's address
    "registry_code",  # isikukood_registrikood of an Estonian legal person
    "foreign_code",  # valis_kood of a foreign legal person
    "contribution",  # osamaks of a limited partner (EUR; NaN otherwise)
    "start_date",
    "end_date",
    "kirje_id",
)
PROCURATOR_SHARE = 0.05  # OÜ and AS companies that appoint a procurator
SUPERVISORY_SHARE = 0.6  # AS companies with a three-member supervisory board
LEGAL_PARTNER_SHARE = 0.2  # partners of TÜ/UÜ that are companies
FOUNDER_PARTNER_SHARE = 0.5  # first partner who is the first board member
LIQUIDATOR_FROM_BOARD = 0.7  # liquidators who were on the board
DEPOSITORY_SHARE = 0.7  # AS share registers kept by the central securities depository


def card_roles(
    companies: pd.DataFrame,
    status: pd.DataFrame,
    board: pd.DataFrame,
    persons: pd.DataFrame,
    last_drop: pd.Timestamp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The registry card's roles other than the management board (see `CARD_ROLE_COLUMNS`):
    procurators (PROK), supervisory boards (N), partners of general and limited partnerships
    (TOSAN, UOSAN), the share-register keeper of public limited companies (ARP), a liquidator
    (LIKV) from the day a company enters liquidation and a trustee in bankruptcy (PANKR) from
    the day it is declared bankrupt. Every role ends when the company is deleted.

    Pure surface, drawn from `rng` only: the board tenures (the graph) are not touched, and
    ingest must not count these roles as board seats. Natural persons are new persons (Estonian
    or foreign at the persons' share), except partners and liquidators who are often the board
    member, and trustees, a small pool of professionals shared by all bankruptcies."""
    codes = companies["company_id"].to_numpy(dtype=object)
    pos = pd.Series(np.arange(len(codes)), index=codes)
    reg = companies["registered_on"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    form = companies["legal_form_code"].to_numpy(dtype=object)
    last = int(np.datetime64(last_drop.date(), "D").astype(np.int64))
    day_of = {}
    for code in ("L", "N", "K"):
        ev = status[status["status"] == code]
        d = np.full(len(codes), OPEN_DAY, dtype=np.int64)
        d[pos[ev["company_id"]].to_numpy()] = (
            ev["start_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
        )
        day_of[code] = d
    gone = day_of["K"]
    alive_until = np.minimum(gone, last)
    born = reg <= last

    rows: list[dict[str, np.ndarray]] = []

    def add(company, role, start, who: dict[str, np.ndarray]):
        keep = start <= alive_until[company]
        rows.append(
            {
                "company": company[keep],
                "role": np.broadcast_to(np.asarray(role, dtype=object), company.shape)[keep],
                "start": start[keep],
                **{k: v[keep] for k, v in who.items()},
            }
        )

    demand = []  # (company positions, role, start) that need a new natural person
    prok = np.flatnonzero(
        born & np.isin(form, ["OÜ", "AS"]) & (rng.random(len(codes)) < PROCURATOR_SHARE)
    )
    span = np.maximum(alive_until[prok] - reg[prok], 0)
    demand.append((prok, "PROK", reg[prok] + (rng.random(len(prok)) * span).astype(np.int64)))
    sup = np.flatnonzero(born & (form == "AS") & (rng.random(len(codes)) < SUPERVISORY_SHARE))
    sup = np.repeat(sup, 3)
    demand.append((sup, "N", reg[sup] + rng.integers(0, 60, len(sup))))

    # partners: TÜ two general partners, UÜ a general and a limited partner
    tu = np.flatnonzero(born & np.isin(form, ["TÜ", "UÜ"]))
    partner_company = np.repeat(tu, 2)
    partner_role = np.tile(np.array(["TOSAN", "TOSAN"], dtype=object), len(tu))
    partner_role[1::2] = np.where(form[tu] == "UÜ", "UOSAN", "TOSAN")
    first_partner = np.tile(np.array([True, False]), len(tu))
    founders = board.sort_values(["company_id", "start_date"], kind="stable").drop_duplicates(
        "company_id"
    )
    founder_of = pd.Series(founders["person_id"].to_numpy(), index=founders["company_id"])
    founder = founder_of.reindex(codes[partner_company]).to_numpy(dtype=object)
    u = rng.random(len(partner_company))
    legal = u < LEGAL_PARTNER_SHARE
    as_founder = ~legal & first_partner & (u < LEGAL_PARTNER_SHARE + FOUNDER_PARTNER_SHARE)
    as_founder &= pd.notna(founder)
    natural_new = ~legal & ~as_founder
    p_start = reg[partner_company]
    demand.append((partner_company[natural_new], partner_role[natural_new], p_start[natural_new]))
    contribution = np.where(
        partner_role == "UOSAN", rng.choice(np.array([1000.0, 2500.0, 10000.0]), len(u)), np.nan
    )
    known = persons.set_index("person_id")
    add(
        partner_company[as_founder],
        partner_role[as_founder],
        p_start[as_founder],
        _natural(known, founder[as_founder]) | {"contribution": contribution[as_founder]},
    )
    add(
        partner_company[legal],
        partner_role[legal],
        p_start[legal],
        _legal(partner_company[legal], p_start[legal], companies, reg, rng)
        | {"contribution": contribution[legal]},
    )

    # share registers of AS companies
    asc = np.flatnonzero(born & (form == "AS"))
    a_start = reg[asc] + rng.integers(0, 400, len(asc))
    depository = rng.random(len(asc)) < DEPOSITORY_SHARE
    who = _legal(
        asc, a_start, companies, reg, rng, foreign=depository, entity=cat.SHARE_REGISTER_KEEPER
    )
    add(asc, "ARP", a_start, who)

    # liquidators: the board member at the start of liquidation, or someone new
    liq = np.flatnonzero(day_of["L"] < OPEN_DAY)
    l_start = day_of["L"][liq]
    member = _member_at(board, codes[liq], l_start)
    from_board = pd.notna(member) & (rng.random(len(liq)) < LIQUIDATOR_FROM_BOARD)
    add(liq[from_board], "LIKV", l_start[from_board], _natural(known, member[from_board]))
    demand.append((liq[~from_board], "LIKV", l_start[~from_board]))

    # natural persons who are new to the register
    n_new = sum(len(d[0]) for d in demand)
    n_trustees = max(3, len(codes) // 400)
    pool = _new_people(n_new + n_trustees, persons["person_id"], rng)
    trustees = pool[~pool["foreign"]].tail(n_trustees)
    newcomers = pool.drop(trustees.index).head(n_new)
    if len(newcomers) < n_new:  # only if personal codes kept clashing with existing ones
        raise RuntimeError("synth: could not draw enough new persons for the registry cards")
    at = 0
    for company, role, start in demand:
        ids = newcomers["person_id"].to_numpy(dtype=object)[at : at + len(company)]
        add(company, role, start, _natural(newcomers.set_index("person_id"), ids))
        at += len(company)
    bank = np.flatnonzero(day_of["N"] < OPEN_DAY)
    pick = trustees["person_id"].to_numpy(dtype=object)[rng.integers(0, len(trustees), len(bank))]
    add(bank, "PANKR", day_of["N"][bank], _natural(trustees.set_index("person_id"), pick))

    cols = {k: np.concatenate([r[k] for r in rows]) for k in rows[0] if k != "contribution"}
    contribution_all = np.concatenate(
        [r.get("contribution", np.full(len(r["company"]), np.nan)) for r in rows]
    )
    order = np.lexsort((cols["role"].astype(str), cols["start"], cols["company"]))
    cols = {k: v[order] for k, v in cols.items()}
    company = cols["company"]
    end = gone[company]
    return pd.DataFrame(
        {
            "company_id": pd.Series(codes[company], dtype="str"),
            "role": pd.Series(cols["role"], dtype="str"),
            "kind": pd.Series(cols["kind"], dtype="str"),
            "person_id": pd.Series(cols["person_id"], dtype="str"),
            "first_name": pd.Series(cols["first_name"], dtype="str"),
            "name": pd.Series(cols["name"], dtype="str"),
            "birth_date": _dates(cols["birth"]),
            "country": pd.Series(cols["country"], dtype="str"),
            "town": pd.Series(cols["town"], dtype="str"),
            "registry_code": pd.Series(cols["registry_code"], dtype="str"),
            "foreign_code": pd.Series(cols["foreign_code"], dtype="str"),
            "contribution": contribution_all[order],
            "start_date": _dates(cols["start"]),
            "end_date": _dates(end),
            "kirje_id": (300_000_000 + np.arange(len(company))).astype(np.int64),
        },
        columns=list(CARD_ROLE_COLUMNS),
    )


OPEN_DAY = np.iinfo(np.int64).max


def _dates(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[us]")
    out[days == OPEN_DAY] = np.datetime64("NaT")
    return out


def _natural(known: pd.DataFrame, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Identity columns of the natural persons `ids` (rows of a persons-like table)."""
    who = known.reindex(ids)
    foreign = who["foreign"].fillna(False).to_numpy(dtype=bool)
    birth = who["birth_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    n = len(ids)
    return {
        "kind": np.where(foreign, "foreign_natural", "natural").astype(object),
        "person_id": np.where(foreign, "", np.asarray(ids, dtype=object)).astype(object),
        "first_name": who["first_name"].fillna("").to_numpy(dtype=object),
        "name": who["last_name"].fillna("").to_numpy(dtype=object),
        "birth": np.where(foreign, birth, OPEN_DAY),
        "country": np.where(foreign, who["country"].fillna("").to_numpy(dtype=object), ""),
        "town": np.where(foreign, who["town"].fillna("").to_numpy(dtype=object), ""),
        "registry_code": np.full(n, "", dtype=object),
        "foreign_code": np.full(n, "", dtype=object),
    }


def _legal(
    company: np.ndarray,
    start: np.ndarray,
    companies: pd.DataFrame,
    reg: np.ndarray,
    rng: np.random.Generator,
    foreign: np.ndarray | None = None,
    entity: tuple[str, str, str, str] | None = None,
) -> dict[str, np.ndarray]:
    """Legal persons: an Estonian company of the world registered before `start` (a
    company-company link) or a foreign entity (`entity`, else one of the catalogue's); about a
    quarter are foreign unless `foreign` says which."""
    n = len(company)
    if foreign is None:
        foreign = rng.random(n) < 0.25
    registered_before = np.searchsorted(reg, start, side="left")  # companies are in reg order
    other = (rng.random(n) * registered_before).astype(np.int64)
    foreign = foreign | (registered_before == 0) | (other == company)
    other = np.where(foreign, 0, other)
    names = companies["name"].to_numpy(dtype=object)
    codes = companies["company_id"].to_numpy(dtype=object)
    if entity is None:
        pick = rng.integers(0, len(cat.FOREIGN_ENTITIES), n)
        table = np.array(cat.FOREIGN_ENTITIES, dtype=object)[pick]
    else:
        table = np.tile(np.array(entity, dtype=object), (n, 1))
    return {
        "kind": np.where(foreign, "foreign_legal", "legal").astype(object),
        "person_id": np.full(n, "", dtype=object),
        "first_name": np.full(n, "", dtype=object),
        "name": np.where(foreign, table[:, 0], names[other]).astype(object),
        "birth": np.full(n, OPEN_DAY, dtype=np.int64),
        "country": np.where(foreign, table[:, 2], "").astype(object),
        "town": np.where(foreign, table[:, 3], "").astype(object),
        "registry_code": np.where(foreign, "", codes[other]).astype(object),
        "foreign_code": np.where(foreign, table[:, 1], "").astype(object),
    }


def _member_at(board: pd.DataFrame, company_ids: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The board member with the earliest tenure open on `day` at each company (None if none)."""
    ask = pd.DataFrame({"company_id": company_ids, "_day": day.astype("datetime64[D]")})
    ask["_i"] = np.arange(len(ask))
    both = ask.merge(board[["company_id", "person_id", "start_date", "end_date"]], on="company_id")
    day_us = both["_day"].astype("datetime64[us]")
    open_then = (both["start_date"] <= day_us) & (
        both["end_date"].isna() | (both["end_date"] > day_us)
    )
    first = both[open_then].sort_values(["_i", "start_date"], kind="stable").drop_duplicates("_i")
    out = np.full(len(ask), None, dtype=object)
    out[first["_i"].to_numpy()] = first["person_id"].to_numpy(dtype=object)
    return out


def _new_people(n: int, taken: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """n natural persons not among `taken` (their personal codes are drawn anew)."""
    extra = n + 16 + n // 20
    people = persons(extra, rng)
    people = people[~people["person_id"].isin(set(taken))].head(n).reset_index(drop=True)
    return make_foreign(people, rng.random(len(people)) < FOREIGN_PERSON_SHARE, rng)
