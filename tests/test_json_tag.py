"""The tagged JSON serializer behind session cookies."""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone
from uuid import UUID, uuid4

import pytest
from markupsafe import Markup

from erlen.json.tag import JSONTag, TaggedJSONSerializer


@pytest.mark.parametrize(
    "data",
    [
        {" t": (1, 2, 3)},
        {" t__": b"a"},
        {" di": " di"},
        {"x": (1, 2, 3), "y": 4},
        (1, 2, 3),
        [(1, 2, 3)],
        b"\xff",
        Markup("<html>"),
        uuid4(),
        datetime.now(tz=timezone.utc).replace(microsecond=0),
        {"nested": [{"t": (1, (2, b"x"))}]},
    ],
)
def test_round_trip(data: t.Any) -> None:
    s = TaggedJSONSerializer()
    assert s.loads(s.dumps(data)) == data


def test_wire_format_matches_flask() -> None:
    """Cookies must be readable by Flask and the other way round, so the exact encoding matters."""
    s = TaggedJSONSerializer()
    value = {
        "t": (1, 2),
        "b": b"\xff",
        "m": Markup("<b>"),
        "u": UUID(int=1),
        "d": datetime(2021, 2, 1, 7, 15, tzinfo=timezone.utc),
        "x": {" t": 1},
    }
    assert s.dumps(value) == (
        '{"t":{" t":[1,2]},"b":{" b":"/w=="},"m":{" m":"<b>"},'
        '"u":{" u":"00000000000000000000000000000001"},'
        '"d":{" d":"Mon, 01 Feb 2021 07:15:00 GMT"},"x":{" di":{" t__":1}}}'
    )


def test_loads_types() -> None:
    s = TaggedJSONSerializer()
    result = s.loads('{"b":{" b":"/w=="},"m":{" m":"<b>"}}')
    assert type(result["b"]) is bytes
    assert type(result["m"]) is Markup


def test_duplicate_tag_needs_force() -> None:
    class TagDict(JSONTag):
        key = " d"

    s = TaggedJSONSerializer()
    with pytest.raises(KeyError):
        s.register(TagDict)
    s.register(TagDict, force=True, index=0)
    assert isinstance(s.tags[" d"], TagDict)
    assert isinstance(s.order[0], TagDict)


def test_custom_tag() -> None:
    class Foo:
        def __init__(self, data: t.Any) -> None:
            self.data = data

    class TagFoo(JSONTag):
        __slots__ = ()
        key = " f"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, Foo)

        def to_json(self, value: t.Any) -> t.Any:
            return self.serializer.tag(value.data)

        def to_python(self, value: t.Any) -> t.Any:
            return Foo(value)

    s = TaggedJSONSerializer()
    s.register(TagFoo)
    assert s.loads(s.dumps(Foo("bar"))).data == "bar"


def test_base_tag_is_abstract() -> None:
    tag = JSONTag(None)  # type: ignore[arg-type]
    for method in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            method(None)


def test_register_order() -> None:
    class Tag1(JSONTag):
        key = " 1"

    class Tag2(JSONTag):
        key = " 2"

    s = TaggedJSONSerializer()
    s.register(Tag1, index=-1)
    assert isinstance(s.order[-2], Tag1)
    s.register(Tag2, index=None)
    assert isinstance(s.order[-1], Tag2)
