"""The real Estonian open-data files: names, columns, delimiters, encodings.

One definition shared by the writer (`company_risk.synth.drops`) and the reader
(`company_risk.ingest`), so the synthetic default and real downloads take one code path.
See the project's design notes on the real formats for where each fact comes from.
"""

from __future__ import annotations

# ---------------------------------------------------------------- e-Business Register (RIK)
RIK_BASIC = "ettevotja_rekvisiidid__lihtandmed.csv"
RIK_GENERAL = "ettevotja_rekvisiidid__yldandmed.json"
RIK_PERSONS = "ettevotja_rekvisiidid__kaardile_kantud_isikud.json"
RIK_SHAREHOLDERS = "ettevotja_rekvisiidid__osanikud.json"  # optional input, not read

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
DATE_FORMAT = "%d.%m.%Y"  # DD.MM.YYYY in every CSV and in the RIK JSON

STATUS_TEXT = {
    "R": "Registrisse kantud",
    "L": "Likvideerimisel",
    "N": "Pankrotis",
    "K": "Kustutatud",
}

BOARD_ROLE = "JUHL"  # juhatuse liige: board member
PERSON_ROLE_TEXT = {
    "JUHL": "Juhatuse liige",
    "JUHA": "Juhatuse esimees",
    "PROK": "Prokurist",
    "LIKV": "Likvideerija",
    "PANKR": "Pankrotihaldur",
    "OSAN": "Osanik",
}

# ------------------------------------------------------------------ annual reports (RIK)
REPORTS_GENERAL = "aruannete_yldandmed.csv"
REPORTS_ELEMENTS = "aruannete_elemendid.csv"
REPORTS_SEPARATOR = ";"
REPORTS_ENCODING = "utf-8"
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
)
REPORTS_ELEMENTS_COLUMNS = ("report_id", "tabel", "elemendi_label", "elemendi_nimetus", "vaartus")

# element name in the file -> column name in the interim `annual_reports` table
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
    "AverageNumberOfEmployeesInFullTimeEquivalentUnits": "employees",
}

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

# taxes paid, current generation: one file per year, one row per company, four quarters
TAX_PAYMENTS_PREFIX = "tasutud_maksud_"
TAX_PAYMENTS_COLUMNS = (
    "Data date",
    "Registry code",
    "Name",
    "Type",
    "County",
    "Activity",
    "Year",
    "State taxes I qtr",
    "State taxes II qtr",
    "State taxes III qtr",
    "State taxes IV qtr",
    "Labour taxes and payments I qtr",
    "Labour taxes and payments II qtr",
    "Labour taxes and payments III qtr",
    "Labour taxes and payments IV qtr",
    "Turnover I qtr",
    "Turnover II qtr",
    "Turnover III qtr",
    "Turnover IV qtr",
    "Number of employees I qtr",
    "Number of employees II qtr",
    "Number of employees III qtr",
    "Number of employees IV qtr",
)
QUARTER_WORDS = ("I", "II", "III", "IV")
TAX_PAYMENTS_SEPARATOR = ","
TAX_PAYMENTS_ENCODING = "utf-8"
TAX_PAYMENTS_FILE = "tasutud_maksud_{year}.csv"  # current generation: one file per year
TAX_PAYMENTS_FILE_PATTERN = r"tasutud_maksud_(?P<year>\d{4})\.csv"
TAX_PAYMENTS_CURRENT_FROM_YEAR = 2020  # quarters of earlier years come in the older generation

# taxes paid, older generation: one file per quarter, `;`, decimal comma, latin-1
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
TAX_PAYMENTS_OLD_SEPARATOR = ";"
TAX_PAYMENTS_OLD_ENCODING = "latin-1"
TAX_PAYMENTS_OLD_FILE = "tasutud_maksud_{year}_k{quarter}.csv"  # one file per quarter
TAX_PAYMENTS_OLD_FILE_PATTERN = r"tasutud_maksud_(?P<year>\d{4})_k(?P<quarter>[1-4])\.csv"

# ------------------------------------------------------------------------- shared code lists
# EMTAK (Estonian NACE) section letter by the first two digits (division) of an EMTAK code.
EMTAK_SECTIONS = (
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
)  # (section, first division, last division)
