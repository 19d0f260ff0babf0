"""Project settings from corpus.toml (found in the working folder or a parent)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError, InputError

__all__ = ["Config", "load_config", "CONFIG_NAME"]

CONFIG_NAME = "corpus.toml"


@dataclass(frozen=True)
class Config:
    root: Path
    data: dict = field(repr=False)

    def section(self, name: str) -> dict:
        return dict(self.data.get(name, {}))

    def path(self, section: str, key: str, default: str) -> Path:
        """A path setting, relative to the folder of corpus.toml."""
        value = self.data.get(section, {}).get(key, default)
        p = Path(value)
        return p if p.is_absolute() else self.root / p

    def get(self, section: str, key: str, default=None):
        return self.data.get(section, {}).get(key, default)

    # the corpus folders every stage defaults to (one place for their default names)
    @property
    def documents_dir(self) -> Path:
        return self.path("corpus", "documents", "build/documents")

    @property
    def annotations_dir(self) -> Path:
        return self.path("corpus", "annotations", "annotations/annotators")

    @property
    def gold_dir(self) -> Path:
        return self.path("corpus", "gold", "annotations/gold")

    def annotation_inputs(self, given) -> tuple[Path, ...]:
        """The annotation paths given, else the annotations folder, which must exist."""
        if given:
            return tuple(Path(p) for p in given)
        if not self.annotations_dir.exists():
            raise InputError(str(self.annotations_dir), "no annotations: give PATHS or add annotations to the folder named in corpus.toml")
        return (self.annotations_dir,)

    def document_inputs(self, given) -> tuple[Path, ...]:
        """The document paths given, else the documents folder when it has been built."""
        if given:
            return tuple(Path(p) for p in given)
        return (self.documents_dir,) if self.documents_dir.exists() else ()


def load_config(start: str | Path | None = None) -> Config:
    """corpus.toml of ``start`` or its nearest parent; defaults when there is none."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            try:
                return Config(folder, tomllib.loads(candidate.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise CorpusError(f"{candidate}: {exc}") from None
    return Config(here, {})
