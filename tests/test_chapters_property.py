"""Property: for every generated chapter, either `check` reports an error in it, or the
built EPUB passes EPUBCheck and every internal link resolves in the EPUB, the PDF and the
SCORM course page.

Chapters mix raw HTML fragments (unclosed and misnested tags, duplicate ids, empty
headings, nested links, blocks inside inline elements, elements outside their parent),
Markdown edge cases and internal links. Each example is a book of several chapters: those
`check` rejects are taken out (until none is left to take out) and the rest is built once,
so that one EPUBCheck run covers many chapters. The number of examples is bounded for CI;
``CXBOOK_FUZZ_EXAMPLES=200 pytest tests/test_chapters_property.py`` runs longer.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from pypdf import PdfReader

from cxbook.readers.project import check_project

from conftest import PROJECTS, run_cli
from support.lms_harness import run_epubcheck

EXAMPLES = int(os.environ.get("CXBOOK_FUZZ_EXAMPLES", "0")) or None
PROPERTY = settings(
    max_examples=EXAMPLES or 4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=EXAMPLES is None,
)
XH = "{http://www.w3.org/1999/xhtml}"
STEMS = ["01-alpha", "02-beta", "03-gamma", "04-delta", "05-epsilon", "06-zeta"]
PNG = (PROJECTS / "rich" / "manuscript" / "images" / "service-chart.png").read_bytes()

RAW = [
    "<b>", "</b>", "<i>", "</i>", "<em>", "<span>", "</span>", "<div>", "</div>", "<p>",
    "</p>", "<a id=\"top\"></a>", "<a id=\"top\">", "<p id=\"x\">x</p>", "<span id=\"x\">",
    "<h2></h2>", "<h3><br></h3>", "<h2 id=\"top\">Top</h2>", "<h1>Raw title</h1>",
    "<li>loose item</li>", "<dt>term</dt>", "<dd>desc</dd>", "<ul><p>x</p>text</ul>",
    "<ol><li>a</li><div>b</div></ol>", "<dl><dd>only</dd></dl>", "<dl><dt>t</dt></dl>",
    "<a href=\"#top\">outer <a href=\"#x\">inner</a></a>", "<span><div>block</div></span>",
    "<em><p>para</p></em>", "<h2><div>in heading</div></h2>", "<b><ul><li>x</li></ul></b>",
    "<table><tr><td>x</td></tr><caption>c</caption></table>", "<td>stray cell</td>",
    "<details>no summary</details>", "<details><summary>s</summary>x</details>",
    "<figure><p>x</p><figcaption>c</figcaption><p>y</p></figure>", "<figcaption>alone",
    "<ruby>x<rt>y</rt></ruby>", "<rt>z</rt>", "<summary>loose</summary>",
    "<td align=\"right\">", "<p lang=\"english language\">", "<p dir=\"sideways\">",
    "<img src=\"images/a.png\" alt=\"A\" width=\"50%\">", "<time datetime=\"soon\">t</time>",
    "<ol type=\"x\" start=\"one\"><li>i</li></ol>", "<th scope=\"everything\">",
    "<span role=\"banana\">", "<abbr title=\"t\">", "<q cite=\"a b\">q</q>",
    "<pre><div>x</div></pre>", "<blockquote><h2>q</h2></blockquote>", "<hr>", "<br>",
    "<section><h2>s</h2></section>", "<aside>", "<table><tr><th headers=\"nope\">h</th>",
    "<a href=\"https://example.com/a b\">sp</a>", "<a>no href</a>", "<sup><a>x</a></sup>",
]
MARKDOWN = [
    "# Heading", "## Same", "## Same", "### Deep", "##", "Setext\n---", "Para",
    "*", "**", "_", "`", "```", "> ", "- ", "1. ", "[^1]", "[^1]: note", "[^2]: other",
    "---", "text", "Word", "\"quoted\"", "(c)", "...", "--", "![A](images/a.png)",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]
LINKS = [
    "[to beta](02-beta.md)", "[to top](#top)", "[to same](#same)", "[to x](#x)",
    "[fn](#fn-1)", "[alpha top](01-alpha.md#top)", "[beta same](02-beta.md#same)",
    "[nowhere](#nowhere)", "[gamma](03-gamma.md#heading)", "<a href=\"#same\">raw</a>",
    "<a href=\"02-beta.md#x\">raw x</a>", "[self](#)",
]
SEPARATORS = ["", " ", "\n", "\n\n"]

pieces = st.one_of(st.sampled_from(RAW), st.sampled_from(MARKDOWN), st.sampled_from(LINKS),
                   st.text(alphabet="abc <>/\"'=#&;*_[]()!\n", max_size=6))
bodies = st.lists(st.tuples(pieces, st.sampled_from(SEPARATORS)), min_size=1, max_size=24
                  ).map(lambda parts: "".join(p + s for p, s in parts))


def _write(root: Path, bodies_by_stem: dict[str, str]) -> None:
    (root / "manuscript" / "images").mkdir(parents=True, exist_ok=True)
    (root / "manuscript" / "images" / "a.png").write_bytes(PNG)
    listed = "".join(f"  - {stem}.md\n" for stem in bodies_by_stem)
    (root / "manuscript" / "book.yaml").write_text(
        f"title: Property Book\nlanguage: en\nchapters:\n{listed}", "utf-8")
    for old in (root / "manuscript").glob("*.md"):
        old.unlink()
    for n, (stem, body) in enumerate(bodies_by_stem.items()):
        (root / "manuscript" / f"{stem}.md").write_text(
            f"---\ntitle: Chapter {n}\nauthor: A. Writer\n---\n\n{body}\n", "utf-8")


def _accepted(root: Path, bodies_by_stem: dict[str, str]) -> dict[str, str]:
    """The chapters `check` accepts: those it reports an error in are taken out, again
    until no error is left (a link into a chapter taken out becomes an error)."""
    kept = dict(bodies_by_stem)
    while kept:
        _write(root, kept)
        _, diags = check_project(root)
        if not diags.has_errors:
            break
        bad = {Path(d.location.path).stem for d in diags.errors}
        assert bad & set(kept), [d.format() for d in diags.errors]
        kept = {s: b for s, b in kept.items() if s not in bad}
    return kept


def _epub_links_resolve(epub: Path) -> int:
    with zipfile.ZipFile(epub) as z:
        docs = {n.removeprefix("EPUB/"): ET.fromstring(z.read(n)) for n in z.namelist()
                if n.endswith(".xhtml")}
    ids = {name: {e.get("id") for e in doc.iter() if e.get("id")}
           for name, doc in docs.items()}
    count = 0
    for name, doc in docs.items():
        for a in doc.iter(f"{XH}a"):
            href = a.get("href")
            if href is None or re.match(r"^[a-z]+:", href):
                continue
            file, _, fragment = href.partition("#")
            target = file or name
            assert target in ids, (name, href)
            assert not fragment or fragment in ids[target], (name, href)
            count += 1
    return count


def _pdf_links_resolve(pdf: Path) -> int:
    reader = PdfReader(pdf)
    dests = reader.named_destinations
    count = 0
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            assert action is None or "cxbook.invalid" not in str(action.get("/URI", "")), \
                action
            dest = annotation.get("/Dest")
            if isinstance(dest, str):
                assert dest in dests, dest
                reader.get_destination_page_number(dests[dest])
                count += 1
    return count


def _course_links_resolve(package: Path) -> int:
    with zipfile.ZipFile(package) as z:
        page = lxml_html.fromstring(z.read("index.html"))
    ids = {e.get("id") for e in page.iter() if isinstance(e.tag, str) and e.get("id")}
    count = 0
    for a in page.iter("a"):
        href = a.get("href")
        if href is None or re.match(r"^[a-z]+:", href):
            continue
        assert href.startswith("#") and href[1:] in ids, href
        count += 1
    return count


@PROPERTY
@given(st.lists(bodies, min_size=3, max_size=len(STEMS)))
@example(["<q cite=\"a b\">q</q> [fn](#fn-1)[^1]\n\n[^1]: note", "[to top](#top)",
          "<a id=\"top\"></a>[to beta](02-beta.md) <h2></h2><span><div>x</div></span>"])
def test_checked_chapters_give_valid_outputs_with_links_that_resolve(
        generated: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "book"
        kept = _accepted(root, dict(zip(STEMS, generated, strict=False)))
        event(f"chapters accepted by check: {len(kept)} of {len(generated)}")
        if not kept:
            return
        out = root / "dist"
        result = run_cli("build", str(root), "-f", "epub,pdf,scorm12", "--out", str(out),
                         "--quiet", "--no-cache", "--jobs", "1")
        assert result.code == 0, result.err
        assert "[pdf.warning]" not in result.err, result.err
        epub = out / "property-book.epub"
        report = run_epubcheck(epub)
        assert (report["fatal"], report["error"]) == (0, 0), (report["messages"], kept)
        links = (_epub_links_resolve(epub), _pdf_links_resolve(out / "property-book.pdf"),
                 _course_links_resolve(out / "property-book-scorm12.zip"))
        event(f"internal links checked (EPUB, PDF, course page): {min(links) > 0}")
