"""course.yaml `editions`: a plain reading copy (the EPUB and the reader PDF without
activities or answer key) and a workbook with each chapter's whole text; read back from the
real outputs (EPUBCheck on the EPUB, the PDFs' text layer)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import run_cli
from support.lms_harness import run_epubcheck

# In the starter's first chapter, after its opening sentence (which the workbook's summary
# already gives): only the whole text has it.
LATER_TEXT = "a quotation worth remembering."
QUIZ_QUESTION = "what should you keep when you paste an article into a chapter?"
OPENING = "replace this text with the article."
COURSE = "title: Staff course\nid: staff-course\n"


def _project(tmp_path: Path, editions: str) -> Path:
    root = tmp_path / "book"
    assert run_cli("new", str(root), "--title", "Editions Test").code == 0
    (root / "course" / "course.yaml").write_text(COURSE + editions, encoding="utf-8")
    return root


def _build(root: Path, formats: str) -> Path:
    result = run_cli("build", str(root), "-f", formats, "--quiet", "--no-cache")
    assert result.code == 0, result.err
    return root / "dist"


def _pdf_text(path: Path) -> str:
    """The text layer, case-folded (print headings are set in capitals)."""
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(path).pages)
                    .split()).casefold()


def _epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        pages = [z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")]
    return " ".join(re.sub(r"<[^>]+>", " ", "\n".join(pages)).split()).casefold()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _project(tmp_path_factory.mktemp("plain"),
                    "editions:\n  reader: plain\n  workbook: full-text\n")
    return _build(root, "epub,pdf,workbook,scorm12")


def test_the_reading_copy_has_no_activities(plain: Path) -> None:
    epub = _epub_text(plain / "editions-test.epub")
    pdf = _pdf_text(plain / "editions-test.pdf")
    for text in (epub, pdf):
        assert OPENING in text
        assert LATER_TEXT in text
        for heading in ("discuss", "practise", "check your understanding", "answer key"):
            assert not re.search(rf"\b{heading}\b", text), heading
        assert QUIZ_QUESTION not in text
    with zipfile.ZipFile(plain / "editions-test.epub") as z:
        assert not [n for n in z.namelist() if "answer" in n]
    report = run_epubcheck(plain / "editions-test.epub")
    assert (report["fatal"], report["error"]) == (0, 0), report["messages"]


def test_the_workbook_and_the_course_keep_the_activities(plain: Path) -> None:
    workbook = _pdf_text(plain / "editions-test-workbook.pdf")
    assert LATER_TEXT in workbook  # the whole text, not only the opening
    assert "check your understanding" in workbook and QUIZ_QUESTION in workbook
    assert workbook.index(LATER_TEXT) < workbook.index(QUIZ_QUESTION)
    with zipfile.ZipFile(plain / "editions-test-scorm12.zip") as z:
        course = " ".join(z.read(n).decode() for n in z.namelist()
                          if n.endswith((".html", ".js", ".json"))).casefold()
    assert QUIZ_QUESTION in course


def test_by_default_the_book_has_activities_and_the_workbook_an_opening(
    tmp_path: Path
) -> None:
    dist = _build(_project(tmp_path, ""), "epub,workbook")
    epub = _epub_text(dist / "editions-test.epub")
    assert "check your understanding" in epub and QUIZ_QUESTION in epub
    workbook = _pdf_text(dist / "editions-test-workbook.pdf")
    assert OPENING in workbook
    assert LATER_TEXT not in workbook and QUIZ_QUESTION in workbook


def test_editions_are_validated(tmp_path: Path) -> None:
    root = _project(tmp_path, "editions:\n  reader: plane\n  workbok: full-text\n"
                              "  workbook: everything\n")
    result = run_cli("check", str(root))
    assert result.code == 1
    assert [line for line in result.err.splitlines() if "error" in line] == [
        "course/course.yaml:4:11: error: 'editions.reader' must be with-activities or plain, "
        "not 'plane' (did you mean 'plain'?) [course.edition]",
        "course/course.yaml:5:3: error: unknown key 'workbok' in 'editions' (did you mean "
        "'workbook'?); allowed keys: reader, workbook [schema.unknown-key]",
        "course/course.yaml:6:13: error: 'editions.workbook' must be summary or full-text, "
        "not 'everything' [course.edition]",
        "cxbook check: failed (3 errors, 3 warnings)",
    ]
