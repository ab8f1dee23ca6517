"""The app for the real-server fault tests (H9, H10): a slow stream, uploads, and an event-loop lag probe."""

from __future__ import annotations

import asyncio
import io
import time
import typing as t

from erlen import Erlen, request

app = Erlen(__name__)
app.config.update(ASGI_BODY_MEMORY_LIMIT=256 * 1024, MAX_CONTENT_LENGTH=64 * 1024 * 1024)
probe: dict[str, t.Any] = {"max_lag": 0.0, "task": None}


@app.before_serving
async def start_lag_probe() -> None:
    """Measure how late a 5 ms sleep wakes up on the server loop: that is how long the loop was blocked."""

    async def measure() -> None:
        # The gap between two wake-ups, not "now - when I went to sleep": a block that runs in the same loop
        # iteration just before the probe resumes would otherwise go unseen. Not loop.time(): uvloop caches it.
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            probe["max_lag"] = max(probe["max_lag"], now - last - 0.005)
            last = now

    probe["task"] = asyncio.ensure_future(measure())


@app.after_serving
async def stop_lag_probe() -> None:
    probe["task"].cancel()


@app.post("/lag/reset")
async def reset_lag() -> dict[str, t.Any]:
    probe["max_lag"] = 0.0
    return {"running": probe["task"] is not None and not probe["task"].done()}


@app.get("/lag")
async def read_lag() -> dict[str, float]:
    return {"max_lag": probe["max_lag"]}


@app.route("/slow-stream")
async def slow_stream() -> t.Any:
    async def generate() -> t.AsyncIterator[str]:
        for i in range(5):
            yield f"chunk {i}\n"
            await asyncio.sleep(1)
        yield "end\n"

    return generate()


@app.post("/upload/raw")
def upload_raw() -> dict[str, t.Any]:
    return {"size": len(request.get_data()), "spooled": not isinstance(request.stream, io.BytesIO)}


@app.post("/upload/form")
def upload_form() -> dict[str, t.Any]:
    return {"size": len(request.files["file"].read())}


@app.post("/upload/form-async")
async def upload_form_async() -> dict[str, t.Any]:
    # The form is parsed off the loop by Erlen; reading 32 MiB is the view's own blocking work, which an async
    # view hands to a thread as any async app must (H10 measures Erlen's receiving and parsing, not this read).
    upload = request.files["file"]
    return {"size": len(await asyncio.to_thread(upload.read))}
