"""The catalogue of diagnostic codes cxbook can report, read from cxbook's own source.

A code is a string literal given as a diagnostic's code: the last argument of
``Diagnostics.warning(...)`` / ``.warn(...)`` / ``.error(...)`` /
``CxbookError.single(...)``, the code of a ``Diagnostic(...)``, a ``code=`` keyword, or the
default of a parameter named ``code``, the last item of a (message, code) pair appended
to a list of warnings; either branch of a conditional expression of two
literals, and a module-level constant holding one, count as well. The catalogue is read from
the source rather than kept as a second list, so a code added anywhere is known the moment
it exists (no list to keep in step). It is used only to answer an ``acknowledge:`` entry
that matched no diagnostic: is it a code at all, and is it a warning's? No library does
this; ``ast`` from the standard library reads the source.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

CODE_RE = re.compile(r"^[a-z][a-z0-9]*(?:\.[a-z0-9][a-z0-9-]*)+$")
# Call name -> (position of the code argument, the severity it reports at, "" if unknown)
_CALLS = {"warning": (2, "warning"), "warn": (2, "warning"), "error": (2, "error"),
          "single": (2, "error"), "Diagnostic": (3, "")}


def _sources(folder: Traversable) -> Iterator[str]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _sources(entry)
        elif entry.name.endswith(".py"):
            yield entry.read_text(encoding="utf-8")


def codes_in_source(text: str) -> dict[str, set[str]]:
    """The codes one module reports: code -> severities ("error", "warning", or "" when
    the code is handed to a helper that decides)."""
    found: dict[str, set[str]] = {}
    tree = ast.parse(text)
    constants = {  # module-level NAME = "a.code", given by name
        target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
        for target in node.targets if isinstance(target, ast.Name)}

    def add(node: ast.expr | None, severity: str) -> None:
        if isinstance(node, ast.IfExp):  # "a.code" if … else "b.code"
            add(node.body, severity)
            add(node.orelse, severity)
        elif isinstance(node, ast.Name) and node.id in constants:
            add(constants[node.id], severity)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and CODE_RE.match(node.value):
            found.setdefault(node.value, set()).add(severity)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            if name == "append" and node.args and isinstance(node.args[0], ast.Tuple) \
                    and _names_warnings(func):  # warnings.append((message, "a.code"))
                add(node.args[0].elts[-1], "warning")
            if name in _CALLS:
                position, severity = _CALLS[name]
                if len(node.args) > position:
                    add(node.args[position], severity)
            for keyword in node.keywords:
                if keyword.arg == "code":
                    add(keyword.value, "")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):],
                             args.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                      if d is not None]
            for arg, default in pairs:
                if arg.arg == "code":
                    add(default, "")
    return found


def _names_warnings(func: ast.expr) -> bool:
    """``…warnings.append``: a list of (message, code) warnings reported later."""
    owner = func.value if isinstance(func, ast.Attribute) else None
    label = owner.attr if isinstance(owner, ast.Attribute) else \
        owner.id if isinstance(owner, ast.Name) else ""
    return label.endswith("warnings")


@cache
def known_codes() -> dict[str, frozenset[str]]:
    """Every code in cxbook's source -> the severities it is reported at ("error",
    "warning"; "" where a helper decides). Empty when the source cannot be read (a frozen
    build), so that nothing is then called unknown."""
    merged: dict[str, set[str]] = {}
    try:
        for text in _sources(resources.files("cxbook")):
            for code, severities in codes_in_source(text).items():
                merged.setdefault(code, set()).update(severities)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return {}
    return {code: frozenset(s) for code, s in sorted(merged.items())}
