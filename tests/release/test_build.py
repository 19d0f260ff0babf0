"""Building a release from a small corpus made by the real ingest: every config loads with
``datasets`` offline, rebuilds are byte-identical, versions are never overwritten, the
manifest catches tampering, later releases keep splits and report changes."""

from __future__ import annotations

import json

import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import yaml
from click.testing import CliRunner

from release_helpers import make_corpus, make_pair
from corpus.cli import main
from corpus.errors import ReleaseError
from corpus.io import write_jsonl
from corpus.ontology import load_ontology
from corpus.release import build_release, read_manifest, verify_release
from corpus.release.manifest import iter_documents
from corpus.release.features import config_features, features_from_yaml
from corpus.release.inputs import CorpusInfo
from corpus.schemas import schema_errors

INFO = CorpusInfo(name="test-news", pretty_name="Test news", license="cc-by-4.0",
                  credits=["Test fixture articles, written for these tests"])


def _build(corpus: Path, out: Path, version: str = "0.1.0", **kw):
    kw.setdefault("date", "2026-01-15")
    kw.setdefault("info", INFO)
    return build_release(version, documents=corpus / "documents", gold=corpus / "gold", out=out, **kw)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("built")
    corpus = make_corpus(root / "corpus")
    result = _build(corpus, root / "releases", agreement={"summary": {"documents": 3, "annotators": ["a", "b"],
                                                                        "entity_f1_exact": 0.8125}})
    return corpus, result


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_config_loads_offline_with_its_declared_features(built, hf_offline):
    from datasets import load_dataset

    _, result = built
    expected = config_features(load_ontology())
    counts = result.manifest["counts"]["configs"]
    assert set(counts) == {"documents", "entities", "events", "ner"}
    for config in counts:
        ds = load_dataset(str(result.path), config)
        assert {s: d.num_rows for s, d in ds.items()} == counts[config]
        for split in ds.values():
            assert split.features == expected[config]
    ner = load_dataset(str(result.path), "ner")["train"]
    names = ner.features["ner_tags"].feature.names
    assert names[:3] == ["O", "B-PER", "I-PER"]
    row = ner[0]
    tagged = {tok: names[t] for tok, t in zip(row["tokens"], row["ner_tags"]) if t}
    assert tagged["وزير"] == "B-PER" and tagged["كارتر"] == "I-PER" and tagged["التحالف"] == "I-ORG"
    # entity rows point into the documents' text
    docs = {d["id"]: d["text"] for d in load_dataset(str(result.path), "documents")["train"]}
    ents = load_dataset(str(result.path), "entities")["train"]
    for e in ents:
        assert docs[e["document_id"]][e["start"]:e["end"]] == e["text"]
    ev = load_dataset(str(result.path), "events")["train"]
    role_names = ev.features["arguments"].feature["role"].names
    assert ev.features["type"].int2str(ev[0]["type"]) == "Conflict.Attack"
    assert [role_names[a["role"]] for a in ev[0]["arguments"]] == ["Attacker", "Target"]
    assert ev[0]["attributes"]["Tense"] == "FUTURE"


def test_card_dataset_info_and_parquet_schema_come_from_the_same_features(built):
    import pyarrow.parquet as pq
    from datasets import Features

    _, result = built
    text = (result.path / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["license"] == "cc-by-4.0" and meta["language"] == ["ar"]
    assert meta["annotations_creators"] == ["expert-generated"] and meta["size_categories"] == ["n<1K"]
    assert {c["config_name"] for c in meta["configs"]} == {"documents", "entities", "events", "ner"}
    for info in meta["dataset_info"]:
        config = info["config_name"]
        card_features = features_from_yaml(info["features"])
        for split in info["splits"]:
            schema = pq.read_schema(result.path / config / f"{split['name']}-00000-of-00001.parquet")
            assert Features.from_arrow_schema(schema) == card_features
            assert json.loads(schema.metadata[b"corpus"]) == {"config": config, "release": "0.1.0",
                                                              "schema_version": "1.0.0"}
            assert pq.ParquetFile(result.path / config / f"{split['name']}-00000-of-00001.parquet"
                                  ).metadata.row_group(0).column(0).compression == "ZSTD"
    from huggingface_hub import DatasetCard

    card = DatasetCard(text)  # the Hub's own parser of the front matter
    assert card.data.license == "cc-by-4.0" and card.data.pretty_name == "Test news"
    assert [c["config_name"] for c in card.data.configs] == ["documents", "entities", "events", "ner"]
    body = text.split("---\n", 2)[2]
    for fact in ("| train | 10 |", "entity span F1, exact | 0.812", "arabic-news 1.0.0", "`1.0.0`",
                 'load_dataset("path/to/test-news-0.1.0", "ner")', "![Label distribution per split]",
                 "widened", "Test fixture articles"):
        assert fact in body, fact


def test_rebuild_is_byte_identical_whatever_the_input_order(built, tmp_path):
    corpus, result = built
    # the same records, in another order and other shards
    shuffled = tmp_path / "shuffled"
    docs = [l for p in sorted((corpus / "documents").glob("*.jsonl")) for l in p.read_bytes().splitlines()]
    (shuffled / "documents").mkdir(parents=True)
    (shuffled / "documents" / "a.jsonl").write_bytes(b"\n".join(sorted(docs)) + b"\n")
    (shuffled / "gold").mkdir()
    gold = (corpus / "gold" / "gold.jsonl").read_bytes().splitlines()
    (shuffled / "gold" / "g.jsonl").write_bytes(b"\n".join(gold[::-1]) + b"\n")
    again = _build(shuffled, tmp_path / "releases", agreement=result.facts.agreement)
    a, b = _files(result.path), _files(again.path)
    assert sorted(a) == sorted(b)
    different = [k for k in a if a[k] != b[k]]
    assert different == []
    assert a["label_distribution.png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in a["label_distribution.png"]


def test_an_existing_version_is_never_overwritten(built):
    corpus, result = built
    before = _files(result.path)
    with pytest.raises(ReleaseError, match="0.1.0 already exists; a version is never overwritten"):
        _build(corpus, result.path.parent)
    assert _files(result.path) == before
    assert not [p for p in result.path.parent.iterdir() if p.name.startswith(".")]


def test_manifest_lists_every_file_and_the_split_of_every_document(built):
    _, result = built
    manifest = read_manifest(result.path)
    assert list(schema_errors("manifest", manifest)) == []
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(_files(result.path)) - {"manifest.json"}
    # the split of every document: splits.jsonl, named by the manifest and listed with its sha256
    assert manifest["splits"]["file"] == "splits.jsonl" and "splits.jsonl" in listed
    rows = list(iter_documents(result.path))
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows) and len(rows) == 13
    assignment = {r["id"]: r["split"] for r in rows if r["split"] is not None}
    assert len(assignment) == 12 and "doc-012" not in assignment  # doc-012 has no gold
    assert [r["id"] for r in rows if r["split"] is None] == ["doc-012"]
    assert manifest["inputs"]["unannotated"] == 1 and manifest["splits"]["documents"] == 12
    assert manifest["splits"]["groups"] == 2 == manifest["counts"]["near_duplicate_groups"]
    assert assignment["doc-005"] == assignment["doc-004"] and assignment["doc-009"] == assignment["doc-002"]
    group = {r["id"]: r["group"] for r in rows}
    assert group["doc-005"] == group["doc-004"] == "doc-004" and group["doc-001"] is None
    by_id = {r["id"]: r for r in rows}
    assert by_id["doc-003"]["entities"] == 8 and by_id["doc-003"]["events"] == 1
    assert len(by_id["doc-003"]["gold"]) == 64 and by_id["doc-012"]["gold"] is None
    assert manifest["counts"]["ner_alignment"]["overlap_dropped"] == 12
    assert manifest["counts"]["ner_alignment"]["expanded"] == 4


def test_verify_passes_then_catches_changed_missing_and_extra_files(built, tmp_path):
    _, result = built
    copy = tmp_path / "copy"
    shutil.copytree(result.path, copy)
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", str(copy)])
    assert ok.exit_code == 0, ok.output
    assert "release 0.1.0 OK" in ok.output
    data = bytearray((copy / "ner" / "train-00000-of-00001.parquet").read_bytes())
    data[100] ^= 0xFF
    (copy / "ner" / "train-00000-of-00001.parquet").write_bytes(bytes(data))
    (copy / "DATASHEET.md").unlink()
    (copy / "notes.txt").write_text("x")
    report = verify_release(copy)
    assert report.missing == ["DATASHEET.md"] and report.extra == ["notes.txt"]
    assert [c["path"] for c in report.changed] == ["ner/train-00000-of-00001.parquet"]
    bad = runner.invoke(main, ["verify", str(copy)])
    assert bad.exit_code == 1
    assert "changed: ner/train-00000-of-00001.parquet" in bad.output
    assert "missing: DATASHEET.md" in bad.output and "extra: notes.txt" in bad.output


def test_croissant_validates_and_reads_records(built):
    import mlcroissant as mlc

    _, result = built
    cli = Path(sys.executable).parent / "mlcroissant"
    proc = subprocess.run([str(cli), "validate", "--jsonld", str(result.path / "croissant.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((result.path / "croissant.json").read_text(encoding="utf-8"))
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert all(len(f["sha256"]) == 64 for f in doc["distribution"])
    ds = mlc.Dataset(str(result.path / "croissant.json"))
    rows = list(ds.records("ner_train"))
    assert len(rows) == result.manifest["counts"]["configs"]["ner"]["train"]
    ev = next(iter(ds.records("events_train")))
    assert [a["events_train/arguments/text"] for a in ev["events_train/arguments"]][0] == "القوات".encode()
    labels = {r["labels_ner_ner_tags/id"]: r["labels_ner_ner_tags/name"] for r in ds.records("labels_ner_ner_tags")}
    assert labels[1] in ("B-PER", b"B-PER")


def test_datasheet_answers_all_seven_sections_with_facts(built):
    from corpus.release.datasheet import QUESTIONS

    _, result = built
    text = (result.path / "DATASHEET.md").read_text(encoding="utf-8")
    for section in ("Motivation", "Composition", "Collection process", "Preprocessing, cleaning, labeling", "Uses",
                    "Distribution", "Maintenance"):
        assert f"## {section}" in text
    assert text.count("**") == 2 * len(QUESTIONS)
    assert "12 documents (train 10" in text and "arabic-news 1.0.0 (12)" in text and "ann1 (12)" in text


def test_next_release_keeps_splits_and_reports_changes(tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    out = tmp_path / "releases"
    first = _build(corpus, out, "0.1.0")
    # later: two more documents, one annotation changed, one document dropped
    gold_lines = (corpus / "gold" / "gold.jsonl").read_bytes().splitlines()
    golds = [msgspec.json.decode(l) for l in gold_lines if b'"doc-011"' not in l]
    golds[0]["entities"] = golds[0]["entities"][:-1]
    new_docs, new_golds = [], []
    for i in (20, 21):
        d, g = make_pair(i)
        new_docs.append(d)
        new_golds.append(g)
    write_jsonl(corpus / "documents" / "documents-00002.jsonl", new_docs)
    (corpus / "gold" / "gold.jsonl").write_bytes(b"".join(msgspec.json.encode(g) + b"\n" for g in golds))
    write_jsonl(corpus / "gold" / "more.jsonl", new_golds)
    second = _build(corpus, out, "0.2.0", date="2026-02-01")
    a1 = {r["id"]: r["split"] for r in iter_documents(first.path) if r["split"]}
    a2 = {r["id"]: r["split"] for r in iter_documents(second.path) if r["split"]}
    assert len(a1) == 12 and len(a2) == 13
    assert all(a2[d] == s for d, s in a1.items() if d in a2)
    assert second.manifest["previous_version"] == "0.1.0"
    log = (second.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [0.2.0] - 2026-02-01" in log and "## [0.1.0] - 2026-01-15" in log
    assert "### Documents added (2)" in log and "`doc-020`, `doc-021`" in log
    assert "### Documents removed (1)" in log and "`doc-011`" in log
    assert f"`{golds[0]['document_id']}`: entities 8 -> 7" in log
    assert "Schema" not in log
    # the card says where the previous release is
    assert "Previous release: 0.1.0" in (second.path / "README.md").read_text(encoding="utf-8")


def test_version_rules(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=4, dup_pairs=())
    out = tmp_path / "releases"
    with pytest.raises(ReleaseError, match="version must be semantic"):
        _build(corpus, out, "1.0")
    _build(corpus, out, "1.0.0")
    with pytest.raises(ReleaseError, match="1.0.0 is already released; a new release must be greater"):
        _build(corpus, out, "0.9.0")
    # an ontology whose entity types are reordered changes label ids: a breaking change
    data = load_ontology().data
    data = dict(data, entity_types=list(reversed(data["entity_types"])))
    path = tmp_path / "onto.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    changed = load_ontology(path)
    with pytest.raises(ReleaseError, match="breaking schema changes since 1.0.0 need a major release: .*entities"):
        _build(corpus, out, "1.1.0", ontology=changed)
    assert not (out / "1.1.0").exists()
    two = _build(corpus, out, "2.0.0", ontology=changed)
    log = (two.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "### Schema: breaking changes" in log and "labels reordered" in log
    # appending a label is an addition: a patch release is refused, a minor one accepted
    data2 = dict(data, entity_types=data["entity_types"] + [{"name": "EXTRA"}])
    path.write_text(json.dumps(data2), encoding="utf-8")
    with pytest.raises(ReleaseError, match="schema additions since 2.0.0 need at least a minor release"):
        _build(corpus, out, "2.0.1", ontology=load_ontology(path))
    minor = _build(corpus, out, "2.1.0", ontology=load_ontology(path))
    assert "labels added: B-EXTRA, I-EXTRA" in (minor.path / "CHANGELOG.md").read_text(encoding="utf-8")


def test_bad_gold_is_refused_with_every_problem_named(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=3, dup_pairs=())
    lines = (corpus / "gold" / "gold.jsonl").read_bytes().splitlines()
    g = msgspec.json.decode(lines[1])
    g["entities"][2]["type"] = "ORGANISATION"
    g["events"][0]["arguments"][0]["role"] = "Atacker"
    lines[1] = msgspec.json.encode(g)
    extra = dict(g, id="stray", document_id="no-such-doc")
    (corpus / "gold" / "gold.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    write_jsonl(corpus / "gold" / "z.jsonl", [])
    (corpus / "gold" / "z.jsonl").write_bytes(msgspec.json.encode(extra) + b"\n")
    out = tmp_path / "releases"
    with pytest.raises(ReleaseError) as err:
        _build(corpus, out)
    msg = str(err.value)
    assert "z.jsonl:1: annotation 'stray': $.document_id: no such document (value 'no-such-doc')" in msg
    (corpus / "gold" / "z.jsonl").unlink()
    with pytest.raises(ReleaseError) as err:
        _build(corpus, out)
    msg = str(err.value)
    assert "2 problem(s)" in msg and "nothing was released" in msg
    assert "gold.jsonl:2: document 'doc-001': annotation 'gold-doc-001': $.entities[2].type: unknown entity type; " \
           "allowed: PER, ORG" in msg and "(value 'ORGANISATION')" in msg
    assert "$.events[0].arguments[0].role: unknown role for Conflict.Attack; allowed: Attacker, Target" in msg
    assert not out.exists() or not list(out.iterdir())


def test_date_comes_from_source_date_epoch_never_the_clock(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus", n=2, dup_pairs=())
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    plain = _build(corpus, tmp_path / "a", date=None)
    assert plain.facts.date is None and "released" not in (plain.path / "README.md").read_text(encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    dated = _build(corpus, tmp_path / "b", date=None)
    assert dated.facts.date == "2026-01-01"


def test_cli_release_verify_and_help(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=5, dup_pairs=(), corpus_json={
        "name": "cli-news", "pretty_name": "CLI news", "license": "CC BY 4.0",
        "source": {"name": "fixture", "credits": "Written for the tests"}})
    runner = CliRunner()
    res = runner.invoke(main, ["release", "0.1.0", "--corpus", str(corpus), "--out", str(tmp_path / "rel"),
                               "--date", "2026-03-01", "--ratios", "0.6/0.2/0.2"])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "rel" / "0.1.0"
    assert res.stdout.strip().endswith(str(folder))
    assert read_manifest(folder)["splits"]["ratios"] == {"train": 0.6, "validation": 0.2, "test": 0.2}
    again = runner.invoke(main, ["release", "0.1.0", "--corpus", str(corpus), "--out", str(tmp_path / "rel")])
    assert again.exit_code == 1 and "already exists" in again.output
    missing = runner.invoke(main, ["release", "0.1.0", "--corpus", str(corpus)])
    assert missing.exit_code == 2 and "--out is required with --corpus" in missing.output
    for cmd in ("release", "verify", "publish"):
        out = runner.invoke(main, [cmd, "--help"])
        assert out.exit_code == 0 and "Example" in out.output





def test_imported_corpus_with_its_own_label_set_and_no_events(tmp_path, hf_offline):
    """An imported NER corpus: its ontology (no events, no mention levels) gives every label;
    its share-alike license is carried over and its source credited."""
    from datasets import load_dataset

    onto = {"schema_version": "1.0.0", "name": "toy-ner", "version": "1.0.0",
            "entity_types": [{"name": "PERS"}, {"name": "LOC"}, {"name": "ORG"}], "event_types": [], "roles": []}
    corpus = make_corpus(tmp_path / "corpus", n=6, dup_pairs=(), events=False, corpus_json={
        "name": "toy-ner", "pretty_name": "Toy NER", "license": "cc-by-sa-4.0",
        "citation": "Someone (2020). Toy NER.",
        "credits": ["Toy NER by Someone, from example.org"],
        "sources": [{"name": "Toy NER", "license": "CC BY-SA 4.0", "license_id": "cc-by-sa-4.0"}]})
    (corpus / "ontology.json").write_text(json.dumps(onto), encoding="utf-8")
    lines = []
    for line in (corpus / "gold" / "gold.jsonl").read_bytes().splitlines():
        g = msgspec.json.decode(line)
        g["status"] = "imported"
        for e in g["entities"]:
            e["type"] = {"PER": "PERS", "GPE": "LOC"}.get(e["type"], e["type"])
            e.pop("level", None)
        lines.append(msgspec.json.encode(g))
    shutil.rmtree(corpus / "gold")
    (corpus / "annotations").mkdir()
    (corpus / "annotations" / "imported.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    from corpus.release import release_corpus

    result = release_corpus("1.0.0", corpus, tmp_path / "rel", date="2026-01-01")
    assert set(result.manifest["counts"]["configs"]) == {"documents", "entities", "ner"}
    assert not (result.path / "events").exists()
    ner = load_dataset(str(result.path), "ner")
    assert ner["train"].features["ner_tags"].feature.names == ["O", "B-PERS", "I-PERS", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    ents = load_dataset(str(result.path), "entities")
    assert ents["train"].features["type"].names == ["PERS", "LOC", "ORG"]
    card = (result.path / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["license"] == "cc-by-sa-4.0" and meta["source_datasets"] == ["extended"]
    assert "Toy NER by Someone" in card and "Someone (2020). Toy NER." in card
    assert "licensed CC BY-SA 4.0; the release carries that license over" in card
    assert "no `events` config" in card and "Mention levels" not in card and "| arguments" not in card
    sheet = (result.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "3 entity types (PERS, LOC, ORG)" in sheet and "cc-by-sa-4.0" in sheet
    assert verify_release(result.path).ok

    # share-alike stays share-alike
    info = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))
    info["license"] = "cc-by-4.0"
    (corpus / "corpus.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(ReleaseError, match="licensed CC BY-SA 4.0 \\(share-alike\\): the release must carry the same"):
        release_corpus("1.1.0", corpus, tmp_path / "rel")


def test_repository_release_writes_the_top_level_datasheet_of_the_newest_release(tmp_path):
    from corpus.config import load_config
    from corpus.release import release_repository

    make_corpus(tmp_path, n=3, dup_pairs=())
    (tmp_path / "corpus.toml").write_text(
        '[corpus]\nname = "repo-news"\npretty_name = "Repo news"\nlicense = "cc-by-4.0"\n'
        'documents = "documents"\ngold = "gold"\nannotations = "annotators"\nreleases = "releases"\n', encoding="utf-8")
    config = load_config(tmp_path)
    with pytest.raises(ReleaseError, match="no documents folder; make it first, e.g. `corpus ingest seeds --out"):
        release_repository("0.1.0", config=config, documents=tmp_path / "nowhere")
    first = release_repository("0.1.0", config=config, date="2026-01-01")
    assert first.path == tmp_path / "releases" / "0.1.0"
    assert (tmp_path / "DATASHEET.md").read_bytes() == (first.path / "DATASHEET.md").read_bytes()
    second = release_repository("0.1.1", config=config, date="2026-01-02")
    sheet = (tmp_path / "DATASHEET.md").read_text(encoding="utf-8")
    assert sheet.startswith("# Datasheet: Repo news 0.1.1")
    assert (tmp_path / "DATASHEET.md").read_bytes() == (second.path / "DATASHEET.md").read_bytes()
    card = (second.path / "README.md").read_text(encoding="utf-8")
    assert "the article texts remain their publishers' (القدس العربي)" in card
    # a release built into another folder, or from other inputs, is not the repository's
    release_repository("0.2.0", config=config, out=tmp_path / "elsewhere", date="2026-01-03")
    release_repository("0.1.2", config=config, gold=tmp_path / "gold", date="2026-01-03")
    assert (tmp_path / "DATASHEET.md").read_bytes() == (second.path / "DATASHEET.md").read_bytes()
    # published: the usual folder and file modes, not mkdtemp's private ones; no scratch left
    assert second.path.stat().st_mode & 0o777 == 0o777 & ~_umask()
    assert (second.path / "manifest.json").stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert not [p.name for p in (tmp_path / "releases").iterdir() if p.name.startswith(".")]


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------------------
# Streaming: what the bounded-memory build must keep doing (gzip inputs read back by offset,
# errors that name both places, capped problem lists, diffs beyond what the changelog shows,
# releases made before splits.jsonl existed).

def test_gzipped_inputs_give_the_same_bytes(built, tmp_path):
    import gzip

    corpus, result = built
    gz = tmp_path / "gz"
    for sub in ("documents", "gold"):
        (gz / sub).mkdir(parents=True)
        for p in sorted((corpus / sub).glob("*.jsonl")):
            (gz / sub / (p.name + ".gz")).write_bytes(gzip.compress(p.read_bytes(), mtime=0))
    again = _build(gz, tmp_path / "releases", agreement=result.facts.agreement)
    a, b = _files(result.path), _files(again.path)
    assert sorted(a) == sorted(b) and [k for k in a if a[k] != b[k]] == []


def test_a_repeated_document_id_names_both_places(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=3, dup_pairs=())
    first = (corpus / "documents" / "documents-00000.jsonl").read_bytes().splitlines()[0]
    (corpus / "documents" / "documents-00009.jsonl").write_bytes(b"\n" + first + b"\n")
    with pytest.raises(ReleaseError, match=r"documents-00009.jsonl:2: document id 'doc-00\d' also at "
                                           r".*documents-00000.jsonl:1$"):
        _build(corpus, tmp_path / "releases")


def test_many_problems_are_counted_and_the_first_ones_shown_in_input_order(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=3, dup_pairs=())
    line = (corpus / "gold" / "gold.jsonl").read_bytes().splitlines()[0]
    bad = [msgspec.json.encode(dict(msgspec.json.decode(line), id=f"s{i}", status="submitted")) for i in range(40)]
    (corpus / "gold" / "more.jsonl").write_bytes(b"\n".join(bad) + b"\n")
    with pytest.raises(ReleaseError) as err:
        _build(corpus, tmp_path / "releases")
    msg = str(err.value)
    assert msg.startswith("40 problem(s)") and "… and 10 more" in msg
    shown = [l for l in msg.splitlines() if "more.jsonl:" in l]
    assert len(shown) == 30 and "more.jsonl:1: annotation 's0'" in shown[0] and "more.jsonl:30:" in shown[-1]


def test_changelog_counts_every_change_and_lists_the_first(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=4, dup_pairs=())
    out = tmp_path / "releases"
    _build(corpus, out, "0.1.0")
    docs, golds = zip(*(make_pair(i) for i in range(100, 156)))
    write_jsonl(corpus / "documents" / "documents-00005.jsonl", docs)
    write_jsonl(corpus / "gold" / "more.jsonl", golds)
    second = _build(corpus, out, "0.2.0")
    log = (second.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "### Documents added (56)" in log and "`doc-149` … and 6 more" in log and "`doc-150`" not in log
    assert second.facts.changes.totals["added"] == 56 and len(second.facts.changes.added) == 50


def test_a_release_with_splits_inline_in_its_manifest_is_still_a_previous_release(tmp_path):
    """Releases made before splits.jsonl kept the split and digests of every document in
    manifest.json; the next release still keeps their splits and diffs against them."""
    from corpus.release.manifest import dumps

    corpus = make_corpus(tmp_path / "corpus")
    out = tmp_path / "releases"
    first = _build(corpus, out, "0.1.0")
    rows = list(iter_documents(first.path))
    manifest = read_manifest(first.path)
    manifest["splits"] = {k: v for k, v in manifest["splits"].items() if k not in ("file", "documents", "groups")}
    manifest["splits"]["assignment"] = {r["id"]: r["split"] for r in rows if r["split"]}
    manifest["splits"]["groups"] = {r["id"]: r["group"] for r in rows if r["group"]}
    manifest["inputs"]["per_document"] = {r["id"]: {k: r[k] for k in ("document", "text", "gold", "entities", "events")}
                                          for r in rows if r["split"]}
    (first.path / "splits.jsonl").unlink()
    (first.path / "manifest.json").write_text(dumps(manifest), encoding="utf-8")
    assert [r for r in iter_documents(first.path) if r["split"]] == [r for r in rows if r["split"]]
    lines = (corpus / "gold" / "gold.jsonl").read_bytes().splitlines()
    g = msgspec.json.decode(lines[0])
    g["entities"] = g["entities"][:-1]
    lines[0] = msgspec.json.encode(g)
    (corpus / "gold" / "gold.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    second = _build(corpus, out, "0.1.1")
    a2 = {r["id"]: r["split"] for r in iter_documents(second.path) if r["split"]}
    assert a2 == {r["id"]: r["split"] for r in rows if r["split"]}
    log = (second.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "### Annotations changed (1 documents)" in log and f"`{g['document_id']}`: entities" in log
    assert "Documents added" not in log and "Documents removed" not in log


def test_the_figure_drawn_in_the_child_process_is_the_one_drawn_here(built, tmp_path):
    from corpus.release.figure import FigureWorker, figure_spec, render_png

    _, result = built
    here = render_png(figure_spec(result.facts))
    assert (result.path / "label_distribution.png").read_bytes() == here
    worker = FigureWorker()
    worker.write(tmp_path / "f.png", result.facts)
    assert worker.drawn_in_child and (tmp_path / "f.png").read_bytes() == here
    worker.close()


def test_bad_agreement_and_corpus_facts_files_are_named(tmp_path):
    from corpus.release import load_agreement

    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"list.json: the agreement report must be a JSON object, got list"):
        load_agreement(tmp_path / "list.json")
    with pytest.raises(ReleaseError, match=r"broken.json: cannot read corpus facts: "):
        CorpusInfo.from_json(tmp_path / "broken.json")
