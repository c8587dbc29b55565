"""The HTTP API (`create_app`): look-ups, bulk queries, alerts and watchlists over the newest
complete scored day, behind API keys.

Each handler takes the served day once (`served.day()`), so one answer never mixes two days.
Answers are serialised with orjson straight from plain dicts (`served.company_records`); the
pydantic models of `schemas` document them in `/openapi.json`. What a request can steer is
checked before use: registry codes are 8 digits, watchlist names a short word (keys in the
store, and digest file names that cannot spell a path), dates are dates, query parameters a
route does not know are refused, and a body larger than `serve.max_body_bytes` is refused (413) as it streams in.
"""

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from company_risk.config import Params, ServeConfig
from company_risk.portfolio import PortfolioError
from company_risk.schemas import REGISTRY_CODE, REGISTRY_CODE_PATTERN
from company_risk.scoring.alerts import KINDS
from company_risk.serve import schemas
from company_risk.serve.auth import Caller, Sessions, bearer_caller
from company_risk.serve.served import NoScoredDay, Served, ServedDay
from company_risk.serve.webhooks import Dispatcher, check_target
from company_risk.store import Store, StoredWatchlist
from company_risk.watchlists import WatchlistError, make_watchlist, select_alerts

log = logging.getLogger("company_risk.serve")

CODE = Annotated[
    str,
    PathParam(
        pattern=REGISTRY_CODE_PATTERN,
        description="8-digit registry code",
        examples=["10000001"],
    ),
]
WATCHLIST = Annotated[
    str,
    PathParam(
        pattern=schemas.WATCHLIST_NAME_PATTERN,
        description="Watchlist name: 1-64 of A-Z a-z 0-9 _ -",
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.Problem, "description": "No API key, or an unknown or revoked one."},
    422: {"description": "A parameter or the body is not valid; `detail` names the field."},
    503: {"model": schemas.Problem, "description": "No complete scored day to serve yet."},
}
BODY_ERRORS = ERRORS | {413: {"description": "The request body is too large."}}
WRITE_ERRORS = BODY_ERRORS | {
    403: {"model": schemas.Problem, "description": "A read key cannot write."}
}


class JSON(JSONResponse):  # a JSONResponse: /openapi.json documents the response_model
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


@dataclass
class ServeState:
    """What the handlers share: the served day, the store, the settings and the clocks."""

    served: Served
    store: Store
    cfg: ServeConfig
    today: Callable[[], dt.date]
    now: Callable[[], dt.datetime]
    own_host: str
    own_port: int
    sessions: Sessions
    dispatcher: Dispatcher

    def day(self) -> ServedDay:
        try:
            return self.served.day()
        except NoScoredDay:  # the message names the folder: for the log, not the caller
            raise HTTPException(
                status_code=503, detail="no complete scored day to serve yet"
            ) from None


@dataclass(frozen=True)
class PortfolioInputs:
    """The history tables (the status of customers the day does not score) and the parameters
    a portfolio is valued with (portfolio, features)."""

    interim: Path
    params: Params


def only_query(*allowed: str) -> Callable[[Request], None]:
    """A dependency refusing query parameters the route does not define (a typo such as
    `?day=30` would otherwise be silently ignored)."""

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(allowed))
        if unknown:
            raise RequestValidationError(
                [
                    {
                        "type": "extra_forbidden",
                        "loc": ("query", name),
                        "msg": f"unknown query parameter; this route takes: {', '.join(allowed) or 'none'}",
                        "input": request.query_params.get(name),
                    }
                    for name in unknown
                ]
            )

    return check


def _watchlist_json(stored: StoredWatchlist, with_secret: bool = False) -> dict[str, Any]:
    out = stored.watchlist.to_dict() | {
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
    }
    if with_secret:
        out["webhook_secret"] = stored.webhook_secret
    return out


def _alerts_answer(frame, since: dt.date, day: ServedDay, limit: int) -> dict[str, Any]:
    """The alerts answer (schemas.AlertsResponse): at most `limit` rows, oldest day first."""
    rows = frame.head(limit)
    columns = [c for c in schemas.Alert.model_fields if c in rows.columns]
    return {
        "since": since.isoformat(),
        "score_date": day.date.isoformat(),
        "alerts": rows[columns].to_dict(orient="records"),
        "truncated": len(frame) > limit,
    }


def create_app(
    scores: Path,
    store: Store,
    cfg: ServeConfig,
    today: Callable[[], dt.date],
    now: Callable[[], dt.datetime],
    own_host: str | None = None,
    own_port: int | None = None,
    portfolio: PortfolioInputs | None = None,
) -> FastAPI:
    """The API over the partitions under `scores`; `today` and `now` are the clocks (the CLI
    passes the real ones, tests fixed ones); `own_host`/`own_port` are where this server is
    reached, so a webhook pointing back at it is refused (default: `cfg.host`, `cfg.port`);
    `portfolio`: what `POST /v1/portfolio` needs besides the served day (None: no such route)."""
    dispatcher = Dispatcher(store, cfg, now)
    served = Served(scores, cfg.history_days, cfg.poll_seconds, on_new_day=dispatcher.day_served)
    state = ServeState(
        served=served,
        store=store,
        cfg=cfg,
        today=today,
        now=now,
        own_host=own_host or cfg.host,
        own_port=own_port or cfg.port,
        sessions=Sessions(cfg.session_hours, now),
        dispatcher=dispatcher,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        dispatcher.start()
        try:
            served.refresh()
        except Exception:  # serve /healthz (no_data) and retry on the next poll
            log.exception("loading the newest partition under %s", scores)
        served.start()
        try:
            yield
        finally:
            served.stop()
            dispatcher.stop()

    app = FastAPI(
        title="company-risk",
        summary="12-month default risk of Estonian companies, scored daily.",
        description=(
            "Every endpoint but `/healthz` needs an API key: `Authorization: Bearer <key>` "
            "(made with `company-risk keys add NAME [--write]`; only write keys change "
            "watchlists). Answers come from one scored day, named in each of them."
        ),
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        default_response_class=JSON,
        max_body_size=cfg.max_body_bytes,
    )
    app.state.serve = state

    def reader(request: Request) -> Caller:
        return bearer_caller(request, store, write=False)

    def writer(request: Request) -> Caller:
        return bearer_caller(request, store, write=True)

    Read = Depends(reader)
    Write = Depends(writer)

    @app.exception_handler(WatchlistError)
    async def _bad_watchlist(request: Request, exc: WatchlistError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    # ---------------------------------------------------------------------------- health
    @app.get(
        "/healthz",
        response_model=schemas.Health,
        tags=["health"],
        dependencies=[Depends(only_query())],
        summary="What is served, and whether it is stale (no key needed)",
    )
    def healthz() -> Response:
        try:
            day = served.day()
        except NoScoredDay:
            body = dict.fromkeys(
                (
                    "partition",
                    "score_date",
                    "model_version",
                    "age_days",
                    "companies",
                    "history_days",
                )
            )
            body |= {"status": "no_data", "stale": True, "history_complete": False}
            return JSON(body, status_code=503)
        age = day.age_days(today())
        stale = age > cfg.max_age_days
        return JSON(
            {
                "status": "stale" if stale else "ok",
                "partition": day.folder.name,
                "score_date": day.date.isoformat(),
                "model_version": day.model_version,
                "stale": stale,
                "age_days": age,
                "companies": len(day.scores),
                "history_days": len(day.history.dates),
                "history_complete": day.history_complete,
            }
        )

    # ------------------------------------------------------------------------- companies
    @app.get(
        "/v1/companies/{registry_code}",
        response_model=schemas.CompanyWithHistory,
        responses=ERRORS | {404: {"model": schemas.Problem, "description": "Not scored that day."}},
        tags=["companies"],
        dependencies=[Depends(only_query("days"))],
        summary="One company's score, credit terms, reasons, facts and history",
    )
    def company(
        registry_code: CODE,
        days: Annotated[
            int,
            Query(ge=1, le=cfg.history_days, description="Scored days of history to include."),
        ] = min(90, cfg.history_days),
        caller: Caller = Read,
    ) -> Response:
        day = state.day()
        record = day.company(registry_code, days)
        if record is None:
            left = day.departure(registry_code)
            why = (
                f"{left['detail']} on {left['date']}"
                if left
                else "not an active business company on the register that day"
            )
            raise HTTPException(
                status_code=404, detail=f"{registry_code} is not scored on {day.date} ({why})"
            )
        return JSON(record)

    @app.post(
        "/v1/companies/query",
        response_model=schemas.QueryResponse,
        responses=BODY_ERRORS,
        tags=["companies"],
        dependencies=[Depends(only_query())],
        summary="Many companies at once (an ERP's nightly sync)",
    )
    def query(
        body: Annotated[schemas.QueryRequest, Body()],
        caller: Caller = Read,
    ) -> Response:
        if len(body.codes) > cfg.max_query_codes:
            raise RequestValidationError(
                [
                    {
                        "type": "too_long",
                        "loc": ("body", "codes"),
                        "msg": f"{len(body.codes)} codes; at most {cfg.max_query_codes} in one query",
                        "input": None,
                    }
                ]
            )
        bad = [
            {
                "type": "string_pattern_mismatch",
                "loc": ("body", "codes", i),
                "msg": "not an 8-digit registry code",
                "input": code,
            }
            for i, code in enumerate(body.codes)
            if not REGISTRY_CODE.fullmatch(code)
        ]
        if bad:
            raise RequestValidationError(bad[:20])
        day = state.day()
        records, unknown = day.companies(body.codes)
        return JSON({"score_date": day.date.isoformat(), "companies": records, "unknown": unknown})

    # ---------------------------------------------------------------------------- alerts
    def _since(since: dt.date | None, day: ServedDay) -> dt.date:
        return day.date if since is None else since

    @app.get(
        "/v1/alerts",
        response_model=schemas.AlertsResponse,
        responses=ERRORS | {404: {"model": schemas.Problem, "description": "No such watchlist."}},
        tags=["alerts"],
        dependencies=[Depends(only_query("since", "kind", "watchlist"))],
        summary="The alerts of the scored days since a date",
    )
    def alerts(
        since: Annotated[
            dt.date | None,
            Query(description="First scored day to include (default: the newest day)."),
        ] = None,
        kind: Annotated[
            list[str] | None,
            Query(description=f"Alert kinds to keep (repeatable): {', '.join(KINDS)}."),
        ] = None,
        watchlist: Annotated[
            str | None,
            Query(
                pattern=schemas.WATCHLIST_NAME_PATTERN,
                description="Only this watchlist's alerts (its companies, kinds and rules).",
            ),
        ] = None,
        caller: Caller = Read,
    ) -> Response:
        kinds = _check_kinds(kind or [])
        day = state.day()
        frame = day.alerts_since(_since(since, day), kinds)
        if watchlist is not None:
            frame = select_alerts(frame, _stored(watchlist).watchlist)
        return JSON(_alerts_answer(frame, _since(since, day), day, cfg.alerts_limit))

    def _check_kinds(kinds: list[str]) -> list[str]:
        bad = [
            {
                "type": "enum",
                "loc": ("query", "kind"),
                "msg": f"not an alert kind ({', '.join(KINDS)})",
                "input": k,
            }
            for k in kinds
            if k not in KINDS
        ]
        if bad:
            raise RequestValidationError(bad)
        return kinds

    # ------------------------------------------------------------------------ watchlists
    def _stored(name: str) -> StoredWatchlist:
        found = store.get_watchlist(name)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no watchlist named {name!r}")
        return found

    @app.get(
        "/v1/watchlists",
        response_model=list[schemas.Watchlist],
        responses=ERRORS,
        tags=["watchlists"],
        dependencies=[Depends(only_query())],
        summary="Every watchlist",
    )
    def watchlists(caller: Caller = Read) -> Response:
        return JSON([_watchlist_json(w) for w in store.list_watchlists()])

    @app.put(
        "/v1/watchlists/{name}",
        response_model=schemas.Watchlist,
        responses=WRITE_ERRORS | {201: {"model": schemas.Watchlist, "description": "Created."}},
        status_code=200,
        tags=["watchlists"],
        dependencies=[Depends(only_query())],
        summary="Create or replace a watchlist (a write key)",
    )
    def put_watchlist(
        name: WATCHLIST,
        body: Annotated[schemas.WatchlistIn, Body()],
        caller: Caller = Write,
    ) -> Response:
        watchlist = make_watchlist(
            name,
            body.codes,
            KINDS,
            body.kinds,
            body.webhook_url,
            body.rules.model_dump(),
        )
        if watchlist.webhook_url is not None:
            check_target(watchlist.webhook_url, state.own_host, state.own_port)
        before = store.get_watchlist(name)
        stored, created = store.put_watchlist(watchlist, now())
        secret_is_new = stored.webhook_secret is not None and (
            before is None or before.webhook_secret != stored.webhook_secret
        )
        log.info(
            "watchlist %s %s by key %s", name, "created" if created else "replaced", caller.key_name
        )
        return JSON(
            _watchlist_json(stored, with_secret=secret_is_new), status_code=201 if created else 200
        )

    @app.get(
        "/v1/watchlists/{name}",
        response_model=schemas.Watchlist,
        responses=ERRORS | {404: {"model": schemas.Problem, "description": "No such watchlist."}},
        tags=["watchlists"],
        dependencies=[Depends(only_query())],
        summary="One watchlist",
    )
    def get_watchlist(name: WATCHLIST, caller: Caller = Read) -> Response:
        return JSON(_watchlist_json(_stored(name)))

    @app.delete(
        "/v1/watchlists/{name}",
        status_code=204,
        responses=WRITE_ERRORS
        | {404: {"model": schemas.Problem, "description": "No such watchlist."}},
        tags=["watchlists"],
        dependencies=[Depends(only_query())],
        summary="Delete a watchlist (a write key)",
    )
    def delete_watchlist(name: WATCHLIST, caller: Caller = Write) -> Response:
        if not store.delete_watchlist(name):
            raise HTTPException(status_code=404, detail=f"no watchlist named {name!r}")
        log.info("watchlist %s deleted by key %s", name, caller.key_name)
        return Response(status_code=204)

    @app.get(
        "/v1/watchlists/{name}/alerts",
        response_model=schemas.AlertsResponse,
        responses=ERRORS | {404: {"model": schemas.Problem, "description": "No such watchlist."}},
        tags=["watchlists"],
        dependencies=[Depends(only_query("since"))],
        summary="A watchlist's alerts since a date",
    )
    def watchlist_alerts(
        name: WATCHLIST,
        since: Annotated[
            dt.date | None,
            Query(description="First scored day to include (default: the newest day)."),
        ] = None,
        caller: Caller = Read,
    ) -> Response:
        stored = _stored(name)
        day = state.day()
        frame = select_alerts(day.alerts_since(_since(since, day)), stored.watchlist)
        return JSON(_alerts_answer(frame, _since(since, day), day, cfg.alerts_limit))

    @app.get(
        "/v1/watchlists/{name}/deliveries",
        response_model=list[schemas.Delivery],
        responses=ERRORS | {404: {"model": schemas.Problem, "description": "No such watchlist."}},
        tags=["watchlists"],
        dependencies=[Depends(only_query())],
        summary="The webhook deliveries of a watchlist: delivered, pending or failed",
    )
    def deliveries(name: WATCHLIST, caller: Caller = Read) -> Response:
        _stored(name)
        return JSON([d.to_dict() for d in store.deliveries(name)])

    @app.post(
        "/v1/watchlists/{name}/deliveries/{date}/retry",
        status_code=202,
        responses=WRITE_ERRORS
        | {404: {"model": schemas.Problem, "description": "No such delivery."}},
        tags=["watchlists"],
        dependencies=[Depends(only_query())],
        summary="Send a failed delivery again, the same body newly signed (a write key)",
    )
    def retry_delivery(
        name: WATCHLIST,
        date: Annotated[dt.date, PathParam(description="The scored day of the delivery.")],
        caller: Caller = Write,
    ) -> Response:
        stored = _stored(name)
        if store.delivery(name, date.isoformat()) is None:
            raise HTTPException(
                status_code=404, detail=f"no delivery of {date} to watchlist {name!r}"
            )
        if stored.watchlist.webhook_url is None:
            raise HTTPException(status_code=409, detail=f"watchlist {name!r} has no webhook now")
        dispatcher.resend(name, date.isoformat())
        return JSON({"detail": f"delivery of {date} to {name} queued"}, status_code=202)

    # ------------------------------------------------------------------------- portfolio
    if portfolio is not None:
        install_portfolio(app, state, portfolio, Read)

    # ------------------------------------------------------------------- documentation
    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(only_query())])
    def openapi(caller: Caller = Read) -> Response:
        return JSON(app.openapi())

    from company_risk.serve.card import install_card  # here: the card imports this module

    install_card(app, state)
    return app


def install_portfolio(app: FastAPI, state: ServeState, inputs: PortfolioInputs, read) -> None:
    """`POST /v1/portfolio`: the portfolio of an uploaded ledger on the served day, as
    `company-risk portfolio --ledger` values it (company_risk.portfolio)."""
    params = inputs.params

    @app.post(
        "/v1/portfolio",
        responses=BODY_ERRORS,
        tags=["portfolio"],
        dependencies=[Depends(only_query("invoices"))],
        max_body_size=state.cfg.max_ledger_bytes,
        summary="Value a ledger of unpaid invoices on the served day (CSV body)",
        description=(
            "The body is the ledger as CSV (`,` or `;`, UTF-8 with or without BOM, decimal "
            "point or comma; the header and its Estonian aliases are in the README). The "
            "answer has the totals, open amount and expected loss by risk class, ageing by "
            "class, customers over their limit or without a recommendation, invoices unlikely "
            "to be collected, unknown customers, the largest exposures and every bad row."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": "The ledger, one open invoice a row.",
                        }
                    }
                },
            }
        },
    )
    async def value_portfolio(
        request: Request,
        invoices: Annotated[
            bool, Query(description="Include every invoice row with its score and flags.")
        ] = False,
        caller: Caller = read,
    ) -> Response:
        body = await request.body()
        day = state.day()

        def value() -> dict[str, Any]:
            # here, not at the top: the valuation pulls in scipy and matplotlib (0.6 s of the
            # server's start-up) for a route most deployments call rarely
            from company_risk.portfolio.figures import build_portfolio
            from company_risk.portfolio.ledger import parse_ledger
            from company_risk.portfolio.run import outside_statuses

            ledger = parse_ledger(body, "the uploaded ledger", params.portfolio)
            statuses = outside_statuses(inputs.interim, ledger, day.scores, day.date, params)
            result = build_portfolio(
                ledger,
                day.scores,
                statuses,
                day.date,
                params.portfolio,
                horizon_months=params.features.horizon_months,
            )
            return result.to_dict(invoices=invoices)

        try:
            answer = await run_in_threadpool(value)
        except PortfolioError as exc:  # a ledger it cannot value
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return JSON(
            answer | {"score_date": day.date.isoformat(), "model_version": day.model_version}
        )
