"""The URL map: Werkzeug's, plus a table of static rules answered with one dict lookup.

How this works: rules without converters (``/``, ``/about``) are the most common and the cheapest to match, yet
Werkzeug's matcher walks its state machine for them too. :class:`RouteMap` keeps a ``path -> rule`` table of
static rules that are safe to match by exact path (no redirect, no websocket, no host or subdomain, no sibling
rule that could redirect to it, one rule per path). Anything else, including every miss, goes to Werkzeug's
matcher, so 404, 405, strict-slash redirects and converters behave exactly as Werkzeug defines them.
"""

from __future__ import annotations

import typing as t

from werkzeug.routing import Map, Rule


class RouteMap(Map):
    """Werkzeug's ``Map`` that also serves exact static paths from a dict (see the module docstring)."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.generation = 0
        self._static: dict[str, Rule] | None = None
        #: The rule ``url_for`` builds with, by (endpoint, method, default method, value names); see
        #: :mod:`erlen.sansio.urlbuild`.
        self.build_rules: dict[tuple[t.Any, ...], Rule | None] = {}

    def add(self, rulefactory: t.Any) -> None:
        super().add(rulefactory)
        self.generation += 1
        self._static = None
        self.build_rules = {}

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
            if path in table:
                ambiguous.add(path)
            table[path] = rule
        for path in ambiguous:
            del table[path]
        # Rules with converters may still match a path in the table only if they share its text; Werkzeug
        # prefers static segments, so the table agrees with it.
        return table
