"""Topic-fit time on the demo database: seeded UMAP (reproducible, one thread) against unseeded UMAP (parallel).

Uses a copy of outputs/casereview.duckdb when it exists (the original is not changed); otherwise builds a
database by running the pipeline on corpus_manifest/demo.csv in a temporary folder. Passages without a stored
embedding are embedded once, by the first (untimed) call, with the project's encoder. Each variant is fitted
once untimed (numba compiles UMAP on first use in a process), then --repeat times; medians are printed.
"fit" is the clustering and topic terms alone; "whole call" adds reading the database, saving the model,
writing the tables and drawing the three HTML pages.

Usage:  .venv/bin/python benchmarks/topic_fit.py [--db PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.settings import default_db, models_dir, quiet_third_parties

ROOT = Path(__file__).resolve().parent.parent
DEMO_MANIFEST = ROOT / "corpus_manifest" / "demo.csv"


def demo_database(folder: Path, source: Path) -> Path:
    """A copy of ``source`` in ``folder``, or a database built from the demo manifest when there is none."""
    target = folder / "casereview.duckdb"
    if source.exists():
        shutil.copy(source, target)
        print(f"database: copy of {source}")
        return target
    from pipeline.flow import RunOptions, run_pipeline

    theme_model = models_dir() / "themes-v1"
    options = RunOptions(db_path=target, store_dir=folder / "store", progress=False,
                         theme_model=theme_model if theme_model.exists() else None)
    started = time.perf_counter()
    run_pipeline(DEMO_MANIFEST, options)
    print(f"database: built from {DEMO_MANIFEST.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s")
    return target


def time_fits(db: Path, out_dir: Path, seed: int | None, repeat: int) -> tuple[float, float, float, int, int]:
    """Seconds of the first call, median fit and whole-call seconds of ``repeat`` more; passages and topics."""
    from pipeline.topics import fit_topics

    started = time.perf_counter()
    fit_topics(db, seed=seed, out_dir=out_dir)
    first = time.perf_counter() - started
    fits, calls = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        info = fit_topics(db, seed=seed, out_dir=out_dir)
        calls.append(time.perf_counter() - started)
        fits.append(info.seconds)
    return first, statistics.median(fits), statistics.median(calls), info.passages, info.topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=default_db(), help="database to copy (default: the demo one)")
    parser.add_argument("--repeat", type=int, default=3, help="timed fits per variant (default 3)")
    args = parser.parse_args()
    quiet_third_parties()
    started = time.perf_counter()
    import bertopic  # noqa: F401 - timed on its own: the first import in a process is slow

    print(f"import bertopic: {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="topic-fit-") as tmp:
        folder = Path(tmp)
        db = demo_database(folder, args.db)
        print(f"cores: {os.cpu_count()}   timed fits per variant: {args.repeat} (medians)")
        for name, seed in (("seeded UMAP (seed 42, one thread)", 42), ("unseeded UMAP (parallel)", None)):
            first, fit, call, passages, topics = time_fits(db, folder / "topics", seed, args.repeat)
            print(f"{name}: fit {fit:.2f} s, whole call {call:.2f} s  ({passages} passages, {topics} topics; "
                  f"untimed first call {first:.1f} s)")


if __name__ == "__main__":
    main()
