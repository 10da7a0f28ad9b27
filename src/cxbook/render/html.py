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
from markupsafe import escape

from ..model import Book, Chapter, ChapterActivities, Project

Mode = Literal["book", "workbook", "facilitator", "course"]

LABELS = {
    "activities": "Activities",
    "objectives": "Learning objectives",
    "discuss": "Discuss",
    "practise": "Practise",
    "check": "Check your understanding",
}
KIND_LABELS = {
    "reflection": "Reflection",
    "role-play": "Role-play",
    "scenario": "Scenario",
    "action-plan": "Action plan",
    "group": "Group exercise",
}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def write_lines(minutes: int | None) -> int:
    """Ruled write-in lines for an exercise in the workbook: about one line per two minutes,
    at least 4 and at most 18."""
    return max(4, min(18, (minutes or 8) // 2))


@cache
def environment() -> jinja2.Environment:
    folder = str(resources.files("cxbook") / "templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
    )
    env.globals.update(labels=LABELS, kind_labels=KIND_LABELS, letters=LETTERS,
                       write_lines=write_lines)
    return env


def _render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context).strip() + "\n"


def name_list(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def attribution_html(chapter: Chapter) -> str:
    return _render("attribution.html", ch=chapter)


def bio_html(chapter: Chapter) -> str:
    return _render("bio.html", ch=chapter) if chapter.attribution.author_bio else ""


def activities_html(
    chapter: Chapter, activities: ChapterActivities, mode: Mode, *,
    answer_key_href: str = "", page_ref: str | None = None,
) -> str:
    """The chapter's activities. ``page_ref`` (print only) is the text standing in for the
    answer key's page number, which the PDF renderer fills in once pages are known."""
    if activities.is_empty:
        return ""
    return _render("activities.html", ch=chapter, acts=activities, mode=mode,
                   answer_key_href=answer_key_href, page_ref=page_ref)


def footnotes_html(chapter: Chapter, *, epub: bool = False) -> str:
    """Notes at the chapter's end, each with a back link to its reference."""
    if not chapter.footnotes:
        return ""
    return _render("footnotes.html", ch=chapter, notes=chapter.footnotes, epub=epub)


def chapter_header_html(chapter: Chapter, *, number_label: bool = True) -> str:
    label = (f'<p class="chapter-number">Chapter {chapter.number}</p>\n'
             if number_label else "")
    title = escape(chapter.title)
    return (f'<header class="chapter-head">\n{label}<h1 id="{chapter.anchor}" '
            f'class="chapter-title">{title}</h1>\n</header>\n')


def chapter_html(
    chapter: Chapter, activities: ChapterActivities | None, mode: Mode, *,
    answer_key_href: str = "", epub: bool = False,
) -> str:
    """The whole chapter as one <section>: head, attribution, text, notes, bio, activities."""
    parts = [
        f'<section class="chapter" id="{chapter.anchor}-section" '
        f'aria-labelledby="{chapter.anchor}">\n',
        chapter_header_html(chapter),
        attribution_html(chapter),
    ]
    if mode != "workbook" and mode != "facilitator":
        parts.append(f'<div class="chapter-body">\n{chapter.body_html}</div>\n')
        parts.append(footnotes_html(chapter, epub=epub))
        parts.append(bio_html(chapter))
    elif mode == "workbook" and chapter.summary:
        parts.append(f'<p class="summary">{escape(chapter.summary)}</p>\n')
    if activities is not None:
        parts.append(activities_html(chapter, activities, mode,
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
    return _render("answer_key.html", items=items, page_ref=page_ref)


def sources_html(project: Project) -> str:
    return _render("sources.html", chapters=project.chapters, book=project.book)


def titlepage_html(book: Book) -> str:
    return _render("titlepage.html", book=book, editor_line=name_list(book.editors))


def copyright_html(book: Book) -> str:
    return _render("copyright.html", book=book, editor_line=name_list(book.editors))
