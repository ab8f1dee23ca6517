"""Server-sent events: a streaming ``text/event-stream`` response from a generator of events.

How this works: :func:`sse_response` wraps a sync or async generator. Each item (a :class:`ServerSentEvent`, a
dict of its fields, or a plain string of data) is encoded in the event-stream format. For async generators a
comment line is sent whenever ``keep_alive`` seconds pass without an event, so proxies keep the connection open
and a gone client is noticed. The client's ``Last-Event-ID`` is ``request.headers.get("Last-Event-ID")``; read
it in the view before starting the stream. Works under WSGI (async generators on the worker loop) and ASGI.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import typing as t
from dataclasses import dataclass

from .globals import _cv_app_get
from .wrappers import Response


@dataclass
class ServerSentEvent:
    """One event: ``data`` (str, lines split on newlines), and optional ``event``, ``id``, ``retry`` (ms)."""

    data: str = ""
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def encode(self) -> bytes:
        """The event in the wire format, ending with the blank line that dispatches it."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _clean(self.comment).split("\n"))
        if self.event is not None:
            lines.append(f"event: {_clean(self.event, single=True)}")
        if self.id is not None:
            lines.append(f"id: {_clean(self.id, single=True)}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        if self.data or not lines:
            lines.extend(f"data: {line}" for line in _clean(self.data).split("\n"))
        return ("\n".join(lines) + "\n\n").encode()


def _clean(value: str, single: bool = False) -> str:
    """Normalise newlines; single-line fields (event, id) may not contain one (nor NUL for id)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if single:
        value = value.replace("\n", " ").replace("\0", "")
    return value


EventLike = ServerSentEvent | t.Mapping[str, t.Any] | str | bytes
_KEEP_ALIVE = b": keep-alive\n\n"


def encode_event(item: EventLike) -> bytes:
    """Encode one generator item as an event."""
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, bytes):
        return ServerSentEvent(item.decode()).encode()
    if isinstance(item, str):
        return ServerSentEvent(item).encode()
    return ServerSentEvent(**item).encode()


def sse_response(
    events: cabc.Iterable[EventLike] | cabc.AsyncIterable[EventLike],
    *,
    keep_alive: float | None = 15.0,
    status: int = 200,
    headers: t.Mapping[str, str] | None = None,
) -> Response:
    """A streaming event-stream response of ``events``; return it from a view."""
    body: t.Any
    if isinstance(events, cabc.AsyncIterable):
        body = _async_events(events, keep_alive)
    else:
        body = (encode_event(item) for item in events)
    app_ctx = _cv_app_get(None)
    response_class: type[Response] = app_ctx.app.response_class if app_ctx is not None else Response
    if isinstance(body, cabc.AsyncIterator):
        from .streaming import AsyncBody

        body = AsyncBody(body)
    response = response_class(body, status=status, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    if headers:
        response.headers.update(headers)
    return response


async def _async_events(
    events: cabc.AsyncIterable[EventLike], keep_alive: float | None
) -> t.AsyncIterator[bytes]:
    iterator = events.__aiter__()
    if keep_alive is None:
        async for item in iterator:
            yield encode_event(item)
        return
    pending: asyncio.Future[t.Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait((pending,), timeout=keep_alive)
            if not done:
                yield _KEEP_ALIVE
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield encode_event(item)
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
