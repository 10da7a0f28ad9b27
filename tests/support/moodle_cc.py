"""Moodle 4.5's Common Cartridge 1.1 import rules, reimplemented with their own XPath
queries to show what Moodle makes of a cartridge (there is no Moodle in the test suite).

Each function cites the Moodle code it follows (moodle/moodle, MOODLE_405_STABLE,
backup/converter/imscc11/lib.php and backup/cc/): the same queries, evaluated by lxml
instead of PHP's DOMXPath, and the same decisions on their results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

NS = {"imscc": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
      "lomimscc": "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest",
      "xmlns": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2",
      "dt": "http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1",
      "wl": "http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1"}
# cc2moodle/cc112moodle CC_TYPE_* -> Moodle module (cc2moodle::convert_to_moodle_type)
MODULES = {"imsdt_xmlv1p1": "forum", "imsqti_xmlv1p2/imscc_xmlv1p1/assessment": "quiz",
           "imswl_xmlv1p1": "resource", "webcontent": "resource", "": "label"}
# entity11.quiz.class.php get_question_type: cc_profile -> Moodle question type
QUESTION_TYPES = {"cc.multiple_choice.v0p1": "multichoice",
                  "cc.multiple_response.v0p1": "multichoice",
                  "cc.true_false.v0p1": "truefalse", "cc.essay.v0p1": "essay",
                  "cc.fib.v0p1": "shortanswer", "cc.pattern_match.v0p1": "shortanswer"}
ROOT_DEEP = 2  # backup/cc/includes/constants.php


def detects_cc11(manifest: bytes) -> bool:
    """imscc11_converter::detect_format: the first 1,024 bytes, lower-cased, without white
    space and quotes, hold ``xmlns=http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1``."""
    snippet = manifest[:1024].decode("utf-8", "replace").lower()
    snippet = re.sub(r"\s*", "", snippet).replace("'", "").replace('"', "")
    return "xmlns=http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1" in snippet


@dataclass
class Section:
    title: str  # a label section's summary (cc2moodle::create_node_course_sections_section)
    modules: list[tuple[str, str, str]]  # (Moodle module, title, resource identifier)


def sections(manifest: bytes) -> list[Section]:
    """cc2moodle::create_instances walks organization/item and its items: depth 2
    (ROOT_DEEP) items are the sections, their items the modules, typed by their
    resource's type (get_item_cc_type, convert_to_moodle_type)."""
    root = etree.fromstring(manifest)
    types = {r.get("identifier"): r.get("type")
             for r in root.xpath("/imscc:manifest/imscc:resources/imscc:resource",
                                 namespaces=NS)}
    found = []
    top = root.xpath("/imscc:manifest/imscc:organizations/imscc:organization/imscc:item",
                     namespaces=NS)
    for item in top:  # depth 1
        for section in item.xpath("imscc:item", namespaces=NS):  # depth 2 = ROOT_DEEP
            title = section.findtext("imscc:title", "", NS)
            modules = []
            for child in section.xpath("imscc:item", namespaces=NS):
                ref = child.get("identifierref", "")
                kind = MODULES.get(types.get(ref, "") if ref else "", "[UNKNOWN]")
                modules.append((kind, child.findtext("imscc:title", "", NS), ref))
            found.append(Section(title, modules))
    return found


def course_title(manifest: bytes) -> str:
    """cc2moodle::get_metadata('general', 'title')."""
    root = etree.fromstring(manifest)
    return "".join(root.xpath("/imscc:manifest/imscc:metadata/lomimscc:lom/lomimscc:general/"
                              "lomimscc:title/lomimscc:string/text()", namespaces=NS)[:1])


@dataclass
class Answer:
    ident: str
    text: str
    score: float  # Moodle's fraction: 0..1
    feedback: str


@dataclass
class MoodleQuestion:
    ident: str
    qtype: str  # Moodle's question type; "" when Moodle skips the item
    text: str
    defaultgrade: int
    general_feedback: str
    answers: list[Answer] = field(default_factory=list)
    single: bool = True  # multichoice: one answer (cc.multiple_choice) or several
    error: str = ""  # what Moodle's importer would throw


def _values(nodes: list[etree._Element]) -> list[str]:
    return [n if isinstance(n, str) else (n.text or "") for n in nodes]


def _first(xpath: etree.XPathElementEvaluator, query: str, node: object = None) -> str:
    found = xpath(query) if node is None else node.xpath(query, namespaces=NS)
    values = _values(found)
    return values[0] if values and values[0] else ""


def questions(qti: bytes) -> list[MoodleQuestion]:
    """cc11_quiz::get_questions and what it calls, for a quiz (not a question bank)."""
    doc = etree.fromstring(qti)

    def xpath(query: str) -> list:
        return doc.xpath(query, namespaces=NS)

    found = []
    for item in xpath("/xmlns:questestinterop/xmlns:assessment/xmlns:section/xmlns:item"):
        ident = item.get("ident", "")
        flow = item.xpath("xmlns:presentation/xmlns:flow/xmlns:material/xmlns:mattext",
                          namespaces=NS)
        titles = flow or item.xpath("xmlns:presentation/xmlns:material/xmlns:mattext",
                                    namespaces=NS)
        text = titles[0].text or "" if titles else ""
        cc_type = ""
        for fld in xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:itemmetadata/'
                         "xmlns:qtimetadata/xmlns:qtimetadatafield"):
            if _first(None, "xmlns:fieldlabel", fld) == "cc_profile":  # type: ignore[arg-type]
                cc_type = _first(None, "xmlns:fieldentry", fld)  # type: ignore[arg-type]
        q = MoodleQuestion(ident, QUESTION_TYPES.get(cc_type, ""), text,
                           _defaultgrade(xpath, ident), _general_feedback(xpath, ident))
        if q.qtype in ("multichoice", "truefalse"):
            q.single = cc_type != "cc.multiple_response.v0p1"
            q.answers = _choice_answers(xpath, ident, cc_type)
            if q.qtype == "truefalse" and sorted(a.ident for a in q.answers) != [
                    "false", "true"]:
                # create_node_..._question_true_false throws on any other ident
                q.error = "Unknown answer identifier detected in true/false quiz question"
        elif q.qtype == "shortanswer":
            q.answers = _fib_answers(xpath, ident)
        found.append(q)
    return found


def _defaultgrade(xpath, ident: str) -> int:  # type: ignore[no-untyped-def]
    """get_defaultgrade: cc_weighting from 0 to 99, else 1."""
    found = xpath(f'//xmlns:item[@ident="{ident}"]//xmlns:qtimetadatafield'
                  '[xmlns:fieldlabel="cc_weighting"]/xmlns:fieldentry')
    if found:
        value = int(found[0].text or "0")
        if 0 <= value <= 99:
            return value
    return 1


def _feedback_texts(xpath, ident: str, refs: list[str]) -> str:  # type: ignore[no-untyped-def]
    text = ""
    for ref in refs:
        found = xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:itemfeedback[@ident="{ref}"]/'
                      "xmlns:flow_mat/xmlns:material/xmlns:mattext")
        if found and found[0].text:
            text += found[0].text + " "
    return text


def _general_feedback(xpath, ident: str) -> str:  # type: ignore[no-untyped-def]
    """get_general_feedback: the displayfeedback of every ``continue="Yes"`` condition."""
    refs = []
    for cond in xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:resprocessing/'
                      "xmlns:respcondition"):
        if (cond.get("continue") or "").lower() == "yes":
            refs += [f.get("linkrefid") for f in cond.xpath("xmlns:displayfeedback",
                                                             namespaces=NS)
                     if f.get("linkrefid")]
    return _feedback_texts(xpath, ident, refs)


def _choice_answers(xpath, ident: str, cc_type: str) -> list[Answer]:  # type: ignore[no-untyped-def]
    """get_answers for choice questions, with get_score and get_feedback; a multiple
    response's right choices from ``$canswers_query``, each worth 1/n."""
    conditions = xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:resprocessing/'
                       "xmlns:respcondition")
    labels = (xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:presentation/xmlns:flow/'
                    "xmlns:response_lid/xmlns:render_choice/xmlns:response_label")
              or xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:presentation/'
                       "xmlns:response_lid/xmlns:render_choice/xmlns:response_label"))
    shares: dict[str, float] = {}
    if cc_type == "cc.multiple_response.v0p1":
        right = xpath(f"//xmlns:item[@ident='{ident}']//xmlns:setvar[@varname='SCORE'][.=100]"
                      "/../xmlns:conditionvar//xmlns:varequal[@case='Yes']"
                      "[not(parent::xmlns:not)]")
        if right:
            shares = {n.text: round(1.0 / len(right), 7) for n in right}
    answers = []
    for label in labels:
        answer_ident = label.get("ident", "")
        title = _first(None, "xmlns:material/xmlns:mattext", label)
        score = ""
        refs: list[str] = []
        for cond in conditions:  # get_score and get_feedback: first direct varequal
            varequal = _first(None, "xmlns:conditionvar/xmlns:varequal", cond)
            if varequal.lower() == answer_ident.lower():
                score = _first(None, "xmlns:setvar", cond)
                refs += [f.get("linkrefid") for f in cond.xpath("xmlns:displayfeedback",
                                                                 namespaces=NS)
                         if f.get("linkrefid")]
        fraction = 1.0 if score not in ("", "0") else 0.0  # PHP empty(): "" and "0"
        if answer_ident in shares:
            fraction = shares[answer_ident]
        answers.append(Answer(answer_ident, title, fraction,
                              _feedback_texts(xpath, ident, refs)))
    return answers


def _fib_answers(xpath, ident: str) -> list[Answer]:  # type: ignore[no-untyped-def]
    """get_answers_fib: the ``varequal``s right under the first condition whose setvar is
    100 are the right answers; any other condition's first varequal is a wrong answer."""
    correct = xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:resprocessing/'
                    'xmlns:respcondition/xmlns:setvar[text()="100"]/..')
    answers = []
    seen = set()
    if correct:
        for node in correct[0].xpath("xmlns:conditionvar/xmlns:varequal", namespaces=NS):
            if node.text:
                answers.append(Answer("", node.text, 1.0, ""))
                seen.add(node.text)
    for cond in xpath(f'//xmlns:item[@ident="{ident}"]/xmlns:resprocessing/'
                      "xmlns:respcondition"):
        setvar = cond.xpath("xmlns:setvar", namespaces=NS)
        if setvar and _is_100(setvar[0].text or ""):
            continue  # "Skip the correct answer responsecondition."
        varequal = cond.xpath("xmlns:conditionvar/xmlns:varequal", namespaces=NS)
        if varequal and (varequal[0].text or "") not in seen:
            answers.append(Answer("", varequal[0].text or "", 0.0, ""))
    return answers


def _is_100(text: str) -> bool:
    """PHP's ``$value == '100'``: numeric strings compare as numbers."""
    try:
        return float(text) == 100
    except ValueError:
        return text == "100"
