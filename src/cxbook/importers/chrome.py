"""What a page carries around its article: navigation, share bars, comments, sign-up and
cookie boxes, related links. Removed before the extractor sees the page (so neither
extractor can mistake a comment thread for the article) and checked again on what it
keeps, block by block.

The rules are the markers sites use for these parts, as data: element names and ARIA
roles that mean "not the article", class and id words (a class is split into words at
``-``, ``_`` and spaces, so ``share-tools__twitter`` has the word ``share`` and
``feed-shared-update`` has none), and the labels of in-text promotions in the languages
cxbook's catalogs know.
"""

from __future__ import annotations

import re

from lxml import etree

from ..tree import drop, is_inside, text_of

# Never the article itself, whatever their content.
CHROME_TAGS = frozenset({
    "nav", "form", "button", "input", "select", "textarea", "label", "script", "style",
    "noscript", "iframe", "template", "dialog", "aside", "footer", "object", "embed",
    "canvas", "menu",
})
CHROME_ROLES = frozenset({
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog",
    "alertdialog", "menu", "menubar", "toolbar", "form", "tablist",
})
# Words in class and id attributes that sites use for what is not the article.
CHROME_WORDS = frozenset({
    # share bars and reactions
    "share", "shares", "sharing", "sharer", "sharedaddy", "shariff", "addtoany", "a2a",
    "social", "socials", "sociallinks", "ufi", "reactions", "likes", "like", "votes", "vote",
    "rating", "follow",
    # comments
    "comment", "comments", "respond", "replies", "disqus",
    # related and recommended content
    "related", "relatedposts", "recommended", "recommendations", "recirculation",
    "popular", "trending", "viewed", "readmore", "outbrain", "taboola", "teaser",
    # newsletters, subscriptions, sign-in walls
    "newsletter", "newsletters", "subscribe", "subscription", "signup", "optin",
    "mailchimp", "paywall", "signin", "login", "registration", "modal", "popup", "overlay",
    # cookie and consent boxes
    "cookie", "cookies", "cookiebanner", "consent", "gdpr", "cmp", "cmplz",
    # advertising
    "ad", "ads", "advert", "adverts", "advertisement", "adslot", "sponsor", "sponsored",
    "promo", "promotion",
    # site navigation
    "breadcrumb", "breadcrumbs", "pagination", "pager", "sidebar", "sidenav", "navbar",
    "menu", "skip", "topbar", "masthead",
    # post furniture
    "tags", "taglist", "categories", "cat", "postnav",
})
WORD_SPLIT = re.compile(r"[-_\s]+")
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Parts of words that mean chrome wherever they stand ("CybotCookiebotDialog",
# "onetrust-banner-sdk", "disqus_thread"); none of them occurs inside an ordinary word.
CHROME_PARTS = ("cookie", "consent", "onetrust", "gdpr", "newsletter", "disqus",
                "didomi", "usercentrics", "paywall", "outbrain", "taboola", "sharethis",
                "addthis")

# In-text promotions: a short block that starts with one of these labels and is mostly
# a link ("Related: <a>…</a>", "Lesen Sie auch: <a>…</a>").
PROMO_LABELS = re.compile(
    r"^\s*(related|related articles?|related stories|related reading|read more|read also|"
    r"also read|read next|see also|more on this( story)?|recommended|don[’']t miss|"
    r"lesen sie auch|lies auch|auch interessant|mehr zum thema|passend dazu|weiterlesen|"
    r"lire aussi|à lire aussi|a lire aussi|voir aussi|lee también|leer más|ver también|"
    r"relacionado|leggi anche|lees ook|zie ook)\s*[:：»›>-]",
    re.IGNORECASE)
# A whole block that only asks to share, follow, comment or subscribe.
CALLS_TO_ACTION = re.compile(
    r"^\s*(share( this( (post|article|story))?)?( on| via)?( \w+)?|tweet( this)?|"
    r"pin it|email this|print this|follow( us)?( on \w+)?|leave a (reply|comment)|"
    r"please enter your (comment|name|email)( address)?( here)?|"
    r"add a comment|\d+ comments?|subscribe( now| today)?|sign up( now)?|"
    r"teilen|jetzt teilen|artikel teilen|kommentieren|partager|compartir)\s*[:.!]?\s*$",
    re.IGNORECASE)


def words(element: etree._Element) -> set[str]:
    """The lower-case words of an element's class and id, split at '-', '_', spaces and
    lower-to-upper case changes ("relatedPosts": related, posts)."""
    value = CAMEL.sub(" ", f"{element.get('class') or ''} {element.get('id') or ''}")
    return {w for w in WORD_SPLIT.split(value.lower()) if w}


def is_chrome(element: etree._Element) -> bool:
    """Whether the element, by its name, role, class or id, is a part of the site around
    the article."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in CHROME_TAGS:
        return True
    roles = set((element.get("role") or "").lower().split())
    if roles & CHROME_ROLES:
        return True
    if (element.get("aria-hidden") or "").lower() == "true" or element.get("hidden") is not None:
        return True
    found = words(element)
    return bool(found & CHROME_WORDS) or any(part in word for word in found
                                              for part in CHROME_PARTS)


def is_promotion(element: etree._Element) -> bool:
    """A block that promotes other pages or asks the reader to act, instead of being part
    of the article: "Related: …", "Share this:", "Leave a comment"."""
    text = text_of(element)
    if not text:
        return False
    if CALLS_TO_ACTION.match(text):
        return True
    label = PROMO_LABELS.match(text)
    if label is not None and len(text) < 300:
        links = list(element.iter("a", "ref"))
        rest = text[label.end():].strip()
        if not links:  # plain text: a title after the label, not running text
            return len(rest) <= 120 and re.search(r"[.!?]\s", rest) is None
        linked = sum(len(text_of(a)) for a in links)
        return linked >= 0.6 * max(len(rest), 1)
    return False


def prune(root: etree._Element) -> None:
    """Remove the chrome from ``root``, never the page's ``html``, ``body``, ``main`` or
    ``article``, nor (unless its name says chrome) an element that holds half or more of
    the page's paragraph text, whatever its class."""
    total = sum(len(text_of(p)) for p in root.iter("p")) or 1
    doomed: list[etree._Element] = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "main",
                                                                "article"):
            continue
        if not is_chrome(element):
            continue
        if any(is_inside(element, d) for d in doomed[-20:]):
            continue
        if element.tag not in CHROME_TAGS:
            mass = sum(len(text_of(p)) for p in element.iter("p"))
            if mass * 2 >= total and total > 200:
                continue
        doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            drop(element)
