"""course/course.yaml and course/<chapter-stem>.yaml, parsed from text."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from ..diagnostics import Diagnostics, SourceLocation, did_you_mean
from ..model import DEFAULT_QUESTION_MINUTES, EXERCISE_KINDS
from ..yamlsrc import BOOL_TAG, FLOAT_TAG, INT_TAG, NULL_TAG, STR_TAG, YamlContext, compose_yaml

COURSE_KEYS = ("title", "id", "mastery_score", "templates", "editions", "acknowledge",
               "session_minutes", "prompt_minutes", "question_minutes")
EDITION_KEYS = ("reader", "workbook")
# course.yaml 'editions': each key's values, the default first
EDITION_VALUES = {"reader": ("with-activities", "plain"), "workbook": ("summary", "full-text")}
TEMPLATE_KEYS = ("discussion", "exercises")
CHAPTER_KEYS = ("objectives", "discussion", "exercises", "quiz", "acknowledge",
                "discussion_minutes")
EXERCISE_KEYS = ("id", "title", "kind", "minutes", "instructions", "debrief")
# Quiz items: the keys every type has, then each type's own (docs/FORMAT.md, "Quiz items")
QUIZ_COMMON_KEYS = ("id", "question", "explanation", "type", "minutes")
QUIZ_TYPE_KEYS = {
    "choice": ("id", "question", "choices", "answer", "explanation", "type", "shuffle",
               "minutes"),
    "fill-in": ("id", "question", "answer", "case_sensitive", "explanation", "type",
                "minutes"),
    "numeric": ("id", "question", "answer", "tolerance", "range", "unit", "explanation",
                "type", "minutes"),
    "matching": ("id", "question", "pairs", "targets", "explanation", "type", "shuffle",
                 "minutes"),
    "ordering": ("id", "question", "sequence", "explanation", "type", "shuffle", "minutes"),
}
QUIZ_REQUIRED = {"choice": ("question", "choices", "answer"), "fill-in": ("question", "answer"),
                 "numeric": ("question",), "matching": ("question", "pairs"),
                 "ordering": ("question", "sequence")}
QUESTION_KINDS = tuple(QUIZ_TYPE_KEYS)
KIND_NAMES = {"choice": "a quiz item", "fill-in": "a fill-in question",
              "numeric": "a numeric question", "matching": "a matching question",
              "ordering": "an ordering question"}
QUIZ_KEYS = QUIZ_TYPE_KEYS["choice"]
CHOICE_KEYS = ("text", "feedback")
NUMBER_WORDS = {2: "two"}
# A number in a course file: what SCORM 2004 records (real(10,7)), with '.' decimals
AUTHOR_NUMBER_RE = re.compile(r"[+-]?[0-9]{1,10}(\.[0-9]{1,7})?")
MAX_ACCEPTED = 10  # accepted answers of a fill-in question
MAX_ANSWER_LENGTH = 250  # characters of a fill-in answer (a SCORM 2004 localized string)
MAX_QUESTION_MINUTES = 120
DEFAULT_PROMPT_MINUTES = 5  # session plan: minutes per discussion prompt
PLACEHOLDERS = ("title", "author", "number", "publication")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
MAX_CHOICES = 26  # choices (and targets, entries, pairs) are lettered a) to z)
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
    """A quiz item as the file gives it; ``kind`` says which fields its type uses."""

    id: str | None
    question: str
    explanation: str | None
    location: SourceLocation
    kind: str = "choice"  # one of QUESTION_KINDS
    minutes: int | None = None  # None: course.yaml's question_minutes
    shuffle: bool = False
    # choice
    choices: tuple[str, ...] = ()
    correct: tuple[int, ...] = ()
    feedback: tuple[str | None, ...] = ()  # per choice
    # fill-in
    answers: tuple[str, ...] = ()
    case_sensitive: bool = False
    # numeric
    low: Decimal | None = None
    high: Decimal | None = None
    value: Decimal | None = None
    unit: str | None = None
    # matching (targets as written; pairs: each prompt's index in targets)
    prompts: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    pairs: tuple[int, ...] = ()
    # ordering, in the right order
    entries: tuple[str, ...] = ()


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
    session_minutes: int | None = None  # the longest a session may last
    session_location: SourceLocation | None = None  # where session_minutes is set
    prompt_minutes: int = DEFAULT_PROMPT_MINUTES  # each discussion prompt, in the plan
    question_minutes: int = DEFAULT_QUESTION_MINUTES  # each quiz question, in the plan


@dataclass(frozen=True)
class ChapterCourse:
    stem: str
    objectives: tuple[str, ...]
    discussion: tuple[RawText, ...]
    exercises: tuple[RawExercise, ...]
    quiz: tuple[RawQuiz, ...]
    location: SourceLocation
    acknowledge: tuple[tuple[str, SourceLocation], ...] = ()
    discussion_minutes: int | None = None  # the whole discussion, in the session plan


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
    plan = {name: ctx.integer(fields[name], f"'{name}'", low=low, high=high)
            for name, low, high in (("session_minutes", 1, 1440), ("prompt_minutes", 0, 120),
                                    ("question_minutes", 0, MAX_QUESTION_MINUTES))
            if name in fields and not ctx.is_null(fields[name])}
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
        session_minutes=plan.get("session_minutes"),
        session_location=ctx.loc(fields["session_minutes"])
        if plan.get("session_minutes") is not None else None,
        prompt_minutes=_or(plan.get("prompt_minutes"), DEFAULT_PROMPT_MINUTES),
        question_minutes=_or(plan.get("question_minutes"), DEFAULT_QUESTION_MINUTES),
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


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
    discussion_minutes = None
    if "discussion_minutes" in fields and not ctx.is_null(fields["discussion_minutes"]):
        discussion_minutes = ctx.integer(fields["discussion_minutes"],
                                         "'discussion_minutes'", low=0, high=600)
    return ChapterCourse(stem, objectives, discussion, tuple(exercises), tuple(quiz),
                         SourceLocation(path), tuple(ctx.codes(fields.get("acknowledge"))),
                         discussion_minutes)


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


def _key_node(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for k, _ in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k
    return None


def _question_type(ctx: YamlContext, node: yaml.MappingNode) -> str | None:
    """The item's type: its 'type' key, or "choice" without one. Keys that only another
    type has, in an item without 'type', are reported here (with the 'type' to add)."""
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "type":
            text = ctx.string(value, "quiz 'type'")
            if text is None:
                return None
            if text.strip() not in QUESTION_KINDS:
                ctx.diags.error(ctx.loc(value), f"question type '{text}' is not one of "
                                f"{', '.join(QUESTION_KINDS)}"
                                f"{did_you_mean(text.strip(), QUESTION_KINDS)}",
                                "course.question-type")
                return None
            return text.strip()
    ok = True
    for key, _ in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        owner = next((kind for kind, keys in QUIZ_TYPE_KEYS.items()
                      if name in keys and name not in QUIZ_TYPE_KEYS["choice"]
                      and name not in QUIZ_COMMON_KEYS), None)
        if owner is not None:
            ctx.diags.error(ctx.loc(key), f"'{name}' is a key of {KIND_NAMES[owner]}: add "
                            f"'type: {owner}' to this quiz item (without 'type' a quiz item "
                            "is a choice question)", "course.question-type")
            ok = False
    return "choice" if ok else None


def _quiz(ctx: YamlContext, node: yaml.Node) -> RawQuiz | None:
    if not isinstance(node, yaml.MappingNode):
        ctx.mapping(node, allowed=QUIZ_KEYS, what="a quiz item")  # reports the type
        return None
    kind = _question_type(ctx, node)
    if kind is None:
        return None
    fields = ctx.mapping(node, allowed=QUIZ_TYPE_KEYS[kind],
                         required=QUIZ_REQUIRED[kind], what=KIND_NAMES[kind])
    if fields is None:
        return None
    question = _question(ctx, fields["question"]) if "question" in fields else None
    explanation = ctx.optional_string(fields.get("explanation"), "quiz 'explanation'")
    ok = question is not None and (explanation is None or _check_placeholders(
        ctx, fields["explanation"], explanation))
    id_ok, ident = _ident(ctx, fields)
    minutes = None
    if "minutes" in fields and not ctx.is_null(fields["minutes"]):
        minutes = ctx.integer(fields["minutes"], "quiz 'minutes'", low=0,
                              high=MAX_QUESTION_MINUTES)
        ok = ok and minutes is not None
    shuffle = False
    if "shuffle" in fields:
        value = ctx.boolean(fields["shuffle"], "quiz 'shuffle'")
        ok = ok and value is not None
        shuffle = bool(value)
    parse = {"choice": _choice_fields, "fill-in": _fill_in_fields, "numeric": _numeric_fields,
             "matching": _matching_fields, "ordering": _ordering_fields}[kind]
    made = parse(ctx, node, fields)
    if made is None or not ok or not id_ok or question is None:
        return None
    raw = RawQuiz(ident, question, " ".join(explanation.split()) if explanation else None,
                  ctx.loc(node), kind=kind, minutes=minutes, shuffle=shuffle)
    return dataclasses.replace(raw, **made)


def _texts_of(ctx: YamlContext, node: yaml.Node, what: str
              ) -> list[tuple[str, yaml.Node]] | None:
    """A list of texts (each checked for placeholders), or None after a reported problem."""
    items = ctx.sequence(node, f"quiz '{what}'")
    if items is None:
        return None
    out, ok = [], True
    for item in items:
        text = _choice_text(ctx, item, f"an entry of quiz '{what}'")
        if text is None or not _check_placeholders(ctx, item, text):
            ok = False
            continue
        out.append((text, item))
    return out if ok else None


def _distinct(ctx: YamlContext, texts: list[tuple[str, yaml.Node]], what: str,
              code: str = "course.duplicate-entry") -> bool:
    """Reports every text given a second time: ``what`` names one ("choice", …)."""
    first: dict[str, yaml.Node] = {}
    ok = True
    for text, node in texts:
        if text in first:
            ctx.diags.error(ctx.loc(node), f"{what} '{text}' is given twice (first at line "
                            f"{ctx.loc(first[text]).line}); each {what} must be different",
                            code)
            ok = False
        else:
            first[text] = node
    return ok


def _count(ctx: YamlContext, node: yaml.Node, count: int, low: int, high: int,
           what: str, kind: str) -> bool:
    """``count`` entries of ``what`` (plural) in a question of ``kind``: low..high."""
    if count < low:
        ctx.diags.error(ctx.loc(node), f"{KIND_NAMES[kind]} needs at least "
                        f"{NUMBER_WORDS.get(low, str(low))} {what}",
                        "course.too-few-choices" if kind == "choice"
                        else "course.too-few-entries")
        return False
    if count > high:
        ctx.diags.error(ctx.loc(node), f"{KIND_NAMES[kind]} has at most {high} {what}, not "
                        f"{count}", "course.too-many-choices" if kind == "choice"
                        else "course.too-many-entries")
        return False
    return True


def _choice_entry(ctx: YamlContext, node: yaml.Node
                  ) -> tuple[str, str | None, yaml.Node] | None:
    """A choice: its text, or a mapping of its 'text' and the 'feedback' shown when the
    learner picks it."""
    if not isinstance(node, yaml.MappingNode):
        text = _choice_text(ctx, node, "a quiz choice")
        if text is None or not _check_placeholders(ctx, node, text):
            return None
        return text, None, node
    fields = ctx.mapping(node, allowed=CHOICE_KEYS, required=("text",), what="a choice")
    if fields is None or "text" not in fields:
        return None
    text = _choice_text(ctx, fields["text"], "a quiz choice")
    feedback = ctx.optional_string(fields.get("feedback"), "choice 'feedback'")
    if text is None or not _check_placeholders(ctx, fields["text"], text):
        return None
    if feedback is not None and not _check_placeholders(ctx, fields["feedback"], feedback):
        return None
    return text, " ".join(feedback.split()) if feedback else None, fields["text"]


def _choice_fields(ctx: YamlContext, node: yaml.Node, fields: dict[str, yaml.Node]
                   ) -> dict[str, Any] | None:
    """'choices' and 'answer' of a choice question."""
    ok = True
    choices: list[tuple[str, yaml.Node]] = []
    feedback: list[str | None] = []
    choice_list = (ctx.sequence(fields["choices"], "quiz 'choices'")
                   if "choices" in fields else None)
    if choice_list is None:
        ok = False
    else:
        for item in choice_list:
            entry = _choice_entry(ctx, item)
            if entry is None:
                ok = False
                continue
            choices.append((entry[0], entry[2]))
            feedback.append(entry[1])
        if not _distinct(ctx, choices, "choice", code="course.duplicate-choice"):
            ok = False
            unique: dict[str, int] = {}
            for index, (label, _) in enumerate(choices):
                unique.setdefault(label, index)
            keep = sorted(unique.values())
            choices, feedback = [choices[i] for i in keep], [feedback[i] for i in keep]
        if ok and not _count(ctx, fields["choices"], len(choices), 2, MAX_CHOICES,
                             "choices", "choice"):
            ok = False
        elif len(choices) > MAX_CHOICES:
            _count(ctx, fields["choices"], len(choices), 2, MAX_CHOICES, "choices", "choice")
            ok = False
    texts = [t for t, _ in choices]
    correct: list[int] = []
    if "answer" in fields and texts:
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
        listing = ", ".join(f"'{c}'" for c in texts)
        for text, anode in answers:
            if text not in texts:
                ctx.diags.error(
                    ctx.loc(anode),
                    f"answer '{text}' matches no choice{did_you_mean(text, texts)}; the "
                    f"answer must repeat a choice's text exactly; the choices are: {listing}",
                    "course.answer-not-a-choice",
                )
                ok = False
            elif texts.index(text) in correct:
                ctx.diags.error(ctx.loc(anode), f"answer '{text}' is given twice",
                                "course.duplicate-answer")
                ok = False
            else:
                correct.append(texts.index(text))
    if not ok or not correct:
        return None
    return {"choices": tuple(texts), "correct": tuple(sorted(correct)),
            "feedback": tuple(feedback)}


def _fill_in_fields(ctx: YamlContext, node: yaml.Node, fields: dict[str, yaml.Node]
                    ) -> dict[str, Any] | None:
    """'answer' (one accepted answer or a list of them) and 'case_sensitive'."""
    from ..scoring import fill_in_key

    ok = True
    case_sensitive = False
    if "case_sensitive" in fields:
        value = ctx.boolean(fields["case_sensitive"], "quiz 'case_sensitive'")
        ok = value is not None
        case_sensitive = bool(value)
    if "answer" not in fields:
        return None
    node_answer = fields["answer"]
    answer_nodes = (node_answer.value if isinstance(node_answer, yaml.SequenceNode)
                    else [] if ctx.is_null(node_answer) else [node_answer])
    if not answer_nodes:
        ctx.diags.error(ctx.loc(node_answer), "fill-in question has no accepted answer; set "
                        "'answer' to the text the learner must type (a list when several "
                        "are accepted)", "course.no-answer")
        return None
    accepted: list[str] = []
    seen: dict[str, tuple[str, yaml.Node]] = {}
    for anode in answer_nodes:
        text = _choice_text(ctx, anode, "quiz 'answer'")
        if text is None or not _check_placeholders(ctx, anode, text):
            ok = False
            continue
        if len(text) > MAX_ANSWER_LENGTH:
            ctx.diags.error(ctx.loc(anode), f"a fill-in answer has at most "
                            f"{MAX_ANSWER_LENGTH} characters (SCORM records at most "
                            f"{MAX_ANSWER_LENGTH}); this one has {len(text)}: shorten it",
                            "course.answer-too-long")
            ok = False
            continue
        key = fill_in_key(text, case_sensitive)
        if key in seen:
            first, first_node = seen[key]
            line = ctx.loc(first_node).line
            ctx.diags.error(ctx.loc(anode), f"answer '{text}' is given twice" if text == first
                            else f"answer '{text}' is the same as '{first}' (line {line}) "
                            "once case, spacing and curly quotes are ignored; keep one of "
                            "them" if not case_sensitive else
                            f"answer '{text}' is the same as '{first}' (line {line}) once "
                            "spacing and curly quotes are ignored; keep one of them",
                            "course.duplicate-answer")
            ok = False
            continue
        seen[key] = (text, anode)
        accepted.append(text)
    if len(accepted) > MAX_ACCEPTED:
        ctx.diags.error(ctx.loc(node_answer), f"a fill-in question accepts at most "
                        f"{MAX_ACCEPTED} answers, not {len(accepted)}",
                        "course.too-many-answers")
        ok = False
    if not ok or not accepted:
        return None
    return {"answers": tuple(accepted), "case_sensitive": case_sensitive}


def _number(ctx: YamlContext, node: yaml.Node, what: str) -> Decimal | None:
    """A number written in a course file: digits with an optional sign and '.' decimals,
    at most 10 digits before the point and 7 after (what SCORM 2004 records)."""
    if isinstance(node, yaml.ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG, STR_TAG) \
            and AUTHOR_NUMBER_RE.fullmatch(str(node.value).strip()):
        return Decimal(str(node.value).strip())
    shown = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
    if isinstance(node, yaml.ScalarNode) and node.tag != NULL_TAG and \
            re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", shown):
        ctx.diags.error(ctx.loc(node), f"{what} has at most 10 digits before the decimal "
                        f"point and 7 after it, not {shown} (SCORM records no more)",
                        "course.numeric")
        return None
    kind = ("a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            if isinstance(node, yaml.MappingNode) else "empty (null)" if ctx.is_null(node)
            else f"'{shown}'")
    hint = "; write the decimal point as '.'" if re.fullmatch(r"[+-]?[0-9]+,[0-9]+",
                                                                shown) else ""
    ctx.diags.error(ctx.loc(node), f"{what} must be a number such as 4 or 2.5, not "
                    f"{kind}{hint}", "course.numeric")
    return None


def _numeric_fields(ctx: YamlContext, node: yaml.Node, fields: dict[str, yaml.Node]
                    ) -> dict[str, Any] | None:
    """'answer' with an optional 'tolerance', or a 'range' (with an optional 'answer'
    inside it), and an optional 'unit'."""
    if "answer" not in fields and "range" not in fields:
        ctx.diags.error(ctx.loc(node), "a numeric question is missing the required key "
                        "'answer'; add 'answer: …' (with 'tolerance: …' if near answers "
                        "count too) or 'range: [lowest, highest]'", "schema.missing-key")
        return None
    ok = True
    answer = (_number(ctx, fields["answer"], "quiz 'answer'") if "answer" in fields
              else None)
    ok = ok and ("answer" not in fields or answer is not None)
    tolerance = Decimal(0)
    if "tolerance" in fields:
        value = _number(ctx, fields["tolerance"], "quiz 'tolerance'")
        if value is None:
            ok = False
        elif value < 0:
            ctx.diags.error(ctx.loc(fields["tolerance"]), f"quiz 'tolerance' must be 0 or "
                            f"more, not {fields['tolerance'].value}", "schema.range")
            ok = False
        else:
            tolerance = value
        if "range" in fields:
            ctx.diags.error(ctx.loc(fields["tolerance"]), "a numeric question has "
                            "'tolerance' or 'range', not both: give 'answer' with "
                            "'tolerance', or the 'range' of accepted numbers",
                            "course.numeric")
            ok = False
    low = high = None
    if "range" in fields:
        items = ctx.sequence(fields["range"], "quiz 'range'")
        if items is None:
            ok = False
        elif len(items) != 2:
            ctx.diags.error(ctx.loc(fields["range"]), "quiz 'range' must be two numbers, "
                            f"[lowest, highest], not {len(items)}", "course.numeric")
            ok = False
        else:
            low = _number(ctx, items[0], "the lowest number of quiz 'range'")
            high = _number(ctx, items[1], "the highest number of quiz 'range'")
            if low is None or high is None:
                ok = False
            elif low > high:
                ctx.diags.error(ctx.loc(fields["range"]), f"quiz 'range' starts above its "
                                f"end: write it as [lowest, highest], [{items[1].value}, "
                                f"{items[0].value}]", "course.numeric")
                ok = False
            elif answer is not None and not low <= answer <= high:
                ctx.diags.error(ctx.loc(fields["answer"]), f"answer {fields['answer'].value}"
                                f" is outside its range [{items[0].value}, {items[1].value}]:"
                                " the answer shown must be a number the range accepts; change"
                                " the answer or the range", "course.answer-outside-range")
                ok = False
    elif answer is not None:
        low, high = answer - tolerance, answer + tolerance
        if not (AUTHOR_NUMBER_RE.fullmatch(format(low, "f"))
                and AUTHOR_NUMBER_RE.fullmatch(format(high, "f"))):
            ctx.diags.error(ctx.loc(fields["tolerance"]), "quiz 'answer' and 'tolerance' "
                            "reach a number of more than 10 digits; make the tolerance "
                            "smaller", "course.numeric")
            ok = False
    unit = ctx.optional_string(fields.get("unit"), "quiz 'unit'")
    if unit is not None and not _check_placeholders(ctx, fields["unit"], unit):
        ok = False
    if not ok or low is None or high is None:
        return None
    return {"low": low, "high": high, "value": answer,
            "unit": " ".join(unit.split()) if unit else None}


def _matching_fields(ctx: YamlContext, node: yaml.Node, fields: dict[str, yaml.Node]
                     ) -> dict[str, Any] | None:
    """'pairs' (a mapping of each prompt to its target) and the optional 'targets' (every
    target, distractors included; without it, the pairs' targets)."""
    ok = True
    targets: list[tuple[str, yaml.Node]] | None = None
    if "targets" in fields:
        targets = _texts_of(ctx, fields["targets"], "targets")
        if targets is None or not _distinct(ctx, targets, "target"):
            ok = False
            targets = None
        elif len(targets) > MAX_CHOICES:
            _count(ctx, fields["targets"], len(targets), 2, MAX_CHOICES, "targets",
                   "matching")
            ok = False
    if "pairs" not in fields:
        return None
    pairs_node = fields["pairs"]
    if not isinstance(pairs_node, yaml.MappingNode):
        ctx.diags.error(ctx.loc(pairs_node), "quiz 'pairs' must be a mapping of each prompt "
                        "to its target ('prompt: target' lines), not "
                        + ("a list" if isinstance(pairs_node, yaml.SequenceNode)
                           else "empty (null)" if ctx.is_null(pairs_node) else "text"),
                        "schema.type")
        return None
    prompts: list[tuple[str, yaml.Node]] = []
    chosen: list[tuple[str, yaml.Node]] = []
    for key, value in pairs_node.value:
        prompt = _choice_text(ctx, key, "a prompt of quiz 'pairs'")
        target = _choice_text(ctx, value, "the target of a prompt of quiz 'pairs'")
        if prompt is None or not _check_placeholders(ctx, key, prompt):
            ok = False
        if target is None or not _check_placeholders(ctx, value, target):
            ok = False
        if prompt is not None and target is not None:
            prompts.append((prompt, key))
            chosen.append((target, value))
    if not _distinct(ctx, prompts, "prompt"):
        ok = False
    if targets is not None:
        names = [t for t, _ in targets]
        listing = ", ".join(f"'{t}'" for t in names)
        for target, value in chosen:
            if target not in names:
                ctx.diags.error(ctx.loc(value), f"target '{target}' is not one of the quiz's "
                                f"'targets'{did_you_mean(target, names)}; a pair's target "
                                f"must repeat one of them exactly; the targets are: {listing}",
                                "course.unknown-target")
                ok = False
    if ok and not _count(ctx, pairs_node, len(prompts), 2, MAX_CHOICES, "pairs",
                         "matching"):
        ok = False
    if not ok:
        return None
    shown = [t for t, _ in targets] if targets is not None else list(
        dict.fromkeys(t for t, _ in chosen))
    return {"prompts": tuple(p for p, _ in prompts), "targets": tuple(shown),
            "pairs": tuple(shown.index(t) for t, _ in chosen)}


def _ordering_fields(ctx: YamlContext, node: yaml.Node, fields: dict[str, yaml.Node]
                     ) -> dict[str, Any] | None:
    """'sequence': the entries in the right order."""
    if "sequence" not in fields:
        return None
    entries = _texts_of(ctx, fields["sequence"], "sequence")
    if entries is None:
        return None
    if not _distinct(ctx, entries, "entry"):
        return None
    if not _count(ctx, fields["sequence"], len(entries), 2, MAX_CHOICES, "entries",
                  "ordering"):
        return None
    return {"entries": tuple(t for t, _ in entries)}
