"""Benchmark (not collected by pytest): release a synthetic corpus of N documents.

    .venv/bin/python tests/release/bench_release.py [--docs 5000]

Prints the wall time and peak RSS of building the release (Parquet, card, datasheet,
Croissant, figure, manifest). The NewsFANE import+release benchmark of the importers
(tests/importers/bench_import_newsfane.py) measures the same on ~170K real tokens.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from release_helpers import make_corpus  # noqa: E402
from corpus.release import build_release  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        corpus = make_corpus(tmp / "corpus", n=args.docs, dup_pairs=((5, 4), (9, 2)))
        print(f"made {args.docs} documents in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        r = build_release("1.0.0", documents=corpus / "documents", gold=corpus / "gold", out=tmp / "rel")
        dt = time.perf_counter() - t
        tokens = sum(s["tokens"] for s in r.manifest["counts"]["splits"].values())
        print(f"release: {tokens} tokens in {dt:.2f} s ({tokens / dt:,.0f} tokens/s), "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
