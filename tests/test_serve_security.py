"""Every refusal of the API, through a real server on loopback: keys (none, wrong, revoked
while serving, read keys writing), malformed and path-like input, oversized bodies, unknown
query parameters; and what it never gives away: keys in its logs, persons in its answers."""

import hashlib
import logging
import os
from pathlib import Path

import pandas as pd

from company_risk import artifacts
from company_risk.serve import schemas
from company_risk.store import hash_key
from serving import DAY2, probabilities, wait_until

READS = [
    ("GET", "/v1/companies/10001830"),
    ("POST", "/v1/companies/query"),
    ("GET", "/v1/alerts"),
    ("GET", "/v1/watchlists"),
    ("GET", "/v1/watchlists/w"),
    ("GET", "/v1/watchlists/w/alerts"),
    ("GET", "/v1/watchlists/w/deliveries"),
    ("GET", "/openapi.json"),
]
WRITES = [
    ("PUT", "/v1/watchlists/w"),
    ("DELETE", "/v1/watchlists/w"),
    ("POST", "/v1/watchlists/w/deliveries/2025-10-03/retry"),
]
BODIES = {"/v1/companies/query": {"codes": ["10001830"]}, "/v1/watchlists/w": {"codes": []}}


def send(client, method: str, path: str, **kwargs):
    if method in ("POST", "PUT") and path in BODIES:
        kwargs.setdefault("json", BODIES[path])
    return client.request(method, path, **kwargs)


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` and a digest of its bytes (the store's -wal/-shm left out)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm", ".sqlite"))
    }


# -------------------------------------------------------------------------------- keys
def test_no_key_wrong_key_or_wrong_scheme_is_401(api, serve_setup):
    refused = [
        {},
        {"Authorization": "Bearer crk_not-a-key-of-ours"},
        {"Authorization": f"Basic {api.read_key}"},
        {"Authorization": "Bearer"},
        {"Authorization": api.write_key},
        {"Authorization": f"Bearer {hash_key(api.write_key)}"},  # its hash is no key
        {"Authorization": f"Bearer {api.write_key.removeprefix('crk_')}"},
    ]
    for method, path in READS + WRITES:
        for headers in refused:
            r = send(api.anon, method, path, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            assert schemas.Problem.model_validate(r.json()).detail
    assert serve_setup.store.list_watchlists() == []


def test_a_key_revoked_while_the_server_runs_is_refused_at_once(api, serve_setup):
    reader = api.read
    assert reader.get("/v1/watchlists").status_code == 200
    serve_setup.store.revoke_key("reader", serve_setup.now)
    r = reader.get("/v1/watchlists")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert api.write.get("/v1/watchlists").status_code == 200  # only that key
    # a new key of the same name is another key: the old one stays refused
    new = serve_setup.store.add_key("reader", "read", serve_setup.now)
    assert reader.get("/v1/watchlists").status_code == 401
    assert api.client(new).get("/v1/watchlists").status_code == 200


def test_a_read_key_cannot_write(api, serve_setup):
    api.write.put("/v1/watchlists/w", json={"codes": ["10001830"]})
    before = serve_setup.store.get_watchlist("w")
    for method, path in WRITES:
        r = send(api.read, method, path)
        assert r.status_code == 403, (method, path)
        assert "--write" in schemas.Problem.model_validate(r.json()).detail
    # nor make a new watchlist
    assert api.read.put("/v1/watchlists/new", json={"codes": []}).status_code == 403
    assert serve_setup.store.list_watchlists() == [before]
    assert serve_setup.store.deliveries() == []


def test_a_read_key_reads_and_a_write_key_does_both(api):
    for method, path in READS:
        assert send(api.read, method, path).status_code in (200, 404), path
    for method, path in WRITES[:2]:  # retry: no delivery on record, 404 after the key check
        assert send(api.write, method, path).status_code in (200, 201, 204), path
    assert send(api.write, *READS[0]).status_code == 200


# ---------------------------------------------------------------------- malformed input
def test_malformed_registry_code_is_422_naming_it(api):
    for code in ("1000183", "100018300", "1000183a", "١٠٠٠١٨٣٠", "+1000183", "1000183%0A"):
        r = api.read.get(f"/v1/companies/{code}")
        assert r.status_code == 422, code
        assert r.json()["detail"][0]["loc"] == ["path", "registry_code"]
    r = api.read.post("/v1/companies/query", json={"codes": ["١٠٠٠١٨٣٠"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "codes", 0]


PATH_LIKE = [
    "/v1/companies/..%2F..%2Fetc%2Fpasswd",
    "/v1/companies/%2E%2E",
    "/v1/companies/10001830%00",
    "/v1/companies/10001830%2F..",
    "/v1/watchlists/..%2Fx",
    "/v1/watchlists/%2E%2E",
    "/v1/watchlists/%2Ex",
    "/v1/watchlists/a.b",
    "/v1/watchlists/a%2Fb",
    "/v1/watchlists/a%00b",
    "/v1/watchlists/a%5Cb",
    "/v1/watchlists/-x",
    "/v1/watchlists/" + "x" * 65,
    "/v1/watchlists/..%2F..%2Fserve%2Fserve.sqlite/deliveries",
    "/v1/watchlists/w/deliveries/..%2F2025-10-03/retry",
    "/v1/watchlists/w/deliveries/2025-10-03%2F..%2F..%2Fx/retry",
]


def test_path_like_input_is_refused_and_touches_nothing(api, serve_setup):
    before = tree(serve_setup.root)
    for path in PATH_LIKE:
        for client, method in (
            (api.read, "GET"),
            (api.write, "GET"),
            (api.write, "PUT"),
            (api.write, "DELETE"),
            (api.write, "POST"),
        ):
            r = client.request(method, path, json={"codes": []} if method == "PUT" else None)
            assert r.status_code in (404, 405, 422), (method, path, r.status_code, r.text)
            assert "root:" not in r.text
    assert serve_setup.store.list_watchlists() == []
    assert tree(serve_setup.root) == before
    assert sorted(p.name for p in serve_setup.root.iterdir()) == ["scores", "serve"]


def test_path_like_names_never_reach_the_store(api, serve_setup):
    for name in ("..%2Fx", "%2E", "a.b", "a%00", "%20x", "x%0Ay"):
        r = api.write.put(f"/v1/watchlists/{name}", json={"codes": ["10001830"]})
        assert r.status_code in (404, 422), (name, r.status_code)
    assert serve_setup.store.list_watchlists() == []
    # a watchlist given by query parameter is checked the same way
    r = api.read.get("/v1/alerts", params={"watchlist": "../x"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "watchlist"]


def test_oversized_body_is_413(api, serve_setup):
    limit = serve_setup.cfg.max_body_bytes
    big = b'{"codes": ["' + b"1" * limit + b'"]}'
    r = api.read.post(
        "/v1/companies/query", content=big, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413

    def chunks():  # no Content-Length: refused as it streams in
        yield b'{"codes": ['
        for _ in range(limit // 11 + 10):
            yield b'"10001830",'
        yield b'"10001830"]}'

    r = api.write.put(
        "/v1/watchlists/big", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert serve_setup.store.list_watchlists() == []
    # a body within the limit still works
    assert api.read.post("/v1/companies/query", json={"codes": ["10001830"]}).status_code == 200


def test_malformed_json_is_422(api):
    for content in (b"{", b"\xff\xfe", b'{"codes": ["10001830"]} trailing', b"null"):
        r = api.read.post(
            "/v1/companies/query", content=content, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422, content


def test_unknown_query_parameters_are_422(api):
    for path, params in (
        ("/healthz", {"verbose": "1"}),
        ("/v1/companies/10001830", {"day": "30"}),
        ("/v1/companies/10001830", {"days": "2", "fields": "name"}),
        ("/v1/alerts", {"kinds": "class_worse"}),
        ("/v1/watchlists", {"limit": "5"}),
        ("/v1/watchlists/w/alerts", {"kind": "class_worse"}),
        ("/v1/watchlists/w/deliveries", {"status": "failed"}),
        ("/openapi.json", {"x": ""}),
    ):
        r = api.read.get(path, params=params)
        assert r.status_code == 422, (path, r.text)
        assert {tuple(e["loc"]) for e in r.json()["detail"]} == {
            ("query", name) for name in set(params) - {"days"}
        }
    r = api.read.post("/v1/companies/query", params={"format": "csv"}, json={"codes": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "format"]
    r = api.write.put("/v1/watchlists/w", params={"force": "1"}, json={"codes": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "force"]
    assert api.read.get("/v1/watchlists/w").status_code == 404


# ---------------------------------------------------------------- what is never given
def test_keys_never_in_the_server_logs(serve_setup, caplog):
    caplog.set_level(logging.INFO, logger="uvicorn")
    caplog.set_level(logging.INFO, logger="company_risk")
    with serve_setup.running(log_level="info") as api:
        reader, writer = api.read, api.write
        for method, path in READS:
            send(reader, method, path)
        writer.put("/v1/watchlists/w", json={"codes": ["10001830"]})
        writer.put("/v1/watchlists/w", json={"codes": ["10001830"], "kinds": ["class_worse"]})
        send(reader, "PUT", "/v1/watchlists/w")  # 403
        writer.delete("/v1/watchlists/w")
        reader.get("/v1/companies/1234")  # 422
        reader.get("/v1/companies/12345678")  # 404
        api.client(api.read_key + "x").get("/v1/watchlists")  # 401
        serve_setup.store.revoke_key("reader", serve_setup.now)
        reader.get("/v1/watchlists")  # 401, revoked
    logged = caplog.text
    assert "GET /v1/companies/10001830" in logged  # the access log was captured
    assert "watchlist w created by key writer" in logged
    for secret in (serve_setup.read_key, serve_setup.write_key):
        for form in (secret, secret.removeprefix("crk_"), hash_key(secret)):
            assert form not in logged
    assert "Bearer" not in logged


def test_no_person_is_served(api, serve_setup, personal_data):
    codes = list(probabilities(serve_setup.scores, DAY2))
    bulk = api.read.post("/v1/companies/query", json={"codes": codes})
    alerts = api.read.get("/v1/alerts", params={"since": "2000-01-01"})
    written = sum(
        len(pd.read_csv(folder / artifacts.ALERTS_FILE, dtype="str"))
        for folder in serve_setup.scores.glob("date=*")
    )
    assert len(bulk.json()["companies"]) == 197
    assert len(alerts.json()["alerts"]) == written > 0
    answers = bulk.text + "\n" + alerts.text
    # the persons behind the tiny world are in the raw drops, none in the answers
    assert sorted(p for p in personal_data if p in answers) == []


def test_nothing_written_beside_the_store_and_scores(api, serve_setup):
    """A running server, used, writes only its store; the scored days stay as they were."""
    scores_before = tree(serve_setup.scores)
    api.write.put("/v1/watchlists/w", json={"codes": ["10001830"]})
    api.read.get("/v1/watchlists/w/alerts")
    api.read.post("/v1/companies/query", json={"codes": ["10001830"]})
    assert tree(serve_setup.scores) == scores_before
    assert {p.name for p in (serve_setup.root / "serve").iterdir()} <= {
        "serve.sqlite",
        "serve.sqlite-wal",
        "serve.sqlite-shm",
    }
    assert artifacts.list_partitions(serve_setup.scores)[-1] == DAY2
    wait_until(lambda: api.dispatcher.idle(), "the webhook worker to be idle")
    assert os.stat(serve_setup.store.path).st_size > 0
