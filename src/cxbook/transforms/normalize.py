"""One normalization step for a chapter's HTML, shared by every output.

Markdown rendering (markdown.py) closes inline elements left open at the end of their block
and sanitizes with nh3, whose parser (html5ever) builds the tree a browser builds: unclosed
and misnested tags are settled there. This step parses that HTML once more with lxml.html
into a tree and makes it fit for every output:

- content models: a block inside an inline element is moved out of it (the inline element
  is split around it, as browsers render it); a block inside a heading becomes part of the
  heading's text; list items, definition terms and captions outside their parent element
  are put into one or made plain blocks;
- headings: an empty heading is taken out of the text and of every contents list and
  outline; levels are shifted so that the chapter's highest is h2;
- ids: every heading gets a name (the documented slug of its text), every element that
  has an id keeps it as its name; a name used twice in a chapter is renamed (``-2``) with
  a warning; each element's id is ``ch-<chapter slug>.<name>``, unique across the book;
- links: every link is classified once (another chapter, a place in this chapter, an
  external address) and internal ones are recorded with their place, for links.py to
  check, and written as ``#<id>``, which each renderer writes its own way;
- attributes whose values no e-book validator accepts are removed with a warning.

Hand-written on purpose: the content-model repairs and the id and link bookkeeping. HTML5
parsers (html5lib, html5ever, lxml) build the tree a browser builds, which may still hold a
``<div>`` inside a ``<span>`` or an ``<li>`` outside a list — valid for a browser, refused by
EPUBCheck — and no library repairs a tree to the content models.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import mdurl
from lxml import etree
from lxml import html as lxml_html

from ..diagnostics import Diagnostics, SourceLocation
from ..i18n import text_direction
from ..model import Link
from ..tree import drop
from .links import link_path

LOCATION_ATTRIBUTE = "data-cx-at"  # index into the chapter's locations; removed here
GENERATED = "g"  # LOCATION_ATTRIBUTE value of elements cxbook made (note references)
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input",
                           "link", "meta", "source", "track", "wbr"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements whose content is phrasing content: text and the inline elements.
INLINE = frozenset("""abbr b bdi bdo cite code dfn em i kbd mark q rp rt ruby s samp small
                      span strong sub sup time u var""".split())
TRANSPARENT = frozenset({"a", "ins", "del"})  # content model: their parent's
PHRASING_BLOCKS = frozenset({"p", "pre"})  # blocks that hold phrasing content only
PHRASING = INLINE | TRANSPARENT | frozenset({"br", "img", "wbr"})
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
BCP47_RE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
ROLES = frozenset("""alert alertdialog application article banner button cell checkbox
    columnheader complementary contentinfo definition dialog directory document feed figure
    form grid gridcell group heading img link list listbox listitem log main marquee math
    menu menubar menuitem menuitemcheckbox menuitemradio navigation none note option
    presentation progressbar radio radiogroup region row rowgroup rowheader scrollbar search
    searchbox separator slider spinbutton status switch tab table tablist tabpanel term
    textbox timer toolbar tooltip tree treegrid treeitem doc-abstract doc-acknowledgments
    doc-afterword doc-appendix doc-backlink doc-biblioentry doc-bibliography doc-biblioref
    doc-chapter doc-colophon doc-conclusion doc-cover doc-credit doc-credits doc-dedication
    doc-endnote doc-endnotes doc-epigraph doc-epilogue doc-errata doc-example doc-footnote
    doc-foreword doc-glossary doc-glossref doc-index doc-introduction doc-noteref doc-notice
    doc-pagebreak doc-pagelist doc-part doc-preface doc-prologue doc-pullquote doc-qna
    doc-subtitle doc-tip doc-toc""".split())
# Attribute values an e-book validator checks: name -> (pattern, what a value must be).
VALUE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "lang": (BCP47_RE, "a language tag such as 'en' or 'fr-CA'"),
    "hreflang": (BCP47_RE, "a language tag such as 'en' or 'fr-CA'"),
    "dir": (re.compile(r"^(ltr|rtl|auto)$"), "'ltr', 'rtl' or 'auto'"),
    "width": (re.compile(r"^[0-9]{1,5}$"), "a whole number of pixels"),
    "height": (re.compile(r"^[0-9]{1,5}$"), "a whole number of pixels"),
    "colspan": (re.compile(r"^0*[1-9][0-9]{0,2}$"), "a whole number from 1 to 999"),
    "rowspan": (re.compile(r"^[0-9]{1,4}$"), "a whole number from 0 to 9999"),
    "span": (re.compile(r"^0*[1-9][0-9]{0,2}$"), "a whole number from 1 to 999"),
    "start": (re.compile(r"^-?[0-9]{1,9}$"), "a whole number"),
    "type": (re.compile(r"^[1aAiI]$"), "one of 1, a, A, i, I"),
    "scope": (re.compile(r"^(row|col|rowgroup|colgroup)$"), "row, col, rowgroup or colgroup"),
    "datetime": (re.compile(r"^\d{4}(-\d\d(-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?"
                            r"(Z|[+-]\d\d:?\d\d)?)?)?)?$"), "a date such as 2013-05-01"),
}


def slugify(text: str) -> str:
    """The documented slug of a heading's text: NFKC, lower case, characters other than
    letters, digits, spaces, '_' and '-' dropped, runs of spaces, '_' and '-' made one
    '-', no '-' at either end; "section" when nothing is left."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE)
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    return text or "section"


def _is_name_char(c: str) -> bool:
    """XML 1.0 NameChar without ':' (an id must be an XML name without colons)."""
    o = ord(c)
    return (c.isascii() and (c.isalnum() or c in "-._")) or o == 0xB7 or (
        0xC0 <= o <= 0xD6 or 0xD8 <= o <= 0xF6 or 0xF8 <= o <= 0x37D or 0x37F <= o <= 0x1FFF
        or 0x200C <= o <= 0x200D or 0x203F <= o <= 0x2040 or 0x2070 <= o <= 0x218F
        or 0x2C00 <= o <= 0x2FEF or 0x3001 <= o <= 0xD7FF or 0xF900 <= o <= 0xFDCF
        or 0xFDF0 <= o <= 0xFFFD or 0x10000 <= o <= 0xEFFFF)


def id_name(text: str) -> str:
    """A link-target name as ids can hold it: NFC, every character that an XML name cannot
    hold (spaces, ':', '#', '/' …) made '-'. Applied alike to ids, slugs and the names
    links ask for, so that they compare equal."""
    text = unicodedata.normalize("NFC", text.strip())
    return "".join(c if _is_name_char(c) else "-" for c in text) or "id"


def chapter_slug(stem: str) -> str:
    """The stem without a leading number: '02-worry-less' -> 'worry-less'."""
    slug = re.sub(r"^\d+[-_. ]*", "", stem)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", slug).strip("-").lower()
    return slug or "chapter-" + re.sub(r"[^0-9]", "", stem)


def id_prefix(slug: str) -> str:
    """What every id made from a chapter's text starts with. Chapter slugs hold no '.',
    so ids of different chapters never meet."""
    return f"ch-{slug}."


@dataclass
class Names:
    """The link-target names of one chapter, in the order they were given, with where."""

    slug: str
    taken: dict[str, SourceLocation | None] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def anchor(self, name: str) -> str:
        return id_prefix(self.slug) + name

    def claim(self, wanted: str, location: SourceLocation | None, kind: str
              ) -> tuple[str, str | None]:
        """(the name given, the wanted name when it was already taken)."""
        name = id_name(wanted)
        if name not in self.taken:
            self.taken[name] = location
            self.kinds[name] = kind
            return name, None
        n = 2
        while f"{name}-{n}" in self.taken:
            n += 1
        self.taken[f"{name}-{n}"] = location
        self.kinds[f"{name}-{n}"] = kind
        return f"{name}-{n}", name


@dataclass
class Normalized:
    html: str
    notes: list[tuple[str, int, str]]  # (anchor, number, html)
    headings: list[tuple[int, str, str, SourceLocation]]  # (level, text, anchor, location)
    targets: list[tuple[str, str, str]]  # (name, anchor, kind)
    links: list[Link]


class _Context:
    def __init__(self, names: Names, locations: list[SourceLocation], fallback: SourceLocation,
                 diags: Diagnostics) -> None:
        self.names = names
        self.locations = locations
        self.fallback = fallback
        self.diags = diags
        self.links: list[Link] = []

    def where(self, el: etree._Element) -> SourceLocation:
        node: etree._Element | None = el
        while node is not None:
            value = node.get(LOCATION_ATTRIBUTE)
            if value is not None and value.isdigit() and int(value) < len(self.locations):
                return self.locations[int(value)]
            node = node.getparent()
        return self.fallback

    def warn(self, el: etree._Element, message: str, code: str) -> None:
        self.diags.warning(self.where(el), message, code)


def parse_fragment(fragment: str) -> etree._Element:
    """A <div> holding the fragment, parsed as HTML."""
    fragment = XML_INVALID_RE.sub("", fragment)
    if not fragment.strip():
        return lxml_html.fromstring("<div></div>")
    return lxml_html.fragment_fromstring(fragment, create_parent="div")


def serialize(container: etree._Element) -> str:
    """The container's content as XHTML (self-closed void elements, escaped text)."""
    for element in container.iter():
        # Never <h2/>: an HTML parser reads that as an opening tag.
        if element.text is None and len(element) == 0 and element.tag not in VOID_ELEMENTS:
            element.text = ""
    out = [html.escape((container.text or "").lstrip(), quote=False)]
    for child in container:
        out.append(etree.tostring(child, method="xml", encoding="unicode", with_tail=True))
    return "".join(out)


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    for el in root.iter():
        if isinstance(el.tag, str) and el is not root:
            yield el


def _unwrap(el: etree._Element) -> None:
    """Replace the element by its content."""
    parent = el.getparent()
    assert parent is not None
    index = parent.index(el)
    children = list(el)
    text, tail = el.text or "", el.tail or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + text
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    elif index == 0:
        parent.text = (parent.text or "") + tail
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + tail
    parent.remove(el)


def _wrap_runs(parent: etree._Element, keep: frozenset[str], wrapper: str) -> bool:
    """Put each run of children (and text) of ``parent`` that are not ``keep`` elements into
    a new ``wrapper`` element. True when anything was wrapped."""
    changed = False
    items: list[tuple[str | None, etree._Element | None]] = []
    if (parent.text or "").strip():
        items.append((parent.text, None))
    parent.text = None
    for child in list(parent):
        items.append((None, child))
        if (child.tail or "").strip():
            items.append((child.tail, None))
        child.tail = None
        parent.remove(child)
    current: etree._Element | None = None
    for text, child in items:
        if child is not None and isinstance(child.tag, str) and child.tag in keep:
            parent.append(child)
            current = None
            continue
        if current is None:
            current = etree.SubElement(parent, wrapper)
            changed = True
        if child is None:
            if len(current):
                current[-1].tail = (current[-1].tail or "") + (text or "")
            else:
                current.text = (current.text or "") + (text or "")
        else:
            current.append(child)
    return changed


def _content_models(root: etree._Element, ctx: _Context) -> None:
    """Elements that belong inside a particular parent, and blocks inside phrasing."""
    for el in list(_elements(root)):
        parent = el.getparent()
        if parent is None:
            continue
        tag, ptag = el.tag, parent.tag
        if tag == "li" and ptag not in ("ul", "ol"):
            ctx.warn(el, "raw HTML: <li> outside a list; it was put in a list of its own "
                     "(<ul>); write the list in Markdown or inside <ul> … </ul>",
                     "html.misplaced")
            holder = etree.Element("ul")
            parent.replace(el, holder)
            holder.tail, el.tail = el.tail, None
            holder.append(el)
            # Following list items join the same list.
            while holder.getnext() is not None and holder.getnext().tag == "li" and \
                    not (holder.tail or "").strip():
                nxt = holder.getnext()
                holder.tail, nxt.tail = nxt.tail, None
                holder.append(nxt)
        elif tag in ("dt", "dd") and ptag != "dl":
            ctx.warn(el, f"raw HTML: <{tag}> outside a definition list (<dl>); it was made "
                     "a plain block", "html.misplaced")
            el.tag = "div"
        elif tag == "figcaption" and (ptag != "figure" or (
                el.getprevious() is not None and el.getnext() is not None)):
            ctx.warn(el, "raw HTML: <figcaption> must be the first or last thing in a "
                     "<figure>; it was made a plain block", "html.misplaced")
            el.tag = "div"
        elif tag == "summary" and (ptag != "details" or el.getprevious() is not None):
            ctx.warn(el, "raw HTML: <summary> must be the first thing in a <details>; it was "
                     "made a plain block", "html.misplaced")
            el.tag = "div"
        elif tag in ("rt", "rp") and ptag != "ruby":
            el.tag = "span"
        elif tag == "caption" and ptag == "table" and el.getprevious() is not None:
            parent.remove(el)
            parent.insert(0, el)
    for el in list(_elements(root)):
        tag = el.tag
        if tag == "details":
            first = el[0] if len(el) else None
            if first is None or first.tag != "summary" or (el.text or "").strip():
                ctx.warn(el, "raw HTML: <details> without a <summary> first; it was made a "
                         "plain block", "html.misplaced")
                el.tag = "div"
        elif tag in ("ul", "ol") and (_wrap_runs(el, frozenset({"li"}), "li")):
            ctx.warn(el, f"raw HTML: text or elements directly inside <{tag}>; they were put "
                     "in list items (<li>)", "html.misplaced")
        elif tag == "dl" and not _valid_dl(el):
            ctx.warn(el, "raw HTML: a definition list (<dl>) must hold terms (<dt>) each "
                     "followed by descriptions (<dd>); it was made plain blocks",
                     "html.misplaced")
            el.tag = "div"
            for child in el:
                if child.tag in ("dt", "dd"):
                    child.tag = "div"
    for el in list(_elements(root)):
        if el.tag in PHRASING or el.getparent() is None:
            continue
        _lift_block(el, ctx)
    for el in list(_elements(root)):
        if el.tag in HEADINGS | {"section", "aside"} and _inside(el, ("th", "dt")):
            el.tag = "p" if el.tag in HEADINGS else "div"


def _valid_dl(dl: etree._Element) -> bool:
    if (dl.text or "").strip():
        return False
    state = "start"
    for child in dl:
        if (child.tail or "").strip() or child.tag not in ("dt", "dd"):
            return False
        if child.tag == "dt":
            state = "dt"
        elif state == "start":
            return False
        else:
            state = "dd"
    return state != "dt"


def _inside(el: etree._Element, tags: tuple[str, ...]) -> bool:
    node = el.getparent()
    while node is not None:
        if node.tag in tags:
            return True
        node = node.getparent()
    return False


def _phrasing_parent(el: etree._Element) -> etree._Element | None:
    """The nearest ancestor that decides el's content model (transparent ones skipped) when
    it allows phrasing content only; None when it allows blocks."""
    node = el.getparent()
    while node is not None and node.tag in TRANSPARENT:
        node = node.getparent()
    if node is None:
        return None
    if node.tag in INLINE or node.tag in PHRASING_BLOCKS or node.tag in HEADINGS or \
            node.tag in ("summary", "rt", "rp", "ruby"):
        return node
    return None


def _lift_block(block: etree._Element, ctx: _Context) -> None:
    """A block inside phrasing content: moved out of each inline element around it (which
    is split, its copy wrapping the block's content, as browsers render it), then out of a
    paragraph (split in two); inside a heading it becomes part of the heading's text."""
    holder = _phrasing_parent(block)
    if holder is None:
        return
    if holder.tag in HEADINGS or holder.tag in ("summary", "rt", "rp", "ruby"):
        ctx.warn(block, f"raw HTML: <{block.tag}> inside <{holder.tag}> is not allowed in "
                 "an e-book; its text was kept as part of the heading's text",
                 "html.block-in-inline")
        for el in [block, *_elements(block)]:
            if el.tag not in PHRASING:
                el.tag = "span"
        return
    ctx.warn(block, f"raw HTML: <{block.tag}> inside <{holder.tag}> is not allowed in an "
             f"e-book; the <{holder.tag}> was closed before it and opened again after it",
             "html.block-in-inline")
    while True:
        parent = block.getparent()
        if parent is None or _phrasing_parent(block) is None:
            return
        _split_around(parent, block)


def _split_around(parent: etree._Element, block: etree._Element) -> None:
    """parent(… block …) -> parent(…) block' parent(…), where block' holds block's content
    wrapped in a copy of parent (without its id) unless parent is a paragraph."""
    grand = parent.getparent()
    assert grand is not None
    index = list(parent).index(block)
    after = copy(parent)
    for child in list(after):
        after.remove(child)
    after.text = block.tail
    after.tail = parent.tail
    for child in list(parent)[index + 1:]:
        after.append(child)
    block.tail = None
    parent.remove(block)
    parent.tail = None
    if after.get("id"):
        del after.attrib["id"]
    if parent.tag not in PHRASING_BLOCKS and parent.tag not in HEADINGS:
        inner = copy(parent)
        for child in list(inner):
            inner.remove(child)
        if inner.get("id"):
            del inner.attrib["id"]
        inner.text, block.text = block.text, None
        for child in list(block):
            inner.append(child)
        inner.tail = None
        block.append(inner)
    position = grand.index(parent)
    grand.insert(position + 1, block)
    grand.insert(position + 2, after)
    for piece in (parent, after):
        if not len(piece) and not (piece.text or "").strip() and not piece.get("id"):
            drop(piece)


def _text_of(el: etree._Element) -> str:
    parts = [el.text or ""]
    for child in el:
        if child.tag == "img":
            parts.append(child.get("alt") or "")
        elif isinstance(child.tag, str):
            parts.append(_text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _headings(root: etree._Element, ctx: _Context) -> list[etree._Element]:
    """Empty headings taken out; the rest shifted so that the highest is h2."""
    kept: list[etree._Element] = []
    for el in list(_elements(root)):
        if el.tag not in HEADINGS:
            continue
        if " ".join(_text_of(el).split()):
            kept.append(el)
            continue
        ctx.warn(el, "heading has no text; it was left out of the text, the contents and "
                 "the outline; write its text or delete the line", "heading.empty")
        ident = el.get("id")
        if ident is not None or len(el):
            el.tag = "div"  # keeps a link target and anything else it holds
        else:
            drop(el)
    if kept:
        shift = 2 - min(int(h.tag[1]) for h in kept)
        for h in kept:
            h.tag = f"h{max(2, min(int(h.tag[1]) + shift, 6))}"
    return kept


def _names(root: etree._Element, ctx: _Context, headings: set[etree._Element]) -> None:
    """Every id and heading claims a name in document order; ids become book-unique."""
    for el in _elements(root):
        raw = el.get("id")
        if (raw is None and el not in headings) or el.get(LOCATION_ATTRIBUTE) == GENERATED:
            continue
        if raw is not None:
            name, taken = ctx.names.claim(raw, ctx.where(el), "id")
            if taken is not None:
                first = ctx.names.taken.get(taken)
                where = f" (first at line {first.line})" if first is not None else ""
                what = "a footnote" if ctx.names.kinds.get(taken) == "footnote" else \
                    "a heading" if ctx.names.kinds.get(taken) == "heading" else "an element"
                ctx.warn(el, f"id '{raw}' is already the name of {what} in this chapter"
                         f"{where}; this one was renamed '{name}', and links to '#{taken}' "
                         "go to the first; give each id its own name", "html.duplicate-id")
        else:
            name, _ = ctx.names.claim(slugify(" ".join(_text_of(el).split())),
                                      ctx.where(el), "heading")
        el.set("id", ctx.names.anchor(name))


def _link(el: etree._Element, ctx: _Context) -> None:
    href = el.get("href")
    if href is None or el.get(LOCATION_ATTRIBUTE) == GENERATED:
        return
    where = ctx.where(el)
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in LINK_SCHEMES:
        el.set("href", mdurl.encode(href.strip()))
        return
    if parts is None or parts.scheme or parts.netloc or not href.strip():
        # recorded as a link to no file: links.py reports it
        ctx.links.append(Link(href, where, href.strip() or "", None, ""))
        el.attrib.pop("href")
        return
    name = id_name(unquote(parts.fragment)) if parts.fragment else None
    if not parts.path:
        path = None
        anchor = ctx.names.anchor(name) if name else f"ch-{ctx.names.slug}"
    else:
        path = link_path(unquote(parts.path))
        slug = chapter_slug(path[:-3]) if path.endswith(".md") and "/" not in path else ""
        anchor = (id_prefix(slug) + name if name else f"ch-{slug}") if slug else ""
    ctx.links.append(Link(href, where, path, name, anchor))
    if anchor:
        el.set("href", "#" + anchor)
    else:
        el.attrib.pop("href")


def _attributes(root: etree._Element, ctx: _Context) -> None:
    for el in _elements(root):
        for attribute, value in list(el.attrib.items()):
            rule = VALUE_RULES.get(attribute)
            bad = None
            if rule is not None and not rule[0].match(value.strip()):
                bad = rule[1]
            elif attribute == "role" and not set(value.split()) <= ROLES:
                bad = "an ARIA role"
            if attribute == "align":  # obsolete in HTML5: written as Markdown tables do
                align = value.strip().lower()
                del el.attrib["align"]
                if el.tag in ("td", "th") and align in ("left", "right", "center") and \
                        not el.get("style"):
                    el.set("style", f"text-align:{align}")
                continue
            if bad is not None:
                ctx.warn(el, f"raw HTML: '{attribute}' on <{el.tag}> must be {bad}, not "
                         f"'{value}'; it was removed from every output", "html.removed")
                del el.attrib[attribute]
            elif attribute == "type" and el.tag != "ol":
                del el.attrib[attribute]
            elif attribute == "cite":
                # A quotation's source is an address on the web; a relative one would
                # name a file the outputs do not hold.
                if urlsplit(value.strip()).scheme.lower() in ("http", "https"):
                    el.set("cite", mdurl.encode(value.strip()))
                else:
                    ctx.warn(el, f"raw HTML: 'cite' on <{el.tag}> must be a full https:// "
                             f"address, not '{value}'; it was removed from every output",
                             "html.removed")
                    del el.attrib["cite"]
        if el.tag == "td" or el.tag == "th":
            headers = el.get("headers")
            if headers is not None:
                known = [ctx.names.anchor(id_name(h)) for h in headers.split()
                         if id_name(h) in ctx.names.taken]
                if known:
                    el.set("headers", " ".join(known))
                else:
                    del el.attrib["headers"]


def _directions(root: etree._Element, inherited: str) -> None:
    """An element whose ``lang`` is written the other way from the text around it (Hebrew in
    an English chapter, English in an Arabic one) and has no ``dir`` gets one: browsers,
    reading systems and WeasyPrint take the direction from ``dir``, never from ``lang``, so
    a right-to-left paragraph would otherwise be laid out left to right. An element with
    ``dir="auto"`` or an explicit direction keeps it."""

    def walk(el: etree._Element, around: str) -> None:
        own = el.get("dir")
        lang = el.get("lang")
        if own in ("ltr", "rtl"):
            around = own
        elif own is None and lang:
            wanted = text_direction(lang)
            if wanted != around:
                el.set("dir", wanted)
                around = wanted
        for child in el:
            if isinstance(child.tag, str):
                walk(child, around)

    for child in root:
        if isinstance(child.tag, str):
            walk(child, inherited)


def normalize_chapter(
    body_html: str,
    notes: list[tuple[str, int, str]],
    *,
    names: Names,
    locations: list[SourceLocation],
    fallback: SourceLocation,
    diags: Diagnostics,
    language: str = "en",
) -> Normalized:
    """Normalize a chapter's sanitized body and footnote bodies (see the module docstring).
    ``language`` is the text's own (the chapter's or the book's): an element in a language
    written the other way gets its ``dir`` (see _directions).

    ``names`` already holds the footnotes' names; ``locations`` are the places that
    LOCATION_ATTRIBUTE values point at; ``fallback`` is used for elements without one.
    Warnings go to ``diags``; link problems are left to links.py (``Normalized.links``).
    """
    ctx = _Context(names, locations, fallback, diags)
    body = parse_fragment(body_html)
    note_roots = [(anchor, number, parse_fragment(h)) for anchor, number, h in notes]
    _content_models(body, ctx)
    for _, _, root in note_roots:
        _content_models(root, ctx)
    kept = _headings(body, ctx)
    _names(body, ctx, set(kept))
    for _, _, root in note_roots:
        _names(root, ctx, set())
    headings = [(int(h.tag[1]), " ".join(_text_of(h).split()), h.get("id") or "",
                 ctx.where(h)) for h in kept]
    for root in (body, *(r for _, _, r in note_roots)):
        for a in list(root.iter("a")):
            _link(a, ctx)
        _attributes(root, ctx)
        _directions(root, text_direction(language))
        for el in root.iter():
            if isinstance(el.tag, str) and LOCATION_ATTRIBUTE in el.attrib:
                del el.attrib[LOCATION_ATTRIBUTE]
    targets = [(name, names.anchor(name), names.kinds[name]) for name in names.taken]
    return Normalized(
        html=serialize(body),
        notes=[(anchor, number, serialize(root)) for anchor, number, root in note_roots],
        headings=headings,
        targets=targets,
        links=ctx.links,
    )
