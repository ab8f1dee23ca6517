"""The frameworks under test: how to import each, build its apps, and name its version."""

from __future__ import annotations

import importlib
import importlib.metadata
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ALL_FRAMEWORKS = ("erlen", "flask", "bottle", "falcon")


@dataclass
class Framework:
    name: str
    version: str
    #: Scenario name -> WSGI app. A missing scenario has no natural equivalent in this framework.
    apps: dict[str, Any]


def _flask_api(module_name: str) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        from apps.flask_api import make_apps

        module = importlib.import_module(module_name)
        origin = getattr(module, "__file__", "") or ""
        if module_name == "flask" and hasattr(module, "Erlen"):
            # Erlen's compat layer answers ``import flask`` in this process: the comparison would be Erlen twice.
            raise RuntimeError(f"'flask' resolves to Erlen ({origin}); run the bench without erlen.compat")
        return make_apps(module)

    return build


def _bottle() -> dict[str, Any]:
    from apps.bottle_app import make_apps

    return make_apps()


def _falcon() -> dict[str, Any]:
    from apps.falcon_app import make_apps

    return make_apps()


_BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "erlen": _flask_api("erlen"),
    "flask": _flask_api("flask"),
    "bottle": _bottle,
    "falcon": _falcon,
}

_DISTRIBUTIONS = {"erlen": "erlen", "flask": "Flask", "bottle": "bottle", "falcon": "falcon"}


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def erlen_importable() -> tuple[bool, str]:
    """Whether ``from erlen import Erlen`` works, and why not if it doesn't."""
    try:
        from erlen import Erlen  # noqa: F401
    except Exception:
        return False, traceback.format_exc(limit=1).strip().splitlines()[-1]
    return True, ""


def load(names: list[str]) -> tuple[list[Framework], dict[str, str]]:
    """Build the apps of each framework that imports; the rest come back with the reason they were skipped."""
    loaded: list[Framework] = []
    skipped: dict[str, str] = {}
    for name in names:
        if name == "erlen":
            ok, why = erlen_importable()
            if not ok:
                skipped[name] = f"not importable yet ({why})"
                continue
        try:
            apps = _BUILDERS[name]()
        except Exception:
            skipped[name] = (
                "building the app failed: " + traceback.format_exc(limit=2).strip().splitlines()[-1]
            )
            continue
        loaded.append(Framework(name, version_of(_DISTRIBUTIONS[name]), apps))
    return loaded, skipped
