"""Cross-site request forgery protection: a secret token in the session, echoed by every form.

Every POST, PUT, PATCH and DELETE must carry the session's token, in the ``csrf_token`` form field or
the ``X-CSRF-Token`` header (the JSON API). A missing or different token is refused with 400 before
any view runs. Another site can make a browser send our cookie, but it cannot read the token.
"""

from __future__ import annotations

import hmac
import secrets

from erlen import Erlen, abort, request, session

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token, made on first use; templates call it as ``csrf_token()``."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def check_csrf() -> None:
    if request.method not in _UNSAFE_METHODS:
        return
    expected = session.get(SESSION_KEY)
    sent = request.headers.get(HEADER) or request.form.get(FORM_FIELD)
    # compare_digest: the time taken must not tell an attacker how much of the token was right.
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        abort(400, description="The form's CSRF token is missing or out of date. Reload the page and retry.")


def init_app(app: Erlen) -> None:
    app.before_request(check_csrf)
    app.add_template_global(csrf_token)
