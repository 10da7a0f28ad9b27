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
from ..scoring import NUMBER_LENGTH, number_text

Mode = Literal["book", "workbook", "facilitator", "course"]

LABELS = {
    "activities": "Activities",
    "objectives": "Learning objectives",
    "discuss": "Discuss",
    "practise": "Practise",
    "check": "Check your understanding",
    # quiz questions (templates/questions.html)
    "all_that_apply": "choose all that apply",
    "match_hint": "choose the match of each item",
    "match_hint_print": "write the letter of each item's match in its box",
    "order_hint": "put them in order with the Move up and Move down buttons",
    "order_hint_print": "number the boxes from 1 to %s in the right order",
    "your_answer": "Your answer",
    "choose_match": "Choose a match",
    "move_up": "Move up",
    "move_down": "Move down",
    "answer": "Answer",
    "answers": "Answers",
    "correct": "correct",
    "also_accepted": "Also accepted",
    "case_matters": "Capital letters must match.",
    "case_ignored": "Capital letters do not matter.",
    "accepted_range": "any number from %s to %s",
    "match_items": "Items",
    "match_targets": "Matches",
    "position": "%s in the order",
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
                       write_lines=write_lines, number_length=NUMBER_LENGTH)
    env.filters["number"] = number_text
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
        parts.append(f'<p class="summary">{chapter.summary_html}</p>\n')
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


def numbers_phrase(numbers: list[int]) -> str:
    """Chapter numbers as words: "3", "2 and 4", "1, 2 and 4"; runs of three or more as
    ranges ("2–5")."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}–{r[-1]}" if len(r) >= 3 else ", ".join(map(str, r)) for r in runs]
    items = ", ".join(parts).split(", ")
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _chapters(numbers: list[int], singular: str, plural: str) -> str:
    """ "Chapter 3 {singular}" or "Chapters 1, 2 and 4 {plural}"."""
    many = len(numbers) > 1 or "–" in numbers_phrase(numbers)
    return (f"Chapters {numbers_phrase(numbers)} {plural}" if many
            else f"Chapter {numbers[0]} {singular}")


def permission_lines(chapters: tuple[Chapter, ...]) -> list[str]:
    """What the chapters actually carry, for the copyright page: which are republished with
    a notice, which without one, which do not name where they first appeared, and which were
    written for the book (front matter ``original: true``)."""
    republished = [c for c in chapters if not c.attribution.original]
    original = [c.number for c in chapters if c.attribution.original]
    if not republished:
        return ["Every chapter was written for this book."]
    every = "Every chapter" if not original else "Every republished chapter"
    with_notice = [c.number for c in republished if c.attribution.notice]
    without_notice = [c.number for c in republished if not c.attribution.notice]
    no_source = [c.number for c in republished if not c.attribution.names_source]
    lines = []
    if not without_notice:
        lines.append(f"{every} carries the republishing notice that came with it.")
    elif not with_notice:
        lines.append(f"No {'chapter' if not original else 'republished chapter'} carries a "
                     "republishing notice.")
    else:
        them = "them" if len(with_notice) > 1 else "it"
        lines.append(_chapters(with_notice, "carries", "carry") + " the republishing notice "
                     f"that came with {them}; "
                     + _chapters(without_notice, "carries", "carry").lower() + " none.")
    if no_source:
        lines.append(_chapters(no_source, "does", "do") + " not name where "
                     + ("they" if len(no_source) > 1 else "it") + " first appeared.")
    else:
        lines.append(f"{every} names where it first appeared.")
    if original:
        lines.append(_chapters(original, "was", "were") + " written for this book.")
    return lines


def sources_html(project: Project) -> str:
    return _render("sources.html", chapters=project.chapters, book=project.book,
                   any_original=any(c.attribution.original for c in project.chapters))


def titlepage_html(book: Book) -> str:
    return _render("titlepage.html", book=book, editor_line=name_list(book.editors))


def copyright_html(book: Book, chapters: tuple[Chapter, ...]) -> str:
    """The rights page: the book's own rights text and what its chapters carry."""
    return _render("copyright.html", book=book, editor_line=name_list(book.editors),
                   permissions=permission_lines(chapters))
