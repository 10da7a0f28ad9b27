"""Course transform: per-chapter activities from the chapter's own course file plus the
course-wide templates, with stable ids.

Id rule (docs/FORMAT.md, "Activity ids"): every id starts with the chapter's id base, its
slug (the file stem without the number prefix, so reordering chapters keeps ids; prefixed
with ``ch-`` when the slug does not start with a letter), then
- an explicit ``id:`` when the item has one:            ``<slug>-<id>`` (``<slug>-t-<id>``
  for a template exercise);
- otherwise a hash of the item's own text:              ``<slug>-q-<hash>`` (quiz, question),
  ``<slug>-x-<hash>`` (exercise, title), ``<slug>-d-<hash>`` (discussion, text);
- items generated from templates hash the template's text (before placeholders are filled),
  so renaming a chapter or its author does not change them: ``<slug>-t-d-…``/``<slug>-t-x-…``.
Own items also hash the text as written, before placeholders are filled. A choice id is
``c`` and a hash of the choice's text, so reordering choices keeps them. The hash is the first
8 hex digits (6 for choices) of SHA-1 over the text with white space collapsed and letters
lower-cased. Two items of one chapter with the same hashed text get ``-2``, ``-3``… in order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from .diagnostics import Diagnostic, Severity
from .i18n import Localizer, localizer
from .markdown import render_inline_block
from .model import (
    DEFAULT_QUESTION_MINUTES,
    Book,
    Chapter,
    ChapterActivities,
    Choice,
    ChoiceQuestion,
    Course,
    Discussion,
    Exercise,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    scramble,
)
from .readers.course import (
    DEFAULT_PROMPT_MINUTES,
    PLACEHOLDER_RE,
    ChapterCourse,
    CourseSettings,
    RawExercise,
    RawQuiz,
)


def id_base(chapter: Chapter) -> str:
    """The prefix of every activity id of a chapter; a valid XML id start."""
    slug = chapter.slug
    return slug if slug[:1].isalpha() else f"ch-{slug}"


def text_hash(text: str, length: int = 8) -> str:
    normal = " ".join(text.split()).lower()
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()[:length]


def fill_placeholders(template: str, values: dict[str, str]) -> str:
    """Replace {title}, {author}, {number}, {publication}; ``{{``/``}}`` are literal braces."""
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values.get(match.group(1), token)

    return PLACEHOLDER_RE.sub(replace, template)


def placeholder_values(chapter: Chapter, loc: Localizer) -> dict[str, str]:
    """What each placeholder becomes for a chapter, in the book's language; never "None"."""
    a = chapter.attribution
    return {
        "title": chapter.title,
        # L10N: {author} in course texts for a chapter whose source names nobody
        "author": loc.names(a.authors) if a.authors else loc.pgettext(
            "course.no-author", "an unnamed author"),
        "number": loc.number(chapter.number),
        # L10N: {publication} in course texts when the source names none
        "publication": a.source.publication or loc.pgettext(
            "course.no-publication", "its original publication"),
    }


def _exercise(
    raw: RawExercise, ident: str, language: str, generated: bool, values: dict[str, str],
) -> Exercise:
    def fill(text: str) -> str:
        return fill_placeholders(text, values)

    instructions = fill(raw.instructions)
    debrief = fill(raw.debrief) if raw.debrief else None
    return Exercise(
        id=ident,
        title=fill(raw.title),
        kind=raw.kind,
        minutes=raw.minutes,
        instructions_html=render_inline_block(instructions, language),
        instructions_text=" ".join(instructions.split()),
        debrief_html=render_inline_block(debrief, language) if debrief else None,
        generated=generated,
        location=raw.location,
    )


def _choices(texts: Sequence[str]) -> tuple[Choice, ...]:
    used: set[str] = set()
    out = []
    for text in texts:
        ident = "c" + text_hash(text, 6)
        n = 2
        while ident in used:
            ident = f"c{text_hash(text, 6)}{n}"
            n += 1
        used.add(ident)
        out.append(Choice(ident, text))
    return tuple(out)


def _filled(texts: Sequence[str], fill: Callable[[str], str],
            feedback: Sequence[str | None] = ()) -> tuple[Choice, ...]:
    """Choices with ids from their texts as written, texts (and feedback) filled in."""
    notes = list(feedback) or [None] * len(texts)
    return tuple(Choice(c.id, fill(c.text), fill(note) if note else None)
                 for c, note in zip(_choices(texts), notes, strict=True))


def _question(q: RawQuiz, ident: str, fill: Callable[[str], str],
              minutes: int) -> Question:
    """The model question of a quiz item of the course file (placeholders filled in)."""
    question = fill(q.question)
    explanation = fill(q.explanation) if q.explanation else None
    if q.kind == "fill-in":
        return FillInQuestion(ident, question, tuple(fill(a) for a in q.answers),
                              q.case_sensitive, explanation, q.location, minutes)
    if q.kind == "numeric":
        if q.low is None or q.high is None:
            raise ValueError(f"numeric quiz item {ident} has no range")
        return NumericQuestion(ident, question, q.low, q.high, q.value,
                               fill(q.unit) if q.unit else None, explanation, q.location,
                               minutes)
    if q.kind == "matching":
        # the targets are shown in a fixed mixed order that never lines up with the prompts
        order = list(scramble(ident + "/targets", len(q.targets)))
        if all(order.index(t) == p for p, t in enumerate(q.pairs)):
            order = order[1:] + order[:1]
        targets = tuple(_filled(q.targets, fill)[i] for i in order)
        pairs = tuple(order.index(i) for i in q.pairs)
        return MatchingQuestion(ident, question, _filled(q.prompts, fill), targets, pairs,
                                explanation, q.location, q.shuffle, minutes)
    if q.kind == "ordering":
        return OrderingQuestion(ident, question, _filled(q.entries, fill), explanation,
                                q.location, q.shuffle, minutes)
    return ChoiceQuestion(ident, question, _filled(q.choices, fill, q.feedback), q.correct,
                          explanation, q.location, q.shuffle, minutes)


def build_activities(
    chapter: Chapter,
    own: ChapterCourse | None,
    settings: CourseSettings | None,
    loc: Localizer,
) -> ChapterActivities:
    """A chapter's activities: its own items first, then the course-wide templates.
    ``loc``: the book's labels (placeholder values, quotation marks)."""
    base = id_base(chapter)
    language = loc.language
    values = placeholder_values(chapter, loc)

    def fill(text: str) -> str:
        return fill_placeholders(text, values)

    discussion: list[Discussion] = []
    exercises: list[Exercise] = []
    quiz: list[Question] = []
    question_minutes = settings.question_minutes if settings else DEFAULT_QUESTION_MINUTES
    objectives: tuple[str, ...] = ()
    if own is not None:
        objectives = tuple(fill(o) for o in own.objectives)
        for d in own.discussion:
            discussion.append(Discussion(f"{base}-d-{text_hash(d.text)}", fill(d.text), False,
                                         d.location))
        for ex in own.exercises:
            ident = f"{base}-{ex.id}" if ex.id else f"{base}-x-{text_hash(ex.title)}"
            exercises.append(_exercise(ex, ident, language, False, values))
        for q in own.quiz:
            ident = f"{base}-{q.id}" if q.id else f"{base}-q-{text_hash(q.question)}"
            quiz.append(_question(q, ident, fill, question_minutes if q.minutes is None
                                  else q.minutes))
    if settings is not None:
        for t in settings.discussion_templates:
            discussion.append(Discussion(f"{base}-t-d-{text_hash(t.text)}", fill(t.text), True,
                                         t.location))
        for ex in settings.exercise_templates:
            ident = f"{base}-t-{ex.id}" if ex.id else f"{base}-t-x-{text_hash(ex.title)}"
            exercises.append(_exercise(ex, ident, language, True, values))
    prompt_minutes = settings.prompt_minutes if settings else DEFAULT_PROMPT_MINUTES
    if own is not None and own.discussion_minutes is not None:
        talk = own.discussion_minutes
    else:
        talk = prompt_minutes * len(discussion)
    return ChapterActivities(
        stem=chapter.stem,
        objectives=objectives,
        discussion=_dedupe_ids(discussion),
        exercises=_dedupe_ids(exercises),
        quiz=_dedupe_ids(quiz),
        location=own.location if own else None,
        discussion_minutes=talk,
    )


T = TypeVar("T", Discussion, Exercise, Question)


def _dedupe_ids(items: list[T]) -> tuple[T, ...]:
    """Two items with the same text would share an id; number the later ones."""
    seen: dict[str, int] = {}
    out: list[T] = []
    for item in items:
        count = seen.get(item.id, 0)
        seen[item.id] = count + 1
        out.append(dataclasses.replace(item, id=f"{item.id}-{count + 1}") if count else item)
    return tuple(out)


def build_course(
    book: Book,
    chapters: Sequence[Chapter],
    settings: CourseSettings | None,
    chapter_courses: dict[str, ChapterCourse],
    *,
    activities: Callable[[Chapter], ChapterActivities] | None = None,
) -> Course:
    """The course. ``activities`` may supply a chapter's activities (e.g. from a cache); it
    must return what build_activities would."""
    made = tuple(
        activities(ch) if activities is not None
        else build_activities(ch, chapter_courses.get(ch.stem), settings, localizer(book))
        for ch in chapters
    )
    return Course(
        title=(settings.title if settings and settings.title else book.title),
        id=(settings.id if settings and settings.id else book.slug),
        mastery_score=settings.mastery_score if settings else 80,
        activities=made,
        location=settings.location if settings else None,
        reader_activities=settings.reader_activities if settings else True,
        workbook_text=settings.workbook_text if settings else False,
        session_minutes=settings.session_minutes if settings else None,
    )


def session_warnings(course: Course, chapters: Sequence[Chapter],
                     settings: CourseSettings | None) -> list[Diagnostic]:
    """A warning for each chapter whose session plan (discussion, exercises and knowledge
    check) takes longer than course.yaml's ``session_minutes``, located at the chapter's
    course file (or, without one, at ``session_minutes``)."""
    limit = course.session_minutes
    if limit is None or settings is None:
        return []
    where = settings.session_location or settings.location
    found = []
    for chapter, acts in zip(chapters, course.activities, strict=True):
        if acts.minutes <= limit:
            continue
        parts = [f"discussion {acts.discussion_minutes}", f"exercises {acts.exercise_minutes}",
                 f"knowledge check {acts.quiz_minutes}"]
        found.append(Diagnostic(
            acts.location or where, Severity.WARNING,
            f"the session plan of chapter {chapter.number} ({chapter.title}) takes "
            f"{acts.minutes} minutes ({', '.join(parts)}), more than the {limit}-minute "
            f"session set by 'session_minutes' in course/course.yaml (line {where.line}): "
            "shorten its activities, give its discussion fewer minutes "
            "('discussion_minutes'), or make the session longer", "course.session-too-long"))
    return found

