"""``corpus agree``: inter-annotator agreement."""

from __future__ import annotations

from pathlib import Path

import click

from . import handle_errors, main


@main.command("agree")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--documents", "document_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Document JSONL files or folders (default: the documents of corpus.toml). Their tokens give "
                   "the token tags for kappa and alpha.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write agreement.md, agreement.json and agreement.png (chart) here.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: rich tables on the terminal; json: the summary as JSON on stdout.")
@click.option("--scheme", type=click.Choice(["BIO", "IO"]), default="BIO", show_default=True,
              help="Token tags derived from the entity spans.")
@click.option("--status", "statuses", multiple=True, default=("submitted",), show_default=True,
              help="Annotation statuses that count (cancelled never does).")
@handle_errors
def agree_cmd(paths, document_paths, out_dir, fmt, scheme, statuses):
    """Inter-annotator agreement on the documents that two or more annotators labeled:
    entity span F1 (exact and overlap), Cohen's kappa and Krippendorff's alpha on token
    tags, event trigger and argument F1; per annotator pair and per label.

    PATHS are Annotation JSONL files or folders (default: the annotations of corpus.toml).
    Run `corpus validate` first: agreement assumes valid annotations.

    \b
    Examples:
      corpus agree
      corpus agree annotations/annotators --documents build/documents --out build/agreement
    """
    import json

    from ..agree import agreement, render_table, write_report
    from ..config import load_config
    from ..io import iter_jsonl
    from ..records import decode_annotation, decode_document

    cfg = load_config()
    paths = cfg.annotation_inputs(paths)
    document_paths = cfg.document_inputs(document_paths)
    annotations = (a for a, _path, _line in iter_jsonl(paths, decode_annotation))
    documents = (d for d, _path, _line in iter_jsonl(document_paths, decode_document))
    report = agreement(annotations, documents, statuses=statuses, scheme=scheme)
    if fmt == "json":
        click.echo(json.dumps(report.summary(), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        render_table(report)
    if out_dir is not None:
        written = write_report(report, out_dir)
        click.echo(f"report written: {', '.join(str(p) for p in written)}", err=True)
