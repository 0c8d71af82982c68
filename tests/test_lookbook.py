"""The lookbook PDF: pages, embedded fonts (pdffonts), text, determinism, and how it looks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.archive_factory import rendered_shop


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return rendered_shop(tmp_path_factory.getbasetemp() / "archive")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def test_pages_cover_index_and_one_per_specimen(root):
    pdf = root / "shop" / "lookbook.pdf"
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+5$", info, re.M), info  # cover, index, 3 plates
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    assert "CATALOGUS SPECIMINUM" in pages[0].replace(" ", "").replace("CATALOGUSSPECIMINUM", "CATALOGUS SPECIMINUM")
    index = pages[1]
    # The index is by family, in catalogue order, and its page numbers are right.
    assert index.index("LEARNING THEORY") < index.index("OPTIMISATION") < index.index("REGULARISATION")
    # Each family heading carries the family's statement.
    assert "Why models generalise" in index and "Everything added to make a fit" in index
    for slug_name, page in (("Double descent", 3), ("Night descent", 4), ("Ridge echo", 5)):
        line = next(ln for ln in index.splitlines() if f"{slug_name} ·" in ln)
        assert line.rstrip().endswith(str(page)), line
        assert slug_name in pages[page - 1]
    assert "Belkin" in pages[2] and "PROVENANCE" in pages[2] and "seed 0" in pages[2]


def test_every_font_is_embedded(root):
    out = subprocess.run([tool("pdffonts"), str(root / "shop" / "lookbook.pdf")], capture_output=True,
                         text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert len(rows) >= 4, out
    for row in rows:
        cols = row.split()
        emb = cols[-5]
        assert emb == "yes", row
        assert "Helvetica" not in row and "Times" not in row
    names = " ".join(rows)
    assert "EBGaramond" in names and "Cinzel" in names and "IBMPlexMono" in names


def test_same_archive_same_bytes(root):
    from teeprint.catalog import Catalog
    from teeprint.storefront import lookbook
    from teeprint.storefront.archive import read_rendered
    from teeprint.storefront.images import ImageCache, draw_flat, flat_jobs, product_images
    from teeprint.storefront.products import build_product
    from teeprint.storefront.settings import commerce_settings

    cat = Catalog.load(root / "shop.toml")
    commerce = commerce_settings(cat)
    rendered, _ = read_rendered(cat, root / "out")
    images = root / "shop" / "images"
    cache = ImageCache.open(images)
    flat = draw_flat([j for r in rendered for j in flat_jobs(cat, r, f"{r.spec.slug}-tee")], images, cache)
    products = []
    for r in rendered:
        imgs, plate = product_images(cat, r, f"{r.spec.slug}-tee", images, flat)
        products.append(build_product(cat, commerce, r, imgs, plate, ""))
    pdf = lookbook.render(cat, products)
    assert pdf == (root / "shop" / "lookbook.pdf").read_bytes()


def test_pages_look_right(root, artifacts):
    """Rasterise the cover, the index and a plate page for a person to look at."""
    pdf = root / "shop" / "lookbook.pdf"
    prefix = artifacts / "lookbook"
    subprocess.run([tool("pdftoppm"), "-r", "50", "-png", "-f", "1", "-l", "3", str(pdf), str(prefix)],
                   check=True)
    from PIL import Image

    pages = sorted(artifacts.glob("lookbook-*.png"))
    assert len(pages) >= 3
    with Image.open(pages[2]) as im:
        rgb = im.convert("RGB")
        # The ecru paper fills the page corner; the plate picture sits in the upper half.
        assert rgb.getpixel((5, 5)) == pytest.approx((241, 233, 218), abs=3)
        w, h = rgb.size
        top = rgb.crop((w // 4, h // 6, 3 * w // 4, h // 2)).getcolors(1 << 16)
        assert top and len(top) > 20  # a picture, not blank paper


def test_index_pages_fit_and_families_carry_over():
    from teeprint.storefront.lookbook import (
        FAMILY_ROW_PT,
        INDEX_BOTTOM_PT,
        INDEX_TOP_PT,
        PLATE_ROW_PT,
        paginate_index,
    )

    rows = []
    for f in range(6):
        rows.append(("family", f"Family {f}", "", 0))
        rows += [("plate", "I", f"plate {f}.{i}", 3) for i in range(2 + 5 * f)]
    pages = paginate_index(rows)
    assert len(pages) >= 2
    for page in pages:
        used = sum(FAMILY_ROW_PT if r[0] == "family" else PLATE_ROW_PT for r in page)
        assert INDEX_TOP_PT - used >= INDEX_BOTTOM_PT - PLATE_ROW_PT
        assert page[0][0] == "family" and page[-1][0] == "plate"
    plates = [r for page in pages for r in page if r[0] == "plate"]
    assert plates == [r for r in rows if r[0] == "plate"]
    assert any(r[1].endswith("(cont.)") for page in pages[1:] for r in page[:1])


def test_every_subset_has_its_own_tag(root):
    out = subprocess.run([tool("pdffonts"), str(root / "shop" / "lookbook.pdf")], capture_output=True,
                         text=True, check=True).stdout
    names = [row.split()[0] for row in out.splitlines()[2:]]
    tags = [n.split("+", 1)[0] for n in names]
    assert all(re.fullmatch(r"[A-Z]{6}", tag) for tag in tags), names
    assert len(set(tags)) == len(tags), names


def test_outline_and_index_links_lead_to_the_plates(root):
    import pikepdf

    with pikepdf.open(root / "shop" / "lookbook.pdf") as pdf:
        with pdf.open_outline() as outline:
            top = [item.title for item in outline.root]
            assert top[:2] == ["Catalogus Speciminum", "Index"]
            families = outline.root[2:]
            assert [f.title for f in families] == ["Learning theory & generalisation",
                                                   "Optimisation & training dynamics",
                                                   "Regularisation"]
            plates = [child.title for f in families for child in f.children]
            assert len(plates) == 3 and plates[0].endswith("Double descent")
        page_of = {p.objgen: i for i, p in enumerate(pdf.pages)}
        links = [a for a in pdf.pages[1].get("/Annots", []) if a.get("/Subtype") == "/Link"]
        assert len(links) == 3
        targets = []
        for a in links:
            dest = a.get("/Dest") or a["/A"]["/D"]
            if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                dest = pdf.Root.Names.Dests if "/Names" in pdf.Root else pdf.Root.Dests[str(dest)]
            targets.append(page_of[dest[0].objgen])
        assert sorted(targets) == [2, 3, 4]


def test_a_character_a_face_lacks_is_set_in_one_that_has_it(catalog):
    from teeprint.storefront.lookbook import register_fonts

    fonts = register_fonts(catalog, "heavy ball β = 0.7, η, Wᵀ x⁻¹ א")
    runs = fonts.runs("β = 0.7, η", "mono")
    assert runs[0] == (fonts["serif"], "β") and runs[1] == (fonts["mono"], " = 0.7, ")
    for name, text in fonts.runs("heavy ball β = 0.7, η, Wᵀ x⁻¹", "mono"):
        face = next(f for f, n in fonts.names.items() if n == name)
        assert all(ord(ch) in fonts.covers[face] or ch.isspace() for ch in text), (face, text)
    assert fonts.missing("Wᵀ x⁻¹ β") == set() and fonts.missing("א") == {"א"}
