"""manuscript/book.yaml: parsed from text, never opened here."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

import yaml

from .. import i18n, printing
from ..diagnostics import Diagnostics, SourceLocation, did_you_mean
from ..model import LabelOverride, PrintEdition
from ..yamlsrc import YamlContext, compose_yaml

BOOK_KEYS = (
    "title", "subtitle", "editor", "language", "identifier", "publisher", "date",
    "description", "rights", "cover", "theme", "chapters", "max_image_mb", "acknowledge",
    "print", "labels",
)
PRINT_KEYS = ("trim", "bleed", "standard", "service", "cover")
DEFAULT_MAX_IMAGE_MB = 10


@dataclass(frozen=True)
class BookSettings:
    title: str
    subtitle: str | None
    editors: tuple[str, ...]
    language: str
    identifier: str
    publisher: str | None
    date: str | None
    description: str | None
    rights: str | None
    cover: tuple[str, SourceLocation] | None
    theme: str
    theme_location: SourceLocation
    chapters: tuple[tuple[str, SourceLocation], ...] | None  # None: take *.md by name
    max_image_mb: int
    location: SourceLocation
    title_location: SourceLocation
    # acknowledged warning codes for the whole project, with where each is written
    acknowledge: tuple[tuple[str, SourceLocation], ...] = ()
    print_edition: PrintEdition | None = None
    labels: tuple[LabelOverride, ...] = ()


def book_slug(title: str) -> str:
    """File-name slug from the title: ASCII letters, digits and hyphens, at most 60 chars."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug or "book"


def default_identifier(title: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'cxbook:' + title)}"


def parse_book(text: str, path: str, diags: Diagnostics) -> BookSettings | None:
    before = len(diags.errors)
    root = compose_yaml(text, path, diags)
    if root is None:
        if len(diags.errors) == before:
            diags.error(SourceLocation(path), "book.yaml is empty; it needs at least "
                        "'title:' and 'language:'", "book.empty")
        return None
    ctx = YamlContext(path, diags)
    fields = ctx.mapping(root, allowed=BOOK_KEYS, required=("title", "language"),
                         what="book.yaml")
    if fields is None:
        return None

    def opt(key: str) -> str | None:
        node = fields.get(key)
        return ctx.optional_string(node, f"'{key}'") if node is not None else None

    title = ctx.string(fields["title"], "'title'") if "title" in fields else None
    language = None
    if "language" in fields:
        language = ctx.language(fields["language"], "'language'")
    editors: tuple[str, ...] = ()
    if "editor" in fields and not ctx.is_null(fields["editor"]):
        editors = tuple(t for t, _ in ctx.string_or_list(fields["editor"], "'editor'"))
    date = None
    if "date" in fields and not ctx.is_null(fields["date"]):
        date = ctx.date(fields["date"], "'date'")
    cover = None
    if "cover" in fields and not ctx.is_null(fields["cover"]):
        value = ctx.string(fields["cover"], "'cover'")
        if value is not None:
            cover = (value.strip(), ctx.loc(fields["cover"]))
    theme = "default"
    theme_loc = ctx.loc(root)
    if "theme" in fields:
        value = ctx.string(fields["theme"], "'theme'")
        theme_loc = ctx.loc(fields["theme"])
        if value is not None:
            if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", value) or ".." in value:
                diags.error(theme_loc, f"'theme' must be a folder name under themes/, not "
                            f"'{value}'", "book.theme")
            else:
                theme = value
    chapters: tuple[tuple[str, SourceLocation], ...] | None = None
    if "chapters" in fields:
        items = ctx.sequence(fields["chapters"], "'chapters'")
        if items is not None:
            chapters = tuple(_chapter_entries(ctx, items))
    max_image_mb = DEFAULT_MAX_IMAGE_MB
    if "max_image_mb" in fields:
        value_int = ctx.integer(fields["max_image_mb"], "'max_image_mb'", low=1, high=1024)
        if value_int is not None:
            max_image_mb = value_int
    identifier = opt("identifier")
    acknowledge = tuple(ctx.codes(fields.get("acknowledge")))
    print_edition = None
    if "print" in fields:
        print_edition = _print_edition(ctx, fields["print"])
    labels: tuple[LabelOverride, ...] = ()
    if "labels" in fields and language is not None:
        labels = parse_labels(ctx, fields["labels"], language.strip())
    if language is not None:
        _check_catalog(language.strip(), labels, ctx.loc(fields["language"]), diags)
    if title is None or language is None:
        return None
    return BookSettings(
        title=title.strip(),
        subtitle=_strip(opt("subtitle")),
        editors=editors,
        language=language.strip(),
        identifier=(identifier or default_identifier(title.strip())).strip(),
        publisher=_strip(opt("publisher")),
        date=date,
        description=_strip(opt("description")),
        rights=_strip(opt("rights")),
        cover=cover,
        theme=theme,
        theme_location=theme_loc,
        chapters=chapters,
        max_image_mb=max_image_mb,
        location=SourceLocation(path),
        title_location=ctx.loc(fields["title"]),
        acknowledge=acknowledge,
        print_edition=print_edition,
        labels=labels,
    )


def _check_catalog(language: str, labels: tuple[LabelOverride, ...],
                   where: SourceLocation, diags: Diagnostics) -> None:
    """One warning when no shipped catalog fits the book's language (unless the book gives
    every label itself): the generated labels are then in English."""
    if i18n.negotiate(language) is not None:
        return
    if set(i18n.labels()) <= {o.name for o in labels}:
        return
    diags.warning(
        where, f"cxbook has no labels in {i18n.language_name(language)} ('{language}'), so "
        "the words it adds to the book (contents, headings of the activities, the answer key, "
        "the course page's buttons …) will be in English; give them in the book's language "
        "under 'labels:' in book.yaml, or use a language cxbook has labels for: "
        + ", ".join(i18n.shipped_tags()), "book.no-label-catalog")


LABEL_PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|%")


def label_text(text: str) -> tuple[str, list[str]]:
    """A label as book.yaml gives it (``{name}`` placeholders, ``{{``/``}}`` for braces) in
    the catalogs' form (``%(name)s``, ``%%``), and the placeholder names it uses."""
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "%":
            return "%%"
        if token in ("{{", "}}"):
            return token[0]
        names.append(match.group(1))
        return f"%({match.group(1)})s"

    return LABEL_PLACEHOLDER_RE.sub(replace, text), names


def parse_labels(ctx: YamlContext, node: yaml.Node, language: str
                 ) -> tuple[LabelOverride, ...]:
    """book.yaml ``labels:``: label name -> text, or for a label that depends on a count,
    CLDR plural category -> text. Unknown names, placeholders the label does not have and
    categories the language does not use are located errors."""
    if not isinstance(node, yaml.MappingNode):
        ctx.diags.error(ctx.loc(node), "'labels' must be a mapping of label names to texts "
                        "(see \"Labels\" in docs/FORMAT.md)", "schema.type")
        return ()
    known = i18n.labels()
    by_text = {label.text.casefold(): name for name, label in known.items()}
    out: list[LabelOverride] = []
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else ""
        where = ctx.loc(key)
        if name not in known:
            if name.casefold() in by_text:
                hint = f" (did you mean '{by_text[name.casefold()]}', the label whose English " \
                       f"text is '{name}'?)"
            else:
                hint = did_you_mean(name, known)
            ctx.diags.error(where, f"unknown label '{name}' in 'labels'{hint}; label names "
                            "are listed under \"Labels\" in docs/FORMAT.md",
                            "book.unknown-label")
            continue
        label = known[name]
        forms: list[tuple[str, str]] = []
        if isinstance(value, yaml.MappingNode) and label.plural is not None:
            categories = i18n.plural_categories(language)
            items = ctx.mapping(value, allowed=categories, required=("other",),
                                what=f"label '{name}' (plural categories of '{language}')")
            if items is None:
                continue
            for category, item in items.items():
                text = ctx.string(item, f"label '{name}' ({category})")
                if text is not None:
                    forms.append((category, text))
        else:
            text = ctx.string(value, f"label '{name}'")
            if text is None:
                continue
            forms.append(("", text))
        converted: list[tuple[str, str]] = []
        for category, text in forms:
            fixed, used = label_text(text)
            unknown = [p for p in used if p not in label.placeholders]
            if unknown:
                allowed = ", ".join("{" + p + "}" for p in sorted(label.placeholders))
                ctx.diags.error(
                    ctx.loc(value), f"label '{name}' has no placeholder {{{unknown[0]}}}"
                    f"{did_you_mean(unknown[0], label.placeholders)}; "
                    + (f"its placeholders are {allowed}" if allowed else
                       "it has no placeholders")
                    + " (write {{ and }} for literal braces)", "book.label-placeholder")
                break
            converted.append((category, fixed))
        else:
            if converted:
                out.append(LabelOverride(name, tuple(converted), where))
    return tuple(out)


def _strip(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _chapter_entries(
    ctx: YamlContext, items: list[yaml.Node]
) -> list[tuple[str, SourceLocation]]:
    out: list[tuple[str, SourceLocation]] = []
    seen: dict[str, SourceLocation] = {}
    for item in items:
        name = ctx.string(item, "each entry of 'chapters'")
        if name is None:
            continue
        name = name.strip()
        loc = ctx.loc(item)
        if "/" in name or "\\" in name or not name.endswith(".md") or name.startswith("."):
            ctx.diags.error(loc, f"chapter '{name}' must be a file name ending in .md inside "
                            "manuscript/ (no folders)", "book.chapter-name")
            continue
        if name in seen:
            ctx.diags.error(loc, f"chapter '{name}' is listed twice (first at line "
                            f"{seen[name].line}); remove one of the entries",
                            "book.duplicate-chapter")
            continue
        seen[name] = loc
        out.append((name, loc))
    return out


def _print_edition(ctx: YamlContext, node: yaml.Node) -> PrintEdition | None:
    """book.yaml ``print:``: the print edition's settings, each checked with its location
    (``print: {}`` or an empty ``print:`` takes every default)."""
    location = ctx.loc(node)
    values: dict[str, yaml.Node] = {}
    if not ctx.is_null(node):
        fields = ctx.mapping(node, allowed=PRINT_KEYS, what="'print'")
        if fields is None:
            return None
        values = fields
    ok = True

    def text(key: str, default: str) -> str:
        nonlocal ok
        if key not in values:
            return default
        value = ctx.string(values[key], f"'print: {key}'")
        if value is None:
            ok = False
            return default
        return value.strip()

    trim = text("trim", printing.DEFAULT_TRIM)
    size = printing.parse_trim(trim)
    if size is None:
        ok = False
        presets = ", ".join(printing.TRIM_PRESETS)
        ctx.diags.error(ctx.loc(values["trim"]), f"'print: trim' must be a preset ({presets}) "
                        f"or a width and a height such as '170mm 240mm', not '{trim}'"
                        f"{did_you_mean(trim.lower(), printing.TRIM_PRESETS)}", "print.trim")
    bleed_text = text("bleed", printing.DEFAULT_BLEED)
    bleed = printing.parse_length(bleed_text)
    if bleed is None or bleed > 10 * printing.POINTS["mm"]:
        ok = False
        ctx.diags.error(ctx.loc(values["bleed"]), "'print: bleed' must be a length from 0 to "
                        f"10mm such as 3mm or 0.125in, not '{bleed_text}'", "print.bleed")
    standard = text("standard", printing.STANDARDS[0]).lower()
    if standard not in printing.STANDARDS:
        ok = False
        ctx.diags.error(ctx.loc(values["standard"]), "'print: standard' must be "
                        f"{' or '.join(printing.STANDARDS)}, not '{standard}'"
                        f"{did_you_mean(standard, printing.STANDARDS)}", "print.standard")
    service: str | None = None
    if "service" in values and not ctx.is_null(values["service"]):
        service = text("service", "").lower()
        if service not in printing.SERVICES:
            ok = False
            ctx.diags.error(ctx.loc(values["service"]), "'print: service' must be "
                            f"{' or '.join(printing.SERVICES)} (or left out), not '{service}'"
                            f"{did_you_mean(service, printing.SERVICES)}", "print.service")
    cover = False
    if "cover" in values:
        cover_node = values["cover"]
        if not (isinstance(cover_node, yaml.ScalarNode)
                and cover_node.tag == "tag:yaml.org,2002:bool"):
            ok = False
            ctx.diags.error(ctx.loc(cover_node), "'print: cover' must be true or false",
                            "schema.type")
        else:
            cover = cover_node.value.lower() in ("true", "yes", "on")
    if not ok or size is None or bleed is None:
        return None
    return PrintEdition(trim=trim, width=size[0], height=size[1], bleed=bleed,
                        standard=standard, service=service, cover=cover, location=location)
