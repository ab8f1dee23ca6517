"""Sending a file response (``send_file`` / ``send_from_directory`` with a path) under ASGI.

How this works: Werkzeug's ``send_file`` opens the file and answers with ``direct_passthrough`` and a
:class:`werkzeug.wsgi.FileWrapper` as the body (no ``wsgi.file_wrapper`` exists under ASGI); a GET that is not a
Range request hands the adapter that wrapper as it is (HEAD, 304 and 206 responses do not, and keep the usual
path). After ``http.response.start``:

* when the server offers the ``http.response.pathsend`` extension (granian) and the open file is still the
  regular file at its absolute path (same device and inode, read from the start), one
  ``http.response.pathsend`` message hands the path to the server, which sends the file itself;
* otherwise the file is read in :data:`CHUNK_SIZE` pieces in the thread pool and sent with ``more_body``, one
  chunk in memory at a time, while a watcher notices the client leaving (then reading stops).

Either way the file is closed in the pool afterwards.
"""

from __future__ import annotations

import asyncio
import os
import stat
import typing as t
from concurrent.futures import Future

from .asgi_stream import send_until_disconnect

if t.TYPE_CHECKING:
    from werkzeug.wsgi import FileWrapper

    from .asgi import ASGIMixin, Receive, Scope, Send

#: Bytes read from the file per chunk (one pool hop each); Werkzeug's own FileWrapper reads 8 KiB.
CHUNK_SIZE = 256 * 1024
PATHSEND = "http.response.pathsend"


async def send_file_body(
    mixin: ASGIMixin, scope: Scope, receive: Receive, send: Send, wrapper: FileWrapper
) -> None:
    """Send the body of a file response whose ``http.response.start`` already went out."""
    loop = asyncio.get_running_loop()
    pool = mixin._pool()
    extensions = scope.get("extensions") or {}
    try:
        if PATHSEND in extensions:
            path = await loop.run_in_executor(pool, pathsend_path, wrapper.file)
            if path is not None:
                await send({"type": PATHSEND, "path": path})
                return
        await _send_chunks(pool, receive, send, wrapper.file)
    finally:
        await loop.run_in_executor(pool, wrapper.close)


def pathsend_path(file: t.Any) -> str | None:
    """The absolute path the server may send for ``file``, or None when it cannot stand for the open file
    (no path, not a regular file, replaced since it was opened, or not read from its start)."""
    name = getattr(file, "name", None)
    if not isinstance(name, str):
        return None
    path = os.path.abspath(name)
    try:
        if file.tell() != 0:
            return None
        opened = os.fstat(file.fileno())
        current = os.stat(path)
    except (OSError, ValueError, AttributeError):
        return None
    if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (current.st_dev, current.st_ino):
        return None
    return path


async def _send_chunks(pool: t.Any, receive: Receive, send: Send, file: t.Any) -> None:
    reader = _ChunkReader(pool, file)
    await send_until_disconnect(_pump(reader, send), receive, reader.settle)


async def _pump(reader: _ChunkReader, send: Send) -> None:
    while chunk := await reader.next():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class _ChunkReader:
    """Reads of the file in the pool, one at a time, so closing it never races a read in flight."""

    def __init__(self, pool: t.Any, file: t.Any) -> None:
        self.pool = pool
        self.file = file
        self.pending: Future[bytes] | None = None

    async def next(self) -> bytes:
        self.pending = self.pool.submit(self.file.read, CHUNK_SIZE)
        return await asyncio.wrap_future(self.pending)

    async def settle(self) -> None:
        """Wait (without raising) for a read still running in the pool, e.g. after the client left."""
        pending = self.pending
        if pending is not None and not pending.done():
            await asyncio.gather(asyncio.wrap_future(pending), return_exceptions=True)
