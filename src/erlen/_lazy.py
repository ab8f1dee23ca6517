"""Attributes computed on first use, for objects made on every request."""

from __future__ import annotations

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
        value = obj.__dict__[self.name] = self.compute(obj)
        return value
