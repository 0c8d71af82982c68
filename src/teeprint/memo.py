"""Compute-once caches for work shared between the threads of a render.

A render runs its stages side by side (:func:`teeprint.pipeline.render`).  Several of them need
the same expensive intermediate: the PDF and the films of a colourway share its ink rasters, every
mockup of a view shares the lit garment.  :func:`functools.lru_cache` would let two threads that
ask at the same moment both compute it; :func:`once` makes the second one wait for the first and
take its result.  Entries are evicted oldest first beyond ``maxsize``; a call that raises leaves
nothing behind, so the next call tries again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache, update_wrapper
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_MISSING = object()


class _Entry:
    __slots__ = ("lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value: Any = _MISSING


class Once(Generic[P, R]):
    """A function wrapped so that each key is computed once, by one thread, and remembered."""

    def __init__(self, fn: Callable[P, R], maxsize: int,
                 key: Callable[..., Hashable] | None) -> None:
        self._fn = fn
        self._maxsize = maxsize
        self._key = key
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        update_wrapper(self, fn)

    def _key_of(self, *args: Any, **kwargs: Any) -> Hashable:
        return self._key(*args, **kwargs) if self._key else (args, tuple(sorted(kwargs.items())))

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        k = self._key_of(*args, **kwargs)
        with self._lock:
            entry = self._entries.get(k)
            if entry is None:
                entry = self._entries[k] = _Entry()
                while len(self._entries) > self._maxsize:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(k)
        with entry.lock:
            if entry.value is _MISSING:
                try:
                    entry.value = self._fn(*args, **kwargs)
                except BaseException:
                    with self._lock:
                        if self._entries.get(k) is entry:
                            del self._entries[k]
                    raise
            value: R = entry.value
            return value

    def forget(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Forget the result for these arguments (a caller still computing it keeps it)."""
        k = self._key_of(*args, **kwargs)
        with self._lock:
            self._entries.pop(k, None)

    def cache_clear(self) -> None:
        """Forget every remembered result."""
        with self._lock:
            self._entries.clear()

    def cache_len(self) -> int:
        """How many results are remembered (or being computed)."""
        with self._lock:
            return len(self._entries)


class _Clearable(Protocol):
    def cache_clear(self) -> None: ...


#: Caches whose entries belong to one plate (its ink rasters, underbase, print layers, the
#: paths it draws): a process that renders plate after plate empties them between plates
#: (:func:`forget_plates`).
_PER_PLATE: list[_Clearable] = []


def once(maxsize: int = 8, key: Callable[..., Hashable] | None = None, *,
         per_plate: bool = False) -> Callable[[Callable[P, R]], Once[P, R]]:
    """Decorator: remember up to ``maxsize`` results, computing each key once across threads.

    ``key`` maps the call's arguments to the cache key (default: the arguments themselves,
    which must then be hashable).  ``per_plate`` marks a cache whose results serve one plate
    only, so :func:`forget_plates` empties it once that plate is written.
    """
    def wrap(fn: Callable[P, R]) -> Once[P, R]:
        cache = Once(fn, maxsize, key)
        if per_plate:
            _PER_PLATE.append(cache)
        return cache

    return wrap


def per_plate_lru(maxsize: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: :func:`functools.lru_cache` for cheap, thread-safe-enough memos of one plate's
    data (a path converted for cairo or for PDF), emptied by :func:`forget_plates`.

    Keyed by the plate's own path strings, such a cache held across plates keeps every plate a
    worker has drawn (megabytes each) until it fills; per plate, it keeps only the current one.
    """
    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        cache = lru_cache(maxsize=maxsize)(fn)
        _PER_PLATE.append(cache)
        return cache  # type: ignore[return-value]

    return wrap


def _entries(cache: _Clearable) -> int:
    if isinstance(cache, Once):
        return cache.cache_len()
    return int(cache.cache_info().currsize)  # type: ignore[attr-defined]


def forget_plates() -> None:
    """Empty every per-plate cache: a batch worker calls it after each plate, so what one plate
    computed (hundreds of megabytes of rasters) is not held while the next renders."""
    for cache in _PER_PLATE:
        cache.cache_clear()


def per_plate_entries() -> int:
    """How many per-plate results are remembered right now."""
    return sum(_entries(cache) for cache in _PER_PLATE)
