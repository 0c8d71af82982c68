"""Reading the rendered archive: each specimen's folder as ``teeprint batch`` left it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Specimen


def sha256_bytes(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


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
