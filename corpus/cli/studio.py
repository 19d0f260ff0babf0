"""``corpus studio up|down|status|install|config|guidelines``, ``corpus push``, ``corpus pull``."""

from __future__ import annotations

from pathlib import Path

import click

from . import handle_errors, main


def _server_options(fn):
    fn = click.option("--port", type=int, default=None, help="Port (default: corpus.toml [studio] port).")(fn)
    fn = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                      help="Label Studio data dir (default: corpus.toml [studio] data_dir).")(fn)
    return fn


def _settings(data_dir, port):
    from ..studio.server import settings_from_config

    return settings_from_config(data_dir=data_dir, port=port)


def _ontology(path):
    from ..config import load_config
    from ..ontology import load_ontology

    if path is None:
        cfg = load_config()
        if cfg.get("corpus", "ontology"):
            path = cfg.path("corpus", "ontology", "")
    return load_ontology(path)


@main.group("studio")
def studio() -> None:
    """Run the local Label Studio server annotators work in.

    \b
    Example:
      corpus studio up        # installs Label Studio on first use, then starts it
      corpus studio status
      corpus studio down
    """


@studio.command("install")
@click.option("--quiet", "-q", is_flag=True, help="No pip output.")
@handle_errors
def install_cmd(quiet):
    """Create Label Studio's own virtual environment (pinned version), once.

    The folder is ~/.cache/corpus/label-studio-<version>, or $CORPUS_STUDIO_VENV.

    \b
    Example:
      corpus studio install
    """
    from ..studio.server import LABEL_STUDIO_VERSION, install

    venv = install(quiet=quiet)
    click.echo(f"label-studio {LABEL_STUDIO_VERSION} in {venv}")


@studio.command("up")
@_server_options
@click.option("--quiet", "-q", is_flag=True, help="Print only the URL.")
@handle_errors
def up_cmd(data_dir, port, quiet):
    """Start Label Studio on 127.0.0.1 (installing it first if needed).

    On first start an admin user and an API token are made and stored in
    DATA_DIR/credentials.json (mode 0600). They are never printed in full.

    \b
    Example:
      corpus studio up && corpus push && corpus pull
    """
    from ..studio.server import load_credentials, mask, start

    settings = _settings(data_dir, port)
    if not quiet:
        click.echo(f"starting Label Studio at {settings.url} (the first start runs migrations: about a minute)…",
                   err=True)
    state = start(settings, quiet=quiet)
    creds = load_credentials(settings)
    click.echo(state["url"])
    if not quiet:
        click.echo(f"log in as {creds.email}; password and token ({mask(creds.token)}) are in "
                   f"{settings.data_dir / 'credentials.json'}")


@studio.command("down")
@_server_options
@handle_errors
def down_cmd(data_dir, port):
    """Stop the Label Studio started by `corpus studio up`.

    \b
    Example:
      corpus studio down
    """
    from ..studio.server import stop

    settings = _settings(data_dir, port)
    click.echo("stopped" if stop(settings) else f"no server of {settings.data_dir} was running")


@studio.command("status")
@_server_options
@click.option("--project", default=None, help="Project title (default: corpus.toml [studio] project).")
@click.option("--annotators", is_flag=True, help="Also the progress of each annotator (exports the project).")
@handle_errors
def status_cmd(data_dir, port, project, annotators):
    """Print the URL, the server version, the project and its task and annotation counts.

    \b
    Example:
      corpus studio status --annotators
    """
    from ..studio.server import status

    settings = _settings(data_dir, port)
    st = status(settings, project, annotators=annotators)
    if not st["running"]:
        click.echo(f"{st['url']}: not running (start it with: corpus studio up)")
        raise SystemExit(1)
    click.echo(f"url:         {st['url']}")
    click.echo(f"version:     label-studio {st['version']}")
    if st.get("project_id") is None:
        click.echo(f"project:     {st['project']!r} does not exist yet (corpus push creates it)")
        return
    click.echo(f"project:     {st['project']} (id {st['project_id']})")
    click.echo(f"tasks:       {st['tasks']} ({st['tasks_annotated']} with annotations)")
    click.echo(f"annotations: {st['annotations']} submitted, {st['skipped']} skipped/cancelled, "
               f"{st['predictions']} predictions")
    click.echo(f"overlap:     {st['overlap']} annotator(s) per task")
    if annotators:
        click.echo(f"complete:    {st['tasks_complete']} of {st['tasks']} tasks have {st['overlap']} submitted "
                   f"annotation(s)")
        for who, row in st["annotators"].items():
            click.echo(f"  {who}: {row['submitted']} submitted, {row['skipped']} skipped")


@studio.command("invite")
@_server_options
@handle_errors
def invite_cmd(data_dir, port):
    """Print the sign-up link for annotators: each makes an account with their own
    password, and joins the organization and its projects.

    \b
    Example:
      corpus studio invite
    """
    from ..studio.server import invite_url

    click.echo(invite_url(_settings(data_dir, port)))


@studio.command("config")
@click.option("--ontology", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ontology JSON (default: corpus.toml [corpus] ontology).")
@handle_errors
def config_cmd(ontology):
    """Print the labeling configuration XML made from the ontology.

    \b
    Example:
      corpus studio config --ontology schema/ontology/ace2005.json > config.xml
    """
    from ..studio.labelconfig import label_config

    click.echo(label_config(_ontology(ontology)), nl=False)


@studio.command("guidelines")
@click.option("--ontology", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ontology JSON (default: corpus.toml [corpus] ontology).")
@click.option("--write", is_flag=True, help="Refresh the generated part of schema/guidelines/<ontology>.md.")
@handle_errors
def guidelines_cmd(ontology, write):
    """Print the annotation guidelines (shown in the labeling view), or refresh the file.

    \b
    Example:
      corpus studio guidelines --write
    """
    from ..studio.guidelines import load_guidelines, write_guidelines

    ont = _ontology(ontology)
    if write:
        path, changed = write_guidelines(ont)
        click.echo(f"{path}: {'updated' if changed else 'up to date'}")
    else:
        click.echo(load_guidelines(ont), nl=False)


def _progress(quiet: bool, label: str):
    """A rich progress bar on stderr, as a ``progress(done, total)`` callback."""
    if quiet:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=False)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


@main.command("push")
@click.argument("documents", nargs=-1, type=click.Path(path_type=Path))
@_server_options
@click.option("--project", default=None, help="Project title (default: corpus.toml [studio] project).")
@click.option("--ontology", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ontology JSON (default: corpus.toml [corpus] ontology).")
@click.option("--predictions", "predictions", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Annotation JSONL pushed as predictions (e.g. an earlier release); repeatable.")
@click.option("--conflicts", "conflicts", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Conflicts from `corpus adjudicate` (Annotation JSONL) pushed as predictions for review.")
@click.option("--gazetteer", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gazetteer: TSV 'SURFACE<TAB>TYPE[<TAB>LEVEL]' or JSON {surface: type}.")
@click.option("--max-task-chars", type=int, default=None,
              help="Split longer documents at sentence ends (default: corpus.toml, 20000).")
@click.option("--batch-size", type=int, default=None, help="Tasks per import call (default 200).")
@click.option("--overlap", type=int, default=None,
              help="Annotators per task (default: corpus.toml [studio] overlap, else unchanged).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@handle_errors
def push_cmd(documents, data_dir, port, project, ontology, predictions, conflicts, gazetteer, max_task_chars,
             batch_size, overlap, quiet):
    """Create or update the project and import the documents as tasks.

    Idempotent and resumable: only what the server does not hold yet is imported, and
    the server's tasks are checked before every import, so a push killed half-way is
    finished by running it again. DOCUMENTS are Document JSONL files or folders
    (default: corpus.toml [corpus] documents).

    \b
    Example:
      corpus push build/documents --gazetteer names.tsv --predictions release-1.0/annotations.jsonl
    """
    import dataclasses

    from ..config import load_config
    from ..studio.push import run_push

    settings = _settings(data_dir, port)
    if max_task_chars is not None:
        settings = dataclasses.replace(settings, max_task_chars=max_task_chars)
    if batch_size is not None:
        settings = dataclasses.replace(settings, batch_size=batch_size)
    paths = list(documents) or [load_config().path("corpus", "documents", "build/documents")]
    bar, update = _progress(quiet, "importing tasks")
    if bar:
        bar.start()
    try:
        report = run_push(settings, _ontology(ontology), paths, project_title=project,
                          prediction_paths=[*predictions, *conflicts], gazetteer_path=gazetteer, overlap=overlap,
                          progress=update)
    finally:
        if bar:
            bar.stop()
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    if not quiet:
        click.echo(f"project {report.project}: {report.documents} documents, {report.imported_tasks} tasks imported, "
                   f"{report.existing_tasks} already there, {report.predictions} predictions added")


@main.command("pull")
@_server_options
@click.option("--from-file", "from_file", type=click.Path(path_type=Path), default=None,
              help="Read a JSON export saved from the Label Studio UI instead of the server.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of Annotation JSONL, one file per document (default: corpus.toml [corpus] annotations).")
@click.option("--documents", "documents", multiple=True, type=click.Path(path_type=Path),
              help="Document JSONL files/folders to bind annotations to (default: corpus.toml [corpus] documents).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where results that cannot be converted are kept (default: build/studio/pull-rejects.jsonl).")
@click.option("--project", default=None, help="Project title (default: corpus.toml [studio] project).")
@click.option("--ontology", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ontology JSON (default: corpus.toml [corpus] ontology).")
@click.option("--quiet", "-q", is_flag=True, help="No summary.")
@handle_errors
def pull_cmd(data_dir, port, from_file, out_dir, documents, rejects, project, ontology, quiet):
    """Export the project's annotations into Annotation records.

    One record per document per annotator, one JSONL file per document; only files whose
    content changed are rewritten (atomically). Results that cannot be converted are
    named on stderr and kept in the rejects file; the exit status is 1 if any.

    \b
    Example:
      corpus pull
      corpus pull --from-file project-1-at-2026-01-01.json --out annotations/annotators
    """
    from ..config import load_config
    from ..studio.pull import run_pull

    cfg = load_config()
    settings = _settings(data_dir, port)
    out_dir = out_dir or cfg.path("corpus", "annotations", "annotations/annotators")
    doc_paths = list(documents) or [cfg.path("corpus", "documents", "build/documents")]
    rejects = rejects or cfg.root / "build" / "studio" / "pull-rejects.jsonl"
    report = run_pull(settings, _ontology(ontology), out_dir, document_paths=doc_paths, from_file=from_file,
                      rejects_path=rejects, project_title=project)
    for r in report.rejects:
        click.echo(f"reject: {r.describe()}", err=True)
    if not quiet:
        click.echo(f"{report.tasks} tasks, {report.annotations} annotations -> {report.records} records; "
                   f"{len(report.written)} files written, {report.unchanged} unchanged, "
                   f"{len(report.rejects)} rejects" + (f" (kept in {rejects})" if report.rejects else ""))
    if report.rejects:
        raise SystemExit(1)
