"""Diagnostics: every problem cxbook reports carries a location and a stable dotted code.

A warning can be acknowledged (``acknowledge:`` in book.yaml, a chapter's front matter or a
course file): it is then not repeated, only counted. Acknowledgement works on the code and on
the file a warning is located in, whatever produced the warning, so every warning code is
covered without anything special where the warning is made.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
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


def code_covers(entry: str, code: str) -> bool:
    """Whether an acknowledged ``entry`` covers ``code``: the code itself, or a family of
    codes written without its last parts (``html`` covers ``html.removed``), as Sphinx's
    ``suppress_warnings`` does."""
    return code == entry or code.startswith(entry + ".")


@dataclass(frozen=True)
class Acknowledgement:
    """One entry of an ``acknowledge:`` list.

    ``code`` is a diagnostic code or a code family; ``scope`` holds the project paths whose
    warnings it covers (a path ending in ``/`` covers the files in that folder), or is None
    for the whole project; ``location`` is where the entry is written."""

    code: str
    scope: tuple[str, ...] | None
    location: SourceLocation

    def covers(self, diagnostic: Diagnostic) -> bool:
        if diagnostic.severity is not Severity.WARNING:
            return False
        if not code_covers(self.code, diagnostic.code):
            return False
        if self.scope is None:
            return True
        path = diagnostic.location.path
        return any(path == s or (s.endswith("/") and path.startswith(s)) for s in self.scope)


@dataclass
class Diagnostics:
    """Collects diagnostics so that every problem is reported at once."""

    items: list[Diagnostic] = field(default_factory=list)
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    # Warnings covered by an acknowledgement: counted, not repeated (see ``settle``).
    acknowledged: list[Diagnostic] = field(default_factory=list)
    _checked: set[Acknowledgement] = field(default_factory=set, repr=False)

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

    def acknowledge(self, entries: Iterable[tuple[str, SourceLocation]],
                    scope: tuple[str, ...] | None) -> None:
        """Record ``acknowledge:`` entries (code, where written) covering ``scope``."""
        self.acknowledgements.extend(Acknowledgement(code, scope, loc) for code, loc in entries)

    def follow_up(self) -> Diagnostics:
        """An empty collector for problems found later (while rendering) that keeps these
        acknowledgements, each entry checked once only."""
        return Diagnostics(acknowledgements=self.acknowledgements, _checked=self._checked)

    def is_acknowledged(self, diagnostic: Diagnostic) -> bool:
        """Whether an acknowledgement given so far covers ``diagnostic``."""
        return any(a.covers(diagnostic) for a in self.acknowledgements)

    def settle(self, known_codes: Callable[[], Mapping[str, frozenset[str]]]) -> None:
        """Move every acknowledged warning from ``items`` to ``acknowledged``, and report the
        entries that cannot apply: a code cxbook does not have (with the closest one), or an
        error's code (errors cannot be acknowledged). ``known_codes`` gives every code with
        the severities it is reported at; it is only called for an entry that matched no
        diagnostic. Calling ``settle`` again handles only what was added since."""
        kept: list[Diagnostic] = []
        for d in self.items:
            (self.acknowledged if self.is_acknowledged(d) else kept).append(d)
        self.items = kept
        warned = {d.code for d in self.items if d.severity is Severity.WARNING}
        warned.update(d.code for d in self.acknowledged)
        for entry in self.acknowledgements:
            if entry in self._checked:
                continue
            self._checked.add(entry)
            if any(code_covers(entry.code, code) for code in warned):
                continue
            known = {**known_codes()}
            if not known:
                continue
            for d in self.items:  # codes reported in this run count as known too
                known[d.code] = known.get(d.code, frozenset()) | {d.severity.value}
            matched = [sev for code, sev in known.items() if code_covers(entry.code, code)]
            severities = {s for sev in matched for s in sev} - {""}
            if not matched:
                families = {code.rsplit(".", n)[0] for code in known
                            for n in range(1, code.count(".") + 1)}
                hint = did_you_mean(entry.code, sorted(set(known) | families))
                self.warning(entry.location, f"acknowledged code '{entry.code}' is not a "
                             f"code cxbook reports{hint}; copy "
                             "the code shown in brackets at the end of the warning",
                             "acknowledge.unknown-code")
            elif severities == {Severity.ERROR.value}:
                self.warning(entry.location, f"'{entry.code}' is the code of an error, and "
                             "errors cannot be acknowledged: fix the problem, then remove "
                             "this entry", "acknowledge.error")

    def acknowledged_summary(self) -> str | None:
        """"3 acknowledged warnings: chapter.no-author ×3", or None when there are none."""
        if not self.acknowledged:
            return None
        counts = Counter(d.code for d in self.acknowledged)
        n = len(self.acknowledged)
        listing = ", ".join(f"{code} ×{counts[code]}" for code in sorted(counts))
        return f"{n} acknowledged warning{'s' if n != 1 else ''}: {listing}"

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
