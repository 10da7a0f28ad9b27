"""PDF editions with WeasyPrint: the reader edition, the participant workbook and the
facilitator guide, each one HTML document (renderers/pdf_html.py) paginated by the theme's
print stylesheet.

WeasyPrint only sees the project's assets and the theme's files, served from memory by
ProjectFetcher; every other URL is refused (no network, no file system). Output is
deterministic: the dates come from BuildOptions.source_date and the PDF identifier from
the book identifier.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import posixpath
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pydyf  # type: ignore[import-untyped]
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..build import BuildOptions
from ..model import DEFAULT_COLORS, Book, Project, Theme
from ..output import OutputFile
from .pdf_html import Edition, document_html

ORIGIN = "https://cxbook.invalid"  # a reserved name: never resolved, never fetched
MANUSCRIPT_BASE = f"{ORIGIN}/manuscript/"
THEME_BASE = f"{ORIGIN}/theme/"
MAIN_MATTER_ID = "main-matter"
NOTDEF_RE = re.compile(r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)"')
FONT_TYPES = {"ttf": "font/ttf", "otf": "font/otf", "woff": "font/woff", "woff2": "font/woff2"}


def _page_references(self: Any) -> tuple[bytes, ...]:
    """pydyf's PDF.page_references, remembered while the page list is unchanged.

    pydyf rebuilds the whole tuple on every access, and WeasyPrint's tagging reads it once
    per tagged element, which makes tagged PDFs quadratic in their page count (minutes for a
    thousand-page book). Same values, computed once per page count."""
    kids = self.pages["Kids"]
    cached = self.__dict__.get("_cx_page_references")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{n} 0 R".encode("ascii") for n in kids[::3]))
        self.__dict__["_cx_page_references"] = cached
    refs: tuple[bytes, ...] = cached[1]
    return refs


pydyf.PDF.page_references = property(_page_references)


class PdfRenderError(RuntimeError):
    """WeasyPrint could not produce a correct PDF (a missing asset, a failed font)."""


class ProjectFetcher(URLFetcher):  # type: ignore[misc]
    """Serves manuscript assets and theme files from memory; refuses everything else."""

    def __init__(self, project: Project) -> None:
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False)
        self._project = project
        self.refused: list[str] = []
        self.missing: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        path = posixpath.normpath(unquote(parts.path))
        if url.startswith(MANUSCRIPT_BASE) and path.startswith("/manuscript/"):
            name = path.removeprefix("/manuscript/")
            asset = self._project.asset(name)
            if asset is None:
                self.missing.append(name)
                raise FileNotFoundError(f"no asset {name} in the project")
            return URLFetcherResponse(url, asset.data, {"Content-Type": asset.media_type})
        if url.startswith(THEME_BASE) and path.startswith("/theme/"):
            name = path.removeprefix("/theme/")
            data = self._project.theme.files.get(name)
            if data is None:
                self.missing.append(f"themes/{self._project.theme.name}/{name}")
                raise FileNotFoundError(f"no file {name} in the theme")
            return URLFetcherResponse(url, data, {"Content-Type": _media_type(name)})
        self.refused.append(url)
        raise PermissionError(f"not fetched (outside the project): {url}")


def _media_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    if extension in FONT_TYPES:
        return FONT_TYPES[extension]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def generated_css(theme: Theme) -> str:
    """Settings from theme.yaml as CSS, placed before the theme's own stylesheets."""
    colors = {**DEFAULT_COLORS, **theme.colors}
    variables = "; ".join(f"--cx-{name}: {value}" for name, value in sorted(colors.items()))
    size = theme.page_size or "A5"
    return (f"html:root {{ {variables} }}\n"
            f"@page {{ size: {size}; }}\n"
            f"@page cover {{ background: {colors['accent']}; }}\n")


def page_labels(main_start: int) -> Any:
    """/PageLabels: front matter in lower-case roman numerals, then 1, 2, 3 … from the first
    page of the main matter, matching the folios print.css prints."""
    nums: list[Any] = [0, pydyf.Dictionary({"S": "/r"})]
    if main_start > 0:
        nums += [main_start, pydyf.Dictionary({"S": "/D", "St": 1})]
    else:
        nums = [0, pydyf.Dictionary({"S": "/D", "St": 1})]
    return pydyf.Dictionary({"Nums": pydyf.Array(nums)})


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _collect_weasyprint_log() -> Iterator[_LogCollector]:
    """WeasyPrint's warnings go to the caller instead of the root logger."""
    logger = logging.getLogger("weasyprint")
    collector = _LogCollector()
    old_propagate = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.propagate = old_propagate


def render_pdf(project: Project, options: BuildOptions, edition: Edition,
               name: str) -> bytes:
    """One edition as PDF bytes."""
    progress: Callable[[str], None] = options.progress or (lambda message: None)
    html_text = document_html(project, edition, options.source_date)
    fetcher = ProjectFetcher(project)
    font_config = FontConfiguration()
    css_text = generated_css(project.theme) + project.theme.css("print")
    if options.paper:
        css_text += f"\n@page {{ size: {options.paper}; }}\n"
    identifier = hashlib.sha256(
        f"{project.book.identifier}\n{edition}".encode()).hexdigest()[:32].encode()
    pdf_options: dict[str, Any] = {
        "pdf_variant": "pdf/ua-1",
        "pdf_tags": True,
        "pdf_identifier": identifier,
        "uncompressed_pdf": False,
        "custom_metadata": False,
        "full_fonts": False,
        "hinting": False,
    }
    with _collect_weasyprint_log() as log:
        stylesheet = CSS(string=css_text, base_url=THEME_BASE, url_fetcher=fetcher,
                         font_config=font_config)
        html = HTML(string=html_text, base_url=MANUSCRIPT_BASE, url_fetcher=fetcher)
        count = len(project.chapters)
        progress(f"{name}: laying out {count} chapter{'' if count == 1 else 's'}")
        document = html.render(font_config=font_config, stylesheets=[stylesheet],
                               **pdf_options)
        if fetcher.missing:
            raise PdfRenderError(f"{name}: files referenced but not found: "
                                 + ", ".join(sorted(set(fetcher.missing))))
        main_start = next((i for i, page in enumerate(document.pages)
                           if MAIN_MATTER_ID in page.anchors), None)
        if main_start is None:
            raise PdfRenderError(f"{name}: the main matter is missing from the layout")

        def finisher(_document: Any, pdf: Any) -> None:
            pdf.catalog["PageLabels"] = page_labels(main_start)

        progress(f"{name}: writing {len(document.pages)} pages")
        data: bytes = document.write_pdf(finisher=finisher, **pdf_options)
    errors = [r.getMessage() for r in log.records if r.levelno >= logging.ERROR]
    if errors:
        raise PdfRenderError(f"{name}: WeasyPrint failed: " + "; ".join(errors))
    missing_glyphs: list[str] = []
    for record in log.records:
        if record.levelno >= logging.ERROR:
            continue
        found = NOTDEF_RE.match(record.getMessage())
        if found:
            missing_glyphs.extend(c for c in found.group(1) if c not in missing_glyphs)
        else:
            progress(f"{name}: warning: {record.getMessage()}")
    if missing_glyphs:
        progress(f"{name}: warning: no font in the theme or on this system has these "
                 f"characters (printed as boxes): {''.join(missing_glyphs)}")
    for url in sorted(set(fetcher.refused)):
        progress(f"{name}: warning: not included (outside the project): {url}")
    return data


class _PdfRenderer:
    name: ClassVar[str]
    edition: ClassVar[Edition]
    suffix: ClassVar[str]

    def output_name(self, book: Book) -> str:
        return f"{book.slug}{self.suffix}.pdf"

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        data = render_pdf(project, options, self.edition, self.name)
        return [OutputFile(self.output_name(project.book), data)]


class ReaderPdfRenderer(_PdfRenderer):
    """The book for readers: cover, front matter, chapters, answer key, sources."""

    name = "pdf"
    edition = "reader"
    suffix = ""


class WorkbookPdfRenderer(_PdfRenderer):
    """The participant workbook: activities with write-in space, no answers."""

    name = "workbook"
    edition = "workbook"
    suffix = "-workbook"


class FacilitatorPdfRenderer(_PdfRenderer):
    """The facilitator guide: session plan, prompts, debrief notes, answers."""

    name = "facilitator"
    edition = "facilitator"
    suffix = "-facilitator"
