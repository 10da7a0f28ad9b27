"""Writing outputs: atomic replacement in dist/, and reproducible zip archives."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import posixpath
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputFile:
    name: str  # file name inside the output folder
    data: bytes


def write_outputs(out_dir: Path, files: Sequence[OutputFile]) -> list[Path]:
    """Write every file to a temporary file beside its target first; only when all of them
    are safely on disk are they renamed into place. A failure before that point removes the
    temporary files and leaves every existing output untouched."""
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
    written = list(unchanged)
    for tmp, target in staged:
        os.replace(tmp, target)
        written.append(target)
    order = {item.name: i for i, item in enumerate(files)}
    return sorted(written, key=lambda p: order[p.name])


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


def reproducible_zip(
    entries: Iterable[tuple[str, bytes]],
    when: dt.datetime,
    *,
    first: Sequence[str] = (),
    stored: Iterable[str] = (),
) -> bytes:
    """A zip whose bytes depend only on its entries: names normalized, sorted (``first``
    entries leading, in the given order), one fixed timestamp, fixed permissions."""
    import io

    items = {safe_zip_name(name): data for name, data in entries}
    keep_stored = {safe_zip_name(n) for n in stored}
    head = [safe_zip_name(n) for n in first if safe_zip_name(n) in items]
    order = head + sorted(n for n in items if n not in head)
    stamp = zip_timestamp(when)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = (zipfile.ZIP_STORED if name in keep_stored
                                  else zipfile.ZIP_DEFLATED)
            archive.writestr(info, items[name], compresslevel=6
                             if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return buffer.getvalue()
