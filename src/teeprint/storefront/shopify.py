"""The Shopify product CSV, in Shopify's current import template (or the previous one).

The current template (Products > Import > sample CSV, 57 columns) names its columns ``Title``,
``URL handle``, ``Description``, ``SKU``, ``Price``, ``Product image URL``, ``Variant image URL``
...; the previous one ``Handle``, ``Body (HTML)``, ``Variant SKU``, ``Image Src`` ...  Both are
written from the same rows: one row per variant (the first also carries the product), then
rows that add the remaining images.  Market columns (``Included / NAME``, ``Price / NAME``,
compare-at price) follow the template, one set per market named in ``[commerce.markets]``.

Every cell is neutralised for spreadsheets (a leading ``= + - @``, tab or carriage return gets
an apostrophe); the file is UTF-8 without a byte-order mark, RFC 4180 quoting, CRLF lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from teeprint.storefront.products import Product
from teeprint.storefront.settings import Commerce

#: Shopify's current product import template, in its order.
CURRENT_HEADER: tuple[str, ...] = (
    "Title", "URL handle", "Description", "Vendor", "Product category", "Type", "Tags",
    "Published on online store", "Status", "SKU", "Barcode", "Option1 name", "Option1 value",
    "Option1 Linked To", "Option2 name", "Option2 value", "Option2 Linked To", "Option3 name",
    "Option3 value", "Option3 Linked To", "Price", "Compare-at price", "Cost per item",
    "Charge tax", "Tax code", "Unit price total measure", "Unit price total measure unit",
    "Unit price base measure", "Unit price base measure unit", "Inventory tracker",
    "Inventory quantity", "Continue selling when out of stock", "Weight value (grams)",
    "Weight unit for display", "Requires shipping", "Fulfillment service", "Product image URL",
    "Image position", "Image alt text", "Variant image URL", "Gift card", "SEO title",
    "SEO description", "Color (product.metafields.shopify.color-pattern)",
    "Google Shopping / Google product category", "Google Shopping / Gender",
    "Google Shopping / Age group", "Google Shopping / Manufacturer part number (MPN)",
    "Google Shopping / Ad group name", "Google Shopping / Ads labels",
    "Google Shopping / Condition", "Google Shopping / Custom product",
    "Google Shopping / Custom label 0", "Google Shopping / Custom label 1",
    "Google Shopping / Custom label 2", "Google Shopping / Custom label 3",
    "Google Shopping / Custom label 4",
)

#: The previous template's columns (before the market columns), in its order.
LEGACY_HEADER: tuple[str, ...] = (
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name",
    "Option3 Value", "Variant SKU", "Variant Grams", "Variant Inventory Tracker",
    "Variant Inventory Qty", "Variant Inventory Policy", "Variant Fulfillment Service",
    "Variant Price", "Variant Compare At Price", "Variant Requires Shipping", "Variant Taxable",
    "Variant Barcode", "Image Src", "Image Position", "Image Alt Text", "Gift Card", "SEO Title",
    "SEO Description", "Google Shopping / Google Product Category", "Google Shopping / Gender",
    "Google Shopping / Age Group", "Google Shopping / MPN", "Google Shopping / Condition",
    "Google Shopping / Custom Product", "Variant Image", "Variant Weight Unit",
    "Variant Tax Code", "Cost per item",
)
_LEGACY_TAIL = ("Status",)

#: One meaning, two spellings: the field names rows are built with -> (current, legacy).
_COLUMNS: dict[str, tuple[str, str]] = {
    "handle": ("URL handle", "Handle"), "title": ("Title", "Title"),
    "body": ("Description", "Body (HTML)"), "vendor": ("Vendor", "Vendor"),
    "category": ("Product category", "Product Category"), "type": ("Type", "Type"),
    "tags": ("Tags", "Tags"), "published": ("Published on online store", "Published"),
    "status": ("Status", "Status"), "sku": ("SKU", "Variant SKU"),
    "opt1": ("Option1 name", "Option1 Name"), "val1": ("Option1 value", "Option1 Value"),
    "opt2": ("Option2 name", "Option2 Name"), "val2": ("Option2 value", "Option2 Value"),
    "price": ("Price", "Variant Price"), "cost": ("Cost per item", "Cost per item"),
    "taxable": ("Charge tax", "Variant Taxable"),
    "tracker": ("Inventory tracker", "Variant Inventory Tracker"),
    "policy": ("Continue selling when out of stock", "Variant Inventory Policy"),
    "grams": ("Weight value (grams)", "Variant Grams"),
    "weight_unit": ("Weight unit for display", "Variant Weight Unit"),
    "shipping": ("Requires shipping", "Variant Requires Shipping"),
    "fulfilment": ("Fulfillment service", "Variant Fulfillment Service"),
    "image": ("Product image URL", "Image Src"), "position": ("Image position", "Image Position"),
    "alt": ("Image alt text", "Image Alt Text"), "variant_image": ("Variant image URL", "Variant Image"),
    "gift": ("Gift card", "Gift Card"), "seo_title": ("SEO title", "SEO Title"),
    "seo_desc": ("SEO description", "SEO Description"),
    "gender": ("Google Shopping / Gender", "Google Shopping / Gender"),
    "age": ("Google Shopping / Age group", "Google Shopping / Age Group"),
    "condition": ("Google Shopping / Condition", "Google Shopping / Condition"),
    "custom": ("Google Shopping / Custom product", "Google Shopping / Custom Product"),
}

#: Leading characters a spreadsheet treats as the start of a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Make a cell inert in spreadsheets: a leading formula character gets an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_LEADS) else cell


def _market_columns(commerce: Commerce) -> list[tuple[str, str, str]]:
    """(included, price, compare-at) column names per market, in the settings' order."""
    compare = "Compare-at price" if commerce.csv_format == "current" else "Compare At Price"
    return [(f"Included / {m}", f"Price / {m}", f"{compare} / {m}") for m in commerce.markets]


def header(commerce: Commerce) -> list[str]:
    """The CSV's header for the shop's format and markets."""
    markets = [c for cols in _market_columns(commerce) for c in cols]
    if commerce.csv_format == "current":
        return [*CURRENT_HEADER, *markets]
    return [*LEGACY_HEADER, *markets, *_LEGACY_TAIL]


def shopify_rows(products: Sequence[Product], commerce: Commerce, vendor: str) -> list[list[str]]:
    """The CSV rows (header first): one row per variant, then image-only rows."""
    cols = header(commerce)
    pick = 0 if commerce.csv_format == "current" else 1
    name = {k: v[pick] for k, v in _COLUMNS.items()}
    flag = {True: "TRUE", False: "FALSE"}
    current = commerce.csv_format == "current"
    rows: list[list[str]] = [cols]
    for p in products:
        for i in range(max(len(p.variants), len(p.images))):
            row = dict.fromkeys(cols, "")
            row[name["handle"]] = p.handle
            if i == 0:
                row.update({
                    name["title"]: p.title, name["body"]: p.body_html, name["vendor"]: vendor,
                    name["category"]: commerce.product_category, name["type"]: commerce.product_type,
                    name["tags"]: ", ".join(p.tags), name["published"]: flag[commerce.published],
                    name["opt1"]: "Color", name["opt2"]: "Size", name["gift"]: "FALSE",
                    name["seo_title"]: p.seo_title, name["seo_desc"]: p.seo_description,
                    name["gender"]: commerce.gender, name["age"]: commerce.age_group,
                    name["condition"]: "new", name["custom"]: "FALSE",
                    name["status"]: commerce.status.title() if current else commerce.status,
                })
                for (inc, _, _), market in zip(_market_columns(commerce),
                                               commerce.markets.values(), strict=True):
                    row[inc] = flag[market.included]
            if i < len(p.variants):
                v = p.variants[i]
                row.update({
                    name["val1"]: v.garment_name, name["val2"]: v.size, name["sku"]: v.sku,
                    name["grams"]: str(v.grams), name["tracker"]: "",
                    name["policy"]: (commerce.inventory_policy.upper() if current
                                     else commerce.inventory_policy),
                    name["fulfilment"]: commerce.fulfillment_service, name["price"]: v.price,
                    name["shipping"]: "TRUE", name["taxable"]: "TRUE",
                    name["variant_image"]: v.image, name["weight_unit"]: "g",
                    name["cost"]: (f"{commerce.costs[v.size]:.2f}" if v.size in commerce.costs
                                   else ""),
                })
                for (_, price, compare), market in zip(_market_columns(commerce),
                                                       commerce.markets.values(), strict=True):
                    if v.size in market.prices:
                        row[price] = f"{market.prices[v.size]:.2f}"
                    if v.size in market.compare_at:
                        row[compare] = f"{market.compare_at[v.size]:.2f}"
            if i < len(p.images):
                row.update({name["image"]: p.image_urls[i], name["position"]: str(i + 1),
                            name["alt"]: p.images[i].alt})
            rows.append([neutralise(row[h]) for h in cols])
    return rows


def shopify_csv(products: Sequence[Product], commerce: Commerce, vendor: str) -> bytes:
    """The Shopify import file: UTF-8, RFC 4180 quoting, formula cells neutralised."""
    rows = shopify_rows(products, commerce, vendor)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")
