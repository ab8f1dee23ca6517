"""WebSocket routes under ASGI: the connection object, the ``websocket`` proxy, and the route runner.

How this works: a websocket scope becomes a WSGI-style environ with a ``ws``/``wss`` scheme, so the URL map
matches only ``websocket=True`` rules and the request context (``request.args``, ``request.headers``, ``g``) works
as for HTTP. The view runs on the loop when it is ``async def`` or in the pool otherwise; in the pool, each
:class:`Websocket` method blocks until the loop has done the work, so a plain ``def`` view reads the same. An
exception in the view is logged and closes the connection with 1011; teardown runs either way.
"""

from __future__ import annotations

import json
import typing as t
from _thread import get_ident
from contextvars import ContextVar
from functools import partial

from ._lazy import LazyModule

if t.TYPE_CHECKING:
    import asyncio

    from . import asgi, asgi_dispatch, asgi_environ
    from .app import Erlen
    from .asgi import Receive, Scope, Send

else:
    # ``import erlen`` imports this module for the ``websocket`` proxy; asyncio loads on the first connection.
    asyncio = LazyModule("asyncio", globals())
    # PERF: module globals, not import statements in ``serve_websocket`` (about 0.5 us each per connection).
    asgi = LazyModule("erlen.asgi", globals())
    asgi_dispatch = LazyModule("erlen.asgi_dispatch", globals())
    asgi_environ = LazyModule("erlen.asgi_environ", globals())

_cv_websocket: ContextVar[Websocket] = ContextVar("erlen.websocket")


class WebsocketDisconnect(Exception):
    """The client closed the websocket; ``code`` is its close code."""

    def __init__(self, code: int = 1000) -> None:
        super().__init__(code)
        self.code = code


def _loop_bound(method: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]) -> t.Callable[..., t.Any]:
    """On the connection's loop return the coroutine; from a pool thread, run it there and return its result."""

    def wrapper(self: Websocket, *args: t.Any, **kwargs: t.Any) -> t.Any:
        coro = method(self, *args, **kwargs)
        if get_ident() == self._loop_thread:
            return coro
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class Websocket:
    """One websocket connection. ``await websocket.receive()`` in async views, ``websocket.receive()`` in sync."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.loop = asyncio.get_running_loop()
        # PERF: "on the connection's loop" is "on its thread" (a loop runs on one thread); comparing thread ids
        # is a C call, while ``asyncio._get_running_loop()`` costs ~0.15 us (it checks the process id each time).
        self._loop_thread = get_ident()
        self.accepted = False
        self.closed = False
        #: The subprotocols the client offered.
        self.requested_subprotocols: list[str] = list(scope.get("subprotocols", ()))

    async def _accept(
        self, subprotocol: str | None = None, headers: t.Iterable[tuple[str, str]] = ()
    ) -> None:
        if self.accepted:
            return
        message: dict[str, t.Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        extra = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        if extra:
            message["headers"] = extra
        await self._send(message)
        self.accepted = True

    async def _receive_data(self) -> str | bytes:
        if not self.accepted:
            await self._accept()
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.closed = True
            raise WebsocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        return text if text is not None else message.get("bytes", b"")  # type: ignore[no-any-return]

    async def _send_data(self, data: str | bytes) -> None:
        if not self.accepted:
            await self._accept()
        if isinstance(data, str):
            await self._send({"type": "websocket.send", "text": data})
        else:
            await self._send({"type": "websocket.send", "bytes": bytes(data)})

    async def _receive_json(self) -> t.Any:
        return json.loads(await self._receive_data())

    async def _send_json(self, value: t.Any) -> None:
        await self._send_data(json.dumps(value))

    async def _close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:
            pass  # the client is already gone

    #: Accept the connection (sending or receiving accepts it implicitly): ``accept(subprotocol, headers)``.
    accept = _loop_bound(_accept)
    #: The next text (str) or binary (bytes) message; raises WebsocketDisconnect when the client closes.
    receive = _loop_bound(_receive_data)
    #: Send a text (str) or binary (bytes) message.
    send = _loop_bound(_send_data)
    #: The next message parsed as JSON.
    receive_json = _loop_bound(_receive_json)
    #: Send a value as a JSON text message.
    send_json = _loop_bound(_send_json)
    #: Close with ``code`` (before accept, this rejects the handshake).
    close = _loop_bound(_close)


#: The connection's I/O methods and the coroutine functions behind them, used as they are on the loop.
_ON_LOOP = {
    "accept": "_accept",
    "receive": "_receive_data",
    "send": "_send_data",
    "receive_json": "_receive_json",
    "send_json": "_send_json",
    "close": "_close",
}
#: The connection's other public attributes, forwarded by the proxy.
_FORWARDED = ("scope", "loop", "accepted", "closed", "requested_subprotocols")
_no_ws_msg = "Working outside of a websocket connection: 'websocket' is only available in websocket views."


def _forwarding(name: str) -> property:
    """A property of the proxy that reads ``name`` on the current connection.

    For the I/O methods, on the connection's loop it answers the coroutine function itself, without the wrapper
    that decides between the loop and a pool thread (``_loop_bound``).
    """
    on_loop = _ON_LOOP.get(name)
    if on_loop is None:

        def read(proxy: _WebsocketProxy) -> t.Any:
            connection = _cv_websocket.get(None)
            if connection is None:
                raise RuntimeError(_no_ws_msg)
            return getattr(connection, name)

    else:

        def read(proxy: _WebsocketProxy) -> t.Any:
            connection = _cv_websocket.get(None)
            if connection is None:
                raise RuntimeError(_no_ws_msg)
            if get_ident() == connection._loop_thread:
                return getattr(connection, on_loop)
            return getattr(connection, name)

    read.__name__ = name
    return property(read, doc=getattr(Websocket, name, None).__doc__ if name in _ON_LOOP else None)


class _WebsocketProxy:
    """The ``websocket`` name: attribute access goes to the current connection.

    # PERF: the connection's public names are properties over the context variable (one Python call each,
    # ~0.07 us), instead of Werkzeug's LocalProxy, whose descriptor lookups cost about 0.5 us per
    # ``websocket.receive`` or ``send``, twice per echoed message. ``__getattr__`` alone runs only after the
    # normal lookup has failed (~0.3 us per access); a Python ``__getattribute__`` would run for every name
    # (~0.1 us). Other names (private ones, attributes added later) reach the connection through ``__getattr__``.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> t.Any:
        connection = _cv_websocket.get(None)
        if connection is None:
            raise RuntimeError(_no_ws_msg)
        return getattr(connection, name)

    def _get_current_object(self) -> Websocket:
        connection = _cv_websocket.get(None)
        if connection is None:
            raise RuntimeError(_no_ws_msg)
        return connection

    def __bool__(self) -> bool:
        return _cv_websocket.get(None) is not None

    def __repr__(self) -> str:
        connection = _cv_websocket.get(None)
        return repr(connection) if connection is not None else "<websocket unbound>"


for _name in (*_ON_LOOP, *_FORWARDED):
    setattr(_WebsocketProxy, _name, _forwarding(_name))
del _name

#: The current websocket connection, for websocket views and their hooks.
websocket: Websocket = _WebsocketProxy()  # type: ignore[assignment]


def has_websocket_context() -> bool:
    """Whether a websocket connection is being served in this context."""
    return _cv_websocket.get(None) is not None


async def serve_websocket(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    """Run the websocket route matching ``scope``: hooks, view, close, teardown."""
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    scope = dict(scope)
    scope.setdefault("scheme", "ws")
    if scope["scheme"] in ("http", "https"):
        scope["scheme"] = "ws" if scope["scheme"] == "http" else "wss"
    environ = asgi_environ.scope_to_environ(scope)
    connection = Websocket(scope, receive, send)
    token = _cv_websocket.set(connection)
    ctx = app.request_context(environ)
    error: BaseException | None = None
    try:
        ctx.push()
        request = ctx.request
        if request.routing_exception is not None or request.url_rule is None:
            await connection._close(1008)
            return
        # App hooks first, then each blueprint's from the outermost in (as before_request); after hooks reverse.
        scopes = (None, *reversed(request.blueprints))
        for scope_name in scopes:
            for func in app.before_websocket_funcs.get(scope_name, ()):
                if await app._call_user(func) is not None:
                    await connection._close(1008)
                    return
        view = app.view_functions[request.url_rule.endpoint]
        kwargs = request.view_args or {}
        if asyncio.iscoroutinefunction(view):
            await view(**kwargs)
        else:
            await app._run_sync(partial(view, **kwargs))
        for scope_name in reversed(scopes):
            for func in app.after_websocket_funcs.get(scope_name, ()):
                await app._call_user(func)
        await connection._close(1000)
    except WebsocketDisconnect:
        pass
    except Exception as e:
        error = e
        app.logger.error(f"Exception on websocket {ctx.request.path}", exc_info=e)
        await connection._close(1011)
    finally:
        try:
            await asgi_dispatch.pop_contexts(app, ctx, error)
        finally:
            _cv_websocket.reset(token)
