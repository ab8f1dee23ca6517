"""URL building without Werkzeug's per-call rule search, for the common internal URL.

How this works: ``MapAdapter.build`` walks the endpoint's rules on every call, asking each whether it suits
the given values and method, then runs the winner's compiled builder and assembles the URL. When none of the
endpoint's rules has defaults, which rule wins depends only on the endpoint, the method, the adapter's default
method and the *names* of the values, so :func:`build_internal_path` remembers a :class:`BuildPlan` under
those (per map generation, on :class:`~erlen.sansio.routing.RouteMap`).

The plan also spares the quoting calls where they change nothing. A rule whose converters are the plain text,
path and int ones is kept as a template, and a value made only of characters ``quote`` leaves alone (or an
``int``) is written as it is; the values that are not the rule's arguments go to the query string the same
way. Any other value, converter or map option takes the rule's compiled builder, so such URLs are Werkzeug's.

Anything else returns ``None`` and the caller uses ``MapAdapter.build``: host matching, websocket rules,
rules with defaults, ``None`` values, a converter refusing a value, a rule on another subdomain, and every
endpoint that cannot be built at all (so ``BuildError`` is Werkzeug's).
"""

from __future__ import annotations

import re
import typing as t

from werkzeug.routing import MapAdapter, Rule, ValidationError
from werkzeug.routing.converters import BaseConverter, IntegerConverter, PathConverter, UnicodeConverter

#: Marks "not looked up yet" in the plan cache, where ``None`` means "use Werkzeug".
_UNKNOWN: t.Any = object()

#: Text ``quote(text, safe="!$&'()*+,/:;=@")`` (Werkzeug's ``BaseConverter.to_url``) returns unchanged.
_PATH_SAFE = re.compile(r"[A-Za-z0-9_.~!$&'()*+,/:;=@-]*").fullmatch
#: Text ``quote_plus(text, safe="!$'()*,/:;?@")`` (Werkzeug's query encoding) returns unchanged.
_QUERY_SAFE = re.compile(r"[A-Za-z0-9_.~!$'()*,/:;?@-]*").fullmatch

#: A template slot: the value's name, and whether the converter is the plain ``int`` one (else text).
_Slot = tuple[str, bool]


class BuildPlan(t.NamedTuple):
    """How to build an endpoint's URL for one set of value names."""

    rule: Rule
    #: The values that are not the rule's arguments, in the caller's order: they make the query string.
    query_names: tuple[str, ...]
    #: False when a query name itself needs quoting (the rule's builder then makes the whole URL).
    plain_names: bool
    #: The path as static text and slots, or None when a converter is not a plain one (the rule's builder
    #: then makes the path).
    template: tuple[str | _Slot, ...] | None
    #: The rule's subdomain text (the template's domain part).
    subdomain: str


def build_internal_path(
    adapter: MapAdapter, endpoint: str, values: dict[str, t.Any], method: str | None
) -> str | None:
    """The path (with script root and query string) ``adapter.build`` would return for an internal URL, or
    ``None`` when this shortcut does not apply (see the module docs)."""
    table: dict[tuple[t.Any, ...], BuildPlan | None] | None = getattr(adapter.map, "build_rules", None)
    if table is None:
        return None
    for value in values.values():
        if value is None:
            # Werkzeug drops None values; which rule suits then differs from what the names say.
            return None
    key = (endpoint, method, adapter.default_method, *values)
    plan = table.get(key, _UNKNOWN)
    if plan is _UNKNOWN:
        plan = _make_plan(adapter, endpoint, values, method)
        if len(table) >= 1024:
            table.clear()
        table[key] = plan
    if plan is None:
        return None
    path = _render(plan, values, adapter)
    if path is None:
        return None
    return f"{adapter.script_name.rstrip('/')}/{path.lstrip('/')}"


def _render(plan: BuildPlan, values: dict[str, t.Any], adapter: MapAdapter) -> str | None:
    """The path and query string for ``values``, or None when Werkzeug must build it."""
    query: str | None = ""
    if plan.query_names:
        query = _plain_query(values, plan.query_names, adapter) if plan.plain_names else None
        if query is None:
            return _built(plan.rule._build_unknown, values, adapter)
    template = plan.template
    path: str | None = None
    if template is not None and plan.subdomain == adapter.subdomain:
        path = _fill(template, values)
    if path is None:
        path = _built(plan.rule._build, values, adapter)
        if path is None:
            return None
    return f"{path}?{query}" if query else path


def _built(
    builder: t.Callable[..., tuple[str, str]], values: dict[str, t.Any], adapter: MapAdapter
) -> str | None:
    """The path a rule's compiled builder makes, if its domain part is the adapter's subdomain."""
    try:
        domain_part, path = builder(**values)
    except ValidationError:
        return None
    return path if domain_part == adapter.subdomain else None


def _fill(template: tuple[str | _Slot, ...], values: dict[str, t.Any]) -> str | None:
    """The template with each value as its converter's ``to_url`` writes it, or None for a value to quote."""
    parts: list[str] = []
    for part in template:
        if isinstance(part, str):
            parts.append(part)
            continue
        name, is_int = part
        value = values[name]
        kind = type(value)
        if kind is int:
            parts.append(str(value))
        elif kind is str and not is_int and _PATH_SAFE(value):
            parts.append(value)
        else:
            return None
    return "".join(parts)


def _plain_query(values: dict[str, t.Any], names: tuple[str, ...], adapter: MapAdapter) -> str | None:
    """Werkzeug's query string for ``names``, when every name and value is written as it is; else None."""
    if adapter.map.sort_parameters:
        return None
    pairs: list[str] = []
    for name in names:
        value = values[name]
        kind = type(value)
        if kind is int:
            text = str(value)
        elif kind is str and _QUERY_SAFE(value):
            text = value
        else:
            return None
        pairs.append(f"{name}={text}")
    return "&".join(pairs)


def _make_plan(
    adapter: MapAdapter, endpoint: str, values: dict[str, t.Any], method: str | None
) -> BuildPlan | None:
    """The plan for the rule ``MapAdapter.build`` would try first, if the choice depends only on the cache key."""
    rule = _choose_rule(adapter, endpoint, values, method)
    if rule is None:
        return None
    query_names = tuple(name for name in values if name not in rule.arguments)
    plain_names = all(_QUERY_SAFE(name) is not None for name in query_names)
    return BuildPlan(rule, query_names, plain_names, *_template(rule))


def _template(rule: Rule) -> tuple[tuple[str | _Slot, ...] | None, str]:
    """The rule's path as text and slots, and its subdomain text; no template for other converters."""
    trace = rule._trace
    split = trace.index((False, "|"))
    domain, path = trace[:split], trace[split + 1 :]
    if any(dynamic for dynamic, _ in domain):
        return None, ""
    parts: list[str | _Slot] = []
    for dynamic, text in path:
        if not dynamic:
            last = parts[-1] if parts else None
            if isinstance(last, str):
                parts[-1] = last + text
            else:
                parts.append(text)
            continue
        converter = rule._converters[text]
        kind = type(converter)
        if kind is IntegerConverter and not converter.fixed_digits:  # type: ignore[attr-defined]
            parts.append((text, True))
        elif kind in (UnicodeConverter, PathConverter) and kind.to_url is BaseConverter.to_url:
            parts.append((text, False))
        else:
            return None, ""
    return tuple(parts), "".join(text for _, text in domain)


def _choose_rule(
    adapter: MapAdapter, endpoint: str, values: dict[str, t.Any], method: str | None
) -> Rule | None:
    """The rule ``MapAdapter.build`` would try first, if the choice depends only on the cache key."""
    url_map = adapter.map
    url_map.update()
    if url_map.host_matching:
        return None
    rules = url_map._rules_by_endpoint.get(endpoint, ())
    if any(rule.defaults for rule in rules):
        return None
    # Werkzeug first tries the adapter's default method, then any method, unless one is given.
    for wanted in (adapter.default_method, None) if method is None else (method,):
        for rule in rules:
            if rule.suitable_for(values, wanted):
                return None if rule.websocket else rule
    return None
