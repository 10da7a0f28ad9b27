"""manuscript/book.yaml: parsed from text, never opened here."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

import yaml

from ..diagnostics import Diagnostics, SourceLocation
from ..yamlsrc import YamlContext, compose_yaml

BOOK_KEYS = (
    "title", "subtitle", "editor", "language", "identifier", "publisher", "date",
    "description", "rights", "cover", "theme", "chapters", "max_image_mb", "acknowledge",
)
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
DEFAULT_MAX_IMAGE_MB = 10


@dataclass(frozen=True)
class BookSettings:
    title: str
    subtitle: str | None
    editors: tuple[str, ...]
    language: str
    identifier: str
    publisher: str | None
    date: str | None
    description: str | None
    rights: str | None
    cover: tuple[str, SourceLocation] | None
    theme: str
    theme_location: SourceLocation
    chapters: tuple[tuple[str, SourceLocation], ...] | None  # None: take *.md by name
    max_image_mb: int
    location: SourceLocation
    title_location: SourceLocation
    # acknowledged warning codes for the whole project, with where each is written
    acknowledge: tuple[tuple[str, SourceLocation], ...] = ()


def book_slug(title: str) -> str:
    """File-name slug from the title: ASCII letters, digits and hyphens, at most 60 chars."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug or "book"


def default_identifier(title: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'cxbook:' + title)}"


def parse_book(text: str, path: str, diags: Diagnostics) -> BookSettings | None:
    before = len(diags.errors)
    root = compose_yaml(text, path, diags)
    if root is None:
        if len(diags.errors) == before:
            diags.error(SourceLocation(path), "book.yaml is empty; it needs at least "
                        "'title:' and 'language:'", "book.empty")
        return None
    ctx = YamlContext(path, diags)
    fields = ctx.mapping(root, allowed=BOOK_KEYS, required=("title", "language"),
                         what="book.yaml")
    if fields is None:
        return None

    def opt(key: str) -> str | None:
        node = fields.get(key)
        return ctx.optional_string(node, f"'{key}'") if node is not None else None

    title = ctx.string(fields["title"], "'title'") if "title" in fields else None
    language = None
    if "language" in fields:
        language = ctx.string(fields["language"], "'language'")
        if language is not None and not LANGUAGE_RE.match(language.strip()):
            diags.error(ctx.loc(fields["language"]),
                        f"'language' must be a BCP 47 tag such as en, en-GB or fr, not "
                        f"'{language}'", "book.language")
            language = None
    editors: tuple[str, ...] = ()
    if "editor" in fields and not ctx.is_null(fields["editor"]):
        editors = tuple(t for t, _ in ctx.string_or_list(fields["editor"], "'editor'"))
    date = None
    if "date" in fields and not ctx.is_null(fields["date"]):
        date = ctx.date(fields["date"], "'date'")
    cover = None
    if "cover" in fields and not ctx.is_null(fields["cover"]):
        value = ctx.string(fields["cover"], "'cover'")
        if value is not None:
            cover = (value.strip(), ctx.loc(fields["cover"]))
    theme = "default"
    theme_loc = ctx.loc(root)
    if "theme" in fields:
        value = ctx.string(fields["theme"], "'theme'")
        theme_loc = ctx.loc(fields["theme"])
        if value is not None:
            if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", value) or ".." in value:
                diags.error(theme_loc, f"'theme' must be a folder name under themes/, not "
                            f"'{value}'", "book.theme")
            else:
                theme = value
    chapters: tuple[tuple[str, SourceLocation], ...] | None = None
    if "chapters" in fields:
        items = ctx.sequence(fields["chapters"], "'chapters'")
        if items is not None:
            chapters = tuple(_chapter_entries(ctx, items))
    max_image_mb = DEFAULT_MAX_IMAGE_MB
    if "max_image_mb" in fields:
        value_int = ctx.integer(fields["max_image_mb"], "'max_image_mb'", low=1, high=1024)
        if value_int is not None:
            max_image_mb = value_int
    identifier = opt("identifier")
    acknowledge = tuple(ctx.codes(fields.get("acknowledge")))
    if title is None or language is None:
        return None
    return BookSettings(
        title=title.strip(),
        subtitle=_strip(opt("subtitle")),
        editors=editors,
        language=language.strip(),
        identifier=(identifier or default_identifier(title.strip())).strip(),
        publisher=_strip(opt("publisher")),
        date=date,
        description=_strip(opt("description")),
        rights=_strip(opt("rights")),
        cover=cover,
        theme=theme,
        theme_location=theme_loc,
        chapters=chapters,
        max_image_mb=max_image_mb,
        location=SourceLocation(path),
        title_location=ctx.loc(fields["title"]),
        acknowledge=acknowledge,
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _chapter_entries(
    ctx: YamlContext, items: list[yaml.Node]
) -> list[tuple[str, SourceLocation]]:
    out: list[tuple[str, SourceLocation]] = []
    seen: dict[str, SourceLocation] = {}
    for item in items:
        name = ctx.string(item, "each entry of 'chapters'")
        if name is None:
            continue
        name = name.strip()
        loc = ctx.loc(item)
        if "/" in name or "\\" in name or not name.endswith(".md") or name.startswith("."):
            ctx.diags.error(loc, f"chapter '{name}' must be a file name ending in .md inside "
                            "manuscript/ (no folders)", "book.chapter-name")
            continue
        if name in seen:
            ctx.diags.error(loc, f"chapter '{name}' is listed twice (first at line "
                            f"{seen[name].line}); remove one of the entries",
                            "book.duplicate-chapter")
            continue
        seen[name] = loc
        out.append((name, loc))
    return out
