"""Lossless JSON for the session cookie: types JSON lacks travel as one-key dicts ``{" tag": value}``.

How this works: :meth:`TaggedJSONSerializer.tag` walks a value and replaces each non-JSON type (tuple,
bytes, Markup, UUID, datetime) by ``{key: json_form}``. Decoding runs :meth:`TaggedJSONSerializer.untag` as
the ``object_hook``, so nested values are restored from the innermost outwards. A real dict whose only key
happens to be a tag key is wrapped as ``{" di": {key + "__": value}}`` so it is not mistaken for a tag.

The wire format is the one Flask's serializer writes, so session cookies are interchangeable.

To add a type, subclass :class:`JSONTag` and register it::

    class TagOrderedDict(JSONTag):
        __slots__ = ()
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from json import JSONDecoder, JSONEncoder
from json import loads as _json_loads
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date


class JSONTag:
    """One tagged type: how to recognise it, and how to convert it to and from JSON."""

    __slots__ = ("serializer",)

    #: The key that marks this type on the wire. An empty key makes a tag that only transforms values
    #: (dict and list traversal) and is never looked up when decoding.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Turn ``value`` into JSON-compatible data; the serializer adds the key."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Rebuild the Python value from its JSON form."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> dict[str, t.Any]:
        """Wrap the JSON form of ``value`` under this tag's key."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A dict whose single key is a registered tag key.

    The key gets a ``__`` suffix under the ``" di"`` tag so decoding does not treat the dict as a tag.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in self.serializer.tags

    def to_json(self, value: t.Any) -> t.Any:
        (only_key,) = value
        return {f"{only_key}__": self.serializer.tag(value[only_key])}

    def to_python(self, value: t.Any) -> t.Any:
        (only_key,) = value
        return {only_key[:-2]: value[only_key]}


class PassDict(JSONTag):
    """Any other dict: tag its values, keep its shape."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        tag = self.serializer.tag
        return {k: tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: tag its items, keep it a list."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` travels as its HTML string and comes back as :class:`~markupsafe.Markup`."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime as an HTTP date: second precision, comes back in UTC."""

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """Dump and load JSON that round-trips the tagged types (see the module docs)."""

    __slots__ = ("_decoder", "_plain_dicts_untagged", "order", "tags")

    #: Tag classes registered on every new serializer, in check order.
    default_tags: t.ClassVar[list[type[JSONTag]]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        #: Tags by key, for decoding.
        self.tags: dict[str, JSONTag] = {}
        #: Tags in the order :meth:`tag` checks them.
        self.order: list[JSONTag] = []
        for tag_class in self.default_tags:
            self.register(tag_class)
        #: Whether a dict of plain scalars is known to need no tag: only the built-in tags, built-in tag().
        self._plain_dicts_untagged = (
            type(self).tag is TaggedJSONSerializer.tag
            and [type(tag) for tag in self.order] == _BUILTIN_TAG_ORDER
        )
        # PERF: ``json.loads`` with an ``object_hook`` builds a decoder per call; this one is built once.
        self._decoder = JSONDecoder(object_hook=self.untag)

    def register(self, tag_class: type[JSONTag], force: bool = False, index: int | None = None) -> None:
        """Add a tag type.

        :param tag_class: instantiated with this serializer.
        :param force: replace a tag already registered under the same key instead of raising ``KeyError``.
        :param index: position in the check order (``list.insert`` semantics); ``None`` appends. Put
            specific types before general ones.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        # A registered tag may claim plain values; from now on everything goes through tag().
        self._plain_dicts_untagged = False

    def tag(self, value: t.Any) -> t.Any:
        """``value`` with every tagged type converted; JSON-native values come back unchanged."""
        for candidate in self.order:
            if candidate.check(value):
                return candidate.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Rebuild a tagged one-key dict; return any other dict unchanged."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def dumps(self, value: t.Any) -> str:
        """Tag ``value`` and encode it as compact JSON."""
        # PERF: a dict of plain scalars (the usual session) needs no tagging: no tag checks, no copy. It still
        # goes through tag() when its only key is a tag key, which must be escaped.
        if (
            self._plain_dicts_untagged
            and type(value) is dict
            and (len(value) != 1 or next(iter(value)) not in self.tags)
        ):
            for item in value.values():
                if type(item) not in _PLAIN_TYPES:
                    break
            else:
                return _compact_encoder.encode(value)
        return _compact_encoder.encode(self.tag(value))

    def loads(self, value: str | bytes) -> t.Any:
        """Decode JSON written by :meth:`dumps`."""
        if type(value) is str:
            return self._decoder.decode(value)
        return _json_loads(value, object_hook=self.untag)


#: Values JSON represents exactly and no tag claims (``bool`` is listed apart from ``int``: ``type`` is exact).
_PLAIN_TYPES = frozenset((str, int, float, bool, type(None)))

#: The tags a new serializer registers, in order (the fast path in ``dumps`` relies on exactly these).
_BUILTIN_TAG_ORDER = [
    TagDict,
    PassDict,
    TagTuple,
    PassList,
    TagBytes,
    TagMarkup,
    TagUUID,
    TagDateTime,
]

#: ``json.dumps(value, separators=(",", ":"))``, built once.
_compact_encoder = JSONEncoder(separators=(",", ":"))
