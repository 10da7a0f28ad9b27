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
import weakref
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__
from .output import DeflateMemo, OutputFile

CACHE_DIR = ".cxbook-cache"
KEEP_PER_FORMAT = 3
MAC_SIZE = 32
PRUNE_EVERY = 3600.0  # seconds between two sweeps for unused entries
PRUNE_STAMP = "pruned"


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


# id(value) -> (weak reference to value, key): see alias().
_ALIASES: dict[int, tuple[weakref.ref[Any], str]] = {}


def alias(value: object, key: str) -> None:
    """Let ``key``, a fingerprint of everything ``value`` was made from (so equal keys mean
    equal values), stand for ``value`` inside later fingerprints: hashing a project whose
    chapters were read through the cache then costs a few strings, not every chapter's
    pickled content. By identity: an equal copy, or a value made another way (say with
    dataclasses.replace), is hashed in full."""
    ident = id(value)

    def forget(_: object, ident: int = ident) -> None:
        _ALIASES.pop(ident, None)

    _ALIASES[ident] = (weakref.ref(value, forget), key)


def _aliased(key: str) -> None:
    """What an aliased value reduces to in canonical bytes (never called)."""
    raise AssertionError(key)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        known = _ALIASES.get(id(obj))
        if known is not None and known[0]() is obj:
            return _aliased, (known[1],)
        return NotImplemented


def canonical_bytes(value: object) -> bytes:
    """Bytes that depend only on a model value's content. Plain pickling is not enough: its
    memo makes the bytes depend on which equal objects happen to be shared (a value read
    back from the cache shares differently from a freshly parsed one), so it is off."""
    buffer = io.BytesIO()
    pickler = (_Pickler if _ALIASES else pickle.Pickler)(buffer, protocol=5)
    pickler.fast = True  # no memo; the model has no cycles
    pickler.dump(value)
    return buffer.getvalue()


def fingerprint(*parts: object) -> str:
    """A stable hash of model values (frozen dataclasses, strings, bytes, tuples)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        # A type tag first: a pickle starts with 0x80, never with 1 or 2.
        if isinstance(part, str):
            data = b"\x01" + part.encode("utf-8", "surrogatepass")
        elif isinstance(part, bytes):
            data = b"\x02" + part
        else:
            data = canonical_bytes(part)
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
        self.kind_hits: Counter[str] = Counter()
        self.kind_misses: Counter[str] = Counter()

    def _count(self, kind: str, hit: bool) -> None:
        if hit:
            self.hits += 1
            self.kind_hits[kind] += 1
        else:
            self.misses += 1
            self.kind_misses[kind] += 1

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
            self._count(kind, False)
            return None
        try:
            value = pickle.loads(data)
        except Exception:  # a sealed but unreadable entry (other Python): treat as a miss
            self._count(kind, False)
            return None
        self._count(kind, True)
        return value

    def store(self, kind: str, key: str, value: object) -> None:
        self._write(self.folder / "values" / kind / key[:2] / key,
                    pickle.dumps(value, protocol=5))

    def fragment(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The cached bytes for (kind, key), made and stored on a miss."""
        path = self.folder / "values" / kind / key[:2] / key
        data = self._read(path)
        if data is not None:
            self._count(kind, True)
            return data
        self._count(kind, False)
        data = make()
        self._write(path, data)
        return data

    @contextlib.contextmanager
    def templates(self, env: Any) -> Iterator[None]:
        """Jinja environment ``env`` keeps its compiled templates here meanwhile: compiling
        them is most of a small render's time. Jinja checks each against its template's
        source (and the Python version) before use."""
        import jinja2

        outer = self

        class TemplateCode(jinja2.BytecodeCache):
            def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
                key = fingerprint("template", bucket.key)
                return outer.folder / "values" / "templates" / key[:2] / key

            def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                data = outer._read(self._path(bucket))
                if data is not None:
                    bucket.bytecode_from_string(data)

            def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                outer._write(self._path(bucket), bucket.bytecode_to_string())

        previous = env.bytecode_cache
        env.bytecode_cache = TemplateCode()
        try:
            yield
        finally:
            env.bytecode_cache = previous

    def bundle(self, name: str) -> Bundle:
        """The entries that ``name`` (the reader, or one format) used in its last build."""
        return Bundle(self, name)

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

    def prune(self, max_age_days: float = 30, *, force: bool = False) -> None:
        """Remove entries that no build has used for ``max_age_days``; at most once every
        PRUNE_EVERY seconds unless ``force``d (a sweep looks at every entry)."""
        now = time.time()
        stamp = self.folder / PRUNE_STAMP
        try:
            if not force and now - stamp.stat().st_mtime < PRUNE_EVERY:
                return
        except OSError:
            pass
        if not self.folder.is_dir():
            return
        with contextlib.suppress(OSError):
            stamp.write_bytes(b"last sweep for unused entries\n")
        limit = now - max_age_days * 86400
        for path in (self.folder / "values").glob("*/*/*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()


class Bundle:
    """Cache entries kept together in one sealed file: those one user (the reader, or one
    format's renderer) needed in its last build. One read per build instead of one per
    entry; what a build no longer needs is dropped when it is saved. Values are bytes
    (``load``/``store`` pickle them), unpickled only when asked for.

    A build that changed few entries writes only those, to a second (delta) file beside the
    first; the first is rewritten once enough of it is outdated."""

    def __init__(self, cache: BuildCache, name: str) -> None:
        self.cache = cache
        # Compressed pieces depend on the zlib that made them.
        self.key = fingerprint("bundle", name, zlib.ZLIB_RUNTIME_VERSION)
        self.base = self._load(self._path(""))
        self.known = {**self.base, **self._load(self._path(".delta"))}
        self.used: dict[str, bytes] = {}

    def _path(self, suffix: str) -> Path:
        return self.cache.folder / "values" / "bundle" / self.key[:2] / (self.key + suffix)

    def _load(self, path: Path) -> dict[str, bytes]:
        data = self.cache._read(path)
        if data is not None:
            with contextlib.suppress(Exception):  # sealed but unreadable: start afresh
                value = pickle.loads(data)
                if isinstance(value, dict):
                    return value
        return {}

    def get(self, kind: str, key: str) -> bytes | None:
        name = f"{kind}:{key}"
        data = self.used.get(name)
        if data is None:
            data = self.known.get(name)
        self.cache._count(kind, data is not None)
        if data is not None:
            self.used[name] = data
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        self.used[f"{kind}:{key}"] = data

    def fragment(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The bytes kept for (kind, key), made and kept on a miss."""
        data = self.get(kind, key)
        if data is None:
            data = make()
            self.put(kind, key, data)
        return data

    def load(self, kind: str, key: str) -> Any:
        data = self.get(kind, key)
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # written by another Python: a miss
            return None

    def store(self, kind: str, key: str, value: object) -> None:
        self.put(kind, key, pickle.dumps(value, protocol=5))

    def deflate_memo(self) -> DeflateMemo:
        """The compressed zip pieces kept here (see output.py)."""
        return DeflateMemo({bytes.fromhex(k[8:]): v for k, v in self.known.items()
                            if k.startswith("deflate:")})

    def keep_deflate(self, memo: DeflateMemo) -> None:
        """Keep the pieces the archive used (only those)."""
        self.cache.kind_hits["deflate-piece"] += memo.hits
        self.cache.kind_misses["deflate-piece"] += memo.misses
        for key, data in memo.used.items():
            self.used["deflate:" + key.hex()] = data

    def save(self) -> None:
        """Keep what this build used, when that differs from what was there."""
        if self.used.keys() == self.known.keys():
            return
        delta = {k: v for k, v in self.used.items() if k not in self.base}
        outdated = len(self.base.keys() - self.used.keys())
        if len(delta) + outdated <= max(8, len(self.used) // 8):
            self.cache._write(self._path(".delta"), pickle.dumps(delta, protocol=5))
        else:
            self.cache._write(self._path(""), pickle.dumps(self.used, protocol=5))
            with contextlib.suppress(OSError):
                self._path(".delta").unlink()
