"""Import -> release -> ``load_dataset(REL, "ner")`` gives back the input tokens and tags,
after the reported repairs; imported annotations can be pushed as Label Studio predictions.

The release side is ``corpus release VERSION --corpus DIR --out REL`` (corpus/cli/release.py)
and ``corpus.release.release_corpus``; these tests hold both sides to the agreed interface.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.importers import import_corpus
from import_helpers import load_corpus, read_jsonl, reference_sentences, repaired


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def _ner_rows(release_dir, cache_dir):
    """Every row of the ner config, all splits, in document and sentence order, as
    ``[(token, tag name), ...]`` per sentence."""
    from datasets import load_dataset

    ds = load_dataset(str(release_dir), "ner", cache_dir=str(cache_dir))
    rows = []
    for split in ds.values():
        names = split.features["ner_tags"].feature.names
        for r in split:
            rows.append(((r["document_id"], r["sentence_index"]),
                         list(zip(r["tokens"], [names[t] for t in r["ner_tags"]]))))
    rows.sort(key=lambda x: x[0])
    return [sent for _, sent in rows], set(ds)


def test_anercorp_cli_import_release_load_dataset(tmp_path, anercorp):
    corpus_dir, rel = tmp_path / "anercorp", tmp_path / "releases"
    runner = CliRunner()
    r = runner.invoke(main, ["import", str(anercorp), "--format", "conll", "--out", str(corpus_dir),
                             "--doc-sentences", "5", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["release", "1.0.0", "--corpus", str(corpus_dir), "--out", str(rel), "--no-previous", "-q"])
    assert r.exit_code == 0, r.output
    release_dir = rel / "1.0.0"
    assert r.output.strip().endswith(str(release_dir))

    repairs = {x["line"] for x in read_jsonl(corpus_dir / "repairs.jsonl")}
    assert len(repairs) == 74
    got, splits = _ner_rows(release_dir, tmp_path / "cache")
    assert got == repaired(reference_sentences(anercorp), repairs)
    assert splits == {"train", "validation", "test"}

    # the card counts the corpus and credits its source and license; share-alike carried over
    card = (release_dir / "README.md").read_text(encoding="utf-8")
    assert "license: cc-by-sa-4.0" in card and "25008 tokens" in card
    assert "Benajiba" in card and "CC BY-SA 4.0" in card
    for name in ("DATASHEET.md", "croissant.json", "manifest.json"):
        assert (release_dir / name).is_file(), name
    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"] if len(f["sha256"]) == 64}
    assert {"README.md", "DATASHEET.md", "croissant.json"} <= listed
    assert any(p.startswith("ner/") and p.endswith(".parquet") for p in listed)
    assert manifest["license"] == "cc-by-sa-4.0" and manifest["counts"]
    verify = runner.invoke(main, ["verify", str(release_dir)])
    assert verify.exit_code == 0, verify.output


@pytest.mark.slow
def test_newsfane_library_import_release_load_dataset(tmp_path, newsfane):
    from corpus.release import release_corpus

    corpus_dir = tmp_path / "newsfane"
    result = import_corpus([newsfane], corpus_dir, "conll")
    repairs = {x.line for x in result.repairs}
    assert len(repairs) == 4
    released = release_corpus("1.0.0", corpus_dir, tmp_path / "releases", previous=False)
    got, _ = _ner_rows(released.path, tmp_path / "cache")
    assert got == repaired(reference_sentences(newsfane), repairs)
    card = (released.path / "README.md").read_text(encoding="utf-8")
    assert "license: cc-by-sa-3.0" in card and "Alotaibi" in card


def test_imported_annotations_become_label_studio_predictions_and_back(tmp_path, anercorp):
    """What ``corpus push --predictions DIR/gold`` sends (result items of each imported
    annotation) reads back as the same entities."""
    from corpus.ontology import load_ontology
    from corpus.studio.convert import annotations_from_task, results_from_annotation

    corpus_dir = tmp_path / "anercorp"
    import_corpus([anercorp], corpus_dir, "conll", doc_sentences=20)
    docs, gold = load_corpus(corpus_dir)
    onto = load_ontology(corpus_dir / "ontology.json")
    for doc in docs[:10]:
        ann = gold[doc.id]
        task = {"id": 1, "data": {"text": doc.text},
                "predictions": [{"model_version": "import", "result": results_from_annotation(ann)}]}
        back, rejects = annotations_from_task(task, doc.text, onto, source="file", include_predictions=True,
                                              document_id=doc.id)
        assert rejects == []
        assert [(e.type, e.start, e.end, e.text) for e in back[0].entities] == [
            (e.type, e.start, e.end, e.text) for e in ann.entities]
