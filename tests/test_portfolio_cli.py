"""`company-risk portfolio` on the tiny project's two scored days: the sample ledger of
`--example`, a ledger of one's own with `--ledger`, and the files it refuses."""

import logging
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from company_risk.artifacts import read_scores
from company_risk.cli import app
from company_risk.portfolio.figures import BUCKETS, UNKNOWN
from company_risk.schemas import RISK_CLASSES

RATES = "portfolio: {eur_rates: {USD: 0.92, GBP: 1.17}, top_exposures: 5}\n"
HEADER = "registry_code,invoice,amount,currency,issue_date,due_date,paid\n"


@pytest.fixture(scope="module")
def shop(tiny_project, tmp_path_factory):
    """The tiny project's params (with exchange rates), history tables and scored days, in a
    folder of its own: the portfolio writes there, never into the shared project."""
    root = tmp_path_factory.mktemp("shop")
    params = (tiny_project / "params.yaml").read_text(encoding="utf-8")
    (root / "params.yaml").write_text(params + RATES, encoding="utf-8")
    for folder in ("data/scores", "data/interim"):
        shutil.copytree(tiny_project / folder, root / folder)
    return root


def portfolio(root, *args):
    return CliRunner().invoke(
        app, ["--project-dir", str(root), "portfolio", *args], env={"MLFLOW_TRACKING_URI": ""}
    )


@pytest.fixture(scope="module")
def example(shop):
    result = portfolio(shop, "--example")
    assert result.exit_code == 0, result.output
    return result


def test_example_writes_a_sample_ledger_and_its_portfolio(shop, example):
    out = shop / "reports" / "portfolio"
    assert sorted(p.name for p in out.iterdir()) == [
        "bad_rows.csv",
        "example_ledger.csv",
        "portfolio.csv",
        "portfolio.html",
        "portfolio.parquet",
    ]
    assert example.output.splitlines()[-1].startswith("2025-10-03: ")  # the newest scored day
    raw = (out / "example_ledger.csv").read_bytes()
    assert raw.startswith("\ufeffRegistrikood;Arve nr;Summa;Valuuta;Arve kuupäev;".encode())
    text = raw.decode("utf-8-sig")
    ledger = pd.read_csv(out / "example_ledger.csv", sep=";", dtype="str", encoding="utf-8-sig")
    assert ledger["Summa"].str.contains(",").all()  # decimal comma
    assert ledger["Summa"].str.contains(" ").any()  # thousands grouped by a space
    assert ledger["Maksetähtaeg"].str.fullmatch(r"\d{2}\.\d{2}\.\d{4}").all()
    assert "." not in text.split("\n")[1].split(";")[2]

    invoices = pd.read_parquet(out / "portfolio.parquet")
    assert len(invoices) == len(ledger) and pd.read_csv(out / "bad_rows.csv").empty
    for klass in RISK_CLASSES:  # some invoices in every ageing bucket of every class
        assert invoices.loc[invoices["risk_class"] == klass, "ageing"].nunique() == 5, klass
    scored = read_scores(shop / "data" / "scores", pd.Timestamp("2025-10-03").date())
    by_code = scored.set_index("company_id")
    row = invoices.loc[invoices["risk_class"].isin(RISK_CLASSES)].iloc[0]
    assert row["risk_class"] == by_code.at[row["registry_code"], "risk_class"]
    assert row["probability"] == by_code.at[row["registry_code"], "probability"]
    customers = invoices.groupby("registry_code")["risk_class"].first()
    assert (customers == UNKNOWN).sum() == 2
    left = customers[~customers.isin([*RISK_CLASSES, UNKNOWN])]
    assert len(left) == 1 and left.iloc[0] in BUCKETS  # the customer that left the register
    assert invoices.loc[invoices["registry_code"] == left.index[0], "collection_unlikely"].all()
    assert (invoices["paid"] > 0).any() and (invoices["paid"] < invoices["amount"]).all()
    assert set(invoices["currency"]) == {"EUR", "USD", "GBP"}
    assert invoices["over_limit"].any() and invoices["expected_loss_term"].notna().any()

    page = (out / "portfolio.html").read_text(encoding="utf-8")
    assert "https://" not in page and "http://" not in page and "<script" not in page


def test_example_is_the_same_every_time(shop, example, tmp_path):
    result = portfolio(shop, "--example", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    again = (tmp_path / "example_ledger.csv").read_bytes()
    assert again == (shop / "reports" / "portfolio" / "example_ledger.csv").read_bytes()


def test_no_person_is_named_in_the_outputs(shop, example, personal_data):
    out = shop / "reports" / "portfolio"
    for name in ("portfolio.csv", "portfolio.html", "example_ledger.csv"):
        text = (out / name).read_text(encoding="utf-8-sig")
        assert not [p for p in personal_data if p in text], name


def test_a_ledger_of_ones_own_on_a_chosen_day(shop, tmp_path, caplog):
    day = pd.Timestamp("2025-10-02").date()
    scores = read_scores(shop / "data" / "scores", day)
    first, second = scores["company_id"].iloc[0], scores["company_id"].iloc[1]
    path = tmp_path / "arved.csv"
    path.write_text(
        HEADER
        + f"{first},1,1000,EUR,2025-09-01,2025-09-20,\n"
        + f"{second},2,12x,EUR,2025-09-01,2025-10-20,\n"
        + f"{second},3,250.5,USD,2025-09-01,2025-10-20,50\n"
        + "99999999,4,80,EUR,2025-09-01,2025-10-20,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="company_risk.portfolio"):
        result = portfolio(shop, "--ledger", str(path), "--date", "2025-10-02", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"{path}, line 3, amount: not an amount" in caplog.text
    assert result.output.splitlines()[-1].startswith("2025-10-02: 3 open invoice(s) of 3 customer")
    invoices = pd.read_csv(out / "portfolio.csv", dtype={"registry_code": "str"})
    assert invoices["registry_code"].tolist() == [first, second, "99999999"]
    assert invoices["risk_class"].tolist()[:2] == scores["risk_class"].iloc[:2].tolist()
    assert invoices["ageing"].tolist() == ["1-30", "not due", "not due"]
    assert invoices["open_eur"].tolist() == [1000.0, round(200.5 * 0.92, 2), 80.0]
    assert invoices["unknown_customer"].tolist() == [False, False, True]
    bad = pd.read_csv(out / "bad_rows.csv")
    assert bad[["line", "field", "value"]].values.tolist() == [[3, "amount", "12x"]]
    assert not (shop / "reports" / "portfolio" / "arved.csv").exists()


@pytest.mark.parametrize(
    ("ledger", "message"),
    [
        (
            "registry_code,invoice,amount,currency,issue_date\n10000001,1,5,EUR,2025-09-01\n",
            "no column for due_date",
        ),
        (
            HEADER + "10000001,1,5,EUR,2025-09-01,2025-10-01,\n",
            "none of its 1 rows can be used; the first faults: {path}, line 2, registry_code",
        ),
    ],
    ids=["a required column missing", "no row usable"],
)
def test_a_file_it_cannot_use_stops_with_exit_2_naming_it(shop, tmp_path, ledger, message):
    # 10000001 is not a code in the tiny world, but a valid one: make the row bad by its code
    path = tmp_path / "bad.csv"
    path.write_text(ledger.replace("10000001,1,5", "1000000,1,5"), encoding="utf-8")
    out = tmp_path / "out"
    result = portfolio(shop, "--ledger", str(path), "--out", str(out))
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {path}")
    assert message.format(path=path) in result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --ledger FILE or --example"),
        (["--example", "--ledger", "x.csv"], "give --ledger FILE or --example"),
        (["--example", "--date", "2025-10-05"], "2025-10-05 is not a scored day"),
        (["--example", "--date", "2025-13-01"], "--date: '2025-13-01' is not a date"),
    ],
    ids=["neither", "both", "a day not scored", "not a date"],
)
def test_options_it_refuses(shop, tmp_path, args, message):
    result = portfolio(shop, *args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and message in result.output
