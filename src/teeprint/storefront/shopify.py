"""The Shopify product CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

from teeprint.storefront.products import Product
from teeprint.storefront.settings import Commerce

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


def neutralise(cell: str) -> str:
    """Make a cell inert in spreadsheets: a leading formula character gets an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_LEADS) else cell


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
