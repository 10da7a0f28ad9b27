"""Laying out one part of a PDF edition, and finishing it once the page numbers of the
whole edition are known.

WeasyPrint lays a document out in one go and then adds each page's margin boxes (running
heads and folios) from that page's counters. A part of an edition does not know its first
page number until the parts before it are laid out, so three things wait until then:

- margin boxes: made afterwards from the same page state, with the part's first page
  number added to the page counter;
- page references written as ``PAGE_REF_PLACEHOLDER`` (pdf_html.py): the text box is
  shaped again with the real number (the placeholder is at least as wide, so no line
  breaks differently);
- links to anchors in another part: WeasyPrint drops links whose target it has not laid
  out, so such targets are lent a stand-in anchor; the merged PDF (pdf_merge.py) keeps
  only the real one.

This uses WeasyPrint's layout internals (``weasyprint.layout.make_margin_boxes``,
``weasyprint.text.line_break.split_first_line``), so pyproject.toml pins WeasyPrint's
version.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import weasyprint.layout as wp_layout
from weasyprint.formatting_structure import boxes
from weasyprint.layout.background import layout_box_backgrounds
from weasyprint.text.line_break import split_first_line

from .pdf_html import PAGE_REF_PLACEHOLDER
from .pdf_tags import hooks, prepare_page

PAGE_REF_ATTRIBUTE = "data-cx-page-ref"

_make_margin_boxes = wp_layout.make_margin_boxes
# Margin boxes held back while a part is laid out: (context, page box, page state, page
# number within the part). None when WeasyPrint is used normally.
_held: list[tuple[Any, Any, Any, int]] | None = None


def _held_margin_boxes(context: Any, page: Any, state: Any) -> Any:
    if _held is None:
        return _make_margin_boxes(context, page, state)
    _held.append((context, page, state, context.current_page))
    return iter(())


wp_layout.make_margin_boxes = _held_margin_boxes


@dataclass
class LaidOutPart:
    """A laid-out part: WeasyPrint's document, its held-back margin boxes, and where each
    of its anchors landed (page index within the part)."""

    document: Any
    held: list[tuple[Any, Any, Any, int]]
    anchors: dict[str, int] = field(default_factory=dict)
    borrowed: list[str] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return len(self.document.pages)


def lay_out(html: Any, **render_options: Any) -> LaidOutPart:
    """``html.render(...)`` with the margin boxes held back (and pdf_tags.py's hooks)."""
    global _held
    _held = []
    try:
        with hooks():
            document = html.render(**render_options)
        held = _held
    finally:
        _held = None
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return LaidOutPart(document, held, anchors)


def finish(part: LaidOutPart, first_page: int, page_numbers: dict[str, str]) -> None:
    """Make the held-back margin boxes with page numbers counted from ``first_page`` (the
    number the part's first page would have had in one long document), fill in page
    references from ``page_numbers`` (anchor -> printed page number), flag page furniture
    as artifacts (pdf_tags.py) and lend a stand-in anchor to every link target that lies
    in another part."""
    offset = first_page - 1
    for context, page_box, state, number in part.held:
        state = copy.deepcopy(state)
        counters = state[1]
        if offset and "page" in counters:
            counters["page"] = [value + offset for value in counters["page"]]
        context.current_page = number
        with hooks():
            margin_boxes = list(_make_margin_boxes(context, page_box, state))
        for box in margin_boxes:
            layout_box_backgrounds(page_box, box, context.get_image_from_uri)
        page_box.children = (*page_box.children, *margin_boxes)
        _fill_page_refs(context, page_box, page_numbers)
    part.held = []

    pages = part.document.pages
    for page in pages:
        prepare_page(page)
    targets = {link[1] for page in pages for link in page.links if link[0] == "internal"}
    part.borrowed = sorted(targets - part.anchors.keys())
    if pages:
        for name in part.borrowed:
            pages[0].anchors[name] = (0, 0, 0, 0)


def write(part: LaidOutPart, **pdf_options: Any) -> bytes:
    """A finished part as PDF bytes: ``document.write_pdf(...)`` with pdf_tags.py's hooks."""
    with hooks():
        data: bytes = part.document.write_pdf(**pdf_options)
    return data


def _fill_page_refs(context: Any, page_box: Any, page_numbers: dict[str, str]) -> None:
    for box in page_box.descendants():
        if not isinstance(box, boxes.TextBox) or box.element is None:
            continue
        target = box.element.get(PAGE_REF_ATTRIBUTE)
        if not target or PAGE_REF_PLACEHOLDER not in box.text:
            continue
        number = page_numbers.get(target)
        if number is None:
            raise KeyError(f"page reference to #{target}, which is not in this edition")
        text = box.text.replace(PAGE_REF_PLACEHOLDER, number)
        layout, _, _, width, _, _ = split_first_line(
            text, box.style, context, math.inf, box.justification_spacing)
        box.text = text
        box.pango_layout = layout
        box.width = width
