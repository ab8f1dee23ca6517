"""RouteMap's matcher (erlen.sansio.matcher) must answer exactly what Werkzeug's matcher answers."""

from __future__ import annotations

import random
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, MapAdapter, RequestRedirect, Rule

from erlen.sansio.routing import RouteMap, RouteMapAdapter


class TwoLetters(BaseConverter):
    """A custom converter: never joined into RouteMap's patterns, always left to Werkzeug."""

    regex = "[a-z]{2}"


STATIC = ["a", "b", "users", "x-y", "v1.json"]
CONVERTERS = [
    "<p{n}>",
    "<string(length=2):p{n}>",
    "<int:p{n}>",
    "<int(signed=True):p{n}>",
    "<int(min=2, max=9):p{n}>",
    "<float:p{n}>",
    "<uuid:p{n}>",
    "<any(a, bb):p{n}>",
    "<two:p{n}>",
    "v<int:p{n}>.json",
    "<path:p{n}>",
]
UUID = "12345678-1234-5678-1234-567812345678"
PATH_SEGMENTS = ["a", "b", "bb", "users", "x-y", "1", "-1", "7", "1.5", "aa", "ab", UUID, "v3.json", "", "Z"]
METHODS = ["GET", "POST", "PUT"]


def random_rule(rng: random.Random, index: int) -> Rule:
    parts = []
    for n in range(rng.randint(1, 3)):
        if rng.random() < 0.45:
            parts.append(rng.choice(STATIC))
        else:
            parts.append(rng.choice(CONVERTERS).format(n=n))
    path = "/" + "/".join(parts)
    if rng.random() < 0.2:
        path += "/"
    options: dict[str, t.Any] = {}
    roll = rng.random()
    if roll < 0.2:
        options["methods"] = rng.sample(METHODS, rng.randint(1, 2))
    if rng.random() < 0.1:
        options["strict_slashes"] = False
    if rng.random() < 0.05:
        options["redirect_to"] = "/a"
    if rng.random() < 0.05 and "methods" not in options:
        options["websocket"] = True
    endpoint = f"e{index}"
    if rng.random() < 0.1:
        endpoint = f"e{rng.randint(0, index)}"  # share an endpoint, sometimes one with defaults
    if rng.random() < 0.05:
        options["defaults"] = {"d": 1}
    return Rule(path, endpoint=endpoint, **options)  # may raise ValueError: the caller skips it


def build_map(seed: int, count: int) -> RouteMap:
    rng = random.Random(seed)
    url_map = RouteMap(converters={"two": TwoLetters})
    url_map.add(Rule("/", endpoint="index"))
    if seed % 5 == 0:
        url_map.add(Rule("/s/<x>", endpoint="sub", subdomain="api"))
    for index in range(count):
        try:
            url_map.add(random_rule(rng, index))
        except ValueError:
            continue  # e.g. defaults naming no argument clash with the rule; not our concern
    return url_map


def outcome(adapter: MapAdapter, path: str, method: str) -> tuple[t.Any, ...]:
    try:
        rule, values = adapter.match(path, method, return_rule=True)
    except RequestRedirect as e:
        return ("redirect", e.new_url)
    except HTTPException as e:
        valid = sorted(getattr(e, "valid_methods", None) or ())
        return ("error", type(e).__name__, valid)
    return ("match", id(rule), dict(values))


def compare(url_map: RouteMap, paths: t.Iterable[str]) -> None:
    for path in paths:
        for method in METHODS:
            werkzeug = MapAdapter(url_map, "localhost", "/", "", "http", path, method, "")
            ours = RouteMapAdapter(url_map, "localhost", "/", "", "http", path, method, "")
            assert outcome(ours, path, method) == outcome(werkzeug, path, method), (path, method)


def all_paths(depth: int) -> list[str]:
    paths = [""]
    result = []
    for _ in range(depth):
        paths = [f"{p}/{s}" for p in paths for s in PATH_SEGMENTS]
        result.extend(paths)
    return result


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize(("split_above", "max_branches"), [(16, 48), (1, 1000), (2, 3)])
def test_agrees_with_werkzeug_on_generated_maps(
    seed: int, split_above: int, max_branches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small limits split buckets at every depth and leave many groups to Werkzeug.
    monkeypatch.setattr("erlen.sansio.matcher._SPLIT_ABOVE", split_above)
    monkeypatch.setattr("erlen.sansio.matcher._MAX_BRANCHES", max_branches)
    url_map = build_map(seed, 60)
    compare(url_map, all_paths(3)[:: 7 + seed % 3])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    segments=st.lists(st.lists(st.sampled_from(PATH_SEGMENTS), min_size=1, max_size=4), max_size=30),
)
def test_agrees_with_werkzeug_property(seed: int, segments: list[list[str]]) -> None:
    url_map = build_map(seed, 40)
    compare(url_map, ["/" + "/".join(path) for path in segments])


def test_priorities_and_shortcut_use() -> None:
    url_map = RouteMap()
    for path, endpoint in [
        ("/users/<int:id>", "by_id"),
        ("/users/<name>", "by_name"),
        ("/users/me", "me"),
        ("/<path:rest>", "catch_all"),
        ("/files/<path:name>/edit", "edit"),
    ]:
        url_map.add(Rule(path, endpoint=endpoint))
    adapter = RouteMapAdapter(url_map, "localhost", "/", "", "http", "/", "GET", "")
    assert url_map.match_path("/users/42", "GET", False) is not None
    assert adapter.match("/users/42") == ("by_id", {"id": 42})
    assert adapter.match("/users/bob") == ("by_name", {"name": "bob"})
    assert adapter.match("/users/me") == ("me", {})
    assert adapter.match("/files/a/b/edit") == ("edit", {"name": "a/b"})
    assert adapter.match("/x/y") == ("catch_all", {"rest": "x/y"})


def test_rules_given_to_the_constructor() -> None:
    url_map = RouteMap([Rule("/<int:n>", endpoint="number")])
    assert url_map.match_path("/3", "GET", False) == (url_map._rules[0], {"n": 3})


def test_plain_404_is_werkzeug_not_found() -> None:
    from werkzeug.exceptions import NotFound

    url_map = RouteMap([Rule("/a/<int:n>", endpoint="a"), Rule("/b/", endpoint="b")])
    adapter = RouteMapAdapter(url_map, "localhost", "/", "", "http", "/", "GET", "")
    with pytest.raises(NotFound):
        adapter.match("/zzz")
    with pytest.raises(RequestRedirect):
        adapter.match("/b")
    with pytest.raises(NotFound):
        adapter.match("/a/x")


def test_new_rules_are_seen() -> None:
    url_map = RouteMap()
    url_map.add(Rule("/<name>", endpoint="name"))
    adapter = RouteMapAdapter(url_map, "localhost", "/", "", "http", "/", "GET", "")
    assert adapter.match("/7") == ("name", {"name": "7"})
    url_map.add(Rule("/<int:n>", endpoint="number"))
    assert adapter.match("/7") == ("number", {"n": 7})


def test_large_prefix_groups_are_split() -> None:
    url_map = RouteMap([Rule(f"/api/item{i}/<int:x>", endpoint=f"e{i}") for i in range(200)])
    assert url_map.match_path("/api/item199/5", "GET", False) == (url_map._rules[199], {"x": 5})
    assert url_map.surely_unmatched("/api/nothing/5")


def test_many_methods_stay_bounded() -> None:
    url_map = RouteMap()
    url_map.add(Rule("/<name>", endpoint="name"))
    for index in range(100):
        url_map.match_path("/x", f"M{index}", False)
    assert len(url_map._tables) <= 16
