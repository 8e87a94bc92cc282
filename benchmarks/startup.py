"""How long commands take to start: spaCy loaded without torch (as shipped) against spaCy loading torch.

spaCy's ML library (thinc) imports torch whenever torch is installed, which costs seconds at every start;
``pipeline/nlp.py`` keeps torch out while spaCy is imported. The baseline imports torch first, which is what
every command paid before. Times fresh processes, alternating baseline and shipped:

- ``casereview classify`` on one line (the model, spaCy and the sentence splitter all load);
- ``casereview run`` on the demo corpus with nothing new to do (processed once first into a temporary database).

Prints each time, the medians and their ratio.

Usage:  .venv/bin/python benchmarks/startup.py [REPEATS]     (default 3)
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
COMMAND = """
import sys
if sys.argv[1] == "baseline":
    import torch  # what spaCy did at every start before
from pipeline.cli import main
main(sys.argv[2:])
"""
LINE = '{"id": "1", "text": "No one asked the child what life at home was like."}\n'
COMMANDS = {
    "classify one line": ["classify"],
    "run, nothing new": ["run", "--manifest", str(MANIFEST), "--quiet"],
}


def timed(mode: str, arguments: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", COMMAND, mode, *arguments], env=env, cwd=ROOT, check=True, input=LINE,
                   text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CASEREVIEW_DB": str(Path(folder) / "startup.duckdb"), "CASEREVIEW_OUTPUTS": folder}
        print(f"first run (processes the demo corpus): {timed('shipped', COMMANDS['run, nothing new'], env):.1f} s")
        for name, arguments in COMMANDS.items():
            times: dict[str, list[float]] = {"baseline": [], "shipped": []}
            for _ in range(repeats):
                for mode in times:
                    times[mode].append(timed(mode, arguments, env))
            print(name)
            for mode, values in times.items():
                label = "spaCy imports torch (baseline)" if mode == "baseline" else "spaCy without torch (shipped)"
                print(f"  {label:32} " + "  ".join(f"{v:.1f}" for v in values)
                      + f"  median {statistics.median(values):.1f} s")
            ratio = statistics.median(times["shipped"]) / statistics.median(times["baseline"])
            print(f"  ratio shipped / baseline: {ratio:.2f}")


if __name__ == "__main__":
    main()
