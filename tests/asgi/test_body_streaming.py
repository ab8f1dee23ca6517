"""Opt-in request body streaming (``stream_body=True``, ``@stream_request_body``, ``request.iter_body()``)."""

from __future__ import annotations

import asyncio
import hashlib
import typing as t

import pytest
from werkzeug.exceptions import ClientDisconnected

from erlen import Blueprint, Erlen, request, stream_request_body
from erlen.asgi_testing import ASGIClient, _http_scope
from erlen.body_stream import BodyConsumedError, StreamingBodyError

from .conftest import Served

BIG = [bytes([i]) * 64 * 1024 for i in range(40)]  # 2.5 MiB in 40 chunks


def _hash_routes(app: Erlen) -> dict[str, t.Any]:
    seen: dict[str, t.Any] = {}

    @app.post("/hash", stream_body=True)
    async def hash_body() -> dict[str, t.Any]:
        digest = hashlib.sha256()
        size = chunks = 0
        async for chunk in request.iter_body():
            digest.update(chunk)
            size += len(chunk)
            chunks += 1
        seen["spooled"] = "erlen.body_spooled" in request.environ
        return {"sha256": digest.hexdigest(), "size": size, "chunks": chunks}

    @app.post("/buffered")
    async def buffered() -> dict[str, t.Any]:
        digest = hashlib.sha256()
        async for chunk in request.iter_body():
            digest.update(chunk)
        return {"sha256": digest.hexdigest(), "spooled": "erlen.body_spooled" in request.environ}

    return seen


def test_streamed_upload_above_the_memory_limit_is_hashed_chunk_by_chunk(
    app: Erlen, asgi: ASGIClient
) -> None:
    app.config.update(ASGI_BODY_MEMORY_LIMIT=256 * 1024, MAX_CONTENT_LENGTH=8 * 1024 * 1024)
    seen = _hash_routes(app)
    body = b"".join(BIG)
    response = asgi.post("/hash", body_chunks=BIG)
    assert response.status_code == 200
    assert response.json == {
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "chunks": len(BIG),
    }
    assert seen["spooled"] is False, "a streaming route's body is never received into memory or a file first"
    # A route that did not opt in keeps receiving first (here: spooled to a temporary file).
    response = asgi.post("/buffered", body_chunks=BIG)
    assert response.json == {"sha256": hashlib.sha256(body).hexdigest(), "spooled": True}


def test_same_streaming_view_works_under_both_protocols(app: Erlen, serve: Served) -> None:
    _hash_routes(app)
    body = b"".join(BIG[:5])
    response = serve.post("/hash", data=body)
    assert response.status_code == 200
    assert response.json["sha256"] == hashlib.sha256(body).hexdigest()
    assert response.json["size"] == len(body)


def test_the_view_runs_before_the_body_has_arrived(app: Erlen) -> None:
    events: list[str] = []

    @app.post("/upload")
    @stream_request_body
    async def upload() -> str:
        events.append("view started")
        async for chunk in request.iter_body():
            events.append(f"view got {chunk.decode()}")
        return "done"

    async def call() -> list[dict[str, t.Any]]:
        pending = [b"a", b"b", b"c"]
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            if not pending:
                await asyncio.sleep(30)
                return {"type": "http.disconnect"}
            chunk = pending.pop(0)
            events.append(f"client sent {chunk.decode()}")
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        scope = _http_scope("POST", "/upload", [(b"transfer-encoding", b"chunked")])
        await asyncio.wait_for(app(scope, receive, send), 30)
        return sent

    sent = asyncio.run(call())
    assert sent[0]["status"] == 200
    assert events == [
        "view started",
        "client sent a",
        "view got a",
        "client sent b",
        "view got b",
        "client sent c",
        "view got c",
    ]


def test_declared_length_over_max_content_length_is_413_before_the_view(app: Erlen, asgi: ASGIClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    ran: list[bool] = []

    @app.post("/up", stream_body=True)
    async def up() -> str:
        ran.append(True)
        return "no"

    response = asgi.post("/up", data=b"x" * 1001)
    assert response.status_code == 413
    assert ran == []


def test_streamed_body_over_max_content_length_is_413_as_it_arrives(app: Erlen, asgi: ASGIClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    received: list[int] = []
    handled: list[int] = []

    @app.errorhandler(413)
    def too_large(e: Exception) -> tuple[str, int]:
        handled.append(413)
        return "too large for us", 413

    @app.post("/up", stream_body=True)
    async def up() -> str:
        async for chunk in request.iter_body():
            received.append(len(chunk))
        return "never a truncated body"

    response = asgi.post("/up", body_chunks=[b"x" * 30_000] * 10)
    assert response.status_code == 413
    assert response.text == "too large for us"
    assert handled == [413]
    assert sum(received) <= 100_000, "the view never sees bytes past the limit"


def test_per_request_max_content_length_applies_to_the_stream(app: Erlen, serve: Served) -> None:
    @app.post("/small", stream_body=True)
    async def small() -> str:
        request.max_content_length = 10
        return "".join([chunk.decode() async for chunk in request.iter_body()])

    assert serve.post("/small", data=b"0123456789").text == "0123456789"
    assert serve.post("/small", data=b"0123456789X").status_code == 413


def test_body_timeout_bounds_the_wait_for_each_chunk(app: Erlen, asgi: ASGIClient) -> None:
    app.config["BODY_TIMEOUT"] = 0.2

    @app.post("/slow", stream_body=True)
    async def slow() -> str:
        async for _chunk in request.iter_body():
            pass
        return "complete"

    # The client sends one chunk every 10 s; the view waits 0.2 s for the first one.
    response = asgi.post("/slow", body_chunks=[b"a", b"b"], chunk_delay=10, timeout=60)
    assert response.status_code == 408


def test_client_disconnect_ends_the_iteration_with_a_clear_exception(app: Erlen) -> None:
    caught: list[BaseException] = []

    @app.post("/up", stream_body=True)
    async def up() -> str:
        try:
            async for _chunk in request.iter_body():
                pass
        except ClientDisconnected as e:
            caught.append(e)
            raise
        return "unreachable"

    async def call() -> list[dict[str, t.Any]]:
        messages = [
            {"type": "http.request", "body": b"part", "more_body": True},
            {"type": "http.disconnect"},
        ]
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(
            app(_http_scope("POST", "/up", [(b"content-length", b"100")]), receive, send), 30
        )
        return sent

    assert asyncio.run(call()) == [], "nobody is left to answer"
    assert len(caught) == 1
    assert isinstance(caught[0], ClientDisconnected)


def test_reading_the_body_again_after_iterating_is_a_clear_error(app: Erlen, serve: Served) -> None:
    @app.post("/twice", stream_body=True)
    async def twice() -> str:
        async for _chunk in request.iter_body():
            pass
        return request.get_data(as_text=True)

    @app.post("/json", stream_body=True)
    async def as_json() -> t.Any:
        async for _chunk in request.iter_body():
            pass
        return request.get_json()

    with pytest.raises(BodyConsumedError, match=r"already read with request\.iter_body"):
        serve.post("/twice", data=b"abc")
    with pytest.raises(BodyConsumedError):
        serve.post("/json", json={"a": 1})


def test_reading_the_body_in_an_async_view_on_the_loop_is_a_clear_error(app: Erlen, asgi: ASGIClient) -> None:
    @app.post("/blocking", stream_body=True)
    async def blocking() -> str:
        return request.get_data(as_text=True)

    with pytest.raises(StreamingBodyError, match="iter_body"):
        asgi.post("/blocking", data=b"abc")


def test_sync_view_on_a_streaming_route_reads_form_and_files(app: Erlen, serve: Served) -> None:
    app.config["ASGI_BODY_MEMORY_LIMIT"] = 1024

    @app.post("/form", stream_body=True)
    def form() -> dict[str, t.Any]:
        upload = request.files["f"]
        return {"name": request.form["name"], "size": len(upload.read())}

    payload = b"z" * 200_000
    from io import BytesIO

    response = serve.post("/form", data={"name": "n", "f": (BytesIO(payload), "f.bin")})
    assert response.status_code == 200
    assert response.json == {"name": "n", "size": len(payload)}


def test_async_body_generator_echoes_the_stream(app: Erlen, asgi: ASGIClient) -> None:
    @app.post("/echo", stream_body=True)
    async def echo() -> t.Any:
        body = request.iter_body()  # taken in the view: the request context is gone once the body streams

        async def upper() -> t.AsyncIterator[bytes]:
            async for chunk in body:
                yield chunk.upper()

        return upper()

    response = asgi.post("/echo", body_chunks=[b"abc", b"def", b"ghi"])
    assert response.status_code == 200
    assert response.data == b"ABCDEFGHI"


def test_blueprint_routes_opt_in_too(app: Erlen, asgi: ASGIClient) -> None:
    bp = Blueprint("files", __name__, url_prefix="/bp")

    @bp.post("/up", stream_body=True)
    async def up() -> str:
        return str(len([chunk async for chunk in request.iter_body()]))

    app.register_blueprint(bp)
    assert asgi.post("/bp/up", body_chunks=[b"1", b"2", b"3"]).text == "3"


def test_apps_without_streaming_routes_never_match_early(
    app: Erlen, asgi: ASGIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import erlen.asgi_upload

    def refuse(*args: t.Any) -> bool:
        raise AssertionError("matched before receiving the body")

    monkeypatch.setattr(erlen.asgi_upload, "wants_stream", refuse)

    @app.post("/plain")
    async def plain() -> str:
        return request.get_data(as_text=True)

    assert app._stream_endpoints == set()
    assert asgi.post("/plain", data=b"hello").text == "hello"


def test_a_bad_url_on_a_streaming_app_is_answered_as_usual(app: Erlen, asgi: ASGIClient) -> None:
    @app.post("/up", stream_body=True)
    async def up() -> str:
        return "ok"

    assert asgi.post("/nowhere", data=b"x").status_code == 404
    assert asgi.request("PUT", "/up", data=b"x").status_code == 405
    assert asgi.post("/up", data=b"x").text == "ok"


def test_malformed_content_length_on_a_streaming_route_is_400(app: Erlen) -> None:
    ran: list[bool] = []

    @app.post("/up", stream_body=True)
    async def up() -> str:
        ran.append(True)
        return "no"

    async def call(value: str) -> list[dict[str, t.Any]]:
        sent: list[dict[str, t.Any]] = []
        messages = [{"type": "http.request", "body": b"x", "more_body": False}]

        async def receive() -> dict[str, t.Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(30)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        scope = _http_scope("POST", "/up", [(b"content-length", value.encode())])
        await asyncio.wait_for(app(scope, receive, send), 30)
        return sent

    for value in ("abc", "-1", "1,2", "9" * 20):
        assert asyncio.run(call(value))[0]["status"] == 400, value
    assert ran == []


def test_iter_body_twice_is_a_clear_error(app: Erlen, serve: Served) -> None:
    @app.post("/again", stream_body=True)
    async def again() -> str:
        async for _chunk in request.iter_body():
            pass
        request.iter_body()
        return "unreachable"

    with pytest.raises(BodyConsumedError):
        serve.post("/again", data=b"abc")
