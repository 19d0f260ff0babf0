"""``corpus migrate``."""

from __future__ import annotations

import click

from . import handle_errors, main


@main.command("migrate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the migrated files (same names).")
@handle_errors
def migrate_cmd(paths, out_dir):
    """Migrate document and annotation JSONL files to the current schema version.

    Files are written to --out, never in place: committed annotations are not rewritten
    silently. A record that cannot be migrated is named with its file and line.

    \b
    Example:
      corpus migrate old-annotations/ --out annotations-1.0.0/
    """
    from ..migrate import migrate_files
    from ..schemas import SCHEMA_VERSION

    for target, count in migrate_files(paths, out_dir):
        click.echo(f"{target}: {count} records at schema_version {SCHEMA_VERSION}")
