"""Self-test of tests/support/lms_harness.py against fake SCOs and a tiny EPUB.

These run real tools (Debian chromium, scorm-again, axe-core, EPUBCheck, DAISY Ace).
Missing tools make the tests fail with a "how to fix" message, never skip.
"""

from __future__ import annotations

import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

sys.path.insert(0, str(Path(__file__).resolve().parent))  # works with any pytest import mode

from support.lms_harness import (
    LmsSession,
    find_launch_href,
    run_ace,
    run_axe,
    run_epubcheck,
    serve_directory,
    violations_by_impact,
)

# ---------------------------------------------------------------- fake packages

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="fake12" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1"><organization identifier="org1"><title>Fake</title>
    <item identifier="item1" identifierref="res1" parameters="?from=manifest">
      <title>One</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="assets" type="webcontent" adlcp:scormtype="asset" href="shared/a.css"/>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="content/index.html">
      <file href="content/index.html"/></resource>
  </resources>
</manifest>"""

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="fake2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org1"><organization identifier="org1"><title>Fake</title>
    <item identifier="item1" identifierref="res1"><title>One</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormType="sco" href="index.html">
      <file href="index.html"/></resource>
  </resources>
</manifest>"""

SCO_12 = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake SCO 1.2</title>
<link rel="stylesheet" href="https://cdn.example.com/leak.css"></head>
<body><main><h1>Fake SCORM 1.2 SCO</h1><p id="entry"></p></main>
<script>
  function findAPI(w) {
    for (var n = 0; w && n < 10; n++, w = w.parent) {
      if (w.API) return w.API;
      if (w === w.parent) break;
    }
    return null;
  }
  var api = findAPI(window);
  api.LMSInitialize("");
  document.getElementById("entry").textContent = api.LMSGetValue("cmi.core.entry");
  var sd = api.LMSGetValue("cmi.suspend_data");
  api.LMSSetValue("cmi.core.lesson_status", "completed");
  api.LMSSetValue("cmi.core.lesson_location", "page-2");
  api.LMSSetValue("cmi.suspend_data", sd + "|visited");
  api.LMSSetValue("cmi.core.exit", "suspend");
  api.LMSCommit("");
  var finished = false;
  function finish() { if (!finished) { finished = true; api.LMSFinish(""); } }
  window.addEventListener("pagehide", finish);
  window.addEventListener("unload", finish);
</script></body></html>"""

SCO_2004 = """<!doctype html><html lang="en">
<head><meta charset="utf-8"><title>Fake SCO 2004</title></head>
<body><main><h1>Fake SCORM 2004 SCO</h1></main>
<script>
  var api = window.parent.API_1484_11;
  api.Initialize("");
  var loc = api.GetValue("cmi.location");
  api.SetValue("cmi.completion_status", "completed");
  api.SetValue("cmi.success_status", "passed");
  api.SetValue("cmi.score.scaled", "0.9");
  api.SetValue("cmi.location", loc ? loc + "+1" : "start");
  api.SetValue("cmi.exit", "suspend");
  api.Commit("");
  window.addEventListener("pagehide", function () { api.Terminate(""); });
</script></body></html>"""


def make_package(root: Path, version: str) -> Path:
    if version == "1.2":
        (root / "content").mkdir(parents=True)
        (root / "imsmanifest.xml").write_text(MANIFEST_12, encoding="utf-8")
        (root / "content" / "index.html").write_text(SCO_12, encoding="utf-8")
    else:
        root.mkdir(parents=True, exist_ok=True)
        (root / "imsmanifest.xml").write_text(MANIFEST_2004, encoding="utf-8")
        (root / "index.html").write_text(SCO_2004, encoding="utf-8")
    return root


# ------------------------------------------------------------------------ tests


def test_serve_directory_serves_files_and_mounts(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.xhtml").write_text("<p/>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("hello", encoding="utf-8")
    with serve_directory(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        assert urllib.request.urlopen(f"{base}/b.txt").read() == b"hello"
    with serve_directory({"/": tmp_path, "/mnt": tmp_path / "a"}) as base:
        resp = urllib.request.urlopen(f"{base}/mnt/x.xhtml")
        assert resp.headers["Content-Type"] == "application/xhtml+xml"


def test_find_launch_href(tmp_path: Path) -> None:
    assert (
        find_launch_href(make_package(tmp_path / "p12", "1.2"))
        == "content/index.html?from=manifest"
    )
    assert find_launch_href(make_package(tmp_path / "p2004", "2004")) == "index.html"


def test_scorm12_fake_sco_completes_and_resumes(browser: Browser, tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg", "1.2")
    resume: dict[str, Any] = {"cmi.core.entry": "resume", "cmi.suspend_data": "earlier"}
    with LmsSession(browser, pkg, "1.2", initial_cmi=resume) as lms:
        lms.wait_for_call("LMSCommit")
        assert lms.sco_frame is not None
        assert lms.sco_frame.inner_text("#entry") == "resume"
        assert lms.call_count("LMSFinish") == 0
        lms.unload()
        calls = lms.api_calls()
        assert [c["method"] for c in calls].count("LMSInitialize") == 1
        assert [c["method"] for c in calls].count("LMSFinish") == 1
        assert all(c["error"] == "0" for c in calls), calls
        cmi = lms.cmi_state()["cmi"]
        assert cmi["core"]["lesson_status"] == "completed"
        assert cmi["core"]["lesson_location"] == "page-2"
        assert cmi["suspend_data"] == "earlier|visited"
        assert lms.cmi_state(flattened=True)["cmi.core.exit"] == "suspend"
        assert lms.is_terminated()
        # the stylesheet on cdn.example.com was blocked and recorded, nothing else failed
        assert lms.blocked_requests == ["https://cdn.example.com/leak.css"]
        assert lms.scorm_errors() == [] and lms.page_errors == [] and lms.console_errors == []


def test_scorm2004_fake_sco_terminates_once_and_records_commits(
    browser: Browser, tmp_path: Path
) -> None:
    pkg = make_package(tmp_path / "pkg", "2004")
    with LmsSession(
        browser, pkg, "2004", initial_cmi={"location": "p7"}, record_commits=True
    ) as lms:
        lms.wait_for_call("Commit")
        lms.unload(remove=True)
        assert lms.call_count("Initialize") == 1
        assert lms.call_count("Terminate") == 1
        cmi = lms.cmi_state()["cmi"]
        assert cmi["completion_status"] == "completed"
        assert cmi["success_status"] == "passed"
        assert cmi["location"] == "p7+1"
        assert cmi["score"]["scaled"] == "0.9"
        assert lms.problems() == []
        assert lms.commits, "scorm-again should have POSTed at least the explicit Commit"
        assert lms.commits[0]["cmi"]["completion_status"] == "completed"


def test_scorm_errors_are_captured(browser: Browser, tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg", "1.2")
    (pkg / "content" / "index.html").write_text(
        "<!doctype html><title>bad</title><script>"
        "var a = parent.API; a.LMSSetValue('cmi.core.lesson_status', 'completed');"
        "a.LMSInitialize(''); a.LMSSetValue('cmi.core.lesson_status', 'done');"
        "a.LMSInitialize('');</script>",
        encoding="utf-8",
    )
    with LmsSession(browser, pkg, "1.2") as lms:
        lms.wait_for_call("LMSInitialize", count=2)
        errors = [c["error"] for c in lms.api_calls()]
        assert errors == ["301", "0", "405", "101"], lms.api_calls()
        assert len(lms.scorm_errors()) >= 3


def test_axe_reports_violations_by_impact(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<!doctype html><html><head><title>x</title></head><body><img src="a.png">'
        "<main><h1>ok</h1></main></body></html>",
        encoding="utf-8",
    )
    with serve_directory(tmp_path) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/index.html")
            violations = run_axe(page)
        finally:
            page.close()
    ids = {v["id"] for v in violations}
    assert {"image-alt", "html-has-lang"} <= ids
    assert violations_by_impact(violations)["critical"] >= 1


def test_axe_inside_sco_frame(browser: Browser, tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg", "2004")
    with LmsSession(browser, pkg, "2004") as lms:
        lms.wait_for_call("Commit")
        assert run_axe(lms.page, frame_url_contains="/content/") == []


# ------------------------------------------------------------------------ EPUB


@pytest.fixture(scope="module")
def tiny_epub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:0d0c3b7e-1c2f-4b7e-9a43-6a4f3f0e2a11")
    book.set_title("Tiny")
    book.set_language("en")
    book.add_author("Harness")
    chapter = epub.EpubHtml(title="Chapter 1", file_name="chap1.xhtml", lang="en")
    chapter.content = textwrap.dedent(
        """<h1>Chapter 1</h1><p>Hello <img src="missing.png"/> world.</p>"""
    )
    book.add_item(chapter)
    book.toc = [chapter]
    book.spine = ["nav", chapter]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    path = tmp_path_factory.mktemp("epub") / "tiny.epub"
    epub.write_epub(str(path), book)
    return path


def test_run_epubcheck_reports_missing_resource(tiny_epub: Path) -> None:
    result = run_epubcheck(tiny_epub)
    assert (result["fatal"], result["error"], result["warning"]) == (0, 1, 0), result["messages"]
    severity, msg_id, message, location = result["messages"][0]
    assert (severity, msg_id) == ("ERROR", "RSC-007")
    assert "missing.png" in message and location.startswith("EPUB/chap1.xhtml:")


def test_run_ace_reports_image_alt(tiny_epub: Path, tmp_path: Path) -> None:
    result = run_ace(tiny_epub, tmp_path / "ace")
    assert result["outcome"] == "fail"
    rules = {(v["file"], v["rule"]) for v in result["violations"]}
    assert ("chap1.xhtml", "image-alt") in rules
    assert result["by_impact"]["critical"] >= 1
    assert result["total"] == sum(result["by_impact"].values())
