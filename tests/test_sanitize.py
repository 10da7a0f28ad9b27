"""Raw HTML in chapters: scripts, event handlers, javascript: links, frames and styling never
reach an output, and every removal is reported with its place."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from cxbook.build import available_formats
from cxbook.diagnostics import Diagnostics
from cxbook.markdown import render_markdown, sanitize

from conftest import NO_NOTICE, NO_SOURCE, PROJECTS, run_cli

CHAPTER = """\
---
title: Copied From the Web
author: A. Writer
---

A paragraph before.

<script>alert('cx-hostile-1')</script>

<p>Look: <img src="images/chart.png" alt="A chart" onerror="cxHostile2()"></p>

Read [more](https://example.com/) or <a href="javascript:cxHostile3()">click here</a>.

<iframe src="https://hostile.example/cx4"></iframe>

<div style="position:fixed;top:0;left:0;width:100%;height:100%">Cover-up</div>

A paragraph after.
"""
MARKERS = ("cx-hostile-1", "cxHostile2", "cxHostile3", "hostile.example", "position:fixed")
# The chapter is copied from the web without its source or notice: both are warned about.
PERMISSIONS = [f"manuscript/01-web.md:4:1: {NO_SOURCE}",
               f"manuscript/01-web.md:4:1: {NO_NOTICE}"]
REMOVALS = [
    "manuscript/01-web.md:8:1: warning: raw HTML: <script> element and its content were "
    "removed from every output; chapters cannot run scripts, so delete it [html.removed]",
    "manuscript/01-web.md:10:10: warning: raw HTML: 'onerror' event handler on <img> was "
    "removed from every output; chapters cannot run scripts, so delete the attribute "
    "[html.removed]",
    "manuscript/01-web.md:12:38: warning: raw HTML: 'javascript:' address in the href of <a> "
    "was removed from every output; only http:, https: and mailto: addresses and relative "
    "paths are allowed [html.removed]",
    "manuscript/01-web.md:14:1: warning: raw HTML: <iframe> element and its content were "
    "removed from every output; embedded pages are not allowed; link to the page instead: "
    "[title](https://…) [html.removed]",
    "manuscript/01-web.md:16:1: warning: raw HTML: 'style' attribute on <div> was removed "
    "from every output; put styling in the theme's custom.css instead [html.removed]",
]


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "book"
    (root / "manuscript" / "images").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text("title: Hostile Input\nlanguage: en\n",
                                                   "utf-8")
    (root / "manuscript" / "01-web.md").write_text(CHAPTER, "utf-8")
    shutil.copy(PROJECTS / "rich" / "manuscript" / "images" / "service-chart.png",
                root / "manuscript" / "images" / "chart.png")
    return root


@pytest.fixture(scope="module")
def hostile_build(hostile_project: Path) -> tuple[Path, str]:
    """Every available format built once; (output folder, what the build printed)."""
    formats = available_formats()
    assert formats, "no output format is available"
    out = hostile_project.parent / "dist"
    result = run_cli("build", str(hostile_project), "--out", str(out), "-f",
                     ",".join(formats), "--quiet")
    assert result.code == 0, result.err
    return out, result.err


def test_check_lists_every_removal_with_its_place(hostile_project: Path) -> None:
    result = run_cli("check", str(hostile_project))
    assert result.code == 0
    assert result.err.splitlines() == [*PERMISSIONS, *REMOVALS, "cxbook check: ok (7 warnings)"]


def test_build_reports_every_removal(hostile_build: tuple[Path, str]) -> None:
    _, printed = hostile_build
    for line in REMOVALS:
        assert line in printed.splitlines()


def test_strict_build_refuses_and_writes_nothing(hostile_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = run_cli("build", str(hostile_project), "--strict", "--out", str(out))
    assert result.code == 1
    assert not out.exists() or not any(out.iterdir())


def _texts_of(path: Path) -> dict[str, str]:
    """Every text an output holds: archive entries, or the PDF's text and raw bytes."""
    if path.suffix == ".pdf":
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        return {"text": text, "raw": path.read_bytes().decode("latin-1")}
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith((".html", ".xhtml", ".js", ".json", ".css", ".opf",
                                  ".xml", ".ncx", ".svg"))}


FORMAT_SUFFIX = {"epub": ".epub", "pdf": ".pdf", "workbook": "-workbook.pdf",
                 "facilitator": "-facilitator.pdf", "print": "-print.pdf",
                 "scorm12": "-scorm12.zip",
                 "scorm2004": "-scorm2004.zip", "cmi5": "-cmi5.zip"}


@pytest.mark.parametrize("fmt", list(FORMAT_SUFFIX))
def test_outputs_hold_none_of_the_hostile_content(fmt: str,
                                                  hostile_build: tuple[Path, str]) -> None:
    assert fmt in available_formats(), f"format {fmt} is not available"
    out, _ = hostile_build
    path = out / f"hostile-input{FORMAT_SUFFIX[fmt]}"
    texts = _texts_of(path)
    everything = "\n".join(texts.values())
    for marker in MARKERS:
        assert marker not in everything, f"{fmt}: '{marker}' reached the output"
    assert "A paragraph before." in everything or fmt != "epub"
    if path.suffix == ".pdf":
        assert "/JavaScript" not in texts["raw"] and "/JS " not in texts["raw"]
        assert "javascript:" not in texts["raw"].lower()
        assert "A paragraph before." in texts["text"] or fmt != "pdf"
        assert "click here" in texts["text"] or fmt != "pdf"
        return
    for name, text in texts.items():
        if not name.endswith((".html", ".xhtml")):
            continue
        document = lxml_html.document_fromstring(text.encode("utf-8"))
        for element in document.iter():
            if not isinstance(element.tag, str):
                continue
            tag = etree.QName(element).localname.lower()
            assert tag not in ("iframe", "object", "embed"), f"{fmt}: {name}: <{tag}>"
            if tag == "script":
                # only the course's own runtime, loaded from a file in the package
                assert fmt.startswith(("scorm", "cmi5")) and element.get("src"), f"{fmt}: {name}"
                assert not (element.text or "").strip(), f"{fmt}: {name}: inline script"
            for attribute, value in element.attrib.items():
                assert not attribute.lower().startswith("on"), f"{fmt}: {name}: {attribute}"
                assert not value.strip().lower().startswith(("javascript:", "data:text")), \
                    f"{fmt}: {name}: {attribute}={value}"


# -- the sanitizer on its own ----------------------------------------------------------


def _render(body: str) -> tuple[str, list[str]]:
    diags = Diagnostics()
    parsed = render_markdown(body, path="manuscript/01-a.md", line_offset=0, prefix="a",
                             language="en", diags=diags)
    return parsed.html, [f"{loc}: {what}" for loc, what in parsed.removed]


@pytest.mark.parametrize(("body", "gone", "report"), [
    ("<script>alert(1)</script>", "alert", "1:1: <script> element and its content"),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "evil", "1:1: <script> element"),
    ("x <img src=a.png alt=A onerror=alert(1)>", "onerror", "1:3: 'onerror' event handler"),
    ("<a href='javascript:alert(1)'>x</a>", "javascript", "1:1: 'javascript:' address"),
    ("<a href='&#106;avascript:alert(1)'>x</a>", "alert", "1:1: 'javascript:' address"),
    ("<a href='java\tscript:alert(1)'>x</a>", "alert", "1:1: 'javascript:' address"),
    ("<a href='JAVASCRIPT:alert(1)'>x</a>", "alert", "1:1: 'javascript:' address"),
    ("<a href='data:text/html;base64,PHNjcmlwdD4='>x</a>", "data:", "1:1: 'data:' address"),
    ("<a href='vbscript:msgbox(1)'>x</a>", "vbscript", "1:1: 'vbscript:' address"),
    ("<iframe src=https://e.example/></iframe>", "iframe", "1:1: <iframe> element"),
    ("<object data=x.swf></object>", "object", "1:1: <object> element"),
    ("<embed src=x.swf>", "embed", "1:1: <embed> element"),
    ("<style>body{display:none}</style>", "display", "1:1: <style> element"),
    ("<p style='position:absolute;top:0'>x</p>", "position", "1:1: 'style' attribute"),
    ("<svg><script>alert(1)</script></svg>", "alert", "1:1: <svg> element"),
    ("<math><mtext>x</mtext></math>", "mtext", "1:1: <math> element"),
    ("<form action=https://e.example/><input name=p></form>", "form", "1:1: <form> element"),
    ("<base href=https://evil.example/>", "evil", "1:1: <base> tag"),
    ("<meta http-equiv=refresh content='0;url=https://e.example'>", "refresh",
     "1:1: <meta> tag"),
    ("<link rel=stylesheet href=https://e.example/x.css>", "stylesheet", "1:1: <link> tag"),
    ("para\n\n  <div onmouseover=x>", "onmouseover", "3:3: 'onmouseover' event handler"),
    ("[^1]\n\n[^1]: <b onclick=x>note</b>", "onclick", "3:7: 'onclick' event handler"),
])
def test_hostile_html_is_removed_and_reported(body: str, gone: str, report: str) -> None:
    html, removed = _render(body)
    assert gone not in html.lower()
    assert any(r.startswith(f"manuscript/01-a.md:{report}") for r in removed), removed


def test_markdown_links_with_data_or_script_addresses_are_not_links() -> None:
    html, _ = _render("[a](javascript:alert(1)) [b](data:image/png;base64,AAAA) "
                      "[c](vbscript:x) [d](file:///etc/passwd)")
    assert "href" not in html


def test_allowed_html_is_kept() -> None:
    body = ('<figure><img src="images/a.png" alt="A"/><figcaption>Cap</figcaption></figure>\n\n'
            '<p>Text with <abbr title="customer experience">CX</abbr>, <kbd>Ctrl</kbd>, '
            '<a href="https://example.com/" title="t">a link</a> and '
            '<a href="mailto:a@example.com">mail</a>.</p>\n\n'
            "| a | b |\n|--:|:-:|\n| 1 | 2 |\n")
    html, removed = _render(body)
    assert removed == []
    for kept in ('<figcaption>Cap</figcaption>', '<abbr title="customer experience">CX</abbr>',
                 '<a href="https://example.com/" title="t">a link</a>',
                 '<a href="mailto:a@example.com">mail</a>', '<td style="text-align:right">1',
                 '<th style="text-align:center">b'):
        assert kept in html, html


def test_output_is_well_formed_xhtml_and_never_self_closes_content_elements() -> None:
    html, _ = _render("# \n\n<div></div>\n\n<p>a<br>b</p>\n\n<td>stray</td>\n")
    etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{html}</div>')
    assert re.search(r"<(?!br|img|hr|wbr|col)[a-z0-9]+[^>]*/>", html) is None, html
    assert sanitize(html) == html
