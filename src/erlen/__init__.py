"""Erlen: Flask 3.1's API, fast, serving WSGI and ASGI from one app object."""

from __future__ import annotations

import typing as t

from markupsafe import Markup as Markup
from markupsafe import escape as escape

from . import _brand
from . import json as json
from .app import Erlen as Erlen
from .blueprints import Blueprint as Blueprint
from .body_stream import stream_request_body as stream_request_body
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .globals import current_app as current_app
from .globals import g as g
from .globals import request as request
from .globals import session as session
from .helpers import abort as abort
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import get_template_attribute as get_template_attribute
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import send_file as send_file
from .helpers import send_from_directory as send_from_directory
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .signals import appcontext_popped as appcontext_popped
from .signals import appcontext_pushed as appcontext_pushed
from .signals import appcontext_tearing_down as appcontext_tearing_down
from .signals import before_render_template as before_render_template
from .signals import got_request_exception as got_request_exception
from .signals import message_flashed as message_flashed
from .signals import request_finished as request_finished
from .signals import request_started as request_started
from .signals import request_tearing_down as request_tearing_down
from .signals import template_rendered as template_rendered
from .templating import render_template as render_template
from .templating import render_template_string as render_template_string
from .templating import stream_template as stream_template
from .templating import stream_template_string as stream_template_string
from .websocket import websocket as websocket
from .wrappers import Request as Request
from .wrappers import Response as Response

#: The same class under Flask's name, so a port changes one import line.
Flask = Erlen

_ERLEN_VERSION = "0.1.0"


def __getattr__(name: str) -> t.Any:
    """``__version__``: Erlen's version; with the compat layer on, Flask 3.1's deprecated attribute instead.

    With ``install_as_flask()`` this module is ``flask`` too, and code that reads ``flask.__version__`` compares it
    with Flask releases (flask-cors's tests skip on Flask >= 1.1 that way), so it gets what Flask 3.1 gives: the
    distribution's version (the Flask API Erlen serves, see ``erlen.compat``) and a DeprecationWarning.
    """
    if name == "__version__":
        if not _brand.flask_names_enabled():
            return _ERLEN_VERSION
        import importlib.metadata
        import warnings

        warnings.warn(
            "'flask.__version__' is deprecated since Flask 3.1 and goes away in 3.2; use feature detection or"
            " importlib.metadata.version('flask'). Erlen's own version: importlib.metadata.version('erlen').",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.metadata.version("flask")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
