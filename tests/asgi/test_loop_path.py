"""The ASGI loop path (``ASGIMixin.asgi_app`` with the request cycle written out) answers exactly as the general
lifecycle does.

An app whose class overrides a lifecycle method is served by ``app.wsgi_app`` in the pool, through the general
methods; the same routes on a plain ``Erlen`` (async views, so the loop path) take the written-out push, lean
dispatch, plain answer (str, bytes, dict and list without a Response object) and pop. Status, header pairs and
body must be identical, as ``tests/test_request_path.py`` checks for WSGI.
"""

from __future__ import annotations

import asyncio
import typing as t

import pytest

import erlen
from erlen import Erlen, after_this_request, request, session, url_for
from erlen.asgi_testing import ASGIClient, _http_scope
from erlen.ctx import AppContext, RequestContext
from erlen.globals import app_ctx, request_ctx


class GeneralPathErlen(Erlen):
    """Overrides a lifecycle method without changing it: ASGI then runs ``wsgi_app`` in the pool."""

    def preprocess_request(self) -> t.Any:
        return super().preprocess_request()


class OwnResponse(erlen.Response):
    """A response class of the app's own: str answers take the general plain branch, not the stock one."""


def build(app_class: type[Erlen], response_class: type[erlen.Response] | None = None) -> Erlen:
    app = app_class(__name__)
    app.secret_key = "test"
    if response_class is not None:
        app.response_class = response_class

    @app.route("/")
    async def hello() -> str:
        return "Hello"

    @app.route("/text")
    async def text() -> str:
        return "h\u00e9llo"

    @app.route("/bytes")
    async def raw() -> bytes:
        return b"\x00raw"

    @app.route("/dict")
    async def as_dict() -> dict[str, t.Any]:
        return {"b": 1, "a": [1, 2], "\u00e9": None}

    @app.route("/list")
    async def as_list() -> list[int]:
        return [3, 2, 1]

    @app.route("/users/<int:user_id>/<slug>")
    async def user(user_id: int, slug: str) -> t.Any:
        return erlen.jsonify(user_id=user_id, slug=slug, url=url_for("user", user_id=1, slug="x"))

    @app.route("/later")
    async def later() -> str:
        @after_this_request
        def add_header(response: t.Any) -> t.Any:
            response.headers["X-Later"] = "yes"
            return response

        return "later"

    @app.route("/count")
    async def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/where")
    async def where() -> t.Any:
        return {
            "rule": str(request.url_rule),
            "args": request.view_args,
            "endpoint": request.endpoint,
            "path": request.path,
            "root": request.root_path,
        }

    @app.route("/only-post", methods=["POST"])
    async def only_post() -> str:
        return "posted"

    @app.route("/defaults", defaults={"page": 1})
    @app.route("/defaults/<int:page>")
    async def defaults(page: int) -> str:
        return f"page {page}"

    @app.route("/empty")
    async def empty() -> tuple[str, int]:
        return "", 204

    @app.route("/made")
    async def made() -> t.Any:
        return app.response_class("made", status=201, headers={"X-Made": "1"})

    @app.route("/tuple")
    async def as_tuple() -> t.Any:
        return "tupled", 202, {"X-Tuple": "1"}

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("boom")

    @app.errorhandler(ValueError)
    async def on_value_error(e: ValueError) -> tuple[str, int]:
        return f"handled {e}", 418

    return app


def call(
    client: ASGIClient,
    path: str,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    **scope: t.Any,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent: list[dict[str, t.Any]] = []
    full_scope = {**_http_scope(method, path, headers or []), **scope}

    received: list[bool] = []

    async def receive() -> dict[str, t.Any]:
        if not received:
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # as a server does until the client goes away
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    client.run(client.app(full_scope, receive, send))
    start, *bodies = sent
    assert all(message["type"] == "http.response.body" for message in bodies)
    return start["status"], list(start["headers"]), b"".join(message.get("body", b"") for message in bodies)


REQUESTS: list[tuple[str, str, dict[str, t.Any]]] = [
    ("/", "GET", {}),
    ("/", "HEAD", {}),
    ("/", "OPTIONS", {}),
    ("/", "POST", {}),
    ("/text", "GET", {}),
    ("/bytes", "GET", {}),
    ("/bytes", "HEAD", {}),
    ("/dict", "GET", {}),
    ("/list", "GET", {}),
    ("/list", "HEAD", {}),
    ("/users/3/hello", "GET", {}),
    ("/users/x/hello", "GET", {}),
    ("/users/3/hello/", "GET", {}),
    ("//users/3/hello", "GET", {}),
    ("/later", "GET", {}),
    ("/count", "GET", {}),
    ("/count", "GET", {"headers": [(b"host", b"localhost"), (b"cookie", b"session=garbage")]}),
    ("/", "GET", {"headers": [(b"host", b"localhost"), (b"cookie", b"other=1")]}),
    ("/dict", "GET", {"headers": [(b"host", b"localhost"), (b"cookie", b"other=1")]}),
    ("/where", "GET", {}),
    ("/root/where?x=1", "GET", {"root_path": "/root"}),
    ("/only-post", "GET", {}),
    ("/only-post", "POST", {}),
    ("/defaults", "GET", {}),
    ("/defaults/1", "GET", {}),
    ("/defaults/2", "GET", {}),
    ("/empty", "GET", {}),
    ("/made", "GET", {}),
    ("/tuple", "GET", {}),
    ("/boom", "GET", {}),
    ("/missing", "GET", {}),
    ("/", "GET", {"headers": [(b"host", b"bad host\x01")]}),
    ("/", "GET", {"headers": []}),
]


@pytest.fixture(params=[None, OwnResponse], ids=["stock response", "own response class"])
def clients(request: pytest.FixtureRequest) -> t.Iterator[tuple[ASGIClient, ASGIClient]]:
    loop_path = ASGIClient(build(Erlen, request.param))
    general = ASGIClient(build(GeneralPathErlen, request.param))
    yield loop_path, general
    loop_path.close()
    general.close()


@pytest.mark.parametrize(("path", "method", "scope"), REQUESTS)
def test_loop_path_answers_like_the_general_path(
    clients: tuple[ASGIClient, ASGIClient], path: str, method: str, scope: dict[str, t.Any]
) -> None:
    loop_path, general = clients
    assert loop_path.app._dispatch_mode() == 1 and general.app._dispatch_mode() == 0
    assert call(loop_path, path, method, **scope) == call(general, path, method, **scope)


def test_contexts_made_by_the_loop_path_are_ordinary_contexts() -> None:
    """The loop path makes its contexts without calling their constructors; they must hold what those set."""
    app = Erlen(__name__)
    seen: dict[str, t.Any] = {}

    @app.route("/")
    async def index() -> str:
        ctx, actx = request_ctx._get_current_object(), app_ctx._get_current_object()
        seen["ctx"] = (
            type(ctx),
            list(vars(ctx)),
            ctx.app is app,
            ctx.request is request._get_current_object(),
        )
        seen["app"] = (type(actx), list(vars(actx)), actx.app is app)
        seen["values"] = (ctx.flashes, ctx._opened_session, ctx._after_request_functions, len(ctx._cv_tokens))
        return "ok"

    with ASGIClient(app) as client:
        assert client.get("/").data == b"ok"
    with app.test_request_context("/"):
        pass
    environ = {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "http", "SCRIPT_NAME": ""}
    made = RequestContext(app, environ, app.request_class(environ))
    assert seen["ctx"] == (RequestContext, list(vars(made)), True, True)
    assert seen["app"] == (AppContext, list(vars(AppContext(app))), True)
    assert seen["values"] == (None, None, [], 1)


def test_uploads_and_own_close_still_close() -> None:
    """The usual pop skips the uploads check only for a request without a body; a request class of the app's
    own with its own close is still closed."""
    closed: list[str] = []

    class ClosingRequest(erlen.Request):
        def close(self) -> None:
            closed.append(self.path)
            super().close()

    app = Erlen(__name__)
    app.request_class = ClosingRequest
    files: list[t.Any] = []

    @app.route("/", methods=["GET", "POST"])
    async def index() -> str:
        files.extend(request.files.values())
        return "ok"

    boundary = "b0undary"
    upload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    )
    with ASGIClient(app) as client:
        assert client.get("/").data == b"ok"
        response = client.post(
            "/", data=upload, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
        )
        assert response.data == b"ok"
    assert closed == ["/", "/"]
    assert len(files) == 1 and files[0].stream.closed
