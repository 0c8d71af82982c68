"""Preflight: every rule a print file must pass, collected rather than stopping at the first.

Rules run on what teeprint makes -- a specimen's artwork and its DTG print PNG -- and on files
on their own (a print PNG, a master SVG, a separation PDF written by teeprint).  Sizes are
judged *at print scale*: the artboard prints at 100 % on the 15 x 18 in preset and at 80 % on
the 12 x 16 in one, so by default lines and type are checked at the smallest scale.

Limits come from ``[print]`` in shop.toml (:class:`~teeprint.catalog.PrintSettings`).  The
report lists violations (error / warning / info), the screens a screen printer would burn
(inks + underbase) and their setup cost.  Importing this module registers the ``preflight``
stage, which writes the report as JSON next to the other outputs of a render.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from teeprint.catalog import PrintSettings, hex_rgb
from teeprint.errors import TeeprintError
from teeprint.pipeline import EXTRA_STAGES, STAGE_NEEDS, Output, Plate, file_stem

if TYPE_CHECKING:
    from teeprint.artwork import Artwork, Shape
    from teeprint.catalog import Catalog, Colorway

Severity = Literal["error", "warning", "info"]
#: Interior semi-transparent pixels allowed before it is more than anti-aliasing.
PARTIAL_ALPHA_MAX_FRACTION = 1e-4
#: How far (max channel difference, 0-255) a pixel may sit from an ink's tint curve.
COLOUR_TOLERANCE = 3.0
#: A halftoned line narrower than this many screen cells prints as a chain of dots.
HALFTONE_MIN_CELLS = 2.0
EXAMPLES = 3


@dataclass(frozen=True)
class Violation:
    """One broken rule: which, how bad, a readable message, where, and the numbers."""

    rule: str
    severity: Severity
    message: str
    where: str = ""
    value: float | None = None
    limit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, floats rounded."""
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "where": self.where,
                "value": None if self.value is None else round(self.value, 4),
                "limit": None if self.limit is None else round(self.limit, 4)}


@dataclass(frozen=True)
class Report:
    """The preflight of one subject (a specimen in a colourway, or a file)."""

    subject: str
    colorway: str | None
    scale: float
    checks: tuple[str, ...]
    violations: tuple[Violation, ...]
    screens: tuple[str, ...] = ()
    screen_fee: float = 0.0
    currency: str = "USD"
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Violation]:
        """Violations that stop the file going to print."""
        return [v for v in self.violations if v.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when nothing is an error."""
        return not self.errors

    @property
    def setup_cost(self) -> float:
        """Screen setup cost: one fee per screen."""
        return self.screen_fee * len(self.screens)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (deterministic: no dates, rounded floats)."""
        return {"subject": self.subject, "colorway": self.colorway, "ok": self.ok,
                "print_scale": round(self.scale, 4), "checks": list(self.checks),
                "errors": len(self.errors),
                "warnings": sum(v.severity == "warning" for v in self.violations),
                "violations": [v.to_dict() for v in self.violations],
                "screens": {"count": len(self.screens), "plates": list(self.screens),
                            "fee_each": round(self.screen_fee, 2),
                            "setup_cost": round(self.setup_cost, 2), "currency": self.currency},
                "facts": self.facts}

    def to_json(self) -> str:
        """The report as sorted, indented JSON."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def min_print_scale(artwork_w_pt: float, artwork_h_pt: float, preset: str | None = None) -> float:
    """The smallest scale at which a print preset prints the artboard (fit as ``print_png`` does)."""
    from teeprint.raster import PRESETS

    names = [preset] if preset else list(PRESETS)
    scales = []
    for name in names:
        if name not in PRESETS:
            msg = f"--preset {name!r} is not a print size; choose one of {', '.join(PRESETS)}"
            raise TeeprintError(msg)
        p = PRESETS[name]
        scales.append(min(p.width_in * 72 / artwork_w_pt, p.height_in * 72 / artwork_h_pt))
    return min(scales)


def _where(s: Shape) -> str:
    x0, y0, x1, y1 = s.bbox
    name = f"'{s.label}' " if s.label else ""
    return f"{name}at ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}) pt"


def _grouped(rule: str, severity: Severity, items: dict[tuple[str, float], list[Shape]],
             describe: Any, limit: float) -> list[Violation]:
    out = []
    for (ink, value), shapes in sorted(items.items()):
        where = "; ".join(_where(s) for s in shapes[:EXAMPLES])
        more = f" (+{len(shapes) - EXAMPLES} more)" if len(shapes) > EXAMPLES else ""
        out.append(Violation(rule, severity, describe(ink, value, len(shapes)), where + more,
                             value, limit))
    return out


def _exact_extents(s: Shape) -> tuple[float, float, float, float]:
    """The painted extent of a shape (curves, not their control points), via cairo."""
    import cairocffi as cairo

    from teeprint.raster import replay_path

    surface = cairo.ImageSurface(cairo.FORMAT_A8, 1, 1)
    ctx = cairo.Context(surface)
    replay_path(ctx, s.d)
    if s.paint == "fill":
        x0, y0, x1, y1 = ctx.fill_extents()
        return (x0, y0, x1, y1)
    ctx.set_line_width(s.width_pt)
    ctx.set_line_cap({"butt": cairo.LINE_CAP_BUTT, "round": cairo.LINE_CAP_ROUND,
                      "square": cairo.LINE_CAP_SQUARE}[s.cap])
    x0, y0, x1, y1 = ctx.stroke_extents()
    return (x0, y0, x1, y1)


def check_artwork(artwork: Artwork, colorway: Colorway, rules: PrintSettings, scale: float,
                  lpi: float | None = None) -> list[Violation]:
    """Vector rules: line and type sizes at print scale, ink count, print area, tints."""
    from teeprint.separate.plates import DROPOUT_TINT, SOLID_TINT, inks_used

    out: list[Violation] = []
    thin: dict[tuple[str, float], list[Shape]] = defaultdict(list)
    thin_ko: dict[tuple[str, float], list[Shape]] = defaultdict(list)
    small_type: dict[tuple[str, float], list[Shape]] = defaultdict(list)
    dotted: dict[tuple[str, float], list[Shape]] = defaultdict(list)
    odd_tint: dict[tuple[str, float], list[Shape]] = defaultdict(list)
    cell_pt = 72.0 / (lpi or rules.lpi)
    outside: list[Shape] = []
    w, h = artwork.width_pt, artwork.height_pt
    for s in artwork.shapes:
        ink = colorway.ink_for(s.role).id
        knockout = s.tint < DROPOUT_TINT
        if s.paint == "stroke":
            printed = s.width_pt * scale
            if knockout and printed < rules.min_knockout_line_pt:
                thin_ko[(ink, s.width_pt)].append(s)
            elif not knockout and printed < rules.min_line_pt:
                thin[(ink, s.width_pt)].append(s)
            elif DROPOUT_TINT <= s.tint <= SOLID_TINT and printed < HALFTONE_MIN_CELLS * cell_pt:
                dotted[(ink, round(s.tint, 3))].append(s)
        if s.text_pt is not None and s.text_pt * scale < rules.min_text_pt:
            small_type[(ink, s.text_pt)].append(s)
        if 0 < s.tint < DROPOUT_TINT or SOLID_TINT < s.tint < 1:
            odd_tint[(ink, round(s.tint, 3))].append(s)
        x0, y0, x1, y1 = s.bbox
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            ex0, ey0, ex1, ey1 = _exact_extents(s)
            if ex0 < -0.01 or ey0 < -0.01 or ex1 > w + 0.01 or ey1 > h + 0.01:
                outside.append(s)
    out += _grouped("min-line", "error", thin, lambda ink, v, n: (
        f"{n} line(s) of {v:g} pt in {ink} print at {v * scale:.2f} pt, under the "
        f"{rules.min_line_pt:g} pt minimum"), rules.min_line_pt)
    out += _grouped("min-knockout-line", "error", thin_ko, lambda ink, v, n: (
        f"{n} reversed (knockout) line(s) of {v:g} pt in {ink} print at {v * scale:.2f} pt, "
        f"under the {rules.min_knockout_line_pt:g} pt minimum for reversed lines"),
        rules.min_knockout_line_pt)
    out += _grouped("min-text", "error", small_type, lambda ink, v, n: (
        f"{n} line(s) of {v:g} pt type in {ink} print at {v * scale:.1f} pt, under the "
        f"{rules.min_text_pt:g} pt minimum"), rules.min_text_pt)
    out += _grouped("halftone-line", "warning", dotted, lambda ink, v, n: (
        f"{n} line(s) in {ink} at a {v:.0%} tint are narrower than {HALFTONE_MIN_CELLS:g} "
        f"halftone cells ({HALFTONE_MIN_CELLS * cell_pt:.1f} pt): on screen they print as "
        "dotted lines"), HALFTONE_MIN_CELLS * cell_pt)
    out += _grouped("screen-tint", "warning", odd_tint, lambda ink, v, n: (
        f"{n} shape(s) in {ink} at a {v:.0%} tint will "
        f"{'drop out' if v < DROPOUT_TINT else 'print solid'} on screen "
        f"(printable tints are {DROPOUT_TINT:.0%}-{SOLID_TINT:.0%})"), DROPOUT_TINT)
    if outside:
        out.append(Violation("print-area", "error",
                             f"{len(outside)} shape(s) reach outside the {w / 72:g} x {h / 72:g} in "
                             "print area and would be cut off",
                             "; ".join(_where(s) for s in outside[:EXAMPLES])))
    used = inks_used(artwork, colorway)
    if len(used) > colorway.max_inks:
        out.append(Violation("max-inks", "error",
                             f"{len(used)} inks used ({', '.join(i.id for i in used)}); colourway "
                             f"{colorway.id!r} allows {colorway.max_inks}", "",
                             len(used), colorway.max_inks))
    if artwork.shapes:
        x0, y0, x1, y1 = artwork.bbox()
        size_px = min(x1 - x0, y1 - y0) / 72 * 300 * scale
        if size_px < rules.min_art_px:
            out.append(Violation("tiny-art", "error",
                                 f"the art is {size_px:.1f} px across at 300 dpi; print services "
                                 f"treat art under {rules.min_art_px} px as blank", "",
                                 size_px, rules.min_art_px))
    else:
        out.append(Violation("tiny-art", "error", "the artwork is empty", ""))
    return out


def _tint_curves(colorway: Colorway, steps: int = 1001) -> tuple[np.ndarray, np.ndarray]:
    """sRGB (0-255, float) of every ink at tints 0..1 on the garment, and the tints."""
    def lin(c: np.ndarray) -> np.ndarray:
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)

    def srgb(c: np.ndarray) -> np.ndarray:
        return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(np.maximum(c, 0), 1 / 2.4) - 0.055)

    t = np.linspace(0.0, 1.0, steps)
    ground = lin(np.array(hex_rgb(colorway.garment_hex), float) / 255)
    curves = []
    for ink in colorway.inks:
        c = lin(np.array(hex_rgb(ink.hex), float) / 255)
        curves.append(srgb(t[:, None] * c + (1 - t[:, None]) * ground) * 255)
    return np.concatenate(curves), np.tile(t, len(colorway.inks))


def classify_colours(rgb: np.ndarray, colorway: Colorway) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 3) sRGB colours: is each an ink tint, and is it the bare garment colour."""
    curve, tints = _tint_curves(colorway)
    ok = np.zeros(len(rgb), bool)
    garment = np.zeros(len(rgb), bool)
    for i in range(0, len(rgb), 512):  # bounded memory for files with many colours
        d = np.abs(rgb[i:i + 512, None, :].astype(float) - curve[None, :, :]).max(axis=2)
        best = d.argmin(axis=1)
        ok[i:i + 512] = d[np.arange(len(best)), best] <= COLOUR_TOLERANCE
        garment[i:i + 512] = ok[i:i + 512] & (tints[best] < 0.005)
    return ok, garment


def _pixels(img: Any, data: bytes) -> np.ndarray:
    """The RGBA pixels of an opened PNG: 8-bit RGBA files are decoded by libpng straight into
    an array (a third of the time of going through Pillow's image object)."""
    import imagecodecs

    if img.mode == "RGBA" and img.format == "PNG":
        try:
            px = imagecodecs.png_decode(data)
        except imagecodecs.PngError:
            px = None
        if px is not None and px.dtype == np.uint8 and px.shape == (img.height, img.width, 4):
            return np.asarray(px)
    return np.asarray(img.convert("RGBA"))


def check_png(data: bytes, colorway: Colorway | None, rules: PrintSettings,
              expect_px: tuple[int, int] | None = None, pixels: np.ndarray | None = None
              ) -> tuple[list[Violation], dict[str, Any]]:
    """Raster rules on a DTG print PNG: format, alpha hygiene, colours, size, blank art.

    ``pixels`` are the RGBA pixels the file was encoded from, when the caller has them (a
    render): the file's chunks are still read, its pixels are not decoded again.
    """
    import io

    from PIL import Image

    out: list[Violation] = []
    facts: dict[str, Any] = {"bytes": len(data)}
    limit = rules.dtg_max_mb * 1e6
    if len(data) > limit:
        out.append(Violation("file-size", "error",
                             f"the PNG is {len(data) / 1e6:.1f} MB, over the {rules.dtg_max_mb:g} MB "
                             "DTG upload limit", "", len(data) / 1e6, rules.dtg_max_mb))
    img: Image.Image = Image.open(io.BytesIO(data))
    dpi = img.info.get("dpi", (0, 0))
    facts.update({"mode": img.mode, "width_px": img.width, "height_px": img.height,
                  "dpi": round(float(dpi[0])), "icc": "icc_profile" in img.info})
    if img.mode != "RGBA":
        out.append(Violation("png-format", "error",
                             f"the PNG is {img.mode}; DTG wants RGBA with a transparent ground"))
        img = img.convert("RGBA")
    if round(float(dpi[0])) != 300:
        out.append(Violation("png-format", "error",
                             f"the PNG says {float(dpi[0]):.0f} dpi; print files carry 300 dpi",
                             "", float(dpi[0]), 300))
    if "icc_profile" not in img.info:
        out.append(Violation("png-format", "warning",
                             "no ICC profile: the printer will guess the colour space (embed sRGB)"))
    if expect_px and (img.width, img.height) != expect_px:
        out.append(Violation("png-format", "error",
                             f"the PNG is {img.width} x {img.height} px, the preset needs "
                             f"{expect_px[0]} x {expect_px[1]}"))
    known = pixels is not None and img.mode == "RGBA" and pixels.shape == (img.height, img.width, 4)
    rgba = pixels if known and pixels is not None else _pixels(img, data)
    # One 32-bit word per pixel, alpha in the top byte.  Print art leaves most of the file
    # transparent, so the inked pixels are found in one pass and every rule below looks at
    # them (and their four neighbours) by flat index.
    h, w = rgba.shape[:2]
    flat = np.ascontiguousarray(rgba).view("<u4").reshape(-1)
    at = np.flatnonzero(flat > _RGB_MASK)  # alpha > 0, in raster order
    if at.size == 0:
        out.append(Violation("tiny-art", "error", "the PNG is blank (fully transparent)"))
        return out, facts
    ys, xs = np.divmod(at, w)
    top, bottom, left, right = int(ys[0]), int(ys[-1]), int(xs.min()), int(xs.max())
    bw, bh = right - left + 1, bottom - top + 1
    facts["art_bbox_px"] = [left, top, right + 1, bottom + 1]
    if min(bw, bh) < rules.min_art_px:
        out.append(Violation("tiny-art", "error",
                             f"the art is {bw} x {bh} px; under {rules.min_art_px} px counts as blank",
                             "", min(bw, bh), rules.min_art_px))
    if top == 0 or left == 0 or bottom == h - 1 or right == w - 1:
        out.append(Violation("print-area", "warning",
                             "art touches the edge of the print file and may have been cut off",
                             f"art box {facts['art_bbox_px']} px"))
    # The art's box with a pixel of margin (within the file): pixels on its border are not
    # judged as interior, and every inner pixel has four neighbours in the file.
    y0, x0, y1, x1 = max(top - 1, 0), max(left - 1, 0), min(bottom + 2, h), min(right + 2, w)
    inner = (ys > y0) & (ys < y1 - 1) & (xs > x0) & (xs < x1 - 1)
    partial = flat[at] < _OPAQUE
    n_partial = int(np.count_nonzero(partial))
    edge = at[partial & inner]
    surrounded = np.ones(edge.size, bool)
    for step in (-w, w, -1, 1):
        nb = flat[edge + step]
        surrounded &= (nb > _RGB_MASK) & (nb < _OPAQUE)
    interior = edge[surrounded]
    size = flat.size
    facts["partial_alpha_fraction"] = round(n_partial / size, 6)
    facts["interior_partial_alpha_px"] = n_interior = int(interior.size)
    if n_interior > PARTIAL_ALPHA_MAX_FRACTION * size:
        iy, ix = np.divmod(interior, w)
        out.append(Violation("partial-alpha", "error",
                             f"{n_interior} semi-transparent pixels away from any edge: the DTG "
                             "printer lays a partial underbase there (speckled, hazy print)",
                             f"px box ({ix.min()}, {iy.min()})-({ix.max()}, {iy.max()})",
                             n_interior / size, PARTIAL_ALPHA_MAX_FRACTION))
    if colorway is not None:
        out += _check_png_colours(_flat_colours_at(flat, at[~partial & inner], w), colorway)
    return out, facts


_RGB_MASK = np.uint32(0x00FFFFFF)
_OPAQUE = np.uint32(0xFF000000)


def _flat_colours_at(flat: np.ndarray, at: np.ndarray, width: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Flat colours among opaque pixels ``at`` (flat indices, raster order, none on the
    image's border) of an image of words: those equal to their four neighbours, counted by
    runs, so the census sorts one value per run rather than one per pixel."""
    v = flat[at]
    same = np.ones(at.size, bool)
    for step in (-width, width, -1, 1):
        same &= flat[at + step] == v
    values = v[same]
    if values.size == 0:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.diff(values, prepend=values[0] ^ np.uint32(1)))
    lengths = np.diff(starts, append=values.size)
    colours, which = np.unique(values[starts], return_inverse=True)
    return colours & _RGB_MASK, np.bincount(which, weights=lengths).astype(np.int64)


def flat_colours(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flat colours of an image of little-endian RGBA words, and their pixel counts.

    A pixel is flat when it is opaque and equal to its four neighbours (anti-aliased edges
    and the image's border row and column are not).
    """
    h, w = words.shape
    flat = np.ascontiguousarray(words).reshape(-1)
    at = np.flatnonzero(flat >= _OPAQUE)
    ys, xs = np.divmod(at, w)
    at = at[(ys > 0) & (ys < h - 1) & (xs > 0) & (xs < w - 1)]
    return _flat_colours_at(flat, at, w)


def _check_png_colours(census: tuple[np.ndarray, np.ndarray], colorway: Colorway
                       ) -> list[Violation]:
    """Flat (interior, opaque) colours must be an ink or a tint of one on the garment."""
    colours, n_px = census
    if colours.size == 0:
        return []
    rgb = np.stack([colours & 0xFF, (colours >> 8) & 0xFF, (colours >> 16) & 0xFF], axis=1)
    ok, garment = classify_colours(rgb, colorway)
    out = []
    stray = np.flatnonzero(~ok)
    if stray.size:
        order = stray[np.argsort(-n_px[stray], kind="stable")]
        shown = ", ".join(f"#{r:02x}{g:02x}{b:02x} ({n} px)" for (r, g, b), n in
                          zip(rgb[order[:EXAMPLES]].tolist(), n_px[order[:EXAMPLES]].tolist(), strict=True))
        out.append(Violation("stray-colour", "error",
                             f"{stray.size} colour(s) are not an ink of {colorway.id!r} or a tint "
                             f"of one: {shown}", "", float(n_px[stray].sum()), 0))
    if garment.any():
        out.append(Violation("garment-colour", "warning",
                             f"{int(n_px[garment].sum())} px are painted in the garment colour; DTG "
                             "prints them as ink (leave them transparent)"))
    return out


def screens_of(artwork: Artwork, colorway: Colorway) -> tuple[str, ...]:
    """The screens a screen printer burns: the plates, underbase first."""
    from teeprint.separate.plates import plate_list

    return tuple(p.name for p in plate_list(artwork, colorway))


def check_plate(plate: Plate, colorway: Colorway, rules: PrintSettings, *,
                print_png: bytes | None = None, png_preset: str | None = None,
                preset: str | None = None, lpi: float | None = None,
                png_pixels: np.ndarray | None = None) -> Report:
    """Preflight a drawn specimen in a colourway (and its print PNG when given)."""
    art = plate.artwork
    scale = min_print_scale(art.width_pt, art.height_pt, preset)
    violations = check_artwork(art, colorway, rules, scale, lpi)
    checks = ["min-line", "min-knockout-line", "min-text", "max-inks", "print-area", "tiny-art",
              "screen-tint", "halftone-line"]
    facts: dict[str, Any] = {"inks": [i.id for i in colorway.inks
                                      if i.id in {colorway.ink_for(s.role).id for s in art.shapes}]}
    if print_png is not None:
        from teeprint.raster import PRESETS

        p = PRESETS[png_preset or "15x18"]
        more, png_facts = check_png(print_png, colorway, rules, (p.width_px, p.height_px),
                                    png_pixels)
        violations += more
        checks += ["file-size", "png-format", "partial-alpha", "stray-colour"]
        facts["print_png"] = png_facts
    return Report(plate.spec.slug, colorway.id, scale, tuple(checks), tuple(_sorted(violations)),
                  screens_of(art, colorway), rules.screen_fee, rules.currency, facts)


def _sorted(vs: Iterable[Violation]) -> list[Violation]:
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(vs, key=lambda v: (rank[v.severity], v.rule, v.message))


# -- files ----------------------------------------------------------------------------------


def _colorway_from_name(path: Path, catalog: Catalog, asked: str | None) -> Colorway | None:
    if asked:
        return catalog.colorway(asked)
    parts = path.name.split("--")
    if len(parts) >= 2:
        cw = parts[1].split(".")[0]
        known = {c.id for c in catalog.colorways()}
        if cw in known:
            return catalog.colorway(cw)
    return None


def check_file(path: Path, catalog: Catalog, *, colorway: str | None = None,
               preset: str | None = None) -> Report:
    """Preflight a print PNG, a master SVG or a separation PDF on its own."""
    rules = catalog.settings.print
    if not path.is_file():
        msg = f"{path}: file not found (give a specimen slug or a .png/.svg/.pdf file)"
        raise TeeprintError(msg)
    cw = _colorway_from_name(path, catalog, colorway)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".png":
        violations, facts = check_png(data, cw, rules)
        scale = 1.0
        checks = ["file-size", "png-format", "partial-alpha", "stray-colour", "tiny-art",
                  "print-area"]
        screens: tuple[str, ...] = ()
    elif suffix == ".svg":
        violations, facts, scale, screens = check_svg(data, cw, rules, preset)
        checks = ["min-line", "max-inks", "stray-colour", "print-area", "outlined-type"]
    elif suffix == ".pdf":
        violations, facts, scale, screens = check_pdf(data, cw, rules, preset)
        checks = ["process-colour", "fonts", "min-line", "min-text", "max-inks", "trim-box",
                  "print-area", "transparency"]
    else:
        msg = f"{path}: cannot preflight a {suffix or 'suffix-less'} file; give a .png, .svg or .pdf"
        raise TeeprintError(msg)
    if cw is None:
        violations = [*violations, Violation(
            "colourway", "info", "colourway unknown (name the file SLUG--COLOURWAY... or pass "
            "--colorway): colours and ink count were not checked against a palette")]
    return Report(str(path), cw.id if cw else None, scale, tuple(checks),
                  tuple(_sorted(violations)), screens, rules.screen_fee, rules.currency, facts)


_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def check_svg(data: bytes, cw: Colorway | None, rules: PrintSettings,
              preset: str | None) -> tuple[list[Violation], dict[str, Any], float, tuple[str, ...]]:
    """Rules on a master SVG: inks (layers), stroke widths, colours, extent, live text."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        msg = f"not a well-formed SVG ({exc}); re-render it"
        raise TeeprintError(msg) from None
    ns = "{http://www.w3.org/2000/svg}"
    vb = [float(v) for v in _NUM.findall(root.get("viewBox", ""))] or [0, 0, 1080, 1296]
    w, h = vb[2], vb[3]
    scale = min_print_scale(w, h, preset)
    out: list[Violation] = []
    spots = [g.get("data-spot", "") for g in root.iter(f"{ns}g") if g.get("data-spot")]
    thin: list[float] = []
    colours: set[str] = set()
    xs_min, ys_min, xs_max, ys_max = math.inf, math.inf, -math.inf, -math.inf
    for el in root.iter(f"{ns}path"):
        for attr in ("fill", "stroke"):
            value = el.get(attr, "none")
            if value.startswith("#"):
                colours.add(value.lower())
        sw = el.get("stroke-width")
        if sw is not None and el.get("stroke", "none") != "none" and float(sw) * scale < rules.min_line_pt:
            thin.append(float(sw))
        nums = [float(v) for v in _NUM.findall(el.get("d", ""))]
        if len(nums) >= 2:
            half = float(sw) / 2 if sw else 0.0
            xs, ys = nums[0::2], nums[1::2]
            xs_min, xs_max = min(xs_min, min(xs) - half), max(xs_max, max(xs) + half)
            ys_min, ys_max = min(ys_min, min(ys) - half), max(ys_max, max(ys) + half)
    texts = list(root.iter(f"{ns}text"))
    if texts:
        out.append(Violation("outlined-type", "error",
                             f"the SVG has {len(texts)} live <text> element(s); type must be "
                             "outlined (it depends on installed fonts)"))
        sizes = []
        for t in texts:
            m = re.search(r"font-size\s*:\s*([\d.]+)", t.get("style", ""))
            size = t.get("font-size") or (m.group(1) if m else None)
            if size is not None and _NUM.match(size):
                sizes.append(float(_NUM.match(size).group(0)))  # type: ignore[union-attr]
        small = sorted(v for v in sizes if v * scale < rules.min_text_pt)
        if small:
            out.append(Violation("min-text", "error",
                                 f"{len(small)} text element(s) down to {small[0]:g} pt print under "
                                 f"the {rules.min_text_pt:g} pt minimum at {scale:.0%}", "",
                                 small[0] * scale, rules.min_text_pt))
    if thin:
        out.append(Violation("min-line", "error",
                             f"{len(thin)} stroke(s) down to {min(thin):g} pt print under the "
                             f"{rules.min_line_pt:g} pt minimum at {scale:.0%}", "",
                             min(thin) * scale, rules.min_line_pt))
    if xs_min < vb[0] - 0.01 or ys_min < vb[1] - 0.01 or xs_max > vb[0] + w + 0.01 \
            or ys_max > vb[1] + h + 0.01:
        out.append(Violation("print-area", "warning",
                             "path points (control points included) reach outside the artboard",
                             f"({xs_min:.0f}, {ys_min:.0f})-({xs_max:.0f}, {ys_max:.0f}) pt"))
    if not texts:
        out.append(Violation("min-text", "info", "type is outlined in this SVG and carries no "
                             "size: check the specimen (teeprint preflight SLUG) for type sizes"))
    if cw is not None:
        rgb = np.array([hex_rgb(c) for c in sorted(colours)], float).reshape(-1, 3)
        ok, _ = classify_colours(rgb, cw) if len(rgb) else (np.zeros(0, bool), None)
        stray = [c for c, good in zip(sorted(colours), ok.tolist(), strict=True) if not good]
        if stray:
            out.append(Violation("stray-colour", "error",
                                 f"{len(stray)} colour(s) are not an ink of {cw.id!r} or a tint: "
                                 f"{', '.join(stray[:EXAMPLES])}"))
        if len(spots) > cw.max_inks:
            out.append(Violation("max-inks", "error", f"{len(spots)} ink layers; colourway "
                                 f"{cw.id!r} allows {cw.max_inks}", "", len(spots), cw.max_inks))
    return out, {"ink_layers": spots, "colours": len(colours)}, scale, tuple(spots)


# -- separation PDFs --------------------------------------------------------------------------

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_TOKEN = re.compile(rb"/[^\s/\[\]<>()]*|<<|>>|\[|\]|<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)"
                    rb"|[-+]?(?:\d+\.?\d*|\.\d+)|[A-Za-z'\"*]+")
_PAINT = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PROCESS_OPS = {b"rg", b"RG", b"k", b"K", b"g", b"G"}


def _decode_stream(head: bytes, body: bytes) -> bytes:
    import base64
    import zlib

    m = re.search(rb"/Filter\s*(\[[^\]]*\]|/\w+)", head)
    for f in re.findall(rb"/(\w+)", m.group(1)) if m else []:
        if f in (b"ASCII85Decode", b"A85"):
            body = base64.a85decode(body.strip(), adobe=True)
        elif f in (b"FlateDecode", b"Fl"):
            body = zlib.decompress(body)
        else:
            msg = f"unsupported PDF filter {f.decode()}"
            raise ValueError(msg)
    return body


def pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Objects of an uncompressed-xref PDF (as teeprint writes them): dict text and stream."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for m in _OBJ.finditer(data):
        num, body = int(m.group(1)), m.group(2)
        k = body.find(b"stream")
        if k < 0 or not body.rstrip().endswith(b"endstream"):
            out[num] = (body, None)
            continue
        head = body[:k]
        start = k + len(b"stream")
        start += 2 if body[start:start + 2] == b"\r\n" else 1
        length = re.search(rb"/Length (\d+)", head)
        raw = body[start:start + int(length.group(1))] if length else body[start:body.rfind(b"endstream")]
        try:
            out[num] = (head, _decode_stream(head, raw))
        except Exception:
            out[num] = (head, b"")
    return out


def _mul(a: Sequence[float], b: Sequence[float]) -> list[float]:
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def check_pdf(data: bytes, cw: Colorway | None, rules: PrintSettings,
              preset: str | None) -> tuple[list[Violation], dict[str, Any], float, tuple[str, ...]]:
    """Rules on a separation PDF written by teeprint.

    Reads the objects directly (teeprint's PDFs have a plain xref table), then runs the page's
    content through a small interpreter that tracks the transform, the fill/stroke
    separations, line widths and marked content (``/Artifact`` = printer's marks, ``/Span``
    with ``/TextPt`` = outlined type of that size).
    """
    if not data.startswith(b"%PDF"):
        msg = "not a PDF file"
        raise TeeprintError(msg)
    objs = pdf_objects(data)
    out: list[Violation] = []
    seps: list[str] = []
    for head, stream in objs.values():
        m = re.match(rb"\[\s*/Separation\s*/(\S+)", head.strip())
        if m and stream is None:
            seps.append(re.sub(rb"#([0-9A-Fa-f]{2})", lambda g: bytes([int(g.group(1), 16)]),
                               m.group(1)).decode("latin-1"))
    page = next((head for head, s in objs.values() if re.search(rb"/Type\s*/Page\b", head)), b"")
    trim = re.search(rb"/TrimBox\s*\[\s*([-\d.\s]+)\]", page)
    box = [float(v) for v in trim.group(1).split()] if trim else []
    if len(box) != 4:
        out.append(Violation("trim-box", "error", "the page has no TrimBox (the printer cannot "
                             "tell the print area)"))
        box = [0.0, 0.0, 1080.0, 1296.0]
    art_w, art_h = box[2] - box[0], box[3] - box[1]
    scale = min_print_scale(art_w, art_h, preset)
    if re.search(rb"/Font\s*<<\s*/", data) or re.search(rb"/Type\s*/Font\b", data):
        out.append(Violation("fonts", "error", "the PDF holds fonts; teeprint outlines all type "
                             "(an unembedded font prints in whatever the RIP substitutes)"))
    if re.search(rb"/(?:ca|CA)\s+0?\.\d", data) or b"/SMask" in data:
        out.append(Violation("transparency", "error", "the PDF uses transparency; screen "
                             "separations need opaque inks"))
    contents = [s for head, s in objs.values()
                if s is not None and b"/Subtype" not in head and b"/FunctionType" not in head]
    stats = _interpret(b"\n".join(contents), box)
    if stats["process"]:
        out.append(Violation("process-colour", "error",
                             f"{stats['process']} paint operation(s) in RGB/CMYK/grey instead of "
                             "an ink separation"))
    thin = [v for v in stats["widths"] if v * scale < rules.min_line_pt]
    if thin:
        out.append(Violation("min-line", "error",
                             f"{len(thin)} stroke(s) down to {min(thin):g} pt print under the "
                             f"{rules.min_line_pt:g} pt minimum at {scale:.0%}", "",
                             min(thin) * scale, rules.min_line_pt))
    small = sorted(v for v in stats["text_pt"] if v * scale < rules.min_text_pt)
    if small:
        out.append(Violation("min-text", "error",
                             f"{len(small)} line(s) of type down to {small[0]:g} pt print under "
                             f"the {rules.min_text_pt:g} pt minimum at {scale:.0%}", "",
                             small[0] * scale, rules.min_text_pt))
    if stats["outside"]:
        x0, y0, x1, y1 = stats["outside"]
        out.append(Violation("print-area", "error", "art is painted outside the TrimBox",
                             f"({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}) pt"))
    inks = [s for s in seps if s not in ("All", "None")]
    ub = cw.underbase.spot if cw is not None and cw.underbase is not None else "Underbase_White"
    top = [s for s in inks if s != ub]
    if cw is not None:
        if len(top) > cw.max_inks:
            out.append(Violation("max-inks", "error", f"{len(top)} ink separations; colourway "
                                 f"{cw.id!r} allows {cw.max_inks}", "", len(top), cw.max_inks))
        known = {i.spot for i in cw.inks} | {ub}
        odd = [s for s in inks if s not in known]
        if odd:
            out.append(Violation("stray-colour", "error",
                                 f"separation(s) {', '.join(odd)} are not inks of {cw.id!r}"))
    facts = {"separations": seps, "trim_box": [round(v, 2) for v in box],
             "text_runs": len(stats["text_pt"])}
    return out, facts, scale, tuple(inks)


def _interpret(content: bytes, trim: Sequence[float]) -> dict[str, Any]:
    """Walk a content stream: paints in process colour, stroke widths, type sizes, art extent."""
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[tuple[list[float], float, bool]] = []
    width = 1.0
    fill_sep = stroke_sep = True
    marked: list[bytes] = []
    operands: list[bytes] = []
    widths: set[float] = set()
    text_pt: list[float] = []
    process = 0
    ext = [math.inf, math.inf, -math.inf, -math.inf]
    pts: list[tuple[float, float]] = []
    for tok in _TOKEN.findall(content):
        c = tok[:1]
        if c in b"/<>[]()" or c.isdigit() or c in b"-+.":
            operands.append(tok)
            continue
        op = tok
        if op == b"q":
            stack.append((ctm[:], width, fill_sep))
        elif op == b"Q" and stack:
            ctm, width, fill_sep = stack.pop()
        elif op == b"cm" and len(operands) >= 6:
            ctm = _mul([float(v) for v in operands[-6:]], ctm)
        elif op == b"w" and operands:
            width = float(operands[-1])
        elif op in (b"cs", b"CS") and operands:
            is_sep = operands[-1] not in (b"/DeviceRGB", b"/DeviceCMYK", b"/DeviceGray")
            if op == b"cs":
                fill_sep = is_sep
            else:
                stroke_sep = is_sep
        elif op in _PROCESS_OPS:
            process += 1
        elif op in (b"BDC", b"BMC") and operands:
            tag = next((t for t in operands if t.startswith(b"/")), b"/")
            marked.append(tag)
            if tag == b"/Span":
                m = [i for i, t in enumerate(operands) if t == b"/TextPt"]
                if m and m[-1] + 1 < len(operands):
                    text_pt.append(float(operands[m[-1] + 1]))
        elif op == b"EMC" and marked:
            marked.pop()
        elif op in (b"m", b"l") and len(operands) >= 2:
            pts.append((float(operands[-2]), float(operands[-1])))
        elif op == b"c" and len(operands) >= 6:
            pts.append((float(operands[-2]), float(operands[-1])))
        elif op == b"re" and len(operands) >= 4:
            x, y, w, h = (float(v) for v in operands[-4:])
            pts += [(x, y), (x + w, y + h)]
        elif op in _PAINT or op == b"n" or op == b"Do":
            if op in (b"S", b"s") and b"/Artifact" not in marked:
                widths.add(round(width * math.hypot(ctm[0], ctm[1]), 3))
            if op in (b"S", b"s", b"B", b"B*", b"b", b"b*") and not stroke_sep:
                process += 1
            if op in (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*") and not fill_sep:
                process += 1
            if op == b"Do":
                pts += [(0.0, 0.0), (1.0, 1.0)]
            if op != b"n" and b"/Artifact" not in marked:
                for x, y in pts:
                    px = ctm[0] * x + ctm[2] * y + ctm[4]
                    py = ctm[1] * x + ctm[3] * y + ctm[5]
                    ext = [min(ext[0], px), min(ext[1], py), max(ext[2], px), max(ext[3], py)]
            pts = []
        operands = []
    outside = None
    tol = 0.5
    if ext[0] < trim[0] - tol or ext[1] < trim[1] - tol or ext[2] > trim[2] + tol \
            or ext[3] > trim[3] + tol:
        outside = tuple(ext)
    return {"process": process, "widths": sorted(widths), "text_pt": text_pt, "outside": outside}


# -- the render stage ---------------------------------------------------------------------------


def preflight_stage(plate: Plate, colorway: Colorway, options: dict[str, Any]) -> list[Output]:
    """The ``preflight`` stage: the report of a specimen in a colourway, as JSON."""
    catalog: Catalog | None = options.get("catalog")
    rules = catalog.settings.print if catalog is not None else PrintSettings()
    preset = options.get("preset") or "15x18"
    png = next((o for o in options.get("outputs", ()) if o.kind == "print-png"
                and o.colorway == colorway.id), None)
    report = check_plate(plate, colorway, rules, print_png=png.data if png else None,
                         png_preset=preset, lpi=options.get("lpi"),
                         png_pixels=png.pixels if png else None)
    name = file_stem(plate.spec.slug, colorway.id, "preflight") + ".json"
    return [Output(name, "preflight", report.to_json().encode(), colorway.id,
                   extra={"ok": report.ok, "errors": len(report.errors),
                          "screens": len(report.screens)})]


EXTRA_STAGES["preflight"] = preflight_stage
#: Preflight reads the print PNG as written, so it runs once that is made.
STAGE_NEEDS["preflight"] = ("print-png",)


def rich_report(report: Report) -> Any:
    """A readable rendering of a report for the terminal (a rich renderable; the CLI prints it)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append("PASS " if report.ok else "FAIL ", style="bold green" if report.ok else "bold red")
    head.append(report.subject, style="bold")
    if report.colorway:
        head.append(f" / {report.colorway}")
    head.append(f"  (checked at {report.scale:.0%} print scale; {len(report.errors)} error(s), "
                f"{sum(v.severity == 'warning' for v in report.violations)} warning(s))")
    parts: list[Any] = [head]
    if report.violations:
        table = Table(show_header=True, header_style="bold", expand=False, box=None, padding=(0, 1))
        for col in ("", "rule", "problem", "where"):
            table.add_column(col, overflow="fold")
        style = {"error": "red", "warning": "yellow", "info": "dim"}
        for v in report.violations:
            table.add_row(Text(v.severity.upper(), style=style[v.severity]), v.rule, v.message,
                          v.where)
        parts.append(table)
    if report.screens:
        parts.append(Text(f"  screens: {len(report.screens)} ({' + '.join(report.screens)}) "
                          f"x {report.screen_fee:.2f} {report.currency} = "
                          f"{report.setup_cost:.2f} {report.currency} setup"))
    return Group(*parts)
