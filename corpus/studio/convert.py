"""Label Studio result JSON <-> Annotation records.

The labeling configuration made by :mod:`corpus.studio.labelconfig` has, on one ``<Text
name="text">``:

- ``<Labels name="entity">``: one label per entity type of the ontology;
- ``<Labels name="trigger">``: one label per event type (the trigger span);
- ``<Choices name="level" perRegion="true">``: the mention level (NAM, NOM, PRO) of an
  entity region. A per-region choice rather than a third label group, so that an entity
  stays one region with one label and the level can be changed without redrawing it;
- ``<Choices name="attr_<Attribute>" perRegion="true">``: per-event attributes (Polarity,
  Tense...) on a trigger region;
- ``<Relations>``: argument roles, a relation from the trigger region to the argument's
  entity region whose label is the role.

Entity and trigger regions are told apart by ``from_name`` (the ``<Labels>`` group), never
by guessing from the label. A per-region choice reuses the id of its region, so result
items are grouped by id. Relations have no id of their own.

Nothing is dropped silently: every result item that cannot be converted (unknown label or
group, bad offsets, a relation to a missing region...) becomes a :class:`Reject` naming the
task, the annotation, the region and the reason, and the rest of the annotation still
goes through.

Offsets: Label Studio counts Unicode code points in the task text, as Python ``str``
indices do. A task may hold one part of a long document (``data.part``, ``data.offset``):
regions are shifted by ``data.offset`` into document offsets and checked against the
document text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

import msgspec

from ..ontology import Ontology
from ..records import (
    Annotation, Argument, Entity, Event, OntologyRef, Origin, Trigger, text_sha256,
)
from ..schemas import SCHEMA_VERSION

__all__ = [
    "Names", "NAMES", "Reject", "annotations_from_task", "results_from_annotation",
    "results_for_span", "annotation_id", "merge_parts",
]


@dataclass(frozen=True)
class Names:
    """Tag names of the labeling configuration (``from_name``/``to_name`` in results)."""

    text: str = "text"          # the <Text> tag and the task data key holding the text
    entity: str = "entity"      # <Labels> of entity types
    trigger: str = "trigger"    # <Labels> of event types (trigger spans)
    level: str = "level"        # per-region <Choices> of mention levels
    attribute_prefix: str = "attr_"  # per-region <Choices> of event attributes

    def attribute(self, name: str) -> str:
        return f"{self.attribute_prefix}{name}"


NAMES = Names()


class Reject(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A result item (or a whole annotation) that could not be converted, and why."""

    reason: str
    task: Optional[int] = None
    annotation: Optional[int] = None
    region: Optional[str] = None
    document_id: Optional[str] = None
    annotator: Optional[str] = None
    path: Optional[str] = None
    item: Optional[Any] = None

    def describe(self) -> str:
        where = [f"task {self.task}" if self.task is not None else None,
                 f"annotation {self.annotation}" if self.annotation is not None else None,
                 f"region {self.region!r}" if self.region is not None else None,
                 f"document {self.document_id!r}" if self.document_id is not None else None]
        prefix = ", ".join(w for w in where if w)
        if self.path:
            prefix = f"{self.path}: {prefix}" if prefix else self.path
        return f"{prefix}: {self.reason}" if prefix else self.reason


def annotation_id(project: int | None, task: int | None, annotation: int | str | None,
                  *, kind: str = "a") -> str:
    """A stable record id from Label Studio ids: ``ls-p3-t17-a42`` (``-m`` for predictions)."""
    return f"ls-p{project if project is not None else 0}-t{task}-{kind}{annotation}"


def _annotator(completed_by: Any, users: Mapping[int, str] | None) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("username") or f"user-{completed_by.get('id')}")
    if isinstance(completed_by, int):
        if users and completed_by in users:
            return users[completed_by]
        return f"user-{completed_by}"
    if isinstance(completed_by, str) and completed_by:
        return completed_by
    return "unknown"


def annotations_from_task(
    task: dict,
    document_text: str,
    ontology: Ontology,
    *,
    source: str = "labelstudio",
    project: int | None = None,
    users: Mapping[int, str] | None = None,
    document_id: str | None = None,
    include_predictions: bool = False,
    path: str | None = None,
    names: Names = NAMES,
) -> tuple[list[Annotation], list[Reject]]:
    """Convert the annotations (and, if asked, predictions) of one exported task.

    ``document_text`` is the whole document's text; the task's ``data.text`` must equal
    ``document_text[data.offset : data.offset + len(data.text)]`` (``offset`` 0 when
    absent). Returns one Annotation per Label Studio annotation, with document offsets,
    and the rejects. ``source`` is ``"labelstudio"`` (pulled from a server) or
    ``"file"`` (an export or pre-annotation file, named by ``path``).
    """
    data = task.get("data") or {}
    task_id = task.get("id")
    doc_id = document_id or data.get("doc_id") or (f"task-{task_id}" if task_id is not None else None)
    rejects: list[Reject] = []
    part_text = data.get(names.text)
    offset = data.get("offset", 0)
    if not isinstance(part_text, str):
        return [], [Reject(reason=f"task data has no text in $.data.{names.text}", task=task_id,
                           document_id=doc_id, path=path)]
    if not isinstance(offset, int) or offset < 0 or document_text[offset:offset + len(part_text)] != part_text:
        return [], [Reject(reason=f"task text (data.offset={offset!r}, {len(part_text)} characters) is not "
                           f"the document text at that offset: the document changed since the task was made",
                           task=task_id, document_id=doc_id, path=path)]
    bound = data.get("text_sha256")
    doc_sha = text_sha256(document_text)
    if bound is not None and bound != doc_sha:
        return [], [Reject(reason=f"task is bound to text_sha256 {bound[:12]}..., the document text given "
                           f"has {doc_sha[:12]}...", task=task_id, document_id=doc_id, path=path)]
    kind = "labelstudio" if source == "labelstudio" else "file"
    out: list[Annotation] = []
    groups = [("annotations", False)] + ([("predictions", True)] if include_predictions else [])
    for key, is_prediction in groups:
        for n, raw in enumerate(task.get(key) or []):
            if not isinstance(raw, dict):
                rejects.append(Reject(reason=f"$.{key}[{n}] is not an object", task=task_id,
                                      document_id=doc_id, path=path, item=raw))
                continue
            ann_id = raw.get("id")
            if is_prediction:
                model_version = str(raw.get("model_version") or "unknown")
                annotator = f"model:{model_version}"
                status = "prediction"
                rec_id = annotation_id(project, task_id, ann_id if ann_id is not None else n, kind="m")
            else:
                model_version = None
                annotator = _annotator(raw.get("completed_by"), users)
                status = "cancelled" if raw.get("was_cancelled") else ("submitted" if kind == "labelstudio" else "imported")
                rec_id = annotation_id(project, task_id, ann_id if ann_id is not None else n)
            ctx = _Ctx(task_id, ann_id if isinstance(ann_id, int) else None, doc_id, annotator, path)
            entities, events, bad = _convert_result(raw.get("result") or [], part_text, offset, document_text,
                                                    ontology, names, ctx)
            rejects.extend(bad)
            lead_time = raw.get("lead_time")
            out.append(Annotation(
                schema_version=SCHEMA_VERSION,
                id=rec_id,
                document_id=doc_id,
                text_sha256=doc_sha,
                annotator=annotator,
                status=status,
                ontology=OntologyRef(name=ontology.name, version=ontology.version),
                entities=entities,
                events=events,
                ground_truth=bool(raw.get("ground_truth", False)),
                created_at=_str_or_none(raw.get("created_at")),
                updated_at=_str_or_none(raw.get("updated_at")),
                lead_time=float(lead_time) if isinstance(lead_time, (int, float)) and lead_time >= 0 else None,
                origin=Origin(kind=kind, project=project, task=task_id if isinstance(task_id, int) else None,
                              annotation=ann_id if isinstance(ann_id, int) else None, path=path,
                              model_version=model_version),
            ))
    return out, rejects


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


@dataclass(frozen=True)
class _Ctx:
    task: Any
    annotation: int | None
    document_id: str | None
    annotator: str
    path: str | None

    def reject(self, reason: str, region: str | None = None, item: Any = None) -> Reject:
        return Reject(reason=reason, task=self.task if isinstance(self.task, int) else None,
                      annotation=self.annotation, region=region, document_id=self.document_id,
                      annotator=self.annotator, path=self.path, item=item)


def _span(item: dict, part_text: str, ctx: _Ctx) -> tuple[int, int, str] | Reject:
    value = item.get("value") or {}
    start, end, text = value.get("start"), value.get("end"), value.get("text")
    rid = item.get("id")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        return ctx.reject(f"bad offsets: start={start!r}, end={end!r} are not integers "
                          f"(a HyperText/XPath region?)", rid, item)
    if not 0 <= start < end <= len(part_text):
        return ctx.reject(f"bad offsets: [{start}, {end}) is not a non-empty span of the task text "
                          f"({len(part_text)} characters)", rid, item)
    actual = part_text[start:end]
    if text is not None and text != actual:
        return ctx.reject(f"bad offsets: text[{start}:{end}] is {actual!r} but the region says {text!r}", rid, item)
    return start, end, actual


def _convert_result(result: Iterable[Any], part_text: str, offset: int, document_text: str,
                    ontology: Ontology, names: Names, ctx: _Ctx):
    rejects: list[Reject] = []
    entity_types = set(ontology.entity_types)
    event_types = set(ontology.event_types)
    levels = set(ontology.mention_levels)
    attributes = {a["name"]: list(a["values"]) for a in ontology.event_attributes}
    roles = set(ontology.roles)

    regions: dict[str, tuple[str, str, int, int, str]] = {}  # id -> (kind, label, start, end, text)
    order: list[str] = []
    choices: list[dict] = []
    relations: list[dict] = []
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            rejects.append(ctx.reject(f"result[{i}] is not an object", item=item))
            continue
        typ = item.get("type")
        rid = item.get("id")
        if typ == "relation":
            relations.append(item)
            continue
        if typ == "choices":
            choices.append(item)
            continue
        if typ not in ("labels", "hypertextlabels"):
            rejects.append(ctx.reject(f"result type {typ!r} is not one this configuration makes "
                                      f"(labels, choices, relation)", rid, item))
            continue
        from_name = item.get("from_name")
        if from_name == names.entity:
            kind, allowed = "entity", entity_types
        elif from_name == names.trigger:
            kind, allowed = "trigger", event_types
        else:
            rejects.append(ctx.reject(f"unknown label group from_name={from_name!r}; expected "
                                      f"{names.entity!r} (entities) or {names.trigger!r} (event triggers)", rid, item))
            continue
        labels = (item.get("value") or {}).get(typ) or (item.get("value") or {}).get("labels") or []
        if not isinstance(labels, list) or len(labels) != 1:
            rejects.append(ctx.reject(f"a region needs exactly one label, got {labels!r}", rid, item))
            continue
        label = labels[0]
        if label not in allowed:
            rejects.append(ctx.reject(f"unknown {kind} label {label!r}; allowed: {', '.join(sorted(allowed))}",
                                      rid, item))
            continue
        if not isinstance(rid, str) or not rid:
            rejects.append(ctx.reject(f"region without an id (from_name={from_name!r})", None, item))
            continue
        if rid in regions:
            rejects.append(ctx.reject(f"region id {rid!r} used by two regions", rid, item))
            continue
        span = _span(item, part_text, ctx)
        if isinstance(span, Reject):
            rejects.append(span)
            continue
        start, end, text = span
        regions[rid] = (kind, label, start + offset, end + offset, text)
        order.append(rid)

    level_of: dict[str, str] = {}
    attrs_of: dict[str, dict[str, str]] = {}
    attr_names = {names.attribute(a): a for a in attributes}
    for item in choices:
        rid = item.get("id")
        from_name = item.get("from_name")
        picked = (item.get("value") or {}).get("choices") or []
        if rid not in regions:
            rejects.append(ctx.reject(f"per-region choice {from_name!r} on a missing region", rid, item))
            continue
        kind = regions[rid][0]
        if not isinstance(picked, list) or len(picked) != 1:
            rejects.append(ctx.reject(f"choice {from_name!r} needs exactly one value, got {picked!r}", rid, item))
            continue
        value = picked[0]
        if from_name == names.level:
            if kind != "entity":
                rejects.append(ctx.reject(f"mention level {value!r} on a trigger region", rid, item))
            elif value not in levels:
                rejects.append(ctx.reject(f"unknown mention level {value!r}; allowed: {', '.join(sorted(levels))}",
                                          rid, item))
            else:
                level_of[rid] = value
        elif from_name in attr_names:
            attr = attr_names[from_name]
            if kind != "trigger":
                rejects.append(ctx.reject(f"event attribute {attr} on an entity region", rid, item))
            elif value not in attributes[attr]:
                rejects.append(ctx.reject(f"unknown value {value!r} of {attr}; allowed: {', '.join(attributes[attr])}",
                                          rid, item))
            else:
                attrs_of.setdefault(rid, {})[attr] = value
        else:
            allowed = [names.level] + sorted(attr_names)
            rejects.append(ctx.reject(f"unknown choice group from_name={from_name!r}; allowed: {', '.join(allowed)}",
                                      rid, item))

    args_of: dict[str, list[Argument]] = {}
    for item in relations:
        a, b = item.get("from_id"), item.get("to_id")
        rid = f"{a}->{b}"
        missing = [x for x in (a, b) if x not in regions]
        if missing:
            rejects.append(ctx.reject(f"relation to a missing region {missing[0]!r} (unknown id, or its region "
                                      f"was rejected)", rid, item))
            continue
        kinds = (regions[a][0], regions[b][0])
        if kinds == ("trigger", "entity"):
            trig, ent = a, b
        elif kinds == ("entity", "trigger"):
            # drawn backwards: the roles are still arguments of the trigger
            trig, ent = b, a
        else:
            rejects.append(ctx.reject(f"a relation must link an event trigger and an entity, this one links "
                                      f"{kinds[0]} {regions[a][1]} and {kinds[1]} {regions[b][1]}", rid, item))
            continue
        labels = item.get("labels") or []
        if not labels:
            rejects.append(ctx.reject("relation without a role label", rid, item))
            continue
        for role in labels:
            if role not in roles:
                rejects.append(ctx.reject(f"unknown role {role!r}; allowed: {', '.join(sorted(roles))}", rid, item))
                continue
            args_of.setdefault(trig, []).append(Argument(role=role, entity=ent))

    entities: list[Entity] = []
    events: list[Event] = []
    for rid in sorted(order, key=lambda r: (regions[r][2], regions[r][3], r)):
        kind, label, start, end, text = regions[rid]
        if kind == "entity":
            entities.append(Entity(id=rid, type=label, start=start, end=end, text=text, level=level_of.get(rid)))
        else:
            events.append(Event(id=rid, type=label, trigger=Trigger(start=start, end=end, text=text),
                                arguments=sorted(args_of.get(rid, []), key=lambda x: (x.role, x.entity)),
                                attributes=dict(sorted(attrs_of[rid].items())) if rid in attrs_of else None))
    return entities, events, rejects


def merge_parts(parts: list[Annotation], *, record_id: str | None = None) -> Annotation:
    """One annotator's annotations of the parts of one split document as one record.

    Regions keep their ids unless two parts used the same id, then the later one is
    prefixed with its part index so that arguments still point to the right entity.
    """
    if len(parts) == 1 and record_id is None:
        return parts[0]
    first = parts[0]
    entities: list[Entity] = []
    events: list[Event] = []
    seen: set[str] = set()
    for i, part in enumerate(parts):
        rename: dict[str, str] = {}
        for ent in part.entities:
            new = ent.id if ent.id not in seen else f"p{i}-{ent.id}"
            rename[ent.id] = new
            seen.add(new)
            entities.append(msgspec.structs.replace(ent, id=new) if new != ent.id else ent)
        for ev in part.events:
            new = ev.id if ev.id not in seen else f"p{i}-{ev.id}"
            seen.add(new)
            args = [msgspec.structs.replace(a, entity=rename.get(a.entity, a.entity)) for a in ev.arguments]
            events.append(msgspec.structs.replace(ev, id=new, arguments=args))
    statuses = {p.status for p in parts}
    # a document counts as cancelled only when every part was skipped
    status = first.status if len(statuses) == 1 else next(s for s in ("submitted", "imported", "prediction")
                                                          if s in statuses)
    lead = [p.lead_time for p in parts if p.lead_time is not None]
    created = [p.created_at for p in parts if p.created_at]
    updated = [p.updated_at for p in parts if p.updated_at]
    return msgspec.structs.replace(
        first,
        id=record_id or first.id,
        status=status,
        entities=entities,
        events=events,
        ground_truth=all(p.ground_truth for p in parts),
        lead_time=sum(lead) if lead else None,
        created_at=min(created) if created else None,
        updated_at=max(updated) if updated else None,
    )


def results_for_span(ann: Annotation, start: int = 0, end: int | None = None, *,
                     names: Names = NAMES) -> tuple[list[dict], list[str]]:
    """Label Studio result items for the regions of ``ann`` inside ``[start, end)``, with
    offsets relative to ``start`` (a task holding that part of the document).

    Returns the items and the ids of regions left out because they cross the part's
    edges (or are arguments whose entity lies outside it).
    """
    end = end if end is not None else max([e.end for e in ann.entities] + [e.trigger.end for e in ann.events] + [start])
    items: list[dict] = []
    skipped: list[str] = []
    inside: set[str] = set()
    used: set[str] = set()

    def region_id(raw: str) -> str:
        # entity and event ids may coincide in other tools' files; Label Studio needs unique ids
        rid = raw
        while rid in used:
            rid = f"{rid}_"
        used.add(rid)
        return rid

    ent_ids: dict[str, str] = {}
    for ent in ann.entities:
        if not (start <= ent.start and ent.end <= end):
            skipped.append(ent.id)
            continue
        rid = region_id(ent.id)
        ent_ids[ent.id] = rid
        inside.add(ent.id)
        value = {"start": ent.start - start, "end": ent.end - start, "text": ent.text}
        items.append({"id": rid, "from_name": names.entity, "to_name": names.text, "type": "labels",
                      "value": {**value, "labels": [ent.type]}})
        if ent.level:
            items.append({"id": rid, "from_name": names.level, "to_name": names.text, "type": "choices",
                          "value": {**value, "choices": [ent.level]}})
    for ev in ann.events:
        t = ev.trigger
        if not (start <= t.start and t.end <= end):
            skipped.append(ev.id)
            continue
        rid = region_id(ev.id)
        value = {"start": t.start - start, "end": t.end - start, "text": t.text}
        items.append({"id": rid, "from_name": names.trigger, "to_name": names.text, "type": "labels",
                      "value": {**value, "labels": [ev.type]}})
        for attr, val in sorted((ev.attributes or {}).items()):
            items.append({"id": rid, "from_name": names.attribute(attr), "to_name": names.text,
                          "type": "choices", "value": {**value, "choices": [val]}})
        for arg in ev.arguments:
            if arg.entity not in ent_ids:
                skipped.append(f"{ev.id}->{arg.entity}")
                continue
            items.append({"from_id": rid, "to_id": ent_ids[arg.entity], "type": "relation",
                          "direction": "right", "labels": [arg.role]})
    return items, skipped


def results_from_annotation(ann: Annotation, *, names: Names = NAMES) -> list[dict]:
    """Label Studio result items (for a prediction) of a whole-document task."""
    items, _ = results_for_span(ann, 0, None, names=names)
    return items
