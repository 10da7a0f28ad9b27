"""EPUB resources that are not documents: the stylesheet and embedded fonts (the cover-image
is made in epub_cover.py)."""

from __future__ import annotations

import posixpath
import re
import struct
import zlib
from dataclasses import dataclass

from ..model import DEFAULT_COLORS, Theme
from ..stylesheets import FONT_TYPES, IMAGE_TYPES, references

FONT_MEDIA_TYPES = FONT_TYPES
FONT_FORMATS = {"ttf": "truetype", "otf": "opentype", "woff": "woff", "woff2": "woff2"}
THEME_IMAGE_TYPES = IMAGE_TYPES


@dataclass(frozen=True)
class FontFace:
    path: str  # theme-relative path, e.g. "fonts/NotoSerif-Regular.ttf"
    family: str
    weight: int
    italic: bool


def _sfnt_tables(data: bytes) -> dict[bytes, bytes]:
    """The tables of a TrueType/OpenType (or WOFF 1) font; empty when unreadable."""
    tables: dict[bytes, bytes] = {}
    try:
        if data[:4] == b"wOFF":
            count = struct.unpack(">H", data[12:14])[0]
            for i in range(count):
                tag, offset, comp, orig, _ = struct.unpack(">4sIIII", data[44 + 20 * i:64 + 20 * i])
                raw = data[offset:offset + comp]
                tables[tag] = zlib.decompress(raw) if comp < orig else raw
        elif data[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
            count = struct.unpack(">H", data[4:6])[0]
            for i in range(count):
                tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
                tables[tag] = data[offset:offset + length]
    except (struct.error, zlib.error):
        return {}
    return tables


def _font_names(name_table: bytes) -> dict[int, str]:
    names: dict[int, str] = {}
    try:
        _, count, string_offset = struct.unpack(">HHH", name_table[:6])
        for i in range(count):
            platform, encoding, _, name_id, length, offset = struct.unpack(
                ">HHHHHH", name_table[6 + 12 * i:18 + 12 * i])
            raw = name_table[string_offset + offset:string_offset + offset + length]
            if platform == 3 and encoding in (0, 1, 10):
                names.setdefault(name_id, raw.decode("utf-16-be", "replace"))
            elif platform == 1 and encoding == 0:
                names.setdefault(name_id, raw.decode("latin-1"))
    except struct.error:
        return {}
    return names


def font_face(path: str, data: bytes) -> FontFace:
    """Family, weight and style of a font file, read from its name and OS/2 tables; for
    fonts that cannot be read (WOFF2) they are guessed from the file name."""
    stem = posixpath.basename(path).rsplit(".", 1)[0]
    base, _, style = stem.partition("-")
    family = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base) or stem
    style_l = style.lower()
    weight = 700 if "bold" in style_l else 300 if "light" in style_l else 400
    italic = "italic" in style_l or "oblique" in style_l
    tables = _sfnt_tables(data)
    names = _font_names(tables.get(b"name", b""))
    family = names.get(16) or names.get(1) or family
    os2 = tables.get(b"OS/2", b"")
    if len(os2) >= 64:
        weight = struct.unpack(">H", os2[4:6])[0] or weight
        italic = bool(struct.unpack(">H", os2[62:64])[0] & 1)
    family = " ".join(family.replace('"', "").replace("\\", "").split())
    return FontFace(path, family, max(1, min(1000, weight)), italic)


def _colors(theme: Theme) -> dict[str, str]:
    return {**DEFAULT_COLORS, **theme.colors}


def color_css(theme: Theme) -> str:
    """Rules that apply the theme's colours (theme.yaml) over base.css and epub.css: every
    colour those stylesheets take from the built-in palette."""
    c = _colors(theme)
    return (
        "/* Colours from theme.yaml. */\n"
        f"body {{ color: {c['ink']}; }}\n"
        f"h1, h2, h3, h4, .chapter-number {{ color: {c['accent']}; }}\n"
        f".attribution {{ border-left-color: {c['accent']}; "
        f"border-inline-start-color: {c['accent']}; }}\n"
        f".activities h2 {{ border-bottom-color: {c['accent']}; }}\n"
        ".author-bio, th, td, .footnotes, .key-chapter, .activities, .exercise "
        f"{{ border-color: {c['rule']}; }}\n"
        f".byline.no-author, .exercise-meta, .hint, .identifier {{ color: {c['muted']}; }}\n"
    )


def referenced_urls(css: str) -> list[str]:
    """The theme files a stylesheet's url() references name (relative, without query or
    fragment), in order of appearance, each once."""
    return list(dict.fromkeys(posixpath.normpath(ref.path) for ref in references(css)
                              if ref.is_local and not ref.imported))


@dataclass(frozen=True)
class ThemeResources:
    css: str  # the whole EPUB stylesheet
    files: dict[str, tuple[str, bytes]]  # theme-relative path -> (media type, bytes)


def theme_resources(theme: Theme, *, before_custom: str = "") -> ThemeResources:
    """The EPUB stylesheet (base.css, epub.css, theme colours, ``before_custom``, custom.css,
    plus @font-face rules for shipped fonts that the CSS does not declare) and the theme
    files it uses. Reading the theme (readers/theme.py check_theme) has made sure that each
    url() names a font or an image of the theme; ``before_custom`` is cxbook's own CSS."""
    parts = []
    for name in ("base.css", "epub.css"):
        data = theme.files.get(name)
        if data:
            parts.append(data.decode("utf-8"))
    parts.append(color_css(theme))
    if before_custom:
        parts.append(before_custom)
    custom = theme.files.get("custom.css")
    if custom:
        parts.append(custom.decode("utf-8"))
    css = "\n".join(parts)
    files: dict[str, tuple[str, bytes]] = {}
    for path in referenced_urls(css):
        ext = path.rsplit(".", 1)[-1].lower()
        files[path] = (FONT_MEDIA_TYPES.get(ext) or THEME_IMAGE_TYPES[ext], theme.files[path])
    faces = []
    for path, data in theme.fonts().items():
        if path in files:
            continue
        ext = path.rsplit(".", 1)[-1].lower()
        face = font_face(path, data)
        files[path] = (FONT_MEDIA_TYPES[ext], data)
        faces.append(
            "@font-face {\n"
            f'  font-family: "{face.family}";\n'
            f'  src: url("{path}") format("{FONT_FORMATS[ext]}");\n'
            f"  font-weight: {face.weight};\n"
            f"  font-style: {'italic' if face.italic else 'normal'};\n"
            "}\n"
        )
    if faces:
        css = "/* Fonts shipped with the theme. */\n" + "".join(faces) + "\n" + css
    return ThemeResources(css if css.endswith("\n") else css + "\n", files)
