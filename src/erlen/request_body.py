"""Reading a request body within limits: capped and exact-length streams, and the form parsers.

Werkzeug's own limits stop reading at the cap and hand the view a truncated body when a request is chunked,
read a malformed Content-Length as 0, and leave spooled upload files open when parsing fails. The streams and
parsers here refuse instead (413 past a limit, 400 for framing that cannot be trusted) and close what they
opened. :class:`erlen.wrappers.Request` plugs them in.
"""

from __future__ import annotations

import io
import re
import typing as t

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.sansio.multipart import Data, Epilogue, Event, Field, File, MultipartDecoder, NeedData, State

from .body_stream import StreamingBodyError
from .sansio.formdata import empty_fields, parse_fields

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: Declared bodies up to this size are read into memory at once rather than streamed.
EAGER_BODY_SIZE = 64 * 1024


class CappedStream(io.RawIOBase):
    """A body stream that refuses to be read past ``limit`` bytes (no limit when None).

    Werkzeug's own limit stops reading at the cap and hands the view a truncated body when the request is
    chunked; this one raises 413 as soon as a byte beyond the cap arrives, so a view never sees a cut body.
    A server's error while reading (bad chunked framing, a client gone mid-body) is a 400, not a 500.
    """

    def __init__(self, stream: t.IO[bytes], limit: int | None) -> None:
        self._stream = stream
        self._remaining = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer)
        remaining = self._remaining
        # Ask for one byte more than the cap allows so an oversized body is noticed, not cut.
        want = len(view) if remaining is None else min(len(view), remaining + 1)
        if want <= 0:
            return 0
        data = read_body(self._stream, want)
        if not data:
            return 0
        if remaining is not None:
            if len(data) > remaining:
                self._remaining = -1
                raise RequestEntityTooLarge()
            self._remaining = remaining - len(data)
        view[: len(data)] = data
        return len(data)


def read_body(stream: t.IO[bytes], size: int) -> bytes:
    """Read from the server's input; its own errors (gunicorn's NoMoreData, InvalidChunkSize...) become 400."""
    try:
        return stream.read(size)
    except (HTTPException, StreamingBodyError):
        raise
    except Exception as e:
        raise ClientDisconnected() from e


#: The largest Content-Length Erlen takes as a size; larger ones are malformed (they overflow servers' int64).
_MAX_DECLARED_LENGTH = 2**63 - 1


def declared_length(environ: WSGIEnvironment) -> int | None:
    """The body length from CONTENT_LENGTH, None for a chunked or undeclared body; 400 when malformed.

    Werkzeug reads a malformed length (``-1``, ``1,2``, ``abc``) as 0 and a huge one as a size; a request whose
    framing cannot be trusted is refused instead.
    """
    text = environ.get("CONTENT_LENGTH")
    if not text or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    digits = text.strip(" \t")
    if not (digits.isdigit() and digits.isascii()) or len(digits) > 19 or int(digits) > _MAX_DECLARED_LENGTH:
        raise BadRequest("Malformed Content-Length header.")
    return int(digits)


#: Part header blocks larger than this, or with more lines, are refused (python-multipart's advisory).
_MAX_PART_HEADER_BYTES = 8 * 1024
_MAX_PART_HEADER_LINES = 32
#: RFC 2046 boundary characters (``bchars``); the RFC allows 70 of them, Erlen up to 256 because Werkzeug's
#: test client can generate a 71-character boundary.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,255}[0-9A-Za-z'()+_,\-./:=?]")


class _PartDecoder(MultipartDecoder):
    """Werkzeug's multipart decoder with a bound on each part's header block (size and line count)."""

    def next_event(self) -> Event:
        event = super().next_event()
        if (
            self.state is State.PART
            and isinstance(event, NeedData)
            and len(self.buffer) > _MAX_PART_HEADER_BYTES + 4
        ):
            # No blank line within the limit: the header block is already too large, whatever follows.
            raise RequestEntityTooLarge("A multipart part's headers are too large.")
        return event

    def _parse_headers(self, data: bytes | bytearray) -> Headers:
        if len(data) > _MAX_PART_HEADER_BYTES or len(data.splitlines()) > _MAX_PART_HEADER_LINES:
            raise RequestEntityTooLarge("A multipart part's headers are too large.")
        return super()._parse_headers(data)


class _MultiPartParser(MultiPartParser):
    """Multipart parsing on :class:`_PartDecoder`; every file it opened is closed when parsing fails."""

    def parse(
        self, stream: t.IO[bytes], boundary: bytes, content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        opened: list[t.IO[bytes]] = []
        factory = self.stream_factory

        def tracked_factory(
            total_content_length: int | None,
            content_type: str | None,
            filename: str | None,
            content_length: int | None = None,
        ) -> t.IO[bytes]:
            container = factory(total_content_length, content_type, filename, content_length)
            opened.append(container)
            return container

        self.stream_factory = tracked_factory
        try:
            return self._decode(stream, boundary, content_length)
        except BaseException:
            # A 413 mid-body would otherwise leave the spooled files to the cyclic garbage collector.
            for container in opened:
                container.close()
            raise
        finally:
            self.stream_factory = factory

    def _decode(
        self, stream: t.IO[bytes], boundary: bytes, content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        decoder = _PartDecoder(boundary, self.max_form_memory_size, max_parts=self.max_form_parts)
        field_limit = self.max_form_memory_size
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        part: Field | File | None = None
        pieces: list[bytes] = []
        field_size = 0
        container: t.IO[bytes] | None = None
        while True:
            chunk = stream.read(self.buffer_size)
            decoder.receive_data(chunk or None)
            event = decoder.next_event()
            while not isinstance(event, (NeedData, Epilogue)):
                if isinstance(event, File):
                    part, container = event, self.start_file_streaming(event, content_length)
                elif isinstance(event, Field):
                    part, container, pieces, field_size = event, None, [], 0
                elif isinstance(event, Data) and part is not None:
                    if container is None:
                        field_size += len(event.data)
                        if field_limit is not None and field_size > field_limit:
                            raise RequestEntityTooLarge()
                        pieces.append(event.data)
                    else:
                        container.write(event.data)
                    if not event.more_data:
                        if container is None:
                            charset = self.get_part_charset(part.headers)
                            fields.append((part.name, b"".join(pieces).decode(charset, "replace")))
                        else:
                            container.seek(0)
                            upload = FileStorage(container, part.filename, part.name, headers=part.headers)  # type: ignore[union-attr]
                            files.append((part.name, upload))
                event = decoder.next_event()
            if not chunk:
                return self.cls(fields), self.cls(files)


class LimitedFormDataParser(FormDataParser):
    """Werkzeug's form parser with the limits applied to every body, however it is framed.

    - urlencoded: the body is read up to MAX_FORM_MEMORY_SIZE (413 past it, chunked or not) and its fields
      are counted against MAX_FORM_PARTS (413) before they are parsed;
    - multipart: the boundary must be valid (400), part header blocks are bounded (413), and spooled files
      are closed as soon as parsing fails.
    """

    def _parse_urlencoded(
        self, stream: t.IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[t.IO[bytes], MultiDict[str, t.Any], MultiDict[str, t.Any]]:
        cap = self.max_form_memory_size
        if cap is None:
            data = stream.read()
        else:
            if content_length is not None and content_length > cap:
                raise RequestEntityTooLarge()
            data = stream.read(cap + 1)
            if len(data) > cap:
                raise RequestEntityTooLarge()
        max_fields = self.max_form_parts
        if max_fields is not None and data and data.count(b"&") >= max_fields:
            raise RequestEntityTooLarge()
        return stream, parse_fields(data.decode(), self.cls), empty_fields(self.cls)

    def _parse_multipart(
        self, stream: t.IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[t.IO[bytes], MultiDict[str, t.Any], MultiDict[str, t.Any]]:
        boundary = options.get("boundary", "")
        if _BOUNDARY_RE.fullmatch(boundary) is None:
            # Werkzeug's parser turns this into an empty form silently; the client sent an unusable body.
            raise BadRequest("Missing or invalid multipart boundary.")
        parser = _MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        form, files = parser.parse(stream, boundary.encode("ascii"), content_length)
        return stream, form, files


class LengthStream(io.RawIOBase):
    """Reads exactly Content-Length bytes; a body that ends early is a client disconnect (400)."""

    def __init__(self, stream: t.IO[bytes], length: int) -> None:
        self._stream = stream
        self._remaining = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        if self._remaining <= 0:
            return 0
        view = memoryview(buffer)
        want = min(len(view), self._remaining)
        data = read_body(self._stream, want)
        if not data:
            raise ClientDisconnected()
        self._remaining -= len(data)
        view[: len(data)] = data
        return len(data)
