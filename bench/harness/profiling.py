"""``--profile``: where one scenario's request spends its Python calls and time, for the people making it fast.

Two views per framework: every Python function the request calls, with calls per request (deterministic,
the list to shorten for the calls target), and cProfile's own-time ranking over many requests.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
from collections import Counter
from typing import Any

from harness.frameworks import Framework
from harness.scenarios import Scenario, prepare
from harness.timing import run_requests, start_response_noop


def _where(code: Any) -> str:
    filename = code.co_filename
    for marker in ("site-packages" + os.sep, os.sep + "src" + os.sep, os.sep + "bench" + os.sep):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{code.co_firstlineno} {code.co_name}"


def calls_per_request(app: Any, prepared: Any, requests: int = 20) -> Counter[str]:
    counts: Counter[str] = Counter()

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            counts[_where(frame.f_code)] += 1

    run_requests(app, prepared, 20)
    for _ in range(requests):
        environ = prepared.fresh()
        sys.setprofile(profiler)
        try:
            result = app(environ, start_response_noop)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        finally:
            sys.setprofile(None)
    return Counter({name: count // requests for name, count in counts.items() if count // requests})


def own_time_ranking(app: Any, prepared: Any, requests: int = 5000, top: int = 20) -> str:
    run_requests(app, prepared, 50)
    profiler = cProfile.Profile()
    profiler.enable()
    run_requests(app, prepared, requests)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(frameworks: list[Framework], scenarios: list[Scenario]) -> str:
    parts: list[str] = []
    for scenario in scenarios:
        for fw in frameworks:
            app = fw.apps.get(scenario.name)
            if app is None:
                continue
            prepared = prepare(app, scenario)
            counts = calls_per_request(app, prepared)
            parts.append(f"=== {fw.name} / {scenario.name}: {sum(counts.values())} Python calls per request")
            parts += [f"{count:5d}  {name}" for name, count in counts.most_common()]
            parts.append(f"--- {fw.name} / {scenario.name}: cProfile, own time over 5000 requests")
            parts.append(own_time_ranking(app, prepared))
    return "\n".join(parts)
