"""Fixtures for the attack-and-fault matrix (docs/security.md): real servers on 127.0.0.1.

Each test module names its app (``APP_MODULE``, a module in ``apps/``) and may narrow the server kinds
(``RUN_ON``); one server per kind is started for the whole module and always stopped afterwards.
"""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from security_servers import DEFAULT_KINDS, SERVER_KINDS, RunningServer

try:
    from hypothesis import settings

    # No example database in the work tree: the replayed corpus lives in corpus/, on purpose.
    settings.register_profile("erlen-security", database=None)
    settings.load_profile("erlen-security")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_kind" in metafunc.fixturenames:
        kinds = getattr(metafunc.module, "RUN_ON", DEFAULT_KINDS)
        metafunc.parametrize("server_kind", list(kinds), scope="module", indirect=False)


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, server_kind: str) -> t.Iterator[RunningServer]:
    """The module's app served by ``server_kind``; a failing test shows the server's log."""
    running = RunningServer(SERVER_KINDS[server_kind], request.module.APP_MODULE)
    running.start()
    try:
        yield running
    finally:
        running.cleanup()


@pytest.fixture(autouse=True)
def _server_log_on_failure(request: pytest.FixtureRequest) -> t.Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "server" in request.fixturenames:
        running: RunningServer = request.getfixturevalue("server")
        sys.stderr.write(f"\n--- {running.kind.name} log ---\n{running.log_text()[-4000:]}\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> t.Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
