"""Response bodies produced by async generators, usable under WSGI and ASGI alike.

How this works: :class:`AsyncBody` wraps an async iterator. The ASGI adapter iterates it natively on the server's
loop; a WSGI server iterates it synchronously, and each chunk is then pulled on the worker's long-lived event loop
(:mod:`erlen.aio`) in a copy of the caller's context. Werkzeug sees an ordinary iterable either way.
"""

from __future__ import annotations

import collections.abc as cabc
import contextvars
import typing as t

from . import aio


class AsyncBody:
    """An async iterator of ``str`` or ``bytes`` chunks that also iterates synchronously (for WSGI servers)."""

    def __init__(self, source: cabc.AsyncIterator[t.Any]) -> None:
        self.source = source
        self._context = contextvars.copy_context()

    def __aiter__(self) -> cabc.AsyncIterator[t.Any]:
        return self.source

    def __iter__(self) -> cabc.Iterator[t.Any]:
        anext = self.source.__anext__
        while True:
            try:
                yield self._context.run(aio.run_coroutine, _next_chunk(anext))
            except StopAsyncIteration:
                return

    def close(self) -> None:
        """Close the async generator (runs its ``finally``) on the worker loop."""
        aclose = getattr(self.source, "aclose", None)
        if aclose is not None:
            try:
                aio.run_coroutine(aclose())
            except RuntimeError:
                pass

    async def aclose(self) -> None:
        """Close the async generator from a running loop."""
        aclose = getattr(self.source, "aclose", None)
        if aclose is not None:
            await aclose()


async def _next_chunk(anext: t.Callable[[], t.Awaitable[t.Any]]) -> t.Any:
    return await anext()


def wrap_async_body(rv: t.Any) -> t.Any:
    """``AsyncBody(rv)`` when ``rv`` is an async iterator, else ``rv`` unchanged."""
    if isinstance(rv, cabc.AsyncIterator):
        return AsyncBody(rv)
    return rv
