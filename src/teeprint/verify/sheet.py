"""Contact sheets: every plate of a family side by side, as a person reviews a series.

A sheet is a PNG grid of whole plates drawn by the raster writer on the colourway's garment
colour, in plate order, so a reviewer sees at a glance two figures alike, an empty panel, a
crowded one or type too small to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Specimen

#: Thumbnail width in pixels (the plate's 15 x 18 in artboard keeps its proportions).
THUMB_W_PX = 480
COLUMNS = 5
GAP_PX = 12

_WORKER: dict[str, Any] = {}


def _init(args: tuple[Any, Any, Any]) -> None:
    from teeprint.catalog import Catalog
    from teeprint.runtime import configure_process

    configure_process()
    _WORKER["catalog"] = Catalog.load(*args)


def thumbnail(catalog: Catalog, spec: Specimen, colorway_id: str) -> np.ndarray:
    """One plate as RGB pixels on its garment colour."""
    from teeprint import pipeline
    from teeprint.catalog import hex_rgb
    from teeprint.raster import rasterize_artwork

    plate = pipeline.draw_plate(catalog, spec)
    cw = catalog.colorway(colorway_id)
    art = plate.artwork
    w = THUMB_W_PX
    h = round(w * art.height_pt / art.width_pt)
    rgba = rasterize_artwork(art, cw, w, h).astype(float)
    ground = np.array(hex_rgb(cw.garment_hex), float)
    alpha = rgba[..., 3:4] / 255.0
    return (rgba[..., :3] * alpha + ground * (1 - alpha)).round().astype(np.uint8)


def _broken(catalog: Catalog, spec: Specimen, why: str) -> np.ndarray:
    """A grey card in place of a plate that cannot be drawn, with the slug and the reason."""
    import textwrap

    from PIL import Image, ImageDraw

    w = THUMB_W_PX
    h = round(w * 18 / 15)
    img = Image.new("RGB", (w, h), (96, 96, 96))
    draw = ImageDraw.Draw(img)
    lines = [spec.slug, "cannot be drawn:", *textwrap.wrap(why, 60)[:12]]
    draw.multiline_text((16, 16), "\n".join(lines), fill=(255, 255, 255), spacing=6)
    return np.asarray(img)


def _safe_thumbnail(catalog: Catalog, spec: Specimen, colorway_id: str) -> tuple[np.ndarray, str]:
    from teeprint.errors import TeeprintError

    try:
        return thumbnail(catalog, spec, colorway_id), ""
    except TeeprintError as exc:
        why = str(exc)
    except Exception as exc:  # a bug in one recipe must not hide the rest of the series
        why = f"{type(exc).__name__}: {exc}"
    return _broken(catalog, spec, why), why


def _thumb(slug: str, colorway_id: str) -> tuple[np.ndarray, str]:
    cat = _WORKER["catalog"]
    return _safe_thumbnail(cat, cat.specimen(slug), colorway_id)


def contact_sheet(catalog: Catalog, specs: Sequence[Specimen], colorway_id: str,
                  jobs: int = 2, problems: list[tuple[str, str]] | None = None) -> bytes:
    """The plates as one PNG grid (plate order, :data:`COLUMNS` across).

    A plate that cannot be drawn becomes a grey card naming the reason, and ``(slug, reason)``
    is appended to ``problems``.
    """
    import io

    from PIL import Image

    catalog.colorway(colorway_id)  # a clear error before any work for an unknown colourway
    if jobs > 1 and len(specs) > 2:
        args = (catalog.settings_path, catalog.designs_dir, catalog.palettes_dir)
        with ProcessPoolExecutor(jobs, initializer=_init, initargs=(args,)) as pool:
            made = list(pool.map(_thumb, [s.slug for s in specs], [colorway_id] * len(specs)))
    else:
        made = [_safe_thumbnail(catalog, s, colorway_id) for s in specs]
    thumbs = [t for t, _ in made]
    if problems is not None:
        problems.extend((s.slug, why) for s, (_, why) in zip(specs, made, strict=True) if why)
    th, tw = thumbs[0].shape[:2]
    cols = min(COLUMNS, len(thumbs))
    rows = -(-len(thumbs) // cols)
    sheet = np.full((rows * th + (rows + 1) * GAP_PX, cols * tw + (cols + 1) * GAP_PX, 3), 128,
                    np.uint8)
    for i, t in enumerate(thumbs):
        r, c = divmod(i, cols)
        y, x = GAP_PX + r * (th + GAP_PX), GAP_PX + c * (tw + GAP_PX)
        sheet[y:y + th, x:x + tw] = t
    buf = io.BytesIO()
    Image.fromarray(sheet).save(buf, "PNG")
    return buf.getvalue()
