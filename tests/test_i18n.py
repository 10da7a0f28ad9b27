"""Generated labels in the book's language: the catalogs themselves (complete, up to date
with the code, Babel's checkers), matching a language tag to a catalog, the writing
direction of a tag, the fallback warning, book.yaml's ``labels:`` overrides, and numbers,
dates and lists formatted per locale."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from cxbook import i18n
from cxbook.catalogs import extract, po_bytes, with_label_table
from cxbook.i18n import Localizer, negotiate, text_direction
from cxbook.readers.project import read_project
from cxbook.renderers.pdf import font_with_space

from conftest import REPO, run_cli

SHIPPED = ("ar", "de", "en", "es", "fr", "he", "it", "ja", "nl", "pl", "pt", "sv", "zh_Hans")
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)s")


def _forms(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ids(message: Message) -> list[str]:
    value = message.id
    return list(value) if isinstance(value, (list, tuple)) else [value]


def test_the_shipped_catalogs() -> None:
    assert i18n.shipped() == SHIPPED


def test_the_template_is_a_fresh_extraction() -> None:
    """locale/cxbook.pot is exactly what extracting the code and templates gives now (run
    tools/update-catalogs.py after changing a label); only the Babel version that wrote it
    may differ."""
    def without_generator(data: bytes) -> bytes:
        return re.sub(rb'"Generated-By: [^"]*"\n', b"", data)

    committed = (Path(i18n.__file__).parent / "locale" / "cxbook.pot").read_bytes()
    assert without_generator(po_bytes(extract())) == without_generator(committed)


def test_every_label_has_a_name_of_its_own() -> None:
    names = [m.context for m in i18n.template() if m.id]
    assert all(names) and len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", str(n)) for n in names), names


@pytest.mark.parametrize("name", SHIPPED)
def test_catalog_is_complete_and_passes_babels_checkers(name: str) -> None:
    """No message untranslated, none fuzzy, none missing or left over; the plural forms
    the language needs (Babel's Plural-Forms for it); Babel's checkers (placeholders,
    number of plural forms) find nothing."""
    catalog = read_po(io.BytesIO(i18n.catalog_text(name)), locale=name)
    template = {m.context: m for m in i18n.template() if m.id}
    messages = {m.context: m for m in catalog if m.id}
    assert messages.keys() == template.keys()
    assert not catalog.obsolete
    assert catalog.num_plurals == get_plural(name).num_plurals
    assert catalog.plural_expr == get_plural(name).plural_expr
    for context, message in messages.items():
        assert _ids(message) == _ids(template[context]), context
        assert "fuzzy" not in message.flags, context
        assert all(s.strip() for s in _forms(message)), f"untranslated: {context}"
    problems = [(m.context, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("name", SHIPPED)
def test_translations_keep_every_placeholder(name: str) -> None:
    """Each form keeps the English message's placeholders (stricter than Babel's checker,
    which lets a translation drop named ones); only a plural message's own count,
    %(num)s, may be left out of a form that is not the last (“eine Minute”)."""
    catalog = read_po(io.BytesIO(i18n.catalog_text(name)), locale=name)
    for message in catalog:
        if not message.id:
            continue
        wanted = set(PLACEHOLDER_RE.findall(_ids(message)[-1]))
        forms = _forms(message)
        for index, form in enumerate(forms):
            found = set(PLACEHOLDER_RE.findall(form))
            spare = {"num"} if index < len(forms) - 1 else set()
            assert wanted - spare <= found <= wanted, (message.context, form)
            assert "%" not in PLACEHOLDER_RE.sub("", form).replace("%%", ""), (
                message.context, form)


@pytest.mark.parametrize(("tag", "catalog"), [
    ("en", "en"), ("en-GB", "en"), ("en-US", "en"), ("de-CH", "de"), ("de-AT", "de"),
    ("pt-BR", "pt"), ("pt-PT", "pt"), ("fr-CA", "fr"), ("es-419", "es"), ("iw", "he"),
    ("zh", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh-Hans", "zh_Hans"),
    ("zh-Hans-CN", "zh_Hans"), ("zh-TW", None), ("zh-Hant", None), ("zh-HK", None),
    ("sr-Latn", None), ("fa", None), ("ko", None), ("tlh", None), ("ja-JP", "ja"),
    ("sl-rozaj-biske", None), ("en-US-x-twain", "en"),
])
def test_a_language_tag_finds_the_catalog_of_its_language_and_script(
        tag: str, catalog: str | None) -> None:
    assert negotiate(tag) == catalog


@pytest.mark.parametrize(("tag", "direction"), [
    ("ar", "rtl"), ("ar-EG", "rtl"), ("he", "rtl"), ("iw", "rtl"), ("fa", "rtl"),
    ("ur", "rtl"), ("yi", "rtl"), ("dv", "rtl"), ("ckb", "rtl"), ("ps", "rtl"),
    ("az-Arab", "rtl"), ("pa-Arab", "rtl"), ("uz-Arab", "rtl"), ("xx-Hebr", "rtl"),
    ("syr", "rtl"), ("en", "ltr"), ("pa", "ltr"), ("az", "ltr"), ("uz", "ltr"),
    ("sr-Latn", "ltr"), ("ja", "ltr"), ("zh-Hant", "ltr"), ("tlh", "ltr"),
    ("ar-Latn", "ltr"),
])
def test_direction_comes_from_the_script(tag: str, direction: str) -> None:
    """From the tag's script subtag or the script CLDR gives its language, looked up in
    Unicode's script data: no list of languages."""
    assert text_direction(tag) == direction


def _book(tmp_path: Path, book_yaml: str) -> Path:
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text(book_yaml, "utf-8")
    (root / "manuscript" / "01-one.md").write_text(
        "---\ntitle: One\nauthor: A. Writer\noriginal: true\n---\n\nText.\n", "utf-8")
    return root


@pytest.mark.parametrize("tag", ["zh-TW", "fa", "ko"])
def test_a_language_without_a_catalog_gets_english_labels_and_one_warning(
        tmp_path: Path, tag: str) -> None:
    root = _book(tmp_path, f"title: Essays\nlanguage: {tag}\n")
    result = run_cli("check", str(root))
    lines = [line for line in result.err.splitlines() if "[book.no-label-catalog]" in line]
    assert len(lines) == 1
    assert lines[0].startswith("manuscript/book.yaml:2:11: warning: cxbook has no labels in ")
    assert f"('{tag}')" in lines[0]
    assert "de, en, es, fr, he, it, ja, nl, pl, pt, sv, zh-Hans" in lines[0]
    project = read_project(root)
    loc = i18n.localizer(project.book)
    assert loc.catalog == "en" and loc.fallback
    assert loc.pgettext("answer-key.title", "Answer key") == "Answer key"


def test_a_language_with_a_catalog_gets_no_warning(tmp_path: Path) -> None:
    for tag in ("en-GB", "pt-BR", "zh-CN", "he"):
        root = _book(tmp_path / tag, f"title: Essays\nlanguage: {tag}\n")
        assert run_cli("check", str(root)).err == "cxbook check: ok (no problems)\n", tag


def test_labels_overridden_in_book_yaml(tmp_path: Path) -> None:
    root = _book(tmp_path, "title: Essays\nlanguage: de\nlabels:\n"
                 "  answer-key.title: Auflösungen\n"
                 "  chapter.number: Lektion {number}\n"
                 "  duration.minutes:\n    one: '{num} Min.'\n    other: '{num} Min. (100 %)'\n"
                 "  plan.mastery: 'Bestanden ab {percent} – {{ohne Gewähr}}'\n")
    loc = i18n.localizer(read_project(root).book)
    assert loc.pgettext("answer-key.title", "Answer key") == "Auflösungen"
    assert loc.pgettext("chapter.number", "Chapter %(number)s", number=3) == "Lektion 3"
    assert loc.npgettext("duration.minutes", "%(num)s minute", "%(num)s minutes", 1) == \
        "1 Min."
    assert loc.npgettext("duration.minutes", "%(num)s minute", "%(num)s minutes", 5) == \
        "5 Min. (100 %)"
    assert loc.pgettext("plan.mastery", "x %(percent)s", percent="80 %") == \
        "Bestanden ab 80 % – {ohne Gewähr}"
    # everything else still from the German catalog
    assert loc.pgettext("sources.title", "Sources and permissions") == \
        "Quellen und Abdruckgenehmigungen"


@pytest.mark.parametrize(("labels", "expected"), [
    ("  answer-keys.title: X\n", "manuscript/book.yaml:4:3: error: unknown label "
     "'answer-keys.title' in 'labels' (did you mean 'answer-key.title'?); label names are "
     "listed under \"Labels\" in docs/FORMAT.md [book.unknown-label]"),
    ("  Answer key: X\n", "manuscript/book.yaml:4:3: error: unknown label 'Answer key' in "
     "'labels' (did you mean 'answer-key.title', the label whose English text is 'Answer "
     "key'?); label names are listed under \"Labels\" in docs/FORMAT.md "
     "[book.unknown-label]"),
    ("  chapter.number: Lektion {nummer}\n", "manuscript/book.yaml:4:19: error: label "
     "'chapter.number' has no placeholder {nummer} (did you mean 'number'?); its "
     "placeholders are {number} (write {{ and }} for literal braces) "
     "[book.label-placeholder]"),
    ("  duration.minutes:\n    one: x\n    few: y\n    other: z\n",
     "manuscript/book.yaml:6:5: error: unknown key 'few' in label 'duration.minutes' "
     "(plural categories of 'de'); allowed keys: one, other [schema.unknown-key]"),
    ("  duration.minutes:\n    one: '{num} Minute'\n", "manuscript/book.yaml:5:5: error: "
     "label 'duration.minutes' (plural categories of 'de') is missing the required key "
     "'other'; add 'other: …' [schema.missing-key]"),
    ("  sources.title: [a, b]\n", "manuscript/book.yaml:4:18: error: label "
     "'sources.title' must be text, not a list [schema.type]"),
])
def test_label_overrides_are_checked(tmp_path: Path, labels: str, expected: str) -> None:
    root = _book(tmp_path, f"title: Essays\nlanguage: de\nlabels:\n{labels}")
    result = run_cli("check", str(root))
    assert result.code == 1
    assert expected in result.err.splitlines(), result.err


def test_plural_overrides_follow_the_books_language(tmp_path: Path) -> None:
    """Polish has one, few and many: an override gives them by CLDR category."""
    root = _book(tmp_path, "title: Eseje\nlanguage: pl\nlabels:\n  duration.minutes:\n"
                 "    one: '{num} minuta'\n    few: '{num} minuty'\n    many: '{num} minut'\n"
                 "    other: '{num} minuty'\n")
    loc = i18n.localizer(read_project(root).book)
    said = [loc.npgettext("duration.minutes", "%(num)s minute", "%(num)s minutes", n)
            for n in (1, 2, 5, 22, 25)]
    assert said == ["1 minuta", "2 minuty", "5 minut", "22 minuty", "25 minut"]


@pytest.mark.parametrize(("tag", "date", "percent", "number", "names"), [
    ("en", "May 1, 2013", "80%", "12,345", "A, B, and C"),
    ("en-GB", "1 May 2013", "80%", "12,345", "A, B and C"),
    ("de", "1. Mai 2013", "80\xa0%", "12.345", "A, B und C"),
    ("de-CH", "1. Mai 2013", "80%", "12'345", "A, B und C"),
    ("fr", "1 mai 2013", "80\xa0%", "12\u202f345", "A, B et C"),
    ("ja", "2013年5月1日", "80%", "12,345", "A、B、C"),
    ("he", "1 במאי 2013", "80%", "12,345", "A, B וC"),
])
def test_numbers_dates_and_lists_follow_the_locale(tag: str, date: str, percent: str,
                                                   number: str, names: str) -> None:
    loc = Localizer(tag)
    assert loc.date("2013-05-01") == date
    assert loc.percent(80) == percent
    assert loc.number(12345) == number
    assert loc.names(["A", "B", "C"]) == names
    assert loc.date("2013") == "2013" or loc.date("2013").startswith("2013")


def test_plural_forms_are_the_catalogs() -> None:
    polish = Localizer("pl")
    said = [polish.npgettext("duration.minutes", "%(num)s minute", "%(num)s minutes", n)
            for n in (1, 2, 5, 12, 22)]
    assert said == ["1 minuta", "2 minuty", "5 minut", "12 minut", "22 minuty"]
    arabic = Localizer("ar")
    forms = {arabic.plural_index(n) for n in (0, 1, 2, 3, 11, 100)}
    assert forms == {0, 1, 2, 3, 4, 5}


def test_the_default_book_in_english_reads_as_before() -> None:
    """The English catalog is the English text: the default book's labels are unchanged."""
    loc = i18n.localizer(read_project(REPO).book)
    assert loc.catalog == "en" and not loc.fallback
    for message in i18n.template():
        if message.id and not isinstance(message.id, (list, tuple)):
            assert loc.raw(str(message.context), str(message.id)) == message.id


def test_docs_list_every_label() -> None:
    """docs/FORMAT.md's table of labels is the one tools/update-catalogs.py makes."""
    text = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    assert with_label_table(text, i18n.template()) == text
    for name in i18n.labels():
        assert f"| `{name}` |" in text


def test_a_changed_label_is_never_served_from_the_cache(tmp_path: Path) -> None:
    """The cache keys every output on the book's labels: changing an override (or the
    language) rebuilds what shows it."""
    root = _book(tmp_path, "title: Essays\nlanguage: de\n")
    out = tmp_path / "out"

    def key_text() -> str:
        assert run_cli("build", str(root), "-f", "epub,scorm12", "--out", str(out),
                       "--quiet").code == 0
        with zipfile.ZipFile(out / "essays.epub") as archive:
            epub = archive.read("EPUB/ch-one.xhtml").decode("utf-8")
        with zipfile.ZipFile(out / "essays-scorm12.zip") as archive:
            page = archive.read("index.html").decode("utf-8")
        return epub + page

    assert "Kapitel" in key_text()
    book = root / "manuscript" / "book.yaml"
    book.write_text(book.read_text("utf-8") + "labels:\n  chapter.number: Lektion {number}\n",
                    "utf-8")
    text = key_text()
    assert "Lektion" in text and "Kapitel <bdi>" not in text
    book.write_text("title: Essays\nlanguage: fr\n", "utf-8")
    assert "Chapitre" in key_text()


def test_draft_course_writes_in_the_books_language(tmp_path: Path) -> None:
    """The prompts draft-course writes are labels too; the draft passes check."""
    root = tmp_path / "book"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "book.yaml").write_text("title: Aufsätze\nlanguage: de\n", "utf-8")
    (root / "manuscript" / "01-eins.md").write_text(
        "---\ntitle: Guter Service\nauthor: A. Writer\noriginal: true\n---\n\n"
        "Guter Service beginnt beim Zuhören. Er hat vier Schritte:\n\n"
        "1. Zuhören\n2. Antworten\n3. Nachfassen\n4. Danken\n\n"
        "## Ruhig bleiben\n\nWer ruhig bleibt, versteht die Kundschaft besser.\n\n"
        "## Klar sprechen\n\nEine Antwort soll kurz und klar sein.\n\n"
        "## Später fragen\n\nNach einer Woche fragen wir freundlich nach.\n", "utf-8")
    assert run_cli("draft-course", str(root)).code == 0
    draft = (root / "course" / "01-eins.yaml").read_text("utf-8")
    assert "Das Kapitel nennt 4 Punkte:" in draft
    assert "Welche dieser Punkte führt das Kapitel auf? (Alle zutreffenden Antworten wählen.)" \
        in draft
    assert "Arbeiten Sie allein und in Stille." in draft
    assert "The chapter" not in draft and "Which of these" not in draft
    result = run_cli("check", str(root))
    assert result.code == 0, result.err
    # the question already says to choose every right answer: no hint added to it
    project = read_project(root)
    html = i18n.localizer(project.book)
    assert html.catalog == "de"
    from cxbook.render.html import activities_html

    chapter = project.chapters[0]
    text = activities_html(chapter, project.course.for_chapter(chapter.stem), "book", html)
    assert "(alle zutreffenden Antworten wählen)" not in text


@pytest.mark.parametrize(("language", "text"), [
    ("ar", "قبل ← بعد، وس ≤ ص"),
    ("en", "**Before** → *after*, x ≤ y"),
])
def test_symbols_between_spaces_print(tmp_path: Path, language: str, text: str) -> None:
    """Spaces next to a symbol only Noto Sans Math has (which has no space) print as
    spaces, in Arabic text and between emphasised words, instead of failing the build."""
    root = _book(tmp_path, f"title: Essays\nlanguage: {language}\n")
    chapter = root / "manuscript" / "01-one.md"
    chapter.write_text(chapter.read_text("utf-8").replace("Text.", text), "utf-8")
    result = run_cli("build", str(root), "-f", "pdf", "--out", str(tmp_path / "out"),
                     "--quiet", "--no-cache")
    assert result.code == 0, result.err


def test_a_font_without_a_space_gets_one_and_keeps_its_glyphs() -> None:
    fonts = REPO / "src" / "cxbook" / "themes" / "default"
    math = (fonts / "print-fonts" / "NotoSansMath-Regular.ttf").read_bytes()
    patched = TTFont(io.BytesIO(font_with_space(math)))
    original = TTFont(io.BytesIO(math))
    assert 0x20 not in original.getBestCmap()
    order = original.getGlyphOrder()
    assert patched.getGlyphOrder()[:len(order)] == order
    assert patched.getBestCmap()[0x20] == patched.getBestCmap()[0xA0] == "space"
    assert patched["hmtx"]["space"] == (patched["head"].unitsPerEm // 4, 0)
    assert patched.getBestCmap()[0x2192] == original.getBestCmap()[0x2192]
    serif = (fonts / "fonts" / "NotoSerif-Regular.ttf").read_bytes()
    assert font_with_space(serif) == serif
