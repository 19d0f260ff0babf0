"""Benchmark (not a test: pytest does not collect it): import and release NewsFANE Gold.

Target (issue 8): about 170K tokens import and release in seconds, not minutes, streaming
(memory that does not grow with the file). Prints wall time and peak RSS of each step,
and the import's peak RSS growth over a file N times as long (--repeat N: the same
sentences repeated), measured before the release step, which holds more.

    .venv/bin/python tests/importers/bench_import_newsfane.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from corpus.importers import import_corpus  # noqa: E402
from corpus.release import release_corpus  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, default=REPO.parent / "shared" / "data" / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt")
    ap.add_argument("--repeat", type=int, default=0, help="also import a file this many times as long")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        r = import_corpus([args.file], tmp / "corpus", "conll")
        t_import = time.perf_counter() - t
        print(f"import: {r.tokens} tokens, {r.documents} documents, {sum(r.mentions.values())} mentions "
              f"in {t_import:.2f} s ({r.tokens / t_import:,.0f} tokens/s), peak RSS {_peak_mb():.0f} MB")
        if args.repeat:
            big = tmp / "big.conll"
            data = args.file.read_bytes()
            with open(big, "wb") as f:
                for i in range(args.repeat):
                    f.write(data if i == 0 else data[3:])  # one BOM only
                    f.write(b"\r\n\t\r\n")
            before = _peak_mb()
            t = time.perf_counter()
            r = import_corpus([big], tmp / "big", "conll", license="cc-by-sa-3.0")
            print(f"import x{args.repeat}: {r.tokens} tokens in {time.perf_counter() - t:.2f} s, "
                  f"peak RSS {before:.0f} -> {_peak_mb():.0f} MB")
        t = time.perf_counter()
        rel = release_corpus("1.0.0", tmp / "corpus", tmp / "releases", previous=False)
        print(f"release: {rel.path.name} in {time.perf_counter() - t:.2f} s, peak RSS {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
