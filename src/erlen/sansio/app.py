"""The app's registration side: config, URL map, blueprints, error-handler lookup and dispatch plans. No I/O.

How this works: decorators fill the scope-keyed dicts of :class:`Scaffold`. On the first request to an endpoint the
app builds a :class:`DispatchPlan` for the endpoint's scope chain (the app plus its blueprints) holding each hook
list as a tuple, and caches it on the URL rule. Any change to a hook registry bumps ``_plan_generation`` and the
next request rebuilds the plan, so the request path never walks the blueprint chain itself.
"""

from __future__ import annotations

import logging
import os
import sys
import typing as t
import weakref
from datetime import timedelta
from itertools import chain

from werkzeug.exceptions import Aborter, BadRequest, BadRequestKeyError
from werkzeug.routing import BuildError, Rule
from werkzeug.utils import cached_property
from werkzeug.utils import redirect as _wz_redirect

from .. import _brand
from ..config import Config, ConfigAttribute
from ..json.provider import DefaultJSONProvider, JSONProvider
from .routing import RouteMap
from .scaffold import (
    Scaffold,
    _blueprint_chain,
    _endpoint_from_view_func,
    find_package,
    get_root_path,
    setupmethod,
)

if t.TYPE_CHECKING:
    from jinja2 import BaseLoader
    from werkzeug.wrappers import Response as BaseResponse

    from ..templating import Environment
    from .blueprints import Blueprint

T_shell_context_processor = t.TypeVar("T_shell_context_processor", bound=t.Callable[..., t.Any])
T_teardown = t.TypeVar("T_teardown", bound=t.Callable[..., t.Any])
T_template_filter = t.TypeVar("T_template_filter", bound=t.Callable[..., t.Any])
T_template_global = t.TypeVar("T_template_global", bound=t.Callable[..., t.Any])
T_template_test = t.TypeVar("T_template_test", bound=t.Callable[..., bool])


def _make_timedelta(value: timedelta | int) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def get_debug_flag() -> bool:
    """Whether debug mode is switched on by the ``ERLEN_DEBUG`` (or, with compat, ``FLASK_DEBUG``) variable."""
    value = _brand.getenv("DEBUG")
    return bool(value and value.lower() not in {"0", "false", "no"})


class DispatchPlan:
    """Everything about dispatching one endpoint that does not change between requests.

    The hook tuples are in the order they run: before-request and url-value hooks app first, after-request
    and teardown hooks innermost blueprint first and each scope's functions in reverse registration order.
    """

    __slots__ = (
        "after_request",
        "before_request",
        "callers",
        "generation",
        "lean",
        "scopes",
        "teardown_request",
        "url_value_preprocessors",
        "view",
    )

    def __init__(self, app: App, blueprint: str | None, generation: int) -> None:
        scopes: tuple[str | None, ...] = (None, *reversed(_blueprint_chain(blueprint)))
        self.generation = generation
        #: Scope names, app first then outermost blueprint to innermost.
        self.scopes = scopes
        self.url_value_preprocessors = _collect(app.url_value_preprocessors, scopes)
        self.before_request = _collect(app.before_request_funcs, scopes)
        inner_first = scopes[::-1]
        self.after_request = _collect(app.after_request_funcs, inner_first, reverse=True)
        self.teardown_request = _collect(app.teardown_request_funcs, inner_first, reverse=True)
        #: The same hooks as synchronous callers, filled by the WSGI adapter on first use (so an ASGI-only app
        #: never wraps its coroutine hooks).
        self.callers: HookCallers | None = None
        #: No hook of any kind runs around this endpoint's view.
        self.lean = not (
            self.url_value_preprocessors or self.before_request or self.after_request or self.teardown_request
        )
        #: The view function last dispatched to and its sync caller, as one pair so threads never see them mixed
        #: (filled in by the request path).
        self.view: tuple[t.Callable[..., t.Any], t.Callable[..., t.Any]] | None = None


class HookCallers(t.NamedTuple):
    """A plan's request hooks with ``ensure_sync`` applied, in the plan's order."""

    before: tuple[t.Callable[..., t.Any], ...]
    after: tuple[t.Callable[..., t.Any], ...]
    teardown: tuple[t.Callable[..., t.Any], ...]


def _collect(
    registry: dict[str | None, t.Any], scopes: tuple[str | None, ...], reverse: bool = False
) -> tuple[t.Callable[..., t.Any], ...]:
    funcs: list[t.Callable[..., t.Any]] = []
    for scope in scopes:
        registered = dict.get(registry, scope)
        if registered:
            funcs.extend(reversed(registered) if reverse else registered)
    return tuple(funcs)


class App(Scaffold):
    """The registration side of an Erlen application; :class:`erlen.Erlen` adds the request cycle.

    :param import_name: The name of the app's module or package (usually ``__name__``).
    :param static_url_path: URL prefix of the static route; defaults to the static folder's name.
    :param static_folder: Folder of static files relative to ``root_path``; None disables the static route.
    :param static_host: The host of the static route, required with ``host_matching``.
    :param host_matching: Match rules by host as well as path.
    :param subdomain_matching: Match the subdomain relative to SERVER_NAME.
    :param template_folder: Folder of templates relative to ``root_path``.
    :param instance_path: The instance folder; found automatically if omitted.
    :param instance_relative_config: Load config files relative to the instance folder.
    :param root_path: The app's folder; computed from ``import_name`` if omitted.
    """

    aborter_class = Aborter
    config_class = Config
    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute["str | bytes | None"]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME", get_converter=_make_timedelta
    )
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    jinja_options: dict[str, t.Any] = {}
    url_rule_class = Rule
    url_map_class = RouteMap
    test_client_class: type[t.Any] | None = None
    test_cli_runner_class: type[t.Any] | None = None

    #: Erlen's defaults: Flask 3.1's, except MAX_CONTENT_LENGTH (16 MiB rather than unlimited; see docs/compat.md).
    default_config: dict[str, t.Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
    }

    #: What ``template_context_processors[None]`` starts with (the concrete app adds ``g``/``request``/``session``).
    default_template_context_processors: t.ClassVar[tuple[t.Callable[[], dict[str, t.Any]], ...]] = ()

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        self._plan_generation = 0
        #: The plans of requests without a rule (routing errors), by blueprint.
        self._ruleless_plans: dict[str | None, DispatchPlan] = {}
        #: Endpoints whose requests stream their body under ASGI (``stream_body=True``); see erlen.body_stream.
        self._stream_endpoints: set[str] = set()
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if self.default_template_context_processors:
            self.template_context_processors[None] = list(self.default_template_context_processors)
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute. A relative path was given instead."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[t.Callable[[Exception, str, dict[str, t.Any]], str]] = []
        self.teardown_appcontext_funcs: list[t.Callable[[BaseException | None], None]] = []
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        #: (host, scheme, root, ...) -> resolved URL-adapter binding; see ``create_url_adapter``.
        self._adapter_bindings: dict[tuple[t.Any, ...], tuple[str, str, str | None, str]] = {}
        #: The same bindings by raw Host header, for apps without TRUSTED_HOSTS: ``host -> (scheme, root_path,
        #: SERVER_NAME, subdomain_matching, binding)``; the entry holds while the other four are unchanged.
        self._bindings_by_host: dict[
            str, tuple[str, str, str | None, bool, tuple[str, str, str | None, str]]
        ] = {}
        #: function -> its synchronous caller; see ``_sync_caller``.
        self._sync_callers: dict[t.Callable[..., t.Any], t.Callable[..., t.Any]] = {}
        if self.has_static_folder:
            assert bool(static_host) == host_matching, "Invalid static_host/host_matching combination"
            # A weak reference, so the view stored in the app does not keep the app alive.
            app_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: app_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    def _hooks_changed(self) -> None:
        self._plan_generation += 1

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called"
                " on the application. It has already handled its first"
                " request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc."
                " needed to set up the application are done before"
                " running it."
            )

    @cached_property
    def name(self) -> str:
        """The app's name: the import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's logger, named after the app, set up on first use."""
        from ..logging import create_logger

        return create_logger(self)

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment, created on first use."""
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        raise NotImplementedError

    def make_config(self, instance_relative: bool = False) -> Config:
        """The app's config object, seeded with ``default_config`` and the debug flag from the environment."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        """The object ``abort`` uses to raise HTTP errors."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """``instance`` beside the package, or ``$PREFIX/var/<name>-instance`` for an installed package."""
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def create_global_jinja_loader(self) -> BaseLoader:
        """The loader that looks in the app's and every blueprint's template folder."""
        from ..templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape string templates and HTML, XML and SVG files."""
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    @property
    def debug(self) -> bool:
        """Debug mode: the DEBUG config key."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None:
            self.jinja_env.auto_reload = value

    # -- registration -----------------------------------------------------------------------------------------

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register a blueprint's routes, hooks and handlers on the app."""
        blueprint.register(self, options)
        self._hooks_changed()

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule and its view; the view's ``methods`` and ``required_methods`` are honoured.

        ``stream_body=True`` (Erlen only) makes the endpoint stream its request body under ASGI instead of
        receiving it before the view runs (see :mod:`erlen.body_stream`); so does a view marked with
        :func:`erlen.stream_request_body`.
        """
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        if options.pop("stream_body", False) or getattr(view_func, "erlen_stream_body", False):
            self._stream_endpoints.add(endpoint)
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                'Allowed methods must be a list of strings, for example: @app.route(..., methods=["POST"])'
            )
        method_set = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in method_set and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        method_set |= required_methods

        rule_obj = self.url_rule_class(rule, methods=method_set, **options)
        rule_obj.provide_automatic_options = provide_automatic_options  # type: ignore[attr-defined]
        self.url_map.add(rule_obj)
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing != view_func:
                raise AssertionError(
                    f"View function mapping is overwriting an existing endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func
        self._hooks_changed()

    @setupmethod
    def template_filter(self, name: str | None = None) -> t.Callable[[T_template_filter], T_template_filter]:
        """Register the decorated function as a Jinja filter."""

        def decorator(f: T_template_filter) -> T_template_filter:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja filter."""
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(self, name: str | None = None) -> t.Callable[[T_template_test], T_template_test]:
        """Register the decorated function as a Jinja test."""

        def decorator(f: T_template_test) -> T_template_test:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as a Jinja test."""
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(self, name: str | None = None) -> t.Callable[[T_template_global], T_template_global]:
        """Register the decorated function as a Jinja global."""

        def decorator(f: T_template_global) -> T_template_global:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja global."""
        self.jinja_env.globals[name or f.__name__] = f

    @setupmethod
    def teardown_appcontext(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when the app context is popped."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: T_shell_context_processor) -> T_shell_context_processor:
        """Add the dict ``f()`` returns to the ``shell`` command's namespace."""
        self.shell_context_processors.append(f)
        return f

    # -- lookups ----------------------------------------------------------------------------------------------

    def _dispatch_plan(self, rule: Rule | None, blueprint: str | None) -> DispatchPlan:
        """The cached plan for ``rule`` (built now if missing or stale)."""
        generation = self._plan_generation
        if rule is not None:
            plan: DispatchPlan | None = getattr(rule, "_erlen_plan", None)
            if plan is not None and plan.generation == generation:
                return plan
            plan = DispatchPlan(self, blueprint, generation)
            rule._erlen_plan = plan  # type: ignore[attr-defined]
            return plan
        # PERF: a routing error (404, 405) asks for its plan several times per request.
        plans = self._ruleless_plans
        plan = plans.get(blueprint)
        if plan is None or plan.generation != generation:
            if len(plans) >= 64:
                plans.clear()
            plan = plans[blueprint] = DispatchPlan(self, blueprint, generation)
        return plan

    def _find_error_handler(
        self, e: BaseException, blueprints: list[str]
    ) -> t.Callable[[BaseException], t.Any] | None:
        """The handler for ``e``: by code before class, blueprint before app, most specific class first."""
        exc_class, code = self._get_exc_class_and_code(type(e))  # type: ignore[arg-type]
        names = (*blueprints, None)
        spec = self.error_handler_spec
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether ``e`` should propagate like an unhandled error instead of becoming its response."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown should see ``error`` as None; False by default."""
        return False

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect response of the app's response class."""
        return _wz_redirect(location, code=code, Response=self.response_class)  # type: ignore[attr-defined]

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let the app's and the endpoint's blueprints' url_defaults functions fill in ``values``."""
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            names = chain(names, reversed(_blueprint_chain(endpoint.rpartition(".")[0])))
        for name in names:
            funcs = dict.get(self.url_default_functions, name)
            if funcs:
                for func in funcs:
                    func(endpoint, values)

    def handle_url_build_error(self, error: BuildError, endpoint: str, values: dict[str, t.Any]) -> str:
        """Give ``url_build_error_handlers`` a chance to build the URL; re-raise when none does."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error


_ = get_root_path
