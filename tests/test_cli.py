"""The command line: exit codes, messages, check on the repository, new projects."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import cxbook

from conftest import NO_NOTICE, NO_SOURCE, REPO, run_cli

NO_AUTHOR = ("warning: the source names no author (author: null); the outputs will say so — "
             "add the author's name if the source gives it [chapter.no-author]")


def test_check_on_the_repository_counts_its_acknowledged_warnings() -> None:
    """Three chapters name no author, and four (the source articles carry none) name no
    source and no republishing notice: the chapters acknowledge it. course.yaml
    acknowledges that the Common Cartridge quizzes leave out a matching and an ordering
    question."""
    result = run_cli("check", str(REPO))
    assert result.code == 0
    assert result.err.splitlines() == [
        "13 acknowledged warnings: cc.question-left-out ×2, chapter.no-author ×3, "
        "chapter.no-notice ×4, chapter.no-source ×4",
        "cxbook check: ok (no problems)",
    ]
    assert run_cli("check", str(REPO), "--strict").code == 0


def test_check_without_argument_uses_the_current_folder() -> None:
    assert run_cli("check", cwd=REPO).code == 0


def test_strict_turns_warnings_into_failure(default_project_copy: Path) -> None:
    chapter = default_project_copy / "manuscript" / "03-change-manifestos.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text("\n".join(line for line in text.split("\n")
                                 if not line.startswith("acknowledge:")), encoding="utf-8")
    result = run_cli("check", str(default_project_copy), "--strict")
    assert result.code == 1
    assert result.err.splitlines() == [
        f"manuscript/03-change-manifestos.md:3:9: {NO_AUTHOR}",
        f"manuscript/03-change-manifestos.md:6:1: {NO_SOURCE}",
        f"manuscript/03-change-manifestos.md:6:1: {NO_NOTICE}",
        "10 acknowledged warnings: cc.question-left-out ×2, chapter.no-author ×2, "
        "chapter.no-notice ×3, chapter.no-source ×3",
        "cxbook check: failed (3 warnings)",
    ]


def test_broken_yaml_names_file_line_and_column(default_project_copy: Path) -> None:
    course = default_project_copy / "course" / "02-worry-less-do-more.yaml"
    lines = course.read_text().splitlines()
    lines[1] = lines[1] + ": : ["
    course.write_text("\n".join(lines) + "\n")
    result = run_cli("check", str(default_project_copy))
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.startswith("course/02-worry-less-do-more.yaml:2:")
    assert ": error: YAML syntax error" in first
    assert first.endswith("[yaml.syntax]")


def test_build_refuses_output_inside_sources(default_project_copy: Path) -> None:
    for folder in ("manuscript", "course"):
        result = run_cli("build", str(default_project_copy), "--out",
                         str(default_project_copy / folder / "out"))
        assert result.code == 2
        assert f"is inside {folder}/; outputs never go among the project's sources" in result.err
        assert not (default_project_copy / folder / "out").exists()


def test_usage_errors_exit_2() -> None:
    assert run_cli().code == 2
    unknown = run_cli("build", str(REPO), "-f", "epbu")
    assert unknown.code == 2
    assert unknown.err == ("cxbook: usage error: unknown format 'epbu' (did you mean 'epub'?); "
                           "the formats are: epub, pdf, workbook, facilitator, print, scorm12, "
                           "scorm2004, cc, cmi5\n")
    assert run_cli("frobnicate").code == 2
    assert run_cli("build", "--paper", "b5").code == 2


def test_missing_project_is_a_located_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path))
    assert result.code == 1
    assert result.err.startswith("manuscript/book.yaml:1:1: error: no manuscript/book.yaml in ")
    assert result.err.splitlines()[-1] == "cxbook check: failed (1 error)"


def test_a_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    (tmp_path / "my-book").mkdir()
    for command in ("check", "build", "draft-course"):
        result = run_cli(command, "my-bok", cwd=tmp_path)
        assert result.code == 2, result.err
        assert result.err == (
            "cxbook: usage error: the folder 'my-bok' does not exist (did you mean "
            "'my-book'?); give the folder that holds manuscript/book.yaml, or create a "
            "project with 'cxbook new my-bok'\n")
    (tmp_path / "notes.txt").write_text("x")
    result = run_cli("check", str(tmp_path / "notes.txt"))
    assert (result.code, result.err) == (2, (
        f"cxbook: usage error: '{tmp_path / 'notes.txt'}' is a file, not a project folder; "
        "give the folder that holds manuscript/book.yaml\n"))
    assert not (tmp_path / "my-bok").exists()


def test_help_describes_every_argument() -> None:
    for command, argument, words in (
        ("new", "directory", "the folder to create"),
        ("check", "project", "project folder, the one that holds manuscript/book.yaml"),
        ("draft-course", "project", "project folder, the one that holds"),
        ("build", "project", "project folder, the one that holds"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            run_cli(command, "--help")
        assert exit_info.value.code == 0
        text = " ".join(_help_text(command).split())
        assert f"{argument} {words}" in text, text
    build_help = " ".join(_help_text("build").split())
    assert ("pdf (the reader edition PDF), workbook (the participant workbook PDF), "
            "facilitator (the facilitator guide PDF)") in build_help
    assert "'-f pdf,workbook,facilitator' builds all three" in build_help


def _help_text(command: str) -> str:
    from cxbook.cli import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return str(sub.choices[command].format_help())  # type: ignore[attr-defined]


def test_a_partial_pdf_build_says_how_to_get_the_others() -> None:
    from cxbook.cli import _pdf_note

    assert _pdf_note(["pdf"]) == (
        "note: the PDFs are three formats, and only the reader edition PDF was built; add "
        "'-f workbook' for the participant workbook PDF and '-f facilitator' for the "
        "facilitator guide PDF")
    assert _pdf_note(["epub", "workbook", "facilitator"]) == (
        "note: the PDFs are three formats, and only the participant workbook PDF and the "
        "facilitator guide PDF were built; add '-f pdf' for the reader edition PDF")
    assert _pdf_note(["pdf", "workbook", "facilitator", "epub"]) is None
    assert _pdf_note(["epub", "scorm12"]) is None


def test_new_project_passes_check(tmp_path: Path) -> None:
    target = tmp_path / "staff-onboarding"
    created = run_cli("new", str(target))
    assert created.code == 0
    assert created.out.startswith(
        f"created {target}: a starter project for \"Staff Onboarding\" (course id "
        f"'staff-onboarding'); put your articles in {target}/manuscript/ in place of the two "
        "examples, then run '")
    assert created.out.endswith(f" build {target}'\n")
    assert (target / "manuscript" / "book.yaml").read_text().startswith(
        "title: Staff Onboarding\n")
    assert (target / "course" / "course.yaml").read_text().startswith(
        "title: Staff Onboarding — staff course\nid: staff-onboarding\n")
    result = run_cli("check", str(target))
    assert result.code == 0, result.err
    example = "is still the starter project's example; replace it with your own, or delete it"
    assert result.err.splitlines() == [
        f"course/01-first-article.yaml:1:1: warning: this course file {example} "
        "[starter.example]",
        f"manuscript/01-first-article.md:1:1: warning: this chapter {example} "
        "[starter.example]",
        f"manuscript/02-second-article.md:1:1: warning: this chapter {example} "
        "[starter.example]",
        "cxbook check: ok (3 warnings)",
    ]
    again = run_cli("new", str(target))
    assert again.code == 2
    assert "exists and is not empty" in again.err


def test_new_project_builds(tmp_path: Path) -> None:
    target = tmp_path / "starter"
    assert run_cli("new", str(target), "--title", "Service: the Basics").code == 0
    assert (target / "manuscript" / "book.yaml").read_text().startswith(
        'title: "Service: the Basics"\n')
    result = run_cli("build", str(target), "-f", "epub,scorm12", "--quiet")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (target / "dist").iterdir()) == [
        "service-the-basics-scorm12.zip", "service-the-basics.epub"]
    with zipfile.ZipFile(target / "dist" / "service-the-basics-scorm12.zip") as z:
        manifest = z.read("imsmanifest.xml").decode()
    assert '<manifest identifier="service-the-basics-scorm12"' in manifest
    assert '<organization identifier="service-the-basics-org">' in manifest
    assert "<title>Service: the Basics — staff course</title>" in manifest
    assert "my-collection" not in manifest and "My Collection" not in manifest


def test_every_new_project_has_its_own_course_id(tmp_path: Path) -> None:
    ids = set()
    for name in ("induction", "Induction 2", "überblick", "研修"):
        assert run_cli("new", str(tmp_path / name)).code == 0
        course = (tmp_path / name / "course" / "course.yaml").read_text(encoding="utf-8")
        ids.add(course.split("\nid: ", 1)[1].split("\n", 1)[0])
        assert run_cli("check", str(tmp_path / name)).code == 0
    assert len(ids) == 4
    assert {"induction", "induction-2", "uberblick"} <= ids


def test_the_starter_as_shipped_is_reported_as_placeholders(tmp_path: Path) -> None:
    starter = Path(cxbook.__file__).parent / "starter"
    shutil.copytree(starter, tmp_path / "copy")
    example = tmp_path / "copy" / "manuscript" / "01-first-article.md"
    example.rename(example.with_name("01-renamed.md"))  # renamed, still the example
    course_file = tmp_path / "copy" / "course" / "01-first-article.yaml"
    course_file.rename(course_file.with_name("01-renamed.yaml"))
    book = tmp_path / "copy" / "manuscript" / "book.yaml"
    book.write_text(book.read_text().replace("01-first-article.md", "01-renamed.md"))
    result = run_cli("check", str(tmp_path / "copy"))
    assert result.code == 0
    assert [line for line in result.err.splitlines() if "starter.example" not in line] == [
        "course/course.yaml:1:8: warning: the course title 'My Collection — staff course' is "
        "the starter project's; learners see it in the LMS, so give the course its own title "
        "[starter.course-title]",
        "course/course.yaml:2:5: warning: the course id 'my-collection' is the starter "
        "project's, so other projects made from the starter have it too and an LMS would take "
        "them for one course; give 'id' a value of this course's own (letters, digits, '-' "
        "and '_') [starter.course-id]",
        "manuscript/book.yaml:1:8: warning: the book title 'My Collection' is the starter "
        "project's; give the book its own title [starter.book-title]",
        "cxbook check: ok (6 warnings)",
    ]
    assert "manuscript/01-renamed.md:1:1: warning: this chapter is still" in result.err


def test_the_command_printed_by_new_works_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxbook import cli

    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "cxbook"
    script.write_text("#!/bin/sh\n")
    other = tmp_path / "elsewhere" / "cxbook"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(script), "new", "x"])
    monkeypatch.setattr(shutil, "which", lambda name: str(script))
    assert cli.cxbook_command() == "cxbook"  # the cxbook on PATH is this one
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.cxbook_command() == str(script)  # not on PATH: its full path
    monkeypatch.setattr(shutil, "which", lambda name: str(other))
    assert cli.cxbook_command() == str(script)  # another cxbook on PATH
    monkeypatch.chdir(bin_dir)
    monkeypatch.setattr(sys, "argv", ["./cxbook", "new", "x"])
    assert cli.cxbook_command() == str(script)  # relative as typed: made absolute
    monkeypatch.setattr(sys, "argv", [str(Path(cli.__file__).parent / "__main__.py")])
    assert cli.cxbook_command() == f"{sys.executable} -m cxbook"
    spaced = tmp_path / "my tools" / "cxbook"
    spaced.parent.mkdir()
    spaced.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(spaced)])
    assert cli.cxbook_command() == shlex.quote(str(spaced))


def test_python_m_cxbook_runs_the_command_line() -> None:
    result = subprocess.run([sys.executable, "-m", "cxbook", "--version"],
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, f"cxbook {cxbook.__version__}\n")
