"""Work deferred to first use: attributes of objects made on every request, and modules a WSGI app never needs."""

from __future__ import annotations

import importlib
import typing as t

_T = t.TypeVar("_T")


class first_use(t.Generic[_T]):
    """An attribute computed on first read and then stored on the instance.

    Unlike Werkzeug's ``cached_property`` this is a non-data descriptor: once stored, reads are plain attribute
    lookups with no Python call, and assigning the attribute simply replaces the value.
    """

    def __init__(self, compute: t.Callable[[t.Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> first_use[_T]: ...
    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> _T | first_use[_T]:
        if obj is None:
            return self
        value = self.compute(obj)
        # PERF: stored like a plain assignment (no custom __setattr__ runs); reading ``obj.__dict__`` would make
        # CPython build the instance's dict, after which its attribute reads take a slower specialisation.
        setattr(obj, self.name, value)
        return value


class LazyModule:
    """A stand-in module global that imports the real module on first attribute access and replaces itself.

    # PERF/memory: ``import erlen`` must not load asyncio and concurrent.futures, nor Erlen's ASGI-only modules
    # (issue 4); after the first use the module global is the real module, so the hot path pays nothing.
    """

    def __init__(self, name: str, namespace: dict[str, t.Any], alias: str | None = None) -> None:
        self._name = name
        self._namespace = namespace
        self._alias = alias or name.rpartition(".")[2]

    def __getattr__(self, attr: str) -> t.Any:
        module = importlib.import_module(self._name)
        self._namespace[self._alias] = module
        return getattr(module, attr)
