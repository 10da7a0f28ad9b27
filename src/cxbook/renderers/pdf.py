"""PDF editions with WeasyPrint: the reader edition, the participant workbook and the
facilitator guide, each one HTML document (renderers/pdf_html.py) paginated by the theme's
print stylesheet.

WeasyPrint only sees the project's assets and the theme's files, served from memory by
ProjectFetcher; every other URL is refused (no network, no file system). Output is
deterministic: the dates come from BuildOptions.source_date and the PDF identifier from
the book identifier.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import logging
import mimetypes
import multiprocessing
import posixpath
import re
import shutil
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pikepdf
import pydyf  # type: ignore[import-untyped]
import weasyprint
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..build import BuildOptions, edition_view
from ..cache import BuildCache, fingerprint
from ..diagnostics import SourceLocation
from ..glyphs import Coverage
from ..i18n import text_direction
from ..model import DEFAULT_COLORS, Book, Chapter, Project, Theme
from ..output import OutputFile
from ..stylesheets import FONT_TYPES, Assembled, record_position
from .pdf_html import Edition, front_html, main_sections, opens_right, part_html, toc_entries
from .pdf_layout import PAGE_REF_ATTRIBUTE, LaidOutPart, finish, lay_out, write
from .pdf_merge import PartPdf, merge

ORIGIN = "https://cxbook.invalid"  # a reserved name: never resolved, never fetched
MANUSCRIPT_BASE = f"{ORIGIN}/manuscript/"
THEME_BASE = f"{ORIGIN}/theme/"
# The main matter is laid out in parts of at least this many characters of HTML (see
# plan_parts), which worker processes lay out side by side and the build cache keeps.
PART_SIZE = 20_000
ALONE_SIZE = 200_000  # see busy_processes
FRONT = -1  # the front matter's index among the parts
NOTDEF_RE = re.compile(r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)"')


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

# zlib's default level: pydyf compresses every stream at level 9, which costs about four
# times the CPU of level 6 on WeasyPrint's content streams for output 3% smaller
# (measured on the reader edition's pages: 0.69 s against 0.15 s for 300 pages).
ZLIB_LEVEL = 6


def _stream_data(self: Any) -> bytes:
    """pydyf's Stream.data (pydyf 0.13), compressed at ZLIB_LEVEL."""
    stream = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
    extra = pydyf.Dictionary(self.extra.copy())
    if self.compress:
        extra["Filter"] = "/FlateDecode"
        compressor = zlib.compressobj(level=ZLIB_LEVEL)
        stream = compressor.compress(stream) + compressor.flush()
    extra["Length"] = len(stream)
    data: bytes = b"\n".join((extra.data, b"stream", stream, b"endstream"))
    return data


pydyf.Stream.data = property(_stream_data)


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
            media_type = _media_type(name)
            if media_type in FONT_TYPES.values():
                data = font_with_space(data)
            return URLFetcherResponse(url, data, {"Content-Type": media_type})
        self.refused.append(url)
        raise PermissionError(f"not fetched (outside the project): {url}")


@functools.lru_cache(maxsize=32)
def font_with_space(data: bytes) -> bytes:
    """A TrueType font without a space character (Noto Sans Math, Noto Sans Symbols 2)
    given an empty one, U+0020 and U+00A0, a quarter em wide; any other font as it is.

    Pango draws the spaces around a character that only a fallback font has (a "→" in a
    label, a "←" or "≤" in Arabic text) with that font when nothing on either side is
    drawn with another one: spaces in Arabic text next to a symbol, or a label's " → "
    between two isolated values. From a font without a space, they were .notdef boxes.
    The glyph goes after the font's own, so every other glyph keeps its id."""
    if data[:4] not in (b"\x00\x01\x00\x00", b"true"):  # WOFF, CFF and collections as they are
        return data
    font = TTFont(io.BytesIO(data))
    tables = [t for t in font["cmap"].tables if t.isUnicode() and t.format != 14]
    if "glyf" not in font or not tables or any(0x20 in t.cmap for t in tables):
        return data
    order = font.getGlyphOrder()
    name = "space" if "space" not in order else "space.cx"
    font["glyf"].glyphs[name] = Glyph()
    font.setGlyphOrder([*order, name])
    font["glyf"].glyphOrder = [*order, name]
    em = font["head"].unitsPerEm
    font["hmtx"].metrics[name] = (em // 4, 0)
    if "vmtx" in font:
        font["vmtx"].metrics[name] = (em, 0)
    for tag in ("hdmx", "LTSH", "VDMX"):  # per-glyph tables a font may leave out
        if tag in font:
            del font[tag]
    for table in tables:
        table.cmap[0x20] = name
        table.cmap.setdefault(0xA0, name)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


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


_SECTION_ID_RE = re.compile(r'\s*<section\b[^>]*?\bid="([^"]+)"')


def _cut_point(section: str) -> bool:
    """Whether a part may end before ``section``: decided by the section's id alone (a
    chapter's id is made from its file name), so that editing a section's text moves no
    boundary. About one section in two is a cut point."""
    found = _SECTION_ID_RE.match(section)
    identity = found.group(1) if found else section[:200]
    return hashlib.sha256(identity.encode()).digest()[0] % 2 == 0


def plan_parts(sections: list[str], part_size: int | None = None) -> list[list[str]]:
    """The main-matter sections in consecutive runs (parts), each run starting with a
    section that opens on a right-hand page.

    Content-defined, like the chunks of a deduplicating store: a run ends before a cut
    point (see _cut_point) once it holds ``part_size`` characters of HTML, and in any case
    once it holds twice that. The boundaries depend on the sections only, never on the
    machine or on ``--jobs``, so the PDF's bytes do not either; and since they come from
    the sections' ids, an edit inside a section changes that section's part only, whose
    layout is all that a rebuild has to do again (render_pdf caches the others)."""
    size = part_size or PART_SIZE
    # A part opens on a right-hand page; sections that need not (the answer key, the
    # sources) stay in the part before them, so that no empty page is added for them.
    glued: list[str] = []
    for section in sections:
        if glued and not opens_right(section):
            glued[-1] += section
        else:
            glued.append(section)
    groups: list[list[str]] = []
    run = 0
    for section in glued:
        if groups and (run >= 2 * size or (run >= size and _cut_point(section))):
            groups.append([])
            run = 0
        if not groups:
            groups.append([])
        groups[-1].append(section)
        run += len(section)
    return groups


def busy_processes(sections: list[str]) -> int:
    """The processes an edition of these main-matter sections keeps busy when it renders
    alone (see build.render_formats): one per part for a long book; one for a book under
    ALONE_SIZE characters, whose serial steps (the front matter, joining the parts) take a
    large share of its time, so that it is better built side by side with the other
    formats, its parts one after another."""
    if sum(len(section) for section in sections) < ALONE_SIZE:
        return 1
    return len(plan_parts(sections))


@dataclass(frozen=True)
class _Layout:
    """What laying parts out tells: pages per part and where each anchor landed."""

    pages: dict[int, int]  # part index -> page count
    anchors: dict[int, dict[str, int]]  # part index -> anchor -> page index in the part


@dataclass(frozen=True)
class _Plan:
    first_pages: dict[int, int]  # part index -> page number of its first page
    page_numbers: dict[str, str]  # anchor -> printed page number
    pad: dict[int, bool]  # part index -> followed by an empty left-hand page
    write: frozenset[int] = frozenset()  # the parts to write (the others are cached)


def _plan(layout: _Layout) -> _Plan:
    parts = sorted(layout.pages)
    first_pages: dict[int, int] = {FRONT: 1}
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


_PAGE_REF_RE = re.compile(rf'\b{PAGE_REF_ATTRIBUTE}="([^"]*)"')


class _PartCache:
    """Parts of an edition kept in the build cache (BuildOptions.cache): a part's layout
    (its page count and where its anchors landed) under a key of its content, and its PDF
    under a key of its content, its first page number and the page numbers it prints
    (references to other parts). A part's content is its HTML document plus everything
    WeasyPrint reads besides (the stylesheet, the theme's files, the project's assets, the
    writing options, the versions of WeasyPrint and pydyf); cache.fingerprint adds
    cxbook's own code. So a rebuild lays out only the parts whose content or first page
    changed, and the parts it takes from here are the bytes a cold build writes."""

    def __init__(self, cache: BuildCache | None, project: Project, css_text: str,
                 pdf_options: dict[str, Any]) -> None:
        self.cache = cache
        self.setup = "" if cache is None else fingerprint(
            "pdf-setup", weasyprint.__version__, pydyf.__version__, css_text,
            repr(sorted(pdf_options.items())), project.theme, project.assets)

    def _key(self, html: str) -> str:
        return fingerprint(self.setup, html)

    def layout(self, html: str) -> tuple[int, dict[str, int]] | None:
        if self.cache is None:
            return None
        value = self.cache.load("pdf-layout", self._key(html))
        return value if isinstance(value, tuple) and len(value) == 2 else None

    def keep_layout(self, html: str, pages: int, anchors: dict[str, int]) -> None:
        if self.cache is not None:
            self.cache.store("pdf-layout", self._key(html), (pages, anchors))

    def _pdf_key(self, html: str, first_page: int, plan: _Plan) -> str:
        refs = [(target, plan.page_numbers.get(target))
                for target in _PAGE_REF_RE.findall(html)]
        return fingerprint(self._key(html), str(first_page), repr(refs))

    def pdf(self, html: str, first_page: int, plan: _Plan) -> _PartPdfData | None:
        if self.cache is None:
            return None
        value = self.cache.load("pdf-part", self._pdf_key(html, first_page, plan))
        return value if isinstance(value, _PartPdfData) else None

    def keep_pdf(self, html: str, first_page: int, plan: _Plan, data: _PartPdfData) -> None:
        if self.cache is not None:
            self.cache.store("pdf-part", self._pdf_key(html, first_page, plan), data)


@dataclass(frozen=True)
class _PartPdfData:
    """A written part: its PDF, the stand-in anchors it was lent, and what WeasyPrint and
    the fetcher said while laying it out and writing it."""

    pdf: bytes
    borrowed: tuple[str, ...]
    log: tuple[_LogEntry, ...]  # WeasyPrint's warnings and errors
    missing: tuple[str, ...]
    refused: tuple[str, ...]


@dataclass
class _PartsJob:
    """Everything a process needs to lay out and write some parts of an edition."""

    project: Project
    name: str  # the format, for progress messages
    options: BuildOptions
    css_text: str
    pdf_options: dict[str, Any]
    htmls: dict[int, str]  # part index -> its HTML (FRONT's: once the plan is made)
    count: int  # parts in the main matter
    # Where links to targets in no part lead (anchor -> URL); the others: the first page.
    elsewhere: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _PartsDone:
    pdfs: dict[int, _PartPdfData] = field(default_factory=dict)  # part index -> written
    pages: dict[int, int] = field(default_factory=dict)  # part index -> page count

    def add(self, other: _PartsDone) -> None:
        self.pdfs.update(other.pdfs)
        self.pages.update(other.pages)


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


@contextmanager
def _lenient_gc() -> Iterator[None]:
    """Fewer garbage collections while WeasyPrint lays out and writes. Its boxes, styles
    and PDF objects are millions of small objects that live as long as the layout, and
    with Python's default thresholds the collector walks them again and again (measured:
    5 to 10% of the CPU time of a layout). Objects made before are frozen (never walked)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


# WeasyPrint's log: (level, message, line, column); the place in the stylesheet, 0 if none.
_LogEntry = tuple[int, str, int, int]
_Notes = tuple[list[_LogEntry], list[str], list[str]]  # log, missing, refused
# WeasyPrint's messages about CSS syntax errors, which reading the theme reports already
# (theme.css-syntax, readers/theme.py): left out of the PDFs' warnings.
CSS_SYNTAX_MESSAGES = frozenset({"Parse error at %d:%d: %s", "Error: %s at %d:%d."})


class _Session:
    """One process's WeasyPrint set-up for an edition: lays parts out and writes them,
    gathering what comes back into ``done`` with, for each part, what WeasyPrint logged
    and what the fetcher could not serve meanwhile."""

    def __init__(self, job: _PartsJob, fetcher: Any, fonts: Any, sheet: Any,
                 log: _LogCollector) -> None:
        self.job, self.fetcher, self.fonts, self.sheet = job, fetcher, fonts, sheet
        self.log = log
        self.done = _PartsDone()
        self._notes: dict[int, _Notes] = {}
        # What reading the stylesheet said (an unknown property…) goes with every part.
        self._setup = self._since((0, 0, 0))

    def _counts(self) -> tuple[int, int, int]:
        return len(self.log.records), len(self.fetcher.missing), len(self.fetcher.refused)

    def _since(self, counts: tuple[int, int, int]) -> _Notes:
        log, missing, refused = counts
        entries = [(r.levelno, r.getMessage(), *(record_position(r) or (0, 0)))
                   for r in self.log.records[log:] if r.msg not in CSS_SYNTAX_MESSAGES]
        return entries, self.fetcher.missing[missing:], self.fetcher.refused[refused:]

    def lay_out(self, index: int) -> LaidOutPart:
        counts = self._counts()
        html = HTML(string=self.job.htmls[index], base_url=MANUSCRIPT_BASE,
                    url_fetcher=self.fetcher)
        part = lay_out(html, font_config=self.fonts, stylesheets=[self.sheet],
                       **self.job.pdf_options)
        self._notes[index] = self._since(counts)
        return part

    def write(self, index: int, part: LaidOutPart, first_page: int,
              page_numbers: dict[str, str]) -> None:
        counts = self._counts()
        finish(part, first_page, page_numbers, self.job.elsewhere)
        rtl = text_direction(self.job.project.book.language) == "rtl"
        data = write(part, finisher=_right_to_left if rtl else None, **self.job.pdf_options)
        notes = (self._setup, self._notes.pop(index), self._since(counts))
        self.done.pages[index] = part.page_count
        self.done.pdfs[index] = _PartPdfData(
            data, tuple(part.borrowed), tuple(entry for note in notes for entry in note[0]),
            tuple(name for note in notes for name in note[1]),
            tuple(url for note in notes for url in note[2]))


def _right_to_left(document: Any, pdf: Any) -> None:
    """A right-to-left book's reading order for viewers (PDF 1.7, 12.2 "Viewer Preferences":
    /Direction /R2L shows facing pages right to left, like the EPUB's
    page-progression-direction)."""
    preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    preferences["Direction"] = "/R2L"
    pdf.catalog["ViewerPreferences"] = preferences


@contextmanager
def _session(job: _PartsJob) -> Iterator[_Session]:
    with _collect_weasyprint_log() as log, \
            _weasyprint_session(job.project, job.css_text) as (fetcher, fonts, sheet), \
            _lenient_gc():
        yield _Session(job, fetcher, fonts, sheet, log)


def _run_parts(job: _PartsJob, indexes: list[int],
               exchange: Callable[[_Layout], _Plan]) -> _PartsDone:
    """Lay out the parts ``indexes``, hand their layout to ``exchange`` for the plan of the
    whole edition, then finish and write those of them that the plan says to write."""
    with _session(job) as session:
        laid: dict[int, LaidOutPart] = {}
        for index in indexes:
            laid[index] = session.lay_out(index)
            if index != FRONT and job.count > 1:
                job.options.report(f"{job.name}: part {index + 1} of {job.count} laid "
                                   f"out ({laid[index].page_count} pages)")
        plan = exchange(_Layout({i: p.page_count for i, p in laid.items()},
                                {i: p.anchors for i, p in laid.items()}))
        for index in indexes:
            part = laid.pop(index)
            if index in plan.write:
                session.write(index, part, plan.first_pages[index], plan.page_numbers)
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


def _assign(job: _PartsJob, indexes: list[int], workers: int) -> list[list[int]]:
    """``indexes`` dealt to ``workers`` processes, largest part first to the least loaded
    (which process lays out a part never changes its bytes)."""
    loads = [0] * workers
    assigned: list[list[int]] = [[] for _ in range(workers)]
    for index in sorted(indexes, key=lambda i: (-len(job.htmls[i]), i)):
        worker = loads.index(min(loads))
        assigned[worker].append(index)
        loads[worker] += len(job.htmls[index])
    return [sorted(parts) for parts in assigned]


def _fork_parts(job: _PartsJob, assigned: list[list[int]],
                plan_for: Callable[[_Layout], _Plan],
                after_plan: Callable[[_Plan], list[int]]) -> tuple[_PartsDone, _Plan]:
    """The parts ``assigned[w]`` laid out by forked process ``w``. This process gathers
    their layouts, makes the plan with ``plan_for``, sends it back and, while the parts are
    written, starts one more process for the parts ``after_plan`` names (the front matter,
    whose contents need the plan's page numbers). It lays nothing out itself: a layout
    lives only in the process that made it and goes with it when it ends, so a build's
    memory does not keep the largest layout it made, and the front matter's process is
    forked from a small one."""
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Any]] = []

    def part_worker(indexes: list[int]) -> Callable[[Any], _PartsDone]:
        def work(connection: Any) -> _PartsDone:
            def exchange(layout: _Layout) -> _Plan:
                connection.send(("layout", layout))
                plan: _Plan = connection.recv()
                return plan
            return _run_parts(job, indexes, exchange)
        return work

    try:
        for indexes in assigned:
            children.append(_fork(context, part_worker(indexes)))
        workers = list(children)
        pages: dict[int, int] = {}
        anchors: dict[int, dict[str, int]] = {}
        for _, connection in workers:
            theirs = _receive(connection, "layout")
            pages.update(theirs.pages)
            anchors.update(theirs.anchors)
        plan = plan_for(_Layout(pages, anchors))
        for _, connection in workers:
            connection.send(plan)
        later = after_plan(plan)
        if later:
            children.append(_fork(context, lambda _: _run_parts(job, later, lambda _: plan)))
        done = _PartsDone()
        for _, connection in children:
            done.add(_receive(connection, "done"))
    finally:
        for process, connection in children:
            connection.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    return done, plan


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


def _lay_out(job: _PartsJob, indexes: list[int], plan_for: Callable[[_Layout], _Plan],
             after_plan: Callable[[_Plan], list[int]]) -> tuple[_PartsDone, _Plan]:
    """Lay out and write ``indexes`` (then the parts ``after_plan`` names), in parallel when
    ``--jobs`` allows and processes can be forked."""
    workers = min(max(job.options.jobs, 1), len(indexes))
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        return _fork_parts(job, _assign(job, indexes, workers), plan_for, after_plan)
    plans: list[_Plan] = []

    def exchange(layout: _Layout) -> _Plan:
        plans.append(plan_for(layout))
        return plans[0]

    done = _run_parts(job, indexes, exchange)
    later = after_plan(plans[0])
    if later:
        done.add(_run_parts(job, later, lambda _: plans[0]))
    return done, plans[0]


def _print_css(project: Project, options: BuildOptions, extra_css: str = "") -> Assembled:
    """The editions' stylesheet: theme.yaml's settings, the theme's print CSS, --paper,
    then ``extra_css``; each place of it maps back to the theme file it comes from."""
    theme = Assembled.join(project.theme.css_parts("print"), "\n")
    paper = f"\n@page {{ size: {options.paper}; }}\n" if options.paper else ""
    return (Assembled.join([(None, generated_css(project.theme))]) + theme
            + Assembled.join([(None, paper + extra_css)]))


def _pdf_options(project: Project, edition: Edition, name: str, *, extra_css: str = "",
                 pdf_variant: str = "pdf/ua-1") -> dict[str, Any]:
    """WeasyPrint's options for writing an edition's parts (deterministic identifier)."""
    identifier = hashlib.sha256(
        f"{project.book.identifier}\n{edition}{'' if extra_css == '' else name}".encode()
    ).hexdigest()[:32].encode()
    return {
        "pdf_variant": pdf_variant,
        "pdf_tags": True,
        "pdf_identifier": identifier,
        "uncompressed_pdf": False,
        "custom_metadata": False,
        "full_fonts": False,
        "hinting": False,
    }


def render_pdf(project: Project, options: BuildOptions, edition: Edition,
               name: str, *, extra_css: str = "", pdf_variant: str = "pdf/ua-1") -> bytes:
    """One edition as PDF bytes: the main matter laid out in parts (in parallel when
    ``options.jobs`` allows), then the front matter with the page numbers now known, then
    all parts joined into one PDF. With a build cache, only the parts whose content or
    first page changed are laid out (see _PartCache). ``extra_css`` comes after the theme's
    stylesheet (and ``--paper``); ``pdf_variant`` is WeasyPrint's (the parts stay tagged,
    to be joined)."""
    progress: Callable[[str], None] = options.progress or (lambda message: None)
    stylesheet = _print_css(project, options, extra_css)
    css_text = stylesheet.text
    pdf_options = _pdf_options(project, edition, name, extra_css=extra_css,
                               pdf_variant=pdf_variant)
    groups = plan_parts(main_sections(project, edition))
    htmls = {index: part_html(project, edition, options.source_date, group, first=index == 0)
             for index, group in enumerate(groups)}
    job = _PartsJob(project, name, options, css_text, pdf_options, htmls, len(groups))
    store = _PartCache(options.cache, project, css_text, pdf_options)
    count = len(project.chapters)
    progress(f"{name}: laying out {count} chapter{'' if count == 1 else 's'}")
    known = {index: store.layout(html) for index, html in htmls.items()}
    cached: dict[int, _PartPdfData] = {}
    layouts: list[_Layout] = []

    def plan_for(layout: _Layout) -> _Plan:
        """The plan from the parts just laid out and the cached layouts of the others;
        which parts are to be written (those whose PDF is not cached for it)."""
        pages = {i: found[0] for i, found in known.items() if found is not None}
        anchors = {i: found[1] for i, found in known.items() if found is not None}
        for index in layout.pages:
            store.keep_layout(htmls[index], layout.pages[index], layout.anchors[index])
        pages.update(layout.pages)
        anchors.update(layout.anchors)
        layouts.append(_Layout(pages, anchors))
        plan = _plan(layouts[0])
        job.htmls[FRONT] = _front_html(job, edition, plan)
        write = set()
        for index in job.htmls:
            hit = store.pdf(job.htmls[index], plan.first_pages[index], plan)
            if hit is None:
                write.add(index)
            else:
                cached[index] = hit
        return replace(plan, write=frozenset(write))

    missing = [index for index, found in known.items() if found is None]
    if missing:
        done, plan = _lay_out(job, missing, plan_for,
                              lambda plan: [FRONT] if FRONT in plan.write else [])
    else:
        done, plan = _PartsDone(), plan_for(_Layout({}, {}))
    rest = sorted(plan.write - done.pdfs.keys())
    if rest:  # parts whose layout was cached but whose PDF is not (another first page)
        more, _ = _lay_out(job, rest, lambda _: plan, lambda _: [])
        if any(more.pages[i] != layouts[0].pages[i] for i in rest if i != FRONT):
            # A cached layout that a new one contradicts: never trust that cache again.
            return render_pdf(project, replace(options, cache=None), edition, name,
                              extra_css=extra_css, pdf_variant=pdf_variant)
        done.add(more)
    written = {**cached, **done.pdfs}
    _check_log(name, project, options, [written[index] for index in sorted(written)],
               stylesheet)
    for index, data in done.pdfs.items():
        store.keep_pdf(job.htmls[index], plan.first_pages[index], plan, data)
    front = written[FRONT]
    front_pages = done.pages.get(FRONT) or _page_count(front.pdf)
    main_start = front_pages + front_pages % 2
    parts = [PartPdf(front.pdf, frozenset(front.borrowed), pad=front_pages % 2 == 1)]
    for index in range(len(groups)):
        part = written[index]
        parts.append(PartPdf(part.pdf, frozenset(part.borrowed), pad=plan.pad[index]))
    total = main_start + sum(layouts[0].pages.values()) + sum(plan.pad.values())
    progress(f"{name}: writing {total} pages")
    return merge(parts, main_start)


def chapter_pdf(project: Project, chapter: Chapter, options: BuildOptions, *,
                elsewhere: Mapping[str, str] | None = None) -> bytes:
    """One chapter as the reader edition prints it, on its own (a quick look at its printed
    form, for ``cxbook serve``): the chapter, then its answers when it has quiz items (so
    that its "see page" reference has a page), laid out in one part with the reader
    edition's stylesheet, pages numbered from 1, without front matter or sources. A link
    to a place outside this PDF (another chapter, the sources) leads to the URL that
    ``elsewhere`` gives for its id (the preview's page of that place); without one, to the
    first page. Raises PdfRenderError as render_pdf does; WeasyPrint's warnings go to
    ``options.warn``."""
    view = edition_view(replace(project, chapters=(chapter,)), "reader")
    sections = main_sections(view, "reader", sources=False)
    html = part_html(view, "reader", options.source_date, sections, first=True)
    stylesheet = _print_css(view, options)
    job = _PartsJob(view, "pdf", options, stylesheet.text,
                    _pdf_options(view, "reader", "pdf"), {0: html}, 1, elsewhere or {})

    def exchange(layout: _Layout) -> _Plan:
        return replace(_plan(layout), write=frozenset({0}))

    done = _run_parts(job, [0], exchange)
    _check_log("pdf", view, options, [done.pdfs[0]], stylesheet)
    return done.pdfs[0].pdf


def _page_count(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def _front_html(job: _PartsJob, edition: Edition, plan: _Plan) -> str:
    """Cover, title page, rights page and contents, with the contents' page numbers."""
    entries = toc_entries(job.project, edition)
    missing = [e.target for e in entries if e.target not in plan.page_numbers]
    if missing:
        raise PdfRenderError("contents entries point at nothing laid out: "
                             + ", ".join(missing))
    return front_html(job.project, edition, job.options.source_date, plan.page_numbers)


def _check_log(name: str, project: Project, options: BuildOptions,
               results: list[_PartPdfData], stylesheet: Assembled) -> None:
    """Errors fail the build; warnings become the build's located warnings: at the line and
    column of the theme file that ``stylesheet`` (the one WeasyPrint read) took the place
    they name from, else at the theme's print stylesheet, which is what they are about. A
    character drawn as the empty .notdef box must be one that reading the project already
    reported as missing from every theme font (font.missing-glyph, located); any other fails
    the build instead of printing a box unnoticed."""
    theme_css = SourceLocation(f"themes/{project.theme.name}/print.css")

    def progress(message: str, line: int = 0, column: int = 0) -> None:
        found = stylesheet.locate(line, column) if line else None
        where = theme_css if found is None else SourceLocation(*found)
        if found is not None:  # the place in WeasyPrint's words is the stylesheet's
            message = message.replace(f" at {line}:{column}", "", 1)
        message = re.sub(r"\s*\n\s*", " ", message)  # a diagnostic is one line
        options.warn(where, message.split(": warning: ", 1)[-1], "pdf.warning")

    missing = sorted({m for r in results for m in r.missing})
    if missing:
        raise PdfRenderError(f"{name}: files referenced but not found: " + ", ".join(missing))
    log = [entry for r in results for entry in r.log]
    errors = [message for level, message, *_ in log if level >= logging.ERROR]
    if errors:
        raise PdfRenderError(f"{name}: WeasyPrint failed: " + "; ".join(errors))
    boxes: set[int] = set()
    warned: set[str] = set()
    for _, message, line, column in log:
        found = NOTDEF_RE.match(message)
        if found:
            boxes.update(ord(c) for c in found.group(1))
        elif message not in warned:
            warned.add(message)
            progress(f"{name}: warning: {message}", line, column)
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
        return busy_processes(main_sections(project, self.edition))

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
