"""Build orchestration: atomic writes, the output cache, parallel formats."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import pytest

from cxbook import build as build_module
from cxbook.output import OutputFile, reproducible_zip, safe_zip_name, write_outputs

from conftest import REPO, run_cli


@pytest.fixture
def fake_formats(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setitem(build_module.RENDERERS, "fake",
                        "support.fake_renderer:CountingRenderer")
    monkeypatch.setitem(build_module.RENDERERS, "other",
                        "support.fake_renderer:OtherRenderer")
    monkeypatch.setitem(build_module.RENDERERS, "busy",
                        "support.fake_renderer:BusyRenderer")
    log = tmp_path / "renders.log"
    monkeypatch.setenv("CXBOOK_TEST_RENDER_LOG", str(log))
    return log


def _renders(log: Path) -> list[str]:
    return log.read_text().split("\n")[:-1] if log.exists() else []


def test_unchanged_rebuild_renders_nothing_and_keeps_files(
    fake_formats: Path, default_project_copy: Path
) -> None:
    project = default_project_copy
    first = run_cli("build", str(project), "-f", "fake", "-f", "other", "--quiet")
    assert first.code == 0, first.err
    assert len(_renders(fake_formats)) == 2
    out = project / "dist" / "service-matters.fake.txt"
    mtime = out.stat().st_mtime_ns
    again = run_cli("build", str(project), "-f", "fake", "-f", "other", "--quiet")
    assert again.code == 0, again.err
    assert len(_renders(fake_formats)) == 2  # nothing rendered again
    assert out.stat().st_mtime_ns == mtime  # identical file not rewritten


def test_changed_chapter_or_option_renders_again(
    fake_formats: Path, default_project_copy: Path
) -> None:
    project = default_project_copy
    assert run_cli("build", str(project), "-f", "fake", "--quiet").code == 0
    chapter = project / "manuscript" / "02-worry-less-do-more.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence.\n")
    assert run_cli("build", str(project), "-f", "fake", "--quiet").code == 0
    assert run_cli("build", str(project), "-f", "fake", "--quiet", "--paper", "a4").code == 0
    assert len(_renders(fake_formats)) == 3
    assert "None" not in (project / "dist" / "service-matters.fake.txt").read_text()


def test_no_cache_always_renders(fake_formats: Path, default_project_copy: Path) -> None:
    for _ in range(2):
        assert run_cli("build", str(default_project_copy), "-f", "fake", "--quiet",
                       "--no-cache").code == 0
    assert len(_renders(fake_formats)) == 2
    assert not (default_project_copy / ".cxbook-cache").exists()


def test_formats_render_in_parallel_processes(
    fake_formats: Path, default_project_copy: Path
) -> None:
    result = run_cli("build", str(default_project_copy), "-f", "fake,other", "--jobs", "2",
                     "--no-cache", "--quiet")
    assert result.code == 0, result.err
    pids = {line.split()[0] for line in _renders(fake_formats)}
    assert len(_renders(fake_formats)) == 2
    assert str(os.getpid()) not in pids  # rendered in worker processes


def test_a_format_that_uses_several_processes_renders_alone_with_all_of_them(
    fake_formats: Path, default_project_copy: Path
) -> None:
    result = run_cli("build", str(default_project_copy), "-f", "fake,busy,other", "--jobs",
                     "4", "--no-cache", "--quiet")
    assert result.code == 0, result.err
    renders = {name: (pid, jobs) for pid, name, jobs in map(str.split, _renders(fake_formats))}
    assert renders["busy"] == (str(os.getpid()), "4")  # alone, before the others, all jobs
    assert renders["fake"][0] != str(os.getpid()) and renders["fake"][1] == "2"
    assert renders["other"][0] != str(os.getpid()) and renders["other"][1] == "2"
    assert _renders(fake_formats)[0].split()[1] == "busy"


def test_failing_renderer_leaves_previous_outputs_untouched(
    fake_formats: Path, default_project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = default_project_copy
    assert run_cli("build", str(project), "-f", "fake,other", "--quiet").code == 0
    dist = project / "dist"
    before = {p.name: p.read_bytes() for p in dist.iterdir()}
    chapter = project / "manuscript" / "01-positive-service-experiences.md"
    chapter.write_text(chapter.read_text() + "\nChanged.\n")
    monkeypatch.setenv("CXBOOK_TEST_RENDER_FAIL", "other")
    for jobs in ("1", "2"):
        result = run_cli("build", str(project), "-f", "fake,other", "--quiet", "--jobs", jobs)
        assert result.code == 3
        assert "internal error: RuntimeError: renderer failed on purpose" in result.err
        assert {p.name: p.read_bytes() for p in dist.iterdir()} == before


def test_progress_lines_and_quiet(fake_formats: Path, default_project_copy: Path) -> None:
    loud = run_cli("build", str(default_project_copy), "-f", "fake", "--no-cache")
    assert "  fake: rendering" in loud.err
    assert "wrote dist/service-matters.fake.txt" in loud.out
    quiet = run_cli("build", str(default_project_copy), "-f", "fake", "--no-cache", "-q")
    assert quiet.out == ""
    assert "rendering" not in quiet.err


def test_a_rebuild_says_which_files_it_wrote_and_which_were_unchanged(
    fake_formats: Path, default_project_copy: Path
) -> None:
    project = default_project_copy

    def listed(out: str) -> list[str]:
        return [re.sub(r" \(\d+ KB\)$", "", line) for line in out.splitlines()]

    first = run_cli("build", str(project), "-f", "fake,other", "--no-cache")
    assert listed(first.out) == ["wrote dist/service-matters.fake.txt",
                                 "wrote dist/service-matters.other.txt"]
    assert "cxbook build: 2 files written in " in first.err
    same = run_cli("build", str(project), "-f", "fake,other")
    assert listed(same.out) == ["unchanged dist/service-matters.fake.txt",
                                "unchanged dist/service-matters.other.txt"]
    assert "cxbook build: 0 files written, 2 unchanged in " in same.err
    # a file changed by hand is written again; the other is left alone
    (project / "dist" / "service-matters.other.txt").write_text("edited by hand\n")
    mixed = run_cli("build", str(project), "-f", "fake,other")
    assert listed(mixed.out) == ["unchanged dist/service-matters.fake.txt",
                                 "wrote dist/service-matters.other.txt"]
    assert "cxbook build: 1 file written, 1 unchanged in " in mixed.err


def test_source_date_epoch_and_fallbacks() -> None:
    from cxbook.readers import read_project

    book = read_project(REPO).book
    assert build_module.source_date(book, {"SOURCE_DATE_EPOCH": "0"}) == dt.datetime(
        1970, 1, 1, tzinfo=dt.UTC)
    assert build_module.source_date(book, {}) == dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def test_reproducible_zip_is_deterministic_and_ordered() -> None:
    when = dt.datetime(2024, 5, 1, 12, 0, 1, tzinfo=dt.UTC)
    entries = [("b.txt", b"b"), ("mimetype", b"application/epub+zip"), ("a/c.txt", b"c")]
    one = reproducible_zip(entries, when, first=["mimetype"], stored=["mimetype"])
    two = reproducible_zip(list(reversed(entries)), when, first=["mimetype"],
                           stored=["mimetype"])
    assert one == two
    with zipfile.ZipFile(__import__("io").BytesIO(one)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["mimetype", "a/c.txt", "b.txt"]
    assert infos[0].compress_type == zipfile.ZIP_STORED
    assert all(i.date_time == (2024, 5, 1, 12, 0, 0) for i in infos)


@pytest.mark.parametrize("name", ["../evil", "/abs", "a/../../b", "C:/x", ".."])
def test_unsafe_zip_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        safe_zip_name(name)


def test_write_outputs_failure_removes_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_bytes(b"old a")
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        write_outputs(tmp_path, [OutputFile("a.txt", b"new a"), OutputFile("b.txt", b"b")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_bytes() == b"old a"


def test_cache_entries_not_sealed_by_this_user_are_ignored(
    fake_formats: Path, default_project_copy: Path
) -> None:
    project = default_project_copy
    assert run_cli("build", str(project), "-f", "fake", "--quiet").code == 0
    entries = [p for p in (project / ".cxbook-cache").rglob("*") if p.is_file()]
    assert entries
    for entry in entries:  # a cache shipped with a project, or tampered with
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0xFF
        entry.write_bytes(bytes(data))
    assert run_cli("build", str(project), "-f", "fake", "--quiet").code == 0
    assert len(_renders(fake_formats)) == 2  # rendered again instead of trusting it
