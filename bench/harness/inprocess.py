"""The in-process WSGI section: time and call counts for each scenario on each framework."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

from harness.frameworks import Framework
from harness.scenarios import Scenario, call, prepare
from harness.timing import calibrate, count_calls, run_requests


@dataclass
class Settings:
    rounds: int
    round_seconds: float
    call_count_requests: int


@dataclass
class Cell:
    """One framework on one scenario: median µs per request and Python calls per request, or an error."""

    microseconds: float | None = None
    calls: float | None = None
    rounds_us: list[float] = field(default_factory=list)
    error: str | None = None


#: scenario name -> framework name -> cell (absent framework: no natural equivalent)
Results = dict[str, dict[str, Cell]]


def _groups(scenarios: list[Scenario]) -> list[list[Scenario]]:
    """Consecutive scenarios that share a ``group`` go together; every other scenario stands alone."""
    groups: list[list[Scenario]] = []
    for scenario in scenarios:
        if scenario.group and groups and groups[-1][0].group == scenario.group:
            groups[-1].append(scenario)
        else:
            groups.append([scenario])
    return groups


def _ready(
    fw: Framework, scenario: Scenario, cell: Cell, round_seconds: float
) -> tuple[Any, Any, int] | None:
    """Check the app answers as expected and calibrate it; on failure, record why in ``cell``."""
    app = fw.apps[scenario.name]
    try:
        prepared = prepare(app, scenario)
        answer = call(app, prepared.fresh())
    except Exception as exc:  # the bench reports, it never stops on one framework's bug
        cell.error = f"{type(exc).__name__}: {exc}"[:200]
        return None
    if answer.status_code != scenario.expected_status:
        cell.error = f"status {answer.status} (expected {scenario.expected_status})"
        return None
    return app, prepared, calibrate(app, prepared, round_seconds)


def measure(
    frameworks: list[Framework], scenarios: list[Scenario], settings: Settings, log: bool = True
) -> Results:
    results: Results = {}
    for group in _groups(scenarios):
        runs = []
        for scenario in group:
            row = results[scenario.name] = {}
            for fw in frameworks:
                if scenario.name not in fw.apps:
                    continue
                cell = row[fw.name] = Cell()
                ready = _ready(fw, scenario, cell, settings.round_seconds)
                if ready is not None:
                    runs.append((cell, *ready))
        # Interleave frameworks (and a group's scenarios) round by round, so drift in machine speed
        # spreads over all of them instead of landing on one.
        for _ in range(settings.rounds):
            for cell, app, prepared, count in runs:
                cell.rounds_us.append(run_requests(app, prepared, count) / count * 1e6)
        for cell, app, prepared, _count in runs:
            cell.microseconds = statistics.median(cell.rounds_us)
            cell.calls = count_calls(app, prepared, settings.call_count_requests)
        if log:
            for scenario in group:
                shown = "  ".join(
                    f"{name}={c.microseconds:.1f}us" if c.microseconds is not None else f"{name}=ERROR"
                    for name, c in results[scenario.name].items()
                )
                print(f"  {scenario.name:<20} {shown}", file=sys.stderr, flush=True)
    return results


def largest_spread(results: Results) -> tuple[float, str]:
    """The noisiest cell: (max - min) / median of its rounds, and where it was."""
    worst, where = 0.0, ""
    for scenario, row in results.items():
        for framework, cell in row.items():
            if cell.microseconds and len(cell.rounds_us) > 1:
                spread = (max(cell.rounds_us) - min(cell.rounds_us)) / cell.microseconds
                if spread > worst:
                    worst, where = spread, f"{framework} on {scenario}"
    return worst, where
