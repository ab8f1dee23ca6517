"""A matcher for rules with converters that answers in one regex match, and agrees with Werkzeug's.

How this works: Werkzeug matches a path by walking a tree of rule parts segment by segment (static parts
before converter parts, converter parts by weight), one recursive call and one regex per segment. The
first rule the walk accepts is the match, so the walk's visiting order is a priority list of rules.
:func:`build_tables` walks Werkzeug's own tree once (per map generation) and writes that list down: each rule
becomes one anchored regex for its whole path, grouped by the path's first segment (a static first segment
is tried before the rules whose first segment is a converter, as Werkzeug does; large groups are split again
by the next segment), and each group is compiled into a single alternation whose first matching branch is the
walk's first match. A group too large to join stays with Werkzeug.

Whatever could make Werkzeug answer differently from "this rule, these values" is written into the list as
a *defer* entry at the place the walk would meet it: strict-slash redirects, non-strict trailing slashes,
redirect rules, aliases and default redirects, converters other than Werkzeug's built-in ones. A path whose
first match is a defer entry, or that matches nothing at all, goes to Werkzeug's matcher, so 404, 405,
redirects and converter errors are Werkzeug's. Rules that do not accept the method (or websocket flag) are
left out of that method's list, as the walk skips them.
"""

from __future__ import annotations

import re
import typing as t

from werkzeug.routing import Map, Rule
from werkzeug.routing.converters import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

if t.TYPE_CHECKING:
    from werkzeug.routing.matcher import State
    from werkzeug.routing.rules import RulePart

#: Converters whose ``to_python`` returns the matched text unchanged.
_IDENTITY_CONVERTERS = (UnicodeConverter, AnyConverter, PathConverter)
#: Converters whose regex and ``to_python`` are Werkzeug's own, safe to join into one pattern.
_KNOWN_CONVERTERS = (*_IDENTITY_CONVERTERS, IntegerConverter, FloatConverter, UUIDConverter)
_NAMED_GROUP = re.compile(r"\(\?P<__werkzeug_\d+>")

#: A matched rule: the rule, the index of its first value group, and each value's name and ``to_python``
#: (``None`` when the value is used as matched).
Target = tuple[Rule, int, tuple[tuple[str, t.Callable[[str], t.Any] | None], ...]]
#: One compiled group: the alternation and what each branch's outer group index means (``None``: defer).
Group = tuple[re.Pattern[str], dict[int, Target | None]]


class _Entry(t.NamedTuple):
    statics: tuple[
        str | None, ...
    ]  # each path segment's text when static (None: a converter), as far as known
    pattern: str  # regex for the whole path, without the final anchor
    rule: Rule | None  # None: defer to Werkzeug
    groups: int  # value groups in ``pattern``


#: A bucket with more entries than this is split by its next path segment.
_SPLIT_ABOVE = 16
#: A group with more branches than this is not compiled: its paths go to Werkzeug. Python's alternation tries
#: branches one by one, so a long one costs more than Werkzeug's walk.
_MAX_BRANCHES = 48


class _Bucket:
    """The entries whose leading path segments are the same static text, split further when large.

    A path's candidates, in priority order, are the entries of the deepest bucket its segments lead to,
    then the entries of each enclosing bucket whose segment at that depth is not static (converters, or
    paths that ended): Werkzeug's walk tries a static transition before the converter ones at every level.
    """

    __slots__ = ("children", "depth", "entries", "group", "outer", "rest")

    def __init__(self, entries: list[_Entry], depth: int, outer: list[_Entry]) -> None:
        self.entries = entries
        self.depth = depth
        self.outer = outer  # the enclosing buckets' non-static entries, already in order
        self.children: dict[str, _Bucket] | None = None
        self.rest: list[_Entry] = entries
        #: The compiled group for paths that stop here; None until compiled, False when too large.
        self.group: Group | t.Literal[False] | None = None
        if len(entries) > _SPLIT_ABOVE:
            by_text: dict[str, list[_Entry]] = {}
            self.rest = []
            for entry in entries:
                text = entry.statics[depth] if len(entry.statics) > depth else None
                if text is None:
                    self.rest.append(entry)
                else:
                    by_text.setdefault(text, []).append(entry)
            inner_outer = self.rest + outer
            self.children = {text: _Bucket(group, depth + 1, inner_outer) for text, group in by_text.items()}

    def compile(self) -> Group | t.Literal[False]:
        """The group for paths that stop in this bucket (their next segment leads to no child)."""
        candidates = self.rest + self.outer
        group: Group | t.Literal[False] = _compile(candidates) if len(candidates) <= _MAX_BRANCHES else False
        self.group = group
        return group


class MethodTable:
    """The priority list for one (method, websocket) pair, split into buckets by path segment."""

    __slots__ = ("root",)

    def __init__(self, entries: list[_Entry]) -> None:
        self.root = _Bucket(entries, 0, [])

    def group_for(self, path: str) -> Group | t.Literal[False] | None:
        """The compiled alternation that decides ``path`` (which starts with one ``/``); ``None`` when no entry
        can match it, ``False`` when the candidates are too many to join (Werkzeug decides)."""
        bucket = self.root
        children = bucket.children
        if children is not None:
            segments = path[1:].split("/")
            depth = 0
            count = len(segments)
            while children is not None and depth < count:
                child = children.get(segments[depth])
                if child is None:
                    break
                bucket = child
                children = bucket.children
                depth += 1
        group = bucket.group
        if group is None:
            if not bucket.rest and not bucket.outer:
                return None
            group = bucket.compile()
        return group


def _compile(entries: list[_Entry]) -> Group:
    branches: list[str] = []
    targets: dict[int, Target | None] = {}
    index = 1
    for entry in entries:
        branches.append(f"({entry.pattern}\\Z)")
        rule = entry.rule
        if rule is None:
            targets[index] = None
        else:
            converters = tuple((name, _to_python(conv)) for name, conv in rule._converters.items())
            targets[index] = (rule, index + 1, converters)
        index += 1 + entry.groups
    return re.compile("|".join(branches)), targets


def _to_python(converter: BaseConverter) -> t.Callable[[str], t.Any] | None:
    """What turns the matched text into the value: None for the text itself, else a callable that raises
    ``ValidationError`` or ``ValueError`` where Werkzeug's converter would refuse the text.

    # PERF: a plain ``int`` converter (no fixed digits, no bounds) is ``int`` itself: its regex only lets
    # digits through, and Werkzeug's ``to_python`` then only calls ``int`` (a ``ValueError`` it turns into a
    # refusal). One C call instead of a Python method.
    """
    cls = type(converter)
    if cls in _IDENTITY_CONVERTERS:
        return None
    if (
        cls is IntegerConverter
        and not converter.fixed_digits  # type: ignore[attr-defined]
        and converter.min is None  # type: ignore[attr-defined]
        and converter.max is None  # type: ignore[attr-defined]
    ):
        return int
    return converter.to_python


def can_match(url_map: Map) -> bool:
    """Whether ``url_map`` can use this matcher: no host matching (subdomain rules are simply not in it)."""
    return not url_map.host_matching


def table_for(url_map: Map, method: str | None, websocket: bool) -> MethodTable:
    """The priority list of ``url_map`` for ``method`` and ``websocket`` (see the module docs).

    With ``method=None`` every rule becomes a defer entry, for any method and websocket flag: a path that
    matches none of them is one Werkzeug answers with 404.
    """
    url_map.update()
    top = url_map._matcher._root
    domain = top.static.get("")
    root = domain.static.get("") if domain is not None else None
    if method is None and (root is None or top.dynamic or len(top.static) > 1):
        # Rules on other subdomains or hosts: Werkzeug's walk may reach them; never claim a 404.
        return MethodTable([_Entry((), "(?s:.*)", None, 0)])
    if root is None:
        return MethodTable([])
    endpoints_with_defaults: dict[str, int] = {}
    for rule in url_map.iter_rules():
        if rule.defaults is not None:
            endpoints_with_defaults[rule.endpoint] = endpoints_with_defaults.get(rule.endpoint, 0) + 1
    redirect_defaults = url_map.redirect_defaults
    entries: list[_Entry] = []

    def exact_rule(rule: Rule) -> bool:
        """Whether Werkzeug's answer for a path this rule matches is simply this rule and its values."""
        if rule.redirect_to is not None or (rule.alias and redirect_defaults):
            return False
        if redirect_defaults and endpoints_with_defaults.get(rule.endpoint, 0) - (rule.defaults is not None):
            return False  # a sibling rule with defaults may redirect here
        return all(type(conv) in _KNOWN_CONVERTERS for conv in rule._converters.values())

    def walk(
        state: State,
        statics: tuple[str | None, ...],
        open_ended: bool,
        exact: list[str] | None,
        loose: list[str],
        groups: int,
    ) -> None:
        depth = len(loose)
        loose_pattern = "/" + "/".join(loose)
        for rule in state.rules:
            if method is None:
                entries.append(_Entry(statics, loose_pattern, None, 0))
                continue
            if rule.websocket != websocket or (rule.methods is not None and method not in rule.methods):
                continue  # the walk skips it (and only reports it when nothing matches)
            if exact is not None and exact_rule(rule):
                entries.append(_Entry(statics, "/" + "/".join(exact), rule, groups))
            else:
                entries.append(_Entry(statics, loose_pattern, None, 0))
        slash = state.static.get("")
        if depth and slash is not None and slash.rules:
            # The path without its trailing slash: Werkzeug redirects (or matches a non-strict rule).
            entries.append(_Entry(statics, loose_pattern, None, 0))
        for content, child in state.static.items():
            text = re.escape(content)
            walk(
                child,
                statics if open_ended else (*statics, content),
                open_ended,
                None if exact is None else [*exact, text],
                [*loose, text],
                groups,
            )
        for part, child in state.dynamic:
            regex, count = _part_regex(part)
            # After a part that spans slashes, segment positions no longer line up with the path's.
            walk(
                child,
                statics if open_ended else (*statics, None),
                open_ended or part.final,
                None if exact is None or regex is None else [*exact, regex],
                [*loose, "(?s:.*)" if part.final else "[^/]*"],
                groups + count,
            )
        if depth and any(not rule.strict_slashes for rule in state.rules):
            # Non-strict rules also match the path with a trailing slash, after everything else.
            entries.append(_Entry(statics, loose_pattern + "/", None, 0))

    walk(root, (), False, [], [], 0)
    return MethodTable(entries)


def _part_regex(part: RulePart) -> tuple[str | None, int]:
    """``part``'s own regex with positional value groups and their count; ``None`` if it cannot be joined.

    Each entry keeps two patterns: the exact one (used only for rules whose converters are Werkzeug's own)
    and a loose one that matches at least what the rule matches (used for defer entries).
    """
    content = part.content
    if part.suffixed or not content.endswith("\\Z"):
        return None, 0
    regex, count = _NAMED_GROUP.subn("(", content[:-2])
    if re.compile(regex).groups != count:
        return None, 0
    return regex, count
