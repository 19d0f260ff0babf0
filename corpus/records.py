"""Typed records that cross stage boundaries, mirroring schema/ (version 1.0.0).

msgspec structs: decoding a JSON line into one of these checks its types in C, and
encoding is deterministic (field order, no timestamps added).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
import re
from typing import Literal, Optional

import msgspec

from .offsets import OffsetMap

__all__ = [
    "Source", "Metadata", "Normalization", "Extraction", "Removed", "Document",
    "Entity", "Trigger", "Argument", "Event", "OntologyRef", "Origin", "Provenance", "Annotation",
    "DOC_ID", "recency", "encode", "decode_document", "decode_annotation", "to_raw", "from_raw", "text_sha256", "to_dict",
]


#: what a document id may be (schema/1.0.0/document.schema.json, $.properties.id.pattern)
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class _Record(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True, kw_only=True):
    pass


class Source(_Record, frozen=True):
    path: str
    sha256: str
    encoding: str
    format: str
    url: Optional[str] = None
    compression: Optional[str] = None
    line: Optional[int] = None
    field: Optional[str] = None


class Metadata(_Record, frozen=True):
    title: Optional[str] = None
    url: Optional[str] = None
    published: Optional[str] = None
    author: Optional[str] = None
    outlet: Optional[str] = None
    extra: dict = {}


class Normalization(_Record, frozen=True):
    profile: str
    version: str
    options: dict = {}


class Extraction(_Record, frozen=True):
    method: str
    version: str


class Removed(_Record, frozen=True):
    start: int
    end: int
    reason: str
    text: str = ""


class Document(_Record, frozen=True):
    schema_version: str
    id: str
    text: str
    language: str
    source: Source
    normalization: Normalization
    raw_length: int
    edits: list[tuple[int, int, int, int]]
    removed: list[Removed]
    sentences: list[tuple[int, int]]
    tokens: list[tuple[int, int]]
    metadata: Metadata = Metadata()
    extraction: Optional[Extraction] = None
    near_duplicate_of: Optional[str] = None
    duplicates: list[str] = []

    @property
    def offset_map(self) -> OffsetMap:
        """The map from the decoded raw source to ``text``."""
        return OffsetMap(self.edits, self.raw_length, len(self.text))

    @property
    def text_sha256(self) -> str:
        return text_sha256(self.text)


class Entity(_Record, frozen=True):
    id: str
    type: str
    start: int
    end: int
    text: str
    level: Optional[Literal["NAM", "NOM", "PRO"]] = None
    agreed_by: Optional[list[str]] = None


class Trigger(_Record, frozen=True):
    start: int
    end: int
    text: str


class Argument(_Record, frozen=True):
    role: str
    entity: str
    agreed_by: Optional[list[str]] = None


class Event(_Record, frozen=True):
    id: str
    type: str
    trigger: Trigger
    arguments: list[Argument]  # required (no default): always written, even when empty
    attributes: Optional[dict[str, str]] = None
    agreed_by: Optional[list[str]] = None


class OntologyRef(_Record, frozen=True):
    name: str
    version: str


class Origin(_Record, frozen=True):
    kind: str
    project: Optional[int] = None
    task: Optional[int] = None
    annotation: Optional[int] = None
    path: Optional[str] = None
    line: Optional[int] = None
    model_version: Optional[str] = None


class Provenance(_Record, frozen=True):
    policy: str
    annotators: list[str] = []
    annotations: list[str] = []


class Annotation(_Record, frozen=True):
    schema_version: str
    id: str
    document_id: str
    text_sha256: str
    annotator: str
    status: Literal["submitted", "cancelled", "gold", "prediction", "imported"]
    ontology: OntologyRef
    entities: list[Entity]  # required (no default): always written, even when empty
    events: list[Event]
    ground_truth: bool = False
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    lead_time: Optional[float] = None
    origin: Optional[Origin] = None
    provenance: Optional[Provenance] = None
    notes: Optional[str] = None


_encoder = msgspec.json.Encoder()
_doc_decoder = msgspec.json.Decoder(Document)
_ann_decoder = msgspec.json.Decoder(Annotation)


def encode(record: msgspec.Struct) -> bytes:
    """One JSON line (without the newline), keys in schema order."""
    return _encoder.encode(record)


def decode_document(line: bytes | str) -> Document:
    return _doc_decoder.decode(line)


def decode_annotation(line: bytes | str) -> Annotation:
    return _ann_decoder.decode(line)


def to_dict(record: msgspec.Struct) -> dict:
    """The record as the JSON object the schema describes (for jsonschema checks)."""
    return msgspec.to_builtins(record)


def recency(ann: "Annotation") -> tuple:
    """Sort key of an annotation by when it was last changed (then id): timestamps are
    parsed, so 'Z' and '+00:00' or another precision compare right; undated first."""
    stamp = ann.updated_at or ann.created_at
    when = None
    if stamp:
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
        except ValueError:
            when = None
    return (when is not None, when or datetime.min.replace(tzinfo=timezone.utc), ann.id)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_raw(doc: Document, start: int, end: int) -> tuple[int, int]:
    """The span of the decoded raw source that became ``doc.text[start:end]``."""
    return doc.offset_map.to_src(start, end)


def from_raw(doc: Document, start: int, end: int) -> tuple[int, int]:
    """The span of ``doc.text`` that the raw span ``[start, end)`` became."""
    return doc.offset_map.to_dst(start, end)
