"""Shared fixtures: the repository's own archive, and one plate drawn once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# CI runs the property tests on a fixed set of examples (the same run, every time); a developer's
# run keeps hypothesis's random search, which is how new counterexamples are found.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
# The mockups' simulated drapes and lit scenes (a few hundred megabytes, built once) are kept
# with the test artifacts, not in the user's cache; subprocesses inherit the variable.
os.environ.setdefault("TEEPRINT_CACHE_DIR", str(ARTIFACTS / "cache"))


@pytest.fixture(scope="session")
def catalog():
    """The archive shipped in this repository (designs/, palettes/, shop.toml)."""
    from teeprint.catalog import Catalog

    return Catalog.load(config=REPO / "shop.toml")


@pytest.fixture(scope="session")
def dd_plate(catalog):
    """The double-descent plate, drawn once."""
    from teeprint import pipeline

    return pipeline.draw_plate(catalog, catalog.specimen("double-descent"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A folder for files worth looking at after a run (screenshots, diffs); git-ignored."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="Rewrite golden files from the current output (review the diff).")


@pytest.fixture(scope="session")
def update_goldens(request) -> bool:
    """True when goldens should be rewritten instead of compared."""
    return bool(request.config.getoption("--update-goldens"))
