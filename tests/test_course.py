"""Course files: located errors, template generation, stable ids, scoring, the default course
and its activities in every built output."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from cxbook.build import available_formats, default_formats, load_renderer
from cxbook.course import fill_placeholders, text_hash
from cxbook.model import (
    Choice,
    ChoiceQuestion,
    Course,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Project,
    Question,
    QuizItem,
)
from cxbook.readers import read_project
from cxbook.readers.project import check_project
from cxbook.scoring import course_score, item_correct, passed, score_percent, scoring_rules

from conftest import REPO, run_cli
from support.answers import plain, right_response

NO_AUTHOR = "an unnamed author"  # {author} of a chapter whose source names none
NO_PUBLICATION = "its original publication"

CH1 = "01-positive-service-experiences"
CH2 = "02-worry-less-do-more"


def errors_for(project: Path, files: dict[str, str]) -> list[str]:
    """Write course files into a project copy, run `cxbook check`, return its error lines."""
    for name, text in files.items():
        (project / "course" / name).write_text(text, encoding="utf-8")
    result = run_cli("check", str(project))
    lines = [line for line in result.err.splitlines() if ": error: " in line]
    assert result.code == (1 if lines else 0), result.err
    return lines


# -- 1. located errors -------------------------------------------------------------------


def test_answer_matching_no_choice_names_the_choices(default_project_copy: Path) -> None:
    text = ("quiz:\n"
            "  - question: What must accompany hope?\n"
            "    choices:\n"
            "      - Action\n"
            "      - Luck\n"
            "    answer: Actoin\n")
    assert errors_for(default_project_copy, {f"{CH1}.yaml": text}) == [
        f"course/{CH1}.yaml:6:13: error: answer 'Actoin' matches no choice (did you mean "
        "'Action'?); the answer must repeat a choice's text exactly; the choices are: "
        "'Action', 'Luck' [course.answer-not-a-choice]"
    ]


def test_one_answer_of_a_multiple_answer_list_matching_no_choice(
    default_project_copy: Path,
) -> None:
    text = ("quiz:\n"
            "  - question: Which are factors?\n"
            "    choices: [Context, Culture, Cost]\n"
            "    answer:\n"
            "      - Context\n"
            "      - Caring\n")
    assert errors_for(default_project_copy, {f"{CH1}.yaml": text}) == [
        f"course/{CH1}.yaml:6:9: error: answer 'Caring' matches no choice; the answer must "
        "repeat a choice's text exactly; the choices are: 'Context', 'Culture', 'Cost' "
        "[course.answer-not-a-choice]"
    ]


def test_duplicate_choice(default_project_copy: Path) -> None:
    text = ("quiz:\n"
            "  - question: What must accompany hope?\n"
            "    choices:\n"
            "      - Action\n"
            "      - Luck\n"
            "      - Action\n"
            "    answer: Action\n")
    assert errors_for(default_project_copy, {f"{CH1}.yaml": text}) == [
        f"course/{CH1}.yaml:6:9: error: choice 'Action' is given twice (first at line 4); "
        "each choice must be different [course.duplicate-choice]"
    ]


@pytest.mark.parametrize("value", ['""', "'   '", ""])
def test_empty_question(default_project_copy: Path, value: str) -> None:
    text = ("quiz:\n"
            f"  - question: {value}\n"
            "    choices: [Action, Luck]\n"
            "    answer: Action\n")
    column = 15 if value else 14
    assert errors_for(default_project_copy, {f"{CH1}.yaml": text}) == [
        f"course/{CH1}.yaml:2:{column}: error: quiz question is empty; write the question "
        "the learner answers [course.empty-question]"
    ]


def test_unknown_keys(default_project_copy: Path) -> None:
    chapter = ("discusion:\n"
               "  - Why?\n"
               "quiz:\n"
               "  - question: What must accompany hope?\n"
               "    choices: [Action, Luck]\n"
               "    answer: Action\n"
               "    explaination: The chapter says so.\n")
    course = ("title: Staff course\n"
              "templates:\n"
              "  discusion:\n"
              "    - What is one idea from “{title}”?\n")
    assert errors_for(default_project_copy, {f"{CH1}.yaml": chapter,
                                             "course.yaml": course}) == [
        f"course/{CH1}.yaml:1:1: error: unknown key 'discusion' in course/{CH1}.yaml (did you "
        "mean 'discussion'?); allowed keys: objectives, discussion, exercises, quiz, acknowledge, "
        "discussion_minutes [schema.unknown-key]",
        f"course/{CH1}.yaml:7:5: error: unknown key 'explaination' in a quiz item (did you "
        "mean 'explanation'?); allowed keys: id, question, choices, answer, explanation, type, "
        "shuffle, minutes [schema.unknown-key]",
        "course/course.yaml:3:3: error: unknown key 'discusion' in 'templates' (did you mean "
        "'discussion'?); allowed keys: discussion, exercises [schema.unknown-key]",
    ]


def test_wrong_types(default_project_copy: Path) -> None:
    text = ("objectives: Explain the myths\n"
            "exercises:\n"
            "  - title: Myth busting\n"
            "    minutes: ten\n"
            "    instructions: Work in groups.\n"
            "quiz:\n"
            "  - question: What must accompany hope?\n"
            "    choices: Action\n"
            "    answer: Action\n"
            "  - question: [What, must]\n"
            "    choices: [Action, Luck]\n"
            "    answer: Action\n")
    assert errors_for(default_project_copy, {f"{CH1}.yaml": text}) == [
        f"course/{CH1}.yaml:1:13: error: the objectives must be a list (lines starting with "
        "'- '), not text [schema.type]",
        f"course/{CH1}.yaml:4:14: error: exercise 'minutes' must be a whole number from 1 to "
        "600, not text 'ten' [schema.type]",
        f"course/{CH1}.yaml:8:14: error: quiz 'choices' must be a list (lines starting with "
        "'- '), not text [schema.type]",
        f"course/{CH1}.yaml:10:15: error: quiz 'question' must be text, not a list "
        "[schema.type]",
    ]


def test_course_file_matching_no_chapter(default_project_copy: Path) -> None:
    stem = "01-positive-service-experience"
    assert errors_for(default_project_copy, {f"{stem}.yaml": "discussion:\n  - Why?\n"}) == [
        f"course/{stem}.yaml:1:1: error: course file course/{stem}.yaml matches no chapter: "
        f"there is no manuscript/{stem}.md in the book (did you mean '{CH1}'?); rename the "
        "file after its chapter [course.unknown-chapter]"
    ]


def test_unknown_placeholders(default_project_copy: Path) -> None:
    course = ("title: Staff course\n"
              "templates:\n"
              "  discussion:\n"
              "    - What does {autor} say in “{title}”, and in {chapter}?\n"
              "  exercises:\n"
              "    - title: Plan for {title}\n"
              "      instructions: |\n"
              "        Read chapter {number}.\n"
              "        Write to {editor} ({{literal}} braces are fine).\n")
    chapter = "objectives:\n  - Explain what {tilte} says\n"
    listing = ("the placeholders are {title}, {author}, {number}, {publication} (write {{ "
               "and }} for literal braces)")
    assert errors_for(default_project_copy, {"course.yaml": course,
                                             f"{CH1}.yaml": chapter}) == [
        f"course/{CH1}.yaml:2:18: error: unknown placeholder '{{tilte}}' (did you mean "
        f"'title'?); {listing} [course.unknown-placeholder]",
        f"course/course.yaml:4:17: error: unknown placeholder '{{autor}}' (did you mean "
        f"'author'?); {listing} [course.unknown-placeholder]",
        f"course/course.yaml:4:50: error: unknown placeholder '{{chapter}}'; {listing} "
        "[course.unknown-placeholder]",
        f"course/course.yaml:9:18: error: unknown placeholder '{{editor}}'; {listing} "
        "[course.unknown-placeholder]",
    ]


@pytest.mark.parametrize(("value", "message"), [
    ("120", "'mastery_score' must be from 0 to 100, not 120 [schema.range]"),
    ("-1", "'mastery_score' must be from 0 to 100, not -1 [schema.range]"),
    ("eighty", "'mastery_score' must be a whole number from 0 to 100, not text 'eighty' "
               "[schema.type]"),
])
def test_mastery_score_outside_range(default_project_copy: Path, value: str,
                                     message: str) -> None:
    course = f"title: Staff course\nmastery_score: {value}\n"
    assert errors_for(default_project_copy, {"course.yaml": course}) == [
        f"course/course.yaml:2:16: error: {message}"
    ]


def test_mastery_score_bounds_are_valid(default_project_copy: Path) -> None:
    for value in ("0", "100"):
        assert errors_for(default_project_copy, {"course.yaml": f"mastery_score: {value}\n"}) \
            == []


def test_every_problem_is_reported_at_once(default_project_copy: Path) -> None:
    bad = ("quiz:\n"
           "  - question: Q?\n"
           "    choices: [A, A]\n"
           "    answer: B\n")
    result_lines = errors_for(default_project_copy, {f"{CH1}.yaml": bad,
                                                     f"{CH2}.yaml": bad,
                                                     "course.yaml": "mastery_score: 101\n"})
    assert [line.split(": error:")[0] for line in result_lines] == [
        f"course/{CH1}.yaml:3:18", f"course/{CH1}.yaml:4:13",
        f"course/{CH2}.yaml:3:18", f"course/{CH2}.yaml:4:13",
        "course/course.yaml:1:16",
    ]


def test_true_false_answer_may_be_unquoted(default_project_copy: Path) -> None:
    text = ("quiz:\n"
            "  - question: The chapter says every hard thing must change.\n"
            "    choices: [true, false]\n"
            "    answer: false\n")
    assert errors_for(default_project_copy, {f"{CH1}.yaml": text}) == []
    item = read_project(default_project_copy).course.for_chapter(CH1).quiz[0]
    assert [c.text for c in item.choices] == ["True", "False"]
    assert item.is_true_false and item.correct_choices[0].text == "False"


# -- 2. generation -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_project() -> Project:
    return read_project(REPO)


def test_templates_are_expanded_for_every_chapter(default_project: Project) -> None:
    p = default_project
    for ch in p.chapters:
        acts = p.course.for_chapter(ch.stem)
        generated = [d for d in acts.discussion if d.generated]
        assert [d.text for d in generated] == [
            f"What is one idea from “{ch.title}” that you could try with a customer this "
            "week, and how would you know it had worked?",
            f"Which idea in “{ch.title}” would be hardest to put into practice in our team, "
            "and what support would make it easier?",
        ]
        # own items come first, then the generated ones
        assert [d.generated for d in acts.discussion] == sorted(
            d.generated for d in acts.discussion)
        plan = [e for e in acts.exercises if e.generated]
        assert len(plan) == 1 and plan[0].kind == "action-plan"
        author = ch.attribution.author_line or NO_AUTHOR
        assert (f"Using “{ch.title}” (chapter {ch.number}, from {author}), write a short "
                "action plan") in plan[0].instructions_text
        assert "None" not in plan[0].instructions_text
        assert "{" not in plan[0].instructions_text


def test_chapter_without_author_reads_naturally(default_project: Project) -> None:
    ch2 = next(c for c in default_project.chapters if c.stem == CH2)
    assert ch2.attribution.author_line is None
    plan = next(e for e in default_project.course.for_chapter(CH2).exercises if e.generated)
    assert "(chapter 2, from an unnamed author)" in plan.instructions_text
    assert "from an unnamed author" in plan.instructions_html


def test_chapter_without_course_file_gets_generated_items(default_project_copy: Path) -> None:
    (default_project_copy / "course" / f"{CH2}.yaml").unlink()
    acts = read_project(default_project_copy).course.for_chapter(CH2)
    assert acts.location is None and not acts.quiz and not acts.objectives
    assert len(acts.discussion) == 2 and all(d.generated for d in acts.discussion)
    assert [e.title for e in acts.exercises] == ["My action plan"]


def test_placeholders_in_all_course_text(default_project_copy: Path) -> None:
    (default_project_copy / "course" / "course.yaml").write_text(
        "templates:\n"
        "  discussion:\n"
        "    - \"{number}: {title} by {author} in {publication} {{not a placeholder}}\"\n",
        encoding="utf-8")
    (default_project_copy / "course" / f"{CH2}.yaml").write_text(
        "objectives: [\"Explain “{title}”\"]\n"
        "quiz:\n"
        "  - question: Who wrote “{title}”?\n"
        "    choices: [\"{author}\", Someone else]\n"
        "    answer: \"{author}\"\n"
        "    explanation: It first appeared in {publication}.\n", encoding="utf-8")
    p = read_project(default_project_copy)
    ch1, ch2 = p.chapters[0], p.chapters[1]
    assert p.course.for_chapter(ch1.stem).discussion[-1].text == (
        f"1: {ch1.title} by Flavio Martins in Win the Customer! {{not a placeholder}}")
    assert p.course.for_chapter(ch2.stem).discussion[-1].text == (
        f"2: {ch2.title} by {NO_AUTHOR} in {NO_PUBLICATION} {{not a placeholder}}")
    acts = p.course.for_chapter(CH2)
    assert acts.objectives == (f"Explain “{ch2.title}”",)
    q = acts.quiz[0]
    assert q.question == f"Who wrote “{ch2.title}”?"
    assert [c.text for c in q.choices] == [NO_AUTHOR, "Someone else"]
    assert q.correct_choices[0].text == NO_AUTHOR
    assert q.explanation == f"It first appeared in {NO_PUBLICATION}."


def test_fill_placeholders_keeps_unknown_text_and_literal_braces() -> None:
    values = {"title": "T"}
    assert fill_placeholders("{title} {{x}} {}", values) == "T {x} {}"


# -- 3. stable ids ------------------------------------------------------------------------


def entry_groups(q: Question) -> list[tuple[Choice, ...]]:
    """A question's lists of choices (entries, prompts and targets), each with ids unique
    within it."""
    if isinstance(q, ChoiceQuestion):
        return [q.choices]
    if isinstance(q, MatchingQuestion):
        return [q.prompts, q.targets]
    if isinstance(q, OrderingQuestion):
        return [q.entries]
    return []


def entries(q: Question) -> list[Choice]:
    return [c for group in entry_groups(q) for c in group]


def all_ids(course: Course) -> dict[str, object]:
    out: dict[str, object] = {}
    for acts in course.activities:
        for d in acts.discussion:
            out[d.id] = d.text
        for e in acts.exercises:
            out[e.id] = e.title
        for q in acts.quiz:
            out[q.id] = (q.question, tuple(sorted((c.id, c.text) for c in entries(q))))
    return out


def test_ids_are_unique_valid_and_documented_shape(default_project: Project) -> None:
    ids: list[str] = []
    for ch, acts in zip(default_project.chapters, default_project.course.activities,
                        strict=True):
        for item in (*acts.discussion, *acts.exercises, *acts.quiz):
            assert item.id.startswith(ch.slug + "-")
            ids.append(item.id)
        for q in acts.quiz:
            for group in entry_groups(q):
                assert len({c.id for c in group}) == len(group)
                assert all(re.fullmatch(r"c[0-9a-f]{6}\d*", c.id) for c in group)
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", i) for i in ids)
    acts1 = default_project.course.for_chapter(CH1)
    assert acts1.quiz[0].id == "positive-service-experiences-hope-needs-action"
    first = acts1.discussion[0]
    assert first.id == f"positive-service-experiences-d-{text_hash(first.text)}"
    plan = next(e for e in acts1.exercises if e.generated)
    assert plan.id == f"positive-service-experiences-t-x-{text_hash('My action plan')}"


def _reverse_list(text: str, key: str) -> str:
    """Reverse the items of a top-level list in a course file (each item starts "  - ")."""
    lines = text.split("\n")
    start = lines.index(f"{key}:") + 1
    end = start
    while end < len(lines) and (lines[end].startswith("  ") or not lines[end].strip()):
        end += 1
    items: list[list[str]] = []
    for line in lines[start:end]:
        if line.startswith("  - "):
            items.append([])
        if items:
            items[-1].append(line)
    body = [line for item in reversed(items) for line in item if line.strip()]
    return "\n".join(lines[:start] + body + [""] + lines[end:])


def test_ids_survive_reordering_and_unrelated_edits(default_project_copy: Path) -> None:
    before = all_ids(read_project(default_project_copy).course)
    root = default_project_copy
    # reorder the chapters (and renumber their files), reorder items, edit one question
    book = (root / "manuscript" / "book.yaml").read_text(encoding="utf-8")
    book = book.replace(f"  - {CH1}.md\n", "").replace("  - 05-clarity-and-optimism.md\n",
                                                       "  - 05-clarity-and-optimism.md\n"
                                                       "  - 06-positive-service-experiences"
                                                       ".md\n")
    (root / "manuscript" / "book.yaml").write_text(book, encoding="utf-8")
    shutil.move(root / "manuscript" / f"{CH1}.md",
                root / "manuscript" / "06-positive-service-experiences.md")
    course_file = root / "course" / "06-positive-service-experiences.yaml"
    shutil.move(root / "course" / f"{CH1}.yaml", course_file)
    text = course_file.read_text(encoding="utf-8")
    for key in ("discussion", "exercises", "quiz"):
        text = _reverse_list(text, key)
    reordered = text.replace("      - A new manager\n      - A bigger budget\n",
                             "      - A bigger budget\n      - A new manager\n")
    assert reordered != text
    text = reordered
    edited = "When self-doubt creeps in during a difficult moment with a customer"
    assert edited in text
    text = text.replace(edited, "When self-doubt creeps in during a hard moment with a customer")
    course_file.write_text(text, encoding="utf-8")
    # an unrelated edit: the chapter's title and author change
    chapter = root / "manuscript" / "06-positive-service-experiences.md"
    chapter.write_text(chapter.read_text(encoding="utf-8")
                       .replace("author: Flavio Martins", "author: F. Martins")
                       .replace('title: "Believe in', 'title: "Believing in'), encoding="utf-8")
    p = read_project(root)
    assert p.chapters[-1].stem == "06-positive-service-experiences"
    acts = p.course.for_chapter("06-positive-service-experiences")
    assert next(q.id for q in acts.quiz) == "positive-service-experiences-how-many-myths"
    after = all_ids(p.course)
    changed = {k for k in before.keys() | after.keys() if k not in before or k not in after}
    # only the edited question changed its id; everything else kept id (and content)
    assert len(changed) == 2
    assert all(k.startswith("positive-service-experiences-d-") for k in changed)
    for key in before.keys() & after.keys():
        if not key.startswith("positive-service-experiences-t-d-"):
            assert before[key] == after[key], key


def test_hashed_ids_ignore_case_and_spacing() -> None:
    assert text_hash("What is  one\nidea?") == text_hash("what is one idea?")
    assert text_hash("What is one idea?") != text_hash("What is one other idea?")


def test_same_text_twice_gets_numbered_ids(default_project_copy: Path) -> None:
    (default_project_copy / "course" / f"{CH2}.yaml").write_text(
        "discussion:\n  - Why?\n  - Why?\n", encoding="utf-8")
    acts = read_project(default_project_copy).course.for_chapter(CH2)
    base = f"worry-less-do-more-d-{text_hash('Why?')}"
    assert [d.id for d in acts.discussion[:2]] == [base, base + "-2"]


def test_explicit_ids_must_be_unique_and_well_formed(default_project_copy: Path) -> None:
    text = ("exercises:\n"
            "  - id: plan\n"
            "    title: One\n"
            "    instructions: Do it.\n"
            "quiz:\n"
            "  - id: plan\n"
            "    question: Q?\n"
            "    choices: [A, B]\n"
            "    answer: A\n"
            "  - id: not valid\n"
            "    question: R?\n"
            "    choices: [A, B]\n"
            "    answer: B\n")
    assert errors_for(default_project_copy, {f"{CH2}.yaml": text}) == [
        f"course/{CH2}.yaml:6:5: error: id 'plan' is used twice in this file (first at line "
        "2); ids must be unique [course.duplicate-id]",
        f"course/{CH2}.yaml:10:9: error: id 'not valid' must start with a letter or digit "
        "and contain only letters, digits, '-' and '_' (at most 64) [course.id]",
    ]


# -- 4. scoring ----------------------------------------------------------------------------


def _item(ident: str, texts: list[str], correct: tuple[int, ...]) -> QuizItem:
    from cxbook.diagnostics import SourceLocation

    choices = tuple(Choice(f"c{i}", t) for i, t in enumerate(texts))
    return QuizItem(ident, "Q?", choices, correct, None, SourceLocation("x"))


def test_single_answer_scoring() -> None:
    q = _item("q", ["A", "B", "C"], (1,))
    assert not q.multiple
    assert item_correct(q, ["c1"])
    assert not item_correct(q, ["c0"])
    assert not item_correct(q, [])
    assert not item_correct(q, ["c1", "c2"])


def test_multiple_answer_needs_exactly_the_correct_set() -> None:
    q = _item("q", ["A", "B", "C", "D"], (0, 2))
    assert q.multiple
    assert item_correct(q, ["c2", "c0"])
    assert not item_correct(q, ["c0"])  # no partial credit
    assert not item_correct(q, ["c0", "c2", "c3"])
    assert not item_correct(q, ["c0", "c2", "nonsense"])


def test_true_false_is_a_two_choice_item() -> None:
    q = _item("q", ["True", "False"], (1,))
    assert q.is_true_false and not q.multiple
    assert item_correct(q, ["c1"]) and not item_correct(q, ["c0"])
    assert not _item("q", ["Yes", "No"], (1,)).is_true_false


def test_score_rounds_half_up_and_passes_at_mastery(default_project: Project) -> None:
    assert score_percent(1, 8) == 13  # 12.5
    assert score_percent(2, 3) == 67
    assert score_percent(1, 3) == 33
    assert score_percent(0, 5) == 0 and score_percent(5, 5) == 100
    assert score_percent(0, 0) is None
    course = default_project.course
    items = course.quiz_items
    assert len(items) == 30 and course.mastery_score == 80
    right = {q.id: right_response(q) for q in items}
    assert course_score(course, right) == 100
    wrong_six = dict(list(right.items())[6:])
    assert course_score(course, wrong_six) == 80 and passed(course, 80)
    wrong_seven = dict(list(right.items())[7:])
    assert course_score(course, wrong_seven) == 77 and not passed(course, 77)
    assert course_score(course, {}) == 0


def test_course_without_quiz_has_no_score(default_project: Project) -> None:
    empty = dataclasses.replace(default_project.course, activities=tuple(
        dataclasses.replace(a, quiz=()) for a in default_project.course.activities))
    assert course_score(empty, {}) is None and passed(empty, None)


def test_scoring_rules_table(default_project: Project) -> None:
    rules = scoring_rules(default_project.course)
    assert rules["mastery"] == 80
    table = rules["items"]
    assert isinstance(table, dict) and len(table) == 30
    factors = table["five-factors-five-factors"]
    q = next(q for q in default_project.course.quiz_items
             if q.id == "five-factors-five-factors")
    assert isinstance(q, ChoiceQuestion)
    assert factors == {"type": "choice", "correct": sorted(c.id for c in q.correct_choices)}
    assert len(factors["correct"]) == 3
    order = table["five-factors-factor-order"]
    assert order["type"] == "ordering" and len(order["sequence"]) == 5


# -- 5. the default course ------------------------------------------------------------------


def chapter_text(project: Project, stem: str) -> str:
    ch = next(c for c in project.chapters if c.stem == stem)
    root = lxml.html.fragment_fromstring(ch.body_html, create_parent="div")
    return " ".join(root.text_content().split())


def quoted_spans(text: str) -> Iterator[str]:
    """Each “…” quotation in a text, split at ellipses."""
    for match in re.finditer(r"“([^”]*)”", " ".join(text.split())):
        for part in re.split(r"…", match.group(1)):
            part = part.strip(" .,")
            if part:
                yield part


def test_default_course_validates() -> None:
    project, diags = check_project(REPO)
    assert project is not None
    assert not [d for d in diags if d.location.path.startswith("course/")]


def test_default_course_has_the_required_content(default_project: Project) -> None:
    for ch in default_project.chapters:
        acts = default_project.course.for_chapter(ch.stem)
        assert acts.location is not None, f"{ch.stem} has no course file"
        own_discussion = [d for d in acts.discussion if not d.generated]
        own_exercises = [e for e in acts.exercises if not e.generated]
        assert 2 <= len(acts.objectives) <= 4, ch.stem
        assert 3 <= len(own_discussion) <= 5, ch.stem
        assert 1 <= len(own_exercises) <= 3, ch.stem
        assert len({e.kind for e in own_exercises}) == len(own_exercises), ch.stem
        assert all(e.minutes and e.debrief_html for e in acts.exercises), ch.stem
        assert 3 <= len(acts.quiz) <= 6, ch.stem
        assert all(q.explanation for q in acts.quiz), ch.stem
    items = default_project.course.quiz_items
    choices = [q for q in items if isinstance(q, ChoiceQuestion)]
    assert {q.multiple for q in choices} == {True, False}
    assert any(q.is_true_false for q in choices)
    assert any(c.feedback for q in choices for c in q.choices)  # feedback per choice
    # every question type is in the default course
    assert {q.type for q in items} == {"choice", "fill-in", "numeric", "matching", "ordering"}


def question_texts(q: Question) -> list[str]:
    """Every text a question shows or accepts besides its question and explanation."""
    if isinstance(q, ChoiceQuestion):
        return [c.text for c in q.choices] + [c.feedback for c in q.choices if c.feedback]
    if isinstance(q, FillInQuestion):
        return list(q.answers)
    if isinstance(q, NumericQuestion):
        return [q.unit] if q.unit else []
    if isinstance(q, MatchingQuestion):
        return [c.text for c in (*q.prompts, *q.targets)]
    return [e.text for e in q.entries]


def test_default_course_quotations_match_the_chapters(default_project: Project) -> None:
    checked = 0
    for ch in default_project.chapters:
        text = chapter_text(default_project, ch.stem)
        acts = default_project.course.for_chapter(ch.stem)
        texts = [d.text for d in acts.discussion if not d.generated]
        texts += [q.question for q in acts.quiz] + [q.explanation or "" for q in acts.quiz]
        texts += [text for q in acts.quiz for text in question_texts(q)]
        texts += [e.instructions_text for e in acts.exercises if not e.generated]
        for t in texts:
            for span in quoted_spans(t):
                assert span in text, f"{ch.stem}: “{span}” is not in the chapter"
                checked += 1
    assert checked >= 40


def test_default_quiz_answers_are_stated_in_the_chapters(default_project: Project) -> None:
    """Every explanation that quotes the chapter quotes it exactly, and most quiz items
    quote the sentence that states their answer."""
    quoting = 0
    for ch in default_project.chapters:
        text = chapter_text(default_project, ch.stem)
        for q in default_project.course.for_chapter(ch.stem).quiz:
            spans = list(quoted_spans(q.explanation or ""))
            if spans:
                quoting += 1
            assert all(s in text for s in spans), q.id
    assert quoting >= 22


# -- 7. activities in the built outputs ------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _zip_html_text(data: bytes, suffixes: tuple[str, ...],
                   only_with: str | None = None) -> str:
    """Text of the HTML documents in a zip (those containing ``only_with``, when given)."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(z.namelist()):
            if name.endswith(suffixes):
                raw = z.read(name)
                if only_with is not None and only_with.encode() not in raw:
                    continue
                doc = lxml.html.document_fromstring(raw)
                for bad in doc.xpath("//script|//style"):
                    bad.getparent().remove(bad)
                parts.append(doc.text_content())
    return "\n".join(parts)


def _squash(text: str) -> str:
    """Text without white space or soft hyphens, so line breaks in a PDF do not matter."""
    return re.sub(r"[\s\u00ad]+", "", text)


@pytest.fixture(scope="module")
def built_text(default_build: Path, default_project: Project) -> dict[str, str]:
    """The text of each available output format of the default book (built once per
    session by the shared ``default_build`` fixture); "<format>-key" is the answer key."""
    out: dict[str, str] = {}
    # What `build` makes without --format (the print edition only for a book that asks).
    for name in [n for n in available_formats() if n in default_formats(default_project)]:
        path = default_build / load_renderer(name).output_name(default_project.book)
        data = path.read_bytes()
        if name == "epub":
            out[name] = _zip_html_text(data, (".xhtml", ".html"))
            out["epub-key"] = _zip_html_text(data, (".xhtml",), only_with='id="answer-key"')
        elif name in ("scorm12", "scorm2004"):
            out[name] = _zip_html_text(data, (".html", ".htm", ".xhtml"))
        elif name == "cc":
            continue  # the cartridges' own test (test_cc.py) reads them
        else:
            text = _pdf_text(data)
            out[name] = text
            if name == "pdf":
                # the key follows the last chapter's last quiz question
                last = _squash(default_project.course.quiz_items[-1].question)
                squashed = _squash(text)
                start = squashed.find("Answerkey", squashed.find(last))
                out["pdf-key"] = squashed[start:] if start >= 0 else ""
    return out


def key_texts(q: Question) -> list[str]:
    """What the answer key must say for a question."""
    if isinstance(q, ChoiceQuestion):  # and what each choice with feedback says
        return [c.text for c in q.correct_choices] + [c.feedback for c in q.choices
                                                      if c.feedback]
    if isinstance(q, FillInQuestion):
        return list(q.answers)
    if isinstance(q, NumericQuestion):
        return [plain(q.answer)] if q.answer is not None else [plain(q.low), plain(q.high)]
    if isinstance(q, MatchingQuestion):
        return [t.text for _, t in q.pair_choices]
    return [e.text for e in q.entries]


@pytest.mark.parametrize("fmt", ["epub", "pdf", "workbook", "facilitator", "scorm12",
                                 "scorm2004"])
def test_every_chapter_shows_its_activities(fmt: str, built_text: dict[str, str],
                                           default_project: Project) -> None:
    assert fmt in built_text, f"format {fmt} was not built"
    text = _squash(built_text[fmt])
    for ch in default_project.chapters:
        acts = default_project.course.for_chapter(ch.stem)
        for d in acts.discussion:
            assert _squash(d.text) in text, f"{fmt}: {ch.stem}: discussion {d.id} missing"
        for e in acts.exercises:
            assert _squash(e.title) in text, f"{fmt}: {ch.stem}: exercise {e.id} missing"
        for q in acts.quiz:
            assert _squash(q.question) in text, f"{fmt}: {ch.stem}: quiz {q.id} missing"


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_book_answers_are_in_an_answer_key(fmt: str, built_text: dict[str, str],
                                          default_project: Project) -> None:
    assert fmt in built_text, f"format {fmt} was not built"
    key = _squash(built_text[f"{fmt}-key"])
    assert key, f"{fmt}: no answer key"
    for q in default_project.course.quiz_items:
        assert _squash(q.question) in key, q.id
        for text in key_texts(q):
            assert _squash(text) in key, q.id
    # the answers are not marked next to the questions
    assert "(correct)" not in built_text[fmt]
