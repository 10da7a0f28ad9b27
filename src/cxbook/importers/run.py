"""Reading the sources, planning the chapter files and writing them (all or nothing)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from markdown_it import MarkdownIt

from ..diagnostics import CxbookError, Diagnostic, Diagnostics, Severity, SourceLocation
from ..readers.book import BookSettings, parse_book
from ..readers.chapter import parse_chapter
from ..readers.text import decode_text
from ..render.names import portable_name
from ..transforms.normalize import chapter_slug
from .article import Article
from .bookfile import BookYamlError, add_chapters
from .convert import ImageNamer, to_markdown
from .documents import read_docx, read_markdown, read_text
from .sources import read_source
from .web import read_page

MEDIA_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
                    "image/webp": ".webp", "image/svg+xml": ".svg"}
MAX_SLUG = 50
NUMBER_PREFIX = re.compile(r"^(\d+)[-_ ]")
# Warnings the chapter reader gives for what the import has already reported.
ALREADY_REPORTED = frozenset({"chapter.no-author", "chapter.no-notice"})


@dataclass
class ImportResult:
    """What an import wrote (manuscript-relative paths) and the warnings it gave."""

    chapters: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    book_yaml_changed: bool = False
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def stems(self) -> list[str]:
        return [Path(c).stem for c in self.chapters]


@dataclass
class _Planned:
    name: str  # file name in manuscript/
    text: str
    images: list[tuple[str, bytes]]  # manuscript-relative path, content


def import_sources(sources: list[tuple[Path, str]], root: Path) -> ImportResult:
    """Import ``sources`` (each a path and the name messages show for it) into the project
    at ``root``: one chapter each, in the order given. Raises :class:`CxbookError` with
    every problem found, having written nothing."""
    root = root.resolve()
    manuscript = root / "manuscript"
    diags = Diagnostics()
    book_path = manuscript / "book.yaml"
    book_text, settings = _read_book(book_path, diags)
    if settings is None or book_text is None:
        raise CxbookError(diags.sorted())
    existing = _existing_chapters(manuscript, settings)
    number, width = _next_number(existing)
    stems = {Path(n).stem for n in existing}
    slugs = {chapter_slug(s) for s in stems}
    taken_images = _existing_images(manuscript)
    planned: list[_Planned] = []
    for path, shown in sources:
        article = _read(path, shown, diags)
        if article is None:
            continue
        plan = _plan(article, shown, number, width, slugs, taken_images, settings, diags)
        if plan is not None:
            planned.append(plan)
            stems.add(Path(plan.name).stem)
            number += 1
    if diags.has_errors:
        raise CxbookError(diags.sorted())
    names = [p.name for p in planned]
    try:
        new_book = add_chapters(book_text, names)
    except BookYamlError as e:
        diags.error(SourceLocation("manuscript/book.yaml"), str(e), "import.book-yaml")
        raise CxbookError(diags.sorted()) from e
    _commit(manuscript, planned, book_path, new_book if new_book != book_text else None)
    return ImportResult(
        chapters=[f"manuscript/{p.name}" for p in planned],
        images=[f"manuscript/{path}" for p in planned for path, _ in p.images],
        book_yaml_changed=new_book != book_text,
        warnings=diags.sorted(),
    )


def _read_book(path: Path, diags: Diagnostics) -> tuple[str | None, BookSettings | None]:
    shown = "manuscript/book.yaml"
    try:
        data = path.read_bytes()
    except OSError as e:
        diags.error(SourceLocation(shown), f"cannot read book.yaml ({e.strerror or e}); "
                    "import into a cxbook project (make one with 'cxbook new')",
                    "import.no-project")
        return None, None
    text = decode_text(data, shown, diags, what="book.yaml")
    if text is None:
        return None, None
    book = Diagnostics()
    settings = parse_book(text, shown, book)
    if book.has_errors or settings is None:
        diags.extend(book.errors)
        diags.error(SourceLocation(shown), "book.yaml has errors; fix them before importing "
                    "('cxbook check' lists them)", "import.book-yaml")
        return None, None
    return data.decode("utf-8-sig"), settings


def _existing_chapters(manuscript: Path, settings: BookSettings) -> list[str]:
    on_disk = sorted(p.name for p in manuscript.glob("*.md") if not p.name.startswith("."))
    listed = [name for name, _ in settings.chapters or ()]
    return list(dict.fromkeys(listed + on_disk))


def _next_number(names: list[str]) -> tuple[int, int]:
    """The number after the highest chapter number in use, and the width to write it in
    (two digits at least, as many as the existing names use)."""
    numbers = [(int(m.group(1)), len(m.group(1))) for n in names
               if (m := NUMBER_PREFIX.match(n))]
    if not numbers:
        return 1, 2
    return max(n for n, _ in numbers) + 1, max(2, *(w for _, w in numbers))


def _existing_images(manuscript: Path) -> set[str]:
    folder = manuscript / "images"
    if not folder.is_dir():
        return set()
    return {p.relative_to(manuscript).as_posix().lower() for p in folder.rglob("*")}


def _read(path: Path, shown: str, diags: Diagnostics) -> Article | None:
    if not path.exists():
        diags.error(SourceLocation(shown), "no such file; check the path", "import.not-found")
        return None
    source = read_source(path, shown, diags)
    if source is None:
        return None
    if source.kind == "html":
        return read_page(source, diags)
    if source.kind == "docx":
        return read_docx(source.path, shown, source.data, diags)
    if source.kind == "markdown":
        return read_markdown(source.path, shown, source.data, diags)
    return read_text(shown, source.data, diags)


def slugify(title: str) -> str:
    """A file-name slug: ASCII letters and digits joined by hyphens, at most 50 characters
    (cut at a hyphen); "chapter" when nothing is left."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG + 1].rsplit("-", 1)[0]
    return slug or "chapter"


def _plan(article: Article, shown: str, number: int, width: int, slugs: set[str],
          taken_images: set[str], settings: BookSettings,
          diags: Diagnostics) -> _Planned | None:
    where = SourceLocation(shown)
    title = article.title
    if not title:
        title = Path(shown).stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
        article.warnings.append((f"the source states no title; the chapter is titled "
                                 f"'{title}' after the file name: give it its real title",
                                 "import.no-title"))
    slug = slugify(title)
    base, n = slug, 1
    while slug in slugs:
        n += 1
        slug = f"{base}-{n}"
    slugs.add(slug)
    name = f"{number:0{width}d}-{slug}.md"
    chapter = f"manuscript/{name}"
    images: list[tuple[str, bytes]] = []

    def image_name(src: str, media_type: str) -> str:
        return portable_name(f"images/{slug}-{_image_base(src, media_type)}", taken_images)

    messages: list[tuple[str, str]] = list(article.warnings)
    if article.markdown is not None:
        body, copies, more = _markdown_images(article, image_name)
        images.extend(copies)
        messages.extend(more)
    else:
        assert article.body is not None
        conversion = to_markdown(article.body, article.notes,
                                 resolve=article.resolve or _no_images, name=image_name,
                                 base_url=article.base_url)
        body = conversion.markdown
        images.extend((c.path, c.data) for c in conversion.images)
        messages.extend(conversion.warnings)
    front, lines = front_matter(article, title)
    text = front + "\n" + body
    for message, code in messages:
        diags.warning(where, message, code)
    _report_missing(article, chapter, lines, diags)
    if article.language and settings.language and (
            article.language.split("-")[0].lower() != settings.language.split("-")[0].lower()):
        diags.warning(where, f"the source is in '{article.language}' and the book in "
                      f"'{settings.language}'; every label and quotation mark of the book "
                      "follows the book's language", "import.language")
    checked = Diagnostics()
    parse_chapter(text, chapter, Path(name).stem, settings.language, checked)
    for d in checked:
        if d.severity is Severity.ERROR:
            diags.error(d.location, f"the imported chapter would not pass 'cxbook check': "
                        f"{d.message} [{d.code}]; nothing was written — please report this "
                        "with the source", "import.invalid-chapter")
        elif d.code not in ALREADY_REPORTED:
            diags.items.append(d)
    return _Planned(name, text, images)


def _no_images(src: str) -> str:
    return "this kind of source holds no images"


def _image_base(src: str, media_type: str) -> str:
    """A file name for an image from its address, with the extension its content has."""
    if src.startswith("data:") or not src:
        stem = "image"
    else:
        stem = unquote(urlsplit(src).path).rsplit("/", 1)[-1] or "image"
    extension = MEDIA_EXTENSIONS.get(media_type, "")
    root, dot, ext = stem.rpartition(".")
    if dot and "." + ext.lower() in (extension, ".jpeg" if extension == ".jpg" else ""):
        return stem
    return (root if dot and len(ext) <= 5 else stem) + extension


def _markdown_images(
    article: Article, name: ImageNamer
) -> tuple[str, list[tuple[str, bytes]], list[tuple[str, str]]]:
    """A Markdown source's images copied under new names, its text pointing at them."""
    assert article.markdown is not None and article.resolve is not None
    md = MarkdownIt("commonmark")
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    sources: list[str] = []
    for token in md.parse(article.markdown):
        for child in token.children or []:
            if child.type == "image":
                src = str(child.attrs.get("src", ""))
                if src not in sources:
                    sources.append(src)
    copies: list[tuple[str, bytes]] = []
    warnings: list[tuple[str, str]] = []
    text = article.markdown
    for src in sources:
        found = article.resolve(src)
        if isinstance(found, str):
            warnings.append((f"image '{src}' was left as written: {found}",
                             "import.image-missing"))
            continue
        data, media_type = found
        path = name(src, media_type)
        copies.append((path, data))
        pattern = re.compile(r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)" + re.escape(src)
                             + r"(?=[>\s)]|$)", re.MULTILINE)
        text = pattern.sub("\\g<1>" + path, text)
    return text, copies, warnings


def front_matter(article: Article, title: str) -> tuple[str, dict[str, int]]:
    """The chapter's front matter and the line of each key (``source.url`` …)."""
    lines = ["---"]
    where: dict[str, int] = {}

    def add(key: str, value: str, indent: str = "") -> None:
        where[key] = len(lines) + 1
        lines.extend(f"{indent}{key.rsplit('.', 1)[-1]}: {value}".rstrip().split("\n"))

    add("title", _yaml(title))
    if len(article.authors) == 1:
        add("author", _yaml(article.authors[0]))
    elif article.authors:
        add("author", "")
        lines.extend(f"  - {_yaml(a)}" for a in article.authors)
    else:
        add("author", "null")
    if article.author_bio:
        add("author_bio", _yaml(article.author_bio, fold=True))
    lines.append("source:")
    add("source.publication", _yaml(article.publication), "  ")
    add("source.url", _yaml(article.url), "  ")
    date = article.date if article.date and re.fullmatch(r"\d{4}(-\d{2}){0,2}",
                                                          article.date) else None
    add("source.date", date or "null", "  ")
    add("notice", _yaml(article.notice, fold=True))
    if article.license:
        add("license", _yaml(article.license))
    lines.append("---")
    return "\n".join(lines) + "\n", where


def _yaml(value: str | None, *, fold: bool = False) -> str:
    """A YAML scalar for ``value``; long texts folded over lines of at most 88 columns."""
    if value is None:
        return "null"
    if fold and len(value) > 72:
        return yaml.safe_dump(value, allow_unicode=True, width=86, default_style=">").rstrip()
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1 << 20, default_style=None)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _report_missing(article: Article, chapter: str, lines: dict[str, int],
                    diags: Diagnostics) -> None:
    """A warning at each front-matter key the source left null (nothing is invented)."""

    def warn(key: str, message: str, code: str) -> None:
        diags.warning(SourceLocation(chapter, lines[key], 1), message, code)

    if not article.authors:
        warn("author", "the source names no author, so the chapter says author: null (the "
             "outputs will say the source names no author); add the name if you know it from "
             "the source", "import.no-author")
    if not article.publication:
        warn("source.publication", "the source names no publication or site; add "
             "source.publication if you know where it appeared", "import.no-publication")
    if not article.url:
        warn("source.url", "the source gives no address of its own; add source.url if you "
             "know where it was published", "import.no-url")
    if not article.date:
        warn("source.date", "the source states no publication date; add source.date "
             "(YYYY-MM-DD) if you know it", "import.no-date")
    if not article.notice:
        warn("notice", "the source carries no republishing notice; write under 'notice:' the "
             "permission the chapter is republished with ('cxbook check' warns until you do)",
             "import.no-notice")


def _commit(manuscript: Path, planned: list[_Planned], book_path: Path,
            book_text: str | None) -> None:
    """Write the chapters, their images and book.yaml; on failure remove what was
    written and put book.yaml back, then raise CxbookError."""
    created: list[Path] = []
    made: list[Path] = []
    current = ""
    try:
        for plan in planned:
            for rel, data in plan.images:
                current = f"manuscript/{rel}"
                _create(manuscript / rel, data, made)
                created.append(manuscript / rel)
            current = f"manuscript/{plan.name}"
            _create(manuscript / plan.name, plan.text.encode("utf-8"), made)
            created.append(manuscript / plan.name)
        if book_text is not None:
            current = "manuscript/book.yaml"
            _replace(book_path, book_text.encode("utf-8"))
    except OSError as e:
        for path in reversed(created):
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise CxbookError.single(
            SourceLocation(current), f"cannot write the file ({e.strerror or e}); nothing "
            "was imported: the files written before it were removed", "import.write") from e


def _create(path: Path, data: bytes, made: list[Path]) -> None:
    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    made.extend(reversed(missing))
    with open(path, "xb") as handle:  # never replaces a file
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".book-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = ""
    finally:
        if tmp:
            os.unlink(tmp)


def draft_courses(root: Path, stems: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """``cxbook draft-course`` for the chapters ``stems``: its messages, and the project's
    problems (when it has errors, nothing is drafted)."""
    from ..draft import draft_course
    from ..readers import check_project

    project, diags = check_project(root)
    if project is None:
        return [], diags.sorted()
    return draft_course(project, root.resolve(), stems), []
