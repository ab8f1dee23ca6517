"""Functions users call inside a request or app context: url_for, abort, redirect, flash, send_file, ..."""

from __future__ import annotations

import os
import typing as t
from functools import update_wrapper

import werkzeug.utils
from werkzeug.exceptions import abort as _wz_abort
from werkzeug.utils import redirect as _wz_redirect

from . import _brand, signals
from .globals import (
    _cv_app_get,
    _cv_contexts_get,
    _cv_request_get,
    _require_request_ctx,
    current_app,
    request_ctx,
    session,
)
from .sansio.app import get_debug_flag
from .sansio.scaffold import find_package, get_root_path

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

    from .wrappers import Response

__all__ = [
    "abort",
    "find_package",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "get_root_path",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the CLI should load dotenv files: false when ``ERLEN_SKIP_DOTENV`` is set to a true value."""
    value = _brand.getenv("SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in {"0", "false", "no"}


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context active while a streamed response's generator runs.

    Use as a decorator on a generator function, or wrap a generator object.
    """
    try:
        gen = iter(generator_or_function)
    except TypeError:

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    def generator() -> t.Iterator[t.Any]:
        req_ctx = _cv_request_get(None)
        if req_ctx is None:
            raise RuntimeError(
                "'stream_with_context' can only be used when a request context is active, such as in a view"
                " function."
            )
        app_ctx = _cv_app_get()
        # The priming next() below stops here, in the view. The contexts are pushed when the server iterates
        # the body, in whatever thread and context that happens (an async view runs on another thread).
        yield None
        with app_ctx, req_ctx:
            try:
                yield from gen
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()

    wrapped = generator()
    next(wrapped)
    return wrapped


def make_response(*args: t.Any) -> Response:
    """Turn view-style return values into a response object, to add headers before returning it."""
    if not args:
        return current_app.response_class()
    return current_app.make_response(args[0] if len(args) == 1 else args)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build the URL of ``endpoint`` with ``values``; unknown values become query arguments.

    :param endpoint: The endpoint name; ``.name`` is relative to the current blueprint.
    :param _anchor: Appended as ``#anchor``.
    :param _method: Pick the rule for this method.
    :param _scheme: The scheme of an external URL.
    :param _external: Build an absolute URL (default: only outside a request).
    """
    # PERF: the app is read from the context variable, not through the ``current_app`` proxy (three calls).
    contexts = _cv_contexts_get(None)
    app_ctx = None if contexts is None else contexts[0]
    app = app_ctx.app if app_ctx is not None else current_app
    return app.url_for(
        endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
    )


def redirect(location: str, code: int = 302, Response: type[BaseResponse] | None = None) -> BaseResponse:
    """A redirect response; uses the current app's response class when an app context is active."""
    contexts = _cv_contexts_get(None)
    ctx = None if contexts is None else contexts[0]
    if ctx is not None:
        return ctx.app.redirect(location, code=code)
    return _wz_redirect(location, code=code, Response=Response)


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP error for ``code`` (through the app's aborter when an app context is active)."""
    contexts = _cv_contexts_get(None)
    ctx = None if contexts is None else contexts[0]
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _wz_abort(code, *args, **kwargs)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable exported by a template, for calling from Python."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next request; read it with :func:`get_flashed_messages`."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    if signals.message_flashed.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        signals.message_flashed.send(app, _async_wrapper=app.ensure_sync, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """The flashed messages, removed from the session on first call and kept for the rest of the request."""
    flashes = request_ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        request_ctx.flashes = flashes
    if category_filter:
        wanted = set(category_filter)
        flashes = [item for item in flashes if item[0] in wanted]
    if not with_categories:
        return [message for _, message in flashes]
    return flashes


def _send_file_kwargs(**kwargs: t.Any) -> dict[str, t.Any]:
    environ = _require_request_ctx().request.environ  # first, so that outside a request the error says so
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = app.get_send_file_max_age
    kwargs.update(
        environ=environ,
        use_x_sendfile=app.config["USE_X_SENDFILE"],
        response_class=app.response_class,
        _root_path=app.root_path,
    )
    return kwargs


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.BinaryIO,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: t.Any = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
) -> Response:
    """Send a file or file-like object, with conditional requests (ETag, Last-Modified, Range) handled."""
    return werkzeug.utils.send_file(  # type: ignore[return-value]
        **_send_file_kwargs(
            path_or_file=path_or_file,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=conditional,
            etag=etag,
            last_modified=last_modified,
            max_age=max_age,
        )
    )


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: t.Any
) -> Response:
    """Send a file from ``directory``; a path that would leave the directory is a 404."""
    return werkzeug.utils.send_from_directory(  # type: ignore[return-value]
        directory, path, **_send_file_kwargs(**kwargs)
    )
