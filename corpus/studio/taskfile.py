"""Reading Label Studio task files: project exports (tasks with ``annotations``) and
pre-annotation import files (tasks with ``predictions``).

One reader for ``corpus pull --from-file`` and the ``labelstudio`` importer, so that both
accept the same files and name the same places in their errors:

* a JSON list of tasks, one task object, or JSON lines of tasks (one object a line);
* UTF-8, with or without a byte order mark;
* a syntax error names the file and line (``export.json:4``); in JSON lines, the line
  of the bad task.

The tasks are returned as they are: checking each one (a ``data`` object, its text) is
the caller's, so that one bad task is rejected by its position (``$[3]``) while the
others go through.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["read_task_file"]


def read_task_file(path: str | Path) -> tuple[list[Any], str]:
    """The tasks of a file and the sha256 of its bytes. Raises InputError naming the file
    (and the line of a JSON syntax error) when it is not a task file at all."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    sha = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig") if data else ""
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: byte {data[exc.start:exc.start + 1]!r} at offset "
                         f"{exc.start} ({exc.reason})") from None
    try:
        tasks = json.loads(text)
    except ValueError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and text.lstrip().startswith("{"):  # JSON lines
            tasks = []
            for n, ln in enumerate(text.splitlines(), 1):
                if not ln.strip():
                    continue
                try:
                    tasks.append(json.loads(ln))
                except ValueError as exc2:
                    raise InputError(f"{path}:{n}", f"not JSON (a line of a JSON lines file): {exc2}") from None
        else:
            line = getattr(exc, "lineno", None)
            raise InputError(f"{path}:{line}" if line else str(path),
                             f"not JSON (a Label Studio task file is a JSON list of tasks, one task, or JSON "
                             f"lines): {exc}") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise InputError(str(path), "a Label Studio file holds a list of tasks (or one task object)", field="$",
                         value=type(tasks).__name__)
    return tasks, sha
