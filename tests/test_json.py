"""erlen.json functions and the JSON providers, with a stand-in app (no core needed)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import gc
import io
import json as stdlib_json
import typing as t
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from erlen import json
from erlen.globals import _cv_app
from erlen.json.provider import DefaultJSONProvider, JSONProvider


class StandInApp:
    """What providers use of an app: ``debug`` and ``response_class``."""

    response_class = Response

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.json = DefaultJSONProvider(self)  # type: ignore[arg-type]


@pytest.fixture
def app() -> StandInApp:
    return StandInApp()


@pytest.fixture
def app_ctx(app: StandInApp) -> Iterator[None]:
    token = _cv_app.set(SimpleNamespace(app=app))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _cv_app.reset(token)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class HasHTML:
    def __html__(self) -> str:
        return "<p>test</p>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (decimal.Decimal("0.003"), '"0.003"'),
        (uuid.UUID(int=255), f'"{uuid.UUID(int=255)}"'),
        (datetime.date(1975, 1, 5), f'"{http_date(datetime.date(1975, 1, 5))}"'),
        (Point(1, 2), '{"x": 1, "y": 2}'),
        (HasHTML(), '"<p>test</p>"'),
        (Markup("<b>"), '"<b>"'),
    ],
)
def test_extra_types_without_app(value: t.Any, expected: str) -> None:
    assert json.dumps(value) == expected


def test_aware_datetime_is_gmt() -> None:
    tz = datetime.timezone(datetime.timedelta(hours=-8), "PST")
    dt = datetime.datetime(2017, 1, 1, 12, 34, 56, tzinfo=tz)
    assert json.dumps(dt) == '"Sun, 01 Jan 2017 20:34:56 GMT"'


def test_unknown_type_raises() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        json.dumps(object())


def test_module_functions_without_app_use_stdlib_defaults() -> None:
    assert json.dumps({"b": 1, "a": "\u2603"}) == stdlib_json.dumps({"b": 1, "a": "\u2603"})
    out = io.StringIO()
    json.dump({"a": 1}, out)
    out.seek(0)
    assert json.load(out) == {"a": 1}
    assert json.loads('{"a": [1]}') == {"a": [1]}


@pytest.mark.usefixtures("app_ctx")
def test_module_functions_use_app_provider(app: StandInApp) -> None:
    # The provider sorts keys; the stdlib default would not.
    assert json.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    app.json.sort_keys = False
    assert json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
    app.json.ensure_ascii = False
    assert json.dumps("\N{SNOWMAN}") == '"\u2603"'
    app.json.ensure_ascii = True
    assert json.dumps("\N{SNOWMAN}") == '"\\u2603"'

    out = io.StringIO()
    json.dump({"name": "Erlen"}, out)
    out.seek(0)
    assert json.load(out) == {"name": "Erlen"}


def test_dumps_kwargs_override_settings(app: StandInApp) -> None:
    assert app.json.dumps({"b": 1, "a": 2}, sort_keys=False, indent=None) == '{"b": 1, "a": 2}'
    assert app.json.dumps({"a": 1}, separators=(",", ":")) == '{"a":1}'


def test_instance_default_replaces_encoder(app: StandInApp) -> None:
    class X:
        pass

    assert app.json.dumps(datetime.date(2000, 1, 1)).startswith('"Sat')

    def default(o: t.Any) -> t.Any:
        if isinstance(o, X):
            return "<X>"
        return DefaultJSONProvider.default(o)

    app.json.default = default
    assert app.json.dumps([X()]) == '["<X>"]'
    assert app.json.response(X()).get_data() == b'"<X>"\n'


@pytest.mark.usefixtures("app_ctx")
def test_jsonify_forms() -> None:
    rv = json.jsonify({"b": 1, "a": [1, 2]})
    assert rv.mimetype == "application/json"
    assert rv.get_data() == b'{"a":[1,2],"b":1}\n'
    assert json.jsonify(1, 2).get_data() == b"[1,2]\n"
    assert json.jsonify(a=1).get_data() == b'{"a":1}\n'
    assert json.jsonify().get_data() == b"null\n"
    with pytest.raises(TypeError, match="either args or kwargs"):
        json.jsonify(1, a=2)


def test_jsonify_needs_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        json.jsonify(1)


def test_response_is_pretty_in_debug(app: StandInApp) -> None:
    app.debug = True
    assert app.json.response({"b": 1, "a": 2}).get_data(as_text=True) == '{\n  "a": 2,\n  "b": 1\n}\n'
    app.json.compact = True
    assert app.json.response({"a": 2}).get_data() == b'{"a":2}\n'
    app.debug = False
    app.json.compact = False
    assert app.json.response([1]).get_data() == b"[\n  1\n]\n"


def test_response_output_matches_stdlib(app: StandInApp) -> None:
    data = {"z": [1, 2.5, None, True], "a": {"\u00e9": "\u2603"}, "m": "x"}
    expected = stdlib_json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    assert app.json.response(data).get_data(as_text=True) == expected + "\n"


def test_subclass_dumps_is_used_by_response(app: StandInApp) -> None:
    class Upper(DefaultJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    provider = Upper(app)  # type: ignore[arg-type]
    assert provider.response({"a": "b"}).get_data() == b'{"A":"B"}\n'


def test_custom_loads_hook(app: StandInApp) -> None:
    class Hooked(DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            kwargs.setdefault("object_hook", lambda d: tuple(d.items()))
            return super().loads(s, **kwargs)

    assert Hooked(app).loads('{"a": 1}') == (("a", 1),)  # type: ignore[arg-type]


def test_base_provider_is_abstract(app: StandInApp) -> None:
    provider = JSONProvider(app)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        provider.dumps(1)
    with pytest.raises(NotImplementedError):
        provider.loads("1")


def test_provider_does_not_keep_app_alive() -> None:
    app = StandInApp()
    provider = app.json
    del app
    gc.collect()
    with pytest.raises(ReferenceError):
        provider._app.debug  # noqa: B018


def test_orjson_provider_is_opt_in(app: StandInApp) -> None:
    pytest.importorskip("orjson")
    from erlen.json.provider import OrjsonProvider

    assert type(app.json) is DefaultJSONProvider
    provider = OrjsonProvider(app)  # type: ignore[arg-type]
    data = {
        "b": [1, 2],
        "a": datetime.datetime(2021, 2, 1, 7, 15),
        "u": uuid.UUID(int=1),
        "d": decimal.Decimal("1.5"),
    }
    assert provider.loads(provider.dumps(data)) == stdlib_json.loads(app.json.dumps(data))
    assert provider.dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'
    assert provider.dumps({"b": 1}, indent=2) == '{\n  "b": 1\n}'
    assert provider.response({"a": 1}).get_data() == b'{"a":1}\n'
    app.debug = True
    assert provider.response({"a": 1}).get_data() == b'{\n  "a": 1\n}\n'


@dataclasses.dataclass
class _Point:
    x: int
    y: float


_ONE_SHOT_VALUES: list[t.Any] = [
    {"b": 1, "a": [1, 2.5, None, True, False], "é": "ünïcode \u2028 \x00"},
    [1.0, float("nan"), float("inf"), -float("inf"), 1e300, -0.0],
    {1: "int key", "2": "str key", 3.5: "float key", False: "bool key", None: "none key"},
    {"nested": {"deeper": [{"deepest": []}, {}]}},
    'a top-level string with "quotes" and \\ backslashes',
    42,
    None,
    {"when": datetime.datetime(2026, 11, 24, 6, 30, tzinfo=datetime.timezone.utc), "id": uuid.UUID(int=7)},
    {"amount": decimal.Decimal("10.50"), "point": _Point(1, 2.5), "html": Markup("<b>x</b>")},
    (1, 2, 3),
]


@pytest.mark.parametrize("value", _ONE_SHOT_VALUES, ids=[str(i) for i in range(len(_ONE_SHOT_VALUES))])
@pytest.mark.parametrize("sort_keys", [True, False])
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_one_shot_encoder_matches_json_encoder(value: t.Any, sort_keys: bool, ensure_ascii: bool) -> None:
    """The prebuilt compact encoder gives ``JSONEncoder.encode``'s text, or raises its exception."""
    from erlen.json.provider import _default, _one_shot

    settings: dict[str, t.Any] = {"default": _default, "sort_keys": sort_keys, "ensure_ascii": ensure_ascii}
    reference = stdlib_json.JSONEncoder(**settings, separators=(",", ":"))
    fast = _one_shot(stdlib_json.JSONEncoder(**settings, separators=(",", ":")))
    try:
        expected: t.Any = reference.encode(value)
    except Exception as e:
        with pytest.raises(type(e)):
            fast(value)
        return
    assert fast(value) == expected


def test_one_shot_encoder_refuses_circular_data_every_time() -> None:
    from erlen.json.provider import _default, _one_shot

    fast = _one_shot(stdlib_json.JSONEncoder(default=_default, separators=(",", ":")))
    loop: list[t.Any] = []
    loop.append(loop)
    for _ in range(2):
        with pytest.raises(ValueError, match="Circular reference"):
            fast(loop)
    # The markers of a failed call do not leak into the next one.
    shared = [1]
    assert fast([shared, shared]) == "[[1],[1]]"


def test_one_shot_encoder_recovers_after_a_failed_call() -> None:
    """A call that fails half-way (markers left behind) does not change the answer of later calls."""
    from erlen.json.provider import _default, _one_shot

    fast = _one_shot(stdlib_json.JSONEncoder(default=_default, separators=(",", ":")))
    for _ in range(3):
        with pytest.raises(TypeError):
            fast({"a": [{"b": object()}]})
        assert fast({"a": [{"b": 1}]}) == '{"a":[{"b":1}]}'


def test_one_shot_encoder_shared_between_threads() -> None:
    """Threads encoding the same object at once (switching inside ``default``) never see each other's markers."""
    import threading
    import time

    from erlen.json.provider import _default, _one_shot

    def slow_default(o: t.Any) -> t.Any:
        time.sleep(0.0005)  # give up the GIL while the shared encoder's markers are in use
        return _default(o)

    fast = _one_shot(stdlib_json.JSONEncoder(default=slow_default, separators=(",", ":")))
    shared = {"when": datetime.date(2026, 12, 6), "items": [{"n": i} for i in range(5)]}
    expected = stdlib_json.JSONEncoder(default=slow_default, separators=(",", ":")).encode(shared)
    failures: list[BaseException] = []
    results: list[str] = []

    def worker() -> None:
        try:
            for _ in range(50):
                results.append(fast(shared))
        except BaseException as e:  # pragma: no cover - reported below
            failures.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert results == [expected] * 200


def test_stock_debug_property_is_recognised_through_the_weak_proxy() -> None:
    """The provider reads DEBUG from the config when the app keeps the stock ``debug`` property, and calls an
    overriding property otherwise (the provider holds the app through a weakref proxy, not its class)."""
    import erlen

    stock = erlen.Erlen(__name__)
    assert stock.json._build_encoders()[3] is True  # type: ignore[attr-defined]
    stock.config["DEBUG"] = True
    with stock.app_context():
        assert json.jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'

    class AlwaysDebug(erlen.Erlen):
        @property
        def debug(self) -> bool:
            return True

    own = AlwaysDebug(__name__)
    assert own.json._build_encoders()[3] is False  # type: ignore[attr-defined]
    with own.app_context():
        assert json.jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'
