"""cxbook benchmark: synthetic books of 5, 50 and 200 chapters, every format, side by side
with pandoc on the same Markdown, plus no-change and one-chapter rebuilds, and the live
preview's edit-to-browser time (cxbook serve, measured in Chromium).

    python bench/run.py [--sizes 5,50,200] [--no-pandoc] [--no-pdf] [--formats pdf,epub]
                        [--out bench/RESULTS.md]
    python bench/run.py --preview-only

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
import signal
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
    cpu: float = 0.0  # CPU seconds (user + system) of the command and its processes


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
    return Run(seconds, peak_mb, max(total_kb[0] / 1024, peak_mb),
               cpu=usage.ru_utime + usage.ru_stime)


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
    their_cpu = f"{theirs.cpu:.2f} s" if theirs else "—"
    cpu_ratio = f"{run.cpu / theirs.cpu:.2f}×" if theirs and theirs.cpu else "—"
    line = (f"| {chapters} | {words:,} | {label} | {run.seconds:.2f} s "
            f"| {run.peak_mb:.0f} MB | {run.total_mb:.0f} MB | {run.size_kb or 0:,.0f} KB "
            f"| {their_time} | {ratio} | {run.cpu:.2f} s | {their_cpu} | {cpu_ratio} |")
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


def measure_default_book(lines: list[str], pandoc: bool) -> None:
    """The repository's own book: its reader PDF beside pandoc's on the same chapters,
    and all its outputs in one cold build (each the median of three runs)."""
    out = WORK / "default-cold"
    book = WORK / "book-default-chapters"
    if book.exists():
        shutil.rmtree(book)
    shutil.copytree(REPO / "manuscript", book / "manuscript")
    words = sum(len(p.read_text("utf-8").split()) for p in book.glob("manuscript/*.md"))
    chapters = len(list(book.glob("manuscript/*.md")))
    run = measure_cxbook(REPO, "pdf", WORK / "dist-default-pdf")
    theirs = measure_pandoc(book, "pdf", WORK / "pandoc-default") if pandoc else None
    result_row(lines, chapters, words, "pdf, the default book", run, theirs)
    cmd = [*cxbook_cmd(), "build", str(REPO), "--out", str(out), "--quiet", "--no-cache"]
    runs = [run_measured(cmd) for _ in range(3)]
    best = _median(runs)
    best.size_kb = sum(p.stat().st_size for p in out.iterdir()) / 1024
    result_row(lines, chapters, words, "all formats, the default book, one build", best,
               None)


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
    # Every format after a one-sentence edit, against a cold build of every format: the
    # PDFs lay out only the parts whose content or first page changed.
    every = [*cxbook_cmd(), "build", str(book), "--out", str(book / "dist-all"), "--quiet"]
    shutil.rmtree(book / ".cxbook-cache", ignore_errors=True)
    cold = run_measured(every)  # with an empty cache: a cold build, which fills the cache
    chapter = book / "manuscript" / "137-chapter-137.md"
    edits = []
    for n in range(3):
        text = chapter.read_text("utf-8")
        at = text.index(". ", text.index("## Part 2")) + 1
        chapter.write_text(f"{text[:at]} One sentence more ({n}).{text[at:]}", "utf-8")
        edits.append(run_measured(every))
    edit = _median(edits)
    lines.append(f"| one-sentence edit, 200 chapters, all formats | {edit.seconds:.2f} s "
                 f"({edit.seconds / cold.seconds:.2f}× of {cold.seconds:.2f} s cold; CPU "
                 f"{edit.cpu:.1f} s, {edit.cpu / cold.cpu:.2f}× of {cold.cpu:.1f} s) "
                 f"| target ≤ 0.25× |")


def _serve(book: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``cxbook serve`` on ``book`` (any free port): the process, its address, and the
    lines it prints to stderr (filled by a thread)."""
    proc = subprocess.Popen([*cxbook_cmd(), "serve", str(book), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if " is at http://" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(600):
        proc.kill()
        raise RuntimeError("cxbook serve did not start:\n" + "\n".join(lines))
    url = re.search(r"is at (http://\S+/) ", next(x for x in lines if " is at " in x))
    assert url is not None
    return proc, url.group(1), lines


def measure_preview(lines: list[str], runs: int = 5) -> None:
    """`cxbook serve`: from saving a one-sentence edit to Chromium's reloaded page with the
    new text (its DOMContentLoaded; the page open at that chapter), on the default book and
    on the 200-chapter book; the median of ``runs`` edits, and the server's own rebuild
    time for them."""
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(REPO / "tests"))
    from support.lms_harness import launch_chromium

    default = WORK / "preview-default"
    if default.exists():
        shutil.rmtree(default)
    for name in ("manuscript", "course", "themes"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, default / name)
    books = [("default book (5 chapters)", default, "02-worry-less-do-more", "Stop it."),
             ("200 chapters", make_book(200, WORK / "book-200-preview"), "100-chapter-100",
              "Stop it.")]
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for label, book, stem, sentence in books:
                chapter = book / "manuscript" / f"{stem}.md"
                if sentence not in chapter.read_text("utf-8"):
                    sentence = chapter.read_text("utf-8").split("\n\n")[-1].split(". ")[0]
                proc, url, printed = _serve(book)
                page = browser.new_page()
                # When the reloaded document's text is there (Playwright's own polling of
                # a condition would add up to a few hundred ms of its own).
                loaded: list[float] = []
                page.on("domcontentloaded",
                        lambda _, loaded=loaded: loaded.append(time.perf_counter()))
                try:
                    slug = re.sub(r"^\d+[-_. ]*", "", stem)
                    page.goto(f"{url}book/ch-{slug}.xhtml")
                    expect(page.locator("html[data-cxbook-preview]")).to_have_count(1)
                    shown, rebuilt = [], []
                    for n in range(runs):
                        marker = f"One more sentence, edit {n}."
                        text = chapter.read_text("utf-8")
                        seen = len(printed)
                        started = time.perf_counter()
                        chapter.write_text(text.replace(sentence, f"{sentence} {marker}", 1),
                                           "utf-8")
                        expect(page.locator("body")).to_contain_text(marker, timeout=30_000)
                        shown.append(max(loaded) - started)
                        while not any("preview updated in" in x for x in printed[seen:]):
                            time.sleep(0.05)
                        line = next(x for x in printed[seen:] if "preview updated in" in x)
                        found = re.search(r"updated in ([0-9.]+) s", line)
                        assert found is not None
                        rebuilt.append(float(found.group(1)))
                        sentence = f"{sentence} {marker}"
                        time.sleep(0.5)
                finally:
                    page.close()
                    proc.send_signal(signal.SIGINT)
                    proc.wait(60)
                lines.append(f"| `serve`: one-sentence edit shown in the browser, {label} "
                             f"| {statistics.median(shown):.2f} s (rebuild "
                             f"{statistics.median(rebuilt):.2f} s) | target < 1 s |")
                print(lines[-1], flush=True)
        finally:
            browser.close()


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
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="the formats measured one by one (all of them by default)")
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    parser.add_argument("--rebuilds-only", action="store_true",
                        help="measure the rebuilds only (the table after the first)")
    parser.add_argument("--preview-only", action="store_true", help="measure only the live "
                        "preview (cxbook serve; needs Playwright and Chromium) and print it")
    args = parser.parse_args()
    if args.preview_only:
        WORK.mkdir(parents=True, exist_ok=True)
        measure_preview([])
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = [f for f in FORMATS if not (args.no_pdf and f in PDF_FORMATS)]
    alone = [f for f in args.formats.split(",") if f in formats]
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
        "a run's processes at once (proportional set size, sampled every 0.5 s). CPU is",
        "the user and system time of a run's processes together: on a machine that other",
        "work keeps busy, the CPU ratio is the steadier figure.",
        "",
        "| chapters | words | format | cxbook time | peak RSS | total | size "
        "| pandoc time | ratio | cxbook CPU | pandoc CPU | CPU ratio |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in [] if args.rebuilds_only else sizes:
        book = make_book(size, WORK / f"book-{size}")
        words = sum(len(p.read_text("utf-8").split())
                    for p in (book / "manuscript").glob("*.md"))
        pandoc_pdf: Run | None = None

        def row(label: str, run: Run, theirs: Run | None, size: int = size,
                words: int = words) -> None:
            result_row(lines, size, words, label, run, theirs)

        for fmt in alone:
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
        out = WORK / f"dist-{size}-all"
        if out.exists():
            shutil.rmtree(out)
        run = run_measured([*cxbook_cmd(), "build", str(book), "--out", str(out), "--quiet",
                            "--no-cache", *[x for f in formats for x in ("-f", f)]])
        run.size_kb = sum(p.stat().st_size for p in out.iterdir()) / 1024
        row("all formats, one build", run, None)
    if "pdf" in formats and not args.rebuilds_only:
        measure_default_book(lines, not args.no_pandoc)
        measure_tall_table(lines, not args.no_pandoc)
    lines += ["", "| rebuild | time | target |", "|---|---:|---|"]
    measure_rebuilds(lines)
    try:
        measure_preview(lines)
    except ImportError:  # Playwright comes with the test tools ('.[test]')
        lines.append("| `serve`: edit shown in the browser | not measured (no Playwright) | |")
    print("\n".join(lines[-5:]))
    Path(args.out).write_text("\n".join(lines) + "\n", "utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
