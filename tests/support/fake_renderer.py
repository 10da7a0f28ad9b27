"""A tiny renderer for build tests: records each render in a log file named by
CXBOOK_TEST_RENDER_LOG, and fails on demand (CXBOOK_TEST_RENDER_FAIL)."""

from __future__ import annotations

import os
from pathlib import Path

from cxbook.build import BuildOptions
from cxbook.model import Book, Project
from cxbook.output import OutputFile


class CountingRenderer:
    name = "fake"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}.fake.txt"

    def render(self, project: Project, options: BuildOptions) -> list[OutputFile]:
        log = os.environ.get("CXBOOK_TEST_RENDER_LOG")
        if log:
            with Path(log).open("a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()} {self.name} {options.jobs}\n")
        if os.environ.get("CXBOOK_TEST_RENDER_FAIL") == self.name:
            raise RuntimeError("renderer failed on purpose")
        text = "\n".join(f"{c.number} {c.title} {c.digest}" for c in project.chapters)
        text += f"\n{options.source_date.isoformat()} {options.paper}\n"
        return [OutputFile(self.output_name(project.book), text.encode())]


class OtherRenderer(CountingRenderer):
    name = "other"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}.other.txt"


class BusyRenderer(CountingRenderer):
    """Says it can keep three processes busy, as a long PDF does."""

    name = "busy"

    def output_name(self, book: Book) -> str:
        return f"{book.slug}.busy.txt"

    def processes(self, project: Project) -> int:
        return 3
