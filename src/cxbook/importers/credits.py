"""The credits a page states besides its metadata: the republishing notice, the author
box's bio and, in documents without markup for it, the byline. Each is taken only from
what the page says; nothing is made up when it is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from lxml import etree

from ..tree import text_of
from .chrome import words

# A republishing notice: how the text came to be published here. English, German,
# French, Spanish, Italian and Dutch wordings.
NOTICE = re.compile(
    r"(re-?published|reprinted|reproduced|re-?posted|cross-?posted|shared|used|published)"
    r" (here |on \S+ )?with (the |their |his |her )?([\w.]+['’]s? )?(kind |express |written )?"
    r"permission|with (the )?(kind |express |written )?permission of|"
    r"(originally|first) (published|appeared|posted|ran)|"
    r"(was|is) (originally |first )(published|posted)|"
    r"appeared (originally|first)|cross-?posted from|"
    r"mit (freundlicher )?genehmigung|erschien (zuerst|ursprünglich|erstmals)|"
    r"(zuerst|ursprünglich|erstmals) (erschienen|veröffentlicht)|zweitveröffentlichung|"
    r"avec (l['’]aimable )?autorisation|(publié|paru) (initialement|à l['’]origine)|"
    r"initialement (publié|paru)|"
    r"con (el )?permiso|publicado (originalmente|por primera vez)|"
    r"originariamente pubblicato|pubblicato (originariamente|per la prima volta)|"
    r"met toestemming|oorspronkelijk (gepubliceerd|verschenen)",
    re.IGNORECASE)
MAX_NOTICE_CHARS = 400

# An author box: a class or id word for the author next to one for a description.
AUTHOR_WORDS = frozenset({"author", "authors", "writer", "contributor", "autor", "autorin",
                          "auteur"})
BOX_WORDS = frozenset({"bio", "box", "info", "description", "about", "card", "profile",
                       "details", "desc", "summary"})
BIO_WORDS = frozenset({"bio", "biography", "aboutauthor", "authorbio", "authorbox"})
MIN_BIO_CHARS = 40
MAX_BOX = 1500
SENTENCE_END = re.compile(r"[.!?…][”’\"»«)]*$")

# "By Jane Doe", "By Jane Doe and John Roe", "Von Katrin Bauer", "Par …", "Por …".
BYLINE = re.compile(
    r"^\s*(?:by|written by|words by|von|text:|par|por|door|di|av)\s+"
    r"(?P<names>[^\d,.;:!?()\[\]]{2,80}?(?:(?:,\s*| and | und | et | y | en | e )"
    r"[^\d,.;:!?()\[\]]{2,80}?)*)\s*$",
    re.IGNORECASE)
NAME_SPLIT = re.compile(r",\s*(?:and\s+|und\s+)?| and | und | et | y | en | e | & ")
NAME = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+[\w'’.-]+){0,4}$")


def find_notice(root: etree._Element,
                skip: Callable[[etree._Element], bool]) -> etree._Element | None:
    """The block that holds the page's republishing notice, or None.

    A notice is a short block (at most 400 characters) whose text says how the article
    came to be published here, set apart from the running text: wholly in italics or small
    print, marked as a notice by its class, or the first or last block of its part of the
    page. A paragraph of the article that merely mentions a first publication is none."""
    best: etree._Element | None = None
    for element in root.iter("p", "div", "small", "aside", "footer", "section", "li",
                             "blockquote"):
        text = text_of(element)
        if not text or len(text) > MAX_NOTICE_CHARS or not NOTICE.search(text):
            continue
        if skip(element):
            continue
        if any(c.tag in ("p", "div", "section") for c in element.iterchildren()
               if NOTICE.search(text_of(c))):
            continue  # a smaller block inside holds it
        if not _set_apart(element, text):
            continue
        if best is None or len(text) < len(text_of(best)):
            best = element
    return best


NOTICE_WORDS = frozenset({"notice", "disclaimer", "credit", "credits", "republished",
                          "republish", "reprint", "source", "origin", "original", "hinweis",
                          "quelle", "permission", "note", "attribution"})


def _set_apart(element: etree._Element, text: str) -> bool:
    if element.tag in ("small", "aside", "footer") or words(element) & NOTICE_WORDS:
        return True
    emphasized = "".join(text_of(e) for e in element.iterchildren()
                         if e.tag in ("em", "i", "small", "strong", "b"))
    if len(emphasized) >= 0.8 * len(text):
        return True
    parent = element.getparent()
    if parent is None:
        return False
    blocks = [c for c in parent.iterchildren() if isinstance(c.tag, str)
              and c.tag in ("p", "div", "section", "blockquote", "ul", "ol", "h2", "h3")
              and text_of(c)]
    return bool(blocks) and (blocks[0] is element or blocks[-1] is element)


def find_author_box(root: etree._Element) -> etree._Element | None:
    """The page's author box (a bio of the author, as blogs and magazines print it)."""
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "a", "img"):
            continue
        found = words(element)
        if (found & AUTHOR_WORDS and found & BOX_WORDS) or found & BIO_WORDS:
            if "comment" in found or "comments" in found or len(text_of(element)) > MAX_BOX:
                continue  # a comment's author, or a container far larger than a bio
            if bio_text(element):
                return element
    return None


def bio_text(box: etree._Element) -> str | None:
    """The bio in an author box: its longest paragraph of running text."""
    candidates = [text_of(p) for p in box.iter("p", "div", "span")
                  if not any(c.tag in ("p", "div") for c in p.iterchildren())]
    candidates = [t for t in candidates if len(t) >= MIN_BIO_CHARS and SENTENCE_END.search(t)]
    return max(candidates, key=len) if candidates else None


def json_ld_bio(root: etree._Element, authors: list[str]) -> str | None:
    """An author's description from the page's schema.org data (``author.description``)."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for item in _walk(data):
            people = item.get("author")
            for person in people if isinstance(people, list) else [people]:
                if not isinstance(person, dict):
                    continue
                name, description = person.get("name"), person.get("description")
                if isinstance(description, str) and description.strip() and (
                        not authors or name in authors):
                    return " ".join(description.split())
    return None


def _walk(data: object) -> list[dict[str, object]]:
    if isinstance(data, dict):
        found = [data]
        for value in data.values():
            found.extend(_walk(value))
        return found
    if isinstance(data, list):
        return [d for item in data for d in _walk(item)]
    return []


def byline_names(text: str) -> list[str] | None:
    """The names in a byline line ("By Jane Doe and John Roe"), or None when the line is
    not a byline."""
    match = BYLINE.match(" ".join(text.split()))
    if match is None:
        return None
    names = [n.strip() for n in NAME_SPLIT.split(match.group("names")) if n.strip()]
    if not names or not all(NAME.match(n) for n in names):
        return None
    return names
