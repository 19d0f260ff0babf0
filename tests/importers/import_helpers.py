"""Helpers of the importer tests: a naive reference reader and BIO from offsets.

The reference reader is deliberately naive (split lines, split columns) so that it shares
no code with corpus/importers/conll.py: the tests compare the importer against it.
"""

from __future__ import annotations

import json
from pathlib import Path

from corpus.records import decode_annotation, decode_document


def reference_sentences(path: Path) -> list[list[tuple[int, str, str]]]:
    """``[(line, token, tag), ...]`` per sentence, read the simplest way possible."""
    text = path.read_bytes().decode("utf-8-sig")
    sentences, cur = [], []
    for n, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            if cur:
                sentences.append(cur)
            cur = []
            continue
        token, tag = line.split("\t") if "\t" in line else line.split(" ")
        cur.append((n, token, tag))
    if cur:
        sentences.append(cur)
    return sentences


def repaired(sentences, repair_lines: set[int]) -> list[list[tuple[str, str]]]:
    """The reference tokens and tags with the reported repairs applied (I-X -> B-X)."""
    out = []
    for sent in sentences:
        out.append([(tok, "B-" + tag[2:] if n in repair_lines else tag) for n, tok, tag in sent])
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def load_corpus(folder: Path):
    """Documents in file order, and gold annotations by document id."""
    docs = [decode_document(line) for p in sorted((folder / "documents").glob("*.jsonl"))
            for line in p.read_bytes().splitlines() if line.strip()]
    gold = {}
    for p in sorted((folder / "gold").glob("*.jsonl")):
        for line in p.read_bytes().splitlines():
            if line.strip():
                a = decode_annotation(line)
                gold[a.document_id] = a
    return docs, gold


def bio_of(doc, ann) -> list[list[tuple[str, str]]]:
    """Tokens and BIO tags per sentence, from character offsets (independent of release)."""
    tags = ["O"] * len(doc.tokens)
    for e in ann.entities:
        inside = [i for i, (s, t) in enumerate(doc.tokens) if s >= e.start and t <= e.end]
        assert inside, f"{doc.id}: entity {e.id} covers no whole token"
        assert doc.tokens[inside[0]][0] == e.start and doc.tokens[inside[-1]][1] == e.end
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + e.type
    out = []
    for s, t in doc.sentences:
        out.append([(doc.text[a:b], tags[i]) for i, (a, b) in enumerate(doc.tokens) if a >= s and b <= t])
    return out
