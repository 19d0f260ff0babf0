"""A real browser (Debian chromium driven by Playwright) labels an Arabic span in the
labeling view; `corpus pull` must find it with the right offsets, and the words around the
labeled span must still read right to left in order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.records import decode_annotation
from corpus.studio.push import find_project, server_tasks

pytestmark = [pytest.mark.studio, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
NAME = "أشتون كارتر"
# words of the seed's second paragraph, in reading order, the name among them
SENTENCE = ["كشف", "وزير", "الدفاع", "الأمريكي", "أشتون", "كارتر", "أن", "قوات", "التحالف"]

_FIND = """([target, line]) => {
  // the first whole-word occurrence of target in the line (.lsf-richtext__line) holding `line`
  const root = document.querySelector('.lsf-htx-richtext');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const gap = (c) => c === undefined || /\\s/.test(c);
  let node;
  while ((node = walker.nextNode())) {
    const holder = node.parentElement.closest('.lsf-richtext__line');
    if (line && !(holder && holder.textContent.includes(line))) continue;
    let i = node.data.indexOf(target);
    while (i >= 0) {
      if (gap(node.data[i - 1]) && gap(node.data[i + target.length])) {
        const r = document.createRange();
        const rect = (a, b) => { r.setStart(node, a); r.setEnd(node, b);
          const x = r.getBoundingClientRect(); return {left: x.left, right: x.right, top: x.top, bottom: x.bottom}; };
        return {first: rect(i, i + 1), last: rect(i + target.length - 1, i + target.length),
                word: rect(i, i + target.length)};
      }
      i = node.data.indexOf(target, i + 1);
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def test_label_arabic_span_in_browser_then_pull(studio, ls, browser, seed_file, tmp_path):
    project = "browser labeling"
    # emoji before the entity: the saved offsets must still be Python indices
    text = "😀🇮🇶 " + seed_file.read_text(encoding="utf-8")[:1500]
    doc = document_from_text(text, doc_id="seed-browser")
    assert NAME in doc.text
    docs = tmp_path / "documents"
    write_jsonl(docs / "documents-00000.jsonl", [doc])
    common = ["--data-dir", str(studio.data_dir), "--port", str(studio.port), "--project", project]
    res = CliRunner().invoke(main, ["push", str(docs), "--quiet", *common])
    assert res.exit_code == 0, res.output
    p = find_project(ls, project)
    (task,) = server_tasks(ls, p.id)
    creds = json.loads((studio.data_dir / "credentials.json").read_text())

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{studio.url}/user/login/")
    page.fill("input[name=email]", creds["email"])
    page.fill("input[name=password]", creds["password"])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{studio.url}/projects/{p.id}/data?task={task['id']}")
    page.wait_for_selector(".lsf-htx-richtext", timeout=60_000)
    # the guidelines are reachable from the labeling view
    page.get_by_role("button", name="Instructions").click()
    page.get_by_text("Proclitics are not part of the span").wait_for(timeout=10_000)
    # ... with their version, the one the release's datasheet names
    from corpus.ontology import load_ontology
    from corpus.studio.guidelines import guidelines_ref

    page.get_by_text(f"Guidelines version {guidelines_ref(load_ontology())['version']},").wait_for(timeout=10_000)
    page.screenshot(path=str(tmp_path / "guidelines.png"))
    page.keyboard.press("Escape")
    page.get_by_text("Proclitics are not part of the span").wait_for(state="hidden", timeout=10_000)

    page.get_by_text("PER", exact=True).first.click()
    box = page.evaluate(_FIND, [NAME, NAME])
    assert box is not None
    y = (box["first"]["top"] + box["first"]["bottom"]) / 2
    # right to left: the first character is on the right; a real drag, not a synthetic selection
    page.mouse.move(box["first"]["right"] - 1, y)
    page.mouse.down()
    page.mouse.move((box["first"]["right"] + box["last"]["left"]) / 2, y, steps=5)
    page.mouse.move(box["last"]["left"] + 1, y, steps=5)
    page.mouse.up()
    page.wait_for_selector(".htx-highlight", timeout=5000)
    # word order with the labeled span shown: every word of the line lies left of the word
    # before it (the scrambling reported for RTL text around label badges would break this)
    rects = [page.evaluate(_FIND, [w, "كشف وزير الدفاع"]) for w in SENTENCE]
    assert all(r is not None for r in rects)
    same_line = [r["word"] for r in rects if abs(r["word"]["top"] - rects[0]["word"]["top"]) < 5]
    assert len(same_line) >= 6, "the sentence should be on one line at this width"
    assert all(a["left"] >= b["right"] - 1 for a, b in zip(same_line, same_line[1:])), same_line
    shot = tmp_path / "rtl-labeling-view.png"
    page.screenshot(path=str(shot))
    # a copy for people to look at in build/screenshots; the test's own copy is in tmp_path,
    # and a build/ that cannot be written (a read-only checkout) does not fail the test
    out_dir = REPO / "build" / "screenshots"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out_dir / shot.name)
    except OSError as exc:
        print(f"screenshot not copied to {out_dir}: {exc}")
    assert shot.stat().st_size > 0
    page.get_by_role("button", name="Submit").click()
    for _ in range(50):  # the front end saves asynchronously
        if ls.annotations.list(id=task["id"]):
            break
        page.wait_for_timeout(200)

    page.close()

    out = tmp_path / "annotations"
    res = CliRunner().invoke(main, ["pull", "--out", str(out), "--documents", str(docs),
                                    "--rejects", str(tmp_path / "rejects.jsonl"), *common])
    assert res.exit_code == 0, res.output + res.stderr
    (rec,) = [decode_annotation(line) for line in (out / "seed-browser.jsonl").read_bytes().splitlines()]
    start = doc.text.index(NAME)
    assert [(e.type, e.start, e.end, e.text) for e in rec.entities] == [("PER", start, start + len(NAME), NAME)]
    assert rec.annotator == creds["email"] and rec.status == "submitted" and rec.lead_time and rec.lead_time > 0
