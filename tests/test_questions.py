"""Question types beyond multiple choice: located errors in course files, the model they
make, their scoring rules (and the course player's agreement with them over generated
answers), and the session plan's minutes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser

from cxbook.build import BuildOptions, load_renderer
from cxbook.diagnostics import SourceLocation
from cxbook.model import (
    Choice,
    ChoiceQuestion,
    Course,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    scramble,
)
from cxbook.readers.project import read_project
from cxbook.renderers.scorm import max_suspend_length, saved_width
from cxbook.scoring import (
    WHITE_SPACE,
    course_score,
    fill_in_key,
    is_answered,
    item_correct,
    parse_number,
    scoring_rules,
)

from conftest import PROJECTS, REPO, run_cli
from support.answers import (
    expected_patterns,
    expected_response,
    interaction_type,
    right_pick,
    right_response,
    shown_answer,
    wrong_pick,
    wrong_response,
)
from support.lms_harness import LmsSession, run_axe, serious_violations, serve_directory
from support.scorm_tools import Learner, extract

CH1 = "01-positive-service-experiences"
PLAYER = REPO / "src" / "cxbook" / "renderers" / "scorm_assets" / "player.js"


def errors_for(project: Path, text: str, name: str = f"{CH1}.yaml") -> list[str]:
    (project / "course" / name).write_text(text, encoding="utf-8")
    result = run_cli("check", str(project))
    lines = [line for line in result.err.splitlines() if ": error: " in line]
    assert result.code == (1 if lines else 0), result.err
    return lines


# -- 1. located errors, one kind of mistake per question type ----------------------------

F = f"course/{CH1}.yaml"
CASES = {
    "numeric answer outside its range": (
        "quiz:\n  - type: numeric\n    question: How many myths?\n    answer: 12\n"
        "    range: [1, 10]\n",
        [f"{F}:4:13: error: answer 12 is outside its range [1, 10]: the answer shown must be "
         "a number the range accepts; change the answer or the range "
         "[course.answer-outside-range]"]),
    "matching pair with an unknown target": (
        "quiz:\n  - type: matching\n    question: Match them.\n"
        "    targets: [Adapt to the new landscape, Be human]\n    pairs:\n"
        "      Adaptability: Adapt to the landscape\n      Communication: Be human\n",
        [f"{F}:6:21: error: target 'Adapt to the landscape' is not one of the quiz's 'targets' "
         "(did you mean 'Adapt to the new landscape'?); a pair's target must repeat one of "
         "them exactly; the targets are: 'Adapt to the new landscape', 'Be human' "
         "[course.unknown-target]"]),
    "ordering with a duplicate": (
        "quiz:\n  - type: ordering\n    question: Order them.\n    sequence:\n"
        "      - Context\n      - Culture\n      - Context\n",
        [f"{F}:7:9: error: entry 'Context' is given twice (first at line 5); each entry must "
         "be different [course.duplicate-entry]"]),
    "empty accepted answer": (
        "quiz:\n  - type: fill-in\n    question: Complete it.\n    answer:\n"
        "      - enemies\n      - ''\n",
        [f"{F}:6:9: error: quiz 'answer' is empty; write its text [course.empty]"]),
    "no accepted answer": (
        "quiz:\n  - type: fill-in\n    question: Complete it.\n    answer: []\n",
        [f"{F}:4:13: error: fill-in question has no accepted answer; set 'answer' to the text "
         "the learner must type (a list when several are accepted) [course.no-answer]"]),
    "the same accepted answer twice": (
        "quiz:\n  - type: fill-in\n    question: Complete it.\n"
        "    answer: [Enemies, ' enemies ']\n"
        "  - type: fill-in\n    question: Complete it.\n    case_sensitive: true\n"
        "    answer: [Enemies, enemies, “Enemies”, '\"Enemies\"']\n",
        [f"{F}:4:23: error: answer 'enemies' is the same as 'Enemies' (line 4) once case, "
         "spacing and curly quotes are ignored; keep one of them [course.duplicate-answer]",
         f"{F}:8:43: error: answer '\"Enemies\"' is the same as '“Enemies”' (line 8) once "
         "spacing and curly quotes are ignored; keep one of them [course.duplicate-answer]"]),
    "unknown question type": (
        "quiz:\n  - type: fill_in\n    question: Complete it.\n    answer: enemies\n",
        [f"{F}:2:11: error: question type 'fill_in' is not one of choice, fill-in, numeric, "
         "matching, ordering (did you mean 'fill-in'?) [course.question-type]"]),
    "a key of another type without 'type'": (
        "quiz:\n  - question: Put them in order.\n    sequence: [a, b]\n",
        [f"{F}:3:5: error: 'sequence' is a key of an ordering question: add 'type: ordering' "
         "to this quiz item (without 'type' a quiz item is a choice question) "
         "[course.question-type]"]),
    "a key the type does not have": (
        "quiz:\n  - type: fill-in\n    question: Complete it.\n    answer: enemies\n"
        "    tolerance: 1\n",
        [f"{F}:5:5: error: unknown key 'tolerance' in a fill-in question; allowed keys: id, "
         "question, answer, case_sensitive, explanation, type, minutes [schema.unknown-key]"]),
    "numbers that are not numbers": (
        "quiz:\n  - type: numeric\n    question: How many?\n    answer: four\n"
        "  - type: numeric\n    question: How many?\n    answer: 4,5\n"
        "  - type: numeric\n    question: How many?\n    answer: 123456789012\n",
        [f"{F}:4:13: error: quiz 'answer' must be a number such as 4 or 2.5, not 'four' "
         "[course.numeric]",
         f"{F}:7:13: error: quiz 'answer' must be a number such as 4 or 2.5, not '4,5'; write "
         "the decimal point as '.' [course.numeric]",
         f"{F}:10:13: error: quiz 'answer' has at most 10 digits before the decimal point "
         "and 7 after it, not 123456789012 (SCORM records no more) [course.numeric]"]),
    "ranges and tolerances": (
        "quiz:\n  - type: numeric\n    question: How many?\n    range: [10, 1]\n"
        "  - type: numeric\n    question: How many?\n    answer: 4\n    tolerance: 1\n"
        "    range: [1, 10]\n"
        "  - type: numeric\n    question: How many?\n    unit: myths\n"
        "  - type: numeric\n    question: How many?\n    answer: 4\n    tolerance: -1\n",
        [f"{F}:4:12: error: quiz 'range' starts above its end: write it as [lowest, highest], "
         "[1, 10] [course.numeric]",
         f"{F}:8:16: error: a numeric question has 'tolerance' or 'range', not both: give "
         "'answer' with 'tolerance', or the 'range' of accepted numbers [course.numeric]",
         f"{F}:10:5: error: a numeric question is missing the required key 'answer'; add "
         "'answer: …' (with 'tolerance: …' if near answers count too) or 'range: [lowest, "
         "highest]' [schema.missing-key]",
         f"{F}:16:16: error: quiz 'tolerance' must be 0 or more, not -1 [schema.range]"]),
    "matching without enough pairs, with a target twice, as a list": (
        "quiz:\n  - type: matching\n    question: Match.\n    pairs:\n      a: b\n"
        "  - type: matching\n    question: Match.\n    targets: [x, x]\n    pairs:\n"
        "      a: x\n      b: x\n"
        "  - type: matching\n    question: Match.\n    pairs: [a, b]\n",
        [f"{F}:5:7: error: a matching question needs at least two pairs "
         "[course.too-few-entries]",
         f"{F}:8:18: error: target 'x' is given twice (first at line 8); each target must be "
         "different [course.duplicate-entry]",
         f"{F}:14:12: error: quiz 'pairs' must be a mapping of each prompt to its target "
         "('prompt: target' lines), not a list [schema.type]"]),
    "too many answers, entries and characters": (
        "quiz:\n  - type: fill-in\n    question: Complete it.\n"
        "    answer: [a, b, c, d, e, f, g, h, i, j, k]\n"
        "  - type: fill-in\n    question: Long.\n    answer: " + "x" * 251 + "\n"
        "  - type: ordering\n    question: O.\n    sequence: ["
        + ", ".join(f"e{i}" for i in range(27)) + "]\n"
        "  - type: ordering\n    question: O.\n    sequence: [only]\n",
        [f"{F}:4:13: error: a fill-in question accepts at most 10 answers, not 11 "
         "[course.too-many-answers]",
         f"{F}:7:13: error: a fill-in answer has at most 250 characters (SCORM records at most "
         "250); this one has 251: shorten it [course.answer-too-long]",
         f"{F}:10:15: error: an ordering question has at most 26 entries, not 27 "
         "[course.too-many-entries]",
         f"{F}:13:15: error: an ordering question needs at least two entries "
         "[course.too-few-entries]"]),
    "feedback, minutes and shuffle": (
        "discussion_minutes: -3\n"
        "quiz:\n  - question: Which?\n    minutes: 200\n    shuffle: sometimes\n"
        "    choices:\n      - Action\n      - text: Luck\n        feedbak: No.\n"
        "    answer: Action\n",
        [f"{F}:1:21: error: 'discussion_minutes' must be from 0 to 600, not -3 "
         "[schema.range]",
         f"{F}:4:14: error: quiz 'minutes' must be from 0 to 120, not 200 [schema.range]",
         f"{F}:5:14: error: quiz 'shuffle' must be true or false, not text 'sometimes' "
         "[schema.type]",
         f"{F}:9:9: error: unknown key 'feedbak' in a choice (did you mean 'feedback'?); "
         "allowed keys: text, feedback [schema.unknown-key]"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_questions_get_exact_located_errors(default_project_copy: Path, case: str) -> None:
    text, expected = CASES[case]
    assert errors_for(default_project_copy, text) == expected


def test_course_yaml_plan_settings_are_checked(default_project_copy: Path) -> None:
    text = ("title: Staff course\nsession_minutes: 0\nprompt_minutes: many\n"
            "question_minutes: 121\n")
    assert errors_for(default_project_copy, text, "course.yaml") == [
        "course/course.yaml:2:18: error: 'session_minutes' must be from 1 to 1440, not 0 "
        "[schema.range]",
        "course/course.yaml:3:17: error: 'prompt_minutes' must be a whole number from 0 to "
        "120, not text 'many' [schema.type]",
        "course/course.yaml:4:19: error: 'question_minutes' must be from 0 to 120, not 121 "
        "[schema.range]",
    ]


# -- 2. the model ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def questions() -> dict[str, Question]:
    project = read_project(PROJECTS / "questions")
    return {q.id: q for q in project.course.quiz_items}


def test_each_type_is_read_into_its_model(questions: dict[str, Question]) -> None:
    parts = questions["counting-reply-parts"]
    assert isinstance(parts, ChoiceQuestion) and parts.shuffle and parts.multiple
    assert [c.feedback for c in parts.choices] == [
        None, "A complaint is what a reply answers, not one of its parts.", None,
        "Nothing in the chapter offers a discount."]
    day = questions["counting-customers-a-day"]
    assert isinstance(day, NumericQuestion)
    assert (day.low, day.high, day.answer, day.unit) == (
        Decimal(115), Decimal(125), Decimal(120), "customers")
    minutes = questions["counting-reply-minutes"]
    assert isinstance(minutes, NumericQuestion) and minutes.answer is None
    assert (minutes.low, minutes.high, minutes.minutes) == (Decimal(2), Decimal(3), 3)
    name = questions["counting-promise-name"]
    assert isinstance(name, FillInQuestion) and not name.case_sensitive
    assert name.answers == ("quick reply", "“quick reply” promise")
    assert name.max_length == 42  # twice the longest accepted answer
    match = questions["ordering-reply-match"]
    assert isinstance(match, MatchingQuestion) and match.shuffle
    assert {p.text: t.text for p, t in match.pair_choices} == {
        "A greeting": "First", "A question": "In the middle", "An answer": "In the middle",
        "A thank-you": "Last"}
    assert {t.text for t in match.targets} == {"First", "In the middle", "Last", "Never"}
    order = questions["ordering-reply-order"]
    assert isinstance(order, OrderingQuestion) and not order.shuffle
    assert [e.text for e in order.entries] == ["A greeting", "A question", "An answer",
                                               "A thank-you"]


def test_shown_orders_never_give_the_answer_away() -> None:
    for n in range(2, 27):
        for seed in ("a", "b", "reply-order", "x" * n):
            order = scramble(seed, n)
            assert sorted(order) == list(range(n)) and order != tuple(range(n))
            assert scramble(seed, n) == order  # the same in every output and build
    # a matching question's targets never line up with its prompts, even when the file
    # lists them in the pairs' order
    loc = SourceLocation("course/x.yaml", 1)
    for n in range(2, 9):
        texts = [f"t{i}" for i in range(n)]
        from cxbook.course import _question
        from cxbook.readers.course import RawQuiz
        raw = RawQuiz(None, "Match.", None, loc, kind="matching", prompts=tuple(texts),
                      targets=tuple(texts), pairs=tuple(range(n)))
        made = _question(raw, f"x-q-{n}", lambda t: t, 1)
        assert isinstance(made, MatchingQuestion)
        assert any(made.pairs[i] != i for i in range(n))
        assert [made.targets[t].text for t in made.pairs] == texts


# -- 3. scoring rules --------------------------------------------------------------------

LOC = SourceLocation("course/x.yaml", 1)


def fill_in(*answers: str, case_sensitive: bool = False) -> FillInQuestion:
    return FillInQuestion("f", "Q?", answers, case_sensitive, None, LOC)


def numeric(low: str, high: str, unit: str | None = None) -> NumericQuestion:
    return NumericQuestion("n", "Q?", Decimal(low), Decimal(high), None, unit, None, LOC)


def test_fill_in_rules_for_case_white_space_and_quotes() -> None:
    q = fill_in("worst enemies", "don’t panic", "Straße")
    for text in ("worst enemies", "  Worst\u00a0\tENEMIES ", "worst\u3000enemies",
                 "don't panic", "DON’T PANIC", "STRASSE", "ｗｏｒｓｔ enemies"):
        assert item_correct(q, text) and is_answered(q, text), text
    for text in ("worstenemies", "worst enemy", "", "   "):
        assert not item_correct(q, text), text
    assert not is_answered(q, "  \u2003 ")
    strict = fill_in("Grüezi", case_sensitive=True)
    assert item_correct(strict, "Grüezi") and item_correct(strict, " Gru\u0308ezi ")
    assert not item_correct(strict, "grüezi")
    assert fill_in_key("ΟΔΟΣ") == fill_in_key("οδος") == fill_in_key("οδοσ")


def test_numeric_rules_for_numbers_units_and_ranges() -> None:
    q = numeric("-2.5", "3.75", unit="km")
    for text in ("-2.5", "−2,5", "+3.75", "3.75 km", "0", "0KM", " .5 ", "-0", "3,7500000"):
        assert item_correct(q, text), text
    for text in ("-2.5000001", "3.76", "4 km"):
        assert is_answered(q, text) and not item_correct(q, text), text
    for text in ("1e3", "1,000.5", "", "km", "3 . 5", "- 2", "12345678901", "0.12345678",
                 "٣", "3.75 miles"):
        assert not is_answered(q, text) and not item_correct(q, text), text
    assert parse_number("1 000") is None and parse_number("１２") == Decimal(12)
    exact = numeric("0.3", "0.3")
    assert item_correct(exact, "0.30") and not item_correct(exact, "0.30000001")


def test_matching_and_ordering_need_every_part_right(questions: dict[str, Question]) -> None:
    match = questions["ordering-reply-match"]
    right = right_response(match)
    assert item_correct(match, right)
    assert not item_correct(match, dict(list(right.items())[:3]))  # no partial credit
    assert not item_correct(match, {**right, "unknown": right[match.prompts[0].id]})
    assert not item_correct(match, wrong_response(match))
    assert is_answered(match, {match.prompts[0].id: match.targets[0].id})
    assert not is_answered(match, {}) and not is_answered(match, ["x"])
    order = questions["ordering-reply-order"]
    assert item_correct(order, right_response(order))
    assert not item_correct(order, wrong_response(order))
    assert not item_correct(order, right_response(order)[:3])
    assert not is_answered(order, []) and not item_correct(order, "abcd")


def test_scoring_rules_carry_each_type_and_the_text_rules(
        questions: dict[str, Question]) -> None:
    course = Course("t", "t", 75, (), None)
    course = dataclasses.replace(course, activities=(dataclasses.replace(
        read_project(PROJECTS / "questions").course.activities[0]),))
    rules = scoring_rules(course)
    items = rules["items"]
    assert isinstance(items, dict)
    assert items["counting-customers-a-day"] == {"type": "numeric", "low": "115",
                                                 "high": "125", "unit": "customers"}
    assert items["counting-promise-case"] == {"type": "fill-in", "accepted": ["Grüezi"],
                                              "caseSensitive": True}
    assert rules["text"] == {"whiteSpace": WHITE_SPACE,
                             "quotes": {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
                                        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'},
                             "number": r"[+-]?(?:[0-9]{1,10}(?:[.,][0-9]{1,7})?|[.,][0-9]{1,7})",
                             "minus": "−"}


# -- 4. the course player scores as scoring.py does, over generated answers ---------------

SAMPLE_TEXT = st.sampled_from([
    "enemies", "Enemies", "ENEMIES", "worst enemies", "don’t panic", "don't panic",
    "Straße", "STRASSE", "ΟΔΟΣ", "οδος", "İstanbul", "istanbul", "ǰ", "ﬁne", "FINE",
    "ｅｎｅｍｉｅｓ", "Grüezi", "Gru\u0308ezi", "“quoted”", '"quoted"', "km", "KM", "-", "−",
    ".", ",", "+", "1e3", "0", "00", "٣", "１２",
])
WHITE = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\u202f", "\ufeff",
                         "\u2028", "\u0085", "\u200b", ""])
ALPHABET = st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"],
                         max_codepoint=0x2FFF)


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Fill-in and numeric responses: accepted answers changed, numbers written every way,
    white space of every kind, and random text."""
    pieces = draw(st.lists(st.one_of(
        SAMPLE_TEXT, WHITE,
        st.from_regex(r"[+\-−]?[0-9]{0,12}([.,][0-9]{0,9})?", fullmatch=True),
        st.text(ALPHABET, max_size=6)), max_size=5))
    return "".join(pieces)


QUESTIONS: tuple[Question, ...] = (
    ChoiceQuestion("c", "Q?", (Choice("c1", "A"), Choice("c2", "B"), Choice("c3", "C")),
                   (0, 2), None, LOC),
    FillInQuestion("f1", "Q?", ("enemies", "worst enemies", "don’t panic", "Straße", "ΟΔΟΣ",
                                "ﬁne"), False, None, LOC),
    FillInQuestion("f2", "Q?", ("Grüezi", "“quoted”", "İstanbul"), True, None, LOC),
    NumericQuestion("n1", "Q?", Decimal("-2.5"), Decimal("3.75"), None, "km", None, LOC),
    NumericQuestion("n2", "Q?", Decimal("0"), Decimal("0"), Decimal("0"), None, None, LOC),
    NumericQuestion("n3", "Q?", Decimal("-9999999999.9999999"), Decimal("12"), None, "KM",
                    None, LOC),
    MatchingQuestion("m", "Q?", (Choice("p1", "a"), Choice("p2", "b"), Choice("p3", "c")),
                     (Choice("t1", "x"), Choice("t2", "y"), Choice("t3", "z")), (1, 1, 0),
                     None, LOC),
    OrderingQuestion("o", "Q?", (Choice("e1", "a"), Choice("e2", "b"), Choice("e3", "c")),
                     None, LOC),
)
IDS = {"c": ["c1", "c2", "c3", "x"], "m": ["p1", "p2", "p3", "x"], "t": ["t1", "t2", "t3", ""],
       "o": ["e1", "e2", "e3", "e4"]}


@st.composite
def responses(draw: st.DrawFn, q: Question) -> Any:
    """A response of the item's own shape, mostly; sometimes another shape."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(st.just([]), st.just({}), texts(), st.lists(texts(),
                                                                              max_size=2)))
    if isinstance(q, ChoiceQuestion):
        return draw(st.lists(st.sampled_from(IDS["c"]), max_size=4))
    if isinstance(q, FillInQuestion | NumericQuestion):
        if draw(st.booleans()):
            answer = draw(st.sampled_from(q.answers if isinstance(q, FillInQuestion) else
                                          [str(q.low), str(q.high), "1", "-1"]))
            return draw(WHITE) + answer + draw(WHITE) + draw(st.sampled_from(
                ["", " km", "KM", " Km ", ""]))
        return draw(texts())
    if isinstance(q, MatchingQuestion):
        if draw(st.booleans()):
            return right_response(q)
        return draw(st.dictionaries(st.sampled_from(IDS["m"]), st.sampled_from(IDS["t"]),
                                    max_size=4))
    if draw(st.booleans()):
        return draw(st.permutations(["e1", "e2", "e3"]))
    return draw(st.lists(st.sampled_from(IDS["o"]), max_size=4))


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    return {q.id: draw(responses(q)) for q in QUESTIONS if draw(st.integers(0, 4))}


@pytest.fixture(scope="module")
def player(browser: Browser) -> Any:
    page = browser.new_page()
    page.set_content("<!DOCTYPE html><html><body></body></html>")
    page.add_script_tag(content=PLAYER.read_text(encoding="utf-8"))
    yield page
    page.close()


def _same_text_everywhere(answers: dict[str, Any]) -> bool:
    """Characters Unicode gave new case mappings or decompositions after 14.0 could be
    read differently by Python's and the browser's Unicode tables: left out."""
    def ok(value: Any) -> bool:
        if isinstance(value, str):
            return all(unicodedata.unidata_version >= "14" and
                       unicodedata.category(c) != "Cn" for c in value)
        if isinstance(value, dict):
            return all(ok(k) and ok(v) for k, v in value.items())
        if isinstance(value, list):
            return all(ok(v) for v in value)
        return True
    return ok(answers)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(st.lists(answer_sets(), min_size=10, max_size=10))
def test_the_player_scores_every_type_as_scoring_does(player: Any,
                                                      batch: list[dict[str, Any]]) -> None:
    """Hypothesis draws answers of every type (and of the wrong shapes); Python's scoring
    and the course player's agree on each item's answered and right, and on the score."""
    batch = [a for a in batch if _same_text_everywhere(a)]
    course = Course("t", "t", 50, (), None)
    from cxbook.model import ChapterActivities
    course = dataclasses.replace(course, activities=(
        ChapterActivities("s", (), (), (), QUESTIONS, None),))
    rules = json.loads(json.dumps(scoring_rules(course)))
    got = player.evaluate(
        """([rules, batch]) => batch.map(answers => ({
             score: window.cxcourse.courseScore(rules, answers).score,
             items: Object.keys(answers).map(id => [
               id, window.cxcourse.itemAnswered(rules, id, answers[id]),
               window.cxcourse.itemCorrect(rules, id, answers[id])])}))""", [rules, batch])
    by_id = {q.id: q for q in QUESTIONS}
    want = [{"score": course_score(course, answers),
             "items": [[i, is_answered(by_id[i], r), item_correct(by_id[i], r)]
                       for i, r in answers.items()]} for answers in batch]
    assert got == want


def test_generated_answers_reach_both_outcomes() -> None:
    """The strategies are not idle: they make right and wrong answers of every type."""
    outcomes: dict[str, set[bool]] = {}

    @settings(max_examples=300, derandomize=True, database=None)
    @given(answer_sets())
    def collect(answers: dict[str, Any]) -> None:
        for q in QUESTIONS:
            if q.id in answers:
                outcomes.setdefault(q.id, set()).add(item_correct(q, answers[q.id]))

    collect()
    assert all(outcomes.get(q.id) == {True, False} for q in QUESTIONS), outcomes


# -- 5. saved progress ---------------------------------------------------------------------


def test_saved_progress_bound_counts_every_type(questions: dict[str, Question]) -> None:
    widths = {i: saved_width(q) for i, q in questions.items()}
    assert widths["counting-reply-parts"] == 1  # 4 choices: 2**4 + 1 values, one digit
    assert widths["counting-customers-a-day"] == 2 + 19  # a length, a recorded number
    assert widths["counting-promise-name"] == 2 + 5 * 42  # each character escaped at worst
    assert widths["ordering-reply-match"] == 4  # a digit per prompt
    assert widths["ordering-reply-order"] == 4  # a digit per entry
    project = read_project(PROJECTS / "questions")
    assert max_suspend_length(project) == (3 + 8 + 1 + 4 + 1 + 1 + 1 + 1 + 1
                                           + sum(widths.values()))


def test_check_reports_saved_progress_of_fill_in_questions_over_the_limit(
        tmp_path: Path) -> None:
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "course").mkdir()
    (root / "manuscript" / "book.yaml").write_text("title: Long Answers\nlanguage: en\n")
    (root / "manuscript" / "01-one.md").write_text(
        "---\ntitle: One\nauthor: A\noriginal: true\n---\n\nText.\n")
    item = ("  - type: fill-in\n    question: Q{n}?\n    answer: " + "x" * 60 + "\n")
    (root / "course" / "01-one.yaml").write_text(
        "quiz:\n" + "".join(item.format(n=n) for n in range(7)))
    checked = run_cli("check", str(root))
    assert checked.code == 1
    (line,) = [x for x in checked.err.splitlines() if "scorm." in x]
    # 7 fill-in items of 120 characters at most, each character escaped in 5 at worst
    assert line == ("course/course.yaml:1:1: error: the course's saved progress can reach "
                    f"{3 + 8 + 1 + 4 + 1 + 1 + 1 + 1 + 1 + 7 * (2 + 5 * 120)} characters, more "
                    "than the 4096 that SCORM 1.2 allows (7 quiz items and 1 chapters); build "
                    "only the scorm2004 package (64,000 characters) or split the course "
                    "[scorm.suspend-data-limit]")
    assert run_cli("check", str(root), "-f", "scorm2004").code == 0


# -- 6. the session plan -------------------------------------------------------------------


def test_session_minutes_add_up() -> None:
    project = read_project(PROJECTS / "questions")
    first, second = project.course.activities
    assert first.discussion_minutes == 12  # the chapter's own discussion_minutes
    assert first.quiz_minutes == 2 + 2 + 3 + 2 + 2  # question_minutes, one item's own
    assert first.minutes == 12 + 0 + 11
    assert second.discussion_minutes == 0 and second.minutes == 6
    assert project.course.minutes == 23 + 6 and project.course.session_minutes == 45
    default = read_project(REPO).course
    for acts in default.activities:  # 5 minutes a prompt, a minute a question
        assert acts.discussion_minutes == 5 * len(acts.discussion)
        assert acts.quiz_minutes == len(acts.quiz)
        assert acts.minutes == (acts.discussion_minutes + acts.quiz_minutes
                                + sum(e.minutes or 0 for e in acts.exercises))


def test_a_session_longer_than_the_course_allows_is_a_located_warning(
        default_project_copy: Path) -> None:
    course = default_project_copy / "course" / "course.yaml"
    course.write_text(course.read_text().replace("session_minutes: 120",
                                                 "session_minutes: 100"))
    result = run_cli("check", str(default_project_copy))
    warnings = [line for line in result.err.splitlines() if "course.session-too-long" in line]
    assert result.code == 0
    titles = {4: "5 Factors That Make a Service Experience Amazing or Disastrous",
              5: "Clarity and Optimism for an Exceptional Customer Service Future"}
    stems = {4: "04-five-factors", 5: "05-clarity-and-optimism"}
    assert warnings == [
        f"course/{stems[n]}.yaml:1:1: warning: the session plan of chapter {n} ({titles[n]}) "
        "takes 101 minutes (discussion 35, exercises 60, knowledge check 6), more than the "
        "100-minute session set by 'session_minutes' in course/course.yaml (line 4): shorten "
        "its activities, give its discussion fewer minutes ('discussion_minutes'), or make "
        "the session longer [course.session-too-long]" for n in (4, 5)]
    # a chapter may give its discussion less time, and a warning can be acknowledged
    chapter = default_project_copy / "course" / "04-five-factors.yaml"
    chapter.write_text("discussion_minutes: 20\n" + chapter.read_text())
    five = default_project_copy / "course" / "05-clarity-and-optimism.yaml"
    five.write_text("acknowledge: course.session-too-long\n" + five.read_text())
    result = run_cli("check", str(default_project_copy), "--strict")
    assert result.code == 0, result.err
    assert "course.session-too-long ×1" in result.err
    acts = read_project(default_project_copy).course.activities
    assert [a.discussion_minutes for a in acts] == [35, 35, 35, 20, 35]


# -- 7. the course page in a strict LMS ------------------------------------------------------

VERSIONS = ("1.2", "2004")
WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
LEARNER = {"1.2": "cmi.core.student_id", "2004": "cmi.learner_id"}
# Answers as a learner types them, and what the page keeps and the LMS records of them.
TYPED = {
    "counting-customers-a-day": (" 123,0 Customers", "123", "130", "130"),
    "counting-reply-minutes": ("2.5", "2.5", "−3,50", "-3.5"),
    "counting-promise-name": ("  QUICK\tReply ", "QUICK Reply", "slow reply", "slow reply"),
    "counting-promise-case": ("Grüezi", "Grüezi", "grüezi", "grüezi"),
}


@pytest.fixture(scope="module")
def course_project() -> Any:
    return read_project(PROJECTS / "questions")


@pytest.fixture(scope="module")
def packages(course_project: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("questions")
    made = {}
    for version in VERSIONS:
        name = "scorm12" if version == "1.2" else "scorm2004"
        (file,) = load_renderer(name).render(course_project, BuildOptions(source_date=WHEN))
        path = out / file.name
        path.write_bytes(file.data)
        made[version] = extract(path, out / name)
    return made


def pick(q: Question, right: bool) -> Any:
    if q.id in TYPED:
        return TYPED[q.id][0 if right else 2]
    return right_pick(q) if right else wrong_pick(q)


def kept(q: Question, right: bool) -> Any:
    """The response the page keeps (and records) for pick(q, right)."""
    if q.id in TYPED:
        return TYPED[q.id][1 if right else 3]
    return right_response(q) if right else wrong_response(q)


def records_by_id(state: dict[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for key, value in state.items():
        m = re.fullmatch(r"cmi\.interactions\.(\d+)\.(.+)", key)
        if m:
            out.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return {r["id"]: r for r in out.values()}


def answer_course(lms: LmsSession, project: Any, right: bool) -> Learner:
    frame = lms.sco_frame
    assert frame is not None
    learner = Learner(frame)
    learner.wait_ready()
    for ch in project.chapters:
        quiz = project.course.for_chapter(ch.stem).quiz
        learner.answer_visible_quiz({q.id: pick(q, right) for q in quiz})
        learner.next()
    return learner


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
def test_every_type_is_scored_and_recorded_in_a_strict_lms(
        browser: Browser, packages: dict[str, Path], course_project: Any, version: str,
        right: bool) -> None:
    """Right answers score 100 and pass, wrong ones 0 and fail; each question leaves a
    typed interaction with its correct patterns, the learner's response as typed (in the
    version's format) and its result, and the strict layer refuses nothing."""
    items = course_project.course.quiz_items
    with LmsSession(browser, packages[version], version,
                    initial_cmi={LEARNER[version]: "ada"}) as lms:
        learner = answer_course(lms, course_project, right)
        feedback = {q.id: learner.frame.locator(f"#{q.id} .feedback").inner_text()
                    for q in items}
        lms.unload()
        state = lms.cmi_state(flattened=True)
        assert lms.problems() == []
    records = records_by_id(state)
    assert set(records) == {q.id for q in items}
    for q in items:
        r = records[q.id]
        assert r["type"] == interaction_type(q), q.id
        response = r["student_response" if version == "1.2" else "learner_response"]
        assert response == expected_response(q, kept(q, right), version), q.id
        patterns = [r[f"correct_responses.{n}.pattern"] for n in range(10)
                    if f"correct_responses.{n}.pattern" in r]
        assert patterns == expected_patterns(q, version), q.id
        assert r["result"] == ("correct" if right else
                               "wrong" if version == "1.2" else "incorrect"), q.id
        assert feedback[q.id].startswith("Correct." if right else "Not quite."), q.id
    # feedback per choice: what the picked wrong choice says
    if not right:
        assert "A complaint is what a reply answers" in feedback["counting-reply-parts"]
    if version == "1.2":
        assert state["cmi.core.score.raw"] == ("100" if right else "0")
        assert state["cmi.core.lesson_status"] == ("passed" if right else "failed")
    else:
        assert state["cmi.score.raw"] == ("100" if right else "0")
        assert state["cmi.success_status"] == ("passed" if right else "failed")


def shuffled_orders(frame: Any, project: Any) -> dict[str, list[str]]:
    """The order each shuffled item shows its choices, targets or entries in."""
    orders = {}
    for q in project.course.quiz_items:
        if not getattr(q, "shuffle", False):
            continue
        box = frame.locator(f'fieldset[data-item="{q.id}"]')
        if isinstance(q, MatchingQuestion):
            orders[q.id] = box.locator("select").first.locator("option").all_inner_texts()
        elif isinstance(q, OrderingQuestion):
            orders[q.id] = box.locator(".order-text").all_inner_texts()
        else:
            orders[q.id] = box.locator("label").all_inner_texts()
    return orders


@pytest.mark.parametrize("version", VERSIONS)
def test_resume_restores_every_answer_in_the_same_order(
        browser: Browser, packages: dict[str, Path], course_project: Any,
        version: str) -> None:
    items = course_project.course.quiz_items
    with LmsSession(browser, packages[version], version,
                    initial_cmi={LEARNER[version]: "ada"}) as lms:
        learner = answer_course(lms, course_project, True)
        learner.previous()
        orders = shuffled_orders(learner.frame, course_project)
        lms.unload()
        state = lms.cmi_state(flattened=True)
        assert lms.problems() == []
    saved = state["cmi.suspend_data"]
    assert saved.startswith("c2.") and saved.isascii()
    location = "cmi.core.lesson_location" if version == "1.2" else "cmi.location"
    # the LMS hands back only the location and the saved progress (1.2 interactions are
    # write-only): every answer comes back from suspend_data; another learner id too
    resume = {location: state[location], "cmi.suspend_data": saved,
              LEARNER[version]: "someone-else",
              "cmi.core.entry" if version == "1.2" else "cmi.entry": "resume"}
    with LmsSession(browser, packages[version], version, initial_cmi=resume) as lms:
        frame = lms.sco_frame
        assert frame is not None
        learner = Learner(frame)
        learner.wait_ready()
        for q in items:
            shown = shown_answer(frame, q)
            want = pick(q, True) if q.id not in TYPED else TYPED[q.id][1]
            assert shown == want, q.id
            assert frame.locator(f"#{q.id} .feedback").inner_text().startswith("Correct.")
        ordering = {q.id for q in items if isinstance(q, OrderingQuestion)}
        again = shuffled_orders(frame, course_project)
        assert {i: o for i, o in again.items() if i not in ordering} == {
            i: o for i, o in orders.items() if i not in ordering}
        status = frame.locator("#cx-status").inner_text()
        assert f"{len(items)} of {len(items)} questions answered · score 100%" in status
        lms.unload()
        assert lms.problems() == []


def test_shuffled_orders_follow_the_learner(browser: Browser, packages: dict[str, Path],
                                            course_project: Any) -> None:
    """The same learner sees the same orders at every launch; others see their own."""
    seen: dict[str, list[dict[str, list[str]]]] = {}
    for learner_id in ("ada", "bea", "ada", "cy"):
        with LmsSession(browser, packages["2004"], "2004",
                        initial_cmi={"cmi.learner_id": learner_id}) as lms:
            frame = lms.sco_frame
            assert frame is not None
            Learner(frame).wait_ready()
            seen.setdefault(learner_id, []).append(shuffled_orders(frame, course_project))
            lms.unload()
    assert seen["ada"][0] == seen["ada"][1]
    assert len({json.dumps(seen[i][0], sort_keys=True) for i in ("ada", "bea", "cy")}) == 3
    # an ordering question never starts in its right order, shuffled or not
    for orders in (o for runs in seen.values() for o in runs):
        for q in course_project.course.quiz_items:
            if isinstance(q, OrderingQuestion) and q.id in orders:
                assert orders[q.id] != [e.text for e in q.entries]


def test_without_an_lms_the_seed_is_kept_with_the_progress(
        browser: Browser, packages: dict[str, Path], course_project: Any) -> None:
    with serve_directory(packages["1.2"]) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/index.html")
            Learner(page.main_frame).wait_ready()
            first = shuffled_orders(page.main_frame, course_project)
            page.get_by_role("button", name="Next", exact=True).click()
            page.reload()
            Learner(page.main_frame).wait_ready()
            assert shuffled_orders(page.main_frame, course_project) == first
        finally:
            page.close()


def test_matching_and_ordering_work_from_the_keyboard(
        browser: Browser, packages: dict[str, Path], course_project: Any) -> None:
    """No pointer: Tab to a Move button and press Enter or Space; the focus stays on the
    button and the new place is announced; a matching list is chosen with the arrow keys."""
    order = next(q for q in course_project.course.quiz_items if q.id == "ordering-reply-order")
    assert isinstance(order, OrderingQuestion)
    with LmsSession(browser, packages["2004"], "2004") as lms:
        frame = lms.sco_frame
        assert frame is not None
        learner = Learner(frame)
        learner.wait_ready()
        learner.next()
        box = frame.locator(f'fieldset[data-item="{order.id}"]')
        keyboard = lms.page.keyboard
        wanted = [e.text for e in order.entries]
        for place, text in enumerate(wanted):
            for _ in range(box.locator(".order-text").all_inner_texts().index(text) - place):
                button = box.get_by_role("button", name=f"Move up: {text}", exact=True)
                button.focus()
                keyboard.press("Enter")
                assert frame.evaluate("document.activeElement.getAttribute('aria-label')") == (
                    f"Move up: {text}")
                shown = box.locator(".order-text").all_inner_texts()
                assert box.locator(".order-status").inner_text() == (
                    f"{text}: {shown.index(text) + 1} of {len(wanted)}.")
        assert box.locator(".order-text").all_inner_texts() == wanted
        match = next(q for q in course_project.course.quiz_items if isinstance(q, MatchingQuestion))
        for prompt, target in match.pair_choices:
            select = frame.locator(f"#{match.id}-{prompt.id}")
            select.focus()
            options = select.locator("option").all_inner_texts()
            for _ in range(options.index(target.text)):
                keyboard.press("ArrowDown")
            assert select.locator("option:checked").inner_text() == target.text
        frame.get_by_role("button", name="Check answers: Putting Replies in Order").focus()
        keyboard.press("Enter")
        assert box.locator(".feedback").inner_text().startswith("Correct.")
        assert frame.locator(f"#{match.id} .feedback").inner_text().startswith("Correct.")
        lms.unload()
        assert lms.problems() == []


@pytest.mark.parametrize("width", [1280, 320])
def test_every_question_type_passes_axe(browser: Browser, packages: dict[str, Path],
                                        course_project: Any, width: int) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800})
    try:
        with serve_directory(packages["2004"]) as base:
            page = context.new_page()
            page.goto(f"{base}/index.html")
            learner = Learner(page.main_frame)
            learner.wait_ready()
            for ch in course_project.chapters:
                assert serious_violations(run_axe(page)) == []
                quiz = course_project.course.for_chapter(ch.stem).quiz
                learner.answer_visible_quiz({q.id: pick(q, False) for q in quiz})
                assert serious_violations(run_axe(page)) == []
                if width == 320:
                    overflow = page.evaluate("document.documentElement.scrollWidth - "
                                             "document.documentElement.clientWidth")
                    assert overflow <= 0
                learner.next()
    finally:
        context.close()




def test_a_chapter_without_a_course_file_is_warned_about_at_the_session_length(
        default_project_copy: Path) -> None:
    (default_project_copy / "course" / "02-worry-less-do-more.yaml").unlink()
    course = default_project_copy / "course" / "course.yaml"
    course.write_text(course.read_text().replace("session_minutes: 120",
                                                 "session_minutes: 25"))
    result = run_cli("check", str(default_project_copy))
    warnings = [line for line in result.err.splitlines() if "course.session-too-long" in line]
    # the generated items only: two prompts (10 minutes) and a 10-minute action plan fit;
    # every other chapter's plan does not, each reported at its own course file
    assert [w.split(": warning:")[0] for w in warnings] == [
        f"course/{stem}.yaml:1:1" for stem in (CH1, "03-change-manifestos",
                                                "04-five-factors", "05-clarity-and-optimism")]
    course.write_text(course.read_text().replace("session_minutes: 25", "session_minutes: 15"))
    result = run_cli("check", str(default_project_copy))
    (line,) = [x for x in result.err.splitlines() if "chapter 2 " in x]
    assert line.startswith("course/course.yaml:4:18: warning: the session plan of chapter 2 "
                           "(Worry Less and Do More About Customer Experience) takes 20 minutes "
                           "(discussion 10, exercises 10, knowledge check 0), more than the "
                           "15-minute session")
