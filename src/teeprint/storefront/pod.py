"""Print-on-demand payloads: Printify and Printful create-product bodies."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from teeprint.storefront.archive import Rendered
from teeprint.storefront.images import _place, image_url
from teeprint.storefront.products import Product
from teeprint.storefront.settings import Commerce


def _print_files(rendered: Rendered, base_url: str, images_dir: Path) -> dict[str, str]:
    """Each colourway's print PNG, placed under a content-hashed name; colourway -> URL."""
    urls: dict[str, str] = {}
    for entry in rendered.of_kind("print-png"):
        cw = str(entry.get("colorway"))
        if cw in urls:
            continue
        name = f"{rendered.spec.slug}--{cw}--print--{str(entry['sha256'])[:12]}.png"
        _place(rendered.file(entry), images_dir / name)
        urls[cw] = image_url(base_url, name)
    return urls


def printify_payload(product: Product, commerce: Commerce, print_urls: dict[str, str]) -> dict[str, Any]:
    """A ``POST /v1/shops/{shop_id}/products.json`` body, plus the uploads it needs first.

    Printify wants uploaded image ids; ``uploads`` lists the print files to send to
    ``/v1/uploads/images.json`` (by URL) and each placeholder names its upload by file name in
    ``upload`` for the script that swaps in the returned id.  Prices are integer cents.
    """
    cfg = commerce.printify
    variants = []
    groups: dict[str, list[int | None]] = {}
    for v in product.variants:
        vid = cfg.variant_ids.get(f"{v.garment}/{v.size}")
        variants.append({"id": vid, "sku": v.sku, "price": int(Decimal(v.price) * 100),
                         "is_enabled": True, "options": {"color": v.garment_name, "size": v.size}})
        groups.setdefault(v.colorway, []).append(vid)
    uploads = [{"file_name": url.rsplit("/", 1)[-1], "url": url} for cw, url in sorted(print_urls.items())
               if cw in groups]
    areas = [{"variant_ids": ids, "placeholders": [{"position": "front", "images": [
        {"id": None, "upload": print_urls[cw].rsplit("/", 1)[-1], "x": 0.5, "y": 0.5,
         "scale": 1, "angle": 0}]}]} for cw, ids in groups.items() if cw in print_urls]
    return {"uploads": uploads, "product": {
        "title": product.title, "description": product.body_html, "tags": list(product.tags),
        "blueprint_id": cfg.blueprint_id, "print_provider_id": cfg.print_provider_id,
        "variants": variants, "print_areas": areas}}


def printful_payload(product: Product, commerce: Commerce, print_urls: dict[str, str]) -> dict[str, Any]:
    """A ``POST /store/products`` body (a "Manual order / API" store): sync product + variants."""
    cfg = commerce.printful
    return {"sync_product": {"name": product.title, "external_id": product.handle,
                             "thumbnail": product.image_urls[0] if product.image_urls else ""},
            "sync_variants": [
                {"variant_id": cfg.variant_ids.get(f"{v.garment}/{v.size}"), "external_id": v.sku,
                 "retail_price": v.price, "sku": v.sku,
                 "files": [{"type": "default", "url": print_urls[v.colorway]}]
                 if v.colorway in print_urls else []}
                for v in product.variants]}
