"""`cxbook serve`: the live preview, run as the command itself in a child process, driven
by Chromium (Playwright) and by raw HTTP requests (http.client, a socket), which send a
request target exactly as written, as a browser would not."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent))  # works with any pytest import mode

from cxbook.preview.server import is_loopback, request_path

from conftest import build_epub_file, run_cli

CHAPTER = "manuscript/02-worry-less-do-more.md"
CHAPTER_PAGE = "book/ch-worry-less-do-more.xhtml"
CHAPTER_PDF = "pdf/ch-worry-less-do-more.pdf"
SENTENCE = "Stop it."
STARTED = re.compile(r"is at (http://\S+/) ")


class Served:
    """A running `cxbook serve` child process and what it printed."""

    def __init__(self, project: Path, tmp: Path, *args: str) -> None:
        self.project = project
        self.tmp = tmp  # its TMPDIR, empty at the start
        env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cxbook", "serve", str(project), "--port", "0", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        found = self.wait_for(STARTED, 120)
        self.url = found.group(1)
        self.host, port = self.url[len("http://"):-1].rsplit(":", 1)
        self.port = int(port)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str] | str, timeout: float,
                 after: int = 0) -> re.Match[str]:
        """The first line from ``after`` on that matches ``pattern``."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    found = regex.search(line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line matching {regex.pattern!r} in:\n"
                                         + "\n".join(self.lines))
                self._changed.wait(min(left, 0.5))

    def request(self, target: str, *, host: str | None = None,
                method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """``target`` sent as it is written (http.client does not normalize it)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host or f"{self.host}:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Start `cxbook serve` on a project (any free port, TMPDIR a fresh folder); stopped at
    the end whatever happens."""
    started: list[Served] = []

    def start(project: Path, *args: str) -> Served:
        tmp = tmp_path / f"tmp-{len(started)}"
        tmp.mkdir()
        served = Served(project, tmp, *args)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(30)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# ---------------------------------------------------------------------------- browser


@pytest.mark.slow
def test_an_edit_shows_in_the_browser_and_a_broken_one_shows_its_place(
        default_project_copy: Path, serve: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    project = default_project_copy
    served = serve(project)
    page = browser.new_page()
    try:
        page.goto(served.url + CHAPTER_PAGE)
        expect(page.locator("html[data-cxbook-preview]")).to_have_count(1, timeout=10_000)
        assert page.locator(".cxbook-preview-problems").count() == 0

        # A one-sentence edit shows within 2 s, and only that chapter is read again.
        lines = len(served.lines)
        started = time.monotonic()
        _edit(project / CHAPTER, SENTENCE, SENTENCE + " Then do one thing better today.")
        expect(page.locator("body")).to_contain_text("Then do one thing better today.",
                                                     timeout=2_000)
        print(f"edit shown in the browser after {time.monotonic() - started:.2f} s")
        served.wait_for(r"changed manuscript/02-worry-less-do-more\.md: preview updated in "
                        r"[0-9.]+ s \(1 chapter read again, 2 pages changed\)", 10, lines)

        # A broken edit: the overlay names the place; the last good page stays behind it.
        lines = len(served.lines)
        _edit(project / CHAPTER, 'title: "Worry Less', 'title: ["Worry Less')
        overlay = page.locator(".cxbook-preview-problems")
        expect(overlay).to_contain_text(f"{CHAPTER}:3:1: error: YAML syntax error", timeout=5_000)
        expect(overlay).to_contain_text("error")
        expect(overlay).to_have_attribute("role", "alert")
        expect(page.locator(".cxbook-preview-list")).to_be_visible()
        expect(page.locator("body")).to_contain_text("Then do one thing better today.")
        served.wait_for(re.escape(CHAPTER) + r":3:1: error: YAML syntax error", 10, lines)
        served.wait_for("the preview keeps its last version without errors", 10, lines)
        # The overlay can be put aside and brought back.
        page.locator(".cxbook-preview-toggle").click()
        expect(page.locator(".cxbook-preview-list")).to_be_hidden()
        page.locator(".cxbook-preview-toggle").click()
        expect(page.locator(".cxbook-preview-list")).to_be_visible()

        # Fixed: the page comes back with the new text, without the overlay.
        _edit(project / CHAPTER, 'title: ["Worry Less', 'title: "Worry Less')
        _edit(project / CHAPTER, "one thing better today.", "one thing better right now.")
        expect(page.locator("body")).to_contain_text("one thing better right now.",
                                                     timeout=5_000)
        expect(page.locator(".cxbook-preview-problems")).to_have_count(0, timeout=5_000)

        # The course page (standalone mode) opened at the chapter from the reader view's
        # bar, follows edits too; its bar leads back to the chapter.
        page.locator("[data-cxbook-link='course']").click()
        expect(page).to_have_url(re.compile(r"/course/index\.html#page-worry-less-do-more$"))
        # the player shows that chapter's page only (before it runs, every page shows)
        expect(page.locator("#page-positive-service-experiences")).to_be_hidden()
        expect(page.locator("#page-worry-less-do-more")).to_be_visible()
        expect(page.locator("[data-cxbook-link='reader']")).to_have_attribute(
            "href", "/book/ch-worry-less-do-more.xhtml")
        expect(page.locator("[data-cxbook-link='pdf']")).to_have_attribute(
            "href", "/pdf/ch-worry-less-do-more.pdf")
        expect(page.locator("html[data-cxbook-preview]")).to_have_count(1, timeout=10_000)
        started = time.monotonic()
        _edit(project / CHAPTER, "right now.", "right now, in the course too.")
        chapter_page = page.locator("#page-worry-less-do-more")
        expect(chapter_page).to_contain_text("in the course too.", timeout=2_000)
        print(f"edit shown on the course page after {time.monotonic() - started:.2f} s")
        expect(chapter_page).to_be_visible()  # the page the learner was on, reloaded
        expect(page.locator("#page-positive-service-experiences")).to_be_hidden()
        page.locator(".cx-toc a[data-cx-page='0']").click()
        expect(page.locator("[data-cxbook-link='reader']")).to_have_attribute(
            "href", "/book/ch-positive-service-experiences.xhtml")
    finally:
        page.close()
    assert served.stop(signal.SIGINT) == 130


@pytest.mark.slow
def test_a_project_with_errors_from_the_start_shows_them_until_fixed(
        default_project_copy: Path, serve: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    project = default_project_copy
    book = project / "manuscript" / "book.yaml"
    _edit(book, "language: en", "language: en\nlanguage: fr")
    served = serve(project)
    served.wait_for("no preview until the errors are fixed", 10)
    status, _, _ = served.request("/")
    assert status == 503
    page = browser.new_page()
    try:
        page.goto(served.url)
        expect(page.locator(".cxbook-preview-problems")).to_contain_text(
            "manuscript/book.yaml:", timeout=10_000)
        _edit(book, "language: en\nlanguage: fr", "language: en")
        expect(page).to_have_url(served.url + "book/nav.xhtml", timeout=5_000)
        expect(page.locator("#toc")).to_contain_text("Worry Less and Do More")
    finally:
        page.close()
    assert served.stop(signal.SIGTERM) == 143


# ------------------------------------------------------------------- what changes


class Events:
    """The preview's event stream, read as a browser's EventSource would."""

    def __init__(self, served: Served) -> None:
        self.connection = http.client.HTTPConnection(served.host, served.port, timeout=30)
        self.connection.request("GET", "/_cxbook/events")
        self.response = self.connection.getresponse()

    def next(self) -> dict[str, Any]:
        while True:
            line = self.response.fp.readline()
            assert line, "the event stream ended"
            if line.startswith(b"data: "):
                state: dict[str, Any] = json.loads(line[len(b"data: "):])
                return state

    def close(self) -> None:
        self.connection.close()


@pytest.mark.slow
def test_pages_change_with_the_theme_the_course_and_a_folder_made_later(
        default_project_copy: Path, serve: Any) -> None:
    project = default_project_copy
    served = serve(project)
    events = Events(served)
    try:
        first = events.next()
        assert first["current"] and first["problems"] == []
        pages = first["pages"]
        assert "/" + CHAPTER_PAGE in pages and "/course/index.html" in pages

        # A course file: its chapter's document and the course page change, no other page.
        _edit(project / "course" / "02-worry-less-do-more.yaml", "Misses and missings",
              "Misses, missings and second tries")
        state = events.next()
        changed = {p for p in pages if state["pages"][p] != pages[p]}
        assert changed == {"/" + CHAPTER_PAGE, "/course/index.html"}
        assert b"second tries" in served.request("/" + CHAPTER_PAGE)[2]
        assert b"second tries" in served.request("/course/index.html")[2]

        # The theme: every page shows it (its stylesheets), so every page changes.
        pages = state["pages"]
        (project / "themes" / "default" / "custom.css").write_text(
            "h1 { letter-spacing: 0.01em; }\n", "utf-8")
        state = events.next()
        assert all(state["pages"][p] != pages[p] for p in pages)
        assert b"letter-spacing: 0.01em" in served.request("/book/theme/book.css")[2]
        assert b"letter-spacing: 0.01em" in served.request("/course/cxbook/course.css")[2]

        # A themes/ folder removed, then made again: still watched.
        pages = state["pages"]
        shutil.move(project / "themes", project / "themes-aside")
        state = events.next()
        assert b"letter-spacing: 0.01em" not in served.request("/book/theme/book.css")[2]
        shutil.move(project / "themes-aside", project / "themes")
        state = events.next()
        assert state["pages"] == pages
        (project / "themes" / "default" / "custom.css").write_text(
            "h1 { letter-spacing: 0.02em; }\n", "utf-8")
        version = events.next()["version"]
        assert b"letter-spacing: 0.02em" in served.request("/book/theme/book.css")[2]

        # Saving a file unchanged, or an editor's backup file, changes nothing.
        lines = len(served.lines)
        chapter = project / CHAPTER
        chapter.write_bytes(chapter.read_bytes())
        (project / "manuscript" / "02-worry-less-do-more.md~").write_text("backup", "utf-8")
        served.wait_for(r"changed manuscript/02-worry-less-do-more\.md: preview updated in "
                        r"[0-9.]+ s \(0 chapters read again, 0 pages changed\)", 10, lines)
        assert not [line for line in served.lines[lines:] if ".md~" in line]
        later = Events(served)
        assert later.next()["version"] == version  # no page was told to reload
        later.close()
    finally:
        events.close()


# ---------------------------------------------------------------- what is served


def _without_chrome(root: etree._Element) -> bytes:
    for element in root.xpath("//*[@class='cxbook-preview-bar'] | "
                              "//*[local-name()='script'][@src='/_cxbook/reload.js'] | "
                              "//*[local-name()='link'][@href='/_cxbook/preview.css']"):
        parent, previous = element.getparent(), element.getprevious()
        if element.tail:  # the text after it stays where it was
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)
    return etree.tostring(root, method="c14n")


@pytest.mark.slow
def test_the_reader_view_is_the_epub_with_only_the_reload_script_added(
        default_project_copy: Path, serve: Any, tmp_path: Path) -> None:
    project = default_project_copy
    epub = build_epub_file(project, tmp_path / "dist")
    served = serve(project)
    with zipfile.ZipFile(epub) as archive:
        documents = [n for n in archive.namelist() if n.endswith(".xhtml")]
        assert len(documents) >= 10
        for name in documents:
            status, headers, body = served.request("/book/" + name.removeprefix("EPUB/"))
            assert status == 200, name
            assert headers["Content-Type"] == "application/xhtml+xml"
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            served_root = etree.fromstring(body)  # well-formed XHTML, as in the EPUB
            scripts = served_root.xpath("//*[local-name()='script']")
            assert [s.get("src") for s in scripts] == ["/_cxbook/reload.js"], name
            in_epub = etree.fromstring(archive.read(name))
            assert _without_chrome(served_root) == etree.tostring(in_epub, method="c14n"), name
        for name in archive.namelist():  # the stylesheet, fonts, images
            if name.startswith("EPUB/") and not name.endswith((".xhtml", ".opf", ".ncx")):
                status, _, body = served.request("/book/" + name.removeprefix("EPUB/"))
                assert (status, body) == (200, archive.read(name)), name


@pytest.mark.slow
def test_the_course_page_is_the_packages_page_in_standalone_mode(
        default_project_copy: Path, serve: Any, tmp_path: Path) -> None:
    project = default_project_copy
    assert run_cli("build", str(project), "-f", "scorm2004", "--out", str(tmp_path / "d"),
                   "--quiet").code == 0
    (package,) = (tmp_path / "d").glob("*.zip")
    served = serve(project)
    status, _, body = served.request("/course/index.html")
    assert status == 200
    page = etree.HTML(body)
    with zipfile.ZipFile(package) as archive:
        packaged = etree.HTML(archive.read("index.html"))
        names = set(archive.namelist())
    assert [s.get("src") for s in page.iter("script")] == [
        "cxbook/locale.js", "cxbook/player.js", "cxbook/track-local.js", "/_cxbook/reload.js"]
    assert page.find(".//main").get("data-cx-tracking") == "local"
    ours = [etree.tostring(p) for p in page.iterfind(".//div[@class='cx-page']")]
    theirs = [etree.tostring(p) for p in packaged.iterfind(".//div[@class='cx-page']")]
    assert ours == theirs and len(ours) == 6
    for name in ("cxbook/course.css", "cxbook/course-data.json", "cxbook/locale.js",
                 "cxbook/player.js", "cxbook/track-local.js"):
        assert name in names
        assert served.request("/course/" + name)[0] == 200
    for name in ("imsmanifest.xml", "cxbook/track-scorm2004.js", "cxbook/scorm-api.js"):
        assert served.request("/course/" + name)[0] == 404


@pytest.mark.slow
def test_nothing_of_the_preview_reaches_a_built_output(
        default_project_copy: Path, serve: Any, tmp_path: Path) -> None:
    project = default_project_copy
    served = serve(project)
    assert served.request("/" + CHAPTER_PAGE)[0] == 200
    assert served.stop() == 130
    out = tmp_path / "dist"
    assert run_cli("build", str(project), "-f", "epub,scorm12,scorm2004", "--out", str(out),
                   "--quiet").code == 0
    for package in out.iterdir():
        with zipfile.ZipFile(package) as archive:
            for name in archive.namelist():
                data = archive.read(name)
                for mark in (b"_cxbook", b"reload.js", b"cxbook-preview"):
                    assert mark not in data, (package.name, name, mark)


@pytest.mark.slow
def test_a_chapter_pdf_is_laid_out_on_request(default_project_copy: Path,
                                              serve: Any) -> None:
    _edit(default_project_copy / CHAPTER, f"{SENTENCE}\n", f"{SENTENCE}\n\nSee [the "
          "manifestos](03-change-manifestos.md#2-be-the-best-customer-service-communicator-"
          "in-the-world) and [the first chapter](01-positive-service-experiences.md).\n")
    served = serve(default_project_copy)
    status, headers, body = served.request("/" + CHAPTER_PDF)
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'inline; filename="02-worry-less-do-more.pdf"'
    reader = PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "CHAPTER 2" in text and "Worry Less and Do More" in text
    assert "Believe in the Power" not in text  # no other chapter, no contents
    assert "Stop it." in text
    assert "Answer key" in text  # its quiz answers, which the chapter refers to by page
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged, as the reader edition
    fonts = {str(f["/BaseFont"]).split("+")[-1] for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    assert {"cxbook-Serif", "cxbook-Sans-Bold"} <= fonts, fonts  # the print stylesheet's
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (420, 595)  # A5, the theme's page size
    # Links to other chapters lead to their place in the preview's reader view, which
    # serves it; links inside the chapter (its notes, its answers) stay inside the PDF.
    actions = [annot.get_object().get("/A") for page in reader.pages
               for annot in page.get("/Annots", [])]
    uris = [str(a["/URI"]) for a in actions if a is not None and a["/S"] == "/URI"]
    elsewhere = [uri for uri in uris if uri.startswith(served.url)]
    assert elsewhere == [
        served.url + "book/ch-change-manifestos.xhtml#ch-change-manifestos.2-be-the-best-"
        "customer-service-communicator-in-the-world",
        served.url + "book/ch-positive-service-experiences.xhtml#ch-positive-service-"
        "experiences"], uris
    for uri in elsewhere:
        target = uri[len(served.url) - 1:]
        page_status, _, page = served.request(target.split("#")[0])
        assert page_status == 200 and f'id="{target.split("#")[1]}"'.encode() in page
    internal = [annot.get_object() for page in reader.pages
                for annot in page.get("/Annots", []) if "/Dest" in annot.get_object()]
    names = reader.named_destinations
    assert internal and all(str(a["/Dest"]) in names for a in internal)
    assert not any(name.startswith(("ch-change", "ch-positive")) for name in names)
    assert served.request("/pdf/ch-no-such-chapter.pdf")[0] == 404


# ----------------------------------------------------------------- path traversal


TRAVERSALS = [
    "/../secret.txt",
    "/../../../../../../../../etc/passwd",
    "/book/../../secret.txt",
    "/book/../manuscript/book.yaml",
    "/book/%2e%2e/%2e%2e/secret.txt",
    "/book/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "/book/..%2f..%2fsecret.txt",
    "/book/%252e%252e/%252e%252e/secret.txt",
    "/book/%252e%252e%252f%252e%252e%252fsecret.txt",
    "/book/%25252e%25252e%25252fsecret.txt",
    "/book/..\\..\\secret.txt",
    "/book/..%5c..%5csecret.txt",
    "/book/%255c..%255c..%255csecret.txt",
    "/book\\..\\..\\secret.txt",
    "/book/theme/../../../secret.txt",
    "/book/./nav.xhtml/../../../secret.txt",
    "/book/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
    "/book/..%00/secret.txt",
    "/book/nav.xhtml%00.png",
    "//etc/passwd",
    "/%2Fetc%2Fpasswd",
    "/C:/Windows/win.ini",
    "/book/C:%5cWindows%5cwin.ini",
    "/manuscript/book.yaml",
    "/manuscript/02-worry-less-do-more.md",
    "/course/course.yaml",
    "/.cxbook-cache/pruned",
    "/book/media/images/leak.png",
    "/book/images/leak.png",
    "/manuscript/images/leak.png",
    "/course/images/leak.png",
    "/course/leak.png",
    "/book/media/leak-folder/secret.txt",
    "/manuscript/leak-folder/secret.txt",
]


@pytest.mark.slow
def test_no_request_reaches_a_file_outside_the_preview(
        default_project_copy: Path, serve: Any, tmp_path: Path) -> None:
    project = default_project_copy
    secret = b"SECRET outside the project"
    (tmp_path / "secret.txt").write_bytes(secret)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(secret)
    (outside / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n" + secret)
    images = project / "manuscript" / "images"
    images.mkdir(exist_ok=True)
    (images / "leak.png").symlink_to(outside / "outside.png")
    (project / "manuscript" / "leak-folder").symlink_to(outside)
    served = serve(project)
    absolute = [quote_path(tmp_path / "secret.txt"), "/book" + quote_path(tmp_path / "secret.txt"),
                "/" + quote_path(tmp_path / "secret.txt").lstrip("/").replace("/", "%2f")]
    assert served.request("/book/nav.xhtml")[0] == 200  # the server does answer

    def refused(target: str) -> None:
        status, _, body = served.request(target)
        assert status == 404, target
        assert secret not in body and b"root:" not in body, target

    for target in TRAVERSALS + absolute:
        refused(target)
    status, _, body = served.request("http://127.0.0.1/etc/passwd")  # an absolute URL
    assert status == 404 and b"root:" not in body
    with socket.create_connection((served.host, served.port), timeout=30) as raw:
        raw.sendall(b"GET /book/..\x00/../secret.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b"".join(iter(lambda: raw.recv(65536), b""))
    assert secret not in answer and not answer.startswith(b"HTTP/1.0 200")

    # A chapter that shows the linked image: the readers refuse it, nothing is served.
    lines = len(served.lines)
    _edit(project / CHAPTER, SENTENCE, SENTENCE + "\n\n![A leak](images/leak.png)\n")
    served.wait_for(r"manuscript/02-worry-less-do-more\.md:\d+:\d+: error: image "
                    r"'manuscript/images/leak\.png' is a link that leads outside the project",
                    20, lines)
    for target in TRAVERSALS + absolute:
        refused(target)


def quote_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(path.as_posix())


def test_request_paths_are_plain_absolute_paths() -> None:
    assert request_path("/book/nav.xhtml") == "/book/nav.xhtml"
    assert request_path("/book/nav.xhtml?x=1#top") == "/book/nav.xhtml"
    assert request_path("/book/ch-caf%C3%A9.xhtml") == "/book/ch-café.xhtml"
    assert request_path("/book/%252e%252e/x") == "/book/%2e%2e/x"  # decoded once only
    assert request_path("/") == "/"
    for target in ("/book/../x", "/book/%2e%2e/x", "/book/..%2fx", "/book/./x", "/book//x",
                   "/book/..", "//x", "x", "http://host/x", "/book/a\\b", "/book/a%5cb",
                   "/book/a%00b", "/book/%ff", "/book/a%0ab", "*"):
        assert request_path(target) is None, target


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("::")
    assert not is_loopback("192.0.2.1")
    assert not is_loopback("no-such-host.invalid")


@pytest.mark.slow
def test_only_loopback_names_are_answered_and_other_addresses_are_warned_about(
        default_project_copy: Path, serve: Any) -> None:
    served = serve(default_project_copy)
    assert served.host == "127.0.0.1"
    for name in ("127.0.0.1", "localhost", f"localhost:{served.port}"):
        assert served.request("/book/nav.xhtml", host=name)[0] == 200
    for name in ("attacker.example", f"attacker.example:{served.port}", "127.0.0.1.nip.io"):
        status, _, body = served.request("/book/nav.xhtml", host=name)
        assert status == 421 and b"Contents" not in body, name
    assert served.request("/book/nav.xhtml", method="POST")[0] == 501
    assert served.stop() == 130
    assert not any(line.startswith("cxbook serve: warning") for line in served.lines)

    everywhere = serve(default_project_copy, "--host", "0.0.0.0")
    assert everywhere.host == "0.0.0.0"
    everywhere.wait_for(r"^cxbook serve: warning: listening on 0\.0\.0\.0, which other "
                        r"machines can reach", 10)
    assert everywhere.request("/book/nav.xhtml", host="192.0.2.7")[0] == 200
    assert everywhere.stop() == 130


# ------------------------------------------------------------------------ stopping


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stops_cleanly_on_a_signal_leaving_no_temporary_files(
        default_project_copy: Path, serve: Any, sig: int, status: int) -> None:
    project = default_project_copy
    before = _files(project)
    served = serve(project)
    # An open event stream, and a chapter PDF being laid out (WeasyPrint copies the
    # theme's fonts into a temporary folder meanwhile) when the signal comes.
    stream = http.client.HTTPConnection(served.host, served.port, timeout=60)
    stream.request("GET", "/_cxbook/events")
    events = stream.getresponse()
    assert events.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert events.fp.readline().startswith(b"retry:")
    pdf: list[tuple[int, dict[str, str], bytes]] = []
    thread = threading.Thread(target=lambda: pdf.append(served.request("/" + CHAPTER_PDF)))
    thread.start()
    deadline = time.monotonic() + 60
    while not any(served.tmp.iterdir()) and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.02)
    assert served.stop(sig) == status
    thread.join(60)
    assert pdf and pdf[0][0] == 200 and pdf[0][2].startswith(b"%PDF")  # finished first
    assert events.read().endswith(b"\n\n")  # the stream ended with the server
    stream.close()
    assert served.lines[-1] == "cxbook serve: stopped"
    assert list(served.tmp.iterdir()) == []
    added = _files(project) - before
    assert all(p.startswith(".cxbook-cache") for p in added), added
    assert not [p for p in added if "/.tmp-" in p or "/.key-" in p]


def test_serve_refuses_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    result = run_cli("serve", str(tmp_path / "nothing-here"))
    assert result.code == 2
    assert "the folder" in result.err and "does not exist" in result.err
    assert run_cli("serve", str(tmp_path), "--port", "70000").code == 2


@pytest.mark.slow
def test_serve_fails_on_a_folder_without_a_book(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "cxbook", "serve", str(tmp_path),
                             "--port", "0"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "manuscript/book.yaml:1:1: error: no manuscript/book.yaml" in result.stderr


@pytest.mark.slow
def test_a_port_in_use_is_a_usage_error(default_project_copy: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", str(default_project_copy), "--port", str(port))
    assert result.code == 2
    assert f"cannot listen on 127.0.0.1 port {port}" in result.err
    assert "choose another with --port N" in result.err


@pytest.mark.slow
def test_the_preview_speaks_the_books_language(default_project_copy: Path,
                                               serve: Any) -> None:
    """The bar, the reload script's words and the server's own pages are labels in the
    book's language and direction."""
    from cxbook.i18n import Localizer

    project = default_project_copy
    book = project / "manuscript" / "book.yaml"
    book.write_text(re.sub(r"(?m)^language: .*$", "language: he",
                           book.read_text("utf-8")), "utf-8")
    loc = Localizer("he")
    served = serve(project)
    status, _, body = served.request("/" + CHAPTER_PAGE)
    assert status == 200
    page = etree.fromstring(body)
    nav = next(e for e in page.iter() if e.get("class") == "cxbook-preview-bar")
    assert nav.get("aria-label") == loc.pgettext("preview.bar", "Preview") != "Preview"
    words = {a.get("data-cxbook-link"): a.text for a in nav}
    assert words["contents"] == loc.pgettext("preview.contents", "Contents")
    assert words["course"] == loc.pgettext("preview.course", "Course page")
    script = next(e for e in page.iter() if e.get("data-cxbook-labels"))
    labels = json.loads(script.get("data-cxbook-labels") or "")
    assert labels["hide"] == loc.pgettext("preview.hide", "Hide") != "Hide"
    status, _, body = served.request("/book/nothing-here.xhtml")
    assert status == 404
    missing = etree.HTML(body)
    assert (missing.get("lang"), missing.get("dir")) == ("he", "rtl")
    assert missing.findtext(".//h1") == loc.pgettext("preview.not-found", "Not in the preview")
