"""Finding the app the CLI should load: from a module, a ``module:name`` or ``module:factory(args)`` string.

A bad ``--app`` is a :class:`NoAppException` with one line that names what was not found, never a traceback.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import traceback
import typing as t
from types import ModuleType

import click

from .app import Erlen


class NoAppException(click.UsageError):
    """Raised if an application cannot be found or loaded."""


def _describe_error(error: BaseException) -> str:
    """One line: the exception's type, message and the place it was raised."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        text += f" ({frames[-1].filename}:{frames[-1].lineno})"
    return text


# --- finding the app ---------------------------------------------------------------------------------


def _raised_by_the_call(factory: t.Callable[..., t.Any]) -> bool:
    """Whether the ``TypeError`` being handled came from calling ``factory`` with the wrong arguments.

    If the factory's own frame is in the traceback, the call got in and the error is the factory's bug,
    which must not be reported as "wrong arguments".
    """
    factory_code = getattr(factory, "__code__", None)
    tb = sys.exc_info()[2]
    while tb is not None:
        if tb.tb_frame.f_code is factory_code:
            return False
        tb = tb.tb_next
    return True


def _call_factory(
    factory: t.Callable[..., t.Any], args: t.Sequence[t.Any], kwargs: dict[str, t.Any], wrong_args: str
) -> t.Any:
    try:
        return factory(*args, **kwargs)
    except TypeError as error:
        if not _raised_by_the_call(factory):
            raise
        raise NoAppException(wrong_args) from error


def find_best_app(module: ModuleType) -> Erlen:
    """Find the one application in ``module``: ``app``, ``application``, the only instance, or a factory."""
    module_name = module.__name__

    for name in ("app", "application"):
        candidate = getattr(module, name, None)
        if isinstance(candidate, Erlen):
            return candidate

    instances = list({id(v): v for v in vars(module).values() if isinstance(v, Erlen)}.values())
    if len(instances) == 1:
        return instances[0]
    if instances:
        raise NoAppException(
            f"Detected multiple applications in module {module_name!r}."
            f" Use '{module_name}:name' to specify the correct one."
        )

    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if not inspect.isfunction(factory):
            continue
        app = _call_factory(
            factory,
            (),
            {},
            f"Detected factory {name!r} in module {module_name!r}, but could not call it without"
            f" arguments. Use '{module_name}:{name}(args)' to specify arguments.",
        )
        if isinstance(app, Erlen):
            return app

    raise NoAppException(
        f"Failed to find an application or factory in module {module_name!r}."
        f" Use '{module_name}:name' to specify one."
    )


def _literal_arguments(call: ast.Call, app_name: str) -> tuple[list[t.Any], dict[str, t.Any]]:
    try:
        args = [ast.literal_eval(arg) for arg in call.args]
        kwargs: dict[str, t.Any] = {}
        for keyword in call.keywords:
            if keyword.arg is None:  # ``**mapping`` is not a literal argument
                raise ValueError(keyword)
            kwargs[keyword.arg] = ast.literal_eval(keyword.value)
    except (ValueError, TypeError):
        raise NoAppException(f"Failed to parse arguments as literal values: {app_name!r}.") from None
    return args, kwargs


def find_app_by_string(module: ModuleType, app_name: str) -> Erlen:
    """Resolve ``app_name`` in ``module``: a variable name, or a factory call with literal arguments."""
    module_name = module.__name__
    cannot_parse = f"Failed to parse {app_name!r} as an attribute name or function call."
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(cannot_parse) from None

    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    if isinstance(expr, ast.Name):
        name = expr.id
    elif isinstance(expr, ast.Call):
        if not isinstance(expr.func, ast.Name):
            raise NoAppException(f"Function reference must be a simple name: {app_name!r}.")
        name = expr.func.id
        args, kwargs = _literal_arguments(expr, app_name)
    else:
        raise NoAppException(cannot_parse)

    try:
        attr = getattr(module, name)
    except AttributeError as error:
        raise NoAppException(f"Failed to find attribute {name!r} in {module_name!r}.") from error

    if inspect.isfunction(attr):
        app = _call_factory(
            attr,
            args,
            kwargs,
            f"The factory {app_name!r} in module {module_name!r} could not be called with the"
            " specified arguments.",
        )
    else:
        app = attr

    if isinstance(app, Erlen):
        return app
    raise NoAppException(f"A valid application was not obtained from '{module_name}:{app_name}'.")


def prepare_import(path: str | os.PathLike[str]) -> str:
    """Turn a file or dotted path into an importable module name, putting its root on ``sys.path``.

    Walks up through package directories (those with ``__init__.py``) so ``pkg/sub/mod.py`` becomes
    ``pkg.sub.mod`` with the folder above ``pkg`` first on ``sys.path``.
    """
    location = os.path.realpath(path)
    stem, extension = os.path.splitext(location)
    if extension == ".py":
        location = stem
    if os.path.basename(location) == "__init__":
        location = os.path.dirname(location)

    parts: list[str] = []
    while True:
        location, part = os.path.split(location)
        parts.append(part)
        if not os.path.exists(os.path.join(location, "__init__.py")):
            break

    if sys.path[0] != location:
        sys.path.insert(0, location)
    return ".".join(reversed(parts))


def _import_failed_here(error: ImportError, module_name: str) -> bool:
    """Whether ``error`` says ``module_name`` (or a package above it) does not exist.

    Anything else is an import that failed inside the module, which is the app's bug to report.
    """
    missing = getattr(error, "name", None)
    if not isinstance(error, ModuleNotFoundError) or not missing:
        return False
    return module_name == missing or module_name.startswith(f"{missing}.")


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Erlen: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[False]
) -> Erlen | None: ...


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True) -> Erlen | None:
    """Import ``module_name`` and find the app in it, by ``app_name`` if given.

    With ``raise_if_not_found=False`` a module that does not exist gives ``None``; a module that exists
    but fails to import still raises.
    """
    try:
        __import__(module_name)
    except ImportError as error:
        if not _import_failed_here(error, module_name):
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised: {_describe_error(error)}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.") from None
        return None

    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _split_import_path(value: str) -> tuple[str, str | None]:
    """Split ``path:name`` at the first colon that is not a Windows drive's (``C:\\``, ``C:/``)."""
    for index, char in enumerate(value):
        if char == ":" and value[index + 1 : index + 2] not in ("/", "\\"):
            return value[:index], value[index + 1 :]
    return value, None


# --- version -----------------------------------------------------------------------------------------
