"""Watching the project's input files with watchfiles (the operating system's file events:
inotify, FSEvents, ReadDirectoryChangesW; polling where none works).

Only the folders the readers read are watched, recursively: manuscript/, course/ and
themes/ (never dist/, .cxbook-cache/ or, when the project is a repository, its tools'
folders). The project folder itself is watched on its own, not recursively, so that one of
those folders created, removed or replaced later is watched from then on.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

INPUT_FOLDERS = ("manuscript", "course", "themes")
STEP_MS = 50  # changes are handed on once none came for this long
SETTLE_SECONDS = 0.02  # and once none came from the other watcher either
RETRY_SECONDS = 1.0  # after a watched folder vanished under the watcher


class _Either:
    """Set when either event is (watchfiles' stop_event needs only ``is_set``)."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


class ProjectWatcher:
    """Changed input files of the project at ``root``, as project-relative POSIX paths, in
    batches (``changes``). Stops, with every thread it started, when ``stop`` is set."""

    def __init__(self, root: Path, stop: threading.Event) -> None:
        self.root = root
        self.stop = stop
        self._queue: queue.Queue[set[str]] = queue.Queue()
        self._restart = threading.Event()
        self._threads: list[threading.Thread] = []
        self._filter = DefaultFilter()

    def start(self) -> None:
        for target in (self._watch_inputs, self._watch_root):
            thread = threading.Thread(target=target, name=f"cxbook-{target.__name__}")
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def changes(self, timeout: float) -> list[str] | None:
        """The next batch of changed paths, sorted, gathered until no change came for
        SETTLE_SECONDS; None when nothing changed within ``timeout`` seconds."""
        try:
            found = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        while True:
            try:
                found |= self._queue.get(timeout=SETTLE_SECONDS)
            except queue.Empty:
                return sorted(found)

    def _relative(self, changes: Iterable[tuple[Change, str]]) -> set[str]:
        out = set()
        for _, path in changes:
            try:
                out.add(Path(path).relative_to(self.root).as_posix())
            except ValueError:
                out.add(Path(path).as_posix())
        return out

    def _watch_inputs(self) -> None:
        """The input folders, recursively; started again whenever they change (see
        _watch_root) or one vanished under it."""
        while not self.stop.is_set():
            self._restart.clear()
            folders = [self.root / name for name in INPUT_FOLDERS
                       if (self.root / name).is_dir()]
            if not folders:
                self._wait_for_restart()
                continue
            try:
                for changes in watch(*folders, watch_filter=self._filter, step=STEP_MS,
                                     stop_event=_Either(self.stop, self._restart),
                                     raise_interrupt=False):
                    self._queue.put(self._relative(changes))
            except (FileNotFoundError, OSError, RuntimeError):
                self._wait_for_restart()

    def _wait_for_restart(self) -> None:
        """Until an input folder is made or replaced, RETRY_SECONDS pass, or stop."""
        deadline = time.monotonic() + RETRY_SECONDS
        while not (self.stop.is_set() or self._restart.is_set()) and \
                time.monotonic() < deadline:
            self._restart.wait(0.1)

    def _watch_root(self) -> None:
        """The project folder, not recursively: an input folder made, removed or replaced
        restarts the input watcher and counts as a change."""

        def relevant(change: Change, path: str) -> bool:
            return Path(path).name in INPUT_FOLDERS

        while not self.stop.is_set():
            try:
                for changes in watch(self.root, watch_filter=relevant, step=STEP_MS,
                                     stop_event=self.stop, recursive=False,
                                     raise_interrupt=False):
                    self._restart.set()
                    self._queue.put(self._relative(changes))
            except (FileNotFoundError, OSError, RuntimeError):
                self.stop.wait(RETRY_SECONDS)
