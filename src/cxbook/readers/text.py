"""Decoding project text files: UTF-8 only, with located errors for anything else."""

from __future__ import annotations

from ..diagnostics import Diagnostics, SourceLocation

BOM = b"\xef\xbb\xbf"


def location_of_offset(data: bytes, offset: int, path: str) -> SourceLocation:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return SourceLocation(path, line, column)


def decode_text(data: bytes, path: str, diags: Diagnostics, *, what: str) -> str | None:
    """Decode a UTF-8 file; reports a BOM (warning), bad bytes and emptiness (errors).
    Line endings are normalized to \\n."""
    if data.startswith(BOM):
        diags.warning(
            SourceLocation(path),
            "file starts with a UTF-8 byte-order mark (BOM); it was ignored, but save the "
            "file as UTF-8 without BOM",
            "file.bom",
        )
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        loc = location_of_offset(data, e.start, path)
        diags.error(
            loc,
            f"{what} is not valid UTF-8: byte 0x{data[e.start]:02x} at byte offset "
            f"{e.start} cannot be decoded; save the file as UTF-8",
            "file.encoding",
        )
        return None
    if "\x00" in text:
        loc = location_of_offset(data, data.index(b"\x00"), path)
        diags.error(loc, f"{what} contains a NUL byte; it looks like a binary file, not text",
                    "file.binary")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        diags.error(SourceLocation(path), f"{what} is empty; write its content or remove the "
                    "file", "file.empty")
        return None
    return text
