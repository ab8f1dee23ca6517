"""Errors and log messages that explain common mistakes, used in debug mode."""

from __future__ import annotations

import typing as t

from jinja2.loaders import BaseLoader
from werkzeug.routing import RequestRedirect

from .globals import _cv_request_get

if t.TYPE_CHECKING:
    from .sansio.app import App
    from .wrappers import Request


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised in debug mode where a byte string was expected and text was given."""


class DebugFilesKeyError(KeyError, AssertionError):
    """Raised in debug mode for ``request.files[key]`` when the form sent ``key`` as a plain field: the
    form most likely lacks ``enctype="multipart/form-data"``."""

    def __init__(self, request: Request, key: str) -> None:
        parts = [
            f"You tried to access the file {key!r} in the request.files dictionary but it does not exist."
            f" The mimetype for the request is {request.mimetype!r} instead of 'multipart/form-data' which"
            " means that no file contents were transmitted. To fix this error you should provide"
            ' enctype="multipart/form-data" in your form.'
        ]
        submitted = request.form.getlist(key)
        if submitted:
            names = ", ".join(repr(name) for name in submitted)
            parts.append(f"\n\nThe browser instead transmitted some file names. This was submitted: {names}")
        self.msg = "".join(parts)

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """Raised in debug mode when routing answers a request that carries form data with a 301 or 302
    redirect: browsers resend such requests without the body, so the form data would be lost."""

    def __init__(self, request: Request) -> None:
        redirect = request.routing_exception
        assert isinstance(redirect, RequestRedirect)
        parts = [
            f"A request was sent to '{request.url}', but routing issued a redirect to the canonical URL"
            f" '{redirect.new_url}'."
        ]
        if f"{request.base_url}/" == redirect.new_url.partition("?")[0]:
            parts.append(
                " The URL was defined with a trailing slash, and requests without it are redirected to the"
                " URL with it."
            )
        parts.append(
            " Send requests to the canonical URL, or use 307 or 308 for routing redirects. Otherwise,"
            " browsers will drop form data.\n\nThis exception is only raised in debug mode."
        )
        super().__init__("".join(parts))


def attach_enctype_error_multidict(request: Request) -> None:
    """Make ``request.files[key]`` raise :class:`DebugFilesKeyError` when ``key`` was sent as a form field.

    Done by swapping the class of this request's ``files`` object for a subclass, so other requests and
    the lookup of present keys are unaffected.
    """
    files = request.files
    base = type(files)

    class FilesWithEnctypeHint(base):  # type: ignore[valid-type,misc]
        def __getitem__(self, key: str) -> t.Any:
            try:
                return super().__getitem__(key)
            except KeyError as error:
                if key not in request.form:
                    raise
                raise DebugFilesKeyError(request, key).with_traceback(error.__traceback__) from None

    FilesWithEnctypeHint.__name__ = base.__name__
    FilesWithEnctypeHint.__qualname__ = base.__qualname__
    FilesWithEnctypeHint.__module__ = base.__module__
    files.__class__ = FilesWithEnctypeHint


def _describe_loader(loader: BaseLoader) -> list[str]:
    """Lines that identify a Jinja loader: its class and where it looks."""
    cls = type(loader)
    lines = [f"class: {cls.__module__}.{cls.__name__}"]
    for attribute in ("searchpath", "package_name", "package_path", "prefix", "delimiter"):
        value = getattr(loader, attribute, None)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            lines.append(f"{attribute}:")
            lines.extend(f"  - {item}" for item in value)
        else:
            lines.append(f"{attribute}: {value!r}")
    return lines


def explain_template_loading_attempts(
    app: App,
    template: str,
    attempts: list[tuple[BaseLoader, t.Any, tuple[str, str | None, t.Callable[[], bool] | None] | None]],
) -> None:
    """Log, at info level on ``app.logger``, which loaders were tried for ``template`` and what they found.

    Enabled by ``EXPLAIN_TEMPLATE_LOADING``. ``attempts`` holds ``(loader, app or blueprint, result of
    get_source or None)`` in the order the loaders were asked.
    """
    lines = [f"Locating template {template!r}:"]
    found = 0

    for number, (loader, source_object, result) in enumerate(attempts, 1):
        if source_object is app:
            owner = f"application {app.import_name!r}"
        else:
            owner = f"blueprint {source_object.name!r} ({source_object.import_name})"
        lines.append(f"{number:5}: trying loader of {owner}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if result is None:
            outcome = "no match"
        else:
            outcome = f"found ({result[1] or '<string>'!r})"
            found += 1
        lines.append(f"       -> {outcome}")

    seems_fishy = False
    if found == 0:
        lines.append("Error: the template could not be found.")
        seems_fishy = True
    elif found > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
        seems_fishy = True

    request_ctx = _cv_request_get(None)
    blueprint = request_ctx.request.blueprint if request_ctx is not None else None
    if seems_fishy and blueprint is not None:
        lines.append(
            f"  The template was looked up from an endpoint that belongs to the blueprint {blueprint!r}."
        )
        lines.append("  Maybe you did not place a template in the right folder?")
        lines.append("  See https://flask.palletsprojects.com/blueprints/#templates")

    app.logger.info("\n".join(lines))
