"""Which article extractor `cxbook import` uses: trafilatura and readability-lxml measured
on the test pages (tests/pages), each alone on the page as saved and each after cxbook's
preparation (footnotes, captions, quote credits, notice and author box taken out, chrome
removed by its markers).

    python bench/import_extractors.py

Sentence recall: the share of the article's sentences (those of the hand-checked chapter
tests/pages/expected/<page>.md, without its front matter) found in the extracted text.
Chrome precision: the share of the page's chrome strings (tests/pages/cases.yaml) that
the extracted text leaves out. Figures, not assertions.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "tests" / "pages"
sys.path.insert(0, str(REPO / "src"))

from cxbook.diagnostics import Diagnostics  # noqa: E402
from cxbook.importers.convert import to_markdown  # noqa: E402
from cxbook.importers.sources import read_source  # noqa: E402
from cxbook.importers.web import EXTRACTORS, read_page  # noqa: E402


def plain(markdown: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", markdown)
    text = re.sub(r"(?<!!)\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[\^\d+\]:?|[*_>#|`\\]", " ", text)
    text = re.sub(r"^\s*(-|\d+\.)\s", " ", text, flags=re.MULTILINE)
    return " ".join(text.split())


def sentences(markdown: str) -> list[str]:
    parts = re.split(r"(?<=[.!?…:”“])\s+", plain(markdown))
    return [p for p in parts if len(p.split()) >= 3]


def measure(name: str, case: dict[str, object], extractor: str,
            prepare: bool) -> tuple[float, float]:
    path = PAGES / str(case["source"])
    diags = Diagnostics()
    source = read_source(path, path.name, diags)
    assert source is not None
    article = read_page(source, diags, extractor=extractor, prepare=prepare)
    expected = (PAGES / "expected" / f"{name}.md").read_text("utf-8").split("---\n", 2)[2]
    wanted = sentences(expected)
    chrome = [str(s) for s in case["chrome"]]  # type: ignore[attr-defined]
    if article is None or article.body is None:
        return 0.0, 1.0
    got = plain(to_markdown(article.body, article.notes, resolve=lambda s: "not read",
                            name=lambda s, t: s, base_url=None).markdown)
    recall = sum(1 for s in wanted if s in got) / len(wanted)
    precision = sum(1 for s in chrome if s not in got) / len(chrome)
    return recall, precision


def main() -> None:
    cases = yaml.safe_load((PAGES / "cases.yaml").read_text("utf-8"))
    pages = [n for n, c in cases.items() if str(c["source"]).endswith(".html")]
    print("| extractor | cxbook's preparation | page | sentence recall | chrome precision |")
    print("|---|---|---|---:|---:|")
    for extractor in EXTRACTORS:
        for prepare in (False, True):
            totals = []
            for name in pages:
                recall, precision = measure(name, cases[name], extractor, prepare)
                totals.append((recall, precision))
                print(f"| {extractor} | {'yes' if prepare else 'no'} | {name} | "
                      f"{recall:.0%} | {precision:.0%} |")
            mean_r = sum(r for r, _ in totals) / len(totals)
            mean_p = sum(p for _, p in totals) / len(totals)
            print(f"| **{extractor}** | **{'yes' if prepare else 'no'}** | **mean** | "
                  f"**{mean_r:.1%}** | **{mean_p:.1%}** |")


if __name__ == "__main__":
    main()
