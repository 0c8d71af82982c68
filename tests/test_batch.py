"""The batch: incremental skips, crash-safety under kill -9, one bad specimen, the Dask path."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.archive_factory import VARIANTS, make_archive, teeprint, variant_toml

FAST = ("--only", "master-svg", "--only", "figure-data")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder by relative path, bytes included."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def counts(stderr: str) -> tuple[int, int, int]:
    m = re.search(r"batch: (\d+) rendered, (\d+) skipped, (\d+) failed", stderr)
    assert m, stderr
    return int(m[1]), int(m[2]), int(m[3])


def seeded(n: int) -> dict[str, str]:
    """``n`` more specimens: double descent at other seeds (distinct figures, same cost)."""
    return {f"seed-{i}.toml": variant_toml(f"seed-{i}", f"Seed {i}", "learning-theory", 60 + i,
                                           ["ecru"], "Double descent at another seed.", [], seed=i + 1)
            for i in range(n)}


def test_second_run_skips_and_an_edit_rerenders_only_that_specimen(tmp_path):
    root = make_archive(tmp_path / "shop")
    out = root / "out"
    first = teeprint(root, "batch", "--all", "--out", str(out), "--jobs", "2", *FAST)
    assert first.returncode == 0, first.stderr
    assert counts(first.stderr) == (3, 0, 0)
    stamps = sorted(p.parent.name for p in out.glob("*/.batch-stamp.json"))
    assert stamps == sorted(["double-descent", *VARIANTS])
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    again = teeprint(root, "batch", "--all", "--out", str(out), *FAST)
    assert again.returncode == 0, again.stderr
    assert counts(again.stderr) == (0, 3, 0)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before

    spec = root / "designs" / "ridge-echo.toml"
    spec.write_text(spec.read_text() + "# reviewed\n")
    edited = teeprint(root, "batch", "--all", "--out", str(out), *FAST)
    assert counts(edited.stderr) == (1, 2, 0)
    assert "ridge-echo: failed" not in edited.stderr

    # Other targets are other inputs: asking for more kinds re-renders, and a deleted output
    # is noticed without reading any file's bytes.
    (out / "double-descent" / "double-descent--ecru.svg").unlink()
    healed = teeprint(root, "batch", "double-descent", "night-descent", "--out", str(out), *FAST)
    assert counts(healed.stderr) == (1, 1, 0)
    assert (out / "double-descent" / "double-descent--ecru.svg").is_file()


def test_family_selection_and_usage_errors(tmp_path):
    root = make_archive(tmp_path / "shop")
    r = teeprint(root, "batch", "--family", "regularisation", "--out", str(root / "out"), *FAST)
    assert r.returncode == 0, r.stderr
    assert counts(r.stderr) == (1, 0, 0)
    assert [p.name for p in (root / "out").iterdir()] == ["ridge-echo"]
    r = teeprint(root, "batch", "--out", str(root / "out"))
    assert r.returncode == 2 and "--all" in r.stderr
    r = teeprint(root, "batch", "double-decent", "--out", str(root / "out"))
    assert r.returncode == 2 and "did you mean double-descent" in r.stderr
    r = teeprint(root, "batch", "--all", "--only", "films", "--out", str(root / "out"))
    assert r.returncode == 2 and "not an output kind" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_failing_specimen_is_one_line_and_the_others_finish(tmp_path):
    bad_param = variant_toml("bad-param", "Bad parameter", "learning-theory", 90, ["ecru"], "x", [])
    bad_param = bad_param.replace("repeats = 3", "repeats = 3\nbogus_knob = 7")
    root = make_archive(tmp_path / "shop", {"bad-param.toml": bad_param,
                                            "broken-syntax.toml": 'slug = "broken-syntax"\nname = \n'})
    out = root / "out"
    r = teeprint(root, "batch", "--all", "--out", str(out), "--jobs", "2", *FAST)
    assert r.returncode == 1
    assert counts(r.stderr) == (3, 0, 2)
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("teeprint: error: ")]
    bad = {ln.split(": ")[2] for ln in lines if ln.count(":") >= 3}
    assert {"bad-param", "broken-syntax"} <= bad
    assert any("bogus_knob" in ln for ln in lines)
    assert any("invalid TOML" in ln for ln in lines)
    assert "Traceback" not in r.stderr
    for slug in ("double-descent", *VARIANTS):
        assert (out / slug / ".batch-stamp.json").is_file()
    assert not (out / "bad-param" / ".batch-stamp.json").exists()
    # The good ones are not redone when the bad one is fixed.
    (root / "designs" / "bad-param.toml").write_text(bad_param.replace("bogus_knob = 7\n", ""))
    (root / "designs" / "broken-syntax.toml").unlink()
    r = teeprint(root, "batch", "--all", "--out", str(out), *FAST)
    assert r.returncode == 0, r.stderr
    assert counts(r.stderr) == (1, 3, 0)


def test_kill_9_mid_run_then_resume_is_byte_identical_to_a_clean_run(tmp_path):
    root = make_archive(tmp_path / "shop", seeded(3))
    total = 3 + 3
    clean = root / "clean"
    r = teeprint(root, "batch", "--all", "--out", str(clean), "--jobs", "2", *FAST)
    assert counts(r.stderr) == (total, 0, 0)

    out = root / "killed"
    cmd = [sys.executable, "-m", "teeprint", "--config", str(root / "shop.toml"), "batch", "--all",
           "--out", str(out), "--jobs", "2", *FAST]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("*/.batch-stamp.json")):
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    stamped = len(list(out.glob("*/.batch-stamp.json")))
    assert 1 <= stamped < total, "the kill should land mid-run"
    # A writer killed mid-file leaves only its temporary name behind; plant one to be sure.
    slugs = sorted(p.stem for p in (root / "designs").glob("*.toml"))
    victim = next(out / slug for slug in slugs if not (out / slug / ".batch-stamp.json").exists())
    victim.mkdir(parents=True, exist_ok=True)
    (victim / f".{victim.name}--ecru.svg.x1y2z3.tmp").write_bytes(b"<svg torn")

    r = teeprint(root, "batch", "--all", "--out", str(out), "--jobs", "2", *FAST)
    assert r.returncode == 0, r.stderr
    rendered, skipped, _ = counts(r.stderr)
    assert skipped >= stamped and rendered == total - skipped
    assert tree(out) == tree(clean)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_bytes_as_local_processes(tmp_path):
    distributed = pytest.importorskip("distributed")
    root = make_archive(tmp_path / "shop")
    local = root / "local"
    r = teeprint(root, "batch", "--all", "--out", str(local), "--jobs", "2", *FAST)
    assert r.returncode == 0, r.stderr
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit="2GiB") as cluster:
        r = teeprint(root, "batch", "--all", "--out", str(root / "dask"), "--scheduler",
                     cluster.scheduler_address, *FAST)
        from teeprint.batch import _dask_threads

        with distributed.Client(cluster) as client:  # a job on a worker renders on one thread
            assert client.submit(_dask_threads, pure=False).result() == 1
        assert _dask_threads() is None  # here, in the client, the render's own default
    assert r.returncode == 0, r.stderr
    assert counts(r.stderr) == (3, 0, 0)
    assert tree(root / "dask") == tree(local)


def test_unreachable_scheduler_is_one_line(tmp_path):
    root = make_archive(tmp_path / "shop")
    r = teeprint(root, "batch", "double-descent", "--out", str(root / "out"), "--scheduler",
                 "tcp://127.0.0.1:9", *FAST, timeout=120)
    assert r.returncode == 2
    assert "cannot reach the Dask scheduler" in r.stderr and "Traceback" not in r.stderr


def test_input_key_covers_every_input(catalog):
    from teeprint.batch import KeyBase, input_key

    base = KeyBase.of(catalog, ("master-svg", "figure-data"), "15x18")
    spec = b'slug = "x"\n'
    cws = [("ecru", b"id = 'ecru'\n")]
    key = input_key(base, spec, cws)
    assert key == input_key(KeyBase.of(catalog, ("figure-data", "master-svg"), "15x18"), spec, cws)
    variants = [
        input_key(base, spec + b"#", cws),
        input_key(base, spec, [("ecru", b"id = 'ecru' \n")]),
        input_key(KeyBase.of(catalog, ("master-svg",), "15x18"), spec, cws),
        input_key(KeyBase.of(catalog, ("master-svg", "figure-data"), "12x16"), spec, cws),
        input_key(base.__class__(**{**base.__dict__, "shop_toml": "0"}), spec, cws),
        input_key(base.__class__(**{**base.__dict__, "garments_toml": "0"}), spec, cws),
        input_key(base.__class__(**{**base.__dict__, "code": "0"}), spec, cws),
        input_key(base.__class__(**{**base.__dict__, "fonts": ()}), spec, cws),
    ]
    assert len({key, *variants}) == len(variants) + 1
    assert len(base.fonts) >= 3  # display, serif (+ italic), mono files are hashed


def test_code_version_follows_render_code_not_export_code(tmp_path, monkeypatch):
    import shutil as sh

    import teeprint
    from teeprint.batch import code_version

    pkg = tmp_path / "teeprint"
    sh.copytree(Path(teeprint.__file__).parent, pkg, ignore=sh.ignore_patterns("__pycache__"))
    monkeypatch.setattr(teeprint, "__file__", str(pkg / "__init__.py"))
    base = code_version()
    shopify = pkg / "storefront" / "shopify.py"
    shopify.write_text(shopify.read_text() + "\n# a new column\n")
    (pkg / "storefront" / "gallery_assets" / "gallery.css").write_text("body { color: red; }\n")
    (pkg / "verify" / "claims.py").write_text((pkg / "verify" / "claims.py").read_text() + "\n#\n")
    assert code_version() == base
    (pkg / "plate.py").write_text((pkg / "plate.py").read_text() + "\n# a wider margin\n")
    changed = code_version()
    assert changed != base
    (pkg / "mockup_texture.bin").write_bytes(b"\x00\x01")
    assert code_version() != changed


def test_workers_elsewhere_need_no_palettes_folder(tmp_path):
    """What a (remote) worker receives already holds the colourways and garments it needs."""
    import pickle

    from teeprint.batch import _fresh_catalog
    from teeprint.catalog import Catalog

    root = make_archive(tmp_path / "shop")
    shipped = pickle.dumps(_fresh_catalog(Catalog.load(root / "shop.toml")))
    (root / "palettes").rename(root / "elsewhere")
    cat = pickle.loads(shipped)
    assert cat.colorway("black").dark and cat.garment("navy").hex.startswith("#")


def test_a_worker_holds_nothing_of_a_plate_once_it_is_written(tmp_path, catalog):
    """The per-plate caches (ink rasters, underbase, separation job) are emptied after each
    plate, so a worker's memory does not grow with the plates it has rendered."""
    from teeprint import memo
    from teeprint.batch import Job, render_job

    spec = catalog.specimen("relu")
    design = catalog.designs_dir / "relu.toml"
    job = Job("relu", str(design), design.read_bytes(), "k" * 64, ("separation-pdf",), "15x18")
    got = render_job(catalog, [catalog.colorway("black")], job, tmp_path)
    assert got.reason == "" and got.committed and (tmp_path / "relu").is_dir()
    assert memo.per_plate_entries() == 0
    # the same stage outside a batch does fill them (so the check above can fail)
    from teeprint import pipeline

    pipeline.render(catalog, spec, [catalog.colorway("black")],
                    targets=("print-png", "separation-pdf"))
    assert memo.per_plate_entries() > 0
    # the paths a plate draws, converted for cairo and for PDF, are the plate's too: kept across
    # plates they grew a worker by ~12 MB a plate
    from teeprint.raster import cairo_path
    from teeprint.separate.pdf import path_ops

    assert cairo_path.cache_info().currsize > 0 and path_ops.cache_info().currsize > 0
    memo.forget_plates()
    assert cairo_path.cache_info().currsize == 0 and path_ops.cache_info().currsize == 0


def test_local_workers_share_the_cores_out_unless_the_user_chose(monkeypatch):
    from teeprint import batch, pipeline

    monkeypatch.delenv("TEEPRINT_THREADS", raising=False)
    batch._init_worker(None, None, threads=1)
    assert pipeline.default_workers() == 1
    monkeypatch.setenv("TEEPRINT_THREADS", "3")
    batch._init_worker(None, None, threads=1)
    assert pipeline.default_workers() == 3

