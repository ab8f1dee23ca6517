"""The context proxies behave as Werkzeug's LocalProxy over the same context variables.

Each operation is run on Erlen's proxy and on a ``werkzeug.local.LocalProxy`` built the way Flask builds its
own, bound and unbound; the results (value, or exception type and message) must be the same.
"""

from __future__ import annotations

import copy
import operator
import typing as t
from contextvars import ContextVar, copy_context

import pytest
from werkzeug.local import LocalProxy

from erlen import Erlen
from erlen import globals as erlen_globals
from erlen.ctx import _AppCtxGlobals

Outcome = tuple[str, t.Any]


def outcome(op: t.Callable[[t.Any], t.Any], proxy: t.Any) -> Outcome:
    """What ``op(proxy)`` returns, or the exception it raises as (type, message)."""
    try:
        return ("value", op(proxy))
    except Exception as e:
        return ("raised", (type(e), str(e)))


def reference(var: ContextVar[t.Any], name: str | None, message: str) -> t.Any:
    """Flask's proxy for the same variable and attribute."""
    return LocalProxy(var, name, unbound_message=message)


ref_g = reference(erlen_globals._cv_app, "g", erlen_globals._no_app_msg)
ref_app = reference(erlen_globals._cv_app, "app", erlen_globals._no_app_msg)
ref_app_ctx = reference(erlen_globals._cv_app, None, erlen_globals._no_app_msg)
ref_request = reference(erlen_globals._cv_request, "request", erlen_globals._no_req_msg)
ref_session = reference(erlen_globals._cv_request, "session", erlen_globals._no_req_msg)
ref_request_ctx = reference(erlen_globals._cv_request, None, erlen_globals._no_req_msg)

G_OPERATIONS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "contains": lambda p: "name" in p,
    "contains missing": lambda p: "missing" in p,
    "iter": lambda p: sorted(iter(p)),
    "get": lambda p: p.get("name"),
    "get default": lambda p: p.get("missing", 1),
    "getattr": lambda p: p.name,
    "getattr missing": lambda p: p.missing,
    "hasattr missing": lambda p: hasattr(p, "missing"),
    "getattr default": lambda p: getattr(p, "missing", "dflt"),
    "setdefault existing": lambda p: p.setdefault("name", "other"),
    "pop missing with default": lambda p: p.pop("missing", 2),
    "pop missing": lambda p: p.pop("missing"),
    "repr": repr,
    "str": str,
    "bool": bool,
    "isinstance globals": lambda p: isinstance(p, _AppCtxGlobals),
    "isinstance LocalProxy": lambda p: isinstance(p, LocalProxy),
    "__class__": lambda p: p.__class__.__name__,
    "current object": lambda p: p._get_current_object(),
    "copy": lambda p: type(copy.copy(p)),
    "eq": lambda p: p == p._get_current_object(),
    "dir has name": lambda p: "name" in dir(p),
    "delattr missing": lambda p: delattr(p, "missing"),
    "underscore name": lambda p: p._private,
    "underscore missing": lambda p: p._missing,
    "dunder dict": lambda p: sorted(p.__dict__),
    "len": len,
    "getitem": lambda p: p["name"],
    "setitem": lambda p: p.__setitem__("name", 1),
    "delitem": lambda p: p.__delitem__("name"),
    "item syntax": lambda p: operator.setitem(p, "name", 1),
}


@pytest.mark.parametrize("op", list(G_OPERATIONS), ids=list(G_OPERATIONS))
def test_g_matches_local_proxy(app: Erlen, op: str) -> None:
    func = G_OPERATIONS[op]
    with app.app_context() as ctx:
        ctx.g.name = "value"
        ctx.g._private = "hidden"
        assert outcome(func, erlen_globals.g) == outcome(func, ref_g)
        assert sorted(ctx.g.__dict__) == ["_private", "name"]


@pytest.mark.parametrize("op", list(G_OPERATIONS), ids=list(G_OPERATIONS))
def test_g_unbound_matches_local_proxy(op: str) -> None:
    func = G_OPERATIONS[op]
    ours = outcome(func, erlen_globals.g)
    assert ours == outcome(func, ref_g)
    # Werkzeug gives these a fallback when unbound (or Python turns the error into a TypeError); the rest raise.
    fallbacks = (
        "bool",
        "repr",
        "str",
        "iter",
        "isinstance globals",
        "isinstance LocalProxy",
        "__class__",
        "copy",
    )
    if op not in (*fallbacks, "dir has name"):
        assert ours == ("raised", (RuntimeError, erlen_globals._no_app_msg))


def test_g_writes_go_to_the_current_context(app: Erlen) -> None:
    g = erlen_globals.g
    with app.app_context() as outer:
        g.user = "a"
        assert outer.g.user == "a"
        with app.app_context() as inner:
            assert "user" not in g
            g.user = "b"
            assert g.setdefault("other", 3) == 3
            assert inner.g.__dict__ == {"user": "b", "other": 3}
        assert g.user == "a"
        assert g.pop("user") == "a"
        g.gone = 1
        del g.gone
        assert outer.g.__dict__ == {}
        with pytest.raises(AttributeError):
            del g.gone


def test_writes_and_deletes_outside_a_context_raise_the_flask_message() -> None:
    g = erlen_globals.g
    for op in (lambda: setattr(g, "x", 1), lambda: delattr(g, "x"), lambda: g.x):
        with pytest.raises(RuntimeError) as info:
            op()
        assert str(info.value) == erlen_globals._no_app_msg
    for proxy in (erlen_globals.request, erlen_globals.session, erlen_globals.request_ctx):
        with pytest.raises(RuntimeError) as info:
            proxy.anything  # noqa: B018
        assert str(info.value) == erlen_globals._no_req_msg
        with pytest.raises(RuntimeError):
            setattr(proxy, "x", 1)


def test_proxied_names_follow_a_replaced_g(app: Erlen) -> None:
    """The proxy reads ``ctx.g`` each time, so replacing the namespace object is seen (as with LocalProxy)."""
    with app.app_context() as ctx:
        ctx.g = _AppCtxGlobals()
        erlen_globals.g.value = 1
        assert ctx.g.value == 1
        assert erlen_globals.g._get_current_object() is ctx.g


def test_request_session_and_app_proxies_match_local_proxy(app: Erlen) -> None:
    pairs = [
        (erlen_globals.request, ref_request),
        (erlen_globals.session, ref_session),
        (erlen_globals.request_ctx, ref_request_ctx),
        (erlen_globals.current_app, ref_app),
        (erlen_globals.app_ctx, ref_app_ctx),
    ]
    with app.test_request_context("/path?a=1", method="POST", data={"f": "v"}):
        erlen_globals.session["k"] = "v"
        checks: list[t.Callable[[t.Any], t.Any]] = [
            lambda p: p._get_current_object(),
            lambda p: p.__class__,
            lambda p: isinstance(p, LocalProxy),
            repr,
            bool,
            lambda p: getattr(p, "missing_attribute"),
        ]
        for ours, ref in pairs:
            for check in checks:
                assert outcome(check, ours) == outcome(check, ref)
        mapping_checks: list[t.Callable[[t.Any], t.Any]] = [
            lambda p: p["k"],
            lambda p: p["missing"],
            lambda p: "k" in p,
            lambda p: sorted(p),
            len,
            lambda p: p.__delitem__("missing"),
        ]
        for check in mapping_checks:
            assert outcome(check, erlen_globals.session) == outcome(check, ref_session)
        request = erlen_globals.request
        assert (request.method, request.path, request.args["a"], request.form["f"]) == (
            "POST",
            "/path",
            "1",
            "v",
        )
        assert erlen_globals.session["k"] == "v" and "k" in erlen_globals.session
        assert erlen_globals.session.get("k") == "v"
        assert erlen_globals.current_app.name == app.name
        assert erlen_globals.request_ctx.request is request._get_current_object()
        assert erlen_globals.app_ctx.app is app
        request.custom = 5
        assert request._get_current_object().custom == 5
        del request.custom
        assert not hasattr(request, "custom")


def test_proxies_are_unbound_in_a_fresh_context(app: Erlen) -> None:
    with app.test_request_context():
        assert bool(erlen_globals.request)
        fresh = copy_context()
    assert fresh.run(lambda: bool(erlen_globals.request)) is True
    assert copy_context().run(lambda: bool(erlen_globals.request)) is False
