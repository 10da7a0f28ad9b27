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


IDLE_SCO = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Idle SCO</title>
</head><body><main><h1>A SCO driven by the test</h1></main></body></html>"""


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


# ------------------------------------------------------- strict data-model layer

LONG_IDS = "[,]".join(f"choice_{n}" for n in range(37))
# (element, value, error code): what the SCORM 1.2 RTE data model refuses, in call order
REFUSED_12 = [
    ("cmi.core.lesson_status", "done", "405"),  # not in the vocabulary
    ("cmi.core.lesson_status", "not attempted", "405"),  # the LMS's word, not the SCO's
    ("cmi.core.exit", "normal", "405"),  # a 2004 word
    ("cmi.core.lesson_location", "x" * 256, "405"),  # CMIString255
    ("cmi.suspend_data", "x" * 4097, "405"),  # CMIString4096
    ("cmi.core.score.raw", "101", "405"),
    ("cmi.core.score.raw", "eighty", "405"),
    ("cmi.core.session_time", "PT1M", "405"),  # a 2004 timeinterval
    ("cmi.core.student_name", "Someone", "403"),  # read-only
    ("cmi.interactions.0.id", "question 1", "405"),  # white space in a CMIIdentifier
    ("cmi.interactions.0.id", "caf%C3%A9-q1", "405"),
    ("cmi.interactions.0.id", "q" * 256, "405"),
    ("cmi.interactions.0.id", "q-1_a", "0"),
    ("cmi.interactions.0.type", "multiple-choice", "405"),
    ("cmi.interactions.0.type", "choice", "0"),
    ("cmi.interactions.0.student_response", "c95e0ee", "405"),  # several characters
    ("cmi.interactions.0.correct_responses.0.pattern", "c95e0ee,c34eb4c", "405"),
    ("cmi.interactions.0.student_response", "A", "405"),  # 0-9 and a-z only
    ("cmi.interactions.0.student_response", "a;c", "405"),
    ("cmi.interactions.0.time", "25:00:00", "405"),
    ("cmi.interactions.0.result", "incorrect", "405"),  # a 2004 word
    ("cmi.interactions.0.weighting", "one", "405"),
    # the other interaction types' CMIFeedback
    ("cmi.interactions.1.id", "q-fill", "0"),
    ("cmi.interactions.1.type", "fill-in", "0"),
    ("cmi.interactions.1.student_response", "x" * 256, "405"),  # a CMIString255
    ("cmi.interactions.2.id", "q-number", "0"),
    ("cmi.interactions.2.type", "numeric", "0"),
    ("cmi.interactions.2.student_response", "4,5", "405"),  # a CMIDecimal has a point
    ("cmi.interactions.2.student_response", "1e3", "405"),
    ("cmi.interactions.2.correct_responses.0.pattern", "3[:]5", "405"),  # a 2004 range
    ("cmi.interactions.3.id", "q-match", "0"),
    ("cmi.interactions.3.type", "matching", "0"),
    ("cmi.interactions.3.student_response", "1.b,2", "405"),  # a pair has both halves
    ("cmi.interactions.3.student_response", "1-b", "405"),
    ("cmi.interactions.3.student_response", "10.b", "405"),  # single characters
    ("cmi.interactions.3.student_response", "1[.]b", "405"),  # a 2004 record
    ("cmi.interactions.4.id", "q-order", "0"),
    ("cmi.interactions.4.type", "sequencing", "0"),
    ("cmi.interactions.4.student_response", "cadeb", "405"),  # comma-separated
    ("cmi.interactions.4.student_response", "c;a;d", "405"),
    ("cmi.interactions.4.student_response", "context,culture", "405"),
]
ACCEPTED_12 = [
    ("cmi.core.lesson_status", "incomplete"),
    ("cmi.core.lesson_location", "x" * 255),
    ("cmi.suspend_data", "x" * 4096),
    ("cmi.core.score.raw", "87.5"),
    ("cmi.core.session_time", "0001:02:03.45"),
    ("cmi.core.exit", "suspend"),
    ("cmi.interactions.0.correct_responses.0.pattern", "{a,c}"),
    ("cmi.interactions.0.student_response", "a,c"),
    ("cmi.interactions.0.time", "13:45:00"),
    ("cmi.interactions.0.result", "wrong"),
    ("cmi.interactions.0.weighting", "1"),
    ("cmi.interactions.1.correct_responses.0.pattern", "enemies"),
    ("cmi.interactions.1.correct_responses.1.pattern", "worst enemies"),
    ("cmi.interactions.1.student_response", "Worst enemies, right? " + "x" * 233),
    ("cmi.interactions.2.correct_responses.0.pattern", "4"),
    ("cmi.interactions.2.student_response", "-2.5"),
    ("cmi.interactions.3.correct_responses.0.pattern", "{1.b,2.a}"),
    ("cmi.interactions.3.student_response", "1.b,2.a,3.c,4.e"),
    ("cmi.interactions.4.correct_responses.0.pattern", "c,a,d,e,b"),
    ("cmi.interactions.4.student_response", "a,c,d,e,b"),
]
REFUSED_2004 = [
    ("cmi.completion_status", "done", "406"),
    ("cmi.success_status", "completed", "406"),
    ("cmi.exit", "finished", "406"),
    ("cmi.location", "x" * 1001, "406"),  # SPM 1000
    ("cmi.suspend_data", "x" * 64001, "406"),  # SPM 64000
    ("cmi.score.scaled", "1.5", "407"),  # out of -1..1
    ("cmi.score.scaled", "1e-1", "406"),  # a real(10,7) has no exponent
    ("cmi.progress_measure", "1.2", "407"),
    ("cmi.session_time", "00:01:00", "406"),  # a 1.2 timespan
    ("cmi.session_time", "PT", "406"),
    ("cmi.mode", "normal", "404"),  # read-only
    ("cmi.interactions.0.type", "choice", "408"),  # before the id
    ("cmi.interactions.0.id", "question 1", "406"),  # not a URI
    ("cmi.interactions.0.id", "urn:q1", "406"),  # a urn: without a name
    ("cmi.interactions.0.id", "q1", "0"),
    ("cmi.interactions.0.learner_response", "a", "408"),  # before the type
    ("cmi.interactions.0.type", "choice", "0"),
    ("cmi.interactions.0.learner_response", "luck[,]luck", "406"),  # a set: no repeats
    ("cmi.interactions.0.learner_response", "café", "406"),  # not a URI
    ("cmi.interactions.0.correct_responses.0.pattern", "a new manager", "406"),
    ("cmi.interactions.0.learner_response", LONG_IDS, "406"),  # SPM 36
    ("cmi.interactions.0.description", "{lang=}Question", "406"),
    ("cmi.interactions.0.description", "x" * 251, "406"),  # SPM 250
    ("cmi.interactions.0.timestamp", "2023-13-01T00:00:00", "406"),
    ("cmi.interactions.0.result", "wrong", "406"),  # a 1.2 word
    # the other interaction types' formats
    ("cmi.interactions.1.id", "q-fill", "0"),
    ("cmi.interactions.1.type", "fill-in", "0"),
    ("cmi.interactions.1.learner_response", "{enemies}", "406"),  # reads as a delimiter
    ("cmi.interactions.1.learner_response", "{lang=fr}{ennemis}", "406"),
    ("cmi.interactions.1.learner_response", "x" * 251, "406"),  # SPM 250
    ("cmi.interactions.1.learner_response", "[,]".join(["a"] * 11), "406"),  # SPM 10
    ("cmi.interactions.1.correct_responses.0.pattern", "{case_matters=yes}enemies", "406"),
    ("cmi.interactions.1.correct_responses.0.pattern",
     "{case_matters=true}{case_matters=false}enemies", "406"),
    ("cmi.interactions.1.correct_responses.0.pattern", "{lang=}enemies", "406"),
    ("cmi.interactions.2.id", "q-number", "0"),
    ("cmi.interactions.2.type", "numeric", "0"),
    ("cmi.interactions.2.learner_response", "4,5", "406"),
    ("cmi.interactions.2.learner_response", "1e3", "406"),
    ("cmi.interactions.2.correct_responses.0.pattern", "5[:]3", "406"),  # min above max
    ("cmi.interactions.2.correct_responses.0.pattern", "3-5", "406"),
    ("cmi.interactions.2.correct_responses.0.pattern", "[:]", "406"),
    ("cmi.interactions.2.correct_responses.0.pattern", "3[:]5", "0"),
    ("cmi.interactions.2.correct_responses.1.pattern", "4", "351"),  # one pattern only
    ("cmi.interactions.3.id", "q-match", "0"),
    ("cmi.interactions.3.type", "matching", "0"),
    ("cmi.interactions.3.learner_response", "the_finch_effect.we_need_to_adapt", "406"),
    ("cmi.interactions.3.learner_response", "a[.]b[.]c", "406"),
    ("cmi.interactions.3.learner_response", "shine[.]choose to be the best", "406"),
    ("cmi.interactions.3.correct_responses.0.pattern", "1.b,2.a", "406"),  # a 1.2 pattern
    ("cmi.interactions.4.id", "q-order", "0"),
    ("cmi.interactions.4.type", "sequencing", "0"),
    ("cmi.interactions.4.learner_response", "context culture", "406"),
    ("cmi.interactions.4.learner_response", "[,]".join(["c"] * 37), "406"),  # SPM 36
]
ACCEPTED_2004 = [
    ("cmi.completion_status", "incomplete"),
    ("cmi.location", "x" * 1000),
    ("cmi.suspend_data", "x" * 64000),
    ("cmi.score.scaled", "0.96"),
    ("cmi.progress_measure", "0.6"),
    ("cmi.session_time", "PT0H1M5.00S"),
    ("cmi.interactions.0.description", "{lang=fr}Quelle est la bonne réponse ?"),
    ("cmi.interactions.0.description", "x" * 250),
    ("cmi.interactions.0.correct_responses.0.pattern", "a_new_manager[,]luck"),
    ("cmi.interactions.0.learner_response", "luck[,]a_new_manager"),
    ("cmi.interactions.0.timestamp", "2023-11-14T22:13:20.0Z"),
    ("cmi.interactions.0.result", "incorrect"),
    ("cmi.interactions.0.weighting", "1"),
    ("cmi.exit", "suspend"),
    ("cmi.interactions.1.learner_response", "Worst enemies, right?"),
    ("cmi.interactions.1.learner_response", "{lang=fr}réponse {entre accolades}[,]" + "x" * 250),
    ("cmi.interactions.1.correct_responses.0.pattern", "{case_matters=false}enemies"),
    ("cmi.interactions.1.correct_responses.1.pattern",
     "{order_matters=true}{case_matters=true}Worst[,]enemies"),
    ("cmi.interactions.2.learner_response", "-2.5"),
    ("cmi.interactions.2.correct_responses.0.pattern", "[:]5"),
    ("cmi.interactions.3.correct_responses.0.pattern",
     "the_finch_effect[.]we_need_to_adapt[,]shine[.]you_just_have_to_choose_to_be"),
    ("cmi.interactions.3.learner_response", "shine[.]we_need_to_adapt"),
    ("cmi.interactions.4.correct_responses.0.pattern", "context[,]culture[,]caring"),
    ("cmi.interactions.4.learner_response", "caring[,]context[,]culture"),
]


def drive(lms: LmsSession, calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Initialize, then SetValue each (element, value) from the SCO's frame: [(result,
    error code)] as the SCO sees them."""
    frame = lms.sco_frame
    assert frame is not None
    return [tuple(r) for r in frame.evaluate(
        """([version, calls]) => {
             const v12 = version === '1.2', api = v12 ? parent.API : parent.API_1484_11;
             const [init, set, error] = v12 ? ['LMSInitialize', 'LMSSetValue', 'LMSGetLastError']
               : ['Initialize', 'SetValue', 'GetLastError'];
             api[init]('');
             return calls.map(([e, v]) => [String(api[set](e, v)), String(api[error]())]);
           }""", [lms.version, calls])]


def idle_package(root: Path, version: str) -> Path:
    package = make_package(root, version)
    launch = package / ("content/index.html" if version == "1.2" else "index.html")
    launch.write_text(IDLE_SCO, encoding="utf-8")
    return package


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_strict_layer_refuses_what_the_data_model_refuses(
        browser: Browser, tmp_path: Path, version: str) -> None:
    refused_cases = REFUSED_12 if version == "1.2" else REFUSED_2004
    accepted_cases = ACCEPTED_12 if version == "1.2" else ACCEPTED_2004
    calls = [(e, v) for e, v, _ in refused_cases] + accepted_cases
    with LmsSession(browser, idle_package(tmp_path / "pkg", version), version) as lms:
        got = drive(lms, calls)
        refused = lms.refused()
        state = lms.cmi_state(flattened=True)
    wanted = [("false" if code != "0" else "true", code) for _, _, code in refused_cases]
    wanted += [("true", "0")] * len(accepted_cases)
    assert got == wanted
    assert len(refused) == sum(code != "0" for _, _, code in refused_cases)
    assert all(r["reason"].startswith(r["element"]) for r in refused)
    # what was refused never reached the LMS's data
    location = "cmi.core.lesson_location" if version == "1.2" else "cmi.location"
    assert state[location] == "x" * (255 if version == "1.2" else 1000)


def test_scorm_again_alone_accepts_what_the_strict_layer_refuses(
        browser: Browser, tmp_path: Path) -> None:
    """Why the layer exists: scorm-again is lenient about these 1.2 values by design."""
    calls = [("cmi.suspend_data", "x" * 4097), ("cmi.interactions.0.id", "question 1"),
             ("cmi.interactions.0.type", "choice"),
             ("cmi.interactions.0.student_response", "c95e0ee")]
    package = idle_package(tmp_path / "pkg", "1.2")
    with LmsSession(browser, package, "1.2", strict=False) as lms:
        assert drive(lms, calls) == [("true", "0")] * 4
    with LmsSession(browser, package, "1.2") as lms:
        assert [code for _, code in drive(lms, calls)] == ["405", "405", "0", "405"]


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
