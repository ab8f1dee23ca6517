"""pytest plugin used by run.py: writes every test's outcome to a JSON file (``--erlen-report PATH``).

junit XML mangles node ids; this keeps them exactly as pytest prints them, which is what the
expected-failures list is written in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# A test's outcome is the worst of its phases: an error in setup or teardown beats a passing call.
_RANK = {"passed": 0, "xpassed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}
_MAX_DETAIL = 6000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--erlen-report", default=None, help="write test outcomes as JSON to this path")


class _Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.collected: list[str] = []
        self.collect_errors: list[str] = []

    def _record(self, nodeid: str, outcome: str, report: pytest.CollectReport | pytest.TestReport) -> None:
        previous = self.outcomes.get(nodeid)
        if previous is not None and _RANK[previous["outcome"]] >= _RANK[outcome]:
            return
        detail = ""
        if report.failed:
            detail = report.longreprtext[-_MAX_DETAIL:]
            if previous is not None and previous["detail"]:
                # A failing call and then a failing teardown: keep both stories.
                detail = f"{previous['detail']}\n--- then in {report.when}:\n{detail}"
        elif report.skipped and isinstance(report.longrepr, tuple):
            detail = str(report.longrepr[2])
        self.outcomes[nodeid] = {
            "outcome": outcome,
            "when": getattr(report, "when", "collect"),
            "detail": detail,
        }

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(report.nodeid)
            self._record(report.nodeid, "error", report)

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        was_xfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if report.passed:
                outcome = "xpassed" if was_xfail else "passed"
            elif report.skipped:
                outcome = "xfailed" if was_xfail else "skipped"
            else:
                outcome = "failed"
        elif report.failed:
            outcome = "error"
        elif report.skipped:
            outcome = "skipped"
        else:
            return
        self._record(report.nodeid, outcome, report)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        data = {
            "exitstatus": int(exitstatus),
            "collected": self.collected,
            "collect_errors": self.collect_errors,
            "outcomes": self.outcomes,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--erlen-report")
    if path:
        config.pluginmanager.register(_Recorder(Path(path)), "erlen-suite-recorder")
