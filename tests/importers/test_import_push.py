"""Imported annotations pushed to a real Label Studio server as predictions
(``corpus push DIR/documents --ontology DIR/ontology.json --predictions DIR/gold``).

The server (fixtures ``studio`` and ``ls``) is the one session server of tests/conftest.py,
shared with the studio tests.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.importers import import_corpus
from import_helpers import load_corpus

pytestmark = pytest.mark.studio


def test_imported_corpus_pushed_with_its_annotations_as_predictions(studio, ls, tmp_path, anercorp):
    from corpus.studio.push import find_project, server_tasks

    corpus_dir = tmp_path / "anercorp"
    import_corpus([anercorp], corpus_dir, "conll", doc_sentences=100)
    docs, gold = load_corpus(corpus_dir)
    project = "imported anercorp"
    res = CliRunner().invoke(main, [
        "push", str(corpus_dir / "documents"), "--ontology", str(corpus_dir / "ontology.json"),
        "--predictions", str(corpus_dir / "gold"), "--data-dir", str(studio.data_dir), "--port", str(studio.port),
        "--project", project, "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    p = find_project(ls, project)
    tasks = server_tasks(ls, p.id)
    assert sorted(t["data"]["doc_id"] for t in tasks if t["data"].get("part", 0) == 0) == sorted(d.id for d in docs)
    first = next(t for t in tasks if t["data"]["doc_id"] == docs[0].id and t["data"].get("part", 0) == 0)
    preds = list(ls.predictions.list(task=first["id"]))
    assert len(preds) == 1
    text = ls.tasks.get(id=first["id"]).data["text"]
    offset = first["data"].get("offset", 0)
    assert text == docs[0].text[offset:offset + len(text)]
    got = sorted((r["value"]["start"] + offset, r["value"]["end"] + offset, r["value"]["labels"][0])
                 for r in preds[0].result if r["type"] == "labels")
    want = sorted((e.start, e.end, e.type) for e in gold[docs[0].id].entities
                  if offset <= e.start and e.end <= offset + len(text))
    assert got == want and got
