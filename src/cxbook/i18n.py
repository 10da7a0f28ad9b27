"""Every word cxbook generates, in the book's language: labels from gettext catalogs, and
numbers, dates, percentages and lists of names formatted by the book's locale.

The one place where a language is looked up (the shape of Sphinx's ``sphinx.locale``):

- Catalogs are ``locale/<name>/LC_MESSAGES/cxbook.po`` inside the package, one per shipped
  language, made from ``locale/cxbook.pot`` (see catalogs.py for extraction and updating).
  They are read with Babel and compiled to a gettext ``.mo`` in memory on first use: the
  ``.po`` file stays the one source in the repository and the wheel, with no build step to
  forget, and compiling one takes a few milliseconds.
- Every message has a context (``msgctxt``): its **label name**, stable across rewordings,
  which a book uses to override it (``labels:`` in book.yaml, see readers/book.py). Code
  asks for ``pgettext(name, english)`` or ``npgettext(name, singular, plural, n)``; messages
  use Python named placeholders (``%(title)s``), which Babel's checkers verify.
- A BCP 47 tag is matched to the best shipped catalog by language and script, the script
  filled in from CLDR's likely subtags when the tag has none (``zh``, ``zh-CN``, ``zh-SG``
  and ``zh-Hans`` all read ``zh_Hans``; ``zh-TW`` and ``zh-Hant`` are Traditional Chinese,
  for which there is no catalog). A language without a catalog gets the English labels.
- The writing direction comes from the script: the tag's script subtag, or the script CLDR
  gives the language, looked up in Unicode's script data (fontTools.unicodedata). No list
  of right-to-left languages is kept here.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from fontTools import unicodedata as ucd
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from .model import Book, LabelOverride

DOMAIN = "cxbook"
SOURCE_LANGUAGE = "en"  # the msgids' language; its catalog is also the fallback
Direction = Literal["ltr", "rtl"]
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)s")
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


def _locale_folder() -> Any:
    return resources.files("cxbook") / "locale"


@functools.cache
def shipped() -> tuple[str, ...]:
    """The catalogs cxbook ships, by Babel locale name (``de``, ``zh_Hans``), sorted."""
    folder = _locale_folder()
    return tuple(sorted(
        entry.name for entry in folder.iterdir()
        if entry.is_dir() and (entry / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()))


def shipped_tags() -> tuple[str, ...]:
    """The shipped catalogs as BCP 47 tags (``zh-Hans``)."""
    return tuple(name.replace("_", "-") for name in shipped())


def catalog_text(name: str) -> bytes:
    """The .po file of a shipped catalog."""
    data: bytes = (_locale_folder() / name / "LC_MESSAGES" / f"{DOMAIN}.po").read_bytes()
    return data


@functools.cache
def read_catalog(name: str) -> Catalog:
    """A shipped catalog as Babel reads it."""
    return read_po(io.BytesIO(catalog_text(name)), locale=name, domain=DOMAIN)


@functools.cache
def template() -> Catalog:
    """The message template (``cxbook.pot``): every label cxbook generates."""
    data = (_locale_folder() / f"{DOMAIN}.pot").read_bytes()
    return read_po(io.BytesIO(data), domain=DOMAIN)


@dataclass(frozen=True)
class Label:
    """One generated label: its name (the message's context), English text and, for a
    message that depends on a count, the English plural."""

    name: str
    text: str
    plural: str | None
    comment: str  # what the message is, for translators and the documentation

    @property
    def placeholders(self) -> frozenset[str]:
        found = set(PLACEHOLDER_RE.findall(self.text))
        if self.plural is not None:
            found.update(PLACEHOLDER_RE.findall(self.plural))
        return frozenset(found)


@functools.cache
def labels() -> dict[str, Label]:
    """Every label by name, in the template's order."""
    out: dict[str, Label] = {}
    for message in template():
        if not message.id:
            continue
        singular, plural = _ids(message)
        name = str(message.context or "")
        out[name] = Label(name, singular, plural, " ".join(message.auto_comments))
    return out


def _ids(message: Message) -> tuple[str, str | None]:
    if isinstance(message.id, (list, tuple)):
        return str(message.id[0]), str(message.id[1])
    return str(message.id), None


@functools.cache
def _translations(name: str) -> Translations:
    """A shipped catalog compiled to a gettext .mo in memory."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(name))
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


# ---------------------------------------------------------------- language tags


def parse_locale(tag: str) -> Locale | None:
    """Babel's locale for a BCP 47 tag, dropping subtags Babel cannot read from the end
    (``sl-rozaj-biske`` -> ``sl``); None for a language CLDR does not know."""
    parts = tag.strip().replace("_", "-").split("-")
    while parts:
        try:
            return Locale.parse("-".join(parts), sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            parts.pop()
    return None


def _likely_script(language: str, territory: str | None = None) -> str | None:
    """The script CLDR's likely subtags give a language (in a territory)."""
    likely: Mapping[str, str] = get_global("likely_subtags")
    for key in ((f"{language}_{territory}",) if territory else ()) + (language,):
        full = likely.get(key)
        if full:
            scripts = [p for p in full.split("_")[1:] if len(p) == 4]
            if scripts:
                return scripts[0]
    return None


def _script_subtag(tag: str) -> str | None:
    for part in tag.replace("_", "-").split("-")[1:]:
        if len(part) == 4 and part.isalpha():
            return part.title()
        if len(part) == 1:  # an extension or private use starts here
            break
    return None


def script(tag: str) -> str | None:
    """The tag's script: its script subtag, or the one CLDR gives its language (and
    territory); None when neither says."""
    explicit = _script_subtag(tag)
    if explicit:
        return explicit
    locale = parse_locale(tag)
    if locale is not None:
        return locale.script or _likely_script(locale.language, locale.territory)
    return _likely_script(tag.replace("_", "-").split("-")[0].lower())


def text_direction(tag: str) -> Direction:
    """``rtl`` when the tag's script is written right to left (Arabic, Hebrew, Thaana,
    Syriac, N'Ko, Adlam …), from Unicode's script data; ``ltr`` otherwise."""
    found = script(tag)
    if found is None:
        return "ltr"
    return "rtl" if ucd.script_horizontal_direction(found, "LTR") == "RTL" else "ltr"


def negotiate(tag: str) -> str | None:
    """The shipped catalog for a BCP 47 tag: the same language in the same script
    (``en-GB`` -> ``en``, ``pt-BR`` -> ``pt``, ``zh-SG`` -> ``zh_Hans``), one for the tag's
    territory first when there is one; None when no catalog fits (``zh-TW``)."""
    wanted = parse_locale(tag)
    if wanted is None:
        return None
    wanted_script = wanted.script or _likely_script(wanted.language, wanted.territory)
    fits: list[tuple[int, str]] = []
    for name in shipped():
        have = Locale.parse(name)
        if have.language != wanted.language:
            continue
        if (have.script or _likely_script(have.language, have.territory)) != wanted_script:
            continue
        if have.territory and have.territory != wanted.territory:
            continue
        fits.append((0 if have.territory else 1, name))
    return min(fits)[1] if fits else None


def language_name(tag: str) -> str:
    """The language's English name for messages (``zh-TW`` -> ``Chinese (Traditional,
    Taiwan)``), or the tag itself when CLDR does not know it."""
    locale = parse_locale(tag)
    name = locale.get_display_name("en") if locale is not None else None
    return name or tag


# ---------------------------------------------------------------- the localizer


def brace_text(text: str) -> str:
    """A message as the documentation and messages show it: ``{title}`` for ``%(title)s``."""
    return PLACEHOLDER_RE.sub(lambda m: "{" + m.group(1) + "}", text).replace("%%", "%")


class Localizer:
    """The labels and formats of one book: its language's catalog, its ``labels:``
    overrides, and its locale's numbers, dates, percentages and lists.

    ``pgettext``/``npgettext`` return plain text (for titles, metadata, scripts);
    ``markup``/``nmarkup`` return escaped XHTML in which Markup values (links, <cite>)
    stay markup and every other value is escaped and isolated in a ``<bdi>``, so a Latin
    name or a URL inside right-to-left text keeps its own direction."""

    def __init__(self, language: str, overrides: Sequence[LabelOverride] = ()) -> None:
        self.language = language
        found = negotiate(language)
        self.fallback = found is None
        self.catalog = found or SOURCE_LANGUAGE
        self.locale: Locale = parse_locale(language) or Locale.parse(self.catalog)
        self.direction: Direction = text_direction(language)
        self._translations = _translations(self.catalog)
        self._overrides = {o.name: dict(o.forms) for o in overrides}
        # What a cache key needs to stand for these labels (the catalogs themselves are
        # part of cxbook's code fingerprint).
        self.key = (language, tuple((o.name, o.forms) for o in overrides))

    # -- labels ------------------------------------------------------------------

    def _lookup(self, name: str, singular: str, plural: str | None, n: int | None) -> str:
        override = self._overrides.get(name)
        if override is not None:
            if "" in override:
                return override[""]
            category = self.locale.plural_form(n if n is not None else 1)
            return override.get(category, override["other"])
        if plural is None:
            return str(self._translations.pgettext(name, singular))
        return str(self._translations.npgettext(name, singular, plural, n or 0))

    def raw(self, name: str, text: str) -> str:
        """The label ``name`` as its text with placeholders (for the course player)."""
        return self._lookup(name, text, None, None)

    def pgettext(self, name: str, text: str, /, **values: object) -> str:
        """The label ``name`` (English ``text``) in the book's language, placeholders
        filled with ``values``."""
        return self._lookup(name, text, None, None) % values

    def npgettext(self, name: str, singular: str, plural: str, n: int, /,
                  **values: object) -> str:
        """The plural label ``name`` for the count ``n``; ``%(num)s`` is ``n`` formatted."""
        values.setdefault("num", self.number(n))
        return self._lookup(name, singular, plural, n) % values

    def markup(self, name: str, text: str, /, **values: object) -> Text:
        return Text(escape(self._lookup(name, text, None, None)) % _isolated(values))

    def nmarkup(self, name: str, singular: str, plural: str, n: int, /,
                **values: object) -> Text:
        values.setdefault("num", self.number(n))
        return Text(escape(self._lookup(name, singular, plural, n)) % _isolated(values))

    # -- formats -----------------------------------------------------------------

    def number(self, n: int) -> str:
        """A whole number in the locale's digits and grouping (``12.345`` in German)."""
        return str(format_decimal(n, locale=self.locale))

    def decimal(self, value: Decimal | int) -> str:
        """A number as it was given (no digit added or dropped) in the locale's way:
        ``4.5`` -> ``4,5`` in German."""
        return str(format_decimal(value, locale=self.locale, decimal_quantization=False))

    def percent(self, percent: int | float) -> str:
        """A percentage given as a number of percent (80 -> ``80 %`` in French)."""
        return str(format_percent(Decimal(str(percent)) / 100, locale=self.locale))

    def date(self, iso: str) -> str:
        """An ISO 8601 date as YYYY, YYYY-MM or YYYY-MM-DD, written the locale's long way
        (``1. Mai 2013``, ``Mai 2013``, ``2013``); anything else as it is."""
        parts = iso.split("-")
        try:
            numbers = [int(p) for p in parts]
            when = dt.date(numbers[0], *([*numbers[1:], 1, 1])[:2])
        except (ValueError, TypeError):
            return iso
        if len(parts) == 3:
            return str(format_date(when, "long", locale=self.locale))
        skeleton = "yMMMM" if len(parts) == 2 else "y"
        return str(format_skeleton(skeleton, when, locale=self.locale))

    def names(self, names: Sequence[str]) -> str:
        """A list of names joined the locale's way (``A, B und C``)."""
        return str(format_list(list(names), locale=self.locale)) if names else ""

    def names_markup(self, names: Sequence[str | Markup]) -> Text:
        """``names`` joined as ``names`` does, each in a ``<bdi>`` (Markup items as given)."""
        tokens = [f"\x00{i}\x00" for i in range(len(names))]
        joined = str(escape(self.names(tokens))) if names else ""
        for token, name in zip(tokens, names, strict=True):
            joined = joined.replace(token, _isolate(name))
        return Text(joined)

    def numbers(self, numbers: Iterable[int]) -> str:
        """Chapter numbers as a list: "3", "2 and 4", "1, 2 and 4"; runs of three or more
        as ranges ("2–5")."""
        runs: list[list[int]] = []
        for n in sorted(numbers):
            if runs and n == runs[-1][-1] + 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        items: list[str] = []
        for run in runs:
            if len(run) >= 3:
                # L10N: a run of chapter numbers, as in "chapters 2–5"
                items.append(self.pgettext("format.range", "%(first)s–%(last)s",
                                           first=self.number(run[0]),
                                           last=self.number(run[-1])))
            else:
                items.extend(self.number(n) for n in run)
        return self.names(items)

    def series(self, items: Iterable[str | Markup]) -> Text:
        """Items run on with semicolons ("a) Action; c) Luck"); text escaped, Markup kept."""
        # L10N: items run on in a list, separated by semicolons in English
        return _run_on(items, lambda run, item: self.markup(
            "format.semicolon-list", "%(items)s; %(item)s", items=run, item=item))

    def enumeration(self, items: Iterable[str | Markup]) -> Text:
        """Items run on with commas ("a) First, b) Then"); text escaped, Markup kept."""
        # L10N: items run on in a list, separated by commas in English
        return _run_on(items, lambda run, item: self.markup(
            "format.comma-list", "%(items)s, %(item)s", items=run, item=item))

    def sentences(self, sentences: Iterable[str | Markup]) -> Text:
        """Sentences run on in one paragraph (a space between them, or none in Chinese
        and Japanese); text is escaped, Markup kept."""
        out: Text | None = None
        for sentence in sentences:
            if not sentence:
                continue
            item = sentence if isinstance(sentence, Text) else Text(escape(sentence))
            # L10N: a sentence run on after another in one paragraph (no space in Chinese
            # and Japanese)
            out = item if out is None else self.markup(
                "format.next-sentence", "%(text)s %(sentence)s", text=out, sentence=item)
        return out if out is not None else Text("")

    # -- templates ---------------------------------------------------------------

    def template_context(self) -> dict[str, object]:
        """What the shared templates use: gettext callables with Jinja's "newstyle"
        semantics (the text escaped, values as keyword arguments; see markup) and the
        localizer itself as ``loc``."""

        @pass_context
        def pgettext(context: Context, name: str, text: str, /, **values: object) -> Text:
            return self.markup(name, text, **values)

        @pass_context
        def npgettext(context: Context, name: str, singular: str, plural: str, n: int, /,
                      **values: object) -> Text:
            return self.nmarkup(name, singular, plural, n, **values)

        return {"pgettext": pgettext, "npgettext": npgettext, "loc": self,
                "lang": self.language, "dir": self.direction}

    def plural_index(self, n: int) -> int:
        """The index of the catalog's plural form for ``n`` (its Plural-Forms rule)."""
        index: int = self._translations.plural(n)
        return index

    @property
    def plural_expression(self) -> str:
        """The catalog's Plural-Forms rule as a C expression of ``n``."""
        return str(read_catalog(self.catalog).plural_expr)

    def forms(self, name: str, singular: str, plural: str) -> list[str]:
        """Every plural form of a message, in the catalog's Plural-Forms order (overrides
        mapped onto it by the CLDR category of a count that selects each form)."""
        count = read_catalog(self.catalog).num_plurals
        samples: dict[int, int] = {}
        for n in range(0, 1001):
            samples.setdefault(self.plural_index(n), n)
        return [self._lookup(name, singular, plural, samples.get(i, 1000000))
                for i in range(count)]


class Text(Markup):
    """XHTML made of labels (a label with its values filled in, a list of names): put into
    another label as it is, where other values are isolated."""

    __slots__ = ()


class Isolated(Markup):
    """XHTML already isolated (a ``<bdi>`` with its own ``lang`` and ``dir``): put into a
    label as it is."""

    __slots__ = ()


def foreign(text: str, language: str | None) -> str | Isolated:
    """``text`` in another language than the book's (a chapter title with the chapter's
    own ``language``) as a ``<bdi>`` saying so; ``text`` itself when ``language`` is None."""
    if not language:
        return text
    return Isolated(Markup('<bdi lang="%s" dir="%s">%s</bdi>') % (
        language, text_direction(language), text))


def _isolate(value: object) -> Markup:
    """A value inside a label isolated in a ``<bdi>`` element (HTML's bidirectional
    isolate): text escaped, Markup (a link, a <cite>) as it is inside, labels' own Text
    and values already isolated as they are."""
    if isinstance(value, (Text, Isolated)):
        return value
    return Markup("<bdi>%s</bdi>") % (value if isinstance(value, Markup) else str(value))


def _run_on(items: Iterable[str | Markup], join: Callable[[Text, Text], Text]) -> Text:
    """Items joined one by one with ``join`` (a list label); text isolated, Text kept."""
    out: Text | None = None
    for item in items:
        text = item if isinstance(item, Text) else Text(_isolate(item))
        out = text if out is None else join(out, text)
    return out if out is not None else Text("")


def _isolated(values: dict[str, object]) -> dict[str, Markup]:
    return {key: _isolate(value) for key, value in values.items()}


@functools.lru_cache(maxsize=32)
def _localizer(language: str, overrides: tuple[LabelOverride, ...]) -> Localizer:
    return Localizer(language, overrides)


def localizer(book: Book) -> Localizer:
    """The book's localizer (one per language and set of overrides)."""
    return _localizer(book.language, book.labels)


def plural_categories(tag: str) -> tuple[str, ...]:
    """The CLDR plural categories of a language, in the usual order (``one``, ``other``)."""
    locale = parse_locale(tag) or Locale.parse(SOURCE_LANGUAGE)
    tags = set(locale.plural_form.tags) | {"other"}
    return tuple(c for c in PLURAL_CATEGORIES if c in tags)


def isolate_text(text: str) -> str:
    """Plain text isolated for bidirectional display (FIRST STRONG ISOLATE … POP
    DIRECTIONAL ISOLATE), for places without markup."""
    return f"\u2068{text}\u2069"

