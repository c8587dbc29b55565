"""Plain helpers of the API tests (test_serve_*.py): a real uvicorn server on a free loopback
port in a thread, a local webhook receiver, and the scored days the tests write.

- `ServeSetup`: a copy of the tiny world's scored days, a fresh store with a read and a write
  key, a short `ServeConfig` and fixed clocks; `ServeSetup.running()` starts the API over them
  (`Api`: its URL, port, and clients with each key).
- `ServerThread`: `uvicorn.Server` in a thread on a socket bound to 127.0.0.1:0, ready once
  `/healthz` answers, stopped with `should_exit`.
- `Receiver`: a webhook receiver on loopback (`http.server.ThreadingHTTPServer`) recording
  every POST's headers and body, failing the first `fail` of them (500).
- `write_day`: a new scored day copied from the newest one, probabilities altered, alerts
  hand-made, written as the scoring job writes it (`write_partition`).

The fixtures that use them (`serve_setup`, `api`) are in conftest.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import math
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import uvicorn

from company_risk import artifacts
from company_risk.config import ServeConfig
from company_risk.scoring.alerts import ALERT_COLUMNS
from company_risk.scoring.partition import write_partition
from company_risk.serve.app import create_app
from company_risk.store import Store

DAY1, DAY2, DAY3 = dt.date(2025, 10, 2), dt.date(2025, 10, 3), dt.date(2025, 10, 4)
TODAY = DAY2  # the served day is 0 days old
NOW = dt.datetime(2025, 10, 3, 12, 0, tzinfo=dt.UTC)
CFG = dataclasses.replace(
    ServeConfig(),
    poll_seconds=0.2,
    webhook_backoff_s=0.05,
    webhook_attempts=3,
    webhook_timeout_s=2,
)


def wait_until(
    predicate: Callable[[], Any], what: str, timeout: float = 10.0, interval: float = 0.02
) -> Any:
    """Poll `predicate` until it returns something true (returned); fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (handed to uvicorn, so no other process
    can take the port between choosing and listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """A uvicorn server of `app` on `sock`, in a daemon thread.

    `log_config=None`: uvicorn leaves the logging set-up alone (its own would stop its loggers
    propagating, out of caplog's sight, for the rest of the session)."""

    def __init__(self, app, sock: socket.socket, log_level: str = "warning"):
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level=log_level, log_config=None
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )

    def _answers(self) -> bool:
        if not self.thread.is_alive():
            raise AssertionError("the server thread ended before /healthz answered")
        try:
            health = httpx.get(self.url + "/healthz", timeout=2).json()
        except httpx.TransportError:
            return False
        # ready once the earlier days' history is loaded too (it follows the start-up)
        return health["history_complete"] or health["status"] == "no_data"

    def start(self) -> ServerThread:
        self.thread.start()
        wait_until(self._answers, "/healthz to answer", timeout=30)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the server did not stop"
        self.sock.close()


@dataclasses.dataclass
class Api:
    """A running API: where it listens, and clients with the setup's keys (none: `anon`)."""

    server: ServerThread
    app: Any
    read_key: str
    write_key: str
    clients: list[httpx.Client] = dataclasses.field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    @property
    def read(self) -> httpx.Client:
        return self.client(self.read_key)

    @property
    def write(self) -> httpx.Client:
        return self.client(self.write_key)

    @property
    def anon(self) -> httpx.Client:
        return self.client()

    @property
    def dispatcher(self):
        return self.app.state.serve.dispatcher

    def close(self) -> None:
        for client in self.clients:
            client.close()


@dataclasses.dataclass
class ServeSetup:
    """What one test serves: its own copy of the scored days, its own store and keys."""

    root: Path
    scores: Path
    store: Store
    read_key: str
    write_key: str
    cfg: ServeConfig = CFG
    today: dt.date = TODAY
    now: dt.datetime = NOW

    @classmethod
    def make(cls, tiny_scores: Path, root: Path) -> ServeSetup:
        scores = root / "scores"
        shutil.copytree(tiny_scores, scores)
        store = Store(root / "serve" / "serve.sqlite")
        read_key = store.add_key("reader", "read", NOW)
        write_key = store.add_key("writer", "write", NOW)
        return cls(root, scores, store, read_key, write_key)

    def make_app(self, port: int, **overrides: Any):
        cfg = overrides.pop("cfg", self.cfg)
        today = overrides.pop("today", self.today)
        now = overrides.pop("now", self.now)
        store = overrides.pop("store", self.store)
        return create_app(
            self.scores,
            store,
            cfg,
            today=lambda: today,
            now=lambda: now,
            own_host="127.0.0.1",
            own_port=port,
            **overrides,
        )

    @contextmanager
    def running(self, log_level: str = "warning", **overrides: Any) -> Iterator[Api]:
        """The API over this setup, on a free loopback port, until the block ends."""
        sock = loopback_socket()
        app = self.make_app(sock.getsockname()[1], **overrides)
        server = ServerThread(app, sock, log_level).start()
        api = Api(server, app, self.read_key, self.write_key)
        try:
            yield api
        finally:
            api.close()
            server.stop()


class Receiver:
    """A webhook receiver on 127.0.0.1: records each POST (`received`: path, headers with
    lower-case names, body) and answers 500 to the first `fail` of them (math.inf: to all),
    204 after."""

    def __init__(self, fail: float = 0):
        self.fail = fail
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    failing = len(receiver.received) < receiver.fail
                    receiver.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "status": 500 if failing else 204,
                        }
                    )
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The first `count` requests, once that many came."""
        wait_until(lambda: len(self.received) >= count, f"{count} webhook POST(s)", timeout)
        with self.lock:
            return list(self.received[:count])

    def succeed_from_now(self) -> None:
        with self.lock:
            self.fail = len(self.received)


ALWAYS = math.inf


def altered(probability: pd.Series) -> pd.Series:
    """Day 3's probabilities: different from day 2's everywhere (but at exactly 0.5)."""
    return probability * 0.5 + 0.25


def alert_rows(rows: Sequence[tuple[str, str]], date: dt.date = DAY3) -> pd.DataFrame:
    """Hand-made alerts of `date`: (company_id, kind) each, as the scoring job writes them."""
    return pd.DataFrame(
        [
            {
                "company_id": code,
                "date": date.isoformat(),
                "kind": kind,
                "before": "II",
                "after": "IV",
                "detail": f"test alert {kind}",
                "probability": "0.3",
            }
            for code, kind in rows
        ],
        columns=[*ALERT_COLUMNS, "probability"],
        dtype="str",
    )


def write_day(
    scores: Path,
    date: dt.date = DAY3,
    alerts: pd.DataFrame | None = None,
    change: Callable[[pd.Series], pd.Series] = altered,
    source: dt.date | None = None,
) -> pd.DataFrame:
    """Write the partition `date=<date>/` from the day `source` (default: the newest) under
    `scores`: its companies, probabilities `change`d, the given alerts (default none); the
    scores written."""
    newest = source or artifacts.list_partitions(scores)[-1]
    frame = artifacts.read_scores(scores, newest)
    frame["probability"] = change(frame["probability"])
    manifest = artifacts.read_manifest(scores, newest)
    manifest.update(date=date.isoformat(), previous_partition=newest.isoformat())
    if alerts is None:
        alerts = alert_rows([], date)
    write_partition(scores, date, frame, alerts, manifest)
    return frame


def probabilities(scores: Path, date: dt.date) -> dict[str, float]:
    """A day's probability per registry code, rounded as the API rounds them."""
    frame = artifacts.read_scores(scores, date, columns=["company_id", "probability"])
    return {
        c: round(float(p), 6)
        for c, p in zip(frame["company_id"], frame["probability"], strict=True)
    }
