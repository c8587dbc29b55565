"""The served day changing under a running server (a new scored day written while clients
read, a day re-scored, an unfinished or broken partition), and what survives a restart (the
store's watchlists and keys)."""

import dataclasses
import json
import threading
import time

from company_risk import artifacts
from company_risk.serve import schemas
from company_risk.store import Store
from serving import DAY1, DAY2, DAY3, probabilities, wait_until, write_day

CODES = ["10001830", "10184087", "10598406", "10529061", "10354284"]


def served_date(api) -> str:
    return api.anon.get("/healthz").json()["score_date"]


class Reader(threading.Thread):
    """Asks one endpoint again and again until told to stop, keeping every answer."""

    def __init__(self, api, ask):
        super().__init__(daemon=True)
        self.client = api.read
        self.ask = ask
        self.answers: list[tuple[int, dict]] = []
        self.errors: list[BaseException] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                r = self.ask(self.client, len(self.answers))
                self.answers.append((r.status_code, r.json()))
            except BaseException as exc:  # reported by the test
                self.errors.append(exc)
                return

    def dates(self) -> list[str]:
        return [body["score_date"] for _, body in self.answers]


def test_a_new_day_written_while_clients_read(api, serve_setup):
    expected = {DAY2.isoformat(): probabilities(serve_setup.scores, DAY2)}
    day1 = probabilities(serve_setup.scores, DAY1)
    every = list(expected[DAY2.isoformat()])
    readers = [
        Reader(api, lambda c, i: c.get(f"/v1/companies/{CODES[i % len(CODES)]}")),
        Reader(api, lambda c, i: c.get(f"/v1/companies/{every[(7 * i) % len(every)]}")),
        Reader(api, lambda c, i: c.post("/v1/companies/query", json={"codes": every})),
        Reader(api, lambda c, i: c.post("/v1/companies/query", json={"codes": CODES[::-1]})),
    ]
    for reader in readers:
        reader.start()
    try:
        wait_until(lambda: all(len(r.answers) >= 3 for r in readers), "the readers to start")
        written = write_day(serve_setup.scores, DAY3)
        expected[DAY3.isoformat()] = {
            c: round(float(p), 6)
            for c, p in zip(written["company_id"], written["probability"], strict=True)
        }
        wait_until(lambda: served_date(api) == "2025-10-04", "the new day to be served")
        wait_until(
            lambda: all(r.dates()[-3:] == ["2025-10-04"] * 3 for r in readers),
            "every reader to see the new day",
            timeout=20,
        )
    finally:
        for reader in readers:
            reader.halt.set()
        for reader in readers:
            reader.join(timeout=30)
    assert [r.errors for r in readers] == [[], [], [], []]
    assert expected["2025-10-04"] != expected["2025-10-03"]

    for reader in readers:
        dates = reader.dates()
        assert set(dates) == {"2025-10-03", "2025-10-04"}  # the switch came mid-reading
        assert dates == sorted(dates)  # never back to the older day
        for status, body in reader.answers:
            assert status == 200, body
            day = body["score_date"]
            if "companies" not in body:  # one company: one day, history included
                schemas.CompanyWithHistory.model_validate(body)
                code, history = body["registry_code"], body["history"]
                assert body["probability"] == expected[day][code]
                assert history[-1]["date"] == day
                assert abs(history[-1]["probability"] - body["probability"]) <= 1e-6
                want = ["2025-10-02", "2025-10-03"] + (["2025-10-04"] if day > "2025-10-03" else [])
                assert [p["date"] for p in history] == want
                assert abs(history[0]["probability"] - day1[code]) <= 1e-6
                assert abs(history[1]["probability"] - expected["2025-10-03"][code]) <= 1e-6
            else:  # the bulk query: every company of the one day named
                assert body["unknown"] == []
                for company in body["companies"]:
                    assert company["score_date"] == day
                    assert company["probability"] == expected[day][company["registry_code"]]
    assert api.read.get("/v1/alerts").json()["score_date"] == "2025-10-04"


def test_a_day_rescored_is_served_again(api, serve_setup):
    code = "10001830"
    write_day(serve_setup.scores, DAY3)
    wait_until(lambda: served_date(api) == "2025-10-04", "the new day")
    first = api.read.get(f"/v1/companies/{code}").json()
    rescored = write_day(serve_setup.scores, DAY3, change=lambda p: p * 0.25)
    now = round(float(rescored.set_index("company_id").loc[code, "probability"]), 6)
    assert now != first["probability"]
    body = wait_until(
        lambda: (b := api.read.get(f"/v1/companies/{code}").json())["probability"] == now and b,
        "the re-scored day to be served",
    )
    assert [p["date"] for p in body["history"]] == ["2025-10-02", "2025-10-03", "2025-10-04"]
    assert abs(body["history"][-1]["probability"] - now) <= 1e-6


def test_the_history_window_slides_with_the_new_day(serve_setup):
    cfg = dataclasses.replace(serve_setup.cfg, history_days=2)
    with serve_setup.running(cfg=cfg) as api:
        code = "10598406"
        before = api.read.get(f"/v1/companies/{code}").json()["history"]
        assert [p["date"] for p in before] == ["2025-10-02", "2025-10-03"]
        write_day(serve_setup.scores, DAY3)
        wait_until(lambda: served_date(api) == "2025-10-04", "the new day")
        after = api.read.get(f"/v1/companies/{code}").json()["history"]
        assert [p["date"] for p in after] == ["2025-10-03", "2025-10-04"]
        assert after[0] == before[1]
        assert api.read.get(f"/v1/companies/{code}", params={"days": 3}).status_code == 422
        # the alerts kept are those of the kept days
        since = api.read.get("/v1/alerts", params={"since": "2025-01-01"}).json()["alerts"]
        assert {a["date"] for a in since} == {"2025-10-03"}  # day 3 has none


def test_an_unfinished_or_broken_partition_is_not_served(api, serve_setup):
    unfinished = artifacts.partition_dir(serve_setup.scores, DAY3)
    unfinished.mkdir()
    frame = artifacts.read_scores(serve_setup.scores, DAY2)
    frame.to_parquet(unfinished / artifacts.SCORES_FILE)  # no manifest yet: still being written
    time.sleep(3 * serve_setup.cfg.poll_seconds)
    assert served_date(api) == "2025-10-03"

    # a manifest beside an unreadable scores file: the old day stays served, no error
    (unfinished / artifacts.SCORES_FILE).write_bytes(b"not parquet")
    (unfinished / artifacts.ALERTS_FILE).write_text("company_id,date,kind\n")
    manifest = artifacts.read_manifest(serve_setup.scores, DAY2) | {"date": "2025-10-04"}
    (unfinished / artifacts.MANIFEST_FILE).write_text(json.dumps(manifest))
    time.sleep(3 * serve_setup.cfg.poll_seconds)
    assert served_date(api) == "2025-10-03"
    assert api.read.get("/v1/companies/10001830").status_code == 200
    # repaired: served at the next poll
    write_day(serve_setup.scores, DAY3, change=lambda p: p, source=DAY2)
    wait_until(lambda: served_date(api) == "2025-10-04", "the repaired day")


def test_watchlists_and_keys_survive_a_restart(serve_setup):
    hook = "http://192.0.2.10:8080/hook"
    with serve_setup.running() as api:
        put = api.write.put(
            "/v1/watchlists/kept",
            json={"codes": CODES, "kinds": ["class_worse"], "webhook_url": hook},
        )
        assert put.status_code == 201
        secret = put.json()["webhook_secret"]
        api.write.put("/v1/watchlists/other", json={"codes": CODES[:1]})
        before = api.read.get("/v1/watchlists").json()
        serve_setup.store.add_key("temp", "read", serve_setup.now)
        serve_setup.store.revoke_key("temp", serve_setup.now)
    keys_before = serve_setup.store.list_keys()
    write_day(serve_setup.scores, DAY3)  # a day scored while the server was down

    reopened = Store(serve_setup.store.path)
    with serve_setup.running(store=reopened) as api:
        assert served_date(api) == "2025-10-04"
        assert api.read.get("/v1/watchlists").json() == before
        got = api.read.get("/v1/watchlists/kept").json()
        assert got == before[0]
        assert (got["webhook_url"], got["kinds"]) == (hook, ["class_worse"])
        assert reopened.get_watchlist("kept").webhook_secret == secret
        again = api.write.put(
            "/v1/watchlists/kept", json={"codes": CODES, "kinds": [], "webhook_url": hook}
        )
        assert again.status_code == 200 and "webhook_secret" not in again.json()
        assert again.json()["created_at"] == got["created_at"]
        assert api.write.delete("/v1/watchlists/other").status_code == 204
    assert reopened.list_keys() == keys_before
    assert [k.name for k in keys_before if k.active] == ["reader", "writer"]
    assert [w.watchlist.name for w in Store(serve_setup.store.path).list_watchlists()] == ["kept"]


def test_start_up_serves_the_newest_day_first_and_its_history_after(serve_setup):
    """The server answers from the newest day's own scores at once; the earlier days join
    its history in the background, and /healthz says which of the two it is."""
    from company_risk.serve.served import Served

    served = Served(serve_setup.scores, history_days=90, poll_seconds=3600)
    assert served.refresh()
    first = served.day()
    assert first.date == DAY2 and not first.history_complete
    assert first.history.dates == (DAY2,)
    code = first.scores["company_id"].iloc[0]
    assert [p["date"] for p in first.company(code, 90)["history"]] == [DAY2.isoformat()]

    served.complete_history()
    full = served.day()
    assert full.history_complete and full.history.dates == (DAY1, DAY2)
    assert full.scores.equals(first.scores)
    assert [p["date"] for p in full.company(code, 90)["history"]] == [
        DAY1.isoformat(),
        DAY2.isoformat(),
    ]
    assert not served.refresh()  # nothing newer: the day stays


def test_healthz_reports_the_history_it_holds(api):
    health = api.anon.get("/healthz").json()
    assert health["history_complete"] is True
    assert health["history_days"] == 2
