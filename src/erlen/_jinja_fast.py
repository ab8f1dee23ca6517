"""Cheaper Jinja runtime pieces for Erlen's environment, each with Jinja's exact semantics.

Jinja spends most of a render in four places that do more work than most templates need:
``environment.getattr`` raises and catches an ``AttributeError`` for every ``item.key`` on a dict,
``Context.call`` inspects every callable three times for a ``pass_*`` marker, every autoescaped
``{{ value }}`` builds a ``Markup`` object that is joined into a ``str`` right after, and each new
context copies the template globals through ``ChainMap``'s Python-level iteration twice.

Everything here goes through Jinja's documented extension points (``Environment.getattr``,
``context_class``, ``template_class``); each shortcut handles only cases whose answer is certain
and hands every other case to Jinja's own code. ``tests/test_templating_speed.py`` renders a
corpus with this environment and with a stock one and compares output and errors.
"""

from __future__ import annotations

import typing as t
from collections import ChainMap
from types import BuiltinFunctionType, FunctionType, MethodType

import markupsafe
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template, pass_context, pass_environment, pass_eval_context
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context
from jinja2.utils import internalcode

#: The markers the public ``pass_*`` decorators set (read from them, so no private enum is imported).
_PASS_CONTEXT = getattr(pass_context(lambda: None), "jinja_pass_arg")
_PASS_EVAL_CONTEXT = getattr(pass_eval_context(lambda: None), "jinja_pass_arg")
_PASS_ENVIRONMENT = getattr(pass_environment(lambda: None), "jinja_pass_arg")

#: Every name ``getattr(some_dict, name)`` finds: a plain dict has no instance attributes, so these are
#: the attributes of ``dict`` and ``object``, which cannot change at runtime.
_DICT_ATTRIBUTES = frozenset(dir(dict))

#: The item errors Jinja turns into an undefined value in ``getattr``.
_ITEM_ERRORS = (TypeError, LookupError, AttributeError)

_STOCK_CONCAT = BaseEnvironment.concat


def _find_escape_inner() -> t.Callable[[str], str] | None:
    """MarkupSafe's own ``str -> escaped str`` step, if this MarkupSafe has it and it agrees with ``escape``."""
    inner = getattr(markupsafe, "_escape_inner", None)
    probe = '<a href="x">&\'</a>'
    if inner is None or inner(probe) != str(markupsafe.escape(probe)):
        return None
    return t.cast("t.Callable[[str], str]", inner)


_escape_inner = _find_escape_inner()


def _escape_to_str(value: t.Any) -> t.Any:
    """``markupsafe.escape`` for template output, without wrapping a plain ``str`` in ``Markup``.

    Output chunks are only ever joined (into a ``str``, or into ``Markup`` where Jinja wraps the join),
    so the wrapper object is thrown away; anything but an exact ``str`` goes to ``escape`` itself.
    """
    if type(value) is str:
        # PERF: one C call instead of escape() + Markup.__new__ (two Python calls) per output value.
        return _escape_inner(value)  # type: ignore[misc]
    return markupsafe.escape(value)


def fast_getattr(self: BaseEnvironment, obj: t.Any, attribute: str) -> t.Any:
    """``Environment.getattr``: the attribute if it exists, else the item, else undefined.

    For a plain ``dict`` whether the attribute exists is known without asking, so ``item.name`` on a
    dict is a single lookup instead of a raised and caught ``AttributeError``.
    """
    if type(obj) is dict and type(attribute) is str and attribute not in _DICT_ATTRIBUTES:
        # PERF: dict keys read with dotted syntax skip the failing attribute lookup.
        try:
            return obj[attribute]
        except _ITEM_ERRORS:
            return self.undefined(obj=obj, name=attribute)
    try:
        return getattr(obj, attribute)
    except AttributeError:
        pass
    try:
        return obj[attribute]
    except _ITEM_ERRORS:
        return self.undefined(obj=obj, name=attribute)


class FastContext(Context):
    """A template context whose ``call`` answers plain functions and methods without three attribute probes."""

    @internalcode
    def call(
        self,
        obj: t.Callable[..., t.Any],
        /,
        *args: t.Any,
        _loop_vars: dict[str, t.Any] | None = None,
        _block_vars: dict[str, t.Any] | None = None,
        **kwargs: t.Any,
    ) -> t.Any:
        """Call ``obj``, passing the context, eval context or environment first if it asks for one."""
        if __debug__:
            __traceback_hide__ = True
        kind = type(obj)
        # PERF: a function's or method's ``__call__`` is a method-wrapper, which never carries a
        # ``pass_*`` marker, and its own marker is a plain attribute: one read decides. Any other
        # callable (classes, instances with a decorated ``__call__``, partials...) goes to Jinja, as
        # does a function given its own ``__call__`` attribute (that one would shadow the wrapper).
        if kind is FunctionType and "__call__" not in (attributes := obj.__dict__):
            pass_arg = attributes.get("jinja_pass_arg")
        elif kind is MethodType and type(obj.__func__) is FunctionType:  # type: ignore[attr-defined]
            pass_arg = getattr(obj.__func__, "jinja_pass_arg", None)  # type: ignore[attr-defined]
        elif kind is BuiltinFunctionType:
            pass_arg = None
        else:
            return super().call(obj, *args, _loop_vars=_loop_vars, _block_vars=_block_vars, **kwargs)

        if pass_arg is None:
            pass
        elif pass_arg is _PASS_CONTEXT:
            context: Context = self
            if _loop_vars:
                context = context.derived(_loop_vars)
            if _block_vars:
                context = context.derived(_block_vars)
            args = (context, *args)
        elif pass_arg is _PASS_EVAL_CONTEXT:
            args = (self.eval_ctx, *args)
        elif pass_arg is _PASS_ENVIRONMENT:
            args = (self.environment, *args)
        try:
            return obj(*args, **kwargs)
        except StopIteration:
            return self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class FastTemplate(Template):
    """A template whose output skips ``Markup`` wrappers and whose contexts copy the globals in C."""

    @classmethod
    def from_code(
        cls,
        environment: BaseEnvironment,
        code: t.Any,
        globals: t.MutableMapping[str, t.Any],
        uptodate: t.Callable[[], bool] | None = None,
    ) -> Template:
        template = super().from_code(environment, code, globals, uptodate)
        _use_str_escape(template)
        return template

    @classmethod
    def from_module_dict(
        cls,
        environment: BaseEnvironment,
        module_dict: t.MutableMapping[str, t.Any],
        globals: t.MutableMapping[str, t.Any],
    ) -> Template:
        template = super().from_module_dict(environment, module_dict, globals)
        _use_str_escape(template)
        return template

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,
    ) -> Context:
        """Jinja's context for a render: the globals overlaid with ``vars``.

        Template globals are a ``ChainMap`` of dicts; merging its maps with ``dict.update`` gives the
        same keys, values and order as ``dict(chainmap)`` without a Python call per key.
        """
        environment = self.environment
        globals_ = self.globals
        if shared or locals or type(globals_) is not ChainMap or environment.context_class is not FastContext:
            return super().new_context(vars, shared, locals)
        merged: dict[str, t.Any] = {}
        for mapping in reversed(globals_.maps):
            if type(mapping) is not dict:
                return super().new_context(vars, shared, locals)
            merged.update(mapping)
        parent = dict(merged, **vars) if vars else dict(merged)
        # PERF: the context only takes ``set(globals)``; the merged dict has the ChainMap's keys.
        return FastContext(environment, parent, self.name, self.blocks, globals=merged)


def _use_str_escape(template: Template) -> None:
    """Point the compiled module's ``escape`` at :func:`_escape_to_str` when that cannot change the output.

    Jinja's code generator uses the module name ``escape`` only to escape ``{{ }}`` output, which is
    then joined. A custom code generator or ``concat`` might rely on ``Markup`` chunks: left alone.
    """
    environment = template.environment
    if (
        _escape_inner is None
        or environment.code_generator_class is not CodeGenerator
        or environment.concat is not _STOCK_CONCAT
    ):
        return
    namespace = template.root_render_func.__globals__
    if namespace.get("escape") is markupsafe.escape:
        namespace["escape"] = _escape_to_str


#: What Erlen's environment provides, by attribute name, where Jinja's ``Environment`` has the stock one.
FAST_ATTRIBUTES: dict[str, t.Any] = {
    "getattr": fast_getattr,
    "context_class": FastContext,
    "template_class": FastTemplate,
}
