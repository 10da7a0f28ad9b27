"""An independent reader of the cartridges' QTI 1.2 quizzes: pyslet (PyPI), the Python
library of QTI's own editor, whose QTI v1 code descends from the QTI Migration Tool that
Canvas runs on every QTI 1.2 file it imports (instructure/QTIMigrationTool).

pyslet parses each ``item``, migrates it to a QTI 2.1 ``assessmentItem`` (interactions,
response declaration, response processing) and runs that response processing in an item
session. A reading is what the engine does with candidate responses: the choices that
score 100 are found by trying every selection. For fill-in items the accepted texts are
read as Canvas's importer reads them, as the strings the scoring condition matches
(canvas-lms gems/plugins/qti_exporter/lib/qti/extended_text_interaction.rb), because the
CC profile writes alternative answers as sibling ``varequal``s, which generic QTI 1.2
engines take together; an item with one accepted text is also scored by the engine.

pyslet 0.7.20170805 (its last release) calls ``generator.next()`` once, in
``Element.get_or_add_child``, which Python 3 lacks; _python3_fix replaces that one
method with the same code using ``next()``. Nothing else of pyslet is changed.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from lxml import etree
from pyslet.qtiv1 import xml as qtiv1
from pyslet.qtiv2 import expressions, interactions, variables
from pyslet.xml import structures


def _python3_fix() -> None:
    def get_or_add_child(self: Any, child_class: Any) -> Any:
        children = self.find_children_depth_first(child_class, max_depth=1)
        try:
            return next(children)
        except StopIteration:
            return self.add_child(child_class)

    structures.Element.get_or_add_child = get_or_add_child


_python3_fix()


@dataclass
class ReadItem:
    """One question as the reader sees it."""

    ident: str
    kind: str  # "choice" or "text"
    question: str
    choices: dict[str, str] = field(default_factory=dict)  # ident -> text, in order
    multiple: bool = False
    right: list[frozenset[str]] = field(default_factory=list)  # selections scoring 100
    accepted: list[str] = field(default_factory=list)  # fill-in: texts matched
    case_sensitive: bool = False
    metadata: dict[str, str] = field(default_factory=dict)  # itemmetadata fields
    log: list[str] = field(default_factory=list)  # the migration's warnings
    _item: Any = None

    def score(self, response: str | frozenset[str]) -> float:
        """SCORE after one attempt with ``response`` (a text, or the selected idents)."""
        return score(self._item, response)


def _text(element: Any) -> str:
    return " ".join("".join(_strings(element)).split())


def _strings(element: Any) -> Iterator[str]:
    for child in element.get_children():
        if isinstance(child, str):
            yield child
        else:
            yield from _strings(child)


def score(item: Any, response: str | frozenset[str]) -> float:
    declaration = item.ResponseDeclaration[0]
    session = variables.ItemSessionState(item)
    session.begin_session()
    # begin_attempt sets the attempt's state, then renders the item as HTML, which pyslet
    # does not do for a text entry; the state is all the scoring needs.
    with contextlib.suppress(NotImplementedError):
        session.begin_attempt()
    if isinstance(response, str):
        session[declaration.identifier] = variables.StringValue(response)
    elif declaration.cardinality == variables.Cardinality.single:
        (only,) = response
        session[declaration.identifier] = variables.IdentifierValue(only)
    else:
        value = variables.MultipleContainer(variables.BaseType.identifier)
        value.set_value(sorted(response))
        session[declaration.identifier] = value
    session.end_attempt()
    result = session["SCORE"].value
    return float(result) if result is not None else 0.0


def read_quiz(data: bytes) -> list[ReadItem]:
    """Every item of a QTI 1.2 ``questestinterop`` document, read back."""
    doc = qtiv1.QTIDocument()
    doc.read(src=BytesIO(data))
    metadata = _item_metadata(data)
    read = []
    for v2, _metadata, log in doc.root.migrate_to_v2():
        item = v2.root
        body = item.ItemBody
        found = ReadItem(item.identifier, "", "", log=list(log), _item=item,
                         metadata=metadata.get(item.identifier, {}))
        paragraphs = [p for p in body.get_children() if not isinstance(p, str)]
        found.question = _text(paragraphs[0]) if paragraphs else ""
        (choice,) = list(body.find_children_depth_first(interactions.ChoiceInteraction)) or [
            None]
        if choice is not None:
            found.kind = "choice"
            found.choices = {c.identifier: _text(c) for c in choice.SimpleChoice}
            found.multiple = (item.ResponseDeclaration[0].cardinality
                              != variables.Cardinality.single)
            sizes = range(1, len(found.choices) + 1) if found.multiple else [1]
            for size in sizes:
                for picked in itertools.combinations(found.choices, size):
                    if score(item, frozenset(picked)) >= 100:
                        found.right.append(frozenset(picked))
        else:
            found.kind = "text"
            found.question = _text(body).strip()
            for match in item.ResponseProcessing.find_children_depth_first(
                    expressions.StringMatch):
                value = match.Expression[1]
                found.accepted.append(_text(value))
                found.case_sensitive = bool(match.caseSensitive)
        read.append(found)
    return read


def _item_metadata(data: bytes) -> dict[str, dict[str, str]]:
    """item ident -> {fieldlabel: fieldentry} of its itemmetadata (read with lxml: the
    metadata is plain data, no QTI semantics)."""
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    found: dict[str, dict[str, str]] = {}
    for item in etree.fromstring(data).iterfind(".//q:item", ns):
        found[item.get("ident", "")] = {
            f.findtext("q:fieldlabel", "", ns): f.findtext("q:fieldentry", "", ns)
            for f in item.iterfind("q:itemmetadata/q:qtimetadata/q:qtimetadatafield", ns)}
    return found
