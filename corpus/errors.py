"""The toolkit's exceptions: one small hierarchy, each naming what was wrong and where."""

from __future__ import annotations

__all__ = ["CorpusError", "InputError", "SchemaError", "StudioError", "ReleaseError"]


class CorpusError(Exception):
    """Base of every error the toolkit raises on purpose; the CLI prints it and exits 1."""


class InputError(CorpusError):
    """A raw input (file, line, field) cannot be read; names the place and the reason."""

    def __init__(self, where: str, reason: str, *, field: str | None = None, value: object = None):
        self.where = where
        self.reason = reason
        self.field = field
        self.value = value
        detail = f" (field {field!r}, value {value!r})" if field is not None else ""
        super().__init__(f"{where}: {reason}{detail}")

    def __reduce__(self):
        # workers of a parallel ingest send their rejects back pickled; the default would
        # call __init__ with the message alone
        return _input_error, (self.where, self.reason, self.field, self.value)


def _input_error(where: str, reason: str, field: str | None, value: object) -> InputError:
    return InputError(where, reason, field=field, value=value)


class SchemaError(CorpusError):
    """A record does not match its JSON Schema or cannot be migrated."""


class StudioError(CorpusError):
    """Label Studio could not be installed, started or reached, or refused a request."""


class ReleaseError(CorpusError):
    """A release cannot be built, verified or published."""
