"""The cmi5 package: cmi5.xml against the cmi5 CourseStructure schema, the package's files,
and the course page in Chromium, launched by an LMS stand-in and tracked in a real LRS
(Ralph); the statements read back pass Learning Locker's xAPI validator and the cmi5
statement rules (support.cmi5_rules) in runs that pass, fail, resume, review, meet an LRS
that is down, and are closed inside the LMS frame."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree
from playwright.sync_api import Browser, Frame, Page

sys.path.insert(0, str(Path(__file__).resolve().parent))  # works with any pytest import mode

from cxbook.build import BuildOptions, check_formats, default_formats, load_renderer
from cxbook.diagnostics import CxbookError
from cxbook.model import Choice, ChoiceQuestion, Project
from cxbook.readers.project import read_project
from cxbook.renderers.cmi5 import CSP_CMI5, course_structure
from cxbook.renderers.scorm import interaction_id
from cxbook.scoring import course_score

from conftest import copy_project, run_cli
from support.answers import (
    expected_patterns,
    expected_response,
    interaction_type,
    right_pick,
    right_response,
    wrong_pick,
    wrong_response,
)
from support.cmi5_lms import Cmi5Lms, Launch, RalphLrs
from support.cmi5_rules import au_statements, problems, short
from support.lms_harness import JS_MODULES
from support.scorm_tools import Learner, extract

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "tests" / "schemas" / "cmi5" / "CourseStructure.xsd"
NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
WHEN = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
OPTIONS = BuildOptions(source_date=WHEN)
STATE_IDS = [f"https://w3id.org/xapi/cxbook/state/progress/{n}" for n in (0, 1)]


def validate_structure(xml: bytes) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(xml)
    return [] if schema.validate(doc) else [f"{e.line}: {e.message}" for e in schema.error_log]


def xapi_errors(statements: list[dict[str, Any]]) -> list[str]:
    """Learning Locker's xAPI validator (npm @learninglocker/xapi-validation) on each
    statement: one line per error."""
    script = Path(__file__).resolve().parent / "support" / "xapi_validate.js"
    done = subprocess.run(["node", str(script), str(JS_MODULES)], input=json.dumps(statements),
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    return [f"{short(s)} {s['id']}: {e}" for s, errors in zip(statements, report, strict=True)
            for e in errors]


# ----------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def project() -> Project:
    return read_project(REPO)


@pytest.fixture(scope="module")
def package(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default book's cmi5 package, unpacked (the zip beside it)."""
    out = tmp_path_factory.mktemp("cmi5")
    (file,) = load_renderer("cmi5").render(project, OPTIONS)
    path = out / file.name
    path.write_bytes(file.data)
    return extract(path, out / "package")


@pytest.fixture(scope="module")
def lrs() -> Iterator[RalphLrs]:
    server = RalphLrs()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def lms(package: Path, lrs: RalphLrs) -> Iterator[Cmi5Lms]:
    with Cmi5Lms(package, lrs) as stand_in:
        yield stand_in


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# ---------------------------------------------------------------- course structure


def test_course_structure_is_valid_with_one_au(package: Path, project: Project) -> None:
    xml = (package / "cmi5.xml").read_bytes()
    assert validate_structure(xml) == []
    root = etree.fromstring(xml)
    (au,) = root.findall("c:au", NS)
    assert au.get("moveOn") == "CompletedOrPassed" and au.get("masteryScore") == "0.8"
    assert au.findtext("c:url", namespaces=NS) == "index.html"
    assert au.get("id") != root.find("c:course", NS).get("id")
    langs = {el.get("lang") for el in root.iter("{*}langstring")}
    assert langs == {"en"}
    assert root.findtext("c:course/c:title/c:langstring", namespaces=NS) == project.course.title


def test_course_without_questions_moves_on_when_completed(tmp_path: Path) -> None:
    root = copy_project("scripts", tmp_path)
    for course_file in (root / "course").glob("*.yaml"):
        if course_file.name != "course.yaml":
            course_file.unlink()
    project = read_project(root)
    assert not project.course.quiz_items
    xml = course_structure(project).encode()
    assert validate_structure(xml) == []
    (au,) = etree.fromstring(xml).findall("c:au", NS)
    assert au.get("moveOn") == "Completed" and au.get("masteryScore") is None
    langs = {el.get("lang") for el in etree.fromstring(xml).iter("{*}langstring")}
    assert langs == {project.book.language}


def test_a_structure_the_schema_refuses_is_caught() -> None:
    """The schema check can fail: a moveOn the vocabulary lacks, an AU without a url."""
    bad = (b'<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">'
           b'<course id="urn:x:c"><title><langstring lang="en">t</langstring></title>'
           b'<description><langstring lang="en">d</langstring></description></course>'
           b'<au id="urn:x:a" moveOn="Visited"><title><langstring lang="en">t</langstring>'
           b'</title><description><langstring lang="en">d</langstring></description></au>'
           b"</courseStructure>")
    assert len(validate_structure(bad)) == 2


# ------------------------------------------------------------------ the package


def test_package_files_and_vendored_client(package: Path) -> None:
    zip_path = next(package.parent.glob("*-cmi5.zip"))
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert names[:2] == ["cmi5.xml", "index.html"]
    assert {"cxbook/player.js", "cxbook/track-cmi5.js", "cxbook/track-local.js",
            "cxbook/cmi5.umd.js", "cxbook/cmi5.LICENSE.txt", "cxbook/course-data.json"} <= set(
        names)
    assert "cxbook/scorm-api.js" not in names and "imsmanifest.xml" not in names
    # the vendored client is the published build of the npm package, unchanged
    published = JS_MODULES / "@xapi" / "cmi5" / "dist" / "Cmi5.umd.js"
    vendored = (package / "cxbook" / "cmi5.umd.js").read_bytes()
    assert vendored == published.read_bytes()
    licence = (package / "cxbook" / "cmi5.LICENSE.txt").read_text(encoding="utf-8")
    assert hashlib.sha256(vendored).hexdigest() in licence
    version = json.loads((published.parents[1] / "package.json").read_text())["version"]
    assert f"@xapi/cmi5 {version}" in licence
    page = lxml.html.parse(str(package / "index.html")).getroot()
    (policy,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert policy == CSP_CMI5 and "connect-src 'self' https:;" in policy
    assert page.get_element_by_id("cx-main").get("data-cx-tracking") == "cmi5 local"


def test_rebuild_is_byte_identical_and_cmi5_is_built_when_named(project: Project,
                                                                tmp_path: Path) -> None:
    (first,) = load_renderer("cmi5").render(project, OPTIONS)
    (second,) = load_renderer("cmi5").render(project, OPTIONS)
    assert first.data == second.data and first.name == "service-matters-cmi5.zip"
    assert "cmi5" not in default_formats(project)
    result = run_cli("build", str(REPO), "-f", "cmi5", "--out", str(tmp_path), "--quiet")
    assert result.code == 0, result.err
    assert [p.name for p in tmp_path.iterdir()] == ["service-matters-cmi5.zip"]


def test_choice_limit_is_a_located_error(project: Project) -> None:
    from dataclasses import replace

    first = project.course.activities[0]
    many = ChoiceQuestion("many", "Which?", tuple(Choice(f"c{i}", f"Choice {i}") for i in
                                                 range(49)), (0,), None, first.quiz[0].location)
    course = replace(project.course, activities=(replace(first, quiz=(many,)),
                                                 *project.course.activities[1:]))
    found = check_formats(replace(project, course=course), ["cmi5"])
    assert [d.code for d in found] == ["cmi5.too-many-choices"]
    assert "at most 48 choices" in found[0].message
    with pytest.raises(CxbookError):
        load_renderer("cmi5").render(replace(project, course=course), OPTIONS)


# ----------------------------------------------------------- browser: the learner


def open_au(page: Page, launch: Launch) -> Learner:
    page.goto(launch.frame_url)
    frame = au_frame(page)
    learner = Learner(frame)
    learner.wait_ready()
    frame.wait_for_function("() => window.cxcourse.current.ready")
    return learner


def au_frame(page: Page) -> Frame:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "/content/index.html" in frame.url:
                return frame
        page.wait_for_timeout(50)
    raise AssertionError("the AU frame did not load")


def tracked_by(learner: Learner) -> str:
    learner.frame.wait_for_function("() => window.cxcourse.current.ready")
    return str(learner.frame.evaluate(
        "() => window.cxcourse.current.adapter && "
        "window.cxcourse.current.adapter.constructor.name"))


def close_frame(page: Page, *, remove: bool = False) -> None:
    """The LMS closes the AU's frame: navigated away, or removed from the page."""
    if remove:
        page.evaluate("document.getElementById('au').remove()")
    else:
        page.evaluate("document.getElementById('au').src = 'about:blank'")


def wait_for(lms: Cmi5Lms, launch: Launch, verb: str, count: int = 1,
             timeout: float = 15) -> list[dict[str, Any]]:
    """The registration's statements once ``count`` of them have ``verb`` in the LRS."""
    deadline = time.monotonic() + timeout
    while True:
        found = lms.statements(launch.registration)
        if sum(short(s) == verb for s in found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def settle(lms: Cmi5Lms, quiet: float = 0.5, timeout: float = 15) -> None:
    """Wait until the LMS's services had no request for ``quiet`` seconds: what the page
    sent as it went has landed (the next launch reads the state it wrote)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = max((r["t"] for r in lms.requests()), default=0.0)
        if time.monotonic() - last >= quiet:
            return
        time.sleep(0.1)


def walk(learner: Learner, project: Project, answers: dict[str, Any],
         stop_after: int | None = None) -> None:
    """Every chapter in order with "Next", answering each chapter's quiz."""
    for ch in project.chapters:
        assert learner.heading() == ch.title
        quiz = project.course.for_chapter(ch.stem).quiz
        picks = {q.id: answers[q.id] for q in quiz if q.id in answers}
        if picks:
            learner.answer_visible_quiz(picks)
        if stop_after == ch.number:
            return
        learner.next()


def verified(lms: Cmi5Lms, launches: list[Launch], statements: list[dict[str, Any]]) -> None:
    assert xapi_errors(statements) == []
    assert problems(statements, launches) == [], [
        (r["method"], r["path"], r["status"]) for r in lms.requests("/xapi/")
        if r["method"] != "OPTIONS"]
    assert lms.refused() == []


def test_a_learner_who_passes(page: Page, lms: Cmi5Lms, project: Project) -> None:
    launch = lms.launch()
    learner = open_au(page, launch)
    assert tracked_by(learner) == "Cmi5Adapter"
    walk(learner, project, {q.id: right_pick(q) for q in project.course.quiz_items})
    close_frame(page)
    statements = wait_for(lms, launch, "terminated")
    settle(lms)
    verified(lms, [launch], statements)
    mine = au_statements(statements)
    verbs = [short(s) for s in mine]
    items = project.course.quiz_items
    assert verbs[0] == "initialized" and verbs[-1] == "terminated"
    assert verbs.count("answered") == len(items)
    assert verbs.count("completed") == 1 and verbs.count("passed") == 1
    assert "failed" not in verbs
    passed = next(s for s in mine if short(s) == "passed")
    assert passed["result"]["score"] == {"scaled": 1, "raw": 100, "min": 0, "max": 100}
    by_object = {s["object"]["id"]: s for s in mine if short(s) == "answered"}
    for q in items:
        chapter = next(ch.slug for ch in project.chapters
                       if q in project.course.for_chapter(ch.stem).quiz)
        s = by_object[f"{launch.activity_id}/test/{chapter}/question/{interaction_id(q.id)}"]
        definition = s["object"]["definition"]
        assert definition["interactionType"] == interaction_type(q)
        assert definition["correctResponsesPattern"] == expected_patterns(q, "2004")
        assert s["result"] == {"response": expected_response(q, right_response(q), "2004"),
                               "success": True}
        assert definition["description"] == {"en": " ".join(q.question.split())}
    # the launch: fetch once, the launch data and the learner preferences read
    assert [r["method"] for r in lms.requests("/fetch/")] == ["POST"]
    states = [r for r in lms.requests("/xapi/activities/state") if r["method"] == "GET"]
    assert states[0]["query"]["stateId"] == "LMS.LaunchData"
    assert [r["status"] for r in lms.requests("/xapi/agents/profile")
            if r["method"] == "GET"] == [200]
    saved = max((lms.document(launch, i) for i in STATE_IDS), key=lambda d: d["seq"])
    assert saved["sent"] == {"completed": True, "passed": True}
    assert saved["location"] == "page-sources"


def test_a_learner_who_fails(page: Page, lms: Cmi5Lms, project: Project) -> None:
    answers, ids = {}, {}
    for ch in project.chapters:
        for q in project.course.for_chapter(ch.stem).quiz:
            good = ch.number <= 3
            answers[q.id] = right_pick(q) if good else wrong_pick(q)
            ids[q.id] = right_response(q) if good else wrong_response(q)
    assert course_score(project.course, ids) == 60
    launch = lms.launch()
    learner = open_au(page, launch)
    walk(learner, project, answers)
    close_frame(page, remove=True)  # the LMS removes the frame: terminated still arrives
    statements = wait_for(lms, launch, "terminated")
    settle(lms)
    verified(lms, [launch], statements)
    mine = au_statements(statements)
    verbs = [short(s) for s in mine]
    assert verbs.count("completed") == 1 and verbs.count("failed") == 1
    assert "passed" not in verbs
    assert verbs[-2:] == ["failed", "terminated"]
    failed = next(s for s in mine if short(s) == "failed")
    assert failed["result"]["score"]["scaled"] == 0.6 and failed["result"]["success"] is False
    assert sum(s["result"]["success"] is False for s in mine if short(s) == "answered") == 12


def test_a_learner_who_leaves_and_resumes(page: Page, lms: Cmi5Lms, project: Project) -> None:
    answers = {q.id: right_pick(q) for q in project.course.quiz_items}
    first = lms.launch()
    learner = open_au(page, first)
    walk(learner, project, answers, stop_after=2)
    close_frame(page)
    wait_for(lms, first, "terminated")
    settle(lms)
    second = lms.launch(registration=first.registration)
    learner = open_au(page, second)
    assert learner.heading() == project.chapters[1].title  # where the learner left
    chapter_one = project.course.for_chapter(project.chapters[0].stem).quiz
    assert learner.frame.locator("#cx-status").inner_text().startswith("2 of 5 chapters")
    for q in chapter_one:
        assert q.id in learner.frame.evaluate("Object.keys(window.cxcourse.current.state"
                                              ".answers)")
    learner.next()
    for ch in project.chapters[2:]:
        quiz = project.course.for_chapter(ch.stem).quiz
        learner.answer_visible_quiz({q.id: answers[q.id] for q in quiz})
        learner.next()
    close_frame(page)
    statements = wait_for(lms, second, "terminated", count=2)
    settle(lms)
    verified(lms, [first, second], statements)
    sessions = {}
    for s in au_statements(statements):
        sessions.setdefault(s["context"]["extensions"][
            "https://w3id.org/xapi/cmi5/context/extensions/sessionid"], []).append(short(s))
    assert "completed" not in sessions[first.session]
    assert sessions[second.session].count("completed") == 1
    assert sessions[second.session].count("passed") == 1
    # a third launch of the finished registration sends neither again
    third = lms.launch(registration=first.registration)
    open_au(page, third)
    wait_for(lms, third, "initialized", count=3)
    close_frame(page)
    statements = wait_for(lms, third, "terminated", count=3)
    verified(lms, [first, second, third], statements)


@pytest.mark.parametrize("mode", ["Review", "Browse"])
def test_review_and_browse_launches_send_initialized_and_terminated_only(
        page: Page, lms: Cmi5Lms, project: Project, mode: str) -> None:
    answers = {q.id: right_pick(q) for q in project.course.quiz_items}
    first = lms.launch()
    walk(open_au(page, first), project, answers)
    close_frame(page)
    wait_for(lms, first, "terminated")
    settle(lms)
    again = lms.launch(registration=first.registration, mode=mode)
    learner = open_au(page, again)
    assert learner.frame.locator("#cx-main").get_attribute("data-cx-mode") == "review"
    assert learner.frame.locator("input:not([disabled])").count() == 0
    assert learner.heading() == "Sources and permissions"  # where the learner left
    learner.previous()
    close_frame(page)
    statements = wait_for(lms, again, "terminated", count=2)
    verified(lms, [first, again], statements)
    session = [short(s) for s in au_statements(statements)
               if s["context"]["extensions"][
                   "https://w3id.org/xapi/cmi5/context/extensions/sessionid"] == again.session]
    assert session == ["initialized", "terminated"]


def test_an_lrs_that_is_down_shows_a_notice_and_gets_the_statements_later(
        page: Page, lms: Cmi5Lms, project: Project) -> None:
    launch = lms.launch()
    learner = open_au(page, launch)
    notice = learner.frame.locator("#cx-notice")
    wait_for(lms, launch, "initialized")
    lms.set_outage(True)
    first = project.course.for_chapter(project.chapters[0].stem).quiz
    learner.answer_visible_quiz({q.id: right_pick(q) for q in first})
    notice.wait_for(state="visible")
    assert "will be sent again" in notice.inner_text()
    assert learner.heading() == project.chapters[0].title  # the page goes on
    learner.next()
    assert learner.heading() == project.chapters[1].title
    assert [r for r in lms.requests("/xapi/") if r["status"] == 503]
    lms.set_outage(False)
    notice.wait_for(state="hidden", timeout=40_000)
    statements = wait_for(lms, launch, "answered", count=len(first))
    assert sum(short(s) == "answered" for s in statements) == len(first)
    close_frame(page)
    statements = wait_for(lms, launch, "terminated")
    settle(lms)
    verified(lms, [launch], statements)


def test_exit_returns_to_the_lms(page: Page, lms: Cmi5Lms) -> None:
    launch = lms.launch()
    learner = open_au(page, launch)
    learner.frame.get_by_role("button", name="Exit", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('iframe')].some(f => "
        "f.contentWindow.location.pathname === '/lms/returned.html')")
    statements = wait_for(lms, launch, "terminated")
    settle(lms)
    verified(lms, [launch], statements)


def test_the_policy_allows_the_endpoint_and_refuses_other_origins(
        page: Page, lms: Cmi5Lms, lrs: RalphLrs) -> None:
    launch = lms.launch()
    learner = open_au(page, launch)
    probe = """async (url) => {
      const refused = new Promise((resolve) => document.addEventListener(
        'securitypolicyviolation', (e) => { if (e.blockedURI.startsWith(url)) resolve('csp'); }));
      const sent = fetch(url, {method: 'GET', headers: {'X-Experience-API-Version': '1.0.3'}})
        .then((r) => 'status ' + r.status, () => 'failed');
      const first = await Promise.race([refused, sent]);
      return first === 'csp' ? first : (await Promise.race([refused,
        new Promise((r) => setTimeout(() => r(first), 300))]));
    }"""
    assert learner.frame.evaluate(probe, lms.endpoint + "about").startswith("status")
    other = lms.services_origin.replace("127.0.0.1", "localhost")  # another https origin
    assert learner.frame.evaluate(probe, other + "/xapi/about") == "csp"
    assert learner.frame.evaluate(probe, lrs.base + "about") == "csp"  # plain http elsewhere
    close_frame(page)
    wait_for(lms, launch, "terminated")


def test_a_launch_without_cmi5_parameters_runs_standalone(page: Page, lms: Cmi5Lms,
                                                         project: Project) -> None:
    page.goto(f"{lms.content_origin}/content/index.html")
    learner = Learner(page.main_frame)
    learner.wait_ready()
    assert tracked_by(learner) == "Local"
    learner.next()
    assert learner.heading() == project.chapters[1].title
    assert lms.requests() == []


def test_an_lms_that_cannot_be_reached_leaves_a_working_page(page: Page, lms: Cmi5Lms,
                                                            project: Project) -> None:
    launch = lms.launch()
    # the one-time fetch URL was used already: the LMS answers with error code 1 (8.2.3)
    page.request.post(f"{lms.services_origin}/fetch/{launch.fetch_key}")
    page.goto(launch.frame_url)
    learner = Learner(au_frame(page))
    learner.wait_ready()
    assert tracked_by(learner) == "Local"
    notice = learner.frame.locator("#cx-notice")
    assert "nothing you do here is recorded" in notice.inner_text()
    learner.next()
    assert learner.heading() == project.chapters[1].title


def test_answer_formats_read_back_from_the_zip(package: Path, project: Project) -> None:
    """course-data.json carries each item's xAPI definition for the adapter."""
    data = json.loads((package / "cxbook" / "course-data.json").read_bytes())
    assert data["tracking"] == "cmi5" and "suspendLimit" not in data
    for q in project.course.quiz_items:
        definition = data["items"][q.id]["definition"]
        assert definition["correctResponsesPattern"] == expected_patterns(q, "2004")

