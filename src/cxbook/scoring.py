"""Quiz scoring rules, written down once.

- A quiz item is answered correctly when the learner's selected choices are exactly the
  item's correct choices: no partial credit, for single- and multiple-answer items alike.
  An unanswered item counts as wrong; so does a selection that includes a choice id the item
  does not have. The order of the selection does not matter.
- A true/false item is an ordinary single-answer item whose two choices are "True" and
  "False"; it is scored like any other.
- The knowledge-check score is the share of all quiz items of the course answered
  correctly, as a whole percent rounded half up: ``floor(100 * correct / total + 0.5)``.
  Raw score = that percent, min 0, max 100; scaled score (SCORM 2004) = percent / 100.
- The learner passes when the score is at least the course's ``mastery_score``.
- A course without quiz items has no score; it passes when completed.

The course player (renderers/scorm_assets/player.js) implements exactly these rules on
the rule table exported by :func:`scoring_rules`; tests check both agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import Course, QuizItem


def item_correct(item: QuizItem, selected: Iterable[str]) -> bool:
    """``selected`` are choice ids."""
    wanted = {item.choices[i].id for i in item.correct}
    return set(selected) == wanted


def score_percent(correct: int, total: int) -> int | None:
    if total == 0:
        return None
    return int(100 * correct / total + 0.5)


def course_score(course: Course, answers: Mapping[str, Iterable[str]]) -> int | None:
    """Score for answers given as {quiz item id: selected choice ids}."""
    items = course.quiz_items
    right = sum(1 for q in items if item_correct(q, answers.get(q.id, ())))
    return score_percent(right, len(items))


def passed(course: Course, score: int | None) -> bool:
    return True if score is None else score >= course.mastery_score


def scoring_rules(course: Course) -> dict[str, object]:
    """The data a scoring renderer needs (mastery and each item's correct choice ids)."""
    return {
        "mastery": course.mastery_score,
        "items": {
            q.id: sorted(q.choices[i].id for i in q.correct) for q in course.quiz_items
        },
    }
