"""The label distribution per split, as a PNG the card shows. Byte-identical on rebuild:
the Agg backend, a fixed size and dpi, and no Software/date metadata in the file.

Importing matplotlib and drawing take about a second whatever the corpus size, so a
release starts ``FigureWorker`` first: a child process (``python -m
corpus.release.figure``) imports matplotlib on the other core while the data are written,
then draws from the label counts it is sent as JSON. The child runs the same
``render_png`` on the same figure spec, so the bytes are those of drawing in-process;
if it fails, the figure is drawn in-process.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..io import atomic_write
from .splits import SPLITS

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["write_label_figure", "figure_spec", "render_png", "FigureWorker", "DPI"]

DPI = 100
_COLORS = {"train": "#4C72B0", "validation": "#DD8452", "test": "#55A868"}


def _panel(ax, title: str, names: list[str], per_split: dict, splits: list[str]) -> None:
    import numpy as np

    names = [n for n in names if any(per_split[s].get(n, 0) for s in splits)] or names[:1]
    y = np.arange(len(names))
    height = 0.8 / max(len(splits), 1)
    for i, split in enumerate(splits):
        # shares, not counts: train would dwarf the other splits and hide their balance
        total = sum(per_split[split].values()) or 1
        ax.barh(y + i * height, [100 * per_split[split].get(n, 0) / total for n in names], height=height,
                label=f"{split} ({sum(per_split[split].values())})", color=_COLORS.get(split))
    ax.set_yticks(y + height * (len(splits) - 1) / 2, labels=names, fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("% of the split's mentions (mentions in the legend)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def figure_spec(facts: "ReleaseFacts") -> dict:
    """Everything the figure shows, as plain JSON (label counts in label-name order)."""
    splits = [s for s in SPLITS if facts.totals[s]["documents"]]
    panels = [("Entity types", facts.ontology.entity_types, facts.labels["entities"])]
    if facts.ontology.event_types:
        panels.append(("Event types", facts.ontology.event_types, facts.labels["events"]))
    return {
        "title": f"{facts.info.pretty_name} {facts.version}: labels per split",
        "splits": splits,
        "panels": [[title, list(names), {s: dict(per[s]) for s in splits}] for title, names, per in panels],
    }


def render_png(spec: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    splits = spec["splits"]
    panels = spec["panels"]
    rows = [max(1, sum(1 for n in names if any(per[s].get(n, 0) for s in splits))) for _, names, per in panels]
    heights = [0.9 + 0.22 * r * max(len(splits), 1) for r in rows]
    with plt.rc_context({"svg.hashsalt": "corpus", "font.family": "DejaVu Sans"}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights) + 0.6), squeeze=False,
                                 gridspec_kw={"height_ratios": heights})
        for ax, (title, names, per) in zip(axes[:, 0], panels):
            _panel(ax, title, names, per, splits)
        fig.suptitle(spec["title"], fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        # no Software key, no timestamp: the same data give the same bytes
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()


def write_label_figure(path: Path, facts: "ReleaseFacts") -> None:
    atomic_write(path, render_png(figure_spec(facts)))


class FigureWorker:
    """A child process that imports matplotlib now and draws one figure later."""

    def __init__(self):
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "corpus.release.figure"], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        except OSError:
            self.proc = None
        self._job = None
        self.drawn_in_child = False

    def start(self, path: Path, facts: "ReleaseFacts") -> None:
        """Send the counts of ``facts``; the child draws into ``path`` while the caller goes on."""
        self._job = (Path(path), figure_spec(facts))
        if self.proc is not None:
            try:
                self.proc.stdin.write(json.dumps({"path": str(path), "spec": self._job[1]}).encode("utf-8"))
                self.proc.stdin.close()
            except OSError:
                self.close()

    def wait(self) -> None:
        """The figure is written: by the child, or here if the child could not."""
        path, spec = self._job
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.wait(timeout=300)
                if proc.returncode == 0 and path.is_file():
                    self.drawn_in_child = True
                    return
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        atomic_write(path, render_png(spec))

    def write(self, path: Path, facts: "ReleaseFacts") -> None:
        self.start(path, facts)
        self.wait()

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _main() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot  # noqa: F401  (the slow import, done before the counts arrive)

    data = sys.stdin.buffer.read()
    if not data:  # the release failed or was cancelled: nothing to draw
        return
    job = json.loads(data)
    atomic_write(Path(job["path"]), render_png(job["spec"]))


if __name__ == "__main__":
    _main()
