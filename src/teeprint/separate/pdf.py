"""The spot-colour PDF: one ``/Separation`` colour space per plate, drawn with reportlab.

The canvas is built with ``enforceColorSpace='sep'``, so reportlab raises on any RGB or process
colour: every paint names an ink.  Geometry is the artwork's own M/L/C/Z path strings, replayed
as PDF path operators under a y-flipping matrix (the artwork's origin is top-left), so the PDF
is the same vector drawing as the SVG master.  Tints are separation densities.

Plates and overprint: everything is painted with overprint on, so each paint touches only its
own plate; where an upper ink knocks out a lower one, the lower ink is painted at density 0
under it first.  The underbase is vector paths in its own separation, drawn first (computed
by :mod:`teeprint.separate.underbase`; its film is rasterised from the same paths).  Marks go in the
``All`` separation; each plate's label and tint patches in that plate's separation, all of
them inside ``/Artifact`` marked content (printer's marks, not art).  Outlined type is marked
too (``/Span`` with its ``ActualText`` and set size), so the file can be preflighted on its own.

reportlab sets an initial Helvetica on every page even when no text is drawn, which leaves an
unembedded font in the file; the canvas subclass below writes the page preamble without it.
All type is outlined, so the PDF has no font at all.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from teeprint.artwork import PATH_TOKENS, Shape, fmt, ink_layers, merge
from teeprint.memo import per_plate_lru
from teeprint.raster import MITER_LIMIT
from teeprint.separate.plates import SepPlate

if TYPE_CHECKING:
    from teeprint.artwork import Artwork
    from teeprint.catalog import Colorway

_OPS = {"M": "m", "L": "l", "C": "c", "Z": "h"}
_CAPS = {"butt": 0, "round": 1, "square": 2}


@per_plate_lru(maxsize=16384)
def path_ops(d: str) -> str:
    """An M/L/C/Z path string as PDF path-construction operators (coordinates unchanged)."""
    return " ".join(f"{args.strip()} {_OPS[op]}" if args.strip() else _OPS[op]
                    for op, args in PATH_TOKENS.findall(d))


def _pdf_text_string(text: str) -> str:
    """A PDF text string in UTF-16BE hex, for ActualText."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class _Painter:
    """Paints shapes on a reportlab canvas in separation colours, skipping redundant state."""

    def __init__(self, canvas: Any, colours: dict[str, Any]) -> None:
        self.c = canvas
        self.colours = colours
        self._fill: tuple[str, float] | None = None
        self._stroke: tuple[str, float] | None = None
        self._width: float | None = None
        self._cap: str | None = None
        self._dash: tuple[float, ...] | None = None

    def _colour(self, name: str, density: float) -> Any:
        return self.colours[name].clone(density=round(density, 4))

    def paint(self, s: Shape, plate: str, density: float) -> None:
        """Fill or stroke a shape in one plate at a density."""
        c = self.c
        key = (plate, round(density, 4))
        if s.paint == "fill":
            if self._fill != key:
                c.setFillColor(self._colour(plate, density))
                self._fill = key
            c.addLiteral(path_ops(s.d) + " f")
            return
        if self._stroke != key:
            c.setStrokeColor(self._colour(plate, density))
            self._stroke = key
        if self._width != s.width_pt:
            c.setLineWidth(float(fmt(s.width_pt)))
            self._width = s.width_pt
        if self._cap != s.cap:
            c.setLineCap(_CAPS[s.cap])
            c.setLineJoin(1 if s.cap == "round" else 0)
            self._cap = s.cap
        if self._dash != s.dash_pt:
            c.setDash(list(s.dash_pt) or [], 0)
            self._dash = s.dash_pt
        c.addLiteral(path_ops(s.d) + " S")


def _canvas_class() -> Any:
    from reportlab.pdfgen.canvas import Canvas

    class SeparationCanvas(Canvas):
        """A canvas whose pages set no initial font (all type here is outlined)."""

        def _make_preamble(self) -> None:
            self._preamble = "1 0 0 1 0 0 cm"

    return SeparationCanvas


#: zlib-ng level for the page's path operators: as reportlab's own Flate at 6, three times
#: quicker than zlib at the same size.
PAGE_DEFLATE_LEVEL = 6


def _flate_stream(data: bytes, level: int) -> Any:
    """A reportlab stream whose content is already Flate-compressed (by zlib-ng); reportlab
    applies no filter of its own to a stream whose dictionary names one."""
    import imagecodecs
    from reportlab.pdfbase import pdfdoc

    # Any contiguous buffer will do (the stubs name only bytes types).
    stream = pdfdoc.PDFStream(content=bytes(imagecodecs.zlibng_encode(data, level=level)),
                              filters=[])
    stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    return stream


def separation_pdf(artwork: Artwork, colorway: Colorway, plates: Sequence[SepPlate],
                   underbase: Sequence[Shape] | None, marks: Sequence[Shape],
                   labels: Mapping[str, Sequence[Shape]], info: dict[str, str]) -> bytes:
    """Write the separated PDF; ``marks`` go on every plate, ``labels[plate]`` on its own.

    ``underbase`` holds the underbase's paths, lightest tint first, in artboard coordinates
    (required when ``plates`` has an underbase).  Marks and labels are in page coordinates
    (points, origin top-left).
    """
    from reportlab.lib.colors import CMYKColorSep

    from teeprint.separate.plates import Page

    page = Page(artwork.width_pt, artwork.height_pt)
    buf = io.BytesIO()
    canvas = _canvas_class()(
        buf, pagesize=(page.width_pt, page.height_pt), invariant=1, pageCompression=1,
        enforceColorSpace="sep", trimBox=page.trim_box(), bleedBox=page.bleed_box(),
        cropBox=(0, 0, page.width_pt, page.height_pt))
    canvas.setTitle(info.get("title", artwork.title))
    canvas.setAuthor(info.get("author", ""))
    canvas.setSubject(info.get("subject", ""))
    canvas.setCreator("teeprint")
    canvas.setKeywords(", ".join(p.name for p in plates))
    colours: dict[str, Any] = {p.name: CMYKColorSep(*p.cmyk, spotName=p.name) for p in plates}
    colours["All"] = CMYKColorSep(1, 1, 1, 1, spotName="All")
    painter = _Painter(canvas, colours)

    # Artwork, in artboard coordinates: origin at the trim's top-left, y down.
    canvas.saveState()
    canvas.transform(1, 0, 0, -1, page.slug_pt, page.slug_pt + page.art_h_pt)
    canvas.addLiteral(f"{fmt(MITER_LIMIT)} M")
    canvas.setFillOverprint(True)
    canvas.setStrokeOverprint(True)
    tops = [p for p in plates if not p.is_underbase]
    if plates and plates[0].is_underbase:
        if underbase is None:
            msg = "an underbase plate needs the underbase's paths"
            raise ValueError(msg)
        for s in underbase:
            painter.paint(s, plates[0].name, s.tint)
    by_ink = dict(ink_layers(artwork, colorway))
    for j, plate in enumerate(tops):
        lower = [] if plate.overprint else tops[:j]
        for s in merge(by_ink[plate.ink_id or ""]):
            if s.text_pt is not None:
                canvas.addLiteral(f"/Span <</ActualText {_pdf_text_string(s.label)} "
                                  f"/TextPt {fmt(s.text_pt)}>> BDC")
            for below in lower:
                painter.paint(s, below.name, 0.0)
            painter.paint(s, plate.name, s.tint)
            if s.text_pt is not None:
                canvas.addLiteral("EMC")
    canvas.restoreState()

    # Marks and labels, in page coordinates (origin top-left, y down).
    painter = _Painter(canvas, colours)
    canvas.saveState()
    canvas.transform(1, 0, 0, -1, 0, page.height_pt)
    canvas.setFillOverprint(True)
    canvas.setStrokeOverprint(True)
    canvas.addLiteral("/Artifact <</Type /Pagination>> BDC")
    for s in marks:
        painter.paint(s, "All", s.tint)
    for plate in plates:
        for s in labels.get(plate.name, ()):
            painter.paint(s, plate.name, s.tint)
    canvas.addLiteral("EMC")
    canvas.restoreState()
    canvas.showPage()
    # The page's operators (about 1 MB of paths) are compressed here rather than by reportlab,
    # which would use zlib (and, by default, wrap the stream in ASCII85 in pure Python).
    page = canvas._doc.Pages.pages[-1]
    page.Contents = _flate_stream(page.stream.encode("utf-8"), PAGE_DEFLATE_LEVEL)
    canvas.save()
    return buf.getvalue()
