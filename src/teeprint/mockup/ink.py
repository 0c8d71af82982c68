"""The print on the cloth: the plate drawn in pattern inches and carried by the drape.

The colourway's artwork is rasterised over the print box in *pattern* inches, at the view's
resolution, and pulled into the view through the drape's map from pixels to pattern points, so
it bends, foreshortens and folds with the cloth and keeps its printed size (15 in on size L).
It then takes the cloth's shading (normalised to mean 1 over the print) and a little of its
knit, and behaves like its ink: DTG on a light tee soaks in (the knit's grooves take less ink,
edges wick a few thousandths of an inch); on a dark tee the ink over its white underbase sits
on the cloth like a thin film (plastisol-like lift: its edges catch the key light on one side
and shade on the other) and fibre tips poke through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from teeprint.catalog import hex_rgb
from teeprint.memo import once
from teeprint.mockup import fabric, sampling, store
from teeprint.mockup.colour import is_dark
from teeprint.mockup.relief import LIGHT, View

if TYPE_CHECKING:
    from collections.abc import Hashable

    from teeprint.artwork import Artwork
    from teeprint.catalog import Colorway
    from teeprint.mockup.compose import Scene

#: How much of the garment shows through the ink: DTG ink soaks into cream cotton; on dark
#: garments the white underbase leaves fibre tips poking through.
INK_GROUND_MIX_LIGHT = 0.03
INK_GROUND_MIX_DARK = 0.07
FIBRILLATION_DARK = 0.10
#: How far DTG ink wicks into the cloth, inches, and how much less of it the knit's grooves
#: take than the loops (per unit of knit shading below its mean).
INK_BLEED_IN = 0.004
INK_GROOVE = 0.5
#: The ink film on a dark tee: its edge width (inches) and how much light its edges gain or
#: lose facing toward or away from the key light.
LIFT_EDGE_IN = 0.012
LIFT_CONTRAST = 0.22
#: Extra cloth around the print the map may pull art from, inches.
PRINT_MARGIN_IN = 0.3


@dataclass(frozen=True, eq=False)
class PrintArt:
    """A plate's artwork with the colourway it prints in; hashed by identity, so caches keyed
    on it never hash thousands of shapes."""

    artwork: Artwork
    colorway: Colorway


@dataclass(frozen=True)
class PrintLayer:
    """The plate on the garment in one view, at the pixels its ink reaches: ``at`` holds
    their flat indices in the region ``rows`` x ``cols`` of the view (row-major, ascending);
    every other field has one value per such pixel."""

    rows: slice
    cols: slice
    at: np.ndarray  # int32 (n,)
    rgb: np.ndarray  # float32 (n, 3), straight sRGB 0..1
    alpha: np.ndarray  # float32 (n,), coverage (> 0)
    shade: np.ndarray  # float32 (n,) multiplier on the ink, mean 1 over the print
    fibres: np.ndarray  # float32 (n,) 0..1 where fibre tips break a dark-garment print
    film: np.ndarray  # float32 (n,) the ink laid down, before the knit's grooves break it
    film_px: float  # how far the film's edge spreads, pixels
    cut_from: tuple[PrintLayer, np.ndarray] | None = None  # (whole layer, which of its pixels)

    @cached_property
    def lift(self) -> np.ndarray:
        """float32 (n,): light gained (+) or lost (-) at the ink film's edges -- the slope of
        its (slightly softened) thickness under the key light.  Only a dark garment shows
        it, so it is worked out when one asks."""

        if self.cut_from is not None:  # a crop: the whole layer's film has the edges
            whole, keep = self.cut_from
            return whole.lift[keep]
        if self.at.size == 0:
            return np.zeros(0, np.float32)
        film = sampling.blur(self.dense(self.film), max(0.5, self.film_px))
        gy, gx = sampling.gradient_at(film, self.at)
        return (-(gx * LIGHT[0] + gy * LIGHT[1]) * LIFT_CONTRAST
                * max(1.0, self.film_px)).astype(np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        """The region's size (rows, columns)."""
        return (self.rows.stop - self.rows.start, self.cols.stop - self.cols.start)

    def dense(self, values: np.ndarray) -> np.ndarray:
        """One of the per-pixel fields laid out over the region (zero where there is no ink)."""
        out = np.zeros(self.shape, np.float32)
        out.ravel()[self.at] = values
        return out

    def pixels(self, width: int) -> np.ndarray:
        """The inked pixels' flat indices in a view ``width`` pixels wide."""
        w = self.cols.stop - self.cols.start
        r, c = np.divmod(self.at, max(w, 1))
        return (r + self.rows.start) * width + (c + self.cols.start)


def print_region(view: View, box_in: tuple[float, float, float, float]
                 ) -> tuple[slice, slice]:
    """Rows and columns of a flat view (world = pattern inches) the print can touch."""
    bx, by, bw, bh = box_in
    m = PRINT_MARGIN_IN
    c0, r0 = view.px(bx - m, by - m)
    c1, r1 = view.px(bx + bw + m, by + bh + m)
    rows = slice(max(0, int(np.floor(r0))), min(view.height_px, int(np.ceil(r1))))
    cols = slice(max(0, int(np.floor(c0))), min(view.width_px, int(np.ceil(c1))))
    return rows, cols


def rasterize_region(art: PrintArt, view: View, box_in: tuple[float, float, float, float],
                     rows: slice, cols: slice) -> np.ndarray:
    """Rasterise the artwork at exactly the pixels of a region of a flat view."""
    from teeprint.raster import rasterize_artwork

    bx, by, _, _ = box_in
    k = 72.0  # points per inch
    x_in = view.x0_in + cols.start / view.ppi
    y_in = view.y0_in + rows.start / view.ppi
    w_px, h_px = cols.stop - cols.start, rows.stop - rows.start
    vb = ((x_in - bx) * k, (y_in - by) * k, w_px / view.ppi * k, h_px / view.ppi * k)
    return rasterize_artwork(art.artwork, art.colorway, w_px, h_px, vb)


@dataclass(frozen=True, eq=False)
class Zone:
    """The cloth of a view that can show the print (the print box plus a margin): everything a
    print layer reads of the scene, the same for every plate."""

    rows: slice  # of the view
    cols: slice
    alpha: np.ndarray  # float16, the cloth's coverage
    log_shade: np.ndarray  # float16
    knit: np.ndarray  # float16
    knit_mean: float
    fibres: np.ndarray  # float16, where fibre tips break the ink
    raster: tuple[float, float, int, int, float]  # x0, y0 (inches), width, height, ppi
    source: np.ndarray  # int32, the raster pixel up and left of each pixel's pattern point
    frac: np.ndarray  # uint8 (2, h, w), how far past it (rows, columns), in 256ths


def _zone_key(sc: Scene, box_in: tuple[float, float, float, float]) -> Hashable:
    return (sc.view, sc.seed_text, box_in)


def zone(sc: Scene, box_in: tuple[float, float, float, float]) -> Zone:
    """The print zone of a scene (see :class:`Zone`), once per view.  A window the plate
    placed in a stored view (the close-up, where its figure lies) has a zone of its own; only
    the latest one is kept (most plates share one window; remembering every other one a
    worker met kept a 56 MB zone each)."""
    return (_window_zone if sc.offset != (0, 0) else _view_zone)(sc, box_in)


#: A stored zone's arrays, and its numbers (rows, columns, knit mean, raster) in ``meta``.
ZONE_ARRAYS = ("alpha", "log_shade", "knit", "fibres", "source", "frac")
#: Close-up windows whose zones are stored (56 MB each at the default size): the first ones a
#: version of the code meets; any other window's zone is worked out in the process, as a
#: stored one would be written again and again.  Most plates share one window (57 of 80
#: sampled); the archive has a few dozen.
STORED_WINDOWS = 4


def _stored_zone(sc: Scene, box_in: tuple[float, float, float, float]) -> Zone:
    """:func:`_zone`, kept in the scene store next to its view: a zone depends on no plate
    (only on the view, the window and the print box), and working it out (the fibres'
    noise, the sampling grid) is 0.1-0.25 s a view in every process."""
    path = store.path_for(sc.view, sc.seed_text, sc.offset, box_in, kind="zone")
    window = sc.offset != (0, 0)
    got = store.load_at(path, (*ZONE_ARRAYS, "meta"))
    if got is not None and got["meta"].shape == (10,):
        r0, r1, c0, c1, knit_mean, x0, y0, w, h, ppi = (float(v) for v in got["meta"])
        shape = (int(r1 - r0), int(c1 - c0))
        if all(got[name].shape == shape for name in ZONE_ARRAYS if name != "frac") and \
                got["frac"].shape == (2, *shape):
            return Zone(slice(int(r0), int(r1)), slice(int(c0), int(c1)), got["alpha"],
                        got["log_shade"], got["knit"], knit_mean, got["fibres"],
                        (x0, y0, int(w), int(h), ppi), got["source"], got["frac"])
    zn = _zone(sc, box_in)
    if not window or len(store.entries_like(path)) < STORED_WINDOWS:
        meta = np.array([zn.rows.start, zn.rows.stop, zn.cols.start, zn.cols.stop,
                         zn.knit_mean, *zn.raster], np.float64)
        store.save_at(path, {**{name: np.ascontiguousarray(getattr(zn, name))
                                for name in ZONE_ARRAYS}, "meta": meta})
    return zn


def _zone(sc: Scene, box_in: tuple[float, float, float, float]) -> Zone:
    bx, by, bw, bh = box_in
    m = PRINT_MARGIN_IN
    br, bc = _print_box_at(sc, (bx - m, by - m, bx + bw + m, by + bh + m))
    sr, sc_ = sc.box_at
    at = (slice(sr.start + br.start, sr.start + br.stop), slice(sc_.start + bc.start,
                                                               sc_.start + bc.stop))
    u, v = store.read(sc.stored["u"], *at), store.read(sc.stored["v"], *at)
    knit = store.read(sc.stored["knit"], *at)
    view = sc.view
    # The art in pattern inches, over what this region shows of the print box, drawn a little
    # finer than the view (cloth foreshortened by a fold packs more art into a pixel).
    ppi = view.ppi * (1.15 if view.ppi < 120 else 1.5)
    if u.size:
        x0 = max(float(u.min()), bx - m)
        y0 = max(float(v.min()), by - m)
        x1 = min(float(u.max()), bx + bw + m)
        y1 = min(float(v.max()), by + bh + m)
    else:
        x0 = y0 = x1 = y1 = 0.0
    size = (max(1, round((x1 - x0) * ppi)), max(1, round((y1 - y0) * ppi)))
    shape = (br.stop - br.start, bc.stop - bc.start)
    fibres = fabric.heather_weight(shape, view.ppi, 0.12,
                                   fabric.rng(sc.seed_text, f"fibres-{view.name}"))
    vr = slice(br.start + sc.rows.start, br.stop + sc.rows.start)
    vc = slice(bc.start + sc.cols.start, bc.stop + sc.cols.start)
    # Every pixel takes the art at the pattern point its cloth shows (u, v at pixel centres;
    # the raster's pixel centres sit half a pixel in); bilinear weights in 256ths.
    source, frac = sampling.sample_grid(size, (v - y0) * ppi - 0.5, (u - x0) * ppi - 0.5)
    return Zone(vr, vc, store.read(sc.stored["alpha"], *at).astype(np.float16),
                store.read(sc.stored["log_shade"], *at), knit,
                float(np.mean(knit, dtype=np.float64)) if knit.size else 1.0,
                fibres.astype(np.float16), (x0, y0, size[0], size[1], ppi), source, frac)


_view_zone = once(maxsize=8, key=_zone_key)(_stored_zone)
_window_zone = once(maxsize=1, key=_zone_key)(_stored_zone)


def clear_zones() -> None:
    """Forget every remembered print zone."""
    _view_zone.cache_clear()
    _window_zone.cache_clear()


def _print_box_at(sc: Scene, bounds: tuple[float, float, float, float]
                  ) -> tuple[slice, slice]:
    """Rows and columns of a scene's cloth box whose cloth shows pattern points inside
    ``bounds`` (x0, y0, x1, y1).  Found on every eighth pixel first and refined around that
    (the cloth showing the print is one piece), so the stored fields far from it are never
    read."""
    x0, y0, x1, y1 = bounds

    br, bc = sc.box_at

    def hit(rows: slice, cols: slice, step: int = 1) -> np.ndarray:
        r0, r1, _ = rows.indices(br.stop - br.start)
        c0, c1, _ = cols.indices(bc.stop - bc.start)
        at = (slice(br.start + r0, br.start + r1), slice(bc.start + c0, bc.start + c1))
        u, v, a = (store.read(sc.stored[name], *at, step) for name in ("u", "v", "alpha"))
        return (a > 0) & (u >= x0) & (u <= x1) & (v >= y0) & (v <= y1)

    h, w = sc.alpha.shape
    step = 8
    coarse = hit(slice(None), slice(None), step)
    rows, cols = np.flatnonzero(coarse.any(axis=1)), np.flatnonzero(coarse.any(axis=0))
    if rows.size:
        r0, r1 = max(0, (int(rows[0]) - 1) * step), min(h, (int(rows[-1]) + 1) * step + 1)
        c0, c1 = max(0, (int(cols[0]) - 1) * step), min(w, (int(cols[-1]) + 1) * step + 1)
    else:  # smaller than the coarse grid: look everywhere
        r0, r1, c0, c1 = 0, h, 0, w
    fine = hit(slice(r0, r1), slice(c0, c1))
    rows, cols = np.flatnonzero(fine.any(axis=1)), np.flatnonzero(fine.any(axis=0))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    return (slice(r0 + int(rows[0]), r0 + int(rows[-1]) + 1),
            slice(c0 + int(cols[0]), c0 + int(cols[-1]) + 1))


def _empty(rows: slice, cols: slice) -> PrintLayer:
    z = np.zeros(0, np.float32)
    return PrintLayer(rows, cols, np.zeros(0, np.int32), np.zeros((0, 3), np.float32), z, z, z,
                      z, 1.0)


def print_layer(art: PrintArt, sc: Scene, box_in: tuple[float, float, float, float]
                ) -> PrintLayer:
    """The colourway's plate carried onto the cloth of a scene."""

    zn = zone(sc, box_in)
    view = sc.view
    shape = zn.alpha.shape
    if zn.alpha.size == 0:
        return _empty(zn.rows, zn.cols)
    x0, y0, w_px, h_px, ppi = zn.raster
    bx, by, _, _ = box_in
    from teeprint.raster import rasterize_words

    k = 72.0
    src = rasterize_words(art.artwork, art.colorway, w_px, h_px,
                          ((x0 - bx) * k, (y0 - by) * k, w_px / ppi * k, h_px / ppi * k))
    live, rgba = sampling.pull(src, zn.source, zn.frac)
    del src
    if live.size == 0:
        return _empty(zn.rows, zn.cols)
    a_live = rgba[:, 3] * np.asarray(zn.alpha).ravel()[live]
    alpha = np.zeros(shape, np.float32)
    alpha.ravel()[live] = a_live
    # The cloth's light, normalised to mean 1 where there is ink (linear light, so the sRGB
    # multiplier is its 1/2.4 power, close enough for a factor near 1).
    log_live = np.asarray(zn.log_shade).ravel()[live]
    inked = a_live > 0.5
    mean = float(log_live[inked].mean()) if inked.any() else 0.0
    bleed_px = INK_BLEED_IN * view.ppi
    if bleed_px > 0.3:
        alpha = sampling.blur(alpha, bleed_px)
    at = np.flatnonzero(alpha).astype(np.int32)
    fibres = zn.fibres.ravel()[at].astype(np.float32)
    a = alpha.ravel()[at]
    if bleed_px > 0.3:
        ragged = 4.0 * a * (1.0 - a)
        a = np.clip(a + 0.25 * ragged * (fibres - 0.4), 0.0, 1.0)
        alpha.ravel()[at] = a
    film = a
    # The stored half-precision fields are widened once gathered: numpy has no fast path for
    # float16 arithmetic (each operation converts every element both ways).
    knit = np.asarray(zn.knit).ravel()[at].astype(np.float32)
    a = a * np.clip(1.0 - INK_GROOVE * (1.0 - knit / np.float32(zn.knit_mean)), 0.0, 1.0)
    log_shade = np.asarray(zn.log_shade).ravel()[at].astype(np.float32)
    shade = np.exp((log_shade - np.float32(mean)) / np.float32(2.4))
    # The art's colour where the pull found ink; the bleed's fringe beyond it has none.
    pos = np.minimum(np.searchsorted(live, at), live.size - 1)
    rgb = np.where((live[pos] == at)[:, None], rgba[pos, :3], 0.0).astype(np.float32)
    keep = a > 0
    if not keep.all():  # (the knit's grooves never take all the ink: rarely taken)
        at, rgb, a, shade, fibres, film = (at[keep], rgb[keep], a[keep], shade[keep],
                                           fibres[keep], film[keep])
    return PrintLayer(zn.rows, zn.cols, at, rgb, a.astype(np.float32), shade, fibres,
                      film.astype(np.float32), LIFT_EDGE_IN * view.ppi)


def crop(layer: PrintLayer, rows: slice, cols: slice) -> PrintLayer:
    """The part of a print layer inside a window of its view (rows, columns); the region
    stays the layer's."""
    w = layer.cols.stop - layer.cols.start
    r, c = np.divmod(layer.at, max(w, 1))
    r, c = r + layer.rows.start, c + layer.cols.start
    keep = (r >= rows.start) & (r < rows.stop) & (c >= cols.start) & (c < cols.stop)
    return PrintLayer(layer.rows, layer.cols, layer.at[keep], layer.rgb[keep],
                      layer.alpha[keep], layer.shade[keep], layer.fibres[keep],
                      layer.film[keep], layer.film_px, (layer, np.flatnonzero(keep)))


def apply_print(image: np.ndarray, layer: PrintLayer, garment_hex: str) -> np.ndarray:
    """Lay the print onto a painted scene (a whole view, contiguous; in place); return the ink
    coverage at the layer's pixels (``layer.at``).

    The ink is mixed with a few per cent of the ground (DTG lets a little of the garment
    through); on a dark garment it is broken by a sparse fleck of fibres and its film's edges
    take the light.
    """
    dark = is_dark(garment_hex)
    ground = np.array(hex_rgb(garment_hex), np.float32) / 255.0
    mix = INK_GROUND_MIX_DARK if dark else INK_GROUND_MIX_LIGHT
    alpha = layer.alpha
    if dark:
        alpha = alpha * (1.0 - FIBRILLATION_DARK * layer.fibres)
    if layer.at.size == 0:
        return alpha
    shade = layer.shade
    if dark:
        shade = shade * (1.0 + layer.lift)
    ink = (layer.rgb * (1 - mix) + ground * mix) * shade[:, None]
    flat = image.reshape(-1, image.shape[2])
    pix = layer.pixels(image.shape[1])
    base = flat[pix, :3].astype(np.float32) / 255.0
    out = base + (np.clip(ink, 0.0, 1.0) - base) * alpha[:, None]
    flat[pix, :3] = np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
    return alpha
