"""Markdown: parsed once with markdown-it-py, rendered once to a safe XHTML fragment.

Every renderer consumes the fragment and the extracted structure (headings, footnotes,
images); nothing downstream parses Markdown again.
"""

from __future__ import annotations

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
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Elements whose whole content goes with them.
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template",
                               "noscript", "svg", "math", "form", "textarea", "select"})


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


class _RawHtmlScanner(HTMLParser):
    """Finds what the sanitizer will remove from a piece of raw HTML, for reporting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[str] = []
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            what = "removed with its content" if tag in DROP_WITH_CONTENT else "removed"
            self.removed.append(f"<{tag}> element {what}")
            return
        allowed = GLOBAL_ATTRIBUTES | TAG_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.removed.append(f"'{name}' attribute on <{tag}>")
            elif name in ("href", "src", "cite") and value is not None:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in URL_SCHEMES:
                    self.removed.append(f"'{scheme}:' URL in {name} on <{tag}>")
        if tag == "img":
            values = dict(attrs)
            self.images.append((values.get("src") or "", values.get("alt")))

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        pass


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src", "cite"):
        scheme = urlsplit(value.strip()).scheme.lower()
        if scheme and scheme not in URL_SCHEMES:
            return None
    return value


def sanitize(fragment: str) -> str:
    """Allow-list sanitizing (nh3), then re-serialized as well-formed XHTML."""
    attributes: dict[str, set[str]] = {"*": set(GLOBAL_ATTRIBUTES)}
    for tag, names in TAG_ATTRIBUTES.items():
        attributes[tag] = set(names)
    cleaned = nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes=attributes,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )
    return to_xhtml(cleaned)


def to_xhtml(fragment: str) -> str:
    """Re-serialize an HTML fragment as XHTML (self-closed void elements, escaped text)."""
    if not fragment.strip():
        return ""
    container = lxml_html.fragment_fromstring(fragment, create_parent="div")
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
    shift = 1 if any(t.type == "heading_open" and t.tag == "h1" for t in tokens) else 0
    used: set[str] = set()
    headings: list[tuple[int, str, str, SourceLocation]] = []
    images: list[ImageRef] = []
    removed: list[tuple[SourceLocation, str]] = []
    has_raw_html = False
    summary = ""
    words = 0
    block_loc = base.at(1 + line_offset)
    for i, token in enumerate(tokens):
        if token.map:
            block_loc = loc(token)
        if token.type == "heading_open":
            level = min(int(token.tag[1]) + shift, 6)
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
            has_raw_html = True
            _scan_raw(token.content, block_loc, removed, images)
        elif token.type == "inline":
            plain = inline_text(token)
            words += len(plain.split())
            if not summary and tokens[i - 1].type == "paragraph_open" and plain.strip():
                summary = _first_sentences(plain)
            for child in token.children or []:
                if child.type == "image":
                    src = str(child.attrGet("src") or "")
                    images.append(ImageRef(unquote(src), child.content, block_loc))
                elif child.type == "html_inline":
                    has_raw_html = True
                    _scan_raw(child.content, block_loc, removed, images)

    # Footnote bodies are rendered apart from the text.
    main: list[Token] = []
    notes: list[tuple[str, int, str]] = []
    renderer = _Renderer(md)
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
    body_html = renderer.render(main, md.options, env)
    if has_raw_html:
        body_html = sanitize(body_html)
        notes = [(a, n, sanitize(h)) for a, n, h in notes]
    return ParsedBody(body_html, notes, headings, images, summary, words, removed)


def _scan_raw(
    fragment: str,
    location: SourceLocation,
    removed: list[tuple[SourceLocation, str]],
    images: list[ImageRef],
) -> None:
    scanner = _RawHtmlScanner()
    scanner.feed(fragment)
    scanner.close()
    for what in scanner.removed:
        removed.append((location, what))
    for src, alt in scanner.images:
        images.append(ImageRef(src, alt, location))


def _first_sentences(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end > 40:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + "…"


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
