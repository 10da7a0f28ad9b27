"""The cmi5 statement rules an AU must keep, checked on statements read back from an LRS.

Written from the cmi5 specification (Quartz, sections 9 and 10), not from cxbook's code:
``problems(statements, launches)`` returns one line per broken rule, [] when the
statements of a registration keep them all. Order is read from the statements'
``timestamp`` (9.3: "the order is determined by the value of the timestamp property").

Rules checked, per AU statement (statements of the LMS — launched, abandoned, waived,
satisfied — are left out):

* 9.1 an id in UUID form; 9.2 the launch's actor; 9.6.1 the launch's registration;
  9.6.3.1 the launch's session id; 10.2.1 every value of the contextTemplate (the
  publisher id grouping activity among them); 9.7 a UTC timestamp;
* cmi5 defined statements (the cmi5 category, 9.6.2.1): one of the AU's verbs; the object
  is the launch's activityId (9.4); ``completion`` only in completed and true there
  (9.5.3); ``success`` only in passed (true) and failed (false) (9.5.2); ``score`` only in
  passed and failed (9.5.1), a scaled score at or above the masteryScore in passed and
  below it in failed, and raw with min and max; ``duration`` in terminated, completed,
  passed and failed (9.5.4.1); the moveOn category exactly when the result has success or
  completion (9.6.2.2); the masteryScore extension in passed and failed when the launch
  data has one (9.6.3.2);
* cmi5 allowed statements: no moveOn category; an answered statement's object is a
  cmi.interaction activity with an interactionType, a correctResponsesPattern and a
  result.response;
* per session (9.3): initialized first and terminated last, both there; no cmi5 defined
  verb twice; not both passed and failed; Browse and Review launches: initialized and
  terminated only (10.2.2); the terminated duration no longer than the session;
* per registration (9.3): at most one completed, at most one passed, no failed after a
  passed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from .cmi5_lms import SESSION_ID, Launch

CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
VERB = "http://adlnet.gov/expapi/verbs/"
AU_VERBS = {VERB + v for v in ("initialized", "completed", "passed", "failed", "terminated")}
LMS_VERBS = {VERB + "launched", "https://w3id.org/xapi/adl/verbs/abandoned",
             "https://w3id.org/xapi/adl/verbs/waived", "https://w3id.org/xapi/adl/verbs/satisfied"}
NEEDS_DURATION = {VERB + v for v in ("terminated", "completed", "passed", "failed")}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def verb(statement: dict[str, Any]) -> str:
    return str(statement["verb"]["id"])


def short(statement: dict[str, Any]) -> str:
    return verb(statement).rsplit("/", 1)[-1]


def when(statement: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(statement["timestamp"]).replace("Z", "+00:00"))


def seconds(duration: str) -> float | None:
    """An ISO 8601 duration of days, hours, minutes and seconds in seconds (None if not)."""
    m = DURATION.fullmatch(duration)
    if not m or duration in ("P", "PT"):
        return None
    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def categories(statement: dict[str, Any]) -> set[str]:
    found = (statement.get("context") or {}).get("contextActivities", {}).get("category", [])
    return {a["id"] for a in found}


def session_of(statement: dict[str, Any]) -> str | None:
    value = ((statement.get("context") or {}).get("extensions") or {}).get(SESSION_ID)
    return value if isinstance(value, str) else None


def _contains(whole: Any, part: Any) -> bool:
    """Whether ``whole`` holds every value of ``part`` (lists: every item of part in it)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v)
                                               for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(any(_contains(w, p) for w in whole)
                                               for p in part)
    return bool(whole == part)


def au_statements(statements: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The AU's statements (not the LMS's), in timestamp order."""
    return sorted((s for s in statements if verb(s) not in LMS_VERBS), key=when)


def problems(statements: Sequence[dict[str, Any]], launches: Sequence[Launch]) -> list[str]:
    """Every broken rule (see the module docstring) in the statements of one registration;
    ``launches``: the registration's launches (sessions), in order."""
    out: list[str] = []
    by_session = {launch.session: launch for launch in launches}
    mine = au_statements(statements)
    sessions: dict[str, list[dict[str, Any]]] = {}
    for s in mine:
        name = f"{short(s)} {s.get('id')}"
        session = session_of(s)
        launch = by_session.get(session or "")
        if launch is None:
            out.append(f"{name}: session id {session!r} is not one the LMS launched")
            continue
        sessions.setdefault(launch.session, []).append(s)
        out.extend(f"{name}: {p}" for p in _statement_problems(s, launch))
    for launch in launches:
        out.extend(f"session {launch.session} ({launch.mode}): {p}"
                   for p in _session_problems(sessions.get(launch.session, []), launch))
    defined = [s for s in mine if CMI5 in categories(s)]
    counts = {v: sum(verb(s) == VERB + v for s in defined) for v in ("completed", "passed")}
    for v, n in counts.items():
        if n > 1:
            out.append(f"registration: {n} '{v}' statements (at most one)")
    passed_at = [when(s) for s in defined if verb(s) == VERB + "passed"]
    if passed_at and any(verb(s) == VERB + "failed" and when(s) > passed_at[0]
                         for s in defined):
        out.append("registration: 'failed' after 'passed'")
    return out


def _statement_problems(s: dict[str, Any], launch: Launch) -> list[str]:
    out: list[str] = []
    context = s.get("context") or {}
    result = s.get("result") or {}
    if not UUID.fullmatch(str(s.get("id", ""))):
        out.append(f"id {s.get('id')!r} is not a UUID")
    if s.get("actor") != launch.actor and {k: v for k, v in s.get("actor", {}).items()
                                            if k != "objectType"} != {
            k: v for k, v in launch.actor.items() if k != "objectType"}:
        out.append(f"actor {s.get('actor')} is not the launch's")
    if context.get("registration") != launch.registration:
        out.append("registration is not the launch's")
    template = launch.launch_data["contextTemplate"]
    if not _contains(context, template):
        out.append("context does not hold every value of the contextTemplate")
    stamp = str(s.get("timestamp", ""))
    if not (stamp.endswith("Z") or stamp.endswith("+00:00")):
        out.append(f"timestamp {stamp!r} is not in UTC")
    cats = categories(s)
    has_outcome = "success" in result or "completion" in result
    if CMI5 in cats:
        if verb(s) not in AU_VERBS:
            out.append("a cmi5 defined statement with a verb the AU may not use")
        if (s.get("object") or {}).get("id") != launch.activity_id:
            out.append("object is not the launch's activityId")
        if "completion" in result and (short(s) != "completed" or result["completion"] is not True):
            out.append("completion outside 'completed' or not true")
        if short(s) == "completed" and result.get("completion") is not True:
            out.append("'completed' without completion true")
        if "success" in result and (short(s), result["success"]) not in (
                ("passed", True), ("failed", False)):
            out.append(f"success {result['success']} in '{short(s)}'")
        if short(s) in ("passed", "failed") and "success" not in result:
            out.append(f"'{short(s)}' without success")
        if "score" in result:
            out.extend(_score_problems(s, result["score"], launch))
        if verb(s) in NEEDS_DURATION and seconds(str(result.get("duration", ""))) is None:
            out.append("no ISO 8601 duration")
        if (MOVE_ON in cats) != has_outcome:
            out.append("moveOn category " + ("missing" if has_outcome else "without an outcome"))
        mastery = launch.launch_data.get("masteryScore")
        if short(s) in ("passed", "failed") and mastery is not None and (
                (context.get("extensions") or {}).get(MASTERY) != mastery):
            out.append("no masteryScore extension with the launch data's value")
    else:
        if MOVE_ON in cats:
            out.append("a cmi5 allowed statement with the moveOn category")
        if short(s) == "answered":
            definition = (s.get("object") or {}).get("definition") or {}
            if definition.get("type") != INTERACTION or not definition.get("interactionType"):
                out.append("answered: object is not a cmi.interaction with an interactionType")
            if not definition.get("correctResponsesPattern"):
                out.append("answered: no correctResponsesPattern")
            if not isinstance(result.get("response"), str):
                out.append("answered: no response")
    return out


def _score_problems(s: dict[str, Any], score: dict[str, Any], launch: Launch) -> list[str]:
    out: list[str] = []
    if short(s) not in ("passed", "failed"):
        return [f"a score in '{short(s)}'"]
    if "raw" in score and not ("min" in score and "max" in score):
        out.append("raw score without min and max")
    scaled = score.get("scaled")
    mastery = launch.launch_data.get("masteryScore")
    if scaled is not None and mastery is not None:
        if short(s) == "passed" and scaled < mastery:
            out.append(f"passed with scaled score {scaled} below the mastery score {mastery}")
        if short(s) == "failed" and scaled >= mastery:
            out.append(f"failed with scaled score {scaled} at or above the mastery {mastery}")
    return out


def _session_problems(session: list[dict[str, Any]], launch: Launch) -> list[str]:
    out: list[str] = []
    verbs = [short(s) for s in session]
    if not verbs or verbs[0] != "initialized":
        out.append(f"does not start with 'initialized': {verbs[:3]}")
    if not verbs or verbs[-1] != "terminated":
        out.append(f"does not end with 'terminated': {verbs[-3:]}")
    defined = [short(s) for s in session if CMI5 in categories(s)]
    for v in sorted(set(defined)):
        if defined.count(v) > 1:
            out.append(f"'{v}' {defined.count(v)} times")
    if "passed" in defined and "failed" in defined:
        out.append("both 'passed' and 'failed'")
    if launch.mode in ("Browse", "Review") and set(verbs) - {"initialized", "terminated"}:
        out.append(f"a {launch.mode} launch sent {sorted(set(verbs))}")
    if verbs and verbs[0] == "initialized" and verbs[-1] == "terminated":
        length = (when(session[-1]) - when(session[0])).total_seconds()
        spent = seconds(str((session[-1].get("result") or {}).get("duration", "")))
        if spent is not None and spent > length + 1:
            out.append(f"terminated duration {spent} s is longer than the session ({length} s)")
    return out
