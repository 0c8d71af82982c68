"""Render many specimens in one run: across local processes or a Dask cluster, incrementally.

Why it is shaped this way:

* **Workers compute, the parent writes.**  A worker (a local process or a Dask worker on another
  machine) turns a specimen into :class:`~teeprint.pipeline.Output` bytes in memory and sends
  them back; only the parent process touches ``OUT/``.  So a cluster needs no shared disk, there
  is one writer per folder, and every file goes through :func:`teeprint.export.atomic_write`.
* **Incremental by content.**  A specimen's *input key* is a sha256 over everything that can
  change its files: its spec TOML bytes, its colourways' TOML, ``garments.toml``, ``shop.toml``,
  the font files its faces resolve to, the code version (``teeprint.__version__`` plus a hash of
  the package's ``.py`` sources), and the targets and preset asked for.  The key goes into a
  stamp file written *after* all of the specimen's files and its manifest; a specimen whose stamp
  holds the same key, and whose stamped files are all still there at their recorded sizes, is
  skipped.  A no-op rebuild therefore reads a few TOML files, hashes the sources and fonts once,
  and stats the outputs: seconds for the whole archive, no worker is started.
* **Crash-safe and resumable.**  Writes are atomic (temporary file + rename), and the stamp is
  last, so after ``kill -9`` a specimen is either stamped and complete or unstamped and rendered
  again; renders are deterministic, so the resumed run ends byte-identical to a clean one.
  Temporary files a killed writer left behind in a specimen's folder are removed before the
  folder is written again.
* **One bad specimen is one line.**  Design files are validated one by one here (not through
  :meth:`Catalog.specimens`, which stops at the first bad file), so a broken TOML, an invalid
  parameter or a crash inside a recipe fails that specimen only; the others finish and the run
  exits non-zero.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from teeprint.errors import TeeprintError

if TYPE_CHECKING:
    from teeprint.catalog import Catalog, Colorway, Specimen
    from teeprint.pipeline import Output

#: The stamp file in each specimen folder; written last, names the input key of its files.
STAMP = ".batch-stamp.json"

Status = Literal["rendered", "skipped", "failed"]


@dataclass(frozen=True)
class Job:
    """One specimen to render: its spec bytes (what the key was computed over) and the targets."""

    slug: str
    design_name: str
    design_toml: bytes
    key: str
    targets: tuple[str, ...]
    preset: str


@dataclass(frozen=True)
class JobOutput:
    """What a worker sends back: the outputs in memory, or the one-line reason it failed."""

    slug: str
    outputs: list[Output]
    seconds: float
    reason: str = ""
    #: The worker process's peak resident memory so far, in MiB (0 where it cannot be read).
    peak_mib: float = 0.0
    #: Files the worker already wrote and stamped itself (local workers share the disk), in
    #: which case ``outputs`` is empty; None when the bytes come back to be written.
    committed: int | None = None


@dataclass(frozen=True)
class Result:
    """The fate of one specimen in a batch."""

    slug: str
    status: Status
    seconds: float = 0.0
    reason: str = ""
    files: int = 0
    peak_mib: float = 0.0


@dataclass
class Summary:
    """Every specimen's result and the wall time of the run."""

    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        """How many specimens ended with that status."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def failures(self) -> list[Result]:
        """The failed specimens, by slug."""
        return sorted((r for r in self.results if r.status == "failed"), key=lambda r: r.slug)

    def slowest(self, n: int = 3) -> str:
        """The specimens that took longest to render (where to look when a batch is slow)."""
        done = sorted((r for r in self.results if r.status == "rendered"), key=lambda r: -r.seconds)
        return ", ".join(f"{r.slug} {r.seconds:.1f} s" for r in done[:n])

    def to_json(self) -> dict[str, Any]:
        """The summary for scripts: counts, wall seconds and every specimen's result."""
        return {"ok": not self.failures, "rendered": self.count("rendered"),
                "skipped": self.count("skipped"), "failed": self.count("failed"),
                "seconds": round(self.seconds, 3), "peak_worker_mib": round(self.peak_mib(), 1),
                "results": [{"slug": r.slug, "status": r.status, "seconds": round(r.seconds, 3),
                             "files": r.files, "peak_mib": round(r.peak_mib, 1),
                             "reason": r.reason} for r in self.results]}

    def peak_mib(self) -> float:
        """The largest peak resident memory a worker reached in this run, in MiB."""
        return max((r.peak_mib for r in self.results), default=0.0)

    def line(self) -> str:
        """The closing line: counts and wall seconds."""
        return (f"batch: {self.count('rendered')} rendered, {self.count('skipped')} skipped, "
                f"{self.count('failed')} failed in {self.seconds:.2f} s")


# -- input keys --------------------------------------------------------------------------------


def _sha_file(path: Path) -> str:
    return _sha_file_cached(str(path), *_stat_sig(path))


def _stat_sig(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@lru_cache(maxsize=256)
def _sha_file_cached(path: str, _size: int, _mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


#: Package files that never change a render's bytes: the command line, this module.
#: Editing them does not invalidate the archive.
_NOT_RENDER_INPUTS = frozenset({"__main__.py", "cli.py", "batch.py"})
#: Package folders that only read what was rendered (the storefront exports) or check it
#: (verification).
_NOT_RENDER_PACKAGES = frozenset({"storefront", "verify"})


def code_version() -> str:
    """``teeprint.__version__`` plus a sha256 of the package's sources and data files.

    A change to any module that renders (a recipe, a motif, a writer, a mockup texture) can
    change the bytes of every output, so it invalidates every stamp; the version alone would
    miss edits between releases.  Modules that only read outputs (:data:`_NOT_RENDER_INPUTS`)
    and packages (:data:`_NOT_RENDER_PACKAGES`) are left out.
    """
    import teeprint

    root = Path(teeprint.__file__).resolve().parent
    h = hashlib.sha256(teeprint.__version__.encode())
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (not path.is_file() or "__pycache__" in rel.parts or rel.parts[0] in _NOT_RENDER_PACKAGES
                or rel.as_posix() in _NOT_RENDER_INPUTS or path.suffix in (".pyc", ".pyo")):
            continue
        h.update(rel.as_posix().encode() + b"\0")
        h.update(_sha_file(path).encode())
    return h.hexdigest()


def font_files(catalog: Catalog) -> list[Path]:
    """The font files the shop's faces resolve to (a change of file changes the outlines)."""
    from teeprint.typeset import Face, resolve_face

    faces: tuple[Face, ...] = ("display", "serif", "serif-italic", "mono")
    found = {resolve_face(face, catalog.settings.fonts, catalog.fonts_dir).path for face in faces}
    return sorted(found)


@dataclass(frozen=True)
class KeyBase:
    """The parts of every input key that are shared by all specimens of a run."""

    code: str
    shop_toml: str
    garments_toml: str
    fonts: tuple[tuple[str, str], ...]
    targets: tuple[str, ...]
    preset: str

    @classmethod
    def of(cls, catalog: Catalog, targets: Sequence[str], preset: str) -> KeyBase:
        """Hash the shared inputs once per run."""
        garments = catalog.palettes_dir / "garments.toml"
        return cls(
            code=code_version(),
            shop_toml=_sha_file(catalog.settings_path),
            garments_toml=_sha_file(garments) if garments.is_file() else "",
            fonts=tuple((p.name, _sha_file(p)) for p in font_files(catalog)),
            targets=tuple(sorted(targets)),
            preset=preset,
        )


def input_key(base: KeyBase, design_toml: bytes, colorway_tomls: Iterable[tuple[str, bytes]]) -> str:
    """The sha256 that decides whether a specimen must be rendered again."""
    h = hashlib.sha256()
    parts: list[str] = [
        "teeprint-batch-key/1",
        base.code, base.shop_toml, base.garments_toml,
        *(f"font:{name}:{sha}" for name, sha in base.fonts),
        "targets:" + ",".join(base.targets), "preset:" + base.preset,
        "design:" + hashlib.sha256(design_toml).hexdigest(),
    ]
    parts += [f"colorway:{cid}:{hashlib.sha256(data).hexdigest()}" for cid, data in colorway_tomls]
    for part in parts:
        h.update(part.encode() + b"\n")
    return h.hexdigest()


# -- the archive, one design file at a time ----------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A design file read on its own: the spec, or why it cannot be rendered."""

    slug: str
    path: Path
    toml: bytes
    spec: Specimen | None
    problem: str = ""


def read_designs(catalog: Catalog) -> dict[str, Design]:
    """Every ``designs/*.toml``, validated one by one so a bad file fails only itself."""
    from teeprint.catalog import Specimen, read_toml_bytes, validate

    designs: dict[str, Design] = {}
    for path in sorted(catalog.designs_dir.glob("*.toml")):
        try:
            raw = read_toml_bytes(path)
        except TeeprintError as exc:
            designs[path.stem] = Design(path.stem, path, b"", None, str(exc))
            continue
        try:
            data = _parse_toml(raw, path)
            spec = validate(Specimen, data, path)
            if spec.slug != path.stem:
                msg = f"{path}: key 'slug': {spec.slug!r} must match the file name {path.stem!r}"
                raise TeeprintError(msg)
            for cw in spec.colorways:
                catalog.colorway(cw)
        except TeeprintError as exc:
            designs[path.stem] = Design(path.stem, path, raw, None, str(exc))
            continue
        designs[spec.slug] = Design(spec.slug, path, raw, spec)
    seen: dict[int, str] = {}
    for slug, d in sorted(designs.items()):
        if d.spec is None:
            continue
        if d.spec.plate in seen:
            msg = (f"{d.path}: key 'plate': plate {d.spec.plate} is already used by "
                   f"{seen[d.spec.plate]!r} (plate numbers are unique)")
            designs[slug] = Design(slug, d.path, d.toml, None, msg)
        else:
            seen[d.spec.plate] = slug
    return designs


def _parse_toml(raw: bytes, path: Path) -> dict[str, object]:
    from teeprint.catalog import parse_toml

    return parse_toml(raw, path)


def select(designs: dict[str, Design], slugs: Sequence[str], family: str | None,
           everything: bool) -> list[Design]:
    """The designs a batch covers: the slugs named, a family, or ``--all``; by plate number."""
    import difflib

    from teeprint.catalog import FAMILIES

    if not slugs and family is None and not everything:
        msg = "name the specimens to render (SLUG...), a --family, or --all"
        raise TeeprintError(msg)
    if family is not None and family not in FAMILIES:
        close = difflib.get_close_matches(family, list(FAMILIES), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"families: {', '.join(FAMILIES)}"
        msg = f"unknown family {family!r}; {hint}"
        raise TeeprintError(msg)
    chosen: dict[str, Design] = {}
    for slug in slugs:
        if slug not in designs:
            close = difflib.get_close_matches(slug, list(designs), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "run `teeprint list` to see them"
            msg = f"unknown specimen {slug!r}; {hint}"
            raise TeeprintError(msg)
        chosen[slug] = designs[slug]
    for slug, d in designs.items():
        if everything or (family is not None and d.spec is not None and d.spec.family == family):
            chosen[slug] = d
    return sorted(chosen.values(), key=lambda d: (d.spec.plate if d.spec else 10**6, d.slug))


# -- stamps ------------------------------------------------------------------------------------


def read_stamp(folder: Path) -> dict[str, object]:
    """The stamp of a specimen folder, or an empty dict."""
    try:
        data = json.loads((folder / STAMP).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_current(folder: Path, key: str) -> bool:
    """True when the folder's stamp has this key and every stamped file is there, same size."""
    stamp = read_stamp(folder)
    files = stamp.get("files")
    if stamp.get("key") != key or not isinstance(files, dict):
        return False
    for name, size in files.items():
        try:
            if (folder / name).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def _remove_torn(folder: Path) -> None:
    """Delete temporary files a killed writer left in this folder (never a finished file)."""
    if not folder.is_dir():
        return
    for tmp in folder.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def commit(folder: Path, outputs: Sequence[Output], key: str) -> int:
    """Write a specimen's outputs and manifest, then its stamp (last); return the file count."""
    from teeprint.export import MANIFEST, atomic_write, write_outputs

    _remove_torn(folder)
    write_outputs(folder, outputs)
    files = {o.path: len(o.data) for o in outputs}
    files[MANIFEST] = (folder / MANIFEST).stat().st_size
    stamp = {"key": key, "files": dict(sorted(files.items()))}
    atomic_write(folder / STAMP, (json.dumps(stamp, indent=1, sort_keys=True) + "\n").encode())
    return len(outputs)


# -- the worker --------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    """An unexpected exception as one line: type, message, and where it was raised."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    text = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {text}{where}"


def render_job(catalog: Catalog, colorways: Sequence[Colorway], job: Job,
               out: Path | None = None) -> JobOutput:
    """Render one specimen in memory (runs in a worker process, local or remote).

    The spec is parsed from the bytes the key was computed over, so what is rendered is exactly
    what is stamped even if the file changes while the batch runs.  With ``out`` (a local
    worker, which shares the disk) the worker writes and stamps the files itself, so eleven
    megabytes a plate do not travel back through a pipe to be written by one process.
    """
    from teeprint import pipeline
    from teeprint.catalog import Specimen, validate
    from teeprint.memo import forget_plates
    from teeprint.runtime import configure_process

    configure_process()
    start = time.perf_counter()
    if _announce is not None:
        _announce.put(job.slug)
    try:
        path = Path(job.design_name)
        spec = validate(Specimen, _parse_toml(job.design_toml, path), path)
        outputs = pipeline.render(catalog, spec, list(colorways), preset=job.preset,
                                  targets=job.targets, workers=_dask_threads())
        _, failures = pipeline.release(outputs)
        if failures:
            msg = "; ".join(failures)
            raise TeeprintError(msg, exit_code=1)
        if out is not None:
            n = commit(out / job.slug, outputs, job.key)
            return JobOutput(job.slug, [], time.perf_counter() - start, peak_mib=_peak_mib(),
                             committed=n)
    except TeeprintError as exc:
        return JobOutput(job.slug, [], time.perf_counter() - start, str(exc), _peak_mib())
    except Exception as exc:  # a bug in one recipe must not stop the archive
        return JobOutput(job.slug, [], time.perf_counter() - start, _one_line(exc), _peak_mib())
    finally:
        forget_plates()
    return JobOutput(job.slug, outputs, time.perf_counter() - start, peak_mib=_peak_mib())


def _dask_threads() -> int | None:
    """On a Dask worker, one render thread per job unless ``TEEPRINT_THREADS`` says otherwise:
    the cluster already runs as many jobs at once as its workers have threads.  None (the
    render's own default) anywhere else."""
    if os.environ.get("TEEPRINT_THREADS") or "distributed" not in sys.modules:
        return None
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:  # in the client or a local process, not on a worker
        return None
    return 1


def _peak_mib() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB, macOS bytes)."""
    try:
        import resource
    except ImportError:  # not on a POSIX system
        return 0.0
    peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


#: In a local worker: where it announces the specimen it starts (the parent names the plates
#: in flight from it).  None in the parent and on Dask workers.
_announce: Any = None


def _init_worker(queue: Any = None, batch_pid: int | None = None, threads: int = 0) -> None:
    """Set a local worker up: process settings, the watch on the batch, and ``threads`` render
    threads (the cores shared out between the workers, unless ``TEEPRINT_THREADS`` is set)."""
    global _announce
    from teeprint.runtime import configure_process, exit_with

    configure_process()
    if threads > 0:
        os.environ.setdefault("TEEPRINT_THREADS", str(threads))
    if batch_pid is not None:
        exit_with(batch_pid)
    _announce = queue


#: Modules the forkserver imports once, so each worker starts warm instead of re-importing.
_PRELOAD = ["numpy", "cairosvg", "teeprint.pipeline", "teeprint.recipes", "teeprint.motifs",
            "teeprint.typeset", "teeprint.raster", "teeprint.batch", "teeprint.warm"]


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOptions:
    """How to run: where to write, which kinds, how many processes, or which Dask scheduler."""

    out: Path
    targets: tuple[str, ...] | None = None
    preset: str = "15x18"
    jobs: int | None = None
    scheduler: str | None = None


def resolve_targets(asked: Sequence[str] | None) -> tuple[str, ...]:
    """The kinds to produce: the ones asked (checked), else every registered stage's."""
    from teeprint import pipeline

    if not asked:
        return pipeline.default_targets()
    available = pipeline.default_targets()
    for kind in asked:
        if kind not in pipeline.KINDS:
            msg = f"--only {kind!r} is not an output kind; choose from {', '.join(pipeline.KINDS)}"
            raise TeeprintError(msg)
        if kind not in available:
            msg = (f"--only {kind!r}: no stage producing it is installed yet; available: "
                   f"{', '.join(available)}")
            raise TeeprintError(msg)
    return tuple(k for k in pipeline.KINDS if k in asked)


def plan(catalog: Catalog, chosen: Sequence[Design], options: BatchOptions,
         targets: tuple[str, ...]) -> tuple[list[Job], list[Result]]:
    """Split the chosen designs into jobs to render and results already known (skip, fail)."""
    from teeprint.raster import PRESETS

    if options.preset not in PRESETS:
        msg = f"--preset {options.preset!r} is not a print size; choose one of {', '.join(PRESETS)}"
        raise TeeprintError(msg)
    base = KeyBase.of(catalog, targets, options.preset)
    jobs: list[Job] = []
    known: list[Result] = []
    for d in chosen:
        if d.spec is None:
            known.append(Result(d.slug, "failed", reason=d.problem))
            continue
        cw_tomls = [(cw, (catalog.palettes_dir / f"{cw}.toml").read_bytes()) for cw in d.spec.colorways]
        key = input_key(base, d.toml, cw_tomls)
        if is_current(options.out / d.slug, key):
            known.append(Result(d.slug, "skipped"))
            continue
        jobs.append(Job(d.slug, str(d.path), d.toml, key, targets, options.preset))
    return jobs, known


def _fresh_catalog(catalog: Catalog) -> Catalog:
    """The archive as a worker needs it: settings, colourways and garments already read (so a
    worker on another machine needs no ``palettes/`` folder), the specimens left out (each job
    carries its own spec)."""
    from teeprint.catalog import Catalog as _Catalog

    fresh = _Catalog(catalog.settings, catalog.designs_dir, catalog.palettes_dir,
                     catalog.fonts_dir, catalog.settings_path)
    fresh.colorways()
    fresh.garments()
    return fresh


def _local(catalog: Catalog, work: list[tuple[Job, list[Colorway]]], jobs: int,
           out: Path, on_begin: Callable[[str], None] | None = None) -> Iterator[JobOutput]:
    """Render in local processes (forkserver: workers fork from a warm, preloaded server),
    each writing its specimens' files into ``out`` itself.

    Each worker announces the specimen it starts on a queue; ``on_begin(slug)`` hears it.
    """
    import multiprocessing
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if jobs <= 1 or len(work) == 1:
        for job, cws in work:
            if on_begin:
                on_begin(job.slug)
            yield render_job(catalog, cws, job, out)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(_PRELOAD)
    cat = _fresh_catalog(catalog)
    started = ctx.SimpleQueue() if on_begin else None
    n_workers = min(jobs, len(work))
    # Each render runs its stages on threads; workers that each took every core would only
    # contend, so the cores are shared out (at least one thread each).
    from teeprint.pipeline import default_workers

    threads = max(1, default_workers() // n_workers)
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(started, os.getpid(), threads)) as pool:
        pending: dict[Future[JobOutput], Job] = {
            pool.submit(render_job, cat, cws, job, out): job for job, cws in work}
        while pending:
            done, _ = wait(pending, timeout=0.25 if started else None,
                           return_when=FIRST_COMPLETED)
            while started is not None and on_begin is not None and not started.empty():
                try:
                    on_begin(started.get())
                except (EOFError, OSError, queue_mod.Empty):
                    break
            for fut in done:
                job = pending.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    yield JobOutput(job.slug, [], 0.0, "worker process died (out of memory or "
                                    "killed); run the batch again to retry")
                except Exception as exc:
                    yield JobOutput(job.slug, [], 0.0, _one_line(exc))


def _probe(address: str) -> None:
    """Fail at once, in one line, when nothing listens at a ``tcp://`` scheduler address
    (the Dask client would otherwise retry until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786), timeout=10):
            pass
    except OSError as exc:
        msg = (f"--scheduler {address}: cannot reach the Dask scheduler ({exc.strerror or exc}); "
               "start one with `dask scheduler` and workers with `dask worker ADDRESS`")
        raise TeeprintError(msg) from None


def _dask(catalog: Catalog, work: list[tuple[Job, list[Colorway]]], address: str) -> Iterator[JobOutput]:
    """Render on a Dask distributed cluster; the bytes come back here to be written."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        msg = "--scheduler needs dask[distributed]; pip install 'dask[distributed]'"
        raise TeeprintError(msg) from None
    _probe(address)
    try:
        client = Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        msg = (f"--scheduler {address}: cannot reach the Dask scheduler ({' '.join(str(exc).split())}); "
               "start one with `dask scheduler` and workers with `dask worker ADDRESS`")
        raise TeeprintError(msg) from None
    with client:
        cat = client.scatter(_fresh_catalog(catalog), broadcast=True)
        futures = {client.submit(render_job, cat, cws, job, pure=False,
                                 key=f"teeprint-{job.slug}-{job.key[:16]}"): job for job, cws in work}
        for fut in as_completed(list(futures), loop=client.loop):
            job = futures[fut]
            try:
                yield fut.result()
            except Exception as exc:
                yield JobOutput(job.slug, [], 0.0, _one_line(exc))


def usable_cores() -> int:
    """The cores this process may run on (a container or ``taskset`` may allow fewer than the
    machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(catalog: Catalog, options: BatchOptions, chosen: Sequence[Design], *,
        on_start: Callable[[int, int], None] | None = None,
        on_result: Callable[[Result], None] | None = None,
        on_begin: Callable[[str], None] | None = None) -> Summary:
    """Render the chosen designs that are out of date and stamp them; never raise for one spec.

    ``on_start(total, to_render)``, ``on_begin(slug)`` (a local worker starts a specimen) and
    ``on_result(result)`` let the caller draw progress.
    """
    start = time.perf_counter()
    targets = resolve_targets(options.targets)
    jobs, known = plan(catalog, chosen, options, targets)
    summary = Summary(list(known))
    if on_start:
        on_start(len(chosen), len(jobs))
    for r in known:
        if on_result:
            on_result(r)
    keys = {j.slug: j for j in jobs}
    work = [(j, catalog.resolve_colorways(_spec_of(chosen, j.slug))) for j in jobs]
    stream: Iterable[JobOutput] = ()
    if work:
        if options.scheduler:
            stream = _dask(catalog, work, options.scheduler)
        else:
            stream = _local(catalog, work, options.jobs or usable_cores(), options.out, on_begin)
    for got in stream:
        if got.reason:
            result = Result(got.slug, "failed", got.seconds, got.reason, peak_mib=got.peak_mib)
        elif got.committed is not None:
            result = Result(got.slug, "rendered", got.seconds, files=got.committed,
                            peak_mib=got.peak_mib)
        else:
            try:
                n = commit(options.out / got.slug, got.outputs, keys[got.slug].key)
            except TeeprintError as exc:
                result = Result(got.slug, "failed", got.seconds, str(exc), peak_mib=got.peak_mib)
            else:
                result = Result(got.slug, "rendered", got.seconds, files=n,
                                peak_mib=got.peak_mib)
        summary.results.append(result)
        if on_result:
            on_result(result)
    summary.results.sort(key=lambda r: r.slug)
    summary.seconds = time.perf_counter() - start
    return summary


def _spec_of(chosen: Sequence[Design], slug: str) -> Specimen:
    for d in chosen:
        if d.slug == slug and d.spec is not None:
            return d.spec
    msg = f"internal: {slug} has no spec"
    raise TeeprintError(msg)

