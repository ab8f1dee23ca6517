"""The app the real-server streaming tests run: a streamed upload, send_file, and a recorder of what was sent.

Served as ``stream_app:recorded`` (the app inside an ASGI wrapper that notes, per request to ``/file``, the
message types the app sent and whether the server offered ``http.response.pathsend``). The file to send is
named by the ERLEN_TEST_FILE environment variable.
"""

from __future__ import annotations

import hashlib
import os
import typing as t

from erlen import Erlen, request, send_file

app = Erlen(__name__)
app.config.update(ASGI_BODY_MEMORY_LIMIT=256 * 1024, MAX_CONTENT_LENGTH=8 * 1024 * 1024)
last_file_request: dict[str, t.Any] = {}


@app.post("/upload", stream_body=True)
async def upload() -> dict[str, t.Any]:
    digest = hashlib.sha256()
    size = chunks = 0
    async for chunk in request.iter_body():
        digest.update(chunk)
        size += len(chunk)
        chunks += 1
    return {"sha256": digest.hexdigest(), "size": size, "spooled": "erlen.body_spooled" in request.environ}


@app.post("/small-upload", stream_body=True)
async def small_upload() -> dict[str, t.Any]:
    request.max_content_length = 64 * 1024
    size = 0
    async for chunk in request.iter_body():
        size += len(chunk)
    return {"size": size}


@app.get("/file")
def file() -> t.Any:
    return send_file(os.environ["ERLEN_TEST_FILE"])


@app.get("/last-file-request")
def last() -> dict[str, t.Any]:
    return dict(last_file_request)


async def recorded(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    """The app, noting what it sends for ``/file`` (an ASGI wrapper, as middleware would be)."""
    if scope["type"] != "http" or scope["path"] != "/file":
        await app(scope, receive, send)
        return
    # Recorded before the app runs, each type before its message is sent: the client may ask for the record as
    # soon as the last body chunk arrives, before this coroutine resumes.
    types: list[str] = []
    last_file_request.clear()
    last_file_request.update(offered="http.response.pathsend" in (scope.get("extensions") or {}), types=types)

    async def noting_send(message: t.Any) -> None:
        types.append(message["type"])
        await send(message)

    await app(scope, receive, noting_send)
