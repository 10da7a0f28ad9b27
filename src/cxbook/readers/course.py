"""course/course.yaml and course/<chapter-stem>.yaml, parsed from text."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..diagnostics import Diagnostics, SourceLocation, did_you_mean
from ..model import EXERCISE_KINDS
from ..yamlsrc import BOOL_TAG, YamlContext, compose_yaml

COURSE_KEYS = ("title", "id", "mastery_score", "templates", "editions", "acknowledge")
EDITION_KEYS = ("reader", "workbook")
# course.yaml 'editions': each key's values, the default first
EDITION_VALUES = {"reader": ("with-activities", "plain"), "workbook": ("summary", "full-text")}
TEMPLATE_KEYS = ("discussion", "exercises")
CHAPTER_KEYS = ("objectives", "discussion", "exercises", "quiz", "acknowledge")
EXERCISE_KEYS = ("id", "title", "kind", "minutes", "instructions", "debrief")
QUIZ_KEYS = ("id", "question", "choices", "answer", "explanation")
PLACEHOLDERS = ("title", "author", "number", "publication")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
MAX_CHOICES = 26  # choices are lettered a) to z)
# The first line of the comment that `cxbook draft-course` puts at the top of a draft.
DRAFT_MARKER = "# DRAFT"


@dataclass(frozen=True)
class RawText:
    text: str
    location: SourceLocation


@dataclass(frozen=True)
class RawExercise:
    id: str | None
    title: str
    kind: str
    minutes: int | None
    instructions: str
    debrief: str | None
    location: SourceLocation


@dataclass(frozen=True)
class RawQuiz:
    id: str | None
    question: str
    choices: tuple[str, ...]
    correct: tuple[int, ...]
    explanation: str | None
    location: SourceLocation


@dataclass(frozen=True)
class CourseSettings:
    title: str | None
    id: str | None
    mastery_score: int
    discussion_templates: tuple[RawText, ...]
    exercise_templates: tuple[RawExercise, ...]
    location: SourceLocation
    title_location: SourceLocation | None = None
    id_location: SourceLocation | None = None
    acknowledge: tuple[tuple[str, SourceLocation], ...] = ()
    reader_activities: bool = True  # editions.reader: with-activities (True) or plain
    workbook_text: bool = False  # editions.workbook: summary (False) or full-text


@dataclass(frozen=True)
class ChapterCourse:
    stem: str
    objectives: tuple[str, ...]
    discussion: tuple[RawText, ...]
    exercises: tuple[RawExercise, ...]
    quiz: tuple[RawQuiz, ...]
    location: SourceLocation
    acknowledge: tuple[tuple[str, SourceLocation], ...] = ()


def warn_if_draft(text: str, path: str, diags: Diagnostics) -> None:
    """A course file whose leading comment still carries the DRAFT marker of
    ``cxbook draft-course`` has not been checked by a trainer yet."""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return
        if stripped.startswith(DRAFT_MARKER):
            diags.warning(SourceLocation(path, number), "this course file is still marked as "
                          f"a draft ('{DRAFT_MARKER}' comment written by 'cxbook "
                          "draft-course'); check every item against the chapter, then delete "
                          "the comment", "course.draft")
            return


def parse_course(text: str, path: str, diags: Diagnostics) -> CourseSettings | None:
    warn_if_draft(text, path, diags)
    root = compose_yaml(text, path, diags)
    if root is None:
        return None
    ctx = YamlContext(path, diags, text=text)
    fields = ctx.mapping(root, allowed=COURSE_KEYS, what="course.yaml")
    if fields is None:
        return None
    title = ctx.optional_string(fields.get("title"), "'title'")
    course_id = None
    if "id" in fields:
        course_id = ctx.string(fields["id"], "'id'")
        if course_id is not None and not ID_RE.match(course_id.strip()):
            diags.error(ctx.loc(fields["id"]), f"course 'id' must be letters, digits, '-' or "
                        f"'_' (at most 64), not '{course_id}'", "course.id")
            course_id = None
    mastery = 80
    if "mastery_score" in fields:
        value = ctx.integer(fields["mastery_score"], "'mastery_score'", low=0, high=100)
        if value is not None:
            mastery = value
    discussion: list[RawText] = []
    exercises: list[RawExercise] = []
    if "templates" in fields and not ctx.is_null(fields["templates"]):
        templates = ctx.mapping(fields["templates"], allowed=TEMPLATE_KEYS,
                                what="'templates'")
        if templates is not None:
            for item in _texts(ctx, templates.get("discussion"), "template discussion"):
                if _check_placeholders(ctx, item[1], item[0].text):
                    discussion.append(item[0])
            seen_ids: dict[str, SourceLocation] = {}
            for node in _seq(ctx, templates, "exercises"):
                ex = _exercise(ctx, node)
                if ex is not None:
                    if ex.id is not None:
                        _unique(ctx, seen_ids, ex.id, ex.location)
                    exercises.append(ex)
    editions = {key: values[0] for key, values in EDITION_VALUES.items()}
    if "editions" in fields and not ctx.is_null(fields["editions"]):
        editions.update(_editions(ctx, fields["editions"]))
    return CourseSettings(
        title=title.strip() if title else None,
        id=course_id.strip() if course_id else None,
        mastery_score=mastery,
        discussion_templates=tuple(discussion),
        exercise_templates=tuple(exercises),
        location=SourceLocation(path),
        title_location=ctx.loc(fields["title"]) if "title" in fields else None,
        id_location=ctx.loc(fields["id"]) if "id" in fields else None,
        acknowledge=tuple(ctx.codes(fields.get("acknowledge"))),
        reader_activities=editions["reader"] == "with-activities",
        workbook_text=editions["workbook"] == "full-text",
    )


def _editions(ctx: YamlContext, node: yaml.Node) -> dict[str, str]:
    """course.yaml 'editions': what the reader editions and the workbook hold."""
    fields = ctx.mapping(node, allowed=EDITION_KEYS, what="'editions'")
    out: dict[str, str] = {}
    for key, value_node in (fields or {}).items():
        value = ctx.string(value_node, f"'editions.{key}'")
        if value is None:
            continue
        allowed = EDITION_VALUES[key]
        if value.strip() not in allowed:
            ctx.diags.error(ctx.loc(value_node), f"'editions.{key}' must be "
                            f"{' or '.join(allowed)}, not '{value}'"
                            f"{did_you_mean(value.strip(), allowed)}", "course.edition")
            continue
        out[key] = value.strip()
    return out


def parse_chapter_course(
    text: str, path: str, stem: str, diags: Diagnostics
) -> ChapterCourse | None:
    warn_if_draft(text, path, diags)
    root = compose_yaml(text, path, diags)
    if root is None:
        return None
    ctx = YamlContext(path, diags, text=text)
    fields = ctx.mapping(root, allowed=CHAPTER_KEYS, what=f"course/{stem}.yaml")
    if fields is None:
        return None
    objectives = tuple(t.text for t, node in _texts(ctx, fields.get("objectives"), "objective")
                       if _check_placeholders(ctx, node, t.text))
    discussion = tuple(t for t, node in _texts(ctx, fields.get("discussion"),
                                               "discussion question")
                       if _check_placeholders(ctx, node, t.text))
    exercises: list[RawExercise] = []
    seen_ids: dict[str, SourceLocation] = {}
    for node in _seq(ctx, fields, "exercises"):
        ex = _exercise(ctx, node)
        if ex is not None:
            if ex.id is not None:
                _unique(ctx, seen_ids, ex.id, ex.location)
            exercises.append(ex)
    quiz: list[RawQuiz] = []
    for node in _seq(ctx, fields, "quiz"):
        item = _quiz(ctx, node)
        if item is not None:
            if item.id is not None:
                _unique(ctx, seen_ids, item.id, item.location)
            quiz.append(item)
    return ChapterCourse(stem, objectives, discussion, tuple(exercises), tuple(quiz),
                         SourceLocation(path), tuple(ctx.codes(fields.get("acknowledge"))))


def _unique(ctx: YamlContext, seen: dict[str, SourceLocation], ident: str,
            loc: SourceLocation) -> None:
    if ident in seen:
        ctx.diags.error(loc, f"id '{ident}' is used twice in this file (first at line "
                        f"{seen[ident].line}); ids must be unique", "course.duplicate-id")
    else:
        seen[ident] = loc


def _seq(ctx: YamlContext, fields: dict[str, yaml.Node], key: str) -> list[yaml.Node]:
    if key not in fields:
        return []
    return ctx.sequence(fields[key], f"'{key}'") or []


def _texts(
    ctx: YamlContext, node: yaml.Node | None, what: str
) -> list[tuple[RawText, yaml.Node]]:
    if node is None:
        return []
    out = []
    for item in ctx.sequence(node, f"the {what}s") or []:
        text = ctx.string(item, f"a {what}")
        if text is not None:
            out.append((RawText(" ".join(text.split()), ctx.loc(item)), item))
    return out


def _check_placeholders(ctx: YamlContext, node: yaml.Node, text: str) -> bool:
    ok = True
    occurrences: dict[str, int] = {}
    for match in PLACEHOLDER_RE.finditer(text):
        name = match.group(1)
        if name is None:
            continue
        needle = match.group(0)
        n = occurrences.get(needle, 0)
        occurrences[needle] = n + 1
        if name not in PLACEHOLDERS:
            hint = did_you_mean(name, PLACEHOLDERS)
            ctx.diags.error(
                ctx.locate_in(node, needle, n),
                f"unknown placeholder '{{{name}}}'{hint}; the placeholders are "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                + " (write {{ and }} for literal braces)",
                "course.unknown-placeholder",
            )
            ok = False
    return ok


def _exercise(ctx: YamlContext, node: yaml.Node) -> RawExercise | None:
    fields = ctx.mapping(node, allowed=EXERCISE_KEYS, required=("title", "instructions"),
                         what="an exercise")
    if fields is None:
        return None
    ok = True
    title = ctx.string(fields["title"], "exercise 'title'") if "title" in fields else None
    instructions = (ctx.string(fields["instructions"], "exercise 'instructions'")
                    if "instructions" in fields else None)
    debrief = ctx.optional_string(fields.get("debrief"), "exercise 'debrief'")
    for key, value in (("title", title), ("instructions", instructions), ("debrief", debrief)):
        if value is not None and not _check_placeholders(ctx, fields[key], value):
            ok = False
    kind = "reflection"
    if "kind" in fields:
        value = ctx.string(fields["kind"], "exercise 'kind'")
        if value is not None:
            if value.strip() not in EXERCISE_KINDS:
                ctx.diags.error(
                    ctx.loc(fields["kind"]),
                    f"exercise kind '{value}' is not one of {', '.join(EXERCISE_KINDS)}"
                    f"{did_you_mean(value, EXERCISE_KINDS)}",
                    "course.exercise-kind",
                )
                ok = False
            else:
                kind = value.strip()
    minutes = None
    if "minutes" in fields and not ctx.is_null(fields["minutes"]):
        minutes = ctx.integer(fields["minutes"], "exercise 'minutes'", low=1, high=600)
        ok = ok and minutes is not None
    id_ok, ident = _ident(ctx, fields)
    if title is None or instructions is None or not ok or not id_ok:
        return None
    return RawExercise(ident, " ".join(title.split()), kind, minutes, instructions.strip(),
                       debrief.strip() if debrief else None, ctx.loc(node))


def _ident(ctx: YamlContext, fields: dict[str, yaml.Node]) -> tuple[bool, str | None]:
    """(valid, the explicit id or None when absent); an invalid id is reported."""
    if "id" not in fields:
        return True, None
    value = ctx.string(fields["id"], "'id'")
    if value is None:
        return False, None
    if not ID_RE.match(value.strip()):
        ctx.diags.error(ctx.loc(fields["id"]), f"id '{value}' must start with a letter or "
                        "digit and contain only letters, digits, '-' and '_' (at most 64)",
                        "course.id")
        return False, None
    return True, value.strip()


def _choice_text(ctx: YamlContext, node: yaml.Node, what: str) -> str | None:
    """A choice or answer as text. An unquoted true/false/yes/no is taken as the word
    ("False"), so a true/false item can be written without quotes."""
    if isinstance(node, yaml.ScalarNode) and node.tag == BOOL_TAG:
        return str(node.value).capitalize()
    text = ctx.string(node, what, allow_empty=True)
    if text is None:
        return None
    if not text.strip():
        ctx.diags.error(ctx.loc(node), f"{what} is empty; write its text", "course.empty")
        return None
    return " ".join(text.split())


def _question(ctx: YamlContext, node: yaml.Node) -> str | None:
    if ctx.is_null(node) or (isinstance(node, yaml.ScalarNode) and not node.value.strip()):
        ctx.diags.error(ctx.loc(node), "quiz question is empty; write the question the "
                        "learner answers", "course.empty-question")
        return None
    text = ctx.string(node, "quiz 'question'")
    if text is None or not _check_placeholders(ctx, node, text):
        return None
    return " ".join(text.split())


def _quiz(ctx: YamlContext, node: yaml.Node) -> RawQuiz | None:
    fields = ctx.mapping(node, allowed=QUIZ_KEYS,
                         required=("question", "choices", "answer"), what="a quiz item")
    if fields is None:
        return None
    ok = True
    question = _question(ctx, fields["question"]) if "question" in fields else None
    choices: list[str] = []
    choice_nodes: dict[str, yaml.Node] = {}
    choice_list = (ctx.sequence(fields["choices"], "quiz 'choices'")
                   if "choices" in fields else None)
    if choice_list is None:
        ok = False
    else:
        for item in choice_list:
            text = _choice_text(ctx, item, "a quiz choice")
            if text is None or not _check_placeholders(ctx, item, text):
                ok = False
                continue
            if text in choice_nodes:
                first = ctx.loc(choice_nodes[text])
                ctx.diags.error(ctx.loc(item), f"choice '{text}' is given twice (first at "
                                f"line {first.line}); each choice must be different",
                                "course.duplicate-choice")
                ok = False
                continue
            choice_nodes[text] = item
            choices.append(text)
        if ok and len(choices) < 2:
            ctx.diags.error(ctx.loc(fields["choices"]), "a quiz item needs at least two "
                            "choices", "course.too-few-choices")
            ok = False
        if len(choices) > MAX_CHOICES:
            ctx.diags.error(ctx.loc(fields["choices"]), f"a quiz item has at most "
                            f"{MAX_CHOICES} choices, not {len(choices)}",
                            "course.too-many-choices")
            ok = False
    correct: list[int] = []
    if "answer" in fields and choices:
        node_answer = fields["answer"]
        answer_nodes = (node_answer.value if isinstance(node_answer, yaml.SequenceNode)
                        else [] if ctx.is_null(node_answer) else [node_answer])
        answers = []
        for anode in answer_nodes:
            text = _choice_text(ctx, anode, "quiz 'answer'")
            if text is None:
                ok = False
            else:
                answers.append((text, anode))
        if not answer_nodes:
            ctx.diags.error(ctx.loc(node_answer), "quiz item has no correct answer; set "
                            "'answer' to the text of the right choice (a list when several "
                            "are right)", "course.no-answer")
            ok = False
        listing = ", ".join(f"'{c}'" for c in choices)
        for text, anode in answers:
            if text not in choices:
                ctx.diags.error(
                    ctx.loc(anode),
                    f"answer '{text}' matches no choice{did_you_mean(text, choices)}; the "
                    f"answer must repeat a choice's text exactly; the choices are: {listing}",
                    "course.answer-not-a-choice",
                )
                ok = False
            elif choices.index(text) in correct:
                ctx.diags.error(ctx.loc(anode), f"answer '{text}' is given twice",
                                "course.duplicate-answer")
                ok = False
            else:
                correct.append(choices.index(text))
    explanation = ctx.optional_string(fields.get("explanation"), "quiz 'explanation'")
    if explanation is not None and not _check_placeholders(ctx, fields["explanation"],
                                                           explanation):
        ok = False
    id_ok, ident = _ident(ctx, fields)
    if question is None or not ok or not id_ok or not correct:
        return None
    return RawQuiz(ident, question, tuple(choices), tuple(sorted(correct)),
                   " ".join(explanation.split()) if explanation else None, ctx.loc(node))
