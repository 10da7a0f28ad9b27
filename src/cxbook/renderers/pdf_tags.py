"""PDF/UA-1 tagging while WeasyPrint writes a part (ISO 14289-1; failure conditions of the
Matterhorn Protocol 1.1 in brackets).

WeasyPrint 70 tags what it draws, but from boxes alone: it cannot tell page furniture from
content and does not read the HTML semantics PDF/UA asks for. The fixes are made here,
where the boxes still know their HTML element, rather than by rewriting the finished PDF,
which no longer knows which marked content was a running head or which Span was a
footnote:

- ``prepare_page`` (called by pdf_layout.finish once a page has its margin boxes) flags
  the text of margin boxes (running heads, folios) as pagination artifacts and the text of
  leaders (the contents' dot leaders) as layout artifacts [01-005, 01-001], and keeps one
  link area per link: WeasyPrint gives every box inside a link its own annotation (the
  link is inherited), which then hangs from whatever element that box is tagged as, a Span
  or a P [28-011]. Only the boxes of the link's own element (``<a>``, each of its
  fragments) keep theirs, whatever is nested in them: spans, inline blocks, floats and
  positioned boxes (which WeasyPrint's tree holds as ``AbsolutePlaceholder``, not a
  ``Box``) alike.
- ``Stream.marked`` writes a flagged box as ``/Artifact`` marked content instead of a
  tagged Span.
- ``tags._build_box_tree`` is wrapped: it skips artifacts and margin boxes (whose
  structure elements WeasyPrint built but never attached to the document), gives an
  element the ``lang`` of its HTML element [11-007], makes a ``role="doc-footnote"``
  element a Note with a unique /ID [19-003, 19-004], turns a Link element that holds no
  annotation (an ``<a>`` without href) into a Span [01-006] and describes each link
  annotation by its text [28-012].
- ``split_text_box`` and ``draw_first_line`` are wrapped: the hyphen WeasyPrint adds
  where it hyphenates a word at a line end is written as a distinct character code
  mapped to U+00AD SOFT HYPHEN (the font's own soft-hyphen glyph), so that the text
  layer says "service", not "ser‐vice" (ISO 32000-1, 14.8.2: an incidental hyphen is a
  soft hyphen). A font without a soft-hyphen glyph that looks like its hyphen gets
  ``/ActualText`` U+00AD around the hyphen instead (14.9.4).

Tree shapes that need no HTML knowledge (list items as Lbl + LBody, table row groups,
page /Tabs) are put right on the joined PDF by pdf_structure.py.

The hooks act only inside ``hooks()`` (pdf_layout.py enters it to lay out and write a
part of an edition); outside it, in the same process or thread, WeasyPrint works as shipped,
so that its other uses (the EPUB cover, a caller's own documents) are not changed by
importing this module.

These hooks use WeasyPrint internals, like pdf_layout.py: pyproject.toml pins its version.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pydyf  # type: ignore[import-untyped]
import weasyprint.draw.text as wp_text
import weasyprint.layout.inline as wp_inline
import weasyprint.pdf.tags as wp_tags
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont, TTLibError
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf.stream import Stream

ARTIFACT = "_cx_artifact"  # attribute set on boxes drawn as artifacts: (type, subtype)
REFINED = "_cx_refined"  # attribute set on structure elements _refine has seen
SOFT_HYPHEN = "\u00ad"
FOOTNOTE_ROLES = frozenset({"doc-footnote", "doc-endnote", "note"})
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LAST_GLYPHS_RE = re.compile(rb"<([0-9a-f]*)>[^<>]*$")
# True while an edition's part is laid out or written (a ContextVar: per thread).
_ACTIVE: ContextVar[bool] = ContextVar("cxbook_pdf_tags", default=False)


@contextmanager
def hooks() -> Iterator[None]:
    """Within the block, WeasyPrint lays out and writes with this module's hooks; outside
    it, it works as shipped (see the module docstring)."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


# ---- Artifacts and link areas ------------------------------------------------------------


def prepare_page(page: Any) -> None:
    """Flag the page furniture of a laid-out WeasyPrint page as artifacts and keep one
    link area per link (see the module docstring)."""
    _flag_artifacts(page._page_box, None)
    # page.links: (type, target, rectangle, box); ``box.link`` is the box's own link, set
    # only on the boxes of a link's element (the inherited one is WeasyPrint's parent_link).
    page.links[:] = [link for link in page.links if link[3].link is not None]


def _children(box: Any) -> Iterator[Any]:
    """The boxes laid out inside ``box``, positioned ones (held in the tree as
    ``AbsolutePlaceholder``) included, as the boxes themselves."""
    for child in getattr(box, "children", ()):
        if isinstance(child, AbsolutePlaceholder):
            child = child._box
        if isinstance(child, boxes.Box):
            yield child


def _flag_artifacts(box: Any, artifact: tuple[str, str | None] | None) -> None:
    if isinstance(box, boxes.MarginBox):
        subtype = "Header" if box.at_keyword.startswith("@top") else (
            "Footer" if box.at_keyword.startswith("@bottom") else None)
        artifact = ("Pagination", subtype)
    elif getattr(box, "is_leader", False):
        artifact = ("Layout", None)
    if artifact is not None:
        setattr(box, ARTIFACT, artifact)
    for child in _children(box):
        _flag_artifacts(child, artifact)


_original_marked = Stream.marked


@contextmanager
def _marked(self: Any, box: Any, tag: str) -> Iterator[None]:
    artifact = getattr(box, ARTIFACT, None)
    if artifact is None or self._tags is None or not _ACTIVE.get():
        with _original_marked(self, box, tag):
            yield
        return
    kind, subtype = artifact
    properties = pydyf.Dictionary({"Type": f"/{kind}"})
    if subtype:
        properties["Subtype"] = f"/{subtype}"
    self.begin_marked_content("Artifact", properties)
    try:
        yield
    finally:
        self.end_marked_content()


Stream.marked = _marked


# ---- The structure tree ------------------------------------------------------------------

_original_build_box_tree = wp_tags._build_box_tree


def _build_box_tree(box: Any, parent: Any, pdf: Any, page_number: int, nums: Any,
                    annotations: Any, tags: Any) -> Iterator[Any]:
    if not _ACTIVE.get():
        yield from _original_build_box_tree(box, parent, pdf, page_number, nums, annotations,
                                            tags)
        return
    real = box._box if isinstance(box, AbsolutePlaceholder) else box
    if isinstance(real, boxes.MarginBox) or getattr(real, ARTIFACT, None) is not None:
        return  # drawn as artifacts: nothing to tag
    for element in _original_build_box_tree(box, parent, pdf, page_number, nums,
                                            annotations, tags):
        # WeasyPrint passes the elements of the html and body elements' (and the page's)
        # children up through their calls: each element is refined once, by the call for
        # the box it was made for, which yields it first.
        if not getattr(element, REFINED, False):
            setattr(element, REFINED, True)
            _refine(element, real, pdf)
        yield element


wp_tags._build_box_tree = _build_box_tree


def _refine(element: Any, box: Any, pdf: Any) -> None:
    """What WeasyPrint's tagging leaves out, from the box's HTML element."""
    html = box.element
    own = html is not None and "::" not in (box.element_tag or "")
    if element["S"] == "/Link":
        if box.link_annotation is None:
            element["S"] = "/Span"  # an <a> without a link: no annotation to hold
        else:
            text = " ".join("".join(_texts(box)).split())
            if text:
                box.link_annotation["Contents"] = pydyf.String(text)
    if not own:
        return
    lang = html.get("lang") or html.get(XML_LANG)
    if lang:
        element["Lang"] = pydyf.String(lang)
    if html.get("role") in FOOTNOTE_ROLES or html.get("epub:type") == "footnote":
        element["S"] = "/Note"
        element["ID"] = pydyf.String(_unique_id(pdf, html.get("id") or "note"))


def _texts(box: Any) -> Iterator[str]:
    """The text of ``box`` as read: a space between lines and around blocks and boxes out
    of the flow (whose neighbours' spaces layout removes at line ends)."""
    if isinstance(box, boxes.TextBox):
        yield box.text
    for child in _children(box):
        if getattr(child, ARTIFACT, None) is not None:
            continue
        apart = not isinstance(child, boxes.InlineLevelBox) or not child.is_in_normal_flow()
        yield " " if apart else ""
        yield from _texts(child)
        yield " " if apart else ""


def _unique_id(pdf: Any, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3`` … when a Note of this PDF already has it
    (a note split across two pages gives two elements)."""
    used: set[str] = pdf.__dict__.setdefault("_cx_note_ids", set())
    candidate, count = wanted, 1
    while candidate in used:
        count += 1
        candidate = f"{wanted}-{count}"
    used.add(candidate)
    return candidate


# ---- Hyphens added at line ends ----------------------------------------------------------

_original_split_text_box = wp_inline.split_text_box
_original_draw_first_line = wp_text.draw_first_line
ADDED_HYPHEN = "_cx_added_hyphen"  # set on text boxes whose last character WeasyPrint added


def _split_text_box(context: Any, box: Any, available_width: Any, skip: Any,
                    *args: Any, **kwargs: Any) -> Any:
    """WeasyPrint's split_text_box, noting when the line it cut ends with a hyphen that
    is not in the text (the box's text no longer starts the rest of the source text)."""
    new_box, resume_index, preserved = _original_split_text_box(
        context, box, available_width, skip, *args, **kwargs)
    if new_box is not None and resume_index is not None and _ACTIVE.get():
        hyphen = box.style["hyphenate_character"]
        shown = new_box.text.encode()
        if (hyphen and new_box.text.endswith(hyphen)
                and not box.text.encode()[skip or 0:].startswith(shown)):
            setattr(new_box, ADDED_HYPHEN, True)
    return new_box, resume_index, preserved


wp_inline.split_text_box = _split_text_box


def _draw_first_line(stream: Any, textbox: Any, *args: Any, **kwargs: Any) -> Any:
    emojis = _original_draw_first_line(stream, textbox, *args, **kwargs)
    hyphen = textbox.style["hyphenate_character"]
    if getattr(textbox, ADDED_HYPHEN, False) and len(hyphen) == 1 and _ACTIVE.get():
        _mark_soft_hyphen(stream, hyphen)
    return emojis


wp_text.draw_first_line = _draw_first_line


def _mark_soft_hyphen(stream: Any, hyphen: str) -> None:
    """Rewrite the last glyph just shown (the added hyphen) as a soft hyphen."""
    items = stream.stream
    index = len(items) - 1
    while index >= 0 and not (isinstance(items[index], bytes)
                              and items[index].endswith(b"] TJ")):
        index -= 1
    font = _current_font(stream)
    if index < 0 or font is None or font.bitmap:
        return
    content = items[index][1:-4]
    match = _LAST_GLYPHS_RE.search(content)
    if match is None or len(match.group(1)) < 4:
        return
    hex_glyphs = match.group(1)
    glyph = int(hex_glyphs[-4:], 16)
    if font.to_unicode.get(glyph) not in (hyphen, "-", "\u2010"):
        return
    soft = _soft_hyphen_glyph(font, glyph)
    if soft is not None and font.to_unicode.get(soft) in (None, SOFT_HYPHEN):
        font.to_unicode[soft] = SOFT_HYPHEN
        font.widths[soft] = font.widths[glyph]
        items[index] = (b"[" + content[:match.start(1)] + hex_glyphs[:-4]
                        + f"{soft:04x}".encode() + content[match.end(1):] + b"] TJ")
        return
    # No glyph of its own: the hyphen shown in a sequence whose replacement text is U+00AD.
    before = content[:match.start(1)] + hex_glyphs[:-4] + b">"
    shown = [b"[" + before + b"] TJ"] if before.strip(b"<>") else []
    items[index:index + 1] = [
        *shown, b"/Span", pydyf.Dictionary({"ActualText": pydyf.String(SOFT_HYPHEN)}),
        b"BDC", b"[<" + hex_glyphs[-4:] + b">] TJ", b"EMC"]


def _current_font(stream: Any) -> Any:
    current = stream._current_font
    if current is None:
        return None
    for font in stream._fonts.values():
        if font.hash == current[0]:
            return font
    return None


def _soft_hyphen_glyph(font: Any, hyphen_glyph: int) -> int | None:
    """The font's glyph for U+00AD when it draws exactly like ``hyphen_glyph`` (same
    advance and outline bounds), else None. Read once per font with fontTools."""
    cache: dict[int, int | None] = font.__dict__.setdefault("_cx_soft_hyphen", {})
    if hyphen_glyph in cache:
        return cache[hyphen_glyph]
    found = None
    try:
        ttfont = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
        name = ttfont.getBestCmap().get(0xAD)
        order = ttfont.getGlyphOrder()
        if name is not None and hyphen_glyph < len(order):
            glyphs = ttfont.getGlyphSet()
            soft, hard = glyphs[name], glyphs[order[hyphen_glyph]]
            bounds = []
            for glyph in (soft, hard):
                pen = BoundsPen(glyphs)
                glyph.draw(pen)
                bounds.append(pen.bounds)
            soft_id = ttfont.getGlyphID(name)
            if soft_id != hyphen_glyph and soft.width == hard.width and bounds[0] == bounds[1]:
                found = soft_id
    except (TTLibError, KeyError, ValueError, struct.error):
        found = None  # an unreadable font program: the hyphen gets ActualText instead
    cache[hyphen_glyph] = found
    return found
