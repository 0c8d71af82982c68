"""The museum-plate layout: frame, plate number, Latin title, figure panel, motto, caption,
provenance line and wordmark, set on the 15 x 18 in artboard.

:func:`compose` is pure: the same specimen, figure and settings give the same artwork.  It
paints with ink roles only; a colourway decides what they print as.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from teeprint.artwork import Artwork, Box, PathBuilder, Shape, fill, stroke
from teeprint.catalog import FAMILIES, Settings, Specimen, roman
from teeprint.motifs.style import HAIR_PT, THIN_PT
from teeprint.typeset import Face, Typesetter, caps

if TYPE_CHECKING:
    from teeprint.recipes import FigureData

#: The artboard: the 15 x 18 in DTG print area in points.
ARTBOARD_W_PT = 15 * 72.0
ARTBOARD_H_PT = 18 * 72.0

#: Where the figure goes on every plate (the motif engines draw into this box).
FIGURE_BOX = Box(78.0, 292.0, ARTBOARD_W_PT - 156.0, 690.0)

HONESTY_LABEL = {
    "computed": "FIGURA COMPUTATA",
    "closed-form": "FORMA CLAUSA",
    "hand-wired": "MANU CONTEXTA",
    "schematic": "SCHEMA TANTUM",
}
HONESTY_NOTE = {
    "computed": "computed",
    "closed-form": "closed form",
    "hand-wired": "hand-wired, not trained",
    "schematic": "schematic, not measured",
}


def _fit(ts: Typesetter, text: str, face: Face, size_pt: float, max_w: float,
         tracking_em: float = 0.0, min_pt: float = 11.0) -> float:
    """The largest size not above ``size_pt`` at which the line fits ``max_w``."""
    width = ts.measure(text, face, size_pt, tracking_em)
    if width <= max_w:
        return size_pt
    return max(min_pt, size_pt * max_w / width * 0.995)


def _diamond(cx: float, cy: float, r: float) -> PathBuilder:
    return PathBuilder().move(cx, cy - r).line(cx + r, cy).line(cx, cy + r).line(cx - r, cy).close()


def frame(w: float, h: float) -> list[Shape]:
    """Double-ruled plate frame with corner lozenges (accent)."""
    outer = PathBuilder().rect(26, 26, w - 52, h - 52)
    inner = PathBuilder().rect(38, 38, w - 76, h - 76)
    corners = PathBuilder()
    for cx, cy in ((32, 32), (w - 32, 32), (32, h - 32), (w - 32, h - 32)):
        corners.extend(_diamond(cx, cy, 9))
    return [stroke(outer, 3.0, cap="butt"), stroke(inner, HAIR_PT, cap="butt"), fill(corners, "accent")]


def compose(spec: Specimen, figure: list[Shape], data: FigureData, settings: Settings,
            ts: Typesetter) -> Artwork:
    """Lay out a specimen's plate around its drawn figure."""
    w, h = ARTBOARD_W_PT, ARTBOARD_H_PT
    cx = w / 2
    text_w = w - 160
    shapes: list[Shape] = frame(w, h)

    # Header: plate number, family, honesty seal.
    shapes.append(ts.line(f"PLATE {roman(spec.plate)}", "display", 21, 70, 92, tracking_em=0.18))
    family = FAMILIES[spec.family].upper()
    shapes.append(ts.line(family, "mono", 13, cx, 90, anchor="middle", tracking_em=0.08, tint=1.0))
    seal = HONESTY_LABEL[spec.honesty]
    seal_w = ts.measure(seal, "mono", 13, 0.14)
    shapes.append(ts.line(seal, "mono", 13, w - 80, 90, anchor="end", tracking_em=0.14, role="accent"))
    shapes.append(stroke(PathBuilder().rect(w - 80 - seal_w - 12, 70, seal_w + 24, 29), THIN_PT,
                         "accent", cap="butt"))
    shapes.append(stroke(PathBuilder().move(62, 116).line(w - 62, 116), HAIR_PT, cap="butt"))

    # Latin title and common name.
    title = caps(spec.latin_title)
    size = _fit(ts, title, "display", 64, text_w, 0.06)
    shapes.append(ts.line(title, "display", size, cx, 196, anchor="middle", tracking_em=0.06))
    shapes.append(ts.line(spec.name, "serif-italic", 32, cx, 244, anchor="middle"))
    rule = PathBuilder().move(cx - 150, 268).line(cx - 16, 268).move(cx + 16, 268).line(cx + 150, 268)
    shapes.append(stroke(rule, HAIR_PT, "accent", cap="butt"))
    shapes.append(fill(_diamond(cx, 268, 7), "accent"))

    # The figure.
    shapes.extend(figure)

    # Motto, caption, provenance.
    motto = f"“{spec.motto}”"
    size = _fit(ts, motto, "serif-italic", 30, text_w)
    shapes.append(ts.line(motto, "serif-italic", size, cx, 1034, anchor="middle", role="accent"))
    lines = ts.wrap(spec.caption, "serif", 20, 840)
    cap_size = 20.0 if len(lines) <= 3 else 17.0
    if cap_size != 20.0:
        lines = ts.wrap(spec.caption, "serif", cap_size, 880)
    for i, line in enumerate(lines[:4]):
        shapes.append(ts.line(line, "serif", cap_size, cx, 1072 + i * cap_size * 1.3, anchor="middle"))
    prov = data.provenance
    note = HONESTY_NOTE[spec.honesty]
    # A method that already says how the figure was made ("hand-wired mechanism, not trained")
    # is not prefixed with the same words again.
    said = note.split(",")[-1].strip().lower() in spec.method.lower()
    provenance = (f"SEED {prov.seed} · {caps(spec.reference.short())} · "
                  + (caps(spec.method) if said else f"{note.upper()}: {caps(spec.method)}"))
    size = _fit(ts, provenance, "mono", 12.5, text_w, 0.02, min_pt=11.0)
    prov_lines = [provenance] if ts.measure(provenance, "mono", size, 0.02) <= text_w else \
        ts.wrap(provenance, "mono", size, text_w)
    base_y = 1196 if len(prov_lines) == 1 else 1186
    for i, line in enumerate(prov_lines[:2]):
        shapes.append(ts.line(line, "mono", size, cx, base_y + i * 16, anchor="middle",
                              tracking_em=0.02))

    # Wordmark.
    shapes.append(stroke(PathBuilder().move(62, 1214).line(w - 62, 1214), HAIR_PT, cap="butt"))
    brand = settings.shop
    shapes.append(ts.line(caps(brand.wordmark), "display", 19, cx, 1246, anchor="middle",
                          tracking_em=0.32))
    shapes.append(ts.line(brand.wordmark_tagline, "serif-italic", 15, 70, 1243))
    shapes.append(ts.line(f"N° {spec.plate:03d}", "mono", 13, w - 70, 1242, anchor="end",
                          tracking_em=0.1))
    meta = (("specimen", spec.slug), ("seed", str(prov.seed)), ("recipe", prov.recipe),
            ("reference", spec.reference.short()), ("honesty", spec.honesty),
            ("command", f"teeprint render {spec.slug} --seed {prov.seed}"))
    return Artwork(w, h, tuple(shapes), title=f"Plate {roman(spec.plate)}: {spec.name}", metadata=meta)
