"""ASGI benchmark: Erlen beside Starlette, Quart and Falcon's ASGI app, in process and end to end.

In process: each framework's app is called directly with prepared ASGI scopes on one event loop, so only the
framework's own work is timed (hello, path params -> JSON, JSON POST, websocket echo). End to end: Erlen and a
raw ASGI app are served by uvicorn and by granian on 127.0.0.1 and loaded with wrk; the report gives Erlen's
req/s as a share of the raw app's.

Run: ``.venv-bench/bin/python bench/asgi_bench.py [--quick] [--no-servers] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from collections import deque
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = ("hello", "params_json", "json_post", "ws_echo")
FRAMEWORKS = ("erlen", "falcon", "starlette", "quart")
POST_BODY = json.dumps({"name": "erlen", "tags": ["a", "b"], "count": 3}).encode()

# -- the apps -----------------------------------------------------------------------------------------------


def erlen_app() -> t.Any:
    from erlen import Erlen, request
    from erlen.websocket import websocket

    app = Erlen("bench")

    @app.route("/")
    async def hello() -> str:
        return "Hello, World!"

    @app.route("/users/<int:user_id>/posts/<slug>")
    async def post(user_id: int, slug: str) -> dict[str, t.Any]:
        return {"user_id": user_id, "slug": slug}

    @app.post("/echo")
    async def echo() -> dict[str, t.Any]:
        data = request.get_json()
        return {"name": data["name"], "count": data["count"]}

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        while True:
            await websocket.send(await websocket.receive())

    return app


def falcon_app() -> t.Any:
    import falcon
    import falcon.asgi

    class Hello:
        async def on_get(self, req: t.Any, resp: t.Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "Hello, World!"

    class Post:
        async def on_get(self, req: t.Any, resp: t.Any, user_id: int, slug: str) -> None:
            resp.media = {"user_id": user_id, "slug": slug}

    class Echo:
        async def on_post(self, req: t.Any, resp: t.Any) -> None:
            data = await req.get_media()
            resp.media = {"name": data["name"], "count": data["count"]}

    class Ws:
        async def on_websocket(self, req: t.Any, ws: t.Any) -> None:
            await ws.accept()
            while True:
                try:
                    await ws.send_text(await ws.receive_text())
                except falcon.WebSocketDisconnected:
                    return

    app = falcon.asgi.App()
    app.add_route("/", Hello())
    app.add_route("/users/{user_id:int}/posts/{slug}", Post())
    app.add_route("/echo", Echo())
    app.add_route("/ws", Ws())
    return app


def starlette_app() -> t.Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    async def post(request: Request) -> JSONResponse:
        params = request.path_params
        return JSONResponse({"user_id": params["user_id"], "slug": params["slug"]})

    async def echo(request: Request) -> JSONResponse:
        data = await request.json()
        return JSONResponse({"name": data["name"], "count": data["count"]})

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    return Starlette(
        routes=[
            Route("/", hello),
            Route("/users/{user_id:int}/posts/{slug}", post),
            Route("/echo", echo, methods=["POST"]),
            WebSocketRoute("/ws", ws),
        ]
    )


def quart_app() -> t.Any:
    from quart import Quart, request, websocket

    app = Quart("bench")

    @app.route("/")
    async def hello() -> str:
        return "Hello, World!"

    @app.route("/users/<int:user_id>/posts/<slug>")
    async def post(user_id: int, slug: str) -> dict[str, t.Any]:
        return {"user_id": user_id, "slug": slug}

    @app.post("/echo")
    async def echo() -> dict[str, t.Any]:
        data = await request.get_json()
        return {"name": data["name"], "count": data["count"]}

    @app.websocket("/ws")
    async def ws() -> None:
        while True:
            await websocket.send(await websocket.receive())

    return app


BUILDERS: dict[str, t.Callable[[], t.Any]] = {
    "erlen": erlen_app,
    "falcon": falcon_app,
    "starlette": starlette_app,
    "quart": quart_app,
}

# -- in-process driving -------------------------------------------------------------------------------------


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"user-agent", b"bench"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _http_once(
    app: t.Any, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> int:
    scope = _scope(method, path, headers)
    sent = False
    status = 0

    async def receive() -> dict[str, t.Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _http_case(scenario: str) -> tuple[str, str, bytes, list[tuple[bytes, bytes]]]:
    if scenario == "hello":
        return "GET", "/", b"", []
    if scenario == "params_json":
        return "GET", "/users/42/posts/hello-world", b"", []
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(POST_BODY)).encode())]
    return "POST", "/echo", POST_BODY, headers


class _Inbox:
    """An ASGI ``receive`` over a deque of prepared messages.

    A ready message is returned without suspending (no queue, no task switch), so the figure is the framework's
    own cost per message; when the deque is empty it waits, as a server's receive does, until ``push`` adds one.
    """

    def __init__(self, messages: t.Iterable[dict[str, t.Any]] = ()) -> None:
        self.messages = deque(messages)
        self.waiter: asyncio.Future[None] | None = None

    def push(self, message: dict[str, t.Any]) -> None:
        self.messages.append(message)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def __call__(self) -> dict[str, t.Any]:
        while not self.messages:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return self.messages.popleft()


async def _ws_session(app: t.Any, messages: int) -> None:
    """One websocket connection that echoes ``messages`` text messages, one at a time.

    The client answers inside ``send``: the accept and each echoed reply put the next message (a text, or
    the close after the last reply) in the inbox at once. So a framework that reads right after it sends finds
    the message ready and never waits on the harness; no queue or task of the harness stands between messages.
    """
    scope = _scope("GET", "/ws", [])
    scope.update(type="websocket", scheme="ws", subprotocols=[])
    del scope["method"]
    ping = {"type": "websocket.receive", "text": "ping"}
    inbox = _Inbox([{"type": "websocket.connect"}])
    replies = 0
    accepted = False

    async def send(message: dict[str, t.Any]) -> None:
        nonlocal replies, accepted
        kind = message["type"]
        if kind == "websocket.send":
            assert message.get("text") == "ping", message
            replies += 1
        elif kind == "websocket.accept":
            accepted = True
        else:
            return
        inbox.push(ping if replies < messages else {"type": "websocket.disconnect", "code": 1000})

    await app(scope, inbox, send)
    assert accepted and replies == messages, (accepted, replies)


async def _lifespan(app: t.Any) -> tuple[asyncio.Queue[t.Any], asyncio.Future[t.Any]] | None:
    inbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    inbox.put_nowait({"type": "lifespan.startup"})
    try:
        await asyncio.wait_for(outbox.get(), 5)
    except Exception:
        return None
    return inbox, task


#: The timer of each round: this process's CPU time (the in-process loop is single-threaded and CPU-bound, so
#: on an idle machine it equals wall time, and on a shared one it leaves out time other processes held the CPU);
#: ``--wall-clock`` switches to ``time.perf_counter``.
_clock: t.Callable[[], float] = time.process_time


async def time_in_process(framework: str, scenario: str, requests: int, rounds: int) -> dict[str, t.Any]:
    """Median microseconds per request (per message for ws_echo) over ``rounds`` rounds, GC paused in each."""
    app = BUILDERS[framework]()
    life = await _lifespan(app)
    samples: list[float] = []
    if scenario == "ws_echo":
        per_session = 100
        sessions = max(1, requests // per_session)
        await _ws_session(app, 5)
        for _ in range(rounds):
            gc.collect()
            gc.disable()
            start = _clock()
            for _ in range(sessions):
                await _ws_session(app, per_session)
            samples.append((_clock() - start) / (sessions * per_session) * 1e6)
            gc.enable()
    else:
        method, path, body, headers = _http_case(scenario)
        status = await _http_once(app, method, path, body, headers)
        assert status == 200, f"{framework} {scenario}: status {status}"
        for _ in range(rounds):
            gc.collect()
            gc.disable()
            start = _clock()
            for _ in range(requests):
                await _http_once(app, method, path, body, headers)
            samples.append((_clock() - start) / requests * 1e6)
            gc.enable()
    if life is not None:
        inbox, task = life
        inbox.put_nowait({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(task, 5)
        except Exception:
            pass
    return {
        "framework": framework,
        "scenario": scenario,
        "us": statistics.median(samples),
        "samples": samples,
    }


# -- end to end ---------------------------------------------------------------------------------------------

RAW_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")]})
    await send({"type": "http.response.body", "body": b"Hello, World!"})
"""
ERLEN_APP = """
from erlen import Erlen
app = Erlen("e2e")

@app.route("/")
async def hello():
    return "Hello, World!"
"""
SERVERS = {
    "uvicorn": [sys.executable, "-m", "uvicorn", "{app}", "--host", "127.0.0.1", "--port", "{port}",
                "--log-level", "warning", "--no-access-log"],
    "granian": [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
                "--port", "{port}", "--workers", "1", "--log-level", "warning", "--no-ws", "{app}"],
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None or "Non-2xx" in out:
        raise RuntimeError(f"wrk reported errors for {url}:\n{out}")
    return float(match.group(1))


def end_to_end(server: str, seconds: int, connections: int, repeats: int) -> dict[str, t.Any]:
    """req/s for Erlen and for the raw app under ``server``: medians of ``repeats`` rounds, each loading the raw
    app and then Erlen back to back. The share is the median of the rounds' shares (as the WSGI section's, see
    ``harness.serving.share_of``): a slower minute on the machine lowers both sides of its round."""
    work = Path(tempfile.mkdtemp(prefix="erlen-asgi-bench-"))
    (work / "raw_asgi.py").write_text(RAW_APP)
    (work / "erlen_e2e.py").write_text(ERLEN_APP)
    # The caller's PYTHONPATH stays after the apps' folder, so a worktree's erlen is the one served.
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(work), os.environ.get("PYTHONPATH")]))
    )
    procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, module in (("raw", "raw_asgi:app"), ("erlen", "erlen_e2e:app")):
            port = _free_port()
            command = [part.format(app=module, port=port) for part in SERVERS[server]]
            procs[name] = (
                subprocess.Popen(
                    command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                ),
                port,
            )
        for name, (proc, port) in procs.items():
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"{server} ({name}) did not start") from None
                    time.sleep(0.1)
        results: dict[str, list[float]] = {"raw": [], "erlen": []}
        for _, port in procs.values():
            _wrk(f"http://127.0.0.1:{port}/", 1, connections)  # warm up
        for _ in range(repeats):
            for name, (_, port) in procs.items():
                results[name].append(_wrk(f"http://127.0.0.1:{port}/", seconds, connections))
        raw = statistics.median(results["raw"])
        erlen = statistics.median(results["erlen"])
        shares = [e / r if r else 0.0 for e, r in zip(results["erlen"], results["raw"])]
        return {
            "server": server,
            "raw_rps": raw,
            "erlen_rps": erlen,
            "share": statistics.median(shares),
            "round_shares": shares,
        }
    finally:
        for proc, _ in procs.values():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


# -- report -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few requests, one end-to-end run (smoke)")
    parser.add_argument("--no-servers", action="store_true", help="skip the end-to-end runs")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="in-process scenarios to run")
    parser.add_argument(
        "--wall-clock", action="store_true", help="time rounds with perf_counter, not CPU time"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    requests, rounds = (300, 3) if args.quick else (3000, 7)
    frameworks = [f for f in args.frameworks.split(",") if f]
    scenarios = [s for s in args.scenarios.split(",") if s in SCENARIOS]
    if args.wall_clock:
        global _clock
        _clock = time.perf_counter
    rows: list[dict[str, t.Any]] = []
    for scenario in scenarios:
        for framework in frameworks:
            try:
                rows.append(asyncio.run(time_in_process(framework, scenario, requests, rounds)))
            except ImportError as e:
                print(f"skip {framework}: {e}", file=sys.stderr)
    table: dict[str, dict[str, float]] = {}
    for row in rows:
        table.setdefault(row["scenario"], {})[row["framework"]] = row["us"]
    print("## ASGI in process (median µs per request; ws_echo: per message)\n")
    print("| scenario | " + " | ".join(frameworks) + " | erlen/falcon | quart/erlen |")
    print("|---|" + "---|" * (len(frameworks) + 2))
    checks: list[tuple[str, bool]] = []
    for scenario in scenarios:
        cells = table.get(scenario, {})
        line = " | ".join(f"{cells[f]:.1f}" if f in cells else "-" for f in frameworks)
        vs_falcon = cells.get("erlen", 0) / cells["falcon"] if cells.get("falcon") else 0.0
        vs_quart = cells.get("quart", 0) / cells["erlen"] if cells.get("erlen") else 0.0
        print(f"| {scenario} | {line} | {vs_falcon:.2f}x | {vs_quart:.1f}x |")
        if "quart" in cells:
            checks.append((f"{scenario}: Erlen >= 10x faster than Quart ({vs_quart:.1f}x)", vs_quart >= 10))
        if scenario == "hello" and "falcon" in cells:
            checks.append((f"hello: Erlen within 1.2x of Falcon ASGI ({vs_falcon:.2f}x)", vs_falcon <= 1.2))
    e2e: list[dict[str, t.Any]] = []
    if not args.no_servers and shutil.which("wrk"):
        seconds, repeats = (2, 1) if args.quick else (4, 5)
        print("\n## End to end, hello (wrk, 64 connections, 1 worker)\n")
        print("| server | raw ASGI req/s | Erlen req/s | share (median of the rounds') | rounds |")
        print("|---|---|---|---|---|")
        for server in SERVERS:
            try:
                result = end_to_end(server, seconds, 64, repeats)
            except Exception as e:
                print(f"| {server} | failed: {e} | | | |")
                continue
            e2e.append(result)
            rounds = ", ".join(f"{share:.0%}" for share in result["round_shares"])
            print(
                f"| {server} | {result['raw_rps']:.0f} | {result['erlen_rps']:.0f} | {result['share']:.0%} |"
                f" {rounds} |"
            )
            checks.append(
                (
                    f"{server}: Erlen >= 70% of raw ASGI ({result['share']:.0%}; rounds {rounds})",
                    result["share"] >= 0.7,
                )
            )
    print("\n## Targets\n")
    for text, ok in checks:
        print(f"- [{'x' if ok else ' '}] {text}")
    if args.json:
        args.json.write_text(json.dumps({"in_process": rows, "end_to_end": e2e, "targets": checks}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
