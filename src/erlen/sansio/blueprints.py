"""Blueprints: groups of routes and hooks recorded now and replayed onto an app at registration. No I/O."""

from __future__ import annotations

import os
import typing as t

from .scaffold import Scaffold, _endpoint_from_view_func, setupmethod

if t.TYPE_CHECKING:
    from .app import App

DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
F = t.TypeVar("F", bound=t.Callable[..., t.Any])
T_error_handler = t.TypeVar("T_error_handler", bound=t.Callable[..., t.Any])

_sentinel: t.Any = object()


def _join_prefix(outer: str | None, inner: str | None) -> str | None:
    """Join two URL prefixes with exactly one slash between them; either may be missing."""
    if outer is None:
        return inner
    if inner is None:
        return outer
    return f"{outer.rstrip('/')}/{inner.lstrip('/')}"


def _join_subdomain(outer: str | None, inner: str | None) -> str | None:
    """A nested blueprint's subdomain sits left of its parent's: ``inner.outer``."""
    if outer is None:
        return inner
    if inner is None:
        return outer
    return f"{inner}.{outer}"


class BlueprintSetupState:
    """One registration of a blueprint on an app: the prefix, subdomain and name it was registered with."""

    def __init__(self, blueprint: Blueprint, app: App, options: t.Any, first_registration: bool) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain: str | None = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults: dict[str, t.Any] = {
            **blueprint.url_values_defaults,
            **options.get("url_defaults", {}),
        }

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule on the app under this registration's prefix, subdomain and dotted name."""
        if self.url_prefix is not None:
            rule = _join_prefix(self.url_prefix, rule) if rule else self.url_prefix  # type: ignore[assignment]
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = {**defaults, **options.pop("defaults")}
        full_endpoint = ".".join(part for part in (self.name_prefix, self.name, endpoint) if part)
        self.app.add_url_rule(rule, full_endpoint, view_func, defaults=defaults, **options)


class Blueprint(Scaffold):
    """A set of routes, hooks, handlers, templates and static files that can be registered on apps.

    Everything registered on a blueprint is recorded and replayed when the blueprint is registered, under its
    name (endpoints become ``name.endpoint``), URL prefix and subdomain. A blueprint may be registered several
    times under different names, and may contain other blueprints.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults: dict[str, t.Any] = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint are done before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` at every registration of this blueprint."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` at the first registration only."""

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(once)

    def make_setup_state(
        self, app: App, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state handed to recorded functions at registration."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one; it is registered on the app together with this one."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: App, options: dict[str, t.Any]) -> None:
        """Replay everything recorded on this blueprint onto ``app`` (called by ``app.register_blueprint``)."""
        own_name = options.get("name", self.name)
        name = ".".join(part for part in (options.get("name_prefix", ""), own_name) if part)
        existing = app.blueprints.get(name)
        if existing is not None:
            which = "this" if existing is self else "a different"
            where = f" '{name}'" if own_name != name else ""
            raise ValueError(
                f"The name '{own_name}' is already registered for {which} blueprint{where}."
                " Use 'name=' to provide a unique name."
            )
        first_registration = all(bp is not self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>", view_func=self.send_static_file, endpoint="static"
            )
        self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, options, name)

        for child, child_options in self._blueprints:
            nested = dict(child_options)
            nested["subdomain"] = _join_subdomain(
                state.subdomain, child.subdomain if nested.get("subdomain") is None else nested["subdomain"]
            )
            nested["url_prefix"] = _join_prefix(
                state.url_prefix,
                child.url_prefix if nested.get("url_prefix") is None else nested["url_prefix"],
            )
            nested["name_prefix"] = name
            child.register(app, nested)

    def _merge_into(self, app: App, name: str) -> None:
        """Copy this blueprint's hooks and handlers into the app's registries under the registered name."""

        def scoped(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            target = app.error_handler_spec.setdefault(scoped(key), {})
            for code, handlers in by_code.items():
                target.setdefault(code, {}).update(handlers)
        for attribute in (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "url_default_functions",
            "url_value_preprocessors",
            "template_context_processors",
        ):
            source = getattr(self, attribute)
            target = getattr(app, attribute)
            for key, funcs in source.items():
                if funcs:
                    target[scoped(key)].extend(funcs)

    def _register_cli(self, app: App, options: dict[str, t.Any], name: str) -> None:
        group = self.__dict__.get("_cli")
        if group is None or not group.commands:
            return
        cli_group = options.get("cli_group", self.cli_group)
        if cli_group is None:
            app.cli.commands.update(group.commands)
            return
        group.name = name if cli_group is _sentinel else cli_group
        app.cli.add_command(group)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a URL rule, registered on the app under the blueprint's prefix and name."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")

        def register_rule(state: BlueprintSetupState) -> None:
            state.add_url_rule(
                rule, endpoint, view_func, provide_automatic_options=provide_automatic_options, **options
            )

        self.record(register_rule)

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the app's view for ``endpoint`` (not prefixed by the blueprint)."""

        def decorator(f: F) -> F:
            self._on_app(lambda app: app.view_functions.__setitem__(endpoint, f))
            return f

        return decorator

    # -- app-wide registrations made from a blueprint -------------------------------------------------------

    def _on_app(self, register: t.Callable[[App], None]) -> None:
        self.record_once(lambda state: register(state.app))

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a Jinja filter on the app."""

        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja filter on the app."""
        self._on_app(lambda app: app.jinja_env.filters.__setitem__(name or f.__name__, f))

    @setupmethod
    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a Jinja test on the app."""

        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as a Jinja test on the app."""
        self._on_app(lambda app: app.jinja_env.tests.__setitem__(name or f.__name__, f))

    @setupmethod
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a Jinja global on the app."""

        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja global on the app."""
        self._on_app(lambda app: app.jinja_env.globals.__setitem__(name or f.__name__, f))

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """Like ``before_request``, for every request to the app."""
        self._on_app(lambda app: app.before_request_funcs[None].append(f))
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """Like ``after_request``, for every request to the app."""
        self._on_app(lambda app: app.after_request_funcs[None].append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """Like ``teardown_request``, for every request to the app."""
        self._on_app(lambda app: app.teardown_request_funcs[None].append(f))
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """Like ``context_processor``, for every template the app renders."""
        self._on_app(lambda app: app.template_context_processors[None].append(f))
        return f

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[T_error_handler], T_error_handler]:
        """Like ``errorhandler``, for errors anywhere in the app."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self._on_app(lambda app: app.register_error_handler(code, f))
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """Like ``url_value_preprocessor``, for every request to the app."""
        self._on_app(lambda app: app.url_value_preprocessors[None].append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """Like ``url_defaults``, for every URL the app builds."""
        self._on_app(lambda app: app.url_default_functions[None].append(f))
        return f

    # -- websockets (served by the ASGI side of the app: erlen.asgi, erlen.websocket) -------------------------

    @setupmethod
    def websocket(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register a websocket view for ``rule``, under the blueprint's prefix and name like ``route``."""

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            options.setdefault("methods", ("GET",))
            self.add_url_rule(rule, endpoint, f, provide_automatic_options=False, websocket=True, **options)
            self._on_app(_answer_websocket_over_http)
            return f

        return decorator

    @setupmethod
    def before_websocket(self, f: F) -> F:
        """Run ``f`` before each websocket view of this blueprint; a non-None result closes the connection."""
        self.record(
            lambda state: _websocket_hooks(state.app, "before").setdefault(_full_name(state), []).append(f)
        )
        return f

    @setupmethod
    def after_websocket(self, f: F) -> F:
        """Run ``f()`` after each websocket view of this blueprint returns."""
        self.record(
            lambda state: _websocket_hooks(state.app, "after").setdefault(_full_name(state), []).append(f)
        )
        return f

    @setupmethod
    def before_app_websocket(self, f: F) -> F:
        """Like ``before_websocket``, for every websocket view of the app."""
        self._on_app(lambda app: _websocket_hooks(app, "before").setdefault(None, []).append(f))
        return f

    @setupmethod
    def after_app_websocket(self, f: F) -> F:
        """Like ``after_websocket``, for every websocket view of the app."""
        self._on_app(lambda app: _websocket_hooks(app, "after").setdefault(None, []).append(f))
        return f


def _full_name(state: BlueprintSetupState) -> str:
    return ".".join(part for part in (state.name_prefix, state.name) if part)


def _websocket_hooks(app: App, when: str) -> dict[str | None, list[t.Callable[..., t.Any]]]:
    """The app's ``before_websocket_funcs`` / ``after_websocket_funcs`` (the ASGI side of the Erlen app)."""
    hooks: dict[str | None, list[t.Callable[..., t.Any]]] = getattr(app, f"{when}_websocket_funcs")
    return hooks


def _answer_websocket_over_http(app: App) -> None:
    answer = getattr(app, "_answer_websocket_over_http", None)
    if answer is not None:
        answer()
