"""The request cycle on the server's event loop, for apps with async views, hooks or error handlers.

How this works: the same steps as :meth:`Erlen.wsgi_app` and :meth:`Erlen.full_dispatch_request`, in the same
order and reading the same dispatch plan, but every user function goes through one step,
:meth:`ASGIMixin._call_user`, which awaits a coroutine function on the loop and runs a plain function in the
bounded pool (inside a copy of the context, so ``request`` and ``g`` work there). Everything that is not user code
(contexts, routing, make_response, the session cookie) runs inline. Apps that override a lifecycle method are
served by the synchronous pipeline in the pool instead, so the override is honoured. The usual request (push,
match, lean dispatch, plain answer, the pop without teardown) is written out in :meth:`ASGIMixin.asgi_app`,
which calls the steps here for everything else.
"""

from __future__ import annotations

import sys
import typing as t

from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException

from . import signals
from .ctx import RequestContext, reset_request_context
from .globals import _cv_app_get, _cv_contexts_reset, _cv_request_get
from .wsgi import _pop

if t.TYPE_CHECKING:
    from .app import Erlen
    from .ctx import AppContext
    from .wrappers import Response


def _has_teardown(app: Erlen, ctx: RequestContext) -> bool:
    """Whether popping runs teardown functions (then :func:`pop_contexts` sends them to the pool or loop)."""
    if app.teardown_appcontext_funcs:
        return True
    request = ctx.request
    rule = request.url_rule
    plan = getattr(rule, "_erlen_plan", None) if rule is not None else None
    if plan is None or plan.generation != app._plan_generation:
        plan = app._dispatch_plan(rule, request.blueprint)
    return bool(plan.teardown_request)


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def _parse_spooled_form(app: Erlen, ctx: RequestContext) -> None:
    """Parse a large (spooled) form body in the pool, so an async view reading ``request.files`` does not
    hold the loop for the parse (H10: ~40 ms per 32 MiB on the loop otherwise).

    A parse error is left for the view to meet: the stream is rewound and the lazy parse runs again on access.
    """
    request = ctx.request
    if request.mimetype not in _FORM_TYPES or "form" in request.__dict__:
        return
    stream = request.environ["wsgi.input"]
    before = set(request.__dict__)
    try:
        await app._run_sync(request._load_form_data)
    except Exception:
        for name in set(request.__dict__) - before:  # the cached stream, form, files: parsed again on access
            del request.__dict__[name]
        stream.seek(0)


async def run_request(app: Erlen, environ: dict[str, t.Any]) -> Response:
    """Push a request context for ``environ``, dispatch, tear down, and return the response."""
    ctx = app.request_context(environ)
    error: BaseException | None = None
    try:
        try:
            ctx.push()
            if "erlen.body_spooled" in environ:
                await _parse_spooled_form(app, ctx)
            response = await _full_dispatch(app, ctx)
        except Exception as e:
            error = e
            response = await _handle_exception(app, ctx, e)
        except BaseException:
            error = sys.exc_info()[1]
            raise
        return response
    finally:
        await pop_contexts(app, ctx, error)


async def answer_error(app: Erlen, environ: dict[str, t.Any], error: Exception) -> Response:
    """The app's answer to an HTTP error found before the view ran (413 or 408 while receiving the body).

    The request context is pushed as for any request; the error then goes through the error handlers, the
    after_request functions and the session save, as if the view had raised it.
    """
    ctx = app.request_context(environ)
    failure: BaseException | None = None
    try:
        ctx.push()
        try:
            rv = await _handle_user_exception(app, ctx, error)
            return await _finalize(app, ctx, rv)
        except Exception as e:
            failure = e
            return await _handle_exception(app, ctx, e)
    finally:
        await pop_contexts(app, ctx, failure)


async def _full_dispatch(app: Erlen, ctx: RequestContext) -> Response:
    if not app._got_first_request:  # PERF: Erlen.__setattr__ is a Python call
        app._got_first_request = True
    try:
        if signals.request_started.receivers:
            signals.request_started.send(app, _async_wrapper=app.ensure_sync)
        rv = await _preprocess(app, ctx)
        if rv is None:
            rv = await _dispatch(app, ctx)
    except Exception as e:
        rv = await _handle_user_exception(app, ctx, e)
    return await _finalize(app, ctx, rv)


async def _preprocess(app: Erlen, ctx: RequestContext) -> t.Any:
    request = ctx.request
    plan = app._dispatch_plan(request.url_rule, request.blueprint)
    for url_func in plan.url_value_preprocessors:
        url_func(request.endpoint, request.view_args)
    for before_func in plan.before_request:
        rv = await app._call_user(before_func)
        if rv is not None:
            return rv
    return None


async def _dispatch(app: Erlen, ctx: RequestContext) -> t.Any:
    request = ctx.request
    if request.routing_exception is not None:
        app.raise_routing_exception(request)
    rule = request.url_rule
    assert rule is not None
    if getattr(rule, "provide_automatic_options", False) and request.method == "OPTIONS":
        return app.make_default_options_response()
    view = app.view_functions[rule.endpoint]
    view_args = request.view_args or {}
    if getattr(view, "erlen_inline", False):
        # The route opted into running its sync view on the loop (it must not block).
        return view(**view_args)
    return await app._call_user(_bind_kwargs(view, view_args))


def _bind_kwargs(view: t.Callable[..., t.Any], kwargs: dict[str, t.Any]) -> t.Callable[[], t.Any]:
    from inspect import iscoroutinefunction

    if iscoroutinefunction(view):

        async def call_async() -> t.Any:
            return await view(**kwargs)

        return call_async
    return lambda: view(**kwargs)


async def _finalize(app: Erlen, ctx: RequestContext, rv: t.Any, from_error_handler: bool = False) -> Response:
    response = app.make_response(rv)
    try:
        for func in ctx._after_request_functions:
            response = await app._call_user(func, response)
        request = ctx.request
        for func in app._dispatch_plan(request.url_rule, request.blueprint).after_request:
            response = await app._call_user(func, response)
        app._save_session(ctx, response)
        if signals.request_finished.receivers:
            signals.request_finished.send(app, _async_wrapper=app.ensure_sync, response=response)
    except Exception:
        if not from_error_handler:
            raise
        app.logger.exception("Request finalizing failed with an error while handling an error")
    return response


async def _handle_user_exception(app: Erlen, ctx: RequestContext, e: Exception) -> t.Any:
    if isinstance(e, BadRequestKeyError) and (app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]):
        e.show_exception = True
    if isinstance(e, HTTPException) and not app.trap_http_exception(e):
        if e.code is None or isinstance(e, RoutingException):
            return e
        handler = app._find_error_handler(e, ctx.request.blueprints)
        return e if handler is None else await app._call_user(handler, e)
    handler = app._find_error_handler(e, ctx.request.blueprints)
    if handler is None:
        raise e
    return await app._call_user(handler, e)


async def _handle_exception(app: Erlen, ctx: RequestContext, e: Exception) -> Response:
    exc_info = sys.exc_info()
    if signals.got_request_exception.receivers:
        signals.got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=e)
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    if propagate is None:
        propagate = app.testing or app.debug
    if propagate:
        raise e
    app.log_exception(exc_info if exc_info[1] is e else (type(e), e, e.__traceback__))
    server_error: t.Any = InternalServerError(original_exception=e)
    handler = app._find_error_handler(server_error, ctx.request.blueprints)
    if handler is not None:
        server_error = await app._call_user(handler, server_error)
    return await _finalize(app, ctx, server_error, from_error_handler=True)


async def pop_contexts(
    app: Erlen, ctx: RequestContext, error: BaseException | None, app_ctx: AppContext | None = None
) -> None:
    """Pop the request (and its app) context, running teardown functions through :meth:`_call_user`.

    What ``RequestContext.pop`` does, except that sync teardown functions run in the pool and async ones are
    awaited on this loop, so an async resource closed in teardown is closed on the loop it was opened on.
    Without teardown functions (the common case) this is the inline pop, with no hop.
    """
    request = ctx.request
    rule = request.url_rule
    plan = getattr(rule, "_erlen_plan", None) if rule is not None else None
    if plan is None or plan.teardown_request or plan.generation != app._plan_generation:
        plan = app._dispatch_plan(rule, request.blueprint)
    teardown_request = plan.teardown_request
    # Uploads parsed from a spooled body sit in temporary files; closing them frees their blocks (milliseconds
    # for 32 MiB, H10), so the pool does it, at the point where ``RequestContext.pop`` closes the request.
    close_in_pool = "erlen.body_spooled" in request.environ and bool(
        request._may_hold_uploads and request.__dict__.get("files")
    )
    if not teardown_request and not app.teardown_appcontext_funcs and not close_in_pool:
        _pop(app, ctx, app_ctx, error)
        return
    if _overrides_teardown(app):
        ctx.pop(None if error is not None and app.should_ignore_error(error) else error)
        return
    if error is not None and app.should_ignore_error(error):
        error = None
    if len(ctx._cv_tokens) != 1:
        ctx.pop(error)  # pushed again by user code: the outermost pop tears down
        return
    failure: BaseException | None = None
    try:
        failure = await _run_teardown(app, teardown_request, error)
        if signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(app, _async_wrapper=app.ensure_sync, exc=error)
        if close_in_pool:
            await app._run_sync(request.close)
        else:
            request.close()
    finally:
        current = _cv_request_get()
        token, pushed_app_ctx = ctx._cv_tokens.pop()
        reset_request_context(token, pushed_app_ctx)
        request.environ["werkzeug.request"] = None
        if pushed_app_ctx is not None:
            await _pop_app_context(app, pushed_app_ctx, error)
        if current is not ctx:
            raise AssertionError(f"Popped wrong request context. ({current!r} instead of {ctx!r})")
    if failure is not None:
        raise failure


async def _pop_app_context(app: Erlen, app_ctx: AppContext, error: BaseException | None) -> None:
    failure: BaseException | None = None
    try:
        if len(app_ctx._cv_tokens) == 1:
            failure = await _run_teardown(app, tuple(reversed(app.teardown_appcontext_funcs)), error)
            if signals.appcontext_tearing_down.receivers:
                signals.appcontext_tearing_down.send(app, _async_wrapper=app.ensure_sync, exc=error)
    finally:
        current = _cv_app_get()
        _cv_contexts_reset(app_ctx._cv_tokens.pop())
    if current is not app_ctx:
        raise AssertionError(f"Popped wrong app context. ({current!r} instead of {app_ctx!r})")
    if signals.appcontext_popped.receivers:
        signals.appcontext_popped.send(app, _async_wrapper=app.ensure_sync)
    if failure is not None:
        raise failure


async def _run_teardown(
    app: Erlen, funcs: t.Iterable[t.Callable[..., t.Any]], error: BaseException | None
) -> BaseException | None:
    """Call each ``func(error)``; all run, and the first exception raised is returned."""
    failure: BaseException | None = None
    for func in funcs:
        try:
            await app._call_user(func, error)
        except Exception as e:
            if failure is None:
                failure = e
    return failure


def _overrides_teardown(app: Erlen) -> bool:
    from .app import Erlen as _Erlen

    cls = type(app)
    return (
        cls.do_teardown_request is not _Erlen.do_teardown_request
        or cls.do_teardown_appcontext is not _Erlen.do_teardown_appcontext
    )
