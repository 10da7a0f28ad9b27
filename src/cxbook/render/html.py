"""Shared XHTML rendering used by every renderer: chapter pages, attribution, activities,
answer key, sources page, title and copyright pages.

Output is well-formed XHTML fragments (valid in EPUB XHTML and in HTML5 pages alike).
Renderers wrap them in their own document shell.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import jinja2
from markupsafe import Markup, escape

from ..i18n import Isolated, Localizer, Text, foreign, localizer, text_direction
from ..model import (
    Book,
    Chapter,
    ChapterActivities,
    ChoiceQuestion,
    MatchingQuestion,
    OrderingQuestion,
    Project,
    Source,
)
from ..scoring import NUMBER_LENGTH

Mode = Literal["book", "workbook", "facilitator", "course"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def write_lines(minutes: int | None) -> int:
    """Ruled write-in lines for an exercise in the workbook: about one line per two minutes,
    at least 4 and at most 18."""
    return max(4, min(18, (minutes or 8) // 2))


@cache
def environment() -> jinja2.Environment:
    """The templates' environment. Labels come from the book's catalog through the
    ``pgettext``/``npgettext`` (and Jinja's ``{% trans %}``) each render is given (see
    i18n.Localizer.template_context); no template holds a word of its own."""
    folder = str(resources.files("cxbook") / "templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    # Messages are %-formatted with keyword arguments, whether or not they have any.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(letters=LETTERS, write_lines=write_lines, kind_label=kind_label,
                       first_published=first_published, title_with_subtitle=title_with_subtitle,
                       answer_choices=answer_choices, chapter_title=chapter_title,
                       own_language=own_language, foreign=foreign,
                       page_ref_span=page_ref_span, number_length=NUMBER_LENGTH,
                       matching_pairs=matching_pairs, ordering_entries=ordering_entries)
    env.filters["page_tail"] = page_tail
    return env


def render_template(template: str, loc: Localizer, **context: object) -> str:
    """A template rendered with the book's labels and formats."""
    return environment().get_template(template).render(
        **loc.template_context(), **context).strip() + "\n"


def page_ref_span(target: str, stand_in: str) -> Isolated:
    """The page number of ``target`` in print, as text that stands in for it until pages
    are known (see renderers/pdf_layout.py); not isolated, so what follows it in its label
    can join it (page_tail)."""
    return Isolated(Markup('<span class="cx-page-ref" data-cx-page-ref="%s">%s</span>')
                    % (target, stand_in))


def page_tail(label: Markup) -> Markup:
    """A label with a page reference, the text after the reference moved into it (``page
    8888.`` → the span holds ``8888.``): the stand-in is wider than the real number, and
    text of its own after it would keep the stand-in's place, leaving a gap. Left as it is
    when markup follows the reference."""
    text = str(label)
    at = text.find('class="cx-page-ref"')
    end = text.find("</span>", at)
    if at < 0 or end < 0 or "<" in text[end + len("</span>"):]:
        return label
    return Text(text[:end] + text[end + len("</span>"):] + "</span>")


def chapter_title(chapter: Chapter) -> str | Isolated:
    """A chapter's title to put into a label: with the chapter's own language marked when
    it has one (see i18n.foreign)."""
    return foreign(chapter.title, chapter.language)


def own_language(chapter: Chapter) -> Markup:
    """``lang`` and ``dir`` attributes (with a leading space) for an element holding the
    chapter's own text, when the chapter is in another language than the book; empty
    otherwise."""
    if not chapter.language:
        return Markup("")
    return Markup(' lang="%s" dir="%s"') % (chapter.language,
                                            text_direction(chapter.language))


def kind_label(loc: Localizer, kind: str) -> str:
    """An exercise kind (EXERCISE_KINDS) as its label."""
    labels = {
        "reflection": loc.pgettext("exercise-kind.reflection", "Reflection"),
        "role-play": loc.pgettext("exercise-kind.role-play", "Role-play"),
        "scenario": loc.pgettext("exercise-kind.scenario", "Scenario"),
        "action-plan": loc.pgettext("exercise-kind.action-plan", "Action plan"),
        "group": loc.pgettext("exercise-kind.group", "Group exercise"),
    }
    return labels[kind]


def answer_choices(loc: Localizer, item: ChoiceQuestion) -> Text:
    """A choice question's right choices for the answer key: "a) Action; c) Luck"."""
    # L10N: a right choice in the answer key: its letter (a, b, c …) and its text
    return loc.series(loc.markup("answer-key.choice", "%(letter)s) %(choice)s",
                                 letter=LETTERS[index], choice=item.choices[index].text)
                      for index in item.correct)


def matching_pairs(loc: Localizer, item: MatchingQuestion) -> list[Text]:
    """A matching question's pairs for the answer key: "1 → b) A target"."""
    return [loc.markup("answer-key.match", "%(number)s → %(letter)s) %(choice)s",
                       number=loc.number(n), letter=LETTERS[item.pairs[n - 1]],
                       choice=target.text)
            for n, (_, target) in enumerate(item.pair_choices, 1)]


def ordering_entries(loc: Localizer, item: OrderingQuestion) -> Text:
    """An ordering question's entries in the right order, by the letters they are printed
    with: "b) First, a) Then"."""
    return loc.enumeration(
        loc.markup("answer-key.choice", "%(letter)s) %(choice)s",
                   letter=LETTERS[item.presented.index(entry)], choice=entry.text)
        for entry in item.entries)


def title_with_subtitle(loc: Localizer, book: Book) -> str:
    """The book's title with its subtitle, as one line of text."""
    if not book.subtitle:
        return book.title
    # L10N: the book's title and subtitle on one line (metadata, cover description)
    return loc.pgettext("book.title-with-subtitle", "%(title)s: %(subtitle)s",
                        title=book.title, subtitle=book.subtitle)


def first_published(loc: Localizer, source: Source, *, link: bool = True,
                    only_publication: bool = False) -> Markup:
    """Where and when a chapter first appeared, as one sentence: "First published as
    “Title” in <cite>Publication</cite>, May 1, 2013." The original title (or else the
    publication) links to the address when ``link``; an address alone is shown. With
    ``only_publication``, just the publication and the date (the sources page gives the
    original title and the address on lines of their own)."""
    if only_publication:
        source = Source(publication=source.publication, date=source.date)
    values: dict[str, object] = {}
    if source.title:
        values["title"] = (Markup('<a href="%s">%s</a>') % (source.url, source.title)
                           if source.url and link else source.title)
    if source.publication:
        cite = Markup("<cite>%s</cite>") % source.publication
        values["publication"] = (Markup('<a href="%s">%s</a>') % (source.url, cite)
                                 if source.url and link and not source.title else cite)
    elif source.url and not source.title:
        values["url"] = (Markup('<a class="url" href="%s">%s</a>') % (source.url, source.url)
                         if link else source.url)
    if source.date:
        values["date"] = Markup('<time datetime="%s">%s</time>') % (
            source.date, loc.date(source.date))
    key = tuple(sorted(values))
    if key == ("date", "publication", "title"):
        return loc.markup("source.title-publication-date",
                          "First published as “%(title)s” in %(publication)s, %(date)s.",
                          **values)
    if key == ("publication", "title"):
        return loc.markup("source.title-publication",
                          "First published as “%(title)s” in %(publication)s.", **values)
    if key == ("date", "title"):
        return loc.markup("source.title-date", "First published as “%(title)s”, %(date)s.",
                          **values)
    if key == ("title",):
        return loc.markup("source.title", "First published as “%(title)s”.", **values)
    if key == ("date", "publication"):
        return loc.markup("source.publication-date",
                          "First published in %(publication)s, %(date)s.", **values)
    if key == ("publication",):
        return loc.markup("source.publication", "First published in %(publication)s.",
                          **values)
    if key == ("date", "url"):
        return loc.markup("source.url-date", "First published at %(url)s, %(date)s.",
                          **values)
    if key == ("url",):
        return loc.markup("source.url", "First published at %(url)s.", **values)
    if key == ("date",):
        return loc.markup("source.date", "First published %(date)s.", **values)
    return Markup("")


def attribution_html(chapter: Chapter, loc: Localizer) -> str:
    return render_template("attribution.html", loc, ch=chapter)


def bio_html(chapter: Chapter, loc: Localizer) -> str:
    return render_template("bio.html", loc, ch=chapter) if chapter.attribution.author_bio \
        else ""


def activities_html(
    chapter: Chapter, activities: ChapterActivities, mode: Mode, loc: Localizer, *,
    answer_key_href: str = "", page_ref: str | None = None,
) -> str:
    """The chapter's activities. ``page_ref`` (print only) is the text standing in for the
    answer key's page number, which the PDF renderer fills in once pages are known."""
    if activities.is_empty:
        return ""
    return render_template("activities.html", loc, ch=chapter, acts=activities, mode=mode,
                           answer_key_href=answer_key_href, page_ref=page_ref)


def footnotes_html(chapter: Chapter, loc: Localizer, *, epub: bool = False) -> str:
    """Notes at the chapter's end, each with a back link to its reference."""
    if not chapter.footnotes:
        return ""
    return render_template("footnotes.html", loc, ch=chapter, notes=chapter.footnotes,
                           epub=epub)


def chapter_header_html(chapter: Chapter, loc: Localizer, *, number_label: bool = True) -> str:
    label = ""
    if number_label:
        text = loc.markup("chapter.number", "Chapter %(number)s",
                          number=loc.number(chapter.number))
        label = f'<p class="chapter-number">{text}</p>\n'
    title = escape(chapter.title)
    return (f'<header class="chapter-head">\n{label}<h1 id="{chapter.anchor}" '
            f'class="chapter-title"{own_language(chapter)}>{title}</h1>\n</header>\n')


def chapter_html(
    chapter: Chapter, activities: ChapterActivities | None, mode: Mode, loc: Localizer, *,
    answer_key_href: str = "", epub: bool = False,
) -> str:
    """The whole chapter as one <section>: head, attribution, text, notes, bio, activities."""
    parts = [
        f'<section class="chapter" id="{chapter.anchor}-section" '
        f'aria-labelledby="{chapter.anchor}">\n',
        chapter_header_html(chapter, loc),
        attribution_html(chapter, loc),
    ]
    if mode != "workbook" and mode != "facilitator":
        parts.append(f'<div class="chapter-body"{own_language(chapter)}>\n'
                     f'{chapter.body_html}</div>\n')
        parts.append(footnotes_html(chapter, loc, epub=epub))
        parts.append(bio_html(chapter, loc))
    elif mode == "workbook" and chapter.summary:
        parts.append(f'<p class="summary"{own_language(chapter)}>{chapter.summary_html}'
                     '</p>\n')
    if activities is not None:
        parts.append(activities_html(chapter, activities, mode, loc,
                                     answer_key_href=answer_key_href))
    parts.append("</section>\n")
    return "".join(parts)


def answer_key_html(project: Project, *, page_ref: str | None = None) -> str:
    """The answer key: every chapter's quiz answers, each linking back to its question
    (``#<quiz item id>``). ``page_ref`` (print only) stands in for the question's page
    number, which the PDF renderer fills in once pages are known. Empty without quiz."""
    items = [(ch, project.course.for_chapter(ch.stem)) for ch in project.chapters]
    if not any(acts.quiz for _, acts in items):
        return ""
    return render_template("answer_key.html", localizer(project.book), items=items,
                           page_ref=page_ref)


def numbers_phrase(numbers: list[int], loc: Localizer) -> str:
    """Chapter numbers as words: "3", "2 and 4", "1, 2, and 4"; runs of three or more as
    ranges ("2–5"); in the book's language."""
    return loc.numbers(numbers)


def permission_lines(chapters: tuple[Chapter, ...], loc: Localizer) -> list[str]:
    """What the chapters actually carry, for the copyright page: which are republished with
    a notice, which without one, which do not name where they first appeared, and which were
    written for the book (front matter ``original: true``)."""
    republished = [c for c in chapters if not c.attribution.original]
    original = [c.number for c in chapters if c.attribution.original]
    if not republished:
        return [loc.pgettext("permissions.all-original",
                             "Every chapter was written for this book.")]
    with_notice = [c.number for c in republished if c.attribution.notice]
    without_notice = [c.number for c in republished if not c.attribution.notice]
    no_source = [c.number for c in republished if not c.attribution.names_source]
    lines = []
    if not without_notice:
        lines.append(
            loc.pgettext("permissions.every-notice",
                         "Every chapter carries the republishing notice that came with it.")
            if not original else
            loc.pgettext("permissions.every-republished-notice",
                         "Every republished chapter carries the republishing notice that "
                         "came with it."))
    elif not with_notice:
        lines.append(
            loc.pgettext("permissions.no-notice", "No chapter carries a republishing notice.")
            if not original else
            loc.pgettext("permissions.no-republished-notice",
                         "No republished chapter carries a republishing notice."))
    else:
        lines.append(loc.pgettext(
            "permissions.some-notice", "%(with_notice)s; %(without_notice)s",
            with_notice=loc.npgettext(
                "permissions.chapters-with-notice",
                "Chapter %(chapters)s carries the republishing notice that came with it",
                "Chapters %(chapters)s carry the republishing notice that came with them",
                len(with_notice), chapters=loc.numbers(with_notice)),
            without_notice=loc.npgettext(
                "permissions.chapters-without-notice",
                "chapter %(chapters)s carries none.", "chapters %(chapters)s carry none.",
                len(without_notice), chapters=loc.numbers(without_notice))))
    if no_source:
        lines.append(loc.npgettext(
            "permissions.chapters-without-source",
            "Chapter %(chapters)s does not name where it first appeared.",
            "Chapters %(chapters)s do not name where they first appeared.",
            len(no_source), chapters=loc.numbers(no_source)))
    else:
        lines.append(
            loc.pgettext("permissions.every-source",
                         "Every chapter names where it first appeared.")
            if not original else
            loc.pgettext("permissions.every-republished-source",
                         "Every republished chapter names where it first appeared."))
    if original:
        lines.append(loc.npgettext(
            "permissions.chapters-original", "Chapter %(chapters)s was written for this book.",
            "Chapters %(chapters)s were written for this book.", len(original),
            chapters=loc.numbers(original)))
    return lines


def sources_html(project: Project) -> str:
    return render_template("sources.html", localizer(project.book), chapters=project.chapters,
                           book=project.book,
                           any_original=any(c.attribution.original for c in project.chapters))


def titlepage_html(book: Book) -> str:
    return render_template("titlepage.html", localizer(book), book=book)


def copyright_html(book: Book, chapters: tuple[Chapter, ...]) -> str:
    """The rights page: the book's own rights text and what its chapters carry."""
    loc = localizer(book)
    return render_template("copyright.html", loc, book=book,
                           permissions=loc.sentences(permission_lines(chapters, loc)))
