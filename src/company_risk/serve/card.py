"""The company card and the API's documentation page: HTML for a person with a browser, over
the same served day and the same company record (`ServedDay.company`) as the API.

A link cannot carry a bearer header, so a person signs in once with an API key (`POST /login`)
and the pages then take the session cookie of `auth.Sessions` (a bearer key works too, for
scripts). The pages must work in a closed network: nothing is fetched from anywhere, the CSS is
inline, the score history is an inline SVG drawn here, there is no script at all, and the API
documentation is rendered here from `app.openapi()` because Swagger UI would load its scripts
from a CDN. A Content-Security-Policy allowing nothing else makes the browser hold the pages to
that. Every value goes through Jinja2's autoescape; the record holds no person, so the card
cannot show one. The only forms are sign-in and sign-out: the cookie is SameSite=Strict and
the pages change nothing, so there is nothing for another site to forge.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from company_risk.schemas import REGISTRY_CODE
from company_risk.serve.app import CODE, ServeState, only_query
from company_risk.serve.auth import SESSION_COOKIE, Caller, bearer_caller, session_caller
from company_risk.serve.served import NoScoredDay

PAGE_HEADERS = {
    # nothing but the page itself and its inline CSS: no script, font, image or frame
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # the pages show scores behind a key
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


# ------------------------------------------------------------------------------ formatting
def percent(probability: float | None) -> str:
    if probability is None:
        return "–"
    if 0 < probability < 0.0001:
        return "< 0.01 %"
    return f"{probability * 100:.2f} %"


def euros(amount: float | None, missing: str = "none") -> str:
    return missing if amount is None else f"{amount:,.0f} €"


def whole(value: float | None, missing: str = "none") -> str:
    """A count or a year (the scores keep years as floats: 2024.0)."""
    return missing if value is None else f"{value:.0f}"


def as_json(value: Any) -> str:
    """The API's value of a shown field, for its `data-value` attribute: a plain string, so
    autoescape quotes it like any other value."""
    return json.dumps(value, ensure_ascii=False)


def inline_code(text: str | None) -> Markup:
    """The OpenAPI descriptions' `backticks` as <code>, everything else escaped."""
    pieces = str(text or "").split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: leave the text as it is
        return escape(text or "")
    return Markup("").join(
        Markup("<code>%s</code>") % piece if i % 2 else escape(piece)
        for i, piece in enumerate(pieces)
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("company_risk.serve", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        percent=percent, euros=euros, whole=whole, as_json=as_json, inline_code=inline_code
    )
    return env


TEMPLATES = _environment()


# ----------------------------------------------------------------------------------- chart
CHART_WIDTH, CHART_HEIGHT = 640, 220
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 64, 16, 12, 28
# the probability axis ends at the first of these at or above the highest point, so that a
# company scored around 1 % does not draw a flat line at the foot of a 0-100 % axis
AXIS_TOPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    date: str
    probability: float
    risk_class: str


@dataclass(frozen=True)
class Chart:
    """The geometry of the score-history chart; the template draws it."""

    points: tuple[ChartPoint, ...]
    ticks: tuple[tuple[float, float], ...]  # (y, probability) of each gridline
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT  # where the plot area starts and ends, in the SVG's units
    right: int = CHART_WIDTH - CHART_RIGHT
    top: int = CHART_TOP
    bottom: int = CHART_HEIGHT - CHART_BOTTOM

    @property
    def line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def history_chart(history: list[dict[str, Any]]) -> Chart | None:
    """The probability on each scored day of `history` (the record's, oldest first), placed on
    a calendar axis so a gap in the scoring shows as a gap; None without a point."""
    if not history:
        return None
    top = next((t for t in AXIS_TOPS if t >= max(h["probability"] for h in history)), 1.0)
    days = [dt.date.fromisoformat(h["date"]) for h in history]
    span = (days[-1] - days[0]).days
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM

    def y_of(probability: float) -> float:
        return CHART_TOP + plot_height * (1 - probability / top)

    points = tuple(
        ChartPoint(
            x=CHART_LEFT + (plot_width * (day - days[0]).days / span if span else plot_width / 2),
            y=y_of(h["probability"]),
            date=h["date"],
            probability=h["probability"],
            risk_class=h["risk_class"],
        )
        for day, h in zip(days, history, strict=True)
    )
    ticks = tuple((y_of(top * i / 4), top * i / 4) for i in range(5))
    return Chart(points, ticks)


# ---------------------------------------------------------------------- API documentation
TypeText = tuple[tuple[str, str | None], ...]  # (words, schema name to link or None)


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: TypeText
    required: bool
    description: str
    constraints: str = ""
    where: str = ""  # a parameter's place: path, query, header


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    description: str
    type: TypeText  # empty: no body


@dataclass(frozen=True)
class OperationDoc:
    method: str
    path: str
    summary: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[FieldDoc, ...]
    body: FieldDoc | None
    responses: tuple[ResponseDoc, ...]

    @property
    def anchor(self) -> str:
        return "op-" + re.sub(r"[^a-z0-9]+", "-", f"{self.method} {self.path}".lower()).strip("-")


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: str
    fields: tuple[FieldDoc, ...]


@dataclass(frozen=True)
class ApiReference:
    title: str
    version: str
    summary: str
    description: str
    operations: tuple[OperationDoc, ...]
    schemas: tuple[SchemaDoc, ...]


def _type(schema: dict[str, Any]) -> TypeText:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return ((name, name),)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            parts: list[tuple[str, str | None]] = []
            for i, option in enumerate(schema[combined]):
                if i:
                    parts.append((" or ", None))
                parts.extend(_type(option))
            return tuple(parts)
    kind = schema.get("type")
    if kind == "array":
        return (("list of ", None), *_type(schema.get("items", {})))
    if isinstance(kind, list):
        words = " or ".join(kind)
    else:
        words = kind or ("string" if "pattern" in schema else "any")
    if "format" in schema:
        words += f" ({schema['format']})"
    return ((words, None),)


def _constraints(schema: dict[str, Any]) -> str:
    """A schema's limits in words: pattern, range, choices, default (of the value, and of each
    item of a list)."""
    said = []
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            said.append(_constraints(option))
    if "pattern" in schema:
        said.append(f"matches {schema['pattern']}")
    if "minimum" in schema or "maximum" in schema:
        said.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "enum" in schema:
        said.append("one of " + ", ".join(map(str, schema["enum"])))
    if isinstance(schema.get("items"), dict) and _constraints(schema["items"]):
        said.append("each " + _constraints(schema["items"]))
    if "default" in schema:
        said.append(f"default {json.dumps(schema['default'])}")
    return "; ".join(s for s in said if s)


def _body_schema(content: dict[str, Any] | None) -> dict[str, Any] | None:
    media = (content or {}).get("application/json")
    return None if media is None else media.get("schema", {})


def _operation(path: str, method: str, op: dict[str, Any]) -> OperationDoc:
    parameters = tuple(
        FieldDoc(
            name=p["name"],
            type=_type(p.get("schema", {})),
            required=bool(p.get("required")),
            description=p.get("description") or p.get("schema", {}).get("description", ""),
            constraints=_constraints(p.get("schema", {})),
            where=p.get("in", ""),
        )
        for p in op.get("parameters", [])
    )
    body = None
    if "requestBody" in op:
        schema = _body_schema(op["requestBody"].get("content")) or {}
        body = FieldDoc(
            name="body",
            type=_type(schema),
            required=bool(op["requestBody"].get("required")),
            description=op["requestBody"].get("description", ""),
        )
    responses = tuple(
        ResponseDoc(
            status=status,
            description=answer.get("description", ""),
            type=_type(schema) if (schema := _body_schema(answer.get("content"))) else (),
        )
        for status, answer in sorted(op.get("responses", {}).items())
    )
    return OperationDoc(
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        tags=tuple(op.get("tags", ())),
        parameters=parameters,
        body=body,
        responses=responses,
    )


def _schema(name: str, schema: dict[str, Any]) -> SchemaDoc:
    required = set(schema.get("required", ()))
    fields = tuple(
        FieldDoc(
            name=field,
            type=_type(spec),
            required=field in required,
            description=spec.get("description", ""),
            constraints=_constraints(spec),
        )
        for field, spec in schema.get("properties", {}).items()
    )
    return SchemaDoc(name, schema.get("description", ""), fields)


def api_reference(openapi: dict[str, Any]) -> ApiReference:
    """What the documentation page shows of an OpenAPI document: every operation (parameters,
    body, answers) and every schema with its fields' descriptions."""
    info = openapi.get("info", {})
    operations = tuple(
        _operation(path, method, op)
        for path, ops in openapi.get("paths", {}).items()
        for method, op in ops.items()
        if method in HTTP_METHODS
    )
    schemas = tuple(
        _schema(name, schema)
        for name, schema in sorted(openapi.get("components", {}).get("schemas", {}).items())
    )
    return ApiReference(
        title=info.get("title", ""),
        version=str(info.get("version", "")),
        summary=info.get("summary", ""),
        description=info.get("description", ""),
        operations=operations,
        schemas=schemas,
    )


# ----------------------------------------------------------------------------------- pages
def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def to_start() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


def install_card(app: FastAPI, state: ServeState) -> None:
    """Add the card's pages to `app` (none of them in `/openapi.json`): `/` (sign-in, then the
    search), `POST /login`, `POST /logout`, `/companies?code=`, `/companies/{code}`, `/docs`."""
    no_query = [Depends(only_query())]

    def signed_in(request: Request) -> Caller | None:
        """The session's caller, or a bearer key's (a wrong key is refused with 401)."""
        caller = session_caller(request, state.store, state.sessions)
        if caller is None and "authorization" in request.headers:
            caller = bearer_caller(request, state.store, write=False)
        return caller

    @app.get("/", include_in_schema=False, dependencies=no_query)
    def start(request: Request) -> Response:
        if signed_in(request) is None:
            return page("signin.html", signed_in=False, error=None)
        return page("search.html", signed_in=True, code="", error=None)

    @app.post("/login", include_in_schema=False, dependencies=no_query)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
        presented = (form.get("key") or [""])[0].strip()
        key = await run_in_threadpool(state.store.key_for, presented) if presented else None
        if key is None or not key.active:
            reason = "missing" if not presented else "unknown" if key is None else "revoked"
            return page("signin.html", status_code=401, signed_in=False, error=reason)
        state.sessions.close(request.cookies.get(SESSION_COOKIE))  # a browser signing in again
        response = to_start()
        response.set_cookie(
            SESSION_COOKIE,
            state.sessions.open(key),
            max_age=int(state.cfg.session_hours * 3600),
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    @app.post("/logout", include_in_schema=False, dependencies=no_query)
    def logout(request: Request) -> Response:
        state.sessions.close(request.cookies.get(SESSION_COOKIE))
        response = to_start()
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/companies", include_in_schema=False, dependencies=[Depends(only_query("code"))])
    def search(request: Request, code: str = Query("")) -> Response:
        if signed_in(request) is None:
            return to_start()
        code = code.strip()
        if REGISTRY_CODE.fullmatch(code):
            return RedirectResponse(f"/companies/{code}", status_code=303)
        return page("search.html", status_code=422, signed_in=True, code=code, error="code")

    @app.get("/companies/{registry_code}", include_in_schema=False, dependencies=no_query)
    def card(request: Request, registry_code: CODE) -> Response:
        if signed_in(request) is None:
            return to_start()
        try:
            day = state.served.day()
        except NoScoredDay:  # said without the server's paths, which the exception names
            return page("no_day.html", 503, signed_in=True)
        record = day.company(registry_code, state.cfg.history_days)
        if record is None:
            return page(
                "not_scored.html",
                404,
                signed_in=True,
                code=registry_code,
                date=day.date,
                departure=day.departure(registry_code),
            )
        found = day.alerts_since(day.history.dates[0], codes=[registry_code])
        alerts = [
            {"date": row["date"], "kind": row["kind"], "detail": row.get("detail", "")}
            for row in reversed(found.to_dict(orient="records"))
        ]
        return page(
            "card.html",
            signed_in=True,
            company=record,
            chart=history_chart(record["history"]),
            alerts=alerts,
            kept_days=len(day.history.dates),
        )

    @app.get("/docs", include_in_schema=False, dependencies=no_query)
    def docs(request: Request) -> Response:
        if signed_in(request) is None:
            return to_start()
        return page("docs.html", signed_in=True, api=api_reference(app.openapi()))
