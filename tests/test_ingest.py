"""Ingest recovers the world's truth from the drops, incrementally, idempotently, privately."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import tiny_world
from company_risk import formats as F
from company_risk.cli import app
from company_risk.config import IngestConfig
from company_risk.ingest import ingest_drops
from company_risk.ingest.store import load_tables
from company_risk.schemas import INTERIM_TABLES
from company_risk.synth.drops import write_drops

CFG = IngestConfig()


@pytest.fixture(scope="module")
def world():
    return tiny_world()


@pytest.fixture(scope="module")
def raw(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("raw")
    write_drops(world, out)
    return out


@pytest.fixture(scope="module")
def tables(raw, tmp_path_factory):
    interim = tmp_path_factory.mktemp("interim")
    result = ingest_drops(raw, interim, CFG)
    assert len(result.applied) == 23 and result.skipped == []
    return load_tables(interim)


def first_drop_on_or_after(world, day) -> pd.Timestamp:
    return min(d for d in world.drop_dates if d >= day)


def listed_drops(world, role) -> list[pd.Timestamp]:
    """The drops whose persons file lists a board tenure (current, company on the register)."""
    events = world.status_events[world.status_events["company_id"] == role.company_id]
    out = []
    for d in sorted(world.drop_dates):
        past = events[events["start_date"] <= d].sort_values("start_date")
        alive = len(past) and past["status"].iloc[-1] != "K"
        if alive and role.start_date <= d and (pd.isna(role.end_date) or d < role.end_date):
            out.append(d)
    return out


def test_every_table_matches_the_schema(tables):
    assert set(tables) == set(INTERIM_TABLES)
    for name, df in tables.items():
        assert {c: str(t) for c, t in df.dtypes.items()} == INTERIM_TABLES[name], name


def test_board_intervals_recovered_up_to_drop_granularity(world, tables):
    got = tables["board_roles"].set_index(["company_id", "person_id", "role"])
    assert len(got) == len(world.board_roles)
    all_drops = sorted(world.drop_dates)
    for role in world.board_roles.itertuples():
        row = got.loc[(role.company_id, role.person_id, role.role)]
        listed = listed_drops(world, role)
        assert row["start_date"] == role.start_date
        assert row["published_on"] == listed[0]
        after = [d for d in all_drops if d > listed[-1]]
        expected_end = after[0] if after else pd.NaT
        assert (pd.isna(row["end_date"]) and pd.isna(expected_end)) or row[
            "end_date"
        ] == expected_end
    # the board change at Alfa: P1 gone from the first drop after 2019-11-20
    assert got["end_date"].notna().sum() == 6


def test_default_dates_and_kinds(world, tables):
    defaults = tables["defaults"].set_index("company_id")
    truth = world.truth_exits[world.truth_exits["default"]].set_index("company_id")
    assert sorted(defaults.index) == sorted(truth.index)  # the liquidation is no default
    for company, exit_ in truth.iterrows():
        got = defaults.loc[company]
        assert got["kind"] == exit_["kind"]
        if exit_["kind"] == "bankrupt":  # the status history dates bankruptcy exactly
            assert got["default_date"] == exit_["exit_date"]
        else:  # a deletion is seen as the first drop without the company
            assert got["default_date"] == first_drop_on_or_after(world, exit_["exit_date"])


def test_status_history(tables):
    s = tables["status_history"]
    delta = s[s["company_id"] == "10000004"].reset_index(drop=True)
    assert delta["status"].tolist() == ["R", "L", "K"]
    assert delta["valid_from"].tolist() == [
        pd.Timestamp(x) for x in ("2016-06-01", "2020-02-10", "2020-09-01")
    ]
    assert delta["valid_to"].tolist()[:2] == [
        pd.Timestamp("2020-02-10"),
        pd.Timestamp("2020-09-01"),
    ]
    assert delta["published_on"].tolist() == [
        pd.Timestamp(x) for x in ("2019-07-01", "2020-03-01", "2020-09-01")
    ]
    assert pd.isna(delta["valid_to"].iloc[2])


def test_debts_recovered_exactly(world, tables):
    got = tables["tax_debts"].reset_index(drop=True)
    want = world.tax_debts.sort_values(["as_of", "company_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[list(got.columns)], check_dtype=False)
    lists = tables["tax_debt_lists"]
    assert len(lists) == len(world.drop_dates)
    assert lists.set_index("as_of")["n_debtors"].loc[pd.Timestamp("2020-03-01")] == 3


def test_companies_scd2(tables):
    c = tables["companies"]
    alfa = c[c["company_id"] == "10000001"]
    assert alfa["vat_number"].tolist() == ["", "EE100000011"]  # VAT registration: a new version
    assert alfa["valid_to"].iloc[0] == alfa["valid_from"].iloc[1] == pd.Timestamp("2020-03-01")
    gamma = c[c["company_id"] == "10000003"].iloc[0]
    assert gamma["valid_to"] == pd.Timestamp("2020-10-01")  # gone from the register
    assert (gamma["name"], gamma["county"], gamma["sector"]) == (
        'Gamma "Kaubandus"; AS',
        "Ida-Viru maakond",
        "G",
    )
    zeta = c[c["company_id"] == "10000006"].iloc[0]
    assert zeta["valid_from"] == pd.Timestamp("2021-02-01") and np.isnan(zeta["capital"])


def test_reports_and_tax_payments(world, tables):
    reports = tables["annual_reports"].set_index("report_id")
    for r in world.annual_reports.itertuples():
        got = reports.loc[r.report_id]
        assert got["published_on"] == first_drop_on_or_after(world, r.submitted_on)
        assert (got["company_id"], got["fiscal_year"], got["submitted_on"]) == (
            r.company_id,
            r.fiscal_year,
            r.submitted_on,
        )
        for col in ("revenue", "net_profit", "non_current_liabilities", "employees"):
            a, b = got[col], getattr(r, col)
            assert (np.isnan(a) and np.isnan(b)) or a == b
    pay = tables["tax_payments"]
    want = world.tax_payments.sort_values(["company_id", "year", "quarter"]).reset_index(drop=True)
    periods = [F.quarter_period(y, q) for y, q in zip(want["year"], want["quarter"], strict=True)]
    want = want.assign(
        published_on=[first_drop_on_or_after(world, d) for d in want["published_on"]],
        period_start=pd.to_datetime([a for a, _ in periods]).astype("datetime64[us]"),
        period_end=pd.to_datetime([b for _, b in periods]).astype("datetime64[us]"),
    )
    pd.testing.assert_frame_equal(pay, want[list(pay.columns)], check_dtype=False)


def test_incremental_equals_batch_and_reingest_changes_nothing(raw, tables, tmp_path):
    interim = tmp_path / "interim"
    first = ingest_drops(raw, interim, CFG, until=dt.date(2019, 12, 31))
    assert first.applied[-1] == dt.date(2019, 12, 1)
    second = ingest_drops(raw, interim, CFG, until=dt.date(2020, 9, 1))
    assert second.skipped == first.applied and second.applied[0] == dt.date(2020, 1, 1)
    third = ingest_drops(raw, interim, CFG)
    assert len(third.applied) + len(third.skipped) == 23
    incremental = load_tables(interim)
    for name in INTERIM_TABLES:
        pd.testing.assert_frame_equal(incremental[name], tables[name], obj=name)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in interim.iterdir()}
    again = ingest_drops(raw, interim, CFG)
    assert again.applied == [] and len(again.skipped) == 23
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in interim.iterdir()} == before


def test_no_person_name_or_code_leaves_ingest(world, tables):
    secrets = (
        set(world.persons["first_name"])
        | set(world.persons["last_name"])
        | set(world.persons["personal_code"])
    )
    for name, df in tables.items():
        for column in df.columns:
            if df[column].dtype == "str":
                for value in df[column].dropna().unique():
                    hits = [s for s in secrets if s in value]
                    assert not hits, f"{name}.{column} holds {hits}"
    assert set(tables["board_roles"]["person_id"]) <= set(world.persons["person_id"])


def test_cli_ingest(raw, tmp_path):
    (tmp_path / "params.yaml").write_text("ingest:\n  max_rejected_share: 0.001\n")
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "--project-dir",
            str(tmp_path),
            "ingest",
            "--raw",
            str(raw),
            "--out",
            str(tmp_path / "i"),
            "--until",
            "2019-09-01",
        ],
    )
    assert result.exit_code == 0, result.output
    log = pd.read_parquet(tmp_path / "i" / "ingest_log.parquet")
    assert log["drop_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-07-01",
        "2019-08-01",
        "2019-09-01",
    ]
    missing = runner.invoke(
        app,
        [
            "--project-dir",
            str(tmp_path),
            "ingest",
            "--raw",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "i"),
        ],
    )
    assert missing.exit_code != 0 and "raw drop folder not found" in missing.output


def test_cumulative_report_files_are_read_only_for_years_with_new_reports(tables):
    """A republication repeats every earlier report: an elements file whose fiscal year brings
    no new report is listed as superseded, not read again, and nothing is lost by it (the
    reports and their figures above match the world)."""
    files = tables["ingest_files"]
    elements = files[files["family"] == "reports_elements"]
    superseded = elements[elements["status"] == "superseded"]
    assert len(superseded) > 0 and (elements["status"] == "read").any()
    assert set(superseded["note"]) == {"every report of its year is in the history"}
    general = files[files["family"] == "reports_general"]
    assert set(general["status"]) == {"read"}


def test_an_applied_drop_is_rechecked_by_its_fingerprint_and_read_again_only_when_it_differs(
    tmp_path, monkeypatch
):
    """A rerun does not read the bytes of applied drops whose names, sizes and times are
    as recorded; a history written before fingerprints is checked in full once and then
    fingerprinted; a changed drop is still refused."""
    import company_risk.ingest.pipeline as pipeline
    from company_risk.ingest import IngestError

    world = tiny_world()
    world.drop_dates = world.drop_dates[:3]
    write_drops(world, tmp_path / "raw")
    interim = tmp_path / "interim"
    ingest_drops(tmp_path / "raw", interim, IngestConfig())
    log = pd.read_parquet(interim / "ingest_log.parquet")
    assert (log["fingerprint"].str.len() == 64).all()

    def no_byte_read(folder):
        raise AssertionError(f"{folder} read again")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "drop_checksum", no_byte_read)
        assert len(ingest_drops(tmp_path / "raw", interim, IngestConfig()).skipped) == 3

    # a history from before fingerprints: checked in full once, fingerprinted, then not again
    log.drop(columns=["fingerprint"]).to_parquet(interim / "ingest_log.parquet", index=False)
    ingest_drops(tmp_path / "raw", interim, IngestConfig())
    assert (
        pd.read_parquet(interim / "ingest_log.parquet")["fingerprint"] == log["fingerprint"]
    ).all()
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "drop_checksum", no_byte_read)
        ingest_drops(tmp_path / "raw", interim, IngestConfig())

    # a changed file changes the fingerprint, and the checksum then tells the change
    first = sorted((tmp_path / "raw").iterdir())[0]
    victim = next(p for p in first.iterdir() if p.suffix == ".csv")
    victim.write_bytes(victim.read_bytes() + b"\n")
    with pytest.raises(IngestError, match="already applied, but its files have changed"):
        ingest_drops(tmp_path / "raw", interim, IngestConfig())


def test_a_drop_changed_while_it_is_read_is_refused_on_the_next_run(tmp_path, monkeypatch):
    """The fingerprint and the checksum are both taken before the bytes are read: a file that
    changes during the read is refused next time, not recorded as the bytes applied."""
    import company_risk.ingest.snapshot as snapshot
    from company_risk.ingest import IngestError

    world = tiny_world()
    world.drop_dates = world.drop_dates[:1]
    write_drops(world, tmp_path / "raw")
    (folder,) = (tmp_path / "raw").iterdir()
    victim = next(p for p in folder.iterdir() if p.suffix == ".csv")
    real = snapshot.emta.read_tax_debtors

    def read_then_change(*args, **kwargs):
        out = real(*args, **kwargs)
        victim.write_bytes(victim.read_bytes() + b"\n")  # the file changes mid-read
        return out

    monkeypatch.setattr(snapshot.emta, "read_tax_debtors", read_then_change)
    ingest_drops(tmp_path / "raw", tmp_path / "interim", IngestConfig())
    monkeypatch.undo()
    with pytest.raises(IngestError, match="already applied, but its files have changed"):
        ingest_drops(tmp_path / "raw", tmp_path / "interim", IngestConfig())
