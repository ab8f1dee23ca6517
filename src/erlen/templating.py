"""Jinja integration: the app's environment, the loader that searches app and blueprints, and rendering.

Rendering does as little as it can: one ``get_or_select_template`` (Jinja caches compiled templates), the app's
context processors, and the two template signals only when someone listens to them.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterator

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from ._jinja_fast import FAST_ATTRIBUTES, FastContext, FastTemplate, fast_getattr
from .globals import _cv_contexts_get, _cv_request_get
from .globals import session as _session_proxy
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Erlen
    from .sansio.app import App
    from .sansio.scaffold import Scaffold

#: A loader's answer: source, filename, and the "is it still up to date" callable.
TemplateSource = tuple[str, str | None, Callable[[], bool] | None]


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Put ``g``, ``request`` and ``session`` into every template's context, when their contexts exist."""
    values: dict[str, t.Any] = {}
    contexts = _cv_contexts_get(None)
    if contexts is None:
        return values
    app_ctx, req_ctx = contexts
    if app_ctx is not None:
        values["g"] = app_ctx.g
    if req_ctx is not None:
        values["request"] = req_ctx.request
        # PERF: the proxy defers opening the session cookie until a template reads the session, so a
        # page that never shows it neither parses the cookie nor gets ``Vary: Cookie``.
        values["session"] = _session_proxy
    return values


class Environment(BaseEnvironment):
    """A Jinja environment that knows its app; without a ``loader`` it uses the app's global loader.

    It renders with the cheaper runtime pieces of :mod:`erlen._jinja_fast` (same output, same errors).
    A subclass that mixes in another environment (sandboxed, native...) or sets its own ``getattr``,
    ``context_class`` or ``template_class`` gets those instead.
    """

    # PERF: see erlen/_jinja_fast.py; each is Jinja's documented extension point.
    getattr = fast_getattr
    context_class = FastContext
    template_class = FastTemplate

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in FAST_ATTRIBUTES:
            if name in vars(cls):
                continue
            # What the subclass would get if Erlen's Environment did not define the attribute: when that
            # is not Jinja's stock one, it came from a mixin or a base and must win over Erlen's.
            definer = next(k for k in cls.__mro__[1:] if k is not Environment and name in vars(k))
            if definer is not BaseEnvironment:
                setattr(cls, name, vars(definer)[name])

    def __init__(self, app: App, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Look a template up in the app's folder first, then in each blueprint's, in registration order."""

    def __init__(self, app: App) -> None:
        self.app = app

    def get_source(self, environment: BaseEnvironment, template: str) -> TemplateSource:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        return self._get_source_fast(environment, template)

    def _get_source_fast(self, environment: BaseEnvironment, template: str) -> TemplateSource:
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(self, environment: BaseEnvironment, template: str) -> TemplateSource:
        """Try every loader, even after a hit, and hand all attempts to the debug helper to log."""
        from .debughelpers import explain_template_loading_attempts

        attempts: list[tuple[BaseLoader, Scaffold, TemplateSource | None]] = []
        found: TemplateSource | None = None
        for owner, loader in self._iter_loaders():
            try:
                source: TemplateSource | None = loader.get_source(environment, template)
            except TemplateNotFound:
                source = None
            if found is None:
                found = source
            attempts.append((loader, owner, source))

        explain_template_loading_attempts(self.app, template, attempts)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> Iterator[tuple[Scaffold, BaseLoader]]:
        app_loader = self.app.jinja_loader
        if app_loader is not None:
            yield self.app, app_loader
        for blueprint in self.app.iter_blueprints():
            blueprint_loader = blueprint.jinja_loader
            if blueprint_loader is not None:
                yield blueprint, blueprint_loader

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return list(names)


def _current_app() -> Erlen:
    contexts = _cv_contexts_get(None)
    app_ctx = None if contexts is None else contexts[0]
    if app_ctx is None:
        raise RuntimeError(
            "Working outside of application context. Rendering a template needs the app:"
            " use 'with app.app_context():' or render inside a request."
        )
    return app_ctx.app


def _render(app: Erlen, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    # PERF: blinker builds a call per receiver; skip the send entirely when nobody listens.
    if before_render_template.receivers:
        before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    rendered = template.render(context)
    if template_rendered.receivers:
        template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    return rendered


def render_template(template_name_or_list: str | Template | list[str | Template], **context: t.Any) -> str:
    """Render a template from the template folders with the given context.

    :param template_name_or_list: a template name, or a list of names; the first one that exists is used.
    :param context: variables for the template, on top of those the context processors add.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template from a source string with the given context."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(app: Erlen, template: Template, context: dict[str, t.Any]) -> Iterator[str]:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        if template_rendered.receivers:
            template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)

    chunks = generate()
    if _cv_request_get(None) is not None:
        # The response body is iterated after the view returns; keep the request context alive for it.
        from .helpers import stream_with_context

        chunks = stream_with_context(chunks)
    return chunks


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> Iterator[str]:
    """Render a template as a stream of strings, for a streaming response.

    Inside a request the request context stays available to the template while the stream is consumed.

    .. versionadded:: 2.2 (Flask)
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> Iterator[str]:
    """Render a template source string as a stream of strings; see :func:`stream_template`."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)
