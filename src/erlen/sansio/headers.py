"""Header safety with no I/O: the control characters Erlen refuses in a header before it is written.

Werkzeug refuses only CR and LF, and only when a header is set; servers differ on the other control characters
(some emit a NUL as it is). Erlen refuses them all, except tab in a value, when a response is written.
"""

from __future__ import annotations

import re

#: Control characters no header may carry (tab is allowed in values).
unsafe_header_char = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search


def check_headers(headers: list[tuple[str, str]]) -> None:
    """Refuse (ValueError) a header whose name or value holds a control character, before it is written."""
    for name, value in headers:
        # PERF: isprintable is one C call; the regex runs only for tabs, controls and non-ASCII text.
        if not (value.isprintable() and name.isprintable()) and (
            unsafe_header_char(value) is not None or unsafe_header_char(name) is not None
        ):
            raise ValueError(f"Header {name!r} must not contain control characters.")
