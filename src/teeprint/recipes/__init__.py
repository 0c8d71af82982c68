"""Recipes: the numpy computations behind each figure.

A recipe is a pure function ``(params, rng) -> dict of arrays``.  It is registered by recording
(:func:`recipe` stores a :class:`RecipeInfo` and returns the function unchanged), validates its
parameters with a frozen pydantic model, and runs with a local ``numpy.random.Generator`` seeded
from the specimen's seed and the recipe's name, with BLAS pinned to one thread so the numbers
repeat exactly on any machine.

Built-in recipe modules are listed in :data:`BUILTIN_MODULES`; a third-party package can add its
own through the ``teeprint.recipes`` entry-point group.  A module that fails to import is
recorded in :func:`broken` and never takes the others down.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from teeprint.errors import TeeprintError
from teeprint.registry import Registry

if TYPE_CHECKING:
    from teeprint.catalog import Specimen

#: Modules whose import registers the built-in recipes (explicit, no folder scanning).
BUILTIN_MODULES = (
    "teeprint.recipes.generalisation",
    "teeprint.recipes.interpretability",
    "teeprint.recipes.interp_attribution",
    "teeprint.recipes.architectures",
    "teeprint.recipes.arch_dynamics",
    "teeprint.recipes.arch_planes",
    "teeprint.recipes.representations",
    "teeprint.recipes.rep_matrix",
    "teeprint.recipes.optimisation",
    "teeprint.recipes.optim_paths",
    "teeprint.recipes.regularisation",
    "teeprint.recipes.reg_figures",
    "teeprint.recipes.reg_training",
    "teeprint.recipes.pathologies",
    "teeprint.recipes.path_matrices",
    "teeprint.recipes.path_planes",
    "teeprint.recipes.generative",
    "teeprint.recipes.gen_curves",
    "teeprint.recipes.gen_matrices",
    "teeprint.recipes.gen_sweeps",
    "teeprint.recipes.probabilistic",
    "teeprint.recipes.language",
    "teeprint.recipes.lm_text",
    "teeprint.recipes.lm_experiments",
    "teeprint.recipes.sweeps",
    "teeprint.recipes.training",
    "teeprint.recipes.closed_forms",
    "teeprint.recipes.lm_reweight",
    "teeprint.recipes.bands",
    "teeprint.recipes.matrices",
    "teeprint.recipes.pixels",
    "teeprint.recipes.embeddings",
    "teeprint.recipes.directions",
    "teeprint.recipes.samplers",
    "teeprint.recipes.densities",
    "teeprint.recipes.bandits",
    "teeprint.recipes.graphs",
    "teeprint.recipes.classical",
    "teeprint.recipes.boundaries",
    "teeprint.recipes.clusters",
    "teeprint.recipes.gridworlds",
    "teeprint.recipes.warps",
    "teeprint.recipes.tokens",
    "teeprint.recipes.reinforcement",
    "teeprint.recipes.rl_tables",
    "teeprint.recipes.evaluation",
    "teeprint.recipes.eval_stats",
    "teeprint.recipes.paradigms",
    "teeprint.recipes.para_search",
    "teeprint.recipes.para_training",
    "teeprint.recipes.robustness",
    "teeprint.recipes.robust_plane",
    "teeprint.recipes.robust_matrix",
    "teeprint.recipes.robust_privacy",
    "teeprint.recipes.systems",
    "teeprint.recipes.sys_parallel",
    "teeprint.recipes.interp_circuits",
    "teeprint.recipes.path_dynamics",
    "teeprint.recipes.rl_control",
    "teeprint.recipes.rl_plane",
    "teeprint.recipes.lm_decoding",
    "teeprint.recipes.lm_figures",
    "teeprint.recipes.interp_sparse",
    "teeprint.recipes.para_selfsup",
    "teeprint.recipes.path_plasticity",
)


class Params(BaseModel):
    """Base for recipe and motif parameter models: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True,
                              allow_inf_nan=False)


Arrays = dict[str, Any]
RecipeFn = Callable[[Any, np.random.Generator], Arrays]


@dataclass(frozen=True)
class RecipeInfo:
    """What :func:`recipe` records about a registered recipe."""

    name: str
    func: RecipeFn
    params: type[Params]
    doc: str


@dataclass(frozen=True)
class Provenance:
    """How a figure was made: printed small on the plate and shipped with its data."""

    specimen: str
    recipe: str
    seed: int
    params: dict[str, Any]
    reference: str
    honesty: str
    method: str


@dataclass(frozen=True)
class FigureData:
    """The named arrays behind a figure, plus its provenance."""

    arrays: dict[str, Any]
    provenance: Provenance
    notes: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.arrays[key]

    def array(self, name: str, what: str) -> np.ndarray:
        """A named array as floats, or a one-line error naming the motif param and the arrays
        the recipe does make (a design that misspells an array name reads this)."""
        if name not in self.arrays:
            known = ", ".join(sorted(self.arrays))
            msg = (f"motif param '{what}' names array '{name}', which the recipe does not make; "
                   f"arrays: {known}")
            raise TeeprintError(msg)
        return np.asarray(self.arrays[name], float)

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, floats to 6 significant digits, NaN as null."""
        payload = {
            "arrays": {k: _jsonable(v) for k, v in sorted(self.arrays.items())},
            "provenance": _jsonable(self.provenance.__dict__),
        }
        return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


_ENGINES: Registry[RecipeInfo] = Registry("recipe", BUILTIN_MODULES, "teeprint.recipes")


def recipe(name: str, params: type[Params]) -> Callable[[RecipeFn], RecipeFn]:
    """Register a recipe under ``name`` with its parameter model; the function is unchanged."""

    def record(func: RecipeFn) -> RecipeFn:
        _ENGINES.add(name, RecipeInfo(name, func, params, (func.__doc__ or "").strip()), func)
        return func

    return record


def available() -> dict[str, RecipeInfo]:
    """Every registered recipe by name."""
    return _ENGINES.available()


def broken() -> dict[str, str]:
    """Plugins that failed to load, with the reason."""
    return _ENGINES.broken()


def get(name: str) -> RecipeInfo:
    """The recipe registered under ``name``."""
    return _ENGINES.get(name)


def rng_for(seed: int, name: str) -> np.random.Generator:
    """The local generator for a (seed, recipe) pair; never the global numpy state."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def validate_params(model: type[Params], data: Mapping[str, Any], where: str) -> Params:
    """Validate stage parameters, naming the file and the key on failure."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        what = first["msg"] if first["type"] != "extra_forbidden" else (
            f"unknown parameter; allowed: {', '.join(model.model_fields)}")
        msg = f"{where}: key '{loc}': {what}"
        raise TeeprintError(msg) from None


def run(spec: Specimen, seed: int | None = None) -> FigureData:
    """Compute a specimen's figure data (pure: same spec and seed, same arrays)."""
    from threadpoolctl import threadpool_limits

    info = get(spec.recipe.name)
    where = f"designs/{spec.slug}.toml"
    params = validate_params(info.params, spec.recipe.params, f"{where} [recipe.params]")
    used_seed = spec.seed if seed is None else seed
    with threadpool_limits(limits=1, user_api="blas"):
        arrays = info.func(params, rng_for(used_seed, info.name))
    provenance = Provenance(
        specimen=spec.slug,
        recipe=info.name,
        seed=used_seed,
        params=params.model_dump(),
        reference=spec.reference.short(),
        honesty=spec.honesty,
        method=spec.method,
    )
    return FigureData(arrays, provenance)
