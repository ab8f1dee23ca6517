"""The app settings the WSGI request path depends on take effect whenever they are assigned.

``wsgi_app``, ``request_class``, ``response_class`` and ``session_interface`` decide how the inline path serves a
request (whether it runs at all, whether the request object can wait for first use, whether a str answer may be
written without a Response object). The app reads what they imply when it starts serving and again whenever one
of them is assigned or deleted on the app; these tests change each one after the first request.
"""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.test import EnvironBuilder

import erlen
from erlen import Erlen
from erlen.asgi_testing import ASGIClient
from erlen.sessions import SecureCookieSessionInterface


class TaggedResponse(erlen.Response):
    """A response class that marks every response it makes."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers["X-Tagged"] = "yes"


class EagerInterface(SecureCookieSessionInterface):
    """A custom session interface (so opened at push, as in Flask) that records the paths it opened for."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open_session(self, app: t.Any, request: t.Any) -> t.Any:
        self.opened.append(request.path)
        return super().open_session(app, request)


def wrap_wsgi_app(app: Erlen) -> list[str]:
    """Wrap ``app.wsgi_app`` in a middleware; returns the list of paths it saw."""
    inner = app.wsgi_app
    seen: list[str] = []

    def middleware(environ: t.Any, start_response: t.Any) -> t.Any:
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    return seen


def build() -> Erlen:
    app = Erlen(__name__)
    app.secret_key = "test"

    @app.route("/")
    def hello() -> str:
        return "Hello"

    return app


def call(app: Erlen, path: str = "/") -> tuple[str, list[tuple[str, str]], bytes]:
    environ = EnvironBuilder(path).get_environ()
    seen: dict[str, t.Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_wsgi_app_wrapped_before_the_first_request_runs() -> None:
    app = build()
    seen = wrap_wsgi_app(app)
    assert call(app)[2] == b"Hello"
    assert seen == ["/"]


def test_wsgi_app_assigned_after_serving_started_runs_and_deleting_it_restores_the_app() -> None:
    app = build()
    assert call(app)[2] == b"Hello"
    seen = wrap_wsgi_app(app)
    assert call(app)[2] == b"Hello"
    assert seen == ["/"]
    del app.wsgi_app
    assert call(app)[2] == b"Hello"
    assert seen == ["/"]


def test_request_class_assigned_after_serving_started_is_constructed() -> None:
    made: list[str] = []

    class CountingRequest(erlen.Request):
        def __init__(self, environ: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(environ, *args, **kwargs)
            made.append(self.path)

    app = build()
    assert call(app)[2] == b"Hello"
    app.request_class = CountingRequest
    assert call(app)[2] == b"Hello"
    assert made == ["/"]


def test_response_class_assigned_after_serving_started_makes_the_response() -> None:
    app = build()
    assert ("X-Tagged", "yes") not in call(app)[1]
    app.response_class = TaggedResponse
    status, headers, body = call(app)
    assert (status, body) == ("200 OK", b"Hello")
    assert ("X-Tagged", "yes") in headers
    del app.response_class
    assert ("X-Tagged", "yes") not in call(app)[1]


def test_session_interface_assigned_after_serving_started_is_opened() -> None:
    app = build()
    assert call(app)[2] == b"Hello"
    app.session_interface = interface = EagerInterface()
    assert call(app)[2] == b"Hello"
    assert interface.opened == ["/"]


def test_class_settings_changed_before_the_first_request_take_effect() -> None:
    class App(Erlen):
        pass

    app = App(__name__)

    @app.route("/")
    def hello() -> str:
        return "Hello"

    App.response_class = TaggedResponse
    assert ("X-Tagged", "yes") in call(app)[1]


@pytest.mark.parametrize("lifespan", [False, True])
@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_class_settings_changed_before_the_first_asgi_request_take_effect(
    lifespan: bool, view_kind: str
) -> None:
    class App(Erlen):
        pass

    app = App(__name__)
    if view_kind == "async":

        @app.route("/")
        async def hello() -> str:
            return "Hello"

    else:

        @app.route("/")
        def hello_sync() -> str:
            return "Hello"

    client = ASGIClient(app, lifespan=lifespan)
    try:
        if lifespan:
            assert client.startup()["type"] == "lifespan.startup.complete"
        App.response_class = TaggedResponse
        response = client.get("/")
        assert response.data == b"Hello" and response.headers["X-Tagged"] == "yes"
    finally:
        client.close()


def test_settings_assigned_after_serving_started_apply_under_asgi() -> None:
    app = Erlen(__name__)
    app.secret_key = "test"

    @app.route("/")
    async def hello() -> str:
        return "Hello"

    client = ASGIClient(app)
    try:
        first = client.get("/")
        assert first.data == b"Hello" and "X-Tagged" not in first.headers
        app.response_class = TaggedResponse
        app.session_interface = interface = EagerInterface()
        second = client.get("/")
        assert second.data == b"Hello" and second.headers["X-Tagged"] == "yes"
        assert interface.opened == ["/"]
        seen = wrap_wsgi_app(app)
        assert client.get("/").data == b"Hello"
        assert seen == ["/"]
    finally:
        client.close()
