"""Markdown: parsed once with markdown-it-py, rendered once to a safe XHTML fragment.

Every renderer consumes the fragment and the extracted structure (headings, footnotes,
images); nothing downstream parses Markdown again.
"""

from __future__ import annotations

import functools
import html
import posixpath
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from lxml import etree
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

from .diagnostics import Diagnostics, SourceLocation

QUOTES = {
    "de": "„“‚‘",
    "fr": "«»‹›",
    "es": "«»“”",
    "it": "«»“”",
    "pt": "«»“”",
    "ru": "«»„“",
    "pl": "„”‚’",
    "nl": "“”‘’",
    "sv": "””’’",
    "ja": "「」『』",
    "zh": "“”‘’",
}

ALLOWED_TAGS = frozenset(
    """a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div
    dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q rp rt
    ruby s samp small span strong sub summary sup table tbody td tfoot th thead time tr u
    ul var wbr aside section""".split()
)
GLOBAL_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "dir", "role", "aria-label"})
TAG_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers", "align"},
    "th": {"colspan", "rowspan", "headers", "scope", "align"},
    "ol": {"start", "reversed", "type"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "col": {"span"},
    "colgroup": {"span"},
}
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input",
                           "link", "meta", "source", "track", "wbr"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
TABLE_ALIGN_RE = re.compile(r"^\s*text-align:\s*(left|right|center)\s*;?\s*$")
# Elements whose whole content goes with them.
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template",
                               "noscript", "svg", "math", "form", "textarea", "select",
                               "applet", "frame", "frameset", "noembed", "noframes"})


@dataclass(frozen=True)
class ImageRef:
    src: str  # as written in the Markdown or HTML
    alt: str | None  # None when the HTML <img> had no alt attribute
    location: SourceLocation


@dataclass
class ParsedBody:
    html: str
    footnotes: list[tuple[str, int, str]]  # (anchor, number, html)
    headings: list[tuple[int, str, str, SourceLocation]]  # (level, text, anchor, location)
    images: list[ImageRef]
    summary: str
    word_count: int
    removed: list[tuple[SourceLocation, str]] = field(default_factory=list)


def slugify(text: str) -> str:
    """ASCII-ish slug for ids: lower case, letters/digits/hyphens; non-Latin letters kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE)
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    return text or "section"


def _make_parser(language: str) -> MarkdownIt:
    quotes = QUOTES.get(language.split("-")[0].lower(), "“”‘’")
    md = MarkdownIt(
        "commonmark",
        {"typographer": True, "html": True, "xhtmlOut": True, "quotes": quotes},
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    return md


_PARSERS: dict[str, MarkdownIt] = {}


def parser_for(language: str) -> MarkdownIt:
    md = _PARSERS.get(language)
    if md is None:
        md = _PARSERS[language] = _make_parser(language)
    return md


def inline_text(token: Token) -> str:
    """Plain text of an inline token."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def _url_scheme(value: str) -> str:
    try:
        return urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return "invalid"


def _allowed_style(tag: str, value: str) -> bool:
    """Table cell alignment, as Markdown tables write it, is the one inline style kept."""
    return tag in ("td", "th") and TABLE_ALIGN_RE.match(value) is not None


ELEMENT_ADVICE = {
    "script": "chapters cannot run scripts, so delete it",
    "noscript": "chapters cannot run scripts, so delete it",
    "template": "delete it",
    "style": "put styling in the theme's custom.css instead",
    "iframe": "embedded pages are not allowed; link to the page instead: [title](https://…)",
    "frame": "embedded pages are not allowed; link to the page instead: [title](https://…)",
    "frameset": "embedded pages are not allowed; link to the page instead: [title](https://…)",
    "object": "embedded content is not allowed; link to it instead: [title](https://…)",
    "embed": "embedded content is not allowed; link to it instead: [title](https://…)",
    "applet": "embedded content is not allowed; link to it instead: [title](https://…)",
    "svg": "inline SVG is not supported; save it as a file in manuscript/images/ and use "
           "![description](images/…)",
    "math": "inline MathML is not supported; save the formula as an image in "
            "manuscript/images/",
    "form": "forms do not work in the outputs; delete it",
    "textarea": "forms do not work in the outputs; delete it",
    "select": "forms do not work in the outputs; delete it",
}


class _RawHtmlScanner(HTMLParser):
    """Finds what the sanitizer will remove from a piece of raw HTML, for reporting:
    (line in the fragment, 1-based; column offset, 0-based; message)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[tuple[int, int, str]] = []
        self.images: list[tuple[int, int, str, str | None]] = []

    def _report(self, message: str) -> None:
        line, offset = self.getpos()
        self.removed.append((line, offset, message))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            if tag in DROP_WITH_CONTENT:
                self._report(f"<{tag}> element and its content were removed from every "
                             f"output; {ELEMENT_ADVICE.get(tag, 'delete it')}")
            else:
                self._report(f"<{tag}> tag was removed from every output (its text was "
                             "kept); it is not among the HTML elements cxbook allows, so "
                             "write the passage in Markdown instead")
            return
        allowed = GLOBAL_ATTRIBUTES | TAG_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name == "style" and _allowed_style(tag, value or ""):
                continue
            if name.startswith("on"):
                self._report(f"'{name}' event handler on <{tag}> was removed from every "
                             "output; chapters cannot run scripts, so delete the attribute")
            elif name == "style":
                self._report(f"'style' attribute on <{tag}> was removed from every output; "
                             "put styling in the theme's custom.css instead")
            elif name not in allowed:
                self._report(f"'{name}' attribute on <{tag}> was removed from every output; "
                             "it is not among the HTML attributes cxbook allows, so delete it")
            elif name in URL_ATTRIBUTES and value is not None:
                scheme = _url_scheme(value)
                if scheme and scheme not in URL_SCHEMES:
                    self._report(f"'{scheme}:' address in the {name} of <{tag}> was removed "
                                 "from every output; only http:, https: and mailto: "
                                 "addresses and relative paths are allowed")
        if tag == "img":
            values = dict(attrs)
            line, offset = self.getpos()
            self.images.append((line, offset, values.get("src") or "", values.get("alt")))

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        pass


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in URL_ATTRIBUTES:
        scheme = _url_scheme(value)
        if scheme and scheme not in URL_SCHEMES:
            return None
    if attribute == "style" and not _allowed_style(tag, value):
        return None
    return value


def _make_cleaner() -> nh3.Cleaner:
    attributes: dict[str, set[str]] = {"*": set(GLOBAL_ATTRIBUTES)}
    for tag, names in TAG_ATTRIBUTES.items():
        attributes[tag] = set(names)
    for tag in ("td", "th"):
        attributes[tag] = attributes[tag] | {"style"}
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes=attributes,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )


_CLEANER: list[nh3.Cleaner] = []  # built once: building it costs ten times a cleaning


def sanitize(fragment: str) -> str:
    """Allow-list sanitizing (nh3), then re-serialized as well-formed XHTML."""
    if not _CLEANER:
        _CLEANER.append(_make_cleaner())
    return to_xhtml(_CLEANER[0].clean(XML_INVALID_RE.sub("", fragment)))


def to_xhtml(fragment: str) -> str:
    """Re-serialize an HTML fragment as XHTML (self-closed void elements, escaped text)."""
    fragment = XML_INVALID_RE.sub("", fragment)
    if not fragment.strip():
        return ""
    container = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in container.iter():
        # Never <h2/>: an HTML parser reads that as an opening tag.
        if element.text is None and len(element) == 0 and element.tag not in VOID_ELEMENTS:
            element.text = ""
    out = [html.escape(container.text or "", quote=False)]
    for child in container:
        out.append(etree.tostring(child, method="xml", encoding="unicode", with_tail=True))
    return "".join(out)


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer with book-friendly footnote references."""

    def footnote_ref(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        meta = tokens[idx].meta
        number = int(meta["id"]) + 1
        prefix = env["cx_prefix"]
        ref_suffix = f"-{meta['subId']}" if meta.get("subId") else ""
        return (
            f'<sup><a class="noteref" role="doc-noteref" href="#{prefix}-fn-{number}" '
            f'id="{prefix}-fn-{number}-ref{ref_suffix}">{number}</a></sup>'
        )


_RENDERERS: dict[str, _Renderer] = {}


def _renderer_for(language: str, md: MarkdownIt) -> _Renderer:
    renderer = _RENDERERS.get(language)
    if renderer is None:
        renderer = _RENDERERS[language] = _Renderer(md)
    return renderer


def render_markdown(
    text: str,
    *,
    path: str,
    line_offset: int,
    prefix: str,
    language: str,
    diags: Diagnostics,
) -> ParsedBody:
    """Parse and render a chapter body. ``line_offset`` is the file line of the body's
    first line minus one; ``prefix`` (the chapter slug) makes every id book-unique."""
    md = parser_for(language)
    env: dict[str, Any] = {"cx_prefix": prefix}
    tokens = md.parse(text, env)
    base = SourceLocation(path)

    def loc(token: Token) -> SourceLocation:
        line = token.map[0] + 1 if token.map else 1
        return base.at(line + line_offset)

    # Headings: ids, and demotion so that the chapter title stays the only h1.
    # The body's highest heading becomes h2 (a body that starts at ### is lifted, one that
    # uses # is lowered), so headings never skip a level below the chapter's h1.
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = 2 - min(levels) if levels else 0
    used: set[str] = set()
    headings: list[tuple[int, str, str, SourceLocation]] = []
    images: list[ImageRef] = []
    removed: list[tuple[SourceLocation, str]] = []
    finder = _SourceFinder(text, base, line_offset)
    summary = ""
    words = 0
    for i, token in enumerate(tokens):
        if token.map:
            finder.enter(token.map[0], token.map[1])
        if token.type == "heading_open":
            level = max(2, min(int(token.tag[1]) + shift, 6))
            token.tag = f"h{level}"
            tokens[i + 2].tag = token.tag
            title = inline_text(tokens[i + 1]).strip()
            anchor = base_anchor = f"{prefix}--{slugify(title)}"
            n = 2
            while anchor in used:
                anchor = f"{base_anchor}-{n}"
                n += 1
            used.add(anchor)
            token.attrSet("id", anchor)
            headings.append((level, title, anchor, loc(token)))
        elif token.type == "html_block":
            _scan_raw(token.content, finder, removed, images)
        elif token.type == "inline":
            plain = inline_text(token)
            words += len(plain.split())
            if not summary and tokens[i - 1].type == "paragraph_open" and plain.strip():
                summary = _first_sentences(plain)
            for child in token.children or []:
                if child.type == "image":
                    src = str(child.attrGet("src") or "")
                    images.append(ImageRef(unquote(src), child.content, finder.find("![")))
                elif child.type == "html_inline":
                    _scan_raw(child.content, finder, removed, images)

    # Footnote bodies are rendered apart from the text.
    main: list[Token] = []
    notes: list[tuple[str, int, str]] = []
    renderer = _renderer_for(language, md)
    note_tokens: list[Token] | None = None
    note_number = 0
    for token in tokens:
        if token.type == "footnote_block_open" or token.type == "footnote_block_close":
            continue
        if token.type == "footnote_open":
            note_tokens = []
            note_number = int(token.meta["id"]) + 1
            continue
        if token.type == "footnote_close":
            body = renderer.render(note_tokens or [], md.options, env)
            notes.append((f"{prefix}-fn-{note_number}", note_number, body))
            note_tokens = None
            continue
        if note_tokens is not None:
            if token.type != "footnote_anchor":
                note_tokens.append(token)
            continue
        main.append(token)
    # Sanitized even without raw HTML: Markdown links may carry data: addresses, and the
    # allow-list is the one guarantee every output relies on.
    body_html = sanitize(renderer.render(main, md.options, env))
    notes = [(a, n, sanitize(h)) for a, n, h in notes]
    return ParsedBody(body_html, notes, headings, images, summary, words, removed)


class _SourceFinder:
    """Locates pieces of raw HTML and images in the chapter's source lines, in order,
    within the current block (markdown-it only tells blocks' lines)."""

    def __init__(self, text: str, base: SourceLocation, line_offset: int) -> None:
        self.lines = text.split("\n")
        self.base = base
        self.line_offset = line_offset
        self.start = self.end = self.line = self.column = 0

    def enter(self, start: int, end: int) -> None:
        end = max(end, start + 1)
        if (start, end) != (self.start, self.end):  # table cells share their row's lines
            self.start, self.end = start, end
            self.line, self.column = start, 0

    def here(self) -> SourceLocation:
        return self.base.at(self.line + 1 + self.line_offset, self.column + 1)

    def find(self, needle: str) -> SourceLocation:
        """The next occurrence of ``needle``'s first line in the block; the cursor moves
        past it. The block's start when it cannot be found."""
        first = needle.split("\n", 1)[0]
        if first:
            for index in range(self.line, min(self.end, len(self.lines))):
                column = self.lines[index].find(first, self.column if index == self.line
                                                else 0)
                if column >= 0:
                    self.line, self.column = index, column
                    found = self.here()
                    self.column += len(first)
                    return found
        return self.base.at(self.start + 1 + self.line_offset)

    def within(self, origin: SourceLocation, line: int, offset: int) -> SourceLocation:
        """The location of (line, offset) inside a fragment that starts at ``origin``."""
        if line <= 1:
            return origin.at(origin.line, origin.column + offset)
        return origin.at(origin.line + line - 1, offset + 1)


def _scan_raw(
    fragment: str,
    finder: _SourceFinder,
    removed: list[tuple[SourceLocation, str]],
    images: list[ImageRef],
) -> None:
    origin = finder.find(fragment)
    scanner = _RawHtmlScanner()
    scanner.feed(fragment)
    scanner.close()
    for line, offset, what in scanner.removed:
        removed.append((finder.within(origin, line, offset), what))
    for line, offset, src, alt in scanner.images:
        images.append(ImageRef(src, alt, finder.within(origin, line, offset)))


def _first_sentences(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end > 40:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + "…"


@functools.lru_cache(maxsize=4096)
def render_inline_block(text: str, language: str = "en") -> str:
    """Render short trusted course text (instructions, debrief notes) as an XHTML fragment.
    Raw HTML is escaped, not interpreted."""
    md = _course_parser(language)
    return str(md.render(text))


_COURSE_PARSERS: dict[str, MarkdownIt] = {}


def _course_parser(language: str) -> MarkdownIt:
    md = _COURSE_PARSERS.get(language)
    if md is None:
        quotes = QUOTES.get(language.split("-")[0].lower(), "“”‘’")
        md = MarkdownIt(
            "commonmark",
            {"typographer": True, "html": False, "xhtmlOut": True, "quotes": quotes},
        )
        md.enable(["replacements", "smartquotes", "strikethrough"])
        _COURSE_PARSERS[language] = md
    return md


def resolve_asset_path(src: str) -> str | None:
    """The manuscript-relative POSIX path for a local reference, or None when the
    reference is remote, absolute or leaves manuscript/."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("/") or src.startswith("\\"):
        return None
    if re.match(r"^[A-Za-z]:[\\/]", src):
        return None
    path = posixpath.normpath(unquote(parts.path).replace("\\", "/"))
    if path.startswith("../") or path == ".." or path.startswith("/"):
        return None
    return path
