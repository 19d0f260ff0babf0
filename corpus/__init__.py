"""corpus: turn raw news text into a versioned, annotated, releasable dataset.

The public API is small; each stage has its module (``corpus.ingest``,
``corpus.studio``, ``corpus.validate``, ``corpus.agree``, ``corpus.adjudicate``,
``corpus.release``, ``corpus.importers``) and the ``corpus`` command calls them.
"""

from .errors import CorpusError, InputError, ReleaseError, SchemaError, StudioError
from .records import Annotation, Document, from_raw, to_raw
from .schemas import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION", "Annotation", "Document", "to_raw", "from_raw",
    "CorpusError", "InputError", "SchemaError", "StudioError", "ReleaseError",
]
