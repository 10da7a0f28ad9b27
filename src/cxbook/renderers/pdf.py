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
import multiprocessing
import posixpath
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pydyf  # type: ignore[import-untyped]
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..build import BuildOptions
from ..diagnostics import SourceLocation
from ..glyphs import Coverage
from ..i18n import text_direction
from ..model import DEFAULT_COLORS, Book, Project, Theme
from ..output import OutputFile
from .pdf_html import Edition, front_html, main_sections, opens_right, part_html, toc_entries
from .pdf_layout import LaidOutPart, finish, lay_out
from .pdf_merge import PartPdf, merge

ORIGIN = "https://cxbook.invalid"  # a reserved name: never resolved, never fetched
MANUSCRIPT_BASE = f"{ORIGIN}/manuscript/"
THEME_BASE = f"{ORIGIN}/theme/"
# The main matter is laid out in parts of about this many characters of HTML, at most
# MAX_PARTS of them, which worker processes lay out side by side (see render_pdf).
PART_SIZE = 250_000
MAX_PARTS = 8
FRONT = -1  # the front matter's index among the parts
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


def plan_parts(sections: list[str], part_size: int | None = None) -> list[list[str]]:
    """The main-matter sections in consecutive runs of about ``part_size`` characters of
    HTML each (at most MAX_PARTS runs), each run starting with a section that opens on a
    right-hand page. Depends on the content only, never on the machine, so that the PDF's
    bytes do not either."""
    size = part_size or PART_SIZE
    # A part opens on a right-hand page; sections that need not (the answer key, the
    # sources) stay in the part before them, so that no empty page is added for them.
    glued: list[str] = []
    for section in sections:
        if glued and not opens_right(section):
            glued[-1] += section
        else:
            glued.append(section)
    sections = glued
    total = sum(len(s) for s in sections)
    count = max(1, min(MAX_PARTS, len(sections), round(total / size)))
    groups: list[list[str]] = [[]]
    done = 0
    for index, section in enumerate(sections):
        runs_to_start = count - len(groups)
        if groups[-1] and runs_to_start > 0 and (
                # this section's middle lies past the end of the current run
                (done + len(section) / 2) * count >= total * len(groups)
                # or every section left is needed to give each run still to come one
                or len(sections) - index == runs_to_start):
            groups.append([])
        groups[-1].append(section)
        done += len(section)
    return groups


@dataclass(frozen=True)
class _Layout:
    """What the parts' layout tells: pages per part and where each anchor landed."""

    pages: dict[int, int]  # part index -> page count
    anchors: dict[int, dict[str, int]]  # part index -> anchor -> page index in the part


@dataclass(frozen=True)
class _Plan:
    first_pages: dict[int, int]  # part index -> page number of its first page
    page_numbers: dict[str, str]  # anchor -> printed page number
    pad: dict[int, bool]  # part index -> followed by an empty left-hand page


def _plan(layout: _Layout) -> _Plan:
    parts = sorted(layout.pages)
    first_pages: dict[int, int] = {}
    pad: dict[int, bool] = {}
    numbers: dict[str, str] = {}
    number = 1
    for index in parts:
        first_pages[index] = number
        count = layout.pages[index]
        pad[index] = index != parts[-1] and count % 2 == 1
        for anchor, page in layout.anchors[index].items():
            numbers.setdefault(anchor, str(number + page))
        number += count + pad[index]
    return _Plan(first_pages, numbers, pad)


@dataclass
class _PartsJob:
    """Everything a process needs to lay out and write some parts of an edition."""

    project: Project
    edition: Edition
    name: str  # the format, for progress messages
    options: BuildOptions
    css_text: str
    pdf_options: dict[str, Any]
    groups: list[list[str]]


@dataclass
class _PartsDone:
    pdfs: dict[int, tuple[bytes, list[str]]]  # part index -> (PDF, borrowed anchors)
    pages: dict[int, int]  # part index -> page count
    log: list[tuple[int, str]]  # WeasyPrint's warnings and errors: (level, message)
    missing: list[str]
    refused: list[str]


@contextmanager
def _weasyprint_session(project: Project, css_text: str) -> Iterator[tuple[Any, Any, Any]]:
    """A fetcher, a font configuration and the stylesheet for one process. WeasyPrint
    copies @font-face fonts into a temporary folder it removes only when the font
    configuration is garbage-collected, which a forked worker never does: removed here."""
    fetcher = ProjectFetcher(project)
    font_config = FontConfiguration()
    try:
        stylesheet = CSS(string=css_text, base_url=THEME_BASE, url_fetcher=fetcher,
                         font_config=font_config)
        yield fetcher, font_config, stylesheet
    finally:
        folder = getattr(font_config, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


class _Session:
    """One process's WeasyPrint set-up for an edition: lays parts out and writes them,
    gathering what comes back into ``done``."""

    def __init__(self, job: _PartsJob, fetcher: Any, fonts: Any, sheet: Any) -> None:
        self.job, self.fetcher, self.fonts, self.sheet = job, fetcher, fonts, sheet
        self.done = _PartsDone({}, {}, [], [], [])

    def lay_out(self, html_text: str) -> LaidOutPart:
        html = HTML(string=html_text, base_url=MANUSCRIPT_BASE, url_fetcher=self.fetcher)
        return lay_out(html, font_config=self.fonts, stylesheets=[self.sheet],
                       **self.job.pdf_options)

    def write(self, index: int, part: LaidOutPart, first_page: int,
              page_numbers: dict[str, str]) -> None:
        self.done.pages[index] = part.page_count
        finish(part, first_page, page_numbers)
        rtl = text_direction(self.job.project.book.language) == "rtl"
        self.done.pdfs[index] = (part.document.write_pdf(
            finisher=_right_to_left if rtl else None, **self.job.pdf_options), part.borrowed)


def _right_to_left(document: Any, pdf: Any) -> None:
    """A right-to-left book's reading order for viewers (PDF 1.7, 12.2 "Viewer Preferences":
    /Direction /R2L shows facing pages right to left, like the EPUB's
    page-progression-direction)."""
    preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    preferences["Direction"] = "/R2L"
    pdf.catalog["ViewerPreferences"] = preferences


@contextmanager
def _session(job: _PartsJob) -> Iterator[_Session]:
    """A _Session whose ``done`` also gets WeasyPrint's log and the fetcher's refusals."""
    with _collect_weasyprint_log() as log, \
            _weasyprint_session(job.project, job.css_text) as (fetcher, fonts, sheet):
        session = _Session(job, fetcher, fonts, sheet)
        yield session
        session.done.missing = fetcher.missing
        session.done.refused = fetcher.refused
    session.done.log = [(r.levelno, r.getMessage()) for r in log.records]


def _run_parts(job: _PartsJob, indexes: list[int],
               exchange: Callable[[_Layout], _Plan]) -> _PartsDone:
    """Lay out the parts ``indexes``, hand their layout to ``exchange`` for the plan of the
    whole edition, then finish and write them."""
    with _session(job) as session:
        laid: dict[int, LaidOutPart] = {}
        for index in indexes:
            laid[index] = session.lay_out(part_html(
                job.project, job.edition, job.options.source_date, job.groups[index],
                first=index == 0))
            if len(job.groups) > 1:
                job.options.report(f"{job.name}: part {index + 1} of {len(job.groups)} laid "
                                   f"out ({laid[index].page_count} pages)")
        plan = exchange(_Layout({i: p.page_count for i, p in laid.items()},
                                {i: p.anchors for i, p in laid.items()}))
        for index in indexes:
            session.write(index, laid.pop(index), plan.first_pages[index], plan.page_numbers)
    return session.done


def _fork(context: Any, work: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Start ``work(connection)`` in a forked process; its result, or the error that
    stopped it, comes back on the returned connection."""
    mine, theirs = context.Pipe()

    def run() -> None:
        try:
            theirs.send(("done", work(theirs)))
        except BaseException as e:  # reported by the parent, which raises it
            theirs.send(("error", f"{type(e).__name__}: {e}"))
        finally:
            theirs.close()

    process = context.Process(target=run)
    process.start()
    theirs.close()
    return process, mine


def _fork_parts(job: _PartsJob, workers: int) -> tuple[_PartsDone, _Plan, _PartsDone]:
    """Parts dealt round-robin to ``workers`` processes (this one included); this process
    gathers the layouts, sends the plan back and starts one more process for the front
    matter, which the plan gives its page numbers, while the parts are written."""
    context = multiprocessing.get_context("fork")
    assigned = [list(range(len(job.groups)))[w::workers] for w in range(workers)]
    children: list[tuple[Any, Any]] = []

    def part_worker(indexes: list[int]) -> Callable[[Any], _PartsDone]:
        def work(connection: Any) -> _PartsDone:
            def exchange(layout: _Layout) -> _Plan:
                connection.send(("layout", layout))
                plan: _Plan = connection.recv()
                return plan
            return _run_parts(job, indexes, exchange)
        return work

    plans: list[_Plan] = []
    try:
        for indexes in assigned[1:]:
            children.append(_fork(context, part_worker(indexes)))

        def exchange(layout: _Layout) -> _Plan:
            pages, anchors = dict(layout.pages), dict(layout.anchors)
            for _, connection in children:
                theirs = _receive(connection, "layout")
                pages.update(theirs.pages)
                anchors.update(theirs.anchors)
            plan = _plan(_Layout(pages, anchors))
            for _, connection in children:
                connection.send(plan)
            plans.append(plan)
            children.append(_fork(context, lambda _: _render_front(job, plan)))
            return plan

        done = _run_parts(job, assigned[0], exchange)
        *part_children, (_, front_connection) = children
        for _, connection in part_children:
            theirs = _receive(connection, "done")
            done.pdfs.update(theirs.pdfs)
            done.pages.update(theirs.pages)
            done.log += theirs.log
            done.missing += theirs.missing
            done.refused += theirs.refused
        front: _PartsDone = _receive(front_connection, "done")
    finally:
        for process, connection in children:
            connection.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    return done, plans[0], front


def _receive(connection: Any, expected: str) -> Any:
    try:
        kind, payload = connection.recv()
    except EOFError as e:
        raise PdfRenderError("a PDF layout worker stopped unexpectedly") from e
    if kind == "error":
        raise PdfRenderError(f"PDF layout worker failed: {payload}")
    if kind != expected:
        raise PdfRenderError(f"PDF layout worker sent {kind!r}, expected {expected!r}")
    return payload


def render_pdf(project: Project, options: BuildOptions, edition: Edition,
               name: str, *, extra_css: str = "", pdf_variant: str = "pdf/ua-1") -> bytes:
    """One edition as PDF bytes: the main matter laid out in parts (in parallel when
    ``options.jobs`` allows), then the front matter with the page numbers now known, then
    all parts joined into one PDF. ``extra_css`` comes after the theme's stylesheet (and
    ``--paper``); ``pdf_variant`` is WeasyPrint's (the parts stay tagged, to be joined)."""
    progress: Callable[[str], None] = options.progress or (lambda message: None)
    css_text = generated_css(project.theme) + project.theme.css("print")
    if options.paper:
        css_text += f"\n@page {{ size: {options.paper}; }}\n"
    css_text += extra_css
    identifier = hashlib.sha256(
        f"{project.book.identifier}\n{edition}{'' if extra_css == '' else name}".encode()
    ).hexdigest()[:32].encode()
    pdf_options: dict[str, Any] = {
        "pdf_variant": pdf_variant,
        "pdf_tags": True,
        "pdf_identifier": identifier,
        "uncompressed_pdf": False,
        "custom_metadata": False,
        "full_fonts": False,
        "hinting": False,
    }
    groups = plan_parts(main_sections(project, edition))
    job = _PartsJob(project, edition, name, options, css_text, pdf_options, groups)
    count = len(project.chapters)
    progress(f"{name}: laying out {count} chapter{'' if count == 1 else 's'}")
    workers = min(max(options.jobs, 1), len(groups))
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        done, plan, front_part = _fork_parts(job, workers)
    else:
        plans: list[_Plan] = []

        def exchange(layout: _Layout) -> _Plan:
            plans.append(_plan(layout))
            return plans[0]

        done = _run_parts(job, list(range(len(groups))), exchange)
        plan = plans[0]
        front_part = _render_front(job, plan)
    _check_log(name, project, options, [front_part, done])
    front_pdf, front_borrowed = front_part.pdfs[FRONT]
    front_pages = front_part.pages[FRONT]
    main_start = front_pages + front_pages % 2
    parts = [PartPdf(front_pdf, frozenset(front_borrowed), pad=front_pages % 2 == 1)]
    for index in range(len(groups)):
        data, borrowed = done.pdfs[index]
        parts.append(PartPdf(data, frozenset(borrowed), pad=plan.pad[index]))
    total = main_start + sum(done.pages.values()) + sum(plan.pad.values())
    progress(f"{name}: writing {total} pages")
    return merge(parts, main_start)


def _render_front(job: _PartsJob, plan: _Plan) -> _PartsDone:
    """Cover, title page, rights page and contents, with the contents' page numbers."""
    entries = toc_entries(job.project, job.edition)
    missing = [e.target for e in entries if e.target not in plan.page_numbers]
    if missing:
        raise PdfRenderError("contents entries point at nothing laid out: "
                             + ", ".join(missing))
    with _session(job) as session:
        part = session.lay_out(front_html(job.project, job.edition, job.options.source_date,
                                          plan.page_numbers))
        session.write(FRONT, part, 1, plan.page_numbers)
    return session.done


def _check_log(name: str, project: Project, options: BuildOptions,
               results: list[_PartsDone]) -> None:
    """Errors fail the build; warnings become the build's located warnings (at the theme's
    print stylesheet, which is what they are about). A character drawn as the empty .notdef
    box must be one that reading the project already reported as missing from every theme
    font (font.missing-glyph, located); any other fails the build instead of printing a box
    unnoticed."""
    theme_css = SourceLocation(f"themes/{project.theme.name}/print.css")

    def progress(message: str) -> None:
        options.warn(theme_css, message.split(": warning: ", 1)[-1], "pdf.warning")

    missing = sorted({m for r in results for m in r.missing})
    if missing:
        raise PdfRenderError(f"{name}: files referenced but not found: " + ", ".join(missing))
    log = [entry for r in results for entry in r.log]
    errors = [message for level, message in log if level >= logging.ERROR]
    if errors:
        raise PdfRenderError(f"{name}: WeasyPrint failed: " + "; ".join(errors))
    boxes: set[int] = set()
    warned: set[str] = set()
    for _, message in log:
        found = NOTDEF_RE.match(message)
        if found:
            boxes.update(ord(c) for c in found.group(1))
        elif message not in warned:
            warned.add(message)
            progress(f"{name}: warning: {message}")
    unreported = boxes - Coverage(project.theme).missing(boxes)
    if unreported:
        listing = ", ".join(f"U+{c:04X}" for c in sorted(unreported))
        raise PdfRenderError(f"{name}: characters drawn as empty boxes although a font of the "
                             f"theme has them: {listing}")
    for url in sorted({u for r in results for u in r.refused}):
        progress(f"{name}: warning: not included (outside the project): {url}")


class _PdfRenderer:
    name: ClassVar[str]
    edition: ClassVar[Edition]
    suffix: ClassVar[str]

    def output_name(self, book: Book) -> str:
        return f"{book.slug}{self.suffix}.pdf"

    def processes(self, project: Project) -> int:
        """The parts this edition is laid out in: processes it can keep busy."""
        return len(plan_parts(main_sections(project, self.edition)))

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
