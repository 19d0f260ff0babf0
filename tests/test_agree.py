"""corpus.agree: hand-computed cases, and cross-checks with sklearn, seqeval, nervaluate and
krippendorff."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

from corpus.agree import Counts, agreement, cohen_kappa, token_tags, write_report
from corpus.cli import main
from corpus.ingest import IngestOptions, document_from_text
from corpus.records import Annotation, Argument, Entity, Event, OntologyRef, Trigger, encode
from corpus.schemas import SCHEMA_VERSION

def make_doc(text, doc_id):
    # tiny texts would look like boilerplate lines to ingest
    return document_from_text(text, doc_id=doc_id, options=IngestOptions(boilerplate=False))


TEXT = "كارتر زار قوات التحالف في الموصل"
W = ["كارتر", "زار", "قوات", "التحالف", "في", "الموصل"]  # tokens w0..w5


@pytest.fixture(scope="module")
def doc():
    d = make_doc(TEXT, "d1")
    assert [d.text[s:e] for s, e in d.tokens] == W
    return d


def span(doc, first: int, last: int) -> tuple[int, int]:
    return doc.tokens[first][0], doc.tokens[last][1]


def ent(doc, eid, etype, first, last=None):
    s, e = span(doc, first, first if last is None else last)
    return Entity(id=eid, type=etype, start=s, end=e, text=doc.text[s:e])


def event(doc, eid, etype, tok, args=()):
    s, e = span(doc, tok, tok)
    return Event(id=eid, type=etype, trigger=Trigger(start=s, end=e, text=doc.text[s:e]),
                 arguments=[Argument(role=r, entity=x) for r, x in args])


def ann(doc, who, entities, events=(), aid=None, status="submitted", **kw):
    return Annotation(schema_version=SCHEMA_VERSION, id=aid or f"{doc.id}-{who}", document_id=doc.id,
                      text_sha256=doc.text_sha256, annotator=who, status=status,
                      ontology=OntologyRef(name="ace2005", version="1.0.0"), entities=list(entities),
                      events=list(events), **kw)


def pair_ab(doc):
    """A: PER w0, ORG w2-w3, GPE w5; Attack at w1 (Attacker ORG w2-w3, Target PER w0).
    B: PER w0, ORG w3, LOC w5; Attack at w1 (Attacker ORG w3, Target PER w0), Meet at w4."""
    a = ann(doc, "amal", [ent(doc, "e1", "PER", 0), ent(doc, "e2", "ORG", 2, 3), ent(doc, "e3", "GPE", 5)],
            [event(doc, "v1", "Conflict.Attack", 1, [("Attacker", "e2"), ("Target", "e1")])])
    b = ann(doc, "badr", [ent(doc, "x1", "PER", 0), ent(doc, "x2", "ORG", 3), ent(doc, "x3", "LOC", 5)],
            [event(doc, "y1", "Conflict.Attack", 1, [("Attacker", "x2"), ("Target", "x1")]),
             event(doc, "y2", "Contact.Meet", 4)])
    return a, b


TAGS_A = ["B-PER", "O", "B-ORG", "I-ORG", "O", "B-GPE"]
TAGS_B = ["B-PER", "O", "O", "B-ORG", "O", "B-LOC"]


def test_token_tags(doc):
    a, b = pair_ab(doc)
    assert token_tags(doc.tokens, a.entities) == TAGS_A
    assert token_tags(doc.tokens, b.entities) == TAGS_B
    assert token_tags(doc.tokens, a.entities, "IO") == ["I-PER", "O", "I-ORG", "I-ORG", "O", "I-GPE"]
    # nested: the longer span claims its tokens; a span inside a token still tags it
    nested = [ent(doc, "n1", "GPE", 3), ent(doc, "n2", "ORG", 2, 3),
              Entity(id="n3", type="GPE", start=doc.tokens[5][0] + 2, end=doc.tokens[5][1], text="")]
    assert token_tags(doc.tokens, nested) == ["O", "O", "B-ORG", "I-ORG", "O", "B-GPE"]
    with pytest.raises(ValueError, match="unknown tag scheme 'BILOU'; allowed: BIO, IO"):
        token_tags(doc.tokens, [], "BILOU")


def test_hand_computed_pair(doc):
    r = agreement(pair_ab(doc), [doc])
    assert (r.documents, r.annotators, r.tokens, r.labels) == (1, ["amal", "badr"], 6, ["GPE", "LOC", "ORG", "PER"])
    p = r.pairs[0]
    # exact: only PER w0 agrees: 2*1 / (3+3)
    assert (p.entity_exact.n_a, p.entity_exact.n_b, p.entity_exact.m_a) == (3, 3, 1)
    assert p.entity_exact.f1 == pytest.approx(1 / 3)
    # overlap: PER and ORG match on both sides: P = R = 2/3
    assert (p.entity_overlap.m_a, p.entity_overlap.m_b) == (2, 2)
    assert p.entity_overlap.f1 == pytest.approx(2 / 3)
    assert {t: p.exact_by_type[t].f1 for t in r.labels} == {"GPE": 0.0, "LOC": 0.0, "ORG": 0.0, "PER": 1.0}
    assert p.overlap_by_type["ORG"].f1 == 1.0
    # kappa: po = 3/6, pe = (1*1 + 2*3 + 1*1) / 36 = 2/9, kappa = (1/2 - 2/9) / (7/9) = 5/14
    assert p.kappa == pytest.approx(float(Fraction(5, 14)))
    # alpha (two coders, nominal, no missing): Do = 6/12, De = (144 - 36) / 132 = 9/11, 1 - Do/De = 7/18
    assert r.alpha == pytest.approx(float(Fraction(7, 18)))
    # triggers: Attack agrees, Meet only in B: 2*1 / (1+2); arguments: Target agrees: 2*1 / (2+2)
    assert p.trigger.f1 == pytest.approx(2 / 3)
    assert p.argument.f1 == pytest.approx(0.5)
    assert p.argument_by_role["Target"].f1 == 1.0 and p.argument_by_role["Attacker"].f1 == 0.0
    s = r.summary()
    assert s["entity_f1_exact"] == round(1 / 3, 6) and s["krippendorff_alpha"] == round(7 / 18, 6)
    assert s["by_label"]["PER"] == {"f1_exact": 1.0, "f1_overlap": 1.0, "kappa_mean": 1.0, "alpha": 1.0, "spans": 2}
    json.dumps(s)  # JSON-safe for the release card


def test_symmetric(doc):
    a, b = pair_ab(doc)
    r1 = agreement([a, b], [doc]).pairs[0]
    flipped_names = [ann(doc, "zaid", a.entities, a.events), ann(doc, "badr", b.entities, b.events)]
    r2 = agreement(flipped_names, [doc]).pairs[0]  # now badr is A
    assert (r2.a, r2.b) == ("badr", "zaid")
    assert r1.entity_exact.f1 == r2.entity_exact.f1 and r1.entity_overlap.f1 == r2.entity_overlap.f1
    assert r1.kappa == pytest.approx(r2.kappa) and r1.argument.f1 == r2.argument.f1


def test_cross_check_reference_packages(doc):
    from nervaluate import Evaluator
    from seqeval.metrics import f1_score
    from sklearn.metrics import cohen_kappa_score

    import krippendorff
    import numpy as np

    a, b = pair_ab(doc)
    p = agreement([a, b], [doc]).pairs[0]
    assert p.kappa == pytest.approx(cohen_kappa_score(TAGS_A, TAGS_B))
    assert cohen_kappa(TAGS_A, TAGS_B) == pytest.approx(cohen_kappa_score(TAGS_A, TAGS_B))
    assert p.entity_exact.f1 == pytest.approx(f1_score([TAGS_A], [TAGS_B]))

    def spans(x):
        tok = {s: i for i, (s, _) in enumerate(doc.tokens)}
        end = {e: i for i, (_, e) in enumerate(doc.tokens)}
        return [{"label": e.type, "start": tok[e.start], "end": end[e.end]} for e in x.entities]

    res = Evaluator([spans(a)], [spans(b)], tags=["PER", "ORG", "GPE", "LOC"]).evaluate()
    res = res[0] if isinstance(res, tuple) else res
    assert p.entity_exact.f1 == pytest.approx(res["overall"]["strict"].f1)
    assert p.entity_overlap.f1 == pytest.approx(res["overall"]["ent_type"].f1)
    for t in ("PER", "ORG"):
        assert p.exact_by_type[t].f1 == pytest.approx(res["entities"][t]["strict"].f1)
        assert p.overlap_by_type[t].f1 == pytest.approx(res["entities"][t]["ent_type"].f1)
    codes = {t: i for i, t in enumerate(sorted(set(TAGS_A + TAGS_B)))}
    ref = krippendorff.alpha(reliability_data=np.array([[codes[t] for t in TAGS_A], [codes[t] for t in TAGS_B]]),
                             level_of_measurement="nominal")
    assert agreement([a, b], [doc]).alpha == pytest.approx(ref)


def test_three_annotators_with_a_missing_document(doc):
    """Alpha over all annotators treats a document someone did not label as missing data."""
    d2 = make_doc("زار كارتر الموصل", "d2")
    a, b = pair_ab(doc)
    c = ann(doc, "camil", a.entities)  # agrees with amal on entities, no events
    a2 = ann(d2, "amal", [ent(d2, "e1", "PER", 1), ent(d2, "e2", "GPE", 2)])
    c2 = ann(d2, "camil", [ent(d2, "e1", "PER", 1)])
    r = agreement([a, b, c, a2, c2], [doc, d2])
    assert r.documents == 2 and r.tokens == 9
    assert [(p.a, p.b, p.documents, p.tokens) for p in r.pairs] == [
        ("amal", "badr", 1, 6), ("amal", "camil", 2, 9), ("badr", "camil", 1, 6)]
    # hand computation of the coincidences: units t0..t5 of d1 have 3 values, t0..t2 of d2 have 2
    # d1: t0 PER x3, t1 O x3, t2 (ORG, O, ORG), t3 (I-ORG, B-ORG, I-ORG), t4 O x3, t5 (GPE, LOC, GPE)
    # d2: t0 O x2, t1 PER x2, t2 (GPE, O)
    import numpy as np
    import krippendorff

    rows = {"amal": TAGS_A + ["O", "B-PER", "B-GPE"], "badr": TAGS_B + [None] * 3,
            "camil": TAGS_A + ["O", "B-PER", "O"]}
    labels = sorted({t for v in rows.values() for t in v if t})
    data = np.array([[np.nan if t is None else labels.index(t) for t in rows[k]] for k in ("amal", "badr", "camil")])
    assert r.alpha == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    # and by the formula: o_ck = sum over units of pairs / (m_u - 1)
    from collections import Counter
    o = Counter()
    for j in range(9):
        vals = [rows[k][j] for k in rows if rows[k][j] is not None]
        for x in range(len(vals)):
            for y in range(len(vals)):
                if x != y:
                    o[vals[x], vals[y]] += Fraction(1, len(vals) - 1)
    n_c = Counter()
    for (c1, _), v in o.items():
        n_c[c1] += v
    n = sum(n_c.values())
    d_o = sum(v for (c1, c2), v in o.items() if c1 != c2) / n
    d_e = sum(n_c[c1] * n_c[c2] for c1 in n_c for c2 in n_c if c1 != c2) / (n * (n - 1))
    assert r.alpha == pytest.approx(float(1 - d_o / d_e))
    assert r.pairs[1].kappa == pytest.approx(
        cohen_kappa(TAGS_A + ["O", "B-PER", "B-GPE"], TAGS_A + ["O", "B-PER", "O"]))


def test_selection_cancelled_superseded_stale_and_missing_documents(doc):
    a, b = pair_ab(doc)
    old_b = ann(doc, "badr", [], aid="old", updated_at="2024-01-01T00:00:00Z")
    new_b = ann(doc, "badr", b.entities, b.events, aid="new", updated_at="2024-02-01T00:00:00Z")
    cancelled = ann(doc, "camil", [], status="cancelled")
    pred = ann(doc, "model", a.entities, status="prediction")
    stale = Annotation(**{**{f: getattr(a, f) for f in a.__struct_fields__}, "annotator": "dina", "id": "st",
                          "text_sha256": "0" * 64})
    r = agreement([a, new_b, old_b, cancelled, pred, stale], [doc])
    assert r.annotators == ["amal", "badr"]
    assert r.pairs[0].entity_exact.f1 == pytest.approx(1 / 3)
    assert [(k["annotation"], k["reason"].split(":")[0].split(" ")[0]) for k in r.skipped] == [
        ("old", "superseded"), ("d1-model", "status"), ("st", "stale")]
    # without the document: spans still compared, token measures left out and said so
    r2 = agreement([a, b], [])
    assert r2.pairs[0].entity_exact.f1 == pytest.approx(1 / 3)
    assert r2.pairs[0].kappa is None and r2.alpha is None and r2.tokens == 0
    assert r2.skipped[-1]["reason"].startswith("document not found")


def test_single_annotator_documents_are_not_compared(doc):
    a, _ = pair_ab(doc)
    r = agreement([a], [doc])
    assert r.documents == 0 and r.pairs == [] and r.alpha is None
    assert r.summary()["entity_f1_exact"] is None


def test_counts_edge_cases():
    assert Counts().f1 is None
    assert Counts(2, 0, 0, 0).f1 == 0.0
    assert cohen_kappa(["O", "O"], ["O", "O"]) is None
    with pytest.raises(ValueError, match="different lengths: 2 and 1"):
        cohen_kappa(["O", "O"], ["O"])


def test_report_files(doc, tmp_path):
    r = agreement(pair_ab(doc), [doc])
    paths = write_report(r, tmp_path)
    assert sorted(p.name for p in paths) == ["agreement.json", "agreement.md", "agreement.png"]
    md = (tmp_path / "agreement.md").read_text(encoding="utf-8")
    assert "![Agreement per label](agreement.png)" in md
    assert "| amal – badr | 1 | 6 | 0.333 | 0.667 | 0.357 | 0.667 | 0.500 |" in md
    assert "| PER | 2 | 1.000 | 1.000 | 1.000 | 1.000 |" in md
    assert (tmp_path / "agreement.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "agreement.json").read_text())["argument_f1"] == 0.5
    # deterministic
    first = {p.name: p.read_bytes() for p in paths}
    write_report(r, tmp_path)
    assert {p.name: p.read_bytes() for p in paths} == first


def test_cli(doc, tmp_path):
    a, b = pair_ab(doc)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/documents-00000.jsonl").write_bytes(encode(doc) + b"\n")
    (tmp_path / "ann.jsonl").write_bytes(encode(a) + b"\n" + encode(b) + b"\n")
    r = CliRunner().invoke(main, ["agree", str(tmp_path / "ann.jsonl"), "--documents", str(tmp_path / "docs"),
                                  "--out", str(tmp_path / "report")], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "amal – badr" in r.stdout and "0.357" in r.stdout
    assert (tmp_path / "report/agreement.md").exists()
    j = CliRunner().invoke(main, ["agree", str(tmp_path / "ann.jsonl"), "--documents", str(tmp_path / "docs"),
                                  "--format", "json"])
    assert json.loads(j.stdout)["cohen_kappa_mean"] == round(5 / 14, 6)
    h = CliRunner().invoke(main, ["agree", "--help"])
    assert h.exit_code == 0 and "Example" in h.output


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_the_krippendorff_package_on_random_tables(seed):
    """The distinct-profile computation equals the package (which holds every unit)."""
    from array import array

    import krippendorff
    import numpy as np

    from corpus.agree import _alpha

    rng = np.random.default_rng(seed)
    people = ["a", "b", "c", "d"][: 2 + seed % 3]
    n_units, n_values = 300, 3 + seed
    codes = rng.integers(0, n_values, size=(len(people), n_units))
    agree_with_first = rng.random((len(people), n_units)) < 0.6  # make it better than chance
    codes = np.where(agree_with_first, codes[0], codes)
    codes[rng.random(codes.shape) < 0.15] = -1  # missing
    columns = {p: array("h", codes[i].astype(np.int16).tobytes()) for i, p in enumerate(people)}
    ours = _alpha(columns, people, {c: c for c in range(n_values)})
    ref = krippendorff.alpha(reliability_data=np.where(codes < 0, np.nan, codes).astype(float),
                             level_of_measurement="nominal")
    assert ours == pytest.approx(ref, abs=1e-12)
    # and binary (one label against the rest)
    ours1 = _alpha(columns, people, {c: int(c == 1) for c in range(n_values)})
    ref1 = krippendorff.alpha(reliability_data=np.where(codes < 0, np.nan, codes == 1).astype(float),
                              level_of_measurement="nominal")
    assert ours1 == pytest.approx(ref1, abs=1e-12)
