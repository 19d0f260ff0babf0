"""Smoke test of the benchmark: it runs end to end at a tiny N and writes every row.

No timing is asserted here (figures belong in BENCHMARKS.md); what is asserted is that
every stage and baseline ran, that the checks the benchmark makes (validate's verdicts
equal the generated ones and jsonschema's, the pyarrow ceiling writes the same rows as
release) hold, and that every target is printed with a ratio and a verdict.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from corpus.bench import TARGETS, generate_corpus, make_annotations, write_report
from corpus.cli import main

STAGES = ["ingest", "validate", "jsonschema (record by record)", "release", "pyarrow ceiling",
          "pyarrow ceiling, zstd level 9", "datasets by hand"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    out, raw = tmp / "BENCHMARKS.md", tmp / "result.json"
    r = CliRunner().invoke(main, ["bench", "--n", "50", "--small-factor", "2", "--work", str(tmp / "work"),
                                  "--out", str(out), "--json", str(raw), "-q"])
    assert r.exit_code == 0, r.output + repr(r.exception)
    return out.read_text(encoding="utf-8"), json.loads(raw.read_text(encoding="utf-8")), tmp


def _table_rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines() if line.startswith("| ")]


def test_every_stage_and_baseline_has_a_row(bench_run):
    md, result, _ = bench_run
    rows = _table_rows(md)
    stages = [(r[0], r[1]) for r in rows if r[0] in STAGES]
    for stage in STAGES:
        assert (stage, "50") in stages, f"no row for {stage} at N=50"
    # the stages that must stream also ran at N/2, for the memory comparison
    for stage in ("ingest", "validate", "release"):
        assert (stage, "25") in stages
    assert not [r for r in rows if "FAILED" in r], "a stage failed"
    ingest_jobs = sorted(r[2] for r in rows if r[0] == "ingest" and r[1] == "50")
    assert ingest_jobs == ["1", "2"]
    for r in result["results"]:
        assert r["seconds"] > 0 and r["peak_rss"] > 0, r


def test_the_checks_hold(bench_run):
    md, result, _ = bench_run
    by = {(r["stage"], r["n"]): r for r in result["results"]}
    val = by[("validate", 50)]["extra"]
    assert val["verdicts_as_generated"] is True and val["differ"] == []
    assert by[("jsonschema (record by record)", 50)]["extra"]["same_verdicts"] is True
    assert by[("pyarrow ceiling", 50)]["extra"]["same_rows_as_release"] is True
    rel = by[("release", 50)]
    assert set(rel["extra"]["rows_by_config"]) == {"documents", "entities", "events", "ner"}
    assert rel["rows"] == sum(rel["extra"]["rows_by_config"].values())
    assert by[("datasets by hand", 50)]["extra"]["rows_by_config"] == rel["extra"]["rows_by_config"]
    assert "same verdicts as validate" in md and "same rows as release" in md


def test_every_target_has_a_ratio_and_a_verdict(bench_run):
    md, _, _ = bench_run
    targets = md.split("### Targets", 1)[1]
    rows = [r for r in _table_rows(targets) if r[0] != "target" and not set(r[0]) <= set("-")]
    names = " ".join(r[0] for r in rows)
    for word in ("Ingest", "--jobs", "Validate", "pyarrow ceiling", "datasets", "flat in N", "1,000,000"):
        assert word in names, f"no target about {word}"
    # one row a target, but validate's twice: at --jobs 1 and at --jobs 2
    assert len(rows) == len(TARGETS) + 1
    assert sorted(r[0][-10:] for r in rows if r[0].startswith("Validate")) == ["(--jobs 1)", "(--jobs 2)"]
    for r in rows:
        assert r[4] in ("PASS", "**MISS**", "n/a"), r
        assert re.search(r"\d", r[3]), f"no ratio in {r}"
    assert "CPU:" in md and "Python 3" in md and "pyarrow" in md
    reproduce = next(line for line in md.splitlines() if line.startswith("Reproduce: `corpus bench "))
    assert "--n 50 " in reproduce and "--small-factor 2" in reproduce


def test_report_keeps_other_sections(tmp_path, bench_run):
    _, result, _ = bench_run
    out = tmp_path / "B.md"
    write_report(out, "studio", "## Label Studio\n\nstudio-figures\n", result["machine"])
    write_report(out, "pipeline-n50", "## Pipeline at N = 50\n\nfirst-run-figures\n", result["machine"])
    write_report(out, "pipeline-n50", "## Pipeline at N = 50\n\nsecond-run-figures\n", result["machine"])
    text = out.read_text(encoding="utf-8")
    assert "studio-figures" in text and "second-run-figures" in text and "first-run-figures" not in text
    assert text.index("## Machine") < text.index("## Pipeline") < text.index("## Label Studio")


def test_synthetic_corpus_is_deterministic_and_annotations_bind(tmp_path):
    a = generate_corpus(tmp_path / "a", 30, seed=7)
    b = generate_corpus(tmp_path / "b", 30, seed=7)
    assert a == b and a["documents"] == 30
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.txt"))
    assert len(files_a) == 30
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    sizes = [(tmp_path / "a" / rel).stat().st_size for rel in files_a]
    assert min(sizes) >= 1000 and max(sizes) <= 8000 + 2000  # body 1-8 KB, plus furniture on some

    from corpus.ingest import ingest

    ingest([tmp_path / "a"], tmp_path / "docs", progress=False)
    counts = make_annotations(tmp_path / "docs", tmp_path, invalid_rate=0.2, seed=3)
    assert counts["annotations"] == 30 and counts["gold"] + counts["invalid"] == 30
    assert counts["entities"] >= 8 * 30 and counts["events"] >= 30
    from corpus.validate import validate_paths

    errors = {p.source.split(", ")[0].rsplit("/", 1)[-1] for p in
              validate_paths([tmp_path / "annotations"], documents=[tmp_path / "docs"]) if p.severity == "error"}
    expected = {x.rsplit("/", 1)[-1] for x in (tmp_path / "expected-invalid.txt").read_text().split()}
    assert errors == expected and len(expected) == counts["invalid"]
