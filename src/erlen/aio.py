"""Running coroutines from synchronous code: on the ASGI server's loop when there is one, else on one
long-lived event loop per worker process.

How this works: under ASGI the adapter records the server's running loop in a context variable; a sync function
running in the pool that calls ``async_to_sync`` (``app.ensure_sync``) submits the coroutine to that loop and
waits, so an async connection pool created at startup is only ever used on the loop it belongs to. Elsewhere
(WSGI, or code on the loop's own thread, which must not block it) the first call starts a daemon thread that
runs an asyncio loop for the life of the process; each call submits the coroutine there inside a copy of the
caller's contextvars (so ``request``, ``g`` and ``current_app`` work) and waits. After a fork the child starts
its own. asyncio itself is imported on first use, so a WSGI app that never awaits anything never loads it.
"""

from __future__ import annotations

import contextvars
import os
import threading
import typing as t
from functools import wraps

from ._lazy import LazyModule

if t.TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Future


if not t.TYPE_CHECKING:
    asyncio = LazyModule("asyncio", globals())

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_loop_thread: threading.Thread | None = None

#: The ASGI server's running loop, set for each ASGI connection (see ``ASGIMixin.asgi_app``).
server_loop: contextvars.ContextVar[asyncio.AbstractEventLoop] = contextvars.ContextVar("erlen.server_loop")


def worker_loop() -> asyncio.AbstractEventLoop:
    """The process's long-lived event loop, started on first use (and again after a fork)."""
    global _loop, _loop_pid, _loop_thread
    loop = _loop
    if loop is not None and _loop_pid == os.getpid():
        return loop
    with _lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="erlen-event-loop", daemon=True)
            thread.start()
            ready.wait()
            _loop, _loop_pid, _loop_thread = loop, os.getpid(), thread
        return _loop


def run_coroutine(coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
    """Run ``coro`` to completion, in a copy of the caller's context, and return its result.

    On the ASGI server's loop when called from another thread (a pool thread) during an ASGI request; otherwise
    on the worker loop.
    """
    from concurrent.futures import Future

    loop = server_loop.get(None)
    if loop is None or not loop.is_running() or asyncio._get_running_loop() is not None:
        loop = worker_loop()
        if threading.current_thread() is _loop_thread:
            coro.close()
            raise RuntimeError("Cannot wait for a coroutine from the worker event loop's own thread.")
    context = contextvars.copy_context()
    result: Future[t.Any] = Future()

    def start() -> None:
        task = context.run(loop.create_task, coro)

        def done(finished: asyncio.Task[t.Any]) -> None:
            if finished.cancelled():
                result.cancel()
            elif finished.exception() is not None:
                result.set_exception(finished.exception())
            else:
                result.set_result(finished.result())

        task.add_done_callback(done)

    loop.call_soon_threadsafe(start)
    return result.result()


def run_sync(func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]) -> t.Callable[..., t.Any]:
    """A synchronous wrapper that runs the coroutine function ``func`` (see :func:`run_coroutine`)."""

    @wraps(func)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return run_coroutine(func(*args, **kwargs))

    return wrapper
