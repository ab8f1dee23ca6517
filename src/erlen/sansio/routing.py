"""The URL map: Werkzeug's, plus a table of static rules answered with one dict lookup.

How this works: rules without converters (``/``, ``/about``) are the most common and the cheapest to match, yet
Werkzeug's matcher walks its state machine for them too. :class:`RouteMap` keeps a ``path -> rule`` table of
static rules that are safe to match by exact path (no redirect, no websocket, no host or subdomain, no sibling
rule that could redirect to it, one rule per path). Anything else, including every miss, goes to Werkzeug's
matcher, so 404, 405, strict-slash redirects and converters behave exactly as Werkzeug defines them.
"""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, MapAdapter, Rule
from werkzeug.routing.converters import ValidationError

from .matcher import MethodTable, table_for

if t.TYPE_CHECKING:
    from .urlbuild import BuildPlan


class RouteMap(Map):
    """Werkzeug's ``Map`` that also serves exact static paths from a dict (see the module docstring)."""

    #: What :meth:`Erlen.create_url_adapter` binds requests with.
    adapter_class: type[MapAdapter]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        # Set before Map.__init__, which adds the rules it is given through add().
        self.generation = 0
        self._static: dict[str, Rule] | None = None
        #: How ``url_for`` builds, by (endpoint, method, default method, value names); see
        #: :mod:`erlen.sansio.urlbuild`.
        self.build_rules: dict[tuple[t.Any, ...], BuildPlan | None] = {}
        #: Priority lists for rules with converters, by method, for HTTP and for websocket requests; see
        #: :mod:`erlen.sansio.matcher`.
        self._tables: tuple[dict[str, MethodTable], dict[str, MethodTable]] = ({}, {})
        #: Every rule as a defer entry: what :meth:`surely_unmatched` checks.
        self._any_table: MethodTable | None = None
        super().__init__(*args, **kwargs)

    def add(self, rulefactory: t.Any) -> None:
        super().add(rulefactory)
        self.generation += 1
        self._static = None
        self.build_rules = {}
        self._tables = ({}, {})
        self._any_table = None

    def surely_unmatched(self, path: str) -> bool:
        """Whether no rule, for any method or websocket flag, could match ``path`` (Werkzeug: 404)."""
        table = self._any_table
        if table is None:
            table = self._any_table = table_for(self, None, False)
        group = table.group_for(path)
        return group is None or (group is not False and group[0].match(path) is None)

    def route(self, path: str, method: str, websocket: bool) -> tuple[Rule, dict[str, t.Any]] | None:
        """The rule and values for ``path`` (as ``Request.path`` would give it) on the default subdomain: the
        static table first, then :meth:`match_path`; ``None`` when Werkzeug must decide."""
        table = self._static
        if table is None:
            table = self.static_table()
        rule = table.get(path)
        if rule is not None and (rule.methods is None or method in rule.methods):
            return rule, dict(rule.defaults) if rule.defaults else {}
        return self.match_path(path, method, websocket)

    def match_path(self, path: str, method: str, websocket: bool) -> tuple[Rule, dict[str, t.Any]] | None:
        """The rule and values Werkzeug's matcher would return for ``path`` (on the default subdomain), or
        ``None`` when Werkzeug must decide (no match, redirects, converter errors...)."""
        if self.host_matching:
            return None
        tables = self._tables[websocket]
        table = tables.get(method)
        if table is None:
            if len(tables) >= 16:  # the method comes from the client: keep the cache bounded
                tables.clear()
            table = tables[method] = table_for(self, method, websocket)
        group = table.group_for(path)
        if not group:
            return None
        pattern, targets = group
        found = pattern.match(path)
        if found is None:
            return None
        target = targets[found.lastindex]  # type: ignore[index]
        if target is None:
            return None
        rule, index, converters = target
        values: dict[str, t.Any] = {}
        for name, to_python in converters:
            value = found.group(index)
            index += 1
            if to_python is not None:
                try:
                    value = to_python(value)
                except (ValidationError, ValueError):  # refused: Werkzeug decides (as a 404 or another rule)
                    return None
            values[name] = value
        if rule.defaults:
            values.update(rule.defaults)
        return rule, values

    def static_table(self) -> dict[str, Rule]:
        """``path -> rule`` for the static rules that may be matched by exact path."""
        table = self._static
        if table is None:
            table = self._static = self._build_static_table()
        return table

    def _build_static_table(self) -> dict[str, Rule]:
        if self.host_matching:
            return {}
        rules = list(self.iter_rules())
        endpoints_with_defaults: dict[str, int] = {}
        for rule in rules:
            if rule.defaults is not None:
                endpoints_with_defaults[rule.endpoint] = endpoints_with_defaults.get(rule.endpoint, 0) + 1
        table: dict[str, Rule] = {}
        ambiguous: set[str] = set()
        for rule in rules:
            if rule.arguments or rule.websocket or rule.build_only or rule.redirect_to is not None:
                continue
            if rule.subdomain or rule.host:
                continue
            # A sibling rule with defaults may redirect requests for this one; leave that to Werkzeug.
            siblings_with_defaults = endpoints_with_defaults.get(rule.endpoint, 0) - (
                rule.defaults is not None
            )
            if siblings_with_defaults:
                continue
            path = rule.rule
            if not path.isascii() or path.startswith("//"):
                continue  # the request path may be spelled otherwise in PATH_INFO; the matchers decide
            if path in table:
                ambiguous.add(path)
            table[path] = rule
        for path in ambiguous:
            del table[path]
        # Rules with converters may still match a path in the table only if they share its text; Werkzeug
        # prefers static segments, so the table agrees with it.
        return table


class RouteMapAdapter(MapAdapter):
    """Werkzeug's adapter, answering matches on the default subdomain from :meth:`RouteMap.match_path`."""

    map: RouteMap

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, t.Mapping[str, t.Any]]:
        # PERF: one regex match instead of Werkzeug's per-segment walk (about 16 calls for two converters);
        # misses and anything that is not a plain match still go to Werkzeug below.
        if self.subdomain == "":
            path = self.path_info if path_info is None else path_info
            # Werkzeug strips extra leading slashes first; such paths go to it.
            if path[:1] == "/" and path[1:2] != "/":
                found = self.map.match_path(
                    path,
                    (method or self.default_method).upper(),
                    self.websocket if websocket is None else websocket,
                )
                if found is not None:
                    return found if return_rule else (found[0].endpoint, found[1])
                # PERF: a path no rule could match under any method is Werkzeug's plain 404; its walk (and
                # its second walk with merged slashes) would find nothing.
                if "//" not in path and self.map.surely_unmatched(path):
                    raise NotFound() from None
        return super().match(path_info, method, return_rule, query_args, websocket)  # type: ignore[call-overload,no-any-return]


RouteMap.adapter_class = RouteMapAdapter
