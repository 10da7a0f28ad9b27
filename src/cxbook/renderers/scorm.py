"""SCORM 1.2 and SCORM 2004 (4th edition) course packages.

One SCO: ``index.html`` holds every chapter and the "Sources and permissions" page, shown
one at a time by the course player (``scorm_assets/player.js``). A single document means the
LMS API is initialized once and finished once, the visited-chapter record lives in one
place, and resume only has to restore a page index: no state is lost between page loads.

The player speaks no LMS data model: a tracking adapter per version
(``track-scorm12.js``, ``track-scorm2004.js``, and ``track-local.js`` for a plain web
server) writes what it records. What the adapters need from the model in their data
model's own types — interaction ids, 2004 descriptions and choice identifiers — is made
here and shipped in ``cxbook/course-data.json``.

With a build cache, each chapter's page and the data file are kept under a key of what
they are made from, and ``index.html`` is compressed page by page (see output.py), so a
rebuild after one chapter changed renders and compresses only that chapter's page.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Literal

import lxml.html
from fontTools import subset
from fontTools.ttLib import TTFont

from ..build import BuildOptions
from ..cache import Bundle, fingerprint
from ..diagnostics import CxbookError, Diagnostic, Severity, SourceLocation
from ..i18n import Localizer, foreign, localizer
from ..markdown import resolve_asset_path
from ..model import (
    DEFAULT_COLORS,
    Book,
    Chapter,
    ChapterActivities,
    Choice,
    ChoiceQuestion,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Project,
    Question,
    Theme,
)
from ..output import OutputFile, reproducible_zip
from ..render.html import chapter_html, environment, sources_html, title_with_subtitle
from ..render.names import portable_name
from ..scoring import number_text, scoring_rules

Version = Literal["1.2", "2004"]

RUNTIME_DIR = "cxbook"  # package folder for the runtime, stylesheet, fonts and data
# The player, then the tracking adapters the package ships, in the order they are tried.
TRACKING: dict[Version, tuple[str, ...]] = {"1.2": ("scorm12", "local"),
                                            "2004": ("scorm2004", "local")}
RUNTIME_FILES: dict[Version, tuple[str, ...]] = {  # scripts, in load order
    version: ("player.js", "scorm-api.js", *(f"track-{name}.js" for name in adapters))
    for version, adapters in TRACKING.items()
}
# The course page on its own, without an LMS (``cxbook serve``): the standalone adapter only.
STANDALONE_TRACKING = ("local",)
STANDALONE_FILES = ("player.js", *(f"track-{name}.js" for name in STANDALONE_TRACKING))
STATIC_FILES = ("icon.svg",)
DATA_FILE = f"{RUNTIME_DIR}/course-data.json"
LOCALE_FILE = f"{RUNTIME_DIR}/locale.js"  # the runtime's words in the book's language
CSS_FILE = f"{RUNTIME_DIR}/course.css"
LAUNCH = "index.html"
MANIFEST = "imsmanifest.xml"
SUSPEND_LIMITS: dict[Version, int] = {"1.2": 4096, "2004": 64000}
MAX_CHOICES = 48  # choice masks must stay exact in a JavaScript number
RESPONSE_CHOICES = 36  # 1.2: one character 0-9/a-z a choice; 2004: SPM of a response set
ENTRY_LIMIT = 35  # matching prompts and targets, ordering entries (one base-36 digit each)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'")


@dataclass(frozen=True)
class Page:
    id: str
    slug: str  # chapter slug; "" for the sources page
    label: str
    html: str


def xml_escape(text: str) -> str:
    """Text for XML element content (as xml.sax.saxutils.escape)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """A quoted XML attribute value (as xml.sax.saxutils.quoteattr, which would import
    urllib.request for nothing)."""
    text = xml_escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


def ncname(text: str) -> str:
    """An XML ID (NCName) made from ``text``: stable, ASCII, never starting with a digit."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "course"
    return clean if re.match(r"[A-Za-z_]", clean) else f"cx-{clean}"


IDENTIFIER_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")


def interaction_id(item_id: str) -> str:
    """A quiz item's ``cmi.interactions.n.id``, valid in both versions: the item's id when it
    is a SCORM 1.2 CMIIdentifier (letters, digits, ``-`` and ``_``, at most 255 characters,
    which is also a 2004 long_identifier_type); otherwise its portable form (accents
    dropped, other characters as ``-``) cut to 246 characters, with ``-`` and 8 hexadecimal
    digits of SHA-1 over the id so that two items never share it."""
    if IDENTIFIER_RE.fullmatch(item_id):
        return item_id
    folded = unicodedata.normalize("NFKD", item_id).encode("ascii", "ignore").decode("ascii")
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", folded).strip("-")[:246]
    return f"{clean}-{hashlib.sha1(item_id.encode('utf-8')).hexdigest()[:8]}".lstrip("-")


DESCRIPTION_LENGTH = 250  # localized_string_type SPM, after the {lang=…} delimiter


def description_language(language: str) -> str | None:
    """The ``{lang=…}`` tag for a book language in a SCORM 2004 localized string: the whole
    BCP 47 tag when LMSs read it (a 2-3 letter language and at most 8 characters of
    subtags, as in ``de-CH`` or ``sr-Latn``; Moodle and scorm-again check exactly that),
    else its language alone (``sl-rozaj-biske`` -> ``sl``); None for English, which the data
    model assumes when the tag is left out, or for a tag with no language to name."""
    primary, _, rest = language.partition("-")
    if not re.fullmatch(r"[A-Za-z]{2,3}", primary) or primary.lower() == "en":
        return None
    subtags = rest.split("-") if rest else []
    if len(rest) <= 8 and all(re.fullmatch(r"[A-Za-z0-9]{2,8}", t) for t in subtags):
        return language
    return primary


def description(text: str, language: str) -> str:
    """A quiz question as a SCORM 2004 ``cmi.interactions.n.description``
    (localized_string_type, RTE 4th ed.): one line of at most 250 characters (longer text
    ends with "…"). The ``{lang=…}`` delimiter is left out for an English book, as the data
    model reads a string without it as English ("en") and LMS reports print it as it is;
    a book in another language keeps it (``{lang=fr}Quelle…``, see description_language),
    so the text is not taken for English."""
    plain = " ".join(text.split()).lstrip("{")
    if len(plain) > DESCRIPTION_LENGTH:
        plain = plain[:DESCRIPTION_LENGTH - 1] + "…"
    tag = description_language(language)
    return plain if tag is None else f"{{lang={tag}}}{plain}"


READABLE_LENGTH = 32  # characters of a choice's readable identifier


def _readable(text: str) -> str:
    """A choice text as lower-case ASCII words joined by ``_``, cut at a word end to at
    most READABLE_LENGTH characters: "A new manager" -> "a_new_manager"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")
    if len(words) <= READABLE_LENGTH:
        return words
    cut = words[:READABLE_LENGTH + 1].rsplit("_", 1)[0]
    return cut if len(cut) >= READABLE_LENGTH // 2 else words[:READABLE_LENGTH].strip("_")


def identifiers(entries: Sequence[Choice]) -> dict[str, str]:
    """Choice id -> its identifier in SCORM 2004 learner responses and correct patterns (a
    short_identifier_type), readable in LMS reports: the text as lower-case ASCII words
    joined by ``_`` ("A new manager" -> ``a_new_manager``). Made from the text alone, so it
    survives reordering. Texts that give the same words (or none, as in scripts without
    Latin letters) add their choice id (``yes_c1a2b3c``, ``c1a2b3c``), which is unique
    among ``entries``. Every identifier is letters, digits and ``_``: valid in every LMS's
    reading of the type."""
    bases = {c.id: _readable(c.text) for c in entries}
    shared = {b for b in bases.values() if list(bases.values()).count(b) > 1}
    made = {cid: (base if base and base not in shared else
                  f"{base}_{cid}" if base else cid) for cid, base in bases.items()}
    if len(set(made.values())) < len(made):  # a text that spells another's suffix
        return {c.id: c.id for c in entries}
    return made


def response_identifiers(item: ChoiceQuestion | OrderingQuestion) -> dict[str, str]:
    """A choice question's choices (an ordering question's entries) as identifiers; see
    identifiers."""
    return identifiers(item.choices if isinstance(item, ChoiceQuestion) else item.entries)


def structure_key(project: Project) -> str:
    """Fingerprint of what the saved learner state refers to (chapters, items, choices,
    entries); state saved against another structure is not applied. A course of choice
    questions only keeps the key it had before other question types existed."""
    parts = [ch.slug for ch in project.chapters]
    for q in project.course.quiz_items:
        parts.append(q.id)
        if isinstance(q, ChoiceQuestion):
            parts.extend(c.id for c in q.choices)
        elif isinstance(q, MatchingQuestion):
            parts.extend([f"{q.type}:", *(p.id for p in q.prompts), "/",
                          *(t.id for t in q.targets)])
        elif isinstance(q, OrderingQuestion):
            parts.extend([f"{q.type}:", *(e.id for e in q.presented)])
        else:
            parts.append(f"{q.type}:")
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:8]


def answer_width(max_choices: int) -> int:
    """Base-36 digits of a choice question's saved answer: values 0 (not answered) ..
    2**max_choices."""
    width, top = 1, 36
    while top < 2**max_choices + 1:
        width, top = width + 1, top * 36
    return width


TEXT_ESCAPE = 5  # characters of an escaped character in saved text (~ and 4 base-36 digits)
SEED_DIGITS = 4  # base-36 digits of the learner's shuffling seed


def saved_width(item: Question) -> int:
    """The most characters the player's saved state (player.js ``encodeState``) spends on
    an item's answer: a choice question a base-36 number wide enough for every selection;
    a matching question a digit per prompt; an ordering question a digit per entry; a
    fill-in or numeric question two base-36 digits of length and its text, each character
    at most TEXT_ESCAPE long (fill-in: the field's max_length; numeric: the number as
    recorded, at most a sign, 10 digits, a point and 7 digits)."""
    if isinstance(item, ChoiceQuestion):
        return answer_width(len(item.choices))
    if isinstance(item, MatchingQuestion):
        return len(item.prompts)
    if isinstance(item, OrderingQuestion):
        return len(item.entries)
    if isinstance(item, FillInQuestion):
        return 2 + TEXT_ESCAPE * item.max_length
    return 2 + RECORDED_NUMBER_LENGTH


RECORDED_NUMBER_LENGTH = 19  # "-", 10 digits, ".", 7 digits


def max_suspend_length(project: Project) -> int:
    """Longest suspend_data the player can write for this course (see player.js
    ``encodeState``): ``c2.<key>.<seed>.<page>.<visited>.<answers>``."""
    chapters = len(project.chapters)
    pages = chapters + 1
    page_digits = len(_base36(pages - 1))
    visited = (chapters + 4) // 5
    answers = sum(saved_width(q) for q in project.course.quiz_items)
    return len("c2.") + 8 + 1 + SEED_DIGITS + 1 + page_digits + 1 + visited + 1 + answers


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


ALIGN_STYLE_RE = re.compile(r'<(t[hd])\b([^>]*?) style="text-align:\s*(left|right|center);?"')
STYLE_ATTR_RE = re.compile(r'(<[a-zA-Z][^>]*?) style="[^"]*"')


def csp_safe(html: str) -> str:
    """The page's Content-Security-Policy refuses style attributes: table-cell alignment
    (the only ones Markdown produces) becomes a class, anything else is dropped."""
    html = ALIGN_STYLE_RE.sub(r'<\1\2 class="cx-align-\3"', html)
    return STYLE_ATTR_RE.sub(r"\1", html)


PAGE_START = b'<div class="cx-page" id="'  # where index.html is cut for compression


def course_pages(project: Project, images: Mapping[str, str],
                 cache: Bundle | None = None) -> list[Page]:
    """Each chapter's page and the sources page. ``images``: asset path -> name in the
    package (see image_names)."""
    pages = []
    loc = localizer(project.book)
    activities = {a.stem: a for a in reversed(project.course.activities)}
    for ch in project.chapters:
        acts = activities.get(ch.stem)
        if acts is None:
            acts = project.course.for_chapter(ch.stem)
        renames = {p: images[p] for p in ch.images if p in images and images[p] != p}

        def make(ch: Chapter = ch, acts: ChapterActivities = acts,
                 renames: dict[str, str] = renames) -> bytes:
            html = csp_safe(chapter_html(ch, acts, "course", loc))
            return (renamed_images(html, renames) if renames else html).encode("utf-8")

        if cache is None:
            html = make().decode("utf-8")
        else:
            key = fingerprint("scorm-page", ch, acts, sorted(renames.items()), loc.key)
            html = cache.fragment("scorm-page", key, make).decode("utf-8")
        label = loc.markup("entry.numbered", "%(number)s. %(title)s",
                           number=loc.number(ch.number), title=foreign(ch.title, ch.language))
        pages.append(Page(f"page-{ch.slug}", ch.slug, label, html))
    pages.append(Page("page-sources", "",
                      loc.markup("sources.title", "Sources and permissions"),
                      sources_html(project)))
    return pages


PLURAL_RULE_RE = re.compile(r"[\sn0-9()!=<>%&|?:]+")


def runtime_messages(loc: Localizer) -> dict[str, object]:
    """The course player's words (player.js): each message's text in the book's language
    with its ``%(name)s`` placeholders, a list of forms in the catalog's plural order for
    a message that depends on a count."""
    m: dict[str, object] = {
        "pageOf": loc.raw("course.page-of", "Page %(page)s of %(pages)s"),
        "notAnswered": loc.raw("course.not-answered", "Not answered."),
        "correct": loc.raw("course.correct", "Correct."),
        "notQuite": loc.raw("course.not-quite", "Not quite."),
        "writeNumber": loc.raw("course.write-number",
                               "Write a number, such as %(whole)s or %(decimal)s."),
        "notAnsweredOrdering": loc.raw(
            "course.not-answered-ordering",
            "Not answered: put the entries in order with the %(up)s and %(down)s buttons first."),
        "moveUp": loc.raw("quiz.move-up", "Move up"),
        "moveDown": loc.raw("quiz.move-down", "Move down"),
        # L10N: read out after an entry of an ordering question moved: its new place
        "orderPlace": loc.raw("course.order-place", "%(entry)s: %(place)s of %(num)s."),
        "nextSentence": loc.raw("format.next-sentence", "%(text)s %(sentence)s"),
        "noData": loc.raw("course.no-data", "The answers cannot be checked here: open the "
                          "course from an LMS or a web server."),
        # L10N: %(num)s is the number of questions checked on the page
        "answeredRight": loc.forms("course.answered-right",
                                   "You answered %(right)s of %(num)s correctly.",
                                   "You answered %(right)s of %(num)s correctly."),
        "scoreSoFar": loc.raw("course.score-so-far",
                              "Course score so far: %(score)s (pass mark %(mastery)s)."),
        "chaptersVisited": loc.forms("course.chapters-visited",
                                     "%(visited)s of %(num)s chapter visited",
                                     "%(visited)s of %(num)s chapters visited"),
        "questionsAnswered": loc.forms("course.questions-answered",
                                       "%(answered)s of %(num)s question answered",
                                       "%(answered)s of %(num)s questions answered"),
        "score": loc.raw("course.score", "score %(score)s"),
        # L10N: the parts of the course page's status line, joined
        "statusPart": loc.raw("course.status-part", "%(status)s · %(part)s"),
        "sentence": loc.raw("format.sentence", "%(text)s."),
        "review": loc.raw("course.review", "Review: nothing you do here is recorded"),
        # L10N: what the learning platform recorded, shown when the course is reviewed
        "passed": loc.raw("course.recorded-passed", "passed"),
        "failed": loc.raw("course.recorded-failed", "failed"),
        "completed": loc.raw("course.recorded-completed", "completed"),
        "incomplete": loc.raw("course.recorded-incomplete", "incomplete"),
        "notAttempted": loc.raw("course.recorded-not-attempted", "not attempted"),
    }
    return m


def locale_script(project: Project, extra: Mapping[str, str] | None = None) -> bytes:
    """``cxbook/locale.js``: the player's words, numbers and plural rule in the book's
    language. A script, not part of course-data.json, because the plural rule is code (the
    catalog's Plural-Forms expression, which is C syntax and JavaScript alike; checked to
    hold nothing but ``n``, numbers and operators) and the page's Content-Security-Policy
    allows the package's own scripts but no eval; and because the page needs its words
    even where the data file cannot be fetched. Numbers and percentages the player shows
    (counts, scores from 0 to 100) are formatted here by Babel, as a table. ``extra``:
    the words of a package's own tracking adapter (label name -> text)."""
    loc = localizer(project.book)
    rule = loc.plural_expression
    if not PLURAL_RULE_RE.fullmatch(rule):
        raise ValueError(f"unexpected plural rule in the {loc.catalog} catalog: {rule!r}")
    top = max(100, len(project.chapters) + 1, len(project.course.quiz_items))
    data = {
        "lang": project.book.language,
        "dir": loc.direction,
        "messages": {**runtime_messages(loc), **(extra or {})},
        "numbers": [loc.number(n) for n in range(top + 1)],
        "percents": [loc.percent(n) for n in range(101)],
        "decimalExample": loc.decimal(Decimal("2.5")),
    }
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    return ("/* cxbook: the course player's words in the book's language (generated). */\n"
            f"window.cxcourseLocale = {body};\n"
            f"window.cxcourseLocale.plural = function (n) {{ return Number({rule}); }};\n"
            ).encode()


# The SCORM interaction type of each question type.
INTERACTION_TYPES = {"choice": "choice", "fill-in": "fill-in", "numeric": "numeric",
                     "matching": "matching", "ordering": "sequencing"}


def tracking_item(item: Question, version: Version, language: str) -> dict[str, object]:
    """What the version's tracking adapter records for a quiz item besides the player's
    own ids and its scoring rule: its interaction id and type, in 1.2 a numeric
    question's answer (its correct pattern), in 2004 its description and the identifiers
    of its choices or entries ({id: identifier}; a matching question's prompts as
    ``sources`` and targets as ``targets``). 1.2 choice, matching and sequencing
    responses are characters by position, made by the adapter itself."""
    info: dict[str, object] = {"interaction": interaction_id(item.id),
                               "type": INTERACTION_TYPES[item.type]}
    if version == "1.2" and isinstance(item, NumericQuestion) and item.answer is not None:
        info["answer"] = number_text(item.answer)
    if version == "2004":
        info["description"] = description(item.question, language)
        if isinstance(item, ChoiceQuestion | OrderingQuestion):
            info["responses"] = response_identifiers(item)
        elif isinstance(item, MatchingQuestion):
            info["sources"] = identifiers(item.prompts)
            info["targets"] = identifiers(item.targets)
    return info


def course_data(project: Project, version: Version, cache: Bundle | None = None) -> bytes:
    """The player's data file: scoring rules (scoring.scoring_rules) and, per quiz item,
    what the tracking adapter records (tracking_item)."""
    if cache is not None:
        key = fingerprint("scorm-data", version, project.course, project.book.language,
                          structure_key(project))
        return cache.fragment("scorm-data", key, lambda: course_data(project, version))
    items = {q.id: tracking_item(q, version, project.book.language)
             for q in project.course.quiz_items}
    data = {
        "format": "cxbook-course-data/1",
        "scorm": version,
        "course": project.course.id,
        "key": structure_key(project),
        "suspendLimit": SUSPEND_LIMITS[version],
        "rules": scoring_rules(project.course),
        "items": items,
    }
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def index_html(project: Project, version: Version, images: Mapping[str, str],
               cache: Bundle | None = None, *, scripts: tuple[str, ...] | None = None,
               tracking: tuple[str, ...] | None = None, csp: str = CSP) -> bytes:
    """The course page. ``scripts`` (runtime files, in load order) and ``tracking`` (the
    adapters to try) default to the version's package (RUNTIME_FILES, TRACKING); ``csp``
    is its Content-Security-Policy."""
    template = environment().get_template("course_page.html")
    text = template.render(
        **localizer(project.book).template_context(),
        book=project.book,
        course=project.course,
        pages=course_pages(project, images, cache),
        csp=csp,
        key=structure_key(project),
        css_href=CSS_FILE,
        icon_href=f"{RUNTIME_DIR}/icon.svg",
        scripts=[LOCALE_FILE,
                 *(f"{RUNTIME_DIR}/{name}" for name in scripts or RUNTIME_FILES[version])],
        tracking=" ".join(tracking or TRACKING[version]),
    )
    return (text.strip() + "\n").encode("utf-8")


def runtime_file(name: str) -> bytes:
    return (resources.files("cxbook.renderers") / "scorm_assets" / name).read_bytes()


def zipped_package(files: Mapping[str, bytes], first: str, options: BuildOptions,
                   bundle: Bundle | None) -> bytes:
    """A course package as reproducible ZIP bytes: ``first`` (the manifest or cmi5.xml) and
    index.html lead, the page is compressed in pieces cut at its pages, and the pieces'
    deflated bytes are kept in ``bundle`` (the renderer's cache) for the next build."""
    memo = bundle.deflate_memo() if bundle is not None else None
    data = reproducible_zip(files.items(), options.source_date, first=[first, LAUNCH],
                            segments={LAUNCH: page_offsets(files[LAUNCH])}, memo=memo)
    if bundle is not None and memo is not None:
        bundle.keep_deflate(memo)
        bundle.save()
    return data


def page_offsets(html: bytes) -> list[int]:
    """Where each page starts in index.html: the cut points for compressing it in pieces."""
    offsets = []
    at = html.find(PAGE_START)
    while at >= 0:
        offsets.append(at)
        at = html.find(PAGE_START, at + 1)
    return offsets


# The course page is read on the learner's machine, whose fonts cxbook cannot know: a
# Chinese, Japanese or Korean passage is set in a subset of the theme's CJK font (the
# one the PDFs use), holding only the characters the page shows, so that it reads the
# same on a machine without CJK fonts. Every font-family stack of course.css names it.
CJK_FONT = "print-fonts/NotoSansCJK-Regular.otf"
CJK_FAMILY = "cxbook CJK"
CJK_FILE = "fonts/cxbook-cjk.otf"
# Unicode blocks of CJK writing (UAX #11 wide ranges): Hangul Jamo, CJK Radicals to CJK
# Unified Ideographs, Hangul syllables, compatibility ideographs and forms, half- and
# full-width forms, and the supplementary ideographic planes.
CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
              (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
_JSON_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


def cjk_characters(text: str) -> frozenset[int]:
    """The code points of ``text`` (with JSON ``\\uXXXX`` escapes read) in CJK_RANGES that
    draw something (spaces such as U+3000 need no glyph of this font)."""
    text = _JSON_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return frozenset(ord(c) for c in set(text)
                     if any(lo <= ord(c) <= hi for lo, hi in CJK_RANGES)
                     and not unicodedata.category(c).startswith("Z"))


def cjk_font(theme: Theme, text: str) -> bytes | None:
    """The theme's CJK font (CJK_FONT, OpenType CFF) cut down with fontTools' subsetter to
    the CJK characters of ``text`` (every OpenType layout feature kept, so ``locl`` still
    picks the regional forms of the page's ``lang``); None when ``text`` has none or the
    theme has no such font."""
    data = theme.files.get(CJK_FONT)
    wanted = cjk_characters(text)
    if data is None or not wanted:
        return None
    return _subset(data, wanted)


@functools.lru_cache(maxsize=4)
def _subset(data: bytes, wanted: frozenset[int]) -> bytes:
    font = TTFont(io.BytesIO(data))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cjk_font_face(ranges: Sequence[tuple[int, int]] = CJK_RANGES) -> str:
    """The @font-face rule of CJK_FAMILY for the course stylesheet (CSS Fonts 4, 4.1),
    limited by ``unicode-range`` to CJK writing so that no other text uses it."""
    spans = ", ".join(f"U+{lo:X}-{hi:X}" for lo, hi in ranges)
    return (f'\n@font-face {{ font-family: "{CJK_FAMILY}"; '
            f'src: url("{CJK_FILE}") format("opentype"); unicode-range: {spans}; }}\n')


def recolored_css(theme: Theme) -> str:
    """The course stylesheet in the theme's colours: the built-in stylesheets are written in
    the built-in palette, so each default colour is swapped for the theme's (one pass)."""
    css = theme.css("course")
    swaps = {default: theme.palette[name] for name, default in DEFAULT_COLORS.items()
             if theme.palette[name].lower() != default}
    if not swaps:
        return css
    pattern = re.compile("|".join(re.escape(c) for c in swaps), flags=re.IGNORECASE)
    return pattern.sub(lambda m: swaps[m.group(0).lower()], css)


SCHEMA_FOLDERS: dict[Version, str] = {"1.2": "scorm12", "2004": "scorm2004"}


@functools.cache
def schema_files(version: Version) -> Mapping[str, bytes]:
    """The XML schemas ``imsmanifest.xml`` names in ``xsi:schemaLocation``, with the files
    they import or include: copied to the package root (see scorm_schemas/README.md)."""
    folder = resources.files("cxbook.renderers") / "scorm_schemas" / SCHEMA_FOLDERS[version]
    return {entry.name: entry.read_bytes() for entry in sorted(folder.iterdir(),
                                                               key=lambda e: e.name)
            if entry.name.endswith((".xsd", ".dtd"))}


def image_names(project: Project, reserved: set[str]) -> dict[str, str]:
    """Asset path -> its portable name in the package (the EPUB's naming rule), for every
    image a chapter shows; none of them takes a name in ``reserved``."""
    taken = {name.lower() for name in reserved}
    used = sorted({path for ch in project.chapters for path in ch.images})
    return {path: portable_name(path, taken) for path in used}


def renamed_images(html: str, names: Mapping[str, str]) -> str:
    """A page fragment (one element) with each ``<img src>`` pointing at the image's name in
    the package. Parsed as HTML with lxml, so any way the source wrote the address (escaped,
    percent-encoded) is understood."""
    fragment = lxml.html.fragment_fromstring(html)
    for img in fragment.iter("img"):
        path = resolve_asset_path(img.get("src") or "")
        if path is not None and path in names:
            img.set("src", names[path])
    return str(lxml.html.tostring(fragment, encoding="unicode")) + "\n"


def package_files(project: Project, version: Version,
                  cache: Bundle | None = None) -> dict[str, bytes]:
    """Every file of the package except imsmanifest.xml."""
    return _page_files(project, version, cache, RUNTIME_FILES[version], TRACKING[version],
                       schema_files(version))


def standalone_files(project: Project, cache: Bundle | None = None) -> dict[str, bytes]:
    """The course page on its own, as a web server without an LMS serves it: the package's
    files (path -> bytes, ``index.html`` the page) with the player and only the standalone
    tracking adapter (``track-local.js``: progress in the browser's local storage), and
    neither manifest nor schemas. Its data file is the SCORM 2004 one, whose limits are
    the larger."""
    return _page_files(project, "2004", cache, STANDALONE_FILES, STANDALONE_TRACKING, {})


def _page_files(project: Project, version: Version, cache: Bundle | None,
                scripts: tuple[str, ...], tracking: tuple[str, ...],
                schemas: Mapping[str, bytes], *, data: bytes | None = None,
                csp: str = CSP, messages: Mapping[str, str] | None = None
                ) -> dict[str, bytes]:
    """The course page ``index.html`` with ``scripts`` trying the ``tracking`` adapters,
    and every file it uses; ``schemas`` are added at the root. ``data``: the data file
    (default: the version's, see course_data); ``csp``: the page's policy; ``messages``:
    the tracking adapter's words (see locale_script)."""
    css = recolored_css(project.theme)
    files: dict[str, bytes] = {
        CSS_FILE: css.encode("utf-8"),
        DATA_FILE: data if data is not None else course_data(project, version, cache),
        LOCALE_FILE: locale_script(project, messages),
    }
    for name in (*scripts, *STATIC_FILES):
        files[f"{RUNTIME_DIR}/{name}"] = runtime_file(name)
    for path, data in project.theme.fonts().items():
        if path in css:  # only the fonts the stylesheet uses (url("fonts/…") beside it)
            files[f"{RUNTIME_DIR}/{path}"] = data
    files.update(schemas)
    names = image_names(project, {*files, LAUNCH, MANIFEST})
    for path, name in names.items():
        asset = project.asset(path)
        if asset is None:
            raise ValueError(f"chapter image {path!r} is not among the project's assets")
        files[name] = asset.data
    files[LAUNCH] = index_html(project, version, names, cache, scripts=scripts,
                               tracking=tracking, csp=csp)
    shown = b"".join(files[name] for name in (LAUNCH, DATA_FILE, LOCALE_FILE))
    font = cjk_font(project.theme, shown.decode("utf-8"))
    if font is not None:
        files[f"{RUNTIME_DIR}/{CJK_FILE}"] = font
        files[CSS_FILE] += cjk_font_face().encode("utf-8")
    return files


def package_limits(project: Project, version: Version) -> list[Diagnostic]:
    """What the version's data model cannot hold, as located errors (the build stops at
    them, ``cxbook check`` reports them): [] when the course fits.

    - SCORM 1.2 records a choice as one character, ``a``-``z`` then ``0``-``9`` (1.2 RTE,
      ``cmi.interactions.n.student_response`` and ``correct_responses.n.pattern`` of a
      ``choice`` interaction), so a quiz item has at most 36 choices.
    - SCORM 2004 learner responses and correct patterns of a ``choice`` interaction are a
      set of short identifiers whose smallest permitted maximum is 36 (2004 4th ed. RTE,
      learner response format requirements), so a multiple-answer item, whose response
      can name every choice, has at most 36 choices.
    - The saved progress (``cmi.suspend_data``: CMIString4096 in 1.2, 64,000 characters
      in 2004) must hold the longest state the runtime can write (max_suspend_length).
    - The runtime keeps an item's selection as a bit mask exact in a JavaScript number:
      at most MAX_CHOICES choices in any package.
    - 1.2 records matching pairs and sequences as single characters too, 2004 at most 36
      pairs or entries, and the saved state keeps a matched target or an entry's place as
      one base-36 digit other than 0: a matching question has at most 35 prompts and 35
      targets, an ordering question at most 35 entries.
    """
    found: list[Diagnostic] = []
    for item in project.course.quiz_items:
        if isinstance(item, MatchingQuestion | OrderingQuestion):
            counts = ({"prompts": len(item.prompts), "targets": len(item.targets)}
                      if isinstance(item, MatchingQuestion) else {"entries": len(item.entries)})
            for what, n in counts.items():
                if n > ENTRY_LIMIT:
                    found.append(Diagnostic(
                        item.location, Severity.ERROR,
                        f"{'a matching' if isinstance(item, MatchingQuestion) else 'an ordering'}"
                        f" question in a SCORM course can have at most {ENTRY_LIMIT} {what}, "
                        f"because SCORM 1.2 records each as one letter or digit and the saved "
                        f"progress keeps each as one; this one has {n}: split the question",
                        "scorm.too-many-choices"))
            continue
        if not isinstance(item, ChoiceQuestion):
            continue
        count = len(item.choices)
        if version == "1.2" and count > RESPONSE_CHOICES:
            why = (f"a quiz item in a SCORM 1.2 course can have at most {RESPONSE_CHOICES} "
                   f"choices, because SCORM 1.2 records each choice as one letter or digit "
                   f"(a to z, then 0 to 9); this one has {count}: split the question, or "
                   "build only the scorm2004 package")
        elif item.multiple and count > RESPONSE_CHOICES:
            why = (f"a quiz item with several right answers can have at most "
                   f"{RESPONSE_CHOICES} choices in a SCORM {version} course, because a "
                   f"learner's response may name at most {RESPONSE_CHOICES}; this one has "
                   f"{count}: split the question")
        elif count > MAX_CHOICES:
            why = (f"a quiz item in a SCORM course can have at most {MAX_CHOICES} choices; "
                   f"this one has {count}: split the question")
        else:
            continue
        found.append(Diagnostic(item.location, Severity.ERROR, why, "scorm.too-many-choices"))
    need, limit = max_suspend_length(project), SUSPEND_LIMITS[version]
    if need > limit:
        where = project.course.location or SourceLocation("course/course.yaml")
        other = ("build only the scorm2004 package (64,000 characters) or split the course"
                 if version == "1.2" else "split the course")
        found.append(Diagnostic(
            where, Severity.ERROR,
            f"the course's saved progress can reach {need} characters, more than the "
            f"{limit} that SCORM {version} allows ({len(project.course.quiz_items)} quiz "
            f"items and {len(project.chapters)} chapters); {other}",
            "scorm.suspend-data-limit"))
    return found


def check_scorm12(project: Project) -> list[Diagnostic]:
    """The SCORM 1.2 package's limits (see package_limits); registered in build.py."""
    return package_limits(project, "1.2")


def check_scorm2004(project: Project) -> list[Diagnostic]:
    """The SCORM 2004 package's limits (see package_limits); registered in build.py."""
    return package_limits(project, "2004")


# ----------------------------------------------------------------------- manifests


def _rights_text(project: Project) -> str:
    loc = localizer(project.book)
    lines = []
    if project.book.rights:
        lines.append(project.book.rights)
    for ch in project.chapters:
        a = ch.attribution
        entry = loc.pgettext("entry.numbered", "%(number)s. %(title)s",
                             number=loc.number(ch.number), title=ch.title)
        # L10N: the manifest's rights description, which learning platforms show
        who = (loc.pgettext("manifest.by", "by %(authors)s", authors=loc.names(a.authors))
               if a.authors else
               loc.pgettext("manifest.no-author", "author not named in the source"))
        where = ""
        if a.source.publication:
            where = loc.pgettext("manifest.published-in", "first published in %(publication)s",
                                 publication=a.source.publication)
        elif a.source.url:
            where = loc.pgettext("manifest.published-at", "first published at %(url)s",
                                 url=a.source.url)
        if a.source.date:
            date = loc.date(a.source.date)
            where = loc.pgettext("manifest.published-dated", "%(where)s (%(date)s)",
                                 where=where, date=date) if where else date
        line = (loc.pgettext("manifest.rights-line-source", "%(entry)s — %(who)s, %(where)s",
                             entry=entry, who=who, where=where) if where else
                loc.pgettext("manifest.rights-line", "%(entry)s — %(who)s", entry=entry,
                             who=who))
        parts = [loc.pgettext("format.sentence", "%(text)s.", text=line)
                 if line[-1] not in ".!?。！？" else line]
        if a.notice:
            parts.append(a.notice)
        if a.license:
            parts.append(loc.pgettext("manifest.licence", "Licence: %(licence)s.",
                                      licence=a.license))
        lines.append(loc.sentences(parts).unescape())
    return "\n".join(lines)


def _files_xml(files: list[str], indent: str) -> str:
    return "".join(f"{indent}<file href={quoteattr(name)}/>\n" for name in files)


def _ids(project: Project, version: Version) -> tuple[str, str, str, str]:
    base = ncname(project.course.id)
    suffix = "scorm12" if version == "1.2" else "scorm2004"
    return (f"{base}-{suffix}", f"{base}-org", f"{base}-sco", f"{base}-sco-resource")


def manifest_12(project: Project, files: list[str]) -> str:
    book, course = project.book, project.course
    manifest_id, org_id, item_id, res_id = _ids(project, "1.2")
    lang = quoteattr(book.language)
    desc = book.description or book.title
    mastery = (f"        <adlcp:masteryscore>{course.mastery_score}</adlcp:masteryscore>\n"
               if course.quiz_items else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest identifier="{manifest_id}" version="1.0"\n'
        '  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"\n'
        '  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"\n'
        '  xmlns:imsmd="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"\n'
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '  xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 '
        'imscp_rootv1p1p2.xsd http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 '
        'imsmd_rootv1p2p1.xsd http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">\n'
        "  <metadata>\n"
        "    <schema>ADL SCORM</schema>\n"
        "    <schemaversion>1.2</schemaversion>\n"
        "    <imsmd:lom>\n"
        "      <imsmd:general>\n"
        f"        <imsmd:title><imsmd:langstring xml:lang={lang}>{xml_escape(course.title)}"
        "</imsmd:langstring></imsmd:title>\n"
        f"        <imsmd:language>{xml_escape(book.language)}</imsmd:language>\n"
        f"        <imsmd:description><imsmd:langstring xml:lang={lang}>{xml_escape(desc)}"
        "</imsmd:langstring></imsmd:description>\n"
        "      </imsmd:general>\n"
        "      <imsmd:rights>\n"
        "        <imsmd:cost><imsmd:source><imsmd:langstring xml:lang=\"x-none\">LOMv1.0"
        "</imsmd:langstring></imsmd:source><imsmd:value><imsmd:langstring xml:lang=\"x-none\">"
        "no</imsmd:langstring></imsmd:value></imsmd:cost>\n"
        "        <imsmd:copyrightandotherrestrictions><imsmd:source><imsmd:langstring "
        "xml:lang=\"x-none\">LOMv1.0</imsmd:langstring></imsmd:source><imsmd:value>"
        "<imsmd:langstring xml:lang=\"x-none\">yes</imsmd:langstring></imsmd:value>"
        "</imsmd:copyrightandotherrestrictions>\n"
        f"        <imsmd:description><imsmd:langstring xml:lang={lang}>"
        f"{xml_escape(_rights_text(project))}</imsmd:langstring></imsmd:description>\n"
        "      </imsmd:rights>\n"
        "    </imsmd:lom>\n"
        "  </metadata>\n"
        f'  <organizations default="{org_id}">\n'
        f'    <organization identifier="{org_id}">\n'
        f"      <title>{xml_escape(course.title)}</title>\n"
        f'      <item identifier="{item_id}" identifierref="{res_id}" isvisible="true">\n'
        f"        <title>{xml_escape(_item_title(book))}</title>\n"
        f"{mastery}"
        "      </item>\n"
        "    </organization>\n"
        "  </organizations>\n"
        "  <resources>\n"
        f'    <resource identifier="{res_id}" type="webcontent" adlcp:scormtype="sco" '
        f'href="{LAUNCH}">\n'
        f"{_files_xml(files, '      ')}"
        "    </resource>\n"
        "  </resources>\n"
        "</manifest>\n"
    )


def _item_title(book: Book) -> str:
    return title_with_subtitle(localizer(book), book)


def manifest_2004(project: Project, files: list[str]) -> str:
    book, course = project.book, project.course
    manifest_id, org_id, item_id, res_id = _ids(project, "2004")
    lang = quoteattr(book.language)
    desc = book.description or book.title
    objectives = ""
    if course.quiz_items:
        objectives = (
            "          <imsss:objectives>\n"
            f'            <imsss:primaryObjective objectiveID="{item_id}-mastery" '
            'satisfiedByMeasure="true">\n'
            f"              <imsss:minNormalizedMeasure>{_scaled(course.mastery_score)}"
            "</imsss:minNormalizedMeasure>\n"
            "            </imsss:primaryObjective>\n"
            "          </imsss:objectives>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest identifier="{manifest_id}" version="1"\n'
        '  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"\n'
        '  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"\n'
        '  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"\n'
        '  xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"\n'
        '  xmlns:imsss="http://www.imsglobal.org/xsd/imsss"\n'
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '  xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd '
        "http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd "
        "http://www.adlnet.org/xsd/adlseq_v1p3 adlseq_v1p3.xsd "
        "http://www.adlnet.org/xsd/adlnav_v1p3 adlnav_v1p3.xsd "
        'http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd">\n'
        "  <metadata>\n"
        "    <schema>ADL SCORM</schema>\n"
        "    <schemaversion>2004 4th Edition</schemaversion>\n"
        '    <lom xmlns="http://ltsc.ieee.org/xsd/LOM">\n'
        "      <general>\n"
        "        <identifier><catalog>URI</catalog>"
        f"<entry>{xml_escape(book.identifier)}</entry></identifier>\n"
        f"        <title><string language={lang}>{xml_escape(course.title)}</string></title>\n"
        f"        <language>{xml_escape(book.language)}</language>\n"
        f"        <description><string language={lang}>{xml_escape(desc)}</string>"
        "</description>\n"
        "      </general>\n"
        "      <rights>\n"
        "        <cost><source>LOMv1.0</source><value>no</value></cost>\n"
        "        <copyrightAndOtherRestrictions><source>LOMv1.0</source><value>yes</value>"
        "</copyrightAndOtherRestrictions>\n"
        f"        <description><string language={lang}>{xml_escape(_rights_text(project))}"
        "</string></description>\n"
        "      </rights>\n"
        "    </lom>\n"
        "  </metadata>\n"
        f'  <organizations default="{org_id}">\n'
        f'    <organization identifier="{org_id}" adlseq:objectivesGlobalToSystem="false">\n'
        f"      <title>{xml_escape(course.title)}</title>\n"
        f'      <item identifier="{item_id}" identifierref="{res_id}" isvisible="true">\n'
        f"        <title>{xml_escape(_item_title(book))}</title>\n"
        "        <imsss:sequencing>\n"
        f"{objectives}"
        '          <imsss:deliveryControls completionSetByContent="true" '
        'objectiveSetByContent="true"/>\n'
        "        </imsss:sequencing>\n"
        "        <adlnav:presentation>\n"
        "          <adlnav:navigationInterface>\n"
        "            <adlnav:hideLMSUI>previous</adlnav:hideLMSUI>\n"
        "            <adlnav:hideLMSUI>continue</adlnav:hideLMSUI>\n"
        "          </adlnav:navigationInterface>\n"
        "        </adlnav:presentation>\n"
        "      </item>\n"
        "    </organization>\n"
        "  </organizations>\n"
        "  <resources>\n"
        f'    <resource identifier="{res_id}" type="webcontent" adlcp:scormType="sco" '
        f'href="{LAUNCH}">\n'
        f"{_files_xml(files, '      ')}"
        "    </resource>\n"
        "  </resources>\n"
        "</manifest>\n"
    )


def _scaled(percent: int) -> str:
    """A percent as a decimal between 0 and 1 without float noise: 80 -> 0.8."""
    p = max(0, min(100, percent))
    if p == 100:
        return "1"
    return f"0.{p:02d}".rstrip("0") if p else "0"


class ScormRenderer:
    """Shared by both versions; subclasses set ``name``, ``version`` and the file suffix."""

    name = "scorm"
    version: Version = "1.2"
    suffix = "scorm12"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}-{self.suffix}.zip"

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        problems = package_limits(project, self.version)
        if problems:
            raise CxbookError(problems)
        cache = options.cache
        bundle = cache.bundle(self.name) if cache is not None else None
        with cache.templates(environment()) if cache is not None else nullcontext():
            files = package_files(project, self.version, bundle)
        schemas = schema_files(self.version)
        names = sorted(name for name in files if name not in schemas)
        make = manifest_12 if self.version == "1.2" else manifest_2004
        files[MANIFEST] = make(project, names).encode("utf-8")
        data = zipped_package(files, MANIFEST, options, bundle)
        return [OutputFile(self.output_name(project.book), data)]

class Scorm12Renderer(ScormRenderer):
    name = "scorm12"
    version: Version = "1.2"
    suffix = "scorm12"


class Scorm2004Renderer(ScormRenderer):
    name = "scorm2004"
    version: Version = "2004"
    suffix = "scorm2004"
