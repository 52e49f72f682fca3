"""Exceptions raised by the model when it is given something it cannot use.

Every refusal the command line prints comes from one of these, so that a user sees one
line naming the file, the field and the fix instead of a traceback.
"""

from __future__ import annotations

__all__ = ["InvalidInput", "InvalidConfiguration", "InvalidScenario"]


class InvalidInput(ValueError):
    """Base class for input the model refuses.

    Parameters
    ----------
    message:
        What is wrong and how to fix it, as one sentence.
    source:
        The file (or other origin) the value came from, if known.
    field:
        The field, by its user-facing name, if the problem is in one field.
    """

    def __init__(
        self, message: str, *, source: str | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.source = source
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The refusal as a single line: ``file: field: message``."""
        parts = [part for part in (self.source, self.field) if part]
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return " ".join(text.split())

    def located(self, source: str) -> InvalidInput:
        """The same refusal, now naming the file it came from."""
        return type(self)(self.message, source=source, field=self.field)


class InvalidConfiguration(InvalidInput):
    """An event source mapping setting outside what Lambda accepts."""


class InvalidScenario(InvalidInput):
    """A scenario description (shard, failures, handler) the model cannot run."""
