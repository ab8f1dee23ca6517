"""A small HTTP/1.1 client over raw sockets, so tests can send exactly the bytes an attacker would.

It parses one response (Content-Length, chunked, or read-to-close) and says whether the body arrived complete,
which the stream-fault rows need. Every socket has a timeout: no test can hang on a server.
"""

from __future__ import annotations

import dataclasses
import json
import select
import socket
import time
import typing as t

DEFAULT_TIMEOUT = 10.0


@dataclasses.dataclass
class Reply:
    """One parsed response. ``complete`` is False when the body ended before its framing said it would."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    complete: bool = True
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def json(self) -> t.Any:
        return json.loads(self.body)


class _Reader:
    """Buffered reads from a socket that tolerate the peer closing or resetting."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def _fill(self) -> bool:
        if self.closed:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    def line(self) -> bytes | None:
        while b"\r\n" not in self.buffer:
            if not self._fill():
                return None
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def exactly(self, size: int) -> tuple[bytes, bool]:
        while len(self.buffer) < size:
            if not self._fill():
                data, self.buffer = self.buffer, b""
                return data, False
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data, True

    def rest(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def read_reply(sock: socket.socket, method: str = "GET") -> Reply:
    """Read one response from ``sock``; raises ConnectionError when no status line arrives."""
    reader = _Reader(sock)
    status_line = reader.line()
    while status_line is not None and status_line.split(b" ", 2)[1:2] == [b"100"]:
        # Skip an interim "100 Continue" and its blank line.
        while reader.line() not in (b"", None):
            pass
        status_line = reader.line()
    if not status_line:
        raise ConnectionError("no response")
    status = int(status_line.split(b" ", 2)[1])
    headers: list[tuple[str, str]] = []
    while True:
        line = reader.line()
        if line is None:
            return Reply(status, headers, b"", complete=False)
        if line == b"":
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    reply = Reply(status, headers, b"")
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return reply
    if (reply.header("transfer-encoding") or "").lower() == "chunked":
        body = bytearray()
        while True:
            size_line = reader.line()
            if size_line is None:
                reply.complete = False
                break
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                reader.line()
                break
            data, ok = reader.exactly(size + 2)
            body += data[:size]
            if not ok:
                reply.complete = False
                break
        reply.body = bytes(body)
    elif reply.header("content-length") is not None:
        length = int(reply.header("content-length") or 0)
        reply.body, reply.complete = reader.exactly(length)
    else:
        reply.body = reader.rest()
    return reply


def connect(port: int, timeout: float = DEFAULT_TIMEOUT) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def build_request(
    method: str,
    path: str,
    headers: t.Mapping[str, str] | t.Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    host: str | None = "127.0.0.1",
    content_length: bool = True,
) -> bytes:
    """The bytes of a request; ``Connection: close`` so each request owns its socket."""
    pairs = list(headers.items()) if isinstance(headers, t.Mapping) else list(headers)
    names = {name.lower() for name, _ in pairs}
    if host is not None and "host" not in names:
        pairs.insert(0, ("Host", host))
    if "connection" not in names:
        pairs.append(("Connection", "close"))
    if content_length and body and "content-length" not in names and "transfer-encoding" not in names:
        pairs.append(("Content-Length", str(len(body))))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n"
    return head.encode("latin-1") + body


def raw(
    port: int, data: bytes, timeout: float = DEFAULT_TIMEOUT, method: str = "GET", half_close: bool = False
) -> Reply:
    """Send ``data`` as-is and read one response; ``half_close`` then signals end of input to the server."""
    started = time.perf_counter()
    with connect(port, timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = read_reply(sock, method)
    reply.elapsed = time.perf_counter() - started
    return reply


def request(
    port: int,
    method: str,
    path: str,
    headers: t.Mapping[str, str] | t.Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    timeout: float = DEFAULT_TIMEOUT,
    host: str | None = "127.0.0.1",
) -> Reply:
    return raw(port, build_request(method, path, headers, body, host), timeout, method)


def get(
    port: int, path: str, headers: t.Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Reply:
    return request(port, "GET", path, headers or {}, timeout=timeout)


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


def send_chunked(
    port: int,
    path: str,
    pieces: t.Iterable[bytes],
    headers: t.Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[Reply, int]:
    """Send a chunked body piece by piece, stopping as soon as the server answers.

    Returns the reply and how many body bytes were handed to the socket before it came, so a test can tell
    a server that refused early from one that swallowed everything.
    """
    head = build_request("POST", path, {"Transfer-Encoding": "chunked", **(headers or {})})
    sent = 0
    with connect(port, timeout) as sock:
        sock.sendall(head)
        answered = False
        for piece in pieces:
            if _readable(sock):
                answered = True
                break
            try:
                _send_watching(sock, chunk(piece), timeout)
            except (BrokenPipeError, ConnectionResetError):
                answered = True
                break
            except _Answered:
                answered = True
                break
            sent += len(piece)
        if not answered:
            try:
                sock.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        return read_reply(sock, "POST"), sent


class _Answered(Exception):
    pass


def _readable(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _send_watching(sock: socket.socket, data: bytes, timeout: float) -> None:
    """Send all of ``data`` but give up as soon as the server starts answering (it stopped reading)."""
    view = memoryview(data)
    deadline = time.monotonic() + timeout
    while view:
        readable, writable, _ = select.select([sock], [sock], [], max(0.0, deadline - time.monotonic()))
        if readable:
            raise _Answered()
        if not writable:
            raise TimeoutError("server stopped reading and did not answer")
        sent = sock.send(view[:65536])
        view = view[sent:]


def best_of(times: int, action: t.Callable[[], float]) -> float:
    """The smallest of ``times`` measurements: timing bounds are checked against the quietest run."""
    return min(action() for _ in range(times))


def timed(action: t.Callable[[], Reply]) -> tuple[Reply, float]:
    started = time.perf_counter()
    reply = action()
    return reply, time.perf_counter() - started


BOUNDARY = "erlenboundary7MA4YWxkTrZu0gW"


def multipart_part(
    name: str, value: bytes, filename: str | None = None, extra_headers: t.Sequence[str] = ()
) -> bytes:
    """One multipart part (without its leading boundary line)."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [f"Content-Disposition: {disposition}", *extra_headers]
    if filename is not None:
        lines.append("Content-Type: application/octet-stream")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + value


def multipart(parts: t.Iterable[bytes], boundary: str = BOUNDARY, closed: bool = True) -> bytes:
    """A multipart/form-data body from already built parts."""
    delimiter = f"--{boundary}".encode()
    body = bytearray()
    for part in parts:
        body += delimiter + b"\r\n" + part + b"\r\n"
    if closed:
        body += delimiter + b"--\r\n"
    return bytes(body)


def multipart_headers(boundary: str = BOUNDARY) -> dict[str, str]:
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def chunked_body(body: bytes, size: int) -> bytes:
    """``body`` framed as HTTP chunks of ``size`` bytes, terminator included."""
    frames = b"".join(chunk(body[i : i + size]) for i in range(0, len(body), size))
    return frames + b"0\r\n\r\n"
