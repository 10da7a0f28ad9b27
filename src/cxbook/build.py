"""Building: the renderer registry, build options, and rendering formats into dist/."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .diagnostics import CxbookError, SourceLocation
from .model import Book, Project
from .output import OutputFile, write_outputs

# format name -> "module:class". Explicit; a module that is not there yet means the format
# is not available in this version (reported, never faked).
RENDERERS: dict[str, str] = {
    "epub": "cxbook.renderers.epub:EpubRenderer",
    "pdf": "cxbook.renderers.pdf:ReaderPdfRenderer",
    "workbook": "cxbook.renderers.pdf:WorkbookPdfRenderer",
    "facilitator": "cxbook.renderers.pdf:FacilitatorPdfRenderer",
    "scorm12": "cxbook.renderers.scorm:Scorm12Renderer",
    "scorm2004": "cxbook.renderers.scorm:Scorm2004Renderer",
}
PAPER_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5"}


@dataclass(frozen=True)
class BuildOptions:
    source_date: dt.datetime  # every date written into outputs
    paper: str | None = None  # CSS page size overriding the theme's, e.g. "A4"
    # Called with short progress messages ("pdf: chapter 3/5"); never required.
    progress: Callable[[str], None] | None = field(default=None, compare=False)


class Renderer(Protocol):
    name: str

    def output_name(self, book: Book) -> str: ...

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]: ...


class FormatUnavailable(Exception):
    pass


def load_renderer(name: str) -> Renderer:
    target = RENDERERS[name]
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise FormatUnavailable(name) from e
        raise
    renderer: Renderer = getattr(module, class_name)()
    return renderer


def available_formats() -> list[str]:
    out = []
    for name in RENDERERS:
        try:
            load_renderer(name)
        except FormatUnavailable:
            continue
        out.append(name)
    return out


def source_date(book: Book, environ: dict[str, str] | None = None) -> dt.datetime:
    """The date written into outputs: SOURCE_DATE_EPOCH when set, else the book's date,
    else 2000-01-01. Never the current time, so rebuilds are byte-identical."""
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is not None and raw.strip():
        try:
            return dt.datetime.fromtimestamp(int(raw.strip()), tz=dt.UTC)
        except (ValueError, OverflowError, OSError) as e:
            raise CxbookError.single(
                SourceLocation("SOURCE_DATE_EPOCH"),
                f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '{raw}'",
                "build.source-date",
            ) from e
    if book.date:
        parts = [int(p) for p in book.date.split("-")] + [1, 1]
        return dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.UTC)
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def render_formats(
    project: Project, formats: Sequence[str], options: BuildOptions
) -> list[OutputFile]:
    """Render every requested format in memory; nothing is written."""
    files: list[OutputFile] = []
    for name in formats:
        renderer = load_renderer(name)
        if options.progress:
            options.progress(f"{name}: rendering")
        files.extend(renderer.render(project, options))
    return files


def build(
    project: Project, formats: Sequence[str], out_dir: Path, options: BuildOptions
) -> list[Path]:
    """Render all formats, then write them all atomically: a failure in any renderer leaves
    every earlier output in ``out_dir`` as it was."""
    files = render_formats(project, formats, options)
    return write_outputs(out_dir, files)
