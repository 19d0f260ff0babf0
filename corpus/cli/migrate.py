"""``corpus migrate``."""

from __future__ import annotations

import sys

import click

from . import handle_errors, main


@main.command("migrate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the migrated files (same names).")
@handle_errors
def migrate_cmd(paths, out_dir):
    """Migrate document and annotation JSONL files to the current schema version.

    Files are written to --out (never in place, and --out may not lie inside an input):
    committed annotations are not rewritten silently. A record that cannot be migrated
    is named on stderr with its file, line and reason and kept in OUT/rejects.jsonl; the
    other records go through, and the exit status is 1.

    \b
    Example:
      corpus migrate old-annotations/ --out annotations-1.0.0/
    """
    from ..migrate import migrate_files
    from ..schemas import SCHEMA_VERSION

    report = migrate_files(paths, out_dir)
    for target, count in report.files:
        click.echo(f"{target}: {count} records at schema_version {SCHEMA_VERSION}")
    for r in report.rejects:
        click.echo(f"rejected: {r['source']}: {r['reason']}", err=True)
    if report.rejects:
        sys.exit(1)
