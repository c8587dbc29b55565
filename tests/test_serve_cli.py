"""The `keys` commands (add, list, revoke) and the wiring of `serve`, through typer's CliRunner;
a key printed once, never listed; one revoked from the shell is refused by a running server."""

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from company_risk.cli import app
from company_risk.store import KEY_PREFIX, Store, hash_key


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "params.yaml").write_text("serve: {host: 127.0.0.1, port: 8123}\n")
    return tmp_path


def keys(project: Path, *args: str, store: Path | None = None):
    argv = ["--project-dir", str(project), "keys", *args]
    if store is not None:
        argv += ["--store", str(store)]
    return CliRunner().invoke(app, argv)


def test_add_prints_the_key_once_and_stores_its_hash(project):
    store = project / "elsewhere" / "keys.sqlite"
    result = keys(project, "add", "erp-sync", store=store)
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith(KEY_PREFIX) and "\n" not in key  # stdout: the key alone
    assert "erp-sync" in result.stderr and "not shown again" in result.stderr
    assert key not in result.stderr
    found = Store(store).key_for(key)
    assert (found.name, found.scope, found.active) == ("erp-sync", "read", True)

    written = keys(project, "add", "ops", "--write", store=store)
    assert written.exit_code == 0
    assert Store(store).key_for(written.stdout.strip()).can_write
    assert "(write)" in written.stderr


def test_the_default_store_is_the_projects(project):
    result = keys(project, "add", "alice")
    assert result.exit_code == 0, result.output
    default = project / "data" / "serve" / "serve.sqlite"
    assert Store(default).key_for(result.stdout.strip()).name == "alice"
    listed = keys(project, "list")
    assert listed.stdout.startswith("alice\tread\t")


def test_list_never_shows_a_key_or_its_hash(project):
    store = project / "keys.sqlite"
    made = {name: keys(project, "add", name, store=store).stdout.strip() for name in ("b", "a")}
    keys(project, "add", "c", "--write", store=store)
    assert keys(project, "revoke", "b", store=store).exit_code == 0
    result = keys(project, "list", store=store)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["a", "read"],
        ["b", "read"],
        ["c", "write"],
    ]
    assert lines[0].endswith("\tactive") and "\trevoked 20" in lines[1]
    assert all("\tmade 20" in line for line in lines)
    for key in made.values():
        assert key not in result.output
        assert key.removeprefix(KEY_PREFIX) not in result.output
        assert hash_key(key) not in result.output
    assert KEY_PREFIX not in result.output
    assert keys(project, "list", store=project / "empty.sqlite").stdout == ""


def test_revoke_and_its_refusals(project):
    store = project / "keys.sqlite"
    key = keys(project, "add", "alice", store=store).stdout.strip()
    result = keys(project, "revoke", "alice", store=store)
    assert result.exit_code == 0 and "revoked" in result.stdout
    assert not Store(store).key_for(key).active
    again = keys(project, "revoke", "alice", store=store)
    assert again.exit_code == 2 and "error: no active API key named 'alice'" in again.stderr
    # the name is free again; a second active key of a name is refused
    assert keys(project, "add", "alice", store=store).exit_code == 0
    twice = keys(project, "add", "alice", store=store)
    assert twice.exit_code == 2 and "exists already" in twice.stderr
    assert twice.stdout == ""
    bad = keys(project, "add", "../alice", store=store)
    assert bad.exit_code == 2 and "key name" in bad.stderr and bad.stdout == ""
    assert [k.name for k in Store(store).list_keys()] == ["alice", "alice"]


def test_a_key_revoked_from_the_shell_is_refused_by_the_running_server(api, serve_setup, project):
    reader = api.read
    assert reader.get("/v1/watchlists").status_code == 200
    result = keys(project, "revoke", "reader", store=serve_setup.store.path)
    assert result.exit_code == 0, result.output
    assert reader.get("/v1/watchlists").status_code == 401
    added = keys(project, "add", "late", "--write", store=serve_setup.store.path)
    late = api.client(added.stdout.strip())
    assert late.put("/v1/watchlists/w", json={"codes": []}).status_code == 201


def test_serve_passes_its_options_to_the_app(project, monkeypatch):
    import uvicorn

    seen = {}

    def run(app_, **kwargs):
        seen["app"], seen["kwargs"] = app_, kwargs

    monkeypatch.setattr(uvicorn, "run", run)
    scores, store = project / "my_scores", project / "my.sqlite"
    argv = ["--project-dir", str(project), "serve", "--port", "8765"]
    result = CliRunner().invoke(app, [*argv, "--out", str(scores), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert seen["kwargs"] == {
        "host": "127.0.0.1",
        "port": 8765,
        "log_level": "info",
        "proxy_headers": False,
    }
    state = seen["app"].state.serve
    assert (state.own_host, state.own_port) == ("127.0.0.1", 8765)
    assert state.cfg.port == 8123  # params.yaml's serve: section is read
    assert state.store.path == store and state.served.out == scores
    assert abs((state.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 60
    assert state.today() == dt.date.today()
