"""A PDF/UA-1 checker for the tests: the machine-checkable failure conditions of the
Matterhorn Protocol 1.1 that apply to what cxbook writes, read back with pikepdf.

No PDF/UA validator installs from the registries the project uses, so this walks the PDF
itself: the catalog, the structure tree and its role map, the parent tree, every page's
content stream (marked content, text positions and the text each glyph code stands for,
through the fonts' ToUnicode maps), the annotations and the embedded fonts. Each failure
cites the condition it breaks (``Failure.condition``, e.g. ``"28-011"``).

Conditions checked (ISO 14289-1 clause in brackets):

- 01-001 real content where an artifact belongs [7.1]: leader dots, and running heads and
  folios (text tagged as content in the head or foot margin of a page). The protocol
  leaves 01-001 to a person; these are the cases a program can recognise.
- 01-003 / 01-004 artifacts inside tagged content and the reverse [7.1];
  01-005 content neither tagged nor an artifact: drawn outside marked content, or marked
  with an MCID that no structure element in the document's tree claims [7.1].
- 01-006 a Link structure element that holds no link annotation (a structure type that
  does not fit its content) [7.1].
- 01-007 /Suspects true [7.1].
- 02-001 / 02-003 / 02-004 role map: non-standard types end in a standard one, no circle,
  no standard type remapped [7.1].
- 06-001 / 06-002 / 06-003 XMP metadata with the PDF/UA identifier and dc:title [5, 7.1].
- 07-001 / 07-002 DisplayDocTitle true [7.1].
- 09-004 tables and 09-005 lists as ISO 32000-1 tables 337 and 336 allow [7.2];
  09-006 TOC and TOCI [7.2].
- 10-001 a shown character code that maps to no Unicode value [7.2].
- 11-001 text whose language cannot be determined (no /Lang on it, its ancestors or the
  catalog) [7.2]; 11-007 a language that does not fit the text: letters of a script (Greek,
  Cyrillic, Arabic, Hebrew, Han, kana, Hangul, Thai, Devanagari) under a /Lang whose
  language is not written in it.
- 13-004 Figure without /Alt or /ActualText [7.3].
- 14-002 / 14-003 numbered headings start at H1 and skip no level going down [7.4].
- 15-003 / 15-005 table headers: TH with /Scope, or every TD /Headers naming a TH /ID of
  its table, unique in the document [7.5].
- 19-003 / 19-004 Note with a unique /ID [7.9].
- 28-008 / 28-009 /Tabs /S on pages with annotations [7.18.3].
- 28-011 every link annotation nested in a Link structure element, both ways: its
  /StructParent leads to a Link element whose OBJR points back at it [7.18.5];
  28-012 link annotations with /Contents [7.18.5].
- 31-009 fonts embedded [7.21.4.1]; 31-027 a font without ToUnicode [7.21.7];
  31-030 the .notdef glyph shown [7.21.8].
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name

# ISO 32000-1:2008, 14.8.4: the standard structure types.
STANDARD_TYPES = frozenset({
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI",
    "Index", "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L",
    "LI", "Lbl", "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span",
    "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT",
    "RP", "Warichu", "WT", "WP", "Figure", "Formula", "Form"})
ROW_GROUPS = frozenset({"THead", "TBody", "TFoot"})
LEADER_RE = re.compile(r"[\s.·…‥_-]*")
# Where running heads and folios sit: the built-in theme's page margins are 17 mm (head)
# and 19 mm (foot), and its heads and folios stand 4–5 mm inside them; the first and last
# lines of text lie within the margins.
FURNITURE_BAND = 15 * 72 / 25.4
# Scripts that a language tag must account for, with the languages written in them.
SCRIPT_LANGUAGES = {
    "GREEK": {"el", "grc", "gr"},
    "CYRILLIC": {"ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg", "cu"},
    "ARABIC": {"ar", "fa", "ur", "ps", "ku", "sd", "ug"},
    "HEBREW": {"he", "iw", "yi"},
    "CJK": {"zh", "ja", "ko"},
    "HIRAGANA": {"ja"},
    "KATAKANA": {"ja"},
    "HANGUL": {"ko"},
    "THAI": {"th"},
    "DEVANAGARI": {"hi", "mr", "ne", "sa"},
}


@dataclass(frozen=True)
class Failure:
    condition: str  # Matterhorn Protocol 1.1 failure condition, "NN-NNN"
    message: str

    def __str__(self) -> str:
        return f"{self.condition}: {self.message}"


@dataclass
class _Run:
    """One text-showing operator: what marks it, where it is and what it says."""

    page: int
    mcid: int | None  # the MCID of the innermost tagged sequence around it
    artifact: bool
    y: float  # baseline in default user space
    text: str
    notdef: bool = False
    unmapped: bool = False
    element: _Element | None = None  # the structure element that claims its MCID


@dataclass
class _Font:
    to_unicode: dict[int, str]
    two_byte: bool
    cids: dict[int, int] | None  # code -> CID from an embedded CMap; None: Identity-H
    gids: list[int] | None  # CID -> glyph id from a CIDToGIDMap stream; None: Identity
    glyph_count: int | None  # glyphs in the embedded program
    has_to_unicode: bool
    embedded: bool
    name: str


@dataclass
class _Checker:
    pdf: pikepdf.Pdf
    failures: list[Failure] = field(default_factory=list)
    fonts: dict[tuple[int, int], _Font] = field(default_factory=dict)
    furniture_band: float = FURNITURE_BAND
    page_heights: list[float] = field(default_factory=list)

    def fail(self, condition: str, message: str) -> None:
        failure = Failure(condition, message)
        if failure not in self.failures:
            self.failures.append(failure)


def check(source: str | Path | pikepdf.Pdf,
          furniture_band: float = FURNITURE_BAND) -> list[Failure]:
    """Every failure found in ``source`` (a path or an open pikepdf.Pdf), in the order
    found; an empty list when the file meets every condition checked. Text tagged as
    content whose baseline lies within ``furniture_band`` points of the top or bottom edge
    of its page counts as a running head or folio that should have been an artifact."""
    pdf = source if isinstance(source, pikepdf.Pdf) else pikepdf.open(source)
    checker = _Checker(pdf, furniture_band=furniture_band,
                       page_heights=[float(p.mediabox[3]) for p in pdf.pages])
    _check_catalog(checker)
    root = pdf.Root.get(Name.StructTreeRoot)
    if root is None:
        checker.fail("01-005", "no structure tree: the content is not tagged")
        return checker.failures
    role_map = _check_role_map(checker, root)
    elements = _check_tree(checker, root, role_map)
    runs = _check_content(checker, root, elements)
    _check_text(checker, runs, elements)
    _check_annotations(checker, root)
    return checker.failures


# ---- Catalog and metadata ---------------------------------------------------------------


def _check_catalog(c: _Checker) -> None:
    root = c.pdf.Root
    if Name.Metadata not in root:
        c.fail("06-001", "the catalog has no XMP metadata stream")
    else:
        xmp = root.Metadata.read_bytes()
        if b"pdfuaid:part" not in xmp and b"pdfuaid/" not in xmp:
            c.fail("06-002", "the XMP metadata does not carry the PDF/UA identifier")
        if b"dc:title" not in xmp:
            c.fail("06-003", "the XMP metadata has no dc:title")
    preferences = root.get(Name.ViewerPreferences)
    if preferences is None or Name.DisplayDocTitle not in preferences:
        c.fail("07-001", "ViewerPreferences has no DisplayDocTitle")
    elif not bool(preferences.DisplayDocTitle):
        c.fail("07-002", "DisplayDocTitle is false")
    mark_info = root.get(Name.MarkInfo)
    if mark_info is not None and bool(mark_info.get(Name.Suspects, False)):
        c.fail("01-007", "MarkInfo /Suspects is true")


def _check_role_map(c: _Checker, root: pikepdf.Object) -> dict[str, str]:
    role_map = {str(k)[1:]: str(v)[1:] for k, v in root.get(Name.RoleMap, Dictionary()).items()}
    for name in role_map:
        if name in STANDARD_TYPES:
            c.fail("02-004", f"the standard type {name} is remapped")
        seen = {name}
        target = role_map[name]
        while target not in STANDARD_TYPES:
            if target in seen:
                c.fail("02-003", f"the role map goes round in a circle from {name}")
                break
            if target not in role_map:
                c.fail("02-001", f"{name} maps to {target}, which is no standard type")
                break
            seen.add(target)
            target = role_map[target]
    return role_map


# ---- The structure tree -------------------------------------------------------------------


@dataclass
class _Element:
    obj: pikepdf.Object
    type: str  # after the role map
    parent: _Element | None
    children: list[_Element] = field(default_factory=list)
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page objgen[0], mcid)
    objrs: list[pikepdf.Object] = field(default_factory=list)  # the referenced objects

    def lang(self) -> str | None:
        element: _Element | None = self
        while element is not None:
            value = element.obj.get(Name.Lang)
            if value is not None and str(value):
                return str(value)
            element = element.parent
        return None

    def path(self) -> str:
        names = []
        element: _Element | None = self
        while element is not None:
            names.append(element.type)
            element = element.parent
        return " > ".join(reversed(names))


def _kids(obj: pikepdf.Object) -> list[pikepdf.Object]:
    kids = obj.get(Name.K)
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _page_key(obj: pikepdf.Object | None) -> int:
    return obj.objgen[0] if obj is not None else -1


def _check_tree(c: _Checker, root: pikepdf.Object,
                role_map: dict[str, str]) -> list[_Element]:
    elements: list[_Element] = []

    def resolve(name: str) -> str:
        seen = set()
        while name in role_map and name not in seen and name not in STANDARD_TYPES:
            seen.add(name)
            name = role_map[name]
        return name

    def walk(obj: pikepdf.Object, parent: _Element | None, page: pikepdf.Object | None) -> None:
        raw = str(obj.get(Name.S, "/"))[1:]
        kind = resolve(raw)
        if kind not in STANDARD_TYPES and raw not in role_map:
            c.fail("02-001", f"structure type {raw} is neither standard nor role-mapped")
        element = _Element(obj, kind, parent)
        elements.append(element)
        if parent is not None:
            parent.children.append(element)
        page = obj.get(Name.Pg, page)
        for kid in _kids(obj):
            if isinstance(kid, int):
                element.mcids.append((_page_key(page), kid))
            elif isinstance(kid, Dictionary):
                kid_type = kid.get(Name.Type)
                if kid_type == Name.MCR:
                    element.mcids.append((_page_key(kid.get(Name.Pg, page)), int(kid.MCID)))
                elif kid_type == Name.OBJR:
                    element.objrs.append(kid.Obj)
                elif Name.S in kid:
                    walk(kid, element, page)

    for top in _kids(root):
        if isinstance(top, Dictionary) and Name.S in top:
            walk(top, None, None)
    _check_tables(c, elements)
    _check_lists(c, elements)
    _check_toc(c, elements)
    _check_headings(c, elements)
    _check_notes_and_figures(c, elements)
    return elements


def _types(element: _Element) -> list[str]:
    return [child.type for child in element.children]


def _check_tables(c: _Checker, elements: list[_Element]) -> None:
    all_ids = Counter(bytes(e.obj.ID) for e in elements if Name.ID in e.obj)
    for element in elements:
        kinds = _types(element)
        if element.type == "Table":
            body = kinds[1:] if kinds[:1] == ["Caption"] else kinds
            body = body[:-1] if body[-1:] == ["Caption"] else body
            rows_only = bool(body) and all(k == "TR" for k in body)
            groups = body[1:] if body[:1] == ["THead"] else body
            groups = groups[:-1] if groups[-1:] == ["TFoot"] else groups
            grouped = bool(groups) and all(k == "TBody" for k in groups)
            if not (rows_only or grouped):
                c.fail("09-004", f"{element.path()} holds {kinds}: expected TR, or THead? "
                                 "TBody+ TFoot?")
            _check_table_headers(c, element, all_ids)
        elif element.type in ROW_GROUPS:
            if element.parent is None or element.parent.type != "Table":
                c.fail("09-004", f"{element.path()}: {element.type} outside a Table")
            if not kinds or any(k != "TR" for k in kinds):
                c.fail("09-004", f"{element.path()} holds {kinds or 'nothing'}: expected TR")
        elif element.type == "TR":
            if element.parent is None or element.parent.type not in ROW_GROUPS | {"Table"}:
                c.fail("09-004", f"{element.path()}: TR outside a table")
            if not kinds or any(k not in ("TH", "TD") for k in kinds):
                c.fail("09-004", f"{element.path()} holds {kinds or 'nothing'}: expected "
                                 "TH and TD")
        elif element.type in ("TH", "TD") and (element.parent is None
                                               or element.parent.type != "TR"):
            c.fail("09-004", f"{element.path()}: {element.type} outside a TR")


def _attribute(element: _Element, key: pikepdf.Name) -> pikepdf.Object | None:
    attributes = element.obj.get(Name.A)
    if attributes is None:
        return None
    for entry in attributes if isinstance(attributes, Array) else [attributes]:
        if isinstance(entry, Dictionary) and key in entry:
            return entry[key]
    return None


def _descendants(element: _Element) -> Iterator[_Element]:
    for child in element.children:
        yield child
        yield from _descendants(child)


def _check_table_headers(c: _Checker, table: _Element, all_ids: Counter[bytes]) -> None:
    cells = [e for e in _descendants(table) if e.type in ("TH", "TD")]
    ids = {bytes(e.obj.ID) for e in cells if e.type == "TH" and Name.ID in e.obj}
    for header_id in sorted(ids):
        if all_ids[header_id] > 1:
            c.fail("15-005", f"header /ID {header_id!r} of {table.path()} is not unique in "
                             "the document")
    uses_headers = any(_attribute(e, Name.Headers) is not None for e in cells)
    for cell in cells:
        if uses_headers:
            if cell.type != "TD":
                continue
            headers = _attribute(cell, Name.Headers)
            if headers is None or not len(headers):
                c.fail("15-005", f"{cell.path()} names no header cell (no /Headers)")
                continue
            for header in headers:
                if bytes(header) not in ids:
                    c.fail("15-005", f"{cell.path()} names header {bytes(header)!r}, which "
                                     "is no TH /ID of its table")
        elif cell.type == "TH" and _attribute(cell, Name.Scope) is None:
            c.fail("15-003", f"{cell.path()} has no /Scope and the table uses no /Headers")


def _check_lists(c: _Checker, elements: list[_Element]) -> None:
    for element in elements:
        kinds = _types(element)
        if element.type == "L":
            items = kinds[1:] if kinds[:1] == ["Caption"] else kinds
            if not items or any(k not in ("LI", "L") for k in items):
                c.fail("09-005", f"{element.path()} holds {kinds or 'nothing'}: expected LI")
        elif element.type == "LI":
            if element.parent is None or element.parent.type != "L":
                c.fail("09-005", f"{element.path()}: LI outside a list")
            if not kinds or any(k not in ("Lbl", "LBody") for k in kinds) or element.mcids:
                c.fail("09-005", f"{element.path()} holds {kinds or 'nothing'}"
                                 f"{' and content' if element.mcids else ''}: expected Lbl "
                                 "and LBody")
        elif element.type in ("Lbl", "LBody") and (
                element.parent is None or element.parent.type not in ("LI", "TOCI")):
            c.fail("09-005", f"{element.path()}: {element.type} outside a list item")


def _check_toc(c: _Checker, elements: list[_Element]) -> None:
    for element in elements:
        if element.type == "TOC" and any(k not in ("TOC", "TOCI", "Caption")
                                         for k in _types(element)):
            c.fail("09-006", f"{element.path()} holds {_types(element)}")
        if element.type == "TOCI" and (element.parent is None
                                       or element.parent.type != "TOC"):
            c.fail("09-006", f"{element.path()}: TOCI outside a TOC")


def _check_headings(c: _Checker, elements: list[_Element]) -> None:
    levels = [int(e.type[1]) for e in elements if re.fullmatch(r"H[1-6]", e.type)]
    if levels and levels[0] != 1:
        c.fail("14-002", f"the first numbered heading is H{levels[0]}, not H1")
    previous = 1
    for level in levels:
        if level > previous + 1:
            c.fail("14-003", f"H{level} follows H{previous}: a heading level is skipped")
        previous = level
    for element in elements:
        if sum(1 for k in _types(element) if k == "H") > 1:
            c.fail("14-006", f"{element.path()} holds more than one H")
    if any(e.type == "H" for e in elements) and levels:
        c.fail("14-007", "the document uses both H and H1–H6")


def _check_notes_and_figures(c: _Checker, elements: list[_Element]) -> None:
    ids: Counter[bytes] = Counter()
    for element in elements:
        if element.type == "Note":
            if Name.ID not in element.obj or not bytes(element.obj.ID):
                c.fail("19-003", f"{element.path()} has no /ID")
            else:
                ids[bytes(element.obj.ID)] += 1
        if element.type == "Figure" and not (Name.Alt in element.obj
                                             or Name.ActualText in element.obj):
            c.fail("13-004", f"{element.path()} has neither /Alt nor /ActualText")
    for note_id, count in ids.items():
        if count > 1:
            c.fail("19-004", f"{count} Note elements share the /ID {note_id!r}")


# ---- Page content -------------------------------------------------------------------------


def _matrix(values: list[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    """m × n for PDF matrices [a b c d e f]."""
    a, b, c_, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c_ * a2 + d * c2, c_ * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _parse_cmap(data: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries: code -> text."""
    mapping: dict[int, str] = {}
    text = data.decode("latin-1")

    def utf16(hex_text: str) -> str:
        return bytes.fromhex(hex_text).decode("utf-16-be", "replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, value in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[int(code, 16)] = utf16(value)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, value in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            start, end = int(low, 16), int(high, 16)
            if value.startswith("["):
                for offset, item in enumerate(re.findall(r"<([0-9A-Fa-f]*)>", value)):
                    mapping[start + offset] = utf16(item)
            else:
                first = bytes.fromhex(value[1:-1])
                base = int.from_bytes(first, "big")
                for offset in range(end - start + 1):
                    mapping[start + offset] = (base + offset).to_bytes(
                        len(first), "big").decode("utf-16-be", "replace")
    return mapping


def _cid_map(encoding: pikepdf.Object) -> dict[int, int] | None:
    """The codes of an embedded CMap and their CIDs (codes it leaves out show CID 0);
    None for Identity-H."""
    if not isinstance(encoding, pikepdf.Stream):
        return None
    text = encoding.read_bytes().decode("latin-1")
    cids: dict[int, int] = {}
    for block in re.findall(r"begincidchar(.*?)endcidchar", text, re.S):
        for code, cid in re.findall(r"<([0-9A-Fa-f]+)>\s*(\d+)", block):
            cids[int(code, 16)] = int(cid)
    for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
        for low, high, cid in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\d+)",
                                         block):
            for offset in range(int(high, 16) - int(low, 16) + 1):
                cids[int(low, 16) + offset] = int(cid) + offset
    return cids


def _gid_map(cid_to_gid: pikepdf.Object | None) -> list[int] | None:
    """A CIDToGIDMap stream's glyph id per CID; None for /Identity."""
    if not isinstance(cid_to_gid, pikepdf.Stream):
        return None
    data = cid_to_gid.read_bytes()
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]


def _font(c: _Checker, font: pikepdf.Object) -> _Font:
    key = font.objgen
    if key in c.fonts and key != (0, 0):
        return c.fonts[key]
    subtype = font.get(Name.Subtype)
    two_byte = subtype == Name.Type0
    target = font.DescendantFonts[0] if two_byte else font
    descriptor = target.get(Name.FontDescriptor)
    program = None
    if descriptor is not None:
        for name in (Name.FontFile, Name.FontFile2, Name.FontFile3):
            if name in descriptor:
                program = descriptor[name]
    glyph_count = None
    if program is not None and two_byte:
        try:
            glyph_count = TTFont(io.BytesIO(program.read_bytes()), lazy=True)[
                "maxp"].numGlyphs
        except Exception:  # a CFF or damaged program: not counted
            glyph_count = None
    to_unicode = font.get(Name.ToUnicode)
    result = _Font(
        to_unicode=_parse_cmap(to_unicode.read_bytes()) if to_unicode is not None else {},
        two_byte=two_byte,
        cids=_cid_map(font.get(Name.Encoding)) if two_byte else None,
        gids=_gid_map(target.get(Name.CIDToGIDMap)) if two_byte else None,
        glyph_count=glyph_count,
        has_to_unicode=to_unicode is not None,
        embedded=program is not None or subtype == Name.Type3,
        name=str(font.get(Name.BaseFont, "?")),
    )
    c.fonts[key] = result
    if not result.embedded:
        c.fail("31-009", f"font {result.name} is not embedded")
    if not result.has_to_unicode:
        c.fail("31-027", f"font {result.name} has no ToUnicode map")
    return result


def _show(c: _Checker, font: _Font | None, strings: list[bytes]) -> tuple[str, bool, bool]:
    """The text shown by ``strings`` in ``font``, whether .notdef is among the glyphs and
    whether a code maps to nothing."""
    if font is None:
        return "", False, True
    text, notdef, unmapped = [], False, False
    for data in strings:
        step = 2 if font.two_byte else 1
        for index in range(0, len(data) - step + 1, step):
            code = int.from_bytes(data[index:index + step], "big")
            if font.two_byte:
                cid = code if font.cids is None else font.cids.get(code, 0)
                gid = cid if font.gids is None else (
                    font.gids[cid] if cid < len(font.gids) else 0)
                if gid == 0 or (font.glyph_count is not None and gid >= font.glyph_count):
                    notdef = True
            value = font.to_unicode.get(code)
            if value is None:
                unmapped = True
            else:
                text.append(value)
    return "".join(text), notdef, unmapped


def _content_runs(c: _Checker, page_index: int, stream_owner: pikepdf.Object,
                  resources: pikepdf.Object, ctm: tuple[float, ...],
                  marks: list[tuple[str, int | None]], runs: list[_Run]) -> None:
    """Walk one content stream (a page or a form XObject), collecting text runs and
    reporting content outside marked content and wrongly nested marked content."""
    fonts = resources.get(Name.Font, Dictionary()) if resources is not None else Dictionary()
    xobjects = resources.get(Name.XObject, Dictionary()) if resources is not None else {}
    stack = [ctm]
    text_matrix = IDENTITY
    line_matrix = IDENTITY
    font: _Font | None = None
    depth_at_start = len(marks)

    def state() -> tuple[int | None, bool]:
        artifact = any(kind == "Artifact" for kind, _ in marks)
        mcid = next((m for kind, m in reversed(marks) if m is not None), None)
        return mcid, artifact

    def painted(what: str) -> None:
        mcid, artifact = state()
        if mcid is None and not artifact:
            c.fail("01-005", f"page {page_index + 1}: {what} drawn outside marked content "
                             "(neither tagged nor an artifact)")

    for instruction in pikepdf.parse_content_stream(stream_owner):
        op = str(instruction.operator)
        operands = list(instruction.operands)
        if op in ("BDC", "BMC"):
            tag = str(operands[0])[1:]
            mcid = None
            if op == "BDC" and isinstance(operands[1], Dictionary) and Name.MCID in operands[1]:
                mcid = int(operands[1].MCID)
            _, in_artifact = state()
            in_tagged = any(m is not None for _, m in marks)
            if tag == "Artifact" and in_tagged:
                c.fail("01-003", f"page {page_index + 1}: an artifact inside tagged content")
            if mcid is not None and in_artifact:
                c.fail("01-004", f"page {page_index + 1}: tagged content inside an artifact")
            marks.append((tag, mcid))
        elif op == "EMC":
            if len(marks) > depth_at_start:
                marks.pop()
        elif op == "q":
            stack.append(stack[-1])
        elif op == "Q":
            if len(stack) > 1:
                stack.pop()
        elif op == "cm":
            stack[-1] = _multiply(_matrix(operands), stack[-1])
        elif op == "BT":
            text_matrix = line_matrix = IDENTITY
        elif op == "Tm":
            text_matrix = line_matrix = _matrix(operands)
        elif op in ("Td", "TD"):
            line_matrix = _multiply((1, 0, 0, 1, float(operands[0]), float(operands[1])),
                                    line_matrix)
            text_matrix = line_matrix
        elif op == "Tf":
            font_obj = fonts.get(operands[0])
            font = _font(c, font_obj) if font_obj is not None else None
        elif op in ("Tj", "TJ", "'", '"'):
            painted("text")
            strings = [bytes(operands[-1])] if op != "TJ" else [
                bytes(item) for item in operands[0] if isinstance(item, pikepdf.String)]
            text, notdef, unmapped = _show(c, font, strings)
            mcid, artifact = state()
            y = _multiply(text_matrix, stack[-1])[5]
            runs.append(_Run(page_index, mcid, artifact, y, text, notdef, unmapped))
        elif op in ("f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "sh"):
            painted("a path")
        elif op == "Do":
            xobject = xobjects.get(operands[0])
            if xobject is None:
                continue
            if xobject.get(Name.Subtype) == Name.Form:
                matrix = _matrix(list(xobject.get(Name.Matrix, Array(IDENTITY))))
                _content_runs(c, page_index, xobject, xobject.get(Name.Resources, resources),
                              _multiply(matrix, stack[-1]), marks, runs)
            else:
                painted("an image")
        elif op == "INLINE IMAGE":
            painted("an inline image")
    del marks[depth_at_start:]


def _check_content(c: _Checker, root: pikepdf.Object,
                   elements: list[_Element]) -> list[_Run]:
    claimed: dict[tuple[int, int], _Element] = {}
    for element in elements:
        for key in element.mcids:
            claimed[key] = element
    runs: list[_Run] = []
    for index, page in enumerate(c.pdf.pages):
        found: list[_Run] = []
        _content_runs(c, index, page.obj, page.obj.get(Name.Resources), IDENTITY, [], found)
        page_key = page.obj.objgen[0]
        for run in found:
            if run.mcid is not None and (page_key, run.mcid) not in claimed:
                c.fail("01-005", f"page {index + 1}: content marked with MCID {run.mcid} that "
                                 "no structure element of the document claims")
        runs.extend(found)
        for run in found:
            run.element = claimed.get((page_key, run.mcid)) if run.mcid is not None else None
    return runs


def _script_of(text: str) -> str | None:
    counts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for script in SCRIPT_LANGUAGES:
            if name.startswith(script):
                counts[script] += 1
                break
    if not counts:
        return None
    script, count = counts.most_common(1)[0]
    return script if count >= 2 else None


def _check_text(c: _Checker, runs: list[_Run], elements: list[_Element]) -> None:
    catalog_lang = str(c.pdf.Root.get(Name.Lang, "")) or None
    if catalog_lang is None:
        c.fail("11-001", "the catalog has no /Lang")
    by_page: dict[int, list[_Run]] = {}
    dots, dots_page = 0, -1  # leader dots in a row of tagged runs
    for run in runs:
        by_page.setdefault(run.page, []).append(run)
        if run.notdef:
            c.fail("31-030", f"page {run.page + 1}: the .notdef glyph is shown (next to "
                             f"{run.text!r})")
        if run.unmapped:
            c.fail("10-001", f"page {run.page + 1}: a character code maps to no Unicode value "
                             f"(next to {run.text!r})")
        if run.artifact or run.mcid is None:
            continue
        element = run.element
        if run.text.strip() and LEADER_RE.fullmatch(run.text):
            dots = (dots if run.page == dots_page else 0) + run.text.count(".")
            dots_page = run.page
            if dots >= 3:
                c.fail("01-001", f"page {run.page + 1}: leader dots tagged as content "
                                 f"({element.path() if element else 'untagged'})")
        elif run.text.strip():
            dots = 0
        lang = (element.lang() if element else None) or catalog_lang
        if run.text.strip() and not lang:
            c.fail("11-001", f"page {run.page + 1}: no language for {run.text!r}")
        script = _script_of(run.text)
        if script and lang and lang.split("-")[0].lower() not in SCRIPT_LANGUAGES[script]:
            c.fail("11-007", f"page {run.page + 1}: {script.lower()} text {run.text!r} is "
                             f"declared as {lang!r}")
    for page, page_runs in by_page.items():
        height = c.page_heights[page]
        for run in page_runs:
            if run.artifact or run.mcid is None or not run.text.strip():
                continue
            if run.y > height - c.furniture_band or run.y < c.furniture_band:
                where = "head" if run.y > height / 2 else "foot"
                c.fail("01-001", f"page {page + 1}: {run.text.strip()!r} in the {where} "
                                 "margin is tagged as content (a running head or folio is an "
                                 "artifact)")


# ---- Annotations --------------------------------------------------------------------------


def _parent_tree(root: pikepdf.Object) -> dict[int, pikepdf.Object]:
    entries: dict[int, pikepdf.Object] = {}

    def walk(node: pikepdf.Object) -> None:
        nums = node.get(Name.Nums)
        if nums is not None:
            for index in range(0, len(nums), 2):
                entries[int(nums[index])] = nums[index + 1]
        for kid in node.get(Name.Kids, Array()):
            walk(kid)

    tree = root.get(Name.ParentTree)
    if tree is not None:
        walk(tree)
    return entries


def _check_annotations(c: _Checker, root: pikepdf.Object) -> None:
    parents = _parent_tree(root)
    annotated: set[tuple[int, int]] = set()
    for index, page in enumerate(c.pdf.pages):
        annotations = list(page.obj.get(Name.Annots, Array()))
        if annotations:
            tabs = page.obj.get(Name.Tabs)
            if tabs is None:
                c.fail("28-008", f"page {index + 1} has annotations but no /Tabs")
            elif tabs != Name.S:
                c.fail("28-009", f"page {index + 1} has /Tabs {tabs}, not /S")
        for annotation in annotations:
            if annotation.get(Name.Subtype) != Name.Link:
                continue
            annotated.add(annotation.objgen)
            where = f"page {index + 1}: link annotation to {_target(annotation)}"
            contents = annotation.get(Name.Contents)
            if contents is None or not str(contents).strip():
                c.fail("28-012", f"{where} has no /Contents")
            if Name.StructParent not in annotation:
                c.fail("28-011", f"{where} has no /StructParent")
                continue
            element = parents.get(int(annotation.StructParent))
            if element is None or element.get(Name.S) != Name.Link:
                kind = "nothing" if element is None else str(element.get(Name.S))
                c.fail("28-011", f"{where} belongs to {kind}, not to a Link element")
                continue
            back = [kid.Obj for kid in _kids(element)
                    if isinstance(kid, Dictionary) and kid.get(Name.Type) == Name.OBJR]
            if not any(obj.objgen == annotation.objgen for obj in back):
                c.fail("28-011", f"{where}: its Link element holds no OBJR back to it")
    for element in _all_elements(root):
        objrs = [kid.Obj for kid in _kids(element)
                 if isinstance(kid, Dictionary) and kid.get(Name.Type) == Name.OBJR]
        links = [o for o in objrs if o.get(Name.Subtype) == Name.Link]
        if element.get(Name.S) == Name.Link and not links:
            c.fail("01-006", "a Link structure element holds no link annotation")
        elif element.get(Name.S) != Name.Link and links:
            c.fail("28-011", f"a link annotation is referenced from {element.get(Name.S)}, "
                             "not from a Link element")


def _all_elements(root: pikepdf.Object) -> Iterator[pikepdf.Object]:
    todo = [kid for kid in _kids(root) if isinstance(kid, Dictionary)]
    while todo:
        element = todo.pop()
        if Name.S not in element:
            continue
        yield element
        todo.extend(kid for kid in _kids(element)
                    if isinstance(kid, Dictionary) and Name.S in kid)


def _target(annotation: pikepdf.Object) -> str:
    if Name.Dest in annotation:
        return str(annotation.Dest)
    action = annotation.get(Name.A)
    return str(action.get(Name.URI, "?")) if action is not None else "?"
