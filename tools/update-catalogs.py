"""Re-extract cxbook's labels into src/cxbook/locale/cxbook.pot and bring every shipped
catalog (src/cxbook/locale/<name>/LC_MESSAGES/cxbook.po) up to date with it.

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
    changed = update_all()
    for name in changed:
        print(f"updated {Path('src/cxbook') / name}")
    if not changed:
        print("catalogs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
