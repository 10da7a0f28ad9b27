"""Small operations on lxml trees, shared by the chapter transforms and the importers."""

from __future__ import annotations

from lxml import etree


def text_of(element: etree._Element) -> str:
    """The element's text with runs of white space made single spaces."""
    return " ".join("".join(element.itertext()).split())


def is_inside(element: etree._Element, ancestor: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


def replace_with_text(element: etree._Element, text: str) -> None:
    """Put ``text`` where ``element`` was; the text after the element stays."""
    parent = element.getparent()
    if parent is None:
        return
    text = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(element)


def drop(element: etree._Element) -> None:
    """Remove ``element`` and what it holds; the text after it stays."""
    replace_with_text(element, "")
