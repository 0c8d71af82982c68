"""PDF/X-4 (ISO 15930-7) for the spot-colour PDF, when the shop names its print condition.

A printer's RIP reads the output intent to know which press condition the file was made for.
The separations are already what PDF/X asks of the page (every colour a ``/Separation`` with a
CMYK alternate, no RGB, no fonts, TrimBox inside BleedBox inside MediaBox); this module adds
the document-level parts with pikepdf:

- ``/OutputIntents``: one ``/GTS_PDFX`` intent with the shop's condition identifier, its
  registry and the CMYK output profile embedded (``/DestOutputProfile``, ``N 4``);
- the Info dictionary's ``/GTS_PDFXVersion (PDF/X-4)`` and ``/Trapped /False``;
- XMP metadata carrying the same version, title, producer, dates and trapping, with a
  document id derived from the file's content (the bytes stay deterministic);
- a PDF 1.6 header, the lowest version PDF/X-4 allows.

The profile is the shop's (``[print].output_profile`` in ``shop.toml``): the printer's own, or
one built from a published characterisation such as FOGRA39.  Without it the PDF is written
as before and is not PDF/X.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from teeprint.errors import TeeprintError

PDFX_VERSION = "PDF/X-4"
#: The ICC registry that lists characterised printing conditions (FOGRA39, GRACoL2013 ...).
ICC_REGISTRY = "http://www.color.org"
#: reportlab's invariant date, so the XMP dates agree with the Info dictionary.
FIXED_DATE = "2000-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class OutputIntent:
    """The print condition the separations are made for."""

    profile: bytes
    condition: str
    info: str = ""


@lru_cache(maxsize=8)
def _read_profile(path: str, _mtime_ns: int) -> bytes:
    return Path(path).read_bytes()


def load_intent(profile_path: Path, condition: str, info: str = "") -> OutputIntent:
    """Read and check a CMYK output (``prtr``) ICC profile; one clear line if it is not one."""
    from PIL import ImageCms

    try:
        data = _read_profile(str(profile_path), profile_path.stat().st_mtime_ns)
    except OSError as exc:
        msg = (f"{profile_path}: cannot read the output profile ({exc.strerror}); set "
               "[print].output_profile in shop.toml to a CMYK ICC file")
        raise TeeprintError(msg) from None
    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile
    except (OSError, ImageCms.PyCMSError):
        msg = f"{profile_path}: not an ICC profile; give the printer's CMYK output profile"
        raise TeeprintError(msg) from None
    space = prof.xcolor_space.strip()
    if space != "CMYK" or prof.device_class != "prtr":
        msg = (f"{profile_path}: a {space} {prof.device_class} profile; PDF/X separations need a "
               "CMYK output (prtr) profile")
        raise TeeprintError(msg)
    return OutputIntent(data, condition, info or prof.profile_description or condition)


def make_pdfx4(pdf_bytes: bytes, intent: OutputIntent, title: str) -> bytes:
    """The same PDF as PDF/X-4: output intent, version keys, XMP metadata, PDF 1.6."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    doc_id = hashlib.sha256(pdf_bytes + intent.profile).hexdigest()
    uuid = f"uuid:{doc_id[:8]}-{doc_id[8:12]}-{doc_id[12:16]}-{doc_id[16:20]}-{doc_id[20:32]}"
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        icc = pikepdf.Stream(pdf, intent.profile)
        icc.N = 4
        icc.Alternate = Name.DeviceCMYK
        pdf.Root.OutputIntents = Array([Dictionary(
            Type=Name.OutputIntent, S=Name.GTS_PDFX,
            OutputConditionIdentifier=String(intent.condition),
            OutputCondition=String(intent.info), Info=String(intent.info),
            RegistryName=String(ICC_REGISTRY), DestOutputProfile=pdf.make_indirect(icc))])
        info = pdf.docinfo
        info.GTS_PDFXVersion = String(PDFX_VERSION)
        info.Trapped = Name("/False")
        info.Title = String(title)
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfxid:GTS_PDFXVersion"] = PDFX_VERSION
            meta["dc:title"] = title
            # PDF/X wants the Info dictionary and the XMP to say the same things.
            if info.get("/Author"):
                meta["dc:creator"] = [str(info.Author)]
            if info.get("/Subject"):
                meta["dc:description"] = str(info.Subject)
            if info.get("/Keywords"):
                meta["pdf:Keywords"] = str(info.Keywords)
            meta["pdf:Producer"] = str(info.get("/Producer", "teeprint"))
            meta["pdf:Trapped"] = "False"
            meta["xmp:CreatorTool"] = "teeprint"
            meta["xmp:CreateDate"] = FIXED_DATE
            meta["xmp:ModifyDate"] = FIXED_DATE
            meta["xmp:MetadataDate"] = FIXED_DATE
            meta["xmpMM:DocumentID"] = uuid
            meta["xmpMM:InstanceID"] = uuid
            meta["xmpMM:RenditionClass"] = "default"
            meta["xmpMM:VersionID"] = "1"
        out = io.BytesIO()
        pdf.save(out, min_version="1.6", deterministic_id=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()
