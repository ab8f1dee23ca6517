"""Names that carry the framework's brand.

Erlen's own names come first; ``erlen.compat.install_as_flask`` switches Flask's names on as well, so an
unmodified Flask app (``FLASK_APP``, ``.flaskenv``) and Flask's own tests find what they expect.
"""

from __future__ import annotations

import os

#: The Flask release whose public API (and ``flask.cli`` behaviour) Erlen follows: what ``flask --version`` and,
#: with the compat layer on, ``importlib.metadata.version("flask")`` report.
FLASK_API_VERSION = "3.1.3"

#: Environment variable prefixes, most preferred first.
env_prefixes: list[str] = ["ERLEN"]
#: Dotenv files loaded by the CLI, in load order (earlier files win).
dotenv_files: list[str] = [".erlenenv", ".env"]
#: The command's display name.
command_name: str = "erlen"
#: The package name users import (shown in reprs and used as the module of warnings).
package_name: str = "erlen"


def flask_names_enabled() -> bool:
    """Whether the compat layer has switched Flask's names on."""
    return "FLASK" in env_prefixes


def enable_flask_names() -> None:
    """Put Flask's names first. Idempotent."""
    global command_name, package_name
    if "FLASK" not in env_prefixes:
        env_prefixes.insert(0, "FLASK")
    if ".flaskenv" not in dotenv_files:
        dotenv_files.insert(0, ".flaskenv")
    command_name = "flask"
    package_name = "flask"


def default_env_prefix() -> str:
    """The prefix ``Config.from_prefixed_env`` uses when none is given."""
    return env_prefixes[0]


def env_names(suffix: str) -> list[str]:
    """Every environment variable name for ``suffix`` (``"DEBUG"`` -> ``["ERLEN_DEBUG", ...]``)."""
    return [f"{prefix}_{suffix}" for prefix in env_prefixes]


def getenv(suffix: str) -> str | None:
    """The first set variable among :func:`env_names`, else None."""
    for name in env_names(suffix):
        value = os.environ.get(name)
        if value is not None:
            return value
    return None


def setenv(suffix: str, value: str) -> None:
    """Set ``suffix`` under the preferred prefix only.

    ``getenv`` reads every prefix, so one name is enough; setting all of them would leave a stale ``ERLEN_*``
    behind a harness that resets only ``FLASK_*`` between tests.
    """
    os.environ[env_names(suffix)[0]] = value
