"""Records and options shared by the importers (kept apart so that importers and the
driver can import them without a cycle)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

import msgspec

from ..records import Annotation, Document

__all__ = ["IMPORT_STATUS", "IMPORT_POLICY", "Issue", "Imported", "ImportOptions", "Importer", "IMPORTERS", "register", "display_path", "TYPE_NAME"]

# Annotations read from a file are released as gold by `corpus release --corpus DIR`:
# one constant, so that the release side and this side are changed together.
IMPORT_STATUS = "imported"
IMPORT_POLICY = "imported"

# an entity type name the ontology schema accepts (schema/1.0.0/ontology.schema.json)
TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class Issue(msgspec.Struct, kw_only=True, omit_defaults=True, frozen=True):
    """Something an importer did not take as it was, and why.

    ``kind`` is ``repair`` (read by a documented convention and kept, e.g. a conlleval
    I- tag), ``reject`` (not imported; the raw input is kept in ``raw``) or ``warning``
    (imported as is, but worth a look: an unmapped label).
    """

    kind: str
    path: str
    reason: str
    line: Optional[int] = None
    task: Optional[Union[int, str]] = None
    region: Optional[str] = None
    document: Optional[str] = None
    field: Optional[str] = None
    value: Any = None
    raw: Any = None

    @property
    def where(self) -> str:
        out = f"{self.path}:{self.line}" if self.line is not None else self.path
        if self.task is not None:
            out += f" task {self.task}"
        if self.region is not None:
            out += f" region {self.region}"
        return out

    def __str__(self) -> str:
        detail = ""
        if self.field is not None:
            detail = f" (field {self.field!r}, value {self.value!r})"
        elif self.value is not None:
            detail = f" (value {self.value!r})"
        return f"{self.where}: {self.kind}: {self.reason}{detail}"


class Imported(msgspec.Struct, kw_only=True, frozen=True):
    """One document read from a file, with the annotations of it that the file held."""

    document: Document
    annotations: list[Annotation] = []


@dataclass(frozen=True)
class ImportOptions:
    """Options of every importer; an importer ignores those that do not concern it.

    ``allowed_labels`` is None when the ontology is generated from the labels seen;
    otherwise labels outside it are rejected and ``labels_from`` says where the allowed
    set came from (for messages).
    """

    ontology_ref: dict = field(default_factory=lambda: {"name": "imported", "version": "1.0.0"})
    language: str = "ar"
    level: Optional[str] = None
    ontology_data: Optional[dict] = None  # the --ontology given, as loaded
    allowed_labels: Optional[frozenset[str]] = None
    labels_from: Optional[str] = None
    # CoNLL
    scheme: str = "bio"
    doc_sentences: Optional[int] = None
    doc_boundary: str = r"^-DOCSTART-$"
    encoding: Optional[str] = None
    # Label Studio
    text_field: Optional[str] = None
    annotator: str = "import"


Importer = Callable[[Path, ImportOptions], Iterator[Union[Imported, Issue]]]
IMPORTERS: dict[str, Importer] = {}


def register(name: str) -> Callable[[Importer], Importer]:
    """Add an importer to ``IMPORTERS`` under a format name (``--format NAME``)."""

    def deco(fn: Importer) -> Importer:
        IMPORTERS[name] = fn
        return fn

    return deco


def display_path(path: Path) -> str:
    """The path as recorded in documents and messages: parent folder and file name.

    Not the absolute path, so that the same file imported on two machines gives the
    same bytes; the folder is kept because corpora are often named by it.
    """
    path = Path(path)
    parent = path.resolve().parent.name
    return f"{parent}/{path.name}" if parent else path.name
