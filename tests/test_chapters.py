"""Real-world chapters: pasted HTML, links between chapters, footnotes, typography, image
names. Each case is a small project built in tmp_path; what `check` reports is asserted
line by line, and what the outputs hold is read back from them (EPUBCheck, the PDF's link
destinations with pypdf, the course page in Chromium)."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from pypdf import PdfReader

from conftest import PROJECTS, run_cli
from support.lms_harness import run_epubcheck, serve_directory
from support.scorm_tools import Learner, extract

XH = "{http://www.w3.org/1999/xhtml}"
# The test chapters are made up, so no source or republishing notice is expected of them.
BOOK = ("title: Test Book\nlanguage: en\n"
        "acknowledge: [chapter.no-source, chapter.no-notice]\n")
PNG = (PROJECTS / "rich" / "manuscript" / "images" / "service-chart.png").read_bytes()


def front(title: str = "First") -> str:
    return f"---\ntitle: {title}\nauthor: A. Writer\n---\n"


def make(root: Path, files: dict[str, str | bytes]) -> Path:
    files = {"manuscript/book.yaml": BOOK, **files}
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, "utf-8")
    return root


def problems(root: Path, *, code: int | None = None) -> list[str]:
    """What `check` prints for the project, less its summary line."""
    result = run_cli("check", str(root))
    if code is not None:
        assert result.code == code, result.err
    return [line for line in result.err.splitlines() if not line.startswith("cxbook")
            and " acknowledged warning" not in line]


def build(root: Path, *formats: str) -> Path:
    out = root / "dist"
    result = run_cli("build", str(root), "-f", ",".join(formats), "--out", str(out),
                     "--quiet", "--no-cache")
    assert result.code == 0, result.err
    return out


def epub_docs(epub: Path) -> dict[str, ET.Element]:
    with zipfile.ZipFile(epub) as z:
        return {n.removeprefix("EPUB/"): ET.fromstring(z.read(n)) for n in z.namelist()
                if n.endswith(".xhtml")}


def text_of(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


def assert_valid(epub: Path) -> None:
    report = run_epubcheck(epub)
    assert (report["fatal"], report["error"], report["warning"]) == (0, 0, 0), \
        report["messages"]


# -- links between chapters -------------------------------------------------------------

FIRST = front() + """
Some text.

More text.

See [the list](02-second.md) and
[the checklist](02-second.md#checklist), or [a place](#here) in this chapter.

<p id="here">Here.</p>
"""
SECOND = front("Second") + """
Opening paragraph of the second chapter.

""" + "\n\n".join(f"Filler paragraph {n} to push the checklist down the page." * 4
                  for n in range(30)) + """

## Checklist

- Greet the customer
"""


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make(tmp_path_factory.mktemp("links") / "book", {
        "manuscript/01-first.md": FIRST, "manuscript/02-second.md": SECOND})
    assert problems(root, code=0) == []
    build(root, "epub", "pdf", "scorm12")
    return root


def test_links_between_chapters_are_checked_at_their_place(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {
        "manuscript/01-first.md": FIRST.replace("02-second.md#checklist",
                                                "02-second.md#chekclist")
        .replace("(02-second.md)", "(02-secnod.md)").replace("(#here)", "(#hear)"),
        "manuscript/02-second.md": SECOND})
    expected = [
        "manuscript/01-first.md:10:5: error: link '02-secnod.md' points at a chapter file "
        "that is not in the book (did you mean '02-second.md'?); the chapters are: "
        "01-first.md, 02-second.md [link.unknown-chapter]",
        "manuscript/01-first.md:11:1: error: link '02-second.md#chekclist' points at "
        "'#chekclist', which is nowhere in manuscript/02-second.md (did you mean "
        "'02-second.md#checklist'?); a heading is linked by its slug (its text in lower case,"
        " spaces made '-': '## Next steps' is #next-steps), an element by its id, a footnote "
        "as #fn-<label> [link.unknown-target]",
        "manuscript/01-first.md:11:45: error: link '#hear' points at '#hear', which is "
        "nowhere in this chapter (did you mean '#here'?); a heading is linked by its slug "
        "(its text in lower case, spaces made '-': '## Next steps' is #next-steps), an "
        "element by its id, a footnote as #fn-<label> [link.unknown-target]",
    ]
    assert problems(root, code=1) == expected
    result = run_cli("build", str(root), "-f", "epub", "--out", str(tmp_path / "out"))
    assert result.code == 1 and result.err.splitlines()[:3] == expected
    assert not (tmp_path / "out").exists()


def test_links_between_chapters_in_the_epub(linked: Path) -> None:
    epub = linked / "dist" / "test-book.epub"
    assert_valid(epub)
    docs = epub_docs(epub)
    hrefs = {text_of(a): a.get("href") for a in docs["ch-first.xhtml"].iter(f"{XH}a")}
    assert hrefs["the list"] == "ch-second.xhtml#ch-second"
    assert hrefs["the checklist"] == "ch-second.xhtml#ch-second.checklist"
    assert hrefs["a place"] == "#ch-first.here"
    heading = next(h for h in docs["ch-second.xhtml"].iter(f"{XH}h2"))
    assert (heading.get("id"), text_of(heading)) == ("ch-second.checklist", "Checklist")


def test_links_between_chapters_in_the_pdf(linked: Path) -> None:
    reader = PdfReader(linked / "dist" / "test-book.pdf")
    dests = reader.named_destinations
    texts = [page.extract_text() for page in reader.pages]
    landed: dict[str, int] = {}
    (first,) = [i for i, text in enumerate(texts) if "Some text." in text]
    for annotation in reader.pages[first].get("/Annots") or []:
        annotation = annotation.get_object()
        assert annotation.get("/A") is None or "/URI" not in annotation["/A"], \
            "an internal link became an external one"
        dest = annotation.get("/Dest")
        if isinstance(dest, str):
            landed[dest] = reader.get_destination_page_number(dests[dest])
    assert set(landed) == {"ch-second", "ch-second.checklist", "ch-first.here"}
    assert "Opening paragraph of the second chapter" in texts[landed["ch-second"]]
    checklist = texts[landed["ch-second.checklist"]]
    assert "Checklist" in checklist and "Greet the customer" in checklist
    assert landed["ch-second.checklist"] > landed["ch-second"]
    assert "Here." in texts[landed["ch-first.here"]]


def test_links_between_chapters_on_the_course_page(linked: Path, browser: object,
                                                   tmp_path: Path) -> None:
    package = extract(linked / "dist" / "test-book-scorm12.zip", tmp_path / "pkg")
    html = (package / "index.html").read_text("utf-8")
    assert ".md" not in "".join(re.findall(r'href="([^"]*)"', html))
    with serve_directory(package) as base:
        page = browser.new_page(viewport={"width": 1000, "height": 700})  # type: ignore[attr-defined]
        try:
            page.goto(f"{base}/index.html")
            learner = Learner(page.main_frame)
            learner.wait_ready()
            assert learner.current_page() == "page-first"
            page.get_by_role("link", name="the checklist").click()
            assert learner.current_page() == "page-second"
            target = page.locator("#ch-second\\.checklist")
            page.wait_for_function("() => { const r = document.getElementById("
                                   "'ch-second.checklist').getBoundingClientRect();"
                                   " return r.top >= 0 && r.bottom <= window.innerHeight; }")
            assert target.is_visible()
            learner.previous()
            page.get_by_role("link", name="the list").click()
            assert learner.current_page() == "page-second"
        finally:
            page.close()


# -- HTML normalized once ---------------------------------------------------------------

PASTED = front("Pasted") + """
<a id="top"></a>

##

## <br>

Some <b>bold text

The next paragraph.

- <span>item <div>block in an inline element</div> end</span>

<li>an item outside any list</li>

<a id="top"></a>

Back to [the top](#top).
"""


def test_pasted_html_is_normalized_and_reported(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-pasted.md": PASTED})
    assert problems(root, code=0) == [
        "manuscript/01-pasted.md:8:1: warning: heading has no text; it was left out of the "
        "text, the contents and the outline; write its text or delete the line "
        "[heading.empty]",
        "manuscript/01-pasted.md:10:1: warning: heading has no text; it was left out of the "
        "text, the contents and the outline; write its text or delete the line "
        "[heading.empty]",
        "manuscript/01-pasted.md:12:6: warning: raw HTML: <b> is not closed; it was closed at "
        "the end of its paragraph, so add </b> where it should end [html.unclosed]",
        "manuscript/01-pasted.md:16:14: warning: raw HTML: <div> inside <span> is not allowed "
        "in an e-book; the <span> was closed before it and opened again after it "
        "[html.block-in-inline]",
        "manuscript/01-pasted.md:18:1: warning: raw HTML: <li> outside a list; it was put in a "
        "list of its own (<ul>); write the list in Markdown or inside <ul> … </ul> "
        "[html.misplaced]",
        "manuscript/01-pasted.md:20:1: warning: id 'top' is already the name of an element in "
        "this chapter (first at line 6); this one was renamed 'top-2', and links to '#top' "
        "go to the first; give each id its own name [html.duplicate-id]",
    ]
    epub = build(root, "epub") / "test-book.epub"
    assert_valid(epub)
    docs = epub_docs(epub)
    chapter = docs["ch-pasted.xhtml"]
    assert [h for h in chapter.iter() if h.tag in (f"{XH}h2", f"{XH}h3")] == []
    ids = [e.get("id") for e in chapter.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and "ch-pasted.top" in ids and "ch-pasted.top-2" in ids
    link = next(a for a in chapter.iter(f"{XH}a") if text_of(a) == "the top")
    assert link.get("href") == "#ch-pasted.top"
    paragraphs = [p for p in chapter.iter(f"{XH}p") if "next paragraph" in text_of(p)]
    assert paragraphs and not list(paragraphs[0].iter(f"{XH}b"))  # the bold stopped
    nav = docs["nav.xhtml"]
    assert all(text_of(a) for a in nav.iter(f"{XH}a"))
    with zipfile.ZipFile(epub) as z:
        ncx = z.read("EPUB/toc.ncx").decode()
    assert "<text></text>" not in ncx and "<text/>" not in ncx


# -- typography ---------------------------------------------------------------------------

def test_the_typographer_keeps_the_authors_characters(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-first.md": front() + (
        '\n"Quoted" text, it\'s (c) 2024 (tm) (r) +- Why???? Really!!!! Hm,,, wait... '
        "or.. 1--2 and a -- b and a --- b\n")})
    assert problems(root, code=0) == []
    docs = epub_docs(build(root, "epub") / "test-book.epub")
    body = text_of(next(p for p in docs["ch-first.xhtml"].iter(f"{XH}p")
                        if "Quoted" in text_of(p)))
    assert body == ("“Quoted” text, it’s (c) 2024 (tm) (r) +- Why???? Really!!!! Hm,,, "
                    "wait… or.. 1–2 and a – b and a — b")


# -- footnotes ------------------------------------------------------------------------------

def test_misspelt_footnote_label(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-first.md": front() + (
        "\nA claim that needs a source.[^silent]\n\n[^silnet]: The source.\n")})
    assert problems(root, code=1) == [
        "manuscript/01-first.md:6:29: error: footnote [^silent] has no definition (did you "
        "mean 'silnet'?), so it would be printed as written and its note would be in no "
        "output; add a line '[^silent]: …' with the note's text, or correct the label "
        "[footnote.undefined]",
        "manuscript/01-first.md:8:1: warning: footnote [^silnet] is defined here but never "
        "called in the text, so its note is in no output; call it with [^silnet] where it "
        "belongs, or delete the definition [footnote.unreferenced]",
    ]


def test_footnotes_link_both_ways_and_can_be_linked_to(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-first.md": front() + (
        "\nA claim.[^src] Again.[^src] See [the note](#fn-src).\n\n[^src]: The source.\n")})
    assert problems(root, code=0) == []
    epub = build(root, "epub") / "test-book.epub"
    assert_valid(epub)
    chapter = epub_docs(epub)["ch-first.xhtml"]
    refs = [a for a in chapter.iter(f"{XH}a") if a.get("class") == "noteref"]
    assert [(a.get("href"), a.get("id")) for a in refs] == [
        ("#ch-first.fn-src", "ch-first.fn-src-ref"),
        ("#ch-first.fn-src", "ch-first.fn-src-ref-2")]
    link = next(a for a in chapter.iter(f"{XH}a") if text_of(a) == "the note")
    assert link.get("href") == "#ch-first.fn-src"


# -- images ---------------------------------------------------------------------------------

def test_image_address_with_a_space(tmp_path: Path) -> None:
    chapter = front() + "\nA chart:\n\n![A chart](images/quiet hour.png)\n"
    root = make(tmp_path / "book", {"manuscript/01-first.md": chapter,
                                    "manuscript/images/quiet hour.png": PNG})
    assert problems(root, code=1) == [
        "manuscript/01-first.md:8:1: error: image address 'images/quiet hour.png' has a space "
        "in it, so this is not read as an image and would be printed as written; put the "
        "address in angle brackets: ![A chart](<images/quiet hour.png>) "
        "[image.space-in-address]"]
    (root / "manuscript" / "01-first.md").write_text(
        chapter.replace("(images/quiet hour.png)", "(<images/quiet hour.png>)"), "utf-8")
    assert problems(root, code=0) == []
    epub = build(root, "epub") / "test-book.epub"
    assert_valid(epub)
    images = [i.get("src") for i in epub_docs(epub)["ch-first.xhtml"].iter(f"{XH}img")]
    assert images == ["media/images/quiet-hour.png"]


def test_file_names_compare_in_nfc_and_near_misses_are_named(tmp_path: Path) -> None:
    composed, decomposed = "Größe", unicodedata.normalize("NFD", "Größe")
    assert composed != decomposed
    root = make(tmp_path / "book", {
        "manuscript/book.yaml": BOOK + f"chapters:\n  - 01-{composed}.md\n",
        f"manuscript/01-{decomposed}.md": front() + f"\n![A chart](images/{composed}.png)\n\n"
        "![A map](images/map.png)\n",
        f"manuscript/images/{decomposed}.png": PNG,
        "manuscript/images/Map.png": PNG,
        f"course/01-{decomposed}.yaml": "discussion:\n  - What did you notice?\n",
    })
    assert problems(root, code=1) == [
        f"manuscript/01-{decomposed}.md:8:1: error: image 'manuscript/images/map.png' not "
        "found; there is 'manuscript/images/Map.png', whose name differs in case (names are "
        "case-sensitive), so write the name exactly as the file's [image.missing]"]
    (root / "manuscript" / "images" / "Map.png").rename(root / "manuscript/images/map.png")
    assert problems(root, code=0) == []
    epub = build(root, "epub") / "test-book.epub"
    assert_valid(epub)


def test_chapter_listed_with_other_case_is_named(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {
        "manuscript/book.yaml": BOOK + "chapters:\n  - 01-first.md\n",
        "manuscript/01-First.md": front()})
    assert problems(root, code=1)[-1] == (
        "manuscript/book.yaml:5:5: error: chapter file manuscript/01-first.md does not exist; "
        "there is manuscript/01-First.md, whose name differs in case (names are "
        "case-sensitive), so write the name exactly as the file's [book.missing-chapter]")


# -- the title repeated, and Markdown read otherwise than meant -----------------------------

def test_pasted_title_heading_is_left_out(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-first.md": front("Don't Panic") + (
        "\n# Don't Panic\n\nThe article.\n\n## Next steps\n\nMore.\n")})
    assert problems(root, code=0) == [
        "manuscript/01-first.md:6:1: warning: the text starts with a heading that repeats the "
        "chapter's title 'Don't Panic' (from the front matter); it was left out so the title "
        "is printed once, so delete the heading [chapter.duplicate-title]"]
    chapter = epub_docs(build(root, "epub") / "test-book.epub")["ch-first.xhtml"]
    body = chapter.find(f"{XH}body")
    assert body is not None and text_of(body).count("Panic") == 1
    assert [text_of(h) for h in chapter.iter(f"{XH}h2")] == ["Next steps"]


PITFALLS = front() + """
**Warning:**Do not touch.

A line that continues
onto a second line.
---

See [the guide[^1]](https://example.com/guide).

    This paragraph was indented by the word processor and is not code at all.

[^1]: The guide's author.

[Unused]: https://example.com/

```
print("never closed")
"""


def test_markdown_read_otherwise_than_meant_is_reported(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-first.md": PITFALLS})
    assert problems(root, code=0) == [
        "manuscript/01-first.md:6:1: warning: '**' opens emphasis that is never closed in this "
        "paragraph, so it is printed as written; close it with '**' (the marks must touch the "
        "words they enclose, and punctuation just inside a mark needs a space or punctuation "
        "outside it), or write \\*\\* to print the marks [markdown.unclosed-emphasis]",
        "manuscript/01-first.md:6:12: warning: '**' opens emphasis that is never closed in "
        "this paragraph, so it is printed as written; close it with '**' (the marks must touch"
        " the words they enclose, and punctuation just inside a mark needs a space or "
        "punctuation outside it), or write \\*\\* to print the marks "
        "[markdown.unclosed-emphasis]",
        "manuscript/01-first.md:8:1: warning: this paragraph became a heading because of the "
        "line '---' under it (line 10); for a horizontal rule leave a blank line before the "
        "'---', for a heading write it as '## …' [markdown.setext-heading]",
        "manuscript/01-first.md:12:5: warning: footnote call inside a link's text; a link "
        "cannot hold it, so the call was put after the link; write it after the link's "
        "']( … )' [markdown.footnote-in-link]",
        "manuscript/01-first.md:14:1: warning: text indented by four or more spaces is shown "
        "as code; if this is ordinary text, remove the indentation (for code, put a line ``` "
        "before and after it) [markdown.indented-code]",
        "manuscript/01-first.md:18:1: warning: the line '[Unused]: …' defines a link address "
        "that no link in the chapter uses, so the line is in no output; use it as "
        "[text][Unused] or [Unused], or delete the line [markdown.unused-reference]",
        "manuscript/01-first.md:20:1: warning: code block opened with '```' is never closed, "
        "so everything after it to the end of its part of the text is shown as code; add a "
        "line '```' where the code ends [markdown.unclosed-fence]",
    ]
    chapter = epub_docs(build(root, "epub") / "test-book.epub")["ch-first.xhtml"]
    link = next(a for a in chapter.iter(f"{XH}a") if a.get("href", "").startswith("https"))
    assert text_of(link) == "the guide"  # the note's call follows the link
    assert "](" not in text_of(chapter)


def test_a_front_matter_error_does_not_hide_the_body(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {
        "manuscript/01-first.md": "---\ntitle: First\nautor: A. Writer\n---\n\n"
        "A claim.[^nope] See [the second](02-second.md#missing).\n",
        "manuscript/02-second.md": front("Second") + "\nText.\n"})
    codes = [re.search(r"\[([a-z.-]+)\]$", line).group(1)  # type: ignore[union-attr]
             for line in problems(root, code=1)]
    assert codes == ["schema.unknown-key", "footnote.undefined", "link.unknown-target"]


# -- what the renderers warn about counts like any warning --------------------------------

def test_renderer_warnings_are_located_and_counted_by_strict(tmp_path: Path) -> None:
    root = make(tmp_path / "book", {"manuscript/01-first.md": front() + "\nText.\n",
                                    "themes/default/custom.css": "p { frobnicate: 3 }\n"})
    assert problems(root, code=0) == []
    result = run_cli("build", str(root), "-f", "pdf", "--out", str(tmp_path / "out"),
                     "--quiet", "--no-cache")
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "[pdf.warning]" in line]
    assert warnings and all(line.startswith("themes/default/print.css:1:1: warning: ")
                            for line in warnings), result.err
    assert any("frobnicate" in line for line in warnings)
    strict = run_cli("build", str(root), "-f", "pdf", "--out", str(tmp_path / "strict"),
                     "--strict")
    assert strict.code == 1 and "frobnicate" in strict.err
    assert not (tmp_path / "strict").exists()
