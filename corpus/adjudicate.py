"""Merge the annotations of each document into gold, and list every disagreement.

For each document, the annotations that count (status ``submitted`` by default, the latest
one per annotator; never cancelled ones) are merged item by item:

* an annotation marked ``ground_truth`` in Label Studio wins outright (the latest one if
  there are several); the others' differences are still listed;
* otherwise a *policy* decides each item from its support, the number of the document's
  annotators who have it: ``majority`` keeps an item more than half of them have (exactly
  half is a tie, left out and listed), ``unanimous`` keeps only what all of them have.

Items are entities (same start, end, type), events (same trigger span and type), and
arguments of a kept event (same role and a filler with the same span and type); an
argument is kept only with its filler, so gold arguments always point to gold entity ids.
Entity levels and event attributes are decided by the same policy among the annotators
who have the item. Gold records carry ``provenance`` (policy, annotators, annotation ids)
and ``agreed_by`` on every entity, event and argument.

Every item not marked by all annotators is a :class:`Disagreement` for an adjudicator,
and the disputed items of a document are also written as one ``prediction`` annotation
(annotator ``adjudication``, model_version ``conflicts-<policy>``) that ``corpus push
--conflicts`` sends back to Label Studio as pre-annotations for review.

Annotations are grouped by document in memory; documents (when given) are streamed and
only their text_sha256 is kept. Output order and ids are deterministic.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence


from .errors import InputError
from .io import ShardWriter, atomic_stream
from .records import Annotation, Argument, Document, Entity, Event, Origin, Provenance, Trigger, encode, recency, text_sha256

__all__ = [
    "POLICIES", "Disagreement", "DocumentResult", "AdjudicationSummary", "adjudicate", "write_outputs",
    "disagreements_markdown",
]

Verdict = str  # "kept" | "dropped" | "tie"


def _majority(support: int, n: int) -> Verdict:
    return "kept" if 2 * support > n else "tie" if 2 * support == n else "dropped"


def _unanimous(support: int, n: int) -> Verdict:
    return "kept" if support == n else "dropped"


#: Adjudication policies: ``policy(support, annotators) -> "kept" | "dropped" | "tie"``.
POLICIES: dict[str, Callable[[int, int], Verdict]] = {"majority": _majority, "unanimous": _unanimous}


@dataclass(frozen=True)
class Disagreement:
    """One item that not every annotator of the document marked, and what became of it."""

    document: str
    kind: str  # entity | event | argument | level | attribute | stale
    start: int | None
    end: int | None
    text: str
    label: str
    said_by: list[str]
    not_by: list[str]
    resolution: str  # kept | dropped | tie | ground-truth kept | ground-truth dropped | left out

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class DocumentResult:
    document_id: str
    gold: Annotation | None
    disagreements: list[Disagreement] = field(default_factory=list)
    conflict: Annotation | None = None


# --------------------------------------------------------------------------- helpers


def _latest(a: Annotation, b: Annotation) -> Annotation:
    return max((a, b), key=recency)


def _group(annotations: Iterable[Annotation], statuses: Sequence[str]) -> dict[str, dict[str, Annotation]]:
    by_doc: dict[str, dict[str, Annotation]] = defaultdict(dict)
    for ann in annotations:
        if ann.status not in statuses:
            continue
        have = by_doc[ann.document_id].get(ann.annotator)
        by_doc[ann.document_id][ann.annotator] = ann if have is None else _latest(have, ann)
    return by_doc


def _property(by_value: dict, supporters: int, policy, note) -> object:
    """The value of a property (entity level, event attribute) of a kept item, decided by
    the policy among the annotators who have the item (``None``: no value, or undecided).
    ``by_value`` maps each value (None: not given) to who gave it; when they differ, every
    value is noted with its resolution."""
    given = {v: who for v, who in by_value.items() if v is not None}
    value, verdict = None, "kept"
    if given:
        best = min(given, key=lambda v: (-len(given[v]), str(v)))
        verdict = policy(len(given[best]), supporters)
        value = best if verdict == "kept" else None
    if len(by_value) > 1:
        for v, who in sorted(by_value.items(), key=lambda kv: str(kv[0])):
            note(v, who, "kept" if v == value else verdict if value is None and v is not None else "dropped")
    return value


@dataclass
class _Item:
    key: tuple
    text: str
    support: dict[str, object] = field(default_factory=dict)  # annotator -> entity/event


def _collect(anns: dict[str, Annotation]):
    ents: dict[tuple, _Item] = {}
    events: dict[tuple, _Item] = {}
    args: dict[tuple, dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))  # event key -> arg key -> who
    for who, a in anns.items():
        by_id = {e.id: e for e in a.entities}
        for e in a.entities:
            k = (e.start, e.end, e.type)
            ents.setdefault(k, _Item(k, e.text)).support.setdefault(who, e)
        for ev in a.events:
            k = (ev.trigger.start, ev.trigger.end, ev.type)
            item = events.setdefault(k, _Item(k, ev.trigger.text))
            if who in item.support:
                continue  # a duplicate trigger is a validation error; the first one counts
            item.support[who] = ev
            for arg in ev.arguments:
                f = by_id.get(arg.entity)
                if f is not None:
                    args[k][(arg.role, (f.start, f.end, f.type))].add(who)
    return ents, events, args


# --------------------------------------------------------------------------- one document


def _merge(doc_id: str, anns: dict[str, Annotation], policy_name: str, stale: list[Disagreement]) -> DocumentResult:
    policy = POLICIES[policy_name]
    people = sorted(anns)
    n = len(people)
    gts = [a for a in anns.values() if a.ground_truth]
    gt = None
    if gts:
        gt = gts[0]
        for a in gts[1:]:
            gt = _latest(gt, a)
    ents, events, args = _collect(anns)
    dis: list[Disagreement] = list(stale)

    def verdict_of(who: Iterable[str], is_in_gt: bool) -> Verdict:
        if gt is not None:
            return "ground-truth kept" if is_in_gt else "ground-truth dropped"
        return policy(len(set(who)), n)

    def note(kind, start, end, text, label, who, verdict):
        who = sorted(who)
        if len(who) < n:
            dis.append(Disagreement(doc_id, kind, start, end, text, label, who, [p for p in people if p not in who], verdict))

    # entities
    kept_ents: dict[tuple, tuple[_Item, object]] = {}
    disputed_ents: set[tuple] = set()
    for k in sorted(ents):
        item = ents[k]
        v = verdict_of(item.support, gt is not None and gt.annotator in item.support)
        note("entity", k[0], k[1], item.text, k[2], item.support, v)
        if len(item.support) < n:
            disputed_ents.add(k)
        if v in ("kept", "ground-truth kept"):
            if gt is not None:
                level = item.support[gt.annotator].level
            else:
                by_level = defaultdict(list)
                for w, e in item.support.items():
                    by_level[e.level].append(w)
                level = _property(by_level, len(item.support), policy,
                                  lambda lvl, who, res: note("level", k[0], k[1], item.text, f"{k[2]} level {lvl or 'none'}", who, res))
            kept_ents[k] = (item, level)
    gold_ent_ids = {k: f"e{i}" for i, k in enumerate(sorted(kept_ents), 1)}
    gold_entities = [
        Entity(id=gold_ent_ids[k], type=k[2], start=k[0], end=k[1], text=item.text, level=level,
               agreed_by=sorted(item.support))
        for k, (item, level) in sorted(kept_ents.items())
    ]

    # events and their arguments
    gold_events = []
    conflict_events = []
    for k in sorted(events):
        item = events[k]
        in_gt = gt is not None and gt.annotator in item.support
        v = verdict_of(item.support, in_gt)
        note("event", k[0], k[1], item.text, k[2], item.support, v)
        kept_args, disputed_args = [], []
        for ak in sorted(args[k], key=lambda x: (x[0], x[1])):
            who = args[k][ak]
            role, fk = ak
            fitem = ents.get(fk)
            label = f"{k[2]} {role}: {fk[2]} {fitem.text if fitem else ''!r} [{fk[0]}, {fk[1]})"
            in_gt_arg = gt is not None and gt.annotator in who
            av = verdict_of(who, in_gt_arg)
            if av in ("kept", "ground-truth kept") and fk not in gold_ent_ids:
                av = "dropped"  # only possible with ground truth pointing to a disputed filler: keep ids consistent
            if v in ("kept", "ground-truth kept"):
                note("argument", k[0], k[1], item.text, label, who, av)
            if len(who) < n:
                disputed_args.append((ak, who))
            if av in ("kept", "ground-truth kept") and v in ("kept", "ground-truth kept"):
                kept_args.append(Argument(role=role, entity=gold_ent_ids[fk], agreed_by=sorted(who)))
        if v in ("kept", "ground-truth kept"):
            attributes = None
            if gt is not None:
                attributes = item.support[gt.annotator].attributes
            else:
                attributes = {}
                for name in sorted({n_ for ev in item.support.values() for n_ in (ev.attributes or {})}):
                    by_value = defaultdict(list)
                    for w, ev in item.support.items():
                        by_value[(ev.attributes or {}).get(name)].append(w)
                    value = _property(by_value, len(item.support), policy,
                                      lambda val, who, res, name=name: note("attribute", k[0], k[1], item.text,
                                                                            f"{k[2]} {name}={val or 'none'}", who, res))
                    if value is not None:
                        attributes[name] = value
                attributes = attributes or None
            gold_events.append((k, item, kept_args, attributes))
        if len(item.support) < n or disputed_args:
            conflict_events.append((k, item, disputed_args if len(item.support) == n else
                                    [(ak, who) for ak, who in sorted(args[k].items())]))

    gold_evs = [
        Event(id=f"v{i}", type=k[2], trigger=Trigger(start=k[0], end=k[1], text=item.text), arguments=a,
              attributes=attributes, agreed_by=sorted(item.support))
        for i, (k, item, a, attributes) in enumerate(gold_events, 1)
    ]
    first = anns[people[0]]
    policy_label = "ground-truth" if gt is not None else policy_name
    gold = Annotation(
        schema_version=first.schema_version, id=f"{doc_id}:gold", document_id=doc_id, text_sha256=first.text_sha256,
        annotator="gold", status="gold", ontology=(gt or first).ontology, entities=gold_entities, events=gold_evs,
        origin=Origin(kind="adjudication"),
        provenance=Provenance(policy=policy_label, annotators=people, annotations=sorted(a.id for a in anns.values())),
    )
    conflict = None
    if gt is None and (disputed_ents or conflict_events):
        conflict = _conflict(doc_id, first, policy_name, ents, disputed_ents, conflict_events, people)
    return DocumentResult(doc_id, gold, dis, conflict)


def _conflict(doc_id, first: Annotation, policy_name, ents, disputed_ents, conflict_events, people) -> Annotation:
    """The disputed items of one document as a prediction for Label Studio review."""
    needed = set(disputed_ents)
    for _k, _item, dargs in conflict_events:
        needed.update(fk for (_role, fk), _who in dargs)
    ids = {k: f"c{i}" for i, k in enumerate(sorted(needed), 1)}
    entities = []
    for k in sorted(needed):
        item = ents[k]
        levels = Counter(e.level for e in item.support.values() if e.level is not None)
        entities.append(Entity(id=ids[k], type=k[2], start=k[0], end=k[1], text=item.text,
                               level=min(levels, key=lambda x: (-levels[x], x)) if levels else None,
                               agreed_by=sorted(item.support)))
    events = [
        Event(id=f"cv{i}", type=k[2], trigger=Trigger(start=k[0], end=k[1], text=item.text),
              arguments=[Argument(role=role, entity=ids[fk], agreed_by=sorted(who)) for (role, fk), who in dargs],
              agreed_by=sorted(item.support))
        for i, (k, item, dargs) in enumerate(conflict_events, 1)
    ]
    return Annotation(
        schema_version=first.schema_version, id=f"{doc_id}:conflicts-{policy_name}", document_id=doc_id,
        text_sha256=first.text_sha256, annotator="adjudication", status="prediction", ontology=first.ontology,
        entities=entities, events=events,
        origin=Origin(kind="adjudication", model_version=f"conflicts-{policy_name}"),
        provenance=Provenance(policy=policy_name, annotators=people, annotations=[]),
        notes=f"items not marked by all of {', '.join(people)}; agreed_by says who marked each",
    )


# --------------------------------------------------------------------------- all documents


def adjudicate(
    annotations: Iterable[Annotation],
    *,
    policy: str = "majority",
    documents: Iterable[Document] | Mapping[str, Document] | None = None,
    statuses: Sequence[str] = ("submitted",),
) -> Iterator[DocumentResult]:
    """Gold, disagreements and conflicts of every annotated document, in document id order.

    With ``documents``, annotations not bound to the document's current text are left out
    (listed as ``stale``); without, the text most annotations of a document share counts.
    """
    if policy not in POLICIES:
        raise InputError("--policy", f"unknown policy {policy!r}; allowed: {', '.join(POLICIES)}", field="policy", value=policy)
    by_doc = _group(annotations, statuses)
    shas: dict[str, str] = {}
    if documents is not None:
        for doc in (documents.values() if isinstance(documents, Mapping) else documents):
            if doc.id in by_doc:
                shas[doc.id] = text_sha256(doc.text)
    for doc_id in sorted(by_doc):
        anns = by_doc[doc_id]
        sha = shas.get(doc_id)
        if sha is None:
            counts = Counter(a.text_sha256 for a in anns.values())
            sha = min(counts, key=lambda s: (-counts[s], s))
        stale = [
            Disagreement(doc_id, "stale", None, None, "", f"text_sha256 {a.text_sha256[:12]}…", [who],
                         [], "left out")
            for who, a in sorted(anns.items()) if a.text_sha256 != sha
        ]
        bound = {who: a for who, a in anns.items() if a.text_sha256 == sha}
        if not bound:
            yield DocumentResult(doc_id, None, stale, None)
            continue
        yield _merge(doc_id, bound, policy, stale)


@dataclass
class AdjudicationSummary:
    documents: int = 0
    gold: int = 0
    conflicts: int = 0
    disagreements: Counter = field(default_factory=Counter)  # resolution -> count
    paths: list[Path] = field(default_factory=list)


def _markdown_section(r: DocumentResult) -> str:
    lines = [f"## {r.document_id}", "", "| kind | span | text | label | said by | not by | resolution |",
             "|---|---|---|---|---|---|---|"]
    for d in r.disagreements:
        span = "" if d.start is None else f"[{d.start}, {d.end})"
        text = d.text.replace("|", "\\|").replace("\n", " ")
        label = d.label.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {d.kind} | {span} | {text} | {label} | {', '.join(d.said_by)} | {', '.join(d.not_by)} | {d.resolution} |")
    return "\n".join(lines) + "\n\n"


def _markdown_head(policy: str) -> str:
    return (f"# Disagreements ({policy})\n\n"
            "Every item not marked by all annotators of its document, and what the policy made of it.\n\n")


def disagreements_markdown(results: Iterable[DocumentResult], policy: str) -> str:
    """The adjudicator's list as Markdown: one table per document with disagreements."""
    sections = [_markdown_section(r) for r in results if r.disagreements]
    return _markdown_head(policy) + ("".join(sections) if sections else "No disagreements.\n")


def write_outputs(results: Iterable[DocumentResult], gold_dir: str | Path, reports_dir: str | Path, *,
                  policy: str, shard_size: int = 10_000) -> AdjudicationSummary:
    """Write gold shards (``gold-00000.jsonl``…) to ``gold_dir``, and ``conflicts.jsonl``,
    ``disagreements.md`` and ``disagreements.json`` to ``reports_dir``; every file is
    written as the results stream and renamed into place when complete."""
    summary = AdjudicationSummary()
    reports_dir = Path(reports_dir)
    names = ("conflicts.jsonl", "disagreements.md", "disagreements.json")
    with ShardWriter(gold_dir, "gold", shard_size) as w, atomic_stream(reports_dir / names[0]) as conflicts, \
            atomic_stream(reports_dir / names[1]) as md, atomic_stream(reports_dir / names[2]) as js:
        md.write(_markdown_head(policy).encode("utf-8"))
        listed = 0
        for r in results:
            summary.documents += 1
            if r.gold is not None:
                w.write(r.gold)
                summary.gold += 1
            if r.conflict is not None:
                conflicts.write(encode(r.conflict) + b"\n")
                summary.conflicts += 1
            if r.disagreements:
                md.write(_markdown_section(r).encode("utf-8"))
                for d in r.disagreements:
                    js.write(b"[\n" if listed == 0 else b",\n")
                    js.write(json.dumps(d.as_dict(), ensure_ascii=False).encode("utf-8"))
                    listed += 1
                summary.disagreements.update(d.resolution for d in r.disagreements)
        if not listed:
            md.write(b"No disagreements.\n")
        js.write(b"\n]\n" if listed else b"[]\n")
    summary.paths = list(w.paths) + [reports_dir / n for n in names]
    return summary
