"""A named table of engines (recipes, motifs) filled by importing the modules that define them.

The built-in modules are listed explicitly (no folder scanning); third-party packages add theirs
through an entry-point group.  Loading is lazy, happens once, and a plugin that fails to import
is recorded by name with the reason instead of taking the others down.

Importing every built-in module costs about half a second (a hundred parameter models are
built), which a command that draws one plate does not need: :data:`INDEX_FILE` names, for each
built-in engine, the modules whose import makes it complete (the one that registers it, and any
module that adds entries to a table of that module).  :func:`Registry.get` imports only those;
:func:`scan_index` rebuilds the file from a full import, and a test fails when it is stale.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

from teeprint.errors import TeeprintError

T = TypeVar("T")

#: Which built-in modules make each engine complete, by registry kind and engine name.
INDEX_FILE = Path(__file__).with_name("engines.json")


@lru_cache(maxsize=1)
def _index() -> dict[str, dict[str, list[str]]]:
    try:
        data: dict[str, dict[str, list[str]]] = json.loads(INDEX_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no index: every lookup loads everything, as before
        return {}
    return data


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
        """The engine registered under ``name``, or a one-line error listing the known ones.

        A built-in engine named in the index is found by importing its own modules only."""
        if name not in self._entries and not self._loaded:
            try:
                for module in _index().get(self.kind, {}).get(name, ()):
                    importlib.import_module(module)
            except ImportError:  # a stale index: the full load below finds it or says so
                pass
        if name in self._entries:
            return self._entries[name]
        self.load()
        try:
            return self._entries[name]
        except KeyError:
            msg = f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}"
            raise TeeprintError(msg) from None


def _tables(module: ModuleType) -> dict[str, int]:
    """The sizes of a module's own top-level dicts and lists (the tables others may add to)."""
    return {k: len(v) for k, v in vars(module).items() if type(v) in (dict, list)}


class _ImportWatch:
    """A meta-path finder that calls ``done(name)`` each time a module under ``prefix`` has
    finished executing (its own nested imports finish, and are reported, first)."""

    def __init__(self, prefix: str, done: Callable[[str], None]) -> None:
        self.prefix = prefix
        self.done = done

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if not name.startswith(self.prefix):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, done = spec.loader, self.done

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)
                done(module.__name__)

        spec.loader = _Loader()
        return spec


def scan_index(registries: Sequence[Registry[Any]]) -> dict[str, dict[str, list[str]]]:
    """Import the registries' built-in modules and record, for each engine, the module that
    defines it plus every module whose import added entries to a table of that one.

    Each module's tables are measured when it finishes executing, and again each time another
    module finishes: a change is that module's doing.  A module that imports the engine's own
    module first and then extends its table is found as well as one imported after it.  Must
    run in a process that has imported none of those modules yet (a fresh interpreter)."""
    loaded = [m for r in registries for m in r.modules if m in sys.modules]
    if loaded:
        msg = f"scan_index needs a fresh process; already imported: {', '.join(loaded[:3])}"
        raise RuntimeError(msg)
    sizes: dict[str, dict[str, int]] = {}
    feeds: dict[str, set[str]] = {}

    def done(name: str) -> None:
        for other, was in sizes.items():
            now = _tables(sys.modules[other])
            if now != was:
                feeds.setdefault(other, set()).add(name)
                sizes[other] = now
        sizes[name] = _tables(sys.modules[name])

    prefix = os.path.commonprefix([m for r in registries for m in r.modules]).rpartition(".")[0]
    watch = _ImportWatch(prefix + ".", done)
    sys.meta_path.insert(0, watch)
    owner: dict[tuple[str, str], str] = {}
    try:
        for reg in registries:
            for module in reg.modules:
                before = set(reg._entries)
                importlib.import_module(module)
                for name in set(reg._entries) - before:
                    entry = reg._entries[name]
                    func = getattr(entry, "func", entry)  # an info record, or the function
                    home = getattr(func, "__module__", None) or module
                    owner[(reg.kind, name)] = home if home in sys.modules else module
    finally:
        sys.meta_path.remove(watch)
    index: dict[str, dict[str, list[str]]] = {}
    for (kind, name), home in sorted(owner.items()):
        index.setdefault(kind, {})[name] = [home, *sorted(feeds.get(home, set()) - {home})]
    return index


def write_index(index: dict[str, dict[str, list[str]]], path: Path = INDEX_FILE) -> None:
    """Write the index as sorted, indented JSON (the file is committed and reviewed)."""
    path.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python -m teeprint.registry: rebuild engines.json
    from teeprint import motifs, recipes

    write_index(scan_index([recipes._ENGINES, motifs._ENGINES]))
    print(f"wrote {INDEX_FILE}")
