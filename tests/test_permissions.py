"""Republishing permissions: check warns about a republished chapter without a source or a
notice, `original: true` marks a chapter written for the book, and the copyright and sources
pages say what the chapters actually carry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cxbook.diagnostics import CxbookError, SourceLocation
from cxbook.i18n import Localizer
from cxbook.model import Attribution, Chapter, Source
from cxbook.readers.project import read_project
from cxbook.render.html import copyright_html, numbers_phrase, permission_lines, sources_html

from conftest import PROJECTS, REPO, run_cli

LOC = SourceLocation("manuscript/x.md")


def chapter(number: int, *, notice: bool = True, source: bool = True,
            original: bool = False) -> Chapter:
    attribution = Attribution(("A. Writer",), None,
                              Source(publication="A Blog") if source else Source(),
                              "Republished with permission." if notice else None, None,
                              original)
    return Chapter(stem=f"{number:02d}-c", slug=f"c{number}", number=number,
                   title=f"Chapter {number}", attribution=attribution, body_html="<p>Text.</p>",
                   footnotes=(), headings=(), targets=(), links=(), images=(), summary="",
                   summary_html="", word_count=1, location=LOC, body_line=4, digest="")


@pytest.mark.parametrize(("chapters", "lines"), [
    ([chapter(1), chapter(2)],
     ["Every chapter carries the republishing notice that came with it.",
      "Every chapter names where it first appeared."]),
    ([chapter(1), *(chapter(n, notice=False, source=False) for n in range(2, 6))],
     ["Chapter 1 carries the republishing notice that came with it; chapters 2–5 carry none.",
      "Chapters 2–5 do not name where they first appeared."]),
    ([chapter(1, notice=False), chapter(2), chapter(3, notice=False), chapter(4)],
     ["Chapters 2 and 4 carry the republishing notice that came with them; chapters 1 and 3 "
      "carry none.", "Every chapter names where it first appeared."]),
    ([chapter(1), chapter(2), chapter(3), chapter(4, notice=False), chapter(5),
      chapter(7, notice=False)],
     ["Chapters 1–3 and 5 carry the republishing notice that came with them; chapters 4 "
      "and 7 carry none.", "Every chapter names where it first appeared."]),
    ([chapter(1, notice=False), chapter(2, notice=False, source=False)],
     ["No chapter carries a republishing notice.",
      "Chapter 2 does not name where it first appeared."]),
    ([chapter(1), chapter(2, notice=False, source=False, original=True)],
     ["Every republished chapter carries the republishing notice that came with it.",
      "Every republished chapter names where it first appeared.",
      "Chapter 2 was written for this book."]),
    ([chapter(n, notice=False, source=False, original=True) for n in (1, 2)],
     ["Every chapter was written for this book."]),
])
def test_copyright_page_says_what_the_chapters_carry(chapters: list[Chapter],
                                                     lines: list[str]) -> None:
    assert permission_lines(tuple(chapters), Localizer("en")) == lines
    project = read_project(PROJECTS / "rich")
    page = copyright_html(project.book, tuple(chapters))
    assert " ".join(lines) in " ".join(page.split())


def test_numbers_phrase() -> None:
    """Chapter numbers listed the way the book's locale lists things (CLDR list patterns,
    through Babel), runs of three or more as ranges."""
    english, british = Localizer("en"), Localizer("en-GB")
    assert numbers_phrase([4], english) == "4"
    assert numbers_phrase([3, 1], english) == "1 and 3"
    assert numbers_phrase([1, 2, 3, 5, 7, 8], english) == "1–3, 5, 7, and 8"
    assert numbers_phrase([1, 2, 3, 5, 7, 8], british) == "1–3, 5, 7 and 8"
    assert numbers_phrase([1, 2, 3, 5, 7, 8], Localizer("de")) == "1–3, 5, 7 und 8"
    assert numbers_phrase([1, 2, 4], Localizer("ja")) == "1、2、4"


def test_default_book_tells_the_truth_about_its_chapters() -> None:
    """The default book's articles: the first came with a source and a notice; the source
    texts of the other four give neither, and nothing says they were written for it."""
    project = read_project(REPO)
    text = " ".join(copyright_html(project.book, project.chapters).split())
    assert ("Chapter 1 carries the republishing notice that came with it; chapters 2–5 carry "
            "none. Chapters 2–5 do not name where they first appeared.") in text
    assert "permissions noted on each chapter" not in text
    sources = " ".join(sources_html(project).split())
    assert sources.count("No republishing notice is given in the source.") == 4
    assert sources.count("Original publication: not named in the source.") == 4


def test_original_chapter_needs_no_source_or_notice(tmp_path: Path) -> None:
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript/book.yaml").write_text("title: Own Essays\nlanguage: en\n", "utf-8")
    front = "---\ntitle: Mine\nauthor: A. Writer\n{}---\n\nWritten for the book.\n"
    path = root / "manuscript/01-mine.md"

    path.write_text(front.format("original: true\n"), "utf-8")
    result = run_cli("check", str(root))
    assert result.err == "cxbook check: ok (no problems)\n"
    project = read_project(root)
    assert project.chapters[0].attribution.original
    assert "Written for this book." in sources_html(project)
    assert "No republishing notice" not in sources_html(project)
    assert "Every chapter was written for this book." in copyright_html(project.book,
                                                                         project.chapters)

    path.write_text(front.format("original: false\n"), "utf-8")
    codes = [line.rsplit("[", 1)[-1] for line in run_cli("check", str(root)).err.splitlines()]
    assert codes[:2] == ["chapter.no-source]", "chapter.no-notice]"]

    path.write_text(front.format("original: yes please\n"), "utf-8")
    with pytest.raises(CxbookError) as caught:
        read_project(root)
    assert caught.value.diagnostics[0].code == "schema.type"
    assert str(caught.value.diagnostics[0].location) == "manuscript/01-mine.md:4:11"


def test_a_source_needs_a_publication_or_an_address(tmp_path: Path) -> None:
    """An original title or a date alone does not say where a chapter first appeared."""
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript/book.yaml").write_text("title: Essays\nlanguage: en\n", "utf-8")
    (root / "manuscript/01-a.md").write_text(
        "---\ntitle: A\nauthor: A. Writer\nsource: {title: Old title, date: 2020-01-01}\n"
        "notice: Republished with permission.\n---\n\nText.\n", "utf-8")
    result = run_cli("check", str(root))
    assert result.err.splitlines()[0].startswith(
        "manuscript/01-a.md:6:1: warning: republished chapter names no source")
    attribution = read_project(root).chapters[0].attribution
    assert not attribution.names_source
    assert dataclasses.replace(attribution, source=Source(url="https://example.com/a")
                               ).names_source
