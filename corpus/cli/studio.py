"""``corpus studio up|down|status|install|config|guidelines|invite|annotators``, ``corpus push``, ``corpus pull``."""

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


def _fmt_seconds(x) -> str:
    if x is None:
        return "-"
    x = float(x)
    if x < 60:
        return f"{x:.0f} s"
    if x < 3600:
        return f"{x / 60:.1f} min"
    return f"{x / 3600:.1f} h"


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _document_paths(documents):
    from ..config import load_config

    if documents:
        return list(documents)
    default = load_config().path("corpus", "documents", "build/documents")
    return [default] if default.exists() else []


@studio.command("status")
@_server_options
@click.option("--project", default=None, help="Project title (default: corpus.toml [studio] project).")
@click.option("--ontology", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ontology JSON (default: corpus.toml [corpus] ontology).")
@click.option("--documents", "documents", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Document JSONL files/folders whose tokens give kappa and alpha (default: corpus.toml "
                   "[corpus] documents, when it exists).")
@click.option("--counts-only", is_flag=True,
              help="Only the server's counters (no export: fast on very large projects).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--annotators", is_flag=True, hidden=True, help="Kept for old scripts: annotators are always shown.")
@handle_errors
def status_cmd(data_dir, port, project, ontology, documents, counts_only, fmt, annotators):
    """Progress of the annotation project: tasks total, labeled, skipped, in progress;
    per annotator submitted, skipped, drafts and lead time; the agreement so far
    (`corpus agree` on the tasks two or more annotators submitted).

    "labeled" is the server's own count of complete tasks (as many annotators as the
    task's overlap); "partly labeled" tasks wait for more annotators; "skipped" tasks
    have only skips. Open-source Label Studio has no review stage: "in review" says so.

    \b
    Example:
      corpus studio status
      corpus studio status --format json --documents build/documents
    """
    import json

    from ..io import iter_jsonl
    from ..records import decode_document
    from ..studio.server import status
    from ..studio.team import REVIEW_NOTE, team_status

    settings = _settings(data_dir, port)
    st = status(settings, project)
    if not st["running"]:
        click.echo(f"{st['url']}: not running (start it with: corpus studio up)")
        raise SystemExit(1)
    team = None
    if st.get("project_id") is not None and not counts_only:
        docs = (d for d, _, _ in iter_jsonl(_document_paths(documents), decode_document))
        team = team_status(settings, _ontology(ontology), project_title=project, documents=docs)
    if fmt == "json":
        st = dict(st)
        if team is not None:
            st["team"] = team.as_dict()
        click.echo(json.dumps(st, ensure_ascii=False, indent=2, sort_keys=True))
        return
    click.echo(f"url:         {st['url']}")
    click.echo(f"version:     label-studio {st['version']}")
    if st.get("project_id") is None:
        click.echo(f"project:     {st['project']!r} does not exist yet (corpus push creates it)")
        return
    click.echo(f"project:     {st['project']} (id {st['project_id']})")
    share = st.get("overlap_share")
    if st["overlap"] and st["overlap"] > 1 and share is not None and share < 100:
        click.echo(f"overlap:     {st['overlap']} annotators on {share}% of the tasks, 1 on the others")
    else:
        click.echo(f"overlap:     {st['overlap']} annotator(s) per task")
    if team is None:
        click.echo(f"tasks:       {st['tasks']} total, {st['labeled']} labeled (complete), "
                   f"{st['tasks_annotated']} started")
        click.echo(f"annotations: {st['annotations']} submitted, {st['skipped']} skipped, "
                   f"{st['predictions']} predictions")
        return
    click.echo(f"tasks:       {team.tasks} total: {team.labeled} labeled (complete), {team.partly} partly labeled, "
               f"{team.skipped_tasks} skipped, {team.drafts} in progress (drafts), {team.untouched} not started; "
               f"{team.multi_annotated} with 2+ annotators")
    click.echo(f"in review:   n/a ({REVIEW_NOTE})")
    click.echo(f"annotations: {team.submitted_annotations} submitted, {team.skipped_annotations} skipped, "
               f"{st['predictions']} predictions")
    if team.annotators:
        click.echo("annotators:  submitted  skipped  drafts  lead time (total / mean)")
        for who, row in team.annotators.items():
            click.echo(f"  {who}: {row.submitted} submitted, {row.skipped} skipped, {row.drafts} drafts, "
                       f"lead time {_fmt_seconds(row.lead_time if row.timed else None)} total / "
                       f"{_fmt_seconds(row.mean_lead_time)} mean")
    else:
        click.echo("annotators:  nobody has labeled a task yet")
    ag = team.agreement
    if ag is None:
        click.echo("agreement:   not measured yet (no document submitted by two annotators)")
    else:
        click.echo(f"agreement:   {ag['documents']} document(s), {len(ag['annotators'])} annotators: "
                   f"entity F1 exact {_fmt(ag['entity_f1_exact'])}, overlap {_fmt(ag['entity_f1_overlap'])}; "
                   f"kappa {_fmt(ag['cohen_kappa_mean'])}; alpha {_fmt(ag['krippendorff_alpha'])}; "
                   f"trigger F1 {_fmt(ag['trigger_f1'])}; argument F1 {_fmt(ag['argument_f1'])}")
        for pair in ag["pairs"]:
            click.echo(f"  {pair['a']} ~ {pair['b']}: {pair['documents']} document(s), entity F1 exact "
                       f"{_fmt(pair['entity_exact']['f1'])}, kappa {_fmt(pair['kappa'])}")
    if team.rejects:
        click.echo(f"rejects:     {team.rejects} annotation item(s) cannot be converted (see `corpus pull`)")


@studio.group("annotators")
def annotators_group() -> None:
    """Annotator accounts on the local server.

    Open-source Label Studio has no roles: every account is a full member of the
    organization (it can open any task, change settings, delete tasks). The labeling
    stream ("Label All Tasks") gives a task to at most its overlap of annotators; the
    Data Manager and the API do not stop a third one.

    \b
    Example:
      corpus studio annotators add amal@example.org omar@example.org
      corpus studio annotators list
    """


@annotators_group.command("add")
@click.argument("emails", nargs=-1, required=True)
@_server_options
@handle_errors
def annotators_add_cmd(emails, data_dir, port):
    """Make an account for each EMAIL with a generated password, shown once here.

    The password is written to no file and no log: hand it to the annotator now (they
    can change it under Account & Settings). The accounts join the organization, so they
    see its projects. An e-mail that fails (bad address, account exists) is named on
    stderr; the others are still made; the exit status is then 1.

    \b
    Example:
      corpus studio annotators add amal@example.org omar@example.org
    """
    from ..studio.team import add_annotators

    settings = _settings(data_dir, port)
    report = add_annotators(settings, emails)
    for email, why in report.failed:
        click.echo(f"{email}: not added: {why}", err=True)
    if report.created:
        click.echo(f"log in at {settings.url}/user/login/ ; these passwords are shown once and stored nowhere:")
        width = max(len(a.email) for a in report.created)
        for a in report.created:
            click.echo(f"  {a.email:<{width}}  {a.password}")
    if report.failed:
        raise SystemExit(1)


@annotators_group.command("list")
@_server_options
@click.option("--project", default=None, help="Project title (default: corpus.toml [studio] project).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def annotators_list_cmd(data_dir, port, project, fmt):
    """Every account with its work in the project: submitted, skipped, drafts, lead time.

    \b
    Example:
      corpus studio annotators list
    """
    import json

    from ..studio.team import list_annotators

    rows, note = list_annotators(_settings(data_dir, port), project_title=project)
    if fmt == "json":
        click.echo(json.dumps({"project": note, "annotators": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(note)
    width = max([len(r["email"]) for r in rows] + [5])
    click.echo(f"{'email':<{width}}  submitted  skipped  drafts  lead time total  mean")
    for r in rows:
        tag = " (admin)" if r.get("admin") else " (no longer a member)" if r.get("removed") else ""
        click.echo(f"{r['email']:<{width}}  {r['submitted']:>9}  {r['skipped']:>7}  {r['drafts']:>6}  "
                   f"{_fmt_seconds(r['lead_time_total'] if r['lead_time_mean'] is not None else None):>15}  "
                   f"{_fmt_seconds(r['lead_time_mean'])}{tag}")


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
              help="Annotators per task of the overlap share (default: corpus.toml [studio] overlap, else unchanged).")
@click.option("--overlap-share", "overlap_share", type=click.IntRange(0, 100), default=None, metavar="PERCENT",
              help="Percent of the tasks labeled by --overlap annotators, the others by one (default: corpus.toml "
                   "[studio] overlap_share, else 100).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@handle_errors
def push_cmd(documents, data_dir, port, project, ontology, predictions, conflicts, gazetteer, max_task_chars,
             batch_size, overlap, overlap_share, quiet):
    """Create or update the project and import the documents as tasks.

    Idempotent and resumable: only what the server does not hold yet is imported, and
    the server's tasks are checked before every import, so a push killed half-way is
    finished by running it again. DOCUMENTS are Document JSONL files or folders
    (default: corpus.toml [corpus] documents).

    \b
    Example:
      corpus push build/documents --gazetteer names.tsv --predictions release-1.0/annotations.jsonl
      corpus push --overlap 2 --overlap-share 20   # 20% of the tasks by two annotators, for corpus agree
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
                          overlap_share=overlap_share, progress=update)
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
              help="Read a JSON export saved from the Label Studio UI (a JSON list of tasks, one task, or JSON "
                   "lines) instead of the server; entries that are not tasks are rejects, the others go through.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of Annotation JSONL, one file per document (default: corpus.toml [corpus] annotations).")
@click.option("--documents", "documents", multiple=True, type=click.Path(path_type=Path),
              help="Document JSONL files/folders to bind annotations to (default: corpus.toml [corpus] documents).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where results that cannot be converted are kept (default: build/studio/pull-rejects.jsonl).")
@click.option("--project", default=None, help="Project title (default: corpus.toml [studio] project).")
@click.option("--ontology", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ontology JSON (default: corpus.toml [corpus] ontology).")
@click.option("--full", is_flag=True,
              help="Export every annotated task again, not only those changed since the last pull.")
@click.option("--quiet", "-q", is_flag=True, help="No summary.")
@handle_errors
def pull_cmd(data_dir, port, from_file, out_dir, documents, rejects, project, ontology, full, quiet):
    """Export the project's annotations into Annotation records.

    One record per document per annotator, one JSONL file per document; only files whose
    content changed are rewritten (atomically). Results that cannot be converted are
    named on stderr and kept in the rejects file; the exit status is 1 if any (of this
    pull: the file also keeps earlier rejects of tasks not exported again).

    Incremental: after the first pull into a folder, only the tasks updated on the server
    since the last pull (new, edited or deleted annotations; deleted tasks) are exported,
    a few hundred at a time. --full exports everything again, and drops the records of
    documents that have no annotation left.

    \b
    Example:
      corpus pull
      corpus pull --full
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
                      rejects_path=rejects, project_title=project, full=full)
    for r in report.rejects:
        click.echo(f"reject: {r.describe()}", err=True)
    if not quiet:
        if from_file is None:
            how = (f"full pull ({report.reason})" if report.full else
                   f"incremental pull: {report.changed_tasks} tasks changed, {report.deleted_tasks} deleted "
                   f"since the last pull")
            click.echo(f"{how}; {report.export_calls} export calls")
        click.echo(f"{report.tasks} tasks, {report.annotations} annotations -> {report.records} records; "
                   f"{len(report.written)} files written, {report.unchanged} unchanged, "
                   + (f"{len(report.removed)} removed, " if report.removed else "")
                   + f"{len(report.rejects)} rejects" + (f" (kept in {rejects})" if report.rejects else ""))
    if report.rejects:
        raise SystemExit(1)
