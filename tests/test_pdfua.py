"""PDF/UA-1 of the three editions, checked with the Matterhorn-based checker
(tests/support/pdfua.py), and the checker itself checked on PDFs broken on purpose.

The project tests/projects/passages has tables (one of them empty in the facilitator's
session plan), footnotes, passages in Greek, Arabic and Russian, a link the sanitizer
removes, an anchor without a link, long URLs and code, and hyphenated running text. It is
built cut into parts, so that every check also covers the joined PDF.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from pypdf import PdfReader
from weasyprint import CSS, HTML

from cxbook.renderers import pdf as pdf_renderer
from cxbook.renderers.pdf_breaks import add_break_opportunities, with_breaks
from cxbook.renderers.pdf_layout import finish, lay_out, write
from cxbook.renderers.pdf_merge import PartPdf, merge

from conftest import PROJECTS, SOURCE_DATE_EPOCH, copy_project, run_cli
from support.fonts import pdffonts
from support.pdfua import check

pytestmark = pytest.mark.slow

EDITIONS = {"pdf": "", "workbook": "-workbook", "facilitator": "-facilitator"}
SLUG = "tagged-passages"
LONG_URL = ("https://example.com/knowledge-base/customer-service/escalation-procedures_v2"
            "?team=front-desk&lang=en")


@pytest.fixture(scope="module")
def passages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("passages")
    project = copy_project("passages", base)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        patch.setattr(pdf_renderer, "PART_SIZE", 2_000)  # one part per section
        result = run_cli("build", str(project), "--no-cache", "--jobs", "2", "--out",
                         str(base / "dist"), *[a for name in EDITIONS for a in ("-f", name)])
    assert result.code == 0, result.err
    return {name: base / "dist" / f"{SLUG}{suffix}.pdf" for name, suffix in EDITIONS.items()}


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_edition_passes_the_checker(passages: dict[str, Path], edition: str) -> None:
    assert [str(f) for f in check(passages[edition])] == []


def test_passages_keep_their_language(passages: dict[str, Path]) -> None:
    with pikepdf.open(passages["pdf"]) as pdf:
        langs = {str(e.Lang) for e in _elements(pdf) if Name.Lang in e}
        notes = [e for e in _elements(pdf) if e.get(Name.S) == Name.Note]
        links = [e for e in _elements(pdf) if e.get(Name.S) == Name.Link]
    assert {"el", "ar", "ru"} <= langs
    assert len(notes) == 2 and all(Name.ID in n for n in notes)
    # The contents entries, the answer-key link and the two links that stay; the removed
    # javascript: link and the bare anchor are Spans.
    assert all(any(isinstance(k, Dictionary) and k.get(Name.Type) == Name.OBJR
                   for k in _kids(link)) for link in links)


def test_urls_break_without_added_characters(passages: dict[str, Path]) -> None:
    """The long URL wraps (it is longer than the measure) at one of / . - _ ? & =, gains no
    hyphen, keeps its case in the small-capitals first line, and stays in the margins."""
    text = _pdftotext(passages["pdf"])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if line.startswith("https://example.com/kn"))
    joined = lines[first]
    for line in lines[first + 1:]:
        if LONG_URL.startswith(joined + line.split()[0]):
            joined += line.split()[0]
        else:
            break
    assert joined == LONG_URL, joined
    assert lines[first] != LONG_URL[:len(lines[first])] or lines[first][-1] in "/.-_?&="
    assert "\u2010" not in "".join(lines[first:first + 3])
    assert "escalate_to_supervisor_with_full_context(ticket_" in text


def test_hyphens_added_at_line_ends_are_soft(passages: dict[str, Path]) -> None:
    """Words WeasyPrint hyphenates end their line with U+00AD in the text layer (poppler
    and pypdf alike), never with a hyphen character a search would meet."""
    source = (PROJECTS / "passages" / "manuscript" / "01-tables-and-notes.md").read_text()
    words = set(re.findall(r"\w+", source))
    text = _pdftotext(passages["pdf"])
    soft = re.findall(r"(\w+)\u00ad\n+(\w+)", text)
    # The chapter's long words are among them, whole again once the soft hyphen goes.
    assert [start + end for start, end in soft if start + end in words], soft
    assert not re.search(r"\w\u2010\n", text), "a hyphen character ends a line"
    reader = PdfReader(passages["pdf"])
    assert any("\u00ad" in page.extract_text() for page in reader.pages)


def test_hooks_change_only_the_editions(tmp_path: Path) -> None:
    """With cxbook's PDF renderer imported, WeasyPrint used directly (as for the EPUB cover,
    or by a program that imports cxbook) works as shipped: the hyphen it adds at a line end
    is its hyphenate-character and its tags carry no /Lang; an edition's part, laid out and
    written through pdf_layout, gets the soft hyphen and the passage's /Lang."""
    html = ('<!DOCTYPE html><html lang="en"><head><title>Hooks</title></head><body>'
            '<p lang="de" style="hyphens: auto; width: 30mm">Die Donaudampfschifffahrts'
            'gesellschaft und die Rechtsschutzversicherungsgesellschaften.</p></body></html>')
    options = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
    sheet = CSS(string="@page { size: 60mm 80mm; margin: 5mm }")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(HTML(string=html).write_pdf(stylesheets=[sheet], **options))
    part = lay_out(HTML(string=html), stylesheets=[sheet])
    finish(part, 1, {})
    edition = tmp_path / "edition.pdf"
    edition.write_bytes(write(part, **options))
    texts = {path.stem: "".join(page.extract_text() for page in PdfReader(path).pages)
             for path in (plain, edition)}
    assert "\u2010" in texts["plain"] and "\u00ad" not in texts["plain"]
    assert "\u00ad" in texts["edition"] and "\u2010" not in texts["edition"]
    langs = {}
    for path in (plain, edition):
        with pikepdf.open(path) as pdf:
            langs[path.stem] = {str(e.Lang) for e in _elements(pdf) if Name.Lang in e}
    assert langs == {"plain": set(), "edition": {"de"}}


def test_each_font_is_listed_once(passages: dict[str, Path]) -> None:
    """pdffonts lists every font once: the parts' subsets of a font are one program."""
    for path in passages.values():
        names = [row.name for row in pdffonts(path)]
        assert names and len(names) == len(set(names)), sorted(names)


def test_break_opportunities() -> None:
    marked = add_break_opportunities(
        '<p>Go to https://example.com/a_b?x=1&amp;y=2. Or <code>a.b_c</code>, '
        '<a href="https://x.org/">x.org/path</a>.</p>')
    shown = marked.replace("\u200b", "|")
    assert '<span class="cx-url">https://|example.|com/|a_|b?|x=|1&amp;|y=|2</span>.' in shown
    assert "<code>a.|b_|c</code>" in shown
    assert '<span class="cx-url">x.|org/|path</span></a>' in shown
    assert with_breaks("a//b--c.") == "a//\u200bb--\u200bc."
    assert add_break_opportunities("<p>Plain text, e.g. this.</p>") == (
        "<p>Plain text, e.g. this.</p>")


# ---- One Link element per link, whatever markup is in or around it ------------------------

PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
         "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
# A link's markup (in a paragraph unless said otherwise) -> the /Contents of its
# annotations (one per fragment of the <a>).
LINK_MARKUP = {
    "block link straight in the body": ('<a href="#t" style="display: block">Title</a>',
                                        ["Title"]),
    "spans in and around": ('<span class="cx-url"><a href="https://example.com/"><span><em>'
                            'Deep</em> text</span></a></span>', ["Deep text"]),
    "positioned number in a block link": (
        '<a href="#t" style="display: block; position: relative; padding-left: 2em">'
        '<span style="position: absolute; left: 0; top: 0">1</span> <span>Title</span></a>',
        ["1 Title"]),
    "fixed box": ('<a href="#t"><span style="position: fixed; top: 30mm">1</span> Title</a>',
                  ["1 Title"]),
    "positioned box in a positioned box": (
        '<a href="#t"><span style="position: absolute; left: 0"><span style="position: '
        'absolute; left: 1em">1</span>2</span> Title</a>', ["1 2 Title"]),
    "leader in a positioned box": (
        '<a href="#t" style="display: block; position: relative">Title<span style="position: '
        'absolute; right: 0; width: 50%; text-align: right">'
        '<span class="dots"></span>7</span></a>', ["Title 7"]),
    "block link over two lines": (
        '<a href="#t" style="display: block; width: 30mm">A title that takes two lines</a>',
        ["A title that takes two lines"]),
    "float": ('<a href="#t"><span style="float: left">1</span> Title</a>', ["1 Title"]),
    "inline block": ('<a href="#t"><span style="display: inline-block">1</span> Title</a>',
                     ["1 Title"]),
    "generated content": ('<a href="#t" class="gen">Title</a>', ["> Title 7"]),
    "image": (f'<a href="#t"><img alt="A pixel" src="{PIXEL}" width="12" height="12"> '
              'Title</a>', ["Title"]),
    "table cell": ('<table><tr><th scope="col">Head</th></tr><tr><td><a href="#t"><span '
                   'class="cx-long-word">Kundendienstqualitätssicherung</span></a></td></tr>'
                   '</table>', ["Kundendienstqualitätssicherung"]),
    "two lines": ('<a href="#t"><b>Two</b> <span style="display: inline-block; width: 100%">'
                  'lines</span></a>', ["Two", "lines"]),
}
LINK_CSS = """
@page { size: 120mm 80mm; margin: 10mm }
.gen::before { content: "> " } .gen::after { content: leader(". ") " 7" }
.dots::before { content: leader(". ") }
"""


@pytest.mark.parametrize("markup", LINK_MARKUP)
def test_each_link_is_one_link_element_whatever_its_markup(tmp_path: Path, markup: str) -> None:
    """Only the boxes of the <a> itself keep a link annotation, tagged Link; boxes laid out
    inside it (positioned, floated, inline blocks, nested spans) share it, and a
    positioned box's leader is an artifact. Through the edition's own layout, tagging and
    joining."""
    body, contents = LINK_MARKUP[markup]
    body = body if markup == "block link straight in the body" else f"<p>{body}</p>"
    html = ('<!DOCTYPE html><html lang="en"><head><title>Links</title></head><body>'
            f'{body}<h1 id="t">Target</h1></body></html>')
    part = lay_out(HTML(string=html, base_url=str(tmp_path)),
                   stylesheets=[CSS(string=LINK_CSS)])
    finish(part, 1, {})
    path = tmp_path / "links.pdf"
    path.write_bytes(merge([PartPdf(write(part, pdf_variant="pdf/ua-1", pdf_tags=True))], 0))
    assert [str(f) for f in check(path)] == []
    with pikepdf.open(path) as pdf:
        annotations = [a for page in pdf.pages for a in page.obj.get(Name.Annots, [])]
        assert [str(a.Contents) for a in annotations] == contents
        assert len([e for e in _elements(pdf) if e.get(Name.S) == Name.Link]) == len(contents)


# ---- The checker fails on PDFs broken on purpose ------------------------------------------


def _elements(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    found, todo = [], list(_kids(pdf.Root.StructTreeRoot))
    while todo:
        element = todo.pop(0)
        if isinstance(element, Dictionary) and Name.S in element:
            found.append(element)
            todo.extend(_kids(element))
    return found


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get(Name.K)
    return [] if kids is None else list(kids) if isinstance(kids, Array) else [kids]


def _fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    fonts = {}
    for page in pdf.pages:
        for font in page.obj.Resources.get(Name.Font, Dictionary()).values():
            fonts[font.objgen] = font
    return list(fonts.values())


def _first(pdf: pikepdf.Pdf, kind: str, test: Callable[[pikepdf.Object], bool] = bool,
           ) -> pikepdf.Object:
    return next(e for e in _elements(pdf) if Name(f"/{kind}") == e.S and test(e))


def _edit_content(pdf: pikepdf.Pdf, edit: Callable[[list[pikepdf.ContentStreamInstruction],
                                                     pikepdf.Page], bool]) -> None:
    """Apply ``edit`` to the instructions of the first page it changes."""
    for page in pdf.pages:
        instructions = list(pikepdf.parse_content_stream(page))
        if edit(instructions, page):
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
            return
    raise AssertionError("no page to edit")


def _op(operator: str, *operands: object) -> pikepdf.ContentStreamInstruction:
    return pikepdf.ContentStreamInstruction(list(operands), pikepdf.Operator(operator))


def _tag_artifacts(kind: str) -> Callable[[pikepdf.Pdf], None]:
    """Running heads and folios (kind Pagination) or leaders (Layout) tagged as a P."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        def edit(instructions: list[pikepdf.ContentStreamInstruction],
                 page: pikepdf.Page) -> bool:
            changed = False
            for index, instruction in enumerate(instructions):
                operands = list(instruction.operands)
                if (str(instruction.operator) == "BDC" and operands[0] == Name.Artifact
                        and operands[1].get(Name.Type) == Name(f"/{kind}")):
                    instructions[index] = _op("BDC", Name.P, Dictionary(MCID=900 + index))
                    document = pdf.Root.StructTreeRoot.K[0]
                    document.K.append(pdf.make_indirect(Dictionary(
                        Type=Name.StructElem, S=Name.P, P=document, Pg=page.obj,
                        K=900 + index)))
                    changed = True
            return changed
        _edit_content(pdf, edit)
    return mutate


def _wrap_first_tagged(inner: list[pikepdf.ContentStreamInstruction], tagged: bool,
                       ) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        def edit(instructions: list[pikepdf.ContentStreamInstruction],
                 page: pikepdf.Page) -> bool:
            for index, instruction in enumerate(instructions):
                operands = list(instruction.operands)
                if str(instruction.operator) != "BDC":
                    continue
                is_tagged = isinstance(operands[1], Dictionary) and Name.MCID in operands[1]
                if is_tagged == tagged:
                    instructions[index + 1:index + 1] = inner
                    return True
            return False
        _edit_content(pdf, edit)
    return mutate


def _notdef(pdf: pikepdf.Pdf) -> None:
    def edit(instructions: list[pikepdf.ContentStreamInstruction], page: pikepdf.Page) -> bool:
        for index, instruction in enumerate(instructions):
            if str(instruction.operator) == "TJ":
                array = Array([pikepdf.String(b"\x00\x00"), *instruction.operands[0]])
                instructions[index] = _op("TJ", array)
                return True
        return False
    _edit_content(pdf, edit)


def _set(kind: str, key: str, value: object, test: Callable[[pikepdf.Object], bool] = bool,
         ) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        element = _first(pdf, kind, test)
        if value is None:
            del element[Name(key)]
        else:
            element[Name(key)] = value
    return mutate


def _add_child(kind: str, child: str) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        parent = _first(pdf, kind)
        parent.K = Array([*_kids(parent), pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name(f"/{child}"), P=parent, K=Array()))])
    return mutate


def _link_annotation(pdf: pikepdf.Pdf) -> tuple[pikepdf.Page, pikepdf.Object]:
    for page in pdf.pages:
        for annotation in page.obj.get(Name.Annots, Array()):
            if annotation.get(Name.Subtype) == Name.Link:
                return page, annotation
    raise AssertionError("no link")


def _page_with_links(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return _link_annotation(pdf)[0].obj


def _del_catalog(*keys: str) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        holder = pdf.Root
        for key in keys[:-1]:
            holder = holder[Name(key)]
        del holder[Name(keys[-1])]
    return mutate


def _metadata_without_ua(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Metadata = pdf.make_stream(
        pdf.Root.Metadata.read_bytes().replace(b"pdfuaid", b"pdfxxid"))


def _font_descriptor(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return _fonts(pdf)[0].DescendantFonts[0].FontDescriptor


def _greek(element: pikepdf.Object) -> bool:
    return str(element.get(Name.Lang, "")) == "el"


def _with_headers(element: pikepdf.Object) -> bool:
    attributes = element.get(Name.A)
    return isinstance(attributes, Dictionary) and Name.Headers in attributes


def _bad_headers(pdf: pikepdf.Pdf) -> None:
    _first(pdf, "TD", _with_headers).A.Headers = Array([pikepdf.String("nowhere")])


def _same_note_ids(pdf: pikepdf.Pdf) -> None:
    notes = [e for e in _elements(pdf) if Name.Note == e.S]
    notes[1].ID = notes[0].ID


def _link_as_span(pdf: pikepdf.Pdf) -> None:
    _first(pdf, "Link").S = Name.Span


def _no_contents(pdf: pikepdf.Pdf) -> None:
    del _link_annotation(pdf)[1].Contents


def _tabs(value: pikepdf.Object | None) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        page = _page_with_links(pdf)
        if value is None:
            del page.Tabs
        else:
            page.Tabs = value
    return mutate


def _span_as_link(pdf: pikepdf.Pdf) -> None:
    _first(pdf, "Span", lambda e: not any(isinstance(k, Dictionary) and k.get(Name.Type)
                                          == Name.OBJR for k in _kids(e))).S = Name.Link


def _orphan_paragraph(pdf: pikepdf.Pdf) -> None:
    paragraph = _first(pdf, "P", lambda e: bool(_kids(e)))
    parent = paragraph.P
    parent.K = Array([k for k in _kids(parent) if k.objgen != paragraph.objgen])


def _role_map(mapping: dict[str, str], retype: str | None = None,
              ) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot.RoleMap = Dictionary(
            {f"/{k}": Name(f"/{v}") for k, v in mapping.items()})
        if retype:
            _first(pdf, "P").S = Name(f"/{retype}")
    return mutate


def _heading_skip(pdf: pikepdf.Pdf) -> None:
    _first(pdf, "H2").S = Name.H4


def _no_tounicode(pdf: pikepdf.Pdf) -> None:
    for font in _fonts(pdf):
        del font.ToUnicode


def _empty_tounicode(pdf: pikepdf.Pdf) -> None:
    for font in _fonts(pdf):
        font.ToUnicode = pdf.make_stream(b"begincmap\nendcmap\n")


def _not_embedded(pdf: pikepdf.Pdf) -> None:
    for font in _fonts(pdf):
        del font.DescendantFonts[0].FontDescriptor.FontFile2


PATH_OUTSIDE = [_op("re", 0, 0, 1, 1), _op("f")]
MUTATIONS: dict[str, tuple[Callable[[pikepdf.Pdf], None], str]] = {
    "running heads and folios tagged": (_tag_artifacts("Pagination"), "01-001"),
    "leader dots tagged": (_tag_artifacts("Layout"), "01-001"),
    "artifact in tagged content": (_wrap_first_tagged(
        [_op("BMC", Name.Artifact), *PATH_OUTSIDE, _op("EMC")], True), "01-003"),
    "tagged content in an artifact": (_wrap_first_tagged(
        [_op("BDC", Name.Span, Dictionary(MCID=999)), _op("EMC")], False), "01-004"),
    "untagged path": (_wrap_first_tagged([_op("EMC"), *PATH_OUTSIDE,
                                          _op("BMC", Name.Span)], True), "01-005"),
    "content no element claims": (_orphan_paragraph, "01-005"),
    "Link without annotation": (_span_as_link, "01-006"),
    "unknown structure type": (_role_map({}, "Para"), "02-001"),
    "standard type remapped": (_role_map({"P": "Span"}), "02-004"),
    "no PDF/UA identifier": (_metadata_without_ua, "06-002"),
    "no DisplayDocTitle": (_del_catalog("/ViewerPreferences", "/DisplayDocTitle"),
                           "07-001"),
    "DisplayDocTitle false": (lambda pdf: setattr(pdf.Root.ViewerPreferences,
                                                  "DisplayDocTitle", False), "07-002"),
    "P in a table body": (_add_child("TBody", "P"), "09-004"),
    "P in a list item": (_add_child("LI", "P"), "09-005"),
    "unmapped character": (_empty_tounicode, "10-001"),
    "no document language": (_del_catalog("/Lang"), "11-001"),
    "Greek passage without Lang": (_set("P", "/Lang", None, _greek), "11-007"),
    "Figure without Alt": (_add_child("Sect", "Figure"), "13-004"),
    "heading level skipped": (_heading_skip, "14-003"),
    "header cell named wrongly": (_bad_headers, "15-005"),
    "Note without ID": (_set("Note", "/ID", None), "19-003"),
    "Note IDs repeated": (_same_note_ids, "19-004"),
    "no Tabs": (_tabs(None), "28-008"),
    "Tabs not S": (_tabs(Name.R), "28-009"),
    "link annotation under a Span": (_link_as_span, "28-011"),
    "link annotation without Contents": (_no_contents, "28-012"),
    "font not embedded": (_not_embedded, "31-009"),
    "font without ToUnicode": (_no_tounicode, "31-027"),
    ".notdef shown": (_notdef, "31-030"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_checker_fails_on_broken_pdfs(passages: dict[str, Path], tmp_path: Path,
                                      name: str) -> None:
    mutate, condition = MUTATIONS[name]
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(passages["pdf"]) as pdf:
        mutate(pdf)
        pdf.save(broken)
    found = {f.condition for f in check(broken)}
    assert condition in found, (name, found)


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
