"""A small, controlled archive for the batch/shop/gallery/lookbook tests.

The real designs/ folder grows while the shop code is tested, so these tests build their own:
the repository's palettes and fonts, the double-descent specimen, and variants of it under other
names, families and colourways (the figure is real; only the words around it change).  Built
once per test session and shared by the test files that need a rendered archive.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DD = (REPO / "designs" / "double-descent.toml").read_text("utf-8")

#: slug -> (name, family, plate, colourways, caption, tags)
VARIANTS: dict[str, tuple[str, str, int, list[str], str, list[str]]] = {
    "ridge-echo": ("Ridge echo", "regularisation", 41, ["ecru"],
                   "The same random-feature regression seen through its ridge-regularised twin.",
                   ["ridge", "shrinkage"]),
    "night-descent": ("Night descent", "optimisation", 42, ["black"],
                      "Double descent printed light on dark, for the night shift of the archive.",
                      ["nocturne"]),
}


def variant_toml(slug: str, name: str, family: str, plate: int, colorways: list[str],
                 caption: str, tags: list[str], seed: int = 0) -> str:
    """The double-descent spec with another identity (and optionally another seed)."""
    values = {
        "slug": f'"{slug}"', "name": f'"{name}"', "family": f'"{family}"', "plate": str(plate),
        "colorways": "[" + ", ".join(f'"{c}"' for c in colorways) + "]", "caption": f'"{caption}"',
        "tags": "[" + ", ".join(f'"{t}"' for t in tags) + "]", "seed": str(seed),
    }
    out = []
    top = True
    for line in DD.splitlines():
        top = top and not line.startswith("[")
        key = line.split("=", 1)[0].strip()
        out.append(f"{key} = {values[key]}" if top and key in values else line)
    return "\n".join(out) + "\n"


def make_archive(root: Path, extra: dict[str, str] | None = None) -> Path:
    """A shop folder: shop.toml, palettes/, designs/ with double-descent and its variants."""
    root.mkdir(parents=True, exist_ok=True)
    shop = (REPO / "shop.toml").read_text("utf-8")
    # The provider's saved catalogue (tests/data/catalogues, in the documented response shape).
    shop = shop.replace("[commerce.printify]\n", "[commerce.printify]\nprint_provider_id = 29\n"
                        "catalogue = \"catalogues/printify-12-29-variants.json\"\n"
                        "colors = { oxblood-black = \"Oxblood\" }\n", 1)
    (root / "shop.toml").write_text(shop, "utf-8")
    shutil.copytree(REPO / "tests" / "data" / "catalogues", root / "catalogues", dirs_exist_ok=True)
    shutil.copytree(REPO / "palettes", root / "palettes", dirs_exist_ok=True)
    designs = root / "designs"
    designs.mkdir(exist_ok=True)
    shutil.copy(REPO / "designs" / "double-descent.toml", designs / "double-descent.toml")
    for slug, (name, family, plate, cws, caption, tags) in VARIANTS.items():
        (designs / f"{slug}.toml").write_text(variant_toml(slug, name, family, plate, cws, caption, tags))
    for name, text in (extra or {}).items():
        (designs / name).write_text(text)
    return root


def teeprint(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the CLI against an archive folder, as a user would."""
    return subprocess.run([sys.executable, "-m", "teeprint", "--config", str(root / "shop.toml"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=root)


_BUILT: dict[str, Path] = {}


def rendered_shop(base: Path) -> Path:
    """The archive rendered (SVG, print PNG, data) and exported to ``base/shop``, once a session."""
    if "shop" in _BUILT:
        return _BUILT["shop"]
    root = make_archive(base)
    r = teeprint(root, "batch", "--all", "--out", str(root / "out"), "--jobs", "2",
                 "--only", "master-svg", "--only", "print-png", "--only", "figure-data")
    assert r.returncode == 0, r.stderr
    r = teeprint(root, "shop", "export", "--renders", str(root / "out"), "--out", str(root / "shop"),
                 "--image-base-url", "https://cdn.example.test/specimina/")
    assert r.returncode == 0, r.stderr
    _BUILT["shop"] = root
    return root
