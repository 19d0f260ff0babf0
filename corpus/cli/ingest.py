"""``corpus ingest``."""

from __future__ import annotations

import sys

import click

from . import handle_errors, main


@main.command("ingest")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for documents-*.jsonl, rejects.jsonl and duplicates.jsonl.")
@click.option("--profile", default=None, help="Normalization profile (default: corpus.toml, else arabic-news).")
@click.option("--harakat", type=click.Choice(["keep", "remove"]), default=None, help="Keep or remove harakat (default: corpus.toml, else keep).")
@click.option("--tatweel", type=click.Choice(["keep", "remove"]), default=None, help="Keep or remove tatweel (default: corpus.toml, else keep).")
@click.option("--language", default="ar", show_default=True, help="Language code recorded on every document.")
@click.option("--text-field", default="text", show_default=True, help="JSONL field holding the text.")
@click.option("--id-field", default="id", show_default=True, help="JSONL field holding a document id.")
@click.option("--url-field", default="url", show_default=True)
@click.option("--title-field", default="title", show_default=True)
@click.option("--published-field", default="published", show_default=True)
@click.option("--author-field", default="author", show_default=True)
@click.option("--no-boilerplate", is_flag=True, help="Keep website furniture (no header/footer removal).")
@click.option("--no-near-duplicates", is_flag=True, help="Do not look for near-duplicates.")
@click.option("--shard-size", default=10_000, show_default=True, help="Documents per JSONL shard.")
@click.option("--jobs", "-j", default=1, show_default=True, help="Worker processes for normalization and segmentation.")
@click.option("--dedup-memory", default=256, show_default=True, type=click.IntRange(min=1),
              help="MiB of duplicate index kept in memory (~360 bytes a document); past it the index moves "
                   "to a scratch SQLite file in OUT, so memory stops growing with the archive.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@handle_errors
def ingest_cmd(sources, out_dir, profile, harakat, tatweel, language, text_field, id_field, url_field, title_field,
               published_field, author_field, no_boilerplate, no_near_duplicates, shard_size, jobs, dedup_memory, quiet):
    """Ingest raw documents (.txt, .html/.htm, .jsonl, each optionally .gz; files or
    folders) into normalized Document records.

    Encodings are detected (UTF-8 with or without BOM, UTF-16, Windows-1256,
    ISO-8859-6, ...). Boilerplate is removed and kept as raw spans with a reason.
    Rejected inputs are named on stderr and kept in OUT/rejects.jsonl; the exit status
    is 1 if and only if something was rejected.

    \b
    Example:
      corpus ingest seeds/ archive.jsonl.gz --out build/documents
    """
    from ..config import load_config
    from ..ingest import IngestOptions, ingest
    from ..normalize import get_profile
    from ..readers import JsonlFields

    cfg = load_config()
    norm = cfg.section("normalization")
    prof = get_profile(profile or norm.get("profile", "arabic-news"),
                       harakat=harakat or norm.get("harakat"), tatweel=tatweel or norm.get("tatweel"))
    options = IngestOptions(
        profile=prof, language=language,
        fields=JsonlFields(text=text_field, id=id_field, url=url_field, title=title_field, published=published_field, author=author_field),
        boilerplate=not no_boilerplate, near_duplicates=not no_near_duplicates, shard_size=shard_size,
        dedup_memory=dedup_memory << 20,
    )
    report = ingest(sources, out_dir, options, jobs=jobs, progress=not quiet)
    if not quiet:
        click.echo(
            f"{report.documents} documents in {len(report.shards)} shard(s) in {out_dir}; "
            f"{report.duplicates} duplicates kept once, {report.near_duplicates} near-duplicates flagged, "
            f"{report.rejected} rejected" + (f" (see {report.rejects_path})" if report.rejected else "")
        )
    if report.rejected:
        sys.exit(1)
