"""The annotation guidelines: a versioned document of the repository, named in the
release's datasheet (the labeling view showing them is checked in test_browser.py)."""

from __future__ import annotations

import hashlib

from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.ontology import load_ontology
from corpus.records import Annotation, Entity, OntologyRef
from corpus.release import build_release
from corpus.release.inputs import CorpusInfo
from corpus.schemas import SCHEMA_VERSION, schema_root
from corpus.studio.guidelines import guidelines_ref

ONT = load_ontology()


def test_guidelines_ref_names_the_committed_file_and_its_version(tmp_path):
    ref = guidelines_ref(ONT)
    path = schema_root() / "guidelines" / f"{ONT.name}.md"
    head = path.read_text(encoding="utf-8").splitlines()[2]
    assert head.startswith(f"Guidelines version {ref['version']}, for the ontology `{ONT.name}` {ref['ontology_version']}")
    assert ref["path"] == f"schema/guidelines/{ONT.name}.md"
    assert ref["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # no file, or a file without a version line: nothing to cite
    (tmp_path / "guidelines").mkdir()
    assert guidelines_ref(ONT, tmp_path) is None
    (tmp_path / "guidelines" / f"{ONT.name}.md").write_text("# Guidelines\n\nno version here\n", encoding="utf-8")
    assert guidelines_ref(ONT, tmp_path) is None


def test_release_datasheet_names_the_guidelines(tmp_path):
    docs, gold = [], []
    for i, city in enumerate(["بغداد", "الموصل", "باريس"]):
        doc = document_from_text(f"وصل وزير الدفاع إلى {city} أمس.", doc_id=f"g{i}", path=f"seeds/g{i}.txt")
        s = doc.text.index(city)
        docs.append(doc)
        gold.append(Annotation(schema_version=SCHEMA_VERSION, id=f"gold-{doc.id}", document_id=doc.id,
                               text_sha256=doc.text_sha256, annotator="adjudicator", status="gold",
                               ontology=OntologyRef(**ONT.ref()), events=[],
                               entities=[Entity(id="e1", type="GPE", start=s, end=s + len(city), text=city, level="NAM")]))
    write_jsonl(tmp_path / "documents" / "documents-00000.jsonl", docs)
    write_jsonl(tmp_path / "gold" / "gold.jsonl", gold)
    info = CorpusInfo(name="guidelines-test", pretty_name="Guidelines test", license="cc-by-4.0",
                      credits=["Sentences written for this test"])
    result = build_release("0.1.0", documents=tmp_path / "documents", gold=tmp_path / "gold", out=tmp_path / "out",
                           info=info, date="2026-01-15", ontology=ONT)
    sheet = (result.path / "DATASHEET.md").read_text(encoding="utf-8")
    ref = guidelines_ref(ONT)
    assert (f"Annotation guidelines: `schema/guidelines/{ONT.name}.md` version {ref['version']}, "
            f"sha256 {ref['sha256'][:12]}…, shown in the Label Studio labeling view.") in sheet
