"""``corpus validate``: schema and meaning checks of documents and annotations."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import handle_errors, main


def _corpus_defaults():
    """(config, default PATHS that exist, default documents folder or None)."""
    from ..config import load_config

    cfg = load_config()
    docs = cfg.documents_dir
    paths = [p for p in (docs, cfg.annotations_dir, cfg.gold_dir) if p.exists()]
    return cfg, paths, (docs if docs.exists() else None)


def _ontology_path(cfg, ontology):
    if ontology is not None:
        return ontology
    value = cfg.get("corpus", "ontology")
    return cfg.path("corpus", "ontology", "") if value else None


@main.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--documents", "document_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Where to look up the documents of the annotations (files or folders; indexed, not checked). "
                   "Default: the documents of corpus.toml when PATHS are given.")
@click.option("--ontology", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ontology JSON (default: corpus.toml, else ACE 2005).")
@click.option("--strict-tokens", is_flag=True, help="A span starting or ending inside a token is an error, not a warning.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True,
              help="text: one line per problem; json: a JSON array; jsonl: one JSON object per line.")
@click.option("--reanchor", is_flag=True,
              help="Instead of checking, move the spans of stale annotations onto the current texts (needs "
                   "--previous-documents and --out).")
@click.option("--previous-documents", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="With --reanchor: the documents the annotations were made on.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="With --reanchor: folder for the re-anchored annotation files (inputs are never rewritten).")
@click.option("--jobs", "-j", default=1, show_default=True,
              help="Worker processes checking annotations (pieces of about 4 MB each); same output.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line on stderr.")
@handle_errors
def validate_cmd(paths, document_paths, ontology, strict_tokens, fmt, reanchor, previous_documents, out_dir, jobs, quiet):
    """Check Document and Annotation JSONL files (or folders of them) against schema/ and
    the ontology, and report every problem.

    Records are told apart by their keys, so a file may hold both. Annotations are
    checked against their document (by document_id) among the documents given. Each
    problem names the source (file:line, Label Studio task), document, annotator, JSON
    path and bad value, with a hint when there is one. Without PATHS, the corpus of
    corpus.toml is checked (documents, annotations and gold). Exit status 1 on any error.

    \b
    Examples:
      corpus validate
      corpus validate annotations/annotators --documents build/documents --format json --jobs 2
      corpus validate annotations/annotators --reanchor --previous-documents old/documents --out build/reanchored
    """
    from ..errors import InputError
    from ..validate import reanchor_paths, validate_paths

    cfg, default_paths, default_docs = _corpus_defaults()
    if not paths:
        paths = default_paths
        if not paths:
            raise InputError(str(cfg.root), "nothing to validate: give PATHS, or build the documents named in corpus.toml")
    lookup = list(document_paths) or ([default_docs] if default_docs is not None and default_docs not in paths else [])

    if reanchor:
        if not previous_documents or out_dir is None:
            raise click.UsageError("--reanchor needs --previous-documents and --out")
        problems = reanchor_paths(paths, previous_documents, list(paths) + lookup, out_dir)
        stats = None
    else:
        if previous_documents or out_dir is not None:
            raise click.UsageError("--previous-documents and --out go with --reanchor")
        stats = {}
        problems = validate_paths(paths, documents=lookup, ontology=_ontology_path(cfg, ontology),
                                  strict_tokens=strict_tokens, stats=stats, jobs=jobs)

    import msgspec

    errors = warnings = 0
    out = click.get_text_stream("stdout")
    for k, p in enumerate(problems):
        if p.severity == "error":
            errors += 1
        else:
            warnings += 1
        if fmt == "text":
            out.write(str(p) + "\n")
        elif fmt == "jsonl":
            out.write(msgspec.json.encode(p).decode("utf-8") + "\n")
        else:  # a JSON array written as it streams
            out.write(("[\n" if k == 0 else ",\n") + msgspec.json.encode(p).decode("utf-8"))
    if fmt == "json":
        out.write("\n]\n" if errors + warnings else "[]\n")
    out.flush()
    if not quiet:
        checked = f" in {stats['documents']} documents and {stats['annotations']} annotations" if stats else ""
        done = f"; re-anchored annotations written to {out_dir}" if reanchor else ""
        click.echo(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}{checked}{done}", err=True)
    if errors:
        sys.exit(1)
