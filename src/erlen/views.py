"""Class-based views: :class:`View` and :class:`MethodView`.

A view class is not itself a view function. :meth:`View.as_view` builds the function the router calls; that
function makes (or reuses) an instance and calls its :meth:`View.dispatch_request`.

:class:`MethodView` routes each request to the method named after the HTTP verb (``get``, ``post``...). The
verb-to-method table is built once per class, when the class is created, from the class's ``methods``; a
request can only ever reach a method through that table, so a strange verb (``DISPATCH_REQUEST``,
``__INIT__``) is never turned into an attribute lookup. The router answers unknown verbs with 405 before the
view runs.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Collection

from werkzeug.exceptions import MethodNotAllowed

from . import typing as ft
from .globals import _cv_contexts_get, _no_app_msg, _require_request_ctx

#: The method names :class:`MethodView` picks up on its own, as Flask does. Other verbs (``PROPFIND``...)
#: are served when they are listed in ``methods`` explicitly.
http_method_funcs: frozenset[str] = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


def _run(handler: Callable[..., t.Any], kwargs: dict[str, t.Any]) -> ft.ResponseReturnValue:
    """Call ``handler`` through the app's ``ensure_sync``, so ``async def`` handlers work under WSGI too."""
    # PERF: the ContextVar is read directly instead of through the ``current_app`` proxy.
    frame = _cv_contexts_get(None)
    if frame is None:
        raise RuntimeError(_no_app_msg)
    result: ft.ResponseReturnValue = frame[0].app.ensure_sync(handler)(**kwargs)
    return result


class View:
    """Subclass this and implement :meth:`dispatch_request`; register ``YourView.as_view("name")``.

    Class attributes that shape the generated view function:

    - ``methods``: the HTTP methods the route accepts (default: whatever ``add_url_rule`` picks, ``GET``).
    - ``provide_automatic_options``: whether the router answers ``OPTIONS`` itself.
    - ``decorators``: applied, in order, to the generated view function.
    - ``init_every_request``: ``False`` builds one instance in :meth:`as_view` and shares it between
      requests; only do that when the instance keeps no per-request state on ``self``.
    """

    methods: t.ClassVar[Collection[str] | None] = None
    provide_automatic_options: t.ClassVar[bool | None] = None
    decorators: t.ClassVar[list[Callable[..., t.Any]]] = []
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Handle one request. URL variables arrive as keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: t.Any, **class_kwargs: t.Any) -> ft.RouteCallable:
        """Build the view function to register with ``add_url_rule``.

        ``name`` becomes the function's ``__name__`` (the endpoint name by default). ``class_args`` and
        ``class_kwargs`` are passed to the class's constructor. The result carries ``view_class``; changing it
        afterwards changes which class later requests instantiate (when ``init_every_request`` is on).
        """
        view: Callable[..., t.Any]
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> t.Any:
                # ``exported_view.view_class`` is read per request so a patched ``view_class`` is honoured.
                instance = exported_view.view_class(*class_args, **class_kwargs)
                return _run(instance.dispatch_request, kwargs)

        else:
            shared_instance = cls(*class_args, **class_kwargs)
            # PERF: bind once; the instance is shared by every request.
            bound_dispatch = shared_instance.dispatch_request

            def view(**kwargs: t.Any) -> t.Any:
                return _run(bound_dispatch, kwargs)

        decorated = view
        if cls.decorators:
            # Decorators such as functools.wraps copy these, so give them the final values first.
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                decorated = decorator(decorated)

        # Typed Any: plain functions take attributes; ``view_class`` is read back per request.
        exported_view: t.Any = decorated

        exported_view.__name__ = name
        exported_view.__doc__ = cls.__doc__
        exported_view.__module__ = cls.__module__
        exported_view.view_class = cls
        exported_view.methods = cls.methods
        exported_view.provide_automatic_options = cls.provide_automatic_options
        return decorated


def _handler_table(view_class: type[MethodView]) -> dict[str, tuple[str, ...]]:
    """Map each HTTP verb the class serves to the method names that may handle it, tried in order.

    Only verbs in ``view_class.methods`` are considered, and only when the lowercased verb is a plain public
    identifier that is not part of the view machinery. ``HEAD`` tries ``head`` and then ``get``, because the
    router adds HEAD to every GET rule.
    """
    table: dict[str, tuple[str, ...]] = {}
    for verb in view_class.methods or ():
        handler_name = verb.lower()
        if (
            handler_name.isidentifier()
            and not handler_name.startswith("_")
            and handler_name not in _machinery_names
        ):
            table[verb.upper()] = (handler_name,)
    if "GET" in table:
        table["HEAD"] = ("head", "get")
    return table


class MethodView(View):
    """Dispatch each request to the method named after its HTTP verb.

    ``methods`` is computed from the verb methods the class defines or inherits (``get``, ``post``...), plus
    the ``methods`` of its bases, unless the class sets ``methods`` itself. ``HEAD`` is served by ``get`` when
    there is no ``head``.

    .. code-block:: python

        class CounterAPI(MethodView):
            def get(self):
                return str(session.get("counter", 0))

            def post(self):
                session["counter"] = session.get("counter", 0) + 1
                return redirect(url_for("counter"))

        app.add_url_rule("/counter", view_func=CounterAPI.as_view("counter"))
    """

    #: Verb -> handler method name, built in ``__init_subclass__``.
    _verb_handlers: t.ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)

        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                base_methods = getattr(base, "methods", None)
                if base_methods:
                    methods.update(base_methods)
            for func_name in http_method_funcs:
                if hasattr(cls, func_name):
                    methods.add(func_name.upper())
            if methods:
                cls.methods = methods

        cls._verb_handlers = _handler_table(cls)

    def dispatch_request(self, **kwargs: t.Any) -> ft.ResponseReturnValue:
        """Call the handler for the request's verb with the URL variables."""
        verb = _require_request_ctx().request.method
        for handler_name in self._verb_handlers.get(verb, ()):
            # Looked up on the instance, so handlers set in ``__init__`` work; names come from the table only.
            handler = getattr(self, handler_name, None)
            if handler is not None:
                return _run(handler, kwargs)
        # Reached only when a rule lists more methods than the class serves; the router rejects every verb
        # outside the rule's methods before the view runs.
        served = (
            other_verb
            for other_verb, names in self._verb_handlers.items()
            if any(getattr(self, name, None) is not None for name in names)
        )
        raise MethodNotAllowed(valid_methods=sorted(served))


#: Attribute names a verb must never resolve to.
_machinery_names: frozenset[str] = frozenset(name for name in dir(MethodView) if not name.startswith("_"))
