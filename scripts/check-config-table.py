#!/usr/bin/env python3
"""Check that every environment variable the settings read is in the README's table.

Reads tirek/settings.py with `ast` (no Django needed): every call of env(), envbool(), envint(),
envlist() and secret() with a literal name. secret("X") also reads X_FILE. Exit 1 and name the
variables missing from README.md (or listed there but no longer read).
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = {"env", "envbool", "envint", "envlist", "secret"}


def settings_variables() -> set[str]:
    names: set[str] = set()
    tree = ast.parse((ROOT / "tirek" / "settings.py").read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
            if node.func.id == "secret":
                names.add(node.args[0].value + "_FILE")
    return names


def readme_variables() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)`", section, re.MULTILINE))


def main() -> int:
    read, documented = settings_variables(), readme_variables()
    missing, stale = sorted(read - documented), sorted(documented - read)
    for name in missing:
        print(f"README.md: {name} is read by tirek/settings.py but not in the configuration table")
    for name in stale:
        print(f"README.md: {name} is in the configuration table but settings.py no longer reads it")
    if not missing and not stale:
        print(f"README.md configuration table: all {len(read)} variables documented.")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
