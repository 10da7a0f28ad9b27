"""Readers: the only input-side I/O. Parsers take (text, path) and never open files."""

from .project import check_project, read_project

__all__ = ["check_project", "read_project"]
