"""cmi5 course packages: ``cmi5.xml`` and the course page, tracked through xAPI.

The package is a zip with the course structure ``cmi5.xml`` at its root (cmi5 spec, 14.1)
and the same single-page course player as the SCORM packages (scorm.py), with the cmi5
tracking adapter (``scorm_assets/track-cmi5.js``) over the vendored xAPI cmi5 client
(``scorm_assets/cmi5.umd.js``, see ``cmi5.LICENSE.txt``), and the standalone adapter for
a launch without cmi5 parameters.

One assignable unit (AU) for the whole course. The player holds every chapter in one page
with one saved state, one course-wide score and one mastery score; cmi5 LMSs (Moodle's
cmi5 plugin, Rustici Engine, the reference LMS of ADL's CATAPULT) list every AU as an item
of its own that the learner launches separately, with its own registration state, its own
moveOn and its own score, and count a course as satisfied only once every AU's moveOn is
met. An AU per chapter would make a learner launch the course page once per chapter, split
the course's one mastery score into per-chapter scores, and lose the page-to-page resume,
so the course is one AU, as it is one SCO in the SCORM packages.

The AU's moveOn is ``CompletedOrPassed`` when the course has questions (completed: every
chapter visited; passed: the score reached the mastery score) and ``Completed`` when it has
none; its masteryScore is the course's ``mastery_score`` as a decimal from 0 to 1.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from ..build import BuildOptions
from ..cache import Bundle, fingerprint
from ..diagnostics import CxbookError, Diagnostic, Severity
from ..i18n import localizer
from ..model import (
    Book,
    ChoiceQuestion,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Project,
    Question,
)
from ..output import OutputFile
from ..render.html import environment, title_with_subtitle
from ..scoring import number_text, scoring_rules
from .scorm import (
    CSP,
    ENTRY_LIMIT,
    LAUNCH,
    MAX_CHOICES,
    RUNTIME_DIR,
    _page_files,
    _scaled,
    identifiers,
    interaction_id,
    quoteattr,
    response_identifiers,
    runtime_file,
    structure_key,
    xml_escape,
    zipped_package,
)

COURSE_STRUCTURE = "cmi5.xml"
NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
# The player, the cmi5 client it is tracked with, and the adapters in the order they are
# tried: cmi5 when the launch URL has the cmi5 parameters, else the standalone one.
TRACKING = ("cmi5", "local")
SCRIPTS = ("player.js", "cmi5.umd.js", "track-cmi5.js", "track-local.js")
LICENSES = ("cmi5.LICENSE.txt",)
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
# The page's Content-Security-Policy. The LMS's xAPI endpoint and its fetch URL are only
# known at launch, and are mostly on another origin than the package (an LMS serves its
# content from a file store or a CDN): a policy fixed at packaging time cannot name them.
# So connect-src allows 'self' and any https: origin, and the cmi5 adapter narrows it as
# soon as it has read the launch parameters, by adding a second policy (a meta element
# inserted by the page) whose connect-src names only 'self' and the origins of the
# endpoint and the fetch URL. A browser enforces every policy a page has: from then on
# a request must pass both, so it can reach only those two origins, and never plain http
# of another origin (CSP 3, 4.2 and "multiple policies").
CSP_CMI5 = CSP.replace("connect-src 'self'", "connect-src 'self' https:")


def course_iri(project: Project) -> str:
    """The course's id in cmi5.xml (an IRI, xs:anyURI): ``urn:cxbook:course:<course id>``."""
    return "urn:cxbook:course:" + urllib.parse.quote(project.course.id, safe="-_.~")


def au_iri(project: Project) -> str:
    """The AU's publisher id in cmi5.xml. Statements never name it: they use the activity
    id the LMS passes at launch (spec 8.1.5), which the LMS makes different from it."""
    return course_iri(project) + ":course-page"


def move_on(project: Project) -> str:
    """``CompletedOrPassed`` for a course with questions, else ``Completed``."""
    return "CompletedOrPassed" if project.course.quiz_items else "Completed"


def _langstring(text: str, language: str) -> str:
    return f"<langstring lang={quoteattr(language)}>{xml_escape(text)}</langstring>"


def course_structure(project: Project) -> str:
    """``cmi5.xml`` (cmi5 spec 13.1, valid against CourseStructure.xsd): the course and
    its one AU, titles and descriptions in the book's language, the AU's moveOn and, for
    a course with questions, its masteryScore (mastery_score / 100)."""
    book, course = project.book, project.course
    lang = book.language
    title = title_with_subtitle(localizer(book), book)
    description = book.description or title
    mastery = (f" masteryScore={quoteattr(_scaled(course.mastery_score))}"
               if course.quiz_items else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<courseStructure xmlns="{NAMESPACE}">\n'
        f"  <course id={quoteattr(course_iri(project))}>\n"
        f"    <title>{_langstring(course.title, lang)}</title>\n"
        f"    <description>{_langstring(description, lang)}</description>\n"
        "  </course>\n"
        f"  <au id={quoteattr(au_iri(project))} moveOn={quoteattr(move_on(project))}"
        f'{mastery} launchMethod="AnyWindow">\n'
        f"    <title>{_langstring(title, lang)}</title>\n"
        f"    <description>{_langstring(description, lang)}</description>\n"
        f"    <url>{LAUNCH}</url>\n"
        "  </au>\n"
        "</courseStructure>\n"
    )


# ---------------------------------------------------------------- interactions

# The xAPI interactionType of each question type (xAPI 1.0.3, "Interaction Activities").
INTERACTION_TYPES = {"choice": "choice", "fill-in": "fill-in", "numeric": "numeric",
                     "matching": "matching", "ordering": "sequencing"}


def response_text(text: str) -> str:
    """A text as one item of an xAPI response or pattern list: no leading ``{`` (it would
    open a ``{case_matters=…}`` delimiter) and no ``[,]`` (the item separator), which
    becomes ``[ ,]``; the cmi5 adapter writes a learner's fill-in text the same way."""
    return text.lstrip("{").replace("[,]", "[ ,]")


def _components(entries: Mapping[str, str], texts: Mapping[str, str],
                language: str) -> list[dict[str, Any]]:
    return [{"id": ident, "description": {language: texts[cid]}}
            for cid, ident in entries.items()]


def interaction_definition(item: Question, language: str) -> dict[str, Any]:
    """The xAPI activity definition of a quiz item as a ``cmi.interaction`` (xAPI 1.0.3,
    4.1.4.1 "Interaction Activities"): its interactionType, its question as name and
    description (language maps in the book's language), its components (choices, or a
    matching item's source and target, with the SCORM 2004 packages' readable
    identifiers, see scorm.identifiers) and correctResponsesPattern in the type's format:
    choice and sequencing the identifiers joined by ``[,]``; fill-in one pattern per
    accepted answer, ``{case_matters=true|false}`` and the text; numeric ``low[:]high``;
    matching ``source[.]target`` pairs joined by ``[,]``."""
    question = " ".join(item.question.split())
    definition: dict[str, Any] = {
        "type": INTERACTION,
        "interactionType": INTERACTION_TYPES[item.type],
        "name": {language: question},
        "description": {language: question},
    }
    if isinstance(item, ChoiceQuestion):
        ids = response_identifiers(item)
        right = [ids[c.id] for c in item.correct_choices]
        definition["correctResponsesPattern"] = ["[,]".join(right)]
        definition["choices"] = _components(ids, {c.id: c.text for c in item.choices},
                                            language)
    elif isinstance(item, FillInQuestion):
        case = "true" if item.case_sensitive else "false"
        definition["correctResponsesPattern"] = [
            f"{{case_matters={case}}}{response_text(a)}" for a in item.answers]
    elif isinstance(item, NumericQuestion):
        definition["correctResponsesPattern"] = [
            f"{number_text(item.low)}[:]{number_text(item.high)}"]
    elif isinstance(item, MatchingQuestion):
        sources, targets = identifiers(item.prompts), identifiers(item.targets)
        definition["correctResponsesPattern"] = ["[,]".join(
            f"{sources[p.id]}[.]{targets[t.id]}" for p, t in item.pair_choices)]
        definition["source"] = _components(sources, {c.id: c.text for c in item.prompts},
                                           language)
        definition["target"] = _components(targets, {c.id: c.text for c in item.targets},
                                           language)
    elif isinstance(item, OrderingQuestion):
        ids = response_identifiers(item)
        definition["correctResponsesPattern"] = ["[,]".join(ids[e.id] for e in item.entries)]
        definition["choices"] = _components(ids, {e.id: e.text for e in item.presented},
                                            language)
    return definition


def _test_id(slug: str) -> str:
    """A chapter slug as a path segment of an interaction's activity id (an IRI)."""
    return urllib.parse.quote(slug, safe="-_.~") or "course"


def tracking_item(item: Question, chapter: str, language: str) -> dict[str, Any]:
    """What the cmi5 adapter records for a quiz item: its question id and test (the
    chapter) in the interaction's activity id ``<activityId>/test/<chapter>/question/<id>``
    (the client's form, cmi5 best practice 16), its definition (interaction_definition)
    and the identifiers it writes the learner's response with."""
    info: dict[str, Any] = {"interaction": interaction_id(item.id), "test": _test_id(chapter),
                            "definition": interaction_definition(item, language)}
    if isinstance(item, ChoiceQuestion | OrderingQuestion):
        info["responses"] = response_identifiers(item)
    elif isinstance(item, MatchingQuestion):
        info["sources"] = identifiers(item.prompts)
        info["targets"] = identifiers(item.targets)
    return info


def course_data(project: Project, cache: Bundle | None = None) -> bytes:
    """The player's data file for the cmi5 package: scoring rules and, per quiz item,
    what the cmi5 adapter records (tracking_item). No saved-state limit: the state lives
    in an xAPI State API document."""
    if cache is not None:
        key = fingerprint("cmi5-data", project.course, [c.slug for c in project.chapters],
                          project.book.language, structure_key(project))
        return cache.fragment("cmi5-data", key, lambda: course_data(project))
    chapters = {ch.stem: ch.slug for ch in project.chapters}
    items = {q.id: tracking_item(q, chapters.get(a.stem, a.stem), project.book.language)
             for a in project.course.activities for q in a.quiz}
    data = {
        "format": "cxbook-course-data/1",
        "tracking": "cmi5",
        "course": project.course.id,
        "key": structure_key(project),
        "rules": scoring_rules(project.course),
        "items": items,
    }
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def check_cmi5(project: Project) -> list[Diagnostic]:
    """What the cmi5 package cannot hold, as located errors (registered in build.py): the
    player keeps a choice question's selection as a bit mask exact in a JavaScript number
    (at most MAX_CHOICES choices) and a matching target or an ordering entry's place as
    one base-36 digit in the saved state (at most ENTRY_LIMIT prompts, targets or
    entries). xAPI itself sets no such limits."""
    found: list[Diagnostic] = []
    for item in project.course.quiz_items:
        counts: dict[str, int] = {}
        if isinstance(item, ChoiceQuestion) and len(item.choices) > MAX_CHOICES:
            counts = {"choices": len(item.choices)}
        elif isinstance(item, MatchingQuestion):
            counts = {"prompts": len(item.prompts), "targets": len(item.targets)}
        elif isinstance(item, OrderingQuestion):
            counts = {"entries": len(item.entries)}
        limit = MAX_CHOICES if isinstance(item, ChoiceQuestion) else ENTRY_LIMIT
        for what, n in counts.items():
            if n > limit:
                found.append(Diagnostic(
                    item.location, Severity.ERROR,
                    f"a quiz item in a cmi5 course can have at most {limit} {what}, as the "
                    f"course page keeps each in its saved progress; this one has {n}: split "
                    "the question", "cmi5.too-many-choices"))
    return found


def adapter_messages(project: Project) -> dict[str, str]:
    """The learner-facing words of the cmi5 adapter (track-cmi5.js looks them up by label
    name in ``window.cxcourseLocale.messages``), in the book's language."""
    loc = localizer(project.book)
    return {
        # L10N: shown on the cmi5 course page while statements wait to be sent again
        "cmi5.queued": loc.raw(
            "cmi5.queued", "Your progress could not be sent to the learning record store. "
            "It is kept on this page and will be sent again automatically."),
        # L10N: shown on the cmi5 course page when it was not launched by an LMS
        "cmi5.unavailable": loc.raw(
            "cmi5.unavailable", "The learning management system could not be reached: "
            "nothing you do here is recorded."),
        # L10N: the button that ends the cmi5 session and returns to the LMS
        "cmi5.exit": loc.raw("cmi5.exit", "Exit"),
    }


def package_files(project: Project, cache: Bundle | None = None) -> dict[str, bytes]:
    """Every file of the package: ``cmi5.xml``, the course page and what it uses, and the
    licence of the vendored cmi5 client."""
    files = _page_files(project, "2004", cache, SCRIPTS, TRACKING, {},
                        data=course_data(project, cache), csp=CSP_CMI5,
                        messages=adapter_messages(project))
    for name in LICENSES:
        files[f"{RUNTIME_DIR}/{name}"] = runtime_file(name)
    files[COURSE_STRUCTURE] = course_structure(project).encode("utf-8")
    return files


class Cmi5Renderer:
    """``<slug>-cmi5.zip``: a cmi5 course package with one AU (see the module docstring)."""

    name = "cmi5"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}-cmi5.zip"

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        problems = check_cmi5(project)
        if problems:
            raise CxbookError(problems)
        cache = options.cache
        bundle = cache.bundle(self.name) if cache is not None else None
        with cache.templates(environment()) if cache is not None else nullcontext():
            files = package_files(project, bundle)
        data = zipped_package(files, COURSE_STRUCTURE, options, bundle)
        return [OutputFile(self.output_name(project.book), data)]

