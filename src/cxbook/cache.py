"""Content-addressed cache of rendered outputs and fragments, under .cxbook-cache/.

A key is a SHA-256 over everything the result depends on: the cxbook code itself (every
file of the installed package, so a changed renderer can never serve a stale result), the
format, the options and the model content. The folder is safe to delete at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

from . import __version__
from .output import OutputFile

CACHE_DIR = ".cxbook-cache"
KEEP_PER_FORMAT = 3


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


def fingerprint(*parts: object) -> str:
    """A stable hash of model values (frozen dataclasses, strings, bytes, tuples)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part if isinstance(part, bytes) else pickle.dumps(part, protocol=5)
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class BuildCache:
    """Whole outputs by key, plus small rendered fragments (e.g. one chapter's XHTML)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    # -- whole outputs ----------------------------------------------------------------

    def _output_dir(self, fmt: str) -> Path:
        return self.folder / "outputs" / fmt

    def get_outputs(self, fmt: str, key: str) -> list[OutputFile] | None:
        entry = self._output_dir(fmt) / key
        try:
            manifest = json.loads((entry / "manifest.json").read_text("utf-8"))
            files = []
            for item in manifest["files"]:
                name = str(item["name"])
                if "/" in name or name.startswith("."):
                    return None
                data = (entry / "data" / name).read_bytes()
                if hashlib.sha256(data).hexdigest() != item["sha256"]:
                    return None
                files.append(OutputFile(name, data))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)
        return files

    def put_outputs(self, fmt: str, key: str, files: list[OutputFile]) -> None:
        base = self._output_dir(fmt)
        try:
            base.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=base))
            (staging / "data").mkdir()
            for f in files:
                (staging / "data" / f.name).write_bytes(f.data)
            manifest = {"files": [{"name": f.name, "sha256": hashlib.sha256(f.data).hexdigest()}
                                  for f in files]}
            (staging / "manifest.json").write_text(json.dumps(manifest), "utf-8")
            target = base / key
            if target.exists():
                _remove_tree(staging)
            else:
                os.replace(staging, target)
            self._prune(base)
        except OSError:
            return  # a cache that cannot be written only costs time

    def _prune(self, base: Path) -> None:
        entries = sorted((p for p in base.iterdir() if not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_PER_FORMAT:]:
            _remove_tree(old)

    # -- fragments --------------------------------------------------------------------

    def fragment(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The cached bytes for (kind, key), made and stored on a miss."""
        path = self.folder / "fragments" / kind / key[:2] / key
        try:
            data = path.read_bytes()
            self.hits += 1
            with contextlib.suppress(OSError):
                os.utime(path)
            return data
        except OSError:
            pass
        self.misses += 1
        data = make()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            pass
        return data


    def prune_fragments(self, max_age_days: float = 30) -> None:
        """Remove fragments no build has used for ``max_age_days``."""
        limit = time.time() - max_age_days * 86400
        for path in (self.folder / "fragments").glob("*/*/*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
