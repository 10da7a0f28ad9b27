"""Quiz scoring rules, written down once (docs/FORMAT.md, "Scoring", states the same).

Each question type (model.py) has a response shape, a rule for when a response counts as
an answer, and a rule for when it is right:

- choice: the ids of the selected choices (order and repeats do not matter). Answered
  when at least one is selected. Right when the selection is exactly the item's correct
  choices: no partial credit; an id the item does not have makes it wrong. A true/false
  item is a two-choice item like any other.
- fill-in: the learner's text. Answered when its key is not empty. Right when its key
  equals the key of one accepted answer. The key (fill_in_key) is the text in Unicode
  NFKC, with every run of white space (WHITE_SPACE) made one space and the ends trimmed,
  curly quotes made straight (QUOTES) and, unless the item is case-sensitive, upper-cased
  then lower-cased (Unicode default case mappings, so "ß" matches "SS" and "ς" matches
  "Σ").
- numeric: the learner's text. Answered when it reads as a number (parse_number): an
  optional sign, at most 10 digits, and optionally "." or "," and at most 7 digits (no
  exponent, no thousands separators), after the fill-in key is taken and the item's unit,
  when the text ends with it, removed; "−" (U+2212) is a minus sign. Right when the
  number lies from the item's low to its high bound, both included, compared exactly as
  decimals.
- matching: {prompt id: target id} for the prompts the learner matched. Answered when at
  least one prompt is matched. Right when every prompt is matched to its own target and
  nothing else is named: no partial credit.
- ordering: the entry ids in the learner's order. Answered when not empty. Right when
  the order is exactly the item's order.

A response of another shape than its type's is wrong (and unanswered). The course's
score is the share of all its quiz items answered right, as a whole percent rounded half
up: ``floor(100 * right / total + 0.5)``; an unanswered item counts as wrong. Raw score =
that percent, min 0, max 100; scaled score (SCORM 2004) = percent / 100. The learner
passes when the score is at least the course's ``mastery_score``; a course without quiz
items has no score and passes when completed.

The course player (renderers/scorm_assets/player.js) implements exactly these rules on
the table exported by :func:`scoring_rules`; tests check that both agree on generated
answers of every type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from .model import (
    ChoiceQuestion,
    Course,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
)

# A response as the course player records it (see the module's docstring).
Response = Sequence[str] | str | Mapping[str, str]

# The characters a fill-in key treats as white space: ASCII white space, the Unicode
# space separators and the line and paragraph separators (NFKC has already made most of
# the Unicode spaces plain ones). Spelt out so that Python and JavaScript agree exactly.
WHITE_SPACE = ("\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")
_SPACES_RE = re.compile("[" + re.escape(WHITE_SPACE) + "]+")
# Curly quotes and primes, made straight in a fill-in key.
QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
          "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'}
_QUOTES_TABLE = str.maketrans(QUOTES)
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]{1,10}(?:[.,][0-9]{1,7})?|[.,][0-9]{1,7})")
MINUS = "\u2212"
# Characters a numeric answer field takes (a number with a short unit after it).
NUMBER_LENGTH = 32


def fill_in_key(text: str, case_sensitive: bool = False) -> str:
    """The form in which a fill-in response and an accepted answer are compared."""
    key = _SPACES_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip(" ")
    key = key.translate(_QUOTES_TABLE)
    return key if case_sensitive else key.upper().lower()


def parse_number(text: str, unit: str | None = None) -> Decimal | None:
    """The number a numeric response states, or None when it states none (see the
    module's docstring)."""
    key = fill_in_key(text).replace(MINUS, "-")
    if unit:
        suffix = fill_in_key(unit)
        if suffix and key.endswith(suffix):
            key = key[: len(key) - len(suffix)].rstrip(" ")
    if not NUMBER_RE.fullmatch(key):
        return None
    return Decimal(key.replace(",", "."))


def number_text(value: Decimal) -> str:
    """A decimal in plain notation without needless zeros: ``4.50`` -> ``4.5``,
    ``-0`` -> ``0``, ``1E+2`` -> ``100``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def choice_correct(item: ChoiceQuestion, selected: Iterable[str]) -> bool:
    """``selected`` are choice ids."""
    wanted = {item.choices[i].id for i in item.correct}
    return set(selected) == wanted


def fill_in_correct(item: FillInQuestion, text: str) -> bool:
    key = fill_in_key(text, item.case_sensitive)
    return bool(key) and any(key == fill_in_key(a, item.case_sensitive)
                             for a in item.answers)


def numeric_correct(item: NumericQuestion, text: str) -> bool:
    number = parse_number(text, item.unit)
    return number is not None and item.low <= number <= item.high


def matching_correct(item: MatchingQuestion, matched: Mapping[str, str]) -> bool:
    wanted = {p.id: t.id for p, t in item.pair_choices}
    return dict(matched) == wanted


def ordering_correct(item: OrderingQuestion, order: Sequence[str]) -> bool:
    return list(order) == [e.id for e in item.entries]


def _shaped(item: Question, response: object) -> bool:
    """Whether ``response`` has the shape of the item's type."""
    if isinstance(item, FillInQuestion | NumericQuestion):
        return isinstance(response, str)
    if isinstance(item, MatchingQuestion):
        return isinstance(response, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in response.items())
    return (isinstance(response, Sequence) and not isinstance(response, str)
            and all(isinstance(r, str) for r in response))


def is_answered(item: Question, response: object) -> bool:
    """Whether a response counts as an answer (an unanswered item is wrong)."""
    if not _shaped(item, response):
        return False
    if isinstance(item, FillInQuestion):
        return bool(fill_in_key(str(response), item.case_sensitive))
    if isinstance(item, NumericQuestion):
        return parse_number(str(response), item.unit) is not None
    return len(response) > 0  # type: ignore[arg-type]


def item_correct(item: Question, response: object) -> bool:
    """Whether ``response`` (shaped as the module's docstring says) is right."""
    if not _shaped(item, response):
        return False
    if isinstance(item, ChoiceQuestion):
        return choice_correct(item, response)  # type: ignore[arg-type]
    if isinstance(item, FillInQuestion):
        return fill_in_correct(item, str(response))
    if isinstance(item, NumericQuestion):
        return numeric_correct(item, str(response))
    if isinstance(item, MatchingQuestion):
        return matching_correct(item, response)  # type: ignore[arg-type]
    return ordering_correct(item, response)  # type: ignore[arg-type]


def score_percent(correct: int, total: int) -> int | None:
    if total == 0:
        return None
    return int(100 * correct / total + 0.5)


def course_score(course: Course, answers: Mapping[str, object]) -> int | None:
    """Score for answers given as {quiz item id: response}."""
    items = course.quiz_items
    right = sum(1 for q in items if q.id in answers and item_correct(q, answers[q.id]))
    return score_percent(right, len(items))


def passed(course: Course, score: int | None) -> bool:
    return True if score is None else score >= course.mastery_score


def item_rule(item: Question) -> dict[str, object]:
    """What the course player needs to score one item (its type's fields, JSON-ready)."""
    if isinstance(item, ChoiceQuestion):
        return {"type": item.type, "correct": sorted(c.id for c in item.correct_choices)}
    if isinstance(item, FillInQuestion):
        return {"type": item.type, "accepted": list(item.answers),
                "caseSensitive": item.case_sensitive}
    if isinstance(item, NumericQuestion):
        return {"type": item.type, "low": number_text(item.low),
                "high": number_text(item.high), "unit": item.unit}
    if isinstance(item, MatchingQuestion):
        return {"type": item.type, "pairs": {p.id: t.id for p, t in item.pair_choices}}
    return {"type": item.type, "sequence": [e.id for e in item.entries]}


def scoring_rules(course: Course) -> dict[str, object]:
    """The data a scoring renderer needs: the mastery score, each item's rule (item_rule)
    by item id, and the text rules fill-in and numeric responses are read with (the white
    space characters, the quotes made straight, the number pattern, the minus sign)."""
    return {
        "mastery": course.mastery_score,
        "items": {q.id: item_rule(q) for q in course.quiz_items},
        "text": {"whiteSpace": WHITE_SPACE, "quotes": QUOTES, "number": NUMBER_RE.pattern,
                 "minus": MINUS},
    }
