"""The shop export: every product's images, the CSV, the payloads, the gallery and the
lookbook, written into one folder with a manifest of every file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import Catalog

from teeprint.storefront import pod
from teeprint.storefront.archive import read_rendered, sha256_bytes
from teeprint.storefront.images import ImageCache, _place, draw_flat, flat_jobs, product_images
from teeprint.storefront.products import Product, _handle, build_product
from teeprint.storefront.settings import commerce_settings
from teeprint.storefront.shopify import shopify_csv

SHOP_MANIFEST = "shop-manifest.json"


@dataclass
class ExportReport:
    """What an export wrote and what the shop owner should know about it."""

    folder: Path
    products: int = 0
    variants: int = 0
    files: int = 0
    without_mockups: list[str] = field(default_factory=list)
    not_rendered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary, one fact a line."""
        out = [f"shop: {self.products} products, {self.variants} variants, {self.files} files "
               f"in {self.folder}"]
        if self.without_mockups:
            out.append(f"shop: no mockups yet for {len(self.without_mockups)} specimen(s), their "
                       f"images are the print file on a plain garment-colour square: "
                       f"{_some(self.without_mockups)}")
        if self.not_rendered:
            out.append(f"shop: not rendered, left out ({len(self.not_rendered)}): "
                       f"{_some(self.not_rendered)}; run `teeprint batch --all`")
        out += [f"shop: {n}" for n in self.notes]
        return out


def _some(slugs: list[str], shown: int = 8) -> str:
    """A list of slugs for one line of a summary: the first few and how many more."""
    more = len(slugs) - shown
    return ", ".join(slugs[:shown]) + (f" and {more} more" if more > 0 else "")


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove files of earlier exports that this one no longer lists (content-hashed names)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and not path.name.startswith(".") and path.name not in keep:
            path.unlink()


def write_manifest(out: Path) -> int:
    """List every exported file under ``out`` with its sha256, written last; return the count."""
    from teeprint.export import atomic_write

    entries = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel == SHOP_MANIFEST or any(p.startswith(".") for p in rel.split("/")):
            continue
        data = path.read_bytes()
        entries.append({"path": rel, "kind": _kind_of(rel), "sha256": sha256_bytes(data),
                        "bytes": len(data)})
    text = json.dumps({"files": entries}, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(out / SHOP_MANIFEST, text.encode("utf-8"))
    return len(entries)


def _kind_of(rel: str) -> str:
    top = rel.split("/", 1)[0]
    return {"images": "image", "printify": "printify-json", "printful": "printful-json",
            "gallery": "gallery", "products.csv": "shopify-csv", "lookbook.pdf": "lookbook"}.get(top, "other")


def check_base_url(base_url: str, local_preview: bool, where: str) -> None:
    """Shopify fetches every image cell over the network: refuse anything but an absolute
    ``https://`` base unless the files are only for a local preview."""
    from urllib.parse import urlsplit

    scheme = urlsplit(base_url).scheme.lower() if ":" in base_url else ""
    if scheme and scheme not in ("https", "http", "file") and len(scheme) > 1:
        msg = (f"{where}: image base URL {base_url!r} has the scheme '{scheme}:'; give the "
               "https:// address where OUT/images/ is hosted")
        raise TeeprintError(msg)
    if local_preview:
        return
    if not base_url:
        msg = (f"{where}: no image base URL, so the CSV's image cells would be relative paths "
               "Shopify cannot fetch; pass --image-base-url https://... (where OUT/images/ will "
               "be hosted) or --local-preview")
        raise TeeprintError(msg)
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.netloc or any(c in base_url for c in "\"'<> \t\r\n"):
        msg = (f"{where}: image base URL {base_url!r} is not an absolute https:// URL; "
               "give the https address where OUT/images/ is hosted, or --local-preview")
        raise TeeprintError(msg)


def export(catalog: Catalog, renders: Path, out: Path, *, image_base_url: str | None = None,
           gallery: bool = True, lookbook: bool = True, local_preview: bool = False) -> ExportReport:
    """Write the shop files for every rendered specimen into ``out``."""
    from teeprint.export import atomic_write

    commerce = commerce_settings(catalog)
    base_url = image_base_url if image_base_url is not None else commerce.image_base_url
    where = "--image-base-url" if image_base_url is not None else \
        f"{catalog.settings_path}: key 'commerce.image_base_url'"
    check_base_url(base_url, local_preview, where)
    rendered, missing = read_rendered(catalog, renders)
    report = ExportReport(out, not_rendered=missing)
    if not rendered:
        msg = f"{renders}: no rendered specimens (no */manifest.json); run `teeprint batch --all --out {renders}` first"
        raise TeeprintError(msg)
    images_dir = out / "images"
    cache = ImageCache.open(images_dir)
    handles = {r.spec.slug: _handle(catalog, r.spec) for r in rendered}
    needs = [job for r in rendered for job in flat_jobs(catalog, r, handles[r.spec.slug])]
    flat = draw_flat(needs, images_dir, cache)
    products: list[Product] = []
    keep: set[str] = set()
    for r in rendered:
        imgs, plate = product_images(catalog, r, handles[r.spec.slug], images_dir, flat)
        p = build_product(catalog, commerce, r, imgs, plate, base_url)
        products.append(p)
        keep.update(i.name for i in imgs)
        if plate is not None:
            keep.add(plate.name)
        if not p.from_mockups:
            report.without_mockups.append(r.spec.slug)
    skus = [v.sku for p in products for v in p.variants]
    dupes = sorted({s for s in skus if skus.count(s) > 1})
    if dupes:
        msg = (f"{catalog.settings_path}: key 'commerce.sku_pattern' gives the same SKU to several "
               f"variants ({dupes[0]}); include {{slug}} or {{plate}}")
        raise TeeprintError(msg)
    # Every payload is built (and every catalogue gap found) before anything is written.
    base = catalog.settings_path.resolve().parent
    ify, ful = commerce.printify, commerce.printful
    ify_cat = pod.printify_catalogue(base / ify.catalogue) if ify.catalogue else None
    ify_up = pod.uploads(base / ify.uploads) if ify.catalogue and ify.uploads else None
    ful_cat = (pod.printful_catalogue(base / ful.catalogue, base / ful.printfiles)
               if ful.catalogue and ful.printfiles else None)
    if ful.catalogue and not ful.printfiles:
        msg = (f"{catalog.settings_path}: key 'commerce.printful.printfiles' is missing: save "
               f"GET /mockup-generator/printfiles/{ful.product_id} and name it there")
        raise TeeprintError(msg)
    payloads: dict[str, dict[str, bytes]] = {"printify": {}, "printful": {}}
    ify_uploads: list[dict[str, str]] = []
    placements: list[tuple[Path, Path]] = []
    for r, p in zip(rendered, products, strict=True):
        files = pod.print_files(r, base_url)
        for pf, src in files.values():
            keep.add(pf.name)
            placements.append((src, images_dir / pf.name))
        only = {cw: pf for cw, (pf, _) in files.items()}
        made = {}
        if ify_cat is not None:
            ify_uploads += [{"file_name": pf.name, "url": pf.url} for pf in only.values()]
            made["printify"] = pod.printify_payload(p, commerce, only, ify_cat, ify_up)
        if ful_cat is not None:
            made["printful"] = pod.printful_payload(p, commerce, only, ful_cat)
            if len(p.variants) > 100:
                report.notes.append(f"{p.handle}: {len(p.variants)} variants; Printful takes at "
                                    "most 100 per sync product, trim [commerce].sizes or the "
                                    "colourways' garments")
        for kind, payload in made.items():
            if payload is not None:
                text = json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
                payloads[kind][f"{p.handle}.json"] = text.encode("utf-8")
    atomic_write(out / "products.csv", shopify_csv(products, commerce, catalog.settings.shop.vendor))
    for src, dst in placements:
        _place(src, dst)
    pod_names: dict[str, set[str]] = {"printify": set(), "printful": set()}
    for kind, named in payloads.items():
        for name, data in named.items():
            atomic_write(out / kind / name, data)
            pod_names[kind].add(name)
    if ify_cat is not None:
        text = json.dumps(sorted(ify_uploads, key=lambda u: u["file_name"]), indent=1) + "\n"
        atomic_write(out / "printify" / "uploads.json", text.encode("utf-8"))
        pod_names["printify"].add("uploads.json")
        if ify_up is None:
            report.notes.append("printify: upload the files listed in printify/uploads.json "
                                "(POST /v1/uploads/images.json), save the responses and name them "
                                "as [commerce.printify].uploads; the product payloads follow")
    if ify_cat is None:
        report.notes.append("printify: no payloads; save the provider's variants "
                            "(GET /v1/catalog/blueprints/{id}/print_providers/{pid}/variants.json) "
                            "and name the file as [commerce.printify].catalogue")
    if ful_cat is None:
        report.notes.append("printful: no payloads; save GET /products/{id} and "
                            "GET /mockup-generator/printfiles/{id} and name them as "
                            "[commerce.printful].catalogue and .printfiles")
    for kind, names in pod_names.items():
        _prune(out / kind, names)
    _prune(images_dir, keep)
    cache.save(keep)
    report.products = len(products)
    report.variants = sum(len(p.variants) for p in products)
    if local_preview:
        report.notes.append("local preview: image cells point at files beside the CSV, which "
                            "Shopify cannot import; export again with --image-base-url https://...")
    if gallery:
        from teeprint.storefront import gallery as gallery_mod

        gallery_mod.write(catalog, products, rendered, out, currency=commerce.currency,
                          store_url=commerce.store_url)
    if lookbook:
        from teeprint.storefront import lookbook as lookbook_mod

        lost = lookbook_mod.write(catalog, products, out / "lookbook.pdf")
        if lost:
            report.notes.append(f"lookbook: no face of the shop has {' '.join(sorted(lost))}; "
                                "add a font with them under fonts/ or change the text")
    report.files = write_manifest(out)
    return report
