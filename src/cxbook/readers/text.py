"""Decoding project text files: UTF-8 only, with located errors for anything else."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from ..diagnostics import Diagnostics, SourceLocation

BOM = b"\xef\xbb\xbf"
# Characters XML cannot hold (C0 controls but tab and newlines) and C1 controls.
CONTROL_RE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def location_of_offset(data: bytes, offset: int, path: str) -> SourceLocation:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return SourceLocation(path, line, column)


def decode_text(
    data: bytes, path: str, diags: Diagnostics, *, what: str, empty_hint: str = ""
) -> str | None:
    """Decode a UTF-8 file; reports a BOM (warning), bad bytes and emptiness (errors).
    Line endings are normalized to \\n."""
    skipped = 0
    if data.startswith(BOM):
        diags.warning(
            SourceLocation(path),
            "file starts with a UTF-8 byte-order mark (BOM); it was ignored, but save the "
            "file as UTF-8 without BOM",
            "file.bom",
        )
        data = data[len(BOM):]
        skipped = len(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        loc = location_of_offset(data, e.start, path)
        diags.error(
            loc,
            f"{what} is not valid UTF-8: byte 0x{data[e.start]:02x} at byte offset "
            f"{e.start + skipped} cannot be decoded; save the file as UTF-8 (most editors "
            "offer it under 'Save as… / Encoding')",
            "file.encoding",
        )
        return None
    if "\x00" in text:
        loc = location_of_offset(data, data.index(b"\x00"), path)
        diags.error(loc, f"{what} contains a NUL byte; it looks like a binary file, not text",
                    "file.binary")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = CONTROL_RE.search(text)
    if first is not None:
        count = len(CONTROL_RE.findall(text))
        line = text.count("\n", 0, first.start()) + 1
        column = first.start() - (text.rfind("\n", 0, first.start()) + 1) + 1
        diags.warning(
            SourceLocation(path, line, column),
            f"{what} contains {count} invisible control character"
            f"{'s' if count != 1 else ''} (the first is U+{ord(first.group()):04X}), "
            "which no output can hold; they were removed, so delete them from the file",
            "file.control-character",
        )
        text = CONTROL_RE.sub("", text)
    if not text.strip():
        diags.error(SourceLocation(path), f"{what} is empty; "
                    + (empty_hint or "write its content or remove the file"), "file.empty")
        return None
    return text


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every link followed, is inside ``root`` (already resolved)."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(root)
    except (OSError, ValueError):
        return False


def read_limited(
    path: Path,
    rel: str,
    diags: Diagnostics,
    *,
    limit: int,
    what: str,
    advice: str,
    code: str = "file.too-large",
) -> bytes | None:
    """The file's bytes, or None after reporting it unreadable or larger than ``limit``
    bytes. A file over the limit is never read."""
    try:
        size = path.stat().st_size
        if size > limit:
            diags.error(SourceLocation(rel), f"{what} is {_megabytes(size)}; the limit is "
                        f"{_megabytes(limit)}, so {advice}", code)
            return None
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as e:
        diags.error(SourceLocation(rel), f"cannot read {what}: {e.strerror or e}; check that "
                    "it exists and is readable", "file.unreadable")
        return None
    if len(data) > limit:  # grew while being read
        diags.error(SourceLocation(rel), f"{what} is larger than {_megabytes(limit)}, so "
                    f"{advice}", code)
        return None
    return data


def _megabytes(size: int) -> str:
    mb = size / 1024 / 1024
    return f"{mb:.0f} MB" if mb >= 10 or mb == int(mb) else f"{mb:.1f} MB"


def find_file(folder: Path, rel: str) -> tuple[Path | None, str | None]:
    """The file at ``rel`` (a POSIX path) under ``folder``, comparing names in Unicode NFC
    (macOS may store "ö" decomposed while the text types it composed): (its path, None).
    When there is none: (None, the path relative to ``folder`` of a file whose name differs
    only in case or Unicode form, or None)."""
    exact = folder / rel
    if exact.is_file():
        return exact, None
    here = folder
    near: list[str] = []
    found = True
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        target = unicodedata.normalize("NFC", part)
        try:
            names = sorted(p.name for p in here.iterdir()) if here.is_dir() else []
        except OSError:
            names = []
        same = [n for n in names if unicodedata.normalize("NFC", n) == target]
        if same and found:
            here = here / same[0]
            near.append(same[0])
            continue
        found = False
        folded = [n for n in names
                  if unicodedata.normalize("NFC", n).casefold() == target.casefold()]
        if not folded:
            return None, None
        here = here / folded[0]
        near.append(folded[0])
    if found:
        return (here, None) if here.is_file() else (None, None)
    return None, "/".join(near) if here.is_file() else None
