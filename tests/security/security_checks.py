"""Checks every row shares: the healthy-afterwards criterion and time bounds scaled to the machine."""

from __future__ import annotations

import os
import time

from security_http import Reply, best_of, get
from security_servers import RunningServer


def _machine_slowdown() -> float:
    """How much slower this machine runs a fixed pure-Python loop than a quiet reference one (>= 1).

    Timing rows use the matrix's numbers times this factor (and ERLEN_SEC_TIME_SCALE, default 1), so a busy
    CI box does not turn a behaviour bound into a flaky benchmark, while a quadratic parser still fails.
    """

    def loop() -> float:
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        return time.perf_counter() - started

    reference_seconds = 0.030
    measured = min(loop() for _ in range(5))
    return max(1.0, measured / reference_seconds) * float(os.environ.get("ERLEN_SEC_TIME_SCALE", "1"))


TIME_SCALE = _machine_slowdown()


def within(seconds: float) -> float:
    """A matrix time bound, scaled for this machine's speed (see _machine_slowdown)."""
    return seconds * TIME_SCALE


def assert_healthy(server: RunningServer) -> None:
    """The global criterion of every row: afterwards a normal request answers 200 within 100 ms."""
    replies: list[Reply] = []

    def once() -> float:
        reply = get(server.port, "/health", timeout=5)
        replies.append(reply)
        return reply.elapsed

    elapsed = best_of(3, once)
    assert [r.status for r in replies] == [200, 200, 200], server.log_text()[-3000:]
    assert elapsed < within(0.1), f"/health took {elapsed * 1000:.0f} ms after the attack"
