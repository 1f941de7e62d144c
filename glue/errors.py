"""The one kind of failure the operator acts on: a setting, a database or a folder that is not
right. The command line prints it in one line and exits non-zero; the HTTP API never raises it
to a client (its errors are glue.api.errors)."""

from __future__ import annotations


class OperatorError(RuntimeError):
    pass
