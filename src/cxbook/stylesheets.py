"""Theme stylesheets as cxbook reads them: the files they refer to, their syntax errors, and
an assembled stylesheet that maps its places back to the files it is made of.

Stylesheets are read with tinycss2, the CSS parser WeasyPrint itself uses (CSS Syntax
Module Level 3), so cxbook sees the url() references and the errors that the PDFs' layout
sees, comments left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tinycss2
from tinycss2.ast import Node

# The files a theme stylesheet may refer to: extension -> media type.
FONT_TYPES = {"ttf": "font/ttf", "otf": "font/otf", "woff": "font/woff", "woff2": "font/woff2"}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "gif": "image/gif", "svg": "image/svg+xml", "webp": "image/webp"}
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
# A printf conversion in a log record's message (logging formats messages with "%").
_CONVERSION_RE = re.compile(r"%(?:%|\(\w+\)|[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z])")


@dataclass(frozen=True)
class Reference:
    """A file a stylesheet refers to: ``url`` as written (for ``@import``, its target), at
    ``line``:``column`` (1-based) of the stylesheet; ``imported`` for an ``@import``."""

    url: str
    line: int
    column: int
    imported: bool = False

    @property
    def is_local(self) -> bool:
        """Whether it names a file (not a ``data:`` URL, another scheme or a fragment)."""
        return bool(self.url) and not self.url.startswith("#") and not self.url.startswith(
            "//") and _SCHEME_RE.match(self.url) is None

    @property
    def path(self) -> str:
        """The file part: without its query and fragment."""
        return self.url.split("#", 1)[0].split("?", 1)[0]


@dataclass(frozen=True)
class SyntaxProblem:
    """A CSS syntax error (tinycss2's ParseError): what, at ``line``:``column``."""

    message: str
    line: int
    column: int


def _url_of(node: Node) -> str | None:
    if node.type == "url":
        return str(node.value)
    if node.type == "function" and node.lower_name == "url":
        strings = [t.value for t in node.arguments if t.type == "string"]
        return str(strings[0]) if strings else None
    return None


def _walk(nodes: Iterable[Node]) -> Iterator[Node]:
    """Every node of a rule list or component value list, nested blocks and declarations
    included, in source order."""
    for node in nodes:
        yield node
        if node.type in ("qualified-rule", "at-rule"):
            yield from _walk(node.prelude)
            if node.content is not None:
                yield from _walk(tinycss2.parse_blocks_contents(
                    node.content, skip_comments=True, skip_whitespace=True))
        elif node.type == "declaration":
            yield from _walk(node.value)
        elif node.type == "function":
            yield from _walk(node.arguments)
        elif node.type in ("() block", "[] block", "{} block"):
            yield from _walk(node.content)


def _rules(css: str) -> list[Node]:
    rules: list[Node] = tinycss2.parse_stylesheet(css, skip_comments=True,
                                                  skip_whitespace=True)
    return rules


def references(css: str) -> list[Reference]:
    """Every url() of the stylesheet and the target of every ``@import``, in order."""
    found: list[Reference] = []
    for node in _walk(_rules(css)):
        if node.type == "at-rule" and node.lower_at_keyword == "import":
            target = next((t.value for t in node.prelude if t.type == "string"), None)
            target = target or next((_url_of(t) for t in node.prelude if _url_of(t)), None)
            found.append(Reference(str(target or ""), node.source_line, node.source_column,
                                   imported=True))
            continue
        url = _url_of(node)
        if url is not None:
            found.append(Reference(url.strip(), node.source_line, node.source_column))
    return found


def syntax_problems(css: str) -> list[SyntaxProblem]:
    """The stylesheet's syntax errors: rules and declarations that do not parse and broken
    tokens (an unclosed string, a url() with a space or quote inside), each once."""
    found: list[SyntaxProblem] = []
    for node in _walk(_rules(css)):
        if node.type == "error":
            found.append(SyntaxProblem(str(node.message), node.source_line,
                                       node.source_column))
    return found


def record_position(record: logging.LogRecord) -> tuple[int, int] | None:
    """The stylesheet line and column a WeasyPrint log record names ("… at 12:5 …"): the
    two arguments formatted by the message's ``%d:%d``; None when it names none."""
    if not isinstance(record.msg, str) or not isinstance(record.args, tuple):
        return None
    index = 0
    for match in _CONVERSION_RE.finditer(record.msg):
        if match.group() == "%%":
            continue
        if record.msg.startswith("%d:%d", match.start()) and index + 1 < len(record.args):
            line, column = record.args[index], record.args[index + 1]
            if isinstance(line, int) and isinstance(column, int) and line > 0:
                return line, max(column, 1)
            return None
        index += 1
    return None


@dataclass(frozen=True)
class Assembled:
    """A stylesheet made of parts, each from a project file (``origins[i]``, a project path
    such as ``themes/mine/custom.css``) or generated (None); ``spans[i]`` are the part's
    start and end offsets in ``text``."""

    text: str
    spans: tuple[tuple[int, int], ...]
    origins: tuple[str | None, ...]

    @staticmethod
    def join(parts: Iterable[tuple[str | None, str]], separator: str = "") -> Assembled:
        """The parts' texts joined with ``separator``; ``parts`` are (origin, text)."""
        text = ""
        spans: list[tuple[int, int]] = []
        origins: list[str | None] = []
        for origin, part in parts:
            if spans:
                text += separator
            spans.append((len(text), len(text) + len(part)))
            origins.append(origin)
            text += part
        return Assembled(text, tuple(spans), tuple(origins))

    def __add__(self, other: Assembled) -> Assembled:
        shift = len(self.text)
        return Assembled(self.text + other.text, self.spans + tuple(
            (start + shift, end + shift) for start, end in other.spans),
            self.origins + other.origins)

    def locate(self, line: int, column: int) -> tuple[str, int, int] | None:
        """The file, line and column (1-based) of the place ``line``:``column`` of
        ``text``; None for a place in a generated part or past the end."""
        start = 0
        for _ in range(line - 1):
            start = self.text.find("\n", start) + 1
            if start == 0:
                return None
        offset = start + column - 1
        for (begin, end), origin in zip(self.spans, self.origins, strict=True):
            if begin <= offset < end and origin is not None:
                before = self.text[begin:offset]
                line_in = before.count("\n") + 1
                column_in = offset - (begin + before.rfind("\n") + 1) + 1
                return origin, line_in, column_in
        return None
