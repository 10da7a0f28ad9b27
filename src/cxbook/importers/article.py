"""An imported article before it is written: its credits and its body as an HTML tree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ..tree import drop, text_of
from .chrome import is_promotion
from .convert import ImageResolver
from .notes import Notes


@dataclass
class Article:
    """What a source states about itself; None (or empty) where it states nothing."""

    title: str | None
    authors: list[str]
    author_bio: str | None = None
    publication: str | None = None
    url: str | None = None
    date: str | None = None  # ISO 8601, YYYY-MM-DD
    notice: str | None = None
    license: str | None = None
    language: str | None = None  # BCP 47, as the page declares it
    description: str | None = None  # the page's summary (its standfirst or subtitle)
    body: etree._Element | None = None  # a <div> of the article's blocks
    notes: Notes = field(default_factory=Notes)
    markdown: str | None = None  # a Markdown source's body, used as written
    resolve: ImageResolver | None = None  # reads the images the body references
    base_url: str | None = None  # relative links are made absolute against it
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (message, code)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def clean_text(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def tidy_body(body: etree._Element, title: str | None, description: str | None = None) -> None:
    """Final touches shared by every source: promotions ("Related: …", "Share this")
    and empty blocks removed, a first heading that repeats the title removed, a first
    heading that repeats the page's description (a subtitle set as a heading) made a
    paragraph in italics, and heading levels moved so that the highest is ``##`` (the
    chapter's title is the only level 1)."""
    for element in list(body):
        if isinstance(element.tag, str) and element.tag in (
                "p", "div", "ul", "h2", "h3", "h4", "h5", "h6") and is_promotion(element):
            drop(element)
    for cell in body.iter("th"):
        only = [c for c in cell.iter() if c is not cell and c.tag in ("strong", "b")]
        if len(only) == 1 and text_of(only[0]) == text_of(cell):
            only[0].tag = "span"
    for element in list(body.iter()):
        if (isinstance(element.tag, str) and element.tag in ("p", "div", "li", "ul", "ol",
                                                              "blockquote", *HEADINGS)
                and not text_of(element) and element.find(".//img") is None
                and element.getparent() is not None):
            drop(element)
    first = next((e for e in body.iter() if isinstance(e.tag, str) and e is not body
                  and (e.tag in HEADINGS or text_of(e))), None)
    if first is not None and first.tag in HEADINGS and title and _same(text_of(first), title):
        drop(first)
        first = next((e for e in body.iter() if isinstance(e.tag, str) and e is not body
                      and (e.tag in HEADINGS or text_of(e))), None)
    if (first is not None and first.tag in HEADINGS and description
            and _same(text_of(first), description)):
        first.tag = "em"
        first.attrib.clear()
        paragraph = etree.Element("p")
        first.addprevious(paragraph)
        paragraph.append(first)
        paragraph.tail, first.tail = first.tail, None
    while len(body) and body[-1].tag == "hr" and not (body[-1].tail or "").strip():
        drop(body[-1])
    levels = [int(h.tag[1]) for h in body.iter(*HEADINGS)]
    if levels and min(levels) < 2:
        shift = 2 - min(levels)
        for heading in body.iter(*HEADINGS):
            heading.tag = f"h{min(6, int(heading.tag[1]) + shift)}"


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\W+", " ", s).strip().casefold()

    return norm(a) == norm(b)
