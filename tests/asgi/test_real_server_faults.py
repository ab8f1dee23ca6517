"""SECURITY-MATRIX H9 and H10 against real servers on 127.0.0.1 (bounded: each test ends within ~20 s)."""

from __future__ import annotations

import os
import signal
import threading
import time
import typing as t
from pathlib import Path

import pytest
from tests.servers import available, serve

httpx = pytest.importorskip("httpx")
HERE = Path(__file__).parent
UPLOAD_SIZE = 32 * 1024 * 1024
CHUNK = 64 * 1024


#: Servers whose graceful shutdown waits for in-flight responses longer than the 5 s stream (uvicorn: no limit
#: by default, gunicorn: 30 s, granian: waits for its workers).
DRAINING = ["uvicorn", "granian-asgi", "gunicorn", "granian-wsgi"]


def _stream_then_sigterm(running: t.Any) -> tuple[list[str], float, BaseException | None]:
    """Read /slow-stream, sending SIGTERM to the server once the first chunk arrived."""
    lines: list[str] = []
    started = time.monotonic()
    failure: BaseException | None = None
    try:
        with (
            httpx.Client(base_url=running.url, timeout=15) as http,
            http.stream("GET", "/slow-stream") as response,
        ):
            assert response.status_code == 200
            for line in response.iter_lines():
                lines.append(line)
                if len(lines) == 1:
                    started = time.monotonic()
                    os.kill(running.process.pid, signal.SIGTERM)
    except httpx.HTTPError as e:
        failure = e
    return lines, time.monotonic() - started, failure


@pytest.mark.parametrize("server", DRAINING)
def test_h9_sigterm_lets_the_in_flight_stream_finish(server: str) -> None:
    """H9: SIGTERM while a 5 s streaming response is in flight; the server drains it and then exits."""
    if not available(server):
        pytest.skip(f"{server} is not installed")
    with serve(server, "fault_app:app", HERE) as running:
        lines, elapsed, failure = _stream_then_sigterm(running)
        assert failure is None, running.output()
        assert lines == [f"chunk {i}" for i in range(5)] + ["end"], running.output()
        assert 3.5 <= elapsed < 10
        running.process.wait(10)  # and then the server stops on its own
        assert "Traceback" not in running.output()


def test_h9_hypercorn_cuts_the_stream_at_its_graceful_timeout() -> None:
    """Hypercorn's graceful timeout (3 s by default) is shorter than the stream: the response is cut there,
    incomplete (never a clean end), and the server exits."""
    if not available("hypercorn"):
        pytest.skip("hypercorn is not installed")
    with serve("hypercorn", "fault_app:app", HERE) as running:
        lines, elapsed, failure = _stream_then_sigterm(running)
        assert isinstance(failure, httpx.RemoteProtocolError)
        assert "end" not in lines
        assert 2 <= elapsed < 6
        running.process.wait(10)


def _body() -> t.Iterator[bytes]:
    block = os.urandom(CHUNK)
    for _ in range(UPLOAD_SIZE // CHUNK):
        yield block


def _multipart() -> t.Iterator[bytes]:
    boundary = b"erlen-h10-boundary"
    yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    yield b"Content-Type: application/octet-stream\r\n\r\n"
    yield from _body()
    yield b"\r\n--" + boundary + b"--\r\n"


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn", "granian-asgi"])
@pytest.mark.parametrize("path", ["/upload/raw", "/upload/form", "/upload/form-async"])
def test_h10_upload_spooling_to_disk_keeps_the_loop_responsive(server: str, path: str) -> None:
    """H10: a 32 MiB upload spools to a temporary file; the server loop is never blocked for more than 50 ms."""
    if not available(server):
        pytest.skip(f"{server} is not installed")
    with (
        serve(server, "fault_app:app", HERE) as running,
        httpx.Client(base_url=running.url, timeout=30) as http,
    ):
        assert http.post("/lag/reset").json() == {"running": True}
        if path == "/upload/raw":
            response = http.post(path, content=_body())
        else:
            content_type = "multipart/form-data; boundary=erlen-h10-boundary"
            response = http.post(path, content=_multipart(), headers={"Content-Type": content_type})
        assert response.status_code == 200, response.text
        assert response.json()["size"] == UPLOAD_SIZE
        if path == "/upload/raw":
            assert response.json()["spooled"] is True
        lag = http.get("/lag").json()["max_lag"]
        assert lag <= 0.05, f"the event loop was blocked for {lag * 1000:.0f} ms"


def test_h10_probe_notices_a_blocked_loop() -> None:
    """The lag probe itself works: a loop blocked for 200 ms shows up (guards against a vacuous H10)."""
    import asyncio

    from tests.asgi import fault_app

    async def run() -> float:
        await fault_app.start_lag_probe()
        await asyncio.sleep(0.02)
        time.sleep(0.2)
        await asyncio.sleep(0.02)
        await fault_app.stop_lag_probe()
        return float(fault_app.probe["max_lag"])

    assert asyncio.run(run()) >= 0.15
    assert threading.active_count() >= 1
