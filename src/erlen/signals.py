"""Flask's signals, sent through blinker.

The core checks ``signal.receivers`` before sending, so an app with no listeners pays nothing. The signals a
plain request passes through also keep one module flag, :data:`request_path_quiet`, so the request path can
skip all of their checks with one read while none of them has ever had a receiver.
"""

from __future__ import annotations

import typing as t

from blinker import ANY, NamedSignal, Namespace

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: True while no signal of the request path (request started, finished and tearing down; app context pushed,
#: tearing down and popped) has a receiver. Set to False on the first ``connect`` to one of them and
#: recomputed on ``disconnect``; a receiver dropped by blinker's weak-reference cleanup leaves it False, which
#: only means the request path goes back to checking each signal.
request_path_quiet = True


class _RequestPathSignal(NamedSignal):
    """A signal sent on every request: connecting to it clears :data:`request_path_quiet`."""

    def connect(self, receiver: F, sender: t.Any = ANY, weak: bool = True) -> F:
        global request_path_quiet
        request_path_quiet = False
        return super().connect(receiver, sender, weak)

    def disconnect(self, receiver: t.Callable[..., t.Any], sender: t.Any = ANY) -> None:
        global request_path_quiet
        super().disconnect(receiver, sender)
        request_path_quiet = not any(signal.receivers for signal in _request_path_signals)


_signals = Namespace()


def _request_path_signal(name: str) -> _RequestPathSignal:
    signal = _signals[name] = _RequestPathSignal(name)  # the namespace still lists it
    _request_path_signals.append(signal)
    return signal


_request_path_signals: list[_RequestPathSignal] = []

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _request_path_signal("request-started")
request_finished = _request_path_signal("request-finished")
request_tearing_down = _request_path_signal("request-tearing-down")
got_request_exception = _signals.signal("got-request-exception")
appcontext_tearing_down = _request_path_signal("appcontext-tearing-down")
appcontext_pushed = _request_path_signal("appcontext-pushed")
appcontext_popped = _request_path_signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")
