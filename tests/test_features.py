"""Features: the interim tables, population, labels, snapshot dates, the assembled table and
its unhappy paths. `Tables`, the builder of tiny interim tables, lives in builders.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from builders import FEATURES_CFG as CFG
from builders import Tables, monthly
from company_risk.config import ConfigError, FeaturesConfig, GraphConfig
from company_risk.features import FeatureError
from company_risk.features.build import build_features, training_snapshot_dates
from company_risk.features.catalogue import FEATURES, by_name, catalogue_markdown
from company_risk.features.labels import default_known_on, horizon_labels, labels
from company_risk.features.population import population
from company_risk.features.tables import load_interim
from company_risk.schemas import CATEGORICAL_FEATURES, FEATURE_FAMILIES, INTERIM_TABLES, family_of

T = pd.Timestamp


# ------------------------------------------------------------------------------ tables
def test_load_interim_reads_and_checks_every_table(tmp_path):
    tables = Tables().company("10000001").build()
    for name, df in tables.items():
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    loaded = load_interim(tmp_path)
    assert set(loaded) == set(INTERIM_TABLES)
    assert list(loaded["companies"].columns) == list(INTERIM_TABLES["companies"])
    assert str(loaded["companies"]["valid_from"].dtype) == "datetime64[us]"


def test_load_interim_names_a_missing_table(tmp_path):
    tables = Tables().company("10000001").build()
    for name, df in tables.items():
        if name != "tax_payments":
            df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    with pytest.raises(FeatureError, match=r"tax_payments.*tax_payments\.parquet"):
        load_interim(tmp_path)


def test_a_missing_column_is_named():
    tables = Tables().company("10000001").build()
    tables["board_roles"] = tables["board_roles"].drop(columns="published_on")
    with pytest.raises(FeatureError, match="board_roles: missing column.*published_on"):
        build_features(tables, [dt.date(2020, 1, 1)], CFG, with_label=False)


def test_a_column_of_the_wrong_type_is_named():
    tables = Tables().company("10000001").build()
    tables["tax_debts"] = tables["tax_debts"].assign(
        debt=pd.Series(["a lot"], dtype="str").reindex(tables["tax_debts"].index)
    )
    tables["companies"] = tables["companies"].assign(capital="much")
    with pytest.raises(FeatureError, match="companies: column capital"):
        build_features(tables, [dt.date(2020, 1, 1)], CFG, with_label=False)


# -------------------------------------------------------------------------- population
def test_population_uses_only_status_facts_published_by_t():
    w = (
        Tables()
        .company("10000001")
        .company("10000002")
        .company("10000003", registered="2019-06-10")
    )
    # liquidation dated before t but published after it: still R at t
    w.status("10000001", "L", "2019-12-20", published_on="2020-02-01")
    w.status("10000002", "N", "2019-11-05")  # published 2019-12-01
    tables = w.build()

    def scored(t: str) -> list[str]:
        return list(population(tables["status_history"], tables["companies"], T(t)))

    assert scored("2020-01-01") == ["10000001", "10000003"]
    assert scored("2020-02-01") == ["10000003"]
    # registered 2019-06-10, first published 2019-07-01
    assert scored("2019-06-20") == ["10000001", "10000002"]


@pytest.mark.parametrize(
    ("code", "text", "scored"),
    [
        ("OÜ", "Osaühing", True),
        ("FIL", "Välismaa äriühingu filiaal", True),
        ("FIE", "Füüsilisest isikust ettevõtja", False),  # a natural person: never scored
        ("MTÜ", "Mittetulundusühing", False),
        ("SA", "Sihtasutus", False),
        ("", "Aktsiaselts", True),  # no code in the general data: the basic data's text
        ("", "Füüsilisest isikust ettevõtja", False),
    ],
)
def test_population_holds_business_companies_only(code, text, scored):
    tables = Tables().company("10000001", legal_form=text, legal_form_code=code).build()
    got = population(tables["status_history"], tables["companies"], T("2020-01-01"))
    assert list(got) == (["10000001"] if scored else [])


# ------------------------------------------------------------------------------ labels
def test_label_is_one_only_for_a_default_in_the_next_twelve_months():
    w = Tables()
    for i in range(1, 6):
        w.company(f"1000000{i}")
    w.default("10000002", "2021-01-01")  # exactly t + 12 months: inside
    w.default("10000003", "2020-01-01", kind="deleted")  # on t: not in (t, t + 12m]
    w.default("10000004", "2021-01-02")  # a day too late
    w.default("10000005", "2020-06-15", kind="deleted")
    tables = w.build()
    index = pd.Index([f"1000000{i}" for i in range(1, 6)])
    got = labels(tables["defaults"], index, T("2020-01-01"), 12)
    assert got.dtype == "int8"
    assert got.tolist() == [0, 1, 0, 0, 1]


def test_each_horizon_labels_a_default_in_its_own_window_and_they_are_cumulative():
    w = Tables()
    days = {
        "10000001": None,  # never defaults
        "10000002": "2020-04-01",  # exactly t + 3 months: inside every horizon
        "10000003": "2020-04-02",  # a day past 3 months: 6, 9 and 12
        "10000004": "2020-10-01",  # exactly t + 9 months
        "10000005": "2020-12-15",  # 12 months only
        "10000006": "2020-01-01",  # on t: in none
        "10000007": "2021-01-02",  # past 12 months: in none
    }
    for cid, day in days.items():
        w.company(cid)
        if day:
            w.default(cid, day, kind="deleted" if cid == "10000006" else "bankrupt")
    tables = w.build()
    index = pd.Index(list(days))
    got = horizon_labels(tables["defaults"], index, T("2020-01-01"), (3, 6, 9, 12))
    assert list(got.columns) == ["label_3m", "label_6m", "label_9m", "label"]
    assert (got.dtypes == "int8").all()
    assert got.to_dict("list") == {
        "label_3m": [0, 1, 0, 0, 0, 0, 0],
        "label_6m": [0, 1, 1, 0, 0, 0, 0],
        "label_9m": [0, 1, 1, 1, 0, 0, 0],
        "label": [0, 1, 1, 1, 1, 0, 0],
    }
    # the 12-month column is the label of `labels` itself
    assert got["label"].tolist() == labels(tables["defaults"], index, T("2020-01-01"), 12).tolist()


def test_the_table_carries_the_configured_horizons():
    w = Tables(monthly("2015-01-01", "2021-06-01")).company("10000001").company("10000002")
    w.default("10000002", "2020-01-20")
    cfg = FeaturesConfig(horizons_months=(1, 12))
    out = build_features(w.build(), [dt.date(2020, 1, 1)], cfg).set_index("company_id")
    assert [c for c in out.columns if c.startswith("label")] == ["label_1m", "label"]
    assert out["label_1m"].to_dict() == {"10000001": 0, "10000002": 1}
    default = build_features(w.build(), [dt.date(2019, 7, 1)], CFG).set_index("company_id")
    # 2019-07-01 + 6 months < 2020-01-20 <= + 9 months
    assert default.loc["10000002", ["label_3m", "label_6m", "label_9m", "label"]].tolist() == [
        0,
        0,
        1,
        1,
    ]


def test_a_default_is_known_when_its_status_is_published():
    w = Tables().company("10000001").company("10000002")
    w.default("10000001", "2019-03-10", published_on="2019-05-01")
    w.default("10000002", "2019-03-10", kind="deleted")  # published 2019-04-01
    known = default_known_on(w.build()["defaults"], w.build()["status_history"])
    assert known.to_dict() == {"10000001": T("2019-05-01"), "10000002": T("2019-04-01")}


# ------------------------------------------------------------------------ snapshot dates
def test_training_snapshots_are_quarterly_until_the_last_known_outcome():
    tables = Tables(monthly("2015-01-01", "2025-10-01")).build()
    dates = training_snapshot_dates(tables, CFG)
    assert dates[0] == dt.date(2016, 1, 1)
    assert dates[-1] == dt.date(2024, 10, 1)  # 2025-10-01 - 12 months
    assert all(d.day == 1 and d.month in (1, 4, 7, 10) for d in dates)
    assert len(dates) == 36


def test_training_snapshots_start_at_the_first_drop_and_follow_snapshot_every():
    tables = Tables(monthly("2017-02-01", "2019-03-01")).build()
    monthly_cfg = FeaturesConfig(first_snapshot=dt.date(2016, 1, 1), snapshot_every="monthly")
    dates = training_snapshot_dates(tables, monthly_cfg)
    assert dates[0] == dt.date(2017, 2, 1) and dates[-1] == dt.date(2018, 3, 1)
    yearly = training_snapshot_dates(tables, FeaturesConfig(snapshot_every="yearly"))
    assert yearly == [dt.date(2018, 1, 1)]
    with pytest.raises(ConfigError, match="features.snapshot_every: 'weekly'"):
        FeaturesConfig(snapshot_every="weekly")  # refused with the config, before any snapshot


def test_too_short_a_history_has_no_training_snapshot():
    tables = Tables(monthly("2016-01-01", "2016-10-01")).build()
    with pytest.raises(FeatureError, match="no quarterly snapshot date"):
        training_snapshot_dates(tables, CFG)


# -------------------------------------------------------------------------- the table
def small_world() -> Tables:
    w = Tables(monthly("2015-01-01", "2022-06-01"))
    w.company("10000001", vat="EE100000001").company("10000002", sector="F", county="Tartu maakond")
    w.company("10000003")
    w.role("10000001", "p1", "2014-01-01").role("10000002", "p1", "2016-05-03")
    w.role("10000003", "p2", "2015-03-01")
    w.default("10000003", "2018-08-01")
    w.debt("10000002", "2018-01-01", 800.0)
    w.report("10000001", 2016, "2017-05-10", revenue=1000.0, equity=50.0, assets=100.0)
    w.payment("10000001", 2016, 4, turnover=500.0, labour_taxes=100.0)
    return w


def test_build_features_columns_dtypes_and_labels():
    tables = small_world().build()
    dates = [dt.date(2017, 1, 1), dt.date(2018, 1, 1), dt.date(2019, 1, 1)]
    out = build_features(tables, dates, CFG)
    names = [f.name for f in FEATURES]
    assert list(out.columns) == [
        "company_id",
        "snapshot_date",
        *names,
        "label_3m",
        "label_6m",
        "label_9m",
        "label",
    ]
    assert [family_of(c) for c in names] == sorted(
        [family_of(c) for c in names], key=list(FEATURE_FAMILIES).index
    )
    assert str(out["snapshot_date"].dtype) == "datetime64[us]"
    assert all(str(out[c].dtype) == "int8" for c in ("label_3m", "label_6m", "label_9m", "label"))
    for name in names:
        expected = "str" if name in CATEGORICAL_FEATURES else "float64"
        assert str(out[name].dtype) == expected, name
    by_date = out.groupby("snapshot_date")["company_id"].apply(list).to_dict()
    assert by_date[T("2018-01-01")] == ["10000001", "10000002", "10000003"]
    assert by_date[T("2019-01-01")] == ["10000001", "10000002"]  # 10000003 bankrupt
    row = out.set_index(["snapshot_date", "company_id"])
    assert row.loc[(T("2018-01-01"), "10000003"), "label"] == 1
    assert row.loc[(T("2017-01-01"), "10000003"), "label"] == 0
    assert row.loc[(T("2018-01-01"), "10000002"), "desc__sector"] == "F"
    assert row.loc[(T("2018-01-01"), "10000002"), "tax__debt"] == 800.0
    assert row.loc[(T("2018-01-01"), "10000001"), "graph__degree"] == 1.0


def test_scoring_mode_has_no_label_and_takes_any_day():
    out = build_features(small_world().build(), [dt.date(2022, 5, 17)], CFG, with_label=False)
    assert not [c for c in out.columns if c.startswith("label")]
    assert out["snapshot_date"].unique().tolist() == [T("2022-05-17")]
    assert out["company_id"].tolist() == ["10000001", "10000002"]


def test_a_date_before_the_first_drop_is_an_error():
    with pytest.raises(FeatureError, match="2014-12-31 is before the first ingested drop"):
        build_features(small_world().build(), [dt.date(2014, 12, 31)], CFG, with_label=False)


def test_a_label_whose_outcome_is_not_yet_known_is_an_error():
    with pytest.raises(FeatureError, match="outcome window ends after the last drop"):
        build_features(small_world().build(), [dt.date(2021, 7, 1)], CFG)


def test_an_empty_population_is_an_error():
    w = Tables(monthly("2015-01-01", "2017-01-01")).company("10000001")
    w.status("10000001", "L", "2015-06-01")
    with pytest.raises(FeatureError, match="no company has status R on 2016-01-01"):
        build_features(w.build(), [dt.date(2016, 1, 1)], CFG, with_label=False)


def test_no_ingested_drop_is_an_error():
    tables = small_world().build()
    tables["ingest_log"] = tables["ingest_log"].iloc[0:0]
    with pytest.raises(FeatureError, match="no drop"):
        build_features(tables, [dt.date(2016, 1, 1)], CFG, with_label=False)


# --------------------------------------------------------------------------- catalogue
def test_catalogue_lists_every_feature_the_build_produces():
    out = build_features(small_world().build(), [dt.date(2018, 1, 1)], CFG)
    text = catalogue_markdown()
    produced = [c for c in out.columns if "__" in c]
    assert produced == [f.name for f in FEATURES]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [line.split("`")[1] for line in rows] == produced
    assert "| `tax__debt` | tax | " in text and "| EUR |" in text
    assert by_name()["tax__debt"].phrase == "tax debt"
    assert by_name()["graph__linked_defaulted_share"].phrase_unit == ""
    assert all(f.phrase and f.meaning and f.unit for f in FEATURES)


def test_a_clock_feature_must_be_measured_in_time():
    from company_risk.features.registry import define

    (age,) = define(
        "descriptive", [("age_years", "years since", "years", "age")], clocks=("age_years",)
    )
    assert age.clock
    with pytest.raises(ValueError, match="clock feature 'desc__capital' needs a unit of time"):
        define("descriptive", [("capital", "share capital", "EUR", "capital")], clocks=("capital",))


def test_graph_config_changes_reach_the_graph_family():
    tables = small_world().build()
    off = FeaturesConfig(graph=GraphConfig(closeness=False))
    out = build_features(tables, [dt.date(2018, 1, 1)], off, with_label=False)
    assert out["graph__closeness"].isna().all()
    on = build_features(tables, [dt.date(2018, 1, 1)], CFG, with_label=False)
    assert on["graph__closeness"].notna().all()
