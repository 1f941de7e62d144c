"""Where the SQL and the JS client ship: inside the package when installed from a wheel, at the top of the
checkout when running from one (an editable install)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def sql_dir(name: str) -> Path:
    for candidate in (_HERE / "sql" / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ SQL files are not installed with this package")


def client_dir() -> Path:
    """The JS client's ES modules (clients/js/src), which the dev console serves to the page."""
    for candidate in (_HERE / "console" / "client", _HERE.parent / "clients" / "js" / "src"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the JS client (clients/js/src) is not installed with this package")


def standin_sql(name: str) -> str:
    return (_HERE / "standin" / name).read_text()
