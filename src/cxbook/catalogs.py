"""Keeping the message catalogs: extract every label from the code and the templates into
``locale/cxbook.pot``, and bring each shipped ``locale/<name>/LC_MESSAGES/cxbook.po`` up
to date with it (the shape of ``pybabel extract`` and ``pybabel update``, with cxbook's
keywords and rules). Run by ``tools/update-catalogs.py`` (``make catalogs``); the tests
compare the committed template with a fresh extraction.

Rules the extraction enforces: every message has a context (its label name, which a book
uses in ``labels:`` to override it) and a context names one message.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from . import i18n

PACKAGE = Path(__file__).resolve().parent
# The functions (and Localizer methods) whose arguments are messages: name -> positions
# of (context, singular[, plural]) in Babel's keyword notation.
KEYWORDS: dict[str, tuple[tuple[int, str] | int, ...]] = {
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "markup": ((1, "c"), 2),
    "nmarkup": ((1, "c"), 2, 3),
    "raw": ((1, "c"), 2),
    "forms": ((1, "c"), 2, 3),
}
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
COMMENT_TAGS = ("L10N:",)
# Fixed dates, so that the files change only when their messages do.
CREATION_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HEADER = ("Labels cxbook writes into the books it builds (EPUB, PDF editions, SCORM).\n"
          "Each message's context is the label's name, which book.yaml's 'labels:' uses.")


class CatalogError(Exception):
    """The code's messages break a rule of the catalogs."""


@dataclass(frozen=True)
class Found:
    context: str
    ids: tuple[str, ...]  # singular[, plural]
    location: str  # package-relative file name
    comments: tuple[str, ...]


def _found(root: Path) -> Iterator[Found]:
    skip = {"catalogs.py"}  # its docstring names the keywords
    for filename, _line, message, comments, context in extract_from_dir(
            str(root), METHODS, {}, KEYWORDS, COMMENT_TAGS, strip_comment_tags=True):
        if Path(filename).name in skip:
            continue
        ids = tuple(message) if isinstance(message, (list, tuple)) else (message,)
        yield Found(context or "", tuple(str(i) for i in ids), Path(filename).as_posix(),
                    tuple(comments))


def extract(root: Path = PACKAGE) -> Catalog:
    """The message template made from the package's code and templates, in the order of
    the label names."""
    by_context: dict[str, Found] = {}
    locations: dict[str, list[str]] = {}
    comments: dict[str, list[str]] = {}
    for found in _found(root):
        if not found.context:
            raise CatalogError(f"{found.location}: message {found.ids[0]!r} has no context "
                               "(label name); use pgettext/npgettext")
        known = by_context.get(found.context)
        if known is not None and known.ids != found.ids:
            raise CatalogError(f"{found.location}: label '{found.context}' is {found.ids!r} "
                               f"here and {known.ids!r} in {known.location}")
        by_context.setdefault(found.context, found)
        where = locations.setdefault(found.context, [])
        if found.location not in where:
            where.append(found.location)
        notes = comments.setdefault(found.context, [])
        notes.extend(c for c in found.comments if c not in notes)
    catalog = _new_catalog(None)
    for context in sorted(by_context):
        found = by_context[context]
        message_id = found.ids if len(found.ids) > 1 else found.ids[0]
        catalog.add(message_id, context=context,
                    locations=[(name, 0) for name in sorted(locations[context])],
                    auto_comments=comments[context])
    return catalog


def _new_catalog(locale: str | None) -> Catalog:
    return Catalog(locale=Locale.parse(locale) if locale else None, domain=i18n.DOMAIN,
                   project="cxbook", version=None, header_comment=f"# {HEADER}".replace(
                       "\n", "\n# "), creation_date=CREATION_DATE,
                   revision_date=CREATION_DATE, msgid_bugs_address="", fuzzy=False)


def po_bytes(catalog: Catalog) -> bytes:
    """A catalog as a .po (or .pot) file: file names without line numbers, so that moving
    code does not change it."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=88, include_lineno=False, omit_header=False)
    return buffer.getvalue()


def updated(template: Catalog, existing: bytes | None, locale: str) -> Catalog:
    """A language's catalog brought up to date with ``template``: new messages added
    untranslated (in English, the source language, as their own translation), messages
    no longer used dropped, changed English texts marked fuzzy for review."""
    if existing is None:
        catalog = _new_catalog(locale)
    else:
        catalog = read_po(io.BytesIO(existing), locale=locale, domain=i18n.DOMAIN)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=True)
    catalog.obsolete.clear()
    catalog.creation_date = CREATION_DATE
    if locale == i18n.SOURCE_LANGUAGE:
        for message in catalog:
            if message.id and not _translated(message):
                message.string = message.id
                message.flags.discard("fuzzy")
    return catalog


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else (
        message.string,)
    return all(strings)


LABELS_START = "<!-- labels: made by tools/update-catalogs.py -->"
LABELS_END = "<!-- /labels -->"


def label_table(template: Catalog) -> str:
    """The documentation's table of labels: name, English text (placeholders as
    ``{name}``, as book.yaml writes them), and what the message is for."""
    rows = ["| label | English | note |", "|---|---|---|"]
    for message in template:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        english = " / ".join(i18n.brace_text(str(i)) for i in dict.fromkeys(ids))
        note = " ".join(" ".join(c.split()) for c in message.auto_comments)
        if len(ids) > 1:
            note = ("depends on a count (plural categories)" + (": " + note if note else ""))
        cell = english.replace("|", "\\|")
        rows.append(f"| `{message.context}` | {cell} | {note.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def with_label_table(document: str, template: Catalog) -> str:
    """``document`` (docs/FORMAT.md) with its table of labels made from ``template``."""
    head, found, rest = document.partition(LABELS_START)
    if not found:
        raise CatalogError(f"docs/FORMAT.md has no '{LABELS_START}' line")
    _, found, tail = rest.partition(LABELS_END)
    if not found:
        raise CatalogError(f"docs/FORMAT.md has no '{LABELS_END}' line")
    return f"{head}{LABELS_START}\n{label_table(template)}{LABELS_END}{tail}"


def update_all(root: Path = PACKAGE, docs: Path | None = None) -> list[str]:
    """Write the template and every shipped catalog; names of the files changed."""
    folder = root / "locale"
    template = extract(root)
    changed: list[str] = []

    def write(path: Path, data: bytes) -> None:
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(path.relative_to(root).as_posix())

    write(folder / f"{i18n.DOMAIN}.pot", po_bytes(template))
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())
    for name in names:
        po = folder / name / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
        existing = po.read_bytes() if po.is_file() else None
        write(po, po_bytes(updated(template, existing, name)))
    if docs is not None and docs.is_file():
        text = docs.read_text(encoding="utf-8")
        new = with_label_table(text, template)
        if new != text:
            docs.write_text(new, encoding="utf-8")
            changed.append(str(docs))
    return changed
