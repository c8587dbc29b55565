"""Every alert kind on a hand-made two-day history (interim tables and partitions made by hand,
not a simulated world), the previous partition written before the compared columns existed, and
the score alerts held back on the first day of a new model version."""

from __future__ import annotations

import datetime as dt
import json
import logging

import numpy as np
import pandas as pd
import pytest

from company_risk.config import Params, ProjectPaths, ScoringConfig
from company_risk.schemas import INTERIM_TABLES
from company_risk.scoring.alerts import (
    ALERT_COLUMNS,
    KIND_MEANINGS,
    KINDS,
    NEEDED,
    build_alerts,
    hold_back_reason,
    hold_back_score_alerts,
    published_events,
)
from company_risk.scoring.facts import board_changes, company_facts
from company_risk.scoring.model import LoadedModel, ModelRef
from company_risk.scoring.run import (
    ScoreJob,
    day_alert_set,
    day_alerts,
    day_manifest,
    previous_day,
    write_day,
)
from company_risk.watchlists import SCORE_KINDS

T = pd.Timestamp
CFG = ScoringConfig()
DAY1, DAY2 = dt.date(2025, 10, 2), dt.date(2025, 10, 3)
DEADLINE = 6
PEOPLE = ("p-old", "p-new", "p-gone", "p-liq", "p-pankr")


def _row(table: str, **values: object) -> dict:
    """One row of an interim table: the schema's columns, text "" and flags False unless given."""
    blank = {"str": "", "bool": False, "int64": 0, "float64": np.nan}
    return {
        c: values.get(c, blank.get(dtype, pd.NaT)) for c, dtype in INTERIM_TABLES[table].items()
    }


def _tables(rows: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    return {
        name: pd.DataFrame(rows.get(name, []), columns=list(schema)).astype(schema)
        for name, schema in INTERIM_TABLES.items()
    }


# one company per event; what changes on day 2 (the drop of 3 October)
NAME, ADDRESS, FORM, CAPITAL, VAT_ON, VAT_OFF, ACTIVITY = (f"1000000{i}" for i in range(1, 8))
LIQUIDATED, BANKRUPT, REPORTED, RULED = "10000008", "10000009", "10000010", "10000011"
CLEARED, NEW_DEBT, GROWN, WORSE, BETTER = "10000012", "10000013", "10000014", "10000015", "10000016"
JOINED, LEFT, OVERDUE, QUIET = "10000017", "10000018", "10000019", "10000020"
IDS = [f"100000{i:02d}" for i in range(1, 21)]
DESCRIPTION = {
    "name": "Firma OÜ",
    "legal_form": "Osaühing",
    "legal_form_code": "OÜ",
    "vat_number": "",
    "ehak_code": "0784",
    "county": "Harju maakond",
    "nace_code": "62.01",
    "emtak_code": "62011",
    "emtak_version": 2,
    "sector": "J",
    "capital": 2500.0,
}
CHANGED = {
    NAME: {"name": "Firma Uus OÜ"},
    ADDRESS: {"ehak_code": "0793", "county": "Tartu maakond"},
    FORM: {"legal_form": "Aktsiaselts", "legal_form_code": "AS", "capital": 25000.0},
    CAPITAL: {"capital": 5000.0},
    VAT_ON: {"vat_number": "EE100000005"},
    VAT_OFF: {"vat_number": ""},
    ACTIVITY: {"nace_code": "62.10", "emtak_code": "62101"},
}


def history() -> dict[str, pd.DataFrame]:
    """Twenty private limited companies registered in 2019, each with one board member and its
    2024 report filed in May 2025; what changes for each on day 2 is its name above."""
    rows: dict[str, list[dict]] = {name: [] for name in INTERIM_TABLES}
    first = T("2020-01-01")
    for cid in IDS:
        description = {**DESCRIPTION, "vat_number": "EE100000006" if cid == VAT_OFF else ""}
        base = _row(
            "companies",
            company_id=cid,
            valid_from=first,
            first_registered=T("2019-05-01"),
            **description,
        )
        if cid in CHANGED:
            rows["companies"] += [
                {**base, "valid_to": T(DAY2)},
                {**base, "valid_from": T(DAY2), **CHANGED[cid]},
            ]
        else:
            rows["companies"].append(base)
        rows["status_history"].append(
            _row(
                "status_history",
                company_id=cid,
                status="R",
                valid_from=T("2019-05-01"),
                valid_to=T(DAY2) if cid in (LIQUIDATED, BANKRUPT) else pd.NaT,
                published_on=first,
            )
        )
        rows["board_roles"].append(
            _row(
                "board_roles",
                company_id=cid,
                person_id=f"p-old-{cid}",
                person_type="natural",
                role="JUHL",
                start_date=T("2019-05-01"),
                end_date=T(DAY2) if cid == LEFT else pd.NaT,
                published_on=first,
            )
        )
        if cid != OVERDUE:
            rows["annual_reports"].append(
                _row(
                    "annual_reports",
                    report_id=f"{cid}-2024",
                    company_id=cid,
                    fiscal_year=2024,
                    period_start=T("2024-01-01"),
                    period_end=T("2024-12-31"),
                    submitted_on=T("2025-05-01"),
                    published_on=T("2025-05-15"),
                    revenue=100000.0,
                    equity=20000.0,
                )
            )
    for cid, status, role, person in (
        (LIQUIDATED, "L", "LIKV", "p-liq"),
        (BANKRUPT, "N", "PANKR", "p-pankr"),
    ):
        rows["status_history"].append(
            _row(
                "status_history",
                company_id=cid,
                status=status,
                valid_from=T(DAY2),
                published_on=T(DAY2),
            )
        )
        rows["board_roles"].append(
            _row(
                "board_roles",
                company_id=cid,
                person_id=person,
                person_type="natural",
                role=role,
                start_date=T("2025-10-01"),
                published_on=T(DAY2),
            )
        )
    rows["board_roles"].append(
        _row(
            "board_roles",
            company_id=JOINED,
            person_id="p-new",
            person_type="natural",
            role="JUHL",
            start_date=T("2025-09-30"),
            published_on=T(DAY2),
        )
    )
    # the 2023 report of REPORTED, filed late: published in the drop of day 2
    rows["annual_reports"].append(
        _row(
            "annual_reports",
            report_id=f"{REPORTED}-2023",
            company_id=REPORTED,
            fiscal_year=2023,
            period_start=T("2023-01-01"),
            period_end=T("2023-12-31"),
            submitted_on=T("2025-10-01"),
            published_on=T(DAY2),
        )
    )
    # a report of QUIET submitted on day 2 but dated after it in the drop: not visible yet
    rows["annual_reports"].append(
        _row(
            "annual_reports",
            report_id=f"{QUIET}-2025",
            company_id=QUIET,
            fiscal_year=2025,
            submitted_on=T("2025-10-04"),
            published_on=T(DAY2),
        )
    )
    rows["rulings"] += [
        # collected since the first drop: this one is old news
        _row(
            "rulings",
            company_id=QUIET,
            ruling_no="1",
            ruling_date=T("2019-12-01"),
            kind="Hoiatusmäärus",
            published_on=first,
        ),
        _row(
            "rulings",
            company_id=RULED,
            ruling_no="2025-77",
            ruling_date=T("2025-10-01"),
            kind="Hoiatusmäärus",
            state="Jõustunud",
            deadline=T("2025-11-01"),
            published_on=T(DAY2),
        ),
    ]
    for day, debts in (
        (DAY1, {CLEARED: 1000.0, GROWN: 1000.0}),
        (DAY2, {NEW_DEBT: 4210.0, GROWN: 2500.0}),
    ):
        rows["tax_debt_lists"].append(_row("tax_debt_lists", as_of=T(day), n_debtors=len(debts)))
        rows["tax_debts"] += [
            _row("tax_debts", company_id=c, as_of=T(day), debt=v, oldest_due=T("2025-07-01"))
            for c, v in debts.items()
        ]
    return _tables(rows)


PROBABILITY1 = {c: 0.02 for c in IDS} | {WORSE: 0.03, BETTER: 0.30}
PROBABILITY2 = {c: 0.02 for c in IDS} | {WORSE: 0.15, BETTER: 0.05}
CLASS1 = {c: "I" for c in IDS} | {WORSE: "II", BETTER: "IV"}
CLASS2 = {c: "I" for c in IDS} | {WORSE: "IV", BETTER: "II"}


def partition(facts: pd.DataFrame, probability: dict, risk_class: dict) -> pd.DataFrame:
    """A day's scores as alerts read them (columns `NEEDED`), for the companies in `probability`."""
    frame = facts.loc[list(probability)].reset_index()
    frame["probability"] = frame["company_id"].map(probability)
    frame["risk_class"] = frame["company_id"].map(risk_class)
    return frame[list(NEEDED)]


def two_days() -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tables = history()
    eve, day = company_facts(tables, DAY1, DEADLINE), company_facts(tables, DAY2, DEADLINE)
    eve.loc[OVERDUE, "overdue_report_year"] = np.nan  # as if 2024 fell due on day 2
    previous = partition(eve, PROBABILITY1, CLASS1)
    scored = [c for c in IDS if c not in (LIQUIDATED, BANKRUPT)]  # they left the population
    today = partition(day, {c: PROBABILITY2[c] for c in scored}, CLASS2)
    return tables, day, previous, today


def alerts_of_two_days(**kwargs) -> pd.DataFrame:
    tables, day, previous, today = two_days()
    return build_alerts(
        previous,
        today,
        day,
        board_changes(tables, DAY1, DAY2),
        DAY2,
        CFG,
        published_events(tables, DAY1, DAY2),
    )


def by_kind(alerts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {k: rows for k, rows in alerts.groupby("kind")}


# ---------------------------------------------------------------------------- every kind
EXPECTED = {
    (WORSE, "class_worse"),
    (WORSE, "probability_jump"),
    (BETTER, "class_better"),
    (BETTER, "probability_jump"),
    (LIQUIDATED, "status_change"),
    (LIQUIDATED, "liquidator_appointed"),
    (BANKRUPT, "status_change"),
    (BANKRUPT, "trustee_appointed"),
    (RULED, "ruling_published"),
    (NEW_DEBT, "tax_debt_new"),
    (GROWN, "tax_debt_grown"),
    (CLEARED, "tax_debt_cleared"),
    (OVERDUE, "report_overdue"),
    (REPORTED, "report_submitted"),
    (JOINED, "board_added"),
    (LEFT, "board_removed"),
    (NAME, "name_changed"),
    (ADDRESS, "address_changed"),
    (FORM, "legal_form_changed"),
    (FORM, "capital_changed"),
    (CAPITAL, "capital_changed"),
    (VAT_ON, "vat_added"),
    (VAT_OFF, "vat_removed"),
    (ACTIVITY, "activity_changed"),
}


def test_every_kind_is_raised_once_where_it_happened_and_nowhere_else():
    alerts = alerts_of_two_days()
    assert list(alerts.columns) == list(ALERT_COLUMNS)
    assert set(alerts["kind"]) == set(KINDS)  # the history exercises every kind
    got = list(zip(alerts["company_id"], alerts["kind"], strict=True))
    assert sorted(got) == sorted(EXPECTED)  # and each once
    assert QUIET not in set(alerts["company_id"])
    assert (alerts["date"] == "2025-10-03").all()
    assert set(KIND_MEANINGS) == set(KINDS)


def test_the_sentences_and_values_of_the_register_events():
    row = alerts_of_two_days().set_index(["company_id", "kind"])

    def said(company, kind):
        return row.loc[(company, kind), ["before", "after", "detail"]].tolist()

    assert said(NAME, "name_changed") == [
        "Firma OÜ",
        "Firma Uus OÜ",
        "name changed from Firma OÜ to Firma Uus OÜ",
    ]
    assert said(ADDRESS, "address_changed") == [
        "Harju maakond (EHAK 0784)",
        "Tartu maakond (EHAK 0793)",
        "address moved from Harju maakond (EHAK 0784) to Tartu maakond (EHAK 0793)",
    ]
    assert said(FORM, "legal_form_changed") == ["OÜ", "AS", "legal form changed from OÜ to AS"]
    assert said(CAPITAL, "capital_changed") == [
        "2,500",
        "5,000",
        "share capital changed from 2,500 to 5,000",
    ]
    assert said(VAT_ON, "vat_added") == ["", "EE100000005", "registered for VAT (EE100000005)"]
    assert said(VAT_OFF, "vat_removed") == ["EE100000006", "", "VAT registration EE100000006 ended"]
    assert said(ACTIVITY, "activity_changed") == [
        "62.01",
        "62.10",
        "main activity changed from NACE 62.01 to NACE 62.10",
    ]
    assert said(LIQUIDATED, "status_change") == ["R", "L", "status registered -> in liquidation"]
    assert said(BANKRUPT, "status_change")[1] == "N"
    assert said(LIQUIDATED, "liquidator_appointed") == [
        "",
        "2025-10-01",
        "liquidator appointed (from 2025-10-01)",
    ]
    assert said(BANKRUPT, "trustee_appointed")[2] == "trustee appointed (from 2025-10-01)"
    assert said(REPORTED, "report_submitted") == [
        "",
        "2023",
        "annual report 2023 submitted on 2025-10-01",
    ]
    assert said(RULED, "ruling_published") == [
        "",
        "Hoiatusmäärus",
        "registrar's ruling 2025-77 of 2025-10-01: Hoiatusmäärus, Jõustunud, deadline 2025-11-01",
    ]
    assert said(CLEARED, "tax_debt_cleared") == ["1,000", "0", "tax debt of 1,000 € cleared"]
    assert said(NEW_DEBT, "tax_debt_new")[2] == "new tax debt 4,210 €"
    assert said(JOINED, "board_added") == ["1", "2", "board member added (board of 2)"]
    assert said(LEFT, "board_removed") == ["1", "0", "board member removed (board of 0)"]
    assert said(OVERDUE, "report_overdue")[2] == "annual report 2024 not filed"


def test_every_alert_carries_the_days_probability_as_text():
    alerts = alerts_of_two_days()
    probability = dict(zip(alerts["company_id"], alerts["probability"], strict=False))
    assert probability[WORSE] == "0.15" and float(probability[NAME]) == 0.02
    # not scored on day 2: left the population
    assert probability[LIQUIDATED] == "" and probability[BANKRUPT] == ""
    # the text reads back to the very float (a rule at 0.15 must not flip on rounding)
    p = 0.1 + 0.05000000000000001
    tables, day, previous, today = two_days()
    today.loc[today["company_id"] == WORSE, "probability"] = p
    alerts = build_alerts(previous, today, day, board_changes(tables, DAY1, DAY2), DAY2, CFG)
    assert float(alerts.loc[alerts["company_id"] == WORSE, "probability"].iloc[0]) == p


def test_no_person_is_named_in_any_alert():
    alerts = alerts_of_two_days()
    text = " ".join(alerts.to_numpy().ravel())
    assert not any(person in text for person in PEOPLE)


def test_only_what_was_published_by_the_day_counts():
    """Day 1 against itself: nothing; a fact published after day 2 never shows on day 2."""
    tables = history()
    eve = company_facts(tables, DAY1, DEADLINE)
    previous = partition(eve, PROBABILITY1, CLASS1)
    same = build_alerts(
        previous,
        previous,
        eve,
        board_changes(tables, DAY1, DAY1),
        DAY1,
        CFG,
        published_events(tables, DAY1, DAY1),
    )
    assert same.empty and list(same.columns) == list(ALERT_COLUMNS)
    later = history()
    late = pd.DataFrame(
        [
            _row(
                "rulings",
                company_id=QUIET,
                ruling_no="9",
                ruling_date=T(DAY2),
                published_on=T("2025-10-04"),
            )
        ]
    ).astype(INTERIM_TABLES["rulings"])
    later["rulings"] = pd.concat([later["rulings"], late], ignore_index=True)
    events = published_events(later, DAY1, DAY2)
    assert QUIET not in set(events["company_id"])


def test_a_table_first_collected_in_the_window_raises_no_alert(caplog):
    """Rulings added to the drops for the first time bring their whole past at once: no
    flood of old rulings (one log line), but the next day's new rulings are news."""
    tables = history()
    rulings = tables["rulings"]
    tables["rulings"] = rulings.loc[rulings["published_on"] == T(DAY2)]
    with caplog.at_level(logging.INFO, logger="company_risk.score"):
        events = published_events(tables, DAY1, DAY2)
    assert "ruling_published" not in set(events["kind"])
    assert "rulings first collected after 2025-10-02" in caplog.text
    news = _row(
        "rulings",
        company_id=QUIET,
        ruling_no="2",
        ruling_date=T(DAY2),
        published_on=T("2025-10-04"),
    )
    tables["rulings"] = pd.concat(
        [tables["rulings"], pd.DataFrame([news]).astype(INTERIM_TABLES["rulings"])]
    )
    later = published_events(tables, DAY2, dt.date(2025, 10, 4))
    assert later.loc[later["kind"] == "ruling_published", "company_id"].tolist() == [QUIET]


def test_a_gap_in_the_register_is_no_change():
    """A name or activity the register did not give on one of the days (""), or a capital not
    given, raises nothing: only a value that changed into another."""
    tables, day, previous, today = two_days()
    previous.loc[previous["company_id"] == NAME, "name"] = ""
    previous.loc[previous["company_id"] == CAPITAL, "capital"] = np.nan
    day.loc[ACTIVITY, "nace_code"] = ""
    alerts = build_alerts(previous, today, day, board_changes(tables, DAY1, DAY2), DAY2, CFG)
    got = set(zip(alerts["company_id"], alerts["kind"], strict=True))
    assert (NAME, "name_changed") not in got
    assert (CAPITAL, "capital_changed") not in got
    assert (ACTIVITY, "activity_changed") not in got


# -------------------------------------------------------------------- the old partition
def _scores(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(recommendation="approve")


def test_a_partition_written_before_the_new_columns_skips_only_what_it_cannot_compare(
    tmp_path, caplog
):
    tables, day, previous, today = two_days()
    old = ["company_id", "probability", "risk_class", "tax_debt", "board_size"]
    old += ["overdue_report_year"]  # the columns a partition had before the register's
    write_day(tmp_path, DAY1, _scores(previous[old]), pd.DataFrame(), {"date": str(DAY1)})
    before, read = previous_day(tmp_path, DAY2, _scores(today))
    assert before == DAY1 and sorted(read.columns) == sorted(old)
    with caplog.at_level(logging.WARNING, logger="company_risk.score"):
        alerts = day_alerts(tables, day, read, _scores(today), before, DAY2, CFG)
    lines = [r.getMessage() for r in caplog.records if "not compared" in r.getMessage()]
    assert len(lines) == 1
    assert "capital, county, ehak_code" in lines[0] and "name_changed" in lines[0]
    register = {
        "name_changed",
        "address_changed",
        "legal_form_changed",
        "capital_changed",
        "vat_added",
        "vat_removed",
        "activity_changed",
    }
    expected = {(c, k) for c, k in EXPECTED if k not in register}
    assert set(zip(alerts["company_id"], alerts["kind"], strict=True)) == expected


def test_a_partition_without_even_the_scores_columns_still_gives_the_register_events(caplog):
    tables, day, previous, today = two_days()
    with caplog.at_level(logging.WARNING, logger="company_risk.score"):
        alerts = build_alerts(
            previous[["company_id", "name"]],
            today,
            day,
            board_changes(tables, DAY1, DAY2),
            DAY2,
            CFG,
            published_events(tables, DAY1, DAY2),
        )
    kinds = set(alerts["kind"])
    assert {"name_changed", "status_change", "ruling_published", "trustee_appointed"} <= kinds
    assert not kinds & {"class_worse", "probability_jump", "tax_debt_new", "board_added"}
    assert sum("not compared" in r.getMessage() for r in caplog.records) == 1


# ---------------------------------------------------------------- the model switch
def _job(tmp_path, version: str, name: str = "company-risk") -> ScoreJob:
    ref = ModelRef(uri=str(tmp_path / "model"), name=name, version=version, run_id=f"r{version}")
    return ScoreJob(
        raw=tmp_path / "raw",
        interim=tmp_path / "interim",
        out=tmp_path / "out",
        model=LoadedModel(ref, pyfunc=None, estimator=None),
        params=Params(),
        phrases={},
        project=ProjectPaths(tmp_path),
    )


def _yesterday(tmp_path, previous: pd.DataFrame, version: str | None) -> None:
    manifest = {"date": str(DAY1)}
    if version is not None:
        manifest["model"] = {"name": "company-risk", "version": version, "run_id": "r"}
    write_day(tmp_path / "out", DAY1, _scores(previous), pd.DataFrame(), manifest)


def test_score_alerts_are_held_back_on_the_first_day_of_a_new_model_version(tmp_path):
    tables, day, previous, today = two_days()
    _yesterday(tmp_path, previous, "3")
    job = _job(tmp_path, "4")
    before, read = previous_day(job.out, DAY2, _scores(today))
    result = day_alert_set(job, tables, day, read, _scores(today), before, DAY2)
    assert result.held_back_reason == "first day scored with model version 4 (previous day: 3)"
    assert sorted(result.held_back["kind"]) == sorted(k for _, k in EXPECTED if k in SCORE_KINDS)
    assert not set(result.sent["kind"]) & set(SCORE_KINDS)
    assert {k for _, k in EXPECTED if k not in SCORE_KINDS} == set(result.sent["kind"])
    held = {"reason": result.held_back_reason, "count": len(result.held_back)}
    manifest = day_manifest(job, DAY2, [DAY2], before, _scores(today), result.sent, None, {}, held)
    assert manifest["score_alerts_held_back"] == {
        "reason": "first day scored with model version 4 (previous day: 3)",
        "count": 4,
    }
    assert manifest["alerts"] == len(result.sent)
    assert "class_worse" not in manifest["alerts_per_kind"]
    # the companies the digests name: the register's name, and today's class when scored
    assert result.companies.loc[NEW_DEBT].tolist() == ["Firma OÜ", "I"]
    assert result.companies.loc[NAME].tolist() == ["Firma Uus OÜ", "I"]
    assert result.companies.loc[LIQUIDATED].tolist() == ["Firma OÜ", ""]


@pytest.mark.parametrize("version", ["4", None])
def test_the_same_model_or_an_unknown_one_holds_nothing_back(tmp_path, version):
    tables, day, previous, today = two_days()
    _yesterday(tmp_path, previous, version)  # None: a manifest that names no model
    job = _job(tmp_path, "4")
    before, read = previous_day(job.out, DAY2, _scores(today))
    result = day_alert_set(job, tables, day, read, _scores(today), before, DAY2)
    assert result.held_back_reason is None and result.held_back.empty
    assert {"class_worse", "class_better", "probability_jump"} <= set(result.sent["kind"])
    manifest = day_manifest(job, DAY2, [DAY2], before, _scores(today), result.sent, None, {})
    assert manifest["score_alerts_held_back"] is None
    json.dumps(manifest)


def test_hold_back_reason_names_both_versions_and_a_renamed_model():
    model = {"name": "company-risk", "version": "4"}
    assert hold_back_reason(None, model) is None
    assert hold_back_reason({"name": "company-risk", "version": 4}, model) is None  # 4 == "4"
    assert hold_back_reason({"name": "other", "version": "4"}, model) == (
        "first day scored with model company-risk version 4 (previous day: other version 4)"
    )
    alerts = alerts_of_two_days()
    sent, held = hold_back_score_alerts(alerts, None)
    assert len(sent) == len(alerts) and held.empty
