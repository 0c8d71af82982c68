"""Shop exports from the rendered archive: Shopify CSV, Printify/Printful payloads, images.

Everything here reads what ``teeprint batch`` wrote (``OUT/<slug>/manifest.json``), never renders,
so it runs in seconds and picks up whatever stages existed when the batch ran (mockups when the
mockup stage is there, the print PNG otherwise).

**One product per specimen, Color as an option.**  A design is one listing whose first option is
the garment colour over the garments of all its colourways (Option1 Name = ``Color``) and whose
second is the size.  One listing per design keeps its reviews, sales history and search ranking
together instead of splitting them over near-identical "ecru" and "black" listings; the buyer
picks a shirt colour, and the colourway (light inks or dark inks with an underbase) simply
follows the garment, which is what the print provider needs to know anyway.  A garment claimed
by two colourways of one specimen goes to the first one listed in the spec.

**Images.**  Storefront images get content-hashed names (``{handle}--{garment}--{view}--{sha12}``)
so a changed image gets a new URL (Printful's file library deduplicates by URL), and are
linked or copied into ``DIR/images/`` to be hosted at the configured image base URL.  Without
mockups, the print PNG is shown flat on a 2048 px square of the garment colour (the print file
itself is 24 MP, over Shopify's image limit) and the summary says so.

**Spreadsheet safety.**  Every cell that a spreadsheet would run as a formula (starting with
``= + - @``, tab or carriage return) is prefixed with an apostrophe.

Settings come from the ``[commerce]`` table of ``shop.toml``, validated by :class:`Commerce`.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Colorway, Garment, Specimen

#: Shopify's product CSV header, in its required order (help.shopify.com sample file).
SHOPIFY_HEADER: tuple[str, ...] = (
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name",
    "Option3 Value", "Variant SKU", "Variant Grams", "Variant Inventory Tracker",
    "Variant Inventory Qty", "Variant Inventory Policy", "Variant Fulfillment Service",
    "Variant Price", "Variant Compare At Price", "Variant Requires Shipping", "Variant Taxable",
    "Variant Barcode", "Image Src", "Image Position", "Image Alt Text", "Gift Card", "SEO Title",
    "SEO Description", "Google Shopping / Google Product Category", "Google Shopping / Gender",
    "Google Shopping / Age Group", "Google Shopping / MPN", "Google Shopping / Condition",
    "Google Shopping / Custom Product", "Variant Image", "Variant Weight Unit",
    "Variant Tax Code", "Cost per item", "Included / United States", "Price / United States",
    "Compare At Price / United States", "Included / International", "Price / International",
    "Compare At Price / International", "Status",
)

#: Leading characters a spreadsheet treats as the start of a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

#: Storefront image side in pixels (Shopify's recommended square).
STORE_IMAGE_PX = 2048
#: Bumped when the derived-image drawing changes, so cached images are redrawn.
_DERIVE_VERSION = "flat-plate/1"
SHOP_MANIFEST = "shop-manifest.json"
_CACHE = ".derived-images.json"

SKU_FIELDS = ("slug", "handle", "plate", "garment", "colorway", "size", "family")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PrintifySettings(_Model):
    """Printify catalogue ids: blueprint 12 is the Bella+Canvas 3001; variants per provider."""

    blueprint_id: int = 12
    print_provider_id: int | None = None
    #: ``"garment-id/size"`` -> Printify variant id (from the provider's variants endpoint).
    variant_ids: dict[str, int] = Field(default_factory=dict)


class PrintfulSettings(_Model):
    """Printful catalogue ids: product 71 is the Bella+Canvas 3001 Unisex Staple T-Shirt."""

    product_id: int = 71
    variant_ids: dict[str, int] = Field(default_factory=dict)


class Commerce(_Model):
    """The ``[commerce]`` table of ``shop.toml``: money, variants, identifiers and images."""

    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    sizes: tuple[str, ...] = ("S", "M", "L", "XL", "2XL", "3XL")
    prices: dict[str, Decimal] = Field(default_factory=dict)
    costs: dict[str, Decimal] = Field(default_factory=dict)
    sku_pattern: str = "SPC-{plate:04d}-{garment}-{size}"
    image_base_url: str = ""
    product_type: str = "T-Shirt"
    product_category: str = "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts"
    grams: int | dict[str, int] = 145
    status: Literal["draft", "active", "archived"] = "draft"
    published: bool = False
    inventory_policy: Literal["deny", "continue"] = "deny"
    fulfillment_service: str = "manual"
    gender: str = "unisex"
    age_group: str = "adult"
    printify: PrintifySettings = PrintifySettings()
    printful: PrintfulSettings = PrintfulSettings()

    @field_validator("prices", "costs")
    @classmethod
    def _non_negative(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for size, amount in v.items():
            if amount < 0:
                msg = f"{size}: amount must not be negative"
                raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _complete(self) -> Commerce:
        if not self.sizes or len(set(self.sizes)) != len(self.sizes):
            msg = "sizes must be a non-empty list without repeats"
            raise ValueError(msg)
        missing = [s for s in self.sizes if s not in self.prices]
        if missing:
            msg = f"prices: no price for size(s) {', '.join(missing)}"
            raise ValueError(msg)
        if isinstance(self.grams, dict):
            lacking = [s for s in self.sizes if s not in self.grams]
            if lacking:
                msg = f"grams: no weight for size(s) {', '.join(lacking)}"
                raise ValueError(msg)
        sample = {"slug": "s", "handle": "h", "plate": 1, "garment": "g", "colorway": "c",
                  "size": "M", "family": "f"}
        try:
            self.sku_pattern.format(**sample)
        except (KeyError, IndexError, ValueError) as exc:
            msg = f"sku_pattern: {exc!s} is not a field; use {', '.join('{' + f + '}' for f in SKU_FIELDS)}"
            raise ValueError(msg) from None
        if "{size" not in self.sku_pattern or "{garment" not in self.sku_pattern:
            msg = "sku_pattern must contain {garment} and {size} so every variant has its own SKU"
            raise ValueError(msg)
        return self

    def price(self, size: str) -> str:
        """A size's price as Shopify writes it (two decimals)."""
        return f"{self.prices[size]:.2f}"

    def weight_g(self, size: str) -> int:
        """A size's shipping weight in grams."""
        return self.grams[size] if isinstance(self.grams, dict) else self.grams


def commerce_settings(catalog: Catalog) -> Commerce:
    """Validate ``[commerce]`` from the shop settings, naming the file and key on error."""
    try:
        return Commerce.model_validate(catalog.settings.commerce)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(["commerce", *(str(p) for p in first["loc"])])
        what = ("unknown key (check the spelling)" if first["type"] == "extra_forbidden"
                else first["msg"].removeprefix("Value error, "))
        msg = f"{catalog.settings_path}: key '{loc}': {what}"
        raise TeeprintError(msg) from None


# -- small helpers -----------------------------------------------------------------------------


def neutralise(cell: str) -> str:
    """Make a cell inert in spreadsheets: a leading formula character gets an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_LEADS) else cell


def sha256_bytes(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def _clip(text: str, limit: int) -> str:
    """Cut at a word boundary below ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-—")
    return cut + "…"


def image_url(base: str, name: str) -> str:
    """Where the storefront fetches an image: the base URL joined with the file name."""
    return f"{base.rstrip('/')}/{name}" if base else f"images/{name}"


# -- reading the rendered archive --------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """A specimen's folder as the batch left it: its manifest entries by kind."""

    spec: Specimen
    folder: Path
    outputs: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str, colorway: str | None = None) -> list[dict[str, Any]]:
        """Entries of one kind (and colourway), in manifest order."""
        return [o for o in self.outputs if o.get("kind") == kind
                and (colorway is None or o.get("colorway") == colorway)]

    def file(self, entry: dict[str, Any]) -> Path:
        """The file of a manifest entry."""
        return self.folder / str(entry["path"])


def read_rendered(catalog: Catalog, renders: Path) -> tuple[list[Rendered], list[str]]:
    """Every specimen with a manifest under ``renders``, and the slugs that have none."""
    from teeprint.batch import read_designs
    from teeprint.export import read_manifest

    found: list[Rendered] = []
    missing: list[str] = []
    designs = read_designs(catalog)
    specs = sorted((d.spec for d in designs.values() if d.spec is not None), key=lambda s: s.plate)
    for spec in specs:
        folder = renders / spec.slug
        manifest = read_manifest(folder)
        entries = tuple(e for e in manifest["outputs"] if isinstance(e, dict)
                        and isinstance(e.get("path"), str) and (folder / e["path"]).is_file())
        if entries:
            found.append(Rendered(spec, folder, entries))
        else:
            missing.append(spec.slug)
    return found, missing


# -- images ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreImage:
    """One storefront image: its hashed file name, what it shows, and where it came from."""

    name: str
    path: Path
    garment: str
    view: str
    alt: str
    source: Literal["mockup", "print"]
    width: int
    height: int


def _place(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst`` (a content-hashed name): hard link when possible, else copy."""
    from teeprint.export import atomic_write

    try:
        if dst.is_file() and dst.stat().st_size == src.stat().st_size:
            return
    except OSError:
        pass
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.link.tmp")
    try:
        tmp.unlink(missing_ok=True)
        os.link(src, tmp)
        os.replace(tmp, dst)
    except OSError:
        tmp.unlink(missing_ok=True)
        atomic_write(dst, src.read_bytes())


def flat_plate_jpegs(print_png: Path, grounds_hex: Sequence[str], side_px: int = STORE_IMAGE_PX) -> list[bytes]:
    """The print file shown flat on squares of garment colours (no mockup yet), one a colour.

    The plate is scaled once to 88 % of the square's height and centred on each ground; JPEG
    at quality 90 with no metadata, so the bytes depend only on the inputs.
    """
    from PIL import Image

    from teeprint.catalog import hex_rgb

    with Image.open(print_png) as im:
        art = im.convert("RGBA")
    target_h = round(side_px * 0.88)
    factor = max(1, art.height // target_h)
    if factor > 1:
        art = art.reduce(factor)
    if art.height != target_h:
        art = art.resize((round(art.width * target_h / art.height), target_h), Image.Resampling.LANCZOS)
    out = []
    for ground_hex in grounds_hex:
        ground = Image.new("RGBA", (side_px, side_px), (*hex_rgb(ground_hex), 255))
        ground.alpha_composite(art, ((side_px - art.width) // 2, (side_px - art.height) // 2))
        buf = io.BytesIO()
        ground.convert("RGB").save(buf, "JPEG", quality=90, optimize=True, subsampling=0)
        out.append(buf.getvalue())
    return out


def plate_view_jpeg(src: Path, width_px: int, aspect: float = 1.2, pad: float = 0.07) -> bytes:
    """The plate cut out of a picture of it; see :func:`_plate_view` (cached per file state)."""
    st = src.stat()
    return _plate_view(str(src), st.st_size, st.st_mtime_ns, width_px, aspect, pad)


@lru_cache(maxsize=64)
def _plate_view(src_name: str, _size: int, _mtime_ns: int, width_px: int, aspect: float, pad: float) -> bytes:
    """The plate cut out of a picture of it (a flat plate or the mockup stage's plate view).

    The plate's frame is found as the box of pixels far from the picture's border colour (its
    ink lines), padded, widened to ``aspect`` (height / width; the plate is 6:5) and scaled to
    ``width_px``; so the gallery and the lookbook show the plate, not the paper around it,
    whatever the framing of the picture.
    """
    import numpy as np
    from PIL import Image

    with Image.open(src_name) as im:
        full = im.convert("RGB")
    probe = full.copy()
    probe.thumbnail((400, 400))
    lum = np.asarray(probe.convert("L"), dtype=np.int16)
    border = np.concatenate([lum[0], lum[-1], lum[:, 0], lum[:, -1]])
    far = np.abs(lum - int(np.median(border))) > 60
    scale = full.width / probe.width
    if far.any():
        ys, xs = np.nonzero(far)
        x0, x1, y0, y1 = xs.min() * scale, (xs.max() + 1) * scale, ys.min() * scale, (ys.max() + 1) * scale
    else:
        x0, x1, y0, y1 = 0.0, float(full.width), 0.0, float(full.height)
    w, h = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    w, h = max(w, h / aspect), max(h, w * aspect)
    w, h = min(w, full.width, full.height / aspect), min(h, full.height, full.width * aspect)
    cx = min(max((x0 + x1) / 2, w / 2), full.width - w / 2)
    cy = min(max((y0 + y1) / 2, h / 2), full.height - h / 2)
    box = (round(cx - w / 2), round(cy - h / 2), round(cx + w / 2), round(cy + h / 2))
    out = full.crop(box).resize((width_px, round(width_px * aspect)), Image.Resampling.LANCZOS,
                                reducing_gap=2.0)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=88, optimize=True)
    return buf.getvalue()


@dataclass
class ImageCache:
    """Derived images already made, by the sha256 of their inputs (kept in ``DIR/images``)."""

    folder: Path
    entries: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path) -> ImageCache:
        """Read the cache index (a missing or broken index is an empty cache)."""
        try:
            data = json.loads((folder / _CACHE).read_text("utf-8"))
            entries = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            entries = {}
        return cls(folder, entries)

    def get(self, key: str) -> Path | None:
        """The cached file for an input key, if it is still there."""
        name = self.entries.get(key)
        return self.folder / name if name and (self.folder / name).is_file() else None

    def save(self, keep: set[str]) -> None:
        """Write the index, keeping only entries whose files are kept."""
        from teeprint.export import atomic_write

        self.entries = {k: v for k, v in sorted(self.entries.items()) if v in keep}
        atomic_write(self.folder / _CACHE, (json.dumps(self.entries, indent=1) + "\n").encode())


def _variant_plan(catalog: Catalog, spec: Specimen, rendered: Rendered) -> list[tuple[Colorway, Garment]]:
    """The garments a product is sold in, each with the colourway that prints on it.

    The reference garment of each colourway comes first, so the hero is the garment the tints
    were mixed for.  Only colourways the batch rendered count.
    """
    rendered_cws = {o.get("colorway") for o in rendered.outputs}
    plan: list[tuple[Colorway, Garment]] = []
    seen: set[str] = set()
    for cw_id in spec.colorways:
        if cw_id not in rendered_cws:
            continue
        cw = catalog.colorway(cw_id)
        for g_id in dict.fromkeys((cw.garment, *cw.garments)):
            if g_id in seen:
                continue
            seen.add(g_id)
            plan.append((cw, catalog.garment(g_id)))
    return plan


def _view_rank(view: str) -> tuple[int, str]:
    order = {"front": 0, "hero": 1}
    return order.get(view, 2), view


def plate_colorway(catalog: Catalog, rendered: Rendered) -> Colorway | None:
    """The colourway a plate is shown in on paper: the first light one rendered, else the first."""
    cws = [catalog.colorway(c) for c in rendered.spec.colorways
           if rendered.of_kind("print-png", c)]
    light = [c for c in cws if not c.dark]
    pick = light or cws
    return pick[0] if pick else None


@dataclass(frozen=True)
class FlatJob:
    """A flat-plate image to draw: print file, ground colour, and the name stem it will get."""

    key: str
    src: Path
    ground_hex: str
    stem: str


def _flat_job(rendered: Rendered, cw_id: str, garment: Garment, handle: str) -> FlatJob | None:
    prints = rendered.of_kind("print-png", cw_id)
    if not prints:
        return None
    key = sha256_bytes(f"{_DERIVE_VERSION}|{prints[0]['sha256']}|{garment.hex}|{STORE_IMAGE_PX}".encode())
    return FlatJob(key, rendered.file(prints[0]), garment.hex, f"{handle}--{garment.id}--plate")


def plate_mockup(rendered: Rendered, paper: Colorway) -> dict[str, Any] | None:
    """The mockup stage's picture of the plate on paper (view ``plate``), if it made one."""
    plates = [m for m in rendered.of_kind("mockup", paper.id) if m.get("view") == "plate"]
    plates.sort(key=lambda m: (m.get("garment") != paper.garment, str(m.get("garment"))))
    return plates[0] if plates else None


def flat_jobs(catalog: Catalog, rendered: Rendered, handle: str) -> list[FlatJob]:
    """The flat plates a product needs: garments without a mockup, and the plate on paper
    when the mockup stage did not draw one."""
    jobs: list[FlatJob] = []
    for cw, garment in _variant_plan(catalog, rendered.spec, rendered):
        if not any(m.get("garment") == garment.id for m in rendered.of_kind("mockup", cw.id)):
            job = _flat_job(rendered, cw.id, garment, handle)
            if job:
                jobs.append(job)
    paper = plate_colorway(catalog, rendered)
    if paper is not None and plate_mockup(rendered, paper) is None:
        job = _flat_job(rendered, paper.id, catalog.garment(paper.garment), handle)
        if job:
            jobs.append(job)
    return jobs


def draw_flat(jobs: Sequence[FlatJob], images_dir: Path, cache: ImageCache) -> dict[str, str]:
    """Draw the flat plates not in the cache, in threads (Pillow releases the GIL while it
    decodes); name each by the sha256 of its bytes.  Returns input key -> file name."""
    from concurrent.futures import ThreadPoolExecutor

    from teeprint.export import atomic_write

    names: dict[str, str] = {}
    todo: dict[str, FlatJob] = {}
    for job in jobs:
        hit = cache.get(job.key)
        if hit is not None:
            names[job.key] = hit.name
        else:
            todo[job.key] = job

    by_src: dict[Path, list[FlatJob]] = {}
    for job in todo.values():
        by_src.setdefault(job.src, []).append(job)

    def draw(group: list[FlatJob]) -> list[tuple[FlatJob, bytes]]:
        # One decode of the 24 MP print file serves every garment colour of its colourway.
        return list(zip(group, flat_plate_jpegs(group[0].src, [j.ground_hex for j in group]),
                        strict=True))

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for drawn in pool.map(draw, by_src.values()):
            for job, data in drawn:
                name = f"{job.stem}--{sha256_bytes(data)[:12]}.jpg"
                atomic_write(images_dir / name, data)
                cache.entries[job.key] = name
                names[job.key] = name
    return names


def _mockup_image(rendered: Rendered, entry: dict[str, Any], handle: str, garment: Garment,
                  images_dir: Path) -> StoreImage:
    """Place one mockup under its content-hashed storefront name."""
    spec = rendered.spec
    src = rendered.file(entry)
    view = str(entry.get("view") or "front")
    name = f"{handle}--{garment.id}--{view}--{str(entry['sha256'])[:12]}{src.suffix.lower()}"
    _place(src, images_dir / name)
    what = {"front": "front view", "closeup": "close-up of the print",
            "plate": "the plate on paper"}.get(view, f"{view} view")
    alt = _clip(f"{spec.name} specimen tee in {garment.name}, {what}: {spec.latin_title}, "
                f"plate {spec.plate}", 250)
    return StoreImage(name, images_dir / name, garment.id, view, alt, "mockup",
                      int(entry.get("width") or 0), int(entry.get("height") or 0))


def product_images(catalog: Catalog, rendered: Rendered, handle: str, images_dir: Path,
                   flat: dict[str, str]) -> tuple[list[StoreImage], StoreImage | None]:
    """The storefront images of one product in listing order, and its plate-on-paper image.

    First one image per garment (its variant image: the garment's front mockup, or the flat
    plate on the garment's colour), the hero garment first; then the other mockup views
    (close-up, plate) of each colourway's reference garment; then, when there are mockups but
    none of the plate, the flat plate on paper.
    """
    spec = rendered.spec
    out: list[StoreImage] = []
    extras: list[StoreImage] = []
    for cw, garment in _variant_plan(catalog, spec, rendered):
        mocks = [m for m in rendered.of_kind("mockup", cw.id) if m.get("garment") == garment.id]
        mocks.sort(key=lambda m: _view_rank(str(m.get("view", ""))))
        for n, m in enumerate(mocks):
            if n == 0:
                out.append(_mockup_image(rendered, m, handle, garment, images_dir))
            elif garment.id == cw.garment:
                extras.append(_mockup_image(rendered, m, handle, garment, images_dir))
        if mocks:
            continue
        job = _flat_job(rendered, cw.id, garment, handle)
        if job is None or job.key not in flat:
            continue
        name = flat[job.key]
        alt = _clip(f"{spec.name} plate printed on a {garment.name} tee: {spec.latin_title}, "
                    f"plate {spec.plate}", 250)
        out.append(StoreImage(name, images_dir / name, garment.id, "plate", alt, "print",
                              STORE_IMAGE_PX, STORE_IMAGE_PX))
    plate: StoreImage | None = None
    paper = plate_colorway(catalog, rendered)
    if paper is not None:
        entry = plate_mockup(rendered, paper)
        if entry is not None:
            plate = next((i for i in extras if i.view == "plate" and i.name.endswith(
                f"--{str(entry['sha256'])[:12]}{Path(str(entry['path'])).suffix.lower()}")), None)
            if plate is None:
                plate = _mockup_image(rendered, entry, handle, catalog.garment(str(entry.get("garment") or paper.garment)), images_dir)
                extras.append(plate)
        else:
            job = _flat_job(rendered, paper.id, catalog.garment(paper.garment), handle)
            if job is not None and job.key in flat:
                name = flat[job.key]
                alt = _clip(f"Plate {spec.plate}, {spec.latin_title}: the {spec.name} artwork "
                            f"in {paper.name} inks", 250)
                plate = StoreImage(name, images_dir / name, paper.garment, "plate", alt, "print",
                                   STORE_IMAGE_PX, STORE_IMAGE_PX)
                if any(i.source == "mockup" for i in out):
                    extras.append(plate)
    return out + extras, plate


# -- the Shopify CSV ---------------------------------------------------------------------------


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
    fields = _fields(spec)
    try:
        return pattern.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        msg = (f"{catalog.settings_path}: key 'shop.{key}': {exc!s} is not a field; use "
               f"{', '.join('{' + k + '}' for k in fields)}")
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


def shopify_rows(products: Sequence[Product], commerce: Commerce, vendor: str) -> list[list[str]]:
    """The CSV rows (header first): one row per variant, then image-only rows."""
    rows: list[list[str]] = [list(SHOPIFY_HEADER)]
    flag = {True: "TRUE", False: "FALSE"}
    for p in products:
        n = max(len(p.variants), len(p.images))
        for i in range(n):
            row = dict.fromkeys(SHOPIFY_HEADER, "")
            row["Handle"] = p.handle
            if i == 0:
                row.update({
                    "Title": p.title, "Body (HTML)": p.body_html, "Vendor": vendor,
                    "Product Category": commerce.product_category, "Type": commerce.product_type,
                    "Tags": ", ".join(p.tags), "Published": flag[commerce.published],
                    "Option1 Name": "Color", "Option2 Name": "Size", "Gift Card": "FALSE",
                    "SEO Title": p.seo_title, "SEO Description": p.seo_description,
                    "Google Shopping / Gender": commerce.gender,
                    "Google Shopping / Age Group": commerce.age_group,
                    "Google Shopping / Condition": "new",
                    "Google Shopping / Custom Product": "FALSE",
                    "Included / United States": "TRUE", "Included / International": "TRUE",
                    "Status": commerce.status,
                })
            if i < len(p.variants):
                v = p.variants[i]
                row.update({
                    "Option1 Value": v.garment_name, "Option2 Value": v.size,
                    "Variant SKU": v.sku, "Variant Grams": str(v.grams),
                    "Variant Inventory Tracker": "", "Variant Inventory Qty": "",
                    "Variant Inventory Policy": commerce.inventory_policy,
                    "Variant Fulfillment Service": commerce.fulfillment_service,
                    "Variant Price": v.price, "Variant Requires Shipping": "TRUE",
                    "Variant Taxable": "TRUE", "Variant Image": v.image,
                    "Variant Weight Unit": "g",
                    "Cost per item": f"{commerce.costs[v.size]:.2f}" if v.size in commerce.costs else "",
                })
            if i < len(p.images):
                row.update({"Image Src": p.image_urls[i], "Image Position": str(i + 1),
                            "Image Alt Text": p.images[i].alt})
            rows.append([neutralise(row[h]) for h in SHOPIFY_HEADER])
    return rows


def shopify_csv(products: Sequence[Product], commerce: Commerce, vendor: str) -> bytes:
    """The Shopify import file: UTF-8, RFC 4180 quoting, formula cells neutralised."""
    rows = shopify_rows(products, commerce, vendor)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


# -- print-on-demand payloads ------------------------------------------------------------------


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


# -- the export --------------------------------------------------------------------------------


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
                       f"{', '.join(self.without_mockups)}")
        if self.not_rendered:
            out.append(f"shop: not rendered, left out ({len(self.not_rendered)}): "
                       f"{', '.join(self.not_rendered)}; run `teeprint batch --all`")
        out += [f"shop: {n}" for n in self.notes]
        return out


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


def export(catalog: Catalog, renders: Path, out: Path, *, image_base_url: str | None = None,
           gallery: bool = True, lookbook: bool = True) -> ExportReport:
    """Write the shop files for every rendered specimen into ``out``."""
    from teeprint.export import atomic_write

    commerce = commerce_settings(catalog)
    base_url = image_base_url if image_base_url is not None else commerce.image_base_url
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
    atomic_write(out / "products.csv", shopify_csv(products, commerce, catalog.settings.shop.vendor))
    missing_ids = 0
    pod_names: dict[str, set[str]] = {"printify": set(), "printful": set()}
    for r, p in zip(rendered, products, strict=True):
        urls = _print_files(r, base_url, images_dir)
        keep.update(u.rsplit("/", 1)[-1] for u in urls.values())
        for kind, payload in (("printify", printify_payload(p, commerce, urls)),
                              ("printful", printful_payload(p, commerce, urls))):
            name = f"{p.handle}.json"
            pod_names[kind].add(name)
            text = json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            atomic_write(out / kind / name, text.encode("utf-8"))
        missing_ids += sum(1 for v in p.variants if f"{v.garment}/{v.size}" not in commerce.printful.variant_ids)
        if len(p.variants) > 100:
            report.notes.append(f"{p.handle}: {len(p.variants)} variants; Printful takes at most 100 "
                                "per sync product, trim [commerce].sizes or the colourways' garments")
    for kind, names in pod_names.items():
        _prune(out / kind, names)
    _prune(images_dir, keep)
    cache.save(keep)
    report.products = len(products)
    report.variants = sum(len(p.variants) for p in products)
    if not base_url:
        report.notes.append("no image base URL: Image Src holds relative paths (images/...); host "
                            "DIR/images/ and pass --image-base-url URL before importing to Shopify")
    if missing_ids:
        report.notes.append(f"{missing_ids} variant(s) have no catalogue variant id in the Printify/"
                            "Printful payloads (null); add them under [commerce.printful.variant_ids] "
                            "and [commerce.printify.variant_ids] as \"garment/size\" = id")
    if gallery:
        from teeprint import gallery as gallery_mod

        gallery_mod.write(catalog, products, rendered, out)
    if lookbook:
        from teeprint import lookbook as lookbook_mod

        lookbook_mod.write(catalog, products, out / "lookbook.pdf")
    report.files = write_manifest(out)
    return report
