"""Round trips through real servers on 127.0.0.1: HTTP, streaming, SSE and websockets; WSGI servers too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.servers import available, serve

httpx = pytest.importorskip("httpx")
HERE = Path(__file__).parent
ASGI_SERVERS = ["uvicorn", "hypercorn", "granian-asgi"]
WSGI_SERVERS = ["gunicorn", "granian-wsgi"]


@pytest.mark.parametrize("server", ASGI_SERVERS)
def test_asgi_server_round_trips(server: str) -> None:
    if not available(server):
        pytest.skip(f"{server} is not installed")
    with (
        serve(server, "served_app:app", HERE) as running,
        httpx.Client(base_url=running.url, timeout=10) as http,
    ):
        assert http.get("/").text == "Hello, World!"
        user = http.get("/users/5").json()
        assert user["id"] == 5
        assert user["started"] is True, "before_serving ran at lifespan startup"
        assert http.post("/echo", json={"a": 1}).json() == {"json": {"a": 1}, "length": 7}
        assert http.get("/stream").text == "".join(f"chunk {i}\n" for i in range(5))
        with http.stream("GET", "/astream") as response:
            chunks = list(response.iter_text())
        assert "".join(chunks) == "".join(f"achunk {i}\n" for i in range(5))
        events = http.get("/events", headers={"Last-Event-ID": "7"})
        assert events.headers["content-type"].startswith("text/event-stream")
        assert "data: event 2 after 7" in events.text
        ws_response = http.get("/ws")
        assert ws_response.status_code in (400, 404, 426)
        assert asyncio.run(_websocket_echo(running.ws_url + "/ws")) == ["echo: one", "echo: two"]


async def _websocket_echo(url: str) -> list[str]:
    websockets = pytest.importorskip("websockets")
    received = []
    async with websockets.connect(url, open_timeout=5, close_timeout=2) as connection:
        for message in ("one", "two"):
            await connection.send(message)
            received.append(await asyncio.wait_for(connection.recv(), 5))
    return received


@pytest.mark.parametrize("server", WSGI_SERVERS)
def test_wsgi_server_still_serves_the_same_app(server: str) -> None:
    if not available(server):
        pytest.skip(f"{server} is not installed")
    with (
        serve(server, "served_app:app", HERE) as running,
        httpx.Client(base_url=running.url, timeout=10) as http,
    ):
        assert http.get("/").text == "Hello, World!"
        assert http.get("/users/5").json()["started"] is True, "before_serving ran on the first request"
        assert http.get("/stream").text == "".join(f"chunk {i}\n" for i in range(5))
        assert http.get("/astream").text == "".join(f"achunk {i}\n" for i in range(5))
        assert "data: event 0 after none" in http.get("/events").text
        response = http.get("/ws")
        assert response.status_code == 400
        assert "WebSocket endpoint" in response.text
