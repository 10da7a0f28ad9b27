"""`cxbook draft-course`: drafts from each chapter's own structure, worded for any subject,
valid, marked as drafts until a trainer has checked them, never overwriting."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pytest
import yaml

from cxbook.draft import _write_new, chapter_structure, sentences
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
DRAFT_WARNING = ("warning: this course file is still marked as a draft ('# DRAFT' comment "
                 "written by 'cxbook draft-course'); check every item against the chapter, "
                 "then delete the comment [course.draft]")


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
        "prompts, 2 exercises, 2 quiz items)",
        "wrote course/02-worry-less-do-more.yaml (draft: 3 objectives, 4 discussion prompts, "
        "1 exercise, 2 quiz items)",
        "wrote course/03-change-manifestos.yaml (draft: 3 objectives, 5 discussion prompts, "
        "2 exercises, 2 quiz items)",
        "wrote course/04-five-factors.yaml (draft: 2 objectives, 5 discussion prompts, "
        "3 exercises, 3 quiz items)",
        "wrote course/05-clarity-and-optimism.yaml (draft: 2 objectives, 5 discussion "
        "prompts, 2 exercises, 2 quiz items)",
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


def _chapter_words(project: Path, stem: str) -> str:
    ch = next(c for c in read_project(project).chapters if c.stem == stem)
    return _chapter_text(project, stem) + " " + " ".join(h.text for h in ch.headings)


def test_drafts_are_marked_and_pass_check_with_a_warning_each(drafted: Path) -> None:
    for stem in STEMS:
        text = (drafted / "course" / f"{stem}.yaml").read_text(encoding="utf-8")
        assert text.startswith("# DRAFT course file for chapter ")
        assert "Edit every item" in text
    result = run_cli("check", str(drafted))
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        *(f"course/{stem}.yaml:1:1: {DRAFT_WARNING}" for stem in STEMS),
        "11 acknowledged warnings: chapter.no-author ×3, chapter.no-notice ×4, "
        "chapter.no-source ×4",
        "cxbook check: ok (5 warnings)",
    ]
    assert run_cli("check", str(drafted), "--strict").code == 1
    project = read_project(drafted)
    for stem in STEMS:
        acts = project.course.for_chapter(stem)
        assert acts.location is not None and acts.location.path == f"course/{stem}.yaml"
        assert 2 <= len(acts.objectives) <= 4
        assert 3 <= len([d for d in acts.discussion if not d.generated]) <= 5
        own = [e for e in acts.exercises if not e.generated]
        assert 1 <= len(own) <= 3 and len({e.kind for e in own}) == len(own)
        assert all(e.minutes and e.debrief_html for e in own)


def test_the_draft_warning_goes_once_the_header_is_deleted(drafted: Path) -> None:
    for stem in STEMS:
        path = drafted / "course" / f"{stem}.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.split("\n\n", 1)[1], encoding="utf-8")  # the comment block
    result = run_cli("check", str(drafted), "--strict")
    assert (result.code, result.err.splitlines()[-1]) == (0, "cxbook check: ok (no problems)")
    # the marker anywhere in the leading comment counts; elsewhere it is just a comment
    path = drafted / "course" / f"{STEMS[0]}.yaml"
    body = path.read_text(encoding="utf-8")
    path.write_text("# Checked by Sam.\n# DRAFT notes below\n" + body, encoding="utf-8")
    assert f"course/{STEMS[0]}.yaml:2:1: {DRAFT_WARNING}" in run_cli("check", str(drafted)).err
    path.write_text(body + "\n# DRAFT notes for next year\n", encoding="utf-8")
    assert "course.draft" not in run_cli("check", str(drafted)).err


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


def test_sections_lists_questions_and_quotations_become_prompts(drafted: Path) -> None:
    ch1 = " ".join(str(d) for d in _load(drafted, STEMS[0])["discussion"])  # type: ignore[union-attr]
    assert ("The chapter quotes: “Everything you will ever do as a leader is based on one "
            "audacious assumption. It’s the assumption that you matter.” (Kouzes and Posner, "
            "The Truth About Leadership) Do you agree? What would it change in your own "
            "work?") in ch1
    assert "Under “What You Believe Matters” the chapter says: “Belief in your mission is " \
           "critical to future success.” Do you agree?" in ch1
    ch2 = [str(d) for d in _load(drafted, STEMS[1])["discussion"]]  # type: ignore[union-attr]
    assert [re.findall(r"^Under “([^”]+)”", d)[0] for d in ch2[:3]] == [
        "Stop worrying about customer service",
        "Create an atmosphere for great customer service",
        "Be realistic with customer service expectations",
    ]
    assert ch2[3] == ("The chapter asks: “Are we going over the top with our customers?” How "
                      "would you answer it for your own team, and why?")
    ch4 = " ".join(str(d) for d in _load(drafted, STEMS[3])["discussion"])  # type: ignore[union-attr]
    assert "The chapter gives a list under “#5. Communications”, starting with “Build a " \
           "Service Strategy”. Which of its 5 items" in ch4
    exercises = _load(drafted, STEMS[3])["exercises"]
    assert [e["kind"] for e in exercises] == ["group", "action-plan", "reflection"]  # type: ignore[index,union-attr]
    assert ("- Eradicate (or change] the policies and rules that customers say annoy "
            "them.") in exercises[1]["instructions"]  # type: ignore[index]


def test_prompts_assume_no_subject(drafted: Path) -> None:
    """The book is about customer service; the draft's own words never say so: only what it
    quotes or names from the chapter (its statements, headings, points and list items)."""
    project = read_project(drafted)
    for ch in project.chapters:
        text = (drafted / "course" / f"{ch.stem}.yaml").read_text(encoding="utf-8")
        quoted = {h.text for h in ch.headings} | set(POINTS.get(ch.stem, []))
        quoted |= {p.rstrip(".") for _, items in chapter_structure(ch).lists for p in items}
        for q in read_project(drafted).course.for_chapter(ch.stem).quiz:
            quoted |= {c.text for c in q.choices}
        words = text
        for name in sorted(quoted, key=len, reverse=True):
            words = words.replace(name, "")
        words = re.sub(r"“[^”]*”", "", words)
        assert "customer" not in words.lower(), (ch.stem, words)
        assert " serve " not in words.lower(), (ch.stem, words)


def test_quiz_wrong_choices_come_from_the_same_chapter(drafted: Path) -> None:
    project = read_project(drafted)
    for ch in project.chapters:
        own = _chapter_words(drafted, ch.stem)
        quiz = project.course.for_chapter(ch.stem).quiz
        assert quiz, ch.stem
        for q in quiz:
            assert len(q.choices) >= 3
            for c in q.choices:
                assert c.text.rstrip(".") in own, (ch.stem, c.text)
            assert "The other choices are" in (q.explanation or "") or "heading" in \
                q.question or "points the chapter lists" in q.question


def test_point_items_ask_about_the_chapters_numbered_points(drafted: Path) -> None:
    quiz = read_project(drafted).course.for_chapter(STEMS[3]).quiz
    points = POINTS[STEMS[3]]
    one, some, not_one = quiz
    assert one.question == "Which of these is one of the 5 points the chapter lists?"
    assert [c.text for c in one.correct_choices] == [points[0]]
    assert sorted(c.text for c in one.choices if c not in one.correct_choices) == [
        "Build a Service Strategy", "Communicate in “customer-ese” language",
        "Create a Say YES! culture"]
    assert some.multiple and [c.text for c in some.correct_choices] == ["Culture", "Caring"]
    assert not_one.question == "Which of these is NOT one of the points the chapter lists?"
    assert [c.text for c in not_one.correct_choices] == [
        "Communicate in “customer-ese” language"]
    assert {c.text for c in not_one.choices} - {"Communicate in “customer-ese” language"} \
        <= set(points)
    for q in quiz:
        assert q.explanation == ("The 5 points the chapter lists are: Context; Culture; "
                                 "Caring; Clean; Communications.")


def test_statement_items_ask_where_the_chapter_says_what(drafted: Path) -> None:
    says, where = read_project(drafted).course.for_chapter(STEMS[1]).quiz
    assert says.question == ("Which of these does the chapter say under “Stop worrying "
                             "about customer service”?")
    assert [c.text for c in says.correct_choices] == [
        "How often are we missing opportunities to make a difference to a customer, make a "
        "new special connection, or make a loyal customer simply because we were afraid of "
        "the unknown."]
    assert sorted(c.text for c in says.choices if c not in says.correct_choices) == [
        "The key action to overcome fear and customer experience action paralysis is "
        "creating an atmosphere of active customer action.",
        "You can’t succeed 100% of the time, that’s just not realistic."]
    assert where.question == (
        "Under which heading does the chapter say: “The key action to overcome fear and "
        "customer experience action paralysis is creating an atmosphere of active customer "
        "action.”?")
    assert [c.text for c in where.correct_choices] == [
        "Create an atmosphere for great customer service"]
    assert where.explanation == ("The chapter says this under “Create an atmosphere for "
                                 "great customer service”.")


def _draft_one(tmp_path: Path, body: str, title: str = "Pruning Fruit Trees") -> str:
    root = tmp_path / "orchard"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text("title: The Orchard\nlanguage: en\n")
    (root / "manuscript" / "01-pruning.md").write_text(
        f"---\ntitle: {title}\nauthor: A. Gardener\n---\n\n{body}", encoding="utf-8")
    result = run_cli("draft-course", str(root))
    assert result.code == 0, result.err
    assert run_cli("check", str(root)).code == 0
    return (root / "course" / "01-pruning.yaml").read_text(encoding="utf-8")


def test_a_lead_in_sentence_is_not_quoted(tmp_path: Path) -> None:
    text = _draft_one(tmp_path, (
        "## What we learned\n\nThree lessons stood out. Cutting in late winter lets the "
        "tree heal before the sap rises in spring.\n\n"
        "## Tools\n\nKeep them sharp. Clean them.\n\n"
        "## Timing\n\nA tree pruned in summer grows less vigorously than one pruned in "
        "winter.\n"))
    data = yaml.safe_load(text)
    assert data["discussion"][:3] == [
        "Under “What we learned” the chapter says: “Cutting in late winter lets the tree heal "
        "before the sap rises in spring.” Do you agree? Give an example from your own "
        "experience that supports or challenges it.",
        "What is the main point of the section “Tools”, and where does it apply in your own "
        "work?",
        "Under “Timing” the chapter says: “A tree pruned in summer grows less vigorously than "
        "one pruned in winter.” What would change in your own work if you took this "
        "seriously?",
    ]
    assert "Three lessons stood out" not in text
    assert "customer" not in text and "serve" not in text


def test_nested_sections_never_give_a_second_right_answer(tmp_path: Path) -> None:
    text = _draft_one(tmp_path, (
        "## Winter work\n\nMost pruning of apple and pear trees is done while they are "
        "dormant.\n\n"
        "### Thinning\n\nThinning removes whole branches so that light reaches the centre of "
        "the tree.\n\n"
        "### Heading back\n\nHeading back shortens a branch to an outward-facing bud to "
        "shape its growth.\n\n"
        "## Summer work\n\nSummer pruning of trained forms keeps them compact and "
        "encourages fruit buds.\n\n"
        "## Autumn work\n\nIn autumn the only cuts made are those that remove dead or "
        "diseased wood.\n"))
    says, where = yaml.safe_load(text)["quiz"]
    assert says["question"] == "Which of these does the chapter say under “Winter work”?"
    assert says["answer"] == ("Most pruning of apple and pear trees is done while they are "
                              "dormant.")
    # what Thinning and Heading back say is said under Winter work too: never a wrong choice
    assert sorted(says["choices"]) == [
        "In autumn the only cuts made are those that remove dead or diseased wood.",
        "Most pruning of apple and pear trees is done while they are dormant.",
        "Summer pruning of trained forms keeps them compact and encourages fruit buds."]
    assert where["question"] == ("Under which heading does the chapter say: “Thinning removes "
                                 "whole branches so that light reaches the centre of the "
                                 "tree.”?")
    assert where["answer"] == "Thinning"
    assert "Winter work" not in where["choices"]  # the section it sits under


def test_too_little_structure_drafts_no_quiz(tmp_path: Path) -> None:
    text = _draft_one(tmp_path, "Prune in winter. Cut above a bud.\n")
    assert "quiz:" not in text.replace("# quiz:", "")
    assert "# No quiz items were drafted" in text


def test_sentences_split_at_ends_and_keep_closing_quotes() -> None:
    assert sentences("He said “stop.” Then we went on. 3 trees fell! Why? “Yes,” she "
                     "said.") == ["He said “stop.”", "Then we went on.", "3 trees fell!",
                                  "Why?", "“Yes,” she said."]

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
