"""The one in-memory model every renderer consumes.

Plain frozen dataclasses: no I/O and no third-party imports. Readers fill it (readers/),
transforms derive from it (course.py), renderers consume it (renderers/).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, TypeAlias

from .diagnostics import Diagnostic, SourceLocation


@dataclass(frozen=True)
class Asset:
    """A file shipped inside the outputs (an image). ``path`` is the POSIX path relative to
    manuscript/, which is also the path chapters use to reference it."""

    path: str
    media_type: str
    data: bytes = field(repr=False)
    location: SourceLocation


@dataclass(frozen=True)
class Source:
    title: str | None = None
    publication: str | None = None
    url: str | None = None
    date: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.title or self.publication or self.url or self.date)


@dataclass(frozen=True)
class Attribution:
    """Who wrote a chapter and where it first appeared. ``authors`` is empty when the
    source names nobody (front matter ``author: null``); an author is never invented.
    ``original`` marks a chapter written for this book (front matter ``original: true``),
    which is not republished, so it needs neither a source nor a republishing notice."""

    authors: tuple[str, ...]
    author_bio: str | None
    source: Source
    notice: str | None
    license: str | None
    original: bool = False

    @property
    def names_source(self) -> bool:
        """True when the source says where the chapter first appeared (a publication or an
        address; an original title or a date alone does not)."""
        return bool(self.source.publication or self.source.url)

    @property
    def author_line(self) -> str | None:
        """"A", "A and B", "A, B and C"; None when the source names no author."""
        if not self.authors:
            return None
        if len(self.authors) == 1:
            return self.authors[0]
        return ", ".join(self.authors[:-1]) + " and " + self.authors[-1]


@dataclass(frozen=True)
class Heading:
    level: int  # 2..6 (the chapter title is level 1)
    text: str
    anchor: str  # unique across the whole book
    location: SourceLocation


@dataclass(frozen=True)
class Footnote:
    anchor: str  # id of the note
    number: int
    html: str  # XHTML of the note's body (without the back link)
    ref: str  # id of its first reference, where the note's back link leads


@dataclass(frozen=True)
class LinkTarget:
    """A place in a chapter that links can name: ``file.md#name`` or, in the same chapter,
    ``#name``."""

    name: str  # as links write it after '#': a heading's slug, an element's id, fn-<label>
    anchor: str  # its id in every output, unique across the book
    kind: str  # "heading", "id" or "footnote"


@dataclass(frozen=True)
class Link:
    """An internal link as a chapter writes it. The chapter's HTML already holds it as
    ``href="#<anchor>"``; each renderer writes that its own way (an EPUB file and id, a
    PDF named destination, a course page and the place on it). transforms/links.py checks
    that the target exists."""

    href: str  # as written
    location: SourceLocation
    path: str | None  # manuscript-relative path of the file it names; None: this chapter
    name: str | None  # the target's name in that chapter; None: the chapter's start
    anchor: str  # the id it leads to ("" when it names no chapter)


@dataclass(frozen=True)
class Chapter:
    stem: str  # file name without .md, e.g. "02-worry-less-do-more"
    slug: str  # stem without its numeric prefix; stable when chapters are reordered
    number: int  # 1-based position in the book
    title: str
    attribution: Attribution
    body_html: str = field(repr=False)  # XHTML fragment; footnote bodies are not in it
    footnotes: tuple[Footnote, ...]
    headings: tuple[Heading, ...]
    targets: tuple[LinkTarget, ...]  # every place links can name, in document order
    links: tuple[Link, ...]  # every internal link, checked by transforms/links.py
    images: tuple[str, ...]  # asset paths this chapter references
    summary: str  # the chapter's first sentence(s), plain text, for workbooks and listings
    # the same sentence(s) as an XHTML fragment of text and <span>/<bdi>/<bdo> elements
    # keeping the lang and dir of passages in another language or direction; "" for none
    summary_html: str = field(repr=False)
    word_count: int
    location: SourceLocation  # the chapter file, line 1
    body_line: int  # line where the Markdown body starts (after front matter)
    digest: str  # sha256 of the chapter file's bytes
    # front matter ``language``: the text's own language when it is not the book's (its
    # title, body, notes and author bio are marked with it; generated labels are not)
    language: str | None = None

    @property
    def anchor(self) -> str:
        """Id of the chapter's title element, unique across the book."""
        return f"ch-{self.slug}"


@dataclass(frozen=True)
class LabelOverride:
    """A generated label the book gives in its own words (book.yaml ``labels:``).
    ``forms`` is ``(("", text),)`` for every count, or (CLDR plural category, text) pairs
    (``one``, ``few``, ``other`` …) for a label that depends on a count. Texts are in the
    catalogs' form: ``%(name)s`` placeholders, ``%%`` for a percent sign."""

    name: str  # the label's name: its message context in the catalogs
    forms: tuple[tuple[str, str], ...]
    location: SourceLocation


@dataclass(frozen=True)
class PrintEdition:
    """The print edition's settings (book.yaml ``print:``). Lengths in PDF points (1/72 in).
    ``standard`` is ``pdf/x-4`` or ``pdf/x-1a``; ``service`` a key of printing.SERVICES or
    None; ``cover`` whether the interior file starts with the cover page."""

    trim: str  # as written: a preset name or "WIDTH HEIGHT"
    width: float
    height: float
    bleed: float
    standard: str
    service: str | None
    cover: bool
    location: SourceLocation  # the ``print:`` key in book.yaml


@dataclass(frozen=True)
class Book:
    title: str
    subtitle: str | None
    editors: tuple[str, ...]
    language: str
    identifier: str
    publisher: str | None
    date: str | None
    description: str | None
    rights: str | None
    cover: str | None  # asset path of the cover image, or None to generate one
    theme: str
    slug: str
    location: SourceLocation
    print_edition: PrintEdition | None = None  # None: book.yaml has no ``print:`` section
    labels: tuple[LabelOverride, ...] = ()  # book.yaml ``labels:``, in file order


@dataclass(frozen=True)
class Discussion:
    id: str
    text: str
    generated: bool  # expanded from a course-wide template
    location: SourceLocation


EXERCISE_KINDS = ("reflection", "role-play", "scenario", "action-plan", "group")


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    kind: str  # one of EXERCISE_KINDS
    minutes: int | None
    instructions_html: str
    instructions_text: str
    debrief_html: str | None  # facilitator-only notes
    generated: bool
    location: SourceLocation


@dataclass(frozen=True)
class Choice:
    """One of the texts a question offers: a choice of a choice question, an entry of an
    ordering question, a prompt or a target of a matching question. ``id`` is stable (a
    hash of the text, see course.py) and names the text in learner responses."""

    id: str
    text: str
    feedback: str | None = None  # choice questions: shown when the learner picks it


DEFAULT_QUESTION_MINUTES = 1  # a question's share of the session plan, unless set


@dataclass(frozen=True)
class ChoiceQuestion:
    """A single- or multiple-answer question, true/false included.

    Response: the ids of the choices the learner selected. Correct: exactly the set of
    ``correct`` choices (no partial credit). Shown as the choices lettered a), b), … in
    the course file's order (``shuffle``: in a per-learner order on the course page)."""

    id: str
    question: str
    choices: tuple[Choice, ...]
    correct: tuple[int, ...]  # indexes into choices, sorted
    explanation: str | None
    location: SourceLocation
    shuffle: bool = False
    minutes: int = DEFAULT_QUESTION_MINUTES
    type: ClassVar[str] = "choice"

    @property
    def multiple(self) -> bool:
        """True when more than one choice is correct (checkboxes instead of radio)."""
        return len(self.correct) > 1

    @property
    def is_true_false(self) -> bool:
        return len(self.choices) == 2 and {c.text.lower() for c in self.choices} == {
            "true",
            "false",
        }

    @property
    def correct_choices(self) -> tuple[Choice, ...]:
        return tuple(self.choices[i] for i in self.correct)


# The name of the choice question from before other question types existed.
QuizItem = ChoiceQuestion


@dataclass(frozen=True)
class FillInQuestion:
    """A question answered by typing a short text.

    Response: the learner's text. Correct: the text equals one of ``answers`` once both
    are normalized (Unicode NFKC, runs of white space made one space and trimmed, curly
    quotes made straight, and — unless ``case_sensitive`` — letter case ignored; see
    scoring.fill_in_key). ``answers[0]`` is the answer shown; the others are accepted
    variants."""

    id: str
    question: str
    answers: tuple[str, ...]
    case_sensitive: bool
    explanation: str | None
    location: SourceLocation
    minutes: int = DEFAULT_QUESTION_MINUTES
    type: ClassVar[str] = "fill-in"

    @property
    def max_length(self) -> int:
        """Characters the learner may type (UTF-16 code units, as HTML ``maxlength``
        counts them): twice the longest accepted answer, at least 20, at most 250 (the
        SCORM 2004 localized string's smallest permitted maximum)."""
        longest = max((len(a.encode("utf-16-le")) // 2 for a in self.answers), default=0)
        return max(20, min(250, 2 * longest))


@dataclass(frozen=True)
class NumericQuestion:
    """A question answered with a number.

    Response: the learner's text, read as a number (scoring.parse_number). Correct: the
    number lies from ``low`` to ``high``, both included (compared exactly, as decimals).
    ``answer`` is the value shown (None when the file gives only a range); ``unit`` is
    printed after the answer space and may be typed after the number."""

    id: str
    question: str
    low: Decimal
    high: Decimal
    answer: Decimal | None
    unit: str | None
    explanation: str | None
    location: SourceLocation
    minutes: int = DEFAULT_QUESTION_MINUTES
    type: ClassVar[str] = "numeric"


@dataclass(frozen=True)
class MatchingQuestion:
    """Prompts (the left column) each matched to one target (the right column).

    Response: {prompt id: target id} for the prompts the learner matched. Correct: every
    prompt matched to its target and nothing else. ``targets`` are in the order shown
    (targets no prompt names are distractors); ``pairs[i]`` is the index of prompt i's
    target. Two prompts may share a target."""

    id: str
    question: str
    prompts: tuple[Choice, ...]
    targets: tuple[Choice, ...]
    pairs: tuple[int, ...]
    explanation: str | None
    location: SourceLocation
    shuffle: bool = False
    minutes: int = DEFAULT_QUESTION_MINUTES
    type: ClassVar[str] = "matching"

    @property
    def pair_choices(self) -> tuple[tuple[Choice, Choice], ...]:
        return tuple((p, self.targets[t]) for p, t in zip(self.prompts, self.pairs,
                                                           strict=True))


@dataclass(frozen=True)
class OrderingQuestion:
    """Entries to put in order (SCORM calls it sequencing).

    Response: the entry ids in the learner's order. Correct: exactly ``entries``' order.
    ``entries`` are in the right order; ``presented`` is the order they are shown in
    (see scramble), which is never the right one."""

    id: str
    question: str
    entries: tuple[Choice, ...]
    explanation: str | None
    location: SourceLocation
    shuffle: bool = False
    minutes: int = DEFAULT_QUESTION_MINUTES
    type: ClassVar[str] = "ordering"

    @property
    def presented(self) -> tuple[Choice, ...]:
        return tuple(self.entries[i] for i in scramble(self.id, len(self.entries)))


def scramble(seed: str, count: int) -> tuple[int, ...]:
    """A fixed order of ``count`` things that is not their own order (when count > 1):
    indexes in the order to show them, shuffled by a generator seeded with SHA-256 of
    ``seed``, so that every output and every build shows the same order."""
    order = list(range(count))
    rng = random.Random(hashlib.sha256(seed.encode("utf-8")).digest())
    rng.shuffle(order)
    if count > 1 and order == sorted(order):
        order = order[1:] + order[:1]
    return tuple(order)


# Every question type; each names its interaction kind in ``type``.
Question: TypeAlias = (ChoiceQuestion | FillInQuestion | NumericQuestion | MatchingQuestion
                       | OrderingQuestion)
QUESTION_TYPES: tuple[type[Question], ...] = (ChoiceQuestion, FillInQuestion,
                                              NumericQuestion, MatchingQuestion,
                                              OrderingQuestion)


@dataclass(frozen=True)
class ChapterActivities:
    """Everything the course adds to one chapter: its own items first, then the items
    generated from course-wide templates."""

    stem: str
    objectives: tuple[str, ...]
    discussion: tuple[Discussion, ...]
    exercises: tuple[Exercise, ...]
    quiz: tuple[Question, ...]
    location: SourceLocation | None  # the course/<stem>.yaml file, when there is one
    # minutes the session plan gives the discussion: 'discussion_minutes' of the course
    # file, else course.yaml's 'prompt_minutes' for each prompt
    discussion_minutes: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.objectives or self.discussion or self.exercises or self.quiz)

    @property
    def exercise_minutes(self) -> int:
        """The exercises' minutes (an exercise without 'minutes' counts none)."""
        return sum(e.minutes or 0 for e in self.exercises)

    @property
    def quiz_minutes(self) -> int:
        """The knowledge check's minutes: each question's ``minutes``."""
        return sum(q.minutes for q in self.quiz)

    @property
    def minutes(self) -> int:
        """The session's length in the plan: discussion, exercises and knowledge check."""
        return self.discussion_minutes + self.exercise_minutes + self.quiz_minutes


@dataclass(frozen=True)
class Course:
    title: str
    id: str
    mastery_score: int  # percent
    activities: tuple[ChapterActivities, ...]  # one per chapter, in book order
    location: SourceLocation | None
    # course.yaml 'editions': False makes the reader editions (EPUB, reader PDF) a plain
    # reading copy without activities; True puts each chapter's whole text in the workbook
    reader_activities: bool = True
    workbook_text: bool = False
    # course.yaml 'session_minutes': the longest a session may last (None: not set)
    session_minutes: int | None = None

    def for_chapter(self, stem: str) -> ChapterActivities:
        for item in self.activities:
            if item.stem == stem:
                return item
        return ChapterActivities(stem, (), (), (), (), None)

    @property
    def quiz_items(self) -> tuple[Question, ...]:
        return tuple(q for a in self.activities for q in a.quiz)

    @property
    def minutes(self) -> int:
        """Every session's minutes together."""
        return sum(a.minutes for a in self.activities)


# The built-in palette; the built-in stylesheets are written in these colours.
DEFAULT_COLORS = {"accent": "#1f4e79", "paper": "#ffffff", "ink": "#1a1a1a",
                  "muted": "#595959", "rule": "#c8d3df"}


@dataclass(frozen=True)
class Theme:
    """A resolved theme: its files (built-in first, then the project's overrides, later
    layers replacing earlier files of the same name) and settings from theme.yaml."""

    name: str
    files: dict[str, bytes] = field(repr=False)  # relative POSIX path -> content
    colors: dict[str, str]
    page_size: str | None  # CSS page size, e.g. "A5" or "6in 9in"
    chain: tuple[str, ...]  # where each layer came from, base first
    # relative POSIX path -> the folder its file comes from: a project path such as
    # "themes/mine", or "built-in:default" for a file of a built-in theme
    origins: dict[str, str] = field(default_factory=dict, repr=False)

    def where(self, path: str) -> str:
        """Where the theme file ``path`` comes from, e.g. "themes/mine/custom.css"."""
        return f"{self.origins.get(path, f'themes/{self.name}')}/{path}"

    def css_parts(self, target: str) -> tuple[tuple[str, str], ...]:
        """The files of the stylesheet for a target ('epub', 'print' or 'course'), as
        (where the file comes from, its text): base.css, then the target's own file, then
        custom.css; each from the innermost layer that has it (empty files left out)."""
        return tuple((self.where(name), self.files[name].decode("utf-8"))
                     for name in ("base.css", f"{target}.css", "custom.css")
                     if self.files.get(name))

    def css(self, target: str) -> str:
        """The stylesheet for a target: its css_parts joined by line breaks."""
        return "\n".join(text for _, text in self.css_parts(target))

    @property
    def palette(self) -> dict[str, str]:
        """The built-in colours with the theme's own (theme.yaml ``colors``) over them."""
        return {**DEFAULT_COLORS, **self.colors}

    def fonts(self) -> dict[str, bytes]:
        return {
            path: data
            for path, data in sorted(self.files.items())
            if path.startswith("fonts/") and path.rsplit(".", 1)[-1].lower()
            in ("woff2", "woff", "otf", "ttf")
        }


@dataclass(frozen=True)
class Project:
    root: str  # absolute path of the project folder, for messages only
    book: Book
    chapters: tuple[Chapter, ...]
    course: Course
    theme: Theme
    assets: tuple[Asset, ...]
    diagnostics: tuple[Diagnostic, ...]  # warnings found while reading

    def asset(self, path: str) -> Asset | None:
        for a in self.assets:
            if a.path == path:
                return a
        return None
