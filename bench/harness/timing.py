"""In-process WSGI timing and call counting.

Each request gets a copy of an environ built once; the app is called, its body consumed and closed, exactly
as a server would. A figure is the median of several rounds; each round runs enough requests to last
about ``round_seconds`` (found by a short calibration), with the garbage collector paused as ``timeit``
does, so collections triggered by one framework don't land on another.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from harness.scenarios import PreparedRequest, WSGIApp

#: The clock rounds are timed with. CPU time of this process by default: the loop is single-threaded and
#: CPU-bound, so on an idle machine it equals wall time, and on a shared one it leaves out the time other
#: processes held the CPU. ``use_wall_clock()`` switches to ``perf_counter``.
clock = time.process_time


def use_wall_clock() -> None:
    global clock
    clock = time.perf_counter


def start_response_noop(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], None]:
    return _write


def _write(data: bytes) -> None:
    pass


def run_requests(app: WSGIApp, prepared: PreparedRequest, count: int) -> float:
    """Run ``count`` requests; return the seconds they took."""
    fresh = prepared.fresh
    start_response = start_response_noop
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = clock()
        for _ in range(count):
            result = app(fresh(), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return clock() - started
    finally:
        if gc_was_enabled:
            gc.enable()


def calibrate(app: WSGIApp, prepared: PreparedRequest, round_seconds: float) -> int:
    """How many requests make one round last about ``round_seconds``."""
    count = 1
    while True:
        elapsed = run_requests(app, prepared, count)
        if elapsed >= round_seconds / 10 or count >= 1_000_000:
            break
        count *= 4
    per_request = elapsed / count
    return max(1, int(round_seconds / per_request))


def count_calls(app: WSGIApp, prepared: PreparedRequest, requests: int = 50) -> float:
    """Python function calls per request (``sys.setprofile`` "call" events), after a warm-up.

    Only the app's work is counted: the profiler is on from ``app(...)`` to ``close()`` of each request.
    Generator resumptions count, as they do in cProfile. Calls into C (builtins) are not counted.
    """
    run_requests(app, prepared, 20)
    calls = 0

    def profiler(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

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
    # The two frames of this function's own profiler bookkeeping aren't counted: setprofile(None) is C.
    return calls / requests


def null_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


def harness_overhead_us(prepared: PreparedRequest, round_seconds: float, rounds: int) -> float:
    """What the loop itself costs per request (environ copy, call, body loop) with an app that does nothing."""
    count = calibrate(null_app, prepared, round_seconds)
    return statistics.median(run_requests(null_app, prepared, count) / count for _ in range(rounds)) * 1e6
