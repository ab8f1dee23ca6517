"""Running coroutines from synchronous code on one long-lived event loop per worker process.

How this works: the first async view (or hook) called under WSGI starts a daemon thread that runs an asyncio loop
for the life of the process. Each call submits the coroutine to that loop inside a copy of the caller's
contextvars (so ``request``, ``g`` and ``current_app`` work) and waits for the result. Because the loop outlives
requests, an async connection pool or client created once keeps working. After a fork the child starts its own.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import typing as t
from concurrent.futures import Future
from functools import wraps

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_loop_thread: threading.Thread | None = None


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
    """Run ``coro`` to completion on the worker loop, in a copy of the caller's context, and return its result."""
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
    """A synchronous wrapper that runs the coroutine function ``func`` on the worker loop."""

    @wraps(func)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return run_coroutine(func(*args, **kwargs))

    return wrapper
