"""Re-extract cxbook's labels into src/cxbook/locale/cxbook.pot, bring every shipped
catalog (src/cxbook/locale/<name>/LC_MESSAGES/cxbook.po) up to date with it, and rewrite
the table of labels in docs/FORMAT.md.

    .venv/bin/python tools/update-catalogs.py [NEW-LOCALE …]

A new locale (a Babel name such as ``fi`` or ``pt_PT``) gets a catalog to translate. New
messages appear untranslated, changed ones are marked fuzzy: translate them, remove the
fuzzy marks, and run the tests (tests/test_i18n.py checks that every catalog is complete).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cxbook.catalogs import PACKAGE, update_all


def main(argv: list[str]) -> int:
    for name in argv:
        (PACKAGE / "locale" / name / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    docs = Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md"
    for name in update_all(docs=docs):
        print(f"updated {'docs/FORMAT.md' if name == str(docs) else Path('src/cxbook') / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
