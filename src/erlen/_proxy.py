"""The proxies behind ``g``, ``request``, ``session``, ``current_app``, ``app_ctx`` and ``request_ctx``.

How this works: each proxy is an instance of its own small subclass of Werkzeug's ``LocalProxy`` (so
``isinstance(request, LocalProxy)``, ``_get_current_object()``, operators, ``repr``, ``bool``, ``copy`` and the
proxied ``__class__`` behave exactly as Werkzeug documents them). The subclass answers what user code does with a
proxy on nearly every line itself, reading the context variable in one Python call: attribute get, set and
delete, ``[]``, ``in``, iteration and truth. Attribute names that start with an underscore (the proxy's own ``_get_current_object``,
dunders) take Werkzeug's route.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

_generic_getattr = object.__getattribute__


class ContextProxy(LocalProxy[t.Any]):
    """The base of Erlen's context proxies; instances come from :func:`context_proxy`."""

    __slots__ = ()


def context_proxy(var: ContextVar[t.Any], index: int, attr: str | None, unbound_message: str) -> t.Any:
    """A proxy for ``var.get()[index]`` (or its attribute ``attr``), raising ``RuntimeError(unbound_message)`` when
    that is unset or None (``var`` holds the current contexts as a pair, see :mod:`erlen.globals`).

    # PERF: Werkzeug routes ``proxy.attr`` through ``__getattr__`` (reached only after the normal lookup fails), a
    # lookup descriptor, a binding helper and ``_get_current_object``: three Python calls and about 0.4 us. Here
    # ``__getattribute__`` answers public names in one call, about 0.1 us. The methods read ``var`` and ``attr``
    # from the closure: an attribute of ``self`` would go through ``__getattribute__`` again.
    """

    get = var.get  # PERF: bound once, not looked up on every use

    def __getattribute__(self: t.Any, name: str) -> t.Any:
        if name[:1] == "_":
            # The proxy's own names and Werkzeug's dunders; a miss falls through to __getattr__ below.
            return _generic_getattr(self, name)
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        return getattr(obj if attr is None else getattr(obj, attr), name)

    def __getattr__(self: t.Any, name: str) -> t.Any:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        return getattr(obj if attr is None else getattr(obj, attr), name)

    def __setattr__(self: t.Any, name: str, value: t.Any) -> None:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        setattr(obj if attr is None else getattr(obj, attr), name, value)

    def __delattr__(self: t.Any, name: str) -> None:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        delattr(obj if attr is None else getattr(obj, attr), name)

    def __getitem__(self: t.Any, key: t.Any) -> t.Any:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        return (obj if attr is None else getattr(obj, attr))[key]

    def __setitem__(self: t.Any, key: t.Any, value: t.Any) -> None:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        (obj if attr is None else getattr(obj, attr))[key] = value

    def __delitem__(self: t.Any, key: t.Any) -> None:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        del (obj if attr is None else getattr(obj, attr))[key]

    def __contains__(self: t.Any, item: t.Any) -> bool:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        return item in (obj if attr is None else getattr(obj, attr))

    def __iter__(self: t.Any) -> t.Any:
        obj = get(None)
        obj = None if obj is None else obj[index]
        try:
            if obj is None:
                raise RuntimeError(unbound_message)
            if attr is not None:
                obj = getattr(obj, attr)
        except RuntimeError:
            # Werkzeug's lookup fails, Python then finds no __getitem__ either and reports this.
            raise TypeError("'LocalProxy' object is not iterable") from None
        return iter(obj)

    def __bool__(self: t.Any) -> bool:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            return False  # Werkzeug's fallback for an unbound proxy
        try:
            if attr is not None:
                obj = getattr(obj, attr)
        except RuntimeError:
            return False
        return bool(obj)

    namespace = {
        "__slots__": (),
        "__module__": __name__,
        # Messages that name the proxy's type ("<LocalProxy unbound>", "'LocalProxy' object is not iterable")
        # read as they do in Flask, whose tests compare them.
        "__qualname__": "LocalProxy",
        "__getattribute__": __getattribute__,
        "__getattr__": __getattr__,
        "__setattr__": __setattr__,
        "__delattr__": __delattr__,
        "__getitem__": __getitem__,
        "__setitem__": __setitem__,
        "__delitem__": __delitem__,
        "__contains__": __contains__,
        "__iter__": __iter__,
        "__bool__": __bool__,
    }
    cls = type("LocalProxy", (ContextProxy,), namespace)

    def current() -> t.Any:
        obj = get(None)
        obj = None if obj is None else obj[index]
        if obj is None:
            raise RuntimeError(unbound_message)
        return obj

    return cls(current, attr)
