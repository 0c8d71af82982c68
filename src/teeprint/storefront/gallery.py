"""The archive as a static museum catalogue: ``DIR/gallery/index.html`` plus one page a specimen.

It must open from ``file://`` with no server, so the data the filter needs is inlined in the page
as a JSON script tag (browsers refuse ``fetch`` of local files), every link is relative, and the
typefaces are copied next to the pages from the fonts the plates are set in.  The pages are
plain HTML that read well without JavaScript; the small script only hides cards that do not
match the chosen family or the search words (any field a buyer would type: name, Latin title,
words of the caption, authors, year, venue, paper title, plate number in figures or Roman) and
announces the count to screen readers.  Each card shows the plate, the shirt it sells on, the
price and a link to the product.  Output bytes depend only on the inputs.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Specimen
    from teeprint.storefront.archive import Rendered
    from teeprint.storefront.images import StoreImage
    from teeprint.storefront.products import Product

#: Card thumbnails: wide enough for a two-column phone layout on a dense screen.
THUMB_PX = 512
#: The plate on its own page: sharp at the column width on a dense screen.
PLATE_VIEW_PX = 1000
#: The shirt beside a card's plate.
SHIRT_PX = 256
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def price_label(amount: Decimal, currency: str) -> str:
    """``from $32.00`` (or ``from 32.00 CHF`` for a currency without a common symbol)."""
    sym = _SYMBOLS.get(currency)
    return f"from {sym}{amount:.2f}" if sym else f"from {amount:.2f} {currency}"


def product_link(store_url: str, handle: str, slug: str) -> str:
    """The product's page on the store, or the specimen page's garments when no store is set."""
    return f"{store_url.rstrip('/')}/products/{handle}" if store_url else f"{slug}.html#garments"


def search_text(spec: Specimen) -> str:
    """What the search box matches: every field a buyer might type, lower-cased."""
    from teeprint.catalog import FAMILIES, roman

    ref = spec.reference
    return " ".join((spec.slug, spec.name, spec.latin_title, spec.motto, spec.caption,
                     FAMILIES[spec.family], spec.family, ref.authors, str(ref.year), ref.venue,
                     ref.title, f"plate {spec.plate}", f"plate {roman(spec.plate)}",
                     f"#{spec.plate}", " ".join(spec.tags))).lower()

_e = html.escape


def _json_script(data: Any) -> str:
    """JSON safe inside a ``<script>``: no ``</`` can close the tag early."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _reference(spec: Specimen) -> str:
    ref = spec.reference
    title = f" <cite>{_e(ref.title)}</cite>." if ref.title else ""
    return f"{_e(ref.authors)} ({ref.year}).{title} {_e(ref.venue)}."


def _head(title: str, extra_style: str) -> str:
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<link rel=\"stylesheet\" href=\"assets/gallery.css\">\n"
            f"<style>{extra_style}</style>\n</head>\n")


def _palette_style(catalog: Catalog) -> str:
    """CSS colours from the shop's light colourway, so the site prints in the plates' inks."""
    light = [cw for cw in catalog.colorways() if not cw.dark]
    if not light:
        return ""
    cw = light[0]
    ink = cw.ink_for("ink").hex
    accent = cw.ink_for("accent").hex
    return f":root{{--ink:{ink};--accent:{accent};}}"


def _copy_fonts(catalog: Catalog, assets: Path) -> None:
    from teeprint.export import atomic_write
    from teeprint.typeset import Face, resolve_face

    faces: tuple[Face, ...] = ("serif", "serif-italic", "display", "mono")
    for face in faces:
        try:
            src = resolve_face(face, catalog.settings.fonts, catalog.fonts_dir).path
        except Exception:  # a missing family falls back to the CSS serif stack
            continue
        atomic_write(assets / "fonts" / f"{face}.ttf", src.read_bytes())


def _copy_assets(assets: Path) -> None:
    from teeprint.export import atomic_write

    pkg = resources.files("teeprint.storefront") / "gallery_assets"
    for name in ("gallery.css", "gallery.js"):
        atomic_write(assets / name, (pkg / name).read_bytes())


def _masthead(catalog: Catalog, heading: str) -> str:
    shop = catalog.settings.shop
    return (f"<header class=\"masthead\"><p class=\"wordmark\">{_e(shop.wordmark)}</p>"
            f"<h1>{_e(heading)}</h1><p class=\"tagline\">{_e(shop.wordmark_tagline)}</p></header>\n")


@dataclass(frozen=True)
class Shelf:
    """What a card sells: the shirt picture, the lowest price, the product's address."""

    shirt: str
    price: str
    link: str


def _index(catalog: Catalog, products: Sequence[Product], thumbs: dict[str, str],
           shelves: dict[str, Shelf]) -> str:
    from teeprint.catalog import FAMILIES, FAMILY_STATEMENTS, roman

    shop = catalog.settings.shop
    present = [f for f in FAMILIES if any(p.spec.family == f for p in products)]
    data = {"specimens": [{
        "slug": p.spec.slug, "family": p.spec.family, "plate": p.spec.plate, "name": p.spec.name,
        "latin_title": p.spec.latin_title, "search": search_text(p.spec),
    } for p in products]}
    chips = ["<button type=\"button\" class=\"chip\" data-family-filter=\"all\" aria-pressed=\"true\">"
             "All families</button>"]
    chips += [f"<button type=\"button\" class=\"chip\" data-family-filter=\"{f}\" aria-pressed=\"false\">"
              f"{_e(FAMILIES[f])}</button>" for f in present]
    parts = [_head(f"{shop.brand}: Catalogue of Specimens", _palette_style(catalog)), "<body>\n",
             _masthead(catalog, "Catalogus Speciminum"), "<main>\n",
             "<nav class=\"controls\" aria-label=\"Filter\">"
             "<input id=\"search\" type=\"search\" placeholder=\"Search: a word, an author, a year, "
             "a plate number\" aria-label=\"Search plates\" autocomplete=\"off\">"
             f"<div class=\"chips\">{''.join(chips)}</div>"
             f"<span id=\"count\" class=\"count\" role=\"status\" aria-live=\"polite\">"
             f"{len(products)} plates</span></nav>\n"]
    for fam in present:
        members = [p for p in products if p.spec.family == fam]
        parts.append(f"<section class=\"family\" data-family=\"{fam}\"><h2>{_e(FAMILIES[fam])}"
                     f"<small>{len(members)} plate{'s' if len(members) != 1 else ''}</small></h2>"
                     f"<p class=\"family-note\">{_e(FAMILY_STATEMENTS[fam])}</p>"
                     "<ul class=\"plates\">\n")
        for p in members:
            s = p.spec
            img = (f"<img src=\"img/{thumbs[s.slug]}\" width=\"{THUMB_PX}\" height=\"{THUMB_PX}\" "
                   f"alt=\"{_e(p.plate.alt if p.plate else s.name)}\" loading=\"lazy\">"
                   if s.slug in thumbs else "")
            shelf = shelves.get(s.slug)
            buy = ""
            if shelf is not None:
                shirt = (f"<img class=\"shirt\" src=\"img/{shelf.shirt}\" width=\"{SHIRT_PX}\" "
                         f"height=\"{SHIRT_PX}\" alt=\"{_e(s.name)} tee\" loading=\"lazy\">"
                         if shelf.shirt else "")
                buy = (f"<a class=\"buy\" href=\"{_e(shelf.link)}\">{shirt}<span class=\"price\">"
                       f"{_e(shelf.price)}</span><span class=\"go\">the tee ›</span></a>")
            parts.append(f"<li class=\"card\" data-slug=\"{s.slug}\"><a href=\"{s.slug}.html\"><figure>"
                         f"{img}<figcaption><span class=\"no\">PLATE {roman(s.plate)}</span>"
                         f"<span class=\"name\">{_e(s.name)}</span>"
                         f"<span class=\"latin\">{_e(s.latin_title)}</span></figcaption></figure></a>"
                         f"{buy}</li>\n")
        parts.append("</ul></section>\n")
    parts.append("<p id=\"empty\" class=\"empty\" hidden>No plate matches; try another word or family.</p>\n"
                 "</main>\n"
                 f"<footer>{_e(shop.brand)} · {len(products)} plates in {len(present)} families</footer>\n"
                 f"<script type=\"application/json\" id=\"catalogue-data\">{_json_script(data)}</script>\n"
                 "<script src=\"assets/gallery.js\"></script>\n</body>\n</html>\n")
    return "".join(parts)


def _specimen_page(catalog: Catalog, product: Product, view: str | None, data_name: str | None,
                   data_text: str, prev_next: tuple[Product | None, Product | None]) -> str:
    from teeprint.catalog import FAMILIES, roman

    s = product.spec
    shop = catalog.settings.shop
    plate = product.plate
    plate_html = (f"<figure class=\"plate-figure\"><a href=\"img/{plate.name}\"><img src=\"img/{view}\" "
                  f"width=\"{PLATE_VIEW_PX}\" height=\"{round(PLATE_VIEW_PX * 1.2)}\" alt=\"{_e(plate.alt)}\"></a>"
                  f"<figcaption>Plate {roman(s.plate)}, "
                  + (f"as printed on {_e(catalog.garment(plate.garment).name)}" if plate.source == "print"
                     else "the artwork on paper") + "</figcaption></figure>"
                  if plate and view else "")
    mockups = [i for i in product.images if i.source == "mockup"]
    if mockups:
        items = "".join(f"<li><img src=\"img/{m.name}\" alt=\"{_e(m.alt)}\" loading=\"lazy\">"
                        f"{_e(catalog.garment(m.garment).name)} · {_e(m.view)}</li>" for m in mockups)
        mock_html = f"<section class=\"mockups\"><h2>On the garment</h2><ul>{items}</ul></section>"
    else:
        items = "".join(f"<li><img src=\"img/{m.name}\" alt=\"{_e(m.alt)}\" loading=\"lazy\">"
                        f"{_e(catalog.garment(m.garment).name)}</li>" for m in _unique(product.images))
        mock_html = ("<section class=\"mockups\"><h2>Garment colours</h2><p><em>No mockups rendered yet; "
                     f"the plate is shown flat on each colour.</em></p><ul>{items}</ul></section>")
    garments: list[tuple[str, str]] = []
    for v in product.variants:
        g = catalog.garment(v.garment)
        if g.name not in [x[0] for x in garments]:
            garments.append((g.name, g.hex))
    swatches = "".join(f"<li><i style=\"background:{hx}\"></i>{_e(name)}</li>" for name, hx in garments)
    prov = json.loads(data_text).get("provenance", {}) if data_text else {}
    params = ", ".join(f"{k}={v}" for k, v in sorted((prov.get("params") or {}).items()))
    rows = [("recipe", s.recipe.name), ("motif", s.motif.name), ("seed", str(prov.get("seed", s.seed))),
            ("figure", f"{s.honesty}: {s.method}"), ("parameters", params or "defaults"),
            ("colourways", ", ".join(s.colorways))]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    data_html = ""
    if data_name:
        data_html = (f"<a class=\"download\" href=\"data/{data_name}\" download>Download the figure data "
                     f"(JSON)</a><details><summary>Figure data</summary><pre>{_e(data_text)}</pre></details>")
    prev, nxt = prev_next
    crumbs = ("<nav class=\"crumbs\"><a href=\"index.html\">← Catalogue</a><span>"
              + (f"<a href=\"{prev.spec.slug}.html\">‹ {roman(prev.spec.plate)}</a> " if prev else "")
              + (f" <a href=\"{nxt.spec.slug}.html\">{roman(nxt.spec.plate)} ›</a>" if nxt else "")
              + "</span></nav>\n")
    return "".join([
        _head(f"Plate {roman(s.plate)}: {s.name} · {shop.brand}", _palette_style(catalog)),
        "<body>\n", crumbs, "<main>\n",
        "<article class=\"specimen\"><header>"
        f"<p class=\"no\">PLATE {roman(s.plate)}</p><h1>{_e(s.latin_title)}</h1>"
        f"<p class=\"name\">{_e(s.name)} <span class=\"lozenge\">◆</span> "
        f"<a href=\"index.html\">{_e(FAMILIES[s.family])}</a></p>"
        f"<p class=\"motto\">“{_e(s.motto)}”</p></header>\n",
        f"<div class=\"sheet\">{plate_html}<div class=\"notes\">"
        f"<h2>Caption</h2><p>{_e(s.caption)}</p>"
        f"<h2>Reference</h2><p>{_reference(s)}</p>"
        f"<h2>Provenance</h2><dl>{dl}</dl>{data_html}"
        f"<h2 id=\"garments\">Garments</h2><ul class=\"swatches\">{swatches}</ul></div></div>\n",
        mock_html, "</article>\n</main>\n",
        f"<footer>{_e(shop.brand)} · {_e(shop.wordmark_tagline)}</footer>\n</body>\n</html>\n",
    ])


def _unique(images: Sequence[StoreImage]) -> list[StoreImage]:
    seen: set[str] = set()
    out = []
    for img in images:
        if img.garment not in seen:
            seen.add(img.garment)
            out.append(img)
    return out


def _shirt_jpeg(src: Path, side_px: int) -> bytes:
    """A storefront image scaled down for a card (JPEG, no metadata)."""
    import io

    from PIL import Image

    with Image.open(src) as im:
        im.draft("RGB", (side_px, side_px))
        small = im.convert("RGB")
    small.thumbnail((side_px, side_px), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=85, optimize=True)
    return buf.getvalue()


def write(catalog: Catalog, products: Sequence[Product], rendered: Sequence[Rendered], out: Path,
          *, currency: str = "USD", store_url: str = "") -> list[Path]:
    """Write the gallery under ``out/gallery``; files of earlier exports not listed are removed."""
    from teeprint.export import atomic_write
    from teeprint.storefront.archive import sha256_bytes
    from teeprint.storefront.images import _place, plate_view_jpeg

    root = out / "gallery"
    written: list[Path] = []
    keep_img: set[str] = set()
    keep_data: set[str] = set()
    thumbs: dict[str, str] = {}
    views: dict[str, str] = {}
    _copy_assets(root / "assets")
    _copy_fonts(catalog, root / "assets")
    by_slug = {r.spec.slug: r for r in rendered}
    for p in products:
        for img in [*p.images, *([p.plate] if p.plate else [])]:
            _place(img.path, root / "img" / img.name)
            keep_img.add(img.name)
        if p.plate is not None:
            for label, data in (("thumb", plate_view_jpeg(p.plate.path, THUMB_PX, aspect=1.0)),
                                ("plate-view", plate_view_jpeg(p.plate.path, PLATE_VIEW_PX))):
                name = f"{p.spec.slug}--{label}--{sha256_bytes(data)[:12]}.jpg"
                atomic_write(root / "img" / name, data)
                (thumbs if label == "thumb" else views)[p.spec.slug] = name
                keep_img.add(name)
    shelves: dict[str, Shelf] = {}
    for p in products:
        if not p.variants:
            continue
        shirt = ""
        if p.images:
            data = _shirt_jpeg(p.images[0].path, SHIRT_PX)
            shirt = f"{p.spec.slug}--shirt--{sha256_bytes(data)[:12]}.jpg"
            atomic_write(root / "img" / shirt, data)
            keep_img.add(shirt)
        low = min(Decimal(v.price) for v in p.variants)
        shelves[p.spec.slug] = Shelf(shirt, price_label(low, currency),
                                     product_link(store_url, p.handle, p.spec.slug))
    ordered = list(products)
    for i, p in enumerate(ordered):
        r = by_slug[p.spec.slug]
        figure = r.of_kind("figure-data")
        data_name, data_text = None, ""
        if figure:
            raw = r.file(figure[0]).read_bytes()
            data_name = f"{p.spec.slug}.data.json"
            atomic_write(root / "data" / data_name, raw)
            keep_data.add(data_name)
            data_text = raw.decode("utf-8")
        neighbours = (ordered[i - 1] if i > 0 else None, ordered[i + 1] if i + 1 < len(ordered) else None)
        page = _specimen_page(catalog, p, views.get(p.spec.slug), data_name, data_text, neighbours)
        atomic_write(root / f"{p.spec.slug}.html", page.encode("utf-8"))
        written.append(root / f"{p.spec.slug}.html")
    atomic_write(root / "index.html", _index(catalog, ordered, thumbs, shelves).encode("utf-8"))
    written.append(root / "index.html")
    pages = {f"{p.spec.slug}.html" for p in ordered} | {"index.html"}
    for folder, keep in ((root / "img", keep_img), (root / "data", keep_data), (root, pages)):
        if folder.is_dir():
            for f in folder.iterdir():
                if f.is_file() and f.name not in keep and not f.name.startswith("."):
                    f.unlink()
    return written
