"""Where printed URLs and code may break, for the PDF editions.

A URL or a piece of code broken by hyphenation gains a hyphen that a reader will type.
CSS would say ``word-break: break-url`` (not in WeasyPrint 70) or rely on the browser's own
URL breaking; instead the print HTML gets a ``<wbr>`` (a break opportunity that prints
nothing; here U+200B, which is what WeasyPrint makes of ``<wbr>``) after each
``/ . - _ ? & =`` of every URL and of all code, and the print stylesheet
turns hyphenation and case transforms off for them (``.cx-url`` and ``code``, ``kbd``,
``samp``, ``pre``). URLs in running text are wrapped in ``<span class="cx-url">`` for that.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

BREAK_AFTER = frozenset("/.-_?&=")
CODE_TAGS = frozenset({"code", "kbd", "samp", "pre"})
SKIP_TAGS = frozenset({"script", "style"})
URL_CLASS = "cx-url"
ZWSP = "\u200b"
# A URL with a scheme or www., or a bare domain followed by a path; a trailing full stop,
# comma, colon, semicolon, quote or bracket belongs to the sentence.
URL_RE = re.compile(
    r"(?:(?:https?|ftp)://|mailto:|www\.)[^\s<>\"]*[^\s<>\".,;:!?'’)\]]"
    r"|\b[\w-]+(?:\.[\w-]+)+/[^\s<>\"]*[^\s<>\".,;:!?'’)\]]")


def add_break_opportunities(html: str) -> str:
    """``html`` (an HTML fragment) with a break opportunity after each ``/ . - _ ? & =``
    in URLs and code, and each URL outside code wrapped in ``span.cx-url``."""
    if not URL_RE.search(html) and not any(f"<{tag}" in html for tag in CODE_TAGS):
        return html
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in SKIP_TAGS:
            continue
        if element.text:
            element.text = _mark(element, element.text, _in_code(element), 0)
        parent = element.getparent()
        if element.tail and parent is not None:
            element.tail = _mark(parent, element.tail, _in_code(parent),
                                 parent.index(element) + 1)
    out = [str(Markup.escape(root.text or ""))]
    out.extend(etree.tostring(child, method="html", encoding="unicode", with_tail=True)
               for child in root)
    return "".join(out)


def _in_code(element: etree._Element) -> bool:
    return element.tag in CODE_TAGS or any(e.tag in CODE_TAGS for e in element.iterancestors())


def _mark(holder: etree._Element, text: str, in_code: bool, position: int) -> str:
    """``text`` (found at child ``position`` of ``holder``) with break opportunities; URLs
    outside code move into ``span.cx-url`` elements inserted into ``holder``. Returns what
    stays as plain text before the first of them."""
    if in_code:
        return with_breaks(text)
    matches = list(URL_RE.finditer(text))
    if not matches:
        return text
    spans = []
    for index, match in enumerate(matches):
        span = etree.Element("span", {"class": URL_CLASS})
        span.text = with_breaks(match.group())
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        span.tail = text[match.end():end] or None
        spans.append(span)
    for offset, span in enumerate(spans):
        holder.insert(position + offset, span)
    return text[:matches[0].start()]


def with_breaks(text: str) -> str:
    """``text`` with U+200B ZERO WIDTH SPACE (a break opportunity that prints nothing,
    what HTML's ``<wbr>`` is) after each break character, the last of a run (``//`` stays
    whole) and never before a space or at the end."""
    out = []
    for index, char in enumerate(text):
        out.append(char)
        following = text[index + 1:index + 2]
        if char in BREAK_AFTER and following and following != char and not following.isspace():
            out.append(ZWSP)
    return "".join(out)
