"""A hand-made world of six companies covering every case the drop writer and ingest handle,
shared by the drop and ingest tests (imported as `test_ingest_world`).

- 10000001 Alfa: healthy; a board change (P1 leaves, P2 joins); VAT registration mid-window
  (a new version in `companies`); reports on time; taxes paid in both EMTA generations.
- 10000002 Beeta: tax debt growing past a million, then bankrupt (N), then deleted (K).
- 10000003 Gamma: a name with a quote and a semicolon; a late report; deleted by the registrar.
- 10000004 Delta: voluntary liquidation (L) then deletion: an exit that is not a default.
- 10000005 Epsilon: born inside the window; a non-latin-1 name; a short tax debt.
- 10000006 Zeta: born in the last months of the window.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from company_risk.formats import REPORT_COLUMNS
from company_risk.synth.world import World

T = pd.Timestamp
NaT = pd.NaT


def _dt(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values), dtype="datetime64[us]")


def drop_dates() -> list[pd.Timestamp]:
    monthly = pd.date_range("2019-07-01", "2021-03-01", freq="MS")
    daily = pd.date_range("2021-03-02", "2021-03-03", freq="D")
    return [T(d) for d in [*monthly, *daily]]


PERSONS = [
    # person_id is the hash of the personal code, as in the register
    ("Jüri", "Õunapuu", "1970-02-03", "37002030011"),
    ("Mari", "Tammsaar", "1985-07-14", "48507140022"),
    ("Tõnu", "Kivistik", "1962-11-30", "36211300033"),
    ("Kalev", "Lepikson", "1979-04-01", "37904010044"),
    ("Anneli", "Rebassoo", "1990-09-09", "49009090055"),
    ("Peeter", "Vahermägi", "1958-01-20", "35801200066"),
    ("Liisbet", "Kuuskmann", "1995-05-05", "49505050077"),
]


def pid(n: int) -> str:
    return hashlib.sha256(PERSONS[n - 1][3].encode()).hexdigest()


def tiny_world() -> World:
    dates = drop_dates()
    persons = pd.DataFrame(
        {
            "person_id": [pid(i + 1) for i in range(len(PERSONS))],
            "first_name": [p[0] for p in PERSONS],
            "last_name": [p[1] for p in PERSONS],
            "birth_date": _dt([p[2] for p in PERSONS]),
            "personal_code": [p[3] for p in PERSONS],
            "trust": np.linspace(0.2, 0.9, len(PERSONS)),
            "serial": [False, False, False, True, False, False, False],
        }
    )
    companies = pd.DataFrame(
        {
            "company_id": ["10000001", "10000002", "10000003", "10000004", "10000005", "10000006"],
            "name": [
                "Alfa OÜ",
                "Beeta Ehitus OÜ",
                'Gamma "Kaubandus"; AS',
                "Delta Teenused OÜ",
                "Epsilon Šokolaad OÜ",
                "Zeta Selts MTÜ",
            ],
            "legal_form": [
                "Osaühing",
                "Osaühing",
                "Aktsiaselts",
                "Osaühing",
                "Osaühing",
                "Mittetulundusühing",
            ],
            "legal_form_code": ["OÜ", "OÜ", "AS", "OÜ", "OÜ", "MTÜ"],
            "legal_form_subtype": ["", "", "", "", "", ""],
            "registered_on": _dt(
                ["2015-03-10", "2016-01-04", "2017-04-04", "2016-06-01", "2019-09-15", "2021-01-10"]
            ),
            "capital": [2500.0, 2500.0, 25000.0, 2556.0, 0.01, np.nan],
            "sector": ["J", "F", "G", "M", "C", "S"],
            "emtak_code": ["62011", "41201", "47111", "69201", "10821", "94991"],
            "emtak_text": [
                "Programmeerimine",
                "Elamute ehitus",
                "Jaemüük",
                "Raamatupidamine",
                "Šokolaadi tootmine",
                "Seltsid",
            ],
            "ehak_code": ["0784", "0793", "0511", "0784", "0296", "0784"],
            "county": [
                "Harju maakond",
                "Tartu maakond",
                "Ida-Viru maakond",
                "Harju maakond",
                "Lääne-Viru maakond",
                "Harju maakond",
            ],
            "address": [
                "Narva mnt 1, Tallinn",
                "Riia 2, Tartu",
                "Keskallee 3, Narva",
                "Pärnu mnt 4, Tallinn",
                "Tallinna 5, Rakvere",
                "Tartu mnt 6, Tallinn",
            ],
            "vat_from": _dt(["2020-03-01", "2016-02-01", None, None, None, None]),
            "vat_until": _dt([None, "2021-01-20", None, None, None, None]),
            "vat_number": ["EE100000011", "EE100000022", "", "", "", ""],
        }
    )
    status_events = pd.DataFrame(
        {
            "company_id": [
                "10000001",
                "10000002",
                "10000002",
                "10000002",
                "10000003",
                "10000003",
                "10000004",
                "10000004",
                "10000004",
                "10000005",
                "10000006",
            ],
            "status": ["R", "R", "N", "K", "R", "K", "R", "L", "K", "R", "R"],
            "start_date": _dt(
                [
                    "2015-03-10",
                    "2016-01-04",
                    "2020-05-12",
                    "2021-01-20",
                    "2017-04-04",
                    "2020-09-20",
                    "2016-06-01",
                    "2020-02-10",
                    "2020-08-05",
                    "2019-09-15",
                    "2021-01-10",
                ]
            ),
        }
    )
    board_roles = pd.DataFrame(
        {
            "company_id": [
                "10000001",
                "10000001",
                "10000001",
                "10000002",
                "10000002",
                "10000003",
                "10000004",
                "10000004",
                "10000005",
                "10000006",
            ],
            "person_id": [
                pid(1),
                pid(2),
                pid(3),
                pid(4),
                pid(6),
                pid(4),
                pid(5),
                pid(5),
                pid(2),
                pid(7),
            ],
            "role": [
                "JUHL",
                "JUHL",
                "PROK",
                "JUHL",
                "PANKR",
                "JUHL",
                "JUHL",
                "LIKV",
                "JUHL",
                "JUHL",
            ],
            "start_date": _dt(
                [
                    "2015-03-10",
                    "2019-11-20",
                    "2018-01-05",
                    "2016-01-04",
                    "2020-05-12",
                    "2017-04-04",
                    "2016-06-01",
                    "2020-02-10",
                    "2019-09-15",
                    "2021-01-10",
                ]
            ),
            "end_date": _dt(
                ["2019-11-20", None, None, None, None, None, "2020-02-10", None, None, None]
            ),
            "kirje_id": list(range(101, 111)),
        }
    )
    debt_rows = []
    for d in dates:
        if T("2019-10-01") <= d < T("2021-02-01"):  # Beeta: growing, past a million at the end
            k = (d.year - 2019) * 12 + d.month - 9
            debt = 1234567.89 if d >= T("2020-12-01") else 1500.5 * k
            debt_rows.append(
                ("10000002", d, debt, 100.0 if k > 3 else 0.0, 0.0, NaT, T("2019-08-20"))
            )
        if T("2020-03-01") <= d < T("2020-10-01"):  # Gamma: scheduled payments, then deleted
            debt_rows.append(("10000003", d, 987.65, 0.0, 500.0, T("2021-06-30"), T("2020-01-20")))
        if T("2020-01-01") <= d <= T("2020-03-01"):  # Epsilon: a short debt
            debt_rows.append(("10000005", d, 45210.0, 0.0, 0.0, NaT, T("2019-12-20")))
    tax_debts = pd.DataFrame(
        debt_rows,
        columns=[
            "company_id",
            "as_of",
            "debt",
            "disputed",
            "scheduled",
            "schedule_end",
            "oldest_due",
        ],
    ).astype(
        {
            "as_of": "datetime64[us]",
            "schedule_end": "datetime64[us]",
            "oldest_due": "datetime64[us]",
        }
    )

    elements = list(REPORT_COLUMNS)
    report_rows = [
        (
            "R1",
            "10000001",
            2018,
            "2019-05-20",
            False,
            [120000.5, 8000.0, 30000.0, 90000.0, 50000.0, 20000.0, 40000.0, 10000.0, 45000.0, 3.0],
        ),
        (
            "R2",
            "10000001",
            2019,
            "2020-06-10",
            True,
            [130000.0, -2500.25, 27500.0, 95000.0, 52000.0, 25000.0, np.nan, 9000.0, 47000.0, 3.5],
        ),
        (
            "R3",
            "10000001",
            2020,
            "2021-02-15",
            False,
            [99000.0, 1000.0, 28500.0, 91000.0, 51000.0, 24000.0, 38500.0, 8000.0, 46000.0, 3.0],
        ),
        (
            "R4",
            "10000003",
            2018,
            "2019-12-01",
            False,
            [5000.0, -9000.0, -4000.0, 3000.0, 2000.0, 7000.0, 0.0, 100.0, 0.0, 0.0],
        ),
        (
            "R5",
            "10000002",
            2019,
            "2020-04-02",
            False,
            [40000.0, -15000.0, -1000.0, 20000.0, 15000.0, 21000.0, 0.0, 500.0, 12000.0, 1.0],
        ),
    ]
    annual_reports = pd.DataFrame(
        {
            "report_id": [r[0] for r in report_rows],
            "company_id": [r[1] for r in report_rows],
            "fiscal_year": [r[2] for r in report_rows],
            "period_start": _dt([f"{r[2]}-01-01" for r in report_rows]),
            "period_end": _dt([f"{r[2]}-12-31" for r in report_rows]),
            "submitted_on": _dt([r[3] for r in report_rows]),
            "audited": [r[4] for r in report_rows],
            "consolidated": [False] * len(report_rows),
            **{e: [r[5][i] for r in report_rows] for i, e in enumerate(elements)},
        }
    )
    pay_rows = []
    quarters = [(2019, 2), (2019, 3), (2019, 4), (2020, 1), (2020, 2), (2020, 3), (2020, 4)]
    for year, q in quarters:
        published = T(year + (q == 4), (q * 3) % 12 + 1, 10)
        pay_rows.append(("10000001", year, q, 3000.0 + q, 1234.5 * q, 25000.0 * q, 3.0, published))
        if (year, q) <= (2020, 1):
            pay_rows.append(("10000002", year, q, 100.0, 0.0, 1500.75, 1.0, published))
        if (year, q) >= (2019, 4):
            pay_rows.append(("10000005", year, q, 12345.67, 2000.0, 1234567.5, 2.0, published))
    tax_payments = pd.DataFrame(
        pay_rows,
        columns=[
            "company_id",
            "year",
            "quarter",
            "state_taxes",
            "labour_taxes",
            "turnover",
            "employees",
            "published_on",
        ],
    ).astype({"published_on": "datetime64[us]"})

    truth_exits = pd.DataFrame(
        {
            "company_id": ["10000002", "10000003", "10000004"],
            "exit_date": _dt(["2020-05-12", "2020-09-20", "2020-08-05"]),
            "kind": ["bankrupt", "deleted", "liquidated"],
            "default": [True, True, False],
        }
    )
    return World(
        drop_dates=dates,
        persons=persons,
        companies=companies,
        status_events=status_events,
        board_roles=board_roles,
        tax_debts=tax_debts,
        annual_reports=annual_reports,
        tax_payments=tax_payments,
        truth_latent=pd.DataFrame({"company_id": [], "month": [], "health": []}),
        truth_exits=truth_exits,
        truth_pd=pd.DataFrame({"company_id": [], "month": [], "pd_12m": []}),
    )


def test_tiny_world_covers_every_case():
    w = tiny_world()
    events = w.status_events
    assert set(events["status"]) == {"R", "L", "N", "K"}
    assert (w.board_roles["end_date"].notna()).any()  # a board change
    assert (w.tax_debts["debt"] >= 1_000_000).any()  # two thousands separators
    late = w.annual_reports["submitted_on"] > (
        w.annual_reports["period_end"] + pd.DateOffset(months=6)
    )
    assert late.any()
    years = set(w.tax_payments["year"])
    assert min(years) < 2020 <= max(years)  # both tax-payment generations
    first, last = min(w.drop_dates), max(w.drop_dates)
    born = w.companies["registered_on"]
    assert ((born > first) & (born < last)).any()
