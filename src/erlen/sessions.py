"""Sessions: the session object views see, and the interface that loads and saves it per request.

How this works: the app asks ``app.session_interface`` to :meth:`~SessionInterface.open_session` from the
request and to :meth:`~SessionInterface.save_session` into the response. The default interface keeps the
whole session in a cookie signed with ``SECRET_KEY`` (itsdangerous), encoded with the tagged JSON serializer
so cookies are interchangeable with Flask's. Sessions track ``accessed`` (any read: adds ``Vary: Cookie``)
and ``modified`` (any write: the cookie is sent again).
"""

from __future__ import annotations

import collections.abc as cabc
import hashlib
import typing as t
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from ._signed_cookie import CookieCodec, codec_cache, codec_for
from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    import typing_extensions as te

    from .app import Erlen
    from .wrappers import Request, Response


class SessionMixin(cabc.MutableMapping[str, t.Any]):
    """What every session offers on top of a mutable mapping: ``permanent`` and the change-tracking flags."""

    @property
    def permanent(self) -> bool:
        """Whether the session outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Whether the session was just created. Only informational; interfaces may set it.
    new = False

    #: Whether the session changed. Mappings that cannot track changes report ``True`` so they get saved.
    modified = True

    #: Whether the session was read or written, which makes the response vary on the cookie.
    accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The default session: a dict that records reads in :attr:`accessed` and writes in :attr:`modified`.

    Operations that only look at keys (``in``, ``len``, iteration) count as reads too, since their result
    depends on the cookie.
    """

    #: Set by any write, including writes to nested values made through ``session[key]`` only when the
    #: caller sets it by hand (mutating a nested list does not go through the session).
    modified = False

    #: Set by any read or write.
    accessed = False

    def __init__(
        self,
        initial: cabc.Mapping[str, t.Any] | cabc.Iterable[tuple[str, t.Any]] | None = None,
    ) -> None:
        def on_update(self: te.Self) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def __iter__(self) -> cabc.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def keys(self) -> t.Any:
        self.accessed = True
        return super().keys()

    def values(self) -> t.Any:
        self.accessed = True
        return super().values()

    def items(self) -> t.Any:
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, t.Any]:
        self.accessed = True
        return dict(dict.items(self))


class NullSession(SecureCookieSession):
    """The session used when no secret key is set: reads work and find nothing, writes explain the problem."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set the secret_key on the"
            " application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    del _fail


def _peek_permanent(session: SessionMixin) -> bool:
    """Read ``permanent`` without marking the session accessed: the framework reading it is not the view."""
    if isinstance(session, dict):
        return bool(dict.get(session, "_permanent", False))
    return session.permanent


def _vary_on_cookie(response: Response) -> None:
    """Add ``Cookie`` to the response's ``Vary`` header.

    # PERF: ``response.vary.add`` parses the header into a set and writes it back (about a dozen calls); most
    # responses have no ``Vary`` yet, and then the header is just set.
    """
    headers = response.headers
    for key, _ in headers:
        if key.lower() == "vary":
            response.vary.add("Cookie")
            return
    headers.add("Vary", "Cookie")


#: The settings getters :meth:`SessionInterface._cookie_settings` may bypass when none is overridden.
_COOKIE_GETTERS = (
    "get_cookie_name",
    "get_cookie_domain",
    "get_cookie_path",
    "get_cookie_secure",
    "get_cookie_partitioned",
    "get_cookie_samesite",
    "get_cookie_httponly",
)


class SessionInterface:
    """How sessions are loaded from requests and saved into responses; replace ``app.session_interface``.

    Subclasses implement :meth:`open_session` and :meth:`save_session`; the ``get_cookie_*`` helpers read the
    ``SESSION_COOKIE_*`` settings. :meth:`open_session` may return ``None`` to mean "sessions are not
    available", and the app then uses :meth:`make_null_session`.

    .. versionadded:: 0.8
    """

    #: What :meth:`make_null_session` builds.
    null_session_class: type[SessionMixin] = NullSession

    #: Set by interfaces that pickle session data, so callers know to keep values picklable.
    pickle_based = False

    #: Whether the app may defer :meth:`open_session` until the session is first used. Only interfaces whose
    #: ``open_session`` has no side effects and needs nothing but the request should say ``True``. A
    #: subclass that defines its own ``open_session`` is opened eagerly unless it sets this itself.
    open_lazily: t.ClassVar[bool] = False

    #: Whether every ``get_cookie_*`` is this class's own, so the settings may be read from config directly.
    _standard_cookie_getters: t.ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "open_session" in cls.__dict__ and "open_lazily" not in cls.__dict__:
            cls.open_lazily = False
        if any(name in cls.__dict__ for name in _COOKIE_GETTERS):
            cls._standard_cookie_getters = False

    def _cookie_settings(self, app: Erlen) -> tuple[str, str | None, str, bool, bool, str | None, bool]:
        """Name, domain, path, secure, partitioned, samesite and httponly, as the ``get_cookie_*`` say.

        # PERF: seven method calls become seven config reads when no subclass overrides a getter.
        """
        if not self._standard_cookie_getters:
            return (
                self.get_cookie_name(app),
                self.get_cookie_domain(app),
                self.get_cookie_path(app),
                self.get_cookie_secure(app),
                self.get_cookie_partitioned(app),
                self.get_cookie_samesite(app),
                self.get_cookie_httponly(app),
            )
        config = app.config
        return (
            config["SESSION_COOKIE_NAME"],
            config["SESSION_COOKIE_DOMAIN"] or None,
            config["SESSION_COOKIE_PATH"] or config["APPLICATION_ROOT"],
            config["SESSION_COOKIE_SECURE"],
            config["SESSION_COOKIE_PARTITIONED"],
            config["SESSION_COOKIE_SAMESITE"],
            config["SESSION_COOKIE_HTTPONLY"],
        )

    def make_null_session(self, app: Erlen) -> SessionMixin:
        """The session to use when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session (made by :meth:`make_null_session`)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Erlen) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Erlen) -> str | None:
        """``SESSION_COOKIE_DOMAIN``; ``None`` (the default) limits the cookie to the exact host."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Erlen) -> str:
        """``SESSION_COOKIE_PATH``, falling back to ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Erlen) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_PARTITIONED``.

        .. versionadded:: 3.1
        """
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Erlen, session: SessionMixin) -> datetime | None:
        """When the cookie expires: ``now + permanent_session_lifetime`` if permanent, else ``None``."""
        if _peek_permanent(session):
            lifetime: timedelta = app.permanent_session_lifetime
            return datetime.now(timezone.utc) + lifetime
        return None

    def should_set_cookie(self, app: Erlen, session: SessionMixin) -> bool:
        """Whether :meth:`save_session` sends the cookie: when modified, or when permanent and
        ``SESSION_REFRESH_EACH_REQUEST`` is on (so the expiry moves forward).

        .. versionadded:: 0.11
        """
        return session.modified or (_peek_permanent(session) and app.config["SESSION_REFRESH_EACH_REQUEST"])

    def open_session(self, app: Erlen, request: Request) -> SessionMixin | None:
        """Load the session for ``request``; ``None`` means sessions are unavailable."""
        raise NotImplementedError()

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Store ``session`` in ``response`` (or in a backend, and its id in the response)."""
        raise NotImplementedError()


#: The serializer of the default session cookie, shared so registered tags apply to every interface instance.
session_json_serializer = TaggedJSONSerializer()


def _lazy_sha1(string: bytes = b"") -> t.Any:
    """``hashlib.sha1``, looked up on use so FIPS builds without SHA-1 can import the module and override it."""
    return hashlib.sha1(string)


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a cookie, signed with ``SECRET_KEY`` (keys in ``SECRET_KEY_FALLBACKS`` still
    verify old cookies, new cookies use ``SECRET_KEY``).
    """

    #: Separates the signatures of session cookies from other data signed with the same key.
    salt = "cookie-session"
    #: The hash behind the HMAC signature.
    digest_method = staticmethod(_lazy_sha1)
    #: itsdangerous key derivation.
    key_derivation = "hmac"
    #: Encodes the session data (a :class:`~erlen.json.tag.TaggedJSONSerializer`).
    serializer = session_json_serializer
    session_class = SecureCookieSession

    # PERF: opening reads and verifies the cookie; deferring it means views that never touch the session
    # never pay for it.
    open_lazily: t.ClassVar[bool] = True

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        """The serializer that signs and verifies cookies, or ``None`` without a secret key."""
        if not app.secret_key:
            return None
        # itsdangerous signs with the last key and verifies with any of them.
        keys: list[str | bytes] = list(app.config.get("SECRET_KEY_FALLBACKS") or ())
        keys.append(app.secret_key)
        return URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )

    def _default_codec(self, app: Erlen) -> CookieCodec | None:
        """The direct codec when this interface signs the way the defaults do, else ``None``.

        # PERF: itsdangerous builds a serializer and a signer per call and re-derives keys each time (about a
        # hundred Python calls per request); the codec derives keys once and writes byte-identical cookies.
        """
        if (
            type(self).get_signing_serializer is not SecureCookieSessionInterface.get_signing_serializer
            or self.key_derivation != "hmac"
            or self.digest_method is not _lazy_sha1
            or not isinstance(self.serializer, TaggedJSONSerializer)
        ):
            return None
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS")
        keys = (*fallbacks, secret_key) if fallbacks else (secret_key,)
        return codec_cache.get((keys, self.salt)) or codec_for(keys, self.salt)

    def open_session(self, app: Erlen, request: Request) -> SecureCookieSession | None:
        """The session from the request's cookie; an empty one if the cookie is missing, tampered with or
        older than ``permanent_session_lifetime``; ``None`` without a secret key."""
        codec = self._default_codec(app)
        if codec is not None:
            cookie = request.cookies.get(self.get_cookie_name(app))
            if not cookie:
                return self.session_class()
            max_age = int(app.permanent_session_lifetime.total_seconds())
            loaded = codec.loads(self.serializer, cookie, max_age)
            if loaded is not None:
                return self.session_class(loaded[0])
            # Not accepted by the direct path: itsdangerous below decides (and raises) exactly as before.
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = signer.loads(cookie, max_age=max_age)
        except BadSignature:
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the cookie as the session requires, and add ``Vary: Cookie`` when the
        response depended on it."""
        name, domain, path, secure, partitioned, samesite, httponly = self._cookie_settings(app)

        varied = session.accessed
        if varied:
            _vary_on_cookie(response)

        # Emptiness and data are read without marking the session accessed: saving is not a read by the view.
        # ``dict.items`` on the instance reads the storage directly; ``dict.copy`` would call ``keys()``.
        data = dict(dict.items(session)) if isinstance(session, dict) else dict(session)
        if not data:
            if session.modified:
                # The view emptied the session: remove the cookie instead of storing ``{}``.
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                if not varied:
                    _vary_on_cookie(response)
            return

        if not self.should_set_cookie(app, session):
            return

        codec = self._default_codec(app)
        if codec is not None:
            value = codec.dumps(self.serializer, data)
        else:
            signer = self.get_signing_serializer(app)
            if signer is None:
                return
            value = signer.dumps(data)
        response.set_cookie(
            name,
            value,
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        if not varied:
            _vary_on_cookie(response)
