"""What a new shop owner meets first: the version, the valid values in --help, what render and
batch say when they finish, JSON summaries, and runs that are killed or run side by side."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from typer.testing import CliRunner

from teeprint.cli import app
from teeprint.defaults import embedded_ids
from teeprint.export import read_manifest, sweep_orphans, write_outputs
from teeprint.pipeline import KINDS, Output
from tests.archive_factory import make_archive, teeprint, variant_toml

from .conftest import REPO

runner = CliRunner()
FAST = ("--only", "master-svg", "--only", "figure-data")


def invoke(*args: str):
    return runner.invoke(app, ["--config", str(REPO / "shop.toml"), *args])


def test_version_is_the_installed_package_version():
    from importlib.metadata import version

    res = invoke("--version")
    assert res.exit_code == 0
    assert res.output.strip() == f"teeprint {version('teeprint')}"


def test_help_lists_every_valid_value():
    colorways, garments = embedded_ids()
    assert set(colorways) == {p.stem for p in (REPO / "palettes").glob("*.toml")} - {"garments"}
    assert "navy" in garments and "soft-cream" in garments
    flat = " ".join(invoke("render", "--help").output.split())
    for kind in KINDS:
        assert kind.replace("-", "- ") in flat or kind in flat, kind
    for cw in colorways:
        assert cw in flat
    assert "15x18" in flat and "12x16" in flat
    mock = " ".join(invoke("mockup", "--help").output.split())
    for g in garments:
        assert g in mock.replace("- ", "-"), g


def test_render_json_summary_and_preflight_count(tmp_path):
    res = runner.invoke(app, ["--config", str(REPO / "shop.toml"), "render", "relu", "-c", "ecru",
                              "--out", str(tmp_path), "--only", "master-svg", "--only",
                              "print-png", "--only", "preflight", "--preset", "12x16", "--json"])
    assert res.exit_code == 0, res.output
    body = res.stdout[res.stdout.index("{"):]
    summary = json.loads(body)
    assert summary["ok"] is True and summary["slug"] == "relu"
    assert all(Path(f).is_file() for f in summary["files"])
    report = json.loads((tmp_path / "relu" / "relu--ecru--preflight.json").read_text())
    assert summary["preflight"]["ecru"]["warnings"] == report["warnings"]
    assert summary["preflight"]["ecru"]["errors"] == report["errors"] == 0
    assert re.search(r"relu/ecru: preflight 0 error\(s\), \d+ warning\(s\)", res.stderr)


def test_batch_off_a_terminal_prints_a_line_per_plate_and_a_summary(tmp_path):
    root = make_archive(tmp_path / "shop", {"seed-1.toml": variant_toml(
        "seed-1", "Seed 1", "learning-theory", 61, ["ecru"], "Double descent at another seed.",
        [], seed=2)})
    out = root / "out"
    r = teeprint(root, "batch", "--all", "--out", str(out), "--jobs", "2", *FAST)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines[0].startswith("batch: 4 specimens, 4 to render")
    per_plate = [ln for ln in lines if re.match(r"\[\d/4\] [a-z0-9-]+: rendered in [\d.]+ s, \d+ files", ln)]
    assert len(per_plate) == 4, r.stderr
    assert re.search(r"batch: 4 rendered, 0 skipped, 0 failed in [\d.]+ s", lines[-1])

    again = teeprint(root, "batch", "--all", "--out", str(out), "--json", *FAST)
    summary = json.loads(again.stdout)
    assert (summary["rendered"], summary["skipped"], summary["failed"]) == (0, 4, 0)
    assert {r["slug"] for r in summary["results"]} == {p.stem for p in (root / "designs").glob("*.toml")}


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"TEEPRINT_TEST_MARK={marker}".encode() in env:
            found.append(int(entry.name))
    return found


def test_kill_9_of_the_batch_alone_leaves_no_worker_behind(tmp_path):
    root = make_archive(tmp_path / "shop", {f"seed-{i}.toml": variant_toml(
        f"seed-{i}", f"Seed {i}", "learning-theory", 60 + i, ["ecru"], "Double descent again.",
        [], seed=i + 1) for i in range(3)})
    marker = uuid.uuid4().hex
    env = {**os.environ, "TEEPRINT_TEST_MARK": marker}
    cmd = [sys.executable, "-m", "teeprint", "--config", str(root / "shop.toml"), "batch", "--all",
           "--out", str(root / "out"), "--jobs", "2", *FAST]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_processes_with(marker)) < 3:  # batch + workers
        time.sleep(0.05)
    assert len(_processes_with(marker)) >= 3, "the workers should have started"
    os.kill(proc.pid, signal.SIGKILL)  # the batch only, as a user's kill -9 would
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _processes_with(marker):
        time.sleep(0.1)
    assert _processes_with(marker) == []


def test_a_killed_writers_temporary_files_are_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    orphan = tmp_path / f".plate.svg.{pid}.k2j3.tmp"
    ours = tmp_path / f".plate.png.{os.getpid()}.a1b2.tmp"
    unrelated = tmp_path / ".notes.tmp"
    for p in (orphan, ours, unrelated):
        p.write_bytes(b"torn")
    assert sweep_orphans(tmp_path) == [orphan]
    assert not orphan.exists() and ours.exists() and unrelated.exists()


def test_two_writers_into_one_folder_keep_each_others_manifest_entries(tmp_path):
    folder = tmp_path / "plate"
    rounds = 12
    gate = threading.Barrier(2)

    def writer(cw: str) -> None:
        for i in range(rounds):
            gate.wait()
            write_outputs(folder, [Output(f"plate--{cw}--{i}.txt", "master-svg",
                                          f"{cw}{i}".encode(), cw)])

    threads = [threading.Thread(target=writer, args=(cw,)) for cw in ("ecru", "black")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    paths = {e["path"] for e in read_manifest(folder)["outputs"]}
    assert paths == {f"plate--{cw}--{i}.txt" for cw in ("ecru", "black") for i in range(rounds)}
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_mockup_for_one_garment_names_every_file_after_it(tmp_path):
    res = invoke("mockup", "relu", "-g", "navy", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "relu").glob("*.jpg"))
    assert names == ["relu--navy--closeup.jpg", "relu--navy--folded.jpg", "relu--navy--front.jpg",
                     "relu--navy--hanger.jpg", "relu--navy--plate.jpg"]


def test_a_full_disk_is_one_line_and_leaves_no_torn_file(tmp_path):
    """The file-size limit stands in for a full disk: the write fails with EFBIG mid-file."""
    import resource

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    res = subprocess.run([sys.executable, "-m", "teeprint", "--config", str(REPO / "shop.toml"),
                          "render", "relu", "-c", "ecru", "--only", "print-png", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=300,
                         preexec_fn=small_disk, check=False)
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "cannot write" in lines[0] and "Traceback" not in res.stderr
    assert [p.name for p in (tmp_path / "relu").iterdir()] == []
