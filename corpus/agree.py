"""Inter-annotator agreement on the documents that two or more annotators labeled.

Measures, per annotator pair and per label:

* entity span F1, **exact** (same start, end and type) and **overlap** (a span counts as
  matched when it overlaps any span of the same type of the other annotator). With A as
  the reference, recall = matched spans of A / spans of A and precision = matched spans of
  B / spans of B, so the F1 is the same whichever annotator is called A; for exact
  matching it is ``2·|A∩B| / (|A| + |B|)``;
* Cohen's kappa on token tags (BIO, or IO) derived from the entities over the document's
  tokens (``Document.tokens``), pooled over the pair's shared documents, and per label as
  a binary kappa (token inside a span of that type or not). Nested entities: the longest
  span claims its tokens first (the flat tags of CoNLL), a token touched by a span belongs
  to it even when the span starts or ends inside the token;
* Krippendorff's alpha (nominal) on the same token tags, over all annotators at once
  (documents an annotator did not label are missing values); computed from the
  coincidence matrix of the distinct unit profiles, checked in the tests against the
  ``krippendorff`` package, which cannot hold a corpus-sized table (units x values x values);
* event trigger F1 (same trigger span and event type) and argument F1: an argument is the
  tuple (trigger span, event type, role, filler span, filler type), counted over **all**
  arguments, so an argument can only agree when its trigger agrees too (the usual
  "argument classification" score of ACE evaluations).

Only annotations with status ``submitted`` count by default (cancelled ones never). When
an annotator has several annotations of one document, the latest (``updated_at``, then
``created_at``, then id) counts and the others are listed as skipped. Annotations not bound
to their document's current text (``text_sha256``) are skipped with the reason: spans made
on another text cannot be compared.

Annotations are grouped by document in memory (agreement needs every annotator of a
document at once); documents are streamed and only the tokens of multiply-annotated
documents are kept. Kappa is computed from counted tag pairs (a contingency table, flat in
the number of tokens); alpha needs the token-by-annotator table, kept as 2-byte codes and
turned into the package's float matrix at the end.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .records import Annotation, Document, recency, text_sha256

__all__ = [
    "Counts", "PairAgreement", "AgreementReport", "agreement", "token_tags", "cohen_kappa",
    "render_table", "write_report", "to_markdown",
]


@dataclass
class Counts:
    """Matches between annotator A (reference) and B: sizes and matched items of each."""

    n_a: int = 0
    n_b: int = 0
    m_a: int = 0
    m_b: int = 0

    def __iadd__(self, other: "Counts") -> "Counts":
        self.n_a += other.n_a
        self.n_b += other.n_b
        self.m_a += other.m_a
        self.m_b += other.m_b
        return self

    @property
    def precision(self) -> float | None:
        return self.m_b / self.n_b if self.n_b else None

    @property
    def recall(self) -> float | None:
        return self.m_a / self.n_a if self.n_a else None

    @property
    def f1(self) -> float | None:
        """None when neither annotator has any item (nothing to agree on)."""
        if not self.n_a and not self.n_b:
            return None
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"n_a": self.n_a, "n_b": self.n_b, "matched_a": self.m_a, "matched_b": self.m_b,
                "precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1)}


def _r(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, 6)


def _exact(a: set, b: set) -> Counts:
    tp = len(a & b)
    return Counts(len(a), len(b), tp, tp)


def _overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> Counts:
    def hit(x, ys):
        return any(x[0] < y[1] and y[0] < x[1] for y in ys)
    return Counts(len(a), len(b), sum(hit(x, b) for x in a), sum(hit(y, a) for y in b))


# --------------------------------------------------------------------------- token tags


def token_tags(tokens: Sequence[Sequence[int]], entities: Iterable, scheme: str = "BIO") -> list[str]:
    """BIO (or IO) tags of ``tokens`` from entity spans; the longest span claims tokens first."""
    if scheme not in ("BIO", "IO"):
        raise ValueError(f"unknown tag scheme {scheme!r}; allowed: BIO, IO")
    tags = ["O"] * len(tokens)
    starts = [t[0] for t in tokens]
    from bisect import bisect_left, bisect_right

    for e in sorted(entities, key=lambda e: (e.start, -(e.end - e.start), e.type)):
        # tokens overlapping [start, end): token.start < end and token.end > start
        lo = max(0, bisect_right(starts, e.start) - 1)
        hi = bisect_left(starts, e.end)
        first = True
        for i in range(lo, hi):
            ts, te = tokens[i]
            if te <= e.start or ts >= e.end or tags[i] != "O":
                continue
            tags[i] = (f"B-{e.type}" if first else f"I-{e.type}") if scheme == "BIO" else f"I-{e.type}"
            first = False
    return tags


def cohen_kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa of two label sequences; None when chance agreement is 1 (one label only)."""
    if len(a) != len(b):
        raise ValueError(f"sequences of different lengths: {len(a)} and {len(b)}")
    return _kappa(Counter(zip(a, b)))


def _kappa(table: Mapping[tuple, int]) -> float | None:
    """Cohen's kappa from a contingency table {(label of A, label of B): count}."""
    n = sum(table.values())
    if n == 0:
        return None
    ca: Counter = Counter()
    cb: Counter = Counter()
    agree = 0
    for (x, y), c in table.items():
        ca[x] += c
        cb[y] += c
        if x == y:
            agree += c
    po = agree / n
    pe = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    return None if pe == 1 else (po - pe) / (1 - pe)


def _type_of(tag: str) -> str | None:
    return None if tag == "O" else tag[2:]


# --------------------------------------------------------------------------- results


@dataclass
class PairAgreement:
    a: str
    b: str
    documents: int = 0
    tokens: int = 0
    entity_exact: Counts = field(default_factory=Counts)
    entity_overlap: Counts = field(default_factory=Counts)
    exact_by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    overlap_by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    trigger: Counts = field(default_factory=Counts)
    trigger_by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    argument: Counts = field(default_factory=Counts)
    argument_by_role: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    kappa: float | None = None
    kappa_by_type: dict[str, float | None] = field(default_factory=dict)
    # token tag pairs counted, not listed: memory stays flat in the number of tokens
    _table: Counter = field(default_factory=Counter, repr=False)

    def as_dict(self) -> dict:
        return {
            "a": self.a, "b": self.b, "documents": self.documents, "tokens": self.tokens,
            "entity_exact": self.entity_exact.as_dict(), "entity_overlap": self.entity_overlap.as_dict(),
            "by_type": {t: {"exact": self.exact_by_type[t].as_dict(), "overlap": self.overlap_by_type[t].as_dict(),
                            "kappa": _r(self.kappa_by_type.get(t))} for t in sorted(self.exact_by_type)},
            "kappa": _r(self.kappa),
            "trigger": self.trigger.as_dict(),
            "trigger_by_type": {t: c.as_dict() for t, c in sorted(self.trigger_by_type.items())},
            "argument": self.argument.as_dict(),
            "argument_by_role": {r: c.as_dict() for r, c in sorted(self.argument_by_role.items())},
        }


@dataclass
class AgreementReport:
    """Agreement figures; ``summary()`` is a JSON-safe dict for other stages (release card)."""

    documents: int
    annotators: list[str]
    pairs: list[PairAgreement]
    labels: list[str]
    alpha: float | None
    alpha_by_type: dict[str, float | None]
    tokens: int
    scheme: str
    skipped: list[dict]

    def pooled(self) -> dict:
        """Counts summed over every pair, overall and per label; kappa averaged over pairs."""
        def total(getter) -> Counts:
            c = Counts()
            for p in self.pairs:
                c += getter(p)
            return c

        def mean(values):
            values = [v for v in values if v is not None]
            return sum(values) / len(values) if values else None

        return {
            "entity_exact": total(lambda p: p.entity_exact),
            "entity_overlap": total(lambda p: p.entity_overlap),
            "trigger": total(lambda p: p.trigger),
            "argument": total(lambda p: p.argument),
            "kappa": mean(p.kappa for p in self.pairs),
            "by_type": {t: {"exact": total(lambda p: p.exact_by_type.get(t, Counts())),
                            "overlap": total(lambda p: p.overlap_by_type.get(t, Counts())),
                            "kappa": mean(p.kappa_by_type.get(t) for p in self.pairs)} for t in self.labels},
        }

    def summary(self) -> dict:
        pooled = self.pooled()
        return {
            "documents": self.documents,
            "annotators": self.annotators,
            "tokens": self.tokens,
            "tag_scheme": self.scheme,
            "entity_f1_exact": _r(pooled["entity_exact"].f1),
            "entity_f1_overlap": _r(pooled["entity_overlap"].f1),
            "cohen_kappa_mean": _r(pooled["kappa"]),
            "krippendorff_alpha": _r(self.alpha),
            "trigger_f1": _r(pooled["trigger"].f1),
            "argument_f1": _r(pooled["argument"].f1),
            "by_label": {t: {"f1_exact": _r(v["exact"].f1), "f1_overlap": _r(v["overlap"].f1),
                             "kappa_mean": _r(v["kappa"]), "alpha": _r(self.alpha_by_type.get(t)),
                             "spans": v["exact"].n_a + v["exact"].n_b}
                         for t, v in pooled["by_type"].items()},
            "pairs": [p.as_dict() for p in self.pairs],
            "skipped": self.skipped,
        }


# --------------------------------------------------------------------------- computing


_order_key = recency


def _select(annotations: Iterable[Annotation], statuses: Sequence[str], skipped: list[dict]) -> dict[str, dict[str, Annotation]]:
    by_doc: dict[str, dict[str, Annotation]] = defaultdict(dict)
    for ann in annotations:
        if ann.status not in statuses:
            if ann.status != "cancelled":
                skipped.append({"document": ann.document_id, "annotation": ann.id, "annotator": ann.annotator,
                                "reason": f"status {ann.status!r} (counted: {', '.join(statuses)})"})
            continue
        have = by_doc[ann.document_id].get(ann.annotator)
        if have is not None:
            old, new = sorted((have, ann), key=_order_key)
            skipped.append({"document": ann.document_id, "annotation": old.id, "annotator": ann.annotator,
                            "reason": f"superseded by the later annotation {new.id!r} of the same annotator"})
            ann = new
        by_doc[ann.document_id][ann.annotator] = ann
    return by_doc


def _bind(doc_id: str, anns: dict[str, Annotation], doc_sha: str | None, skipped: list[dict]) -> dict[str, Annotation]:
    """Keep the annotations bound to the document's text (or the most common text when the
    document is unknown)."""
    if doc_sha is None:
        counts = Counter(a.text_sha256 for a in anns.values())
        doc_sha = min(counts, key=lambda s: (-counts[s], s))
    kept = {}
    for who, a in sorted(anns.items()):
        if a.text_sha256 == doc_sha:
            kept[who] = a
        else:
            skipped.append({"document": doc_id, "annotation": a.id, "annotator": who,
                            "reason": "stale: made on another version of the text (re-anchor it with corpus validate --reanchor)"})
    return kept


def _entity_sets(ann: Annotation):
    exact = defaultdict(set)
    spans = defaultdict(list)
    for e in ann.entities:
        exact[e.type].add((e.start, e.end))
        spans[e.type].append((e.start, e.end))
    return exact, spans


def _event_sets(ann: Annotation):
    ents = {e.id: e for e in ann.entities}
    triggers = defaultdict(set)
    args = defaultdict(set)
    for ev in ann.events:
        t = (ev.trigger.start, ev.trigger.end)
        triggers[ev.type].add(t)
        for arg in ev.arguments:
            f = ents.get(arg.entity)
            if f is not None:  # a dangling argument is a validation error, not a disagreement
                args[arg.role].add((t, ev.type, f.start, f.end, f.type))
    return triggers, args


def _compare(pair: PairAgreement, a: Annotation, b: Annotation) -> None:
    pair.documents += 1
    ea, sa = _entity_sets(a)
    eb, sb = _entity_sets(b)
    for t in set(ea) | set(eb):
        ex = _exact(ea.get(t, set()), eb.get(t, set()))
        ov = _overlap(sa.get(t, []), sb.get(t, []))
        pair.exact_by_type[t] += ex
        pair.overlap_by_type[t] += ov
        pair.entity_exact += ex
        pair.entity_overlap += ov
    ta, ra = _event_sets(a)
    tb, rb = _event_sets(b)
    for t in set(ta) | set(tb):
        c = _exact(ta.get(t, set()), tb.get(t, set()))
        pair.trigger_by_type[t] += c
        pair.trigger += c
    for r in set(ra) | set(rb):
        c = _exact(ra.get(r, set()), rb.get(r, set()))
        pair.argument_by_role[r] += c
        pair.argument += c


def agreement(
    annotations: Iterable[Annotation],
    documents: Iterable[Document] | Mapping[str, Document] = (),
    *,
    statuses: Sequence[str] = ("submitted",),
    scheme: str = "BIO",
) -> AgreementReport:
    """Agreement of every annotator pair on the documents both labeled (see module doc)."""
    skipped: list[dict] = []
    by_doc = _select(annotations, statuses, skipped)
    multi = {d for d, anns in by_doc.items() if len(anns) >= 2}
    docs_iter = documents.values() if isinstance(documents, Mapping) else documents
    tokens: dict[str, tuple[str, list]] = {}
    for doc in docs_iter:
        if doc.id in multi:
            tokens[doc.id] = (text_sha256(doc.text), [tuple(t) for t in doc.tokens])

    pairs: dict[tuple[str, str], PairAgreement] = {}
    annotators: set[str] = set()
    labels: set[str] = set()
    # for alpha: per annotator, a code per token (-1: did not label that document), 2 bytes each
    codes: dict[str, int] = {}
    columns: dict[str, array] = {}
    n_units = 0
    n_docs = 0
    for doc_id in sorted(multi):
        known = tokens.get(doc_id)
        anns = _bind(doc_id, by_doc[doc_id], known[0] if known else None, skipped)
        if len(anns) < 2:
            continue
        n_docs += 1
        if known is None:
            skipped.append({"document": doc_id, "annotation": None, "annotator": None,
                            "reason": "document not found: spans compared, token kappa and alpha left out"})
        tags = {who: token_tags(known[1], a.entities, scheme) for who, a in anns.items()} if known else {}
        for a in anns.values():
            labels.update(e.type for e in a.entities)
        annotators.update(anns)
        for x, y in combinations(sorted(anns), 2):
            pair = pairs.setdefault((x, y), PairAgreement(x, y))
            _compare(pair, anns[x], anns[y])
            if known:
                pair.tokens += len(known[1])
                pair._table.update(zip(tags[x], tags[y]))
        if known:
            for who in anns:
                if who not in columns:
                    columns[who] = array("h", [-1]) * n_units
            for who, col in columns.items():
                if who in tags:
                    col.extend(codes.setdefault(t, len(codes)) for t in tags[who])
                else:
                    col.extend(array("h", [-1]) * len(known[1]))
            n_units += len(known[1])

    label_list = sorted(labels)
    for pair in pairs.values():
        if pair.tokens:
            pair.kappa = _kappa(pair._table)
            pair.kappa_by_type = {}
            for lab in label_list:
                binary: Counter = Counter()
                for (x, y), c in pair._table.items():
                    binary[(_type_of(x) == lab, _type_of(y) == lab)] += c
                pair.kappa_by_type[lab] = _kappa(binary)
        pair._table = Counter()
    people = sorted(annotators)
    tag_of = {c: t for t, c in codes.items()}
    alpha = _alpha(columns, people, {c: c for c in tag_of})
    alpha_by_type = {lab: _alpha(columns, people, {c: int(_type_of(t) == lab) for c, t in tag_of.items()})
                     for lab in label_list}
    return AgreementReport(
        documents=n_docs, annotators=people, pairs=[pairs[k] for k in sorted(pairs)], labels=label_list,
        alpha=alpha, alpha_by_type=alpha_by_type, tokens=n_units, scheme=scheme, skipped=skipped,
    )


def _alpha(columns: dict[str, array], people: list[str], value_of: dict[int, int]) -> float | None:
    """Nominal Krippendorff's alpha of the token table; None when undefined.

    ``value_of`` maps tag codes to the values compared (the tag, or in/out of one label).
    Computed from the coincidence matrix over the *distinct* unit profiles, weighted by
    how often each occurs: exact, and small. (The ``krippendorff`` package builds a
    units x values x values array: 7.5 GB for 1.5 million tokens and 25 BIO tags. The
    tests check this function against the package on tables it can handle.)"""
    if len(people) < 2 or not columns or not len(columns[people[0]]):
        return None
    import numpy as np

    lut = np.full(max(value_of, default=0) + 2, -1, dtype=np.int64)  # code -1 (missing) -> last cell
    for c, v in value_of.items():
        lut[c] = v
    table = np.vstack([lut[np.frombuffer(columns[p], dtype=np.int16)] for p in people]).T  # units x annotators
    table.sort(axis=1)  # a unit is a multiset of values: order of annotators does not matter
    profiles, weights = np.unique(table, axis=0, return_counts=True)
    values = sorted({int(v) for v in value_of.values()})
    pos = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for row, w in zip(profiles.tolist(), weights.tolist()):
        present = [pos[v] for v in row if v >= 0]
        m = len(present)
        if m < 2:
            continue  # a unit coded by one annotator has nothing to agree with
        counts = np.bincount(present, minlength=len(values)).astype(float)
        o += w * (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    expected = (n * n - (n_c ** 2).sum()) / (n * (n - 1)) if n > 1 else 0.0
    if expected == 0:
        return None  # one value only: alpha is undefined
    observed = (o.sum() - np.trace(o)) / n
    return float(1 - observed / expected)


# --------------------------------------------------------------------------- output


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def render_table(report: AgreementReport, console=None) -> None:
    """Terminal tables (rich): per annotator pair, then per label."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t = Table(title=f"Agreement per annotator pair ({report.documents} documents, {report.tokens} tokens)")
    for col in ("pair", "docs", "tokens", "entity F1 exact", "entity F1 overlap", "kappa", "trigger F1", "argument F1"):
        t.add_column(col, justify="left" if col == "pair" else "right")
    for p in report.pairs:
        t.add_row(f"{p.a} – {p.b}", str(p.documents), str(p.tokens), _f(p.entity_exact.f1), _f(p.entity_overlap.f1),
                  _f(p.kappa), _f(p.trigger.f1), _f(p.argument.f1))
    console.print(t)
    pooled = report.pooled()
    t2 = Table(title=f"Agreement per label (alpha over all annotators: {_f(report.alpha)})")
    for col in ("label", "spans", "F1 exact", "F1 overlap", "kappa (mean)", "alpha"):
        t2.add_column(col, justify="left" if col == "label" else "right")
    for lab, v in pooled["by_type"].items():
        t2.add_row(lab, str(v["exact"].n_a + v["exact"].n_b), _f(v["exact"].f1), _f(v["overlap"].f1),
                   _f(v["kappa"]), _f(report.alpha_by_type.get(lab)))
    t2.add_row("all", str(pooled["entity_exact"].n_a + pooled["entity_exact"].n_b), _f(pooled["entity_exact"].f1),
               _f(pooled["entity_overlap"].f1), _f(pooled["kappa"]), _f(report.alpha))
    console.print(t2)


def _chart(report: AgreementReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pooled = report.pooled()
    labels = report.labels + ["all"]
    series = {
        "F1 exact": [pooled["by_type"][l]["exact"].f1 for l in report.labels] + [pooled["entity_exact"].f1],
        "F1 overlap": [pooled["by_type"][l]["overlap"].f1 for l in report.labels] + [pooled["entity_overlap"].f1],
        "Cohen's kappa": [pooled["by_type"][l]["kappa"] for l in report.labels] + [pooled["kappa"]],
        "Krippendorff's alpha": [report.alpha_by_type.get(l) for l in report.labels] + [report.alpha],
    }
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(labels) + 2), 4.5), dpi=100)
    width = 0.8 / len(series)
    for k, (name, values) in enumerate(series.items()):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [0 if v is None else v for v in values], width, label=name)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(min([0.0] + [v for vs in series.values() for v in vs if v is not None]), 1.02)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("agreement")
    ax.set_title(f"Inter-annotator agreement per label ({report.documents} documents)")
    ax.legend(fontsize="small", ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    fig.tight_layout()
    from io import BytesIO

    from .io import atomic_write

    buf = BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    atomic_write(path, buf.getvalue())


def to_markdown(report: AgreementReport, chart: str | None = "agreement.png") -> str:
    pooled = report.pooled()
    s = report.summary()
    lines = [
        "# Inter-annotator agreement", "",
        f"{report.documents} documents labeled by two or more of {len(report.annotators)} annotators "
        f"({', '.join(report.annotators)}); {report.tokens} tokens, {report.scheme} tags.", "",
        "| measure | value |", "|---|---|",
        f"| entity span F1, exact | {_f(s['entity_f1_exact'])} |",
        f"| entity span F1, overlap | {_f(s['entity_f1_overlap'])} |",
        f"| Cohen's kappa on token tags (mean over pairs) | {_f(s['cohen_kappa_mean'])} |",
        f"| Krippendorff's alpha (nominal, token tags) | {_f(s['krippendorff_alpha'])} |",
        f"| event trigger F1 | {_f(s['trigger_f1'])} |",
        f"| event argument F1 (role and filler) | {_f(s['argument_f1'])} |", "",
    ]
    if chart:
        lines += [f"![Agreement per label]({chart})", ""]
    lines += ["## Per annotator pair", "",
              "| pair | documents | tokens | entity F1 exact | entity F1 overlap | kappa | trigger F1 | argument F1 |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for p in report.pairs:
        lines.append(f"| {p.a} – {p.b} | {p.documents} | {p.tokens} | {_f(p.entity_exact.f1)} | {_f(p.entity_overlap.f1)} "
                     f"| {_f(p.kappa)} | {_f(p.trigger.f1)} | {_f(p.argument.f1)} |")
    lines += ["", "## Per label (pooled over pairs)", "",
              "| label | spans | F1 exact | F1 overlap | kappa (mean) | alpha |", "|---|---:|---:|---:|---:|---:|"]
    for lab, v in pooled["by_type"].items():
        lines.append(f"| {lab} | {v['exact'].n_a + v['exact'].n_b} | {_f(v['exact'].f1)} | {_f(v['overlap'].f1)} "
                     f"| {_f(v['kappa'])} | {_f(report.alpha_by_type.get(lab))} |")
    ev_types = sorted({t for p in report.pairs for t in p.trigger_by_type})
    roles = sorted({r for p in report.pairs for r in p.argument_by_role})
    if ev_types:
        lines += ["", "## Events (pooled over pairs)", "", "| event type | triggers | trigger F1 |", "|---|---:|---:|"]
        for t in ev_types:
            c = Counts()
            for p in report.pairs:
                c += p.trigger_by_type.get(t, Counts())
            lines.append(f"| {t} | {c.n_a + c.n_b} | {_f(c.f1)} |")
        lines += ["", "| role | arguments | argument F1 |", "|---|---:|---:|"]
        for r in roles:
            c = Counts()
            for p in report.pairs:
                c += p.argument_by_role.get(r, Counts())
            lines.append(f"| {r} | {c.n_a + c.n_b} | {_f(c.f1)} |")
    if report.skipped:
        lines += ["", "## Left out", "", "| document | annotation | annotator | reason |", "|---|---|---|---|"]
        for k in report.skipped:
            lines.append(f"| {k['document']} | {k['annotation'] or ''} | {k['annotator'] or ''} | {k['reason']} |")
    lines += ["", "Exact: same start, end and type. Overlap: any overlap with a span of the same type. "
              "Arguments agree when trigger span, event type, role, filler span and filler type all agree.", ""]
    return "\n".join(lines)


def write_report(report: AgreementReport, out_dir: str | Path) -> list[Path]:
    """Write agreement.md, agreement.json and agreement.png (atomically) into ``out_dir``."""
    import json

    from .io import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = out / "agreement.png"
    has_chart = bool(report.pairs)
    if has_chart:
        _chart(report, png)
    atomic_write(out / "agreement.md", to_markdown(report, png.name if has_chart else None))
    atomic_write(out / "agreement.json", json.dumps(report.summary(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return [out / "agreement.md", out / "agreement.json"] + ([png] if has_chart else [])
