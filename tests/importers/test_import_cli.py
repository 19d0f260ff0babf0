"""``corpus import``: help, printed counts and issues, exit status."""

from __future__ import annotations

from click.testing import CliRunner

from corpus.cli import main


def _run(*args):
    return CliRunner().invoke(main, ["import", *map(str, args)])


def test_help_has_an_example():
    r = _run("--help")
    assert r.exit_code == 0
    assert "Examples:" in r.output and "corpus import" in r.output and "--mapping" in r.output


def test_prints_counts_per_label_and_each_repair_with_file_and_line(tmp_path, anercorp):
    r = _run(anercorp, "--format", "conll", "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "925 documents, 925 sentences, 25008 tokens, 2285 mentions" in out
    assert "mentions per label:" in out
    lines = {ln.split()[0]: int(ln.split()[1]) for ln in out.splitlines() if ln.startswith("  ")}
    assert lines == {"LOC": 676, "MISC": 243, "ORG": 459, "PERS": 907}
    assert "repairs: 74" in out
    err = r.stderr
    assert "anercorp-camellab-test/ANERCorp_CamelLab_test.txt:348: repair: I-PERS after the sentence start" in err
    assert "... 54 more of kind repair" in err  # the first 20 printed, all 74 in repairs.jsonl


def test_quiet_prints_no_issue(tmp_path, anercorp):
    r = _run(anercorp, "--format", "conll", "--out", tmp_path / "out", "-q")
    assert r.exit_code == 0 and r.stderr == ""


def test_label_studio_rejects_are_printed_with_task_and_region(tmp_path, ls_dir):
    r = _run(ls_dir / "kiji_predictions.json", "--format", "labelstudio", "--out", tmp_path / "out",
             "--language", "en")
    assert r.exit_code == 0
    assert "kiji_predictions.json task $[0] region ent-5: reject: bad offsets" in r.stderr
    assert "predicted mentions per label:" in r.stdout
    strict = _run(ls_dir / "kiji_predictions.json", "--format", "labelstudio", "--out", tmp_path / "out2",
                  "--language", "en", "--strict", "-q")
    assert strict.exit_code == 1


def test_a_file_that_cannot_be_read_fails_the_command_but_not_the_others(tmp_path, anercorp):
    r = _run(tmp_path / "missing.conll", anercorp, "--format", "conll", "--out", tmp_path / "out")
    assert r.exit_code == 1
    assert "missing.conll: reject: file not imported" in r.stderr
    assert "925 documents" in r.stdout


def test_errors_are_one_clean_line(tmp_path, newsfane):
    r = _run(newsfane, "--format", "conll", "--out", tmp_path / "out", "--license", "cc-by-4.0")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: --license 'cc-by-4.0': the source license cc-by-sa-3.0 is share-alike")
    bad = _run(newsfane, "--format", "csv", "--out", tmp_path / "out")
    assert bad.exit_code == 2 and "'csv' is not one of 'conll', 'labelstudio'" in bad.output
