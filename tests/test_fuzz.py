"""Property and fuzz tests: random Markdown, YAML and bytes never produce a traceback.

Every reader either returns a value or reports located errors. The number of examples is
bounded for CI; set CXBOOK_FUZZ_EXAMPLES to run the same targets longer, e.g.
``CXBOOK_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
import re
import string
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from cxbook.diagnostics import Diagnostics
from cxbook.markdown import render_markdown, sanitize
from cxbook.readers.book import parse_book
from cxbook.readers.chapter import parse_chapter
from cxbook.readers.course import parse_chapter_course, parse_course
from cxbook.readers.text import decode_text
from cxbook.readers.theme import _parse_theme_yaml

from conftest import run_cli

EXAMPLES = int(os.environ.get("CXBOOK_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    max_examples=EXAMPLES or 120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
    derandomize=EXAMPLES is None,  # CI runs the same examples every time
)
SLOW = settings(FUZZ, max_examples=EXAMPLES or 25)
LOCATED = re.compile(r"^[^\s:][^:]*:\d+:\d+: (error|warning): .+ \[[a-z0-9.-]+\]$")

# -- strategies ------------------------------------------------------------------------

YAML_PIECES = [
    "title", "author", "language", "chapters", "quiz", "question", "choices", "answer",
    "source", "url", "date", "theme", "extends", "colors", "discussion", "exercises",
    "kind", "minutes", "instructions", "objectives", "templates", "mastery_score", "id",
    ":", ": ", "- ", "  ", "\t", "\n", "#", "'", '"', "[", "]", "{", "}", ",", "&a", "*a",
    "!!python/object", "? ", "|", ">", "---", "...", "null", "~", "yes", "2013-05-01",
    "0x1F", "1e3", "\ufeff", "\x00", "é", "{title}", "{nope}", "<<: ", "%YAML 1.2",
    "type", "fill-in", "numeric", "matching", "ordering", "pairs", "targets", "sequence",
    "range", "tolerance", "unit", "case_sensitive", "shuffle", "feedback", "text",
    "discussion_minutes", "session_minutes", "prompt_minutes", "question_minutes", "-2.5",
    ".inf", "[1, 2]", "{a: b}",
]
MARKDOWN_PIECES = [
    "# ", "## ", "###### ", "*", "_", "**", "`", "```", "~~~", "> ", "- ", "1. ", "\n",
    "\n\n", "    ", "[", "]", "(", ")", "![", "](images/a.png)", "](../../etc/passwd)",
    "](https://example.com/x.png)", "](data:image/png;base64,AAAA)", "](javascript:x)",
    "[^1]", "[^1]: note", "| a | b |\n|---|:-:|\n| 1 | 2 |", "<", ">", "&", "&amp;", "&#0;",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=x>",
    "<a href=\"javascript:alert(1)\">x</a>", "<a href='data:text/html,x'>", "<div>",
    "</div>", "<style>*{}</style>", "<svg onload=x>", "<!--", "-->", "<![CDATA[", "]]>",
    "<math>", "<object data=x>", "<embed src=x>", "<b onclick=x>", "<p style=\"x\">",
    "<img alt=\"\" src=\"images/a.png\">", "<a href=\"jav&#x09;ascript:x\">", "<table>",
    "<td style=\"text-align:right\">", "<form>", "<input>", "<base href=x>", "<meta>",
    "\u202e", "\u00a0", "\x0b", "\x0c", "\r", "é", "日本", "---", "title: x",
]


def _pieces(pieces: list[str], max_size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=8)),
                    max_size=max_size).map("".join)


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=30),
    st.sampled_from(["Action", "Luck", "en", "default", "01-a.md", "https://e.com/x",
                     "{title}", "reflection", "2013-05-01"]),
)
yaml_keys = st.one_of(st.sampled_from([p for p in YAML_PIECES if p.isidentifier()]),
                      st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12))
yaml_data = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(yaml_keys, inner, max_size=5)),
    max_leaves=25,
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Structured YAML, raw pieces, or structured YAML with pieces spliced in."""
    choice = draw(st.integers(0, 2))
    if choice == 1:
        return draw(_pieces(YAML_PIECES))
    text = yaml.safe_dump(draw(yaml_data), allow_unicode=True, sort_keys=False)
    if choice == 2 and text:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_pieces(YAML_PIECES, 4)) + text[at:]
    return text


def _assert_located(diags: Diagnostics) -> None:
    for d in diags:
        assert d.location.line >= 1 and d.location.column >= 1, d
        assert d.message and d.code, d
        assert LOCATED.match(d.format()), d.format()


# -- readers ---------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300))
@example(b"\xef\xbb\xbf\xff")
@example(b"---\ntitle: \xe9\n---\n")
def test_decode_text_never_raises(data: bytes) -> None:
    diags = Diagnostics()
    text = decode_text(data, "manuscript/x.md", diags, what="chapter")
    assert (text is None) == diags.has_errors
    _assert_located(diags)


@FUZZ
@given(yaml_texts())
@example("title: [T\nlanguage: en\n")
@example("title: T\ntitle: U\nlanguage: en\n")
@example("title: &a T\nsubtitle: *a\nlanguage: en\n")
@example("title: T\nlanguage: en\nchapters: [a.md, a.md, ../x.md, '']\n")
@example("title: T\nlanguage: en\nmax_image_mb: 0x7fffffffffffffffffff\n")
@example("title: !!binary AAAA\nlanguage: en\n")
def test_book_yaml_is_settings_or_located_errors(text: str) -> None:
    diags = Diagnostics()
    settings_ = parse_book(text, "manuscript/book.yaml", diags)
    if settings_ is None:
        assert diags.has_errors or not text.strip()
    _assert_located(diags)


@st.composite
def chapter_texts(draw: st.DrawFn) -> str:
    front = draw(st.one_of(
        yaml_texts(),
        st.builds(lambda t, a: yaml.safe_dump({"title": t, "author": a}, allow_unicode=True),
                  st.text(max_size=20), st.one_of(st.none(), st.text(max_size=10),
                                                  st.lists(st.text(max_size=5), max_size=3))),
    ))
    body = draw(_pieces(MARKDOWN_PIECES, 60))
    opening = draw(st.sampled_from(["---\n", "---\n", "--- \n", "", "---\r\n", "\n---\n"]))
    closing = draw(st.sampled_from(["---\n", "...\n", "", "---"]))
    return opening + front + closing + body


@FUZZ
@given(chapter_texts())
@example("---\ntitle: T\nauthor: A\n---\n<script>x</script>[a](javascript:x)")
@example("---\ntitle: T\nauthor: A\n---\n[^1]\n\n[^1]: <img src=x onerror=y>\n")
@example("---\ntitle: T\nauthor: A\n---\n- <div\n  onclick=x>\n")
@example("---\ntitle:\n  - a\nauthor: {x: y}\nsource: [1]\n---\n")
def test_chapter_is_parsed_or_located_errors(text: str) -> None:
    diags = Diagnostics()
    parsed = parse_chapter(text, "manuscript/01-a.md", "01-a", "en", diags)
    assert (parsed is None or parsed.failed) == diags.has_errors
    _assert_located(diags)
    if parsed is not None:
        _assert_safe(parsed.body_html)
        for note in parsed.footnotes:
            _assert_safe(note.html)


@FUZZ
@given(yaml_texts())
@example("templates:\n  discussion: ['{nope}']\n")
@example("mastery_score: 1e400\n")
def test_course_yaml_is_settings_or_located_errors(text: str) -> None:
    diags = Diagnostics()
    parse_course(text, "course/course.yaml", diags)
    _assert_located(diags)


@FUZZ
@given(yaml_texts())
@example("quiz:\n  - question: Q?\n    choices: [a, b]\n    answer: []\n")
@example("quiz:\n  - question: Q?\n    choices: [a, a]\n    answer: [a, a]\n")
@example("exercises:\n  - title: T\n    kind: nope\n    minutes: -1\n    instructions: x\n")
@example("quiz:\n  - type: numeric\n    question: Q?\n    answer: .inf\n    range: [5, 1]\n")
@example("quiz:\n  - type: numeric\n    question: Q?\n    range: [a, {b: c}, 3]\n"
         "    tolerance: -0\n")
@example("quiz:\n  - type: matching\n    question: Q?\n    pairs: {a: b, ' a ': c, '': ''}\n"
         "    targets: [x, [y]]\n")
@example("quiz:\n  - type: ordering\n    question: Q?\n    sequence: [a, a, {b: c}]\n")
@example("quiz:\n  - type: fill-in\n    question: Q?\n    answer: ['', Ab, ab, null]\n"
         "    case_sensitive: maybe\n")
@example("quiz:\n  - pairs: {a: b}\n    sequence: [a]\n    question: Q?\n  - type: [x]\n")
@example("quiz:\n  - question: Q?\n    choices: [{text: a, feedback: [x]}, {feedback: y}, b]\n"
         "    answer: a\n")
def test_chapter_course_is_parsed_or_located_errors(text: str) -> None:
    diags = Diagnostics()
    parsed = parse_chapter_course(text, "course/01-a.yaml", "01-a", diags)
    if parsed is None and text.strip():
        assert diags.has_errors or yaml.safe_load(text) is None
    _assert_located(diags)


@FUZZ
@given(yaml_texts())
@example("extends: ../../../../etc\n")
@example("page_size: 'A5; } body { display: none'\n")
def test_theme_yaml_is_parsed_or_located_errors(text: str) -> None:
    diags = Diagnostics()
    _parse_theme_yaml(text.encode("utf-8", "surrogatepass"), "themes/t/theme.yaml", diags)
    _assert_located(diags)


# -- sanitizing ------------------------------------------------------------------------

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "form", "svg", "math",
                  "base", "meta", "link", "frame", "frameset", "applet", "input"}


def _assert_safe(fragment: str) -> None:
    """No scripts, frames, event handlers, style, or non-http(s)/mailto addresses."""
    if not fragment.strip():
        return
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.lower() not in DANGEROUS_TAGS, fragment
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), fragment
            if name == "style":
                assert element.tag in ("td", "th"), fragment
                assert re.fullmatch(r"text-align:\s*(left|right|center);?", value.strip())
            if name in ("href", "src", "cite"):
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                scheme = squashed.split(":", 1)[0] if ":" in squashed.split("/", 1)[0] \
                    else ""
                assert scheme in ("", "http", "https", "mailto"), fragment


@FUZZ
@given(_pieces(MARKDOWN_PIECES, 80))
@example('<a href="&#106;avascript:alert(1)">x</a>')
@example('<a href="java\nscript:alert(1)">x</a>')
@example("[x](data:image/png;base64,AAAA)")
@example("<img src=\"data:image/svg+xml,<svg onload=alert(1)>\" alt=x>")
@example("<table><tr><td style=\"text-align:right;position:fixed\">x</td></tr></table>")
def test_markdown_output_is_always_safe(body: str) -> None:
    diags = Diagnostics()
    parsed = render_markdown(body, path="manuscript/01-a.md", line_offset=4, prefix="a",
                             language="en", diags=diags)
    _assert_safe(parsed.html)
    for _, _, note in parsed.footnotes:
        _assert_safe(note)
    for location, what in parsed.removed:
        assert location.line >= 5 and location.column >= 1, (location, what)
    # Sanitizing is idempotent: the output is already within the allow-list.
    assert sanitize(parsed.html) == parsed.html


# -- whole projects through the CLI ----------------------------------------------------


@SLOW
@given(book=yaml_texts(), chapter=chapter_texts(), course=yaml_texts(),
       raw=st.binary(max_size=60))
@example(book="title: T\nlanguage: en\n", chapter="---\ntitle: A\nauthor: B\n---\nHi\n",
         course="quiz: 1\n", raw=b"\xff")
def test_random_project_never_crashes(book: str, chapter: str, course: str,
                                      raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "manuscript").mkdir()
        (root / "course").mkdir()
        (root / "manuscript" / "book.yaml").write_text(
            book if "title" in book else "title: T\nlanguage: en\n" + book, "utf-8",
            errors="surrogatepass")
        (root / "manuscript" / "01-a.md").write_text(chapter, "utf-8",
                                                      errors="surrogatepass")
        (root / "manuscript" / "02-b.md").write_bytes(b"---\ntitle: B\nauthor: C\n---\n"
                                                      + raw)
        (root / "course" / "01-a.yaml").write_text(course, "utf-8", errors="surrogatepass")
        result = run_cli("check", str(root))
    assert result.code in (0, 1), result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    lines = result.err.splitlines()
    assert lines[-1].startswith("cxbook check: ")
    for line in lines[:-1]:
        assert LOCATED.match(line), line
    assert (result.code == 1) == any(": error: " in line for line in lines)
