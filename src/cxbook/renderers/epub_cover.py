"""The EPUB's cover-image as a raster image, for the reading systems that want one.

Kindle (through Calibre or Kindle Previewer), Kobo and Google Play show a JPEG or PNG cover
and ignore an SVG one; without a raster cover-image a converter takes the first image of
the first chapter instead. So the cover is always a PNG of COVER_SIZE pixels (the 1:1.6
shape these stores ask for), declared as the package's cover-image:

- the generated cover (a book without ``cover:``) is laid out by WeasyPrint as one page of
  1600 x 2560 CSS px, styled by the theme's own EPUB stylesheet (its fonts are the theme's
  font files, served from memory, so the lettering is what the book's text uses), and
  rasterized by PDFium (pypdfium2) at one pixel per CSS px. CairoSVG, the other candidate,
  draws SVG text with whatever fonts fontconfig finds on the machine and cannot load a
  theme's font files;
- a book-supplied PNG or JPEG is used as it is; a GIF or WebP one is converted to PNG with
  Pillow; an SVG one is laid out centred on a page of the cover's size and rasterized the
  same way as the generated cover.

PNG rather than JPEG: the flat colours and lettering make a smaller file (about 90 KB
against 120-140 KB) without compression artefacts. WeasyPrint's import and the layout take
about a second, so a build that may use several processes makes the cover in a forked one
(``InBackground``) while the EPUB's documents are rendered; the build cache keeps it.
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from ..i18n import localizer
from ..model import Project, Theme
from ..render.html import environment
from .epub_assets import theme_resources

COVER_SIZE = (1600, 2560)  # pixels, width x height
RASTER_TYPES = ("image/png", "image/jpeg")


@dataclass(frozen=True)
class RasterCover:
    """The cover-image: its media type and bytes."""

    media_type: str
    data: bytes


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class InBackground:
    """Bytes being made by ``make`` in a forked process (WeasyPrint's import and the
    cover's layout take about a second, which the EPUB's documents can use meanwhile).
    ``result()`` waits for them and raises RuntimeError if ``make`` failed; ``close()``
    stops the process if its result is not wanted any more (the build failed)."""

    def __init__(self, make: Callable[[], bytes]) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe(duplex=False)

        def run() -> None:
            try:
                theirs.send(("done", make()))
            except BaseException as e:  # reported by the parent, which raises it
                theirs.send(("error", f"{type(e).__name__}: {e}"))
            finally:
                theirs.close()

        self._process = context.Process(target=run)
        self._process.start()
        theirs.close()

    def result(self) -> bytes:
        try:
            kind, value = self._connection.recv()
        except EOFError:
            kind, value = "error", "the process ended without a result"
        finally:
            self._finish()
        if kind != "done" or not isinstance(value, bytes):
            raise RuntimeError(f"the EPUB cover could not be made: {value}")
        return value

    def close(self) -> None:
        """Stop the process unless it has finished, and free it."""
        if self._process.exitcode is None and not self._connection.closed:
            self._process.terminate()
        self._finish()

    def _finish(self) -> None:
        if not self._connection.closed:
            self._connection.close()
            self._process.join()


def _title_size(title: str) -> int:
    """Font size (CSS px) of the title: long titles get smaller type so that they stay
    above the editor's band."""
    length = len(title)
    return 130 if length <= 40 else 104 if length <= 80 else 84 if length <= 130 else 68


def cover_css(theme: Theme, title: str) -> str:
    """The generated cover's stylesheet: the theme's EPUB stylesheet with the cover's page
    and layout rules placed before the theme's custom.css (which can restyle the cover
    through ``.generated-cover``). Sizes are CSS px on a page of COVER_SIZE."""
    c = theme.palette
    width, height = COVER_SIZE
    band = height // 5
    layout = (
        "/* The generated cover (one page, rasterized for the cover-image). */\n"
        f"@page {{ size: {width}px {height}px; margin: 0; }}\n"
        "html, body.epub-generated-cover { margin: 0; padding: 0; }\n"
        f".generated-cover {{ position: absolute; top: 0; left: 0; width: {width}px; "
        f"height: {height}px; background: {c['accent']}; color: {c['paper']}; "
        "text-align: start; hyphens: manual; overflow-wrap: anywhere; }\n"
        f".generated-cover .cover-panel {{ position: absolute; top: {height * 3 // 16}px; "
        f"left: {width // 10}px; right: {width // 10}px; "
        f"border-top: 8px solid {c['paper']}; padding-top: 80px; }}\n"
        f".generated-cover h1.cover-title {{ color: {c['paper']}; font-size: "
        f"{_title_size(title)}px; line-height: 1.15; margin: 0 0 60px; text-align: start; }}\n"
        f".generated-cover .cover-subtitle {{ color: {c['paper']}; font-size: 66px; "
        "font-style: italic; line-height: 1.3; margin: 0; }\n"
        f".generated-cover .cover-editor {{ position: absolute; left: 0; right: 0; bottom: 0; "
        f"height: {band}px; box-sizing: border-box; margin: 0; padding: {band // 3}px "
        f"{width // 10}px 0; background: {c['paper']}; color: {c['accent']}; "
        "font-size: 60px; line-height: 1.25; text-align: center; }\n"
    )
    return theme_resources(theme, before_custom=layout).css


def cover_html(project: Project) -> str:
    """The generated cover page: title, subtitle and editors."""
    book = project.book
    return environment().get_template("cover.html").render(
        **localizer(book).template_context(), book=book)


def cover_pdf(project: Project, html: str, css: str) -> bytes:
    """The one-page PDF WeasyPrint lays out from ``html`` and ``css``, with the PDF editions'
    set-up: the project's files served from memory, nothing else fetched, and WeasyPrint's
    temporary font folder removed afterwards. Raises RuntimeError when a file is missing."""
    from weasyprint import HTML

    from .pdf import MANUSCRIPT_BASE, _weasyprint_session

    with _weasyprint_session(project, css) as (fetcher, fonts, sheet):
        document = HTML(string=html, base_url=MANUSCRIPT_BASE, url_fetcher=fetcher)
        data: bytes = document.write_pdf(stylesheets=[sheet], font_config=fonts)
        if fetcher.missing or fetcher.refused:
            raise RuntimeError("the cover needs files the project does not have: "
                               f"{fetcher.missing + fetcher.refused}")
    return data


def rasterize(pdf_data: bytes, size: tuple[int, int]) -> bytes:
    """PNG of the PDF's first page at ``size`` pixels (the page must have that shape)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(pdf_data)
    try:
        page = pdf[0]
        width_pt, height_pt = page.get_size()
        scale = size[0] / width_pt
        if abs(height_pt * scale - size[1]) > 1:
            raise RuntimeError(f"the cover page is {width_pt}x{height_pt} pt, not {size} px")
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        pdf.close()
    if image.size != size:
        image = image.resize(size)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def generated_cover(project: Project) -> RasterCover:
    """The generated cover as a PNG of COVER_SIZE."""
    css = cover_css(project.theme, project.book.title)
    return RasterCover("image/png", rasterize(cover_pdf(project, cover_html(project), css),
                                              COVER_SIZE))


def supplied_cover(project: Project, path: str, media_type: str, data: bytes) -> RasterCover:
    """A book-supplied cover as a PNG or JPEG cover-image (``path`` is its asset path)."""
    if media_type in RASTER_TYPES:
        return RasterCover(media_type, data)
    if media_type != "image/svg+xml":
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)  # the first frame of an animation
            out = io.BytesIO()
            image.convert("RGBA" if "A" in image.getbands() else "RGB").save(
                out, format="PNG", optimize=True)
        return RasterCover("image/png", out.getvalue())
    width, height = COVER_SIZE
    c = project.theme.palette
    css = (f"@page {{ size: {width}px {height}px; margin: 0; }}\n"
           f"html, body {{ margin: 0; padding: 0; background: {c['paper']}; }}\n"
           f"img {{ display: block; width: {width}px; height: {height}px; "
           "object-fit: contain; object-position: center; }\n")
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"/><title>Cover</title></head>'
            f'<body><img src="{_attr(quote(path))}" alt=""/></body></html>')
    return RasterCover("image/png", rasterize(cover_pdf(project, html, css), COVER_SIZE))


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))
