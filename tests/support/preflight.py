"""A print preflight on pikepdf: what a printer's PDF/X check (ISO 15930-4 PDF/X-1a:2003,
ISO 15930-7 PDF/X-4) looks at in a print-ready book interior, as far as cxbook's files
can break it. No PDF/X validator installs from the project's registries, so this is the
project's own; each problem names the clause or rule it comes from.

``preflight(path, standard=..., trim=..., bleed=...)`` returns the list of problems (empty
when the file passes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name

RGB_SPACES = {"/DeviceRGB", "/CalRGB"}
OK_BLEND = {"/Normal", "/Compatible"}


@dataclass
class Problem:
    rule: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.where}): {self.what}"


def _box(obj: pikepdf.Object, key: Name) -> tuple[float, float, float, float] | None:
    box = obj.get(key)
    if box is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (inner[0] >= outer[0] - 0.01 and inner[1] >= outer[1] - 0.01
            and inner[2] <= outer[2] + 0.01 and inner[3] <= outer[3] + 0.01)


def _space_is_rgb(space: object) -> bool:
    if isinstance(space, pikepdf.Name):
        return str(space) in RGB_SPACES
    if isinstance(space, pikepdf.Array) and len(space):
        family = str(space[0])
        if family in RGB_SPACES:
            return True
        if family == "/ICCBased":
            return int(space[1].get(Name.N, 0)) == 3
        if family == "/Indexed":
            return _space_is_rgb(space[1])
        if family in ("/Separation", "/DeviceN"):
            return _space_is_rgb(space[2])
    return False


def _walk_resources(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    """(where, resource dictionary) for every page and every form or pattern it uses."""
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        todo = [page.obj.get(Name.Resources)]
        while todo:
            res = todo.pop()
            if res is None:
                continue
            if res.is_indirect:
                if res.objgen in seen:
                    continue
                seen.add(res.objgen)
            yield f"page {number}", res
            for xobject in res.get(Name.XObject, pikepdf.Dictionary()).values():
                if xobject.get(Name.Subtype) == Name.Form:
                    todo.append(xobject.get(Name.Resources))
            for pattern in res.get(Name.Pattern, pikepdf.Dictionary()).values():
                todo.append(pattern.get(Name.Resources))


def _content_streams(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    for number, page in enumerate(pdf.pages, start=1):
        yield f"page {number}", page
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get(Name.Subtype) == Name.Form:
            yield f"form {obj.objgen[0]}", obj


def _fonts(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    for where, res in _walk_resources(pdf):
        for font in res.get(Name.Font, pikepdf.Dictionary()).values():
            yield where, font


def preflight(path: Path, *, standard: str, trim: tuple[float, float],
              bleed: float) -> list[Problem]:
    """Problems of the file at ``path`` as a ``standard`` ("pdf/x-4" or "pdf/x-1a") book
    interior of ``trim`` (width, height in points) with ``bleed`` points of bleed on the
    top, bottom and outer edges."""
    problems: list[Problem] = []

    def fail(rule: str, where: str, what: str) -> None:
        problems.append(Problem(rule, where, what))

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        x1a = standard == "pdf/x-1a"
        # Version and identification.
        limit = "1.4" if x1a else "1.6"
        if pdf.pdf_version > limit:
            fail("file version", "header", f"PDF {pdf.pdf_version}, above {limit}")
        info = pdf.trailer.get(Name.Info, pikepdf.Dictionary())
        if Name.ID not in pdf.trailer:
            fail("file identifier", "trailer", "no /ID")
        if str(info.get(Name.Trapped, "")) != "/False" and str(
                info.get(Name.Trapped, "")) != "/True":
            fail("trapping", "Info", "/Trapped is neither /True nor /False")
        if not str(info.get(Name.Title, "")).strip():
            fail("document title", "Info", "no /Title")
        xmp = root.Metadata.read_bytes().decode("utf-8") if Name.Metadata in root else ""
        if x1a:
            if str(info.get("/GTS_PDFXVersion", "")) != "PDF/X-1a:2003":
                fail("identification", "Info", "GTS_PDFXVersion is not PDF/X-1a:2003")
        elif not re.search(r"GTS_PDFXVersion[^>]*>\s*PDF/X-4\s*<|GTS_PDFXVersion=\"PDF/X-4\"",
                           xmp):
            fail("identification", "XMP", "pdfxid:GTS_PDFXVersion is not PDF/X-4")
        # Output intent.
        intents = [i for i in root.get(Name.OutputIntents, pikepdf.Array())
                   if i.get(Name.S) == Name.GTS_PDFX]
        if len(intents) != 1:
            fail("output intent", "catalog", f"{len(intents)} GTS_PDFX output intents")
        for intent in intents:
            profile = intent.get(Name.DestOutputProfile)
            if not str(intent.get(Name.OutputConditionIdentifier, "")).strip():
                fail("output intent", "catalog", "no OutputConditionIdentifier")
            if profile is None or int(profile.get(Name.N, 0)) != 4:
                fail("output intent", "catalog", "no CMYK DestOutputProfile")
            elif profile.read_bytes()[16:20] != b"CMYK":
                fail("output intent", "catalog", "the profile's colour space is not CMYK")
        # Things a print file must not have.
        for key in (Name.Outlines, Name.AcroForm, Name.OpenAction):
            if key in root:
                fail("no interactive content", "catalog", f"has {key}")
        if Name.Names in root and Name.Dests in root.Names:
            fail("no interactive content", "catalog", "has named destinations")
        if Name.Names in root and Name.JavaScript in root.Names:
            fail("no interactive content", "catalog", "has JavaScript")
        # Pages: boxes, annotations, even count.
        if len(pdf.pages) % 2:
            fail("even page count", "file", f"{len(pdf.pages)} pages")
        for number, page in enumerate(pdf.pages, start=1):
            where = f"page {number}"
            obj = page.obj
            media = _box(obj, Name.MediaBox)
            trim_box = _box(obj, Name.TrimBox)
            bleed_box = _box(obj, Name.BleedBox)
            if trim_box is None or bleed_box is None or media is None:
                fail("page boxes", where, "no TrimBox or no BleedBox")
                continue
            size = (trim_box[2] - trim_box[0], trim_box[3] - trim_box[1])
            if abs(size[0] - trim[0]) > 0.05 or abs(size[1] - trim[1]) > 0.05:
                fail("trim size", where, f"TrimBox {size[0]:.2f} × {size[1]:.2f} pt, "
                     f"not {trim[0]:.2f} × {trim[1]:.2f}")
            if not (_inside(trim_box, bleed_box) and _inside(bleed_box, media)):
                fail("page boxes", where, "TrimBox ⊆ BleedBox ⊆ MediaBox does not hold")
            recto = number % 2 == 1
            outer = bleed_box[2] - trim_box[2] if recto else trim_box[0] - bleed_box[0]
            spine = trim_box[0] - bleed_box[0] if recto else bleed_box[2] - trim_box[2]
            for side, value, want in (("outer", outer, bleed), ("spine", spine, 0.0),
                                      ("top", bleed_box[3] - trim_box[3], bleed),
                                      ("bottom", trim_box[1] - bleed_box[1], bleed)):
                if abs(value - want) > 0.05:
                    fail("bleed", where, f"{side} bleed {value:.2f} pt, not {want:.2f}")
            annotations = obj.get(Name.Annots, pikepdf.Array())
            if len(annotations):
                kinds = sorted({str(a.get(Name.Subtype)) for a in annotations})
                fail("no annotations", where, f"{len(annotations)} annotations: {kinds}")
            if x1a and Name.Group in obj:
                fail("no transparency", where, "page transparency group")
        # Fonts: every one embedded.
        for where, font in _fonts(pdf):
            target = font
            if Name.DescendantFonts in font:
                target = font.DescendantFonts[0]
            if font.get(Name.Subtype) == Name.Type3:
                continue
            descriptor = target.get(Name.FontDescriptor)
            if descriptor is None or not any(k in descriptor for k in (
                    Name.FontFile, Name.FontFile2, Name.FontFile3)):
                fail("fonts embedded", where, f"{font.get(Name.BaseFont)} is not embedded")
        # Colour and transparency.
        for where, res in _walk_resources(pdf):
            spaces = res.get(Name.ColorSpace, pikepdf.Dictionary())
            has_default_rgb = Name.DefaultRGB in spaces
            for key, space in spaces.items():
                if x1a and key != "/DefaultRGB" and _space_is_rgb(space):
                    fail("no RGB (X-1a)", where, f"colour space {key} is RGB")
            for key, xobject in res.get(Name.XObject, pikepdf.Dictionary()).items():
                if xobject.get(Name.Subtype) != Name.Image:
                    continue
                space = xobject.get(Name.ColorSpace)
                if x1a and _space_is_rgb(space):
                    fail("no RGB (X-1a)", where, f"image {key} is RGB")
                if not x1a and str(space) == "/DeviceRGB" and not has_default_rgb:
                    fail("device-independent RGB (X-4)", where,
                         f"image {key} is DeviceRGB without a DefaultRGB")
                if x1a and (Name.SMask in xobject or Name.Mask in xobject):
                    fail("no transparency (X-1a)", where, f"image {key} has a mask")
            for key, state in res.get(Name.ExtGState, pikepdf.Dictionary()).items():
                if not x1a:
                    continue
                for alpha in (Name.CA, Name.ca):
                    if alpha in state and float(state[alpha]) < 1:
                        fail("no transparency (X-1a)", where, f"{key} sets {alpha} < 1")
                if Name.SMask in state and state.SMask != Name("/None"):
                    fail("no transparency (X-1a)", where, f"{key} sets a soft mask")
                if Name.BM in state and str(state.BM) not in OK_BLEND:
                    fail("no transparency (X-1a)", where, f"{key} blends with {state.BM}")
            for key, pattern in res.get(Name.Shading, pikepdf.Dictionary()).items():
                if x1a and _space_is_rgb(pattern.get(Name.ColorSpace)):
                    fail("no RGB (X-1a)", where, f"shading {key} is RGB")
            if not has_default_rgb and not x1a:
                continue
        for where, holder in _content_streams(pdf):
            uses_rgb = False
            for instruction in pikepdf.parse_content_stream(holder):
                if not isinstance(instruction, pikepdf.ContentStreamInstruction):
                    continue
                if str(instruction.operator) in ("rg", "RG"):
                    uses_rgb = True
                    break
            if not uses_rgb:
                continue
            if x1a:
                fail("no RGB (X-1a)", where, "paints with DeviceRGB (rg/RG)")
            else:
                resources = holder.get(Name.Resources) if isinstance(
                    holder, pikepdf.Stream) else holder.obj.get(Name.Resources)
                spaces = (resources or pikepdf.Dictionary()).get(Name.ColorSpace,
                                                                 pikepdf.Dictionary())
                if Name.DefaultRGB not in spaces:
                    fail("device-independent RGB (X-4)", where,
                         "paints with DeviceRGB without a DefaultRGB")
        for obj in pdf.objects:
            if x1a and isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) \
                    and Name.Group in obj:
                group = obj.Group
                if isinstance(group, pikepdf.Dictionary) and group.get(Name.S) == \
                        Name.Transparency:
                    fail("no transparency (X-1a)", f"object {obj.objgen[0]}",
                         "transparency group")
    return problems
