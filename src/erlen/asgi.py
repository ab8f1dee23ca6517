"""The ASGI side of the Erlen app: HTTP, websocket and lifespan connections, and the mixin that adds them.

How this works: ``Erlen`` inherits :class:`ASGIMixin`. Its class-level ``__call__`` serves WSGI for two arguments
and returns :meth:`ASGIMixin.asgi_app`'s coroutine for three; the mixin also stores an ``async def`` under the
instance's ``__call__`` so servers that probe ``inspect.iscoroutinefunction(app.__call__)`` (uvicorn, hypercorn)
detect ASGI 3, while calling ``app(...)`` still goes through the class.

An HTTP request is handled in three steps. The body is received first (MAX_CONTENT_LENGTH enforced while it
arrives, BODY_TIMEOUT bounding it, spooled to a temporary file above ASGI_BODY_MEMORY_LIMIT) and a WSGI environ is
built from the scope, so the same Request and contexts work unchanged. Then the request is dispatched: when no
view, hook or error handler of the app is a coroutine function, the ordinary synchronous pipeline runs in the
bounded thread pool (one hop per request); otherwise the same steps run on the loop, awaiting async functions
and sending sync ones to the pool: the usual request written out in :meth:`ASGIMixin.asgi_app`, everything else
(hooks, error handling, teardown functions) through :mod:`erlen.asgi_dispatch`. Finally the response is written:
whole bodies in one message, streamed bodies chunk by chunk while a watcher notices the client going away.
"""

from __future__ import annotations

import atexit
import contextvars
import inspect
import os
import typing as t
import weakref
from functools import partial
from io import BytesIO

from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout
from werkzeug.routing import WebsocketMismatch
from werkzeug.wsgi import FileWrapper

from . import signals
from ._lazy import LazyModule
from .asgi_headers import (
    _CONTENT_TYPES,
    _HTML_PAIR,
    _LENGTHS,
    _asgi_headers,
    _complete_headers,
    _plain_header,
)
from .ctx import AppContext, RequestContext
from .globals import _cv_contexts_get, _cv_contexts_reset, _cv_contexts_set
from .websocket import serve_websocket
from .wrappers import Request, Response
from .wsgi import _apply_match, _new, _pop, match_plain, note_request_path_settings
from .wsgi import _finalize as _finalize_inline

if t.TYPE_CHECKING:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from . import aio, asgi_body, asgi_dispatch, asgi_environ, asgi_upload
    from .app import Erlen
    from .sansio.app import DispatchPlan
else:
    # Memory (issue 4): a WSGI app never loads asyncio or Erlen's ASGI-only modules; the first ASGI call does,
    # once. PERF: after that the globals are the modules themselves (no import statement per request).
    asyncio = LazyModule("asyncio", globals())
    aio = LazyModule("erlen.aio", globals())
    asgi_environ = LazyModule("erlen.asgi_environ", globals())
    asgi_dispatch = LazyModule("erlen.asgi_dispatch", globals())
    asgi_body = LazyModule("erlen.asgi_body", globals())
    asgi_upload = LazyModule("erlen.asgi_upload", globals())

Scope = t.MutableMapping[str, t.Any]
Message = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]
F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Lifecycle methods the loop-side pipeline re-implements; a subclass overriding one gets the thread pipeline.
_LIFECYCLE = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "process_response",
    "handle_user_exception",
    "handle_http_exception",
    "handle_exception",
    "do_teardown_request",
    "do_teardown_appcontext",
)
_MODE_SYNC, _MODE_ASYNC = 0, 1
_END = object()


class ASGIMixin:
    """ASGI 3 serving, lifespan hooks, background tasks and websocket routes for the Erlen app."""

    before_serving_funcs: list[t.Callable[..., t.Any]]
    after_serving_funcs: list[t.Callable[..., t.Any]]
    #: Websocket hooks by blueprint name (None: the app's own), as ``before_request_funcs`` is keyed.
    before_websocket_funcs: dict[str | None, list[t.Callable[..., t.Any]]]
    after_websocket_funcs: dict[str | None, list[t.Callable[..., t.Any]]]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_serving_funcs = []
        self.after_serving_funcs = []
        self.before_websocket_funcs = {}
        self.after_websocket_funcs = {}
        self._asgi_mode_key: tuple[t.Any, ...] | None = None
        self._asgi_mode = _MODE_SYNC
        self._serving_started = False
        self._background: set[t.Any] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._body_deadlines: asgi_body.BodyDeadlines | None = None
        self._executor_pid = 0
        # A closure over a weak reference, not a bound method, so the app holds no reference cycle.
        app_ref = weakref.ref(self)

        async def asgi_entry(scope: Scope, receive: Receive, send: Send) -> None:
            app = app_ref()
            assert app is not None
            await app.asgi_app(scope, receive, send)

        # PERF/compat: servers decide "ASGI 3" by inspecting ``app.__call__``; the instance attribute answers
        # that probe, while ``app(...)`` uses the class's two-or-three-argument ``__call__``.
        self.__dict__["__call__"] = asgi_entry

    # -- registration -----------------------------------------------------------------------------------------

    def before_serving(self, f: F) -> F:
        """Run ``f`` (sync or async) once before serving: ASGI lifespan startup, or the first WSGI request."""
        self.before_serving_funcs.append(f)
        return f

    def after_serving(self, f: F) -> F:
        """Run ``f`` (sync or async) once after serving: ASGI lifespan shutdown, or WSGI worker exit."""
        self.after_serving_funcs.append(f)
        return f

    def before_websocket(self, f: F) -> F:
        """Run ``f`` before each websocket view; a non-None result closes the connection."""
        self.before_websocket_funcs.setdefault(None, []).append(f)
        return f

    def after_websocket(self, f: F) -> F:
        """Run ``f()`` after each websocket view returns (not when it raises)."""
        self.after_websocket_funcs.setdefault(None, []).append(f)
        return f

    def websocket(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register a websocket view for ``rule`` (same URL map and converters as HTTP routes)."""

        def decorator(f: F) -> F:
            self._answer_websocket_over_http()
            endpoint = options.pop("endpoint", None)
            options.setdefault("methods", ("GET",))
            t.cast("Erlen", self).add_url_rule(
                rule, endpoint, f, websocket=True, provide_automatic_options=False, **options
            )
            return f

        return decorator

    def _answer_websocket_over_http(self) -> None:
        """Register the handler that answers a plain HTTP request to a websocket route with a clear 400."""
        app = t.cast("Erlen", self)
        if WebsocketMismatch not in app.error_handler_spec.get(None, {}).get(400, {}):
            app.register_error_handler(WebsocketMismatch, _websocket_over_http)

    def add_background_task(self, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> None:
        """Run ``func(*args, **kwargs)`` (sync or async) after the response, in an app context.

        Under ASGI the task runs on the server loop and is awaited at lifespan shutdown; under WSGI it runs on
        the worker loop (async) or a pool thread (sync) and is waited for at process exit.
        """
        app = t.cast("Erlen", self)
        context = contextvars.copy_context()

        async def run() -> None:
            with app.app_context():
                if inspect.iscoroutinefunction(func):
                    await func(*args, **kwargs)
                else:
                    await self._run_sync(partial(func, *args, **kwargs))

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        task: t.Any
        if loop is not None:
            task = context.run(loop.create_task, run())
        else:
            task = asyncio.run_coroutine_threadsafe(run(), aio.worker_loop())
            self._register_exit()
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- serving hooks ----------------------------------------------------------------------------------------

    async def startup(self) -> None:
        """Run the before_serving functions in an app context."""
        with t.cast("Erlen", self).app_context():
            for func in self.before_serving_funcs:
                await self._call_user(func)

    async def shutdown(self) -> None:
        """Run the after_serving functions, then wait for background tasks."""
        with t.cast("Erlen", self).app_context():
            for func in self.after_serving_funcs:
                await self._call_user(func)
        pending = [task for task in self._background if isinstance(task, asyncio.Task)]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def _start_serving_wsgi(self) -> None:
        """Under WSGI: run before_serving once, on the first request, and schedule after_serving at exit."""
        self._serving_started = True
        # A class attribute may have changed since the app was made.
        note_request_path_settings(t.cast("Erlen", self))
        if self.before_serving_funcs:
            from .aio import run_coroutine

            run_coroutine(self.startup())
        if self.after_serving_funcs:
            self._register_exit()

    def _register_exit(self) -> None:
        if self.__dict__.get("_exit_registered"):
            return
        self.__dict__["_exit_registered"] = True
        atexit.register(_shutdown_at_exit, weakref.ref(self))

    # -- entry ------------------------------------------------------------------------------------------------

    async def asgi_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI 3 application: HTTP, websocket and lifespan scopes."""
        if scope["type"] != "http":
            await self._asgi_other(scope, receive, send)
            return
        # PERF: an HTTP request is handled here rather than in a helper coroutine: one await less per request.
        # The loop path (see erlen.asgi_dispatch) is written out below for the same reason.
        app: Erlen = self  # type: ignore[assignment]  # PERF: not t.cast, a call per request
        environ = asgi_environ.scope_to_environ(scope)
        body: t.IO[bytes] | None = None
        if "CONTENT_LENGTH" in environ or "HTTP_TRANSFER_ENCODING" in environ:
            if app._stream_endpoints and asgi_upload.wants_stream(app, environ):
                await asgi_upload.serve_streaming(
                    self, scope, receive, send, environ
                )  # stream_body=True routes
                return
            try:
                # PERF: a body already there is received without a coroutine (see ``start_body``).
                body = asgi_body.start_body(self, environ, receive)  # type: ignore[assignment]
                if type(body) is not BytesIO:
                    body = await body  # type: ignore[misc]
            except asgi_body.Disconnected:
                return
            except (RequestEntityTooLarge, RequestTimeout) as e:
                await self._answer_body_error(scope, receive, send, environ, e)
                return
        try:
            # PERF: the mode's key compared here; ``_dispatch_mode`` runs only when it changed.
            mode = self._asgi_mode
            if self._asgi_mode_key != (
                app._plan_generation,
                len(app.view_functions),
                len(app.error_handler_spec),
                app._serve_inline,
            ):
                mode = self._dispatch_mode()
            if mode != _MODE_ASYNC:
                status, headers, app_iter = await self._run_sync(partial(_run_wsgi_app, app, environ))
                await _write_response(self, scope, receive, send, None, status, headers, app_iter)
                return
            # The loop path: the steps of erlen.wsgi.run_inline, awaiting the view (asgi_dispatch has the
            # general ones). PERF: the push, dispatch, plain-body decision and usual pop are written out here,
            # not in a coroutine and helpers: each was a Python call or an await per request, and each helper
            # looked the request, rule and plan up again.
            request = app.request_class(environ)
            request.json_module = app.json
            # PERF: the contexts get the attributes their constructors set, in the same order, without a
            # constructor frame each (tests/asgi/test_loop_path.py compares them with constructed ones).
            ctx = _new(RequestContext)
            ctx.app = app
            ctx.request = request
            ctx.flashes = None
            ctx._opened_session = None
            ctx._after_request_functions = []
            app_ctx: AppContext | None = None
            app_tokens: list[t.Any] = _NO_TOKENS
            # As in RequestContext.push: one token for both contexts when it pushes the app context too.
            outer = _cv_contexts_get(None)
            if outer is None or outer[0].app is not app:
                app_ctx = pushed = _new(AppContext)
                pushed.app = app
                if not signals.request_path_quiet and signals.appcontext_pushed.receivers:
                    # Its receivers see the app context on its own, as in Flask: two sets.
                    pushed._cv_tokens = app_tokens = [
                        _cv_contexts_set((pushed, None if outer is None else outer[1]))
                    ]
                    signals.appcontext_pushed.send(app, _async_wrapper=app.ensure_sync)
                    request_token = _cv_contexts_set((pushed, ctx))
                else:
                    request_token = _cv_contexts_set((pushed, ctx))
                    pushed._cv_tokens = app_tokens = [request_token]
            else:
                request_token = _cv_contexts_set((outer[0], ctx))
            ctx._cv_tokens = tokens = [(request_token, app_ctx)]
            error: BaseException | None = None
            plan: DispatchPlan | None = None
            plain: bytes | None = None
            spooled = body is not None and "erlen.body_spooled" in environ
            try:
                try:
                    if not app._session_opens_lazily:
                        ctx._open_session()
                    method = request.method
                    rule = _apply_match(app, ctx, request, match_plain(app, environ, method))
                    if spooled:
                        await asgi_dispatch._parse_spooled_form(app, ctx)
                    if rule is None:
                        result = await asgi_dispatch._full_dispatch(app, ctx)
                    else:
                        if not app._got_first_request:
                            app._got_first_request = True
                        try:
                            if not signals.request_path_quiet and signals.request_started.receivers:
                                signals.request_started.send(app, _async_wrapper=app.ensure_sync)
                            endpoint = rule.endpoint
                            # PERF: the plan cached on the rule, read here rather than through
                            # ``_dispatch_plan`` (an attribute read; ``rule.__dict__.get`` is two lookups and
                            # a call).
                            try:
                                plan = rule._erlen_plan  # type: ignore[attr-defined]
                            except AttributeError:
                                plan = None
                            if plan is None or plan.generation != app._plan_generation:
                                plan = app._dispatch_plan(
                                    rule, endpoint.rpartition(".")[0] if "." in endpoint else None
                                )
                            rv: t.Any = None
                            if not plan.lean and (plan.url_value_preprocessors or plan.before_request):
                                rv = await asgi_dispatch._preprocess(app, ctx)
                            if rv is None:
                                if method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
                                    rv = app.make_default_options_response()
                                else:
                                    view = app.view_functions[endpoint]
                                    # PERF: the app's per-function sync/async cache; a sync function is its
                                    # own caller. A view without arguments is called without ``**``.
                                    try:
                                        caller = app._sync_callers[view]
                                    except (KeyError, TypeError):
                                        caller = app._sync_caller(view)
                                    view_args: dict[str, t.Any] = request.view_args  # type: ignore[assignment]
                                    if caller is not view:
                                        rv = await (view(**view_args) if view_args else view())
                                    elif getattr(view, "erlen_inline", False):
                                        rv = view(**view_args)
                                    else:
                                        rv = await self._run_sync(lambda: view(**view_args))
                        except Exception as e:
                            rv = await asgi_dispatch._handle_user_exception(app, ctx, e)
                        if ctx._after_request_functions or plan is None or plan.after_request:
                            result = await asgi_dispatch._finalize(app, ctx, rv)
                        else:
                            # PERF: ``plain_body`` written out: a str, bytes, dict or list nothing else sees
                            # as a response object is sent as its body and two headers (no Response, no
                            # Headers); for a str and the stock response class the Content-Type pair is a
                            # constant.
                            rv_type = type(rv)
                            if (
                                ctx._opened_session is None
                                and "HTTP_COOKIE" not in environ
                                and method != "HEAD"
                                and (signals.request_path_quiet or not signals.request_finished.receivers)
                            ):
                                if rv_type is str and app._stock_response:
                                    plain = rv.encode()
                                    type_pair = _HTML_PAIR
                                elif (response_class := app.response_class)._direct:
                                    content_type = None
                                    if rv_type is str or rv_type is bytes:
                                        content_type = response_class._default_content_type
                                        if content_type is not None:
                                            plain = rv.encode() if rv_type is str else rv
                                    elif rv_type is dict or rv_type is list:
                                        encode = getattr(app.json, "_complete_body", None)
                                        if encode is not None:
                                            encoded = encode(rv)
                                            if encoded is not None:
                                                plain, content_type = encoded
                                    if content_type is not None:
                                        type_pair = _CONTENT_TYPES.get(content_type) or _plain_header(
                                            "content-type", content_type
                                        )
                            if plain is None:
                                result = _finalize_inline(app, ctx, rv)
                except Exception as e:
                    error = e
                    plain = None
                    result = await asgi_dispatch._handle_exception(app, ctx, e)
                except BaseException as e:
                    error = e
                    raise
            finally:
                # PERF: the usual pop (what ``wsgi._pop`` does when nothing needs the general one) written
                # out, with the request, plan and token lists at hand; the view's plan says whether there is a
                # teardown. A request without a body has no uploads to close (reading ``request.__dict__``
                # would also make the request's attribute dict); a spooled body goes to ``pop_contexts``.
                if (
                    plan is not None
                    and not plan.teardown_request
                    and not app.teardown_appcontext_funcs
                    and plan.generation == app._plan_generation
                    and len(tokens) == 1
                    and (
                        signals.request_path_quiet
                        or not (
                            signals.request_tearing_down.receivers
                            or signals.appcontext_tearing_down.receivers
                            or signals.appcontext_popped.receivers
                        )
                    )
                    and (
                        body is None
                        or not (spooled or (request._may_hold_uploads and request.__dict__.get("files")))
                    )
                    and (type(request) is Request or type(request).close is Request.close)
                    and (app_ctx is None or len(app_tokens) == 1)
                ):
                    tokens.pop()
                    current = _cv_contexts_get()
                    if current[1] is not ctx:
                        raise AssertionError(
                            f"Popped wrong request context. ({current[1]!r} instead of {ctx!r})"
                        )
                    if app_ctx is not None and current[0] is not app_ctx:
                        raise AssertionError(
                            f"Popped wrong app context. ({current[0]!r} instead of {app_ctx!r})"
                        )
                    # The app context's token, when it pushed one, is the first: resetting it undoes both pushes.
                    _cv_contexts_reset(request_token if app_ctx is None else app_tokens.pop())
                    environ["werkzeug.request"] = None
                elif spooled or (
                    (plan is None or plan.teardown_request or app.teardown_appcontext_funcs)
                    and asgi_dispatch._has_teardown(app, ctx)
                ):
                    await asgi_dispatch.pop_contexts(app, ctx, error, app_ctx)
                else:
                    _pop(app, ctx, app_ctx, error)
            if plain is not None:
                # PERF: two prebuilt header pairs (see ``_plain_header``), looked up here, not by a call.
                length = len(plain)
                length_pair = _LENGTHS.get(length) or _plain_header("content-length", length)
                await send(
                    {"type": "http.response.start", "status": 200, "headers": [type_pair, length_pair]}
                )
                await send({"type": "http.response.body", "body": plain})
                return
            response: Response = result
            complete_headers = _complete_headers(response, environ)
            if complete_headers is not None:
                # PERF: the inline path's complete bodies: headers as they are, one body message.
                await send(
                    {
                        "type": "http.response.start",
                        "status": response._status_code,
                        "headers": complete_headers,
                    }
                )
                await send({"type": "http.response.body", "body": b"".join(response.response)})  # type: ignore[arg-type]
                return
            status, headers, app_iter = _start_wsgi_response(response, environ)
            await _write_response(self, scope, receive, send, response, status, headers, app_iter)
        finally:
            if body is not None:
                if "erlen.body_spooled" in environ:
                    _close_in_pool(self, body)
                else:
                    body.close()

    async def _asgi_other(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await serve_websocket(self, scope, receive, send)  # type: ignore[arg-type]
        elif kind == "lifespan":
            await self._asgi_lifespan(receive, send)
        else:
            raise RuntimeError(f"Unsupported ASGI scope type {kind!r}")

    async def _asgi_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as e:
                    await send({"type": "lifespan.startup.failed", "message": f"{type(e).__name__}: {e}"})
                    return
                self._serving_started = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.shutdown()
                except Exception as e:
                    await send({"type": "lifespan.shutdown.failed", "message": f"{type(e).__name__}: {e}"})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _answer_body_error(
        self, scope: Scope, receive: Receive, send: Send, environ: dict[str, t.Any], error: Exception
    ) -> None:
        """Answer a 413 or 408 raised while receiving the body through the app's error handlers, as a view's."""
        app: Erlen = self  # type: ignore[assignment]
        environ["wsgi.input"] = asgi_environ._EMPTY
        if self._dispatch_mode() == _MODE_ASYNC:
            response: Response = await asgi_dispatch.answer_error(app, environ, error)
        else:
            response = await self._run_sync(partial(_answer_error_sync, app, environ, error))
        status, headers, app_iter = _start_wsgi_response(response, environ)
        await _write_response(self, scope, receive, send, response, status, headers, app_iter)

    # -- running user code ------------------------------------------------------------------------------------

    def _dispatch_mode(self) -> int:
        """Which pipeline serves HTTP under ASGI; recomputed only when routes or hooks change."""
        app: Erlen = self  # type: ignore[assignment]
        if self._asgi_mode_key is None:
            # The first HTTP request: as under WSGI, a class attribute may have changed since the app was made.
            note_request_path_settings(app)
        key = (
            app._plan_generation,
            len(app.view_functions),
            len(app.error_handler_spec),
            app._serve_inline,
        )
        if key != self._asgi_mode_key:
            self._asgi_mode = _compute_mode(app)
            self._asgi_mode_key = key
        return self._asgi_mode

    def _pool(self) -> ThreadPoolExecutor:
        """The bounded pool sync user code runs in under ASGI (ASGI_THREADS, default 40); one per process."""
        executor = self._executor
        if executor is None or self._executor_pid != os.getpid():
            from concurrent.futures import ThreadPoolExecutor

            threads = t.cast("Erlen", self).config.get("ASGI_THREADS") or 40
            executor = self._executor = ThreadPoolExecutor(threads, thread_name_prefix="erlen-sync")
            self._executor_pid = os.getpid()
        return executor

    async def _run_sync(
        self, func: t.Callable[[], t.Any], context: contextvars.Context | None = None
    ) -> t.Any:
        """Run ``func()`` in the pool inside ``context`` (a copy of the current one by default)."""
        if context is None:
            context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        # Sync code that calls async_to_sync there runs the coroutine on this loop (erlen.aio). Set here, on
        # the way to the pool, rather than per request: only pooled code needs it.
        context.run(aio.server_loop.set, loop)
        return await loop.run_in_executor(self._pool(), context.run, func)

    async def _call_user(self, func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """The one step that calls user code under ASGI: await coroutine functions, pool the rest."""
        if inspect.iscoroutinefunction(func):
            return await func(*args)
        return await self._run_sync(partial(func, *args))


def _websocket_over_http(error: WebsocketMismatch) -> tuple[str, int]:
    return (
        "400 Bad Request: this URL is a WebSocket endpoint. Connect with a WebSocket client to an ASGI server"
        " (uvicorn, hypercorn, granian --interface asgi); plain HTTP and WSGI servers cannot serve it.\n",
        400,
    )


def _compute_mode(app: Erlen) -> int:
    from .app import Erlen as _Erlen

    if not app._serve_inline:
        return _MODE_SYNC
    for name in _LIFECYCLE:
        if getattr(type(app), name) is not getattr(_Erlen, name):
            return _MODE_SYNC
    funcs: list[t.Any] = list(app.view_functions.values())
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for scoped in registry.values():
            funcs.extend(scoped)
    funcs.extend(app.teardown_appcontext_funcs)
    for by_code in app.error_handler_spec.values():
        for handlers in by_code.values():
            funcs.extend(handlers.values())
    if any(inspect.iscoroutinefunction(f) for f in funcs):
        return _MODE_ASYNC
    return _MODE_SYNC


def _shutdown_at_exit(app_ref: weakref.ref[ASGIMixin]) -> None:
    app = app_ref()
    if app is None:
        return
    for task in list(app._background):
        if not isinstance(task, asyncio.Task):
            try:
                task.result(timeout=30)
            except Exception:
                pass
    if app.after_serving_funcs and app._serving_started:
        aio.run_coroutine(app.shutdown())


# -- environ and response plumbing ----------------------------------------------------------------------------


#: The token list of an app context the loop path did not push (never appended to).
_NO_TOKENS: list[t.Any] = []


def _run_wsgi_app(app: Erlen, environ: dict[str, t.Any]) -> tuple[str, list[t.Any], t.Any]:
    """Call ``app.wsgi_app`` in a pool thread as a WSGI server would (so WSGI middleware still applies).

    # PERF: a complete body (a list, as the inline WSGI path returns it) is joined in the same pool hop, so the
    # whole request costs one hop and goes out in one message.
    """
    started: list[t.Any] = []

    def start_response(
        status: str, headers: list[t.Any], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return _no_write

    app_iter = app.wsgi_app(environ, start_response)
    if type(app_iter) is list:
        return started[0], started[1], b"".join(app_iter)
    if not started:
        # A WSGI app may call start_response only when its body is first iterated.
        first = next(iter(app_iter), None)
        return started[0], started[1], _Prepend(first, app_iter)
    return started[0], started[1], app_iter


def _close_in_pool(mixin: ASGIMixin, body: t.IO[bytes]) -> None:
    """Close a spooled body in the pool, unawaited: closing a large temporary file frees its blocks, which
    takes milliseconds for 32 MiB (H10); neither the loop nor the finished response waits for that."""
    try:
        mixin._pool().submit(body.close)
    except RuntimeError:  # the pool is shut down (the process is exiting)
        body.close()


def _answer_error_sync(app: Erlen, environ: dict[str, t.Any], error: Exception) -> Response:
    """The app's answer to ``error`` (an HTTP error found before the view ran): handlers, after_request, session."""
    with app.request_context(environ):
        try:
            rv = app.handle_user_exception(error)
        except Exception as e:
            return app.handle_exception(e)
        return app.finalize_request(rv)


def _no_write(data: bytes) -> None:
    raise RuntimeError("The write() callable of WSGI is not supported under ASGI; return an iterable.")


class _Prepend:
    """An iterator that yields a chunk already pulled, then the rest of ``app_iter``."""

    def __init__(self, first: t.Any, app_iter: t.Any) -> None:
        self.first = first
        self.app_iter = app_iter
        self.rest = iter(app_iter)

    def __iter__(self) -> _Prepend:
        return self

    def __next__(self) -> t.Any:
        first = self.first
        if first is not _END:
            self.first = _END
            if first is not None:
                return first
        return next(self.rest)

    def close(self) -> None:
        close = getattr(self.app_iter, "close", None)
        if close is not None:
            close()


def _start_wsgi_response(response: Response, environ: dict[str, t.Any]) -> tuple[str, list[t.Any], t.Any]:
    started: list[t.Any] = []

    def start_response(status: str, headers: list[t.Any], exc_info: t.Any = None) -> None:
        started[:] = [status, headers]

    app_iter = response(environ, start_response)  # type: ignore[arg-type]
    return started[0], started[1], app_iter


async def _write_response(
    mixin: ASGIMixin,
    scope: Scope,
    receive: Receive,
    send: Send,
    response: Response | None,
    status: str,
    headers: list[tuple[str, str]],
    body: t.Any,
) -> None:
    await send({"type": "http.response.start", "status": int(status[:3]), "headers": _asgi_headers(headers)})
    if isinstance(body, bytes):
        await send({"type": "http.response.body", "body": body})
        return
    if response is not None and response.is_sequence:
        await send({"type": "http.response.body", "body": b"".join(body)})
        body.close()
        return
    if type(body) is FileWrapper:
        # send_file with a path (GET, no Range): pathsend when the server offers it, else chunks read in the pool.
        from .asgi_files import send_file_body

        await send_file_body(mixin, scope, receive, send, body)
        return
    from .asgi_stream import stream_body

    await stream_body(mixin, scope, receive, send, response, body)


__all__ = ["ASGIMixin"]
