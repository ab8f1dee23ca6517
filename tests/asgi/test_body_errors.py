"""413 and 408 found while the ASGI adapter receives the body go through the app's error handlers."""

from __future__ import annotations

import tempfile
import threading
import typing as t
from types import SimpleNamespace

import pytest

from erlen import Blueprint, Erlen, asgi_body, g, request
from erlen.asgi_testing import ASGIClient
from erlen.wrappers import Request


def _app(async_handlers: bool) -> tuple[Erlen, list[str]]:
    app = Erlen("body_errors")
    app.config.update(MAX_CONTENT_LENGTH=1000, BODY_TIMEOUT=0.2)
    events: list[str] = []

    if async_handlers:

        @app.errorhandler(413)
        async def too_large(error: t.Any) -> tuple[str, int]:
            return f"too large: {request.path}", 413

        @app.errorhandler(408)
        async def too_slow(error: t.Any) -> tuple[str, int]:
            return "too slow", 408

    else:

        @app.errorhandler(413)
        def too_large(error: t.Any) -> tuple[str, int]:
            return f"too large: {request.path}", 413

        @app.errorhandler(408)
        def too_slow(error: t.Any) -> tuple[str, int]:
            return "too slow", 408

    @app.after_request
    def after(response: t.Any) -> t.Any:
        response.headers["X-After"] = "ran"
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.post("/upload")
    def upload() -> str:
        events.append("view")
        return "no"

    return app, events


@pytest.mark.parametrize("async_handlers", [False, True])
def test_413_while_receiving_runs_the_handler(async_handlers: bool) -> None:
    app, events = _app(async_handlers)
    with ASGIClient(app) as client:
        chunked = client.post("/upload", body_chunks=[b"x" * 600] * 5)
        declared = client.post("/upload", data=b"x" * 2000)
    for response in (chunked, declared):
        assert response.status_code == 413
        assert response.data == b"too large: /upload"
        assert response.headers["X-After"] == "ran"
    assert events == ["teardown", "teardown"]


@pytest.mark.parametrize("async_handlers", [False, True])
def test_408_while_receiving_runs_the_handler(async_handlers: bool) -> None:
    app, events = _app(async_handlers)
    with ASGIClient(app) as client:
        response = client.post("/upload", body_chunks=[b"x"] * 20, chunk_delay=0.05)
    assert response.status_code == 408
    assert response.data == b"too slow"
    assert events == ["teardown"]


def test_blueprint_handler_and_default_page() -> None:
    app = Erlen("body_errors")
    app.config["MAX_CONTENT_LENGTH"] = 10
    bp = Blueprint("files", __name__, url_prefix="/files")

    @bp.errorhandler(413)
    def bp_too_large(error: t.Any) -> tuple[str, int]:
        g.seen = True
        return "blueprint says too large", 413

    @bp.post("/")
    def upload() -> str:
        return "no"

    @app.post("/plain")
    def plain() -> str:
        return "no"

    app.register_blueprint(bp)
    with ASGIClient(app) as client:
        assert client.post("/files/", data=b"x" * 100).data == b"blueprint says too large"
        default = client.post("/plain", data=b"x" * 100)
    assert default.status_code == 413
    assert b"Request Entity Too Large" in default.data


def _many_parts(count: int, size: int) -> bytes:
    parts = [
        b'--b\r\nContent-Disposition: form-data; name="f%d"; filename="x"\r\n\r\n' % i + b"x" * size + b"\r\n"
        for i in range(count)
    ]
    return b"".join(parts) + b"--b--\r\n"


def test_large_form_parsed_in_the_pool_for_async_views() -> None:
    """A spooled form body is parsed off the loop before an async view runs; its errors still reach the view."""
    app = Erlen("spooled_form")
    app.config.update(ASGI_BODY_MEMORY_LIMIT=1024, MAX_CONTENT_LENGTH=None, MAX_FORM_PARTS=3)
    seen: list[str] = []

    @app.post("/files")
    async def files() -> str:
        seen.append(str("files" in request.__dict__))
        return ",".join(sorted(request.files))

    @app.post("/ignore")
    async def ignore() -> str:
        return "did not read the form"

    headers = [("content-type", "multipart/form-data; boundary=b")]
    with ASGIClient(app) as client:
        assert client.post("/files", data=_many_parts(2, 4096), headers=headers).data == b"f0,f1"
        assert seen == ["True"]
        assert client.post("/files", data=_many_parts(5, 4096), headers=headers).status_code == 413
        assert client.post("/ignore", data=_many_parts(5, 4096), headers=headers).status_code == 200


class _ClosedWhere:
    """A temporary file that records which thread closed it."""

    def __init__(self, file: t.IO[bytes], closers: dict[str, str]) -> None:
        self._file = file
        self._closers = closers

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._file, name)

    def close(self) -> None:
        self._closers["body"] = threading.current_thread().name
        self._file.close()


@pytest.mark.parametrize("teardown", [False, True])
def test_spooled_body_and_uploads_are_closed_in_the_pool(
    monkeypatch: pytest.MonkeyPatch, teardown: bool
) -> None:
    """H10: a spooled body and the uploads parsed from it are closed in the pool (freeing a large temporary file
    takes milliseconds); teardown functions still see the uploads open, and a small body is closed as before."""
    closers: dict[str, str] = {}
    real_temporary_file = tempfile.TemporaryFile
    monkeypatch.setattr(
        asgi_body,
        "tempfile",
        SimpleNamespace(TemporaryFile=lambda: _ClosedWhere(real_temporary_file(), closers)),
    )

    class ClosingRequest(Request):
        def close(self) -> None:
            closers["request"] = threading.current_thread().name
            super().close()

    app = Erlen("spooled_close")
    app.request_class = ClosingRequest
    app.config.update(ASGI_BODY_MEMORY_LIMIT=1024, MAX_CONTENT_LENGTH=None)
    uploads: list[t.Any] = []
    open_at_teardown: list[bool] = []

    @app.post("/files")
    async def files() -> str:
        uploads.extend(request.files.values())
        return ",".join(sorted(request.files))

    if teardown:

        @app.teardown_request
        def check(error: BaseException | None) -> None:
            open_at_teardown.append(not any(upload.stream.closed for upload in uploads))

    headers = [("content-type", "multipart/form-data; boundary=b")]
    with ASGIClient(app) as client:
        assert client.post("/files", data=_many_parts(2, 4096), headers=headers).data == b"f0,f1"
        app._pool().shutdown(wait=True)  # the unawaited close of the body has run
        app._executor = None  # a fresh pool for the next request
        assert closers["request"].startswith("erlen-sync")
        assert closers["body"].startswith("erlen-sync")
        assert uploads and all(upload.stream.closed for upload in uploads)
        assert open_at_teardown == ([True] if teardown else [])

        closers.clear()
        uploads.clear()
        assert client.post("/files", data=_many_parts(1, 100), headers=headers).data == b"f0"
        assert closers == {"request": "asgi-test-client"}  # in memory: closed on the loop, as before
        assert uploads and all(upload.stream.closed for upload in uploads)


def test_one_timer_serves_every_body_deadline() -> None:
    """BODY_TIMEOUT: the shared timer cancels exactly the tasks past their deadline, earliest first."""
    import asyncio

    from erlen.asgi_body import BodyDeadlines

    async def scenario() -> dict[str, str]:
        deadlines = BodyDeadlines(asyncio.get_running_loop())
        outcome: dict[str, str] = {}

        async def body(name: str, timeout: float, finishes_after: float) -> None:
            task = asyncio.current_task()
            assert task is not None
            deadlines.add(task, timeout)
            try:
                await asyncio.sleep(finishes_after)
                outcome[name] = "done"
            except asyncio.CancelledError:
                outcome[name] = "timed out" if deadlines.expired(task) else "cancelled"
            finally:
                deadlines.discard(task)

        await asyncio.gather(
            body("slow", 0.05, 5),
            body("fast", 0.05, 0.01),
            body("later", 0.3, 5),
            body("patient", 1.0, 0.1),
        )
        assert not deadlines.waiting and not deadlines.timed_out
        return outcome

    assert asyncio.run(scenario()) == {
        "slow": "timed out",
        "fast": "done",
        "later": "timed out",
        "patient": "done",
    }


def test_receive_body_without_and_with_waiting() -> None:
    """The first receive() is stepped once by hand: a message that is there at once needs no timer; one that
    must be waited for is awaited exactly as ``await`` would, for coroutines and for plain-iterator awaitables
    (granian's), values, results and cancellation included (the 408 of BODY_TIMEOUT)."""
    import asyncio

    from erlen.asgi_body import receive_body

    app = Erlen("stepped")
    app.config.update(BODY_TIMEOUT=0.1)
    message = {"type": "http.request", "body": b"payload", "more_body": False}

    class IteratorAwaitable:
        """Like a server's native awaitable: ``__await__`` gives an iterator with no send() or throw()."""

        def __init__(self, future: asyncio.Future[t.Any]) -> None:
            self.future = future

        def __await__(self) -> t.Any:
            return self

        def __iter__(self) -> t.Any:
            return self

        def __next__(self) -> t.Any:
            if not self.future.done():
                return next(iter(self.future))
            raise StopIteration(self.future.result())

    async def scenario() -> list[t.Any]:
        loop = asyncio.get_running_loop()
        results: list[t.Any] = []

        async def ready() -> dict[str, t.Any]:
            return message

        async def later() -> dict[str, t.Any]:
            await asyncio.sleep(0.01)
            return message

        def native_later() -> IteratorAwaitable:
            future = loop.create_future()
            loop.call_later(0.01, future.set_result, message)
            return IteratorAwaitable(future)

        stopped: list[str] = []

        async def never() -> dict[str, t.Any]:
            try:
                await asyncio.sleep(5)
            finally:
                stopped.append("receive saw the cancellation")
            return message

        for receive in (ready, later, native_later):
            environ: dict[str, t.Any] = {"CONTENT_LENGTH": "7"}
            stream = await receive_body(app, environ, receive)  # type: ignore[arg-type]
            results.append((stream.read(), environ["CONTENT_LENGTH"]))
        assert app._body_deadlines is None or not app._body_deadlines.waiting
        try:
            await receive_body(app, {"CONTENT_LENGTH": "7"}, never)  # type: ignore[arg-type]
        except Exception as e:
            results.append(type(e).__name__)
        results.append(stopped)
        return results

    assert asyncio.run(scenario()) == [
        (b"payload", "7"),
        (b"payload", "7"),
        (b"payload", "7"),
        "RequestTimeout",
        ["receive saw the cancellation"],
    ]


def test_start_body_answers_at_once_only_for_a_small_complete_body() -> None:
    """``start_body`` returns the stream itself only when the first message is the whole body and small enough
    to keep in memory; otherwise the coroutine it returns receives the rest exactly as ``receive_body`` does."""
    import asyncio
    from io import BytesIO

    from erlen.asgi_body import start_body

    app = Erlen("started")
    app.config.update(ASGI_BODY_MEMORY_LIMIT=8, MAX_CONTENT_LENGTH=64)

    def messages(*items: dict[str, t.Any]) -> t.Any:
        queue = list(items)

        async def receive() -> dict[str, t.Any]:
            return queue.pop(0)

        return receive

    async def scenario() -> list[t.Any]:
        results: list[t.Any] = []
        environ: dict[str, t.Any] = {"CONTENT_LENGTH": "3"}
        stream = start_body(app, environ, messages({"type": "http.request", "body": b"abc"}))
        results.append((type(stream) is BytesIO, stream.read(), environ["CONTENT_LENGTH"]))  # type: ignore[union-attr]
        cases = [
            [{"type": "http.request", "body": b"0123456789"}],  # over the memory limit: spooled
            [
                {"type": "http.request", "body": b"ab", "more_body": True},
                {"type": "http.request", "body": b"c"},
            ],
            [{"type": "http.request", "body": b"x" * 65}],  # over MAX_CONTENT_LENGTH
        ]
        for case in cases:
            environ = {}
            started = start_body(app, environ, messages(*case))
            assert type(started) is not BytesIO
            try:
                stream = await started  # type: ignore[misc]
            except Exception as e:
                results.append(type(e).__name__)
            else:
                results.append((stream.read(), environ["CONTENT_LENGTH"], "erlen.body_spooled" in environ))
                stream.close()
        return results

    assert asyncio.run(scenario()) == [
        (True, b"abc", "3"),
        (b"0123456789", "10", True),
        (b"abc", "3", False),
        "RequestEntityTooLarge",
    ]
