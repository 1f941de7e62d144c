"""Where the SQL ships: inside the package when installed from a wheel, at the top of the checkout
when running from one (an editable install)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def sql_dir(name: str) -> Path:
    for candidate in (_HERE / "sql" / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ SQL files are not installed with this package")
