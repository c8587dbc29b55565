"""Builders the tests share: plain data makers, made one way, and where each kind lives.

- builders.py (this module): plain functions, classes and constants that make test data:
  registry records (`champion_meta`, `version_tags`), tiny interim history tables (`Tables`,
  `monthly`, `features_at`, `FEATURES_CFG`), the hand-made six-company world (`tiny_world`,
  `pid`), the corrupted-drop helpers of the ingest tests (`BAD`, `assert_fails`) and the
  scoring CLI on the tiny world (`DAYS`, `cli`).
- builders_example.py: `example_features`, a features table with known true default
  probabilities, for the train, scoring and model tests.
- conftest.py: pytest fixtures used by several modules (the tiny CLI project, the tiny world's
  drops before a bad one, the scoring project with its champion) and the autouse MLflow guard.
- A helper or fixture only one module uses stays in that module.

Test modules import from here, never from each other, so a test file can change its own
fixtures without breaking another's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from company_risk import formats as F
from company_risk.artifacts import REGISTERED_MODEL, ChampionMeta, VersionTags
from company_risk.cli import app
from company_risk.config import FeaturesConfig, IngestConfig
from company_risk.features.build import build_features
from company_risk.formats import REPORT_COLUMNS
from company_risk.ingest import IngestError, ingest_drops
from company_risk.schemas import INTERIM_TABLES
from company_risk.synth.world import World

T = pd.Timestamp


# ------------------------------------------------------------------------------ registry
def champion_meta(
    feature_columns: Sequence[str],
    version: str = "1",
    run_id: str = "run1",
    **overrides: object,
) -> ChampionMeta:
    """A complete `champion.json` record for an exported test model."""
    fields = {
        "model_name": REGISTERED_MODEL,
        "version": version,
        "run_id": run_id,
        "model": "logistic_regression",
        "feature_set": "all",
        "feature_columns": tuple(feature_columns),
        "threshold": 0.5,
        "train_from": "2016-01-01",
        "train_until": "2021-12-31",
        **overrides,
    }
    return ChampionMeta(**fields)


def version_tags(feature_columns: Sequence[str], **overrides: object) -> VersionTags:
    """The tags train puts on a registered version, for a test model."""
    fields = {
        "model": "logistic_regression",
        "feature_set": "all",
        "threshold": 0.5,
        "train_from": "2016-01-01",
        "train_until": "2021-12-31",
        "features": tuple(feature_columns),
        "metric": "roc_auc",
        "val": 0.8,
        "test": 0.8,
        **overrides,
    }
    return VersionTags(**fields)


# ------------------------------------------------------------------------------ interim tables
def monthly(start: str, end: str) -> list[pd.Timestamp]:
    return list(pd.date_range(start, end, freq="MS"))


# an EMTAK 2008 activity code in each section the tests use
SECTOR_CODES = {"A": "01111", "B": "08111", "C": "10821", "F": "41201", "G": "47111"}


class Tables:
    """Tiny interim history tables, written fact by fact, with the schema's dtypes.

    Drops are monthly (first of the month) unless given; every fact's `published_on` defaults
    to the first drop on or after its date.
    """

    def __init__(self, drops: list[pd.Timestamp] | None = None):
        self.drops = sorted(drops or monthly("2015-01-01", "2024-12-01"))
        self.rows: dict[str, list[dict]] = {name: [] for name in INTERIM_TABLES}

    def drop_on_or_after(self, day) -> pd.Timestamp:
        day = T(day)
        later = [d for d in self.drops if d >= day]
        return later[0] if later else T("2099-01-01")

    def company(
        self,
        cid: str,
        registered: str = "2010-01-01",
        *,
        status: str = "R",
        legal_form: str = "Osaühing",
        legal_form_code: str = "OÜ",
        sector: str = "G",
        county: str = "Harju maakond",
        vat: str = "",
        capital: float = 2500.0,
        valid_from: str | None = None,
        valid_to: str | None = None,
    ) -> Tables:
        """A company version; the first call for a company also records its status R."""
        start = (
            T(valid_from) if valid_from else max(self.drops[0], self.drop_on_or_after(registered))
        )
        if not any(r["company_id"] == cid for r in self.rows["companies"]):
            self.status(cid, status, registered, published_on=start)
        self.rows["companies"].append(
            dict(
                company_id=cid,
                valid_from=start,
                valid_to=T(valid_to) if valid_to else pd.NaT,
                name=f"Firma {cid}",
                legal_form=legal_form,
                legal_form_subtype="",
                vat_number=vat,
                first_registered=T(registered),
                ehak_code="0784",
                county=county,
                legal_form_code=legal_form_code,
                emtak_code=SECTOR_CODES[sector],
                emtak_version=F.EMTAK_2008,
                nace_code=f"{SECTOR_CODES[sector][:2]}.{SECTOR_CODES[sector][2:4]}",
                sector=sector,
                capital=capital,
            )
        )
        return self

    def status(self, cid, status, valid_from, published_on=None, valid_to=None) -> Tables:
        published = T(published_on) if published_on else self.drop_on_or_after(valid_from)
        self.rows["status_history"].append(
            dict(
                company_id=cid,
                status=status,
                valid_from=T(valid_from),
                valid_to=T(valid_to) if valid_to else pd.NaT,
                published_on=published,
            )
        )
        return self

    def role(self, cid, person, start, end=None, published_on=None, role="JUHL") -> Tables:
        published = (
            T(published_on) if published_on else max(self.drops[0], self.drop_on_or_after(start))
        )
        self.rows["board_roles"].append(
            dict(
                company_id=cid,
                person_id=person,
                person_type="natural",
                role=role,
                start_date=T(start),
                end_date=T(end) if end else pd.NaT,
                published_on=published,
            )
        )
        return self

    def tax_list(self, as_of, n_debtors: int = 0) -> Tables:
        self.rows["tax_debt_lists"].append(dict(as_of=T(as_of), n_debtors=n_debtors))
        return self

    def debt(self, cid, as_of, debt, disputed=0.0, scheduled=0.0, oldest_due=None) -> Tables:
        if not any(r["as_of"] == T(as_of) for r in self.rows["tax_debt_lists"]):
            self.tax_list(as_of)
        self.rows["tax_debts"].append(
            dict(
                company_id=cid,
                as_of=T(as_of),
                debt=float(debt),
                disputed=float(disputed),
                scheduled=float(scheduled),
                schedule_end=pd.NaT,
                oldest_due=T(oldest_due) if oldest_due else T(as_of) - pd.Timedelta(days=30),
            )
        )
        return self

    def report(self, cid, fiscal_year, submitted, published_on=None, **figures) -> Tables:
        published = T(published_on) if published_on else self.drop_on_or_after(submitted)
        row = dict(
            report_id=f"{cid}-{fiscal_year}-{len(self.rows['annual_reports'])}",
            company_id=cid,
            fiscal_year=fiscal_year,
            period_start=T(f"{fiscal_year}-01-01"),
            period_end=T(f"{fiscal_year}-12-31"),
            submitted_on=T(submitted),
            published_on=published,
            audited=False,
            consolidated=False,
            going_concern=figures.pop("going_concern", ""),
        )
        for name in REPORT_COLUMNS:
            row[name] = float(figures.get(name, np.nan))
        self.rows["annual_reports"].append(row)
        return self

    def payment(self, cid, year, quarter, published_on=None, **values) -> Tables:
        start, end = F.quarter_period(year, quarter)
        quarter_end = T(end)
        published = (
            T(published_on)
            if published_on
            else self.drop_on_or_after(quarter_end + pd.Timedelta(days=10))
        )
        row = dict(
            company_id=cid,
            year=year,
            quarter=quarter,
            period_start=T(start),
            period_end=quarter_end,
            published_on=published,
        )
        for name in ("state_taxes", "labour_taxes", "turnover", "employees"):
            row[name] = float(values.get(name, 0.0))
        self.rows["tax_payments"].append(row)
        return self

    def default(self, cid, date, kind="bankrupt", published_on=None) -> Tables:
        """A default event and the status fact behind it (N or K from `date`)."""
        self.status(cid, "N" if kind == "bankrupt" else "K", date, published_on=published_on)
        self.rows["defaults"].append(dict(company_id=cid, default_date=T(date), kind=kind))
        return self

    def build(self) -> dict[str, pd.DataFrame]:
        self.rows["ingest_log"] = [
            dict(drop_date=d, checksum="x", files="f", n_companies=0) for d in self.drops
        ]
        out = {}
        for name, schema in INTERIM_TABLES.items():
            frame = pd.DataFrame(self.rows[name], columns=list(schema))
            text = [c for c, dtype in schema.items() if dtype == "str"]
            out[name] = frame.fillna({c: "" for c in text}).astype(schema)
        return out


FEATURES_CFG = FeaturesConfig()


def features_at(tables: Tables, day: str, cfg: FeaturesConfig = FEATURES_CFG) -> pd.DataFrame:
    """Scoring-mode features at one date, indexed by company_id."""
    out = build_features(tables.build(), [T(day).date()], cfg, with_label=False)
    return out.set_index("company_id")


# ------------------------------------------------------------------------------ the tiny world
# A hand-made world of six companies covering every case the drop writer and ingest handle:
#
# - 10000001 Alfa: healthy; a board change (P1 leaves, P2 joins); VAT registration mid-window
#   (a new version in `companies`); reports on time; taxes paid in both EMTA generations.
# - 10000002 Beeta: tax debt growing past a million, then bankrupt (N), then deleted (K).
# - 10000003 Gamma: a name with a quote and a semicolon; a late report; deleted by the registrar.
# - 10000004 Delta: voluntary liquidation (L) then deletion: an exit that is not a default.
# - 10000005 Epsilon: born inside the window; a non-latin-1 name; a short tax debt.
# - 10000006 Zeta: born in the last months of the window.

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


# ------------------------------------------------------------------------------ a bad drop
# The ingest tests corrupt the drop BAD of the tiny world (conftest's `pristine` holds the
# history of the drops before it, `case` a copy of both) and check that ingest refuses it.
INGEST_CFG = IngestConfig()
BAD = "2020-01-01"  # the drop after the pristine history, corrupted by each test


def snapshot(interim: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(interim.iterdir())}


def assert_fails(case: Path, *parts: str) -> str:
    before = snapshot(case / "interim")
    with pytest.raises(IngestError) as err:
        ingest_drops(case / "raw", case / "interim", INGEST_CFG)
    message = str(err.value)
    for part in parts:
        assert part in message, message
    assert snapshot(case / "interim") == before  # the history tables exactly as before
    assert sorted(p.name for p in case.iterdir()) == ["interim", "raw"]  # no temp leftovers
    return message


# ------------------------------------------------------------------------------ scoring
# the tiny world's last monthly drop and its daily tail (conftest's `project` scores them)
DAYS = ("2021-03-01", "2021-03-02", "2021-03-03")


def cli(root, *args):
    result = CliRunner().invoke(
        app, ["--project-dir", str(root), "score", *args], env={"MLFLOW_TRACKING_URI": ""}
    )
    return result


# the report's sections, in the order an auditor reads them
REPORT_SECTIONS = (
    "Summary",
    "Data",
    "Model comparison",
    "Network features: what each addition gains",
    "Curves and feature importances",
    "Risk classes on the test snapshots",
    "Default probabilities by horizon",
    "Champion decision",
    "Slices",
    "Daily scoring",
    "Lineage",
    "Model card",
)


# ------------------------------------------------------------------------------ graph family
def graph_at(
    tables: Tables,
    day: str,
    scored: Sequence[str] | None = None,
    cfg: FeaturesConfig = FEATURES_CFG,
) -> pd.DataFrame:
    """graph__ features at one date straight from `graph_features`, for the companies of
    `scored` (default: the population at that date), with the shareholdings and the status
    history it can take, and the facts shared between families derived as the build does."""
    from company_risk.features.graph import graph_features
    from company_risk.features.labels import default_known_on, defaulted_by
    from company_risk.features.population import population
    from company_risk.features.tax import debtors_at

    built, t = tables.build(), T(day)
    cutoff = max(d for d in tables.drops if d <= t)
    pop = (
        population(built["status_history"], built["companies"], t)
        if scored is None
        else pd.Index(sorted(scored), name="company_id", dtype="str")
    )
    return graph_features(
        built["board_roles"],
        pop,
        t,
        defaulted_by(default_known_on(built["defaults"], built["status_history"]), t),
        debtors_at(built["tax_debts"], built["tax_debt_lists"], cutoff),
        cfg.graph,
        shareholdings=built["shareholdings"],
        status_history=built["status_history"],
    )


# ------------------------------------------------------------------------ term structure


def with_horizon_labels(table: pd.DataFrame) -> pd.DataFrame:
    """builders_example's features table with `label_3m`, `label_6m`, `label_9m`, read back
    from its quarterly 12-month labels: a company defaults in the quarter after the snapshot
    three quarters past its first labelled one, or, when it left the population, in the quarter
    after its last snapshot. Cumulative, and `label` is their 12-month window."""
    quarter = table["snapshot_date"].dt.year * 4 + (table["snapshot_date"].dt.month - 1) // 3
    rows = pd.DataFrame({"company_id": table["company_id"], "q": quarter, "y": table["label"]})
    first = rows.loc[rows["y"] == 1].groupby("company_id")["q"].min() + 3
    last = rows.groupby("company_id")["q"].max().reindex(first.index)
    default_q = first.where(last == quarter.max(), np.minimum(first, last))
    ahead = default_q.reindex(table["company_id"]).to_numpy() - quarter.to_numpy()
    out = table.copy()
    for quarters in (1, 2, 3):
        out[f"label_{3 * quarters}m"] = ((ahead >= 0) & (ahead < quarters)).astype("int8")
    return out


# ---------------------------------------------------------------------- report documents
def section(doc, title: str):
    """The report section titled `title` (exactly one)."""
    (found,) = [s for s in doc.sections if s.title == title]
    return found


def key_values(doc, title: str, caption: str) -> dict[str, str]:
    """The items of the key-value block captioned `caption` in section `title`."""
    from company_risk.report.render import KeyValues

    (found,) = [
        b for b in section(doc, title).blocks if isinstance(b, KeyValues) and b.caption == caption
    ]
    return dict(found.pairs)


def sentences(doc, title: str) -> list[str]:
    """Every paragraph, note and bullet of a section."""
    from company_risk.report.render import Bullets, Note, Paragraph

    found = []
    for block in section(doc, title).blocks:
        if isinstance(block, Paragraph | Note):
            found.append(block.text)
        elif isinstance(block, Bullets):
            found += block.items
    return found
