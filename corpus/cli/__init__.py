"""The ``corpus`` command: a thin second way into the library.

Each stage has its module here (``corpus/cli/<stage>.py``) that adds its commands to
``main``; commands call one library function each and turn ``CorpusError`` into a clean
message and exit status 1. Heavy libraries are imported inside the commands so that
``corpus --help`` stays fast.
"""

from __future__ import annotations

import functools
import importlib
import sys

import click

from ..errors import CorpusError

__all__ = ["main", "handle_errors"]

_STAGES = ("ingest", "migrate", "studio", "validate", "agree", "adjudicate", "release", "importers", "bench")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="corpus")
def main() -> None:
    """Build a versioned, annotated news corpus: ingest, annotate in Label Studio,
    validate, measure agreement, adjudicate and release.

    \b
    Example:
      corpus ingest seeds/ --out build/documents
    """


def handle_errors(fn):
    """Print a CorpusError as one clean line on stderr and exit 1 (2 for usage errors)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CorpusError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


for _stage in _STAGES:
    try:
        importlib.import_module(f"{__name__}.{_stage}")
    except ModuleNotFoundError as exc:  # a stage not written yet
        if exc.name != f"{__name__}.{_stage}":
            raise
