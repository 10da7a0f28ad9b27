"""The preview's state: the last good site, the problems `cxbook check` would report, and
a version that the event stream follows. Rebuilding runs the readers and the renderers
through the build cache, so what did not change is neither parsed nor rendered again."""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..build import RENDERERS, BuildOptions, check_formats, source_date
from ..cache import CACHE_DIR, BuildCache, fingerprint
from ..codes import known_codes
from ..diagnostics import CxbookError, Diagnostic, Diagnostics, Severity, SourceLocation
from ..model import Chapter
from ..readers import check_project
from .site import Site, make_site

KEEP_MADE = 16  # chapter PDFs and cover-images kept in memory


@dataclass(frozen=True)
class Rebuild:
    """What one rebuild did."""

    changed: tuple[str, ...]  # project-relative paths that changed; () for the first build
    seconds: float
    current: bool  # the preview now shows the project as it is (else the last good one:
    # the project did not read without errors, or rendering failed)
    updated: tuple[str, ...]  # addresses of the pages whose content changed
    problems: tuple[Diagnostic, ...]  # as `cxbook check` reports them, sorted
    acknowledged: str  # the line counting acknowledged warnings ("" when none)
    reread: int  # chapter files parsed again (the others came from the cache)
    rendered: int  # reader documents and course pages rendered again
    internal: str = ""  # an internal error (a bug), when rendering failed with one
    details: str = field(default="", repr=False)  # its traceback


@dataclass(frozen=True)
class _PdfOptions(BuildOptions):
    """Build options that keep the layout's warnings (BuildOptions.warn) for the caller."""

    found: list[Diagnostic] = field(default_factory=list, compare=False)

    def warn(self, location: SourceLocation, message: str, code: str) -> None:
        self.found.append(Diagnostic(location, Severity.WARNING, message, code))


class Preview:
    """The preview of the project at ``root``: ``rebuild`` after changes; the server reads
    ``site`` and ``state_json`` and waits with ``wait``. Thread-safe: rebuilds run in one
    thread, requests in others."""

    def __init__(self, root: Path, *, cache: bool = True,
                 warn: Callable[[Diagnostic], None] | None = None) -> None:
        self.root = root
        self.use_cache = cache
        self.site: Site | None = None
        self.last: Rebuild | None = None
        self.version = 0
        self._condition = threading.Condition()
        self._closed = False
        self._layout = threading.Lock()  # WeasyPrint lays out one document at a time
        self._made: OrderedDict[str, bytes] = OrderedDict()
        self._warn = warn

    # -- rebuilding -------------------------------------------------------------------

    def rebuild(self, changed: Sequence[str] = ()) -> Rebuild:
        """Read the project again and render what changed; the site is replaced only when
        the project reads without errors and renders. Never raises for the project's
        problems or a renderer's bug: both are in the result (and the state)."""
        started = time.perf_counter()
        cache = BuildCache(self.root / CACHE_DIR) if self.use_cache else None
        diags = Diagnostics()
        site = None
        internal = details = ""
        try:
            project, diags = check_project(self.root, cache)
            if project is not None:
                diags.extend(check_formats(project, list(RENDERERS)))
                diags.settle(known_codes)
                site = make_site(project, cache)
        except CxbookError as e:
            diags.extend(e.diagnostics)
            site = None
        except Exception as e:  # a bug: keep the last good preview, say what happened
            internal = f"{type(e).__name__}: {e}"
            details = traceback.format_exc()
            site = None
        problems = tuple(diags.sorted())
        old = self.site
        if site is not None:
            updated = tuple(path for path, digest in site.pages.items()
                            if old is None or old.pages.get(path) != digest)
        else:
            updated = ()
        result = Rebuild(
            changed=tuple(changed),
            seconds=time.perf_counter() - started,
            current=site is not None,
            updated=updated,
            problems=problems,
            acknowledged=diags.acknowledged_summary() or "",
            reread=cache.kind_misses["chapters"] if cache is not None else 0,
            rendered=(cache.kind_misses["epub-xhtml"] + cache.kind_misses["scorm-page"]
                      if cache is not None else 0),
            internal=internal,
            details=details,
        )
        with self._condition:
            moved = site is not None and (old is None or old.pages != site.pages
                                          or old.files.keys() != site.files.keys())
            if site is not None:
                self.site = site
            before = self.last
            self.last = result
            if moved or before is None or (before.problems, before.internal,
                                           before.current) != (problems, internal,
                                                               result.current):
                self.version += 1
                self._condition.notify_all()
        return result

    # -- what the server reads --------------------------------------------------------

    def state_json(self) -> tuple[int, bytes]:
        """The version and the state the reload script reads: each page's digest (a page
        whose digest changed is reloaded), whether the preview is current, the problems
        with their places (file:line:col) and an internal error, if any."""
        with self._condition:
            site, last, version = self.site, self.last, self.version
        state = {
            "version": version,
            "current": last.current if last is not None else False,
            "pages": dict(site.pages) if site is not None else {},
            "problems": [
                {"where": str(d.location), "severity": str(d.severity),
                 "message": d.message, "code": d.code}
                for d in (last.problems if last is not None else ())
            ],
            "internal": last.internal if last is not None else "",
        }
        return version, json.dumps(state, ensure_ascii=False).encode("utf-8")

    def wait(self, seen: int, timeout: float) -> int | None:
        """Wait until the version differs from ``seen`` (or ``timeout`` seconds pass); the
        version then, or None once the preview is closed."""
        with self._condition:
            self._condition.wait_for(lambda: self._closed or self.version != seen, timeout)
            return None if self._closed else self.version

    def close(self) -> None:
        """Wake every waiting event stream so that it ends."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    # -- made on request ----------------------------------------------------------------

    def chapter_pdf(self, site: Site, chapter: Chapter) -> bytes:
        """The chapter as the reader edition prints it (renderers/pdf.py chapter_pdf),
        kept while its inputs stay the same. Raises CxbookError (SOURCE_DATE_EPOCH) or
        the layout's error."""
        from ..renderers.pdf import chapter_pdf

        project = site.project
        options = _PdfOptions(source_date(project.book))
        key = fingerprint("preview-pdf", project.book, chapter,
                          project.course.for_chapter(chapter.stem),
                          project.course.reader_activities, project.theme,
                          options.cache_key())

        def make() -> bytes:
            data = chapter_pdf(project, chapter, options)
            for warning in dict.fromkeys(options.found):
                if self._warn is not None:
                    self._warn(warning)
            return data

        return self._made_once(key, make)

    def cover(self, site: Site) -> bytes:
        """The cover-image the EPUB would get, made on request (renderers/epub.py)."""
        from ..renderers.epub import cover_image

        return self._made_once(site.cover_key,
                               lambda: cover_image(site.project, None).data())

    def _made_once(self, key: str, make: Callable[[], bytes]) -> bytes:
        with self._layout:
            data = self._made.get(key)
            if data is None:
                data = make()
                self._made[key] = data
                while len(self._made) > KEEP_MADE:
                    self._made.popitem(last=False)
            else:
                self._made.move_to_end(key)
            return data
