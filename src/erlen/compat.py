"""Run unmodified Flask code on Erlen: ``import flask`` and every ``flask.*`` module resolve to Erlen's.

How this works: :func:`install_as_flask` puts one finder at the front of ``sys.meta_path``. When anything
imports ``flask`` or ``flask.<x>``, the finder answers with a spec whose loader imports ``erlen.<x>`` and
hands back that very module object, so ``sys.modules["flask.x"] is sys.modules["erlen.x"]`` and every class
exists once (``isinstance`` and ``except`` clauses behave). Nothing is imported before it is asked for:
``flask.cli`` imports ``erlen.cli`` only when ``flask.cli`` itself is imported, so Erlen's lazy imports stay
lazy. The same finder watches ``erlen.testing`` and ``erlen.cli`` so Flask's class names
(``FlaskClient``, ``FlaskCliRunner``, ``FlaskGroup``) are attached however those modules get loaded.

The finder also answers ``importlib.metadata`` for the ``flask`` distribution: with the alias on,
``importlib.metadata.version("flask")`` is the Flask release whose API Erlen follows, since that is what
``import flask`` now gives. Extensions and test suites read it (Flask 3.1 points there instead of
``flask.__version__``); without the alias there is no Flask distribution to report.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import CodeType, ModuleType

from erlen import _brand

__all__ = ["FLASK_MODULES", "FlaskAliasError", "install_as_flask", "is_installed"]

#: Flask's public module paths; each resolves to the Erlen module with the same suffix.
FLASK_MODULES: tuple[str, ...] = (
    "flask",
    "flask.__main__",
    "flask.app",
    "flask.blueprints",
    "flask.cli",
    "flask.config",
    "flask.ctx",
    "flask.debughelpers",
    "flask.globals",
    "flask.helpers",
    "flask.json",
    "flask.json.provider",
    "flask.json.tag",
    "flask.logging",
    "flask.sansio",
    "flask.sansio.app",
    "flask.sansio.blueprints",
    "flask.sansio.scaffold",
    "flask.sessions",
    "flask.signals",
    "flask.templating",
    "flask.testing",
    "flask.typing",
    "flask.views",
    "flask.wrappers",
)

#: Flask's class names, added next to Erlen's on the module that defines them: module -> (flask, erlen).
_BRAND_ALIASES: dict[str, tuple[tuple[str, str], ...]] = {
    "erlen.testing": (("FlaskClient", "ErlenClient"), ("FlaskCliRunner", "ErlenCliRunner")),
    "erlen.cli": (("FlaskGroup", "ErlenGroup"),),
}


class FlaskAliasError(RuntimeError):
    """The real Flask was imported before :func:`install_as_flask`, so two frameworks would be mixed."""


def _erlen_name(flask_name: str) -> str:
    return "erlen" + flask_name[len("flask") :]


def _add_brand_aliases(module: ModuleType) -> None:
    """Give ``module`` Flask's names for Erlen's classes, where Erlen defines them."""
    for flask_attr, erlen_attr in _BRAND_ALIASES.get(module.__name__, ()):
        if hasattr(module, erlen_attr) and not hasattr(module, flask_attr):
            setattr(module, flask_attr, getattr(module, erlen_attr))


class _AliasLoader(importlib.abc.Loader):
    """Loads ``flask.<x>`` by importing ``erlen.<x>`` and returning that same module object."""

    def __init__(self, erlen_spec: importlib.machinery.ModuleSpec) -> None:
        self.erlen_spec = erlen_spec
        self._module_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.erlen_spec.name)
        # The import system is about to overwrite ``__spec__`` with the flask spec; keep Erlen's.
        self._module_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # Already executed as erlen.<x>; put Erlen's spec back so reload() and pickling see its identity.
        module.__spec__ = self._module_spec or self.erlen_spec
        _add_brand_aliases(module)

    def get_code(self, fullname: str) -> CodeType | None:
        """Let ``python -m flask`` run ``erlen.__main__`` (runpy asks the loader for code)."""
        loader = self.erlen_spec.loader
        if not isinstance(loader, importlib.abc.InspectLoader):
            return None
        return loader.get_code(self.erlen_spec.name)

    def is_package(self, fullname: str) -> bool:
        return self.erlen_spec.submodule_search_locations is not None


class _BrandAliasLoader(importlib.abc.Loader):
    """Wraps the real loader of ``erlen.testing``/``erlen.cli`` to add Flask's names after it runs."""

    def __init__(self, wrapped: importlib.abc.Loader) -> None:
        self.wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.wrapped.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module should look as if we were never here.
        module.__loader__ = self.wrapped
        if module.__spec__ is not None:
            module.__spec__.loader = self.wrapped
        self.wrapped.exec_module(module)
        _add_brand_aliases(module)


class _FlaskAPIDistribution(importlib.metadata.Distribution):
    """The ``flask`` distribution as ``import flask`` gives it with the alias on: Flask's API, served by Erlen."""

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            return (
                "Metadata-Version: 2.1\n"
                "Name: Flask\n"
                f"Version: {_brand.FLASK_API_VERSION}\n"
                "Summary: Flask's API, served by Erlen (erlen.compat.install_as_flask)\n"
            )
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(__file__).parent / path


def _is_flask_distribution(name: str) -> bool:
    return re.sub(r"[-_.]+", "-", name).lower() == "flask"


class _FlaskAliasFinder(importlib.abc.MetaPathFinder):
    """Answers for ``flask`` and ``flask.*``; watches the modules that get Flask's class names."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "flask" or fullname.startswith("flask."):
            # Every flask.* name is answered here, listed or not: letting another finder search flask's
            # __path__ (Erlen's directory) would load a second copy of an Erlen module under a flask name.
            # Locating erlen.<x> imports nothing (its parent is flask's parent, already imported).
            erlen_spec = self._other_finders_spec(_erlen_name(fullname), path, target)
            if erlen_spec is None:
                return None
            return importlib.machinery.ModuleSpec(
                fullname,
                _AliasLoader(erlen_spec),
                origin=erlen_spec.origin,
                is_package=erlen_spec.submodule_search_locations is not None,
            )
        if fullname in _BRAND_ALIASES:
            spec = self._other_finders_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _BrandAliasLoader(spec.loader)
            return spec
        return None

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context | None = None
    ) -> Iterator[importlib.metadata.Distribution]:
        """``importlib.metadata``'s hook: the ``flask`` distribution, looked up by name, is Erlen's."""
        name = None if context is None else context.name
        if name is not None and _is_flask_distribution(name):
            yield _FlaskAPIDistribution()

    def _other_finders_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> importlib.machinery.ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


_finder = _FlaskAliasFinder()


def is_installed() -> bool:
    """Whether :func:`install_as_flask` has run in this interpreter."""
    return _finder in sys.meta_path


def _check_no_real_flask() -> None:
    for name, module in list(sys.modules.items()):
        if name != "flask" and not name.startswith("flask."):
            continue
        module_name = getattr(module, "__name__", "")
        if module is not None and module_name != _erlen_name(name):
            where = getattr(module, "__file__", None) or "an unknown location"
            raise FlaskAliasError(
                f"{name!r} is already imported from {where}, so it is not Erlen's. Call "
                "erlen.compat.install_as_flask() before anything imports flask (for pytest: "
                "`-p erlen.compat_pytest`)."
            )


def install_as_flask() -> None:
    """Make ``import flask`` (and every ``flask.*`` module) give Erlen's modules, and switch on Flask's names.

    Safe to call more than once. Raises :class:`FlaskAliasError` if the real Flask is already imported.
    Flask itself does not need to be installed.
    """
    _check_no_real_flask()
    _brand.enable_flask_names()
    if not is_installed():
        sys.meta_path.insert(0, _finder)
    for name in _BRAND_ALIASES:
        loaded = sys.modules.get(name)
        if loaded is not None:
            _add_brand_aliases(loaded)
    # Parent packages reach submodules through attributes (``flask.json.provider``); those exist once the
    # Erlen submodule is imported, under either name, because both names share one module object.
