"""JSON helpers that follow the current app's provider (``app.json``) when an app context is active.

Outside an app context they use the standard library with the default provider's extra types (dates,
UUID, Decimal, dataclasses, ``__html__``).
"""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _cv_app_get, _cv_contexts_get, current_app
from .provider import DefaultJSONProvider, _default

if t.TYPE_CHECKING:
    from ..wrappers import Response


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize ``obj`` to a JSON string with the current app's provider (:meth:`app.json.dumps`).

    .. versionchanged:: 2.2
        Calls ``current_app.json.dumps``.
    """
    contexts = _cv_contexts_get(None)
    ctx = None if contexts is None else contexts[0]
    if ctx is not None:
        text: str = ctx.app.json.dumps(obj, **kwargs)
        return text
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize ``obj`` and write it to the text file ``fp``."""
    ctx = _cv_app_get(None)
    if ctx is not None:
        ctx.app.json.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _default)
    _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Deserialize JSON text with the current app's provider (:meth:`app.json.loads`)."""
    contexts = _cv_contexts_get(None)
    ctx = None if contexts is None else contexts[0]
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Read and deserialize the file ``fp``."""
    ctx = _cv_app_get(None)
    if ctx is not None:
        return ctx.app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A response whose body is the JSON of the arguments, with the ``application/json`` mimetype.

    One argument is sent as is, several as a list, keyword arguments as an object; not both. Needs an app
    context: this calls ``current_app.json.response``. A view can also return a dict or list directly.

    .. versionchanged:: 2.2
        Calls ``current_app.json.response``.
    """
    contexts = _cv_contexts_get(None)
    ctx = None if contexts is None else contexts[0]
    if ctx is None:
        return current_app.json.response(*args, **kwargs)  # type: ignore[return-value]  # raises the error
    app = ctx.app
    provider = app.json
    if type(provider) is DefaultJSONProvider and ((kwargs and not args) or (len(args) == 1 and not kwargs)):
        # PERF: what DefaultJSONProvider.response does for keyword arguments or one value, without its call
        # and the repacking of the arguments.
        response_class = app.response_class
        if getattr(response_class, "_direct", False):
            return response_class._with_body(*provider._encode(args[0] if args else kwargs))
    return provider.response(*args, **kwargs)  # type: ignore[return-value]
