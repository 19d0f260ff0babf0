import msgspec

from corpus.ingest import document_from_text
from corpus.records import Annotation, Argument, Entity, Event, OntologyRef, Trigger
from corpus.release.features import ner_labels
from corpus.release.rows import NerStats, annotation_problems, bio_tags
from corpus.schemas import SCHEMA_VERSION

TEXT = "وصل أشتون كارتر إلى بغداد. وقال كارتر إن القوات ستهاجم الرقة."


def _doc():
    return document_from_text(TEXT, doc_id="d1")


def _ann(doc, entities, events=()):
    return Annotation(schema_version=SCHEMA_VERSION, id="g1", document_id=doc.id, text_sha256=doc.text_sha256,
                      annotator="adj", status="gold", ontology=OntologyRef(name="ace2005", version="1.0.0"),
                      entities=list(entities), events=list(events))


def _ent(doc, eid, etype, start, end):
    return Entity(id=eid, type=etype, start=start, end=end, text=doc.text[start:end], level="NAM")


def _span(doc, needle, nth=0):
    s = -1
    for _ in range(nth + 1):
        s = doc.text.index(needle, s + 1)
    return s, s + len(needle)


def _tags(doc, ann, ontology):
    labels = ner_labels(ontology)
    stats = NerStats()
    ids = bio_tags(doc, ann, {n: i for i, n in enumerate(labels)}, stats)
    return {doc.text[s:e]: labels[t] for (s, e), t in zip(doc.tokens, ids) if t}, stats, [labels[t] for t in ids]


def test_aligned_spans_give_b_and_i(ontology):
    doc = _doc()
    ann = _ann(doc, [_ent(doc, "e1", "PER", *_span(doc, "أشتون كارتر")), _ent(doc, "e2", "GPE", *_span(doc, "بغداد"))])
    tags, stats, _ = _tags(doc, ann, ontology)
    assert tags == {"أشتون": "B-PER", "كارتر": "I-PER", "بغداد": "B-GPE"}
    assert (stats.entities, stats.aligned, stats.expanded) == (2, 2, 0)


def test_span_inside_a_token_is_widened_and_counted(ontology):
    doc = _doc()
    s, e = _span(doc, "قال")  # inside the token وقال
    tags, stats, _ = _tags(doc, _ann(doc, [_ent(doc, "e1", "PER", s, e)]), ontology)
    assert tags == {"وقال": "B-PER"}
    assert stats.expanded == 1 and stats.examples["expanded"] == [f"d1: e1 [{s}, {e})"]


def test_nested_span_is_dropped_from_bio_and_counted(ontology):
    doc = _doc()
    outer = _ent(doc, "e1", "PER", *_span(doc, "أشتون كارتر"))
    inner = _ent(doc, "e2", "PER", *_span(doc, "كارتر"))
    tags, stats, _ = _tags(doc, _ann(doc, [inner, outer]), ontology)
    assert tags == {"أشتون": "B-PER", "كارتر": "I-PER"}
    assert stats.overlap_dropped == 1


def test_span_over_a_sentence_break_starts_again_in_each_sentence(ontology):
    doc = _doc()
    assert len(doc.sentences) == 2
    s = _span(doc, "بغداد")[0]
    e = _span(doc, "وقال")[1]
    _, stats, seq = _tags(doc, _ann(doc, [_ent(doc, "e1", "LOC", s, e)]), ontology)
    first_of_second = next(i for i, (a, _) in enumerate(doc.tokens) if a >= doc.sentences[1][0])
    assert seq[first_of_second] == "B-LOC"
    assert seq[first_of_second - 1] == "I-LOC"  # the full stop ends sentence one
    assert stats.cross_sentence == 1


def test_whitespace_only_span_touches_no_token(ontology):
    doc = _doc()
    s = doc.text.index(" ")
    _, stats, seq = _tags(doc, _ann(doc, [Entity(id="e1", type="PER", start=s, end=s + 1, text=" ")]), ontology)
    assert stats.no_tokens == 1 and set(seq) == {"O"}


def test_problems_name_path_and_value_with_allowed_values(ontology):
    doc = _doc()
    bad = [
        Entity(id="e1", type="PERSON", start=4, end=9, text=doc.text[4:9]),
        Entity(id="e2", type="GPE", start=0, end=3, text="xyz"),
        Entity(id="e3", type="GPE", start=0, end=9999, text="x"),
    ]
    s, e = _span(doc, "ستهاجم")
    ev = Event(id="v1", type="Conflict.Attack", trigger=Trigger(start=s, end=e, text=doc.text[s:e]),
               arguments=[Argument(role="Atacker", entity="e2"), Argument(role="Target", entity="nope")])
    ann = msgspec.structs.replace(_ann(doc, bad, [ev]), text_sha256="0" * 64)
    found = {p: (m, v) for p, m, v in annotation_problems(doc, ann, ontology)}
    assert set(found) == {"$.text_sha256", "$.entities[0].type", "$.entities[1].text", "$.entities[2].start",
                          "$.events[0].arguments[0].role", "$.events[0].arguments[1].entity"}
    assert found["$.entities[0].type"][1] == "PERSON" and "allowed: PER, ORG" in found["$.entities[0].type"][0]
    assert "allowed: Attacker, Target, Instrument, Time, Place" in found["$.events[0].arguments[0].role"][0]
    assert found["$.events[0].arguments[1].entity"][1] == "nope"
