"""Portable file names, shared by the renderers that package files and the importers that
write them into a project."""

from __future__ import annotations

import re
import unicodedata


def portable_name(path: str, taken: set[str]) -> str:
    """A portable file name (ASCII letters, digits, '-', '_', '.'; '/' between folders) for
    ``path``, not yet in ``taken`` compared without case; the name is added to ``taken``
    (lower-cased). Accented letters lose their accents (ü → u), other characters become
    '-'; a taken name gets '-2', '-3', … before its extension."""
    folded = unicodedata.normalize("NFKD", path).encode("ascii", "ignore").decode()
    parts = []
    for part in re.sub(r"[^A-Za-z0-9._/-]+", "-", folded).split("/"):
        stem, dot, ext = part.rpartition(".")
        if not dot or not ext.strip("-"):
            stem, ext = part, ""
        stem = stem.strip("-.") or ("file" if ext else "")
        if stem:
            parts.append(stem + ("." + ext.strip("-") if ext else ""))
    clean = "/".join(parts) or "file"
    candidate, n = clean, 1
    while candidate.lower() in taken:
        n += 1
        stem, dot, ext = clean.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot else f"{clean}-{n}"
    taken.add(candidate.lower())
    return candidate
