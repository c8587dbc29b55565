"""Webhook deliveries: each new scored day's alerts, POSTed to every watchlist with a webhook.

A delivery is one JSON body per watchlist and day (`payload`), signed with the watchlist's
secret: `X-Company-Risk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` and
`X-Company-Risk-Timestamp: <unix seconds>`, so a receiver can check both who sent it and that
it is not an old one replayed. It is recorded in the store before the first attempt
(`pending`), retried with exponential back-off, and ends `delivered` or `failed` with the last
error and the exact body kept, so a failure is never lost silently and can be resent
(`POST /v1/watchlists/{name}/deliveries/{date}/retry`). Deliveries run in one worker thread
fed by a queue: the partition switch and the HTTP handlers never wait on a slow receiver.
A day with no alert for a watchlist sends nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import queue
import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import orjson

from company_risk.config import ServeConfig
from company_risk.serve.served import ServedDay
from company_risk.store import Delivery, Store, StoredWatchlist, stamp
from company_risk.watchlists import WatchlistError, select_alerts

log = logging.getLogger("company_risk.serve.webhooks")

SIGNATURE_HEADER = "X-Company-Risk-Signature"
TIMESTAMP_HEADER = "X-Company-Risk-Timestamp"
ALERT_FIELDS = ("company_id", "date", "kind", "before", "after", "detail", "probability")

Post = Callable[[str, bytes, dict[str, str], float], int]  # url, body, headers, timeout -> status


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (documented in the README; used by the tests' receiver)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _addresses(host: str) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return set()  # not resolvable here: it cannot be this server either
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def check_target(url: str, own_host: str, own_port: int) -> None:
    """Refuse a webhook URL that points at this API itself (a loop of deliveries): the same
    port on one of this server's addresses, a loopback address, or any address when it
    listens on all of them."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if port != own_port:
        return
    # ::ffff:127.0.0.1 is 127.0.0.1; 0.0.0.0 and :: reach this host too
    target = {getattr(a, "ipv4_mapped", None) or a for a in _addresses(parts.hostname or "")}
    own = _addresses(own_host) | _addresses(socket.gethostname())
    everywhere = any(a.is_unspecified for a in own)
    if any(
        a.is_loopback or a.is_unspecified or a in own or (everywhere and a.is_private)
        for a in target
    ):
        raise WatchlistError(
            f"webhook_url {url!r} points at this API itself (port {own_port}); give a receiver "
            "elsewhere"
        )


def payload(watchlist: str, day: ServedDay, alerts) -> bytes:
    columns = [c for c in ALERT_FIELDS if c in alerts.columns]
    return orjson.dumps(
        {
            "watchlist": watchlist,
            "score_date": day.date.isoformat(),
            "model_version": day.model_version,
            "alerts": alerts[columns].to_dict(orient="records"),
        }
    )


def httpx_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    response = httpx.post(
        url, content=body, headers=headers, timeout=timeout, follow_redirects=False
    )
    return response.status_code


class Dispatcher:
    def __init__(
        self,
        store: Store,
        cfg: ServeConfig,
        now: Callable[[], dt.datetime],
        post: Post = httpx_post,
    ):
        self.store = store
        self.cfg = cfg
        self.now = now
        self.post = post
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------- the worker
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the attempt in flight; a delivery cut short stays `pending` on record and
        is sent again when its day is next served."""
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=self.cfg.webhook_timeout_s + 5)

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def day_served(self, day: ServedDay) -> None:
        self._queue.put(("day", day))

    def resend(self, watchlist: str, date: str) -> None:
        self._queue.put(("resend", watchlist, date))

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None or self._stop.is_set():
                    return
                if job[0] == "day":
                    self.deliver_day(job[1])
                else:
                    self._resend(job[1], job[2])
            except Exception:
                log.exception("webhook deliveries")
            finally:
                self._queue.task_done()

    # ------------------------------------------------------------------ deliveries
    def deliver_day(self, day: ServedDay) -> None:
        """Send the day's alerts to each watchlist with a webhook that has not had them (a
        delivery on record as delivered or failed is not repeated; a pending one is). A
        watchlist made after the day was first served waits for the next day: a restart does
        not send it a day that was news before it existed."""
        todays = day.alerts.loc[day.alerts["date"] == day.date.isoformat()]
        first_served = self.store.first_served(day.date.isoformat(), self.now())
        for stored in self.store.list_watchlists():
            url = stored.watchlist.webhook_url
            if url is None or stored.webhook_secret is None or stored.created_at > first_served:
                continue
            done = self.store.delivery(stored.watchlist.name, day.date.isoformat())
            if done is not None and done.status != "pending":
                continue
            selected = select_alerts(todays, stored.watchlist)
            if selected.empty:
                continue
            self._send(
                stored,
                day.date.isoformat(),
                payload(stored.watchlist.name, day, selected),
                len(selected),
            )

    def _resend(self, name: str, date: str) -> None:
        stored = self.store.get_watchlist(name)
        before = self.store.delivery(name, date)
        if stored is None or before is None or stored.webhook_secret is None:
            return
        self._send(stored, date, before.payload.encode(), before.alerts)

    def _send(self, stored: StoredWatchlist, date: str, body: bytes, count: int) -> Delivery:
        name, url = stored.watchlist.name, stored.watchlist.webhook_url or ""

        def record(status: str, attempts: int, error: str) -> Delivery:
            delivery = Delivery(
                name, date, url, status, attempts, error, count, body.decode(), stamp(self.now())
            )
            self.store.record_delivery(delivery)
            return delivery

        record("pending", 0, "")
        error = ""
        for attempt in range(1, self.cfg.webhook_attempts + 1):
            timestamp = str(int(self.now().timestamp()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(stored.webhook_secret or "", timestamp, body),
            }
            try:
                status = self.post(url, body, headers, self.cfg.webhook_timeout_s)
                if 200 <= status < 300:
                    log.info("delivered %d alert(s) of %s to watchlist %s", count, date, name)
                    return record("delivered", attempt, "")
                error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            record("pending", attempt, error)
            backoff = self.cfg.webhook_backoff_s * 2 ** (attempt - 1)
            if attempt < self.cfg.webhook_attempts and self._stop.wait(backoff):
                return record("pending", attempt, error)
        log.warning(
            "webhook of watchlist %s failed %d time(s) for %s: %s (kept; resend with "
            "POST /v1/watchlists/%s/deliveries/%s/retry)",
            name,
            self.cfg.webhook_attempts,
            date,
            error,
            name,
            date,
        )
        return record("failed", self.cfg.webhook_attempts, error)
