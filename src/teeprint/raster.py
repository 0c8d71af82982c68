"""Artwork to pixels, and PNG files a DTG printer accepts.

Two rasterisers: :func:`rasterize_artwork` draws the artwork model straight with cairo (the
raster writer, used for print files and mockups), and :func:`rasterize` renders any SVG with
cairosvg (used for SVGs that are not a plate, and to check that the master SVG and the raster
writer agree).  cairo writes neither a resolution nor a colour profile, and its PNG encoder is
slow at full print size, so the pixels are cleaned in numpy (unpremultiplied, colour zeroed
where alpha is 0) and encoded once with the 300 dpi ``pHYs`` chunk and an sRGB ICC profile.
"""

from __future__ import annotations

import struct
import sys
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from teeprint.memo import per_plate_lru

if TYPE_CHECKING:
    from teeprint.artwork import Artwork, Shape
    from teeprint.catalog import Colorway

#: Fixed creation date written into the ICC header, so the profile bytes never change.
_ICC_DATE = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Preset:
    """A DTG print-file size: inches and pixels at 300 dpi."""

    name: str
    width_in: float
    height_in: float
    dpi: int = 300

    @property
    def width_px(self) -> int:
        """Pixel width at the preset's dpi."""
        return round(self.width_in * self.dpi)

    @property
    def height_px(self) -> int:
        """Pixel height at the preset's dpi."""
        return round(self.height_in * self.dpi)


PRESETS: dict[str, Preset] = {
    "15x18": Preset("15x18", 15.0, 18.0),
    "12x16": Preset("12x16", 12.0, 16.0),
}


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """A deterministic sRGB IEC61966-2.1 ICC profile (lcms stamps the current date; we do not)."""
    from PIL import ImageCms

    raw = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    raw[24:36] = _ICC_DATE
    raw[84:100] = bytes(16)  # profile ID 0 = "not computed", valid per ICC.1
    return bytes(raw)


def rasterize(svg: str, width_px: int, height_px: int) -> np.ndarray:
    """Render an SVG to an ``(h, w, 4)`` uint8 RGBA array, straight (not premultiplied) alpha.

    RGB is zeroed wherever alpha is 0, so no colour hides in transparent pixels.
    """
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface

    tree = Tree(bytestring=svg.encode("utf-8"))
    surface = PNGSurface(tree, None, 72, output_width=width_px, output_height=height_px)
    out = _to_rgba(surface.cairo, width_px, height_px)
    surface.finish()
    return out


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
        ">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


#: SVG's default miter limit; cairo's default (10) would draw other corners than the master.
MITER_LIMIT = 4.0


#: cairo's path element types (cairo_path_data_type_t) and how many 16-byte data elements
#: each op takes: a header, then its points.
_CAIRO_OPS = {"M": (0, 2, 2), "L": (1, 2, 2), "C": (2, 4, 6), "Z": (3, 1, 0)}


@per_plate_lru(maxsize=16384)
def cairo_path(d: str) -> tuple[Any, ...]:
    """A path in the artwork's M/L/C/Z grammar as a ready ``cairo_path_t`` (memoised).

    cairo's path format is an array of 16-byte unions: a header (type, length as two 32-bit
    ints) followed by its points (two doubles each).  The array is built with numpy in one go
    (the numbers in the order they are written are exactly the points in order) and handed to
    ``cairo_append_path``, so drawing a path is one C call instead of a Python call per
    segment, and the many threads of a render do not queue on the interpreter to draw.
    Returns the ``cairo_path_t`` and the buffers it points into (kept alive with it).
    """
    from cairocffi import ffi

    from teeprint.artwork import PATH_TOKENS

    tokens = PATH_TOKENS.findall(d)
    spec = [_CAIRO_OPS[op] for op, _ in tokens]
    nums = np.array(" ".join(args for _, args in tokens).split(), np.float64)
    if nums.size != sum(n for _, _, n in spec):
        msg = f"malformed path data: {d[:60]!r}"
        raise ValueError(msg)
    lengths = np.array([n for _, n, _ in spec], np.int64)
    starts = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    buf = np.zeros((total, 2), np.float64)
    is_point = np.ones(total, bool)
    is_point[starts] = False
    buf[is_point] = nums.reshape(-1, 2)
    head = buf.view(np.int32).reshape(total, 4)
    head[starts, 0] = [t for t, _, _ in spec]
    head[starts, 1] = lengths
    data = ffi.from_buffer("cairo_path_data_t[]", buf)
    path = ffi.new("cairo_path_t *")
    path.status = 0
    path.data = data
    path.num_data = total
    return path, data, buf


def replay_path(ctx: Any, d: str) -> None:
    """Feed a path in the artwork's M/L/C/Z grammar to a cairo context (in user space)."""
    from cairocffi import cairo as lib

    held = cairo_path(d)  # the path and the buffers it points into stay alive for the call
    lib.cairo_append_path(ctx._pointer, held[0])
    status = lib.cairo_status(ctx._pointer)
    if status:
        msg = f"cairo could not append a path (status {status})"
        raise RuntimeError(msg)


def paint_shape(ctx: Any, shape: Shape) -> None:
    """Fill or stroke one shape with the context's current source, as the SVG master does."""
    import cairocffi as cairo

    ctx.new_path()
    replay_path(ctx, shape.d)
    if shape.paint == "fill":
        ctx.set_fill_rule(cairo.FILL_RULE_WINDING)
        ctx.fill()
        return
    ctx.set_line_width(shape.width_pt)
    ctx.set_line_cap({"butt": cairo.LINE_CAP_BUTT, "round": cairo.LINE_CAP_ROUND,
                      "square": cairo.LINE_CAP_SQUARE}[shape.cap])
    ctx.set_line_join(cairo.LINE_JOIN_ROUND if shape.cap == "round" else cairo.LINE_JOIN_MITER)
    ctx.set_miter_limit(MITER_LIMIT)
    ctx.set_dash(list(shape.dash_pt))
    ctx.stroke()


def _to_rgba(surface: Any, width_px: int, height_px: int) -> np.ndarray:
    """Straight-alpha RGBA from a premultiplied cairo ARGB32 surface; RGB zeroed where alpha is 0.

    Copies the surface's pixels out (the surface may then be finished); see :func:`_words_to_rgba`.
    """
    surface.flush()
    stride = surface.get_stride()
    words = np.frombuffer(surface.get_data(), np.uint32).reshape(height_px, stride // 4)
    return _words_to_rgba(np.array(words[:, :width_px]))


#: Where R, G, B and A sit among the four bytes of cairo's native-endian ARGB32 word.
ARGB_BYTES = [2, 1, 0, 3] if sys.byteorder == "little" else [1, 2, 3, 0]


def _words_to_rgba(argb: np.ndarray) -> np.ndarray:
    """Premultiplied native-endian ARGB32 words (h, w) to straight RGBA bytes, in place.

    A transparent pixel is the zero word in both layouts, and print art leaves most of the
    page transparent, so only the inked pixels are gathered: their bytes are put in RGBA
    order and the anti-aliased edge pixels among them unpremultiplied, then they are
    scattered back.  The image is converted a band of rows at a time, so the gathered pixels
    and their indices stay a few megabytes whatever the size of the print.
    """
    height_px, width_px = argb.shape
    for top in range(0, height_px, CONVERT_BAND_ROWS):
        flat = argb[top:top + CONVERT_BAND_ROWS].reshape(-1)
        inked = np.flatnonzero(flat != 0)  # a bool pass first: twice as quick on a sparse page
        if not inked.size:
            continue
        px = np.ascontiguousarray(flat[inked].view(np.uint8).reshape(-1, 4)[:, ARGB_BYTES])
        alpha = px[:, 3]
        edge = np.flatnonzero((alpha - np.uint8(1)) < np.uint8(254))  # 0 < alpha < 255
        if edge.size:
            a = alpha[edge].astype(np.uint32)[:, None]
            rgb = px[edge, :3].astype(np.uint32)
            px[edge, :3] = np.minimum((rgb * 255 + a // 2) // a, 255).astype(np.uint8)
        flat[inked] = px.view(np.uint32)[:, 0]
    return argb.view(np.uint8).reshape(height_px, width_px, 4)


#: Rows converted at a time by :func:`_words_to_rgba` (512 rows of 4500 px: 9 MB of words).
CONVERT_BAND_ROWS = 512


def rasterize_artwork(artwork: Artwork, colorway: Colorway, width_px: int, height_px: int,
                      view_box_pt: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Draw the artwork straight from its model with cairo: the raster writer.

    It paints exactly what :func:`teeprint.artwork.to_svg` writes (inks in print order, the
    same tints, strokes, caps, joins, dashes and miter limit) without an SVG round trip, which
    is several times faster than parsing the master and lets a view box crop any region at
    any resolution.  ``view_box_pt`` (x, y, w, h) defaults to the artboard.  Returns straight
    RGBA bytes (h, w, 4).
    """
    return _words_to_rgba(rasterize_words(artwork, colorway, width_px, height_px, view_box_pt))


def rasterize_words(artwork: Artwork, colorway: Colorway, width_px: int, height_px: int,
                    view_box_pt: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """:func:`rasterize_artwork`'s pixels as cairo draws them: premultiplied ARGB32 words
    (h, w) uint32 in native byte order (:data:`ARGB_BYTES`), for a reader that works on
    premultiplied colour anyway (the mockups' bilinear sampling)."""
    import cairocffi as cairo

    from teeprint.artwork import ink_layers
    from teeprint.catalog import hex_rgb

    x, y, w, h = view_box_pt or (0.0, 0.0, artwork.width_pt, artwork.height_pt)
    # cairo draws straight into an array that becomes the result (no copy of the pixels).
    words = np.zeros((height_px, width_px), np.uint32)
    surface = cairo.ImageSurface.create_for_data(words.view(np.uint8),
                                                 cairo.FORMAT_ARGB32, width_px, height_px,
                                                 width_px * 4)
    ctx = cairo.Context(surface)
    ctx.scale(width_px / w, height_px / h)
    ctx.translate(-x, -y)
    for ink_id, shapes in ink_layers(artwork, colorway):
        for shape in shapes:
            r, g, b = hex_rgb(colorway.tint_hex(ink_id, shape.tint))
            ctx.set_source_rgb(r / 255, g / 255, b / 255)
            paint_shape(ctx, shape)
    surface.flush()
    surface.finish()
    return words


#: zlib-ng level for print files: level 2 of zlib-ng's deflate is both quicker and tighter on
#: flat print art than zlib's level 1 (double-descent at 4500 x 5400: 0.08 s and 0.86 MB
#: against 0.35 s and 1.29 MB).  The stream is standard deflate; any PNG reader decodes it.
PNG_DEFLATE_LEVEL = 2


def _png(width: int, height: int, bit_depth: int, colour_type: int, rows: np.ndarray,
         chunks: list[bytes], level: int) -> bytes:
    """Assemble a PNG: ``IHDR``, the ancillary ``chunks`` (which must precede the image data),
    one ``IDAT`` of the rows and ``IEND``.

    ``rows`` is (height, bytes per row).  Each row is stored unfiltered (led by filter type 0):
    flat art and bilevel film compress as well without the row filters, which would cost a
    pass of arithmetic over every byte.  The rows go to zlib-ng's deflate a block at a time,
    so the filtered copy of a 97 MB image is never made whole.
    """
    from zlib_ng import zlib_ng

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    deflate = zlib_ng.compressobj(level)
    block = np.zeros((min(PNG_BLOCK_ROWS, height), rows.shape[1] + 1), np.uint8)
    parts = []
    for top in range(0, height, PNG_BLOCK_ROWS):
        n = min(PNG_BLOCK_ROWS, height - top)
        block[:n, 1:] = rows[top:top + n]
        parts.append(deflate.compress(block[:n]))
    parts.append(deflate.flush())
    return b"".join([b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", ihdr), *chunks,
                     _chunk(b"IDAT", b"".join(parts)), _chunk(b"IEND", b"")])


#: Rows filtered and deflated at a time (256 rows of a 4500-px RGBA image: 4.6 MB).
PNG_BLOCK_ROWS = 256


def _phys(dpi: int) -> bytes:
    ppm = round(dpi / 0.0254)
    return _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))


def encode_bilevel_png(ink: np.ndarray, dpi: int, level: int = PNG_DEFLATE_LEVEL) -> bytes:
    """A 1-bit greyscale PNG of a bool array (True = black) with ``pHYs`` = dpi.

    Rows are packed eight pixels to a byte (0 = black, 1 = white) and stored unfiltered: on
    bilevel film art the adaptive row filters of general encoders cost several times the
    time and give a larger file (a 4800 x 5700 film through Pillow: 0.22 s, 153 KB).
    """
    h, w = ink.shape
    packed = np.packbits(ink, axis=1)
    np.invert(packed, out=packed)  # on the packed bytes: an eighth of the work
    if w % 8:  # the padding bits of each row's last byte stay 0, as packbits leaves them
        packed[:, -1] &= np.uint8((0xFF << (8 - w % 8)) & 0xFF)
    return _png(w, h, 1, 0, packed, [_phys(dpi)], level)


def encode_png(rgba: np.ndarray, dpi: int = 300, level: int = PNG_DEFLATE_LEVEL) -> bytes:
    """Encode RGBA pixels as a PNG with ``pHYs`` = dpi and the sRGB ICC profile embedded.

    Print art is flat colour on a transparent ground: unfiltered rows deflated by zlib-ng
    (:data:`PNG_DEFLATE_LEVEL`) make a smaller file than libpng's adaptive filtering at zlib
    level 1, in a quarter of the time.
    """
    h, w = rgba.shape[:2]
    iccp = _chunk(b"iCCP", b"sRGB IEC61966-2.1\0\0" + zlib.compress(srgb_icc(), 9))
    return _png(w, h, 8, 6, rgba.reshape(h, -1), [iccp, _phys(dpi)], level)
