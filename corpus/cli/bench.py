"""``corpus bench``: the benchmark of every stage against its baselines (corpus/bench.py)."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from . import handle_errors, main


def _command_line(ctx: click.Context) -> str:
    """``corpus bench`` with the options given on the command line, for the report."""
    from click.core import ParameterSource

    parts = ["corpus", "bench"]
    for param in ctx.command.params:
        if ctx.get_parameter_source(param.name) != ParameterSource.COMMANDLINE or param.name in ("quiet", "json_out"):
            continue
        value = ctx.params[param.name]
        flag = param.opts[0]
        if getattr(param, "is_flag", False):
            if value:
                parts.append(flag)
        else:
            parts += [flag, shlex.quote(str(value))]
    return " ".join(parts)


def _stages(value: str) -> tuple:
    names = tuple(x.strip() for x in value.split(",") if x.strip())
    bad = [x for x in names if x not in ("ingest", "validate", "release")]
    if bad or "ingest" not in names:
        raise click.BadParameter(f"stages are ingest, validate and release, and ingest is needed; got {value!r}",
                                 param_hint="--stages")
    return names


@main.command("bench")
@click.option("--n", "n", default=20_000, show_default=True, help="Synthetic documents (the stages also run at N/4).")
@click.option("--jobs", "-j", default=2, show_default=True, help="Worker processes for the stages that have them.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=Path("build/bench"), show_default=True,
              help="Scratch folder (emptied after each size unless --keep).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("BENCHMARKS.md"), show_default=True,
              help="Report to write; its other sections are kept.")
@click.option("--input-format", type=click.Choice(["txt", "jsonl"]), default="txt", show_default=True,
              help="Synthetic input as one .txt file a document, or JSONL shards of 5,000.")
@click.option("--small-factor", default=4, show_default=True,
              help="Also run the stages at N/FACTOR to show peak memory flat in N (0: do not).")
@click.option("--baseline-max", type=int, default=None,
              help="Run the jsonschema and datasets baselines on at most this many records (default: all).")
@click.option("--stages-only", is_flag=True,
              help="Only ingest (with --jobs), validate and release: no baselines (for very large N).")
@click.option("--stages", default="ingest,validate,release", show_default=True,
              help="Comma-separated stages to run (validate and release need ingest).")
@click.option("--seed", default=20261125, show_default=True, help="Random seed of the synthetic corpus.")
@click.option("--keep", is_flag=True, help="Keep the generated files under --work.")
@click.option("--studio", is_flag=True, help="Benchmark Label Studio push/pull instead (starts its own server).")
@click.option("--tasks", default=20_000, show_default=True, help="With --studio: tasks to push and pull.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the raw results as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
@handle_errors
def bench_cmd(n, jobs, work, out, input_format, small_factor, baseline_max, stages_only, stages, seed, keep, studio, tasks, json_out, quiet):
    """Benchmark ingest, validate and release on N synthetic Arabic news documents,
    beside pyarrow (the ceiling), datasets by hand and jsonschema; write BENCHMARKS.md.

    Every stage runs in its own process, so each peak memory figure is its own.
    Figures live here, never in timed tests.

    \b
    Examples:
      corpus bench                       # N = 20,000, a few minutes on 2 cores
      corpus bench --n 1000000 --stages-only --small-factor 0 --input-format jsonl
      corpus bench --studio --tasks 20000
    """
    import json

    from ..bench import BenchOptions, render_section, run_bench, studio_bench, write_report

    log = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    command = _command_line(click.get_current_context())
    if studio:
        result = studio_bench(tasks, Path(work) / "studio", log=log)
        key, body = "studio", result["markdown"].replace("{command}", command)
    else:
        opts = BenchOptions(n=n, jobs=jobs, work=work, seed=seed, input_format=input_format,
                            small_factor=small_factor, baseline_max=baseline_max, stages_only=stages_only,
                            stages=_stages(stages),
                            keep=keep)
        result = run_bench(opts, log=log)
        key, body = f"pipeline-n{n}", render_section(result, command)
    write_report(out, key, body, result["machine"])
    if json_out:
        json_out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    click.echo(body)
