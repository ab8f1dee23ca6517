"""Data and constants shared by every framework's version of the benchmark app."""

from __future__ import annotations

import os

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
SECRET_KEY = "bench-secret-key-not-for-production"
HELLO = "Hello, World!"
PAGE_TITLE = "Price list"
#: The template's 10-item loop.
ITEMS = [{"name": f"item-{i}", "price": i * 1.25} for i in range(10)]
#: Number of routes in the big routing app (half static, half dynamic) and in the small one.
BIG_ROUTE_COUNT = 1000
SMALL_ROUTE_COUNT = 10
