"""Markdown: parsed once with markdown-it-py, rendered once to a safe XHTML fragment.

Every renderer consumes the fragment and the extracted structure (headings, footnotes,
images); nothing downstream parses Markdown again.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core.state_core import StateCore
from markdown_it.rules_inline import emphasis
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

from .diagnostics import Diagnostics, SourceLocation, did_you_mean
from .model import Link
from .transforms.normalize import (
    BCP47_RE,
    GENERATED,
    LOCATION_ATTRIBUTE,
    Names,
    normalize_chapter,
    parse_fragment,
    serialize,
)

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
    footnotes: list[tuple[str, str, int, str]]  # (anchor, first reference's id, number, html)
    headings: list[tuple[int, str, str, SourceLocation]]  # (level, text, anchor, location)
    images: list[ImageRef]
    summary: str
    summary_html: str
    word_count: int
    removed: list[tuple[SourceLocation, str]] = field(default_factory=list)
    targets: list[tuple[str, str, str]] = field(default_factory=list)  # (name, anchor, kind)
    links: list[Link] = field(default_factory=list)


# Inline elements a block must close: each left open at the end of its Markdown block is
# closed there. Links, insertions and deletions opened by a block of raw HTML may wrap the
# blocks that follow (HTML allows it), so those are closed at the chapter's end instead.
INLINE_ELEMENTS = frozenset("""a abbr b bdi bdo cite code del dfn em i ins kbd mark q rp
                               rt ruby s samp small span strong sub sup time u var""".split())
WRAPPING_ELEMENTS = frozenset({"a", "ins", "del"})


EM_DASH_RE = re.compile(r"(^|[^-])---(?=[^-]|$)", flags=re.MULTILINE)
EN_DASH_RE = re.compile(r"(^|\s)--(?=\s|$)", flags=re.MULTILINE)
EN_DASH_WORD_RE = re.compile(r"(^|[^-\s])--(?=[^-\s]|$)", flags=re.MULTILINE)
ELLIPSIS_RE = re.compile(r"(?<!\.)\.\.\.(?!\.)")


def typeset_dashes(state: StateCore) -> None:
    """The typographer's one rule besides quotes and apostrophes (smartquotes): '---' becomes
    an em dash, '--' an en dash, exactly three full stops an ellipsis. Nothing else is
    replaced: "(c)", "+-", "????", "!!!!" and ",," stay as written (markdown-it's
    ``replacements`` rule, which changes them, is not used)."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        if "--" not in token.content and "..." not in token.content:
            continue
        inside_autolink = 0
        for child in token.children:
            if child.type == "link_open" and child.info == "auto":
                inside_autolink += 1
            elif child.type == "link_close" and child.info == "auto":
                inside_autolink -= 1
            elif child.type == "text" and not inside_autolink:
                text = EM_DASH_RE.sub("\\1\u2014", child.content)
                text = EN_DASH_RE.sub("\\1\u2013", text)
                text = EN_DASH_WORD_RE.sub("\\1\u2013", text)
                child.content = ELLIPSIS_RE.sub("\u2026", text)


def _tracked_emphasis(state: StateInline, silent: bool) -> bool:
    """markdown-it's emphasis rule, noting where each delimiter character came from."""
    start, count = state.pos, len(state.tokens)
    found = emphasis.tokenize(state, silent)
    if found:
        for offset, token in enumerate(state.tokens[count:]):
            token.meta = {**(token.meta or {}), "cx_pos": start + offset}
    return found


def _unmatched_emphasis(state: StateInline) -> None:
    """Runs of '**' or '__' that neither opened nor closed emphasis (they stay text), kept
    in env["cx_unmatched"][inline source] as (offset, run, can open, can close)."""
    delimiters = list(state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            delimiters.extend(meta["delimiters"])
    by_token = {d.token: d for d in delimiters}
    found: list[tuple[int, str, bool, bool]] = []
    run: list[int] = []
    tokens = state.tokens

    def flush() -> None:
        if len(run) >= 2:
            first = by_token.get(run[0])
            if first is not None and first.open != first.close:
                found.append((tokens[run[0]].meta["cx_pos"], tokens[run[0]].content * len(run),
                              first.open, first.close))
        run.clear()

    for index, token in enumerate(tokens):
        pos = token.meta.get("cx_pos") if token.type == "text" and token.meta else None
        if pos is not None and run and (tokens[run[-1]].meta["cx_pos"] + 1 != pos or
                                        tokens[run[-1]].content != token.content):
            flush()
        if pos is not None:
            run.append(index)
        else:
            flush()
    flush()
    if found:
        state.env.setdefault("cx_unmatched", {}).setdefault(state.src, found)


def _make_parser(language: str) -> MarkdownIt:
    quotes = QUOTES.get(language.split("-")[0].lower(), "“”‘’")
    md = MarkdownIt(
        "commonmark",
        {"typographer": True, "html": True, "xhtmlOut": True, "quotes": quotes},
    )
    md.enable(["table", "strikethrough", "smartquotes"])
    md.core.ruler.after("smartquotes", "cx_dashes", typeset_dashes)
    md.inline.ruler.at("emphasis", _tracked_emphasis)
    md.inline.ruler2.before("fragments_join", "cx_unmatched", _unmatched_emphasis)
    md.use(footnote_plugin)
    md.core.ruler.before("footnote_tail", "cx_note_lines", _note_lines)
    return md


def _note_lines(state: StateCore) -> None:
    """Where each footnote is defined (footnote_tail drops the definitions nothing calls):
    env["cx_note_lines"][label] = line in the body, 0-based."""
    lines = state.env.setdefault("cx_note_lines", {})
    for token in state.tokens:
        if token.type == "footnote_reference_open" and token.map:
            lines.setdefault(token.meta["label"], token.map[0])


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
    """Reads a piece of raw HTML for reporting and bookkeeping: what the sanitizer will
    remove (line in the fragment, 1-based; column offset, 0-based; message), the images,
    and every start and end tag with its place."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[tuple[int, int, str]] = []
        self.images: list[tuple[int, int, str, str | None]] = []
        # (name, line, offset, is a start tag, ends with '/>')
        self.tags: list[tuple[str, int, int, bool, bool]] = []

    def _report(self, message: str) -> None:
        line, offset = self.getpos()
        self.removed.append((line, offset, message))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, offset = self.getpos()
        self.tags.append((tag, line, offset, True, False))
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, offset = self.getpos()
        self.tags.append((tag, line, offset, True, True))
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        line, offset = self.getpos()
        self.tags.append((tag, line, offset, False, False))

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
    # LOCATION_ATTRIBUTE carries each element's place to the normalization step, which
    # removes it; an author's own (later) copy of it loses to the first, which is cxbook's.
    attributes: dict[str, set[str]] = {"*": set(GLOBAL_ATTRIBUTES) | {LOCATION_ATTRIBUTE}}
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


def _clean(fragment: str) -> str:
    if not _CLEANER:
        _CLEANER.append(_make_cleaner())
    return str(_CLEANER[0].clean(XML_INVALID_RE.sub("", fragment)))


def sanitize(fragment: str) -> str:
    """Allow-list sanitizing (nh3), then re-serialized as well-formed XHTML."""
    container = parse_fragment(_clean(fragment))
    for element in container.iter():
        if isinstance(element.tag, str) and LOCATION_ATTRIBUTE in element.attrib:
            del element.attrib[LOCATION_ATTRIBUTE]
    return serialize(container)


def to_xhtml(fragment: str) -> str:
    """Re-serialize an HTML fragment as XHTML (self-closed void elements, escaped text)."""
    return serialize(parse_fragment(fragment))


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer with book-friendly footnote references, whose ids come
    from ``env["cx_notes"]`` (note id -> (note anchor, reference anchors))."""

    def footnote_ref(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        meta = tokens[idx].meta
        number = int(meta["id"]) + 1
        anchor, refs = env["cx_notes"][int(meta["id"])]
        ref = refs[min(int(meta.get("subId") or 0), len(refs) - 1)]
        return (
            f'<sup><a class="noteref" role="doc-noteref" href="#{anchor}" id="{ref}" '
            f'{LOCATION_ATTRIBUTE}="{GENERATED}">{number}</a></sup>'
        )


_RENDERERS: dict[str, _Renderer] = {}


def _renderer_for(language: str, md: MarkdownIt) -> _Renderer:
    renderer = _RENDERERS.get(language)
    if renderer is None:
        renderer = _RENDERERS[language] = _Renderer(md)
    return renderer


# Typographic characters the typographer may have put into a heading, mapped back, so that
# a heading compares equal to the title it repeats.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
                        "«": '"', "»": '"', "‹": "'", "›": "'", "–": "-", "—": "-",
                        "…": "..."})
FOOTNOTE_CALL_RE = re.compile(r"\[\^([^\]\s]+)\]")
UNPARSED_LINK_RE = re.compile(r"(!?)\[([^\]\n]*)\]\(([^()\n]*\s[^()\n]*)\)")
CODE_CHARS_RE = re.compile(r"[{}();=<>$\\|]")


def _plain_title(text: str) -> str:
    return " ".join(text.translate(_PLAIN).split()).casefold()


class _Places:
    """Places in the chapter: LOCATION_ATTRIBUTE values index ``locations``."""

    def __init__(self, text: str, base: SourceLocation, line_offset: int) -> None:
        self.lines = text.split("\n")
        self.base = base
        self.line_offset = line_offset
        self.locations: list[SourceLocation] = []

    def index(self, location: SourceLocation) -> str:
        self.locations.append(location)
        return str(len(self.locations) - 1)

    def line(self, index: int, column: int = 1) -> SourceLocation:
        """Line ``index`` of the body (0-based), as a place in the file."""
        return self.base.at(index + 1 + self.line_offset, column)

    def block(self, token: Token) -> SourceLocation:
        return self.line(token.map[0] if token.map else 0)

    def inline(self, token: Token, offset: int) -> SourceLocation:
        """The place of ``offset`` in an inline token's content. Its lines are the block's
        source lines, less the container markers and indentation in front of them."""
        start = token.map[0] if token.map else 0
        before = token.content[:offset]
        row = before.count("\n")
        column = offset - (before.rfind("\n") + 1)
        content_line = token.content.split("\n")[row]
        index = min(start + row, len(self.lines) - 1)
        source = self.lines[index] if index >= 0 else ""
        found = source.find(content_line) if content_line else -1
        return self.line(index, (found if found >= 0 else 0) + column + 1)


class _Tally:
    """Inline elements opened by raw HTML and not yet closed, for closing them at the end of
    their block (a browser would carry them on into the blocks that follow)."""

    def __init__(self) -> None:
        self.open: list[tuple[str, SourceLocation]] = []

    def feed(self, tags: list[tuple[str, SourceLocation, bool, bool]], names: frozenset[str]
             ) -> None:
        for name, location, start, self_closing in tags:
            if name not in names or self_closing:
                continue
            if start:
                self.open.append((name, location))
                continue
            for index in range(len(self.open) - 1, -1, -1):
                if self.open[index][0] == name:
                    del self.open[index]
                    break

    def close(self, diags: Diagnostics, where: str) -> str:
        """Closing tags for everything still open (innermost first), each reported."""
        closers = []
        for name, location in reversed(self.open):
            diags.warning(location, f"raw HTML: <{name}> is not closed; it was closed at the "
                          f"end of its {where}, so add </{name}> where it should end",
                          "html.unclosed")
            closers.append(f"</{name}>")
        self.open.clear()
        return "".join(closers)


def render_markdown(
    text: str,
    *,
    path: str,
    line_offset: int,
    prefix: str,
    language: str,
    diags: Diagnostics,
    title: str | None = None,
) -> ParsedBody:
    """Parse and render a chapter body, then normalize it (transforms/normalize.py).

    ``line_offset`` is the file line of the body's first line minus one; ``prefix`` (the
    chapter slug) makes every id book-unique; ``title`` (the front matter's) is left out
    when the body starts by repeating it as a heading. Problems go to ``diags`` with their
    place; ``ParsedBody.removed`` lists what the sanitizer removes, for the caller."""
    md = parser_for(language)
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    base = SourceLocation(path)
    places = _Places(text, base, line_offset)
    names = Names(prefix)
    notes_found: dict[int, dict[str, Any]] = env.get("footnotes", {}).get("list", {})
    cx_notes: dict[int, tuple[str, list[str]]] = {}
    for note_id in sorted(notes_found):
        label = notes_found[note_id].get("label")
        name, _ = names.claim(f"fn-{label}" if label else f"fn-{note_id + 1}", None,
                              "footnote")
        cx_notes[note_id] = (names.anchor(name), [])
    for note_id in sorted(notes_found):
        anchor, refs = cx_notes[note_id]
        name = anchor[len(names.anchor("")):]
        for sub in range(max(1, int(notes_found[note_id].get("count") or 0))):
            ref, _ = names.claim(f"{name}-ref" + (f"-{sub + 1}" if sub else ""), None,
                                 "footnote")
            refs.append(names.anchor(ref))
    env["cx_notes"] = cx_notes

    _check_blocks(tokens, places, diags, title)
    images: list[ImageRef] = []
    removed: list[tuple[SourceLocation, str]] = []
    finder = _SourceFinder(text, base, line_offset)
    summary_index: int | None = None  # the inline token of the summary's paragraph
    words = 0
    wrapping = _Tally()  # links, insertions, deletions opened by blocks of raw HTML
    wrapping_tokens: list[Token] = []
    unmatched: dict[str, list[tuple[int, str, bool, bool]]] = env.get("cx_unmatched", {})
    defined = {key[1:] for key in env.get("footnotes", {}).get("refs", {})}
    referenced = {str(n.get("label")) for n in notes_found.values() if n.get("label")}
    undefined: list[tuple[str, SourceLocation]] = []
    for i, token in enumerate(tokens):
        if token.map:
            finder.enter(token.map[0], token.map[1])
        if token.type == "heading_open":
            token.attrSet(LOCATION_ATTRIBUTE, places.index(places.block(token)))
        elif token.type == "html_block":
            tally = _Tally()
            token.content, tags = _scan_raw(token.content, finder, removed, images, places)
            tally.feed(tags, INLINE_ELEMENTS - WRAPPING_ELEMENTS)
            token.content = token.content.rstrip("\n") + tally.close(diags, "block") + "\n"
            before = len(wrapping.open)
            wrapping.feed(tags, WRAPPING_ELEMENTS)
            if len(wrapping.open) > before:
                wrapping_tokens.append(token)
        elif token.type == "inline":
            plain = inline_text(token)
            words += len(plain.split())
            if summary_index is None and tokens[i - 1].type == "paragraph_open" and \
                    plain.strip():
                summary_index = i
            _check_inline(token, places, finder, diags, removed, images, unmatched,
                          defined, undefined)
    if wrapping.open:
        closers = wrapping.close(diags, "block")
        wrapping_tokens[-1].content += closers
    _check_notes(undefined, defined, referenced, env, places, diags)
    _check_references(tokens, env, places, diags)

    # Footnote bodies are rendered apart from the text.
    main: list[Token] = []
    notes: list[tuple[str, str, int, str]] = []
    renderer = _renderer_for(language, md)
    note_tokens: list[Token] | None = None
    note_id = 0
    for token in tokens:
        if token.type == "footnote_block_open" or token.type == "footnote_block_close":
            continue
        if token.type == "footnote_open":
            note_tokens = []
            note_id = int(token.meta["id"])
            continue
        if token.type == "footnote_close":
            body = renderer.render(note_tokens or [], md.options, env)
            anchor, refs = cx_notes[note_id]
            notes.append((anchor, refs[0], note_id + 1, _clean(body)))
            note_tokens = None
            continue
        if note_tokens is not None:
            if token.type != "footnote_anchor":
                note_tokens.append(token)
            continue
        main.append(token)
    # Sanitized even without raw HTML: Markdown links may carry data: addresses, and the
    # allow-list is the one guarantee every output relies on.
    body_html = _clean(renderer.render(main, md.options, env))
    done = normalize_chapter(
        body_html, [(a, n, h) for a, _, n, h in notes], names=names,
        locations=places.locations, fallback=places.line(0), diags=diags, language=language)
    refs_of = {a: r for a, r, _, _ in notes}
    summary, summary_html = ("", "") if summary_index is None else summarize(
        renderer.renderInline(tokens[summary_index].children or [], md.options, env))
    return ParsedBody(
        html=done.html,
        footnotes=[(a, refs_of[a], n, h) for a, n, h in done.notes],
        headings=done.headings,
        images=images,
        summary=summary,
        summary_html=summary_html,
        word_count=words,
        removed=removed,
        targets=done.targets,
        links=done.links,
    )


def _check_blocks(tokens: list[Token], places: _Places, diags: Diagnostics,
                  title: str | None) -> None:
    """Block-level places where CommonMark reads the text otherwise than its author meant,
    and a first heading that repeats the chapter's title (taken out)."""
    first = next((i for i, t in enumerate(tokens) if t.type != "footnote_block_open"), None)
    if title and first is not None and tokens[first].type == "heading_open" and \
            _plain_title(inline_text(tokens[first + 1])) == _plain_title(title):
        diags.warning(places.block(tokens[first]), "the text starts with a heading that "
                      f"repeats the chapter's title '{title}' (from the front matter); it was "
                      "left out so the title is printed once, so delete the heading",
                      "chapter.duplicate-title")
        del tokens[first:first + 3]
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.markup == "-" and token.map:
            text = inline_text(tokens[i + 1]).strip()
            rows = token.map[1] - token.map[0] - 1
            if rows > 1 or text.endswith((".", ",", ";", ":")) or len(text.split()) > 12:
                rule = places.line(token.map[1] - 1).line
                diags.warning(places.block(token), "this paragraph became a heading because "
                              f"of the line '---' under it (line {rule}); "
                              "for a horizontal rule leave a blank line before the '---', "
                              "for a heading write it as '## …'", "markdown.setext-heading")
        elif token.type == "fence" and token.map:
            last = places.lines[min(token.map[1], len(places.lines)) - 1].lstrip(" >\t")
            marker = token.markup[0] if token.markup else "`"
            closed = token.map[1] - token.map[0] > 1 and \
                last.startswith(marker * len(token.markup)) and \
                not last.strip().strip(marker)
            if not closed:
                diags.warning(places.block(token), f"code block opened with '{token.markup}' "
                              "is never closed, so everything after it to the end of its "
                              f"part of the text is shown as code; add a line '{token.markup}' "
                              "where the code ends", "markdown.unclosed-fence")
        elif token.type == "code_block" and token.map:
            content = token.content
            if len(re.findall(r"[^\W\d_]{2,}", content)) >= 8 and \
                    not CODE_CHARS_RE.search(content):
                diags.warning(places.block(token), "text indented by four or more spaces is "
                              "shown as code; if this is ordinary text, remove the "
                              "indentation (for code, put a line ``` before and after it)",
                              "markdown.indented-code")


def _check_inline(
    token: Token, places: _Places, finder: _SourceFinder, diags: Diagnostics,
    removed: list[tuple[SourceLocation, str]], images: list[ImageRef],
    unmatched: dict[str, list[tuple[int, str, bool, bool]]], defined: set[str],
    undefined: list[tuple[str, SourceLocation]],
) -> None:
    """One inline token: places for images and links, raw HTML scanned and closed, and the
    inline places where the text is not read as its author meant."""
    children = token.children or []
    _relink_around_notes(token, children, places, diags)
    tally = _Tally()
    searched = 0
    link_depth = 0
    moved: list[tuple[int, Token]] = []  # footnote calls inside link text, moved after it
    for index, child in enumerate(children):
        if child.type == "image":
            src = str(child.attrGet("src") or "")
            where = finder.find("![")
            child.attrSet(LOCATION_ATTRIBUTE, places.index(where))
            images.append(ImageRef(unquote(src), child.content, where))
        elif child.type == "link_open":
            link_depth += 1
            label = children[index + 1].content[:20] if index + 1 < len(children) and \
                children[index + 1].type == "text" else ""
            where = finder.find("<" if child.info == "auto" else "[" + label)
            child.attrSet(LOCATION_ATTRIBUTE, places.index(where))
        elif child.type == "link_close":
            link_depth -= 1
            if link_depth == 0 and moved:
                for _, call in moved:
                    children.remove(call)
                at = children.index(child) + 1
                children[at:at] = [call for _, call in moved]
                moved.clear()
        elif child.type == "footnote_ref" and link_depth:
            diags.warning(places.inline(token, token.content.find("[^")), "footnote call "
                          "inside a link's text; a link cannot hold another link, so the "
                          "call was moved after the link; write it after the link's ']( … )'",
                          "markdown.footnote-in-link")
            moved.append((index, child))
        elif child.type == "html_inline":
            child.content, tags = _scan_raw(child.content, finder, removed, images, places)
            tally.feed(tags, INLINE_ELEMENTS)
        elif child.type == "text":
            for match in FOOTNOTE_CALL_RE.finditer(child.content):
                at = token.content.find(match.group(0), searched)
                if at > 0 and token.content[at - 1] == "\\":
                    continue
                if at >= 0:
                    searched = at + 1
                undefined.append((match.group(1), places.inline(token, max(at, 0))))
            for match in UNPARSED_LINK_RE.finditer(child.content):
                at = max(token.content.find(match.group(0)), 0)
                image, label, target = match.groups()
                what = "image" if image else "link"
                diags.error(places.inline(token, at), f"{what} address '{target}' has a space "
                            f"in it, so this is not read as {'an image' if image else 'a link'}"
                            " and would be printed as written; put the address in angle "
                            f"brackets: {image}[{label}](<{target.strip()}>)",
                            "image.space-in-address" if image else "link.space-in-address")
    if tally.open:
        children.append(Token("html_inline", "", 0, content=tally.close(diags, "paragraph")))
    for offset, run, can_open, _ in unmatched.get(token.content, []):
        doing = "opens" if can_open else "closes"
        diags.warning(places.inline(token, offset), f"'{run}' {doing} emphasis that is never "
                      f"{'closed' if can_open else 'opened'} in this paragraph, so it is "
                      f"printed as written; {'close' if can_open else 'open'} it with "
                      f"'{run}' (the marks must touch the words they enclose, and punctuation "
                      "just inside a mark needs a space or punctuation outside it), or write "
                      + "".join("\\" + c for c in run) + " to print the marks",
                      "markdown.unclosed-emphasis")


LINK_REST_RE = re.compile(r"^\]\(([^()\s]*)\)")


def _relink_around_notes(token: Token, children: list[Token], places: _Places,
                         diags: Diagnostics) -> None:
    """``[text[^1]](url)``: markdown-it reads no link there (the footnote call splits the
    link text) and would print the brackets and address as text. The link is made of the
    text before the call, and the call follows it."""
    index = 0
    while index < len(children):
        call = children[index]
        before = children[index - 1] if index else None
        after = children[index + 1] if index + 1 < len(children) else None
        rest = LINK_REST_RE.match(after.content) if after is not None and \
            after.type == "text" else None
        if call.type != "footnote_ref" or before is None or before.type != "text" or \
                "[" not in before.content or rest is None or after is None:
            index += 1
            continue
        md = parser_for("en")
        href = md.normalizeLink(rest.group(1))
        if not md.validateLink(href):
            index += 1
            continue
        at = before.content.rfind("[")
        label = before.content[at + 1:]
        start = token.content.find("[" + label)
        diags.warning(places.inline(token, max(start, 0)), "footnote call inside a link's "
                      "text; a link cannot hold it, so the call was put after the link; "
                      "write it after the link's ']( … )'", "markdown.footnote-in-link")
        opening = Token("link_open", "a", 1)
        opening.attrSet("href", href)
        pieces = [Token("text", "", 0, content=before.content[:at]), opening,
                  Token("text", "", 0, content=label), Token("link_close", "a", -1), call,
                  Token("text", "", 0, content=after.content[rest.end():])]
        children[index - 1:index + 2] = pieces
        index += 5


def _check_notes(undefined: list[tuple[str, SourceLocation]], defined: set[str],
                 referenced: set[str], env: dict[str, Any], places: _Places,
                 diags: Diagnostics) -> None:
    """Footnote calls without a definition (errors) and definitions nothing calls."""
    unused = sorted(defined - referenced)
    for label, where in undefined:
        if label in defined:
            continue
        diags.error(where, f"footnote [^{label}] has no definition"
                    f"{did_you_mean(label, unused)}, so it would be printed as written and "
                    f"its note would be in no output; add a line '[^{label}]: …' with the "
                    "note's text, or correct the label", "footnote.undefined")
    for label in unused:
        line = env.get("cx_note_lines", {}).get(label)
        where = places.line(line) if line is not None else places.line(0)
        diags.warning(where, f"footnote [^{label}] is defined here but never called in the "
                      f"text, so its note is in no output; call it with [^{label}] where it "
                      "belongs, or delete the definition", "footnote.unreferenced")


def _check_references(tokens: list[Token], env: dict[str, Any], places: _Places,
                      diags: Diagnostics) -> None:
    """Link reference definitions ('[label]: address') that no link uses: the line is in no
    output."""
    references: dict[str, dict[str, Any]] = env.get("references", {})
    if not references:
        return
    used = " ".join(t.content for t in tokens if t.type == "inline")
    used = " ".join(used.split()).casefold()
    for label, data in references.items():
        key = " ".join(label.split()).casefold()
        if f"[{key}]" in used:
            continue
        line = data.get("map", [0])[0]
        written = re.match(r"\s*\[([^\]]+)\]:", places.lines[line]) \
            if line < len(places.lines) else None
        label = written.group(1) if written else label
        diags.warning(places.line(line), f"the line '[{label}]: …' defines a link address "
                      "that no link in the chapter uses, so the line is in no output; use it "
                      f"as [text][{label}] or [{label}], or delete the line",
                      "markdown.unused-reference")


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


TAG_NAME_RE = re.compile(r"<[^\s/>]+")


def _scan_raw(
    fragment: str,
    finder: _SourceFinder,
    removed: list[tuple[SourceLocation, str]],
    images: list[ImageRef],
    places: _Places,
) -> tuple[str, list[tuple[str, SourceLocation, bool, bool]]]:
    """Report what the sanitizer removes from a piece of raw HTML and note its images; the
    fragment comes back with each start tag carrying its place (LOCATION_ATTRIBUTE), with
    the list of its tags (name, place, is a start tag, ends with '/>')."""
    origin = finder.find(fragment)
    scanner = _RawHtmlScanner()
    scanner.feed(fragment)
    scanner.close()
    for line, offset, what in scanner.removed:
        removed.append((finder.within(origin, line, offset), what))
    for line, offset, src, alt in scanner.images:
        images.append(ImageRef(src, alt, finder.within(origin, line, offset)))
    starts = [0]
    for row in fragment.split("\n")[:-1]:
        starts.append(starts[-1] + len(row) + 1)
    tags = []
    inserts: list[tuple[int, str]] = []
    for name, line, offset, start, self_closing in scanner.tags:
        where = finder.within(origin, line, offset)
        tags.append((name, where, start, self_closing))
        if start:
            at = starts[line - 1] + offset
            found = TAG_NAME_RE.match(fragment, at)
            if found:
                inserts.append((found.end(), f' {LOCATION_ATTRIBUTE}="{places.index(where)}"'))
    for at, text in reversed(inserts):
        fragment = fragment[:at] + text + fragment[at:]
    return fragment, tags


# A stretch of text's language and direction: (element, lang, dir), the element being
# "span", or "bdi" / "bdo" where the text marks its direction with one.
_Mark = tuple[str, str | None, str | None]


def _mark(element: Any) -> _Mark | None:
    """The language and direction an element gives its text, if it gives either (lang and
    dir values checked as normalize.py checks them)."""
    lang = element.get("lang")
    lang = lang if lang and BCP47_RE.match(lang) else None
    direction = element.get("dir")
    direction = direction if direction in ("ltr", "rtl", "auto") else None
    tag = element.tag if element.tag in ("bdi", "bdo") else "span"
    if lang is None and direction is None and tag == "span":
        return None
    return tag, lang, direction


def summarize(inline_html: str) -> tuple[str, str]:
    """A paragraph's summary from its inline HTML: (plain text, XHTML fragment). The text is
    its first sentence(s), whitespace collapsed (see _first_sentences); the fragment is the
    same text with every stretch in another language or direction kept in a ``span`` (or
    the ``bdi``/``bdo`` it was in) with its ``lang`` and ``dir`` (HTML "The lang and
    xml:lang attributes", "The dir attribute"); all other markup is left out (links,
    emphasis, footnote calls; an image counts as its alt text, a line break as a space)."""
    container = parse_fragment(_clean(inline_html))
    chars: list[tuple[str, tuple[_Mark, ...]]] = []

    def add(text: str | None, marks: tuple[_Mark, ...]) -> None:
        chars.extend((c, marks) for c in text or "")

    def walk(element: Any, marks: tuple[_Mark, ...]) -> None:
        if not isinstance(element.tag, str) or element.get("role") == "doc-noteref" or (
                element.tag == "sup" and element.find(".//a[@role='doc-noteref']") is not None):
            return  # a comment, a footnote call
        mark = _mark(element)
        own = (*marks, mark) if mark is not None else marks
        if element.tag == "img":
            add(element.get("alt"), own)
        elif element.tag == "br":
            add(" ", own)
        add(element.text, own)
        for child in element:
            walk(child, own)
            add(child.tail, own)

    walk(container, ())
    collapsed: list[tuple[str, tuple[_Mark, ...]]] = []
    for c, marks in chars:
        if not c.isspace():
            collapsed.append((c, marks))
        elif collapsed and collapsed[-1][0] != " ":
            collapsed.append((" ", marks))
    if collapsed and collapsed[-1][0] == " ":
        collapsed.pop()
    text = "".join(c for c, _ in collapsed)
    summary = _first_sentences(text)
    kept = len(summary) if text.startswith(summary) else len(summary) - 1  # then "…" ends it
    root = parse_fragment("")
    stack: list[tuple[_Mark, Any]] = []
    for c, marks in collapsed[:kept]:
        same = 0
        while same < min(len(stack), len(marks)) and stack[same][0] == marks[same]:
            same += 1
        del stack[same:]
        for mark in marks[same:]:
            tag, lang, direction = mark
            element = etree.SubElement(stack[-1][1] if stack else root, tag)
            for name, value in (("lang", lang), ("dir", direction)):
                if value is not None:
                    element.set(name, value)
            stack.append((mark, element))
        _append_text(stack[-1][1] if stack else root, c)
    _append_text(root, summary[kept:])
    return summary, serialize(root)


def _append_text(element: Any, text: str) -> None:
    """``text`` added at the end of ``element``'s content."""
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


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
        md.enable(["smartquotes", "strikethrough"])
        md.core.ruler.after("smartquotes", "cx_dashes", typeset_dashes)
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
