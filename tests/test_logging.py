"""erlen.logging, and the debug messages of erlen.debughelpers, with stand-in apps and contexts."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from io import StringIO
from types import SimpleNamespace

import pytest
from jinja2 import DictLoader
from werkzeug.routing import RequestRedirect
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from erlen.debughelpers import (
    DebugFilesKeyError,
    FormDataRoutingRedirect,
    attach_enctype_error_multidict,
    explain_template_loading_attempts,
)
from erlen.globals import _cv_request
from erlen.logging import create_logger, default_handler, has_level_handler, wsgi_errors_stream

LOGGER_NAME = "erlen_logging_test"


@pytest.fixture(autouse=True)
def clean_logging(pytestconfig: pytest.Config) -> Iterator[None]:
    root_handlers = logging.root.handlers[:]
    root_level = logging.root.level
    logging.root.handlers = []
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers = []
    logger.setLevel(logging.NOTSET)
    plugin = pytestconfig.pluginmanager.unregister(name="logging-plugin")
    yield
    logging.root.handlers[:] = root_handlers
    logging.root.setLevel(root_level)
    logger.handlers = []
    logger.setLevel(logging.NOTSET)
    if plugin:
        pytestconfig.pluginmanager.register(plugin, "logging-plugin")


def push_request(request: Request, blueprint: str | None = None) -> object:
    request.blueprint = blueprint  # type: ignore[misc]
    return _cv_request.set(SimpleNamespace(request=request))  # type: ignore[arg-type]


def test_errors_stream_follows_request() -> None:
    assert wsgi_errors_stream._get_current_object() is sys.stderr  # type: ignore[attr-defined]
    stream = StringIO()
    token = push_request(Request(EnvironBuilder(errors_stream=stream).get_environ()))
    try:
        assert wsgi_errors_stream._get_current_object() is stream  # type: ignore[attr-defined]
    finally:
        _cv_request.reset(token)  # type: ignore[arg-type]


def test_has_level_handler() -> None:
    logger = logging.getLogger(f"{LOGGER_NAME}.child")
    assert not has_level_handler(logger)
    handler = logging.StreamHandler()
    logging.root.addHandler(handler)
    assert has_level_handler(logger)
    logger.propagate = False
    assert not has_level_handler(logger)
    logger.propagate = True
    handler.setLevel(logging.ERROR)
    assert not has_level_handler(logger)


def test_create_logger_adds_default_handler_once_and_debug_level() -> None:
    app = SimpleNamespace(name=LOGGER_NAME, debug=False)
    logger = create_logger(app)  # type: ignore[arg-type]
    assert logger.name == LOGGER_NAME
    assert logger.level == logging.NOTSET
    assert logger.handlers == [default_handler]
    assert create_logger(app).handlers == [default_handler]  # type: ignore[arg-type]

    app.debug = True
    assert create_logger(app).level == logging.DEBUG  # type: ignore[arg-type]


def test_create_logger_keeps_existing_setup() -> None:
    logging.root.addHandler(logging.StreamHandler())
    logger = create_logger(SimpleNamespace(name=LOGGER_NAME, debug=False))  # type: ignore[arg-type]
    assert not logger.handlers


def test_default_handler_writes_to_request_stream() -> None:
    logger = create_logger(SimpleNamespace(name=LOGGER_NAME, debug=False))  # type: ignore[arg-type]
    stream = StringIO()
    token = push_request(Request(EnvironBuilder(errors_stream=stream).get_environ()))
    try:
        logger.error("test")
    finally:
        _cv_request.reset(token)  # type: ignore[arg-type]
    assert "ERROR in test_logging: test" in stream.getvalue()


# -- debughelpers ---------------------------------------------------------------------------------------------


def test_debug_files_key_error_message() -> None:
    request = Request(EnvironBuilder(method="POST", data={"foo": "index.txt"}).get_environ())
    attach_enctype_error_multidict(request)
    with pytest.raises(DebugFilesKeyError) as info:
        request.files["foo"]
    message = str(info.value)
    assert "no file contents were transmitted" in message
    assert "This was submitted: 'index.txt'" in message
    assert isinstance(info.value, KeyError) and isinstance(info.value, AssertionError)
    # Keys that are not form fields keep the plain KeyError.
    with pytest.raises(KeyError) as plain:
        request.files["other"]
    assert not isinstance(plain.value, DebugFilesKeyError)


def test_form_data_routing_redirect_message() -> None:
    request = Request(EnvironBuilder(path="/user", method="POST").get_environ())
    request.routing_exception = RequestRedirect("http://localhost/user/")
    message = str(FormDataRoutingRedirect(request))
    assert "canonical URL 'http://localhost/user/'" in message
    assert "trailing slash" in message
    assert "307 or 308" in message


def test_explain_template_loading_attempts() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(Collect())
    logger.setLevel(logging.INFO)
    app = SimpleNamespace(import_name="myapp", logger=logger)
    blueprint = SimpleNamespace(name="admin", import_name="myapp.admin")
    loader = DictLoader({})
    token = push_request(Request(EnvironBuilder().get_environ()), blueprint="admin")
    try:
        explain_template_loading_attempts(app, "x.html", [(loader, app, None), (loader, blueprint, None)])  # type: ignore[arg-type]
    finally:
        _cv_request.reset(token)  # type: ignore[arg-type]
    (text,) = records
    assert "1: trying loader of application 'myapp'" in text
    assert "2: trying loader of blueprint 'admin' (myapp.admin)" in text
    assert "Error: the template could not be found" in text
    assert "looked up from an endpoint that belongs to the blueprint 'admin'" in text

    records.clear()
    explain_template_loading_attempts(app, "x.html", [(loader, app, ("src", "/t/x.html", None))])  # type: ignore[arg-type]
    assert "found ('/t/x.html')" in records[0]
    assert "Error" not in records[0]
