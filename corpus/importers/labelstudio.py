"""Label Studio files: project exports (tasks with ``annotations``) and pre-annotation
import files (tasks with ``predictions``), with relations.

The conversion of result items is :mod:`corpus.studio.convert` (the same code that pulls
annotations from a server); this module reads files, makes the documents and names the
tasks and regions in every issue.

* A file holds a JSON list of tasks, one task object, or JSON lines of tasks.
* The document text is the task's ``data[text_field]``, kept exactly as it is (region
  offsets point into it): normalization profile ``as-is`` 1.0.0, ``edits == []``,
  ``raw_length == len(text)``. ``text_field`` defaults to ``text``, else the first string
  field of ``data``. Sentences and tokens come from :func:`corpus.segment.segment`.
* Document ids: ``data.doc_id`` when it is a valid id, else
  ``ls-<first 16 hex of the file's sha256>-t<task id>`` (``-i<position>`` for a task
  without an id).
* Region labels come from one ``<Labels>`` group: ``entity`` (and ``trigger`` for event
  triggers) as this toolkit's labeling config names them, else the group that labels the
  most regions in the file; regions of other groups are rejected by name.
* A region whose ``start``/``end`` do not hold its ``text``, or whose label is not in the
  ontology, is rejected (issue of kind ``reject`` naming the task and the region id,
  with the raw result item); the task's other regions go through. A relation between two
  entities (coreference, say) has no place in the schema, where relations are event
  arguments, and is rejected the same way.
* A task that holds one part of a long document split by ``corpus push`` (``data.part``,
  ``data.offset``) is rejected, with all parts of that document: ``corpus pull
  --from-file`` merges parts against the documents.
* A task with one annotation: that annotation goes to ``gold/`` (status ``imported``);
  with several (one per annotator), they go to ``annotations/`` and a warning says to
  adjudicate them. Predictions (status ``prediction``, with ``model_version``) go to
  ``predictions/``. Cancelled (skipped) annotations are rejected with their reason.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, Optional, Union

import msgspec

from ..ontology import Ontology
from ..records import DOC_ID, Document, Metadata, Normalization, Source
from ..schemas import SCHEMA_VERSION
from ..segment import segment
from ..studio.convert import NAMES, Names, annotations_from_task
from ..studio.taskfile import read_task_file
from ._base import ImportOptions, Imported, Issue, display_path, register

__all__ = ["read_labelstudio", "PROFILE", "PROFILE_VERSION", "load_tasks"]

PROFILE = "as-is"
PROFILE_VERSION = "1.0.0"


# the one reader of Label Studio task files, shared with `corpus pull --from-file`
load_tasks = read_task_file


def _result_items(tasks: list[Any]) -> Iterator[dict]:
    """Every result item of every annotation and prediction of the tasks."""
    for task in tasks:
        if not isinstance(task, dict):
            continue
        for key in ("annotations", "predictions"):
            for ann in task.get(key) or []:
                for item in (ann.get("result") or []) if isinstance(ann, dict) else []:
                    if isinstance(item, dict):
                        yield item


def _label_groups(tasks: list[Any]) -> Counter:
    """How many regions each ``<Labels>`` group (``from_name``) labels in the file."""
    return Counter(item.get("from_name") for item in _result_items(tasks)
                   if item.get("type") in ("labels", "hypertextlabels"))


def _labels_seen(tasks: list[Any], group: str) -> list[str]:
    seen: dict[str, None] = {}
    for item in _result_items(tasks):
        if item.get("from_name") == group:
            value = item.get("value") or {}
            for label in value.get(item.get("type")) or value.get("labels") or []:
                if isinstance(label, str):
                    seen[label] = None
    return list(seen)


def _split_documents(tasks: list[Any]) -> set[str]:
    """``doc_id`` of documents that this toolkit pushed as several parts (``data.part``,
    ``data.offset``): no single task holds their text."""
    out = set()
    for task in tasks:
        data = task.get("data") if isinstance(task, dict) else None
        if isinstance(data, dict) and isinstance(data.get("doc_id"), str):
            if data.get("part") not in (None, 0) or data.get("offset") not in (None, 0):
                out.add(data["doc_id"])
    return out


def _relation_labels(tasks: list[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for item in _result_items(tasks):
        if item.get("type") == "relation":
            for label in item.get("labels") or []:
                if isinstance(label, str):
                    seen[label] = None
    return list(seen)


def _text_field(data: dict, wanted: Optional[str]) -> Optional[str]:
    if wanted:
        return wanted
    if isinstance(data.get("text"), str):
        return "text"
    return next((k for k, v in data.items() if isinstance(v, str)), None)


@register("labelstudio")
def read_labelstudio(path: Path, options: ImportOptions) -> Iterator[Union[Imported, Issue]]:
    """Documents, annotations and predictions (and issues) of one Label Studio file."""
    path = Path(path)
    tasks, sha = load_tasks(path)
    shown = display_path(path)
    groups = _label_groups(tasks)
    if NAMES.entity in groups or NAMES.trigger in groups or not groups:
        entity_group, trigger_group = NAMES.entity, NAMES.trigger
    else:
        # another tool's config: the group labelling the most regions holds the entities
        entity_group, trigger_group = sorted(groups.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0], NAMES.trigger
    ontology = _ontology(options, _labels_seen(tasks, entity_group), _labels_seen(tasks, trigger_group),
                         _relation_labels(tasks))
    profile = Normalization(profile=PROFILE, version=PROFILE_VERSION)
    encoding = "utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else "utf-8"
    split = _split_documents(tasks)

    for i, task in enumerate(tasks):
        where = f"$[{i}]"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            yield Issue(kind="reject", path=shown, task=where, reason="a task is an object with a \"data\" object",
                        raw=task)
            continue
        task_id = task.get("id")
        tname = task_id if task_id is not None else where
        data = task["data"]
        field = _text_field(data, options.text_field)
        text = data.get(field) if field else None
        if not isinstance(text, str) or not text:
            yield Issue(kind="reject", path=shown, task=tname, field=f"data.{field or options.text_field or 'text'}",
                        value=text, reason="task has no non-empty text (see --text-field)", raw=task)
            continue
        if data.get("doc_id") in split:
            yield Issue(kind="reject", path=shown, task=tname, field="data.part", value=data.get("part"),
                        document=data["doc_id"],
                        reason=f"task is one part of the split document {data['doc_id']!r} (a task holds only part "
                               f"of its text): import such an export with `corpus pull --from-file FILE "
                               f"--documents DOCS`, which merges the parts into the whole document", raw=task)
            continue
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) and DOC_ID.match(data["doc_id"]) else None
        if doc_id is None:
            doc_id = f"ls-{sha[:16]}-" + (f"t{task_id}" if isinstance(task_id, (int, str)) and DOC_ID.match(str(task_id))
                                         else f"i{i + 1:06d}")
        sentences, tokens = segment(text)
        extra = {k: v for k, v in sorted(data.items()) if k not in (field, "doc_id") and isinstance(v, (str, int, float, bool))}
        doc = Document(
            schema_version=SCHEMA_VERSION, id=doc_id, text=text, language=options.language,
            source=Source(path=shown, sha256=sha, encoding=encoding, format="labelstudio", field=f"data.{field}"),
            normalization=profile, raw_length=len(text), edits=[], removed=[],
            sentences=sentences, tokens=tokens,
            metadata=Metadata(extra={"labelstudio": extra}) if extra else Metadata(),
        )
        names = Names(text=field, entity=entity_group, trigger=trigger_group)
        # the converter reads the text from data[names.text] and checks offsets against it
        anns, rejects = annotations_from_task(task, text, ontology, source="file", document_id=doc_id,
                                              include_predictions=True, path=shown, names=names)
        for r in rejects:
            reason = r.reason
            if reason.startswith("bad offsets") and isinstance(r.item, dict):
                reason += _where_text_is(r.item, text)
            yield Issue(kind="reject", path=shown, task=tname, region=r.region, document=doc_id, reason=reason,
                        raw=r.item)
            if reason.startswith("unknown") and isinstance(r.item, dict):
                # the converter stops at the first problem of a region; its offsets may be
                # wrong as well, and both must be reported
                bad = _offset_problem(r.item, text)
                if bad:
                    yield Issue(kind="reject", path=shown, task=tname, region=r.region, document=doc_id,
                                reason=bad, raw=r.item)
        kept = []
        for ann in anns:
            changes: dict[str, Any] = {}
            if task_id is None:
                # the converter's ids carry the task id; without one they would collide
                changes["id"] = f"{doc_id}:{ann.id.rsplit('-', 1)[-1]}"
            if ann.annotator == "unknown":
                changes["annotator"] = options.annotator
            if options.level and ann.entities:
                changes["entities"] = [e if e.level else msgspec.structs.replace(e, level=options.level) for e in ann.entities]
            ann = msgspec.structs.replace(ann, **changes) if changes else ann
            if ann.status == "cancelled":
                yield Issue(kind="reject", path=shown, task=tname, document=doc_id, value=ann.id,
                            reason="cancelled (skipped) annotation: not imported", raw=msgspec.to_builtins(ann))
                continue
            kept.append(ann)
        human = [a for a in kept if a.status != "prediction"]
        if len(human) > 1:
            yield Issue(kind="warning", path=shown, task=tname, document=doc_id,
                        reason=f"{len(human)} annotations of one task: written to annotations/, not gold/; "
                               f"adjudicate them to make gold", value=[a.id for a in human])
        yield Imported(document=doc, annotations=kept)


def _offset_problem(item: dict, text: str) -> Optional[str]:
    value = item.get("value") or {}
    start, end, said = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(start, int) or not isinstance(end, int) or not isinstance(said, str):
        return None
    if not 0 <= start < end <= len(text):
        return (f"bad offsets: [{start}, {end}) is not a non-empty span of the task text "
                f"({len(text)} characters)" + _where_text_is(item, text))
    if text[start:end] != said:
        return f"bad offsets: text[{start}:{end}] is {text[start:end]!r} but the region says {said!r}" + _where_text_is(item, text)
    return None


def _where_text_is(item: dict, text: str) -> str:
    """A hint for a region whose offsets miss its text: where that text does occur (the
    region is still rejected: guessing which occurrence was meant is not ours to do)."""
    said = (item.get("value") or {}).get("text")
    if not isinstance(said, str) or not said:
        return ""
    found = [m.start() for m in re.finditer(re.escape(said), text)][:3]
    if not found:
        return f"; {said!r} does not occur in the task text"
    return "; " + repr(said) + " occurs at " + ", ".join(f"[{s}, {s + len(said)})" for s in found)


def _ontology(options: ImportOptions, entities: list[str], triggers: list[str], roles: list[str]) -> Ontology:
    """The ontology region labels are checked against: the one given, the labeling
    config's labels, or (when neither) the labels the file uses. A generated one lets any
    role of the file join any event type to any entity type: the file is the authority
    on its own label set, and the ontology written on import records what was used."""
    if options.ontology_data is not None:
        data = options.ontology_data
        return Ontology(data["name"], data["version"], data)
    if options.allowed_labels is not None:
        entities = [t for t in sorted(options.allowed_labels) if t not in triggers]
        triggers = [t for t in triggers if t in options.allowed_labels]
    data = {
        "schema_version": SCHEMA_VERSION, **options.ontology_ref,
        "mention_levels": [{"name": n} for n in ("NAM", "NOM", "PRO")],
        "entity_types": [{"name": t, "kind": "entity"} for t in entities],
        "event_types": [{"name": t, "roles": list(roles)} for t in triggers],
        "roles": [{"name": r, "fillers": list(entities)} for r in roles],
    }
    return Ontology(data["name"], data["version"], data)
