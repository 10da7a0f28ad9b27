"""`cxbook draft-course`: a starting course/<stem>.yaml for chapters that have none.

Everything in a draft comes from the chapter's own structure: its section headings, numbered
points (numbered headings and ordered lists), bulleted lists and quotations. Quiz items are
drafted only where that structure gives a verifiable answer: the chapter's own numbered points,
against distractors taken from other chapters' headings. Existing files are never replaced.
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
from .model import Chapter, Project

NUMBERED_RE = re.compile(r"^\s*#?\s*(\d{1,3})\s*[.):]\s*(\S.*)$")
HEADINGS = ("h2", "h3", "h4", "h5", "h6")
MAX_TEXT = 220


@dataclass
class Points:
    """A run of numbered points: numbered headings of one level, or an ordered list."""

    parent: str | None  # the heading they sit under, None for the chapter itself
    items: list[str]


@dataclass
class Section:
    heading: str
    first_sentence: str | None


@dataclass
class Structure:
    sections: list[Section] = field(default_factory=list)
    points: list[Points] = field(default_factory=list)
    lists: list[tuple[str | None, list[str]]] = field(default_factory=list)
    quotes: list[tuple[str, str | None]] = field(default_factory=list)  # text, attribution
    point_sections: list[Section] = field(default_factory=list)  # numbered headings


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
    for el in root:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in HEADINGS:
            heading = by_anchor.get(el.get("id") or "")
            current = heading.text if heading else _clean(el.text_content())
            numbered = NUMBERED_RE.match(current) is not None
            pending = Section(_point_text(current) if numbered else current, None)
            (out.point_sections if numbered else out.sections).append(pending)
            continue
        if tag == "p" and pending is not None and pending.first_sentence is None:
            pending.first_sentence = _first_sentence(el.text_content())
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


def _under(parent: str | None) -> str:
    return f" under “{parent}”" if parent else ""


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


def _distractors(chapter: Chapter, others: Sequence[Chapter], own: set[str]) -> list[str]:
    """Headings of other chapters (numbered points first), in a stable shuffled order."""
    points: list[str] = []
    rest: list[str] = []
    for other in others:
        if other.stem == chapter.stem:
            continue
        for h in other.headings:
            target = points if NUMBERED_RE.match(h.text) else rest
            target.append(_point_text(h.text))
    seen = {o.casefold() for o in own}
    out: list[str] = []
    for group in (points, rest):
        for text in sorted(group, key=lambda t: text_hash(chapter.slug + "\n" + t)):
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                out.append(text)
    return out


def _interleave(correct: list[str], wrong: list[str], seed: str) -> list[str]:
    """Choices in a stable order that does not put the right answer first."""
    return sorted(dict.fromkeys(correct + wrong), key=lambda t: text_hash(seed + "\n" + t))


def draft_for(chapter: Chapter, others: Sequence[Chapter]) -> Draft:
    """The draft content for one chapter."""
    s = chapter_structure(chapter)
    title = chapter.title
    objectives: list[str] = []
    discussion: list[str] = []
    exercises: list[DraftExercise] = []
    quiz: list[DraftQuiz] = []

    for p in s.points[:2]:
        objectives.append(f"Identify the {len(p.items)} points the chapter lists "
                          f"{_under(p.parent)}: " + "; ".join(p.items))
        discussion.append(f"The chapter lists {len(p.items)} points{_under(p.parent)}: "
                          + "; ".join(p.items)
                          + ". Which one matters most in your role, and why?")
    parents = {p.parent for p in s.points}
    for sec in s.sections:
        if sec.heading in parents and not sec.first_sentence:
            continue  # a heading that only introduces numbered points, covered above
        objectives.append(f"Explain what the chapter says under “{sec.heading}”")
        if sec.first_sentence:
            discussion.append(f"Under “{sec.heading}” the chapter says: "
                              f"“{_unquote(sec.first_sentence)}” What would that look like "
                              "in your own work with customers?")
        else:
            discussion.append(f"What is the main point of the section “{sec.heading}”, and "
                              "where does it apply in your own work?")
    for text, who in s.quotes[:2]:
        source = f" ({who})" if who else ""
        discussion.append(f"The chapter quotes: “{text}”{source} Do you agree? What would it "
                          "change in the way we serve customers?")
    for parent, items in s.lists[:2]:
        first = (_first_sentence(items[0]) or items[0]).rstrip(".")
        discussion.append(f"The chapter gives a list{_under(parent)}, starting with "
                          f"“{first}”. Which of its {len(items)} items do we already do "
                          "well, and which would we start with?")
    for sec in s.point_sections:
        if len(discussion) >= 5 or not sec.first_sentence:
            continue
        discussion.append(f"On “{sec.heading}” the chapter says: “{_unquote(sec.first_sentence)}”"
                          " How does this apply to the way we serve customers?")
    if len(discussion) < 3 and chapter.summary:
        discussion.append(f"The chapter opens: “{_shorten(chapter.summary)}” What does this "
                          "mean for the customers you serve?")
    if len(discussion) < 3:
        discussion.append(f"Which idea in “{title}” surprised you most, and why?")
    if len(discussion) < 3:
        discussion.append(f"Which part of “{title}” would you explain to a new colleague "
                          "first, and how?")
    if len(objectives) < 2:
        objectives.append(f"Apply one idea from “{title}” to a real customer interaction")
    objectives = list(dict.fromkeys(objectives))[:4]
    discussion = list(dict.fromkeys(discussion))[:5]

    if s.points:
        p = s.points[0]
        steps = [f"Split into {len(p.items)} groups and give each group one of the points "
                 f"the chapter lists{_under(p.parent)}:"]
        steps += [f"- {item}" for item in p.items]
        steps += ["1. Restate your point in one sentence, using the chapter’s own words.",
                  "2. Find one real example from our work where this point applies.",
                  "3. Agree one practical step we could take because of it.",
                  "4. Present your point, example and step to the room in two minutes."]
        exercises.append(DraftExercise(
            f"The {len(p.items)} points", "group", 20, steps,
            ["Listen for examples that match what the chapter actually says under each point: "
             + "; ".join(p.items) + ".",
             "Write here what a good answer for each point sounds like."]))
    if s.lists:
        parent, items = s.lists[0]
        steps = [f"Work on your own with the list the chapter gives{_under(parent)}:"]
        steps += [f"- {item}" for item in items]
        steps += ["1. Rate each item from 1 (we never do this) to 5 (we always do this).",
                  "2. Choose the item with the lowest rating that matters most to customers.",
                  "3. Write one specific step you will take this week, and how you will know "
                  "it worked."]
        exercises.append(DraftExercise(
            "From the chapter’s list", "action-plan", 15, steps,
            ["Check that each plan names a specific, observable step.",
             "Write here which items the group usually rates lowest and how to respond."]))
    headings = [sec.heading for sec in s.sections] or [
        item for p in s.points for item in p.items]
    steps = ["Work on your own and in silence."]
    if s.quotes:
        steps.append(f"1. Reread the quotation “{s.quotes[0][0]}” and write what it means "
                     "for your role.")
    elif headings:
        steps.append("1. For each part of the chapter, write one sentence on what it asks of "
                     "you: " + "; ".join(headings) + ".")
    else:
        steps.append(f"1. Write the main point of “{title}” in one sentence.")
    steps += ["2. Note one recent customer situation where this would have made a difference.",
              "3. Write what you will do differently next time."]
    exercises.append(DraftExercise(
        "Reflection", "reflection", 10, steps,
        ["Invite, but do not require, volunteers to share.",
         "Write here which passage of the chapter to point back to."]))

    if s.points and len(s.points[0].items) >= 3:
        p = s.points[0]
        own = {i for pts in s.points for i in pts.items} | {h.text for h in chapter.headings}
        wrong = _distractors(chapter, others, own)
        where = _under(p.parent)
        listing = "; ".join(p.items)
        explanation = f"The points the chapter lists{where} are: {listing}."
        if len(wrong) >= 2:
            seed = chapter.slug
            quiz.append(DraftQuiz(
                f"Which of these is one of the points the chapter lists{where}?",
                _interleave([p.items[0]], wrong[:3], seed + "1"), [p.items[0]], explanation))
            picked = p.items[1:3]
            quiz.append(DraftQuiz(
                f"Which of these are among the points the chapter lists{where}? "
                "(Choose all that apply.)",
                _interleave(picked, wrong[3:5] or wrong[:2], seed + "2"), picked, explanation))
            others_ = p.items[-3:]
            quiz.append(DraftQuiz(
                f"Which of these is NOT one of the points the chapter lists{where}?",
                _interleave(others_, [wrong[0]], seed + "3"), [wrong[0]], explanation))
    return Draft(objectives, discussion, exercises, quiz)


def draft_yaml(chapter: Chapter, d: Draft) -> str:
    """The text of a draft course/<stem>.yaml."""
    out = [
        f"# DRAFT course file for chapter {chapter.number}, “{_clean(chapter.title)}”.",
        f"# Drafted by `cxbook draft-course` from manuscript/{chapter.stem}.md: its section",
        "# headings, numbered points, lists and quotations. No trainer has checked it yet.",
        "# Edit every item: keep what fits, rewrite the rest, write real debrief notes, make",
        "# sure every question can be answered from the chapter, then delete this comment.",
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
        out.append("# Quiz items drafted from the chapter's numbered points; the wrong choices "
                   "are")
        out.append("# headings of other chapters. Check each one, and add items of your own.")
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
            "# No quiz items were drafted: the chapter has no numbered points to check against.",
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
    messages: list[str] = []
    for chapter in chosen:
        existing = [folder / f"{chapter.stem}{ext}" for ext in (".yaml", ".yml")]
        found = next((p for p in existing if p.exists()), None)
        if found is not None:
            messages.append(f"skipped course/{found.name}: exists")
            continue
        d = draft_for(chapter, project.chapters)
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
