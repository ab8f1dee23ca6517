"""The Erlen application: the request cycle on top of the registration side in :mod:`erlen.sansio.app`.

How a request flows: the adapter builds a :class:`~erlen.wrappers.Request` (nothing parsed yet), pushes a
:class:`~erlen.ctx.RequestContext` (which matches the URL with an adapter bound once per host, scheme and root),
then runs the endpoint's cached :class:`~erlen.sansio.app.DispatchPlan`. The lifecycle methods Flask documents
(``preprocess_request``, ``dispatch_request``, ``finalize_request``, ``process_response``...) are all here and
overridable; they read the plan instead of walking the blueprint chain.
"""

from __future__ import annotations

import collections.abc as cabc
import os
import sys
import typing as t
from inspect import iscoroutinefunction

from werkzeug.datastructures import Headers, ImmutableDict
from werkzeug.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import BuildError, MapAdapter, RequestRedirect, RoutingException, Rule
from werkzeug.wrappers import Response as BaseResponse

from . import _brand, signals
from .asgi import ASGIMixin
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .globals import (
    _NO_CONTEXTS,
    _cv_app_get,
    _cv_contexts_get,
    _cv_request_get,
    _no_req_msg,
    _require_request_ctx,
)
from .sansio.app import App, DispatchPlan
from .sansio.scaffold import _sentinel
from .sansio.urlbuild import build_internal_path
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import Environment, _default_template_ctx_processor
from .wrappers import Request, Response
from .wsgi import (
    LIFECYCLE_METHODS,
    REQUEST_PATH_SETTINGS,
    note_request_path_settings,
    refuse_ambiguous_framing,
    run_inline,
)

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .testing import ErlenClient, ErlenCliRunner

T_shell_context_processor = t.TypeVar("T_shell_context_processor", bound=t.Callable[..., t.Any])

#: How many (host, scheme, root) bindings to keep; the Host header is client input, so the cache is bounded.
_ADAPTER_CACHE_SIZE = 256
#: Characters left unquoted in a URL fragment.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


class Erlen(ASGIMixin, App):
    """A WSGI (and ASGI) application with Flask 3.1's API.

    ``erlen.Flask`` is the same class, so a Flask app ports by changing one import line. See
    :class:`erlen.sansio.app.App` for the constructor's parameters.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    session_interface: SessionInterface = SecureCookieSessionInterface()
    jinja_environment = Environment
    app_ctx_globals_class = _AppCtxGlobals
    default_config = ImmutableDict(App.default_config)

    @property
    def cli(self) -> t.Any:
        """The app's click group; named after the app."""
        group = self.__dict__.get("_cli")
        if group is None:
            from .cli import AppGroup

            group = self.__dict__["_cli"] = AppGroup(self.name)
        return group

    @cli.setter
    def cli(self, value: t.Any) -> None:
        self.__dict__["_cli"] = value

    default_template_context_processors = (_default_template_ctx_processor,)

    # What the settings the WSGI path depends on imply; kept by erlen.wsgi.note_request_path_settings.
    _serve_inline: bool
    _session_opens_lazily: bool
    _request_on_first_use: bool
    _stock_response: bool

    # -- templating -------------------------------------------------------------------------------------------

    def create_jinja_environment(self) -> Environment:
        """The Jinja environment: autoescaping, reloading and Erlen's template globals."""
        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = self.debug if auto_reload is None else auto_reload
        env = self.jinja_environment(self, **options)
        from .globals import g, request, session
        from .helpers import get_flashed_messages, url_for

        env.globals.update(
            url_for=url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = self.json.dumps
        return env

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' values (app's, then the request's blueprints') without overriding ``context``."""
        processors = self.template_context_processors
        names: tuple[str | None, ...] = (None,)
        contexts = _cv_contexts_get(None)
        ctx = None if contexts is None else contexts[1]
        if ctx is not None and ctx.request.blueprint is not None:
            names = (None, *reversed(ctx.request.blueprints))
        funcs = [func for name in names for func in dict.get(processors, name, ())]
        if funcs == [_default_template_ctx_processor]:
            # PERF: only the default processor: its values, without copying the context twice.
            for key, value in _default_template_ctx_processor().items():
                context.setdefault(key, value)
            return
        original = context.copy()
        for func in funcs:
            context.update(self.ensure_sync(func)())
        context.update(original)

    def make_shell_context(self) -> dict[str, t.Any]:
        """The ``shell`` command's namespace: ``app``, ``g`` and the shell context processors' values."""
        from .globals import g

        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open a file relative to the instance folder."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- contexts ---------------------------------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new application context for this app (use with ``with``)."""
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A new request context for ``environ`` (use with ``with``)."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a request built from EnvironBuilder arguments."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> ErlenClient:
        """A test client that calls the app without a server."""
        cls = self.test_client_class
        if cls is None:
            from .testing import ErlenClient

            cls = ErlenClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> ErlenCliRunner:
        """A click runner for the app's commands."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import ErlenCliRunner

            cls = ErlenCliRunner
        return cls(self, **kwargs)

    # -- URLs -------------------------------------------------------------------------------------------------

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """A URL adapter for ``request`` (or, outside a request, for SERVER_NAME; None without it)."""
        if request is None:
            config = self.config
            server_name = config["SERVER_NAME"]
            if server_name is None:
                return None
            return self.url_map.bind(
                server_name,
                script_name=config["APPLICATION_ROOT"],
                url_scheme=config["PREFERRED_URL_SCHEME"],
            )
        return self._bound_adapter(self._request_binding(request), request)

    def _bound_adapter(self, binding: tuple[str, str, str | None, str], request: Request) -> MapAdapter:
        """The URL map's adapter for ``request`` with a binding from :meth:`_request_binding`."""
        server_name, script_name, subdomain, url_scheme = binding
        # PERF: a RouteMap binds a RouteMapAdapter, which matches rules with converters in one regex match.
        return getattr(self.url_map, "adapter_class", MapAdapter)(
            self.url_map,
            server_name,
            script_name,
            subdomain,
            url_scheme,
            request.path,
            request.method,
            request.query_string.decode("latin-1"),
        )

    def _request_binding(self, request: Request) -> tuple[str, str, str | None, str]:
        """``(server_name, script_name, subdomain, url_scheme)`` for ``request``'s host, as Flask 3.1 binds.

        Raises the HTTPException a bad or untrusted Host gives. # PERF: the binding (host validation and
        normalisation, subdomain, script root) is computed once per raw Host header, scheme, root path and
        configuration and cached, so a request only builds the key.
        """
        config = self.config
        trusted_hosts = config["TRUSTED_HOSTS"]
        server_name = config["SERVER_NAME"]
        environ = request.environ
        key = (
            environ.get("HTTP_HOST") or (environ.get("SERVER_NAME"), environ.get("SERVER_PORT")),
            request.scheme,
            request.root_path,
            server_name,
            self.subdomain_matching,
            None if trusted_hosts is None else tuple(trusted_hosts),
        )
        if trusted_hosts is not None:
            request.trusted_hosts = trusted_hosts
        binding = self._adapter_bindings.get(key)
        if binding is not None:
            return binding
        host = request.host
        if not host:
            raw_host = request.headers.get("host")
            if raw_host and not raw_host.isprintable():
                # Werkzeug routes a Host it cannot use as if it were absent; control bytes are refused instead.
                from werkzeug.exceptions import BadRequest

                raise BadRequest("The Host header is not valid.")
        binding = self._bind(host, request.scheme, request.root_path, server_name)
        if len(self._adapter_bindings) >= _ADAPTER_CACHE_SIZE:
            self._adapter_bindings.clear()
            self._bindings_by_host.clear()
        self._adapter_bindings[key] = binding
        raw_host = environ.get("HTTP_HOST")
        if raw_host and trusted_hosts is None:
            self._bindings_by_host[raw_host] = (
                request.scheme,
                request.root_path,
                server_name,
                self.subdomain_matching,
                binding,
            )
        return binding

    def _bind(
        self, host: str, scheme: str, root_path: str, server_name: str | None
    ) -> tuple[str, str, str | None, str]:
        """Resolve server name and subdomain the way Flask 3.1 does, once per host."""
        url_map = self.url_map
        subdomain: str | None = None
        if url_map.host_matching:
            # SERVER_NAME would replace the real host, which host matching needs.
            server_name = None
        elif not self.subdomain_matching:
            subdomain = url_map.default_subdomain or ""
        host = host.lower()
        if server_name is None:
            server_name = host
        else:
            server_name = server_name.lower()
            if scheme in {"http", "ws"} and server_name.endswith(":80"):
                server_name = server_name[:-3]
            elif scheme in {"https", "wss"} and server_name.endswith(":443"):
                server_name = server_name[:-4]
        if subdomain is None and not url_map.host_matching:
            current = host.split(".")
            wanted = server_name.split(".")
            if current[-len(wanted) :] != wanted:
                import warnings

                # Attributed to the public app module, so filters written for Flask's warning match.
                warnings.warn_explicit(
                    f"Current server name {host!r} doesn't match configured server name {server_name!r}",
                    UserWarning,
                    __file__,
                    0,
                    module=f"{_brand.package_name}.app",
                )
                subdomain = "<invalid>"
            else:
                subdomain = ".".join(filter(None, current[: -len(wanted)]))
        adapter = url_map.bind(
            server_name, script_name=root_path or "/", subdomain=subdomain, url_scheme=scheme
        )
        return adapter.server_name, adapter.script_name, adapter.subdomain, adapter.url_scheme

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of ``endpoint``; see :func:`erlen.url_for`."""
        contexts = _cv_contexts_get(None)
        req_ctx = None if contexts is None else contexts[1]
        if req_ctx is not None:
            url_adapter = req_ctx.url_adapter
            if endpoint[:1] == ".":
                blueprint_name = req_ctx.request.blueprint
                endpoint = f"{blueprint_name}{endpoint}" if blueprint_name is not None else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = None if contexts is None else contexts[0]
            url_adapter = app_ctx.url_adapter if app_ctx is not None else self.create_url_adapter(None)
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME' configured. Also"
                    " configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        # PERF: without url_defaults functions (and no override) the blueprint chain is not even computed.
        url_defaults = self.url_default_functions
        for funcs in url_defaults.values():
            if funcs:
                self.inject_url_defaults(endpoint, values)
                break
        else:
            if type(self).inject_url_defaults is not App.inject_url_defaults:
                self.inject_url_defaults(endpoint, values)
        # PERF: an internal URL is built with the endpoint's remembered rule (erlen.sansio.urlbuild).
        if not _external:
            rv = build_internal_path(url_adapter, endpoint, values, _method)  # type: ignore[arg-type]
            if rv is not None:
                if _anchor is not None:
                    from urllib.parse import quote

                    rv = f"{rv}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
                return rv
        try:
            rv = url_adapter.build(  # type: ignore[union-attr]
                endpoint, values, method=_method, url_scheme=_scheme, force_external=_external
            )
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            from urllib.parse import quote

            rv = f"{rv}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv

    # -- sync / async ---------------------------------------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``func`` itself if it is synchronous, else a synchronous wrapper that runs it to completion."""
        if iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Wrap a coroutine function to run on the worker's long-lived event loop."""
        from .aio import run_sync

        return run_sync(func)

    # -- the request cycle ----------------------------------------------------------------------------------

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        note_request_path_settings(self)

    def __setattr__(self, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        if name in REQUEST_PATH_SETTINGS:
            note_request_path_settings(self)

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in REQUEST_PATH_SETTINGS:
            note_request_path_settings(self)

    def __call__(self, environ: t.Any, start_response: t.Any, send: t.Any = None) -> t.Any:
        """The WSGI entry point (two arguments), or the ASGI 3 one (three: returns the coroutine).

        WSGI calls :meth:`wsgi_app` so middleware can wrap that; ASGI calls :meth:`asgi_app` (see
        :mod:`erlen.asgi` for how servers detect ASGI on this object).
        """
        if send is None:
            if not self._serving_started:
                self._start_serving_wsgi()
            # PERF: one call less per request when nothing wraps or replaces wsgi_app.
            if self._serve_inline:
                return run_inline(self, environ, start_response)
            return self.wsgi_app(environ, start_response)
        return self.asgi_app(environ, start_response, send)

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._inline_wsgi = all(getattr(cls, name) is getattr(Erlen, name) for name in LIFECYCLE_METHODS)

    #: True while the class keeps Erlen's lifecycle methods, so :mod:`erlen.wsgi` may run them inline.
    _inline_wsgi: t.ClassVar[bool] = True

    def _sync_caller(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``ensure_sync(func)``, remembered per function.

        # PERF: classifying a function as sync or async costs five Python calls; views and hooks are few.
        """
        try:
            return self._sync_callers[func]
        except KeyError:
            caller = self._sync_callers[func] = self.ensure_sync(func)
            return caller
        except TypeError:
            return self.ensure_sync(func)

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> cabc.Iterable[bytes]:
        """Handle one WSGI request: push the context, dispatch, write the response, tear down."""
        if self._inline_wsgi:
            return run_inline(self, environ, start_response)
        ctx = self.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                if "HTTP_TRANSFER_ENCODING" in environ:
                    refuse_ambiguous_framing(ctx.request)
                response = self.full_dispatch_request()
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            preserve = environ.get("werkzeug.debug.preserve_context")
            if preserve is not None:
                preserve(_cv_app_get())
                preserve(_cv_request_get())
            if error is not None and self.should_ignore_error(error):
                error = None
            ctx.pop(error)

    def full_dispatch_request(self) -> Response:
        """Run the before hooks and the view, handle what they raise, and finalize the response."""
        if not self._got_first_request:  # PERF: __setattr__ is a Python call
            self._got_first_request = True
        try:
            if signals.request_started.receivers:
                signals.request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def _current_plan(self, ctx: RequestContext) -> DispatchPlan:
        request = ctx.request
        return self._dispatch_plan(request.url_rule, request.blueprint)

    def preprocess_request(self) -> t.Any:
        """Run url_value_preprocessors then before_request hooks; a non-None hook result ends dispatch."""
        # PERF: the request-context check is written out here, in dispatch_request and in the two handle_*
        # methods, which every 404 passes through; the other methods call _require_request_ctx.
        ctx = _cv_contexts_get(_NO_CONTEXTS)[1]
        if ctx is None:
            raise RuntimeError(_no_req_msg)
        plan = self._current_plan(ctx)
        request = ctx.request
        if plan.url_value_preprocessors:
            for url_func in plan.url_value_preprocessors:
                url_func(request.endpoint, request.view_args)
        for before_func in plan.before_request:
            rv = self._sync_caller(before_func)()
            if rv is not None:
                return rv
        return None

    def dispatch_request(self) -> t.Any:
        """Call the matched view (or answer OPTIONS / raise the routing error); returns its raw return value."""
        ctx = _cv_contexts_get(_NO_CONTEXTS)[1]
        if ctx is None:
            raise RuntimeError(_no_req_msg)
        request = ctx.request
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule: Rule = request.url_rule  # type: ignore[assignment]
        if getattr(rule, "provide_automatic_options", False) and request.method == "OPTIONS":
            return self.make_default_options_response()
        view_args: dict[str, t.Any] = request.view_args  # type: ignore[assignment]
        return self._sync_caller(self.view_functions[rule.endpoint])(**view_args)

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing error; in debug mode a redirect that would drop form data is an error instead."""
        exc = request.routing_exception
        if (
            not self.debug
            or not isinstance(exc, RequestRedirect)
            or exc.code in {307, 308}
            or request.method in {"GET", "HEAD", "OPTIONS"}
        ):
            raise exc  # type: ignore[misc]
        from .debughelpers import FormDataRoutingRedirect

        raise FormDataRoutingRedirect(request)

    def make_default_options_response(self) -> Response:
        """The automatic OPTIONS answer: an empty response with Allow."""
        adapter = _require_request_ctx().url_adapter
        methods = adapter.allowed_methods()  # type: ignore[union-attr]
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Turn the view's value into a response and run the after-request processing."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if signals.request_finished.receivers:
                signals.request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def process_response(self, response: Response) -> Response:
        """Run after_this_request functions and after_request hooks, then save the session."""
        ctx = _require_request_ctx()
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for func in self._current_plan(ctx).after_request:
            response = self._sync_caller(func)(response)
        self._save_session(ctx, response)
        return response

    def _save_session(self, ctx: RequestContext, response: Response) -> None:
        interface = self.session_interface
        session = ctx._opened_session
        if session is None:
            # PERF: a deferred session that nobody touched is only opened now when the request carries a cookie
            # (a permanent session may need refreshing); without one there is nothing to save.
            if "HTTP_COOKIE" not in ctx.request.environ:
                return
            session = ctx._open_session()
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)

    def make_response(self, rv: t.Any) -> Response:
        """Convert a view's return value (str, bytes, dict, list, tuple, iterator, Response, WSGI app)."""
        status: t.Any = None
        headers: t.Any = None
        if isinstance(rv, tuple):
            if len(rv) == 3:
                rv, status, headers = rv
            elif len(rv) == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple must have the form"
                    " (body, status, headers), (body, status), or (body, headers)."
                )
        if rv is None:
            endpoint = _require_request_ctx().request.endpoint
            raise TypeError(
                f"The view function for {endpoint!r} did not return a valid response. The function either"
                " returned None or ended without a return statement."
            )
        response_class = self.response_class
        if not isinstance(rv, response_class):
            if isinstance(rv, (str, bytes, bytearray, cabc.Iterator)):
                rv = response_class(rv, status=status, headers=headers)  # type: ignore[arg-type]
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, BaseResponse) or callable(rv):
                try:
                    rv = response_class.force_type(rv, _require_request_ctx().request.environ)
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid response. The return type must be a"
                        " string, dict, list, tuple with headers or status, Response instance, or WSGI"
                        f" callable, but it was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            elif isinstance(rv, cabc.AsyncIterator):
                from .streaming import AsyncBody

                rv = response_class(AsyncBody(rv), status=status, headers=headers)
                status = headers = None
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type must be a string,"
                    " dict, list, tuple with headers or status, Response instance, or WSGI callable, but it"
                    f" was a {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    # -- errors -----------------------------------------------------------------------------------------------

    def handle_http_exception(self, e: HTTPException) -> HTTPException | t.Any:
        """The registered handler's result for an HTTP error, or the error itself as the response."""
        if e.code is None or isinstance(e, RoutingException):
            return e
        ctx = _cv_contexts_get(_NO_CONTEXTS)[1]
        if ctx is None:
            raise RuntimeError(_no_req_msg)
        handler = self._find_error_handler(e, ctx.request.blueprints)
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def handle_user_exception(self, e: Exception) -> HTTPException | t.Any:
        """Handle an exception raised while dispatching; re-raise it when no handler is registered."""
        if isinstance(e, BadRequestKeyError) and (self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        ctx = _cv_contexts_get(_NO_CONTEXTS)[1]
        if ctx is None:
            raise RuntimeError(_no_req_msg)
        handler = self._find_error_handler(e, ctx.request.blueprints)
        if handler is None:
            raise
        return self.ensure_sync(handler)(e)

    def handle_exception(self, e: Exception) -> Response:
        """An unhandled exception: propagate in testing/debug, else log it and answer 500."""
        exc_info = sys.exc_info()
        if signals.got_request_exception.receivers:
            signals.got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: t.Any = InternalServerError(original_exception=e)
        ctx = _cv_request_get(None)
        handler = self._find_error_handler(server_error, ctx.request.blueprints if ctx is not None else [])
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, t.Any] | tuple[None, None, None],
    ) -> None:
        """Log an unhandled exception through ``app.logger``."""
        request = _require_request_ctx().request
        self.logger.error(f"Exception on {request.path} [{request.method}]", exc_info=exc_info)

    # -- teardown -----------------------------------------------------------------------------------------------

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run the teardown_request functions; all of them run even when one raises (the first error is re-raised)."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        ctx = _require_request_ctx()
        funcs = self._dispatch_plan(ctx.request.url_rule, ctx.request.blueprint).teardown_request
        failure = _run_all(funcs, exc, self._sync_caller)
        if signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
        if failure is not None:
            raise failure

    def do_teardown_appcontext(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run the teardown_appcontext functions, newest first; all run even when one raises."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        failure = _run_all(tuple(reversed(self.teardown_appcontext_funcs)), exc, self._sync_caller)
        if signals.appcontext_tearing_down.receivers:
            signals.appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
        if failure is not None:
            raise failure

    # -- serving ------------------------------------------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with Werkzeug's development server (use a production server in production)."""
        if _brand.getenv("RUN_FROM_CLI") == "true":
            # The CLI's run command already started the server; app.run() in the module is a no-op then.
            from werkzeug.serving import is_running_from_reloader

            if not is_running_from_reloader():
                import click

                click.secho(
                    " * Ignoring a call to 'app.run()' that would block the current 'erlen' CLI command.\n"
                    "   Only call 'app.run()' in an 'if __name__ == \"__main__\"' guard.",
                    fg="red",
                )
            return
        if load_dotenv:
            from .cli import load_dotenv as _load_dotenv

            _load_dotenv()
            if _brand.getenv("DEBUG") is not None:
                from .sansio.app import get_debug_flag

                self.debug = get_debug_flag()
        if debug is not None:
            self.debug = bool(debug)
        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        if not host:
            host = sn_host or "127.0.0.1"
        if port or port == 0:
            port = int(port)
        elif sn_port:
            port = int(sn_port)
        else:
            port = 5000
        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)
        from .cli import show_server_banner

        show_server_banner(self.debug, self.name)
        from werkzeug.serving import run_simple

        try:
            run_simple(t.cast(str, host), port, self, **options)
        finally:
            self._got_first_request = False


def _run_all(
    funcs: t.Iterable[t.Callable[..., t.Any]], exc: BaseException | None, ensure_sync: t.Callable[..., t.Any]
) -> BaseException | None:
    """Call each ``func(exc)``; return the first exception raised, after all have run."""
    failure: BaseException | None = None
    for func in funcs:
        try:
            ensure_sync(func)(exc)
        except Exception as e:
            if failure is None:
                failure = e
    return failure
