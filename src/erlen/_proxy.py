"""The proxy class behind ``g``, ``request``, ``session``, ``current_app``, ``app_ctx`` and ``request_ctx``.

How this works: :class:`ContextProxy` is a Werkzeug ``LocalProxy`` (so ``isinstance(request, LocalProxy)``,
``_get_current_object()``, operators, ``repr``, ``bool``, ``copy`` and the proxied ``__class__`` behave exactly as
Werkzeug documents them) whose attribute get, set and delete are plain methods that read the context variable
themselves. Those three are what user code does with a proxy on nearly every line (``request.method``,
``g.user = ...``); everything else keeps Werkzeug's implementation.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy


class ContextProxy(LocalProxy[t.Any]):
    """A ``LocalProxy`` for ``var.get()`` (or its attribute ``name``) with one-call attribute access.

    # PERF: Werkzeug routes ``proxy.attr`` through a lookup descriptor, a binding helper and
    # ``_get_current_object``: three Python calls per access. Here it is one (``__getattr__`` itself), which
    # matters for ``request.*`` in views and ``g.*`` in hooks.
    """

    __slots__ = ("_erlen_name", "_erlen_unbound", "_erlen_var")

    _erlen_var: ContextVar[t.Any]
    _erlen_name: str | None
    _erlen_unbound: str

    def __init__(self, var: ContextVar[t.Any], name: str | None, unbound_message: str) -> None:
        super().__init__(var, name, unbound_message=unbound_message)
        # LocalProxy forwards attribute assignment to the proxied object; the proxy's own slots are set directly.
        object.__setattr__(self, "_erlen_var", var)
        object.__setattr__(self, "_erlen_name", name)
        object.__setattr__(self, "_erlen_unbound", unbound_message)

    def __getattr__(self, name: str) -> t.Any:
        try:
            obj = self._erlen_var.get()
        except LookupError:
            raise RuntimeError(self._erlen_unbound) from None
        attr = self._erlen_name
        return getattr(obj if attr is None else getattr(obj, attr), name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        try:
            obj = self._erlen_var.get()
        except LookupError:
            raise RuntimeError(self._erlen_unbound) from None
        attr = self._erlen_name
        setattr(obj if attr is None else getattr(obj, attr), name, value)

    def __delattr__(self, name: str) -> None:
        try:
            obj = self._erlen_var.get()
        except LookupError:
            raise RuntimeError(self._erlen_unbound) from None
        attr = self._erlen_name
        delattr(obj if attr is None else getattr(obj, attr), name)


# Messages that name the proxy's type ("<LocalProxy unbound>", "'LocalProxy' object is not iterable") read as
# they do in Flask, whose tests compare them.
ContextProxy.__name__ = ContextProxy.__qualname__ = "LocalProxy"
