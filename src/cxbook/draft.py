"""`cxbook draft-course`: a starting course/<stem>.yaml for chapters that have none.

Everything in a draft comes from the chapter's own structure: its section headings and the
statements under them, numbered points (numbered headings and ordered lists), bulleted lists,
quotations and the questions the author asks. Prompts are worded for any subject. Quiz items
are drafted only where that structure gives a verifiable answer, and every wrong choice is
one of the same chapter's own statements that does not answer the question (a point the
chapter does not list among those asked about, a statement it makes under another heading).
Existing files are never replaced.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

from .course import text_hash
from .i18n import Localizer, localizer
from .model import Chapter, Project
from .readers.course import DRAFT_MARKER

NUMBERED_RE = re.compile(r"^\s*#?\s*(\d{1,3})\s*[.):]\s*(\S.*)$")
HEADINGS = ("h2", "h3", "h4", "h5", "h6")
MAX_TEXT = 220
# A sentence ends at . ! ? or … (and a closing quote) before white space and a capital,
# digit or opening quote. Sentence splitting is a heuristic; the draft is edited anyway.
SENTENCE_END_RE = re.compile(r"(?<=[.!?…])([”’\"]?)\s+(?=[“‘\"(A-Z0-9])")
# A statement worth quoting: long enough to say something, short enough to discuss.
MIN_WORDS, MAX_WORDS = 8, 45


@dataclass
class Points:
    """A run of numbered points: numbered headings of one level, or an ordered list."""

    parent: str | None  # the heading they sit under, None for the chapter itself
    items: list[str]


@dataclass
class Section:
    heading: str
    first_sentence: str | None
    # the sentences of its paragraphs that state something (see _is_statement)
    statements: list[str] = field(default_factory=list)
    # the questions the author asks in it
    questions: list[str] = field(default_factory=list)
    # the headings it sits under, outermost first ("under X" is true of them too)
    ancestors: tuple[str, ...] = ()

    @property
    def key(self) -> str | None:
        """The section's first statement: what a prompt or a quiz item quotes."""
        return self.statements[0] if self.statements else None


@dataclass
class Structure:
    sections: list[Section] = field(default_factory=list)
    points: list[Points] = field(default_factory=list)
    lists: list[tuple[str | None, list[str]]] = field(default_factory=list)
    quotes: list[tuple[str, str | None]] = field(default_factory=list)  # text, attribution
    point_sections: list[Section] = field(default_factory=list)  # numbered headings
    intro: Section = field(default_factory=lambda: Section("", None))  # before any heading


def _clean(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int = MAX_TEXT) -> str:
    text = _clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—–-")
    return cut + "…"


def _point_text(text: str) -> str:
    """A numbered heading without its number and closing full stop: "#3.Caring" -> "Caring"."""
    match = NUMBERED_RE.match(text)
    body = match.group(2) if match else text
    return _clean(body).rstrip(".").strip()


def _first_sentence(text: str) -> str | None:
    text = _clean(text)
    if not text:
        return None
    match = re.match(r"^(.+?[.!?…][”’\"]?)(?=\s+[“‘\"A-Z0-9]|$)", text)
    return _shorten(match.group(1) if match else text)


def sentences(text: str) -> list[str]:
    """The sentences of a paragraph, in order."""
    text = _clean(text)
    if not text:
        return []
    parts = SENTENCE_END_RE.split(text)
    # split() keeps the captured closing quote as its own item: join it back
    out: list[str] = []
    for index in range(0, len(parts), 2):
        quote = parts[index + 1] if index + 1 < len(parts) else ""
        out.append(parts[index] + quote)
    return [sentence for sentence in out if sentence]


def _is_statement(sentence: str) -> bool:
    """A sentence that says something on its own: 8 to 45 words, not a question, not the
    lead-in of a list (ending in ':') and not a fragment without an end."""
    words = len(sentence.split())
    return (MIN_WORDS <= words <= MAX_WORDS and sentence.rstrip("”’\"")[-1:] in ".!…"
            and any(c.islower() for c in sentence))


def _is_question(sentence: str) -> bool:
    return MIN_WORDS <= len(sentence.split()) <= MAX_WORDS and \
        sentence.rstrip("”’\"").endswith("?")


def _unquote(text: str) -> str:
    text = _clean(text)
    if len(text) > 1 and text[0] in "“\"" and text[-1] in "”\"":
        text = text[1:-1].strip()
    return text


def chapter_structure(chapter: Chapter) -> Structure:
    """Sections, numbered points, lists and quotations of a chapter, in reading order."""
    out = Structure()
    by_anchor = {h.anchor: h for h in chapter.headings}
    # numbered headings: runs of same-level numbered headings under one parent
    stack: list[tuple[int, str]] = []
    runs: dict[tuple[str | None, int], Points] = {}
    for h in chapter.headings:
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if NUMBERED_RE.match(h.text):
            key = (parent, h.level)
            if key not in runs:
                runs[key] = Points(parent, [])
                out.points.append(runs[key])
            runs[key].items.append(_point_text(h.text))
        stack.append((h.level, h.text))
    for p in out.points:
        p.items = list(dict.fromkeys(p.items))
    out.points = [p for p in out.points if len(p.items) >= 2]

    root = lxml.html.fragment_fromstring(chapter.body_html or "<p></p>", create_parent="div")
    current: str | None = None
    pending: Section | None = None
    open_sections: list[tuple[int, Section]] = []  # (level, section) enclosing this one
    for el in root:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in HEADINGS:
            heading = by_anchor.get(el.get("id") or "")
            current = heading.text if heading else _clean(el.text_content())
            level = int(tag[1])
            while open_sections and open_sections[-1][0] >= level:
                open_sections.pop()
            numbered = NUMBERED_RE.match(current) is not None
            pending = Section(_point_text(current) if numbered else current, None,
                              ancestors=tuple(sec.heading for _, sec in open_sections))
            open_sections.append((level, pending))
            (out.point_sections if numbered else out.sections).append(pending)
            continue
        if tag == "p":
            section = pending if pending is not None else out.intro
            if section.first_sentence is None:
                section.first_sentence = _first_sentence(el.text_content())
            for sentence in sentences(el.text_content()):
                if _is_statement(sentence):
                    section.statements.append(sentence)
                elif _is_question(sentence):
                    section.questions.append(sentence)
        elif tag in ("ol", "ul"):
            items = [_shorten(li.text_content()) for li in el if li.tag == "li"]
            items = [i for i in items if i]
            if len(items) >= 2:
                if tag == "ol":
                    points = list(dict.fromkeys(i.rstrip(".") for i in items))
                    if len(points) >= 2:
                        out.points.append(Points(current, points))
                else:
                    out.lists.append((current, items))
        elif tag == "blockquote":
            paras = [_clean(p.text_content()) for p in el.iter("p")] or [
                _clean(el.text_content())]
            attribution = None
            if len(paras) > 1 and paras[-1][:1] in "—–-":
                attribution = paras.pop().lstrip("—–- ").strip()
            text = _unquote(" ".join(paras))
            if text:
                out.quotes.append((_shorten(text, 300), attribution))
    return out


# -- YAML writing ----------------------------------------------------------------------


def _braces(text: str) -> str:
    """Course text treats {name} as a placeholder; chapter text is literal."""
    return text.replace("{", "{{").replace("}", "}}")


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(_braces(_clean(text)), ensure_ascii=False)


def _block(lines: Sequence[str], indent: int) -> str:
    pad = " " * indent
    return "|\n" + "".join(f"{pad}{_braces(_clean(line))}\n" for line in lines)


def _listed(loc: Localizer, items: Sequence[str]) -> str:
    """Items run on with semicolons: "one; two; three" (the book's language's way)."""
    out = ""
    for item in items:
        out = item if not out else loc.pgettext("format.semicolon-list", "%(items)s; %(item)s",
                                                items=out, item=item)
    return out


@dataclass
class DraftExercise:
    title: str
    kind: str
    minutes: int
    instructions: list[str]
    debrief: list[str]


@dataclass
class DraftQuiz:
    question: str
    choices: list[str]
    answer: list[str]
    explanation: str


@dataclass
class Draft:
    objectives: list[str]
    discussion: list[str]
    exercises: list[DraftExercise]
    quiz: list[DraftQuiz]


def _stable(items: Sequence[str], seed: str) -> list[str]:
    """``items`` in an order that looks shuffled but is the same on every run."""
    return sorted(items, key=lambda t: text_hash(seed + "\n" + t))


def _interleave(correct: list[str], wrong: list[str], seed: str) -> list[str]:
    """Choices in a stable order that does not put the right answer first."""
    return _stable(list(dict.fromkeys(correct + wrong)), seed)


def _point_distractors(s: Structure, points: Points, seed: str) -> list[str]:
    """Wrong choices for "which of these is one of the points": the same chapter's own
    headings and list items that are not among those points, shortest-fitting first.
    They come from the chapter, so they sound like it; they are not in the list asked
    about, so they are verifiably wrong."""
    own = {p.casefold() for p in points.items}
    longest = max(len(p.split()) for p in points.items)
    pool = [sec.heading for sec in s.sections + s.point_sections]
    pool += [item for other in s.points if other is not points for item in other.items]
    pool += [item for _, items in s.lists for item in items]
    out: list[str] = []
    seen: set[str] = set(own)
    for text in pool:
        text = text.rstrip(".").strip()
        key = text.casefold()
        if not text or key in seen or key == (points.parent or "").casefold():
            continue
        if len(text.split()) > longest + 8:  # much longer than a point: a give-away
            continue
        seen.add(key)
        out.append(text)
    return _stable(out, seed)


def _point_items(s: Structure, seed: str, loc: Localizer) -> list[DraftQuiz]:
    """Quiz items on the chapter's first run of at least three numbered points."""
    runs = [p for p in s.points if len(p.items) >= 3]
    if not runs:
        return []
    p = runs[0]
    wrong = _point_distractors(s, p, seed)
    if len(wrong) < 2:
        return []
    count, points = len(p.items), _listed(loc, p.items)
    if p.parent:
        explanation = loc.npgettext(
            "draft.points-are-under", "The %(num)s point the chapter lists under “%(heading)s” "
            "is: %(points)s.", "The %(num)s points the chapter lists under “%(heading)s” are: "
            "%(points)s.", count, heading=p.parent, points=points)
        one_of = loc.npgettext(
            "draft.which-is-one-under", "Which of these is the %(num)s point the chapter lists "
            "under “%(heading)s”?", "Which of these is one of the %(num)s points the chapter "
            "lists under “%(heading)s”?", count, heading=p.parent)
        not_one = loc.pgettext(
            "draft.which-is-not-under", "Which of these is NOT one of the points the chapter "
            "lists under “%(heading)s”?", heading=p.parent)
        among = loc.pgettext(
            "draft.which-are-among-under", "Which of these are among the points the chapter "
            "lists under “%(heading)s”? (Choose all that apply.)", heading=p.parent)
    else:
        explanation = loc.npgettext(
            "draft.points-are", "The %(num)s point the chapter lists is: %(points)s.",
            "The %(num)s points the chapter lists are: %(points)s.", count, points=points)
        one_of = loc.npgettext(
            "draft.which-is-one", "Which of these is the %(num)s point the chapter lists?",
            "Which of these is one of the %(num)s points the chapter lists?", count)
        not_one = loc.pgettext("draft.which-is-not",
                               "Which of these is NOT one of the points the chapter lists?")
        among = loc.pgettext("draft.which-are-among", "Which of these are among the points the "
                             "chapter lists? (Choose all that apply.)")
    items = [DraftQuiz(one_of, _interleave([p.items[0]], wrong[:3], seed + "1"), [p.items[0]],
                       explanation)]
    items.append(DraftQuiz(not_one, _interleave(p.items[-3:], [wrong[0]], seed + "3"),
                           [wrong[0]], explanation))
    if len(p.items) >= 4 and len(wrong) >= 3:
        picked = p.items[1:3]
        items.insert(1, DraftQuiz(among, _interleave(picked, wrong[1:3], seed + "2"), picked,
                                  explanation))
    return items


def _statement_items(s: Structure, seed: str, loc: Localizer) -> list[DraftQuiz]:
    """Quiz items on where the chapter says what: one statement per section, asked about
    with the statements of the chapter's other sections as the wrong choices, and a
    statement asked about with the chapter's other headings as the wrong choices."""
    keyed = [sec for sec in s.sections + s.point_sections if sec.key]
    if len(keyed) < 3:
        return []
    items: list[DraftQuiz] = []
    used: Section | None = None
    for sec in keyed:
        # what is said in a section nested in this one is said under it too: never wrong
        others = [o.key for o in keyed
                  if o is not sec and sec.heading not in o.ancestors and o.key]
        if sec.key and len(others) >= 2:
            items.append(DraftQuiz(
                loc.pgettext("draft.which-says-under",
                             "Which of these does the chapter say under “%(heading)s”?",
                             heading=sec.heading),
                _interleave([sec.key], _stable(others, seed + "s")[:3], seed + "4"),
                [sec.key],
                loc.pgettext("draft.says-under-others",
                             "Under “%(heading)s” the chapter says: “%(statement)s” The other "
                             "choices are what it says under other headings.",
                             heading=sec.heading, statement=_unquote(sec.key))))
            used = sec
            break
    for sec in keyed:
        # the headings a section sits under are right answers too: leave them out
        headings = [o.heading for o in keyed
                    if o is not sec and o.heading not in sec.ancestors]
        if sec is not used and sec.key and len(headings) >= 2:
            items.append(DraftQuiz(
                loc.pgettext("draft.which-heading", "Under which heading does the chapter say: "
                             "“%(statement)s”?", statement=_unquote(sec.key)),
                _interleave([sec.heading], _stable(headings, seed + "h")[:3], seed + "5"),
                [sec.heading],
                loc.pgettext("draft.says-this-under",
                             "The chapter says this under “%(heading)s”.",
                             heading=sec.heading)))
            break
    return items


def _follow_up(index: int, loc: Localizer) -> str:
    """Questions that work on any statement in any subject, varied from prompt to prompt."""
    return (
        loc.pgettext("draft.follow-up-agree", "Do you agree? Give an example from your own "
                     "experience that supports or challenges it."),
        loc.pgettext("draft.follow-up-change",
                     "What would change in your own work if you took this seriously?"),
        loc.pgettext("draft.follow-up-where", "Where have you seen this hold true, and where "
                     "not?"),
    )[index % 3]


def draft_for(chapter: Chapter, loc: Localizer) -> Draft:
    """The draft content for one chapter, made from that chapter alone, in the book's
    language (``loc``)."""
    s = chapter_structure(chapter)
    title = chapter.title
    seed = chapter.slug
    objectives: list[str] = []
    discussion: list[str] = []
    exercises: list[DraftExercise] = []

    def quote(heading: str, statement: str, follow_up: str) -> str:
        return loc.pgettext("draft.under-says", "Under “%(heading)s” the chapter says: "
                            "“%(statement)s” %(question)s", heading=heading,
                            statement=_unquote(statement), question=follow_up)

    for p in s.points[:2]:
        count, points = len(p.items), _listed(loc, p.items)
        if p.parent:
            objectives.append(loc.npgettext(
                "draft.objective-points-under", "Name the %(num)s point the chapter lists "
                "under “%(heading)s”: %(points)s", "Name the %(num)s points the chapter lists "
                "under “%(heading)s”: %(points)s", count, heading=p.parent, points=points))
            discussion.append(loc.npgettext(
                "draft.discuss-points-under", "The chapter lists %(num)s point under "
                "“%(heading)s”: %(points)s. Which one matters most in your own work, and why?",
                "The chapter lists %(num)s points under “%(heading)s”: %(points)s. Which one "
                "matters most in your own work, and why?", count, heading=p.parent,
                points=points))
        else:
            objectives.append(loc.npgettext(
                "draft.objective-points", "Name the %(num)s point the chapter lists: "
                "%(points)s", "Name the %(num)s points the chapter lists: %(points)s", count,
                points=points))
            discussion.append(loc.npgettext(
                "draft.discuss-points", "The chapter lists %(num)s point: %(points)s. Which one "
                "matters most in your own work, and why?", "The chapter lists %(num)s points: "
                "%(points)s. Which one matters most in your own work, and why?", count,
                points=points))
    parents = {p.parent for p in s.points}
    prompts = 0
    for sec in s.sections:
        if sec.heading in parents and not sec.key:
            continue  # a heading that only introduces numbered points, covered above
        objectives.append(loc.pgettext(
            "draft.objective-explain", "Explain in your own words the main point of "
            "“%(heading)s”", heading=sec.heading))
        if sec.key:
            discussion.append(quote(sec.heading, sec.key, _follow_up(prompts, loc)))
            prompts += 1
        else:
            discussion.append(loc.pgettext(
                "draft.discuss-main-point", "What is the main point of the section "
                "“%(heading)s”, and where does it apply in your own work?",
                heading=sec.heading))
    asked = [(sec.heading, q) for sec in [s.intro, *s.sections, *s.point_sections]
             for q in sec.questions]
    if asked:
        heading, question = asked[0]
        if heading:
            discussion.append(loc.pgettext(
                "draft.discuss-asks-under", "Under “%(heading)s” the chapter asks: "
                "“%(question)s” How would you answer it for your own team, and why?",
                heading=heading, question=_unquote(question)))
        else:
            discussion.append(loc.pgettext(
                "draft.discuss-asks", "The chapter asks: “%(question)s” How would you answer "
                "it for your own team, and why?", question=_unquote(question)))
    for text, who in s.quotes[:2]:
        if who:
            discussion.append(loc.pgettext(
                "draft.discuss-quote-by", "The chapter quotes: “%(quote)s” (%(who)s) Do you "
                "agree? What would it change in your own work?", quote=text, who=who))
        else:
            discussion.append(loc.pgettext(
                "draft.discuss-quote", "The chapter quotes: “%(quote)s” Do you agree? What "
                "would it change in your own work?", quote=text))
    for parent, items in s.lists[:2]:
        first = (_first_sentence(items[0]) or items[0]).rstrip(".")
        if parent:
            discussion.append(loc.npgettext(
                "draft.discuss-list-under", "The chapter gives a list under “%(heading)s”, "
                "starting with “%(first)s”. Does your team already do its %(num)s item well?",
                "The chapter gives a list under “%(heading)s”, starting with “%(first)s”. "
                "Which of its %(num)s items does your team already do well, and which would "
                "you start with?", len(items), heading=parent, first=first))
        else:
            discussion.append(loc.npgettext(
                "draft.discuss-list", "The chapter gives a list, starting with “%(first)s”. "
                "Does your team already do its %(num)s item well?",
                "The chapter gives a list, starting with “%(first)s”. Which of its %(num)s "
                "items does your team already do well, and which would you start with?",
                len(items), first=first))
    for sec in s.point_sections:
        if len(discussion) >= 5 or not sec.key:
            continue
        discussion.append(loc.pgettext(
            "draft.discuss-on", "On “%(heading)s” the chapter says: “%(statement)s” "
            "%(question)s", heading=sec.heading, statement=_unquote(sec.key),
            question=_follow_up(prompts, loc)))
        prompts += 1
    if len(discussion) < 3 and s.intro.key:
        discussion.append(loc.pgettext(
            "draft.discuss-opens", "The chapter opens: “%(statement)s” %(question)s",
            statement=_unquote(s.intro.key), question=_follow_up(prompts, loc)))
    if len(discussion) < 3:
        discussion.append(loc.pgettext("draft.discuss-surprised", "Which idea in “%(title)s” "
                                       "surprised you most, and why?", title=title))
    if len(discussion) < 3:
        discussion.append(loc.pgettext("draft.discuss-explain", "Which part of “%(title)s” "
                                       "would you explain to a new colleague first, and how?",
                                       title=title))
    if len(objectives) < 2:
        objectives.append(loc.pgettext("draft.objective-apply", "Apply one idea from "
                                       "“%(title)s” to a real situation in your own work",
                                       title=title))
    objectives = list(dict.fromkeys(objectives))[:4]
    discussion = list(dict.fromkeys(discussion))[:5]

    if s.points:
        p = s.points[0]
        count = len(p.items)
        steps = [loc.npgettext(
            "draft.group-split-under", "Split into %(num)s group and give it the point the "
            "chapter lists under “%(heading)s”:", "Split into %(num)s groups and give each "
            "group one of the points the chapter lists under “%(heading)s”:", count,
            heading=p.parent) if p.parent else loc.npgettext(
            "draft.group-split", "Split into %(num)s group and give it the point the chapter "
            "lists:", "Split into %(num)s groups and give each group one of the points the "
            "chapter lists:", count)]
        steps += [f"- {item}" for item in p.items]
        steps += [loc.pgettext("draft.group-step-1", "1. Restate your point in one sentence, "
                               "using the chapter’s own words."),
                  loc.pgettext("draft.group-step-2", "2. Find one real example from your own "
                               "work where this point applies."),
                  loc.pgettext("draft.group-step-3",
                               "3. Agree one practical step you could take because of it."),
                  loc.pgettext("draft.group-step-4", "4. Present your point, example and step "
                               "to the room in two minutes.")]
        exercises.append(DraftExercise(
            loc.npgettext("draft.group-title", "The %(num)s point", "The %(num)s points",
                          count), "group", 20, steps,
            [loc.pgettext("draft.group-debrief-1", "Listen for examples that match what the "
                          "chapter actually says under each point: %(points)s.",
                          points=_listed(loc, p.items)),
             loc.pgettext("draft.group-debrief-2",
                          "Write here what a good answer for each point sounds like.")]))
    if s.lists:
        parent, items = s.lists[0]
        steps = [loc.pgettext("draft.list-intro-under", "Work on your own with the list the "
                              "chapter gives under “%(heading)s”:", heading=parent)
                 if parent else
                 loc.pgettext("draft.list-intro",
                              "Work on your own with the list the chapter gives:")]
        steps += [f"- {item}" for item in items]
        steps += [loc.pgettext("draft.list-step-1", "1. Rate each item from 1 (we never do "
                               "this) to 5 (we always do this)."),
                  loc.pgettext("draft.list-step-2", "2. Choose the item with the lowest rating "
                               "that matters most in your work."),
                  loc.pgettext("draft.list-step-3", "3. Write one specific step you will take "
                               "this week, and how you will know it worked.")]
        exercises.append(DraftExercise(
            loc.pgettext("draft.list-title", "From the chapter’s list"), "action-plan", 15,
            steps,
            [loc.pgettext("draft.list-debrief-1",
                          "Check that each plan names a specific, observable step."),
             loc.pgettext("draft.list-debrief-2", "Write here which items the group usually "
                          "rates lowest and how to respond.")]))
    headings = [sec.heading for sec in s.sections] or [
        item for p in s.points for item in p.items]
    steps = [loc.pgettext("draft.reflect-intro", "Work on your own and in silence.")]
    if s.quotes:
        steps.append(loc.pgettext("draft.reflect-quote", "1. Reread the quotation “%(quote)s” "
                                  "and write what it means for your role.",
                                  quote=s.quotes[0][0]))
    elif headings:
        steps.append(loc.pgettext("draft.reflect-parts", "1. For each part of the chapter, "
                                  "write one sentence on what it asks of you: %(parts)s.",
                                  parts=_listed(loc, headings)))
    else:
        steps.append(loc.pgettext("draft.reflect-main-point",
                                  "1. Write the main point of “%(title)s” in one sentence.",
                                  title=title))
    steps += [loc.pgettext("draft.reflect-step-2", "2. Note one recent situation from your own "
                           "work where this would have made a difference."),
              loc.pgettext("draft.reflect-step-3",
                           "3. Write what you will do differently next time.")]
    exercises.append(DraftExercise(
        loc.pgettext("exercise-kind.reflection", "Reflection"), "reflection", 10, steps,
        [loc.pgettext("draft.reflect-debrief-1",
                      "Invite, but do not require, volunteers to share."),
         loc.pgettext("draft.reflect-debrief-2",
                      "Write here which passage of the chapter to point back to.")]))

    quiz = (_point_items(s, seed, loc) + _statement_items(s, seed, loc))[:3]
    return Draft(objectives, discussion, exercises, quiz)


def draft_yaml(chapter: Chapter, d: Draft) -> str:
    """The text of a draft course/<stem>.yaml."""
    out = [
        f"{DRAFT_MARKER} course file for chapter {chapter.number}, “{_clean(chapter.title)}”.",
        f"# Drafted by `cxbook draft-course` from manuscript/{chapter.stem}.md: its section",
        "# headings and statements, numbered points, lists, quotations and questions. No",
        "# trainer has checked it yet. Edit every item: keep what fits, rewrite the rest,",
        "# write real debrief notes, make sure every question can be answered from the",
        "# chapter, then delete this comment (`cxbook check` warns until you do).",
        "",
        "objectives:",
        *(f"  - {_q(o)}" for o in d.objectives),
        "",
        "discussion:",
        *(f"  - {_q(t)}" for t in d.discussion),
        "",
        "exercises:",
    ]
    for ex in d.exercises:
        out += [f"  - title: {_q(ex.title)}",
                f"    kind: {ex.kind}",
                f"    minutes: {ex.minutes}",
                "    instructions: " + _block(ex.instructions, 6).rstrip("\n"),
                "    debrief: " + _block(ex.debrief, 6).rstrip("\n")]
    out.append("")
    if d.quiz:
        out.append("# Quiz items drafted from the chapter's points and statements; every wrong")
        out.append("# choice is something this chapter says that does not answer the question.")
        out.append("# Check each one, and add items of your own.")
        out.append("quiz:")
        for item in d.quiz:
            out.append(f"  - question: {_q(item.question)}")
            out.append("    choices:")
            out += [f"      - {_q(c)}" for c in item.choices]
            if len(item.answer) == 1:
                out.append(f"    answer: {_q(item.answer[0])}")
            else:
                out.append("    answer:")
                out += [f"      - {_q(a)}" for a in item.answer]
            out.append(f"    explanation: {_q(item.explanation)}")
    else:
        out += [
            "# No quiz items were drafted: the chapter has neither three numbered points nor",
            "# three sections with a statement to check against.",
            "# Add 3 to 5 items whose answers the chapter states, for example:",
            "# quiz:",
            "#   - question: According to the chapter, …?",
            "#     choices:",
            "#       - The answer the chapter gives",
            "#       - A plausible wrong answer",
            "#     answer: The answer the chapter gives",
            "#     explanation: Quote the sentence that states it.",
        ]
    return "\n".join(out) + "\n"


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless ``path`` exists; False when it does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".draft-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails, never replaces, when the file exists
        except FileExistsError:
            return False
        except OSError:
            if path.exists():
                return False
            os.replace(tmp, path)
            tmp = ""
        return True
    finally:
        if tmp:
            os.unlink(tmp)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def draft_course(project: Project, root: Path, stems: list[str] | None) -> list[str]:
    """Draft course/<stem>.yaml for the given chapters (all when None) that have no course
    file; returns one message per chapter."""
    chosen = project.chapters if stems is None else [
        ch for ch in project.chapters if ch.stem in set(stems)]
    folder = root / "course"
    loc = localizer(project.book)
    messages: list[str] = []
    for chapter in chosen:
        existing = [folder / f"{chapter.stem}{ext}" for ext in (".yaml", ".yml")]
        found = next((p for p in existing if p.exists()), None)
        if found is not None:
            messages.append(f"skipped course/{found.name}: exists")
            continue
        d = draft_for(chapter, loc)
        text = draft_yaml(chapter, d)
        if not _write_new(existing[0], text):
            messages.append(f"skipped course/{existing[0].name}: exists")
            continue
        quiz = _count(len(d.quiz), "quiz item") if d.quiz else "no quiz items (add your own)"
        messages.append(
            f"wrote course/{existing[0].name} (draft: {_count(len(d.objectives), 'objective')}, "
            f"{_count(len(d.discussion), 'discussion prompt')}, "
            f"{_count(len(d.exercises), 'exercise')}, {quiz})")
    if not chosen:
        messages.append("no chapters to draft")
    return messages
