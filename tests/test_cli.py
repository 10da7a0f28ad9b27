"""The command line: exit codes, messages, check on the repository, new projects."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, run_cli

NO_AUTHOR = ("warning: the source names no author (author: null); the outputs will say so — "
             "add the author's name if the source gives it [chapter.no-author]")


def test_check_on_the_repository_warns_once_per_chapter_without_author() -> None:
    result = run_cli("check", str(REPO))
    assert result.code == 0
    assert result.err.splitlines() == [
        f"manuscript/02-worry-less-do-more.md:3:9: {NO_AUTHOR}",
        f"manuscript/03-change-manifestos.md:3:9: {NO_AUTHOR}",
        f"manuscript/04-five-factors.md:3:9: {NO_AUTHOR}",
        "cxbook check: ok (3 warnings)",
    ]


def test_check_without_argument_uses_the_current_folder() -> None:
    assert run_cli("check", cwd=REPO).code == 0


def test_strict_turns_warnings_into_failure() -> None:
    result = run_cli("check", str(REPO), "--strict")
    assert result.code == 1
    assert result.err.splitlines()[-1] == "cxbook check: failed (3 warnings)"


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
                           "scorm2004\n")
    assert run_cli("frobnicate").code == 2
    assert run_cli("build", "--paper", "b5").code == 2


def test_missing_project_is_a_located_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path))
    assert result.code == 1
    assert result.err.startswith("manuscript/book.yaml:1:1: error: no manuscript/book.yaml in ")


def test_new_project_passes_check(tmp_path: Path) -> None:
    target = tmp_path / "starter"
    created = run_cli("new", str(target))
    assert created.code == 0
    assert (target / "manuscript" / "book.yaml").is_file()
    result = run_cli("check", str(target))
    assert result.code == 0, result.err
    assert result.err == "cxbook check: ok (no problems)\n"
    again = run_cli("new", str(target))
    assert again.code == 2
    assert "exists and is not empty" in again.err


def test_new_project_builds(tmp_path: Path) -> None:
    target = tmp_path / "starter"
    assert run_cli("new", str(target)).code == 0
    result = run_cli("build", str(target), "-f", "epub,scorm12", "--quiet")
    assert result.code == 0, result.err
    assert sorted(p.name for p in (target / "dist").iterdir()) == [
        "my-collection-scorm12.zip", "my-collection.epub"]
