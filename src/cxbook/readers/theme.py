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

import re
from importlib import resources
from pathlib import Path

from ..diagnostics import Diagnostics, SourceLocation
from ..model import Theme
from ..yamlsrc import YamlContext, compose_yaml
from .text import decode_text

THEME_KEYS = ("extends", "colors", "page_size")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?$")
MAX_THEME_FILE = 20 * 1024 * 1024


def builtin_theme_dir(name: str) -> Path | None:
    root = Path(str(resources.files("cxbook") / "themes"))
    candidate = root / name
    return candidate if (candidate / "theme.yaml").is_file() else None


def builtin_theme_names() -> list[str]:
    root = Path(str(resources.files("cxbook") / "themes"))
    return sorted(p.name for p in root.iterdir() if (p / "theme.yaml").is_file())


def _read_files(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "theme.yaml" and not path.name.startswith("."):
            rel = path.relative_to(folder).as_posix()
            if path.stat().st_size <= MAX_THEME_FILE:
                files[rel] = path.read_bytes()
    return files


def load_theme(
    name: str, project_root: Path, diags: Diagnostics, location: SourceLocation
) -> Theme | None:
    layers: list[tuple[str, dict[str, bytes], dict[str, str], str | None]] = []
    visited: list[str] = []
    current: str | None = name
    in_project = True
    ref_location = location
    while current is not None:
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
            rel = f"themes/{current}/theme.yaml"
            extends: str | None = current if builtin is not None else None
            colors: dict[str, str] = {}
            page_size = None
            yaml_path = project_dir / "theme.yaml"
            if yaml_path.is_file():
                parsed = _parse_theme_yaml(yaml_path.read_bytes(), rel, diags)
                if parsed is None:
                    return None
                declared, colors, page_size, ref_location = parsed
                if declared is not None:
                    extends = declared
            layers.append((f"themes/{current}", _read_files(project_dir), colors, page_size))
            in_project = extends != current
            current = extends
        elif builtin is not None:
            rel = f"built-in theme '{current}'"
            parsed = _parse_theme_yaml((builtin / "theme.yaml").read_bytes(), rel, diags)
            if parsed is None:
                return None
            declared, colors, page_size, _ = parsed
            layers.append((f"built-in:{current}", _read_files(builtin), colors, page_size))
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
    files: dict[str, bytes] = {}
    colors: dict[str, str] = {}
    page_size = None
    for _, layer_files, layer_colors, layer_page in reversed(layers):
        files.update(layer_files)
        colors.update(layer_colors)
        page_size = layer_page or page_size
    return Theme(name=name, files=files, colors=colors, page_size=page_size,
                 chain=tuple(origin for origin, *_ in reversed(layers)))


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
    return (extends.strip() if extends else None, colors,
            page_size.strip() if page_size else None, where)
