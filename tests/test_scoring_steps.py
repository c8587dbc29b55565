"""The named steps of `score_day`, each on its own, on small in-memory inputs; and the one
annual-report deadline, seen by the features and by scoring's facts and reasons alike."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from company_risk.artifacts import MANIFEST_FILE, SCORES_FILE, read_scores
from company_risk.config import Params, ProjectPaths, ScoringConfig, params_from_dict
from company_risk.features import descriptive
from company_risk.schemas import INTERIM_TABLES
from company_risk.scoring import ScoringError
from company_risk.scoring import facts as scoring_facts
from company_risk.scoring.alerts import ALERT_COLUMNS, NEEDED, on_watchlist
from company_risk.scoring.facts import REGISTER_FACTS, company_facts
from company_risk.scoring.model import LoadedModel, ModelRef
from company_risk.scoring.reasons import fact_texts
from company_risk.scoring.run import (
    ScoreJob,
    day_alerts,
    day_drift,
    day_drops,
    day_features,
    day_manifest,
    previous_day,
    write_day,
)

T = pd.Timestamp
CFG = ScoringConfig()
DAY = dt.date(2025, 7, 1)  # the day after the 2024 reports fell due (6 months)
EVE = dt.date(2025, 6, 30)
FULL, GAP = "10000001", "10000002"  # every report filed / the 2023 report never filed


def _row(table: str, **values: object) -> dict:
    """One row of an interim table: the schema's columns, text "" and flags False unless given."""
    blank = {"str": "", "bool": False, "int64": 0, "float64": np.nan}
    return {
        c: values.get(c, blank.get(dtype, pd.NaT)) for c, dtype in INTERIM_TABLES[table].items()
    }


def history() -> dict[str, pd.DataFrame]:
    """Two private limited companies registered in March 2020, each with one board member.
    FULL files every annual report in March of the year after; GAP filed 2020..2022 and never
    2023. FULL gains a second member in the drop of 1 July 2025. Monthly drops from 2024."""
    rows: dict[str, list[dict]] = {name: [] for name in INTERIM_TABLES}
    first_drop = T("2024-01-01")
    for cid, years in ((FULL, range(2020, 2025)), (GAP, range(2020, 2023))):
        rows["companies"].append(
            _row(
                "companies",
                company_id=cid,
                valid_from=first_drop,
                name=f"Firma {cid}",
                legal_form="Osaühing",
                legal_form_code="OÜ",
                first_registered=T("2020-03-01"),
                county="Harju maakond",
                emtak_code="62011",
                emtak_version=2,
                nace_code="62.01",
                sector="J",
                capital=2500.0,
            )
        )
        rows["status_history"].append(
            _row(
                "status_history",
                company_id=cid,
                status="R",
                valid_from=T("2020-03-01"),
                published_on=first_drop,
            )
        )
        rows["board_roles"].append(
            _row(
                "board_roles",
                company_id=cid,
                person_id=f"p{cid}",
                person_type="natural",
                role="JUHL",
                start_date=T("2020-03-01"),
                published_on=first_drop,
            )
        )
        for year in years:
            # FULL's 2024 report comes in 2026, after every day these tests look at
            submitted = T("2026-03-01") if year == 2024 else T(f"{year + 1}-03-01")
            rows["annual_reports"].append(
                _row(
                    "annual_reports",
                    report_id=f"{cid}-{year}",
                    company_id=cid,
                    fiscal_year=year,
                    period_start=T(f"{year}-01-01"),
                    period_end=T(f"{year}-12-31"),
                    submitted_on=submitted,
                    published_on=max(submitted + pd.Timedelta(days=14), first_drop),
                    revenue=100000.0,
                    equity=20000.0,
                    assets=50000.0,
                )
            )
    rows["board_roles"].append(
        _row(
            "board_roles",
            company_id=FULL,
            person_id="pnew",
            person_type="natural",
            role="JUHL",
            start_date=T("2025-06-20"),
            published_on=T("2025-07-01"),
        )
    )
    rows["ingest_log"] = [
        _row("ingest_log", drop_date=d, checksum="x", files="f", n_companies=2)
        for d in pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    ]
    return {
        name: pd.DataFrame(rows[name], columns=list(schema)).astype(schema)
        for name, schema in INTERIM_TABLES.items()
    }


def partition_rows(facts: pd.DataFrame, probability: dict, risk_class: dict) -> pd.DataFrame:
    """A day's scores as alerts read them (columns `NEEDED`), from that day's facts."""
    frame = facts.loc[list(probability)].reset_index()
    frame["probability"] = frame["company_id"].map(probability)
    frame["risk_class"] = frame["company_id"].map(risk_class)
    return frame[list(NEEDED)]


def scores_frame(ids: list[str], probability: list[float], risk_class: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": pd.Series(ids, dtype="str"),
            "probability": probability,
            "risk_class": pd.Series(risk_class, dtype="str"),
            "recommendation": pd.Series(["approve"] * len(ids), dtype="str"),
            "tax_debt": 0.0,
            "board_size": np.ones(len(ids), dtype="int64"),
            "overdue_report_year": np.nan,
            **{
                c: pd.Series(["" if t == "str" else np.nan] * len(ids), dtype=t)
                for c, t in REGISTER_FACTS.items()
            },
        }
    )


# ------------------------------------------------------------------------------- the steps
def test_day_drops_are_those_dated_on_or_before_the_day(tmp_path):
    for day in ("2025-06-01", "2025-07-01", "2025-08-01"):
        (tmp_path / day).mkdir()
    (tmp_path / ".2025-09-01.tmp").mkdir()  # an unfinished write: never a drop
    assert day_drops(tmp_path, DAY) == [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    with pytest.raises(ScoringError, match="no drop dated on or before 2025-05-31"):
        day_drops(tmp_path, dt.date(2025, 5, 31))


def test_day_features_are_the_population_as_of_the_day(monkeypatch):
    features = day_features(history(), DAY, Params().features)
    assert features["company_id"].tolist() == [FULL, GAP]
    assert (features["snapshot_date"] == T(DAY)).all()
    assert "label" not in features.columns
    assert features.set_index("company_id").loc[FULL, "desc__age_years"] > 5

    def nobody(*args, **kwargs):
        return features.head(0)

    monkeypatch.setattr("company_risk.scoring.run.build_features", nobody)
    with pytest.raises(ScoringError, match="no active company on 2025-07-01"):
        day_features(history(), DAY, Params().features)


def test_previous_day_is_the_latest_partition_before_the_day(tmp_path):
    today = scores_frame([FULL, GAP], [0.2, 0.01], ["IV", "I"])
    before, previous = previous_day(tmp_path, DAY, today)
    assert before is None and previous.empty
    assert list(previous.columns) == list(NEEDED)
    assert previous.dtypes.to_dict() == today[list(NEEDED)].dtypes.to_dict()

    alerts = pd.DataFrame(columns=list(ALERT_COLUMNS))
    for day, p in ((dt.date(2025, 6, 27), 0.03), (EVE, 0.04)):
        frame = scores_frame([FULL, GAP], [p, 0.01], ["II", "I"])
        write_day(tmp_path, day, frame, alerts, {"date": day.isoformat()})
    before, previous = previous_day(tmp_path, DAY, today)
    assert before == EVE
    assert previous["probability"].tolist() == [0.04, 0.01]
    assert previous_day(tmp_path, EVE, today)[0] == dt.date(2025, 6, 27)


def test_write_day_replaces_the_partition_with_the_same_bytes(tmp_path):
    scores = scores_frame([GAP, FULL], [0.01, 0.2], ["I", "IV"])  # written sorted by company
    alerts = pd.DataFrame(columns=list(ALERT_COLUMNS))
    path = write_day(tmp_path, DAY, scores, alerts, {"date": DAY.isoformat(), "rows": 2})
    assert path == tmp_path / "date=2025-07-01"
    first = (path / SCORES_FILE).read_bytes()
    assert read_scores(tmp_path, DAY)["company_id"].tolist() == [FULL, GAP]
    assert json.loads((path / MANIFEST_FILE).read_text()) == {"date": "2025-07-01", "rows": 2}
    assert write_day(tmp_path, DAY, scores, alerts, {"date": DAY.isoformat()}) == path
    assert (path / SCORES_FILE).read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2025-07-01"]


def test_day_alerts_compare_with_the_previous_day_and_keep_the_watchlist():
    tables = history()
    eve, day = company_facts(tables, EVE, 6), company_facts(tables, DAY, 6)
    previous = partition_rows(eve, {FULL: 0.01, GAP: 0.30}, {FULL: "I", GAP: "V"})
    today = partition_rows(day, {FULL: 0.20, GAP: 0.30}, {FULL: "IV", GAP: "V"})
    alerts = day_alerts(tables, day, previous, today, EVE, DAY, CFG)
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    assert set(zip(alerts["company_id"], alerts["kind"], strict=True)) == {
        (FULL, "class_worse"),
        (FULL, "probability_jump"),
        (FULL, "board_added"),  # published in the drop of 1 July
        (FULL, "report_overdue"),  # its 2024 report from 1 July
        (GAP, "report_overdue"),  # the 2024 report too, after 2023's
    }
    mine = on_watchlist(alerts, frozenset({GAP}))
    assert mine["company_id"].tolist() == [GAP] and mine.index.tolist() == [0]
    # the first day: nothing to compare with, and no board change counted
    empty = previous.head(0)
    assert day_alerts(tables, day, empty, today, None, DAY, CFG).empty


def test_day_drift_watches_the_probability_and_the_strongest_features():
    rng = np.random.default_rng(0)
    n = 200
    reference = pd.DataFrame(
        {
            "snapshot_date": T("2024-07-01"),  # the same point of the year as DAY
            "desc__capital": rng.normal(2500, 100, n),
            "desc__revenue": rng.normal(1e5, 1e4, n),
            "probability": rng.uniform(0, 0.1, n),
        }
    )
    ids = [f"{10000000 + i}" for i in range(n)]
    features = pd.DataFrame(
        {
            "company_id": ids,
            "desc__capital": reference["desc__capital"].to_numpy(),  # unchanged
            "desc__revenue": reference["desc__revenue"].to_numpy() * 3,  # moved far
        }
    )
    scores = pd.DataFrame({"company_id": ids, "probability": reference["probability"]})
    contributions = pd.DataFrame(
        {"desc__capital": 0.1, "desc__revenue": rng.normal(0, 1, n)}, index=pd.Index(ids)
    )
    cfg = ScoringConfig(psi_top_features=1)
    drift = day_drift(reference, DAY, features, scores, contributions, cfg)
    assert drift["reference"].startswith("training snapshots of Q3")
    assert drift["reference_rows"] == n and drift["psi_warn"] == cfg.psi_warn
    columns = {row["column"]: row for row in drift["columns"]}
    assert list(columns) == ["probability", "desc__revenue"]  # the strongest driver only
    assert columns["probability"]["psi"] == pytest.approx(0.0)
    assert not columns["probability"]["warn"]
    assert columns["desc__revenue"]["warn"] and columns["desc__revenue"]["psi"] > cfg.psi_warn


def test_day_manifest_records_inputs_versions_counts_and_the_timings_so_far(tmp_path):
    ref = ModelRef(uri=str(tmp_path / "model"), name="company-risk", version="7", run_id="r7")
    job = ScoreJob(
        raw=tmp_path / "raw",
        interim=tmp_path / "interim",
        out=tmp_path / "out",
        model=LoadedModel(ref, pyfunc=None, estimator=None),
        params=Params(),
        phrases={},
        project=ProjectPaths(tmp_path),
        git_commit="abc123",
        watchlist=frozenset({FULL}),
    )
    scores = scores_frame([FULL, GAP], [0.2, 0.01], ["IV", "I"])
    alerts = pd.DataFrame(
        {c: [FULL] if c == "company_id" else ["class_worse"] for c in ALERT_COLUMNS}
    )
    timings = {"ingest": 0.5, "features": 1.25}
    used = [dt.date(2025, 6, 1), DAY]
    manifest = day_manifest(job, DAY, used, EVE, scores, alerts, None, timings)
    timings["write"] = 0.1
    assert list(manifest) == [
        "date",
        "engine",
        "drops_used",
        "latest_drop",
        "previous_partition",
        "model",
        "git_commit",
        "params_hash",
        "watchlist_size",
        "rows",
        "rows_per_class",
        "recommendations",
        "alerts",
        "alerts_per_kind",
        "score_alerts_held_back",
        "probability_quantiles",
        "drift",
        "timings_s",
    ]
    assert manifest["drops_used"] == ["2025-06-01", "2025-07-01"]
    assert manifest["latest_drop"] == "2025-07-01"
    assert manifest["previous_partition"] == "2025-06-30"
    assert manifest["model"]["version"] == "7" and manifest["git_commit"] == "abc123"
    assert manifest["watchlist_size"] == 1 and manifest["engine"] == "pandas"
    assert manifest["rows"] == 2 and manifest["rows_per_class"] == {
        "I": 1,
        "II": 0,
        "III": 0,
        "IV": 1,
        "V": 0,
    }
    assert manifest["alerts_per_kind"] == {"class_worse": 1} and manifest["drift"] is None
    assert manifest["timings_s"] == {"ingest": 0.5, "features": 1.25}  # a copy, as of the call
    first = day_manifest(job, EVE, used[:1], None, scores, alerts, None, {})
    assert first["previous_partition"] is None and first["latest_drop"] == "2025-06-01"


# ------------------------------------------------------------------- the one report deadline
def test_scoring_facts_use_the_features_due_year():
    assert scoring_facts.due_year is descriptive.due_year


@pytest.mark.parametrize("months", [2, 6, 9])
def test_the_reason_fact_and_the_feature_agree_on_both_sides_of_the_deadline(months):
    """With one `features.report_deadline_months`, the scoring step's features and the facts
    behind the reasons count the same reports as overdue, on the deadline and the day after."""
    params = params_from_dict({"features": {"report_deadline_months": months}})
    deadline = (T("2024-12-31") + pd.DateOffset(months=months)).date()  # the 2024 report's
    tables = history()
    texts = {
        deadline: {FULL: "", GAP: "annual report 2023 not filed"},
        deadline + dt.timedelta(days=1): {
            FULL: "annual report 2024 not filed",
            GAP: "annual report 2024 not filed (2 years missing)",
        },
    }
    for day, expected in texts.items():
        features = day_features(tables, day, params.features).set_index("company_id")
        facts = company_facts(tables, day, params.features.report_deadline_months)
        due = descriptive.due_year(T(day), months)
        assert due == (2023 if day == deadline else 2024)
        missing = features["desc__reports_missing"].astype("int64")
        assert missing.to_dict() == facts.loc[[FULL, GAP], "overdue_reports"].to_dict(), day
        overdue = facts.loc[[FULL, GAP], "overdue_report_year"]
        assert (overdue.dropna() == due).all()
        assert overdue.isna().to_dict() == (missing == 0).to_dict()
        assert fact_texts(facts).loc[[FULL, GAP], "report_fact"].to_dict() == expected, day
