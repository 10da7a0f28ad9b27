"""The print edition (--format print): PDF/X for each trim preset, checked by the preflight
in tests/support/preflight.py, and the print settings and checks of book.yaml."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from cxbook import printing
from cxbook.build import default_formats
from cxbook.readers.project import read_project
from cxbook.renderers.print_pdf import cmyk, print_css

from conftest import REPO, copy_project, run_cli
from support.preflight import preflight

MM = 72 / 25.4
SLUG = "printed-service"


def _with_print(project: Path, settings: str) -> None:
    book = project / "manuscript" / "book.yaml"
    text = re.sub(r"(?ms)^print:.*\Z", "", book.read_text("utf-8"))
    book.write_text(text + "print:\n" + settings, "utf-8")


def _build(project: Path, out: Path, *extra: str) -> tuple[Path, str]:
    result = run_cli("build", str(project), "-f", "print", "--no-cache", "--out", str(out),
                     *extra)
    assert result.code == 0, result.err
    return out / f"{SLUG}-print.pdf", result.err


def _words(pdf: Path) -> list[tuple[int, float, float, str]]:
    """(page index, xMin, xMax, word) of every word, x relative to the page's MediaBox."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    found = []
    for index, page in enumerate(html.split("<page ")[1:]):
        for x_min, x_max, word in re.findall(
                r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', page):
            found.append((index, float(x_min), float(x_max), word))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("standard", printing.STANDARDS)
@pytest.mark.parametrize("preset", sorted(printing.TRIM_PRESETS))
def test_each_trim_preset_passes_the_preflight(preset: str, standard: str,
                                               tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    _with_print(project, f"  trim: {preset}\n  standard: {standard}\n")
    pdf, _ = _build(project, tmp_path / "out")
    trim = printing.TRIM_PRESETS[preset]
    problems = preflight(pdf, standard=standard, trim=trim, bleed=0.125 * 72)
    assert problems == [], [str(p) for p in problems]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Welcome at the Counter" in text and "Sharp Pictures" in text
    with pikepdf.open(pdf) as doc:
        # The interior starts with the title page: the cover is a file of its own.
        assert "Printed Service" in subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
            text=True, check=True).stdout
        # No link annotations although the chapter links to its source, no bookmarks.
        assert all("/Annots" not in page.obj for page in doc.pages)
        assert "/Outlines" not in doc.Root and "/StructTreeRoot" not in doc.Root


@pytest.mark.slow
def test_cmyk_edition_with_its_cover_in_the_bleed(tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    _with_print(project, "  trim: a5\n  bleed: 3mm\n  standard: pdf/x-1a\n  cover: true\n")
    pdf, _ = _build(project, tmp_path / "out")
    trim = printing.TRIM_PRESETS["a5"]
    problems = preflight(pdf, standard="pdf/x-1a", trim=trim, bleed=3 * MM)
    assert problems == [], [str(p) for p in problems]
    with pikepdf.open(pdf) as doc:
        assert doc.pdf_version == "1.4"
        assert str(doc.trailer.Info.GTS_PDFXVersion) == "PDF/X-1a:2003"
        images = [obj for obj in doc.objects if isinstance(obj, pikepdf.Stream)
                  and obj.get("/Subtype") == "/Image"]
        assert len(images) >= 4 and all(str(i.ColorSpace) in ("/DeviceCMYK", "/DeviceGray")
                                        for i in images)
        assert not any("/SMask" in i for i in images)
    # The cover fills the page to the edge of its bleed: the page's corners are printed.
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "30", "-png", str(pdf),
                    str(tmp_path / "cover")], check=True)
    image = Image.open(next(tmp_path.glob("cover*.png"))).convert("RGB")
    width, height = image.size
    for corner in ((0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)):
        assert sum(image.getpixel(corner)) < 300, corner  # the dark cover colour


def test_preflight_finds_what_a_screen_pdf_lacks(tmp_path: Path) -> None:
    """The preflight can fail: the reader edition is no print file."""
    project = copy_project("print", tmp_path)
    result = run_cli("build", str(project), "-f", "pdf", "--no-cache", "--out",
                     str(tmp_path / "out"))
    assert result.code == 0, result.err
    rules = {p.rule for p in preflight(tmp_path / "out" / f"{SLUG}.pdf", standard="pdf/x-1a",
                                       trim=(148 * MM, 210 * MM), bleed=9)}
    assert {"output intent", "identification", "bleed", "no RGB (X-1a)", "no annotations",
            "no interactive content"} <= rules


@pytest.mark.slow
def test_gutter_grows_with_the_page_count(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_project("print", tmp_path)
    _with_print(project, "  trim: 6x9in\n  bleed: 0\n")
    pdf, _ = _build(project, tmp_path / "narrow")
    # A book this short has the narrowest gutter: the inner margin is 15 mm + 4 mm.
    assert _inner_margin(pdf) == pytest.approx(19 * MM, abs=1)
    monkeypatch.setattr(printing, "GUTTERS", ((2, 4 * MM), (10**9, 20 * MM)))
    pdf, err = _build(project, tmp_path / "wide")
    assert "laying out again with a wider gutter" in err
    assert _inner_margin(pdf) == pytest.approx(35 * MM, abs=1)


def _inner_margin(pdf: Path) -> float:
    """The smallest distance of a word from the spine edge (no bleed: MediaBox = trim)."""
    width = 6 * 72
    distances = []
    for page, x_min, x_max, _ in _words(pdf):
        distances.append(x_min if page % 2 == 0 else width - x_max)
    return min(distances)


def test_print_css_inner_margin_follows_the_gutter() -> None:
    edition = read_project(REPO / "tests" / "projects" / "print").book.print_edition
    assert edition is not None
    for pages, extra in ((100, 4), (200, 6), (400, 9), (600, 12), (800, 15)):
        inner = (15 + extra) * MM
        assert f"margin-right: {inner:.3f}pt" in print_css(edition, pages)
    assert printing.gutter(150) < printing.gutter(151)


def test_resolution_warnings_match_the_printed_images(tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    result = run_cli("check", str(project))
    warnings = [line for line in result.err.splitlines() if "print.image-resolution" in line]
    assert warnings == [
        "manuscript/01-welcome.md:13:1: warning: image 'images/chart.png' prints at 96 pixels "
        "per inch in the print edition (300×200 pixels); printers need 300, so it would print "
        "blurred: use a version at least 938 pixels wide [print.image-resolution]",
        "manuscript/02-photos.md:12:1: warning: image 'images/logo.png' prints at 193 pixels "
        "per inch in the print edition (900×300 pixels); printers need 300, so it would print "
        "blurred: use a version at least 1399 pixels wide [print.image-resolution]",
    ]
    _with_print(project, "  trim: 6x9in\n  cover: true\n")
    cover = [line for line in run_cli("check", str(project)).err.splitlines()
             if "as the cover" in line]
    assert cover == [
        "manuscript/book.yaml:6:8: warning: image 'images/cover.png' prints at 64 pixels per "
        "inch as the cover of the print edition (400×600 pixels); printers need 300, so it "
        "would print blurred: use a version at least 1875 pixels wide "
        "[print.image-resolution]"]
    # Without a print: section nothing is said about print resolution.
    book = project / "manuscript" / "book.yaml"
    book.write_text(re.sub(r"(?ms)^print:.*\Z", "", book.read_text("utf-8")), "utf-8")
    assert "print.image-resolution" not in run_cli("check", str(project)).err


@pytest.mark.slow
def test_check_resolution_is_what_the_pdf_prints(tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    pdf, _ = _build(project, tmp_path / "out")
    rows = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:]
    ppi = {(int(r.split()[3]), int(r.split()[4])): float(r.split()[12]) for r in rows
           if r.split()[2] == "image"}
    assert ppi[(300, 200)] == pytest.approx(96, abs=1)
    assert ppi[(900, 300)] == pytest.approx(193, abs=1)
    assert ppi[(1800, 1200)] >= 300


@pytest.mark.parametrize(("settings", "expected"), [
    ("  trim: 6x8in\n", "manuscript/book.yaml:8:9: error: 'print: trim' must be a preset "
     "(6x9in, 5.5x8.5in, 5x8in, a5, royal, a4, letter) or a width and a height such as "
     "'170mm 240mm', not '6x8in' (did you mean '6x9in'?) [print.trim]"),
    ("  bleed: 2cm\n", "manuscript/book.yaml:8:10: error: 'print: bleed' must be a length "
     "from 0 to 10mm such as 3mm or 0.125in, not '2cm' [print.bleed]"),
    ("  standard: pdf/x-1\n", "manuscript/book.yaml:8:13: error: 'print: standard' must be "
     "pdf/x-4 or pdf/x-1a, not 'pdf/x-1' (did you mean 'pdf/x-1a'?) [print.standard]"),
    ("  service: kpd\n", "manuscript/book.yaml:8:12: error: 'print: service' must be kdp or "
     "ingramspark (or left out), not 'kpd' (did you mean 'kdp'?) [print.service]"),
    ("  trimm: a5\n", "manuscript/book.yaml:8:3: error: unknown key 'trimm' in 'print' (did "
     "you mean 'trim'?); allowed keys: trim, bleed, standard, service, cover "
     "[schema.unknown-key]"),
    ("  cover: maybe\n", "manuscript/book.yaml:8:10: error: 'print: cover' must be true or "
     "false [schema.type]"),
])
def test_print_settings_errors_are_located(settings: str, expected: str,
                                           tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    _with_print(project, settings)
    result = run_cli("check", str(project))
    assert result.code == 1
    assert expected in result.err.splitlines(), result.err


def test_custom_trim_and_defaults(tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    _with_print(project, "  trim: 170mm 240mm\n")
    edition = read_project(project).book.print_edition
    assert edition is not None
    assert (edition.width, edition.height) == pytest.approx((170 * MM, 240 * MM))
    assert edition.bleed == pytest.approx(9) and edition.standard == "pdf/x-4"
    assert not edition.cover and edition.service is None


def test_print_is_built_by_default_only_when_asked_for() -> None:
    assert "print" not in default_formats(read_project(REPO))
    assert "print" in default_formats(read_project(REPO / "tests" / "projects" / "print"))


@pytest.mark.slow
def test_page_limit_of_the_service(tmp_path: Path) -> None:
    project = copy_project("print", tmp_path)
    _with_print(project, "  service: kdp\n")
    pdf, err = _build(project, tmp_path / "out")
    pages = len(pikepdf.open(pdf).pages)
    warning = (f"manuscript/book.yaml:8:3: warning: {pages} pages, fewer than Kindle Direct "
               "Publishing prints as a paperback (24) [print.page-limit]")
    assert warning in err.splitlines()
    # Same input, same bytes.
    again, _ = _build(project, tmp_path / "again")
    assert again.read_bytes() == pdf.read_bytes()


def test_greys_print_in_black_ink_only() -> None:
    assert cmyk(0.1, 0.1, 0.1) == (0, 0, 0, 0.9)
    c, m, y, _ = cmyk(31 / 255, 78 / 255, 121 / 255)  # the theme's accent blue
    assert c > 0.7 and m > 0.3 and y < 0.1
