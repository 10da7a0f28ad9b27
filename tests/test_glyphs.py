"""Characters no theme font has: located warnings from check and build (font.missing-glyph),
and the built-in theme's CJK and emoji fonts in the PDFs."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from pathlib import Path

import pytest

from cxbook.build import BuildOptions
from cxbook.glyphs import Coverage, font_urls, missing_glyphs
from cxbook.readers.project import read_project
from cxbook.renderers.pdf import PdfRenderError, _check_log, _PartPdfData

from conftest import REPO, copy_project, run_cli

RARE = "𠀋"  # U+2000B: CJK Extension B, outside the built-in subsets


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.endswith("[font.missing-glyph]")]


def test_print_css_font_urls_in_order() -> None:
    css = ('@font-face { font-family: A; src: url(fonts/a.ttf) format("truetype"); }\n'
           '@font-face { font-family: B; src: url("print-fonts/b.otf"), url(https://x/y.ttf); }'
           '\nbody { background: url(fonts/not-a-font.png); }')
    assert font_urls(css) == ["fonts/a.ttf", "print-fonts/b.otf"]


def test_builtin_theme_covers_cjk_and_emoji() -> None:
    coverage = Coverage(read_project(REPO).theme)
    text = ("Ελληνικά Кириллица 안녕하세요 こんにちは カタカナ 你好 服務 漢字 👍🎉🙂 “—”… "
            "مرحبا שלום สวัสดี नमस्ते নমস্কার வணக்கம் Բարև გამარჯობა "
            "→ ⇒ ≤ ≥ ≠ √ ∑ ∞ ✓ ✗ ☐ ★ ♪ ⚠ ➜ € ₹ ½ × 👨\u200d👩\u200d👧 🇯🇵 👍🏽")
    assert coverage.missing(ord(c) for c in text) == set()
    # Joiners, variation selectors and soft hyphens print nothing of their own.
    assert coverage.missing(ord(c) for c in "\u200d\ufe0f\u00ad\u200b") == set()
    assert coverage.missing([ord(RARE)]) == {ord(RARE)}


def test_check_reports_each_region_at_its_first_use() -> None:
    result = run_cli("check", str(REPO / "tests" / "projects" / "scripts"))
    assert result.code == 0, result.err
    message = ("no font of the theme 'default' has '𠀋' (U+2000B), used in {what}; the PDFs "
               "would print it as an empty box, so add a font that has it to the theme (a "
               "font file in the theme folder and an @font-face rule for it in print.css) "
               "[font.missing-glyph]")
    assert _warnings(result.err) == [
        "course/01-greetings.yaml:3:25: warning: " + message.format(what="'discussion'"),
        "manuscript/02-rare.md:4:36: warning: " + message.format(what="'author_bio'"),
        "manuscript/02-rare.md:9:22: warning: " + message.format(what="the chapter text"),
    ]
    strict = run_cli("check", "--strict", str(REPO / "tests" / "projects" / "scripts"))
    assert strict.code == 1
    assert "cxbook check: failed (3 warnings)" in strict.err


def test_a_theme_without_cjk_fonts_is_told_where_the_text_is(tmp_path: Path) -> None:
    project = copy_project("scripts", tmp_path)
    theme = project / "themes" / "default"
    theme.mkdir(parents=True)
    (theme / "print.css").write_text(
        '@font-face { font-family: "Mine"; src: url(fonts/NotoSerif-Regular.ttf); }\n'
        'html { font-family: "Mine", serif; }\n', "utf-8")
    result = run_cli("check", str(project))
    found = _warnings(result.err)
    assert found[0].startswith("course/01-greetings.yaml:3:25: warning: ")
    assert found[1].startswith("manuscript/01-greetings.md:2:18: warning: no font of the "
                               "theme 'default' has '🙂' (U+1F642), used in 'title'")
    assert found[2].startswith("manuscript/01-greetings.md:3:9: warning: no font of the "
                               "theme 'default' has '王' (U+738B), '小' (U+5C0F) and '明' "
                               "(U+660E), used in 'author'")
    assert found[3].startswith("manuscript/01-greetings.md:8:24: warning: no font of the "
                               "theme 'default' has '안' (U+C548), '녕' (U+B155), '하' (U+D558),"
                               " '세' (U+C138), '요' (U+C694), 'こ' (U+3053) and ")
    assert any(w.startswith("manuscript/book.yaml:3:9: warning: no font of the theme "
                            "'default' has '김' (U+AE40)") for w in found)
    # Build says the same, and --strict counts it.
    build = run_cli("build", str(project), "-f", "epub", "--strict", "--out",
                    str(tmp_path / "out"))
    assert build.code == 1
    assert _warnings(build.err) == found


def test_comments_are_not_printed_so_not_checked() -> None:
    coverage = Coverage(read_project(REPO).theme)
    chapter = f"---\ntitle: T\nauthor: A\n---\n\nText <!-- {RARE} --> and more.\n"
    assert missing_glyphs(coverage, "manuscript/01-x.md", chapter) == []
    course = f"# {RARE} a comment\ndiscussion:\n  - Plain?\n"
    assert missing_glyphs(coverage, "course/01-x.yaml", course) == []


@pytest.mark.slow
def test_pdf_prints_cjk_and_emoji_in_the_theme_fonts(tmp_path: Path) -> None:
    project = copy_project("scripts", tmp_path)
    result = run_cli("build", str(project), "-f", "pdf", "--no-cache", "--out",
                     str(tmp_path / "out"))
    assert result.code == 0, result.err
    pdf = tmp_path / "out" / "service-in-many-scripts.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for word in ("안녕하세요", "こんにちは", "你好", "한국어 제목", "服务", "王小明", "👍",
                 "שלום", "नमस्ते", "✓", "→", "≥"):
        assert word in text, word
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    names = {row.split()[0].split("+", 1)[1] for row in fonts}
    # Only the theme's fonts, all embedded: no machine font stood in for CJK or emoji.
    assert {"cxbook-CJK", "cxbook-Emoji", "cxbook-Hebrew", "cxbook-Devanagari",
            "cxbook-Symbols", "cxbook-Math"} <= {n.split("-Bold")[0] for n in names}
    assert all(name.startswith("cxbook-") for name in names), names
    assert all(row.split()[-5] == "yes" for row in fonts)
    # The only boxes drawn are for the character check reported.
    assert "pdf: warning" not in result.err


def test_a_box_for_a_character_the_theme_has_fails_the_build() -> None:
    project = read_project(REPO)
    message = '.notdef glyph rendered for Unicode string unsupported by fonts: "{}"'

    def done(chars: str) -> _PartPdfData:
        return _PartPdfData(b"", (), ((logging.WARNING, message.format(chars)),), (), ())

    options = BuildOptions(source_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    _check_log("pdf", project, options, [done(RARE)])  # reported by check
    with pytest.raises(PdfRenderError, match=r"^pdf: characters drawn as empty boxes .*U\+0020$"):
        _check_log("pdf", project, options, [done(" ")])
