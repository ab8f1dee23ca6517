"""The in-process WSGI section: time and call counts for each scenario on each framework."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field

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


def measure(
    frameworks: list[Framework], scenarios: list[Scenario], settings: Settings, log: bool = True
) -> Results:
    results: Results = {}
    for scenario in scenarios:
        row: dict[str, Cell] = {}
        ready = []
        for fw in frameworks:
            app = fw.apps.get(scenario.name)
            if app is None:
                continue
            cell = row[fw.name] = Cell()
            try:
                prepared = prepare(app, scenario)
                answer = call(app, prepared.fresh())
            except Exception as exc:  # the bench reports, it never stops on one framework's bug
                cell.error = f"{type(exc).__name__}: {exc}"[:200]
                continue
            if answer.status_code != scenario.expected_status:
                cell.error = f"status {answer.status} (expected {scenario.expected_status})"
                continue
            ready.append((fw, app, prepared, cell, calibrate(app, prepared, settings.round_seconds)))
        # Interleave frameworks round by round so drift in machine speed spreads over all of them.
        for _ in range(settings.rounds):
            for _fw, app, prepared, cell, count in ready:
                cell.rounds_us.append(run_requests(app, prepared, count) / count * 1e6)
        for _fw, app, prepared, cell, _count in ready:
            cell.microseconds = statistics.median(cell.rounds_us)
            cell.calls = count_calls(app, prepared, settings.call_count_requests)
        results[scenario.name] = row
        if log:
            shown = "  ".join(
                f"{name}={c.microseconds:.1f}us" if c.microseconds is not None else f"{name}=ERROR"
                for name, c in row.items()
            )
            print(f"  {scenario.name:<20} {shown}", file=sys.stderr, flush=True)
    return results
