"""Behaviour that must read the same under WSGI and ASGI: each test runs once per protocol."""

from __future__ import annotations

import asyncio
import io
import typing as t

from erlen import Erlen, Response, abort, g, request, stream_with_context
from erlen.sse import ServerSentEvent, sse_response

if t.TYPE_CHECKING:
    from .conftest import Served


def test_sync_and_async_views(app: Erlen, serve: Served) -> None:
    @app.route("/sync")
    def sync_view() -> str:
        return "sync"

    @app.route("/async")
    async def async_view() -> str:
        await asyncio.sleep(0)
        return "async"

    assert serve.get("/sync").data == b"sync"
    assert serve.get("/async").data == b"async"


def test_path_params_and_query_to_json(app: Erlen, serve: Served) -> None:
    @app.route("/users/<int:user_id>")
    async def user(user_id: int) -> dict[str, t.Any]:
        return {"id": user_id, "q": request.args.get("q")}

    response = serve.get("/users/7?q=x")
    assert response.status_code == 200
    assert response.json == {"id": 7, "q": "x"}
    assert serve.get("/users/nope").status_code == 404


def test_json_form_and_files(app: Erlen, serve: Served) -> None:
    @app.post("/json")
    async def json_view() -> t.Any:
        return {"got": request.get_json()}

    @app.post("/form")
    def form_view() -> t.Any:
        upload = request.files["file"]
        return {"name": request.form["name"], "file": upload.read().decode(), "fname": upload.filename}

    @app.post("/raw")
    async def raw_view() -> bytes:
        return request.get_data()

    assert serve.post("/json", json={"a": [1, 2]}).json == {"got": {"a": [1, 2]}}
    data = {"name": "erlen", "file": (io.BytesIO(b"content"), "a.txt")}
    assert serve.post("/form", data=data).json == {"name": "erlen", "file": "content", "fname": "a.txt"}
    assert serve.post("/raw", data=b"x" * 5000).data == b"x" * 5000


def test_hooks_sync_and_async_with_g(app: Erlen, serve: Served) -> None:
    torn_down: list[str] = []

    @app.before_request
    async def before_async() -> None:
        g.seen = ["before_async"]

    @app.before_request
    def before_sync() -> None:
        g.seen.append("before_sync")

    @app.after_request
    async def after(response: Response) -> Response:
        response.headers["X-Seen"] = ",".join(g.seen)
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.path)

    @app.route("/")
    def index() -> str:
        g.seen.append("view")
        return "ok"

    response = serve.get("/")
    assert response.headers["X-Seen"] == "before_async,before_sync,view"
    assert torn_down == ["/"]


def test_error_handlers_sync_and_async(app: Erlen, serve: Served) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(418)
    async def teapot(e: Exception) -> tuple[str, int]:
        return "handled 418", 418

    @app.errorhandler(ValueError)
    def value_error(e: Exception) -> tuple[str, int]:
        return f"value: {e}", 400

    @app.route("/teapot")
    async def make_tea() -> str:
        abort(418)

    @app.route("/value")
    async def value() -> str:
        raise ValueError("bad")

    @app.route("/crash")
    async def crash() -> str:
        raise RuntimeError("boom")

    assert serve.get("/teapot").data == b"handled 418"
    response = serve.get("/value")
    assert (response.status_code, response.data) == (400, b"value: bad")
    assert serve.get("/crash").status_code == 500
    assert serve.post("/teapot").status_code == 405


def test_sync_generator_and_stream_with_context(app: Erlen, serve: Served) -> None:
    @app.route("/plain")
    def plain() -> t.Any:
        def generate() -> t.Iterator[str]:
            yield "a"
            yield "b"

        return generate()

    @app.route("/ctx")
    def with_context() -> t.Any:
        @stream_with_context
        def generate() -> t.Iterator[str]:
            yield request.args["name"]
            yield "!"

        return generate()

    assert serve.get("/plain").data == b"ab"
    assert serve.get("/ctx?name=erlen").data == b"erlen!"


def test_async_generator_body(app: Erlen, serve: Served) -> None:
    closed: list[bool] = []

    @app.route("/agen")
    async def agen() -> t.Any:
        async def generate() -> t.AsyncIterator[str]:
            try:
                for i in range(3):
                    await asyncio.sleep(0)
                    yield f"{i};"
            finally:
                closed.append(True)

        return generate(), {"X-Stream": "yes"}

    response = serve.get("/agen")
    assert response.data == b"0;1;2;"
    assert response.headers["X-Stream"] == "yes"
    assert closed == [True]


def test_sse(app: Erlen, serve: Served) -> None:
    @app.route("/events")
    async def events() -> Response:
        last = request.headers.get("Last-Event-ID")

        async def generate() -> t.AsyncIterator[t.Any]:
            yield ServerSentEvent("hello", event="greeting", id="1", retry=500)
            yield {"data": "two\nlines", "id": "2"}
            yield f"resumed after {last}"

        return sse_response(generate())

    response = serve.get("/events", headers={"Last-Event-ID": "41"})
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.data == (
        b"event: greeting\nid: 1\nretry: 500\ndata: hello\n\n"
        b"id: 2\ndata: two\ndata: lines\n\n"
        b"data: resumed after 41\n\n"
    )


def test_sse_from_sync_generator(app: Erlen, serve: Served) -> None:
    @app.route("/events")
    def events() -> Response:
        return sse_response(iter(["a", "b"]))

    assert serve.get("/events").data == b"data: a\n\ndata: b\n\n"


def test_send_file_streams(app: Erlen, serve: Served, tmp_path: t.Any) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"0123456789" * 20000)

    @app.route("/file")
    def file() -> Response:
        from erlen import send_file

        return send_file(path)

    response = serve.get("/file")
    assert response.status_code == 200
    assert response.data == path.read_bytes()


def test_max_content_length(app: Erlen, serve: Served) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    assert serve.post("/upload", data=b"x" * 100).data == b"100"
    assert serve.post("/upload", data=b"x" * 101).status_code == 413


def test_before_serving_runs_once(app: Erlen, serve: Served) -> None:
    calls: list[str] = []

    @app.before_serving
    async def start() -> None:
        calls.append("start")

    @app.route("/")
    def index() -> str:
        return ",".join(calls)

    if serve.mode == "asgi":
        serve.asgi.startup()
    assert serve.get("/").data == b"start"
    assert serve.get("/").data == b"start"


def test_background_task(app: Erlen, serve: Served) -> None:
    done: list[str] = []

    async def record(value: str) -> None:
        await asyncio.sleep(0.01)
        done.append(value)

    @app.route("/")
    def index() -> str:
        app.add_background_task(record, "async")
        app.add_background_task(done.append, "sync")
        return "queued"

    assert serve.get("/").data == b"queued"
    for _ in range(200):
        if len(done) == 2:
            break
        import time

        time.sleep(0.01)
    assert sorted(done) == ["async", "sync"]


def test_websocket_route_over_http_is_400(app: Erlen, serve: Served) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        pass

    response = serve.get("/ws")
    assert response.status_code == 400
    assert b"WebSocket endpoint" in response.data


def test_str_and_bytes_bodies_read_the_same(app: Erlen, serve: Served) -> None:
    """A str or bytes from an async view: same status, headers and body under both protocols, HEAD included,
    and after_this_request functions, the session and request_finished receivers still see a response."""
    from erlen import after_this_request, request_finished, session

    @app.route("/text")
    async def text() -> str:
        return "héllo"

    @app.route("/raw")
    async def raw() -> bytes:
        return b"\x00raw"

    @app.route("/hooked")
    async def hooked() -> str:
        @after_this_request
        def tag(response: Response) -> Response:
            response.headers["X-Tag"] = "yes"
            return response

        return "hooked"

    @app.route("/session")
    async def with_session() -> str:
        session["seen"] = True
        return "stored"

    for path, body in (("/text", "héllo".encode()), ("/raw", b"\x00raw")):
        got = serve.get(path)
        assert (got.status_code, got.data) == (200, body)
        assert got.headers["Content-Type"] == "text/html; charset=utf-8"
        assert got.headers["Content-Length"] == str(len(body))
        assert sorted(k.lower() for k, _ in got.headers.items()) == ["content-length", "content-type"]
        head = serve.request("HEAD", path)
        assert (head.status_code, head.data) == (200, b"")
        assert head.headers["Content-Length"] == str(len(body))
    assert serve.get("/hooked").headers["X-Tag"] == "yes"
    assert "session=" in serve.get("/session").headers["Set-Cookie"]
    finished: list[int] = []

    def on_finished(sender: Erlen, response: Response, **extra: t.Any) -> None:
        finished.append(response.status_code)

    with request_finished.connected_to(on_finished, app):
        assert serve.get("/text").data == "héllo".encode()
    assert finished == [200]


def test_dict_and_list_bodies_read_the_same(app: Erlen, serve: Served) -> None:
    """A dict or list from a view: the JSON response's exact headers and body under both protocols, HEAD
    included; debug indentation, a provider subclass with its own ``response`` and after_this_request still
    apply."""
    from erlen import after_this_request
    from erlen.json.provider import DefaultJSONProvider

    @app.route("/dict")
    async def as_dict() -> dict[str, t.Any]:
        return {"b": 1, "a": [1, 2], "é": None}

    @app.route("/list")
    def as_list() -> list[int]:
        return [3, 2, 1]

    @app.route("/hooked")
    async def hooked() -> dict[str, int]:
        @after_this_request
        def tag(response: Response) -> Response:
            response.headers["X-Tag"] = "yes"
            return response

        return {"x": 1}

    for path, body in (("/dict", b'{"a":[1,2],"b":1,"\\u00e9":null}\n'), ("/list", b"[3,2,1]\n")):
        got = serve.get(path)
        assert (got.status_code, got.data) == (200, body)
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["Content-Length"] == str(len(body))
        assert sorted(k.lower() for k, _ in got.headers.items()) == ["content-length", "content-type"]
        head = serve.request("HEAD", path)
        assert (head.status_code, head.data) == (200, b"")
        assert head.headers["Content-Length"] == str(len(body))
    assert serve.get("/hooked").headers["X-Tag"] == "yes"

    app.json.compact = False  # type: ignore[attr-defined]
    assert serve.get("/list").data == b"[\n  3,\n  2,\n  1\n]\n"

    class TaggingProvider(DefaultJSONProvider):
        def response(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            response = super().response(*args, **kwargs)
            response.headers["X-Provider"] = "mine"
            return response

    app.json = TaggingProvider(app)
    got = serve.get("/dict")
    assert got.headers["X-Provider"] == "mine"
    assert got.data == b'{"a":[1,2],"b":1,"\\u00e9":null}\n'
