"""The annotation guidelines: a versioned Markdown document per ontology, shown in the
labeling view of Label Studio (the project's instructions).

``schema/guidelines/<ontology>.md`` holds the prose (what to mark, Arabic examples, how to
do it in Label Studio). Its reference part, between the ``GENERATED`` markers, is drawn
from the ontology (types, levels, roles, fillers, attributes): :func:`load_guidelines`
always fills it from the ontology in use, and ``corpus studio guidelines --write``
refreshes the committed file. An ontology without a guidelines file gets the reference
part alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..ontology import Ontology
from ..schemas import schema_root

__all__ = ["reference_markdown", "guidelines_path", "load_guidelines", "guidelines_html", "write_guidelines",
           "guidelines_ref"]

BEGIN = "<!-- BEGIN GENERATED FROM THE ONTOLOGY: do not edit by hand, run `corpus studio guidelines --write` -->"
END = "<!-- END GENERATED -->"
_BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
# the first lines of a guidelines file: "Guidelines version X.Y.Z, for the ontology `name` A.B.C"
_VERSION = re.compile(r"^Guidelines version (\S+?),? for the ontology `([^`]+)` (\S+?)[\s(]", re.M)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def reference_markdown(ontology: Ontology) -> str:
    d = ontology.data
    out = [f"## Reference: {ontology.name} {ontology.version}", ""]
    if d.get("title"):
        out += [f"{d['title']}.", ""]
    out += ["### Entity and value types", "", "| label | hotkey | kind | description | الوصف | examples / أمثلة |",
            "|---|---|---|---|---|---|"]
    for t in d["entity_types"]:
        out.append(f"| `{t['name']}` | {t.get('hotkey', '')} | {t.get('kind', '')} | {_cell(t.get('description', ''))} "
                   f"| {_cell(t.get('description_ar', ''))} | {_cell('، '.join(t.get('examples', [])))} |")
    if d.get("mention_levels"):
        out += ["", "### Mention levels (choose one for each entity)", "", "| level | description | الوصف | example |",
                "|---|---|---|---|"]
        for m in d["mention_levels"]:
            out.append(f"| `{m['name']}` | {_cell(m.get('description', ''))} | {_cell(m.get('description_ar', ''))} "
                       f"| {_cell(m.get('example', ''))} |")
    if d["event_types"]:
        out += ["", "### Event types and their roles", "", "| trigger label | roles | description | الوصف |",
                "|---|---|---|---|"]
        for e in d["event_types"]:
            out.append(f"| `{e['name']}` | {', '.join(e['roles'])} | {_cell(e.get('description', ''))} "
                       f"| {_cell(e.get('description_ar', ''))} |")
    if d["roles"]:
        out += ["", "### Roles and the entity types that may fill them", "", "| role | fillers |", "|---|---|"]
        for r in d["roles"]:
            out.append(f"| `{r['name']}` | {', '.join(r['fillers'])} |")
    if d.get("event_attributes"):
        out += ["", "### Event attributes (choose for each trigger; default in bold)", "", "| attribute | values |",
                "|---|---|"]
        for a in d["event_attributes"]:
            vals = [f"**{v}**" if v == a.get("default") else v for v in a["values"]]
            out.append(f"| {a['name']} | {', '.join(vals)} |")
    return "\n".join(out) + "\n"


def guidelines_path(ontology: Ontology, root: Path | None = None) -> Path:
    return (root or schema_root()) / "guidelines" / f"{ontology.name}.md"


def load_guidelines(ontology: Ontology, root: Path | None = None) -> str:
    """The guidelines Markdown for ``ontology`` with its reference part filled from it."""
    block = f"{BEGIN}\n{reference_markdown(ontology)}{END}"
    path = guidelines_path(ontology, root)
    if not path.exists():
        return f"# Annotation guidelines: {ontology.name} {ontology.version}\n\n{block}\n"
    text = path.read_text(encoding="utf-8")
    if _BLOCK.search(text):
        return _BLOCK.sub(lambda _: block, text)
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write_guidelines(ontology: Ontology, root: Path | None = None) -> tuple[Path, bool]:
    """Refresh the generated part of the committed guidelines; returns (path, changed)."""
    from ..io import atomic_write

    path = guidelines_path(ontology, root)
    new = load_guidelines(ontology, root)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if new != old:
        atomic_write(path, new)
    return path, new != old


def guidelines_html(markdown: str) -> str:
    """HTML for Label Studio's instructions panel; ``dir="auto"`` lets Arabic lines run
    right to left and English ones left to right."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return f'<div dir="auto" style="unicode-bidi: plaintext">{html}</div>'


def guidelines_ref(ontology: Ontology, root: Path | None = None) -> dict | None:
    """Which guidelines document goes with ``ontology``, for the datasheet: its path in
    the repository, its version, the ontology version it was written for and the sha256
    of the committed file. None when the ontology has no guidelines file, or when the file
    carries no "Guidelines version ..." line (an unversioned document is not cited)."""
    import hashlib

    root = root or schema_root()
    path = guidelines_path(ontology, root)
    if not path.exists():
        return None
    data = path.read_bytes()
    m = _VERSION.search(data.decode("utf-8"))
    if m is None or m.group(2) != ontology.name:
        return None
    return {"path": f"{root.name}/guidelines/{path.name}", "version": m.group(1), "ontology": m.group(2),
            "ontology_version": m.group(3), "sha256": hashlib.sha256(data).hexdigest()}
