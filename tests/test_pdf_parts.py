"""PDF editions laid out in parts: where the parts are cut, and what a rebuild takes from
the build cache (each part's layout by its content, its PDF by its content, first page and
the page numbers it prints). A rebuild never changes a byte: it is compared with a build
without a cache each time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cxbook.build import BuildOptions
from cxbook.cache import CACHE_DIR, BuildCache
from cxbook.readers.project import read_project
from cxbook.renderers import pdf as pdf_renderer
from cxbook.renderers.pdf import (
    FacilitatorPdfRenderer,
    ReaderPdfRenderer,
    WorkbookPdfRenderer,
    busy_processes,
    plan_parts,
)
from cxbook.renderers.pdf_html import main_sections

from conftest import SOURCE_DATE_EPOCH

# Small enough to cut the default book into several parts.
PART_SIZE = 15_000
WHEN = dt.datetime.fromtimestamp(int(SOURCE_DATE_EPOCH), tz=dt.UTC)
LAID_OUT_RE = re.compile(r"pdf: part (\d+) of (\d+) laid out")


def _identities(groups: list[list[str]]) -> list[list[str]]:
    """Each part as the ids of the sections it opens with (the first 80 characters)."""
    return [[section.lstrip()[:80] for section in group] for group in groups]


@pytest.mark.parametrize("size", [PART_SIZE, pdf_renderer.PART_SIZE, 60_000])
@pytest.mark.parametrize("edition", ["reader", "workbook", "facilitator"])
def test_a_sentence_more_moves_no_part_boundary(size: int, edition: str) -> None:
    """Parts are cut by the sections' ids once big enough, not by the running total of the
    whole book: one more sentence anywhere changes one part and leaves the others whole."""
    project = read_project(Path(__file__).resolve().parents[1])
    sections = main_sections(project, edition)  # type: ignore[arg-type]
    before = plan_parts(sections, size)
    assert sum(len(group) for group in before) <= len(sections)
    for index, section in enumerate(sections):
        if "<p>" not in section:
            continue
        edited = sections.copy()
        edited[index] = section.replace("<p>", "<p>One sentence more, set at the start. ", 1)
        after = plan_parts(edited, size)
        assert _identities(after) == _identities(before), index
        changed = [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert len(changed) == 1, index


def test_parts_are_cut_into_runs_of_the_part_size() -> None:
    """Every part but the last holds at least the part size, and none holds more than
    twice that plus the section that crossed it."""
    sections = [f'<section class="chapter" id="ch-{n}-section">' + "x" * (1000 + 997 * n % 9000)
                + "</section>" for n in range(200)]
    groups = plan_parts(sections, 20_000)
    assert [s for group in groups for s in group] == sections
    sizes = [sum(len(s) for s in group) for group in groups]
    assert all(size >= 20_000 for size in sizes[:-1])
    assert all(size < 40_000 + 10_100 for size in sizes)
    assert 200_000 / 40_000 < len(groups) < 20 * 200


def _render(project_dir: Path, *, cache: bool, jobs: int = 1,
            renderer: type[ReaderPdfRenderer] | type[WorkbookPdfRenderer] = ReaderPdfRenderer,
            ) -> tuple[bytes, list[int], BuildCache | None]:
    """The edition's bytes, the parts laid out (their numbers, counted from 1) and the
    cache used (its per-kind hit and miss counts)."""
    messages: list[str] = []
    store = BuildCache(project_dir / CACHE_DIR) if cache else None
    options = BuildOptions(source_date=WHEN, progress=messages.append, cache=store, jobs=jobs)
    data = renderer().render(read_project(project_dir), options)[0].data
    laid = sorted(int(m.group(1)) for m in map(LAID_OUT_RE.match, messages) if m)
    return data, laid, store


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.slow
def test_an_edit_lays_out_only_the_part_it_is_in(default_project_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_renderer, "PART_SIZE", PART_SIZE)
    project = default_project_copy
    cold, laid, _ = _render(project, cache=True)
    count = len(plan_parts(main_sections(read_project(project), "reader")))
    assert count >= 3 and laid == list(range(1, count + 1))
    assert _render(project, cache=False)[0] == cold

    # A word for another of the same length: the page count stays, only its part changes.
    chapter = project / "manuscript" / "03-change-manifestos.md"
    _edit(chapter, " change ", " chance ")
    warm, laid, store = _render(project, cache=True)
    assert store is not None
    assert len(laid) == 1, laid
    assert store.kind_misses["pdf-layout"] == 1
    assert store.kind_hits["pdf-layout"] == count - 1
    assert store.kind_misses["pdf-part"] == 1  # the front matter and the others: cached
    assert warm != cold
    assert warm == _render(project, cache=False)[0]

    # Nothing changed: nothing is laid out; worker processes give the same bytes.
    again, laid, store = _render(project, cache=True, jobs=2)
    assert store is not None
    assert again == warm and laid == [] and store.kind_misses["pdf-part"] == 0


@pytest.mark.slow
def test_an_edit_that_moves_pages_rebuilds_the_same_bytes(
        default_project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paragraphs more in the first chapter push every later page on: the parts after it
    are laid out again with their new first page (and the answer key with the new pages
    of the questions), from the cache's layouts (made by worker processes); the bytes
    are those of a build without a cache."""
    monkeypatch.setattr(pdf_renderer, "PART_SIZE", PART_SIZE)
    project = default_project_copy
    cold, _, _ = _render(project, cache=True, jobs=2)
    chapter = project / "manuscript" / "01-positive-service-experiences.md"
    text = chapter.read_text(encoding="utf-8")
    paragraph = ("A new paragraph, long enough to take a few lines of the page, about how "
                 "a team keeps its promises to the customers it serves every day. ") * 4
    chapter.write_text(text.rstrip() + "\n\n" + (paragraph + "\n\n") * 6, encoding="utf-8")
    warm, laid, store = _render(project, cache=True)  # in this process: its progress
    assert store is not None
    # The chapter's part, and the next when the longer run now ends a section earlier.
    count = len(plan_parts(main_sections(read_project(project), "reader")))
    assert 1 <= store.kind_misses["pdf-layout"] <= 2 < count
    assert laid[0] == 1  # the first chapter's part
    assert warm != cold
    assert warm == _render(project, cache=False)[0]
    # The workbook prints no page numbers of other parts: its other parts keep theirs.
    _render(project, cache=True, renderer=WorkbookPdfRenderer)
    _edit(chapter, "keeps its promises", "keeps its word to")
    workbook, _, store = _render(project, cache=True, renderer=WorkbookPdfRenderer)
    assert store is not None and store.kind_misses["pdf-layout"] <= 1
    assert workbook == _render(project, cache=False, renderer=WorkbookPdfRenderer)[0]


def test_a_short_book_renders_beside_the_other_formats() -> None:
    """A book under ALONE_SIZE keeps one process busy (the build renders its PDFs side by
    side with the other formats); a long one keeps one per part."""
    project = read_project(Path(__file__).resolve().parents[1])
    for renderer in (ReaderPdfRenderer(), WorkbookPdfRenderer(), FacilitatorPdfRenderer()):
        assert renderer.processes(project) == 1
    sections = [f'<section class="chapter" id="ch-{n}-section">' + "x" * 18_000
                + "</section>" for n in range(60)]
    assert busy_processes(sections) == len(plan_parts(sections)) > 20
