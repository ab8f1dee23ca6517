"""ASGI-only behaviour: server detection, lifespan, body receiving faults, disconnects, websockets."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
import typing as t

import pytest

from erlen import Erlen, request
from erlen.asgi_testing import ASGIClient, WebsocketClosed, WebsocketRejected
from erlen.websocket import websocket


def test_servers_detect_asgi3_and_wsgi_still_works(app: Erlen) -> None:
    assert inspect.iscoroutinefunction(app.__call__)
    assert asyncio.iscoroutinefunction(app.__call__)

    @app.route("/")
    def index() -> str:
        return "wsgi"

    assert app.test_client().get("/").data == b"wsgi"


def test_lifespan_startup_and_shutdown(app: Erlen) -> None:
    events: list[str] = []

    @app.before_serving
    def start() -> None:
        events.append("start")

    @app.after_serving
    async def stop() -> None:
        events.append("stop")

    client = ASGIClient(app)
    try:
        assert client.startup() == {"type": "lifespan.startup.complete"}
        assert client.shutdown() == {"type": "lifespan.shutdown.complete"}
    finally:
        client.close()
    assert events == ["start", "stop"]


def test_lifespan_startup_failure_reports_the_error(app: Erlen, asgi: ASGIClient) -> None:
    @app.before_serving
    async def start() -> None:
        raise RuntimeError("database unreachable")

    message = asgi.startup()
    assert message["type"] == "lifespan.startup.failed"
    assert "database unreachable" in message["message"]


def test_background_tasks_awaited_at_shutdown(app: Erlen, asgi: ASGIClient) -> None:
    done: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.2)
        done.append("slow")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(slow)
        return "ok"

    asgi.startup()
    assert asgi.get("/").data == b"ok"
    assert done == []
    asgi.shutdown()
    assert done == ["slow"]


def test_body_spools_to_a_file_above_the_memory_limit(app: Erlen, asgi: ASGIClient) -> None:
    app.config["ASGI_BODY_MEMORY_LIMIT"] = 1000
    seen: dict[str, t.Any] = {}

    @app.post("/")
    async def upload() -> str:
        seen["stream"] = type(request.environ["wsgi.input"]).__name__
        return str(len(request.get_data()))

    response = asgi.post("/", body_chunks=[b"x" * 600] * 5)
    assert response.data == b"3000"
    assert seen["stream"] != "BytesIO"


def test_413_while_receiving_a_chunked_body(app: Erlen, asgi: ASGIClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    called: list[bool] = []

    @app.post("/")
    def upload() -> str:
        called.append(True)
        return "no"

    response = asgi.post("/", body_chunks=[b"x" * 600] * 5)
    assert response.status_code == 413
    assert called == []


def test_408_when_the_body_is_too_slow(app: Erlen, asgi: ASGIClient) -> None:
    app.config["BODY_TIMEOUT"] = 0.2

    @app.post("/")
    def upload() -> str:
        return "no"

    started = time.monotonic()
    response = asgi.post("/", body_chunks=[b"x"] * 20, chunk_delay=0.05)
    assert response.status_code == 408
    assert time.monotonic() - started < 2


def test_disconnect_mid_body_is_a_clean_abort(app: Erlen, asgi: ASGIClient) -> None:
    called: list[bool] = []

    @app.post("/")
    def upload() -> str:
        called.append(True)
        return "no"

    async def run() -> list[t.Any]:
        sent: list[t.Any] = []
        messages = [{"type": "http.request", "body": b"abc", "more_body": True}, {"type": "http.disconnect"}]

        async def receive() -> t.Any:
            return messages.pop(0)

        async def send(message: t.Any) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/",
            "query_string": b"",
            "headers": [(b"content-length", b"10")],
        }
        await asyncio.wait_for(app(scope, receive, send), 5)
        return sent

    assert asgi.run(run()) == []
    assert called == []


def test_client_disconnect_closes_async_generator_and_runs_teardown(app: Erlen, asgi: ASGIClient) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/stream")
    async def stream() -> t.Any:
        async def generate() -> t.AsyncIterator[str]:
            try:
                yield "first"
                await asyncio.sleep(30)
                yield "never"
            finally:
                events.append("finally")

        return generate()

    started = time.monotonic()
    response = asgi.get("/stream", disconnect_after=1)
    assert response.data == b"first"
    assert response.incomplete
    assert time.monotonic() - started < 1
    assert events == ["teardown", "finally"]
    assert asgi.get("/stream", disconnect_after=1).data == b"first"


def test_client_disconnect_closes_sync_generator(app: Erlen, asgi: ASGIClient) -> None:
    closed = threading.Event()

    @app.route("/stream")
    def stream() -> t.Any:
        def generate() -> t.Iterator[str]:
            try:
                for i in range(1000):
                    yield f"{i},"
                    time.sleep(0.01)
            finally:
                closed.set()

        return generate()

    response = asgi.get("/stream", disconnect_after=2)
    assert response.incomplete
    assert closed.wait(2)


def test_error_after_response_start_aborts(app: Erlen, asgi: ASGIClient) -> None:
    @app.route("/broken")
    async def broken() -> t.Any:
        async def generate() -> t.AsyncIterator[str]:
            yield "partial"
            raise RuntimeError("mid-stream")

        return generate()

    @app.route("/ok")
    def ok() -> str:
        return "ok"

    with pytest.raises(RuntimeError, match="mid-stream"):
        asgi.get("/broken")
    assert asgi.get("/ok").data == b"ok"


def test_sync_app_middleware_is_honoured(app: Erlen, asgi: ASGIClient) -> None:
    inner = app.wsgi_app

    def middleware(environ: t.Any, start_response: t.Any) -> t.Any:
        environ["HTTP_X_FROM_MIDDLEWARE"] = "yes"
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]

    @app.route("/")
    def index() -> str:
        return request.headers["X-From-Middleware"]

    assert asgi.get("/").data == b"yes"


def test_sync_views_run_in_the_pool(app: Erlen, asgi: ASGIClient) -> None:
    @app.route("/")
    def index() -> str:
        return threading.current_thread().name

    @app.route("/async")
    async def index_async() -> str:
        return threading.current_thread().name

    assert asgi.get("/").data.startswith(b"erlen-sync")
    assert asgi.get("/async").data == b"asgi-test-client"


# -- websockets -----------------------------------------------------------------------------------------------


def test_websocket_echo_with_converters_and_query(app: Erlen, asgi: ASGIClient) -> None:
    @app.websocket("/ws/<int:room>")
    async def ws(room: int) -> None:
        await websocket.accept()
        name = request.args["name"]
        while True:
            message = await websocket.receive()
            await websocket.send(f"{room}:{name}:{message}")

    with asgi.websocket("/ws/3?name=ann") as session:
        session.send("hi")
        assert session.receive() == "3:ann:hi"
        session.send("again")
        assert session.receive() == "3:ann:again"


def test_websocket_json_and_close_code(app: Erlen, asgi: ASGIClient) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        data = await websocket.receive_json()
        await websocket.send_json({"double": data["n"] * 2})
        await websocket.close(4000)

    with asgi.websocket("/ws") as session:
        session.send_json({"n": 21})
        assert session.receive_json() == {"double": 42}
        with pytest.raises(WebsocketClosed) as closed:
            session.receive()
        assert closed.value.code == 4000


def test_sync_websocket_view(app: Erlen, asgi: ASGIClient) -> None:
    @app.websocket("/ws")
    def ws() -> None:
        websocket.send("sync:" + t.cast(str, websocket.receive()))

    with asgi.websocket("/ws") as session:
        session.send("x")
        assert session.receive() == "sync:x"


def test_websocket_error_closes_1011_and_tears_down(app: Erlen, asgi: ASGIClient) -> None:
    events: list[t.Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(type(exc).__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        raise ValueError("bad")

    with asgi.websocket("/ws") as session:
        with pytest.raises(WebsocketClosed) as closed:
            session.receive()
        assert closed.value.code == 1011
    assert events == ["ValueError"]


def test_websocket_hooks(app: Erlen, asgi: ASGIClient) -> None:
    events: list[str] = []

    @app.before_websocket
    async def before() -> t.Any:
        events.append("before")
        if request.args.get("deny"):
            return "denied"
        return None

    @app.after_websocket
    def after() -> None:
        events.append("after")

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("hello")

    with asgi.websocket("/ws") as session:
        assert session.receive() == "hello"
    assert events == ["before", "after"]
    with pytest.raises(WebsocketRejected), asgi.websocket("/ws?deny=1"):
        pass


def test_websocket_unknown_path_is_rejected(app: Erlen, asgi: ASGIClient) -> None:
    @app.route("/http")
    def http() -> str:
        return "http"

    with pytest.raises(WebsocketRejected), asgi.websocket("/nope"):
        pass
    with pytest.raises(WebsocketRejected), asgi.websocket("/http"):
        pass


def test_unicode_path_repeated_headers_and_root_path(app: Erlen, asgi: ASGIClient) -> None:
    @app.route("/caf\u00e9/<name>")
    async def cafe(name: str) -> dict[str, t.Any]:
        return {"name": name, "accept": request.headers["Accept"], "root": request.root_path}

    async def call() -> t.Any:
        sent: list[t.Any] = []

        async def receive() -> t.Any:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: t.Any) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/app/caf\u00e9/\u00fc",
            "root_path": "/app",
            "query_string": b"",
            "headers": [(b"host", b"x"), (b"accept", b"a"), (b"accept", b"b")],
        }
        await app(scope, receive, send)
        return sent

    import json

    sent = asgi.run(call())
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"name": "\u00fc", "accept": "a,b", "root": "/app"}


def test_websocket_proxy_outside_and_inside_a_connection(app: Erlen, asgi: ASGIClient) -> None:
    """``websocket`` refuses use outside a connection; inside it forwards every attribute, I/O methods included."""
    with pytest.raises(RuntimeError, match="outside of a websocket connection"):
        websocket.receive  # noqa: B018
    with pytest.raises(RuntimeError):
        websocket.accepted  # noqa: B018
    assert not websocket
    seen: list[t.Any] = []

    @app.websocket("/ws")
    async def ws() -> None:
        seen.append(websocket.accepted)
        await websocket.accept()
        seen.append((websocket.accepted, websocket.requested_subprotocols, bool(websocket)))
        seen.append(websocket._get_current_object().scope["path"])
        await websocket.send_json({"echo": await websocket.receive_json()})
        await websocket.close(4001)

    with asgi.websocket("/ws") as session:
        session.send_json([1])
        assert session.receive_json() == {"echo": [1]}
        with pytest.raises(WebsocketClosed) as closed:
            session.receive()
        assert closed.value.code == 4001
    assert seen == [False, (True, [], True), "/ws"]
