"""The starter project: creating one (``cxbook new``) and recognising what in a project is
still the starter's (its example chapters, its placeholder titles and course id), so that
``cxbook check`` can say so before any of it reaches a reader or an LMS.

The starter is the folder ``cxbook/starter/`` shipped inside the package. ``new`` copies it
and gives the copy its own book title, course title and course id, made from the folder name
or from the title it is given.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .readers.book import book_slug

COURSE_TITLE_SUFFIX = " — staff course"


def starter_folder() -> Path:
    return Path(str(resources.files("cxbook") / "starter"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    return data


def text_digest(text: str) -> str:
    """A digest of a text that ignores differences in white space and line endings."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StarterValues:
    book_title: str
    course_title: str
    course_id: str
    # digest (see text_digest) -> "chapter" or "course file", for every example file
    examples: dict[str, str]


@cache
def starter_values() -> StarterValues:
    """The placeholder values and example files of the starter as shipped."""
    folder = starter_folder()
    book = _load(folder / "manuscript" / "book.yaml")
    course = _load(folder / "course" / "course.yaml")
    examples = {text_digest(p.read_text(encoding="utf-8")): "chapter"
                for p in sorted((folder / "manuscript").glob("*.md"))}
    examples.update({text_digest(p.read_text(encoding="utf-8")): "course file"
                     for p in sorted((folder / "course").glob("*.yaml"))
                     if p.name != "course.yaml"})
    return StarterValues(str(book["title"]), str(course["title"]), str(course["id"]),
                         examples)


def title_from_folder(name: str) -> str:
    """A book title made from a folder name: "staff-onboarding_2025" -> "Staff Onboarding
    2025". Words keep their other letters as written."""
    words = [w for w in re.split(r"[-_\s.]+", name) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or "My Book"


def course_id_for(title: str) -> str:
    """A course id made from the title (its slug); a random one when the title has no
    letters or digits an id can hold."""
    letters = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    if not re.search(r"[A-Za-z0-9]", letters):
        return f"course-{uuid.uuid4().hex[:8]}"
    return book_slug(title)


def _replace_value(text: str, key: str, old: str, new: str, path: Path) -> str:
    """Replace the top-level ``key: old`` line with ``key: new``; ``new`` is written plain
    when YAML reads it back as the same text, otherwise as a JSON string (valid YAML)."""
    pattern = re.compile(rf"^{re.escape(key)}:[ \t]*{re.escape(old)}[ \t]*$", re.MULTILINE)
    line = f"{key}: {new}"
    try:
        plain = yaml.safe_load(line) == {key: new}
    except yaml.YAMLError:
        plain = False
    if not plain:
        line = f"{key}: {json.dumps(new, ensure_ascii=False)}"
    result, count = pattern.subn(lambda _: line, text, count=1)
    if count != 1:
        raise ValueError(f"the starter's {path.name} has no line '{key}: {old}'")
    return result


@dataclass(frozen=True)
class NewProject:
    folder: Path
    title: str
    course_title: str
    course_id: str


def create_project(target: Path, title: str | None = None) -> NewProject:
    """Copy the starter into ``target`` (which must not exist or be empty) with its own
    book title (``title``, or one made from the folder name), course title and course id."""
    values = starter_values()
    book_title = " ".join(title.split()) if title else title_from_folder(target.resolve().name)
    made = NewProject(target, book_title, book_title + COURSE_TITLE_SUFFIX,
                      course_id_for(book_title))
    shutil.copytree(starter_folder(), target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    book = target / "manuscript" / "book.yaml"
    book.write_text(_replace_value(book.read_text(encoding="utf-8"), "title",
                                   values.book_title, made.title, book), encoding="utf-8")
    course = target / "course" / "course.yaml"
    text = _replace_value(course.read_text(encoding="utf-8"), "title", values.course_title,
                          made.course_title, course)
    text = _replace_value(text, "id", values.course_id, made.course_id, course)
    course.write_text(text, encoding="utf-8")
    return made
