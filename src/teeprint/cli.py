"""The ``teeprint`` command line: thin typer commands over :mod:`teeprint.pipeline`.

Heavy modules (numpy, cairosvg, reportlab, fontTools) are imported inside the commands so that
``teeprint --help`` starts instantly.  Every user error is a :class:`TeeprintError`, printed as
one line on stderr with a non-zero exit and no traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from teeprint.defaults import embedded_ids
from teeprint.pipeline import KINDS
from teeprint.runtime import configure_process, limit_blas_threads

if TYPE_CHECKING:
    from teeprint.catalog import Catalog

# Recipes need repeatable numbers: one BLAS thread unless the user says otherwise.
limit_blas_threads()

class _OneLineErrors(TyperGroup):
    """Usage errors (a bad option value, a missing argument) as one line, like every other
    error, naming the command's ``--help`` instead of printing the usage block."""

    def main(self, args: Any = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exception as exc:
            # Typer may vendor click: recognise its exceptions by class name.
            kinds = {cls.__name__ for cls in type(exc).__mro__}
            if "NoArgsIsHelpError" in kinds:
                exc.show()  # type: ignore[attr-defined]
                sys.exit(0)
            if "UsageError" in kinds:
                ctx = getattr(exc, "ctx", None)
                where = ctx.command_path if ctx is not None else "teeprint"
                err(f"{exc.format_message()} (see `{where} --help`)")  # type: ignore[attr-defined]
                sys.exit(2)
            if "ClickException" in kinds:
                err(exc.format_message())  # type: ignore[attr-defined]
                sys.exit(getattr(exc, "exit_code", 1))
            if "Abort" in kinds:
                err("interrupted")
                sys.exit(130)
            raise
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="teeprint",
    cls=_OneLineErrors,
    help="Render machine-learning specimens as museum-plate apparel: print files, separations, "
    "mockups and shop exports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Shop settings file (default: ./shop.toml, else the embedded one).", envvar="TEEPRINT_CONFIG")]
DesignsOpt = Annotated[Path | None, typer.Option("--designs", help="Folder of specimen TOML files.", envvar="TEEPRINT_DESIGNS")]
PalettesOpt = Annotated[Path | None, typer.Option("--palettes", help="Folder of colourway TOML files.", envvar="TEEPRINT_PALETTES")]


_COLORWAYS, _GARMENTS = embedded_ids()
#: The valid values, as ``--help`` shows them (the errors for a wrong value list them too).
KINDS_HELP = f"Output kinds: {', '.join(KINDS)}."
COLORWAYS_HELP = f"Embedded colourways: {', '.join(_COLORWAYS)}." if _COLORWAYS else ""
GARMENTS_HELP = f"Embedded garments: {', '.join(_GARMENTS)}." if _GARMENTS else ""
PRESETS_HELP = "DTG print size: 15x18 (4500x5400 px) or 12x16 (3600x4800 px)."


class _State:
    config: Path | None = None
    designs: Path | None = None
    palettes: Path | None = None


_state = _State()


def err(message: str) -> None:
    """One line on stderr."""
    typer.echo(f"teeprint: error: {message}", err=True)


def info(message: str) -> None:
    """Progress and summaries on stderr, so stdout stays clean for scripts."""
    typer.echo(message, err=True)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn a :class:`TeeprintError` into one line on stderr and its exit code."""
    from teeprint.errors import TeeprintError

    try:
        yield
    except TeeprintError as exc:
        err(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err("interrupted; files already written are complete, nothing is half-written")
        raise typer.Exit(130) from None


def catalog() -> Catalog:
    """The archive chosen by the global options."""
    from teeprint.catalog import Catalog

    return Catalog.load(_state.config, _state.designs, _state.palettes)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"teeprint {version('teeprint')}")
        except PackageNotFoundError:
            typer.echo("teeprint (not installed as a package)")
        raise typer.Exit(0)


@app.callback()
def _main(config: ConfigOpt = None, designs: DesignsOpt = None, palettes: PalettesOpt = None,
          _show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    _state.config, _state.designs, _state.palettes = config, designs, palettes


@app.command()
def render(
    slug: Annotated[str, typer.Argument(help="Specimen slug, e.g. double-descent.")],
    colorway: Annotated[list[str] | None, typer.Option("--colorway", "-c", help=f"Colourway to render (repeatable; default: all of the specimen's). {COLORWAYS_HELP}")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; files go to OUT/SLUG/.")] = Path("out"),
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=2**32 - 1, help="Override the specimen's seed.")] = None,
    preset: Annotated[str, typer.Option("--preset", help=PRESETS_HELP)] = "15x18",
    only: Annotated[list[str] | None, typer.Option("--only", help=f"Produce only these output kinds (repeatable). {KINDS_HELP}")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (files, seconds, preflight counts) instead of the file list.")] = False,
) -> None:
    """Render one specimen: master SVG, DTG print PNG, spot-colour PDF, films, mockups, figure data,
    preflight report and manifest (--only picks kinds)."""
    with guarded():
        _render_one(slug, colorway or [], out, seed, preset, only or [], as_json=as_json)


def _render_one(slug: str, colorways: list[str], out: Path, seed: int | None, preset: str,
                only: list[str], *, as_json: bool = False) -> None:
    import json
    import time

    from teeprint import pipeline
    from teeprint.errors import TeeprintError
    from teeprint.export import write_outputs
    from teeprint.raster import PRESETS

    if preset not in PRESETS:
        msg = f"--preset {preset!r} is not a print size; choose one of {', '.join(PRESETS)}"
        raise TeeprintError(msg)
    bad = [k for k in only if k not in pipeline.KINDS]
    if bad:
        msg = f"--only {bad[0]!r} is not an output kind; choose from {', '.join(pipeline.KINDS)}"
        raise TeeprintError(msg)
    cat = catalog()
    spec = cat.specimen(slug)
    cws = cat.resolve_colorways(spec, colorways)
    start = time.perf_counter()
    targets = tuple(only) if only else pipeline.default_targets()
    outputs = pipeline.render(cat, spec, cws, seed=seed, preset=preset, targets=targets,
                              progress=info if sys.stderr.isatty() else None)
    folder = out / spec.slug
    keep, failures = pipeline.release(outputs)
    paths = write_outputs(folder, keep)
    seconds = time.perf_counter() - start
    checks = _preflight_counts(outputs)
    if as_json:
        typer.echo(json.dumps({"slug": spec.slug, "ok": not failures, "folder": str(folder),
                               "files": [str(p) for p in paths], "seconds": round(seconds, 3),
                               "preflight": checks, "failures": failures}, indent=1,
                              ensure_ascii=False))
    else:
        for p in paths:
            typer.echo(str(p))
    info(f"{spec.slug}: {len(paths)} files in {folder} ({seconds:.2f} s)")
    for cw, c in checks.items():
        head = (f"{spec.slug}/{cw}: preflight {c['errors']} error(s), {c['warnings']} warning(s)")
        info(head + (": " + "; ".join(c["first"]) if c["first"] else ""))
    if failures:
        msg = (f"{spec.slug}: {'; '.join(failures)}; the print files of that colourway were "
               f"not written (run `teeprint preflight {spec.slug}` for the details)")
        raise TeeprintError(msg, exit_code=1)


def _preflight_counts(outputs: list[Any]) -> dict[str, dict[str, Any]]:
    """Per colourway: the preflight's error and warning counts and its first three messages."""
    import json

    counts: dict[str, dict[str, Any]] = {}
    for o in outputs:
        if o.kind != "preflight" or not o.colorway:
            continue
        report = json.loads(o.data)
        shown = [v for v in report["violations"] if v["severity"] in ("error", "warning")]
        counts[o.colorway] = {"errors": report["errors"], "warnings": report["warnings"],
                              "first": [f"{v['severity']}: {v['message']}" for v in shown[:3]]}
    return counts


@app.command("list")
def list_(
    search: Annotated[str | None, typer.Argument(help="Only specimens whose text contains this word.")] = None,
    family: Annotated[str | None, typer.Option("--family", "-f", help="Only this family (id).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts: slug, name, family.")] = False,
) -> None:
    """List the archive's specimens, grouped by family."""
    with guarded():
        import json

        from teeprint.catalog import FAMILIES

        specs = catalog().specimens(family=family, search=search)
        if as_json:
            typer.echo(json.dumps([{"slug": s.slug, "name": s.name, "family": s.family,
                                    "family_name": FAMILIES[s.family], "plate": s.plate,
                                    "honesty": s.honesty, "latin_title": s.latin_title}
                                   for s in specs], indent=1, ensure_ascii=False))
            return
        if not specs:
            info("no specimen matches")
            return
        if not sys.stdout.isatty():
            # A pipe gets plain tab-separated lines, never cut: plate, slug, family, name, title.
            for s in specs:
                typer.echo("\t".join((str(s.plate), s.slug, s.family, s.name, s.latin_title,
                                      s.honesty)))
            return
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        from teeprint.catalog import FAMILY_STATEMENTS

        console = Console(highlight=False)
        for fam_id, fam_name in FAMILIES.items():
            members = [s for s in specs if s.family == fam_id]
            if not members:
                continue
            table = Table(title=Text(f"{fam_name}  [{fam_id}]  {len(members)} plates"),
                          caption=Text(FAMILY_STATEMENTS[fam_id]), title_justify="left",
                          caption_justify="left", expand=False)
            for col in ("plate", "slug", "name", "latin title", "figure"):
                table.add_column(col, no_wrap=col in ("plate", "slug", "figure"), overflow="fold")
            for s in members:
                table.add_row(str(s.plate), s.slug, s.name, s.latin_title, s.honesty)
            console.print(table, markup=False)


@app.command()
def show(
    slug: Annotated[str, typer.Argument(help="Specimen slug.")],
    data: Annotated[bool, typer.Option("--data", help="Compute the figure and print its arrays and provenance as JSON.")] = False,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Override the specimen's seed (with --data).")] = None,
) -> None:
    """Show a specimen's spec and provenance, or its figure data as JSON."""
    with guarded():
        cat = catalog()
        spec = cat.specimen(slug)
        if data:
            from teeprint import recipes

            typer.echo(recipes.run(spec, seed).to_json(), nl=False)
            return
        from teeprint.catalog import FAMILIES, roman

        ref = spec.reference
        rows = [
            ("plate", f"{roman(spec.plate)} (n° {spec.plate})"),
            ("name", spec.name),
            ("latin title", spec.latin_title),
            ("motto", spec.motto),
            ("family", f"{FAMILIES[spec.family]} [{spec.family}]"),
            ("caption", spec.caption),
            ("reference", f"{ref.authors} ({ref.year}). {ref.title + '. ' if ref.title else ''}{ref.venue}."),
            ("figure", f"{spec.honesty}: {spec.method}"),
            ("provenance", f"recipe {spec.recipe.name}, motif {spec.motif.name}, seed {spec.seed if seed is None else seed}"),
            ("recipe params", ", ".join(f"{k}={v}" for k, v in spec.recipe.params.items()) or "defaults"),
            ("colourways", ", ".join(spec.colorways)),
        ]
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            typer.echo(f"{key:<{width}}  {value}")


# -- commands of later stages are registered below -------------------------------------------


@app.command()
def batch(
    slugs: Annotated[list[str] | None, typer.Argument(help="Specimen slugs (or use --family / --all).")] = None,
    family: Annotated[str | None, typer.Option("--family", "-f", help="Every specimen of this family.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every specimen of the archive.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; files go to OUT/SLUG/.")] = Path("out"),
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Local processes (default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786) to render on a cluster.")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help=f"Produce only these output kinds (repeatable). {KINDS_HELP}")] = None,
    preset: Annotated[str, typer.Option("--preset", help=PRESETS_HELP)] = "15x18",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout: every specimen's status, seconds and files.")] = False,
) -> None:
    """Render many specimens in parallel, skipping those whose inputs did not change.

    On a terminal a bar names the plates in flight; elsewhere one line per plate goes to stderr.
    Both end with a summary (rendered, skipped, failed, wall time)."""
    with guarded():
        import json

        from teeprint import batch as batch_mod
        from teeprint.errors import TeeprintError

        cat = catalog()
        chosen = batch_mod.select(batch_mod.read_designs(cat), slugs or [], family, all_)
        opts = batch_mod.BatchOptions(out, tuple(only or ()), preset, jobs, scheduler)
        summary = _with_progress(lambda start, done, begin: batch_mod.run(
            cat, opts, chosen, on_start=start, on_result=done, on_begin=begin))
        for r in summary.failures:
            err(f"{r.slug}: {r.reason}")
        if summary.count("rendered") > 1:
            info(f"slowest: {summary.slowest()}; peak worker memory "
                 f"{summary.peak_mib():.0f} MiB")
        info(summary.line())
        if as_json:
            typer.echo(json.dumps(summary.to_json(), indent=1, ensure_ascii=False))
        if summary.failures:
            msg = f"{len(summary.failures)} specimen(s) failed; see the lines above"
            raise TeeprintError(msg, exit_code=1)


def _with_progress(run: Callable[..., Any]) -> Any:
    """Run a batch with a rich progress bar on stderr when a person is watching (naming the
    plates in flight), or one plain line per plate when stderr is a file or a pipe."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tty = sys.stderr.isatty()
    console = Console(stderr=True)
    flying: list[str] = []
    finished = [0, 0]  # done, total
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=not tty,
                  transient=False) as bar:
        task = bar.add_task("batch: reading designs", total=None)

        def describe() -> str:
            return "rendering " + ", ".join(flying) if flying else "batch"

        def start(total: int, to_render: int) -> None:
            finished[1] = total
            bar.update(task, total=total, description=f"batch: {to_render} to render, "
                       f"{total - to_render} up to date")
            if not tty:
                info(f"batch: {total} specimens, {to_render} to render, "
                     f"{total - to_render} up to date")

        def begin(slug: str) -> None:
            flying.append(slug)
            bar.update(task, description=describe())

        def done(result: Any) -> None:
            if result.slug in flying:
                flying.remove(result.slug)
            finished[0] += 1
            bar.update(task, advance=1, description=describe())
            if not tty and result.status != "skipped":
                tail = f" ({result.reason})" if result.reason else ""
                info(f"[{finished[0]}/{finished[1]}] {result.slug}: {result.status} "
                     f"in {result.seconds:.1f} s, {result.files} files{tail}")

        return run(start, done, begin)


shop_app = typer.Typer(help="Shop exports from the rendered archive: product CSV, POD payloads, gallery, lookbook.",
                       no_args_is_help=True)
app.add_typer(shop_app, name="shop")


@shop_app.command("export")
def shop_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the shop files.")] = Path("out/shop"),
    renders: Annotated[Path, typer.Option("--renders", help="The batch output folder to read (OUT of `teeprint batch`).")] = Path("out"),
    image_base_url: Annotated[str | None, typer.Option("--image-base-url", help="Public URL where OUT/images/ is hosted (overrides [commerce].image_base_url).")] = None,
    gallery: Annotated[bool, typer.Option("--gallery/--no-gallery", help="Write the static gallery OUT/gallery/.")] = True,
    lookbook: Annotated[bool, typer.Option("--lookbook/--no-lookbook", help="Write the PDF lookbook OUT/lookbook.pdf.")] = True,
    local_preview: Annotated[bool, typer.Option("--local-preview", help="Allow image cells that are not https:// URLs (files for looking at here, not for importing).")] = False,
) -> None:
    """Shopify CSV, Printify/Printful payloads, images, gallery, lookbook and a manifest."""
    with guarded():
        from teeprint.storefront.export import export

        report = export(catalog(), renders, out, image_base_url=image_base_url,
                        gallery=gallery, lookbook=lookbook, local_preview=local_preview)
        for line in report.lines():
            info(line)


@app.command()
def separate(
    slug: Annotated[str, typer.Argument(help="Specimen slug, e.g. double-descent.")],
    colorway: Annotated[list[str] | None, typer.Option("--colorway", "-c", help=f"Colourway (repeatable; default: all of the specimen's). {COLORWAYS_HELP}")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; files go to OUT/SLUG/.")] = Path("out"),
    lpi: Annotated[float | None, typer.Option("--lpi", help="Halftone frequency on the films, 35-65 LPI (default: [print].lpi, 55).")] = None,
    angle: Annotated[float | None, typer.Option("--angle", help="Screen angle in degrees, 0-90 (default: [print].angle_deg, 22.5).")] = None,
    film_dpi: Annotated[int | None, typer.Option("--film-dpi", help="Film resolution, 300 or 600 dpi (default: [print].film_dpi, 300).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=2**32 - 1, help="Override the specimen's seed.")] = None,
) -> None:
    """Write screen-printing separations: a spot-colour PDF and one halftoned film per plate."""
    with guarded():
        from teeprint import pipeline
        from teeprint.export import write_outputs
        from teeprint.separate import ScreenSettings

        cat = catalog()
        opts = {"lpi": lpi, "angle": angle, "film_dpi": film_dpi}
        screen = ScreenSettings.from_options(opts, cat.settings.print)  # bad options fail first
        spec = cat.specimen(slug)
        cws = cat.resolve_colorways(spec, colorway or [])
        outputs = pipeline.render(cat, spec, cws, seed=seed, targets=("separation-pdf", "film"),
                                  options=opts, progress=info if sys.stderr.isatty() else None)
        for p in write_outputs(out / spec.slug, outputs):
            typer.echo(str(p))
        for o in outputs:
            if o.kind == "separation-pdf":
                info(f"{spec.slug}/{o.colorway}: {len(o.extra['plates'])} plates "
                     f"({', '.join(o.extra['plates'])}); films at {screen.lpi:g} LPI, "
                     f"{screen.angle_deg:g} deg, {screen.film_dpi} dpi")


@app.command()
def preflight(
    targets: Annotated[list[str] | None, typer.Argument(help="Specimen slugs, or files teeprint wrote: a print .png, a master .svg, a separations .pdf.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every specimen of the archive.")] = False,
    colorway: Annotated[list[str] | None, typer.Option("--colorway", "-c", help=f"Colourway (repeatable; for a file: the palette to check it against). {COLORWAYS_HELP}")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="Check at this print size only (default: the smallest scale of all presets, 12x16 = 80 %).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON instead of tables.")] = False,
    png: Annotated[bool, typer.Option("--png/--no-png", help="Render and check each DTG print PNG too (slower).")] = True,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where specimen reports go: OUT/SLUG/SLUG--COLOURWAY--preflight.json.")] = Path("out"),
) -> None:
    """Check print rules (line and type sizes, inks, alpha, colours, print area, file size).

    Every violation is listed; the exit code is 1 when any is an error.
    """
    with guarded():
        import json

        from rich.console import Console

        from teeprint import pipeline
        from teeprint import preflight as pf
        from teeprint.errors import TeeprintError
        from teeprint.export import atomic_write, write_outputs

        cat = catalog()
        names = [s.slug for s in cat.specimens()] if all_ else list(targets or [])
        if not names:
            msg = "name a specimen slug or a file to preflight (or pass --all)"
            raise TeeprintError(msg)
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
        reports: list[pf.Report] = []
        for name in names:
            shown = len(reports)
            path = Path(name)
            if path.suffix.lower() in (".png", ".svg", ".pdf"):
                asked = colorway[0] if colorway else None
                report = pf.check_file(path, cat, colorway=asked, preset=preset)
                atomic_write(path.with_name(path.name + ".preflight.json"), report.to_json().encode())
                reports.append(report)
            else:
                spec = cat.specimen(name)
                plate = pipeline.draw_plate(cat, spec)
                made = []
                for cw in cat.resolve_colorways(spec, colorway or []):
                    data = pipeline.print_png(plate, cw, preset or "15x18").data if png else None
                    report = pf.check_plate(plate, cw, cat.settings.print, print_png=data,
                                            png_preset=preset or "15x18", preset=preset)
                    reports.append(report)
                    made.append(pipeline.Output(
                        pipeline.file_stem(spec.slug, cw.id, "preflight") + ".json", "preflight",
                        report.to_json().encode(), cw.id,
                        extra={"ok": report.ok, "errors": len(report.errors),
                               "screens": len(report.screens)}))
                write_outputs(out / spec.slug, made)
            if not as_json:
                for report in reports[shown:]:
                    console.print(pf.rich_report(report))
        if as_json:
            typer.echo(json.dumps([r.to_dict() for r in reports], indent=1, sort_keys=True,
                                  ensure_ascii=False))
        failed = [r for r in reports if not r.ok]
        info(f"preflight: {len(reports) - len(failed)} passed, {len(failed)} failed")
        if failed:
            raise typer.Exit(1)


@app.command()
def mockup(
    slug: Annotated[str, typer.Argument(help="Specimen slug.")],
    garment: Annotated[list[str] | None, typer.Option("--garment", "-g", help=f"Garment id (repeatable; default: every garment the specimen's colourways print on). {GARMENTS_HELP}")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; files go to OUT/SLUG/.")] = Path("out"),
    fmt: Annotated[str, typer.Option("--format", help="Image format: jpeg, png or webp.")] = "jpeg",
) -> None:
    """Render storefront mockups of a simulated tee: laid flat in each garment colour, on a
    hanger, folded, a close-up of the figure, every colour in one frame, and the plate card."""
    with guarded():
        import time

        from teeprint import mockup as mk
        from teeprint.export import write_outputs

        start = time.perf_counter()
        cat = catalog()
        spec = cat.specimen(slug)
        outputs = mk.render_specimen(cat, spec, garment or [], fmt=fmt,
                                     progress=info if sys.stderr.isatty() else None)
        folder = out / spec.slug
        for p in write_outputs(folder, outputs):
            typer.echo(str(p))
        info(f"{spec.slug}: {len(outputs)} mockups in {folder} ({time.perf_counter() - start:.2f} s)")


def _archive(cat: Catalog, family: str | None) -> tuple[list[Any], list[tuple[str, str]]]:
    """The archive's specimens (of one family) by plate, each design file read on its own, and
    the files that cannot be read (slug, why): one broken file does not hide the others."""
    from teeprint.batch import read_designs
    from teeprint.catalog import FAMILIES
    from teeprint.errors import TeeprintError

    if family is not None and family not in FAMILIES:
        msg = f"unknown family {family!r}; families: {', '.join(FAMILIES)}"
        raise TeeprintError(msg)
    designs = read_designs(cat)
    specs = sorted((d.spec for d in designs.values() if d.spec is not None
                    and family in (None, d.spec.family)), key=lambda s: s.plate)
    return specs, [(d.slug, d.problem) for d in designs.values() if d.spec is None]


@app.command()
def verify(
    slugs: Annotated[list[str] | None, typer.Argument(help="Specimen slugs (default with --all: every one).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify the whole archive, with the near-duplicate gate.")] = False,
    family: Annotated[str | None, typer.Option("--family", "-f", help="Verify one family (id).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON on stdout.")] = False,
    plate_seed_only: Annotated[bool, typer.Option("--plate-seed-only", help="Check claims at the plate's seed only (quicker; not a full verification).")] = False,
) -> None:
    """Check each plate's claims on its own arrays (at its seed and at the fixed verification
    seeds), its labels against the artwork, and, over several plates, near-duplicate figures.
    Exit 1 if anything fails."""
    with guarded():
        import json

        from teeprint.errors import TeeprintError
        from teeprint.verify.report import verify_many

        cat = catalog()
        broken: list[tuple[str, str]] = []
        if all_ or family:
            specs, broken = _archive(cat, family)
        elif slugs:
            specs = [cat.specimen(s) for s in slugs]
        else:
            msg = "name specimens to verify, or give --all or --family ID"
            raise TeeprintError(msg)
        result = verify_many(cat, specs, seeds=not plate_seed_only, broken=broken,
                             progress=None if as_json else info)
        if as_json:
            typer.echo(json.dumps(result.to_json(), indent=1, ensure_ascii=False))
        else:
            for line in result.lines():
                typer.echo(line)
        if not result.ok:
            raise typer.Exit(1)


@app.command()
def sheet(
    slugs: Annotated[list[str] | None, typer.Argument(help="Specimen slugs (default: the --family, or the whole archive).")] = None,
    family: Annotated[str | None, typer.Option("--family", "-f", help="Every plate of one family (id).")] = None,
    colorway: Annotated[str, typer.Option("--colorway", "-c", help=f"Colourway to draw the plates in. {COLORWAYS_HELP}")] = "ecru",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the sheet PNG.")] = Path("out/sheets"),
) -> None:
    """Draw a contact sheet: the plates side by side in one PNG, for reviewing a series."""
    with guarded():
        from teeprint.export import atomic_write
        from teeprint.verify.sheet import contact_sheet

        cat = catalog()
        specs = [cat.specimen(s) for s in slugs] if slugs else _archive(cat, family)[0]
        if not specs:
            from teeprint.errors import TeeprintError

            msg = f"no specimen in family {family!r}; see `teeprint list`"
            raise TeeprintError(msg)
        name = f"{family or ('plates' if slugs else 'archive')}--{colorway}.png"
        problems: list[tuple[str, str]] = []
        png = contact_sheet(cat, specs, colorway, problems=problems)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / name, png)
        for slug, why in problems:
            err(f"{slug}: {why}")
        info(f"{len(specs)} plates on {out / name}"
             + (f" ({len(problems)} could not be drawn)" if problems else ""))
        if problems:
            raise typer.Exit(1)


def main() -> None:
    """Console-script entry point (process settings: :mod:`teeprint.runtime`)."""
    configure_process()
    try:
        app()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    # Every file is closed and renamed into place by now; tearing the interpreter down with
    # numpy, scipy and cairo loaded would only add a third of a second to every command.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (``teeprint list | head``) is not an error
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
