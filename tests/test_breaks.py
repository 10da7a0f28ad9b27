"""Page-break rules of the built-in print stylesheet, read back from the PDFs' positions
(pdftotext -bbox-layout) on projects made to provoke them:

- tests/projects/tables: a row taller than a page (one cell of 700 words) and a table of
  60 short rows;
- tests/projects/breaks: three chapters ending in a note, tall exercise boxes, a long
  chapter title in the contents, session plans, an answer key and sources.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import copy_project, run_cli

pytestmark = pytest.mark.slow


@dataclass
class Line:
    page: int  # 0-based
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    words: list[tuple[float, float, str]]  # (xMin, xMax, text), left to right

    @property
    def text(self) -> str:
        return " ".join(w for _, _, w in self.words)


def read_lines(pdf: Path) -> list[Line]:
    """Every visual line of text (words side by side, table columns included), page by
    page, top to bottom."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines: list[Line] = []
    for index, page in enumerate(html.split("<page ")[1:]):
        rows: list[Line] = []
        for x_min, y_min, x_max, y_max, word in sorted(
                ((float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
                    r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                    r"([^<]*)<", page)), key=lambda t: (t[3], t[0])):
            middle = (y_min + y_max) / 2
            row = next((r for r in rows if r.y_min <= middle <= r.y_max), None)
            if row is None:
                row = Line(index, x_min, x_max, y_min, y_max, [])
                rows.append(row)
            row.words.append((x_min, x_max, word))
            row.x_min, row.x_max = min(row.x_min, x_min), max(row.x_max, x_max)
        for row in sorted(rows, key=lambda r: r.y_min):
            row.words.sort()
            lines.append(row)
    return lines


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


def pages_of(lines: list[Line], word: str) -> list[int]:
    return sorted({line.page for line in lines for _, _, w in line.words if w == word})


def _build(name: str, tmp: Path, *formats: str) -> dict[str, Path]:
    project = copy_project(name, tmp)
    out = tmp / "out"
    args = [a for f in formats for a in ("-f", f)]
    result = run_cli("build", str(project), "--no-cache", "--out", str(out), *args)
    assert result.code == 0, result.err
    return {f: next(out.glob(f"*{'' if f == 'pdf' else '-' + f}.pdf")) if f != "pdf" else
            next(p for p in out.glob("*.pdf") if not re.search(r"-(workbook|facilitator)\.pdf$",
                                                             p.name)) for f in formats}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> list[Line]:
    pdf = _build("tables", tmp_path_factory.mktemp("tables"), "pdf")["pdf"]
    return read_lines(pdf)


@pytest.fixture(scope="module")
def breaks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build("breaks", tmp_path_factory.mktemp("breaks"), "pdf", "workbook",
                  "facilitator")


# ---- Tables -----------------------------------------------------------------------------


def test_tall_row_has_the_header_on_every_page_of_the_table(tables: list[Line]) -> None:
    first = pages_of(tables, "Monday")
    last = pages_of(tables, "Tuesday")
    assert len(first) == 1 and len(last) == 1
    table_pages = range(first[0], last[0] + 1)
    assert len(table_pages) >= 3  # the 700-word cell runs over more than a page
    for page in table_pages:
        header = [line for line in tables if line.page == page
                  and line.text.split()[:3] == ["Day", "What", "happens"]]
        assert header, f"no table header on page {page + 1}"
    # The table starts on the chapter's opening page, under the paragraph before it.
    assert pages_of(tables, "CHAPTER")[0] == first[0]


def test_narrow_columns_keep_their_words_whole(tables: list[Line]) -> None:
    words = {w for line in tables for _, _, w in line.words}
    assert {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Briefing",
            "Output", "Feedback", "Summary"} <= words
    # No fragment of a day name anywhere ("Mo", "nday", "Wed…").
    assert not {w for w in words if re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri)\w{0,4}-?", w)
                and w not in {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}}


def test_short_rows_are_never_split(tables: list[Line]) -> None:
    for n in range(1, 61):
        first, last = pages_of(tables, f"r{n}first"), pages_of(tables, f"r{n}last")
        assert first == last and len(first) == 1, f"row {n} is split: {first} {last}"


# ---- Boxes, headings, notes ---------------------------------------------------------------


def _in_order(lines: list[Line], pattern: str) -> list[Line]:
    return [line for line in lines if re.search(pattern, line.text)]


@pytest.mark.parametrize("edition", ["pdf", "workbook", "facilitator"])
def test_exercise_boxes_are_not_split(breaks: dict[str, Path], edition: str) -> None:
    lines = read_lines(breaks[edition])
    titles = _in_order(lines, r"^(Practise the first minute|Write a promise)$")
    ends = _in_order(lines, r"^8\. Do step 8 of the exercise")
    assert len(titles) == len(ends) == 6
    for title, end in zip(titles, ends, strict=True):
        assert title.page == end.page, (title.text, title.page, end.page)


def test_session_headings_stay_with_their_plan(breaks: dict[str, Path]) -> None:
    lines = read_lines(breaks["facilitator"])
    headings = _in_order(lines, r"^Session \d+:")
    assert len(headings) == 3
    for heading in headings:
        table = next(line for line in lines if (line.page, line.y_min) > (
            heading.page, heading.y_min) and line.text.startswith("Step Kind Minutes"))
        assert table.page == heading.page, heading.text


@pytest.mark.parametrize("edition", ["pdf", "workbook", "facilitator"])
def test_no_heading_ends_a_page(breaks: dict[str, Path], edition: str) -> None:
    """The last line of text on a page (above the folio) is never a heading or a label."""
    lines = read_lines(breaks[edition])
    labels = {"PRACTISE", "DISCUSS", "LEARNING OBJECTIVES", "CHECK YOUR UNDERSTANDING",
              "Activities", "OBJECTIVES"}
    for page in sorted({line.page for line in lines}):
        body = [line for line in lines if line.page == page
                and not re.fullmatch(r"[0-9ivx]+", line.text)]
        assert body[-1].text not in labels, (edition, page + 1, body[-1].text)


def test_notes_are_printed_on_the_page_of_their_call(breaks: dict[str, Path]) -> None:
    lines = read_lines(breaks["pdf"])
    calls = _in_order(lines, r"The last sentence has a note")
    notes = _in_order(lines, r"^1\. A note that belongs")
    assert len(calls) == len(notes) == 3
    for call, note in zip(calls, notes, strict=True):
        assert call.page == note.page
        assert note.y_min > call.y_min  # at the foot, below its call


@pytest.mark.parametrize("edition", ["pdf", "workbook", "facilitator"])
def test_blank_pages_only_before_right_hand_openings(breaks: dict[str, Path],
                                                     edition: str) -> None:
    lines = read_lines(breaks[edition])
    count = page_count(breaks[edition])
    printed = {line.page for line in lines}
    blank = [page for page in range(count) if page not in printed]
    openings = {line.page for line in lines if line.text in ("CHAPTER 1", "CHAPTER 2",
                                                             "CHAPTER 3", "Session plan")}
    title_page = min(line.page for line in lines if line.text.startswith("Breaks in the")
                     and line.page > 0)
    for page in blank:
        assert page % 2 == 1, f"page {page + 1} is a blank recto"
        assert page + 1 in openings | {title_page}, f"page {page + 1} is blank for nothing"
    # The back matter follows on the next page, right or left.
    assert pages_of(lines, "Sources")[-1] - 1 in printed


def test_contents_numbers_share_one_right_edge(breaks: dict[str, Path]) -> None:
    lines = read_lines(breaks["pdf"])
    toc_page = next(line.page for line in lines if line.text == "Contents")
    entries = [line for line in lines if line.page == toc_page
               and re.fullmatch(r"\d+", line.words[-1][2])]
    assert len(entries) == 5  # three chapters, the answer key, the sources
    edges = {round(line.words[-1][1], 1) for line in entries}
    assert max(edges) - min(edges) < 0.5, edges
    for line in entries:
        # The number's line holds words of the title too, not only leader dots.
        assert any(re.search(r"[A-Za-z]", w) for _, _, w in line.words), line.text


def test_a_note_that_does_not_fit_takes_its_call_along(tmp_path: Path) -> None:
    """tests/projects/notes ends its first chapter with a call in the last lines of a
    right-hand page and a note too long to fit under it: with the stylesheet's old rule the
    note went alone to the empty left-hand page before the next chapter."""
    pdf = _build("notes", tmp_path, "pdf")["pdf"]
    lines = read_lines(pdf)
    call = _in_order(lines, r"This is where the note is called")
    note = _in_order(lines, r"^1\. A long note")
    assert len(call) == len(note) == 1
    assert call[0].page == note[0].page
    # And no page holds a note and nothing else.
    for page in {line.page for line in lines}:
        texts = [line.text for line in lines if line.page == page]
        assert not (any(t.startswith("1. A long note") for t in texts)
                    and not any("called" in t or "heard" in t for t in texts))


def test_a_word_too_long_for_its_column_breaks_inside_the_page(tables: list[Line]) -> None:
    """A URL or a long compound in a narrow column breaks where it must instead of pushing
    the table past the margin (the column stays as narrow as the other words allow)."""
    margin = 15 * 72 / 25.4  # the narrower page margin of print.css
    width = 148 * 72 / 25.4  # A5, the built-in theme's page
    for line in tables:
        for x_min, x_max, word in line.words:
            assert margin - 1 <= x_min and x_max <= width - margin + 1, (line.page, word)
    sunday = next(line for line in tables if line.words[0][2] == "Sunday")
    day_column = next(line for line in tables if line.words[0][2] == "Monday")
    # The long word starts where "Briefing" does: its column was not widened.
    assert abs(sunday.words[-1][0] - day_column.words[-1][0]) < 1
