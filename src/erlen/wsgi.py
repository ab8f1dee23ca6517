"""The WSGI request path for apps that keep Flask's lifecycle methods as Erlen defines them.

How this works: :meth:`Erlen.wsgi_app` runs the documented lifecycle (``request_context``, ``full_dispatch_request``,
``preprocess_request``, ``dispatch_request``, ``finalize_request``, ``process_response``, ``ctx.pop``). When an
app's class overrides none of those methods, the same steps can run inline here with the work that does not apply
to this request skipped: no hook loop without hooks, no session without a cookie or access, no signal without
receivers, static paths matched with one dict lookup, the view's sync/async wrapper looked up rather than
recomputed, and a complete body written without Werkzeug's header pass. Any exception, and any feature that needs
the full treatment (teardown functions, parsed files, streamed bodies), goes back to the general methods, so the
behaviour is the same as the long path; only the cost differs.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from . import signals
from .ctx import AppContext, RequestContext
from .globals import _cv_app_get, _cv_contexts_get, _cv_contexts_reset, _cv_contexts_set, _cv_request_get
from .sansio.app import HookCallers
from .sansio.headers import check_headers, unsafe_header_char
from .sansio.routing import RouteMap
from .wrappers import UPPERCASE_METHODS, Request, Response

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.routing import Rule

    from .app import Erlen
    from .sansio.app import DispatchPlan

#: The lifecycle methods whose default implementations the inline path stands in for.
LIFECYCLE_METHODS = (
    "wsgi_app",
    "request_context",
    "app_context",
    "create_url_adapter",
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "make_response",
    "process_response",
    "do_teardown_request",
    "do_teardown_appcontext",
    "ensure_sync",
    "should_ignore_error",
)

#: The app attributes whose values decide how the inline path serves a request (see note_request_path_settings).
REQUEST_PATH_SETTINGS = frozenset(("wsgi_app", "request_class", "response_class", "session_interface"))


def note_request_path_settings(app: Erlen) -> None:
    """Note on ``app`` what its settings imply for the inline path.

    Called when the app is made, when it starts serving (its first WSGI or ASGI request) and whenever one of ``REQUEST_PATH_SETTINGS`` is assigned
    or deleted on it. ``_serve_inline``: the class keeps the lifecycle methods and nothing replaced ``wsgi_app``.
    ``_session_opens_lazily``: the session interface's ``open_lazily``. ``_request_on_first_use``: the request
    object may wait for first use (stock constructor, a session interface that opens lazily).
    ``_stock_response``: answers are ``Response`` objects.
    # PERF: the settings are class attributes, which CPython 3.11 reads without its attribute cache (about 0.3k
    machine instructions each); the flags are instance attributes, read with it.
    """
    settings = app.__dict__
    settings["_serve_inline"] = type(app)._inline_wsgi and "wsgi_app" not in settings
    lazily = settings["_session_opens_lazily"] = app.session_interface.open_lazily
    settings["_request_on_first_use"] = app.request_class._made_on_first_use and lazily
    settings["_stock_response"] = app.response_class is Response


_no_body_statuses = frozenset((204, 304))
_new = object.__new__
_HTML = ("Content-Type", "text/html; charset=utf-8")
_websocket_schemes = ("ws", "wss")


def run_inline(app: Erlen, environ: WSGIEnvironment, start_response: StartResponse) -> cabc.Iterable[bytes]:
    """Handle one request with the inline path (see the module docstring)."""
    # PERF: the context push and the lean dispatch are written out here (three Python calls less per request), and
    # so is the lean answer (below).
    # PERF: the contexts get the attributes their constructors set, in the same order, without the two
    # constructor frames; each token list is made with its token. With the stock constructor the request object
    # is made on first use (see RequestContext.request), after the match below.
    method = environ.get("REQUEST_METHOD", "GET")  # what Request.method holds
    if method not in UPPERCASE_METHODS:
        method = method.upper()
    ctx = _new(RequestContext)
    ctx.app = app
    request: Request | None = None
    if not app._request_on_first_use:
        request = ctx.request = app.request_class(environ)
        request.json_module = app.json
    ctx.flashes = None
    ctx._opened_session = None
    ctx._after_request_functions = []
    # How RequestContext.push sets the contexts: one token for both when it pushes the app context too.
    outer = _cv_contexts_get(None)
    app_ctx: AppContext | None = None
    if outer is None or outer[0].app is not app:
        app_ctx = pushed = _new(AppContext)
        pushed.app = app
        frame = (pushed, ctx)
        if not signals.request_path_quiet and signals.appcontext_pushed.receivers:
            # Its receivers see the app context on its own, as in Flask: two sets.
            pushed._cv_tokens = [_cv_contexts_set((pushed, None if outer is None else outer[1]))]
            signals.appcontext_pushed.send(app, _async_wrapper=app.ensure_sync)
            request_token = _cv_contexts_set(frame)
        else:
            request_token = _cv_contexts_set(frame)
            pushed._cv_tokens = [request_token]
    else:
        frame = (outer[0], ctx)
        request_token = _cv_contexts_set(frame)
    ctx._cv_tokens = [(request_token, app_ctx)]
    error: BaseException | None = None
    try:
        try:
            found: tuple[Rule | None, t.Any] | None = None
            rule: Rule | None
            plain_tried = request is None
            if plain_tried:
                try:
                    found = match_plain(app, environ, method)
                except BaseException:  # an error while matching: the handlers get a request with no rule
                    ctx._unmade_request = (environ, None, None)  # type: ignore[assignment]
                    raise
            if found is not None and (matched := found[0]) is not None:
                rule = matched
                view_args = found[1]
                ctx._unmade_request = (environ, matched, view_args)
            else:
                if request is None:
                    request = ctx.request = app.request_class(environ)
                    request.json_module = app.json
                if not app._session_opens_lazily:
                    ctx._open_session()
                rule = _apply_match(app, ctx, request, found) if plain_tried else _match(app, ctx)
                view_args = request.view_args
            if rule is None:
                response = _dispatch(app, ctx, None)
            else:
                try:
                    plan = rule._erlen_plan  # type: ignore[attr-defined]  # PERF: no __dict__.get call
                except AttributeError:
                    plan = None
                if plan is None or plan.generation != app._plan_generation:
                    endpoint = rule.endpoint
                    plan = app._dispatch_plan(rule, endpoint.rpartition(".")[0] if "." in endpoint else None)
                if (
                    not plan.lean
                    or method == "OPTIONS"
                    or (not signals.request_path_quiet and signals.request_started.receivers)
                ):
                    response = _dispatch(app, ctx, plan)
                else:
                    # An endpoint no hook applies to: its view is called directly.
                    if not app._got_first_request:
                        app._got_first_request = True
                    view = app.view_functions[rule.endpoint]
                    known = plan.view
                    if known is None or known[0] is not view:
                        known = plan.view = (view, app._sync_caller(view))
                    try:
                        rv = known[1](**view_args) if view_args else known[1]()
                    except Exception as e:
                        rv = app.handle_user_exception(e)
                    if (
                        signals.request_path_quiet
                        and method != "HEAD"
                        and app_ctx is not None
                        and not ctx._after_request_functions
                        and ctx._opened_session is None
                        and "HTTP_COOKIE" not in environ
                    ):
                        # PERF: the lean answer. Nothing but the server sees this response (no after-this-request
                        # function, no session to save, no request_finished receiver), so a str is written as
                        # the two headers Werkzeug would send (see plain_body) and a stock Response as
                        # _finalize would leave it. With nothing to tear down (no teardown function or signal
                        # receiver, no upload to close, contexts pushed once) the contexts are then reset here.
                        rv_type = type(rv)
                        answer: cabc.Iterable[bytes] | None = None
                        if rv_type is str and app._stock_response:
                            body = rv.encode()
                            start_response("200 OK", [_HTML, ("Content-Length", str(len(body)))])
                            answer = [body]
                        elif rv_type is Response and app._stock_response:
                            answer = _write(rv, method, environ, start_response)
                        if answer is not None:
                            if (
                                plan.generation == app._plan_generation  # no hook added meanwhile
                                and signals.request_path_quiet
                                and not app.teardown_appcontext_funcs
                                and len(ctx._cv_tokens) == 1
                                and len(app_ctx._cv_tokens) == 1
                                and "werkzeug.debug.preserve_context" not in environ
                                and (ctx._unmade_request is not None or _closes_nothing(ctx.request))
                                and _cv_contexts_get() is frame
                            ):
                                # The app context's token is the first (or the only) one: resetting it undoes
                                # both pushes.
                                ctx._cv_tokens.pop()
                                _cv_contexts_reset(app_ctx._cv_tokens.pop())
                                if ctx._unmade_request is None:
                                    environ["werkzeug.request"] = None
                            return answer
                    if method != "HEAD":
                        plain = plain_body(app, ctx, environ, rv)
                        if plain is not None:
                            body = plain[0]
                            start_response(
                                "200 OK", [("Content-Type", plain[1]), ("Content-Length", str(len(body)))]
                            )
                            return [body]
                    response = _finalize(app, ctx, rv)
        except Exception as e:
            error = e
            response = app.handle_exception(e)
        except BaseException as e:
            error = e
            raise
        return _write(response, method, environ, start_response)
    finally:
        if ctx._cv_tokens:
            preserve = environ.get("werkzeug.debug.preserve_context")
            if preserve is not None:
                preserve(_cv_app_get())
                preserve(_cv_request_get())
            _pop(app, ctx, app_ctx, error)


def plain_body(
    app: Erlen, ctx: RequestContext, environ: WSGIEnvironment, rv: t.Any
) -> tuple[bytes, str] | None:
    """The body and Content-Type of the 200 response ``rv`` (a view's return value) makes, when nothing but the
    server will see that response: no after-this-request function, no session to save, no ``request_finished``
    receiver, and an unchanged response class (and, for a dict or list, JSON provider). Else None.

    # PERF: str, bytes, dict and list answers are then sent without Response and Headers objects; the bytes and
    # headers are the ones those objects would produce.
    """
    rv_type = type(rv)
    response_class = app.response_class
    if (
        not response_class._direct
        or ctx._after_request_functions
        or ctx._opened_session is not None
        or "HTTP_COOKIE" in environ
        or signals.request_finished.receivers
    ):
        return None
    if rv_type is str or rv_type is bytes:
        content_type = response_class._default_content_type
        if content_type is None:
            return None
        return (rv.encode() if rv_type is str else rv), content_type
    if rv_type is dict or rv_type is list:
        encode = getattr(app.json, "_complete_body", None)
        return None if encode is None else encode(rv)
    return None


def refuse_ambiguous_framing(request: t.Any) -> bool:
    """Answer 400 (as a routing error) when a request declares both Content-Length and Transfer-Encoding.

    RFC 9112 forbids the pair: a proxy in front may frame the body one way and the server the other (request
    smuggling). gunicorn refuses it itself; granian and Werkzeug's development server pass it on. Behind the
    ASGI adapter CONTENT_LENGTH is the length it received, so the pair is expected there. Returns True when
    refused; the hooks and error handlers then run as for any routing error.
    """
    environ = request.environ
    if not environ.get("CONTENT_LENGTH") or "asgi.scope" in environ:
        return False
    request.url_rule = request.view_args = None
    request.routing_exception = BadRequest("Content-Length and Transfer-Encoding must not be sent together.")
    return True


def _view_caller(app: Erlen, plan: DispatchPlan, endpoint: str) -> t.Callable[..., t.Any]:
    """The sync caller of the endpoint's current view function.

    # PERF: remembered on the plan with the function it wraps, and re-checked against ``view_functions`` (which
    # an app may change at any time) by identity.
    """
    view = app.view_functions[endpoint]
    known = plan.view
    if known is not None and known[0] is view:
        return known[1]
    caller = app._sync_caller(view)
    plan.view = (view, caller)
    return caller


def match_plain(app: Erlen, environ: WSGIEnvironment, method: str) -> tuple[Rule | None, t.Any] | None:
    """Match a plain request from the environ alone.

    Returns ``(rule, view_args)``; ``(None, binding)`` when the request is plain but only Werkzeug's adapter can
    answer it (404, 405, redirects...: see ``_match_with_adapter``); None when it is not plain (``_match_full``).
    Plain: no Transfer-Encoding, no script root, a Host whose binding ``Erlen._request_binding`` remembered for
    the same scheme and configuration, the default subdomain of a RouteMap, and an ASCII path with one leading
    slash (so PATH_INFO is what ``Request.path`` would give).
    # PERF: needs no request object, so the WSGI path can leave it to be made on first use; and the remembered
    binding is checked without building the cache key of ``_request_binding`` (about 0.2 µs).
    """
    if "HTTP_TRANSFER_ENCODING" in environ or environ.get("SCRIPT_NAME"):
        return None
    entry = app._bindings_by_host.get(environ.get("HTTP_HOST"))  # type: ignore[arg-type]
    config = app.config
    if (
        entry is None
        or entry[0] != environ.get("wsgi.url_scheme", "http")
        or entry[1] != ""
        or entry[2] != config["SERVER_NAME"]
        or entry[3] != app.subdomain_matching
        or config["TRUSTED_HOSTS"] is not None
    ):
        return None
    binding = entry[4]
    url_map = app.url_map
    if binding[2] != "" or not isinstance(url_map, RouteMap):
        return None
    # PERF: RouteMap.route written out, so that only a path missing from the static table (whose paths are all
    # plain) is checked for plainness.
    path = environ.get("PATH_INFO") or ""
    table = url_map._static
    if table is None:
        table = url_map.static_table()
    rule = table.get(path)
    if rule is not None and (rule.methods is None or method in rule.methods):
        return rule, dict(rule.defaults) if rule.defaults else {}
    if not (path[:1] == "/" and path[1:2] != "/" and path.isascii()):
        return None
    return url_map.match_path(path, method, binding[3] in _websocket_schemes) or (None, binding)


def _match(app: Erlen, ctx: RequestContext) -> Rule | None:
    """Set ``url_rule`` and ``view_args`` (or ``routing_exception``) on the request; return the rule."""
    request = ctx.request
    return _apply_match(app, ctx, request, match_plain(app, request.environ, request.method))


def _apply_match(
    app: Erlen, ctx: RequestContext, request: Request, found: tuple[Rule | None, t.Any] | None
) -> Rule | None:
    """``_match`` given ``match_plain``'s answer for this request (``ctx.request``, made)."""
    if found is None:
        return _match_full(app, ctx)
    if found[0] is None:
        return _match_with_adapter(app, ctx, found[1])
    request.url_rule, request.view_args = found
    return found[0]


def _match_full(app: Erlen, ctx: RequestContext) -> Rule | None:
    """``_match`` for a request that is not plain (see ``match_plain``)."""
    request = ctx.request
    environ = request.environ
    # PERF: one dict lookup; the framing check runs only for a request that sent Transfer-Encoding.
    if "HTTP_TRANSFER_ENCODING" in environ and refuse_ambiguous_framing(request):
        return None
    try:
        binding = app._request_binding(request)
    except HTTPException as e:
        request.routing_exception = e
        ctx.url_adapter = None
        return None
    url_map = app.url_map
    # PERF: on the default subdomain a RouteMap answers without a URL adapter (see RouteMap.route).
    if binding[2] == "" and isinstance(url_map, RouteMap):
        found = url_map.route(request.path, request.method, binding[3] in _websocket_schemes)
        if found is not None:
            request.url_rule, request.view_args = found
            return found[0]
    return _match_with_adapter(app, ctx, binding)


def _match_with_adapter(app: Erlen, ctx: RequestContext, binding: t.Any) -> Rule | None:
    """Werkzeug's match, for what the quick matchers leave to it: 405, redirects, automatic OPTIONS, 404."""
    request = ctx.request
    adapter = ctx.url_adapter = app._bound_adapter(binding, request)
    try:
        request.url_rule, request.view_args = adapter.match(return_rule=True)  # type: ignore[assignment]
    except HTTPException as e:
        request.routing_exception = e
        return None
    return request.url_rule


def _closes_nothing(request: Request) -> bool:
    """Whether closing ``request`` would do nothing: the stock ``close`` and no parsed uploads."""
    return type(request).close is Request.close and not (
        request._may_hold_uploads and request.__dict__.get("files")
    )


def _dispatch(app: Erlen, ctx: RequestContext, plan: DispatchPlan | None) -> t.Any:
    """``full_dispatch_request`` inline: before hooks, the view, and the response's finalization.

    ``plan`` is the matched rule's plan as the caller found it (None without a rule).
    """
    if not app._got_first_request:  # PERF: Erlen.__setattr__ is a Python call
        app._got_first_request = True
    request = ctx.request
    rule = request.url_rule
    try:
        if signals.request_started.receivers:
            signals.request_started.send(app, _async_wrapper=app.ensure_sync)
            plan = None  # a receiver may have changed the hooks or the rule: look the plan up again
            rule = request.url_rule
        if rule is None:
            # No rule: a routing error; the general methods raise it and the handlers answer it.
            rv = app.preprocess_request()
            if rv is None:
                rv = app.dispatch_request()
        else:
            endpoint = rule.endpoint
            if plan is None or plan.generation != app._plan_generation:
                plan = app._dispatch_plan(rule, endpoint.rpartition(".")[0] if "." in endpoint else None)
            rv = None
            if plan.url_value_preprocessors:
                for url_func in plan.url_value_preprocessors:
                    url_func(endpoint, request.view_args)
            if plan.before_request:
                # PERF: the hooks' sync callers are kept on the plan, not looked up per hook and request.
                for before_func in (plan.callers or sync_hooks(app, plan)).before:
                    rv = before_func()
                    if rv is not None:
                        break
            if rv is None:
                if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
                    rv = app.make_default_options_response()
                else:
                    rv = _view_caller(app, plan, endpoint)(**request.view_args)  # type: ignore[arg-type]
    except Exception as e:
        rv = app.handle_user_exception(e)
    return _finalize(app, ctx, rv)


def _finalize(app: Erlen, ctx: RequestContext, rv: t.Any) -> t.Any:
    """``finalize_request`` inline: make the response, run after hooks, save the session."""
    response_class = app.response_class
    response: t.Any
    # PERF: a str body with the default type becomes a response without Werkzeug's constructor.
    if type(rv) is str and response_class._direct:
        response = response_class._with_body(rv.encode(), response_class._default_content_type)
    elif type(rv) is dict:
        response = app.json.response(rv)
    elif isinstance(rv, HTTPException) and response_class._direct and _plain_error(rv):
        response = response_class._with_body(_error_body(rv), "text/html; charset=utf-8", rv.code)  # type: ignore[arg-type]
    elif type(rv) is response_class:
        response = rv  # what make_response returns for it
    else:
        response = app.make_response(rv)
    request = ctx.request
    for func in ctx._after_request_functions:
        response = app._sync_caller(func)(response)
    rule = request.url_rule
    plan = rule._erlen_plan if rule is not None else app._dispatch_plan(None, None)  # type: ignore[attr-defined]
    if plan.after_request:
        for func in (plan.callers or sync_hooks(app, plan)).after:
            response = func(response)
    if ctx._opened_session is not None or "HTTP_COOKIE" in request.environ:
        app._save_session(ctx, response)
    if signals.request_finished.receivers:
        signals.request_finished.send(app, _async_wrapper=app.ensure_sync, response=response)
    return response


#: Rendered bodies of Werkzeug's default error pages, by (class, description); bounded.
_error_bodies: dict[tuple[type[HTTPException], str], bytes] = {}


def _plain_error(e: HTTPException) -> bool:
    """Whether ``e`` renders as Werkzeug's default page with only a Content-Type header."""
    cls = type(e)
    return (
        e.response is None
        and e.code in HTTP_STATUS_CODES
        and isinstance(e.description, str)
        and cls.get_response is HTTPException.get_response
        and cls.get_body is HTTPException.get_body
        and cls.get_headers is HTTPException.get_headers
        and cls.get_description is HTTPException.get_description
    )


def _error_body(e: HTTPException) -> bytes:
    """Werkzeug's default error page for ``e``, rendered once per class and description.

    # PERF: a 404 page is the same bytes every time; rendering it costs a dozen Python calls.
    """
    key = (type(e), t.cast(str, e.description))
    body = _error_bodies.get(key)
    if body is None:
        body = e.get_body().encode()
        if len(_error_bodies) < 256:
            _error_bodies[key] = body
    return body


def _write(
    response: t.Any, method: str, environ: WSGIEnvironment, start_response: StartResponse
) -> cabc.Iterable[bytes]:
    """Start the response and return its body; complete bodies skip Werkzeug's header pass."""
    cls = type(response)
    if (
        getattr(cls, "_direct", False)
        and type(response.response) is list
        and not response._on_close
        and not response.direct_passthrough
        and method != "HEAD"
    ):
        status = response._status_code
        headers = response.headers
        if status >= 200 and status not in _no_body_statuses and type(headers) is Headers:
            # PERF: the headers are already what Werkzeug's get_wsgi_headers would produce for this response
            # when it has a Content-Length; they are read from Headers' own list in one pass, which also
            # repeats the control-character check of Response.get_wsgi_headers.
            header_list = headers._list
            if header_list == response._checked_headers:  # made by _with_body and unchanged since
                start_response(response._status, list(header_list))
                return response.response
            has_length = False
            for name, value in header_list:
                if name == "Content-Length" or name.lower() == "content-length":
                    has_length = True
                if not (value.isprintable() and name.isprintable()) and (
                    unsafe_header_char(value) is not None or unsafe_header_char(name) is not None
                ):
                    check_headers(header_list)
            if has_length:
                start_response(response._status, list(header_list))
                return response.response
    return response(environ, start_response)  # type: ignore[no-any-return]


def _pop(app: Erlen, ctx: RequestContext, app_ctx: AppContext | None, error: BaseException | None) -> None:
    """``ctx.pop`` inline, teardown_request functions included; the general pop for anything more."""
    unmade = ctx._unmade_request
    request = None if unmade is not None else ctx.request
    rule = unmade[1] if unmade is not None else ctx.request.url_rule
    # A request with no rule (404, 405) has the app's own teardown functions: the plan for no rule.
    plan = getattr(rule, "_erlen_plan", None) if rule is not None else app._dispatch_plan(None, None)
    if (
        plan is None
        or plan.generation != app._plan_generation
        or len(ctx._cv_tokens) != 1
        or signals.request_tearing_down.receivers
        or (request is not None and not _closes_nothing(request))
        or (
            app_ctx is not None
            and (
                app.teardown_appcontext_funcs
                or signals.appcontext_tearing_down.receivers
                or signals.appcontext_popped.receivers
                or len(app_ctx._cv_tokens) != 1
            )
        )
    ):
        if error is not None and app.should_ignore_error(error):
            error = None
        ctx.pop(error)
        return
    failure: Exception | None = None
    if plan.teardown_request:
        # What do_teardown_request does: every function runs; the first exception is raised after the pop.
        if error is not None and app.should_ignore_error(error):
            error = None
        for func in (plan.callers or sync_hooks(app, plan)).teardown:
            try:
                func(error)
            except Exception as e:
                if failure is None:
                    failure = e
    token, _ = ctx._cv_tokens.pop()
    current = _cv_contexts_get()
    if current[1] is not ctx:
        raise AssertionError(f"Popped wrong request context. ({current[1]!r} instead of {ctx!r})")
    if app_ctx is not None and current[0] is not app_ctx:
        raise AssertionError(f"Popped wrong app context. ({current[0]!r} instead of {app_ctx!r})")
    if app_ctx is None:
        _cv_contexts_reset(token)
    else:
        # Nothing runs between the two pops here (no app teardown, no receivers), so one reset of the first
        # token undoes both pushes.
        _cv_contexts_reset(app_ctx._cv_tokens.pop())
    if ctx._unmade_request is None:
        ctx.request.environ["werkzeug.request"] = None
    if failure is not None:
        raise failure


def sync_hooks(app: Erlen, plan: DispatchPlan) -> HookCallers:
    """``plan.callers``, made now: the sync callers of the plan's hooks, kept for the plan's lifetime."""
    sync = app._sync_caller
    callers = HookCallers(
        tuple(map(sync, plan.before_request)),
        tuple(map(sync, plan.after_request)),
        tuple(map(sync, plan.teardown_request)),
    )
    plan.callers = callers
    return callers
