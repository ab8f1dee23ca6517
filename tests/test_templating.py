from __future__ import annotations

import os
import typing as t

import pytest
from jinja2 import BaseLoader, DictLoader, Template, TemplateNotFound
from markupsafe import Markup

import erlen.debughelpers
from erlen import Blueprint, Erlen, g, session
from erlen.signals import before_render_template, template_rendered
from erlen.templating import (
    DispatchingJinjaLoader,
    Environment,
    _default_template_ctx_processor,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__, root_path=TESTS_DIR)
    app.testing = True
    app.secret_key = "test key"
    return app


@pytest.fixture
def blueprint_app(app: Erlen) -> Erlen:
    blueprint = Blueprint("pages", __name__, root_path=TESTS_DIR, template_folder="templates/blueprint_only")
    app.register_blueprint(blueprint)
    return app


def test_render_template_and_string(app: Erlen) -> None:
    with app.app_context():
        assert render_template("hello.html", name="World") == "Hello World!"
        assert render_template_string("Hi {{ name }}", name="you") == "Hi you"


def test_render_first_existing_of_list(app: Erlen) -> None:
    with app.app_context():
        assert render_template(["missing.html", "hello.html"], name="list") == "Hello list!"
        with pytest.raises(TemplateNotFound):
            render_template(["missing.html", "also_missing.html"])


def test_render_template_object(app: Erlen) -> None:
    with app.app_context():
        template = app.jinja_env.from_string("{{ n }}")
        assert isinstance(template, Template)
        assert render_template(template, n=5) == "5"


def test_rendering_needs_app_context(app: Erlen) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")
    with pytest.raises(RuntimeError, match="application context"):
        stream_template("hello.html")


def test_context_processors_and_explicit_values(app: Erlen) -> None:
    @app.context_processor
    def inject() -> dict[str, t.Any]:
        return {"injected": 42, "value": "from processor"}

    with app.app_context():
        assert render_template("context.html", value=23) == "23|42"


def test_autoescape_by_extension(app: Erlen) -> None:
    text = "<b>"
    with app.app_context():
        html = render_template("escape.html", text=text, html=Markup(text))
        plain = render_template("escape.txt", text=text, html=Markup(text))
        from_string = render_template_string("{{ text }}", text=text)
    assert html.splitlines() == ["&lt;b&gt;", "<b>"]
    assert plain.splitlines() == ["<b>", "<b>"]
    assert from_string == "&lt;b&gt;"


def test_standard_context_in_request(app: Erlen) -> None:
    @app.route("/page")
    def page() -> str:
        g.marker = "m"
        return render_template("request_info.html")

    assert app.test_client().get("/page").data == b"/page|m"


def test_default_context_processor_outside_and_inside_contexts(app: Erlen) -> None:
    assert _default_template_ctx_processor() == {}
    with app.app_context():
        values = _default_template_ctx_processor()
        assert set(values) == {"g"}
        assert values["g"] is g._get_current_object()
    with app.test_request_context("/x"):
        values = _default_template_ctx_processor()
        assert set(values) == {"g", "request", "session"}
        assert values["request"].path == "/x"


def test_session_is_only_opened_when_a_template_reads_it(app: Erlen) -> None:
    @app.route("/set")
    def set_value() -> str:
        session["name"] = "Ada"
        return ""

    @app.route("/plain")
    def plain() -> str:
        return render_template_string("no session here")

    @app.route("/reads")
    def reads() -> str:
        return render_template_string("{{ session.name }}")

    client = app.test_client()
    client.get("/set")
    plain_response = client.get("/plain")
    assert "cookie" not in plain_response.vary
    reads_response = client.get("/reads")
    assert reads_response.data == b"Ada"
    assert "cookie" in reads_response.vary


def test_signals_carry_template_and_context(app: Erlen) -> None:
    events: list[tuple[str, t.Any, t.Any, dict[str, t.Any]]] = []

    def before(sender: Erlen, template: Template, context: dict[str, t.Any]) -> None:
        context["added"] = "by signal"
        events.append(("before", sender, template, context))

    def after(sender: Erlen, template: Template, context: dict[str, t.Any]) -> None:
        events.append(("after", sender, template, context))

    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
        app.app_context(),
    ):
        rendered = render_template_string("{{ added }}")

    assert rendered == "by signal"
    assert [event[0] for event in events] == ["before", "after"]
    assert all(event[1] is app for event in events)
    assert events[0][2] is events[1][2]


def test_streaming_sends_rendered_signal_after_the_last_chunk(app: Erlen) -> None:
    rendered: list[Template] = []

    def record(sender: Erlen, template: Template, context: dict[str, t.Any]) -> None:
        rendered.append(template)

    with template_rendered.connected_to(record, app), app.app_context():
        stream = stream_template("items.html", items=[1, 2])
        assert rendered == []
        assert "".join(stream) == "<1><2>"
        assert len(rendered) == 1


def test_stream_keeps_request_context(app: Erlen) -> None:
    @app.route("/stream")
    def stream() -> t.Iterator[str]:
        return stream_template_string("{{ request.args.word }}{{ request.path }}")

    response = app.test_client().get("/stream?word=hi")
    assert response.data == b"hi/stream"


def test_stream_without_request_context(app: Erlen) -> None:
    with app.app_context():
        assert "".join(stream_template_string("{{ 1 + 1 }}")) == "2"


def test_blueprint_templates_and_app_priority(blueprint_app: Erlen) -> None:
    with blueprint_app.app_context():
        assert render_template("from_blueprint.html", name="bp") == "blueprint bp"
        assert render_template("shadowed.html") == "app wins"


def test_list_templates_is_union(blueprint_app: Erlen) -> None:
    names = blueprint_app.jinja_env.list_templates()
    assert "hello.html" in names
    assert "from_blueprint.html" in names
    assert len(names) == len(set(names))


def test_explain_template_loading(blueprint_app: Erlen, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[t.Any, str, list[t.Any]]] = []

    def explain(app: t.Any, template: str, attempts: list[t.Any]) -> None:
        calls.append((app, template, attempts))

    monkeypatch.setattr(erlen.debughelpers, "explain_template_loading_attempts", explain)
    blueprint_app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with blueprint_app.app_context():
        assert render_template("shadowed.html") == "app wins"
        with pytest.raises(TemplateNotFound):
            render_template("nowhere.html")

    assert [call[1] for call in calls] == ["shadowed.html", "nowhere.html"]
    found_attempts = calls[0][2]
    assert [owner for _loader, owner, _source in found_attempts] == [
        blueprint_app,
        blueprint_app.blueprints["pages"],
    ]
    # Every loader is tried and reported, even after the first hit.
    assert all(source is not None for _loader, _owner, source in found_attempts)
    assert all(source is None for _loader, _owner, source in calls[1][2])


def test_templates_are_loaded_once() -> None:
    loads: list[str] = []

    class CountingLoader(DictLoader):
        def get_source(self, environment: t.Any, template: str) -> t.Any:
            loads.append(template)
            return super().get_source(environment, template)

    class CountingApp(Erlen):
        def create_global_jinja_loader(self) -> BaseLoader:
            return CountingLoader({"page.html": "page"})

    app = CountingApp(__name__)
    with app.app_context():
        assert render_template("page.html") == "page"
        assert render_template("page.html") == "page"
    assert loads == ["page.html"]


def test_environment_uses_app_loader_unless_given(app: Erlen) -> None:
    assert isinstance(app.jinja_env, Environment)
    assert app.jinja_env.app is app
    assert isinstance(app.jinja_env.loader, DispatchingJinjaLoader)

    explicit = Environment(app, loader=DictLoader({"a.html": "A"}))
    assert explicit.get_template("a.html").render() == "A"


def test_custom_environment_class() -> None:
    class CustomEnvironment(Environment):
        pass

    class CustomApp(Erlen):
        jinja_environment = CustomEnvironment

    assert isinstance(CustomApp(__name__).jinja_env, CustomEnvironment)


def test_default_context_processor_is_registered_and_feeds_signal_receivers() -> None:
    from erlen import Erlen, g, render_template_string, request, session, template_rendered

    app = Erlen(__name__)
    app.secret_key = "test"
    assert len(app.template_context_processors[None]) == 1
    seen: list[dict[str, object]] = []

    def record(sender: object, template: object, context: dict[str, object]) -> None:
        seen.append(context)

    @app.route("/")
    def index() -> str:
        g.name = "from g"
        return render_template_string("{{ g.name }} {{ request.path }} {{ session.get('x', 'none') }}")

    with template_rendered.connected_to(record, app):
        response = app.test_client().get("/")
    assert response.data == b"from g / none"
    (context,) = seen
    assert context["g"] is not None and context["request"] is not None
    assert "session" in context
    with app.test_request_context("/"):
        assert render_template_string("{{ request }}", request="mine") == "mine"
        assert request.path == "/" and session is not None
