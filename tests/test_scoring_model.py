"""The champion on hand-made features: resolving, signature checks, scores and reasons."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from builders import champion_meta, version_tags
from builders_example import example_features
from company_risk.config import ScoringConfig
from company_risk.schemas import feature_columns
from company_risk.scoring import ScoringError
from company_risk.scoring.facts import FACT_COLUMNS
from company_risk.scoring.model import check_signature, load_model, resolve_model
from company_risk.scoring.reasons import Phrase, fact_texts, format_value, top_reasons
from company_risk.scoring.run import score_population
from company_risk.train import candidates as cand
from company_risk.train.registry import export_champion

CFG = ScoringConfig()


@pytest.fixture(scope="module")
def data():
    table, _ = example_features(n_companies=250, seed=3)
    columns = feature_columns(table.columns, "all")
    train = table[table["snapshot_date"] <= pd.Timestamp("2021-12-31")]
    val = table[
        table["snapshot_date"].between(pd.Timestamp("2022-01-01"), pd.Timestamp("2023-12-31"))
    ]
    today = table[table["snapshot_date"] == table["snapshot_date"].max()].reset_index(drop=True)
    return train, val, today, columns


@pytest.fixture(scope="module")
def champion_dir(data, tmp_path_factory):
    train, val, _, columns = data
    settings = {**cand.DEFAULT_SETTINGS["xgboost"], "n_estimators": 30}
    fitted = cand.fit_pipeline("xgboost", settings, train, train["label"].to_numpy(), columns, 0, 1)
    model = cand.calibrate(fitted, val, val["label"].to_numpy(), "sigmoid")
    target = tmp_path_factory.mktemp("models") / "champion"
    example = val[columns].head(5)
    meta = champion_meta(columns, version="7", run_id="abc123", model="xgboost")
    signature = mlflow.models.infer_signature(example, model.predict_proba(example))
    export_champion(model, target, signature, example, [], meta)
    return target


PHRASES = {
    "graph__failed_board_links": Phrase(
        "companies that defaulted with a board member in common", "companies"
    ),
    "graph__degree": Phrase("board links"),
    "graph__board_changes_12m": Phrase("board changes in 12 months"),
    "graph__closeness": Phrase("network closeness"),
    "tax__debt": Phrase("tax debt", "EUR"),
    "tax__debt_age_days": Phrase("tax debt age", "days"),
    "tax__quarters_in_debt_3y": Phrase("quarters in tax debt in 3 years"),
    "tax__taxes_paid_4q": Phrase("taxes paid in 4 quarters", "EUR"),
    "desc__age_years": Phrase("age", "years"),
    "desc__capital": Phrase("share capital", "EUR"),
    "desc__equity_ratio": Phrase("equity ratio"),
    "desc__revenue": Phrase("revenue", "EUR"),
    "desc__report_late_days": Phrase("days late of the last annual report", "days"),
    "desc__legal_form": Phrase("legal form"),
    "desc__sector": Phrase("sector", "category"),
    "desc__county": Phrase("county"),
}


def _facts(ids) -> pd.DataFrame:
    facts = pd.DataFrame(index=pd.Index(ids, name="company_id"))
    facts["name"] = [f"Firma {c} OÜ" for c in ids]
    facts[["legal_form", "county", "ehak_code", "nace_code"]] = (
        "OÜ",
        "Harju maakond",
        "0784",
        "62.01",
    )
    facts["capital"] = 2500.0
    facts["vat_number"] = ""
    facts["status"] = "R"
    facts["tax_debt"] = 0.0
    facts["tax_debt_days"] = np.nan
    facts["board_size"] = 1
    facts["last_report_year"] = 2023.0
    facts["revenue"] = 240000.0
    facts["equity"] = 50000.0
    facts["overdue_report_year"] = np.nan
    facts["overdue_reports"] = 0
    return facts.astype(FACT_COLUMNS)


def test_directory_model_resolves_to_the_exported_version(champion_dir):
    ref = resolve_model(str(champion_dir), None)
    assert (ref.name, ref.version, ref.run_id) == ("company-risk", "7", "abc123")
    with pytest.raises(ScoringError, match="no MLmodel"):
        resolve_model(str(champion_dir.parent / "nowhere"), None)


def test_alias_resolves_to_a_version_once(champion_dir, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    tags = version_tags(["tax__debt"], train_until="2021-12-31").to_dict()
    version = mlflow.register_model(f"file://{champion_dir}", "company-risk", tags=tags)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.set_registered_model_alias("company-risk", "champion", version.version)
    ref = resolve_model("models:/company-risk@champion", uri)
    assert ref.uri == f"models:/company-risk/{version.version}"
    assert ref.version == str(version.version) and ref.train_until == "2021-12-31"
    with pytest.raises(ScoringError, match="cannot resolve"):
        resolve_model("models:/company-risk@nobody", uri)


def test_signature_mismatch_is_refused(champion_dir, data):
    model = load_model(resolve_model(str(champion_dir), None), None)
    _, _, today, _ = data
    with pytest.raises(ScoringError, match="tax__debt_age_days"):
        check_signature(model, today.drop(columns=["tax__debt_age_days"]))
    with pytest.raises(ScoringError, match="wrong kind.*desc__sector"):
        check_signature(model, today.assign(desc__sector=1.0))


def test_scores_classes_credit_and_reasons_for_every_company(champion_dir, data):
    model = load_model(resolve_model(str(champion_dir), None), None)
    _, _, today, _ = data
    facts = _facts(today["company_id"])
    scores, contributions = score_population(today, facts, model, PHRASES, CFG)
    assert len(scores) == len(today) and scores["company_id"].is_monotonic_increasing
    expected = model.estimator.predict_proba(today[model.input_columns])[:, 1]
    order = np.argsort(today["company_id"].to_numpy(), kind="stable")
    np.testing.assert_allclose(scores["probability"].to_numpy(), expected[order])
    assert set(scores["risk_class"]) <= {"I", "II", "III", "IV", "V"}
    assert (scores["reason_1"] != "").all()
    # a company whose top drivers include a tax-debt feature: with a debt in the register's
    # facts, that driver is worded with the facts, not with the feature's raw number
    debt_slots = scores[[f"reason_feature_{i}" for i in (1, 2, 3)]].apply(
        lambda col: col.str.startswith("tax__debt")
    )
    assert debt_slots.any(axis=None), "some company should have a tax-debt driver"
    at = debt_slots.any(axis=1).to_numpy().nonzero()[0][0]
    debtor = scores["company_id"].iloc[at]
    slot = int(np.argmax(debt_slots.iloc[at].to_numpy())) + 1
    facts.loc[debtor, ["tax_debt", "tax_debt_days"]] = [4210.0, 95.0]
    scores, contributions = score_population(today, facts, model, PHRASES, CFG)
    row = scores.set_index("company_id").loc[debtor]
    assert row[f"reason_{slot}"].startswith("tax debt 4,210 € for 95 days")
    assert (
        scores.loc[scores["company_id"] == debtor, "recommendation"].item() == "no recommendation"
    )
    # reasons are the largest contributions, in order of size
    top = contributions.loc[debtor].abs().sort_values(ascending=False)
    assert [row[f"reason_feature_{i}"] for i in (1, 2, 3)] == list(top.index[:3])


def test_reasons_word_values_and_directions():
    idx = pd.Index(["1", "2"], name="company_id")
    contributions = pd.DataFrame(
        {
            "graph__failed_board_links": [0.9, -0.1],
            "desc__report_late_days": [0.2, 0.8],
            "desc__sector": [0.0, -0.3],
        },
        index=idx,
    )
    values = pd.DataFrame(
        {
            "graph__failed_board_links": [3.0, 0.0],
            "desc__report_late_days": [400.0, np.nan],
            "desc__sector": ["F", "G"],
        },
        index=idx,
    )
    facts = _facts(["1", "2"])
    facts.loc["2", ["overdue_report_year", "overdue_reports"]] = [2024.0, 1]
    out = top_reasons(contributions, values, PHRASES, fact_texts(facts), k=3)
    assert (
        out.loc["1", "reason_1"]
        == "companies that defaulted with a board member in common: 3 companies (raises risk)"
    )
    assert out.loc["1", "reason_2"] == "days late of the last annual report: 400 days (raises risk)"
    assert out.loc["1", "reason_3"] == ""  # a zero contribution is no reason
    assert out.loc["2", "reason_1"] == "annual report 2024 not filed (raises risk)"
    assert out.loc["2", "reason_2"] == "sector: G (lowers risk)"
    with pytest.raises(ValueError, match="no catalogue phrase"):
        top_reasons(contributions, values, {}, fact_texts(facts), k=3)
    assert format_value(4210.4) == "4,210" and format_value(0.125) == "0.12"


def test_a_multithreaded_forest_scores_the_same_bytes_on_every_run(data, tmp_path):
    from company_risk.scoring.partition import write_scores_file

    train, val, today, columns = data
    settings = {**cand.DEFAULT_SETTINGS["random_forest"], "n_estimators": 80, "max_samples": 0.8}
    fitted = cand.fit_pipeline(
        "random_forest", settings, train, train["label"].to_numpy(), columns, 0, 2
    )
    model = cand.calibrate(fitted, val, val["label"].to_numpy(), "sigmoid")
    example = val[columns].head(5)
    signature = mlflow.models.infer_signature(example, model.predict_proba(example))
    target = tmp_path / "forest"
    export_champion(
        model,
        target,
        signature,
        example,
        [],
        champion_meta(list(example), version="8", run_id="rf"),
    )
    loaded = load_model(resolve_model(str(target), None), None)
    facts = _facts(today["company_id"])
    written = set()
    for run in range(3):
        scores, _ = score_population(today, facts, loaded, PHRASES, CFG)
        write_scores_file(scores, tmp_path / f"scores{run}.parquet")
        written.add((tmp_path / f"scores{run}.parquet").read_bytes())
    assert len(written) == 1


def test_reasons_leave_out_dimensionless_units_of_the_catalogue():
    """The catalogue's own phrases: a score and a log ratio read without their unit, while a
    unit worth printing stays (features.registry.DIMENSIONLESS is the one list of the silent)."""
    from company_risk.features.registry import DIMENSIONLESS
    from company_risk.scoring.run import catalogue_phrases

    names = ["graph__pagerank", "tax__turnover_trend", "desc__age_years"]
    phrases = catalogue_phrases(names)
    assert [phrases[n].unit for n in names] == ["score", "log ratio", "years"]
    assert {"score", "log ratio"} <= DIMENSIONLESS
    idx = pd.Index(["1"], name="company_id")
    contributions = pd.DataFrame({n: [0.3 - 0.1 * i] for i, n in enumerate(names)}, index=idx)
    values = pd.DataFrame(
        {"graph__pagerank": [1.35], "tax__turnover_trend": [-0.42], "desc__age_years": [7.0]},
        index=idx,
    )
    out = top_reasons(contributions, values, phrases, fact_texts(_facts(["1"])), k=3)
    assert out.loc["1", "reason_1"] == "network PageRank: 1.35 (raises risk)"
    assert out.loc["1", "reason_2"] == "turnover trend: -0.42 (raises risk)"
    assert out.loc["1", "reason_3"] == "company age: 7 years (raises risk)"


# ------------------------------------------------------------------------- term structure
TERM = {
    "base_months": 12,
    "rows": 400,
    "horizons": [
        {"months": 3, "intercept": -1.3, "slope": 1.1},
        {"months": 6, "intercept": -0.6, "slope": 1.05},
        {"months": 9, "intercept": -0.2, "slope": 1.0},
    ],
}


def _with_term_structure(champion_dir, target, term):
    """A copy of the exported champion whose champion.json carries `term`."""
    import json
    import shutil

    shutil.copytree(champion_dir, target)
    meta = json.loads((target / "champion.json").read_text())
    meta["term_structure"] = term
    (target / "champion.json").write_text(json.dumps(meta))
    return target


def test_a_champion_with_a_term_structure_scores_pd_3m_6m_9m_after_probability(
    champion_dir, data, tmp_path
):
    from company_risk.term_structure import TermStructure

    _, _, today, _ = data
    facts = _facts(today["company_id"])
    target = _with_term_structure(champion_dir, tmp_path / "champion", TERM)
    model = load_model(resolve_model(str(target), None), None)
    assert model.ref.term_structure == TermStructure.from_dict(TERM)
    assert model.ref.describe()["term_structure"] == TERM  # the manifest records it
    scores, _ = score_population(today, facts, model, PHRASES, CFG)
    assert list(scores.columns[:6]) == [
        "company_id",
        "probability",
        "pd_3m",
        "pd_6m",
        "pd_9m",
        "risk_class",
    ]
    p = scores["probability"].to_numpy()
    expected = TermStructure.from_dict(TERM).apply(p)
    for h in (3, 6, 9):
        np.testing.assert_allclose(scores[f"pd_{h}m"].to_numpy(), expected[h])
    assert (scores["pd_3m"] <= scores["pd_6m"]).all() and (scores["pd_6m"] <= scores["pd_9m"]).all()
    assert (scores["pd_9m"] <= scores["probability"]).all() and (scores["pd_3m"] > 0).all()
    # probability and risk_class stay the 12-month ones: the same as without a term structure
    plain, _ = score_population(
        today, facts, load_model(resolve_model(str(champion_dir), None), None), PHRASES, CFG
    )
    assert not [c for c in plain.columns if c.startswith("pd_")]
    pd.testing.assert_frame_equal(scores.drop(columns=["pd_3m", "pd_6m", "pd_9m"]), plain)


def test_a_registered_version_carries_its_term_structure_as_a_tag(champion_dir, tmp_path):
    import json

    from company_risk.term_structure import TAG, TermStructure

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    tags = {**version_tags(["tax__debt"]).to_dict(), TAG: json.dumps(TERM)}
    version = mlflow.register_model(f"file://{champion_dir}", "company-risk", tags=tags)
    ref = resolve_model(f"models:/company-risk/{version.version}", uri)
    assert ref.term_structure == TermStructure.from_dict(TERM)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.set_model_version_tag("company-risk", version.version, TAG, '{"horizons": []}')
    with pytest.raises(ScoringError, match=r"tag term_structure: no `base_months`"):
        resolve_model(f"models:/company-risk/{version.version}", uri)


def test_a_malformed_term_structure_in_champion_json_is_refused(champion_dir, tmp_path):
    bad = {**TERM, "horizons": [{"months": 12, "intercept": 0.0, "slope": 1.0}]}
    target = _with_term_structure(champion_dir, tmp_path / "champion", bad)
    with pytest.raises(ScoringError, match="champion.json: term_structure: .*not shorter"):
        resolve_model(str(target), None)
