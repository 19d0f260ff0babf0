"""The benchmark: every stage on a synthetic archive, beside the baselines users would write.

``run_bench`` generates N Arabic news documents from the seed text (sentences of the seed
with a third of their words swapped for other words of the seed, so texts are unique and
not near-duplicates of each other; lengths log-normal, 1-8 KB), ingests them, makes about
10 entities and 2 events per ingested document (a few percent deliberately invalid),
validates them, and builds a release; beside them, in the same run and on the same
files, it times the baselines: pyarrow writing the same release rows directly (the
ceiling), ``datasets.Dataset.from_generator(...).to_parquet(...)`` (what a user would
write by hand) and ``jsonschema`` validating record by record (checked to give the same
verdicts as ``corpus validate``).

Every stage runs in its own spawned process, so that its peak resident memory (VmHWM of
the process; ru_maxrss of its worker processes) is its own. Memory "flat in N" is shown by
running the stages at two sizes. ``write_report`` renders BENCHMARKS.md: the machine, the
table, the targets with their ratios (PASS or MISS) and the command that reproduces it.

``studio_bench`` pushes and pulls Label Studio tasks on a server it starts (SQLite).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import random
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["BenchOptions", "StageResult", "generate_corpus", "make_annotations", "run_bench", "write_report",
           "machine", "studio_bench", "TARGETS"]

GiB = 1024**3
MiB = 1024**2
MB = 1_000_000  # throughput is in MB/s of 10^6 bytes

#: the targets of the benchmark (issue 6), as data: name -> (description, threshold)
TARGETS = {
    "memory_1m": ("peak RSS of every stage at N = 1,000,000", 1.0 * GiB),
    "memory_flat": ("peak RSS at N over peak RSS at N/4, every stage", 1.25),
    "release_vs_ceiling": ("release time over pyarrow ceiling time", 1.3),
    "release_vs_datasets": ("release time over datasets by-hand time", 1.0),
    "validate_vs_jsonschema": ("validate speed over jsonschema speed", 10.0),
    "ingest_mb_per_core": ("ingest MB/s per core (plain text)", 20.0),
    "jobs_scaling": ("ingest speed-up with --jobs 2 over --jobs 1", 1.6),
}


@dataclass
class BenchOptions:
    n: int = 20_000
    jobs: int = 2
    work: Path = Path("build/bench")
    seed: int = 20261125
    input_format: str = "txt"  # txt: one file a document (plain text); jsonl: shards of 5,000
    invalid_rate: float = 0.03
    #: also run the stages at N // small_factor, to show peak memory flat in N
    small_factor: int = 4
    #: jsonschema / datasets baselines on at most this many records (None: all)
    baseline_max: int | None = None
    #: only the stages (ingest with --jobs, validate, release): no baselines (the N = 1,000,000 run)
    stages_only: bool = False
    #: which of the stages to run (downstream ones need ingest's documents)
    stages: tuple = ("ingest", "validate", "release")
    keep: bool = False


@dataclass
class StageResult:
    stage: str
    n: int
    seconds: float
    peak_rss: int  # bytes, the stage's own process
    workers_rss: int = 0  # bytes, its largest worker process (jobs > 1)
    jobs: int = 1
    mb: float | None = None  # input megabytes (10^6 bytes) read
    docs: int | None = None
    records: int | None = None  # annotations validated
    rows: int | None = None  # release rows written (all configs)
    extra: dict = field(default_factory=dict)

    def rate(self, what: str) -> float | None:
        v = getattr(self, what)
        return None if v is None or self.seconds <= 0 else v / self.seconds


# --------------------------------------------------------------------------- synthetic corpus

_WORD = re.compile(r"\S+")


def _seed_text(seeds: Path) -> str:
    files = sorted(seeds.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"{seeds}: no seed .txt files to build the synthetic corpus from")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _seed_parts(text: str) -> tuple[list[list[str]], list[str], str]:
    """Body sentences of the seed (as word lists), its vocabulary of plain words, and the
    website furniture after its last body line (a share of documents end with it)."""
    from .boilerplate import MARKERS

    marker = re.compile("|".join(MARKERS.values()), re.I)
    sentences = []
    lines = text.splitlines()
    last = 0
    for i, line in enumerate(lines):
        # body lines: long, Arabic, not site furniture
        if len(line) < 60 or re.search(r"[A-Za-z]", line) or marker.search(line):
            continue
        last = i
        for s in re.split(r"(?<=[.!؟?])\s+", line.strip()):
            words = s.split()
            if len(words) >= 6:
                sentences.append(words)
    if not sentences:
        raise ValueError("the seed text has no body sentences (long Arabic lines) to build documents from")
    vocab = sorted({w for ws in sentences for w in ws if re.fullmatch(r"[\u0621-\u064a]{3,}", w)})
    tail = "\n".join(lines[last + 1:]).strip("\n")
    return sentences, vocab, tail


class _Writer:
    """Documents as .txt files (1,000 a folder) or as JSONL shards of 5,000."""

    def __init__(self, out: Path, fmt: str):
        self.out, self.fmt, self.n, self._f = out, fmt, 0, None
        self.bytes = 0

    def add(self, doc_id: str, text: str) -> None:
        data = text.encode("utf-8")
        if self.fmt == "txt":
            d = self.out / f"{self.n // 1000:05d}"
            if self.n % 1000 == 0:
                d.mkdir(parents=True, exist_ok=True)
            (d / f"{doc_id}.txt").write_bytes(data)
        else:
            if self.n % 5000 == 0:
                self.close()
                self.out.mkdir(parents=True, exist_ok=True)
                self._f = open(self.out / f"news-{self.n // 5000:05d}.jsonl", "wb")
            line = json.dumps({"id": doc_id, "text": text}, ensure_ascii=False).encode("utf-8") + b"\n"
            self._f.write(line)
        self.bytes += len(data)
        self.n += 1

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def generate_corpus(out: Path, n: int, *, seed: int = 20261125, fmt: str = "txt",
                    seeds: Path | None = None) -> dict:
    """N synthetic news documents into ``out``; returns counts and text bytes."""
    seeds = seeds or Path(__file__).resolve().parent.parent / "seeds"
    sentences, vocab, tail = _seed_parts(_seed_text(seeds))
    rng = random.Random(seed)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    w = _Writer(out, fmt)
    for i in range(n):
        # news article lengths: log-normal around 3 KB of UTF-8, within 1-8 KB
        target = min(8000, max(1000, int(rng.lognormvariate(math.log(3000), 0.5))))
        title = " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 11)))
        paras, size = [], len(title.encode("utf-8"))
        while size < target:
            para = []
            for _ in range(rng.randint(1, 4)):
                words = [rng.choice(vocab) if rng.random() < 0.33 else x for x in rng.choice(sentences)]
                s = " ".join(words)
                if s[-1] not in ".!؟?»":
                    s += "."
                para.append(s)
            p = " ".join(para)
            paras.append(p)
            size += len(p.encode("utf-8")) + 1
        text = title + "\n\n" + "\n".join(paras) + "\n"
        if tail and rng.random() < 0.3:  # scraped pages keep the site's furniture
            text += "\n" + tail + "\n"
        w.add(f"news-{i:07d}", text)
    w.close()
    return {"documents": n, "bytes": w.bytes, "format": fmt}


# --------------------------------------------------------------------------- annotations


def _invalidate(obj: dict, rng: random.Random) -> dict:
    """A schema violation of one of several kinds (what a broken exporter writes)."""
    kind = rng.randrange(6)
    if kind == 0 and obj["entities"]:
        obj["entities"][0]["start"] = -1
    elif kind == 1:
        obj["status"] = "done"
    elif kind == 2:
        del obj["ontology"]
    elif kind == 3 and obj["events"]:
        obj["events"][0]["arguments"].append({"role": "", "entity": obj["entities"][0]["id"] if obj["entities"] else "e1"})
    elif kind == 4:
        obj["text_sha256"] = obj["text_sha256"][:20]
    else:
        obj["extra_field"] = True
    return obj


def make_annotations(documents: Path, out: Path, *, seed: int = 20261125, invalid_rate: float = 0.03,
                     entities: int = 10, events: int = 2, shard_size: int = 10_000) -> dict:
    """About ``entities`` entities and ``events`` events per ingested document.

    Writes ``out/annotations/`` (every annotation, a share of them invalid, for validate),
    ``out/gold/`` (the valid ones, status gold, for release) and ``out/expected-invalid.txt``
    (the ``file:line`` of each invalid one). Spans are whole tokens of the ingested text.
    """
    import msgspec

    from .io import jsonl_files
    from .ontology import load_ontology
    from .records import decode_document

    ont = load_ontology()
    ent_types = ont.entity_types
    levels = ont.mention_levels or [None]
    ev_types = [t for t in ont.event_types if any(ont.fillers_of(r) for r in ont.roles_of(t))]
    attrs = ont.event_attributes
    ref = ont.ref()
    rng = random.Random(seed + 1)
    ann_dir, gold_dir = out / "annotations", out / "gold"
    for d in (ann_dir, gold_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    invalid_lines: list[str] = []
    counts = {"annotations": 0, "invalid": 0, "gold": 0, "entities": 0, "events": 0}
    files = {"ann": None, "gold": None}
    lines = {"ann": 0, "gold": 0}
    paths = {"ann": None}

    def write(kind: str, data: bytes, folder: Path, prefix: str) -> None:
        if lines[kind] % shard_size == 0:
            if files[kind] is not None:
                files[kind].close()
            p = folder / f"{prefix}-{lines[kind] // shard_size:05d}.jsonl"
            files[kind] = open(p, "wb")
            if kind == "ann":
                paths["ann"] = p
        files[kind].write(data + b"\n")
        lines[kind] += 1

    try:
        for path in jsonl_files([documents]):
            with open(path, "rb") as f:
                for line in f:
                    if not line.strip():
                        continue
                    doc = decode_document(line)
                    obj = _annotate(doc, rng, ent_types, levels, ev_types, ont, attrs, ref, entities, events)
                    counts["annotations"] += 1
                    counts["entities"] += len(obj["entities"])
                    counts["events"] += len(obj["events"])
                    bad = rng.random() < invalid_rate
                    if not bad:
                        write("gold", msgspec.json.encode(obj), gold_dir, "gold")
                        counts["gold"] += 1
                        obj = dict(obj, status="submitted", id=obj["id"].replace(":gold", ":bench"))
                    else:
                        obj = _invalidate(dict(obj, status="submitted"), rng)
                    write("ann", msgspec.json.encode(obj), ann_dir, "annotations")
                    if bad:
                        counts["invalid"] += 1
                        invalid_lines.append(f"{paths['ann']}:{(lines['ann'] - 1) % shard_size + 1}")
    finally:
        for f in files.values():
            if f is not None:
                f.close()
    (out / "expected-invalid.txt").write_text("".join(x + "\n" for x in invalid_lines), encoding="utf-8")
    return counts


def _annotate(doc, rng, ent_types, levels, ev_types, ont, attrs, ref, n_entities, n_events) -> dict:
    """One schema-valid, ontology-valid annotation dict of ``doc``: spans on whole tokens."""
    tokens = doc.tokens
    text = doc.text
    # word tokens only (punctuation makes poor mentions), 1-3 tokens inside one sentence
    words = [k for k, (s, e) in enumerate(tokens) if text[s].isalpha()]
    used: set[int] = set()
    entities: list[dict] = []

    def span(width: int) -> tuple[int, int] | None:
        for _ in range(20):
            k = rng.choice(words)
            ks = list(range(k, min(k + width, len(tokens))))
            if any(x in used for x in ks) or not all(x in words_set for x in ks):
                continue
            s, e = tokens[ks[0]][0], tokens[ks[-1]][1]
            if "\n" in text[s:e]:
                continue
            used.update(ks)
            return s, e
        return None

    words_set = set(words)

    def entity(etype: str) -> dict | None:
        sp = span(rng.choice((1, 1, 2, 2, 3)))
        if sp is None:
            return None
        s, e = sp
        ent = {"id": f"T{len(entities) + 1}", "type": etype, "start": s, "end": e, "text": text[s:e]}
        level = rng.choice(levels)
        if level is not None:
            ent["level"] = level
        entities.append(ent)
        return ent

    events = []
    for i in range(n_events):
        etype = rng.choice(ev_types)
        trig = span(1)
        if trig is None:
            break
        args = []
        for role in rng.sample(ont.roles_of(etype), k=min(2, len(ont.roles_of(etype)))):
            fillers = ont.fillers_of(role)
            if not fillers:
                continue
            ent = entity(rng.choice(fillers))
            if ent is not None:
                args.append({"role": role, "entity": ent["id"]})
        ev = {"id": f"E{i + 1}", "type": etype,
              "trigger": {"start": trig[0], "end": trig[1], "text": text[trig[0]:trig[1]]}, "arguments": args}
        if attrs:
            ev["attributes"] = {a["name"]: rng.choice(a["values"]) for a in attrs}
        events.append(ev)
    while len(entities) < n_entities:
        if entity(rng.choice(ent_types)) is None:
            break
    return {
        "schema_version": "1.0.0", "id": f"{doc.id}:gold", "document_id": doc.id,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "annotator": "bench",
        "status": "gold", "ontology": ref, "entities": entities, "events": events,
    }


# --------------------------------------------------------------------------- child processes


def _vmhwm() -> int:
    """Peak resident memory of this process in bytes (VmHWM: unlike ru_maxrss after a
    spawn, it does not include the parent's memory at fork time)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child_main(fn: Callable, args: tuple, preload: tuple, conn) -> None:
    import importlib
    import resource

    try:
        for name in preload:  # imports are not part of a stage's time
            importlib.import_module(name)
        t = time.perf_counter()
        out = fn(*args)
        out["seconds"] = time.perf_counter() - t
        out["peak_rss"] = _vmhwm()
        out["workers_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        conn.send(("ok", out))
    except BaseException as exc:  # the parent reports it, with the stage's name
        import traceback

        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def _in_child(fn: Callable, *args, preload: tuple = ()) -> dict:
    """Run ``fn(*args)`` in a fresh spawned process; its result with time and peak memory."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child_main, args=(fn, args, preload, child))
    p.start()
    child.close()
    try:
        status, out = parent.recv()
    except EOFError:
        p.join()
        raise RuntimeError(f"{fn.__name__}: the stage process died (exit code {p.exitcode}); out of memory?") from None
    p.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__name__} failed in its process:\n{out}")
    return out


# --------------------------------------------------------------------------- stages


def _input_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _stage_ingest(src: str, out: str, jobs: int, on_disk: bool = False) -> dict:
    import io

    from .ingest import IngestOptions, ingest

    options = IngestOptions(dedup_memory=0) if on_disk else IngestOptions()
    report = ingest([src], out, options, jobs=jobs, progress=False, stderr=io.StringIO())
    return {"docs": report.documents, "rejected": report.rejected, "duplicates": report.duplicates,
            "near_duplicates": report.near_duplicates}


def _stage_validate(annotations: str, documents: str, verdicts: str, jobs: int = 1) -> dict:
    from .validate import validate_paths

    stats: dict = {}
    invalid: set[str] = set()
    warnings = 0
    for p in validate_paths([annotations], documents=[documents], stats=stats, jobs=jobs):
        if p.severity == "error":
            invalid.add(_line_key(p.source))
        else:
            warnings += 1
    Path(verdicts).write_text("".join(k + "\n" for k in sorted(invalid)), encoding="utf-8")
    return {"records": stats["annotations"], "invalid": len(invalid), "warnings": warnings}


def _line_key(source: str) -> str:
    """``annotations-00000.jsonl:17`` of a problem's source (``/abs/path/...:17[, ...]``)."""
    where = source.split(", ")[0]
    return Path(where).name


def _stage_jsonschema(annotations: str, verdicts: str, limit: int | None) -> dict:
    import jsonschema

    from .io import jsonl_files
    from .schemas import load_schema

    v = jsonschema.Draft202012Validator(load_schema("annotation"))
    n, invalid = 0, []
    for path in jsonl_files([annotations]):
        with open(path, "rb") as f:
            for k, line in enumerate(f, 1):
                if limit is not None and n >= limit:
                    break
                if not line.strip():
                    continue
                n += 1
                if not v.is_valid(json.loads(line)):  # record by record, as a user would
                    invalid.append(f"{path.name}:{k}")
    Path(verdicts).write_text("".join(k + "\n" for k in sorted(invalid)), encoding="utf-8")
    return {"records": n, "invalid": len(invalid)}


def _stage_release(documents: str, gold: str, out: str) -> dict:
    from .release import build_release
    from .release.inputs import CorpusInfo

    shutil.rmtree(out, ignore_errors=True)
    info = CorpusInfo(name="bench", pretty_name="Benchmark corpus (synthetic)", license="cc-by-4.0")
    result = build_release("1.0.0", documents=documents, gold=gold, out=out, previous=False,
                           date="2026-01-01", info=info)
    rows = {c: sum(s["rows"] for s in splits.values()) for c, splits in result.facts.files.items()}
    return {"rows": sum(rows.values()), "rows_by_config": rows, "docs": result.facts.documents}


def _paired(documents: str, gold: str, limit: int | None = None) -> Iterator[tuple[Any, Any]]:
    """(Document, gold Annotation) pairs, streamed: gold is in document order, a subset."""
    from .io import jsonl_files
    from .records import decode_annotation, decode_document

    def golds():
        for path in jsonl_files([gold]):
            with open(path, "rb") as f:
                for line in f:
                    if line.strip():
                        yield decode_annotation(line)

    g = golds()
    ann = next(g, None)
    n = 0
    for path in jsonl_files([documents]):
        with open(path, "rb") as f:
            for line in f:
                if ann is None or (limit is not None and n >= limit):
                    return
                if not line.strip():
                    continue
                doc = decode_document(line)
                if doc.id == ann.document_id:
                    yield doc, ann
                    n += 1
                    ann = next(g, None)


def _stage_ceiling(documents: str, gold: str, out: str, level: int | None) -> dict:
    """The same rows, built column-wise (ReleaseRows) and written by pyarrow in one pass:
    no split assignment, no index pass, no card, manifest or figure."""
    import pyarrow.parquet as pq

    from .ontology import load_ontology
    from .release.features import arrow_schema, config_features
    from .release.rows import ReleaseRows

    ont = load_ontology()
    features = config_features(ont)
    schemas = {c: arrow_schema(f, config=c, version="1.0.0") for c, f in features.items()}
    shutil.rmtree(out, ignore_errors=True)
    Path(out).mkdir(parents=True)
    rows = ReleaseRows(features, ont, schemas)
    kw = {"compression": "zstd"} | ({"compression_level": level} if level is not None else {})
    writers = {c: pq.ParquetWriter(Path(out) / f"{c}.parquet", schemas[c], **kw) for c in features}
    counts = dict.fromkeys(features, 0)

    def flush(final: bool = False) -> None:
        for c in features:
            if rows.rows(c) and (final or rows.rows(c) >= 2000):
                b = rows.batch(c)
                counts[c] += b.num_rows
                writers[c].write_batch(b)

    for doc, ann in _paired(documents, gold):
        rows.add(doc, ann)
        flush()
    flush(final=True)
    for w in writers.values():
        w.close()
    return {"rows": sum(counts.values()), "rows_by_config": counts}


def _dict_rows(config: str, documents: str, gold: str, limit: int | None):
    """The rows of one config as dicts, the way one writes a generator by hand."""
    from .ontology import load_ontology
    from .release.features import ner_labels
    from .release.rows import NerStats, bio_tags

    ont = load_ontology()
    ent = {t: i for i, t in enumerate(ont.entity_types)}
    evt = {t: i for i, t in enumerate(ont.event_types)}
    rol = {t: i for i, t in enumerate(ont.roles)}
    labels = {t: i for i, t in enumerate(ner_labels(ont))}
    attrs = [a["name"] for a in ont.event_attributes]
    stats = NerStats()
    for doc, ann in _paired(documents, gold, limit):
        if config == "documents":
            m, s = doc.metadata, doc.source
            yield {
                "id": doc.id, "text": doc.text, "language": doc.language,
                "metadata": {"title": m.title, "url": m.url, "published": m.published, "author": m.author,
                             "outlet": m.outlet, "extra": json.dumps(m.extra, ensure_ascii=False, sort_keys=True) if m.extra else None},
                "source": {"path": s.path, "sha256": s.sha256, "encoding": s.encoding, "format": s.format, "url": s.url},
                "normalization": {"profile": doc.normalization.profile, "version": doc.normalization.version},
                "near_duplicate_of": doc.near_duplicate_of,
                "sentences": [{"start": a, "end": b} for a, b in doc.sentences],
                "tokens": [{"start": a, "end": b} for a, b in doc.tokens],
                "schema_version": doc.schema_version,
            }
        elif config == "entities":
            for e in sorted(ann.entities, key=lambda x: (x.start, x.end, x.id)):
                yield {"document_id": doc.id, "id": e.id, "type": ent[e.type], "level": e.level,
                       "start": e.start, "end": e.end, "text": e.text}
        elif config == "events":
            by_id = {e.id: e for e in ann.entities}
            for ev in sorted(ann.events, key=lambda x: (x.trigger.start, x.trigger.end, x.id)):
                row = {"document_id": doc.id, "id": ev.id, "type": evt[ev.type],
                       "trigger": {"start": ev.trigger.start, "end": ev.trigger.end, "text": ev.trigger.text},
                       "arguments": [{"role": rol[a.role], "entity_id": a.entity, "entity_type": ent[by_id[a.entity].type],
                                      "start": by_id[a.entity].start, "end": by_id[a.entity].end,
                                      "text": by_id[a.entity].text} for a in ev.arguments]}
                if attrs:
                    row["attributes"] = {k: (ev.attributes or {}).get(k) for k in attrs}
                yield row
        else:
            tags = bio_tags(doc, ann, labels, stats)
            starts = [s for s, _ in doc.tokens]
            from bisect import bisect_left

            for k, (s, e) in enumerate(doc.sentences):
                lo, hi = bisect_left(starts, s), bisect_left(starts, e)
                toks = doc.tokens[lo:hi]
                yield {"id": f"{doc.id}:{k:04d}", "document_id": doc.id, "sentence_index": k, "start": s, "end": e,
                       "tokens": [doc.text[a:b] for a, b in toks], "token_starts": [a for a, _ in toks],
                       "token_ends": [b for _, b in toks], "ner_tags": tags[lo:hi]}


def _stage_datasets(documents: str, gold: str, out: str, limit: int | None) -> dict:
    """What a user writes by hand: one ``Dataset.from_generator(...).to_parquet(...)`` a config."""
    import datasets

    from .ontology import load_ontology
    from .release.features import config_features

    datasets.disable_progress_bars()
    features = config_features(load_ontology())
    shutil.rmtree(out, ignore_errors=True)
    cache = Path(out) / "cache"
    counts = {}
    for config, feats in features.items():
        ds = datasets.Dataset.from_generator(
            _dict_rows, features=feats, cache_dir=str(cache),
            gen_kwargs={"config": config, "documents": documents, "gold": gold, "limit": limit})
        ds.to_parquet(str(Path(out) / f"{config}.parquet"))
        counts[config] = ds.num_rows
        del ds
    shutil.rmtree(cache, ignore_errors=True)
    return {"rows": sum(counts.values()), "rows_by_config": counts,
            "docs": counts.get("documents")}


# --------------------------------------------------------------------------- the run

# a stage's own imports only: importing corpus.ingest loads its compiled kernels (numba,
# ~150 MiB of LLVM), which validate and release neither need nor should be charged for
_PRELOAD_BASE = ("corpus.records", "msgspec", "numpy")
_INGEST_ON_DISK = "ingest, dedup index on disk"
_PRELOAD_INGEST = _PRELOAD_BASE + ("corpus.ingest",)
_PRELOAD_VALIDATE = _PRELOAD_BASE + ("corpus.validate",)
_PRELOAD_RELEASE = _PRELOAD_BASE + ("corpus.release", "pyarrow", "pyarrow.parquet", "datasets")


def _result(stage: str, n: int, out: dict, **kw) -> StageResult:
    known = {k: out.get(k) for k in ("docs", "records", "rows")}
    extra = {k: v for k, v in out.items() if k not in ("seconds", "peak_rss", "workers_rss", *known)}
    return StageResult(stage=stage, n=n, seconds=out["seconds"], peak_rss=out["peak_rss"],
                       workers_rss=out.get("workers_rss", 0), extra=extra, **known, **kw)


class _Runner:
    """Runs stages in child processes and collects their results; a failed stage is kept
    as a row with its error (the rest of the benchmark still runs)."""

    def __init__(self, n: int, log: Callable[[str], None]):
        self.n, self.log, self.out = n, log, []

    def run(self, stage: str, fn: Callable, *args, preload: tuple = (), **kw) -> StageResult | None:
        self.log(f"[N={self.n}] {stage} ...")
        load = os.getloadavg()[0]
        try:
            r = _in_child(fn, *args, preload=preload)
            # the machine's load while the stage ran: other work on the cores skews the figures
            r["load"] = round(max(load, os.getloadavg()[0]), 1)
        except RuntimeError as exc:
            self.log(f"    FAILED: {exc}")
            self.out.append(StageResult(stage=stage, n=self.n, seconds=0.0, peak_rss=0,
                                        extra={"error": str(exc).splitlines()[1] if "\n" in str(exc) else str(exc)}, **kw))
            return None
        res = _result(stage, self.n, r, **kw)
        self.out.append(res)
        rate = "".join(f", {res.rate(k):,.0f} {k}/s" for k in ("docs", "records", "rows") if res.rate(k))
        self.log(f"    {res.seconds:.1f} s{rate}, peak RSS {res.peak_rss / MiB:.0f} MiB")
        return res


def _lines_of(path: Path) -> set[str]:
    return set(path.read_text(encoding="utf-8").split()) if path.exists() else set()


def _pipeline(work: Path, n: int, opts: BenchOptions, log: Callable[[str], None], full: bool) -> list[StageResult]:
    """Generate, ingest, annotate, validate, release at size ``n``; with ``full`` also the
    baselines and ``--jobs``."""
    work.mkdir(parents=True, exist_ok=True)
    src, docs, ann, gold = work / "input", work / "documents", work / "annotations", work / "gold"
    log(f"[N={n}] generating {n} documents ({opts.input_format}) ...")
    generate_corpus(src, n, seed=opts.seed, fmt=opts.input_format)
    mb = _input_bytes(src) / MB
    run = _Runner(n, log)
    job_list = [opts.jobs] if opts.stages_only else [1] + ([opts.jobs] if full and opts.jobs > 1 else [])
    full = full and not opts.stages_only
    for jobs in job_list:
        res = run.run("ingest", _stage_ingest, str(src), str(docs), jobs, preload=_PRELOAD_INGEST, jobs=jobs, mb=mb)
        if res is None:
            return run.out  # nothing downstream can run without documents
    if not opts.stages_only:
        # the dedup index past its memory budget (here from the first document): SQLite on disk
        run.run(_INGEST_ON_DISK, _stage_ingest, str(src), str(work / "documents-disk"), 1, True,
                preload=_PRELOAD_INGEST, jobs=1, mb=mb)
        shutil.rmtree(work / "documents-disk", ignore_errors=True)
    if not opts.keep:
        shutil.rmtree(src, ignore_errors=True)
    if not {"validate", "release"} & set(opts.stages):
        return run.out
    log(f"[N={n}] making annotations ...")
    counts = make_annotations(docs, work, seed=opts.seed, invalid_rate=opts.invalid_rate)
    log(f"    {counts}")
    expected = {Path(x).name for x in _lines_of(work / "expected-invalid.txt")}
    res = None
    got: set[str] = set()
    if "validate" in opts.stages:
        for jobs in job_list:
            one = run.run("validate", _stage_validate, str(ann), str(docs), str(work / f"verdicts-validate-{jobs}.txt"),
                          jobs, preload=_PRELOAD_VALIDATE, jobs=jobs)
            mine = _lines_of(work / f"verdicts-validate-{jobs}.txt")
            if one is not None:
                one.extra.update(expected_invalid=len(expected), verdicts_as_generated=(mine == expected),
                                 differ=sorted(mine ^ expected)[:5])
                res, got = res or one, got or mine
    if full:
        js = run.run("jsonschema (record by record)", _stage_jsonschema, str(ann), str(work / "verdicts-jsonschema.txt"),
                     opts.baseline_max, preload=("jsonschema", "corpus.schemas"))
        if js is not None and res is not None:
            theirs = _lines_of(work / "verdicts-jsonschema.txt")
            mine = got & _first_lines(ann, js.records)
            js.extra.update(same_verdicts=(theirs == mine), disagreements=sorted(theirs ^ mine)[:5])
            log(f"    same verdicts as validate on {js.records} annotations: {theirs == mine}")
    if "release" not in opts.stages:
        return run.out
    rel = run.run("release", _stage_release, str(docs), str(gold), str(work / "release"), preload=_PRELOAD_RELEASE)
    if full:
        for level, name in ((None, "pyarrow ceiling"), (9, "pyarrow ceiling, zstd level 9")):
            c = run.run(name, _stage_ceiling, str(docs), str(gold), str(work / "ceiling"), level, preload=_PRELOAD_RELEASE)
            if c is not None and rel is not None:
                c.extra["same_rows_as_release"] = c.extra["rows_by_config"] == rel.extra["rows_by_config"]
        run.run("datasets by hand", _stage_datasets, str(docs), str(gold), str(work / "by-hand"), opts.baseline_max,
                preload=_PRELOAD_RELEASE)
    if not opts.keep:
        for sub in ("release", "ceiling", "by-hand"):
            shutil.rmtree(work / sub, ignore_errors=True)
    return run.out


def _first_lines(folder: Path, n: int) -> set[str]:
    """``file:line`` keys of the first ``n`` records of the JSONL files of ``folder``."""
    from .io import jsonl_files

    keys: set[str] = set()
    for path in jsonl_files([folder]):
        with open(path, "rb") as f:
            for k, line in enumerate(f, 1):
                if len(keys) >= n:
                    return keys
                if line.strip():
                    keys.add(f"{path.name}:{k}")
    return keys


def machine() -> dict:
    """CPU, cores, memory, OS, Python and library versions."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    libs = {}
    for name in ("msgspec", "numpy", "pyarrow", "datasets", "jsonschema", "jsonschema-rs", "label-studio-sdk"):
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "libraries": libs, "code": _code_version()}


def _code_version() -> str:
    """The commit measured, and whether the working tree had changes to corpus/."""
    import subprocess

    if os.environ.get("CORPUS_BENCH_CODE"):  # a snapshot of the tree, outside git
        return os.environ["CORPUS_BENCH_CODE"]
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "corpus"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" with uncommitted changes in corpus/" if dirty else "")


def run_bench(opts: BenchOptions, log: Callable[[str], None] = lambda m: None) -> dict:
    """Every stage and baseline at N (and the stages at N // small_factor); the results."""
    work = Path(opts.work).resolve()
    started = time.time()
    machine_info = machine()  # before: the code measured is the code at the start
    results: list[StageResult] = []
    sizes = []
    if opts.small_factor and opts.n // opts.small_factor >= 10:
        sizes.append(opts.n // opts.small_factor)
    for n in sizes:
        results += _pipeline(work / f"n{n}", n, opts, log, full=False)
        if not opts.keep:
            shutil.rmtree(work / f"n{n}", ignore_errors=True)
    results += _pipeline(work / f"n{opts.n}", opts.n, opts, log, full=True)
    if not opts.keep:
        shutil.rmtree(work / f"n{opts.n}", ignore_errors=True)
    return {"machine": machine_info, "options": {k: str(v) for k, v in asdict(opts).items()},
            "results": [asdict(r) for r in results], "wall_seconds": time.time() - started}


# --------------------------------------------------------------------------- the report


def _fmt(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def _mib(b: int) -> str:
    return f"{b / MiB:,.0f} MiB" if b else "–"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "**MISS**")


def _targets(results: list[StageResult], n: int) -> list[tuple[str, str, str, str, bool | None, str]]:
    """(target, measured, threshold, ratio, passed, note) rows."""
    main = [r for r in results if r.n == n and "error" not in r.extra]
    small = [r for r in results if r.n < n and "error" not in r.extra]

    def get(stage: str, jobs: int | None = None) -> StageResult | None:
        return next((r for r in main if r.stage == stage and (jobs is None or r.jobs == jobs)), None)

    rows = []
    ing1 = get("ingest", 1)
    ing_any = ing1 or get("ingest")
    if ing_any:
        mbs = ing_any.mb / ing_any.seconds / ing_any.jobs
        how = "--jobs 1" if ing_any.jobs == 1 else f"--jobs {ing_any.jobs}, divided by {ing_any.jobs}"
        rows.append((f"Ingest of plain text, MB/s per core ({how})", f"{mbs:.2f} MB/s", "≥ 20 MB/s",
                     f"{mbs / 20:.2f}x of target", mbs >= 20, ""))
    jobs_runs = [r for r in main if r.stage == "ingest" and r.jobs > 1]
    if ing1 and jobs_runs:
        j = jobs_runs[0]
        speedup = ing1.seconds / j.seconds
        rows.append((f"`--jobs {j.jobs}` scales ingest on {j.jobs} cores", f"{j.mb / j.seconds:.2f} MB/s",
                     f"speed-up ≥ {TARGETS['jobs_scaling'][1]}", f"{speedup:.2f}x", speedup >= TARGETS["jobs_scaling"][1],
                     "validate has --jobs too (its rows below); release runs in one process"))
    js = get("jsonschema (record by record)")
    for val in (r for r in main if r.stage == "validate"):
        if not js:
            break
        ratio = val.rate("records") / js.rate("records")
        same = js.extra.get("same_verdicts") and val.extra.get("verdicts_as_generated")
        rows.append((f"Validate ≥ 10x record-by-record jsonschema, same verdicts (--jobs {val.jobs})",
                     f"{val.rate('records'):,.0f} vs {js.rate('records'):,.0f} annotations/s",
                     "≥ 10x and same verdicts", f"{ratio:.1f}x; verdicts {'same' if same else 'DIFFER'}",
                     ratio >= 10 and bool(same), "validate also checks offsets, span texts and the ontology"
                     + ("; jsonschema runs in one process" if val.jobs > 1 else "")))
    rel, ceil, hand = get("release"), get("pyarrow ceiling"), get("datasets by hand")
    ceil9 = get("pyarrow ceiling, zstd level 9")
    if rel and ceil:
        ratio = ceil.rate("rows") / rel.rate("rows")
        note = "ceiling: the same rows (checked equal), one pass, default zstd level"
        if ceil9:
            note += f"; against the ceiling at zstd level 9: {ceil9.rate('rows') / rel.rate('rows'):.2f}x"
        rows.append(("Release within 1.3x of the pyarrow ceiling", f"{rel.rate('rows'):,.0f} vs {ceil.rate('rows'):,.0f} rows/s",
                     "≤ 1.3x", f"{ratio:.2f}x", ratio <= 1.3, note))
    if rel and hand:
        ratio = rel.rate("rows") / hand.rate("rows")
        rows.append(("Release faster than `datasets` by hand", f"{rel.rate('rows'):,.0f} vs {hand.rate('rows'):,.0f} rows/s",
                     "> 1x", f"{ratio:.2f}x", ratio > 1, ""))
    if small:
        worst, which, growth = 0.0, "", []
        for r in small:
            big = next((x for x in main if x.stage == r.stage and x.jobs == r.jobs), None)
            if big and r.peak_rss:
                q = big.peak_rss / r.peak_rss
                per_doc = (big.peak_rss - r.peak_rss) / (n - r.n)
                growth.append(f"{r.stage} {per_doc:,.0f} B/doc, ~{(big.peak_rss + per_doc * (1_000_000 - n)) / GiB:.2f} GiB")
                if q > worst:
                    worst, which = q, f"{r.stage} ({_mib(r.peak_rss)} at N={r.n:,}, {_mib(big.peak_rss)} at N={n:,})"
        rows.append(("Peak memory flat in N (every stage)", f"worst: {which}", f"≤ {TARGETS['memory_flat'][1]}x",
                     f"{worst:.2f}x", worst <= TARGETS["memory_flat"][1],
                     "growth and linear extrapolation to N = 1,000,000: " + "; ".join(growth)))
    stages = [r for r in main if r.stage in ("ingest", "validate", "release")]
    if stages:
        peak = max(stages, key=lambda r: max(r.peak_rss, r.workers_rss))
        top = max(peak.peak_rss, peak.workers_rss)
        at_1m = n >= 1_000_000
        each = ", ".join(f"{r.stage} {_mib(max(r.peak_rss, r.workers_rss))}" for r in stages)
        rows.append(("Peak memory below 1 GiB at N = 1,000,000", f"{_mib(top)} ({peak.stage}) at N={n:,}", "< 1 GiB",
                     f"{top / GiB:.2f} GiB", (top < GiB) if at_1m else None,
                     f"every stage: {each}" if at_1m else "measured at N = 1,000,000 only (see that section)"))
    return rows


def render_section(result: dict, command: str) -> str:
    """The Markdown of one benchmark run."""
    results = [StageResult(**r) for r in result["results"]]
    n = max(r.n for r in results)
    lines = [f"## Pipeline at N = {n:,} documents", "",
             f"Reproduce: `{command}` (took {result['wall_seconds'] / 60:.1f} min, "
             f"run {time.strftime('%Y-%m-%d', time.gmtime())}). {_code_line(result['machine'])}", "",
             "| stage | N | jobs | time (s) | MB/s | docs/s | annotations/s | rows/s | peak RSS | workers' peak RSS | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(results, key=lambda r: (r.n, 0)):
        if "error" in r.extra:
            lines.append(f"| {r.stage} | {r.n:,} | {r.jobs} | FAILED | | | | | | | {r.extra['error'][:200]} |")
            continue
        notes = []
        e = r.extra
        if "invalid" in e:
            notes.append(f"{e['invalid']} invalid")
        if "verdicts_as_generated" in e:
            notes.append("verdicts as generated" if e["verdicts_as_generated"] else f"verdicts differ from the generated ones: {e['differ']}")
        if "same_verdicts" in e:
            notes.append("same verdicts as validate" if e["same_verdicts"] else f"verdicts DIFFER: {e['disagreements']}")
        if "same_rows_as_release" in e:
            notes.append("same rows as release" if e["same_rows_as_release"] else "rows DIFFER from release")
        if e.get("rows_by_config"):
            notes.append(", ".join(f"{k} {v:,}" for k, v in e["rows_by_config"].items()))
        if e.get("load") is not None:
            notes.append(f"load {e['load']}")
        if e.get("near_duplicates"):
            notes.append(f"{e['near_duplicates']} near-duplicates flagged")
        mbs = r.mb / r.seconds if r.mb else None
        lines.append(f"| {r.stage} | {r.n:,} | {r.jobs} | {r.seconds:,.1f} | {_fmt(mbs, 2)} | {_fmt(r.rate('docs'))} | "
                     f"{_fmt(r.rate('records'))} | {_fmt(r.rate('rows'))} | {_mib(r.peak_rss)} | {_mib(r.workers_rss)} | "
                     f"{'; '.join(notes)} |")
    lines += ["", "### Targets", "", "| target | measured | target | ratio | verdict | note |", "|---|---|---|---|---|---|"]
    for name, measured, threshold, ratio, ok, note in _targets(results, n):
        lines.append(f"| {name} | {measured} | {threshold} | {ratio} | {_verdict(ok)} | {note} |")
    return "\n".join(lines) + "\n"


def render_machine(m: dict) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items())
    mem = f"{m['memory'] / GiB:.1f} GiB" if m.get("memory") else "unknown"
    return (f"- CPU: {m['cpu']}, {m['cores']} cores\n- RAM: {mem}\n- OS: {m['os']}\n"
            f"- Python {m['python']}; {libs}\n")


def _code_line(m: dict) -> str:
    return f"Code measured: {m.get('code', 'unknown')}."


_HEAD = """# Benchmarks

Written by `corpus bench` (corpus/bench.py); each section is replaced when its benchmark
runs again, the others are kept (the Findings at the end are written by hand). Throughput is in MB/s of 10^6 bytes of input; peak RSS is
the high-water mark of each stage's own process (VmHWM), and of its largest worker
process when it has some. Every stage and baseline runs in a fresh process; its imports
are not timed (for ingest and validate that includes loading their compiled kernels:
numba, ~0.5 s and ~150 MiB of LLVM, which are in their peak RSS).

What is measured:

- **ingest**: plain-text files (one a document) to Document shards: decoding, normalization,
  boilerplate removal, segmentation, exact and near-duplicate detection. **ingest, dedup
  index on disk**: the same with the duplicate index in its bounded-memory mode (SQLite)
  from the first document (`--dedup-memory` past its budget).
- **validate**: every annotation against the schema, its document's text (offsets, span
  texts, tokens) and the ontology (`validate_paths`, streaming).
- **release**: documents + gold to the four Parquet configs with splits, card, datasheet,
  Croissant, manifest and figure (`build_release`). Rows are the rows of all configs.
- **pyarrow ceiling**: the same rows built column-wise and written by pyarrow (zstd) in
  one pass, nothing else; checked to give the same row counts per config as release.
- **datasets by hand**: `Dataset.from_generator(...).to_parquet(...)` per config, rows as dicts.
- **jsonschema**: `Draft202012Validator.is_valid` on each annotation line after
  `json.loads`; its verdicts (valid or not, per record) are checked against validate's.

The synthetic corpus is built from seeds/: sentences of the seed article with a third of
their words replaced by other seed words (so documents are neither duplicates nor
near-duplicates of each other), log-normal lengths of 1-8 KB, 30% ending with the seed
page's website furniture; about 10 entities and 2 events with arguments per document on
whole tokens, 3% of annotations made schema-invalid in six different ways.

"""

_SECTION = re.compile(r"<!-- section: (?P<key>[^ ]+) -->\n(?P<body>.*?)<!-- /section -->\n", re.S)


def write_report(path: Path, key: str, body: str, machine_info: dict) -> None:
    """Put section ``key`` into BENCHMARKS.md (replacing its earlier version, keeping others)."""
    from .io import atomic_write

    sections = {}
    if path.exists():
        sections = {m["key"]: m["body"] for m in _SECTION.finditer(path.read_text(encoding="utf-8"))}
    sections[key] = body
    sections["machine"] = "## Machine\n\n" + render_machine(machine_info)

    def order(k: str):
        if k == "machine":
            return (0, 0)
        if k.startswith("pipeline-n"):
            return (1, int(k[len("pipeline-n"):]))
        return (3, 0) if k == "findings" else (2, k)  # findings (written by hand) come last

    text = _HEAD + "".join(f"<!-- section: {k} -->\n{sections[k].rstrip()}\n\n<!-- /section -->\n"
                           for k in sorted(sections, key=order))
    atomic_write(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- Label Studio


def _studio_template() -> Path:
    """A migrated, user-less Label Studio data dir, made once and copied per run (as the
    studio tests do): a fresh data dir spends about 50 s in migrations."""
    import fcntl
    import subprocess

    from .errors import StudioError
    from .studio import server

    template = Path(os.environ.get("CORPUS_STUDIO_TEMPLATE", Path.home() / ".cache" / "corpus" /
                                   f"label-studio-template-{server.LABEL_STUDIO_VERSION}"))
    template.parent.mkdir(parents=True, exist_ok=True)
    with open(template.parent / f".{template.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "label_studio.sqlite3").exists():
            venv = server.install(server.venv_path(), quiet=True)
            tmp = template.with_name(template.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            r = subprocess.run([str(venv / "bin" / "label-studio"), "init", "--quiet", "--data-dir", str(tmp)],
                               env=server.server_env(server.Settings(data_dir=tmp)), capture_output=True, text=True)
            if r.returncode:
                raise StudioError(f"label-studio init failed: {r.stderr[-2000:]}")
            os.replace(tmp, template)
    return template


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stage_push(settings, documents: str, gold: str, batch_size: int) -> dict:
    from .io import iter_jsonl
    from .ontology import load_ontology
    from .records import decode_annotation
    from .studio import server
    from .studio.push import iter_documents, push

    ls = server.client(settings)
    preds = (a for a, _, _ in iter_jsonl([gold], decode_annotation))
    report = push(ls, iter_documents([Path(documents)]), load_ontology(), project_title=settings.project,
                  data_dir=settings.data_dir, max_task_chars=settings.max_task_chars, batch_size=batch_size,
                  predictions=preds)
    return {"docs": report.documents, "rows": report.imported_tasks, "existing": report.existing_tasks,
            "predictions": report.predictions, "warnings": len(report.warnings), "project": report.project}


def _stage_pull(settings, documents: str, out: str) -> dict:
    from .ontology import load_ontology
    from .studio.pull import run_pull

    before = {p.name: p.stat().st_mtime_ns for p in Path(out).glob("*.jsonl")} if Path(out).is_dir() else {}
    report = run_pull(settings, load_ontology(), Path(out), document_paths=[Path(documents)])
    return {"rows": report.tasks, "annotations": report.annotations, "annotation_records": report.records,
            "written": len(report.written), "unchanged": report.unchanged, "rejects": len(report.rejects),
            "files_before": len(before)}


def _stage_changed_export(settings, project: int, since: str, chunk: int = 500) -> dict:
    """What an incremental pull needs from the server, done the way that scales: the tasks
    updated after ``since`` (a data-manager filter, no export), then an export of only
    those tasks by ``ids[]``, in chunks. (label-studio-sdk 2.1.2 sends ``ids=``, which
    Label Studio 1.23.2 ignores and exports every task; so does an empty id list.)"""
    from .studio import server

    ls = server.client(settings)
    flt = {"project": project, "filters": {"conjunction": "and", "items": [
        {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": since}]}}
    ids = [t.id for t in ls.tasks.list(project=project, fields="task_only", query=json.dumps(flt), page_size=1000)]
    token = server.load_credentials(settings).token
    tasks = []
    for k in range(0, len(ids), chunk):
        q = "&".join(f"ids[]={i}" for i in ids[k:k + chunk])
        tasks += server._http_json(f"{settings.url}/api/projects/{project}/export?exportType=JSON&{q}", token, timeout=600)
    return {"rows": len(tasks), "changed": len(ids), "annotations": sum(len(t.get("annotations") or []) for t in tasks)}


def studio_bench(tasks: int, work: Path, log: Callable[[str], None] = lambda m: None, *,
                 batch_size: int = 1000, new_annotations: int = 100) -> dict:
    """Push ``tasks`` tasks (with pre-annotations) to a Label Studio server on SQLite that
    this starts, turn the pre-annotations into annotations, pull them all; then add
    ``new_annotations`` annotations and pull again. Each push and pull runs in its own
    process (time, peak RSS); the server's own memory is not counted."""
    from .io import iter_jsonl
    from .records import decode_annotation
    from .studio import server
    from .studio.convert import results_from_annotation
    from .studio.push import TaskMap

    started = time.time()
    work = Path(work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log(f"[studio] generating and ingesting {tasks} documents ...")
    generate_corpus(work / "input", tasks, fmt="jsonl")
    _in_child(_stage_ingest, str(work / "input"), str(work / "documents"), 2, preload=_PRELOAD_INGEST)
    make_annotations(work / "documents", work, invalid_rate=0.0)
    docs, gold = work / "documents", work / "gold"
    template = _studio_template()
    settings = server.Settings(data_dir=work / "labelstudio", port=_free_port(), project="bench")
    server.copy_data_dir(template, settings.data_dir)
    log(f"[studio] starting Label Studio on port {settings.port} ...")
    t = time.perf_counter()
    server.start(settings)
    log(f"    {time.perf_counter() - t:.1f} s")
    run = _Runner(tasks, log)
    notes: dict[str, Any] = {"batch_size": batch_size}
    try:
        push_r = run.run("push (new project)", _stage_push, settings, str(docs), str(gold), batch_size,
                         preload=("corpus.studio.push", "label_studio_sdk"))
        if push_r is None:
            raise RuntimeError("push failed; see the table")
        run.run("push again (nothing new)", _stage_push, settings, str(docs), str(gold), batch_size,
                preload=("corpus.studio.push", "label_studio_sdk"))
        ls = server.client(settings)
        project = push_r.extra["project"]
        log("[studio] predictions -> annotations (Label Studio action, setup, not a toolkit stage) ...")
        t = time.perf_counter()
        ls.actions.create(id="predictions_to_annotations", project=project,
                          selected_items={"all": True, "excluded": []})
        notes["annotate_seconds"] = time.perf_counter() - t
        notes["annotated_tasks"] = ls.projects.get(id=project).num_tasks_with_annotations
        log(f"    {notes['annotate_seconds']:.1f} s, {notes['annotated_tasks']} tasks with annotations")
        out = work / "pulled"
        run.run("pull (all)", _stage_pull, settings, str(docs), str(out), preload=("corpus.studio.pull", "label_studio_sdk"))
        log(f"[studio] {new_annotations} new annotations ...")
        tmap = TaskMap.load(settings.data_dir, project)
        wanted = {}
        for ann, _, _ in iter_jsonl([gold], decode_annotation):
            if len(wanted) >= new_annotations:
                break
            ids = tmap.task_ids(ann.document_id)
            if ids:
                wanted[ids[0]] = ann
        since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 1))
        t = time.perf_counter()
        for task_id, ann in wanted.items():
            ls.annotations.create(id=task_id, result=results_from_annotation(ann), lead_time=1.0)
        notes["new_annotations"] = len(wanted)
        notes["new_annotations_seconds"] = time.perf_counter() - t
        run.run(f"pull after {len(wanted)} new annotations", _stage_pull, settings, str(docs), str(out),
                preload=("corpus.studio.pull", "label_studio_sdk"))
        run.run("baseline: changed tasks only (filter + export by ids[])", _stage_changed_export, settings, project,
                since, preload=("label_studio_sdk",))
    finally:
        server.stop(settings)
    results = run.out
    result = {"machine": machine(), "results": [asdict(r) for r in results], "notes": notes,
              "wall_seconds": time.time() - started}
    result["markdown"] = _studio_markdown(results, notes, tasks, result["wall_seconds"], result["machine"])
    return result


def _studio_markdown(results: list[StageResult], notes: dict, tasks: int, wall: float, machine_info: dict) -> str:
    lines = [f"## Label Studio at {tasks:,} tasks (SQLite)", "",
             f"Reproduce: `{{command}}` (took {wall / 60:.1f} min, run {time.strftime('%Y-%m-%d', time.gmtime())}). "
             f"{_code_line(machine_info)} "
             f"Label Studio {_ls_version()} on SQLite, started by the benchmark from a migrated template; "
             f"push batches of {notes.get('batch_size')} tasks, each with one pre-annotation (about 10 entities, "
             f"2 events). The pre-annotations were turned into annotations by Label Studio's "
             f"`predictions_to_annotations` action ({_fmt(notes.get('annotate_seconds'), 1)} s, "
             f"{notes.get('annotated_tasks', '?')} tasks annotated); then {notes.get('new_annotations', '?')} "
             f"annotations were added through the API ({_fmt(notes.get('new_annotations_seconds'), 1)} s) "
             f"before the second pull, by the same user, so each supersedes that user's earlier annotation of "
             f"the task (the pull keeps the latest and lists the older one as a reject). "
             f"Peak RSS is the toolkit's process, not the server's.", "",
             "| step | time (s) | tasks | tasks/s | peak RSS | notes |", "|---|---:|---:|---:|---:|---|"]
    for r in results:
        e = r.extra
        if "error" in e:
            lines.append(f"| {r.stage} | FAILED | | | | {e['error'][:200]} |")
            continue
        if r.stage.startswith("baseline"):
            note = (f"{e.get('changed', 0):,} tasks updated since the first pull, {r.rows:,} exported, "
                    f"{e.get('annotations', 0):,} annotations")
            tasks_seen, rate = r.rows or 0, r.rate("rows")
        elif r.stage.startswith("push"):
            note = (f"{r.docs or 0:,} documents read, {r.rows:,} tasks imported, {e.get('existing', 0):,} already there, "
                    f"{e.get('predictions', 0):,} predictions")
            tasks_seen, rate = (r.rows or e.get("existing", 0)), (r.rate("rows") or r.rate("docs"))
        else:
            note = (f"{r.rows:,} tasks exported, {e.get('annotations', 0):,} annotations, "
                    f"{e.get('annotation_records', 0):,} records, {e.get('written', 0):,} files written, "
                    f"{e.get('unchanged', 0):,} unchanged, {e.get('rejects', 0)} rejects")
            tasks_seen, rate = r.rows or 0, r.rate("rows")
        if e.get("load") is not None:
            note += f"; load {e['load']}"
        lines.append(f"| {r.stage} | {r.seconds:,.1f} | {tasks_seen:,} | {_fmt(rate)} | {_mib(r.peak_rss)} | {note} |")
    full = next((r for r in results if r.stage == "pull (all)" and "error" not in r.extra), None)
    inc = next((r for r in results if r.stage.startswith("pull after") and "error" not in r.extra), None)
    lines += ["", "### Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    push_r = next((r for r in results if r.stage == "push (new project)" and "error" not in r.extra), None)
    lines.append(f"| Push {tasks:,} tasks | "
                 + (f"{push_r.seconds:,.1f} s ({push_r.rate('rows'):,.0f} tasks/s) | {_verdict(push_r.rows == tasks)} |" if push_r
                    else "failed | **MISS** |"))
    lines.append(f"| Pull {tasks:,} annotated tasks | "
                 + (f"{full.seconds:,.1f} s ({full.rate('rows'):,.0f} tasks/s) | "
                    f"{_verdict(full.extra.get('annotations', 0) >= tasks)} |" if full else "failed | **MISS** |"))
    done = [r for r in results if "error" not in r.extra]
    if done:
        top = max(done, key=lambda r: r.peak_rss)
        lines.append(f"| Push and pull stream: peak RSS below 1 GiB at {tasks:,} tasks | {_mib(top.peak_rss)} "
                     f"({top.stage}) | {_verdict(top.peak_rss < GiB)} |")
    if full and inc:
        exported = inc.rows or 0
        ok = exported < max(1, (full.rows or 0)) // 2
        base = next((r for r in results if r.stage.startswith("baseline") and "error" not in r.extra), None)
        hint = (f"; exporting only the changed tasks takes {base.seconds:,.1f} s ({base.rows:,} tasks)" if base else "")
        lines.append(f"| Incremental pull after {notes.get('new_annotations')} new annotations does not re-export "
                     f"everything | exported {exported:,} tasks (the full pull: {full.rows:,}), "
                     f"{inc.seconds:,.1f} s vs {full.seconds:,.1f} s{hint} | {_verdict(ok)} |")
    return "\n".join(lines) + "\n"


def _ls_version() -> str:
    from .studio import server

    return server.LABEL_STUDIO_VERSION
