"""Helpers of the release tests (a module of its own name: every test folder has a conftest)."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.records import Annotation, Argument, Entity, Event, OntologyRef, Provenance, Trigger
from corpus.schemas import SCHEMA_VERSION

CITIES = ["الرقة", "حلب", "الموصل", "دمشق", "بغداد", "إدلب", "تكريت", "الفلوجة"]
TEMPLATE = ("كشف وزير الدفاع الأمريكي أشتون كارتر أن قوات التحالف تساعد حالياً قوات معارضة سورية قرب {city}. "
            "وقال كارتر إن القوات ستهاجم {city} خلال {n} أيام.")


def find(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def make_pair(i: int, *, events: bool = True, near_duplicate_of: str | None = None, variant: int = 0):
    city = CITIES[i % len(CITIES)]
    text = TEMPLATE.format(city=city, n=i + 2 + variant)
    doc = document_from_text(text, path=f"seeds/{i:03d}.txt", doc_id=f"doc-{i:03d}",
                             metadata={"title": f"خبر {i}", "outlet": "القدس العربي", "published": f"2016-01-{i % 28 + 1:02d}"})
    if near_duplicate_of:
        doc = msgspec.structs.replace(doc, near_duplicate_of=near_duplicate_of)
    ents = []

    def ent(eid, etype, needle, nth=0, level="NAM"):
        s, e = find(doc.text, needle, nth)
        ents.append(Entity(id=eid, type=etype, start=s, end=e, text=doc.text[s:e], level=level))

    ent("e1", "PER", "وزير الدفاع الأمريكي أشتون كارتر", level="NOM")
    ent("e2", "GPE", "الأمريكي")  # nested inside e1: dropped from BIO, kept in entities
    ent("e3", "ORG", "قوات التحالف")
    ent("e4", "GPE", city, 0)
    ent("e5", "PER", "كارتر", 1)
    ent("e6", "ORG", "القوات")
    ent("e7", "GPE", city, 1)
    if i % 3 == 0:
        ent("e8", "ORG", "وات معارضة")  # starts inside a token: widened in BIO
    evs = []
    if events:
        s, e = find(doc.text, "ستهاجم")
        evs.append(Event(id="v1", type="Conflict.Attack", trigger=Trigger(start=s, end=e, text=doc.text[s:e]),
                         arguments=[Argument(role="Attacker", entity="e6"), Argument(role="Target", entity="e7")],
                         attributes={"Tense": "FUTURE", "Polarity": "POSITIVE"}))
    ann = Annotation(schema_version=SCHEMA_VERSION, id=f"gold-{doc.id}", document_id=doc.id,
                     text_sha256=doc.text_sha256, annotator="adjudicator", status="gold",
                     ontology=OntologyRef(name="ace2005", version="1.0.0"), entities=ents, events=evs,
                     provenance=Provenance(policy="majority", annotators=["ann1", "ann2"]))
    return doc, ann


def make_corpus(root: Path, n: int = 12, *, dup_pairs=((5, 4), (9, 2)), events: bool = True, extra_docs: int = 1,
                corpus_json: dict | None = None) -> Path:
    """documents/, gold/ (and corpus.json when given) under root; doc i+n.. have no gold."""
    dups = dict(dup_pairs)
    docs, golds = [], []
    for i in range(n):
        other = dups.get(i)
        doc, ann = make_pair(i, events=events, near_duplicate_of=f"doc-{other:03d}" if other is not None else None,
                             variant=1 if other is not None else 0)
        docs.append(doc)
        golds.append(ann)
    for j in range(extra_docs):
        doc, _ = make_pair(n + j, events=events)
        docs.append(doc)
    # input order must not matter: write them shuffled, across two shards
    docs = docs[::-1]
    write_jsonl(root / "documents" / "documents-00000.jsonl", docs[: len(docs) // 2])
    write_jsonl(root / "documents" / "documents-00001.jsonl", docs[len(docs) // 2:])
    write_jsonl(root / "gold" / "gold.jsonl", golds)
    if corpus_json is not None:
        (root / "corpus.json").write_text(json.dumps(corpus_json, ensure_ascii=False), encoding="utf-8")
    return root
