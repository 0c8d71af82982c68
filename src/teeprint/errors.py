"""The one exception type the CLI turns into a one-line message and a non-zero exit."""

from __future__ import annotations


class TeeprintError(Exception):
    """A user-facing error: what went wrong, where, and how to fix it, on one line.

    ``exit_code`` follows the CLI convention: 2 for bad input (unknown slug, invalid file),
    1 for a check that ran and failed (preflight errors, a failed specimen in a batch).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
