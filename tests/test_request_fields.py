"""Request fields Erlen computes itself must agree with Werkzeug's."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from erlen import Request


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=utf-8",
        "application/json ; charset=utf-8",
        "APPLICATION/JSON",
        "application/jsonx",
        "application/vnd.api+json",
        "application/json-patch+json",
        "text/json",
        "text/plain",
        "",
    ],
)
def test_is_json_agrees_with_werkzeug(content_type: str) -> None:
    environ = EnvironBuilder(method="POST", data=b"{}", content_type=content_type or None).get_environ()
    assert Request(environ).is_json == WerkzeugRequest(environ).is_json


def test_cookies_agree_with_werkzeug() -> None:
    environ = EnvironBuilder(headers={"Cookie": 'a=1; b="x y"; =bad; c=%41'}).get_environ()
    assert Request(environ).cookies == WerkzeugRequest(environ).cookies
