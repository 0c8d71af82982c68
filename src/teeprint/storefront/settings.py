"""The shop's ``[commerce]`` settings: sizes, prices, SKUs, markets, catalogue ids."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import Catalog

SKU_FIELDS = ("slug", "handle", "plate", "garment", "colorway", "size", "family")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PrintifySettings(_Model):
    """Printify: blueprint 12 is the Bella+Canvas 3001; the provider's saved catalogue gives the
    variant ids and the front area, the saved upload responses the image ids."""

    blueprint_id: int = Field(default=12, ge=1)
    print_provider_id: int | None = Field(default=None, ge=1)
    #: Saved ``GET /v1/catalog/blueprints/{id}/print_providers/{pid}/variants.json`` (path
    #: relative to shop.toml).  Without it no Printify payloads are written.
    catalogue: str = ""
    #: Saved ``POST /v1/uploads/images.json`` responses (a list of {id, file_name}).
    uploads: str = ""
    #: Garment id -> the catalogue's colour name, where they differ.
    colors: dict[str, str] = Field(default_factory=dict)


class PrintfulSettings(_Model):
    """Printful: product 71 is the Bella+Canvas 3001 Unisex Staple T-Shirt."""

    product_id: int = Field(default=71, ge=1)
    #: Saved ``GET /products/{product_id}`` (variant ids by colour and size).
    catalogue: str = ""
    #: Saved ``GET /mockup-generator/printfiles/{product_id}`` (the front area's pixels and dpi).
    printfiles: str = ""
    #: Garment id -> the catalogue's colour name, where they differ.
    colors: dict[str, str] = Field(default_factory=dict)


class Market(_Model):
    """A Shopify market of the store (``[commerce.markets."Name"]``): whether the products are
    sold there and, optionally, its own price per size (blank: Shopify converts the base price)."""

    included: bool = True
    prices: dict[str, Decimal] = Field(default_factory=dict)
    compare_at: dict[str, Decimal] = Field(default_factory=dict)


class Commerce(_Model):
    """The ``[commerce]`` table of ``shop.toml``: money, variants, identifiers and images."""

    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    sizes: tuple[str, ...] = ("S", "M", "L", "XL", "2XL", "3XL")
    prices: dict[str, Decimal] = Field(default_factory=dict)
    costs: dict[str, Decimal] = Field(default_factory=dict)
    sku_pattern: str = "SPC-{plate:04d}-{garment}-{size}"
    image_base_url: str = ""
    #: The store's address (``https://shop.example``); the gallery links each card to
    #: ``STORE/products/HANDLE``.  Empty: cards link to the plate's own page.
    store_url: str = Field(default="", pattern=r"^(https://[^\s\"'<>]+)?$")
    product_type: str = "T-Shirt"
    product_category: str = "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts"
    grams: int | dict[str, int] = 145
    status: Literal["draft", "active", "archived"] = "draft"
    published: bool = False
    inventory_policy: Literal["deny", "continue"] = "deny"
    #: The product CSV's columns: Shopify's current import template, or the previous one
    #: (``Handle``, ``Body (HTML)``, ``Variant SKU``...) for a store or tool that still wants it.
    csv_format: Literal["current", "legacy"] = "current"
    #: The store's markets by the names Shopify gives them (Settings > Markets); each adds its
    #: ``Included / NAME``, ``Price / NAME`` and compare-at price columns.  None: no market columns.
    markets: dict[str, Market] = Field(default_factory=dict)
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
        for name, market in self.markets.items():
            if not name.strip() or any(c in name for c in "/\r\n") or len(name) > 60:
                msg = (f"markets: {name!r} is not a market name (Shopify's name for it, without "
                       "'/' or line breaks)")
                raise ValueError(msg)
            for table, amounts in (("prices", market.prices), ("compare_at", market.compare_at)):
                odd = sorted(set(amounts) - set(self.sizes))
                bad = [s for s, v in amounts.items() if v < 0]
                if odd or bad:
                    msg = (f"markets.{name}.{table}: sizes must be among {', '.join(self.sizes)} "
                           "and amounts not negative")
                    raise ValueError(msg)
        if isinstance(self.grams, dict):
            lacking = [s for s in self.sizes if s not in self.grams]
            if lacking:
                msg = f"grams: no weight for size(s) {', '.join(lacking)}"
                raise ValueError(msg)
        sample = {"slug": "s", "handle": "h", "plate": 1, "garment": "g", "colorway": "c",
                  "size": "M", "family": "f"}
        from teeprint.textfmt import safe_format

        try:
            safe_format(self.sku_pattern, sample)
        except ValueError as exc:
            msg = f"sku_pattern: {exc}"
            raise ValueError(msg) from None
        weights = self.grams.values() if isinstance(self.grams, dict) else [self.grams]
        if any(not 0 < w <= 10_000 for w in weights):
            msg = "grams: a shipping weight must be between 1 and 10000 grams"
            raise ValueError(msg)
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
