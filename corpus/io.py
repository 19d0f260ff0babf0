"""Reading and writing JSONL records: streaming, sharded, atomic."""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import msgspec

from .errors import InputError
from .records import encode

__all__ = ["atomic_write", "ShardWriter", "iter_jsonl", "jsonl_files", "write_jsonl", "SIDECARS"]

#: reports that ingest, import and adjudicate write beside their records; never records themselves
SIDECARS = frozenset({"rejects.jsonl", "duplicates.jsonl", "repairs.jsonl", "warnings.jsonl", "conflicts.jsonl",
                      "disagreements.jsonl"})

T = TypeVar("T")


def _file_mode() -> int:
    # mkstemp makes 0600 files; published files get the usual mode under the umask
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _file_mode()


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write a file so that readers see either the old content or the new, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ShardWriter:
    """Writes records to ``DIR/PREFIX-00000.jsonl`` shards of at most ``shard_size`` lines.

    Each shard is written to a hidden temporary file and renamed into place when full or
    when the writer closes without an exception, so an interrupted run leaves no
    half-written shard. Shards of an earlier run with the same prefix are replaced.
    """

    def __init__(self, out_dir: str | Path, prefix: str, shard_size: int = 10_000):
        self.out_dir = Path(out_dir)
        self.prefix = prefix
        self.shard_size = shard_size
        self.count = 0
        self.paths: list[Path] = []
        self._file = None
        self._tmp: str | None = None
        self._in_shard = 0

    def __enter__(self) -> "ShardWriter":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, record: msgspec.Struct) -> None:
        self.write_line(encode(record))

    def write_line(self, line: bytes) -> None:
        """Write one already encoded record (without its newline)."""
        if self._file is None:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.prefix}.", suffix=".tmp", dir=self.out_dir)
            os.fchmod(fd, _MODE)
            self._file = os.fdopen(fd, "wb")
        self._file.write(line)
        self._file.write(b"\n")
        self.count += 1
        self._in_shard += 1
        if self._in_shard >= self.shard_size:
            self._seal()

    def _seal(self) -> None:
        assert self._file is not None and self._tmp is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        path = self.out_dir / f"{self.prefix}-{len(self.paths):05d}.jsonl"
        os.replace(self._tmp, path)
        self.paths.append(path)
        self._file, self._tmp, self._in_shard = None, None, 0

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            if self._file is not None:
                self._seal()
            # shards of an earlier, larger run with the same prefix are stale
            for old in self.out_dir.glob(f"{self.prefix}-*.jsonl"):
                if old not in self.paths:
                    old.unlink()
        elif self._file is not None:
            self._file.close()
            Path(self._tmp).unlink(missing_ok=True)


def write_jsonl(path: str | Path, records: Iterable[msgspec.Struct]) -> int:
    """Write records to one JSONL file atomically; returns how many."""
    lines = [encode(r) + b"\n" for r in records]
    atomic_write(path, b"".join(lines))
    return len(lines)


def jsonl_files(paths: Iterable[str | Path], pattern: str = "*.jsonl") -> Iterator[Path]:
    """Files named directly, and the matching record files under folders (not hidden
    files, not SIDECARS reports), in sorted order."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(x for x in p.rglob(pattern)
                              if x.is_file() and not x.name.startswith(".") and x.name not in SIDECARS)
        elif p.exists():
            yield p
        else:
            raise InputError(str(p), "no such file or directory")


def iter_jsonl(
    paths: Iterable[str | Path], decode: Callable[[bytes], T], pattern: str = "*.jsonl"
) -> Iterator[tuple[T, Path, int]]:
    """Yield ``(record, path, line_number)`` from JSONL files; bad lines raise InputError
    naming the file and line."""
    for path in jsonl_files(paths, pattern):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield decode(line), path, n
                except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                    raise InputError(f"{path}:{n}", str(exc)) from None
