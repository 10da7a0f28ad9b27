"""cxbook benchmark: synthetic books of 5, 50 and 200 chapters, every format, side by side
with pandoc on the same Markdown, plus no-change and one-chapter rebuilds.

    python bench/run.py [--sizes 5,50,200] [--no-pandoc] [--no-pdf] [--out bench/RESULTS.md]

Prints, per size and format: wall time, peak memory (RSS of the process tree's largest
process), output size, and cxbook/pandoc ratios. Figures, not assertions: targets are
checked by reading them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "out"
FORMATS = ("epub", "pdf", "workbook", "facilitator", "scorm12", "scorm2004")
TARGET_WORDS_PER_CHAPTER = 1750  # 200 chapters ≈ 350,000 words
QUICK = 5.0  # runs shorter than this (seconds) are taken three times; the median is shown


@dataclass
class Run:
    seconds: float
    peak_mb: float  # the largest single process
    total_mb: float = 0.0  # all the command's processes at once (PSS), sampled
    size_kb: float | None = None


def _tree_memory_kb(root: int) -> int:
    """The memory of ``root`` and all its descendants together, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    # Proportional set size: pages a forked worker still shares with its parent count
    # once, split between them, not once per process as in RSS.
    total = 0
    for pid in tree:
        with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            total += int(next(line for line in rollup if line.startswith("Pss:")).split()[1])
    return total


def run_measured(cmd: list[str], *, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> Run:
    """Run a command; wall time, the peak RSS of its largest process (wait4) and the peak
    of all its processes together (sampled every 0.5 s from /proc by a thread)."""
    with tempfile.TemporaryFile() as errors:  # a full pipe would stall the command
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=errors)
        total_kb = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.5):
                total_kb[0] = max(total_kb[0], _tree_memory_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        if Path("/proc").is_dir():
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        stop.set()
        if sampler.is_alive():
            sampler.join()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}):\n{stderr[-2000:]}")
    # On Linux, wait4's ru_maxrss is the largest of the child and the descendants it
    # waited for (worker processes, pandoc's weasyprint).
    peak_mb = usage.ru_maxrss / 1024
    return Run(seconds, peak_mb, max(total_kb[0] / 1024, peak_mb))


# -- synthetic books ------------------------------------------------------------------


def _default_paragraphs() -> list[str]:
    paragraphs: list[str] = []
    for path in sorted((REPO / "manuscript").glob("*.md")):
        body = path.read_text("utf-8").split("\n---\n", 1)[1]
        for block in re.split(r"\n\s*\n", body):
            block = block.strip()
            if block and not block.startswith(("#", ">", "-", "|")):
                paragraphs.append(" ".join(block.split()))
    return paragraphs


def make_book(chapters: int, dest: Path) -> Path:
    """A deterministic book of ``chapters`` chapters made of the default articles' text,
    each with a course file taken from the default course."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "manuscript").mkdir(parents=True)
    (dest / "course").mkdir()
    paragraphs = _default_paragraphs()
    courses = sorted(p for p in (REPO / "course").glob("*.yaml") if p.name != "course.yaml")
    shutil.copy(REPO / "course" / "course.yaml", dest / "course" / "course.yaml")
    names = []
    cursor = 0
    for n in range(1, chapters + 1):
        stem = f"{n:03d}-chapter-{n}"
        names.append(f"{stem}.md")
        lines = [
            "---",
            f"title: Chapter {n} on service experiences",
            "author: Flavio Martins" if n % 3 else "author: null",
            "source:",
            "  publication: Win the Customer!",
            "notice: Republished with author's permission from original post.",
            "---",
            "",
        ]
        words = 0
        section = 0
        while words < TARGET_WORDS_PER_CHAPTER:
            if words >= section * 450:
                section += 1
                lines += [f"## Part {section} of chapter {n}", ""]
            text = paragraphs[cursor % len(paragraphs)]
            cursor += 1
            lines += [text, ""]
            words += len(text.split())
        (dest / "manuscript" / f"{stem}.md").write_text("\n".join(lines), "utf-8")
        shutil.copy(courses[(n - 1) % len(courses)], dest / "course" / f"{stem}.yaml")
    book = [
        f"title: Synthetic Service Book {chapters}",
        "language: en",
        "editor: The cxbook project",
        "date: 2026-01-01",
        "chapters:",
        *[f"  - {name}" for name in names],
    ]
    (dest / "manuscript" / "book.yaml").write_text("\n".join(book) + "\n", "utf-8")
    return dest


def make_tall_table_book(dest: Path) -> Path:
    """One chapter whose table has a row taller than a page: a cell of 700 words beside a
    narrow first column of day names (the layout case of long pasted tables)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "manuscript").mkdir(parents=True)
    words = ("the team greets every customer by name listens to the whole question before "
             "answering writes down what was promised and calls back within one working day "
             "so that nobody has to ask twice").split()
    cell = " ".join(words[i % len(words)] for i in range(700))
    rows = [("Monday", cell, "Briefing"), ("Tuesday", "Shadow a colleague.", "Notes"),
            ("Wednesday", "Role-play difficult calls.", "Feedback"),
            ("Thursday", "Review the complaints.", "Summary"), ("Friday", "Plan.", "Plan")]
    lines = ["---", "title: A Week of Service Training", "author: Ada Lovelace", "---", "",
             "The plan below has one day whose description runs longer than a page.", "",
             "| Day | What happens | Output |", "|---|---|---|",
             *[f"| {a} | {b} | {c} |" for a, b, c in rows], ""]
    (dest / "manuscript" / "01-week.md").write_text("\n".join(lines), "utf-8")
    (dest / "manuscript" / "book.yaml").write_text(
        "title: Tall Table\nlanguage: en\ndate: 2026-01-01\n", "utf-8")
    return dest


def measure_tall_table(lines: list[str], pandoc: bool) -> None:
    """The reader PDF of the one-chapter tall-table book, beside pandoc's."""
    book = make_tall_table_book(WORK / "book-tall-table")
    run = measure_cxbook(book, "pdf", WORK / "dist-tall-table")
    theirs = measure_pandoc(book, "pdf", WORK / "pandoc-tall-table") if pandoc else None
    words = len((book / "manuscript" / "01-week.md").read_text("utf-8").split())
    result_row(lines, 1, words, "pdf, a table row taller than a page", run, theirs)


def result_row(lines: list[str], chapters: int, words: int, label: str, run: Run,
               theirs: Run | None) -> None:
    """One row of the results table, printed and added to ``lines``."""
    ratio = f"{run.seconds / theirs.seconds:.2f}×" if theirs else "—"
    their_time = f"{theirs.seconds:.2f} s" if theirs else "—"
    line = (f"| {chapters} | {words:,} | {label} | {run.seconds:.2f} s "
            f"| {run.peak_mb:.0f} MB | {run.total_mb:.0f} MB | {run.size_kb:,.0f} KB "
            f"| {their_time} | {ratio} |")
    print(line, flush=True)
    lines.append(line)


def pandoc_markdown(book: Path) -> Path:
    """The same chapters as one Markdown file for pandoc (front matter turned into a
    heading and an attribution line)."""
    parts = []
    for path in sorted((book / "manuscript").glob("*.md")):
        _, front, body = path.read_text("utf-8").split("---\n", 2)
        title = re.search(r"^title: (.*)$", front, re.M)
        parts.append(f"# {title.group(1) if title else path.stem}\n\n{body}")
    out = book / "pandoc.md"
    out.write_text("\n\n".join(parts), "utf-8")
    return out


# -- measurements ---------------------------------------------------------------------


def cxbook_cmd() -> list[str]:
    return [sys.executable, "-m", "cxbook.cli"]


PDF_FORMATS = ("pdf", "workbook", "facilitator")


def measure_cxbook(book: Path, fmt: str, out: Path) -> Run:
    if out.exists():
        shutil.rmtree(out)
    # PDFs on A4, the page size WeasyPrint gives pandoc's HTML, so both lay out alike pages.
    paper = ["--paper", "a4"] if fmt in PDF_FORMATS else []
    cmd = [*cxbook_cmd(), "build", str(book), "-f", fmt, "--out", str(out), "--quiet",
           "--no-cache", *paper]
    run = run_measured(cmd)
    if run.seconds < QUICK:
        run = _median([run, run_measured(cmd), run_measured(cmd)])
    run.size_kb = sum(p.stat().st_size for p in out.iterdir()) / 1024
    return run


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def measure_pandoc(book: Path, fmt: str, out: Path) -> Run | None:
    try:
        import pypandoc  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    pandoc = pypandoc.get_pandoc_path()
    source = pandoc_markdown(book)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"pandoc.{fmt}"
    cmd = [pandoc, str(source), "-o", str(target), "--toc", "--metadata",
           f"title={book.name}"]
    if fmt == "pdf":
        cmd.append("--pdf-engine=weasyprint")
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    run = run_measured(cmd, env=env)
    if run.seconds < QUICK:
        run = _median([run, run_measured(cmd, env=env), run_measured(cmd, env=env)])
    run.size_kb = target.stat().st_size / 1024
    return run


def measure_rebuilds(lines: list[str]) -> None:
    """No-change rebuild of the default book (all formats) and a one-chapter change at 200
    chapters without the PDFs; each the median of three runs (a fraction of a second is
    at the mercy of whatever else the machine does)."""
    out = WORK / "default-dist"
    base = [*cxbook_cmd(), "build", str(REPO), "--out", str(out), "--quiet"]
    run_measured(base)  # warm the cache
    nochange = statistics.median(run_measured(base).seconds for _ in range(3))
    lines.append(f"| no-change rebuild, default book, all formats | {nochange:.2f} s "
                 f"| target < 0.5 s |")
    book = make_book(200, WORK / "book-200-incremental")
    formats = ["-f", "epub", "-f", "scorm12", "-f", "scorm2004"]
    cmd = [*cxbook_cmd(), "build", str(book), *formats, "--out", str(book / "dist"),
           "--quiet"]
    run_measured(cmd)
    chapter = book / "manuscript" / "100-chapter-100.md"
    times = []
    for n in range(3):
        chapter.write_text(chapter.read_text("utf-8") + f"\nOne more sentence ({n}).\n",
                           "utf-8")
        times.append(run_measured(cmd).seconds)
    lines.append(f"| one-chapter change, 200 chapters, EPUB + both SCORM "
                 f"| {statistics.median(times):.2f} s | target < 1 s |")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}){mem}, "
            f"Python {platform.python_version()}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5,50,200")
    parser.add_argument("--no-pandoc", action="store_true")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF formats")
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = [f for f in FORMATS if not (args.no_pdf and f in PDF_FORMATS)]
    WORK.mkdir(parents=True, exist_ok=True)
    lines = [
        "# cxbook benchmark results",
        "",
        f"Machine: {machine()}.",
        "",
        "Each cell is one cold run of one format (`--no-cache`, default `--jobs`: every CPU,",
        "up to 4; the PDFs lay out their parts side by side); runs under 5 s are the median",
        "of three. Ratios are cxbook / pandoc on the same Markdown (pandoc from the",
        "pypandoc-binary wheel, one process; its PDF via",
        "`--pdf-engine=weasyprint`, which lays it out on A4, so cxbook's PDFs are built with",
        "`--paper a4` here). Peak RSS is the largest process; total is the memory of all of",
        "a run's processes at once (proportional set size, sampled every 0.5 s).",
        "",
        "| chapters | words | format | cxbook time | peak RSS | total | size "
        "| pandoc time | ratio |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        book = make_book(size, WORK / f"book-{size}")
        words = sum(len(p.read_text("utf-8").split())
                    for p in (book / "manuscript").glob("*.md"))
        pandoc_pdf: Run | None = None

        def row(label: str, run: Run, theirs: Run | None, size: int = size,
                words: int = words) -> None:
            result_row(lines, size, words, label, run, theirs)

        for fmt in formats:
            run = measure_cxbook(book, fmt, WORK / f"dist-{size}-{fmt}")
            theirs = None
            if not args.no_pandoc and fmt in ("epub", "pdf"):
                theirs = measure_pandoc(book, fmt, WORK / f"pandoc-{size}")
                if fmt == "pdf":
                    pandoc_pdf = theirs
            row(fmt, run, theirs)
        if "pdf" in formats:
            # The same chapters without course files: the text pandoc is given (the reader
            # edition above adds every chapter's activities and the answer key).
            bare = WORK / f"book-{size}-chapters-only"
            if bare.exists():
                shutil.rmtree(bare)
            shutil.copytree(book / "manuscript", bare / "manuscript")
            run = measure_cxbook(bare, "pdf", WORK / f"dist-{size}-pdf-chapters-only")
            row("pdf, chapters only (no course)", run, pandoc_pdf)
        started = time.perf_counter()
        out = WORK / f"dist-{size}-all"
        if out.exists():
            shutil.rmtree(out)
        run_measured([*cxbook_cmd(), "build", str(book), "--out", str(out), "--quiet",
                      "--no-cache", *[x for f in formats for x in ("-f", f)]])
        line = (f"| {size} | {words:,} | all formats, one build | "
                f"{time.perf_counter() - started:.2f} s | | | | | |")
        print(line, flush=True)
        lines.append(line)
    if "pdf" in formats:
        measure_tall_table(lines, not args.no_pandoc)
    lines += ["", "| rebuild | time | target |", "|---|---:|---|"]
    measure_rebuilds(lines)
    print("\n".join(lines[-3:]))
    Path(args.out).write_text("\n".join(lines) + "\n", "utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
