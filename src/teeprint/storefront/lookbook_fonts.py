"""The lookbook's faces: the shop's fonts as static TrueType subsets registered with reportlab.

reportlab can embed only static TrueType, and EB Garamond and Cinzel ship as variable fonts, so
a static instance at the plates' weights is cut in memory with fontTools' ``varLib.instancer``.
A face that lacks a character hands it to the first face that has it (:class:`Fonts`), and
every embedded subset gets a tag of its own (ISO 32000-1, 9.6.4).
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from teeprint.catalog import Catalog

#: reportlab font names by face role, with the weight each is instanced at (as on the plates).
FACES: dict[str, tuple[str, float]] = {
    "display": ("Lookbook-Display", 500.0),
    "serif": ("Lookbook-Serif", 420.0),
    "serif-italic": ("Lookbook-Serif-Italic", 420.0),
    "mono": ("Lookbook-Mono", 450.0),
}


#: Characters every lookbook may set, beyond those of the texts themselves.
BASE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0xA0, 0x180)) + "‘’“”–—…·•◆‹›"


@lru_cache(maxsize=16)
def static_ttf(path: str, weight: float, chars: str) -> bytes:
    """A static TrueType instance of a font file, cut to ``chars``.

    Cutting first (and dropping the layout tables reportlab does not use) makes instancing a
    variable font take a fraction of a second instead of many; a variable font is then pinned
    at ``weight``.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = TTFont(path, lazy=True)
    for tag in ("GSUB", "GPOS", "GDEF", "STAT", "meta"):  # never decompiled: reportlab does not shape
        if tag in font:
            del font[tag]
    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "STAT", "MVAR", "HVAR", "meta"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted({ord(ch) for ch in chars}))
    sub.subset(font)
    if "fvar" in font:
        axes = {a.axisTag: a for a in font["fvar"].axes}
        pins = {tag: min(max(weight, a.minValue), a.maxValue) if tag == "wght" else a.defaultValue
                for tag, a in axes.items()}
        font = instancer.instantiateVariableFont(font, pins)
    font.recalcTimestamp = False  # keep head.modified: the same fonts give the same PDF bytes
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


#: Faces tried, in order, for a character the asked face lacks.
FALLBACK_ORDER = ("serif", "serif-italic", "display", "mono")


@dataclass(frozen=True)
class Fonts:
    """The registered faces: role -> reportlab font name, and each face's characters."""

    names: dict[str, str]
    covers: dict[str, frozenset[int]]

    def __getitem__(self, role: str) -> str:
        return self.names[role]

    def runs(self, text: str, role: str) -> list[tuple[str, str]]:
        """``text`` as (font name, substring) runs: the role's face where it has the
        character, else the first face of :data:`FALLBACK_ORDER` that has it (else the role's
        face, and :func:`missing` reports the character)."""
        out: list[tuple[str, str]] = []
        for ch in text:
            face = role
            if ord(ch) not in self.covers[role] and not ch.isspace():
                face = next((f for f in FALLBACK_ORDER if ord(ch) in self.covers[f]), role)
            name = self.names[face]
            if out and out[-1][0] == name:
                out[-1] = (name, out[-1][1] + ch)
            else:
                out.append((name, ch))
        return out

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` that no face has."""
        return {ch for ch in text if not ch.isspace()
                and not any(ord(ch) in c for c in self.covers.values())}


def register_fonts(catalog: Catalog, chars: str = BASE_CHARS) -> Fonts:
    """Register the shop's faces, cut to ``chars``, with reportlab.

    The font names carry a hash of the cut, so a lookbook with other texts never reuses a
    registration that lacks its characters.
    """
    from fontTools.ttLib import TTFont as FTFont
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics

    from teeprint.typeset import Face, resolve_face

    cut = "".join(sorted(set(chars + BASE_CHARS)))
    tag = hashlib.sha256(cut.encode()).hexdigest()[:8]
    names: dict[str, str] = {}
    covers: dict[str, frozenset[int]] = {}
    for face, (base_name, weight) in FACES.items():
        role: Face = face  # type: ignore[assignment]
        src = resolve_face(role, catalog.settings.fonts, catalog.fonts_dir).path
        name = f"{base_name}-{tag}"
        data = static_ttf(str(src), weight, cut)
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(_tagged_font_class()(name, io.BytesIO(data)))
        names[face] = name
        covers[face] = frozenset(FTFont(io.BytesIO(data), lazy=True).getBestCmap())
    addMapping(names["serif"], 0, 0, names["serif"])
    addMapping(names["serif"], 0, 1, names["serif-italic"])
    addMapping(names["serif"], 1, 0, names["serif"])
    addMapping(names["serif"], 1, 1, names["serif-italic"])
    return Fonts(names, covers)


def subset_tag(font_name: str, n: int) -> bytes:
    """Six capital letters naming subset ``n`` of a font, different for every font and subset
    (reportlab names every font's first subset ``AAAAAA``)."""
    digest = hashlib.sha256(f"{font_name}/{n}".encode()).digest()
    return bytes(65 + b % 26 for b in digest[:6])


_TAG_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _tagged_font_class() -> type:
    from reportlab.pdfbase import ttfonts

    class TaggedTTFont(ttfonts.TTFont):
        """reportlab's TrueType font, its subsets named with :func:`subset_tag`."""

        def addObjects(self, doc: Any) -> None:  # noqa: N802 - reportlab's method name
            with _TAG_LOCK:
                saved = ttfonts.SUBSETN
                ttfonts.SUBSETN = lambda n, _name=self.fontName: subset_tag(_name, n)
                try:
                    super().addObjects(doc)
                finally:
                    ttfonts.SUBSETN = saved

    return TaggedTTFont
