"""``corpus release``, ``corpus verify``, ``corpus publish``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import handle_errors, main


def _ratios(value: str | None):
    if value is None:
        return None
    try:
        parts = tuple(float(x) for x in value.split("/"))
    except ValueError:
        raise click.BadParameter(f"expected TRAIN/VALIDATION/TEST fractions like 0.8/0.1/0.1; got {value!r}")
    return parts


@main.command("release")
@click.argument("version")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Release this corpus folder (documents/, gold/ or annotations/, ontology.json, corpus.json) "
                   "instead of the repository's own corpus.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Releases folder; the release goes to OUT/VERSION. Default: `releases` of corpus.toml "
                   "(build/releases). Required with --corpus.")
@click.option("--documents", "documents_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Document JSONL folder of the repository's corpus (default: `documents` of corpus.toml).")
@click.option("--gold", "gold_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Gold Annotation JSONL folder of the repository's corpus (default: `gold` of corpus.toml).")
@click.option("--previous", type=click.Path(file_okay=False, path_type=Path),
              help="Previous release folder, for the changelog and stable splits (default: the highest "
                   "earlier version under OUT).")
@click.option("--no-previous", is_flag=True, help="Ignore earlier releases (fresh splits, no diff).")
@click.option("--resplit", is_flag=True, help="Make new splits instead of keeping each document's previous split.")
@click.option("--seed", type=int, default=None, help="Split seed (default 13).")
@click.option("--ratios", default=None, help="Split fractions TRAIN/VALIDATION/TEST (default 0.8/0.1/0.1).")
@click.option("--date", default=None, help="Release date YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else none).")
@click.option("--agreement", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Agreement report JSON (with a `summary` object) to show in the card.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the release folder.")
@handle_errors
def release_cmd(version, corpus_dir, out, documents_dir, gold_dir, previous, no_previous, resplit, seed, ratios, date, agreement, quiet):
    """Build release VERSION: Parquet configs (documents, entities, events, ner), dataset card,
    datasheet, Croissant metadata, changelog, label figure, splits.jsonl (the split of every
    document id) and sha256 manifest. Memory stays flat in the corpus size: per-document
    state lives in a scratch SQLite database under $TMPDIR, removed afterwards.

    \b
    Examples:
      corpus release 0.1.0 --date 2026-01-15
      corpus release 1.0.0 --corpus imports/newsfane --out build/newsfane-releases
    """
    from ..release import load_agreement, release_corpus, release_repository
    from ..release.splits import DEFAULT_SEED

    kwargs = {"resplit": resplit, "date": date, "agreement": load_agreement(agreement),
              "previous": False if no_previous else (previous or True),
              "seed": DEFAULT_SEED if seed is None else seed}
    if ratios is not None:
        kwargs["ratios"] = _ratios(ratios)
    log = None if quiet else (lambda msg: click.echo(msg, err=True))
    if corpus_dir is not None:
        if out is None:
            raise click.UsageError("--out is required with --corpus (where the releases of that corpus live)")
        if documents_dir or gold_dir:
            raise click.UsageError("--documents and --gold are for the repository's corpus; a --corpus folder has its own")
        result = release_corpus(version, corpus_dir, out, log=log, **kwargs)
    else:
        result = release_repository(version, out=out, documents=documents_dir, gold=gold_dir, log=log, **kwargs)
    if not quiet:
        counts = result.manifest["counts"]["splits"]
        click.echo(", ".join(f"{s}: {c['documents']} documents" for s, c in counts.items()), err=True)
    click.echo(str(result.path))


@main.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@handle_errors
def verify_cmd(folder):
    """Check every file of a release folder against its manifest.json (sha256 and size);
    report missing, changed and extra files; exit 1 if any.

    \b
    Example:
      corpus verify build/releases/0.1.0
    """
    from ..release import verify_release

    report = verify_release(folder)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        click.echo(f"{folder}: release {report.version} does NOT match its manifest "
                   f"({len(report.missing)} missing, {len(report.changed)} changed, {len(report.extra)} extra)", err=True)
        sys.exit(1)
    click.echo(f"{folder}: release {report.version} OK ({report.checked} files match the manifest)")


@main.command("publish")
@click.argument("version")
@click.option("--to", "target", required=True,
              help="A git repository (path or URL; commit + tag vVERSION) or hf://datasets/ORG/NAME.")
@click.option("--release", "release_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Release folder (default: VERSION under the releases folder of corpus.toml).")
@click.option("--branch", default="main", show_default=True, help="Branch of a git target.")
@handle_errors
def publish_cmd(version, target, release_dir, branch):
    """Publish release VERSION after verifying it: to a git repository (commit, tag vVERSION,
    push) or to the Hugging Face Hub (upload the folder, tag vVERSION).

    \b
    Examples:
      corpus publish 0.1.0 --to /srv/git/arabic-news-events.git
      corpus publish 0.1.0 --to hf://datasets/my-org/arabic-news-events
    """
    from ..config import load_config
    from ..release import publish

    if release_dir is None:
        release_dir = load_config().path("corpus", "releases", "build/releases") / version
    result = publish(release_dir, version, target, branch=branch)
    click.echo(f"published {version} to {result.target}: tag {result.tag} at {result.commit}")
