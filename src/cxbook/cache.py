"""Content-addressed build cache under PROJECT/.cxbook-cache/ (safe to delete at any time).

A key is a SHA-256 over everything a result depends on: cxbook's own code (every file of
the installed package, so a changed renderer never serves a stale result), the kind of
result, the options and the input content. Entries are sealed with an HMAC under a secret
kept outside the project (in the user's cache folder): an entry that does not verify — one
shipped inside a downloaded project, say — is ignored, never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import os
import pickle
import secrets
import tempfile
import time
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__
from .output import OutputFile

CACHE_DIR = ".cxbook-cache"
KEEP_PER_FORMAT = 3
MAC_SIZE = 32


@cache
def code_fingerprint() -> str:
    """Hash of cxbook's own files (code, templates, built-in themes, runtime assets)."""
    root = Path(str(resources.files("cxbook")))
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def canonical_bytes(value: object) -> bytes:
    """Bytes that depend only on a model value's content. Plain pickling is not enough: its
    memo makes the bytes depend on which equal objects happen to be shared (a value read
    back from the cache shares differently from a freshly parsed one), so it is off."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo; the model has no cycles
    pickler.dump(value)
    return buffer.getvalue()


def fingerprint(*parts: object) -> str:
    """A stable hash of model values (frozen dataclasses, strings, bytes, tuples)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part if isinstance(part, bytes) else canonical_bytes(part)
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@cache
def _secret() -> bytes | None:
    """The per-user sealing key; None when it can be neither read nor created."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "cxbook" / "cache-key"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # first writer wins
        os.unlink(tmp)
        data = path.read_bytes()
        return data if len(data) >= 32 else None
    except OSError:
        return None


class BuildCache:
    """Sealed, content-addressed entries: whole outputs per format, and fragments."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return _secret() is not None

    # -- sealed blobs -----------------------------------------------------------------

    def _read(self, path: Path) -> bytes | None:
        key = _secret()
        if key is None:
            return None
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        mac, data = blob[:MAC_SIZE], blob[MAC_SIZE:]
        expected = hmac.new(key, path.name.encode() + b"\0" + data, hashlib.sha256).digest()
        if len(mac) != MAC_SIZE or not hmac.compare_digest(mac, expected):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return data

    def _write(self, path: Path, data: bytes) -> None:
        key = _secret()
        if key is None:
            return
        mac = hmac.new(key, path.name.encode() + b"\0" + data, hashlib.sha256).digest()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(mac + data)
            os.replace(tmp, path)
        except OSError:
            return  # a cache that cannot be written only costs time

    # -- values (pickled, only ever loaded from sealed entries) -----------------------

    def load(self, kind: str, key: str) -> Any:
        data = self._read(self.folder / "values" / kind / key[:2] / key)
        if data is None:
            self.misses += 1
            return None
        try:
            value = pickle.loads(data)
        except Exception:  # a sealed but unreadable entry (other Python): treat as a miss
            self.misses += 1
            return None
        self.hits += 1
        return value

    def store(self, kind: str, key: str, value: object) -> None:
        self._write(self.folder / "values" / kind / key[:2] / key,
                    pickle.dumps(value, protocol=5))

    def fragment(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The cached bytes for (kind, key), made and stored on a miss."""
        path = self.folder / "values" / kind / key[:2] / key
        data = self._read(path)
        if data is not None:
            self.hits += 1
            return data
        self.misses += 1
        data = make()
        self._write(path, data)
        return data

    # -- whole outputs ----------------------------------------------------------------

    def get_outputs(self, fmt: str, key: str) -> list[OutputFile] | None:
        value = self.load("outputs-" + fmt, key)
        if not isinstance(value, list) or not all(isinstance(f, OutputFile) for f in value):
            return None
        return value

    def put_outputs(self, fmt: str, key: str, files: list[OutputFile]) -> None:
        self.store("outputs-" + fmt, key, files)
        self._prune(self.folder / "values" / ("outputs-" + fmt), KEEP_PER_FORMAT)

    def _prune(self, base: Path, keep: int) -> None:
        try:
            entries = sorted((p for p in base.glob("*/*") if not p.name.startswith(".")),
                             key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in entries[keep:]:
            with contextlib.suppress(OSError):
                old.unlink()

    def prune(self, max_age_days: float = 30) -> None:
        """Remove entries that no build has used for ``max_age_days``."""
        limit = time.time() - max_age_days * 86400
        for path in (self.folder / "values").glob("*/*/*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()

