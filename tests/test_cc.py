"""IMS Common Cartridge: both cartridges valid against the official IMS CC schemas (XSD and
their Schematron rules), every quiz read back by an independent QTI 1.2 engine (pyslet),
the 1.1 cartridge read by Moodle's import rules, the package's files and paths."""

from __future__ import annotations

import posixpath
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from cxbook.model import ChoiceQuestion, FillInQuestion, NumericQuestion
from cxbook.readers.project import read_project
from cxbook.renderers.cc import accepted_texts, cartridge_profile
from cxbook.scoring import fill_in_correct

from conftest import PROJECTS, REPO, copy_project, run_cli
from support import moodle_cc
from support.cc_tools import Cartridge, read_cartridge, validate_cartridge, validate_xml
from support.qti_reader import read_quiz

CP = {"cp13": "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1",
      "cp11": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}


def build_cc(project: Path, out: Path) -> dict[str, Path]:
    result = run_cli("build", str(project), "-f", "cc", "--out", str(out), "--quiet")
    assert result.code == 0, result.err
    return {"1.3": next(out.glob("*[!1].imscc")), "1.1": next(out.glob("*-cc11.imscc"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    out = tmp_path_factory.mktemp("cc")
    found = {}
    for name, project in (("cartridge", PROJECTS / "cartridge"), ("default", REPO)):
        folder = out / name
        found[name] = build_cc(project if name == "cartridge" else _default(out), folder)
    return found


def _default(out: Path) -> Path:
    dest = out / "book"
    if not dest.exists():
        for name in ("manuscript", "course", "themes"):
            if (REPO / name).exists():
                shutil.copytree(REPO / name, dest / name)
    return dest


def _ns(cartridge: Cartridge) -> dict[str, str]:
    return {"cp": CP["cp13" if cartridge.version == "1.3" else "cp11"]}


@pytest.mark.parametrize("project", ["cartridge", "default"])
@pytest.mark.parametrize("version", ["1.3", "1.1"])
def test_every_xml_file_is_valid_against_the_ims_schemas(
        built: dict[str, dict[str, Path]], project: str, version: str) -> None:
    cartridge = read_cartridge(built[project][version])
    assert cartridge.version == version
    results = validate_cartridge(cartridge)
    kinds = {name.rsplit("-", 1)[-1] if name.endswith("quiz.xml") else
             etree.QName(etree.fromstring(cartridge.files[name])).localname
             for name in results}
    assert {"manifest", "quiz.xml", "topic"} <= kinds
    if project == "cartridge":
        assert "webLink" in kinds
    assert {name: errors for name, errors in results.items() if errors} == {}


def test_the_schemas_really_check(built: dict[str, dict[str, Path]]) -> None:
    for version in ("1.3", "1.1"):
        cartridge = read_cartridge(built["cartridge"][version])
        quiz = next(d for n, d in cartridge.files.items() if n.endswith("-quiz.xml"))
        # the embedded Schematron: a weighting outside 1..99 (RULE 2c)
        heavy = quiz.replace(b"<fieldentry>1</fieldentry>", b"<fieldentry>150</fieldentry>", 1)
        assert any("RULE 2c" in e for e in validate_xml(heavy, version))
        # the XSD: an element the profile does not have
        assert validate_xml(quiz.replace(b"<outcomes>", b"<outcomes><bogus/>", 1), version)
        manifest = cartridge.files["imsmanifest.xml"]
        assert validate_xml(manifest.replace(b"<schema>IMS Common Cartridge",
                                             b"<schema>IMS Content", 1), version)


@pytest.mark.parametrize("version", ["1.3", "1.1"])
def test_every_referenced_file_is_there_and_every_file_is_referenced(
        built: dict[str, dict[str, Path]], version: str) -> None:
    cartridge = read_cartridge(built["cartridge"][version])
    root, ns = cartridge.manifest, _ns(cartridge)
    referenced = set(root.xpath("//cp:resource/cp:file/@href", namespaces=ns))
    referenced |= set(root.xpath("//cp:resource/@href", namespaces=ns))
    names = set(cartridge.files)
    assert referenced <= names
    assert names - referenced == {"imsmanifest.xml"}
    identifiers = root.xpath("//@identifier")
    assert len(identifiers) == len(set(identifiers))
    assert set(root.xpath("//cp:item/@identifierref", namespaces=ns)) == set(
        root.xpath("//cp:resource/@identifier", namespaces=ns))
    for name in names | referenced:
        assert not name.startswith("/") and ".." not in name.split("/"), name
        assert re.fullmatch(r"[A-Za-z0-9._/-]+", name), name
    # what the pages link to and show is in the cartridge, by a relative path
    for name in names:
        if not name.endswith(".html"):
            continue
        page = html.fromstring(cartridge.files[name])
        for value in page.xpath("//img/@src | //a/@href"):
            if re.match(r"[a-z]+:", value):
                continue
            path = value.split("#")[0]
            assert ".." not in path.split("/") and not path.startswith("/"), (name, value)
            if path:
                assert posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) \
                    in names, (name, value)


def test_the_cartridges_are_reproducible(tmp_path: Path) -> None:
    first = build_cc(PROJECTS / "cartridge", tmp_path / "a")
    again = build_cc(PROJECTS / "cartridge", tmp_path / "b")
    for version in ("1.3", "1.1"):
        assert first[version].read_bytes() == again[version].read_bytes()
        with zipfile.ZipFile(first[version]) as archive:
            assert archive.namelist()[0] == "imsmanifest.xml"
            assert len({i.date_time for i in archive.infolist()}) == 1


def _quizzes(cartridge: Cartridge) -> dict[str, bytes]:
    return {n: d for n, d in cartridge.files.items() if n.endswith("-quiz.xml")}


@pytest.mark.parametrize("project", ["cartridge", "default"])
@pytest.mark.parametrize("version", ["1.3", "1.1"])
def test_an_independent_qti_reader_finds_every_right_answer(
        built: dict[str, dict[str, Path]], project: str, version: str, tmp_path: Path) -> None:
    """pyslet reads every item back; the selections that score 100 are exactly the right
    choices; every accepted text scores 100 (1.3) or is matched (1.1), and a wrong one 0."""
    source = PROJECTS / "cartridge" if project == "cartridge" else _default(tmp_path)
    model = read_project(source)
    expected = {q.id: q for q in model.course.quiz_items if cartridge_profile(q) is not None}
    cartridge = read_cartridge(built[project][version])
    seen = {}
    for data in _quizzes(cartridge).values():
        for item in read_quiz(data):
            seen[item.ident] = item
    assert set(seen) == set(expected)
    for ident, item in seen.items():
        question = expected[ident]
        assert item.question == " ".join(question.question.split())
        assert item.metadata == {"cc_profile": cartridge_profile(question),
                                 "cc_weighting": "1"}
        if isinstance(question, ChoiceQuestion):
            assert list(item.choices.values()) == [c.text for c in question.choices]
            idents = list(item.choices)
            assert item.right == [frozenset(idents[i] for i in question.correct)]
            assert item.multiple == question.multiple
            continue
        assert isinstance(question, FillInQuestion | NumericQuestion)
        assert item.kind == "text"
        assert item.accepted == accepted_texts(question)
        if isinstance(question, FillInQuestion):
            assert item.case_sensitive == question.case_sensitive
            assert all(fill_in_correct(question, text) for text in item.accepted)
        if version == "1.3" or len(item.accepted) == 1:
            assert all(item.score(text) == 100 for text in item.accepted)
        assert item.score("certainly not this") == 0


def test_moodle_reads_the_11_cartridge_as_written(built: dict[str, dict[str, Path]],
                                                  tmp_path: Path) -> None:
    cartridge = read_cartridge(built["cartridge"]["1.1"])
    manifest = cartridge.files["imsmanifest.xml"]
    assert moodle_cc.detects_cc11(manifest)
    assert not moodle_cc.detects_cc11(read_cartridge(built["cartridge"]["1.3"]).files[
        "imsmanifest.xml"])
    assert moodle_cc.course_title(manifest) == "Cartridge test course"
    sections = moodle_cc.sections(manifest)
    assert [s.title for s in sections] == ["1. Greeting Every Customer", "2. Replies & Promises",
                                           "Sources and permissions"]
    first = [(kind, title) for kind, title, _ in sections[0].modules]
    assert first == [
        ("resource", "1. Greeting Every Customer"),
        ("resource", "Original article: Greet them all"),
        ("forum", "Discussion: How many customers does your own desk greet in a day?"),
        ("forum", "Discussion: What is one idea from “Greeting Every Customer” that you "
                  "would use?"),
        ("resource", "Greeting drill"),
        ("quiz", "Check your understanding: Greeting Every Customer"),
    ]
    model = read_project(PROJECTS / "cartridge")
    questions = {q.id: q for q in model.course.quiz_items}
    read = [q for data in _quizzes(cartridge).values() for q in moodle_cc.questions(data)]
    assert len(read) == 6
    for q in read:
        item = questions[q.ident]
        assert q.error == "" and q.defaultgrade == 1
        assert q.general_feedback.strip() == (item.explanation or "")
        if isinstance(item, ChoiceQuestion):
            assert q.qtype == ("truefalse" if item.is_true_false else "multichoice")
            share = 1 / len(item.correct)
            assert [a.score for a in q.answers] == [
                pytest.approx(share) if i in item.correct else 0.0
                for i in range(len(item.choices))]
            assert [a.feedback.strip() for a in q.answers] == [
                c.feedback or "" for c in item.choices]
        else:
            assert isinstance(item, FillInQuestion | NumericQuestion)
            assert q.qtype == "shortanswer"
            assert [(a.text, a.score) for a in q.answers] == [
                (t, 1.0) for t in accepted_texts(item)]


def test_moodle_rules_catch_the_old_mistakes() -> None:
    """The rules the 1.1 cartridge is written for: a multiple-response condition without
    case="Yes" gives every choice 0 marks; true/false idents other than true/false fail."""
    item = b"""<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2">
    <assessment ident="a" title="t"><section ident="s"><item ident="q">
    <itemmetadata><qtimetadata><qtimetadatafield><fieldlabel>cc_profile</fieldlabel>
    <fieldentry>cc.multiple_response.v0p1</fieldentry></qtimetadatafield></qtimetadata>
    </itemmetadata><presentation><material><mattext>Q</mattext></material>
    <response_lid ident="r" rcardinality="Multiple"><render_choice>
    <response_label ident="a"><material><mattext>A</mattext></material></response_label>
    <response_label ident="b"><material><mattext>B</mattext></material></response_label>
    </render_choice></response_lid></presentation><resprocessing><respcondition>
    <conditionvar><and><varequal respident="r">a</varequal><not><varequal respident="r">b
    </varequal></not></and></conditionvar><setvar varname="SCORE">100</setvar>
    </respcondition></resprocessing></item></section></assessment></questestinterop>"""
    (q,) = moodle_cc.questions(item)
    assert [a.score for a in q.answers] == [0.0, 0.0]
    fixed = item.replace(b'respident="r">a<', b'respident="r" case="Yes">a<')
    (q,) = moodle_cc.questions(fixed)
    assert [a.score for a in q.answers] == [1.0, 0.0]


def test_pages_carry_the_chapter_its_credits_images_and_links(
        built: dict[str, dict[str, Path]]) -> None:
    cartridge = read_cartridge(built["cartridge"]["1.3"])
    page = html.fromstring(cartridge.files["ch-greeting.html"])
    text = " ".join(page.text_content().split())
    assert "By Grace Sample" in text
    assert "Republished with the author's permission from the original article." in text
    assert "Licence: CC BY 4.0" in text
    assert "Greet every customer first" in text  # the objectives
    assert "Customers remember how a conversation starts." in text  # the note
    (img,) = page.xpath("//img")
    assert img.get("src") == "media/images/chart-ete.png"
    assert img.get("alt") == "A bar chart of greetings rising over four quarters"
    link = page.xpath("//a[contains(., 'how replies are built')]")[0]
    assert link.get("href") == "ch-replies.html#ch-replies.parts-of-a-reply"
    assert "ch-replies.parts-of-a-reply" in cartridge.files["ch-replies.html"].decode()
    exercise = html.fromstring(cartridge.files["greeting-x-" + _hash(cartridge, "x") +
                                                ".html"])
    assert "three" in exercise.xpath("//strong/text()")
    assert "Ask which greeting felt natural" not in exercise.text_content()  # facilitator
    sources = " ".join(html.fromstring(cartridge.files["sources.html"]).text_content().split())
    assert "Written for this book." in sources and "The Service Journal" in sources
    (link_file,) = [n for n in cartridge.files if n.endswith("-source.xml")]
    assert b'href="https://example.com/articles/greet-them-all"' in cartridge.files[link_file]


def _hash(cartridge: Cartridge, kind: str) -> str:
    (name,) = [n for n in cartridge.files if re.fullmatch(rf"greeting-{kind}-[0-9a-f]+\.html",
                                                          n)]
    return name.rsplit("-", 1)[1].removesuffix(".html")


def test_questions_the_profile_cannot_hold_are_reported_where_they_are(tmp_path: Path) -> None:
    project = copy_project("cartridge", tmp_path)
    result = run_cli("check", str(project), "-f", "cc")
    assert result.code == 0
    lines = [line for line in result.err.splitlines() if "[cc.question-left-out]" in line]
    assert [line.split(": warning:")[0] for line in lines] == [
        "course/01-greeting.yaml:42:5", "course/02-replies.yaml:12:5",
        "course/02-replies.yaml:18:5"]
    assert "a numeric question that accepts a range of numbers" in lines[0]
    assert "a matching question" in lines[1] and "an ordering question" in lines[2]
    strict = run_cli("build", str(project), "-f", "cc", "--strict", "--out",
                     str(tmp_path / "out"))
    assert strict.code == 1 and not (tmp_path / "out").exists()
    (project / "course" / "02-replies.yaml").write_text(
        (project / "course" / "02-replies.yaml").read_text(encoding="utf-8")
        + "acknowledge: [cc.question-left-out]\n", encoding="utf-8")
    (project / "course" / "01-greeting.yaml").write_text(
        (project / "course" / "01-greeting.yaml").read_text(encoding="utf-8")
        .replace("range: [2, 3]", "answer: 2"), encoding="utf-8")
    again = run_cli("build", str(project), "-f", "cc", "--strict", "--out",
                    str(tmp_path / "out"))
    assert again.code == 0, again.err
