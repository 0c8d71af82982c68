"""A specimen as a storefront product: its variants (garment colour x size), SKUs, prices,
description, tags and images; what the CSV and the payload writers share."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Specimen

from teeprint.storefront.archive import Rendered
from teeprint.storefront.images import StoreImage, _clip, _variant_plan, image_url
from teeprint.storefront.settings import Commerce


@dataclass(frozen=True)
class Variant:
    """A sellable variant: garment colour x size, with its SKU and price."""

    colorway: str
    garment: str
    garment_name: str
    size: str
    sku: str
    price: str
    grams: int
    image: str


@dataclass(frozen=True)
class Product:
    """One storefront product (one specimen) with its variants and images."""

    spec: Specimen
    handle: str
    title: str
    body_html: str
    tags: tuple[str, ...]
    seo_title: str
    seo_description: str
    variants: tuple[Variant, ...]
    images: tuple[StoreImage, ...]
    image_urls: tuple[str, ...]
    from_mockups: bool
    plate: StoreImage | None


def _fields(spec: Specimen) -> dict[str, Any]:
    from teeprint.catalog import FAMILIES, roman

    return {"slug": spec.slug, "name": spec.name, "plate": spec.plate, "plate_roman": roman(spec.plate),
            "latin_title": spec.latin_title, "family": spec.family, "family_name": FAMILIES[spec.family]}


def body_html(spec: Specimen, brand: str) -> str:
    """The product description: motto, caption, how the figure was made, the source."""
    from teeprint.catalog import FAMILIES, roman

    e = html.escape
    ref = spec.reference
    source = f"{ref.authors} ({ref.year}). {ref.title + '. ' if ref.title else ''}{ref.venue}."
    how = {"computed": "Computed", "closed-form": "Drawn from a closed form",
           "hand-wired": "Hand-wired, not trained", "schematic": "A schematic, not a measurement"}
    return (f"<p><em>{e(spec.latin_title)}</em>: “{e(spec.motto)}”</p>"
            f"<p>{e(spec.caption)}</p>"
            f"<p>{e(how[spec.honesty])}: {e(spec.method)}. After {e(source)}</p>"
            f"<p>Plate {roman(spec.plate)} of the {e(brand)} archive, "
            f"{e(FAMILIES[spec.family])}. Printed to order.</p>")


def _tags(spec: Specimen) -> tuple[str, ...]:
    from teeprint.catalog import FAMILIES

    raw = [FAMILIES[spec.family], spec.family, *spec.tags, spec.honesty, "specimen tee"]
    clean = [" ".join(t.replace(",", " ").split()) for t in raw]
    return tuple(dict.fromkeys(t for t in clean if t))


def _pattern(catalog: Catalog, key: str, pattern: str, spec: Specimen) -> str:
    from teeprint.textfmt import safe_format

    try:
        return safe_format(pattern, _fields(spec))
    except ValueError as exc:
        msg = f"{catalog.settings_path}: key 'shop.{key}': {exc}"
        raise TeeprintError(msg) from None


def _handle(catalog: Catalog, spec: Specimen) -> str:
    return _pattern(catalog, "handle_pattern", catalog.settings.shop.handle_pattern, spec)


def build_product(catalog: Catalog, commerce: Commerce, rendered: Rendered, images: list[StoreImage],
                  plate: StoreImage | None, base_url: str) -> Product:
    """A specimen as a storefront product: Color x Size variants, images, SEO text."""
    spec = rendered.spec
    shop = catalog.settings.shop
    handle = _handle(catalog, spec)
    title = _pattern(catalog, "title_pattern", shop.title_pattern, spec)
    by_garment: dict[str, StoreImage] = {}
    for img in images:
        by_garment.setdefault(img.garment, img)
    variants: list[Variant] = []
    for cw, garment in _variant_plan(catalog, spec, rendered):
        vimg = by_garment.get(garment.id)
        for size in commerce.sizes:
            sku = commerce.sku_pattern.format(slug=spec.slug, handle=handle, plate=spec.plate,
                                              garment=garment.id, colorway=cw.id, size=size,
                                              family=spec.family)
            variants.append(Variant(cw.id, garment.id, garment.name, size, sku, commerce.price(size),
                                    commerce.weight_g(size),
                                    image_url(base_url, vimg.name) if vimg else ""))
    seo_title = _clip(f"{spec.name} Specimen Tee · {spec.latin_title} | {shop.brand}", 70)
    return Product(spec, handle, title, body_html(spec, shop.brand), _tags(spec), seo_title,
                   _clip(spec.caption, 320), tuple(variants), tuple(images),
                   tuple(image_url(base_url, i.name) for i in images),
                   any(i.source == "mockup" for i in images), plate)
