"""The session cookie's signing, done directly for the default settings (HMAC key derivation, SHA-1).

How this works: the default session cookie is what itsdangerous' ``URLSafeTimedSerializer`` writes: the JSON,
zlib-compressed when that makes it shorter (then prefixed with ``.``), URL-safe base64 without padding, a
``.``, the base64 of the big-endian signing time in seconds, a ``.``, and the base64 of
``HMAC-SHA1(HMAC-SHA1(secret, salt), everything before it)``. Going through itsdangerous costs about a hundred
Python calls per request (a serializer and a signer are built each time, and every step re-derives keys and
converts types). :class:`CookieCodec` derives the keys once per (keys, salt) and does the same steps with a few
C calls, producing byte-identical cookies.

Verified cookies and encoded payloads are cached per codec (bounded), so a cookie seen again skips the
cryptography; a cached cookie's age is still checked on every use. Only the successful path is done here. :meth:`CookieCodec.loads` returns ``None`` for anything it does not
accept (bad signature, expired, malformed), and the caller then runs itsdangerous itself, so every error is
raised (or turned into an empty session) exactly as itsdangerous decides.
"""

from __future__ import annotations

import hmac
import time
import typing as t
import zlib
from binascii import a2b_base64, b2a_base64

from .json.tag import TaggedJSONSerializer

# URL-safe base64 is standard base64 with these two characters swapped.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64encode(data: bytes) -> bytes:
    return b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    # Same leniency as itsdangerous: padding restored, characters outside the alphabet discarded.
    return a2b_base64(data.translate(_FROM_URLSAFE) + b"=" * (-len(data) % 4))


#: Entries kept per codec in each of its caches; each cache is cleared when full.
_CACHE_SIZE = 256


class CookieCodec:
    """Signs and verifies session cookies for one list of secret keys and one salt (see the module docs)."""

    __slots__ = ("_encoded", "_signing_key", "_stamp", "_verified", "_verify_keys")

    def __init__(self, secret_keys: t.Sequence[str | bytes], salt: str | bytes) -> None:
        salt_bytes = salt.encode() if isinstance(salt, str) else salt
        derived = [
            hmac.digest(key.encode() if isinstance(key, str) else key, salt_bytes, "sha1")
            for key in secret_keys
        ]
        # itsdangerous signs with the last key and tries the keys newest first when verifying.
        self._signing_key = derived[-1]
        self._verify_keys = tuple(reversed(derived))
        #: JSON text -> its encoded payload (compressed or not, base64): a pure function of the text.
        self._encoded: dict[str, bytes] = {}
        #: (second, its encoded timestamp) for the last second a cookie was signed in.
        self._stamp: tuple[int, bytes] = (-1, b"")
        #: Verified cookie -> (signing time, JSON text, the decoded dict if its values are all immutable).
        self._verified: dict[str, tuple[int, str, TaggedJSONSerializer, dict[str, t.Any] | None]] = {}

    def dumps(self, serializer: TaggedJSONSerializer, data: t.Any) -> str:
        """The cookie value for ``data``, signed now."""
        text = serializer.dumps(data)
        # PERF: a session whose content did not change encodes to the same payload; zlib and base64 run once.
        value = self._encoded.get(text)
        if value is None:
            payload = text.encode()
            compressed = zlib.compress(payload)
            if len(compressed) < len(payload) - 1:
                value = b"." + _b64encode(compressed)
            else:
                value = _b64encode(payload)
            if len(self._encoded) >= _CACHE_SIZE:
                self._encoded.clear()
            self._encoded[text] = value
        now = int(time.time())
        second, stamp = self._stamp
        if second != now:
            stamp = _b64encode(now.to_bytes(8, "big").lstrip(b"\x00"))
            self._stamp = (now, stamp)
        value += b"." + stamp
        signature = _b64encode(hmac.digest(self._signing_key, value, "sha1"))
        return (value + b"." + signature).decode()

    def loads(
        self, serializer: TaggedJSONSerializer, cookie: str, max_age: int | None
    ) -> tuple[t.Any] | None:
        """``(data,)`` when the cookie is valid and not older than ``max_age`` seconds; ``None`` otherwise."""
        # PERF: a cookie already verified by this codec (same keys, same salt) skips base64, HMAC and zlib; its
        # age is still checked against its signing time on every request.
        known = self._verified.get(cookie)
        if known is not None:
            signed_at, text, decoded_by, shared = known
            if max_age is not None:
                age = int(time.time()) - signed_at
                if age > max_age or age < 0:
                    return None
            # A copy of the decoded dict, unless a tag registered since then could read it differently.
            if (
                shared is not None
                and decoded_by is serializer
                and (len(shared) != 1 or next(iter(shared)) not in serializer.tags)
            ):
                return (dict(shared),)
            try:
                return (serializer.loads(text),)
            except Exception:
                return None
        try:
            value, sep, signature = cookie.encode().rpartition(b".")
            if not sep:
                return None
            expected = _b64decode(signature)
            payload, sep, stamp = value.rpartition(b".")
            if not sep:
                return None
            for key in self._verify_keys:
                if hmac.compare_digest(expected, hmac.digest(key, value, "sha1")):
                    break
            else:
                return None
            stamp_bytes = _b64decode(stamp)
            if len(stamp_bytes) > 8:
                return None
            signed_at = int.from_bytes(stamp_bytes, "big")
            if max_age is not None:
                age = int(time.time()) - signed_at
                if age > max_age or age < 0:
                    return None
            if payload[:1] == b".":
                text = zlib.decompress(_b64decode(payload[1:])).decode()
            else:
                text = _b64decode(payload).decode()
            data = serializer.loads(text)
        except Exception:
            # Malformed in some way: itsdangerous, run by the caller, decides what that means.
            return None
        plain: dict[str, t.Any] | None = None
        if type(data) is dict:
            for item in data.values():
                if type(item) not in _IMMUTABLE_TYPES:
                    break
            else:
                plain = dict(data)
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[cookie] = (signed_at, text, serializer, plain)
        return (data,)


#: Values a cached session dict may share between requests.
_IMMUTABLE_TYPES = frozenset((str, int, float, bool, type(None)))


#: Codecs by (secret keys, salt); bounded, since keys change only on rotation.
codec_cache: dict[tuple[tuple[str | bytes, ...], str | bytes], CookieCodec] = {}


def codec_for(secret_keys: tuple[str | bytes, ...], salt: str | bytes) -> CookieCodec:
    """The codec for these keys and salt, built once."""
    key = (secret_keys, salt)
    codec = codec_cache.get(key)
    if codec is None:
        if len(codec_cache) >= 16:
            codec_cache.clear()
        codec = codec_cache[key] = CookieCodec(secret_keys, salt)
    return codec
