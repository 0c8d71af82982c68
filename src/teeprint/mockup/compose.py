"""Turning a lit tee into a storefront image: the scene of a view, painted in one colour.

A :class:`Scene` holds everything of a view that does not depend on the garment colour or the
print (the lit cloth as shading levels, its edge, the ground with the cloth's shadow), built
once per process and view.  Painting a colour is then one table lookup per pixel
(:mod:`.colour`); the print is laid on by :mod:`.ink`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from teeprint.memo import once
from teeprint.mockup import fabric, light, scenery, store
from teeprint.mockup.colour import (
    HEATHER_LEVELS,
    LEVELS,
    garment_lut,
    words,
)
from teeprint.mockup.relief import View, light_falloff

HEATHER_COVERAGE = 0.38
#: Height above the table of a folded tee's top layer (the stack under it), inches.
FOLDED_STACK_IN = 0.6


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything about one view that does not depend on the garment colour or the print.

    The cloth's fields cover its bounding box (``rows``, ``cols`` of the view); they are the
    disk store's read-only memory maps (:mod:`.store`) or views into them.
    """

    view: View
    rows: slice
    cols: slice
    alpha: np.ndarray  # float32, the cloth's coverage
    index: np.ndarray  # uint16, shading level per pixel
    log_shade: np.ndarray  # float16, ln of the neutral shading
    u: np.ndarray  # float32, pattern x under each pixel, inches
    v: np.ndarray  # float32, pattern y
    knit: np.ndarray  # float16, the jersey's light variation (mean about 1)
    inside: np.ndarray  # bool, fully covered by the garment
    edge_box: np.ndarray  # flat indices (in the box) of partly covered pixels
    edge_flat: np.ndarray  # the same pixels' flat indices in the whole view
    edge_alpha: np.ndarray
    backdrop: np.ndarray  # uint8 (h, w, 4) RGBX, whole view (read-only)
    seed_text: str
    stored: dict[str, np.ndarray]  # the entry the fields come from (see :attr:`surface`)
    box_at: tuple[slice, slice]  # where the cloth's box sits in the entry's arrays
    offset: tuple[int, int] = (0, 0)  # where the view sits in the entry's view (rows, columns)
    covers: bool = False  # the cloth fills the whole view (a close-up): no ground shows

    @property
    def surface(self) -> light.Surface:
        """The whole-view lit surface (built from the stored fields; for tests and tools)."""
        r, c = self.offset
        h, w = self.view.height_px, self.view.width_px
        base = self.stored_view()
        full = store.surface(base, self.stored)
        if (r, c, h, w) == (0, 0, base.height_px, base.width_px):
            return full
        rows, cols = slice(r, r + h), slice(c, c + w)
        return light.Surface(self.view, full.alpha[rows, cols], full.log_shade[rows, cols],
                             full.u[rows, cols], full.v[rows, cols],
                             full.height_in[rows, cols], light_falloff(self.view),
                             full.knit[rows, cols])

    def stored_view(self) -> View:
        """The view the stored entry was built for (the view itself, or the one it crops)."""
        r, c = self.offset
        h, w = (int(n) for n in self.stored["ground"].shape[:2])
        return View(self.view.name, self.view.x0_in - c / self.view.ppi,
                    self.view.y0_in - r / self.view.ppi, self.view.ppi, w, h, self.view.drape)


def lit_view(view: View, seed_text: str) -> dict[str, np.ndarray]:
    """A view's lit cloth and its ground as a store entry (:func:`store.entry`): mapped from
    the disk store, or built and stored."""
    stored = store.load(view, seed_text)
    if stored is not None:
        return stored
    surf = light.surface(view, seed_text)
    alpha = surf.alpha
    if (alpha >= 0.999).all():  # a close-up: no ground shows
        ground = np.zeros((view.height_px, view.width_px, 4), np.uint8)
    elif view.drape == "hanger":
        ground = scenery.wall(view, surf.light, alpha, seed_text)
    else:
        lift = 0.3 if view.drape == "flat" else FOLDED_STACK_IN
        ground = scenery.linen(view, surf.light, scenery.contact_shadow(alpha, view.ppi, lift),
                               seed_text)
    arrays = store.entry(surf, ground)
    del surf, ground
    if store.save(view, seed_text, arrays):
        again = store.load(view, seed_text)
        if again is not None:  # the mapped copy: shared with other processes
            return again
    return arrays


def _assemble(view: View, seed_text: str, stored: dict[str, np.ndarray],
              window: tuple[int, int]) -> Scene:
    """The scene of ``view``, a window of the stored entry's view whose top-left pixel is
    ``window`` (rows, columns) there."""
    wr, wc = window
    r0, r1, c0, c1 = (int(v) for v in stored["box"])
    h, w = view.height_px, view.width_px
    # The cloth's box within the window, in the window's pixels and in the entry's box.
    vr0, vr1 = max(r0, wr) - wr, max(min(r1, wr + h), max(r0, wr)) - wr
    vc0, vc1 = max(c0, wc) - wc, max(min(c1, wc + w), max(c0, wc)) - wc
    br = slice(vr0 + wr - r0, vr1 + wr - r0)
    bc = slice(vc0 + wc - c0, vc1 + wc - c0)
    fields = {name: stored[name][br, bc] for name in ("alpha", "index", "log_shade", "u", "v",
                                                      "knit")}
    box_alpha = store.read(stored["alpha"], br, bc)  # read once, not kept mapped
    inside = box_alpha >= 0.999
    edge = (box_alpha > 0) & ~inside
    edge_box = np.flatnonzero(edge)
    er, ec = np.nonzero(edge)
    edge_flat = (er + vr0) * w + (ec + vc0)
    backdrop = stored["ground"][wr:wr + h, wc:wc + w]
    covers = (vr0, vr1, vc0, vc1) == (0, h, 0, w) and bool(inside.all())
    return Scene(view, slice(vr0, vr1), slice(vc0, vc1), fields["alpha"], fields["index"],
                 fields["log_shade"], fields["u"], fields["v"], fields["knit"], inside,
                 edge_box, edge_flat, box_alpha.ravel()[edge_box].astype(np.float32),
                 backdrop, seed_text, stored, (br, bc), (wr, wc), covers)


@once(maxsize=8)
def _entry(view: View, seed_text: str) -> dict[str, np.ndarray]:
    return lit_view(view, seed_text)


@once(maxsize=8)
def scene(view: View, seed_text: str) -> Scene:
    """Build (once per process) the colour-independent parts of a view."""
    return _assemble(view, seed_text, _entry(view, seed_text), (0, 0))


@once(maxsize=2)
def window_scene(parent: View, view: View, seed_text: str) -> Scene:
    """The scene of ``view``, a window of ``parent``'s pixels at the same scale (the close-up
    within the lit strip over the print area): the parent's fields, cropped, not rebuilt."""
    wr = round((view.y0_in - parent.y0_in) * parent.ppi)
    wc = round((view.x0_in - parent.x0_in) * parent.ppi)
    if (view.ppi != parent.ppi or wr < 0 or wc < 0 or wr + view.height_px > parent.height_px
            or wc + view.width_px > parent.width_px):
        msg = f"view {view} is not a window of {parent}"
        raise ValueError(msg)
    return _assemble(view, seed_text, _entry(parent, seed_text), (wr, wc))


@once(maxsize=4, key=lambda sc: (sc.view, sc.seed_text))
def heather_index(sc: Scene) -> np.ndarray:
    """Heather level per pixel of the scene's garment box, as an offset into the LUT; kept
    in the scene store next to the view (its fleck noise is 0.05 s a view in every
    process)."""
    path = store.path_for(sc.view, sc.seed_text, sc.offset, kind="heather")
    got = store.load_at(path, ("index",))
    if got is not None and got["index"].shape == sc.index.shape:
        return got["index"]
    index = _heather_index(sc)
    store.save_at(path, {"index": index})
    return index


def _heather_index(sc: Scene) -> np.ndarray:
    view, seed_text = sc.view, sc.seed_text
    shape = sc.index.shape
    gen = fabric.rng(seed_text, f"heather-{view.name}")
    w = fabric.heather_weight(shape, view.ppi, HEATHER_COVERAGE, gen)
    # A pixel of the whole-tee view holds several flecks, so it varies less than one fleck.
    flecks_per_px = float(np.clip(view.ppi / 160.0, 0.4, 1.0))
    w = np.clip(float(w.mean()) + (w - float(w.mean())) * flecks_per_px, 0.0, 1.0)
    level = np.rint(w * (HEATHER_LEVELS - 1)).astype(np.uint16)
    return level * np.uint16(LEVELS) + sc.index  # below 2**16: HEATHER_LEVELS * LEVELS


def paint_garment(sc: Scene, hex_value: str, heather_hex: str | None,
                  out: np.ndarray | None = None,
                  window: tuple[slice, slice] | None = None) -> np.ndarray:
    """The scene with the tee in one colour: uint8 RGBX (h, w, 4) of the whole view.

    With ``out`` and ``window`` (rows, columns of the view), only the cloth inside the window
    is painted, into ``out`` (the colour range paints one tee per colour this way).
    """
    lut = garment_lut(hex_value, heather_hex)
    idx = sc.index if heather_hex is None else heather_index(sc)
    if out is None and window is None and sc.covers:  # all cloth: one lookup per pixel
        out = np.empty((sc.view.height_px, sc.view.width_px, 4), np.uint8)
        np.take(lut, idx, out=words(out))
        return out
    if out is None:
        out = np.array(sc.backdrop)
    h, w = out.shape[:2]
    wr, wc = window if window is not None else (slice(0, h), slice(0, w))
    # The window within the cloth's box, in box coordinates.
    br = slice(max(wr.start, sc.rows.start) - sc.rows.start,
               max(min(wr.stop, sc.rows.stop) - sc.rows.start, 0))
    bc = slice(max(wc.start, sc.cols.start) - sc.cols.start,
               max(min(wc.stop, sc.cols.stop) - sc.cols.start, 0))
    if br.stop <= br.start or bc.stop <= bc.start:
        return out
    tee = lut[idx[br, bc]]
    vr = slice(br.start + sc.rows.start, br.stop + sc.rows.start)
    vc = slice(bc.start + sc.cols.start, bc.stop + sc.cols.start)
    np.copyto(words(out)[vr, vc], tee, where=sc.inside[br, bc])
    if sc.edge_flat.size:
        er, ec = np.divmod(sc.edge_flat, w)
        keep = (er >= vr.start) & (er < vr.stop) & (ec >= vc.start) & (ec < vc.stop)
        flat = out.reshape(-1, 4)  # a view: the whole image is contiguous
        a = sc.edge_alpha[keep][:, None]
        under = sc.backdrop[er[keep], ec[keep], :3]
        cloth = lut[idx.ravel()[sc.edge_box[keep]]].view(np.uint8).reshape(-1, 4)[:, :3]
        mixed = under * (1 - a) + cloth * a
        flat[sc.edge_flat[keep], :3] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return out


FORMATS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}
JPEG_QUALITY = 88


def encode(rgb: np.ndarray, fmt: str) -> bytes:
    """Storefront image bytes from RGB or RGBX pixels: sRGB ICC embedded, deterministic
    encoder settings (4:4:4 JPEG, so cinnabar hairlines keep their colour)."""
    from PIL import Image

    from teeprint.raster import srgb_icc

    h, w = rgb.shape[:2]
    if rgb.shape[2] == 4 and fmt != "png":  # RGBX straight to the encoder, no copy
        img = Image.frombuffer("RGBX", (w, h), np.ascontiguousarray(rgb), "raw", "RGBX", 0, 1)
    else:
        img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]), "RGB")
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0, icc_profile=srgb_icc(),
                 optimize=False, progressive=False)
    elif fmt == "png":
        img.save(buf, "PNG", compress_level=4, icc_profile=srgb_icc())
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=JPEG_QUALITY, method=4, icc_profile=srgb_icc())
    else:
        msg = f"unknown image format {fmt!r}; choose one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    return buf.getvalue()
