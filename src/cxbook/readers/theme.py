"""Themes: a project's themes/<name>/ layered over cxbook's built-in theme of that name.

A theme folder holds CSS (base.css for every output, epub.css, print.css, course.css, and
custom.css appended last), fonts/ and an optional theme.yaml::

    extends: default        # the theme it builds on; a folder's own name means the built-in
    colors: {accent: "#1f4e79", paper: "#ffffff", ink: "#1a1a1a"}
    page_size: A5           # CSS page size for the PDFs

A project folder without themes/<name> uses the built-in theme <name>. A project theme
without theme.yaml extends the built-in theme of the same name when there is one.
"""

from __future__ import annotations

import difflib
import io
import posixpath
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTFont

from .. import stylesheets
from ..diagnostics import Diagnostics, SourceLocation
from ..model import Theme
from ..yamlsrc import YamlContext, compose_yaml
from .text import decode_text, is_inside, read_limited

THEME_KEYS = ("extends", "colors", "page_size")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?$")
THEME_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LENGTH = r"\d+(\.\d+)?(mm|cm|in|pt|pc|px)"
PAGE_SIZE_RE = re.compile(
    rf"^((A[3-6]|B[4-6]|JIS-B[4-6]|letter|legal|ledger)( (portrait|landscape))?"
    rf"|{_LENGTH}( {_LENGTH})?)$",
    re.IGNORECASE,
)
MAX_THEME_FILE = 20 * 1024 * 1024
# The stylesheets the outputs use (Theme.css_parts); other files are not read as CSS.
STYLESHEETS = ("base.css", "epub.css", "print.css", "course.css", "custom.css")

MAX_THEME_YAML = 1024 * 1024


def builtin_theme_dir(name: str) -> Path | None:
    root = Path(str(resources.files("cxbook") / "themes"))
    candidate = root / name
    return candidate if (candidate / "theme.yaml").is_file() else None


def builtin_theme_names() -> list[str]:
    root = Path(str(resources.files("cxbook") / "themes"))
    return sorted(p.name for p in root.iterdir() if (p / "theme.yaml").is_file())


def _read_files(
    folder: Path, origin: str, diags: Diagnostics, root: Path | None
) -> dict[str, bytes] | None:
    """Every file of a theme folder but theme.yaml and hidden files. With ``root`` (a
    project theme), files that are links leading outside the project are errors."""
    files: dict[str, bytes] = {}
    ok = True
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == "theme.yaml" or any(part.startswith(".") for part in rel.split("/")):
            continue
        if path.is_symlink() and root is not None and not is_inside(path, root):
            diags.error(SourceLocation(f"{origin}/{rel}"), "this theme file is a link that "
                        "leads outside the project; copy the file into the theme folder",
                        "theme.outside")
            ok = False
            continue
        if not path.is_file():
            continue
        data = read_limited(path, f"{origin}/{rel}", diags, limit=MAX_THEME_FILE,
                            what="this theme file", advice="make it smaller or remove it "
                            "from the theme folder", code="theme.file-too-large")
        if data is None:
            ok = False
            continue
        files[rel] = data
    return files if ok else None


def load_theme(
    name: str, project_root: Path, diags: Diagnostics, location: SourceLocation
) -> Theme | None:
    """The theme ``name`` with everything it extends, layered; None after reporting."""
    root = project_root.resolve()
    layers: list[tuple[str, dict[str, bytes], dict[str, str], str | None]] = []
    visited: list[str] = []
    current: str | None = name
    in_project = True
    ref_location = location
    while current is not None:
        if not THEME_NAME_RE.match(current) or ".." in current:
            diags.error(ref_location, f"theme name '{current}' is not a folder name; a theme "
                        "is named after its folder under themes/ (letters, digits, '-', '_' "
                        "and '.')", "theme.name")
            return None
        key = f"{'themes/' if in_project else 'built-in '}{current}"
        if key in visited:
            diags.error(ref_location, "themes extend each other in a circle: "
                        + " -> ".join([*visited, key]) + "; break the circle in one "
                        "theme.yaml", "theme.circular")
            return None
        visited.append(key)
        project_dir = project_root / "themes" / current
        builtin = builtin_theme_dir(current)
        if in_project and project_dir.is_dir():
            origin = f"themes/{current}"
            if not is_inside(project_dir, root):
                diags.error(ref_location, f"theme folder {origin}/ is a link that leads "
                            "outside the project; copy the theme into themes/",
                            "theme.outside")
                return None
            rel = f"{origin}/theme.yaml"
            extends: str | None = current if builtin is not None else None
            colors: dict[str, str] = {}
            page_size = None
            yaml_path = project_dir / "theme.yaml"
            if yaml_path.exists() or yaml_path.is_symlink():
                if not is_inside(yaml_path, root):
                    diags.error(SourceLocation(rel), "theme.yaml is a link that leads outside "
                                "the project; copy the file into the theme folder",
                                "theme.outside")
                    return None
                data = read_limited(yaml_path, rel, diags, limit=MAX_THEME_YAML,
                                    what="theme.yaml", advice="keep only 'extends', "
                                    "'colors' and 'page_size' in it")
                parsed = _parse_theme_yaml(data, rel, diags) if data is not None else None
                if parsed is None:
                    return None
                declared, colors, page_size, where = parsed
                if declared is not None:
                    ref_location = where
                    extends = declared
                    if declared == current and builtin is None:
                        diags.error(where, f"theme '{current}' extends itself: in "
                                    f"{rel}, 'extends: {current}' means cxbook's built-in "
                                    f"theme '{current}', and there is none (built-in: "
                                    f"{', '.join(builtin_theme_names())}); remove 'extends' "
                                    "or name another theme", "theme.circular")
                        return None
            files = _read_files(project_dir, origin, diags, root)
            if files is None:
                return None
            layers.append((origin, files, colors, page_size))
            in_project = extends != current
            current = extends
        elif builtin is not None:
            rel = f"built-in theme '{current}'"
            parsed = _parse_theme_yaml((builtin / "theme.yaml").read_bytes(), rel, diags)
            if parsed is None:
                return None
            declared, colors, page_size, _ = parsed
            files = _read_files(builtin, f"built-in:{current}", diags, None)
            if files is None:
                return None
            layers.append((f"built-in:{current}", files, colors, page_size))
            in_project = False
            current = declared if declared != current else None
        else:
            available = builtin_theme_names()
            diags.error(
                ref_location,
                f"theme '{current}' not found: there is no themes/{current}/ folder in the "
                f"project and no built-in theme of that name (built-in: "
                f"{', '.join(available)}); create the folder or pick a built-in theme",
                "theme.missing",
            )
            return None
    files_all: dict[str, bytes] = {}
    origins: dict[str, str] = {}
    colors_all: dict[str, str] = {}
    page_size_all = None
    for origin, layer_files, layer_colors, layer_page in reversed(layers):
        files_all.update(layer_files)
        origins.update(dict.fromkeys(layer_files, origin))
        colors_all.update(layer_colors)
        page_size_all = layer_page or page_size_all
    theme = Theme(name=name, files=files_all, colors=colors_all, page_size=page_size_all,
                  chain=tuple(origin for origin, *_ in reversed(layers)), origins=origins)
    return check_theme(theme, diags)


def _in_project(theme: Theme, path: str) -> bool:
    return not theme.origins.get(path, "").startswith("built-in:")


def check_theme(theme: Theme, diags: Diagnostics) -> Theme | None:
    """The theme with its stylesheets decoded and normalized (UTF-8 without BOM, ``\\n``
    line ends), after checking what the renderers rely on: every stylesheet is UTF-8 text;
    every url() of a stylesheet names a font (TrueType, OpenType, WOFF, WOFF2) or an image
    (PNG, JPEG, GIF, WebP, SVG) of the theme folder, whose content is what its name says;
    every font file of a project theme is a font fontTools can read; no ``@import``. None
    after reporting errors (located at the file: ``themes/<name>/<file>:line:col``). CSS
    syntax errors are warnings (the rule or declaration is left out by every output)."""
    files = dict(theme.files)
    ok = True
    for name in STYLESHEETS:
        data = files.get(name)
        if data is None:
            continue
        where = theme.where(name)
        text = decode_text(data, where, diags, what=f"stylesheet {name}") \
            if data.strip() else ""
        if text is None:
            ok = False
            continue
        files[name] = text.encode("utf-8")
        for problem in stylesheets.syntax_problems(text):
            diags.warning(SourceLocation(where, problem.line, problem.column),
                          f"CSS syntax error: {problem.message.rstrip('.')}; the rule or "
                          "declaration is left out of every output; correct it",
                          "theme.css-syntax")
        for ref in stylesheets.references(text):
            loc = SourceLocation(where, ref.line, ref.column)
            ok = _check_reference(theme, files, ref, loc, diags) and ok
    for path, data in sorted(files.items()):
        extension = path.rsplit(".", 1)[-1].lower()
        if extension in stylesheets.FONT_TYPES and _in_project(theme, path):
            unreadable = font_problem(data)
            if unreadable is not None:
                diags.error(SourceLocation(theme.where(path)), f"this font file cannot be "
                            f"read ({unreadable}); replace it with a TrueType, OpenType, WOFF or "
                            "WOFF2 font, or remove it from the theme folder",
                            "theme.font-invalid")
                ok = False
    return replace(theme, files=files) if ok else None


def _check_reference(theme: Theme, files: dict[str, bytes], ref: stylesheets.Reference,
                     loc: SourceLocation, diags: Diagnostics) -> bool:
    """Whether a stylesheet's reference names a file the outputs can use; reports why not
    at ``loc`` (the place in its stylesheet, whose folder the advice names)."""
    folder = posixpath.dirname(loc.path) + "/"
    if ref.imported:
        diags.error(loc, f"@import '{ref.url}': theme stylesheets cannot import others; put "
                    "the rules into custom.css (appended to every output's stylesheet) "
                    "instead", "theme.css-import")
        return False
    if ref.url.startswith("data:") or ref.url.startswith("#"):
        return True
    path = posixpath.normpath(ref.path)
    if not ref.is_local or ref.path.startswith("/") or path.startswith("../") \
            or path == "..":
        elsewhere = "leads outside the theme folder" if ref.is_local else (
            "is outside the theme: the outputs never fetch files from elsewhere")
        diags.error(loc, f"url({ref.url}) {elsewhere}; copy the file into {folder} and "
                    "write its path relative to that folder", "theme.url-outside")
        return False
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if path not in files:
        kinds = next((k for k in (stylesheets.FONT_TYPES, stylesheets.IMAGE_TYPES)
                      if extension in k), None)
        alike = sorted(p for p in files if kinds is None or p.rsplit(".", 1)[-1].lower()
                       in kinds)  # a font for a font, an image for an image
        near = difflib.get_close_matches(
            path, [p for p in alike if _in_project(theme, p)], n=1, cutoff=0.6) or \
            difflib.get_close_matches(path, alike, n=1, cutoff=0.6)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        diags.error(loc, f"url({ref.url}): the theme has no file '{path}'{hint}; add the "
                    f"file to {folder} or correct the path (relative to the theme folder, "
                    "case-sensitive)", "theme.url-missing")
        return False
    if extension in stylesheets.FONT_TYPES:
        return True  # checked with every font file of the theme
    expected = stylesheets.IMAGE_TYPES.get(extension)
    if expected is None:
        diags.error(loc, f"url({ref.url}): a theme stylesheet can use fonts (.ttf, .otf, "
                    ".woff, .woff2) and images (.png, .jpg, .gif, .webp, .svg), not this "
                    "file; remove the url() or convert the file", "theme.url-type")
        return False
    from .project import _svg_unsafe, sniff_image  # project.py imports this module

    if sniff_image(files[path]) != expected:
        diags.error(loc, f"url({ref.url}): '{theme.where(path)}' is not a "
                    f"{extension.upper()} image, whatever its name says; save it in that "
                    "format or correct its name", "theme.not-an-image")
        return False
    if expected == "image/svg+xml" and _svg_unsafe(files[path]):
        diags.error(loc, f"url({ref.url}): the SVG image '{theme.where(path)}' contains "
                    "scripts or event handlers; remove them or export the image as PNG",
                    "theme.svg-script")
        return False
    return True


def font_problem(data: bytes) -> str | None:
    """Why fontTools cannot read ``data`` as a font (TrueType, OpenType, WOFF, WOFF2) with
    a character map (the OpenType ``cmap`` table); None when it can."""
    try:
        font = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
        if font.getBestCmap() is None:
            return "it has no Unicode character map"
    except Exception as e:  # fontTools raises errors of many kinds on damaged input
        return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return None


def _parse_theme_yaml(
    data: bytes, path: str, diags: Diagnostics
) -> tuple[str | None, dict[str, str], str | None, SourceLocation] | None:
    text = decode_text(data, path, diags, what="theme.yaml")
    if text is None:
        return None
    root = compose_yaml(text, path, diags)
    if root is None:
        return None
    ctx = YamlContext(path, diags, text=text)
    fields = ctx.mapping(root, allowed=THEME_KEYS, what="theme.yaml")
    if fields is None:
        return None
    extends = None
    where = SourceLocation(path)
    if "extends" in fields and not ctx.is_null(fields["extends"]):
        extends = ctx.string(fields["extends"], "'extends'")
        where = ctx.loc(fields["extends"])
    colors: dict[str, str] = {}
    if "colors" in fields:
        mapping = ctx.mapping(fields["colors"], allowed=("accent", "paper", "ink", "muted",
                                                         "rule"), what="'colors'")
        for key, node in (mapping or {}).items():
            value = ctx.string(node, f"color '{key}'")
            if value is not None and not COLOR_RE.match(value.strip()):
                diags.error(ctx.loc(node), f"color '{key}' must be a hex colour such as "
                            f"#1f4e79, not '{value}'", "theme.color")
            elif value is not None:
                colors[key] = value.strip()
    page_size = ctx.optional_string(fields.get("page_size"), "'page_size'")
    if page_size is not None and not PAGE_SIZE_RE.match(page_size.strip()):
        diags.error(ctx.loc(fields["page_size"]), f"'page_size' must be a CSS page size "
                    f"such as A5, letter, 'A4 landscape' or '6in 9in', not "
                    f"'{page_size.strip()[:40]}'", "theme.page-size")
        page_size = None
    return (extends.strip() if extends else None, colors,
            page_size.strip() if page_size else None, where)
