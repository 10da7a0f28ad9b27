"""Reading an import source: its kind, size limit and text encoding, with located errors.

Kinds are told by the file name's extension and then confirmed by the content (a page
must look like HTML, a .docx must be a Word package), so a renamed file is reported
instead of imported as nonsense.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import webencodings

from ..diagnostics import Diagnostics, SourceLocation
from ..readers.text import location_of_offset, read_limited

KINDS = {".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
         ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
         ".docx": "docx"}
MAX_SOURCE_BYTES = 20 * 1024 * 1024
# WHATWG "prescan": a <meta> declaring the encoding, in the first 1024 bytes; saved pages
# sometimes put it later, so a little more is searched.
PRESCAN_BYTES = 8192
META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
HTML_SIGNS = re.compile(
    rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<title[\s>]|<p[\s>]|<div[\s>]|"
    rb"<article[\s>]|<h1[\s>]", re.IGNORECASE)
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


@dataclass(frozen=True)
class SourceFile:
    path: Path
    shown: str  # the path as messages show it
    kind: str  # html, text, markdown or docx
    data: bytes


def read_source(path: Path, shown: str, diags: Diagnostics) -> SourceFile | None:
    """The source's bytes and kind, or None after reporting why it cannot be imported."""
    where = SourceLocation(shown)
    kind = KINDS.get(path.suffix.lower())
    if path.is_dir():
        diags.error(where, "is a folder; give the saved page's .html file (its _files "
                    "folder is read with it) or a .txt, .md or .docx file", "import.folder")
        return None
    if kind is None:
        diags.error(where, f"cxbook cannot import '{path.suffix or 'extensionless'}' files; "
                    "it imports web pages saved by a browser (.html, .htm), text (.txt), "
                    "Markdown (.md) and Word documents (.docx)", "import.unsupported-type")
        return None
    data = read_limited(path, shown, diags, limit=MAX_SOURCE_BYTES, what="this source",
                        advice="import the article alone (save the page as 'HTML only' or "
                        "split the document)", code="import.too-large")
    if data is None:
        return None
    if not data.strip():
        diags.error(where, "the file is empty; nothing to import", "import.empty")
        return None
    if kind == "docx":
        if not _is_docx(data):
            diags.error(where, "is not a Word document (.docx): it is not a zip package "
                        "with word/document.xml; save it from the word processor as "
                        "'Word Document (.docx)'", "import.not-docx")
            return None
    elif kind == "html":
        head = data[:PRESCAN_BYTES]
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            diags.error(where, "is not a web page: it contains binary data; save the page "
                        "from the browser as 'Web Page, complete' or 'HTML only'",
                        "import.not-html")
            return None
        if not HTML_SIGNS.search(_ascii_view(data[:65536])):
            diags.error(where, "is not a web page: no HTML markup was found (no <html>, "
                        "<body> or <p>); if it is plain text, give it the extension .txt",
                        "import.not-html")
            return None
    return SourceFile(path, shown, kind, data)


def _ascii_view(data: bytes) -> bytes:
    for bom, encoding in BOMS[1:]:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace").encode("ascii", errors="replace")
    return data


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            return "word/document.xml" in package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def decode_html(data: bytes, shown: str, diags: Diagnostics) -> str | None:
    """A page's text: the encoding its byte-order mark or ``<meta charset>`` declares
    (labels as the WHATWG Encoding standard defines them, so ``latin1`` is windows-1252),
    else UTF-8. Bytes that the encoding cannot decode are an error at their line and
    column; nothing is guessed."""
    encoding, label, skip = None, None, 0
    for bom, name in BOMS:
        if data.startswith(bom):
            encoding, label, skip = webencodings.lookup(name), name, len(bom)
            break
    if encoding is None:
        match = META_CHARSET.search(data[:PRESCAN_BYTES])
        if match is not None:
            label = match.group(1).decode("ascii", errors="replace")
            encoding = webencodings.lookup(label)
            if encoding is None:
                line = data.count(b"\n", 0, match.start()) + 1
                diags.error(SourceLocation(shown, line), f"the page declares the encoding "
                            f"'{label}', which is not a known text encoding; open it in a "
                            "browser and save it again (browsers save pages as UTF-8)",
                            "import.encoding")
                return None
            if encoding.name in ("utf-16le", "utf-16be"):
                encoding = webencodings.lookup("utf-8")  # as browsers do (WHATWG)
    codec = encoding.codec_info.name if encoding is not None else "utf-8"
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError as e:
        loc = location_of_offset(data, skip + e.start, shown)
        declared = (f"declared as {label}" if label else "not UTF-8, and it declares no "
                    "other encoding")
        diags.error(loc, f"the page cannot be decoded: it is {declared}, but byte "
                    f"0x{data[skip + e.start]:02x} at byte offset {skip + e.start} is not "
                    "valid there; open it in a browser and save it again, or declare its "
                    "real encoding with <meta charset=\"…\">", "import.encoding")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")
