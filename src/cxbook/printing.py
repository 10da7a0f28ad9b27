"""The print edition's rules: trim presets, bleed, the gutter that grows with the page
count, print-on-demand page limits and the resolution images need on paper.

Pure functions and tables; readers/book.py validates ``print:`` in book.yaml against them,
the print renderer (renderers/print.py) lays the book out with them, and ``check`` reports
images below the resolution a printer needs (print.image-resolution) with them. Lengths
are in PDF points (1/72 in) unless a name says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .diagnostics import Diagnostic, Severity, SourceLocation
from .model import PrintEdition

POINTS = {"pt": 1.0, "in": 72.0, "mm": 72 / 25.4, "cm": 720 / 25.4, "pc": 12.0}
LENGTH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(pt|in|mm|cm|pc)\s*$")

# name -> (width, height) in points. The usual book sizes of print-on-demand services and
# printers: US trade and digest, A5 and royal (UK), and the two office sizes.
TRIM_PRESETS: dict[str, tuple[float, float]] = {
    "6x9in": (6 * 72, 9 * 72),
    "5.5x8.5in": (5.5 * 72, 8.5 * 72),
    "5x8in": (5 * 72, 8 * 72),
    "a5": (148 * POINTS["mm"], 210 * POINTS["mm"]),
    "royal": (156 * POINTS["mm"], 234 * POINTS["mm"]),
    "a4": (210 * POINTS["mm"], 297 * POINTS["mm"]),
    "letter": (8.5 * 72, 11 * 72),
}
DEFAULT_TRIM = "6x9in"
DEFAULT_BLEED = "0.125in"  # what KDP, IngramSpark and most printers ask for
STANDARDS = ("pdf/x-4", "pdf/x-1a")
# Page-count limits (paperback, black ink on white paper) as the services publish them.
SERVICES: dict[str, tuple[str, int, int]] = {
    "kdp": ("Kindle Direct Publishing", 24, 828),
    "ingramspark": ("IngramSpark", 18, 1200),
}
OUTER_MARGIN = 15 * POINTS["mm"]
# The inner margin is the outer one plus a gutter for the binding that grows with the
# page count (thicker books open less near the spine): (up to this many pages, gutter).
# Every step is at least the inside margin KDP and IngramSpark require for that count.
GUTTERS: tuple[tuple[int, float], ...] = (
    (150, 4 * POINTS["mm"]),
    (300, 6 * POINTS["mm"]),
    (500, 9 * POINTS["mm"]),
    (700, 12 * POINTS["mm"]),
    (10**9, 15 * POINTS["mm"]),
)
MIN_PPI = 300  # pixels per inch an image needs at its printed size
CSS_PX = 72 / 96  # points per CSS pixel: an image prints at its pixel size at 96 per inch
IMAGE_MAX_HEIGHT = 150 * POINTS["mm"]  # print.css: img { max-height: 150mm }


def parse_length(text: str) -> float | None:
    """A CSS-like length (``3mm``, ``0.125in``, ``9pt``; ``0`` alone too) in points."""
    if text.strip() == "0":
        return 0.0
    match = LENGTH_RE.match(text)
    return float(match.group(1)) * POINTS[match.group(2)] if match else None


def parse_trim(text: str) -> tuple[float, float] | None:
    """A preset name or ``WIDTH HEIGHT`` (two lengths) in points; None when neither."""
    name = text.strip().lower()
    if name in TRIM_PRESETS:
        return TRIM_PRESETS[name]
    parts = name.split()
    if len(parts) == 2:
        width, height = parse_length(parts[0]), parse_length(parts[1])
        if width and height:
            return width, height
    return None


def gutter(pages: int) -> float:
    """The gutter added to the inner margin of a book of ``pages`` pages, in points."""
    for limit, extra in GUTTERS:
        if pages <= limit:
            return extra
    return GUTTERS[-1][1]


@dataclass(frozen=True)
class TextBlock:
    """The area text and images are set in on a page of the print edition."""

    width: float
    height: float


def text_block(width: float, height: float, pages: int) -> TextBlock:
    """The text block of a ``width`` × ``height`` page in a book of ``pages`` pages (the
    print stylesheet's margins: 17 mm top, 19 mm bottom, outer and inner as above)."""
    inner = OUTER_MARGIN + gutter(pages)
    return TextBlock(width - OUTER_MARGIN - inner, height - 36 * POINTS["mm"])


def printed_ppi(pixels: tuple[int, int], box: tuple[float, float]) -> float:
    """Pixels per inch of an image of ``pixels`` (width, height) printed as an inline image
    of the print edition: its pixel size at 96 per inch, scaled down (never up) to fit
    ``box`` (the text block's width, the largest image height) keeping its proportions."""
    width, height = pixels
    natural = (width * CSS_PX, height * CSS_PX)
    scale = min(1.0, box[0] / natural[0], box[1] / natural[1])
    return width / (natural[0] * scale / 72)


def resolution_warning(location: SourceLocation, path: str, pixels: tuple[int, int],
                       ppi: float, where: str) -> Diagnostic:
    need_w = -(-pixels[0] * MIN_PPI // max(1, round(ppi)))
    return Diagnostic(
        location, Severity.WARNING,
        f"image '{path}' prints at {ppi:.0f} pixels per inch {where} ({pixels[0]}×"
        f"{pixels[1]} pixels); printers need {MIN_PPI}, so it would print blurred: use a "
        f"version at least {need_w} pixels wide", "print.image-resolution")


def _pixels(data: bytes) -> tuple[int, int] | None:
    """Width and height of a raster image in pixels; None for vector or unreadable data."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def image_warnings(edition: PrintEdition, cover: str | None,
                   images: list[tuple[str, bytes, SourceLocation]],
                   cover_location: SourceLocation | None,
                   in_chapters: set[str]) -> list[Diagnostic]:
    """print.image-resolution warnings: each raster image (asset path, bytes, its first
    reference) that a chapter shows (``in_chapters``) printed below MIN_PPI in the text
    block of the narrowest gutter (the widest block, where an image is scaled down least),
    and the cover when the edition prints it over the whole page and its bleed."""
    found: list[Diagnostic] = []
    block = text_block(edition.width, edition.height, 0)
    box = (block.width, min(block.height, IMAGE_MAX_HEIGHT))
    for path, data, location in images:
        pixels = _pixels(data)
        if pixels is None:
            continue
        if path == cover and edition.cover and cover_location is not None:
            full = (edition.width + 2 * edition.bleed, edition.height + 2 * edition.bleed)
            # The cover fills the page and its bleed (object-fit: cover).
            scale = max(full[0] / pixels[0], full[1] / pixels[1])
            ppi = 72 / scale
            if ppi < MIN_PPI:
                found.append(resolution_warning(cover_location, path, pixels, ppi,
                                                "as the cover of the print edition"))
        if path not in in_chapters:
            continue
        ppi = printed_ppi(pixels, box)
        if ppi < MIN_PPI:
            found.append(resolution_warning(location, path, pixels, ppi,
                                            "in the print edition"))
    return found
