"""Erlen's faster Jinja runtime (erlen/_jinja_fast.py) renders exactly what stock Jinja renders.

Every template of the corpus is rendered by Erlen's ``Environment`` and by a stock ``jinja2.Environment``
configured the same way; output, or exception type and message, must be identical.
"""

from __future__ import annotations

import collections
import functools
import re
import traceback
import typing as t
from pathlib import Path

import jinja2
import pytest
from jinja2 import (
    ChainableUndefined,
    DebugUndefined,
    DictLoader,
    StrictUndefined,
    Undefined,
    pass_context,
    pass_environment,
    pass_eval_context,
)
from jinja2.nativetypes import NativeEnvironment
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

import erlen
from erlen._jinja_fast import FastContext, FastTemplate
from erlen.templating import Environment


class Html:
    """An object that renders itself as HTML."""

    def __html__(self) -> str:
        return "<i>html</i>"

    def __str__(self) -> str:
        return "<not used>"


class Obj:
    """Attributes, items and methods with overlapping names."""

    name = "attr-<name>"
    price = 3

    def __repr__(self) -> str:
        return "<Obj>"

    def __getitem__(self, key: str) -> str:
        if key == "boom":
            raise TypeError("no boom")
        return f"item-{key}"

    def method(self) -> str:
        return "<m>"

    @pass_context
    def ctx_method(self, context: Context, x: int = 0) -> str:
        return f"{context.get('who')}:{x}"


class CallableCtx:
    """An object whose ``__call__`` asks for the context."""

    @pass_context
    def __call__(self, context: Context, suffix: str = "") -> str:
        return f"{context.get('who')}{suffix}"


class CallableEnv:
    @pass_environment
    def __call__(self, environment: jinja2.Environment) -> str:
        return type(environment.undefined).__name__


class CallablePlain:
    def __call__(self, *args: t.Any, **kwargs: t.Any) -> str:
        return f"plain{args}{sorted(kwargs.items())}"


class MarkedInstance:
    """An instance that carries a marker itself: Jinja reads it from the object."""

    def __init__(self) -> None:
        self.jinja_pass_arg = getattr(pass_environment(lambda: None), "jinja_pass_arg")

    def __call__(self, env: t.Any) -> str:
        return f"got-{type(env).__name__ != ''}"


class StrSub(str):
    pass


class DictSub(dict[str, t.Any]):
    def __getattr__(self, name: str) -> str:
        return f"getattr-{name}"


@pass_context
def ctx_func(context: Context, *args: t.Any, **kwargs: t.Any) -> str:
    names = sorted(k for k in ("who", "inner", "bv") if k in context)
    return f"ctx[{context.get('who')}|{context.get('inner')}|{names}]{args}{sorted(kwargs.items())}"


@pass_eval_context
def eval_func(eval_ctx: t.Any, value: t.Any = "") -> str:
    return f"eval[{eval_ctx.autoescape}]{value}"


@pass_environment
def env_func(environment: jinja2.Environment, value: t.Any = "") -> str:
    return f"env[{environment.autoescape is not None}]{value}"


def with_call_attribute(*args: t.Any) -> str:
    return f"plain-call{args}"


@pass_context
def _call_attribute(context: Context, *args: t.Any) -> str:
    return f"attribute-call[{context.get('who')}]{args}"


setattr(with_call_attribute, "__call__", _call_attribute)


def stop() -> t.Any:
    raise StopIteration


def plain(*args: t.Any, **kwargs: t.Any) -> str:
    return f"<p>{args}{sorted(kwargs.items())}"


@pass_context
def ctx_filter(context: Context, value: t.Any) -> str:
    return f"{value}@{context.get('who')}"


@pass_context
def ctx_test(context: Context, value: t.Any) -> bool:
    return bool(value == context.get("who"))


TEMPLATES: dict[str, str] = {
    "output": "{{ s }}|{{ m }}|{{ h }}|{{ n }}|{{ f }}|{{ none }}|{{ sub }}|{{ '<lit>' }}|{{ 3 }}|{{ s ~ m }}",
    "dict_keys": "{{ d.name }}|{{ d.price }}|{{ d['name'] }}|{{ d.items }}|{{ d.keys() | list }}|{{ d.get('x') }}"
    "|{{ d.missing }}|{{ d.__class__ }}|{{ d.__len__() }}|{{ d.copy().name }}",
    "dict_method_keys": "{{ e.items }}|{{ e.items() | list }}|{{ e.values | list }}|{{ e.name }}",
    "dict_subclasses": "{{ ds.name }}|{{ ds.absent }}|{{ od.name }}|{{ dd.absent }}|{{ dd | length }}",
    "nested": "{{ d.inner.deep }}|{{ d.inner.nope }}|{{ d.name.upper() }}|{{ d.missing.deeper }}",
    "attributes": "{{ o.name }}|{{ o.price }}|{{ o.other }}|{{ o['name'] }}|{{ o.method() }}|{{ o.method }}",
    "item_errors": "{{ o.boom }}|{{ lst.name }}|{{ lst[1] }}|{{ n.real }}|{{ n.foo }}",
    "undefined": "{{ nothere }}|{{ nothere.attr }}|{% if nothere is defined %}y{% else %}n{% endif %}",
    "undefined_dict": "{{ d.nothere }}",
    "undefined_call": "{{ nothere() }}",
    "calls": "{{ ctx_func(1, k=2) }}|{{ eval_func('<x>') }}|{{ env_func(1) }}|{{ plain('<a>', b=1) }}"
    "|{{ callable_ctx('!') }}|{{ callable_env() }}|{{ callable_plain(1, z=2) }}|{{ o.ctx_method(5) }}"
    "|{{ stop() }}|{{ with_call_attribute(1) }}|{{ len(lst) }}|{{ partial_plain(7) }}|{{ marked() }}|{{ Obj().method() }}|{{ dict(a=1) }}",
    "loop_calls": "{% for i in lst %}{% set inner = i %}{{ ctx_func(i) }}{{ callable_ctx(i) }}"
    "{{ loop.cycle('a', 'b') }}{{ loop.index }}{{ loop.revindex0 }}{{ loop.first }}{% endfor %}",
    "block_calls": "{% block b %}{% set bv = 1 %}{{ ctx_func() }}{% endblock %}",
    "recursive": "{% for n in tree recursive %}[{{ n.name }}{% if n.children %}{{ loop(n.children) }}{% endif %}"
    "{{ loop.depth }}]{% endfor %}",
    "loop_misc": "{% for k, v in d | dictsort %}{{ k }}={{ v }}{% if not loop.last %},{% endif %}{% else %}empty"
    "{% endfor %}|{% for x in [] %}{% else %}none{% endfor %}|{% for x in lst if x > 1 %}{{ x }}"
    "{{ loop.previtem }}{{ loop.nextitem }}{% endfor %}|{% for x in lst %}{{ loop.changed(x // 2) }}{% endfor %}",
    "macros": "{% macro m(a, b='<d>') %}<{{ a }}|{{ b }}|{{ varargs }}|{{ kwargs }}>{% endmacro %}"
    "{{ m('<1>') }}{{ m(s, 2, 3, z=4) }}{{ m.name }}|{{ m }}",
    "call_block": "{% macro w(t) %}<div>{{ t }}{{ caller(t) }}</div>{% endmacro %}"
    "{% call(x) w('<t>') %}<b>{{ x }}</b>{{ s }}{% endcall %}",
    "set_block": "{% set x %}<b>{{ s }}</b>{% endset %}{{ x }}|{{ x | length }}|{% set y = s ~ m %}{{ y }}",
    "filter_block": "{% filter upper %}<a>{{ s }}{{ m }}</a>{% endfilter %}|{{ s | ctx_filter }}|{{ 'x' is ctx_test }}"
    "|{{ who is ctx_test }}|{{ '%.2f' | format(f) }}|{{ '%s-%s' | format(s, m) }}|{{ s | e }}|{{ s | safe }}",
    "volatile": "{% autoescape false %}{{ s }}{{ m }}{{ h }}{% endautoescape %}|{% autoescape true %}{{ s }}{{ m }}"
    "{{ h }}{% set v %}{{ s }}{% endset %}{{ v }}{% endautoescape %}|{% autoescape flag %}{{ s }}{{ n }}"
    "{% endautoescape %}",
    "namespace": "{% set ns = namespace(c=0) %}{% for i in lst %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}"
    "|{{ ns.missing }}|{{ range(3) | list }}|{{ cycler('a', 'b').next() }}|{{ joiner('/')() }}",
    "base": "<html>{% block title %}T{{ s }}{% endblock %}|{% block body %}B{% endblock %}"
    "|{{ self.title() }}</html>",
    "child": "{% extends 'base' %}{% block title %}C{{ super() }}{{ m }}{% endblock %}"
    "{% block body %}{% include 'inc' %}{{ d.name }}{% endblock %}",
    "inc": "<inc>{{ s }}{{ d.name }}{{ ctx_func() }}</inc>",
    "include_missing": "{% include 'nope' ignore missing %}|{% include ['nope', 'inc'] %}",
    "import": "{% import 'macros_lib' as lib %}{{ lib.greet(s) }}|{% from 'macros_lib' import greet %}{{ greet(m) }}"
    "|{{ lib.value }}",
    "macros_lib": "{% set value = '<v>' %}{% macro greet(x) %}hi {{ x }}{% endmacro %}",
    "globals": "{{ gval }}|{{ shadowed }}|{{ tglobal }}",
    "raises": "{{ d.name }}{{ boom() }}",
    "bad_filter": "{{ s | nosuchfilter }}",
    "strict_attr": "{{ d.missing ~ 'x' }}",
    "whitespace": "  {%- for i in lst -%}  {{ i }}  {%- endfor -%}  ",
}


_ADDRESS = re.compile("0x[0-9a-f]+")


def _boom() -> None:
    raise ValueError("boom <x>")


def _context() -> dict[str, t.Any]:
    return {
        "s": "<s>&'\"",
        "m": Markup("<m>"),
        "h": Html(),
        "n": 42,
        "f": 1.25,
        "none": None,
        "sub": StrSub("<sub>"),
        "d": {"name": "<dn>", "price": 2.5, "inner": {"deep": "<deep>"}, "items": "key-items"},
        "e": {"items": "<key>", "values": [1], "name": "e"},
        "ds": DictSub(name="<dsn>"),
        "od": collections.OrderedDict(name="<od>"),
        "dd": collections.defaultdict(str),
        "o": Obj(),
        "Obj": Obj,
        "lst": [1, 2, 3],
        "tree": [{"name": "a", "children": [{"name": "b", "children": []}]}, {"name": "c"}],
        "who": "me",
        "flag": True,
        "shadowed": "from-vars",
        "ctx_func": ctx_func,
        "eval_func": eval_func,
        "env_func": env_func,
        "plain": plain,
        "stop": stop,
        "with_call_attribute": with_call_attribute,
        "callable_ctx": CallableCtx(),
        "callable_env": CallableEnv(),
        "callable_plain": CallablePlain(),
        "partial_plain": functools.partial(plain, 0),
        "marked": MarkedInstance(),
        "len": len,
        "boom": _boom,
    }


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.globals.update(gval="<g>", shadowed="from-globals", dict=dict)
    env.filters["ctx_filter"] = ctx_filter
    env.tests["ctx_test"] = ctx_test
    return env


def _app() -> erlen.Erlen:
    return erlen.Erlen(__name__)


def _envs(**options: t.Any) -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = DictLoader(TEMPLATES)
    ours = _configure(Environment(_app(), loader=loader, **options))
    stock = _configure(jinja2.Environment(loader=loader, **options))
    return ours, stock


def _outcome(call: t.Callable[[], t.Any]) -> tuple[str, t.Any]:
    """The result or the exception's type and message, with object addresses blanked (they differ per run)."""
    try:
        return "ok", _ADDRESS.sub("0x?", call())
    except Exception as exc:  # the comparison is the point: same type, same message
        return type(exc).__name__, _ADDRESS.sub("0x?", str(exc))


def _render(env: jinja2.Environment, name: str, **extra: t.Any) -> tuple[str, t.Any]:
    def run() -> str:
        template = env.get_template(name, globals={"tglobal": "<tg>"})
        return template.render(_context(), **extra)

    return _outcome(run)


def _autoescape_by_name(name: str | None) -> bool:
    return name is not None and name != "output"


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("autoescape", [True, False, _autoescape_by_name], ids=["on", "off", "select"])
@pytest.mark.parametrize(
    "undefined", [Undefined, StrictUndefined, ChainableUndefined, DebugUndefined], ids=lambda u: u.__name__
)
def test_same_output_as_stock_jinja(name: str, autoescape: t.Any, undefined: type[Undefined]) -> None:
    ours, stock = _envs(autoescape=autoescape, undefined=undefined)
    assert _render(ours, name) == _render(stock, name)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_same_output_with_finalize(name: str) -> None:
    def finalize(value: t.Any) -> t.Any:
        return "<None>" if value is None else value

    @pass_context
    def finalize_ctx(context: Context, value: t.Any) -> t.Any:
        return f"[{value}]"

    for func in (finalize, finalize_ctx):
        ours, stock = _envs(autoescape=True, finalize=func)
        assert _render(ours, name) == _render(stock, name)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("autoescape", [True, False])
def test_same_output_async(name: str, autoescape: bool) -> None:
    ours, stock = _envs(autoescape=autoescape, enable_async=True)
    assert _render(ours, name) == _render(stock, name)


@pytest.mark.parametrize("name", ["child", "output", "volatile", "macros", "import"])
def test_generate_and_module_agree(name: str) -> None:
    ours, stock = _envs(autoescape=True)
    a, b = ours.get_template(name), stock.get_template(name)
    assert "".join(a.generate(_context())) == "".join(b.generate(_context()))
    assert str(a.make_module(_context())) == str(b.make_module(_context()))
    assert Markup(a.make_module(_context())) == Markup(b.make_module(_context()))


def test_macro_and_block_results_stay_markup() -> None:
    ours, _ = _envs(autoescape=True)
    module = ours.get_template("macros_lib").make_module({})
    assert isinstance(module.greet("<x>"), Markup)
    assert module.greet("<x>") == Markup("hi &lt;x&gt;")
    blocks = ours.get_template("base").new_context(_context())
    assert isinstance(blocks.blocks["title"][0], t.Callable)  # type: ignore[arg-type]


def test_plain_str_output_still_escapes_quotes_and_ampersands() -> None:
    ours, _ = _envs(autoescape=True)
    assert ours.from_string("{{ v }}").render(v="<a href='x'>&\"</a>") == (
        "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"
    )


def test_environment_getattr_called_directly() -> None:
    ours, stock = _envs()
    for obj, name in (({"a": 1}, "a"), ({"a": 1}, "items"), ({}, "nope"), (Obj(), "name"), ([1], "pop")):
        a, b = ours.getattr(obj, name), stock.getattr(obj, name)
        assert type(a) is type(b)
        assert str(a) == str(b)


def test_globals_changed_after_loading_are_seen() -> None:
    ours, stock = _envs()
    for env in (ours, stock):
        env.get_template("globals")
        env.globals["gval"] = "<changed>"
    assert _render(ours, "globals") == _render(stock, "globals")


def test_bytecode_cache_and_module_loader(tmp_path: Path) -> None:
    ours, stock = _envs(autoescape=True)
    (tmp_path / "bc").mkdir()
    cache = jinja2.FileSystemBytecodeCache(str(tmp_path / "bc"))
    ours.bytecode_cache = stock.bytecode_cache = cache
    for _ in range(2):  # second round loads the cached code
        ours.cache.clear()
        stock.cache.clear()
        assert _render(ours, "child") == _render(stock, "child")

    compiled = tmp_path / "compiled"
    ours.compile_templates(str(compiled), zip=None, filter_func=lambda name: name != "bad_filter")
    app = _app()
    from_modules = _configure(Environment(app, loader=jinja2.ModuleLoader(str(compiled)), autoescape=True))
    assert _render(from_modules, "child") == _render(stock, "child")
    assert _render(from_modules, "volatile") == _render(stock, "volatile")


def test_mixins_and_overrides_keep_their_own_pieces() -> None:
    class Sandboxed(Environment, SandboxedEnvironment):
        pass

    class Native(Environment, NativeEnvironment):
        pass

    class MyContext(Context):
        pass

    class Mine(Environment):
        context_class = MyContext

    class MineChild(Mine):
        pass

    assert Sandboxed.getattr is SandboxedEnvironment.getattr
    assert Native.template_class is NativeEnvironment.template_class
    assert MineChild.context_class is MyContext
    assert MineChild.template_class is FastTemplate
    assert Environment.context_class is FastContext

    sandboxed = Sandboxed(_app(), loader=DictLoader({"t": "{{ f.__code__ }}|{{ d.name }}"}))
    stock_sandboxed = SandboxedEnvironment(loader=DictLoader({"t": "{{ f.__code__ }}|{{ d.name }}"}))
    assert _outcome(lambda: sandboxed.get_template("t").render(f=plain, d={"name": 1})) == _outcome(
        lambda: stock_sandboxed.get_template("t").render(f=plain, d={"name": 1})
    )
    assert Native(_app()).from_string("{{ a }}{{ b }}").render(a=1, b=2) == 12

    mine = MineChild(_app())
    rendered = mine.from_string("{{ d.name }}").render(d={"name": "x"})
    assert rendered == "x"
    assert type(mine.from_string("").new_context({})) is MyContext


def test_app_with_its_own_environment_class_and_options() -> None:
    class MyContext(Context):
        pass

    class MyEnvironment(Environment):
        context_class = MyContext

    class App(erlen.Erlen):
        jinja_environment = MyEnvironment
        jinja_options = {"undefined": StrictUndefined}

    app = App(__name__)
    with app.app_context():
        assert type(app.jinja_env.from_string("").new_context({})) is MyContext
        with pytest.raises(jinja2.UndefinedError):
            erlen.render_template_string("{{ d.missing }}", d={})
        assert erlen.render_template_string("{{ d.items }}|{{ d.a }}", d={"a": "<a>"}).startswith(
            "&lt;built-in method items"
        )


def test_render_template_matches_stock(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "{% for item in items %}<li class=\"{{ loop.cycle('odd', 'even') }}\">{{ item.name }}: "
        '{{ "%.2f"|format(item.price) }}</li>{% endfor %}{{ g.x }}|{{ request.path }}|{{ config.DEBUG }}'
    )
    app = erlen.Erlen(__name__, template_folder=str(tmp_path))
    items = [{"name": f"<item-{i}>", "price": i * 1.25} for i in range(3)]
    stock = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True)
    with app.test_request_context("/p"):
        erlen.g.x = "<gx>"
        rendered = erlen.render_template("page.html", items=items)
        expected = stock.get_template("page.html").render(
            items=items, g=erlen.g, request=erlen.request, config=app.config
        )
    assert rendered == expected


def _frames(env: jinja2.Environment, source: str, **values: t.Any) -> list[str]:
    try:
        env.from_string(source).render(**values)
    except ValueError as exc:
        return [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
    raise AssertionError("no error")


def test_tracebacks_hide_the_same_frames() -> None:
    ours, stock = _envs()
    source = "{% for i in lst %}{{ boom() }}{% endfor %}"
    assert _frames(ours, source, lst=[1], boom=_boom) == _frames(stock, source, lst=[1], boom=_boom)
    assert _frames(ours, "{{ f() }}", f=functools.partial(_boom)) == _frames(
        stock, "{{ f() }}", f=functools.partial(_boom)
    )
