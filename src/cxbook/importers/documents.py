"""Word documents, plain text and Markdown read into an :class:`Article`.

Word documents go through mammoth: it maps the document's paragraph styles to HTML
(headings, lists, quotes), keeps tables, footnotes and endnotes, and hands every image
over with its alt text. It is a small pure-Python package (0.7 MB installed with its one
dependency), where pandoc through pypandoc-binary, the other choice, is a 162 MB program:
for an article's headings, lists, tables and footnotes both give the same structure.

These sources have no markup for their credits, so the credits come from their text: the
first heading is the title, a "By …" line under it the author, a paragraph set apart that
says where the text first appeared the republishing notice, an "About the author"
section the bio. A Word document's author property is taken only when the document's
text names the same person (Word fills it with the account that created the file).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from lxml import html as lxml_html

from ..diagnostics import Diagnostics, SourceLocation
from ..readers.project import sniff_image
from ..readers.text import decode_text
from ..tree import drop, text_of
from .article import HEADINGS, Article, clean_text, tidy_body
from .credits import NOTICE, byline_names, find_notice
from .notes import extract_notes

DOCX_STYLE_MAP = """
p[style-name='Title'] => h1.title:fresh
p[style-name='Subtitle'] => p.subtitle:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
p[style-name='Caption'] => p.caption:fresh
"""
ABOUT_AUTHOR = re.compile(
    r"^\s*(about the author|about the authors|about [A-Z][\w'’-]+( [A-Z][\w'’-]+){0,3}|"
    r"the author|über die autorin|über den autor|über die autoren|zur autorin|zum autor|"
    r"à propos de l['’]auteur(e)?|sobre (el|la) autor(a)?)\s*:?\s*$", re.IGNORECASE)
CORE_NS = {"dc": "http://purl.org/dc/elements/1.1/",
           "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
# Front-matter keys of other site generators (Jekyll, Hugo, Pandoc) and what they mean.
BULLET = re.compile(r"^[•◦▪‣*–-]\s+")
COMMENT_FORM = re.compile(
    r"^(leave a (reply|comment)|post a comment|add a comment|\d+ (comments|responses|replies)"
    r"|please enter your (comment|name)|please (use|keep) .{0,60}comments?|"
    r"you must be logged in to (post|leave) a comment|schreibe einen kommentar|"
    r"kommentar (schreiben|hinterlassen)|laisser un commentaire|deja un comentario)\b",
    re.IGNORECASE)
BIO_START = re.compile(r"^(?P<name>[A-ZÀ-Þ][\w'’.-]+(?: [A-ZÀ-Þ][\w'’.-]+){1,3}) (is|was) "
                       r"(a|an|the|one|co-?founder|founder|head|director|chief|senior|"
                       r"[\w-]+ (at|of|for))\b")
MD_KEYS = {
    "title": "title", "author": "author", "authors": "author", "author_bio": "author_bio",
    "bio": "author_bio", "date": "date", "published": "date", "notice": "notice",
    "license": "license", "publication": "publication", "site": "publication",
    "site_name": "publication", "url": "url", "canonical_url": "url", "canonical": "url",
    "link": "url", "source": "source", "lang": "language", "language": "language",
}


def read_docx(path: Path, shown: str, data: bytes, diags: Diagnostics) -> Article | None:
    import mammoth

    images: dict[str, tuple[bytes, str] | str] = {}

    def image(element: Any) -> dict[str, str]:
        with element.open() as handle:
            content = handle.read()
        key = f"docx-image-{len(images) + 1}{_extension(element.content_type)}"
        media_type = sniff_image(content)
        images[key] = (content, media_type) if media_type else (
            f"it is stored as {element.content_type}, which e-books cannot show; save it "
            "as PNG or JPEG and add it by hand")
        return {"src": key}

    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=DOCX_STYLE_MAP,
                                         convert_image=mammoth.images.img_element(image))
    except (KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError) as e:
        diags.error(SourceLocation(shown), f"the Word document cannot be read ({e}); open it "
                    "in the word processor and save it again as .docx", "import.not-docx")
        return None
    body = _fragment(result.value)
    properties = _core_properties(data)
    article = Article(title=None, authors=[])
    article.notes = extract_notes(body)
    _take_title(article, body, properties.get("title"))
    _take_byline(article, body)
    _take_trailing_bio(article, body)
    if not article.authors and properties.get("creator"):
        creator = " ".join(properties["creator"].split())
        if creator and creator.casefold() in text_of(body).casefold():
            article.authors = [creator]
        elif creator:
            article.warnings.append((
                f"the document's properties name '{creator}' as its author, but its text "
                "does not; that is often the account that made the file, so it was not "
                "used", "import.docx-author"))
    _take_notice_and_bio(article, body)
    tidy_body(body, article.title)
    article.body = body

    def resolve(src: str) -> tuple[bytes, str] | str:
        return images.get(src, "it is not in the document")

    article.resolve = resolve
    return article


def _extension(content_type: str) -> str:
    sub = content_type.rsplit("/", 1)[-1].lower()
    return {"jpeg": ".jpg", "png": ".png", "gif": ".gif", "webp": ".webp",
            "svg+xml": ".svg"}.get(sub, "")


def _core_properties(data: bytes) -> dict[str, str]:
    """Title and creator from docProps/core.xml (Dublin Core), where present."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            xml = package.read("docProps/core.xml")
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, OSError):
        return {}
    found = {}
    for key in ("title", "creator"):
        element = root.find(f"dc:{key}", CORE_NS)
        if element is not None and element.text and element.text.strip():
            found[key] = element.text.strip()
    return found


def _fragment(markup: str) -> etree._Element:
    body = lxml_html.fragment_fromstring(markup or "<p></p>", create_parent="div")
    return body


def _blocks(body: etree._Element) -> list[etree._Element]:
    return [e for e in body if isinstance(e.tag, str) and text_of(e)]


def _take_title(article: Article, body: etree._Element, fallback: str | None) -> None:
    """The first block, when it is a heading (the Title or Heading 1 style), is the title."""
    blocks = _blocks(body)
    if blocks and blocks[0].tag in HEADINGS:
        article.title = clean_text(text_of(blocks[0]))
        drop(blocks[0])
        subtitle = _blocks(body)[:1]
        if subtitle and "subtitle" in (subtitle[0].get("class") or ""):
            subtitle[0].attrib.pop("class")
            subtitle[0].insert(0, etree.Element("em"))
            emphasis = subtitle[0][0]
            emphasis.text, subtitle[0].text = subtitle[0].text, None
            for child in list(subtitle[0])[1:]:
                emphasis.append(child)
    elif fallback:
        article.title = clean_text(fallback)


def _take_byline(article: Article, body: etree._Element) -> None:
    for block in _blocks(body)[:3]:
        names = byline_names(text_of(block)) if block.tag == "p" else None
        if names:
            article.authors = names
            drop(block)
            return


def _take_notice_and_bio(article: Article, body: etree._Element) -> None:
    notice = find_notice(body, skip=lambda _: False)
    if notice is not None:
        article.notice = clean_text(text_of(notice))
        drop(notice)
    blocks = _blocks(body)
    for index, block in enumerate(blocks):
        heading = block.tag in HEADINGS or (block.tag == "p" and len(block) == 1
                                            and block[0].tag in ("strong", "b")
                                            and text_of(block[0]) == text_of(block))
        if not heading or not ABOUT_AUTHOR.match(text_of(block)):
            continue
        section = []
        for following in blocks[index + 1:]:
            if following.tag in HEADINGS:
                break
            section.append(following)
        if section and all(s.tag == "p" for s in section):
            article.author_bio = clean_text(" ".join(text_of(s) for s in section))
            for element in [block, *section]:
                drop(element)
        return


def read_text(shown: str, data: bytes, diags: Diagnostics) -> Article | None:
    """Plain text, as a page's text is copied or saved: paragraphs are separated by blank
    lines, or are single long lines (text that is not wrapped); the first line standing
    alone is the title; a short line standing alone before a longer paragraph is a
    heading; lines starting with a bullet (•, -, *, –) are a list; a comment form's
    prompt ("Leave a Reply", "Please enter your comment") ends the article."""
    text = decode_text(data, shown, diags, what="the text file")
    if text is None:
        return None
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if max(len(line) for line in lines) > 100 or all(BULLET.match(x) for x in lines):
            paragraphs.extend(lines)  # not wrapped: a line is a paragraph
        else:
            paragraphs.append(" ".join(lines))
    cut = next((i for i, p in enumerate(paragraphs) if i and COMMENT_FORM.match(p)), None)
    paragraphs = paragraphs[:cut]
    body = etree.Element("div")
    items: etree._Element | None = None
    for index, paragraph in enumerate(paragraphs):
        bullet = BULLET.match(paragraph)
        if bullet is not None:
            if items is None:
                items = etree.SubElement(body, "ul")
            etree.SubElement(items, "li").text = paragraph[bullet.end():]
            continue
        items = None
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
        tag = "h2" if index and _looks_like_heading(paragraph, following) else "p"
        etree.SubElement(body, tag).text = paragraph
    article = Article(title=None, authors=[])
    first = _blocks(body)[:1]
    if first and len(first[0].text or "") <= 200 and not re.search(r"[.,;:]$",
                                                                   first[0].text or ""):
        first[0].tag = "h1"
    _take_title(article, body, None)
    _take_byline(article, body)
    _take_trailing_bio(article, body)
    _take_notice_and_bio(article, body)
    tidy_body(body, article.title)
    article.body = body
    return article


def _take_trailing_bio(article: Article, body: etree._Element) -> None:
    """An author's bio printed after a text without markup: its last paragraph (or the
    last before a republishing notice) saying "<Name> is …", perhaps under a line with
    the name alone. The name is the author when none is known; with a known author, the
    bio must name that author."""
    blocks = _blocks(body)
    for position in (-1, -2):
        if len(blocks) < -position + 1 or blocks[position].tag != "p":
            continue
        text = text_of(blocks[position])
        match = BIO_START.match(text)
        if match is None or (position == -2 and not NOTICE.search(text_of(blocks[-1]))):
            continue
        name = match.group("name")
        if article.authors and name not in article.authors:
            return
        article.authors = article.authors or [name]
        article.author_bio = clean_text(text)
        before = blocks[position - 1]
        drop(blocks[position])
        if text_of(before) == name:
            drop(before)
        return


def _looks_like_heading(paragraph: str, following: str) -> bool:
    return (len(paragraph.split()) <= 12 and len(following) > len(paragraph)
            and not re.search(r"[.,;:!?…”\"’)]$", paragraph)
            and re.match(r"^[\w“\"]", paragraph) is not None
            and not paragraph[:1].islower())


def read_markdown(path: Path, shown: str, data: bytes,
                  diags: Diagnostics) -> Article | None:
    """Markdown: the body is kept as written; front matter (cxbook's own keys or those of
    Jekyll, Hugo and Pandoc) and a leading ``# Title`` give the credits; relative image
    references are copied with the chapter."""
    text = decode_text(data, shown, diags, what="the Markdown file")
    if text is None:
        return None
    article = Article(title=None, authors=[])
    body = text
    if text.startswith("---\n"):
        end = re.search(r"^(---|\.\.\.)\s*$", text[4:], re.MULTILINE)
        if end is not None:
            front = text[4:4 + end.start()]
            body = text[4 + end.end():]
            if not _markdown_front_matter(article, front, shown, diags):
                return None
    lines = body.lstrip("\n").split("\n")
    if lines and re.match(r"^#\s+\S", lines[0]):
        article.title = article.title or clean_text(lines[0].lstrip("#").strip().rstrip("#"))
        lines = lines[1:]
    body = "\n".join(lines).strip("\n")
    paragraphs = re.split(r"\n\s*\n", body)
    if paragraphs and not article.authors:
        names = byline_names(_plain(paragraphs[0]))
        if names:
            article.authors, paragraphs = names, paragraphs[1:]
    if not article.notice:
        for index in (len(paragraphs) - 1, 0):
            if 0 <= index < len(paragraphs) and _is_markdown_notice(paragraphs[index]):
                article.notice = clean_text(_plain(paragraphs[index]))
                del paragraphs[index]
                break
    article.markdown = "\n\n".join(paragraphs).strip() + "\n"
    folder = path.parent

    def resolve(src: str) -> tuple[bytes, str] | str:
        from .web import local_image

        return local_image(folder, src)

    article.resolve = resolve
    return article


def _plain(markdown: str) -> str:
    return " ".join(re.sub(r"[*_`]+", "", markdown).split())


def _is_markdown_notice(paragraph: str) -> bool:
    stripped = paragraph.strip()
    if re.match(r"^([#>|`~-]|\d+[.)]\s|\[\^)", stripped) or len(stripped) > 400:
        return False
    return NOTICE.search(_plain(stripped)) is not None


def _markdown_front_matter(article: Article, front: str, shown: str,
                           diags: Diagnostics) -> bool:
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        diags.error(SourceLocation(shown, line), f"the front matter is not valid YAML "
                    f"({getattr(e, 'problem', e)}); fix it or remove it", "import.front-matter")
        return False
    if not isinstance(data, dict):
        return True
    for key, value in data.items():
        meaning = MD_KEYS.get(str(key).lower())
        if meaning == "source" and isinstance(value, dict):
            for inner in ("publication", "url", "date"):
                _set(article, inner, value.get(inner))
        elif meaning == "author":
            names = value if isinstance(value, list) else [value]
            article.authors = [str(n).strip() for n in names if n and str(n).strip()]
        elif meaning:
            _set(article, meaning, value)
    return True


def _set(article: Article, key: str, value: object) -> None:
    if value is None or value == "":
        return
    text = clean_text(value.isoformat()[:10] if hasattr(value, "isoformat") else str(value))
    if key == "date" and text and not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return
    if key == "date" and text:
        text = text[:10]
    setattr(article, key, text)
