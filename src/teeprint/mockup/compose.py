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
    shade_index,
    words,
)
from teeprint.mockup.relief import View

HEATHER_COVERAGE = 0.38
#: Height above the table of a folded tee's top layer (the stack under it), inches.
FOLDED_STACK_IN = 0.6


@dataclass(frozen=True)
class Scene:
    """Everything about one view that does not depend on the garment colour or the print."""

    surface: light.Surface
    rows: slice
    cols: slice
    index: np.ndarray  # shading level per pixel of the garment's bounding box
    inside: np.ndarray  # bool, fully covered by the garment
    edge_box: np.ndarray  # flat indices (in the box) of partly covered pixels
    edge_flat: np.ndarray  # the same pixels' flat indices in the whole view
    edge_alpha: np.ndarray
    backdrop: np.ndarray  # uint8 (h, w, 4) RGBX, whole view
    seed_text: str


def _bbox(alpha: np.ndarray, pad: int) -> tuple[slice, slice]:
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    h, w = alpha.shape
    return (slice(max(0, int(rows[0]) - pad), min(h, int(rows[-1]) + 1 + pad)),
            slice(max(0, int(cols[0]) - pad), min(w, int(cols[-1]) + 1 + pad)))


def lit_view(view: View, seed_text: str) -> tuple[light.Surface, np.ndarray]:
    """A view's lit cloth and its ground (RGBX): read from the disk store, or built and
    stored."""
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
    store.save(view, seed_text, surf, ground)
    return surf, ground


@once(maxsize=8)
def scene(view: View, seed_text: str) -> Scene:
    """Build (once per process) the colour-independent parts of a view."""
    surf, ground = lit_view(view, seed_text)
    alpha = surf.alpha
    rows, cols = _bbox(alpha > 0, 2)
    box_alpha = alpha[rows, cols]
    index = shade_index(surf.log_shade[rows, cols])
    inside = box_alpha >= 0.999
    edge = (box_alpha > 0) & ~inside
    edge_box = np.flatnonzero(edge)
    er, ec = np.nonzero(edge)
    edge_flat = (er + rows.start) * view.width_px + (ec + cols.start)
    return Scene(surf, rows, cols, index, inside, edge_box, edge_flat,
                 box_alpha.ravel()[edge_box].astype(np.float32), ground, seed_text)


@once(maxsize=4)
def heather_index(view: View, seed_text: str) -> np.ndarray:
    """Heather level per pixel of the scene's garment box, as an offset into the LUT."""
    sc = scene(view, seed_text)
    shape = sc.index.shape
    gen = fabric.rng(seed_text, f"heather-{view.name}")
    w = fabric.heather_weight(shape, view.ppi, HEATHER_COVERAGE, gen)
    # A pixel of the whole-tee view holds several flecks, so it varies less than one fleck.
    flecks_per_px = float(np.clip(view.ppi / 160.0, 0.4, 1.0))
    w = np.clip(float(w.mean()) + (w - float(w.mean())) * flecks_per_px, 0.0, 1.0)
    level = np.rint(w * (HEATHER_LEVELS - 1)).astype(np.int32)
    return level * LEVELS + sc.index.astype(np.int32)


def paint_garment(sc: Scene, hex_value: str, heather_hex: str | None,
                  out: np.ndarray | None = None,
                  window: tuple[slice, slice] | None = None) -> np.ndarray:
    """The scene with the tee in one colour: uint8 RGBX (h, w, 4) of the whole view.

    With ``out`` and ``window`` (rows, columns of the view), only the cloth inside the window
    is painted, into ``out`` (the colour range paints one tee per colour this way).
    """
    lut = garment_lut(hex_value, heather_hex)
    idx = sc.index if heather_hex is None else heather_index(sc.surface.view, sc.seed_text)
    if out is None:
        out = sc.backdrop.copy()
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
        under = sc.backdrop.reshape(-1, 4)[sc.edge_flat[keep], :3]
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
    if rgb.shape[2] == 4 and fmt != "png":  # RGBX straight to the encoder, no repacking
        img = Image.frombytes("RGBX", (w, h), np.ascontiguousarray(rgb).tobytes())
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
