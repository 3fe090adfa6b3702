"""Typed registries handed to the `promote_register_*` hooks (like tox's `register`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from promote.engine.errors import PluginError

T = TypeVar("T")


@dataclass(frozen=True)
class Registered(Generic[T]):
    name: str
    item: T
    plugin: str


class Registry(Generic[T]):
    """Name → item, refusing duplicates so two plugins can never silently shadow each other."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, Registered[T]] = {}
        self.current_plugin = "?"

    def __call__(self, name: str, item: T) -> None:
        if name in self._items:
            other = self._items[name].plugin
            raise PluginError(
                f"{self.what} {name!r} registered twice: by {other} and by {self.current_plugin}"
            )
        self._items[name] = Registered(name, item, self.current_plugin)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[Registered[T]]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return sorted(self._items)

    def get(self, name: str) -> T:
        try:
            return self._items[name].item
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise PluginError(f"unknown {self.what} {name!r} (known: {known})") from None

    def plugin_of(self, name: str) -> str:
        return self._items[name].plugin
