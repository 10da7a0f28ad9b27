"""IMS Common Cartridge 1.3 and 1.1 (``.imscc``): the course as an LMS's own content.

One cartridge is a zip with ``imsmanifest.xml`` (IMS CC profile of Content Packaging 1.2)
whose organization holds one module per chapter (an item without a resource, whose items
are the chapter's activities) and a last module with the "Sources and permissions" page:

- the chapter as web content: an HTML page with its attribution, republishing notice,
  text, notes, author's bio and learning objectives, and its images beside it;
- a web link to where the chapter first appeared (``imswl``), when its source has an
  address;
- each discussion question as a discussion topic (``imsdt``);
- each exercise as a page (web content: the LMSs turn those into pages; CC's assignment
  extension is imported by Canvas alone, not by Moodle 4.5);
- the quiz as a QTI 1.2 assessment in the cartridge's QTI profile (``cc.exam.v0p1``):
  single and multiple choice, true/false, fill-in and numeric questions with one right
  number. The profile has no matching, ordering or range interaction, so those
  questions are left out of the LMS quiz with a located warning (check_cc).

Two files are written: ``<slug>.imscc`` (CC 1.3, for Canvas, Blackboard, D2L and any LMS
that reads 1.3) and ``<slug>-cc11.imscc`` (CC 1.1, for Moodle, whose importer recognises
1.0 and 1.1 manifests only: Moodle's ``backup/converter/imscc11/lib.php``,
``imscc11_converter::detect_format``). Both hold the same content; where Moodle's importer
reads QTI its own way (``backup/cc/entity11.quiz.class.php``), the 1.1 file is written the
way it reads (see _scoring_conditions and _choice_feedback_conditions). Points: every
question weighs 1 (``cc_weighting``), as in the SCORM packages; the CC profile has no
pass mark, so the quiz's rubric states ``mastery_score`` for the teacher to set.

The zip is reproducible: fixed entry order and timestamps (output.reproducible_zip), ids
made from the model's stable ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Literal

from lxml import etree
from markupsafe import escape

from ..build import BuildOptions
from ..diagnostics import Diagnostic, Severity
from ..i18n import Localizer, localizer
from ..model import (
    Book,
    Chapter,
    ChapterActivities,
    ChoiceQuestion,
    Discussion,
    Exercise,
    FillInQuestion,
    MatchingQuestion,
    NumericQuestion,
    OrderingQuestion,
    Project,
    Question,
)
from ..output import OutputFile, reproducible_zip
from ..render.html import chapter_html, environment, kind_label, sources_html
from ..render.names import portable_name
from ..scoring import number_text
from .scorm import _rights_text, renamed_images

Version = Literal["1.3", "1.1"]
VERSIONS: tuple[Version, ...] = ("1.3", "1.1")
MANIFEST = "imsmanifest.xml"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
RESPONSE = "response1"  # the one response of every item
SCORE_MAX = "100"  # the CC profile's SCORE: 100 when right, nothing else (no partial credit)


@dataclass(frozen=True)
class Profile:
    """What differs between the two versions: namespaces, resource types, schema files."""

    version: Version
    cp: str  # the manifest's namespace
    lom: str  # LOM in the manifest's metadata
    dt: str  # discussion topic
    wl: str  # web link
    schemaversion: str
    qti_type: str  # the assessment resource type
    dt_type: str
    wl_type: str
    cp_xsd: str  # where the schema files are published (xsi:schemaLocation)
    lom_xsd: str
    dt_xsd: str
    wl_xsd: str
    qti_xsd: str


PROFILES: dict[Version, Profile] = {
    "1.3": Profile(
        "1.3",
        cp="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1",
        lom="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest",
        dt="http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3",
        wl="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3",
        schemaversion="1.3.0",
        qti_type="imsqti_xmlv1p2/imscc_xmlv1p3/assessment",
        dt_type="imsdt_xmlv1p3",
        wl_type="imswl_xmlv1p3",
        cp_xsd="http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd",
        lom_xsd="http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd",
        dt_xsd="http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imsdt_v1p3.xsd",
        wl_xsd="http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imswl_v1p3.xsd",
        qti_xsd="http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_qtiasiv1p2p1_v1p0.xsd",
    ),
    "1.1": Profile(
        "1.1",
        cp="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
        lom="http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest",
        dt="http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1",
        wl="http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1",
        schemaversion="1.1.0",
        qti_type="imsqti_xmlv1p2/imscc_xmlv1p1/assessment",
        dt_type="imsdt_xmlv1p1",
        wl_type="imswl_xmlv1p1",
        cp_xsd="http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imscp_v1p2_v1p0.xsd",
        lom_xsd="http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lommanifest_v1p0.xsd",
        dt_xsd="http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imsdt_v1p1.xsd",
        wl_xsd="http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imswl_v1p1.xsd",
        qti_xsd="http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_qtiasiv1p2p1_v1p0.xsd",
    ),
}

TITLE_WORDS = 80  # characters of a question in a generated item title


# ------------------------------------------------------------------ what the quiz holds


def cartridge_profile(item: Question) -> str | None:
    """The CC QTI profile (``cc_profile``) a question is written in, or None when the
    profile has no interaction for it (IMS CC 1.1/1.3 QTI profile: multiple choice,
    multiple response, true/false, fill in the blank, pattern match and essay only)."""
    if isinstance(item, ChoiceQuestion):
        if item.is_true_false:
            return "cc.true_false.v0p1"
        return "cc.multiple_response.v0p1" if item.multiple else "cc.multiple_choice.v0p1"
    if isinstance(item, FillInQuestion):
        return "cc.fib.v0p1"
    if isinstance(item, NumericQuestion) and item.low == item.high:
        return "cc.fib.v0p1"
    return None


def _left_out_reason(item: Question) -> str:
    if isinstance(item, MatchingQuestion):
        return "a matching question: the cartridge's QTI profile has no matching interaction"
    if isinstance(item, OrderingQuestion):
        return "an ordering question: the cartridge's QTI profile has no ordering interaction"
    return ("a numeric question that accepts a range of numbers: the cartridge's QTI profile "
            "compares a typed answer with exact texts only (an 'answer' without 'tolerance' "
            "or 'range' is kept)")


def check_cc(project: Project) -> list[Diagnostic]:
    """The questions the cartridges leave out, as located warnings (``cc.question-left-out``);
    registered in build.py, so ``cxbook check`` and the build report them alike."""
    return [
        Diagnostic(item.location, Severity.WARNING,
                   f"the Common Cartridge quiz leaves out {_left_out_reason(item)}, so LMSs "
                   "importing the .imscc files get the chapter's other questions only (the "
                   "SCORM packages keep it)", "cc.question-left-out")
        for item in project.course.quiz_items if cartridge_profile(item) is None
    ]


def accepted_texts(item: FillInQuestion | NumericQuestion) -> list[str]:
    """The texts a typed answer is compared with: a fill-in question's accepted answers;
    a numeric question's one right number in plain decimals, and with its unit after it."""
    if isinstance(item, FillInQuestion):
        return list(item.answers)
    value = number_text(item.low)
    return [value] + ([f"{value} {item.unit}"] if item.unit else [])


# ------------------------------------------------------------------------- helpers


def _element(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _xml(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True,
                                pretty_print=True))


def shorten(text: str, limit: int = TITLE_WORDS) -> str:
    """One line of at most ``limit`` characters, cut at a word end with "…"."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return (cut or line[:limit - 1]) + "…"


def ident(text: str) -> str:
    """An XML identifier (NCName, as the manifest's ``identifier``/``identifierref`` and
    QTI's ``ident`` are) made from a model id: ids are letters, digits, ``-`` and ``_``
    (course.py), so only a leading digit or ``-`` needs a prefix."""
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", text)
    return clean if re.match(r"[A-Za-z_]", clean) else f"i_{clean}"


# ---------------------------------------------------------------------------- QTI


def _mattext(parent: etree._Element, tag: str, text: str) -> None:
    """``<tag><material><mattext texttype="text/plain">text</mattext></material></tag>``;
    tag '' puts the material right into ``parent``."""
    holder = _sub(parent, tag) if tag else parent
    material = _sub(holder, "material")
    _sub(material, "mattext", text, texttype="text/plain")


def _choice_idents(item: ChoiceQuestion) -> list[str]:
    """The ``response_label`` idents: the choices' stable ids; a true/false question's
    choices are ``true`` and ``false``, the only idents Moodle's importer takes for one
    (entity11.quiz.class.php, create_..._question_true_false, throws on any other)."""
    if item.is_true_false:
        return [c.text.lower() for c in item.choices]
    return [ident(c.id) for c in item.choices]


def _varequal(parent: etree._Element, value: str, *, case: str = "Yes") -> etree._Element:
    return _sub(parent, "varequal", value, respident=RESPONSE, case=case)


def _feedback_ref(condition: etree._Element, linkrefid: str) -> None:
    _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=linkrefid)


def _scoring_condition(resprocessing: etree._Element, item: Question,
                       idents: Sequence[str], version: Version) -> None:
    """The conditions that set SCORE to 100 (the CC profile's score: 100 when right,
    with ``continue="No"``; no partial credit).

    - single choice, true/false: ``varequal`` of the right choice;
    - multiple response: ``and`` of every right choice and ``not`` of every other, each
      ``varequal`` with ``case="Yes"``: Moodle's importer gives a choice its share of the
      marks only when it is a ``varequal[@case='Yes']`` outside any ``not`` in the
      conditions of a respcondition whose ``setvar`` SCORE is 100, and 0 otherwise
      (entity11.quiz.class.php, get_answers: ``$canswers_query``);
    - fill-in and numeric, CC 1.3: one condition per accepted text, so that a QTI 1.2
      engine, which takes the conditions under one ``conditionvar`` together, accepts
      each of them; the CC profile's Schematron (RULE SET 6) wants them as
      ``conditionvar/varequal``. Canvas imports every string a condition matches
      (canvas-lms gems/plugins/qti_exporter/lib/qti/extended_text_interaction.rb);
    - fill-in and numeric, CC 1.1: every accepted text as a ``varequal`` of one
      condition, the only form in which Moodle's importer keeps them all: it reads the
      ``varequal``s right under the first condition whose ``setvar`` is 100 and skips the
      other such conditions (entity11.quiz.class.php, get_answers_fib); Moodle's and
      Canvas's own CC exports write them so (backup/cc/cc_lib/cc_assesment_sfib.php,
      canvas-lms lib/cc/qti/qti_items.rb short_answer_resprocessing).
    """
    if isinstance(item, FillInQuestion | NumericQuestion):
        case = "Yes" if isinstance(item, FillInQuestion) and item.case_sensitive else "No"
        texts = accepted_texts(item)
        groups = [texts] if version == "1.1" else [[text] for text in texts]
        for group in groups:
            condition = _sub(resprocessing, "respcondition", continue_="No")
            conditionvar = _sub(condition, "conditionvar")
            for text in group:
                _varequal(conditionvar, text, case=case)
            _sub(condition, "setvar", SCORE_MAX, varname="SCORE", action="Set")
        return
    assert isinstance(item, ChoiceQuestion)
    condition = _sub(resprocessing, "respcondition", continue_="No")
    conditionvar = _sub(condition, "conditionvar")
    if item.multiple:
        both = _sub(conditionvar, "and")
        for i, choice_ident in enumerate(idents):
            if i in item.correct:
                _varequal(both, choice_ident)
            else:
                _varequal(_sub(both, "not"), choice_ident)
    else:
        _varequal(conditionvar, idents[item.correct[0]])
    _sub(condition, "setvar", SCORE_MAX, varname="SCORE", action="Set")


def _choice_feedback_conditions(resprocessing: etree._Element, item: ChoiceQuestion,
                                idents: Sequence[str], version: Version) -> None:
    """A condition per choice with feedback, showing it when the choice is picked.

    Moodle's importer takes every ``displayfeedback`` of a ``continue="Yes"`` condition
    as the question's general feedback, shown to everyone, and a choice's own feedback
    from the conditions whose first ``varequal`` names it (entity11.quiz.class.php,
    get_general_feedback and get_feedback); and it takes a choice's marks from the last
    such condition (get_score). So these conditions come before the scoring one, never
    set SCORE, and, in the 1.1 file or for a single-choice question, stop with
    ``continue="No"``. In the 1.3 file a multiple-response question's conditions go on
    (``continue="Yes"``), so that the feedback of every choice picked is shown and the
    scoring condition after them still runs."""
    goes_on = "Yes" if item.multiple and version == "1.3" else "No"
    for choice, choice_ident in zip(item.choices, idents, strict=True):
        if choice.feedback:
            condition = _sub(resprocessing, "respcondition", continue_=goes_on)
            _varequal(_sub(condition, "conditionvar"), choice_ident)
            _feedback_ref(condition, f"{choice_ident}_fb")


def qti_item(item: Question, version: Version) -> etree._Element:
    """One question as a QTI 1.2 ``item`` of the CC profile (see cartridge_profile).
    The question's ``explanation`` is its general feedback (``general_fb``, shown after
    an answer whatever it is); a choice's ``feedback`` is that choice's feedback."""
    profile = cartridge_profile(item)
    assert profile is not None
    el = _element("item", ident=ident(item.id), title=shorten(item.question))
    meta = _sub(_sub(el, "itemmetadata"), "qtimetadata")
    for label, entry in (("cc_profile", profile), ("cc_weighting", "1")):
        field = _sub(meta, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)
    presentation = _sub(el, "presentation")
    _mattext(presentation, "", item.question)
    idents: list[str] = []
    if isinstance(item, ChoiceQuestion):
        idents = _choice_idents(item)
        lid = _sub(presentation, "response_lid", ident=RESPONSE,
                   rcardinality="Multiple" if item.multiple else "Single")
        render = _sub(lid, "render_choice", shuffle="Yes" if item.shuffle else "No")
        for choice, choice_ident in zip(item.choices, idents, strict=True):
            label = _sub(render, "response_label", ident=choice_ident)
            _mattext(label, "", choice.text)
    else:
        response = _sub(presentation, "response_str", ident=RESPONSE, rcardinality="Single")
        _sub(_sub(response, "render_fib", rows="1"), "response_label", ident="answer1")
    resprocessing = _sub(el, "resprocessing")
    _sub(_sub(resprocessing, "outcomes"), "decvar", varname="SCORE", vartype="Decimal",
         minvalue="0", maxvalue=SCORE_MAX)
    if item.explanation:
        # First and going on, as both LMSs' own exports write it: shown whatever the answer.
        general = _sub(resprocessing, "respcondition", continue_="Yes")
        _sub(_sub(general, "conditionvar"), "other")
        _feedback_ref(general, "general_fb")
    if isinstance(item, ChoiceQuestion):
        _choice_feedback_conditions(resprocessing, item, idents, version)
    _scoring_condition(resprocessing, item, idents, version)
    if item.explanation:
        _itemfeedback(el, "general_fb", item.explanation)
    if isinstance(item, ChoiceQuestion):
        for choice, choice_ident in zip(item.choices, idents, strict=True):
            if choice.feedback:
                _itemfeedback(el, f"{choice_ident}_fb", choice.feedback)
    return el


def _itemfeedback(item: etree._Element, feedback_ident: str, text: str) -> None:
    feedback = _sub(item, "itemfeedback", ident=feedback_ident)
    _mattext(_sub(feedback, "flow_mat"), "", text)


# Every text the cartridge adds of its own (titles of generated items, the quiz's rubric)
# is a label in the book's language (i18n.py).


def quiz_title(loc: Localizer, chapter: Chapter) -> str:
    """The title of a chapter's quiz (the assessment and its item)."""
    # L10N: the title of a chapter's quiz in a Common Cartridge (an LMS quiz)
    return loc.pgettext("cc.quiz-title", "Check your understanding: %(chapter)s",
                        chapter=chapter.title)


def numbered_title(loc: Localizer, chapter: Chapter) -> str:
    """A chapter's number and title, as its module and page items are called."""
    return loc.pgettext("entry.numbered", "%(number)s. %(title)s",
                        number=loc.number(chapter.number), title=chapter.title)


def assessment(chapter: Chapter, questions: Sequence[Question], version: Version,
               mastery_score: int, loc: Localizer) -> bytes:
    """A chapter's quiz as a CC QTI assessment document (``questestinterop``); its title
    and rubric in the book's language (``loc``)."""
    root = etree.Element(f"{{{QTI_NS}}}questestinterop", nsmap={None: QTI_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI_NS} {PROFILES[version].qti_xsd}")
    quiz = etree.SubElement(root, "assessment", ident=ident(f"{chapter.anchor}-quiz"),
                            title=quiz_title(loc, chapter))
    meta = _sub(quiz, "qtimetadata")
    for label, entry in (("cc_profile", "cc.exam.v0p1"),
                         ("qmd_assessmenttype", "Examination"),
                         ("qmd_scoretype", "Percentage"),
                         ("qmd_feedbackpermitted", "Yes"),
                         ("qmd_solutionspermitted", "Yes")):
        field = _sub(meta, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)
    # L10N: the rubric of a Common Cartridge quiz: the CC profile has no pass mark, so the
    # teacher reads it here
    _mattext(quiz, "rubric", loc.pgettext(
        "cc.pass-mark", "Each question is worth 1 point. The course's pass mark is "
        "%(percent)s of all its questions answered right.",
        percent=loc.percent(mastery_score)))
    section = _sub(quiz, "section", ident=ident(f"{chapter.anchor}-questions"))
    for item in questions:
        section.append(qti_item(item, version))
    # lxml put the children in no namespace: they belong to the root's.
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            el.tag = f"{{{QTI_NS}}}{el.tag}"
    return _xml(root)


# ------------------------------------------------------------- topics and web links


def topic(discussion: Discussion, version: Version, loc: Localizer) -> bytes:
    """A discussion question as a CC discussion topic: its title and its text."""
    ns = PROFILES[version].dt
    root = etree.Element(f"{{{ns}}}topic", nsmap={None: ns, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{ns} {PROFILES[version].dt_xsd}")
    etree.SubElement(root, f"{{{ns}}}title").text = discussion_title(discussion, loc)
    etree.SubElement(root, f"{{{ns}}}text", texttype="text/plain").text = discussion.text
    return _xml(root)


def discussion_title(discussion: Discussion, loc: Localizer) -> str:
    """A discussion topic's title: its question, shortened (see shorten)."""
    # L10N: the title of a discussion topic in a Common Cartridge, made from its question
    return loc.pgettext("cc.discussion-title", "Discussion: %(question)s",
                        question=shorten(discussion.text))


def web_link(title: str, url: str, version: Version) -> bytes:
    """A CC web link: the place a chapter first appeared."""
    ns = PROFILES[version].wl
    root = etree.Element(f"{{{ns}}}webLink", nsmap={None: ns, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{ns} {PROFILES[version].wl_xsd}")
    etree.SubElement(root, f"{{{ns}}}title").text = title
    etree.SubElement(root, f"{{{ns}}}url", href=url, target="_blank")
    return _xml(root)


# ------------------------------------------------------------------------- pages


def html_page(title: str, loc: Localizer, body: str) -> bytes:
    """A web content page: an XHTML document (well-formed, so any importer's parser reads
    it) whose body the LMSs take as the page's content, in the book's language and its
    writing direction (``loc``)."""
    lang = escape(loc.language)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}" xml:lang="{lang}" '
        f'dir="{loc.direction}">\n'
        f'<head>\n<meta charset="UTF-8"/>\n<title>{escape(title)}</title>\n</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    ).encode()


def exercise_body(exercise: Exercise, loc: Localizer) -> str:
    """An exercise's page: title, kind and minutes (as the book's activities show them),
    instructions."""
    minutes = (" · " + loc.npgettext("duration.minutes", "%(num)s minute", "%(num)s minutes",
                                     exercise.minutes)) if exercise.minutes else ""
    return (f'<section class="exercise kind-{exercise.kind}">\n'
            f"<h1>{escape(exercise.title)}</h1>\n"
            f'<p class="exercise-meta">{escape(kind_label(loc, exercise.kind))}'
            f"{escape(minutes)}</p>\n"
            f'<div class="instructions">{exercise.instructions_html}</div>\n</section>\n')


# ------------------------------------------------------------------------ manifest


@dataclass
class Resource:
    """One ``resource`` of the manifest and the item that shows it."""

    identifier: str
    type: str
    files: list[str]
    title: str
    href: str | None = None  # web content: the page the item opens


@dataclass
class Module:
    identifier: str
    title: str
    resources: list[Resource]


class Cartridge:
    """The files of one cartridge (path -> bytes) and its modules, filled chapter by
    chapter; ``manifest`` then lists them."""

    def __init__(self, project: Project, version: Version) -> None:
        self.project = project
        self.version = version
        self.profile = PROFILES[version]
        self.loc = localizer(project.book)
        self.files: dict[str, bytes] = {}
        self.modules: list[Module] = []
        self.taken: set[str] = {MANIFEST.lower()}
        self.media: dict[str, str] = {}  # asset path -> its file in the cartridge
        for path in sorted({p for ch in project.chapters for p in ch.images}):
            self.media[path] = portable_name("media/" + path, self.taken)
        # every id a chapter's links can lead to -> the page that holds it
        self.pages: dict[str, str] = {}

    def name(self, wanted: str) -> str:
        """A portable, unused file name (see render.names)."""
        return portable_name(wanted, self.taken)

    def add(self, name: str, data: bytes) -> str:
        self.files[name] = data
        return name

    def build(self) -> None:
        project = self.project
        activities = {a.stem: a for a in reversed(project.course.activities)}
        for ch in project.chapters:
            page = self.name(f"{ch.anchor}.html")
            self.pages[ch.anchor] = page
            for target in ch.targets:
                self.pages.setdefault(target.anchor, page)
        for ch in project.chapters:
            acts = activities.get(ch.stem) or project.course.for_chapter(ch.stem)
            self.modules.append(self.chapter_module(ch, acts))
        sources = self.name("sources.html")
        title = self.loc.pgettext("sources.title", "Sources and permissions")
        self.add(sources, html_page(title, self.loc, sources_html(project)))
        self.modules.append(Module("m-sources", title, [
            Resource("r-sources", "webcontent", [sources], title, sources)]))
        for path, name in sorted(self.media.items()):
            asset = project.asset(path)
            if asset is None:
                raise ValueError(f"chapter image {path!r} is not among the project's assets")
            self.add(name, asset.data)

    def chapter_page(self, ch: Chapter, acts: ChapterActivities) -> bytes:
        objectives = ChapterActivities(acts.stem, acts.objectives, (), (), (), None)
        html = chapter_html(ch, objectives, "book", self.loc)
        renames = {p: self.media[p] for p in ch.images if p in self.media}
        if renames:
            html = renamed_images(html, renames)
        html = self.linked(html, self.pages[ch.anchor])
        return html_page(ch.title, self.loc, html)

    def linked(self, html: str, page: str) -> str:
        """Links to another chapter's places (``#<id>``, transforms/links.py) lead to
        that chapter's page."""

        def target(match: re.Match[str]) -> str:
            anchor = match.group(2)
            holder = self.pages.get(anchor)
            if holder is None or holder == page:
                return match.group(0)
            return f'{match.group(1)}{holder}#{anchor}"'

        return re.sub(r'(<a\b[^>]*?\bhref=")#([^"]+)"', target, html)

    def chapter_module(self, ch: Chapter, acts: ChapterActivities) -> Module:
        base = ident(ch.anchor)
        page = self.pages[ch.anchor]
        self.add(page, self.chapter_page(ch, acts))
        resources = [Resource(f"r-{base}", "webcontent",
                              [page, *sorted({self.media[p] for p in ch.images
                                              if p in self.media})],
                              numbered_title(self.loc, ch), page)]
        source = ch.attribution.source
        if source.url:
            # L10N: the title of the web link to where a chapter first appeared
            title = self.loc.pgettext("cc.source-link", "Original article: %(title)s",
                                      title=source.title or ch.title)
            link = self.add(self.name(f"{ch.anchor}-source.xml"),
                            web_link(title, source.url, self.version))
            resources.append(Resource(f"r-{base}-source", self.profile.wl_type, [link], title))
        for d in acts.discussion:
            name = self.add(self.name(f"{d.id}.xml"), topic(d, self.version, self.loc))
            resources.append(Resource(f"r-{ident(d.id)}", self.profile.dt_type, [name],
                                      discussion_title(d, self.loc)))
        for ex in acts.exercises:
            name = self.add(self.name(f"{ex.id}.html"),
                            html_page(ex.title, self.loc, exercise_body(ex, self.loc)))
            resources.append(Resource(f"r-{ident(ex.id)}", "webcontent", [name], ex.title,
                                      name))
        questions = [q for q in acts.quiz if cartridge_profile(q) is not None]
        if questions:
            title = quiz_title(self.loc, ch)
            quiz = self.add(self.name(f"{ch.anchor}-quiz.xml"),
                            assessment(ch, questions, self.version,
                                       self.project.course.mastery_score, self.loc))
            resources.append(Resource(f"r-{base}-quiz", self.profile.qti_type, [quiz], title))
        return Module(f"m-{base}", numbered_title(self.loc, ch), resources)

    def manifest(self) -> bytes:
        """``imsmanifest.xml``. Its default namespace is declared within the first 1,024
        bytes, where Moodle's importer looks for it (imscc11_converter::detect_format
        reads that much, lower-cased, without spaces and quotes)."""
        p, book, course = self.profile, self.project.book, self.project.course
        cp = p.cp
        root = etree.Element(f"{{{cp}}}manifest", nsmap={None: cp, "lomimscc": p.lom,
                                                            "xsi": XSI},
                             identifier=ident(f"{course.id}-cc{p.version.replace('.', '')}"))
        root.set(f"{{{XSI}}}schemaLocation", f"{cp} {p.cp_xsd} {p.lom} {p.lom_xsd}")

        def sub(parent: etree._Element, tag: str, text: str | None = None,
                ns: str = cp, **attrs: str) -> etree._Element:
            el = etree.SubElement(parent, f"{{{ns}}}{tag}",
                                  {k.rstrip("_"): v for k, v in attrs.items()})
            if text is not None:
                el.text = text
            return el

        metadata = sub(root, "metadata")
        sub(metadata, "schema", "IMS Common Cartridge")
        sub(metadata, "schemaversion", p.schemaversion)
        lom = sub(metadata, "lom", ns=p.lom)
        general = sub(lom, "general", ns=p.lom)
        sub(sub(general, "title", ns=p.lom), "string", course.title, ns=p.lom,
            language=book.language)
        sub(general, "language", book.language, ns=p.lom)
        sub(sub(general, "description", ns=p.lom), "string",
            book.description or book.title, ns=p.lom, language=book.language)
        rights = sub(lom, "rights", ns=p.lom)
        sub(sub(rights, "copyrightAndOtherRestrictions", ns=p.lom), "value", "yes", ns=p.lom)
        sub(sub(rights, "description", ns=p.lom), "string", _rights_text(self.project),
            ns=p.lom, language=book.language)

        organization = sub(sub(root, "organizations"), "organization",
                           identifier="organization", structure="rooted-hierarchy")
        top = sub(organization, "item", identifier="root")
        for module in self.modules:
            folder = sub(top, "item", identifier=module.identifier)
            sub(folder, "title", module.title)
            for res in module.resources:
                item = sub(folder, "item", identifier=f"i-{res.identifier[2:]}",
                           identifierref=res.identifier)
                sub(item, "title", res.title)
        resources = sub(root, "resources")
        for module in self.modules:
            for res in module.resources:
                attrs = {"identifier": res.identifier, "type": res.type}
                if res.href is not None:
                    attrs["href"] = res.href
                el = sub(resources, "resource", **attrs)
                for name in res.files:
                    sub(el, "file", href=name)
        return _xml(root)


def cartridge(project: Project, version: Version, when: dt.datetime) -> bytes:
    """The cartridge's zip bytes: the manifest first, then every file by name."""
    made = Cartridge(project, version)
    made.build()
    files = dict(made.files)
    files[MANIFEST] = made.manifest()
    return reproducible_zip(files.items(), when, first=[MANIFEST])


def output_names(book: Book) -> dict[Version, str]:
    """``<slug>.imscc`` (CC 1.3) and ``<slug>-cc11.imscc`` (CC 1.1, for Moodle)."""
    return {"1.3": f"{book.slug}.imscc", "1.1": f"{book.slug}-cc11.imscc"}


class CcRenderer:
    """Both cartridges (see the module's docstring)."""

    name = "cc"

    def output_name(self, book: Book) -> str:
        return output_names(book)["1.3"]

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        for warning in check_cc(project):
            options.warn(warning.location, warning.message, warning.code)
        cache = options.cache
        names = output_names(project.book)
        with cache.templates(environment()) if cache is not None else nullcontext():
            return [OutputFile(names[v], cartridge(project, v, options.source_date))
                    for v in VERSIONS]
