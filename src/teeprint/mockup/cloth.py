"""The tee as cloth: a triangle mesh of the pattern draped by position-based dynamics.

The mesh is the tee's flat pattern (the silhouette of the front, with the sleeves and the back
collar showing above it), triangulated at about :data:`MESH_SPACING_IN`.  Every edge keeps its
pattern length (stretch), every pair of triangles sharing an edge keeps the distance between its
far corners (bending, softer), and the cloth falls under gravity onto a collision surface: the
table for a flat lay and a folded tee, the air in front of a wall for a tee on a hanger.

The solver is a vectorised Jacobi variant of position-based dynamics (Mueller et al. 2007): each
iteration projects every constraint at once and averages the corrections a vertex receives.
A drape starts from the pattern pushed together a little (a hand never lays cloth at its full
width), so the cloth must buckle to recover its edge lengths; gravity and the table turn the
buckles into soft folds and a few sharp creases.

A drape depends only on its scenario's parameters and the code version, never on the plate, so
it is computed once, stored under the user cache (:func:`teeprint.runtime.cache_dir`) and kept
in memory across the plates of a batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from teeprint.memo import once
from teeprint.mockup import fabric
from teeprint.mockup import mesh as mesh_module
from teeprint.mockup.mesh import MESH_SPACING_IN, Mesh, pattern_mesh
from teeprint.runtime import cache_dir, keep_file

#: Bump when the mesh or the solver changes: cached drapes of older versions are not reused.
CLOTH_VERSION = 3
@dataclass(frozen=True)
class Scenario:
    """How a drape is made: where the cloth starts, what pulls it, what it lies against."""

    name: str
    gravity: tuple[float, float, float]  # in/s^2
    floor_axis: int  # the axis the collision plane is normal to (2: z)
    floor_at: float  # the plane's position on that axis (cloth stays above it)
    compress: float  # share of the pattern width the cloth is pushed together by
    shuffle_in: float  # amplitude of the hand's uneven push, inches
    lift_in: float  # start this far above the plane, with ripples of this size
    steps: int
    iterations: int
    bend_stiffness: float
    friction: float  # share of sliding cancelled on contact
    seed: str
    pins: str = ""  # name of a pinning rule (the hanger)


@dataclass(frozen=True, eq=False)
class Drape:
    """A simulated garment: the pattern mesh and where each of its vertices ended up."""

    mesh: Mesh
    pos: np.ndarray  # float64 (n, 3), world inches (x right, y down, z toward the camera)
    scenario: Scenario


def drape_key(mesh: Mesh, sc: Scenario, start: np.ndarray, pinned: np.ndarray | None) -> str:
    """Content key of a drape: the mesh, where it starts and what holds it, the scenario and
    the code version."""
    h = hashlib.sha256()
    h.update(json.dumps({"v": CLOTH_VERSION, "spacing": MESH_SPACING_IN, **asdict(sc)},
                        sort_keys=True).encode())
    for a in (np.round(mesh.rest, 6), mesh.tris, np.round(start, 6),
              np.zeros(0, np.int64) if pinned is None else pinned.astype(np.int64)):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:24]


def _smooth_field(gen: np.random.Generator, pts: np.ndarray, scale_in: float) -> np.ndarray:
    """A smooth random scalar over the pattern: a few random plane waves, unit-ish amplitude."""
    out = np.zeros(len(pts))
    for _ in range(6):
        ang = gen.uniform(0, 2 * np.pi)
        k = 2 * np.pi / (scale_in * gen.uniform(0.7, 1.4))
        out += np.sin(k * (pts[:, 0] * np.cos(ang) + pts[:, 1] * np.sin(ang))
                      + gen.uniform(0, 2 * np.pi))
    return out / np.sqrt(3.0)


class _Springs:
    """Distance constraints as sparse operators: ``diff @ x`` gives every spring's vector and
    ``spread @ corr`` sums the weighted corrections per vertex, so one Jacobi pass is a few
    sparse products."""

    def __init__(self, pairs: np.ndarray, rest_pos: np.ndarray, w: np.ndarray,
                 stiffness: float) -> None:
        from scipy.sparse import csr_matrix

        n, m = len(rest_pos), len(pairs)
        i, j = pairs[:, 0], pairs[:, 1]
        rows = np.concatenate([np.arange(m), np.arange(m)])
        self.diff = csr_matrix((np.concatenate([-np.ones(m), np.ones(m)]),
                                (rows, np.concatenate([i, j]))), shape=(m, n))
        count = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
        scale = 1.5 / np.maximum(count, 1)
        self.spread = csr_matrix((np.concatenate([w[i] * scale[i], -w[j] * scale[j]]),
                                  (np.concatenate([i, j]), rows)), shape=(n, m))
        self.rest = np.hypot(*(rest_pos[j] - rest_pos[i]).T)
        self.inv_wsum = stiffness / np.maximum(w[i] + w[j], 1e-12)

    def project(self, x: np.ndarray, unilateral: bool = False) -> None:
        """One Jacobi pass (in place); ``unilateral`` springs only resist stretching."""
        d = self.diff @ x
        length = np.sqrt((d * d).sum(axis=1))
        c = (length - self.rest) / np.maximum(length, 1e-9) * self.inv_wsum
        if unilateral:
            c = np.maximum(c, 0.0)
        x += self.spread @ (d * c[:, None])


def _tethers(mesh: Mesh, pinned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Long-range attachments: every free vertex to its nearest pin along the cloth, with the
    distance along the pattern as a limit (stops a hanging cloth from creeping longer)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n = len(mesh.rest)
    e = mesh.edges
    length = np.hypot(*(mesh.rest[e[:, 1]] - mesh.rest[e[:, 0]]).T)
    graph = csr_matrix((length, (e[:, 0], e[:, 1])), shape=(n, n))
    dist, _, src = dijkstra(graph, directed=False, indices=pinned, min_only=True,
                            return_predecessors=True)
    free = np.setdiff1d(np.arange(n), pinned)
    return np.column_stack([src[free], free]).astype(np.int32), dist[free]


def simulate(mesh: Mesh, start: np.ndarray, sc: Scenario,
             pinned: np.ndarray | None = None) -> np.ndarray:
    """Run position-based dynamics from ``start`` (n, 3); pinned vertices stay where they are."""
    n = len(mesh.rest)
    x = start.astype(np.float64).copy()
    v = np.zeros_like(x)
    w = np.ones(n)
    if pinned is not None:
        w[pinned] = 0.0
    stretch = _Springs(mesh.edges, mesh.rest, w, 1.0)
    bend = _Springs(mesh.bends, mesh.rest, w, sc.bend_stiffness)
    tether: _Springs | None = None
    if pinned is not None and len(pinned):
        pairs, limit = _tethers(mesh, pinned)
        tether = _Springs(pairs, mesh.rest, w, 1.0)
        tether.rest = limit * 1.01
        # One tether per free vertex: no averaging over the pin's many tethers.
        from scipy.sparse import csr_matrix

        m = len(pairs)
        tether.spread = csr_matrix((-np.ones(m), (pairs[:, 1], np.arange(m))), shape=(n, m))
    g = np.array(sc.gravity)
    dt = 1.0 / 120.0
    ax = sc.floor_axis
    free = w > 0
    for _ in range(sc.steps):
        prev = x.copy()
        v[free] += g * dt
        v *= 0.985
        x[free] += v[free] * dt
        for _ in range(sc.iterations):
            stretch.project(x)
            bend.project(x)
            if tether is not None:
                tether.project(x, unilateral=True)
            below = x[:, ax] < sc.floor_at
            x[below, ax] = sc.floor_at
        # Friction: cloth touching the plane keeps most of where it was along the plane.
        contact = x[:, ax] <= sc.floor_at + 0.02
        if contact.any():
            tang = [a for a in range(3) if a != ax]
            for a in tang:
                x[contact, a] = prev[contact, a] + (x[contact, a] - prev[contact, a]) * (
                    1.0 - sc.friction)
        if pinned is not None:
            x[pinned] = start[pinned]
        v = (x - prev) / dt
    return x


#: Where a hand smooths the cloth before laying the rest (the chest, where the print is),
#: pattern inches, and how far from it the push reaches full strength.
CALM_CENTRE_IN = (0.0, 11.0)
CALM_RADIUS_IN = 12.0


def _start_flat(mesh: Mesh, sc: Scenario, centre: tuple[float, float]) -> np.ndarray:
    gen = fabric.rng(sc.seed, f"drape-{sc.name}")
    p = mesh.rest
    cx, cy = centre
    # The hand pushes the cloth together unevenly: little across the smoothed chest, more
    # toward the sleeves and the hem, and more where the random field is high.
    r = np.hypot(p[:, 0] - CALM_CENTRE_IN[0], p[:, 1] - CALM_CENTRE_IN[1]) / CALM_RADIUS_IN
    reach = 0.1 + 1.5 * np.clip(r, 0.0, 1.0) ** 2
    push = 1.0 - sc.compress * reach * (1.0 + 0.6 * _smooth_field(gen, p, 14.0))
    # Mostly along the length: a laid tee keeps its chest width and ripples lengthwise.
    sx = cx + (p[:, 0] - cx) * (1.0 - 0.25 * (1.0 - push))
    sy = cy + (p[:, 1] - cy) * push
    sx = sx + sc.shuffle_in * reach * _smooth_field(gen, p, 9.0)
    sy = sy + sc.shuffle_in * 0.6 * reach * _smooth_field(gen, p, 11.0)
    z = sc.floor_at + sc.lift_in * (1.0 + 0.5 * _smooth_field(gen, p, 5.0)) \
        + 0.02 * gen.standard_normal(len(p))
    return np.column_stack([sx, sy, z])


def stored_mesh(poly: np.ndarray) -> Mesh:
    """:func:`pattern_mesh` of an outline, kept under the user cache: triangulating it (with
    scipy.spatial's import) is 0.4 s of every process that lays a tee, and the close-up's
    placement needs the laid drape in every render."""
    h = hashlib.sha256(np.ascontiguousarray(poly, np.float64).tobytes())
    h.update(f"{CLOTH_VERSION}:{MESH_SPACING_IN}".encode())
    h.update(Path(mesh_module.__file__).read_bytes())  # the meshing code itself
    path = cache_dir() / "cloth" / f"mesh-{h.hexdigest()[:24]}.npz"
    names = [f.name for f in dataclasses.fields(Mesh)]
    try:
        with np.load(path, allow_pickle=False) as stored:
            mesh = Mesh(*(stored[name] for name in names))
        if (mesh.rest.ndim == 2 and np.isfinite(mesh.rest).all() and len(mesh.tris)
                and 0 <= mesh.tris.min() and mesh.tris.max() < len(mesh.rest)
                and len(mesh.boundary) == len(mesh.rest)):
            return mesh
    except (OSError, ValueError, KeyError):
        pass
    mesh = pattern_mesh(poly)
    keep_file(path, lambda fh: np.savez(fh, **{name: getattr(mesh, name) for name in names}))
    return mesh


def run(poly: np.ndarray, sc: Scenario,
         start: Callable[[Mesh, Scenario], tuple[np.ndarray, np.ndarray | None]]) -> Drape:
    """Simulate a scenario, or load it from the cache if this exact drape was made before."""
    mesh = stored_mesh(poly)
    x0, pinned = start(mesh, sc)
    path = cache_dir() / "cloth" / f"{sc.name}-{drape_key(mesh, sc, x0, pinned)}.npy"
    try:
        pos = np.load(path, allow_pickle=False)
        if pos.shape == (len(mesh.rest), 3) and np.isfinite(pos).all():
            return Drape(mesh, pos, sc)
    except (OSError, ValueError):
        pass
    pos = simulate(mesh, x0, sc, pinned)
    keep_file(path, lambda fh: np.save(fh, pos, allow_pickle=False))
    return Drape(mesh, pos, sc)


def laid(mesh: Mesh, sc: Scenario) -> tuple[np.ndarray, np.ndarray | None]:
    """The start of a laid drape: the pattern pushed together about its middle, held by
    nothing."""
    centre = mesh.rest.mean(axis=0)
    return _start_flat(mesh, sc, (float(centre[0]), float(centre[1]))), None


FLAT = Scenario("flat", (0.0, 0.0, -386.0), 2, 0.0, 0.045, 0.3, 0.8, 150, 10, 0.4, 0.9,
                "unisex-tee-l")
FOLDED = Scenario("folded", (0.0, 0.0, -386.0), 2, 0.0, 0.018, 0.12, 0.25, 130, 10, 0.5, 0.9,
                  "unisex-tee-l")
HANGER = Scenario("hanger", (0.0, 120.0, 0.0), 2, -2.5, 0.0, 0.0, 0.0, 200, 10, 1.0, 0.0,
                  "unisex-tee-l", pins="hanger")


@once(maxsize=4)
def flat_lay() -> Drape:
    """The tee laid flat on a table by hand (front up)."""
    from teeprint.mockup import pattern

    return run(pattern.outline(), FLAT, laid)


@once(maxsize=16)
def folded(variant: int = 0) -> Drape:
    """The top layer of a retail-folded tee: the front between the side folds, over the stack.
    Each ``variant`` is the same fold laid by another hand (another seed)."""
    from teeprint.mockup import pattern

    sc = FOLDED if variant == 0 else dataclasses.replace(FOLDED, seed=f"{FOLDED.seed}-{variant}")
    return run(pattern.folded_outline(), sc, laid)


@once(maxsize=4)
def hanging() -> Drape:
    """The tee on a hanger: shoulders held by the hanger's arms, the rest falling."""
    from teeprint.mockup import pattern

    def start(mesh: Mesh, sc: Scenario) -> tuple[np.ndarray, np.ndarray | None]:
        gen = fabric.rng(sc.seed, "drape-hanger")
        x0 = np.column_stack([mesh.rest, 0.03 * gen.standard_normal(len(mesh.rest))])
        pins = pattern.hanger_pins(mesh.rest)
        x0[pins, :2] = pattern.on_hanger(mesh.rest[pins])
        x0[pins, 2] = 0.0
        return x0, pins

    return run(pattern.outline(), HANGER, start)


def arranged(drapes: list[Drape], offsets: tuple[tuple[float, float, float], ...]) -> Drape:
    """Drapes of one pattern laid side by side: (dx, dy, turn in degrees) each, turned about
    its own centre; they share the pattern coordinates."""
    rest, tris, pos = [], [], []
    start = 0
    for d, (dx, dy, turn) in zip(drapes, offsets, strict=True):
        a = np.radians(turn)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        centre = d.pos[:, :2].mean(axis=0)
        xy = (d.pos[:, :2] - centre) @ rot.T + (dx, dy)
        pos.append(np.column_stack([xy, d.pos[:, 2]]))
        rest.append(d.mesh.rest)
        tris.append(d.mesh.tris + start)
        start += len(d.mesh.rest)
    m = drapes[0].mesh
    mesh = Mesh(np.vstack(rest), np.vstack(tris).astype(np.int32), m.edges, m.bends,
                np.concatenate([d.mesh.boundary for d in drapes]))
    return Drape(mesh, np.vstack(pos), drapes[0].scenario)


def clear() -> None:
    """Forget the drapes kept in memory (the disk cache stays)."""
    flat_lay.cache_clear()
    folded.cache_clear()
    hanging.cache_clear()
