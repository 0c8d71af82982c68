"""Storefront images: mockups placed under content-hashed names, the print file shown flat
on garment colours when there is no mockup, and the plate cut out for the gallery and lookbook."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Colorway, Garment, Specimen

from teeprint.storefront.archive import Rendered, sha256_bytes

#: Storefront image side in pixels (Shopify's recommended square).
STORE_IMAGE_PX = 2048
#: Bumped when the derived-image drawing changes, so cached images are redrawn.
_DERIVE_VERSION = "flat-plate/1"
_CACHE = ".derived-images.json"


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
    order = {"front": 0, "hero": 1, "hanger": 2, "folded": 3, "closeup": 4, "range": 5,
             "plate": 6}
    return order.get(view, 7), view


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
            "hanger": "on a hanger against a wall", "folded": "folded",
            "range": "every colour it comes in", "plate": "the plate on paper"}.get(
                view, f"{view} view")
    alt = _clip(f"{spec.name} specimen tee in {garment.name}, {what}: {spec.latin_title}, "
                f"plate {spec.plate}", 250)
    return StoreImage(name, images_dir / name, garment.id, view, alt, "mockup",
                      int(entry.get("width") or 0), int(entry.get("height") or 0))


def product_images(catalog: Catalog, rendered: Rendered, handle: str, images_dir: Path,
                   flat: dict[str, str]) -> tuple[list[StoreImage], StoreImage | None]:
    """The storefront images of one product in listing order, and its plate-on-paper image.

    First one image per garment (its variant image: the garment's front mockup, or the flat
    plate on the garment's colour), the hero garment first; then the other mockup views
    (hanger, folded, close-up, colour range, plate) of each colourway's reference garment; then, when there are mockups but
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
