"""Small Word documents (.docx) written for the tests from WordprocessingML (ECMA-376),
the way a word processor stores them: a styles part with the built-in Title, Heading 1,
footnote and table styles, a footnotes part, the core properties, and the document."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

OOXML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{OOXML}.document.main+xml"/>'
    f'<Override PartName="/word/styles.xml" ContentType="{OOXML}.styles+xml"/>'
    f'<Override PartName="/word/footnotes.xml" ContentType="{OOXML}.footnotes+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>")

ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="word/document.xml"/>'
    f'<Relationship Id="rId2" Type="{PKG}/metadata/core-properties" '
    'Target="docProps/core.xml"/></Relationships>')

DOCUMENT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{R}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{R}/footnotes" Target="footnotes.xml"/>'
    "</Relationships>")


def _style(kind: str, style_id: str, name: str, extra: str = "") -> str:
    based = '<w:basedOn w:val="Normal"/>' if kind == "paragraph" and style_id != "Normal" \
        else ""
    return (f'<w:style w:type="{kind}" w:styleId="{style_id}"><w:name w:val="{name}"/>'
            f"{based}{extra}</w:style>")


STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="{W}">'
    + _style("paragraph", "Normal", "Normal")
    + _style("paragraph", "Title", "Title")
    + _style("paragraph", "Heading1", "heading 1")
    + _style("paragraph", "FootnoteText", "footnote text")
    + _style("character", "FootnoteReference", "footnote reference",
             '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>')
    + _style("table", "TableGrid", "Table Grid")
    + "</w:styles>")


def _run(text: str, *, italic: bool = False, bold: bool = False) -> str:
    props = ("<w:i/>" if italic else "") + ("<w:b/>" if bold else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def paragraph(*runs: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{''.join(runs)}</w:p>"


def text(value: str, *, italic: bool = False, bold: bool = False) -> str:
    return _run(value, italic=italic, bold=bold)


def footnote_call(number: int) -> str:
    return ('<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
            f'<w:footnoteReference w:id="{number}"/></w:r>')


def table(rows: list[list[str]]) -> str:
    cells = []
    for index, row in enumerate(rows):
        header = '<w:trPr><w:tblHeader/></w:trPr>' if index == 0 else ""
        cells.append(f"<w:tr>{header}" + "".join(
            f"<w:tc><w:tcPr><w:tcW w:w=\"2000\" w:type=\"dxa\"/></w:tcPr>"
            f"{paragraph(_run(cell, bold=index == 0))}</w:tc>" for cell in row) + "</w:tr>")
    return ('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
            "</w:tblPr>" + "".join(cells) + "</w:tbl>")


def docx(body: list[str], footnotes: dict[int, str], *, title: str | None = None,
         creator: str | None = None) -> bytes:
    """A .docx package: ``body`` is a list of paragraph and table XML snippets,
    ``footnotes`` maps a footnote id to its text."""
    notes = "".join(
        f'<w:footnote w:id="{n}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
        f'{_run(" " + value)}</w:p></w:footnote>'
        for n, value in footnotes.items())
    footnotes_xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        '</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
        f"<w:continuationSeparator/></w:r></w:p></w:footnote>{notes}</w:footnotes>")
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{"".join(body)}'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            + (f"<dc:title>{escape(title)}</dc:title>" if title else "")
            + (f"<dc:creator>{escape(creator)}</dc:creator>" if creator else "")
            + "</cp:coreProperties>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", ROOT_RELS)
        package.writestr("word/_rels/document.xml.rels", DOCUMENT_RELS)
        package.writestr("word/document.xml", document)
        package.writestr("word/styles.xml", STYLES)
        package.writestr("word/footnotes.xml", footnotes_xml)
        package.writestr("docProps/core.xml", core)
    return out.getvalue()


def report_docx() -> bytes:
    """The test report: a title, a byline, headings, a table, a footnote, a notice."""
    return docx([
        paragraph(text("Measuring what customers remember"), style="Title"),
        paragraph(text("By Lena Hoffmann")),
        paragraph(text("Satisfaction surveys ask customers how they felt a moment ago. "
                       "What they will tell their friends depends on what they still "
                       "remember a month later.")),
        paragraph(text("Recall, not rating"), style="Heading1"),
        paragraph(text("We asked 1,200 customers to describe their last contact with us "
                       "four weeks after it happened."), footnote_call(1),
                  text(" Their answers fell into three groups:")),
        table([["What they remembered", "Share", "Likely to recommend"],
               ["The outcome only", "48%", "31%"],
               ["The person who helped", "37%", "72%"],
               ["Nothing at all", "15%", "12%"]]),
        paragraph(text("Customers who remembered a person were more than twice as likely to "
                       "recommend us as those who remembered only the outcome.")),
        paragraph(text("What we changed"), style="Heading1"),
        paragraph(text("Agents now introduce themselves by name at the start and at the end "
                       "of every contact, and they sign every email themselves.")),
        paragraph(text("This report was first published in the Customer Insight Quarterly "
                       "and is republished with the permission of its author.", italic=True)),
    ], {1: "We excluded contacts about outages, which customers remember for other reasons."},
        title="Measuring what customers remember", creator="lhoffmann")
