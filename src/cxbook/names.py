"""Portable file names, shared by the renderers that package files and the importers that
write them into a project."""

from __future__ import annotations

import re


def portable_name(path: str, taken: set[str]) -> str:
    """A portable file name (ASCII letters, digits, '-', '_', '.'; '/' between folders) for
    ``path``, not yet in ``taken`` compared without case; the name is added to ``taken``
    (lower-cased). A taken name gets '-2', '-3', … before its extension."""
    clean = re.sub(r"[^A-Za-z0-9._/-]+", "-", path).strip("-/") or "file"
    clean = "/".join(part.lstrip(".") or "x" for part in clean.split("/"))
    candidate, n = clean, 1
    while candidate.lower() in taken:
        n += 1
        stem, dot, ext = clean.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot else f"{clean}-{n}"
    taken.add(candidate.lower())
    return candidate
