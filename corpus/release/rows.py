"""Rows of every config, built column-wise from Document and Annotation records.

``ReleaseRows`` turns one (document, gold annotation) pair into rows of each config and
buffers them column by column; ``batch(config)`` hands back a ``pyarrow.RecordBatch``
with the config's exact Arrow schema. Building dicts per row and letting a library infer
types is what made the slow paths slow (hf-datasets.md); here every column is a plain
list appended to, then one ``pa.array`` call per column.

BIO tags are projected from character spans onto the document's tokens. A span whose ends
fall inside tokens is widened to the tokens it touches and counted as ``expanded``; a span
that touches no token (only spaces) is ``no_tokens``; a span overlapping an already tagged
token (nested or crossing mentions: BIO cannot hold them) is ``overlap_dropped``, the
earlier-starting, longer span winning; a span running over a sentence break is tagged in
each sentence and counted as ``cross_sentence``. The counts go to the manifest and card.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from itertools import chain
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Iterator

from ..records import Annotation, Document, text_sha256
from .features import json_fields, ner_labels

if TYPE_CHECKING:  # pragma: no cover
    import datasets

    from ..ontology import Ontology

__all__ = ["NerStats", "ReleaseRows", "annotation_problems", "annotation_digest", "bio_tags"]


@dataclass
class NerStats:
    entities: int = 0
    aligned: int = 0
    expanded: int = 0
    no_tokens: int = 0
    overlap_dropped: int = 0
    cross_sentence: int = 0
    tokens_outside_sentences: int = 0
    #: a few examples per kind, "doc id: entity id [start, end)"
    examples: dict[str, list[str]] = field(default_factory=dict)

    def note(self, kind: str, example: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        ex = self.examples.setdefault(kind, [])
        if len(ex) < 5:
            ex.append(example)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["examples"] = {k: v for k, v in sorted(self.examples.items())}
        return d


def annotation_problems(doc: Document, ann: Annotation, ontology: "Ontology") -> Iterator[tuple[str, str, object]]:
    """Every reason the gold ``ann`` cannot be released with ``doc``: ``(json_path, message, value)``."""
    if ann.text_sha256 != doc.text_sha256:
        yield ("$.text_sha256", f"does not match the text of document {doc.id!r} ({doc.text_sha256}): the annotation "
               f"was made on another text; re-anchor it (`corpus validate --reanchor`) and review", ann.text_sha256)
    n = len(doc.text)
    entity_types, levels, event_types, allowed_attrs, roles_of = _checks(ontology)
    ids: dict[str, str] = {}
    for i, e in enumerate(ann.entities):
        p = f"$.entities[{i}]"
        if e.id in ids:
            yield f"{p}.id", "duplicate entity id", e.id
        ids[e.id] = e.type
        if e.type not in entity_types:
            yield f"{p}.type", f"unknown entity type; allowed: {', '.join(ontology.entity_types)}", e.type
        if e.level is not None and levels and e.level not in levels:
            yield f"{p}.level", f"unknown mention level; allowed: {', '.join(sorted(levels))}", e.level
        if not 0 <= e.start < e.end <= n:
            yield f"{p}.start", f"span [{e.start}, {e.end}) is not inside the text (length {n})", [e.start, e.end]
        elif doc.text[e.start:e.end] != e.text:
            yield f"{p}.text", f"does not match the text at [{e.start}, {e.end}): {doc.text[e.start:e.end]!r}", e.text
    for i, ev in enumerate(ann.events):
        p = f"$.events[{i}]"
        if ev.type not in event_types:
            allowed = ", ".join(ontology.event_types) or "none (the ontology has no event types)"
            yield f"{p}.type", f"unknown event type; allowed: {allowed}", ev.type
        t = ev.trigger
        if not 0 <= t.start < t.end <= n:
            yield f"{p}.trigger.start", f"span [{t.start}, {t.end}) is not inside the text (length {n})", [t.start, t.end]
        elif doc.text[t.start:t.end] != t.text:
            yield f"{p}.trigger.text", f"does not match the text at [{t.start}, {t.end}): {doc.text[t.start:t.end]!r}", t.text
        roles = roles_of.get(ev.type) or ontology.roles_of(ev.type)
        for j, a in enumerate(ev.arguments):
            if ev.type in event_types and a.role not in roles:
                yield f"{p}.arguments[{j}].role", f"unknown role for {ev.type}; allowed: {', '.join(roles)}", a.role
            if a.entity not in ids:
                yield f"{p}.arguments[{j}].entity", "no entity with this id in the annotation", a.entity
        for name, value in (ev.attributes or {}).items():
            if name not in allowed_attrs:
                yield f"{p}.attributes.{name}", f"unknown attribute; allowed: {', '.join(allowed_attrs) or 'none'}", name
            elif value not in allowed_attrs[name]:
                yield f"{p}.attributes.{name}", f"unknown value; allowed: {', '.join(allowed_attrs[name])}", value


_CHECKS: dict[int, tuple] = {}


def _checks(ontology: "Ontology") -> tuple:
    """The ontology's label sets, made once per ontology rather than once per document."""
    hit = _CHECKS.get(id(ontology))
    if hit is None or hit[0] is not ontology:
        sets = (set(ontology.entity_types), set(ontology.mention_levels), set(ontology.event_types),
                {x["name"]: x["values"] for x in ontology.event_attributes},
                {t: ontology.roles_of(t) for t in ontology.event_types})
        hit = _CHECKS[id(ontology)] = (ontology, sets)
    return hit[1]


def bio_tags(
    doc: Document, ann: Annotation | None, label_index: dict[str, int], stats: NerStats,
    starts: list[int] | None = None, ends: list[int] | None = None,
) -> list[int]:
    """One BIO tag id per token of ``doc`` (``O`` is 0), from the entity spans of ``ann``
    (``starts``/``ends``: the tokens' offsets, when the caller has them already)."""
    tokens = doc.tokens
    tags = [0] * len(tokens)
    if ann is None or not ann.entities:
        return tags
    if starts is None:
        starts = [s for s, _ in tokens]
        ends = [e for _, e in tokens]
    sent_of = None
    # earlier start first, then the longer span: the outer mention wins over nested ones
    for e in sorted(ann.entities, key=lambda x: (x.start, -(x.end - x.start), x.id)):
        stats.entities += 1
        first = bisect_right(ends, e.start)  # first token ending after the span starts
        last = bisect_left(starts, e.end) - 1  # last token starting before the span ends
        if first > last:
            stats.note("no_tokens", f"{doc.id}: {e.id} [{e.start}, {e.end})")
            continue
        if any(tags[first:last + 1]):
            stats.note("overlap_dropped", f"{doc.id}: {e.id} [{e.start}, {e.end})")
            continue
        if starts[first] == e.start and ends[last] == e.end:
            stats.aligned += 1
        else:
            stats.note("expanded", f"{doc.id}: {e.id} [{e.start}, {e.end})")
        if sent_of is None:
            sent_of = _sentence_of(doc, starts)
        if sent_of[first] != sent_of[last]:
            stats.note("cross_sentence", f"{doc.id}: {e.id} [{e.start}, {e.end})")
        b, i = label_index[f"B-{e.type}"], label_index[f"I-{e.type}"]
        for k in range(first, last + 1):
            tags[k] = b if k == first or sent_of[k] != sent_of[k - 1] else i
    return tags


def _sentence_of(doc: Document, starts: list[int]) -> list[int]:
    """The sentence of each token: the last sentence starting at or before it (-1: none)."""
    import numpy as np

    sent_starts = np.fromiter((s for s, _ in doc.sentences), dtype=np.int64, count=len(doc.sentences))
    return (np.searchsorted(sent_starts, np.asarray(starts, dtype=np.int64), side="right") - 1).tolist()


def _spans_array(rows: list, typ):
    """``list<struct<start, end>>`` from rows of ``[[start, end], ...]``, without a dict per span:
    the offsets flattened in C (itertools.chain into numpy), then one struct of two arrays."""
    import numpy as np
    import pyarrow as pa

    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(rows)), dtype=np.int64)
    if flat.size != 2 * total:  # a span that is not [start, end]: let pyarrow say which
        return pa.array([[{"start": a, "end": b} for a, b in r] for r in rows], type=typ)
    pairs = flat.reshape(-1, 2)
    item = typ.value_type
    values = pa.StructArray.from_arrays([pa.array(pairs[:, 0]), pa.array(pairs[:, 1])], fields=list(item))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, type=typ)


class _Columns:
    """Column lists of one config, appended to row by row, turned into one RecordBatch."""

    def __init__(self, schema, spans: tuple[str, ...] = ()):
        self.schema = schema
        #: columns appended to as rows of [start, end] pairs (see ``_spans_array``)
        self.spans = set(spans)
        self.names = schema.names
        self.cols: dict[str, list] = {n: [] for n in self.names}
        self.rows = 0

    def add(self, *values) -> None:
        for name, value in zip(self.names, values, strict=True):
            self.cols[name].append(value)
        self.rows += 1

    def take(self):
        import pyarrow as pa

        arrays = [_spans_array(self.cols[f.name], f.type) if f.name in self.spans else pa.array(self.cols[f.name], type=f.type)
                  for f in self.schema]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self.cols = {n: [] for n in self.names}
        self.rows = 0
        return batch


class ReleaseRows:
    """Buffers the rows of every config for one split; ``add(doc, gold)`` then ``batch(config)``."""

    def __init__(self, features: dict[str, "datasets.Features"], ontology: "Ontology", schemas: dict):
        self.features = features
        self.ontology = ontology
        self.columns = {name: _Columns(schemas[name], ("sentences", "tokens") if name == "documents" else ())
                        for name in features}
        self.stats = NerStats()
        self.entity_index = {t: i for i, t in enumerate(ontology.entity_types)}
        self.event_index = {t: i for i, t in enumerate(ontology.event_types)}
        self.role_index = {t: i for i, t in enumerate(ontology.roles)}
        self.label_index = {t: i for i, t in enumerate(ner_labels(ontology))}
        self.attributes = [a["name"] for a in ontology.event_attributes]
        names = ("metadata", "source", "normalization")
        self._struct_fields = {n: list(features["documents"][n]) for n in names}
        self._json_fields = {n: json_fields(n) for n in names}

    def add(self, doc: Document, gold: Annotation | None) -> None:
        self._document(doc)
        if gold is not None:
            self._entities(doc, gold)
            if "events" in self.columns:
                self._events(doc, gold)
        self._ner(doc, gold)

    def rows(self, config: str) -> int:
        return self.columns[config].rows

    def batch(self, config: str):
        return self.columns[config].take()

    def _struct(self, name: str, record) -> dict:
        out = {}
        for field in self._struct_fields[name]:
            value = getattr(record, field, None)
            if field in self._json_fields[name]:
                value = json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None
            out[field] = value
        return out

    def _document(self, doc: Document) -> None:
        self.columns["documents"].add(
            doc.id, doc.text, doc.language,
            self._struct("metadata", doc.metadata),
            self._struct("source", doc.source),
            self._struct("normalization", doc.normalization),
            doc.near_duplicate_of,
            doc.sentences,
            doc.tokens,
            doc.schema_version,
        )

    def _entities(self, doc: Document, gold: Annotation) -> None:
        cols = self.columns["entities"]
        for e in sorted(gold.entities, key=lambda x: (x.start, x.end, x.id)):
            cols.add(doc.id, e.id, self.entity_index[e.type], e.level, e.start, e.end, e.text)

    def _events(self, doc: Document, gold: Annotation) -> None:
        cols = self.columns["events"]
        entities = {e.id: e for e in gold.entities}
        for ev in sorted(gold.events, key=lambda x: (x.trigger.start, x.trigger.end, x.id)):
            args = []
            for a in ev.arguments:
                f = entities[a.entity]
                args.append({
                    "role": self.role_index[a.role], "entity_id": f.id, "entity_type": self.entity_index[f.type],
                    "start": f.start, "end": f.end, "text": f.text,
                })
            values = [doc.id, ev.id, self.event_index[ev.type],
                      {"start": ev.trigger.start, "end": ev.trigger.end, "text": ev.trigger.text}, args]
            if self.attributes:
                attrs = ev.attributes or {}
                values.append({name: attrs.get(name) for name in self.attributes})
            cols.add(*values)

    def _ner(self, doc: Document, gold: Annotation | None) -> None:
        cols = self.columns["ner"]
        starts = [s for s, _ in doc.tokens]
        ends = [e for _, e in doc.tokens]
        tags = bio_tags(doc, gold, self.label_index, self.stats, starts, ends)
        words = list(map(doc.text.__getitem__, map(slice, starts, ends)))
        covered = 0
        for k, (s, e) in enumerate(doc.sentences):
            lo, hi = bisect_left(starts, s), bisect_left(starts, e)
            covered += hi - lo
            cols.add(f"{doc.id}:{k:04d}", doc.id, k, s, e, words[lo:hi], starts[lo:hi], ends[lo:hi], tags[lo:hi])
        if covered != len(doc.tokens):
            self.stats.tokens_outside_sentences += len(doc.tokens) - covered


def annotation_digest(ann: Annotation | None) -> str | None:
    """sha256 of what a release shows of an annotation (entities and events), for the changelog."""
    if ann is None:
        return None
    import msgspec

    payload = msgspec.json.encode({"entities": ann.entities, "events": ann.events})
    return text_sha256(payload.decode("utf-8"))

