"""send_file under ASGI: ``http.response.pathsend`` when the server offers it, else chunks read in the pool."""

from __future__ import annotations

import asyncio
import io
import os
import typing as t
from pathlib import Path

import pytest

from erlen import Erlen, send_file, send_from_directory
from erlen.asgi_files import CHUNK_SIZE, pathsend_path
from erlen.asgi_testing import ASGIClient, _http_scope

PATHSEND = "http.response.pathsend"


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 123))
    return path


def _file_routes(app: Erlen, path: Path, async_view: bool) -> None:
    if async_view:

        @app.get("/file")
        async def file_async() -> t.Any:
            return send_file(path)

    else:

        @app.get("/file")
        def file_sync() -> t.Any:
            return send_file(path)

    @app.get("/dir/<name>")
    def from_directory(name: str) -> t.Any:
        return send_from_directory(path.parent, name)

    @app.get("/memory")
    def memory() -> t.Any:
        return send_file(io.BytesIO(b"in memory"), mimetype="text/plain")


def _call(
    app: Erlen, path: str, method: str = "GET", headers: t.Any = (), pathsend: bool = True
) -> list[t.Any]:
    """Call the app once with a spy server that records every message (and offers pathsend when asked)."""

    async def run() -> list[t.Any]:
        sent: list[t.Any] = []

        async def receive() -> dict[str, t.Any]:
            await asyncio.sleep(60)
            return {"type": "http.disconnect"}

        async def send(message: t.Any) -> None:
            sent.append(message)

        scope = _http_scope(method, path, list(headers))
        if pathsend:
            scope["extensions"] = {PATHSEND: {}}
        await asyncio.wait_for(app(scope, receive, send), 30)
        return sent

    return asyncio.run(run())


@pytest.mark.parametrize("async_view", [False, True], ids=["sync-view", "async-view"])
def test_file_is_sent_in_chunks_without_pathsend(app: Erlen, big_file: Path, async_view: bool) -> None:
    _file_routes(app, big_file, async_view)
    with ASGIClient(app) as client:
        response = client.get("/file")
    data = big_file.read_bytes()
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Length"] == str(len(data))
    assert len(response.chunks) == -(-len(data) // CHUNK_SIZE)
    assert max(len(chunk) for chunk in response.chunks) == CHUNK_SIZE


@pytest.mark.parametrize("async_view", [False, True], ids=["sync-view", "async-view"])
def test_file_is_handed_to_the_server_when_it_offers_pathsend(
    app: Erlen, big_file: Path, async_view: bool
) -> None:
    _file_routes(app, big_file, async_view)
    for url in ("/file", f"/dir/{big_file.name}"):
        sent = _call(app, url)
        assert [m["type"] for m in sent] == ["http.response.start", PATHSEND]
        assert sent[0]["status"] == 200
        assert (b"content-length", str(big_file.stat().st_size).encode()) in sent[0]["headers"]
        assert sent[1]["path"] == os.path.abspath(big_file)
        assert os.path.isabs(sent[1]["path"])


def test_range_head_and_in_memory_files_keep_the_usual_path(app: Erlen, big_file: Path) -> None:
    _file_routes(app, big_file, async_view=False)
    data = big_file.read_bytes()
    sent = _call(app, "/file", headers=[(b"range", b"bytes=100-1099")])
    assert sent[0]["status"] == 206
    assert PATHSEND not in [m["type"] for m in sent]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == data[100:1100]
    sent = _call(app, "/file", method="HEAD")
    assert sent[0]["status"] == 200
    assert PATHSEND not in [m["type"] for m in sent]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b""
    sent = _call(app, "/memory")
    assert PATHSEND not in [m["type"] for m in sent]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"in memory"


def test_pathsend_is_refused_for_a_file_replaced_after_it_was_opened(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"original")
    with open(path, "rb") as opened:
        assert pathsend_path(opened) == str(path)
        replacement = tmp_path / "new.txt"
        replacement.write_bytes(b"replaced")
        os.replace(replacement, path)
        assert pathsend_path(opened) is None, "the path now names another file"
    with open(path, "rb") as opened:
        opened.read(1)
        assert pathsend_path(opened) is None, "not read from its start"
    assert pathsend_path(io.BytesIO(b"x")) is None


def test_client_leaving_stops_a_chunked_file(app: Erlen, big_file: Path) -> None:
    _file_routes(app, big_file, async_view=True)
    with ASGIClient(app) as client:
        response = client.get("/file", disconnect_after=1)
    assert response.incomplete
    assert len(response.data) < big_file.stat().st_size
