"""``cxbook serve``: a live preview of the book and the course while writing.

The pieces: site.py (what is served, made by the renderers' own code), chrome.py (the
bar and reload script added as pages are served), state.py (rebuilding through the build
cache; problems; the version the pages follow), server.py (HTTP on the loopback address
by default; server-sent events), watch.py (watchfiles on the input folders). A Session
ties them together; the CLI owns printing, signals and exit status.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ..diagnostics import Diagnostic
from .server import PreviewServer, bind, is_loopback
from .state import Preview, Rebuild
from .watch import ProjectWatcher

WAIT_SECONDS = 0.2  # how often the loop looks at the stop event between changes


class Session:
    """One ``cxbook serve``: binds its address on creation (raises OSError when it cannot),
    ``start`` makes the first preview, ``serve`` answers and rebuilds until ``stop`` is
    set, ``close`` stops every thread it started and closes the socket."""

    def __init__(self, root: Path, host: str, port: int, *, cache: bool = True,
                 warn: Callable[[Diagnostic], None] | None = None) -> None:
        self.root = root
        self.preview = Preview(root, cache=cache, warn=warn)
        self.server: PreviewServer = bind(host, port, self.preview)
        self.loopback = is_loopback(host)
        self.stop = threading.Event()
        self.watcher = ProjectWatcher(root, self.stop)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> Rebuild:
        """Start watching, then make the first preview (changes made meanwhile are seen)."""
        self.watcher.start()
        return self.preview.rebuild()

    def serve(self, on_rebuild: Callable[[Rebuild], None]) -> None:
        """Answer requests in a thread; rebuild after each batch of changes, handing the
        result to ``on_rebuild``; return once ``stop`` is set."""
        thread = threading.Thread(target=self.server.serve_forever, name="cxbook-server",
                                  kwargs={"poll_interval": WAIT_SECONDS})
        thread.start()
        self._threads.append(thread)
        while not self.stop.is_set():
            changed = self.watcher.changes(WAIT_SECONDS)
            if changed and not self.stop.is_set():
                on_rebuild(self.preview.rebuild(changed))

    def close(self) -> None:
        """Stop watching and serving: event streams end, request threads are joined (a
        chapter PDF being laid out finishes and removes its temporary fonts first), the
        socket is closed."""
        self.stop.set()
        self.preview.close()
        if self._threads:
            self.server.shutdown()
        for thread in self._threads:
            thread.join()
        self.server.server_close()
        self.watcher.join()


__all__ = ["Preview", "Rebuild", "Session"]
