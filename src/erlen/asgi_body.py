"""Receiving an HTTP request body under ASGI: size limits, the body timeout, spooling to disk.

How this works: the whole body is received before the app runs. MAX_CONTENT_LENGTH is enforced as it arrives
(413 at once when Content-Length already says so); BODY_TIMEOUT bounds the whole body through one timer per loop
(:class:`BodyDeadlines`) that cancels the receiving task at its deadline, and the cancellation becomes 408; a body
above ASGI_BODY_MEMORY_LIMIT is spooled to a temporary file created and written in the thread pool, so the loop
never waits on the disk. The usual small body arrives in one message and becomes a BytesIO with no chunk loop.
"""

from __future__ import annotations

import asyncio
import tempfile
import typing as t
from io import BytesIO

from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout

if t.TYPE_CHECKING:
    from .asgi import ASGIMixin, Message, Receive


async def receive_body(mixin: ASGIMixin, environ: dict[str, t.Any], receive: Receive) -> t.IO[bytes]:
    """Receive the whole body into memory or a temporary file (set as ``wsgi.input``).

    BODY_TIMEOUT bounds the whole body: a timer cancels this task at the deadline and the cancellation
    becomes 408. # PERF: one timer per body rather than ``wait_for`` (a task) per message; and none at all when
    the body is already there (the first ``receive()`` completes without waiting), the usual small request.
    """
    started = start_body(mixin, environ, receive)
    if type(started) is BytesIO:
        return started
    return await t.cast("t.Coroutine[t.Any, t.Any, t.IO[bytes]]", started)


def start_body(
    mixin: ASGIMixin, environ: dict[str, t.Any], receive: Receive
) -> t.IO[bytes] | t.Coroutine[t.Any, t.Any, t.IO[bytes]]:
    """The body as a ``BytesIO`` when the first ``receive()`` completes at once with all of it (and it is
    small enough to keep in memory); else a coroutine that receives the rest (see :func:`receive_body`).

    # PERF: the usual small body costs no coroutine: the adapter awaits only what this returns when it is not
    # the stream itself.
    """
    config = mixin.config  # type: ignore[attr-defined]
    limit: int | None = config["MAX_CONTENT_LENGTH"]
    declared = environ.get("CONTENT_LENGTH")
    if limit is not None and declared and declared.isdigit() and int(declared) > limit:
        raise RequestEntityTooLarge()
    # The first receive() runs one step here: if it has its message at once, nothing can time out.
    steps = receive().__await__()
    try:
        pending = next(steps)
    except StopIteration as done:
        message = done.value
        if message["type"] == "http.request" and not message.get("more_body", False):
            # PERF: what _single_message_body does, written out (one call less).
            chunk: bytes = message.get("body", b"")
            size = len(chunk)
            if (limit is None or size <= limit) and size <= config.get("ASGI_BODY_MEMORY_LIMIT", 1048576):
                stream = BytesIO(chunk)
                environ["wsgi.input"] = stream
                environ["CONTENT_LENGTH"] = str(size)
                environ["wsgi.input_terminated"] = True
                return stream
        return _receive_rest(mixin, environ, receive, limit, config, message, None, None)
    return _receive_rest(mixin, environ, receive, limit, config, None, steps, pending)


async def _receive_rest(
    mixin: ASGIMixin,
    environ: dict[str, t.Any],
    receive: Receive,
    limit: int | None,
    config: t.Any,
    message: Message | None,
    steps: t.Any,
    pending: t.Any,
) -> t.IO[bytes]:
    """:func:`receive_body` after its first step: the first message (or the step still waiting for it), the
    chunks after it, BODY_TIMEOUT and spooling."""
    timeout: float | None = config.get("BODY_TIMEOUT", 60)
    # PERF: the loop from the task; each ``get_running_loop`` call checks the process id (a system call).
    task = asyncio.current_task()
    deadlines = None
    if timeout is not None and task is not None:
        loop = task.get_loop()
        deadlines = mixin._body_deadlines
        if deadlines is None or deadlines.loop is not loop:
            deadlines = mixin._body_deadlines = BodyDeadlines(loop)
        deadlines.add(task, timeout)
    spool: list[t.IO[bytes]] = []
    try:
        if message is None:
            message = await _Resumed(steps, pending)
            if message["type"] == "http.request" and not message.get("more_body", False):
                stream = _single_message_body(environ, message, limit, config)
                if stream is not None:
                    return stream
        return await _receive_chunks(mixin, environ, receive, limit, config, spool, message)
    except asyncio.CancelledError:
        if deadlines is None or not deadlines.expired(task):
            raise
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None:
            uncancel()
        raise RequestTimeout() from None
    except BaseException:
        if spool:
            spool[0].close()
        raise
    finally:
        if deadlines is not None:
            deadlines.discard(task)


def _single_message_body(
    environ: dict[str, t.Any], message: Message, limit: int | None, config: t.Any
) -> t.IO[bytes] | None:
    """The body of a request that arrived in one message, in memory; None when it must go the long way
    (over the cap, or large enough to spool)."""
    chunk: bytes = message.get("body", b"")
    size = len(chunk)
    if (limit is not None and size > limit) or size > config.get("ASGI_BODY_MEMORY_LIMIT", 1048576):
        return None
    stream = BytesIO(chunk)
    environ["wsgi.input"] = stream
    environ["CONTENT_LENGTH"] = str(size)
    environ["wsgi.input_terminated"] = True
    return stream


class _Resumed:
    """The rest of an awaitable whose first step already ran and yielded ``pending``.

    Awaiting this finishes it exactly as ``await`` would (the ``yield from`` expansion of PEP 380): values are
    sent on, exceptions (cancellation) thrown in, and servers' awaitables that are plain iterators (granian's)
    work too.
    """

    __slots__ = ("pending", "steps")

    def __init__(self, steps: t.Iterator[t.Any], pending: t.Any) -> None:
        self.steps = steps
        self.pending = pending

    def __await__(self) -> t.Generator[t.Any, t.Any, t.Any]:
        steps, signal = self.steps, self.pending
        while True:
            try:
                value = yield signal
            except GeneratorExit:
                close = getattr(steps, "close", None)
                if close is not None:
                    close()
                raise
            except BaseException as e:
                throw = getattr(steps, "throw", None)
                if throw is None:
                    raise
                try:
                    signal = throw(e)
                except StopIteration as done:
                    return done.value
                continue
            try:
                signal = next(steps) if value is None else steps.send(value)  # type: ignore[attr-defined]
            except StopIteration as done:
                return done.value


async def _receive_chunks(
    mixin: ASGIMixin,
    environ: dict[str, t.Any],
    receive: Receive,
    limit: int | None,
    config: t.Any,
    spool_holder: list[t.IO[bytes]],
    first: Message,
) -> t.IO[bytes]:
    memory_limit: int = config.get("ASGI_BODY_MEMORY_LIMIT", 1024 * 1024)
    loop: asyncio.AbstractEventLoop | None = None
    chunks: list[bytes] = []
    size = 0
    spool: t.IO[bytes] | None = None
    more = True
    message: Message | None = first
    while more:
        if message is None:
            message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected()
        chunk: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        message = None
        size += len(chunk)
        if limit is not None and size > limit:
            raise RequestEntityTooLarge()
        if spool is None:
            chunks.append(chunk)
            if size > memory_limit:
                # H10: the file is created and written in the pool so the loop never waits on the disk.
                loop = asyncio.get_running_loop()
                spool = await loop.run_in_executor(mixin._pool(), tempfile.TemporaryFile)
                environ["erlen.body_spooled"] = True
                spool_holder.append(spool)
                await loop.run_in_executor(mixin._pool(), spool.write, b"".join(chunks))
                chunks = []
        elif chunk:
            await loop.run_in_executor(mixin._pool(), spool.write, chunk)  # type: ignore[union-attr]
    if spool is not None:
        await loop.run_in_executor(mixin._pool(), spool.seek, 0)  # type: ignore[union-attr]
        stream: t.IO[bytes] = spool
    else:
        stream = BytesIO(chunks[0] if len(chunks) == 1 else b"".join(chunks))
    environ["wsgi.input"] = stream
    environ["CONTENT_LENGTH"] = str(size)
    environ["wsgi.input_terminated"] = True
    return stream


class BodyDeadlines:
    """BODY_TIMEOUT for every body being received on one loop, with one timer between them.

    # PERF: a TimerHandle per request (call_later + cancel) cost ~2 us; registering here is two dict operations.
    The timer fires at the earliest deadline still registered, cancels the tasks past theirs (the cancellation
    becomes 408 in :func:`receive_body`) and re-arms for the next one.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[asyncio.Task[t.Any], float] = {}
        self.timed_out: set[asyncio.Task[t.Any]] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0

    def add(self, task: asyncio.Task[t.Any], timeout: float) -> None:
        deadline = self.loop.time() + timeout
        self.waiting[task] = deadline
        if self.timer is None or deadline < self.timer_at:
            self._arm(deadline)

    def discard(self, task: asyncio.Task[t.Any] | None) -> None:
        self.waiting.pop(task, None)  # type: ignore[arg-type]
        self.timed_out.discard(task)

    def expired(self, task: asyncio.Task[t.Any] | None) -> bool:
        return task in self.timed_out

    def _arm(self, deadline: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.loop.call_at(deadline, self._check)
        self.timer_at = deadline

    def _check(self) -> None:
        self.timer = None
        now = self.loop.time()
        for task, deadline in list(self.waiting.items()):
            if deadline <= now:
                del self.waiting[task]
                self.timed_out.add(task)
                task.cancel()
        if self.waiting:
            self._arm(min(self.waiting.values()))


class Disconnected(Exception):
    """The client went away before the request body was complete."""
