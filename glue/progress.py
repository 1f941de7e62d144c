"""A long command's progress: one line on a terminal (stderr), rewritten in place; nothing when
stderr is not a terminal (a log, a pipe, CI)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_line() -> Iterator[Callable[[str], None]]:
    """Yields show(text); once the work is done, the line is ended if anything was shown."""
    shown = False

    def show(text: str) -> None:
        nonlocal shown
        if sys.stderr.isatty():
            print(f"\r{text}...", end="", file=sys.stderr, flush=True)
            shown = True

    yield show
    if shown:
        print(file=sys.stderr)
