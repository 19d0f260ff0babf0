"""CoNLL/BIO import: the two real files in ../shared/data, and made-up files for each rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.errors import CorpusError
from corpus.importers import import_corpus, load_mapping, source_info
from corpus.importers.conll import decode_tags
from corpus.ontology import load_ontology
from corpus.schemas import schema_errors
from corpus.validate import validate_paths
from import_helpers import bio_of, load_corpus, read_jsonl, reference_sentences, repaired


def _expected_repairs(sentences) -> set[int]:
    """Lines where an I- tag continues no mention (the conlleval cases), found independently."""
    lines = set()
    for sent in sentences:
        prev = "O"
        for n, _, tag in sent:
            if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
                lines.add(n)
            prev = tag
    return lines


@pytest.fixture(scope="module")
def anercorp_import(tmp_path_factory, anercorp):
    out = tmp_path_factory.mktemp("anercorp")
    return import_corpus([anercorp], out, "conll"), out


@pytest.fixture(scope="module")
def newsfane_import(tmp_path_factory, newsfane):
    out = tmp_path_factory.mktemp("newsfane")
    return import_corpus([newsfane], out, "conll"), out


@pytest.mark.parametrize("which", ["anercorp", "newsfane"])
def test_real_file_tokens_and_tags_come_back_after_the_reported_repairs(which, request):
    result, out = request.getfixturevalue(f"{which}_import")
    path = request.getfixturevalue(which)
    ref = reference_sentences(path)
    repairs = read_jsonl(out / "repairs.jsonl")
    assert {r["line"] for r in repairs} == _expected_repairs(ref)
    assert all(r["path"].endswith(path.name) and r["kind"] == "repair" for r in repairs)

    docs, gold = load_corpus(out)
    got = [sent for doc in docs for sent in bio_of(doc, gold[doc.id])]
    assert got == repaired(ref, {r["line"] for r in repairs})
    assert result.documents == len(docs) == len(ref)  # default: one sentence per document
    assert result.tokens == sum(len(s) for s in ref)
    assert not read_jsonl(out / "rejects.jsonl")


def test_anercorp_counts_repairs_and_credits(anercorp_import, anercorp):
    result, out = anercorp_import
    c = result.counts()
    assert (c["documents"], c["sentences"], c["tokens"]) == (925, 925, 25008)  # SOURCE.md: 25,008 words
    assert set(c["mentions"]) == {"PERS", "LOC", "ORG", "MISC"}
    assert c["repairs"] == 74
    # a repair at the very start of a sentence (SOURCE.md: "also right after a sentence break")
    first = read_jsonl(out / "repairs.jsonl")[0]
    line = anercorp.read_text(encoding="utf-8").split("\n")[first["line"] - 1]
    assert line.endswith(first["value"]) and first["value"].startswith("I-")
    assert "sentence start" in first["reason"]
    corpus = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    assert corpus["license"] == "cc-by-sa-4.0"
    assert corpus["source"]["license"] == "CC BY-SA 4.0"
    assert "Benajiba" in corpus["citation"] and "CAMeL" in corpus["credits"][0]
    assert corpus["import"]["counts"]["tokens"] == 25008


def test_newsfane_bom_crlf_tab_lines_and_hyphenated_types(newsfane_import, newsfane):
    result, out = newsfane_import
    assert newsfane.read_bytes()[:3] == b"\xef\xbb\xbf" and b"\r\n\t\r\n" in newsfane.read_bytes()
    docs, gold = load_corpus(out)
    first = docs[0]
    assert first.source.encoding == "utf-8-sig" and first.source.format == "conll" and first.source.line == 1
    assert "\ufeff" not in first.text and "\r" not in first.text and "\t" not in first.text
    assert first.raw_length == len(first.text) and first.edits == []
    assert first.normalization.profile == "conll-rebuild"
    assert gold[first.id].entities[0].type == "Population-Center"
    assert result.tokens == 168080 and result.documents == 4760
    assert "Population-Center" in result.mentions and "GPE-Cluster" in result.mentions
    onto = load_ontology(out / "ontology.json")  # valid against the ontology schema
    assert set(onto.entity_types) == set(result.mentions)
    assert onto.event_types == [] and onto.roles == []
    assert json.loads((out / "corpus.json").read_text(encoding="utf-8"))["license"] == "cc-by-sa-3.0"


def test_imported_folder_passes_validate(anercorp_import):
    _, out = anercorp_import
    problems = list(validate_paths([out / "documents", out / "gold"], ontology=out / "ontology.json"))
    assert problems == []


def test_document_ids_are_stable_and_outputs_deterministic(tmp_path, anercorp):
    a, b = tmp_path / "a", tmp_path / "b"
    import_corpus([anercorp], a, "conll", doc_sentences=10)
    import_corpus([anercorp], b, "conll", doc_sentences=10)
    for rel in ("documents/documents-00000.jsonl", "gold/gold-00000.jsonl", "ontology.json", "corpus.json",
                "repairs.jsonl"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    docs, _ = load_corpus(a)
    assert docs[0].id.startswith("conll-0eac2e38f4e8e305-") and docs[0].id.endswith("-000001")
    assert len(docs) == 93 and len(docs[0].sentences) == 10 and len(docs[-1].sentences) == 5
    # re-run into the same folder with fewer documents: no stale shard or record left
    import_corpus([anercorp], a, "conll", doc_sentences=0)
    docs, gold = load_corpus(a)
    assert len(docs) == 1 and len(docs[0].sentences) == 925 and len(gold) == 1


def _write(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_crlf_bom_space_separated_and_whitespace_separator_lines(tmp_path):
    src = _write(tmp_path / "x.conll", "عبد B-PERS\r\nالله I-PERS\r\nقال O\r\n \t \r\nفي O\r\nعمان B-Population-Center\r\n",
                 bom=True)
    r = import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0")
    docs, gold = load_corpus(tmp_path / "out")
    assert [d.text for d in docs] == ["عبد الله قال", "في عمان"]
    assert docs[0].source.encoding == "utf-8-sig"
    assert [(e.type, e.text) for e in gold[docs[0].id].entities] == [("PERS", "عبد الله")]
    assert [(e.type, e.text) for e in gold[docs[1].id].entities] == [("Population-Center", "عمان")]
    assert r.sentences == 2 and r.tokens == 5 and r.repairs == []


def test_tab_separated_tokens_may_hold_spaces_and_middle_columns_are_ignored(tmp_path):
    src = _write(tmp_path / "x.conll", "New York\tNNP\tB-LOC\nis\tVBZ\tO\n")
    import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0", language="en")
    docs, gold = load_corpus(tmp_path / "out")
    d = docs[0]
    assert [d.text[a:b] for a, b in d.tokens] == ["New York", "is"]
    assert gold[d.id].entities[0].text == "New York"


def test_docstart_lines_group_documents_by_default(tmp_path):
    src = _write(tmp_path / "x.conll", "-DOCSTART- -X- O\n\nA B-ORG\nb O\n\nc O\n\n-DOCSTART- -X- O\n\nd B-PER\n")
    import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0", language="en")
    docs, gold = load_corpus(tmp_path / "out")
    assert [d.text for d in docs] == ["A b\nc", "d"]
    assert docs[0].sentences == [(0, 3), (4, 5)] and docs[0].source.line == 3
    assert [e.text for e in gold[docs[1].id].entities] == ["d"]


def test_doc_sentences_and_custom_boundary(tmp_path):
    src = _write(tmp_path / "x.conll", "a O\n\nb O\n\nc O\n\n#doc O\nd O\n\ne O\n")
    import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0", doc_sentences=2, doc_boundary=r"^#doc$")
    docs, _ = load_corpus(tmp_path / "out")
    assert [d.text for d in docs] == ["a\nb", "c", "d\ne"]


def test_conlleval_repairs_are_reported_with_file_and_line(tmp_path):
    src = _write(tmp_path / "x.conll", "a I-PER\nb O\nc I-LOC\nd I-ORG\ne B-PER\nf I-PER\n")
    seen = []
    r = import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0", on_issue=seen.append)
    assert [(i.kind, i.line, i.value) for i in seen] == [("repair", 1, "I-PER"), ("repair", 3, "I-LOC"),
                                                         ("repair", 4, "I-ORG")]
    assert str(seen[2]).startswith(f"{tmp_path.name}/x.conll:4: repair: I-ORG after I-LOC read as B-ORG")
    _, gold = load_corpus(tmp_path / "out")
    ents = next(iter(gold.values())).entities
    assert [(e.type, e.text) for e in ents] == [("PER", "a"), ("LOC", "c"), ("ORG", "d"), ("PER", "e f")]
    assert len(r.repairs) == 3 and len(read_jsonl(tmp_path / "out" / "repairs.jsonl")) == 3


def test_a_bad_line_rejects_its_sentence_only(tmp_path):
    src = _write(tmp_path / "x.conll", "a O\nlonely\nb O\n\nc B-PER\n\nd X-PER\n\ne O\n")
    seen = []
    r = import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0", on_issue=seen.append)
    rejects = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert [(x["line"], x["raw"]) for x in rejects] == [(2, "a O\nlonely\nb O"), (7, "d X-PER")]
    assert "needs a token and a tag" in rejects[0]["reason"] and rejects[0]["value"] == "lonely"
    assert "'X-PER' is not in the bio scheme" in rejects[1]["reason"]
    docs, _ = load_corpus(tmp_path / "out")
    assert [d.text for d in docs] == ["c", "e"]
    assert r.documents == 2 and len(r.rejects) == 2


def test_invalid_utf8_is_pinned_to_its_line(tmp_path):
    src = tmp_path / "x.conll"
    src.write_bytes(b"a O\n\n\xff\xfeb O\n\nc O\n")
    import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0")
    rejects = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert len(rejects) == 1 and rejects[0]["line"] == 3 and "not valid UTF-8" in rejects[0]["reason"]
    assert "\\xff" in rejects[0]["raw"]
    docs, _ = load_corpus(tmp_path / "out")
    assert [d.text for d in docs] == ["a", "c"]


def test_utf16_with_bom(tmp_path):
    src = tmp_path / "x.conll"
    src.write_bytes("a B-PER\r\nb O\r\n".encode("utf-16"))
    import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0")
    docs, gold = load_corpus(tmp_path / "out")
    assert docs[0].text == "a b" and docs[0].source.encoding == "utf-16"
    assert gold[docs[0].id].entities[0].text == "a"


def test_missing_file_is_reported_and_others_go_through(tmp_path, anercorp):
    r = import_corpus([tmp_path / "nope.conll", anercorp], tmp_path / "out", "conll")
    assert r.files_failed == 1 and r.documents == 925
    assert "nope.conll" in r.rejects[0].path and "no such file" in r.rejects[0].reason


def test_same_file_twice_is_not_imported_twice(tmp_path, anercorp):
    r = import_corpus([anercorp, anercorp], tmp_path / "out", "conll")
    assert r.documents == 925 and len(r.rejects) == 925
    assert "already imported" in r.rejects[0].reason


@pytest.mark.parametrize("scheme,tags,spans,repairs", [
    ("bio", ["B-A", "I-A", "O", "B-A", "B-A"], [(0, 2, "A"), (3, 4, "A"), (4, 5, "A")], []),
    ("bio", ["I-A", "I-B", "I-B"], [(0, 1, "A"), (1, 3, "B")], [0, 1]),
    ("bio", ["B-Population-Center", "I-Population-Center"], [(0, 2, "Population-Center")], []),
    ("iob1", ["I-A", "I-A", "B-A", "O", "I-B"], [(0, 2, "A"), (2, 3, "A"), (4, 5, "B")], []),
    ("io", ["PER", "PER", "O", "I-LOC"], [(0, 2, "PER"), (3, 4, "LOC")], []),
    ("bioes", ["B-A", "I-A", "E-A", "S-B", "O", "I-C", "E-C"], [(0, 3, "A"), (3, 4, "B"), (5, 7, "C")], [5]),
    ("bioes", ["E-A", "S-A"], [(0, 1, "A"), (1, 2, "A")], [0]),
])
def test_tag_schemes(scheme, tags, spans, repairs):
    got_spans, got_repairs = decode_tags(tags, scheme)
    assert got_spans == spans
    assert [i for i, _ in got_repairs] == repairs


def test_unknown_tag_raises_with_the_token_index():
    with pytest.raises(ValueError, match="token 1: tag 'S-A' is not in the bio scheme"):
        decode_tags(["O", "S-A"], "bio")


def test_mapping_file_json_and_tsv_with_unmapped_labels_reported(tmp_path, anercorp):
    m = tmp_path / "map.tsv"
    m.write_text("# ANERcorp to ACE\nPERS\tPER\nLOC\tLOC\nORG\tORG\n", encoding="utf-8")
    assert load_mapping(m, load_ontology()) == {"PERS": "PER", "LOC": "LOC", "ORG": "ORG"}
    r = import_corpus([anercorp], tmp_path / "out", "conll", mapping=m)
    onto = json.loads((tmp_path / "out" / "ontology.json").read_text(encoding="utf-8"))
    assert {t["name"]: t.get("maps_to") for t in onto["entity_types"]} == {
        "LOC": "LOC", "MISC": None, "ORG": "ORG", "PERS": "PER"}
    assert list(schema_errors("ontology", onto)) == []
    assert [w.value for w in r.warnings] == ["MISC"] and "no mapping" in r.warnings[0].reason
    assert read_jsonl(tmp_path / "out" / "warnings.jsonl")[0]["value"] == "MISC"
    # labels keep their own names in the annotations
    _, gold = load_corpus(tmp_path / "out")
    assert "PERS" in {e.type for a in gold.values() for e in a.entities}


def test_mapping_to_a_type_not_in_the_default_ontology_is_an_error(tmp_path):
    m = tmp_path / "map.json"
    m.write_text('{"PERS": "PERSON"}', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"map.json: \$.PERS: maps 'PERS' to 'PERSON'.*allowed: PER, ORG"):
        load_mapping(m, load_ontology())
    t = tmp_path / "map.tsv"
    t.write_text("PERS\tPER\nLOC\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"map.tsv:2: a TSV mapping line is LABEL<TAB>TYPE"):
        load_mapping(t, load_ontology())


def test_given_ontology_rejects_sentences_with_other_labels(tmp_path):
    src = _write(tmp_path / "x.conll", "a B-PER\n\nb B-PERS\n")
    r = import_corpus([src], tmp_path / "out", "conll", license="cc-by-4.0", ontology=load_ontology_path())
    assert r.documents == 1 and len(r.rejects) == 1
    assert r.rejects[0].line == 3 and "label 'PERS' is not in the ontology" in r.rejects[0].reason
    assert "allowed: " in r.rejects[0].reason and json.loads(
        (tmp_path / "out" / "ontology.json").read_text(encoding="utf-8"))["name"] == "ace2005"


def load_ontology_path() -> Path:
    from corpus.schemas import schema_root

    return schema_root() / "ontology" / "ace2005.json"


def test_share_alike_source_stays_share_alike(tmp_path, newsfane):
    with pytest.raises(CorpusError, match="share-alike"):
        import_corpus([newsfane], tmp_path / "out", "conll", license="cc-by-4.0")
    # a share-alike license may be given explicitly
    src = _write(tmp_path / "x.conll", "a O\n")
    with pytest.raises(CorpusError, match="no license known .*give --license"):
        import_corpus([src], tmp_path / "out2", "conll")


def test_source_info_reads_source_md(newsfane, ls_dir):
    info = source_info(newsfane)
    assert info["name"] == "NewsFANE Gold (2014)" and info["license_id"] == "cc-by-sa-3.0"
    assert info["citation"].startswith("F. Alotaibi and M. Lee") and info["citation"].endswith("COLING 2014.")
    kiji = source_info(ls_dir / "kiji_predictions.json")
    assert kiji["license_id"] == "apache-2.0" and "kiji-proxy" in kiji["citation"]
    assert "HumanSignal" not in kiji["citation"]  # the other file's bullet
