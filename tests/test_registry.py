"""The engine index: a command that draws one plate imports only that plate's engine modules."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from teeprint import registry

SRC = Path(__file__).resolve().parents[1] / "src"


def _python(code: str, *path: Path) -> str:
    env_path = ":".join(str(p) for p in (*path, SRC))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, check=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin"})
    return proc.stdout


def test_committed_index_matches_a_full_import() -> None:
    """engines.json is what importing every built-in module registers; if this fails, run
    ``python -m teeprint.registry`` and commit the file."""
    fresh = _python("""
        import json
        from teeprint import motifs, recipes, registry
        print(json.dumps(registry.scan_index([recipes._ENGINES, motifs._ENGINES])))
    """)
    committed = json.loads(registry.INDEX_FILE.read_text(encoding="utf-8"))
    assert json.loads(fresh) == committed
    assert len(committed["recipe"]) >= 100 and len(committed["motif"]) >= 10


def test_one_plate_imports_only_its_own_engines() -> None:
    out = _python("""
        import sys
        from teeprint import pipeline
        from teeprint.catalog import Catalog
        cat = Catalog.load(None, None, None)
        pipeline.draw_plate(cat, cat.specimen("double-descent"))
        print(" ".join(sorted(m for m in sys.modules
                              if m.startswith(("teeprint.recipes.", "teeprint.motifs.")))))
    """)
    loaded = set(out.split())
    assert "teeprint.recipes.generalisation" in loaded and "teeprint.motifs.curves" in loaded
    assert "teeprint.recipes.interp_circuits" not in loaded
    assert len([m for m in loaded if m.startswith("teeprint.recipes.")]) <= 3


def test_scan_finds_a_module_that_adds_to_another_modules_table(tmp_path: Path) -> None:
    pkg = tmp_path / "fakeeng"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(textwrap.dedent("""
        from fakeeng.reg import REG
        TABLE = {"a": 1}
        def engine(): return TABLE
        REG.add("table-engine", engine, engine)
    """))
    (pkg / "extra.py").write_text("from fakeeng.base import TABLE\nTABLE['b'] = 2\n")
    # listed before base: importing it imports base first, then extends base's table
    (pkg / "early.py").write_text("from fakeeng.base import TABLE\nTABLE['c'] = 3\n")
    (pkg / "alone.py").write_text(textwrap.dedent("""
        from fakeeng.reg import REG
        def other(): return 0
        REG.add("alone-engine", other, other)
    """))
    (pkg / "reg.py").write_text(textwrap.dedent("""
        from teeprint.registry import Registry
        REG = Registry("fake", ("fakeeng.early", "fakeeng.base", "fakeeng.alone", "fakeeng.extra"),
                       "fakeeng.none")
    """))
    out = _python("""
        import json
        from teeprint.registry import scan_index
        from fakeeng.reg import REG
        print(json.dumps(scan_index([REG])))
    """, tmp_path)
    assert json.loads(out) == {"fake": {"table-engine": ["fakeeng.base", "fakeeng.early",
                                                         "fakeeng.extra"],
                                        "alone-engine": ["fakeeng.alone"]}}


def test_scan_refuses_a_process_that_already_imported_the_modules() -> None:
    from teeprint import recipes

    recipes.available()
    try:
        registry.scan_index([recipes._ENGINES])
    except RuntimeError as exc:
        assert "fresh process" in str(exc)
    else:
        raise AssertionError("scan_index ran in a process with the modules imported")
