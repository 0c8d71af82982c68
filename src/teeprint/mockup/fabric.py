"""Seeded textures at their real scale: jersey knit, heather flecks, linen backdrop, smooth noise.

Every texture is a function of garment (or backdrop) inches, so it has the same gauge in the
whole-tee view and in the close-up.  A pattern finer than a view can show (a jersey wale is
1/38 in; the front view has 44 px per inch) is not drawn as stripes, which would alias into
moire, but as the grain it averages to; the close-up draws the loops themselves.

Randomness comes from :func:`rng`, a generator seeded from a fixed garment seed and a component
name, never from global state, so every mockup is byte-for-byte repeatable.
"""

from __future__ import annotations

import hashlib

import numpy as np

#: Single jersey, 30s ring-spun (a 4.2 oz tee): about 38 wales and 50 courses per inch.
WALES_PER_IN = 38.0
COURSES_PER_IN = 50.0


def rng(seed_text: str, component: str) -> np.random.Generator:
    """An independent, repeatable generator for one texture of one specimen."""
    digest = hashlib.sha256(f"teeprint-mockup:{seed_text}:{component}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def resample(field: np.ndarray, box: tuple[float, float, float, float],
             size: tuple[int, int]) -> np.ndarray:
    """Bicubic resampling of a float field: ``box`` (left, top, right, bottom) in source pixels
    to an output of ``size`` (width, height) pixels.  Pillow does it in C, in float32."""
    from PIL import Image

    left, top, right, bottom = box
    h, w = field.shape
    # Pillow wants the box inside the image: pad with the edge values where it is not.
    pad_l = max(0, int(np.ceil(-left)) + 2)
    pad_t = max(0, int(np.ceil(-top)) + 2)
    pad_r = max(0, int(np.ceil(right - w)) + 2)
    pad_b = max(0, int(np.ceil(bottom - h)) + 2)
    if pad_l or pad_t or pad_r or pad_b:
        field = np.pad(field, ((pad_t, pad_b), (pad_l, pad_r)), mode="edge")
        box = (left + pad_l, top + pad_t, right + pad_l, bottom + pad_t)
    img = Image.fromarray(np.ascontiguousarray(field, np.float32), "F")
    return np.asarray(img.resize(size, Image.Resampling.BICUBIC, box=box), np.float32)


def noise(gen: np.random.Generator, shape: tuple[int, int],
          cell_px: float | tuple[float, float]) -> np.ndarray:
    """Band-limited noise of unit standard deviation with features about ``cell_px`` across
    (one number, or (rows, columns) for streaks).

    A coarse grid of random values is enlarged bicubically, which costs the same for any
    feature size (a Gaussian blur of white noise grows with its radius).
    """
    h, w = shape
    cy, cx = (cell_px, cell_px) if isinstance(cell_px, (int, float)) else cell_px
    cy, cx = max(float(cy), 1.0), max(float(cx), 1.0)
    gh = int(np.ceil(h / cy)) + 4
    gw = int(np.ceil(w / cx)) + 4
    grid = gen.standard_normal((gh, gw)).astype(np.float32)
    out = resample(grid, (1.5, 1.5, 1.5 + w / cx, 1.5 + h / cy), (w, h))
    sd = float(out.std()) or 1.0
    return (out - float(out.mean())) / sd


def smooth_noise(gen: np.random.Generator, shape: tuple[int, int], cell_px: float) -> np.ndarray:
    """Isotropic :func:`noise`."""
    return noise(gen, shape, cell_px)


def knit_shading(x_in: np.ndarray, y_in: np.ndarray, ppi: float,
                 gen: np.random.Generator) -> np.ndarray:
    """Multiplicative light variation of single jersey seen face-on (mean about 1).

    Each wale is a column of V-shaped loops: two slanted legs with a dark groove between
    wales and a faint chevron where the loops of successive courses interlock.  Below the
    Nyquist limit of the view the loops are replaced by their grain: fine, slightly
    horizontal noise (courses vary in tension, which shows as faint barre lines).
    """
    h, w = x_in.shape
    grain = noise(gen, (h, w), (1.0, 2.2))
    courses_px = ppi / COURSES_PER_IN
    # Loops resolve once a course spans ~3 px; fade them in above that.
    loops_weight = float(np.clip((courses_px - 2.5) / 2.0, 0.0, 1.0))
    grain_amp = 0.018 * (1.0 - 0.6 * loops_weight)
    out = 1.0 + grain_amp * grain
    if loops_weight > 0.0:
        wale = x_in * WALES_PER_IN
        course = y_in * COURSES_PER_IN
        col = np.floor(wale)
        leg_pos = (wale - col) * 2.0
        leg = np.floor(leg_pos)
        across = leg_pos - leg  # 0..1 across one leg
        slant = np.where(leg < 1.0, 1.0, -1.0).astype(np.float32)
        along = course + slant * (across - 0.5) * 0.55
        yarn = np.sin(np.pi * across) ** 0.6  # round yarn, dark groove between legs
        interlock = 0.82 + 0.18 * np.cos(2 * np.pi * along)
        # Yarn irregularity: every wale a little thicker or thinner, drifting along its length.
        col_i = (col - col.min()).astype(np.int64)
        block = max(1, int(ppi * 0.3))
        row_i = (np.arange(h) // block)[:, None]
        slub = gen.standard_normal((h // block + 1, int(col_i.max()) + 1)).astype(np.float32)
        slub_full = slub[row_i, col_i]
        loops = yarn * interlock * (1.0 + 0.05 * slub_full)
        loops = loops / float(loops.mean())
        out = out * (1.0 + loops_weight * 0.30 * (loops - 1.0))
    return out.astype(np.float32)


def heather_weight(shape: tuple[int, int], ppi: float, coverage: float,
                   gen: np.random.Generator) -> np.ndarray:
    """Share of the second (fleck) fibre colour per pixel, 0..1.

    Heather yarn blends fibres dyed two ways; on the fabric the minority fibres show as short
    flecks a few hundredths of an inch long, mostly along the loop legs (vertical).  Built as
    thresholded anisotropic noise whose fleck size is in inches, with a slow variation of
    density so the speckle is not a uniform screen.
    """
    h, w = shape
    fl = noise(gen, shape, (0.05 * ppi, 0.02 * ppi))
    density = smooth_noise(gen, shape, 1.2 * ppi) * 0.25
    thresh = float(np.quantile(fl[:: max(1, h // 256), :: max(1, w // 256)], 1.0 - coverage))
    soft = 0.35
    return np.clip((fl + density - thresh) / soft + 0.5, 0.0, 1.0).astype(np.float32)


def linen(shape: tuple[int, int], ppi: float, gen: np.random.Generator) -> np.ndarray:
    """Multiplicative texture of a linen or heavy-paper backdrop (mean 1).

    Slubs are thicker stretches of thread: thin streaks along the warp and the weft, a few
    tenths of an inch long, plus broad, faint mottling.
    """
    h, w = shape
    thread = max(1.2, 0.02 * ppi)
    warp = noise(gen, shape, (0.4 * ppi, thread))
    weft = noise(gen, shape, (thread, 0.4 * ppi))
    mottle = smooth_noise(gen, shape, 2.5 * ppi)
    fine = gen.standard_normal((h, w)).astype(np.float32)
    return (1.0 + 0.012 * warp + 0.012 * weft + 0.012 * mottle + 0.006 * fine).astype(np.float32)
