"""Release stage: documents + gold annotations -> a versioned, verifiable dataset folder
that ``datasets.load_dataset(DIR, CONFIG)`` reads offline, then publish it to git or the Hub.

Library entry points (the CLI in corpus/cli/release.py is a thin layer over these):

    build_release(version, documents=..., gold=..., out=..., ontology=..., info=...)
    release_repository(version)          # this repository's corpus, from corpus.toml
    release_corpus(version, corpus_dir, out)   # a corpus folder (documents/, gold/, corpus.json)
    verify_release(folder)               # check every file against manifest.json
    publish(folder, version, to)         # a git repository, or hf://datasets/ORG/NAME
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ReleaseError
from .build import ReleaseResult, build_release, parse_version, release_date
from .inputs import CorpusInfo, ReleaseInputs, corpus_inputs, repository_inputs
from .manifest import VerifyReport, read_manifest, verify_release
from .publish import PublishResult, publish

__all__ = [
    "build_release", "release_inputs", "measure_agreement", "release_repository", "release_corpus", "load_agreement",
    "verify_release", "read_manifest", "publish", "parse_version", "release_date",
    "ReleaseResult", "VerifyReport", "PublishResult", "CorpusInfo", "ReleaseInputs",
    "corpus_inputs", "repository_inputs",
]


def load_agreement(path: str | Path | None) -> dict | None:
    """An agreement report (JSON with a ``summary`` object, as the agree stage writes it)."""
    if path is None:
        return None
    from .inputs import read_json_object

    return read_json_object(Path(path), "the agreement report")


def measure_agreement(inputs: ReleaseInputs) -> dict | None:
    """The agreement report of the per-annotator annotations (corpus.agree), if there are any."""
    if inputs.annotations is None or not inputs.annotations.exists():
        return None
    from ..agree import agreement
    from ..io import iter_jsonl
    from ..records import decode_annotation, decode_document

    from .build import record_files

    seen: dict[str, set] = {}

    def annotations():
        for a, _, _ in iter_jsonl(record_files(inputs.annotations), decode_annotation):
            if a.status == "submitted":
                seen.setdefault(a.annotator, set()).add(a.document_id)
            yield a

    docs = (d for d, _, _ in iter_jsonl(record_files(inputs.documents), decode_document))
    summary = agreement(annotations(), docs).summary()
    # who annotated what, so the card can say why agreement was not measured
    return {"summary": summary, "annotators": {k: len(v) for k, v in sorted(seen.items())}}


def _run(version: str, inputs: ReleaseInputs, out: Path, **kwargs) -> ReleaseResult:
    if kwargs.get("agreement") is None:
        kwargs["agreement"] = measure_agreement(inputs)
    return build_release(version, documents=inputs.documents, gold=inputs.gold, out=out,
                         ontology=inputs.ontology, info=inputs.info, **kwargs)


def release_inputs(corpus: str | Path | None = None, config=None) -> ReleaseInputs:
    """The inputs of a corpus folder, or of this repository's corpus (corpus.toml) when None."""
    if corpus is not None:
        return corpus_inputs(corpus)
    from ..config import load_config

    return repository_inputs(config or load_config())


def release_repository(version: str, *, out: str | Path | None = None, config=None, documents=None, gold=None,
                       datasheet: bool = True, **kwargs) -> ReleaseResult:
    """Release this repository's corpus (corpus.toml; ``documents``/``gold`` override its
    folders); also writes the top-level DATASHEET.md when this is the newest release of the
    repository's own releases folder, built from its own documents and gold."""
    import dataclasses

    from ..config import load_config
    from ..io import atomic_write

    config = config or load_config()
    inputs = repository_inputs(config)
    overrides = {k: Path(v) for k, v in (("documents", documents), ("gold", gold)) if v is not None}
    if overrides:
        inputs = dataclasses.replace(inputs, **overrides)
    out = Path(out) if out is not None else inputs.releases
    result = _run(version, inputs, out, **kwargs)
    # the top-level DATASHEET.md describes the repository's current release: one built
    # from other inputs or into another folder is not that
    own = not overrides and out.resolve() == Path(inputs.releases).resolve()
    if datasheet and own:
        newest = max((d.name for d in out.iterdir() if d.is_dir() and (d / "manifest.json").is_file()
                      and _is_version(d.name)), key=parse_version)
        if newest == version:
            atomic_write(config.root / "DATASHEET.md", (result.path / "DATASHEET.md").read_bytes())
    return result


def release_corpus(version: str, corpus: str | Path, out: str | Path, **kwargs) -> ReleaseResult:
    """Release a corpus folder (documents/, gold/ or annotations/, ontology.json, corpus.json)."""
    return _run(version, corpus_inputs(corpus), Path(out), **kwargs)


def _is_version(name: str) -> bool:
    try:
        parse_version(name)
        return True
    except ReleaseError:
        return False
