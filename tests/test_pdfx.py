"""PDF/X-4 separations: with the shop's CMYK output profile named in shop.toml, the spot PDF
carries the output intent, the version keys in Info and XMP, and stays the same separations.

The profile is built here from the published FOGRA39 characterisation data (Debian's
icc-profiles-free) with ArgyllCMS ``colprof``; Ghostscript then renders the file through the
embedded profile (``-dUsePDFX3Profile``) into its separations.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import ImageCms
from typer.testing import CliRunner

from teeprint.cli import app

from .conftest import REPO

FOGRA39 = Path("/usr/share/color/icc/FOGRA39L.ti3")
runner = CliRunner()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("colprof") and FOGRA39.is_file()):
        pytest.skip("needs ArgyllCMS colprof and icc-profiles-free (apt-get install argyll icc-profiles-free)")
    root = tmp_path_factory.mktemp("pdfx")
    shutil.copy(FOGRA39, root / "FOGRA39L.ti3")
    subprocess.run(["colprof", "-ql", "-D", "FOGRA39 (ISO 12647-2:2004, coated)", "-O",
                    "fogra39.icc", "FOGRA39L"], cwd=root, check=True, capture_output=True,
                   timeout=300)
    settings = (REPO / "shop.toml").read_text("utf-8")
    settings = settings.replace('designs = "designs"', f'designs = "{REPO / "designs"}"')
    settings = settings.replace('palettes = "palettes"', f'palettes = "{REPO / "palettes"}"')
    settings = settings.replace('# output_profile = "profiles/printer-cmyk.icc"',
                                'output_profile = "fogra39.icc"')
    settings = settings.replace('# output_condition = "FOGRA39"', 'output_condition = "FOGRA39"')
    (root / "shop.toml").write_text(settings, "utf-8")
    for folder, config in (("x", root / "shop.toml"), ("plain", REPO / "shop.toml")):
        res = runner.invoke(app, ["--config", str(config), "render", "relu", "-c", "black",
                                  "--only", "separation-pdf", "--out", str(root / folder)])
        assert res.exit_code == 0, res.output
    return root


def test_pdfx4_document_parts(shop):
    path = shop / "x" / "relu" / "relu--black--separations.pdf"
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version >= "1.6"
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1
        intent = intents[0]
        assert intent.S == pikepdf.Name.GTS_PDFX
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        assert str(intent.RegistryName) == "http://www.color.org"
        icc = intent.DestOutputProfile
        assert int(icc.N) == 4
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc.read_bytes())).profile
        assert prof.xcolor_space.strip() == "CMYK" and prof.device_class == "prtr"
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-4"
        assert pdf.docinfo.Trapped == pikepdf.Name("/False")
        meta = pdf.open_metadata()
        assert meta["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        assert meta["pdf:Trapped"] == "False"
        assert meta["dc:title"] == str(pdf.docinfo.Title)
        assert re.fullmatch(r"uuid:[0-9a-f-]{36}", meta["xmpMM:DocumentID"])
        for page in pdf.pages:
            media, bleed, trim = (list(map(float, page.obj[k])) for k in ("/MediaBox", "/BleedBox", "/TrimBox"))
            assert media[0] <= bleed[0] <= trim[0] and trim[2] <= bleed[2] <= media[2]
            assert media[1] <= bleed[1] <= trim[1] and trim[3] <= bleed[3] <= media[3]
        raw = path.read_bytes()
        assert b"/DeviceRGB" not in raw and b"/CalRGB" not in raw
        # All type is outlined: no font anywhere (reportlab leaves an empty /Font dictionary).
        assert all(len(page.Resources.get("/Font", {})) == 0 for page in pdf.pages)
        assert b"/FontDescriptor" not in raw and b"/FontFile" not in raw


def test_pdfx4_keeps_the_separations_and_is_deterministic(shop):
    x = shop / "x" / "relu" / "relu--black--separations.pdf"
    plain = shop / "plain" / "relu" / "relu--black--separations.pdf"

    def plates(pdf: Path) -> set[str]:
        with pikepdf.open(pdf) as doc:
            return {str(cs[1]) for page in doc.pages
                    for cs in page.Resources.get("/ColorSpace", {}).values()
                    if isinstance(cs, pikepdf.Array) and cs[0] == pikepdf.Name.Separation}

    assert plates(x) == plates(plain) and len(plates(x)) >= 3
    again = runner.invoke(app, ["--config", str(shop / "shop.toml"), "render", "relu", "-c",
                                "black", "--only", "separation-pdf", "--out", str(shop / "again")])
    assert again.exit_code == 0
    assert (shop / "again" / "relu" / x.name).read_bytes() == x.read_bytes()


def test_qpdf_finds_both_files_sound_and_the_underbase_is_vector(shop):
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed (apt-get install qpdf)")
    for folder in ("x", "plain"):
        path = shop / folder / "relu" / "relu--black--separations.pdf"
        res = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True,
                             timeout=120, check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "No syntax or stream encoding errors found" in res.stdout
        with pikepdf.open(path) as pdf:
            page = pdf.pages[0]
            assert "/XObject" not in page.Resources  # paths, no underbase image
            key = next(k for k, cs in page.Resources.ColorSpace.items()
                       if cs[1] == pikepdf.Name("/Underbase_White"))
            assert re.search(rb"%s cs [0-9.]+ scn\s+[-0-9. ]+ m" % key.encode(),
                             page.Contents.read_bytes())


def test_ghostscript_renders_through_the_output_intent(shop, tmp_path):
    x = shop / "x" / "relu" / "relu--black--separations.pdf"
    res = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-dUsePDFX3Profile",
                          "-sDEVICE=tiffsep", "-r24", f"-sOutputFile={tmp_path / 'p%d.tif'}",
                          str(x)], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    assert "rror" not in res.stderr and "arning" not in res.stderr, res.stderr
    names = {p.name for p in tmp_path.glob("p1(*).tif")}
    assert {"p1(Underbase_White).tif", "p1(PANTONE 7597 C).tif"} <= names


def test_a_profile_that_is_not_cmyk_output_is_one_line(shop, tmp_path):
    settings = (shop / "shop.toml").read_text("utf-8").replace(
        'output_profile = "fogra39.icc"', f'output_profile = "{tmp_path / "srgb.icc"}"')
    (tmp_path / "srgb.icc").write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (tmp_path / "shop.toml").write_text(settings, "utf-8")
    res = runner.invoke(app, ["--config", str(tmp_path / "shop.toml"), "render", "relu", "-c",
                              "black", "--only", "separation-pdf", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "CMYK output (prtr) profile" in res.stderr
    assert not (tmp_path / "o").exists()
