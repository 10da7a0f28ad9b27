"""Shared test fixtures: paths, the CLI runner, project copies."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from cxbook.cli import main

# CI runs the same examples every time (a property test never fails there by the luck of
# the draw); local runs draw new ones. Tests may still set their own settings.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
PROJECTS = Path(__file__).resolve().parent / "projects"
SOURCE_DATE_EPOCH = "1700000000"
# What check says about a republished chapter without a source or a notice (after the
# place): several tests' projects have such chapters.
NO_SOURCE = ("warning: republished chapter names no source: add 'source:' with the "
             "'publication' or 'url' where it first appeared, or 'original: true' if it was "
             "written for this book [chapter.no-source]")
NO_NOTICE = ("warning: republished chapter carries no republishing notice: add 'notice:' with "
             "the permission it is republished under, as the source gives it, or 'original: "
             "true' if it was written for this book [chapter.no-notice]")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
    """Run the cxbook CLI in-process and capture what it prints."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    return CliResult(code, out.getvalue(), err.getvalue())


def build_epub_file(project: Path, out: Path) -> Path:
    """Build ``project``'s EPUB into ``out`` through the CLI; its path."""
    result = run_cli("build", str(project), "--format", "epub", "--out", str(out), "--quiet")
    assert result.code == 0, result.err
    (epub,) = out.glob("*.epub")
    return epub


@pytest.fixture(autouse=True)
def _fixed_source_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)


@pytest.fixture
def default_project_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's own project (manuscript, course, themes)."""
    dest = tmp_path / "book"
    for name in ("manuscript", "course", "themes"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name)
    return dest


def copy_project(name: str, tmp_path: Path) -> Path:
    """A writable copy of tests/projects/<name>."""
    dest = tmp_path / name
    shutil.copytree(PROJECTS / name, dest)
    return dest


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (never a downloaded browser); one per test
    module."""
    from playwright.sync_api import sync_playwright

    from support.lms_harness import launch_chromium

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default book built once per session (all available formats) into a folder."""
    out = tmp_path_factory.mktemp("default-dist")
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    result = run_cli("build", str(REPO), "--out", str(out), "--quiet")
    assert result.code == 0, result.err
    yield out
