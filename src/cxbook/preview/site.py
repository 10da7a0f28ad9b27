"""The preview site: every address ``cxbook serve`` answers, made from the model by the
renderers' own code (never a second rendering path).

- ``/book/…``: the reader view, the EPUB's content documents as the EPUB holds them
  (renderers/epub.py ``render_documents``), with its stylesheet, theme files and images;
- ``/course/…``: the course page in standalone mode, the SCORM package's page with the
  standalone tracking adapter only (renderers/scorm.py ``standalone_files``);
- ``/pdf/ch-<slug>.pdf``: one chapter as the reader edition prints it, laid out on request
  (renderers/pdf.py ``chapter_pdf``).

A Site is one immutable snapshot; the server swaps snapshots whole, so a request never sees
half a rebuild. Pages get the preview's chrome only when they are served (chrome.py): the
bytes kept here are exactly what the outputs hold.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..cache import BuildCache, fingerprint
from ..model import Chapter, Project
from ..renderers.epub import CSS_PATH, NAV_FILE, chapter_file, cover_image, render_documents
from ..renderers.epub_assets import FONT_MEDIA_TYPES
from ..renderers.scorm import LAUNCH, standalone_files

BOOK = "/book/"
COURSE = "/course/"
PDF = "/pdf/"
OWN = "/_cxbook/"  # the preview's own files and its event stream
START = BOOK + NAV_FILE  # where "/" leads: the book's contents
COURSE_PAGE = COURSE + LAUNCH
XHTML = "application/xhtml+xml"
HTML = "text/html"

Kind = Literal["file", "page"]


@dataclass(frozen=True)
class Resource:
    """One address's content. A ``page`` (an XHTML document of the reader view, or the
    course page) gets the preview's chrome when it is served."""

    media_type: str
    data: bytes = field(repr=False)
    kind: Kind = "file"


@dataclass(frozen=True)
class PageLinks:
    """What a page's chrome links to: the reading order's neighbours, and its chapter."""

    previous: str | None = None
    next: str | None = None
    chapter: Chapter | None = None


@dataclass(frozen=True)
class Site:
    """One snapshot of the preview. Addresses are URL paths as decoded from a request
    (``/book/ch-worry-less.xhtml``)."""

    project: Project
    files: Mapping[str, Resource]
    pages: Mapping[str, str]  # page address -> digest of what it shows (see page_digests)
    links: Mapping[str, PageLinks]  # page address -> its chrome's links
    chapters: Mapping[str, Chapter]  # chapter PDF address -> chapter
    cover: str | None  # address of a cover-image made on request (None: it is a file)
    cover_key: str  # identity of the cover-image's inputs, to keep a made one

    def resource(self, path: str) -> Resource | None:
        return self.files.get(path)


def reader_path(chapter: Chapter) -> str:
    return BOOK + chapter_file(chapter)


def course_path(chapter: Chapter | None = None) -> str:
    """The course page, opened at ``chapter``'s page (ids as renderers/scorm.py
    ``course_pages`` gives them)."""
    return COURSE_PAGE + (f"#page-{chapter.slug}" if chapter is not None else "")


def pdf_path(chapter: Chapter) -> str:
    return f"{PDF}{chapter.anchor}.pdf"


def media_type(name: str) -> str:
    """The Content-Type for a file name (text types in UTF-8)."""
    extension = name.rsplit(".", 1)[-1].lower()
    if extension in FONT_MEDIA_TYPES:
        return FONT_MEDIA_TYPES[extension]
    if extension == "xhtml":
        return XHTML
    if extension == "js":
        return "text/javascript; charset=utf-8"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/json", "image/svg+xml"):
        return f"{guessed}; charset=utf-8"
    return guessed


def make_site(project: Project, cache: BuildCache | None) -> Site:
    """The preview of ``project``. With ``cache``, each EPUB document and each course page
    is rendered only when its inputs changed since it was last rendered (kept in the
    cache's ``preview-book`` and ``preview-course`` bundles, apart from the builds' own).
    Raises CxbookError for problems only rendering finds (``epub.link``)."""
    files: dict[str, Resource] = {}
    links: dict[str, PageLinks] = {}
    book_bundle = cache.bundle("preview-book") if cache is not None else None
    cover = cover_image(project, None)
    documents = render_documents(project, book_bundle, cover.source)
    if book_bundle is not None:
        book_bundle.save()
    chapters_by_file = {chapter_file(c): c for c in project.chapters}
    order = [BOOK + doc.file for doc in documents.docs]
    for index, (doc, content) in enumerate(zip(documents.docs, documents.contents,
                                               strict=True)):
        path = order[index]
        files[path] = Resource(XHTML, content, "page")
        links[path] = PageLinks(order[index - 1] if index else None,
                                order[index + 1] if index + 1 < len(order) else None,
                                chapters_by_file.get(doc.file))
    files[BOOK + CSS_PATH] = Resource(media_type(CSS_PATH),
                                      documents.theme.css.encode("utf-8"))
    for name, (kind, data) in documents.theme.files.items():
        files[f"{BOOK}theme/{name}"] = Resource(kind, data)
    used = {m for doc in documents.docs for m in doc.images}
    for asset in project.assets:
        packaged = documents.media.get(asset.path)
        if packaged is not None and (packaged in used or packaged == documents.cover_src):
            files[BOOK + packaged] = Resource(asset.media_type, asset.data)
    made_cover = None if cover.source is not None else BOOK + documents.cover_src

    course_bundle = cache.bundle("preview-course") if cache is not None else None
    for name, data in standalone_files(project, course_bundle).items():
        files[COURSE + name] = Resource(media_type(name), data,
                                        "page" if name == LAUNCH else "file")
    if course_bundle is not None:
        course_bundle.save()
    links[COURSE_PAGE] = PageLinks()
    pdfs = {pdf_path(c): c for c in project.chapters}
    cover_key = fingerprint("preview-cover", project.book, project.theme,
                            *(a.data for a in project.assets if a.path == project.book.cover))
    return Site(project, files, page_digests(files), links, pdfs, made_cover, cover_key)


def page_digests(files: Mapping[str, Resource]) -> dict[str, str]:
    """Per page, a digest of everything it shows: its own bytes and every other file of the
    site (stylesheets, fonts, images), so that a page is reloaded exactly when what it shows
    may have changed, and left alone when only other pages did."""
    shared = hashlib.sha256()
    for path in sorted(files):
        if files[path].kind != "page":
            shared.update(path.encode("utf-8") + b"\0")
            shared.update(hashlib.sha256(files[path].data).digest())
    common = shared.digest()
    return {path: hashlib.sha256(common + resource.data).hexdigest()[:20]
            for path, resource in files.items() if resource.kind == "page"}
