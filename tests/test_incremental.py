"""Incremental builds: what the build cache reuses (chapter documents, course pages,
compressed zip pieces) never changes an output byte, and nothing stale is ever served."""

from __future__ import annotations

import datetime as dt
import io
import random
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxbook.build as build_module
from cxbook.build import BuildOptions, load_renderer, source_date
from cxbook.cache import CACHE_DIR, BuildCache
from cxbook.output import (
    SEGMENT_MIN,
    DeflateMemo,
    _zipfile_archive,
    reproducible_zip,
    zip_timestamp,
)
from cxbook.readers import read_project

from conftest import run_cli

FORMATS = ("epub", "scorm12", "scorm2004")
CHAPTER = "02-worry-less-do-more.md"
WHEN = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


def _build(project: Path, out: Path, *extra: str) -> dict[str, bytes]:
    result = run_cli("build", str(project), "-f", ",".join(FORMATS), "--out", str(out),
                     "--quiet", *extra)
    assert result.code == 0, result.err
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _render(project: Path, cache: BuildCache | None) -> dict[str, bytes]:
    """Every format rendered directly (no whole-output cache), through ``cache``."""
    model = read_project(project, cache)
    options = BuildOptions(source_date(model.book), cache=cache)
    return {name: load_renderer(name).render(model, options)[0].data for name in FORMATS}


def _forget_whole_outputs(project: Path) -> None:
    """Drop the cached whole outputs, so that a build goes through the fragments."""
    for folder in (project / CACHE_DIR / "values").glob("outputs-*"):
        shutil.rmtree(folder)


def _png(rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes(rgb))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


# -- byte identity ----------------------------------------------------------------------


def test_cold_warm_and_parallel_builds_are_byte_identical(
    default_project_copy: Path, tmp_path: Path
) -> None:
    project = default_project_copy
    reference = _build(project, tmp_path / "no-cache", "--no-cache", "--jobs", "1")
    assert sorted(reference) == ["service-matters-scorm12.zip", "service-matters-scorm2004.zip",
                                 "service-matters.epub"]
    assert _build(project, tmp_path / "cold", "--jobs", "1") == reference

    chapter = project / "manuscript" / CHAPTER
    original = chapter.read_text(encoding="utf-8")
    chapter.write_text(original + "\nOne sentence more.\n", encoding="utf-8")
    changed = _build(project, tmp_path / "changed", "--jobs", "2")
    assert changed == _build(project, tmp_path / "changed-no-cache", "--no-cache")
    assert all(changed[name] != reference[name] for name in reference)

    chapter.write_text(original, encoding="utf-8")
    _forget_whole_outputs(project)
    assert _build(project, tmp_path / "reverted", "--jobs", "2") == reference
    _forget_whole_outputs(project)
    assert _build(project, tmp_path / "warm", "--jobs", "1") == reference


def test_one_changed_chapter_renders_and_compresses_only_its_own_parts(
    default_project_copy: Path,
) -> None:
    project = default_project_copy
    folder = project / CACHE_DIR
    before = _render(project, BuildCache(folder))
    chapter = project / "manuscript" / CHAPTER
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne sentence more.\n",
                       encoding="utf-8")

    cache = BuildCache(folder)
    model = read_project(project, cache)
    chapters = len(model.chapters)
    assert cache.kind_misses["chapters"] == 1 and cache.kind_hits["chapters"] == chapters - 1
    assert cache.kind_misses["activities"] == 1
    assert cache.kind_misses["course"] == 0  # course files are read back, not parsed

    options = BuildOptions(source_date(model.book), cache=cache)
    after: dict[str, bytes] = {}
    for name in FORMATS:
        cache.kind_hits.clear()
        cache.kind_misses.clear()
        after[name] = load_renderer(name).render(model, options)[0].data
        if name == "epub":
            # cover, title page, copyright, contents, chapters, answer key, sources
            assert cache.kind_misses["epub-doc"] == 1
            assert cache.kind_misses["epub-xhtml"] == 1
            assert cache.kind_hits["epub-xhtml"] == chapters + 6 - 1
        else:
            assert cache.kind_misses["scorm-page"] == 1
            assert cache.kind_hits["scorm-page"] == chapters - 1
            assert cache.kind_hits["scorm-data"] == 1  # the chapter's activities are the same
        # Only the changed entry is compressed again (index.html or the chapter document).
        assert cache.kind_misses["deflate-piece"] == 1
        assert after[name] != before[name]
    assert after == _render(project, None)


# -- a stale result is impossible ---------------------------------------------------------


def _edit_css(project: Path) -> None:
    (project / "themes" / "default" / "custom.css").write_text(
        ".chapter-body p { margin-top: 0.2em; }\n", encoding="utf-8")


def _edit_course(project: Path) -> None:
    path = project / "course" / CHAPTER.replace(".md", ".yaml")
    text = path.read_text(encoding="utf-8")
    assert "Misses and missings" in text
    path.write_text(text.replace("Misses and missings", "Misses and near misses"),
                    encoding="utf-8")


def _edit_image(project: Path) -> None:
    (project / "manuscript" / "images" / "figure.png").write_bytes(_png((200, 30, 30)))


@pytest.mark.parametrize("edit", [_edit_css, _edit_course, _edit_image],
                         ids=["theme-css", "course-file", "image"])
def test_changed_input_is_never_served_from_the_cache(
    default_project_copy: Path, tmp_path: Path, edit: object
) -> None:
    project = default_project_copy
    (project / "themes" / "default" / "custom.css").write_text(
        ".chapter-body p { margin-top: 0.1em; }\n", encoding="utf-8")
    (project / "manuscript" / "images").mkdir()
    (project / "manuscript" / "images" / "figure.png").write_bytes(_png((30, 30, 200)))
    chapter = project / "manuscript" / CHAPTER
    chapter.write_text(chapter.read_text(encoding="utf-8")
                       + "\n![A small square of colour](images/figure.png)\n",
                       encoding="utf-8")
    before = _build(project, tmp_path / "before")
    assert callable(edit)
    edit(project)
    after = _build(project, tmp_path / "after")
    assert all(after[name] != before[name] for name in before)
    assert after == _build(project, tmp_path / "after-no-cache", "--no-cache")


def test_changed_source_date_is_never_served_from_the_cache(
    default_project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _build(default_project_copy, tmp_path / "before")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    after = _build(default_project_copy, tmp_path / "after")
    assert all(after[name] != before[name] for name in before)
    assert after == _build(default_project_copy, tmp_path / "after-no-cache", "--no-cache")
    with zipfile.ZipFile(io.BytesIO(after["service-matters.epub"])) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2027, 1, 15, 8, 0, 0)}


def test_changed_paper_is_never_served_from_the_cache(
    default_project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(build_module.RENDERERS, "fake", "support.fake_renderer:CountingRenderer")
    out = default_project_copy / "dist" / "service-matters.fake.txt"
    texts = []
    for paper in ("a4", "letter", "a4"):
        result = run_cli("build", str(default_project_copy), "-f", "fake", "--paper", paper,
                         "--quiet")
        assert result.code == 0, result.err
        texts.append(out.read_text(encoding="utf-8"))
    assert texts[0].endswith(" A4\n") and texts[1].endswith(" letter\n")
    assert texts[2] == texts[0]


# -- the zip writer -------------------------------------------------------------------------

NAMES = st.text(alphabet="abcXYZé_-.0/", min_size=1, max_size=12).filter(
    lambda n: not n.startswith(("/", ".")) and "//" not in n and "/." not in n
    and not n.endswith("/"))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(NAMES, st.binary(max_size=2000) | st.text(max_size=800).map(str.encode),
                       max_size=6),
       st.datetimes(min_value=dt.datetime(1975, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_zip_writer_gives_zipfiles_bytes(entries: dict[str, bytes], when: dt.datetime) -> None:
    """Archives are written without zipfile, byte for byte as zipfile writes them."""
    stamp = when.replace(tzinfo=dt.UTC)
    stored = set(list(entries)[:1])
    ours = reproducible_zip(entries.items(), stamp, stored=stored, memo=DeflateMemo())
    assert ours == _zipfile_archive(sorted(entries), entries, stored, zip_timestamp(stamp))
    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        assert archive.testzip() is None
        assert {n: archive.read(n) for n in archive.namelist()} == entries


def test_large_entries_are_compressed_in_pieces_that_are_reused() -> None:
    rng = random.Random(8)
    words = ["service", "customer", "team", "listen", "quality", "promise", "care", "time"]
    pages = [(f'<div class="page" id="p{i}">'
              + " ".join(rng.choice(words) for _ in range(12000)) + "</div>\n").encode()
             for i in range(12)]
    data = b"".join(pages)
    assert len(data) >= SEGMENT_MIN
    cuts = [sum(len(p) for p in pages[:i]) for i in range(1, len(pages))]
    memo = DeflateMemo()
    first = reproducible_zip([("index.html", data)], WHEN, segments={"index.html": cuts},
                             memo=memo)
    assert memo.misses == len(pages)
    assert first == reproducible_zip([("index.html", data)], WHEN,
                                     segments={"index.html": cuts})
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.testzip() is None
        assert archive.read("index.html") == data
        packed = archive.infolist()[0].compress_size
    whole = reproducible_zip([("index.html", data)], WHEN)
    assert packed < len(whole) * 1.02  # each piece keeps the 32 KiB before it as dictionary

    pages[5] = pages[5].replace(b"team", b"group")
    changed = b"".join(pages)
    cuts = [sum(len(p) for p in pages[:i]) for i in range(1, len(pages))]
    again = DeflateMemo(memo.used)
    second = reproducible_zip([("index.html", changed)], WHEN, segments={"index.html": cuts},
                              memo=again)
    assert again.misses == 2  # the changed page, and the next (its dictionary changed)
    assert again.hits == len(pages) - 2
    assert second == reproducible_zip([("index.html", changed)], WHEN,
                                      segments={"index.html": cuts})
    with zipfile.ZipFile(io.BytesIO(second)) as archive:
        assert archive.read("index.html") == changed


def test_small_entries_are_never_cut() -> None:
    data = b"<p>short</p>\n" * 100
    assert reproducible_zip([("a.html", data)], WHEN, segments={"a.html": [13, 26, 39]}) == \
        reproducible_zip([("a.html", data)], WHEN)
