"""File names inside packages (EPUB, SCORM): one rule, so every zip a book becomes uses the
same portable names for the same files."""

from __future__ import annotations

import re
import unicodedata

UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]+")
DASH_AT_DOT_RE = re.compile(r"-+(?=\.)|(?<=\.)-+")


def _fold(char: str) -> str:
    """An ASCII letter, digit or sign as it is; another letter without its accents
    (``é`` -> ``e``), or ``-`` when nothing of it is ASCII."""
    if char.isascii():
        return char
    folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return folded or "-"


def _portable_part(part: str) -> str:
    clean = UNSAFE_RE.sub("-", "".join(_fold(c) for c in part))
    clean = DASH_AT_DOT_RE.sub("", clean).strip("-")  # "photo (1).png" -> "photo-1.png"
    if clean.startswith(".") and "." not in clean[1:]:
        return "file" + clean  # only an extension was left: "写真.png" -> "file.png"
    return clean.lstrip(".") or "file"


def portable_name(path: str, taken: set[str]) -> str:
    """A portable name for ``path`` (a POSIX path) inside a zip package.

    The result has only ASCII letters, digits, ``-``, ``_``, ``.`` and ``/``, so importers
    that mangle spaces, brackets or non-ASCII letters (some LMSs, some reading systems)
    cannot break a reference: letters lose their accents (``café`` -> ``cafe``), any other
    run of characters becomes one ``-``, and no part starts with a dot. ``taken`` holds
    the names already used, lower-cased (zip readers on case-insensitive file systems merge
    ``A.png`` and ``a.png``); the result is unique among them (``-2``, ``-3``… before the
    extension) and is added to it.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    clean = "/".join(_portable_part(p) for p in parts) or "file"
    candidate, n = clean, 1
    while candidate.lower() in taken:
        n += 1
        folder, slash, name = clean.rpartition("/")
        stem, dot, ext = name.rpartition(".")
        name = f"{stem}-{n}.{ext}" if dot and stem else f"{name}-{n}"
        candidate = folder + slash + name
    taken.add(candidate.lower())
    return candidate
