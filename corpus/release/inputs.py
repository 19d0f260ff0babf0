"""What a release is built from: document and gold paths, the ontology, and the corpus facts
(name, license, credits) of either this repository's corpus (corpus.toml) or a corpus folder
(``documents/``, ``gold/`` or ``annotations/``, ``ontology.json``, ``corpus.json``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import ReleaseError
from ..ontology import Ontology, load_ontology

__all__ = ["CorpusInfo", "ReleaseInputs", "corpus_inputs", "repository_inputs", "hf_license"]


def hf_license(value: str) -> str:
    """A license as the Hub spells it: ``CC BY-SA 4.0`` -> ``cc-by-sa-4.0``."""
    v = value.strip().lower()
    v = re.sub(r"^creative commons\s+", "cc ", v)
    v = re.sub(r"attribution[- ]sharealike", "by-sa", v)
    v = re.sub(r"[\s_]+", "-", v)
    return re.sub(r"-+", "-", v)


def _share_alike(license_id: str) -> bool:
    return "-sa" in license_id or license_id.startswith(("gpl", "agpl", "lgpl", "odbl"))


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in value]


def read_json_object(path: Path, what: str) -> dict:
    """A JSON file that must hold an object; errors name the file and what it was for."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{path}: cannot read {what}: {exc}") from None
    if not isinstance(data, dict):
        raise ReleaseError(f"{path}: {what} must be a JSON object, got {type(data).__name__}")
    return data


@dataclass(frozen=True)
class CorpusInfo:
    """Facts about a corpus that the data cannot tell: its names, license and credits."""

    name: str
    pretty_name: str
    license: str
    language: str = "ar"
    description: str | None = None
    homepage: str | None = None
    citation: str | None = None
    #: one line per source to credit (authors, work, where it came from)
    credits: list[str] = field(default_factory=list)
    #: the source's own license, when the corpus is derived from someone else's data
    source_license: str | None = None
    source_name: str | None = None
    annotations_creators: list[str] = field(default_factory=lambda: ["expert-generated"])
    language_creators: list[str] = field(default_factory=lambda: ["found"])
    source_datasets: list[str] = field(default_factory=lambda: ["original"])
    #: answers that override the datasheet's generated ones, keyed by question id
    datasheet: dict = field(default_factory=dict)
    imported: bool = False

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", self.name or ""):
            raise ReleaseError(f"corpus name must be letters, digits, '.', '_' or '-'; got {self.name!r}")
        if self.source_license:
            src, own = hf_license(self.source_license), hf_license(self.license)
            if _share_alike(src) and own != src:
                raise ReleaseError(
                    f"the source {self.source_name or ''} is licensed {self.source_license} (share-alike): "
                    f"the release must carry the same license, not {self.license!r}")

    @classmethod
    def from_json(cls, path: Path) -> "CorpusInfo":
        data = read_json_object(path, "corpus facts")
        for key in ("name", "license"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise ReleaseError(f"{path}: field {key!r} is required (a non-empty string); value {data.get(key)!r}")
        source = data.get("source")
        source = source if isinstance(source, dict) else ({"name": source} if isinstance(source, str) else {})
        credits = _as_list(data.get("credits")) or _as_list(source.get("credits"))
        if not credits:
            bits = [source.get(k) for k in ("name", "authors", "url") if source.get(k)]
            if bits:
                credits = ["; ".join(_as_list_flat(b) for b in bits)]
        citation = data.get("citation") or source.get("citation")
        source_license = source.get("license") or data.get("source_license")
        sources = [x for x in data.get("sources") or [] if isinstance(x, dict)]
        source_name = source.get("name") or data.get("source_name")
        for other in sources:  # several sources: a share-alike one decides the release license
            lic = other.get("license") or other.get("license_id")
            if not lic:
                continue
            if source_license is None or (_share_alike(hf_license(lic)) and not _share_alike(hf_license(source_license))):
                source_license, source_name = lic, other.get("name") or source_name
        return cls(
            name=data["name"],
            pretty_name=data.get("pretty_name") or data["name"],
            license=hf_license(data["license"]),
            language=data.get("language", "ar"),
            description=data.get("description"),
            homepage=data.get("homepage") or source.get("url"),
            citation=citation if isinstance(citation, str) else (json.dumps(citation, ensure_ascii=False) if citation else None),
            credits=credits,
            source_license=source_license,
            source_name=source_name,
            annotations_creators=_as_list(data.get("annotations_creators")) or ["expert-generated"],
            language_creators=_as_list(data.get("language_creators")) or ["found"],
            # repackaged from an existing corpus: the Hub's term for that is "extended"
            source_datasets=_as_list(data.get("source_datasets")) or ["extended"],
            datasheet=dict(data.get("datasheet") or {}),
            imported=True,
        )


def _as_list_flat(v) -> str:
    return ", ".join(_as_list(v))


@dataclass(frozen=True)
class ReleaseInputs:
    documents: Path
    gold: Path
    ontology: Ontology
    info: CorpusInfo
    #: per-annotator annotations, for agreement figures (may not exist)
    annotations: Path | None = None
    #: the releases folder (versions side by side)
    releases: Path | None = None


def repository_inputs(config: Config) -> ReleaseInputs:
    """This repository's corpus, as corpus.toml describes it."""
    c = config.section("corpus")
    ontology_path = config.path("corpus", "ontology", "schema/ontology/ace2005.json")
    info = CorpusInfo(
        name=c.get("name", "corpus"),
        pretty_name=c.get("pretty_name", c.get("name", "corpus")),
        license=hf_license(c.get("license", "other")),
        language=c.get("language", "ar"),
        description=c.get("description"),
        homepage=c.get("homepage"),
        citation=c.get("citation"),
    )
    return ReleaseInputs(
        documents=config.path("corpus", "documents", "build/documents"),
        gold=config.path("corpus", "gold", "annotations/gold"),
        ontology=load_ontology(ontology_path if ontology_path.is_file() else None),
        info=info,
        annotations=config.path("corpus", "annotations", "annotations/annotators"),
        releases=config.path("corpus", "releases", "build/releases"),
    )


def corpus_inputs(folder: str | Path) -> ReleaseInputs:
    """A corpus folder: ``documents/``, ``gold/`` (or ``annotations/``), ``ontology.json``, ``corpus.json``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReleaseError(f"{folder}: no such corpus folder")
    documents = folder / "documents"
    if not documents.is_dir():
        raise ReleaseError(f"{folder}: a corpus folder needs documents/ (Document JSONL shards)")
    gold = folder / "gold"
    annotations = folder / "annotations"
    if not gold.is_dir():
        if not annotations.is_dir():
            raise ReleaseError(f"{folder}: a corpus folder needs gold/ or annotations/ (Annotation JSONL)")
        gold, annotations = annotations, None
    info_path = folder / "corpus.json"
    if not info_path.is_file():
        raise ReleaseError(f"{info_path}: missing; it names the corpus and gives its license and credits")
    ontology_path = folder / "ontology.json"
    return ReleaseInputs(
        documents=documents,
        gold=gold,
        ontology=load_ontology(ontology_path if ontology_path.is_file() else None),
        info=CorpusInfo.from_json(info_path),
        annotations=annotations if annotations and annotations.is_dir() else None,
    )
