"""The EPUB as reading systems show it: converted for Kindle by Calibre, read back with
ebook-meta, and every document rendered by Chromium on a 360 px phone screen.

Three books: the default one, tests/projects/rich (a supplied cover, a table, several
scripts) and tests/projects/phone (long compound words, long addresses, wide tables, an
image opening the first chapter and no cover of its own).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cxbook.readers.project import read_project

from conftest import PROJECTS, REPO, build_epub_file, copy_project
from support.lms_harness import SYSTEM_HINT, run_ace, run_epubcheck

pytestmark = pytest.mark.slow

BOOKS = {"default": REPO, "rich": PROJECTS / "rich", "phone": PROJECTS / "phone"}
PHONE = {"width": 360, "height": 640}

# For every element: its box must lie inside the viewport; for every run of text: inside
# the viewport and inside the box of the block that holds it (a word drawn over the next
# table cell stays inside the viewport but leaves its cell). Returns what does not fit.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.getAttribute('class') ? '.' + el.getAttribute('class').split(' ').join('.') : '');
  const shown = (el) => { const s = getComputedStyle(el);
                          return s.display !== 'none' && s.visibility !== 'hidden'; };
  for (const el of document.body.querySelectorAll('*')) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      found.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim()) continue;
    let block = node.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) {
      block = block.parentElement;
    }
    if (!block || !shown(block) || block.closest('[hidden]')) continue;
    const outer = block.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 0 && (r.right > Math.min(width, outer.right) + 0.5 ||
                          r.left < Math.max(0, outer.left) - 0.5)) {
        found.push(`text '${node.data.trim().slice(0, 30)}' in ${name(block)} reaches ` +
                   `${Math.round(r.right)} px of ${Math.round(Math.min(width, outer.right))}`);
        break;
      }
    }
  }
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px`);
  }
  return found;
}
"""


@pytest.fixture(scope="module")
def epubs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: build_epub_file(path, tmp_path_factory.mktemp(f"epub-{name}"))
            for name, path in BOOKS.items()}


def _unpacked(epub: Path, folder: Path) -> list[Path]:
    """The EPUB unpacked into ``folder``: its XHTML documents, sorted."""
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
    return sorted(folder.glob("EPUB/*.xhtml"))


# ---- Phones ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", list(BOOKS))
def test_every_document_fits_a_phone_screen(epubs: dict[str, Path], which: str,
                                            browser: Any, tmp_path: Path) -> None:
    """At 360 px, running text, long words, addresses, code and tables wrap or shrink:
    nothing is wider than the screen and no text leaves its box."""
    page = browser.new_page(viewport=PHONE)
    try:
        problems = {}
        documents = _unpacked(epubs[which], tmp_path)
        assert len(documents) >= 8
        for document in documents:
            page.goto(document.as_uri())
            found = page.evaluate(OVERFLOW_JS)
            if found:
                problems[document.name] = found[:5]
        assert problems == {}
        if which == "phone":  # a narrow table breaks its words, never a figure
            page.goto(next(d for d in documents if d.name == "ch-wide-tables.xhtml").as_uri())
            lines = page.evaluate("""() => [...document.querySelectorAll(
                'td[style*="text-align:right"]')].map(td => {
                  const range = document.createRange(); range.selectNodeContents(td);
                  return range.getClientRects().length; })""")
            assert len(lines) == 18 and set(lines) == {1}
    finally:
        page.close()


def test_passage_in_another_language_hyphenates_in_it(epubs: dict[str, Path], browser: Any,
                                                      tmp_path: Path) -> None:
    """A passage with its own language keeps it (lang and xml:lang) and is hyphenated
    automatically, as the book's own text is; headings, addresses and code are not."""
    documents = {d.name: d for d in _unpacked(epubs["phone"], tmp_path)}
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(documents["ch-long-words.xhtml"].as_uri())
        facts = page.evaluate("""() => {
          const style = (el) => getComputedStyle(el).hyphens;
          const de = document.querySelector('p[lang="de"]');
          return {
            de: de && de.getAttributeNS('http://www.w3.org/XML/1998/namespace', 'lang'),
            deMatches: de && de.matches(':lang(de)'),
            deHyphens: de && style(de),
            body: style(document.body),
            heading: style(document.querySelector('h1')),
            url: [...document.querySelectorAll('a.url')].map(style),
            code: [...document.querySelectorAll('code, pre')].map(style),
          };
        }""")
    finally:
        page.close()
    assert facts["de"] == "de" and facts["deMatches"]
    assert facts["deHyphens"] == facts["body"] == "auto"
    assert facts["heading"] == "manual"
    assert facts["url"] and set(facts["url"]) == {"manual"}
    assert facts["code"] and set(facts["code"]) == {"manual"}


def _hyphenated(text: str) -> list[tuple[str, int]]:
    """(word, where) for every word a line of ``text`` ends inside with a hyphen (U+2010)."""
    joined, breaks = "", []
    for line in text.splitlines():
        if line.endswith("\u2010"):
            joined += line[:-1]
            breaks.append(len(joined))
        else:
            joined += line + " "
    found = []
    for at in breaks:
        start = joined.rfind(" ", 0, at) + 1
        end = joined.find(" ", at)
        found.append((joined[start:end].strip(".,;:“”"), at - start))
    return found


def test_passage_in_another_language_is_hyphenated_by_its_rules(epubs: dict[str, Path],
                                                                tmp_path: Path) -> None:
    """Where the engine has hyphenation patterns (WeasyPrint has Pyphen's; Debian's Chromium
    has none), a German passage of an English book is hyphenated by German rules: the
    chapter document, with the EPUB's own stylesheet, laid out 360 px wide."""
    import pyphen
    from pypdf import PdfReader
    from weasyprint import CSS, HTML

    documents = {d.name: d for d in _unpacked(epubs["phone"], tmp_path)}
    pdf = HTML(filename=str(documents["ch-long-words.xhtml"])).write_pdf(
        stylesheets=[CSS(string="@page { size: 360px 3000px; margin: 0 }")])
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    german = pyphen.Pyphen(lang="de")
    breaks = [(word, at) for word, at in _hyphenated(text)
              if word.startswith(("Donau", "Kundendienstqualitätssicherungsmaßnahmenkatalogü",
                                  "Rechtsschutz"))]
    assert len(breaks) >= 3, text
    for word, at in breaks:
        assert at in german.positions(word), (word, at)
    # Not the book's English rules, which allow few of these breaks.
    english = pyphen.Pyphen(lang="en_US")
    assert any(at not in english.positions(word) for word, at in breaks)


def test_phone_book_passes_epubcheck_and_ace(epubs: dict[str, Path], tmp_path: Path) -> None:
    report = run_epubcheck(epubs["phone"])
    assert (report["fatal"], report["error"], report["warning"]) == (0, 0, 0), (
        report["messages"])
    ace = run_ace(epubs["phone"], tmp_path / "ace")
    assert ace["total"] == 0, ace["violations"]


def test_theme_colours_reach_every_element(browser: Any, tmp_path: Path) -> None:
    """With every colour of theme.yaml changed, no element of the EPUB is drawn in a
    built-in colour."""
    project = copy_project("rich", tmp_path)
    (project / "themes/default/theme.yaml").write_text(
        "extends: default\ncolors: {accent: '#7a1f3d', ink: '#202020', muted: '#606060', "
        "rule: '#aabbcc', paper: '#fffff0'}\n", "utf-8")
    builtin = read_project(REPO).theme.palette
    rgb = {f"rgb({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:7], 16)})": name
           for name, c in builtin.items() if name != "paper"}
    documents = _unpacked(build_epub_file(project, tmp_path / "out"), tmp_path / "unpacked")
    page = browser.new_page(viewport=PHONE)
    try:
        found = {}
        for document in documents:
            page.goto(document.as_uri())
            colours = page.evaluate("""() => {
              const out = [];
              for (const el of document.querySelectorAll('body, body *')) {
                const s = getComputedStyle(el);
                out.push([el.tagName, s.color, s.backgroundColor]);
                for (const side of ['Top', 'Right', 'Bottom', 'Left']) {
                  if (parseFloat(s[`border${side}Width`]) > 0 &&
                      s[`border${side}Style`] !== 'none') {
                    out.push([el.tagName, s[`border${side}Color`]]);
                  }
                }
              }
              return out;
            }""")
            left = {(c[0], rgb[v]) for c in colours for v in c[1:] if v in rgb}
            if left:
                found[document.name] = sorted(left)
        assert found == {}
    finally:
        page.close()


# ---- Kindle, through Calibre ------------------------------------------------------------


def _calibre(tool: str, *args: str, timeout: float = 180) -> str:
    """Run a Calibre command line tool headless; its output (stdout and stderr)."""
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"'{tool}' not found (Debian package 'calibre'); {SYSTEM_HINT}")
    with tempfile.TemporaryDirectory(prefix="cxbook-calibre-") as config:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
               "CALIBRE_CONFIG_DIRECTORY": config}
        done = subprocess.run([path, *args], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


# Conversions: name -> (book, Kindle format). Every book to AZW3 (KF8); the book whose
# first chapter opens with an image to MOBI too, for older Kindles.
KINDLE = {**{name: (name, "azw3") for name in BOOKS}, "phone-mobi": ("phone", "mobi")}


@pytest.fixture(scope="module")
def kindle(epubs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, tuple[Path, str]]:
    """The books converted by Calibre's ebook-convert: name -> (file, conversion log)."""
    out = tmp_path_factory.mktemp("kindle")
    converted = {}
    for name, (book, fmt) in KINDLE.items():
        target = out / f"{name}.{fmt}"
        converted[name] = (target, _calibre("ebook-convert", str(epubs[book]), str(target)))
    return converted


def _meta(path: Path) -> dict[str, str]:
    text = _calibre("ebook-meta", str(path))
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                 text.splitlines()) if v}


@pytest.mark.parametrize("which", list(KINDLE))
def test_kindle_conversion_keeps_our_cover(kindle: dict[str, tuple[Path, str]], which: str,
                                           tmp_path: Path) -> None:
    """Calibre takes the EPUB's cover-image as the Kindle cover: for a book without a cover
    of its own, the generated one (its proportions, the theme's accent above and paper in
    the band below), never the small image that opens the first chapter."""
    converted, log = kindle[which]
    cover = tmp_path / "cover.jpg"
    _calibre("ebook-meta", str(converted), f"--get-cover={cover}")
    image = Image.open(cover).convert("RGB")
    width, height = image.size
    project = read_project(BOOKS[KINDLE[which][0]])
    if which == "rich":  # the book's own 320 x 480 cover, kept as it is
        asset = project.asset("images/cover.png")
        assert asset is not None
        assert image.size == Image.open(io.BytesIO(asset.data)).size
        return
    assert height >= 2000 and abs(height / width - 1.6) < 0.01, image.size
    palette = project.theme.palette

    def near(pixel: tuple[int, ...], color: str) -> bool:
        return all(abs(p - int(color[i:i + 2], 16)) <= 12
                   for p, i in zip(pixel, (1, 3, 5), strict=True))

    assert near(image.getpixel((width // 2, height // 40)), palette["accent"])
    assert near(image.getpixel((width // 2, height - height // 40)), palette["paper"])
    assert "No cover found" not in log


def test_kindle_lists_chapter_authors(kindle: dict[str, tuple[Path, str]]) -> None:
    """The chapter authors are the Kindle book's authors; the editor, marked as editor in
    the EPUB, is not listed as one of them."""
    assert _meta(kindle["default"][0])["Author(s)"] == "Flavio Martins & Chris Smoje"
    assert _meta(kindle["rich"][0])["Author(s)"] == (
        "Grace Sample & Kenji Tanaka & Layla Haddad & Sam Tester")
    assert _meta(kindle["phone"][0])["Author(s)"] == "Grete Beispiel & Tomás Ejemplo"
    assert _meta(kindle["phone-mobi"][0])["Author(s)"] == "Grete Beispiel & Tomás Ejemplo"


def test_kindle_conversion_logs_no_css_warnings(kindle: dict[str, tuple[Path, str]]) -> None:
    for which, (_, log) in kindle.items():
        # Calibre's progress lines ("Flattening CSS…", "Applying case-transforming CSS…")
        # aside, nothing about the stylesheet.
        warnings = [line for line in log.splitlines()
                    if re.search(r"CSS|Unexpected token|ignoring", line, re.I)
                    and not re.match(r"(Flattening|Applying) .*CSS", line)]
        assert warnings == [], which
