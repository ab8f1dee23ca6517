"""An in-process ASGI client for tests: HTTP requests, websocket sessions and lifespan, without a server.

How this works: the client owns an event loop running in a daemon thread, the way a server owns one. Each call
builds an ASGI scope, runs the app on that loop and waits for the result, so tests stay synchronous and an app's
long-lived async resources keep one loop. A websocket session is a context manager whose ``send``/``receive``
exchange messages with the app task through queues.
"""

from __future__ import annotations

import asyncio
import json
import threading
import typing as t
from types import TracebackType
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers

if t.TYPE_CHECKING:
    from .asgi import Message


class ASGIResponse:
    """What the app sent: status, headers, the body and the chunks it was sent in."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers])
        self.chunks = chunks
        self.data = b"".join(chunks)
        #: True when the body did not end with ``more_body=False`` (an aborted response).
        self.incomplete = False

    def get_data(self, as_text: bool = False) -> t.Any:
        return self.data.decode() if as_text else self.data

    @property
    def text(self) -> str:
        return self.data.decode()

    @property
    def json(self) -> t.Any:
        return json.loads(self.data)


class ASGIClient:
    """Call an ASGI app in process. Use as a context manager to run lifespan startup and shutdown."""

    def __init__(self, app: t.Any, lifespan: bool = False) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="asgi-test-client", daemon=True)
        self._thread.start()
        self._lifespan = lifespan
        self._lifespan_queue: asyncio.Queue[Message] | None = None
        self._lifespan_out: asyncio.Queue[Message] | None = None
        self._lifespan_task: t.Any = None

    def run(self, coro: t.Coroutine[t.Any, t.Any, t.Any], timeout: float = 30) -> t.Any:
        """Run ``coro`` on the client's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what is still running on the client's loop (a lifespan never shut down...), then stop it."""

        async def cancel_rest() -> None:
            current = asyncio.current_task()
            rest = [task for task in asyncio.all_tasks() if task is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        if self.loop.is_running():
            self.run(cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def __enter__(self) -> ASGIClient:
        if self._lifespan:
            self.startup()
        return self

    def __exit__(self, *exc: t.Any) -> None:
        if self._lifespan_task is not None:
            self.shutdown()
        self.close()

    # -- lifespan ---------------------------------------------------------------------------------------------

    def startup(self) -> Message:
        """Send lifespan.startup; return the app's answer (complete or failed)."""

        async def start() -> Message:
            self._lifespan_queue = asyncio.Queue()
            self._lifespan_out = asyncio.Queue()
            scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
            self._lifespan_task = asyncio.ensure_future(
                self.app(scope, self._lifespan_queue.get, self._lifespan_out.put)
            )
            await self._lifespan_queue.put({"type": "lifespan.startup"})
            return await self._lifespan_out.get()

        return self.run(start())  # type: ignore[no-any-return]

    def shutdown(self) -> Message:
        """Send lifespan.shutdown; return the app's answer."""

        async def stop() -> Message:
            assert self._lifespan_queue is not None and self._lifespan_out is not None
            await self._lifespan_queue.put({"type": "lifespan.shutdown"})
            message = await self._lifespan_out.get()
            await self._lifespan_task
            return message

        return self.run(stop())  # type: ignore[no-any-return]

    # -- HTTP -------------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        data: bytes | str | None = None,
        json: t.Any = None,
        body_chunks: t.Iterable[bytes] | None = None,
        disconnect_after: int | None = None,
        chunk_delay: float = 0.0,
        timeout: float = 30,
    ) -> ASGIResponse:
        """Send one request and collect the response.

        ``body_chunks`` sends the body in pieces (``chunk_delay`` apart); ``disconnect_after`` reports the
        client gone after that many body chunks of the response were received.
        """
        header_list = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if json is not None:
            data = _json_dumps(json)
            header_list.append(("content-type", "application/json"))
        if isinstance(data, str):
            data = data.encode()
        chunks = list(body_chunks) if body_chunks is not None else ([data] if data is not None else [])
        if chunks and body_chunks is None:
            header_list.append(("content-length", str(len(chunks[0]))))
        elif body_chunks is not None:
            header_list.append(("transfer-encoding", "chunked"))
        scope = _http_scope(method, path, header_list)
        return self.run(self._call_http(scope, chunks, disconnect_after, chunk_delay), timeout)  # type: ignore[no-any-return]

    def get(self, path: str, **kwargs: t.Any) -> ASGIResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: t.Any) -> ASGIResponse:
        return self.request("POST", path, **kwargs)

    def open(self, path: str, method: str = "GET", **kwargs: t.Any) -> ASGIResponse:
        return self.request(method, path, **kwargs)

    async def _call_http(
        self, scope: dict[str, t.Any], chunks: list[bytes], disconnect_after: int | None, chunk_delay: float
    ) -> ASGIResponse:
        inbox = list(chunks)
        gone = asyncio.Event()
        started: dict[str, t.Any] = {}
        body: list[bytes] = []
        finished = False

        async def receive() -> Message:
            if inbox:
                if chunk_delay:
                    await asyncio.sleep(chunk_delay)
                chunk = inbox.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(inbox)}
            if not started and not chunks:
                chunks.append(b"")
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal finished
            if gone.is_set():
                raise OSError("client disconnected")
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    body.append(message["body"])
                if not message.get("more_body", False):
                    finished = True
                    gone.set()
                elif disconnect_after is not None and len(body) >= disconnect_after:
                    gone.set()

        try:
            await self.app(scope, receive, send)
        finally:
            gone.set()
        response = ASGIResponse(started.get("status", 500), list(started.get("headers", [])), body)
        response.incomplete = not finished
        return response

    # -- websockets -------------------------------------------------------------------------------------------

    def websocket(
        self, path: str, headers: dict[str, str] | None = None, subprotocols: t.Sequence[str] = ()
    ) -> WebsocketSession:
        """A websocket session to ``path``; use with ``with``."""
        return WebsocketSession(self, path, list((headers or {}).items()), list(subprotocols))


class WebsocketSession:
    """A client side of a websocket connection to the app, driven synchronously from a test."""

    def __init__(
        self, client: ASGIClient, path: str, headers: list[tuple[str, str]], subprotocols: list[str]
    ) -> None:
        self.client = client
        scope = _http_scope("GET", path, headers)
        scope.update(type="websocket", scheme="ws", subprotocols=subprotocols)
        del scope["method"]
        self.scope = scope
        self.accepted: Message | None = None
        #: The close message the app sent, once it closed.
        self.close_code: int | None = None
        self._to_app: asyncio.Queue[Message] | None = None
        self._from_app: asyncio.Queue[Message] | None = None
        self._task: t.Any = None

    def __enter__(self) -> WebsocketSession:
        async def connect() -> Message:
            self._to_app = asyncio.Queue()
            self._from_app = asyncio.Queue()
            await self._to_app.put({"type": "websocket.connect"})
            self._task = asyncio.ensure_future(
                self.client.app(self.scope, self._to_app.get, self._from_app.put)
            )
            return await self._from_app.get()

        first = self.client.run(connect())
        if first["type"] == "websocket.close":
            self.close_code = first.get("code", 1000)
            raise WebsocketRejected(self.close_code)
        self.accepted = first
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        async def disconnect() -> None:
            assert self._to_app is not None
            if self.close_code is None:
                await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
            await asyncio.wait_for(self._task, 10)

        self.client.run(disconnect())

    def send(self, data: str | bytes) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        assert self._to_app is not None
        self.client.run(self._to_app.put({"type": "websocket.receive", key: data}))

    def send_json(self, value: t.Any) -> None:
        self.send(_json_dumps(value).decode())

    def receive(self, timeout: float = 10) -> str | bytes:
        """The next message the app sent; raises WebsocketClosed when it closed instead."""
        assert self._from_app is not None
        message = self.client.run(asyncio.wait_for(self._from_app.get(), timeout))
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise WebsocketClosed(self.close_code)
        text = message.get("text")
        return text if text is not None else message.get("bytes", b"")  # type: ignore[no-any-return]

    def receive_json(self, timeout: float = 10) -> t.Any:
        return json.loads(self.receive(timeout))


class WebsocketClosed(Exception):
    """The app closed the websocket; ``code`` is the close code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class WebsocketRejected(WebsocketClosed):
    """The app closed the websocket before accepting it."""


def _http_scope(
    method: str, path: str, headers: t.Sequence[tuple[str, str]] | t.Sequence[tuple[bytes, bytes]]
) -> dict[str, t.Any]:
    """An HTTP scope as a server sends it, with a Host header added when ``headers`` has none.

    Header pairs may be text (names are lower-cased and both parts encoded) or bytes, taken as they are.
    """
    parts = urlsplit(path)
    raw = [
        (k, v) if isinstance(k, bytes) else (k.lower().encode("latin-1"), t.cast(str, v).encode("latin-1"))
        for k, v in headers
    ]
    if not any(k == b"host" for k, _ in raw):
        raw.insert(0, (b"host", b"localhost"))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "http",
        "path": parts.path or "/",
        "raw_path": (parts.path or "/").encode(),
        "query_string": parts.query.encode("latin-1"),
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


def _json_dumps(value: t.Any) -> bytes:
    return json.dumps(value).encode()
