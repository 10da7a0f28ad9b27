"""Internal links checked once, for ``check`` and ``build`` alike.

Each chapter's normalization (normalize.py) has already written every internal link as
``#<id>`` and recorded it (model.Link) with the file and name it asks for; the names a
chapter offers are its model.LinkTarget entries. This transform checks every link against
the whole book and reports those that lead nowhere, at the link's own place, with the
nearest existing target as a suggestion. Renderers then only write the id their own way.
"""

from __future__ import annotations

import difflib
import posixpath
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol

from ..diagnostics import Diagnostics, did_you_mean
from ..model import Link, LinkTarget


class Chapter(Protocol):
    """What links are checked against: a chapter of the model, or one being read."""

    @property
    def stem(self) -> str: ...

    @property
    def targets(self) -> tuple[LinkTarget, ...]: ...

    @property
    def links(self) -> tuple[Link, ...]: ...


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def check_links(
    chapters: Sequence[Chapter],
    diags: Diagnostics,
    *,
    unparsed: Iterable[str] = (),
    unlisted: Iterable[str] = (),
) -> None:
    """Report every internal link of ``chapters`` that leads nowhere. ``unparsed`` are the
    file names (``02-two.md``) of chapters that could not be read (links into them are not
    checked); ``unlisted`` the .md files in manuscript/ that are not part of the book."""
    by_file = {_nfc(f"{c.stem}.md"): c for c in chapters}
    skipped = {_nfc(name) for name in unparsed}
    outside = {_nfc(name) for name in unlisted}
    for chapter in chapters:
        for link in chapter.links:
            _check(chapter, link, by_file, skipped, outside, diags)


def _check(chapter: Chapter, link: Link, by_file: dict[str, Chapter], skipped: set[str],
           outside: set[str], diags: Diagnostics) -> None:
    if link.path is None:
        _check_name(chapter, link, f"{chapter.stem}.md", "", diags)
        return
    if not link.path.strip():
        diags.error(link.location, "link has no address; write it between the parentheses: "
                    "[text](https://…) for a web page, [text](02-chapter.md) for a chapter",
                    "link.empty")
        return
    name = link.path
    if not name.endswith(".md") or "/" in name:
        diags.error(link.location, f"link '{link.href}' points at a file that is not one of "
                    "the book's chapters; link to a chapter's .md file (with #name for a place "
                    "in it), or give a full https:// address", "link.not-a-chapter")
        return
    target = by_file.get(name)
    if target is not None:
        _check_name(target, link, name, name, diags)
        return
    if name in skipped:
        return
    if name in outside:
        diags.error(link.location, f"link '{link.href}' points at manuscript/{name}, which "
                    "is not listed under 'chapters' in book.yaml; add it there, or link to "
                    "another chapter", "link.unknown-chapter")
        return
    same = [f for f in by_file if f.casefold() == name.casefold()]
    hint = f" (the chapter file is named '{same[0]}': names are case-sensitive)" if same \
        else did_you_mean(name, by_file)
    diags.error(link.location, f"link '{link.href}' points at a chapter file that is not in "
                f"the book{hint}; the chapters are: {', '.join(by_file)}",
                "link.unknown-chapter")


def _check_name(target: Chapter, link: Link, file: str, shown: str,
                diags: Diagnostics) -> None:
    if link.name is None:
        return
    names = [t.name for t in target.targets]
    if link.name in names:
        return
    same = [n for n in names if n.casefold() == link.name.casefold()]
    close = same or difflib.get_close_matches(link.name, names, n=1, cutoff=0.6)
    hint = f" (did you mean '{shown}#{close[0]}'?)" if close else ""
    where = f"manuscript/{file}" if shown else "this chapter"
    diags.error(link.location, f"link '{link.href}' points at '#{link.name}', which is "
                f"nowhere in {where}{hint}; a heading is linked by its slug (its text in lower "
                "case, spaces made '-': '## Next steps' is #next-steps), an element by its "
                "id, a footnote as #fn-<label>", "link.unknown-target")


def link_path(href_path: str) -> str:
    """A link's path as a path relative to manuscript/ ('../x' when it leaves it)."""
    joined = posixpath.normpath(posixpath.join("manuscript", _nfc(href_path)))
    return joined.removeprefix("manuscript/") if joined.startswith("manuscript/") else \
        posixpath.relpath(joined, "manuscript")
