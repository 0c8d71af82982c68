"""The lookbook: a PDF catalogue of the archive, for wholesale buyers, fairs and the shop's own
reference -- a cover, an index by family with page numbers, then one page a specimen (the plate,
caption, reference and provenance).

Written with reportlab (``invariant=1``, fixed metadata) so the same archive gives the same bytes.
Every font is embedded: the plates' own families from the installed ``fontpkg`` packages, cut
and registered by :mod:`teeprint.storefront.lookbook_fonts`.  A face that lacks a character
(the monospace has no Greek, the display capitals no β) hands it to the first face that has
it, as the plates' typesetter does, so no box ever prints; the PDF has an outline (family, then
plate) and its index rows are links to the plates' pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teeprint.storefront.lookbook_fonts import Fonts, register_fonts

if TYPE_CHECKING:
    from teeprint.catalog import Catalog
    from teeprint.storefront.products import Product

__all__ = ["Fonts", "missing_glyphs", "paginate_index", "register_fonts", "render", "write"]

PAGE_W_PT, PAGE_H_PT = 595.28, 841.89  # A4
MARGIN_PT = 54.0
PAPER = "#f1e9da"

@dataclass(frozen=True)
class Styles:
    """Paragraph styles of the lookbook, in the shop's faces."""

    body: Any
    small: Any
    mono: Any


def _styles(fonts: Fonts, ink: str) -> Styles:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    colour = HexColor(ink)
    body = ParagraphStyle("body", fontName=fonts["serif"], fontSize=11.5, leading=15.5, textColor=colour)
    small = ParagraphStyle("small", parent=body, fontSize=10, leading=13.5)
    mono = ParagraphStyle("mono", fontName=fonts["mono"], fontSize=7.6, leading=10.5, textColor=colour)
    return Styles(body, small, mono)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _paper(c: Any, ink: str) -> None:
    """Ecru ground and the double-ruled frame every page shares."""
    from reportlab.lib.colors import HexColor

    c.setFillColor(HexColor(PAPER))
    c.rect(0, 0, PAGE_W_PT, PAGE_H_PT, stroke=0, fill=1)
    c.setStrokeColor(HexColor(ink))
    c.setLineWidth(0.9)
    c.rect(22, 22, PAGE_W_PT - 44, PAGE_H_PT - 44, stroke=1, fill=0)
    c.setLineWidth(0.35)
    c.rect(27, 27, PAGE_W_PT - 54, PAGE_H_PT - 54, stroke=1, fill=0)


def _lozenge(c: Any, x: float, y: float, r: float, accent: str) -> None:
    from reportlab.lib.colors import HexColor

    c.setFillColor(HexColor(accent))
    p = c.beginPath()
    p.moveTo(x, y + r)
    p.lineTo(x + r, y)
    p.lineTo(x, y - r)
    p.lineTo(x - r, y)
    p.close()
    c.drawPath(p, stroke=0, fill=1)


def _tracked(c: Any, text: str, fonts: Fonts, role: str, size: float, y: float,
             tracking_em: float) -> None:
    """A centred line of letter-spaced capitals."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    gap = size * tracking_em
    chars = [(name, ch) for name, run in fonts.runs(text, role) for ch in run]
    width = sum(stringWidth(ch, name, size) for name, ch in chars) + gap * (len(chars) - 1)
    x = (PAGE_W_PT - width) / 2
    for name, ch in chars:
        c.setFont(name, size)
        c.drawString(x, y, ch)
        x += stringWidth(ch, name, size) + gap


def _width(text: str, fonts: Fonts, role: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, name, size) for name, run in fonts.runs(text, role))


def _draw(c: Any, x: float, y: float, text: str, fonts: Fonts, role: str, size: float,
          align: str = "left") -> None:
    """One line in a face, characters it lacks set in the fallback faces."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if align != "left":
        w = _width(text, fonts, role, size)
        x -= w / 2 if align == "centre" else w
    for name, run in fonts.runs(text, role):
        c.setFont(name, size)
        c.drawString(x, y, run)
        x += stringWidth(run, name, size)


def _markup(text: str, fonts: Fonts, role: str) -> str:
    """Paragraph markup for ``text`` (escaped) with fallback runs in their own faces."""
    out = []
    for name, run in fonts.runs(text, role):
        esc = _esc(run)
        out.append(esc if name == fonts[role] else f'<font face="{name}">{esc}</font>')
    return "".join(out)


def _index_lines(products: Sequence[Product], first_page: int,
                 wrap: Callable[[str], list[str]] | None = None) -> list[IndexRow]:
    """(kind, left, right, page) rows: family headings with the family's statement (wrapped
    by ``wrap`` into note rows), then plates with their page number."""
    from teeprint.catalog import FAMILIES, FAMILY_STATEMENTS, roman

    rows: list[IndexRow] = []
    pages = {p.spec.slug: first_page + i for i, p in enumerate(products)}
    for fam, fam_name in FAMILIES.items():
        members = [p for p in products if p.spec.family == fam]
        if not members:
            continue
        rows.append(("family", fam_name, "", 0))
        if wrap is not None:
            rows += [("note", line, "", 0) for line in wrap(FAMILY_STATEMENTS[fam])]
        for p in members:
            rows.append(("plate", f"{roman(p.spec.plate)}", f"{p.spec.name} · {p.spec.latin_title}",
                         pages[p.spec.slug]))
    return rows


#: Index layout: first baseline, lowest baseline, and the height of each kind of row.
INDEX_TOP_PT = PAGE_H_PT - 118
INDEX_BOTTOM_PT = 62.0
FAMILY_ROW_PT = 23.0
PLATE_ROW_PT = 15.5
NOTE_ROW_PT = 11.5
NOTE_PT = 8.6

IndexRow = tuple[str, str, str, int]


def paginate_index(rows: Sequence[IndexRow]) -> list[list[IndexRow]]:
    """Split index rows into pages that fit above the folio; a family cut by a page break
    is headed again ("... (cont.)"), and a heading never ends a page."""
    pages: list[list[IndexRow]] = [[]]
    y = INDEX_TOP_PT
    family = ""
    height = {"family": FAMILY_ROW_PT, "plate": PLATE_ROW_PT, "note": NOTE_ROW_PT}
    for i, row in enumerate(rows):
        kind = row[0]
        need = height[kind]
        if kind == "family":
            family = row[1]
            # A heading keeps its statement and first plate on its page.
            j = i + 1
            while j < len(rows) and rows[j][0] == "note":
                need += NOTE_ROW_PT
                j += 1
            need += PLATE_ROW_PT
        if y - need < INDEX_BOTTOM_PT and pages[-1] and kind != "note":
            pages.append([])
            y = INDEX_TOP_PT
            if kind == "plate":
                pages[-1].append(("family", f"{family} (cont.)", "", 0))
                y -= FAMILY_ROW_PT
        pages[-1].append(row)
        y -= height[kind]
    return pages


def _order(products: Sequence[Product]) -> list[Product]:
    """Specimen pages follow the index: by family in catalogue order, then plate number."""
    from teeprint.catalog import FAMILIES

    fam_pos = {f: i for i, f in enumerate(FAMILIES)}
    return sorted(products, key=lambda p: (fam_pos[p.spec.family], p.spec.plate))


def _texts(catalog: Catalog, products: Sequence[Product]) -> list[str]:
    """Every text the lookbook sets."""
    from teeprint.catalog import FAMILIES

    shop = catalog.settings.shop
    texts = [shop.brand, shop.wordmark, shop.wordmark_tagline, *FAMILIES.values(),
             *(f.upper() for f in FAMILIES.values())]
    for p in products:
        s = p.spec
        texts += [s.name, s.latin_title, s.latin_title.upper(), s.motto, s.caption, s.method,
                  s.reference.authors, s.reference.title, s.reference.venue, s.recipe.name,
                  s.motif.name]
    return texts


def missing_glyphs(catalog: Catalog, products: Sequence[Product]) -> set[str]:
    """Characters of the lookbook's texts that none of the shop's faces has."""
    texts = _texts(catalog, products)
    return register_fonts(catalog, "".join(texts)).missing("".join(texts))


def render(catalog: Catalog, products: Sequence[Product]) -> bytes:
    """The lookbook PDF as bytes.

    JPEG plates go in as DCT streams; reportlab's default ASCII85 wrapping of them is slow pure
    Python and makes the file a quarter larger, so it is switched off while drawing.
    """
    from reportlab import rl_config

    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        return _render(catalog, products)
    finally:
        rl_config.useA85 = saved


def _render(catalog: Catalog, products: Sequence[Product]) -> bytes:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph

    from teeprint.catalog import FAMILIES, roman
    from teeprint.storefront.images import plate_view_jpeg

    light = [cw for cw in catalog.colorways() if not cw.dark]
    ink = light[0].ink_for("ink").hex if light else "#231e1b"
    accent = light[0].ink_for("accent").hex if light else "#b8391f"
    shop = catalog.settings.shop
    fonts = register_fonts(catalog, "".join(_texts(catalog, products)))
    st = _styles(fonts, ink)
    ordered = _order(products)
    from reportlab.lib.utils import simpleSplit

    def wrap(text: str) -> list[str]:
        lines: list[str] = simpleSplit(text, fonts["serif-italic"], NOTE_PT, PAGE_W_PT - 2 * MARGIN_PT)
        return lines

    index_pages = len(paginate_index(_index_lines(ordered, 0, wrap)))
    first_plate_page = 2 + index_pages
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PAGE_W_PT, PAGE_H_PT), invariant=1, pageCompression=1,
                      initialFontName=fonts["serif"], initialFontSize=11)
    c.setTitle(f"{shop.brand}: Catalogus Speciminum")
    c.setAuthor(shop.brand)
    c.setSubject(shop.wordmark_tagline)
    c.setCreator("teeprint")
    c.setProducer("teeprint")

    # Cover.
    _paper(c, ink)
    c.bookmarkPage("cover")
    c.addOutlineEntry("Catalogus Speciminum", "cover", level=0)
    c.setFillColor(HexColor(ink))
    _tracked(c, shop.wordmark, fonts, "display", 15, PAGE_H_PT - 120, 0.35)
    _lozenge(c, PAGE_W_PT / 2, PAGE_H_PT - 142, 4, accent)
    c.setFillColor(HexColor(ink))
    _tracked(c, "CATALOGUS SPECIMINUM", fonts, "display", 26, PAGE_H_PT - 190, 0.08)
    _draw(c, PAGE_W_PT / 2, PAGE_H_PT - 216, shop.wordmark_tagline, fonts, "serif-italic", 14,
          "centre")
    hero = next((p.plate for p in ordered if p.plate is not None), None)
    if hero is not None:
        img_w, img_h = 270.0, 324.0
        view = plate_view_jpeg(hero.path, 900)
        c.drawImage(ImageReader(io.BytesIO(view)), (PAGE_W_PT - img_w) / 2, 190, img_w, img_h)
        c.setStrokeColor(HexColor(ink))
        c.setLineWidth(0.5)
        c.rect((PAGE_W_PT - img_w) / 2, 190, img_w, img_h, stroke=1, fill=0)
    c.setFillColor(HexColor(ink))
    fams = len({p.spec.family for p in ordered})
    _draw(c, PAGE_W_PT / 2, 150, f"{len(ordered)} {'plate' if len(ordered) == 1 else 'plates'} "
          f"in {fams} {'family' if fams == 1 else 'families'} of machine learning", fonts,
          "serif", 12, "centre")
    _draw(c, PAGE_W_PT / 2, 120, "Figures computed from the mathematics they depict; "
          "each plate states how it was made.", fonts, "mono", 8, "centre")
    c.showPage()

    # Index by family: every row links to its plate's page.
    c.bookmarkPage("index")
    c.addOutlineEntry("Index", "index", level=0)
    for page_no, page_rows in enumerate(paginate_index(_index_lines(ordered, first_plate_page, wrap))):
        _paper(c, ink)
        c.setFillColor(HexColor(accent))
        _tracked(c, "INDEX" if page_no == 0 else "INDEX (CONT.)", fonts, "display", 16,
                 PAGE_H_PT - 80, 0.25)
        y = INDEX_TOP_PT
        for kind, left, right, page in page_rows:
            c.setFillColor(HexColor(ink))
            if kind == "note":
                c.setFillColor(HexColor(ink))
                _draw(c, MARGIN_PT, y, left, fonts, "serif-italic", NOTE_PT)
                y -= NOTE_ROW_PT
                continue
            if kind == "family":
                y -= 6
                _draw(c, MARGIN_PT, y, left.upper(), fonts, "display", 10.5)
                c.setStrokeColor(HexColor(ink))
                c.setLineWidth(0.4)
                c.line(MARGIN_PT, y - 4, PAGE_W_PT - MARGIN_PT, y - 4)
                y -= FAMILY_ROW_PT - 6
                continue
            c.setFillColor(HexColor(accent))
            _draw(c, MARGIN_PT, y, left, fonts, "mono", 8.5)
            c.setFillColor(HexColor(ink))
            text = right
            limit = PAGE_W_PT - 2 * MARGIN_PT - 110
            while _width(text, fonts, "serif", 11) > limit and len(text) > 4:
                text = text[:-2].rstrip() + "…"
                text = text[:-1]
            text_w = _width(text, fonts, "serif", 11)
            _draw(c, MARGIN_PT + 48, y, text, fonts, "serif", 11)
            num = str(page)
            _draw(c, PAGE_W_PT - MARGIN_PT, y, num, fonts, "serif", 11, "right")
            dots_from = MARGIN_PT + 48 + text_w + 6
            dots_to = PAGE_W_PT - MARGIN_PT - _width(num, fonts, "serif", 11) - 6
            c.setFont(fonts["serif"], 9)
            x = dots_from
            while x < dots_to:
                c.drawString(x, y, ".")
                x += 5
            c.linkRect("", f"plate-{page}", (MARGIN_PT, y - 4, PAGE_W_PT - MARGIN_PT, y + 11),
                       relative=0, thickness=0)
            y -= PLATE_ROW_PT
        _draw(c, PAGE_W_PT / 2, 40, str(2 + page_no), fonts, "mono", 7.5, "centre")
        c.showPage()

    # One page per specimen, under its family in the outline.
    family_seen: set[str] = set()
    for n, p in enumerate(ordered):
        s = p.spec
        page = first_plate_page + n
        _paper(c, ink)
        key = f"plate-{page}"
        c.bookmarkPage(key)
        if s.family not in family_seen:
            family_seen.add(s.family)
            c.bookmarkPage(f"family-{s.family}")
            c.addOutlineEntry(FAMILIES[s.family], f"family-{s.family}", level=0, closed=True)
        c.addOutlineEntry(f"{roman(s.plate)}. {s.name}", key, level=1)
        c.setFillColor(HexColor(accent))
        _tracked(c, f"PLATE {roman(s.plate)}", fonts, "display", 11, PAGE_H_PT - 66, 0.3)
        c.setFillColor(HexColor(ink))
        title = s.latin_title.upper()
        title_size = 24.0
        while _width(title, fonts, "display", title_size) > PAGE_W_PT - 2 * MARGIN_PT and title_size > 12:
            title_size -= 1
        _tracked(c, title, fonts, "display", title_size, PAGE_H_PT - 96, 0.04)
        _draw(c, PAGE_W_PT / 2, PAGE_H_PT - 116, f"{s.name}  ·  {FAMILIES[s.family]}", fonts,
              "serif", 12.5, "centre")
        top = PAGE_H_PT - 132
        img_w, img_h = 320.0, 384.0
        if p.plate is not None:
            view = plate_view_jpeg(p.plate.path, 1000)
            c.drawImage(ImageReader(io.BytesIO(view)), (PAGE_W_PT - img_w) / 2, top - img_h, img_w, img_h)
            c.setStrokeColor(HexColor(ink))
            c.setLineWidth(0.5)
            c.rect((PAGE_W_PT - img_w) / 2, top - img_h, img_w, img_h, stroke=1, fill=0)
        y = top - img_h - 16
        width = PAGE_W_PT - 2 * MARGIN_PT
        ref = s.reference
        title_markup = ("<i>" + _markup(ref.title, fonts, "serif-italic") + "</i>. "
                        if ref.title else "")
        blocks = [
            (st.body, f"<i>“{_markup(s.motto, fonts, 'serif-italic')}”</i>"),
            (st.body, _markup(s.caption, fonts, "serif")),
            (st.small, f"<b>Reference.</b> {_markup(ref.authors, fonts, 'serif')} ({ref.year}). "
                       f"{title_markup}{_markup(ref.venue, fonts, 'serif')}."),
            (st.mono, _markup(f"PROVENANCE  recipe {s.recipe.name} · motif {s.motif.name} · "
                              f"seed {s.seed} · {s.honesty}: {s.method}", fonts, "mono")),
        ]
        for style, text in blocks:
            para = Paragraph(text, style)
            _, h = para.wrap(width, y - 60)
            para.drawOn(c, MARGIN_PT, y - h)
            y -= h + 8
        c.setFillColor(HexColor(ink))
        _draw(c, PAGE_W_PT / 2, 40, f"{shop.wordmark}  ·  {page}", fonts, "mono", 7.5, "centre")
        c.showPage()
    c.showOutline()
    c.save()
    return buf.getvalue()


def write(catalog: Catalog, products: Sequence[Product], path: Path) -> set[str]:
    """Write the lookbook to ``path`` atomically; return the characters no face could set."""
    from teeprint.export import atomic_write

    atomic_write(path, render(catalog, products))
    return missing_glyphs(catalog, products)
