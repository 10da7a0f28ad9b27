"""The preview's chrome, added to a page only as it is served: a link to the preview's
stylesheet, the reload script (the one script the preview adds; it also shows problems
as an overlay) and a small bar of links (contents, previous and next document, the course
page or the reader view, the chapter's PDF). Nothing of it is in any output: the pages
are kept as the renderers made them (site.py) and changed here, per response.

The chrome's words are labels in the book's language (preview_labels); the server's own
pages before the first good build, when no book is known, are in English.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from markupsafe import escape

from ..i18n import SOURCE_LANGUAGE, Localizer, localizer
from .site import (
    COURSE_PAGE,
    OWN,
    START,
    PageLinks,
    Site,
    course_path,
    pdf_path,
)

RELOAD_SCRIPT = OWN + "reload.js"
STYLESHEET = OWN + "preview.css"
EVENTS = OWN + "events"



def preview_labels(loc: Localizer) -> dict[str, str]:
    """The chrome's words in the book's language (``loc``), by the name the chrome and the
    reload script use."""
    return {
        # L10N: the preview's bar of links (cxbook serve), as a screen reader names it
        "bar": loc.pgettext("preview.bar", "Preview"),
        "contents": loc.pgettext("preview.contents", "Contents"),
        "previous": loc.pgettext("preview.previous", "Previous"),
        "next": loc.pgettext("preview.next", "Next"),
        "course": loc.pgettext("preview.course", "Course page"),
        "reader": loc.pgettext("preview.reader", "Reader view"),
        "pdf": loc.pgettext("preview.pdf", "PDF of this chapter"),
        # for the reload script
        "errors": loc.pgettext(
            "preview.errors",
            "The project has errors; the preview shows the last version without them"),
        "errors-current": loc.pgettext("preview.errors-current",
                                       "The project has errors that would stop a build"),
        "warnings": loc.pgettext("preview.warnings", "Warnings"),
        "hide": loc.pgettext("preview.hide", "Hide"),
        "show": loc.pgettext("preview.show", "Show"),
        "stopped": loc.pgettext("preview.stopped", "The preview server has stopped"),
        # for the pages the server makes itself
        "not-found": loc.pgettext("preview.not-found", "Not in the preview"),
        "not-found-text": loc.pgettext(
            "preview.not-found-text", "Nothing of the book or the course is at this address."),
        "waiting": loc.pgettext("preview.waiting", "No preview yet"),
        "waiting-text": loc.pgettext(
            "preview.waiting-text",
            "The project has errors; the preview appears as soon as they are fixed."),
    }


# What the reload script needs of them.
SCRIPT_LABELS = ("errors", "errors-current", "warnings", "hide", "show", "stopped")


def _href(path: str) -> str:
    """A preview address as an attribute value (percent-encoded, then escaped)."""
    return str(escape(quote(path, safe="/#-._~")))


def _link(labels: dict[str, str], path: str | None, label: str, *, rel: str = "",
          hidden: bool = False) -> str:
    """A link of the bar; ``data-cxbook-link`` names it for the reload script."""
    if path is None and not hidden:
        return ""
    attributes = f' href="{_href(path)}"' if path is not None else ""
    attributes += f' rel="{rel}"' if rel else ""
    attributes += ' hidden="hidden"' if hidden else ""
    return (f'<a class="cxbook-preview-link" data-cxbook-link="{label}"{attributes}>'
            f"{escape(labels[label])}</a>")


def bar(links: PageLinks, labels: dict[str, str], *, course: bool) -> str:
    """The bar of links, as markup that is both well-formed XML and HTML. On the course
    page, the reload script points the reader-view and PDF links at the page shown."""
    chapter = links.chapter
    if course:
        items = [_link(labels, START, "reader"), _link(labels, None, "pdf", hidden=True)]
    else:
        items = [_link(labels, START, "contents"),
                 _link(labels, links.previous, "previous", rel="prev"),
                 _link(labels, links.next, "next", rel="next"),
                 _link(labels, course_path(chapter), "course"),
                 _link(labels, pdf_path(chapter), "pdf") if chapter is not None else ""]
    return (f'<nav class="cxbook-preview-bar" aria-label="{escape(labels["bar"])}">'
            + "".join(items) + "</nav>")


def head(digest: str, kind: str, labels: dict[str, str]) -> str:
    """The stylesheet link and the reload script, with what the script needs: the digest
    of the page as served (site.page_digests), the kind of page and the labels."""
    words = json.dumps({k: labels[k] for k in SCRIPT_LABELS}, ensure_ascii=False)
    return (f'<link rel="stylesheet" type="text/css" href="{STYLESHEET}"/>'
            f'<script src="{RELOAD_SCRIPT}" defer="defer" data-cxbook-page="{escape(digest)}" '
            f'data-cxbook-kind="{escape(kind)}" data-cxbook-events="{EVENTS}" '
            f'data-cxbook-labels="{escape(words)}"></script>')


def with_chrome(site: Site, path: str, data: bytes) -> bytes:
    """A page of ``site`` with the chrome: the head's additions before ``</head>``, the bar
    right after ``<body …>``. The renderers write each of these tags once, before any
    content (text holding ``</head>`` would be escaped)."""
    course = path == COURSE_PAGE
    labels = preview_labels(localizer(site.project.book))
    addition = head(site.pages.get(path, ""), "course" if course else "reader", labels)
    return _inserted(data, addition,
                     bar(site.links.get(path, PageLinks()), labels, course=course))


def _inserted(data: bytes, in_head: str, in_body: str) -> bytes:
    end_head = data.find(b"</head>")
    body = data.find(b"<body", end_head)
    body_end = data.find(b">", body)
    if end_head < 0 or body < 0 or body_end < 0:
        raise ValueError("a preview page without <head> and <body>")
    return (data[:end_head] + in_head.encode("utf-8") + data[end_head:body_end + 1]
            + in_body.encode("utf-8") + data[body_end + 1:])


def own_page(title_label: str, text_label: str, *, kind: str,
             loc: Localizer | None = None) -> bytes:
    """A page the server makes itself (nothing at an address; no preview yet), with the
    reload script, so that it turns into the preview once there is one; in the book's
    language (``loc``), in English when no book is known yet."""
    loc = loc or Localizer(SOURCE_LANGUAGE)
    labels = preview_labels(loc)
    title = escape(labels[title_label])
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(loc.language)}" dir="{loc.direction}">\n'
        f'<head>\n<meta charset="utf-8"/>\n'
        f"<title>{title}</title>\n{head('', kind, labels)}\n</head>\n<body>\n"
        f'{bar(PageLinks(), labels, course=False)}\n<main class="cxbook-preview-own">\n'
        f"<h1>{title}</h1>\n<p>{escape(labels[text_label])}</p>\n</main>\n"
        "</body>\n</html>\n"
    ).encode()
