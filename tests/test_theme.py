"""Themes: the built-in theme's stylesheets (page-break rules as WeasyPrint lays them out, no
custom property declared that nothing uses, which reading systems' CSS parsers warn about);
a project theme's files checked while it is read, every problem a located diagnostic; and
WeasyPrint's warnings about the print stylesheet located in the theme file they are about."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from cxbook.readers.project import read_project
from cxbook.renderers.epub_assets import theme_resources
from cxbook.renderers.pdf import MANUSCRIPT_BASE, _weasyprint_session, generated_css
from cxbook.renderers.scorm import recolored_css
from cxbook.stylesheets import Assembled, record_position

from conftest import PROJECTS, REPO, refuse_reading, run_cli, write_files

BODY_ROWS = "".join(f"<tr><td>ROW{i} cell</td><td>value {i}</td></tr>" for i in range(1, 7))
TABLES = {
    # A Markdown table: the header row in <thead>.
    "thead": "<table><thead><tr><th>HEADERCELL</th><th>Value</th></tr></thead>"
             f"<tbody>{BODY_ROWS}</tbody></table>",
    # A raw HTML table from the web: a row of <th> cells that the parser puts in <tbody>.
    "header row in tbody": "<table><tbody><tr><th>HEADERCELL</th><th>Value</th></tr>"
                           f"{BODY_ROWS}</tbody></table>",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(TABLES))
def test_table_header_row_is_never_alone_at_a_page_foot(kind: str) -> None:
    """Whatever text comes before it, a table's header row lands on the page of a body row
    (the reader edition's print stylesheet, laid out by WeasyPrint)."""
    project = read_project(REPO)
    css = generated_css(project.theme) + project.theme.css("print")
    alone = []
    with _weasyprint_session(project, css) as (fetcher, fonts, sheet):
        from weasyprint import HTML

        for step in range(36):  # the table starts from about 2/3 of the page to past its end
            spacer = 110 + 2 * step
            html = (f'<html lang="en"><body><div class="chapter-body"><div style="height: '
                    f'{spacer}mm"></div><p>Before the table.</p>{TABLES[kind]}</div>'
                    "</body></html>")
            pdf = HTML(string=html, base_url=MANUSCRIPT_BASE, url_fetcher=fetcher).write_pdf(
                stylesheets=[sheet], font_config=fonts)
            for page in PdfReader(io.BytesIO(pdf)).pages:
                text = page.extract_text()
                # A header repeated on a continuation page is fine; one without rows is not.
                if "HEADERCELL" in text and not re.search(r"ROW\d", text):
                    alone.append(spacer)
    assert alone == []


def _unused_custom_properties(css: str) -> set[str]:
    declared = set(re.findall(r"(--[A-Za-z0-9_-]+)\s*:", css))
    used = set(re.findall(r"var\(\s*(--[A-Za-z0-9_-]+)", css))
    return declared - used


@pytest.mark.parametrize("project", [REPO, PROJECTS / "rich"], ids=["default", "rich"])
def test_no_stylesheet_declares_custom_properties_nothing_uses(project: object) -> None:
    theme = read_project(project).theme  # type: ignore[arg-type]
    assert _unused_custom_properties(theme_resources(theme).css) == set()
    assert _unused_custom_properties(generated_css(theme) + theme.css("print")) == set()
    assert _unused_custom_properties(recolored_css(theme)) == set()


# -- a theme's files are checked while the theme is read ----------------------------------

FONT = (REPO / "src/cxbook/themes/default/fonts/NotoSans-Regular.ttf").read_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
BOOK = "title: Test Book\nlanguage: en\ntheme: mine\n"
CHAPTER = "---\ntitle: One\nauthor: A. Writer\noriginal: true\n---\n\nHello, world.\n"


def theme_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """A one-chapter project whose theme 'mine' extends the built-in theme with ``files``."""
    return write_files(root, {
        "manuscript/book.yaml": BOOK, "manuscript/01-one.md": CHAPTER,
        "themes/mine/theme.yaml": "extends: default\n",
        **{f"themes/mine/{name}": data for name, data in files.items()}})


# case -> (the theme's files, the first line `check` prints up to the message's start,
# the code). Every stylesheet an output uses, every way a url() can miss, every font kind.
BROKEN_THEMES: dict[str, tuple[dict[str, str | bytes], str, str]] = {
    "missing image in custom.css": (
        {"custom.css": "/* Paper. */\nbody {\n  background: url('img/paper.png');\n}\n"},
        "themes/mine/custom.css:3:15: error: url(img/paper.png): the theme has no file",
        "theme.url-missing"),
    "missing font in print.css": (
        {"print.css": '@font-face { font-family: "X";\n  src: url(fonts/X-Regular.ttf); }\n'},
        "themes/mine/print.css:2:8: error: url(fonts/X-Regular.ttf): the theme has no file",
        "theme.url-missing"),
    "missing font in epub.css": (
        {"epub.css": '@font-face { font-family: "X"; src: url("fonts/x.woff2") }\n'},
        "themes/mine/epub.css:1:37: error: url(fonts/x.woff2): the theme has no file",
        "theme.url-missing"),
    "missing image in course.css": (
        {"course.css": "main { background-image: url(bg.webp) }\n"},
        "themes/mine/course.css:1:26: error: url(bg.webp): the theme has no file",
        "theme.url-missing"),
    "missing image in base.css": (
        {"base.css": "hr { border-image: url(rule.svg) 30 }\n"},
        "themes/mine/base.css:1:20: error: url(rule.svg): the theme has no file",
        "theme.url-missing"),
    "a name in the wrong case": (
        {"fonts/Face-Regular.ttf": FONT,
         "custom.css": '@font-face { font-family: "F"; src: url(fonts/face-regular.ttf) }\n'},
        "themes/mine/custom.css:1:37: error: url(fonts/face-regular.ttf): the theme has no "
        "file 'fonts/face-regular.ttf' (did you mean 'fonts/Face-Regular.ttf'?)",
        "theme.url-missing"),
    "url leaving the theme": (
        {"custom.css": "body { background: url(../../manuscript/images/x.png) }\n"},
        "themes/mine/custom.css:1:20: error: url(../../manuscript/images/x.png) leads outside",
        "theme.url-outside"),
    "remote url": (
        {"custom.css": "body { background: url(https://example.com/paper.png) }\n"},
        "themes/mine/custom.css:1:20: error: url(https://example.com/paper.png) is outside",
        "theme.url-outside"),
    "url of a file that is no font or image": (
        {"notes.txt": "x", "custom.css": "body { background: url(notes.txt) }\n"},
        "themes/mine/custom.css:1:20: error: url(notes.txt): a theme stylesheet can use fonts",
        "theme.url-type"),
    "image that is not what its name says": (
        {"paper.png": JPEG, "custom.css": "body { background: url(paper.png) }\n"},
        "themes/mine/custom.css:1:20: error: url(paper.png): 'themes/mine/paper.png' is not a "
        "PNG image", "theme.not-an-image"),
    "@import": (
        {"custom.css": 'p { color: red }\n@import "more.css";\n'},
        "themes/mine/custom.css:2:1: error: @import 'more.css': theme stylesheets cannot",
        "theme.css-import"),
    "font that is a web page": (
        {"fonts/Face-Regular.ttf": b"<!DOCTYPE html><title>Not found</title>"},
        "themes/mine/fonts/Face-Regular.ttf:1:1: error: this font file cannot be read",
        "theme.font-invalid"),
    "truncated font": (
        {"fonts/Face-Regular.otf": FONT[:2000]},
        "themes/mine/fonts/Face-Regular.otf:1:1: error: this font file cannot be read",
        "theme.font-invalid"),
    "empty print font": (
        {"print-fonts/Fallback.woff2": b""},
        "themes/mine/print-fonts/Fallback.woff2:1:1: error: this font file cannot be read",
        "theme.font-invalid"),
    "stylesheet not in UTF-8": (
        {"custom.css": "p::before { content: 'caf\u00e9' }\n".encode("latin-1")},
        "themes/mine/custom.css:1:26: error: stylesheet custom.css is not valid UTF-8",
        "file.encoding"),
    "stylesheet that is binary": (
        {"print.css": b"\x00\x01\x02"},
        "themes/mine/print.css:1:1: error: stylesheet print.css contains a NUL byte",
        "file.binary"),
}


@pytest.mark.parametrize("case", list(BROKEN_THEMES))
def test_a_broken_theme_is_a_located_error_of_check_and_build(tmp_path: Path,
                                                              case: str) -> None:
    files, first, code = BROKEN_THEMES[case]
    root = theme_project(tmp_path / "book", files)
    check = run_cli("check", str(root))
    assert check.code == 1, check.err
    lines = check.err.splitlines()
    assert lines[0].startswith(first) and lines[0].endswith(f"[{code}]"), check.err
    assert "Traceback" not in check.err and "internal error" not in check.err
    # Every format that uses the theme stops at the same place, before rendering.
    build = run_cli("build", str(root), "-f", "epub", "-f", "pdf", "-f", "scorm12", "-f",
                    "cc", "--out", str(tmp_path / "out"), "--no-cache")
    assert build.code == 1, build.err
    assert lines[0] in build.err.splitlines()
    assert "internal error" not in build.err
    assert not (tmp_path / "out").exists()


def test_an_unreadable_theme_font_is_reported(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root = theme_project(tmp_path / "book", {"fonts/Face-Regular.ttf": FONT})
    refuse_reading(monkeypatch, root / "themes/mine/fonts/Face-Regular.ttf")
    result = run_cli("check", str(root))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "themes/mine/fonts/Face-Regular.ttf:1:1: error: cannot read this theme file: "
        "Permission denied; check that it exists and is readable [file.unreadable]")


def test_a_theme_whose_files_are_all_there_builds(tmp_path: Path) -> None:
    """The other side of the checks: fonts and images the theme has, a url() in a comment,
    data: URLs, fragments and empty stylesheets are no problem; every format builds."""
    png = (PROJECTS / "rich/manuscript/images/cover.png").read_bytes()
    root = theme_project(tmp_path / "book", {
        "fonts/Face-Regular.ttf": FONT,
        "img/paper.png": png,
        "custom.css": "/* url(old/paper.png) was the first try */\n"
                      '@font-face { font-family: "Face"; src: url("./fonts/Face-Regular.ttf") '
                      'format("truetype") }\n'
                      "body { background: url(img/paper.png?v=2) }\n"
                      "hr { background: url('data:image/gif;base64,R0lGODlhAQABAAAAACw=') }\n"
                      "svg { filter: url(#soft) }\n",
        "course.css": "",
    })
    check = run_cli("check", str(root))
    assert check.code == 0 and "theme" not in check.err, check.err
    result = run_cli("build", str(root), "-f", "epub", "-f", "scorm12", "--out",
                     str(tmp_path / "out"), "--no-cache", "--quiet")
    assert result.code == 0, result.err
    with zipfile.ZipFile(tmp_path / "out/test-book.epub") as epub:
        names = set(epub.namelist())
    assert {"EPUB/theme/img/paper.png", "EPUB/theme/fonts/Face-Regular.ttf"} <= names, names


def test_css_syntax_errors_are_warned_about_once_at_their_place(tmp_path: Path) -> None:
    root = theme_project(tmp_path / "book", {
        "custom.css": "p { color: red }\n\nh2 { color: blue; ) }\n.note { content: 'open\n}\n"})
    check = run_cli("check", str(root))
    assert check.code == 0, check.err
    syntax = [line for line in check.err.splitlines() if "[theme.css-syntax]" in line]
    assert [line.split(": warning:")[0] for line in syntax] == [
        "themes/mine/custom.css:3:20", "themes/mine/custom.css:4:18"], check.err
    build = run_cli("build", str(root), "-f", "pdf", "--out", str(tmp_path / "out"),
                    "--no-cache")
    assert build.code == 0, build.err
    lines = build.err.splitlines()
    assert set(syntax) <= set(lines)
    # WeasyPrint's own words for the syntax errors are not repeated as pdf.warning; what it
    # says about the declaration it left out (one line, at its place) stays.
    layout = [line for line in lines if line.endswith("[pdf.warning]")]
    assert layout == ["themes/mine/custom.css:4:9: warning: Ignored `content: \"[bad string] "
                      "`, invalid value. [pdf.warning]"], build.err


# -- WeasyPrint's warnings about the print stylesheet, at their place ----------------------

def test_print_stylesheet_warnings_are_located_in_the_theme_file(tmp_path: Path) -> None:
    root = theme_project(tmp_path / "book", {
        "custom.css": "/* Custom rules. */\n\np {\n  frobnicate: 3;\n  color: red;\n}\n"
                      "h2 { text-shadow: 1px 1px red }\n",
        "print.css": (REPO / "src/cxbook/themes/default/print.css").read_text("utf-8")
        + "\n.hint { -weasy-hyphens: auto }\n"})
    print_lines = (root / "themes/mine/print.css").read_text("utf-8").count("\n")
    for paper in ([], ["--paper", "a4"]):
        result = run_cli("build", str(root), "-f", "pdf", "--out", str(tmp_path / "out"),
                         "--no-cache", *paper)
        assert result.code == 0, result.err
        warnings = sorted(line for line in result.err.splitlines() if "[pdf.warning]" in line)
        assert warnings == [
            "themes/mine/custom.css:4:3: warning: Ignored `frobnicate: 3`, unknown property. "
            "[pdf.warning]",
            "themes/mine/custom.css:7:6: warning: Ignored `text-shadow: 1px 1px red `, "
            "unknown property. [pdf.warning]",
            f"themes/mine/print.css:{print_lines}:9: warning: Deprecated `-weasy-hyphens: auto "
            "`, prefixes on unstable attributes are deprecated, use 'hyphens' instead. "
            "[pdf.warning]",
        ], result.err


def test_a_place_in_an_assembled_stylesheet_maps_back_to_its_file() -> None:
    sheet = (Assembled.join([(None, "html { x: 1 }\n")])
             + Assembled.join([("themes/a/base.css", "a {}\nb {}"),
                               ("themes/a/custom.css", "\n\n  c { y: 2 }\n")], "\n")
             + Assembled.join([(None, "@page { size: A4 }\n")]))
    assert sheet.text.splitlines()[5] == "  c { y: 2 }"
    assert sheet.locate(2, 1) == ("themes/a/base.css", 1, 1)
    assert sheet.locate(3, 3) == ("themes/a/base.css", 2, 3)
    assert sheet.locate(6, 3) == ("themes/a/custom.css", 3, 3)
    assert sheet.locate(1, 3) is None  # generated
    assert sheet.locate(7, 1) is None
    assert sheet.locate(40, 1) is None
    record = logging.LogRecord("weasyprint", logging.WARNING, "", 0,
                               "In counter style %r at %d:%d, %s", ("x", 6, 3, "why"), None)
    assert record_position(record) == (6, 3)
    record.msg, record.args = "100%% sure at %s", ("6:3",)
    assert record_position(record) is None


def test_the_live_preview_shows_a_broken_theme_as_problems(tmp_path: Path) -> None:
    from cxbook.preview.state import Preview

    root = theme_project(tmp_path / "book", {
        "custom.css": "body { background: url(img/paper.png) }\n",
        "fonts/Face-Regular.woff": b"wOFF" + bytes(60)})
    preview = Preview(root, cache=False)
    try:
        rebuild = preview.rebuild()
    finally:
        preview.close()
    assert rebuild.internal == "" and not rebuild.current
    assert [(str(p.location), p.code) for p in rebuild.problems] == [
        ("themes/mine/custom.css:1:20", "theme.url-missing"),
        ("themes/mine/fonts/Face-Regular.woff:1:1", "theme.font-invalid")]


def test_a_problem_in_a_theme_it_extends_is_located_in_that_theme(tmp_path: Path) -> None:
    root = write_files(tmp_path / "book", {
        "manuscript/book.yaml": BOOK, "manuscript/01-one.md": CHAPTER,
        "themes/mine/theme.yaml": "extends: brand\n",
        "themes/mine/custom.css": "h1 { color: red }\n",
        "themes/brand/theme.yaml": "extends: default\n",
        "themes/brand/print.css": "\n@font-face { font-family: B; src: url(fonts/B.otf) }\n"})
    check = run_cli("check", str(root))
    assert check.code == 1
    assert check.err.splitlines()[0] == (
        "themes/brand/print.css:2:35: error: url(fonts/B.otf): the theme has no file "
        "'fonts/B.otf'; add the file to themes/brand/ or correct the path (relative to the "
        "theme folder, case-sensitive) [theme.url-missing]")
