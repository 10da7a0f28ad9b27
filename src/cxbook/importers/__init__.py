"""``cxbook import``: saved web pages, HTML, text, Markdown and Word documents become
chapters. The only code that writes into manuscript/.

Each source is read into an :class:`~.article.Article` (its credits and its body), written
as a chapter file ``NN-slug.md`` that continues the book's numbering, with its images in
``manuscript/images/`` and its name added to book.yaml's ``chapters:`` list. Every source
is read and every chapter checked with cxbook's own chapter reader before anything is
written; a failure writes nothing (files written before a failed write are removed and
book.yaml is put back).

The web and document libraries (trafilatura, readability-lxml, htmldate, mammoth,
markdownify) are the optional extra ``cxbook[import]``: check :func:`missing_libraries`
before importing :mod:`.run`, which needs them.
"""

from __future__ import annotations

import importlib.util

# module name -> distribution name, as pip installs it
LIBRARIES = {"trafilatura": "trafilatura", "readability": "readability-lxml",
             "htmldate": "htmldate", "mammoth": "mammoth", "markdownify": "markdownify"}


def missing_libraries() -> list[str]:
    """The distributions of the import extra that cannot be imported."""
    return [dist for module, dist in LIBRARIES.items()
            if importlib.util.find_spec(module) is None]


__all__ = ["LIBRARIES", "missing_libraries"]
