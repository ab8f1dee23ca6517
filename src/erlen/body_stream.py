"""Opt-in request body streaming: ``stream_body=True`` routes and ``request.iter_body()``, under WSGI and ASGI.

How this works: a route opts in at registration (``app.route(..., stream_body=True)`` or the
:func:`stream_request_body` decorator); the app records its endpoint, so the ASGI adapter decides per endpoint,
before receiving anything, whether to hand the view the live body (:mod:`erlen.asgi_upload`) instead of receiving
it first. ``request.iter_body()`` is the one way to read a body chunk by chunk from an ``async def`` view:

* on a streaming route under ASGI it awaits the server's ``http.request`` messages as they arrive
  (MAX_CONTENT_LENGTH, BODY_TIMEOUT per chunk and client disconnects enforced as it goes);
* anywhere else (WSGI, or a route whose body was received first) it reads ``request.stream`` in chunks, off the
  event loop when the stream is not already in memory.

Once ``iter_body()`` has started, the body belongs to it: ``get_data()``, ``form``, ``files``, ``json`` and
``stream.read()`` raise :class:`BodyConsumedError` rather than hand out an empty or partial body.

This module is imported with ``erlen`` (the Request method lives here), so it must not import asyncio at import
time (memory target: a WSGI app never loads it).
"""

from __future__ import annotations

import io
import typing as t

if t.TYPE_CHECKING:
    from .wrappers import Request

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Chunk size for bodies read from a file-like stream (WSGI input, a received body).
DEFAULT_CHUNK_SIZE = 64 * 1024


def stream_request_body(view: F) -> F:
    """Mark ``view`` as streaming its request body (the same as ``app.route(..., stream_body=True)``).

    Put it *below* the route decorator, so the mark is there when the route is registered::

        @app.post("/upload")
        @stream_request_body
        async def upload():
            async for chunk in request.iter_body():
                ...
    """
    view.erlen_stream_body = True  # type: ignore[attr-defined]
    return view


class StreamingBodyError(RuntimeError):
    """The body of a streaming route was read in a way that cannot work (a programmer error, answered 500)."""


class BodyConsumedError(StreamingBodyError):
    """The body was already read with ``request.iter_body()`` (or iterated twice)."""


_CONSUMED_MESSAGE = (
    "The request body was already read with request.iter_body(); on a streaming route the body is not kept, "
    "so get_data(), form, files, json and stream.read() have nothing to return. Read it once, one way."
)


class ConsumedBody(io.RawIOBase):
    """What ``request.stream`` becomes once ``iter_body()`` took the body: every read is a clear error."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        raise BodyConsumedError(_CONSUMED_MESSAGE)

    def read(self, size: int = -1) -> bytes:
        raise BodyConsumedError(_CONSUMED_MESSAGE)

    def readline(self, size: int | None = -1) -> bytes:
        raise BodyConsumedError(_CONSUMED_MESSAGE)


class AsyncBodySource(t.Protocol):
    """A live request body that can be iterated on the event loop (the ASGI streaming input)."""

    def iter_chunks(self, request: Request) -> t.AsyncIterator[bytes]: ...


def iter_body(request: Request, chunk_size: int = DEFAULT_CHUNK_SIZE) -> t.AsyncIterator[bytes]:
    """The body of ``request`` as an async iterator of non-empty byte chunks; see the module docstring."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    d = request.__dict__
    if d.get("_erlen_body_iterated"):
        raise BodyConsumedError(_CONSUMED_MESSAGE)
    cached: bytes | None = d.get("_cached_data")
    if cached is None and "form" in d:
        raise StreamingBodyError(
            "The request body was already parsed as a form; read request.form / request.files instead."
        )
    d["_erlen_body_iterated"] = True
    if cached is not None:
        return _from_bytes(cached, chunk_size)
    raw = request.environ.get("wsgi.input")
    live = getattr(raw, "iter_chunks", None)
    if live is not None and "_erlen_stream" not in d:
        d["_erlen_stream"] = ConsumedBody()
        return t.cast("AsyncBodySource", raw).iter_chunks(request)
    stream = request.stream
    d["_erlen_stream"] = ConsumedBody()
    return _from_stream(stream, chunk_size)


async def _from_bytes(data: bytes, chunk_size: int) -> t.AsyncIterator[bytes]:
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]


async def _from_stream(stream: t.IO[bytes], chunk_size: int) -> t.AsyncIterator[bytes]:
    """Chunks read from a file-like body; reads that may block (a socket, a file) run in a worker thread."""
    import asyncio

    in_memory = type(stream) is io.BytesIO
    loop = asyncio.get_running_loop()
    while True:
        chunk = (
            stream.read(chunk_size)
            if in_memory
            else await loop.run_in_executor(None, stream.read, chunk_size)
        )
        if not chunk:
            return
        yield chunk
