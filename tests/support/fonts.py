"""Font test tools: the fonts of a PDF as poppler's pdffonts lists them, and CFF-flavoured
OpenType fonts made from a TrueType font (no CFF font ships with the project or Debian's
fonts-dejavu, so the tests make their own with fontTools)."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.cffLib import FDSelect
from fontTools.cffLib.CFF2ToCFF import convertCFF2ToCFF
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont


@dataclass(frozen=True)
class FontRow:
    """One line of pdffonts: the font's name without its subset tag, its type, and the
    object number of its font dictionary."""

    name: str
    tag: str
    type: str
    object: int


def pdffonts(path: Path) -> list[FontRow]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        # name, type (several words), encoding, emb, sub, uni, object number, generation
        words = line.split()
        tag, _, base = words[0].rpartition("+")
        rows.append(FontRow(base, tag, " ".join(words[1:-6]), int(words[-2])))
    return rows


def cff_font(ttf: bytes, text: str, *, cid_keyed: bool = False) -> bytes:
    """An OpenType font with CFF outlines drawing ``text`` as the TrueType font ``ttf``
    does: name-keyed, or CID-keyed with two font dictionaries (glyphs alternate between
    them, as in a CJK font's FDSelect)."""
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    source = TTFont(io.BytesIO(ttf))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(source)
    order = source.getGlyphOrder()
    glyphs = source.getGlyphSet()
    names = {r.nameID: r.toUnicode() for r in source["name"].names if r.platformID == 3}
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=False)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(source.getBestCmap())
    charstrings = {}
    for name in order:
        pen = T2CharStringPen(None if cid_keyed else glyphs[name].width, glyphs,
                              CFF2=cid_keyed)
        glyphs[name].draw(pen)
        charstrings[name] = pen.getCharString()
    if cid_keyed:
        # fontTools builds CID-keyed CFF only by way of CFF2 with several font dicts.
        builder.setupCFF2(charstrings, fdArrayList=[{}, {}])
    else:
        builder.setupCFF(names[6], {"FullName": names[4]}, charstrings, {})
    builder.setupHorizontalMetrics({n: source["hmtx"][n] for n in order})
    builder.setupHorizontalHeader(ascent=source["hhea"].ascent, descent=source["hhea"].descent)
    builder.setupNameTable({"familyName": names[1], "styleName": names[2]})
    builder.setupOS2(sTypoAscender=source["OS/2"].sTypoAscender,
                     usWinAscent=source["OS/2"].usWinAscent,
                     usWinDescent=source["OS/2"].usWinDescent)
    builder.setupPost()
    out = io.BytesIO()
    if not cid_keyed:
        builder.save(out)
        return out.getvalue()
    top = builder.font["CFF2"].cff.topDictIndex[0]
    top.FDSelect = FDSelect()
    top.FDSelect.format = 3
    top.FDSelect.gidArray = [gid % 2 for gid in range(len(order))]
    for gid, name in enumerate(order):
        top.CharStrings[name].private = top.FDArray[gid % 2].Private
    builder.save(out)
    font = TTFont(io.BytesIO(out.getvalue()), lazy=False, recalcBBoxes=False)
    loaded = font["CFF2"].cff.topDictIndex[0]
    _ = loaded.FDSelect, loaded.CharStrings, loaded.FDArray  # read before converting
    convertCFF2ToCFF(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
