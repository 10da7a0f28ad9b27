"""EPUB 3.3 (with an EPUB 2 NCX) built with ebooklib from the model.

Reading order: cover, title page, copyright, contents, chapters, answer key, sources.
Every XHTML document is assembled from the shared pieces in render/html.py, checked and
post-processed with lxml (EPUB footnote semantics, image paths, cross-document links), then
handed to ebooklib, which writes the package document, the NCX and the container. The zip
is rewritten with fixed order and timestamps so that equal input gives equal bytes.

With a build cache, each document's final bytes are kept under a key of everything they
are made from (its chapter and activities, or its text; the media names; and how each of
its links resolved against the other documents), so a rebuild after one chapter changed
renders only that chapter's document; compressed zip entries are reused too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ebooklib import epub
from lxml import etree
from markupsafe import escape

from ..build import BuildOptions
from ..cache import BuildCache, Bundle, fingerprint
from ..diagnostics import CxbookError, SourceLocation
from ..i18n import Localizer, foreign, localizer, text_direction
from ..markdown import resolve_asset_path
from ..model import Book, Chapter, ChapterActivities, Project
from ..output import OutputFile, reproducible_zip
from ..render.html import (
    answer_key_html,
    chapter_html,
    copyright_html,
    environment,
    sources_html,
    title_with_subtitle,
    titlepage_html,
)
from ..render.names import portable_name
from .epub_assets import ThemeResources, theme_resources
from .epub_cover import (
    RASTER_TYPES,
    InBackground,
    can_fork,
    generated_cover,
    supplied_cover,
)

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_NS = "http://www.w3.org/XML/1998/namespace"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
CSS_PATH = "theme/book.css"
NAV_FILE = "nav.xhtml"
ANSWER_KEY_FILE = "answer-key.xhtml"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
FORBIDDEN_ELEMENTS = frozenset({"script", "iframe", "object", "embed", "frame", "frameset",
                                "form", "input", "button", "textarea", "select"})
SAFE_SCHEMES = ("http", "https", "mailto")
# Extra semantics added to the shared templates' sections: class -> (epub:type, role).
SECTION_SEMANTICS = {
    "chapter": ("chapter", "doc-chapter"),
    "titlepage": ("titlepage", None),
    "copyright": ("copyright-page", None),
    "answer-key": ("appendix", "doc-appendix"),
    "sources": ("credits", "doc-credits"),
}


@dataclass
class Doc:
    """One XHTML content document of the spine."""

    file: str  # path inside the EPUB/ folder
    uid: str  # manifest id
    title: str  # <title>, contents and NCX label
    body: str  # XHTML fragment for <body>
    landmark: str | None = None  # epub:type in the landmarks nav
    source: str = ""  # where its text comes from, for messages
    chapter: Chapter | None = None  # a chapter's document: body made from it when needed
    activities: ChapterActivities | None = None
    loc: Localizer | None = field(default=None, repr=False)  # a chapter's: its labels
    tree: etree._Element | None = field(default=None, repr=False)
    key: str = ""  # cache key of its inputs (empty without a cache)
    ids: tuple[str, ...] = ()  # element ids, in document order
    hrefs: tuple[str, ...] = ()  # every link's href, in document order
    images: tuple[str, ...] = ()  # every image's (packaged) src


def _body(doc: Doc) -> str:
    if doc.chapter is not None and not doc.body:
        assert doc.loc is not None
        doc.body = chapter_html(doc.chapter, doc.activities, "book", doc.loc,
                                answer_key_href=ANSWER_KEY_FILE, epub=True)
    return doc.body


class EpubRenderer:
    """Renders the book as one reflowable EPUB 3 file."""

    name = "epub"
    edition = "reader"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}.epub"

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        cache = options.cache
        with cache.templates(environment()) if cache is not None else nullcontext():
            data = build_epub(project, options.source_date, cache,
                              background=options.jobs > 1 and can_fork())
        return [OutputFile(self.output_name(project.book), data)]


def chapter_file(chapter: Chapter) -> str:
    return f"{chapter.anchor}.xhtml"


def _xhtml(title: str, language: str, body: str, *, body_class: str) -> str:
    lang = escape(language)
    direction = text_direction(language)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}" lang="{lang}" xml:lang="{lang}" '
        f'dir="{direction}">\n'
        f'<head>\n<meta charset="utf-8"/>\n<title>{escape(title)}</title>\n'
        f'<link rel="stylesheet" type="text/css" href="{CSS_PATH}"/>\n</head>\n'
        f'<body class="{body_class}">\n{body}</body>\n</html>\n'
    )


def _parse(doc: Doc, language: str) -> etree._Element:
    kind = doc.uid if not doc.uid.startswith("ch-") else "chapter"
    text = _xhtml(doc.title, language, _body(doc), body_class=f"epub-{kind}")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    try:
        return etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as e:
        raise RuntimeError(f"EPUB document {doc.file} is not well-formed XHTML: {e}") from e


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def outline_levels(chapter: Chapter) -> dict[str, int]:
    """Heading levels without gaps (an article that goes from its title straight to ###
    gets h2): anchor -> level 2..6. Relative nesting is kept."""
    stack: list[tuple[int, int]] = []  # (level in the text, level in the EPUB)
    out: dict[str, int] = {}
    for h in chapter.headings:
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        level = min(6, stack[-1][1] + 1) if stack else 2
        stack.append((h.level, level))
        out[h.anchor] = level
    return out


def _fix_headings(root: etree._Element, levels: dict[str, int]) -> None:
    for el in list(root.iter()):
        name = _local(el)
        if len(name) == 2 and name[0] == "h" and name[1] in "23456":
            ident = el.get("id")
            if ident in levels and int(name[1]) != levels[ident]:
                el.tag = f"{{{XHTML_NS}}}h{levels[ident]}"


def _add_semantics(root: etree._Element) -> None:
    """epub:type and DPUB-ARIA roles on the shared templates' top-level sections (never on
    sections that come from a chapter's own HTML), and on note references."""
    body = root.find(f"{{{XHTML_NS}}}body")
    assert body is not None
    for el in body.iterchildren(f"{{{XHTML_NS}}}section"):
        classes = (el.get("class") or "").split()
        for cls in classes:
            if cls in SECTION_SEMANTICS:
                epub_type, role = SECTION_SEMANTICS[cls]
                el.set(EPUB_TYPE, epub_type)
                if role:
                    el.set("role", role)
    for el in root.iter(f"{{{XHTML_NS}}}a"):
        if el.get("role") == "doc-noteref" or "noteref" in (el.get("class") or "").split():
            el.set(EPUB_TYPE, "noteref")
            el.set("role", "doc-noteref")


def _mirror_lang(root: etree._Element) -> None:
    """Every ``lang`` attribute also as ``xml:lang`` (the one XML reading systems such as
    Adobe's engine read), so a passage in another language is hyphenated and spoken in that
    language everywhere (EPUB 3.3 XHTML content documents allow both when they agree)."""
    xml_lang = f"{{{XML_NS}}}lang"
    for el in root.iter():
        lang = el.get("lang") if isinstance(el.tag, str) else None
        if lang is not None and el.get(xml_lang) is None:
            el.set(xml_lang, lang)


def _mark_urls(root: etree._Element) -> None:
    """Links that show their own address get the class ``url`` (epub.css breaks them at the
    screen's edge without inserting hyphens)."""
    for a in root.iter(f"{{{XHTML_NS}}}a"):
        href = a.get("href") or ""
        if urlsplit(href).scheme and "".join(a.itertext()).strip() in (href, unquote(href)):
            classes = (a.get("class") or "").split()
            if "url" not in classes:
                a.set("class", " ".join([*classes, "url"]))


def _check_safe(doc: Doc, root: etree._Element) -> None:
    """Raw HTML is sanitized by the readers; this refuses to package anything active."""
    for el in root.iter():
        name = _local(el)
        if name in FORBIDDEN_ELEMENTS:
            raise RuntimeError(f"{doc.file}: <{name}> must never reach the EPUB")
        for attr, value in el.attrib.items():
            local = attr.rpartition("}")[2].lower()
            if local.startswith("on"):
                raise RuntimeError(f"{doc.file}: attribute '{local}' on <{name}> is not allowed")
            if local in ("href", "src") and urlsplit(value.strip()).scheme.lower() not in (
                "", *SAFE_SCHEMES
            ):
                raise RuntimeError(f"{doc.file}: unsafe URL {value!r} on <{name}>")


def _fix_images(doc: Doc, root: etree._Element, media: dict[str, str]) -> None:
    for img in root.iter(f"{{{XHTML_NS}}}img"):
        src = img.get("src") or ""
        if doc.uid == "cover":
            continue
        asset = resolve_asset_path(src)
        if asset is None or asset not in media:
            raise RuntimeError(f"{doc.file}: image '{src}' is not one of the book's assets")
        img.set("src", media[asset])
        if img.get("alt") is None:
            raise RuntimeError(f"{doc.file}: image '{src}' has no alt text")


def _link_error(doc: Doc, message: str) -> Exception:
    """A chapter's broken link is the author's to fix; anywhere else it is a bug."""
    if doc.source:
        return CxbookError.single(SourceLocation(doc.source), message, "epub.link")
    return RuntimeError(f"{doc.file}: {message}")


@dataclass(frozen=True)
class _Links:
    """What same-book links resolve against: id -> document, and the documents' files.
    Chapters hold their internal links as ``#<id>`` (ids are unique across the book; see
    transforms/normalize.py), checked before rendering; here each gets its document."""

    ids: dict[str, str]
    files: set[str]

    def resolve(self, doc: Doc, href: str, own: set[str]) -> str | None:
        """The href a link gets in the EPUB (None: it stays as written); raises for a link
        that points at nothing in the book."""
        parts = urlsplit(href)
        if parts.scheme:
            return None
        frag = unquote(parts.fragment)
        path = unquote(parts.path)
        if not path:
            if frag in own:
                return None
            if frag in self.ids:
                return f"{self.ids[frag]}#{parts.fragment}"
            raise _link_error(doc, f"link '{href}' points at nothing in the book; link to a "
                              "heading's anchor or to another chapter's .md file")
        if path in self.files and (not frag or self.ids.get(frag) == path):
            return None
        raise _link_error(doc, f"link '{href}' points at a file outside the book; use a "
                          "full https:// address")


def _fix_links(doc: Doc, root: etree._Element, links: _Links) -> None:
    """Same-book links point at the document that holds their target."""
    own = {el.get("id") for el in root.iter() if el.get("id")}
    for a in root.iter(f"{{{XHTML_NS}}}a"):
        href = a.get("href")
        if href is None:
            continue
        new = links.resolve(doc, href, own)
        if new is not None:
            a.set("href", new)


def _nav_body(docs: list[Doc], project: Project) -> str:
    loc = localizer(project.book)
    items = []
    by_file = {chapter_file(c): c for c in project.chapters}
    for doc in docs:
        if doc.uid in ("cover", "nav"):
            continue
        entry = f'<li><a href="{doc.file}">{escape(doc.title)}</a>'
        chapter = by_file.get(doc.file)
        if chapter is not None:
            # L10N: a chapter's number and title in the contents and in lists
            label = loc.markup("entry.numbered", "%(number)s. %(title)s",
                               number=loc.number(chapter.number),
                               title=foreign(chapter.title, chapter.language))
            entry = f'<li><a href="{doc.file}">{label}</a>'
            levels = outline_levels(chapter)
            subs = [h for h in chapter.headings if levels[h.anchor] == 2]
            if subs:
                entry += "\n<ol>\n" + "".join(
                    f'<li><a href="{doc.file}#{escape(h.anchor)}">{escape(h.text)}</a></li>\n'
                    for h in subs
                ) + "</ol>\n"
        items.append(entry + "</li>\n")
    # L10N: the EPUB landmark that leads to the first chapter
    start = loc.pgettext("landmarks.start", "Start of content")
    marks = "".join(
        f'<li><a epub:type="{d.landmark}" href="{d.file}">'
        f'{escape(start if d.landmark == "bodymatter" else d.title)}</a></li>\n'
        for d in docs if d.landmark
    )
    landmarks = escape(loc.pgettext("landmarks.title", "Landmarks"))
    return (
        '<nav epub:type="toc" id="toc" role="doc-toc" aria-labelledby="toc-h">\n'
        f'<h1 id="toc-h">{escape(loc.pgettext("contents.title", "Contents"))}</h1>\n'
        f'<ol class="toc">\n{"".join(items)}</ol>\n</nav>\n'
        f'<nav epub:type="landmarks" id="landmarks" aria-label="{landmarks}" hidden="hidden">\n'
        f'<h2>{landmarks}</h2>\n<ol>\n{marks}</ol>\n</nav>\n'
    )


def _cover_body(book: Book, src: str) -> str:
    loc = localizer(book)
    title = title_with_subtitle(loc, book)
    if book.editors:
        alt = loc.pgettext("cover.alt-edited", "Cover of %(title)s, edited by %(editors)s",
                           title=title, editors=loc.names(book.editors))
    else:
        alt = loc.pgettext("cover.alt", "Cover of %(title)s", title=title)
    label = loc.pgettext("cover.label", "Cover")
    return (
        f'<section class="cover" aria-label="{escape(label)}">\n'
        f'<img class="cover-image" src="{escape(src)}" alt="{escape(alt)}" '
        'role="doc-cover" epub:type="cover"/>\n</section>\n'
    )


def _creators(eb: epub.EpubBook, project: Project) -> None:
    """The book's creators (EPUB 3.3, 5.5.3.2.2 "The DCMES creator element"): an anthology's
    content is created by its chapter authors, so each is a ``dc:creator`` with the role
    ``aut``, and the editors, who selected and compiled it, are creators with the role
    ``edt`` (MARC relator codes); someone who is both gets both roles. Editors come first,
    then the authors in chapter order, and ``display-seq`` repeats that order for reading
    systems that sort creators. (A contributor is someone with a "secondary role in the
    creation of the content", which is why chapter authors are not contributors: Calibre,
    Kindle and Kobo libraries list creators only.) No ``file-as`` is written: a sort form
    ("Martins, Flavio") cannot be derived from a name without guessing (organizations,
    particles, names written family name first), and reading systems make their own."""
    roles: dict[str, list[str]] = {}
    for editor in project.book.editors:
        roles.setdefault(editor, []).append("edt")
    for ch in project.chapters:
        for name in ch.attribution.authors:
            if "aut" not in roles.setdefault(name, []):
                roles[name].append("aut")
    for seq, (name, codes) in enumerate(roles.items(), 1):
        ident = f"creator-{seq}"
        eb.add_metadata("DC", "creator", name, {"id": ident})
        for code in codes:
            eb.add_metadata(None, "meta", code, {"refines": f"#{ident}", "property": "role",
                                                 "scheme": "marc:relators"})
        eb.add_metadata(None, "meta", str(seq), {"refines": f"#{ident}",
                                                 "property": "display-seq"})


def _metadata(eb: epub.EpubBook, project: Project) -> None:
    """Dublin Core, contributors, sources and accessibility metadata. The cover is always
    an image with a text alternative, so the book is visual and alternativeText holds."""
    book = project.book
    eb.set_identifier(book.identifier)
    eb.set_title(book.title)
    eb.set_language(book.language)
    if book.subtitle:
        eb.add_metadata("DC", "title", book.subtitle, {"id": "subtitle"})
        eb.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle",
                                                   "property": "title-type"})
    _creators(eb, project)
    if book.publisher:
        eb.add_metadata("DC", "publisher", book.publisher)
    if book.date:
        eb.add_metadata("DC", "date", book.date)
    if book.description:
        eb.add_metadata("DC", "description", book.description)
    if book.rights:
        eb.add_metadata("DC", "rights", book.rights)
    for ch in project.chapters:
        src = ch.attribution.source
        if src.url:
            eb.add_metadata("DC", "source", src.url)
        elif not src.is_empty:
            text = ", ".join(x for x in (src.title or ch.title, src.publication, src.date) if x)
            eb.add_metadata("DC", "source", text)
    for mode in ("textual", "visual"):
        eb.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    eb.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
    features = ("alternativeText", "ARIA", "displayTransformability", "readingOrder",
                "structuralNavigation", "tableOfContents")
    for feature in features:
        eb.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    eb.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    summary = localizer(book).pgettext(
        "epub.accessibility-summary",
        "This publication meets EPUB Accessibility 1.1 and WCAG 2.1 Level AA. "
        "Every image has a text alternative; every document declares its language; "
        "headings, a table of contents and landmarks give structured navigation, and the "
        "reading order follows the printed order. Text size and fonts follow the reader's "
        "settings. Notes are linked both ways. There is no page list.")
    eb.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
    eb.add_metadata(None, "meta", CONFORMANCE, {"property": "dcterms:conformsTo"})


def _answer_key(project: Project, bundle: Bundle | None) -> str:
    """The answer key's XHTML (render/html.py), kept in ``bundle`` under what it shows: each
    chapter's file name, number, slug and title, and the course's activities (not the
    chapters' text, so editing a chapter does not render it again)."""
    if bundle is None:
        return answer_key_html(project)
    key = fingerprint("epub-answer-key", tuple((c.stem, c.number, c.slug, c.title, c.language)
                                               for c in project.chapters),
                      project.course.activities, localizer(project.book).key)
    return bundle.fragment("epub-answer-key", key,
                           lambda: answer_key_html(project).encode("utf-8")).decode("utf-8")


def _documents(project: Project, cover_src: str, bundle: Bundle | None = None) -> list[Doc]:
    book = project.book
    loc = localizer(book)
    docs = [
        Doc("cover.xhtml", "cover", loc.pgettext("cover.label", "Cover"),
            _cover_body(book, cover_src), "cover"),
        Doc("titlepage.xhtml", "titlepage", loc.pgettext("titlepage.label", "Title page"),
            titlepage_html(book), "titlepage"),
        Doc("copyright.xhtml", "copyright", loc.pgettext("copyright.title", "Copyright"),
            copyright_html(book, project.chapters), "copyright-page"),
        Doc(NAV_FILE, "nav", loc.pgettext("contents.title", "Contents"), "", "toc"),
    ]
    activities = {a.stem: a for a in reversed(project.course.activities)}
    for i, ch in enumerate(project.chapters):
        acts = activities.get(ch.stem)
        if acts is None:
            acts = project.course.for_chapter(ch.stem)
        docs.append(Doc(chapter_file(ch), ch.anchor, ch.title, "",
                        "bodymatter" if i == 0 else None, ch.location.path, ch, acts, loc))
    key = _answer_key(project, bundle)
    if key:
        docs.append(Doc(ANSWER_KEY_FILE, "answer-key",
                        loc.pgettext("answer-key.title", "Answer key"), key, "backmatter"))
    docs.append(Doc("sources.xhtml", "sources",
                    loc.pgettext("sources.title", "Sources and permissions"),
                    sources_html(project), None if key else "backmatter"))
    return docs


@dataclass(frozen=True)
class CoverImage:
    source: str | None  # the book's cover asset when it is used as it is
    media_type: str
    data: Callable[[], bytes]  # the cover-image's bytes (waits for them when they are made)
    close: Callable[[], None] = lambda: None  # stops making them (the build failed)


def cover_image(project: Project, bundle: Bundle | None, *,
                background: bool = False) -> CoverImage:
    """The cover-image: the book's own cover when it is a PNG or JPEG, otherwise a PNG made
    from it or generated (renderers/epub_cover.py), kept in the cache under its inputs.
    With ``background``, a cover that must be made is made in a forked process while the
    documents are rendered."""
    book = project.book
    if book.cover is not None:
        asset = project.asset(book.cover)
        if asset is None:
            raise RuntimeError(f"the cover '{book.cover}' is not among the book's assets")
        if asset.media_type in RASTER_TYPES:
            return CoverImage(asset.path, asset.media_type, lambda: asset.data)

        def make() -> bytes:
            assert asset is not None
            return supplied_cover(project, asset.path, asset.media_type, asset.data).data

        key = fingerprint("epub-cover", asset.path, asset.data, project.theme)
    else:
        def make() -> bytes:
            return generated_cover(project).data

        key = fingerprint("epub-cover", book.title, book.subtitle, book.editors,
                          book.language, book.labels, project.theme)
    hit = bundle.get("epub-cover", key) if bundle is not None else None
    if hit is not None:
        return CoverImage(None, "image/png", lambda: hit)
    pending = InBackground(make) if background else None

    def data() -> bytes:
        made = pending.result() if pending is not None else make()
        if bundle is not None:
            bundle.put("epub-cover", key, made)
        return made

    return CoverImage(None, "image/png", data, pending.close if pending is not None else
                      lambda: None)


def build_epub(project: Project, when: dt.datetime, cache: BuildCache | None = None, *,
               background: bool = False) -> bytes:
    """The EPUB's bytes (the same with or without ``cache``). ``background``: a cover that
    must be made is made in a forked process meanwhile (when the build may use more than
    one process)."""
    bundle = cache.bundle("epub") if cache is not None else None
    cover = cover_image(project, bundle, background=background)
    try:
        return _package(project, when, bundle, cover)
    finally:
        cover.close()


@dataclass(frozen=True)
class Documents:
    """The EPUB's content documents, finished but not yet packaged, and what they use."""

    docs: list[Doc]  # in spine order
    contents: list[bytes]  # each document's final XHTML (UTF-8), in the same order
    media: dict[str, str]  # asset path -> its path inside the EPUB/ folder
    theme: ThemeResources  # the stylesheet (CSS_PATH) and the theme files under theme/
    cover_src: str  # the cover-image's path inside the EPUB/ folder


def render_documents(project: Project, bundle: Bundle | None,
                     cover_source: str | None) -> Documents:
    """Every content document of the EPUB as its final XHTML bytes, the documents'
    paths being relative to the package's EPUB/ folder (``chapter_file``, NAV_FILE …).
    ``cover_source``: the asset used as the cover-image as it is (CoverImage.source), or
    None for a made one (``cover.png``). Raises CxbookError for a chapter's link that
    leads nowhere (``epub.link``). Each document is kept in ``bundle`` under its inputs,
    so only documents whose inputs changed are rendered again."""
    book = project.book
    theme: ThemeResources = theme_resources(project.theme)
    taken = {n.lower() for n in ("cover.xhtml", "titlepage.xhtml", "copyright.xhtml", NAV_FILE,
                                 ANSWER_KEY_FILE, "sources.xhtml", "toc.ncx", "content.opf",
                                 "cover.png", "cover.jpg")}
    taken |= {chapter_file(c).lower() for c in project.chapters}
    taken |= {f"theme/{p}".lower() for p in theme.files} | {CSS_PATH}
    media: dict[str, str] = {}
    for asset in project.assets:
        media[asset.path] = portable_name("media/" + asset.path, taken)

    cover_src = media[cover_source] if cover_source is not None else "cover.png"

    docs = _documents(project, cover_src, bundle)
    docs[3].body = _nav_body(docs, project)
    language = book.language
    media_key = tuple(sorted(media.items()))
    for doc in docs:
        _prepare(doc, language, media, media_key, bundle)
    ids: dict[str, str] = {}
    for doc in docs:
        for ident in doc.ids:
            ids.setdefault(ident, doc.file)
    links = _Links(ids, {d.file for d in docs})
    contents = [_finish(doc, language, media, links, bundle) for doc in docs]
    return Documents(docs, contents, media, theme, cover_src)


def _package(project: Project, when: dt.datetime, bundle: Bundle | None,
             cover: CoverImage) -> bytes:
    """The documents rendered and packaged with ``cover`` as the cover-image."""
    rendered = render_documents(project, bundle, cover.source)
    docs, contents, media = rendered.docs, rendered.contents, rendered.media
    theme, cover_src = rendered.theme, rendered.cover_src
    eb = epub.EpubBook()
    # Drop ebooklib's random default identifier and its generator line; ours follow.
    eb.IDENTIFIER_ID = "pub-id"
    eb.metadata = {}
    eb.prefixes = []
    # The spine's page-progression-direction and the package's base direction
    # (EPUB 3.3, 5.4.1.2 and 5.6.1): a right-to-left book turns its pages leftwards.
    eb.set_direction(text_direction(project.book.language))
    used_media = {m for d in docs for m in d.images}
    _metadata(eb, project)

    # Package items, in manifest order.
    eb.add_item(epub.EpubItem(uid="css", file_name=CSS_PATH, media_type="text/css",
                              content=theme.css.encode("utf-8")))
    for i, (path, (media_type, data)) in enumerate(sorted(theme.files.items()), 1):
        kind = "font" if media_type.startswith("font/") else "theme-img"
        eb.add_item(epub.EpubItem(uid=f"{kind}-{i}", file_name=f"theme/{path}",
                                  media_type=media_type, content=data))
    cover_item = epub.EpubCover(uid="cover-image", file_name=cover_src)
    cover_item.media_type = cover.media_type
    cover_item.content = cover.data()
    eb.add_item(cover_item)
    eb.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    for i, asset in enumerate(project.assets, 1):
        target = media[asset.path]
        if target == cover_src or target not in used_media:
            continue
        eb.add_item(epub.EpubItem(uid=f"img-{i}", file_name=target,
                                  media_type=asset.media_type, content=asset.data))
    spine: list[epub.EpubItem] = []
    for doc, content in zip(docs, contents, strict=True):
        item = epub.EpubItem(uid=doc.uid, file_name=doc.file,
                             media_type="application/xhtml+xml", content=content)
        item.properties = ["nav"] if doc.file == NAV_FILE else []
        eb.add_item(item)
        spine.append(item)
    eb.add_item(epub.EpubNcx(uid="ncx"))
    eb.spine = spine
    eb.toc = _toc(docs, project)
    loc = localizer(project.book)
    eb.guide = [
        {"type": "cover", "href": "cover.xhtml", "title": docs[0].title},
        {"type": "title-page", "href": "titlepage.xhtml", "title": docs[1].title},
        {"type": "toc", "href": NAV_FILE, "title": docs[3].title},
        {"type": "text", "href": chapter_file(project.chapters[0]),
         "title": loc.pgettext("landmarks.start", "Start of content")},
    ]
    writer = _Writer("", eb, {"mtime": when.astimezone(dt.UTC), "raise_exceptions": True,
                              "epub3_landmark": False, "epub3_pages": False,
                              "package_direction": True,
                              "play_order": {"enabled": True, "start_from": 1}})
    writer.process()
    writer.write()
    entries = writer.entries
    names = [n for n, _ in entries]
    if len(set(names)) != len(names) or names[0] != "mimetype":
        raise RuntimeError(f"unexpected EPUB entries from ebooklib: {names}")
    memo = bundle.deflate_memo() if bundle is not None else None
    data = reproducible_zip(entries, when, first=["mimetype", "META-INF/container.xml"],
                            stored=["mimetype"], memo=memo)
    if bundle is not None and memo is not None:
        bundle.keep_deflate(memo)
        bundle.save()
    return data


def _prepare(doc: Doc, language: str, media: dict[str, str],
             media_key: tuple[tuple[str, str], ...], cache: Bundle | None) -> None:
    """First pass over a document: parse it, fix its headings and images, and note its ids,
    links and images (kept in the cache, so an unchanged document is not parsed again)."""
    if cache is not None:
        if doc.chapter is not None:
            assert doc.loc is not None
            doc.key = fingerprint("epub-doc", language, doc.file, doc.uid, doc.title,
                                  doc.source, media_key, doc.chapter, doc.activities,
                                  doc.loc.key)
        else:
            doc.key = fingerprint("epub-doc", language, doc.file, doc.uid, doc.title,
                                  doc.source, media_key, doc.body)
        hit = cache.load("epub-doc", doc.key)
        if isinstance(hit, tuple) and len(hit) == 3:
            doc.ids, doc.hrefs, doc.images = hit
            return
    root = _tree(doc, language, media)
    doc.tree = root
    doc.ids = tuple(dict.fromkeys(i for i in (el.get("id") for el in root.iter()) if i))
    doc.hrefs = tuple(h for h in (a.get("href") for a in root.iter(f"{{{XHTML_NS}}}a"))
                      if h is not None)
    doc.images = tuple(m for m in (i.get("src") for i in root.iter(f"{{{XHTML_NS}}}img"))
                       if m)
    if cache is not None:
        cache.store("epub-doc", doc.key, (doc.ids, doc.hrefs, doc.images))


def _tree(doc: Doc, language: str, media: dict[str, str]) -> etree._Element:
    root = _parse(doc, language)
    if doc.chapter is not None:
        _fix_headings(root, outline_levels(doc.chapter))
    _add_semantics(root)
    _mirror_lang(root)
    _mark_urls(root)
    _fix_images(doc, root, media)
    return root


def _finish(doc: Doc, language: str, media: dict[str, str], links: _Links,
            cache: Bundle | None) -> bytes:
    """The document's final bytes: links resolved, checked, serialized. Cached under its
    inputs' key and where each of its links leads."""
    own = set(doc.ids)
    resolved = tuple(links.resolve(doc, href, own) for href in doc.hrefs)

    def make() -> bytes:
        root = doc.tree if doc.tree is not None else _tree(doc, language, media)
        _fix_links(doc, root, links)
        _check_safe(doc, root)
        return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True,
                                    doctype="<!DOCTYPE html>"))

    if cache is None:
        return make()
    return cache.fragment("epub-xhtml", fingerprint("epub-xhtml", doc.key, resolved), make)


class _Writer(epub.EpubWriter):  # type: ignore[misc]
    """ebooklib's writer, adding the package language (xml:lang) to the OPF root, and
    collecting the entries it writes (re-packed by reproducible_zip) instead of a zip."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.entries: list[tuple[str, bytes]] = []

    def _write_opf_file(self, root: etree._Element) -> None:
        root.set(f"{{{XML_NS}}}lang", self.book.language)
        super()._write_opf_file(root)

    def write(self) -> None:
        self.out = self
        self.writestr("mimetype", "application/epub+zip")
        self._write_container()
        self._write_opf()
        self._write_items()

    def writestr(self, name: str, data: str | bytes, compress_type: int | None = None) -> None:
        """What ebooklib hands its zip file."""
        self.entries.append((name, data.encode("utf-8") if isinstance(data, str) else data))


def _toc(docs: list[Doc], project: Project) -> list[object]:
    """ebooklib's table of contents (used for the NCX), matching the nav document."""
    toc: list[object] = []
    loc = localizer(project.book)
    by_file = {chapter_file(c): c for c in project.chapters}
    for doc in docs:
        if doc.uid in ("cover", "nav"):
            continue
        chapter = by_file.get(doc.file)
        if chapter is None:
            toc.append(epub.Link(doc.file, doc.title, f"nav-{doc.uid}"))
            continue
        label = loc.pgettext("entry.numbered", "%(number)s. %(title)s",
                             number=loc.number(chapter.number), title=chapter.title)
        levels = outline_levels(chapter)
        subs = [epub.Link(f"{doc.file}#{h.anchor}", h.text, f"nav-{h.anchor}")
                for h in chapter.headings if levels[h.anchor] == 2]
        if subs:
            toc.append((epub.Section(label, doc.file), subs))
        else:
            toc.append(epub.Link(doc.file, label, f"nav-{doc.uid}"))
    return toc
