"""Fonts in PDF editions joined from parts (renderers/pdf_fonts.py): one font dictionary
and one program per font, drawing and saying what each part drew and said.

Each case lays out a project's reader edition in several parts, keeps the parts
WeasyPrint wrote and the joined PDF, and compares them page by page: pixels (pdftoppm)
and text (pdftotext). The cases: tests/projects/shared-codes (one glyph with two texts,
characters no font has, in separate parts), the same with a theme whose fonts have CFF
outlines (name-keyed and CID-keyed), tests/projects/passages (Greek, Arabic, Russian) and
tests/projects/rich (a theme font, fallback fonts, Japanese no font has here).
"""

from __future__ import annotations

import datetime as dt
import filecmp
import io
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from cxbook.build import BuildOptions
from cxbook.readers.project import read_project
from cxbook.renderers import pdf as pdf_renderer
from cxbook.renderers.pdf_fonts import _parse_cmap, _read_widths
from cxbook.renderers.pdf_merge import PartPdf, merge

from conftest import REPO, SOURCE_DATE_EPOCH, copy_project
from support.fonts import cff_font, pdffonts

pytestmark = pytest.mark.slow

THEME_FONTS = REPO / "src" / "cxbook" / "themes" / "default" / "fonts"
CFF_CSS = """
@font-face { font-family: "Body CFF"; src: url("fonts/BodyCFF.otf") format("opentype"); }
@font-face { font-family: "Body CID"; src: url("fonts/BodyCID.otf") format("opentype"); }
body { font-family: "Body CFF", serif; }
h1, h2, h3 { font-family: "Body CID", sans-serif; font-weight: bold; }
"""
CASES = ("shared-codes", "shared-codes-cff", "passages", "rich")


@dataclass
class Joined:
    """A reader edition laid out in parts: the parts as WeasyPrint wrote them and the
    joined PDF."""

    parts: list[PartPdf]
    part_paths: list[Path]
    path: Path


def _with_cff_theme(project: Path) -> None:
    """Give the project a theme whose body and heading fonts have CFF outlines."""
    theme = project / "themes" / "default"
    (theme / "fonts").mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: default\n")
    (theme / "custom.css").write_text(CFF_CSS)
    text = "".join(chr(c) for c in range(0x20, 0x7F)) + (
        "ÀÉàâçèéêëîïôûü’“”–—…\u0300\u0301\u0302\u0308\u0327")
    regular = (THEME_FONTS / "NotoSans-Regular.ttf").read_bytes()
    (theme / "fonts" / "BodyCFF.otf").write_bytes(cff_font(regular, text))
    bold = (THEME_FONTS / "NotoSans-Bold.ttf").read_bytes()
    (theme / "fonts" / "BodyCID.otf").write_bytes(cff_font(bold, text, cid_keyed=True))


@pytest.fixture(scope="module", params=CASES)
def joined(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Joined:
    base = tmp_path_factory.mktemp(request.param)
    project = copy_project(request.param.removesuffix("-cff"), base)
    if request.param.endswith("-cff"):
        _with_cff_theme(project)
    captured: list[PartPdf] = []

    def keep_parts(parts: list[PartPdf], main_start: int) -> bytes:
        captured.extend(parts)
        return merge(parts, main_start)

    options = BuildOptions(source_date=dt.datetime.fromtimestamp(int(SOURCE_DATE_EPOCH),
                                                                 tz=dt.UTC), jobs=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_renderer, "PART_SIZE", 200)  # a part per section
        patch.setattr(pdf_renderer, "merge", keep_parts)
        data = pdf_renderer.render_pdf(read_project(project), options, "reader", "pdf")
    assert len(captured) > 2
    paths = []
    for index, part in enumerate(captured):
        paths.append(base / f"part-{index}.pdf")
        paths[-1].write_bytes(part.data)
    (base / "joined.pdf").write_bytes(data)
    return Joined(captured, paths, base / "joined.pdf")


def _page_images(path: Path, folder: Path) -> list[Path]:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "72", "-gray", str(path), str(folder / "p")], check=True)
    return sorted(folder.glob("p-*.pgm"))


def _page_texts(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    return out.split("\f")[:-1]


def _joined_pages(joined: Joined) -> list[tuple[int, int]]:
    """(part, page in the part) for each page of the joined PDF; (-1, -1) for the empty
    pages added so that a part opens on a right-hand page."""
    pages: list[tuple[int, int]] = []
    for index, path in enumerate(joined.part_paths):
        with pikepdf.open(path) as pdf:
            pages += [(index, page) for page in range(len(pdf.pages))]
        if joined.parts[index].pad:
            pages.append((-1, -1))
    return pages


def test_each_font_is_listed_once(joined: Joined) -> None:
    """pdffonts lists each font once, though every part embedded its own subset."""
    part_rows = [row for path in joined.part_paths for row in pdffonts(path)]
    names = [row.name for row in pdffonts(joined.path)]
    assert len(part_rows) > len(names)  # the parts do share fonts
    assert sorted(names) == sorted({row.name for row in part_rows})


def test_joined_pages_look_like_their_parts(joined: Joined, tmp_path: Path) -> None:
    """Every page of the joined PDF renders pixel for pixel like the page WeasyPrint
    wrote in its part: the merged programs draw the same glyphs at the same places."""
    images = _page_images(joined.path, tmp_path / "joined")
    parts = [_page_images(path, tmp_path / f"part-{index}")
             for index, path in enumerate(joined.part_paths)]
    pages = _joined_pages(joined)
    assert len(images) == len(pages)
    for number, (image, (part, page)) in enumerate(zip(images, pages, strict=True), start=1):
        if part >= 0:
            assert filecmp.cmp(image, parts[part][page], shallow=False), (
                f"page {number} differs from page {page + 1} of part {part}")


def test_joined_pages_keep_their_text(joined: Joined) -> None:
    """The text layer of every joined page is the text of its page in the part."""
    texts = _page_texts(joined.path)
    parts = [_page_texts(path) for path in joined.part_paths]
    pages = _joined_pages(joined)
    assert len(texts) == len(pages)
    for number, (text, (part, page)) in enumerate(zip(texts, pages, strict=True), start=1):
        if part >= 0:
            assert text == parts[part][page], f"page {number}"


@pytest.mark.parametrize("joined", ["shared-codes", "shared-codes-cff"], indirect=True)
def test_shared_codes_keep_both_meanings(joined: Joined) -> None:
    """The composed and the decomposed accents share glyphs (and the two characters no
    font has share a code) in the parts; the joined text still tells them apart."""
    text = "".join(_page_texts(joined.path))
    composed = "crème brûlée"
    assert composed in text
    assert unicodedata.normalize("NFD", composed) in text
    assert "[\u0378]" in text and "[\u0379]" in text


@pytest.mark.parametrize("joined", ["shared-codes-cff"], indirect=True)
def test_cff_fonts_are_merged(joined: Joined) -> None:
    """Name-keyed and CID-keyed CFF programs are merged too (one OpenType program each)."""
    rows = {row.name: row for row in pdffonts(joined.path)}
    assert rows["Body-CFF"].type == rows["Body-CID-Bold"].type == "CID Type 0C (OT)"
    with pikepdf.open(joined.path) as pdf:
        font = pdf.get_object(rows["Body-CID-Bold"].object, 0)
        program = TTFont(io.BytesIO(
            font.DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()))
        assert hasattr(program["CFF "].cff.topDictIndex[0], "FDArray")


# ---- Fonts of one name that are not one font --------------------------------------------


def _tagged_pdf(html: str, css: str, folder: Path) -> bytes:
    fonts = FontConfiguration()
    sheet = CSS(string=css, base_url=folder.as_uri() + "/", font_config=fonts)
    data: bytes = HTML(string=html, base_url=folder.as_uri() + "/").write_pdf(
        stylesheets=[sheet], font_config=fonts, pdf_variant="pdf/ua-1", pdf_tags=True)
    return data


def test_fonts_of_one_name_with_other_glyphs_stay_apart(tmp_path: Path) -> None:
    """Two parts whose fonts carry one name but draw different glyphs (another font file
    behind the same family name) keep a program each, with tags of their own, and each
    part still renders as it did."""
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "a.ttf").write_bytes((THEME_FONTS / "NotoSerif-Regular.ttf").read_bytes())
    (fonts / "b.ttf").write_bytes((THEME_FONTS / "NotoSans-Regular.ttf").read_bytes())
    html = "<html lang='en'><title>x</title><p>The same face, other glyphs: abc.</p></html>"
    css = "@font-face {{ font-family: Face; src: url(fonts/{}) }} p {{ font-family: Face }}"
    parts = [PartPdf(_tagged_pdf(html, css.format(name), tmp_path), pad=True)
             for name in ("a.ttf", "b.ttf")]
    (tmp_path / "joined.pdf").write_bytes(merge(parts, 2))
    rows = [row for row in pdffonts(tmp_path / "joined.pdf") if row.name == "Face"]
    assert len(rows) == 2 and rows[0].tag != rows[1].tag
    images = _page_images(tmp_path / "joined.pdf", tmp_path / "joined")
    for index, part in enumerate(parts):
        (tmp_path / f"part-{index}.pdf").write_bytes(part.data)
        [image] = _page_images(tmp_path / f"part-{index}.pdf", tmp_path / f"part-{index}")
        assert filecmp.cmp(images[2 * index], image, shallow=False)


# ---- CMaps ----------------------------------------------------------------------------------


def test_cmaps_read_chars_ranges_and_arrays() -> None:
    """Both the maps WeasyPrint writes (bfchar, cidchar) and the range forms other
    writers use (ISO 32000-1, 9.10.3; Adobe TN #5014)."""
    cmap = _parse_cmap(b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
        /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
        1 begincodespacerange <0000> <FFFF> endcodespacerange
        2 beginbfchar <0003> <0020> <00a1> <00660069> endbfchar
        2 beginbfrange <0010> <0012> <0041> <0020> <0021> [<03B1> <D835DC00>] endbfrange
        1 begincidchar <0100> 7 endcidchar
        1 begincidrange <0200> <0202> 40 endcidrange
        1 beginnotdefrange <0300> <0301> 0 endnotdefrange
        endcmap CMapName currentdict /CMap defineresource pop end end""")
    assert cmap.code_spaces == [(b"\0\0", b"\xff\xff")]
    assert cmap.texts == {3: " ", 0xA1: "fi", 0x10: "A", 0x11: "B", 0x12: "C",
                          0x20: "α", 0x21: "\U0001d400"}
    assert cmap.cids == {0x100: 7, 0x200: 40, 0x201: 41, 0x202: 42, 0x300: 0, 0x301: 0}
    widths = _read_widths(pikepdf.Array([3, pikepdf.Array([250, 500]), 10, 12, 600]))
    assert widths == {3: 250, 4: 500, 10: 600, 11: 600, 12: 600}
