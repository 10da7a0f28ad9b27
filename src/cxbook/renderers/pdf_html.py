"""The HTML documents behind the three PDF editions (reader, workbook, facilitator guide).

Every piece of content comes from the shared XHTML rendering (render/html.py); this module
only arranges it for print: footnotes move to their reference (the print stylesheet floats
them to the page foot) and chapter fragments are re-serialized as HTML so that WeasyPrint's
HTML parser reads them exactly.

An edition is paginated in parts (renderers/pdf.py): the main matter is a list of sections
that each open on a right-hand page (session plan, chapters, answer key, sources), laid out
in runs by ``part_html``; the front matter (``front_html``) comes last, when the page
numbers its contents lists are known. Page numbers that a section prints about another one
(the answer key's page) are written as ``PAGE_REF_PLACEHOLDER`` and filled in after layout.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup, escape

from ..i18n import Localizer, localizer
from ..model import Book, Chapter, ChapterActivities, Project
from ..render.html import (
    activities_html,
    answer_key_html,
    attribution_html,
    bio_html,
    chapter_header_html,
    chapter_html,
    copyright_html,
    environment,
    own_language,
    render_template,
    sources_html,
    title_with_subtitle,
    titlepage_html,
)
from .pdf_breaks import add_break_opportunities

Edition = Literal["reader", "workbook", "facilitator"]

# Stands in for a page number until pages are known: as wide as any real one, so the line
# it ends keeps its breaks when the number is filled in.
PAGE_REF_PLACEHOLDER = "8888"



def edition_label(edition: Edition, loc: Localizer) -> str:
    """The edition's name on its cover and in its title; empty for the reader edition."""
    if edition == "workbook":
        return loc.pgettext("edition.workbook", "Participant workbook")
    if edition == "facilitator":
        return loc.pgettext("edition.facilitator", "Facilitator guide")
    return ""


# Block elements inside a footnote body become styled spans, so the note can sit inline
# at its reference (inside a paragraph) and still float to the foot of the page.
_NOTE_BLOCKS = frozenset({"p", "div", "blockquote", "ul", "ol", "li", "pre", "dl", "dt",
                          "dd", "figure", "figcaption", "table", "h1", "h2", "h3", "h4",
                          "h5", "h6", "section", "aside", "hr"})


@dataclass(frozen=True)
class TocEntry:
    target: str  # id of the element the entry points at
    title: str
    number: int | None = None
    authors: tuple[str, ...] = ()
    kind: str = "chapter"
    language: str | None = None  # a chapter's own language, when not the book's


def _parse_fragment(fragment: str) -> etree._Element:
    """A <div> holding the fragment. XHTML is read as XML (so ``<td/>`` stays empty);
    anything that is not well-formed XML is read as HTML."""
    try:
        return etree.fromstring(f"<div>{fragment}</div>", etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return lxml_html.fragment_fromstring(fragment, create_parent="div")


def _serialize_children(container: etree._Element) -> str:
    out = [Markup.escape(container.text or "")]
    for child in container:
        out.append(etree.tostring(child, method="html", encoding="unicode", with_tail=True))
    return "".join(out)


def _note_span(anchor: str, note_html: str) -> etree._Element:
    note = _parse_fragment(note_html)
    for element in list(note.iter()):
        if element is note or not isinstance(element.tag, str):
            continue
        if element.tag in _NOTE_BLOCKS:
            element.set("class", " ".join(filter(None, (f"fn-{element.tag}",
                                                        element.get("class")))))
            element.tag = "span"
    span = etree.Element("span", {"class": "fn", "id": anchor, "role": "doc-footnote"})
    span.text = (note.text or "").lstrip() or None
    for child in list(note):
        span.append(child)
    if len(span):
        span[-1].tail = (span[-1].tail or "").rstrip() or None
    elif span.text:
        span.text = span.text.rstrip()
    return span


def print_body(chapter: Chapter) -> str:
    """The chapter's body as HTML, each footnote placed at its first reference."""
    container = _parse_fragment(chapter.body_html)
    notes = {n.anchor: n for n in chapter.footnotes}
    placed: set[str] = set()
    for link in list(container.iter("a")):
        href = link.get("href") or ""
        anchor = href[1:]
        if not href.startswith("#") or anchor not in notes or anchor in placed or \
                "noteref" not in (link.get("class") or "").split():
            continue  # a link the author wrote to a note leaves the note where it is
        target = link
        parent = link.getparent()
        if (parent is not None and parent.tag == "sup" and len(parent) == 1
                and not (parent.text or "").strip() and not (link.tail or "").strip()):
            target = parent
        span = _note_span(anchor, notes[anchor].html)
        span.tail = target.tail
        holder = target.getparent()
        if holder is None:
            raise ValueError(f"footnote reference {anchor} has no parent element")
        holder.replace(target, span)
        placed.add(anchor)
    missing = [a for a in notes if a not in placed]
    if missing:
        raise ValueError(f"chapter {chapter.stem}: footnotes without a reference: {missing}")
    for cell in container.iter("td", "th"):
        _mark_long_words(cell)
    return _serialize_children(container)


# A word this long (a URL, a compound, an identifier) may be broken anywhere in a table cell
# when it cannot fit its column; shorter words stay whole (print.css: .cx-long-word).
LONG_WORD_RE = re.compile(r"\S{25,}")


def _mark_long_words(cell: etree._Element) -> None:
    """Wrap each long word of a table cell's text in ``<span class="cx-long-word">``.

    Table columns are at least as wide as their widest unbreakable word, so one long word
    would widen its column past the page; breaking anywhere in every cell instead squeezes
    narrow columns to a letter a line and costs WeasyPrint minutes on long cells. Only the
    long words get ``overflow-wrap: anywhere``."""
    targets: list[tuple[etree._Element, bool]] = []  # (element, its tail rather than text)
    for element in cell.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text and LONG_WORD_RE.search(element.text):
            targets.append((element, False))
        if element is not cell and element.tail and LONG_WORD_RE.search(element.tail):
            targets.append((element, True))
    for element, is_tail in targets:
        text = (element.tail if is_tail else element.text) or ""
        pieces = LONG_WORD_RE.split(text)
        words = LONG_WORD_RE.findall(text)
        spans = []
        for word, after in zip(words, pieces[1:], strict=True):
            span = etree.Element("span", {"class": "cx-long-word"})
            span.text = word
            span.tail = after or None
            spans.append(span)
        if is_tail:
            element.tail = pieces[0] or None
            parent = element.getparent()
            assert parent is not None
            at = parent.index(element) + 1
            for offset, span in enumerate(spans):
                parent.insert(at + offset, span)
        else:
            element.text = pieces[0] or None
            for offset, span in enumerate(spans):
                element.insert(offset, span)


def running_head(title: str, limit: int = 60) -> str:
    """The chapter title shortened at a word boundary to fit one line of running head."""
    if len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—–-")
    return cut + "…"


def _with_running_head(html: str, chapter: Chapter, loc: Localizer) -> str:
    header = chapter_header_html(chapter, loc)
    marked = header.replace(
        f'<h1 id="{chapter.anchor}" ',
        f'<h1 id="{chapter.anchor}" data-running-head="{escape(running_head(chapter.title))}" ',
        1)
    if header not in html or marked == header:
        raise ValueError(f"chapter {chapter.stem}: unexpected chapter heading markup")
    return html.replace(header, marked, 1)


_WRITE_IN_RE = re.compile(
    r'<(div|span) class="write-in lines-(\d+)" aria-hidden="true"></\1>')


def _ruled(match: re.Match[str]) -> str:
    """Write-in space as one ruled line per element, so that it can break across pages."""
    tag, count = match.group(1), int(match.group(2))
    rules = '<span class="rule"></span>' * count
    return f'<{tag} class="write-in lines-{count}" aria-hidden="true">{rules}</{tag}>'


def _print_chapter(chapter: Chapter, activities: ChapterActivities | None,
                   edition: Edition, loc: Localizer, *, full_text: bool = False) -> str:
    """A chapter of an edition. ``full_text``: the workbook gives the chapter's whole text
    (course.yaml ``editions: {workbook: full-text}``) instead of its opening."""
    if edition == "facilitator" or (edition == "workbook" and not full_text):
        html = chapter_html(chapter, activities, edition, loc)
        if edition == "workbook":
            html = _WRITE_IN_RE.sub(_ruled, html)
        return _with_running_head(html, chapter, loc)
    # The book chapter from the shared pieces, with the print body (footnotes at their
    # references) in place of the body and its end-of-chapter notes list.
    parts = [
        f'<section class="chapter" id="{chapter.anchor}-section" '
        f'aria-labelledby="{chapter.anchor}">\n',
        chapter_header_html(chapter, loc),
        attribution_html(chapter, loc),
        f'<div class="chapter-body"{own_language(chapter)}>\n{print_body(chapter)}</div>\n',
        bio_html(chapter, loc),
    ]
    if activities is not None and edition == "workbook":
        parts.append(_WRITE_IN_RE.sub(_ruled, activities_html(chapter, activities,
                                                              "workbook", loc)))
    elif activities is not None:
        parts.append(activities_html(chapter, activities, "book", loc,
                                     page_ref=PAGE_REF_PLACEHOLDER))
    parts.append("</section>\n")
    return _with_running_head("".join(parts), chapter, loc)


def authors(project: Project) -> list[str]:
    """Editors when the book names them, otherwise every chapter author in order."""
    if project.book.editors:
        return list(project.book.editors)
    seen: list[str] = []
    for ch in project.chapters:
        for name in ch.attribution.authors:
            if name not in seen:
                seen.append(name)
    return seen


def pdf_title(book: Book, edition: Edition) -> str:
    loc = localizer(book)
    label = edition_label(edition, loc)
    if label:
        # L10N: the PDF's title: the book's title and the edition's name
        return loc.pgettext("edition.document-title", "%(title)s — %(edition)s",
                            title=book.title, edition=label)
    return title_with_subtitle(loc, book)


def keywords(project: Project, edition: Edition) -> list[str]:
    words = [ch.title for ch in project.chapters]
    if edition != "reader":
        loc = localizer(project.book)
        # L10N: a keyword in the PDF metadata of the workbook and the facilitator guide
        words += [loc.pgettext("edition.keyword", "training"), edition_label(edition, loc)]
    return words


def w3c_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _toc_entries(project: Project, edition: Edition, *, has_key: bool) -> list[TocEntry]:
    loc = localizer(project.book)
    entries: list[TocEntry] = []
    if edition == "facilitator":
        entries.append(TocEntry("session-plan-h", loc.pgettext("plan.title", "Session plan"),
                                kind="front"))
    for ch in project.chapters:
        entries.append(TocEntry(ch.anchor, ch.title, ch.number, ch.attribution.authors,
                                "chapter", ch.language))
    if has_key and edition != "workbook":
        entries.append(TocEntry("answer-key-h", loc.pgettext("answer-key.title", "Answer key"),
                                kind="back"))
    entries.append(TocEntry("sources-h", loc.pgettext("sources.title", "Sources and permissions"),
                            kind="back"))
    return entries


def _session_plan(project: Project) -> str:
    items = [(ch, project.course.for_chapter(ch.stem)) for ch in project.chapters]
    return render_template(
        "pdf_session_plan.html", localizer(project.book),
        items=items, course=project.course,
        total_discussion=sum(a.discussion_minutes for _, a in items),
        total_exercises_minutes=sum(a.exercise_minutes for _, a in items),
        total_quiz=sum(a.quiz_minutes for _, a in items),
        total_exercises=sum(len(a.exercises) for _, a in items),
        total_questions=sum(len(a.quiz) for _, a in items),
        untimed=any(not e.minutes for _, a in items for e in a.exercises),
    )


def main_sections(project: Project, edition: Edition, *, sources: bool = True) -> list[str]:
    """The main matter as sections that each open on a right-hand page, in reading order:
    the session plan (facilitator guide), the chapters, the answer key, the sources
    (unless ``sources`` is False)."""
    loc = localizer(project.book)
    sections: list[str] = []
    if edition == "facilitator":
        sections.append(_session_plan(project))
    sections.extend(_print_chapter(ch, project.course.for_chapter(ch.stem), edition, loc,
                                   full_text=project.course.workbook_text)
                    for ch in project.chapters)
    if edition != "workbook":
        key = answer_key_html(project, page_ref=PAGE_REF_PLACEHOLDER)
        if key:
            sections.append(key)
    if sources:
        sections.append(sources_html(project))
    return sections


_RIGHT_HAND_OPENING_RE = re.compile(r'\s*<section class="(chapter|session-plan)[ "]')


def opens_right(section: str) -> bool:
    """Whether a main-matter section (from ``main_sections``) opens on a right-hand page:
    the session plan and the chapters do; the answer key and the sources do not."""
    return _RIGHT_HAND_OPENING_RE.match(section) is not None


def _has_answer_key(project: Project, edition: Edition) -> bool:
    return edition != "workbook" and any(
        project.course.for_chapter(ch.stem).quiz for ch in project.chapters)


def toc_entries(project: Project, edition: Edition) -> list[TocEntry]:
    return _toc_entries(project, edition, has_key=_has_answer_key(project, edition))


def _document(project: Project, edition: Edition, source_date: dt.datetime, *,
              front: bool, **parts: object) -> str:
    """The HTML document of a part. Only the front matter's carries the authors and the
    keywords (every chapter title): the joined PDF keeps the front matter's metadata, and
    the main-matter parts, cached by their HTML, stay the same when another chapter's
    title changes."""
    book = project.book
    loc = localizer(book)
    return environment().get_template("pdf_document.html").render(
        **loc.template_context(),
        book=book,
        edition=edition,
        edition_label=edition_label(edition, loc),
        title=pdf_title(book, edition),
        authors=authors(project) if front else [],
        keywords=keywords(project, edition) if front else [],
        date=w3c_date(source_date),
        front=front,
        **parts,
    )


def front_html(project: Project, edition: Edition, source_date: dt.datetime,
               pages: dict[str, str]) -> str:
    """Cover, title page, rights page and contents; ``pages`` maps each contents entry's
    target id to the page number printed after it."""
    book = project.book
    cover_image = None
    if edition == "reader" and book.cover and project.asset(book.cover) is not None:
        cover_image = book.cover
    return _document(
        project, edition, source_date,
        front=True,
        cover_image=cover_image,
        titlepage=Markup(titlepage_html(book)),
        rights=Markup(copyright_html(book, project.chapters)),
        toc=toc_entries(project, edition),
        pages=pages,
    )


def part_html(project: Project, edition: Edition, source_date: dt.datetime,
              sections: list[str], *, first: bool) -> str:
    """A run of main-matter sections as one document; ``first`` marks the run that opens
    the main matter (page 1)."""
    return _document(project, edition, source_date, front=False, first_part=first,
                     sections=Markup(add_break_opportunities("".join(sections))))
