"""The request cycle on the server's event loop, for apps with async views, hooks or error handlers.

How this works: the same steps as :meth:`Erlen.wsgi_app` and :meth:`Erlen.full_dispatch_request`, in the same
order and reading the same dispatch plan, but every user function goes through one step,
:meth:`ASGIMixin._call_user`, which awaits a coroutine function on the loop and runs a plain function in the
bounded pool (inside a copy of the context, so ``request`` and ``g`` work there). Everything that is not user code
(contexts, routing, make_response, the session cookie) runs inline. Apps that override a lifecycle method are
served by the synchronous pipeline in the pool instead, so the override is honoured.
"""

from __future__ import annotations

import sys
import typing as t

from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException

from . import signals
from .ctx import RequestContext
from .wsgi import _finalize as _finalize_inline
from .wsgi import _match, _pop, push_inline

if t.TYPE_CHECKING:
    from .app import Erlen
    from .wrappers import Response


async def run_request_inline(app: Erlen, environ: dict[str, t.Any]) -> Response:
    """:func:`run_request` with the inline WSGI path's shortcuts (for apps that override no lifecycle method).

    # PERF: the same skips as :func:`erlen.wsgi.run_inline` (one ContextVar set per context, static routes by
    # dict lookup, no hook loops without hooks, the direct str response), with the view awaited in place.
    """
    ctx, app_ctx = push_inline(app, environ)
    error: BaseException | None = None
    try:
        try:
            if not app.session_interface.open_lazily:
                ctx._open_session()
            _match(app, ctx)
            response = await _dispatch_inline(app, ctx)
        except Exception as e:
            error = e
            response = await _handle_exception(app, ctx, e)
        except BaseException as e:
            error = e
            raise
        return response
    finally:
        _pop(app, ctx, app_ctx, error)


async def _dispatch_inline(app: Erlen, ctx: RequestContext) -> Response:
    rule = ctx.request.url_rule
    if rule is None:
        return await _full_dispatch(app, ctx)
    app._got_first_request = True
    request = ctx.request
    try:
        if signals.request_started.receivers:
            signals.request_started.send(app, _async_wrapper=app.ensure_sync)
        endpoint = rule.endpoint
        plan = app._dispatch_plan(rule, endpoint.rpartition(".")[0] if "." in endpoint else None)
        rv = None
        if plan.url_value_preprocessors or plan.before_request:
            rv = await _preprocess(app, ctx)
        if rv is None:
            if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
                rv = app.make_default_options_response()
            else:
                view = app.view_functions[endpoint]
                view_args: dict[str, t.Any] = request.view_args  # type: ignore[assignment]
                # PERF: the app's per-function sync/async cache; a sync function is its own caller.
                if app._sync_caller(view) is not view:
                    rv = await view(**view_args)
                elif getattr(view, "erlen_inline", False):
                    rv = view(**view_args)
                else:
                    rv = await app._run_sync(lambda: view(**view_args))
    except Exception as e:
        rv = await _handle_user_exception(app, ctx, e)
    if ctx._after_request_functions or plan_has_after(app, rule):
        return await _finalize(app, ctx, rv)
    return _finalize_inline(app, ctx, rv)  # type: ignore[no-any-return]


def plan_has_after(app: Erlen, rule: t.Any) -> bool:
    plan = rule.__dict__.get("_erlen_plan")
    return plan is None or bool(plan.after_request)


async def run_request(app: Erlen, environ: dict[str, t.Any]) -> Response:
    """Push a request context for ``environ``, dispatch, tear down, and return the response."""
    ctx = app.request_context(environ)
    error: BaseException | None = None
    try:
        try:
            ctx.push()
            response = await _full_dispatch(app, ctx)
        except Exception as e:
            error = e
            response = await _handle_exception(app, ctx, e)
        except BaseException:
            error = sys.exc_info()[1]
            raise
        return response
    finally:
        if error is not None and app.should_ignore_error(error):
            error = None
        ctx.pop(error)


async def _full_dispatch(app: Erlen, ctx: RequestContext) -> Response:
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
