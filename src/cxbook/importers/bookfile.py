"""Adding chapter files to book.yaml's ``chapters:`` list without touching anything else.

The file is edited as text at the place the YAML parser reports for the list, so the
user's comments, quoting, order and spacing stay exactly as they were: a block list gets
new ``- name`` lines after its last item, with that item's indentation; a flow list
(``[a.md, b.md]``) gets ``, name`` before its ``]``. The result is parsed again and must
list the old chapters followed by the new ones.
"""

from __future__ import annotations

import yaml


class BookYamlError(ValueError):
    """book.yaml cannot be edited safely; the message says why."""


def chapters_node(text: str) -> yaml.Node | None:
    """The value node of the top-level ``chapters`` key, or None when there is none."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise BookYamlError(f"book.yaml is not valid YAML ({e}); fix it first "
                            "('cxbook check' shows where)") from e
    if not isinstance(root, yaml.MappingNode):
        raise BookYamlError("book.yaml is not a mapping of keys; fix it first")
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "chapters":
            node: yaml.Node = value
            return node
    return None


def add_chapters(text: str, names: list[str]) -> str:
    """book.yaml's text with ``names`` appended to its ``chapters:`` list; the text
    unchanged when it has no such list (the chapters are then the sorted file names)."""
    node = chapters_node(text)
    if node is None or not names:
        return text
    if not isinstance(node, yaml.SequenceNode):
        raise BookYamlError("'chapters' in book.yaml is not a list; make it a list of "
                            "chapter file names first")
    before = [item.value for item in node.value if isinstance(item, yaml.ScalarNode)]
    if node.flow_style:
        edited = _add_to_flow_list(text, node, names)
    else:
        edited = _add_to_block_list(text, node, names)
    after = chapters_node(edited)
    values = [item.value for item in after.value] if isinstance(after, yaml.SequenceNode) \
        else None
    if values != before + names:
        raise BookYamlError("book.yaml's 'chapters' list is written in a way cxbook cannot "
                            "extend safely; add these lines to it yourself: "
                            + ", ".join(f"- {n}" for n in names))
    return edited


def _add_to_block_list(text: str, node: yaml.SequenceNode, names: list[str]) -> str:
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    last = node.value[-1]
    first = node.value[0]
    first_line = lines[first.start_mark.line]
    # "  - " before the first item's value: the dash and its indentation, as written.
    prefix = first_line[:first.start_mark.column]
    if "-" not in prefix:
        raise BookYamlError("book.yaml's 'chapters' list has an unusual layout; add the new "
                            "chapters to it yourself: " + ", ".join(names))
    prefix = prefix[:prefix.index("-")] + "- "
    end_line = last.end_mark.line
    if last.end_mark.column == 0:
        end_line -= 1
    insert_at = end_line + 1
    if not lines[end_line].endswith(("\n", "\r")):
        lines[end_line] += newline
    added = [f"{prefix}{_scalar(name)}{newline}" for name in names]
    return "".join(lines[:insert_at] + added + lines[insert_at:])


def _add_to_flow_list(text: str, node: yaml.SequenceNode, names: list[str]) -> str:
    close = node.end_mark.index - 1
    if text[close] != "]":
        raise BookYamlError("book.yaml's 'chapters' list could not be read as [ … ]; add "
                            "the new chapters to it yourself: " + ", ".join(names))
    joined = ", ".join(_scalar(n) for n in names)
    addition = (", " + joined) if node.value else joined
    return text[:close].rstrip() + addition + text[close:]


def _scalar(name: str) -> str:
    """A chapter file name as a YAML scalar: plain when YAML reads it back unchanged."""
    try:
        if yaml.safe_load(name) == name and not name.startswith(("&", "*", "!", "%", "@")):
            return name
    except yaml.YAMLError:
        pass
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
