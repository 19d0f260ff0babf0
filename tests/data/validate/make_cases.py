"""Writes the validation fixture cases: CASE.jsonl (one document, then annotations).

Run from the repository root: ``python tests/data/validate/make_cases.py``. Each case's
exact expected messages are in CASE.expected (a first line ``# options: --strict-tokens``
passes that option), reviewed line by line by a person; ``tests/test_validate.py``
compares them exactly. This script rewrites only the .jsonl files; it is kept so the
records can be regenerated after a schema change, and the .expected files then re-checked.

The text is a sentence of the seed article (see seeds/); its tokens (words and punctuation
marks, by a regex) are written into the fixture, so the cases do not change when the
ingest tokenizer does.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

TEXT = "وقال كارتر ان قوات التحالف استهدفت 35 من قادة تنظيم «الدولة» في الموصل."


def _tokens(text: str) -> list[list[int]]:
    import re

    return [[m.start(), m.end()] for m in re.finditer(r"\w+|[^\w\s]", text)]


SHA = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()

DOC = {
    "schema_version": "1.0.0",
    "id": "doc-1",
    "text": TEXT,
    "language": "ar",
    "source": {"path": "seeds/000.txt", "sha256": "0" * 64, "encoding": "utf-8", "format": "txt"},
    "normalization": {"profile": "arabic-news", "version": "1.0.0"},
    "raw_length": len(TEXT),
    "edits": [],
    "removed": [],
    "sentences": [[0, len(TEXT)]],
    "tokens": _tokens(TEXT),
}


def span(s: str, occurrence: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(s, start + 1)
    return start, start + len(s), s


def entity(eid: str, etype: str, s: str, **extra) -> dict:
    a, b, t = span(s)
    return {"id": eid, "type": etype, "start": a, "end": b, "text": t, **extra}


ENTITIES = [
    entity("e1", "PER", "كارتر", level="NAM"),
    entity("e2", "ORG", "قوات التحالف", level="NOM"),
    entity("e3", "PER", "35 من قادة تنظيم «الدولة»"),
    entity("e4", "GPE", "الموصل", level="NAM"),
]
_t = span("استهدفت")
EVENT = {
    "id": "v1", "type": "Conflict.Attack",
    "trigger": {"start": _t[0], "end": _t[1], "text": _t[2]},
    "arguments": [{"role": "Attacker", "entity": "e2"}, {"role": "Target", "entity": "e3"}, {"role": "Place", "entity": "e4"}],
}


def annotation(aid: str = "ann-1", annotator: str = "amal", **changes) -> dict:
    rec = {
        "schema_version": "1.0.0", "id": aid, "document_id": "doc-1", "text_sha256": SHA,
        "annotator": annotator, "status": "submitted", "ontology": {"name": "ace2005", "version": "1.0.0"},
        "entities": copy.deepcopy(ENTITIES), "events": [copy.deepcopy(EVENT)],
    }
    rec.update(changes)
    return rec


def edited(fn, **kw) -> dict:
    rec = annotation(**kw)
    fn(rec)
    return rec


def _set(path: str, value):
    def fn(rec):
        obj = rec
        keys = path.split(".")
        for k in keys[:-1]:
            obj = obj[int(k)] if k.isdigit() else obj[k]
        last = keys[-1]
        if last.isdigit():
            obj[int(last)] = value
        else:
            obj[last] = value
    return fn


def _many(*fns):
    def fn(rec):
        for f in fns:
            f(rec)
    return fn


def _del(path: str):
    def fn(rec):
        *head, last = path.split(".")
        obj = rec
        for k in head:
            obj = obj[int(k)] if k.isdigit() else obj[k]
        del obj[last]
    return fn


_ws = TEXT.index(" ")
_half = span("كارتر")
CASES: dict[str, list] = {
    "valid": [DOC, annotation()],
    "json": [DOC, '{"id": "ann-1", "document_id": '],
    "unknown-record": [DOC, {"id": "x-1", "label": "PER"}],
    "schema-missing-field": [DOC, edited(_del("events"))],
    "schema-bad-type": [DOC, edited(_many(_set("entities.0.start", "12"), _set("status", "done")))],
    "document-schema": [{**DOC, "id": "bad id!", "raw_length": -1}],
    "duplicate-document": [DOC, DOC],
    "token-out-of-range": [{**DOC, "tokens": _tokens(TEXT)[:-1] + [[len(TEXT) - 1, len(TEXT) + 5]]}],
    "duplicate-annotation": [DOC, annotation(), annotation(annotator="badr")],
    "document-not-found": [DOC, annotation(document_id="doc-9")],
    "stale-text": [DOC, annotation(text_sha256="a" * 64)],
    "ontology-mismatch": [DOC, annotation(ontology={"name": "ace2005", "version": "0.9.0"})],
    "offset-out-of-range": [DOC, edited(_many(_set("entities.3.end", len(TEXT) + 20)))],
    "offset-reversed": [DOC, edited(_many(_set("entities.0.start", _half[1]), _set("entities.0.end", _half[0])))],
    "span-text-mismatch": [DOC, edited(_many(_set("entities.0.start", _half[0] + 3), _set("entities.0.end", _half[1] + 3)))],
    "token-boundary": [DOC, edited(_set("entities.1", entity("e2", "ORG", "وات التحالف")))],
    "token-boundary-strict": [DOC, edited(_set("entities.1", entity("e2", "ORG", "وات التحالف")))],
    # a proclitic (و) cut off inside a token is what the guidelines ask: no problem
    "clitic-boundary": [DOC, edited(_set("entities.0", entity("e1", "PER", "قال كارتر")))],
    "empty-span": [DOC, edited(_set("entities.0", {"id": "e1", "type": "PER", "start": 5, "end": 5, "text": ""}))],
    "empty-trigger": [DOC, edited(_set("events.0.trigger", {"start": _t[0], "end": _t[0], "text": ""})),
                      edited(_set("events.0.trigger", {"start": _ws, "end": _ws + 1, "text": " "}), aid="ann-2", annotator="badr")],
    "duplicate-span": [DOC, edited(lambda r: (r["entities"].append(entity("e5", "PER", "كارتر")),
                                              r["events"].append({**copy.deepcopy(EVENT), "id": "v2"})))],
    "duplicate-id": [DOC, edited(lambda r: (r["entities"].append(entity("e1", "ORG", "التحالف")),
                                            r["events"].append({**copy.deepcopy(EVENT), "type": "Contact.Meet", "arguments": []})))],
    "duplicate-argument": [DOC, edited(lambda r: r["events"][0]["arguments"].append({"role": "Place", "entity": "e4"}))],
    "unknown-entity-type": [DOC, edited(_set("entities.1.type", "ORGANIZATION"))],
    "unknown-event-type": [DOC, edited(_set("events.0.type", "Conflict.Atack"))],
    "unknown-role": [DOC, edited(_set("events.0.arguments.0.role", "Atacker"))],
    "role-not-allowed": [DOC, edited(_set("events.0.arguments.1.role", "Victim"))],
    "filler-not-allowed": [DOC, edited(_set("events.0.arguments.2.entity", "e1"))],
    "dangling-argument": [DOC, edited(_set("events.0.arguments.1.entity", "e7"))],
    "unknown-attribute": [DOC, edited(_set("events.0.attributes", {"Polarity": "NEG", "Mood": "ASSERTED"}))],
    "labelstudio-source": [DOC, annotation(origin={"kind": "labelstudio", "project": 3, "task": 17, "annotation": 41},
                                           events=[{**copy.deepcopy(EVENT), "arguments": [{"role": "Atacker", "entity": "e2"}]}])],
    "many-problems": [DOC, edited(_many(
        _set("entities.1.type", "ORGANIZATION"),
        _set("entities.2.text", "35 من قادة"),
        _set("events.0.arguments.0.role", "Atacker"),
        _set("events.0.arguments.1.role", "Victim"),
        _set("events.0.arguments.2.entity", "e9"),
    ))],
}


def _line(rec) -> str:
    return rec if isinstance(rec, str) else json.dumps(rec, ensure_ascii=False)


def main() -> None:
    for name, records in CASES.items():
        (HERE / f"{name}.jsonl").write_text("".join(_line(r) + "\n" for r in records), encoding="utf-8")
        print(HERE / f"{name}.jsonl")


if __name__ == "__main__":
    main()
