"""Writing a streamed response body to an ASGI connection, and noticing when the client leaves.

How this works: a pump task sends chunks with ``more_body`` while a watcher task waits for ``http.disconnect``.
Whichever finishes first decides: a finished pump ends the body; a disconnect cancels the pump, which interrupts an
async generator at its current ``await`` (its ``finally`` runs at once) or, for a sync iterator, closes it when the
chunk being produced in the pool returns. An exception raised by the body after the response started propagates,
so the server logs it once and aborts the connection instead of ending the body cleanly (rows H1, H2, H6).
"""

from __future__ import annotations

import asyncio
import contextvars
import typing as t
from concurrent.futures import Future

from .aio import server_loop
from .streaming import AsyncBody

if t.TYPE_CHECKING:
    from .asgi import ASGIMixin, Receive, Scope, Send
    from .wrappers import Response

_END = object()


async def stream_body(
    mixin: ASGIMixin, scope: Scope, receive: Receive, send: Send, response: Response | None, app_iter: t.Any
) -> None:
    """Send ``app_iter`` (or the response's async body) chunk by chunk until done or the client leaves."""
    source: _AsyncSource | _SyncSource
    async_body = response.response if response is not None else None
    if (
        isinstance(async_body, AsyncBody)
        and scope.get("method") != "HEAD"
        and t.cast("Response", response).status_code not in (204, 304)
    ):
        # Not app_iter.close(): that closes the response, and with it the async generator we are about to run.
        source = _AsyncSource(async_body)
    else:
        source = _SyncSource(mixin, app_iter)
    await send_until_disconnect(_pump(source, send), receive, source.close)


async def send_until_disconnect(
    pump: t.Coroutine[t.Any, t.Any, None], receive: Receive, settle: t.Callable[[], t.Awaitable[None]]
) -> None:
    """Run ``pump`` (which sends a body) while watching for the client leaving; whichever ends first ends both.

    ``settle`` runs afterwards in every case (closing the source). An error of the pump is raised, unless it is
    the ``OSError`` a server raises for a client that is gone.
    """
    pump_task = asyncio.ensure_future(pump)
    watcher = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        await asyncio.wait((pump_task, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not pump_task.done():
            pump_task.cancel()
            await asyncio.gather(pump_task, return_exceptions=True)
        await settle()
    if not pump_task.cancelled():
        error = pump_task.exception()
        if error is not None and not isinstance(error, OSError):
            raise error


async def _pump(source: _AsyncSource | _SyncSource, send: Send) -> None:
    while True:
        chunk = await source.next()
        if chunk is _END:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode()
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _next_or_end(iterator: t.Iterator[t.Any]) -> t.Any:
    return next(iterator, _END)


class _AsyncSource:
    def __init__(self, body: AsyncBody) -> None:
        self.body = body
        self.iterator = body.source

    async def next(self) -> t.Any:
        try:
            return await self.iterator.__anext__()
        except StopAsyncIteration:
            return _END

    async def close(self) -> None:
        await self.body.aclose()


class _SyncSource:
    """A sync iterable pulled in the pool, every chunk in the same context (stream_with_context needs that)."""

    def __init__(self, mixin: ASGIMixin, app_iter: t.Any) -> None:
        self.pool = mixin._pool()
        self.app_iter = app_iter
        self.iterator = iter(app_iter)
        self.context = contextvars.copy_context()
        self.context.run(server_loop.set, asyncio.get_running_loop())  # async_to_sync in the body: this loop
        self.pending: Future[t.Any] | None = None

    async def next(self) -> t.Any:
        self.pending = self.pool.submit(self.context.run, _next_or_end, self.iterator)
        return await asyncio.wrap_future(self.pending)

    async def close(self) -> None:
        close = getattr(self.app_iter, "close", None)
        if close is None:
            return
        pending = self.pending

        def close_after_pending() -> None:
            if pending is not None:
                try:
                    pending.result()
                except BaseException:
                    pass
            self.context.run(close)

        await asyncio.get_running_loop().run_in_executor(self.pool, close_after_pending)
