"""Shape text with HarfBuzz and outline it to path geometry.

Type on a plate is geometry: every string is shaped (kerning, ligatures) with uharfbuzz and each
glyph's outline is drawn into a :class:`~teeprint.artwork.PathBuilder`, so no output depends on
installed fonts and the SVG holds no ``<text>``.  Variable fonts (EB Garamond and Cinzel ship as
``[wght]`` fonts) are used through HarfBuzz's variation support, no static instance needed.

Faces are named by role -- ``display`` (Latin titles, capitals), ``serif``, ``serif-italic``,
``mono`` -- and resolved from the shop settings: a ``fontpkg`` family installed from PyPI, or a
font file placed in the shop's ``fonts/`` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from teeprint.artwork import PathBuilder, Shape, fill, format_points
from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import FontsConfig

Face = Literal["display", "serif", "serif-italic", "mono"]

def caps(text: str) -> str:
    """Text in capitals without changing a letter's meaning.

    Latin words are upper-cased; Greek and every other script stay as written (``str.upper``
    turns η into Η and β into Β, which read as the Latin H and B and misstate a setting:
    "Η = 0.038"); a lone Latin letter is a mathematical symbol and keeps its case, so
    "N = n", "σ(x)" and "p/n" survive (the article in "a rolled sheet" is a word, and so is
    the s of "feature's").
    """
    out = []
    words = _WORDS.findall(text)
    for i, word in enumerate(words):
        article = (word == "a" and i + 2 < len(words) and words[i + 1] == " "
                   and len(words[i + 2]) > 1 and words[i + 2].isalpha())
        # the s of "feature's", the t of "don't": part of the word before the apostrophe
        clitic = (i >= 2 and words[i - 1] in ("'", "\u2019") and len(words[i - 2]) > 1
                  and words[i - 2].isalpha())
        if not word[0].isalpha() or (len(word) == 1 and word.isascii() and not article
                                     and not clitic):
            out.append(word)
            continue
        out.append("".join(ch if _greek(ch.upper()) else ch.upper() for ch in word))
    return "".join(out)


_WORDS = re.compile(r"[^\W\d_]+|[\W\d_]+")


def _greek(s: str) -> bool:
    return any("\u0370" <= u <= "\u03ff" or "\u1f00" <= u <= "\u1fff" for u in s)

Anchor = Literal["start", "middle", "end"]
FONT_SUFFIXES = (".ttf", ".otf")


@dataclass(frozen=True)
class FontSource:
    """A font file plus the variation coordinates (e.g. ``wght``) to set it with."""

    path: Path
    variations: tuple[tuple[str, float], ...] = ()


def _fontpkg_file(family: str, italic: bool, weight: int) -> Path:
    import fontpkg

    try:
        fam = fontpkg.family(family)
    except Exception:
        msg = (f"font family {family!r} is not installed; `pip install fontpkg-"
               f"{fontpkg.slugify(family)}` or put a .ttf/.otf named after it in fonts/")
        raise TeeprintError(msg) from None
    style = "italic" if italic else "normal"
    try:
        return Path(fontpkg.select_file(fam, weight, style, True).path)
    except Exception:
        return Path(fontpkg.select_file(fam, weight, "normal", True).path)


def resolve_face(face: Face, fonts: FontsConfig, fonts_dir: Path | None) -> FontSource:
    """Find the file for a face: a file in ``fonts/`` wins over an installed family."""
    family = {"display": fonts.display, "serif": fonts.serif, "serif-italic": fonts.serif,
              "mono": fonts.mono}[face]
    italic = face == "serif-italic"
    weight = {"display": 500, "serif": 420, "serif-italic": 420, "mono": 450}[face]
    if fonts_dir is not None and fonts_dir.is_dir():
        stem = family.replace(" ", "")
        wanted = [f"{face}{s}" for s in FONT_SUFFIXES] + [f"{stem}{s}" for s in FONT_SUFFIXES]
        if italic:
            wanted = [f"{stem}-Italic{s}" for s in FONT_SUFFIXES] + wanted[:2]
        for name in wanted:
            candidate = fonts_dir / name
            if candidate.is_file():
                return FontSource(candidate, (("wght", float(weight)),))
    return FontSource(_fontpkg_file(family, italic, weight), (("wght", float(weight)),))


class _Recorder:
    """A fontTools-style pen that records glyph outlines in font units."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, tuple[float, ...]]] = []

    def moveTo(self, p: tuple[float, float]) -> None:  # noqa: N802 - pen protocol
        self.ops.append(("M", p))

    def lineTo(self, p: tuple[float, float]) -> None:  # noqa: N802
        self.ops.append(("L", p))

    def curveTo(self, *pts: tuple[float, float]) -> None:  # noqa: N802
        self.ops.append(("C", tuple(v for p in pts for v in p)))

    def qCurveTo(self, *pts: tuple[float, float]) -> None:  # noqa: N802
        # Several off-curve points imply on-curve midpoints (TrueType convention).
        pts_list = list(pts)
        for i in range(len(pts_list) - 1):
            q = pts_list[i]
            end = pts_list[i + 1] if i == len(pts_list) - 2 else (
                (q[0] + pts_list[i + 1][0]) / 2, (q[1] + pts_list[i + 1][1]) / 2)
            self.ops.append(("Q", (*q, *end)))

    def closePath(self) -> None:  # noqa: N802
        self.ops.append(("Z", ()))

    def endPath(self) -> None:  # noqa: N802
        pass


class Typeface:
    """One font at one set of variation coordinates, with cached glyph outlines."""

    def __init__(self, source: FontSource) -> None:
        import uharfbuzz as hb

        try:
            data = source.path.read_bytes()
        except OSError as exc:
            msg = f"{source.path}: cannot read font ({exc.strerror})"
            raise TeeprintError(msg) from None
        self._hb = hb
        face = hb.Face(data)
        self.upem = face.upem
        self.font = hb.Font(face)
        if source.variations:
            axes = {a.tag for a in face.axis_infos} if hasattr(face, "axis_infos") else set()
            usable = {k: v for k, v in source.variations if k in axes}
            if usable:
                self.font.set_variations(usable)
        self._outlines: dict[int, list[tuple[str, tuple[float, ...]]]] = {}
        self._templates: dict[int, tuple[tuple[str, ...], Any]] = {}
        self._layouts: dict[int, str] = {}
        self.name = source.path.stem

    def outline(self, gid: int) -> list[tuple[str, tuple[float, ...]]]:
        """The glyph's outline in font units (y up), cached."""
        ops = self._outlines.get(gid)
        if ops is None:
            pen = _Recorder()
            self.font.draw_glyph_with_pen(gid, pen)
            ops = pen.ops
            self._outlines[gid] = ops
        return ops

    def template(self, gid: int) -> tuple[tuple[str, ...], Any]:
        """The glyph as (ops, points): M/L/C/Z ops and an (n, 2) array in font units, y up.

        Quadratic segments are raised to cubics here, once per glyph, so that placing a glyph is
        one affine map of an array.
        """
        cached = self._templates.get(gid)
        if cached is not None:
            return cached
        import numpy as np

        ops: list[str] = []
        pts: list[tuple[float, float]] = []
        cur = (0.0, 0.0)
        for op, vals in self.outline(gid):
            if op in ("M", "L"):
                cur = (vals[0], vals[1])
                ops.append(op)
                pts.append(cur)
            elif op == "C":
                ops.append("C")
                pts.extend([(vals[0], vals[1]), (vals[2], vals[3]), (vals[4], vals[5])])
                cur = (vals[4], vals[5])
            elif op == "Q":
                qx, qy, x, y = vals
                ops.append("C")
                pts.extend([(cur[0] + 2 / 3 * (qx - cur[0]), cur[1] + 2 / 3 * (qy - cur[1])),
                            (x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y)), (x, y)])
                cur = (x, y)
            else:
                ops.append("Z")
        result = (tuple(ops), np.asarray(pts, float).reshape(-1, 2))
        self._templates[gid] = result
        return result

    def layout(self, gid: int) -> str:
        """The glyph's path with a ``%.2f`` slot for each number of its :meth:`template`
        (see :func:`format_points`), cached."""
        cached = self._layouts.get(gid)
        if cached is None:
            slots = {"M": "M%.2f %.2f", "L": "L%.2f %.2f", "Z": "Z",
                     "C": "C%.2f %.2f %.2f %.2f %.2f %.2f"}
            cached = "".join(slots[op] for op in self.template(gid)[0])
            self._layouts[gid] = cached
        return cached

    def covers(self, char: str) -> bool:
        """True when the font has a glyph for the character."""
        return self.font.get_nominal_glyph(ord(char)) is not None

    def shape(self, text: str, features: dict[str, Any] | None = None) -> list[tuple[int, float, float, float]]:
        """Shape a string: (glyph id, x advance, x offset, y offset) in font units."""
        hb = self._hb
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(self.font, buf, features or {"kern": True, "liga": True})
        return [(info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset)
                for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)]


@lru_cache(maxsize=32)
def _typeface(source: FontSource) -> Typeface:
    return Typeface(source)


@lru_cache(maxsize=64)
def _face(face: Face, fonts: FontsConfig, fonts_dir: Path | None) -> Typeface:
    return _typeface(resolve_face(face, fonts, fonts_dir))


class Typesetter:
    """Sets strings in the shop's faces and returns filled, outlined shapes."""

    def __init__(self, fonts: FontsConfig, fonts_dir: Path | None = None) -> None:
        #: Characters asked for that neither a face nor its fallback has (set as boxes).
        self.missing: set[str] = set()
        self._fonts = fonts
        self._fonts_dir = fonts_dir

    def face(self, face: Face) -> Typeface:
        """The typeface for a face role (resolved once per process and configuration: a batch
        worker finds and loads the shop's fonts once, not once per plate)."""
        return _face(face, self._fonts, self._fonts_dir)

    def _runs(self, text: str, face: Face) -> list[tuple[Typeface, str]]:
        """Split text into runs of the face and of a fallback face for characters it lacks.

        A monospace face often lacks Greek (the λ of a label), so such characters are set in
        the serif instead of printing a missing-glyph box.
        """
        primary = self.face(face)
        fallback_face: Face = "serif" if face != "serif" else "mono"
        runs: list[tuple[Typeface, str]] = []
        for ch in text:
            tf = primary if (ch.isspace() or primary.covers(ch)) else self.face(fallback_face)
            if tf is not primary and not tf.covers(ch):
                self.missing.add(ch)  # would print as an empty box; verify reports it
            if runs and runs[-1][0] is tf:
                runs[-1] = (tf, runs[-1][1] + ch)
            else:
                runs.append((tf, ch))
        return runs

    def _glyphs(self, text: str, face: Face, size_pt: float) -> list[tuple[Typeface, int, float, float, float]]:
        """Shaped glyphs across fallback runs, with advances and offsets in points."""
        out: list[tuple[Typeface, int, float, float, float]] = []
        for tf, run in self._runs(text, face):
            scale = size_pt / tf.upem
            out.extend((tf, gid, adv * scale, dx * scale, dy * scale) for gid, adv, dx, dy in tf.shape(run))
        return out

    def measure(self, text: str, face: Face, size_pt: float, tracking_em: float = 0.0) -> float:
        """The advance width of a string in points."""
        glyphs = self._glyphs(text, face, size_pt)
        return sum(g[2] for g in glyphs) + tracking_em * size_pt * max(len(glyphs) - 1, 0)

    def line(self, text: str, face: Face, size_pt: float, x: float, y: float, *,
             anchor: Anchor = "start", tracking_em: float = 0.0, role: str = "ink",
             tint: float = 1.0, label: str = "") -> Shape:
        """Set one line with its baseline at ``y``; ``x`` is the start, middle or end point."""
        glyphs = self._glyphs(text, face, size_pt)
        track = tracking_em * size_pt
        width = sum(g[2] for g in glyphs) + track * max(len(glyphs) - 1, 0)
        x0 = x - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
        pen_x = 0.0
        path = PathBuilder()
        for i, (tf, gid, adv, dx, dy) in enumerate(glyphs):
            scale = size_pt / tf.upem
            ox = x0 + pen_x + dx + track * i
            oy = y - dy
            pen_x += adv
            ops, pts = tf.template(gid)
            if not ops:
                continue
            xy = pts * (scale, -scale) + (ox, oy)
            lo = xy.min(axis=0)
            hi = xy.max(axis=0)
            path.raw(format_points(tf.layout(gid), xy),
                     (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])),
                     (float(xy[-1, 0]), float(xy[-1, 1])))
        if path.empty:  # a blank string still occupies its place
            path.move(x0, y)
        return fill(path, role, tint, text_pt=size_pt, label=label or text)

    def wrap(self, text: str, face: Face, size_pt: float, width_pt: float) -> list[str]:
        """Greedy line breaking at spaces so that each line fits ``width_pt``."""
        words = text.split()
        lines: list[str] = []
        current = ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and self.measure(trial, face, size_pt) > width_pt:
                lines.append(current)
                current = word
            else:
                current = trial
        if current:
            lines.append(current)
        return lines
