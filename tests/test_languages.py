"""Books in other languages, built for real: the default book in German, French, Arabic,
Hebrew and Japanese carries no English label in any output (the English texts taken from
the catalog template itself), EPUBCheck and Ace pass, right-to-left books read back as
such from the EPUB, the PDF's text positions and the course page in Chromium, and the
course player speaks the book's language.

The default book's chapters and course files are English; to tell the labels cxbook
generates from the author's text, the copy built here has every word of its author's text
written backwards ("Service" → "ecivreS"): nothing of the author's can then read as an
English label, and whatever English is left came from cxbook."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import lxml.html
import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from cxbook import i18n
from cxbook.build import available_formats
from cxbook.renderers import scorm

from conftest import REPO, SOURCE_DATE_EPOCH, run_cli
from support.lms_harness import run_ace, run_axe, run_epubcheck, serve_directory

pytestmark = pytest.mark.slow

LANGUAGES = ("de", "fr", "ar", "he", "ja")
PLACEHOLDER_RE = re.compile(r"%\(\w+\)s|%%")
WORD_RE = re.compile(r"\{[^{}]*\}|[A-Za-z]{2,}")
SCALAR_KEYS = {"kind", "minutes", "id", "mastery_score", "original", "language", "theme",
               "date", "url", "acknowledge", "type", "tolerance", "range", "session_minutes"}
BLOCK_RE = re.compile(r"^(\s*)(?:- )?[A-Za-z_]+:\s*[|>][-+]?\s*$")
KEY_RE = re.compile(r"^(\s*(?:- )?)([A-Za-z_]+)(:\s*)(.*)$")
ITEM_RE = re.compile(r"^(\s*- )(.*)$")
XHTML = "{http://www.w3.org/1999/xhtml}"
TEXT_ATTRIBUTES = ("alt", "aria-label", "title")


# ------------------------------------------------------------------ the book's copy


def backwards(text: str) -> str:
    """Every word of two letters or more written backwards; ``{placeholders}`` kept."""
    return WORD_RE.sub(lambda m: m.group(0) if m.group(0).startswith("{") else
                       m.group(0)[::-1], text)


def backwards_yaml(text: str) -> str:
    """A YAML file (course file, front matter) with its values' words backwards and its
    keys, numbers and kinds as they are."""
    out: list[str] = []
    block: int | None = None  # indentation of the key that opened a block scalar
    codes: int | None = None  # indentation of an ``acknowledge:`` list of codes
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if block is not None and (not line.strip() or indent > block):
            out.append(backwards(line))
            continue
        block = None
        if codes is not None and line.lstrip().startswith("- ") and indent >= codes:
            out.append(line)
            continue
        codes = None
        if line.lstrip().startswith("#") or line.strip() in ("", "---"):
            out.append(line)
        elif BLOCK_RE.match(line):
            block = indent
            out.append(line)
        elif (key := KEY_RE.match(line)) is not None:
            prefix, name, colon, value = key.groups()
            if name == "acknowledge" and not value:
                codes = indent
            plain = name in SCALAR_KEYS or value in ("", "null", "true", "false") or \
                value.isdigit()
            out.append(line if plain else prefix + name + colon + backwards(value))
        elif (item := ITEM_RE.match(line)) is not None:
            out.append(item.group(1) + backwards(item.group(2)))
        else:
            out.append(backwards(line))
    return "\n".join(out)


def default_book_in(language: str, root: Path) -> Path:
    """The default book with ``language`` and its author's text backwards."""
    (root / "manuscript").mkdir(parents=True)
    (root / "course").mkdir()
    chapters = sorted((REPO / "manuscript").glob("*.md"))
    (root / "manuscript" / "book.yaml").write_text(
        f"title: {backwards('Service Matters')}\n"
        f"subtitle: {backwards('Five Essays on Customer Experience')}\n"
        f"editor: {backwards('The cxbook project')}\n"
        f"language: {language}\n"
        f"publisher: {backwards('The cxbook project')}\n"
        f"rights: {backwards('Each chapter remains the copyright of its author.')}\n"
        "date: 2026-11-22\n"
        "chapters:\n" + "".join(f"  - {p.name}\n" for p in chapters)
        + "acknowledge: [chapter]\n", "utf-8")
    for path in chapters:
        text = path.read_text("utf-8")
        _, front, body = text.split("---\n", 2)
        (root / "manuscript" / path.name).write_text(
            f"---\n{backwards_yaml(front)}---\n{backwards(body)}", "utf-8")
    for path in sorted((REPO / "course").glob("*.yaml")):
        (root / "course" / path.name).write_text(backwards_yaml(path.read_text("utf-8")),
                                                 "utf-8")
    return root


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each language's book built in every format (and English, for comparison)."""
    out: dict[str, Path] = {}
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH  # built before any test's own set-up
    formats = ",".join(available_formats())
    for language in (*LANGUAGES, "en"):
        root = default_book_in(language, tmp_path_factory.mktemp(f"book-{language}"))
        result = run_cli("build", str(root), "--format", formats, "--out",
                         str(root / "dist"), "--quiet", "--no-cache")
        assert result.code == 0, result.err
        # every script printed with the theme's fonts: no box, no font warning
        assert "[pdf.warning]" not in result.err and "[font." not in result.err, result.err
        out[language] = root / "dist"
    return out


# ------------------------------------------------------------- what the outputs say


def _element_texts(root: Any) -> Iterator[str]:
    """The text, tails and text attributes of every element under ``root`` (ElementTree
    or lxml), and the content of its meta elements; no script or style."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.rpartition("}")[2] in ("script", "style"):
            continue
        if el.text:
            yield el.text
        if el.tail:
            yield el.tail
        for name in TEXT_ATTRIBUTES:
            if el.get(name):
                yield el.get(name) or ""
        if el.get("content") and not el.get("http-equiv") and el.get("name") not in (
                "viewport", "generator", "referrer"):
            yield el.get("content") or ""


def _pdf_texts(path: Path) -> Iterator[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    yield text.replace("\u00ad\n", "").replace("\u00ad", "")
    reader = PdfReader(path)
    for value in (reader.metadata or {}).values():
        yield str(value)

    def outline(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from outline(item)
            else:
                yield str(item.title)

    yield from outline(reader.outline)


def output_texts(dist: Path) -> dict[str, str]:
    """Every text a reader or an LMS shows from each output: XHTML and HTML text and
    text attributes, EPUB, SCORM, cmi5 and Common Cartridge metadata, the cartridges'
    discussion topics, web links and QTI quizzes, PDF text layers, metadata and bookmarks,
    and the course player's messages."""
    texts: dict[str, list[str]] = {}
    for path in sorted(dist.iterdir()):
        found = texts.setdefault(path.name, [])
        if path.suffix == ".pdf":
            found.extend(_pdf_texts(path))
            continue
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                data = archive.read(name)
                # .xml: manifests, cmi5.xml, the cartridges' topics, web links and quizzes
                if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                    found.extend(_element_texts(ET.fromstring(data)))
                elif name.endswith(".html"):
                    found.extend(_element_texts(lxml.html.fromstring(data)))
                elif name.endswith("locale.js"):
                    body = data.decode("utf-8").split("=", 1)[1].split(";\n", 1)[0]
                    messages = json.loads(body)["messages"]
                    for value in messages.values():
                        found.extend(value if isinstance(value, list) else [value])
    return {name: " ".join(" ".join(found).split()) for name, found in texts.items()}


def english_fragments(language: str, *, drafts: bool = True) -> list[str]:
    """The English texts of every label, cut at their placeholders, that the language's
    catalog does not itself use (French says "Notes" and "Total" too); without the
    draft-course prompts when not ``drafts``."""
    catalog = read_po(io.BytesIO(i18n.catalog_text(i18n.negotiate(language) or "en")))
    own = " ".join(s for m in catalog if m.id for s in (
        m.string if isinstance(m.string, (list, tuple)) else [m.string]))
    fragments: set[str] = set()
    for message in i18n.template():
        if not message.id or (not drafts and str(message.context).startswith("draft.")):
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        for text in ids:
            for piece in PLACEHOLDER_RE.split(str(text)):
                piece = piece.strip(" .,:;()“”‘’—–-·/")
                if re.search(r"[A-Za-z]{2}", piece) and not _has(own, piece):
                    fragments.add(piece)
    return sorted(fragments)


def _has(text: str, fragment: str) -> bool:
    return re.search(rf"(?<![A-Za-z]){re.escape(fragment)}(?![A-Za-z])", text) is not None


# ------------------------------------------------------------------------ the tests


def test_the_author_text_is_written_backwards() -> None:
    assert backwards("Service Matters — {title} by {author}") == \
        "ecivreS srettaM — {title} yb {author}"
    yaml_text = "title: Myth busting\nkind: group\ninstructions: |\n  Split up.\n  Now.\n" \
        "minutes: 20\n"
    assert backwards_yaml(yaml_text) == ("title: htyM gnitsub\nkind: group\ninstructions: "
                                         "|\n  tilpS pu.\n  woN.\nminutes: 20\n")


def test_the_english_build_is_found_full_of_labels(books: dict[str, Path]) -> None:
    """The search finds labels when they are there: the English build shows most of them
    (so an untranslated label in another build would be found the same way)."""
    texts = " ".join(output_texts(books["en"]).values())
    fragments = english_fragments("de", drafts=False)
    found = [f for f in fragments if _has(texts, f)]
    assert len(found) > 0.6 * len(fragments), sorted(set(fragments) - set(found))
    for label in ("Contents", "Answer key", "Sources and permissions", "Previous", "Next",
                  "Check your understanding", "Facilitator guide", "Session plan"):
        assert _has(texts, label), label


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_label_in_any_output(books: dict[str, Path], language: str) -> None:
    fragments = english_fragments(language)
    leaks = {name: [f for f in fragments if _has(text, f)]
             for name, text in output_texts(books[language]).items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    names = sorted(p.name for p in books[language].iterdir())
    assert names == sorted(p.name for p in books["en"].iterdir())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_of_the_books_language_is_in_the_outputs(books: dict[str, Path],
                                                             language: str) -> None:
    """The other side: the outputs do say their labels in the language."""
    loc = i18n.Localizer(language)
    texts = " ".join(output_texts(books[language]).values())
    for name, english in (("contents.title", "Contents"), ("answer-key.title", "Answer key"),
                          ("sources.title", "Sources and permissions"),
                          ("course.previous", "Previous"), ("course.next", "Next"),
                          ("edition.facilitator", "Facilitator guide"),
                          ("activities.check", "Check your understanding")):
        assert loc.pgettext(name, english) in texts, (language, name)


@pytest.mark.parametrize("language", ["ar", "he", "ja"])
def test_epubcheck_and_ace_pass(books: dict[str, Path], language: str,
                                tmp_path: Path) -> None:
    (epub,) = books[language].glob("*.epub")
    report = run_epubcheck(epub)
    assert (report["fatal"], report["error"], report["warning"]) == (0, 0, 0), \
        report["messages"]
    ace = run_ace(epub, tmp_path / "ace")
    assert ace["violations"] == []


@pytest.mark.parametrize("language", ["ar", "he"])
def test_right_to_left_epub(books: dict[str, Path], language: str) -> None:
    (epub,) = books[language].glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        opf_name = next(n for n in archive.namelist() if n.endswith(".opf"))
        opf = ET.fromstring(archive.read(opf_name))
        documents = {n: ET.fromstring(archive.read(n)) for n in archive.namelist()
                     if n.endswith(".xhtml")}
    spine = opf.find("{http://www.idpf.org/2007/opf}spine")
    assert spine is not None and spine.get("page-progression-direction") == "rtl"
    assert opf.get("dir") == "rtl"
    assert any(n.endswith("nav.xhtml") for n in documents)
    for name, root in documents.items():
        assert (root.get("dir"), root.get("lang")) == ("rtl", language), name
    chapter = next(root for name, root in documents.items() if "positive" in name)
    byline = next(p for p in chapter.iter(f"{XHTML}p") if p.get("class") == "byline")
    bdi = byline.find(f"{XHTML}bdi")
    assert bdi is not None and bdi.text == backwards("Flavio Martins")  # isolated name
    (english,) = books["en"].glob("*.epub")
    with zipfile.ZipFile(english) as archive:
        opf_name = next(n for n in archive.namelist() if n.endswith(".opf"))
        spine = ET.fromstring(archive.read(opf_name)).find(
            "{http://www.idpf.org/2007/opf}spine")
    assert spine is not None and spine.get("page-progression-direction") == "ltr"


def _words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) of a page (1-based), from pdftotext -bbox; a
    right-to-left word as pdftotext gives it: its letters in the order they are drawn,
    left to right, and Arabic in presentation forms (see _is)."""
    xhtml = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf),
                            "-"], capture_output=True, text=True, check=True).stdout
    return [(html_unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                       r'yMax="([\d.]+)">([^<]*)</word>', xhtml)]


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _is(drawn: str, word: str) -> bool:
    """Whether a word of the text layer is ``word``, read either way."""
    plain = unicodedata.normalize("NFKC", drawn)
    return word in (plain, plain[::-1])


def _page_of(pdf: Path, word: str) -> int:
    count = len(PdfReader(pdf).pages)
    for page in range(1, count + 1):
        if any(_is(w[0], word) for w in _words(pdf, page)):
            return page
    raise AssertionError(f"{word!r} is on no page of {pdf.name}")


def test_rebuilding_gives_the_same_bytes(books: dict[str, Path], tmp_path: Path) -> None:
    root = books["ar"].parent
    again = tmp_path / "again"
    result = run_cli("build", str(root), "--format", "epub,pdf,scorm2004", "--out", str(again),
                     "--quiet", "--no-cache")
    assert result.code == 0, result.err
    for path in sorted(again.iterdir()):
        assert path.read_bytes() == (books["ar"] / path.name).read_bytes(), path.name


@pytest.mark.parametrize("language", ["he", "ar"])
def test_right_to_left_pdf_pages_are_mirrored(books: dict[str, Path], language: str) -> None:
    """Read back from the text layer's positions: the chapter's number label sits at the
    right edge of the text block, lines of text end on the right and start ragged on the
    left, and every list number is right of its item's words; the English build is the
    other way round. The PDF asks viewers for right-to-left reading."""
    loc = i18n.Localizer(language)
    pdf = next(p for p in books[language].glob("*-facilitator.pdf"))
    english = next(p for p in books["en"].glob("*-facilitator.pdf"))
    assert PdfReader(pdf).trailer["/Root"]["/ViewerPreferences"]["/Direction"] == "/R2L"
    assert "/Direction" not in PdfReader(english).trailer["/Root"].get(
        "/ViewerPreferences", {})
    width = float(PdfReader(pdf).pages[0].mediabox.width)
    word = loc.pgettext("plan.title", "Session plan").split()[0]
    page = _page_of(pdf, word)
    words = _words(pdf, page)
    heading = next(w for w in words if _is(w[0], word))
    assert heading[3] > width * 0.75 and heading[1] > width / 2
    english_heading = next(w for w in _words(english, _page_of(english, "Session"))
                           if w[0] == "Session")
    assert english_heading[1] < width * 0.25
    # lines: the right ends line up, the left ends do not
    lines: dict[float, list[tuple[str, float, float, float, float]]] = {}
    for w in words:
        lines.setdefault(round(w[2]), []).append(w)
    rights = sorted(round(max(w[3] for w in line)) for line in lines.values() if len(line) > 3)
    assert rights and rights.count(rights[-1]) + rights.count(rights[-1] - 1) >= 3
    # the workbook's numbered discussion questions: numbers to the right of the text
    workbook = next(p for p in books[language].glob("*-workbook.pdf"))
    title = loc.pgettext("activities.discuss", "Discuss")
    numbered = 0
    for page in range(1, len(PdfReader(workbook).pages) + 1):
        page_words = _words(workbook, page)
        if not any(_is(w[0], title) for w in page_words):
            continue
        rows: dict[int, list[tuple[str, float, float, float, float]]] = {}
        for w in page_words:
            rows.setdefault(round(w[2]), []).append(w)
        for row in rows.values():
            markers = [w for w in row if re.fullmatch(r"\.?\d\.?", w[0])]
            others = [w for w in row if w not in markers]
            if markers and len(others) >= 2:
                assert markers[0][1] > max(w[3] for w in others), row
                numbered += 1
        break
    assert numbered >= 3


@pytest.mark.parametrize("language", ["ar", "he", "ja"])
def test_cartridges_and_cmi5_package_in_the_books_language(books: dict[str, Path],
                                                           language: str) -> None:
    """Every page of both cartridges carries the book's language and direction, their
    generated titles and quiz rubrics are the catalog's; the cmi5 package's page too, its
    adapter's words among the player's, cmi5.xml's titles in the book's language."""
    loc = i18n.Localizer(language)
    direction = "rtl" if language in ("ar", "he") else "ltr"
    discussion = loc.pgettext("cc.discussion-title", "Discussion: %(question)s",
                              question="\x00").split("\x00")[0]
    quiz = loc.pgettext("cc.quiz-title", "Check your understanding: %(chapter)s",
                        chapter="\x00").split("\x00")[0]
    cartridges = sorted(books[language].glob("*.imscc"))
    assert len(cartridges) == 2
    for cartridge in cartridges:
        with zipfile.ZipFile(cartridge) as archive:
            pages = [n for n in archive.namelist() if n.endswith(".html")]
            assert len(pages) > 5
            for name in pages:
                root = ET.fromstring(archive.read(name))
                assert (root.get("lang"), root.get("dir")) == (language, direction), name
            manifest = ET.fromstring(archive.read("imsmanifest.xml"))
            titles = [t.text or "" for t in manifest.iter() if t.tag.endswith("}title")]
            assert sum(t.startswith(discussion) for t in titles) >= 5, titles
            assert sum(t.startswith(quiz) for t in titles) >= 5, titles
            assert loc.pgettext("sources.title", "Sources and permissions") in titles
            rubrics = [t.text for n in archive.namelist() if n.endswith("-quiz.xml")
                       for t in ET.fromstring(archive.read(n)).iter()
                       if t.tag.endswith("}rubric") for t in t.iter()
                       if t.tag.endswith("}mattext")]
            assert rubrics and set(rubrics) == {loc.pgettext(
                "cc.pass-mark", "Each question is worth 1 point. The course's pass mark is "
                "%(percent)s of all its questions answered right.", percent=loc.percent(80))}
    (package,) = books[language].glob("*-cmi5.zip")
    with zipfile.ZipFile(package) as archive:
        page = lxml.html.fromstring(archive.read("index.html"))
        assert (page.get("lang"), page.get("dir")) == (language, direction)
        structure = ET.fromstring(archive.read("cmi5.xml"))
        langs = {s.get("lang") for s in structure.iter() if s.tag.endswith("}langstring")}
        assert langs == {language}
        script = archive.read("cxbook/locale.js").decode("utf-8")
        messages = json.loads(script.split("=", 1)[1].split(";\n", 1)[0])["messages"]
    assert messages["cmi5.exit"] == loc.pgettext("cmi5.exit", "Exit") != "Exit"
    assert {"cmi5.queued", "cmi5.unavailable"} <= set(messages)


@pytest.mark.parametrize("language", ["he", "ar"])
def test_right_to_left_course_page(books: dict[str, Path], language: str, browser: Any,
                                   tmp_path: Path) -> None:
    """The course page in Chromium at 1280 and 360 pixels: the contents to the right of
    the text (at 360, above it, set from the right), Previous to the right of Next,
    axe-core finds nothing; screenshots for a look."""
    package = tmp_path / "pkg"
    with zipfile.ZipFile(next(books[language].glob("*-scorm2004.zip"))) as archive:
        archive.extractall(package)
    with serve_directory(package) as url:
        for width in (1280, 360):
            # axe-core is injected as an inline script, which the page's policy forbids
            context = browser.new_context(bypass_csp=True,
                                          viewport={"width": width, "height": 900})
            page = context.new_page()
            try:
                page.goto(f"{url}/index.html")
                page.wait_for_function("window.cxcourse && window.cxcourse.current")
                toc = page.locator("#cx-toc").bounding_box()
                main = page.locator("#cx-main").bounding_box()
                summary = page.locator("#cx-toc summary").evaluate(
                    "s => { const r = document.createRange(); r.selectNodeContents(s);"
                    " const b = r.getBoundingClientRect(); return [b.left, b.right]; }")
                prev = page.locator("#cx-prev").bounding_box()
                nxt = page.locator("#cx-next").bounding_box()
                assert toc and main and prev and nxt
                if width == 1280:
                    assert toc["x"] > main["x"] + main["width"] / 2
                else:
                    assert toc["y"] < main["y"]
                    assert summary[1] > width - 60 and summary[0] > width / 2
                assert prev["x"] > nxt["x"]
                assert page.evaluate("document.documentElement.dir") == "rtl"
                # the catalog's plural rule, run by the page as Babel runs it
                forms = page.evaluate("[...Array(230).keys()].map(window.cxcourseLocale.plural)")
                assert forms == [i18n.Localizer(language).plural_index(n) for n in range(230)]
                page.screenshot(path=str(tmp_path / f"course-{language}-{width}.png"),
                                full_page=False)
                violations = run_axe(page)
                assert violations == [], [v["id"] for v in violations]
            finally:
                context.close()


def test_cjk_text_on_the_course_page_has_a_font_of_its_own(books: dict[str, Path], browser: Any,
                                                           tmp_path: Path) -> None:
    """A Japanese course page carries a subset of the theme's CJK font holding every CJK
    character it shows, and Chromium (whose machine here has no CJK font) loads it; an
    English course page carries none."""
    with zipfile.ZipFile(next(books["en"].glob("*-scorm2004.zip"))) as archive:
        assert not [n for n in archive.namelist() if "cjk" in n]
    package = tmp_path / "pkg"
    with zipfile.ZipFile(next(books["ja"].glob("*-scorm2004.zip"))) as archive:
        archive.extractall(package)
    font = TTFont(package / "cxbook" / "fonts" / "cxbook-cjk.otf")
    shown = "".join((package / name).read_text(encoding="utf-8") for name in
                    ("index.html", "cxbook/course-data.json", "cxbook/locale.js"))
    wanted = scorm.cjk_characters(shown)
    assert len(wanted) > 50  # the labels, at least
    assert wanted <= set(font.getBestCmap())
    assert len(font.getBestCmap()) < len(wanted) + 300  # a subset, not the whole font
    with serve_directory(package) as url:
        context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{url}/index.html")
            page.wait_for_function("window.cxcourse && window.cxcourse.current")
            statuses = page.evaluate(
                "document.fonts.ready.then(() => [...document.fonts]"
                ".filter(f => f.family.replace(/\"/g, '') === 'cxbook CJK')"
                ".map(f => f.status))")
            assert statuses == ["loaded"]
            page.screenshot(path=str(tmp_path / "course-ja-360.png"))
        finally:
            context.close()


def test_the_course_player_speaks_the_books_language(books: dict[str, Path], browser: Any,
                                                     tmp_path: Path) -> None:
    """Every text the player writes (status, page count, feedback, results) in German,
    with German numbers and plural forms; none of the English."""
    package = tmp_path / "pkg"
    with zipfile.ZipFile(next(books["de"].glob("*-scorm12.zip"))) as archive:
        archive.extractall(package)
    fragments = english_fragments("de")
    with serve_directory(package) as url:
        # Playwright's waiting evaluates code, which the page's policy forbids
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{url}/index.html")
            page.wait_for_function("window.cxcourse && window.cxcourse.current")
            said = [page.locator("#cx-status").inner_text(),
                    page.locator("#cx-where").inner_text()]
            assert said[0].startswith("1 von 5 Kapiteln besucht · 0 von ")
            assert said[0].endswith("Fragen beantwortet · Ergebnis 0\xa0%.")
            assert said[1] == "Seite 1 von 6"
            form = page.locator("form.quiz-form").first
            form.locator("button.check").click()
            said.append(form.locator(".quiz-result").inner_text())
            said.extend(form.locator(".feedback").all_inner_texts())
            assert said[2].startswith("Sie haben 0 von ")
            assert "Nicht beantwortet." in said[3:]
            form.locator("input").first.check()
            form.locator("button.check").click()
            said.append(form.locator(".quiz-result").inner_text())
            assert "Bisheriges Kursergebnis:" in said[-1] and "bestanden ab 80\xa0%" in said[-1]
            page.locator("#cx-next").click()
            said.append(page.locator("#cx-where").inner_text())
            assert said[-1] == "Seite 2 von 6"
            text = " ".join(said)
            assert [f for f in fragments if _has(text, f)] == []
        finally:
            context.close()


def test_a_chapter_or_passage_keeps_its_own_language_and_direction(tmp_path: Path) -> None:
    """A Hebrew book with an English chapter (front matter ``language: en``) and a Hebrew
    chapter holding an English passage and a Hebrew one: each keeps its lang and direction
    in the EPUB, the PDF (its tagged structure and the text's positions) and the course
    page, while the labels around them stay Hebrew."""
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text("title: ספר\nlanguage: he\n", "utf-8")
    (root / "manuscript" / "01-english.md").write_text(
        "---\ntitle: An English Article\nauthor: Ann Writer\nlanguage: en\noriginal: true\n"
        "---\n\nThis article is written in English from its first line to its last, and it "
        "is long enough to need a second line in every edition, so that its lines show "
        "which side they start on.\n\n1. First point of the list\n2. Second point\n",
        "utf-8")
    (root / "manuscript" / "02-hebrew.md").write_text(
        "---\ntitle: פרק בעברית\nauthor: דנה כהן\noriginal: true\n---\n\nזהו פרק בעברית.\n\n"
        '<p lang="en">An English quotation inside the Hebrew chapter, long enough to wrap '
        "onto a second line of the page so that its alignment shows.</p>\n\n"
        '<div lang="en"><p lang="he">שורה בעברית בתוך קטע באנגלית.</p></div>\n', "utf-8")
    result = run_cli("build", str(root), "--format", "epub,pdf,scorm12", "--out",
                     str(root / "dist"), "--quiet", "--no-cache")
    assert result.code == 0, result.err
    dist = root / "dist"
    with zipfile.ZipFile(next(dist.glob("*.epub"))) as archive:
        english = ET.fromstring(archive.read("EPUB/ch-english.xhtml"))
        hebrew = ET.fromstring(archive.read("EPUB/ch-hebrew.xhtml"))
    assert (english.get("lang"), english.get("dir")) == ("he", "rtl")
    body = next(d for d in english.iter(f"{XHTML}div") if d.get("class") == "chapter-body")
    title = english.find(f".//{XHTML}h1")
    assert title is not None and (title.get("lang"), title.get("dir")) == ("en", "ltr")
    assert (body.get("lang"), body.get("dir")) == ("en", "ltr")
    label = next(p for p in english.iter(f"{XHTML}p") if p.get("class") == "chapter-number")
    assert "".join(label.itertext()) == "פרק 1"  # the labels stay in the book's language
    passage = next(p for p in hebrew.iter(f"{XHTML}p") if p.get("lang") == "en")
    assert passage.get("dir") == "ltr"
    inner = next(p for p in hebrew.iter(f"{XHTML}p") if p.get("lang") == "he")
    assert inner.get("dir") == "rtl"  # written the other way from the passage around it
    with zipfile.ZipFile(next(dist.glob("*-scorm12.zip"))) as archive:
        html = archive.read("index.html").decode("utf-8")
    assert '<div class="chapter-body" lang="en" dir="ltr">' in html
    assert '<p lang="en" dir="ltr">An English quotation' in html
    # the PDF: the English lines start at the left edge of the text block, the Hebrew
    # book's own lines end at the right one
    pdf = next(dist.glob("*.pdf"))
    number = _page_of(pdf, "article")
    words = _words(pdf, number)
    width = float(PdfReader(pdf).pages[number - 1].mediabox.width)
    first = next(w for w in words if w[0] == "This")
    assert first[1] < width * 0.2
    point = next(w for w in words if w[0] == "First")
    marker = next(w for w in words if round(w[2]) == round(point[2]) and
                  re.fullmatch(r"\.?1\.?", w[0]))
    assert marker[3] < point[1]  # an English list's numbers are on its left
    reader = PdfReader(pdf)
    langs = set()
    todo = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while todo:
        element = todo.pop().get_object()
        if isinstance(element, dict):
            if "/Lang" in element:
                langs.add(str(element["/Lang"]))
            kids = element.get("/K")
            todo.extend(kids if isinstance(kids, list) else [kids] if kids is not None else [])
    assert {"en"} <= langs
