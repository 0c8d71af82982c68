"""The shop export: Shopify CSV (header, variants, formula cells), POD payloads, images, manifest."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.archive_factory import make_archive, rendered_shop, teeprint

#: The 57 columns of Shopify's current product import template (Products > Import > sample CSV),
#: as published in Shopify's sample file, written out here independently of the writer.
CURRENT_TEMPLATE = (
    "Title|URL handle|Description|Vendor|Product category|Type|Tags|Published on online store|"
    "Status|SKU|Barcode|Option1 name|Option1 value|Option1 Linked To|Option2 name|Option2 value|"
    "Option2 Linked To|Option3 name|Option3 value|Option3 Linked To|Price|Compare-at price|"
    "Cost per item|Charge tax|Tax code|Unit price total measure|Unit price total measure unit|"
    "Unit price base measure|Unit price base measure unit|Inventory tracker|Inventory quantity|"
    "Continue selling when out of stock|Weight value (grams)|Weight unit for display|"
    "Requires shipping|Fulfillment service|Product image URL|Image position|Image alt text|"
    "Variant image URL|Gift card|SEO title|SEO description|"
    "Color (product.metafields.shopify.color-pattern)|Google Shopping / Google product category|"
    "Google Shopping / Gender|Google Shopping / Age group|"
    "Google Shopping / Manufacturer part number (MPN)|Google Shopping / Ad group name|"
    "Google Shopping / Ads labels|Google Shopping / Condition|Google Shopping / Custom product|"
    "Google Shopping / Custom label 0|Google Shopping / Custom label 1|"
    "Google Shopping / Custom label 2|Google Shopping / Custom label 3|"
    "Google Shopping / Custom label 4"
).split("|")
#: The previous template (Handle, Body (HTML), Variant SKU ...), kept behind csv_format = "legacy".
LEGACY_TEMPLATE = (
    "Handle, Title, Body (HTML), Vendor, Product Category, Type, Tags, Published, Option1 Name, "
    "Option1 Value, Option2 Name, Option2 Value, Option3 Name, Option3 Value, Variant SKU, "
    "Variant Grams, Variant Inventory Tracker, Variant Inventory Qty, Variant Inventory Policy, "
    "Variant Fulfillment Service, Variant Price, Variant Compare At Price, Variant Requires "
    "Shipping, Variant Taxable, Variant Barcode, Image Src, Image Position, Image Alt Text, Gift "
    "Card, SEO Title, SEO Description, Google Shopping / Google Product Category, Google Shopping "
    "/ Gender, Google Shopping / Age Group, Google Shopping / MPN, Google Shopping / Condition, "
    "Google Shopping / Custom Product, Variant Image, Variant Weight Unit, Variant Tax Code, Cost "
    "per item"
).split(", ")

BASE = "https://cdn.example.test/specimina/"
REPO_CATALOGUES = Path(__file__).resolve().parent / "data" / "catalogues"


@pytest.fixture(scope="module")
def shop_root(tmp_path_factory) -> Path:
    return rendered_shop(tmp_path_factory.getbasetemp() / "archive")


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")  # must be UTF-8
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_is_shopifys_current_template_read_alike_by_two_parsers(shop_root):
    import pyarrow.csv as pacsv

    raw = (shop_root / "shop" / "products.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert header == CURRENT_TEMPLATE + ["Included / United States", "Price / United States",
                                         "Compare-at price / United States"]
    rows = read_csv(shop_root / "shop" / "products.csv")
    table = pacsv.read_csv(io.BytesIO(raw), read_options=pacsv.ReadOptions(autogenerate_column_names=False),
                           convert_options=pacsv.ConvertOptions(
                               column_types=dict.fromkeys(header, __import__("pyarrow").string()),
                               strings_can_be_null=False))
    assert table.column_names == header and table.num_rows == len(rows)
    for name in ("URL handle", "Description", "SKU", "Price", "Product image URL", "Tags"):
        assert table.column(name).to_pylist() == [r[name] for r in rows]


def test_one_product_per_specimen_with_color_by_size_variants(shop_root):
    from teeprint.catalog import Catalog

    cat = Catalog.load(shop_root / "shop.toml")
    commerce = cat.settings.commerce
    rows = read_csv(shop_root / "shop" / "products.csv")
    handles = list(dict.fromkeys(r["URL handle"] for r in rows))
    assert handles == ["double-descent-tee", "ridge-echo-tee", "night-descent-tee"]  # by plate
    dd = [r for r in rows if r["URL handle"] == "double-descent-tee"]
    first = dd[0]
    assert first["Option1 name"] == "Color" and first["Option2 name"] == "Size"
    assert first["Status"] == "Draft" and first["Published on online store"] == "FALSE"
    assert first["Included / United States"] == "TRUE"
    assert first["Title"].startswith("Double descent") and first["Vendor"] == "Specimina"
    assert "Learning theory" in first["Tags"] and "interpolation" in first["Tags"]
    assert first["SEO title"] and len(first["SEO title"]) <= 70
    assert 0 < len(first["SEO description"]) <= 320
    assert all(r["Title"] == "" for r in dd[1:])  # product fields on the first row only
    variants = [r for r in dd if r["Option1 value"]]
    garments = {g.id: g.name for g in cat.garments()}
    sold = [*cat.colorway("ecru").garments, *cat.colorway("black").garments]
    assert {r["Option1 value"] for r in variants} == {garments[g] for g in sold}
    assert len(variants) == len(sold) * len(commerce["sizes"])
    pairs = {(r["Option1 value"], r["Option2 value"]) for r in variants}
    assert len(pairs) == len(variants)
    us = commerce["markets"]["United States"]["prices"]
    for r in variants:
        assert Decimal(r["Price"]) == Decimal(commerce["prices"][r["Option2 value"]])
        assert Decimal(r["Price / United States"]) == Decimal(str(us[r["Option2 value"]]))
        assert r["SKU"] == f"SPC-0001-{next(k for k, v in garments.items() if v == r['Option1 value'])}-{r['Option2 value']}"
        assert r["Continue selling when out of stock"] == "DENY" and r["Requires shipping"] == "TRUE"
    all_skus = [r["SKU"] for r in rows if r["SKU"]]
    assert len(all_skus) == len(set(all_skus))
    # One colour, one picture: the variant image is shared by the sizes of a colour and differs
    # between colours.
    by_colour: dict[str, set[str]] = {}
    for r in variants:
        by_colour.setdefault(r["Option1 value"], set()).add(r["Variant image URL"])
    assert all(len(v) == 1 for v in by_colour.values())
    assert len({next(iter(v)) for v in by_colour.values()}) == len(by_colour)
    # Single-colourway products sell only that colourway's garments.
    ridge = [r for r in rows if r["URL handle"] == "ridge-echo-tee" and r["Option1 value"]]
    assert {r["Option1 value"] for r in ridge} == {garments[g] for g in cat.colorway("ecru").garments}


def test_images_are_hosted_under_hashed_names(shop_root):
    rows = read_csv(shop_root / "shop" / "products.csv")
    images = shop_root / "shop" / "images"
    srcs = [r["Product image URL"] for r in rows if r["Product image URL"]]
    assert srcs and all(s.startswith(BASE) for s in srcs)
    for r in rows:
        if r["Product image URL"]:
            assert r["Image alt text"], r
            assert r["Image position"].isdigit()
    for url in {*srcs, *(r["Variant image URL"] for r in rows if r["Variant image URL"])}:
        name = url.removeprefix(BASE)
        data = (images / name).read_bytes()
        assert name.rsplit("--", 1)[1].split(".")[0] == hashlib.sha256(data).hexdigest()[:12]
        from PIL import Image

        with Image.open(images / name) as im:
            assert im.size == (2048, 2048)  # within Shopify's 20 MP / 4472 px limit


def test_printify_payloads_carry_catalogue_ids_upload_ids_and_true_size(shop_root, tmp_path):
    shop = shop_root / "shop"
    uploads = json.loads((shop / "printify" / "uploads.json").read_text())
    assert uploads and all(u["url"].startswith(BASE) for u in uploads)
    assert not (shop / "printify" / "double-descent-tee.json").exists()  # no upload ids yet
    # The shop uploads the files and saves Printify's responses; the next export uses the ids.
    responses = [{"id": f"{i:024x}", "file_name": u["file_name"], "height": 5400, "width": 4500,
                  "size": 1, "mime_type": "image/png", "preview_url": "", "upload_time": ""}
                 for i, u in enumerate(uploads)]
    root = tmp_path / "shop"
    shutil.copytree(shop_root, root, ignore=shutil.ignore_patterns("shop"))
    (root / "catalogues" / "uploads.json").write_text(json.dumps(responses))
    toml = root / "shop.toml"
    toml.write_text(toml.read_text().replace(
        'catalogue = "catalogues/printify-12-29-variants.json"\n',
        'catalogue = "catalogues/printify-12-29-variants.json"\nuploads = "catalogues/uploads.json"\n'))
    r = teeprint(root, "shop", "export", "--renders", str(root / "out"), "--out", str(root / "s"),
                 "--image-base-url", BASE, "--no-gallery", "--no-lookbook")
    assert r.returncode == 0, r.stderr
    body = json.loads((root / "s" / "printify" / "double-descent-tee.json").read_text())
    assert set(body) == {"title", "description", "tags", "blueprint_id", "print_provider_id",
                         "variants", "print_areas"}
    assert body["blueprint_id"] == 12 and body["print_provider_id"] == 29
    catalogue = json.loads((REPO_CATALOGUES / "printify-12-29-variants.json").read_text())
    by_id = {v["id"]: v["options"] for v in catalogue["variants"]}
    from teeprint.catalog import Catalog

    cat = Catalog.load(root / "shop.toml")
    n_sizes = len(cat.settings.commerce["sizes"])
    assert len(body["variants"]) == 8 * n_sizes
    for v in body["variants"]:
        assert set(v) == {"id", "price", "is_enabled"} and v["id"] in by_id
        assert isinstance(v["price"], int) and v["price"] >= 3200
    colours = {by_id[v["id"]]["color"] for v in body["variants"]}
    assert "Oxblood" in colours and "White" not in colours  # mapped, and only what is sold
    ids = {r["id"] for r in responses}
    assert len(body["print_areas"]) == 2  # one print file per colourway
    assert sum(len(a["variant_ids"]) for a in body["print_areas"]) == len(body["variants"])
    for area in body["print_areas"]:
        (ph,) = area["placeholders"]
        (img,) = ph["images"]
        assert ph["position"] == "front" and img["id"] in ids
        # 15 x 18 in at 300 dpi on a 4500 x 5400 px front area: full width, top at the top.
        assert img["scale"] == 1.0 and img["x"] == 0.5 and img["y"] == 0.5 and img["angle"] == 0


def test_printful_needs_a_print_that_fits_its_area(shop_root, tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(shop_root, root, ignore=shutil.ignore_patterns("shop"))
    toml = root / "shop.toml"
    toml.write_text(toml.read_text().replace(
        "[commerce.printful]\n", "[commerce.printful]\ncatalogue = \"catalogues/printful-71-product.json\"\n"
        "printfiles = \"catalogues/printful-71-printfiles.json\"\ncolors = { oxblood-black = \"Oxblood\" }\n"))
    r = teeprint(root, "shop", "export", "--renders", str(root / "out"), "--out", str(root / "s"),
                 "--image-base-url", BASE, "--no-gallery", "--no-lookbook")
    assert r.returncode == 2 and "does not fit" in r.stderr and "12 x 16 in" in r.stderr
    assert "--preset 12x16" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (root / "s" / "products.csv").exists()  # nothing half-written


def test_printful_payload_places_a_12x16_print_at_true_size():
    from teeprint.storefront import pod
    from teeprint.storefront.products import Product, Variant

    cat = pod.printful_catalogue(REPO_CATALOGUES / "printful-71-product.json",
                                 REPO_CATALOGUES / "printful-71-printfiles.json")
    assert cat.area_px == (1800, 2400) and cat.area_dpi == 150
    from teeprint.storefront.settings import Commerce

    commerce = Commerce.model_validate({"prices": dict.fromkeys(("S", "M", "L", "XL", "2XL", "3XL"), "32")})
    variants = (Variant("ecru", "soft-cream", "Soft Cream", "M", "SKU-1", "32.00", 145, ""),
                Variant("black", "navy", "Navy", "XL", "SKU-2", "32.00", 175, ""))
    product = Product(None, "dd-tee", "Double descent", "", (), "", "", variants, (),
                      ("https://x/i.jpg",), False, None)
    files = {"ecru": pod.PrintFile("https://x/e.png", "e.png", 3600, 4800, 300.0),
             "black": pod.PrintFile("https://x/b.png", "b.png", 3600, 4800, 300.0)}
    body = pod.printful_payload(product, commerce, files, cat)
    assert body["sync_product"] == {"name": "Double descent", "external_id": "dd-tee",
                                    "thumbnail": "https://x/i.jpg"}
    ids = {(v["color"], v["size"]): v["id"] for v in json.loads(
        (REPO_CATALOGUES / "printful-71-product.json").read_text())["result"]["variants"]}
    first, second = body["sync_variants"]
    assert first["variant_id"] == ids[("Soft Cream", "M")] and second["variant_id"] == ids[("Navy", "XL")]
    assert first["files"] == [{"type": "front", "url": "https://x/e.png", "position": {
        "area_width": 1800, "area_height": 2400, "width": 1800, "height": 2400, "top": 0, "left": 0,
        "limit_to_print_area": True}}]
    missing = Variant("ecru", "tan", "Tan", "5XL", "SKU-3", "32.00", 145, "")
    with pytest.raises(Exception, match="has no size '5XL'"):
        pod.printful_payload(dataclasses.replace(product, variants=(missing,)), commerce, files, cat)


def test_manifest_lists_every_file_with_its_hash(shop_root):
    out = shop_root / "shop"
    manifest = json.loads((out / "shop-manifest.json").read_text())
    listed = {e["path"]: e for e in manifest["files"]}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
               and not any(part.startswith(".") for part in p.relative_to(out).parts)}
    assert set(listed) == on_disk - {"shop-manifest.json"}
    for path, e in listed.items():
        data = (out / path).read_bytes()
        assert e["sha256"] == hashlib.sha256(data).hexdigest() and e["bytes"] == len(data)
    kinds = {e["kind"] for e in listed.values()}
    assert {"shopify-csv", "image", "printify-json", "gallery", "lookbook"} <= kinds  # printful: no catalogue here


def test_export_is_deterministic_and_says_when_mockups_are_missing(shop_root, tmp_path):
    r = teeprint(shop_root, "shop", "export", "--renders", str(shop_root / "out"), "--out",
                 str(tmp_path / "again"), "--image-base-url", BASE, "--no-gallery", "--no-lookbook")
    assert r.returncode == 0, r.stderr
    assert "no mockups yet for 3 specimen(s)" in r.stderr
    for name in ("products.csv", "printify/uploads.json"):
        assert (tmp_path / "again" / name).read_bytes() == (shop_root / "shop" / name).read_bytes()


def test_mockups_become_variant_images_when_the_batch_made_them(shop_root, tmp_path):
    """Manifest ``mockup`` entries (garment + view) replace the flat plates: the front view is
    the variant image, the reference garment's other views follow, and the plate view stands in
    for the flat plate on paper."""
    from PIL import Image

    renders = tmp_path / "renders"
    shutil.copytree(shop_root / "out" / "ridge-echo", renders / "ridge-echo")
    manifest = json.loads((renders / "ridge-echo" / "manifest.json").read_text())
    made: dict[str, bytes] = {}
    for view, colour in (("front", "#e7d4c0"), ("closeup", "#d9c4ae"), ("plate", "#efe8dc")):
        buf = io.BytesIO()
        Image.new("RGB", (1200, 1200), colour).save(buf, "JPEG", quality=80)
        data = made[view] = buf.getvalue()
        name = f"ridge-echo--soft-cream--{view}.jpg"
        (renders / "ridge-echo" / name).write_bytes(data)
        manifest["outputs"].append({"path": name, "kind": "mockup", "colorway": "ecru",
                                    "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                                    "width": 1200, "height": 1200, "dpi": None,
                                    "garment": "soft-cream", "view": view})
    (renders / "ridge-echo" / "manifest.json").write_text(json.dumps(manifest))
    r = teeprint(shop_root, "shop", "export", "--renders", str(renders), "--out", str(tmp_path / "s"),
                 "--image-base-url", BASE, "--no-gallery", "--no-lookbook")
    assert r.returncode == 0, r.stderr
    assert "no mockups yet" not in r.stderr
    rows = read_csv(tmp_path / "s" / "products.csv")

    def url(view: str) -> str:
        return f"{BASE}ridge-echo-tee--soft-cream--{view}--{hashlib.sha256(made[view]).hexdigest()[:12]}.jpg"

    cream = {r["Variant image URL"] for r in rows if r["Option1 value"] == "Soft Cream"}
    assert cream == {url("front")}
    srcs = [r["Product image URL"] for r in rows if r["Product image URL"]]
    assert srcs[0] == url("front")  # the hero is the reference garment's front mockup
    assert srcs[-2:] == [url("closeup"), url("plate")]
    tan = {r["Variant image URL"] for r in rows if r["Option1 value"] == "Tan"}
    assert len(tan) == 1 and "--tan--plate--" in next(iter(tan))  # no mockup: the flat plate
    jpgs = sorted(p.name for p in (tmp_path / "s" / "images").glob("*.jpg"))
    assert len(jpgs) == 3 + 2  # three mockups, flat plates for the two garments without one
    assert (tmp_path / "s" / "images" / url("front").removeprefix(BASE)).read_bytes() == made["front"]


def test_formula_cells_are_neutralised(catalog, tmp_path):
    from teeprint.storefront.archive import Rendered
    from teeprint.storefront.products import build_product
    from teeprint.storefront.settings import commerce_settings
    from teeprint.storefront.shopify import FORMULA_LEADS, neutralise, shopify_csv

    assert neutralise("=1+1") == "'=1+1" and neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx" and neutralise("-3") == "'-3"
    assert neutralise("Plate I") == "Plate I"
    spec = catalog.specimen("double-descent").model_copy(update={
        "name": "=HYPERLINK(\"http://x\")", "caption": "+cmd|' /C calc'!A0",
        "tags": ("-2+3", "@SUM(1)", "\tTab"), "motto": "=1"})
    rendered = Rendered(spec, tmp_path, ({"path": "x.png", "kind": "print-png", "colorway": "ecru",
                                          "sha256": "0" * 64},))
    commerce = commerce_settings(catalog)
    product = build_product(catalog, commerce, rendered, [], None, BASE)
    text = shopify_csv([product], commerce, "@vendor").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [c for row in rows[1:] for c in row]
    assert not any(c.startswith(FORMULA_LEADS) for c in cells)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Title"].startswith("'=HYPERLINK") and first["Vendor"] == "'@vendor"
    assert first["SEO description"].startswith("'+cmd")
    assert first["Tags"].startswith(("'", "Learning"))


def test_commerce_settings_errors_name_the_key(tmp_path):
    root = make_archive(tmp_path / "a")
    shop = root / "shop.toml"
    shop.write_text(shop.read_text().replace(', 3XL = "38.00" }', " }"))
    r = teeprint(root, "shop", "export", "--renders", str(root / "out"), "--out", str(root / "s"))
    assert r.returncode == 2
    assert "commerce.prices" in r.stderr or "prices" in r.stderr
    assert "3XL" in r.stderr and "Traceback" not in r.stderr
    original = (Path(__file__).resolve().parent.parent / "shop.toml").read_text()
    shop.write_text(original.replace('sku_pattern = "SPC-{plate:04d}-{garment}-{size}"',
                                             'sku_pattern = "SPC-{colour}-{size}"'))
    r = teeprint(root, "shop", "export", "--renders", str(root / "out"), "--out", str(root / "s"))
    assert r.returncode == 2 and "sku_pattern" in r.stderr


def test_nothing_rendered_is_an_error(tmp_path):
    root = make_archive(tmp_path / "a")
    r = teeprint(root, "shop", "export", "--renders", str(root / "nothing"), "--out", str(root / "s"),
                 "--local-preview")
    assert r.returncode == 2 and "teeprint batch" in r.stderr


@pytest.mark.parametrize(("args", "says"), [
    ([], "no image base URL"),
    (["--image-base-url", "http://cdn.example.test/x/"], "not an absolute https:// URL"),
    (["--image-base-url", "images/"], "not an absolute https:// URL"),
    (["--image-base-url", 'https://x.test/"onload=1'], "not an absolute https:// URL"),
])
def test_image_cells_must_be_https_unless_for_a_local_preview(shop_root, tmp_path, args, says):
    out = tmp_path / "s"
    r = teeprint(shop_root, "shop", "export", "--renders", str(shop_root / "out"), "--out", str(out),
                 "--no-gallery", "--no-lookbook", *args)
    assert r.returncode == 2 and says in r.stderr and "--local-preview" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()
    r = teeprint(shop_root, "shop", "export", "--renders", str(shop_root / "out"), "--out", str(out),
                 "--no-gallery", "--no-lookbook", "--local-preview")
    assert r.returncode == 0 and "local preview" in r.stderr
    rows = read_csv(out / "products.csv")
    assert all(r["Product image URL"].startswith("images/") for r in rows if r["Product image URL"])


def test_a_script_url_is_refused_even_for_a_local_preview(shop_root, tmp_path):
    out = tmp_path / "s"
    r = teeprint(shop_root, "shop", "export", "--renders", str(shop_root / "out"), "--out", str(out),
                 "--no-gallery", "--no-lookbook", "--local-preview", "--image-base-url",
                 "javascript:alert(1)")
    assert r.returncode == 2 and "has the scheme 'javascript:'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_legacy_template_and_market_columns_follow_the_settings(catalog, tmp_path):
    from teeprint.storefront.archive import Rendered
    from teeprint.storefront.products import build_product
    from teeprint.storefront.settings import Commerce, commerce_settings
    from teeprint.storefront.shopify import shopify_csv

    base = commerce_settings(catalog)
    spec = catalog.specimen("double-descent")
    rendered = Rendered(spec, tmp_path, ({"path": "x.png", "kind": "print-png", "colorway": "ecru",
                                          "sha256": "0" * 64},))
    settings = base.model_dump()
    settings.update(csv_format="legacy", markets={
        "Europe": {"included": True, "prices": {"M": "32.00"}},
        "Rest of world": {"included": False}})
    legacy = Commerce.model_validate(settings)
    product = build_product(catalog, legacy, rendered, [], None, BASE)
    rows = list(csv.reader(io.StringIO(shopify_csv([product], legacy, "V").decode(), newline="")))
    assert rows[0] == [*LEGACY_TEMPLATE, "Included / Europe", "Price / Europe",
                       "Compare At Price / Europe", "Included / Rest of world",
                       "Price / Rest of world", "Compare At Price / Rest of world", "Status"]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert body[0]["Included / Europe"] == "TRUE" and body[0]["Included / Rest of world"] == "FALSE"
    assert {r["Price / Europe"] for r in body if r["Option2 Value"] == "M"} == {"32.00"}
    assert {r["Price / Europe"] for r in body if r["Option2 Value"] == "S"} == {""}
    assert body[0]["Status"] == "draft" and body[0]["Variant Inventory Policy"] == "deny"
    with pytest.raises(ValueError, match="markets"):
        Commerce.model_validate({**settings, "markets": {"A/B": {}}})
    with pytest.raises(ValueError, match="sizes must be among"):
        Commerce.model_validate({**settings, "markets": {"EU": {"prices": {"XS9": "1"}}}})
