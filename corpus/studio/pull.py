"""Pull annotations from Label Studio (or a JSON export file) into Annotation records.

One record per document per annotator, written to ``<out>/<doc id>.jsonl`` (sorted by
annotator). A file is rewritten, atomically, only when its content changed, so a pull is
incremental and a crash leaves every file either old or new. Records in those files that
did not come from this project (other projects, importers) are kept as they are.

Each annotation is bound to the exact text it was made on: the task's ``text_sha256``.
The text comes from the corpus documents when their hash matches, else from the tasks'
own parts put together (they are contiguous, see :mod:`corpus.studio.push`); offsets are
checked against it. What cannot be converted is kept aside in the rejects file with the
task id, annotation id and reason.

Pulling from the server scales with what changed, not with the project:

- the export is asked for chosen task ids, ``EXPORT_CHUNK`` tasks a call, a few
  documents at a time (all parts of a split document in the same call, from the task
  map of :mod:`corpus.studio.push`), and each chunk is converted and written before the
  next: memory holds one chunk, never the whole project;
- after a pull, ``<data_dir>/pull-p<project>-<out>.json`` (written atomically) keeps the
  server time of the last pull (``cursor``) and, per task pulled, its ``updated_at``,
  document and number of annotations. The next pull asks the server only for the tasks
  updated since (a Data Manager filter on ``updated_at``, id and counters only) and
  exports just those documents. Label Studio moves a task's ``updated_at`` whenever one
  of its annotations is saved or deleted, so deleted annotations are noticed too; tasks
  deleted from the server are noticed from the list of task ids. The first pull into an
  output folder, a pull with another ontology, and ``corpus pull --full`` read
  everything again (and drop the records of documents with no annotations left).
"""

from __future__ import annotations

import json
import re
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import msgspec

from ..errors import InputError, StudioError
from ..io import atomic_write
from ..ontology import Ontology
from ..records import Annotation, Document, decode_annotation, encode, text_sha256
from .convert import Reject, annotations_from_task, merge_parts
from .taskfile import read_task_file

__all__ = ["PullReport", "Converted", "convert_tasks", "pull_tasks", "pull_project", "export_project",
           "read_export", "document_file", "DocumentTexts"]

SNAPSHOT_THRESHOLD = 1000  # tasks; above this a synchronous export may time out
EXPORT_CHUNK = 500  # tasks per export call of a pull (documents are never split between calls)
# tasks updated this long before the last pull's cursor are asked again (and skipped when
# their updated_at is the one pulled): a write committed late is not missed. Label Studio
# commits each write at once (no ATOMIC_REQUESTS): the gap is the statement's own time.
CURSOR_MARGIN_SECONDS = 30


@dataclass
class PullReport:
    tasks: int = 0  # tasks exported (and converted)
    annotations: int = 0
    records: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    full: bool = True  # False: only what changed since the last pull was exported
    changed_tasks: int = 0  # tasks the server listed as updated since the last pull (incremental)
    deleted_tasks: int = 0  # tasks pulled before that the server no longer has
    export_calls: int = 0
    removed: list[Path] = field(default_factory=list)  # files left with no record
    reason: str = ""  # why the pull was full


def document_file(out_dir: Path, doc_id: str) -> Path:
    """``<out>/<doc id>.jsonl``; ids with other characters than ``[A-Za-z0-9._-]`` get
    them replaced and a short hash added, so two ids never share a file."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", doc_id)
    if safe != doc_id or safe.startswith("."):
        safe = f"{safe.lstrip('.')}-{hashlib.sha256(doc_id.encode()).hexdigest()[:8]}"
    return out_dir / f"{safe}.jsonl"


def read_export(path: str | Path) -> tuple[list[dict], list[Reject]]:
    """Tasks of a Label Studio export file (a JSON list of tasks, one task, or JSON lines;
    read by :func:`corpus.studio.taskfile.read_task_file`, the importer's reader too) and
    rejects naming (``$[i]``) each entry that is not a task with a ``data`` object: one
    bad entry does not stop the others."""
    items, _ = read_task_file(path)
    tasks: list[dict] = []
    rejects: list[Reject] = []
    for i, task in enumerate(items):
        data = task.get("data") if isinstance(task, dict) else None
        if isinstance(data, dict):
            tasks.append(task)
            continue
        what = f"field '$[{i}].data' is {data!r}" if isinstance(task, dict) else f"'$[{i}]' is {task!r:.80}"
        tid = task.get("id") if isinstance(task, dict) and isinstance(task.get("id"), int) else None
        rejects.append(Reject(reason=f"$[{i}]: not a task with a 'data' object ({what}): skipped", task=tid,
                              path=str(path), item=task))
    return tasks, rejects


def export_project(ls, project: int, *, task_count: int | None = None, timeout: float = 1800,
                   all_tasks: bool = False) -> list[dict]:
    """Every annotated task of the project (``all_tasks``: every task, with the drafts of
    unfinished ones) as exported JSON; a snapshot export for large projects (synchronous
    exports are reported to time out from about 1,200 tasks)."""
    if task_count is not None and task_count > SNAPSHOT_THRESHOLD:
        # only annotated tasks, like the synchronous export (skipped ones included)
        snap = ls.projects.exports.create(project, title=f"corpus pull {int(time.time())}",
                                          task_filter_options={"only_with_annotations": not all_tasks})
        deadline = time.monotonic() + timeout
        while ls.projects.exports.get(project, snap.id).status != "completed":
            if time.monotonic() > deadline:
                raise StudioError(f"snapshot export {snap.id} of project {project} not ready after {timeout:.0f} s")
            time.sleep(1.0)
        chunks = ls.projects.exports.download(project, snap.id, export_type="JSON")
    else:
        chunks = ls.projects.exports.download_sync(project, export_type="JSON",
                                                   download_all_tasks=True if all_tasks else None)
    raw = b"".join(chunks)
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise StudioError(f"the export of project {project} is not JSON: {exc}") from None


def _doc_text(doc_id: str, tasks: list[dict], documents: Mapping[str, Document] | None,
              fetch: Callable[[int], dict] | None, known_parts: Mapping[str, dict[int, int]] | None) -> tuple[str | None, str]:
    """The text the tasks of one document were made on, or (None, reason)."""
    shas = {t["data"].get("text_sha256") for t in tasks}
    if len(shas) > 1:
        return None, f"its tasks hold several texts (text_sha256 {sorted(s or '?' for s in shas)})"
    sha = shas.pop()
    parts = {t["data"].get("part", 0): t["data"] for t in tasks}
    n = max([t["data"].get("parts", 1) for t in tasks] + [len(parts)])
    missing = [i for i in range(n) if i not in parts]
    if not missing and sha is not None:
        # every part is here (a pull exports all parts of a document): no document needed
        text = "".join(parts[i].get("text", "") for i in range(n))
        if text_sha256(text) == sha:
            return text, ""
    doc = documents.get(doc_id) if documents else None
    if doc is not None and (sha is None or doc.text_sha256 == sha):
        return doc.text, ""
    if missing and fetch and known_parts and doc_id in known_parts:
        for i in missing:
            if i in known_parts[doc_id]:
                parts[i] = fetch(known_parts[doc_id][i]).get("data", {})
        missing = [i for i in range(n) if i not in parts]
    if missing:
        why = "the corpus documents have no text with that hash" if doc is None else \
            f"the document's text is now {doc.text_sha256[:12]}… (changed since push)"
        return None, f"{why}, and parts {missing} of its {n} tasks are not in the export"
    text = "".join(parts[i].get("text", "") for i in range(n))
    if sha is not None and text_sha256(text) != sha:
        return None, f"its parts put together do not hash to text_sha256 {sha[:12]}…"
    return text, ""


@dataclass
class Converted:
    """Exported tasks converted in memory: one record per document per annotator."""

    project: int | None = None
    tasks: int = 0
    annotations: int = 0
    records: dict[str, list[Annotation]] = field(default_factory=dict)  # doc id -> records by annotator
    rejects: list[Reject] = field(default_factory=list)
    unbound: set[str] = field(default_factory=set)  # documents whose text was not found: files left alone

    def all_records(self) -> list[Annotation]:
        return [r for doc_id in sorted(self.records) for r in self.records[doc_id]]


def convert_tasks(
    tasks: Iterable[dict],
    ontology: Ontology,
    *,
    project: int | None = None,
    users: Mapping[int, str] | None = None,
    documents: Mapping[str, Document] | None = None,
    source: str = "labelstudio",
    path: str | None = None,
    fetch_task: Callable[[int], dict] | None = None,
    known_parts: Mapping[str, dict[int, int]] | None = None,
) -> Converted:
    """Exported tasks -> Annotation records, in memory (``corpus pull`` writes them;
    ``corpus studio status`` measures the agreement so far on them)."""
    out = Converted(project=project)
    by_doc: dict[str, list[dict]] = {}
    for task in tasks:
        out.tasks += 1
        data = task.get("data") or {}
        if out.project is None and isinstance(task.get("project"), int):
            out.project = task["project"]
        doc_id = data.get("doc_id")
        if not doc_id:
            for a in task.get("annotations") or []:
                out.rejects.append(Reject(reason="task has no data.doc_id: not made by corpus push "
                                          "(import it with the importers instead)", task=task.get("id"),
                                          annotation=a.get("id"), path=path))
            continue
        by_doc.setdefault(doc_id, []).append(task)
    project = out.project

    for doc_id in sorted(by_doc):
        tasks_of = sorted(by_doc[doc_id], key=lambda t: t["data"].get("part", 0))
        if not any(t.get("annotations") for t in tasks_of):
            continue
        text, why = _doc_text(doc_id, tasks_of, documents, fetch_task, known_parts)
        if text is None:
            out.unbound.add(doc_id)
            for t in tasks_of:
                for a in t.get("annotations") or []:
                    out.rejects.append(Reject(reason=f"cannot bind to the text it was made on: {why}",
                                              task=t.get("id"), annotation=a.get("id"), document_id=doc_id,
                                              path=path))
            continue
        multi = len(tasks_of) > 1 or tasks_of[0]["data"].get("parts", 1) > 1
        per_annotator: dict[str, list[Annotation]] = {}
        for t in tasks_of:
            out.annotations += len(t.get("annotations") or [])
            anns, bad = annotations_from_task(t, text, ontology, source=source, project=project, users=users,
                                              path=path)
            out.rejects.extend(bad)
            # one annotator with several annotations of one task: the latest one counts
            latest: dict[str, Annotation] = {}
            for ann in anns:
                prev = latest.get(ann.annotator)
                if prev is None or (ann.updated_at or "", ann.id) > (prev.updated_at or "", prev.id):
                    if prev is not None:
                        out.rejects.append(_superseded(prev, ann, t, doc_id, path))
                    latest[ann.annotator] = ann
                else:
                    out.rejects.append(_superseded(ann, prev, t, doc_id, path))
            for annotator, ann in latest.items():
                per_annotator.setdefault(annotator, []).append(ann)
        records = []
        for annotator, parts in sorted(per_annotator.items()):
            rid = f"ls-p{project if project is not None else 0}-{doc_id}-{annotator}" if multi else None
            records.append(merge_parts(parts, record_id=rid) if multi else parts[0])
        out.records[doc_id] = records
    return out


def pull_tasks(
    tasks: Iterable[dict],
    ontology: Ontology,
    out_dir: Path,
    *,
    rejects_path: Path | None = None,
    rejects: Iterable[Reject] = (),
    **convert,
) -> PullReport:
    """Convert exported tasks (``convert`` are convert_tasks' options) and write one record
    per document per annotator; ``rejects``: those found before (entries of the file that
    are not tasks), kept first."""
    conv = convert_tasks(tasks, ontology, **convert)
    report = PullReport(tasks=conv.tasks, annotations=conv.annotations, rejects=[*rejects, *conv.rejects])
    out_dir.mkdir(parents=True, exist_ok=True)
    for doc_id, records in conv.records.items():
        report.records += len(records)
        _write_document(out_dir, doc_id, records, conv.project, report)

    if rejects_path is not None:
        body = b"".join(msgspec.json.encode(r) + b"\n" for r in report.rejects)
        if report.rejects or rejects_path.exists():
            atomic_write(rejects_path, body)
    return report


def _superseded(old: Annotation, new: Annotation, task: dict, doc_id: str, path: str | None) -> Reject:
    return Reject(reason=f"superseded: {old.annotator} has a later annotation {new.origin.annotation} of this task",
                  task=task.get("id"), annotation=old.origin.annotation if old.origin else None,
                  document_id=doc_id, annotator=old.annotator, path=path)


def _write_document(out_dir: Path, doc_id: str, records: list[Annotation], project: int | None,
                    report: PullReport) -> None:
    path = document_file(out_dir, doc_id)
    kept: list[Annotation] = []
    old = b""
    if path.exists():
        old = path.read_bytes()
        ids = {r.id for r in records}
        for n, line in enumerate(old.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = decode_annotation(line)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise InputError(f"{path}:{n}", f"not an Annotation record: {exc}; fix or move the file, "
                                 f"pull will not overwrite it") from None
            # records of other origins share the file: never drop them
            if rec.id not in ids and not (rec.origin and rec.origin.kind == "labelstudio"
                                          and rec.origin.project == project):
                kept.append(rec)
    allrecs = sorted(kept + records, key=lambda r: (r.annotator, r.id))
    body = b"".join(encode(r) + b"\n" for r in allrecs)
    if body == old:
        if old:
            report.unchanged += 1
        return
    if not body:
        # every annotation of the document was deleted on the server, nothing else shares it
        path.unlink()
        report.removed.append(path)
        return
    atomic_write(path, body)
    report.written.append(path)


class _Id(msgspec.Struct):
    id: str


class _Text(msgspec.Struct):
    id: str
    text: str

    @property
    def text_sha256(self) -> str:
        return text_sha256(self.text)


class DocumentTexts:
    """The texts of the corpus documents by id, read from their files when asked: the
    files are scanned once (on the first look-up) for the byte offset of each document,
    and a text is read back from its line. Memory: an offset per document, not the
    documents (their tokens and sentences are never decoded)."""

    def __init__(self, paths: Iterable[Path]):
        self.paths = [Path(p) for p in paths if Path(p).exists()]
        self._index: dict[str, tuple[int, int, int]] | None = None  # id -> (file, offset, length)
        self._files: list[Path] = []

    def _scan(self) -> None:
        from ..io import jsonl_files

        dec = msgspec.json.Decoder(_Id)
        self._index = {}
        for f in jsonl_files(self.paths):
            k = len(self._files)
            self._files.append(f)
            offset = 0
            with open(f, "rb") as fh:
                for line in fh:
                    if line.strip():
                        try:
                            self._index.setdefault(dec.decode(line).id, (k, offset, len(line)))
                        except (msgspec.ValidationError, msgspec.DecodeError):
                            pass  # not a document: ingest and validate report it, not pull
                    offset += len(line)

    def get(self, doc_id: str, default=None):
        if self._index is None:
            self._scan()
        where = self._index.get(doc_id)
        if where is None:
            return default
        k, offset, length = where
        with open(self._files[k], "rb") as fh:
            fh.seek(offset)
            return msgspec.json.decode(fh.read(length), type=_Text)

    def __bool__(self) -> bool:
        return bool(self.paths)


def _load_documents(paths: Iterable[Path]) -> DocumentTexts:
    return DocumentTexts(paths)


def _users(ls) -> dict[int, str]:
    return {u.id: (u.email or u.username or f"user-{u.id}") for u in ls.users.list()}


# --- pulling from the server: by chunks of documents, only what changed ------------------

@dataclass
class _State:
    """What the last pull of one project into one folder saw (see the module docstring)."""

    path: Path
    project: int
    out: str
    ontology: str
    cursor: str | None = None
    tasks: dict[str, list] = field(default_factory=dict)  # task id -> [updated_at, doc_id, annotations]

    @classmethod
    def file(cls, data_dir: Path, project: int, out_dir: Path) -> Path:
        key = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:10]
        return Path(data_dir) / f"pull-p{project}-{key}.json"

    @classmethod
    def load(cls, data_dir: Path, project: int, out_dir: Path) -> "_State | None":
        path = cls.file(data_dir, project, out_dir)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, project, d["out"], d["ontology"], d.get("cursor"), d.get("tasks", {}))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no state, or unreadable: a full pull makes it again

    def save(self) -> None:
        atomic_write(self.path, json.dumps({"project": self.project, "out": self.out, "ontology": self.ontology,
                                            "cursor": self.cursor, "tasks": self.tasks}, separators=(",", ":")))


def _latest_update(ls, project: int) -> str | None:
    """The newest ``updated_at`` of the project's tasks (server time), one row asked."""
    from .api import list_tasks

    for t in list_tasks(ls, project, "id,updated_at", ordering="-tasks:updated_at", page_size=1, one_page=True):
        return t.get("updated_at")
    return None


def _minus(iso: str, seconds: float) -> str:
    from datetime import datetime, timedelta

    t = datetime.fromisoformat(iso.replace("Z", "+00:00")) - timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_ANNOTATED = [{"filter": "filter:tasks:annotations_ids", "operator": "empty", "type": "List", "value": False}]


def pull_project(
    ls,
    project: int,
    ontology: Ontology,
    out_dir: Path,
    *,
    data_dir: Path,
    documents=None,
    rejects_path: Path | None = None,
    full: bool = False,
    chunk_size: int = EXPORT_CHUNK,
) -> PullReport:
    """Pull a project's annotations into ``out_dir``: everything the first time (or with
    ``full``), afterwards only the documents whose tasks changed since the last pull."""
    from .api import list_tasks
    from .push import TaskMap, sync_task_map

    tmap = TaskMap.load(data_dir, project)
    _, changed_map = sync_task_map(ls, tmap)  # duplicate/foreign warnings are push's to give
    if changed_map:
        tmap.save()
    by_task = tmap.by_task()
    ont = f"{ontology.name} {ontology.version}"
    state = None if full else _State.load(data_dir, project, out_dir)
    report = PullReport()
    if full:
        report.reason = "asked (--full)"
    elif state is None:
        report.reason = "first pull into this folder"
    elif state.ontology != ont:
        report.reason = f"the ontology is now {ont} (was {state.ontology})"
    elif not out_dir.is_dir():
        report.reason = f"{out_dir} does not exist"
    else:
        report.full = False
    if report.full:
        state = _State(_State.file(data_dir, project, out_dir), project, str(out_dir), ont)
    latest = _latest_update(ls, project)

    # which tasks to export, and which documents they belong to
    want: dict[str, set[int]] = {}  # doc id -> its task ids (all parts)
    loose: set[int] = set()         # tasks the map does not place (no data.doc_id, duplicates)
    updated: dict[int, str] = {}    # task id -> updated_at as listed
    gone: set[str] = set()          # documents that had annotations and lost tasks
    deleted: set[int] = set()       # tasks pulled before, gone from the server

    def place(tid: int) -> None:
        where = by_task.get(tid)
        if where is None:
            loose.add(tid)
        else:
            want.setdefault(where[0], set()).update(tmap.task_ids(where[0]).values())

    if report.full:
        for t in list_tasks(ls, project, "id,updated_at", filters=_ANNOTATED):
            updated[t["id"]] = t.get("updated_at")
            place(t["id"])
    else:
        listings = [None]
        if state.cursor:
            # after the cursor; and, for a write stamped before it but committed after the
            # last pull read it, a margin before it. Not the cursor's own instant: a bulk
            # action stamps thousands of tasks with one time, committed at once, and seen.
            after = {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime",
                     "value": state.cursor}
            margin = [{"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime",
                       "value": _minus(state.cursor, CURSOR_MARGIN_SECONDS)},
                      {"filter": "filter:tasks:updated_at", "operator": "less", "type": "Datetime",
                       "value": state.cursor}]
            listings = [[after], margin]
        fields = "id,updated_at,total_annotations,cancelled_annotations"
        for t in (t for filters in listings for t in list_tasks(ls, project, fields, filters=filters)):
            tid, ua = t["id"], t.get("updated_at")
            before = state.tasks.get(str(tid))
            if before is not None and before[0] == ua:
                continue  # in the margin, pulled as it is
            annotated = (t.get("total_annotations") or 0) + (t.get("cancelled_annotations") or 0) > 0
            if not annotated and not (before and before[2]):
                # no annotations now nor at the last pull (a new task, a prediction): nothing
                # to write; remembered as seen
                state.tasks[str(tid)] = [ua, by_task.get(tid, (None,))[0], 0]
                continue
            report.changed_tasks += 1
            updated[tid] = ua
            place(tid)
        for key, (ua, doc_id, n) in list(state.tasks.items()):
            if int(key) not in tmap.on_server:
                del state.tasks[key]
                deleted.add(int(key))
                if n and doc_id is not None:
                    report.deleted_tasks += 1
                    gone.add(doc_id)
        for doc_id in gone:
            if doc_id not in want:
                want[doc_id] = set(tmap.task_ids(doc_id).values())
    if report.full and out_dir.is_dir():
        # documents with no annotated task left: their records of this project go
        for doc_id in tmap.docs:
            if doc_id not in want and document_file(out_dir, doc_id).exists():
                want[doc_id] = set()

    out_dir.mkdir(parents=True, exist_ok=True)
    known = {d: tmap.task_ids(d) for d in want}
    users = _users(ls)
    exported: set[int] = set()
    chunk_docs: list[str] = []
    chunk_ids: set[int] = set()

    def run_chunk(docs: list[str], ids: set[int], extra: set[int] = frozenset()) -> None:
        tasks = _export(ls, project, ids | extra, report) if (ids or extra) else []
        if extra:
            # tasks the map does not place: their documents' other tasks come too
            more = set()
            for t in tasks:
                d = (t.get("data") or {}).get("doc_id")
                if d and d not in docs:
                    docs.append(d)
                    more |= set(tmap.task_ids(d).values()) - ids - extra
            if more:
                tasks += _export(ls, project, more, report)
        conv = convert_tasks(tasks, ontology, project=project, users=users, documents=documents,
                             fetch_task=lambda tid: {"data": ls.tasks.get(tid).data}, known_parts=known)
        report.tasks += conv.tasks
        report.annotations += conv.annotations
        report.rejects += conv.rejects
        for doc_id in docs:
            if doc_id in conv.unbound:
                continue
            records = conv.records.get(doc_id, [])
            report.records += len(records)
            _write_document(out_dir, doc_id, records, project, report)
        for t in tasks:
            exported.add(t["id"])
            data = t.get("data") or {}
            anns = t.get("annotations") or []
            state.tasks[str(t["id"])] = [updated.get(t["id"], t.get("updated_at")), data.get("doc_id"), len(anns)]
        state.save()  # after every chunk: a pull stopped half-way redoes only the rest

    for doc_id in sorted(want):
        ids = want[doc_id]
        if chunk_docs and len(chunk_ids) + len(ids) > chunk_size:
            run_chunk(chunk_docs, chunk_ids)
            chunk_docs, chunk_ids = [], set()
        chunk_docs.append(doc_id)
        chunk_ids |= ids
    if chunk_docs:
        run_chunk(chunk_docs, chunk_ids)
    loose_ids = sorted(loose)
    for i in range(0, len(loose_ids), chunk_size):
        run_chunk([], set(), set(loose_ids[i:i + chunk_size]))

    if latest is not None and (state.cursor is None or latest > state.cursor):
        state.cursor = latest
    state.save()
    if rejects_path is not None:
        _write_rejects(rejects_path, report.rejects, None if report.full else exported | deleted)
    return report


def _export(ls, project: int, ids: set[int], report: PullReport) -> list[dict]:
    from .api import ID_CHUNK, export_tasks

    report.export_calls += -(-len(ids) // ID_CHUNK)
    return export_tasks(ls, project, ids, all_tasks=True)


def _write_rejects(path: Path, rejects: list[Reject], redone: set[int] | None) -> None:
    """The rejects file: this pull's rejects, plus (``redone`` given: an incremental pull)
    the earlier ones of tasks this pull did not export again."""
    lines = []
    if redone is not None and path.exists():
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                old = msgspec.json.decode(line)
            except msgspec.DecodeError:
                old = None
            if not isinstance(old, dict):
                # not a reject this toolkit wrote (an edit, a truncated line): kept as it is,
                # nothing is dropped that a person may want to read
                lines.append(line + b"\n")
            elif old.get("task") not in redone:
                lines.append(line + b"\n")
    lines += [msgspec.json.encode(r) + b"\n" for r in rejects]
    if lines or path.exists():
        atomic_write(path, b"".join(lines))


def run_pull(settings, ontology: Ontology, out_dir: Path, *, document_paths: Iterable[Path] = (),
             from_file: Path | None = None, rejects_path: Path | None = None,
             project_title: str | None = None, full: bool = False) -> PullReport:
    """``corpus pull``: the project's annotations (only what changed since the last pull,
    unless ``full``), or a saved export file, -> Annotation records."""
    from .push import find_project
    from .server import client, health, load_credentials

    documents = _load_documents(document_paths)
    title = project_title or settings.project
    if from_file is not None:
        tasks, bad = read_export(from_file)
        users = None
        # the export names annotators by user id; the server, when it runs, knows their e-mails
        if load_credentials(settings) is not None and health(settings.url, timeout=1):
            users = _users(client(settings))
        return pull_tasks(tasks, ontology, out_dir, users=users, documents=documents, source="labelstudio",
                          path=str(from_file), rejects_path=rejects_path, rejects=bad)
    ls = client(settings)
    project = find_project(ls, title)
    if project is None:
        titles = [p.title for p in ls.projects.list()]
        raise StudioError(f"no project titled {title!r} on {settings.url} (projects: {titles}); "
                          f"create it with: corpus push")
    return pull_project(ls, project.id, ontology, out_dir, data_dir=settings.data_dir, documents=documents,
                        rejects_path=rejects_path, full=full)
