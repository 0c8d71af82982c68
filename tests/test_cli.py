"""The command line: outputs, listing, and one-line errors that write nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from teeprint.cli import app

from .conftest import REPO

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["--config", str(REPO / "shop.toml"), *args])


def test_render_writes_files_and_manifest(tmp_path):
    res = invoke("render", "double-descent", "-c", "ecru", "--out", str(tmp_path),
                 "--preset", "12x16", "--only", "master-svg", "--only", "print-png",
                 "--only", "figure-data")
    assert res.exit_code == 0, res.output
    folder = tmp_path / "double-descent"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["double-descent--ecru--print-12x16.png", "double-descent--ecru.svg",
                     "double-descent.data.json", "manifest.json"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "no temporary files left"


def test_unknown_slug_suggests_and_writes_nothing(tmp_path):
    res = invoke("render", "double-decent", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "double-descent" in lines[0] and "unknown specimen" in lines[0]
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (("render", "double-descent", "-c", "neon"), "unknown colourway 'neon'"),
    (("render", "double-descent", "--preset", "10x10"), "--preset '10x10'"),
    (("render", "double-descent", "--only", "gif"), "--only 'gif'"),
    (("show", "nope-nope"), "unknown specimen"),
    (("list", "--family", "optimization"), "did you mean optimisation"),
])
def test_bad_input_is_one_clear_line(tmp_path, args, needle):
    res = invoke(*args, *(["--out", str(tmp_path / "o")] if args[0] == "render" else []))
    assert res.exit_code == 2, res.output
    assert needle in res.output
    assert len([line for line in res.output.splitlines() if line.strip()]) == 1
    assert not (tmp_path / "o").exists()


def _archive_copy(tmp_path: Path) -> tuple[Path, Path]:
    designs = tmp_path / "designs"
    designs.mkdir()
    shutil.copy(REPO / "designs" / "double-descent.toml", designs)
    return designs, REPO / "palettes"


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda s: s.replace('seed = 0', 'seed = "zero"'), "key 'seed'"),
    (lambda s: s.replace('honesty = "computed"', 'honesty = "vibes"'), "key 'honesty'"),
    (lambda s: s.replace('plate = 1', 'plate = 1\ncolour = "red"'), "key 'colour': unknown key"),
    (lambda s: s.replace('[recipe.params]', '[recipe.params]\nn_trian = 3'), "key 'n_trian'"),
    (lambda s: s.replace('n_train = 100', 'n_train = 1'), "key 'n_train'"),
    (lambda s: s.replace('slug = "double-descent"', 'slug = "double descent"'), "key 'slug'"),
    (lambda s: s + "\n[[[broken", "invalid TOML"),
])
def test_broken_design_names_file_and_key(tmp_path, edit, needle):
    designs, palettes = _archive_copy(tmp_path)
    path = designs / "double-descent.toml"
    path.write_text(edit(path.read_text()))
    res = runner.invoke(app, ["--config", str(REPO / "shop.toml"), "--designs", str(designs),
                              "--palettes", str(palettes), "render", "double-descent",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "double-descent.toml" in res.output and needle in res.output, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_list_json_and_table():
    res = invoke("list", "--json")
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert {"slug": "double-descent", "name": "Double descent", "family": "learning-theory"}.items() \
        <= next(r for r in rows if r["slug"] == "double-descent").items()
    res = invoke("list", "descent")
    assert res.exit_code == 0 and "double-descent" in res.output


def test_show_and_show_data():
    res = invoke("show", "double-descent")
    assert res.exit_code == 0
    assert "Duplex Descensus" in res.output and "Belkin" in res.output
    res = invoke("show", "double-descent", "--data")
    payload = json.loads(res.output)
    assert payload["provenance"]["seed"] == 0
    assert payload["provenance"]["honesty"] == "computed"
    assert set(payload["arrays"]) >= {"n_train", "n_features", "test_error"}


def test_python_dash_m_runs():
    res = subprocess.run([sys.executable, "-m", "teeprint", "--help"], capture_output=True,
                         text=True, check=False)
    assert res.returncode == 0 and "render" in res.stdout


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from teeprint.cli import app; "
            "heavy = [m for m in ('numpy', 'cairosvg', 'reportlab', 'PIL', 'scipy', 'uharfbuzz') "
            "if m in sys.modules]; print(','.join(heavy))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == ""
