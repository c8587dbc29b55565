"""The real Estonian open-data files: names, columns, delimiters, encodings, code lists.

One definition shared by the writer (`company_risk.synth.drops`) and the reader
(`company_risk.ingest`), so the synthetic default and real downloads take one code path.
Every fact follows the project's design notes on the real formats, which were checked against
verbatim published rows; where a fact is unverified the comment beside it says so.

File names are recognised by `FILE_FAMILIES` (one pattern per family, zip or plain). RIK
publishes a daily file `X` as `X.zip` holding `X`; an annual-report file `S.csv` as `S.zip`
(or `S_N.zip`) holding `S.csv`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

DATE_FORMAT = "%d.%m.%Y"  # DD.MM.YYYY in every CSV and in the RIK JSON

# ---------------------------------------------------------------- e-Business Register (RIK)
RIK_BASIC = "ettevotja_rekvisiidid__lihtandmed.csv"
RIK_GENERAL = "ettevotja_rekvisiidid__yldandmed.json"
RIK_PERSONS = "ettevotja_rekvisiidid__kaardile_kantud_isikud.json"
RIK_SHAREHOLDERS = "ettevotja_rekvisiidid__osanikud.json"  # optional: ownership links
RIK_RULINGS = "ettevotja_rekvisiidid__maarused.json"  # optional: the registrar's rulings
RIK_JSON_INDENT = 4  # RIK pretty-prints its JSON arrays: each item starts on a line "    {"

RIK_BASIC_COLUMNS = (
    "nimi",
    "ariregistri_kood",
    "ettevotja_oiguslik_vorm",
    "ettevotja_oigusliku_vormi_alaliik",
    "kmkr_nr",
    "ettevotja_staatus",
    "ettevotja_staatus_tekstina",
    "ettevotja_esmakande_kpv",
    "ettevotja_aadress",
    "asukoht_ettevotja_aadressis",
    "asukoha_ehak_kood",
    "asukoha_ehak_tekstina",
    "indeks_ettevotja_aadressis",
    "ads_adr_id",
    "ads_ads_oid",
    "ads_normaliseeritud_taisaadress",
    "teabesysteemi_link",
)
RIK_CSV_SEPARATOR = ";"
RIK_CSV_ENCODING = "utf-8-sig"  # UTF-8 with BOM

STATUS_TEXT = {
    "R": "Registrisse kantud",
    "L": "Likvideerimisel",
    "N": "Pankrotis",
    "K": "Kustutatud",
}

# Legal forms: the short code of the general-data JSON and the text of the basic CSV.
LEGAL_FORM_TEXT = {
    "OÜ": "Osaühing",
    "AS": "Aktsiaselts",
    "TÜ": "Täisühing",
    "UÜ": "Usaldusühing",
    "TÜH": "Tulundusühistu",
    "FIL": "Välismaa äriühingu filiaal",
    "FIE": "Füüsilisest isikust ettevõtja",
    "MTÜ": "Mittetulundusühing",
    "SA": "Sihtasutus",
}
# Who is scored: business companies; not non-profits, foundations, or sole traders (a sole
# trader is a natural person, and scoring natural persons is high-risk under the EU AI Act).
BUSINESS_LEGAL_FORMS = ("OÜ", "AS", "TÜ", "UÜ", "TÜH", "FIL")

# Roles on the registry card (`isiku_roll`). The file lists current office-holders only.
BOARD_ROLES = ("JUHL", "JUHA", "JUHE", "JUHJ")  # management board: member, sole, chair, manager
ROLE_FAMILIES: dict[str, tuple[str, ...]] = {
    "board": BOARD_ROLES,
    "procurator": ("PROK",),
    "supervisory_board": ("N", "E"),
    "liquidator": ("LIKV", "LIKVJ"),
    "trustee": ("PANKR", "AJUTPH", "AJPH", "JPNKR"),
    "partner": ("TOSAN", "UOSAN"),
    "share_register": ("ARP", "ORP"),
    "auditor": ("D",),
    "shareholder": ("OSAN", "O"),  # the shareholders file (`osanikud`)
}
PERSON_ROLE_TEXT = {
    "JUHL": "Juhatuse liige",
    "JUHA": "Juhatuse ainuliige",
    "JUHE": "Juhatuse esimees",
    "JUHJ": "Juhataja",
    "PROK": "Prokurist",
    "N": "Nõukogu liige",
    "E": "Nõukogu esimees",
    "LIKV": "Likvideerija",
    "LIKVJ": "Likvideerijate juht",
    "PANKR": "Pankrotihaldur",
    "AJUTPH": "Ajutine pankrotihaldur",
    "TOSAN": "Täisosanik",
    "UOSAN": "Usaldusosanik",
    "ARP": "Aktsiaraamatu pidaja",
    "ORP": "Osanike nimekirja pidaja",
    "D": "Audiitor",
    "OSAN": "Osanik",
}
PERSON_TYPE_NATURAL = "F"
PERSON_TYPE_LEGAL = "J"
# `person_type` in the history tables: which kind of key `person_id` is.
PERSON_KINDS = (
    "natural",  # Estonian personal code: the register's isikukood_hash
    "foreign_natural",  # no hash: a key derived inside ingest from name, birth date, country
    "legal",  # an Estonian legal person: its 8-digit registry code (a company-company link)
    "foreign_legal",  # a foreign legal person: "<country>-<foreign code>"
)

# ------------------------------------------------------------------ annual reports (RIK)
# Cumulative re-publications, the cut-off date in the name; one elements file per fiscal year.
REPORTS_GENERAL_FILE = "1.aruannete_yldandmed_kuni_{cutoff}.csv"  # cutoff DDMMYYYY
REPORTS_ELEMENTS_FILE = "4.{year}_aruannete_elemendid_kuni_{cutoff}.csv"
REPORTS_SEPARATOR = ";"
REPORTS_ENCODING = "utf-8"  # no BOM; every field quoted, CRLF line ends
REPORTS_LINE_END = "\r\n"
REPORTS_YES, REPORTS_NO = "Jah", "Ei"
REPORTS_GENERAL_COLUMNS = (
    "report_id",
    "taidetud_aruanne_report_id",
    "registrikood",
    "õiguslik vorm",
    "staatus",
    "aruandeaasta",
    "kas konsolideeritud?",
    "period_start",
    "period_end",
    "esitatud_kpv",
    "kas auditeeritud?",
    "valitud aruanne kategooria",
    "minimaalne kategooria andmete alusel",
    "auditi töövõtu liik",
    "audiitori otsuse tüüp",
    "modifikatsioon asjaolu rõhutamine",
    "modifikatsioon muu asjaolu",
    "modifikatsioon tegevuse jatkuvus",
    "Audiitorettevõtja (AEV)",
)
REPORTS_ELEMENTS_COLUMNS = ("report_id", "tabel", "elemendi_label", "elemendi_nimetus", "vaartus")
# audit and category columns of the general file -> columns of the interim `annual_reports`
REPORT_AUDIT_COLUMNS = {
    "valitud aruanne kategooria": "category",
    "auditi töövõtu liik": "audit_engagement",
    "audiitori otsuse tüüp": "auditor_opinion",
    "modifikatsioon asjaolu rõhutamine": "emphasis_of_matter",
    "modifikatsioon muu asjaolu": "other_matter",
    "modifikatsioon tegevuse jatkuvus": "going_concern",
    "Audiitorettevõtja (AEV)": "audit_firm",
}

# element name in the file -> column name in the interim `annual_reports` table; several names
# may feed one column (report schemes differ): the first name listed that a report has wins.
REPORT_ELEMENTS = {
    "Revenue": "revenue",
    "TotalAnnualPeriodProfitLoss": "net_profit",
    "Equity": "equity",
    "Assets": "assets",
    "CurrentAssets": "current_assets",
    "CurrentLiabilities": "current_liabilities",
    "NonCurrentLiabilities": "non_current_liabilities",
    "CashAndCashEquivalents": "cash",
    "LaborExpense": "labour_expense",
    "EmployeeExpense": "labour_expense",
    "AverageNumberOfEmployeesInFullTimeEquivalentUnits": "employees",
}
REPORT_COLUMNS = tuple(dict.fromkeys(REPORT_ELEMENTS.values()))
CONSOLIDATED_SUFFIX = "Consolidated"  # group figures: "RevenueConsolidated"
REPORT_PDF_TABLE = "PDF"  # rows of this table carry no element name: ignored


def report_table_rank(table: str) -> int:
    """Which copy of a repeated element wins: the primary statement (0) before its detailed
    version (1) before a note (2); `PDF` rows are never read (3)."""
    if table == REPORT_PDF_TABLE:
        return 3
    if table.startswith("Lisa"):
        return 2
    if "detailne" in table:
        return 1
    return 0


# -------------------------------------------------------------- Tax and Customs Board (EMTA)
TAX_DEBTORS = "maksuvolglaste_nimekiri.csv"
TAX_DEBTORS_COLUMNS = (
    "Andmed on seisuga",
    "Registrikood",
    "Nimi",
    "Maksuvõlg",
    "sh vaidlustatud",
    "sh tasumisgraafikus",
    "Tasumisgraafiku lõppkuupäev",
    "Vanima tasumata nõude tasumise tähtpäev",
)
TAX_DEBTORS_SEPARATOR = ";"
TAX_DEBTORS_ENCODING = "utf-8-sig"

# EMTA's quarters are not calendar quarters: I = December (of the previous year) to February,
# II = March-May, III = June-August, IV = September-November.
QUARTER_WORDS = ("I", "II", "III", "IV")
QUARTER_FIRST_MONTH = {1: 12, 2: 3, 3: 6, 4: 9}  # quarter I starts in December of year - 1


def quarter_period(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of EMTA's quarter `quarter` of `year`."""
    first_month = QUARTER_FIRST_MONTH[quarter]
    start = dt.date(year - 1 if quarter == 1 else year, first_month, 1)
    end_month = first_month + 3
    end_year = start.year + (end_month - 1) // 12
    end = dt.date(end_year, (end_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> tuple[int, int]:
    """(year, quarter) of EMTA's quarter holding `day` (December belongs to next year's I)."""
    if day.month == 12:
        return day.year + 1, 1
    return day.year, (day.month - 3) // 3 + 2 if day.month >= 3 else 1


# Taxes paid, current generation (from 2022): two rolling multi-year files, each in an
# English and an Estonian version, one row per company and year, four quarters per row.
TAX_PAYMENTS_CURRENT_FILES = (
    "tasutud_maksud_kaesolev_aasta",  # the current and the previous year
    "tasutud_maksud_varasemad_aastad",  # 2022 up to the year before those
)
TAX_PAYMENTS_ENGLISH_SUFFIX = "_eng"
TAX_PAYMENTS_CURRENT_FROM_YEAR = 2022  # quarters of earlier years come in the older generation
TAX_PAYMENTS_SEPARATOR = ","
TAX_PAYMENTS_ENCODING = "utf-8-sig"  # possibly with a BOM
PAYMENT_MEASURES = ("state_taxes", "labour_taxes", "turnover", "employees")
TAX_PAYMENTS_KEYS = ("Data date", "Registry code", "Name", "Type", "County", "Activity", "Year")
TAX_PAYMENTS_MEASURE_LABELS = (
    "State taxes",
    "Labour taxes and payments",
    "Turnover",
    "Number of employees",
)
TAX_PAYMENTS_COLUMNS = TAX_PAYMENTS_KEYS + tuple(
    f"{label} {word} qtr" for label in TAX_PAYMENTS_MEASURE_LABELS for word in QUARTER_WORDS
)
# The Estonian version's header, English column -> Estonian one. UNVERIFIED: no verbatim
# Estonian header was found; only `Registrikood, Nimi, Liik, Maakond, Tegevusala, Aasta` are
# documented. A file whose header differs is refused with the missing column named.
TAX_PAYMENTS_ESTONIAN = {
    "Data date": "Andmete kuupäev",
    "Registry code": "Registrikood",
    "Name": "Nimi",
    "Type": "Liik",
    "County": "Maakond",
    "Activity": "Tegevusala",
    "Year": "Aasta",
    **{
        f"{en} {word} qtr": f"{et} {word} kv"
        for en, et in zip(
            TAX_PAYMENTS_MEASURE_LABELS,
            ("Riiklikud maksud", "Tööjõumaksud ja maksed", "Käive", "Töötajate arv"),
            strict=True,
        )
        for word in QUARTER_WORDS
    },
}

# Taxes paid, older generation (2017 - 2023 Q3), one file per quarter, archives only:
# `;`, decimal comma with space thousands, latin-1 (to 2021) or UTF-8 with BOM (2023).
TAX_PAYMENTS_OLD_FILE = "tasutud_maksud_{year}_{quarter}_kvartal.csv"  # quarter: i ii iii iv
TAX_PAYMENTS_OLD_COLUMNS = (
    "Registrikood",
    "Nimi",
    "Liik",
    "Registreeritud käibemaksukohustuslaste registrisse",
    "EMTAK tegevusvaldkond, mis on EMTAKi struktuuris tähistatud tähtkoodiga",
    "Maakond",
    "Riiklikud Maksud",
    "Tööjõumaksud Ja Maksed",
    "Kaive",
    "Tootajaid",
)
# 2017 Q1 names the last two columns differently
TAX_PAYMENTS_OLD_ALIASES = {"Kaive": ("Käive",), "Tootajaid": ("Töötajate arv",)}
TAX_PAYMENTS_OLD_MEASURES = ("Riiklikud Maksud", "Tööjõumaksud Ja Maksed", "Kaive", "Tootajaid")
TAX_PAYMENTS_OLD_SEPARATOR = ";"
TAX_PAYMENTS_OLD_ENCODINGS = ("utf-8-sig", "latin-1")  # tried in this order
TAX_PAYMENTS_OLD_LAST = (2023, 3)  # the last quarter EMTA published in this generation


def roman_quarter(quarter: int) -> str:
    return QUARTER_WORDS[quarter - 1].lower()


# ------------------------------------------------------------------------- file families
@dataclass(frozen=True)
class FileFamily:
    """One kind of published file: how its name looks, what it holds, and whether every drop
    must have it. `pattern` matches the logical (unzipped) name; its groups are the name's
    parameters (a cut-off date, a fiscal year, a quarter)."""

    name: str
    pattern: str
    kind: str  # "csv" | "json" | "unsupported" (recognised, but not a format ingest reads)
    required: bool = False
    daily: bool = False  # published every day (else republished from time to time)
    same_name: bool = False  # republished under one unchanging name (else a new dated name)

    def match(self, logical: str) -> re.Match | None:
        return re.fullmatch(self.pattern, logical)


_CUTOFF = r"(?P<cutoff>\d{8})(?:_(?P<copy>\d+))?"
FILE_FAMILIES: tuple[FileFamily, ...] = (
    FileFamily("basic", re.escape(RIK_BASIC), "csv", required=True, daily=True),
    FileFamily("general", re.escape(RIK_GENERAL), "json", required=True, daily=True),
    FileFamily("persons", re.escape(RIK_PERSONS), "json", required=True, daily=True),
    FileFamily("tax_debtors", re.escape(TAX_DEBTORS), "csv", required=True, daily=True),
    FileFamily("shareholders", re.escape(RIK_SHAREHOLDERS), "json", daily=True),
    FileFamily("rulings", re.escape(RIK_RULINGS), "json", daily=True),
    FileFamily("reports_general", rf"1\.aruannete_yldandmed_kuni_{_CUTOFF}\.csv", "csv"),
    FileFamily(
        "reports_elements", rf"4\.(?P<year>\d{{4}})_aruannete_elemendid_kuni_{_CUTOFF}\.csv", "csv"
    ),
    FileFamily(
        "payments_current",
        r"(?P<stem>tasutud_maksud_(?:kaesolev_aasta|varasemad_aastad))(?P<eng>_eng)?\.csv",
        "csv",
        same_name=True,
    ),
    FileFamily(
        "payments_old",
        r"tasutud_maksud_(?P<year>\d{4})_(?P<quarter>i|ii|iii|iv)_kvartal\.csv",
        "csv",
    ),
    FileFamily(
        "payments_old_xlsx",
        r"tasutud_maksud_(?P<year>\d{4})_(?P<quarter>i|ii|iii|iv)_kv(?:artal)?\.xlsx",
        "unsupported",
    ),
)
FAMILIES_BY_NAME = {f.name: f for f in FILE_FAMILIES}
# report files are zipped under their stem (`S.zip` or `S_N.zip` holds `S.csv`)
REPORT_ZIP = re.compile(
    r"(?P<stem>(?:1\.aruannete_yldandmed|4\.\d{4}_aruannete_elemendid)_kuni_\d{8})"
    r"(?:_(?P<copy>\d+))?\.zip"
)


def logical_name(name: str) -> str:
    """What a published file holds, by its name: RIK zips `X.zip` hold `X`, annual-report zips
    `S.zip` and `S_N.zip` hold `S.csv`; any other name is the file itself."""
    if m := REPORT_ZIP.fullmatch(name):
        return f"{m['stem']}.csv"
    return name.removesuffix(".zip")


def family_of(name: str) -> FileFamily | None:
    """The family of a published file name (zipped or not), or None when none recognises it."""
    logical = logical_name(name)
    return next((f for f in FILE_FAMILIES if f.match(logical)), None)


def cutoff_date(text: str) -> dt.date:
    """The cut-off date of an annual-report file name (DDMMYYYY)."""
    return dt.datetime.strptime(text, "%d%m%Y").date()


# ------------------------------------------------------------------------- shared code lists
# Section letter by the division (first two digits) of an activity code, per classification
# version: EMTAK 2008 = NACE Rev. 2 (emtak_versioon 2), EMTAK 2025 = NACE Rev. 2.1 (version 3).
# The boundaries differ from division 45 (trade) and 58 (information) up.
EMTAK_2008, EMTAK_2025 = 2, 3
EMTAK_VERSION_TEXT = {EMTAK_2008: "EMTAK 2008", EMTAK_2025: "EMTAK 2025"}
EMTAK_SECTIONS: dict[int, tuple[tuple[str, int, int], ...]] = {
    EMTAK_2008: (
        ("A", 1, 3),
        ("B", 5, 9),
        ("C", 10, 33),
        ("D", 35, 35),
        ("E", 36, 39),
        ("F", 41, 43),
        ("G", 45, 47),
        ("H", 49, 53),
        ("I", 55, 56),
        ("J", 58, 63),
        ("K", 64, 66),
        ("L", 68, 68),
        ("M", 69, 75),
        ("N", 77, 82),
        ("O", 84, 84),
        ("P", 85, 85),
        ("Q", 86, 88),
        ("R", 90, 93),
        ("S", 94, 96),
        ("T", 97, 98),
        ("U", 99, 99),
    ),
    EMTAK_2025: (
        ("A", 1, 3),
        ("B", 5, 9),
        ("C", 10, 33),
        ("D", 35, 35),
        ("E", 36, 39),
        ("F", 41, 43),
        ("G", 46, 47),
        ("H", 49, 53),
        ("I", 55, 56),
        ("J", 58, 60),
        ("K", 61, 63),
        ("L", 64, 66),
        ("M", 68, 68),
        ("N", 69, 75),
        ("O", 77, 82),
        ("P", 84, 84),
        ("Q", 85, 85),
        ("R", 86, 88),
        ("S", 90, 93),
        ("T", 94, 96),
        ("U", 97, 98),
        ("V", 99, 99),
    ),
}


def section_of(code: str, version: int = EMTAK_2008) -> str:
    """The section letter of an activity code (`"62101"`, a NACE code `"62.10"` or just its
    division `"62"`) under a classification version; "" when the code is empty, the version
    unknown, or the division outside every section."""
    digits = code.replace(".", "")[:2]
    if len(digits) < 2 or not digits.isdigit():
        return ""
    division = int(digits)
    for letter, first, last in EMTAK_SECTIONS.get(version, ()):
        if first <= division <= last:
            return letter
    return ""
