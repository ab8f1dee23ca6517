"""Behaviour check: one request per scenario per framework; Erlen must answer as Flask does.

Compared between Erlen and Flask: status, body, Content-Type, Content-Length and the set of header
names. The session scenario also feeds Flask's cookie to Erlen and the other way round, so the cookies
stay interchangeable. Bottle and Falcon are only checked for the expected status.
"""

from __future__ import annotations

from typing import Any

from harness.frameworks import Framework
from harness.scenarios import Captured, Scenario, call, prepare

_VOLATILE_HEADERS = {"date", "server"}


def _header_names(answer: Captured) -> set[str]:
    return {name.lower() for name, _ in answer.headers} - _VOLATILE_HEADERS


def _differences(erlen: Captured, flask: Captured) -> list[str]:
    found = []
    if erlen.status != flask.status:
        found.append(f"status {erlen.status!r} != Flask {flask.status!r}")
    if erlen.body != flask.body:
        found.append(f"body {erlen.body[:120]!r} != Flask {flask.body[:120]!r}")
    for header in ("Content-Type", "Content-Length"):
        if erlen.header(header) != flask.header(header):
            found.append(f"{header} {erlen.header(header)!r} != Flask {flask.header(header)!r}")
    if _header_names(erlen) != _header_names(flask):
        found.append(f"header names {sorted(_header_names(erlen))} != Flask {sorted(_header_names(flask))}")
    return found


def _run_one(app: Any, scenario: Scenario) -> tuple[Captured | None, Any, str | None]:
    try:
        prepared = prepare(app, scenario)
        return call(app, prepared.fresh()), prepared, None
    except Exception as exc:
        return None, None, f"{type(exc).__name__}: {exc}"


def run(frameworks: list[Framework], scenarios: list[Scenario]) -> list[str]:
    """Every problem found, one line each; empty means all checks passed."""
    problems: list[str] = []
    by_name = {fw.name: fw for fw in frameworks}
    for scenario in scenarios:
        answers: dict[str, tuple[Captured, Any]] = {}
        for fw in frameworks:
            app = fw.apps.get(scenario.name)
            if app is None:
                continue
            answer, prepared, error = _run_one(app, scenario)
            if answer is None:
                problems.append(f"{scenario.name}: {fw.name} raised {error}")
                continue
            answers[fw.name] = (answer, prepared)
            if answer.status_code != scenario.expected_status:
                problems.append(
                    f"{scenario.name}: {fw.name} answered {answer.status}, expected {scenario.expected_status}"
                )
        if "erlen" in answers and "flask" in answers:
            erlen_answer, erlen_prepared = answers["erlen"]
            flask_answer, flask_prepared = answers["flask"]
            problems.extend(f"{scenario.name}: Erlen {d}" for d in _differences(erlen_answer, flask_answer))
            if scenario.with_session_cookie:
                erlen_app = by_name["erlen"].apps[scenario.name]
                flask_app = by_name["flask"].apps[scenario.name]
                crossed = call(erlen_app, flask_prepared.fresh())
                if crossed.body != flask_answer.body:
                    problems.append(f"{scenario.name}: Erlen read Flask's cookie as {crossed.body!r}")
                crossed = call(flask_app, erlen_prepared.fresh())
                if crossed.body != flask_answer.body:
                    problems.append(f"{scenario.name}: Flask read Erlen's cookie as {crossed.body!r}")
    return problems
