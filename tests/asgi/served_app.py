"""The app the real-server tests run (imported by uvicorn, hypercorn, granian, gunicorn as served_app:app)."""

from __future__ import annotations

import asyncio
import os
import typing as t

from erlen import Erlen, request
from erlen.sse import ServerSentEvent, sse_response
from erlen.websocket import websocket

app = Erlen(__name__)
state: dict[str, t.Any] = {"started": False}


@app.before_serving
async def started() -> None:
    state["started"] = True


@app.route("/")
def hello() -> str:
    return "Hello, World!"


@app.route("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, t.Any]:
    return {"id": user_id, "started": state["started"], "pid": os.getpid()}


@app.post("/echo")
async def echo() -> dict[str, t.Any]:
    return {"json": request.get_json(), "length": request.content_length}


@app.route("/stream")
def stream() -> t.Any:
    def generate() -> t.Iterator[str]:
        for i in range(5):
            yield f"chunk {i}\n"

    return generate()


@app.route("/astream")
async def astream() -> t.Any:
    async def generate() -> t.AsyncIterator[str]:
        for i in range(5):
            await asyncio.sleep(0.01)
            yield f"achunk {i}\n"

    return generate()


@app.route("/events")
async def events() -> t.Any:
    last = request.headers.get("Last-Event-ID", "none")

    async def generate() -> t.AsyncIterator[ServerSentEvent]:
        for i in range(3):
            yield ServerSentEvent(f"event {i} after {last}", id=str(i), event="tick")

    return sse_response(generate())


@app.websocket("/ws")
async def ws() -> None:
    await websocket.accept()
    while True:
        message = await websocket.receive()
        await websocket.send(f"echo: {message}")
