"""Hook registries that report their own changes.

How this works: the app turns its hook functions into per-endpoint tuples once (see ``sansio.app``), and must
know when those tuples go stale. Users and extensions change hooks through decorators but also by mutating the
public dicts directly (``app.before_request_funcs.setdefault(None, []).insert(0, f)``). These containers call
``on_change`` on every mutation, so the app can bump its plan generation whichever way hooks were added.
"""

from __future__ import annotations

import typing as t

K = t.TypeVar("K")
V = t.TypeVar("V")

_Notify = t.Callable[[], None]


def _ignore() -> None:
    return None


class HookList(list[V]):
    """A list that calls ``on_change`` after each mutation."""

    __slots__ = ("on_change",)

    def __init__(self, items: t.Iterable[V] = (), on_change: _Notify = _ignore) -> None:
        super().__init__(items)
        self.on_change = on_change

    def append(self, item: V) -> None:
        super().append(item)
        self.on_change()

    def extend(self, items: t.Iterable[V]) -> None:
        super().extend(items)
        self.on_change()

    def insert(self, index: t.SupportsIndex, item: V) -> None:
        super().insert(index, item)
        self.on_change()

    def remove(self, item: V) -> None:
        super().remove(item)
        self.on_change()

    def pop(self, index: t.SupportsIndex = -1) -> V:
        item = super().pop(index)
        self.on_change()
        return item

    def clear(self) -> None:
        super().clear()
        self.on_change()

    def reverse(self) -> None:
        super().reverse()
        self.on_change()

    def sort(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().sort(*args, **kwargs)
        self.on_change()

    def __setitem__(self, index: t.Any, value: t.Any) -> None:
        super().__setitem__(index, value)
        self.on_change()

    def __delitem__(self, index: t.Any) -> None:
        super().__delitem__(index)
        self.on_change()

    def __iadd__(self, items: t.Iterable[V]) -> HookList[V]:  # type: ignore[override,misc]
        super().__iadd__(items)
        self.on_change()
        return self


class HookMap(dict[K, HookList[V]]):
    """``scope -> list of functions`` that creates missing lists (like ``defaultdict(list)``) and reports changes."""

    def __init__(self, on_change: _Notify = _ignore) -> None:
        super().__init__()
        self.on_change = on_change

    def _wrap(self, value: t.Iterable[V]) -> HookList[V]:
        if isinstance(value, HookList) and value.on_change is self.on_change:
            return value
        return HookList(value, self.on_change)

    def __missing__(self, key: K) -> HookList[V]:
        value: HookList[V] = HookList((), self.on_change)
        dict.__setitem__(self, key, value)
        return value

    def __setitem__(self, key: K, value: t.Iterable[V]) -> None:
        super().__setitem__(key, self._wrap(value))
        self.on_change()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self.on_change()

    def setdefault(self, key: K, default: t.Iterable[V] | None = None) -> HookList[V]:
        if key in self:
            return self[key]
        value = self._wrap(default if default is not None else ())
        dict.__setitem__(self, key, value)
        self.on_change()
        return value

    def pop(self, key: K, *default: t.Any) -> t.Any:
        value = super().pop(key, *default)
        self.on_change()
        return value

    def popitem(self) -> tuple[K, HookList[V]]:
        item = super().popitem()
        self.on_change()
        return item

    def clear(self) -> None:
        super().clear()
        self.on_change()

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, self._wrap(value))
        self.on_change()
