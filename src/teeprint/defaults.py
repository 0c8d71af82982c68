"""Where the embedded defaults live, and the ids they define, without importing the catalogue.

The command line's ``--help`` lists the valid colourway and garment ids from here, so it stays
instant (tomllib only).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path


def defaults_root() -> Path:
    """The folder holding the embedded defaults (``designs/``, ``palettes/``, ``shop.toml``).

    A wheel carries them inside the package; an editable or source checkout uses the
    repository's own top-level folders.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "_defaults"
    if (packaged / "shop.toml").exists():
        return packaged
    return here.parent.parent


@lru_cache(maxsize=1)
def embedded_ids() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The embedded colourway ids and garment ids (empty when the files cannot be read)."""
    folder = defaults_root() / "palettes"
    colorways: list[str] = []
    garments: list[str] = []
    try:
        for path in sorted(folder.glob("*.toml")):
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            if "garment" in data and isinstance(data["garment"], list):
                garments += [str(g.get("id")) for g in data["garment"] if isinstance(g, dict)]
            else:
                colorways.append(path.stem)
    except (OSError, ValueError):
        return (), ()
    return tuple(colorways), tuple(garments)
