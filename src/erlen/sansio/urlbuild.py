"""URL building without Werkzeug's per-call rule search, for the common internal URL.

How this works: ``MapAdapter.build`` walks the endpoint's rules on every call, asking each whether it suits
the given values and method, then runs the winner's compiled builder and assembles the URL. When none of the
endpoint's rules has defaults, which rule wins depends only on the endpoint, the method, the adapter's default
method and the *names* of the values, so :func:`build_internal_path` remembers the winner under those (per
map generation, on :class:`~erlen.sansio.routing.RouteMap`) and calls its compiled builder directly.

Anything else returns ``None`` and the caller uses ``MapAdapter.build``: host matching, websocket rules,
rules with defaults, ``None`` values, a converter refusing a value, a rule on another subdomain, and every
endpoint that cannot be built at all (so ``BuildError`` is Werkzeug's).
"""

from __future__ import annotations

import typing as t

from werkzeug.routing import MapAdapter, Rule, ValidationError

#: Marks "not looked up yet" in the rule cache, where ``None`` means "use Werkzeug".
_UNKNOWN: t.Any = object()


def build_internal_path(
    adapter: MapAdapter, endpoint: str, values: dict[str, t.Any], method: str | None
) -> str | None:
    """The path (with script root and query string) ``adapter.build`` would return for an internal URL, or
    ``None`` when this shortcut does not apply (see the module docs)."""
    table: dict[tuple[t.Any, ...], Rule | None] | None = getattr(adapter.map, "build_rules", None)
    if table is None:
        return None
    for value in values.values():
        if value is None:
            # Werkzeug drops None values; which rule suits then differs from what the names say.
            return None
    key = (endpoint, method, adapter.default_method, *values)
    rule = table.get(key, _UNKNOWN)
    if rule is _UNKNOWN:
        rule = _choose_rule(adapter, endpoint, values, method)
        if len(table) >= 1024:
            table.clear()
        table[key] = rule
    if rule is None:
        return None
    try:
        domain_part, path = rule._build_unknown(**values)
    except ValidationError:
        return None
    if domain_part != adapter.subdomain:
        return None
    return f"{adapter.script_name.rstrip('/')}/{path.lstrip('/')}"


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
