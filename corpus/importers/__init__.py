"""Import corpora annotated elsewhere (CoNLL/BIO, Label Studio files) into a corpus folder.

Importers are a registry of same-signature functions, ``IMPORTERS[format](path,
options)``, each yielding :class:`Imported` (a Document with its annotations) and
:class:`Issue` records (repairs, rejects, warnings). :func:`import_corpus` runs one over
files and writes a corpus folder that ``corpus release --corpus DIR`` reads::

    DIR/documents/documents-00000.jsonl   Document records
    DIR/gold/gold-00000.jsonl             Annotation records read from the files (status "imported")
    DIR/predictions/predictions-00000.jsonl  predictions of Label Studio files (status "prediction")
    DIR/annotations/annotations-00000.jsonl  several annotations of one task (to adjudicate)
    DIR/ontology.json                     the corpus's own label set (or the --ontology given)
    DIR/corpus.json                       name, license, source credits, counts
    DIR/rejects.jsonl                     what was not imported, with the reason and the raw input
    DIR/repairs.jsonl                     what was read by a convention (conlleval), file:line
    DIR/warnings.jsonl                    e.g. labels the mapping file does not map

Every output is written atomically and the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union

import msgspec

from ..errors import CorpusError, InputError
from ..io import ShardWriter, atomic_write, write_jsonl
from ..ontology import Ontology, load_ontology
from ..records import encode, to_dict
from ..schemas import SCHEMA_VERSION, schema_errors
from ._base import (
    IMPORT_POLICY, IMPORT_STATUS, IMPORTERS, ImportOptions, Imported, Importer, Issue, display_path,
    register,
)
from . import conll as _conll  # noqa: F401  (registers "conll")
from . import labelstudio as _labelstudio  # noqa: F401  (registers "labelstudio")

__all__ = [
    "IMPORTERS", "IMPORT_STATUS", "IMPORT_POLICY", "Imported", "Issue", "ImportOptions", "ImportResult", "register",
    "get_importer", "read", "import_corpus", "load_mapping", "source_info", "label_config_labels",
]


def get_importer(fmt: str) -> Importer:
    try:
        return IMPORTERS[fmt]
    except KeyError:
        raise CorpusError(f"unknown import format {fmt!r}; allowed: {', '.join(sorted(IMPORTERS))}") from None


def read(paths: Iterable[str | Path], fmt: str, options: ImportOptions = ImportOptions()) -> Iterator[Union[Imported, Issue]]:
    """Records and issues of every file; a file that cannot be read at all becomes one
    ``reject`` issue and the next file is read."""
    importer = get_importer(fmt)
    for path in paths:
        path = Path(path)
        try:
            yield from importer(path, options)
        except InputError as exc:
            yield Issue(kind="reject", path=display_path(path), reason=f"file not imported: {exc}",
                        field=exc.field, value=exc.value)


# ----------------------------------------------------------------------- mapping


def load_mapping(path: str | Path, target: Ontology) -> dict[str, str]:
    """A label mapping file: JSON ``{"PERS": "PER", ...}`` or TSV lines ``PERS<TAB>PER``
    (blank lines and ``#`` comments skipped). Targets must be entity types of ``target``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read mapping file: {exc}") from None
    mapping: dict[str, str] = {}
    where: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(str(path), f"not JSON: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise InputError(str(path), 'a JSON mapping is one object of label to type, e.g. {"PERS": "PER"}')
        mapping = dict(data)
        where = {k: f"{path}: $.{k}" for k in data}
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t") if "\t" in line else line.split()
            if len(cols) != 2 or not cols[0].strip() or not cols[1].strip():
                raise InputError(f"{path}:{n}", "a TSV mapping line is LABEL<TAB>TYPE", value=line)
            label, to = cols[0].strip(), cols[1].strip()
            if label in mapping and mapping[label] != to:
                raise InputError(f"{path}:{n}", f"label {label!r} mapped twice ({mapping[label]!r} and {to!r})")
            mapping[label] = to
            where[label] = f"{path}:{n}"
    allowed = target.entity_types
    for label, to in mapping.items():
        if to not in allowed:
            raise InputError(where[label], f"maps {label!r} to {to!r}, which is not an entity type of "
                             f"{target.name}; allowed: {', '.join(allowed)}")
    return mapping


def label_config_labels(path: str | Path) -> list[str]:
    """The span labels (``<Label value=...>`` inside ``<Labels>``-like tags) of a Label
    Studio labeling configuration, in file order."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(str(path), f"cannot read the labeling configuration: {exc}") from None
    labels: list[str] = []
    for group in root.iter():
        if group.tag.endswith("Labels"):  # Labels, HyperTextLabels, ParagraphLabels
            for label in group.iter("Label"):
                value = label.get("value")
                if value and value not in labels:
                    labels.append(value)
    if not labels:
        raise InputError(str(path), "the labeling configuration has no <Labels> with <Label value=...>")
    return labels


# ----------------------------------------------------------------------- SOURCE.md

_LICENSE = re.compile(
    r"\b(CC[ -]BY(?:[ -](?:SA|NC|ND))*[ -]\d\.\d|CC0[ -]1\.0|Apache[ -]License[ ,]*(?:Version )?2\.0|Apache-2\.0"
    r"|MIT|BSD-[23]-Clause|GPL-?[23]\.0|ODC-BY|ODbL)\b",
    re.IGNORECASE,
)


def _license_id(name: str) -> str:
    """``CC BY-SA 3.0`` -> ``cc-by-sa-3.0`` (the Hugging Face Hub's license ids)."""
    name = re.sub(r"(?i)apache[ -]license[ ,]*(version )?2\.0", "apache-2.0", name)
    return re.sub(r"[ _]+", "-", name.strip()).lower()


def source_info(path: str | Path) -> Optional[dict]:
    """Credits of a file from the ``SOURCE.md`` beside it: title, license, citation and
    the whole note (which the card quotes). None when there is no SOURCE.md."""
    path = Path(path)
    note = path.parent / "SOURCE.md"
    if not note.is_file():
        return None
    text = note.read_text(encoding="utf-8")
    lines = text.splitlines()
    title = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("#")), path.parent.name)
    body = "\n".join(ln for ln in lines if not ln.startswith("#")).strip()
    # the license: a "License:" line, else the bullet naming this file, else the only one named
    license_name = None
    for scope in (
        [ln for ln in lines if ln.lower().startswith("license:")],
        _bullet_of(lines, path.name),
        lines,
    ):
        found = {m.group(1) for ln in scope for m in _LICENSE.finditer(ln)}
        if len(found) == 1:
            license_name = found.pop()
            break
    citation = None
    bullet = _bullet_of(lines, path.name)
    m = re.search(r"(?is)\bcite:\s*(.+?)(?=\n\S[^:\n]{0,20}:|\Z)", text)
    if m:
        citation = " ".join(m.group(1).split())
    elif bullet:  # a note on several files: the bullet on this one
        citation = " ".join(" ".join(bullet).split()).lstrip("- ")
    else:
        before = []
        for ln in lines[1:]:
            if ln.lower().startswith("license:") or not ln.strip():
                break
            before.append(ln.strip())
        citation = " ".join(before) or None
    return {
        "name": title,
        "license": license_name,
        "license_id": _license_id(license_name) if license_name else None,
        "citation": citation,
        "credits": body,
        "note": display_path(note),
    }


def _bullet_of(lines: list[str], filename: str) -> list[str]:
    """The markdown bullet (with its continuation lines) that names ``filename``."""
    out: list[str] = []
    inside = False
    for ln in lines:
        if ln.lstrip().startswith("- "):
            inside = filename in ln
        elif not ln.startswith(" "):
            inside = False
        if inside:
            out.append(ln)
    return out


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._").lower()
    return s[:80] or "imported"


# ----------------------------------------------------------------------- import


@dataclass
class ImportResult:
    """What an import wrote and counted."""

    out_dir: Path
    name: str
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    mentions: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)
    annotations: int = 0
    predictions: int = 0
    repairs: list[Issue] = field(default_factory=list)
    rejects: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    files_failed: int = 0

    def counts(self) -> dict:
        return {
            "documents": self.documents, "sentences": self.sentences, "tokens": self.tokens,
            "annotations": self.annotations, "predictions": self.predictions,
            "mentions": dict(sorted(self.mentions.items())),
            "predicted_mentions": dict(sorted(self.predicted.items())),
            "events": dict(sorted(self.events.items())),
            "repairs": len(self.repairs), "rejects": len(self.rejects), "warnings": len(self.warnings),
        }


def import_corpus(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    fmt: str = "conll",
    *,
    name: Optional[str] = None,
    pretty_name: Optional[str] = None,
    license: Optional[str] = None,
    source_name: Optional[str] = None,
    citation: Optional[str] = None,
    language: str = "ar",
    level: Optional[str] = None,
    ontology: Optional[str | Path] = None,
    mapping: Optional[str | Path] = None,
    label_config: Optional[str | Path] = None,
    scheme: str = "bio",
    doc_sentences: Optional[int] = None,
    doc_boundary: str = r"^-DOCSTART-$",
    encoding: Optional[str] = None,
    text_field: Optional[str] = None,
    on_issue: Optional[Callable[[Issue], None]] = None,
) -> ImportResult:
    """Import ``paths`` (all of one format) into the corpus folder ``out_dir``.

    Credits (name, license, citation) come from the ``SOURCE.md`` beside each file when
    there is one, else from the arguments; an argument overrides SOURCE.md, except that a
    share-alike source license cannot be replaced by a license that is not share-alike.
    ``on_issue`` is called with each repair, reject and warning as it happens.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise CorpusError("no input files")
    get_importer(fmt)
    out = Path(out_dir)
    if level is not None and level not in ("NAM", "NOM", "PRO"):
        raise CorpusError(f"--level {level!r}: allowed: NAM, NOM, PRO")

    sources = _sources(paths, source_name, citation)
    if not sources:
        raise CorpusError(f"no input file exists: {', '.join(map(str, paths))}")
    license_id = _corpus_license(sources, license)
    first = sources[0]
    name = _slug(name or (first["name"] if first.get("from_note") else paths[0].stem))
    pretty_name = pretty_name or (first["name"] if len({s["name"] for s in sources}) == 1 else name)

    given: Optional[Ontology] = load_ontology(ontology) if ontology else None
    allowed = labels_from = None
    if given is not None:
        allowed, labels_from = frozenset(given.entity_types), f"the ontology {ontology}"
    elif label_config is not None:
        allowed, labels_from = frozenset(label_config_labels(label_config)), f"the labeling configuration {label_config}"
    mapped = load_mapping(mapping, load_ontology()) if mapping else {}
    ref = given.ref() if given is not None else {"name": name, "version": "1.0.0"}
    options = ImportOptions(
        ontology_ref=ref, ontology_data=given.data if given is not None else None, language=language, level=level, allowed_labels=allowed, labels_from=labels_from,
        scheme=scheme, doc_sentences=doc_sentences, doc_boundary=doc_boundary, encoding=encoding,
        text_field=text_field,
    )

    result = ImportResult(out_dir=out, name=name)
    seen_docs: set[str] = set()
    entity_labels: Counter = Counter()
    event_roles: dict[str, set[str]] = {}
    fillers: dict[str, set[str]] = {}

    def issue(i: Issue) -> None:
        {"repair": result.repairs, "reject": result.rejects}.get(i.kind, result.warnings).append(i)
        if i.kind == "reject" and i.reason.startswith("file not imported"):
            result.files_failed += 1
        if on_issue:
            on_issue(i)

    with ShardWriter(out / "documents", "documents") as docs, ShardWriter(out / "gold", "gold") as gold, \
            ShardWriter(out / "predictions", "predictions") as preds, \
            ShardWriter(out / "annotations", "annotations") as annotators:
        for item in read(paths, fmt, options):
            if isinstance(item, Issue):
                issue(item)
                continue
            doc = item.document
            if doc.id in seen_docs:
                issue(Issue(kind="reject", path=doc.source.path, line=doc.source.line, document=doc.id,
                            reason="document id already imported (the same file given twice?)", value=doc.id))
                continue
            problem = _schema_problem("document", doc) or next(
                (p for a in item.annotations if (p := _schema_problem("annotation", a))), None)
            if problem:
                issue(Issue(kind="reject", path=doc.source.path, line=doc.source.line, document=doc.id,
                            reason=f"record does not match the schema: {problem}", raw=to_dict(doc)))
                continue
            seen_docs.add(doc.id)
            docs.write(doc)
            result.documents += 1
            result.sentences += len(doc.sentences)
            result.tokens += len(doc.tokens)
            # one annotation of a document is its gold; several (one per annotator) await adjudication
            human = [a for a in item.annotations if a.status != "prediction"]
            for ann in item.annotations:
                ents = {e.id: e.type for e in ann.entities}
                if ann.status == "prediction":
                    preds.write(_complete(ann))
                    result.predictions += 1
                    result.predicted.update(ents.values())
                else:
                    (gold if len(human) == 1 else annotators).write(_complete(ann))
                    result.annotations += 1
                    result.mentions.update(ents.values())
                entity_labels.update(ents.values())
                for ev in ann.events:
                    result.events[ev.type] += 1
                    roles = event_roles.setdefault(ev.type, set())
                    for arg in ev.arguments:
                        roles.add(arg.role)
                        fillers.setdefault(arg.role, set()).add(ents.get(arg.entity, ""))

    labels = sorted(entity_labels)
    if mapping:
        for label in labels:
            if label not in mapped:
                issue(Issue(kind="warning", path=str(mapping), value=label,
                            reason=f"label {label!r} ({entity_labels[label]} mentions) has no mapping to "
                                   f"{load_ontology().name}; it keeps its own name"))
    onto = _ontology_data(given, ref, labels, mapped, event_roles, fillers, pretty_name, sources, license_id)
    atomic_write(out / "ontology.json", json.dumps(onto, ensure_ascii=False, indent=1) + "\n")
    corpus = {
        "name": name,
        "pretty_name": pretty_name,
        "language": language,
        "license": license_id,
        "citation": "\n\n".join(s["citation"] for s in sources if s.get("citation")) or None,
        # read by corpus.release.inputs.CorpusInfo.from_json: one line per source to credit,
        # and "source" with the source's own license (share-alike is carried over)
        "credits": [f"{s['name']}: " + " ".join((s.get("credits") or s.get("citation") or "").split())
                    + (f" License: {s['license']}." if s.get("license") and s["license"] not in (s.get("credits") or "") else "")
                    for s in sources],
        "source": _merged_source(sources),
        "sources": [{k: v for k, v in s.items() if k != "from_note"} for s in sources],
        "import": {
            "format": fmt,
            "options": _options_dict(options, fmt),
            "status": IMPORT_STATUS,
            "counts": result.counts(),
        },
    }
    atomic_write(out / "corpus.json", json.dumps(corpus, ensure_ascii=False, indent=1) + "\n")
    write_jsonl(out / "rejects.jsonl", result.rejects)
    write_jsonl(out / "repairs.jsonl", result.repairs)
    write_jsonl(out / "warnings.jsonl", result.warnings)
    return result


def _complete(ann) -> msgspec.Raw:
    """The annotation's JSON line, as it is written."""
    return msgspec.Raw(encode(ann))


def _schema_problem(schema: str, record: msgspec.Struct) -> Optional[str]:
    obj = to_dict(record)
    for path, message, value in schema_errors(schema, obj):
        return f"{path}: {message} (value {value!r})"[:500]
    return None


def _sources(paths: list[Path], source_name: Optional[str], citation: Optional[str]) -> list[dict]:
    """One credit entry per input file (files sharing a SOURCE.md share an entry)."""
    out: list[dict] = []
    by_note: dict[str, dict] = {}
    from .conll import _file_info  # the same streamed sha256 the documents record

    for p in paths:
        if not p.is_file():
            continue  # the importer rejects it by name; it credits nothing
        info = source_info(p)
        sha = _file_info(p, None)[0]
        files = {"path": display_path(p), "sha256": sha}
        if info is not None:
            entry = by_note.get(info["note"])
            if entry is None:
                entry = by_note[info["note"]] = {**info, "from_note": True, "files": []}
                out.append(entry)
        else:
            entry = {"name": p.stem, "license": None, "license_id": None, "citation": None, "credits": None,
                     "note": None, "from_note": False, "files": []}
            out.append(entry)
        entry["files"].append(files)
        if source_name:
            entry["name"] = source_name
        if citation:
            entry["citation"] = citation
    return out


def _merged_source(sources: list[dict]) -> dict:
    """The one ``source`` entry a release reads: the names joined, and the license that
    binds the corpus (a share-alike one when any source is share-alike)."""
    licensed = [s for s in sources if s.get("license")]
    binding = next((s for s in licensed if "-sa" in (s.get("license_id") or "")), licensed[0] if licensed else None)
    out = {"name": "; ".join(s["name"] for s in sources)}
    if binding:
        out["license"] = binding["license"]
    citations = [s["citation"] for s in sources if s.get("citation")]
    if citations:
        out["citation"] = "\n\n".join(citations)
    return out


def _corpus_license(sources: list[dict], license: Optional[str]) -> str:
    found = {s["license_id"] for s in sources if s.get("license_id")}
    share_alike = sorted(x for x in found if "-sa" in x)
    if license:
        license = _license_id(license)
        if share_alike and "-sa" not in license:
            raise CorpusError(f"--license {license!r}: the source license {share_alike[0]} is share-alike "
                              f"({next(s['note'] for s in sources if s.get('license_id') == share_alike[0])}); "
                              f"the imported corpus must stay share-alike (e.g. {share_alike[0]})")
        return license
    if len(found) == 1 and all(s.get("license_id") for s in sources):
        return found.pop()
    missing = [f["path"] for s in sources if not s.get("license_id") for f in s["files"]]
    if missing:
        raise CorpusError(f"no license known for {', '.join(missing)} (no SOURCE.md with a license beside it); "
                          f"give --license, e.g. --license cc-by-4.0")
    raise CorpusError(f"the input files have different licenses ({', '.join(sorted(found))}); give --license "
                      f"for the whole corpus (share-alike sources need a share-alike license)")


def _ontology_data(given, ref, labels, mapped, event_roles, fillers, title, sources, license_id) -> dict:
    if given is not None:
        data = json.loads(json.dumps(given.data))
        for t in data["entity_types"]:
            if t["name"] in mapped:
                t["maps_to"] = mapped[t["name"]]
        return data
    entity_types = []
    for label in labels:
        t = {"name": label, "kind": "entity"}
        if label in mapped:
            t["maps_to"] = mapped[label]
        entity_types.append(t)
    if not entity_types:
        # the schema wants at least one type; an import with no mention keeps a placeholder
        entity_types.append({"name": "MISC", "kind": "entity", "description": "placeholder: the import found no mention"})
    data = {
        "schema_version": SCHEMA_VERSION,
        "name": ref["name"],
        "version": ref["version"],
        "title": f"Label set of {title} (generated on import)",
        "source": "; ".join(s["name"] for s in sources),
        "entity_types": entity_types,
        "event_types": [{"name": ev, "roles": sorted(r)} for ev, r in sorted(event_roles.items())],
        "roles": [{"name": r, "fillers": sorted(f for f in fs if f)} for r, fs in sorted(fillers.items())],
    }
    if license_id:
        data["license"] = license_id
    return data


def _options_dict(options: ImportOptions, fmt: str) -> dict:
    keep = {"conll": ("scheme", "doc_sentences", "doc_boundary", "encoding", "level", "language"),
            "labelstudio": ("text_field", "level", "language")}.get(fmt, ())
    return {k: getattr(options, k) for k in keep}
