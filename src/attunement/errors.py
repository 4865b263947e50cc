"""The error hierarchy.

Every problem with what a user gave (a file, an argument) is an :class:`InputError` whose message
names the file, the line or field, what was found and what was expected, so that the command line
can print it as it is and exit 1.
"""

from __future__ import annotations

import os

__all__ = ["AttunementError", "AttunementWarning", "InputError"]


class AttunementError(Exception):
    """Base class of every error attunement raises on purpose."""


class InputError(AttunementError, ValueError):
    """A bad file or a bad argument.

    Parameters
    ----------
    message : str
        What was wrong and what was expected, e.g. ``"no speaker found; expected 'Name: words'"``.
    path : str or os.PathLike, optional
        The file the problem is in; printed first.
    line : int, optional
        1-based line (or row) number within ``path``.
    field : str, optional
        The column, key or argument the problem is in.

    Examples
    --------
    >>> str(InputError("expected a number", path="a.csv", line=3, field="start"))
    'a.csv:3: start: expected a number'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | object | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        # a path, or anything that names a file by its str() (an in-memory upload)
        self.path = None if path is None else _name(path)
        self.line = line
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.field is not None:
            where += f"{self.field}: "
        return where + self.message

    def with_path(self, path: str | os.PathLike[str]) -> InputError:
        """Return a copy that names ``path`` (used when a reader of bytes is called for a file)."""
        if self.path is not None:
            return self
        return InputError(self.message, path=path, line=self.line, field=self.field)


def _name(path: object) -> str:
    return os.fspath(path) if isinstance(path, str | os.PathLike) else str(path)


class AttunementWarning(UserWarning):
    """Something the user should know about their data (a gap, an unmapped speaker)."""
