"""The command line. The one module that prints and chooses exit codes.

Exit status: 0 success; 1 the project has errors; 2 wrong usage; 3 an internal error
(a bug in cxbook); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import sys
import time
import traceback
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .build import (
    PAPER_SIZES,
    RENDERERS,
    BuildOptions,
    WriteError,
    build,
    check_formats,
    default_formats,
    default_jobs,
    is_available,
    source_date,
)
from .cache import CACHE_DIR, BuildCache
from .codes import known_codes
from .diagnostics import CxbookError, Diagnostic, Diagnostics, Severity, did_you_mean
from .readers import check_project
from .scaffold import create_project

EXIT_OK, EXIT_PROJECT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


# What each format is, for --help and for the note after a partial PDF build; a format
# missing here (a new registry entry) is simply listed by name.
FORMAT_NOTES = {
    "epub": "EPUB 3 for e-readers",
    "pdf": "the reader edition PDF",
    "workbook": "the participant workbook PDF",
    "facilitator": "the facilitator guide PDF",
    "scorm12": "SCORM 1.2 package",
    "scorm2004": "SCORM 2004 4th edition package",
}
PDF_EDITIONS = ("pdf", "workbook", "facilitator")
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000  # `serve`
PROJECT_HELP = ("project folder, the one that holds manuscript/book.yaml (default: the current "
                "folder)")


def _format_help() -> str:
    listed = ", ".join(f"{name} ({FORMAT_NOTES[name]})" if name in FORMAT_NOTES else name
                       for name in RENDERERS)
    return (f"format to build, repeatable or comma-separated (default: all): {listed}. "
            "The three PDFs are separate formats: '-f pdf,workbook,facilitator' builds all "
            "three")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cxbook", description="Compile republished articles into an EPUB, "
                     "print-ready PDFs and SCORM course bundles.")
    parser.add_argument("--version", action="version", version=f"cxbook {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal "
                        "errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p_build = sub.add_parser("build", help="build the outputs into dist/",
                             description="Check the project, then build the formats into "
                             "the output folder. Outputs whose bytes would not change are "
                             "left as they are.")
    p_build.add_argument("project", nargs="?", default=".", help=PROJECT_HELP)
    p_build.add_argument("--format", "-f", action="append", dest="formats", metavar="F",
                         help=_format_help())
    p_build.add_argument("--out", "-o", metavar="DIR", help="output folder (default: "
                         "PROJECT/dist)")
    p_build.add_argument("--paper", choices=sorted(PAPER_SIZES), help="page size of the "
                         "PDFs (default: the theme's)")
    p_build.add_argument("--strict", action="store_true", help="treat warnings as errors "
                         "(acknowledged warnings excepted)")
    p_build.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    p_build.add_argument("--jobs", "-j", type=int, metavar="N", help="processes to use: "
                         "formats render side by side, and a long PDF lays out its parts "
                         "side by side (default: the number of CPUs, at most 4)")
    p_build.add_argument("--no-cache", action="store_true", help="render everything anew "
                         "without reading or writing .cxbook-cache/")
    p_build.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_check = sub.add_parser("check", help="validate the project without writing outputs",
                             description="Read and validate every file of the project and "
                             "report each problem as file:line:column; writes nothing.")
    p_check.add_argument("project", nargs="?", default=".", help=PROJECT_HELP)
    p_check.add_argument("--format", "-f", action="append", dest="formats", metavar="F",
                         help="check also what this format can hold (repeatable or "
                         "comma-separated); default: all")
    p_check.add_argument("--strict", action="store_true", help="treat warnings as errors "
                         "(acknowledged warnings excepted)")
    p_check.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_new = sub.add_parser("new", help="create a new project folder that builds as it is",
                           description="Create a project folder from cxbook's starter: "
                           "book.yaml, two example chapters and a course. The book title, "
                           "the course title and the course id are made from the folder "
                           "name, or from --title.")
    p_new.add_argument("directory", help="the folder to create (it must not exist, or be "
                       "empty), e.g. my-book; its name gives the book title unless --title "
                       "is given")
    p_new.add_argument("--title", help="the book's title (default: made from the folder "
                       "name); the course title and course id are made from it")
    p_new.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_draft = sub.add_parser("draft-course", help="draft course/<chapter>.yaml files for "
                             "chapters that have none",
                             description="Write a starting course/<chapter>.yaml, marked as "
                             "a draft, for each chapter that has no course file; existing "
                             "files are never replaced.")
    p_draft.add_argument("project", nargs="?", default=".", help=PROJECT_HELP)
    p_draft.add_argument("--chapter", action="append", metavar="STEM",
                         help="draft only this chapter, named by its file name without .md "
                         "(repeatable)")
    p_draft.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_import = sub.add_parser("import", help="turn saved web pages and documents into "
                              "chapters with their credits")
    p_import.add_argument("sources", nargs="+", metavar="SOURCE", help="a web page saved by "
                          "a browser (its .html file), or an .html, .txt, .md or .docx file")
    p_import.add_argument("--into", default=".", metavar="PROJECT", help="the project to "
                          "add the chapters to (default: .)")
    p_import.add_argument("--draft-course", action="store_true", help="also draft a course "
                          "file for each imported chapter")
    p_import.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_serve = sub.add_parser("serve", help="live preview of the book and the course while "
                             "you write",
                             description="Serve a preview of the book (the EPUB's pages) "
                             "and of the course page, and rebuild what changed whenever a "
                             "project file is saved: open pages reload, problems show over "
                             "the page and in the terminal, and each chapter has a PDF "
                             "link. Runs until Ctrl-C.")
    p_serve.add_argument("project", nargs="?", default=".", help=PROJECT_HELP)
    p_serve.add_argument("--port", "-p", type=int, default=DEFAULT_PORT, metavar="N",
                         help=f"port to listen on (default: {DEFAULT_PORT}; 0: any free "
                         "port)")
    p_serve.add_argument("--host", default=DEFAULT_HOST, metavar="H",
                         help=f"address to listen on (default: {DEFAULT_HOST}, this "
                         "machine only); another address lets other machines see the "
                         "preview")
    p_serve.add_argument("--open", action="store_true", help="open the preview in the web "
                         "browser")
    p_serve.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for d in diagnostics:
        print(d.format(), file=sys.stderr)


def _report(diags: Diagnostics, *, quiet: bool = False) -> list[Diagnostic]:
    """Print every problem, then one line counting the acknowledged warnings; returns the
    problems (acknowledged warnings are not among them)."""
    items = diags.sorted()
    _print_diagnostics(items)
    summary = diags.acknowledged_summary()
    if summary and not quiet:
        print(summary, file=sys.stderr)
    return items


def _project_folder(value: str) -> Path:
    """The project folder argument, refused with a usage error when it is not a folder."""
    path = Path(value)
    if path.is_dir():
        return path
    if path.exists():
        raise UsageError(f"'{value}' is a file, not a project folder; give the folder that "
                         "holds manuscript/book.yaml")
    parent = path.parent if path.parent.is_dir() else None
    near = did_you_mean(path.name, [p.name for p in parent.iterdir() if p.is_dir()]) \
        if parent is not None else ""
    raise UsageError(f"the folder '{value}' does not exist{near}; give the folder that holds "
                     f"manuscript/book.yaml, or create a project with 'cxbook new {value}'")


def _summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) if parts else "no problems"


def _parse_formats(values: list[str] | None) -> list[str]:
    if not values:
        return list(RENDERERS)
    formats: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in RENDERERS:
                raise UsageError(f"unknown format '{name}'{did_you_mean(name, RENDERERS)}; "
                                 f"the formats are: {', '.join(RENDERERS)}")
            if name not in formats:
                formats.append(name)
    return formats


def cmd_check(args: argparse.Namespace) -> int:
    formats = _parse_formats(args.formats)
    project, diags = check_project(_project_folder(args.project))
    if project is not None:
        diags.extend(check_formats(project, formats))
        diags.settle(known_codes)
    items = _report(diags)
    failed = diags.has_errors or (args.strict and bool(items))
    status = "failed" if failed else "ok"
    print(f"cxbook check: {status} ({_summary(items)})", file=sys.stderr)
    return EXIT_PROJECT if failed else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    formats = _parse_formats(args.formats)
    root = _project_folder(args.project).resolve()
    out_dir = Path(args.out).resolve() if args.out else root / "dist"
    for protected in ("manuscript", "course", "themes"):
        if out_dir.is_relative_to(root / protected):
            raise UsageError(f"--out {args.out} is inside {protected}/; outputs never go "
                             "among the project's sources: choose another folder")
    cache = None if args.no_cache else BuildCache(root / CACHE_DIR)
    project, diags = check_project(root, cache)
    items = _report(diags, quiet=args.quiet)
    if project is None or (args.strict and items):
        print(f"cxbook build: failed ({_summary(items)}); nothing was written",
              file=sys.stderr)
        return EXIT_PROJECT
    if not args.formats:
        formats = default_formats(project)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    ready: list[str] = []
    for name in formats:
        if is_available(name):
            ready.append(name)
        else:
            print(f"cxbook: format '{name}' is not available in this version of cxbook yet; "
                  "skipped", file=sys.stderr)
    if not ready:
        print("cxbook build: none of the requested formats is available", file=sys.stderr)
        return EXIT_PROJECT

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"  {message}", file=sys.stderr, flush=True)

    options = BuildOptions(
        source_date=source_date(project.book),
        paper=PAPER_SIZES[args.paper] if args.paper else None,
        progress=progress,
        cache=cache,
    )
    started = time.perf_counter()
    written, results = build(project, ready, out_dir, options,
                             jobs=args.jobs or default_jobs(), strict=args.strict,
                             acknowledged=diags.is_acknowledged)
    # The renderers' warnings, acknowledged ones counted apart as the readers' are.
    later = diags.follow_up()
    later.extend(dict.fromkeys(w for r in results for w in r.warnings))
    later.settle(known_codes)
    items = items + _report(later, quiet=args.quiet)
    if not args.quiet:
        for item in written:
            path = item.path
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            print(f"{'wrote' if item.changed else 'unchanged'} {shown} "
                  f"({path.stat().st_size / 1024:.0f} KB)")
        changed = sum(1 for item in written if item.changed)
        same = len(written) - changed
        counts = f"{changed} file{'s' if changed != 1 else ''} written" + (
            f", {same} unchanged" if same else "")
        print(f"cxbook build: {counts} in {time.perf_counter() - started:.1f} s "
              f"({_summary(items)})", file=sys.stderr)
        note = _pdf_note(ready)
        if note:
            print(note, file=sys.stderr)
    return EXIT_OK


def _pdf_note(formats: Sequence[str]) -> str | None:
    """How to get the other PDFs when only some of the three were built."""
    built = [f for f in PDF_EDITIONS if f in formats]
    missing = [f for f in PDF_EDITIONS if f not in formats]
    if not built or not missing:
        return None
    done = " and ".join(FORMAT_NOTES[f] for f in built)
    add = " and ".join(f"'-f {f}' for {FORMAT_NOTES[f]}" for f in missing)
    return (f"note: the PDFs are three formats, and only {done} "
            f"{'was' if len(built) == 1 else 'were'} built; add {add}")


def cmd_new(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file; give a new folder name")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} exists and is not empty; give a new folder name")
    made = create_project(target, args.title)
    shown = shlex.quote(args.directory)
    print(f"created {args.directory}: a starter project for \"{made.title}\" (course id "
          f"'{made.course_id}'); put your articles in {args.directory}/manuscript/ in place "
          f"of the two examples, then run '{cxbook_command()} build {shown}'")
    return EXIT_OK


def cxbook_command() -> str:
    """How to run this cxbook again, as a command that works when typed: ``cxbook`` when
    that name on PATH is this installation; otherwise the running script's full path, or
    the running interpreter with ``-m cxbook``."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    found = shutil.which("cxbook")
    if found is not None and (
        (script is not None and script.exists() and os.path.samefile(found, script))
        or Path(os.path.realpath(found)).parent == Path(os.path.abspath(sys.executable)).parent
    ):
        return "cxbook"
    if script is not None and script.stem == "cxbook" and script.exists():
        return shlex.quote(os.path.abspath(script))
    return f"{shlex.quote(sys.executable)} -m cxbook"


def cmd_draft_course(args: argparse.Namespace) -> int:
    from .draft import draft_course

    root = _project_folder(args.project).resolve()
    project, diags = check_project(root)
    items = _report(diags)
    if project is None:
        print(f"cxbook draft-course: failed ({_summary(items)})", file=sys.stderr)
        return EXIT_PROJECT
    stems = [c.stem for c in project.chapters]
    for stem in args.chapter or []:
        if stem not in stems:
            raise UsageError(f"no chapter '{stem}'{did_you_mean(stem, stems)}; the chapters "
                             f"are: {', '.join(stems)}")
    for message in draft_course(project, root, args.chapter or None):
        print(message)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import missing_libraries

    root = Path(args.into)
    if not (root / "manuscript" / "book.yaml").is_file():
        raise UsageError(f"{args.into} is not a cxbook project (it has no manuscript/book.yaml);"
                         " give the project with --into, or make one with 'cxbook new DIR'")
    for source in args.sources:
        if not Path(source).exists():
            raise UsageError(f"no such file: {source}")
    missing = missing_libraries()
    if missing:
        raise UsageError("importing needs the libraries of cxbook's 'import' extra ("
                         + ", ".join(missing) + " missing); install them with: "
                         "pip install 'cxbook[import]' (in a checkout: pip install -e "
                         "'.[import]')")
    from .importers.run import draft_courses, import_sources

    result = import_sources([(Path(s), s) for s in args.sources], root)
    _print_diagnostics(result.warnings)
    for chapter in result.chapters:
        print(f"wrote {chapter}")
    if result.images:
        print(f"wrote {len(result.images)} image{'s' if len(result.images) != 1 else ''} "
              "into manuscript/images/")
    if result.book_yaml_changed:
        print("added to manuscript/book.yaml: " + ", ".join(
            Path(c).name for c in result.chapters))
    if args.draft_course:
        messages, problems = draft_courses(root, result.stems)
        _print_diagnostics(problems)
        for message in messages:
            print(message)
        if any(d.severity is Severity.ERROR for d in problems):
            print("cxbook import: imported, but the course was not drafted: the project has "
                  "errors; fix them, then run 'cxbook draft-course' with --chapter for "
                  "each new chapter", file=sys.stderr)
            return EXIT_PROJECT
    print(f"cxbook import: {len(result.chapters)} chapter"
          f"{'s' if len(result.chapters) != 1 else ''} ({_summary(result.warnings)}); "
          "review them, then run 'cxbook check'", file=sys.stderr)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .preview import Rebuild, Session

    root = _project_folder(args.project).resolve()
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port; give a number from 1 to 65535, "
                         "or 0 for any free port")

    def warn(diagnostic: Diagnostic) -> None:
        print(diagnostic.format(), file=sys.stderr, flush=True)

    try:
        session = Session(root, args.host, args.port, warn=warn)
    except OSError as e:
        raise UsageError(f"cannot listen on {args.host} port {args.port}: "
                         f"{e.strerror or e}; choose another with --port N (0: any free "
                         "port) or --host H") from e
    stopped: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        if stopped:  # asked twice: stop now
            raise KeyboardInterrupt
        stopped.append(signum)
        session.stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    shown: list[tuple[Diagnostic, ...]] = []

    def on_rebuild(result: Rebuild) -> None:
        if result.internal:
            print(f"cxbook serve: internal error: {result.internal}. This is a bug in "
                  "cxbook; please report it. The preview keeps its last good version",
                  file=sys.stderr)
            if args.debug:
                print(result.details, file=sys.stderr)
        if not shown or shown[-1] != result.problems:
            _print_diagnostics(result.problems)
            if result.acknowledged:
                print(result.acknowledged, file=sys.stderr)
            shown.append(result.problems)
        what = ", ".join(result.changed[:3]) + (
            f" and {len(result.changed) - 3} more" if len(result.changed) > 3 else "")
        head = f"changed {what}: " if result.changed else ""
        if result.current and not result.changed:
            state = f"preview made in {result.seconds:.2f} s"
        elif result.current:
            pages = len(result.updated)
            state = (f"preview updated in {result.seconds:.2f} s ({result.reread} chapter"
                     f"{'' if result.reread == 1 else 's'} read again, {pages} page"
                     f"{'' if pages == 1 else 's'} changed)")
        elif session.preview.site is not None:
            state = "the preview keeps its last version without errors"
        else:
            state = "no preview until the errors are fixed"
        print(f"cxbook serve: {head}{state} ({_summary(result.problems)})", file=sys.stderr,
              flush=True)

    try:
        first = session.start()
        if any(d.code in ("project.missing", "project.no-book") for d in first.problems):
            _print_diagnostics(first.problems)
            print("cxbook serve: failed (not a project folder)", file=sys.stderr)
            return EXIT_PROJECT
        on_rebuild(first)
        if not session.loopback:
            print(f"cxbook serve: warning: listening on {args.host}, which other machines "
                  "can reach: anyone on the network can read the preview; use the default "
                  f"--host {DEFAULT_HOST} to keep it on this machine", file=sys.stderr)
        print(f"cxbook serve: the preview of {root.name} is at {session.url} (the course "
              f"page at {session.url}course/); press Ctrl-C to stop", file=sys.stderr,
              flush=True)
        if args.open:
            webbrowser.open(session.url)
        session.serve(on_rebuild)
    finally:
        session.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("cxbook serve: stopped", file=sys.stderr)
    return 128 + stopped[0] if stopped else EXIT_OK


COMMANDS = {"build": cmd_build, "check": cmd_check, "new": cmd_new,
            "draft-course": cmd_draft_course, "import": cmd_import,
            "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    command = ""
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        command = args.command
        return COMMANDS[command](args)
    except UsageError as e:
        print(f"cxbook: usage error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except CxbookError as e:
        _print_diagnostics(e.diagnostics)
        print(f"cxbook{' ' + command if command else ''}: failed "
              f"({_summary(e.diagnostics)})"
              + ("; nothing was written" if command in ("build", "draft-course", "import")
                 else ""),
              file=sys.stderr)
        return EXIT_PROJECT
    except WriteError as e:
        print(f"cxbook: {e}; existing outputs were left as they were", file=sys.stderr)
        return EXIT_PROJECT
    except KeyboardInterrupt:
        print("cxbook: interrupted; existing outputs were left as they were", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # the one place that turns bugs into a message
        print(f"cxbook: internal error: {type(e).__name__}: {e}. This is a bug in cxbook; "
              "please report it with the command you ran"
              + ("" if debug else " (run again with --debug to see the traceback)"),
              file=sys.stderr)
        if debug:
            traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
