"""The session cookie's signing, done directly for the default settings (HMAC key derivation, SHA-1).

How this works: the default session cookie is what itsdangerous' ``URLSafeTimedSerializer`` writes: the JSON,
zlib-compressed when that makes it shorter (then prefixed with ``.``), URL-safe base64 without padding, a
``.``, the base64 of the big-endian signing time in seconds, a ``.``, and the base64 of
``HMAC-SHA1(HMAC-SHA1(secret, salt), everything before it)``. Going through itsdangerous costs about a hundred
Python calls per request (a serializer and a signer are built each time, and every step re-derives keys and
converts types). :class:`CookieCodec` derives the keys once per (keys, salt) and does the same steps with a few
C calls, producing byte-identical cookies.

Only the successful path is done here. :meth:`CookieCodec.loads` returns ``None`` for anything it does not
accept (bad signature, expired, malformed), and the caller then runs itsdangerous itself, so every error is
raised (or turned into an empty session) exactly as itsdangerous decides.
"""

from __future__ import annotations

import hmac
import time
import typing as t
import zlib
from binascii import a2b_base64, b2a_base64

# URL-safe base64 is standard base64 with these two characters swapped.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64encode(data: bytes) -> bytes:
    return b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    # Same leniency as itsdangerous: padding restored, characters outside the alphabet discarded.
    return a2b_base64(data.translate(_FROM_URLSAFE) + b"=" * (-len(data) % 4))


class _Serializer(t.Protocol):
    def dumps(self, value: t.Any) -> str: ...

    def loads(self, value: str) -> t.Any: ...


class CookieCodec:
    """Signs and verifies session cookies for one list of secret keys and one salt (see the module docs)."""

    __slots__ = ("_signing_key", "_verify_keys")

    def __init__(self, secret_keys: t.Sequence[str | bytes], salt: str | bytes) -> None:
        salt_bytes = salt.encode() if isinstance(salt, str) else salt
        derived = [
            hmac.digest(key.encode() if isinstance(key, str) else key, salt_bytes, "sha1")
            for key in secret_keys
        ]
        # itsdangerous signs with the last key and tries the keys newest first when verifying.
        self._signing_key = derived[-1]
        self._verify_keys = tuple(reversed(derived))

    def dumps(self, serializer: _Serializer, data: t.Any) -> str:
        """The cookie value for ``data``, signed now."""
        payload = serializer.dumps(data).encode()
        compressed = zlib.compress(payload)
        if len(compressed) < len(payload) - 1:
            value = b"." + _b64encode(compressed)
        else:
            value = _b64encode(payload)
        now = int(time.time())
        value += b"." + _b64encode(now.to_bytes(8, "big").lstrip(b"\x00"))
        signature = _b64encode(hmac.digest(self._signing_key, value, "sha1"))
        return (value + b"." + signature).decode()

    def loads(self, serializer: _Serializer, cookie: str, max_age: int | None) -> tuple[t.Any] | None:
        """``(data,)`` when the cookie is valid and not older than ``max_age`` seconds; ``None`` otherwise."""
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
            if max_age is not None:
                age = int(time.time()) - int.from_bytes(stamp_bytes, "big")
                if age > max_age or age < 0:
                    return None
            if payload[:1] == b".":
                text = zlib.decompress(_b64decode(payload[1:])).decode()
            else:
                text = _b64decode(payload).decode()
            return (serializer.loads(text),)
        except Exception:
            # Malformed in some way: itsdangerous, run by the caller, decides what that means.
            return None


#: Codecs by (secret keys, salt); bounded, since keys change only on rotation.
_codecs: dict[tuple[tuple[str | bytes, ...], str | bytes], CookieCodec] = {}


def codec_for(secret_keys: tuple[str | bytes, ...], salt: str | bytes) -> CookieCodec:
    """The codec for these keys and salt, built once."""
    key = (secret_keys, salt)
    codec = _codecs.get(key)
    if codec is None:
        if len(_codecs) >= 16:
            _codecs.clear()
        codec = _codecs[key] = CookieCodec(secret_keys, salt)
    return codec
