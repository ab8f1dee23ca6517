"""The WSGI path makes the request object on first use when the request class keeps Erlen's constructor.

A view, hook or handler that reads ``request`` gets the object the constructor would have made, with the URL
match already on it; a request class with its own constructor is made at push, as in Flask; the end of the
request leaves the environ as Flask leaves it.
"""

from __future__ import annotations

import io
import typing as t

import pytest

from erlen import Erlen, Request, request
from erlen.globals import _cv_request


def environ_for(path: str = "/", method: str = "GET", **extra: t.Any) -> dict[str, t.Any]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "example.test",
        "SERVER_PORT": "80",
        "HTTP_HOST": "example.test",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    environ.update(extra)
    return environ


def call(app: Erlen, environ: dict[str, t.Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0], body


@pytest.fixture
def app() -> Erlen:
    return Erlen(__name__)


def test_a_view_that_never_reads_request_gets_no_request_object(app: Erlen) -> None:
    seen: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        seen.append(_cv_request.get()._unmade_request)
        return "ok"

    call(app, environ_for())  # the first request remembers the Host binding
    environ = environ_for()
    assert call(app, environ) == ("200 OK", b"ok")
    unmade = seen[-1]
    assert unmade is not None and unmade[0] is environ and unmade[1].rule == "/" and unmade[2] == {}
    assert "werkzeug.request" not in environ  # nothing made it, so nothing was recorded there


def test_the_request_made_on_first_use_is_the_constructed_one(app: Erlen) -> None:
    seen: dict[str, t.Any] = {}

    @app.route("/users/<int:user_id>")
    def user(user_id: int) -> str:
        seen["rule"] = request.url_rule.rule if request.url_rule else None
        seen["view_args"] = request.view_args
        seen["method"] = request.method
        seen["json_module"] = request.json_module
        seen["recorded"] = request.environ["werkzeug.request"] is request._get_current_object()  # type: ignore[attr-defined]
        seen["endpoint"] = request.endpoint
        return str(user_id)

    call(app, environ_for("/users/1"))
    environ = environ_for("/users/7", method="get")
    assert call(app, environ) == ("200 OK", b"7")
    assert seen == {
        "rule": "/users/<int:user_id>",
        "view_args": {"user_id": 7},
        "method": "GET",
        "json_module": app.json,
        "recorded": True,
        "endpoint": "user",
    }
    assert environ["werkzeug.request"] is None  # the cycle request <-> environ is broken at the end


def test_a_request_class_with_its_own_constructor_is_made_at_push(app: Erlen) -> None:
    made: list[str] = []

    class RecordingRequest(Request):
        def __init__(self, environ: t.Any, populate_request: bool = True, shallow: bool = False) -> None:
            super().__init__(environ, populate_request, shallow)
            made.append(environ["PATH_INFO"])

    app.request_class = RecordingRequest
    seen: list[list[str]] = []

    @app.route("/")
    def index() -> str:
        seen.append(list(made))  # before the view reads request
        return "ok"

    for _ in range(2):
        assert call(app, environ_for()) == ("200 OK", b"ok")
    assert seen == [["/"], ["/", "/"]]
    assert RecordingRequest._made_on_first_use is False

    class PlainSubclass(Request):
        pass

    assert PlainSubclass._made_on_first_use is True


def test_an_error_while_matching_reaches_the_handlers_with_a_request(
    app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Werkzeug's converters only refuse (ValueError, ValidationError); any other error during the match is the
    app's to handle, as in Flask, and its handlers can read the request."""
    handled: list[t.Any] = []

    @app.route("/items/<int:item>")
    def item(item: int) -> str:
        return str(item)

    @app.errorhandler(500)
    def failed(error: t.Any) -> tuple[str, int]:
        handled.append((request.path, request.url_rule, type(error.original_exception).__name__))
        return "handled", 500

    assert call(app, environ_for("/items/3")) == ("200 OK", b"3")

    def exploding_matcher(*args: t.Any) -> t.Any:
        raise RuntimeError("matcher failed")

    monkeypatch.setattr(app.url_map, "match_path", exploding_matcher)
    assert call(app, environ_for("/items/4")) == ("500 INTERNAL SERVER ERROR", b"handled")
    assert handled == [("/items/4", None, "RuntimeError")]


def test_teardown_sees_the_request_the_view_never_read(app: Erlen) -> None:
    seen: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        seen.append((request.path, request.url_rule.rule if request.url_rule else None))

    for _ in range(2):
        assert call(app, environ_for()) == ("200 OK", b"ok")
    assert seen == [("/", "/"), ("/", "/")]


def test_uploads_read_by_the_view_are_closed(app: Erlen) -> None:
    files: list[t.Any] = []

    @app.route("/upload", methods=["POST"])
    def upload() -> str:
        files.append(request.files["f"])
        return "ok"

    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()

    def post() -> dict[str, t.Any]:
        return environ_for(
            "/upload",
            method="POST",
            CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
            CONTENT_LENGTH=str(len(body)),
            **{"wsgi.input": io.BytesIO(body)},
        )

    for _ in range(2):
        assert call(app, post()) == ("200 OK", b"ok")
    assert len(files) == 2 and all(f.stream.closed for f in files)


def test_routing_errors_on_a_remembered_binding_are_werkzeugs(app: Erlen) -> None:
    """A plain request the quick matchers cannot answer goes to Werkzeug's adapter: 404, 405, redirects."""

    @app.route("/only-post", methods=["POST"])
    def only_post() -> str:
        return "posted"

    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    @app.route("/items/<int:item>")
    def item(item: int) -> str:
        return str(item)

    def call_with_headers(environ: dict[str, t.Any]) -> tuple[str, dict[str, str]]:
        out: dict[str, t.Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
            out["status"], out["headers"] = status, dict(headers)

        b"".join(app(environ, start_response))
        return out["status"], out["headers"]

    assert call(app, environ_for("/items/1")) == ("200 OK", b"1")  # remembers the Host binding
    assert call_with_headers(environ_for("/no/such/page"))[0] == "404 NOT FOUND"
    assert call_with_headers(environ_for("/items/x"))[0] == "404 NOT FOUND"
    status, headers = call_with_headers(environ_for("/only-post"))
    assert status == "405 METHOD NOT ALLOWED" and set(headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    status, headers = call_with_headers(environ_for("/folder"))
    assert status == "308 PERMANENT REDIRECT" and headers["Location"] == "http://example.test/folder/"
    status, headers = call_with_headers(environ_for("/only-post", method="OPTIONS"))
    assert status == "200 OK" and set(headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
