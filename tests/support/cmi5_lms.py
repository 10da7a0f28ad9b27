"""A cmi5 LMS stand-in in front of a real learning record store, for tests in Chromium.

Who does what:

* **Ralph** (PyPI ``ralph-malph``, its file-system backend), the real LRS: stores and
  validates the statements and answers statement queries. ``make test`` installs it into
  ``.venv-lrs`` (tests/lrs-requirements.txt); ``RalphLrs`` starts it on a free port of
  127.0.0.1 with a throwaway user. Ralph implements the Statement resource only.
* **Cmi5Lms**, the stand-in written for the tests, plays the LMS (cmi5 spec 8 and 10):
  it serves the unpacked package and a page framing the course on one origin (plain
  http), and the LMS's services on another (https, a certificate from a throwaway
  authority made with trustme): the one-time fetch URL that hands out the session's
  authorization token, and the xAPI endpoint the AU is launched with. Of that endpoint it
  serves the State API (``LMS.LaunchData``, the AU's own documents) and the agent
  profile (the learner preferences) itself, and forwards the Statement resource to Ralph
  with its own credentials, as LMSs in front of an LRS do. It records "launched" in the
  LRS before each launch, as the LMS must, and can play an outage of the LRS.

Every request to the services is logged (``requests``), so a test sees the fetch URL was
called once, the launch data and the preferences were read, and what failed.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import http.server
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lms_harness import QuietStaticHandler

REPO = Path(__file__).resolve().parents[2]
LRS_PYTHON = Path(os.environ.get("CXBOOK_LRS_PYTHON", REPO / ".venv-lrs" / "bin" / "python"))
LRS_HINT = "run: make .stamps/lrs (make test does it)"
XAPI_VERSION = "1.0.3"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_DATA = "LMS.LaunchData"
PREFERENCES = "cmi5LearnerPreferences"
LMS_HOME = "https://lms.cxbook.test"  # the actor's account home page (never requested)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------- Ralph


class RalphLrs:
    """Ralph's LRS API on 127.0.0.1 (``base``: its xAPI root, e.g. http://127.0.0.1:N/xAPI/),
    with statements stored as JSON lines in a temporary folder."""

    def __init__(self) -> None:
        if not LRS_PYTHON.exists():
            raise RuntimeError(f"{LRS_PYTHON} not found (the Ralph LRS venv); {LRS_HINT}")
        self.folder = Path(tempfile.mkdtemp(prefix="cxbook-lrs-"))
        self.user, self.password = "cxbook-lms", secrets.token_urlsafe(12)
        hashed = subprocess.run(
            [str(LRS_PYTHON), "-c", "import bcrypt, sys; print(bcrypt.hashpw("
             "sys.argv[1].encode(), bcrypt.gensalt(4)).decode())", self.password],
            capture_output=True, text=True, check=True).stdout.strip()
        (self.folder / "auth.json").write_text(json.dumps([{
            "username": self.user, "hash": hashed, "scopes": ["all"],
            "agent": {"account": {"homePage": LMS_HOME, "name": "lms"}}}]), encoding="utf-8")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/xAPI/"
        env = {**os.environ, "RALPH_RUNSERVER_BACKEND": "fs",
               "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.folder),
               "RALPH_AUTH_FILE": str(self.folder / "auth.json"),
               "RALPH_APP_DIR": str(self.folder / "app")}
        self.log = (self.folder / "ralph.log").open("wb")
        self.process = subprocess.Popen(
            [str(LRS_PYTHON), str(Path(__file__).with_name("ralph_lrs.py")), str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__heartbeat__",
                                            timeout=2):
                    break
            except OSError as e:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("Ralph did not start: " + self.output()) from e
                time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "ralph.log").read_text(encoding="utf-8", errors="replace")[-3000:]

    @property
    def authorization(self) -> str:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return f"Basic {token}"

    def request(self, method: str, path: str, body: bytes | None = None,
                query: dict[str, str] | None = None) -> tuple[int, bytes]:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        req = urllib.request.Request(url, data=body, method=method, headers={
            "Authorization": self.authorization, "X-Experience-API-Version": XAPI_VERSION,
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def statements(self, registration: str) -> list[dict[str, Any]]:
        """Every statement stored for a registration, in the order they were stored."""
        found: list[dict[str, Any]] = []
        query: dict[str, str] | None = {"registration": registration, "limit": "100",
                                        "ascending": "true"}
        path = "statements"
        while True:
            status, body = self.request("GET", path, query=query)
            if status != 200:
                raise RuntimeError(f"Ralph answered {status}: {body[:500]!r}")
            page = json.loads(body)
            found.extend(page["statements"])
            more = page.get("more") or ""
            if not more:
                return found
            split = urllib.parse.urlsplit(more)
            path = split.path.split("/xAPI/", 1)[1]
            query = dict(urllib.parse.parse_qsl(split.query))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# ------------------------------------------------------------------- the stand-in


@dataclass
class Launch:
    """One launch of the AU: what the LMS made for it and the URLs it uses."""

    registration: str
    session: str
    activity_id: str
    actor: dict[str, Any]
    mode: str
    launch_data: dict[str, Any]
    fetch_key: str
    url: str  # the AU's launch URL with the cmi5 parameters
    frame_url: str  # the LMS page that frames it


@dataclass
class _Shared:
    content: Path
    lrs: RalphLrs
    content_origin: str = ""
    services_origin: str = ""
    outage: bool = False
    delay: float = 0.0  # seconds the services hold each preflight and statements request
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[tuple[str, str, str, str], bytes] = field(default_factory=dict)
    profiles: dict[tuple[str, str], bytes] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # auth token -> session
    fetch_keys: dict[str, str | None] = field(default_factory=dict)  # key -> token once
    refused: list[str] = field(default_factory=list)  # what the AU did that it must not


def _agent_key(agent: str) -> str:
    try:
        return json.dumps(json.loads(agent), sort_keys=True)
    except ValueError:
        return agent


class _Content(QuietStaticHandler):
    """The LMS's own origin: the unpacked package under /content/, the framing page and
    the return page under /lms/."""

    shared: _Shared

    def translate_path(self, path: str) -> str:
        raw = urllib.parse.urlsplit(path).path
        if raw.startswith("/content/"):
            self.directory = str(self.shared.content)
            return super().translate_path(raw[len("/content"):])
        return str(Path(tempfile.gettempdir()) / "__cxbook_no_such_file__")

    def do_GET(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        if split.path == "/lms/frame.html":
            query = dict(urllib.parse.parse_qsl(split.query))
            page = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
                    "<title>cmi5 test LMS</title><style>html,body{margin:0;height:100%}"
                    "iframe{border:0;width:100%;height:100%}</style></head><body>"
                    f'<iframe id="au" title="Course" src="{html.escape(query["au"])}"></iframe>'
                    "</body></html>")
            self._send(200, page.encode(), "text/html; charset=utf-8")
        elif split.path == "/lms/returned.html":
            self._send(200, b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                       b"<title>Back in the LMS</title></head><body><h1>Back in the LMS</h1>"
                       b"</body></html>", "text/html; charset=utf-8")
        else:
            super().do_GET()

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Services(http.server.BaseHTTPRequestHandler):
    """The LMS's services on their own https origin: /fetch/<key> and the xAPI endpoint
    /xapi/ (State API and agent profiles here, statements forwarded to Ralph)."""

    shared: _Shared
    protocol_version = "HTTP/1.1"
    alternate = False  # this request came in the alternate request syntax

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        # The TLS handshake in this request's thread, not in the accepting one: a browser's
        # idle preconnected socket must not hold up the other requests.
        tls = self.request
        if isinstance(tls, ssl.SSLSocket):
            tls.settimeout(10)
            tls.do_handshake()
            tls.settimeout(None)
        super().setup()

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", self.shared.content_origin)
        self.send_header("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS")
        self.send_header("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, X-Experience-API-Version, If-Match, "
                         "If-None-Match")
        self.send_header("Access-Control-Expose-Headers", "ETag, X-Experience-API-Version")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Vary", "Origin")

    def _reply(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        with self.shared.lock:
            self.shared.requests.append({
                "method": self.command, "path": urllib.parse.urlsplit(self.path).path,
                "query": dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)),
                "status": status, "origin": self.headers.get("Origin"), "t": time.monotonic(),
                "alternate": self.alternate})
        self.send_response(status)
        self._cors()
        self.send_header("X-Experience-API-Version", XAPI_VERSION)
        self.send_header("Cache-Control", "no-store")
        if body or status not in (204, 304):
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def parse_request(self) -> bool:
        self.alternate = False  # one handler answers every request of a connection
        return super().parse_request()

    def _hold(self) -> None:
        with self.shared.lock:
            delay = self.shared.delay
        if delay:
            time.sleep(delay)

    def do_OPTIONS(self) -> None:
        self._hold()
        self._reply(204)

    def do_GET(self) -> None:
        self._xapi()

    def do_PUT(self) -> None:
        self._xapi()

    def do_DELETE(self) -> None:
        self._xapi()

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/fetch/"):
            self._body()
            key = path[len("/fetch/"):]
            with self.shared.lock:
                known = key in self.shared.fetch_keys
                token = self.shared.fetch_keys.get(key)
                self.shared.fetch_keys[key] = None
            if not known:
                reply = {"error-code": "2", "error-text": "Unknown fetch URL."}
            elif token is None:
                reply = {"error-code": "1",
                         "error-text": "The authorization token has already been returned."}
            else:
                reply = {"auth-token": token}
            self._reply(200, json.dumps(reply).encode())
            return
        self._xapi()

    def _xapi(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        body = self._body() if self.command in ("PUT", "POST") else b""
        if not split.path.startswith("/xapi/"):
            self._reply(404, b'{"error": "not found"}')
            return
        resource = split.path[len("/xapi/"):]
        query = dict(urllib.parse.parse_qsl(split.query))
        auth = self.headers.get("Authorization") or ""
        form_type = "application/x-www-form-urlencoded"
        if self.command == "POST" and "method" in query and (
                self.headers.get("Content-Type") or "").startswith(form_type):
            # xAPI 1.0.3 alternate request syntax (Part Three 1.3): the method in the query,
            # headers, parameters and content as form fields
            self.command = query["method"].upper()
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            auth = form.pop("Authorization", "")
            body = form.pop("content", "").encode("utf-8")
            for header in ("X-Experience-API-Version", "Content-Type", "If-Match",
                           "If-None-Match"):
                form.pop(header, None)
            query = form
            self.alternate = True
        if resource == "statements":
            self._hold()
        token = auth[len("Basic "):] if auth.startswith("Basic ") else ""
        with self.shared.lock:
            session = self.shared.tokens.get(token)
            outage = self.shared.outage
        if session is None:
            self._reply(401, b'{"error": "unknown or missing authorization token"}')
            return
        if outage and resource in ("statements", "activities/state"):
            self._reply(503, b'{"error": "the learning record store is down"}')
            return
        if resource == "statements":
            status, answer = self.shared.lrs.request(
                self.command, "statements", body or None, query or None)
            self._reply(status, answer)
        elif resource == "activities/state":
            self._state(query, body)
        elif resource == "agents/profile":
            key = (_agent_key(query.get("agent", "")), query.get("profileId", ""))
            if self.command != "GET":
                self._reply(405, b"")
                return
            with self.shared.lock:
                document = self.shared.profiles.get(key)
            self._reply(200, document) if document is not None else self._reply(404, b"")
        elif resource == "about":
            self._reply(200, json.dumps({"version": [XAPI_VERSION]}).encode())
        else:
            self._reply(404, b'{"error": "not found"}')

    def _state(self, query: dict[str, str], body: bytes) -> None:
        key = (query.get("activityId", ""), _agent_key(query.get("agent", "")),
               query.get("registration", ""), query.get("stateId", ""))
        if self.command == "GET":
            with self.shared.lock:
                document = self.shared.documents.get(key)
            self._reply(200, document) if document is not None else self._reply(404, b"")
            return
        if key[3] == LAUNCH_DATA:
            with self.shared.lock:
                self.shared.refused.append(f"{self.command} of {LAUNCH_DATA}")
            self._reply(403, b'{"error": "the AU must not change LMS.LaunchData"}')
            return
        with self.shared.lock:
            if self.command == "DELETE":
                self.shared.documents.pop(key, None)
            elif self.command == "POST" and key in self.shared.documents:
                merged = {**json.loads(self.shared.documents[key]), **json.loads(body)}
                self.shared.documents[key] = json.dumps(merged).encode()
            else:
                json.loads(body)  # the AU's documents are JSON
                self.shared.documents[key] = body
        self._reply(204)


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # browsers drop connections all the time


@contextlib.contextmanager
def _server(handler: type[http.server.BaseHTTPRequestHandler], shared: _Shared,
            tls: ssl.SSLContext | None = None) -> Iterator[_ThreadingServer]:
    bound = type(handler.__name__, (handler,), {"shared": shared})
    server = _ThreadingServer(("127.0.0.1", 0), bound)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Cmi5Lms:
    """The stand-in LMS for one unpacked cmi5 package (see the module docstring). Use as a
    context manager; ``launch()`` prepares a launch, a test opens ``frame_url``."""

    def __init__(self, package: Path, lrs: RalphLrs) -> None:
        import trustme

        self.package = package.resolve()
        self.shared = _Shared(self.package, lrs)
        self.lrs = lrs
        self.course = _course_structure(self.package / "cmi5.xml")
        authority = trustme.CA()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(tls)
        self._stack = contextlib.ExitStack()
        content = self._stack.enter_context(_server(_Content, self.shared))
        services = self._stack.enter_context(_server(_Services, self.shared, tls))
        self.content_origin = f"http://127.0.0.1:{content.server_address[1]}"
        self.services_origin = f"https://127.0.0.1:{services.server_address[1]}"
        self.shared.content_origin = self.content_origin
        self.shared.services_origin = self.services_origin
        self.endpoint = f"{self.services_origin}/xapi/"

    def __enter__(self) -> Cmi5Lms:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    # -- the LMS's side of a launch (cmi5 spec 8.1, 9.3.1, 10)
    def launch(self, *, mode: str = "Normal", registration: str | None = None,
               learner: str = "learner-1", return_url: bool = True,
               preferences: dict[str, str] | None = None) -> Launch:
        registration = registration or str(uuid.uuid4())
        au = self.course["au"]
        activity_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, registration + au['id'])}"
        actor = {"objectType": "Agent", "account": {"homePage": LMS_HOME, "name": learner}}
        session = str(uuid.uuid4())
        context = {"contextActivities": {"grouping": [{"id": au["id"]}]},
                   "extensions": {SESSION_ID: session}}
        data: dict[str, Any] = {"contextTemplate": context, "launchMode": mode,
                                "moveOn": au["moveOn"]}
        if au.get("masteryScore") is not None:
            data["masteryScore"] = au["masteryScore"]
        if return_url:
            data["returnURL"] = f"{self.content_origin}/lms/returned.html"
        token = secrets.token_urlsafe(24)
        fetch_key = secrets.token_urlsafe(12)
        agent = json.dumps(actor, sort_keys=True)
        with self.shared.lock:
            self.shared.tokens[token] = session
            self.shared.fetch_keys[fetch_key] = token
            self.shared.documents[(activity_id, agent, registration, LAUNCH_DATA)] = (
                json.dumps(data).encode())
            self.shared.profiles[(agent, PREFERENCES)] = json.dumps(
                preferences or {"languagePreference": "en-US,fr-FR", "audioPreference": "off"}
            ).encode()
        launched = {
            "id": str(uuid.uuid4()), "actor": actor,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/launched",
                     "display": {"en-US": "launched"}},
            "object": {"objectType": "Activity", "id": activity_id},
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "context": {**json.loads(json.dumps(context)), "registration": registration,
                        "extensions": {
                            SESSION_ID: session,
                            "https://w3id.org/xapi/cmi5/context/extensions/launchmode": mode,
                            "https://w3id.org/xapi/cmi5/context/extensions/moveon":
                                au["moveOn"],
                            "https://w3id.org/xapi/cmi5/context/extensions/launchurl":
                                f"{self.content_origin}/content/{au['url']}"}}}
        launched["context"]["contextActivities"]["category"] = [
            {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]
        status, answer = self.lrs.request("POST", "statements", json.dumps(launched).encode())
        if status != 200:
            raise RuntimeError(f"the LRS refused 'launched': {status} {answer[:300]!r}")
        params = {"endpoint": self.endpoint,
                  "fetch": f"{self.services_origin}/fetch/{fetch_key}",
                  "actor": json.dumps(actor), "registration": registration,
                  "activityId": activity_id}
        url = f"{self.content_origin}/content/{au['url']}?" + urllib.parse.urlencode(params)
        frame = f"{self.content_origin}/lms/frame.html?" + urllib.parse.urlencode({"au": url})
        return Launch(registration, session, activity_id, actor, mode, data, fetch_key, url,
                      frame)

    # -- what tests look at
    def set_outage(self, down: bool) -> None:
        with self.shared.lock:
            self.shared.outage = down

    def set_delay(self, seconds: float) -> None:
        """Hold every preflight and statements request this long before answering: the
        page has requests in flight when it goes."""
        with self.shared.lock:
            self.shared.delay = seconds

    def requests(self, path_start: str = "") -> list[dict[str, Any]]:
        with self.shared.lock:
            return [r for r in self.shared.requests if r["path"].startswith(path_start)]

    def refused(self) -> list[str]:
        with self.shared.lock:
            return list(self.shared.refused)

    def document(self, launch: Launch, state_id: str) -> Any:
        key = (launch.activity_id, json.dumps(launch.actor, sort_keys=True),
               launch.registration, state_id)
        with self.shared.lock:
            raw = self.shared.documents.get(key)
        return None if raw is None else json.loads(raw)

    def statements(self, registration: str) -> list[dict[str, Any]]:
        return self.lrs.statements(registration)


def _course_structure(path: Path) -> dict[str, Any]:
    """The course's AU as an LMS imports it from cmi5.xml: id, url, moveOn, masteryScore."""
    from lxml import etree

    ns = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
    root = etree.parse(str(path)).getroot()
    (au,) = root.findall("c:au", ns)
    mastery = au.get("masteryScore")
    return {"au": {"id": au.get("id"), "url": au.findtext("c:url", namespaces=ns),
                   "moveOn": au.get("moveOn", "NotApplicable"),
                   "masteryScore": float(mastery) if mastery is not None else None}}
