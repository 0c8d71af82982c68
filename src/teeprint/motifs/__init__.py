"""Motif engines: draw a recipe's arrays in the house style, with ink roles and tints.

A motif is a pure function ``(data, params, ctx) -> list[Shape]`` that fills ``ctx.box`` (the
plate's figure panel).  It never picks colours: it paints with the roles ``ink`` and ``accent``
and with tints, and a colourway binds them later.  Registration works like the recipes'
(:func:`motif` records and returns the function unchanged; built-ins are listed explicitly;
plugins come from the ``teeprint.motifs`` entry-point group).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from teeprint.recipes import FigureData, Params, validate_params
from teeprint.registry import Registry

if TYPE_CHECKING:
    from teeprint.artwork import Box, Shape
    from teeprint.catalog import Specimen
    from teeprint.typeset import Typesetter

#: Modules whose import registers the built-in motif engines.
BUILTIN_MODULES = (
    "teeprint.motifs.curves",
    "teeprint.motifs.contour",
    "teeprint.motifs.geometry",
    "teeprint.motifs.matrix",
    "teeprint.motifs.ridges",
    "teeprint.motifs.graph",
    "teeprint.motifs.glyph",
    "teeprint.motifs.bars",
    "teeprint.motifs.gridworld",
    "teeprint.motifs.regions",
    "teeprint.motifs.stacked_bars",
    "teeprint.motifs.trees",
)


@dataclass(frozen=True)
class MotifContext:
    """What a motif may use: its panel, the typesetter, and a seeded generator for stipple."""

    box: Box
    type: Typesetter
    rng: np.random.Generator


MotifFn = Callable[[FigureData, Any, MotifContext], "list[Shape]"]


@dataclass(frozen=True)
class MotifInfo:
    """What :func:`motif` records about a registered engine."""

    name: str
    func: MotifFn
    params: type[Params]
    doc: str


_ENGINES: Registry[MotifInfo] = Registry("motif", BUILTIN_MODULES, "teeprint.motifs")


def motif(name: str, params: type[Params]) -> Callable[[MotifFn], MotifFn]:
    """Register a motif engine under ``name``; the function is returned unchanged."""

    def record(func: MotifFn) -> MotifFn:
        _ENGINES.add(name, MotifInfo(name, func, params, (func.__doc__ or "").strip()), func)
        return func

    return record


def available() -> dict[str, MotifInfo]:
    """Every registered motif engine by name."""
    return _ENGINES.available()


def broken() -> dict[str, str]:
    """Plugins that failed to load, with the reason."""
    return _ENGINES.broken()


def get(name: str) -> MotifInfo:
    """The engine registered under ``name``."""
    return _ENGINES.get(name)


def draw(spec: Specimen, data: FigureData, box: Box, typesetter: Typesetter) -> list[Shape]:
    """Draw a specimen's figure into ``box`` with the engine its design names."""
    from teeprint.recipes import rng_for

    info = get(spec.motif.name)
    params = validate_params(info.params, spec.motif.params,
                             f"designs/{spec.slug}.toml [motif.params]")
    ctx = MotifContext(box, typesetter, rng_for(data.provenance.seed, "motif:" + info.name))
    return info.func(data, params, ctx)
