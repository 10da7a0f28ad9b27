"""The built-in theme's stylesheets: page-break rules as WeasyPrint lays them out, and no
custom property declared that nothing uses (reading systems' CSS parsers warn about each)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from cxbook.readers.project import read_project
from cxbook.renderers.epub_assets import theme_resources
from cxbook.renderers.pdf import MANUSCRIPT_BASE, _weasyprint_session, generated_css
from cxbook.renderers.scorm import recolored_css

from conftest import PROJECTS, REPO

BODY_ROWS = "".join(f"<tr><td>ROW{i} cell</td><td>value {i}</td></tr>" for i in range(1, 7))
TABLES = {
    # A Markdown table: the header row in <thead>.
    "thead": "<table><thead><tr><th>HEADERCELL</th><th>Value</th></tr></thead>"
             f"<tbody>{BODY_ROWS}</tbody></table>",
    # A raw HTML table from the web: a row of <th> cells that the parser puts in <tbody>.
    "header row in tbody": "<table><tbody><tr><th>HEADERCELL</th><th>Value</th></tr>"
                           f"{BODY_ROWS}</tbody></table>",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(TABLES))
def test_table_header_row_is_never_alone_at_a_page_foot(kind: str) -> None:
    """Whatever text comes before it, a table's header row lands on the page of a body row
    (the reader edition's print stylesheet, laid out by WeasyPrint)."""
    project = read_project(REPO)
    css = generated_css(project.theme) + project.theme.css("print")
    alone = []
    with _weasyprint_session(project, css) as (fetcher, fonts, sheet):
        from weasyprint import HTML

        for step in range(36):  # the table starts from about 2/3 of the page to past its end
            spacer = 110 + 2 * step
            html = (f'<html lang="en"><body><div class="chapter-body"><div style="height: '
                    f'{spacer}mm"></div><p>Before the table.</p>{TABLES[kind]}</div>'
                    "</body></html>")
            pdf = HTML(string=html, base_url=MANUSCRIPT_BASE, url_fetcher=fetcher).write_pdf(
                stylesheets=[sheet], font_config=fonts)
            for page in PdfReader(io.BytesIO(pdf)).pages:
                text = page.extract_text()
                # A header repeated on a continuation page is fine; one without rows is not.
                if "HEADERCELL" in text and not re.search(r"ROW\d", text):
                    alone.append(spacer)
    assert alone == []


def _unused_custom_properties(css: str) -> set[str]:
    declared = set(re.findall(r"(--[A-Za-z0-9_-]+)\s*:", css))
    used = set(re.findall(r"var\(\s*(--[A-Za-z0-9_-]+)", css))
    return declared - used


@pytest.mark.parametrize("project", [REPO, PROJECTS / "rich"], ids=["default", "rich"])
def test_no_stylesheet_declares_custom_properties_nothing_uses(project: object) -> None:
    theme = read_project(project).theme  # type: ignore[arg-type]
    assert _unused_custom_properties(theme_resources(theme).css) == set()
    assert _unused_custom_properties(generated_css(theme) + theme.css("print")) == set()
    assert _unused_custom_properties(recolored_css(theme)) == set()
