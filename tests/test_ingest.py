"""`corpus ingest`: formats, encodings, boilerplate, offsets back to the raw source, bad input."""

from __future__ import annotations

import io

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import corpus.ingest as ingest_mod
from corpus import records
from corpus.cli import main
from corpus.errors import CorpusError
from corpus.ingest import IngestOptions, document_from_text, ingest
from corpus.schemas import schema_errors

SENTENCE = "وقال كارتر ان قوات التحالف استهدفت 35 من قادة تنظيم الدولة في الموصل في الايام التسعين الماضية."
BODY = "\n".join(
    [
        "وزير الدفاع الأمريكي يكشف عن خطة لعزل الرقة",
        "",
        SENTENCE,
        "وأكد في قمة مصغرة في باريس لوزراء دفاع دول التحالف ان القتال لتحرير المدينة سيكون صعباً.",
    ]
)


def _docs(out: Path) -> list[records.Document]:
    return [records.decode_document(line) for p in sorted(out.glob("documents-*.jsonl")) for line in p.read_bytes().splitlines()]


def _run(args):
    result = CliRunner().invoke(main, args)
    return result


# --- the seed article ---------------------------------------------------------------


def test_seed_article_without_boilerplate_and_exact_offsets(seed_file, tmp_path):
    result = _run(["ingest", str(seed_file.parent), "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    [doc] = _docs(tmp_path)
    raw = seed_file.read_text(encoding="utf-8")
    assert list(schema_errors("document", records.to_dict(doc))) == []
    assert doc.id == records.decode_document(records.encode(doc)).id
    assert doc.text.startswith("وزير الدفاع الأمريكي يكشف عن بدء خطة لعزل الرقة")
    assert doc.text.endswith("مناقشة وسائل تطوير وتقوية التحالف.")
    for furniture in ("اذا كنت تعتقد", "المقالات ذات الصلة", "النشرة البريدية", "Welcome Back!",
                      "Login to your account below", "Retrieve your password", "«القدس العربي»", "Add New Playlist"):
        assert furniture not in doc.text
        assert any(furniture in r.text for r in doc.removed), furniture
    assert doc.metadata.outlet == "القدس العربي"
    assert doc.metadata.title == "وزير الدفاع الأمريكي يكشف عن بدء خطة لعزل الرقة وإغلاق جزء من الحدود السورية ـ التركية"
    assert {r.reason for r in doc.removed} >= {"source-line", "footer-marker:correction-notice", "footer-marker:login"}
    for r in doc.removed:
        assert raw[r.start:r.end] == r.text
    # every token maps back onto the same characters of the raw file
    for s, e in doc.tokens:
        rs, re_ = records.to_raw(doc, s, e)
        assert raw[rs:re_] == doc.text[s:e]
        assert records.from_raw(doc, rs, re_) == (s, e)
    i = doc.text.index("حيدر العبادي")
    assert records.to_raw(doc, i, i + len("حيدر العبادي")) == (1951, 1963)
    assert doc.source.sha256 == __import__("hashlib").sha256(seed_file.read_bytes()).hexdigest()
    assert (doc.source.encoding, doc.source.format) == ("utf-8", "txt")
    assert doc.normalization.profile == "arabic-news" and doc.normalization.version == "1.0.0"


def test_reingest_is_byte_identical_and_ids_stable(seed_file, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ingest([seed_file], a, progress=False)
    ingest([seed_file], b, progress=False)
    ingest([seed_file], b, progress=False)  # a re-run over its own output
    assert (a / "documents-00000.jsonl").read_bytes() == (b / "documents-00000.jsonl").read_bytes()
    assert sorted(p.name for p in b.iterdir()) == ["documents-00000.idx", "documents-00000.jsonl", "duplicates.jsonl", "rejects.jsonl"]


# --- encodings and formats ----------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256", "iso8859_6"])
def test_encodings_detected_and_never_mojibake(tmp_path, codec):
    src = tmp_path / "src"
    src.mkdir()
    (src / "doc.txt").write_bytes(BODY.replace("\n", "\r\n").encode(codec))
    report = ingest([src], tmp_path / "out", progress=False)
    assert report.rejected == 0
    [doc] = _docs(tmp_path / "out")
    assert doc.text == BODY
    expected = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le"}.get(codec, codec)
    assert doc.source.encoding == expected
    raw = (src / "doc.txt").read_bytes().decode(expected)
    i = doc.text.index("كارتر")
    s, e = records.to_raw(doc, i, i + 5)
    assert raw[s:e] == "كارتر"


def test_gzipped_text_and_jsonl(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt.gz").write_bytes(gzip.compress(BODY.encode("utf-8")))
    lines = [
        {"doc": SENTENCE, "key": "n1", "link": "https://example.org/1", "headline": "عنوان", "date": "2016-10-26", "by": "مراسل"},
        {"doc": "خبر آخر عن اجتماع وزراء الدفاع في باريس لبحث الحملة.", "key": "n2"},
    ]
    (src / "b.jsonl.gz").write_bytes(gzip.compress("\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()))
    result = _run(["ingest", str(src), "--out", str(tmp_path / "out"), "--quiet", "--text-field", "doc", "--id-field", "key",
                   "--url-field", "link", "--title-field", "headline", "--published-field", "date", "--author-field", "by"])
    assert result.exit_code == 0, result.output
    docs = {d.id: d for d in _docs(tmp_path / "out")}
    assert set(docs) == {"n1", "n2", next(i for i in docs if i not in ("n1", "n2"))}
    n1 = docs["n1"]
    assert (n1.source.format, n1.source.compression, n1.source.line, n1.source.field) == ("jsonl", "gzip", 1, "doc")
    assert n1.metadata.url == "https://example.org/1" and n1.metadata.author == "مراسل"
    assert n1.metadata.published == "2016-10-26" and n1.metadata.title == "عنوان"
    assert docs["n2"].source.line == 2
    txt = next(d for d in docs.values() if d.source.format == "txt")
    assert txt.source.compression == "gzip" and txt.text == BODY


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>وزير الدفاع يكشف عن خطة | القدس العربي</title>
<script>var tracking = "لا تظهر";</script><style>p { color: red }</style></head>
<body>
<nav class="menu"><a href="/">الرئيسية</a> <a href="/news">أخبار</a></nav>
<header><div class="logo">القدس العربي</div></header>
<article>
<h1>وزير الدفاع الأمريكي يكشف عن خطة لعزل الرقة</h1>
<p>كشف وزير الدفاع الأمريكي أشتون كارتر أن قوات التحالف الدولي تساعد حالياً قوات معارضة سورية محلية من اجل عزل مدينة الرقة بهدف إلحاق هزيمة بالتنظيم.</p>
<p>وقال كارتر ان قيادة التحالف تعمل حاليًا مع تركيا&nbsp;والجماعات المحلية لاغلاق الحدود التركية &ndash; السورية بين جرابلس وخط مارا.</p>
<div class="share-buttons"><a>شارك على فيسبوك</a> <a>تويتر</a></div>
<p>وأكد في قمة مصغرة في باريس لوزراء دفاع دول التحالف ان القتال لتحرير المدينة سيكون صعباً ولكنه اعرب عن تفائله.</p>
</article>
<aside><h3>المقالات ذات الصلة</h3><ul><li><a>خبر آخر</a></li></ul></aside>
<footer><p>جميع الحقوق محفوظة © 2016</p><form><input name="email"> اشترك في النشرة البريدية</form></footer>
</body></html>"""


def test_html_boilerplate_removed_and_offsets_into_the_html(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    report = ingest([tmp_path / "page.html"], tmp_path / "out", progress=False)
    assert report.rejected == 0
    [doc] = _docs(tmp_path / "out")
    assert doc.source.format == "html"
    assert doc.text.startswith("وزير الدفاع الأمريكي يكشف عن خطة لعزل الرقة\n")
    assert "مع تركيا والجماعات" in doc.text  # &nbsp; decoded, then one space
    assert "التركية – السورية" in doc.text
    for gone in ("الرئيسية", "شارك على فيسبوك", "المقالات ذات الصلة", "جميع الحقوق محفوظة", "tracking", "color: red", "اشترك"):
        assert gone not in doc.text
    reasons = {r.reason for r in doc.removed}
    assert {"html:<nav>", "html:<aside>", "html:<footer>", "html:div.share"} <= reasons
    for r in doc.removed:
        assert PAGE[r.start:r.end] == r.text
    assert doc.metadata.title == "وزير الدفاع يكشف عن خطة | القدس العربي"
    # a span of the text maps onto the same words in the HTML source
    i = doc.text.index("أشتون كارتر")
    s, e = records.to_raw(doc, i, i + len("أشتون كارتر"))
    assert PAGE[s:e] == "أشتون كارتر"
    assert records.from_raw(doc, s, e) == (i, i + len("أشتون كارتر"))
    j = doc.text.index("تركيا والجماعات")
    s, e = records.to_raw(doc, j, j + len("تركيا والجماعات"))
    assert PAGE[s:e] == "تركيا&nbsp;والجماعات"


# --- duplicates ---------------------------------------------------------------------


def test_exact_and_normalized_duplicates_kept_once_near_duplicates_flagged(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    long_body = " ".join([SENTENCE] * 3) + "\n" + "وأكد في قمة مصغرة في باريس لوزراء دفاع دول التحالف ان القتال لتحرير المدينة سيكون صعباً ولكنه اعرب عن تفائله من نتائج العملية وفقاً للخطة المقررة."
    (src / "a.txt").write_text(long_body, encoding="utf-8")
    (src / "b.txt").write_text(long_body, encoding="utf-8")  # same bytes: same id
    (src / "c.txt").write_bytes(long_body.replace("\n", "\r\n").encode("utf-8"))  # same text after normalization
    (src / "d.txt").write_text(long_body.replace("المقررة", "المعلنة"), encoding="utf-8")  # one word changed
    err = []

    class _Err:
        def write(self, s):
            err.append(s)

    report = ingest([src], tmp_path / "out", progress=False, stderr=_Err())
    assert (report.documents, report.duplicates, report.near_duplicates, report.rejected) == (2, 2, 1, 0)
    docs = _docs(tmp_path / "out")
    a = next(d for d in docs if d.source.path.endswith("a.txt"))
    d = next(d for d in docs if d.source.path.endswith("d.txt"))
    assert d.near_duplicate_of == a.id and a.near_duplicate_of is None
    dups = [json.loads(x) for x in (tmp_path / "out" / "duplicates.jsonl").read_text().splitlines()]
    assert [(x["source"].rsplit("/", 1)[-1], x["duplicate_of"], x["kind"]) for x in dups] == [
        ("b.txt", a.id, "same id"), ("c.txt", a.id, "same text after normalization")]
    assert any("b.txt" in line and "kept once" in line for line in err)


# --- bad input ----------------------------------------------------------------------


def test_every_bad_input_is_named_kept_and_the_rest_goes_through(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(BODY, encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    (src / "blank.txt").write_text("  \n\t\n", encoding="utf-8")
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    rng = random.Random(1)
    (src / "noise.txt").write_bytes(bytes(rng.randrange(128, 256) for _ in range(300)))
    (src / "broken.txt.gz").write_bytes(b"\x1f\x8bnot really gzip")
    (src / "lines.jsonl").write_text(
        "\n".join([
            json.dumps({"text": SENTENCE, "id": "ok-1"}, ensure_ascii=False),
            '{"text": "مقطوع',
            json.dumps({"title": "بلا نص", "id": "no-text"}, ensure_ascii=False),
            json.dumps({"text": "   ", "id": "blank-text"}),
            json.dumps({"text": 42, "id": "number"}),
            json.dumps(["not", "an", "object"]),
            json.dumps({"text": "نص جيد آخر عن الحملة العسكرية في الموصل.", "id": "ok-2"}, ensure_ascii=False),
        ]),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = _run(["ingest", str(src), "--out", str(out), "--quiet"])
    assert result.exit_code == 1
    err = result.stderr if hasattr(result, "stderr") else result.output
    rel = lambda name: str(src / name)
    expected = [
        f"rejected: {rel('blank.txt')}: document without text (empty or white space only)",
        f"rejected: {rel('broken.txt.gz')}: not a valid gzip file:",
        f"rejected: {rel('empty.txt')}: empty file",
        f"rejected: {rel('image.txt')}: binary file (control bytes), not text",
        f"rejected: {rel('lines.jsonl')}:2: malformed JSON (Unterminated string starting at, column 10)",
        f"rejected: {rel('lines.jsonl')}:3: document without text (field 'text', value None)",
        f"rejected: {rel('lines.jsonl')}:4: document without text (empty or white space only) (field 'text', value '   ')",
        f"rejected: {rel('lines.jsonl')}:5: text must be a string (field 'text', value 42)",
        f"rejected: {rel('lines.jsonl')}:6: a JSONL line must be an object, got list",
        f"rejected: {rel('noise.txt')}: undecodable: not UTF-8, UTF-16, Windows-1256, ISO-8859-6 or another known encoding",
    ]
    lines = [l for l in err.splitlines() if l.startswith("rejected:")]
    assert len(lines) == len(expected), err
    for line, want in zip(lines, expected):
        assert line.startswith(want), (line, want)
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == len(expected)
    assert rejects[5] == {"source": f"{rel('lines.jsonl')}:3", "reason": "document without text", "field": "text", "value": None}
    assert sorted(d.id for d in _docs(out) if d.source.format == "jsonl") == ["ok-1", "ok-2"]
    assert any(d.source.path.endswith("good.txt") for d in _docs(out))


def test_exit_status_zero_when_nothing_rejected_and_summary_printed(seed_file, tmp_path):
    result = _run(["ingest", str(seed_file), "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert "1 documents in 1 shard(s)" in result.output and "0 rejected" in result.output


def test_missing_source_is_rejected_by_name(tmp_path):
    result = _run(["ingest", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1
    assert "nope.txt: no such file or directory" in result.output


def test_interrupted_run_leaves_no_half_written_shard(seed_file, tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"{i}.txt").write_text(f"{BODY}\nالرقم {i} في هذه الوثيقة.", encoding="utf-8")
    out = tmp_path / "out"
    ingest([src], out, IngestOptions(shard_size=2), progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = {"n": 0}
    real = ingest_mod._build

    def crash_on_fourth(raw, options, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(raw, options, **kw)

    monkeypatch.setattr(ingest_mod, "_build", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        ingest([src], out, IngestOptions(shard_size=2), progress=False)
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert after == before  # the earlier complete output is untouched
    assert not list(out.rglob("*.tmp"))


def _outputs(folder: Path) -> dict:
    """What an ingest wrote, file by file; shard indexes without their shard's mtime (the
    one thing two runs may not share)."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.suffix == ".idx":
            idx = json.loads(p.read_bytes())
            assert idx.pop("mtime_ns") == (folder / idx["shard"]).stat().st_mtime_ns
            out[p.name] = idx
        else:
            out[p.name] = p.read_bytes()
    return out


def _mixed_corpus(src: Path, n: int, every: int, words: int, seed: int) -> Path:
    """``n`` text files: every ``every``-th one BODY with its number (near-duplicates of
    each other), the others ``words`` random words of BODY (unlike anything else)."""
    rng = random.Random(seed)
    vocabulary = BODY.split()
    src.mkdir()
    for i in range(n):
        if i % every == 0:
            text = f"{BODY}\nالوثيقة {i}."
        else:
            text = " ".join(rng.choice(vocabulary) for _ in range(words)) + "."
        (src / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    return src


def test_parallel_jobs_give_the_same_output(tmp_path):
    # several chunks of work (128 documents a task), several shards, and every kind of
    # outcome: kept, near-duplicate (re-encoded by the parent), exact duplicate, rejected
    src = _mixed_corpus(tmp_path / "src", 300, every=3, words=60, seed=3)
    (src / "dup.txt").write_bytes((src / "001.txt").read_bytes())
    (src / "empty.txt").write_bytes(b"")
    options = IngestOptions(shard_size=7)
    one = ingest([src], tmp_path / "one", options, progress=False, jobs=1, stderr=io.StringIO())
    two = ingest([src], tmp_path / "two", options, progress=False, jobs=2, stderr=io.StringIO())
    assert one.near_duplicates > 50 and one.duplicates == 1 and one.rejected == 1
    assert (one.documents, one.near_duplicates, one.duplicates) == (two.documents, two.near_duplicates, two.duplicates)
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())  # no spool or staging left
    assert len([n for n in names if n.endswith(".jsonl") and n.startswith("documents-")]) == -(-one.documents // 7)
    assert _outputs(tmp_path / "one") == _outputs(tmp_path / "two")


def test_the_dedup_index_on_disk_answers_as_the_one_in_memory(tmp_path):
    # past its memory budget the index moves to SQLite: from the start (budget 1 byte),
    # midway (when the band table would double past 200 KB) or never, the output is the same
    src = _mixed_corpus(tmp_path / "src", 700, every=5, words=40, seed=5)
    for i in (3, 401, 650):  # the same text again, early and after the move
        (src / f"{i:03d}-again.txt").write_bytes((src / f"{i:03d}.txt").read_bytes())
    records = [{"id": "same", "text": "نص أول مختلف تماما عن غيره."}, {"id": "same", "text": "نص ثان له المعرف نفسه."}]
    (src / "z.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    outs = {}
    for budget in (None, 1, 200_000):
        out = tmp_path / f"out-{budget}"
        report = ingest([src], out, IngestOptions(dedup_memory=budget), progress=False, stderr=io.StringIO())
        assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the scratch database went with the spool
        outs[budget] = (report.documents, report.duplicates, report.near_duplicates, _outputs(out))
    assert outs[None][1] == 4 and outs[None][2] > 100
    assert outs[1] == outs[None] and outs[200_000] == outs[None]


def test_dedup_memory_option(tmp_path):
    src = _mixed_corpus(tmp_path / "src", 40, every=4, words=30, seed=9)
    small = _run(["ingest", str(src), "--out", str(tmp_path / "small"), "--quiet", "--dedup-memory", "1"])
    default = _run(["ingest", str(src), "--out", str(tmp_path / "default"), "--quiet"])
    assert small.exit_code == default.exit_code == 0
    assert _outputs(tmp_path / "small") == _outputs(tmp_path / "default")
    bad = _run(["ingest", str(src), "--out", str(tmp_path / "bad"), "--dedup-memory", "0"])
    assert bad.exit_code == 2 and "--dedup-memory" in bad.output and "0" in bad.output
    assert not (tmp_path / "bad").exists()


def test_the_dedup_index_moves_to_disk_past_its_budget():
    import tempfile as _tempfile

    from corpus.ingest import _key64, _SeenIndex

    def key(doc_id):
        return _key64(doc_id.encode())

    with _tempfile.TemporaryDirectory() as scratch:
        tiny = _SeenIndex(1, Path(scratch))
        assert tiny.keep("a", key("a"), 1, None) is None and tiny.disk is not None  # too small for even the empty tables
        tiny.close()
        seen = _SeenIndex(200_000, Path(scratch))
        for n in range(2000):
            bands = np.arange(8 * n, 8 * n + 8, dtype=np.uint64).tobytes()
            assert seen.keep(f"d{n}", key(f"d{n}"), 10_000 + n, bands) is None
        assert seen.disk is not None  # it did move
        assert seen.duplicate_of(key("d7"), 0) == ("d7", "same id")
        assert seen.duplicate_of(key("new"), 10_000 + 1999) == ("d1999", "same text after normalization")
        assert seen.keep("e", key("e"), 1, np.arange(8 * 1500 + 3, 8 * 1500 + 11, dtype=np.uint64).tobytes()) == "d1500"
        seen.close()


def test_a_worker_that_dies_fails_the_run_instead_of_hanging(tmp_path, monkeypatch):
    import os as _os

    src = tmp_path / "src"
    src.mkdir()
    for i in range(300):
        (src / f"{i:03d}.txt").write_text(f"{SENTENCE} {i}", encoding="utf-8")
    real = ingest_mod._transform

    def die_on_one(unit, options):
        if str(unit.where).endswith("200.txt"):
            _os._exit(3)  # as the kernel's OOM killer would end it: no exception, no result
        return real(unit, options)

    monkeypatch.setattr(ingest_mod, "_transform", die_on_one)  # forked workers inherit it
    with pytest.raises(CorpusError, match="a worker process died"):
        ingest([src], tmp_path / "out", progress=False, jobs=2, stderr=io.StringIO())
    assert not list((tmp_path / "out").glob("documents-*.jsonl"))
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no spool, no staging


def test_document_from_text_matches_ingest(tmp_path):
    (tmp_path / "x.txt").write_text(BODY, encoding="utf-8")
    ingest([tmp_path / "x.txt"], tmp_path / "out", progress=False)
    [doc] = _docs(tmp_path / "out")
    mine = document_from_text(BODY, path=doc.source.path)
    assert records.encode(mine) == records.encode(doc)


def test_short_different_documents_are_not_near_duplicates(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i, t in enumerate(["قال الوزير إن الحملة ستبدأ قريباً.", "وصل الرئيس إلى بغداد أمس في زيارة.",
                           "أعلنت الشرطة اعتقال ثلاثة مشتبه بهم.", "ارتفعت أسعار النفط في الأسواق اليوم."]):
        (src / f"{i}.txt").write_text(t, encoding="utf-8")
    (src / "sub").mkdir()
    (src / ".hidden").mkdir()
    (src / ".hidden" / "x.txt").write_text("مخفي لا يقرأ.", encoding="utf-8")
    (src / "sub" / "z.txt").write_text("ملف في مجلد فرعي.", encoding="utf-8")
    report = ingest([src], tmp_path / "out", progress=False)
    assert (report.documents, report.near_duplicates) == (5, 0)
    assert [d.source.path.rsplit("/", 2)[-2:] for d in _docs(tmp_path / "out")][-1] == ["sub", "z.txt"]


def test_a_dropped_duplicate_leaves_no_trace_in_the_index(tmp_path):
    """a(T), b(T) dropped as a duplicate of a, d(U), then b(V): b's id was never kept, so
    the second b is a new document, not a duplicate of whatever came after."""
    texts = {"T": SENTENCE, "U": "وصل الرئيس إلى بغداد أمس في زيارة رسمية.", "V": "أعلنت الشرطة اعتقال ثلاثة مشتبه بهم في الموصل."}
    lines = [{"id": "a", "text": texts["T"]}, {"id": "b", "text": texts["T"]}, {"id": "d", "text": texts["U"]},
             {"id": "b", "text": texts["V"]}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    report = ingest([tmp_path / "in.jsonl"], tmp_path / "out", progress=False)
    assert (report.documents, report.duplicates) == (3, 1)
    assert [(d.id, d.text) for d in _docs(tmp_path / "out")] == [("a", texts["T"]), ("d", texts["U"]), ("b", texts["V"])]
    [dup] = [json.loads(x) for x in (tmp_path / "out" / "duplicates.jsonl").read_text().splitlines()]
    assert (dup["id"], dup["duplicate_of"], dup["kind"]) == ("b", "a", "same text after normalization")


def test_a_headline_alone_is_a_document_not_furniture(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "h", "text": "قتل ثلاثة أشخاص في انفجار في بغداد"}, ensure_ascii=False),
                                       encoding="utf-8")
    (tmp_path / "login.txt").write_text("Welcome Back!\nLogin to your account below\nRetrieve your password", encoding="utf-8")
    err = []
    report = ingest([tmp_path / "in.jsonl", tmp_path / "login.txt"], tmp_path / "out", progress=False,
                    stderr=type("E", (), {"write": lambda self, s: err.append(s)})())
    [doc] = _docs(tmp_path / "out")
    assert doc.text == "قتل ثلاثة أشخاص في انفجار في بغداد" and doc.removed == []
    # a page of nothing but site furniture is rejected, by name
    assert report.rejected == 1 and err == [f"rejected: {tmp_path / 'login.txt'}: no text after boilerplate removal\n"]


def test_jsonl_with_a_byte_order_mark_and_boolean_ids(tmp_path):
    body = "\n".join([json.dumps({"id": "first", "text": SENTENCE}, ensure_ascii=False),
                      json.dumps({"id": True, "text": "نص آخر."}, ensure_ascii=False)])
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    err = []
    report = ingest([tmp_path / "bom.jsonl"], tmp_path / "out", progress=False,
                    stderr=type("E", (), {"write": lambda self, s: err.append(s)})())
    assert [d.id for d in _docs(tmp_path / "out")] == ["first"]
    assert report.rejected == 1
    assert err[0].startswith(f"rejected: {tmp_path / 'bom.jsonl'}:2: id must be a string or an integer (field 'id', value True)")


def test_big_jsonl_is_streamed_and_a_bad_line_in_it_named(tmp_path):
    lines = [json.dumps({"id": f"n{i}", "text": f"{SENTENCE} رقم {i}."}, ensure_ascii=False).encode("utf-8") for i in range(600)]
    lines[400] = b'{"id": "latin1", "text": "caf\xe9"}'  # not UTF-8, past the first 64 KB
    (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(b"\n".join(lines)))
    (tmp_path / "arabic-1256.jsonl").write_bytes(json.dumps({"id": "cp", "text": SENTENCE}, ensure_ascii=False).encode("cp1256"))
    err = []
    report = ingest([tmp_path], tmp_path / "out", IngestOptions(near_duplicates=False), progress=False,
                    stderr=type("E", (), {"write": lambda self, s: err.append(s)})())
    assert (report.documents, report.rejected) == (600, 1)
    assert err == [f"rejected: {tmp_path / 'big.jsonl.gz'}:401: undecodable: not UTF-8 like the start of the file (byte 29 of the line)\n"]
    cp = next(d for d in _docs(tmp_path / "out") if d.id == "cp")
    assert cp.source.encoding == "cp1256" and cp.text == SENTENCE


def test_the_compact_key_table_behaves_like_a_dict_through_growth():
    import random as _random

    from corpus.ingest import _KeyTable

    rng = _random.Random(7)
    table, ref = _KeyTable(capacity=8), {}
    keys = [rng.getrandbits(64) for _ in range(5000)] + [0, 2**64 - 1, 1]
    for i, k in enumerate(keys):
        assert table.setdefault(k, i) == ref.setdefault(k & (2**64 - 1) or 1, i)
    for k in keys:
        assert table.get(k) == ref[k & (2**64 - 1) or 1]
    assert table.get(rng.getrandbits(64)) is None
