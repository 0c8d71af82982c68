"""Print-on-demand payloads: Printify and Printful create-product bodies with real catalogue ids.

Nothing here calls the network.  A shop downloads its provider's catalogue once and points
``shop.toml`` at the saved JSON:

* Printify: ``GET /v1/catalog/blueprints/{blueprint_id}/print_providers/{print_provider_id}/
  variants.json`` (variants with ``options.color``/``options.size`` and the ``front``
  placeholder's size in pixels), and, after uploading the print files listed in
  ``printify/uploads.json`` with ``POST /v1/uploads/images.json``, the saved upload responses
  (``id`` and ``file_name``), since a Printify product names its images by upload id;
* Printful: ``GET /products/{product_id}`` (variants with ``color`` and ``size``) and
  ``GET /mockup-generator/printfiles/{product_id}`` (the front print file's pixels and dpi).

Every garment colour x size maps to the catalogue's variant id (the garment's name, or the
name given under ``colors``), and the print file is placed at its true size: Printify's
``scale`` is the print's width over the placeholder's, its ``y`` puts the print's top edge at
the top of the area; Printful's ``position`` gives the area and the print in the print file's
pixels.  A size or colour the catalogue lacks, a print wider than the area, or a missing upload
id is one line naming it, never a null in a payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teeprint.errors import TeeprintError
from teeprint.storefront.images import image_url

if TYPE_CHECKING:
    from teeprint.storefront.archive import Rendered
    from teeprint.storefront.products import Product
    from teeprint.storefront.settings import Commerce


@dataclass(frozen=True)
class PrintFile:
    """A colourway's print PNG as hosted: its URL, file name and size."""

    url: str
    name: str
    width_px: int
    height_px: int
    dpi: float

    @property
    def width_in(self) -> float:
        """Printed width in inches."""
        return self.width_px / self.dpi

    @property
    def height_in(self) -> float:
        """Printed height in inches."""
        return self.height_px / self.dpi


def print_files(rendered: Rendered, base_url: str) -> dict[str, tuple[PrintFile, Path]]:
    """Each colourway's print PNG under its content-hashed name: colourway -> (file, source)."""
    files: dict[str, tuple[PrintFile, Path]] = {}
    for entry in rendered.of_kind("print-png"):
        cw = str(entry.get("colorway"))
        if cw in files:
            continue
        name = f"{rendered.spec.slug}--{cw}--print--{str(entry['sha256'])[:12]}.png"
        files[cw] = (PrintFile(image_url(base_url, name), name, int(entry.get("width") or 0),
                               int(entry.get("height") or 0), float(entry.get("dpi") or 300)),
                     rendered.file(entry))
    return files


def _load(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        msg = f"{path}: {what} not found (save the provider's response there, or fix the path in shop.toml)"
        raise TeeprintError(msg) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"{path}: {what} is not readable JSON ({exc}); save the provider's response again"
        raise TeeprintError(msg) from None


def _bad(path: Path, what: str) -> TeeprintError:
    return TeeprintError(f"{path}: not a {what} (the saved response has another shape)")


@dataclass(frozen=True)
class Catalogue:
    """A provider's variants by (colour, size), and its front print area."""

    path: Path
    variants: dict[tuple[str, str], int]
    area_px: tuple[int, int]
    area_dpi: float

    def variant(self, colour: str, size: str, garment: str) -> int:
        """The variant id of a colour and size, or a one-line error naming what is missing."""
        try:
            return self.variants[(colour.casefold(), size.casefold())]
        except KeyError:
            colours = sorted({c for c, _ in self.variants})
            sizes = sorted({s for c, s in self.variants if c == colour.casefold()})
            if not sizes:
                msg = (f"{self.path}: no colour {colour!r} (garment {garment!r}); the catalogue "
                       f"has {', '.join(colours)}; map it under colors = {{ {garment} = \"…\" }}")
            else:
                msg = (f"{self.path}: colour {colour!r} has no size {size!r}; it has "
                       f"{', '.join(sizes)} (trim [commerce].sizes or the colourway's garments)")
            raise TeeprintError(msg) from None


def printify_catalogue(path: Path) -> Catalogue:
    """Read a saved Printify provider-variants response."""
    data = _load(path, "Printify catalogue")
    try:
        variants: dict[tuple[str, str], int] = {}
        areas: set[tuple[int, int]] = set()
        for v in data["variants"]:
            opts = v["options"]
            variants[(str(opts["color"]).casefold(), str(opts["size"]).casefold())] = int(v["id"])
            for ph in v.get("placeholders", []):
                if ph.get("position") == "front":
                    areas.add((int(ph["width"]), int(ph["height"])))
    except (KeyError, TypeError, ValueError):
        raise _bad(path, "Printify provider-variants response (variants[].id, options, placeholders)") from None
    if not variants or not areas:
        raise _bad(path, "Printify provider-variants response with a front placeholder")
    # The smallest front area any variant has: a print that fits it fits them all.
    area = min(areas, key=lambda wh: wh[0] * wh[1])
    return Catalogue(path, variants, area, 300.0)


def printful_catalogue(product_path: Path, printfiles_path: Path) -> Catalogue:
    """Read saved Printful product and print-file responses."""
    data = _load(product_path, "Printful catalogue product")
    files = _load(printfiles_path, "Printful print-file list")
    try:
        variants = {(str(v["color"]).casefold(), str(v["size"]).casefold()): int(v["id"])
                    for v in data["result"]["variants"]}
    except (KeyError, TypeError, ValueError):
        raise _bad(product_path, "Printful product response (result.variants[].id, color, size)") from None
    try:
        by_id = {int(f["printfile_id"]): f for f in files["result"]["printfiles"]}
        fronts = {int(vp["placements"]["front"]) for vp in files["result"]["variant_printfiles"]
                  if "front" in vp["placements"]}
        chosen = [by_id[i] for i in sorted(fronts)]
        area = min(((int(f["width"]), int(f["height"]), float(f["dpi"])) for f in chosen),
                   key=lambda f: f[0] * f[1] / f[2] ** 2)
    except (KeyError, TypeError, ValueError):
        raise _bad(printfiles_path, "Printful print-file response (printfiles, variant_printfiles)") from None
    if not variants:
        raise _bad(product_path, "Printful product response with variants")
    return Catalogue(product_path, variants, (area[0], area[1]), area[2])


def uploads(path: Path) -> dict[str, str]:
    """Saved Printify upload responses: file name -> upload id."""
    data = _load(path, "Printify upload responses")
    items = data if isinstance(data, list) else [data]
    try:
        return {str(u["file_name"]): str(u["id"]) for u in items}
    except (KeyError, TypeError):
        raise _bad(path, "list of Printify upload responses (id, file_name)") from None


def _fits(pf: PrintFile, cat: Catalogue, provider: str) -> tuple[float, float]:
    """The print's size in the area's pixels, or an error when it is larger than the area."""
    w = pf.width_in * cat.area_dpi
    h = pf.height_in * cat.area_dpi
    aw, ah = cat.area_px
    if w > aw + 0.5 or h > ah + 0.5:
        msg = (f"{pf.name}: a {pf.width_in:g} x {pf.height_in:g} in print does not fit "
               f"{provider}'s front area of {aw / cat.area_dpi:g} x {ah / cat.area_dpi:g} in "
               f"({cat.path}); render the 12x16 preset (teeprint batch --preset 12x16) or "
               "choose another product")
        raise TeeprintError(msg)
    return w, h


def printify_payload(product: Product, commerce: Commerce, files: dict[str, PrintFile],
                     cat: Catalogue, uploads: dict[str, str] | None) -> dict[str, Any] | None:
    """A ``POST /v1/shops/{shop_id}/products.json`` body, field for field; None while the
    print files have no upload ids yet."""
    cfg = commerce.printify
    variants = []
    groups: dict[str, list[int]] = {}
    for v in product.variants:
        colour = cfg.colors.get(v.garment, v.garment_name)
        vid = cat.variant(colour, v.size, v.garment)
        variants.append({"id": vid, "price": int(Decimal(v.price) * 100), "is_enabled": True})
        groups.setdefault(v.colorway, []).append(vid)
    if uploads is None:
        return None
    areas = []
    for cw, ids in groups.items():
        pf = files.get(cw)
        if pf is None:
            continue
        if pf.name not in uploads:
            msg = (f"{pf.name}: no Printify upload id in the saved upload responses; upload the "
                   "files in printify/uploads.json and save the responses again")
            raise TeeprintError(msg)
        w, h = _fits(pf, cat, "Printify")
        aw, ah = cat.area_px
        areas.append({"variant_ids": ids, "placeholders": [{"position": "front", "images": [
            {"id": uploads[pf.name], "x": 0.5, "y": round(h / 2 / ah, 6),
             "scale": round(w / aw, 6), "angle": 0}]}]})
    return {"title": product.title, "description": product.body_html, "tags": list(product.tags),
            "blueprint_id": cfg.blueprint_id, "print_provider_id": cfg.print_provider_id,
            "variants": variants, "print_areas": areas}


def printful_payload(product: Product, commerce: Commerce, files: dict[str, PrintFile],
                     cat: Catalogue) -> dict[str, Any]:
    """A ``POST /store/products`` body: the sync product and one sync variant per colour x size,
    each with its front file placed at true size from the top of the print area."""
    cfg = commerce.printful
    sync_variants = []
    for v in product.variants:
        colour = cfg.colors.get(v.garment, v.garment_name)
        vid = cat.variant(colour, v.size, v.garment)
        pf = files.get(v.colorway)
        file_list = []
        if pf is not None:
            w, h = _fits(pf, cat, "Printful")
            aw, ah = cat.area_px
            file_list.append({"type": "front", "url": pf.url, "position": {
                "area_width": aw, "area_height": ah, "width": round(w), "height": round(h),
                "top": 0, "left": round((aw - w) / 2), "limit_to_print_area": True}})
        sync_variants.append({"variant_id": vid, "external_id": v.sku, "retail_price": v.price,
                              "files": file_list})
    return {"sync_product": {"name": product.title, "external_id": product.handle,
                             "thumbnail": product.image_urls[0] if product.image_urls else ""},
            "sync_variants": sync_variants}
