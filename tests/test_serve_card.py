"""The company card and the API documentation pages (company_risk.serve.card) through
FastAPI's TestClient, over a copy of the tiny project's two scored days (serving.ServeSetup,
with a clock the sessions end by): sign-in and sign-out, the redirects of a browser without a
session, the card's values against the API's JSON for the same company, the 404 page, the
documentation against `app.openapi()`, and pages that fetch nothing from anywhere and escape
what they are given.

The card marks each value it shows with `data-field` (the record's field, dotted inside
`facts` and `term_structure`) and `data-value` (the value as JSON); `Marked` reads them.
"""

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from company_risk.serve.app import create_app
from company_risk.serve.auth import SESSION_COOKIE
from company_risk.serve.card import api_reference, history_chart, inline_code, percent
from company_risk.store import Store
from serving import CFG, NOW, ServeSetup

# fields of the API's record the card does not show as one value: the register status (only
# registered companies are scored) and the history (the chart's points)
NOT_ONE_VALUE = {"status", "history"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Clock:
    """The app's `now`, which a test may move (sessions end by it)."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> dt.datetime:
        return self.at


class Marked(HTMLParser):
    """A page's elements marked with data-field: {field: (data-value or None, text)}, and the
    chart's points (the attributes of each <circle>)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, tuple[str | None, str]] = {}
        self.points: list[dict[str, str | None]] = []
        self._stack: list[str] = []
        self._open: list[tuple[int, dict[str, str | None], list[str]]] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "circle":
            self.points.append(attributes)
        if tag in VOID:
            return
        self._stack.append(tag)
        if "data-field" in attributes:
            self._open.append((len(self._stack), attributes, []))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in self._stack:
            return
        while self._stack.pop() != tag:
            pass
        while self._open and self._open[-1][0] > len(self._stack):
            _, attributes, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            self.fields[attributes["data-field"]] = (attributes.get("data-value"), text)

    def handle_data(self, data):
        for _, _, parts in self._open:
            parts.append(data)


def value_at(record: dict, field: str):
    """The record's value of a dotted data-field name (`facts.tax_debt`)."""
    for part in field.split("."):
        record = record[part]
    return record


@pytest.fixture(scope="module")
def world(tiny_project, tmp_path_factory):
    """The app over a copy of the tiny project's scores and a fresh store with a read key, and
    the clock its sessions end by."""
    setup = ServeSetup.make(tiny_project / "data" / "scores", tmp_path_factory.mktemp("card"))
    clock = Clock()
    app = create_app(setup.scores, setup.store, setup.cfg, today=lambda: setup.today, now=clock)
    with TestClient(app) as client:
        yield {
            "app": app,
            "store": setup.store,
            "clock": clock,
            "key": setup.read_key,
            "client": client,
        }


@pytest.fixture
def client(world):
    """The module's client without cookies, so no test starts signed in."""
    world["client"].cookies.clear()
    return world["client"]


@pytest.fixture
def signed_in(world, client):
    response = client.post("/login", data={"key": world["key"]}, follow_redirects=False)
    assert response.status_code == 303
    return client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def api_record(world, code: str) -> dict:
    response = world["client"].get(
        f"/v1/companies/{code}",
        params={"days": CFG.history_days},
        headers=bearer(world["key"]),
    )
    assert response.status_code == 200, response.text
    return response.json()


def scored_codes(world) -> list[str]:
    return list(world["app"].state.serve.day().scores["company_id"])


def code_with_alerts(world) -> str:
    alerts = world["app"].state.serve.day().alerts
    return sorted(alerts["company_id"])[0]


# ------------------------------------------------------------------------------ sign-in
def test_sign_in_with_a_key_gives_a_strict_session_cookie_and_sign_out_ends_it(world, client):
    start = client.get("/")
    assert start.status_code == 200
    assert 'action="/login"' in start.text and 'name="key"' in start.text

    signed = client.post("/login", data={"key": world["key"]}, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, "/")
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert world["key"] not in cookie  # the session is a random token, not the key

    search = client.get("/")
    assert 'action="/companies"' in search.text and 'name="code"' in search.text
    token = client.cookies[SESSION_COOKIE]

    out = client.post("/logout", follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/")
    assert 'action="/login"' in client.get("/").text
    # the ended session is refused even when a browser still sends it
    client.cookies.set(SESSION_COOKIE, token)
    again = client.get("/docs", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/")


@pytest.mark.parametrize(
    ("presented", "said"),
    [("crk_not-a-key", "not known"), ("", "Enter an API key"), ("revoked", "revoked")],
)
def test_a_wrong_missing_or_revoked_key_shows_the_form_again_with_401(
    world, client, presented, said
):
    if presented == "revoked":
        presented = world["store"].add_key("gone", "read", NOW)
        world["store"].revoke_key("gone", NOW)
    response = client.post("/login", data={"key": presented}, follow_redirects=False)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert 'action="/login"' in response.text
    assert said in Marked(response.text).fields["error"][1]


def test_a_session_ends_when_its_key_is_revoked_or_its_hours_are_over(world, client):
    store, clock = world["store"], world["clock"]
    key = store.add_key("short", "read", NOW)
    client.post("/login", data={"key": key})
    assert client.get("/docs", follow_redirects=False).status_code == 200
    clock.at = NOW + dt.timedelta(hours=CFG.session_hours, minutes=1)
    try:
        assert client.get("/docs", follow_redirects=False).status_code == 303
    finally:
        clock.at = NOW
    client.post("/login", data={"key": key})
    store.revoke_key("short", NOW)
    assert client.get("/docs", follow_redirects=False).headers["location"] == "/"


@pytest.mark.parametrize("path", ["/companies/10000001", "/companies?code=10000001", "/docs"])
def test_pages_send_a_browser_without_a_session_to_the_start_and_take_a_bearer_key(
    world, client, path
):
    response = client.get(path, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert client.get(path, headers=bearer(world["key"]), follow_redirects=False).status_code in (
        200,
        303,  # the search's redirect to the card
        404,  # 10000001 need not be scored
    )
    wrong = client.get(path, headers=bearer("crk_wrong"), follow_redirects=False)
    assert wrong.status_code == 401


def test_the_api_never_takes_the_session_cookie(signed_in):
    assert signed_in.get("/v1/watchlists").status_code == 401
    assert signed_in.get("/openapi.json").status_code == 401


# ------------------------------------------------------------------------------- search
def test_search_redirects_to_the_card(world, signed_in):
    code = scored_codes(world)[0]
    for asked in (code, f"  {code} "):
        response = signed_in.get("/companies", params={"code": asked}, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/companies/{code}")


@pytest.mark.parametrize("asked", ["", "1234567", "123456789", "abcdefgh", "١٢٣٤٥٦٧٨"])
def test_search_names_the_field_when_the_code_is_not_8_digits(signed_in, asked):
    response = signed_in.get("/companies", params={"code": asked}, follow_redirects=False)
    assert response.status_code == 422
    _, text = Marked(response.text).fields["error"]
    assert text.startswith("Registry code") and "8 digits" in text
    assert 'name="code"' in response.text  # the search again, to correct it


def test_pages_refuse_query_parameters_they_do_not_take(signed_in):
    assert signed_in.get("/companies", params={"code": "1", "cdoe": "2"}).status_code == 422
    assert signed_in.get("/docs", params={"x": "1"}).status_code == 422


# --------------------------------------------------------------------------------- card
def test_card_shows_the_api_record_of_the_company(world, signed_in):
    for code in {code_with_alerts(world), *scored_codes(world)[:3]}:
        record = api_record(world, code)
        page = signed_in.get(f"/companies/{code}")
        assert page.status_code == 200
        marked = Marked(page.text)
        shown = {f: json.loads(v) for f, (v, _) in marked.fields.items() if v is not None}
        for field, value in shown.items():
            assert value == value_at(record, field), (code, field)
        expected = {k for k in record if k not in NOT_ONE_VALUE | {"facts", "term_structure"}}
        expected |= {f"facts.{k}" for k in record["facts"]}
        expected |= {f"term_structure.{k}" for k in record["term_structure"] or {}}
        assert set(shown) == expected
        # the words: the probability as a percentage, the class with its name, the reasons
        assert marked.fields["probability"][1] == percent(record["probability"])
        assert marked.fields["name"][1] == record["name"]
        assert marked.fields["class_name"][1] == record["class_name"]
        assert all(reason in marked.fields["reasons"][1] for reason in record["reasons"])
        assert [(p["data-date"], json.loads(p["data-probability"])) for p in marked.points] == [
            (h["date"], h["probability"]) for h in record["history"]
        ]


def test_card_lists_the_company_alerts_of_the_kept_days_newest_first(world, signed_in):
    code = code_with_alerts(world)
    day = world["app"].state.serve.day()
    answer = world["client"].get(
        "/v1/alerts",
        params={"since": day.history.dates[0].isoformat()},
        headers=bearer(world["key"]),
    )
    own = [a for a in answer.json()["alerts"] if a["company_id"] == code]
    page = signed_in.get(f"/companies/{code}").text
    table = page[page.index('data-field="alerts"') :]
    rows = re.findall(r'<tr data-kind="([^"]+)"><td>([^<]+)</td>', table)
    assert rows == [(a["kind"], a["date"]) for a in reversed(own)]
    assert all(str(escape(a["detail"])) in table for a in own)


def test_a_code_not_scored_gets_a_404_page_saying_so(world, signed_in):
    unscored = "99999999"
    assert unscored not in scored_codes(world)
    response = signed_in.get(f"/companies/{unscored}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    _, text = Marked(response.text).fields["problem"]
    assert unscored in text and "not scored" in text


def test_before_the_first_scored_day_the_card_says_so_without_the_server_paths(tmp_path):
    store = Store(tmp_path / "serve.sqlite")
    key = store.add_key("early", "read", NOW)
    app = create_app(tmp_path / "scores", store, CFG, today=lambda: NOW.date(), now=lambda: NOW)
    with TestClient(app) as early:
        response = early.get("/companies/10000001", headers=bearer(key))
        assert response.status_code == 503
        assert "No scored day yet" in response.text and str(tmp_path) not in response.text
        assert early.get("/docs", headers=bearer(key)).status_code == 200


def test_no_card_shows_a_person(world, signed_in, personal_data):
    for code in scored_codes(world):
        page = signed_in.get(f"/companies/{code}").text
        assert not [p for p in personal_data if p in page], code


# --------------------------------------------------------------------------------- docs
def test_docs_page_documents_every_route_parameter_and_field(world, signed_in):
    response = signed_in.get("/docs")
    assert response.status_code == 200
    page = response.text
    openapi = world["app"].openapi()
    documented = set(re.findall(r'data-method="(\w+)" data-path="([^"]+)"', page))
    routes = {(m.upper(), p) for p, ops in openapi["paths"].items() for m in ops}
    assert documented == routes
    assert {p for _, p in routes if p.startswith("/v1/")} >= {
        "/v1/companies/{registry_code}",
        "/v1/companies/query",
        "/v1/alerts",
        "/v1/watchlists/{name}",
    }
    described = [
        spec.get("description")
        for schema in openapi["components"]["schemas"].values()
        for spec in schema.get("properties", {}).values()
    ]
    described += [
        p.get("description")
        for ops in openapi["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
    ]
    descriptions = [d for d in described if d]
    assert len(descriptions) > 50
    for description in descriptions:
        assert str(inline_code(description)) in page, description
    # the company look-up answers with the record's schema, linked to its fields
    look_up = page[page.index('data-path="/v1/companies/{registry_code}"') :]
    assert re.search(
        r'data-status="200"><td>200</td><td><a href="#schema-CompanyWithHistory"', look_up
    )
    assert 'id="schema-CompanyWithHistory"' in page


def test_api_reference_reads_types_constraints_and_bodies():
    document = {
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x/{code}": {
                "put": {
                    "summary": "s",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^\\d{8}$"},
                            "description": "a code",
                        },
                        {
                            "name": "since",
                            "in": "query",
                            "schema": {
                                "anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]
                            },
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/In"}}
                        },
                    },
                    "responses": {
                        "204": {"description": "done"},
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/In"},
                                    }
                                }
                            },
                        },
                    },
                },
                "parameters": [],  # path-level, not an operation
            }
        },
        "components": {
            "schemas": {
                "In": {
                    "properties": {
                        "n": {"type": "integer", "minimum": 1, "maximum": 9, "default": 3}
                    },
                    "required": ["n"],
                }
            }
        },
    }
    (op,) = api_reference(document).operations
    assert (op.method, op.path, op.anchor) == ("PUT", "/x/{code}", "op-put-x-code")
    code, since = op.parameters
    assert (code.where, code.required, code.constraints) == ("path", True, "matches ^\\d{8}$")
    assert since.type == (("string (date)", None), (" or ", None), ("null", None))
    assert op.body.type == (("In", "In"),) and op.body.required
    assert [(r.status, r.type) for r in op.responses] == [
        ("200", (("list of ", None), ("In", "In"))),
        ("204", ()),
    ]
    (schema,) = api_reference(document).schemas
    (n,) = schema.fields
    assert (n.required, n.constraints) == (True, "1 to 9; default 3")


# ----------------------------------------------------------------- offline and escaped
def test_pages_fetch_nothing_from_anywhere_and_run_no_script(world, client, signed_in):
    code = scored_codes(world)[0]
    pages = {
        path: signed_in.get(path)
        for path in ("/", f"/companies/{code}", "/companies/99999999", "/docs")
    }
    signed_in.cookies.clear()
    pages["sign-in"] = client.get("/")
    for name, response in pages.items():
        page = response.text
        assert "<script" not in page.lower(), name
        outside = re.findall(r'(?:src|href|action)\s*=\s*["\']?\s*(?:https?:)?//', page, re.I)
        outside += re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//", page, re.I)
        assert not outside, name
        assert "http://" not in page and "https://" not in page, name
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy, name
        assert response.headers["cache-control"] == "no-store"


def test_what_a_page_is_given_is_escaped(signed_in):
    response = signed_in.get("/companies", params={"code": '<b id="x">&'})
    assert response.status_code == 422
    assert '<b id="x">' not in response.text
    assert "&lt;b id=&#34;x&#34;&gt;&amp;" in response.text
    assert str(inline_code("a `<i>` b <u>")) == "a <code>&lt;i&gt;</code> b &lt;u&gt;"


def test_chart_places_the_scored_days_on_a_calendar_axis_that_fits_the_highest_point():
    history = [
        {"date": "2025-10-01", "probability": 0.01, "risk_class": "II"},
        {"date": "2025-10-02", "probability": 0.03, "risk_class": "III"},
        {"date": "2025-10-05", "probability": 0.02, "risk_class": "II"},
    ]
    chart = history_chart(history)
    xs = [p.x for p in chart.points]
    assert (xs[0], xs[-1]) == (chart.left, chart.right)
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) / 4)  # one day of four
    assert chart.ticks[-1] == (chart.top, 0.05)  # the axis ends at 5 %, above the 3 % point
    assert chart.ticks[0] == (chart.bottom, 0.0)
    assert chart.points[1].y < chart.points[2].y < chart.points[0].y
    (alone,) = history_chart(history[:1]).points
    assert alone.x == (chart.left + chart.right) / 2
    assert history_chart([]) is None
