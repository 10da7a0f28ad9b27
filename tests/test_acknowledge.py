"""Acknowledged warnings: `acknowledge:` in book.yaml (the whole project), a chapter's front
matter (the chapter and its course file), a course file (that file) and course.yaml (every
course file). Acknowledged warnings are counted in one line, not repeated; --strict passes;
entries that cannot apply are located warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxbook import codes
from cxbook.diagnostics import Diagnostics, SourceLocation
from cxbook.readers import chapter as chapter_reader

from conftest import REPO, run_cli

BOOK = "title: Test Book\nlanguage: en\n"
NO_AUTHOR = ("warning: the source names no author (author: null); the outputs will say so — "
             "add the author's name if the source gives it [chapter.no-author]")
SCRIPT = ("warning: raw HTML: <script> element and its content were removed from every "
          "output; chapters cannot run scripts, so delete it [html.removed]")
DRAFT = ("warning: this course file is still marked as a draft ('# DRAFT' comment written by "
         "'cxbook draft-course'); check every item against the chapter, then delete the "
         "comment [course.draft]")


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def chapter(title: str, *, author: str = "null", extra: str = "", body: str = "Text.\n"
            ) -> str:
    # Each chapter says where it first appeared and under what notice, so that the only
    # warnings are the ones a test provokes.
    return (f"---\ntitle: {title}\nauthor: {author}\n{extra}source: {{publication: A Blog}}\n"
            f"notice: Republished with permission.\n---\n\n{body}")


def project(tmp_path: Path, book_extra: str = "",
            files: dict[str, str | bytes] | None = None) -> Path:
    root = tmp_path / "book"
    base: dict[str, str | bytes] = {
        "manuscript/book.yaml": BOOK + book_extra,
        "manuscript/01-one.md": chapter("One"),
        "manuscript/02-two.md": chapter("Two"),
    }
    return write(root, {**base, **(files or {})})


def lines(result_err: str) -> list[str]:
    return result_err.splitlines()


def test_a_chapter_acknowledges_its_own_warning_only(tmp_path: Path) -> None:
    root = project(tmp_path, files={"manuscript/01-one.md": chapter(
        "One", extra="acknowledge: [chapter.no-author]\n")})
    result = run_cli("check", str(root))
    assert result.code == 0
    assert lines(result.err) == [
        f"manuscript/02-two.md:3:9: {NO_AUTHOR}",
        "1 acknowledged warning: chapter.no-author ×1",
        "cxbook check: ok (1 warning)",
    ]
    assert run_cli("check", str(root), "--strict").code == 1


def test_book_yaml_acknowledges_for_the_whole_project_and_strict_passes(
    tmp_path: Path
) -> None:
    root = project(tmp_path, "acknowledge:\n  - chapter.no-author\n")
    check = run_cli("check", str(root), "--strict")
    assert (check.code, lines(check.err)) == (0, [
        "2 acknowledged warnings: chapter.no-author ×2",
        "cxbook check: ok (no problems)",
    ])
    build = run_cli("build", str(root), "--strict", "-f", "epub")
    assert build.code == 0, build.err
    assert "2 acknowledged warnings: chapter.no-author ×2" in lines(build.err)
    assert "cxbook build: 1 file written in " in build.err
    quiet = run_cli("build", str(root), "--strict", "-f", "epub", "--quiet")
    assert (quiet.code, quiet.err, quiet.out) == (0, "", "")


def test_a_code_family_covers_its_codes(tmp_path: Path) -> None:
    root = project(
        tmp_path, "acknowledge: html  # raw HTML is removed on purpose\n",
        {"manuscript/01-one.md": chapter(
            "One", author="A. Writer",
            body="<script>x()</script>\n\n<p onclick='y()'>Hi</p>\n"),
         "manuscript/02-two.md": chapter(
            "Two", body="<iframe src='https://e.org'></iframe>\n")})
    result = run_cli("check", str(root))
    assert lines(result.err) == [
        f"manuscript/02-two.md:3:9: {NO_AUTHOR}",
        "3 acknowledged warnings: html.removed ×3",
        "cxbook check: ok (1 warning)",
    ]


def test_a_partial_word_is_no_family(tmp_path: Path) -> None:
    root = project(tmp_path, "acknowledge: [chapter.no]\n")
    result = run_cli("check", str(root))
    assert lines(result.err) == [
        "manuscript/01-one.md:3:9: " + NO_AUTHOR,
        "manuscript/02-two.md:3:9: " + NO_AUTHOR,
        "manuscript/book.yaml:3:15: warning: acknowledged code 'chapter.no' is not a code "
        "cxbook reports (did you mean 'chapter'?); copy the code shown in brackets at the end "
        "of the warning [acknowledge.unknown-code]",
        "cxbook check: ok (3 warnings)",
    ]


@pytest.mark.parametrize(("files", "code", "where"), [
    ({"manuscript/01-one.md": b"\xef\xbb\xbf" + chapter("One", author="A").encode()},
     "file.bom", "manuscript/01-one.md:1:1"),
    ({"manuscript/01-one.md": chapter("One", author="A", body="Hi,\x0b there.\n")},
     "file.control-character", "manuscript/01-one.md:8:4"),
    ({"manuscript/01-one.md": chapter("One", author="A", body="<b style='x'>Hi</b>\n")},
     "html.removed", "manuscript/01-one.md:8:1"),
    ({"manuscript/03-spare.md": chapter("Spare", author="A")},
     "book.unlisted-chapter", "manuscript/03-spare.md:1:1"),
    ({"course/01-one.yaml": "# DRAFT course file\ndiscussion: [Why?]\n"},
     "course.draft", "course/01-one.yaml:1:1"),
])
def test_every_kind_of_warning_can_be_acknowledged(
    tmp_path: Path, files: dict[str, str | bytes], code: str, where: str
) -> None:
    listed = "chapters: [01-one.md, 02-two.md]\n" if code == "book.unlisted-chapter" else ""
    root = project(tmp_path, listed, {"manuscript/02-two.md": chapter("Two", author="B")})
    write(root, {"manuscript/01-one.md": chapter("One", author="A"), **files})
    before = run_cli("check", str(root))
    assert [line.split(": warning: ")[0] for line in lines(before.err)[:-1]] == [where]
    assert before.err.splitlines()[0].endswith(f"[{code}]")
    book = root / "manuscript" / "book.yaml"
    book.write_text(book.read_text() + f"acknowledge: [{code}]\n")
    after = run_cli("check", str(root), "--strict")
    assert (after.code, lines(after.err)) == (0, [
        f"1 acknowledged warning: {code} ×1", "cxbook check: ok (no problems)"])


def test_a_warning_added_anywhere_needs_nothing_special(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that starts reporting a brand-new warning code: acknowledging it works at
    once, by code and by the file it is located in."""
    real = chapter_reader.parse_chapter

    def with_new_warning(text: str, path: str, stem: str, language: str,
                         diags: Diagnostics, **kw: int) -> chapter_reader.ParsedChapter | None:
        diags.warning(SourceLocation(path, 2), "a warning added later", "later.new-warning")
        return real(text, path, stem, language, diags, **kw)

    monkeypatch.setattr("cxbook.readers.project.parse_chapter", with_new_warning)
    root = project(tmp_path, "acknowledge: [chapter.no-author]\n",
                   {"manuscript/02-two.md": chapter("Two", extra="acknowledge: [later]\n")})
    result = run_cli("check", str(root), "--strict")
    assert lines(result.err) == [
        "manuscript/01-one.md:2:1: warning: a warning added later [later.new-warning]",
        "3 acknowledged warnings: chapter.no-author ×2, later.new-warning ×1",
        "cxbook check: failed (1 warning)",
    ]


def test_course_files_acknowledge_their_own_warnings(tmp_path: Path) -> None:
    draft = "# DRAFT course file for chapter 1\ndiscussion: [Why?]\n"
    root = project(tmp_path, "acknowledge: [chapter.no-author]\n",
                   {"course/01-one.yaml": draft, "course/02-two.yaml": draft,
                    "course/course.yaml": "title: Course\n"})
    assert lines(run_cli("check", str(root)).err) == [
        f"course/01-one.yaml:1:1: {DRAFT}",
        f"course/02-two.yaml:1:1: {DRAFT}",
        "2 acknowledged warnings: chapter.no-author ×2",
        "cxbook check: ok (2 warnings)",
    ]
    # the course file itself, or the chapter it belongs to
    write(root, {"course/01-one.yaml": draft + "acknowledge: course.draft\n",
                 "manuscript/02-two.md": chapter("Two", extra="acknowledge: [course]\n")})
    assert lines(run_cli("check", str(root)).err) == [
        "4 acknowledged warnings: chapter.no-author ×2, course.draft ×2",
        "cxbook check: ok (no problems)",
    ]
    # course.yaml's list covers every course file, and nothing outside course/
    write(root, {"course/01-one.yaml": draft, "manuscript/02-two.md": chapter("Two"),
                 "course/course.yaml": "title: Course\nacknowledge: [course.draft, chapter]\n",
                 "manuscript/book.yaml": BOOK})
    assert lines(run_cli("check", str(root)).err) == [
        f"manuscript/01-one.md:3:9: {NO_AUTHOR}",
        f"manuscript/02-two.md:3:9: {NO_AUTHOR}",
        "2 acknowledged warnings: course.draft ×2",
        "cxbook check: ok (2 warnings)",
    ]


def test_unknown_and_error_codes_are_located_warnings(tmp_path: Path) -> None:
    root = project(
        tmp_path, "acknowledge:\n  - chapter.no-autor\n  - image.missing\n  - htm\n",
        {"manuscript/01-one.md": chapter("One", extra="acknowledge: [chapter.no-author]\n",
                                         body="![A chart](images/chart.png)\n")})
    result = run_cli("check", str(root))
    assert result.code == 1
    assert lines(result.err) == [
        "manuscript/01-one.md:9:1: error: image 'manuscript/images/chart.png' not found; "
        "check the file name (names are case-sensitive) [image.missing]",
        f"manuscript/02-two.md:3:9: {NO_AUTHOR}",
        "manuscript/book.yaml:4:5: warning: acknowledged code 'chapter.no-autor' is not a code "
        "cxbook reports (did you mean 'chapter.no-author'?); copy the code shown in brackets "
        "at the end of the warning [acknowledge.unknown-code]",
        "manuscript/book.yaml:5:5: warning: 'image.missing' is the code of an error, and "
        "errors cannot be acknowledged: fix the problem, then remove this entry "
        "[acknowledge.error]",
        "manuscript/book.yaml:6:5: warning: acknowledged code 'htm' is not a code cxbook "
        "reports (did you mean 'html'?); copy the code shown in brackets at the end of the "
        "warning [acknowledge.unknown-code]",
        "1 acknowledged warning: chapter.no-author ×1",
        "cxbook check: failed (1 error, 4 warnings)",
    ]


def test_an_acknowledged_warning_that_no_longer_occurs_is_quiet(tmp_path: Path) -> None:
    root = project(tmp_path, "acknowledge: [chapter.no-author, file.bom]\n")
    assert lines(run_cli("check", str(root)).err) == [
        "2 acknowledged warnings: chapter.no-author ×2", "cxbook check: ok (no problems)"]


def test_acknowledge_must_be_codes(tmp_path: Path) -> None:
    root = project(tmp_path, "acknowledge: {chapter: no-author}\n")
    result = run_cli("check", str(root))
    assert result.code == 1
    assert lines(result.err)[-2] == (
        "manuscript/book.yaml:3:14: error: 'acknowledge' must be text, not a mapping "
        "[schema.type]")


def test_the_catalogue_of_codes_is_read_from_the_source() -> None:
    known = codes.known_codes()
    assert known["chapter.no-author"] == frozenset({"warning"})
    assert known["image.missing"] == frozenset({"error"})
    assert "" in known["chapter.too-large"]  # handed to a helper by keyword
    assert "file.too-large" in known  # a helper's default
    assert {"acknowledge.unknown-code", "acknowledge.error", "course.draft",
            "starter.example", "starter.course-id"} <= set(known)
    assert not {c for c in known if not codes.CODE_RE.match(c)}
    assert "book.yaml" not in known and "theme.yaml" not in known  # file names are no codes
    found = codes.codes_in_source(
        "def f(diags, code='a.default'):\n"
        "    diags.warning(loc, 'm', 'a.warned')\n"
        "    diags.error(loc, 'm', 'a.failed')\n"
        "    read(path, code='a.keyword')\n"
        "    CxbookError.single(loc, 'm', 'a.single')\n"
        "    Diagnostic(loc, Severity.WARNING, 'm', 'a.made')\n"
        "    print('not.a-code-because-not-given-as-one')\n")
    assert found == {"a.default": {""}, "a.warned": {"warning"}, "a.failed": {"error"},
                     "a.keyword": {""}, "a.single": {"error"}, "a.made": {""}}


def test_every_code_is_documented_with_its_severity() -> None:
    """docs/FORMAT.md lists every code cxbook reports, so that users can find the codes
    they acknowledge, and no code that it no longer reports."""
    text = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    table = text.split("\n## Diagnostic codes\n", 1)[1]
    rows = dict(re.findall(r"^\| `([a-z0-9.-]+)` \| (error|warning) \|", table, re.MULTILINE))
    known = codes.known_codes()
    missing = sorted(set(known) - set(rows))
    assert not missing, f"add these codes to 'Diagnostic codes' in docs/FORMAT.md: {missing}"
    assert sorted(set(rows) - set(known)) == []
    for code, severities in known.items():
        said = severities - {""}
        assert not said or rows[code] in said, (code, rows[code], said)
