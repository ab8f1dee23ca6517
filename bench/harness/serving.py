"""Serve an app with granian's WSGI interface and load it with wrk (or a small Python load generator).

Each server runs in its own process group, started here, so stopping it stops granian's worker too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import typing as t
from collections.abc import Iterator
from dataclasses import dataclass, replace

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_split() -> tuple[set[int], set[int]] | None:
    """``(server CPUs, load generator CPUs)`` when the machine has two or more CPUs to pin to, else None.

    The server gets the last CPU to itself and the load generator the others, so the two do not take turns on
    one core; every app, the raw one included, is measured the same way.
    """
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return {cpus[-1]}, set(cpus[:-1])


def _pinned_to(cpus: set[int] | None) -> t.Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child (and what it starts) to ``cpus``."""
    if cpus is None:
        return None

    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


@dataclass
class LoadResult:
    requests_per_second: float
    p99_ms: float
    errors: int
    tool: str
    #: Req/s of every round-robin run, in round order (see :func:`measure_servers`).
    rounds: tuple[float, ...] = ()


def share_of(result: LoadResult, ceiling: LoadResult) -> float:
    """``result``'s req/s as a fraction of ``ceiling``'s: the median of the round-by-round fractions.

    Each round loads the ceiling and then each framework back to back, so a slower minute on the machine lowers
    both sides of that round's fraction; the ratio of the two medians would mix runs minutes apart. Without
    paired rounds, the ratio of the medians.
    """
    if result.rounds and len(result.rounds) == len(ceiling.rounds) and all(ceiling.rounds):
        return statistics.median(r / c for r, c in zip(result.rounds, ceiling.rounds))
    return result.requests_per_second / ceiling.requests_per_second


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """One plain HTTP/1.1 GET; the status code, or None if nothing answered."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(match.group(1)) if match else None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT the server's process group, then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    for sig, grace in ((signal.SIGINT, 5.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # Granian's worker shares the group; make sure nothing of it is left.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def granian_server(framework: str, probe_path: str = "/", startup_timeout: float = 20.0) -> Iterator[int]:
    """Run ``apps.served:app`` for ``framework`` under granian (WSGI, 1 worker); yield its port."""
    port = free_port()
    env = dict(os.environ, BENCH_FRAMEWORK=framework, PYTHONPATH=BENCH_DIR)
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--workers",
        "1",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-ws",
        "--log-level",
        "warning",
        "--no-access-log",
        "--working-dir",
        BENCH_DIR,
        "apps.served:app",
    ]
    split = cpu_split()
    proc = subprocess.Popen(
        command,
        cwd=BENCH_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_pinned_to(split[0] if split else None),
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                last_line = next((line for line in reversed(err.splitlines()) if line.strip()), "")
                raise RuntimeError(f"granian exited with {proc.returncode}: {last_line.strip()[:300]}")
            if _get_status(port, probe_path) is not None:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"granian did not answer on port {port} within {startup_timeout:.0f}s")
            time.sleep(0.1)
        yield port
    finally:
        _stop(proc)


def _parse_duration_ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port: int, path: str, seconds: float, connections: int, threads: int) -> LoadResult:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        f"http://127.0.0.1:{port}{path}",
    ]
    split = cpu_split()
    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        preexec_fn=_pinned_to(split[1] if split else None),
    ).stdout
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99_match = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    if not rps_match:
        raise RuntimeError(f"could not read wrk's output: {out.strip()[-300:]}")
    p99 = _parse_duration_ms(p99_match.group(1)) if p99_match else float("nan")
    return LoadResult(float(rps_match.group(1)), p99, errors, "wrk")


async def _connection_loop(
    port: int, request: bytes, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        errors[0] += 1
        return
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2", b"HTTP/1.1 3")):
                errors[0] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        errors[0] += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def run_python_load(port: int, path: str, seconds: float, connections: int) -> LoadResult:
    """A bounded keep-alive load generator for machines without wrk (it measures less: Python is the client)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    errors = [0]

    async def main() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(
            *(_connection_loop(port, request, stop_at, latencies, errors) for _ in range(connections))
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    if not latencies:
        return LoadResult(0.0, float("nan"), errors[0], "python")
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else latencies[0] * 1000
    return LoadResult(len(latencies) / elapsed, p99, errors[0], "python")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def load(port: int, path: str, seconds: float, connections: int) -> LoadResult:
    if wrk_available():
        # One wrk thread: on small machines a second would take CPU from the server being measured.
        return run_wrk(port, path, seconds, connections, threads=1)
    return run_python_load(port, path, seconds, connections)


#: The served scenarios: the raw app answers these paths with the same bytes as the frameworks.
SERVED_PATHS = {"hello": "/", "path_json": "/users/42/posts/hello-world"}


def measure_servers(
    frameworks: list[str],
    scenarios: list[str],
    seconds: float,
    connections: int,
    repeats: int = 3,
    log: bool = True,
) -> dict[tuple[str, str], LoadResult | str]:
    """Req/s and p99 for each (framework, scenario); an error string where the run failed.

    All servers start first and stay up; the load runs then go round-robin over them ``repeats`` times,
    so a busy moment on the machine hits every framework alike. Each figure is the run with the median
    req/s among its repeats.
    """
    results: dict[tuple[str, str], LoadResult | str] = {}
    runs: dict[tuple[str, str], list[LoadResult]] = {}
    ports: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        for framework in frameworks:
            try:
                ports[framework] = stack.enter_context(granian_server(framework))
            except Exception as exc:
                for scenario in scenarios:
                    results[(framework, scenario)] = f"{type(exc).__name__}: {exc}"[:200]
        for framework, port in ports.items():
            for scenario in scenarios:
                status = _get_status(port, SERVED_PATHS[scenario])
                if status != 200:
                    results[(framework, scenario)] = f"status {status}"
                else:
                    load(
                        port, SERVED_PATHS[scenario], min(1.0, seconds), connections
                    )  # warm-up, not recorded
                    runs[(framework, scenario)] = []
        # Each round runs every framework on one scenario back to back, the raw app first (see share_of).
        order = sorted(runs, key=lambda key: (scenarios.index(key[1]), frameworks.index(key[0])))
        for _ in range(repeats):
            for framework, scenario in order:
                try:
                    runs[(framework, scenario)].append(
                        load(ports[framework], SERVED_PATHS[scenario], seconds, connections)
                    )
                except Exception as exc:
                    results[(framework, scenario)] = f"{type(exc).__name__}: {exc}"[:200]
    for key, done in runs.items():
        if key in results or not done:
            continue
        in_order = tuple(r.requests_per_second for r in done)
        done.sort(key=lambda r: r.requests_per_second)
        result = results[key] = replace(done[len(done) // 2], rounds=in_order)
        if log:
            spread = ", ".join(f"{rps:.0f}" for rps in in_order)
            print(
                f"  {key[0]:<7} {key[1]:<10} {result.requests_per_second:>9.0f} req/s  p99 {result.p99_ms:.2f} ms"
                f"  (runs: {spread})",
                file=sys.stderr,
                flush=True,
            )
    return results
