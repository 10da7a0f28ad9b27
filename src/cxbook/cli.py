"""The command line. The one module that prints and chooses exit codes.

Exit status: 0 success; 1 the project has errors; 2 wrong usage; 3 an internal error
(a bug in cxbook); 130 interrupted.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from . import __version__
from .build import (
    PAPER_SIZES,
    RENDERERS,
    BuildOptions,
    WriteError,
    build,
    default_jobs,
    is_available,
    source_date,
)
from .cache import CACHE_DIR, BuildCache
from .diagnostics import CxbookError, Diagnostic, Severity, did_you_mean
from .readers import check_project

EXIT_OK, EXIT_PROJECT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cxbook", description="Compile republished articles into an EPUB, "
                     "print-ready PDFs and SCORM course bundles.")
    parser.add_argument("--version", action="version", version=f"cxbook {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal "
                        "errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p_build = sub.add_parser("build", help="build the outputs into dist/")
    p_build.add_argument("project", nargs="?", default=".", help="project folder (default: .)")
    p_build.add_argument("--format", "-f", action="append", dest="formats", metavar="F",
                         help="format to build (repeatable or comma-separated): "
                         + ", ".join(RENDERERS) + "; default: all")
    p_build.add_argument("--out", "-o", metavar="DIR", help="output folder (default: "
                         "PROJECT/dist)")
    p_build.add_argument("--paper", choices=sorted(PAPER_SIZES), help="page size of the "
                         "PDFs (default: the theme's)")
    p_build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p_build.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    p_build.add_argument("--jobs", "-j", type=int, metavar="N", help="processes to use: "
                         "formats render side by side, and a long PDF lays out its parts "
                         "side by side (default: the number of CPUs, at most 4)")
    p_build.add_argument("--no-cache", action="store_true", help="render everything anew "
                         "without reading or writing .cxbook-cache/")
    p_build.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_check = sub.add_parser("check", help="validate the project without writing outputs")
    p_check.add_argument("project", nargs="?", default=".")
    p_check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p_check.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_new = sub.add_parser("new", help="create a new project folder that builds as it is")
    p_new.add_argument("directory")
    p_new.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    p_draft = sub.add_parser("draft-course", help="draft course/<chapter>.yaml files for "
                             "chapters that have none")
    p_draft.add_argument("project", nargs="?", default=".")
    p_draft.add_argument("--chapter", action="append", metavar="STEM",
                         help="draft only this chapter (repeatable)")
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
    return parser


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for d in diagnostics:
        print(d.format(), file=sys.stderr)


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
    _, diags = check_project(Path(args.project))
    items = diags.sorted()
    _print_diagnostics(items)
    failed = diags.has_errors or (args.strict and bool(items))
    status = "failed" if failed else "ok"
    print(f"cxbook check: {status} ({_summary(items)})", file=sys.stderr)
    return EXIT_PROJECT if failed else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    formats = _parse_formats(args.formats)
    root = Path(args.project).resolve()
    out_dir = Path(args.out).resolve() if args.out else root / "dist"
    for protected in ("manuscript", "course", "themes"):
        if out_dir.is_relative_to(root / protected):
            raise UsageError(f"--out {args.out} is inside {protected}/; outputs never go "
                             "among the project's sources: choose another folder")
    cache = None if args.no_cache else BuildCache(root / CACHE_DIR)
    project, diags = check_project(root, cache)
    items = diags.sorted()
    _print_diagnostics(items)
    if project is None or (args.strict and items):
        print(f"cxbook build: failed ({_summary(items)}); nothing was written",
              file=sys.stderr)
        return EXIT_PROJECT
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
                             jobs=args.jobs or default_jobs(), strict=args.strict)
    renderer_warnings = list(dict.fromkeys(w for r in results for w in r.warnings))
    _print_diagnostics(renderer_warnings)
    items = items + renderer_warnings
    if not args.quiet:
        for path in written:
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            print(f"wrote {shown} ({path.stat().st_size / 1024:.0f} KB)")
        print(f"cxbook build: {len(written)} file{'s' if len(written) != 1 else ''} in "
              f"{time.perf_counter() - started:.1f} s ({_summary(items)})", file=sys.stderr)
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} exists and is not empty; give a new folder name")
    starter = Path(str(resources.files("cxbook") / "starter"))
    shutil.copytree(starter, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    print(f"created {target}: edit manuscript/ and course/, then run "
          f"'cxbook build {target}'")
    return EXIT_OK


def cmd_draft_course(args: argparse.Namespace) -> int:
    from .draft import draft_course

    project, diags = check_project(Path(args.project))
    _print_diagnostics(diags.sorted())
    if project is None:
        print(f"cxbook draft-course: failed ({_summary(diags.sorted())})", file=sys.stderr)
        return EXIT_PROJECT
    root = Path(args.project).resolve()
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


COMMANDS = {"build": cmd_build, "check": cmd_check, "new": cmd_new,
            "draft-course": cmd_draft_course, "import": cmd_import}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except UsageError as e:
        print(f"cxbook: usage error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except CxbookError as e:
        _print_diagnostics(e.diagnostics)
        print(f"cxbook: failed ({_summary(e.diagnostics)}); nothing was written",
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
