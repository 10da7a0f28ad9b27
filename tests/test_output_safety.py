"""Output safety: a failed or interrupted build leaves every previous file in dist/ as it was;
zip entry names never escape the archive; --out never points among the sources."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import cxbook.build
from cxbook.build import available_formats
from cxbook.model import Book, Project
from cxbook.output import OutputFile, reproducible_zip, safe_zip_name, write_outputs

from conftest import run_cli

BOOK = "title: Test Book\nlanguage: en\n"
CHAPTER = "---\ntitle: One\nauthor: A. Writer\noriginal: true\n---\n\nHello, world.\n"
SENTINELS = {"test-book.fake": b"previous fake output\n",
             "test-book.broken": b"previous broken output\n",
             "notes.txt": b"kept by the user\n"}


# -- renderers for the tests, registered under test-only format names ------------------


class FakeRenderer:
    """Renders two files so that a failure between them can be simulated."""

    name = "fake"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}.fake"

    def render(self, project: Project, options: cxbook.build.BuildOptions) -> list[OutputFile]:
        return [OutputFile(self.output_name(project.book), b"new fake output\n"),
                OutputFile(f"{project.book.slug}.fake2", b"second new file\n")]


class BrokenRenderer:
    name = "broken"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}.broken"

    def render(self, project: Project, options: cxbook.build.BuildOptions) -> list[OutputFile]:
        raise RuntimeError("renderer bug")


class InterruptedRenderer(BrokenRenderer):
    name = "interrupted"

    def render(self, project: Project, options: cxbook.build.BuildOptions) -> list[OutputFile]:
        raise KeyboardInterrupt


@pytest.fixture(autouse=True)
def _test_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registers this module's renderers under test-only format names."""
    for name, cls in (("fake", "FakeRenderer"), ("broken", "BrokenRenderer"),
                      ("interrupted", "InterruptedRenderer")):
        monkeypatch.setitem(cxbook.build.RENDERERS, name, f"{__name__}:{cls}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text(BOOK, "utf-8")
    (root / "manuscript" / "01-one.md").write_text(CHAPTER, "utf-8")
    dist = root / "dist"
    dist.mkdir()
    for name, data in SENTINELS.items():
        (dist / name).write_bytes(data)
    return root


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its SHA-256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def untouched(project: Path) -> Iterator[None]:
    before = snapshot(project / "dist")
    yield
    assert snapshot(project / "dist") == before


# -- failed and interrupted builds -----------------------------------------------------


def test_successful_build_replaces_and_leaves_no_temporary_files(project: Path) -> None:
    result = run_cli("build", str(project), "-f", "fake", "--quiet")
    assert result.code == 0, result.err
    assert snapshot(project / "dist") == {
        "notes.txt": hashlib.sha256(b"kept by the user\n").hexdigest(),
        "test-book.broken": hashlib.sha256(b"previous broken output\n").hexdigest(),
        "test-book.fake": hashlib.sha256(b"new fake output\n").hexdigest(),
        "test-book.fake2": hashlib.sha256(b"second new file\n").hexdigest(),
    }


def test_renderer_exception_leaves_dist_untouched(project: Path, untouched: None) -> None:
    # fake renders fine, then broken raises: nothing at all is written.
    result = run_cli("build", str(project), "-f", "fake,broken", "--quiet")
    assert result.code == 3
    assert result.err.splitlines()[-1] == (
        "cxbook: internal error: RuntimeError: renderer bug. This is a bug in cxbook; please "
        "report it with the command you ran (run again with --debug to see the traceback)")
    assert "Traceback" not in result.err


def test_debug_shows_the_traceback(project: Path, untouched: None) -> None:
    result = run_cli("build", str(project), "-f", "broken", "--quiet", "--debug")
    assert result.code == 3
    assert "Traceback (most recent call last)" in result.err
    assert "RuntimeError: renderer bug" in result.err


def test_ctrl_c_while_rendering_leaves_dist_untouched(project: Path, untouched: None) -> None:
    result = run_cli("build", str(project), "-f", "fake,interrupted", "--quiet")
    assert result.code == 130
    assert result.err.strip().endswith(
        "cxbook: interrupted; existing outputs were left as they were")


def _fail_on_second_fsync(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise exc
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_full_disk_while_writing_leaves_dist_untouched(
    project: Path, untouched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_second_fsync(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), monkeypatch)
    result = run_cli("build", str(project), "-f", "fake", "--quiet")
    assert result.code != 0
    assert "No space left on device" in result.err


def test_full_disk_is_reported_as_a_write_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_second_fsync(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), monkeypatch)
    result = run_cli("build", str(project), "-f", "fake", "--quiet")
    assert result.code == 1
    assert "internal error" not in result.err
    assert "No space left on device" in result.err


def test_ctrl_c_while_writing_leaves_dist_untouched(
    project: Path, untouched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_second_fsync(KeyboardInterrupt(), monkeypatch)
    result = run_cli("build", str(project), "-f", "fake", "--quiet")
    assert result.code == 130


def test_write_outputs_failure_removes_its_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.bin").write_bytes(b"old a")
    real_fdopen = os.fdopen
    calls = {"n": 0}

    class FullDisk(io.RawIOBase):
        """A file whose writes fail as on a full disk; closing closes the descriptor."""

        def __init__(self, fd: int) -> None:
            self.fd = fd

        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fileno(self) -> int:
            return self.fd

        def close(self) -> None:
            if not self.closed:
                os.close(self.fd)
            super().close()

    def fdopen(fd: int, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            return FullDisk(fd)
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "fdopen", fdopen)
    files = [OutputFile("a.bin", b"new a"), OutputFile("b.bin", b"new b"),
             OutputFile("c.bin", b"new c")]
    with pytest.raises(OSError):
        write_outputs(tmp_path, files)
    monkeypatch.undo()
    assert snapshot(tmp_path) == {"a.bin": hashlib.sha256(b"old a").hexdigest()}


def test_bad_project_writes_nothing(project: Path, untouched: None) -> None:
    (project / "manuscript" / "01-one.md").write_text("---\ntitle: One\n", "utf-8")
    result = run_cli("build", str(project), "-f", "fake")
    assert result.code == 1
    assert "nothing was written" in result.err


# -- --out and usage errors ------------------------------------------------------------


@pytest.mark.parametrize("inside", ["manuscript", "course", "manuscript/images", "themes/x"])
def test_out_refuses_source_folders(project: Path, untouched: None, inside: str) -> None:
    (project / "course").mkdir()
    target = project / inside
    result = run_cli("build", str(project), "-f", "fake", "--out", str(target))
    assert result.code == 2
    top = inside.split("/")[0]
    assert result.err.strip() == (
        f"cxbook: usage error: --out {target} is inside {top}/; outputs never go among the "
        "project's sources: choose another folder")
    assert not any(p.suffix in (".fake", ".fake2") for p in (project / top).rglob("*"))


def test_out_refuses_a_link_into_the_sources(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "out-link"
    link.symlink_to(project / "manuscript", target_is_directory=True)
    before = snapshot(project / "manuscript")
    result = run_cli("build", str(project), "-f", "fake", "--out", str(link))
    assert result.code == 2
    assert snapshot(project / "manuscript") == before


@pytest.mark.parametrize(("args", "message"), [
    (["build", "-f", "nope"], "cxbook: usage error: unknown format 'nope'"),
    (["frobnicate"], "cxbook: usage error: argument COMMAND: invalid choice"),
    (["build", "--paper", "a0"], "cxbook: usage error: argument --paper: invalid choice"),
])
def test_usage_errors_exit_2(project: Path, untouched: None, args: list[str],
                             message: str) -> None:
    result = run_cli(*args, cwd=project)
    assert result.code == 2
    assert result.err.startswith(message)


# -- zip entry names -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "clean"), [
    ("a/b.txt", "a/b.txt"),
    ("./a//b.txt", "a/b.txt"),
    ("a\\b.txt", "a/b.txt"),
    ("a/../b.txt", "b.txt"),
])
def test_zip_names_are_normalized(name: str, clean: str) -> None:
    assert safe_zip_name(name) == clean


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/passwd",
                                  "\\evil.txt", "C:/evil.txt", "c:evil.txt", "..", ".", ""])
def test_zip_names_that_escape_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        safe_zip_name(name)
    with pytest.raises(ValueError):
        reproducible_zip([(name, b"x")], cxbook.build.source_date(_book()))


def _book() -> Book:
    from cxbook.diagnostics import SourceLocation

    return Book(title="T", subtitle=None, editors=(), language="en", identifier="urn:x",
                publisher=None, date=None, description=None, rights=None, cover=None,
                theme="default", slug="t", location=SourceLocation("manuscript/book.yaml"))


ZIP_FORMATS = [f for f in ("epub", "scorm12", "scorm2004", "cc")]


@pytest.mark.parametrize("fmt", ZIP_FORMATS)
def test_built_archives_have_safe_entry_names(fmt: str, default_build: Path) -> None:
    assert fmt in available_formats(), f"format {fmt} is not available"
    suffix = {"epub": ".epub", "cc": ".imscc"}.get(fmt, f"-{fmt}.zip")
    archives = [p for p in default_build.iterdir() if p.name.endswith(suffix)]
    assert len(archives) == (2 if fmt == "cc" else 1)
    for archive in archives:
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                assert safe_zip_name(info.filename) == info.filename.rstrip("/") or \
                    info.filename.endswith("/")
                assert not info.filename.startswith("/") and ".." not in info.filename.split(
                    "/")


def test_out_pointing_at_a_file_is_a_write_error(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("keep me")
    result = run_cli("build", str(project), "-f", "fake", "--quiet", "--out", str(target))
    assert result.code == 1
    assert result.err.endswith("; existing outputs were left as they were\n")
    assert result.err.startswith(f"cxbook: cannot write {target}: ")
    assert target.read_text() == "keep me"
