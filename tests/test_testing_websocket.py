"""``app.test_client().websocket(path)`` drives a websocket route in-process."""

from __future__ import annotations

from erlen import Erlen, websocket


def test_test_client_websocket_round_trip() -> None:
    app = Erlen("ws_client")

    @app.websocket("/echo/<name>")
    async def echo(name: str) -> None:
        await websocket.accept()
        message = await websocket.receive()
        await websocket.send(f"{name}:{message}")

    with app.test_client().websocket("/echo/bob") as ws:
        ws.send("hi")
        assert ws.receive() == "bob:hi"
