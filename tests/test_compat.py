"""install_as_flask(): `flask.*` resolves to Erlen's modules. Each check runs in a fresh interpreter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from erlen.compat import FLASK_MODULES
from fresh_interpreter import run_json, run_python


@pytest.fixture(scope="module")
def module_report() -> dict[str, Any]:
    """For every Flask module name: whether Erlen has it, and whether the alias is the same object."""
    return run_json(
        f"""
        import importlib, importlib.util, json, sys
        from erlen.compat import install_as_flask
        install_as_flask()
        report = {{}}
        for name in {list(FLASK_MODULES)!r}:
            erlen_name = "erlen" + name[len("flask"):]
            if name.endswith("__main__"):
                # Importing a __main__ runs the CLI; only check that the spec resolves.
                spec = importlib.util.find_spec(name)
                report[name] = {{"exists": importlib.util.find_spec(erlen_name) is not None,
                                 "same": spec is not None}}
                continue
            try:
                importlib.import_module(erlen_name)
            except ModuleNotFoundError as exc:
                if exc.name == erlen_name:
                    report[name] = {{"exists": False}}
                    continue
                raise
            module = importlib.import_module(name)
            report[name] = {{
                "exists": True,
                "same": module is sys.modules[erlen_name] and sys.modules[name] is module,
                "spec_name": module.__spec__.name,
            }}
        print(json.dumps(report))
        """
    )


@pytest.mark.parametrize("flask_name", [name for name in FLASK_MODULES])
def test_flask_module_is_erlen_module(module_report: dict[str, Any], flask_name: str) -> None:
    entry = module_report[flask_name]
    if not entry["exists"]:
        pytest.skip(f"erlen{flask_name[5:]} is not written yet")
    assert entry["same"]
    if "spec_name" in entry:
        assert entry["spec_name"] == "erlen" + flask_name[len("flask") :]


def test_import_flask_gives_erlen_package() -> None:
    result = run_json(
        """
        import json
        from erlen.compat import install_as_flask
        install_as_flask()
        import erlen, flask
        print(json.dumps([flask is erlen, flask.__file__ == erlen.__file__, flask.__name__]))
        """
    )
    assert result == [True, True, "erlen"]


def test_install_imports_nothing_it_does_not_need() -> None:
    new_modules = run_json(
        """
        import json, sys
        import erlen.compat
        before = set(sys.modules)
        erlen.compat.install_as_flask()
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    assert new_modules == []


def test_submodules_load_only_when_asked() -> None:
    """erlen.cli is imported lazily by Erlen; the flask alias must keep it that way."""
    result = run_json(
        """
        import json, sys
        from erlen.compat import install_as_flask
        install_as_flask()
        import flask
        before = ["erlen.cli" in sys.modules, "flask.cli" in sys.modules]
        import flask.cli
        print(json.dumps(before + [sys.modules["flask.cli"] is sys.modules["erlen.cli"]]))
        """
    )
    assert result == [False, False, True]


def test_install_twice_adds_one_finder() -> None:
    count = run_json(
        """
        import json, sys
        from erlen.compat import install_as_flask, _finder
        install_as_flask()
        install_as_flask()
        import flask
        install_as_flask()
        print(json.dumps(sum(1 for f in sys.meta_path if f is _finder)))
        """
    )
    assert count == 1


def test_real_flask_already_imported_is_refused() -> None:
    result = run_python(
        """
        import sys, types
        fake = types.ModuleType("flask")
        fake.__file__ = "/somewhere/site-packages/flask/__init__.py"
        sys.modules["flask"] = fake
        from erlen.compat import install_as_flask
        install_as_flask()
        """
    )
    assert result.returncode != 0
    assert "FlaskAliasError" in result.stderr
    assert "/somewhere/site-packages/flask" in result.stderr


def test_unknown_flask_submodule_is_not_found() -> None:
    result = run_json(
        """
        import json
        from erlen.compat import install_as_flask
        install_as_flask()
        try:
            import flask.no_such_module
        except ModuleNotFoundError as exc:
            print(json.dumps(exc.name))
        """
    )
    assert result == "flask.no_such_module"


def test_flask_brand_names_enabled() -> None:
    result = run_json(
        """
        import json
        from erlen import _brand
        from erlen.compat import install_as_flask
        install_as_flask()
        print(json.dumps([_brand.env_prefixes[0], _brand.dotenv_files[0], _brand.command_name]))
        """
    )
    assert result == ["FLASK", ".flaskenv", "flask"]


def test_brand_aliases_on_fake_module() -> None:
    from types import ModuleType

    from erlen.compat import _add_brand_aliases

    module = ModuleType("erlen.testing")
    client_class = type("ErlenClient", (), {})
    module.ErlenClient = client_class  # type: ignore[attr-defined]
    _add_brand_aliases(module)
    assert module.FlaskClient is client_class  # type: ignore[attr-defined]
    assert not hasattr(module, "FlaskCliRunner")  # Erlen has no ErlenCliRunner in this fake


@pytest.mark.parametrize(
    ("module", "flask_attr", "erlen_attr"),
    [
        ("testing", "FlaskClient", "ErlenClient"),
        ("testing", "FlaskCliRunner", "ErlenCliRunner"),
        ("cli", "FlaskGroup", "ErlenGroup"),
    ],
)
@pytest.mark.parametrize("import_via", ["flask", "erlen"])
def test_brand_aliases_on_real_modules(
    module: str, flask_attr: str, erlen_attr: str, import_via: str
) -> None:
    result = run_python(
        f"""
        import importlib
        from erlen.compat import install_as_flask
        install_as_flask()
        try:
            mod = importlib.import_module("{import_via}.{module}")
        except ImportError as exc:
            raise SystemExit(f"skip: {{exc}}")
        if not hasattr(mod, "{erlen_attr}"):
            raise SystemExit("skip: no {erlen_attr} yet")
        assert mod.{flask_attr} is mod.{erlen_attr}
        """
    )
    if result.returncode != 0 and "skip:" in result.stderr:
        pytest.skip(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr


def test_python_dash_m_flask_runs_erlen_main() -> None:
    import importlib.util

    if importlib.util.find_spec("erlen.__main__") is None:
        pytest.skip("erlen.__main__ is not written yet")
    result = run_python(
        """
        import runpy, sys
        from erlen.compat import install_as_flask
        install_as_flask()
        sys.argv = ["flask", "--help"]
        runpy.run_module("flask", run_name="__main__", alter_sys=True)
        """
    )
    assert "Usage" in result.stdout, result.stderr


def test_aliases_added_when_module_is_imported_later(tmp_path: Path) -> None:
    """The post-import hook: a watched module gets Flask's names however it is imported."""
    (tmp_path / "alias_probe_target.py").write_text("class ErlenThing:\n    pass\n")
    result = run_json(
        f"""
        import json, sys
        from importlib.machinery import SourceFileLoader
        sys.path.insert(0, {str(tmp_path)!r})
        from erlen import compat
        compat._BRAND_ALIASES["alias_probe_target"] = (("FlaskThing", "ErlenThing"),)
        compat.install_as_flask()
        import alias_probe_target as target
        print(json.dumps([
            target.FlaskThing is target.ErlenThing,
            isinstance(target.__loader__, SourceFileLoader),
            isinstance(target.__spec__.loader, SourceFileLoader),
        ]))
        """
    )
    assert result == [True, True, True]


def test_flask_distribution_metadata_names_the_api_version_erlen_serves() -> None:
    # Extensions and test suites ask importlib.metadata which Flask they run on (Flask 3.1 itself points to
    # it in place of flask.__version__); with the alias on, the answer is the Flask release Erlen follows.
    report = run_json(
        """
        import importlib.metadata, json
        from erlen.cli import FLASK_API_VERSION
        try:
            importlib.metadata.version("flask")
            before = "found"
        except importlib.metadata.PackageNotFoundError:
            before = "not found"
        from erlen.compat import install_as_flask
        install_as_flask()
        dist = importlib.metadata.distribution("Flask")
        print(json.dumps({
            "before": before,
            "versions": [importlib.metadata.version(n) for n in ("flask", "Flask", "FLASK")],
            "api": FLASK_API_VERSION,
            "name": dist.metadata["Name"],
            "summary": dist.metadata["Summary"],
            "other": importlib.metadata.version("werkzeug") != FLASK_API_VERSION,
        }))
        """
    )
    assert report["before"] == "not found"
    assert report["versions"] == [report["api"]] * 3
    assert report["name"] == "Flask" and "Erlen" in report["summary"]
    assert report["other"]


def test_version_attribute_is_erlens_and_under_the_alias_behaves_as_flask_31s() -> None:
    report = run_json(
        """
        import importlib.metadata, json, warnings
        import erlen
        with warnings.catch_warnings(record=True) as plain:
            warnings.simplefilter("always")
            own = erlen.__version__
        from erlen.compat import install_as_flask
        install_as_flask()
        import flask
        with warnings.catch_warnings(record=True) as aliased:
            warnings.simplefilter("always")
            flask_version = flask.__version__
        print(json.dumps({
            "own": own, "own_metadata": importlib.metadata.version("erlen"), "plain_warnings": len(plain),
            "flask": flask_version, "flask_metadata": importlib.metadata.version("flask"),
            "warnings": [(w.category.__name__, str(w.message), w.filename) for w in aliased],
        }))
        """
    )
    assert report["own"] == report["own_metadata"] and report["plain_warnings"] == 0
    # Flask 3.1: deprecated, and the installed Flask's version; here the Flask API version Erlen serves.
    assert report["flask"] == report["flask_metadata"]
    [(category, message, filename)] = report["warnings"]
    assert category == "DeprecationWarning" and "importlib.metadata.version" in message
    assert filename == "<string>", "the warning points at the caller"
