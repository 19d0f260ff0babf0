"""Label Studio calls that scale: task listings with only the columns asked for, and
exports of chosen task ids. Shared by push, pull and status.

Facts of Label Studio 1.23.2 these rely on (read in its code, checked on the server):

- ``GET /api/tasks/?project=P&include=id,updated_at`` (the Data Manager list) returns
  only the named fields; ``query={"filters": ..., "selectedItems": ..., "ordering": ...}``
  filters on the server, e.g. ``filter:tasks:updated_at`` ``greater`` an ISO time (exact
  to the microsecond). ``data`` cannot be cut down: asking for it returns the task text.
- Every change of a task's annotations moves the task's ``updated_at``: an annotation
  saved or deleted (``Annotation.save``/``delete`` call ``update_task``), the Data
  Manager actions that delete annotations or turn predictions into annotations (bulk
  ``update(updated_at=now())``). So "tasks updated after T" holds every task whose
  annotations changed after T, deletions included.
- The Data Manager list prefetches every listed task's annotations and predictions
  whatever ``include`` says: about 1.5 ms a task on 2 cores, so a listing of all task ids
  of 20,000 tasks takes about 30 s. Hence :func:`task_count_and_max_id` (one row) to
  check that nothing was added or deleted before listing anything.
- ``GET /api/projects/P/export?exportType=JSON&ids[]=1&ids[]=2`` exports only those
  tasks (``download_all_tasks=true``: with or without annotations). The SDK's
  ``download_sync(ids=...)`` sends ``ids=`` without the brackets, which the server
  ignores (it exports the whole project): hence the raw call here.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator

from ..errors import StudioError

__all__ = ["list_tasks", "export_tasks", "task_ids", "task_count_and_max_id", "ID_CHUNK"]

ID_CHUNK = 500  # task ids per URL (export ids[], selectedItems): about 9 KB of query string
PAGE_SIZE = 1000  # tasks per listing page of id/updated_at/count columns


def _get(ls, path: str, params: dict, what: str):
    try:
        r = ls._client_wrapper.httpx_client.request(path, method="GET", params=params)
    except Exception as exc:  # network errors: say what was asked
        raise StudioError(f"{what}: the server did not answer: {exc}") from None
    if r.status_code == 404 and params.get("page", 1) > 1:
        return None  # past the last page
    if r.status_code >= 400:
        raise StudioError(f"{what}: HTTP {r.status_code}: {r.text[:500]}")
    return r


def list_tasks(ls, project: int, include: str, *, filters: list[dict] | None = None, conjunction: str = "and",
               ids: Iterable[int] | None = None, page_size: int = PAGE_SIZE, ordering: str = "tasks:id",
               one_page: bool = False) -> Iterator[dict]:
    """Tasks of ``project`` as dicts of the ``include`` fields (comma separated), in
    ``ordering`` (id by default), a page at a time; ``filters`` are Data Manager filter
    items; ``ids`` selects those tasks only (asked ``ID_CHUNK`` at a time); ``one_page``:
    the first page only."""
    if ids is not None:
        ids = sorted(set(ids))
        for i in range(0, len(ids), ID_CHUNK):
            yield from _list(ls, project, include, filters, conjunction,
                             {"all": False, "included": ids[i:i + ID_CHUNK]}, page_size, ordering, one_page)
        return
    yield from _list(ls, project, include, filters, conjunction, None, page_size, ordering, one_page)


def _list(ls, project, include, filters, conjunction, selected, page_size, ordering, one_page) -> Iterator[dict]:
    query: dict = {"ordering": [ordering]}
    if filters:
        query["filters"] = {"conjunction": conjunction, "items": filters}
    if selected is not None:
        query["selectedItems"] = selected
    page = 1
    while True:
        params = {"project": project, "include": include, "page_size": page_size, "page": page,
                  "query": json.dumps(query, separators=(",", ":"))}
        r = _get(ls, "api/tasks/", params, f"listing the tasks of project {project}")
        if r is None:
            return
        body = r.json()
        tasks = body.get("tasks", [])
        yield from tasks
        if one_page or len(tasks) < page_size or page * page_size >= body.get("total", 0):
            return
        page += 1


def task_count_and_max_id(ls, project: int) -> tuple[int, int | None]:
    """How many tasks the project has and its newest task id: one row asked (task ids
    only grow, on SQLite and PostgreSQL alike)."""
    params = {"project": project, "include": "id", "page_size": 1, "page": 1,
              "query": json.dumps({"ordering": ["-tasks:id"]}, separators=(",", ":"))}
    body = _get(ls, "api/tasks/", params, f"counting the tasks of project {project}").json()
    tasks = body.get("tasks") or []
    return int(body.get("total", 0)), (tasks[0]["id"] if tasks else None)


def task_ids(ls, project: int) -> list[int]:
    """Ids of every task of the project (one small column, not the tasks)."""
    return [t["id"] for t in list_tasks(ls, project, "id", page_size=5000)]


def export_tasks(ls, project: int, ids: Iterable[int], *, all_tasks: bool = True) -> list[dict]:
    """The JSON export of these tasks only (``all_tasks``: also those without annotations),
    ``ID_CHUNK`` ids per call."""
    ids = sorted(set(ids))
    out: list[dict] = []
    for i in range(0, len(ids), ID_CHUNK):
        params = {"exportType": "JSON", "ids[]": ids[i:i + ID_CHUNK]}
        if all_tasks:
            params["download_all_tasks"] = "true"
        r = _get(ls, f"api/projects/{project}/export", params, f"export of {len(params['ids[]'])} tasks of project {project}")
        try:
            out += json.loads(r.content)
        except ValueError as exc:
            raise StudioError(f"the export of project {project} is not JSON: {exc}") from None
    return out
