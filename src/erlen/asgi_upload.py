"""Streaming request bodies under ASGI, for routes that opted in (``stream_body=True``, ``@stream_request_body``).

How this works: when an app has streaming routes and a request declares a body, the adapter matches the URL
first (:func:`wants_stream`; apps without streaming routes never do). For a streaming endpoint nothing is
received up front: ``wsgi.input`` becomes an :class:`ASGIBodyInput` that pulls ``http.request`` messages when
the view asks, through ``request.iter_body()`` on the loop, or ``request.stream.read()`` / ``get_data()`` from a
sync view in the pool (the read is handed to the loop and waited for). MAX_CONTENT_LENGTH (the request's
``max_content_length``) is counted as chunks arrive (413), BODY_TIMEOUT bounds the wait for each chunk (408), and
a client that leaves mid-body ends the iteration with Werkzeug's ``ClientDisconnected``; then no response is
sent. Those errors reach the app's error handlers like any error the view raises. Everything after the view
(streamed responses, disconnect watching) is the adapter's usual path; the watcher waits until the body has been
read to its end, so it never takes a chunk meant for a view or a body generator still reading it.
"""

from __future__ import annotations

import asyncio
import sys
import typing as t
from functools import partial

from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge, RequestTimeout

from .body_stream import StreamingBodyError

if t.TYPE_CHECKING:
    from .app import Erlen
    from .asgi import ASGIMixin, Message, Receive, Scope, Send
    from .wrappers import Request, Response


def wants_stream(app: Erlen, environ: dict[str, t.Any]) -> bool:
    """Whether this request goes to an endpoint that streams its body (one URL match; errors say no, and the
    usual path then answers them)."""
    try:
        request = app.request_class(environ, populate_request=False)
        adapter = app.create_url_adapter(request)
        if adapter is None:
            return False
        rule, _ = adapter.match(return_rule=True)
    except Exception:
        return False
    return rule.endpoint in app._stream_endpoints


async def serve_streaming(
    mixin: ASGIMixin, scope: Scope, receive: Receive, send: Send, environ: dict[str, t.Any]
) -> None:
    """Serve one request to a streaming route: the view runs before the body is received."""
    from .asgi import _MODE_ASYNC, _run_wsgi_app, _start_wsgi_response, _write_response

    app: Erlen = mixin  # type: ignore[assignment]
    config = app.config
    limit: int | None = config["MAX_CONTENT_LENGTH"]
    declared = environ.get("CONTENT_LENGTH")
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    declared_length: int | None = None
    if declared is not None and not chunked:
        # Repeated identical values (``10,10``: a header sent twice) are one length, as RFC 9110 8.6 allows.
        values = {part.strip(" \t") for part in declared.split(",")}
        digits = values.pop() if len(values) == 1 else ""
        if not (digits.isdigit() and digits.isascii()) or len(digits) > 19:
            error = BadRequest("Malformed Content-Length header.")
            await mixin._answer_body_error(scope, receive, send, environ, error)
            return
        declared_length = int(digits)
    if limit is not None and declared_length is not None and declared_length > limit:
        await mixin._answer_body_error(scope, receive, send, environ, RequestEntityTooLarge())
        return
    body = ASGIBodyInput(receive, declared_length, config.get("BODY_TIMEOUT", 60))
    environ["wsgi.input"] = body
    if declared_length is None:
        environ["wsgi.input_terminated"] = True  # the input ends where the body ends (chunked framing)
    response: Response | None
    if mixin._dispatch_mode() == _MODE_ASYNC:
        from .asgi_dispatch import run_request

        response = await run_request(app, environ)
        status, headers, app_iter = _start_wsgi_response(response, environ)
    else:
        response = None
        status, headers, app_iter = await mixin._run_sync(partial(_run_wsgi_app, app, environ))
    if body.disconnected:
        # Nobody to answer; release what the response holds (files, generators) without sending it.
        close = getattr(app_iter, "close", None)
        if close is not None:
            await mixin._run_sync(close)
        return
    await _write_response(mixin, scope, body.receive_after_body, send, response, status, headers, app_iter)


class ASGIBodyInput:
    """``wsgi.input`` of a streaming route: the body pulled from ``receive`` as the view reads it."""

    def __init__(self, receive: Receive, declared: int | None, timeout: float | None) -> None:
        self._receive = receive
        self.loop = asyncio.get_running_loop()
        self.declared = declared
        self.timeout = timeout
        self.received = 0
        #: The last body message arrived (the body is complete).
        self.complete = False
        #: The client went away before the body was complete.
        self.disconnected = False
        self._ended = asyncio.Event()
        self._failure: BaseException | None = None
        self._buffer = b""
        self._reading = False

    # -- the event loop side ----------------------------------------------------------------------------------

    async def next_chunk(self, limit: int | None) -> bytes:
        """The next non-empty chunk of the body, or b"" at its end; raises 413, 408, 400 or ClientDisconnected."""
        if self._failure is not None:
            raise self._failure
        if self._reading:
            raise StreamingBodyError("The request body is already being read by another task.")
        self._reading = True
        try:
            while not self.complete:
                message = await self._next_message()
                kind = message["type"]
                if kind == "http.disconnect":
                    self.disconnected = True
                    self._ended.set()
                    raise self._fail(
                        ClientDisconnected("The client went away before sending the whole body.")
                    )
                if kind != "http.request":
                    continue
                chunk: bytes = message.get("body", b"")
                self.received += len(chunk)
                if not message.get("more_body", False):
                    self.complete = True
                    self._ended.set()
                if limit is not None and self.received > limit:
                    raise self._fail(RequestEntityTooLarge())
                declared = self.declared
                if declared is not None and (
                    self.received > declared or (self.complete and self.received < declared)
                ):
                    raise self._fail(BadRequest("The request body does not match its Content-Length."))
                if chunk:
                    return chunk
            return b""
        finally:
            self._reading = False

    async def _next_message(self) -> Message:
        timeout = self.timeout
        try:
            if timeout is None:
                return await self._receive()
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    return await self._receive()
            return await asyncio.wait_for(_awaited(self._receive), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise self._fail(RequestTimeout()) from None

    def _fail(self, error: BaseException) -> BaseException:
        self._failure = error
        self._ended.set()
        return error

    async def iter_chunks(self, request: Request) -> t.AsyncIterator[bytes]:
        """The body as it arrives, capped at the request's ``max_content_length`` (``request.iter_body()``)."""
        limit = request.max_content_length
        if self._buffer:
            chunk, self._buffer = self._buffer, b""
            yield chunk
        while True:
            chunk = await self.next_chunk(limit)
            if not chunk:
                return
            yield chunk

    async def receive_after_body(self) -> Message:
        """``receive`` for the response writer's disconnect watcher: it waits until the body has been read to
        its end, so it never takes a chunk a view or a body generator is still going to read."""
        await self._ended.wait()
        if self.disconnected:
            return {"type": "http.disconnect"}
        return await self._receive()

    # -- the WSGI side: sync reads from a pool thread -----------------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all with -1), from a pool thread; on the loop it would deadlock."""
        return self._call(self._read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._call(self._readline(size))

    def _call(self, coro: t.Coroutine[t.Any, t.Any, bytes]) -> bytes:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            coro.close()
            raise StreamingBodyError(
                "On a streaming route, an async view reads the body with `async for chunk in"
                " request.iter_body()`; get_data(), form, files, json and stream.read() would block the event"
                " loop (they work in sync views, which run in the thread pool)."
            )
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def _read(self, size: int | None) -> bytes:
        if size is None or size < 0:
            parts = [self._buffer]
            self._buffer = b""
            while chunk := await self.next_chunk(None):
                parts.append(chunk)
            return b"".join(parts)
        if not self._buffer:
            self._buffer = await self.next_chunk(None)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    async def _readline(self, size: int | None) -> bytes:
        parts: list[bytes] = []
        total = 0
        while size is None or size < 0 or total < size:
            if not self._buffer:
                self._buffer = await self.next_chunk(None)
                if not self._buffer:
                    break
            end = self._buffer.find(b"\n") + 1 or len(self._buffer)
            if size is not None and size >= 0:
                end = min(end, size - total)
            parts.append(self._buffer[:end])
            total += end
            self._buffer = self._buffer[end:]
            if parts[-1].endswith(b"\n"):
                break
        return b"".join(parts)


async def _awaited(receive: Receive) -> Message:
    return await receive()
