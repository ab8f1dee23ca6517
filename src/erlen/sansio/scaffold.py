"""What apps and blueprints share: routes, hooks and error handlers, registered by decorators.

No I/O happens here. Registration stores functions in dicts keyed by scope (``None`` for the app, a blueprint's
dotted name for a blueprint); the app turns them into per-endpoint tuples when it first dispatches.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import typing as t
import weakref
from functools import update_wrapper

from jinja2 import BaseLoader, FileSystemLoader
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.utils import cached_property

from .hooks import HookList, HookMap

if t.TYPE_CHECKING:
    import click

    from ..wrappers import Response

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
T_route = t.TypeVar("T_route", bound=t.Callable[..., t.Any])
T_before_request = t.TypeVar("T_before_request", bound=t.Callable[..., t.Any])
T_after_request = t.TypeVar("T_after_request", bound=t.Callable[..., t.Any])
T_teardown = t.TypeVar("T_teardown", bound=t.Callable[..., t.Any])
T_template_context_processor = t.TypeVar("T_template_context_processor", bound=t.Callable[..., t.Any])
T_url_defaults = t.TypeVar("T_url_defaults", bound=t.Callable[..., t.Any])
T_url_value_preprocessor = t.TypeVar("T_url_value_preprocessor", bound=t.Callable[..., t.Any])
T_error_handler = t.TypeVar("T_error_handler", bound=t.Callable[..., t.Any])

_sentinel = object()


def setupmethod(f: F) -> F:
    """Mark a registration method: calling it after the object is in use is an error."""
    name = f.__name__

    def wrapper(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    return t.cast(F, update_wrapper(wrapper, f))


class Scaffold:
    """The registration surface shared by :class:`~erlen.Erlen` and :class:`~erlen.Blueprint`.

    :param import_name: The module name the object belongs to; its folder is the root path.
    :param static_folder: Folder of static files, relative to ``root_path``.
    :param static_url_path: URL prefix of static files; defaults to the static folder's name.
    :param template_folder: Folder of templates, relative to ``root_path``.
    :param root_path: The folder resources are found relative to; computed from ``import_name`` if omitted.
    """

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path

        changed = _weak_callback(self, "_hooks_changed")
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        self.error_handler_spec: dict[
            str | None, dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]]
        ] = {}
        self.before_request_funcs: HookMap[str | None, t.Callable[..., t.Any]] = HookMap(changed)
        self.after_request_funcs: HookMap[str | None, t.Callable[..., t.Any]] = HookMap(changed)
        self.teardown_request_funcs: HookMap[str | None, t.Callable[..., t.Any]] = HookMap(changed)
        self.template_context_processors: HookMap[str | None, t.Callable[..., t.Any]] = HookMap(changed)
        self.url_value_preprocessors: HookMap[str | None, t.Callable[..., t.Any]] = HookMap(changed)
        self.url_default_functions: HookMap[str | None, t.Callable[..., t.Any]] = HookMap(changed)

    def _hooks_changed(self) -> None:
        """Called whenever a hook registry changes; the app drops its cached plans."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- CLI, static files, templates -------------------------------------------------------------------------

    @property
    def cli(self) -> click.Group:
        """The click group for this object's commands (created on first use; importing click is lazy)."""
        group = self.__dict__.get("_cli")
        if group is None:
            from ..cli import AppGroup

            group = self.__dict__["_cli"] = AppGroup()
        return group

    @cli.setter
    def cli(self, value: click.Group) -> None:
        self.__dict__["_cli"] = value

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or None."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix of the static route."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The max age for a static file: SEND_FILE_MAX_AGE_DEFAULT, as seconds (None means no cache)."""
        from ..globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if hasattr(value, "total_seconds"):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Response:
        """The view of the static route: a file from the static folder, conditional and cached."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from ..helpers import send_from_directory

        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(t.cast(str, self.static_folder), filename, max_age=max_age)

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A loader for this object's template folder, or None when it has none."""
        if self.template_folder is not None:
            return FileSystemLoader(os.path.join(self.root_path, self.template_folder))
        return None

    def open_resource(self, resource: str, mode: str = "rb", encoding: str | None = None) -> t.IO[t.Any]:
        """Open a file relative to ``root_path`` for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- routes -----------------------------------------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Register the decorated function as the view for ``rule`` (Werkzeug rule syntax)."""

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule; implemented by the app and the blueprint."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view of an endpoint added without one."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            self._hooks_changed()
            return f

        return decorator

    # -- hooks ------------------------------------------------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each request; a non-None return value becomes the response."""
        self.before_request_funcs[None].append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each successful request; it returns the response to send."""
        self.after_request_funcs[None].append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when the request context is popped, whatever happened."""
        self.teardown_request_funcs[None].append(f)
        return f

    @setupmethod
    def context_processor(self, f: T_template_context_processor) -> T_template_context_processor:
        """Add the dict ``f()`` returns to every template context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: T_url_value_preprocessor) -> T_url_value_preprocessor:
        """Run ``f(endpoint, values)`` on the matched view arguments before the before-request hooks."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Run ``f(endpoint, values)`` when building URLs, to fill in values in place."""
        self.url_default_functions[None].append(f)
        return f

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Register the decorated function to handle an HTTP status code or an exception class."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: t.Callable[..., t.Any]
    ) -> None:
        """Register ``f`` to handle an HTTP status code or an exception class."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec.setdefault(None, {}).setdefault(code, {})[exc_class] = f
        self._hooks_changed()

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        """Resolve a handler key to ``(exception class, HTTP code or None)``, refusing what cannot be handled."""
        exc_class: type[Exception]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass of HTTPException"
                    " with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be registered for Exception"
                " classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{getattr(exc_class, '__name__', exc_class)}' is not a subclass of Exception. Handlers can only"
                " be registered for Exception classes or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _weak_callback(owner: object, method: str) -> t.Callable[[], None]:
    """A callback to ``owner.method()`` that does not keep ``owner`` alive (no reference cycle)."""
    owner_ref = weakref.ref(owner)

    def callback() -> None:
        target = owner_ref()
        if target is not None:
            getattr(target, method)()

    return callback


def _blueprint_chain(name: str | None) -> list[str]:
    """A blueprint and its parents, innermost first: ``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``."""
    if not name:
        return []
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    """The default endpoint name: the view function's name."""
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__


def _path_is_relative_to(path: pathlib.PurePath, base: str) -> bool:
    try:
        path.relative_to(base)
        return True
    except ValueError:
        return False


def _find_package_path(import_name: str) -> str:
    """The folder that holds the top-level package or module of ``import_name``."""
    root_mod_name, _, _ = import_name.partition(".")
    try:
        root_spec = importlib.util.find_spec(root_mod_name)
        if root_spec is None:
            raise ValueError("not found")
    except (ImportError, ValueError):
        return os.getcwd()
    if root_spec.submodule_search_locations:
        if root_spec.origin is None or root_spec.origin == "namespace":
            # A namespace package: find the search location that holds the named submodule.
            package_spec = importlib.util.find_spec(import_name)
            if package_spec is not None and package_spec.submodule_search_locations:
                package_path = pathlib.Path(os.path.commonpath(package_spec.submodule_search_locations))
                search_location = next(
                    location
                    for location in root_spec.submodule_search_locations
                    if _path_is_relative_to(package_path, location)
                )
            else:
                search_location = root_spec.submodule_search_locations[0]
            return os.path.dirname(search_location)
        return os.path.dirname(os.path.dirname(root_spec.origin))
    return os.path.dirname(t.cast(str, root_spec.origin))


def find_package(import_name: str) -> tuple[str | None, str]:
    """``(installation prefix or None, package path)`` for the package of ``import_name``.

    The prefix is set when the package is installed in a site-packages folder under ``sys.prefix`` (or another
    prefix), which is where the instance folder goes for installed apps.
    """
    package_path = _find_package_path(import_name)
    py_prefix = os.path.abspath(sys.prefix)
    if _path_is_relative_to(pathlib.PurePath(package_path), py_prefix):
        return py_prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":
            return parent, package_path
        if os.path.basename(parent).lower() == "lib":
            return os.path.dirname(parent), package_path
        return site_parent, package_path
    return None, package_path


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name``, or the working directory when it has none."""
    module = sys.modules.get(import_name)
    if module is not None and hasattr(module, "__file__") and module.__file__ is not None:
        return os.path.dirname(os.path.abspath(module.__file__))
    try:
        spec = importlib.util.find_spec(import_name)
        if spec is None:
            raise ValueError
    except (ImportError, ValueError):
        loader = None
    else:
        loader = spec.loader
    if loader is None:
        return os.getcwd()
    if hasattr(loader, "get_filename"):
        filepath: str | None = loader.get_filename(import_name)
    else:
        __import__(import_name)
        module = sys.modules[import_name]
        filepath = getattr(module, "__file__", None)
        if filepath is None:
            raise RuntimeError(
                "No root path can be found for the provided module"
                f" {import_name!r}. This can happen because the module"
                " came from an import hook that does not provide file"
                " name information or because it's a namespace package."
                " In this case the root path needs to be explicitly"
                " provided."
            )
    return os.path.dirname(os.path.abspath(t.cast(str, filepath)))


__all__ = ["HookList", "Scaffold", "find_package", "get_root_path", "setupmethod"]
