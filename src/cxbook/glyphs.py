"""Which characters the theme's fonts can print, and where a project uses one they cannot.

The PDFs are set only in the fonts that the theme's print stylesheet declares with
``@font-face`` (a machine's own fonts are never relied on, so that a book prints the same
everywhere). A character that none of those fonts has would be printed as an empty box
(the font's .notdef glyph), so ``check`` and ``build`` report it, located at its first
occurrence in each region of text that reaches the PDFs: the body of a chapter, each key
of its front matter, each key of book.yaml and of a course file.

Coverage is read from the fonts' own character maps (the OpenType ``cmap`` table) with
fontTools; the stylesheet is read with tinycss2, the CSS parser WeasyPrint itself uses.
"""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import tinycss2
import yaml
from fontTools.ttLib import TTFont, TTLibError

from .diagnostics import Diagnostic, Severity, SourceLocation
from .model import Theme

CODE = "font.missing-glyph"
# Characters that print nothing of their own: controls, format characters (joiners, soft
# hyphens, direction marks), line and paragraph separators, and variation selectors that
# only choose between forms of the character before them.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
_SHOWN = 6  # characters named in one message


def _is_invisible(code: int) -> bool:
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    if code in (0x20, 0x09, 0x0A, 0x0D):
        return True
    return unicodedata.category(chr(code)) in _INVISIBLE_CATEGORIES


def font_urls(css: str) -> list[str]:
    """The theme-relative paths of the font files the stylesheet's ``@font-face`` rules
    name in ``src: url(…)``, in the order they appear."""
    found: list[str] = []
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or not rule.content:
            continue
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                          skip_whitespace=True):
            if declaration.type != "declaration" or declaration.lower_name != "src":
                continue
            for token in declaration.value:
                url = None
                if token.type == "url":
                    url = token.value
                elif token.type == "function" and token.lower_name == "url":
                    strings = [t.value for t in token.arguments if t.type == "string"]
                    url = strings[0] if strings else None
                if url and "://" not in url and not url.startswith("data:"):
                    path = posixpath.normpath(url)
                    if path not in found:
                        found.append(path)
    return found


@lru_cache(maxsize=32)
def font_characters(data: bytes) -> frozenset[int]:
    """The code points a font file (TrueType, OpenType, WOFF or WOFF2) maps to glyphs;
    empty for a file fontTools cannot read."""
    try:
        font = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
        cmap = font["cmap"].getBestCmap() or {}
    except (TTLibError, KeyError, ValueError, OSError, AssertionError):
        return frozenset()
    return frozenset(cmap)


class Coverage:
    """The characters a theme's print fonts have. Fonts are read lazily, in stylesheet
    order, only while some character asked about is still not found. A theme that declares
    no font at all leaves every choice to the machine's fonts: nothing is judged then."""

    def __init__(self, theme: Theme) -> None:
        self.theme_name = theme.name
        self._pending = [theme.files[path] for path in font_urls(theme.css("print"))
                         if path in theme.files]
        self._judged = bool(self._pending)
        self._known: set[int] = set()

    def missing(self, characters: Iterable[int]) -> set[int]:
        """Of ``characters``, those no font has (invisible characters never count)."""
        if not self._judged:
            return set()
        wanted = {c for c in characters if c not in self._known and not _is_invisible(c)}
        while wanted and self._pending:
            self._known |= font_characters(self._pending.pop(0))
            wanted -= self._known
        return wanted


@dataclass(frozen=True)
class TextRegion:
    """A stretch of a project file whose text reaches the PDFs: characters ``start`` to
    ``end`` of the file; ``what`` names it in messages ("the chapter text", "'author'")."""

    start: int
    end: int
    what: str


def chapter_regions(text: str) -> list[TextRegion]:
    """Each front-matter key of a chapter file, then its body (HTML comments left out)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return [TextRegion(0, len(text), "the chapter text")]
    offset = len(lines[0]) + 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            front_end = offset
            body_start = offset + len(lines[index]) + 1
            regions = yaml_regions(text, len(lines[0]) + 1, front_end)
            regions.append(TextRegion(min(body_start, len(text)), len(text),
                                      "the chapter text"))
            return regions
        offset += len(lines[index]) + 1
    return []


def yaml_regions(text: str, start: int = 0, end: int | None = None) -> list[TextRegion]:
    """One region per top-level key of the YAML mapping in ``text[start:end]`` (its key and
    value); nothing when the YAML does not parse (that is reported elsewhere)."""
    stop = len(text) if end is None else end
    try:
        node = yaml.compose(text[start:stop], Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    return [TextRegion(start + key.start_mark.index, start + value.end_mark.index,
                       f"'{key.value}'") for key, value in node.value]


def _blank_comments(text: str) -> str:
    """HTML comments (and, in YAML, '#' comments) as spaces, so offsets stay put."""
    return _HTML_COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _is_yaml(path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


def _strip_yaml_comments(text: str) -> str:
    return re.sub(r"(?m)^([ \t]*)#[^\n]*", lambda m: m.group(1) + " " * (
        len(m.group(0)) - len(m.group(1))), text)


def missing_glyphs(coverage: Coverage, path: str, text: str) -> list[Diagnostic]:
    """Warnings for the project file ``path`` (a chapter, book.yaml or a course file) with
    content ``text``: one for each region that uses characters no theme font has, at the
    first of them, naming them all (up to a few) with their code points."""
    cleaned = _blank_comments(text)
    if _is_yaml(path):
        cleaned = _strip_yaml_comments(cleaned)
    if not coverage.missing(ord(c) for c in set(cleaned)):
        return []  # the usual case, decided without reading the file's structure
    regions = yaml_regions(text) if _is_yaml(path) else chapter_regions(text)
    found: list[Diagnostic] = []
    for region in regions:
        part = cleaned[region.start:region.end]
        missing = coverage.missing(ord(c) for c in set(part))
        if not missing:
            continue
        firsts = sorted((part.index(chr(c)), c) for c in missing)
        at = region.start + firsts[0][0]
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        names = [f"'{chr(c)}' (U+{c:04X})" for _, c in firsts[:_SHOWN]]
        if len(firsts) > _SHOWN:
            listing = ", ".join(names) + f" and {len(firsts) - _SHOWN} more"
        elif len(names) > 1:
            listing = ", ".join(names[:-1]) + " and " + names[-1]
        else:
            listing = names[0]
        them = "them" if len(firsts) > 1 else "it"
        boxes = "them as empty boxes" if len(firsts) > 1 else "it as an empty box"
        message = (f"no font of the theme '{coverage.theme_name}' has {listing}, used in "
                   f"{region.what}; the PDFs would print {boxes}, so add a font that has "
                   f"{them} to the theme (a font file in the theme folder and an @font-face "
                   "rule for it in print.css)")
        found.append(Diagnostic(SourceLocation(path, line, column), Severity.WARNING,
                                message, CODE))
    return found
