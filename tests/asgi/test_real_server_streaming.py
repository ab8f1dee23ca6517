"""Streamed uploads and send_file through real uvicorn, hypercorn and granian processes on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import typing as t
from pathlib import Path

import pytest
from tests.servers import available, serve

httpx = pytest.importorskip("httpx")
HERE = Path(__file__).parent
ASGI_SERVERS = ["uvicorn", "hypercorn", "granian-asgi"]
#: Generous: the machine is small and shared with benchmarks.
TIMEOUT = httpx.Timeout(60)


def _chunks(total: int, size: int = 64 * 1024) -> t.Iterator[bytes]:
    for start in range(0, total, size):
        yield bytes([start // size % 256]) * min(size, total - start)


@pytest.mark.parametrize("server", ASGI_SERVERS)
def test_streamed_upload_and_send_file(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not available(server):
        pytest.skip(f"{server} is not installed")
    payload = os.urandom(3 * 1024 * 1024 + 5)
    path = tmp_path / "payload.bin"
    path.write_bytes(payload)
    monkeypatch.setenv("ERLEN_TEST_FILE", str(path))
    with (
        serve(server, "stream_app:recorded", HERE, start_timeout=60) as running,
        httpx.Client(base_url=running.url, timeout=TIMEOUT) as http,
    ):
        # A chunked upload four times ASGI_BODY_MEMORY_LIMIT, hashed by the view chunk by chunk.
        total = 1024 * 1024
        upload = http.post("/upload", content=_chunks(total))
        assert upload.status_code == 200, upload.text
        expected = hashlib.sha256(b"".join(_chunks(total))).hexdigest()
        assert upload.json() == {"sha256": expected, "size": total, "spooled": False}
        # With a declared length too.
        upload = http.post("/upload", content=payload)
        assert upload.json()["sha256"] == hashlib.sha256(payload).hexdigest()

        # Past the request's limit: 413, never a truncated body. (Granian closes a connection whose request body
        # was left unread without saying so; the client is told to close it, so the next request opens another.)
        too_large = http.post(
            "/small-upload", content=_chunks(256 * 1024, 16 * 1024), headers={"connection": "close"}
        )
        assert too_large.status_code == 413
        assert http.post("/small-upload", content=b"x" * 1000).json() == {"size": 1000}

        response = http.get("/file")
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(payload))
        assert response.content == payload
        noted = http.get("/last-file-request").json()
        if server == "granian-asgi":
            assert noted == {"offered": True, "types": ["http.response.start", "http.response.pathsend"]}
        else:
            assert noted["offered"] is False
            assert "http.response.pathsend" not in noted["types"]
            assert noted["types"][0] == "http.response.start"
            assert noted["types"].count("http.response.body") > 2, "sent in chunks"
