"""The label distribution per split, as a PNG the card shows. Byte-identical on rebuild:
the Agg backend, a fixed size and dpi, and no Software/date metadata in the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ..io import atomic_write
from .splits import SPLITS

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["write_label_figure", "DPI"]

DPI = 100
_COLORS = {"train": "#4C72B0", "validation": "#DD8452", "test": "#55A868"}


def _panel(ax, title: str, names: list[str], per_split: dict, splits: list[str]) -> None:
    import numpy as np

    names = [n for n in names if any(per_split[s][n] for s in splits)] or names[:1]
    y = np.arange(len(names))
    height = 0.8 / max(len(splits), 1)
    for i, split in enumerate(splits):
        # shares, not counts: train would dwarf the other splits and hide their balance
        total = sum(per_split[split].values()) or 1
        ax.barh(y + i * height, [100 * per_split[split][n] / total for n in names], height=height,
                label=f"{split} ({sum(per_split[split].values())})", color=_COLORS.get(split))
    ax.set_yticks(y + height * (len(splits) - 1) / 2, labels=names, fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("% of the split's mentions (mentions in the legend)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def write_label_figure(path: Path, facts: "ReleaseFacts") -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    splits = [s for s in SPLITS if facts.totals[s]["documents"]]
    panels = [("Entity types", facts.ontology.entity_types, facts.labels["entities"])]
    if facts.ontology.event_types:
        panels.append(("Event types", facts.ontology.event_types, facts.labels["events"]))
    rows = [max(1, sum(1 for n in names if any(per[s][n] for s in splits))) for _, names, per in panels]
    heights = [0.9 + 0.22 * r * max(len(splits), 1) for r in rows]
    with plt.rc_context({"svg.hashsalt": "corpus", "font.family": "DejaVu Sans"}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights) + 0.6), squeeze=False,
                                 gridspec_kw={"height_ratios": heights})
        for ax, (title, names, per) in zip(axes[:, 0], panels):
            _panel(ax, title, names, per, splits)
        fig.suptitle(f"{facts.info.pretty_name} {facts.version}: labels per split", fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        # no Software key, no timestamp: the same data give the same bytes
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
        plt.close(fig)
    atomic_write(path, buf.getvalue())
