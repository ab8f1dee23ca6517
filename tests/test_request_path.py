"""The inline WSGI request path answers exactly as the general lifecycle methods do.

An app whose class overrides a lifecycle method runs the general path (``Erlen.wsgi_app``); the same routes on
a plain ``Erlen`` run the inline one, including its lean branch (no hooks: the view is called directly and a
str answer is written without a Response object). Status, headers and body must be identical.
"""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.test import EnvironBuilder

import erlen
from erlen import Erlen, after_this_request, request, session, url_for


class GeneralPathErlen(Erlen):
    """Overrides a lifecycle method without changing it, which switches the inline path off."""

    def preprocess_request(self) -> t.Any:
        return super().preprocess_request()


def build(app_class: type[Erlen]) -> Erlen:
    app = app_class(__name__)
    app.secret_key = "test"

    @app.route("/")
    def hello() -> str:
        return "Hello"

    @app.route("/users/<int:user_id>/<slug>")
    def user(user_id: int, slug: str) -> t.Any:
        return erlen.jsonify(user_id=user_id, slug=slug, url=url_for("user", user_id=1, slug="x"))

    @app.route("/later")
    def later() -> str:
        @after_this_request
        def add_header(response: t.Any) -> t.Any:
            response.headers["X-Later"] = "yes"
            return response

        return "later"

    @app.route("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/where")
    def where() -> t.Any:
        return {"rule": str(request.url_rule), "args": request.view_args, "endpoint": request.endpoint}

    @app.route("/only-post", methods=["POST"])
    def only_post() -> str:
        return "posted"

    @app.route("/defaults", defaults={"page": 1})
    @app.route("/defaults/<int:page>")
    def defaults(page: int) -> str:
        return f"page {page}"

    @app.route("/empty")
    def empty() -> tuple[str, int]:
        return "", 204

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    @app.errorhandler(ValueError)
    def on_value_error(e: ValueError) -> tuple[str, int]:
        return f"handled {e}", 418

    return app


def call(
    app: Erlen, path: str, method: str = "GET", **kwargs: t.Any
) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = EnvironBuilder(path, method=method, **kwargs).get_environ()
    seen: dict[str, t.Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


REQUESTS: list[tuple[str, str, dict[str, t.Any]]] = [
    ("/", "GET", {}),
    ("/", "HEAD", {}),
    ("/", "OPTIONS", {}),
    ("/", "POST", {}),
    ("/users/3/hello", "GET", {}),
    ("/users/x/hello", "GET", {}),
    ("/users/3/hello/", "GET", {}),
    ("//users/3/hello", "GET", {}),
    ("/later", "GET", {}),
    ("/count", "GET", {}),
    ("/count", "GET", {"headers": {"Cookie": "session=garbage"}}),
    ("/", "GET", {"headers": {"Cookie": "other=1"}}),
    ("/where", "GET", {}),
    ("/only-post", "GET", {}),
    ("/only-post", "POST", {}),
    ("/defaults", "GET", {}),
    ("/defaults/1", "GET", {}),
    ("/defaults/2", "GET", {}),
    ("/empty", "GET", {}),
    ("/boom", "GET", {}),
    ("/missing", "GET", {}),
    ("/", "GET", {"base_url": "http://example.com/root"}),
    ("/", "GET", {"headers": {"Host": "bad host\x01"}}),
]


@pytest.mark.parametrize(("path", "method", "kwargs"), REQUESTS)
def test_inline_path_answers_like_the_general_path(path: str, method: str, kwargs: dict[str, t.Any]) -> None:
    inline, general = build(Erlen), build(GeneralPathErlen)
    assert Erlen._inline_wsgi and not GeneralPathErlen._inline_wsgi
    assert call(inline, path, method, **kwargs) == call(general, path, method, **kwargs)


@pytest.mark.parametrize("app_class", [Erlen, GeneralPathErlen])
def test_lean_endpoint_sees_hooks_added_later(app_class: type[Erlen]) -> None:
    app = build(app_class)
    assert call(app, "/")[2] == b"Hello"

    def tag(response: t.Any) -> t.Any:
        response.headers["X-Tag"] = "1"
        return response

    # The decorator refuses after the first request; the registry itself may still change.
    app.after_request_funcs.setdefault(None, []).append(tag)
    _status, headers, body = call(app, "/")
    assert ("X-Tag", "1") in headers and body == b"Hello"


def test_replaced_view_function_is_called() -> None:
    app = build(Erlen)
    assert call(app, "/")[2] == b"Hello"
    app.view_functions["hello"] = lambda: "Replaced"
    assert call(app, "/")[2] == b"Replaced"


def test_url_adapter_is_made_on_first_use_and_can_be_replaced() -> None:
    app = build(Erlen)
    with app.test_request_context("/users/3/x") as ctx:
        assert "url_adapter" not in ctx.__dict__ or ctx.url_adapter is not None
        adapter = ctx.url_adapter
        assert adapter is not None and ctx.url_adapter is adapter
        assert url_for("hello") == "/"
        ctx.url_adapter = None
        assert ctx.url_adapter is None


def test_request_subclass_close_is_called() -> None:
    closed: list[str] = []

    class ClosingRequest(erlen.Request):
        def close(self) -> None:
            closed.append(self.path)
            super().close()

    app = build(Erlen)
    app.request_class = ClosingRequest
    assert call(app, "/")[2] == b"Hello"
    assert call(app, "/users/3/x")[0] == "200 OK"
    assert closed == ["/", "/users/3/x"]
