"""`cxbook draft-course`: drafts from each chapter's own structure, valid, never overwriting."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pytest
import yaml

from cxbook.draft import _write_new, chapter_structure
from cxbook.readers import read_project

from conftest import run_cli

STEMS = [
    "01-positive-service-experiences",
    "02-worry-less-do-more",
    "03-change-manifestos",
    "04-five-factors",
    "05-clarity-and-optimism",
]
POINTS = {
    "01-positive-service-experiences": ["Hope for change", "Difficult things need change",
                                        "People need to change", "Change to be like others"],
    "03-change-manifestos": [
        "The Finch Effect: How Adaptability Will Customer Service Experience",
        "Be the Best Customer Service Communicator in the World",
        "Shine: Customer Service Brain Science, Practical Customer Psychology, and the Cycle "
        "of Excellence",
        "How To Be Creative"],
    "04-five-factors": ["Context", "Culture", "Caring", "Clean", "Communications"],
    "05-clarity-and-optimism": [
        "Develop a customer service purpose statement",
        "Make the atmosphere of your organisation service friendly",
        "Find a point of difference for your organisation",
        "Allow creativity to flourish"],
}


def _without_chapter_courses(project: Path) -> Path:
    for stem in STEMS:
        (project / "course" / f"{stem}.yaml").unlink()
    return project


@pytest.fixture
def drafted(default_project_copy: Path) -> Path:
    project = _without_chapter_courses(default_project_copy)
    result = run_cli("draft-course", str(project))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "wrote course/01-positive-service-experiences.yaml (draft: 2 objectives, 5 discussion "
        "prompts, 2 exercises, 3 quiz items)",
        "wrote course/02-worry-less-do-more.yaml (draft: 3 objectives, 3 discussion prompts, "
        "1 exercise, no quiz items (add your own))",
        "wrote course/03-change-manifestos.yaml (draft: 3 objectives, 5 discussion prompts, "
        "2 exercises, 3 quiz items)",
        "wrote course/04-five-factors.yaml (draft: 2 objectives, 5 discussion prompts, "
        "3 exercises, 3 quiz items)",
        "wrote course/05-clarity-and-optimism.yaml (draft: 2 objectives, 5 discussion "
        "prompts, 2 exercises, 3 quiz items)",
    ]
    return project


def _load(project: Path, stem: str) -> dict[str, object]:
    data = yaml.safe_load((project / "course" / f"{stem}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _chapter_text(project: Path, stem: str) -> str:
    ch = next(c for c in read_project(project).chapters if c.stem == stem)
    root = lxml.html.fragment_fromstring(ch.body_html, create_parent="div")
    return " ".join(root.text_content().split())


def test_drafts_are_marked_and_pass_check(drafted: Path) -> None:
    for stem in STEMS:
        text = (drafted / "course" / f"{stem}.yaml").read_text(encoding="utf-8")
        assert text.startswith("# DRAFT course file for chapter ")
        assert "Edit every item" in text
    result = run_cli("check", str(drafted))
    assert result.code == 0, result.err
    assert "course/" not in result.err
    project = read_project(drafted)
    for stem in STEMS:
        acts = project.course.for_chapter(stem)
        assert acts.location is not None and acts.location.path == f"course/{stem}.yaml"
        assert 2 <= len(acts.objectives) <= 4
        assert 3 <= len([d for d in acts.discussion if not d.generated]) <= 5
        own = [e for e in acts.exercises if not e.generated]
        assert 1 <= len(own) <= 3 and len({e.kind for e in own}) == len(own)
        assert all(e.minutes and e.debrief_html for e in own)


def test_prompts_come_from_the_chapters_headings_and_points(drafted: Path) -> None:
    project = read_project(drafted)
    for ch in project.chapters:
        data = _load(drafted, ch.stem)
        discussion = data["discussion"]
        assert isinstance(discussion, list)
        prompts = " ".join(str(d) for d in discussion)
        everything = (drafted / "course" / f"{ch.stem}.yaml").read_text(encoding="utf-8")
        if ch.stem in POINTS:
            listed = "; ".join(POINTS[ch.stem])
            assert f"points: {listed}." in prompts or f"”: {listed}." in prompts, ch.stem
        for h in ch.headings:
            text = re.sub(r"^#?\d+\.\s*", "", h.text).rstrip(".")
            assert text in everything, (ch.stem, h.text)
        # every quotation in a prompt is the chapter's own text (or one of its headings)
        body = _chapter_text(drafted, ch.stem)
        headings = {h.text for h in ch.headings} | set(POINTS.get(ch.stem, []))
        for prompt in discussion:
            spans = re.findall(r"“([^”]+)”", str(prompt))
            assert spans or "; ".join(POINTS[ch.stem]) in str(prompt), prompt
            for span in spans:
                assert span in headings or span.rstrip("…") in body, (ch.stem, span)


def test_sections_lists_and_quotations_become_prompts(drafted: Path) -> None:
    ch1 = " ".join(str(d) for d in _load(drafted, STEMS[0])["discussion"])  # type: ignore[union-attr]
    assert ("The chapter quotes: “Everything you will ever do as a leader is based on one "
            "audacious assumption. It’s the assumption that you matter.” (Kouzes and Posner, "
            "The Truth About Leadership)") in ch1
    assert "Under “What You Believe Matters” the chapter says: “Belief in your mission is " \
           "critical to future success.”" in ch1
    ch2 = _load(drafted, STEMS[1])["discussion"]
    assert [re.findall(r"^Under “([^”]+)”", str(d))[0] for d in ch2] == [  # type: ignore[union-attr]
        "Stop worrying about customer service",
        "Create an atmosphere for great customer service",
        "Be realistic with customer service expectations",
    ]
    ch4 = " ".join(str(d) for d in _load(drafted, STEMS[3])["discussion"])  # type: ignore[union-attr]
    assert "The chapter gives a list under “#5. Communications”, starting with “Build a " \
           "Service Strategy”. Which of its 5 items" in ch4
    exercises = _load(drafted, STEMS[3])["exercises"]
    assert [e["kind"] for e in exercises] == ["group", "action-plan", "reflection"]  # type: ignore[index,union-attr]
    assert ("- Eradicate (or change] the policies and rules that customers say annoy "
            "them.") in exercises[1]["instructions"]  # type: ignore[index]


def test_quiz_answers_are_the_chapters_numbered_points(drafted: Path) -> None:
    project = read_project(drafted)
    all_points = {p for pts in POINTS.values() for p in pts}
    for stem, points in POINTS.items():
        quiz = project.course.for_chapter(stem).quiz
        assert len(quiz) == 3
        one, some, not_one = quiz
        assert one.question.startswith("Which of these is one of the points the chapter lists")
        assert [c.text for c in one.correct_choices] == [points[0]]
        assert some.multiple and [c.text for c in some.correct_choices] == sorted(
            points[1:3], key=[c.text for c in some.choices].index)
        assert "NOT" in not_one.question
        wrong = not_one.correct_choices[0].text
        assert wrong not in points and wrong in all_points
        for q in quiz:
            for c in q.choices:
                is_point = c.text in points
                assert is_point == (c in q.correct_choices) or q is not_one
                assert c.text in all_points or c.text in {
                    "What You Believe Matters", "Now your turn"} or "customer service" in c.text
            assert q.explanation == ("The points the chapter lists"
                                     + (" under “4 Myths of Customer Service Change”"
                                        if stem == STEMS[0] else
                                        " under “4 Manifestos to change the world of customer"
                                        " service from the inside out”"
                                        if stem == STEMS[2] else "")
                                     + " are: " + "; ".join(points) + ".")
    ch2 = (drafted / "course" / f"{STEMS[1]}.yaml").read_text(encoding="utf-8")
    assert "quiz" not in _load(drafted, STEMS[1])
    assert "# No quiz items were drafted" in ch2


def test_never_overwrites(drafted: Path) -> None:
    before = {s: (drafted / "course" / f"{s}.yaml").read_bytes() for s in STEMS}
    (drafted / "course" / f"{STEMS[0]}.yaml").write_text("discussion: [Mine]\n",
                                                         encoding="utf-8")
    result = run_cli("draft-course", str(drafted))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [f"skipped course/{s}.yaml: exists" for s in STEMS]
    assert (drafted / "course" / f"{STEMS[0]}.yaml").read_text() == "discussion: [Mine]\n"
    for s in STEMS[1:]:
        assert (drafted / "course" / f"{s}.yaml").read_bytes() == before[s]
    assert not [p for p in (drafted / "course").iterdir() if p.name.startswith(".")]


def test_write_new_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "course" / "x.yaml"
    assert _write_new(target, "a: 1\n")
    assert not _write_new(target, "a: 2\n")
    assert target.read_text() == "a: 1\n"
    assert [p.name for p in target.parent.iterdir()] == ["x.yaml"]


def test_one_chapter_and_existing_yml(default_project_copy: Path) -> None:
    project = _without_chapter_courses(default_project_copy)
    (project / "course" / f"{STEMS[1]}.yml").write_text("discussion: [Mine]\n",
                                                        encoding="utf-8")
    result = run_cli("draft-course", str(project), "--chapter", STEMS[3], "--chapter",
                     STEMS[1])
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"skipped course/{STEMS[1]}.yml: exists",
        f"wrote course/{STEMS[3]}.yaml (draft: 2 objectives, 5 discussion prompts, "
        "3 exercises, 3 quiz items)",
    ]
    assert sorted(p.name for p in (project / "course").iterdir()) == [
        f"{STEMS[1]}.yml", f"{STEMS[3]}.yaml", "course.yaml"]
    bad = run_cli("draft-course", str(project), "--chapter", "04-five-factor")
    assert bad.code == 2 and "no chapter '04-five-factor' (did you mean '04-five-factors'?)" \
        in bad.err


def test_without_a_course_folder_and_deterministic(default_project_copy: Path,
                                                   tmp_path: Path) -> None:
    shutil.rmtree(default_project_copy / "course")
    other = tmp_path / "other"
    shutil.copytree(default_project_copy, other)
    for project in (default_project_copy, other):
        assert run_cli("draft-course", str(project)).code == 0
    for stem in STEMS:
        assert (default_project_copy / "course" / f"{stem}.yaml").read_bytes() == (
            other / "course" / f"{stem}.yaml").read_bytes()
    assert run_cli("check", str(other)).code == 0


def test_braces_in_chapter_text_stay_literal(default_project_copy: Path) -> None:
    project = _without_chapter_courses(default_project_copy)
    chapter = project / "manuscript" / f"{STEMS[1]}.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Stop worrying about customer service", "## Stop worrying about {customer} service"),
        encoding="utf-8")
    assert run_cli("draft-course", str(project), "--chapter", STEMS[1]).code == 0
    assert run_cli("check", str(project)).code == 0
    acts = read_project(project).course.for_chapter(STEMS[1])
    assert acts.discussion[0].text.startswith("Under “Stop worrying about {customer} service”")


def test_structure_reads_ordered_lists_and_quotes() -> None:
    from dataclasses import replace

    project = read_project(Path(__file__).resolve().parents[1])
    ch = replace(project.chapters[1], headings=(), body_html=(
        "<h2 id='x'>Steps</h2><p>First. Then more.</p>"
        "<ol><li>Listen.</li><li>Act.</li><li>Learn.</li></ol>"
        "<blockquote><p>“Quoted words.”</p><p>— Someone</p></blockquote>"))
    s = chapter_structure(ch)
    assert [(p.parent, p.items) for p in s.points] == [("Steps", ["Listen", "Act", "Learn"])]
    assert s.quotes == [("Quoted words.", "Someone")]
    assert [(x.heading, x.first_sentence) for x in s.sections] == [("Steps", "First.")]
