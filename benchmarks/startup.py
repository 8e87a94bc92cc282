"""How long commands take to start, against what they paid before.

1. spaCy loaded without torch (as shipped) against spaCy loading torch. spaCy's ML library (thinc) imports torch
   whenever torch is installed, which costs seconds at every start; ``pipeline/nlp.py`` keeps torch out while
   spaCy is imported. The baseline imports torch first, which is what every command paid before. Timed:

   - ``casereview classify`` on one line (the model, spaCy and the sentence splitter all load);
   - ``casereview run`` on the demo corpus with nothing new to do (processed once first into a temporary
     database).

2. A run with nothing new to do, as shipped, against one that builds the theme classifier at its start and
   imports Prefect's server module whatever the settings (both as before 0.1.0+p32): with Prefect's temporary
   server (no server configured, as for most users) and with a Prefect server of its own (``PREFECT_API_URL``;
   one is started on 127.0.0.1 for the purpose, as the tests do).

Times fresh processes, alternating baseline and shipped; prints each time, the medians and their ratio.

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
if sys.argv[1] == "eager":  # what a run did at every start before 0.1.0+p32
    import prefect.server.api.server  # imported even when a server was configured
    from pipeline.themes.model import ThemeModel
    ThemeModel.check = staticmethod(lambda folder: ThemeModel.load(folder).version)  # built before any review
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


LABELS = {"baseline": "spaCy imports torch (baseline)", "eager": "model built at start (baseline)",
          "shipped": "as shipped"}


def compare(name: str, baseline: str, arguments: list[str], env: dict, repeats: int) -> None:
    times: dict[str, list[float]] = {baseline: [], "shipped": []}
    for _ in range(repeats):
        for mode in times:
            times[mode].append(timed(mode, arguments, env))
    print(name)
    for mode, values in times.items():
        print(f"  {LABELS[mode]:32} " + "  ".join(f"{v:.1f}" for v in values)
              + f"  median {statistics.median(values):.1f} s")
    ratio = statistics.median(times["shipped"]) / statistics.median(times[baseline])
    print(f"  ratio shipped / baseline: {ratio:.2f}")


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sys.path.insert(0, str(ROOT))
    from tests.prefect_server import SharedPrefectServer

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CASEREVIEW_DB": str(Path(folder) / "startup.duckdb"), "CASEREVIEW_OUTPUTS": folder}
        env.pop("PREFECT_API_URL", None)
        print(f"first run (processes the demo corpus): {timed('shipped', COMMANDS['run, nothing new'], env):.1f} s")
        for name, arguments in COMMANDS.items():
            compare(name, "baseline", arguments, env, repeats)
        compare("run, nothing new (Prefect's temporary server)", "eager", COMMANDS["run, nothing new"], env, repeats)
        server = SharedPrefectServer(Path(folder) / "prefect-server")
        try:
            served = {**env, "PREFECT_API_URL": server.api_url()}
            compare("run, nothing new (a Prefect server configured)", "eager", COMMANDS["run, nothing new"], served,
                    repeats)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
