"""An article's body (an HTML tree) written as cxbook Markdown.

markdownify does the HTML-to-Markdown work (headings, lists, quotes, tables, links,
emphasis, code). What it does not know is added here: footnotes (the call tokens and
definitions prepared by :mod:`.notes`), images copied into the project under portable
names, links that a chapter cannot hold, and an escaping rule made for cxbook's Markdown
(CommonMark with tables, strikethrough and footnotes): markdownify's own ``escape_misc``
puts a backslash before every ``+ = & > ~`` in the prose, which the editor then has to
read around; here only what would change the meaning is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html
from markdownify import MarkdownConverter

from .notes import NOTE_TOKEN_RE, Notes

# Escaped wherever they are: they open emphasis, code, links, footnotes, raw HTML or
# table cells, or escape what follows.
_ALWAYS = re.compile(r"([\\`*\[\]|])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_TILDES = re.compile(r"~(?=~)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# At the start of a text (the start of a block, or after a line break): what opens a
# heading, quote, list item, thematic break, setext underline or code fence.
# (A thematic break may hold spaces: "--- ---", "-- -".)
_LINE_START = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|=+\s*$|-{2,}\s*$|(?:-[ \t]*){3,}$|~~~)")
_ORDERED = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")


def escape_markdown(text: str) -> str:
    """Plain text made safe to place in a Markdown block: it reads back as the same text.
    Only what would otherwise be read as Markdown syntax gets a backslash."""
    if not text:
        return ""
    text = _ALWAYS.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _TAG.sub(r"\\<", text)
    text = _TILDES.sub(r"\\~", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _ORDERED.sub(r"\1\\\2", text)


@dataclass
class ImageCopy:
    """An image the chapter references: written to manuscript/<path>."""

    path: str  # manuscript-relative, e.g. images/01-title-chart.png
    data: bytes
    source: str  # the address the page gave


@dataclass
class Conversion:
    """What converting one body gave: the Markdown, the images to copy, warnings."""

    markdown: str
    images: list[ImageCopy] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (message, code)


# Resolves an image address to (bytes, media type), or to a reason it cannot be used.
ImageResolver = Callable[[str], "tuple[bytes, str] | str"]
# Picks the manuscript-relative path an image is written to: (address, media type) -> path.
ImageNamer = Callable[[str, str], str]


class _Converter(MarkdownConverter):
    """markdownify with cxbook's escaping, images and links."""

    def __init__(self, owner: _Body, **options: Any) -> None:
        super().__init__(**options)
        self.owner = owner

    def escape(self, text: str, parent_tags: Any) -> str:
        return escape_markdown(text)

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        src = (el.attrs.get("src") or "").strip()
        alt = " ".join((el.attrs.get("alt") or "").split())
        path = self.owner.image(src, alt)
        if path is None:
            return ""
        return f"![{escape_markdown(alt)}]({path})"

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        href = self.owner.link(el.get("href") or "")
        inner = text.strip()
        if href is None or "_noformat" in parent_tags or not inner:
            return text
        lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        return f"{lead}[{inner}](<{href}>){trail}" if " " in href else \
            f"{lead}[{inner}]({href}){trail}"

    def convert_figure(self, el: Any, text: str, parent_tags: Any) -> str:
        return "\n\n" + text.strip() + "\n\n"

    def convert_figcaption(self, el: Any, text: str, parent_tags: Any) -> str:
        caption = text.strip()
        return f"\n\n*{caption}*\n\n" if caption else ""

    def convert_caption(self, el: Any, text: str, parent_tags: Any) -> str:
        caption = text.strip()
        return f"*{caption}*\n\n" if caption else ""


@dataclass
class _Body:
    resolve: ImageResolver
    name: ImageNamer
    base_url: str | None
    images: list[ImageCopy] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    by_source: dict[str, str | None] = field(default_factory=dict)

    def image(self, src: str, alt: str) -> str | None:
        if src in self.by_source:
            return self.by_source[src]
        shown = src if len(src) < 120 else src[:100] + "…"
        found = self.resolve(src) if src else "it has no address"
        path: str | None = None
        if isinstance(found, str):
            self.warnings.append((f"image '{shown}' left out: {found}", "import.image-missing"))
        else:
            data, media_type = found
            path = self.name(src, media_type)
            self.images.append(ImageCopy(path, data, src))
            if not alt:
                self.warnings.append((
                    f"image '{shown}' has no alt text on the page; it was copied to "
                    f"manuscript/{path} with an empty description, which 'cxbook check' "
                    "reports until you describe the image", "import.image-no-alt"))
        self.by_source[src] = path
        return path

    def link(self, href: str) -> str | None:
        """The address a link keeps, or None to keep only its text: chapters may link
        only to full http(s) and mailto addresses (a relative address would name a
        chapter file)."""
        href = href.strip()
        if not href or href.startswith("#"):
            return None
        if self.base_url and not urlsplit(href).scheme:
            href = urljoin(self.base_url, href)
        scheme = urlsplit(href).scheme.lower()
        if scheme in ("http", "https") and urlsplit(href).netloc:
            return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        if scheme == "mailto":
            return href.replace(" ", "%20")
        return None


_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def to_markdown(
    body: etree._Element,
    notes: Notes,
    *,
    resolve: ImageResolver,
    name: ImageNamer,
    base_url: str | None,
) -> Conversion:
    """Markdown for ``body`` (an element whose children are the article's blocks) and the
    footnote definitions its calls use, numbered in the order of the calls."""
    state = _Body(resolve, name, base_url)
    converter = _Converter(state, heading_style="atx", bullets="-", strong_em_symbol="*",
                           newline_style="backslash", escape_asterisks=False,
                           escape_underscores=False, escape_misc=False,
                           keep_inline_images_in=["p", "a", "td", "th", "li", "figure"])
    text = _convert(converter, body)
    labels: dict[str, int] = {}

    def call(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in notes.definitions:
            return ""
        number = labels.setdefault(key, len(labels) + 1)
        return f"[^{number}]"

    text = NOTE_TOKEN_RE.sub(call, text)
    definitions = []
    for key, number in labels.items():
        note = _convert(converter, notes.definitions[key])
        note = NOTE_TOKEN_RE.sub("", note).strip()
        lines = note.split("\n")
        indented = "\n".join(("    " + line) if line else "" for line in lines[1:])
        definitions.append(f"[^{number}]: {lines[0]}" + ("\n" + indented if indented else ""))
    if definitions:
        text = text.rstrip() + "\n\n" + "\n\n".join(definitions)
    return Conversion(text.strip() + "\n", state.images, state.warnings)


def _convert(converter: _Converter, element: etree._Element) -> str:
    markup = lxml_html.tostring(element, encoding="unicode", method="html")
    text = str(converter.convert(markup))
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
