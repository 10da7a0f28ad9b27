"""The EPUB renderer: EPUBCheck, DAISY Ace, reproducibility, structure, metadata, safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import multiprocessing
import re
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PIL import Image
from pypdf import PdfReader

from cxbook.build import BuildOptions
from cxbook.diagnostics import CxbookError
from cxbook.model import Heading
from cxbook.readers.project import read_project
from cxbook.renderers.epub import EpubRenderer, outline_levels
from cxbook.renderers.epub_assets import font_face, theme_resources
from cxbook.renderers.epub_cover import InBackground, cover_css, cover_html, cover_pdf

from conftest import (
    PROJECTS,
    REPO,
    SOURCE_DATE_EPOCH,
    build_epub_file,
    copy_project,
    run_cli,
)
from support.lms_harness import run_ace, run_epubcheck

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
XH = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
WHEN = dt.datetime.fromtimestamp(int(SOURCE_DATE_EPOCH), tz=dt.UTC)
# Informational EPUBCheck usage messages that do not indicate a problem.
HARMLESS_USAGE = {"CSS-028"}  # "Use of Font-face declaration"


_build = build_epub_file


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default book and the rich test project, each built once for this module."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    try:
        return {
            "default": _build(REPO, tmp_path_factory.mktemp("epub-default")),
            "rich": _build(PROJECTS / "rich", tmp_path_factory.mktemp("epub-rich")),
        }
    finally:
        mp.undo()


def _zip(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


def _opf(path: Path) -> ET.Element:
    with _zip(path) as z:
        return ET.fromstring(z.read("EPUB/content.opf"))


def _docs(path: Path) -> dict[str, ET.Element]:
    """Spine documents in reading order: manifest href -> parsed XHTML."""
    opf = _opf(path)
    hrefs = {i.get("id"): i.get("href") for i in opf.iter(f"{OPF}item")}
    order = [hrefs[r.get("idref")] for r in opf.iter(f"{OPF}itemref")]
    with _zip(path) as z:
        return {h: ET.fromstring(z.read(f"EPUB/{h}")) for h in order if h}


def _text(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


@pytest.mark.parametrize("which", ["default", "rich"])
def test_epubcheck_reports_nothing(built: dict[str, Path], which: str) -> None:
    report = run_epubcheck(built[which], usage=True)
    problems = [m for m in report["messages"] if m[1] not in HARMLESS_USAGE]
    assert (report["fatal"], report["error"], report["warning"]) == (0, 0, 0), problems
    assert problems == []


@pytest.mark.parametrize("which", ["default", "rich"])
def test_ace_finds_no_violations(built: dict[str, Path], which: str, tmp_path: Path) -> None:
    report = run_ace(built[which], tmp_path / "ace")
    details = [(v["file"], v["rule"], v["impact"], v["message"]) for v in report["violations"]]
    assert report["total"] == 0, details
    assert report["outcome"] == "pass"


def test_two_builds_are_byte_identical(built: dict[str, Path], tmp_path: Path) -> None:
    again = _build(PROJECTS / "rich", tmp_path / "second")
    assert again.read_bytes() == built["rich"].read_bytes()
    renderer = EpubRenderer()
    project = read_project(REPO)
    first = renderer.render(project, BuildOptions(source_date=WHEN))
    second = renderer.render(read_project(REPO), BuildOptions(source_date=WHEN))
    assert first[0].data == second[0].data == built["default"].read_bytes()


def test_source_date_sets_modified_and_zip_times(built: dict[str, Path]) -> None:
    other = EpubRenderer().render(read_project(REPO), BuildOptions(
        source_date=dt.datetime(2021, 5, 6, 7, 8, 10, tzinfo=dt.UTC)))[0].data
    assert other != built["default"].read_bytes()
    modified = [m.text for m in _opf(built["default"]).iter(f"{OPF}meta")
                if m.get("property") == "dcterms:modified"]
    assert modified == [WHEN.strftime("%Y-%m-%dT%H:%M:%SZ")]
    with _zip(built["default"]) as z:
        infos = z.infolist()
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED
    assert infos[0].extra == b""
    with _zip(built["default"]) as z:
        assert z.read("mimetype") == b"application/epub+zip"


def test_reading_order_and_navigation(built: dict[str, Path]) -> None:
    project = read_project(REPO)
    order = list(_docs(built["default"]))
    chapters = [f"ch-{c.slug}.xhtml" for c in project.chapters]
    assert order == ["cover.xhtml", "titlepage.xhtml", "copyright.xhtml", "nav.xhtml",
                     *chapters, "answer-key.xhtml", "sources.xhtml"]
    nav = _docs(built["default"])["nav.xhtml"]
    navs = {n.get(EPUB_TYPE): n for n in nav.iter(f"{XH}nav")}
    assert set(navs) == {"toc", "landmarks"}
    toc_labels = [_text(a) for a in navs["toc"].iter(f"{XH}a")]
    for ch in project.chapters:
        assert f"{ch.number}. {ch.title}" in toc_labels
    assert "Answer key" in toc_labels and "Sources and permissions" in toc_labels
    marks = [a.get(EPUB_TYPE) for a in navs["landmarks"].iter(f"{XH}a")]
    assert marks == ["cover", "titlepage", "copyright-page", "toc", "bodymatter",
                     "backmatter"]
    with _zip(built["default"]) as z:
        ncx = z.read("EPUB/toc.ncx").decode()
    for ch in project.chapters:
        assert f'src="ch-{ch.slug}.xhtml"' in ncx


def test_package_metadata(built: dict[str, Path]) -> None:
    opf = _opf(built["rich"])
    assert opf.get(XML_LANG) == "en-GB"
    meta = opf.find(f"{OPF}metadata")
    assert meta is not None
    dc = {k: [e.text for e in meta.iter(f"{DC}{k}")]
          for k in ("identifier", "title", "language", "creator", "contributor", "publisher",
                    "date", "rights", "source")}
    assert dc["identifier"] == ["urn:isbn:9780000000002"]
    assert dc["title"][0] == "A Rich Test Collection"
    assert dc["language"] == ["en-GB"]
    # An anthology's creators: the editor (role edt), then every chapter author (aut).
    assert dc["creator"] == ["Ada Example", "Grace Sample", "Kenji Tanaka", "Layla Haddad",
                             "Sam Tester"]
    assert dc["contributor"] == []
    refines: dict[str, dict[str, list[str]]] = {}
    for m in meta.iter(f"{OPF}meta"):
        if m.get("refines"):
            refines.setdefault(m.get("refines", "")[1:], {}).setdefault(
                m.get("property", ""), []).append(m.text or "")
    creators = {e.text: refines[e.get("id", "")] for e in meta.iter(f"{DC}creator")}
    assert creators["Ada Example"] == {"role": ["edt"], "display-seq": ["1"]}
    assert creators["Sam Tester"] == {"role": ["aut"], "display-seq": ["5"]}
    assert all(m.get("scheme") == "marc:relators" for m in meta.iter(f"{OPF}meta")
               if m.get("property") == "role")
    assert dc["publisher"] == ["Example Press"]
    assert dc["date"] == ["2024-03-15"]
    assert dc["rights"] and "Example Press" in (dc["rights"][0] or "")
    assert dc["source"] == ["https://example.com/articles/measuring-service",
                            "Service in Many Languages, Global Support Quarterly, 2021-01-10",
                            "https://example.org/anonymous-post"]
    props: dict[str, list[str]] = {}
    for m in meta.iter(f"{OPF}meta"):
        if m.get("property"):
            props.setdefault(m.get("property", ""), []).append(m.text or "")
    assert props["schema:accessMode"] == ["textual", "visual"]
    assert props["schema:accessModeSufficient"] == ["textual"]
    assert {"tableOfContents", "readingOrder", "structuralNavigation",
            "alternativeText"} <= set(props["schema:accessibilityFeature"])
    assert props["schema:accessibilityHazard"] == ["none"]
    assert props["schema:accessibilitySummary"][0]
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    default_id = [e.text for e in _opf(built["default"]).iter(f"{DC}identifier")]
    assert default_id == [read_project(REPO).book.identifier]
    assert (default_id[0] or "").startswith("urn:uuid:")


def test_every_document_declares_language_and_images_have_alt(
    built: dict[str, Path],
) -> None:
    for which in ("default", "rich"):
        for name, doc in _docs(built[which]).items():
            assert doc.get("lang") and doc.get(XML_LANG) == doc.get("lang"), name
            for img in doc.iter(f"{XH}img"):
                assert (img.get("alt") or "").strip(), (which, name)


def test_chapter_document_content(built: dict[str, Path]) -> None:
    docs = _docs(built["rich"])
    ch = docs["ch-full-source.xhtml"]
    section = next(s for s in ch.iter(f"{XH}section") if s.get(EPUB_TYPE) == "chapter")
    assert section.get("role") == "doc-chapter"
    text = _text(ch)
    assert "Measuring Service: Charts, Tables & Notes" in text
    assert "By Grace Sample" in text
    assert "Republished with the author's permission" in text
    assert "Licence: CC BY 4.0" in text
    assert "The Service Journal" in text and "30 June 2019" in text  # en-GB's long date
    assert any(t.get("datetime") == "2019-06-30" for t in ch.iter(f"{XH}time"))
    assert text.index("About the author") > text.index("Talk to customers as well")
    assert ch.find(f".//{XH}table") is not None
    img = next(ch.iter(f"{XH}img"))
    assert img.get("src") == "media/images/service-chart.png"
    refs = [a for a in ch.iter(f"{XH}a") if a.get(EPUB_TYPE) == "noteref"]
    notes = [a for a in ch.iter(f"{XH}aside") if a.get(EPUB_TYPE) == "footnote"]
    assert len(refs) == len(notes) == 2
    ids = {e.get("id") for e in ch.iter()}
    for ref in refs:
        assert (ref.get("href") or "#")[1:] in ids
    for note in notes:
        back = [a for a in note.iter(f"{XH}a") if a.get("role") == "doc-backlink"]
        assert back and (back[0].get("href") or "#")[1:] in ids
    activities = next(s for s in ch.iter(f"{XH}section") if s.get("class") == "activities")
    assert "Choose all that apply" in _text(activities) or "choose all that apply" in _text(
        activities)
    key_link = [a.get("href") for a in activities.iter(f"{XH}a")]
    assert "answer-key.xhtml#key-full-source" in key_link
    key = docs["answer-key.xhtml"]
    assert key.find(".//*[@id='key-full-source']") is not None
    assert "Answers: a) Measuring the right things; b) Talking to customers" in _text(key)
    anon = _text(docs["ch-no-author.xhtml"])
    assert "The source names no author." in anon
    sources = _text(docs["sources.xhtml"])
    assert "Author: not named in the source." in sources
    assert "Grace Sample" in sources


def test_answer_key_links_back_to_each_question(built: dict[str, Path]) -> None:
    """Every answer links to its question in the chapter's document, with link text that
    names the question and the chapter."""
    for which in ("default", "rich"):
        docs = _docs(built[which])
        project = read_project(REPO if which == "default" else PROJECTS / "rich")
        key = docs["answer-key.xhtml"]
        backs = {a.get("href"): _text(a) for a in key.iter(f"{XH}a")
                 if a.get("role") == "doc-backlink"}
        expected = {}
        for ch in project.chapters:
            for n, q in enumerate(project.course.for_chapter(ch.stem).quiz, 1):
                expected[f"ch-{ch.slug}.xhtml#{q.id}"] = f"Back to question {n} of chapter " \
                    f"{ch.number}"
                target = docs[f"ch-{ch.slug}.xhtml"].find(f".//*[@id='{q.id}']")
                assert target is not None and q.question in _text(target)
        assert backs == expected


def test_non_latin_text_keeps_language_and_direction(built: dict[str, Path]) -> None:
    doc = _docs(built["rich"])["ch-many-scripts.xhtml"]
    by_lang = {e.get("lang"): e for e in doc.iter() if e.get("lang") and e.tag != f"{XH}html"}
    assert "Καλημέρα" in _text(by_lang["el"])
    assert "お客様の声を大切にしています" in _text(by_lang["ja"])
    arabic = [e for e in doc.iter(f"{XH}p") if e.get("lang") == "ar"]
    assert arabic and arabic[0].get("dir") == "rtl"


def test_hostile_raw_html_never_reaches_the_epub(built: dict[str, Path]) -> None:
    with _zip(built["rich"]) as z:
        raw = z.read("EPUB/ch-raw-html.xhtml").decode()
        everything = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                               if n.endswith((".xhtml", ".opf", ".ncx", ".css", ".svg")))
    assert "A <strong>raw HTML</strong> call-out box." in raw
    assert "a safe link" in raw and 'href="https://example.com/"' in raw
    assert "Inline style and handler." in raw
    assert not re.search(r"<script|<iframe|<object|<embed", everything, re.I)
    assert not re.search(r"\son[a-z]+\s*=", everything, re.I)
    assert not re.search(r"""=\s*["']\s*javascript:""", everything, re.I)
    assert "A javascript: link" in raw
    assert "alert(" not in everything
    opf = _opf(built["rich"])
    props = " ".join(i.get("properties") or "" for i in opf.iter(f"{OPF}item"))
    assert "scripted" not in props and "remote-resources" not in props


def test_theme_fonts_are_embedded_and_declared(built: dict[str, Path]) -> None:
    project = read_project(PROJECTS / "rich")
    fonts = project.theme.fonts()
    assert "fonts/DejaVuSerif.ttf" in fonts
    opf = _opf(built["rich"])
    items = {i.get("href"): i.get("media-type") for i in opf.iter(f"{OPF}item")}
    with _zip(built["rich"]) as z:
        css = z.read("EPUB/theme/book.css").decode()
        for path, data in fonts.items():
            assert items[f"theme/{path}"] == "font/ttf"
            assert z.read(f"EPUB/theme/{path}") == data
            assert css.count(f'url("{path}")') == 1, path
    # The test theme declares DejaVu itself; fonts it does not declare get generated rules.
    assert 'font-family: "DejaVu Serif Test"' in css
    assert css.count("@font-face") == len(fonts)


def _restyled(data: bytes, family: str, *, weight: int, italic: bool) -> bytes:
    """A copy of a TrueType font with another family name, weight and italic flag."""
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    font["name"].names = [n for n in font["name"].names if n.nameID not in (1, 16)]
    font["name"].setName(family, 1, 3, 1, 0x409)
    font["OS/2"].usWeightClass = weight
    font["OS/2"].fsSelection = font["OS/2"].fsSelection | 1 if italic else \
        font["OS/2"].fsSelection & ~1
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def test_generated_font_faces_read_the_font_tables() -> None:
    data = (PROJECTS / "rich" / "themes/default/fonts/DejaVuSerif.ttf").read_bytes()
    face = font_face("fonts/DejaVuSerif.ttf", data)
    assert (face.family, face.weight, face.italic) == ("DejaVu Serif", 400, False)
    bold = _restyled(data, "Restyled Sans", weight=700, italic=True)  # tables, not file name
    face = font_face("fonts/x.ttf", bold)
    assert (face.family, face.weight, face.italic) == ("Restyled Sans", 700, True)
    guessed = font_face("fonts/SourceSerif-BoldItalic.woff2", b"wOF2")
    assert (guessed.family, guessed.weight, guessed.italic) == ("Source Serif", 700, True)
    theme = read_project(PROJECTS / "rich").theme
    files = {k: v for k, v in theme.files.items() if k != "custom.css"}
    res = theme_resources(dataclasses.replace(theme, files=files))
    assert '@font-face {\n  font-family: "DejaVu Serif";\n  src: url("fonts/DejaVuSerif.ttf")' \
        in res.css
    # A url() to a file the theme lacks never reaches this renderer: reading the theme
    # reports it (tests/test_theme.py), so theme_resources has no error of its own to raise.


def _cover_item(opf: ET.Element) -> tuple[str, str]:
    """(href, media type) of the one manifest item with the cover-image property, checked
    against the EPUB 2 <meta name="cover"> that older reading systems read."""
    items = [i for i in opf.iter(f"{OPF}item") if "cover-image" in (i.get("properties") or "")]
    assert len(items) == 1
    metas = [m.get("content") for m in opf.iter(f"{OPF}meta") if m.get("name") == "cover"]
    assert metas == [items[0].get("id")]
    return items[0].get("href", ""), items[0].get("media-type", "")


def _rgb(color: str) -> tuple[int, int, int]:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def test_cover_image_or_generated_cover(built: dict[str, Path]) -> None:
    """A book's own PNG cover is the cover-image as it is; without one, the generated cover
    is a 1600 x 2560 PNG in the theme's colours, shown by the cover page too."""
    assert _cover_item(_opf(built["rich"])) == ("media/images/cover.png", "image/png")
    assert _cover_item(_opf(built["default"])) == ("cover.png", "image/png")
    with _zip(built["default"]) as z:
        names = z.namelist()
        image = Image.open(io.BytesIO(z.read("EPUB/cover.png")))
    assert not [n for n in names if n.endswith(".svg")]
    assert image.size == (1600, 2560)
    palette = read_project(REPO).theme.palette
    assert image.convert("RGB").getpixel((800, 100)) == _rgb(palette["accent"])
    assert image.convert("RGB").getpixel((800, 2540)) == _rgb(palette["paper"])
    for which, src in (("default", "cover.png"), ("rich", "media/images/cover.png")):
        cover = _docs(built[which])["cover.xhtml"]
        (img,) = cover.iter(f"{XH}img")
        assert img.get("src") == src
        assert (img.get("alt") or "").startswith("Cover of ")


@pytest.mark.parametrize("which", ["default", "rich"])
def test_generated_cover_is_lettered_in_the_theme_fonts(which: str) -> None:
    """The cover's lettering is set in the fonts the theme gives the book's text (read back
    from the page WeasyPrint lays out before it is rasterized), never in system fonts."""
    project = read_project(REPO if which == "default" else PROJECTS / "rich")
    pdf = PdfReader(io.BytesIO(cover_pdf(
        project, cover_html(project), cover_css(project.theme, project.book.title))))
    page = pdf.pages[0]
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1].replace("-", "")
             for f in page["/Resources"]["/Font"].values()}
    if which == "default":  # Noto Sans for the heading, Noto Serif for the rest
        assert fonts == {"NotoSansBold", "NotoSerifItalic", "NotoSerif"}
    else:  # the rich theme's custom.css sets its shipped DejaVu Serif for body text
        assert "NotoSansBold" in fonts
        assert all(f.startswith("DejaVuSerif") for f in fonts - {"NotoSansBold"})
    text = " ".join(page.extract_text().split())
    assert project.book.title in text
    assert f"Edited by {project.book.editors[0]}" in text


def test_cover_not_in_png_or_jpeg_becomes_a_png(tmp_path: Path) -> None:
    """Kindle and Kobo show only JPEG or PNG covers: an SVG cover is laid out on a 1600 x
    2560 page and rasterized; a GIF or WebP one is converted to PNG at its own size."""
    project = copy_project("rich", tmp_path)
    book_yaml = project / "manuscript" / "book.yaml"
    images = project / "manuscript" / "images"
    (images / "cover.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 160" width="100" '
        'height="160"><rect width="100" height="160" fill="#008000"/></svg>', "utf-8")
    Image.new("RGB", (700, 1120), "#800080").save(images / "cover.gif")
    for name, size, color in (("cover.svg", (1600, 2560), (0, 128, 0)),
                              ("cover.gif", (700, 1120), (128, 0, 128))):
        text = re.sub(r"cover: \S+", f"cover: images/{name}", book_yaml.read_text("utf-8"))
        book_yaml.write_text(text, "utf-8")
        epub = _build(project, tmp_path / name)
        assert _cover_item(_opf(epub)) == ("cover.png", "image/png")
        with _zip(epub) as z:
            image = Image.open(io.BytesIO(z.read("EPUB/cover.png")))
        assert image.format == "PNG" and image.size == size
        assert image.convert("RGB").getpixel((size[0] // 2, size[1] // 2)) == color
        report = run_epubcheck(epub)
        assert (report["fatal"], report["error"], report["warning"]) == (0, 0, 0), (
            report["messages"])


def test_cover_made_in_a_forked_process_reports_its_failure() -> None:
    """A cover made meanwhile in another process (builds that may use several) arrives as
    bytes, or as an error raised in the build's process, never as a hang or a bad EPUB."""
    assert InBackground(lambda: b"cover bytes").result() == b"cover bytes"

    def broken() -> bytes:
        raise ValueError("no fonts")

    with pytest.raises(RuntimeError, match="the EPUB cover could not be made: ValueError: "
                       "no fonts"):
        InBackground(broken).result()

    def slow() -> bytes:
        time.sleep(60)
        return b""

    unwanted = InBackground(slow)  # the build failed meanwhile: the process is stopped
    started = time.perf_counter()
    unwanted.close()
    assert time.perf_counter() - started < 10
    assert multiprocessing.active_children() == []
    project = read_project(REPO)
    alone = EpubRenderer().render(project, BuildOptions(source_date=WHEN))[0].data
    two = EpubRenderer().render(project, BuildOptions(source_date=WHEN, jobs=2))[0].data
    assert alone == two
    broken_link = dataclasses.replace(project, chapters=(dataclasses.replace(
        project.chapters[0], body_html=project.chapters[0].body_html
        + '<p><a href="#nowhere">x</a></p>'),
        *project.chapters[1:]))
    with pytest.raises(CxbookError, match="#nowhere"):
        EpubRenderer().render(broken_link, BuildOptions(source_date=WHEN, jobs=2))
    assert multiprocessing.active_children() == []


def test_small_cover_is_warned_at_its_place(tmp_path: Path) -> None:
    result = run_cli("check", str(PROJECTS / "rich"))
    assert ("manuscript/book.yaml:12:8: warning: cover image 'manuscript/images/cover.png' is "
            "320 x 480 pixels; below 1000 pixels high, stores and reading apps (Kindle, Kobo, "
            "Google Play) show it blurred: use an image of about 1600 x 2560 pixels "
            "[book.cover-too-small]") in result.err.splitlines()
    project = copy_project("rich", tmp_path)
    Image.new("RGB", (625, 1000), "#ffffff").save(project / "manuscript/images/cover.png")
    assert "cover-too-small" not in run_cli("check", str(project)).err


def test_skipped_heading_levels_are_closed_up(built: dict[str, Path]) -> None:
    ch = read_project(REPO).chapters[0]
    loc = ch.location
    heads = tuple(Heading(level, f"H{n}", f"h{n}", loc)
                  for n, level in enumerate([3, 4, 3, 2, 5, 6, 3]))
    levels = outline_levels(dataclasses.replace(ch, headings=heads))
    assert list(levels.values()) == [2, 3, 2, 2, 3, 4, 3]
    for which in ("default", "rich"):
        for name, doc in _docs(built[which]).items():
            seen = [int(e.tag[-1]) for e in doc.iter()
                    if re.fullmatch(r"\{[^}]*\}h[1-6]", str(e.tag))]
            for before, after in itertools.pairwise(seen):
                assert after <= before + 1, (which, name, seen)


def test_dangling_link_is_an_error_not_a_broken_file(tmp_path: Path) -> None:
    project = copy_project("rich", tmp_path)
    path = project / "manuscript" / "04-no-author.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n[Nowhere](#no-such-place)\n",
                    encoding="utf-8")
    with pytest.raises(CxbookError, match=r"manuscript/04-no-author\.md:\d+:1: error: link "
                       r"'#no-such-place' points at '#no-such-place', which is nowhere"):
        read_project(project)
    result = run_cli("build", str(project), "--format", "epub", "--out", str(tmp_path / "o"))
    assert result.code == 1 and "[link.unknown-target]" in result.err
    assert not (tmp_path / "o" / "a-rich-test-collection.epub").exists()


def test_variant_book_links_no_quiz_no_editor_generated_cover(tmp_path: Path) -> None:
    """Cross-chapter links resolve; no quiz means no answer key; no cover gives a generated
    one; no editor means the chapter authors are the only creators. Still valid EPUB."""
    project = copy_project("rich", tmp_path)
    anchor = next(h.anchor for c in read_project(project).chapters for h in c.headings
                  if h.text == "What we measure")
    path = project / "manuscript" / "04-no-author.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nSee [the table]"
                    "(01-full-source.md#what-we-measure) and [chapter one](01-full-source.md)"
                    ".\n", encoding="utf-8")
    (project / "course" / "01-full-source.yaml").unlink()
    book_yaml = project / "manuscript" / "book.yaml"
    text = book_yaml.read_text(encoding="utf-8")
    text = text.replace("editor: Ada Example\n", "").replace("cover: images/cover.png\n", "")
    book_yaml.write_text(text, encoding="utf-8")
    epub = _build(project, tmp_path / "out")
    with _zip(epub) as z:
        names = z.namelist()
        doc = z.read("EPUB/ch-no-author.xhtml").decode()
    assert f'href="ch-full-source.xhtml#{anchor}"' in doc
    assert 'href="ch-full-source.xhtml#ch-full-source"' in doc
    assert "EPUB/answer-key.xhtml" not in names and "EPUB/cover.png" in names
    assert "EPUB/media/images/cover.png" not in names
    nav = _docs(epub)["nav.xhtml"]
    marks = [(a.get(EPUB_TYPE), a.get("href")) for a in nav.iter(f"{XH}a")
             if a.get(EPUB_TYPE)]
    assert marks[-1] == ("backmatter", "sources.xhtml")
    assert [e.text for e in _opf(epub).iter(f"{DC}creator")] == [
        "Grace Sample", "Kenji Tanaka", "Layla Haddad", "Sam Tester"]
    roles = {m.text for m in _opf(epub).iter(f"{OPF}meta") if m.get("property") == "role"}
    assert roles == {"aut"}
    report = run_epubcheck(epub)
    assert (report["fatal"], report["error"], report["warning"]) == (0, 0, 0), report["messages"]
