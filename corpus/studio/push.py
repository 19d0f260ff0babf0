"""Push documents to Label Studio as tasks: idempotent, resumable, in batches.

Label Studio has no external id and accepts duplicate tasks, so the toolkit keeps the map
document -> tasks itself (``<data_dir>/tasks-p<project>.json``, written atomically after
every batch) and, before importing anything, reconciles it with the tasks the server
really holds: the ids of all its tasks (one small column), and the ``data.doc_id``,
``data.part`` and ``data.text_sha256`` of those the map does not know. A push killed
half-way therefore re-imports only what the server does not have, even when the batch was
stored by the server but the map was not written. (A task whose data was edited in Label
Studio after the push keeps its place in the map: the map trusts what push imported.)

Memory does not grow with the documents: they stream from their files one at a time,
tasks go to the server a batch at a time, predictions wait in a temporary file.

A document longer than ``max_task_chars`` is split into parts at sentence boundaries. The
parts are contiguous and cover the whole text (the space between two sentences goes with
the earlier part), so that ``offset + position in the part`` is a document offset and the
parts put together are the document again. Task data: ``text`` (the part), ``doc_id``,
``part``, ``parts``, ``offset``, ``text_sha256`` (of the whole document's text), ``title``.

Pre-annotations go in as Label Studio predictions, each with its ``model_version``: from
Annotation records (an earlier release, an importer, ``corpus adjudicate`` conflicts) and
from a gazetteer. A prediction already on a task with the same ``model_version`` is not
added twice.
"""

from __future__ import annotations

import json
import os
import re
import signal
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import InputError, StudioError
from ..io import atomic_write
from ..ontology import Ontology
from ..records import Annotation, Document, Entity, OntologyRef, decode_annotation, encode, text_sha256
from ..schemas import SCHEMA_VERSION
from .convert import results_for_span
from .labelconfig import label_config

__all__ = [
    "Part", "split_document", "PushReport", "push", "find_project", "ensure_project", "TaskMap",
    "load_gazetteer", "gazetteer_annotation", "server_tasks", "sync_task_map", "overlap_settings",
]


@dataclass(frozen=True)
class Part:
    index: int
    offset: int
    text: str


def split_document(doc: Document, max_chars: int) -> list[Part]:
    """Contiguous parts of at most ``max_chars`` characters, cut at sentence starts.

    A sentence longer than ``max_chars`` is cut at the last space before the limit (or at
    the limit when there is none), so that no part is ever longer than asked.
    """
    text = doc.text
    if max_chars <= 0 or len(text) <= max_chars:
        return [Part(0, 0, text)]
    cuts = sorted({s for s, _ in doc.sentences if 0 < s < len(text)})
    parts: list[Part] = []
    start = 0
    while len(text) - start > max_chars:
        limit = start + max_chars
        good = [c for c in cuts if start < c <= limit]
        if good:
            cut = good[-1]
        else:
            space = max(text.rfind(" ", start + 1, limit), text.rfind("\n", start + 1, limit))
            cut = space + 1 if space > start else limit
        parts.append(Part(len(parts), start, text[start:cut]))
        start = cut
    parts.append(Part(len(parts), start, text[start:]))
    return parts


# --- the document -> task map ---------------------------------------------------------

@dataclass
class TaskMap:
    """``doc_id -> {"sha": text_sha256, "parts": {part: task_id}}`` of one project."""

    path: Path
    project: int
    docs: dict[str, dict] = field(default_factory=dict)
    other: list[int] = field(default_factory=list)  # tasks on the server the map does not place
    on_server: set[int] | None = None  # every task id of the project, after sync_task_map (not saved)

    @classmethod
    def load(cls, data_dir: Path, project: int) -> "TaskMap":
        path = data_dir / f"tasks-p{project}.json"
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                return cls(path, project, data.get("docs", {}), list(data.get("other", [])))
            except ValueError:
                # the map is a cache of what the server holds: push rebuilds it from the server
                return cls(path, project)
        return cls(path, project)

    def save(self) -> None:
        atomic_write(self.path, json.dumps({"project": self.project, "docs": self.docs, "other": sorted(self.other)},
                                           sort_keys=True, indent=0))

    def task_ids(self, doc_id: str) -> dict[int, int]:
        entry = self.docs.get(doc_id) or {}
        return {int(k): v for k, v in entry.get("parts", {}).items()}

    def by_task(self) -> dict[int, tuple[str, int, str]]:
        """``task id -> (doc_id, part, text_sha256)``."""
        return {tid: (doc_id, int(part), entry["sha"]) for doc_id, entry in self.docs.items()
                for part, tid in entry.get("parts", {}).items()}

    def add(self, doc_id: str, sha: str, part: int, task_id: int) -> None:
        entry = self.docs.setdefault(doc_id, {"sha": sha, "parts": {}})
        entry["sha"] = sha
        entry["parts"][str(part)] = task_id


def server_tasks(ls, project: int, ids: Iterable[int] | None = None) -> list[dict]:
    """Tasks of the project (``ids``: only those) as ``{"id", "data", "total_annotations"}``
    with the text left out; the server sends the text, a page at a time."""
    from .api import list_tasks

    out = []
    for task in list_tasks(ls, project, "id,data,total_annotations", ids=ids, page_size=500):
        data = dict(task.get("data") or {})
        data.pop("text", None)
        out.append({"id": task["id"], "data": data, "total_annotations": task.get("total_annotations")})
    return out


def sync_task_map(ls, tmap: "TaskMap") -> tuple[list[str], bool]:
    """Bring the map up to what the server holds; returns (warnings, whether it changed).

    Cheap when the map is right: one row asked (the number of tasks and the newest id; a
    listing of all task ids costs about 30 s at 20,000 tasks). Otherwise every task id
    is listed, and only the tasks the map does not
    know (a push killed between import and map write, a lost map, tasks of another
    machine) are read with their data (``doc_id``, ``part``, ``text_sha256``); tasks gone
    from the server leave the map.
    """
    from .api import task_count_and_max_id, task_ids

    known = tmap.by_task()
    mine = set(known) | set(tmap.other)
    count, newest = task_count_and_max_id(ls, tmap.project)
    if count == len(mine) and newest == max(mine, default=None):
        # same number of tasks and no newer id: nothing added (ids only grow), so nothing deleted
        tmap.on_server = mine
        return [], False
    on_server = tmap.on_server = set(task_ids(ls, tmap.project))
    unknown = on_server - known.keys()
    gone = known.keys() - on_server
    if not unknown and not gone:
        return [], set(tmap.other) != on_server - known.keys() and _set_other(tmap, on_server - known.keys())
    tasks = [{"id": tid, "data": {"doc_id": d, "part": part, "text_sha256": sha}}
             for tid, (d, part, sha) in known.items() if tid in on_server]
    if unknown:
        # many unknown tasks: one listing of all is fewer calls than id chunks
        fetched = server_tasks(ls, tmap.project, None if len(unknown) > len(on_server) // 2 else unknown)
        tasks += [t for t in fetched if t["id"] in unknown]
    warnings = _reconcile(tmap, tasks)
    _set_other(tmap, on_server - tmap.by_task().keys())
    return warnings, True


def _set_other(tmap: "TaskMap", ids: set[int]) -> bool:
    tmap.other = sorted(ids)
    return True


def _reconcile(tmap: TaskMap, tasks: list[dict]) -> list[str]:
    """Make the map what the server holds; returns warnings (duplicates, foreign tasks)."""
    warnings = []
    seen: dict[tuple, int] = {}
    docs: dict[str, dict] = {}
    for t in sorted(tasks, key=lambda t: t["id"]):
        d = t["data"]
        doc_id, part, sha = d.get("doc_id"), d.get("part", 0), d.get("text_sha256")
        if doc_id is None:
            warnings.append(f"task {t['id']} has no data.doc_id: not made by corpus push, left alone")
            continue
        key = (doc_id, sha, part)
        if key in seen:
            warnings.append(f"task {t['id']} duplicates task {seen[key]} (document {doc_id!r}, part {part}); "
                            f"both kept: delete one in Label Studio if it has no annotations")
            continue
        seen[key] = t["id"]
        entry = docs.setdefault(doc_id, {"sha": sha, "parts": {}})
        if entry["sha"] != sha:
            # tasks of an older text of this document: the newest text wins in the map
            if t["id"] > min(entry["parts"].values(), default=0):
                entry = docs[doc_id] = {"sha": sha, "parts": {}}
        entry["parts"][str(part)] = t["id"]
    tmap.docs = docs
    return warnings


# --- project -------------------------------------------------------------------------

def find_project(ls, title: str):
    for p in ls.projects.list(title=title):
        if p.title == title:
            return p
    for p in ls.projects.list():  # older servers ignore the title filter
        if p.title == title:
            return p
    return None


def overlap_settings(overlap: int | None, share: int | None) -> dict:
    """Label Studio project fields for ``overlap`` annotators on ``share`` percent of the
    tasks (all tasks when ``share`` is None); {} when neither is set.

    The server keeps the share itself: after each import (and each change of these two
    fields) it picks ``round(tasks * share / 100)`` tasks for the overlap cohort
    (``overlap`` = the maximum) and gives the others one annotator; tasks that already
    have enough annotations are kept in the cohort first. The share is of *tasks*: a
    document split into several tasks may have only some of its parts in the cohort.
    """
    if overlap is None:
        if share is not None:
            raise StudioError(f"an overlap share ({share}%) needs the number of annotators: give --overlap N "
                              f"(or [studio] overlap in corpus.toml)")
        return {}
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
        raise StudioError(f"overlap must be at least 1 annotator per task, got {overlap!r}")
    share = 100 if share is None else share
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
        raise StudioError(f"overlap share must be a whole percentage of the tasks from 0 to 100, got {share!r}")
    if overlap == 1 and share < 100:
        # the server would accept it and give every task one annotator: say so instead
        raise StudioError(f"an overlap share of {share}% with 1 annotator per task gives no task a second "
                          f"annotator: give --overlap 2 (or more)")
    return {"maximum_annotations": overlap, "overlap_cohort_percentage": share}


def ensure_project(ls, title: str, ontology: Ontology, *, instructions: str | None = None,
                   overlap: int | None = None, overlap_share: int | None = None):
    """The project titled ``title``, created or brought up to date with the ontology's
    labeling configuration, the guidelines and the overlap (``overlap`` annotators on
    ``overlap_share`` percent of the tasks, see :func:`overlap_settings`)."""
    xml = label_config(ontology)
    project = find_project(ls, title)
    kwargs = {"label_config": xml}
    if instructions is not None:
        kwargs.update(expert_instruction=instructions, show_instruction=True)
    team = overlap_settings(overlap, overlap_share)
    kwargs.update(team)
    try:
        if project is None:
            return ls.projects.create(title=title, description=f"ontology {ontology.name} {ontology.version}",
                                      show_skip_button=True, enable_empty_annotation=True, **kwargs)
        if project.label_config != xml or (instructions is not None and project.expert_instruction != instructions) \
                or any(getattr(project, k) != v for k, v in team.items()):
            return ls.projects.update(project.id, **kwargs)
    except Exception as exc:  # the SDK's ApiError carries the server's reason
        raise StudioError(f"Label Studio refused the project {title!r}: {_api_reason(exc)}") from None
    return project


def _api_reason(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        return str(body.get("validation_errors") or body.get("detail") or body)
    return str(exc)[:500]


# --- gazetteer -------------------------------------------------------------------------

def load_gazetteer(path: str | Path, ontology: Ontology) -> list[tuple[str, str, str | None]]:
    """``(surface form, entity type, mention level or None)`` from a gazetteer file.

    Formats: TSV (``.tsv``/``.txt``), one entry a line ``SURFACE<TAB>TYPE[<TAB>LEVEL]``,
    ``#`` starts a comment; or JSON, either ``{"SURFACE": "TYPE", ...}`` or
    ``[{"text": SURFACE, "type": TYPE, "level": LEVEL}, ...]``.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read gazetteer: {exc}") from None
    entries: list[tuple[str, str, str | None, str]] = []
    if path.suffix == ".json":
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise InputError(str(path), f"not JSON: {exc}") from None
        if isinstance(data, dict):
            entries = [(k, v, None, f"$[{k!r}]") for k, v in data.items()]
        elif isinstance(data, list):
            for i, e in enumerate(data):
                if not isinstance(e, dict) or "text" not in e or "type" not in e:
                    raise InputError(str(path), "each entry needs 'text' and 'type'", field=f"$[{i}]", value=e)
                entries.append((e["text"], e["type"], e.get("level"), f"$[{i}]"))
        else:
            raise InputError(str(path), "a gazetteer is a JSON object or list", field="$", value=type(data).__name__)
    else:
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) not in (2, 3):
                raise InputError(f"{path}:{n}", "expected SURFACE<TAB>TYPE[<TAB>LEVEL]", value=line)
            entries.append((cols[0].strip(), cols[1].strip(), cols[2].strip() if len(cols) == 3 else None, f"line {n}"))
    types, levels = set(ontology.entity_types), set(ontology.mention_levels)
    out = []
    for surface, typ, level, where in entries:
        if typ not in types:
            raise InputError(f"{path} ({where})", f"unknown entity type; allowed: {', '.join(ontology.entity_types)}",
                             field="type", value=typ)
        if level is not None and level not in levels:
            raise InputError(f"{path} ({where})", f"unknown mention level; allowed: {', '.join(levels)}",
                             field="level", value=level)
        if not surface:
            raise InputError(f"{path} ({where})", "empty surface form", field="text", value=surface)
        out.append((surface, typ, level or None))
    return out


_PROCLITICS = set("وفبلك")


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def gazetteer_annotation(doc: Document, gazetteer: list[tuple[str, str, str | None]], ontology: Ontology,
                         model_version: str) -> Annotation | None:
    """Entities where a gazetteer form occurs as a whole word (allowing one Arabic
    proclitic letter before it: و ف ب ل ك); longest match first, no overlaps."""
    text = doc.text
    taken: list[tuple[int, int]] = []
    found = []
    for surface, typ, level in sorted(gazetteer, key=lambda e: (-len(e[0]), e[0])):
        for m in re.finditer(re.escape(surface), text):
            s, e = m.start(), m.end()
            if e < len(text) and _is_letter(text[e]):
                continue
            if s > 0 and _is_letter(text[s - 1]):
                if not (text[s - 1] in _PROCLITICS and (s < 2 or not _is_letter(text[s - 2]))):
                    continue
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            found.append((s, e, typ, level))
    if not found:
        return None
    found.sort()
    entities = [Entity(id=f"g{i}", type=t, start=s, end=e, text=text[s:e], level=lv)
                for i, (s, e, t, lv) in enumerate(found, 1)]
    return Annotation(schema_version=SCHEMA_VERSION, id=f"gazetteer-{doc.id}", document_id=doc.id,
                      text_sha256=doc.text_sha256, annotator=f"model:{model_version}", status="prediction",
                      ontology=OntologyRef(**ontology.ref()), entities=entities, events=[])


# --- push ------------------------------------------------------------------------------

@dataclass
class PushReport:
    project: int
    documents: int = 0
    imported_tasks: int = 0
    existing_tasks: int = 0
    predictions: int = 0
    changed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _model_version(ann: Annotation) -> str:
    if ann.origin and ann.origin.model_version:
        return ann.origin.model_version
    if ann.annotator.startswith("model:"):
        return ann.annotator[len("model:"):]
    return f"{ann.status}:{ann.annotator}"


def _predictions_for(doc: Document, part: Part, anns: list[Annotation], report: PushReport) -> list[dict]:
    out = []
    for ann in anns:
        items, skipped = results_for_span(ann, part.offset, part.offset + len(part.text))
        for rid in skipped:
            # a region crossing a part edge, or an argument whose entity is in another part,
            # belongs to no single task: say so (regions wholly in other parts are not news)
            if "->" in rid or _crosses(ann, rid, part):
                report.warnings.append(f"document {doc.id!r}: prediction {ann.id!r} item {rid!r} crosses the "
                                       f"edge of part {part.index} and is left out")
        if items:
            out.append({"model_version": _model_version(ann), "result": items})
    return out


def _crosses(ann: Annotation, rid: str, part: Part) -> bool:
    end = part.offset + len(part.text)
    for e in ann.entities:
        if e.id == rid:
            return e.start < end and part.offset < e.end
    for ev in ann.events:
        if ev.id == rid:
            return ev.trigger.start < end and part.offset < ev.trigger.end
    return False


class _Spill:
    """Predictions by document id, kept in an unnamed temporary file (one encoded record a
    line) with only ``doc_id -> [(offset, length)]`` in memory: the documents stream past
    once, in their own order, and each takes its predictions back from the file."""

    def __init__(self, predictions: Iterable[Annotation]):
        import tempfile

        self.index: dict[str, list[tuple[int, int]]] = {}
        self.file = None
        for ann in predictions:
            if self.file is None:
                self.file = tempfile.TemporaryFile()
            line = encode(ann)
            self.index.setdefault(ann.document_id, []).append((self.file.tell(), len(line)))
            self.file.write(line)

    def __bool__(self) -> bool:
        return bool(self.index)

    def pop(self, doc_id: str) -> list[Annotation]:
        out = []
        for offset, length in self.index.pop(doc_id, ()):
            self.file.seek(offset)
            out.append(decode_annotation(self.file.read(length)))
        return out

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _existing_predictions(ls, project: int) -> tuple[set[tuple[int, str]], set[int]]:
    """``(task id, model_version)`` of the predictions on the server, from one column of
    the Data Manager (not the predictions with their results); plus the tasks whose list
    of versions came back cut (the column is cut at 500 characters): asked one by one."""
    from .api import list_tasks

    have: set[tuple[int, str]] = set()
    cut: set[int] = set()
    for t in list_tasks(ls, project, "id,predictions_model_versions",
                        filters=[{"filter": "filter:tasks:predictions_model_versions", "operator": "empty",
                                  "type": "List", "value": False}]):
        versions = t.get("predictions_model_versions") or ""
        if len(versions) >= 490:
            cut.add(t["id"])
            continue
        have.update((t["id"], v.strip()) for v in versions.split(",") if v.strip())
    return have, cut


def push(
    ls,
    documents: Iterable[Document],
    ontology: Ontology,
    *,
    project_title: str,
    data_dir: Path,
    max_task_chars: int = 20000,
    batch_size: int = 200,
    predictions: Iterable[Annotation] = (),
    gazetteer: list[tuple[str, str, str | None]] | None = None,
    gazetteer_version: str = "gazetteer",
    instructions: str | None = None,
    overlap: int | None = None,
    overlap_share: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> PushReport:
    """Create or update the project and import what the server does not hold yet.

    Streams: documents are read one at a time and their tasks sent ``batch_size`` at a
    time (the map is saved after each batch); predictions wait in a temporary file, not
    in memory. ``progress(done, None)`` is called after each batch (tasks imported so
    far; the total is not known while the documents stream). Predictions whose
    ``text_sha256`` is not the document's are skipped with a warning.
    """
    project = ensure_project(ls, project_title, ontology, instructions=instructions, overlap=overlap,
                             overlap_share=overlap_share)
    report = PushReport(project=project.id)
    tmap = TaskMap.load(data_dir, project.id)
    warnings, _ = sync_task_map(ls, tmap)
    report.warnings += warnings
    tmap.save()

    spill = _Spill(predictions)
    try:
        _push_documents(ls, project.id, documents, ontology, tmap, spill, report, max_task_chars=max_task_chars,
                        batch_size=batch_size, gazetteer=gazetteer, gazetteer_version=gazetteer_version,
                        progress=progress)
        for doc_id in sorted(spill.index):
            report.warnings.append(f"predictions for document {doc_id!r} which is not among the documents pushed: "
                                   f"skipped")
    finally:
        spill.close()
    for doc_id in report.changed:
        report.warnings.append(f"document {doc_id!r} changed since it was pushed (its tasks hold another "
                               f"text_sha256): not pushed again; its old tasks are kept")
    return report


TEST_KILL_ENV = "CORPUS_STUDIO_TEST_KILL_PUSH"


def _test_kill_point(stage: str, batch: int) -> None:
    """For the tests of resumption only: with ``$CORPUS_STUDIO_TEST_KILL_PUSH`` set to
    ``STAGE:N``, the process kills itself (SIGKILL: no clean-up, like a crash or the OOM
    killer) when batch N reaches STAGE: ``imported`` (the server holds the batch, the map
    does not) or ``saved`` (the map is written too). Unset, this is one dict look-up."""
    want = os.environ.get(TEST_KILL_ENV)
    if want and want == f"{stage}:{batch}":
        os.kill(os.getpid(), signal.SIGKILL)


def _push_documents(ls, project: int, documents: Iterable[Document], ontology: Ontology, tmap: TaskMap,
                    spill: _Spill, report: PushReport, *, max_task_chars: int, batch_size: int,
                    gazetteer, gazetteer_version: str, progress) -> None:
    pending: list[tuple[str, str, int, dict]] = []   # (doc_id, sha, part, task json): one batch
    late: list[dict] = []                            # predictions for tasks already there: one batch
    have: set[tuple[int, str]] | None = None          # predictions on the server, read when first needed
    cut: set[int] = set()
    done = 0
    if progress:
        progress(0, None)

    batches = 0

    def flush_tasks() -> None:
        nonlocal done, batches
        if not pending:
            return
        try:
            res = ls.projects.import_tasks(project, request=[t for *_, t in pending], return_task_ids=True)
        except Exception as exc:
            raise StudioError(f"import of tasks {done + 1}–{done + len(pending)} failed: {_api_reason(exc)}; "
                              f"run push again to resume") from None
        ids = list(res.task_ids or [])
        if len(ids) != len(pending):
            raise StudioError(f"the server returned {len(ids)} task ids for {len(pending)} tasks; run push again, "
                              f"it reconciles with the server")
        batches += 1
        _test_kill_point("imported", batches)
        for (doc_id, sha, part, _), tid in zip(pending, ids):
            tmap.add(doc_id, sha, part, tid)
        tmap.save()  # after every batch: a crash loses at most the batch being sent
        _test_kill_point("saved", batches)
        done += len(pending)
        report.imported_tasks += len(pending)
        pending.clear()
        if progress:
            progress(done, None)

    def flush_predictions() -> None:
        if not late:
            return
        try:
            ls.projects.import_predictions(project, request=list(late))
        except Exception as exc:
            raise StudioError(f"adding {len(late)} predictions to tasks already there failed: {_api_reason(exc)}; "
                              f"run push again, predictions already added are not added twice") from None
        report.predictions += len(late)
        late.clear()

    doc_ids: set[str] = set()
    for doc in documents:
        if doc.id in doc_ids:
            report.warnings.append(f"document {doc.id!r} appears twice in the input: pushed once")
            continue
        doc_ids.add(doc.id)
        report.documents += 1
        sha = doc.text_sha256
        anns = []
        for ann in spill.pop(doc.id):
            if ann.text_sha256 != sha:
                report.warnings.append(f"prediction {ann.id!r} of {doc.id!r} was made on text_sha256 "
                                       f"{ann.text_sha256[:12]}…, the document is {sha[:12]}…: skipped")
            else:
                anns.append(ann)
        if gazetteer:
            g = gazetteer_annotation(doc, gazetteer, ontology, gazetteer_version)
            if g is not None:
                anns.append(g)
        entry = tmap.docs.get(doc.id)
        if entry and entry["sha"] != sha:
            report.changed.append(doc.id)
            continue
        have_parts = tmap.task_ids(doc.id)
        parts = split_document(doc, max_task_chars)
        for part in parts:
            preds = _predictions_for(doc, part, anns, report)
            if part.index in have_parts:
                report.existing_tasks += 1
                tid = have_parts[part.index]
                for pred in preds:
                    if have is None:
                        have, cut = _existing_predictions(ls, project)
                    if tid in cut:
                        have.update((tid, p.model_version or "") for p in ls.predictions.list(task=tid))
                        cut.discard(tid)
                    if (tid, pred["model_version"]) in have:
                        continue
                    have.add((tid, pred["model_version"]))
                    late.append({"task": tid, "model_version": pred["model_version"], "result": pred["result"]})
                    if len(late) >= batch_size:
                        flush_predictions()
                continue
            data = {"text": part.text, "doc_id": doc.id, "part": part.index, "parts": len(parts),
                    "offset": part.offset, "text_sha256": sha}
            if doc.metadata.title:
                data["title"] = doc.metadata.title
            task = {"data": data}
            if preds:
                task["predictions"] = preds
                report.predictions += len(preds)
            pending.append((doc.id, sha, part.index, task))
            if len(pending) >= batch_size:
                flush_tasks()
    flush_tasks()
    flush_predictions()


def iter_documents(paths: Iterable[Path]) -> Iterator[Document]:
    from ..io import iter_jsonl
    from ..records import decode_document

    for doc, _, _ in iter_jsonl(paths, decode_document):
        yield doc


def run_push(settings, ontology: Ontology, doc_paths: list[Path], *, project_title: str | None = None,
             prediction_paths: Iterable[Path] = (), gazetteer_path: Path | None = None,
             overlap: int | None = None, overlap_share: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> PushReport:
    """``corpus push``: documents from files or folders, predictions, gazetteer -> the server."""
    from ..io import iter_jsonl
    from ..records import decode_annotation
    from .guidelines import guidelines_html, load_guidelines
    from .server import client

    import itertools

    docs = iter_documents(doc_paths)  # streamed: never all documents in memory
    first = next(docs, None)
    if first is None:
        where = ", ".join(str(p) for p in doc_paths)
        raise InputError(where, "no documents found (Document JSONL files *.jsonl); make them with: "
                                "corpus ingest seeds/ --out build/documents")
    docs = itertools.chain([first], docs)
    preds = (ann for p in prediction_paths for ann, _, _ in iter_jsonl([p], decode_annotation))
    gaz = load_gazetteer(gazetteer_path, ontology) if gazetteer_path else None
    gaz_version = None
    if gazetteer_path:
        digest = text_sha256(Path(gazetteer_path).read_text(encoding="utf-8"))[:8]
        gaz_version = f"gazetteer:{Path(gazetteer_path).name}:{digest}"
    ls = client(settings)
    return push(ls, docs, ontology, project_title=project_title or settings.project, data_dir=settings.data_dir,
                max_task_chars=settings.max_task_chars, batch_size=settings.batch_size, predictions=preds,
                gazetteer=gaz, gazetteer_version=gaz_version or "gazetteer",
                instructions=guidelines_html(load_guidelines(ontology)), overlap=overlap or settings.overlap,
                overlap_share=overlap_share if overlap_share is not None else settings.overlap_share,
                progress=progress)
