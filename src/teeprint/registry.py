"""A named table of engines (recipes, motifs) filled by importing the modules that define them.

The built-in modules are listed explicitly (no folder scanning); third-party packages add theirs
through an entry-point group.  Loading is lazy, happens once, and a plugin that fails to import
is recorded by name with the reason instead of taking the others down.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from teeprint.errors import TeeprintError

T = TypeVar("T")


class Registry(Generic[T]):
    """Engines of one kind (``"recipe"``, ``"motif"``) by name."""

    def __init__(self, kind: str, modules: Sequence[str], group: str) -> None:
        self.kind = kind
        self.modules = tuple(modules)
        self.group = group
        self._entries: dict[str, T] = {}
        self._broken: dict[str, str] = {}
        self._loaded = False

    def add(self, name: str, entry: T, same: object) -> None:
        """Record ``entry`` under ``name``; registering another function under a taken name is a
        programming error (``same`` is the function, compared with the one already there)."""
        old = self._entries.get(name)
        if old is not None and getattr(old, "func", None) is not same:
            msg = f"{self.kind} {name!r} is registered twice"
            raise RuntimeError(msg)
        self._entries[name] = entry

    def load(self) -> None:
        """Import the built-in modules and the plugins, once."""
        if self._loaded:
            return
        self._loaded = True
        for module in self.modules:
            importlib.import_module(module)
        for ep in entry_points(group=self.group):
            try:
                ep.load()
            except Exception as exc:  # a broken plugin is listed, never fatal
                self._broken[ep.name] = f"{type(exc).__name__}: {exc}"

    def available(self) -> dict[str, T]:
        """Every registered engine by name, sorted."""
        self.load()
        return dict(sorted(self._entries.items()))

    def broken(self) -> dict[str, str]:
        """Plugins that failed to load, with the reason."""
        self.load()
        return dict(self._broken)

    def get(self, name: str) -> T:
        """The engine registered under ``name``, or a one-line error listing the known ones."""
        self.load()
        try:
            return self._entries[name]
        except KeyError:
            msg = f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}"
            raise TeeprintError(msg) from None
