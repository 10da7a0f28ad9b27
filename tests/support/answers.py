"""Right and wrong answers to every question type, in the shapes the tests need: the
response the scoring rules take (ids), what a learner gives on the course page (texts, see
scorm_tools.Learner.answer_visible_quiz), and what each SCORM version records.

Written from docs/FORMAT.md's description of the formats, not from the renderer's code, so
that the tests check the one against the other."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cxbook.model import (
    ChoiceQuestion,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
)
from cxbook.renderers.scorm import identifiers, response_identifiers

CHOICE_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
SOURCE_CHARACTERS = "123456789abcdefghijklmnopqrstuvwxyz0"


def plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def right_response(q: Question) -> Any:
    """The right answer as scoring.item_correct takes it."""
    if isinstance(q, ChoiceQuestion):
        return [c.id for c in q.correct_choices]
    if isinstance(q, FillInQuestion):
        return q.answers[-1]
    if isinstance(q, NumericQuestion):
        return plain(q.answer if q.answer is not None else q.low)
    if isinstance(q, MatchingQuestion):
        return {p.id: t.id for p, t in q.pair_choices}
    return [e.id for e in q.entries]


def wrong_response(q: Question) -> Any:
    """An answer that is given and wrong."""
    if isinstance(q, ChoiceQuestion):
        return [next(c.id for i, c in enumerate(q.choices) if i not in q.correct)]
    if isinstance(q, FillInQuestion):
        return "certainly not this"
    if isinstance(q, NumericQuestion):
        return plain(q.high + 1)
    if isinstance(q, MatchingQuestion):
        right = dict(right_response(q))
        first = q.prompts[0].id
        right[first] = next(t.id for t in q.targets if t.id != right[first])
        return right
    order = [e.id for e in q.entries]
    return [order[1], order[0], *order[2:]]


def right_pick(q: Question) -> Any:
    """The right answer as a learner gives it on the course page (texts)."""
    return _pick(q, right_response(q))


def wrong_pick(q: Question) -> Any:
    return _pick(q, wrong_response(q))


def _pick(q: Question, response: Any) -> Any:
    if isinstance(q, ChoiceQuestion):
        return [c.text for c in q.choices if c.id in response]
    if isinstance(q, FillInQuestion | NumericQuestion):
        return str(response)
    if isinstance(q, MatchingQuestion):
        texts = {c.id: c.text for c in (*q.prompts, *q.targets)}
        return {texts[p]: texts[t] for p, t in response.items()}
    texts = {e.id: e.text for e in q.entries}
    return [texts[e] for e in response]


def recorded(q: Question, response: Any, version: str,
             identifiers: dict[str, dict[str, str]] | None = None) -> str:
    """A response as the version records it (learner response and pattern formats).
    ``identifiers``: 2004 tables from course-data.json ("responses", or "sources" and
    "targets")."""
    tables = identifiers or {}
    if isinstance(q, FillInQuestion | NumericQuestion):
        return str(response)
    if isinstance(q, ChoiceQuestion):
        if version == "1.2":
            return ",".join(CHOICE_CHARACTERS[i] for i, c in enumerate(q.choices)
                            if c.id in response)
        return "[,]".join(tables["responses"][c.id] for c in q.choices if c.id in response)
    if isinstance(q, MatchingQuestion):
        targets = [t.id for t in q.targets]
        if version == "1.2":
            return ",".join(
                f"{SOURCE_CHARACTERS[i]}.{CHOICE_CHARACTERS[targets.index(response[p.id])]}"
                for i, p in enumerate(q.prompts) if p.id in response)
        return "[,]".join(f"{tables['sources'][p.id]}[.]{tables['targets'][response[p.id]]}"
                          for p in q.prompts if p.id in response)
    if version == "1.2":
        shown = [e.id for e in q.presented]
        return ",".join(CHOICE_CHARACTERS[shown.index(e)] for e in response)
    return "[,]".join(tables["responses"][e] for e in response)


def interaction_type(q: Question) -> str:
    return "sequencing" if isinstance(q, OrderingQuestion) else q.type


def expected_response(q: Question, response: Any, version: str) -> str:
    """A response as each version must record it (support.answers.recorded), with the
    2004 identifiers made from the texts."""
    tables: dict[str, dict[str, str]] = {}
    if isinstance(q, ChoiceQuestion | OrderingQuestion):
        tables["responses"] = response_identifiers(q)
    elif isinstance(q, MatchingQuestion):
        tables = {"sources": identifiers(q.prompts), "targets": identifiers(q.targets)}
    return recorded(q, response, version, tables)


def expected_patterns(q: Question, version: str) -> list[str]:
    """The correct_responses patterns each version must record, in order."""
    if isinstance(q, FillInQuestion):
        cases = "true" if q.case_sensitive else "false"
        return list(q.answers) if version == "1.2" else [
            f"{{case_matters={cases}}}{a}" for a in q.answers]
    if isinstance(q, NumericQuestion):
        if version == "1.2":
            return [plain(q.answer)] if q.answer is not None else []
        return [f"{plain(q.low)}[:]{plain(q.high)}"]
    return [expected_response(q, right_response(q), version)]


def shown_answer(frame: Any, q: Question) -> Any:
    """The answer the page shows for a question, in the shape a learner gives it."""
    box = frame.locator(f'fieldset[data-item="{q.id}"]')
    if isinstance(q, ChoiceQuestion):
        return [c.text for c in q.choices if box.locator(f"#{q.id}-{c.id}").is_checked()]
    if isinstance(q, FillInQuestion | NumericQuestion):
        return box.locator("input").input_value()
    if isinstance(q, MatchingQuestion):
        shown = {}
        for p in q.prompts:
            chosen = box.locator(f"#{q.id}-{p.id} option:checked").inner_text()
            if box.locator(f"#{q.id}-{p.id}").input_value():
                shown[p.text] = chosen
        return shown
    return box.locator(".order-text").all_inner_texts()
