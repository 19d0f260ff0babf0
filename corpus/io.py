"""Reading and writing JSONL records: streaming, sharded, atomic."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import msgspec

from .errors import InputError
from .records import encode

__all__ = ["atomic_write", "atomic_stream", "jsonl_lines", "ShardWriter", "ShardIndex", "read_shard_index", "iter_jsonl",
           "jsonl_files", "write_jsonl", "SIDECARS"]

#: reports that ingest, import and adjudicate write beside their records; never records themselves
SIDECARS = frozenset({"rejects.jsonl", "duplicates.jsonl", "repairs.jsonl", "warnings.jsonl", "conflicts.jsonl",
                      "disagreements.jsonl"})

T = TypeVar("T")


def _file_mode() -> int:
    """The usual mode of a new file under the process umask (mkstemp makes 0600 files,
    and released files are published)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_stream(path: str | Path):
    """A binary file written as it streams, renamed into place only when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _file_mode())
    f = os.fdopen(fd, "wb")
    try:
        yield f
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.replace(tmp, path)
    except BaseException:
        f.close()
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write a file so that readers see either the old content or the new, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ShardIndex(msgspec.Struct):
    """Where each record of a shard starts: ``keys[i]``'s line is at byte ``offsets[i]``."""

    shard: str
    size: int
    mtime_ns: int
    keys: list[str]
    offsets: list[int]


def read_shard_index(shard: Path) -> ShardIndex | None:
    """The index beside ``shard`` if it still describes it (same name, size and
    modification time), else None: a shard edited, copied without its times, or rewritten
    is read the slow way."""
    try:
        idx = msgspec.json.decode(shard.with_suffix(".idx").read_bytes(), type=ShardIndex)
        st = shard.stat()
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    if idx.shard != shard.name or idx.size != st.st_size or idx.mtime_ns != st.st_mtime_ns or len(idx.keys) != len(idx.offsets):
        return None
    return idx


class ShardWriter:
    """Writes records to ``DIR/PREFIX-00000.jsonl`` shards of at most ``shard_size`` lines.

    Shards are written into a hidden staging folder inside DIR and moved into place only
    when the writer closes without an exception: then the new shards replace those of an
    earlier run with the same prefix, and stale ones (of an earlier, larger run) go. A
    run that fails or is interrupted leaves DIR as it was, and no half-written shard.

    With ``index``, each shard gets a ``PREFIX-00000.idx`` beside it: the ``key`` given
    with each record (a document's id) and the byte offset of its line, with the shard's
    size and modification time, so that a reader (``read_shard_index``) finds records
    without parsing the shard, and knows when the index no longer describes it.
    """

    def __init__(self, out_dir: str | Path, prefix: str, shard_size: int = 10_000, *, index: bool = False):
        self.out_dir = Path(out_dir)
        self._index: tuple[list[str], list[int]] | None = ([], []) if index else None
        self._offset = 0
        self.prefix = prefix
        self.shard_size = shard_size
        self.count = 0
        self.paths: list[Path] = []  # the published shards, after a successful close
        self._staged: list[Path] = []
        self._staging: Path | None = None
        self._file = None
        self._in_shard = 0
        self._pending: list[int] | None = None  # [source fd, start, end] not copied yet

    def __enter__(self) -> "ShardWriter":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=f".{self.prefix}-staging-", dir=self.out_dir))
        return self

    def write(self, record: msgspec.Struct) -> None:
        self.write_line(encode(record), getattr(record, "id", None))

    def write_line(self, line: bytes, key: str | None = None) -> None:
        """Write one already encoded record (without its newline)."""
        f = self._current()
        self.flush_copies()
        f.write(line)
        f.write(b"\n")
        self._wrote_one(len(line) + 1, key)

    def write_copy(self, src_fd: int, offset: int, size: int, key: str | None = None) -> None:
        """Write one encoded record (with its newline) that lies in the open file
        ``src_fd`` at ``offset``. Records that follow each other there are copied
        together, by the kernel (``os.copy_file_range``: the bytes never enter this
        process), at the latest by ``flush_copies``, which must run before ``src_fd``
        is closed."""
        self._current()
        p = self._pending
        if p is not None and p[0] == src_fd and p[2] == offset:
            p[2] = offset + size
        else:
            self.flush_copies()
            self._pending = [src_fd, offset, offset + size]
        self._wrote_one(size, key)

    def flush_copies(self) -> None:
        """Copy the records ``write_copy`` has not copied yet."""
        if self._pending is None:
            return
        src, start, end = self._pending
        self._pending = None
        assert self._file is not None
        self._file.flush()  # what was written before goes first
        dst = self._file.fileno()
        while start < end:
            try:
                n = os.copy_file_range(src, dst, end - start, start)
            except (AttributeError, OSError):  # not Linux, or not between these files
                n = 0
            if n <= 0:  # some file systems copy nothing rather than fail: copy through here
                n = os.write(dst, os.pread(src, min(end - start, 1 << 24), start))
            if n <= 0:
                raise OSError(f"could not copy records into {self._staged[-1]}: their source ended early")
            start += n

    def _current(self):
        if self._file is None:
            assert self._staging is not None, "use ShardWriter as a context manager"
            path = self._staging / f"{self.prefix}-{len(self._staged):05d}.jsonl"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _file_mode())
            self._file = os.fdopen(fd, "wb", buffering=1 << 20)  # records are ~10-20 KB: few syscalls
            self._staged.append(path)
        return self._file

    def _wrote_one(self, size: int, key: str | None) -> None:
        if self._index is not None:
            if key is None:
                raise ValueError("an indexed ShardWriter needs the key of every record")
            self._index[0].append(key)
            self._index[1].append(self._offset)
        self._offset += size
        self.count += 1
        self._in_shard += 1
        if self._in_shard >= self.shard_size:
            self._seal()

    def _seal(self) -> None:
        assert self._file is not None
        self.flush_copies()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file, self._in_shard, self._offset = None, 0, 0
        if self._index is not None:
            shard = self._staged[-1]
            st = shard.stat()
            ids, offsets = self._index
            atomic_write(shard.with_suffix(".idx"), msgspec.json.encode(ShardIndex(
                shard=shard.name, size=st.st_size, mtime_ns=st.st_mtime_ns, keys=ids, offsets=offsets)))
            self._index = ([], [])

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:
                if self._file is not None:
                    self._file.close()
                return
            if self._file is not None:
                self._seal()
            for staged in self._staged:
                target = self.out_dir / staged.name
                if self._index is not None:  # the index first: a shard is never newer than it
                    os.replace(staged.with_suffix(".idx"), target.with_suffix(".idx"))
                os.replace(staged, target)
                self.paths.append(target)
            # shards of an earlier, larger run with the same prefix are stale, and indexes
            # of shards that are no longer (or no longer indexed)
            for old in self.out_dir.glob(f"{self.prefix}-*.jsonl"):
                if old not in self.paths:
                    old.unlink()
            for old in self.out_dir.glob(f"{self.prefix}-*.idx"):
                if self._index is None or old.with_suffix(".jsonl") not in self.paths:
                    old.unlink()
        finally:
            if self._staging is not None:
                shutil.rmtree(self._staging, ignore_errors=True)


def write_jsonl(path: str | Path, records: Iterable[msgspec.Struct]) -> int:
    """Write records to one JSONL file atomically; returns how many."""
    lines = [encode(r) + b"\n" for r in records]
    atomic_write(path, b"".join(lines))
    return len(lines)


def jsonl_files(paths: Iterable[str | Path], pattern: str = "*.jsonl") -> Iterator[Path]:
    """Files named directly, and the matching record files under folders (not hidden
    files, nothing in a hidden folder such as a run's staging or spool left by a crash, not
    SIDECARS reports), in sorted order."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(x for x in p.rglob(pattern)
                              if x.is_file() and x.name not in SIDECARS
                              and not any(part.startswith(".") for part in x.relative_to(p).parts))
        elif p.exists():
            yield p
        else:
            raise InputError(str(p), "no such file or directory")


def jsonl_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` of the non-blank lines of a JSONL file, gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, line


def iter_jsonl(
    paths: Iterable[str | Path], decode: Callable[[bytes], T], pattern: str = "*.jsonl"
) -> Iterator[tuple[T, Path, int]]:
    """Yield ``(record, path, line_number)`` from JSONL files; bad lines raise InputError
    naming the file and line."""
    for path in jsonl_files(paths, pattern):
        for n, line in jsonl_lines(path):
            try:
                yield decode(line), path, n
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise InputError(f"{path}:{n}", str(exc)) from None
