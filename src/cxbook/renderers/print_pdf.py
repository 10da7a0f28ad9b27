"""The print edition (``--format print`` → ``<slug>-print.pdf``): the reader edition's
content made into a file a print shop or a print-on-demand service accepts.

- PDF/X: WeasyPrint's ``pdf/x-4`` or ``pdf/x-1a`` variant (ISO 15930-7 and -4), with a
  GTS_PDFX output intent whose destination profile is cxbook's FOGRA39 CMYK profile
  (print_assets/README.txt says where it comes from). In PDF/X-4 the RGB colours and images
  stay RGB, made device-independent by a DefaultRGB (sRGB) colour space; PDF/X-1a has no
  RGB at all and no transparency: colours and images are converted to CMYK with the output
  profile (greys to black ink only, as text should print) and transparent images are laid
  on white.
- Trim and bleed: the page is the trim size (book.yaml ``print: trim``) and the MediaBox
  adds the bleed on the top, bottom and outer edge (none at the spine); every page has a
  TrimBox and a BleedBox. The cover, when the file includes it, covers its bleed.
- The inner margin grows with the page count (printing.gutter): the book is laid out again
  when its page count crosses a step.
- An even page count, no bookmarks, links, annotations or structure tree, every font
  embedded (WeasyPrint embeds subsets).

The rest of the PDF is made as for the reader edition (renderers/pdf.py), in parts; this
module adds the print stylesheet before layout and prepares the joined file for the press
with pikepdf afterwards.
"""

from __future__ import annotations

import io
import re
import uuid
import zlib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import ClassVar

import pikepdf
from pikepdf import Array, Dictionary, Name
from PIL import Image, ImageCms

from ..build import BuildOptions
from ..i18n import text_direction
from ..model import Book, PrintEdition, Project
from ..output import OutputFile
from ..printing import (
    DEFAULT_BLEED,
    DEFAULT_TRIM,
    OUTER_MARGIN,
    SERVICES,
    STANDARDS,
    gutter,
    parse_length,
    parse_trim,
)
from .pdf import busy_processes, render_pdf
from .pdf_html import main_sections

PROFILE_NAME = "cxbook-FOGRA39.icc"
OUTPUT_CONDITION = "FOGRA39"  # ICC characterization registry name of the condition
OUTPUT_CONDITION_TEXT = "Offset commercial printing, coated paper (ISO 12647-2:2004/Amd 1)"


def default_edition(book: Book) -> PrintEdition:
    """The settings of a book whose book.yaml has no ``print:`` section."""
    size = parse_trim(DEFAULT_TRIM)
    bleed = parse_length(DEFAULT_BLEED)
    assert size is not None and bleed is not None
    return PrintEdition(DEFAULT_TRIM, size[0], size[1], bleed, STANDARDS[0], None, False,
                        book.location)


def print_css(edition: PrintEdition, pages: int) -> str:
    """Page size, bleed and margins of the print edition, for a book of ``pages`` pages."""
    inner = OUTER_MARGIN + gutter(pages)
    outer = OUTER_MARGIN
    w, h, b = edition.width, edition.height, edition.bleed
    # Print-on-demand services take the cover as a file of its own: left out unless asked.
    cover = "" if edition.cover else ".cover { display: none; }\n"
    return cover + (
        "\n/* Print edition (cxbook): trim, bleed, a gutter for the page count. */\n"
        f"@page {{ size: {w:.3f}pt {h:.3f}pt; bleed: {b:.3f}pt; marks: none; }}\n"
        f"@page :left {{ margin-left: {outer:.3f}pt; margin-right: {inner:.3f}pt; }}\n"
        f"@page :right {{ margin-left: {inner:.3f}pt; margin-right: {outer:.3f}pt; }}\n"
        "@page cover { margin: 0; }\n"
        # The cover image fills the page and runs into the bleed (1 pt beyond it, so that no
        # sliver of paper shows where the edge pixel is only partly covered).
        f".cover-image img {{ top: {-b - 1:.3f}pt; left: {-b - 1:.3f}pt; "
        f"width: {w + 2 * b + 2:.3f}pt; height: {h + 2 * b + 2:.3f}pt; object-fit: cover; }}\n"
    )


@lru_cache(maxsize=1)
def output_profile() -> bytes:
    """The CMYK output-intent profile shipped with cxbook."""
    return (resources.files("cxbook.renderers") / "print_assets" / PROFILE_NAME).read_bytes()


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    """The ICC's sRGB profile (sRGB2014.icc, which the ICC lets anyone copy and embed), as
    WeasyPrint ships it for PDF/A. Not made with littleCMS, which stamps the time into it."""
    return (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


@lru_cache(maxsize=1)
def _to_cmyk() -> ImageCms.ImageCmsTransform:
    cmyk = ImageCms.ImageCmsProfile(io.BytesIO(output_profile()))
    srgb = ImageCms.ImageCmsProfile(io.BytesIO(_srgb_profile()))
    return ImageCms.buildTransform(srgb, cmyk, "RGB", "CMYK",
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)


@lru_cache(maxsize=4096)
def cmyk(red: float, green: float, blue: float) -> tuple[float, float, float, float]:
    """An sRGB colour (components 0–1) in the output profile's CMYK (0–1). Greys become
    black ink alone, so that grey text and rules print without colour fringes."""
    if abs(red - green) < 1e-6 and abs(green - blue) < 1e-6:
        return (0.0, 0.0, 0.0, round(1.0 - red, 4))
    pixel = Image.new("RGB", (1, 1), tuple(round(v * 255) for v in (red, green, blue)))
    c, m, y, k = ImageCms.applyTransform(pixel, _to_cmyk()).getpixel((0, 0))  # type: ignore[union-attr,misc]
    return (round(c / 255, 4), round(m / 255, 4), round(y / 255, 4), round(k / 255, 4))


def _output_intent(pdf: pikepdf.Pdf) -> pikepdf.Object:
    profile = pdf.make_stream(output_profile())
    profile[Name.N] = 4
    return pdf.make_indirect(Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(OUTPUT_CONDITION),
        OutputCondition=pikepdf.String(OUTPUT_CONDITION_TEXT),
        Info=pikepdf.String(OUTPUT_CONDITION_TEXT),
        RegistryName=pikepdf.String("http://www.color.org"),
        DestOutputProfile=profile))


def _resource_dicts(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Every resource dictionary: the pages' and those of the forms they draw."""
    found: list[pikepdf.Object] = []
    seen: set[tuple[int, int]] = set()
    todo = [page.obj.get(Name.Resources) for page in pdf.pages]
    while todo:
        res = todo.pop()
        if res is None:
            continue
        if res.is_indirect:
            if res.objgen in seen:
                continue
            seen.add(res.objgen)
        found.append(res)
        for xobject in res.get(Name.XObject, Dictionary()).values():
            if xobject.get(Name.Subtype) == Name.Form:
                todo.append(xobject.get(Name.Resources))
        for pattern in res.get(Name.Pattern, Dictionary()).values():
            todo.append(pattern.get(Name.Resources))
    return found


def _content_streams(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Every content stream: the pages' and every form XObject's and tiling pattern's."""
    streams: list[pikepdf.Object] = []
    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream) or obj.objgen in seen:
            continue
        if obj.get(Name.Subtype) == Name.Form or obj.get(Name.PatternType) == 1:
            seen.add(obj.objgen)
            streams.append(obj)
    for page in pdf.pages:
        contents = page.obj.get(Name.Contents)
        parts = contents if isinstance(contents, Array) else [contents]
        for part in parts:
            if part is not None and part.objgen not in seen:
                seen.add(part.objgen)
                streams.append(part)
    return streams


def _convert_operators(pdf: pikepdf.Pdf) -> None:
    """PDF/X-1a: ``r g b rg`` and ``RG`` become ``c m y k k`` and ``K``."""
    for stream in _content_streams(pdf):
        out: list[object] = []
        changed = False
        for instruction in pikepdf.parse_content_stream(stream):
            if isinstance(instruction, pikepdf.ContentStreamInstruction):
                name = str(instruction.operator)
                operands = list(instruction.operands)
                if name in ("rg", "RG") and len(operands) == 3:
                    values = cmyk(*(float(v) for v in operands))
                    instruction = pikepdf.ContentStreamInstruction(
                        [Decimal(f"{v:.4f}") for v in values],
                        pikepdf.Operator("k" if name == "rg" else "K"))
                    changed = True
            out.append(instruction)
        if changed:
            stream.write(pikepdf.unparse_content_stream(out))  # type: ignore[arg-type]


def _convert_images(pdf: pikepdf.Pdf) -> None:
    """PDF/X-1a: RGB images in CMYK (the output profile), transparent ones laid on white;
    soft masks removed."""
    for obj in list(pdf.objects):
        if not isinstance(obj, pikepdf.Stream) or obj.get(Name.Subtype) != Name.Image:
            continue
        if obj.get(Name.ColorSpace) != Name.DeviceRGB and Name.SMask not in obj:
            continue
        image = pikepdf.PdfImage(obj).as_pil_image()
        if Name.SMask in obj:
            soft_mask = obj[Name.SMask]
            assert isinstance(soft_mask, pikepdf.Stream)
            mask = pikepdf.PdfImage(soft_mask).as_pil_image().convert("L")
            if mask.size != image.size:
                mask = mask.resize(image.size)
            base = Image.new("RGB", image.size, (255, 255, 255))
            base.paste(image.convert("RGB"), mask=mask)
            image = base
            del obj[Name.SMask]
        if image.mode == "L":
            gray = image
            obj.write(zlib.compress(gray.tobytes()), filter=Name.FlateDecode)
            obj[Name.ColorSpace] = Name.DeviceGray
        else:
            converted = ImageCms.applyTransform(image.convert("RGB"), _to_cmyk())
            assert converted is not None
            obj.write(zlib.compress(converted.tobytes()), filter=Name.FlateDecode)
            obj[Name.ColorSpace] = Name.DeviceCMYK
        obj[Name.BitsPerComponent] = 8
        for key in (Name.DecodeParms, Name.Decode):
            if key in obj:
                del obj[key]


def _remove_transparency_groups(pdf: pikepdf.Pdf) -> None:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) and Name.Group in obj:
            group = obj[Name.Group]
            if isinstance(group, Dictionary) and group.get(Name.S) == Name.Transparency:
                del obj[Name.Group]
    for page in pdf.pages:
        if Name.Group in page.obj:
            del page.obj[Name.Group]


def _blank_page(pdf: pikepdf.Pdf, like: pikepdf.Page) -> pikepdf.Page:
    page = Dictionary(Type=Name.Page, MediaBox=like.obj.MediaBox, Resources=Dictionary(),
                      Contents=pdf.make_stream(b""))
    for key in (Name.TrimBox, Name.BleedBox):
        if key in like.obj:
            page[key] = like.obj[key]
    return pikepdf.Page(page)


def _main_start(pdf: pikepdf.Pdf) -> int:
    labels = pdf.Root.get(Name.PageLabels)
    nums = labels.get(Name.Nums, Array()) if labels is not None else Array()
    for index in range(0, len(nums), 2):
        if nums[index + 1].get(Name.S) == Name.D:
            return int(nums[index])
    return 0


def prepare_for_press(data: bytes, edition: PrintEdition, *,
                      right_to_left: bool = False) -> bytes:
    """The joined PDF made ready for a printer (see the module's docstring).
    ``right_to_left``: the book reads right to left, so its rectos are left-hand pages."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return _prepare(pdf, edition, right_to_left)


def _prepare(pdf: pikepdf.Pdf, edition: PrintEdition, right_to_left: bool) -> bytes:
    main_start = _main_start(pdf)
    root = pdf.Root
    for key in (Name.StructTreeRoot, Name.MarkInfo, Name.Outlines, Name.Names, Name.OpenAction,
                Name.PageMode, Name.AcroForm):
        if key in root:
            del root[key]
    if len(pdf.pages) % 2:
        pdf.pages.append(_blank_page(pdf, pdf.pages[-1]))
    for index, page in enumerate(pdf.pages):
        for key in (Name.Annots, Name.StructParents, Name.Tabs):
            if key in page.obj:
                del page.obj[key]
        recto = index % 2 == 0
        _bleed_outside_only(page, edition.bleed, bound_left=recto != right_to_left)
    labels: list[object] = [0, Dictionary(S=Name.r)] if main_start > 0 else []
    labels += [max(main_start, 0), Dictionary(S=Name.D, St=1)]
    root[Name.PageLabels] = Dictionary(Nums=Array(labels))
    root[Name.OutputIntents] = Array([_output_intent(pdf)])
    if Name.Metadata in root:
        # WeasyPrint's PDF/X metadata names the document with a random UUID; one made from
        # the file's own identifier keeps rebuilds byte-identical.
        document_id = uuid.uuid5(uuid.NAMESPACE_URL, f"cxbook:{pdf.trailer.ID[0]!r}")
        xmp = re.sub(rb"xmp\.did:[0-9a-f-]{36}", f"xmp.did:{document_id}".encode(),
                     root.Metadata.read_bytes())
        root.Metadata.write(xmp)
    if edition.standard == "pdf/x-1a":
        _convert_operators(pdf)
        _convert_images(pdf)
        _remove_transparency_groups(pdf)
        version = "1.4"
    else:
        srgb = pdf.make_stream(_srgb_profile())
        srgb[Name.N] = 3
        default_rgb = Array([Name.ICCBased, srgb])
        for res in _resource_dicts(pdf):
            spaces = res.get(Name.ColorSpace)
            if spaces is None:
                res[Name.ColorSpace] = spaces = Dictionary()
            spaces[Name.DefaultRGB] = default_rgb
        version = "1.6"
    pdf.remove_unreferenced_resources()
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, force_version=version, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.disable if version == "1.4"
             else pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _bleed_outside_only(page: pikepdf.Page, bleed: float, *, bound_left: bool) -> None:
    """Crop the bleed off the spine edge: a right-hand page (bound on its left: a recto of
    a left-to-right book, a verso of a right-to-left one) keeps its bleed on the right, a
    left-hand page on the left. The BleedBox follows the MediaBox."""
    if bleed <= 0:
        return
    obj = page.obj
    x0, y0, x1, y1 = (float(v) for v in obj.MediaBox)
    if bound_left:
        x0 += bleed
    else:
        x1 -= bleed
    box = Array([x0, y0, x1, y1])
    obj[Name.MediaBox] = box
    obj[Name.BleedBox] = box
    if Name.CropBox in obj:
        del obj[Name.CropBox]


def _page_count(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


class PrintPdfRenderer:
    """The print edition: the reader edition as PDF/X with trim, bleed and a gutter."""

    name: ClassVar[str] = "print"
    suffix: ClassVar[str] = "-print"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}{self.suffix}.pdf"

    def processes(self, project: Project) -> int:
        return busy_processes(main_sections(project, "reader"))

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        edition = project.book.print_edition or default_edition(project.book)
        if project.book.print_edition is None:
            options.report(f"{self.name}: book.yaml has no 'print:' section; using trim "
                           f"{edition.trim}, bleed {DEFAULT_BLEED}, {edition.standard}")
        pages = 0
        data = b""
        for _ in range(4):  # the gutter grows with the page count, which it changes
            data = prepare_for_press(
                render_pdf(project, options, "reader", self.name,
                           extra_css=print_css(edition, pages), pdf_variant=edition.standard),
                edition, right_to_left=text_direction(project.book.language) == "rtl")
            count = _page_count(data)
            if gutter(count) == gutter(pages):
                break
            options.report(f"{self.name}: {count} pages; laying out again with a wider "
                           "gutter")
            pages = count
        if edition.service is not None:
            label, low, high = SERVICES[edition.service]
            count = _page_count(data)
            where = edition.location
            if count > high:
                options.warn(where, f"{count} pages, more than {label} prints in one "
                             f"paperback ({high}); split the book", "print.page-limit")
            elif count < low:
                options.warn(where, f"{count} pages, fewer than {label} prints as a "
                             f"paperback ({low})", "print.page-limit")
        return [OutputFile(self.output_name(project.book), data)]
