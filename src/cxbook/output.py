"""Writing outputs: atomic replacement in dist/, and reproducible zip archives."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import os
import posixpath
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputFile:
    name: str  # file name inside the output folder
    data: bytes


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    changed: bool  # False: the file already held these bytes and was not rewritten


def write_outputs(out_dir: Path, files: Sequence[OutputFile]) -> list[WrittenFile]:
    """Write every file to a temporary file beside its target first; only when all of them
    are safely on disk are they renamed into place. A failure before that point removes the
    temporary files and leaves every existing output untouched. A file that already holds
    the same bytes is left alone (``changed`` False). Results keep the order of ``files``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    unchanged: list[Path] = []
    try:
        for item in files:
            target = out_dir / item.name
            if _same_content(target, item.data):
                unchanged.append(target)
                continue
            fd, tmp_name = tempfile.mkstemp(prefix=f".{item.name}.", suffix=".tmp",
                                            dir=out_dir)
            tmp = Path(tmp_name)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(item.data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    written = [WrittenFile(target, False) for target in unchanged]
    for tmp, target in staged:
        os.replace(tmp, target)
        written.append(WrittenFile(target, True))
    order = {item.name: i for i, item in enumerate(files)}
    return sorted(written, key=lambda w: order[w.path.name])


def _same_content(path: Path, data: bytes) -> bool:
    """True when ``path`` already holds exactly ``data`` (then it is left alone)."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def safe_zip_name(name: str) -> str:
    """A normalized, relative POSIX entry name; raises ValueError for names that would
    escape the archive root."""
    clean = posixpath.normpath(name.replace("\\", "/"))
    if clean.startswith(("/", "../")) or clean in ("..", ".", "") or ":" in clean.split("/")[0]:
        raise ValueError(f"unsafe zip entry name: {name!r}")
    return clean


def zip_timestamp(when: dt.datetime) -> tuple[int, int, int, int, int, int]:
    when = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC))
    return (when.year, when.month, when.day, when.hour, when.minute, when.second // 2 * 2)


# Entries at least this large that the caller splits (see ``segments``) are compressed
# piece by piece, so that an unchanged piece's compressed bytes can be reused.
SEGMENT_MIN = 512 * 1024
DEFLATE_LEVEL = 6
WINDOW = 32 * 1024  # deflate's window: the dictionary a piece is compressed against
ZIP64_LIMIT = (1 << 31) - 1
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


class DeflateMemo:
    """Compressed pieces by a digest of (dictionary, piece): compressing is a pure function
    of those, so a hit gives exactly the bytes compressing again would give. ``used`` holds
    what the last archive needed (what is worth keeping for the next build)."""

    def __init__(self, known: dict[bytes, bytes] | None = None) -> None:
        self.known = known or {}
        self.used: dict[bytes, bytes] = {}
        self.hits = 0
        self.misses = 0

    def deflate(self, data: bytes, zdict: bytes, final: bool) -> bytes:
        digest = hashlib.sha256(b"%d %d %d\0" % (DEFLATE_LEVEL, len(zdict), final))
        digest.update(zdict)
        digest.update(data)
        key = digest.digest()
        out = self.known.get(key)
        if out is None:
            self.misses += 1
            out = _deflate(data, zdict, final)
        else:
            self.hits += 1
        self.used[key] = out
        return out

    @property
    def changed(self) -> bool:
        """Whether ``used`` differs from what was known (then it is worth storing)."""
        return self.used.keys() != self.known.keys()


def _deflate(data: bytes, zdict: bytes, final: bool) -> bytes:
    """Raw deflate of ``data``; with ``zdict`` (the preceding bytes) and without ``final``
    it is a piece of a longer stream, ending on a byte boundary (sync flush)."""
    if zdict:
        compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15, zdict=zdict)
    else:
        compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final
                                                        else zlib.Z_SYNC_FLUSH)


def _deflate_entry(data: bytes, cuts: Sequence[int], memo: DeflateMemo | None) -> bytes:
    """One deflate stream for ``data``: whole, or (large entries with cut points) as pieces
    each compressed against the 32 KiB before it, joined."""
    points = sorted({c for c in cuts if 0 < c < len(data)}) if len(data) >= SEGMENT_MIN \
        else []
    bounds = [0, *points, len(data)]
    out = []
    for start, end in itertools.pairwise(bounds):
        zdict = data[max(0, start - WINDOW):start]
        piece, final = data[start:end], end == len(data)
        out.append(memo.deflate(piece, zdict, final) if memo is not None
                   else _deflate(piece, zdict, final))
    return b"".join(out)


def reproducible_zip(
    entries: Iterable[tuple[str, bytes]],
    when: dt.datetime,
    *,
    first: Sequence[str] = (),
    stored: Iterable[str] = (),
    segments: Mapping[str, Sequence[int]] | None = None,
    memo: DeflateMemo | None = None,
) -> bytes:
    """A zip whose bytes depend only on its entries: names normalized, sorted (``first``
    entries leading, in the given order), one fixed timestamp, fixed permissions.

    Entries are deflated at level 6 exactly as zipfile does (byte for byte the same
    archive), except that an entry named in ``segments`` and at least SEGMENT_MIN long is
    deflated in pieces cut at the given offsets. ``memo`` reuses compressed bytes."""
    items = {safe_zip_name(name): data for name, data in entries}
    keep_stored = {safe_zip_name(n) for n in stored}
    head = [safe_zip_name(n) for n in first if safe_zip_name(n) in items]
    order = head + sorted(n for n in items if n not in head)
    cuts = {safe_zip_name(n): c for n, c in (segments or {}).items()}
    if sum(len(d) for d in items.values()) * 1.05 > ZIP64_LIMIT or len(order) > 0xFFFF:
        return _zipfile_archive(order, items, keep_stored, zip_timestamp(when))
    year, month, day, hour, minute, second = zip_timestamp(when)
    dosdate = (year - 1980) << 9 | month << 5 | day
    dostime = hour << 11 | minute << 5 | second // 2
    body: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name in order:
        data = items[name]
        method = 0 if name in keep_stored else 8
        packed = data if method == 0 else _deflate_entry(data, cuts.get(name, ()), memo)
        try:
            raw_name, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw_name, flags = name.encode("utf-8"), 0x800
        crc = zlib.crc32(data)
        body.append(_LOCAL.pack(b"PK\x03\x04", 20, 0, flags, method, dostime, dosdate, crc,
                                len(packed), len(data), len(raw_name), 0))
        body += (raw_name, packed)
        central.append(_CENTRAL.pack(b"PK\x01\x02", 20, 3, 20, 0, flags, method, dostime,
                                     dosdate, crc, len(packed), len(data), len(raw_name), 0,
                                     0, 0, 0, 0o644 << 16, offset) + raw_name)
        offset += _LOCAL.size + len(raw_name) + len(packed)
    directory = b"".join(central)
    end = _END.pack(b"PK\x05\x06", 0, 0, len(order), len(order), len(directory), offset, 0)
    return b"".join(body) + directory + end


def _zipfile_archive(order: list[str], items: dict[str, bytes], keep_stored: set[str],
                     stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """The same archive through zipfile, for sizes that need its ZIP64 records."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = (zipfile.ZIP_STORED if name in keep_stored
                                  else zipfile.ZIP_DEFLATED)
            archive.writestr(info, items[name], compresslevel=DEFLATE_LEVEL
                             if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return buffer.getvalue()
