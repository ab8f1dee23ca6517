"""Both contexts live in one context variable; what each stage of a request sees is what Flask's two show.

A request that pushes its own app context sets the pair once, so these tests check the points where the two
used to differ: app teardown runs with the app context current and no request context, an
``appcontext_pushed`` receiver sees the app context on its own, a nested app context keeps the request visible,
and after every kind of request (lean, with teardown, 404, general path, ASGI) nothing is left current.
"""

from __future__ import annotations

import asyncio
import typing as t

import pytest
from werkzeug.local import LocalProxy
from werkzeug.test import EnvironBuilder

import erlen
from erlen import Erlen, has_app_context, has_request_context, request
from erlen.globals import _cv_app, _cv_contexts, _cv_request


class GeneralPathErlen(Erlen):
    """Overrides a lifecycle method without changing it, which switches the inline path off."""

    def preprocess_request(self) -> t.Any:
        return super().preprocess_request()


def build(app_class: type[Erlen] = Erlen) -> Erlen:
    app = app_class(__name__)

    @app.route("/")
    def hello() -> str:
        return "Hello"

    @app.route("/path")
    def path() -> str:
        return request.path

    return app


def call(app: Erlen, path: str = "/") -> tuple[str, bytes]:
    environ = EnvironBuilder(path).get_environ()
    seen: dict[str, t.Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        seen["status"] = status

    body = b"".join(app(environ, start_response))
    return seen["status"], body


@pytest.mark.parametrize("app_class", [Erlen, GeneralPathErlen])
@pytest.mark.parametrize("path", ["/", "/path", "/missing"])
@pytest.mark.parametrize("teardown", [False, True])
def test_nothing_is_current_after_a_request(app_class: type[Erlen], path: str, teardown: bool) -> None:
    app = build(app_class)
    torn: list[BaseException | None] = []
    if teardown:
        app.teardown_request(torn.append)
    status, _ = call(app, path)
    assert status == ("404 NOT FOUND" if path == "/missing" else "200 OK")
    assert _cv_contexts.get(None) is None
    assert torn == ([None] if teardown else [])


def test_app_teardown_sees_the_app_context_alone() -> None:
    app = build()
    seen: list[tuple[bool, bool, str]] = []

    @app.teardown_appcontext
    def record(exc: BaseException | None) -> None:
        seen.append((has_app_context(), has_request_context(), erlen.current_app.name))

    assert call(app)[1] == b"Hello"
    assert seen == [(True, False, app.name)]
    assert _cv_contexts.get(None) is None


def test_appcontext_pushed_receiver_sees_no_request_yet() -> None:
    app = build()
    seen: list[tuple[bool, bool]] = []

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        seen.append((has_app_context(), has_request_context()))

    with erlen.appcontext_pushed.connected_to(receiver, app):
        assert call(app, "/path")[1] == b"/path"
    assert seen == [(True, False)]
    assert _cv_contexts.get(None) is None


def test_nested_app_context_keeps_the_request_visible() -> None:
    app = build()
    other = Erlen("other")
    with app.test_request_context("/path"):
        outer = _cv_app.get()
        with other.app_context():
            assert erlen.current_app._get_current_object() is other
            assert request.path == "/path"
        assert _cv_app.get() is outer
        assert request.path == "/path"
    assert _cv_contexts.get(None) is None


def test_flask_variable_names_work_as_context_variables() -> None:
    app = build()
    assert _cv_app.get(None) is None and _cv_request.get(None) is None
    with pytest.raises(LookupError):
        _cv_request.get()
    g_proxy: t.Any = LocalProxy(_cv_app, "g")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="outside of application context"):
        g_proxy.anything  # noqa: B018
    with app.test_request_context("/path") as ctx:
        assert _cv_request.get() is ctx
        assert _cv_app.get().app is app
        g_proxy.value = 1
        assert erlen.g.value == 1
        token = _cv_request.set(None)
        assert not has_request_context() and has_app_context()
        _cv_request.reset(token)
        assert _cv_request.get() is ctx
    assert _cv_contexts.get(None) is None


def test_asgi_requests_leave_nothing_current() -> None:
    app = build()
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)

    async def run(path: str) -> int:
        sent: list[dict[str, t.Any]] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost")],
            "server": ("localhost", 80),
            "client": ("127.0.0.1", 1234),
        }

        async def receive() -> dict[str, t.Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert _cv_contexts.get(None) is None
        return int(sent[0]["status"])

    assert asyncio.run(run("/path")) == 200
    assert asyncio.run(run("/missing")) == 404
    assert torn == [None, None]
