"""YAML loading that keeps positions, and a small schema layer on top of YAML nodes.

YAML is composed (not constructed) so that every value keeps the line and column it came
from; values are then read field by field, and every problem becomes a located diagnostic.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from .diagnostics import Diagnostics, SourceLocation, did_you_mean

NULL_TAG = "tag:yaml.org,2002:null"
STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"

MAX_YAML_NODES = 200_000
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "empty (null)"
    if node.tag == BOOL_TAG:
        return "a true/false value"
    if node.tag == INT_TAG:
        return "a number"
    return "text"


def _describe(value: str) -> str:
    value = value.strip()
    return value if len(value) <= 40 else value[:37] + "…"


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader (libyaml's when available: about 20 times faster); composing only, so
    no Python objects are ever constructed."""


def compose_yaml(
    text: str, path: str, diags: Diagnostics, *, line_offset: int = 0
) -> yaml.Node | None:
    """Compose ``text`` into a node tree, reporting syntax problems as diagnostics.

    ``line_offset`` is added to every reported line (front matter starts below line 1).
    Returns None when the text is empty or has errors (already reported).
    """
    base = SourceLocation(path)
    for number, source_line in enumerate(text.split("\n"), start=1):
        stripped = source_line.lstrip(" ")
        if stripped.startswith("\t"):
            diags.error(
                base.at(number + line_offset, len(source_line) - len(stripped) + 1),
                "tab character used for indentation; YAML indents with spaces only, "
                "so replace the tab with spaces",
                "yaml.tab",
            )
            return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        column = mark.column + 1 if mark else 1
        diags.error(base.at(line, column), _syntax_message(e, line_offset), "yaml.syntax")
        return None
    except yaml.reader.ReaderError as e:
        position = max(0, min(int(e.position), len(text)))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        diags.error(
            base.at(line + line_offset, column),
            f"YAML files cannot contain the control character U+{int(e.character):04X} "
            "(it is often invisible); delete it, or retype the line",
            "yaml.control-character",
        )
        return None
    except yaml.YAMLError as e:
        diags.error(base.at(1 + line_offset), f"YAML error: {e}; check the file's syntax",
                    "yaml.syntax")
        return None
    except RecursionError:
        diags.error(base.at(1 + line_offset), "YAML is nested too deeply; flatten it",
                    "yaml.too-deep")
        return None
    if node is None:
        return None
    ctx = YamlContext(path, diags, line_offset)
    if not ctx.check_structure(node):
        return None
    return node


# libyaml's names for what it was reading, in the words of the people who write the files.
_CONTEXTS = {
    "flow sequence": "the [ … ] list",
    "flow mapping": "the { … } mapping",
    "block mapping": "the 'key: value' lines",
    "block collection": "the list",
    "quoted scalar": "the quoted text",
    "plain scalar": "the text",
    "block scalar": "the | or > text block",
    "directive": "the % directive",
    "anchor": "the & anchor",
    "alias": "the * alias",
    "tag": "the ! tag",
    "simple key": "the key",
    "node": "the value",
}
_HINTS = (
    ("mapping values are not allowed", "if the value itself contains ': ', put the whole "
     "value in quotes; otherwise check the indentation"),
    ("end of stream", "a quote or bracket is not closed; close it"),
    ("did not find expected key", "keys of the same mapping must start in the same column; "
     "check the indentation"),
    ("did not find expected ',' or", "separate the entries with ',' and close the bracket"),
    ("expected ':'", "a key needs ': ' after it; if this is text, put it in quotes"),
    ("undefined alias", "'*' starts an alias in YAML; put the value in quotes"),
    ("cannot start any token", "a value that starts with @, ` or % must be in quotes"),
    ("found unknown escape character", "in double quotes a backslash starts an escape; "
     "write \\\\ for a backslash or use single quotes"),
    ("did not find expected '-'", "list entries start with '- ' in the same column; check "
     "the indentation"),
    ("unexpected end of", "a quote or bracket is not closed; close it"),
)


def _syntax_message(e: yaml.MarkedYAMLError, line_offset: int) -> str:
    problem = (e.problem or "invalid YAML").strip()
    message = f"YAML syntax error: {problem}"
    context = (e.context or "").strip()
    if context.startswith(("while parsing ", "while scanning ")) and "token" not in context:
        thing = context.split(" ", 2)[2].removeprefix("a ").removeprefix("an ")
        where = _CONTEXTS.get(thing, f"the {thing}")
        mark = e.context_mark
        if mark is not None and mark is not e.problem_mark:
            where += f" beginning at line {mark.line + 1 + line_offset}, column " \
                     f"{mark.column + 1}"
        message += f" in {where}"
    hint = next((h for key, h in _HINTS if key in problem),
                "check the indentation, quotes and brackets here")
    return f"{message}; {hint}"


@dataclass
class YamlContext:
    """Reads typed values out of composed YAML nodes, reporting problems with locations."""

    path: str
    diags: Diagnostics
    line_offset: int = 0
    text: str | None = None  # the YAML source, for locating text inside a value

    def locate_in(self, node: yaml.Node, needle: str, occurrence: int = 0) -> SourceLocation:
        """Location of the n-th occurrence of ``needle`` inside a scalar's source lines;
        the scalar's own location when the text is not available."""
        if self.text is not None:
            lines = self.text.split("\n")
            seen = 0
            for index in range(node.start_mark.line, min(node.end_mark.line + 1, len(lines))):
                line = lines[index]
                start = node.start_mark.column if index == node.start_mark.line else 0
                column = line.find(needle, start)
                while column >= 0:
                    if seen == occurrence:
                        return SourceLocation(self.path, index + 1 + self.line_offset,
                                              column + 1)
                    seen += 1
                    column = line.find(needle, column + 1)
        return self.loc(node)

    def loc(self, node: yaml.Node) -> SourceLocation:
        mark = node.start_mark
        return SourceLocation(self.path, mark.line + 1 + self.line_offset, mark.column + 1)

    def file_loc(self) -> SourceLocation:
        return SourceLocation(self.path, 1 + self.line_offset, 1)

    # -- structure checks -------------------------------------------------------------

    def check_structure(self, root: yaml.Node) -> bool:
        """Rejects duplicate keys and aliases (shared nodes), bounding the walk."""
        seen: set[int] = set()
        stack = [root]
        ok = True
        count = 0
        while stack:
            node = stack.pop()
            count += 1
            if count > MAX_YAML_NODES:
                self.diags.error(
                    self.loc(root),
                    f"YAML document has more than {MAX_YAML_NODES} values; split it up",
                    "yaml.too-large",
                )
                return False
            if id(node) in seen:
                self.diags.error(
                    self.loc(node),
                    "YAML anchors and aliases (&name / *name) are not supported; "
                    "write the value out in full",
                    "yaml.alias",
                )
                return False
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: dict[str, yaml.Node] = {}
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        if key.value in keys:
                            first = self.loc(keys[key.value])
                            self.diags.error(
                                self.loc(key),
                                f"duplicate key '{key.value}' (first given at line "
                                f"{first.line}); keep only one of them",
                                "yaml.duplicate-key",
                            )
                            ok = False
                        else:
                            keys[key.value] = key
                    stack.append(key)
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return ok

    # -- typed readers ----------------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        *,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        what: str,
    ) -> dict[str, yaml.Node] | None:
        """The mapping's values by key; unknown keys and missing required keys are errors."""
        if not isinstance(node, yaml.MappingNode):
            self.diags.error(
                self.loc(node),
                f"{what} must be a mapping of keys to values, not {_kind(node)}",
                "schema.type",
            )
            return None
        result: dict[str, yaml.Node] = {}
        misspelt: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == NULL_TAG:
                self.diags.error(self.loc(key), f"{what} has a key that is not text",
                                 "schema.type")
                continue
            name = key.value
            if name not in allowed:
                close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
                misspelt.update(close)
                self.diags.error(
                    self.loc(key),
                    f"unknown key '{name}' in {what}{did_you_mean(name, allowed)}; "
                    f"allowed keys: {', '.join(allowed)}",
                    "schema.unknown-key",
                )
                continue
            result[name] = value
        for name in required:
            if name in misspelt:  # "unknown key 'autor' (did you mean 'author'?)" says it
                continue
            if name not in result and not any(
                isinstance(k, yaml.ScalarNode) and k.value == name for k, _ in node.value
            ):
                self.diags.error(
                    self.loc(node),
                    f"{what} is missing the required key '{name}'; add '{name}: …'",
                    "schema.missing-key",
                )
        return result

    def is_null(self, node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG

    def string(self, node: yaml.Node, what: str, *, allow_empty: bool = False) -> str | None:
        """A scalar as text. Numbers and dates are taken as written."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
            self.diags.error(self.loc(node), f"{what} must be text, not {_kind(node)}",
                             "schema.type")
            return None
        if node.tag == BOOL_TAG and not node.style:
            self.diags.error(
                self.loc(node),
                f"{what} must be text, not a true/false value; put it in quotes "
                f"(\"{node.value}\") if you mean the word",
                "schema.type",
            )
            return None
        value = str(node.value)
        if not allow_empty and not value.strip():
            self.diags.error(self.loc(node), f"{what} is empty; write the text or remove "
                             "the key", "schema.empty")
            return None
        return value

    def optional_string(self, node: yaml.Node | None, what: str) -> str | None:
        if node is None or self.is_null(node):
            return None
        return self.string(node, what)

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        """``true`` or ``false`` (YAML 1.1 also reads yes/no, on/off)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL_TAG:
            self.diags.error(self.loc(node), f"{what} must be true or false, not {_kind(node)} "
                             f"'{_describe(str(getattr(node, 'value', '')))}'", "schema.type")
            return None
        return bool(yaml.constructor.SafeConstructor.bool_values[str(node.value).lower()])

    def integer(self, node: yaml.Node, what: str, *, low: int, high: int) -> int | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT_TAG:
            self.diags.error(
                self.loc(node),
                f"{what} must be a whole number from {low} to {high}, not "
                f"{_kind(node)} '{_describe(str(getattr(node, 'value', '')))}'",
                "schema.type",
            )
            return None
        try:
            value = int(node.value.replace("_", ""), 0)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            self.diags.error(
                self.loc(node), f"{what} must be from {low} to {high}, not {node.value}",
                "schema.range",
            )
            return None
        return value

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node] | None:
        if self.is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.diags.error(self.loc(node), f"{what} must be a list (lines starting with "
                             f"'- '), not {_kind(node)}", "schema.type")
            return None
        return list(node.value)

    def string_or_list(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
        """A single string or a list of strings (e.g. several editors)."""
        if isinstance(node, yaml.SequenceNode):
            out: list[tuple[str, yaml.Node]] = []
            for item in node.value:
                text = self.string(item, f"each entry of {what}")
                if text is not None:
                    out.append((text.strip(), item))
            return out
        text = self.string(node, what)
        return [(text.strip(), node)] if text is not None else []

    def codes(self, node: yaml.Node | None, what: str = "'acknowledge'"
              ) -> list[tuple[str, SourceLocation]]:
        """An ``acknowledge:`` value: one diagnostic code or a list of them (or of code
        families such as ``html``), each with the place it is written."""
        if node is None or self.is_null(node):
            return []
        return [(text, self.loc(item)) for text, item in self.string_or_list(node, what)]

    def language(self, node: yaml.Node, what: str) -> str | None:
        """A BCP 47 language tag (``en``, ``en-GB``, ``zh-Hant``), stripped."""
        text = self.string(node, what)
        if text is None:
            return None
        if not LANGUAGE_RE.match(text.strip()):
            self.diags.error(self.loc(node), f"{what} must be a BCP 47 tag such as en, en-GB "
                             f"or fr, not '{_describe(text)}'", "book.language")
            return None
        return text.strip()

    def date(self, node: yaml.Node, what: str) -> str | None:
        """An ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD), returned as written."""
        text = self.string(node, what)
        if text is None:
            return None
        text = text.strip()
        ok = False
        for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
            try:
                _dt.datetime.strptime(text, fmt)
                ok = True
                break
            except ValueError:
                continue
        if not ok:
            self.diags.error(
                self.loc(node),
                f"{what} must be an ISO 8601 date such as 2013-05-01, not '{_describe(text)}'",
                "schema.date",
            )
            return None
        return text
