"""The default manuscript keeps every sentence of the five source articles.

Standalone: needs only pytest, pyyaml and markdown-it-py (no import from cxbook).
The comparison is strict about words and punctuation (typos included) but not about
Markdown syntax: both sides are normalized the same way before comparing.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "articles"
MANUSCRIPT = ROOT / "manuscript"

if not ARTICLES.is_dir():  # fail, never skip: the comparison is the point of this module
    pytest.fail(f"the source articles are not at {ARTICLES}: these tests compare the "
                "manuscript with ../shared/articles beside the repository (as CI checks it "
                "out); put that folder there", pytrace=False)

CHAPTERS = [
    "01-positive-service-experiences.md",
    "02-worry-less-do-more.md",
    "03-change-manifestos.md",
    "04-five-factors.md",
    "05-clarity-and-optimism.md",
]
AUTHORS = ["Flavio Martins", None, None, None, "Chris Smoje"]

BOOK_KEYS = {
    "title",
    "subtitle",
    "editor",
    "language",
    "identifier",
    "publisher",
    "date",
    "description",
    "rights",
    "cover",
    "theme",
    "chapters",
}
CHAPTER_KEYS = {"title", "author", "author_bio", "source", "notice", "license", "acknowledge"}
SOURCE_KEYS = {"title", "publication", "url", "date"}

# Site chrome: whole lines of the raw articles that must not reach the book.
CHROME = [
    "Share on LinkedIn",
    "Please use comments to add value to the discussion. Maximum one link to an educational"
    ' blog post or article. We will NOT PUBLISH brief comments like "good post," comments'
    " that mainly promote links, or comments with links to companies, products, or services.",
    "Please enter your comment!",
    "Please enter your name here",
    "Leave a Reply",
    "You must be logged in to post a comment.",
    "Your email address will not be published. Required fields are marked *",
    "Related: 3 Secrets to Start Your Journey to BE DiFFERENT.",
]

NOTICE_000 = "Republished with author's permission from original post."
BIO_START = {0: "Flavio Martins is the VP of Operations", 4: "Chris Smoje is a customer service"}

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
NUMBERING = re.compile(r"#?\d+\.")  # "1." or "#1." left alone by the sentence split
LEADING_MARK = re.compile(r"^\s*(?:•|[-–—](?=\s*\S))\s*")  # bullet or credit dash
HEADING_DASH = re.compile(r"^(#?\d+\.\s*[^\s—]+)\s*—\s*")  # "#1. Context — An amazing …"
BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|h[1-6]|blockquote|pre|hr|br|div)\b[^>]*>")
BLOCK_START_DASH = re.compile(r"(<(?:p|li|h[1-6])>)\s*[-–—]\s*")
ANY_TAG = re.compile(r"<[^>]+>")

MD = MarkdownIt("commonmark")


def norm(text: str) -> str:
    """Collapse all whitespace (NBSP included) to single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def sentences(paragraph: str) -> list[str]:
    parts = [p for p in SENTENCE_END.split(norm(paragraph)) if p]
    merged: list[str] = []
    for part in parts:
        if merged and NUMBERING.fullmatch(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def article_line(line: str) -> str:
    """Normalize one raw article line the way the chapter's Markdown is normalized."""
    line = norm(line)
    line = LEADING_MARK.sub("", line)
    line = HEADING_DASH.sub(r"\1 ", line)
    return line


def split_chapter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n"), "chapter must start with YAML front matter"
    end = text.index("\n---\n", 4)
    front = yaml.safe_load(text[4:end])
    assert isinstance(front, dict), "front matter must be a mapping"
    return front, text[end + 5 :]


def rendered_text(body: str) -> str:
    """Chapter body as plain text: rendered, tags stripped, markers removed."""
    out = MD.render(body)
    out = BLOCK_START_DASH.sub(r"\1", out)
    out = BLOCK_TAG.sub(" ", out)
    out = ANY_TAG.sub("", out)
    return norm(html.unescape(out))


class Article:
    def __init__(self, index: int, path: Path) -> None:
        self.index = index
        self.path = path
        lines = path.read_text(encoding="utf-8").splitlines()
        self.title = norm(lines[0])
        self.chrome: list[str] = []
        self.body: list[str] = []
        self.attribution: dict[str, str] = {}
        for raw in lines[1:]:
            line = norm(raw)
            if not line:
                continue
            if line in CHROME:
                self.chrome.append(line)
            elif index == 0 and line == NOTICE_000:
                self.attribution["notice"] = line
            elif index == 0 and line == "Flavio Martins":
                self.attribution["author"] = line
            elif index in BIO_START and line.startswith(BIO_START[index]):
                if index == 4:
                    # the bio's trailing colon introduced a link the raw text lost
                    assert line.endswith(":")
                    line = line[:-1] + "."
                self.attribution["author_bio"] = line
            else:
                self.body.append(article_line(line))


def missing_sentences(article: Article, chapter_text: str) -> list[str]:
    """Sentences of the article that the chapter does not contain."""
    front, body = split_chapter(chapter_text)
    haystack = f"{norm(str(front.get('title', '')))} {rendered_text(body)}"
    attribution = " ".join(norm(str(front.get(k) or "")) for k in article.attribution)
    missing = [s for line in article.body for s in sentences(line) if s not in haystack]
    missing += [
        s for line in article.attribution.values() for s in sentences(line) if s not in attribution
    ]
    return missing


def load_articles() -> list[Article]:
    paths = sorted(ARTICLES.glob("*.txt"))
    return [Article(i, p) for i, p in enumerate(paths)]


ARTICLE_LIST = load_articles()


def chapter_text(i: int) -> str:
    return (MANUSCRIPT / CHAPTERS[i]).read_text(encoding="utf-8")


def test_book_yaml_lists_five_chapters_in_order() -> None:
    book = yaml.safe_load((MANUSCRIPT / "book.yaml").read_text(encoding="utf-8"))
    assert set(book) <= BOOK_KEYS, set(book) - BOOK_KEYS
    assert book["chapters"] == CHAPTERS
    assert sorted(p.name for p in MANUSCRIPT.glob("*.md")) == CHAPTERS


def test_articles_map_one_to_one_to_chapters() -> None:
    assert [a.path.name[:4] for a in ARTICLE_LIST] == ["000_", "001_", "002_", "003_", "004_"]
    assert len(ARTICLE_LIST) == len(CHAPTERS) == 5
    for article, name in zip(ARTICLE_LIST, CHAPTERS, strict=True):
        front, _ = split_chapter((MANUSCRIPT / name).read_text(encoding="utf-8"))
        assert norm(front["title"]) == article.title, name


def test_chrome_list_matches_the_articles() -> None:
    # guards against the chrome list drifting from the raw text (a vacuous test)
    found = {line for a in ARTICLE_LIST for line in a.chrome}
    assert found == set(CHROME)


@pytest.mark.parametrize("i", range(5), ids=CHAPTERS)
def test_every_sentence_is_kept(i: int) -> None:
    article = ARTICLE_LIST[i]
    assert article.body, "article body is empty"
    missing = missing_sentences(article, chapter_text(i))
    assert not missing, f"{CHAPTERS[i]} lacks: {missing}"


@pytest.mark.parametrize("i", range(5), ids=CHAPTERS)
def test_no_chrome_in_chapter(i: int) -> None:
    text = chapter_text(i)
    flat = norm(text)
    for line in CHROME:
        assert norm(line) not in flat, f"{CHAPTERS[i]} contains chrome: {line!r}"
        for s in sentences(line):
            assert s not in flat, f"{CHAPTERS[i]} contains chrome: {s!r}"


@pytest.mark.parametrize("i", range(5), ids=CHAPTERS)
def test_front_matter(i: int) -> None:
    front, body = split_chapter(chapter_text(i))
    assert set(front) <= CHAPTER_KEYS, set(front) - CHAPTER_KEYS
    assert "author" in front
    assert front["author"] == AUTHORS[i]
    source = front.get("source") or {}
    assert isinstance(source, dict)
    assert set(source) <= SOURCE_KEYS
    assert "url" not in source and "date" not in source
    # the title lives in front matter only, never repeated as a heading
    assert "<h1>" not in MD.render(body)
    # attribution moved to front matter: equal as written, and absent from the body
    article = ARTICLE_LIST[i]
    body_text = rendered_text(body)
    for key, value in article.attribution.items():
        assert norm(str(front.get(key))) == value, key
        if key != "author":
            assert value not in body_text
            assert sentences(value)[0] not in body_text
    if i == 0:
        assert front["source"] == {"publication": "Win the Customer!"}
        assert front["notice"] == NOTICE_000
    else:
        assert "notice" not in front
