"""One font program per font in a PDF joined from parts (pdf_merge.py).

WeasyPrint writes each part with its own subset of every font the part uses: the glyphs
it shows, left at their glyph ids (its subsetter retains glyph ids up to the highest one
shown), in a Type 0 font whose CIDs are those glyph ids (CIDToGIDMap /Identity), with /W
and a ToUnicode map for the codes it shows. Joined as they are, the parts embed one
program per part for the same font and pdffonts lists the font once per part.
``unify_fonts`` makes the font dictionaries of one font a single one (ISO 32000-1, 9.7.4
CIDFonts, 9.7.5 CMaps, 9.10.3 ToUnicode):

- one program, made with fontTools from the parts' subsets: at each glyph id some part
  shows, the glyph that part has there (TrueType glyphs copied whole, composites with
  their components; CFF charstrings redrawn into the kept program), so the content
  streams draw the same glyphs at the same places;
- one set of character codes: each code shows a glyph with a width and stands for a
  text. A code keeps its meaning unless an earlier part gave it another (the same glyph
  read as another text, a character no font has numbered from the same code in every
  part); then the later part's meaning gets a free code, reached through a CIDToGIDMap
  (TrueType) or an embedded CMap (CFF), and that part's content streams are rewritten to
  show it;
- one /W and one ToUnicode map covering every code.

Fonts of one name whose glyphs disagree (a glyph id drawn differently, another em size;
for CFF, another width for a glyph) are not merged: each keeps its program. Every
program then gets a subset tag derived from its bytes (9.6.4: distinct subsets, distinct
tags) and identical font dictionaries are kept once. Type 3 fonts (WeasyPrint's bitmap
fonts) are left as they are.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from math import ceil
from typing import Any

import pikepdf
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont, TTLibError
from fontTools.ttLib.tables._g_l_y_f import Glyph
from pikepdf import Array, Dictionary, Name

SUBSET_TAG_RE = re.compile(r"^/[A-Z]{6}\+")
CODE_LIMIT = 0x10000  # two-byte codes, the code space of Identity-H and of WeasyPrint's CMaps
PROGRAMS = (Name.FontFile2, Name.FontFile3)  # TrueType, OpenType (CFF) programs
SHOW_OPERATORS = {"Tj": 0, "'": 0, '"': 2, "TJ": 0}  # operator -> index of its text operand
CMAP_HEADER = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
               b"/CIDSystemInfo << /Registry (Adobe) /Ordering (%s) /Supplement 0 >> def\n"
               b"/CMapName /%s def\n/CMapType %d def\n"
               b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n")
CMAP_FOOTER = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"

Outline = tuple[Any, ...]


def unify_fonts(pdf: pikepdf.Pdf) -> None:
    """Make the font dictionaries of each font in ``pdf`` one, with one program, one /W and
    one ToUnicode map (see the module docstring), then tag every subset after its program
    and keep one copy of identical font dictionaries."""
    holders = list(_content_holders(pdf))
    members: dict[tuple[int, int], _Member] = {}
    families: dict[tuple[str, ...], list[_Member]] = {}
    for _, resources in holders:
        for font in _fonts_of(resources).values():
            if font.objgen in members or not font.is_indirect:
                continue
            member = _read(font)
            if member is not None:
                members[font.objgen] = member
                families.setdefault(member.family, []).append(member)
    replacement: dict[tuple[int, int], pikepdf.Object] = {}
    recodings: dict[tuple[int, int], dict[int, int]] = {}
    for family in families.values():
        for cluster in _clusters(family):
            if len(cluster) < 2:
                continue
            recoded = _merge(pdf, cluster)
            if recoded is None:
                continue
            for member in cluster:
                replacement[member.font.objgen] = cluster[0].font
            recodings.update({k: v for k, v in recoded.items() if v})
    if recodings:
        _recode(pdf, holders, recodings)
    for _, resources in holders:
        fonts = _fonts_of(resources)
        for key in list(fonts.keys()):
            kept = replacement.get(fonts[key].objgen)
            if kept is not None and kept.objgen != fonts[key].objgen:
                fonts[key] = kept
    _name_font_subsets([resources for _, resources in holders])


# ---- Reading a font ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Meaning:
    """What a character code shows: a glyph, with an advance width, standing for a text."""

    gid: int
    width: float  # thousandths of an em (/W)
    text: str | None  # what ToUnicode maps the code to


@dataclass
class _Member:
    """One Type 0 font dictionary of the joined PDF and what merging needs from it."""

    font: pikepdf.Object
    family: tuple[str, ...]  # what fonts of one name share: name, CIDFont type, program kind
    program: TTFont
    program_key: Name  # FontFile2 (TrueType) or FontFile3 (OpenType, CFF)
    codes: dict[int, _Meaning]  # character code -> what it shows
    default_width: float  # /DW
    _outlines: dict[int, Outline] | None = None
    _glyph_set: Any = None

    @property
    def truetype(self) -> bool:
        return self.program_key == Name.FontFile2

    @property
    def order(self) -> list[str]:
        order: list[str] = self.program.getGlyphOrder()
        return order

    @property
    def upem(self) -> int:
        return int(self.program["head"].unitsPerEm)

    @property
    def retained(self) -> int:
        """The highest glyph id at which the subset certainly has the font's own glyph:
        WeasyPrint's subsetter keeps glyph ids up to the highest code shown."""
        return max(self.codes, default=0)

    @property
    def shown(self) -> set[int]:
        """The glyph ids the codes show (missing characters show .notdef, glyph 0)."""
        return {m.gid for m in self.codes.values() if m.gid < len(self.order)}

    def outline(self, gid: int) -> Outline:
        """What glyph ``gid`` draws and its advance (hmtx): a simple TrueType glyph by
        its bytes, any other by its drawing with components resolved."""
        if self._outlines is None:
            self._outlines = {}
        if gid not in self._outlines:
            name = self.order[gid]
            advance = self.program["hmtx"][name][0]
            data = None
            if self.truetype:  # the glyph's bytes as the subset has them (glyf, loca)
                loca = self.program["loca"]
                data = self.program.reader["glyf"][loca[gid]:loca[gid + 1]]
            if data is not None and (not data or data[0] < 0x80):  # a simple glyph
                self._outlines[gid] = (advance, bytes(data))
            else:
                if self._glyph_set is None:
                    self._glyph_set = self.program.getGlyphSet()
                pen = DecomposingRecordingPen(self._glyph_set)
                self._glyph_set[name].draw(pen)
                self._outlines[gid] = (advance, tuple(pen.value))
        return self._outlines[gid]


def _read(font: pikepdf.Object) -> _Member | None:
    """``font`` as a _Member when it is a Type 0 font this module can merge: one CIDFont
    with an embedded TrueType or OpenType program, whose CIDs are glyph ids or mapped to
    them by a CIDToGIDMap stream, and two-byte codes (Identity-H, or an embedded CMap with
    the code space <0000>–<ffff>)."""
    if font.get(Name.Subtype) != Name.Type0:
        return None
    descendants = font.get(Name.DescendantFonts)
    if not isinstance(descendants, Array) or len(descendants) != 1:
        return None
    cid_font = descendants[0]
    subtype = cid_font.get(Name.Subtype)
    if subtype not in (Name.CIDFontType0, Name.CIDFontType2):
        return None
    descriptor = cid_font.get(Name.FontDescriptor)
    if not isinstance(descriptor, Dictionary):
        return None
    key = next((k for k in PROGRAMS if k in descriptor), None)
    if key is None or (key == Name.FontFile2) != (subtype == Name.CIDFontType2):
        return None
    cids = _read_encoding(font.get(Name.Encoding))
    if cids is None:
        return None
    gids = _read_cid_to_gid(cid_font.get(Name.CIDToGIDMap)) if key == Name.FontFile2 else None
    try:
        # The subsets keep the whole font's bounding box in head and hhea (as the whole
        # font has it) and their own date: kept so, for identical rendering and bytes.
        program = TTFont(io.BytesIO(descriptor[key].read_bytes()), recalcBBoxes=False,
                         recalcTimestamp=False)
        program.getGlyphOrder()
        if ("glyf" in program) != (key == Name.FontFile2) or (
                key == Name.FontFile3 and "CFF " not in program):
            return None
    except (TTLibError, struct.error, ValueError, KeyError, AssertionError):
        return None  # not a program fontTools can read: left as it is
    to_unicode = font.get(Name.ToUnicode)
    texts = _parse_cmap(to_unicode.read_bytes()).texts if isinstance(
        to_unicode, pikepdf.Stream) else {}
    widths = _read_widths(cid_font.get(Name.W, Array()))
    default_width = float(cid_font.get(Name.DW, 1000))
    # The codes shown: WeasyPrint maps every one in ToUnicode and gives it a width (at the
    # code, also where its CMap sends the code to another CID).
    shown = set(texts) | set(widths) if cids.identity else set(texts) | set(cids.cids)
    codes: dict[int, _Meaning] = {}
    for code in sorted(shown):
        cid = cids.cid(code)
        gid = cid if gids is None else (gids[cid] if cid < len(gids) else 0)
        codes[code] = _Meaning(gid, widths.get(cid, default_width), texts.get(code))
    name = SUBSET_TAG_RE.sub("/", str(font.get(Name.BaseFont, "")))
    return _Member(font, (name, str(subtype)), program, key, codes, default_width)


def _read_cid_to_gid(cid_to_gid: pikepdf.Object | None) -> list[int] | None:
    """A CIDFontType2's CIDToGIDMap (9.7.4.2): None for /Identity (or none), else the
    glyph id of each CID."""
    if not isinstance(cid_to_gid, pikepdf.Stream):
        return None
    data = cid_to_gid.read_bytes()
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]


def _read_widths(w: pikepdf.Object) -> dict[int, float]:
    """A CIDFont's /W array (9.7.4.3: ``c [w1 w2 …]`` and ``c_first c_last w``)."""
    items = list(w) if isinstance(w, Array) else []
    widths: dict[int, float] = {}
    index = 0
    while index + 1 < len(items):
        first, second = items[index], items[index + 1]
        if isinstance(second, Array):
            for offset, width in enumerate(second):
                widths[int(first) + offset] = float(width)
            index += 2
        elif index + 2 < len(items):
            for cid in range(int(first), int(second) + 1):
                widths[cid] = float(items[index + 2])
            index += 3
        else:
            break
    return widths


# ---- CMaps --------------------------------------------------------------------------------

# A CMap is a PostScript program (Adobe Technical Notes #5014 and #5099). pikepdf reads
# streams but not CMaps, and the maps met here are the small ones PDF writers embed
# (WeasyPrint's ToUnicode and code-to-CID maps): this reads their code spaces and the
# bfchar/bfrange/cidchar/cidrange/notdefchar/notdefrange sections, which is all they hold.
_CMAP_TOKEN_RE = re.compile(
    rb"<<|>>|<([0-9A-Fa-f\s]*)>|\[|\]|\((?:\\.|[^\\)])*\)|%[^\r\n]*"
    rb"|/[^\s/<>\[\]()%]*|[^\s/<>\[\]()%]+")
_SECTIONS = {b"begincodespacerange": 2, b"beginbfchar": 2, b"beginbfrange": 3,
             b"begincidchar": 2, b"begincidrange": 3, b"beginnotdefchar": 2,
             b"beginnotdefrange": 3}


@dataclass
class _CMap:
    code_spaces: list[tuple[bytes, bytes]] = field(default_factory=list)
    texts: dict[int, str | None] = field(default_factory=dict)  # code -> Unicode text
    cids: dict[int, int] = field(default_factory=dict)  # code -> CID
    uses_other: bool = False  # usecmap: builds on a CMap not read here
    identity: bool = False  # Identity-H: every two-byte code is its own CID

    def cid(self, code: int) -> int:
        return code if self.identity else self.cids.get(code, 0)


def _parse_cmap(data: bytes) -> _CMap:
    cmap = _CMap()
    values: list[Any] = []
    stack: list[list[Any]] = []
    for match in _CMAP_TOKEN_RE.finditer(data):
        token = match.group(0)
        if match.group(1) is not None:
            values.append(bytes.fromhex(match.group(1).decode("ascii")))
        elif token == b"[":
            stack.append(values)
            values = []
        elif token == b"]" and stack:
            inner, values = values, stack.pop()
            values.append(inner)
        elif token[:1].isdigit() or token[:1] == b"-":
            try:
                values.append(int(token))
            except ValueError:
                values.append(token)
        elif token in _SECTIONS:
            values = []
        elif token.startswith(b"end") and b"begin" + token[3:] in _SECTIONS:
            _read_section(cmap, token[3:], values, _SECTIONS[b"begin" + token[3:]])
            values = []
        elif token == b"usecmap":
            cmap.uses_other = True
        elif not token.startswith(b"%"):
            values.append(token)
    return cmap


def _read_section(cmap: _CMap, kind: bytes, values: list[Any], size: int) -> None:
    for index in range(0, len(values) - size + 1, size):
        entry = values[index:index + size]
        if not all(isinstance(v, bytes) for v in entry[:size - 1]):
            continue
        if kind == b"codespacerange":
            cmap.code_spaces.append((entry[0], entry[1]))
            continue
        low = int.from_bytes(entry[0], "big")
        high = low if size == 2 else int.from_bytes(entry[1], "big")
        target = entry[-1]
        for offset, code in enumerate(range(low, min(high, CODE_LIMIT - 1) + 1)):
            if kind in (b"bfchar", b"bfrange"):
                if isinstance(target, list):
                    item = target[offset] if offset < len(target) else None
                    cmap.texts[code] = _utf16(item) if isinstance(item, bytes) else None
                elif isinstance(target, bytes) and target:
                    # bfrange: the last byte of the destination counts up (9.10.3)
                    text = target[:-1] + bytes([(target[-1] + offset) % 256])
                    cmap.texts[code] = _utf16(text)
            elif kind in (b"cidchar", b"cidrange") and isinstance(target, int):
                cmap.cids[code] = target + offset
            elif kind in (b"notdefchar", b"notdefrange") and isinstance(target, int):
                cmap.cids.setdefault(code, target)


def _utf16(data: bytes) -> str | None:
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError:
        return None


def _read_encoding(encoding: pikepdf.Object | None) -> _CMap | None:
    """The code-to-CID map of a Type 0 font: Identity-H, or an embedded CMap with only
    two-byte codes; None for anything else (left unmerged)."""
    if encoding == Name("/Identity-H"):
        return _CMap(identity=True)
    if not isinstance(encoding, pikepdf.Stream):
        return None
    cmap = _parse_cmap(encoding.read_bytes())
    if cmap.uses_other or cmap.code_spaces != [(b"\0\0", b"\xff\xff")]:
        return None
    if encoding.get(Name.WMode, 0) != 0:
        return None
    return cmap


def _to_unicode_stream(pdf: pikepdf.Pdf, texts: dict[int, str]) -> pikepdf.Object:
    lines = [CMAP_HEADER % (b"UCS", b"Adobe-Identity-UCS", 2)]
    items = sorted(texts.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(b"%d beginbfchar\n" % len(batch))
        lines.extend(b"<%04x> <%s>\n" % (code, text.encode("utf-16-be").hex().encode())
                     for code, text in batch)
        lines.append(b"endbfchar\n")
    lines.append(CMAP_FOOTER)
    return pdf.make_stream(b"".join(lines))


def _encoding_stream(pdf: pikepdf.Pdf, cids: dict[int, int]) -> pikepdf.Object:
    name = b"cxbook-Encoding"
    lines = [CMAP_HEADER % (b"Identity", name, 1)]
    items = sorted(cids.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(b"%d begincidchar\n" % len(batch))
        lines.extend(b"<%04x> %d\n" % (code, cid) for code, cid in batch)
        lines.append(b"endcidchar\n")
    lines.append(CMAP_FOOTER)
    info = Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                      Supplement=0)
    return pdf.make_stream(b"".join(lines), Type=Name.CMap, CMapName=Name("/" + name.decode()),
                           CIDSystemInfo=info)


# ---- Merging -------------------------------------------------------------------------------


@dataclass
class _Union:
    """What the members of one merged font have in common so far."""

    members: list[_Member]
    widths: dict[int, float] = field(default_factory=dict)  # glyph id -> width (CFF)
    outlines: dict[int, Outline] = field(default_factory=dict)  # glyph id shown -> outline

    def admits(self, member: _Member) -> bool:
        """Whether ``member`` is the same font: the same em, the same drawing at every
        glyph id both show, and (for CFF, whose CIDs are glyph ids) the same widths."""
        if member.upem != self.members[0].upem:
            return False
        if not member.truetype and any(
                self.widths.get(m.gid, m.width) != m.width for m in member.codes.values()):
            return False
        return all(self.outlines[gid] == member.outline(gid)
                   for gid in member.shown if gid in self.outlines)

    def add(self, member: _Member) -> None:
        if member not in self.members:
            self.members.append(member)
        self.widths.update((m.gid, m.width) for m in member.codes.values())
        for gid in member.shown:
            if gid not in self.outlines:
                self.outlines[gid] = member.outline(gid)


def _clusters(family: list[_Member]) -> Iterator[list[_Member]]:
    """The fonts of one name, in groups that can share one program: in document order,
    each joins the first group it agrees with."""
    unions: list[_Union] = []
    for member in family:
        union = next((u for u in unions if u.admits(member)), None)
        if union is None:
            union = _Union([member])
            unions.append(union)
        union.add(member)
    for union in unions:
        yield union.members


def _merge(pdf: pikepdf.Pdf, members: list[_Member]
           ) -> dict[tuple[int, int], dict[int, int]] | None:
    """Turn ``members[0]`` into the one font of all ``members``; returns, per member, the
    codes its content streams must show instead of the ones they show (old -> new), or
    None when the members' codes do not fit in one font (nothing is changed then)."""
    base = max(members, key=lambda m: len(m.order))  # the first of the longest
    assigned = _assign_codes(members, len(base.order))
    if assigned is None:
        return None
    codes, recoded = assigned
    _fill_glyphs(base, members)
    if "glyf" in base.program:
        head = base.program["head"]
        head_box = head.xMin, head.yMin, head.xMax, head.yMax
        base.program["maxp"].recalc(base.program)  # point and contour counts
        head.xMin, head.yMin, head.xMax, head.yMax = head_box  # not the glyphs' own box
    program = io.BytesIO()
    base.program.save(program)

    kept = members[0]
    cid_font = kept.font.DescendantFonts[0]
    identity = all(code == meaning.gid for code, meaning in codes.items())
    if kept.truetype:
        # CIDs are the codes (Identity-H); a code whose glyph id differs from it (a glyph
        # shown by two codes, .notdef for characters no font has) goes through the map.
        widths = {code: meaning.width for code, meaning in codes.items()}
        kept.font[Name.Encoding] = Name("/Identity-H")
        cid_font[Name.CIDToGIDMap] = Name.Identity if identity else _cid_to_gid_stream(
            pdf, {code: meaning.gid for code, meaning in codes.items()})
    else:
        # CIDs are glyph ids; codes that are not go through an embedded CMap.
        widths = {meaning.gid: meaning.width for meaning in codes.values()}
        kept.font[Name.Encoding] = Name("/Identity-H") if identity else _encoding_stream(
            pdf, {code: meaning.gid for code, meaning in codes.items()})
    widths = dict(sorted(widths.items()))
    cid_font[Name.W] = _widths_array(widths)
    kept.font[Name.ToUnicode] = _to_unicode_stream(
        pdf, {code: meaning.text for code, meaning in codes.items() if meaning.text})

    descriptor = cid_font.FontDescriptor
    old = descriptor[kept.program_key]
    stream = pdf.make_stream(program.getvalue())
    if Name.Subtype in old:
        stream[Name.Subtype] = old.Subtype
    if kept.truetype:
        stream[Name.Length1] = len(program.getvalue())
    descriptor[kept.program_key] = stream
    boxes: list[pikepdf.Object] = []
    for member in members:
        box = member.font.DescendantFonts[0].FontDescriptor.get(Name.FontBBox)
        if isinstance(box, Array) and len(box) == 4:
            boxes.append(box)
    if boxes:
        descriptor[Name.FontBBox] = Array([
            min(float(b[0]) for b in boxes), min(float(b[1]) for b in boxes),
            max(float(b[2]) for b in boxes), max(float(b[3]) for b in boxes)])
    if Name.Flags in descriptor:
        fixed = len(widths) > 1 and len(set(widths.values())) == 1
        descriptor[Name.Flags] = (int(descriptor.Flags) & ~1) | int(fixed)
    if Name.CIDSet in descriptor:
        descriptor[Name.CIDSet] = _cid_set(pdf, widths)
    return recoded


def _assign_codes(members: list[_Member], glyph_count: int
                  ) -> tuple[dict[int, _Meaning], dict[tuple[int, int], dict[int, int]]] | None:
    """One code per meaning the members show: a member's own code where no earlier member
    gave it another meaning, else a free code past every glyph id and code in use.
    Returns the merged code map and, per member, its changed codes (old -> new)."""
    codes: dict[int, _Meaning] = {}
    by_meaning: dict[_Meaning, int] = {}
    pending: list[_Meaning] = []
    for member in members:
        for code, meaning in member.codes.items():
            if meaning in by_meaning:
                continue
            if code not in codes:
                codes[code] = meaning
                by_meaning[meaning] = code
            else:
                pending.append(meaning)
    free = max([glyph_count - 1, *codes, *(m.gid for m in codes.values())]) + 1
    for meaning in pending:
        if meaning in by_meaning:
            continue
        if free >= CODE_LIMIT:
            return None
        codes[free] = meaning
        by_meaning[meaning] = free
        free += 1
    recoded = {member.font.objgen: {code: by_meaning[meaning]
                                    for code, meaning in member.codes.items()
                                    if by_meaning[meaning] != code}
               for member in members}
    return codes, recoded


def _fill_glyphs(base: _Member, members: list[_Member]) -> None:
    """Make ``base``'s program draw, at each glyph id any member shows, the glyph that
    member shows there."""
    sources: dict[int, _Member] = {}
    for member in (base, *members):
        for gid in sorted(member.shown):
            sources.setdefault(gid, member)
    if "glyf" in base.program:
        _fill_glyf(base, sources)
    else:
        program = base.program
        for gid, source in sources.items():
            if source is not base:
                _copy_charstring(base, source, gid)
                for table in ("hmtx", "vmtx"):
                    if table in program and table in source.program:
                        program[table][base.order[gid]] = source.program[table][
                            source.order[gid]]
    _merge_cmap(base.program, members)


def _fill_glyf(base: _Member, sources: dict[int, _Member]) -> None:
    """The TrueType glyphs of ``base``'s program made anew: at each glyph id shown, the
    glyph its source shows; the components of composite glyphs after them; nothing
    elsewhere.

    WeasyPrint's subsets keep glyph ids only up to the highest code a part shows: the
    components of a composite glyph that lie past it are moved to the slots after it,
    where another part may show a glyph of its own. A component stays at its glyph id
    when that id is true and free (or holds the same drawing), and is added after the
    last glyph otherwise; composites keep their structure, so they render as before."""
    program = base.program
    order = list(base.order)
    names = set(order)
    placed: dict[int, Outline] = {gid: source.outline(gid) for gid, source in sources.items()}
    added: dict[Outline, int] = {}
    glyphs: dict[int, tuple[Glyph, dict[str, Any]]] = {}

    def take(source: _Member, gid: int) -> tuple[Glyph, dict[str, Any]]:
        glyph = copy.deepcopy(source.program["glyf"][source.order[gid]])
        if glyph.isComposite():
            for component in glyph.components:
                slot = component_slot(source, source.program.getGlyphID(component.glyphName))
                component.glyphName = order[slot]
        metrics = {table: source.program[table][source.order[gid]]
                   for table in ("hmtx", "vmtx") if table in source.program}
        return glyph, metrics

    def component_slot(source: _Member, gid: int) -> int:
        drawing = source.outline(gid)
        if gid <= source.retained:
            if gid not in placed:
                placed[gid] = drawing
                glyphs[gid] = take(source, gid)
                return gid
            if placed[gid] == drawing:
                return gid
        if drawing not in added:
            slot = len(order)
            name = f"glyph{slot:05d}"
            while name in names:
                name += ".cx"
            order.append(name)
            names.add(name)
            added[drawing] = slot
            placed[slot] = drawing
            glyphs[slot] = take(source, gid)
        return added[drawing]

    for gid, source in sorted(sources.items()):
        glyphs[gid] = take(source, gid)
    glyf = program["glyf"]
    glyf.glyphs = {}
    glyf.glyphOrder = order
    program.setGlyphOrder(order)
    for table in ("hmtx", "vmtx"):
        if table in program:
            program[table].metrics = {}
    for gid, name in enumerate(order):
        glyph, metrics = glyphs.get(gid, (Glyph(), {}))
        glyf.glyphs[name] = glyph
        for table in ("hmtx", "vmtx"):
            if table in program:
                program[table].metrics[name] = metrics.get(table, (0, 0))


def _copy_charstring(base: _Member, member: _Member, gid: int) -> None:
    """Redraw ``member``'s CFF glyph ``gid`` into ``base``'s CFF table (its private
    dictionary may encode widths differently, so the charstring is made anew)."""
    name, other = base.order[gid], member.order[gid]
    top = base.program["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    if hasattr(top, "FDArray"):
        fd = _matching_fd(top, member.program["CFF "].cff.topDictIndex[0], gid)
        top.FDSelect.gidArray[gid] = fd
        private = top.FDArray[fd].Private
    else:
        private = top.Private
    width = member.program["hmtx"][other][0]
    nominal = getattr(private, "nominalWidthX", 0)
    default = getattr(private, "defaultWidthX", 0)
    if member._glyph_set is None:
        member._glyph_set = member.program.getGlyphSet()
    pen = T2CharStringPen(None if width == default else width - nominal, member._glyph_set)
    member._glyph_set[other].draw(pen)
    charstrings[name] = pen.getCharString(private=private,
                                          globalSubrs=base.program["CFF "].cff.GlobalSubrs)


def _matching_fd(top: Any, other_top: Any, gid: int) -> int:
    """The font dictionary of ``top`` named like the one ``other_top`` draws ``gid`` with
    (the first one if none is)."""
    other_fd = other_top.FDArray[other_top.FDSelect[gid]] if hasattr(
        other_top, "FDSelect") else None
    wanted = getattr(other_fd, "FontName", None)
    for index, fd in enumerate(top.FDArray):
        if wanted is not None and getattr(fd, "FontName", None) == wanted:
            return index
    return 0


def _merge_cmap(program: TTFont, members: list[_Member]) -> None:
    """``program``'s Unicode cmap subtables made to map what each member's subset maps
    to a glyph the member shows (by glyph id; the embedded program's cmap is not used to
    show text, 9.7.4.2, but kept true)."""
    if "cmap" not in program:
        return
    order = program.getGlyphOrder()
    mapping: dict[int, str] = {}
    for member in members:
        if "cmap" not in member.program:
            continue
        ids = {name: gid for gid, name in enumerate(member.order)}
        shown = member.shown
        for uv, name in sorted((member.program.getBestCmap() or {}).items()):
            if ids.get(name) in shown:
                mapping.setdefault(uv, order[ids[name]])
    for table in program["cmap"].tables:
        if table.isUnicode() and table.format in (4, 12):
            table.cmap = {uv: name for uv, name in mapping.items()
                          if table.format == 12 or uv <= 0xFFFF}


def _widths_array(widths: dict[int, float]) -> Array:
    """/W from CID -> width: runs of consecutive CIDs as ``c [w1 w2 …]``."""
    out = Array()
    run: Array | None = None
    previous = None
    for cid, width in widths.items():
        if previous is None or cid != previous + 1:
            run = Array()
            out.append(cid)
            out.append(run)
        assert run is not None
        run.append(int(width) if width == int(width) else width)
        previous = cid
    return out


def _cid_to_gid_stream(pdf: pikepdf.Pdf, gids: dict[int, int]) -> pikepdf.Object:
    """A CIDToGIDMap stream (9.7.4.2): the glyph id of CID n in bytes 2n and 2n+1."""
    table = [0] * (max(gids, default=0) + 1)
    for cid, gid in gids.items():
        table[cid] = gid
    return pdf.make_stream(b"".join(gid.to_bytes(2, "big") for gid in table))


def _cid_set(pdf: pikepdf.Pdf, widths: dict[int, float]) -> pikepdf.Object:
    """A CIDSet stream (9.8.3 table 124): one bit per CID present, high bit first."""
    size = ceil((max(widths, default=0) + 1) / 8)
    bits = bytearray(size)
    for cid in widths:
        bits[cid // 8] |= 0x80 >> (cid % 8)
    return pdf.make_stream(bytes(bits))


# ---- Content streams ---------------------------------------------------------------------


def _content_holders(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Object, pikepdf.Object]]:
    """(page, form XObject, tiling pattern or annotation appearance; its resource
    dictionary) for every content stream the pages draw, each once; a form without
    resources uses those of what draws it."""
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        resources = page.obj.get(Name.Resources, Dictionary())
        yield page.obj, resources
        todo = [resources]
        for annotation in page.obj.get(Name.Annots, Array()):
            appearances = annotation.get(Name.AP) if isinstance(annotation, Dictionary) else None
            for state in appearances.values() if isinstance(appearances, Dictionary) else ():
                streams = state.values() if isinstance(state, Dictionary) and not isinstance(
                    state, pikepdf.Stream) else [state]
                for stream in streams:
                    if isinstance(stream, pikepdf.Stream) and stream.objgen not in seen:
                        seen.add(stream.objgen)
                        own = stream.get(Name.Resources, Dictionary())
                        yield stream, own
                        todo.append(own)
        while todo:
            current = todo.pop()
            for category in (Name.XObject, Name.Pattern):
                entries = current.get(category) if isinstance(current, Dictionary) else None
                if not isinstance(entries, Dictionary):
                    continue
                for key in sorted(entries.keys()):
                    item = entries[key]
                    if not isinstance(item, pikepdf.Stream) or item.objgen in seen:
                        continue
                    if category == Name.XObject and item.get(Name.Subtype) != Name.Form:
                        continue
                    seen.add(item.objgen)
                    own = item.get(Name.Resources, current)
                    yield item, own
                    todo.append(own)


def _fonts_of(resources: pikepdf.Object) -> pikepdf.Object:
    fonts = resources.get(Name.Font) if isinstance(resources, Dictionary) else None
    return fonts if isinstance(fonts, Dictionary) else Dictionary()


def _recode(pdf: pikepdf.Pdf, holders: Iterable[tuple[pikepdf.Object, pikepdf.Object]],
            recodings: dict[tuple[int, int], dict[int, int]]) -> None:
    """Rewrite the codes shown in ``recodings``' fonts (font -> old code -> new code) in
    every content stream that shows text in one of them."""
    done: set[tuple[int, int]] = set()
    for holder, resources in holders:
        fonts = _fonts_of(resources)
        by_name = {str(key): recodings[font.objgen] for key, font in fonts.items()
                   if font.objgen in recodings}
        if not by_name or (holder.is_indirect and holder.objgen in done):
            continue
        done.add(holder.objgen)
        instructions = pikepdf.parse_content_stream(holder)
        if not _recode_instructions(instructions, by_name):
            continue
        data = pikepdf.unparse_content_stream(instructions)
        if isinstance(holder, pikepdf.Stream):
            holder.write(data)
        else:
            holder[Name.Contents] = pdf.make_stream(data)


def _recode_instructions(instructions: list[Any], by_name: dict[str, dict[int, int]]) -> bool:
    current: str | None = None
    saved: list[str | None] = []
    changed = False
    for index, instruction in enumerate(instructions):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue
        operator = str(instruction.operator)
        operands = list(instruction.operands)
        if operator == "q":
            saved.append(current)
        elif operator == "Q":
            current = saved.pop() if saved else None
        elif operator == "Tf" and operands:
            current = str(operands[0])
        elif operator in SHOW_OPERATORS and current in by_name:
            position = SHOW_OPERATORS[operator]
            if position >= len(operands):
                continue
            table = by_name[current]
            shown = operands[position]
            if isinstance(shown, Array):
                new: Any = Array([_recode_string(item, table)
                                  if isinstance(item, pikepdf.String) else item
                                  for item in shown])
            else:
                new = _recode_string(shown, table)
            operands[position] = new
            instructions[index] = pikepdf.ContentStreamInstruction(operands,
                                                                   instruction.operator)
            changed = True
    return changed


def _recode_string(shown: pikepdf.Object, table: dict[int, int]) -> pikepdf.String:
    data = bytes(shown)
    codes = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
    return pikepdf.String(b"".join(table.get(code, code).to_bytes(2, "big")
                                   for code in codes))


# ---- Subset tags ----------------------------------------------------------------------------


def _name_font_subsets(resource_dicts: list[pikepdf.Object]) -> None:
    """Give every embedded font subset a tag derived from its font program, and keep one
    copy of each program and of each font dictionary.

    WeasyPrint derives the six-letter subset tag from the font's name, so fonts left with
    programs of their own would share one tag (ISO 32000-1, 9.6.4: distinct subsets need
    distinct tags; some RIPs drop glyphs when they meet this). The tag is made from a hash
    of the program: the same subset keeps the same tag, in every build."""
    programs: dict[bytes, pikepdf.Object] = {}  # program bytes -> the stream kept
    fonts: dict[tuple[bytes, ...], pikepdf.Object] = {}  # font contents -> the font kept
    renamed: set[tuple[int, int]] = set()
    for resources in resource_dicts:
        font_names = _fonts_of(resources)
        for key in list(font_names.keys()):
            font = font_names[key]
            if font.objgen not in renamed:
                renamed.add(font.objgen)
                _retag(font, programs)
            identity = _font_identity(font)
            if identity is None:
                continue
            kept = fonts.setdefault(identity, font)
            if kept.objgen != font.objgen:
                font_names[key] = kept


def _retag(font: pikepdf.Object, programs: dict[bytes, pikepdf.Object]) -> None:
    descendants = font.get(Name.DescendantFonts)
    target = descendants[0] if descendants is not None else font
    descriptor = target.get(Name.FontDescriptor)
    if descriptor is None:
        return
    for file_key in (Name.FontFile, Name.FontFile2, Name.FontFile3):
        if file_key not in descriptor:
            continue
        data = descriptor[file_key].read_bytes()
        kept = programs.setdefault(data, descriptor[file_key])
        if kept.objgen != descriptor[file_key].objgen:
            descriptor[file_key] = kept
        digest = hashlib.sha256(data).digest()
        tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
        for holder, key in ((font, Name.BaseFont), (target, Name.BaseFont),
                            (descriptor, Name.FontName)):
            name = str(holder.get(key, ""))
            if SUBSET_TAG_RE.match(name):
                holder[key] = Name(f"/{tag}{name[7:]}")
        return


def _font_identity(font: pikepdf.Object) -> tuple[bytes, ...] | None:
    """What makes two font dictionaries interchangeable: their name, widths, Unicode map
    and font program."""
    descendants = font.get(Name.DescendantFonts)
    target = descendants[0] if descendants is not None else font
    descriptor = target.get(Name.FontDescriptor)
    if descriptor is None:
        return None
    program = next((descriptor[k] for k in (Name.FontFile, Name.FontFile2, Name.FontFile3)
                    if k in descriptor), None)
    to_unicode = font.get(Name.ToUnicode)
    encoding = font.get(Name.Encoding)
    cid_to_gid = target.get(Name.CIDToGIDMap)
    widths = target.get(Name.W, target.get(Name.Widths))
    return (str(font.get(Name.BaseFont, "")).encode(),
            widths.unparse(resolved=True) if widths is not None else b"",
            to_unicode.read_bytes() if to_unicode is not None else b"",
            encoding.read_bytes() if isinstance(encoding, pikepdf.Stream)
            else str(encoding).encode(),
            cid_to_gid.read_bytes() if isinstance(cid_to_gid, pikepdf.Stream)
            else str(cid_to_gid).encode(),
            str(program.objgen if program is not None else None).encode())
