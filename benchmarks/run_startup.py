"""What `casereview run` costs when there is nothing new to do, with and without starting Prefect early.

With no Prefect server configured, Prefect starts a temporary one on loopback before the first flow runs. The
CLI begins that start in the background (``pipeline/prefect_server.py``) so it overlaps loading the pipeline.
This processes the demo corpus once into a temporary database, then times fresh ``casereview run`` processes
on it (every review unchanged), alternating: the baseline with the early start switched off, and the CLI as
shipped. Prints each time and the medians' ratio.

Usage:  .venv/bin/python benchmarks/run_startup.py [REPEATS]     (default 3)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "corpus_manifest" / "demo.csv"
RUN = """
import sys
import pipeline.prefect_server as prefect_server
if sys.argv[1] == "baseline":
    prefect_server.start_in_background = lambda: None
from pipeline.cli import main
main(["run", "--manifest", sys.argv[2], "--quiet"])
"""


def timed_run(mode: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, mode, str(MANIFEST)], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CASEREVIEW_DB": str(Path(folder) / "startup.duckdb"),
               "CASEREVIEW_OUTPUTS": folder}
        print(f"first run (processes the demo corpus): {timed_run('shipped', env):.1f} s")
        times: dict[str, list[float]] = {"baseline": [], "shipped": []}
        for _ in range(repeats):
            for mode in times:
                times[mode].append(timed_run(mode, env))
    for mode, values in times.items():
        label = "Prefect started by the flow (baseline)" if mode == "baseline" else "Prefect started early (shipped)"
        print(f"{label:40} " + "  ".join(f"{v:.1f}" for v in values) + f"  median {statistics.median(values):.1f} s")
    ratio = statistics.median(times["shipped"]) / statistics.median(times["baseline"])
    print(f"ratio shipped / baseline: {ratio:.2f}")


if __name__ == "__main__":
    main()
