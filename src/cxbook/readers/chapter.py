"""Chapter files: YAML front matter plus a CommonMark body, parsed from text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from ..diagnostics import Diagnostics, SourceLocation
from ..markdown import ImageRef, ParsedBody, render_markdown
from ..model import Attribution, Footnote, Heading, Link, LinkTarget, Source
from ..transforms.normalize import chapter_slug
from ..yamlsrc import YamlContext, compose_yaml

FRONT_MATTER_KEYS = ("title", "author", "author_bio", "source", "notice", "license",
                     "original", "acknowledge", "language")
SOURCE_KEYS = ("title", "publication", "url", "date")
MAX_CHAPTER_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ParsedChapter:
    stem: str
    slug: str
    title: str
    attribution: Attribution
    body_html: str
    footnotes: tuple[Footnote, ...]
    headings: tuple[Heading, ...]
    targets: tuple[LinkTarget, ...]
    links: tuple[Link, ...]
    image_refs: tuple[ImageRef, ...]
    summary: str
    summary_html: str
    word_count: int
    body_line: int
    digest: str
    title_location: SourceLocation
    failed: bool = False  # errors were reported: kept only for checking links into it
    # warning codes acknowledged for this chapter, with where each is written
    acknowledge: tuple[tuple[str, SourceLocation], ...] = ()
    language: str | None = None  # front matter ``language``: the text's own language


def split_front_matter(
    text: str, path: str, diags: Diagnostics
) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts). Errors when absent or unclosed."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        diags.error(
            SourceLocation(path),
            "chapter has no front matter; start the file with a line '---', then "
            "'title: …' and 'author: …', then a closing '---'",
            "chapter.no-front-matter",
        )
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    diags.error(
        SourceLocation(path),
        "front matter is not closed; add a line '---' after the last front matter key",
        "chapter.front-matter-unclosed",
    )
    return None


def parse_chapter(
    text: str, path: str, stem: str, language: str, diags: Diagnostics, *, data_size: int = 0
) -> ParsedChapter | None:
    """Parse one chapter's text. ``data_size`` (bytes on disk) is checked against the
    limit when given; project.py checks it before reading. A chapter whose front matter
    has errors still has its body checked; it comes back with ``failed`` set (its links
    are still checked), or as None when there is no body to check."""
    if data_size > MAX_CHAPTER_BYTES:
        diags.error(
            SourceLocation(path),
            f"chapter is {data_size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_CHAPTER_BYTES // 1024 // 1024} MB per chapter, so split it into several "
            "chapters",
            "chapter.too-large",
        )
        return None
    before = len(diags.errors)
    split = split_front_matter(text, path, diags)
    if split is None:
        if len(diags.errors) > before and not text.startswith("---"):
            # No front matter at all: the whole file is checked as the body all the same.
            _render_body(text, path, stem, language, diags, 1, None)
        return None
    front, body, body_line = split
    header = _parse_front_matter(front, path, diags)
    if header is not None and len(diags.errors) == before:  # a front matter with errors
        # is fixed first
        _check_permissions(header.attribution, SourceLocation(path, body_line - 1), diags,
                           header.notice_location)
    title = header.title if header is not None else None
    own_language = header.language if header is not None else None
    parsed = _render_body(body, path, stem, own_language or language, diags, body_line, title)
    failed = header is None or title is None or len(diags.errors) > before
    if header is None:
        header = FrontMatter(None, Attribution((), None, Source(), None, None),
                             SourceLocation(path), (), None)
    attribution, title_loc = header.attribution, header.title_location
    return ParsedChapter(
        stem=stem,
        slug=chapter_slug(stem),
        title=title or "",
        attribution=attribution,
        body_html=parsed.html,
        footnotes=tuple(Footnote(a, n, h, r) for a, r, n, h in parsed.footnotes),
        headings=tuple(Heading(lv, t, a, loc) for lv, t, a, loc in parsed.headings),
        targets=tuple(LinkTarget(*t) for t in parsed.targets),
        links=tuple(parsed.links),
        image_refs=tuple(parsed.images),
        summary=parsed.summary,
        summary_html=parsed.summary_html,
        word_count=parsed.word_count,
        body_line=body_line,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        title_location=title_loc,
        failed=failed,
        acknowledge=header.acknowledge,
        language=header.language if header.language != language else None,
    )


def _render_body(body: str, path: str, stem: str, language: str, diags: Diagnostics,
                 body_line: int, title: str | None) -> ParsedBody:
    parsed = render_markdown(body, path=path, line_offset=body_line - 1,
                             prefix=chapter_slug(stem), language=language, diags=diags,
                             title=title)
    for location, what in parsed.removed:
        diags.warning(location, f"raw HTML: {what}", "html.removed")
    return parsed


class FrontMatter(NamedTuple):
    title: str | None
    attribution: Attribution
    title_location: SourceLocation
    acknowledge: tuple[tuple[str, SourceLocation], ...]  # warning codes, where written
    language: str | None = None  # the chapter's own language, when the front matter gives one
    notice_location: SourceLocation | None = None  # the 'notice:' key, when written


def _parse_front_matter(
    front: str, path: str, diags: Diagnostics
) -> FrontMatter | None:
    """(title, attribution, the title's place), or None when the front matter is not a
    mapping. Problems are reported; a missing title gives None for it."""
    before = len(diags.errors)
    root = compose_yaml(front, path, diags, line_offset=1)
    if root is None:
        if len(diags.errors) == before:
            diags.error(SourceLocation(path, 2), "front matter is empty; it needs at least "
                        "'title:' and 'author:'", "chapter.empty-front-matter")
        return None
    ctx = YamlContext(path, diags, line_offset=1)
    fields = ctx.mapping(root, allowed=FRONT_MATTER_KEYS, required=("title", "author"),
                         what="chapter front matter")
    if fields is None:
        return None
    title = ctx.string(fields["title"], "'title'") if "title" in fields else None
    authors: tuple[str, ...] = ()
    if "author" in fields:
        node = fields["author"]
        if ctx.is_null(node):
            diags.warning(
                ctx.loc(node),
                "the source names no author (author: null); the outputs will say so — "
                "add the author's name if the source gives it",
                "chapter.no-author",
            )
        else:
            authors = tuple(t for t, _ in ctx.string_or_list(node, "'author'"))
    source = Source()
    if "source" in fields and not ctx.is_null(fields["source"]):
        source = _parse_source(ctx, fields["source"])

    def opt(key: str) -> str | None:
        node = fields.get(key)
        value = ctx.optional_string(node, f"'{key}'") if node is not None else None
        return " ".join(value.split()) if value is not None else None

    original = False
    if "original" in fields and not ctx.is_null(fields["original"]):
        original = bool(ctx.boolean(fields["original"], "'original'"))
    attribution = Attribution(authors, opt("author_bio"), source, opt("notice"),
                              opt("license"), original)
    title_loc = ctx.loc(fields["title"]) if "title" in fields else SourceLocation(path)
    acknowledge = tuple(ctx.codes(fields.get("acknowledge")))
    language = None
    if "language" in fields and not ctx.is_null(fields["language"]):
        language = ctx.language(fields["language"], "'language'")
    return FrontMatter(" ".join(title.split()) if title is not None else None, attribution,
                       title_loc, acknowledge, language,
                       ctx.loc(fields["notice"]) if "notice" in fields else None)


def _check_permissions(attribution: Attribution, where: SourceLocation,
                       diags: Diagnostics, notice_at: SourceLocation | None = None) -> None:
    """A republished chapter (any chapter not marked ``original: true``) should say where it
    first appeared and under what permission it is republished; ``where`` is the end of the
    front matter, where the keys go, and ``notice_at`` the 'notice:' key left empty (as
    ``cxbook import`` writes it), where the notice goes."""
    if attribution.original:
        return
    if not attribution.names_source:
        diags.warning(where, "republished chapter names no source: add 'source:' with the "
                      "'publication' or 'url' where it first appeared, or 'original: true' if "
                      "it was written for this book", "chapter.no-source")
    if not attribution.notice:
        diags.warning(notice_at or where, "republished chapter carries no republishing notice: add "
                      "'notice:' with the permission it is republished under, as the source "
                      "gives it, or 'original: true' if it was written for this book",
                      "chapter.no-notice")


def _parse_source(ctx: YamlContext, node: object) -> Source:
    import yaml

    assert isinstance(node, yaml.Node)
    fields = ctx.mapping(node, allowed=SOURCE_KEYS, what="'source'")
    if fields is None:
        return Source()
    url = None
    if "url" in fields and not ctx.is_null(fields["url"]):
        url = ctx.string(fields["url"], "'source.url'")
        if url is not None:
            url = url.strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                ctx.diags.error(ctx.loc(fields["url"]), f"'source.url' must be an http(s) "
                                f"address, not '{url}'", "chapter.source-url")
                url = None
    date = None
    if "date" in fields and not ctx.is_null(fields["date"]):
        date = ctx.date(fields["date"], "'source.date'")
    title = ctx.optional_string(fields.get("title"), "'source.title'")
    publication = ctx.optional_string(fields.get("publication"), "'source.publication'")
    return Source(
        title=title.strip() if title else None,
        publication=publication.strip() if publication else None,
        url=url,
        date=date,
    )
