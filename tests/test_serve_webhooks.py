"""Webhook deliveries through a real server and a local receiver on loopback: a new scored
day's alerts POSTed once per watchlist, signed with the secret its PUT answer showed, only its
companies and kinds; a failing receiver retried, recorded and resent; URLs refused."""

import json
import socket

import orjson

from company_risk import artifacts
from company_risk.serve import schemas, webhooks
from serving import ALWAYS, DAY3, NOW, Receiver, alert_rows, wait_until, write_day

A, B, C = "10598406", "10184087", "10001830"  # three companies of the tiny world
DAY3_ALERTS = [
    (A, "class_worse"),
    (A, "board_added"),
    (B, "tax_debt_new"),
    (C, "class_worse"),  # not on the watchlist
]


def put_watchlist(api, name: str, url: str, codes=(A, B), kinds=("class_worse", "tax_debt_new")):
    r = api.write.put(
        f"/v1/watchlists/{name}",
        json={"codes": list(codes), "kinds": list(kinds), "webhook_url": url},
    )
    assert r.status_code == 201, r.text
    secret = r.json()["webhook_secret"]
    assert secret
    return secret


def delivery(api, name: str, status: str | tuple[str, ...], timeout: float = 10.0) -> dict:
    """The watchlist's one delivery, once it has `status`, as GET .../deliveries says."""
    statuses = (status,) if isinstance(status, str) else status

    def found():
        answer = api.read.get(f"/v1/watchlists/{name}/deliveries").json()
        return answer if answer and answer[0]["status"] in statuses else None

    (record,) = wait_until(found, f"a {status} delivery to {name}", timeout)
    return schemas.Delivery.model_validate(record).model_dump()


def signed(request: dict, secret: str) -> bool:
    headers = request["headers"]
    return webhooks.verify(
        secret,
        headers[webhooks.TIMESTAMP_HEADER.lower()],
        request["body"],
        headers[webhooks.SIGNATURE_HEADER.lower()],
    )


def test_new_day_posts_the_watchlists_alerts_once_signed(api, serve_setup):
    with Receiver() as receiver:
        secret = put_watchlist(api, "w", receiver.url)
        put_watchlist(api, "quiet", receiver.url, codes=[C], kinds=["board_added"])
        api.write.put("/v1/watchlists/nohook", json={"codes": [A]})
        write_day(serve_setup.scores, DAY3, alert_rows(DAY3_ALERTS))

        record = delivery(api, "w", "delivered")
        wait_until(api.dispatcher.idle, "the deliveries to end")
        (request,) = receiver.received  # one POST: none to "quiet" (no alert of its own)

    assert request["path"] == "/hook"
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["x-company-risk-timestamp"] == str(int(NOW.timestamp()))
    assert headers["x-company-risk-signature"].startswith("sha256=")
    assert signed(request, secret)
    assert not signed(request, "0" * 64)
    assert not signed(request | {"body": request["body"].replace(b"II", b"I")}, secret)

    body = orjson.loads(request["body"])
    version = str(artifacts.read_manifest(serve_setup.scores, DAY3)["model"]["version"])
    assert (body["watchlist"], body["score_date"], body["model_version"]) == (
        "w",
        "2025-10-04",
        version,
    )
    assert [(a["company_id"], a["kind"]) for a in body["alerts"]] == [
        (A, "class_worse"),
        (B, "tax_debt_new"),
    ]
    assert body["alerts"][0] == {
        "company_id": A,
        "date": "2025-10-04",
        "kind": "class_worse",
        "before": "II",
        "after": "IV",
        "detail": "test alert class_worse",
        "probability": "0.3",
    }
    assert record == {
        "watchlist": "w",
        "date": "2025-10-04",
        "url": receiver.url,
        "status": "delivered",
        "attempts": 1,
        "last_error": "",
        "alerts": 2,
        "updated_at": "2025-10-03T12:00:00+00:00",
    }
    assert api.read.get("/v1/watchlists/quiet/deliveries").json() == []
    assert api.read.get("/v1/watchlists/nohook/deliveries").json() == []
    # the kept body is the one sent
    (kept,) = serve_setup.store.deliveries("w")
    assert kept.payload.encode() == request["body"]


def test_a_receiver_failing_twice_then_succeeding_is_delivered_at_attempt_3(api, serve_setup):
    with Receiver(fail=2) as receiver:
        secret = put_watchlist(api, "w", receiver.url)
        write_day(serve_setup.scores, DAY3, alert_rows(DAY3_ALERTS))
        record = delivery(api, "w", "delivered")
        requests = receiver.wait_for(3)
        wait_until(api.dispatcher.idle, "the deliveries to end")
        assert len(receiver.received) == 3
    assert [r["status"] for r in requests] == [500, 500, 204]
    assert len({r["body"] for r in requests}) == 1  # the same body each time
    assert all(signed(r, secret) for r in requests)
    assert (record["status"], record["attempts"], record["last_error"]) == ("delivered", 3, "")


def test_an_always_failing_receiver_is_recorded_failed_and_retry_resends(api, serve_setup):
    dead = socket.socket()  # a port nobody listens on: connection refused
    dead.bind(("127.0.0.1", 0))
    dead_url = f"http://127.0.0.1:{dead.getsockname()[1]}/hook"
    with Receiver(fail=ALWAYS) as receiver, dead:
        secret = put_watchlist(api, "w", receiver.url)
        put_watchlist(api, "down", dead_url)
        write_day(serve_setup.scores, DAY3, alert_rows(DAY3_ALERTS))

        failed = delivery(api, "w", "failed")
        assert (failed["attempts"], failed["last_error"], failed["alerts"]) == (3, "HTTP 500", 2)
        down = delivery(api, "down", "failed")
        assert down["attempts"] == 3 and "ConnectError" in down["last_error"]
        wait_until(api.dispatcher.idle, "the deliveries to end")
        assert len(receiver.received) == 3
        first = receiver.received[0]["body"]

        # only a write key resends, and only a delivery on record
        retry = "/v1/watchlists/w/deliveries/2025-10-04/retry"
        assert api.read.post(retry).status_code == 403
        assert api.write.post("/v1/watchlists/w/deliveries/2025-10-03/retry").status_code == 404
        assert api.write.post("/v1/watchlists/none/deliveries/2025-10-04/retry").status_code == 404
        assert len(receiver.received) == 3

        receiver.succeed_from_now()
        r = api.write.post(retry)
        assert r.status_code == 202 and "queued" in r.json()["detail"]
        resent = delivery(api, "w", "delivered")
        (request,) = receiver.wait_for(4)[3:]
    assert request["body"] == first  # the kept body, newly signed
    assert signed(request, secret)
    assert (resent["attempts"], resent["last_error"]) == (1, "")


def test_a_failure_is_never_lost_across_a_restart(serve_setup):
    """A failed delivery stays on record after a restart; a delivered one is not sent again."""
    with Receiver(fail=ALWAYS) as failing, Receiver() as fine:
        with serve_setup.running() as api:
            put_watchlist(api, "bad", failing.url)
            put_watchlist(api, "good", fine.url)
            write_day(serve_setup.scores, DAY3, alert_rows(DAY3_ALERTS))
            delivery(api, "bad", "failed")
            delivery(api, "good", "delivered")
        with serve_setup.running() as api:
            assert delivery(api, "bad", "failed")["last_error"] == "HTTP 500"
            wait_until(api.dispatcher.idle, "the deliveries at start to end")
            assert delivery(api, "good", "delivered")["attempts"] == 1
        assert (len(failing.received), len(fine.received)) == (3, 1)


def test_a_webhook_pointing_at_the_server_itself_is_refused(api, serve_setup):
    for host in (
        "127.0.0.1",
        "localhost",
        "[::1]",
        "127.0.0.2",
        "127.1",
        "0.0.0.0",
        "[::ffff:127.0.0.1]",
        "[::]",
    ):
        url = f"http://{host}:{api.port}/v1/alerts"
        r = api.write.put("/v1/watchlists/loop", json={"codes": [A], "webhook_url": url})
        assert r.status_code == 422, url
        assert "points at this API itself" in r.json()["detail"]
    assert serve_setup.store.list_watchlists() == []


def test_webhook_urls_that_are_not_http_are_refused(api, serve_setup):
    for url in (
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:70/",
        "http://",
        "//example.org/hook",
        "example.org/hook",
        "http://user:secret@example.org/hook",
        "http://example.org:99999/hook",
        "",
    ):
        r = api.write.put("/v1/watchlists/w", json={"codes": [A], "webhook_url": url})
        assert r.status_code == 422, url
        assert "webhook_url" in r.text, url
    assert serve_setup.store.list_watchlists() == []
    # a receiver elsewhere (another port of this host, another host) is accepted
    for url in ("http://127.0.0.1:1/hook", "https://hooks.example.org/company-risk"):
        r = api.write.put("/v1/watchlists/w", json={"codes": [A], "webhook_url": url})
        assert r.status_code in (200, 201), url
        assert json.loads(r.text)["webhook_url"] == url


def test_a_watchlist_made_after_a_day_was_served_waits_for_the_next_day(serve_setup):
    """A restart re-serves the newest day; a watchlist made since its first serving does not
    get that day (it was news before the watchlist existed), an older watchlist does."""
    import datetime as dt

    with Receiver() as late, Receiver() as early:
        with serve_setup.running() as api:
            put_watchlist(api, "early", early.url)
            write_day(serve_setup.scores, DAY3, alert_rows(DAY3_ALERTS))
            delivery(api, "early", "delivered")
        later = dict(now=NOW + dt.timedelta(hours=1))
        with serve_setup.running(**later) as api:  # the same day DAY3, served again
            put_watchlist(api, "late", late.url)
        with serve_setup.running(**later) as api:
            wait_until(api.dispatcher.idle, "the deliveries at start to end")
            assert api.read.get("/v1/watchlists/late/deliveries").json() == []
        assert (len(early.received), len(late.received)) == (1, 0)
