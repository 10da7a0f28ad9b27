"""Make the built-in theme's fallback fonts: subsets of Noto Sans CJK and Noto Emoji.

    python tools/make-fallback-fonts.py NotoSansCJK-Regular.ttc 'NotoEmoji[wght].ttf' \
        /usr/share/fonts/truetype/noto

The inputs are the upstream fonts (SIL Open Font License 1.1): Noto Sans CJK Regular as
Debian's fonts-noto-cjk installs it (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)
and the monochrome Noto Emoji variable font (Google's noto-emoji; also on PyPI inside the
manimgx-fonts wheel). The full fonts are 19 MB and 2 MB; a PDF embeds only the glyphs it
uses, but cxbook's wheel carries the files, so they are cut to the characters books use:

- CJK: Hangul (every modern syllable and the jamo), kana, CJK punctuation and
  full-width forms, and the Han characters of GB 2312, JIS X 0208 level 1, Big5 level 1 and
  KS X 1001 (the common characters of Chinese, Japanese and Korean text), with Basic
  Latin, Latin-1 and general punctuation (spaces and commas between CJK words are set in
  the font of the words around them). The regional
  glyph forms stay reachable through the fonts' `locl` feature, so text marked `lang="zh"`
  or `lang="ko"` is shaped with its own forms.
- Emoji: every character of Noto Emoji, as a static regular instance.
- Other scripts: Noto Sans Arabic, Hebrew, Thai, Devanagari, Bengali, Tamil, Armenian and
  Georgian (Regular) from Debian's fonts-noto-core (the folder given third), whole, without
  their hinting instructions.
- Symbols: the arrows, mathematical operators, technical signs, shapes, miscellaneous
  symbols and dingbats (U+2190 to U+2BFF) of Noto Sans Math and Noto Sans Symbols 2 (from
  the same folder): ticks, stars, check boxes, ≤ ≥ ≠ √ ∑ …

Characters outside these sets are reported by `cxbook check` (font.missing-glyph), never
printed as boxes silently. Output goes to src/cxbook/themes/default/print-fonts/. fontTools
does the work (instancing and subsetting); the result is deterministic for given inputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.varLib import instancer

OUT = Path(__file__).resolve().parents[1] / "src" / "cxbook" / "themes" / "default" / "print-fonts"


def _encodable(codec: str, accept: object = None) -> set[int]:
    found: set[int] = set()
    for code in range(0x4E00, 0xA000):
        try:
            raw = chr(code).encode(codec)
        except UnicodeEncodeError:
            continue
        if accept is None or accept(raw):  # type: ignore[operator]
            found.add(code)
    return found


def cjk_characters() -> set[int]:
    # Basic Latin, Latin-1 and general punctuation too: a space or a comma next to CJK
    # text is set in the same font as that text.
    chars: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070))
    chars |= set(range(0x20A0, 0x20D0))  # currency signs
    chars |= set(range(0x2100, 0x2800))  # letterlike, arrows, maths, shapes, dingbats …
    chars |= set(range(0xAC00, 0xD7A4))  # Hangul syllables
    chars |= set(range(0x1100, 0x1200))  # Hangul jamo
    chars |= set(range(0x3130, 0x3190))  # Hangul compatibility jamo
    chars |= set(range(0x3000, 0x3100))  # CJK punctuation, hiragana, katakana
    chars |= set(range(0x31F0, 0x3200))  # katakana phonetic extensions
    chars |= set(range(0xFF00, 0xFFF0))  # full-width and half-width forms
    chars |= _encodable("gb2312")
    chars |= _encodable("euc_kr")  # KS X 1001 hanja
    # JIS X 0208 level 1: Shift_JIS lead bytes 0x88 (second half) to 0x98.
    chars |= _encodable("shift_jis", lambda raw: 0x88 <= raw[0] <= 0x98)
    # Big5 level 1 (frequently used): lead bytes 0xA4 to 0xC6.
    chars |= _encodable("big5", lambda raw: 0xA4 <= raw[0] <= 0xC6)
    return chars


def _subset(font: TTFont, unicodes: set[int], name: str) -> None:
    options = subset.Options()
    # The default OpenType features, `locl` (regional forms) and `vert` among them.
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes))
    subsetter.subset(font)
    font.recalcTimestamp = False  # keep the upstream date: the same inputs, the same bytes
    font.save(OUT / name)
    print(f"{name}: {len(font.getGlyphOrder())} glyphs, {(OUT / name).stat().st_size:,} bytes")


SCRIPTS = ("Arabic", "Hebrew", "Thai", "Devanagari", "Bengali", "Tamil", "Armenian",
           "Georgian")


def main(cjk_path: str, emoji_path: str, noto_folder: str) -> int:
    collection = TTCollection(cjk_path)
    # Index 2 is Noto Sans CJK SC; its default forms are the simplified Chinese ones and
    # `locl` gives the Japanese, Korean and traditional forms.
    cjk = collection.fonts[2]
    _subset(cjk, cjk_characters(), "NotoSansCJK-Regular.otf")
    emoji = TTFont(emoji_path)
    if "fvar" in emoji:
        emoji = instancer.instantiateVariableFont(emoji, {"wght": 400})
    _subset(emoji, set(emoji.getBestCmap()), "NotoEmoji-Regular.ttf")
    for script in SCRIPTS:
        name = f"NotoSans{script}-Regular.ttf"
        font = TTFont(Path(noto_folder) / name)
        _subset(font, set(font.getBestCmap()), name)
    symbols = set(range(0x2190, 0x2C00))
    for name in ("NotoSansMath-Regular.ttf", "NotoSansSymbols2-Regular.ttf"):
        font = TTFont(Path(noto_folder) / name)
        _subset(font, symbols & set(font.getBestCmap()), name)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
