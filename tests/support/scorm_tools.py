"""SCORM package test tools: manifest validation against the official XSDs, package
extraction, a synthetic large course, and a learner who drives the course page.

The XSDs are shipped in tests/schemas/scorm/ (see its README.md for where they come from):
SCORM 1.2's ``ims_xml.xsd`` is resolved to the 2004 set's W3C ``xml.xsd``,
``imsmd_rootv1p2p1.xsd`` is not loaded and ``imsmd:`` metadata is removed from the copy that
is validated.
"""

from __future__ import annotations

import copy
import textwrap
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from .lms_harness import LmsSession

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "scorm"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
NS = {
    "cp12": "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
    "adlcp12": "http://www.adlnet.org/xsd/adlcp_rootv1p2",
    "cp": "http://www.imsglobal.org/xsd/imscp_v1p1",
    "adlcp": "http://www.adlnet.org/xsd/adlcp_v1p3",
    "imsss": "http://www.imsglobal.org/xsd/imsss",
    "adlnav": "http://www.adlnet.org/xsd/adlnav_v1p3",
    "lom": "http://ltsc.ieee.org/xsd/LOM",
    "imsmd": IMSMD_NS,
}


class _XmlXsdResolver(etree.Resolver):
    """SCORM 1.2's ims_xml.xsd is not loadable by libxml2: use the W3C xml.xsd instead."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        if system_url.endswith("ims_xml.xsd"):
            return self.resolve_filename(str(SCHEMAS / "scorm2004-4th" / "xml.xsd"), context)
        return None


def _driver(imports: list[tuple[str, Path]]) -> str:
    lines = "\n".join(
        f'  <xsd:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>'
        for ns, path in imports
    )
    return (
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n' + lines + "\n</xsd:schema>"
    )


def load_schema(version: str, base: Path | None = None) -> etree.XMLSchema:
    """The version's manifest schema, from ``base`` (a folder holding that version's schema
    files, such as an unpacked package's root) or from the copies shipped in tests/."""
    if version == "1.2":
        base = base or SCHEMAS / "scorm12"
        imports = [(NS["cp12"], base / "imscp_rootv1p1p2.xsd"),
                   (NS["adlcp12"], base / "adlcp_rootv1p2.xsd")]
    else:
        base = base or SCHEMAS / "scorm2004-4th"
        imports = [(NS["cp"], base / "imscp_v1p1.xsd"),
                   (NS["adlcp"], base / "adlcp_v1p3.xsd"),
                   ("http://www.adlnet.org/xsd/adlseq_v1p3", base / "adlseq_v1p3.xsd"),
                   (NS["adlnav"], base / "adlnav_v1p3.xsd"),
                   (NS["imsss"], base / "imsss_v1p0.xsd")]
    parser = etree.XMLParser()
    parser.resolvers.add(_XmlXsdResolver())
    doc = etree.fromstring(_driver(imports).encode(), parser,
                           base_url=(base / "driver.xsd").as_uri())
    return etree.XMLSchema(etree.ElementTree(doc))


def validate_manifest(data: bytes, version: str, schemas: Path | None = None) -> list[str]:
    """XSD errors of an imsmanifest.xml ("line: message"); [] when valid. ``schemas``: see
    load_schema."""
    root = etree.fromstring(data)
    checked = copy.deepcopy(root)
    if version == "1.2":
        for el in list(checked.iter(f"{{{IMSMD_NS}}}*")):
            parent = el.getparent()
            if parent is not None and not parent.tag.startswith(f"{{{IMSMD_NS}}}"):
                parent.remove(el)
    schema = load_schema(version, schemas)
    if schema.validate(checked):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


def extract(zip_path: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(dest)
    return dest


def write_large_project(root: Path, chapters: int = 60, items: int = 5,
                        choices: int = 5) -> Path:
    """A project of ``chapters`` chapters, each with ``items`` multiple-answer quiz items
    of ``choices`` choices (the widest answers the runtime must store)."""
    (root / "manuscript").mkdir(parents=True)
    (root / "course").mkdir()
    (root / "manuscript" / "book.yaml").write_text(
        "title: A Long Course\nlanguage: en\nrights: Test text, free to reuse.\n",
        encoding="utf-8")
    (root / "course" / "course.yaml").write_text(
        "title: A long course\nid: long-course\nmastery_score: 75\n", encoding="utf-8")
    for n in range(1, chapters + 1):
        stem = f"{n:02d}-chapter-{n}"
        (root / "manuscript" / f"{stem}.md").write_text(textwrap.dedent(f"""\
            ---
            title: Chapter number {n}
            author: Author {n}
            notice: Written for this test.
            ---

            Paragraph one of chapter {n}. It says a few things.
            """), encoding="utf-8")
        quiz = []
        for i in range(1, items + 1):
            opts = [f"Option {k} of question {i} in chapter {n}" for k in range(1, choices + 1)]
            quiz.append({"q": f"Question {i} of chapter {n}?", "opts": opts})
        lines = ["quiz:"]
        for q in quiz:
            lines.append(f'  - question: "{q["q"]}"')
            lines.append("    choices:")
            lines.extend(f'      - "{o}"' for o in q["opts"])
            lines.append("    answer:")
            lines.extend(f'      - "{o}"' for o in q["opts"][:2])
        (root / "course" / f"{stem}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


# ------------------------------------------------------------------ learner


class Learner:
    """Drives the course page in the SCO frame the way a person does: clicks "Next",
    checks choices by their labels, clicks the "Check answers" button (whatever the
    book's language calls them)."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def wait_ready(self) -> None:
        self.frame.wait_for_function(
            "() => window.cxcourse && window.cxcourse.current !== null")

    def current_page(self) -> str:
        return str(self.frame.evaluate("window.cxcourse.current.structure.pages"
                                       "[window.cxcourse.current.state.page].id"))

    def heading(self) -> str:
        return str(self.frame.locator(".cx-page:not([hidden]) h1").first.inner_text())

    def next(self) -> None:
        self.frame.locator("#cx-next").click()

    def previous(self) -> None:
        self.frame.locator("#cx-prev").click()

    def answer_visible_quiz(self, picks: dict[str, Any]) -> None:
        """``picks``: quiz item id -> the answer to give on the visible page, by question
        type: choice texts to select (choice), the text to type (fill-in, numeric),
        {prompt text: target text} to pick in the lists (matching), or the entry texts in
        the order to put them with the Move up buttons (ordering). Then "Check answers"."""
        page = self.frame.locator(".cx-page:not([hidden])")
        for item_id, answer in picks.items():
            fieldset = page.locator(f'fieldset[data-item="{item_id}"]')
            kind = fieldset.get_attribute("data-type") or "choice"
            if kind == "choice":
                for text in answer:
                    fieldset.get_by_label(text, exact=True).check()
            elif kind in ("fill-in", "numeric"):
                fieldset.locator("input").fill(answer)
            elif kind == "matching":
                for prompt, target in answer.items():
                    fieldset.get_by_label(prompt, exact=True).select_option(label=target)
            else:
                self.put_in_order(fieldset, list(answer))
        title = self.heading()
        button = page.locator("button.check")
        assert title in button.inner_text()  # named after the chapter it checks
        button.click()

    def put_in_order(self, fieldset: Any, texts: list[str]) -> None:
        """Moves an ordering question's entries into ``texts``' order with its buttons (an
        order already shown is confirmed by moving its first entry down and up again: an
        order the learner never touched is no answer)."""
        moves = 0
        for place, text in enumerate(texts):
            shown = fieldset.locator(".order-text").all_inner_texts()
            for _ in range(shown.index(text) - place):
                fieldset.get_by_role("button", name=f"Move up: {text}", exact=True).click()
                moves += 1
        if not moves:
            fieldset.get_by_role("button", name=f"Move down: {texts[0]}", exact=True).click()
            fieldset.get_by_role("button", name=f"Move up: {texts[0]}", exact=True).click()
        assert fieldset.locator(".order-text").all_inner_texts() == texts


# ------------------------------------------------------------ LMS variants

_NO_MODE_PATCH = """
;(function () {
  function omit(cls, method, element) {
    var orig = cls.prototype[method];
    cls.prototype[method] = function (el) {
      return el === element ? "" : orig.apply(this, arguments);
    };
  }
  /* LMSGetValue / GetValue are instance aliases of lmsGetValue */
  omit(window.Scorm12API, "lmsGetValue", "cmi.core.lesson_mode");
  omit(window.Scorm2004API, "lmsGetValue", "cmi.mode");
})();
"""


class NoModeLmsSession(LmsSession):
    """An LMS session whose API answers "" for cmi.core.lesson_mode / cmi.mode, like LMSs
    that do not implement the element (scorm-again itself is patched as it is served)."""

    def _route(self, route: Any, request: Any) -> None:
        if request.url.endswith("/__lms__/vendor/scorm-again.min.js"):
            response = route.fetch()
            route.fulfill(response=response, body=response.text() + _NO_MODE_PATCH)
            return
        super()._route(route, request)
