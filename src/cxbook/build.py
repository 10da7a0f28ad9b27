"""Building: the renderer registry, build options, and rendering formats into dist/.

The project is read and parsed once; formats are then rendered from that one model, in
parallel worker processes when more than one is asked for, and every output is looked up
in the content-addressed cache first (see cache.py).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from .cache import BuildCache, fingerprint
from .diagnostics import CxbookError, Diagnostic, Diagnostics, Severity, SourceLocation
from .model import Book, ChapterActivities, Project
from .output import OutputFile, WrittenFile, write_outputs

# format name -> "module:class". Explicit; a module that is not there yet means the format
# is not available in this version (reported, never faked).
RENDERERS: dict[str, str] = {
    "epub": "cxbook.renderers.epub:EpubRenderer",
    "pdf": "cxbook.renderers.pdf:ReaderPdfRenderer",
    "workbook": "cxbook.renderers.pdf:WorkbookPdfRenderer",
    "facilitator": "cxbook.renderers.pdf:FacilitatorPdfRenderer",
    "print": "cxbook.renderers.print_pdf:PrintPdfRenderer",
    "scorm12": "cxbook.renderers.scorm:Scorm12Renderer",
    "scorm2004": "cxbook.renderers.scorm:Scorm2004Renderer",
    "cc": "cxbook.renderers.cc:CcRenderer",
    "cmi5": "cxbook.renderers.cmi5:Cmi5Renderer",
}
# format name -> "module:function(project) -> list[Diagnostic]": what the format itself
# cannot hold (its data model's limits), found from the model alone. `cxbook check` runs
# them and `build` runs them before rendering, so both report the same located errors.
# Kept apart from RENDERERS so that checking imports no renderer.
FORMAT_CHECKS: dict[str, str] = {
    "scorm12": "cxbook.renderers.scorm:check_scorm12",
    "scorm2004": "cxbook.renderers.scorm:check_scorm2004",
    "cc": "cxbook.renderers.cc:check_cc",
    "cmi5": "cxbook.renderers.cmi5:check_cmi5",
}
# Slowest first, so that parallel workers finish together.
RENDER_ORDER = ("pdf", "print", "facilitator", "workbook", "epub", "scorm2004", "scorm12",
                "cc", "cmi5")
# Formats a plain ``build`` makes only when they are named (see default_formats).
OPT_IN = ("cmi5",)
PAPER_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5"}


@dataclass(frozen=True)
class BuildOptions:
    source_date: dt.datetime  # every date written into outputs
    paper: str | None = None  # CSS page size overriding the theme's, e.g. "A4"
    # Called with short progress messages ("pdf: chapter 3/5"); never required.
    progress: Callable[[str], None] | None = field(default=None, compare=False)
    # Fragment cache for renderers that cache per-chapter work; None disables it.
    cache: BuildCache | None = field(default=None, compare=False)
    # Processes a renderer may use for itself (the PDFs lay out parts side by side); never
    # changes the bytes of an output.
    jobs: int = field(default=1, compare=False)

    def report(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def warn(self, location: SourceLocation, message: str, code: str) -> None:
        """A renderer's warning: a located diagnostic that the build reports with the
        project's own and that ``--strict`` counts (kept with the cached output)."""
        _WARNINGS.append(Diagnostic(location, Severity.WARNING, message, code))

    def cache_key(self) -> tuple[str, str | None]:
        """The options that change output bytes."""
        return (self.source_date.isoformat(), self.paper)


class Renderer(Protocol):
    name: str

    def output_name(self, book: Book) -> str: ...

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]: ...


class FormatUnavailable(Exception):
    pass


class WriteError(Exception):
    """The outputs could not be written (full disk, no permission, --out is a file…);
    every existing output was left as it was."""


def default_formats(project: Project) -> list[str]:
    """The formats ``build`` makes when none is named: all of them, but the print edition
    only for a book whose book.yaml asks for it with a ``print:`` section, and the cmi5
    package only when named (``-f cmi5``): the SCORM packages are what every LMS imports,
    a cmi5 package is for the LMSs that ask for one."""
    return [name for name in RENDERERS if name not in OPT_IN
            and (name != "print" or project.book.print_edition is not None)]


def is_available(name: str) -> bool:
    """Whether the format's renderer module exists, without importing it."""
    module_name = RENDERERS[name].partition(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def available_formats() -> list[str]:
    return [name for name in RENDERERS if is_available(name)]


def load_renderer(name: str) -> Renderer:
    if not is_available(name):
        raise FormatUnavailable(name)
    module_name, _, class_name = RENDERERS[name].partition(":")
    module = importlib.import_module(module_name)
    renderer: Renderer = getattr(module, class_name)()
    return renderer


def check_formats(project: Project, formats: Sequence[str]) -> list[Diagnostic]:
    """The located problems that would stop the given formats from being written (see
    FORMAT_CHECKS), in the order of ``formats``; [] when every one of them can be built."""
    found: list[Diagnostic] = []
    for name in formats:
        target = FORMAT_CHECKS.get(name)
        if target is None or not is_available(name):
            continue
        module_name, _, function = target.partition(":")
        check: Callable[[Project], list[Diagnostic]] = getattr(
            importlib.import_module(module_name), function)
        found.extend(check(project))
    return found


def source_date(book: Book, environ: dict[str, str] | None = None) -> dt.datetime:
    """The date written into outputs: SOURCE_DATE_EPOCH when set, else the book's date,
    else 2000-01-01. Never the current time, so rebuilds are byte-identical."""
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is not None and raw.strip():
        try:
            return dt.datetime.fromtimestamp(int(raw.strip()), tz=dt.UTC)
        except (ValueError, OverflowError, OSError) as e:
            raise CxbookError.single(
                SourceLocation("SOURCE_DATE_EPOCH"),
                f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '{raw}'",
                "build.source-date",
            ) from e
    if book.date:
        parts = [int(p) for p in book.date.split("-")] + [1, 1]
        return dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.UTC)
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


# Warnings of the renderer running in this process (see BuildOptions.warn).
_WARNINGS: list[Diagnostic] = []


@dataclass(frozen=True)
class FormatResult:
    name: str
    files: list[OutputFile]
    seconds: float
    cached: bool
    warnings: tuple[Diagnostic, ...] = ()


def _output_key(name: str, project_key: str | None, options: BuildOptions) -> str | None:
    return fingerprint(name, project_key, options.cache_key()) if project_key else None


def _cached(project_key: str | None, name: str, options: BuildOptions) -> FormatResult | None:
    """The format's whole output from the cache, when nothing it depends on changed."""
    key = _output_key(name, project_key, options)
    if options.cache is None or key is None:
        return None
    started = time.perf_counter()
    hit = options.cache.get_outputs(name, key)
    warnings = options.cache.load("warnings-" + name, key)
    if hit is None or not isinstance(warnings, tuple):
        return None
    options.report(f"{name}: unchanged (from cache)")
    return FormatResult(name, hit, time.perf_counter() - started, True, warnings)


def _render_one(project: Project, name: str, options: BuildOptions,
                project_key: str | None) -> FormatResult:
    started = time.perf_counter()
    options.report(f"{name}: rendering")
    _WARNINGS.clear()
    renderer = load_renderer(name)
    files = renderer.render(_view(renderer, project), options)
    warnings = tuple(dict.fromkeys(_WARNINGS))
    _WARNINGS.clear()
    key = _output_key(name, project_key, options)
    if options.cache is not None and key is not None:
        options.cache.store("warnings-" + name, key, warnings)
        options.cache.put_outputs(name, key, files)
    seconds = time.perf_counter() - started
    options.report(f"{name}: done in {seconds:.1f} s")
    return FormatResult(name, files, seconds, False, warnings)


def edition_view(project: Project, edition: str | None) -> Project:
    """The project as one edition renders it (a per-renderer copy, never the original):
    the reader editions of a course whose course.yaml says ``editions: {reader: plain}``
    get no activities, so no answer key either: a plain reading copy."""
    if edition != "reader" or project.course.reader_activities:
        return project
    course = replace(project.course, activities=tuple(
        ChapterActivities(a.stem, (), (), (), (), None) for a in project.course.activities))
    return replace(project, course=course)


def _view(renderer: Renderer, project: Project) -> Project:
    """The project as the renderer's edition sees it (its ``edition`` attribute: "reader",
    "workbook", "facilitator"; formats without one render the project as it is)."""
    return edition_view(project, getattr(renderer, "edition", None))


def _processes(name: str, project: Project) -> int:
    """How many processes the format's renderer can use on this project (1 unless it says)."""
    renderer = load_renderer(name)
    count = getattr(renderer, "processes", None)
    return int(count(_view(renderer, project))) if callable(count) else 1


# The model and options handed to forked workers (inherited, never pickled).
_WORK: tuple[Project, BuildOptions, str | None] | None = None


def _worker(name: str) -> FormatResult:
    assert _WORK is not None
    project, options, key = _WORK
    return _render_one(project, name, options, key)


def render_formats(
    project: Project, formats: Sequence[str], options: BuildOptions, *, jobs: int = 1
) -> list[FormatResult]:
    """Render every requested format in memory (nothing is written), in ``jobs`` worker
    processes when more than one format is asked for. Results keep the requested order."""
    global _WORK
    problems = Diagnostics(check_formats(project, formats))
    problems.raise_if_errors()
    project_key = fingerprint(project) if options.cache is not None else None
    ordered = sorted(formats, key=lambda n: RENDER_ORDER.index(n)
                     if n in RENDER_ORDER else len(RENDER_ORDER))
    results: dict[str, FormatResult] = {}
    for name in ordered:
        hit = _cached(project_key, name, options)
        if hit is not None:
            results[name] = hit
    todo = [name for name in ordered if name not in results]
    # A format that can itself keep every process busy (a long PDF laid out in parts)
    # renders alone, one after another: faster than side by side with one process each,
    # and only one such layout is in memory at a time.
    for name in [n for n in todo if jobs > 1 and _processes(n, project) > 1]:
        results[name] = _render_one(project, name, replace(options, jobs=jobs), project_key)
        todo.remove(name)
    workers = min(jobs, len(todo))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        options = replace(options, jobs=jobs)
        for name in todo:
            results[name] = _render_one(project, name, options, project_key)
    else:
        for name in todo:  # imported once here, inherited by every worker
            load_renderer(name)
        # The processes left over once every worker has one go to the renderers.
        _WORK = (project, replace(options, jobs=max(1, jobs // workers)), project_key)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {name: pool.submit(_worker, name) for name in todo}
                for name, future in futures.items():
                    results[name] = future.result()
        finally:
            _WORK = None
    return [results[name] for name in formats]


def build(
    project: Project,
    formats: Sequence[str],
    out_dir: Path,
    options: BuildOptions,
    *,
    jobs: int = 1,
    strict: bool = False,
    acknowledged: Callable[[Diagnostic], bool] | None = None,
) -> tuple[list[WrittenFile], list[FormatResult]]:
    """Render all formats, then write them all atomically: a failure in any renderer leaves
    every earlier output in ``out_dir`` as it was. Files whose bytes did not change are not
    rewritten (``WrittenFile.changed`` is False). With ``strict``, a renderer's warning that
    ``acknowledged`` does not cover is such a failure (CxbookError with every warning)."""
    results = render_formats(project, formats, options, jobs=jobs)
    warnings = [w for w in dict.fromkeys(w for r in results for w in r.warnings)
                if acknowledged is None or not acknowledged(w)]
    if strict and warnings:
        raise CxbookError(sorted(warnings, key=lambda d: d.location))
    files = [f for r in results for f in r.files]
    try:
        written = write_outputs(out_dir, files)
    except OSError as e:
        where = e.filename or out_dir
        raise WriteError(f"cannot write {where}: {e.strerror or e}") from e
    if options.cache is not None:
        options.cache.prune()
    return written, results


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 4))

