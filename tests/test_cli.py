"""Every command has help text with an example, and the CLI starts fast."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from corpus.cli import main


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = list(_commands(main))


def test_the_pipeline_is_all_there():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"ingest", "migrate", "studio up", "studio down", "studio status", "push", "pull", "validate", "agree",
            "adjudicate", "release", "verify", "publish", "import"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd = dict(COMMANDS)[path]
    if isinstance(cmd, click.Group) and cmd.commands:
        return
    assert "Example" in result.output, f"corpus {' '.join(path)} --help has no example"


def test_help_does_not_import_heavy_libraries():
    code = "import sys; from corpus.cli import main; print(sorted(m for m in ('datasets', 'pyarrow', 'label_studio_sdk', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
