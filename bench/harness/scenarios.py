"""The request each scenario sends, and the WSGI environ built for it once."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Scenario:
    """One kind of request; every framework's app answers the same path."""

    name: str
    title: str
    path: str
    method: str = "GET"
    query: str = ""
    body: bytes | None = None
    content_type: str | None = None
    expected_status: int = 200
    #: Send the session cookie the app set on a first request (read + write path, not first visit).
    with_session_cookie: bool = False
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: Scenarios sharing a group are timed in the same interleaved rounds, so their ratio sees one machine state.
    group: str = ""


_FORM = urlencode(
    [("name", "Ada Lovelace"), ("email", "ada@example.com"), ("topic", "math"), ("topic", "engines")]
)
_JSON = json.dumps({"name": "numbers", "values": list(range(20))})

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "plain-text hello", "/"),
    Scenario("path_json", "path params -> JSON", "/users/42/posts/hello-world"),
    Scenario("query", "query args -> JSON", "/search", query="q=erlen&page=3&tags=fast&tags=wsgi"),
    Scenario(
        "form",
        "urlencoded form POST",
        "/form",
        method="POST",
        body=_FORM.encode(),
        content_type="application/x-www-form-urlencoded",
    ),
    Scenario(
        "json_body",
        "JSON body POST",
        "/json",
        method="POST",
        body=_JSON.encode(),
        content_type="application/json",
    ),
    Scenario("session", "session read + write", "/session", with_session_cookie=True),
    Scenario("template", "template, 10-item loop", "/template"),
    Scenario("url_for", "five url_for builds", "/urls"),
    Scenario("not_found", "404", "/no/such/page", expected_status=404),
    Scenario("blueprint", "blueprint route", "/bp/hello"),
    Scenario("hooks", "before/after/teardown + g", "/hooks"),
    Scenario("routes10_static", "10 routes: last static", "/page4", group="routes_static"),
    Scenario("routes1000_static", "1000 routes: last static", "/page499", group="routes_static"),
    Scenario("routes10_dynamic", "10 routes: last dynamic", "/item4/7", group="routes_dynamic"),
    Scenario("routes1000_dynamic", "1000 routes: last dynamic", "/item499/7", group="routes_dynamic"),
)

SCENARIO_NAMES = tuple(s.name for s in SCENARIOS)


@dataclass
class PreparedRequest:
    """An environ built once; ``fresh()`` hands out a copy with an unread body stream."""

    environ: dict[str, Any]
    body: bytes | None

    def fresh(self) -> dict[str, Any]:
        environ = self.environ.copy()
        if self.body is not None:
            environ["wsgi.input"] = io.BytesIO(self.body)
        return environ


@dataclass
class Captured:
    """What one request returned."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def status_code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def call(app: WSGIApp, environ: dict[str, Any]) -> Captured:
    """Run one request through ``app`` and keep everything it returned."""
    seen: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        seen["status"] = status
        seen["headers"] = list(headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Captured(seen["status"], seen["headers"], body)


def _build_environ(scenario: Scenario, cookie: str | None) -> dict[str, Any]:
    headers = list(scenario.headers)
    if cookie:
        headers.append(("Cookie", cookie))
    builder = EnvironBuilder(
        path=scenario.path,
        base_url="http://localhost/",
        query_string=scenario.query or None,
        method=scenario.method,
        data=scenario.body,
        content_type=scenario.content_type,
        headers=headers,
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    # A plain dict with plain values, as servers pass: no test-only keys.
    environ.pop("werkzeug.request", None)
    environ["SERVER_SOFTWARE"] = "bench"
    return environ


def _session_cookie(app: WSGIApp, scenario: Scenario) -> str:
    """The ``name=value`` of the cookie the app sets on a first visit."""
    first = call(app, PreparedRequest(_build_environ(scenario, None), scenario.body).fresh())
    set_cookie = first.header("Set-Cookie")
    if not set_cookie:
        raise RuntimeError(f"{scenario.name}: the first request set no cookie")
    return set_cookie.split(";", 1)[0]


def prepare(app: WSGIApp, scenario: Scenario) -> PreparedRequest:
    """Build the scenario's environ once for this app."""
    cookie = _session_cookie(app, scenario) if scenario.with_session_cookie else None
    return PreparedRequest(_build_environ(scenario, cookie), scenario.body)
