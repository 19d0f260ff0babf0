"""``corpus import``: read corpora annotated elsewhere into a corpus folder."""

from __future__ import annotations

import sys

import click

from . import handle_errors, main

_SHOWN = 20  # issues of one kind printed in full; the rest are in the folder's JSONL files


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["conll", "labelstudio"]), required=True,
              help="Input format: conll (token-per-line BIO) or labelstudio (JSON export or pre-annotation file).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Corpus folder to write.")
@click.option("--name", help="Corpus name (default: from SOURCE.md beside the file, else the file name).")
@click.option("--pretty-name", help="Human-readable corpus name for the card.")
@click.option("--license", "license_", help="License id, e.g. cc-by-sa-4.0 (default: from SOURCE.md). "
              "A share-alike source stays share-alike.")
@click.option("--source-name", help="Name of the source to credit (default: SOURCE.md title).")
@click.option("--citation", help="Citation of the source (default: from SOURCE.md).")
@click.option("--language", default="ar", show_default=True, help="Language code of the documents.")
@click.option("--level", type=click.Choice(["NAM", "NOM", "PRO"]), help="Mention level to record for every "
              "mention when the source says (e.g. NAM: the corpus tags names only).")
@click.option("--ontology", type=click.Path(dir_okay=False, exists=True),
              help="Check labels against this ontology file instead of generating one from the labels seen.")
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True),
              help="Map the corpus labels to the default ontology (ACE 2005): JSON {\"PERS\": \"PER\", ...} or "
                   "TSV lines PERS<TAB>PER. Written as maps_to in ontology.json; unmapped labels are reported.")
@click.option("--scheme", default="bio", show_default=True, type=click.Choice(["bio", "iob1", "io", "bioes"]),
              help="[conll] Tag scheme. Broken sequences are read by the conlleval convention and reported.")
@click.option("--doc-sentences", type=click.IntRange(min=0), default=None,
              help="[conll] Sentences per document (0: no limit). Default: documents between boundary lines "
                   "if the file starts with one, else one sentence per document.")
@click.option("--doc-boundary", default=r"^-DOCSTART-$", show_default=True,
              help="[conll] Regex; a token line whose token matches closes the document (and is no token).")
@click.option("--encoding", help="[conll] Encoding (default: from the byte-order mark, else UTF-8).")
@click.option("--text-field", help="[labelstudio] Task data field holding the text (default: text, else the "
              "first string field).")
@click.option("--label-config", type=click.Path(dir_okay=False, exists=True),
              help="[labelstudio] Labeling configuration XML; region labels not in it are rejected.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if anything was rejected.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the counts, not each repair and reject.")
@handle_errors
def import_cmd(files, fmt, out_dir, name, pretty_name, license_, source_name, citation, language, level, ontology,
               mapping, scheme, doc_sentences, doc_boundary, encoding, text_field, label_config, strict, quiet):
    """Import annotated corpora (CoNLL/BIO or Label Studio files) into the corpus folder OUT:
    documents/ (Document JSONL), gold/ (the file's annotations, status "imported"),
    predictions/, ontology.json (the corpus's own label set), corpus.json (name, license,
    credits and counts from the SOURCE.md beside the file), rejects.jsonl, repairs.jsonl,
    warnings.jsonl. Then `corpus release VERSION --corpus OUT --out REL` releases it.

    \b
    CoNLL: one token a line, the tag in the last column (tab- or space-separated);
    sentences end at a blank or whitespace-only line; BOM and CRLF are handled. The text
    is rebuilt from the tokens (joined by one space, sentences by a newline), so the
    release's "ner" config gives back the input tokens and tags, sentence by sentence.
    An I- tag after O or after another type starts a new mention (conlleval); every such
    repair is printed with file:line and kept in repairs.jsonl. A bad line rejects its
    sentence (kept in rejects.jsonl); the other sentences go through.

    \b
    Label Studio: a JSON list of tasks (export with "annotations", or pre-annotations
    with "predictions"); a region whose offsets do not hold its text, or whose label is
    not in the ontology / labeling config, is rejected and named by task and region id.

    \b
    Examples:
      corpus import ../shared/data/anercorp-camellab-test/ANERCorp_CamelLab_test.txt \\
          --format conll --out build/anercorp --mapping anercorp-to-ace.json
      corpus import export.json --format labelstudio --out build/ls --language en \\
          --label-config config.xml
    """
    from ..importers import import_corpus

    shown: dict[str, int] = {}

    def on_issue(issue) -> None:
        if quiet:
            return
        n = shown[issue.kind] = shown.get(issue.kind, 0) + 1
        if n <= _SHOWN:
            click.echo(str(issue), err=True)

    result = import_corpus(
        files, out_dir, fmt, name=name, pretty_name=pretty_name, license=license_, source_name=source_name,
        citation=citation, language=language, level=level, ontology=ontology, mapping=mapping,
        label_config=label_config, scheme=scheme, doc_sentences=doc_sentences, doc_boundary=doc_boundary,
        encoding=encoding, text_field=text_field, on_issue=on_issue,
    )
    for kind, n in sorted(shown.items()):
        if n > _SHOWN:
            click.echo(f"... {n - _SHOWN} more of kind {kind} in {out_dir}/{kind}s.jsonl", err=True)
    c = result.counts()
    click.echo(f"imported {result.name!r} into {out_dir}: {c['documents']} documents, {c['sentences']} sentences, "
               f"{c['tokens']} tokens, {sum(c['mentions'].values())} mentions"
               + (f", {sum(c['predicted_mentions'].values())} predicted mentions" if c["predictions"] else ""))
    width = max([len(k) for k in list(c["mentions"]) + list(c["predicted_mentions"])] + [5])
    if c["mentions"]:
        click.echo("mentions per label:")
        for label, n in c["mentions"].items():
            click.echo(f"  {label:<{width}} {n:>8}")
    if c["predicted_mentions"]:
        click.echo("predicted mentions per label:")
        for label, n in c["predicted_mentions"].items():
            click.echo(f"  {label:<{width}} {n:>8}")
    if c["events"]:
        click.echo("events per type:")
        for label, n in c["events"].items():
            click.echo(f"  {label:<{width}} {n:>8}")
    click.echo(f"repairs: {c['repairs']} (repairs.jsonl), rejects: {c['rejects']} (rejects.jsonl), "
               f"warnings: {c['warnings']} (warnings.jsonl)")
    if result.files_failed or (strict and c["rejects"]):
        sys.exit(1)
