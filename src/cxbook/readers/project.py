"""Reading a whole project folder into the model. The only input-side file I/O."""

from __future__ import annotations

import multiprocessing
import os
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from .. import scaffold
from ..cache import BuildCache, Bundle, alias, fingerprint
from ..codes import known_codes
from ..course import build_activities, build_course, session_warnings
from ..diagnostics import CxbookError, Diagnostic, Diagnostics, SourceLocation, did_you_mean
from ..glyphs import Coverage, missing_glyphs
from ..i18n import localizer
from ..markdown import resolve_asset_path
from ..model import Asset, Book, Chapter, ChapterActivities, Project, Theme
from ..printing import image_warnings
from ..transforms.links import check_links
from .book import BookSettings, book_slug, parse_book
from .chapter import MAX_CHAPTER_BYTES, ParsedChapter, parse_chapter
from .course import ChapterCourse, CourseSettings, parse_chapter_course, parse_course
from .text import decode_text, find_file, is_inside, read_limited
from .theme import load_theme

IMAGE_TYPES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
# A cover below this height is shown blurred by stores and reading systems, which ask for
# about 1600 x 2560 pixels (Kindle's own minimum is 625 x 1000).
MIN_COVER_HEIGHT = 1000
MAX_BOOK_YAML = 1024 * 1024
MAX_COURSE_YAML = 4 * 1024 * 1024
T = TypeVar("T")


def sniff_image(data: bytes) -> str | None:
    for media_type, magics in IMAGE_TYPES.items():
        if any(data.startswith(m) for m in magics):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:2048].lstrip()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels of a PNG, JPEG, GIF or WebP image, read from its header by
    Pillow; None for SVG (no pixel size) or an image Pillow cannot read."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return width, height


def _check_cover(cover: Asset | None, location: SourceLocation, diags: Diagnostics) -> None:
    """A located warning for a book-supplied cover too small for the stores."""
    size = image_size(cover.data) if cover is not None else None
    if cover is None or size is None or size[1] >= MIN_COVER_HEIGHT:
        return
    diags.warning(location, f"cover image 'manuscript/{cover.path}' is {size[0]} x {size[1]} "
                  f"pixels; below {MIN_COVER_HEIGHT} pixels high, stores and reading apps "
                  "(Kindle, Kobo, Google Play) show it blurred: use an image of about "
                  "1600 x 2560 pixels", "book.cover-too-small")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_project(root: Path, cache: BuildCache | None = None) -> Project:
    """Read and validate everything; raises CxbookError with all errors found."""
    project, diags = check_project(root, cache)
    diags.raise_if_errors()
    assert project is not None
    return project


def check_project(
    root: Path, cache: BuildCache | None = None
) -> tuple[Project | None, Diagnostics]:
    """Read and validate everything. ``cache`` keeps parsed chapters and activities between
    runs, keyed by their exact input (see cache.py). Acknowledged warnings are moved to
    ``Diagnostics.acknowledged``; ``Project.diagnostics`` holds the others."""
    diags = Diagnostics()
    project = _read(root.resolve(), diags, cache)
    diags.settle(known_codes)
    if project is not None:
        project = replace(project, diagnostics=tuple(diags.sorted()))
    return (None if diags.has_errors else project), diags


# Parsing is spread over worker processes from this many chapters on.
PARALLEL_PARSE_MIN = 24


def _parse_one(job: tuple[str, str, str], language: str
               ) -> tuple[ParsedChapter | None, list[Diagnostic]]:
    text, rel, stem = job
    local = Diagnostics()
    chapter = parse_chapter(text, rel, stem, language, local)
    return chapter, local.items


def _parse_chunk(jobs: list[tuple[str, str, str]], language: str
                 ) -> list[tuple[ParsedChapter | None, list[Diagnostic]]]:
    return [_parse_one(job, language) for job in jobs]


def _parse_chapters(
    jobs: list[tuple[str, str, str]], language: str, diags: Diagnostics,
    cache: Bundle | None, keys_by_stem: dict[str, str] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[ParsedChapter]:
    """Parse every chapter once: from the cache when its exact text was parsed before,
    otherwise in worker processes when there are many, calling ``meanwhile`` while they
    work. ``keys_by_stem`` receives each chapter's cache key (its exact input)."""
    results: list[tuple[ParsedChapter | None, list[Diagnostic]] | None] = [None] * len(jobs)
    keys: list[str] = []
    missing: list[int] = []
    for index, job in enumerate(jobs):
        key = fingerprint("chapter", language, *job) if cache is not None else ""
        keys.append(key)
        hit: object = cache.load("chapters", key) if cache is not None else None
        if isinstance(hit, tuple) and len(hit) == 2:
            results[index] = (hit[0], hit[1])
        else:
            missing.append(index)
    workers = min(os.cpu_count() or 1, 4)
    if len(missing) >= PARALLEL_PARSE_MIN and workers > 1 and \
            "fork" in multiprocessing.get_all_start_methods():
        size = -(-len(missing) // (workers * 4))
        chunks = [[jobs[i] for i in missing[at:at + size]]
                  for at in range(0, len(missing), size)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending = pool.map(_parse_chunk, chunks, [language] * len(chunks))
            if meanwhile is not None:
                meanwhile()
            done = [r for chunk in pending for r in chunk]
    else:
        done = [_parse_one(jobs[i], language) for i in missing]
        if meanwhile is not None:
            meanwhile()
    for index, made in zip(missing, done, strict=True):
        results[index] = made
        if cache is not None:
            cache.store("chapters", keys[index], made)
    parsed: list[ParsedChapter] = []
    for result in results:
        assert result is not None
        chapter, found = result
        diags.extend(found)
        if chapter is not None:
            parsed.append(chapter)
    if keys_by_stem is not None and cache is not None:
        keys_by_stem.update((job[2], key) for job, key in zip(jobs, keys, strict=True))
    return parsed


def _cached_activities(
    cache: Bundle | None,
    book: Book,
    settings: CourseSettings | None,
    chapter_courses: dict[str, ChapterCourse],
    input_keys: dict[str, str],
) -> Callable[[Chapter], ChapterActivities] | None:
    """Per-chapter activities, from the cache when their inputs are unchanged. A chapter is
    made from its file (whose parse key is in ``input_keys``) and its number; its course
    file and course.yaml are keyed by their text too ("course:" entries)."""
    if cache is None:
        return None

    def activities(chapter: Chapter) -> ChapterActivities:
        own = chapter_courses.get(chapter.stem)
        own_key = input_keys["course:" + chapter.stem] if own is not None else "-"
        settings_key = input_keys["course:"] if settings is not None else "-"
        key = fingerprint("activities", book.language, book.labels,
                          input_keys[chapter.stem], chapter.number, own_key, settings_key)
        hit = cache.load("activities", key)
        made: ChapterActivities
        if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], ChapterActivities):
            made, value_key = hit[0], str(hit[1])
        else:
            made = build_activities(chapter, own, settings, localizer(book))
            # Keyed by content: what is made from them stays cached while the chapter's
            # text changes and its activities do not.
            value_key = fingerprint("activities-value", made)
            cache.store("activities", key, (made, value_key))
        alias(made, value_key)
        return made

    return activities


def _cached_parse(
    cache: Bundle | None, kind: str, parts: tuple[str, ...], diags: Diagnostics,
    parse: Callable[[Diagnostics], T], keys: dict[str, str] | None = None,
    name: str = "",
) -> T:
    """``parse`` run once per exact input ``parts`` (text and names): its value and its
    diagnostics come back from the cache afterwards. ``keys[name]`` receives the key."""
    if cache is None:
        return parse(diags)
    key = fingerprint(kind, *parts)
    if keys is not None:
        keys[name] = key
    hit = cache.load(kind, key)
    if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[1], list):
        diags.extend(hit[1])
        value: T = hit[0]
        return value
    local = Diagnostics()
    made = parse(local)
    cache.store(kind, key, (made, local.items))
    diags.extend(local.items)
    return made


def _read(root: Path, diags: Diagnostics, cache: BuildCache | None) -> Project | None:
    """The project, read through the cache's "read" bundle (saved whatever happens)."""
    bundle = cache.bundle("read") if cache is not None else None
    try:
        return _read_project(root, diags, bundle)
    finally:
        if bundle is not None:
            bundle.save()


def _read_project(root: Path, diags: Diagnostics, cache: Bundle | None) -> Project | None:
    if not root.is_dir():
        raise CxbookError.single(SourceLocation(str(root)), "project folder not found; give "
                                 "the path of a folder that has manuscript/book.yaml",
                                 "project.missing")
    manuscript = root / "manuscript"
    book_file = manuscript / "book.yaml"
    if not book_file.is_file():
        raise CxbookError.single(
            SourceLocation("manuscript/book.yaml"),
            f"no manuscript/book.yaml in {root}; run 'cxbook new DIR' to create a project, "
            "or give the project folder as an argument",
            "project.no-book",
        )
    if not is_inside(manuscript, root) or not is_inside(book_file, root):
        raise CxbookError.single(
            SourceLocation("manuscript/book.yaml"),
            "manuscript/ or manuscript/book.yaml is a link that leads outside the project; "
            "copy the files into the project folder",
            "project.outside",
        )
    data = read_limited(book_file, "manuscript/book.yaml", diags, limit=MAX_BOOK_YAML,
                        what="book.yaml", advice="keep only the book's metadata in it")
    text = None if data is None else decode_text(
        data, "manuscript/book.yaml", diags, what="book.yaml",
        empty_hint="it needs at least 'title:' and 'language:'")
    settings = parse_book(text, "manuscript/book.yaml", diags) if text is not None else None
    if settings is None:
        return None
    diags.acknowledge(settings.acknowledge, None)
    starter = scaffold.starter_values()
    if settings.title == starter.book_title:
        diags.warning(settings.title_location, f"the book title '{settings.title}' is the "
                      "starter project's; give the book its own title", "starter.book-title")
    language = settings.language

    chapter_files, unlisted = _chapter_files(root, manuscript, settings, diags)
    jobs: list[tuple[str, str, str]] = []  # (text, path, stem)
    for name, listed_at in chapter_files:
        rel = f"manuscript/{name}"
        found, near = find_file(manuscript, name)
        path = found or manuscript / name
        if path.is_symlink() and not is_inside(path, root):
            diags.error(listed_at, f"chapter file {rel} is a link that leads outside the "
                        "project; copy the file into manuscript/", "book.chapter-outside")
            continue
        if found is None:
            there = (f"; there is manuscript/{near}, whose name differs in case (names are "
                     "case-sensitive), so write the name exactly as the file's") if near \
                else "; create it or remove it from 'chapters'"
            diags.error(listed_at, f"chapter file {rel} does not exist{there}",
                        "book.missing-chapter")
            continue
        rel = f"manuscript/{path.name}"
        raw = read_limited(path, rel, diags, limit=MAX_CHAPTER_BYTES, what="chapter",
                           advice="split it into several chapters", code="chapter.too-large")
        if raw is None:
            continue
        chapter_text = decode_text(raw, rel, diags, what="chapter",
                                   empty_hint="write its front matter and text, or remove "
                                   "the file")
        if chapter_text is None:
            continue
        _warn_if_example(chapter_text, rel, diags)
        jobs.append((chapter_text, rel, unicodedata.normalize("NFC", name[:-3])))
    input_keys: dict[str, str] = {}  # chapter stem or "course:<stem>" -> cache key
    # The theme and the course files are read while worker processes parse the chapters.
    read_meanwhile: list[tuple[Theme | None, CourseFiles]] = []

    course_texts: dict[str, str] = {}  # course file path -> text, for the glyph check

    def theme_and_course() -> None:
        theme = load_theme(settings.theme, root, diags, settings.theme_location)
        read_meanwhile.append((theme, _read_course(root, [stem for _, _, stem in jobs],
                                                   diags, cache, input_keys, course_texts)))

    every = _parse_chapters(jobs, language, diags, cache, input_keys,
                            meanwhile=theme_and_course)
    parsed = [p for p in every if not p.failed]
    theme, (course_settings, chapter_courses) = read_meanwhile[0]
    for ch in parsed:  # a chapter's list covers its file and its course file
        diags.acknowledge(ch.acknowledge, (f"manuscript/{ch.stem}.md",
                                           f"course/{ch.stem}.yaml", f"course/{ch.stem}.yml"))
    if course_settings is not None:  # course.yaml's list covers every course file
        diags.acknowledge(course_settings.acknowledge, ("course/",))
    for own in chapter_courses.values():
        diags.acknowledge(own.acknowledge, (own.location.path,))
    if course_settings is not None:
        _warn_if_starter_course(course_settings, diags)

    titles: dict[str, ParsedChapter] = {}
    for ch in parsed:
        key = ch.title.casefold()
        if key in titles:
            diags.error(ch.title_location, f"chapter title '{ch.title}' is also the title of "
                        f"manuscript/{titles[key].stem}.md; give each chapter its own title",
                        "book.duplicate-title")
        else:
            titles[key] = ch
    slugs: dict[str, str] = {}
    for ch in parsed:
        if ch.slug in slugs:
            diags.error(ch.title_location.at(1), f"chapter file names '{slugs[ch.slug]}.md' "
                        f"and '{ch.stem}.md' differ only in their number; rename one",
                        "book.duplicate-slug")
        slugs[ch.slug] = ch.stem

    assets = _collect_assets(root, manuscript, parsed, settings, diags)
    if settings.cover:
        _check_cover(assets.get(resolve_asset_path(settings.cover[0]) or ""),
                     settings.cover[1], diags)

    book = Book(
        title=settings.title,
        subtitle=settings.subtitle,
        editors=settings.editors,
        language=language,
        identifier=settings.identifier,
        publisher=settings.publisher,
        date=settings.date,
        description=settings.description,
        rights=settings.rights,
        cover=(resolve_asset_path(settings.cover[0]) if settings.cover else None),
        theme=settings.theme,
        slug=book_slug(settings.title),
        location=settings.location,
        print_edition=settings.print_edition,
        labels=settings.labels,
    )
    chapters = tuple(
        Chapter(
            stem=p.stem,
            slug=p.slug,
            number=i,
            title=p.title,
            attribution=p.attribution,
            body_html=p.body_html,
            footnotes=p.footnotes,
            headings=p.headings,
            targets=p.targets,
            links=p.links,
            images=tuple(dict.fromkeys(
                a for a in (resolve_asset_path(r.src) for r in p.image_refs) if a)),
            summary=p.summary,
            summary_html=p.summary_html,
            word_count=p.word_count,
            location=SourceLocation(f"manuscript/{p.stem}.md"),
            body_line=p.body_line,
            digest=p.digest,
            language=p.language,
        )
        for i, p in enumerate(parsed, start=1)
    )
    if book.print_edition is not None:
        diags.extend(image_warnings(
            book.print_edition, book.cover,
            [(a.path, a.data, a.location) for a in sorted(assets.values(), key=lambda a: a.path)],
            settings.cover[1] if settings.cover else None,
            {path for chapter in chapters for path in chapter.images}))
    if cache is not None:
        for chapter in chapters:  # a chapter is made from its file's text and its number
            alias(chapter, fingerprint("chapter-value", input_keys[chapter.stem],
                                       chapter.number))
    read = {c.stem for c in every}
    check_links(every, diags, unparsed=[f"{stem}.md" for _, _, stem in jobs
                                        if stem not in read] +
                [name for name, _ in chapter_files if name[:-3] not in read],
                unlisted=unlisted)
    if not chapters and not diags.has_errors:
        diags.error(settings.location, "the book has no chapters; add manuscript/*.md files "
                    "or list them under 'chapters'", "book.no-chapters")
    if theme is not None:
        coverage = Coverage(theme)
        for rel_path, file_text in [("manuscript/book.yaml", text or ""),
                                    *((rel, chapter_text) for chapter_text, rel, _ in jobs),
                                    *sorted(course_texts.items())]:
            diags.extend(missing_glyphs(coverage, rel_path, file_text))
    if diags.has_errors or theme is None:
        return None
    course = build_course(book, chapters, course_settings, chapter_courses,
                          activities=_cached_activities(cache, book, course_settings,
                                                        chapter_courses, input_keys))
    diags.extend(session_warnings(course, chapters, course_settings))
    return Project(
        root=str(root),
        book=book,
        chapters=chapters,
        course=course,
        theme=theme,
        assets=tuple(sorted(assets.values(), key=lambda a: a.path)),
        diagnostics=tuple(diags.sorted()),
    )


def _warn_if_example(text: str, rel: str, diags: Diagnostics) -> None:
    """A chapter or course file that is still one of the starter project's examples."""
    kind = scaffold.starter_values().examples.get(scaffold.text_digest(text))
    if kind is not None:
        diags.warning(SourceLocation(rel), f"this {kind} is still the starter project's "
                      "example; replace it with your own, or delete it", "starter.example")


def _warn_if_starter_course(settings: CourseSettings, diags: Diagnostics) -> None:
    """A course title or id that is still the starter's would reach the LMS manifest."""
    starter = scaffold.starter_values()
    if settings.title == starter.course_title and settings.title_location is not None:
        diags.warning(settings.title_location, f"the course title '{settings.title}' is the "
                      "starter project's; learners see it in the LMS, so give the course its "
                      "own title", "starter.course-title")
    if settings.id == starter.course_id and settings.id_location is not None:
        diags.warning(settings.id_location, f"the course id '{settings.id}' is the starter "
                      "project's, so other projects made from the starter have it too and an "
                      "LMS would take them for one course; give 'id' a value of this course's "
                      "own (letters, digits, '-' and '_')", "starter.course-id")


def _chapter_files(
    root: Path, manuscript: Path, settings: BookSettings, diags: Diagnostics
) -> tuple[list[tuple[str, SourceLocation]], list[str]]:
    """The chapter files in book order with where each is listed, and the .md files in
    manuscript/ that are not part of the book. Names compare in Unicode NFC."""
    on_disk = sorted(p.name for p in manuscript.glob("*.md") if not p.name.startswith("."))
    if settings.chapters is None:
        return [(n, SourceLocation(f"manuscript/{n}")) for n in on_disk], []
    listed = {unicodedata.normalize("NFC", name) for name, _ in settings.chapters}
    unlisted = []
    for name in on_disk:
        if unicodedata.normalize("NFC", name) not in listed:
            unlisted.append(name)
            diags.warning(SourceLocation(f"manuscript/{name}"), "this chapter file is not "
                          "listed under 'chapters' in book.yaml, so it is not built; add it "
                          "or move it out of manuscript/", "book.unlisted-chapter")
    return list(settings.chapters), unlisted


def _collect_assets(
    root: Path,
    manuscript: Path,
    chapters: list[ParsedChapter],
    settings: BookSettings,
    diags: Diagnostics,
) -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    limit = settings.max_image_mb * 1024 * 1024
    refs = [(ref.src, ref.alt, ref.location) for ch in chapters for ref in ch.image_refs]
    if settings.cover:
        refs.append((settings.cover[0], "cover", settings.cover[1]))
    for src, alt, loc in refs:
        if alt is None or not alt.strip():
            diags.error(loc, f"image '{src}' has no alt text; describe it for readers who "
                        "cannot see it: ![A short description](" + src + ")",
                        "image.no-alt")
        rel = resolve_asset_path(src)
        if rel is None:
            lowered = src.strip().lower()
            if lowered.startswith(("http:", "https:", "//", "ftp:")):
                diags.error(loc, f"remote image '{src}' is not fetched; download it into "
                            "manuscript/images/ and refer to it as images/<file name>",
                            "image.remote")
            elif lowered.startswith("data:"):
                diags.error(loc, "image is embedded as a data: address; save it as a file "
                            "in manuscript/images/ and refer to it as images/<file name>",
                            "image.data-url")
            else:
                diags.error(loc, f"image '{src}' is outside manuscript/; images must be "
                            "referenced by a relative path inside manuscript/, such as "
                            "images/figure.png", "image.outside")
            continue
        if rel in assets:
            continue
        found, near = find_file(manuscript, rel)
        if found is None:
            there = (f"; there is 'manuscript/{near}', whose name differs in case (names are "
                     "case-sensitive), so write the name exactly as the file's") if near \
                else "; check the file name (names are case-sensitive)"
            diags.error(loc, f"image 'manuscript/{rel}' not found{there}", "image.missing")
            continue
        path = found
        if not is_inside(path, root):
            diags.error(loc, f"image 'manuscript/{rel}' is a link that leads outside the "
                        "project; copy the image into manuscript/images/", "image.outside")
            continue
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if size > limit:
            diags.error(loc, f"image 'manuscript/{rel}' is {size / 1024 / 1024:.1f} MB, over "
                        f"the {settings.max_image_mb} MB limit; make it smaller or raise "
                        "'max_image_mb' in book.yaml", "image.too-large")
            continue
        data = read_limited(path, f"manuscript/{rel}", diags, limit=limit, what="this image",
                            advice="make it smaller or raise 'max_image_mb' in book.yaml",
                            code="image.too-large")
        if data is None:
            continue
        media_type = sniff_image(data)
        if media_type is None:
            diags.error(loc, f"'manuscript/{rel}' is not an image cxbook can use: its "
                        "content is not PNG, JPEG, GIF, WebP or SVG, whatever its name says; "
                        "save it in one of those formats", "image.not-an-image")
            continue
        if media_type == "image/svg+xml" and _svg_unsafe(data):
            diags.error(loc, f"SVG image 'manuscript/{rel}' contains scripts or event "
                        "handlers; remove them or export the image as PNG", "image.svg-script")
            continue
        assets[rel] = Asset(rel, media_type, data, loc)
    return assets


def _svg_unsafe(data: bytes) -> bool:
    return re.search(rb"<script|\son[a-z]+\s*=|javascript:|<foreignobject", data,
                     flags=re.IGNORECASE) is not None


CourseFiles = tuple[CourseSettings | None, dict[str, ChapterCourse]]


def _read_course(
    root: Path, stems: list[str], diags: Diagnostics, cache: Bundle | None = None,
    keys: dict[str, str] | None = None, texts: dict[str, str] | None = None,
) -> CourseFiles:
    folder = root / "course"
    settings = None
    chapter_courses: dict[str, ChapterCourse] = {}
    if not folder.is_dir():
        return None, {}
    if not is_inside(folder, root):
        diags.error(SourceLocation("course/course.yaml"), "course/ is a link that leads "
                    "outside the project; copy the course files into the project folder",
                    "course.outside")
        return None, {}
    main = folder / "course.yaml"
    if main.is_symlink() and not is_inside(main, root):
        diags.error(SourceLocation("course/course.yaml"), "course.yaml is a link that leads "
                    "outside the project; copy the file into course/", "course.outside")
    elif main.is_file():
        data = read_limited(main, "course/course.yaml", diags, limit=MAX_COURSE_YAML,
                            what="course.yaml", advice="shorten it")
        text = decode_text(data, "course/course.yaml", diags, what="course.yaml") \
            if data is not None else None
        if text is not None and texts is not None:
            texts["course/course.yaml"] = text
        if text is not None:
            settings = _cached_parse(
                cache, "course", ("course", text), diags,
                partial(parse_course, text, "course/course.yaml"), keys, "course:")
    known = {unicodedata.normalize("NFC", s): s for s in stems}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        if path.name == "course.yaml":
            continue
        rel = f"course/{path.name}"
        stem = known.get(unicodedata.normalize("NFC", path.stem), path.stem)
        same = [s for s in stems if s.casefold() == unicodedata.normalize(
            "NFC", stem).casefold()]
        if stem not in known and same:
            diags.error(SourceLocation(rel), f"course file {rel} matches no chapter: the "
                        f"chapter file is manuscript/{same[0]}.md, whose name differs in case "
                        "(names are case-sensitive); rename the course file to "
                        f"course/{same[0]}{path.suffix}", "course.unknown-chapter")
            continue
        if stem not in known:
            diags.error(SourceLocation(rel), f"course file {rel} matches no chapter: there "
                        f"is no manuscript/{stem}.md in the book{did_you_mean(stem, stems)}; "
                        "rename the file after its chapter", "course.unknown-chapter")
            continue
        if path.is_symlink() and not is_inside(path, root):
            diags.error(SourceLocation(rel), f"{rel} is a link that leads outside the "
                        "project; copy the file into course/", "course.outside")
            continue
        if not path.is_file():
            continue
        data = read_limited(path, rel, diags, limit=MAX_COURSE_YAML, what="this course file",
                            advice="split its activities up or shorten them")
        text = decode_text(data, rel, diags, what="course file") if data is not None else None
        if text is None:
            continue
        _warn_if_example(text, rel, diags)
        if texts is not None:
            texts[rel] = text
        parsed = _cached_parse(
            cache, "course", ("chapter-course", text, rel, stem), diags,
            partial(parse_chapter_course, text, rel, stem), keys, "course:" + stem)
        if parsed is not None:
            chapter_courses[stem] = parsed
    return settings, chapter_courses
