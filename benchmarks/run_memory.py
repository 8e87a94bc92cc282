"""Peak memory of a whole run, and whether it grows with the length of the manifest.

A run keeps one review's text in memory at a time (it is stored, in one transaction, before the next is read), so
its memory should not grow with the number of reviews. This builds manifests of N and 5N rows from the demo
corpus's readable reviews (copied under new review ids, the PDFs shared, as in ``rerun_scaling.py``) and runs
``casereview run`` (``python -m pipeline.cli run``, themes on) on each into a fresh database, one after
another, in alternating order. While a run works, the memory of its whole process tree (the run, the process
that forks the readers, and each reader) is sampled every 0.05 s from ``/proc``: PSS (shared pages split
between the processes that share them, so forked readers are not counted twice) summed over the tree, and the
run's own peak resident size (VmHWM). Prints each figure for both sizes and the ratio of the larger to the
smaller (about 1.0: memory does not grow with the manifest), measured in the same run.

Linux only (reads ``/proc``).

Usage:  .venv/bin/python benchmarks/run_memory.py [REPEATS]     (default 2)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rerun_scaling import ROOT, demo_manifests  # noqa: E402 - a script beside this one

COPIES = 5
SAMPLE_SECONDS = 0.05


def _parents() -> dict[int, int]:
    """Every process's parent, from ``/proc/PID/stat``."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kilobytes(path: str, field: str) -> int:
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measured_run(manifest: Path, db: Path, env: dict) -> dict[str, float]:
    """Run the pipeline on ``manifest`` into ``db``, sampling its process tree; figures in MB and seconds."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--manifest", str(manifest),
                                "--db", str(db), "--quiet"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_tree = peak_main = processes = 0
    while process.poll() is None:
        pids = tree(process.pid)
        processes = max(processes, len(pids))
        peak_tree = max(peak_tree, sum(_kilobytes(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids))
        peak_main = max(peak_main, _kilobytes(f"/proc/{process.pid}/status", "VmHWM:"))
        time.sleep(SAMPLE_SECONDS)
    errors = process.stderr.read() if process.stderr else ""
    if process.returncode:
        raise SystemExit(f"the run of {manifest.name} failed (exit {process.returncode}):\n{errors}")
    return {"tree": peak_tree / 1024, "main": peak_main / 1024, "processes": processes,
            "seconds": time.perf_counter() - started, "database": db.stat().st_size / 2**20}


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = {**os.environ, "CASEREVIEW_OUTPUTS": str(folder)}
        sizes = demo_manifests(folder, (1, COPIES))
        figures: dict[int, list[dict[str, float]]] = {copies: [] for copies in sizes}
        for round_ in range(repeats):
            for copies in (sizes if round_ % 2 == 0 else reversed(list(sizes))):
                manifest, _ = sizes[copies]
                db = folder / f"run-{copies}-{round_}.duckdb"
                figures[copies].append(measured_run(manifest, db, env))
                db.unlink()
        print(f"peak memory of `casereview run` (themes on), fresh database, medians of {repeats} runs each")
        print(f"{'reviews':>8} {'whole tree PSS MB':>18} {'run process MB':>15} {'processes':>10} "
              f"{'seconds':>8} {'database MB':>12}")
        medians = {}
        for copies, (_, count) in sizes.items():
            runs = figures[copies]
            medians[copies] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            m = medians[copies]
            print(f"{count:8d} {m['tree']:18.0f} {m['main']:15.0f} {m['processes']:10.0f} {m['seconds']:8.1f} "
                  f"{m['database']:12.1f}")
        small, large = medians[1], medians[COPIES]
        print(f"{COPIES}x the reviews: whole tree peak x{large['tree'] / small['tree']:.2f}, "
              f"run process peak x{large['main'] / small['main']:.2f}, time x{large['seconds'] / small['seconds']:.2f}"
              f", database x{large['database'] / small['database']:.2f}")


if __name__ == "__main__":
    main()
