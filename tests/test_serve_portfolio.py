"""POST /v1/portfolio: the same valuation as `company-risk portfolio --ledger`, over the API."""

import dataclasses
import datetime as dt

import pytest

from company_risk.config import load_params
from company_risk.portfolio.run import value_ledger, write_example
from company_risk.serve.app import PortfolioInputs


@pytest.fixture
def inputs(tiny_project):
    params = load_params(tiny_project / "params.yaml")
    return PortfolioInputs(tiny_project / "data" / "interim", params)


@pytest.fixture
def ledger(serve_setup, inputs, tmp_path):
    newest = sorted(p.name for p in serve_setup.scores.iterdir())[-1]
    day = dt.date.fromisoformat(newest.removeprefix("date="))
    path = write_example(serve_setup.scores, inputs.interim, day, tmp_path / "cli", inputs.params)
    return day, path


def test_the_api_values_a_ledger_as_the_command_does(serve_setup, inputs, ledger, tmp_path):
    day, path = ledger
    command = value_ledger(
        path, serve_setup.scores, inputs.interim, day, tmp_path / "out", inputs.params
    )
    expected = command.portfolio.to_dict()
    with serve_setup.running(portfolio=inputs) as api:
        answer = api.read.post(
            "/v1/portfolio", content=path.read_bytes(), headers={"Content-Type": "text/csv"}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["score_date"] == day.isoformat()
        assert body["model_version"]
        for key in ("totals", "by_class", "ageing", "over_limit", "collection_unlikely"):
            assert body[key] == expected[key], key
        assert body["unknown_customers"] == expected["unknown_customers"]
        assert body["totals"]["unknown_customers"] >= 1  # the sample bills unknown codes
        assert "invoices" not in body

        rows = api.read.post("/v1/portfolio?invoices=true", content=path.read_bytes()).json()
        assert len(rows["invoices"]) == expected["totals"]["invoices"]


def test_refusals_of_the_portfolio_route(serve_setup, inputs, ledger):
    _, path = ledger
    small = dataclasses.replace(serve_setup.cfg, max_ledger_bytes=1024)
    with serve_setup.running(portfolio=inputs, cfg=small) as api:
        assert api.anon.post("/v1/portfolio", content=b"registry_code\n").status_code == 401
        assert api.read.post("/v1/portfolio", content=path.read_bytes()).status_code == 413
        unusable = api.read.post("/v1/portfolio", content=b"no,such,columns\n1,2,3\n")
        assert unusable.status_code == 422
        assert "column" in unusable.json()["detail"]
        assert api.read.post("/v1/portfolio?invoice=1", content=b"x").status_code == 422


def test_without_portfolio_inputs_there_is_no_portfolio_route(api):
    assert api.read.post("/v1/portfolio", content=b"registry_code\n").status_code in (404, 405)
