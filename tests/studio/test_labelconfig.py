"""The labeling configuration and the guidelines come from the ontology, nothing else."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from corpus.cli import main
from corpus.ontology import load_ontology
from corpus.studio.guidelines import guidelines_html, guidelines_path, load_guidelines, reference_markdown
from corpus.studio.labelconfig import label_config

ONT = load_ontology()


def _labels(xml: str, name: str) -> list[str]:
    root = ET.fromstring(xml)
    (group,) = [g for g in root.iter() if g.get("name") == name]
    return [c.get("value") for c in group]


def test_config_lists_the_ontology():
    xml = label_config(ONT)
    root = ET.fromstring(xml)
    assert _labels(xml, "entity") == ONT.entity_types
    assert _labels(xml, "trigger") == ONT.event_types
    assert _labels(xml, "level") == ONT.mention_levels
    for attr in ONT.event_attributes:
        assert _labels(xml, f"attr_{attr['name']}") == attr["values"]
    assert [r.get("value") for r in root.iter("Relation")] == ONT.roles
    keys = [lab.get("hotkey") for lab in root.iter("Label") if lab.get("hotkey")]
    assert len(keys) == len(set(keys)) == len([t for t in ONT.data["entity_types"] if t.get("hotkey")])
    (text,) = root.iter("Text")
    assert text.get("granularity") == "symbol"
    assert "direction: rtl" in ET.tostring(root, encoding="unicode") and "pre-wrap" in xml


def test_another_ontology_gives_another_config(tmp_path):
    data = copy.deepcopy(ONT.data)
    data["name"] = "tiny"
    data["entity_types"] = [{"name": "PERSON", "hotkey": "p"}, {"name": "PLACE"}]
    data["event_types"] = [{"name": "Meeting", "roles": ["Participant", "Where"]}]
    data["roles"] = [{"name": "Participant", "fillers": ["PERSON"]}, {"name": "Where", "fillers": ["PLACE"]}]
    data.pop("event_attributes")
    data.pop("mention_levels")
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    tiny = load_ontology(path)
    xml = label_config(tiny)
    assert _labels(xml, "entity") == ["PERSON", "PLACE"] and _labels(xml, "trigger") == ["Meeting"]
    assert "PER\"" not in xml and "Conflict.Attack" not in xml and "Polarity" not in xml and 'name="level"' not in xml
    res = CliRunner().invoke(main, ["studio", "config", "--ontology", str(path)])
    assert res.exit_code == 0 and res.output == xml
    # no guidelines file for it: the reference part alone, from the ontology
    md = load_guidelines(tiny)
    assert "`PERSON`" in md and "Participant, Where" in md and "كارتر" not in md


def test_committed_guidelines_are_current_and_cover_the_ontology():
    path = guidelines_path(ONT)
    text = path.read_text(encoding="utf-8")
    assert load_guidelines(ONT) == text, "run: corpus studio guidelines --write"
    assert reference_markdown(ONT) in text
    for name in ONT.entity_types + ONT.event_types + ONT.roles:
        assert f"`{name}`" in text
    html = guidelines_html(text)
    assert "<table>" in html and "قوات التحالف" in html and 'dir="auto"' in html


def test_every_command_has_help_with_an_example():
    for args in (["studio", "up"], ["studio", "down"], ["studio", "status"], ["studio", "install"],
                 ["studio", "config"], ["studio", "guidelines"], ["studio", "invite"], ["studio", "annotators"],
                 ["studio", "annotators", "add"], ["studio", "annotators", "list"], ["push"], ["pull"]):
        res = CliRunner().invoke(main, [*args, "--help"])
        assert res.exit_code == 0 and "Example:" in res.output, args
