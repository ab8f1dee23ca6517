"""url_for's shortcut (erlen.sansio.urlbuild) must build exactly what Werkzeug's MapAdapter.build builds."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.routing import BuildError

from erlen import Blueprint, Erlen, url_for
from erlen.sansio.urlbuild import build_internal_path


def make_app() -> Erlen:
    app = Erlen(__name__)

    def view(**kwargs: t.Any) -> str:
        return "ok"

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/users/<int:user_id>/posts/<slug>", "post", view)
    app.add_url_rule("/files/<path:name>", "file", view)
    app.add_url_rule("/item/<uuid:key>", "item", view)
    app.add_url_rule("/pick/<any(a, b):choice>", "pick", view)
    app.add_url_rule("/price/<float:amount>", "price", view)
    app.add_url_rule("/only-post", "method", view, methods=["POST"])
    app.add_url_rule("/only-put", "method", view, methods=["PUT"])
    app.add_url_rule("/pages/", "pages", view, defaults={"page": 1})
    app.add_url_rule("/pages/<int:page>", "pages", view)
    app.add_url_rule("/two/<a>", "two", view)
    app.add_url_rule("/two/<a>/<b>", "two", view)
    app.add_url_rule("/fixed/<int(fixed_digits=3):n>", "fixed", view)
    app.add_url_rule("/sub", "sub", view, subdomain="api")
    app.add_url_rule("/ws", "ws", view, websocket=True)
    return app


CALLS: list[tuple[str, dict[str, t.Any], str | None]] = [
    ("index", {}, None),
    ("index", {"q": "a b", "tags": ["x", "y"]}, None),
    ("post", {"user_id": 42, "slug": "hello world/ä"}, None),
    ("post", {"user_id": 42, "slug": "s", "extra": 1}, None),
    ("post", {"slug": "s", "user_id": 42}, None),
    ("file", {"name": "css/site.css"}, None),
    ("item", {"key": "12345678-1234-5678-1234-567812345678"}, None),
    ("pick", {"choice": "a"}, None),
    ("price", {"amount": 1.5}, None),
    ("method", {}, None),
    ("method", {}, "PUT"),
    ("method", {}, "POST"),
    ("pages", {}, None),
    ("pages", {"page": 1}, None),
    ("pages", {"page": 3}, None),
    ("two", {"a": "x"}, None),
    ("two", {"a": "x", "b": "y"}, None),
    ("two", {"a": "x", "b": None}, None),
    ("fixed", {"n": 7}, None),
    ("sub", {}, None),
    ("ws", {}, None),
]


@pytest.mark.parametrize(("endpoint", "values", "method"), CALLS)
@pytest.mark.parametrize("root", ["", "/app"])
def test_shortcut_agrees_with_werkzeug(
    endpoint: str, values: dict[str, t.Any], method: str | None, root: str
) -> None:
    app = make_app()
    with app.test_request_context("/", base_url=f"http://localhost{root}"):
        adapter = app.create_url_adapter(None) or _request_adapter()
        for _ in range(2):  # the second call uses the remembered rule
            fast = build_internal_path(adapter, endpoint, dict(values), method)
            try:
                expected: str | None = adapter.build(endpoint, dict(values), method=method)
            except BuildError:
                expected = None
            if fast is not None:
                assert fast == expected
            assert url_for(endpoint, _method=method, **values) == expected if expected else True


def _request_adapter() -> t.Any:
    from erlen.globals import _cv_request

    return _cv_request.get().url_adapter


def test_unknown_endpoint_is_werkzeug_build_error() -> None:
    app = make_app()
    with app.test_request_context("/"), pytest.raises(BuildError):
        url_for("missing")


def test_new_rule_is_seen() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("index", x=1) == "/?x=1"
    app.add_url_rule("/index/<x>", "index")
    with app.test_request_context("/"):
        assert url_for("index", x=1) == "/index/1"


def test_url_defaults_and_relative_endpoints() -> None:
    app = make_app()
    bp = Blueprint("bp", __name__, url_prefix="/<lang>")

    @bp.url_defaults
    def add_lang(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("lang", "en")

    @bp.route("/about")
    def about(lang: str) -> str:
        return lang

    app.register_blueprint(bp)
    with app.test_request_context("/en/about"):
        assert url_for("bp.about") == "/en/about"
        assert url_for(".about", lang="de") == "/de/about"
        assert url_for("bp.about", _anchor="a b") == "/en/about#a%20b"
        assert url_for("bp.about", _external=True) == "http://localhost/en/about"


def test_shortcut_applies_to_plain_rules() -> None:
    app = make_app()
    with app.test_request_context("/app/", base_url="http://localhost/app"):
        adapter = _request_adapter()
        assert (
            build_internal_path(adapter, "post", {"user_id": 1, "slug": "a"}, None) == "/app/users/1/posts/a"
        )
        assert build_internal_path(adapter, "index", {"q": "x"}, None) == "/app/?q=x"
        for endpoint, values in (("pages", {}), ("sub", {}), ("ws", {}), ("two", {"a": "x", "b": None})):
            assert build_internal_path(adapter, endpoint, values, None) is None


#: Every printable ASCII punctuation character, two controls and three non-ASCII letters.
TRICKY_CHARACTERS = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\x00\x7f\u00e4\u00e9\u2603"
_TEXT = st.text(alphabet=st.sampled_from("aZ09_.~-!$&'()*+,/:;=@?# %ä\u2603\x00"), max_size=8)
_VALUE = st.one_of(
    _TEXT,
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(_TEXT, max_size=2),
)
_NAME = st.sampled_from(["q", "page", "a b", "x&y", "é", "slug_2"])


_PATH_VALUE = st.one_of(_TEXT, st.integers(0, 10**6), _VALUE)  # mostly values a template may write


@settings(max_examples=500, deadline=None)
@given(
    endpoint=st.sampled_from(["index", "post", "file", "two"]),
    path_values=st.fixed_dictionaries(
        {"user_id": _PATH_VALUE, "slug": _PATH_VALUE, "name": _PATH_VALUE, "a": _PATH_VALUE}
    ),
    query=st.dictionaries(_NAME, _VALUE, max_size=3),
    root=st.sampled_from(["", "/app"]),
)
def test_plans_agree_with_werkzeug_on_any_values(
    endpoint: str, path_values: dict[str, t.Any], query: dict[str, t.Any], root: str
) -> None:
    """The template and the plain query string write what Werkzeug's builder writes, or leave it to it."""
    arguments = {"index": (), "post": ("user_id", "slug"), "file": ("name",), "two": ("a",)}[endpoint]
    values = {name: path_values[name] for name in arguments}
    values.update((name, value) for name, value in query.items() if name not in values)
    app = make_app()
    with app.test_request_context("/", base_url=f"http://localhost{root}"):
        adapter = _request_adapter()
        for _ in range(2):
            try:
                expected: str | None = adapter.build(endpoint, dict(values))
            except BuildError:
                expected = None
            except (ValueError, TypeError, OverflowError) as e:  # a refused value raises from both
                with pytest.raises(type(e)):
                    build_internal_path(adapter, endpoint, dict(values), None)
                continue
            fast = build_internal_path(adapter, endpoint, dict(values), None)
            if fast is not None:
                assert fast == expected


@pytest.mark.parametrize("char", [*TRICKY_CHARACTERS, "a"])
def test_every_character_in_path_and_query_values_is_written_as_werkzeug_writes_it(char: str) -> None:
    app = make_app()
    with app.test_request_context("/"):
        adapter = _request_adapter()
        text = f"a{char}b"
        for endpoint, values in (
            ("post", {"user_id": 7, "slug": text}),
            ("file", {"name": text}),
            ("two", {"a": text, "q": 1}),
            ("index", {"q": text, "page": 2}),
            ("index", {f"k{char}": "v"}),
        ):
            for _ in range(2):
                expected = adapter.build(endpoint, dict(values))
                assert build_internal_path(adapter, endpoint, dict(values), None) in (expected, None)
            if char in "-._~!$'()*,/:;@a":  # characters neither the path nor the query quotes
                assert build_internal_path(adapter, endpoint, dict(values), None) == expected
