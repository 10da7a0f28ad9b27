"""The preview's HTTP server: the standard library's ThreadingHTTPServer, one thread per
connection.

Why not a third-party server: the preview serves one author's browser on the same
machine; each open page holds one long-lived event-stream connection (server-sent events)
and a chapter PDF takes a second or two to lay out, so a thread per connection is simple
and enough, and the standard library's server has no dependency to keep up with. It is
never exposed as a public web server: it binds the loopback address unless told
otherwise, answers only GET and HEAD, and checks the Host header against DNS rebinding.

Every answer comes from the current Site (site.py), a map of addresses to bytes kept in
memory; the server never opens a file named by a request. A request path is decoded once
and must be a plain absolute path (no ``.`` or ``..`` segment, no empty segment, no
backslash, no NUL or control character); anything else, and any address the site does
not hold, is 404. So no form of path traversal (``/../``, percent-encoded or
double-encoded dots and slashes, backslashes, absolute paths, links out of the project,
which the readers refuse to read) can reach a file.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

from ..diagnostics import CxbookError
from ..i18n import localizer
from .chrome import EVENTS, RELOAD_SCRIPT, STYLESHEET, own_page, with_chrome
from .site import BOOK, COURSE, COURSE_PAGE, START
from .state import Preview

PING_SECONDS = 15.0  # a comment line on idle event streams, so dead connections are noticed
OWN_FILES = {RELOAD_SCRIPT: ("reload.js", "text/javascript; charset=utf-8"),
             STYLESHEET: ("preview.css", "text/css; charset=utf-8")}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The reader view's documents run no script but the preview's own (the course page has
# its own policy in the page, which allows only the package's and the preview's files).
READER_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                 "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'self'")


def request_path(target: str) -> str | None:
    """The decoded path of a request target, or None when it is not a plain absolute path
    (see the module's docstring). Decoded once: ``%252e`` stays ``%2e``, never ``.``."""
    if not target.startswith("/") or target.startswith("//"):
        return None  # an absolute URL, a network path or garbage
    raw = urlsplit(target).path
    try:
        path = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(c in path for c in "\\\x00") or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return None
    segments = path.split("/")[1:]
    if any(s in ("", ".", "..") for s in segments[:-1]) or segments[-1] in (".", ".."):
        return None
    return path


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)


class PreviewServer(ThreadingHTTPServer):
    """Serves a Preview. Request threads are joined on ``server_close`` (nothing is left
    running, and a chapter PDF being laid out finishes and cleans up first)."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily,
                 preview: Preview, *, check_host: bool) -> None:
        self.address_family = family
        self.preview = preview
        self.check_host = check_host
        super().__init__(address, PreviewHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}/"

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:  # this address only, not IPv4 as well
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "cxbook-preview"
    sys_version = ""
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the terminal is for the project's problems."""

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    # -- routing ----------------------------------------------------------------------

    def _answer(self, *, body: bool) -> None:
        if self.server.check_host and not self._host_allowed():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8",
                       b"This preview answers only to its loopback address.\n", body)
            return
        path = request_path(self.path)
        preview = self.server.preview
        site = preview.site
        if path == EVENTS:
            if body:
                self._events()
            else:
                self._send(HTTPStatus.OK, "text/event-stream; charset=utf-8", b"", False)
            return
        if path in OWN_FILES:
            name, kind = OWN_FILES[path]
            data = (resources.files("cxbook.preview") / "assets" / name).read_bytes()
            self._send(HTTPStatus.OK, kind, data, body)
            return
        if site is None:
            self._no_preview(path, body)
            return
        if path in ("/", BOOK[:-1], BOOK):
            self._redirect(START)
            return
        if path in (COURSE[:-1], COURSE):
            self._redirect(COURSE_PAGE)
            return
        if path is not None and path == site.cover:
            self._made(lambda: preview.cover(site), "image/png", body)
            return
        chapter = site.chapters.get(path) if path is not None else None
        if chapter is not None:
            self._made(lambda: preview.chapter_pdf(site, chapter, self.server.url),
                       "application/pdf", body,
                       name=f"{chapter.stem}.pdf")
            return
        resource = site.resource(path) if path is not None else None
        if resource is None:
            self._not_found(body)
            return
        data = resource.data
        headers = {}
        if resource.kind == "page":
            data = with_chrome(site, path or "", data)
            if path != COURSE_PAGE:
                headers["Content-Security-Policy"] = READER_POLICY
        self._send(HTTPStatus.OK, resource.media_type, data, body, headers)

    def _host_allowed(self) -> bool:
        host = self.headers.get("Host", "")
        name = urlsplit(f"//{host}").hostname or ""
        bound = str(self.server.server_address[0])
        return name in ("localhost", "127.0.0.1", "::1", bound) or name.endswith(".localhost")

    # -- answers ----------------------------------------------------------------------

    def _send(self, status: HTTPStatus, kind: str, data: bytes, body: bool,
              headers: dict[str, str] | None = None) -> None:
        """The answer, with an entity tag for a 200: a reload then gets "304 Not Modified"
        for every stylesheet, font and image that did not change (``no-cache`` makes the
        browser ask each time; nothing stale is ever shown)."""
        tag = f'"{hashlib.blake2b(data, digest_size=12).hexdigest()}"' \
            if status == HTTPStatus.OK else ""
        if tag and tag in self.headers.get("If-None-Match", ""):
            status, data = HTTPStatus.NOT_MODIFIED, b""
        self.send_response(status)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
        if tag:
            self.send_header("ETag", tag)
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if body and data:
            self.wfile.write(data)

    def _redirect(self, path: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", quote(path, safe="/#-._~"))
        self.send_header("Content-Length", "0")
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()

    def _not_found(self, body: bool) -> None:
        site = self.server.preview.site
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8",
                   own_page("not-found", "not-found-text", kind="missing",
                            loc=localizer(site.project.book) if site is not None else None),
                   body)

    def _no_preview(self, path: str | None, body: bool) -> None:
        """Before the first good build: every page address shows the problems."""
        if path in ("/", BOOK, COURSE) or (path or "").endswith((".xhtml", ".html")):
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/html; charset=utf-8",
                       own_page("waiting", "waiting-text", kind="waiting"), body)
        else:
            self._not_found(body)

    def _made(self, make: Any, kind: str, body: bool, name: str = "") -> None:
        try:
            data = make()
        except CxbookError as e:
            text = "\n".join(d.format() for d in e.diagnostics) + "\n"
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                       text.encode("utf-8"), body)
            return
        except Exception as e:  # the layout failed: say so in the browser, keep serving
            text = f"cxbook could not lay this out: {type(e).__name__}: {e}\n"
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                       text.encode("utf-8"), body)
            return
        headers = {"Content-Disposition": f"inline; filename=\"{quote(name)}\""} if name \
            else {}
        self._send(HTTPStatus.OK, kind, data, body, headers)

    def _events(self) -> None:
        """Server-sent events: the state (state.py) now, then at every change, until the
        browser goes or the preview closes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        preview = self.server.preview
        seen, state = preview.state_json()
        try:
            self.wfile.write(b"retry: 1000\ndata: " + state + b"\n\n")
            self.wfile.flush()
            while True:
                now = preview.wait(seen, PING_SECONDS)
                if now is None:
                    return
                if now == seen:
                    self.wfile.write(b": ping\n\n")
                else:
                    seen, state = preview.state_json()
                    self.wfile.write(b"data: " + state + b"\n\n")
                self.wfile.flush()
        except OSError:  # the browser closed the page
            return


def bind(host: str, port: int, preview: Preview) -> PreviewServer:
    """A server for ``preview`` listening on ``host`` (a name or an address) and ``port``
    (0: any free port). Raises OSError when the address cannot be bound (in use, not this
    machine's, an unknown name)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, address = infos[0]
    return PreviewServer((str(address[0]), int(address[1])), family, preview,
                         check_host=is_loopback(host))


