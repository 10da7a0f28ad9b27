"""Diagnostics: every problem cxbook reports carries a location and a stable dotted code."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a project file. ``path`` is relative to the project folder; line and
    column are 1-based."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def at(self, line: int, column: int = 1) -> SourceLocation:
        return SourceLocation(self.path, line, column)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    location: SourceLocation
    severity: Severity
    message: str
    code: str

    def format(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} [{self.code}]"

    def __str__(self) -> str:
        return self.format()


@dataclass
class Diagnostics:
    """Collects diagnostics so that every problem is reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: SourceLocation, message: str, code: str) -> None:
        self.items.append(Diagnostic(location, Severity.ERROR, one_line(message), code))

    def warning(self, location: SourceLocation, message: str, code: str) -> None:
        self.items.append(Diagnostic(location, Severity.WARNING, one_line(message), code))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Diagnostic]:
        """Stable order for printing: by file, line, column, then insertion order."""
        order = {id(d): i for i, d in enumerate(self.items)}
        return sorted(self.items, key=lambda d: (d.location, order[id(d)]))

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise CxbookError(self.sorted())


class CxbookError(Exception):
    """Problems the user can fix. Carries every diagnostic found so far."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))

    @classmethod
    def single(cls, location: SourceLocation, message: str, code: str) -> CxbookError:
        return cls([Diagnostic(location, Severity.ERROR, message, code)])


def one_line(message: str) -> str:
    """Every diagnostic is one line: quoted user text may hold newlines or control
    characters, which are shown escaped."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" suffix, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
