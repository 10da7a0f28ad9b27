"""A web page (as a browser saves it) read into an :class:`Article`.

The steps, in order, each on the page's own tree:

1. credits from the page's metadata (trafilatura's reader of OpenGraph, schema.org JSON-LD,
   ``<meta>`` and byline markup; the date by htmldate from the page's markup only, never
   from its text or address, and with the chrome removed, so that a related post's or a
   comment's date is never taken for the article's);
2. footnotes taken out (:mod:`.notes`), quote attributions and figure captions made
   paragraphs, the republishing notice and the author box taken out (:mod:`.credits`);
3. the site's chrome removed by its markers (:mod:`.chrome`);
4. the article's blocks found by an extractor. Measured on the six test pages
   (``bench/import_extractors.py``, figures in bench/IMPORT_RESULTS.md), trafilatura keeps
   96% of the article's sentences and leaves out 98% of the chrome strings on the pages as
   saved (readability-lxml: 95% and 90%), and 100% and 100% after the preparation above
   (readability-lxml: 97% and 97%: it drops headings and keeps bylines). So trafilatura is
   used, and readability-lxml only when trafilatura finds no article;
5. promotions and a repeated title removed from what is kept (:func:`.article.tidy_body`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ..diagnostics import Diagnostics, SourceLocation
from ..readers.project import sniff_image
from ..tree import drop, text_of
from .article import Article, clean_text, tidy_body
from .chrome import prune, words
from .convert import ImageResolver
from .credits import bio_text, find_author_box, find_notice, json_ld_bio
from .notes import NOTE_TOKEN_RE, extract_notes
from .sources import SourceFile, decode_html

EXTRACTORS = ("trafilatura", "readability")
SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)\s*(\S+?)\s*-->", re.IGNORECASE)
MIN_ARTICLE_WORDS = 25
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# trafilatura's XML elements and the HTML they stand for.
_XML_TO_HTML = {"p": "p", "quote": "blockquote", "item": "li", "row": "tr", "lb": "br",
                "graphic": "img", "ref": "a", "del": "del", "table": "table", "div": "div",
                "code": "code", "label": "p"}
_HI = {"#b": "strong", "#i": "em", "#u": "u", "#t": "code", "#sup": "sup", "#sub": "sub"}
_COMMENT_WORDS = frozenset({"comment", "comments", "respond", "replies", "disqus"})


def read_page(source: SourceFile, diags: Diagnostics, *, extractor: str = "trafilatura",
              prepare: bool = True) -> Article | None:
    """The article in a saved page, or None after reporting why there is none.
    ``extractor`` (one of :data:`EXTRACTORS`) and ``prepare=False`` (the extractor alone on
    the page as it is, without steps 2, 3 and 5) are there to measure the extractors."""
    text = decode_html(source.data, source.shown, diags)
    if text is None:
        return None
    where = SourceLocation(source.shown)
    try:
        tree = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        diags.error(where, f"the page cannot be read as HTML ({e}); open it in a browser and "
                    "save it again", "import.not-html")
        return None
    saved_from = SAVED_FROM.search(text[:4096])
    article = _credits(tree, saved_from.group(1) if saved_from else None)

    work = copy.deepcopy(tree)
    for element in list(work.iter("script", "style", "noscript", "template")):
        if element.get("type", "").lower() != "application/ld+json":
            drop(element)
    images: dict[str, str] = {}
    if prepare:
        article.notes = extract_notes(work)
        images = _protect_images(work)
        _quote_attributions(work)
        _captions(work)
        notice = find_notice(work, skip=_in_comments)
        if notice is not None:
            article.notice = clean_text(text_of(notice))
            drop(notice)
        box = find_author_box(work)
        if box is not None:
            article.author_bio = bio_text(box)
            drop(box)
        article.author_bio = article.author_bio or json_ld_bio(tree, article.authors)
        prune(work)

    body = _extract(work, extractor, fallback=prepare)
    if body is None or len(_words(body)) < MIN_ARTICLE_WORDS:
        found = len(_words(body)) if body is not None else 0
        diags.error(where, "no article was found on the page"
                    + (f" (only {found} words of running text)" if found else "")
                    + "; if the article shows only after signing in or running scripts, open "
                    "it in a browser, wait until the text shows, and save the page again",
                    "import.no-article")
        return None
    for image in body.iter("img"):
        image.set("src", images.get(image.get("src") or "", image.get("src") or ""))
    if prepare:
        tidy_body(body, article.title, article.description)
    article.body = body
    article.resolve = _image_resolver(source.path)
    article.base_url = article.url
    return article


def _words(body: etree._Element) -> list[str]:
    return NOTE_TOKEN_RE.sub(" ", text_of(body)).split()


def _credits(tree: etree._Element, saved_from: str | None) -> Article:
    from htmldate import find_date
    from trafilatura.metadata import META_URL, extract_metadata

    meta = extract_metadata(copy.deepcopy(tree), default_url=saved_from, extensive=False)
    # The date from the page without its chrome: htmldate takes the earliest date it
    # finds, which on a page without a dated article is a related post's or a comment's.
    dated = copy.deepcopy(tree)
    prune(dated)
    date = find_date(dated, extensive_search=False, original_date=True,
                     outputformat="%Y-%m-%d")
    authors = [a.strip() for a in (meta.author or "").split(";") if a.strip()]
    sitename = clean_text(meta.sitename)
    url = meta.url if meta.url and urlsplit(meta.url).scheme in ("http", "https") else None
    if sitename and url:
        derived = META_URL.match(url)
        if derived and derived[1] == meta.sitename:
            sitename = None  # made from the address, not stated by the page
    language = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    title = clean_text(meta.title)
    if title and sitename:  # "Title | Site": the site is the publication, not the title
        title = re.sub(rf"\s+[|–—·:-]\s+{re.escape(sitename)}$", "", title) or title
    return Article(
        title=title,
        authors=authors,
        publication=sitename,
        url=url,
        date=date or None,
        license=clean_text(meta.license),
        language=clean_text(language),
        description=clean_text(meta.description),
    )


def _in_comments(element: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if words(parent) & _COMMENT_WORDS:
            return True
        parent = parent.getparent()
    return False


def _quote_attributions(root: etree._Element) -> None:
    """``<cite>``, ``<footer>`` or a figure's caption naming a quotation's source become
    the quotation's last paragraph, "— Name" (extractors drop them otherwise)."""
    for quote in list(root.iter("blockquote")):
        parent = quote.getparent()
        credit = [c for c in quote if c.tag in ("cite", "footer")]
        if parent is not None and parent.tag == "figure":
            credit += [c for c in parent if c.tag == "figcaption"]
        for element in credit:
            text = text_of(element)
            drop(element)
            if text:
                paragraph = etree.SubElement(quote, "p")
                paragraph.text = text if text[:1] in "—–-" else f"— {text}"


def _captions(root: etree._Element) -> None:
    """A figure's caption and a table's caption become a paragraph in italics after the
    image and before the table; figures become plain blocks."""
    for caption in list(root.iter("figcaption")):
        figure = caption.getparent()
        text = text_of(caption)
        drop(caption)
        if figure is None or not text:
            continue
        paragraph = etree.Element("p")
        etree.SubElement(paragraph, "em").text = text
        figure.addnext(paragraph)
        figure.tag = "div"
    for figure in root.iter("figure"):
        figure.tag = "div"  # extractors keep images in blocks, not always in figures
    for caption in list(root.iter("caption")):
        table = caption.getparent()
        text = text_of(caption)
        drop(caption)
        if table is not None and text:
            paragraph = etree.Element("p")
            etree.SubElement(paragraph, "em").text = text
            table.addprevious(paragraph)


def _extract(work: etree._Element, extractor: str, *, fallback: bool) -> etree._Element | None:
    body = _trafilatura(work) if extractor == "trafilatura" else None
    if extractor == "trafilatura" and not fallback:
        return body
    if body is None or len(_words(body)) < MIN_ARTICLE_WORDS:
        second = _readability(work)
        body = second if second is not None else body
    return body


def _trafilatura(work: etree._Element) -> etree._Element | None:
    from trafilatura import bare_extraction
    from trafilatura.settings import Document

    document = bare_extraction(
        copy.deepcopy(work), include_comments=False, include_images=True,
        include_links=True, include_formatting=True, include_tables=True,
        deduplicate=False, with_metadata=False)
    if not isinstance(document, Document) or document.body is None:
        return None
    return _from_trafilatura_xml(document.body)


def _from_trafilatura_xml(xml: etree._Element) -> etree._Element:
    """trafilatura's XML (``head``, ``list``, ``item``, ``hi``, ``ref``, ``graphic``,
    ``cell`` …) as the HTML it stands for."""
    body = etree.Element("div")
    body.text = xml.text
    for child in xml:
        body.append(copy.deepcopy(child))
    for element in body.iter():
        tag = element.tag
        if not isinstance(tag, str) or element is body:
            continue
        attributes = dict(element.attrib)
        element.attrib.clear()
        if tag == "head":
            rend = attributes.get("rend", "h2")
            element.tag = rend if re.fullmatch(r"h[1-6]", rend) else "h2"
        elif tag == "list":
            element.tag = "ol" if attributes.get("rend") == "ol" else "ul"
        elif tag == "hi":
            element.tag = _HI.get(attributes.get("rend", ""), "span")
        elif tag == "cell":
            element.tag = "th" if attributes.get("role") == "head" else "td"
        elif tag == "code" and "\n" in "".join(element.itertext()):
            element.tag = "pre"
        else:
            element.tag = _XML_TO_HTML.get(tag, "span")
        if tag == "ref" and attributes.get("target"):
            element.set("href", attributes["target"])
        if tag == "graphic":
            element.set("src", attributes.get("src", ""))
            element.set("alt", attributes.get("alt", ""))
    return body


def _readability(work: etree._Element) -> etree._Element | None:
    from readability import Document

    markup = lxml_html.tostring(work, encoding="unicode")
    try:
        summary = Document(markup).summary(html_partial=True)
    except Exception:  # readability raises its own Unparseable and plain errors alike
        return None
    try:
        fragment = lxml_html.fragment_fromstring(summary, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    for element in fragment.iter():
        if isinstance(element.tag, str):
            for attribute in [a for a in element.attrib if a not in ("href", "src", "alt")]:
                del element.attrib[attribute]
    return fragment


def _protect_images(root: etree._Element) -> dict[str, str]:
    """Give every image a stand-in address that extractors keep (they drop images whose
    address has no image extension, as browsers save some); returns stand-in -> the
    address the page gives (``src``, or for lazy loading ``data-src`` or ``srcset``),
    put back after extraction."""
    found: dict[str, str] = {}
    for image in list(root.iter("img")):
        src = ""
        for attribute in ("data-src", "data-lazy-src", "data-original", "src"):
            value = (image.get(attribute) or "").strip()
            if value and not (attribute == "src" and value.startswith("data:image/gif")
                              and image.get("data-src")):
                src = value
                break
        if not src and image.get("srcset"):
            src = (image.get("srcset") or "").split(",")[0].strip().split(" ")[0]
        if not src:
            drop(image)
            continue
        stand_in = f"cxbook-image-{len(found) + 1}.png"
        found[stand_in] = src
        for attribute in ("data-src", "data-lazy-src", "data-original", "srcset"):
            image.attrib.pop(attribute, None)
        image.set("src", stand_in)
    return found


def _image_resolver(page: Path) -> ImageResolver:
    folder = page.parent

    def resolve(src: str) -> tuple[bytes, str] | str:
        return local_image(folder, src)

    return resolve


def local_image(folder: Path, src: str) -> tuple[bytes, str] | str:
    """The image at ``src`` as a page or document in ``folder`` references it: (its bytes,
    its media type), or why it cannot be used. Remote images are never fetched."""
    parts = urlsplit(src)
    if src.startswith("data:"):
        return _data_url(src)
    if parts.scheme in ("http", "https") or src.startswith("//"):
        return ("it was not saved with the page (a browser's 'Web Page, complete' saves "
                "images into the _files folder); download it into manuscript/images/ and "
                "add it by hand")
    if parts.scheme not in ("", "file"):
        return f"'{parts.scheme}:' addresses cannot be read"
    path = Path(unquote(parts.path)) if parts.scheme == "file" else folder / unquote(parts.path)
    if not path.is_file():
        return f"there is no file '{unquote(parts.path)}' next to the source"
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return "it is larger than 10 MB"
        data = path.read_bytes()
    except OSError as e:
        return f"it cannot be read ({e.strerror or e})"
    media_type = sniff_image(data)
    if media_type is None:
        return "it is not a PNG, JPEG, GIF, WebP or SVG image"
    return data, media_type


def _data_url(src: str) -> tuple[bytes, str] | str:
    header, _, payload = src[5:].partition(",")
    try:
        data = (base64.b64decode(payload, validate=False) if header.endswith(";base64")
                else unquote_to_bytes(payload))
    except (binascii.Error, ValueError):
        return "its data: address cannot be decoded"
    media_type = sniff_image(data)
    if media_type is None:
        return "it is not a PNG, JPEG, GIF, WebP or SVG image"
    return data, media_type
