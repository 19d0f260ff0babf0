"""``corpus adjudicate``: merge annotations into gold and list the disagreements."""

from __future__ import annotations

from pathlib import Path

import click

from . import handle_errors, main


@main.command("adjudicate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--policy", type=click.Choice(["majority", "unanimous"]), default="majority", show_default=True,
              help="majority: keep what more than half of a document's annotators marked (half is a tie, left out); "
                   "unanimous: keep only what all of them marked. Ground-truth annotations win either way.")
@click.option("--documents", "document_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Document JSONL files or folders (default: the documents of corpus.toml, when built): "
                   "annotations of an older text are left out and listed.")
@click.option("--out", "gold_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the gold shards gold-00000.jsonl… (default: build/adjudication/gold, for review; "
                   "committed gold is never rewritten unless this names it).")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for conflicts.jsonl, disagreements.md and disagreements.json (default: build/adjudication).")
@click.option("--status", "statuses", multiple=True, default=("submitted",), show_default=True,
              help="Annotation statuses that count (cancelled never does).")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@handle_errors
def adjudicate_cmd(paths, policy, document_paths, gold_dir, reports_dir, statuses, quiet):
    """Merge the annotations of each document into one gold annotation.

    Annotations marked ground truth in Label Studio win; otherwise the policy decides
    item by item. Gold records carry provenance (policy, annotators, annotation ids) and
    agreed_by on every entity, event and argument. Every disagreement is listed in
    disagreements.md/.json, and the disputed items go to conflicts.jsonl (predictions of
    annotator "adjudication") for `corpus push --conflicts` to send back to Label Studio.
    PATHS are Annotation JSONL files or folders (default: annotations of corpus.toml).

    \b
    Examples:
      corpus adjudicate
      corpus adjudicate annotations/annotators --policy unanimous --out build/gold --reports build/adjudication
    """
    from ..adjudicate import adjudicate, write_outputs
    from ..config import load_config
    from ..io import iter_jsonl
    from ..records import decode_annotation, decode_document

    cfg = load_config()
    paths = cfg.annotation_inputs(paths)
    document_paths = cfg.document_inputs(document_paths)
    # committed gold (corpus.toml `gold`) is human-reviewed data: written only when asked
    gold_dir = gold_dir or cfg.root / "build" / "adjudication" / "gold"
    reports_dir = reports_dir or cfg.root / "build" / "adjudication"
    if any(Path(p).resolve() == Path(gold_dir).resolve() for p in paths):
        raise click.UsageError(f"--out {gold_dir} is also an input: gold would be adjudicated with the annotations")
    annotations = (a for a, _p, _l in iter_jsonl(paths, decode_annotation))
    documents = (d for d, _p, _l in iter_jsonl(document_paths, decode_document)) if document_paths else None
    summary = write_outputs(adjudicate(annotations, policy=policy, documents=documents, statuses=statuses),
                            gold_dir, reports_dir, policy=policy)
    if not quiet:
        d = summary.disagreements
        how = ", ".join(f"{n} {k}" for k, n in sorted(d.items())) or "none"
        click.echo(f"{summary.gold} gold annotations of {summary.documents} documents written to {gold_dir}; "
                   f"{sum(d.values())} disagreements ({how}); {summary.conflicts} conflict records and the "
                   f"disagreement report in {reports_dir}", err=True)
