"""Digests: one watchlist's day as JSON and as an email-ready page, built from hand-made alerts;
their atomic writing; and `company-risk daily` writing one per watchlist (store and file)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from company_risk.cli import app
from company_risk.scoring import ScoringError
from company_risk.scoring import partition as part
from company_risk.scoring.alerts import ALERT_COLUMNS, KINDS, AlertDay
from company_risk.scoring.daily import day_watchlists, write_digests
from company_risk.scoring.digests import build_digest, digest_html, digest_json
from company_risk.scoring.run import DayResult
from company_risk.store import Store
from company_risk.watchlists import make_watchlist

DAY = dt.date(2025, 10, 3)
MODEL = {"name": "company-risk", "version": "4", "run_id": "r4"}
A, B, C, D = "10000001", "10000002", "10000003", "10000004"
NOW = dt.datetime(2025, 10, 3, 6, 30, tzinfo=dt.UTC)


def alert(company, kind, before, after, detail, p) -> dict:
    return dict(
        zip(ALERT_COLUMNS, (company, DAY.isoformat(), kind, before, after, detail, p), strict=True)
    )


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(ALERT_COLUMNS)).astype("str")


SENT = frame(
    alert(B, "tax_debt_new", "0", "4,210", "new tax debt 4,210 €", "0.12"),
    alert(
        A,
        "name_changed",
        "Firma OÜ",
        "Firma Uus OÜ",
        "name changed from Firma OÜ to Firma Uus OÜ",
        "0.02",
    ),
    alert(B, "class_worse", "II", "IV", "risk class II -> IV (worse)", "0.12"),
    alert(C, "status_change", "R", "N", "status registered -> bankrupt", ""),
    alert(D, "vat_added", "", "EE1", "registered for VAT (EE1)", "0.01"),  # not watched
)
HELD = frame(alert(A, "probability_jump", "0.0100", "0.0200", "probability ...", "0.02"))
COMPANIES = pd.DataFrame(
    {
        "name": ["Firma Uus OÜ", "Kala & <Liha> AS", "Pankrot OÜ", "Muu OÜ"],
        "risk_class": ["I", "IV", "", "I"],
    },
    index=pd.Index([A, B, C, D], name="company_id"),
)


def day(held_back: bool = False, sent: pd.DataFrame = SENT) -> AlertDay:
    reason = "first day scored with model version 4 (previous day: 3)" if held_back else None
    return AlertDay(sent, HELD if held_back else HELD.head(0), reason, COMPANIES)


def artifacts_days(out) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def watch(name="customers", codes=(A, B, C), **kwargs):
    return make_watchlist(name, codes, KINDS, **kwargs)


# --------------------------------------------------------------------------------- content
def test_the_digest_groups_the_watchlists_alerts_by_company():
    digest = build_digest(watch(), DAY, MODEL, day())
    data = json.loads(digest_json(digest))
    assert list(data) == [
        "watchlist",
        "date",
        "model_name",
        "model_version",
        "companies_watched",
        "alerts",
        "alerts_per_kind",
        "score_alerts_held_back",
        "companies",
    ]
    assert data["watchlist"] == "customers" and data["date"] == "2025-10-03"
    assert (data["model_name"], data["model_version"]) == ("company-risk", "4")
    assert data["companies_watched"] == 3 and data["alerts"] == 4
    # counts in the kinds' order, only the kinds that occurred
    assert data["alerts_per_kind"] == {
        "class_worse": 1,
        "status_change": 1,
        "tax_debt_new": 1,
        "name_changed": 1,
    }
    assert data["score_alerts_held_back"] is None
    assert [c["company_id"] for c in data["companies"]] == [A, B, C]  # D is not watched
    b = data["companies"][1]
    assert b["name"] == "Kala & <Liha> AS" and b["risk_class"] == "IV"
    assert b["probability"] == pytest.approx(0.12)
    assert [a["kind"] for a in b["alerts"]] == ["class_worse", "tax_debt_new"]  # kinds' order
    assert b["alerts"][0] == {
        "kind": "class_worse",
        "before": "II",
        "after": "IV",
        "detail": "risk class II -> IV (worse)",
    }
    c = data["companies"][2]  # bankrupt: not scored today
    assert c["risk_class"] == "" and c["probability"] is None


def test_the_watchlists_kinds_and_rules_decide_what_it_gets():
    digest = build_digest(watch(kinds=("class_worse", "status_change")), DAY, MODEL, day())
    assert digest.alerts_per_kind == {"class_worse": 1, "status_change": 1}
    strict = build_digest(watch(rules={"min_class_drop": 3}), DAY, MODEL, day())
    assert "class_worse" not in strict.alerts_per_kind  # II -> IV is two classes
    assert strict.alerts == 3  # the register's events all pass


def test_held_back_score_alerts_are_noted_with_this_watchlists_count():
    digest = build_digest(watch(), DAY, MODEL, day(held_back=True))
    assert digest.to_dict()["score_alerts_held_back"] == {
        "reason": "first day scored with model version 4 (previous day: 3)",
        "count": 1,
    }
    page = digest_html(digest)
    assert "held back" in page and "previous day: 3" in page
    other = build_digest(watch(codes=(D,)), DAY, MODEL, day(held_back=True))
    assert other.score_alerts_held_back.count == 0  # noted still: the day held some back
    assert "held back" not in digest_html(build_digest(watch(), DAY, MODEL, day()))


def test_no_alert_says_no_changes():
    digest = build_digest(watch(), DAY, MODEL, day(sent=SENT.head(0)))
    data = json.loads(digest_json(digest))
    assert data["alerts"] == 0 and data["companies"] == [] and data["alerts_per_kind"] == {}
    assert "No changes." in digest_html(digest)


def test_the_page_is_self_contained_and_escaped():
    page = digest_html(build_digest(watch(), DAY, MODEL, day(held_back=True)))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    lowered = page.lower()
    for banned in ("<script", "<link", "<img", "@import", "url(", "src=", "href=", "<style"):
        assert banned not in lowered, banned
    assert not re.search(r"https?://", page)
    assert 'style="' in page  # styles are inline, on the elements
    assert "Kala &amp; &lt;Liha&gt; AS" in page and "<Liha>" not in page
    for sentence in ("new tax debt 4,210 €", "status registered -&gt; bankrupt"):
        assert sentence in page
    assert "Firma Uus OÜ" in page and "12.0 %" in page
    assert "Muu OÜ" not in page  # not on the watchlist
    assert "2025-10-03" in page and "version 4" in page


# --------------------------------------------------------------------------------- writing
def _result(alert_day: AlertDay | None = None) -> DayResult:
    return DayResult(DAY, None, pd.DataFrame(), SENT, {"model": MODEL}, alert_day or day())


def test_digests_are_written_as_one_atomic_day_folder(tmp_path):
    digests = tmp_path / "digests"
    folder = write_digests(digests, _result(), [watch("a"), watch("b", codes=(D,))])
    assert folder == digests / "date=2025-10-03"
    assert sorted(p.name for p in folder.iterdir()) == ["a.html", "a.json", "b.html", "b.json"]
    assert json.loads((folder / "b.json").read_text())["alerts"] == 1
    # a rerun of the day replaces the folder: a watchlist deleted since leaves no digest
    write_digests(digests, _result(), [watch("a")])
    assert sorted(p.name for p in folder.iterdir()) == ["a.html", "a.json"]
    assert [p.name for p in digests.iterdir()] == ["date=2025-10-03"]  # no temporary left
    assert write_digests(tmp_path / "none", _result(), []) is None
    assert not (tmp_path / "none").exists()


def test_the_watchlists_are_the_stores_and_the_files(tmp_path):
    path = tmp_path / "serve" / "serve.sqlite"
    assert day_watchlists(path) == [] and not path.exists()  # never created by the digests
    assert [w.name for w in day_watchlists(path, watch("file"))] == ["file"]
    store = Store(path)
    store.put_watchlist(watch("zeta"), NOW)
    store.put_watchlist(watch("alpha", rules={"class_at_least": "IV"}), NOW)
    got = day_watchlists(path, watch("file"))
    assert [w.name for w in got] == ["alpha", "file", "zeta"]
    assert got[0].rules.class_at_least == "IV"
    with pytest.raises(ScoringError, match="'zeta' is a watchlist of the store"):
        day_watchlists(path, watch("zeta"))


# ------------------------------------------------------------------------ the daily job
def test_daily_writes_a_digest_per_watchlist_and_nothing_when_nothing_is_scored(project, tmp_path):
    """The day after a fake previous partition (other names, another model version): every
    company's name changed (register events go out), the score alerts are held back; the
    store's watchlist gets its companies' alerts although --watchlist narrows the partition."""
    from company_risk.config import load_params
    from company_risk.scoring.run import prepare_job, score_day

    out, digests = tmp_path / "scores", tmp_path / "digests"
    job = prepare_job(
        raw=project / "data" / "raw",
        interim=project / "data" / "interim",
        out=out,
        model_uri=str(project / "models" / "champion"),
        tracking_uri=None,
        params=load_params(project / "params.yaml"),
        root=project,
        features_path=None,
        watchlist=None,
        engine="pandas",
    )
    first = score_day(job, dt.date(2021, 3, 2))
    fake = first.scores.assign(name="Vana Nimi OÜ", risk_class="I", probability=0.0)
    manifest = {**first.manifest, "model": {**first.manifest["model"], "version": "2"}}
    part.write_partition(out, dt.date(2021, 3, 2), fake, first.alerts, manifest)
    ids = sorted(first.scores["company_id"])
    assert len(ids) >= 2
    store = Store(project / "data" / "serve" / "serve.sqlite")
    store.put_watchlist(watch("stored", codes=(ids[0],)), NOW)
    file = tmp_path / "mine.yaml"
    file.write_text(f"codes: ['{ids[1]}']\nkinds: [name_changed, class_worse]\n")
    args = ["--project-dir", str(project), "daily", "--out", str(out), "--digests", str(digests)]
    args += ["--watchlist", str(file)]
    try:
        result = CliRunner().invoke(app, args, env={"MLFLOW_TRACKING_URI": ""})
        assert result.exit_code == 0, result.output
        folder = digests / "date=2021-03-03"
        assert sorted(p.name for p in folder.iterdir()) == [
            "mine.html",
            "mine.json",
            "stored.html",
            "stored.json",
        ]
        stored = json.loads((folder / "stored.json").read_text())
        assert [c["company_id"] for c in stored["companies"]] == [ids[0]]
        assert stored["alerts_per_kind"]["name_changed"] == 1
        assert stored["score_alerts_held_back"]["reason"] == (
            "first day scored with model version 3 (previous day: 2)"
        )
        mine = json.loads((folder / "mine.json").read_text())
        assert set(mine["alerts_per_kind"]) == {"name_changed"}
        assert mine["companies"][0]["alerts"][0]["detail"].startswith(
            "name changed from Vana Nimi OÜ to "
        )
        # the partition keeps the file's companies only, without the held-back score alerts
        partition = pd.read_csv(out / "date=2021-03-03" / "alerts.csv", dtype=str)
        assert set(partition["company_id"]) == {ids[1]}
        written = json.loads((out / "date=2021-03-03" / "_manifest.json").read_text())
        assert written["score_alerts_held_back"]["reason"].endswith("(previous day: 2)")
        assert not set(partition["kind"]) & {"class_worse", "class_better", "probability_jump"}
        before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
        again = CliRunner().invoke(app, args, env={"MLFLOW_TRACKING_URI": ""})
        assert again.exit_code == 0, again.output
        assert artifacts_days(out) == ["date=2021-03-02", "date=2021-03-03"]  # nothing scored
        assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
        assert [p.name for p in digests.iterdir()] == ["date=2021-03-03"]
    finally:
        for suffix in ("", "-wal", "-shm"):
            (project / "data" / "serve" / f"serve.sqlite{suffix}").unlink(missing_ok=True)
