"""Who may ask: API keys (`Authorization: Bearer …`) and the company card's browser sessions.

The store is asked on every request, so a key revoked from the shell is refused at once. The
card cannot send a bearer header from a link, so a person signs in once with a key on the start
page and gets a session cookie (HttpOnly, SameSite=Strict, random, held only in this process's
memory, ended by `serve.session_hours`); the cookie is never accepted by `/v1/…`, whose
watchlist writes therefore cannot be forged from another site. Neither keys nor session tokens
are ever logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from company_risk.store import ApiKey, Store

SESSION_COOKIE = "company_risk_session"


@dataclass(frozen=True)
class Caller:
    key_name: str
    can_write: bool


class Sessions:
    def __init__(self, hours: float, clock: Callable[[], dt.datetime]):
        self.lifetime = dt.timedelta(hours=hours)
        self.clock = clock
        self._open: dict[str, tuple[int, dt.datetime]] = {}  # token -> (key id, until)
        self._lock = threading.Lock()

    def open(self, key: ApiKey) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            expired = [t for t, (_, until) in self._open.items() if now >= until]
            for old in expired:
                del self._open[old]
            self._open[token] = (key.id, now + self.lifetime)
        return token

    def close(self, token: str | None) -> None:
        with self._lock:
            self._open.pop(token or "", None)

    def key_of(self, token: str | None) -> int | None:
        """The id of the key an open session was signed in with, or None."""
        if not token:
            return None
        with self._lock:
            found = self._open.get(token)
            if found is None:
                return None
            key_id, until = found
            if self.clock() >= until:
                del self._open[token]
                return None
        return key_id


def _refuse(status: int, detail: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status_code=status, detail=detail, headers=headers)


def bearer_caller(request: Request, store: Store, write: bool) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise _refuse(401, "an API key is needed: Authorization: Bearer <key>")
    if scheme.lower() != "bearer" or not key.strip():
        raise _refuse(401, "the Authorization header must be: Bearer <key>")
    found = store.key_for(key.strip())
    if found is None:
        raise _refuse(401, "unknown API key")
    if not found.active:
        raise _refuse(401, "this API key is revoked")
    if write and not found.can_write:
        raise _refuse(403, "a read key cannot change watchlists; use a key made with --write")
    return Caller(found.name, found.can_write)


def session_caller(request: Request, store: Store, sessions: Sessions) -> Caller | None:
    """The signed-in person of the card's pages, or None; a session whose key was revoked
    since is closed."""
    token = request.cookies.get(SESSION_COOKIE)
    key_id = sessions.key_of(token)
    if key_id is None:
        return None
    key = store.key_by_id(key_id)
    if key is None or not key.active:
        sessions.close(token)
        return None
    return Caller(key.name, key.can_write)
