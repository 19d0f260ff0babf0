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

__all__ = ["PullReport", "Converted", "convert_tasks", "pull_tasks", "export_project", "read_export", "document_file"]

SNAPSHOT_THRESHOLD = 1000  # tasks; above this a synchronous export may time out


@dataclass
class PullReport:
    tasks: int = 0
    annotations: int = 0
    records: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)


def document_file(out_dir: Path, doc_id: str) -> Path:
    """``<out>/<doc id>.jsonl``; ids with other characters than ``[A-Za-z0-9._-]`` get
    them replaced and a short hash added, so two ids never share a file."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", doc_id)
    if safe != doc_id or safe.startswith("."):
        safe = f"{safe.lstrip('.')}-{hashlib.sha256(doc_id.encode()).hexdigest()[:8]}"
    return out_dir / f"{safe}.jsonl"


def read_export(path: str | Path) -> list[dict]:
    """Tasks of a Label Studio JSON export (a list of tasks, or one task)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read export: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc}") from None
    except ValueError as exc:
        raise InputError(str(path), f"not a JSON export: {exc}") from None
    if isinstance(data, dict) and "data" in data:
        data = [data]
    if not isinstance(data, list):
        raise InputError(str(path), "a Label Studio JSON export is a list of tasks", field="$",
                         value=type(data).__name__)
    for i, task in enumerate(data):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise InputError(str(path), "each task needs a 'data' object", field=f"$[{i}].data",
                             value=None if not isinstance(task, dict) else task.get("data"))
    return data


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
    doc = documents.get(doc_id) if documents else None
    if doc is not None and (sha is None or doc.text_sha256 == sha):
        return doc.text, ""
    parts = {t["data"].get("part", 0): t["data"] for t in tasks}
    n = max([t["data"].get("parts", 1) for t in tasks] + [len(parts)])
    missing = [i for i in range(n) if i not in parts]
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
    project: int | None = None,
    users: Mapping[int, str] | None = None,
    documents: Mapping[str, Document] | None = None,
    source: str = "labelstudio",
    path: str | None = None,
    fetch_task: Callable[[int], dict] | None = None,
    known_parts: Mapping[str, dict[int, int]] | None = None,
    rejects_path: Path | None = None,
) -> PullReport:
    """Convert exported tasks and write one record per document per annotator."""
    conv = convert_tasks(tasks, ontology, project=project, users=users, documents=documents, source=source,
                         path=path, fetch_task=fetch_task, known_parts=known_parts)
    report = PullReport(tasks=conv.tasks, annotations=conv.annotations, rejects=conv.rejects)
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
        report.unchanged += 1
        return
    atomic_write(path, body)
    report.written.append(path)


def _load_documents(paths: Iterable[Path]) -> dict[str, Document]:
    from ..io import iter_jsonl
    from ..records import decode_document

    existing = [p for p in paths if Path(p).exists()]
    return {d.id: d for d, _, _ in iter_jsonl(existing, decode_document)}


def _users(ls) -> dict[int, str]:
    return {u.id: (u.email or u.username or f"user-{u.id}") for u in ls.users.list()}


def run_pull(settings, ontology: Ontology, out_dir: Path, *, document_paths: Iterable[Path] = (),
             from_file: Path | None = None, rejects_path: Path | None = None,
             project_title: str | None = None) -> PullReport:
    """``corpus pull``: the project's export (or a saved export file) -> Annotation records."""
    from .push import TaskMap, find_project
    from .server import client, health, load_credentials

    documents = _load_documents(document_paths)
    title = project_title or settings.project
    if from_file is not None:
        tasks = read_export(from_file)
        users = None
        # the export names annotators by user id; the server, when it runs, knows their e-mails
        if load_credentials(settings) is not None and health(settings.url, timeout=1):
            users = _users(client(settings))
        return pull_tasks(tasks, ontology, out_dir, users=users, documents=documents, source="labelstudio",
                          path=str(from_file), rejects_path=rejects_path)
    ls = client(settings)
    project = find_project(ls, title)
    if project is None:
        titles = [p.title for p in ls.projects.list()]
        raise StudioError(f"no project titled {title!r} on {settings.url} (projects: {titles}); "
                          f"create it with: corpus push")
    tasks = export_project(ls, project.id, task_count=project.task_number)
    tmap = TaskMap.load(settings.data_dir, project.id)
    known = {d: tmap.task_ids(d) for d in tmap.docs}
    return pull_tasks(tasks, ontology, out_dir, project=project.id, users=_users(ls), documents=documents,
                      fetch_task=lambda tid: {"data": ls.tasks.get(tid).data}, known_parts=known,
                      rejects_path=rejects_path)
