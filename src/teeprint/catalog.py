"""Load and validate the archive: specimens (``designs/``), colourways and garments (``palettes/``)
and the shop settings (``shop.toml``).

TOML is parsed with :mod:`tomllib` and validated with pydantic models at this edge only; the
rest of the program trusts the frozen models.  Every problem becomes a one-line
:class:`~teeprint.errors.TeeprintError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from teeprint.defaults import defaults_root
from teeprint.errors import TeeprintError

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)
#: Longest slug accepted (a file name must stay well under the system's limit).
MAX_SLUG = 120
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Hex = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Honesty = Literal["computed", "closed-form", "hand-wired", "schematic"]

#: The 16 families of the archive (id -> display name), in catalogue order.
FAMILIES: dict[str, str] = {
    "learning-theory": "Learning theory & generalisation",
    "optimisation": "Optimisation & training dynamics",
    "regularisation": "Regularisation",
    "architectures": "Architectures & building blocks",
    "representations": "Representations & geometry",
    "probabilistic": "Probabilistic & Bayesian ML",
    "classical": "Classical algorithms",
    "generative": "Generative models",
    "language-models": "Language models & LLM phenomena",
    "reinforcement": "Reinforcement learning",
    "interpretability": "Interpretability",
    "pathologies": "Pathologies & failure modes",
    "evaluation": "Data, evaluation & metrics",
    "paradigms": "Learning paradigms",
    "robustness": "Robustness, safety & fairness",
    "systems": "Systems & efficiency",
}

#: What each family holds and why a contested concept sits where it does (shown by `list`, the
#: gallery and the lookbook at each family's head).  A phenomenon lives where it was found, a
#: method with its kind of method, a failure without a home among the pathologies.
FAMILY_STATEMENTS: dict[str, str] = {
    "learning-theory": "Why models generalise, and when they do not: capacity, bounds, the "
    "geometry of interpolation. Double descent and grokking live here, where they were found, "
    "not under optimisation.",
    "optimisation": "How parameters move: optimisers on closed-form landscapes and the dynamics "
    "of training. Edge of stability and the catapult are properties of the step size, so they "
    "sit here rather than in learning theory.",
    "regularisation": "Everything added to make a fit prefer the simpler answer: penalties, "
    "noise, early stopping, pruning. A method that fixes a pathology stays with its kind of "
    "method.",
    "architectures": "The building blocks: layers, attention, normalisation, positional codes, "
    "each drawn from the arithmetic it performs. Circuits found inside trained blocks belong to "
    "interpretability.",
    "representations": "The geometry of what a model has learned: embeddings, directions, "
    "collapse, the shapes of feature spaces. Geometry without a mechanistic claim sits here.",
    "probabilistic": "Models as distributions: Bayesian updating, sampling, variational "
    "inference, Gaussian processes; uncertainty drawn as uncertainty.",
    "classical": "Algorithms that predate deep learning and still run the world: trees, "
    "margins, kernels, clustering, dynamic programming.",
    "generative": "Models that make new samples: diffusion, flows, autoencoders, adversarial "
    "games, and how each can collapse. Mode, posterior and model collapse are drawn with the "
    "generators they strike.",
    "language-models": "Phenomena of models trained on text: scaling, decoding, in-context "
    "learning, alignment training. RLHF and DPO are training methods and sit here; their "
    "failure theories sit under robustness.",
    "reinforcement": "Learning from reward: bandits, value functions, policies, exploration, "
    "on gridworlds and chains small enough to solve exactly.",
    "interpretability": "Reading mechanisms out of weights and activations: superposition, "
    "circuits, probes, dictionaries. Mechanistic interpretability is its core, not a family of "
    "its own: a toy model whose mechanism is read off counts here.",
    "pathologies": "Failure modes with no home family: dead units, vanishing gradients, "
    "forgetting, instability. A collapse found in a generator stays with the generators.",
    "evaluation": "How models are measured and how measurement misleads: metrics, curves, "
    "calibration, leakage, benchmarks.",
    "paradigms": "Ways of setting up learning: self-supervised, semi-supervised, transfer, "
    "meta-, continual and federated learning, each with a computed toy.",
    "robustness": "Safety, privacy and fairness in one room: adversarial examples, shifts, "
    "differential privacy, fairness trade-offs, and the theories of how objectives fail.",
    "systems": "The arithmetic of running models: numbers formats, memory, parallelism, "
    "kernels and caches, drawn from exact counts.",
}

Family = Literal[
    "learning-theory", "optimisation", "regularisation", "architectures", "representations",
    "probabilistic", "classical", "generative", "language-models", "reinforcement",
    "interpretability", "pathologies", "evaluation", "paradigms", "robustness", "systems",
]


#: Control characters (C0 and C1, but for tab and newline) make an SVG ill-formed and print as
#: nothing; no text a user writes needs them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _no_control_characters(value: Any, where: str = "") -> None:
    if isinstance(value, str):
        m = _CONTROL.search(value)
        if m:
            msg = (f"{where or 'text'} holds the control character U+{ord(m.group()):04X}; "
                   "remove it")
            raise ValueError(msg)
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_control_characters(k, where)
            _no_control_characters(v, f"{where + '.' if where else ''}{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _no_control_characters(v, f"{where}[{i}]")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        _no_control_characters(data)
        return data


def _surname(name: str) -> str:
    """The family name, keeping lowercase particles: ``Laurens van der Maaten`` -> ``van der Maaten``."""
    words = name.split()
    start = len(words) - 1
    while start > 1 and words[start - 1] in {"van", "von", "der", "den", "de", "del", "la", "le", "du", "da", "di"}:
        start -= 1
    return " ".join(words[start:])


class Reference(_Model):
    """Where the figure comes from: authors, year, venue (and optionally the paper's title)."""

    authors: str = Field(min_length=1)
    year: int = Field(ge=1600, le=2100)
    venue: str = Field(min_length=1)
    title: str = ""

    def short(self) -> str:
        """``Belkin et al. 2019, PNAS`` style citation."""
        names = [a.strip() for a in re.split(r",| and ", self.authors) if a.strip()]
        lead = _surname(names[0]) if names else self.authors
        who = lead if len(names) == 1 else (f"{lead} & {_surname(names[1])}" if len(names) == 2
                                             else f"{lead} et al.")
        return f"{who} {self.year}, {self.venue}"


class Stage(_Model):
    """A recipe or motif reference: a registered name and its parameters."""

    name: Slug
    params: dict[str, Any] = Field(default_factory=dict)


class Claim(_Model):
    """A statement the plate makes, with the check that proves it on the figure's own arrays.

    ``check`` is an expression in the small vocabulary of :mod:`teeprint.verify.claims`
    (arrays by name, arithmetic, comparisons, a fixed list of functions; parsed, never
    evaluated as Python).  ``seeds = "all"`` (the default for computed figures) asks that it
    hold at the plate's seed and at most of the fixed verification seeds; ``"plate"`` that it
    hold at the plate's seed only (a claim about the very draw the plate prints).
    """

    says: str = Field(min_length=1, max_length=200, description="the statement, in words")
    check: str = Field(min_length=1, max_length=400, description="the expression that must be true")
    seeds: Literal["all", "plate"] = "all"


class Specimen(_Model):
    """One plate of the archive, as written in ``designs/<slug>.toml``."""

    slug: Slug
    name: str = Field(min_length=1, max_length=60)
    family: Family
    plate: int = Field(ge=1, le=9999)
    latin_title: str = Field(min_length=1, max_length=48)
    motto: str = Field(min_length=1, max_length=80)
    caption: str = Field(min_length=1, max_length=420)
    reference: Reference
    honesty: Honesty
    method: str = Field(min_length=1, max_length=140, description="how the figure was made, in a phrase")
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    colorways: tuple[Slug, ...] = Field(default=("ecru", "black"), min_length=1)
    tags: tuple[str, ...] = ()
    recipe: Stage
    motif: Stage
    claims: tuple[Claim, ...] = ()


class Ink(_Model):
    """A real ink: separation name, screen appearance (sRGB) and its CMYK alternate."""

    id: Slug
    name: str = Field(min_length=1)
    spot: str = Field(min_length=1, max_length=63, pattern=r"^[^/()<>\[\]{}%#\\]+$",
                      description="separation name as the printer knows it (a PDF colourant "
                      "name: no / ( ) < > [ ] { } % # or backslash)")
    hex: Hex
    cmyk: tuple[float, float, float, float]
    overprint: bool = False
    underbase: bool | None = Field(
        default=None, description="print a white underbase under this ink on dark garments; "
        "default: every ink that is not black (K >= 0.85 and C, M, Y <= 0.3)")

    @model_validator(mode="after")
    def _cmyk_range(self) -> Ink:
        if not all(0.0 <= v <= 1.0 for v in self.cmyk):
            msg = "cmyk values must be within 0..1"
            raise ValueError(msg)
        return self


class Garment(_Model):
    """A blank's colour as the shop sells it."""

    id: Slug
    name: str
    hex: Hex
    heather: bool = False
    heather_hex: Hex | None = None


class Underbase(_Model):
    """The white printed first on dark garments, choked under the top inks."""

    name: str = "Underbase White"
    spot: str = "Underbase_White"
    hex: Hex = "#f4f1ea"
    cmyk: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.08)
    choke_pt: float = Field(default=1.0, ge=0.0, le=6.0)


class Colorway(_Model):
    """Ink roles bound to inks, for garments of one family of colours."""

    id: Slug
    name: str
    dark: bool
    garment: Slug = Field(description="the reference garment; tints are mixed against its colour")
    garments: tuple[Slug, ...] = ()
    max_inks: int = Field(default=4, ge=1, le=12)
    roles: dict[str, Slug]
    inks: tuple[Ink, ...] = Field(min_length=1)
    underbase: Underbase | None = None
    garment_hex: Hex = "#000000"

    @model_validator(mode="after")
    def _roles_bound(self) -> Colorway:
        ids = [i.id for i in self.inks]
        if len(set(ids)) != len(ids):
            msg = f"ink ids must be unique, got {ids}"
            raise ValueError(msg)
        for role, ink in self.roles.items():
            if ink not in ids:
                msg = f"role {role!r} names ink {ink!r}; inks are {ids}"
                raise ValueError(msg)
        if "ink" not in self.roles:
            msg = "roles must bind at least the 'ink' role"
            raise ValueError(msg)
        return self

    def ink(self, ink_id: str) -> Ink:
        """The ink with that id."""
        for ink in self.inks:
            if ink.id == ink_id:
                return ink
        msg = f"colourway {self.id!r} has no ink {ink_id!r}"
        raise TeeprintError(msg)

    def ink_for(self, role: str) -> Ink:
        """The ink a role prints with; unknown roles fall back to the ``ink`` role."""
        return self.ink(self.roles.get(role, self.roles["ink"]))

    def tint_hex(self, ink_id: str, tint: float) -> str:
        """The opaque colour a tint shows on this colourway's garment.

        A halftone of density t covers a fraction t of the fabric with ink, so what the eye sees
        is the area-weighted mix in linear light.  The DTG file carries that colour opaque (never
        as partial alpha, which would thin the printer's underbase).
        """
        if tint >= 1.0:
            return self.ink(ink_id).hex.lower()
        return mix_hex(self.ink(ink_id).hex, self.garment_hex, tint)


def _srgb_to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(c: float) -> float:
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def hex_rgb(value: str) -> tuple[int, int, int]:
    """``#rrggbb`` to an (r, g, b) tuple of 0-255 ints."""
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def mix_hex(ink_hex: str, ground_hex: str, t: float) -> str:
    """Mix ``t`` of the ink with ``1-t`` of the ground in linear light; return ``#rrggbb``."""
    ink = hex_rgb(ink_hex)
    ground = hex_rgb(ground_hex)
    out = []
    for a, b in zip(ink, ground, strict=True):
        lin = t * _srgb_to_linear(a / 255) + (1 - t) * _srgb_to_linear(b / 255)
        out.append(round(_linear_to_srgb(lin) * 255))
    return "#" + "".join(f"{v:02x}" for v in out)


#: The fields a product title or handle pattern may use (see ``storefront.products``).
PRODUCT_FIELDS = ("slug", "name", "plate", "plate_roman", "latin_title", "family", "family_name")


class ShopInfo(_Model):
    """The shop's identity as printed on the plates and in the storefront."""

    brand: str = "Specimina"
    wordmark: str = "SPECIMINA"
    wordmark_tagline: str = "A Cabinet of Learning Machines"
    vendor: str = "Specimina"
    title_pattern: str = "{name} — Plate {plate_roman} Specimen Tee"
    handle_pattern: str = "{slug}-tee"

    @field_validator("title_pattern", "handle_pattern")
    @classmethod
    def _template(cls, v: str) -> str:
        from teeprint.textfmt import check_template

        check_template(v, PRODUCT_FIELDS)
        return v

    @field_validator("handle_pattern")
    @classmethod
    def _handle_stays_a_name(cls, v: str) -> str:
        # A handle names files and URLs: only the fields and lowercase words joined by '-'.
        literal = re.sub(r"\{[^{}]*\}", "", v)
        if not re.fullmatch(r"[a-z0-9-]*", literal) or "{" not in v:
            msg = (f"{v!r} must be fields and lowercase letters, digits or '-' (no '/', '.' or "
                   "spaces), e.g. \"{slug}-tee\"")
            raise ValueError(msg)
        return v


class PathsConfig(_Model):
    """Where the archive lives, relative to the settings file."""

    designs: str = "designs"
    palettes: str = "palettes"
    fonts: str = "fonts"


class FontsConfig(_Model):
    """Which family (an installed ``fontpkg`` family or a file under ``fonts/``) sets each face."""

    display: str = "Cinzel"
    serif: str = "EB Garamond"
    mono: str = "IBM Plex Mono"


class PrintSettings(_Model):
    """``[print]`` in shop.toml: screen and DTG limits for separations, films and preflight.

    Defaults are the common shop values (research/print-production.md): $15-20 per screen,
    25 MB for a DTG upload, lines >= 0.5 pt (reversed >= 1 pt) and type >= 8 pt at print
    scale, halftones at 55 LPI and 22.5 degrees on 300 dpi films.
    """

    screen_fee: float = Field(default=18.0, ge=0.0, description="setup fee per screen (per ink)")
    currency: str = Field(default="USD", min_length=3, max_length=3)
    dtg_max_mb: float = Field(default=25.0, gt=0.0)
    min_line_pt: float = Field(default=0.5, gt=0.0)
    min_knockout_line_pt: float = Field(default=1.0, gt=0.0)
    min_text_pt: float = Field(default=8.0, gt=0.0)
    min_art_px: int = Field(default=10, ge=1)
    lpi: float = Field(default=55.0, ge=35.0, le=65.0)
    angle_deg: float = Field(default=22.5, ge=0.0, lt=90.0)
    film_dpi: Literal[300, 600] = 300
    #: A CMYK output ICC profile (path relative to shop.toml): with it the spot PDF is PDF/X-4.
    output_profile: str = ""
    #: The printing condition's identifier in the ICC registry (e.g. FOGRA39, GRACoL2013).
    output_condition: str = Field(default="", max_length=63)
    output_condition_info: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _intent_complete(self) -> PrintSettings:
        if bool(self.output_profile) != bool(self.output_condition):
            msg = ("output_profile and output_condition go together: the CMYK profile file and "
                   "the condition's registry name (e.g. FOGRA39)")
            raise ValueError(msg)
        return self


class Settings(_Model):
    """``shop.toml``: shop identity, archive paths, typefaces and commerce settings.

    Sections added by later stages (pricing, print presets) are kept as free-form tables here
    and validated by the stage that reads them.
    """

    shop: ShopInfo = ShopInfo()
    paths: PathsConfig = PathsConfig()
    fonts: FontsConfig = FontsConfig()
    commerce: dict[str, Any] = Field(default_factory=dict)
    print: PrintSettings = PrintSettings()


M = TypeVar("M", bound=BaseModel)


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see `teeprint show` for the fields)"
    elif first["type"] == "missing":
        msg = "required key is missing"
    extra = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"key '{loc}': {msg}{extra}"


#: Largest settings, palette or design file read (a design is a few kilobytes).
MAX_TOML_BYTES = 1 << 20


def read_toml_bytes(path: Path) -> bytes:
    """A TOML file's bytes; a missing, unreadable or oversized file is one clear line."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
    except FileNotFoundError:
        msg = f"{path}: file not found"
        raise TeeprintError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a folder, not a TOML file (remove or rename it)"
        raise TeeprintError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror}); check the file and its permissions"
        raise TeeprintError(msg) from None
    if len(raw) > MAX_TOML_BYTES:
        msg = f"{path}: larger than {MAX_TOML_BYTES >> 20} MiB; this is not a teeprint file"
        raise TeeprintError(msg)
    return raw


def parse_toml(raw: bytes, path: Path) -> dict[str, Any]:
    """Parse TOML bytes; bad encoding, syntax or absurd nesting is one clear line."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text (save the file as UTF-8)"
        raise TeeprintError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: invalid TOML: {exc} (fix the syntax)"
        raise TeeprintError(msg) from None
    except RecursionError:
        msg = f"{path}: nested too deeply to be a teeprint file"
        raise TeeprintError(msg) from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read and parse a TOML file, turning every failure into a one-line :class:`TeeprintError`."""
    return parse_toml(read_toml_bytes(path), path)


def validate(model: type[M], data: dict[str, Any], path: Path) -> M:
    """Validate parsed data, naming the file and the first bad key on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        msg = f"{path}: {_describe(exc)}"
        raise TeeprintError(msg) from None


def find_settings(explicit: Path | None = None) -> Path:
    """The settings file to use: ``--config``, ``$TEEPRINT_CONFIG``, ``./shop.toml``, the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get("TEEPRINT_CONFIG")
    if env:
        return Path(env)
    local = Path.cwd() / "shop.toml"
    if local.exists():
        return local
    return defaults_root() / "shop.toml"


def _check_names(path: Path, own: tuple[str, str],
                 refs: tuple[str, str, Iterable[str], Iterable[str]]) -> None:
    """A file's own name must be its file name, and the names it refers to must exist:
    ``own`` is (key, value), ``refs`` is (key, what, names, known names)."""
    key, value = own
    if value != path.stem:
        msg = f"{path}: key '{key}': {value!r} must match the file name {path.stem!r}"
        raise TeeprintError(msg)
    ref_key, what, names, known = refs
    known = set(known)
    for name in names:
        if name not in known:
            msg = (f"{path}: key '{ref_key}': unknown {what} {name!r}; known: "
                   f"{', '.join(sorted(known))}")
            raise TeeprintError(msg)


@dataclass(frozen=True)
class Catalog:
    """The archive on disk: specimens, colourways, garments and settings, loaded lazily."""

    settings: Settings
    designs_dir: Path
    palettes_dir: Path
    fonts_dir: Path
    settings_path: Path

    @classmethod
    def load(cls, config: Path | None = None, designs: Path | None = None,
             palettes: Path | None = None) -> Catalog:
        """Open the archive; explicit folders override the settings file's ``[paths]``."""
        settings_path = find_settings(config)
        settings = validate(Settings, read_toml(settings_path), settings_path)
        base = settings_path.resolve().parent
        d = designs if designs is not None else (
            Path(os.environ["TEEPRINT_DESIGNS"]) if os.environ.get("TEEPRINT_DESIGNS")
            else base / settings.paths.designs)
        p = palettes if palettes is not None else (
            Path(os.environ["TEEPRINT_PALETTES"]) if os.environ.get("TEEPRINT_PALETTES")
            else base / settings.paths.palettes)
        for label, folder in (("designs", d), ("palettes", p)):
            if not folder.is_dir():
                msg = (f"{folder}: {label} folder not found (set [paths].{label} in "
                       f"{settings_path} or pass --{label} DIR)")
                raise TeeprintError(msg)
        return cls(settings, d, p, base / settings.paths.fonts, settings_path)

    def _read_specimen(self, path: Path) -> Specimen:
        """One design file, validated on its own (slug, fields, colourways)."""
        spec = validate(Specimen, read_toml(path), path)
        _check_names(path, ("slug", spec.slug), ("colorways", "colourway", spec.colorways,
                                                  self._colorways))
        return spec

    @cached_property
    def _read_alone(self) -> dict[str, Specimen]:
        return {}

    @cached_property
    def _specimens(self) -> dict[str, Specimen]:
        found: dict[str, Specimen] = {}
        for path in sorted(self.designs_dir.glob("*.toml")):
            spec = self._read_specimen(path)
            found[spec.slug] = spec
        plates: dict[int, str] = {}
        for spec in found.values():
            if spec.plate in plates:
                msg = (f"{self.designs_dir / (spec.slug + '.toml')}: key 'plate': plate {spec.plate} "
                       f"is already used by {plates[spec.plate]!r} (plate numbers are unique)")
                raise TeeprintError(msg)
            plates[spec.plate] = spec.slug
        return found

    @cached_property
    def _garments(self) -> dict[str, Garment]:
        path = self.palettes_dir / "garments.toml"
        data = read_toml(path)
        out: dict[str, Garment] = {}
        for i, entry in enumerate(data.get("garment", [])):
            g = validate(Garment, entry, Path(f"{path}[garment {i + 1}]"))
            out[g.id] = g
        if not out:
            msg = f"{path}: key 'garment': at least one [[garment]] table is required"
            raise TeeprintError(msg)
        return out

    @cached_property
    def _colorways(self) -> dict[str, Colorway]:
        out: dict[str, Colorway] = {}
        for path in sorted(self.palettes_dir.glob("*.toml")):
            if path.name == "garments.toml":
                continue
            data = read_toml(path)
            garment_id = data.get("garment")
            if isinstance(garment_id, str) and garment_id in self._garments:
                data = {**data, "garment_hex": self._garments[garment_id].hex}
            elif "garment" in data:
                msg = (f"{path}: key 'garment': unknown garment {garment_id!r}; known: "
                       f"{', '.join(sorted(self._garments))}")
                raise TeeprintError(msg)
            cw = validate(Colorway, data, path)
            _check_names(path, ("id", cw.id), ("garments", "garment", cw.garments, self._garments))
            out[cw.id] = cw
        return out

    def specimens(self, family: str | None = None, search: str | None = None) -> list[Specimen]:
        """Every specimen by plate number, optionally filtered by family or a search word."""
        specs = sorted(self._specimens.values(), key=lambda s: s.plate)
        if family is not None:
            if family not in FAMILIES:
                close = difflib.get_close_matches(family, list(FAMILIES), n=3)
                hint = f"did you mean {', '.join(close)}?" if close else f"families: {', '.join(FAMILIES)}"
                msg = f"unknown family {family!r}; {hint}"
                raise TeeprintError(msg)
            specs = [s for s in specs if s.family == family]
        if search:
            word = search.lower()
            specs = [s for s in specs if word in " ".join(
                (s.slug, s.name, s.latin_title, s.caption, s.motto, " ".join(s.tags))).lower()]
        return specs

    def specimen(self, slug: str) -> Specimen:
        """The specimen with that slug, or an error listing the closest slugs.

        Until the archive has been listed, only the specimen's own file is read: rendering one
        specimen does not parse all of them.  Rules across files (unique plate numbers) are
        checked whenever the archive is listed (``list``, ``batch``, the shop exports).
        """
        if len(slug) > MAX_SLUG:
            msg = (f"unknown specimen {slug[:40]!r}... ({len(slug)} characters; a slug has at "
                   f"most {MAX_SLUG}); run `teeprint list` to see them")
            raise TeeprintError(msg)
        if "_specimens" not in self.__dict__ and SLUG_RE.fullmatch(slug):
            path = self.designs_dir / f"{slug}.toml"
            if path.is_file():
                if slug not in self._read_alone:
                    self._read_alone[slug] = self._read_specimen(path)
                return self._read_alone[slug]
        try:
            return self._specimens[slug]
        except KeyError:
            close = difflib.get_close_matches(slug, list(self._specimens), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "run `teeprint list` to see them"
            msg = f"unknown specimen {slug!r} in {self.designs_dir}; {hint}"
            raise TeeprintError(msg) from None

    def colorway(self, cw_id: str) -> Colorway:
        """The colourway with that id, or an error listing the known ones."""
        try:
            return self._colorways[cw_id]
        except KeyError:
            msg = (f"unknown colourway {cw_id!r} in {self.palettes_dir}; known: "
                   f"{', '.join(sorted(self._colorways))}")
            raise TeeprintError(msg) from None

    def colorways(self) -> list[Colorway]:
        """Every colourway, by id."""
        return [self._colorways[k] for k in sorted(self._colorways)]

    def garment(self, garment_id: str) -> Garment:
        """The garment with that id, or an error listing the known ones."""
        try:
            return self._garments[garment_id]
        except KeyError:
            msg = (f"unknown garment {garment_id!r} in {self.palettes_dir / 'garments.toml'}; "
                   f"known: {', '.join(sorted(self._garments))}")
            raise TeeprintError(msg) from None

    def garments(self) -> list[Garment]:
        """Every garment, in file order."""
        return list(self._garments.values())

    def resolve_colorways(self, spec: Specimen, asked: Iterable[str] = ()) -> list[Colorway]:
        """The colourways to render: the ones asked for, or all of the specimen's."""
        names = list(asked) or list(spec.colorways)
        return [self.colorway(n) for n in names]


def roman(n: int) -> str:
    """Roman numeral for a plate number (1..3999; larger numbers stay Arabic)."""
    if not 0 < n < 4000:
        return str(n)
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, sym in table:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
