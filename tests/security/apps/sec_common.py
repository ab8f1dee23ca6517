"""What every security-suite app has: /health, and /_state for what the app saw happen."""

from __future__ import annotations

import os
import resource
import threading
import typing as t

from erlen import Erlen

#: Observations the app records (a generator's finally ran, a teardown ran...), read back through /_state.
STATE: dict[str, t.Any] = {}
STATE_LOCK = threading.Lock()


def record(key: str, value: t.Any = True) -> None:
    with STATE_LOCK:
        STATE[key] = value


def bump(key: str) -> None:
    with STATE_LOCK:
        STATE[key] = STATE.get(key, 0) + 1


def current_rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def make_app(name: str, **config: t.Any) -> Erlen:
    app = Erlen(name, root_path=os.path.dirname(os.path.abspath(__file__)))
    app.config.update(config)

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.get("/_state")
    def state() -> dict[str, t.Any]:
        with STATE_LOCK:
            return {
                **STATE,
                "_rss_kib": current_rss_kib(),
                "_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }

    @app.post("/_state/reset")
    def reset() -> str:
        with STATE_LOCK:
            STATE.clear()
        return "ok"

    return app
