"""The ``erlen`` command: find the app, then run it, open a shell in it, or list its routes.

How this works: :class:`ErlenGroup` is a click group whose own options (``--app``, ``--env-file``,
``--debug``) are eager, so their values land in the :class:`ScriptInfo` before any subcommand is looked
up. Built-in and plugin commands are found without importing the app; any other name makes the
``ScriptInfo`` import the app (once) and ask ``app.cli`` for it. App commands run inside the app context,
pushed as a resource of the click context so it is popped when the command ends.

Environment variable and dotenv names come from :mod:`erlen._brand`: ``ERLEN_APP``, ``.erlenenv`` and so
on, plus Flask's names (``FLASK_APP``, ``.flaskenv``) once the compat layer has switched them on.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys
import traceback
import typing as t
from functools import update_wrapper
from operator import itemgetter

import click
import werkzeug.serving
from click.core import ParameterSource
from werkzeug.serving import is_running_from_reloader, run_simple
from werkzeug.utils import import_string

from . import _brand
from .app import Erlen
from .cli_discovery import (
    NoAppException as NoAppException,
)
from .cli_discovery import (
    _describe_error,
    _split_import_path,
)
from .cli_discovery import (
    find_app_by_string as find_app_by_string,
)
from .cli_discovery import (
    find_best_app as find_best_app,
)
from .cli_discovery import (
    locate_app as locate_app,
)
from .cli_discovery import (
    prepare_import as prepare_import,
)
from .globals import _cv_app_get
from .helpers import get_debug_flag, get_load_dotenv

if t.TYPE_CHECKING:
    import ssl

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

FLASK_API_VERSION = _brand.FLASK_API_VERSION


def _brand_title() -> str:
    return "Flask" if _brand.flask_names_enabled() else "Erlen"


def _app_env_names() -> str:
    return " or ".join(repr(name) for name in _brand.env_names("APP"))


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def get_version(ctx: click.Context, param: click.Parameter | None, value: t.Any) -> None:
    """The ``--version`` callback: print the versions that matter for a bug report, then exit."""
    if not value or ctx.resilient_parsing:
        return
    lines = [f"Python {platform.python_version()}", f"Erlen {_distribution_version('erlen')}"]
    if _brand.flask_names_enabled():
        lines.append(f"Flask {FLASK_API_VERSION} (API, served by Erlen)")
    lines.append(f"Werkzeug {_distribution_version('werkzeug')}")
    click.echo("\n".join(lines), color=ctx.color)
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the Erlen version.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


# --- loading the app for a command -------------------------------------------------------------------


class ScriptInfo:
    """What the command line knows about the app to load, and the app once loaded.

    Passed as the click context's ``obj``; :meth:`load_app` imports the app on first use only.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Erlen] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        #: Where to import the app from (``--app``): ``module``, ``path/to/file.py``, ``module:name``.
        self.app_import_path = app_import_path
        #: A factory that returns the app; wins over ``app_import_path``.
        self.create_app = create_app
        #: Free storage for whatever a command wants to remember.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        #: Whether the default dotenv files are loaded (off when ``*_SKIP_DOTENV`` is set).
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Erlen | None = None

    def load_app(self) -> Erlen:
        """Load the app (once) from the factory, the import path, or ``wsgi.py``/``app.py``."""
        if self._loaded_app is not None:
            return self._loaded_app

        app: Erlen | None = None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            path, name = _split_import_path(self.app_import_path)
            app = locate_app(prepare_import(path), name)
        else:
            for default_file in ("wsgi.py", "app.py"):
                app = locate_app(prepare_import(default_file), None, raise_if_not_found=False)
                if app is not None:
                    break

        if app is None:
            raise NoAppException(
                "Could not locate an application. Use the"
                f" '{_brand.command_name} --app' option, the {_app_env_names()} environment variable,"
                " or a 'wsgi.py' or 'app.py' file in the current directory."
            )

        if self.set_debug_flag:
            # Set here rather than in the factory so the command line's --debug wins over app code.
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app

    def _describe_source(self) -> str:
        if self.create_app is not None:
            return f"{getattr(self.create_app, '__qualname__', 'create_app')}()"
        if self.app_import_path:
            return repr(self.app_import_path)
        return "'wsgi.py' or 'app.py'"


def _load_app_for_command(info: ScriptInfo) -> Erlen:
    """Load the app; any failure becomes a one-line usage error (a full traceback in debug mode)."""
    try:
        return info.load_app()
    except NoAppException:
        raise
    except Exception as error:
        if get_debug_flag():
            raise
        raise NoAppException(
            f"Failed to load the app from {info._describe_source()}: {_describe_error(error)}"
        ) from error


def _current_app_or_none() -> Erlen | None:
    ctx = _cv_app_get(None)
    return None if ctx is None else ctx.app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run a click command inside the app's context, loading the app if no context is active."""

    @click.pass_context
    def run_in_app_context(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if _current_app_or_none() is None:
            app = _load_app_for_command(ctx.ensure_object(ScriptInfo))
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return t.cast(F, update_wrapper(run_in_app_context, f))


class AppGroup(click.Group):
    """A click group whose commands run in the app context (pass ``with_appcontext=False`` to opt out).

    Subgroups made with :meth:`group` are ``AppGroup`` too.
    """

    @t.overload
    def command(self, __func: t.Callable[..., t.Any]) -> click.Command: ...

    @t.overload
    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]: ...

    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command] | click.Command:
        """Like :meth:`click.Group.command`, wrapping the callback in :func:`with_appcontext`."""
        wrap = kwargs.pop("with_appcontext", True)
        bare = len(args) == 1 and not kwargs and callable(args[0])

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            command: click.Command = super(AppGroup, self).command(*(() if bare else args), **kwargs)(f)
            return command

        return decorator(args[0]) if bare else decorator

    @t.overload
    def group(self, __func: t.Callable[..., t.Any]) -> click.Group: ...

    @t.overload
    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Callable[[t.Callable[..., t.Any]], click.Group]: ...

    def group(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group] | click.Group:
        """Like :meth:`click.Group.group`, defaulting ``cls`` to :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        if len(args) == 1 and callable(args[0]):
            group: click.Group = super().group(**kwargs)(args[0])
            return group
        decorator: t.Callable[[t.Callable[..., t.Any]], click.Group] = super().group(*args, **kwargs)
        return decorator


# --- the top-level group -----------------------------------------------------------------------------


class _BrandOption(click.Option):
    """An option that also reads every brand's variable: ``ERLEN_APP``, and ``FLASK_APP`` under compat."""

    def __init__(self, *args: t.Any, brand_suffix: str, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.brand_suffix = brand_suffix

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        for name in _brand.env_names(self.brand_suffix):
            value = os.environ.get(name)
            if value:
                return value
        return None


def _set_app_import_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool | None:
    source = ctx.get_parameter_source(param.name) if param.name else None
    if source is None or source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    # Through the environment, because the app may be created (or re-created by the reloader) later.
    _brand.setenv("DEBUG", "1" if value else "0")
    return value


def _load_env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None and not get_load_dotenv():
        return None
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file.", ctx=ctx, param=param
            ) from None
    load_defaults = ctx.ensure_object(ScriptInfo).load_dotenv_defaults
    if value is not None or load_defaults:
        load_dotenv(value, load_defaults=load_defaults)
    return value


# Eager, so they are handled before any command is looked up or the app loaded.
_env_file_option = _BrandOption(
    ["-e", "--env-file"],
    brand_suffix="ENV_FILE",
    type=click.Path(exists=True, dir_okay=False),
    help="Load environment variables from this file, taking precedence over those set by .env and"
    " .erlenenv. Variables set directly in the environment take highest precedence."
    " python-dotenv must be installed.",
    is_eager=True,
    expose_value=False,
    callback=_load_env_file,
)
_app_option = _BrandOption(
    ["-A", "--app"],
    brand_suffix="APP",
    metavar="IMPORT",
    help="The application to load, in the form 'module:name'. Module can be a dotted import or a"
    " file path. Name is optional: without it 'app', 'application' or a factory 'create_app' or"
    " 'make_app' is looked for. A factory can be called with literal arguments: 'module:create_app(\"dev\")'.",
    is_eager=True,
    expose_value=False,
    callback=_set_app_import_path,
)
_debug_option = _BrandOption(
    ["--debug/--no-debug"],
    brand_suffix="DEBUG",
    help="Set debug mode.",
    expose_value=False,
    callback=_set_debug,
)


class ErlenGroup(AppGroup):
    """The ``erlen`` command's group: loads the app's commands, plus ``run``, ``shell`` and ``routes``.

    :param add_default_commands: add ``run``, ``shell`` and ``routes``.
    :param create_app: a factory that returns the app, instead of ``--app``.
    :param add_version_option: add ``--version``.
    :param load_dotenv: load the default dotenv files (``.erlenenv``, ``.env``).
    :param set_debug_flag: set ``app.debug`` from ``--debug``/``ERLEN_DEBUG``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Erlen] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        # The env prefix is chosen when the command runs, so compat switched on after import counts.
        self._choose_envvar_prefix = "context_settings" not in extra
        super().__init__(params=params, **extra)

        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        self._plugins_loaded = False

        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)

    def _load_plugin_commands(self) -> None:
        """Add commands that installed packages declare under the ``erlen.commands`` entry point group."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        groups = ["erlen.commands"]
        if _brand.flask_names_enabled():
            groups.append("flask.commands")
        for group in groups:
            for entry_point in importlib.metadata.entry_points(group=group):
                try:
                    command = entry_point.load()
                except Exception as error:
                    # One broken extension should not take the whole command line down with it.
                    click.secho(
                        f"Warning: could not load command {entry_point.name!r}: {_describe_error(error)}",
                        err=True,
                        fg="yellow",
                    )
                    continue
                self.add_command(command, entry_point.name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugin_commands()
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command

        # Not built in, so it can only come from the app: if the app cannot load, that is the error
        # to show (as a usage error, one line), rather than "no such command".
        try:
            app = _load_app_for_command(ctx.ensure_object(ScriptInfo))
        except NoAppException as error:
            if ctx.resilient_parsing:  # shell completion: stay quiet
                return None
            error.ctx = error.ctx or ctx  # so click prints the usage line with it
            raise

        # Push the context here, not in the command: parameter callbacks run before the command does
        # and should see current_app too.
        if _current_app_or_none() is not app:
            ctx.with_resource(app.app_context())
        app_cli: click.Group = app.cli
        return app_cli.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        try:
            names.update(_load_app_for_command(ctx.ensure_object(ScriptInfo)).cli.list_commands(ctx))
        except Exception as error:
            # Help still works without an app: say why its commands are missing (not while completing).
            if not ctx.resilient_parsing:
                message = error.format_message() if isinstance(error, NoAppException) else None
                text = f"Error: {message}" if message is not None else traceback.format_exc()
                click.secho(f"{text}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: t.Any
    ) -> click.Context:
        # Tells app.run() it was called from a module the command line imported, so it does nothing.
        _brand.setenv("RUN_FROM_CLI", "true")
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        if self._choose_envvar_prefix and "auto_envvar_prefix" not in extra:
            extra["auto_envvar_prefix"] = _brand.default_env_prefix()
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or any(name in args for name in ctx.help_option_names):
            # Help is shown before options from the environment are handled; handle these two first so
            # help can list the app's commands.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


# --- dotenv and the banner ---------------------------------------------------------------------------


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from dotenv files, never overriding ones already set.

    The default files (``.erlenenv`` then ``.env``; ``.flaskenv`` first under compat) are searched
    upwards from the working directory; later files win over earlier ones and ``path`` wins over all.
    Returns whether any variable was read. Without python-dotenv, prints a tip if files exist.
    """
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in _brand.dotenv_files):
            click.secho(
                ' * Tip: There are .env files present. Do "pip install python-dotenv" to use them.',
                fg="yellow",
                err=True,
            )
        return False

    values: dict[str, str | None] = {}
    if load_defaults:
        for name in _brand.dotenv_files:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))

    for key, value in values.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return bool(values)


def show_server_banner(debug: bool | None, app_import_path: str | None) -> None:
    """Print which app is served and the debug mode, except in the reloader's child process."""
    if is_running_from_reloader():
        return
    if app_import_path is not None:
        click.echo(f" * Serving {_brand_title()} app '{app_import_path}'")
    if debug is not None:
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


# --- run ---------------------------------------------------------------------------------------------


if t.TYPE_CHECKING:
    _AnyParamType = click.ParamType[t.Any, t.Any]
else:  # click < 8.3 has no type parameters on ParamType
    _AnyParamType = click.ParamType


class CertParamType(_AnyParamType):
    """``--cert``: a certificate file, ``adhoc``, or the import path of an ``ssl.SSLContext``."""

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None) -> t.Any:
        try:
            import ssl
        except ImportError:
            raise click.BadParameter(
                'Using "--cert" requires Python to be compiled with SSL support.', ctx, param
            ) from None

        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            name = click.STRING(value, param, ctx).lower()
            if name == "adhoc":
                try:
                    importlib.import_module("cryptography")
                except ImportError:
                    raise click.BadParameter(
                        "Using ad-hoc certificates requires the cryptography library.", ctx, param
                    ) from None
                return name
            context = import_string(name, silent=True)
            if isinstance(context, ssl.SSLContext):
                return context
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--key`` goes with a certificate file only; pairs the two into ``cert``."""
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    try:
        import ssl
    except ImportError:
        is_context = False
    else:
        is_context = isinstance(cert, ssl.SSLContext)

    if value is not None:
        if is_adhoc:
            raise click.BadParameter('When "--cert" is "adhoc", "--key" is not used.', ctx, param)
        if is_context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.', ctx, param
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """Several paths in one value, split like ``PATH`` (``:``, or ``;`` on Windows)."""

    def convert(self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None) -> t.Any:
        convert_one = super().convert
        return [convert_one(item, param, ctx) for item in self.split_envvar_value(value)]


_WERKZEUG_RUN_SIMPLE = run_simple


def _app_that_raises(error: Exception) -> t.Callable[..., t.Any]:
    def failing_app(environ: t.Any, start_response: t.Any) -> t.Any:
        raise error from None

    return failing_app


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option("--port", "-p", default=5000, help="The port to bind to.")
@click.option("--cert", type=CertParamType(), help="Specify a certificate file to use HTTPS.", is_eager=True)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file to use when specifying a certificate.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Enable or disable the reloader. By default the reloader is active if debug is enabled.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Enable or disable the debugger. By default the debugger is active if debug is enabled.",
)
@click.option("--with-threads/--without-threads", default=True, help="Enable or disable multithreading.")
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=f"Extra files that trigger a reload on change. Multiple paths are separated by {os.path.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help="Files matching these fnmatch patterns will not trigger a reload on change. Multiple"
    f" patterns are separated by {os.path.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: ssl.SSLContext | tuple[str, str | None] | t.Literal["adhoc"] | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server.

    This server is for development purposes only. It does not provide the stability, security, or
    performance of production WSGI servers. The reloader and debugger are enabled by default with
    '--debug'.
    """
    app: t.Callable[..., t.Any]
    try:
        app = _load_app_for_command(info)
    except Exception as error:
        if not is_running_from_reloader():
            raise
        # In the reloader's child a broken app must not end the process: show the error, serve it,
        # and wait for the next code change.
        traceback.print_exc()
        app = _app_that_raises(error)

    # Either patch point works for tests: this module's name (as Flask has it) or Werkzeug's own.
    serve = run_simple if run_simple is not _WERKZEUG_RUN_SIMPLE else werkzeug.serving.run_simple
    debug = get_debug_flag()
    show_server_banner(debug, info.app_import_path)
    serve(
        host,
        port,
        app,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


run_command.params.insert(0, _debug_option)


# --- shell and routes --------------------------------------------------------------------------------


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the app context, with the app's shell context imported."""
    import code

    app = _current_app_or_none()
    assert app is not None  # with_appcontext pushed it
    banner = f"Python {sys.version} on {sys.platform}\nApp: {app.import_name}\nInstance: {app.instance_path}"
    namespace: dict[str, t.Any] = {}

    # Honour PYTHONSTARTUP like the plain interpreter does; code.interact() does not.
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as startup_file:
            exec(compile(startup_file.read(), startup, "exec"), namespace)

    namespace.update(app.make_shell_context())

    # sys.__interactivehook__ sets up readline history and completion; point completion at our names.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        interactive_hook()

    code.interact(banner=banner, local=namespace)


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Method to sort routes by. 'match' is the order that Erlen will match routes when dispatching"
    " a request.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with endpoints and methods."""
    app = _current_app_or_none()
    assert app is not None  # with_appcontext pushed it
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return

    hidden_methods = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = app.url_map.host_matching
    domains = [(rule.host if host_matching else rule.subdomain) or "" for rule in rules]
    has_domain = any(domains)

    headers = ["Endpoint", "Methods"]
    sort_keys = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sort_keys.append("domain")
    headers.append("Rule")
    sort_keys.append("rule")

    rows: list[list[str]] = []
    for rule, domain in zip(rules, domains):
        row = [rule.endpoint, ", ".join(sorted((rule.methods or set()) - hidden_methods))]
        if has_domain:
            row.append(domain)
        row.append(rule.rule)
        rows.append(row)

    if sort in sort_keys:  # "match" (and "domain" without a domain column) keep the map's order
        rows.sort(key=itemgetter(sort_keys.index(sort)))

    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, ["-" * width for width in widths], *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


# --- the command -------------------------------------------------------------------------------------

cli = ErlenGroup(
    name=_brand.command_name,
    help=f"""A general utility script for {_brand_title()} applications.

An application to load must be given with the '--app' option, the {_app_env_names()} environment
variable, or with a 'wsgi.py' or 'app.py' file in the current directory.
""",
)


def main() -> None:
    """The ``erlen`` console script."""
    cli.main()
