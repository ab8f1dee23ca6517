"""The ``erlen`` command: app discovery, the group's options, and the built-in commands."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from erlen import Erlen, current_app
from erlen.cli import (
    AppGroup,
    ErlenGroup,
    NoAppException,
    ScriptInfo,
    find_app_by_string,
    find_best_app,
    load_dotenv,
    locate_app,
    prepare_import,
    run_command,
    with_appcontext,
)

ENV_SUFFIXES = ("APP", "DEBUG", "RUN_FROM_CLI", "ENV_FILE", "SKIP_DOTENV")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No brand variable leaks in from the shell or out to other tests."""
    for prefix in ("ERLEN", "FLASK"):
        for suffix in ENV_SUFFIXES:
            monkeypatch.delenv(f"{prefix}_{suffix}", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory of app modules, importable and the working directory; imports undone afterwards."""
    files = {
        "single.py": "from erlen import Erlen\nweb = Erlen('single')\n",
        "two.py": "from erlen import Erlen\nfirst = Erlen('one')\nsecond = Erlen('two')\n",
        "factories.py": """
            from erlen import Erlen

            def create_app():
                return Erlen('made')

            def create_named(name, suffix='!'):
                return Erlen(name + suffix)

            def no_app():
                return None

            def broken():
                raise RuntimeError('database is down')

            def broken_inside():
                return len(1)

            not_an_app = 42
            """,
        "needs_args.py": "from erlen import Erlen\ndef create_app(config):\n    return Erlen(config)\n",
        "bad_import.py": "import erlen_no_such_dependency\n",
        "pkg/__init__.py": "",
        "pkg/web/__init__.py": "from erlen import Erlen\napplication = Erlen('pkg.web')\n",
    }
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    modules_before = set(sys.modules)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in set(sys.modules) - modules_before:
        del sys.modules[name]


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


# --- finding the app --------------------------------------------------------------------------------


def test_find_best_app_prefers_app_then_single_instance_then_factory() -> None:
    named = types.SimpleNamespace(__name__="m", app=Erlen("a"), other=Erlen("b"))
    assert find_best_app(named) is named.app  # type: ignore[arg-type]
    single = types.SimpleNamespace(__name__="m", web=Erlen("w"))
    assert find_best_app(single) is single.web  # type: ignore[arg-type]
    aliased = Erlen("same")
    twice = types.SimpleNamespace(__name__="m", web=aliased, www=aliased)
    assert find_best_app(twice) is aliased  # type: ignore[arg-type]
    factory = types.SimpleNamespace(__name__="m", make_app=lambda: Erlen("made"))
    # a lambda is a function too
    assert find_best_app(factory).name == "made"  # type: ignore[arg-type]


def test_find_best_app_errors() -> None:
    with pytest.raises(NoAppException, match="multiple"):
        find_best_app(types.SimpleNamespace(__name__="m", a1=Erlen("1"), a2=Erlen("2")))  # type: ignore[arg-type]
    with pytest.raises(NoAppException, match="Failed to find"):
        find_best_app(types.SimpleNamespace(__name__="m"))  # type: ignore[arg-type]

    def create_app(config: str) -> Erlen:
        return Erlen(config)

    with pytest.raises(NoAppException, match="without arguments"):
        find_best_app(types.SimpleNamespace(__name__="m", create_app=create_app))  # type: ignore[arg-type]

    def make_app() -> Erlen:
        raise TypeError("a bug inside the factory")

    # A TypeError from inside the factory is the factory's bug, not a wrong call.
    with pytest.raises(TypeError, match="bug inside"):
        find_best_app(types.SimpleNamespace(__name__="m", make_app=make_app))  # type: ignore[arg-type]


def test_find_app_by_string(project: Path) -> None:
    import factories

    assert find_app_by_string(factories, "create_app").name == "made"
    assert find_app_by_string(factories, " create_app ( ) ").name == "made"
    assert find_app_by_string(factories, "create_named('x')").name == "x!"
    assert find_app_by_string(factories, "create_named('x', suffix='?',)").name == "x?"


@pytest.mark.parametrize(
    ("app_name", "message"),
    [
        ("create_app(", "Failed to parse"),
        ("a.b", "Failed to parse"),
        ("factories.create_app()", "simple name"),
        ("create_named(name)", "literal values"),
        ("create_named(**{'name': 'x'})", "literal values"),
        ("missing", "Failed to find attribute 'missing'"),
        ("create_named()", "could not be called"),
        ("no_app", "valid application"),
        ("not_an_app", "valid application"),
    ],
)
def test_find_app_by_string_errors(project: Path, app_name: str, message: str) -> None:
    import factories

    with pytest.raises(NoAppException, match=message):
        find_app_by_string(factories, app_name)


def test_prepare_import_walks_up_packages(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", sys.path[:])
    assert prepare_import(str(project / "pkg" / "web" / "__init__.py")) == "pkg.web"
    assert sys.path[0] == str(project)
    assert prepare_import("single.py") == "single"
    assert prepare_import(project / "pkg" / "web") == "pkg.web"


def test_locate_app(project: Path) -> None:
    assert locate_app("single", None).name == "single"
    assert locate_app("pkg.web", None).name == "pkg.web"
    assert locate_app("factories", "create_named('n')").name == "n!"
    assert locate_app("nowhere", None, raise_if_not_found=False) is None
    with pytest.raises(NoAppException, match="Could not import 'nowhere'"):
        locate_app("nowhere", None)
    with pytest.raises(NoAppException, match=r"Could not import 'pkg\.nowhere'"):
        locate_app("pkg.nowhere", None)
    # The module exists but its own import fails: always an error, and it names the cause.
    with pytest.raises(NoAppException, match="erlen_no_such_dependency"):
        locate_app("bad_import", None, raise_if_not_found=False)


# --- ScriptInfo ---------------------------------------------------------------------------------------


def test_script_info_loads_once_and_sets_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def create_app() -> Erlen:
        calls.append(1)
        app = Erlen("made")
        app.debug = True
        return app

    info = ScriptInfo(create_app=create_app)
    assert info.load_app() is info.load_app()
    assert calls == [1]
    assert info.load_app().debug is False  # the command line decides, not the factory

    monkeypatch.setenv("ERLEN_DEBUG", "1")
    assert ScriptInfo(create_app=create_app).load_app().debug is True
    assert ScriptInfo(create_app=create_app, set_debug_flag=False).load_app().debug is True


def test_script_info_finds_app_py(project: Path) -> None:
    (project / "app.py").write_text("from erlen import Erlen\napp = Erlen('default')\n")
    assert ScriptInfo().load_app().name == "default"


def test_script_info_import_path_forms(project: Path) -> None:
    assert ScriptInfo(app_import_path="single:web").load_app().name == "single"
    assert ScriptInfo(app_import_path=str(project / "single.py")).load_app().name == "single"
    assert ScriptInfo(app_import_path=f"{project / 'factories.py'}:create_app").load_app().name == "made"


def test_script_info_without_app(project: Path) -> None:
    with pytest.raises(NoAppException, match="ERLEN_APP"):
        ScriptInfo().load_app()


# --- the group ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_option", "expected"),
    [
        ("nowhere", "Could not import 'nowhere'."),
        ("single:missing", "Failed to find attribute 'missing' in 'single'."),
        ("factories:broken", "RuntimeError: database is down"),
        ("factories:broken_inside", "TypeError: object of type 'int' has no len()"),
    ],
)
@pytest.mark.parametrize("command", ["custom", "routes"])
def test_bad_app_is_one_line_error(
    project: Path, runner: CliRunner, app_option: str, expected: str, command: str
) -> None:
    result = runner.invoke(ErlenGroup(), ["--app", app_option, command])
    assert result.exit_code == 2
    errors = _error_lines(result.output)
    assert len(errors) == 1
    assert expected in errors[0]
    assert "Traceback" not in result.output


def test_bad_app_shows_traceback_in_debug_mode(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(ErlenGroup(), ["--app", "factories:broken", "--debug", "routes"])
    assert isinstance(result.exception, RuntimeError)


def test_app_from_env_var_and_commands_in_app_context(
    project: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import single

    @single.web.cli.command
    def whoami() -> None:
        click.echo(current_app.name)

    monkeypatch.setenv("ERLEN_APP", "single")
    result = runner.invoke(ErlenGroup(), ["whoami"])
    assert result.output == "single\n"
    assert os.environ["ERLEN_RUN_FROM_CLI"] == "true"

    help_result = runner.invoke(ErlenGroup(), ["--help"])
    assert "whoami" in help_result.output


def test_help_without_app_still_works(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(ErlenGroup(), ["--help"])
    assert result.exit_code == 0
    assert "routes" in result.output
    assert "Could not locate an application" in result.output


def test_debug_option_sets_env(runner: CliRunner) -> None:
    @click.group(cls=ErlenGroup, create_app=lambda: Erlen("dbg"))
    def cli() -> None:
        pass

    @cli.command()
    def show() -> None:
        click.echo(f"{current_app.debug} {os.environ['ERLEN_DEBUG']}")

    assert runner.invoke(cli, ["--debug", "show"]).output == "True 1\n"
    assert runner.invoke(cli, ["--no-debug", "show"]).output == "False 0\n"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(ErlenGroup(), ["--version"])
    assert result.exit_code == 0
    assert "Python " in result.output
    assert "Erlen " in result.output
    assert "Werkzeug " in result.output


def test_appgroup_bare_decorators_and_opt_out(runner: CliRunner) -> None:
    group = AppGroup("tools")

    @group.command
    def inside() -> None:
        click.echo(current_app.name)

    @group.group
    def sub() -> None:
        pass

    @sub.command(with_appcontext=False)
    def outside() -> None:
        click.echo("no app needed")

    assert isinstance(sub, AppGroup)
    obj = ScriptInfo(create_app=lambda: Erlen("tools_app"))
    assert runner.invoke(group, ["inside"], obj=obj).output == "tools_app\n"
    assert runner.invoke(group, ["sub", "outside"], obj=ScriptInfo()).output == "no app needed\n"


def test_with_appcontext_reuses_active_context(runner: CliRunner) -> None:
    app = Erlen("active")

    @click.command()
    @with_appcontext
    def show() -> None:
        click.echo(current_app.name)

    with app.app_context():
        result = runner.invoke(show, obj=ScriptInfo())  # nothing to load: the context is used
    assert result.output == "active\n"


def test_plugin_commands(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def plugged() -> None:
        click.echo("from a plugin")

    class EntryPoint:
        def __init__(self, name: str, target: Any) -> None:
            self.name = name
            self.target = target

        def load(self) -> Any:
            if isinstance(self.target, Exception):
                raise self.target
            return self.target

    groups_asked = []

    def entry_points(group: str) -> list[EntryPoint]:
        groups_asked.append(group)
        return [EntryPoint("plugged", plugged), EntryPoint("broken", ImportError("nope"))]

    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    result = runner.invoke(ErlenGroup(create_app=lambda: Erlen("p")), ["plugged"])
    assert result.output.endswith("from a plugin\n")
    assert "could not load command 'broken'" in result.output
    assert groups_asked == ["erlen.commands"]

    # Under compat, Flask extensions' commands are found as well.
    groups_asked.clear()
    monkeypatch.setattr("erlen._brand.flask_names_enabled", lambda: True)
    runner.invoke(ErlenGroup(create_app=lambda: Erlen("p")), ["plugged"])
    assert groups_asked == ["erlen.commands", "flask.commands"]


def test_completion_does_not_print_load_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    group = ErlenGroup()
    ctx = group.make_context("erlen", ["--app", "nowhere"], resilient_parsing=True)
    assert group.get_command(ctx, "custom") is None
    assert "routes" in group.list_commands(ctx)
    assert capsys.readouterr().err == ""


# --- dotenv -------------------------------------------------------------------------------------------


def _forget_after_test(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)


def test_load_dotenv_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _forget_after_test(monkeypatch, "ERLEN_T_A", "ERLEN_T_B", "ERLEN_T_C", "ERLEN_T_D")
    (tmp_path / ".erlenenv").write_text("ERLEN_T_A=erlenenv\nERLEN_T_B=erlenenv\nERLEN_T_C=erlenenv\n")
    (tmp_path / ".env").write_text("ERLEN_T_A=env\nERLEN_T_D=火\n", encoding="utf-8")
    nested = tmp_path / "nested"
    nested.mkdir()
    monkeypatch.chdir(nested)  # files are found in parent directories
    monkeypatch.setenv("ERLEN_T_C", "shell")

    assert load_dotenv()
    assert os.environ["ERLEN_T_A"] == "env"  # .env wins over .erlenenv
    assert os.environ["ERLEN_T_B"] == "erlenenv"
    assert os.environ["ERLEN_T_C"] == "shell"  # the real environment wins over files
    assert os.environ["ERLEN_T_D"] == "火"
    assert not load_dotenv(tmp_path / "missing", load_defaults=False)


def test_load_dotenv_without_python_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("ERLEN_T_X=1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "dotenv", None)
    assert not load_dotenv()
    assert "python-dotenv" in capsys.readouterr().err
    assert "ERLEN_T_X" not in os.environ


def test_env_file_option_and_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    _forget_after_test(monkeypatch, "ERLEN_T_FILE", "ERLEN_T_DEFAULT")
    (tmp_path / ".env").write_text("ERLEN_T_DEFAULT=1\n")
    (tmp_path / "extra.env").write_text("ERLEN_T_FILE=1\n")
    monkeypatch.chdir(tmp_path)

    @click.group(cls=ErlenGroup, create_app=lambda: Erlen("e"))
    def cli() -> None:
        pass

    @cli.command()
    def show() -> None:
        click.echo(f"{os.environ.get('ERLEN_T_FILE')} {os.environ.get('ERLEN_T_DEFAULT')}")

    monkeypatch.setenv("ERLEN_SKIP_DOTENV", "1")
    assert runner.invoke(cli, ["show"]).output == "None None\n"
    assert runner.invoke(cli, ["-e", "extra.env", "show"]).output == "1 None\n"
    monkeypatch.delenv("ERLEN_SKIP_DOTENV")
    assert runner.invoke(cli, ["show"]).output == "1 1\n"


# --- run ----------------------------------------------------------------------------------------------


def test_run_passes_options_to_run_simple(monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    seen: dict[str, Any] = {}

    def fake_run_simple(host: str, port: int, app: Any, **options: Any) -> None:
        seen.update(host=host, port=port, app=app, **options)

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    app = Erlen("served")
    cli = ErlenGroup(create_app=lambda: app)
    result = runner.invoke(cli, ["run", "--debug", "-h", "0.0.0.0", "-p", "8123", "--no-reload"])
    assert result.exit_code == 0, result.output
    assert "Debug mode: on" in result.output
    assert seen["app"] is app
    assert (seen["host"], seen["port"]) == ("0.0.0.0", 8123)
    assert seen["use_reloader"] is False
    assert seen["use_debugger"] is True
    assert seen["threaded"] is True


def test_run_simple_patched_on_this_module(monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    calls = []
    monkeypatch.setattr("erlen.cli.run_simple", lambda *args, **kwargs: calls.append(args))
    runner.invoke(ErlenGroup(create_app=lambda: Erlen("x")), ["run"])
    assert calls and calls[0][:2] == ("127.0.0.1", 5000)


def test_run_cert_and_key() -> None:
    with pytest.raises(click.BadParameter, match="Required"):
        run_command.make_context("run", ["--cert", __file__])
    with pytest.raises(click.BadParameter, match="must also be specified"):
        run_command.make_context("run", ["--key", __file__])
    ctx = run_command.make_context("run", ["--key", __file__, "--cert", __file__])
    assert ctx.params["cert"] == (__file__, __file__)


def test_run_cert_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    monkeypatch.setitem(sys.modules, "erlen_test_ssl_context", context)  # type: ignore[arg-type]
    ctx = run_command.make_context("run", ["--cert", "erlen_test_ssl_context"])
    assert ctx.params["cert"] is context
    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--cert", "os"])


def test_run_separated_paths() -> None:
    ctx = run_command.make_context("run", ["--extra-files", os.pathsep.join(["a", "b"])])
    assert ctx.params["extra_files"] == ["a", "b"]


# --- shell and routes ---------------------------------------------------------------------------------


def test_shell_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 7\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)
    seen: dict[str, Any] = {}
    monkeypatch.setattr("code.interact", lambda banner, local: seen.update(banner=banner, local=local))
    app = Erlen("shelled")
    app.shell_context_processor(lambda: {"extra": 1})

    result = runner.invoke(ErlenGroup(create_app=lambda: app), ["shell"])
    assert result.exit_code == 0, result.output
    assert "App: shelled" in seen["banner"]
    assert seen["local"]["app"] is app
    assert seen["local"]["extra"] == 1
    assert seen["local"]["from_startup"] == 7


def _routes(runner: CliRunner, app: Erlen, *args: str) -> list[str]:
    result = runner.invoke(ErlenGroup(create_app=lambda: app), ["routes", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_routes_table(runner: CliRunner) -> None:
    app = Erlen(__name__, static_folder=None)
    app.add_url_rule("/b/<int:x>", endpoint="b_view", methods=["GET", "POST"])
    app.add_url_rule("/a", endpoint="c_view", methods=["POST"])
    lines = _routes(runner, app)
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[0] for line in lines[2:]] == ["b_view", "c_view"]
    assert re.fullmatch(r"b_view +GET, POST +/b/<int:x>", lines[2])
    assert [line.split()[0] for line in _routes(runner, app, "-s", "rule")[2:]] == ["c_view", "b_view"]
    assert "GET, HEAD, OPTIONS, POST" in "\n".join(_routes(runner, app, "--all-methods"))
    assert all(line == line.rstrip() for line in lines)


def test_routes_subdomain_and_empty(runner: CliRunner) -> None:
    app = Erlen(__name__, static_folder=None)
    assert _routes(runner, app) == ["No routes were registered."]
    app.add_url_rule("/x", endpoint="x", subdomain="api")
    assert _routes(runner, app)[0].split() == ["Endpoint", "Methods", "Subdomain", "Rule"]


# --- entry points -------------------------------------------------------------------------------------


def test_python_m_erlen(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from erlen import Erlen\napp = Erlen('m')\n@app.route('/')\ndef i(): return ''\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERLEN_", "FLASK_"))}
    result = subprocess.run(
        [sys.executable, "-m", "erlen", "routes"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "static" in result.stdout
    assert "i" in result.stdout.split()
