"""Bad input never hurts: each case is one line on stderr (what, where, how to fix), exit 2, no
traceback, and nothing written.

Every case starts from a small shop folder (the repository's palettes and the double-descent
design), breaks one thing in it or in the command line, and runs the CLI in-process.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from teeprint.cli import app
from tests.archive_factory import make_archive

runner = CliRunner()
Setup = Callable[[Path], list[str]]
DD = "designs/double-descent.toml"


def edit(rel: str, old: str, new: str, args: list[str]) -> Setup:
    """Replace text in one of the shop's files, then run ``args``."""
    def setup(root: Path) -> list[str]:
        path = root / rel
        text = path.read_text("utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), "utf-8")
        return args
    return setup


def append(rel: str, extra: str, args: list[str]) -> Setup:
    def setup(root: Path) -> list[str]:
        with (root / rel).open("a", encoding="utf-8") as fh:
            fh.write(extra)
        return args
    return setup


def args_only(*args: str) -> Setup:
    return lambda root: list(args)


def folder_instead(rel: str, args: list[str]) -> Setup:
    def setup(root: Path) -> list[str]:
        path = root / rel
        if path.exists():
            path.unlink()
        path.mkdir(parents=True)
        return args
    return setup


def symlink_loop(rel: str, args: list[str]) -> Setup:
    def setup(root: Path) -> list[str]:
        path = root / rel
        path.unlink(missing_ok=True)
        os.symlink(path.name + ".b", path)
        os.symlink(path.name, path.with_name(path.name + ".b"))
        return args
    return setup


def raw(rel: str, data: bytes, args: list[str]) -> Setup:
    def setup(root: Path) -> list[str]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        return args
    return setup


def out_blocked(args: list[str]) -> Setup:
    """The file render would write exists as a folder."""
    def setup(root: Path) -> list[str]:
        (root / "o" / "double-descent" / "double-descent--ecru.svg").mkdir(parents=True)
        return args
    return setup


R = ["render", "double-descent", "-c", "ecru", "--only", "master-svg", "--out", "o"]
RO = ["render", "other", "-c", "ecru", "--only", "master-svg", "--out", "o"]
SHOP = ["shop", "export", "--renders", "renders", "--out", "o", "--no-gallery", "--no-lookbook",
        "--local-preview"]

#: (case id, setup, a word the one line must contain)
CASES: list[tuple[str, Setup, str]] = [
    # -- the command line
    ("unknown slug", args_only("render", "double-decent", "--out", "o"), "unknown specimen"),
    ("slug of 5000 characters", args_only("render", "x" * 5000, "--out", "o"), "unknown specimen"),
    ("slug with a path", args_only("render", "../../etc/passwd", "--out", "o"), "unknown specimen"),
    ("unknown colourway", args_only("render", "double-descent", "-c", "neon", "--out", "o"), "unknown colourway"),
    ("unknown output kind", args_only("render", "double-descent", "--only", "gif", "--out", "o"), "--only"),
    ("unknown preset", args_only("render", "double-descent", "--preset", "10x10", "--out", "o"), "--preset"),
    ("negative seed", args_only("render", "double-descent", "--seed", "-1", "--out", "o"), "--seed"),
    ("seed too large", args_only("render", "double-descent", "--seed", str(2**40), "--out", "o"), "--seed"),
    ("unknown family", args_only("batch", "--family", "optimization", "--out", "o"), "optimisation"),
    ("batch with nothing chosen", args_only("batch", "--out", "o"), "--all"),
    ("zero jobs", args_only("batch", "--all", "--jobs", "0", "--out", "o"), "--jobs"),
    ("unknown garment", args_only("mockup", "double-descent", "-g", "plaid", "--out", "o"), "unknown garment"),
    ("unknown image format", args_only("mockup", "double-descent", "--format", "bmp", "--out", "o"), "--format"),
    ("screen frequency out of range", args_only("separate", "double-descent", "--lpi", "500", "--out", "o"), "lpi"),
    ("screen angle out of range", args_only("separate", "double-descent", "--angle", "400", "--out", "o"), "angle"),
    ("film resolution not offered", args_only("separate", "double-descent", "--film-dpi", "123", "--out", "o"), "dpi"),
    ("verify with nothing named", args_only("verify"), "--all"),
    ("sheet of an unknown family", args_only("sheet", "--family", "nope", "--out", "o"), "family"),
    ("output folder is a file", raw("o", b"not a folder", R), "o"),
    ("output file is a folder", out_blocked(R), "double-descent--ecru.svg"),
    # -- the settings and archive folders
    ("config is a folder", folder_instead("shop.toml", R), "shop.toml"),
    ("config is a symlink loop", symlink_loop("shop.toml", R), "shop.toml"),
    ("config is not TOML", raw("shop.toml", b"[shop\nbrand = ", R), "shop.toml"),
    ("config is not UTF-8", raw("shop.toml", b"[shop]\nbrand = \"\xff\xfe\"\n", R), "shop.toml"),
    ("designs folder missing", edit("shop.toml", 'designs = "designs"', 'designs = "nowhere"', R), "nowhere"),
    ("palettes folder missing", edit("shop.toml", 'palettes = "palettes"', 'palettes = "nowhere"', R), "nowhere"),
    # -- a design file
    ("design is a folder", folder_instead("designs/other.toml", RO), "other.toml"),
    ("design is a symlink loop", symlink_loop("designs/other.toml", RO), "other.toml"),
    ("design is not UTF-8", raw("designs/other.toml", b"slug = \"\xff\"\n", RO), "other.toml"),
    ("design nests arrays 10000 deep", raw("designs/other.toml", b"x = " + b"[" * 10000 + b"]" * 10000, RO), "other.toml"),
    ("design too large", raw("designs/other.toml", b"# " + b"x" * (3 << 20), RO), "other.toml"),
    ("seed of the wrong type", edit(DD, "seed = 0", 'seed = "zero"', R), "seed"),
    ("unknown honesty", edit(DD, 'honesty = "computed"', 'honesty = "vibes"', R), "honesty"),
    ("unknown top-level key", edit(DD, "seed = 0", 'seed = 0\ncolour = "red"', R), "colour"),
    ("misspelt recipe parameter", edit(DD, "[recipe.params]", "[recipe.params]\nn_trian = 3", R), "n_trian"),
    ("recipe parameter out of bounds", edit(DD, "n_train = 100", "n_train = 1", R), "n_train"),
    ("recipe asks for absurd memory", edit(DD, "n_train = 100", "n_train = 100000000000", R), "n_train"),
    ("recipe parameter is nan", edit(DD, "n_train = 100", "n_train = nan", R), "n_train"),
    ("no colourways", edit(DD, 'colorways = ["ecru", "black"]', "colorways = []", ["render", "double-descent", "--out", "o"]), "colorways"),
    ("unknown colourway in the design", edit(DD, 'colorways = ["ecru", "black"]', 'colorways = ["neon"]', ["render", "double-descent", "--out", "o"]), "neon"),
    ("slug not the file name", edit(DD, 'slug = "double-descent"', 'slug = "double-ascent"', R), "double-ascent"),
    ("slug with a space", edit(DD, 'slug = "double-descent"', 'slug = "double descent"', R), "slug"),
    ("control character in the caption", edit(DD, 'caption = "', 'caption = "\\u0007', R), "caption"),
    ("glyphs no face has (Hebrew)", edit(DD, 'caption = "', 'caption = "שלום ', R), "glyph"),
    ("glyphs no face has (emoji)", edit(DD, 'caption = "', 'caption = "\\U0001F600 ', R), "glyph"),
    ("format attribute in a note", edit(DD, "[motif.params]", '[motif.params]\nnotes = ["{slug.upper}"]', R), "attribute access"),
    ("format width that stalls", edit(DD, "[motif.params]", '[motif.params]\nnotes = ["{n_train:>999999999}"]', R), "width"),
    ("log axis from a negative number", edit(DD, "y_min = 0.1", "y_min = -1.0", R), "y_min"),
    ("axis bound is nan", edit(DD, "y_max = 60.0", "y_max = nan", R), "y_max"),
    ("unknown recipe", edit(DD, 'name = "double-descent"\n', 'name = "double-descentz"\n', R), "double-descentz"),
    ("empty design file", append("designs/other.toml", "", RO), "other.toml"),
    # -- a palette
    ("palette is a folder", folder_instead("palettes/neon.toml", R), "neon.toml"),
    ("ink id with a quote", edit("palettes/ecru.toml", 'id = "cinnabar"', 'id = "cin\\"nabar"', R), "inks.1.id"),
    ("spot name with a slash", edit("palettes/ecru.toml", 'spot = "PANTONE 7597 C"', 'spot = "PANTONE/7597"', R), "spot"),
    ("ink colour not a colour", edit("palettes/ecru.toml", 'hex = "#b8391f"', 'hex = "red-ish"', R), "hex"),
    # -- shop settings for the export
    ("handle pattern leaves the folder", edit("shop.toml", 'handle_pattern = "{slug}-tee"', 'handle_pattern = "../{slug}"', SHOP), "handle_pattern"),
    ("title pattern with attribute access", edit("shop.toml", 'title_pattern = "{name}', 'title_pattern = "{name.__class__}', SHOP), "title_pattern"),
    ("image URL with a script scheme", edit("shop.toml", 'image_base_url = ""', 'image_base_url = "javascript:alert(1)//"', SHOP), "image_base_url"),
    ("negative grams", edit("shop.toml", "S = 130", "S = -130", SHOP), "grams"),
    ("renders folder missing", args_only(*SHOP), "renders"),
]


@pytest.fixture(scope="module")
def base_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_archive(tmp_path_factory.mktemp("bad") / "shop")
    for extra in root.glob("designs/*.toml"):
        if extra.name != "double-descent.toml":
            extra.unlink()
    return root


@pytest.mark.parametrize(("setup", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, base_shop, setup, needle):
    root = tmp_path / "shop"
    shutil.copytree(base_shop, root, symlinks=True)
    args = setup(root)
    before = set(root.rglob("*"))
    cwd = Path.cwd()
    os.chdir(root)
    try:
        res = runner.invoke(app, ["--config", str(root / "shop.toml"), *args])
    finally:
        os.chdir(cwd)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.exit_code == 2, res.output
    assert len(lines) == 1, res.stderr
    assert needle.lower() in lines[0].lower(), lines[0]
    after = set(root.rglob("*"))
    assert after == before, f"written: {sorted(map(str, after - before))[:3]}"
