"""Footnotes in a page: calls replaced by tokens, definitions taken out of the tree.

Article extractors judge a page's list of notes to be boilerplate (it sits after the text,
full of short lines and back links) and keep the calls as bare superscript numbers. So the
notes are taken out before extraction: each call becomes a token of word characters
(which neither the extractor nor Markdown escaping changes) and each definition is kept
aside; the converter turns the tokens that survive into ``[^n]`` and writes only their
definitions.

A call is a link to an element of the same page whose text is a note label (``1``,
``[2]``, ``a``, ``*``, ``†``) and that is marked as a note reference: inside ``<sup>``, with
``role="doc-noteref"``, or with "footnote"/"fn"/"note" in its class, id or target. This
covers WordPress and Jetpack footnotes, Pandoc, Markdown processors, Word exports
(mammoth) and hand-written ``<sup><a href="#n1">`` alike.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import etree

from ..tree import is_inside, replace_with_text, text_of

NOTE_TOKEN_RE = re.compile(r"CXBOOKNOTE(\d+)X")
_LABEL = re.compile(r"^[\[(]?(\d{1,3}|[a-z]|[ivx]{1,4}|[*†‡§¶]{1,3})[.\])]?$")
_NOTE_WORDS = re.compile(r"(^|[-_\s])(fn|footnote|footnotes|endnote|note|noteref|fnref)"
                         r"(s)?($|[-_\s\d])|footnote|endnote", re.IGNORECASE)
_BACK_LINK = re.compile(r"^[\s↩↑⤴︎^⏎↵]*(back|return|zurück|retour)?[\s↩↑⤴︎^⏎↵]*$",
                        re.IGNORECASE)
_NOTES_HEADING = re.compile(r"^\s*(notes?|footnotes?|endnotes?|references|anmerkungen|"
                            r"fußnoten|fussnoten|einzelnachweise|notas|références)\s*:?\s*$",
                            re.IGNORECASE)
_BLOCKS = frozenset({"li", "p", "div", "dd", "aside", "section", "td", "footer"})
_CONTAINERS = frozenset({"ol", "ul", "div", "section", "aside", "footer", "dl"})
MAX_NOTE_CHARS = 4000


@dataclass
class Notes:
    """Definitions by token key, in the order of their first call in the page."""

    definitions: dict[str, etree._Element] = field(default_factory=dict)


def token(key: str) -> str:
    return f"CXBOOKNOTE{key}X"


def _marked_as_note(link: etree._Element, target_id: str) -> bool:
    parent = link.getparent()
    if link.tag == "sup" or (parent is not None and parent.tag == "sup"):
        return True
    if "doc-noteref" in (link.get("role") or ""):
        return True
    words = " ".join([link.get("class") or "", link.get("id") or "", target_id,
                      link.get("rel") or ""])
    return _NOTE_WORDS.search(words) is not None


def _definition_block(target: etree._Element) -> etree._Element | None:
    element: etree._Element | None = target
    while element is not None and (element.tag not in _BLOCKS or not text_of(element)):
        element = element.getparent()
    return element


def extract_notes(root: etree._Element) -> Notes:
    """Replace every footnote call in ``root`` by a token and remove the definitions from
    the tree (together with a notes list or heading left empty)."""
    by_id: dict[str, etree._Element] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("id", "name") if element.tag == "a" else ("id",):
            value = element.get(attribute)
            if value and value not in by_id:
                by_id[value] = element
    found: list[tuple[etree._Element, etree._Element, etree._Element]] = []
    for link in root.iter("a"):
        href = (link.get("href") or "").strip()
        if not href.startswith("#") or len(href) < 2:
            continue
        target_id = unquote(href[1:])
        target = by_id.get(target_id)
        if target is None or not _LABEL.match(text_of(link)):
            continue
        if not _marked_as_note(link, target_id):
            continue
        block = _definition_block(target)
        if block is None or block is link or is_inside(link, block):
            continue
        if len(text_of(block)) > MAX_NOTE_CHARS or block.find(".//h2") is not None:
            continue
        found.append((link, target, block))
    links = [link for link, _, _ in found]
    # A link from a note back to its call targets a call (or the <sup> around one).
    calls = [(link, block) for link, target, block in found
             if not any(other is target or is_inside(other, target)
                        for other in links if other is not link)]
    notes = Notes()
    keys: dict[int, str] = {}
    for link, block in calls:
        key = keys.setdefault(id(block), str(len(keys) + 1))
        if key not in notes.definitions:
            notes.definitions[key] = _clean_definition(block, text_of(link))
        _replace_call(link, token(key))
    for block in {id(b): b for _, b in calls}.values():
        _remove_with_empty_container(block)
    if calls:
        _remove_empty_notes_headings(root)
    return notes


def _remove_empty_notes_headings(root: etree._Element) -> None:
    """A "Notes" heading left with nothing under it (its notes were taken out)."""
    for heading in list(root.iter("h2", "h3", "h4", "h5", "h6", "p")):
        if not _NOTES_HEADING.match(text_of(heading)):
            continue
        following = heading.getnext()
        empty = True
        while following is not None:
            if isinstance(following.tag, str) and re.fullmatch(r"h[1-6]", following.tag):
                break
            if isinstance(following.tag, str) and text_of(following):
                empty = False
                break
            following = following.getnext()
        if empty:
            replace_with_text(heading, "")


def _replace_call(link: etree._Element, text: str) -> None:
    parent = link.getparent()
    replaced = link
    if parent is not None and parent.tag == "sup" and text_of(parent) == text_of(link):
        replaced = parent
    replace_with_text(replaced, text)


def _clean_definition(block: etree._Element, label: str) -> etree._Element:
    """A copy of a note's definition without its back links and leading label (the
    call's label, as an element or as text: "1.", "[1]", "*")."""
    note = copy.deepcopy(block)
    note.tail = None
    for link in list(note.iter("a")):
        href = (link.get("href") or "").strip()
        if href.startswith("#") and (_BACK_LINK.match(text_of(link)) or _LABEL.match(
                text_of(link))):
            replace_with_text(link, "")
    first = next((e for e in note.iter() if e is not note and isinstance(e.tag, str)
                  and e.tag in ("sup", "span", "a", "b", "strong")), None)
    if first is not None and _LABEL.match(text_of(first)) and not (note.text or "").strip():
        replace_with_text(first, "")
    bare = label.strip("[]().")
    holder = note
    while not (holder.text or "").strip() and len(holder) and isinstance(holder[0].tag, str):
        holder = holder[0]
    leading = re.match(r"^\s*[\[(]?" + re.escape(bare) + r"[.\])]?\s+", holder.text or "")
    if bare and leading is not None:
        holder.text = (holder.text or "")[leading.end():]
    if note.tag in ("li", "dd", "td", "footer", "aside", "section"):
        note.tag = "div"
    return note


def _remove_with_empty_container(block: etree._Element) -> None:
    parent = block.getparent()
    if parent is None:
        return
    replace_with_text(block, "")
    while parent is not None and parent.tag in _CONTAINERS:
        leftovers = [e for e in parent if isinstance(e.tag, str)
                     and e.tag not in ("hr", "br") and not (
                         e.tag in ("h2", "h3", "h4", "h5", "h6", "p", "strong")
                         and _NOTES_HEADING.match(text_of(e)))]
        if leftovers or (parent.text or "").strip():
            break
        grand = parent.getparent()
        if grand is None:
            break
        separator = parent.getprevious()
        replace_with_text(parent, "")
        if separator is not None and separator.tag == "hr" and not (
                separator.tail or "").strip():
            replace_with_text(separator, "")  # the rule that set the notes apart
        parent = grand
