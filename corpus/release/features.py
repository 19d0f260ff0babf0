"""One ``datasets.Features`` per release config, derived from schema/ and the ontology.

The same object gives the Arrow schema of the Parquet files (``features.arrow_schema``,
which carries the ``huggingface`` metadata) and the card's ``dataset_info`` (via
``features_yaml``), so the labels a user loads can never disagree between the two
(see /work/shared/docs/hf-datasets.md: the README silently wins over the files).

Label sets (entity types, event types, roles, BIO tags) come from the ontology only;
nothing here names a type. Appending a type to the ontology appends a label, so earlier
label ids keep their meaning (what the changelog calls an additive change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..schemas import SCHEMA_VERSION, load_schema

if TYPE_CHECKING:  # pragma: no cover
    import datasets

    from ..ontology import Ontology

__all__ = ["CONFIGS", "ConfigSpec", "ner_labels", "config_features", "features_yaml", "features_from_yaml"]

#: Every config a release may have, in card order. ``events`` is left out when the
#: ontology declares no event types (an imported NER corpus, say).
CONFIGS = ("documents", "entities", "events", "ner")


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    description: str
    #: what one row is, for the card and the datasheet
    row: str


SPECS = {
    "documents": ConfigSpec("documents", "Normalized document text with metadata, source, and sentence and token offsets.", "document"),
    "entities": ConfigSpec("entities", "Entity and value mentions: character offsets into the document text, type and mention level.", "entity mention"),
    "events": ConfigSpec("events", "Event mentions: type, trigger span, attributes and arguments with role and filler span.", "event mention"),
    "ner": ConfigSpec("ner", "Sentence-level tokens with BIO tags over the entity types, ready for token classification.", "sentence"),
}


def ner_labels(ontology: "Ontology") -> list[str]:
    """``O`` then ``B-T``, ``I-T`` for each entity type T in ontology order."""
    labels = ["O"]
    for t in ontology.entity_types:
        labels += [f"B-{t}", f"I-{t}"]
    return labels


def config_features(ontology: "Ontology") -> dict[str, "datasets.Features"]:
    """The Features of every config this ontology gives, in ``CONFIGS`` order."""
    from datasets import ClassLabel, Features, List, Value

    string, int64 = Value("string"), Value("int64")
    span = {"start": int64, "end": int64}
    entity_type = ClassLabel(names=ontology.entity_types)
    out: dict[str, Features] = {}
    doc_props = load_schema("document")["properties"]
    out["documents"] = Features({
        "id": string,
        "text": string,
        "language": string,
        # the nested objects of a Document, field by field as schema/ declares them
        "metadata": document_struct("metadata", doc_props),
        "source": document_struct("source", doc_props),
        "normalization": document_struct("normalization", doc_props),
        "near_duplicate_of": string,
        "sentences": List(dict(span)),
        "tokens": List(dict(span)),
        "schema_version": string,
    })
    out["entities"] = Features({
        "document_id": string,
        "id": string,
        "type": entity_type,
        "level": string,
        "start": int64,
        "end": int64,
        "text": string,
    })
    if ontology.event_types:
        event = {
            "document_id": string,
            "id": string,
            "type": ClassLabel(names=ontology.event_types),
            "trigger": {"start": int64, "end": int64, "text": string},
            "arguments": List({
                "role": ClassLabel(names=ontology.roles),
                "entity_id": string,
                "entity_type": entity_type,
                "start": int64,
                "end": int64,
                "text": string,
            }),
        }
        attributes = [a["name"] for a in ontology.event_attributes]
        if attributes:  # Arrow has no struct without fields
            event["attributes"] = {name: string for name in attributes}
        out["events"] = Features(event)
    out["ner"] = Features({
        "id": string,
        "document_id": string,
        "sentence_index": int64,
        "start": int64,
        "end": int64,
        "tokens": List(string),
        "token_starts": List(int64),
        "token_ends": List(int64),
        "ner_tags": List(ClassLabel(names=ner_labels(ontology))),
    })
    return out


def _json_type(prop: dict) -> str:
    if "enum" in prop:
        kinds = {type(v).__name__ for v in prop["enum"] if v is not None}
        return "integer" if kinds == {"int"} else "string"
    t = prop.get("type", "string")
    kinds = [x for x in (t if isinstance(t, list) else [t]) if x != "null"]
    return kinds[0] if len(kinds) == 1 else "string"


def document_struct(name: str, doc_props: dict) -> dict:
    """A struct of Values for the Document's object property ``name``: strings and integers
    as they are, nested objects (free-form ``extra``, normalization ``options``) as one JSON
    string, since their keys differ from one source to the next."""
    from datasets import Value

    props = doc_props[name]["properties"]
    kinds = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool", "object": "string"}
    out = {}
    for field, prop in props.items():
        kind = _json_type(prop)
        if kind not in kinds:  # pragma: no cover - schema/1.0.0 has no arrays inside these objects
            raise ValueError(f"document schema: $.{name}.{field} of type {kind!r} has no column type")
        out[field] = Value(kinds[kind])
    return out


def json_fields(name: str) -> set[str]:
    """Fields of a Document object property stored as JSON strings (objects in the schema)."""
    props = load_schema("document")["properties"][name]["properties"]
    return {f for f, p in props.items() if _json_type(p) == "object"}


def features_yaml(features: "datasets.Features") -> list:
    """The card's ``dataset_info.features`` list, as ``datasets`` itself writes it."""
    return features._to_yaml_list()


def features_from_yaml(items: list) -> "datasets.Features":
    from datasets import Features

    return Features._from_yaml_list(items)


def arrow_schema(features: "datasets.Features", *, config: str, version: str):
    """The Parquet schema: the Features' Arrow schema plus which release and schema version."""
    import json

    schema = features.arrow_schema
    meta = dict(schema.metadata or {})
    meta[b"corpus"] = json.dumps(
        {"config": config, "release": version, "schema_version": SCHEMA_VERSION}, sort_keys=True
    ).encode()
    return schema.with_metadata(meta)
