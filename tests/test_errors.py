"""Bad input: every row of the troubleshooting table in README.md is built here and must print
exactly the message the table shows, exit with the status it implies, and leave dist/ as it
was. The table and the behaviour cannot drift: a row without a case, or a case without a
row, fails."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cxbook

from conftest import NO_NOTICE, NO_SOURCE, REPO, run_cli

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
BOOK = "title: Test Book\nlanguage: en\n"
FRONT = "---\ntitle: One\nauthor: A. Writer\n---\n"
CHAPTER = FRONT + "\nHello, world.\n"
# A second chapter, written for the book, so it brings no warnings of its own.
FRONT_TWO = "---\ntitle: Two\nauthor: A. Writer\noriginal: true\n---\n"
# The base chapter is republished without a source or a notice, which check warns about in
# every case; the cases' own messages come besides.
BASE_WARNINGS = [f"manuscript/01-one.md:4:1: {NO_SOURCE}",
                 f"manuscript/01-one.md:4:1: {NO_NOTICE}"]
SENTINELS = {"test-book.epub": b"previous epub\n", "test-book.pdf": b"previous pdf\n",
             "test-book-scorm12.zip": b"previous scorm\n"}

Setup = Callable[[Path], None]


def write(root: Path, rel: str, data: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, "utf-8")
    else:
        path.write_bytes(data)


def chapter(body: str) -> Setup:
    return lambda root: write(root, "manuscript/01-one.md", FRONT + "\n" + body)


def book(text: str | bytes) -> Setup:
    return lambda root: write(root, "manuscript/book.yaml", text)


def files(contents: dict[str, str | bytes]) -> Setup:
    def setup(root: Path) -> None:
        for rel, data in contents.items():
            write(root, rel, data)
    return setup


def image(rel: str, data: bytes, body: str, book_text: str = BOOK) -> Setup:
    def setup(root: Path) -> None:
        write(root, f"manuscript/{rel}", data)
        write(root, "manuscript/book.yaml", book_text)
        chapter(body)(root)
    return setup


def symlinked_image(root: Path) -> None:
    secret = root.parent / "secret.png"
    secret.write_bytes(PNG)
    (root / "manuscript" / "images").mkdir()
    (root / "manuscript" / "images" / "logo.png").symlink_to(secret)
    chapter("![Logo](images/logo.png)\n")(root)


def huge_chapter(root: Path) -> None:
    with (root / "manuscript" / "01-one.md").open("wb") as f:
        f.write(FRONT.encode())
        f.truncate(50 * 1024 * 1024)  # 50 MB, sparse: quick to make


def themes(**yaml_by_name: str) -> Setup:
    def setup(root: Path) -> None:
        first = next(iter(yaml_by_name))
        write(root, "manuscript/book.yaml", BOOK + f"theme: {first}\n")
        for name, text in yaml_by_name.items():
            write(root, f"themes/{name}/theme.yaml", text)
    return setup


QUIZ = ("quiz:\n"
        "  - question: What must accompany hope?\n"
        "    choices: [Action, Luck]\n"
        "    answer: []\n")

# "bad input" cell of the table -> how to make it.
CASES: dict[str, Setup] = {
    "YAML syntax error": book("title: [Test Book\nlanguage: en\n"),
    "a ':' inside an unquoted value": book("title: Service: the book\nlanguage: en\n"),
    "quote not closed": book('title: "Test Book\nlanguage: en\n'),
    "tab used for indentation": book("title: Test Book\n\tlanguage: en\n"),
    "byte-order mark (BOM)": book(b"\xef\xbb\xbf" + BOOK.encode()),
    "file not in UTF-8": files({"manuscript/01-one.md": FRONT.encode()
                               + b"\nCaf\xe9 au lait.\n"}),
    "invisible control character": chapter("Hello,\x0b world.\n"),
    "binary file named .md": files({"manuscript/01-one.md": b"\x00\x01\x02"}),
    "empty chapter file": files({"manuscript/01-one.md": ""}),
    "empty book.yaml": book(""),
    "front matter missing": files({"manuscript/01-one.md": "Hello, world.\n"}),
    "front matter not closed": files({"manuscript/01-one.md": FRONT[:-4] + "\nHello.\n"}),
    "required key missing": files({"manuscript/01-one.md": "---\ntitle: One\n---\nHi\n"}),
    "misspelt key": files({"manuscript/01-one.md": FRONT.replace("author:", "autor:")}),
    "duplicate key": book("title: Test Book\nlanguage: en\ntitle: Another\n"),
    "YAML alias": book("title: &t Test Book\nsubtitle: *t\nlanguage: en\n"),
    "chapter listed twice": book(BOOK + "chapters:\n  - 01-one.md\n  - 01-one.md\n"),
    "chapter listed but missing": book(BOOK + "chapters:\n  - 01-one.md\n  - 02-two.md\n"),
    "chapter over 8 MB": huge_chapter,
    "theme missing": book(BOOK + "theme: fancy\n"),
    "themes extending each other in a circle": themes(a="extends: b\n", b="extends: a\n"),
    "theme extending itself": themes(mine="extends: mine\n"),
    "theme outside themes/": themes(mine="extends: ../../../etc\n"),
    "image missing": chapter("![A chart](images/chart.png)\n"),
    "image without alt text": image("images/chart.png", PNG, "![](images/chart.png)\n"),
    "file that is not an image": image("images/chart.png", b"<html>Not found</html>",
                                       "![A chart](images/chart.png)\n"),
    "image larger than max_image_mb": image("images/chart.png", PNG + bytes(2 * 1024 * 1024),
                                            "![A chart](images/chart.png)\n",
                                            BOOK + "max_image_mb: 1\n"),
    "image path leaving the project": chapter("![Passwords](../../etc/passwd)\n"),
    "absolute image path": chapter("![Passwords](/etc/passwd)\n"),
    "image link leading outside": symlinked_image,
    "remote image": chapter("![A chart](https://example.com/chart.png)\n"),
    "embedded data: image": chapter("![Dot](data:image/png;base64,iVBORw0KGgo=)\n"),
    "SVG image with a script": image("images/chart.svg",
                                     b'<svg xmlns="http://www.w3.org/2000/svg">'
                                     b"<script>alert(1)</script></svg>",
                                     "![A chart](images/chart.svg)\n"),
    "quiz with no correct answer": files({"course/01-one.yaml": QUIZ}),
    "raw HTML <script>": chapter("<script>alert(1)</script>\n"),
    "event handler attribute": chapter('<p onclick="steal()">Hello</p>\n'),
    "javascript: link": chapter('<a href="javascript:alert(1)">Click</a>\n'),
    "<iframe>": chapter('<iframe src="https://example.com/"></iframe>\n'),
    "style attribute": chapter('<div style="position:fixed;top:0">Hi</div>\n'),
    "link to a chapter not in the book": files({
        "manuscript/01-one.md": FRONT + "\nSee [the list](02-tow.md).\n",
        "manuscript/02-two.md": FRONT_TWO + "\nText.\n"}),
    "link to a heading that is not there": files({
        "manuscript/01-one.md": FRONT + "\nSee [the checklist](02-two.md#check-list).\n",
        "manuscript/02-two.md": FRONT_TWO + "\n## Checklist\n"}),
    "link to a file that is no chapter": chapter("See [the handout](handout.pdf).\n"),
    "footnote without definition": chapter("A claim.[^silent]\n\n[^silnet]: The source.\n"),
    "footnote never called": chapter("A claim.\n\n[^source]: The source.\n"),
    "image address with a space": image("images/quiet hour.png", PNG,
                                        "![A chart](images/quiet hour.png)\n"),
    "empty heading": chapter("##\n\nText.\n"),
    "the same id twice": chapter('<a id="top"></a>\n\nText.\n\n<a id="top"></a>\n'),
    "HTML element not closed": chapter("Some <b>bold text\n\nThe next paragraph.\n"),
    "title repeated as the first heading": chapter("# One\n\nText.\n"),
    "emphasis never closed": chapter("**Warning:**Do not touch.\n"),
    "code block never closed": chapter("```\nprint(1)\n"),
    "paragraph turned into a heading": chapter("A line that goes on\nonto a second line.\n---\n"),
    "republished chapter without a source": files({"manuscript/01-one.md": (
        "---\ntitle: One\nauthor: A. Writer\nnotice: Republished with permission.\n---\n"
        "\nHello.\n")}),
    "republished chapter without a notice": files({"manuscript/01-one.md": (
        "---\ntitle: One\nauthor: A. Writer\nsource: {publication: A Blog}\n---\n"
        "\nHello.\n")}),
    "cover under 1000 pixels high": image("images/cover.png", PNG, "Hello.\n",
                                          BOOK + "cover: images/cover.png\n"),
    "acknowledged code that does not exist": book(BOOK + "acknowledge: [chapter.no-autor]\n"),
    "acknowledging an error": book(BOOK + "acknowledge: [image.missing]\n"),
    "course file still marked as a draft": files({
        "course/01-one.yaml": "# DRAFT course file for chapter 1\ndiscussion: [Why?]\n"}),
    "the starter's book title": book("title: My Collection\nlanguage: en\n"),
    "the starter's course title and id": files({
        "course/course.yaml": "title: My Collection — staff course\nid: my-collection\n"}),
    "the starter's example chapter": files({"manuscript/01-one.md": (
        Path(cxbook.__file__).parent / "starter" / "manuscript" / "01-first-article.md"
    ).read_text(encoding="utf-8")}),
    "editions value misspelt": files({"course/course.yaml": "editions:\n  reader: plane\n"}),
}
ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")
TABLE = REPO / "README.md"
SECTION = "Bad input and what cxbook says"


def table_rows() -> list[tuple[str, list[str], str]]:
    """(bad input, messages, what to do) for every row of the troubleshooting table; a
    cell with several messages separates them with <br>."""
    rows = []
    text = TABLE.read_text("utf-8").split(f"\n### {SECTION}\n", 1)[1]
    text = re.split(r"\n#{2,3} ", text, maxsplit=1)[0]
    for line in text.splitlines():
        match = ROW.match(line)
        if not match:
            continue
        cells = [c.strip().replace("\\|", "|") for c in
                 re.split(r"(?<!\\)\|", match.group("cells"))]
        if len(cells) != 3 or cells[0] in ("bad input", "") or set(cells[0]) <= set("-: "):
            continue
        rows.append((cells[0].strip("`"), [_code(c.strip()) for c in cells[1].split("<br>")],
                     cells[2]))
    return rows


def _code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1].strip()


ROWS = table_rows()


def test_table_and_cases_match() -> None:
    assert len(ROWS) >= 30
    assert [r[0] for r in ROWS] == list(CASES)


def make_project(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    write(root, "manuscript/book.yaml", BOOK)
    write(root, "manuscript/01-one.md", CHAPTER)
    for name, data in SENTINELS.items():
        write(root, f"dist/{name}", data)
    return root


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_base_project_is_valid(tmp_path: Path) -> None:
    result = run_cli("check", str(make_project(tmp_path)))
    assert result.code == 0
    assert result.err.splitlines() == [*BASE_WARNINGS, "cxbook check: ok (2 warnings)"]


@pytest.mark.parametrize(("bad_input", "messages", "advice"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_message(tmp_path: Path, bad_input: str, messages: list[str],
                           advice: str) -> None:
    root = make_project(tmp_path)
    CASES[bad_input](root)
    before = snapshot(root / "dist")
    started = time.perf_counter()
    check = run_cli("check", str(root))
    seconds = time.perf_counter() - started
    warning = all(": warning: " in m for m in messages)
    problems = [line for line in check.err.splitlines()
                if not line.startswith("cxbook") and line not in BASE_WARNINGS]
    assert problems == messages, check.err
    assert check.code == (0 if warning else 1), check.err
    assert seconds < 5, f"{bad_input}: reported after {seconds:.1f} s"
    assert "Traceback" not in check.err and "internal error" not in check.err
    assert advice and not advice.endswith(" ")
    # A build with the same input writes nothing (warnings fail it with --strict).
    build = run_cli("build", str(root), "-f", "epub", *(["--strict"] if warning else []))
    assert build.code == 1, build.err
    assert set(messages) <= set(build.err.splitlines())
    assert snapshot(root / "dist") == before
    assert not any(p.name.endswith(".tmp") for p in (root / "dist").iterdir())


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    write(root, "manuscript/01-one.md", CHAPTER + "\n![A chart](images/chart.png)\n")
    write(root, "manuscript/02-two.md", "---\ntitle: Two\n")
    write(root, "course/01-one.yaml", QUIZ)
    result = run_cli("check", str(root))
    assert result.code == 1
    codes = re.findall(r"\[([a-z.-]+)\]$", result.err, flags=re.MULTILINE)
    assert sorted(codes) == ["chapter.front-matter-unclosed", "chapter.no-notice",
                             "chapter.no-source", "course.no-answer", "image.missing"]
    assert result.err.splitlines()[-1] == "cxbook check: failed (3 errors, 2 warnings)"


def test_ten_thousand_chapters_are_reported_in_reasonable_time(tmp_path: Path) -> None:
    root = tmp_path / "book"
    write(root, "manuscript/book.yaml", BOOK)
    folder = root / "manuscript"
    for i in range(10_000):
        name = f"{i:05d}-c{i}.md"
        text = FRONT.replace("One", f"Chapter {i}").replace(
            "author: A. Writer\n", "author: A. Writer\noriginal: true\n") + (
            f"\nText of chapter {i}.\n")
        if i % 1000 == 999:  # a few bad ones: reported, each with its place
            text = text.replace("---\n\n", "\n")
        (folder / name).write_text(text, "utf-8")
    started = time.perf_counter()
    result = run_cli("check", str(root))
    seconds = time.perf_counter() - started
    assert result.code == 1
    assert result.err.splitlines()[-1] == "cxbook check: failed (10 errors)"
    assert "manuscript/09999-c9999.md:1:1: error: front matter is not closed" in result.err
    # about 1 ms a chapter on an ordinary machine; the bound leaves room for slow CI
    assert seconds < 60, f"10,000 chapters took {seconds:.1f} s"


def test_bad_input_never_gives_a_traceback_under_debug(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    CASES["chapter over 8 MB"](root)
    result = run_cli("--debug", "check", str(root))
    assert result.code == 1 and "Traceback" not in result.err


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path)
    target = root / "manuscript" / "01-one.md"
    real_open = Path.open

    def guarded_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == target:  # as for a file without read permission (the superuser has it)
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    result = run_cli("check", str(root))
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "manuscript/01-one.md:1:1: error: cannot read chapter: Permission denied; check that "
        "it exists and is readable [file.unreadable]")
