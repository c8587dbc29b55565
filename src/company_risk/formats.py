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
