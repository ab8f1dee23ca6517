"""The app's logger and its default handler, which writes to the server's error stream."""

from __future__ import annotations

import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import _cv_request_get

if t.TYPE_CHECKING:
    from .sansio.app import App


def _current_errors_stream() -> t.TextIO:
    """``wsgi.errors`` of the active request, so log lines land where the server collects errors."""
    ctx = _cv_request_get(None)
    if ctx is not None:
        return ctx.request.environ["wsgi.errors"]  # type: ignore[no-any-return]
    return sys.stderr


#: The error stream of the current request (``environ["wsgi.errors"]``), or :data:`sys.stderr` outside a
#: request. Servers usually route it to their error log.
wsgi_errors_stream: t.TextIO = LocalProxy(_current_errors_stream)  # type: ignore[assignment]


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler on ``logger`` or the loggers it propagates to would emit its effective level.

    .. versionadded:: 1.1
    """
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


#: Added to the app's logger when nothing else would show its records.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s"))


def create_logger(app: App) -> logging.Logger:
    """The logger named after the app (``app.name``), ready to show messages.

    In debug mode a logger with no level of its own gets ``DEBUG``. :data:`default_handler` is added only
    when no configured handler would emit the logger's records, so a logging setup made before the app is
    created wins.
    """
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
